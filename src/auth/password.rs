//! Passwords: generated at random, hashed with Argon2id, verified by the
//! hash's own comparison. A password is never stored, only shown once to
//! the person it was made for.

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// Letters and digits a person can read back without confusing them
/// (no 0/O, 1/l/I).
const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const GENERATED_LEN: usize = 20;

/// A fresh random password of 20 characters (about 116 bits).
pub fn generate_password() -> anyhow::Result<String> {
    random_text(GENERATED_LEN)
}

/// `len` characters drawn uniformly from `ALPHABET`.
pub fn random_text(len: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; len * 2];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
    // Rejection sampling keeps every character equally likely.
    let limit = 256 - 256 % ALPHABET.len();
    let password: String = bytes
        .iter()
        .filter(|byte| usize::from(**byte) < limit)
        .take(len)
        .map(|byte| ALPHABET[usize::from(*byte) % ALPHABET.len()] as char)
        .collect();
    if password.len() < len {
        return random_text(len);
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
