//! The PostgreSQL destination: each page is `COPY`ed into a temporary staging table and
//! upserted from there in one transaction; a session advisory lock (released when the
//! connection ends, however the process ends) keeps a second sync out.

mod copy;
mod jsonb;

use std::fmt::Write as _;

use bytes::Bytes;
use futures_util::SinkExt;
use tokio_postgres::{Client, NoTls};

use super::{
    Batch, Cursor, EntityState, MIGRATIONS, Outcome, Part, Phase, RUN_DELTA_SQL, RunDelta,
    RunEntityRecord, RunRecord, TableStatus, create_index_statements, drop_index_statements, ident,
    meta_ddl, redact_url,
};
use crate::entities::{ENTITIES, EntitySpec, Kind};
use crate::error::SyncError;
use crate::record::{Cell, Row};
use copy::CopyRows;

pub(crate) struct PgSink {
    client: Client,
    soft_delete: bool,
    connection: tokio::task::JoinHandle<()>,
}

impl Drop for PgSink {
    fn drop(&mut self) {
        // Ends the session, which releases the advisory lock.
        self.connection.abort();
    }
}

fn sql_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Int => "BIGINT",
        Kind::Real => "DOUBLE PRECISION",
        Kind::Bool => "BOOLEAN",
        Kind::Text => "TEXT",
        Kind::Time => "TIMESTAMPTZ",
    }
}

/// `COPY target FROM STDIN` with rows in COPY's binary format (see [`copy_rows`]).
async fn copy_into(
    tx: &tokio_postgres::Transaction<'_>,
    target: &str,
    rows: Bytes,
) -> Result<(), tokio_postgres::Error> {
    let sink = tx
        .copy_in::<_, Bytes>(&format!("COPY {target} FROM STDIN (FORMAT binary)"))
        .await?;
    tokio::pin!(sink);
    sink.send(rows).await?;
    sink.finish().await?;
    Ok(())
}

fn stage(spec: &EntitySpec) -> String {
    ident(&format!("stage_{}", spec.name))
}

/// The advisory lock's key: one sync per schema.
fn lock_key(schema: Option<&str>) -> String {
    format!("cwpsa-sync:{}", schema.unwrap_or("(default search path)"))
}

impl PgSink {
    /// Connects, takes the advisory lock (with `lock`), migrates and creates the tables.
    pub async fn open(
        url: &str,
        schema: Option<&str>,
        entities: &[&'static EntitySpec],
        soft_delete: bool,
        lock: bool,
    ) -> Result<PgSink, SyncError> {
        let mut sink = PgSink::connect(url, soft_delete).await?;
        if let Some(schema) = schema {
            let schema = ident(schema);
            if lock {
                sink.client
                    .batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
                    .await?;
            }
            sink.client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .await?;
        }
        if lock {
            sink.take_lock(url, schema, true).await?;
            sink.migrate().await?;
            for spec in entities {
                sink.ensure_table(spec).await?;
            }
        }
        Ok(sink)
    }

    /// One more connection for a first scan's pages, beside the main one (opened with `lock`
    /// first): each connection's records are parsed by a server process of its own.
    pub async fn open_part_writer(
        url: &str,
        schema: Option<&str>,
        entities: &[&'static EntitySpec],
        soft_delete: bool,
    ) -> Result<PgSink, SyncError> {
        let mut sink = PgSink::connect(url, soft_delete).await?;
        if let Some(schema) = schema {
            sink.client
                .batch_execute(&format!("SET search_path TO {}", ident(schema)))
                .await?;
        }
        sink.take_lock(url, schema, false).await?;
        for spec in entities {
            sink.create_stage(spec).await?;
        }
        Ok(sink)
    }

    /// Takes the sync's advisory lock. Every connection of a sync holds it shared, so that a
    /// second sync is kept out while any of them lives (the main one may be lost first). The
    /// `first` connection tries it exclusive, which fails while any other session holds it.
    async fn take_lock(
        &self,
        url: &str,
        schema: Option<&str>,
        first: bool,
    ) -> Result<(), SyncError> {
        let key = lock_key(schema);
        let try_lock = if first {
            "SELECT pg_try_advisory_lock(hashtext($1))"
        } else {
            "SELECT pg_try_advisory_lock_shared(hashtext($1))"
        };
        let got: bool = self.client.query_one(try_lock, &[&key]).await?.get(0);
        if !got {
            return Err(SyncError::Locked(format!(
                "another sync is writing to {} (its advisory lock is held); wait for it to finish",
                redact_url(url)
            )));
        }
        if first {
            self.client
                .execute("SELECT pg_advisory_lock_shared(hashtext($1))", &[&key])
                .await?;
            self.client
                .execute("SELECT pg_advisory_unlock(hashtext($1))", &[&key])
                .await?;
        }
        Ok(())
    }

    async fn connect(url: &str, soft_delete: bool) -> Result<PgSink, SyncError> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await.map_err(|e| {
            let why = SyncError::from(e);
            SyncError::Destination(format!("cannot connect to {}: {why}", redact_url(url)))
        })?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("PostgreSQL connection ended: {}", SyncError::from(e));
            }
        });
        let sink = PgSink {
            client,
            soft_delete,
            connection,
        };
        // A commit need not wait for its WAL flush: a server crash may lose the last pages
        // but never splits a page from its cursor, and a rerun fetches them again.
        sink.client
            .batch_execute("SET synchronous_commit = off")
            .await?;
        Ok(sink)
    }

    async fn migrate(&mut self) -> Result<(), SyncError> {
        self.client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS sync_migrations (
                    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
            )
            .await?;
        let current: i64 = self
            .client
            .query_one("SELECT COALESCE(max(version), 0) FROM sync_migrations", &[])
            .await?
            .get(0);
        for (version, name) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            let sql = match version {
                1 => meta_ddl("BIGINT", "BIGSERIAL PRIMARY KEY", "BOOLEAN"),
                v => {
                    return Err(SyncError::Destination(format!(
                        "migration {v} has no PostgreSQL form"
                    )));
                }
            };
            let tx = self.client.transaction().await?;
            tx.batch_execute(&sql).await?;
            tx.execute(
                "INSERT INTO sync_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                &[version, name, &crate::time::now()],
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    async fn ensure_table(&mut self, spec: &EntitySpec) -> Result<(), SyncError> {
        let table = ident(spec.name);
        let mut columns = String::from("id BIGINT PRIMARY KEY");
        for c in spec.columns {
            let _ = write!(columns, ", {} {}", ident(c.name), sql_type(c.kind));
        }
        columns.push_str(
            ", deleted_at TIMESTAMPTZ, synced_at TIMESTAMPTZ NOT NULL, data JSONB NOT NULL",
        );
        self.client
            .batch_execute(&format!("CREATE TABLE IF NOT EXISTS {table} ({columns})"))
            .await?;
        // A record (about 4 KB for a ticket) is compressed out of line; lz4 costs a fraction
        // of the default pglz. Servers before 14, or built without lz4, keep pglz.
        let _ = self
            .client
            .batch_execute(&format!(
                "ALTER TABLE {table} ALTER COLUMN data SET COMPRESSION lz4"
            ))
            .await;
        let existing: Vec<String> = self
            .client
            .query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
                &[&spec.name],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for c in spec.columns {
            if existing.iter().any(|e| e == c.name) {
                continue;
            }
            let path = format!("'{{{}}}'", c.path.replace('/', ","));
            let value = match c.kind {
                Kind::Int => format!(
                    "CASE WHEN jsonb_typeof(data #> {path}) = 'number' THEN trunc((data #>> {path})::numeric)::bigint END"
                ),
                Kind::Real => format!(
                    "CASE WHEN jsonb_typeof(data #> {path}) = 'number' THEN (data #>> {path})::double precision END"
                ),
                Kind::Bool => format!(
                    "CASE WHEN jsonb_typeof(data #> {path}) = 'boolean' THEN (data #>> {path})::boolean END"
                ),
                Kind::Text => format!("data #>> {path}"),
                Kind::Time => format!(
                    "CASE WHEN (data #>> {path}) ~ '^\\d{{4}}-\\d{{2}}-\\d{{2}}(T\\d{{2}}:\\d{{2}}(:\\d{{2}}(\\.\\d+)?)?)?(Z|[+-]\\d{{2}}:?\\d{{2}})?$' THEN (data #>> {path})::timestamptz END"
                ),
            };
            let tx = self.client.transaction().await?;
            tx.batch_execute(&format!(
                "ALTER TABLE {table} ADD COLUMN {} {}; UPDATE {table} SET {} = {value};",
                ident(c.name),
                sql_type(c.kind),
                ident(c.name)
            ))
            .await?;
            tx.commit().await?;
        }
        // A first scan builds its indexes when it ends (see `create_index_statements`).
        let scanning: bool = self
            .client
            .query_one(
                "SELECT count(*) > 0 FROM sync_state WHERE entity = $1 AND phase = 'full'",
                &[&spec.name],
            )
            .await?
            .get(0);
        if !scanning {
            for statement in create_index_statements(spec) {
                self.client.batch_execute(&statement).await?;
            }
        }
        self.create_stage(spec).await
    }

    /// The connection's staging table for `spec`'s pages (temporary tables are per session).
    async fn create_stage(&mut self, spec: &EntitySpec) -> Result<(), SyncError> {
        self.client
            .batch_execute(&format!(
                "CREATE TEMP TABLE IF NOT EXISTS {} (LIKE {}) ON COMMIT DELETE ROWS",
                stage(spec),
                ident(spec.name)
            ))
            .await?;
        Ok(())
    }

    pub async fn state(&mut self, entity: &'static EntitySpec) -> Result<EntityState, SyncError> {
        let row = self
            .client
            .query_opt(
                "SELECT phase, since, since_id, last_delete_scan_at FROM sync_state WHERE entity = $1",
                &[&entity.name],
            )
            .await?;
        let Some(row) = row else {
            return Ok(EntityState {
                phase: Phase::New,
                since: None,
                since_id: 0,
                parts: Vec::new(),
                last_delete_scan_at: None,
            });
        };
        let parts = self
            .client
            .query(
                "SELECT part, hi, page_id, done FROM sync_parts WHERE entity = $1 ORDER BY part",
                &[&entity.name],
            )
            .await?
            .iter()
            .map(|r| Part {
                index: r.get(0),
                hi: r.get(1),
                page_id: r.get(2),
                done: r.get(3),
            })
            .collect();
        let phase: String = row.get(0);
        Ok(EntityState {
            phase: if phase == "full" {
                Phase::Full
            } else {
                Phase::Incremental
            },
            since: row.get(1),
            since_id: row.get(2),
            parts,
            last_delete_scan_at: row.get(3),
        })
    }

    pub async fn plan_full(
        &mut self,
        entity: &'static EntitySpec,
        watermark: Option<String>,
        parts: Vec<Part>,
        defer_indexes: bool,
    ) -> Result<(), SyncError> {
        let tx = self.client.transaction().await?;
        let empty: bool = tx
            .query_one(
                &format!("SELECT NOT EXISTS (SELECT 1 FROM {})", ident(entity.name)),
                &[],
            )
            .await?
            .get(0);
        if defer_indexes && empty {
            for statement in drop_index_statements(entity) {
                tx.batch_execute(&statement).await?;
            }
        }
        tx.execute("DELETE FROM sync_parts WHERE entity = $1", &[&entity.name])
            .await?;
        for p in &parts {
            tx.execute(
                "INSERT INTO sync_parts (entity, part, hi, page_id, done) VALUES ($1, $2, $3, $4, $5)",
                &[&entity.name, &p.index, &p.hi, &p.page_id, &p.done],
            )
            .await?;
        }
        tx.execute(
            "INSERT INTO sync_state (entity, phase, watermark, full_started_at) VALUES ($1, 'full', $2, $3)
             ON CONFLICT (entity) DO UPDATE SET phase = 'full', watermark = excluded.watermark,
                full_started_at = excluded.full_started_at",
            &[&entity.name, &watermark, &crate::time::now()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn finish_full(&mut self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        let tx = self.client.transaction().await?;
        tx.execute(
            "UPDATE sync_state SET phase = 'incremental', since = watermark, since_id = 0,
                full_completed_at = $2, last_sync_at = $2,
                last_delete_scan_at = COALESCE(last_delete_scan_at, full_started_at)
             WHERE entity = $1",
            &[&entity.name, &crate::time::now()],
        )
        .await?;
        tx.execute("DELETE FROM sync_parts WHERE entity = $1", &[&entity.name])
            .await?;
        for statement in create_index_statements(entity) {
            tx.batch_execute(&statement).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn touch(&mut self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        self.client
            .execute(
                "UPDATE sync_state SET last_sync_at = $2 WHERE entity = $1",
                &[&entity.name, &crate::time::now()],
            )
            .await?;
        Ok(())
    }

    pub async fn write(&mut self, batch: Batch) -> Result<Outcome, SyncError> {
        let spec = batch.entity;
        let table = ident(spec.name);
        let stage = stage(spec);
        let copy = copy_rows(spec, &batch.rows, crate::time::now_secs())?;
        let names: Vec<String> = spec.columns.iter().map(|c| ident(c.name)).collect();
        let list = format!("id, {}, deleted_at, synced_at, data", names.join(", "));
        let mut tx = self.client.transaction().await?;
        let mut outcome = Outcome::default();
        // A first scan's page goes straight into the table when none of its ids is there yet
        // (the usual case: the scan fills an empty table): one COPY instead of a COPY into the
        // staging table and an upsert from it, which parses and compresses every record twice.
        let mut done = false;
        if matches!(batch.cursor, Cursor::Part { .. }) && !batch.rows.is_empty() {
            let direct = tx.savepoint("direct_copy").await?;
            match copy_into(&direct, &format!("{table} ({list})"), copy.clone()).await {
                Ok(()) => {
                    direct.commit().await?;
                    outcome.inserted = batch.rows.len() as u64;
                    let ids: Vec<i64> = batch.rows.iter().map(|r| r.id).collect();
                    for child in spec.children() {
                        tx.execute(
                            "INSERT INTO sync_pending (entity, parent_id)
                             SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING",
                            &[&child.name, &ids],
                        )
                        .await?;
                    }
                    done = true;
                }
                // A row with one of these ids exists (an earlier run, a soft-deleted row):
                // back to the savepoint, and upsert through the staging table.
                Err(e) if e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION) => {
                    direct.rollback().await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        if !done && !batch.rows.is_empty() {
            copy_into(&tx, &format!("{stage} ({list})"), copy).await?;
            let counts = tx
                .query_one(
                    &format!(
                        "SELECT count(*) FILTER (WHERE t.id IS NULL OR t.deleted_at IS NOT NULL),
                                count(*) FILTER (WHERE t.id IS NOT NULL AND t.deleted_at IS NULL
                                    AND t.last_updated IS DISTINCT FROM s.last_updated),
                                count(*)
                         FROM {stage} s LEFT JOIN {table} t ON t.id = s.id"
                    ),
                    &[],
                )
                .await?;
            let (ins, upd, all): (i64, i64, i64) = (counts.get(0), counts.get(1), counts.get(2));
            outcome.inserted = ins as u64;
            outcome.updated = upd as u64;
            outcome.unchanged = (all - ins - upd) as u64;
            for child in spec.children() {
                tx.execute(
                    &format!(
                        "INSERT INTO sync_pending (entity, parent_id)
                         SELECT $1, s.id FROM {stage} s LEFT JOIN {table} t ON t.id = s.id
                         WHERE t.id IS NULL OR t.deleted_at IS NOT NULL
                            OR t.last_updated IS DISTINCT FROM s.last_updated
                            OR s.last_updated >= $2::text::timestamptz
                         ON CONFLICT DO NOTHING"
                    ),
                    &[&child.name, &batch.recent],
                )
                .await?;
            }
            let sets: Vec<String> = names
                .iter()
                .map(|n| format!("{n} = excluded.{n}"))
                .collect();
            tx.execute(
                &format!(
                    "INSERT INTO {table} ({list}) SELECT {list} FROM {stage}
                     ON CONFLICT (id) DO UPDATE SET {}, deleted_at = NULL,
                        synced_at = excluded.synced_at, data = excluded.data",
                    sets.join(", ")
                ),
                &[],
            )
            .await?;
        }
        if let (Some(parent), Some((_, column))) = (batch.replace_parent, spec.parent) {
            let column = ident(column);
            let sql = if self.soft_delete {
                format!(
                    "UPDATE {table} SET deleted_at = now() WHERE {column} = $1 AND deleted_at IS NULL
                     AND id NOT IN (SELECT id FROM {stage})"
                )
            } else {
                format!(
                    "DELETE FROM {table} WHERE {column} = $1 AND deleted_at IS NULL
                     AND id NOT IN (SELECT id FROM {stage})"
                )
            };
            outcome.deleted += tx.execute(&sql, &[&parent]).await?;
            tx.execute(
                "DELETE FROM sync_pending WHERE entity = $1 AND parent_id = $2",
                &[&spec.name, &parent],
            )
            .await?;
        }
        match &batch.cursor {
            Cursor::None => {}
            Cursor::Part {
                part,
                page_id,
                done,
            } => {
                tx.execute(
                    "UPDATE sync_parts SET page_id = $3, done = $4 WHERE entity = $1 AND part = $2",
                    &[&spec.name, part, page_id, done],
                )
                .await?;
            }
            Cursor::Since { since, since_id } => {
                tx.execute(
                    "UPDATE sync_state SET since = $2, since_id = $3 WHERE entity = $1",
                    &[&spec.name, since, since_id],
                )
                .await?;
            }
        }
        // Last: first-scan pages commit in parallel on several connections and queue on this
        // ledger row's lock, which is then held only until the commit, never while waiting
        // for another lock (no deadlock).
        add_delta(
            &tx,
            batch.run_id,
            spec.name,
            batch.rows.len() as u64,
            &outcome,
            batch.delta,
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    pub async fn seed_pending(&mut self, child: &'static EntitySpec) -> Result<(), SyncError> {
        let Some((parent, _)) = child.parent else {
            return Ok(());
        };
        let tx = self.client.transaction().await?;
        tx.execute(
            &format!(
                "INSERT INTO sync_pending (entity, parent_id)
                 SELECT $1, id FROM {} WHERE deleted_at IS NULL ON CONFLICT DO NOTHING",
                ident(parent)
            ),
            &[&child.name],
        )
        .await?;
        tx.execute(
            "INSERT INTO sync_state (entity, phase, full_started_at) VALUES ($1, 'incremental', $2)
             ON CONFLICT (entity) DO UPDATE SET phase = 'incremental'",
            &[&child.name, &crate::time::now()],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn pending_after(
        &mut self,
        child: &'static EntitySpec,
        after: i64,
        limit: usize,
    ) -> Result<Vec<i64>, SyncError> {
        Ok(self
            .client
            .query(
                "SELECT parent_id FROM sync_pending WHERE entity = $1 AND parent_id > $2
                 ORDER BY parent_id LIMIT $3",
                &[&child.name, &after, &(limit as i64)],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    pub async fn local_ids(&mut self, entity: &'static EntitySpec) -> Result<Vec<i64>, SyncError> {
        Ok(self
            .client
            .query(
                &format!(
                    "SELECT id FROM {} WHERE deleted_at IS NULL ORDER BY id",
                    ident(entity.name)
                ),
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect())
    }

    pub async fn last_updated_of(
        &mut self,
        entity: &'static EntitySpec,
        id: i64,
    ) -> Result<Option<Option<String>>, SyncError> {
        let row = self
            .client
            .query_opt(
                &format!(
                    "SELECT to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
                     FROM {} WHERE id = $1 AND deleted_at IS NULL",
                    ident(entity.name)
                ),
                &[&id],
            )
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn delete(
        &mut self,
        entity: &'static EntitySpec,
        ids: &[i64],
        run_id: i64,
    ) -> Result<u64, SyncError> {
        let soft = self.soft_delete;
        let tx = self.client.transaction().await?;
        let ids = ids.to_vec();
        let delete_where = |spec: &EntitySpec, column: &str| {
            if soft {
                format!(
                    "UPDATE {} SET deleted_at = now() WHERE {} = ANY($1) AND deleted_at IS NULL",
                    ident(spec.name),
                    ident(column)
                )
            } else {
                format!(
                    "DELETE FROM {} WHERE {} = ANY($1)",
                    ident(spec.name),
                    ident(column)
                )
            }
        };
        let deleted = tx.execute(&delete_where(entity, "id"), &[&ids]).await?;
        for child in entity.children() {
            // A child table exists once its entity has been synced here.
            let exists: bool = tx
                .query_one("SELECT to_regclass($1::text) IS NOT NULL", &[&child.name])
                .await?
                .get(0);
            if let (true, Some((_, column))) = (exists, child.parent) {
                tx.execute(&delete_where(child, column), &[&ids]).await?;
            }
            tx.execute(
                "DELETE FROM sync_pending WHERE entity = $1 AND parent_id = ANY($2)",
                &[&child.name, &ids],
            )
            .await?;
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
        )
        .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub async fn mark_delete_scan(&mut self, entity: &'static EntitySpec) -> Result<(), SyncError> {
        self.client
            .execute(
                "UPDATE sync_state SET last_delete_scan_at = $2 WHERE entity = $1",
                &[&entity.name, &crate::time::now()],
            )
            .await?;
        Ok(())
    }

    pub async fn begin_run(&mut self, mode: &str, entities: &str) -> Result<i64, SyncError> {
        let tx = self.client.transaction().await?;
        tx.execute(
            "UPDATE sync_runs SET status = 'interrupted' WHERE status = 'running'",
            &[],
        )
        .await?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO sync_runs (started_at, status, mode, entities) VALUES ($1, 'running', $2, $3) RETURNING id",
                &[&crate::time::now(), &mode, &entities],
            )
            .await?
            .get(0);
        tx.commit().await?;
        Ok(id)
    }

    pub async fn add_to_run(
        &mut self,
        run_id: i64,
        entity: &str,
        delta: RunDelta,
    ) -> Result<(), SyncError> {
        let tx = self.client.transaction().await?;
        add_delta(&tx, run_id, entity, 0, &Outcome::default(), delta).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn finish_run(
        &mut self,
        run_id: i64,
        status: &str,
        error: Option<&str>,
    ) -> Result<(), SyncError> {
        self.client
            .execute(
                "UPDATE sync_runs SET finished_at = $2, status = $3, error = $4 WHERE id = $1",
                &[&run_id, &crate::time::now(), &status, &error],
            )
            .await?;
        Ok(())
    }

    pub async fn status(
        &mut self,
        runs: usize,
    ) -> Result<(Vec<TableStatus>, Vec<RunRecord>), SyncError> {
        let has_meta: bool = self
            .client
            .query_one("SELECT to_regclass('sync_state') IS NOT NULL", &[])
            .await?
            .get(0);
        if !has_meta {
            return Err(SyncError::Options(
                "this database has not been synced into yet (no sync_state table)".into(),
            ));
        }
        let mut tables = Vec::new();
        for spec in &ENTITIES {
            let Some(state) = self
                .client
                .query_opt(
                    "SELECT phase, since, last_sync_at, full_completed_at, last_delete_scan_at
                     FROM sync_state WHERE entity = $1",
                    &[&spec.name],
                )
                .await?
            else {
                continue;
            };
            let counts = self
                .client
                .query_one(
                    &format!(
                        "SELECT count(*), count(deleted_at) FROM {}",
                        ident(spec.name)
                    ),
                    &[],
                )
                .await?;
            let (rows, soft): (i64, i64) = (counts.get(0), counts.get(1));
            let pending: i64 = self
                .client
                .query_one(
                    "SELECT count(*) FROM sync_pending WHERE entity = $1",
                    &[&spec.name],
                )
                .await?
                .get(0);
            tables.push(TableStatus {
                entity: spec.name.to_owned(),
                rows: (rows - soft) as u64,
                soft_deleted: soft as u64,
                phase: state.get(0),
                since: state.get(1),
                last_sync_at: state.get(2),
                full_completed_at: state.get(3),
                last_delete_scan_at: state.get(4),
                pending_parents: pending as u64,
            });
        }
        let mut list: Vec<RunRecord> = self
            .client
            .query(
                "SELECT id, started_at, finished_at, status, error FROM sync_runs ORDER BY id DESC LIMIT $1",
                &[&(runs as i64)],
            )
            .await?
            .iter()
            .map(|r| RunRecord {
                id: r.get(0),
                started_at: r.get(1),
                finished_at: r.get(2),
                status: r.get(3),
                error: r.get(4),
                entities: Vec::new(),
            })
            .collect();
        for run in &mut list {
            let mut entities: Vec<RunEntityRecord> = self
                .client
                .query(
                    "SELECT entity, fetched, inserted, updated, deleted, requests, rate_limited, errors
                     FROM sync_run_entities WHERE run_id = $1",
                    &[&run.id],
                )
                .await?
                .iter()
                .map(|r| RunEntityRecord {
                    entity: r.get(0),
                    fetched: r.get::<_, i64>(1) as u64,
                    inserted: r.get::<_, i64>(2) as u64,
                    updated: r.get::<_, i64>(3) as u64,
                    deleted: r.get::<_, i64>(4) as u64,
                    requests: r.get::<_, i64>(5) as u64,
                    rate_limited: r.get::<_, i64>(6) as u64,
                    errors: r.get::<_, i64>(7) as u64,
                })
                .collect();
            entities.sort_by_key(|e| ENTITIES.iter().position(|s| s.name == e.entity));
            run.entities = entities;
        }
        Ok((tables, list))
    }
}

async fn add_delta(
    tx: &tokio_postgres::Transaction<'_>,
    run_id: i64,
    entity: &str,
    fetched: u64,
    outcome: &Outcome,
    delta: RunDelta,
) -> Result<(), SyncError> {
    tx.execute(
        RUN_DELTA_SQL,
        &[
            &run_id,
            &entity,
            &(fetched as i64),
            &(outcome.inserted as i64),
            &(outcome.updated as i64),
            &(outcome.deleted as i64),
            &(delta.requests as i64),
            &(delta.rate_limited as i64),
            &(delta.errors as i64),
        ],
    )
    .await?;
    Ok(())
}

/// A page's rows as the binary payload of `COPY {table} (id, <columns>, deleted_at,
/// synced_at, data)`.
fn copy_rows(spec: &EntitySpec, rows: &[Row], synced_at: i64) -> Result<Bytes, SyncError> {
    let fields = u16::try_from(spec.columns.len() + 4)
        .map_err(|_| SyncError::Destination(format!("{}: too many columns", spec.name)))?;
    let mut copy = CopyRows::with_capacity(
        rows.iter()
            .map(|r| r.json.as_bytes().len() + 16 * usize::from(fields))
            .sum(),
    );
    for row in rows {
        copy.row(fields);
        copy.int8(row.id);
        copy_cells(&mut copy, spec, &row.cells)
            .and_then(|()| {
                copy.null();
                copy.timestamptz(synced_at)?;
                copy.jsonb(row.json.as_bytes())
            })
            .map_err(|why| {
                SyncError::Destination(format!(
                    "PostgreSQL: cannot write {} {}: {why}",
                    spec.name, row.id
                ))
            })?;
    }
    Ok(copy.finish())
}

/// A row's typed cells, each in its column's binary form.
fn copy_cells(copy: &mut CopyRows, spec: &EntitySpec, cells: &[Cell]) -> Result<(), String> {
    if cells.len() != spec.columns.len() {
        return Err(format!(
            "{} cells for {} columns",
            cells.len(),
            spec.columns.len()
        ));
    }
    for (column, cell) in spec.columns.iter().zip(cells) {
        match (column.kind, cell) {
            (_, Cell::Null) => copy.null(),
            (Kind::Int, Cell::Int(i)) => copy.int8(*i),
            (Kind::Real, Cell::Real(f)) => copy.float8(*f),
            (Kind::Bool, Cell::Bool(b)) => copy.bool(*b),
            (Kind::Text, Cell::Text(s)) => copy.text(s.as_bytes())?,
            (Kind::Time, Cell::Text(s)) => {
                let secs = crate::time::parse(s)
                    .ok_or_else(|| format!("{} is not a time: {s:?}", column.name))?;
                copy.timestamptz(secs)
                    .map_err(|why| format!("{}: {why}", column.name))?;
            }
            (kind, _) => {
                return Err(format!(
                    "{} ({kind:?}) holds a cell of another type",
                    column.name
                ));
            }
        }
    }
    Ok(())
}
