//! One module per subcommand.

mod conditions;
mod sandbox;
mod sync;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local emulator of the ConnectWise PSA API.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Work with the conditions language.
    #[command(subcommand)]
    Conditions(conditions::ConditionsCommand),
    /// Mirror ConnectWise into SQLite or PostgreSQL; `cw sync status` shows the state.
    Sync(Box<sync::SyncArgs>),
}

pub fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Sandbox(command) => sandbox::run(command),
        Command::Conditions(command) => conditions::run(&command),
        Command::Sync(args) => sync::run_blocking(&args),
    }
}
