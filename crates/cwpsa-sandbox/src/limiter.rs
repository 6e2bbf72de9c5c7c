//! Per-API-member rate limiting with fixed windows.
//!
//! A member's window opens with its first request and lasts `window`; within it at most `limit`
//! requests get a non-429 answer, however many connections race (one mutex guards the count).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// `N/Ss` (`60/60s`, `60/6s`), `N/Sms`, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u32,
    pub window: Duration,
}

impl std::str::FromStr for RateLimit {
    type Err = String;
    fn from_str(text: &str) -> Result<RateLimit, String> {
        let bad =
            || format!("invalid rate limit `{text}`: expected N/Ss like 60/60s or 60/6s, or `off`");
        let (count, window) = text.trim().split_once('/').ok_or_else(bad)?;
        let limit: u32 = count
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(bad)?;
        let window = window.trim();
        let window = if let Some(ms) = window.strip_suffix("ms") {
            Duration::from_millis(ms.parse().map_err(|_| bad())?)
        } else if let Some(s) = window.strip_suffix('s') {
            Duration::from_secs_f64(
                s.parse::<f64>()
                    .ok()
                    .filter(|s| *s > 0.0 && s.is_finite())
                    .ok_or_else(bad)?,
            )
        } else if let Some(m) = window.strip_suffix('m') {
            Duration::from_secs(60 * m.parse::<u64>().map_err(|_| bad())?)
        } else {
            return Err(bad());
        };
        if window.is_zero() {
            return Err(bad());
        }
        Ok(RateLimit { limit, window })
    }
}

impl std::fmt::Display for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.window.subsec_millis() == 0 {
            write!(f, "{}/{}s", self.limit, self.window.as_secs())
        } else {
            write!(f, "{}/{}ms", self.limit, self.window.as_millis())
        }
    }
}

/// What the limiter decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the window resets (at least 1 while it is open).
    pub reset_secs: u64,
}

#[derive(Debug)]
struct Window {
    opened: Instant,
    used: u32,
}

#[derive(Debug)]
pub struct Limiter {
    rule: Mutex<Option<RateLimit>>,
    windows: Mutex<HashMap<String, Window>>,
}

impl Limiter {
    pub fn new(rule: Option<RateLimit>) -> Limiter {
        Limiter {
            rule: Mutex::new(rule),
            windows: Mutex::new(HashMap::new()),
        }
    }

    pub fn rule(&self) -> Option<RateLimit> {
        *self
            .rule
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Changes the rule (admin API) and forgets every open window.
    pub fn set_rule(&self, rule: Option<RateLimit>) {
        *self
            .rule
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = rule;
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Counts one request of `member`; `None` when limiting is off.
    pub fn check(&self, member: &str) -> Option<Decision> {
        self.check_at(member, Instant::now())
    }

    fn check_at(&self, member: &str, now: Instant) -> Option<Decision> {
        let rule = self.rule()?;
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let window = windows.entry(member.to_owned()).or_insert(Window {
            opened: now,
            used: 0,
        });
        if now.duration_since(window.opened) >= rule.window {
            *window = Window {
                opened: now,
                used: 0,
            };
        }
        let allowed = window.used < rule.limit;
        if allowed {
            window.used += 1;
        }
        let left = rule
            .window
            .saturating_sub(now.duration_since(window.opened));
        Some(Decision {
            allowed,
            limit: rule.limit,
            remaining: rule.limit - window.used,
            reset_secs: left.as_secs() + u64::from(left.subsec_nanos() > 0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rules() {
        let rule: RateLimit = "60/6s".parse().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rule,
            RateLimit {
                limit: 60,
                window: Duration::from_secs(6)
            }
        );
        assert_eq!(
            "1000/1m".parse::<RateLimit>().map(|r| r.window),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            "5/500ms".parse::<RateLimit>().map(|r| r.to_string()),
            Ok("5/500ms".to_owned())
        );
        for bad in ["", "60", "0/60s", "60/0s", "x/60s", "60/60", "60/-1s"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_window_admits_exactly_the_limit_then_resets() {
        let limiter = Limiter::new(Some(RateLimit {
            limit: 3,
            window: Duration::from_secs(10),
        }));
        let t0 = Instant::now();
        let answers: Vec<bool> = (0..5)
            .filter_map(|_| limiter.check_at("a", t0))
            .map(|d| d.allowed)
            .collect();
        assert_eq!(answers, [true, true, true, false, false]);
        let other = limiter.check_at("b", t0).map(|d| (d.allowed, d.remaining));
        assert_eq!(other, Some((true, 2)), "members have separate budgets");
        let later = limiter.check_at("a", t0 + Duration::from_secs(10));
        assert_eq!(later.map(|d| (d.allowed, d.remaining)), Some((true, 2)));
        let mid = limiter.check_at("a", t0 + Duration::from_millis(12_500));
        assert_eq!(mid.map(|d| d.reset_secs), Some(8));
    }
}
