//! The sync engine into PostgreSQL. Needs `CW_TEST_POSTGRES_URL` (`.ci/run` starts a server
//! and sets it); without it each test says that it skips. Every test works in a schema of
//! its own, dropped at the end.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use cwpsa_sync::entities::ENTITIES;
use cwpsa_sync::{Destination, SyncError};
use serde_json::json;

fn url() -> Option<String> {
    let url = std::env::var("CW_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    if url.is_none() {
        eprintln!(
            "SKIPPED: CW_TEST_POSTGRES_URL is not set, so the PostgreSQL tests do not run (bash .ci/run starts a server and sets it)"
        );
    }
    url
}

struct Schema {
    url: String,
    name: String,
}

impl Schema {
    fn new(url: &str, test: &str) -> Schema {
        Schema {
            url: url.to_owned(),
            name: format!("cwsync_{test}_{}", std::process::id()),
        }
    }

    /// Whether some session holds the sync's advisory lock on this schema.
    async fn sync_lock_held(&self) -> bool {
        self.sync_lock_holders().await > 0
    }

    /// How many sessions hold the sync's advisory lock (the main connection and the part
    /// writers each hold it, shared). An advisory lock on a bigint key shows in `pg_locks`
    /// as its high and low 32 bits.
    async fn sync_lock_holders(&self) -> i64 {
        let key = format!("cwpsa-sync:{}", self.name);
        self.client()
            .await
            .query_one(
                "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND classid::bigint = (hashtext($1)::bigint >> 32) & 4294967295 \
                 AND objid::bigint = hashtext($1)::bigint & 4294967295",
                &[&key],
            )
            .await
            .unwrap()
            .get(0)
    }

    fn destination(&self) -> Destination {
        Destination::Postgres {
            url: self.url.clone(),
            schema: Some(self.name.clone()),
        }
    }

    async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = tokio_postgres::connect(&self.url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        client
            .batch_execute(&format!("SET search_path TO \"{}\"", self.name))
            .await
            .unwrap();
        client
    }

    async fn snapshot(&self) -> Snapshot {
        let client = self.client().await;
        let mut out = Snapshot::new();
        for spec in &ENTITIES {
            let exists: bool = client
                .query_one("SELECT to_regclass($1::text) IS NOT NULL", &[&spec.name])
                .await
                .unwrap()
                .get(0);
            if !exists {
                continue;
            }
            let rows = client
                .query(
                    &format!(
                        "SELECT id, data::text FROM {} WHERE deleted_at IS NULL",
                        spec.name
                    ),
                    &[],
                )
                .await
                .unwrap();
            let map: BTreeMap<i64, serde_json::Value> = rows
                .iter()
                .map(|r| (r.get(0), serde_json::from_str(r.get::<_, &str>(1)).unwrap()))
                .collect();
            out.insert(spec.name.to_owned(), map);
        }
        out
    }

    async fn drop(self) {
        let client = self.client().await;
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name))
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_then_a_burst_converge_exactly_in_postgres() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url, "burst");
    let sandbox = sandbox(300).await;
    let mut opts = options(schema.destination());
    let first = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(first.is_ok(), "{first}");
    assert_same(&server_snapshot(&sandbox).await, &schema.snapshot().await);
    let client = schema.client().await;
    let mismatched: i64 = client
        .query_one(
            "SELECT count(*) FROM tickets WHERE company_id IS DISTINCT FROM (data #>> '{company,id}')::bigint
                OR status_name IS DISTINCT FROM data #>> '{status,name}'
                OR last_updated IS DISTINCT FROM (data #>> '{_info,lastUpdated}')::timestamptz",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(mismatched, 0);
    let indexes: std::collections::BTreeSet<String> = client
        .query(
            "SELECT indexname::text FROM pg_indexes WHERE schemaname = current_schema()
             AND indexname NOT LIKE '%_pkey'",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(indexes, expected_indexes());
    // A first scan over rows already there (its state lost) cannot copy straight into the
    // table: it falls back to the upsert and changes nothing. Time entries (ids from 50,000)
    // are scanned in several parts, so on the part writers' connections too.
    client
        .execute(
            "DELETE FROM sync_state WHERE entity IN ('tickets', 'time_entries')",
            &[],
        )
        .await
        .unwrap();
    let mut rescanned = opts.clone();
    rescanned.entities = vec!["tickets".into(), "time_entries".into()];
    let rescan = cwpsa_sync::run(config(&sandbox), &rescanned).await.unwrap();
    for entity in &rescan.entities {
        assert_eq!(entity.mode, "full", "{rescan}");
        assert!(entity.fetched > 0, "{rescan}");
        assert_eq!(
            (entity.inserted, entity.unchanged),
            (0, entity.fetched),
            "{rescan}"
        );
    }
    assert_same(&server_snapshot(&sandbox).await, &schema.snapshot().await);

    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "ticket_notes", "insert": 5, "update": 5, "delete": 3}),
    )
    .await;
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "insert": 20, "update": 30, "delete": 10}),
    )
    .await;
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "contacts", "insert": 3, "update": 3, "delete": 2}),
    )
    .await;
    opts.delete_scan_every = Some(Duration::ZERO);
    let second = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(second.is_ok(), "{second}");
    assert!(second.requests() < 100, "{second}");
    assert_same(&server_snapshot(&sandbox).await, &schema.snapshot().await);
    let runs: i64 = client
        .query_one("SELECT count(*) FROM sync_runs WHERE status = 'ok'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(runs, 3, "the first sync, the rescan and the second sync");
    let status = cwpsa_sync::status(&schema.destination(), 5).await.unwrap();
    assert_eq!(status.tables.len(), ENTITIES.len());
    assert!(
        !status.to_string().contains(&url),
        "the URL (with its password) is never printed"
    );
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_delete_guard_and_lock_in_postgres() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url, "guard");
    let sandbox = sandbox(150).await;
    let mut opts = options(schema.destination());
    opts.soft_delete = true;
    opts.entities = vec!["companies".into(), "tickets".into(), "ticket_notes".into()];
    cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    // A second sync while the first holds the advisory lock is refused.
    // Slow responses keep the first run (four requests or more, one after another) holding
    // the lock for well over half a second after it is seen taken.
    admin_put(&sandbox, "faults", &json!({"latency_ms": 200})).await;
    let running = tokio::spawn({
        let (config, opts) = (config(&sandbox), opts.clone());
        async move { cwpsa_sync::run(config, &opts).await }
    });
    while !schema.sync_lock_held().await {
        assert!(
            !running.is_finished(),
            "the first run ended before its lock was seen"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Its part writers hold the lock too, so that the lock outlives a lost main connection
    // for as long as any of them can still write.
    while schema.sync_lock_holders().await < 2 {
        assert!(
            !running.is_finished(),
            "the first run ended before its part writers were seen holding the lock"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let refused = cwpsa_sync::run(config(&sandbox), &opts).await;
    assert!(matches!(refused, Err(SyncError::Locked(_))), "{refused:?}");
    assert!(running.await.unwrap().unwrap().is_ok());
    admin_put(&sandbox, "faults", &json!({"latency_ms": 0})).await;

    let ids: Vec<i64> = server_snapshot(&sandbox).await["tickets"]
        .keys()
        .copied()
        .collect();
    let gone: Vec<i64> = ids.iter().copied().step_by(4).collect();
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "delete_ids": gone}),
    )
    .await;
    opts.delete_scan_every = Some(Duration::ZERO);
    let guarded = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(!guarded.is_ok(), "{guarded}");
    opts.max_delete_fraction = 0.5;
    let applied = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(applied.is_ok(), "{applied}");
    let client = schema.client().await;
    let marked: i64 = client
        .query_one(
            "SELECT count(*) FROM tickets WHERE deleted_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(marked as usize, gone.len());
    let mirror = schema.snapshot().await;
    let server = server_snapshot(&sandbox).await;
    for entity in ["companies", "tickets", "ticket_notes"] {
        assert_eq!(mirror[entity], server[entity], "{entity}");
    }
    schema.drop().await;
}

/// Values that need care on the way into PostgreSQL's binary COPY: text with a tab, a
/// newline, a backslash, quotes and NUL (which `text` cannot hold), a record with `\u0000`
/// (which `jsonb` cannot hold), and times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_values_arrive_intact_in_postgres() {
    let Some(url) = url() else { return };
    let schema = Schema::new(&url, "awkward");
    let sandbox = sandbox(20).await;
    let api = cwpsa::Client::new(config(&sandbox)).unwrap();
    let company = server_snapshot(&sandbox).await["companies"]
        .keys()
        .copied()
        .next()
        .unwrap();
    let summary = "tab\there, new\nline, back\\slash \"quoted\" nul\u{0} é ✓";
    let created: serde_json::Value = api
        .create(
            "service/tickets",
            &json!({"summary": summary, "company": {"id": company}}),
        )
        .await
        .unwrap();
    let id = created["id"].as_i64().unwrap();
    let mut opts = options(schema.destination());
    opts.entities = vec!["tickets".into()];
    let run = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(run.is_ok(), "{run}");
    let row = schema
        .client()
        .await
        .query_one(
            "SELECT summary, data ->> 'summary', company_id, synced_at > now() - interval '1 hour',
                to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
             FROM tickets WHERE id = $1",
            &[&id],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), summary.replace('\0', ""));
    assert_eq!(row.get::<_, String>(1), summary.replace('\0', "\u{fffd}"));
    assert_eq!(row.get::<_, i64>(2), company);
    assert!(row.get::<_, bool>(3), "synced_at is now");
    assert_eq!(
        row.get::<_, Option<String>>(4).as_deref(),
        created["_info"]["lastUpdated"].as_str()
    );
    schema.drop().await;
}

#[tokio::test]
async fn a_wrong_password_is_reported_without_the_password() {
    let Some(url) = url() else { return };
    let Some((head, rest)) = url.split_once('@') else {
        return;
    };
    let user = head
        .rsplit_once("//")
        .map_or(head, |(_, u)| u)
        .split(':')
        .next()
        .unwrap_or("x");
    let scheme = head.split("//").next().unwrap_or("postgres:");
    let bad = format!("{scheme}//{user}:wrong-Pa55word@{rest}");
    let sandbox = sandbox(10).await;
    let err = cwpsa_sync::run(
        config(&sandbox),
        &options(Destination::parse(&bad).unwrap()),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(!err.contains("wrong-Pa55word"), "{err}");
    assert!(err.contains("cannot connect"), "{err}");
}
