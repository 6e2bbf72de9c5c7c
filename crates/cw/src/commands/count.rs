//! `cw count PATH --where ...`: how many records match.

use clap::Args;
use cwpsa::Method;
use serde_json::json;

use crate::app::{Ctx, FilterArgs};
use crate::error::{CliError, CliResult};
use crate::output::{Columns, Format};
use crate::paths;

#[derive(Debug, Args)]
#[command(after_help = paths::aliases_help())]
pub struct CountArgs {
    /// API path or alias: tickets, companies, tickets/5/notes...
    pub path: String,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &CountArgs) -> CliResult {
    let target = paths::resolve(&args.path)?;
    let query = args.filters.query(target.entity, ctx.global.quiet)?;
    let path = format!("{}/count", target.path);
    let what = format!("GET {path}");
    query.validate().map_err(|e| CliError::api(&e, &what))?;
    let request = ctx.client.request(Method::GET, &path).query(&query);
    if ctx.dry_run(&request, None)? {
        return Ok(());
    }
    let n = ctx
        .client
        .count(&target.path, &query)
        .await
        .map_err(|e| CliError::api(&e, &what))?;
    // A bare number unless a format was asked for: `n=$(cw count tickets)` in scripts.
    if matches!(ctx.global.output, None | Some(Format::Table)) {
        println!("{n}");
        return Ok(());
    }
    ctx.print_value(
        &json!({ "count": n }),
        &Columns::Fixed(vec!["count".to_owned()]),
    )
}
