//! `cw delete PATH ID`: asks first on a terminal; elsewhere --yes is required.

use std::io::IsTerminal;

use clap::Args;
use cwpsa::Method;

use crate::app::{Ctx, confirm};
use crate::error::{CliError, CliResult};
use crate::paths;

#[derive(Debug, Args)]
#[command(after_help = paths::aliases_help())]
pub struct DeleteArgs {
    /// API path or alias: tickets, companies, tickets/5/notes...
    pub path: String,
    /// Record id.
    pub id: String,
    /// Delete without asking (required when not on a terminal).
    #[arg(short, long)]
    pub yes: bool,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &DeleteArgs) -> CliResult {
    let target = paths::resolve(&args.path)?.child(&args.id)?;
    let request = ctx.client.request(Method::DELETE, &target.path);
    if ctx.dry_run(&request, None)? {
        return Ok(());
    }
    confirm_delete(&target.path, args.yes)?;
    request
        .send()
        .await
        .map_err(|e| CliError::api(&e, &format!("DELETE {}", target.path)))?;
    ctx.notice(&format!("deleted {}", target.path));
    Ok(())
}

/// On a terminal, asks; elsewhere, --yes must have been given.
pub fn confirm_delete(path: &str, yes: bool) -> CliResult {
    if yes {
        return Ok(());
    }
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(CliError::usage(format!(
            "not deleting {path} without confirmation: pass --yes when not on a terminal"
        )));
    }
    if confirm(&format!("Delete {path}?"))? {
        Ok(())
    } else {
        Err(CliError::other(format!("not deleted: {path}")))
    }
}
