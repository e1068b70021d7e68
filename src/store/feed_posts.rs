//! The posts of status-blog feeds already imported (`import::feed`), so that
//! importing a feed again adds nothing.

use std::collections::HashMap;

use sqlx::Row;

use super::{Param, QueryBuilder, Store, StoreError};
use crate::domain::reported_time::now_to_the_second;

impl Store {
    /// Of these posts (their GUID, or link), the ones imported before, each
    /// with the slug of the report it became. A post whose link is a live
    /// report's `source_url` counts too, in case the import stopped between
    /// writing the report and remembering the post.
    pub async fn imported_posts(
        &self,
        keys: &[String],
        links: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let mut found = HashMap::new();
        for chunk in keys.chunks(500) {
            let mut query = QueryBuilder::new("SELECT post_key, incident_slug FROM feed_posts WHERE post_key IN ");
            query.bind_values(chunk.iter().map(|key| Param::Text(key.clone())));
            for row in query.build().fetch_all(&self.read).await? {
                found.insert(row.try_get("post_key")?, row.try_get("incident_slug")?);
            }
        }
        for chunk in links.chunks(500) {
            let mut query =
                QueryBuilder::new("SELECT source_url, slug FROM incidents WHERE deleted_at IS NULL AND source_url IN ");
            query.bind_values(chunk.iter().map(|link| Param::Text(link.clone())));
            for row in query.build().fetch_all(&self.read).await? {
                found.insert(row.try_get("source_url")?, row.try_get("slug")?);
            }
        }
        Ok(found)
    }

    /// Remembers posts as imported, as the reports they became.
    pub async fn remember_posts(&self, posts: &[(String, String)]) -> Result<(), StoreError> {
        let now = now_to_the_second().unix_timestamp();
        let mut tx = self.write.begin().await?;
        for (key, slug) in posts {
            sqlx::query(
                "INSERT INTO feed_posts (post_key, incident_slug, imported_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (post_key) DO NOTHING",
            )
            .bind(key)
            .bind(slug)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
