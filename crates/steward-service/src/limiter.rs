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

/// Keys are bounded in length, so that a huge "e-mail address" cannot take much memory.
fn bounded_key(k: &str) -> String {
    k.chars().take(300).collect()
}

impl SignInLimiter {
    /// Counts an attempt against every key, or refuses it with the seconds to wait if any key has
    /// used up its attempts. Counting before the (slow) password check means that parallel
    /// guesses cannot all slip past the limit; a success then takes its attempt back
    /// ([`SignInLimiter::succeeded`]).
    pub(crate) fn attempt(&self, keys: &[String], now: Timestamp) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if let Some((n, start)) = map.get(&bounded_key(k)) {
                let ends = start.checked_add(WINDOW).unwrap_or(*start);
                if *n >= limit_of(k) && ends > now {
                    let wait = now.duration_until(ends).as_secs().max(1);
                    return Err(wait as u64);
                }
            }
        }
        if map.len() >= MAX_KEYS {
            map.retain(|_, (_, start)| start.checked_add(WINDOW).is_ok_and(|e| e > now));
            if map.len() >= MAX_KEYS {
                // Still full of live windows: forget the oldest half.
                let mut starts: Vec<Timestamp> = map.values().map(|(_, s)| *s).collect();
                starts.sort();
                let cutoff = starts[starts.len() / 2];
                map.retain(|_, (_, start)| *start > cutoff);
            }
        }
        for k in keys {
            let e = map.entry(bounded_key(k)).or_insert((0, now));
            if e.1.checked_add(WINDOW).is_ok_and(|end| end <= now) {
                *e = (0, now);
            }
            e.0 += 1;
        }
        Ok(())
    }

    /// A successful sign-in clears the account's count (not the address's: signing in to one's
    /// own account must not reset the limit on guessing others').
    pub(crate) fn succeeded(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(&bounded_key(key));
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
            assert!(l.attempt(&keys, t0).is_ok());
        }
        assert_eq!(l.attempt(&keys, t0), Err(15 * 60));
        // The address alone is not locked out yet: others behind it may still sign in.
        let other = vec!["email:b@example.com".to_string(), "ip:10.0.0.1".to_string()];
        assert!(l.attempt(&other, t0).is_ok());
        // A success clears the account, not the address.
        l.succeeded("email:b@example.com");
        for _ in 0..(MAX_FAILURES_PER_IP - MAX_FAILURES - 1) {
            let _ = l.attempt(&other, t0);
            l.succeeded("email:b@example.com");
        }
        assert!(
            l.attempt(&other, t0).is_err(),
            "the address runs out of attempts"
        );
        let later = t0.checked_add(WINDOW).unwrap();
        assert!(l.attempt(&keys, later).is_ok());
    }

    #[test]
    fn memory_stays_bounded() {
        let l = SignInLimiter::default();
        let t0 = Timestamp::from_second(1_800_000_000).unwrap();
        for i in 0..(MAX_KEYS + 10) {
            let _ = l.attempt(&[format!("email:{i}{}", "x".repeat(1000))], t0);
        }
        let map = l.failures.lock().unwrap();
        assert!(map.len() <= MAX_KEYS);
        assert!(map.keys().all(|k| k.chars().count() <= 300));
    }
}
