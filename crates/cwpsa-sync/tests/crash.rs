//! `kill -9` at random moments, then a run to the end: the destination converges exactly.
//!
//! The sync runs in a child process (this test binary again, running the ignored test
//! `child_sync` with its settings in the environment) so that it can really be killed.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use cwpsa_sync::Destination;
use serde_json::json;

const BASE_URL: &str = "CWPSA_SYNC_CHILD_BASE_URL";
const DB: &str = "CWPSA_SYNC_CHILD_DB";

/// The child: one sync of the sandbox at `$BASE_URL` into `$DB`. Not a test on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run as a child process by kill_9_at_random_points_then_resume_converges"]
async fn child_sync() {
    let (Ok(base_url), Ok(db)) = (std::env::var(BASE_URL), std::env::var(DB)) else {
        panic!("child_sync is run by kill_9_at_random_points_then_resume_converges");
    };
    let config = cwpsa::Config::builder()
        .company_id("sandbox")
        .public_key("sandbox-public")
        .private_key("sandbox-private")
        .client_id("00000000-0000-4000-8000-000000000000")
        .base_url(base_url)
        .rate_limit(cwpsa::RateLimit::Off)
        .build()
        .unwrap();
    let mut opts = options(Destination::Sqlite(db.into()));
    opts.delete_scan_every = Some(Duration::ZERO);
    let summary = cwpsa_sync::run(config, &opts).await.unwrap();
    println!("{summary}");
    assert!(summary.is_ok());
}

/// A small xorshift, seeded from the clock and printed so a failure can be replayed.
fn rng() -> (u64, impl FnMut(u64) -> u64) {
    let seed = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let mut x = seed;
    (seed, move |below: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % below
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_then_resume_converges() {
    let sandbox = sandbox(250).await;
    // Slow enough that a run takes a few seconds and kills land inside it.
    admin_put(&sandbox, "faults", &json!({"latency_ms": [5, 15]})).await;
    let db = temp_db("crash");
    let (seed, mut next) = rng();
    eprintln!("CRASH_SEED={seed}");
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args(["--exact", "child_sync", "--ignored", "--nocapture"])
            .env(BASE_URL, sandbox.base_url())
            .env(DB, &db)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    // Kills that landed while the run was in progress (a kill can also land after the run
    // committed its end, while the process exits).
    let mut killed_mid_run = 0;
    for round in 0..8 {
        let previous_run = latest_run_id(&db);
        let mut child = spawn();
        let delay = Duration::from_millis(next(700));
        // The delay counts from the moment the run is in the ledger: a kill during the
        // process's start-up (before the destination is opened) would leave no run to find.
        let mut started: Option<Instant> = None;
        let finished = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            match started {
                None if latest_run_id(&db) > previous_run => started = Some(Instant::now()),
                Some(at) if at.elapsed() >= delay => break false,
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        if finished {
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        } else {
            // SIGKILL: no destructor, no flush, no unlock but the kernel's.
            child.kill().unwrap();
            child.wait().unwrap();
            let status = latest_run_status(&db);
            eprintln!("round {round}: killed {delay:?} into the run, which was {status}");
            match status.as_str() {
                "running" => killed_mid_run += 1,
                "ok" => {}
                other => panic!("round {round}: a killed run is `{other}`"),
            }
        }
        // The server keeps changing between crashes.
        admin_post(
            &sandbox,
            "mutate",
            &json!({"entity": "tickets", "insert": 3, "update": 5, "delete": 2}),
        )
        .await;
        admin_post(
            &sandbox,
            "mutate",
            &json!({"entity": "ticket_notes", "insert": 2, "update": 2}),
        )
        .await;
    }
    assert!(
        killed_mid_run >= 2,
        "the kills should land mid-sync (seed {seed})"
    );
    let out = spawn().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "final run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_same(&server_snapshot(&sandbox).await, &sqlite_snapshot(&db));
    assert_eq!(sqlite_indexes(&db), expected_indexes());
    // The runs killed midway are in the ledger as interrupted, the last one ok.
    let status = cwpsa_sync::status(&Destination::Sqlite(db.clone()), 20)
        .await
        .unwrap();
    assert_eq!(status.runs[0].status, "ok");
    let interrupted = status
        .runs
        .iter()
        .filter(|r| r.status == "interrupted")
        .count();
    assert_eq!(interrupted, killed_mid_run, "{status}");
}
