//! Mirrors ConnectWise PSA entities into SQLite or PostgreSQL, incrementally and crash-safely.
//!
//! ```no_run
//! # async fn demo() -> Result<(), cwpsa_sync::SyncError> {
//! use cwpsa_sync::{Destination, SyncOptions};
//! let config = cwpsa::Config::from_env().map_err(|e| cwpsa_sync::SyncError::Options(e.to_string()))?;
//! let options = SyncOptions::new(Destination::parse("connectwise.db")?);
//! let summary = cwpsa_sync::run(config, &options).await?;
//! println!("{summary}");
//! # Ok(()) }
//! ```
//!
//! - A first run scans each entity forward-only (id ranges in parallel); later runs read only
//!   what changed, by (`lastUpdated`, `id`) with an overlap window.
//! - Ticket notes and board statuses are fetched for parents that changed, never per
//!   unchanged parent.
//! - Deletions: a periodic id-only scan, with a guard against mass deletes.
//! - Every page is committed with its cursor; `kill -9` at any moment then a new run converges.
//! - [`watch`] keeps the destination fresh from callbacks, with incremental passes as a net.

mod engine;
pub mod entities;
mod error;
mod progress;
mod record;
mod sink;
mod time;
mod watch;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

pub use error::SyncError;
pub use sink::{Destination, RunEntityRecord, RunRecord, TableStatus, redact_url};
pub use watch::{WatchOptions, WatchSummary, watch};

use engine::{Counters, Ctx, Tally};
use entities::EntitySpec;
use progress::Progress;
use sink::Sink;

/// What to sync, where, and how.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub destination: Destination,
    /// Entity names (`tickets`, `ticket_notes`, ...); empty for all of them.
    pub entities: Vec<String>,
    /// Mark rows the server deleted (`deleted_at`) instead of removing them.
    pub soft_delete: bool,
    /// How often the id-only deletion scan runs: `None` never, zero on every run.
    pub delete_scan_every: Option<Duration>,
    /// A deletion scan removing more than this share of a table is refused.
    pub max_delete_fraction: f64,
    /// Requests in flight at once (id ranges of a first scan, parents whose children are read).
    pub concurrency: usize,
    /// How far before the cursor an incremental pass starts reading again.
    pub overlap: Duration,
    /// Draw progress on stderr when it is a terminal.
    pub progress: bool,
}

impl SyncOptions {
    /// The defaults: every entity, hard deletes, a deletion scan every 24 hours refusing to
    /// remove more than 10%, 4 requests in flight, a 60-second overlap, no progress display.
    pub fn new(destination: Destination) -> SyncOptions {
        SyncOptions {
            destination,
            entities: Vec::new(),
            soft_delete: false,
            delete_scan_every: Some(Duration::from_secs(24 * 3600)),
            max_delete_fraction: 0.1,
            concurrency: 4,
            overlap: Duration::from_secs(60),
            progress: false,
        }
    }

    /// Whether `spec` is among the entities this sync mirrors.
    pub fn entities_selected(&self, spec: &EntitySpec) -> bool {
        entities::select(&self.entities).is_ok_and(|v| v.iter().any(|e| e.name == spec.name))
    }

    fn check(&self) -> Result<Vec<&'static EntitySpec>, SyncError> {
        if !(0.0..=1.0).contains(&self.max_delete_fraction) {
            return Err(SyncError::Options(format!(
                "--max-delete-fraction is {}, expected a number from 0 to 1 (0.1 = 10%)",
                self.max_delete_fraction
            )));
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(SyncError::Options(format!(
                "--concurrency is {}, expected 1 to 64",
                self.concurrency
            )));
        }
        entities::select(&self.entities).map_err(SyncError::Options)
    }
}

/// What one entity's pass did.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySummary {
    pub entity: String,
    /// `full`, `full (resumed)`, `incremental`, `by changed parent`, or `failed`.
    pub mode: String,
    pub fetched: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub requests: u64,
    pub rate_limited: u64,
    pub elapsed: Duration,
    /// Time spent writing into the destination (pages are fetched meanwhile), summed over the
    /// connections a first scan writes on in parallel: it can exceed `elapsed`.
    pub writing: Duration,
    pub error: Option<String>,
}

/// What a run did, entity by entity.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub run_id: i64,
    pub destination: String,
    pub entities: Vec<EntitySummary>,
    pub elapsed: Duration,
}

impl Summary {
    /// True when every entity synced without error.
    pub fn is_ok(&self) -> bool {
        self.entities.iter().all(|e| e.error.is_none())
    }

    pub fn requests(&self) -> u64 {
        self.entities.iter().map(|e| e.requests).sum()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<15} {:<18} {:>9} {:>9} {:>9} {:>9} {:>8} {:>6} {:>8}",
            "entity",
            "mode",
            "fetched",
            "inserted",
            "updated",
            "deleted",
            "requests",
            "429s",
            "seconds"
        )?;
        for e in &self.entities {
            writeln!(
                f,
                "{:<15} {:<18} {:>9} {:>9} {:>9} {:>9} {:>8} {:>6} {:>8.1}",
                e.entity,
                e.mode,
                e.fetched,
                e.inserted,
                e.updated,
                e.deleted,
                e.requests,
                e.rate_limited,
                e.elapsed.as_secs_f64()
            )?;
        }
        write!(
            f,
            "run {} into {}: {} requests in {:.1}s",
            self.run_id,
            self.destination,
            self.requests(),
            self.elapsed.as_secs_f64()
        )?;
        for e in self.entities.iter().filter(|e| e.error.is_some()) {
            write!(f, "\nerror: {}", e.error.as_deref().unwrap_or_default())?;
        }
        Ok(())
    }
}

/// The most connections a first scan writes on (PostgreSQL; SQLite has one writer). Each
/// connection's records are parsed into `jsonb` by a server process of its own, which was the
/// bound with one.
const MAX_PART_WRITERS: usize = 4;

/// An open destination and client, reused across passes (watch mode runs many).
pub(crate) struct Session {
    client: cwpsa::Client,
    sink: Arc<Mutex<Sink>>,
    /// See [`Ctx::part_writers`].
    part_writers: Vec<Arc<Mutex<Sink>>>,
    counters: Arc<Counters>,
    options: SyncOptions,
    specs: Vec<&'static EntitySpec>,
}

impl Session {
    async fn open(config: cwpsa::Config, options: &SyncOptions) -> Result<Session, SyncError> {
        let specs = options.check()?;
        let counters = Arc::new(Counters::default());
        let observer = counters.clone();
        let config = config.with_event_hook(move |event| observer.observe(event));
        let client = cwpsa::Client::new(config)
            .map_err(|e| SyncError::Options(format!("client configuration: {e}")))?;
        let sink = Arc::new(Mutex::new(
            Sink::open(&options.destination, &specs, options.soft_delete, true).await?,
        ));
        let extra = Sink::open_part_writers(
            &options.destination,
            &specs,
            options.soft_delete,
            options.concurrency.min(MAX_PART_WRITERS),
        )
        .await?;
        let part_writers = if extra.is_empty() {
            Vec::new()
        } else {
            std::iter::once(sink.clone())
                .chain(extra.into_iter().map(|s| Arc::new(Mutex::new(s))))
                .collect()
        };
        Ok(Session {
            client,
            sink,
            part_writers,
            counters,
            options: options.clone(),
            specs,
        })
    }

    /// One pass over every selected entity, recorded in the ledger.
    async fn pass(&self, mode: &str) -> Result<Summary, SyncError> {
        let started = Instant::now();
        let names: Vec<&str> = self.specs.iter().map(|s| s.name).collect();
        let run_id = self
            .sink
            .lock()
            .await
            .begin_run(mode, &names.join(","))
            .await?;
        let progress = Arc::new(Progress::new(self.options.progress));
        progress.spawn_ticker();
        let ctx = Arc::new(Ctx {
            client: self.client.clone(),
            sink: self.sink.clone(),
            part_writers: self.part_writers.clone(),
            options: self.options.clone(),
            run_id,
            counters: self.counters.clone(),
            progress: progress.clone(),
        });
        let mut entities = Vec::new();
        for &spec in &self.specs {
            let begun = Instant::now();
            let (requests0, limited0) = self.counters.totals(spec);
            progress.start(spec);
            let tally = Arc::new(Tally::default());
            let result = if spec.is_child() {
                engine::sync_children(&ctx, spec, &tally).await
            } else {
                engine::sync_entity(&ctx, spec, &tally).await
            };
            ctx.flush_counters(spec).await?;
            let (requests1, limited1) = self.counters.totals(spec);
            let (mode, error) = match result {
                Ok(mode) => (mode, None),
                // A destination failure ends the run; an API or data failure of one entity
                // does not stop the others.
                Err(e @ (SyncError::Destination(_) | SyncError::Locked(_))) => {
                    progress.stop();
                    let _ = self
                        .sink
                        .lock()
                        .await
                        .finish_run(run_id, "failed", Some(&e.to_string()))
                        .await;
                    return Err(e);
                }
                Err(e) => ("failed", Some(e.to_string())),
            };
            let summary = engine::summarize(
                spec,
                mode,
                &tally,
                requests1 - requests0,
                limited1 - limited0,
                begun.elapsed(),
                error,
            );
            progress.finish(
                spec,
                &format!(
                    "{} fetched, {} requests, {:.1}s{}",
                    summary.fetched,
                    summary.requests,
                    summary.elapsed.as_secs_f64(),
                    summary
                        .error
                        .as_deref()
                        .map(|e| format!(" FAILED: {e}"))
                        .unwrap_or_default()
                ),
            );
            entities.push(summary);
        }
        progress.stop();
        let errors: Vec<String> = entities.iter().filter_map(|e| e.error.clone()).collect();
        let status = if errors.is_empty() { "ok" } else { "failed" };
        let error = (!errors.is_empty()).then(|| errors.join("; "));
        self.sink
            .lock()
            .await
            .finish_run(run_id, status, error.as_deref())
            .await?;
        Ok(Summary {
            run_id,
            destination: self.options.destination.to_string(),
            entities,
            elapsed: started.elapsed(),
        })
    }
}

/// Runs one sync: the first run scans everything, later runs read what changed. Entities that
/// fail are reported in the summary (see [`Summary::is_ok`]) after the others have synced; a
/// destination that cannot be opened, locked or written is an error.
pub async fn run(config: cwpsa::Config, options: &SyncOptions) -> Result<Summary, SyncError> {
    let session = Session::open(config, options).await?;
    session.pass("sync").await
}

/// The state of each synced entity and the last runs of a destination.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StatusReport {
    pub destination: String,
    pub tables: Vec<TableStatus>,
    pub runs: Vec<RunRecord>,
}

/// Reads a destination's state without taking its lock or changing anything.
pub async fn status(destination: &Destination, runs: usize) -> Result<StatusReport, SyncError> {
    let mut sink = Sink::open(destination, &[], false, false).await?;
    let (tables, runs) = sink.status(runs).await?;
    Ok(StatusReport {
        destination: destination.to_string(),
        tables,
        runs,
    })
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "destination: {}", self.destination)?;
        writeln!(
            f,
            "{:<15} {:<12} {:>9} {:>8} {:>8}  {:<20}  {:<20}  {:<20}",
            "entity",
            "phase",
            "rows",
            "deleted",
            "pending",
            "cursor",
            "last sync",
            "last deletion scan"
        )?;
        for t in &self.tables {
            writeln!(
                f,
                "{:<15} {:<12} {:>9} {:>8} {:>8}  {:<20}  {:<20}  {:<20}",
                t.entity,
                t.phase,
                t.rows,
                t.soft_deleted,
                t.pending_parents,
                t.since.as_deref().unwrap_or("-"),
                t.last_sync_at.as_deref().unwrap_or("-"),
                t.last_delete_scan_at.as_deref().unwrap_or("-"),
            )?;
        }
        writeln!(f, "last runs:")?;
        for r in &self.runs {
            let sum = |g: fn(&RunEntityRecord) -> u64| r.entities.iter().map(g).sum::<u64>();
            writeln!(
                f,
                "  #{} {} -> {} {}: {} fetched, {} inserted, {} updated, {} deleted, {} requests, {} 429s, {} errors{}",
                r.id,
                r.started_at,
                r.finished_at.as_deref().unwrap_or("(not finished)"),
                r.status,
                sum(|e| e.fetched),
                sum(|e| e.inserted),
                sum(|e| e.updated),
                sum(|e| e.deleted),
                sum(|e| e.requests),
                sum(|e| e.rate_limited),
                sum(|e| e.errors),
                r.error
                    .as_deref()
                    .map(|e| format!("\n    {e}"))
                    .unwrap_or_default()
            )?;
        }
        Ok(())
    }
}
