//! Callbacks: registration rules, and signed deliveries received by a real HTTP server in
//! the test, verified with an SHA-256/HMAC implementation written here (independent of the
//! sandbox's `ring`).
#![allow(
    clippy::unwrap_used,
    clippy::many_single_char_names,
    clippy::unreadable_literal
)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use common::TestApp;
use cwpsa_sandbox::{RateLimitSetting, SandboxConfig};
use reqwest::Method;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
struct Received {
    record_id: String,
    signature: String,
    body: Vec<u8>,
}

/// A webhook receiver: records every POST, answers with the queued statuses (then 200),
/// optionally after a delay.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<Vec<u16>>>,
    delay: Arc<Mutex<Duration>>,
}

impl Receiver {
    async fn start() -> (Receiver, String) {
        let receiver = Receiver::default();
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.all().len() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.all()
    }
}

async fn receive(
    State(r): State<Receiver>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let delay = *r.delay.lock().unwrap();
    tokio::time::sleep(delay).await;
    r.received.lock().unwrap().push(Received {
        record_id: q.get("recordId").cloned().unwrap_or_default(),
        signature: headers
            .get("x-content-signature")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default(),
        body: body.to_vec(),
    });
    let next = {
        let mut statuses = r.statuses.lock().unwrap();
        if statuses.is_empty() {
            200
        } else {
            statuses.remove(0)
        }
    };
    StatusCode::from_u16(next).unwrap()
}

async fn app() -> TestApp {
    TestApp::with_config(SandboxConfig {
        rate_limit: RateLimitSetting::Off,
        callback_retry_scale: 0.01,
        ..SandboxConfig::default()
    })
    .await
}

async fn register(app: &TestApp, body: Value) -> (u16, Value) {
    app.send_json(Method::POST, "system/callbacks", &body).await
}

#[tokio::test]
async fn registration_is_validated_like_the_real_service() {
    let app = app().await;
    let (status, body) = register(
        &app,
        json!({"url": "not a url", "objectId": 0, "type": "ticket", "level": "owner"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "InvalidField");
    assert_eq!(body["errors"][0]["field"], "url");
    assert_eq!(body["errors"][0]["message"], "Invalid URL");

    let (status, body) = register(
        &app,
        json!({"url": "https://example.com/h", "objectId": 0, "type": "ticket", "level": "galaxy"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "level");

    let good = json!({"url": "https://example.com/h", "objectId": 0, "type": "ticket", "level": "owner", "description": "all tickets"});
    let (status, created) = register(&app, good.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["payloadVersion"], "3.0.0");
    assert_eq!(created["inactiveFlag"], false);
    assert_eq!(created["isSoapCallbackFlag"], false);
    assert_eq!(created["isSelfSuppressedFlag"], false);
    assert!(created["memberId"].is_i64());
    assert_eq!(created["connectWiseID"].as_str().unwrap().len(), 36);

    let (status, body) = register(&app, good).await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["code"], "ObjectExists");

    let (status, _) = register(&app, json!({"url": "https://example.com/h"})).await;
    assert_eq!(status, 400, "url, objectId, type and level are required");
}

#[tokio::test]
async fn writes_are_delivered_signed_with_the_real_payload() {
    let app = app().await;
    let (receiver, url) = Receiver::start().await;
    let (status, callback) = register(
        &app,
        json!({"url": url, "objectId": 0, "type": "ticket", "level": "owner"}),
    )
    .await;
    assert_eq!(status, 201);

    let ticket = app.get_json("service/tickets?pageSize=1").await[0].clone();
    let id = ticket["id"].as_i64().unwrap();
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("service/tickets/{id}"),
            &json!([{"op": "replace", "path": "summary", "value": "Webhook me"}]),
        )
        .await;
    assert_eq!(status, 200);

    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let delivery = &got[0];
    assert_eq!(delivery.record_id, id.to_string());
    let payload: Value = serde_json::from_slice(&delivery.body).unwrap();
    assert_eq!(payload["Action"], "updated");
    assert_eq!(payload["Type"], "ticket");
    assert_eq!(payload["ID"], id);
    assert_eq!(payload["CallbackObjectRecId"], callback["id"]);
    assert_eq!(payload["CompanyId"], "sandbox");
    assert!(payload["MessageId"].as_str().unwrap().len() == 36);
    let entity: Value = serde_json::from_str(payload["Entity"].as_str().unwrap()).unwrap();
    assert_eq!(entity["summary"], "Webhook me");
    assert!(entity["_info"]["lastUpdated"].is_string());

    // Fetch the signing key from key_url and verify over the raw bytes.
    let key_url = payload["Metadata"]["key_url"].as_str().unwrap();
    assert!(
        key_url.starts_with(app.sandbox.base_url().split("/apis/").next().unwrap()),
        "{key_url}"
    );
    let key: Value = app
        .http
        .get(key_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let signing_key = key["signing_key"].as_str().unwrap();
    assert_eq!(
        delivery.signature,
        expected_signature(signing_key, &delivery.body)
    );
    let mut tampered = delivery.body.clone();
    tampered[10] ^= 1;
    assert_ne!(
        delivery.signature,
        expected_signature(signing_key, &tampered)
    );
    assert_ne!(
        delivery.signature,
        expected_signature("another key", &delivery.body)
    );

    // Creates and deletes are delivered too; a deleted record's Entity is null.
    let company = app.get_json("company/companies?pageSize=1").await[0].clone();
    let (_, created) = app
        .send_json(
            Method::POST,
            "service/tickets",
            &json!({"summary": "new", "company": {"id": company["id"]}}),
        )
        .await;
    let new_id = created["id"].as_i64().unwrap();
    let response = app
        .request(Method::DELETE, &format!("service/tickets/{new_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let got = receiver.wait_for(3).await;
    let actions: Vec<(String, i64, bool)> = got[1..]
        .iter()
        .map(|d| {
            let p: Value = serde_json::from_slice(&d.body).unwrap();
            (
                p["Action"].as_str().unwrap().to_owned(),
                p["ID"].as_i64().unwrap(),
                p["Entity"].is_null(),
            )
        })
        .collect();
    assert!(
        actions.contains(&("added".to_owned(), new_id, false)),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("deleted".to_owned(), new_id, true)),
        "{actions:?}"
    );
}

#[tokio::test]
async fn levels_filter_by_the_object_id() {
    let app = app().await;
    let (receiver, url) = Receiver::start().await;
    let tickets = app.get_json("service/tickets?pageSize=200").await;
    let tickets = tickets.as_array().unwrap();
    let board = tickets[0]["board"]["id"].as_i64().unwrap();
    let other = tickets.iter().find(|t| t["board"]["id"] != board).unwrap();
    let (status, _) = register(
        &app,
        json!({"url": url, "objectId": board, "type": "ticket", "level": "board"}),
    )
    .await;
    assert_eq!(status, 201);
    let patch = json!([{"op": "replace", "path": "summary", "value": "x"}]);
    app.send_json(
        Method::PATCH,
        &format!("service/tickets/{}", other["id"]),
        &patch,
    )
    .await;
    app.send_json(
        Method::PATCH,
        &format!("service/tickets/{}", tickets[0]["id"]),
        &patch,
    )
    .await;
    let got = receiver.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got_after = receiver.all();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got_after.len(),
        1,
        "the other board's ticket is not delivered"
    );
    assert_eq!(got_after[0].record_id, tickets[0]["id"].to_string());
}

#[tokio::test]
async fn deliveries_retry_and_never_block_the_write() {
    let app = app().await;
    let (receiver, url) = Receiver::start().await;
    register(
        &app,
        json!({"url": url, "objectId": 0, "type": "ticket", "level": "owner"}),
    )
    .await;
    *receiver.statuses.lock().unwrap() = vec![404, 429];
    *receiver.delay.lock().unwrap() = Duration::from_millis(300);
    let ticket = app.get_json("service/tickets?pageSize=1").await[0].clone();
    let started = Instant::now();
    let (status, _) = app
        .send_json(
            Method::PATCH,
            &format!("service/tickets/{}", ticket["id"]),
            &json!([{"op": "replace", "path": "summary", "value": "y"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        started.elapsed() < Duration::from_millis(300),
        "the write does not wait for delivery"
    );
    let got = receiver.wait_for(3).await;
    assert_eq!(
        got.len(),
        3,
        "404 and 429 are retried; the third attempt succeeds"
    );
    assert!(got.windows(2).all(|w| w[0].body == w[1].body));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let stats: Value = app
        .http
        .get(app.admin_url("stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["callbacks"]["attempts"], 3);
    assert_eq!(stats["callbacks"]["delivered"], 1);
    assert_eq!(stats["callbacks"]["by_status"]["404"], 1);

    // A 500 is not retried.
    *receiver.delay.lock().unwrap() = Duration::ZERO;
    *receiver.statuses.lock().unwrap() = vec![500];
    app.send_json(
        Method::PATCH,
        &format!("service/tickets/{}", ticket["id"]),
        &json!([{"op": "replace", "path": "summary", "value": "z"}]),
    )
    .await;
    receiver.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(receiver.all().len(), 4);
}

#[tokio::test]
async fn the_seed_payload_and_admin_mutations() {
    let app = app().await;
    let (receiver, url) = Receiver::start().await;
    register(&app, json!({"url": url, "objectId": 0, "type": "ticket", "level": "owner", "payloadVersion": "seed"})).await;
    let r = app
        .http
        .post(app.admin_url("mutate"))
        .json(&json!({"entity": "tickets", "update": 2}))
        .send()
        .await
        .unwrap();
    let result: Value = r.json().await.unwrap();
    let got = receiver.wait_for(2).await;
    assert_eq!(got.len(), 2);
    for delivery in &got {
        let payload: Value = serde_json::from_slice(&delivery.body).unwrap();
        let keys: Vec<&String> = payload.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["Action", "Callback", "ID", "MemberID", "Type"]);
        assert_eq!(payload["Action"], "updated");
        assert_eq!(payload["Callback"]["Type"], "ticket");
        assert!(
            result["updated"]
                .as_array()
                .unwrap()
                .contains(&payload["ID"])
        );
    }
}

/// base64(HMAC-SHA256(key = SHA-256(signing key), message = body)), computed independently.
fn expected_signature(signing_key: &str, body: &[u8]) -> String {
    let key = sha256(signing_key.as_bytes());
    base64(&hmac_sha256(&key, body))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    block[..key.len()].copy_from_slice(key);
    let inner: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x36)
        .chain(message.iter().copied())
        .collect();
    let inner_hash = sha256(&inner);
    let outer: Vec<u8> = block
        .iter()
        .map(|b| b ^ 0x5c)
        .chain(inner_hash.iter().copied())
        .collect();
    sha256(&outer)
}

fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    for chunk in message.chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                chunk[4 * i],
                chunk[4 * i + 1],
                chunk[4 * i + 2],
                chunk[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, word) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
    }
    out
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn the_independent_hash_matches_known_vectors() {
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(
        hex(&sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(&hmac_sha256(
            b"key",
            b"The quick brown fox jumps over the lazy dog"
        )),
        "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
    assert_eq!(base64(b"foob"), "Zm9vYg==");
}
