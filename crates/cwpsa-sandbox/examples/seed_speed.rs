//! Measures how fast the demo data generates, and optionally prints a sample.
//!
//! `cargo run --release -p cwpsa-sandbox --example seed_speed -- [TICKETS] [--show ENTITY]`
//! (default 1,000,000 tickets, scaled with `SeedConfig::for_tickets`). The figure is the time
//! for tickets plus their notes, divided by the ticket count; records are serialised to bytes
//! (and dropped) so the cost of a real sink's encoding is included.

use std::collections::BTreeMap;
use std::time::Instant;

use cwpsa_sandbox::seed::{SeedConfig, generate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tickets = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let show = args
        .iter()
        .position(|a| a == "--show")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let config = SeedConfig::for_tickets(1, tickets);
    println!("{config:?}");

    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut started: BTreeMap<&'static str, Instant> = BTreeMap::new();
    let mut bytes = 0usize;
    let mut shown = 0;
    let start = Instant::now();
    generate::<serde_json::Error>(&config, &mut |entity, record| {
        started.entry(entity).or_insert_with(Instant::now);
        *counts.entry(entity).or_default() += 1;
        let text = serde_json::to_vec(&record)?;
        bytes += text.len();
        if show.as_deref() == Some(entity) && shown < 2 {
            shown += 1;
            println!("{}", serde_json::to_string_pretty(&record)?);
        }
        Ok(())
    })?;
    let total = start.elapsed();
    for (entity, n) in &counts {
        println!("{entity:>15} {n:>10}");
    }
    let ticket_phase = match (started.get("tickets"), started.get("projects")) {
        (Some(a), Some(b)) => b.duration_since(*a),
        _ => total,
    };
    let per_ticket = ticket_phase.as_secs_f64() * 1e6 / tickets.max(1) as f64;
    println!(
        "total {:.2?} ({} MB of JSON); tickets+notes {:.2?} = {per_ticket:.2} µs/ticket",
        total,
        bytes / 1_000_000,
        ticket_phase
    );
    Ok(())
}
