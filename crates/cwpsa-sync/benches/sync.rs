//! Sync benchmarks against an in-process sandbox (numbers on a shared 2-core machine are
//! noisy; run each a few times).
//!
//! ```sh
//! # (a) first sync of 200,000 tickets under --rate-limit 60/6s --latency 100..150, as a
//! #     fraction of the ceiling (10 requests/s × 1000 records)
//! CWPSA_BENCH=a cargo bench -p cwpsa-sync --bench sync
//! # (b) rate limiting off: tickets/s written into SQLite and (with CW_TEST_POSTGRES_URL) PostgreSQL
//! CWPSA_BENCH=b cargo bench -p cwpsa-sync --bench sync
//! # (c) incremental after 1,000 changes in a 1,000,000-ticket tenant: requests and time
//! CWPSA_BENCH=c cargo bench -p cwpsa-sync --bench sync
//! ```
//! `CWPSA_BENCH_TICKETS=N` changes the tenant size of any of them.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::time::{Duration, Instant};

use cwpsa::{Config, RateLimit, RetryPolicy};
use cwpsa_sandbox::faults::{Faults, Latency};
use cwpsa_sandbox::limiter::RateLimit as Rule;
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};
use cwpsa_sync::{Destination, Summary, SyncOptions};
use serde_json::json;

fn tickets(default: usize) -> usize {
    std::env::var("CWPSA_BENCH_TICKETS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join("cwpsa-sync-bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm", ".sync-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

async fn sandbox(tickets: usize, rate_limit: RateLimitSetting, faults: Faults) -> Sandbox {
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig {
        seed: SeedConfig::for_tickets(1, tickets),
        db: Some(scratch(&format!("sandbox-{tickets}.db"))),
        rate_limit,
        faults,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    eprintln!(
        "sandbox with {tickets} tickets seeded in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    sandbox
}

fn config(base_url: &str, rate: RateLimit) -> Config {
    Config::builder()
        .company_id("sandbox")
        .public_key("sandbox-public")
        .private_key("sandbox-private")
        .client_id("00000000-0000-4000-8000-000000000000")
        .base_url(base_url)
        .rate_limit(rate)
        .retry(RetryPolicy::default())
        .build()
        .unwrap()
}

fn options(destination: Destination, entities: &[&str]) -> SyncOptions {
    let mut o = SyncOptions::new(destination);
    o.entities = entities.iter().map(|e| (*e).to_owned()).collect();
    o.delete_scan_every = None;
    o
}

fn records(summary: &Summary) -> u64 {
    summary.entities.iter().map(|e| e.fetched).sum()
}

async fn bench_a() {
    let n = tickets(200_000);
    // The sandbox runs in another process, as a real server would: in this one it would take
    // the sync's runtime threads for its own work.
    let (mut child, base_url) = sandbox_child(n, Served::Limited);
    let rate = RateLimit::Budget {
        requests: 60,
        per: Duration::from_secs(6),
    };
    for entities in [
        &["tickets"][..],
        &[
            "members",
            "priorities",
            "boards",
            "companies",
            "contacts",
            "tickets",
            "projects",
            "time_entries",
        ][..],
    ] {
        let db = scratch("a.db");
        let summary = cwpsa_sync::run(
            config(&base_url, rate),
            &options(Destination::Sqlite(db), entities),
        )
        .await
        .unwrap();
        assert!(summary.is_ok(), "{summary}");
        let secs = summary.elapsed.as_secs_f64();
        // The ceiling: 10 requests/s, each a page of 1000 records (or the rest of an entity).
        let pages: u64 = summary
            .entities
            .iter()
            .map(|e| e.fetched.div_ceil(1000).max(1))
            .sum();
        let ceiling_secs = pages as f64 / 10.0;
        // The sandbox counts fixed windows that open with a request: a client may spend a
        // window's 60 requests at once, so even a perfect one beats the 10/s average by up to
        // a window. Its time for this run's requests: the last starts when its window opens
        // and takes one round trip (125 ms of latency on average).
        let requests = summary.requests();
        let perfect_secs = (requests.saturating_sub(1) / 60) as f64 * 6.0 + 0.125;
        println!("{summary}");
        println!(
            "(a) {} entities, {} records in {secs:.1}s = {:.0} records/s; {requests} requests ({} 429s); ceiling {pages} pages at 10/s = {ceiling_secs:.1}s: {:.1}% of the ceiling; a perfect client under fixed 60/6s windows needs {perfect_secs:.1}s for {requests} requests: {:.1}% of that",
            entities.len(),
            records(&summary),
            records(&summary) as f64 / secs,
            summary.entities.iter().map(|e| e.rate_limited).sum::<u64>(),
            100.0 * ceiling_secs / secs,
            100.0 * perfect_secs / secs
        );
        // The next run's buckets start empty.
        tokio::time::sleep(Duration::from_secs(7)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// CPU seconds (user + system) a process (`self` or a pid) has used, from `/proc/<pid>/stat`
/// (Linux).
fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// How a child sandbox serves.
#[derive(Clone, Copy)]
enum Served {
    /// No rate limit, no added latency.
    Fast,
    /// `--rate-limit 60/6s --latency 100..150`.
    Limited,
}

/// The sandbox in a child process (this binary again), so that this process's CPU time is the
/// sync's alone. Returns the child and the base URL it printed.
fn sandbox_child(tickets: usize, served: Served) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .env("CWPSA_BENCH_SANDBOX_CHILD", tickets.to_string())
        .env(
            "CWPSA_BENCH_SANDBOX_LIMITED",
            if matches!(served, Served::Limited) {
                "1"
            } else {
                "0"
            },
        )
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

async fn serve_sandbox_child(tickets: usize) {
    let sandbox = if std::env::var("CWPSA_BENCH_SANDBOX_LIMITED").is_ok_and(|v| v == "1") {
        sandbox(
            tickets,
            RateLimitSetting::Rule(Rule {
                limit: 60,
                window: Duration::from_secs(6),
            }),
            Faults {
                latency_ms: Latency::Range([100, 150]),
                ..Faults::default()
            },
        )
        .await
    } else {
        sandbox(tickets, RateLimitSetting::Off, Faults::default()).await
    };
    println!("{}", sandbox.base_url());
    // Until the parent kills this process.
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}

async fn bench_b() {
    let n = tickets(200_000);
    let (mut child, base_url) = sandbox_child(n, Served::Fast);
    let client_config = config(&base_url, RateLimit::Off);
    let mut destinations = vec![("SQLite", Destination::Sqlite(scratch("b.db")))];
    match std::env::var("CW_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => destinations.push((
            "PostgreSQL",
            Destination::Postgres {
                url,
                schema: Some(format!("cwsync_bench_{}", std::process::id())),
            },
        )),
        _ => println!("(b) PostgreSQL skipped: set CW_TEST_POSTGRES_URL"),
    }
    for (name, destination) in destinations {
        let opts = options(destination, &["tickets"]);
        let sandbox_pid = child.id().to_string();
        let cpu0 = cpu_seconds("self").unwrap_or(0.0);
        let sandbox_cpu0 = cpu_seconds(&sandbox_pid).unwrap_or(0.0);
        let summary = cwpsa_sync::run(client_config.clone(), &opts).await.unwrap();
        let cpu = cpu_seconds("self").unwrap_or(0.0) - cpu0;
        let sandbox_cpu = cpu_seconds(&sandbox_pid).unwrap_or(0.0) - sandbox_cpu0;
        assert!(summary.is_ok(), "{summary}");
        let t = &summary.entities[0];
        println!(
            "(b) {name}: {} tickets in {:.1}s end to end = {:.0} tickets/s (time in the writers, summed over parallel connections, {:.1}s); the sync process used {cpu:.1} CPU-s = {:.0} tickets per CPU-second (fetch, gunzip, parse, write); the sandbox, in another process, {sandbox_cpu:.1} CPU-s",
            t.fetched,
            t.elapsed.as_secs_f64(),
            t.fetched as f64 / t.elapsed.as_secs_f64(),
            t.writing.as_secs_f64(),
            t.fetched as f64 / cpu
        );
        if let Destination::Postgres {
            url,
            schema: Some(schema),
        } = &opts.destination
        {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(conn);
            client
                .batch_execute(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
                .await
                .unwrap();
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

async fn bench_c() {
    let n = tickets(1_000_000);
    let sandbox = sandbox(n, RateLimitSetting::Off, Faults::default()).await;
    let db = scratch("c.db");
    let mut opts = options(Destination::Sqlite(db), &["tickets"]);
    let first = cwpsa_sync::run(config(sandbox.base_url(), RateLimit::Off), &opts)
        .await
        .unwrap();
    assert!(first.is_ok(), "{first}");
    println!(
        "(c) first sync: {} tickets in {:.1}s, {} requests",
        records(&first),
        first.elapsed.as_secs_f64(),
        first.requests()
    );
    let admin = format!(
        "{}/_sandbox/mutate",
        sandbox.base_url().split("/v4_6_release").next().unwrap()
    );
    let body = json!({"entity": "tickets", "insert": 250, "update": 500, "delete": 250});
    let r = reqwest::Client::new()
        .post(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let inc = cwpsa_sync::run(config(sandbox.base_url(), RateLimit::Off), &opts)
        .await
        .unwrap();
    assert!(inc.is_ok(), "{inc}");
    println!(
        "(c) incremental after 1,000 changes (250 inserts, 500 updates, 250 deletes) in {n} tickets: {} requests, {:.2}s, {} fetched, {} inserted, {} updated (deletions wait for the id scan)",
        inc.requests(),
        inc.elapsed.as_secs_f64(),
        records(&inc),
        inc.entities[0].inserted,
        inc.entities[0].updated
    );
    opts.delete_scan_every = Some(Duration::ZERO);
    let scan = cwpsa_sync::run(config(sandbox.base_url(), RateLimit::Off), &opts)
        .await
        .unwrap();
    assert!(scan.is_ok(), "{scan}");
    println!(
        "(c) the same plus an id-only deletion scan: {} requests, {:.2}s, {} deleted",
        scan.requests(),
        scan.elapsed.as_secs_f64(),
        scan.entities[0].deleted
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if let Some(n) = std::env::var("CWPSA_BENCH_SANDBOX_CHILD")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        serve_sandbox_child(n).await;
        return;
    }
    let which = std::env::var("CWPSA_BENCH").unwrap_or_else(|_| "b".into());
    // `cargo test --benches` runs benches with `--bench`-less args: keep that quick.
    if std::env::args().any(|a| a == "--test") {
        return;
    }
    for part in which.split(',') {
        match part.trim() {
            "a" => bench_a().await,
            "b" => bench_b().await,
            "c" => bench_c().await,
            other => eprintln!("unknown benchmark `{other}`: use a, b or c"),
        }
    }
}
