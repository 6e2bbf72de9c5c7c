//! Runs each example's logic against an in-process sandbox, so that the examples users copy
//! from keep working (issue 5, item 10).
// Each example declares the `support` module, as it is its own crate when run alone.
#![allow(clippy::unwrap_used, clippy::duplicate_mod)]

mod common;

#[allow(dead_code)]
#[path = "../examples/open_high_priority_tickets.rs"]
mod open_high_priority_tickets;

#[allow(dead_code)]
#[path = "../examples/export_companies.rs"]
mod export_companies;

#[allow(dead_code)]
#[path = "../examples/create_and_patch_ticket.rs"]
mod create_and_patch_ticket;

#[allow(dead_code)]
#[path = "../examples/verify_callback.rs"]
mod verify_callback;

use std::time::Duration;

use common::TestApp;
use cwpsa::Query;

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn open_high_priority_tickets_prints_the_count_and_the_tickets() {
    let app = TestApp::start().await;
    let mut out = Vec::new();
    open_high_priority_tickets::run(&app.client, &mut out)
        .await
        .unwrap();
    let out = text(out);
    let first = out.lines().next().unwrap();
    let count: u64 = first.split(' ').next().unwrap().parse().unwrap();
    assert!(first.ends_with("open high-priority tickets"), "{out}");
    assert!(count > 0, "{out}");
    let rows = out.lines().filter(|l| l.starts_with('#')).count() as u64;
    assert_eq!(rows, count.min(20), "{out}");
}

#[tokio::test]
async fn export_companies_writes_every_company_as_a_json_line() {
    let app = TestApp::start().await;
    let mut out = Vec::new();
    let n = export_companies::run(&app.client, &mut out).await.unwrap();
    let total = app
        .client
        .count("company/companies", &Query::new())
        .await
        .unwrap();
    assert_eq!(n, total);
    let lines: Vec<serde_json::Value> = text(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len() as u64, total);
    assert!(
        lines
            .iter()
            .all(|c| c["id"].is_i64() && c["name"].is_string())
    );
}

#[tokio::test]
async fn create_and_patch_ticket_leaves_nothing_behind() {
    let app = TestApp::start().await;
    let before = app
        .client
        .count("service/tickets", &Query::new())
        .await
        .unwrap();
    let mut out = Vec::new();
    Box::pin(create_and_patch_ticket::run(&app.client, true, &mut out))
        .await
        .unwrap();
    let out = text(out);
    assert!(out.contains("created ticket #"), "{out}");
    assert!(
        out.contains("patched: summary \"Example: printer no longer on fire\""),
        "{out}"
    );
    assert!(out.contains("deleted ticket #"), "{out}");
    let after = app
        .client
        .count("service/tickets", &Query::new())
        .await
        .unwrap();
    assert_eq!(after, before);
}

#[tokio::test]
async fn verify_callback_receives_and_verifies_a_real_delivery() {
    let app = TestApp::start().await;
    let verifier = app
        .client
        .callback_verifier()
        .trust_sandbox_host(&app.host());
    let options = verify_callback::Options {
        listen: "127.0.0.1:0",
        public_url: None,
        change_a_ticket: true,
        wait: Duration::from_secs(10),
    };
    let mut out = Vec::new();
    verify_callback::run(&app.client, &verifier, &options, &mut out)
        .await
        .unwrap();
    let out = text(out);
    assert!(
        out.contains("verified: Some(Updated) ticket #")
            && out.contains("Changed by the verify_callback example"),
        "{out}"
    );
    assert!(
        out.contains("a tampered copy is rejected: the signature does not match"),
        "{out}"
    );
    assert!(out.contains("removed callback #"), "{out}");
    let left = app
        .client
        .count("system/callbacks", &Query::new())
        .await
        .unwrap();
    assert_eq!(left, 0, "the callback was removed");
}
