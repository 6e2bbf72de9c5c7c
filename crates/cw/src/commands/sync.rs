//! `cw sync`: mirror ConnectWise into SQLite or PostgreSQL (`cwpsa-sync`), once or `--watch`;
//! `cw sync status`: the state of each table and the last runs.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Subcommand};
use cwpsa_sync::{Destination, SyncOptions, WatchOptions};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct SyncArgs {
    #[command(subcommand)]
    pub command: Option<SyncCommand>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub enum SyncCommand {
    /// Print the state of each synced table and the last runs (reads only; no credentials).
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The destination: a SQLite file or a postgres:// URL.
    #[arg(long, default_value = "connectwise.db")]
    pub to: String,
    /// The PostgreSQL schema (default: the connection's search path).
    #[arg(long)]
    pub pg_schema: Option<String>,
    /// How many runs to show.
    #[arg(long, default_value_t = 10)]
    pub runs: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The destination: a SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, default_value = "connectwise.db")]
    pub to: String,
    /// The PostgreSQL schema (created if missing; default: the connection's search path).
    #[arg(long)]
    pub pg_schema: Option<String>,
    /// Entities to sync, comma-separated (default: companies, contacts, members, boards,
    /// board_statuses, priorities, tickets, ticket_notes, projects, time_entries).
    #[arg(long, value_delimiter = ',')]
    pub entities: Vec<String>,
    /// Mark rows deleted on the server (deleted_at) instead of removing them.
    #[arg(long)]
    pub soft_delete: bool,
    /// How often the id-only deletion scan runs: 24h, 30m, 0 (every run) or never.
    #[arg(long, default_value = "24h", value_parser = parse_every)]
    pub delete_scan_every: Every,
    /// Refuse a deletion scan that would remove more than this share of a table.
    #[arg(long, default_value_t = 0.1)]
    pub max_delete_fraction: f64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// How far before the cursor incremental passes read again (e.g. 60s).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub overlap: Duration,
    /// Keep the destination fresh from callbacks until interrupted (Ctrl-C).
    #[arg(long, requires = "public_url")]
    pub watch: bool,
    /// With --watch: the URL ConnectWise posts callbacks to (this process, as it is reached).
    #[arg(long)]
    pub public_url: Option<String>,
    /// With --watch: the address to receive callbacks on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// With --watch: how often an incremental pass runs as a safety net.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub interval: Duration,
    /// No progress display (it is drawn only on a terminal anyway).
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

/// `--delete-scan-every`: a period, or never.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Every(pub Option<Duration>);

fn parse_every(text: &str) -> Result<Every, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("never") || t.eq_ignore_ascii_case("off") {
        return Ok(Every(None));
    }
    parse_duration(t).map(|d| Every(Some(d)))
}

/// `90s`, `30m`, `6h`, `2d`, or bare seconds.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration like 90s, 30m, 6h or 2d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration like 90s, 30m, 6h or 2d"
            ));
        }
    };
    Ok(Duration::from_secs(secs))
}

fn destination(to: &str, schema: Option<&String>) -> Result<Destination, String> {
    let mut d = Destination::parse(to).map_err(|e| e.to_string())?;
    if let Some(s) = schema {
        match &mut d {
            Destination::Postgres { schema, .. } => *schema = Some(s.clone()),
            Destination::Sqlite(_) => {
                return Err("--pg-schema is for a postgres:// destination".to_owned());
            }
        }
    }
    Ok(d)
}

/// Whether the command talks to ConnectWise (and so needs credentials).
pub fn needs_client(args: &SyncArgs) -> bool {
    args.command.is_none()
}

/// Runs `cw sync` (with a client configuration) or `cw sync status` (without).
pub async fn run(config: Option<cwpsa::Config>, args: &SyncArgs) -> Result<(), String> {
    if let Some(SyncCommand::Status(s)) = &args.command {
        let report = cwpsa_sync::status(&destination(&s.to, s.pg_schema.as_ref())?, s.runs)
            .await
            .map_err(|e| e.to_string())?;
        if s.json {
            let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
            println!("{text}");
        } else {
            print!("{report}");
        }
        return Ok(());
    }
    let a = &args.run;
    let config = config.ok_or("cw sync needs ConnectWise credentials (or --sandbox)")?;
    let mut options = SyncOptions::new(destination(&a.to, a.pg_schema.as_ref())?);
    options.entities.clone_from(&a.entities);
    options.soft_delete = a.soft_delete;
    options.delete_scan_every = a.delete_scan_every.0;
    options.max_delete_fraction = a.max_delete_fraction;
    options.concurrency = a.concurrency;
    options.overlap = a.overlap;
    options.progress = !a.no_progress;
    if a.watch {
        let watch = WatchOptions {
            public_url: a.public_url.clone().unwrap_or_default(),
            listen: a.listen,
            interval: a.interval,
        };
        eprintln!(
            "watching: callbacks to {} received on {}; Ctrl-C to stop",
            watch.public_url, watch.listen
        );
        let summary = cwpsa_sync::watch(config, &options, &watch, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .map_err(|e| e.to_string())?;
        println!("{}", summary.first);
        println!(
            "watch ended: {} callbacks applied, {} rejected, {} safety-net passes; callbacks removed",
            summary.callbacks_applied, summary.callbacks_rejected, summary.passes
        );
        return Ok(());
    }
    let summary = cwpsa_sync::run(config, &options)
        .await
        .map_err(|e| e.to_string())?;
    println!("{summary}");
    if summary.is_ok() {
        Ok(())
    } else {
        Err(
            "some entities did not sync (see above); their progress is kept for the next run"
                .into(),
        )
    }
}

/// `cw sync status` (which needs no client) on its own runtime.
pub fn run_blocking(args: &SyncArgs) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?
        .block_on(run(None, args))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_periods_parse() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("2d"), Ok(Duration::from_secs(172_800)));
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5w").is_err());
        assert_eq!(parse_every("never"), Ok(Every(None)));
        assert_eq!(
            parse_every("6h"),
            Ok(Every(Some(Duration::from_secs(21_600))))
        );
    }

    #[test]
    fn destinations_are_checked() {
        assert!(destination("x.db", Some(&"s".to_owned())).is_err());
        let d = destination("postgres://u:secret@h/db", Some(&"s".to_owned()))
            .unwrap_or(Destination::Sqlite("".into()));
        assert!(matches!(
            d,
            Destination::Postgres {
                schema: Some(_),
                ..
            }
        ));
    }
}
