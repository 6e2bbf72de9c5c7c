//! Measures how fast the demo data generates, and optionally prints a sample.
//!
//! `cargo run --release -p cwpsa-sandbox --example seed_speed -- [TICKETS] [--encode | --value] [--show ENTITY]`
//! (default 1,000,000 tickets, scaled with `SeedConfig::for_tickets`). The figure is the time
//! for tickets plus their notes, divided by the ticket count, both wall-clock and this thread's
//! CPU time (from `/proc/thread-self/schedstat`, so a busy machine does not inflate it). With
//! `--encode` the records come as JSON text (`generate_json`), as a real sink stores them; with
//! `--value` they come as `Value`s (`generate`) and are then serialised, the slower path.

use std::collections::BTreeMap;
use std::time::Instant;

use cwpsa_sandbox::seed::{SeedConfig, generate, generate_json};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tickets = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let encode = args.iter().any(|a| a == "--encode");
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let config = SeedConfig::for_tickets(1, tickets);
    println!("{config:?}");

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut started: BTreeMap<&'static str, (Instant, u64)> = BTreeMap::new();
    let mut bytes = 0usize;
    let mut shown = 0;
    let start = Instant::now();
    let value = args.iter().any(|a| a == "--value");
    let mut on_record = |entity: &'static str,
                         json: Option<&str>,
                         record: Option<&serde_json::Value>|
     -> Result<(), serde_json::Error> {
        started
            .entry(entity)
            .or_insert_with(|| (Instant::now(), cpu_ns()));
        *counts.entry(entity).or_default() += 1;
        if let Some(record) = record {
            bytes += serde_json::to_vec(record)?.len();
        }
        bytes += json.map_or(0, str::len);
        if show.as_deref() == Some(entity) && shown < 2 {
            shown += 1;
            match (json, record) {
                (Some(json), _) => println!("{json}"),
                (_, Some(record)) => println!("{}", serde_json::to_string_pretty(record)?),
                _ => {}
            }
        }
        Ok(())
    };
    if encode {
        generate_json::<serde_json::Error>(&config, &mut |entity, record| {
            on_record(entity, Some(record.json), None)
        })?;
    } else if value {
        generate::<serde_json::Error>(&config, &mut |entity, record| {
            on_record(entity, None, Some(&record))
        })?;
    } else {
        generate::<serde_json::Error>(&config, &mut |entity, _| on_record(entity, None, None))?;
    }
    let total = start.elapsed();
    let end_cpu = cpu_ns();
    for (i, entity) in cwpsa_sandbox::seed::ENTITIES.iter().enumerate() {
        let n = counts.get(entity).copied().unwrap_or(0);
        let from = started.get(entity).map_or(0, |s| s.1);
        let to = cwpsa_sandbox::seed::ENTITIES[i + 1..]
            .iter()
            .find_map(|e| started.get(e).map(|s| s.1))
            .unwrap_or(end_cpu);
        let cpu = to.saturating_sub(from) as f64 / 1e9;
        println!("{entity:>15} {n:>10} records, cpu {cpu:>7.2}s");
    }
    let (wall, cpu) = match (started.get("tickets"), started.get("projects")) {
        (Some(a), Some(b)) => (
            b.0.duration_since(a.0).as_secs_f64(),
            (b.1 - a.1) as f64 / 1e9,
        ),
        _ => (total.as_secs_f64(), 0.0),
    };
    let per = |secs: f64| secs * 1e6 / tickets.max(1) as f64;
    println!(
        "total {total:.2?} ({} MB of JSON); tickets+notes: wall {wall:.2}s = {:.2} µs/ticket, \
         cpu {cpu:.2}s = {:.2} µs/ticket",
        bytes / 1_000_000,
        per(wall),
        per(cpu)
    );
    Ok(())
}

/// CPU time of this thread in nanoseconds (0 where `/proc` is unavailable).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}
