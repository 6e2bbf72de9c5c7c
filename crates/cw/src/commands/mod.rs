//! One module per subcommand.

mod conditions;
mod sandbox;

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local emulator of the ConnectWise PSA API.
    #[command(subcommand)]
    Sandbox(sandbox::SandboxCommand),
    /// Work with the conditions language.
    #[command(subcommand)]
    Conditions(conditions::ConditionsCommand),
}

pub fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Sandbox(command) => sandbox::run(command),
        Command::Conditions(command) => conditions::run(&command),
    }
}
