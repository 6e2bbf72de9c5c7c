//! Lists open tickets whose priority name contains "High", newest first.
//!
//! `cargo run -p cwpsa --example open_high_priority_tickets`

#[path = "support/mod.rs"]
mod support;

use std::io::Write;

use cwpsa::model::Ticket;
use cwpsa::{Client, Query, field};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = support::client().await?;
    run(&setup.client, &mut std::io::stdout().lock()).await
}

/// Prints the count and the first 20 tickets to `out`.
pub async fn run(client: &Client, out: &mut dyn Write) -> Result<(), Box<dyn std::error::Error>> {
    let query = Query::new()
        .conditions(
            field("closedFlag")
                .eq(false)
                .and(field("priority/name").contains("High")),
        )
        .fields("id,summary,priority/name,status/name,company/name")
        .order_by("id desc")
        .page_size(50);
    let total = client.count("service/tickets", &query).await?;
    writeln!(out, "{total} open high-priority tickets")?;
    let mut tickets = client.list::<Ticket>("service/tickets", &query);
    let mut shown = 0;
    while let Some(t) = tickets.try_next().await? {
        writeln!(
            out,
            "#{:<6} {:<12} {:<14} {:<28} {}",
            t.id.unwrap_or_default(),
            t.priority.and_then(|r| r.name).unwrap_or_default(),
            t.status.and_then(|r| r.name).unwrap_or_default(),
            t.company.and_then(|r| r.name).unwrap_or_default(),
            t.summary.unwrap_or_default()
        )?;
        shown += 1;
        if shown == 20 {
            writeln!(out, "...")?;
            break;
        }
    }
    Ok(())
}
