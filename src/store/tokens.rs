//! API tokens, found by the hash of the secret a client presents.

use sqlx::Row;
use time::OffsetDateTime;

use super::users::{user_from_row, User, USER_COLUMNS};
use super::{Param, QueryBuilder, Store, StoreError};
use crate::domain::reported_time::now_to_the_second;
use crate::domain::Scope;

/// A token that exists, with its owner; whether it may still be used is the
/// caller's to judge from `expires_at` and `revoked_at`.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub id: i64,
    pub user: User,
    pub scope: Scope,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked: bool,
    pub last_used_at: Option<i64>,
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

    /// The token whose secret hashes to `token_hash`, unless its owner has
    /// been disabled.
    pub async fn find_token(&self, token_hash: &str) -> Result<Option<TokenGrant>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, t.id AS token_id, t.scope, t.expires_at, t.revoked_at, t.last_used_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND u.disabled_at IS NULL"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let expires_at: Option<i64> = row.try_get("expires_at")?;
        Ok(Some(TokenGrant {
            id: row.try_get("token_id")?,
            user: user_from_row(&row)?,
            scope: scope_of(&row)?,
            expires_at: expires_at.and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok()),
            revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            last_used_at: row.try_get("last_used_at")?,
        }))
    }

    /// Notes that token `id` was used at `now`.
    pub async fn touch_token(&self, id: i64, now: i64) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A token as its owner and the admins see it: never the secret.
#[derive(Debug, Clone)]
pub struct TokenSummary {
    pub id: i64,
    pub owner: String,
    pub name: String,
    pub scope: Scope,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub revoked: bool,
}

impl TokenSummary {
    /// `active`, `revoked` or `expired`, at `now`.
    pub fn state(&self, now: OffsetDateTime) -> &'static str {
        if self.revoked {
            "revoked"
        } else if self.expires_at.is_some_and(|at| at <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

impl Store {
    /// The tokens of `user_id`, or of everyone, newest first.
    pub async fn list_tokens(&self, user_id: Option<i64>) -> Result<Vec<TokenSummary>, StoreError> {
        let mut query = QueryBuilder::new(
            "SELECT t.id, u.name AS owner, t.name, t.scope, t.created_at, t.expires_at, t.last_used_at, t.revoked_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id",
        );
        if let Some(user_id) = user_id {
            query.push(" WHERE t.user_id = ").bind(Param::Int(user_id));
        }
        query.push(" ORDER BY t.id DESC");
        let rows = query.build().fetch_all(&self.read).await?;
        let instant = |at: i64| OffsetDateTime::from_unix_timestamp(at).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        rows.iter()
            .map(|row| {
                Ok(TokenSummary {
                    id: row.try_get("id")?,
                    owner: row.try_get("owner")?,
                    name: row.try_get("name")?,
                    scope: scope_of(row)?,
                    created_at: instant(row.try_get("created_at")?),
                    expires_at: row.try_get::<Option<i64>, _>("expires_at")?.map(instant),
                    last_used_at: row.try_get::<Option<i64>, _>("last_used_at")?.map(instant),
                    revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                })
            })
            .collect()
    }

    /// Revokes token `id`, when it belongs to `user_id` if one is given (an
    /// admin revokes anyone's); false when there is no such live token.
    pub async fn revoke_token(&self, actor: &str, user_id: Option<i64>, id: i64) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND ($3 IS NULL OR user_id = $3) AND revoked_at IS NULL",
        )
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

fn scope_of(row: &sqlx::any::AnyRow) -> Result<Scope, StoreError> {
    let scope: String = row.try_get("scope")?;
    Scope::parse(&scope).ok_or_else(|| StoreError::Corrupt(format!("scope `{scope}` is not known")))
}
