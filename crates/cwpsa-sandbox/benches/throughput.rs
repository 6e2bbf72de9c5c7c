//! Throughput of the sandbox itself with rate limiting off, so that client benchmarks can show
//! the server is not their bottleneck: requests/s of 25-record pages and MB/s of 1000-record
//! pages, from concurrent keep-alive connections, uncompressed and gzip.
//!
//! Run: `cargo bench -p cwpsa-sandbox --bench throughput`
//! (`CWPSA_BENCH_SECONDS` per measurement, default 5; `CWPSA_BENCH_CONNECTIONS`, default 8.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};

#[tokio::main]
async fn main() {
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && !"throughput".contains(a.as_str()))
    {
        return;
    }
    let seconds: u64 = std::env::var("CWPSA_BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let connections: usize = std::env::var("CWPSA_BENCH_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let config = SandboxConfig {
        seed: SeedConfig::for_tickets(1, 5000),
        rate_limit: RateLimitSetting::Off,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    println!(
        "sandbox with 5000 tickets in memory; {connections} connections, {seconds} s per measurement"
    );
    for (label, page_size, encoding) in [
        ("25-record pages", 25, "identity"),
        ("1000-record pages", 1000, "identity"),
        ("1000-record pages, gzip", 1000, "gzip"),
    ] {
        let (requests, bytes) = hammer(
            sandbox.base_url(),
            page_size,
            encoding,
            connections,
            Duration::from_secs(seconds),
        )
        .await;
        let secs = seconds as f64;
        println!(
            "{label}: {:.0} requests/s, {:.1} MB/s of response bodies ({:.0} records/s)",
            requests as f64 / secs,
            bytes as f64 / secs / 1e6,
            requests as f64 * page_size as f64 / secs
        );
    }
}

async fn hammer(
    base: &str,
    page_size: usize,
    encoding: &'static str,
    connections: usize,
    duration: Duration,
) -> (u64, u64) {
    let requests = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("sandbox+sandbox-public:sandbox-private")
    );
    let deadline = Instant::now() + duration;
    let pages = 5000 / page_size;
    let mut tasks = Vec::new();
    for worker in 0..connections {
        let (requests, bytes, auth, base) = (
            requests.clone(),
            bytes.clone(),
            auth.clone(),
            base.to_owned(),
        );
        tasks.push(tokio::spawn(async move {
            // No automatic decompression: the bytes counted are the bytes on the wire.
            let client = reqwest::Client::builder().no_gzip().build().unwrap();
            let mut page = worker % pages;
            while Instant::now() < deadline {
                page = (page + 1) % pages;
                let response = client
                    .get(format!(
                        "{base}service/tickets?pageSize={page_size}&page={}",
                        page + 1
                    ))
                    .header("authorization", &auth)
                    .header("clientId", "00000000-0000-4000-8000-000000000000")
                    .header("accept-encoding", encoding)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status(), 200);
                let body = response.bytes().await.unwrap();
                requests.fetch_add(1, Ordering::Relaxed);
                bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    (
        requests.load(Ordering::Relaxed),
        bytes.load(Ordering::Relaxed),
    )
}
