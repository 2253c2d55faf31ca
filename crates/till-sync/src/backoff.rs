//! Exponential backoff with full jitter: the n-th retry waits a uniformly
//! random time in [0, min(cap, base * 2^n)], so a shop's tills coming back
//! online together do not all knock on head office at the same instant.

use std::time::Duration;

/// Backoff state: how many failures in a row.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
}

impl Backoff {
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap,
            failures: 0,
        }
    }

    /// The ceiling of the next wait: min(cap, base * 2^failures).
    pub fn ceiling(&self) -> Duration {
        let factor = 2u32.saturating_pow(self.failures.min(30));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// Records a failure and returns how long to wait before the next try.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.failures = self.failures.saturating_add(1);
        ceiling.mul_f64(random_unit())
    }

    /// A success: start again from the base.
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

/// A uniform number in [0, 1). Falls back to the clock's nanoseconds if the
/// OS randomness is unavailable: jitter only needs to differ between tills.
fn random_unit() -> f64 {
    let mut b = [0u8; 8];
    let v = match getrandom::getrandom(&mut b) {
        Ok(()) => u64::from_le_bytes(b),
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::from(d.subsec_nanos()).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .unwrap_or(0),
    };
    (v >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_secs(2));
        let mut ceilings = Vec::new();
        for _ in 0..8 {
            ceilings.push(b.ceiling());
            let d = b.next_delay();
            assert!(d <= *ceilings.last().unwrap_or(&Duration::ZERO));
        }
        assert_eq!(ceilings[0], Duration::from_millis(100));
        assert_eq!(ceilings[3], Duration::from_millis(800));
        assert_eq!(ceilings[7], Duration::from_secs(2));
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(100));
    }

    #[test]
    fn jitter_spreads() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(1));
        let waits: Vec<Duration> = (0..32).map(|_| b.next_delay()).collect();
        let distinct: std::collections::BTreeSet<_> = waits.iter().collect();
        assert!(distinct.len() > 16, "full jitter draws different waits");
    }
}
