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
/// How long failures are remembered, and how long the first lock-out lasts.
pub(crate) const WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// Each lock-out of a key within [`STRIKES_KEPT`] of the last lasts twice as long as the one
/// before, up to this.
pub(crate) const MAX_LOCK: SignedDuration = SignedDuration::from_hours(24);
/// How long a lock-out counts towards the next one's length.
pub(crate) const STRIKES_KEPT: SignedDuration = SignedDuration::from_hours(24);
/// Keys kept at most; the oldest windows are dropped first when full.
const MAX_KEYS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Attempts counted in the window that began at `start`.
    failures: u32,
    start: Timestamp,
    /// Lock-outs so far (each doubles the next).
    strikes: u32,
    locked_until: Option<Timestamp>,
}

impl Entry {
    /// Whether the entry still matters at `now` (a window, a lock-out, or strikes to remember).
    fn live(&self, now: Timestamp) -> bool {
        self.start.checked_add(WINDOW).is_ok_and(|e| e > now)
            || self
                .locked_until
                .is_some_and(|u| u.checked_add(STRIKES_KEPT).is_ok_and(|e| e > now))
    }
}

#[derive(Default)]
pub(crate) struct SignInLimiter {
    failures: Mutex<HashMap<String, Entry>>,
}

/// Keys are bounded in length, so that a huge "e-mail address" cannot take much memory.
fn bounded_key(k: &str) -> String {
    k.chars().take(300).collect()
}

/// How long the lock-out after `strikes` earlier ones lasts: 15 minutes, 30, 1 hour, … 24 hours.
fn lock_length(strikes: u32) -> SignedDuration {
    let mins = 15i64.saturating_mul(1i64 << strikes.min(10));
    SignedDuration::from_mins(mins).min(MAX_LOCK)
}

impl SignInLimiter {
    /// Counts an attempt against every key, or refuses it with the seconds to wait if any key is
    /// locked out. A key that reaches its limit is locked out for [`lock_length`]. Counting before
    /// the (slow) password check means that parallel guesses cannot all slip past the limit; a
    /// success then takes its attempt back ([`SignInLimiter::succeeded`]).
    pub(crate) fn attempt(&self, keys: &[String], now: Timestamp) -> Result<(), u64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        for k in keys {
            if let Some(until) = map.get(&bounded_key(k)).and_then(|e| e.locked_until) {
                if until > now {
                    let wait = now.duration_until(until).as_secs().max(1);
                    return Err(wait as u64);
                }
            }
        }
        if map.len() >= MAX_KEYS {
            map.retain(|_, e| e.live(now));
            if map.len() >= MAX_KEYS {
                // Still full of live windows: forget the oldest half.
                let mut starts: Vec<Timestamp> = map.values().map(|e| e.start).collect();
                starts.sort();
                let cutoff = starts[starts.len() / 2];
                map.retain(|_, e| e.start > cutoff);
            }
        }
        for k in keys {
            let e = map.entry(bounded_key(k)).or_insert(Entry {
                failures: 0,
                start: now,
                strikes: 0,
                locked_until: None,
            });
            if e.start.checked_add(WINDOW).is_ok_and(|end| end <= now) {
                if !e.live(now) {
                    e.strikes = 0;
                }
                e.failures = 0;
                e.start = now;
            }
            e.failures += 1;
            if e.failures >= limit_of(k) {
                e.locked_until = now.checked_add(lock_length(e.strikes)).ok();
                e.strikes += 1;
                e.failures = 0;
                e.start = now;
            }
        }
        Ok(())
    }

    /// Whether `key` is locked out at `now`.
    pub(crate) fn is_locked(&self, key: &str, now: Timestamp) -> bool {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.get(&bounded_key(key))
            .and_then(|e| e.locked_until)
            .is_some_and(|u| u > now)
    }

    /// A successful sign-in clears the account's count and lock-outs (not the address's: signing
    /// in to one's own account must not reset the limit on guessing others').
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
    fn lock_outs_back_off() {
        let l = SignInLimiter::default();
        let mut t = Timestamp::from_second(1_800_000_000).unwrap();
        let keys = vec!["email:a@example.com".to_string()];
        let mut waits = vec![];
        for _ in 0..8 {
            for _ in 0..MAX_FAILURES {
                assert!(l.attempt(&keys, t).is_ok());
            }
            assert!(l.is_locked("email:a@example.com", t));
            let wait = l.attempt(&keys, t).unwrap_err();
            waits.push(wait / 60);
            t = t
                .checked_add(SignedDuration::from_secs(wait as i64))
                .unwrap();
            assert!(!l.is_locked("email:a@example.com", t));
        }
        assert_eq!(waits, [15, 30, 60, 120, 240, 480, 960, 1440]);
        // A success forgets the strikes.
        l.succeeded("email:a@example.com");
        for _ in 0..MAX_FAILURES {
            assert!(l.attempt(&keys, t).is_ok());
        }
        assert_eq!(l.attempt(&keys, t), Err(15 * 60));
        // So does a day without lock-outs.
        let t2 = t
            .checked_add(WINDOW)
            .and_then(|t| t.checked_add(STRIKES_KEPT))
            .unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(l.attempt(&keys, t2).is_ok());
        }
        assert_eq!(l.attempt(&keys, t2), Err(15 * 60));
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
        drop(map);
        assert!(!l.is_locked("email:0", t0));
    }
}
