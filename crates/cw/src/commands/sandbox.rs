//! `cw sandbox serve`: prints one JSON line when ready (the DESIGN.md contract), then serves
//! until interrupted.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use cwpsa_sandbox::faults::{Faults, Latency};
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{Profile, RateLimitSetting, Sandbox, SandboxConfig};

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Serve the sandbox over HTTP (or HTTPS with --tls).
    Serve(Box<ServeArgs>),
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8089")]
    addr: SocketAddr,
    /// Keep the data in this SQLite file (it survives restarts); in memory when absent.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Seed of the generated demo data: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Number of service tickets to generate (other counts scale with it unless given).
    #[arg(long)]
    tickets: Option<usize>,
    #[arg(long)]
    companies: Option<usize>,
    #[arg(long)]
    contacts: Option<usize>,
    #[arg(long)]
    members: Option<usize>,
    #[arg(long)]
    projects: Option<usize>,
    #[arg(long)]
    time_entries: Option<usize>,
    /// Which behaviour to imitate: `seed` (the seed document) or `cloud` (the live service).
    #[arg(long, default_value = "seed")]
    profile: Profile,
    /// Requests per API member per window, e.g. 60/60s (the seed profile's default), 60/6s
    /// (ten times faster, for tests), 1000/60s (the cloud profile's default), or `off`.
    #[arg(long)]
    rate_limit: Option<RateLimitSetting>,
    /// Added latency in milliseconds: fixed (150) or a range (100..150).
    #[arg(long)]
    latency: Option<Latency>,
    /// Scale the latency by page size (records / 1000), so big pages are slower.
    #[arg(long)]
    latency_per_page: bool,
    /// Share of requests answered with 500 (some "timeout") or 502/503 HTML pages, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    fail_rate: f64,
    /// Share of writes answered with 409 RecordLocked, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    lock_rate: f64,
    /// Share of responses cut in the middle of the body, 0 to 1.
    #[arg(long, default_value_t = 0.0)]
    reset_rate: f64,
    /// Multiply the callback retry waits (2 s, then 4 s), e.g. 0.01 for tests.
    #[arg(long, default_value_t = 1.0)]
    callback_retry_scale: f64,
    /// Serve HTTPS with a certificate generated at start; its CA is the ready line's `ca_cert`.
    #[arg(long)]
    tls: bool,
    /// The codebase in URLs, ending in `/`.
    #[arg(long, default_value = "v4_6_release/")]
    codebase: String,
}

impl ServeArgs {
    fn config(&self) -> Result<SandboxConfig, String> {
        for (name, rate) in [
            ("--fail-rate", self.fail_rate),
            ("--lock-rate", self.lock_rate),
            ("--reset-rate", self.reset_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, not {rate}"));
            }
        }
        let default_tickets = SeedConfig::default().tickets;
        let mut seed = SeedConfig::for_tickets(self.seed, self.tickets.unwrap_or(default_tickets));
        let overrides = [
            (self.companies, &mut seed.companies),
            (self.contacts, &mut seed.contacts),
            (self.members, &mut seed.members),
            (self.projects, &mut seed.projects),
            (self.time_entries, &mut seed.time_entries),
        ];
        for (given, field) in overrides {
            if let Some(n) = given {
                *field = n;
            }
        }
        if !(self.callback_retry_scale >= 0.0 && self.callback_retry_scale.is_finite()) {
            return Err(format!(
                "--callback-retry-scale must be 0 or more, not {}",
                self.callback_retry_scale
            ));
        }
        let mut codebase = self.codebase.clone();
        if !codebase.ends_with('/') {
            codebase.push('/');
        }
        let faults = Faults {
            latency_ms: self.latency.unwrap_or_default(),
            latency_per_page: self.latency_per_page,
            fail_rate: self.fail_rate,
            lock_rate: self.lock_rate,
            reset_rate: self.reset_rate,
            ..Faults::default()
        };
        Ok(SandboxConfig {
            addr: self.addr,
            db: self.db.clone(),
            seed,
            codebase,
            profile: self.profile,
            tls: self.tls,
            rate_limit: self.rate_limit.unwrap_or_default(),
            faults,
            callback_retry_scale: self.callback_retry_scale,
        })
    }
}

pub fn run(command: SandboxCommand) -> Result<(), String> {
    let SandboxCommand::Serve(args) = command;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let sandbox = Sandbox::start(args.config()?)
            .await
            .map_err(|e| e.to_string())?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", sandbox.ready_line())
            .and_then(|()| stdout.flush())
            .map_err(|e| e.to_string())?;
        drop(stdout);
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
        sandbox.stop();
        Ok(())
    })
}
