//! Users: name, role and password hash.

use sqlx::Row;

use super::{is_unique_violation, Store, StoreError};
use crate::domain::reported_time::now_to_the_second;
use crate::domain::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
}

impl Store {
    /// Adds a user; a name already taken is `DuplicateName`.
    pub async fn create_user(&self, name: &str, role: Role, password_hash: &str, by: &str) -> Result<User, StoreError> {
        let mut tx = self.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO users (name, role, password_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now_to_the_second().unix_timestamp())
        .bind(by)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(row) => row.try_get("id")?,
            Err(error) if is_unique_violation(&error) => return Err(StoreError::DuplicateName(name.to_string())),
            Err(error) => return Err(error.into()),
        };
        super::audit::record(&mut tx, by, "user.create", name, role.as_str()).await?;
        tx.commit().await?;
        Ok(User { id, name: name.to_string(), role, password_hash: password_hash.to_string() })
    }

    pub async fn get_user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT id, name, role, password_hash FROM users WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let role: String = row.try_get("role")?;
        Ok(Some(User {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            role: Role::parse(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("role `{role}` is not a known role")))?,
            password_hash: row.try_get("password_hash")?,
        }))
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.read).await?.try_get("n")?)
    }
}

/// A user from a row holding `id`, `name`, `role` and `password_hash`, as
/// the users table and the joins of sessions and tokens do.
pub(super) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role `{role}` is not a known role")))?,
        password_hash: row.try_get("password_hash")?,
    })
}
