//! API tokens, found by the hash of the secret a client presents.

use sqlx::Row;
use time::OffsetDateTime;

use super::users::{user_from_row, User};
use super::{Store, StoreError};
use crate::domain::reported_time::now_to_the_second;
use crate::domain::Scope;

/// A token that exists, with its owner; whether it may still be used is the
/// caller's to judge from `expires_at` and `revoked_at`.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub user: User,
    pub scope: Scope,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

impl Store {
    pub async fn create_token(
        &self,
        actor: &str,
        user_id: i64,
        name: &str,
        token_hash: &str,
        scope: Scope,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<i64, StoreError> {
        let mut tx = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO api_tokens (user_id, name, token_hash, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(scope.as_str())
        .bind(now_to_the_second().unix_timestamp())
        .bind(expires_at.map(OffsetDateTime::unix_timestamp))
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let detail = format!("{} token `{name}` (id {id}) for user id {user_id}", scope.as_str());
        super::audit::record(&mut tx, actor, "token.create", &id.to_string(), &detail).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn find_token(&self, token_hash: &str) -> Result<Option<TokenGrant>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.name, u.role, u.password_hash, t.scope, t.expires_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let scope: String = row.try_get("scope")?;
        let expires_at: Option<i64> = row.try_get("expires_at")?;
        Ok(Some(TokenGrant {
            user: user_from_row(&row)?,
            scope: Scope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("scope `{scope}` is not known")))?,
            expires_at: expires_at.and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok()),
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
        }))
    }
}

/// A token as its owner sees it in the settings: never the secret.
#[derive(Debug, Clone)]
pub struct TokenSummary {
    pub id: i64,
    pub name: String,
    pub scope: Scope,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

impl Store {
    pub async fn list_tokens(&self, user_id: i64) -> Result<Vec<TokenSummary>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, scope, created_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                let scope: String = row.try_get("scope")?;
                let instant = |at: i64| OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
                Ok(TokenSummary {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    scope: Scope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("scope `{scope}`")))?,
                    created_at: instant(row.try_get("created_at")?),
                    expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(instant),
                    revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Revokes token `id` if it belongs to `user_id`; false when there is no
    /// such token of theirs.
    pub async fn revoke_token(&self, actor: &str, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done =
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
                .bind(now_to_the_second().unix_timestamp())
                .bind(id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        let revoked = done.rows_affected() == 1;
        if revoked {
            super::audit::record(&mut tx, actor, "token.revoke", &id.to_string(), "").await?;
        }
        tx.commit().await?;
        Ok(revoked)
    }
}
