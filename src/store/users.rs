//! People: name, role and password hash; whether an admin has disabled
//! them, and when they last signed in. Every change is audited in its own
//! transaction, and none may leave the knowledge base without an active
//! admin.

use sqlx::{Any, Row, Transaction};

use super::{is_unique_violation, Store, StoreError};
use crate::domain::reported_time::now_to_the_second;
use crate::domain::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    /// Disabled by an admin: may not sign in, and has no sessions or tokens.
    pub disabled: bool,
}

/// A person as the admin's list shows them.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub role: Role,
    pub created_at: i64,
    pub created_by: String,
    pub last_sign_in_at: Option<i64>,
    pub disabled_at: Option<i64>,
    /// Tokens neither revoked nor expired.
    pub live_tokens: i64,
}

/// The columns `user_from_row` reads, for the selects that join users.
pub(super) const USER_COLUMNS: &str = "u.id, u.name, u.role, u.password_hash, u.disabled_at";

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
        Ok(User { id, name: name.to_string(), role, password_hash: password_hash.to_string(), disabled: false })
    }

    pub async fn get_user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"))
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM users").fetch_one(&self.read).await?.try_get("n")?)
    }

    /// Everyone, admins first, then writers and readers, each by name.
    pub async fn people(&self) -> Result<Vec<Person>, StoreError> {
        let now = now_to_the_second().unix_timestamp();
        let rows = sqlx::query(
            "SELECT u.name, u.role, u.created_at, u.created_by, u.last_sign_in_at, u.disabled_at, \
             (SELECT COUNT(*) FROM api_tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL \
              AND (t.expires_at IS NULL OR t.expires_at > $1)) AS live_tokens \
             FROM users u ORDER BY CASE u.role WHEN 'admin' THEN 0 WHEN 'writer' THEN 1 ELSE 2 END, u.name",
        )
        .bind(now)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Person {
                    name: row.try_get("name")?,
                    role: role_of(row)?,
                    created_at: row.try_get("created_at")?,
                    created_by: row.try_get("created_by")?,
                    last_sign_in_at: row.try_get("last_sign_in_at")?,
                    disabled_at: row.try_get("disabled_at")?,
                    live_tokens: row.try_get("live_tokens")?,
                })
            })
            .collect()
    }

    /// Gives `name` another role. Taking the role of admin from the last
    /// active admin is refused.
    pub async fn set_role(&self, actor: &str, name: &str, role: Role) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, name).await?;
        if user.role == role {
            return Ok(());
        }
        if user.role == Role::Admin && !user.disabled {
            keep_an_admin(&mut tx, name, "take the admin role from").await?;
        }
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let detail = format!("{} → {}", user.role, role);
        super::audit::record(&mut tx, actor, "user.role", name, &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Disables `name` in one write: they may no longer sign in, every
    /// session of theirs ends and every token of theirs is revoked, so the
    /// next request either makes is refused. The last active admin cannot
    /// be disabled.
    pub async fn disable_user(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, name).await?;
        if user.disabled {
            return Ok(());
        }
        if user.role == Role::Admin {
            keep_an_admin(&mut tx, name, "disable").await?;
        }
        let now = now_to_the_second().unix_timestamp();
        sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
            .bind(now)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let sessions = sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user.id).execute(&mut *tx).await?;
        let tokens = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let detail =
            format!("ended {} session(s), revoked {} token(s)", sessions.rows_affected(), tokens.rows_affected());
        super::audit::record(&mut tx, actor, "user.disable", name, &detail).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lets a disabled person sign in again. Their old tokens stay revoked.
    pub async fn enable_user(&self, actor: &str, name: &str) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, name).await?;
        if !user.disabled {
            return Ok(());
        }
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(user.id).execute(&mut *tx).await?;
        super::audit::record(&mut tx, actor, "user.enable", name, "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replaces `name`'s password hash and ends their sessions, all but the
    /// one whose id hash is `keep_session` (the person changing their own).
    /// `action` is what the audit log calls it.
    pub async fn set_password(
        &self,
        actor: &str,
        name: &str,
        password_hash: &str,
        keep_session: Option<&str>,
        action: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        let user = user_in(&mut tx, name).await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user.id)
            .bind(keep_session.unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        let detail = format!("ended {} session(s)", ended.rows_affected());
        super::audit::record(&mut tx, actor, action, name, &detail).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The user `name`, read inside a write.
async fn user_in(tx: &mut Transaction<'static, Any>, name: &str) -> Result<User, StoreError> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"))
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?;
    row.as_ref().map(user_from_row).transpose()?.ok_or_else(|| StoreError::NoSuchUser(name.to_string()))
}

/// Refuses a change that would leave no active admin but `name`.
async fn keep_an_admin(tx: &mut Transaction<'static, Any>, name: &str, change: &str) -> Result<(), StoreError> {
    let others: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL AND name <> $1")
            .bind(name)
            .fetch_one(&mut **tx)
            .await?
            .try_get("n")?;
    if others == 0 {
        return Err(StoreError::LastAdmin(format!(
            "`{name}` is the only active admin: make someone else an admin before you {change} them"
        )));
    }
    Ok(())
}

fn role_of(row: &sqlx::any::AnyRow) -> Result<Role, StoreError> {
    let role: String = row.try_get("role")?;
    Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role `{role}` is not a known role")))
}

/// A user from a row holding `USER_COLUMNS`, as the users table and the
/// joins of sessions and tokens do.
pub(super) fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: role_of(row)?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
    })
}
