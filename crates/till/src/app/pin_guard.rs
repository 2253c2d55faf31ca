//! Wrong PINs at the counter. The till recognises people by their PIN alone,
//! so a wrong one names nobody and cannot lock a user out (`till users`, where
//! `--by` names the person, does). Instead the counter itself stops taking
//! PINs after [`MAX_PIN_FAILURES`] wrong ones in a row, for a minute, then
//! twice as long at each new series (at most an hour): trying the 10,000
//! four-digit PINs then takes weeks instead of an afternoon. Each lock-out is
//! journaled. It lifts by itself when the time is up; a right PIN resets the
//! count. Pure: the caller passes the time in.

use chrono::{DateTime, Duration, FixedOffset};
use till_core::auth::MAX_PIN_FAILURES;

/// The counter's count of wrong PINs and its lock-out.
#[derive(Debug, Default, Clone)]
pub struct PinGuard {
    misses: u32,
    lockouts: u32,
    until: Option<DateTime<FixedOffset>>,
}

impl PinGuard {
    /// Seconds left before PINs are taken again, if locked.
    pub fn locked(&self, now: DateTime<FixedOffset>) -> Option<i64> {
        self.until
            .filter(|u| *u > now)
            .map(|u| (u - now).num_seconds().max(1))
    }

    /// A wrong PIN; returns the lock-out it starts (seconds), if any.
    pub fn miss(&mut self, now: DateTime<FixedOffset>) -> Option<i64> {
        self.misses += 1;
        if self.misses < MAX_PIN_FAILURES {
            return None;
        }
        self.misses = 0;
        let secs = (60i64 << self.lockouts.min(6)).min(3600);
        self.lockouts = self.lockouts.saturating_add(1);
        self.until = Some(now + Duration::seconds(secs));
        Some(secs)
    }

    /// A right PIN: the count starts over (the next lock-out is short again).
    pub fn hit(&mut self) {
        self.misses = 0;
        self.lockouts = 0;
        self.until = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_misses_lock_for_a_minute_then_longer() {
        let t0 = DateTime::parse_from_rfc3339("2026-11-23T10:00:00+01:00").unwrap();
        let mut g = PinGuard::default();
        for _ in 1..MAX_PIN_FAILURES {
            assert_eq!(g.miss(t0), None);
        }
        assert_eq!(g.locked(t0), None);
        assert_eq!(g.miss(t0), Some(60));
        assert_eq!(g.locked(t0 + Duration::seconds(30)), Some(30));
        let t1 = t0 + Duration::seconds(61);
        assert_eq!(g.locked(t1), None);
        for _ in 1..MAX_PIN_FAILURES {
            g.miss(t1);
        }
        assert_eq!(g.miss(t1), Some(120));
        g.hit();
        assert_eq!(g.locked(t1), None);
    }
}
