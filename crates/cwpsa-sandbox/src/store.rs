//! SQLite storage for the sandbox's records.
//!
//! Each entity has two tables: `"<entity>"` holds the id, the parent id (for child collections
//! such as ticket notes) and one typed column per *hot* field (top-level scalars, reference ids
//! and names, `_info` dates), and `"<entity>$body"` holds the record's JSON. Conditions,
//! ordering and counting run on the narrow hot table, so a scan over a million tickets never
//! reads their bodies; bodies are fetched by id only for the rows of the page being answered.
//!
//! Entities without tables of their own (every collection of the description that is not a
//! core entity) share one table, `records`, keyed by (entity, id) with the JSON and the parent
//! id; [`EntityTable::rows_sql`] and [`EntityTable::bodies_sql`] give either kind of storage
//! the same two shapes, so reads and the query builder do not care which it is.
//!
//! Column and table names come from the schema registry, never from a request; values from a
//! request are always bound parameters.

use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params_from_iter};
use serde_json::Value;

use crate::catalog::{ColumnKind, EntityTable, SHARED_TABLE, Storage};

/// Bumped whenever the table layout changes, so an old `--db` file is refused, not misread.
const LAYOUT_VERSION: i64 = 1;

/// The open/closed flag, which rides along in the indexes of tables that have it.
const CLOSED_FLAG: &str = "closedFlag";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database file was written by an incompatible sandbox (layout {found}, expected {expected}); use a new --db path"
    )]
    Layout { found: i64, expected: i64 },
    #[error("the storage worker stopped unexpectedly")]
    Worker,
}

/// A small pool of connections to one database: reads run in parallel, writes serialize in
/// SQLite itself (WAL for files, a rollback journal for the in-memory database).
pub struct Store {
    idle: Mutex<Vec<Connection>>,
    available: Condvar,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").finish_non_exhaustive()
    }
}

/// A page query already translated to SQL (see `crate::query`).
#[derive(Debug, Default)]
pub struct Selection {
    /// The `WHERE` clause (without the keyword), or empty for all rows.
    pub where_sql: String,
    /// Whether `where_sql` refers to the body table (`b.body`), which needs a join.
    pub needs_body: bool,
    pub params: Vec<SqlValue>,
    /// `ORDER BY` terms (without the keyword); the id tie-break is appended by the store.
    pub order_sql: String,
}

static MEMORY_DB_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl Store {
    /// Opens (creating if needed) a database file, or a private in-memory database when `path`
    /// is `None`, and makes sure every entity's tables and indexes exist. A store that holds no
    /// records yet is first filled by `populate` (the demo data), in bulk-load mode: no journal
    /// and indexes built after the load, which is several times faster than indexed inserts.
    pub fn open(
        path: Option<&Path>,
        tables: &[EntityTable],
        populate: impl FnOnce(&mut Connection) -> Result<(), StoreError>,
    ) -> Result<Store, StoreError> {
        const POOL_SIZE: usize = 4;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        // The memdb VFS gives several connections one shared in-memory database.
        let target = match path {
            Some(path) => path.to_string_lossy().into_owned(),
            None => {
                let n = MEMORY_DB_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                format!("file:/cwpsa-sandbox-{}-{n}?vfs=memdb", std::process::id())
            }
        };
        let open = || -> Result<Connection, StoreError> {
            let conn = Connection::open_with_flags(&target, flags)?;
            conn.busy_timeout(std::time::Duration::from_secs(30))?;
            conn.pragma_update(None, "cache_size", -64_000)?; // 64 MB per connection
            conn.pragma_update(None, "temp_store", "MEMORY")?;
            Ok(conn)
        };
        let mut first = open()?;
        // Bigger pages suit records of a few KB; only a new, empty file takes the setting.
        first.pragma_update(None, "page_size", 8192)?;
        create_tables(&first, tables)?;
        if is_empty(&first, tables)? {
            first.pragma_update(None, "journal_mode", "OFF")?;
            first.pragma_update(None, "synchronous", "OFF")?;
            first.pragma_update(None, "cache_size", -256_000)?; // 256 MB while loading
            populate(&mut first)?;
            first.pragma_update(None, "cache_size", -64_000)?;
        }
        // Let the sorter of CREATE INDEX use the second core.
        first.pragma_update(None, "threads", 2)?;
        create_indexes(&first, tables)?;
        if path.is_some() {
            first.pragma_update(None, "journal_mode", "WAL")?;
            first.pragma_update(None, "synchronous", "NORMAL")?;
        } else {
            first.pragma_update(None, "journal_mode", "MEMORY")?;
        }
        let mut connections = vec![first];
        for _ in 1..POOL_SIZE {
            let conn = open()?;
            if path.is_some() {
                conn.pragma_update(None, "synchronous", "NORMAL")?;
            }
            connections.push(conn);
        }
        Ok(Store {
            idle: Mutex::new(connections),
            available: Condvar::new(),
        })
    }

    /// Runs `f` with a connection from the pool (blocking: call from `spawn_blocking`).
    pub fn with_conn<T>(&self, f: impl FnOnce(&mut Connection) -> T) -> T {
        let mut conn = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            loop {
                if let Some(conn) = idle.pop() {
                    break conn;
                }
                idle = self
                    .available
                    .wait(idle)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        };
        let result = f(&mut conn);
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
        self.available.notify_one();
        result
    }
}

fn create_tables(conn: &Connection, tables: &[EntityTable]) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value)")?;
    let found: Option<i64> = conn
        .query_row(
            "SELECT value FROM sandbox_meta WHERE key = 'layout'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match found {
        Some(found) if found != LAYOUT_VERSION => {
            return Err(StoreError::Layout {
                found,
                expected: LAYOUT_VERSION,
            });
        }
        Some(_) => {}
        None => {
            conn.execute(
                "INSERT INTO sandbox_meta (key, value) VALUES ('layout', ?1)",
                [LAYOUT_VERSION],
            )?;
        }
    }
    conn.execute_batch(&format!(
        "CREATE TABLE IF NOT EXISTS {t} (entity TEXT NOT NULL, id INTEGER NOT NULL, \
         parent_id INTEGER, body TEXT NOT NULL, PRIMARY KEY (entity, id)) WITHOUT ROWID;\n\
         CREATE INDEX IF NOT EXISTS {i} ON {t} (entity, parent_id);",
        t = quote(SHARED_TABLE),
        i = quote(&format!("{SHARED_TABLE}$parent")),
    ))?;
    for table in hot_tables(tables) {
        let mut ddl = format!(
            "CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY, parent_id INTEGER",
            quote(table.name)
        );
        // The columns index keys read come first: SQLite reaches a column by walking the row's
        // header up to it, and each CREATE INDEX reads its key from every row (a ticket row has
        // over a hundred columns). Rows are always written and read by column name.
        let (keys, rest): (Vec<_>, Vec<_>) = table
            .columns
            .iter()
            .partition(|c| c.indexed || c.path == CLOSED_FLAG);
        for column in keys.into_iter().chain(rest) {
            ddl.push_str(&format!(
                ", {} {}",
                quote(&column.path),
                column.kind.sql_type()
            ));
        }
        ddl.push_str(");\n");
        ddl.push_str(&format!(
            "CREATE TABLE IF NOT EXISTS {} (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n",
            quote(&table.body_table())
        ));
        conn.execute_batch(&ddl)?;
    }
    Ok(())
}

/// Indexes on the parent id (of child collections: elsewhere it is always NULL) and on the hot
/// columns marked `indexed`.
fn create_indexes(conn: &Connection, tables: &[EntityTable]) -> Result<(), StoreError> {
    for table in hot_tables(tables) {
        let mut ddl = String::new();
        if table.parent.is_some() {
            ddl.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} (parent_id);\n",
                quote(&format!("{}$parent", table.name)),
                quote(table.name)
            ));
        }
        // Open/closed is part of almost every MSP query ("open tickets on board 3", "open P1s"),
        // so the flag rides along in each reference index: such queries are answered from the
        // index alone, and queries on the reference by itself use the index's first column.
        let flag = table
            .columns
            .iter()
            .find(|c| c.path == CLOSED_FLAG)
            .map(|c| quote(&c.path));
        for column in table.columns.iter().filter(|c| c.indexed) {
            let key = match (&flag, column.path.starts_with("_info/")) {
                (Some(flag), false) => format!("{}, {flag}", quote(&column.path)),
                _ => quote(&column.path),
            };
            ddl.push_str(&format!(
                "CREATE INDEX IF NOT EXISTS {} ON {} ({key});\n",
                quote(&format!("{}${}", table.name, column.path)),
                quote(table.name),
            ));
            // Priorities are ordered by urgency, so they are asked for by range ("open tickets
            // of priority 2 or more urgent"). A range on the first column of (priority, flag)
            // also reads every closed ticket in it; with the flag first, only the open ones.
            if let (Some(flag), "priority/id") = (&flag, column.path.as_str()) {
                ddl.push_str(&format!(
                    "CREATE INDEX IF NOT EXISTS {} ON {} ({flag}, {});\n",
                    quote(&format!("{}$open/{}", table.name, column.path)),
                    quote(table.name),
                    quote(&column.path),
                ));
            }
        }
        conn.execute_batch(&ddl)?;
    }
    Ok(())
}

/// The entities with tables of their own.
fn hot_tables(tables: &[EntityTable]) -> impl Iterator<Item = &EntityTable> {
    tables.iter().filter(|t| t.storage == Storage::Hot)
}

/// True when no core entity has a record yet: the demo data is loaded then.
fn is_empty(conn: &Connection, tables: &[EntityTable]) -> Result<bool, StoreError> {
    for table in hot_tables(tables) {
        let sql = format!("SELECT EXISTS (SELECT 1 FROM {})", quote(table.name));
        if conn.query_row(&sql, [], |r| r.get::<_, bool>(0))? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Quotes a trusted identifier (from the registry) for SQL.
pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The hot-column values of a record, in the table's column order.
fn hot_values(table: &EntityTable, record: &Value) -> Vec<SqlValue> {
    table
        .columns
        .iter()
        .map(|column| {
            let mut node = record;
            for segment in column.path.split('/') {
                match node.get(segment) {
                    Some(next) => node = next,
                    None => return SqlValue::Null,
                }
            }
            column.kind.to_sql(node)
        })
        .collect()
}

impl ColumnKind {
    pub(crate) fn sql_type(self) -> &'static str {
        match self {
            ColumnKind::Integer | ColumnKind::Bool => "INTEGER",
            ColumnKind::Real => "REAL",
            ColumnKind::Text | ColumnKind::DateTime => "TEXT",
        }
    }

    /// Converts a JSON value to the column's storage; a value of the wrong type is stored as
    /// NULL rather than failing the write (the record body keeps it as sent).
    fn to_sql(self, value: &Value) -> SqlValue {
        match (self, value) {
            (ColumnKind::Integer, Value::Number(n)) => n.as_i64().map_or_else(
                || n.as_f64().map_or(SqlValue::Null, SqlValue::Real),
                SqlValue::Integer,
            ),
            (ColumnKind::Real, Value::Number(n)) => {
                n.as_f64().map_or(SqlValue::Null, SqlValue::Real)
            }
            (ColumnKind::Bool, Value::Bool(b)) => SqlValue::Integer(i64::from(*b)),
            (ColumnKind::Text | ColumnKind::DateTime, Value::String(s)) => {
                SqlValue::Text(s.clone())
            }
            _ => SqlValue::Null,
        }
    }
}

/// Inserts or replaces records inside one open transaction (used by writes and by seeding).
pub struct Writer<'c> {
    hot: rusqlite::CachedStatement<'c>,
    body: rusqlite::CachedStatement<'c>,
    table: &'c EntityTable,
}

impl<'c> Writer<'c> {
    pub fn new(conn: &'c Connection, table: &'c EntityTable) -> Result<Writer<'c>, StoreError> {
        let placeholders: String = (0..table.columns.len())
            .map(|i| format!(", ?{}", i + 3))
            .collect();
        let columns: String = table
            .columns
            .iter()
            .map(|c| format!(", {}", quote(&c.path)))
            .collect();
        let hot = conn.prepare_cached(&format!(
            "INSERT OR REPLACE INTO {} (id, parent_id{columns}) VALUES (?1, ?2{placeholders})",
            quote(table.name)
        ))?;
        let body = conn.prepare_cached(&format!(
            "INSERT OR REPLACE INTO {} (id, body) VALUES (?1, ?2)",
            quote(&table.body_table())
        ))?;
        Ok(Writer { hot, body, table })
    }

    /// Writes `record` (which must carry its `id`) under `parent_id`.
    pub fn put(
        &mut self,
        id: i64,
        parent_id: Option<i64>,
        record: &Value,
    ) -> Result<(), StoreError> {
        self.put_row(&Row::new(self.table, id, parent_id, record))
    }

    /// Writes a row prepared (possibly on another thread) by [`Row::new`].
    pub fn put_row(&mut self, row: &Row) -> Result<(), StoreError> {
        // Most hot columns of a record are NULL (a ticket fills about a third of its hundred),
        // and a cleared parameter is NULL: binding only the others halves the cost of a row.
        // (Binding NULL only where the previous row had a value saves nothing: SQLite then
        // frees the old values one by one instead of all at once.)
        self.hot.clear_bindings();
        self.hot.raw_bind_parameter(1, row.id)?;
        if let Some(parent_id) = row.parent_id {
            self.hot.raw_bind_parameter(2, parent_id)?;
        }
        for (index, value) in row.hot.iter().enumerate() {
            if *value != SqlValue::Null {
                self.hot.raw_bind_parameter(index + 3, value)?;
            }
        }
        self.hot.raw_execute()?;
        self.body.execute(rusqlite::params![row.id, row.body])?;
        Ok(())
    }
}

/// Writes one record (which must carry its `id`) of any entity, in its storage.
pub(crate) fn put(
    conn: &Connection,
    table: &EntityTable,
    id: i64,
    parent_id: Option<i64>,
    record: &Value,
) -> Result<(), StoreError> {
    match table.storage {
        Storage::Hot => Writer::new(conn, table)?.put(id, parent_id, record),
        Storage::Shared(key) => {
            let sql = format!(
                "INSERT OR REPLACE INTO {} (entity, id, parent_id, body) VALUES (?1, ?2, ?3, ?4)",
                quote(SHARED_TABLE)
            );
            conn.prepare_cached(&sql)?.execute(rusqlite::params![
                key,
                id,
                parent_id,
                record.to_string()
            ])?;
            Ok(())
        }
    }
}

/// A record ready to write: its hot-column values extracted and its body serialised.
#[derive(Debug)]
pub struct Row {
    pub id: i64,
    pub parent_id: Option<i64>,
    hot: Vec<SqlValue>,
    body: String,
}

impl Row {
    pub fn new(table: &EntityTable, id: i64, parent_id: Option<i64>, record: &Value) -> Row {
        Row {
            id,
            parent_id,
            hot: hot_values(table, record),
            body: record.to_string(),
        }
    }

    /// The JSON text, given back (e.g. to reuse its buffer).
    pub fn into_body(self) -> String {
        self.body
    }

    /// A row from a record and its JSON text (`body`, which must be the record's), reading only
    /// the hot fields (and the parent id) from the record: the fast path for bulk loads, which
    /// neither parses the text again nor builds a `Value` tree.
    pub fn from_record<T: serde::Serialize + ?Sized>(
        table: &EntityTable,
        id: i64,
        record: &T,
        body: String,
    ) -> Row {
        let (hot, mut parent_id) = crate::hot::capture(table, record);
        // When the parent's id is itself a hot column, the capture filled that column.
        if let (None, Some(link)) = (parent_id, &table.parent) {
            let path = if link.by_reference {
                format!("{}/id", link.field)
            } else {
                link.field.clone()
            };
            if let Some(SqlValue::Integer(p)) = table
                .columns
                .iter()
                .position(|c| c.path == path)
                .map(|i| &hot[i])
            {
                parent_id = Some(*p);
            }
        }
        Row {
            id,
            parent_id,
            hot,
            body,
        }
    }
}

/// Reads and deletes on one connection.
pub(crate) fn get_body(
    conn: &Connection,
    table: &EntityTable,
    id: i64,
    parent_id: Option<i64>,
) -> Result<Option<String>, StoreError> {
    let sql = format!(
        "SELECT b.body FROM {} t JOIN {} b ON b.id = t.id WHERE t.id = ?1 AND (?2 IS NULL OR t.parent_id = ?2)",
        table.rows_sql(),
        table.bodies_sql()
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(rusqlite::params![id, parent_id], |r| r.get(0))
        .optional()?)
}

pub(crate) fn delete(conn: &Connection, table: &EntityTable, id: i64) -> Result<bool, StoreError> {
    if let Storage::Shared(key) = table.storage {
        let sql = format!(
            "DELETE FROM {} WHERE entity = ?1 AND id = ?2",
            quote(SHARED_TABLE)
        );
        return Ok(conn.execute(&sql, rusqlite::params![key, id])? > 0);
    }
    let removed = conn.execute(
        &format!("DELETE FROM {} WHERE id = ?1", quote(table.name)),
        [id],
    )?;
    conn.execute(
        &format!("DELETE FROM {} WHERE id = ?1", quote(&table.body_table())),
        [id],
    )?;
    Ok(removed > 0)
}

/// Deletes the children of a parent record (e.g. a deleted ticket's notes).
pub(crate) fn delete_children(
    conn: &Connection,
    table: &EntityTable,
    parent_id: i64,
) -> Result<(), StoreError> {
    if let Storage::Shared(key) = table.storage {
        let sql = format!(
            "DELETE FROM {} WHERE entity = ?1 AND parent_id = ?2",
            quote(SHARED_TABLE)
        );
        conn.execute(&sql, rusqlite::params![key, parent_id])?;
        return Ok(());
    }
    conn.execute(
        &format!(
            "DELETE FROM {b} WHERE id IN (SELECT id FROM {t} WHERE parent_id = ?1)",
            b = quote(&table.body_table()),
            t = quote(table.name)
        ),
        [parent_id],
    )?;
    conn.execute(
        &format!("DELETE FROM {} WHERE parent_id = ?1", quote(table.name)),
        [parent_id],
    )?;
    Ok(())
}

pub(crate) fn next_id(conn: &Connection, table: &EntityTable) -> Result<i64, StoreError> {
    let max: Option<i64> = conn.query_row(
        &format!("SELECT max(id) FROM {}", table.rows_sql()),
        [],
        |r| r.get(0),
    )?;
    Ok(max.map_or(1, |m| m + 1))
}

fn from_clause(table: &EntityTable, selection: &Selection) -> String {
    if selection.needs_body {
        format!(
            "{} t JOIN {} b ON b.id = t.id",
            table.rows_sql(),
            table.bodies_sql()
        )
    } else {
        format!("{} t", table.rows_sql())
    }
}

fn where_clause(selection: &Selection) -> String {
    if selection.where_sql.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", selection.where_sql)
    }
}

pub(crate) fn count(
    conn: &Connection,
    table: &EntityTable,
    selection: &Selection,
) -> Result<i64, StoreError> {
    let sql = format!(
        "SELECT count(*) FROM {}{}",
        from_clause(table, selection),
        where_clause(selection)
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row(params_from_iter(selection.params.iter()), |r| r.get(0))?)
}

/// The bodies of one page, in order: the ids are chosen on the narrow table (walking it in the
/// page's order), then each body is fetched by primary key, so skipped rows never cost a body
/// read.
pub(crate) fn page(
    conn: &Connection,
    table: &EntityTable,
    selection: &Selection,
    limit: i64,
    offset: i64,
) -> Result<Vec<(i64, String)>, StoreError> {
    let order = if selection.order_sql.is_empty() {
        "t.id".to_owned()
    } else {
        format!("{}, t.id", selection.order_sql)
    };
    let sql = format!(
        "SELECT t.id FROM {}{} ORDER BY {order} LIMIT ? OFFSET ?",
        from_clause(table, selection),
        where_clause(selection)
    );
    let mut statement = conn.prepare_cached(&sql)?;
    let bounds = [SqlValue::Integer(limit), SqlValue::Integer(offset)];
    let ids: Vec<i64> = statement
        .query_map(
            params_from_iter(selection.params.iter().chain(bounds.iter())),
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    bodies(conn, table, ids)
}

/// One page (as [`page`]) and the number of matching rows, for page-numbered pagination; call
/// it inside a transaction so that both come from one snapshot.
///
/// Walking the table in id order stops after `offset + limit` matches, which is cheap when most
/// rows match; when few do, it visits about `(offset + limit) * rows / matches` rows. Reading
/// the matching ids through the condition's index and sorting them costs a few times the number
/// of matches instead, and counts them on the way. So, for a page in id order, the ids are
/// collected first, up to the number of matches at which walking becomes the cheaper way; only
/// past that are the rows counted and walked.
pub(crate) fn page_and_total(
    conn: &Connection,
    table: &EntityTable,
    selection: &Selection,
    limit: i64,
    offset: i64,
) -> Result<(Vec<(i64, String)>, i64), StoreError> {
    if selection.order_sql.is_empty() && !selection.where_sql.is_empty() {
        let rows = approximate_rows(conn, table)?;
        // Collecting beats walking while (offset + limit) * rows > 3 * matches^2.
        let cap = (offset.saturating_add(limit).saturating_mul(rows) / 3).isqrt();
        // No ORDER BY: SQLite then reads the rows through the index that serves the condition.
        let sql = format!(
            "SELECT t.id FROM {}{} LIMIT ?",
            from_clause(table, selection),
            where_clause(selection)
        );
        let mut statement = conn.prepare_cached(&sql)?;
        let bound = [SqlValue::Integer(cap.saturating_add(1))];
        let mut ids: Vec<i64> = statement
            .query_map(
                params_from_iter(selection.params.iter().chain(bound.iter())),
                |r| r.get(0),
            )?
            .collect::<Result<_, _>>()?;
        if ids.len() as i64 <= cap {
            let total = ids.len() as i64;
            ids.sort_unstable();
            let start = usize::try_from(offset).unwrap_or(usize::MAX).min(ids.len());
            let end = start
                .saturating_add(usize::try_from(limit).unwrap_or(0))
                .min(ids.len());
            return Ok((bodies(conn, table, ids[start..end].to_vec())?, total));
        }
    }
    let total = count(conn, table, selection)?;
    Ok((page(conn, table, selection, limit, offset)?, total))
}

/// The bodies of `ids`, in that order (a record deleted meanwhile is left out).
fn bodies(
    conn: &Connection,
    table: &EntityTable,
    ids: Vec<i64>,
) -> Result<Vec<(i64, String)>, StoreError> {
    let mut body_stmt = conn.prepare_cached(&format!(
        "SELECT body FROM {} WHERE id = ?1",
        table.bodies_sql()
    ))?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(body) = body_stmt
            .query_row([id], |r| r.get::<_, String>(0))
            .optional()?
        {
            rows.push((id, body));
        }
    }
    Ok(rows)
}

/// The span of ids, a cheap stand-in for the row count (ids are nearly dense).
fn approximate_rows(conn: &Connection, table: &EntityTable) -> Result<i64, StoreError> {
    // Two subqueries: SQLite answers a lone min() or max() from the end of the rowid tree, but
    // an expression over both in one SELECT scans the whole table.
    let sql = format!(
        "SELECT coalesce((SELECT max(id) FROM {t}) - (SELECT min(id) FROM {t}) + 1, 0)",
        t = table.rows_sql()
    );
    Ok(conn.prepare_cached(&sql)?.query_row([], |r| r.get(0))?)
}

/// The parent id of a child record (a note's ticket).
pub(crate) fn parent_id(
    conn: &Connection,
    table: &EntityTable,
    id: i64,
) -> Result<Option<i64>, StoreError> {
    let sql = format!("SELECT parent_id FROM {} WHERE id = ?1", table.rows_sql());
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], |r| r.get(0))
        .optional()?
        .flatten())
}

/// Every id with its parent id, in id order (for the admin API's generated mutations).
pub(crate) fn ids_with_parents(
    conn: &Connection,
    table: &EntityTable,
) -> Result<Vec<(i64, Option<i64>)>, StoreError> {
    let sql = format!("SELECT id, parent_id FROM {} ORDER BY id", table.rows_sql());
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Removes every record of every table (for a reset).
pub(crate) fn clear(conn: &mut Connection, tables: &[EntityTable]) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute(&format!("DELETE FROM {}", quote(SHARED_TABLE)), [])?;
    for table in hot_tables(tables) {
        tx.execute(&format!("DELETE FROM {}", quote(table.name)), [])?;
        tx.execute(&format!("DELETE FROM {}", quote(&table.body_table())), [])?;
    }
    tx.commit()?;
    Ok(())
}

/// Every body of a (small) table, e.g. the registered callbacks.
pub(crate) fn all_bodies(
    conn: &Connection,
    table: &EntityTable,
) -> Result<Vec<String>, StoreError> {
    let sql = format!("SELECT body FROM {} ORDER BY id", table.bodies_sql());
    let mut statement = conn.prepare_cached(&sql)?;
    let rows = statement.query_map([], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::seed::{self, SeedConfig};

    /// The bulk-load fast path must store exactly what the general path stores, for every
    /// kind of seeded record: the typed ones (tickets, notes, time entries) and the `Value`s.
    #[test]
    fn rows_from_seed_records_equal_rows_from_values() {
        let catalog = Catalog::load();
        let config = SeedConfig::for_tickets(3, 60);
        let mut checked = std::collections::BTreeMap::new();
        let mut mismatches = Vec::new();
        let result = seed::generate_json::<serde_json::Error>(&config, &mut |entity, record| {
            let Some(table) = catalog.table(entity) else {
                return Ok(());
            };
            let value: Value = serde_json::from_str(record.json)?;
            let parent = value.as_object().and_then(|r| table.parent_id_of(r));
            let slow = Row::new(table, record.id, parent, &value);
            let fast = Row::from_record(table, record.id, &record, record.json.to_owned());
            if (slow.parent_id, &slow.hot, &slow.body) != (fast.parent_id, &fast.hot, &fast.body) {
                mismatches.push(format!(
                    "{entity} {}: {:?} != {:?}",
                    record.id, slow.hot, fast.hot
                ));
            }
            *checked.entry(entity).or_insert(0) += 1;
            Ok(())
        });
        assert!(result.is_ok());
        assert_eq!(mismatches, Vec::<String>::new());
        assert!(checked.len() >= 10, "{checked:?}");
    }

    /// A writer binds only a row's values: a column set by one row and absent from the next
    /// must be stored as NULL, not as the earlier value.
    #[test]
    fn a_writer_stores_each_row_as_given() {
        let catalog = Catalog::load();
        let table = catalog
            .table("ticket_notes")
            .expect("notes are in the catalog");
        let conn = Connection::open_in_memory().expect("an in-memory database opens");
        create_tables(&conn, catalog.tables()).expect("tables are created");
        let records = [
            serde_json::json!({"id": 1, "ticketId": 7, "text": "a", "member": {"id": 3, "name": "M"}}),
            serde_json::json!({"id": 2}),
            serde_json::json!({"id": 3, "text": "c", "internalFlag": true}),
            serde_json::json!({"id": 4, "ticketId": 9, "member": {"id": 5}}),
        ];
        let mut writer = Writer::new(&conn, table).expect("a writer is prepared");
        for record in &records {
            let id = record["id"].as_i64().unwrap_or_default();
            let parent = record.as_object().and_then(|r| table.parent_id_of(r));
            writer.put(id, parent, record).expect("the row is written");
        }
        drop(writer);
        let columns: Vec<String> = table.columns.iter().map(|c| quote(&c.path)).collect();
        let sql = format!(
            "SELECT parent_id, {} FROM {} WHERE id = ?1",
            columns.join(", "),
            quote(table.name)
        );
        for record in &records {
            let stored: Vec<SqlValue> = conn
                .query_row(&sql, [record["id"].as_i64()], |r| {
                    (0..=columns.len()).map(|i| r.get(i)).collect()
                })
                .expect("the row is read back");
            let parent = record.as_object().and_then(|r| table.parent_id_of(r));
            let mut expected = vec![parent.map_or(SqlValue::Null, SqlValue::Integer)];
            expected.extend(hot_values(table, record));
            assert_eq!(stored, expected, "{record}");
        }
    }

    fn same_row<T: serde::Serialize>(table: &EntityTable, record: &T) {
        let value = serde_json::to_value(record).unwrap_or_default();
        let parent = value.as_object().and_then(|r| table.parent_id_of(r));
        let slow = Row::new(table, 1, parent, &value);
        let fast = Row::from_record(table, 1, record, value.to_string());
        assert_eq!(
            (slow.parent_id, &slow.hot),
            (fast.parent_id, &fast.hot),
            "{value}"
        );
    }

    // Typed records: fields out of name order, options, enums, odd numbers.
    #[derive(serde::Serialize)]
    enum Kind {
        Plain,
        Wrapped(i64),
        Pair(i64, i64),
        Named { id: i64, name: &'static str },
    }
    #[derive(serde::Serialize)]
    struct Reference {
        name: Option<&'static str>,
        id: i128,
    }
    #[derive(serde::Serialize)]
    #[allow(non_snake_case)]
    struct Ticket {
        summary: char,
        closedFlag: bool,
        budgetHours: f32,
        actualHours: f64,
        company: Reference,
        board: Option<Reference>,
        status: Kind,
        priority: Kind,
        owner: Kind,
        severity: Kind,
        r#type: [u8; 2],
        id: u8,
    }

    // A map with the same key twice: the last value counts, as in a `Value`.
    struct Twice;
    impl serde::Serialize for Twice {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(None)?;
            map.serialize_entry("board", &serde_json::json!({"id": 1, "name": "A"}))?;
            map.serialize_entry("summary", "first")?;
            map.serialize_entry("board", &serde_json::json!({"name": "B"}))?;
            map.serialize_entry("summary", &5)?;
            map.end()
        }
    }

    /// Wrong types, odd numbers, nested non-objects and repeated keys convert as the general
    /// path converts them.
    #[test]
    fn rows_from_odd_values_equal_rows_from_values() {
        let catalog = Catalog::load();
        let table = |name| {
            catalog
                .table(name)
                .unwrap_or_else(|| panic!("no table {name}"))
        };
        let cases = [
            (
                "tickets",
                r#"{"zip": 12, "summary": 5, "closedFlag": "yes", "budgetHours": 3,
                "actualHours": 18446744073709551615, "company": null, "board": [1, {"id": 2}],
                "status": {"name": ["x"], "id": 1.5}, "id": 7,
                "priority": {"name": "P1", "id": 2, "extra": {"a": [1]}},
                "_info": {"lastUpdated": "2024-01-01T00:00:00Z", "dateEntered": false},
                "zzz": {"nested": [1, {"a": 2}]}, "aaa": 1, "owner": 5,
                "contact": {"id": -3, "name": "A \"B\""}, "approved": null,
                "requiredDate": {"x": 1}, "severity": "Medium", "isInSla": true}"#,
            ),
            (
                "ticket_notes",
                r#"{"ticketId": 18446744073709551615, "id": 1, "text": "x", "internalFlag": 1}"#,
            ),
            ("ticket_notes", r#"{"ticketId": "5", "id": 2}"#),
            ("ticket_notes", r#"{"ticketId": 5.0, "id": 2}"#),
            (
                "ticket_notes",
                r#"{"ticketId": -5, "id": 3, "member": {"id": 4}}"#,
            ),
            (
                "board_statuses",
                r#"{"board": {"id": 3, "name": "B"}, "id": 4}"#,
            ),
            ("board_statuses", r#"{"board": 3, "id": 4}"#),
            ("tickets", "[1, 2]"),
            ("tickets", "null"),
        ];
        for (entity, text) in cases {
            let record: Value = serde_json::from_str(text).unwrap_or_default();
            same_row(table(entity), &record);
        }

        let kind = |i: usize| match i % 4 {
            0 => Kind::Plain,
            1 => Kind::Wrapped(3),
            2 => Kind::Pair(1, 2),
            _ => Kind::Named { id: 4, name: "n" },
        };
        for (i, actual) in [f64::NAN, f64::INFINITY, -0.0, 2.5].into_iter().enumerate() {
            let ticket = Ticket {
                summary: 'é',
                closedFlag: true,
                budgetHours: 1.5,
                actualHours: actual,
                company: Reference {
                    name: None,
                    id: i128::from(u64::MAX),
                },
                board: Some(Reference {
                    name: Some("B"),
                    id: -1,
                }),
                status: kind(i),
                priority: kind(i + 1),
                owner: kind(i + 2),
                severity: kind(i + 3),
                r#type: [1, 2],
                id: 9,
            };
            same_row(table("tickets"), &ticket);
            same_row(table("board_statuses"), &ticket);
        }
        let mut repeated = serde_json::Map::new();
        repeated.insert("id".into(), 1.into());
        same_row(table("tickets"), &repeated);
        same_row(table("tickets"), &Twice);
        same_row(table("board_statuses"), &Twice);
    }
}
