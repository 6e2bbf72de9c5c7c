//! The client exporting tickets from a sandbox running in a child process (so that each side's
//! CPU time and memory can be read apart):
//!
//! - `ceiling`: under the seed's 60-per-window rule time-scaled by 10 (`60/6s`) with 100..150 ms
//!   of latency per request and pages of 1000, the records delivered per complete window as a
//!   fraction of the ceiling (60 × 1000), and the 429s the sandbox answered (target: ≥ 97 %, 0);
//! - `cpu`: rate limiting off, end-to-end tickets/s, the client's CPU time against the
//!   sandbox's for the same export (target: under a third), and decode-only MB/s of a page;
//! - `decode`: only the decode-only figures of `cpu` (quicker, to compare decoders);
//! - `rss`: the client's peak resident memory while streaming every ticket (target with
//!   1,000,000 tickets: under 100 MB).
//!
//! Run: `cargo bench -p cwpsa --bench export` (ceiling and cpu, 200,000 tickets;
//! `CWPSA_BENCH_MODE=cpu` for one of them), and
//! `CWPSA_BENCH_MODE=rss CWPSA_BENCH_TICKETS=1000000 cargo bench -p cwpsa --bench export`.
//! Knobs: `CWPSA_BENCH_CONCURRENCY` (pages in flight, default 3), `CWPSA_BENCH_PAGING`
//! (`forward`, the default, or `pages`), `CWPSA_BENCH_DIR` (where the seeded databases are
//! kept between runs: seeding a million tickets takes a minute or two), `CWPSA_BENCH_GZIP=1`
//! (ask the sandbox for gzip, as the real service is asked; by default a server on this
//! machine is not, and then neither side spends CPU on compression).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cwpsa::model::Ticket;
use cwpsa::{Client, Config, Paging, Query, RateLimit};
use cwpsa_sandbox::faults::{Faults, Latency};
use cwpsa_sandbox::limiter::RateLimit as Rule;
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};
use futures_util::StreamExt;

const TICKETS: &str = "service/tickets";
const WINDOW: Duration = Duration::from_secs(6);
const LIMIT: u32 = 60;
const PAGE: u32 = 1000;
/// Linux reports process CPU times in ticks of 1/100 s (USER_HZ).
const TICKS_PER_SECOND: f64 = 100.0;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if std::env::var_os("CWPSA_EXPORT_BENCH_SERVE").is_some() {
        serve();
        return;
    }
    // `cargo bench` passes `--bench`; a filter argument that does not match skips the run.
    if std::env::args()
        .skip(1)
        .any(|a| !a.starts_with("--") && !"export".contains(a.as_str()))
    {
        return;
    }
    let tickets: usize = env_or("CWPSA_BENCH_TICKETS", 200_000);
    let mode = std::env::var("CWPSA_BENCH_MODE").unwrap_or_else(|_| "ceiling,cpu".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    for m in mode.split(',') {
        match m.trim() {
            "ceiling" => runtime.block_on(ceiling(tickets)),
            "cpu" => runtime.block_on(cpu(tickets)),
            "decode" => runtime.block_on(decode(tickets)),
            "rss" => runtime.block_on(rss(tickets)),
            other => eprintln!("unknown CWPSA_BENCH_MODE `{other}` (ceiling, cpu, decode, rss)"),
        }
    }
}

/// The sandbox side, run in a child process: seeds (or reopens) the database, prints its base
/// URL, and serves until its stdin closes.
fn serve() {
    let tickets: usize = env_or("CWPSA_BENCH_TICKETS", 200_000);
    let limited = std::env::var_os("CWPSA_EXPORT_BENCH_LIMITED").is_some();
    let config = SandboxConfig {
        db: Some(database(tickets)),
        seed: SeedConfig::for_tickets(1, tickets),
        rate_limit: if limited {
            RateLimitSetting::Rule(Rule {
                limit: LIMIT,
                window: WINDOW,
            })
        } else {
            RateLimitSetting::Off
        },
        faults: Faults {
            latency_ms: if limited {
                Latency::Range([100, 150])
            } else {
                Latency::Fixed(0)
            },
            ..Faults::default()
        },
        ..SandboxConfig::default()
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        println!("{}", sandbox.base_url());
        // Serve until the parent closes our stdin (or dies).
        tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
        })
        .await
        .unwrap();
        drop(sandbox);
    });
}

fn database(tickets: usize) -> PathBuf {
    let dir = std::env::var("CWPSA_BENCH_DIR").map_or_else(|_| std::env::temp_dir(), Into::into);
    dir.join(format!("cwpsa-export-bench-{tickets}.db"))
}

/// A sandbox child process and a client for it.
struct Served {
    child: Child,
    base_url: String,
    client: Client,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(tickets: usize, limited: bool, rate: RateLimit) -> Served {
    let started = Instant::now();
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .env("CWPSA_EXPORT_BENCH_SERVE", "1")
        .env("CWPSA_BENCH_TICKETS", tickets.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    if limited {
        command.env("CWPSA_EXPORT_BENCH_LIMITED", "1");
    }
    let mut child = command.spawn().expect("the sandbox process starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base_url = line.trim().to_owned();
    assert!(base_url.starts_with("http"), "ready line: {line:?}");
    eprintln!(
        "sandbox with {tickets} tickets ready in {:.1} s ({})",
        started.elapsed().as_secs_f64(),
        database(tickets).display()
    );
    let config = Config::builder()
        .company_id("sandbox")
        .public_key("sandbox-public")
        .private_key("sandbox-private")
        .client_id("00000000-0000-4000-8000-000000000000")
        .base_url(&base_url)
        .rate_limit(rate)
        // A sandbox on this machine is not asked for gzip unless this says so, to compare.
        .gzip(std::env::var_os("CWPSA_BENCH_GZIP").is_some())
        .build()
        .unwrap();
    Served {
        child,
        base_url,
        client: Client::new(config).unwrap(),
    }
}

fn query() -> (Query, Paging) {
    let k: usize = env_or("CWPSA_BENCH_CONCURRENCY", 3);
    let query = Query::new().page_size(PAGE).concurrency(k);
    match std::env::var("CWPSA_BENCH_PAGING").as_deref() {
        Ok("pages") => (query.order_by("id"), Paging::Pages),
        _ => (query, Paging::ForwardOnly),
    }
}

/// Exports every ticket, calling `on_page(records)` after each page; returns the count.
async fn export(client: &Client, mut on_page: impl FnMut(usize)) -> usize {
    let (query, paging) = query();
    let mut pages = client.pages::<Ticket>(TICKETS, &query, paging);
    let mut total = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("the export succeeds");
        let n = page.len();
        for record in page {
            record.expect("every ticket decodes");
        }
        total += n;
        on_page(n);
    }
    total
}

async fn ceiling(tickets: usize) {
    let served = start(
        tickets,
        true,
        RateLimit::Budget {
            requests: LIMIT,
            per: WINDOW,
        },
    );
    let started = Instant::now();
    let mut deliveries: Vec<(Duration, usize)> = Vec::new();
    let total = export(&served.client, |n| deliveries.push((started.elapsed(), n))).await;
    let elapsed = started.elapsed();
    assert_eq!(total, tickets, "every ticket exported");
    let windows = (elapsed.as_secs_f64() / WINDOW.as_secs_f64()).floor() as u32;
    let in_full_windows: usize = deliveries
        .iter()
        .filter(|(at, _)| *at <= WINDOW * windows)
        .map(|(_, n)| n)
        .sum();
    let ceiling = f64::from(windows) * f64::from(LIMIT) * f64::from(PAGE);
    let stats = admin_stats(&served.base_url).await;
    let (query, _) = query();
    println!(
        "ceiling: {total} tickets in {:.1} s ({query:?}); {windows} complete windows of {:?} \
         delivered {in_full_windows} records = {:.1} % of the ceiling ({} per window); \
         requests {}, 429s {}",
        elapsed.as_secs_f64(),
        WINDOW,
        100.0 * in_full_windows as f64 / ceiling.max(1.0),
        LIMIT * PAGE,
        stats
            .pointer("/requests")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
        stats
            .pointer("/by_status/429")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0),
    );
}

async fn cpu(tickets: usize) {
    let served = start(tickets, false, RateLimit::Off);
    let pid = served.child.id();
    let (client0, server0) = (cpu_seconds("self"), cpu_seconds(&pid.to_string()));
    let started = Instant::now();
    let total = export(&served.client, |_| {}).await;
    let elapsed = started.elapsed();
    let client_cpu = cpu_seconds("self") - client0;
    let server_cpu = cpu_seconds(&pid.to_string()) - server0;
    assert_eq!(total, tickets, "every ticket exported");
    println!(
        "cpu: {total} tickets in {:.2} s = {:.0} tickets/s; CPU client {client_cpu:.2} s, \
         sandbox {server_cpu:.2} s: client/sandbox = {:.2}",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        client_cpu / server_cpu.max(0.01)
    );
    decode_only(&served.client).await;
}

/// The `decode` mode: only the decode-only figures, on a page of the same sandbox as `cpu`
/// (seeded with `tickets`, kept in `CWPSA_BENCH_DIR`), without the export before them.
async fn decode(tickets: usize) {
    let served = start(tickets, false, RateLimit::Off);
    decode_only(&served.client).await;
}

async fn decode_only(client: &Client) {
    // Decode only: one page of 1000 tickets decoded again and again by the client (and
    // dropped), in CPU seconds of this thread, as the machine is shared; then floors for the
    // same page: serde_json parsing it without building anything, parsing it and copying out
    // every string (what any decoder into owned `String`s allocates), and into untyped values.
    let body = client
        .request(cwpsa::Method::GET, TICKETS)
        .param("pageSize", PAGE.to_string())
        .send()
        .await
        .unwrap()
        .body;
    let page = cwpsa::Response {
        status: 200,
        headers: reqwest::header::HeaderMap::new(),
        body,
    };
    println!(
        "decode: a page of {PAGE} tickets is {} KiB",
        page.body.len() / 1024
    );
    decode_rate(
        "typed `Vec<Ticket>` (Response::json)",
        page.body.len(),
        || page.json::<Vec<Ticket>>().unwrap().len(),
    );
    let text = std::str::from_utf8(&page.body).unwrap();
    decode_rate("floor: parse only (IgnoredAny)", page.body.len(), || {
        serde_json::from_str::<Vec<serde::de::IgnoredAny>>(text)
            .unwrap()
            .len()
    });
    decode_rate(
        "floor: parse, and copy out every string (`Vec<Strings>`)",
        page.body.len(),
        || {
            let records = serde_json::from_str::<Vec<Strings>>(text).unwrap();
            assert!(
                records.iter().all(|r| !r.0.is_empty()),
                "every ticket has strings"
            );
            records.len()
        },
    );
    decode_rate("untyped `Vec<Value>`", page.body.len(), || {
        serde_json::from_str::<Vec<serde_json::Value>>(text)
            .unwrap()
            .len()
    });
}

/// A record's strings, each copied into a `String` of its own (keys and everything else
/// skipped): a floor for decoders whose records own their strings.
struct Strings(Vec<String>);

impl<'de> serde::Deserialize<'de> for Strings {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Strings, D::Error> {
        let mut strings = Vec::with_capacity(64);
        serde::de::DeserializeSeed::deserialize(CopyStrings(&mut strings), d)?;
        Ok(Strings(strings))
    }
}

/// Walks any JSON value, pushing a copy of every string value it meets.
struct CopyStrings<'a>(&'a mut Vec<String>);

impl<'de> serde::de::DeserializeSeed<'de> for CopyStrings<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for CopyStrings<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.0.push(v.to_owned());
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(CopyStrings(self.0))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(CopyStrings(self.0))?;
        }
        Ok(())
    }
}

/// Decodes a page for 3 s and prints the rate per CPU-second of this thread (and per wall
/// second).
fn decode_rate(what: &str, bytes: usize, mut decode: impl FnMut() -> usize) {
    let (cpu0, started) = (cpu_seconds("thread-self"), Instant::now());
    let mut rounds = 0u32;
    while started.elapsed() < Duration::from_secs(3) {
        assert_eq!(decode(), PAGE as usize);
        rounds += 1;
    }
    let cpu = cpu_seconds("thread-self") - cpu0;
    let megabytes = bytes as f64 * f64::from(rounds) / 1e6;
    println!(
        "decode {what}: {:.0} MB/s per CPU-second ({:.2} ms CPU per page; {:.0} MB/s wall)",
        megabytes / cpu.max(0.01),
        cpu * 1e3 / f64::from(rounds),
        megabytes / started.elapsed().as_secs_f64()
    );
}

async fn rss(tickets: usize) {
    let served = start(tickets, false, RateLimit::Off);
    let before = peak_rss_kib();
    let started = Instant::now();
    let total = export(&served.client, |_| {}).await;
    assert_eq!(total, tickets, "every ticket exported");
    println!(
        "rss: streamed {total} tickets in {:.1} s; client peak RSS {:.1} MiB (before the export {:.1} MiB)",
        started.elapsed().as_secs_f64(),
        peak_rss_kib() as f64 / 1024.0,
        before as f64 / 1024.0
    );
}

/// User + system CPU seconds of a process (`self` or a pid, all its threads) or of the calling
/// thread (`thread-self`).
fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name may hold spaces: count fields after its closing parenthesis.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / TICKS_PER_SECOND
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

async fn admin_stats(base_url: &str) -> serde_json::Value {
    let origin = base_url.split("/v4_6_release").next().unwrap();
    reqwest::get(format!("{origin}/_sandbox/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
