//! Webhooks: a JSON POST to each registered address when a report is
//! published, changed while published, unpublished or deleted. Sent in the
//! background from the change log, so a write never waits for a receiver:
//! the write logs what it announces in its own transaction, and this task
//! turns the log into deliveries, sends each hook's in order, and retries
//! a failed one with growing pauses until it is delivered or given up.
//!
//! Each body is signed like GitHub's: `X-Hindsight-Signature-256:
//! sha256=<hex HMAC-SHA256 of the body with the hook's secret>`.
//! `X-Hindsight-Delivery` names the delivery: a receiver that sees one
//! twice (a server stopped between sending and recording) may drop it.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::incident::MAX_URL_CHARS;
use crate::domain::reported_time::now_to_the_second;
use crate::store::{Attempt, Delivery, Store};

/// How deliveries are paced.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How often the change log and the due deliveries are looked at.
    pub poll: Duration,
    /// The pause after the first failed attempt; it doubles after each.
    pub first_retry: Duration,
    /// The longest pause between attempts.
    pub longest_retry: Duration,
    /// Attempts before a delivery is given up.
    pub max_attempts: i64,
    /// How long a receiver has to answer.
    pub timeout: Duration,
}

impl Default for Settings {
    /// Retries after 10 s, 20 s, 40 s … up to an hour apart, for about a
    /// day and a half.
    fn default() -> Settings {
        Settings {
            poll: Duration::from_secs(1),
            first_retry: Duration::from_secs(10),
            longest_retry: Duration::from_secs(3_600),
            max_attempts: 40,
            timeout: Duration::from_secs(10),
        }
    }
}

impl Settings {
    /// The pause after the `attempts`-th failed attempt.
    pub fn pause_after(&self, attempts: i64) -> Duration {
        let doubled = self.first_retry.saturating_mul(1u32 << attempts.clamp(1, 20).saturating_sub(1) as u32);
        doubled.min(self.longest_retry)
    }
}

/// A new hook's secret: 32 random bytes, as hex.
pub fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|error| anyhow::anyhow!("no randomness available: {error}"))?;
    Ok(hex(&bytes))
}

/// The signature header's value for `body`: `sha256=` and the hex digest.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(body);
    format!("sha256={}", hex(&mac.finalize().into_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A webhook's address, checked: http or https, one line, of a sane length.
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return Err("must start with https:// (or http://)".into());
    }
    if url.len() > MAX_URL_CHARS {
        return Err(format!("must be at most {MAX_URL_CHARS} characters"));
    }
    if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err("must be one address, without spaces".into());
    }
    reqwest::Url::parse(url).map_err(|error| format!("is not an address: {error}"))?;
    Ok(url.to_string())
}

/// Starts sending deliveries in the background, for as long as the
/// process runs.
pub fn spawn(store: Store, settings: Settings) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Hindsight-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()
        {
            Ok(client) => client,
            Err(error) => return tracing::error!(%error, "webhooks cannot be sent: no HTTP client"),
        };
        loop {
            if let Err(error) = round(&store, &client, &settings).await {
                tracing::warn!(error = format!("{error:#}"), "webhooks: a round of deliveries failed; trying again");
            }
            tokio::time::sleep(settings.poll).await;
        }
    })
}

/// Queues what the change log announces, then sends each hook's next due
/// delivery, all at once.
async fn round(store: &Store, client: &reqwest::Client, settings: &Settings) -> anyhow::Result<()> {
    while store.queue_deliveries(500).await? == 500 {}
    let now = now_to_the_second().unix_timestamp();
    let lease = now + settings.timeout.as_secs() as i64 * 3 + 5;
    let claimed = store.claim_deliveries(now, lease).await?;
    let sends = claimed.into_iter().map(|delivery| async move {
        let attempt = send(client, &delivery, settings).await;
        if let Attempt::Failed { error, .. } = &attempt {
            tracing::info!(delivery = delivery.id, url = %delivery.url, %error, "webhook delivery failed");
        }
        crate::metrics::metrics().webhook_attempt(matches!(attempt, Attempt::Delivered { .. }));
        store.record_attempt(delivery.id, &attempt, now_to_the_second().unix_timestamp()).await
    });
    for recorded in futures_util::future::join_all(sends).await {
        recorded?;
    }
    Ok(())
}

async fn send(client: &reqwest::Client, delivery: &Delivery, settings: &Settings) -> Attempt {
    let body = delivery.payload.clone().into_bytes();
    let response = client
        .post(&delivery.url)
        .header("Content-Type", "application/json")
        .header("X-Hindsight-Event", &delivery.event)
        .header("X-Hindsight-Delivery", delivery.id.to_string())
        .header("X-Hindsight-Signature-256", sign(&delivery.secret, &body))
        .body(body)
        .send()
        .await;
    let attempts = delivery.attempts + 1;
    let retry_at = (attempts < settings.max_attempts)
        .then(|| now_to_the_second().unix_timestamp() + settings.pause_after(attempts).as_secs().max(1) as i64);
    match response {
        Ok(response) if response.status().is_success() => Attempt::Delivered { status: response.status().as_u16() },
        Ok(response) => Attempt::Failed {
            status: Some(response.status().as_u16()),
            error: format!("the receiver answered {}", response.status()),
            retry_at,
        },
        Err(error) => Attempt::Failed { status: None, error: describe(&error), retry_at },
    }
}

/// Why a request failed, in words an admin can act on.
fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".into()
    } else if error.is_connect() {
        "could not connect".into()
    } else {
        let mut text = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_is_the_hmac_of_the_body_as_github_writes_it() {
        // RFC 4231's second test case.
        let mac = sign("Jefe", b"what do ya want for nothing?");
        assert_eq!(mac, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn pauses_double_up_to_the_longest() {
        let settings = Settings::default();
        assert_eq!(settings.pause_after(1), Duration::from_secs(10));
        assert_eq!(settings.pause_after(3), Duration::from_secs(40));
        assert_eq!(settings.pause_after(30), Duration::from_secs(3_600));
    }

    #[test]
    fn only_web_addresses_are_taken() {
        assert!(check_url("https://hooks.example.com/hindsight").is_ok());
        assert!(check_url("ftp://example.com").is_err());
        assert!(check_url("https://exa mple.com").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
    }
}
