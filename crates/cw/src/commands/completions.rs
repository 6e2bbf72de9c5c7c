//! `cw completions SHELL`: a completion script on stdout.

use std::io::Write;

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::app::quiet_pipe;
use crate::error::CliResult;

#[derive(Debug, Args)]
#[command(
    after_help = "Install, e.g.: cw completions bash > ~/.local/share/bash-completion/completions/cw\n\
    cw completions zsh > ~/.zfunc/_cw; cw completions fish > ~/.config/fish/completions/cw.fish"
)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

pub fn run(args: &CompletionsArgs) -> CliResult {
    let mut command = crate::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cw", &mut script);
    let mut out = std::io::stdout().lock();
    quiet_pipe(out.write_all(&script).and_then(|()| out.flush()))
}
