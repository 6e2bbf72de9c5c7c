//! The client against the sandbox's part 2: per-member rate limiting, concurrent mutation,
//! fault injection, and the cloud profile's 429s (issue 5, item 11).
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeSet, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{admin_get, admin_send, admin_url, sandbox_config, stat};
use cwpsa::{Client, ErrorKind, Event, Paging, Query, RateLimit, RetryPolicy, field};
use cwpsa_sandbox::faults::{Faults, Latency};
use cwpsa_sandbox::limiter::RateLimit as Rule;
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{Profile, RateLimitSetting, Sandbox, SandboxConfig};
use futures_util::TryStreamExt;
use serde_json::{Value, json};

const TICKETS: &str = "service/tickets";

/// A sandbox with `tickets` tickets and the given limit, profile and faults.
async fn sandbox(
    tickets: usize,
    rate_limit: RateLimitSetting,
    profile: Profile,
    faults: Faults,
) -> Sandbox {
    let t0 = Instant::now();
    let s = Sandbox::start(SandboxConfig {
        seed: SeedConfig::for_tickets(1, tickets),
        rate_limit,
        profile,
        faults,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    eprintln!(
        "sandbox with {tickets} tickets started in {:?}",
        t0.elapsed()
    );
    s
}

fn rule(limit: u32, window: Duration) -> RateLimitSetting {
    RateLimitSetting::Rule(Rule { limit, window })
}

/// Retries fast enough for tests.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        max_elapsed: Duration::from_secs(30),
    }
}

fn client(sandbox: &Sandbox, rate: RateLimit) -> Client {
    Client::new(
        sandbox_config(sandbox.base_url())
            .rate_limit(rate)
            .retry(quick_retries())
            .build()
            .unwrap(),
    )
    .unwrap()
}

/// Every ticket id, forward-only.
async fn export(client: &Client, page_size: u32) -> cwpsa::Result<Vec<i64>> {
    client
        .list_with::<Value>(
            TICKETS,
            &Query::new().fields("id").page_size(page_size),
            Paging::ForwardOnly,
        )
        .map_ok(|r| r["id"].as_i64().unwrap())
        .try_collect()
        .await
}

fn assert_unique(ids: &[i64]) {
    let set: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "no record twice");
}

// Two worker threads: the in-process sandbox counts arrivals on its own thread, as a real
// server would, instead of waiting behind the client's page decoding.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_within_a_matching_budget_gets_no_429() {
    let limit = RateLimit::Budget {
        requests: 10,
        per: Duration::from_secs(1),
    };
    let sandbox = sandbox(
        3000,
        rule(10, Duration::from_secs(1)),
        Profile::Seed,
        Faults::default(),
    )
    .await;
    let client = client(&sandbox, limit);
    let started = Instant::now();
    let total = client.count(TICKETS, &Query::new()).await.unwrap();
    assert_eq!(total, 3000);
    let ids = export(&client, 100).await.unwrap();
    let elapsed = started.elapsed();
    eprintln!("budgeted export: {elapsed:?}");
    assert_eq!(ids.len() as u64, total, "every record");
    assert_unique(&ids);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    let stats = admin_get(&sandbox, "stats").await;
    // 1 count + 30 full pages (+ maybe one empty page to learn the end).
    let requests = stat(&stats, "/requests");
    assert!((31..=32).contains(&requests), "{stats}");
    assert_eq!(stat(&stats, "/by_status/429"), 0, "no 429: {stats}");
    assert_eq!(stat(&stats, "/by_status/200"), requests, "{stats}");
    // 31+ requests at 10 per second need at least three full windows.
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_sharing_a_member_all_finish_with_exact_data() {
    // The seed profile's X-RateLimit-* headers let the clients converge: on this machine they
    // meet no 429 at all; the bound leaves room for a scheduler stall on a loaded CI host.
    let limited = three_clients_export(Profile::Seed, 20, Duration::from_secs(1)).await;
    assert!(
        limited <= 2,
        "the headers spread the requests: {limited} 429s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_clients_without_rate_headers_wait_out_their_429s() {
    // The cloud profile sends no X-RateLimit-* headers: the clients collide, and each 429's
    // Retry-After pauses the client that got it. A window of three seconds makes the collision
    // certain even on a slow, loaded machine: avoiding it would take the three clients more
    // than half a second per request each.
    let limited = three_clients_export(Profile::Cloud, 16, Duration::from_secs(3)).await;
    assert!(limited > 0, "the clients met 429s");
}

/// Three clients of one member export 1500 tickets at once against a limit of `limit`
/// requests per `window` that none of them knows; returns the 429s the sandbox answered.
async fn three_clients_export(profile: Profile, limit: u32, window: Duration) -> u64 {
    let sandbox = sandbox(1500, rule(limit, window), profile, Faults::default()).await;
    let expected: BTreeSet<i64> = {
        // A reference export from a client that paces itself well below the limit.
        let reference = client(
            &sandbox,
            RateLimit::Budget {
                requests: limit / 2,
                per: window,
            },
        );
        export(&reference, 1000)
            .await
            .unwrap()
            .into_iter()
            .collect()
    };
    assert_eq!(expected.len(), 1500);
    let before = admin_get(&sandbox, "stats").await;
    let mut tasks = Vec::new();
    for _ in 0..3 {
        // Separate clients (no shared limiter), no proactive budget.
        let c = client(&sandbox, RateLimit::Off);
        tasks.push(tokio::spawn(async move {
            let n = c.count(TICKETS, &Query::new()).await?;
            let ids = export(&c, 100).await?;
            Ok::<_, cwpsa::Error>((n, ids))
        }));
    }
    for task in tasks {
        let (n, ids) = task.await.unwrap().unwrap();
        assert_eq!(n, 1500);
        assert_unique(&ids);
        assert_eq!(ids.into_iter().collect::<BTreeSet<_>>(), expected);
    }
    let after = admin_get(&sandbox, "stats").await;
    let ok = stat(&after, "/by_status/200") - stat(&before, "/by_status/200");
    // 3 × (1 count + 15 pages, maybe + an empty last page).
    assert!((48..=51).contains(&ok), "{after}");
    let limited = stat(&after, "/by_status/429");
    eprintln!("three clients ({profile:?}): {ok} successes, {limited} 429s");
    // The clients learn from the headers and from Retry-After rather than hammering: fewer
    // 429s than successful requests.
    assert!(limited < ok, "{limited} 429s for {ok} successes: {after}");
    limited
}

// A page is read from one snapshot by the sandbox (ids, bodies and the next link), so deletes
// landing during the export can never shorten a page into a false "end of list".
#[tokio::test]
async fn forward_only_returns_every_surviving_record_once_during_mutation_bursts() {
    let sandbox = sandbox(
        3000,
        RateLimitSetting::Off,
        Profile::Seed,
        Faults {
            // Slow pages, so that the bursts land in the middle of the export.
            latency_ms: Latency::Fixed(15),
            ..Faults::default()
        },
    )
    .await;
    let client = client(&sandbox, RateLimit::Off);
    let before: BTreeSet<i64> = export(&client, 1000).await.unwrap().into_iter().collect();
    assert_eq!(before.len(), 3000);

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mutator = {
        let done = done.clone();
        let url = admin_url(&sandbox, "mutate");
        tokio::spawn(async move {
            let http = reqwest::Client::new();
            let (mut inserted, mut deleted) = (BTreeSet::new(), BTreeSet::new());
            let mut bursts = 0;
            while !done.load(std::sync::atomic::Ordering::SeqCst) || bursts < 3 {
                let r = http
                    .post(&url)
                    .json(&json!({"entity": "tickets", "insert": 15, "update": 10, "delete": 15}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                let r: Value = r.json().await.unwrap();
                let ids = |k: &str| -> Vec<i64> {
                    r[k].as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_i64().unwrap())
                        .collect()
                };
                inserted.extend(ids("inserted"));
                deleted.extend(ids("deleted"));
                bursts += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            (inserted, deleted, bursts)
        })
    };
    let exported = export(&client, 100).await.unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let (inserted, deleted, bursts) = mutator.await.unwrap();
    assert!(bursts >= 3);
    assert!(!deleted.is_empty() && !inserted.is_empty());

    let after: BTreeSet<i64> = export(&client, 1000).await.unwrap().into_iter().collect();
    assert_unique(&exported);
    assert!(exported.windows(2).all(|w| w[0] < w[1]), "ordered by id");
    let got: BTreeSet<i64> = exported.iter().copied().collect();
    let survivors: BTreeSet<i64> = before
        .intersection(&after)
        .filter(|id| !deleted.contains(id))
        .copied()
        .collect();
    assert!(survivors.len() > 2500, "{}", survivors.len());
    let missing: Vec<_> = survivors.difference(&got).collect();
    assert!(
        missing.is_empty(),
        "{} records that existed throughout were not returned (the export of {} ended at id {:?}): {:?}",
        missing.len(),
        exported.len(),
        exported.last(),
        &missing[..missing.len().min(20)]
    );
    // Nothing that never existed.
    let phantom: Vec<_> = got
        .iter()
        .filter(|id| !before.contains(id) && !inserted.contains(id))
        .collect();
    assert!(phantom.is_empty(), "{phantom:?}");
    // The bursts really happened during the export: some of the original records were
    // deleted before the pager reached them.
    assert!(
        deleted
            .iter()
            .any(|id| before.contains(id) && !got.contains(id)),
        "a burst landed mid-export"
    );
}

#[tokio::test]
async fn an_export_survives_server_errors_and_connection_resets() {
    let sandbox = sandbox(
        3000,
        RateLimitSetting::Off,
        Profile::Seed,
        Faults::default(),
    )
    .await;
    let retries = Arc::new(Mutex::new(0u64));
    let seen = retries.clone();
    let client = Client::new(
        sandbox_config(sandbox.base_url())
            .rate_limit(RateLimit::Off)
            .retry(quick_retries())
            .on_event(move |e| {
                if matches!(e, Event::Retry { .. }) {
                    *seen.lock().unwrap() += 1;
                }
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    let expected = export(&client, 1000).await.unwrap();
    assert_eq!(expected.len(), 3000);
    let http = reqwest::Client::new();
    admin_send(
        &http,
        &sandbox,
        reqwest::Method::PUT,
        "faults",
        json!({"fail_rate": 0.05, "reset_rate": 0.05}),
    )
    .await;
    let before = admin_get(&sandbox, "stats").await;
    for _ in 0..2 {
        let ids = export(&client, 50).await.unwrap();
        assert_eq!(ids, expected, "exact data despite the faults");
    }
    let stats = admin_get(&sandbox, "stats").await;
    let errors: u64 = ["500", "502", "503"]
        .iter()
        .map(|s| {
            stat(&stats, &format!("/by_status/{s}")) - stat(&before, &format!("/by_status/{s}"))
        })
        .sum();
    assert!(errors > 0, "faults were injected: {stats}");
    assert!(
        *retries.lock().unwrap() >= errors,
        "every server error was retried"
    );
}

async fn some_company_id(client: &Client) -> i64 {
    let companies: Vec<Value> = client
        .list("company/companies", &Query::new().fields("id").page_size(1))
        .try_collect()
        .await
        .unwrap();
    companies[0]["id"].as_i64().unwrap()
}

async fn tickets_with_summary(client: &Client, summary: &str) -> u64 {
    client
        .count(
            TICKETS,
            &Query::new().conditions(field("summary").eq(summary)),
        )
        .await
        .unwrap()
}

async fn posts_logged(sandbox: &Sandbox) -> Vec<Value> {
    let log = admin_get(sandbox, "requests?limit=1000").await;
    log.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["method"] == "POST")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_post_is_never_replayed_after_a_500_but_is_after_a_429() {
    let sandbox = sandbox(200, RateLimitSetting::Off, Profile::Seed, Faults::default()).await;
    let client = client(&sandbox, RateLimit::Off);
    let http = reqwest::Client::new();
    let company = some_company_id(&client).await;

    admin_send(
        &http,
        &sandbox,
        reqwest::Method::PUT,
        "faults",
        json!({"fail_next": 1, "fail_next_status": 500}),
    )
    .await;
    let summary = "proving ground: not replayed";
    let err = client
        .create::<Value>(
            TICKETS,
            &json!({"summary": summary, "company": {"id": company}}),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500), "{err}");
    assert_eq!(err.kind(), ErrorKind::Server);
    let posts = posts_logged(&sandbox).await;
    assert_eq!(posts.len(), 1, "exactly one POST: {posts:?}");
    assert_eq!(posts[0]["status"], 500);
    assert_eq!(tickets_with_summary(&client, summary).await, 0);

    admin_send(
        &http,
        &sandbox,
        reqwest::Method::PUT,
        "faults",
        json!({"fail_next": 1, "fail_next_status": 429}),
    )
    .await;
    let summary = "proving ground: resent after 429";
    let created: Value = client
        .create(
            TICKETS,
            &json!({"summary": summary, "company": {"id": company}}),
        )
        .await
        .unwrap();
    assert_eq!(created["summary"], summary);
    let posts = posts_logged(&sandbox).await;
    let statuses: Vec<_> = posts
        .iter()
        .map(|p| p["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 429, 201], "{posts:?}");
    assert_eq!(
        tickets_with_summary(&client, summary).await,
        1,
        "created exactly once"
    );
}

#[tokio::test]
async fn the_cloud_profiles_429_is_decoded_and_waited_out() {
    let window = Duration::from_secs(2);
    let sandbox = sandbox(200, rule(3, window), Profile::Cloud, Faults::default()).await;

    // A client not allowed to wait: the 429 comes back as a decoded error.
    let impatient = Client::new(
        sandbox_config(sandbox.base_url())
            .rate_limit(RateLimit::Off)
            .retry(RetryPolicy {
                max_elapsed: Duration::from_millis(100),
                ..quick_retries()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    for _ in 0..3 {
        let _: Value = impatient.get("service/priorities").await.unwrap();
    }
    let err = impatient
        .get::<Value>("service/priorities")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert_eq!(err.status(), Some(429));
    assert!(
        err.message()
            .starts_with("Too many requests. Please try again in "),
        "{err}"
    );
    let told = err.retry_after().expect("the wait is known");
    assert!(told >= Duration::from_secs(1) && told <= window, "{told:?}");

    // A patient client waits as told and succeeds.
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let patient = Client::new(
        sandbox_config(sandbox.base_url())
            .rate_limit(RateLimit::Off)
            .retry(quick_retries())
            .on_event(move |e| sink.lock().unwrap().push(e.clone()))
            .build()
            .unwrap(),
    )
    .unwrap();
    let started = Instant::now();
    let _: Value = patient.get("service/priorities").await.unwrap();
    let elapsed = started.elapsed();
    let waits: Vec<Duration> = events
        .lock()
        .unwrap()
        .iter()
        .filter_map(|e| match e {
            Event::RateLimited { wait, .. } => Some(*wait),
            _ => None,
        })
        .collect();
    assert!(!waits.is_empty(), "the client was told to wait");
    // Retry-After (whole seconds) plus under a second of jitter.
    assert!(
        waits[0] >= Duration::from_secs(1) && waits[0] < window + Duration::from_secs(1),
        "{waits:?}"
    );
    assert!(elapsed >= waits[0], "{elapsed:?} < {waits:?}");
    let stats = admin_get(&sandbox, "stats").await;
    // The impatient 429 and the patient client's first attempt; nothing more.
    assert_eq!(stat(&stats, "/by_status/429"), 2, "{stats}");
    assert_eq!(stat(&stats, "/by_status/200"), 4, "{stats}");
}
