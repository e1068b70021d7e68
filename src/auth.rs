//! Passwords: generated at random, hashed with Argon2id, verified in
//! constant time by the hash's own comparison. A password is never stored
//! or logged, only shown once to the person it was made for.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Letters and digits a person can read back without confusing them
/// (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GENERATED_LEN: usize = 20;

/// A fresh random password of 20 characters (about 116 bits).
pub fn generate_password() -> anyhow::Result<String> {
    let mut bytes = [0u8; GENERATED_LEN * 2];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let password: String = bytes
        .iter()
        .filter(|byte| usize::from(**byte) < limit)
        .take(GENERATED_LEN)
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect();
    if password.len() < GENERATED_LEN {
        return generate_password();
    }
    Ok(password)
}

/// The Argon2id hash of `password`, as a PHC string with its own salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|error| anyhow::anyhow!("could not hash the password: {error}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_nothing_else_does() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("correct horse battery stapler", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery staple").unwrap(), "each hash has its own salt");
    }

    #[test]
    fn generated_passwords_are_long_readable_and_different() {
        let first = generate_password().unwrap();
        assert_eq!(first.len(), GENERATED_LEN);
        assert!(first.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(first, generate_password().unwrap());
    }
}
