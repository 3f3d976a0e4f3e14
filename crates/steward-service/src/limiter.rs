//! Slows down password guessing: after too many failed sign-ins for one e-mail address or from one
//! address, further attempts are refused until the window passes. Kept in memory (per process).

use std::collections::HashMap;
use std::sync::Mutex;

use jiff::SignedDuration;
use steward_domain::Timestamp;

/// Failures allowed per e-mail address within [`WINDOW`].
pub(crate) const MAX_FAILURES: u32 = 10;
/// Failures allowed per client address within [`WINDOW`]: higher, because a whole office may sit
/// behind one address.
pub(crate) const MAX_FAILURES_PER_IP: u32 = 50;

/// The limit for a key (`email:…` or `ip:…`).
fn limit_of(key: &str) -> u32 {
    if key.starts_with("ip:") {
        MAX_FAILURES_PER_IP
    } else {
        MAX_FAILURES
    }
}
/// How long failures are remembered.
pub(crate) const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Keys kept at most; the oldest windows are dropped first when full.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<String, (u32, Timestamp)>>,
}

impl SignInLimiter {
    /// `Err(seconds to wait)` if any of `keys` has used up its failures.
    pub(crate) fn check(&self, keys: &[String], now: Timestamp) -> Result<(), u64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if let Some((n, start)) = map.get(k) {
                let ends = start.checked_add(WINDOW).unwrap_or(*start);
                if *n >= limit_of(k) && ends > now {
                    let wait = now.duration_until(ends).as_secs().max(1);
                    return Err(wait as u64);
                }
            }
        }
        Ok(())
    }

    pub(crate) fn failed(&self, keys: &[String], now: Timestamp) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS {
            map.retain(|_, (_, start)| start.checked_add(WINDOW).is_ok_and(|e| e > now));
        }
        for k in keys {
            let e = map.entry(k.clone()).or_insert((0, now));
            if e.1.checked_add(WINDOW).is_ok_and(|end| end <= now) {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    pub(crate) fn succeeded(&self, keys: &[String]) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            map.remove(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_max_failures_until_the_window_passes() {
        let l = SignInLimiter::default();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        let keys = vec!["email:a@example.com".to_string(), "ip:10.0.0.1".to_string()];
        for _ in 0..MAX_FAILURES {
            assert!(l.check(&keys, t0).is_ok());
            l.failed(&keys, t0);
        }
        assert_eq!(l.check(&keys, t0), Err(15 * 60));
        // The address alone is not locked out yet: others behind it may still sign in.
        assert!(l.check(&["ip:10.0.0.1".to_string()], t0).is_ok());
        let later = t0.checked_add(WINDOW).unwrap();
        assert!(l.check(&keys, later).is_ok());
        l.succeeded(&keys);
        assert!(l.check(&keys, t0).is_ok());
    }
}
