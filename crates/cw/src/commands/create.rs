//! `cw create PATH --data FILE|- [--set FIELD=VALUE]...`: POST a new record.

use clap::Args;
use cwpsa::Method;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::app::{Ctx, read_data};
use crate::assign::{self, SET_HELP};
use crate::error::{CliError, CliResult};
use crate::output::Columns;
use crate::paths;

#[derive(Debug, Args)]
#[command(after_help = SET_HELP)]
pub struct CreateArgs {
    /// API path or alias: tickets, companies, tickets/5/notes...
    pub path: String,
    /// The record as JSON: a file, or - for stdin.
    #[arg(short, long, value_name = "FILE|-")]
    pub data: Option<String>,
    /// A field of the record, typed by the entity's schema (see below); replaces that whole
    /// top-level field of --data. Repeatable.
    #[arg(short, long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Fields of the result to show, e.g. id,summary,status/name.
    #[arg(short, long, value_name = "FIELDS")]
    pub fields: Option<String>,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &CreateArgs) -> CliResult {
    let target = paths::resolve(&args.path)?;
    if args.data.is_none() && args.set.is_empty() {
        return Err(CliError::usage(
            "nothing to create: give --data FILE (or - for stdin) and/or --set FIELD=VALUE",
        ));
    }
    let body = body(args.data.as_deref(), &args.set, target.entity)?;
    let Some(created) = send_record(ctx, Method::POST, &target, &body).await? else {
        return Ok(());
    };
    if let Some(id) = record_id(&created) {
        ctx.notice(&format!("created {}/{id}", target.path));
    }
    ctx.print_one(
        &created,
        &Columns::for_record(args.fields.as_deref(), target.entity),
    )
}

/// Sends a whole record (POST or PUT) and returns the record the server answers with, or
/// `None` when `--dry-run` only showed the request.
pub async fn send_record(
    ctx: &Ctx,
    method: Method,
    target: &paths::Target,
    body: &Value,
) -> CliResult<Option<Box<RawValue>>> {
    let what = format!("{method} {}", target.path);
    let request = ctx.client.request(method, &target.path).json(body);
    if ctx.dry_run(&request, None)? {
        return Ok(None);
    }
    request
        .send_json()
        .await
        .map(Some)
        .map_err(|e| CliError::api(&e, &what))
}

/// `--data` with each `--set` replacing its top-level field.
pub fn body(
    data: Option<&str>,
    set: &[String],
    entity: Option<&'static cwpsa_core::schema::Entity>,
) -> CliResult<Value> {
    let mut body = match data {
        Some(source) => read_data(source)?,
        None => Value::Object(serde_json::Map::new()),
    };
    if set.is_empty() {
        return Ok(body);
    }
    let assignments = set
        .iter()
        .map(|s| assign::parse_set(s, entity))
        .collect::<CliResult<Vec<_>>>()?;
    let Value::Object(map) = &mut body else {
        return Err(CliError::usage(
            "--set needs --data to be a JSON object (a record)",
        ));
    };
    for (k, v) in assign::merge(&assignments)? {
        map.insert(k, v);
    }
    Ok(body)
}

/// The `id` of a record's JSON text.
pub fn record_id(raw: &RawValue) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<i64>,
    }
    serde_json::from_str::<Id>(raw.get()).ok()?.id
}
