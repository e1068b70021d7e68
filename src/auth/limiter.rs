//! The sign-in rate limit. Each attempt counts as a failure *before* its
//! password is checked, and a success takes its count back, so a hundred
//! attempts sent at once cannot slip past the limit while the first ones
//! are being checked.
//!
//! Two limits apply, each over the last minute:
//! - 10 failures for one account from one client address: someone guessing
//!   a password from there is slowed, while the account's owner, signing in
//!   from anywhere else, is not locked out;
//! - 30 failures from one client address over any accounts: the same
//!   guesser cannot go round the first limit by trying many names.
//!
//! An attacker with many addresses is slowed by the cost of each check
//! (Argon2, a few at a time; see `heavy_work`), not locked out by name.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS: usize = 10;
pub const MAX_FAILURES_PER_ADDRESS: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Keys kept at most; the map is swept of stale keys when it grows past this.
const MAX_KEYS: usize = 100_000;

/// The limits one sign-in attempt counts against: a key and its most
/// failures within the window.
pub fn sign_in_limits(name: &str, client: IpAddr) -> [(String, usize); 2] {
    [
        (format!("account:{name}@{client}"), MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS),
        (format!("address:{client}"), MAX_FAILURES_PER_ADDRESS),
    ]
}

/// An attempt counted against its limits, until it is known to have
/// succeeded.
#[derive(Debug, Clone, Copy)]
pub struct Attempt(Instant);

#[derive(Debug, Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// Counts an attempt against `limits`, or, when any of them is used up,
    /// counts nothing and says how many seconds to wait.
    pub fn attempt(&self, limits: &[(String, usize)]) -> Result<Attempt, u64> {
        let now = Instant::now();
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() > MAX_KEYS {
            failures.retain(|_, times| times.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let wait = limits
            .iter()
            .filter_map(|(key, most)| {
                let times = failures.get_mut(key)?;
                while times.front().is_some_and(|t| now.duration_since(*t) >= WINDOW) {
                    times.pop_front();
                }
                (times.len() >= *most)
                    .then(|| times.front().map_or(1, |oldest| (WINDOW - now.duration_since(*oldest)).as_secs() + 1))
            })
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in limits {
            failures.entry(key.clone()).or_default().push_back(now);
        }
        Ok(Attempt(now))
    }

    /// Takes back the count of an attempt whose password was right, or was
    /// never checked.
    pub fn take_back(&self, limits: &[(String, usize)], attempt: Attempt) {
        let mut failures = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (key, _) in limits {
            if let Some(times) = failures.get_mut(key) {
                if let Some(at) = times.iter().position(|t| *t == attempt.0) {
                    times.remove(at);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn the_eleventh_attempt_on_one_account_from_one_address_is_refused() {
        let limiter = SignInLimiter::default();
        let limits = sign_in_limits("ada", address(1));
        for _ in 0..MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS {
            limiter.attempt(&limits).expect("under the limit");
        }
        let wait = limiter.attempt(&limits).expect_err("limited");
        assert!((1..=60).contains(&wait));
        assert!(limiter.attempt(&sign_in_limits("ada", address(2))).is_ok(), "the owner elsewhere is not locked out");
        assert!(limiter.attempt(&sign_in_limits("grace", address(1))).is_ok(), "other accounts are unaffected");
    }

    #[test]
    fn one_address_trying_many_accounts_meets_the_wider_limit() {
        let limiter = SignInLimiter::default();
        for n in 0..MAX_FAILURES_PER_ADDRESS {
            limiter.attempt(&sign_in_limits(&format!("user{n}"), address(1))).expect("under the limit");
        }
        assert!(limiter.attempt(&sign_in_limits("someone-new", address(1))).is_err());
        assert!(limiter.attempt(&sign_in_limits("someone-new", address(2))).is_ok());
    }

    #[test]
    fn attempts_count_before_their_check_and_a_success_takes_its_count_back() {
        let limiter = SignInLimiter::default();
        let limits = sign_in_limits("ada", address(1));
        // Counted at once, so concurrent attempts never pass the limit.
        let attempts: Vec<_> = (0..50).filter_map(|_| limiter.attempt(&limits).ok()).collect();
        assert_eq!(attempts.len(), MAX_FAILURES_PER_ACCOUNT_AND_ADDRESS);
        limiter.take_back(&limits, attempts[0]);
        assert!(limiter.attempt(&limits).is_ok(), "the success freed one attempt");
        assert!(limiter.attempt(&limits).is_err());
    }
}
