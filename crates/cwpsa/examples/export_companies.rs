//! Exports every company as JSON lines on stdout (forward-only paging: consistent under
//! concurrent changes, one page in memory), and checks the total against `/count`.
//!
//! `cargo run -p cwpsa --example export_companies > companies.jsonl`

#[path = "support/mod.rs"]
mod support;

use std::io::Write;

use cwpsa::model::Company;
use cwpsa::{Client, Query};
use futures_util::TryStreamExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let setup = support::client().await?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let n = run(&setup.client, &mut out).await?;
    eprintln!("exported {n} companies");
    Ok(())
}

/// Writes every company to `out` as a JSON line; returns how many.
pub async fn run(client: &Client, out: &mut dyn Write) -> Result<u64, Box<dyn std::error::Error>> {
    let expected = client.count("company/companies", &Query::new()).await?;
    let mut companies = client.list::<Company>("company/companies", &Query::new());
    let mut n = 0u64;
    while let Some(company) = companies.try_next().await? {
        serde_json::to_writer(&mut *out, &company)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    out.flush()?;
    if n != expected {
        return Err(format!("exported {n} but /count said {expected}").into());
    }
    Ok(n)
}
