//! The SQLite destination: one file in WAL mode, written by one connection on a blocking
//! thread; a lock file beside it (an OS file lock, released even by `kill -9`) keeps a second
//! sync out.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::{
    Batch, Cursor, EntityState, MIGRATIONS, Outcome, Part, Phase, RUN_DELTA_SQL, RunDelta,
    RunEntityRecord, RunRecord, TableStatus, create_index_statements, drop_index_statements, ident,
    meta_ddl,
};
use crate::entities::{ENTITIES, EntitySpec, Kind};
use crate::error::SyncError;
use crate::record::Cell;

pub(crate) struct SqliteSink {
    conn: Arc<Mutex<Connection>>,
    soft_delete: bool,
    /// An exclusive transaction on the lock file, held for the sink's lifetime: SQLite's
    /// file locks are released by the OS when the process ends, however it ends.
    _lock: Option<Mutex<Connection>>,
    /// Told of every commit; `None` when the sink only reads.
    checkpointer: Option<SyncSender<()>>,
}

/// The background checkpointer checkpoints at most this often.
const CHECKPOINT_REST: Duration = Duration::from_secs(1);

/// Starts a thread with its own connection that copies committed WAL frames into the database
/// file after commits (`PRAGMA wal_checkpoint(PASSIVE)`, at most once per [`CHECKPOINT_REST`]).
///
/// In WAL mode with `synchronous = NORMAL` a commit only appends to the WAL; the fsyncs come
/// with checkpoints. Left to the writer (`wal_autocheckpoint`), a checkpoint stalls the page
/// being written for the time it takes to copy and fsync up to 256 MB, which on a busy disk was
/// a third of the writer's time. A passive checkpoint on another connection runs beside the
/// writer and changes nothing in what is durable when (a commit is durable once the OS has it;
/// a power cut may lose the last commits, never the consistency of rows and cursor). The
/// writer's own autocheckpoint stays as the backstop should this thread fall behind. The
/// thread ends when the sink drops its sender.
fn spawn_checkpointer(path: &Path) -> Result<SyncSender<()>, SyncError> {
    let conn = Connection::open(path)
        .map_err(|e| SyncError::Destination(format!("cannot open {}: {e}", path.display())))?;
    conn.execute_batch("PRAGMA synchronous = NORMAL")?;
    let (commits, committed) = std::sync::mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            let mut last: Option<Instant> = None;
            while committed.recv().is_ok() {
                if let Some(deadline) = last.map(|at| at + CHECKPOINT_REST) {
                    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
                        if let Err(RecvTimeoutError::Disconnected) = committed.recv_timeout(left) {
                            return;
                        }
                    }
                }
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    // The writer's autocheckpoint still bounds the WAL.
                    tracing::warn!("background checkpoint failed: {e}");
                }
                last = Some(Instant::now());
            }
        })
        .map_err(|e| SyncError::Destination(format!("cannot start the checkpoint thread: {e}")))?;
    Ok(commits)
}

fn sql_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Int | Kind::Bool => "INTEGER",
        Kind::Real => "REAL",
        Kind::Text | Kind::Time => "TEXT",
    }
}

/// Opens `<db>.sync-lock` and holds an exclusive transaction on it.
fn take_lock(path: &Path) -> Result<Connection, SyncError> {
    let lp = lock_path(path);
    let conn = Connection::open(&lp).map_err(|e| {
        SyncError::Destination(format!("cannot open the lock file {}: {e}", lp.display()))
    })?;
    conn.busy_timeout(Duration::ZERO)?;
    match conn.execute_batch("BEGIN EXCLUSIVE") {
        Ok(()) => Ok(conn),
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
            Err(SyncError::Locked(format!(
                "another sync is writing to {} (its lock {} is held); wait for it to finish",
                path.display(),
                lp.display()
            )))
        }
        Err(e) => Err(SyncError::Destination(format!(
            "cannot lock {}: {e}",
            lp.display()
        ))),
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".sync-lock");
    path.with_file_name(name)
}

impl SqliteSink {
    pub async fn open(
        path: &Path,
        entities: &[&'static EntitySpec],
        soft_delete: bool,
        lock: bool,
    ) -> Result<SqliteSink, SyncError> {
        let path = path.to_owned();
        let entities = entities.to_vec();
        tokio::task::spawn_blocking(move || {
            let lock_conn = if lock {
                Some(Mutex::new(take_lock(&path)?))
            } else {
                None
            };
            if !lock && !path.exists() {
                return Err(SyncError::Options(format!(
                    "{} does not exist: nothing has been synced there yet",
                    path.display()
                )));
            }
            let conn = Connection::open(&path).map_err(|e| {
                SyncError::Destination(format!("cannot open {}: {e}", path.display()))
            })?;
            conn.busy_timeout(Duration::from_secs(10))?;
            // WAL + NORMAL: a committed transaction survives a killed process (a power cut
            // may lose the last pages, never the consistency of data and cursor); readers
            // (report tools) do not block the sync. Checkpoints run on their own thread (see
            // `spawn_checkpointer`); the writer's own, at 16384 pages (256 MB), is the backstop.
            // 16 KiB pages (only a new file takes them): a ticket's JSON is about 4 KB, which
            // would spill into an overflow page of a 4 KiB page.
            conn.execute_batch("PRAGMA page_size = 16384")?;
            // Reads through a memory map (up to 2 GB): a page comes straight from the OS's
            // cache instead of being copied out of it by `pread`. A first scan's index build
            // reads the whole table once per index, and took half the time this way.
            conn.execute_batch(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -65536;
                 PRAGMA wal_autocheckpoint = 16384; PRAGMA journal_size_limit = 67108864;
                 PRAGMA mmap_size = 2147483648;",
            )?;
            let checkpointer = if lock {
                migrate(&conn)?;
                for spec in &entities {
                    ensure_table(&conn, spec)?;
                }
                Some(spawn_checkpointer(&path)?)
            } else {
                None
            };
            Ok(SqliteSink {
                conn: Arc::new(Mutex::new(conn)),
                soft_delete,
                _lock: lock_conn,
                checkpointer,
            })
        })
        .await
        .map_err(|e| SyncError::Destination(format!("SQLite worker failed: {e}")))?
    }

    async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection, bool) -> Result<T, SyncError> + Send + 'static,
    ) -> Result<T, SyncError> {
        let conn = self.conn.clone();
        let soft = self.soft_delete;
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard, soft)
        })
        .await
        .map_err(|e| SyncError::Destination(format!("SQLite worker failed: {e}")))?
    }

    pub async fn state(&self, entity: &'static EntitySpec) -> Result<EntityState, SyncError> {
        self.call(move |c, _| read_state(c, entity.name)).await
    }

    pub async fn plan_full(
        &self,
        entity: &'static EntitySpec,
        watermark: Option<String>,
        parts: Vec<Part>,
        defer_indexes: bool,
    ) -> Result<(), SyncError> {
        self.call(move |c, _| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let empty: bool = tx.query_row(
                &format!("SELECT NOT EXISTS (SELECT 1 FROM {})", ident(entity.name)),
                [],
                |r| r.get(0),
            )?;
            if defer_indexes && empty {
                for statement in drop_index_statements(entity) {
                    tx.execute_batch(&statement)?;
                }
            }
            tx.execute("DELETE FROM sync_parts WHERE entity = ?1", [entity.name])?;
            for p in &parts {
                tx.execute(
                    "INSERT INTO sync_parts (entity, part, hi, page_id, done) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![entity.name, p.index, p.hi, p.page_id, p.done],
                )?;
            }
            tx.execute(
                "INSERT INTO sync_state (entity, phase, watermark, full_started_at) VALUES (?1, 'full', ?2, ?3)
                 ON CONFLICT (entity) DO UPDATE SET phase = 'full', watermark = excluded.watermark,
                    full_started_at = excluded.full_started_at",
                params![entity.name, watermark, crate::time::now()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn finish_full(&self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        self.call(move |c, _| {
            // The index builds below read the whole table once per index. A page that still
            // has a frame in the WAL is read from it with `pread` (a copy), even once
            // checkpointed; emptying the WAL first lets every read come through the memory map.
            // Best effort: a reader holding an old snapshot only makes the builds slower.
            if let Err(e) = c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())) {
                tracing::debug!("checkpoint before the index builds: {e}");
            }
            // An index build is a sort of the whole column: SQLite may spread it over helper
            // threads (the scan is over, so the cores are free).
            let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
            c.query_row(
                &format!("PRAGMA threads = {}", cores.min(4)),
                [],
                |_| Ok(()),
            )?;
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = crate::time::now();
            tx.execute(
                "UPDATE sync_state SET phase = 'incremental', since = watermark, since_id = 0,
                    full_completed_at = ?2, last_sync_at = ?2,
                    last_delete_scan_at = COALESCE(last_delete_scan_at, full_started_at)
                 WHERE entity = ?1",
                params![entity.name, now],
            )?;
            tx.execute("DELETE FROM sync_parts WHERE entity = ?1", [entity.name])?;
            for statement in create_index_statements(entity) {
                tx.execute_batch(&statement)?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn touch(&self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        self.call(move |c, _| {
            c.execute(
                "UPDATE sync_state SET last_sync_at = ?2 WHERE entity = ?1",
                params![entity.name, crate::time::now()],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn write(&self, batch: Batch) -> Result<Outcome, SyncError> {
        let outcome = self
            .call(move |c, soft| write_batch(c, soft, &batch))
            .await?;
        if let Some(checkpointer) = &self.checkpointer {
            // Full means a checkpoint is already due.
            let _ = checkpointer.try_send(());
        }
        Ok(outcome)
    }

    pub async fn seed_pending(&self, child: &'static EntitySpec) -> Result<(), SyncError> {
        self.call(move |c, _| {
            let Some((parent, _)) = child.parent else {
                return Ok(());
            };
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute(
                &format!(
                    "INSERT INTO sync_pending (entity, parent_id)
                     SELECT ?1, id FROM {} WHERE deleted_at IS NULL ON CONFLICT DO NOTHING",
                    ident(parent)
                ),
                [child.name],
            )?;
            tx.execute(
                "INSERT INTO sync_state (entity, phase, full_started_at) VALUES (?1, 'incremental', ?2)
                 ON CONFLICT (entity) DO UPDATE SET phase = 'incremental'",
                params![child.name, crate::time::now()],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    pub async fn pending_after(
        &self,
        child: &'static EntitySpec,
        after: i64,
        limit: usize,
    ) -> Result<Vec<i64>, SyncError> {
        self.call(move |c, _| {
            let mut stmt = c.prepare_cached(
                "SELECT parent_id FROM sync_pending WHERE entity = ?1 AND parent_id > ?2
                 ORDER BY parent_id LIMIT ?3",
            )?;
            let ids = stmt
                .query_map(params![child.name, after, limit as i64], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(ids)
        })
        .await
    }

    pub async fn local_ids(&self, entity: &'static EntitySpec) -> Result<Vec<i64>, SyncError> {
        self.call(move |c, _| {
            let mut stmt = c.prepare(&format!(
                "SELECT id FROM {} WHERE deleted_at IS NULL ORDER BY id",
                ident(entity.name)
            ))?;
            let ids = stmt
                .query_map([], |r| r.get(0))?
                .collect::<Result<Vec<i64>, _>>()?;
            Ok(ids)
        })
        .await
    }

    pub async fn last_updated_of(
        &self,
        entity: &'static EntitySpec,
        id: i64,
    ) -> Result<Option<Option<String>>, SyncError> {
        self.call(move |c, _| {
            Ok(c.query_row(
                &format!(
                    "SELECT last_updated FROM {} WHERE id = ?1 AND deleted_at IS NULL",
                    ident(entity.name)
                ),
                [id],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()?)
        })
        .await
    }

    pub async fn delete(
        &self,
        entity: &'static EntitySpec,
        ids: &[i64],
        run_id: i64,
    ) -> Result<u64, SyncError> {
        let ids = ids.to_vec();
        self.call(move |c, soft| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now = crate::time::now();
            let mut deleted = 0u64;
            for chunk in ids.chunks(500) {
                deleted += delete_where(&tx, entity, "id", chunk, soft, &now)? as u64;
                for child in entity.children() {
                    // A child table exists once its entity has been synced here.
                    let exists: bool = tx.query_row(
                        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                        [child.name],
                        |r| r.get(0),
                    )?;
                    if let (true, Some((_, column))) = (exists, child.parent) {
                        delete_where(&tx, child, column, chunk, soft, &now)?;
                    }
                    let list = id_list(chunk);
                    tx.execute(
                        &format!(
                            "DELETE FROM sync_pending WHERE entity = ?1 AND parent_id IN ({list})"
                        ),
                        [child.name],
                    )?;
                }
            }
            add_delta(
                &tx,
                run_id,
                entity.name,
                0,
                &Outcome {
                    deleted,
                    ..Outcome::default()
                },
                RunDelta::default(),
            )?;
            tx.commit()?;
            Ok(deleted)
        })
        .await
    }

    pub async fn mark_delete_scan(&self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        self.call(move |c, _| {
            c.execute(
                "UPDATE sync_state SET last_delete_scan_at = ?2 WHERE entity = ?1",
                params![entity.name, crate::time::now()],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn begin_run(&self, mode: &str, entities: &str) -> Result<i64, SyncError> {
        let (mode, entities) = (mode.to_owned(), entities.to_owned());
        self.call(move |c, _| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            // We hold the lock: a run still `running` belongs to a process that died.
            tx.execute(
                "UPDATE sync_runs SET status = 'interrupted' WHERE status = 'running'",
                [],
            )?;
            tx.execute(
                "INSERT INTO sync_runs (started_at, status, mode, entities) VALUES (?1, 'running', ?2, ?3)",
                params![crate::time::now(), mode, entities],
            )?;
            let id = tx.last_insert_rowid();
            tx.commit()?;
            Ok(id)
        })
        .await
    }

    pub async fn add_to_run(
        &self,
        run_id: i64,
        entity: &str,
        delta: RunDelta,
    ) -> Result<(), SyncError> {
        let entity = entity.to_owned();
        self.call(move |c, _| add_delta(c, run_id, &entity, 0, &Outcome::default(), delta))
            .await
    }

    pub async fn finish_run(
        &self,
        run_id: i64,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), SyncError> {
        let (status, error) = (status.to_owned(), error.map(str::to_owned));
        self.call(move |c, _| {
            c.execute(
                "UPDATE sync_runs SET finished_at = ?2, status = ?3, error = ?4 WHERE id = ?1",
                params![run_id, crate::time::now(), status, error],
            )?;
            Ok(())
        })
        .await
    }

    pub async fn status(
        &self,
        runs: usize,
    ) -> Result<(Vec<TableStatus>, Vec<RunRecord>), SyncError> {
        self.call(move |c, _| {
            let has_meta: bool = c.query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'sync_state'",
                [],
                |r| r.get(0),
            )?;
            if !has_meta {
                return Err(SyncError::Options(
                    "this database has not been synced into yet (no sync_state table)".into(),
                ));
            }
            let mut tables = Vec::new();
            for spec in &ENTITIES {
                let state = c
                    .query_row(
                        "SELECT phase, since, last_sync_at, full_completed_at, last_delete_scan_at
                         FROM sync_state WHERE entity = ?1",
                        [spec.name],
                        |r| {
                            Ok((
                                r.get::<_, String>(0)?,
                                r.get::<_, Option<String>>(1)?,
                                r.get::<_, Option<String>>(2)?,
                                r.get::<_, Option<String>>(3)?,
                                r.get::<_, Option<String>>(4)?,
                            ))
                        },
                    )
                    .optional()?;
                let Some((phase, since, last_sync_at, full_completed_at, last_delete_scan_at)) =
                    state
                else {
                    continue;
                };
                let (rows, soft_deleted): (i64, i64) = c.query_row(
                    &format!(
                        "SELECT count(*), count(deleted_at) FROM {}",
                        ident(spec.name)
                    ),
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let pending: i64 = c.query_row(
                    "SELECT count(*) FROM sync_pending WHERE entity = ?1",
                    [spec.name],
                    |r| r.get(0),
                )?;
                tables.push(TableStatus {
                    entity: spec.name.to_owned(),
                    rows: (rows - soft_deleted) as u64,
                    soft_deleted: soft_deleted as u64,
                    phase,
                    since,
                    last_sync_at,
                    full_completed_at,
                    last_delete_scan_at,
                    pending_parents: pending as u64,
                });
            }
            let mut stmt = c.prepare(
                "SELECT id, started_at, finished_at, status, error FROM sync_runs ORDER BY id DESC LIMIT ?1",
            )?;
            let mut list: Vec<RunRecord> = stmt
                .query_map([runs as i64], |r| {
                    Ok(RunRecord {
                        id: r.get(0)?,
                        started_at: r.get(1)?,
                        finished_at: r.get(2)?,
                        status: r.get(3)?,
                        error: r.get(4)?,
                        entities: Vec::new(),
                    })
                })?
                .collect::<Result<_, _>>()?;
            let mut stmt = c.prepare(
                "SELECT entity, fetched, inserted, updated, deleted, requests, rate_limited, errors
                 FROM sync_run_entities WHERE run_id = ?1",
            )?;
            for run in &mut list {
                let mut entities: Vec<RunEntityRecord> = stmt
                    .query_map([run.id], |r| {
                        Ok(RunEntityRecord {
                            entity: r.get(0)?,
                            fetched: r.get::<_, i64>(1)? as u64,
                            inserted: r.get::<_, i64>(2)? as u64,
                            updated: r.get::<_, i64>(3)? as u64,
                            deleted: r.get::<_, i64>(4)? as u64,
                            requests: r.get::<_, i64>(5)? as u64,
                            rate_limited: r.get::<_, i64>(6)? as u64,
                            errors: r.get::<_, i64>(7)? as u64,
                        })
                    })?
                    .collect::<Result<_, _>>()?;
                entities.sort_by_key(|e| ENTITIES.iter().position(|s| s.name == e.entity));
                run.entities = entities;
            }
            Ok((tables, list))
        })
        .await
    }
}

fn migrate(conn: &Connection) -> Result<(), SyncError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS sync_migrations (
            version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )?;
    let current: i64 = conn.query_row(
        "SELECT COALESCE(max(version), 0) FROM sync_migrations",
        [],
        |r| r.get(0),
    )?;
    for (version, name) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let sql = match version {
            1 => meta_ddl("INTEGER", "INTEGER PRIMARY KEY AUTOINCREMENT", "INTEGER"),
            _ => unreachable_migration(*version)?,
        };
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {sql}"))?;
        let done = conn.execute(
            "INSERT INTO sync_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            params![version, name, crate::time::now()],
        );
        match done {
            Ok(_) => conn.execute_batch("COMMIT")?,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                return Err(e.into());
            }
        }
    }
    Ok(())
}

fn unreachable_migration(version: i64) -> Result<String, SyncError> {
    Err(SyncError::Destination(format!(
        "migration {version} has no SQLite form"
    )))
}

/// Creates the entity's table and indexes, and adds columns a newer version defines (filled
/// from `data`, so reports see them at once).
fn ensure_table(conn: &Connection, spec: &EntitySpec) -> Result<(), SyncError> {
    let table = ident(spec.name);
    let mut columns = String::from("id INTEGER PRIMARY KEY");
    for c in spec.columns {
        columns.push_str(&format!(", {} {}", ident(c.name), sql_type(c.kind)));
    }
    columns.push_str(", deleted_at TEXT, synced_at TEXT NOT NULL, data TEXT NOT NULL");
    conn.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {table} ({columns})"))?;
    let existing: Vec<String> = conn
        .prepare(&format!("PRAGMA table_info({table})"))?
        .query_map([], |r| r.get::<_, String>(1))?
        .collect::<Result<_, _>>()?;
    for c in spec.columns {
        if existing.iter().any(|e| e == c.name) {
            continue;
        }
        let json_path = format!("$.{}", c.path.replace('/', "."));
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE;
             ALTER TABLE {table} ADD COLUMN {} {};
             UPDATE {table} SET {} = json_extract(data, '{json_path}');
             COMMIT;",
            ident(c.name),
            sql_type(c.kind),
            ident(c.name),
        ))?;
    }
    // A first scan builds its indexes when it ends (see `create_index_statements`).
    let scanning: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sync_state WHERE entity = ?1 AND phase = 'full'",
        [spec.name],
        |r| r.get(0),
    )?;
    if !scanning {
        for statement in create_index_statements(spec) {
            conn.execute_batch(&statement)?;
        }
    }
    Ok(())
}

fn read_state(c: &Connection, entity: &str) -> Result<EntityState, SyncError> {
    let row = c
        .query_row(
            "SELECT phase, since, since_id, last_delete_scan_at FROM sync_state WHERE entity = ?1",
            [entity],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, Option<String>>(3)?,
                ))
            },
        )
        .optional()?;
    let Some((phase, since, since_id, last_delete_scan_at)) = row else {
        return Ok(EntityState {
            phase: Phase::New,
            since: None,
            since_id: 0,
            parts: Vec::new(),
            last_delete_scan_at: None,
        });
    };
    let mut stmt = c.prepare(
        "SELECT part, hi, page_id, done FROM sync_parts WHERE entity = ?1 ORDER BY part",
    )?;
    let parts = stmt
        .query_map([entity], |r| {
            Ok(Part {
                index: r.get(0)?,
                hi: r.get(1)?,
                page_id: r.get(2)?,
                done: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(EntityState {
        phase: if phase == "full" {
            Phase::Full
        } else {
            Phase::Incremental
        },
        since,
        since_id,
        parts,
        last_delete_scan_at,
    })
}

fn to_sql(cell: &Cell) -> rusqlite::types::ToSqlOutput<'_> {
    use rusqlite::types::{ToSqlOutput, Value, ValueRef};
    match cell {
        Cell::Null => ToSqlOutput::Owned(Value::Null),
        Cell::Int(i) => ToSqlOutput::Owned(Value::Integer(*i)),
        Cell::Real(f) => ToSqlOutput::Owned(Value::Real(*f)),
        Cell::Bool(b) => ToSqlOutput::Owned(Value::Integer(i64::from(*b))),
        Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
    }
}

/// `INSERT INTO table (id, columns..., deleted_at, synced_at, data) VALUES (...)` (numbered
/// parameters in that order; `deleted_at` is NULL) that replaces the row holding the id, if any.
fn upsert_sql(spec: &EntitySpec) -> String {
    let mut sql = format!("INSERT INTO {} (id", ident(spec.name));
    for c in spec.columns {
        sql.push_str(", ");
        sql.push_str(&ident(c.name));
    }
    sql.push_str(", deleted_at, synced_at, data) VALUES (?1");
    let n = spec.columns.len();
    for i in 0..n {
        let _ = write!(sql, ", ?{}", i + 2);
    }
    let _ = write!(
        sql,
        ", NULL, ?{}, ?{}) ON CONFLICT (id) DO UPDATE SET ",
        n + 2,
        n + 3
    );
    for c in spec.columns {
        let name = ident(c.name);
        let _ = write!(sql, "{name} = excluded.{name}, ");
    }
    sql.push_str("deleted_at = NULL, synced_at = excluded.synced_at, data = excluded.data");
    sql
}

fn write_batch(c: &mut Connection, soft: bool, batch: &Batch) -> Result<Outcome, SyncError> {
    let spec = batch.entity;
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let now = crate::time::now();
    let mut outcome = Outcome::default();
    {
        let mut prev = tx.prepare_cached(&format!(
            "SELECT last_updated, deleted_at IS NOT NULL FROM {} WHERE id = ?1",
            ident(spec.name)
        ))?;
        let mut upsert = tx.prepare_cached(&upsert_sql(spec))?;
        let mut pend = tx.prepare_cached(
            "INSERT INTO sync_pending (entity, parent_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        let children: Vec<&EntitySpec> = spec.children().collect();
        let n = spec.columns.len();
        for row in &batch.rows {
            let before: Option<(Option<String>, bool)> = prev
                .query_row([row.id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let changed = match before {
                None | Some((_, true)) => {
                    outcome.inserted += 1;
                    true
                }
                Some((lu, false)) if lu != row.last_updated => {
                    outcome.updated += 1;
                    true
                }
                Some(_) => {
                    outcome.unchanged += 1;
                    false
                }
            };
            let recent = batch
                .recent
                .as_deref()
                .is_some_and(|cutoff| row.last_updated.as_deref().is_some_and(|lu| lu >= cutoff));
            if changed || recent {
                for child in &children {
                    pend.execute(params![child.name, row.id])?;
                }
            }
            let mut values: Vec<rusqlite::types::ToSqlOutput<'_>> = Vec::with_capacity(n + 3);
            values.push(rusqlite::types::ToSqlOutput::Owned(
                rusqlite::types::Value::Integer(row.id),
            ));
            values.extend(row.cells.iter().map(to_sql));
            values.push(rusqlite::types::ToSqlOutput::Borrowed(
                rusqlite::types::ValueRef::Text(now.as_bytes()),
            ));
            values.push(rusqlite::types::ToSqlOutput::Borrowed(
                rusqlite::types::ValueRef::Text(row.json.as_bytes()),
            ));
            upsert.execute(rusqlite::params_from_iter(values.iter()))?;
        }
    }
    if let (Some(parent), Some((_, column))) = (batch.replace_parent, spec.parent) {
        let kept: std::collections::HashSet<i64> = batch.rows.iter().map(|r| r.id).collect();
        let existing: Vec<i64> = tx
            .prepare_cached(&format!(
                "SELECT id FROM {} WHERE {} = ?1 AND deleted_at IS NULL",
                ident(spec.name),
                ident(column)
            ))?
            .query_map([parent], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let gone: Vec<i64> = existing
            .into_iter()
            .filter(|id| !kept.contains(id))
            .collect();
        if !gone.is_empty() {
            outcome.deleted += delete_where(&tx, spec, "id", &gone, soft, &now)? as u64;
        }
        tx.execute(
            "DELETE FROM sync_pending WHERE entity = ?1 AND parent_id = ?2",
            params![spec.name, parent],
        )?;
    }
    match &batch.cursor {
        Cursor::None => {}
        Cursor::Part {
            part,
            page_id,
            done,
        } => {
            tx.execute(
                "UPDATE sync_parts SET page_id = ?3, done = ?4 WHERE entity = ?1 AND part = ?2",
                params![spec.name, part, page_id, done],
            )?;
        }
        Cursor::Since { since, since_id } => {
            tx.execute(
                "UPDATE sync_state SET since = ?2, since_id = ?3 WHERE entity = ?1",
                params![spec.name, since, since_id],
            )?;
        }
    }
    add_delta(
        &tx,
        batch.run_id,
        spec.name,
        batch.rows.len() as u64,
        &outcome,
        batch.delta,
    )?;
    tx.commit()?;
    Ok(outcome)
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Deletes (or soft-deletes) live rows whose `column` is one of `ids`.
fn delete_where(
    tx: &Connection,
    spec: &EntitySpec,
    column: &str,
    ids: &[i64],
    soft: bool,
    now: &str,
) -> Result<usize, SyncError> {
    let mut total = 0;
    for chunk in ids.chunks(500) {
        let list = id_list(chunk);
        let sql = if soft {
            format!(
                "UPDATE {} SET deleted_at = ?1 WHERE {} IN ({list}) AND deleted_at IS NULL",
                ident(spec.name),
                ident(column)
            )
        } else {
            format!(
                "DELETE FROM {} WHERE {} IN ({list}) AND ?1 IS NOT NULL",
                ident(spec.name),
                ident(column)
            )
        };
        total += tx.execute(&sql, [now])?;
    }
    Ok(total)
}

fn add_delta(
    c: &Connection,
    run_id: i64,
    entity: &str,
    fetched: u64,
    outcome: &Outcome,
    delta: RunDelta,
) -> Result<(), SyncError> {
    c.prepare_cached(&RUN_DELTA_SQL.replace('$', "?"))?
        .execute(params![
            run_id,
            entity,
            fetched as i64,
            outcome.inserted as i64,
            outcome.updated as i64,
            outcome.deleted as i64,
            delta.requests as i64,
            delta.rate_limited as i64,
            delta.errors as i64
        ])?;
    Ok(())
}
