//! Creates a ticket, patches its summary and status, reads it back, and deletes it.
//!
//! `cargo run -p cwpsa --example create_and_patch_ticket`

#[path = "support/mod.rs"]
mod support;

use cwpsa::model::{BoardStatus, Company, Reference, Ticket};
use cwpsa::{PatchOps, Query};
use futures_util::TryStreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = support::client().await?;
    let client = &setup.client;
    let company = client
        .list::<Company>("company/companies", &Query::new().page_size(1))
        .try_next()
        .await?
        .ok_or("no company to file the ticket under")?;
    let ticket: Ticket = client
        .create(
            "service/tickets",
            &Ticket {
                summary: Some("Example: printer a+b on fire".into()),
                company: Some(Reference::id(company.id.unwrap_or_default())),
                ..Ticket::default()
            },
        )
        .await?;
    let id = ticket.id.ok_or("the created ticket has no id")?;
    println!(
        "created ticket #{id} for {}",
        company.name.unwrap_or_default()
    );

    let board = ticket.board.as_ref().and_then(|b| b.id).unwrap_or(1);
    let statuses: Vec<BoardStatus> = client
        .list(&format!("service/boards/{board}/statuses"), &Query::new())
        .try_collect()
        .await?;
    let mut ops = PatchOps::new().replace("summary", "Example: printer no longer on fire");
    if let Some(status) = statuses.iter().find(|s| {
        s.closed_status == Some(false) && s.id != ticket.status.as_ref().and_then(|s| s.id)
    }) {
        ops = ops.replace("status", json!({"id": status.id}));
    }
    let patched: Ticket = client.patch(&format!("service/tickets/{id}"), &ops).await?;
    println!(
        "patched: summary {:?}, status {:?}",
        patched.summary.unwrap_or_default(),
        patched.status.and_then(|s| s.name).unwrap_or_default()
    );
    if std::env::var_os("CONNECTWISE_COMPANY_ID").is_none() {
        client.delete(&format!("service/tickets/{id}")).await?;
        println!("deleted ticket #{id} (sandbox run)");
    }
    Ok(())
}
