//! Callbacks (webhooks): registration rules for `system/callbacks`, and delivery of signed
//! notifications after every committed write to an entity with a matching callback.
//!
//! Deliveries never hold up the API request that caused them: writes queue a [`Change`] and a
//! background task posts to the subscribers, retrying on 404/409/419/429 and on network
//! errors twice (after 2 s and 4 s, scaled by `callback_retry_scale`), 5 s per attempt.
//!
//! Payload: the real service's shape (`MessageId`, `FromUrl`, `CompanyId`, `MemberId`,
//! `Action`, `Type`, `ID`, `ProductInstanceId`, `PartnerId`, `Entity` as a JSON string or null
//! on delete, `Metadata.key_url`, `CallbackObjectRecId`). A callback registered with
//! `"payloadVersion": "seed"` gets the seed document's simplified form instead
//! (`Action`, `ID`, `Type`, `MemberID`, `Callback`).

use std::sync::{Arc, Weak};
use std::time::Duration;

use base64::Engine;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::api::Shared;
use crate::error::FieldError;
use crate::seed::rng::Rng;
use crate::store;

/// Callback types the sandbox delivers, the entity each watches, and the levels it accepts.
/// `owner` watches every record; any other level names a reference field of the record whose
/// id must equal the callback's `objectId` (a ticket callback at level `board` with objectId 1
/// fires for tickets on board 1).
const TYPES: &[(&str, &str, &[&str])] = &[
    (
        "ticket",
        "tickets",
        &["owner", "board", "status", "company", "priority"],
    ),
    ("company", "companies", &["owner", "status", "territory"]),
    ("contact", "contacts", &["owner", "company"]),
    (
        "project",
        "projects",
        &["owner", "board", "company", "status"],
    ),
    ("time", "time_entries", &["owner", "company", "member"]),
    ("member", "members", &["owner"]),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Added,
    Updated,
    Deleted,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
        }
    }
}

/// A committed write, as the delivery task sees it.
#[derive(Debug)]
pub(crate) struct Change {
    pub(crate) entity: &'static str,
    pub(crate) action: Action,
    pub(crate) id: i64,
    /// The record after the write (placeholders unresolved); the record before a delete.
    pub(crate) body: String,
}

/// The delivery side: a queue of changes and the signing key subscribers verify with.
#[derive(Debug)]
pub(crate) struct Callbacks {
    queue: mpsc::UnboundedSender<Change>,
    receiver: std::sync::Mutex<Option<mpsc::UnboundedReceiver<Change>>>,
    pub(crate) signing_key: String,
    pub(crate) key_id: String,
    retry_scale: f64,
    /// Numbers the messages, so every `MessageId` differs.
    sent: std::sync::atomic::AtomicU64,
}

impl Callbacks {
    pub(crate) fn new(seed: u64, retry_scale: f64) -> Callbacks {
        let (queue, receiver) = mpsc::unbounded_channel();
        let mut rng = Rng::new(seed, 0xCA11_BAC6, 0);
        let signing_key = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        Callbacks {
            queue,
            receiver: std::sync::Mutex::new(Some(receiver)),
            signing_key,
            key_id: uuid(&mut rng),
            retry_scale,
            sent: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Queues a committed change; the request that made it does not wait.
    pub(crate) fn notify(&self, change: Change) {
        let _ = self.queue.send(change);
    }

    /// Starts the delivery task; it ends when the sandbox is dropped.
    pub(crate) fn start(shared: &Arc<Shared>) {
        let receiver = shared
            .callbacks
            .receiver
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let Some(mut receiver) = receiver else { return };
        let weak = Arc::downgrade(shared);
        tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default();
            while let Some(change) = receiver.recv().await {
                let Some(shared) = weak.upgrade() else { break };
                let deliveries =
                    tokio::task::spawn_blocking(move || deliveries_for(&shared, &change)).await;
                for delivery in deliveries.unwrap_or_default() {
                    tokio::spawn(deliver(http.clone(), weak.clone(), delivery));
                }
            }
        });
    }

    /// `base64(HMAC-SHA256(key = SHA-256(signing key), message = body))`.
    pub(crate) fn sign(&self, body: &[u8]) -> String {
        let key_digest = ring::digest::digest(&ring::digest::SHA256, self.signing_key.as_bytes());
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key_digest.as_ref());
        base64::engine::general_purpose::STANDARD.encode(ring::hmac::sign(&key, body).as_ref())
    }
}

/// A random-looking but seeded UUID (version 4 layout).
fn uuid(rng: &mut Rng) -> String {
    let a = rng.next_u64();
    let b = rng.next_u64();
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

struct Delivery {
    url: String,
    body: Vec<u8>,
    signature: String,
    retry_scale: f64,
}

/// Which callbacks match a change, and the signed request each gets.
fn deliveries_for(s: &Shared, change: &Change) -> Vec<Delivery> {
    let Some(kind) = TYPES
        .iter()
        .find(|(_, entity, _)| *entity == change.entity)
        .map(|(t, _, _)| *t)
    else {
        return Vec::new();
    };
    let Some(table) = s.catalog.table("callbacks") else {
        return Vec::new();
    };
    let registered = s
        .store
        .with_conn(|conn| store::all_bodies(conn, table))
        .unwrap_or_default();
    let record: Value = serde_json::from_str(&change.body).unwrap_or(Value::Null);
    let resolved = change
        .body
        .replace(crate::seed::BASE_URL_PLACEHOLDER, &s.base_url);
    let mut out = Vec::new();
    for callback in registered
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
    {
        let text = |k: &str| {
            callback
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        if text("type") != kind
            || callback.get("inactiveFlag").and_then(Value::as_bool) == Some(true)
        {
            continue;
        }
        let level = text("level");
        let object_id = callback
            .get("objectId")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let matches = level == "owner"
            || record
                .as_object()
                .and_then(|r| r.iter().find(|(k, _)| k.eq_ignore_ascii_case(&level)))
                .and_then(|(_, v)| v.get("id")?.as_i64())
                == Some(object_id);
        if !matches {
            continue;
        }
        let callback_id = callback
            .get("id")
            .and_then(Value::as_i64)
            .unwrap_or_default();
        let member_id = callback.get("memberId").cloned().unwrap_or(Value::Null);
        let payload = if text("payloadVersion") == "seed" {
            json!({
                "Action": change.action.as_str(),
                "ID": change.id,
                "Type": kind,
                "MemberID": member_id,
                "Callback": {"ID": change.id, "Type": kind},
            })
        } else {
            let n = s
                .callbacks
                .sent
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut rng = Rng::new(change.id as u64, callback_id as u64, n);
            json!({
                "MessageId": uuid(&mut rng),
                "FromUrl": s.site,
                "CompanyId": crate::config::COMPANY_ID,
                "MemberId": crate::config::API_MEMBER,
                "Action": change.action.as_str(),
                "Type": kind,
                "ID": change.id,
                "ProductInstanceId": s.callbacks.key_id,
                "PartnerId": crate::config::COMPANY_ID,
                "Entity": (change.action != Action::Deleted).then(|| resolved.clone()),
                "Metadata": {"key_url": key_url(s)},
                "CallbackObjectRecId": callback_id,
            })
        };
        let body = payload.to_string().into_bytes();
        let url = callback
            .get("url")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let separator = if url.contains('?') { '&' } else { '?' };
        out.push(Delivery {
            url: format!("{url}{separator}recordId={}", change.id),
            signature: s.callbacks.sign(&body),
            body,
            retry_scale: s.callbacks.retry_scale,
        });
    }
    out
}

/// Where a receiver fetches the signing key (served by the sandbox itself).
pub(crate) fn key_url(s: &Shared) -> String {
    let origin = s
        .base_url
        .split(&format!("/{}apis/3.0/", s.codebase))
        .next()
        .unwrap_or(&s.base_url);
    format!(
        "{origin}/{}system/callbackkey/index.rails?companyName={}&id={}",
        s.codebase,
        crate::config::COMPANY_ID,
        s.callbacks.key_id
    )
}

async fn deliver(http: reqwest::Client, shared: Weak<Shared>, delivery: Delivery) {
    const RETRY_STATUSES: [u16; 4] = [404, 409, 419, 429];
    let waits = [Duration::from_secs(2), Duration::from_secs(4)];
    for attempt in 0..=waits.len() {
        let result = http
            .post(&delivery.url)
            .header("content-type", "application/json")
            .header("x-content-signature", &delivery.signature)
            .body(delivery.body.clone())
            .send()
            .await;
        let status = result.as_ref().ok().map(|r| r.status().as_u16());
        let delivered = status.is_some_and(|s| (200..300).contains(&s));
        let retry = !delivered
            && status.is_none_or(|s| RETRY_STATUSES.contains(&s))
            && attempt < waits.len();
        if let Some(shared) = shared.upgrade() {
            shared.stats.record_delivery(status, delivered, !retry);
        }
        if !retry {
            return;
        }
        tokio::time::sleep(waits[attempt].mul_f64(delivery.retry_scale)).await;
    }
}

/// Registration rules the real service applies to `system/callbacks`, and the fields it sets.
pub(crate) fn prepare_registration(
    conn: &rusqlite::Connection,
    s: &Shared,
    id: i64,
    record: &mut Map<String, Value>,
) -> Result<Vec<FieldError>, crate::error::ApiError> {
    let mut errors = Vec::new();
    let field_error =
        |field: &str, message: String| FieldError::new("InvalidField", message, "Callback", field);
    let text = |r: &Map<String, Value>, k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let url = text(record, "url");
    if !is_http_url(&url) {
        errors.push(field_error("url", "Invalid URL".into()));
    }
    let kind = text(record, "type").to_ascii_lowercase();
    let level = text(record, "level").to_ascii_lowercase();
    match TYPES.iter().find(|(t, _, _)| *t == kind) {
        None => {
            let known: Vec<&str> = TYPES.iter().map(|(t, _, _)| *t).collect();
            errors.push(field_error(
                "type",
                format!(
                    "Invalid type '{kind}'; the sandbox supports {}",
                    known.join(", ")
                ),
            ));
        }
        Some((_, _, levels)) if !levels.contains(&level.as_str()) => {
            errors.push(field_error(
                "level",
                format!(
                    "Invalid level '{level}' for type '{kind}'; use one of {}",
                    levels.join(", ")
                ),
            ));
        }
        Some(_) => {}
    }
    if !errors.is_empty() {
        return Ok(errors);
    }
    let object_id = record.get("objectId").and_then(Value::as_i64).unwrap_or(0);
    let table = s
        .catalog
        .table("callbacks")
        .ok_or_else(crate::error::ApiError::unknown_route)?;
    let existing =
        store::all_bodies(conn, table).map_err(|e| crate::error::ApiError::internal(&e))?;
    let duplicate = existing
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .any(|other| {
            let t = |k: &str| {
                other
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_ascii_lowercase()
            };
            other.get("id").and_then(Value::as_i64) != Some(id)
                && t("url") == url.to_ascii_lowercase()
                && t("type") == kind
                && t("level") == level
                && other.get("objectId").and_then(Value::as_i64).unwrap_or(0) == object_id
        });
    if duplicate {
        return Ok(vec![FieldError::new(
            "ObjectExists",
            "A callback with this url, type, level and objectId already exists.",
            "Callback",
            "url",
        )]);
    }
    let mut rng = Rng::new(id as u64, 0x0C11_BAC6, 1);
    record.entry("objectId").or_insert(json!(0));
    record.entry("payloadVersion").or_insert(json!("3.0.0"));
    record.entry("inactiveFlag").or_insert(json!(false));
    record.entry("isSoapCallbackFlag").or_insert(json!(false));
    record.entry("isSelfSuppressedFlag").or_insert(json!(false));
    record.insert("memberId".into(), json!(crate::config::API_MEMBER_ID));
    record
        .entry("connectWiseID")
        .or_insert_with(|| json!(uuid(&mut rng)));
    Ok(Vec::new())
}

fn is_http_url(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty()
            && !host.contains(char::is_whitespace)
            && !url.contains(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(is_http_url("https://example.com/hook"));
        assert!(is_http_url("http://127.0.0.1:9000/cb?x=1"));
        for bad in [
            "",
            "example.com",
            "ftp://x",
            "https://",
            "https:// x",
            "https://a b",
        ] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }

    #[test]
    fn uuids_are_well_formed() {
        let mut rng = Rng::new(1, 2, 3);
        let id = uuid(&mut rng);
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "4");
    }
}
