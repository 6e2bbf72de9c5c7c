//! Fault injection: latency, server errors, proxy errors with HTML bodies, locked records and
//! connection resets, drawn from a PRNG seeded with `--seed` so a run can be repeated exactly.

use std::sync::Mutex;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;
use crate::seed::rng::Rng;

/// Added latency: a fixed number of milliseconds or a `[min, max]` range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Latency {
    Fixed(u64),
    Range([u64; 2]),
}

impl Default for Latency {
    fn default() -> Latency {
        Latency::Fixed(0)
    }
}

impl std::str::FromStr for Latency {
    type Err = String;
    /// `150` or `100..150` (milliseconds).
    fn from_str(text: &str) -> Result<Latency, String> {
        let number = |s: &str| {
            s.trim().trim_end_matches("ms").parse::<u64>().map_err(|_| {
                format!("invalid latency `{text}`: expected milliseconds like 150 or 100..150")
            })
        };
        match text.split_once("..") {
            Some((lo, hi)) => {
                let (lo, hi) = (number(lo)?, number(hi)?);
                if lo > hi {
                    return Err(format!(
                        "invalid latency `{text}`: the minimum is above the maximum"
                    ));
                }
                Ok(Latency::Range([lo, hi]))
            }
            None => Ok(Latency::Fixed(number(text)?)),
        }
    }
}

/// The fault settings, as `GET/PUT /_sandbox/faults` show and change them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Faults {
    /// Added to every API response.
    pub latency_ms: Latency,
    /// Scale the latency by the records in the page / 1000, so big pages are slower
    /// (single records and errors count as one record).
    pub latency_per_page: bool,
    /// Share of requests answered with a server error: 500 (half of them saying "timeout",
    /// as the real service does), or 502/503 with an HTML body, as a proxy would.
    pub fail_rate: f64,
    /// Share of writes answered with 409 `RecordLocked`.
    pub lock_rate: f64,
    /// Share of responses whose connection is cut in the middle of the body.
    pub reset_rate: f64,
    /// The next N API requests fail with `fail_next_status`, whatever the rates.
    pub fail_next: u32,
    /// 500, 502, 503, 409 or 429 for `fail_next`.
    pub fail_next_status: u16,
}

impl Default for Faults {
    fn default() -> Faults {
        Faults {
            latency_ms: Latency::default(),
            latency_per_page: false,
            fail_rate: 0.0,
            lock_rate: 0.0,
            reset_rate: 0.0,
            fail_next: 0,
            fail_next_status: 500,
        }
    }
}

impl Faults {
    fn check(&self) -> Result<(), String> {
        for (name, rate) in [
            ("fail_rate", self.fail_rate),
            ("lock_rate", self.lock_rate),
            ("reset_rate", self.reset_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        if let Latency::Range([lo, hi]) = self.latency_ms
            && lo > hi
        {
            return Err("latency_ms: the minimum is above the maximum".into());
        }
        if ![500, 502, 503, 409, 429].contains(&self.fail_next_status) {
            return Err(format!(
                "fail_next_status must be 500, 502, 503, 409 or 429, not {}",
                self.fail_next_status
            ));
        }
        Ok(())
    }
}

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injected {
    ServerError,
    ServerTimeout,
    BadGateway,
    Unavailable,
    Locked,
    TooManyRequests,
}

impl Injected {
    fn from_status(status: u16) -> Injected {
        match status {
            502 => Injected::BadGateway,
            503 => Injected::Unavailable,
            409 => Injected::Locked,
            429 => Injected::TooManyRequests,
            _ => Injected::ServerError,
        }
    }

    pub fn response(self) -> Response {
        let html = |status: StatusCode, title: &str| {
            let body = format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
            );
            let mut response = (status, body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
            response
        };
        match self {
            Injected::ServerError => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError", "An error has occurred.").into_response(),
            Injected::ServerTimeout => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "Execution Timeout Expired. The timeout period elapsed prior to completion of the operation or the server is not responding.",
            )
            .into_response(),
            Injected::BadGateway => html(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
            Injected::Unavailable => html(StatusCode::SERVICE_UNAVAILABLE, "503 Service Temporarily Unavailable"),
            Injected::Locked => ApiError::new(
                StatusCode::CONFLICT,
                "RecordLocked",
                "The record is being edited by another user. Try again later.",
            )
            .into_response(),
            Injected::TooManyRequests => {
                let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RateLimitExceeded", "Rate limit exceeded. Try again in 1 seconds.").into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                response
            }
        }
    }
}

/// What to do to one request.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Plan {
    pub latency: Duration,
    pub scale_with_page: bool,
    pub fail: Option<Injected>,
    pub reset: bool,
}

#[derive(Debug)]
pub struct FaultState {
    inner: Mutex<(Faults, Rng)>,
}

impl FaultState {
    pub fn new(faults: Faults, seed: u64) -> FaultState {
        FaultState {
            inner: Mutex::new((faults, Rng::new(seed, 0xFA17, 0))),
        }
    }

    pub fn get(&self) -> Faults {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0
            .clone()
    }

    /// Applies a partial update: only the keys present change. Unknown keys or bad values
    /// change nothing and explain why.
    pub fn update(&self, changes: &Value) -> Result<Faults, String> {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Value::Object(changes) = changes else {
            return Err("the body must be a JSON object of fault settings".into());
        };
        let Value::Object(mut merged) =
            serde_json::to_value(&guard.0).map_err(|e| e.to_string())?
        else {
            return Err("fault settings are not an object".into());
        };
        for (key, value) in changes {
            merged.insert(key.clone(), value.clone());
        }
        let faults: Faults =
            serde_json::from_value(Value::Object(merged)).map_err(|e| e.to_string())?;
        faults.check()?;
        guard.0 = faults.clone();
        Ok(faults)
    }

    /// Draws the faults for one API request.
    pub fn plan(&self, is_write: bool) -> Plan {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (faults, rng) = &mut *guard;
        let latency = match faults.latency_ms {
            Latency::Fixed(ms) => ms,
            Latency::Range([lo, hi]) => rng.range(lo as i64, hi as i64) as u64,
        };
        let mut plan = Plan {
            latency: Duration::from_millis(latency),
            scale_with_page: faults.latency_per_page,
            fail: None,
            reset: false,
        };
        if faults.fail_next > 0 {
            faults.fail_next -= 1;
            plan.fail = Some(Injected::from_status(faults.fail_next_status));
            return plan;
        }
        if faults.fail_rate > 0.0 && rng.unit() < faults.fail_rate {
            plan.fail = Some(match rng.below(4) {
                0 => Injected::ServerError,
                1 => Injected::ServerTimeout,
                2 => Injected::BadGateway,
                _ => Injected::Unavailable,
            });
        } else if is_write && faults.lock_rate > 0.0 && rng.unit() < faults.lock_rate {
            plan.fail = Some(Injected::Locked);
        } else if faults.reset_rate > 0.0 && rng.unit() < faults.reset_rate {
            plan.reset = true;
        }
        plan
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_updates_change_only_named_keys_and_validate() {
        let state = FaultState::new(Faults::default(), 1);
        let updated = state
            .update(&json!({"latency_ms": [10, 20], "fail_next": 2}))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(updated.latency_ms, Latency::Range([10, 20]));
        assert_eq!(updated.fail_next, 2);
        assert!(updated.fail_rate.abs() < f64::EPSILON);
        assert!(state.update(&json!({"fail_rate": 2})).is_err());
        assert!(state.update(&json!({"nonsense": 1})).is_err());
        assert_eq!(
            state.get().latency_ms,
            Latency::Range([10, 20]),
            "a failed update changes nothing"
        );
    }

    #[test]
    fn fail_next_counts_down_and_rates_are_deterministic() {
        let state = FaultState::new(
            Faults {
                fail_next: 2,
                fail_next_status: 503,
                ..Faults::default()
            },
            7,
        );
        assert_eq!(state.plan(false).fail, Some(Injected::Unavailable));
        assert_eq!(state.plan(false).fail, Some(Injected::Unavailable));
        assert_eq!(state.plan(false).fail, None);
        let draw = |seed| {
            let s = FaultState::new(
                Faults {
                    fail_rate: 0.3,
                    ..Faults::default()
                },
                seed,
            );
            (0..200).map(|_| s.plan(false).fail).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        let failures = draw(3).iter().filter(|f| f.is_some()).count();
        assert!(
            (30..=90).contains(&failures),
            "about 30% of 200: {failures}"
        );
    }

    #[test]
    fn latency_parses_fixed_and_ranges() {
        assert_eq!("150".parse::<Latency>(), Ok(Latency::Fixed(150)));
        assert_eq!(
            "100..150".parse::<Latency>(),
            Ok(Latency::Range([100, 150]))
        );
        assert!("150..100".parse::<Latency>().is_err());
        assert!("fast".parse::<Latency>().is_err());
    }
}
