//! Creates a ticket, patches its summary and status, reads it back, and deletes it.
//!
//! `cargo run -p cwpsa --example create_and_patch_ticket`

#[path = "support/mod.rs"]
mod support;

use std::io::Write;

use cwpsa::model::{BoardStatus, Company, CompanyReference, Ticket};
use cwpsa::{Client, PatchOps, Query};
use futures_util::TryStreamExt;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = support::client().await?;
    // Against a real tenant the ticket is kept, for you to look at; a sandbox's is deleted.
    let delete_after = std::env::var_os("CONNECTWISE_COMPANY_ID").is_none();
    Box::pin(run(
        &setup.client,
        delete_after,
        &mut std::io::stdout().lock(),
    ))
    .await
}

/// Creates, patches and reads back a ticket, reporting to `out`; returns nothing but errors.
pub async fn run(
    client: &Client,
    delete_after: bool,
    out: &mut dyn Write,
) -> Result<(), Box<dyn std::error::Error>> {
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
                company: Some(CompanyReference::id(company.id.unwrap_or_default())),
                ..Ticket::default()
            },
        )
        .await?;
    let id = ticket.id.ok_or("the created ticket has no id")?;
    writeln!(
        out,
        "created ticket #{id} for {}",
        company.name.unwrap_or_default()
    )?;

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
    writeln!(
        out,
        "patched: summary {:?}, status {:?}",
        patched.summary.unwrap_or_default(),
        patched.status.and_then(|s| s.name).unwrap_or_default()
    )?;
    if delete_after {
        client.delete(&format!("service/tickets/{id}")).await?;
        writeln!(out, "deleted ticket #{id}")?;
    }
    Ok(())
}
