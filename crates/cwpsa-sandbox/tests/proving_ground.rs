//! Sandbox part 2: rate limiting per API member, fault injection, and the admin API.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::TestApp;
use cwpsa_sandbox::faults::Faults;
use cwpsa_sandbox::limiter::RateLimit;
use cwpsa_sandbox::{Profile, RateLimitSetting, SandboxConfig};
use reqwest::Method;
use serde_json::{Value, json};

fn limited(profile: Profile, limit: u32, window_secs: u64) -> SandboxConfig {
    SandboxConfig {
        profile,
        rate_limit: RateLimitSetting::Rule(RateLimit {
            limit,
            window: Duration::from_secs(window_secs),
        }),
        ..SandboxConfig::default()
    }
}

#[tokio::test]
async fn a_window_admits_exactly_n_requests_across_16_connections() {
    let app = TestApp::with_config(limited(Profile::Seed, 50, 30)).await;
    // 16 independent connections (one client each), 10 requests apiece, all at once.
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let url = app.url("service/priorities");
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            for _ in 0..10 {
                let r = client
                    .get(&url)
                    .header("authorization", common::auth_header())
                    .header("clientId", common::CLIENT_ID)
                    .send()
                    .await
                    .unwrap();
                statuses.push(r.status().as_u16());
            }
            statuses
        }));
    }
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        for status in task.await.unwrap() {
            match status {
                200 => ok += 1,
                429 => limited += 1,
                other => panic!("unexpected status {other}"),
            }
        }
    }
    assert_eq!(ok, 50, "exactly the limit succeeds");
    assert_eq!(limited, 110);
    let stats: Value = app
        .http
        .get(app.admin_url("stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["by_status"]["429"], 110);
    assert_eq!(stats["members"]["sandbox-public"]["by_status"]["200"], 50);
}

#[tokio::test]
async fn the_seed_profile_sends_rate_limit_headers_and_its_429_body() {
    let app = TestApp::with_config(limited(Profile::Seed, 2, 30)).await;
    let first = app.get("service/priorities").await;
    assert_eq!(first.headers()["x-ratelimit-limit"], "2");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    let reset: u64 = first.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&reset));
    let _ = app.get("service/priorities").await;
    let third = app.get("service/priorities").await;
    assert_eq!(third.status(), 429);
    let retry: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=30).contains(&retry));
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["code"], "RateLimitExceeded");
    assert_eq!(
        body["message"],
        format!("Rate limit exceeded. Try again in {retry} seconds.")
    );
}

#[tokio::test]
async fn the_cloud_profile_throttles_like_the_real_service() {
    let app = TestApp::with_config(limited(Profile::Cloud, 1, 30)).await;
    let first = app.get("service/priorities").await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("x-ratelimit-limit").is_none());
    assert!(first.headers().get("x-total-count").is_none());
    let second = app.get("service/priorities").await;
    assert_eq!(second.status(), 429);
    assert!(second.headers().get("retry-after").is_some());
    let body: Value = second.json().await.unwrap();
    assert_eq!(body["error"], "ConnectWiseAPI");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Too many requests. Please try again in ")
    );
}

#[tokio::test]
async fn windows_reset_and_the_limit_changes_at_run_time() {
    let app = TestApp::with_config(SandboxConfig {
        rate_limit: RateLimitSetting::Rule(RateLimit {
            limit: 1,
            window: Duration::from_millis(300),
        }),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(app.get("service/priorities").await.status(), 200);
    assert_eq!(app.get("service/priorities").await.status(), 429);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(
        app.get("service/priorities").await.status(),
        200,
        "a new window"
    );
    let r = app
        .http
        .put(app.admin_url("rate-limit"))
        .json(&json!({"rate_limit": "off"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    for _ in 0..5 {
        assert_eq!(app.get("service/priorities").await.status(), 200);
    }
    let r = app
        .http
        .put(app.admin_url("rate-limit"))
        .json(&json!({"rate_limit": "sometimes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

async fn put_faults(app: &TestApp, faults: Value) -> Value {
    let r = app
        .http
        .put(app.admin_url("faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn fail_next_fails_exactly_the_next_requests() {
    let app = TestApp::start().await;
    let faults = put_faults(&app, json!({"fail_next": 2, "fail_next_status": 503})).await;
    assert_eq!(faults["fail_next"], 2);
    assert_eq!(
        faults["fail_rate"], 0.0,
        "a PUT changes only the keys it names"
    );
    for _ in 0..2 {
        let r = app.get("service/priorities").await;
        assert_eq!(r.status(), 503);
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(r.text().await.unwrap().contains("<html>"));
    }
    assert_eq!(app.get("service/priorities").await.status(), 200);
    let faults: Value = app
        .http
        .get(app.admin_url("faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["fail_next"], 0);
}

#[tokio::test]
async fn fail_rate_gives_500s_with_timeouts_and_proxy_pages() {
    let app = TestApp::start().await;
    put_faults(&app, json!({"fail_rate": 1.0})).await;
    let mut seen = std::collections::BTreeSet::new();
    let mut timeouts = 0;
    for _ in 0..40 {
        let r = app.get("service/priorities").await;
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        if status == 500 {
            let body: Value = serde_json::from_str(&text).unwrap();
            if body["message"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains("timeout")
            {
                timeouts += 1;
            }
        } else {
            assert!(text.contains("<html>"), "{status}: {text}");
        }
        seen.insert(status);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), [500, 502, 503]);
    assert!(timeouts > 0);
    let refused = app
        .http
        .put(app.admin_url("faults"))
        .json(&json!({"fail_rate": 1.5}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let faults: Value = app
        .http
        .get(app.admin_url("faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["fail_rate"], 1.0, "a refused change changes nothing");
}

#[tokio::test]
async fn lock_rate_answers_writes_with_record_locked() {
    let app = TestApp::start().await;
    put_faults(&app, json!({"lock_rate": 1.0})).await;
    assert_eq!(
        app.get("service/priorities").await.status(),
        200,
        "reads are never locked"
    );
    let ticket = app.get_json("service/tickets?pageSize=1").await[0].clone();
    let path = format!("service/tickets/{}", ticket["id"]);
    let (status, body) = app
        .send_json(
            Method::PATCH,
            &path,
            &json!([{"op": "replace", "path": "summary", "value": "x"}]),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["code"], "RecordLocked");
    assert_eq!(
        app.get_json(&path).await["summary"],
        ticket["summary"],
        "a locked write changes nothing"
    );
}

#[tokio::test]
async fn reset_rate_cuts_connections_mid_response() {
    let app = TestApp::start().await;
    put_faults(&app, json!({"reset_rate": 1.0})).await;
    let r = app.get("service/tickets?pageSize=100").await;
    assert_eq!(r.status(), 200, "the status line arrives");
    assert!(r.bytes().await.is_err(), "but the body is cut");
    put_faults(&app, json!({"reset_rate": 0.0})).await;
    assert_eq!(
        app.get_json("service/tickets?pageSize=100")
            .await
            .as_array()
            .unwrap()
            .len(),
        100
    );
}

#[tokio::test]
async fn latency_is_added_and_can_scale_with_page_size() {
    let app = TestApp::with_config(SandboxConfig {
        rate_limit: RateLimitSetting::Off,
        faults: Faults {
            latency_ms: "200".parse().unwrap(),
            latency_per_page: true,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let started = std::time::Instant::now();
    app.get_json("service/tickets?pageSize=500").await;
    let big = started.elapsed();
    let started = std::time::Instant::now();
    app.get_json("service/tickets?pageSize=5").await;
    let small = started.elapsed();
    assert!(
        big >= Duration::from_millis(100),
        "{big:?}: 500 records at 200 ms per 1000"
    );
    assert!(small < big, "{small:?} < {big:?}");
}

#[tokio::test]
async fn mutate_applies_seeded_changes_and_reset_restores_the_seed() {
    let app = TestApp::start().await;
    let before = app.get_json("service/tickets/count").await["count"]
        .as_i64()
        .unwrap();
    let r = app
        .http
        .post(app.admin_url("mutate"))
        .json(&json!({"entity": "tickets", "insert": 5, "update": 4, "delete": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let result: Value = r.json().await.unwrap();
    let ids = |k: &str| {
        result[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        (
            ids("inserted").len(),
            ids("updated").len(),
            ids("deleted").len()
        ),
        (5, 4, 3)
    );
    let after = app.get_json("service/tickets/count").await["count"]
        .as_i64()
        .unwrap();
    assert_eq!(after, before + 5 - 3);
    for id in ids("inserted") {
        assert_eq!(
            app.get(&format!("service/tickets/{id}")).await.status(),
            200
        );
    }
    for id in ids("deleted") {
        assert_eq!(
            app.get(&format!("service/tickets/{id}")).await.status(),
            404
        );
    }
    for id in ids("updated")
        .into_iter()
        .filter(|id| !ids("deleted").contains(id))
    {
        let t = app.get_json(&format!("service/tickets/{id}")).await;
        assert!(t["summary"].as_str().unwrap().contains(" #"), "{t}");
    }
    let given = app
        .http
        .post(app.admin_url("mutate"))
        .json(&json!({"entity": "tickets", "delete_ids": [ids("inserted")[0]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(given.status(), 200);
    assert_eq!(
        app.get_json("service/tickets/count").await["count"]
            .as_i64()
            .unwrap(),
        after - 1
    );

    let r = app.http.post(app.admin_url("reset")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get_json("service/tickets/count").await["count"]
            .as_i64()
            .unwrap(),
        before
    );
    for id in ids("deleted") {
        assert_eq!(
            app.get(&format!("service/tickets/{id}")).await.status(),
            200,
            "restored"
        );
    }
    let bad = app
        .http
        .post(app.admin_url("mutate"))
        .json(&json!({"entity": "nothing", "insert": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn stats_and_the_request_log_describe_the_traffic() {
    let app = TestApp::start().await;
    app.get_json("service/tickets?pageSize=3").await;
    let _ = app.get("service/tickets/999999999").await;
    let _ = app
        .http
        .get(app.url("service/tickets"))
        .send()
        .await
        .unwrap();
    let stats: Value = app
        .http
        .get(app.admin_url("stats"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["requests"], 3);
    assert_eq!(stats["by_status"]["200"], 1);
    assert_eq!(stats["by_status"]["404"], 1);
    assert_eq!(stats["by_status"]["401"], 1);
    assert_eq!(stats["members"]["sandbox-public"]["requests"], 2);
    assert!(stats["bytes_out"].as_u64().unwrap() > 0);
    assert_eq!(stats["by_path"]["service/tickets/{id}"], 1);
    let log: Value = app
        .http
        .get(app.admin_url("requests?limit=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["status"], 404);
    assert_eq!(log[1]["status"], 401);
    assert_eq!(log[0]["method"], "GET");
    assert!(log[0]["duration_ms"].as_f64().unwrap() >= 0.0);
}
