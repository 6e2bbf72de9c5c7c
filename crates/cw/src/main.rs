//! `cw`: the command-line tool for the ConnectWise PSA REST API.

mod app;
mod assign;
mod commands;
mod error;
mod mcp;
mod output;
mod paths;
mod progress;
mod settings;

use std::process::ExitCode;

use clap::Parser;

const AFTER_HELP: &str = "\
Settings: flags > environment (CONNECTWISE_COMPANY_ID, CONNECTWISE_PUBLIC_KEY,
CONNECTWISE_PRIVATE_KEY, CONNECTWISE_CLIENT_ID, CONNECTWISE_SITE, CONNECTWISE_CODEBASE,
CONNECTWISE_BASE_URL, CONNECTWISE_API_VERSION, CONNECTWISE_RATE_LIMIT) > a profile of
~/.config/cw/config.toml (or $CW_CONFIG; `cw config init` writes one, `cw config show`
tells where each value comes from). `cw --sandbox ...` needs none of them.

Examples:
  cw --sandbox list tickets -w 'closedFlag = false and priority/name contains \"High\"'
  cw list tickets --all -o ndjson > tickets.ndjson
  cw get tickets 42 -f id,summary,status/name
  cw patch tickets 42 --set status/id=5 --set budgetHours=2.5
";

#[derive(Debug, Parser)]
#[command(
    name = "cw",
    version,
    about = "Query, export, fix and test ConnectWise PSA from the command line",
    after_help = format!("{AFTER_HELP}\n{}", error::EXIT_CODES_HELP)
)]
pub(crate) struct Cli {
    #[command(flatten)]
    global: app::GlobalArgs,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    match commands::run(cli.command, &cli.global) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

/// `-v` info, `-vv` debug (every request), `-vvv` trace, for this tool and the client only:
/// other crates stay at warnings. Nothing logged carries a secret (the client redacts).
fn init_logging(verbose: u8) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 => return,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter = Targets::new()
        .with_target("cw", level)
        .with_target("cwpsa", level)
        .with_default(LevelFilter::WARN);
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_target(true),
        )
        .with(filter)
        .init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        // Catches clashing flags between levels, which clap only reports at run time.
        super::Cli::command().debug_assert();
    }
}
