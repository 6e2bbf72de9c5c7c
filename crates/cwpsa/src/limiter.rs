//! The rate limiter every clone of a client shares.
//!
//! Three inputs decide when the next request may start:
//! - the client's own budget (at most N starts in any window of S seconds: a sliding log,
//!   which also satisfies a server counting in fixed windows);
//! - the server's `X-RateLimit-Remaining`/`Reset`, when sent: requests are spread so that the
//!   remaining ones last until the reset, which is how several processes sharing one API member
//!   converge on the member's budget instead of racing for it. When the client has a budget of
//!   its own and the server's count is explained by this client's own recent starts, the
//!   client is alone on the member and its own log is the better clock (the server's `Reset` is
//!   whole seconds, rounded up: obeying it would waste up to a second per window);
//! - a 429's `Retry-After` (or the seconds in its message): everyone pauses that long.
//!
//! The lock is a std mutex held only for arithmetic, never across an await.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::config::RateLimit;
use crate::retry::{Event, random_unit};

#[derive(Debug)]
pub(crate) struct Limiter {
    budget: Option<(u32, Duration)>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Reserved start times, ascending, within the last window.
    starts: VecDeque<Instant>,
    /// No request starts before this (a 429, or the server's spacing).
    not_before: Option<Instant>,
    /// The server's `X-RateLimit-Limit`, when lower than the budget.
    server_limit: Option<u32>,
}

/// The rate-limit signals of one response.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Signals {
    pub limit: Option<u32>,
    pub remaining: Option<u32>,
    pub reset: Option<Duration>,
    pub retry_after: Option<Duration>,
}

impl Signals {
    pub(crate) fn from_headers(headers: &reqwest::header::HeaderMap) -> Signals {
        let number = |name: &str| -> Option<f64> {
            headers
                .get(name)?
                .to_str()
                .ok()?
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite() && *n >= 0.0)
        };
        let seconds = |name: &str| number(name).map(|n| Duration::from_secs_f64(n.min(86_400.0)));
        Signals {
            limit: number("x-ratelimit-limit").map(|n| n as u32),
            remaining: number("x-ratelimit-remaining").map(|n| n as u32),
            reset: seconds("x-ratelimit-reset"),
            // Only the delta-seconds form: ConnectWise sends seconds; an HTTP date is ignored.
            retry_after: seconds("retry-after"),
        }
    }
}

impl Limiter {
    pub(crate) fn new(rate: RateLimit) -> Limiter {
        Limiter {
            budget: match rate {
                RateLimit::Off => None,
                RateLimit::Budget { requests, per } => Some((requests.max(1), per)),
            },
            state: Mutex::new(State::default()),
        }
    }

    /// Waits until a request may start, reserving its slot.
    pub(crate) async fn acquire(&self, notify: &(dyn Fn(&Event) + Sync)) {
        let now = Instant::now();
        let at = {
            let mut s = self.lock();
            let mut at = now;
            if let Some(nb) = s.not_before {
                at = at.max(nb);
            }
            if let Some((requests, per)) = self.budget {
                while s.starts.front().is_some_and(|t| *t + per <= now) {
                    s.starts.pop_front();
                }
                let limit = s.server_limit.map_or(requests, |l| l.clamp(1, requests)) as usize;
                if s.starts.len() >= limit
                    && let Some(oldest) = s.starts.get(s.starts.len() - limit)
                {
                    at = at.max(*oldest + per + safety_margin(per));
                }
                if let Some(last) = s.starts.back() {
                    at = at.max(*last);
                }
                s.starts.push_back(at);
            }
            at
        };
        self.sleep_until(at, now, notify).await;
        // A 429 seen by another task while this one slept pauses it too.
        loop {
            let pause = self.lock().not_before;
            let now = Instant::now();
            match pause {
                Some(nb) if nb > now => self.sleep_until(nb, now, notify).await,
                _ => break,
            }
        }
        self.started(at);
    }

    /// Moves a reservation to when its request really starts: a task woken late (a loaded
    /// machine, a 429 pause) starts after its slot, and the server counts the real arrival, so
    /// the slot must not be reused a window after the earlier, reserved time.
    fn started(&self, reserved: Instant) {
        let now = Instant::now();
        if now <= reserved || self.budget.is_none() {
            return;
        }
        let mut s = self.lock();
        if let Some(slot) = s.starts.iter_mut().find(|t| **t == reserved) {
            *slot = now;
            s.starts.make_contiguous().sort_unstable();
        }
    }

    async fn sleep_until(&self, at: Instant, now: Instant, notify: &(dyn Fn(&Event) + Sync)) {
        if at > now {
            let wait = at - now;
            if wait >= Duration::from_millis(50) {
                tracing::debug!(wait_ms = wait.as_millis() as u64, "rate limiter: waiting");
                notify(&Event::Throttled { wait });
            }
            tokio::time::sleep_until(at).await;
        }
    }

    /// Learns from a response's `X-RateLimit-*` headers.
    pub(crate) fn observe(&self, signals: &Signals) {
        let mut s = self.lock();
        if let Some(limit) = signals.limit.filter(|l| *l > 0) {
            s.server_limit = Some(limit);
        }
        if let (Some(limit), Some(remaining), Some((_, per))) =
            (signals.limit, signals.remaining, self.budget)
        {
            let now = Instant::now();
            let own_recent = s.starts.iter().filter(|t| **t + per > now).count();
            if limit.saturating_sub(remaining) as usize <= own_recent {
                // Alone on the member: the budget's log already paces this client exactly.
                return;
            }
        }
        if let (Some(remaining), Some(reset)) = (signals.remaining, signals.reset) {
            // Spread what is left until the reset; with nothing left, wait for the reset
            // (at least a second, as resets are often whole seconds rounded down).
            let spacing = if remaining == 0 {
                reset.max(Duration::from_secs(1))
            } else {
                reset / (remaining + 1)
            };
            let at = Instant::now() + spacing;
            s.not_before = Some(s.not_before.map_or(at, |nb| nb.max(at)));
        }
    }

    /// Pauses every request for `wait` plus up to a second of jitter (so that clients told the
    /// same thing do not return in the same instant); returns the pause applied.
    pub(crate) fn pause(&self, wait: Duration) -> Duration {
        let total = wait + Duration::from_secs_f64(random_unit());
        let at = Instant::now() + total;
        let mut s = self.lock();
        s.not_before = Some(s.not_before.map_or(at, |nb| nb.max(at)));
        total
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the arithmetic state inconsistent: keep going.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Added to the budget's window before a slot is reused: a request's start is measured here,
/// but the server counts its arrival, a little later; without the margin the first request
/// of a new window could reach a server whose window has not quite closed.
fn safety_margin(per: Duration) -> Duration {
    (per / 100).clamp(Duration::from_millis(5), Duration::from_millis(500))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn budget_allows_n_per_window() {
        let limiter = Limiter::new(RateLimit::Budget {
            requests: 3,
            per: Duration::from_secs(10),
        });
        let start = Instant::now();
        for _ in 0..3 {
            limiter.acquire(&|_| {}).await;
        }
        assert_eq!(Instant::now(), start, "the first three start at once");
        limiter.acquire(&|_| {}).await;
        assert_eq!(
            Instant::now() - start,
            Duration::from_secs(10) + safety_margin(Duration::from_secs(10))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slot_counts_from_the_requests_real_start_not_its_reservation() {
        let per = Duration::from_secs(10);
        let limiter = Limiter::new(RateLimit::Budget { requests: 1, per });
        let start = Instant::now();
        limiter.acquire(&|_| {}).await;
        // The request really went out 300 ms after its slot (a task woken late).
        tokio::time::advance(Duration::from_millis(300)).await;
        limiter.started(start);
        limiter.acquire(&|_| {}).await;
        assert_eq!(
            Instant::now() - start,
            Duration::from_millis(300) + per + safety_margin(per)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_alone_on_the_member_trusts_its_own_log_over_rounded_resets() {
        let per = Duration::from_secs(6);
        let limiter = Limiter::new(RateLimit::Budget { requests: 3, per });
        let start = Instant::now();
        for used in 1..=3 {
            limiter.acquire(&|_| {}).await;
            // The server counted exactly this client's requests; its reset is rounded up.
            limiter.observe(&Signals {
                limit: Some(3),
                remaining: Some(3 - used),
                reset: Some(Duration::from_secs(6)),
                retry_after: None,
            });
        }
        assert_eq!(Instant::now(), start, "no spreading while alone");
        limiter.acquire(&|_| {}).await;
        assert_eq!(Instant::now() - start, per + safety_margin(per));
    }

    #[tokio::test(start_paused = true)]
    async fn another_user_of_the_member_brings_back_the_servers_pacing() {
        let per = Duration::from_secs(6);
        let limiter = Limiter::new(RateLimit::Budget { requests: 10, per });
        let start = Instant::now();
        limiter.acquire(&|_| {}).await;
        // One request of ours, but the server has counted ten: someone else shares the member.
        limiter.observe(&Signals {
            limit: Some(10),
            remaining: Some(0),
            reset: Some(Duration::from_secs(4)),
            retry_after: None,
        });
        limiter.acquire(&|_| {}).await;
        assert_eq!(Instant::now() - start, Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn server_signals_pause_and_spread() {
        let limiter = Limiter::new(RateLimit::Off);
        let start = Instant::now();
        limiter.observe(&Signals {
            remaining: Some(0),
            reset: Some(Duration::from_secs(4)),
            ..Signals::default()
        });
        let events = std::sync::Mutex::new(Vec::new());
        limiter
            .acquire(&|e| {
                events
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(e.clone());
            })
            .await;
        assert_eq!(Instant::now() - start, Duration::from_secs(4));
        assert_eq!(events.lock().map_or(0, |e| e.len()), 1);
        let paused = limiter.pause(Duration::from_secs(2));
        assert!(paused >= Duration::from_secs(2) && paused < Duration::from_secs(3));
        let before = Instant::now();
        limiter.acquire(&|_| {}).await;
        let slept = Instant::now() - before;
        // The timer has millisecond resolution.
        assert!(
            slept >= paused && slept < paused + Duration::from_millis(2),
            "{slept:?} vs {paused:?}"
        );
    }
}
