//! `cw get PATH [ID]`: one record, or any JSON document of the API.

use clap::Args;
use cwpsa::{Method, Query};
use serde_json::value::RawValue;

use crate::app::Ctx;
use crate::error::{CliError, CliResult};
use crate::paths;

#[derive(Debug, Args)]
#[command(after_help = paths::aliases_help())]
pub struct GetArgs {
    /// API path or alias: tickets, companies, tickets/5/notes, system/info...
    pub path: String,
    /// Record id (leave out for a path that is a document itself, like system/info).
    pub id: Option<String>,
    /// Fields to fetch and show, e.g. id,summary,status/name.
    #[arg(short, long, value_name = "FIELDS")]
    pub fields: Option<String>,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &GetArgs) -> CliResult {
    let mut target = paths::resolve(&args.path)?;
    if let Some(id) = &args.id {
        target = target.child(id)?;
    }
    let what = format!("GET {}", target.path);
    let mut request = ctx.client.request(Method::GET, &target.path);
    if let Some(fields) = &args.fields {
        let query = Query::new().fields(fields.as_str());
        query.validate().map_err(|e| CliError::api(&e, &what))?;
        request = request.query(&query);
    }
    if ctx.dry_run(&request, None)? {
        return Ok(());
    }
    let body: Box<RawValue> = request
        .send_json()
        .await
        .map_err(|e| CliError::api(&e, &what))?;
    // A collection path without an id gives an array: shown like a list.
    ctx.print_response(&body, args.fields.as_deref(), target.entity)
}
