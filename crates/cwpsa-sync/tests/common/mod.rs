//! An in-process sandbox, a client config for it, and snapshots of the server and of a
//! destination to compare record by record.
#![allow(dead_code, clippy::missing_panics_doc, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use cwpsa::{Client, Config, Query, RateLimit, RetryPolicy};
use cwpsa_sandbox::faults::Faults;
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};
use cwpsa_sync::entities::ENTITIES;
use cwpsa_sync::{Destination, SyncOptions};
use futures_util::TryStreamExt;
use serde_json::Value;

/// entity → id → record.
pub type Snapshot = BTreeMap<String, BTreeMap<i64, Value>>;

/// A small sandbox (tests stay fast): `tickets` tickets, the other counts scaled down.
pub async fn sandbox(tickets: usize) -> Sandbox {
    sandbox_with(tickets, Faults::default()).await
}

pub async fn sandbox_with(tickets: usize, faults: Faults) -> Sandbox {
    let mut seed = SeedConfig::for_tickets(7, tickets);
    seed.companies = 30;
    seed.contacts = 60;
    seed.projects = 20;
    seed.time_entries = tickets / 2;
    Sandbox::start(SandboxConfig {
        seed,
        rate_limit: RateLimitSetting::Off,
        faults,
        callback_retry_scale: 0.01,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts")
}

pub fn config(sandbox: &Sandbox) -> Config {
    Config::builder()
        .company_id("sandbox")
        .public_key("sandbox-public")
        .private_key("sandbox-private")
        .client_id("00000000-0000-4000-8000-000000000000")
        .base_url(sandbox.base_url())
        .rate_limit(RateLimit::Off)
        .retry(RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(50),
            max_elapsed: Duration::from_secs(30),
        })
        .build()
        .unwrap()
}

/// A fresh SQLite file in the target directory's temp area (`target/tmp`).
pub fn temp_db(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("cwpsa-sync-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.db"));
    for suffix in ["", "-wal", "-shm", ".sync-lock"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

pub fn options(destination: Destination) -> SyncOptions {
    let mut o = SyncOptions::new(destination);
    // Tests decide when deletion scans run.
    o.delete_scan_every = None;
    o
}

pub fn admin_url(sandbox: &Sandbox, path: &str) -> String {
    let origin = sandbox.base_url().split("/v4_6_release").next().unwrap();
    format!("{origin}/_sandbox/{path}")
}

pub async fn admin_post(sandbox: &Sandbox, path: &str, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .post(admin_url(sandbox, path))
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, 200, "POST /_sandbox/{path} {body}: {text}");
    serde_json::from_str(&text).unwrap()
}

pub async fn admin_put(sandbox: &Sandbox, path: &str, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .put(admin_url(sandbox, path))
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "PUT /_sandbox/{path}");
    r.json().await.unwrap()
}

/// API requests the sandbox has answered so far.
pub async fn requests_served(sandbox: &Sandbox) -> u64 {
    let stats: Value = reqwest::get(admin_url(sandbox, "stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    stats["requests"].as_u64().unwrap()
}

/// Every record of every entity, read straight from the sandbox.
pub async fn server_snapshot(sandbox: &Sandbox) -> Snapshot {
    let client = Client::new(config(sandbox)).unwrap();
    let mut out = Snapshot::new();
    for spec in &ENTITIES {
        let mut records = BTreeMap::new();
        if let Some((parent, _)) = spec.parent {
            let parents: Vec<i64> = out[parent].keys().copied().collect();
            for p in parents {
                let path = spec.path.replace("{parentId}", &p.to_string());
                let list: Vec<Value> = client
                    .list(&path, &Query::new())
                    .try_collect()
                    .await
                    .unwrap();
                for r in list {
                    records.insert(r["id"].as_i64().unwrap(), r);
                }
            }
        } else {
            let list: Vec<Value> = client
                .list(spec.path, &Query::new())
                .try_collect()
                .await
                .unwrap();
            for r in list {
                records.insert(r["id"].as_i64().unwrap(), r);
            }
        }
        out.insert(spec.name.to_owned(), records);
    }
    out
}

/// Every live row of every entity table of a SQLite destination.
/// The id of the newest run in the destination's ledger, 0 before the first (or while the
/// file or its tables do not exist yet).
pub fn latest_run_id(db: &std::path::Path) -> i64 {
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY;
    let Ok(conn) = rusqlite::Connection::open_with_flags(db, flags) else {
        return 0;
    };
    conn.busy_timeout(Duration::from_millis(200)).ok();
    conn.query_row("SELECT coalesce(max(id), 0) FROM sync_runs", [], |row| {
        row.get(0)
    })
    .unwrap_or(0)
}

/// The status of the newest run in the destination's ledger (`running` for one whose process
/// died before it ended).
pub fn latest_run_status(db: &std::path::Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(5)).unwrap();
    conn.query_row(
        "SELECT status FROM sync_runs ORDER BY id DESC LIMIT 1",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

/// The report indexes every synced table should have: `<table>_<column>` for each indexed
/// column of each entity.
pub fn expected_indexes() -> std::collections::BTreeSet<String> {
    ENTITIES
        .iter()
        .flat_map(|e| {
            e.columns
                .iter()
                .filter(|c| c.indexed)
                .map(move |c| format!("{}_{}", e.name, c.name))
        })
        .collect()
}

/// The indexes of a SQLite destination, without SQLite's own.
pub fn sqlite_indexes(db: &std::path::Path) -> std::collections::BTreeSet<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

pub fn sqlite_snapshot(path: &std::path::Path) -> Snapshot {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = Snapshot::new();
    for spec in &ENTITIES {
        let exists: bool = conn
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [spec.name],
                |r| r.get(0),
            )
            .unwrap();
        if !exists {
            continue;
        }
        let mut stmt = conn
            .prepare(&format!(
                "SELECT id, data FROM {} WHERE deleted_at IS NULL",
                spec.name
            ))
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
            .unwrap()
            .map(|r| {
                let (id, data) = r.unwrap();
                (id, serde_json::from_str(&data).unwrap())
            })
            .collect();
        out.insert(spec.name.to_owned(), rows);
    }
    out
}

/// Asserts two snapshots hold the same records, naming the first differences.
pub fn assert_same(server: &Snapshot, mirror: &Snapshot) {
    let mut problems = Vec::new();
    for (entity, records) in server {
        let empty = BTreeMap::new();
        let local = mirror.get(entity).unwrap_or(&empty);
        for (id, record) in records {
            match local.get(id) {
                None => problems.push(format!("{entity} {id} missing")),
                Some(r) if r != record => problems.push(format!("{entity} {id} differs")),
                Some(_) => {}
            }
        }
        for id in local.keys().filter(|id| !records.contains_key(id)) {
            problems.push(format!("{entity} {id} should be gone"));
        }
    }
    let total: usize = server.values().map(BTreeMap::len).sum();
    assert!(
        problems.is_empty(),
        "{} differences over {total} records, first: {:?}",
        problems.len(),
        &problems[..problems.len().min(10)]
    );
    assert!(total > 0);
}
