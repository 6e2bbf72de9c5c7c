//! Request statistics and a log of recent requests, for `GET /_sandbox/stats` and
//! `GET /_sandbox/requests`.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use serde::Serialize;

/// How many requests `GET /_sandbox/requests` can show.
const RECENT: usize = 1000;

#[derive(Debug, Default, Clone, Serialize)]
pub struct Counters {
    pub requests: u64,
    pub by_status: BTreeMap<String, u64>,
    pub rate_limited: u64,
    pub bytes_out: u64,
}

impl Counters {
    fn add(&mut self, status: u16, bytes: u64) {
        self.requests += 1;
        *self.by_status.entry(status.to_string()).or_default() += 1;
        if status == 429 {
            self.rate_limited += 1;
        }
        self.bytes_out += bytes;
    }
}

/// Callback deliveries, by outcome.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Deliveries {
    pub attempts: u64,
    pub delivered: u64,
    pub failed: u64,
    pub by_status: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestLog {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub status: u16,
    pub duration_ms: f64,
    pub member: Option<String>,
}

#[derive(Debug, Default, Serialize)]
struct Snapshot {
    #[serde(flatten)]
    all: Counters,
    by_path: BTreeMap<String, u64>,
    members: BTreeMap<String, Counters>,
    callbacks: Deliveries,
}

#[derive(Debug, Default)]
pub struct Stats {
    inner: Mutex<(Snapshot, VecDeque<RequestLog>)>,
}

impl Stats {
    pub fn record(&self, entry: RequestLog, bytes: u64) {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (snapshot, recent) = &mut *guard;
        snapshot.all.add(entry.status, bytes);
        *snapshot
            .by_path
            .entry(path_pattern(&entry.path))
            .or_default() += 1;
        if let Some(member) = &entry.member {
            snapshot
                .members
                .entry(member.clone())
                .or_default()
                .add(entry.status, bytes);
        }
        if recent.len() == RECENT {
            recent.pop_front();
        }
        recent.push_back(entry);
    }

    /// Counts one callback delivery attempt (`status` `None` when no HTTP answer came).
    pub fn record_delivery(&self, status: Option<u16>, delivered: bool, final_attempt: bool) {
        let mut guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let deliveries = &mut guard.0.callbacks;
        deliveries.attempts += 1;
        let key = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        *deliveries.by_status.entry(key).or_default() += 1;
        if delivered {
            deliveries.delivered += 1;
        } else if final_attempt {
            deliveries.failed += 1;
        }
    }

    pub fn snapshot(&self) -> serde_json::Value {
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        serde_json::to_value(&guard.0).unwrap_or_default()
    }

    /// The last `limit` requests, oldest first.
    pub fn recent(&self, limit: usize) -> Vec<RequestLog> {
        let guard = self
            .inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let skip = guard.1.len().saturating_sub(limit);
        guard.1.iter().skip(skip).cloned().collect()
    }
}

/// `/v4_6_release/apis/3.0/service/tickets/123/notes` → `service/tickets/{id}/notes`, so that
/// requests group by endpoint.
fn path_pattern(path: &str) -> String {
    let api = path.split_once("/apis/3.0/").map_or(path, |(_, rest)| rest);
    api.split('/')
        .map(|segment| {
            if !segment.is_empty() && segment.bytes().all(|b| b.is_ascii_digit()) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_group_by_endpoint() {
        assert_eq!(
            path_pattern("/v4_6_release/apis/3.0/service/tickets/123/notes"),
            "service/tickets/{id}/notes"
        );
        assert_eq!(
            path_pattern("/login/companyinfo/sandbox"),
            "/login/companyinfo/sandbox"
        );
    }
}
