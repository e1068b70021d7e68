//! Who may do what. Passwords and API tokens are checked here, and one
//! extractor, `Caller`, tells every handler who is asking; `Writer` refuses
//! anyone who may not change reports.

mod caller;
pub mod limiter;
pub mod password;
pub mod session;
pub mod tokens;

pub use caller::{Caller, Writer};
pub use password::{generate_password, hash_password, verify_password};
/// The account a first start creates when there is none.
pub const FIRST_ADMIN: &str = "admin";

/// Adds a user with a freshly generated password, and returns the password:
/// the only time it exists outside the person's head.
pub async fn add_user(
    store: &crate::store::Store,
    name: &str,
    role: crate::domain::Role,
    by: &str,
) -> anyhow::Result<(crate::store::User, String)> {
    let name = crate::domain::user::validate_user_name(name).map_err(anyhow::Error::msg)?;
    let password = generate_password()?;
    let hash = hash_password(&password)?;
    let user = store.create_user(&name, role, &hash, by).await?;
    Ok((user, password))
}

/// Gives `name` a freshly generated password, ending their sessions, and
/// returns it: shown once to the admin, who passes it on.
pub async fn reset_password(store: &crate::store::Store, name: &str, by: &str) -> anyhow::Result<String> {
    let password = generate_password()?;
    let hash = hash_password(&password)?;
    store.set_password(by, name, &hash, None, "user.reset-password").await?;
    Ok(password)
}

/// On a database without users, creates the first admin and returns its
/// name and password; `None` once anyone exists. Two servers starting at
/// once cannot both succeed: the name is unique.
pub async fn create_first_admin(store: &crate::store::Store) -> anyhow::Result<Option<(String, String)>> {
    if store.count_users().await? > 0 {
        return Ok(None);
    }
    match add_user(store, FIRST_ADMIN, crate::domain::Role::Admin, "first start").await {
        Ok((user, password)) => Ok(Some((user.name, password))),
        Err(error)
            if matches!(
                error.downcast_ref::<crate::store::StoreError>(),
                Some(crate::store::StoreError::DuplicateName(_))
            ) =>
        {
            Ok(None)
        }
        Err(error) => Err(error),
    }
}
