//! When to retry and how long to wait: exponential backoff with full jitter, bounded by a
//! number of attempts and a total time.

use std::cell::Cell;
use std::time::Duration;

/// Retry settings. The defaults suit an unattended export: 6 attempts, 0.5 s doubling to at
/// most 30 s, and no new attempt after 5 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// No attempt starts later than this after the first one.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            max_elapsed: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Full jitter: a uniform wait in `[0, min(max, initial × 2^(attempt-1))]`, so that many
    /// clients failing together do not come back together.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(20);
        let ceiling = self
            .initial_backoff
            .saturating_mul(1 << exp)
            .min(self.max_backoff);
        ceiling.mul_f64(random_unit())
    }
}

/// Something the client waited for or retried, reported through `tracing` and the
/// [`crate::ConfigBuilder::on_event`] hook.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// A request failed and will be sent again after `wait`.
    Retry {
        method: String,
        path: String,
        /// The attempt that failed (1-based).
        attempt: u32,
        wait: Duration,
        reason: String,
    },
    /// The server said 429; every request of this client pauses for `wait`.
    RateLimited {
        method: String,
        path: String,
        wait: Duration,
    },
    /// The client's own budget (or the server's headers) made a request wait.
    Throttled { wait: Duration },
}

/// A uniform number in `[0, 1)` from a per-thread xorshift seeded by the OS-randomised hasher:
/// jitter needs spread, not cryptographic quality, so no `rand` dependency.
pub(crate) fn random_unit() -> f64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(seed());
    }
    STATE.with(|state| {
        let mut x = state.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        state.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    h.finish() | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded_and_spread() {
        let p = RetryPolicy::default();
        let waits: Vec<Duration> = (0..200).map(|_| p.backoff(3)).collect();
        assert!(waits.iter().all(|w| *w <= Duration::from_secs(2)));
        let distinct: std::collections::HashSet<_> = waits.iter().collect();
        assert!(distinct.len() > 150, "jitter spreads the waits");
        assert!((0..50).all(|_| p.backoff(40) <= p.max_backoff));
    }

    #[test]
    fn unit_stays_in_range() {
        assert!(
            (0..10_000)
                .map(|_| random_unit())
                .all(|x| (0.0..1.0).contains(&x))
        );
    }
}
