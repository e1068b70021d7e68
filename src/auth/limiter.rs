//! The sign-in rate limit: after 10 failures within a minute, for one
//! account or from one client address, sign-in answers 429 until the oldest
//! failure is a minute old.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: usize = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Keys kept at most; the map is swept of stale keys when it grows past this.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// `Some(seconds to wait)` when any of `keys` is over the limit.
    pub fn retry_after(&self, keys: &[String]) -> Option<u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        keys.iter()
            .filter_map(|key| {
                let times = failures.get_mut(key)?;
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                (times.len() >= MAX_FAILURES)
                    .then(|| times.front().map_or(1, |oldest| (WINDOW - now.duration_since(*oldest)).as_secs() + 1))
            })
            .max()
    }

    pub fn record_failure(&self, keys: &[String]) {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() > MAX_KEYS {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        for key in keys {
            failures.entry(key.clone()).or_default().push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_attempt_within_a_minute_is_refused() {
        let limiter = SignInLimiter::default();
        let keys = vec!["user:ada".to_string(), "ip:127.0.0.1".to_string()];
        for _ in 0..MAX_FAILURES {
            assert_eq!(limiter.retry_after(&keys), None);
            limiter.record_failure(&keys);
        }
        let wait = limiter.retry_after(&keys).expect("limited");
        assert!((1..=60).contains(&wait));
        assert_eq!(limiter.retry_after(&["user:grace".to_string()]), None, "other accounts are unaffected");
        assert!(limiter.retry_after(&["ip:127.0.0.1".to_string(), "user:grace".to_string()]).is_some());
    }
}
