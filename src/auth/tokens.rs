//! API tokens: a random secret shown once, stored as its SHA-256 hash. The
//! secret is long and random, so a fast hash is enough: nothing to guess.

use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::password::random_text;
use crate::domain::user::TokenRequest;
use crate::domain::{Scope, ValidationErrors};
use crate::store::Store;

/// Tokens start with this, so they are easy to recognise in a leak scan.
pub const PREFIX: &str = "hst_";
const SECRET_LEN: usize = 40;

pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Why a token was not issued.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefused {
    #[error("{0}")]
    Invalid(ValidationErrors),
    #[error("there is no user named `{0}`")]
    NoSuchUser(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Issues a token that acts as the user `user`, as asked for in text (a
/// form or the command line), under the domain's token rules for that
/// user's role. Returns the secret, the only time it is seen.
pub async fn issue_token(
    store: &Store,
    actor: &str,
    user: &str,
    name: &str,
    scope: &str,
    days: &str,
) -> Result<String, TokenRefused> {
    let found = store.get_user(user).await.map_err(anyhow::Error::from)?;
    let found = found.ok_or_else(|| TokenRefused::NoSuchUser(user.to_string()))?;
    let request = TokenRequest::validate(name, scope, days, found.role).map_err(TokenRefused::Invalid)?;
    Ok(add_token(store, actor, &found.name, &request.name, request.scope, request.valid_for_days).await?)
}

/// Stores a token for the user `name` and returns the secret, the only
/// time it is seen. It checks nothing about the request: `issue_token`
/// does, for every way a person asks for one.
pub async fn add_token(
    store: &Store,
    actor: &str,
    name: &str,
    label: &str,
    scope: Scope,
    valid_for_days: Option<u32>,
) -> anyhow::Result<String> {
    let user = store.get_user(name).await?.ok_or_else(|| anyhow::anyhow!("there is no user named `{name}`"))?;
    let secret = format!("{PREFIX}{}", random_text(SECRET_LEN)?);
    let expires_at = valid_for_days.map(|days| OffsetDateTime::now_utc() + Duration::days(i64::from(days)));
    store.create_token(actor, user.id, label, &hash_token(&secret), scope, expires_at).await?;
    Ok(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_hashes_are_stable_hex_digests() {
        assert_eq!(hash_token("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_ne!(hash_token("hst_a"), hash_token("hst_b"));
    }
}
