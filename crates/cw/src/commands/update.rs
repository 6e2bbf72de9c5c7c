//! `cw update PATH ID --data FILE|-`: PUT, replacing the whole record.

use clap::Args;
use cwpsa::Method;

use crate::app::Ctx;
use crate::assign::SET_HELP;
use crate::error::{CliError, CliResult};
use crate::output::Columns;
use crate::paths;

#[derive(Debug, Args)]
#[command(after_help = SET_HELP)]
pub struct UpdateArgs {
    /// API path or alias: tickets, companies, tickets/5/notes...
    pub path: String,
    /// Record id.
    pub id: String,
    /// The whole record as JSON: a file, or - for stdin. Fields left out are cleared, as PUT
    /// replaces the record: use `cw patch` to change a few fields.
    #[arg(short, long, value_name = "FILE|-")]
    pub data: String,
    /// A field to change in --data, typed by the entity's schema. Repeatable.
    #[arg(short, long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Fields of the result to show, e.g. id,summary,status/name.
    #[arg(short, long, value_name = "FIELDS")]
    pub fields: Option<String>,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &UpdateArgs) -> CliResult {
    let target = paths::resolve(&args.path)?.child(&args.id)?;
    let body = super::create::body(Some(&args.data), &args.set, target.entity)?;
    if !body.is_object() {
        return Err(CliError::usage("--data must be a JSON object (the record)"));
    }
    let Some(updated) = super::create::send_record(ctx, Method::PUT, &target, &body).await? else {
        return Ok(());
    };
    ctx.print_one(
        &updated,
        &Columns::for_record(args.fields.as_deref(), target.entity),
    )
}
