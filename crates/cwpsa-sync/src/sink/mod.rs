//! Destinations: SQLite (one file) and PostgreSQL. Both keep the same tables:
//!
//! - one table per entity (`tickets`, ...): `id` primary key, the typed columns of
//!   [`crate::entities`], `deleted_at` (set by `--soft-delete`), `synced_at`, and `data`, the
//!   record as the server sent it (`jsonb` in PostgreSQL);
//! - `sync_state` (per entity: phase and cursors), `sync_parts` (the id ranges of a first scan),
//!   `sync_pending` (parents whose children must be fetched), `sync_runs` and
//!   `sync_run_entities` (the ledger), `sync_migrations` (applied schema versions).
//!
//! Every page is written in one transaction together with the cursor it advances, so a
//! process killed at any moment resumes from a state that matches the data.

pub(crate) mod postgres;
pub(crate) mod sqlite;

use std::fmt;

use crate::entities::EntitySpec;
use crate::error::SyncError;
use crate::record::Row;

/// Where to mirror to.
#[derive(Clone, PartialEq, Eq)]
pub enum Destination {
    /// A SQLite database file (created if missing).
    Sqlite(std::path::PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host/db`), and optionally a
    /// schema to use instead of the connection's default (created if missing).
    Postgres { url: String, schema: Option<String> },
}

impl Destination {
    /// `postgres://...` or `postgresql://...` is PostgreSQL; anything else a SQLite file path.
    pub fn parse(text: &str) -> Result<Destination, SyncError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(SyncError::Options(
                "--to is empty: name a SQLite file (connectwise.db) or a postgres:// URL".into(),
            ));
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Destination::Postgres {
                url: t.to_owned(),
                schema: None,
            });
        }
        if lower.contains("://") {
            return Err(SyncError::Options(format!(
                "`{}` is not a destination: use a SQLite file path or a postgres:// URL",
                redact_url(t)
            )));
        }
        Ok(Destination::Sqlite(t.into()))
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Sqlite(path) => write!(f, "{}", path.display()),
            Destination::Postgres { url, schema } => {
                write!(f, "{}", redact_url(url))?;
                if let Some(s) = schema {
                    write!(f, " (schema {s})")?;
                }
                Ok(())
            }
        }
    }
}

/// Debug shows the redacted form: the URL's password must never reach a log.
impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Destination({self})")
    }
}

/// A URL with its password (and any `password=` parameter) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let mut out = url.to_owned();
    if let Some(scheme_end) = out.find("://") {
        let rest_start = scheme_end + 3;
        let authority_end = out[rest_start..]
            .find(['/', '?', '#'])
            .map_or(out.len(), |i| rest_start + i);
        if let Some(at) = out[rest_start..authority_end].rfind('@') {
            let userinfo = &out[rest_start..rest_start + at];
            if let Some(colon) = userinfo.find(':') {
                let start = rest_start + colon + 1;
                out.replace_range(start..rest_start + at, "***");
            }
        }
    }
    // Key-value parameters (`?password=...`, `password=... host=...`).
    let lower = out.to_ascii_lowercase();
    if let Some(i) = lower.find("password=") {
        let start = i + "password=".len();
        let end = out[start..]
            .find(['&', ' ', '#'])
            .map_or(out.len(), |j| start + j);
        out.replace_range(start..end, "***");
    }
    out
}

/// Where a first scan of one id range has got to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub index: i64,
    /// Highest id of the range (`None`: unbounded).
    pub hi: Option<i64>,
    /// The last id written (the next request's `pageId`).
    pub page_id: i64,
    pub done: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Never synced.
    New,
    /// The first, forward-only scan is under way.
    Full,
    Incremental,
}

#[derive(Debug, Clone)]
pub(crate) struct EntityState {
    pub phase: Phase,
    /// Incremental cursor: records after (`since`, `since_id`) in (lastUpdated, id) order.
    pub since: Option<String>,
    pub since_id: i64,
    pub parts: Vec<Part>,
    pub last_delete_scan_at: Option<String>,
}

/// What a written page moves forward, in the same transaction.
#[derive(Debug, Clone)]
pub(crate) enum Cursor {
    None,
    Part { part: i64, page_id: i64, done: bool },
    Since { since: String, since_id: i64 },
}

/// Counters added to the run's ledger row for an entity.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RunDelta {
    pub requests: u64,
    pub rate_limited: u64,
    pub errors: u64,
}

/// One page to write.
#[derive(Debug)]
pub(crate) struct Batch {
    pub entity: &'static EntitySpec,
    pub rows: Vec<Row>,
    /// `rows` are all the children of this parent: others are deleted, and the parent leaves
    /// `sync_pending`.
    pub replace_parent: Option<i64>,
    /// Parents updated at or after this instant have their children fetched even when their
    /// `lastUpdated` is the one stored: a child written in the same second as the parent's
    /// last read stamps the parent with an unchanged second.
    pub recent: Option<String>,
    pub cursor: Cursor,
    pub run_id: i64,
    pub delta: RunDelta,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub deleted: u64,
}

/// A summary of one entity's table, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TableStatus {
    pub entity: String,
    pub rows: u64,
    pub soft_deleted: u64,
    pub phase: String,
    pub since: Option<String>,
    pub last_sync_at: Option<String>,
    pub full_completed_at: Option<String>,
    pub last_delete_scan_at: Option<String>,
    pub pending_parents: u64,
}

/// One run of the ledger, for `status`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRecord {
    pub id: i64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub error: Option<String>,
    pub entities: Vec<RunEntityRecord>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunEntityRecord {
    pub entity: String,
    pub fetched: u64,
    pub inserted: u64,
    pub updated: u64,
    pub deleted: u64,
    pub requests: u64,
    pub rate_limited: u64,
    pub errors: u64,
}

/// An open, locked destination.
pub(crate) enum Sink {
    Sqlite(sqlite::SqliteSink),
    Postgres(postgres::PgSink),
}

impl fmt::Debug for Sink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sink::Sqlite(_) => f.write_str("Sink::Sqlite"),
            Sink::Postgres(_) => f.write_str("Sink::Postgres"),
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $s:ident => $call:expr) => {
        match $self {
            Sink::Sqlite($s) => $call.await,
            Sink::Postgres($s) => $call.await,
        }
    };
}

impl Sink {
    /// Connects, takes the destination's lock, applies migrations and creates the tables of
    /// `entities`. With `lock: false` (for `status`) no lock is taken and nothing is written.
    pub async fn open(
        destination: &Destination,
        entities: &[&'static EntitySpec],
        soft_delete: bool,
        lock: bool,
    ) -> Result<Sink, SyncError> {
        match destination {
            Destination::Sqlite(path) => Ok(Sink::Sqlite(
                sqlite::SqliteSink::open(path, entities, soft_delete, lock).await?,
            )),
            Destination::Postgres { url, schema } => Ok(Sink::Postgres(
                postgres::PgSink::open(url, schema.as_deref(), entities, soft_delete, lock).await?,
            )),
        }
    }

    /// Connections beside the main one (opened first, with the lock) for a first scan's pages,
    /// `writers - 1` of them into PostgreSQL, whose server parses each connection's records in
    /// a process of its own; none into SQLite, which has one writer.
    pub async fn open_part_writers(
        destination: &Destination,
        entities: &[&'static EntitySpec],
        soft_delete: bool,
        writers: usize,
    ) -> Result<Vec<Sink>, SyncError> {
        let Destination::Postgres { url, schema } = destination else {
            return Ok(Vec::new());
        };
        let mut sinks = Vec::with_capacity(writers.saturating_sub(1));
        for _ in 1..writers {
            match postgres::PgSink::open_part_writer(url, schema.as_deref(), entities, soft_delete)
                .await
            {
                Ok(sink) => sinks.push(Sink::Postgres(sink)),
                // Fewer connections (a server near its max_connections) only slow a first
                // scan down.
                Err(e @ SyncError::Destination(_)) => {
                    tracing::warn!(
                        "first scans write on {} connection(s): {e}",
                        sinks.len() + 1
                    );
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(sinks)
    }

    pub async fn state(&mut self, entity: &'static EntitySpec) -> Result<EntityState, SyncError> {
        dispatch!(self, s => s.state(entity))
    }

    /// Starts a first scan: the watermark and the id ranges. With `defer_indexes`, an empty
    /// table's report indexes are dropped, to be built once when the scan ends.
    pub async fn plan_full(
        &mut self,
        entity: &'static EntitySpec,
        watermark: Option<String>,
        parts: Vec<Part>,
        defer_indexes: bool,
    ) -> Result<(), SyncError> {
        dispatch!(self, s => s.plan_full(entity, watermark, parts, defer_indexes))
    }

    /// Ends a first scan: incremental from the watermark from now on.
    pub async fn finish_full(&mut self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        dispatch!(self, s => s.finish_full(entity))
    }

    /// Marks an entity as synced now (`last_sync_at`).
    pub async fn touch(&mut self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        dispatch!(self, s => s.touch(entity))
    }

    pub async fn write(&mut self, batch: Batch) -> Result<Outcome, SyncError> {
        dispatch!(self, s => s.write(batch))
    }

    /// A child collection synced for the first time: every parent's children are due.
    pub async fn seed_pending(&mut self, child: &'static EntitySpec) -> Result<(), SyncError> {
        dispatch!(self, s => s.seed_pending(child))
    }

    /// Up to `limit` parents above `after` whose children are due, lowest id first.
    pub async fn pending_after(
        &mut self,
        child: &'static EntitySpec,
        after: i64,
        limit: usize,
    ) -> Result<Vec<i64>, SyncError> {
        dispatch!(self, s => s.pending_after(child, after, limit))
    }

    /// Live (not soft-deleted) ids, ascending.
    pub async fn local_ids(&mut self, entity: &'static EntitySpec) -> Result<Vec<i64>, SyncError> {
        dispatch!(self, s => s.local_ids(entity))
    }

    /// The stored `lastUpdated` of a live row, or `None` when there is no live row.
    pub async fn last_updated_of(
        &mut self,
        entity: &'static EntitySpec,
        id: i64,
    ) -> Result<Option<Option<String>>, SyncError> {
        dispatch!(self, s => s.last_updated_of(entity, id))
    }

    /// Removes (or marks) rows and their children; returns how many rows of `entity`.
    pub async fn delete(
        &mut self,
        entity: &'static EntitySpec,
        ids: &[i64],
        run_id: i64,
    ) -> Result<u64, SyncError> {
        dispatch!(self, s => s.delete(entity, ids, run_id))
    }

    pub async fn mark_delete_scan(&mut self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        dispatch!(self, s => s.mark_delete_scan(entity))
    }

    /// Starts a ledger row (and closes any left `running` by a killed process).
    pub async fn begin_run(&mut self, mode: &str, entities: &str) -> Result<i64, SyncError> {
        dispatch!(self, s => s.begin_run(mode, entities))
    }

    pub async fn add_to_run(
        &mut self,
        run_id: i64,
        entity: &str,
        delta: RunDelta,
    ) -> Result<(), SyncError> {
        dispatch!(self, s => s.add_to_run(run_id, entity, delta))
    }

    pub async fn finish_run(
        &mut self,
        run_id: i64,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), SyncError> {
        dispatch!(self, s => s.finish_run(run_id, status, error))
    }

    pub async fn status(
        &mut self,
        runs: usize,
    ) -> Result<(Vec<TableStatus>, Vec<RunRecord>), SyncError> {
        dispatch!(self, s => s.status(runs))
    }
}

/// The SQL of the meta tables, shared by both destinations (types differ only where noted).
pub(crate) fn meta_ddl(big: &str, serial: &str, boolean: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS sync_state (
            entity TEXT PRIMARY KEY,
            phase TEXT NOT NULL,
            watermark TEXT,
            since TEXT,
            since_id {big} NOT NULL DEFAULT 0,
            full_started_at TEXT,
            full_completed_at TEXT,
            last_sync_at TEXT,
            last_delete_scan_at TEXT
        );
        CREATE TABLE IF NOT EXISTS sync_parts (
            entity TEXT NOT NULL,
            part {big} NOT NULL,
            hi {big},
            page_id {big} NOT NULL,
            done {boolean} NOT NULL,
            PRIMARY KEY (entity, part)
        );
        CREATE TABLE IF NOT EXISTS sync_pending (
            entity TEXT NOT NULL,
            parent_id {big} NOT NULL,
            PRIMARY KEY (entity, parent_id)
        );
        CREATE TABLE IF NOT EXISTS sync_runs (
            id {serial},
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            mode TEXT NOT NULL,
            entities TEXT NOT NULL,
            error TEXT
        );
        CREATE TABLE IF NOT EXISTS sync_run_entities (
            run_id {big} NOT NULL,
            entity TEXT NOT NULL,
            fetched {big} NOT NULL DEFAULT 0,
            inserted {big} NOT NULL DEFAULT 0,
            updated {big} NOT NULL DEFAULT 0,
            deleted {big} NOT NULL DEFAULT 0,
            requests {big} NOT NULL DEFAULT 0,
            rate_limited {big} NOT NULL DEFAULT 0,
            errors {big} NOT NULL DEFAULT 0,
            PRIMARY KEY (run_id, entity)
        );"
    )
}

/// Schema versions, applied in order; each is recorded in `sync_migrations`.
pub(crate) const MIGRATIONS: &[(i64, &str)] =
    &[(1, "sync state, pending children and the run ledger")];

/// `sync_run_entities` upsert adding a delta (same SQL in both destinations).
pub(crate) const RUN_DELTA_SQL: &str = "INSERT INTO sync_run_entities
    (run_id, entity, fetched, inserted, updated, deleted, requests, rate_limited, errors)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
    ON CONFLICT (run_id, entity) DO UPDATE SET
        fetched = sync_run_entities.fetched + excluded.fetched,
        inserted = sync_run_entities.inserted + excluded.inserted,
        updated = sync_run_entities.updated + excluded.updated,
        deleted = sync_run_entities.deleted + excluded.deleted,
        requests = sync_run_entities.requests + excluded.requests,
        rate_limited = sync_run_entities.rate_limited + excluded.rate_limited,
        errors = sync_run_entities.errors + excluded.errors";

/// A quoted SQL identifier (names come from [`crate::entities`], but quote anyway).
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The statements creating an entity's report indexes (the same in both dialects).
///
/// A first scan into an empty table may drop them and build them once at its end (see
/// `engine::defer_indexes` for when): one sorted build per index costs about half of keeping
/// eight indexes up to date through every insert. Until then the table holds a partial copy,
/// so reports lose nothing real.
pub(crate) fn create_index_statements(spec: &EntitySpec) -> Vec<String> {
    let table = ident(spec.name);
    spec.columns
        .iter()
        .filter(|c| c.indexed)
        .map(|c| {
            format!(
                "CREATE INDEX IF NOT EXISTS {} ON {table} ({})",
                index_name(spec, c.name),
                ident(c.name)
            )
        })
        .collect()
}

/// The statements dropping the indexes [`create_index_statements`] creates.
pub(crate) fn drop_index_statements(spec: &EntitySpec) -> Vec<String> {
    spec.columns
        .iter()
        .filter(|c| c.indexed)
        .map(|c| format!("DROP INDEX IF EXISTS {}", index_name(spec, c.name)))
        .collect()
}

fn index_name(spec: &EntitySpec, column: &str) -> String {
    ident(&format!("{}_{column}", spec.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://me:s3cret@db.example:5432/cw?sslmode=disable"),
            "postgres://me:***@db.example:5432/cw?sslmode=disable"
        );
        assert_eq!(redact_url("postgres://me@h/db"), "postgres://me@h/db");
        assert_eq!(
            redact_url("postgresql://h/db?user=me&password=s3cret&x=1"),
            "postgresql://h/db?user=me&password=***&x=1"
        );
        let d = Destination::parse("postgres://u:hunter2@localhost/x").expect("parses");
        assert!(!format!("{d:?} {d}").contains("hunter2"));
        assert!(
            Destination::parse("ftp://u:hunter2@x")
                .is_err_and(|e| !e.to_string().contains("hunter2"))
        );
        assert_eq!(
            Destination::parse("connectwise.db").ok(),
            Some(Destination::Sqlite("connectwise.db".into()))
        );
    }
}
