//! One module per subcommand. Commands that talk to the API get a [`Ctx`] through
//! `with_client`; the others run on their own. A subcommand reporting errors as `String` fits
//! in with `.map_err(CliError::from)` (exit code 1).

mod callbacks;
mod completions;
pub mod conditions;
mod config;
mod count;
mod create;
mod delete;
mod get;
pub mod list;
mod mcp;
pub mod patch;
mod sandbox;
mod sync;
mod update;

use clap::Subcommand;

use crate::app::{Ctx, GlobalArgs};
use crate::error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show one record (or any JSON document of the API).
    Get(get::GetArgs),
    /// List records, a page or all of them, streamed.
    List(list::ListArgs),
    /// Count the records that match.
    Count(count::CountArgs),
    /// Create a record from JSON (a file or stdin) and/or --set values.
    Create(create::CreateArgs),
    /// Replace a whole record (PUT) with JSON from a file or stdin.
    Update(update::UpdateArgs),
    /// Change some fields of a record (PATCH) with typed --set and --remove.
    Patch(patch::PatchArgs),
    /// Delete a record (asks first on a terminal, unless --yes).
    Delete(delete::DeleteArgs),
    /// List, register and remove callbacks (webhooks).
    #[command(subcommand)]
    Callbacks(callbacks::CallbacksCommand),
    /// Write a profile, or show the effective settings and where each comes from.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Run a local emulator of the ConnectWise PSA API.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Work with the conditions language.
    #[command(subcommand)]
    Conditions(conditions::ConditionsCommand),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Serve the API to AI agents over the Model Context Protocol (stdio, or --http).
    Mcp(mcp::McpArgs),
    /// Mirror ConnectWise into SQLite or PostgreSQL; `cw sync status` shows the state.
    Sync(Box<sync::SyncArgs>),
}

pub fn run(command: Command, global: &GlobalArgs) -> CliResult {
    match command {
        Command::Get(args) => with_client(&global.with(&args.conn), async |ctx| {
            get::run(ctx, &args).await
        }),
        Command::List(args) => with_client(&global.with(&args.conn), async |ctx| {
            list::run(ctx, &args).await
        }),
        Command::Count(args) => with_client(&global.with(&args.conn), async |ctx| {
            count::run(ctx, &args).await
        }),
        Command::Create(args) => with_client(&global.with(&args.conn), async |ctx| {
            create::run(ctx, &args).await
        }),
        Command::Update(args) => with_client(&global.with(&args.conn), async |ctx| {
            update::run(ctx, &args).await
        }),
        Command::Patch(args) => with_client(&global.with(&args.conn), async |ctx| {
            patch::run(ctx, &args).await
        }),
        Command::Delete(args) => with_client(&global.with(&args.conn), async |ctx| {
            delete::run(ctx, &args).await
        }),
        Command::Callbacks(command) => {
            let global = global.with(command.connection());
            with_client(&global, async |ctx| callbacks::run(ctx, &command).await)
        }
        Command::Mcp(args) => with_client(&global.with(&args.conn), async |ctx| {
            mcp::run(ctx, &args).await
        }),
        Command::Config(command) => config::run(&command, global),
        Command::Sandbox(command) => sandbox::run(command).map_err(CliError::from),
        Command::Conditions(command) => conditions::run(&command),
        Command::Completions(args) => completions::run(&args),
        Command::Sync(args) if sync::needs_client(&args) => {
            with_client(&global.with(&args.run.conn), async |ctx| {
                sync::run(Some(ctx.client.config().clone()), &args)
                    .await
                    .map_err(CliError::from)
            })
        }
        Command::Sync(args) => sync::run_blocking(&args).map_err(CliError::from),
    }
}

/// Runs `f` with a client on a Tokio runtime made for it.
fn with_client(global: &GlobalArgs, f: impl AsyncFnOnce(&Ctx) -> CliResult) -> CliResult {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::other(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(async {
        let ctx = Ctx::new(global).await?;
        let result = f(&ctx).await;
        ctx.progress.finish();
        result
    })
}
