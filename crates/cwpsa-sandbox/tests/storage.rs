//! Storage and transport options: a database file survives a restart, and `--tls` serves
//! HTTPS that a client trusting the written CA certificate accepts.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use cwpsa_sandbox::SandboxConfig;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn a_database_file_survives_a_restart() {
    let dir = std::env::temp_dir().join(format!("cwpsa-sandbox-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("restart.db");
    let _ = std::fs::remove_file(&db);
    let config = SandboxConfig {
        db: Some(db.clone()),
        ..SandboxConfig::default()
    };

    let app = TestApp::with_config(config.clone()).await;
    let company = app.get_json("company/companies?pageSize=1").await[0].clone();
    let (status, created) = app
        .send_json(
            Method::POST,
            "service/tickets",
            &json!({"summary": "survives", "company": {"id": company["id"]}}),
        )
        .await;
    assert_eq!(status, 201);
    let count = app.get_json("service/tickets/count").await["count"].clone();
    drop(app);

    let again = TestApp::with_config(config).await;
    assert_eq!(
        again.get_json("service/tickets/count").await["count"],
        count,
        "not re-seeded"
    );
    let id = created["id"].as_i64().unwrap();
    let fetched = again.get_json(&format!("service/tickets/{id}")).await;
    assert_eq!(fetched["summary"], "survives");
    drop(again);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn tls_is_served_with_a_certificate_clients_can_trust() {
    let app = TestApp::with_config(SandboxConfig {
        tls: true,
        ..SandboxConfig::default()
    })
    .await;
    assert!(app.sandbox.base_url().starts_with("https://localhost:"));
    let pem = std::fs::read(app.sandbox.ca_cert().unwrap()).unwrap();
    let ca = reqwest::Certificate::from_pem(&pem).unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let response = client
        .get(app.url("service/priorities"))
        .header("authorization", common::auth_header())
        .header("clientId", common::CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let ready: serde_json::Value = serde_json::from_str(&app.sandbox.ready_line()).unwrap();
    assert_eq!(
        ready["ca_cert"],
        app.sandbox.ca_cert().unwrap().display().to_string()
    );
    assert_eq!(ready["codebase"], "v4_6_release/");
    assert_eq!(ready["public_key"], "sandbox-public");

    let untrusting = reqwest::Client::new()
        .get(app.url("service/priorities"))
        .send()
        .await;
    assert!(untrusting.is_err(), "an unknown CA is refused");
}
