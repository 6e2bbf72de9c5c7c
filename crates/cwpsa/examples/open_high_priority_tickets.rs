//! Lists open tickets whose priority name contains "High", newest first.
//!
//! `cargo run -p cwpsa --example open_high_priority_tickets`

#[path = "support/mod.rs"]
mod support;

use cwpsa::model::Ticket;
use cwpsa::{Query, field};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = support::client().await?;
    let query = Query::new()
        .conditions(
            field("closedFlag")
                .eq(false)
                .and(field("priority/name").contains("High")),
        )
        .fields("id,summary,priority/name,status/name,company/name")
        .order_by("id desc")
        .page_size(50);
    let total = setup.client.count("service/tickets", &query).await?;
    println!("{total} open high-priority tickets");
    let mut tickets = setup.client.list::<Ticket>("service/tickets", &query);
    let mut shown = 0;
    while let Some(t) = tickets.try_next().await? {
        let name = |r: &Option<cwpsa::model::Reference>| {
            r.as_ref().and_then(|r| r.name.clone()).unwrap_or_default()
        };
        println!(
            "#{:<6} {:<12} {:<14} {:<28} {}",
            t.id.unwrap_or_default(),
            name(&t.priority),
            name(&t.status),
            name(&t.company),
            t.summary.unwrap_or_default()
        );
        shown += 1;
        if shown == 20 {
            println!("...");
            break;
        }
    }
    Ok(())
}
