//! `cw patch PATH ID --set FIELD=VALUE ... --remove FIELD ...`: PATCH some fields.

use clap::Args;
use cwpsa::{Method, PatchOps};
use serde_json::value::RawValue;

use crate::app::Ctx;
use crate::assign::{self, SET_HELP};
use crate::error::{CliError, CliResult};
use crate::output::Columns;
use crate::paths;

#[derive(Debug, Args)]
#[command(after_help = SET_HELP)]
pub struct PatchArgs {
    /// API path or alias: tickets, companies, tickets/5/notes...
    pub path: String,
    /// Record id.
    pub id: String,
    /// Set a field, typed by the entity's schema (see below). Repeatable.
    #[arg(short, long = "set", value_name = "FIELD=VALUE")]
    pub set: Vec<String>,
    /// Remove (clear) a top-level field. Repeatable.
    #[arg(short, long, value_name = "FIELD")]
    pub remove: Vec<String>,
    /// Fields of the result to show, e.g. id,summary,status/name.
    #[arg(short, long, value_name = "FIELDS")]
    pub fields: Option<String>,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &PatchArgs) -> CliResult {
    let target = paths::resolve(&args.path)?.child(&args.id)?;
    let ops = operations(&args.set, &args.remove, target.entity)?;
    let what = format!("PATCH {}", target.path);
    let request = ctx.client.request(Method::PATCH, &target.path).json(&ops);
    if ctx.dry_run(&request, None)? {
        return Ok(());
    }
    let patched: Box<RawValue> = request
        .send_json()
        .await
        .map_err(|e| CliError::api(&e, &what))?;
    ctx.print_one(
        &patched,
        &Columns::for_record(args.fields.as_deref(), target.entity),
    )
}

/// One `replace` per top-level field set (sub-fields merged), one `remove` per field removed; shared with
/// `cw mcp`'s `update_fields`.
pub fn operations(
    set: &[String],
    remove: &[String],
    entity: Option<&'static cwpsa_core::schema::Entity>,
) -> CliResult<PatchOps> {
    if set.is_empty() && remove.is_empty() {
        return Err(CliError::usage(
            "nothing to change: give --set FIELD=VALUE and/or --remove FIELD",
        ));
    }
    let assignments = set
        .iter()
        .map(|s| assign::parse_set(s, entity))
        .collect::<CliResult<Vec<_>>>()?;
    let merged = assign::merge(&assignments)?;
    let mut ops = PatchOps::new();
    for (field, value) in &merged {
        ops = ops.replace(field, value.clone());
    }
    for r in remove {
        let field = assign::parse_remove(r, entity)?;
        if merged.contains_key(&field) {
            return Err(CliError::usage(format!(
                "`{field}` is both set and removed"
            )));
        }
        ops = ops.remove(&field);
    }
    Ok(ops)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn operations_merge_references_and_reject_conflicts() {
        let tickets = cwpsa_core::schema::registry().entity("tickets");
        let ops = operations(
            &[
                "status/id=5".into(),
                "status.name=Closed".into(),
                "budgetHours=2".into(),
            ],
            &["contact".into()],
            tickets,
        )
        .expect("valid");
        assert_eq!(
            serde_json::to_value(&ops).expect("serializes"),
            json!([
                {"op": "replace", "path": "budgetHours", "value": 2},
                {"op": "replace", "path": "status", "value": {"id": 5, "name": "Closed"}},
                {"op": "remove", "path": "contact"}
            ])
        );
        assert!(operations(&[], &[], tickets).is_err());
        assert!(operations(&["contact=5".into()], &["contact".into()], tickets).is_err());
    }
}
