//! Callback signature verification, against an HMAC computed here independently, and the
//! key URL rules (HTTPS, trusted host only). Registration is plain CRUD on the sandbox.
#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine;
use common::{Scripted, TestApp, sandbox_config};
use cwpsa::model::{Callback, Ticket};
use cwpsa::{Client, VerifyError, verify_with_key};
use reqwest::header::{HeaderMap, HeaderValue};
use ring::{digest, hmac};
use serde_json::json;

const SIGNING_KEY: &str = "s3cr3t-signing-key-ÄÖ";

/// base64(HMAC-SHA256(key = SHA-256(signing key), message = body)), as API-FACTS.md states.
fn sign(body: &[u8], signing_key: &str) -> String {
    let k = digest::digest(&digest::SHA256, signing_key.as_bytes());
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, k.as_ref()), body);
    base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
}

fn headers(signature: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(
        "x-content-signature",
        HeaderValue::from_str(signature).unwrap(),
    );
    h
}

fn payload(key_url: &str, summary: &str) -> Vec<u8> {
    let entity =
        json!({"id": 123, "summary": summary, "board": {"id": 1, "name": "Help Desk"}}).to_string();
    json!({
        "MessageId": "4f6b4a8e-0000-4000-8000-000000000001",
        "FromUrl": "https://api-na.myconnectwise.net",
        "CompanyId": "sandbox",
        "MemberId": "SandboxAPI",
        "Action": "updated",
        "Type": "ticket",
        "ID": 123,
        "ProductInstanceId": null,
        "PartnerId": 42,
        "Entity": entity,
        "Metadata": {"key_url": key_url},
        "CallbackObjectRecId": 9
    })
    .to_string()
    .into_bytes()
}

async fn key_server() -> Scripted {
    Scripted::start(vec![(
        200,
        vec!["content-type: application/json".into()],
        json!({"signing_key": SIGNING_KEY}).to_string(),
    )])
    .await
}

fn verifier_for(server: &Scripted) -> cwpsa::CallbackVerifier {
    let client = Client::new(sandbox_config(&server.base_url()).build().unwrap()).unwrap();
    client
        .callback_verifier()
        .trust_sandbox_host(&server.addr.to_string())
}

#[tokio::test]
async fn a_genuine_callback_verifies_and_decodes() {
    let server = key_server().await;
    let key_url = format!(
        "http://{}/v4_6_release/system/callbackkey/index.rails?companyName=sandbox&id=abc",
        server.addr
    );
    let body = payload(&key_url, "Printer on fire");
    let verifier = verifier_for(&server);
    let verified = verifier
        .verify(&body, &headers(&sign(&body, SIGNING_KEY)))
        .await
        .unwrap();
    assert_eq!(verified.id, Some(123));
    assert_eq!(verified.action, Some(cwpsa::model::CallbackAction::Updated));
    assert_eq!(verified.partner_id.as_deref(), Some("42"));
    let ticket: Ticket = verified.entity_as().unwrap().unwrap();
    assert_eq!(ticket.summary.as_deref(), Some("Printer on fire"));
    assert_eq!(ticket.board.unwrap().name.as_deref(), Some("Help Desk"));

    // The key is cached: a second callback needs no fetch.
    let second = payload(&key_url, "Second");
    verifier
        .verify(&second, &headers(&sign(&second, SIGNING_KEY)))
        .await
        .unwrap();
    assert_eq!(server.count(), 1);
    assert!(verify_with_key(&body, &sign(&body, SIGNING_KEY), SIGNING_KEY).is_ok());
}

#[tokio::test]
async fn forged_tampered_and_replayed_callbacks_are_rejected() {
    let server = key_server().await;
    let key_url = format!(
        "http://{}/v4_6_release/system/callbackkey/index.rails?id=abc",
        server.addr
    );
    let verifier = verifier_for(&server);
    let body = payload(&key_url, "Original");
    let genuine = sign(&body, SIGNING_KEY);

    let forged = sign(&body, "an attacker's key");
    let e = verifier.verify(&body, &headers(&forged)).await.unwrap_err();
    assert!(matches!(e, VerifyError::SignatureMismatch), "{e}");

    let mut tampered = body.clone();
    let at = tampered.windows(8).position(|w| w == b"Original").unwrap();
    tampered[at] = b'X';
    let e = verifier
        .verify(&tampered, &headers(&genuine))
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::SignatureMismatch), "{e}");

    let other_body = payload(&key_url, "Another");
    let e = verifier
        .verify(&other_body, &headers(&genuine))
        .await
        .unwrap_err();
    assert!(
        matches!(e, VerifyError::SignatureMismatch),
        "replayed signature: {e}"
    );

    let e = verifier.verify(&body, &HeaderMap::new()).await.unwrap_err();
    assert!(matches!(e, VerifyError::MissingSignature));
    let e = verifier
        .verify(&body, &headers("bm90IGEgbWFj"))
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::MalformedSignature));
    let e = verifier
        .verify(b"{not json", &headers(&genuine))
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::MalformedPayload(_)), "{e}");
}

#[tokio::test]
async fn key_urls_off_the_trusted_host_or_over_http_are_never_fetched() {
    let server = key_server().await;
    let attacker = key_server().await;
    let verifier = verifier_for(&server);
    // Signed correctly with the attacker's own key served from the attacker's host.
    let evil_url = format!("http://{}/key", attacker.addr);
    let body = payload(&evil_url, "Forged");
    let e = verifier
        .verify(&body, &headers(&sign(&body, SIGNING_KEY)))
        .await
        .unwrap_err();
    assert!(matches!(e, VerifyError::UntrustedKeyUrl { .. }), "{e}");
    assert_eq!(attacker.count(), 0, "the untrusted URL was never fetched");

    for url in [
        "https://evil.example/v4_6_release/system/callbackkey".to_owned(),
        format!("http://user:pw@{}/key", server.addr),
        "file:///etc/passwd".to_owned(),
        "not a url".to_owned(),
    ] {
        let body = payload(&url, "x");
        let e = verifier
            .verify(&body, &headers(&sign(&body, SIGNING_KEY)))
            .await
            .unwrap_err();
        assert!(
            matches!(e, VerifyError::UntrustedKeyUrl { .. }),
            "{url}: {e}"
        );
    }

    // Without the explicit sandbox trust, plain http to the configured host is refused too.
    let client = Client::new(sandbox_config(&server.base_url()).build().unwrap()).unwrap();
    let strict = client.callback_verifier();
    let body = payload(&format!("http://{}/key", server.addr), "x");
    let e = strict
        .verify(&body, &headers(&sign(&body, SIGNING_KEY)))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("https"), "{e}");
    assert_eq!(server.count(), 0);
}

#[tokio::test]
async fn callbacks_are_registered_listed_and_deleted_as_plain_crud() {
    let app = TestApp::start().await;
    let created: Callback = app
        .client
        .create(
            "system/callbacks",
            &json!({"url": "https://hooks.example.com/cw", "objectId": 1, "type": "ticket", "level": "owner", "description": "test"}),
        )
        .await
        .unwrap();
    let id = created.id.unwrap();
    assert_eq!(created.url.as_deref(), Some("https://hooks.example.com/cw"));
    let all: Vec<Callback> = futures_util::TryStreamExt::try_collect(
        app.client.list("system/callbacks", &cwpsa::Query::new()),
    )
    .await
    .unwrap();
    assert!(all.iter().any(|c| c.id == Some(id)));
    app.client
        .delete(&format!("system/callbacks/{id}"))
        .await
        .unwrap();
    assert_eq!(
        app.client
            .count("system/callbacks", &cwpsa::Query::new())
            .await
            .unwrap(),
        all.len() as u64 - 1
    );
}
