//! The sync engine against the in-process sandbox, into SQLite.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::*;
use cwpsa_sync::{Destination, SyncError};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_sync_equals_the_sandbox_record_for_record() {
    let sandbox = sandbox(300).await;
    let db = temp_db("first");
    let summary = cwpsa_sync::run(config(&sandbox), &options(Destination::Sqlite(db.clone())))
        .await
        .unwrap();
    assert!(summary.is_ok(), "{summary}");
    let server = server_snapshot(&sandbox).await;
    assert_same(&server, &sqlite_snapshot(&db));
    for e in &summary.entities {
        assert_eq!(e.fetched, server[&e.entity].len() as u64, "{summary}");
        assert_eq!(e.inserted, e.fetched, "{summary}");
    }
    // The report indexes, deferred during the first scan, are all there at its end.
    assert_eq!(sqlite_indexes(&db), expected_indexes());
    // Typed columns agree with the records they come from.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mismatched: i64 = conn
        .query_row(
            "SELECT count(*) FROM tickets WHERE company_id IS NOT json_extract(data, '$.company.id')
                OR status_name IS NOT json_extract(data, '$.status.name')
                OR closed_flag IS NOT json_extract(data, '$.closedFlag')
                OR last_updated IS NOT json_extract(data, '$._info.lastUpdated')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(mismatched, 0);
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM ticket_notes n LEFT JOIN tickets t ON t.id = n.ticket_id WHERE t.id IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    // The ledger has the run, with the requests the sandbox counted.
    let (status, requests): (String, i64) = conn
        .query_row(
            "SELECT r.status, sum(e.requests) FROM sync_runs r JOIN sync_run_entities e ON e.run_id = r.id
             WHERE r.id = ?1 GROUP BY r.id",
            [summary.run_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(status, "ok");
    assert_eq!(requests as u64, summary.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_scan_asks_for_no_page_past_an_id_range_it_has_read() {
    // Ids 1..=20,000: two ranges, 1..=10,000 and 10,001 upwards, of ten full pages each.
    let sandbox = sandbox(20_000).await;
    let db = temp_db("ranges");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.entities = vec!["tickets".into()];
    let before = requests_served(&sandbox).await;
    let summary = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    let used = requests_served(&sandbox).await - before;
    assert!(summary.is_ok(), "{summary}");
    assert_eq!(summary.entities[0].fetched, 20_000, "{summary}");
    // Two to plan (newest change, highest id), ten pages per range, and one empty page past
    // the open-ended last range; none past the first range's bound.
    assert_eq!(used, 2 + 10 + 11, "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_that_fits_in_one_page_costs_one_request_to_mirror() {
    let sandbox = sandbox(300).await;
    let db = temp_db("one-page");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.entities = vec!["members".into(), "boards".into(), "tickets".into()];
    let before = requests_served(&sandbox).await;
    let summary = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    let used = requests_served(&sandbox).await - before;
    assert!(summary.is_ok(), "{summary}");
    for e in &summary.entities {
        assert_eq!(e.requests, 1, "{summary}");
        assert!(e.fetched > 0, "{summary}");
    }
    assert_eq!(used, 3, "{summary}");
    let server = server_snapshot(&sandbox).await;
    let mirror = sqlite_snapshot(&db);
    for entity in ["members", "boards", "tickets"] {
        assert_eq!(mirror[entity], server[entity], "{entity}");
    }
    // Complete: the next run is incremental, and a change made now is picked up.
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "insert": 0, "update": 3, "delete": 0}),
    )
    .await;
    let next = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(next.is_ok(), "{next}");
    assert!(
        next.entities.iter().all(|e| e.mode == "incremental"),
        "{next}"
    );
    assert_eq!(next.entities[2].updated, 3, "{next}");
    assert_eq!(
        sqlite_snapshot(&db)["tickets"],
        server_snapshot(&sandbox).await["tickets"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_scan_over_rows_already_there_updates_them_in_place() {
    let sandbox = sandbox(300).await;
    let db = temp_db("rescan");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.entities = vec!["tickets".into()];
    let first = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(first.is_ok(), "{first}");
    // Forget the cursor (a first scan starts over), leave one row stale and one soft-deleted.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (stale, gone): (i64, i64) = conn
        .query_row("SELECT min(id), max(id) FROM tickets", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    conn.execute_batch(&format!(
        "DELETE FROM sync_state WHERE entity = 'tickets';
         UPDATE tickets SET data = '{{}}', last_updated = '2001-01-01T00:00:00Z' WHERE id = {stale};
         UPDATE tickets SET deleted_at = '2001-01-01T00:00:00Z' WHERE id = {gone};"
    ))
    .unwrap();
    drop(conn);
    let again = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(again.is_ok(), "{again}");
    let t = &again.entities[0];
    assert_eq!(t.mode, "full", "{again}");
    assert_eq!((t.inserted, t.updated, t.unchanged), (1, 1, 298), "{again}");
    let server = server_snapshot(&sandbox).await;
    let mirror = sqlite_snapshot(&db);
    assert_eq!(mirror["tickets"], server["tickets"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incremental_after_a_burst_converges_with_requests_proportional_to_changes() {
    let sandbox = sandbox(400).await;
    let db = temp_db("incremental");
    let mut opts = options(Destination::Sqlite(db.clone()));
    // No overlap re-read: the request count below is then exact.
    opts.overlap = Duration::ZERO;
    let first = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(first.is_ok(), "{first}");
    let unchanged = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    // Nothing changed: one request per top-level entity (re-reading the watermark's second),
    // none for notes.
    assert_eq!(unchanged.requests(), 8, "{unchanged}");
    let changes: u64 = unchanged
        .entities
        .iter()
        .map(|e| e.inserted + e.updated + e.deleted)
        .sum();
    assert_eq!(changes, 0, "{unchanged}");

    // Children and referring records first: a record referring to a deleted one cannot be
    // updated.
    let before_burst = server_snapshot(&sandbox).await;
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "time_entries", "insert": 5, "update": 5, "delete": 3}),
    )
    .await;
    let notes = admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "ticket_notes", "insert": 10, "update": 10, "delete": 5}),
    )
    .await;
    let burst = admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "insert": 25, "update": 40, "delete": 15}),
    )
    .await;
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "companies", "insert": 2, "update": 5, "delete": 1}),
    )
    .await;
    let server = server_snapshot(&sandbox).await;
    let mut changed_tickets = std::collections::BTreeSet::new();
    for key in ["inserted", "updated"] {
        changed_tickets.extend(
            burst[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_i64().unwrap()),
        );
    }
    for key in ["inserted", "updated", "deleted"] {
        for n in notes[key].as_array().unwrap() {
            let id = n.as_i64().unwrap();
            let note = server["ticket_notes"]
                .get(&id)
                .or_else(|| before_burst["ticket_notes"].get(&id))
                .unwrap();
            changed_tickets.insert(note["ticketId"].as_i64().unwrap());
        }
    }

    let before = requests_served(&sandbox).await;
    let inc = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    let used = requests_served(&sandbox).await - before;
    assert!(inc.is_ok(), "{inc}");
    assert_eq!(
        used,
        inc.requests(),
        "the ledger counts what the server served"
    );
    // One page per top-level entity, plus one per ticket that changed (its notes).
    let bound = 8 + changed_tickets.len() as u64;
    assert!(used <= bound, "{used} requests > {bound}\n{inc}");
    assert!(used < 100, "O(changes), not O(table): {used}");
    let mirror = sqlite_snapshot(&db);
    for entity in ["tickets", "companies", "time_entries", "ticket_notes"] {
        for (id, record) in &server[entity] {
            assert_eq!(mirror[entity].get(id), Some(record), "{entity} {id}");
        }
    }

    // Deletions need the id scan: one request per 1000 ids per entity.
    opts.delete_scan_every = Some(Duration::ZERO);
    let before = requests_served(&sandbox).await;
    let scan = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    let used = requests_served(&sandbox).await - before;
    assert!(scan.is_ok(), "{scan}");
    assert_eq!(used, 16, "{scan}");
    let deleted: u64 = scan.entities.iter().map(|e| e.deleted).sum();
    assert_eq!(deleted, 15 + 1 + 3, "{scan}");
    assert_same(&server_snapshot(&sandbox).await, &sqlite_snapshot(&db));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_percent_server_errors_still_converge_exactly() {
    let sandbox = sandbox(200).await;
    admin_put(
        &sandbox,
        "faults",
        &json!({"fail_rate": 0.05, "reset_rate": 0.01}),
    )
    .await;
    let db = temp_db("faults");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.delete_scan_every = Some(Duration::ZERO);
    let first = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(first.is_ok(), "{first}");
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "insert": 10, "update": 10, "delete": 5}),
    )
    .await;
    let second = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(second.is_ok(), "{second}");
    admin_put(
        &sandbox,
        "faults",
        &json!({"fail_rate": 0.0, "reset_rate": 0.0}),
    )
    .await;
    let stats: serde_json::Value = reqwest::get(admin_url(&sandbox, "stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let errors: u64 = ["500", "502", "503"]
        .iter()
        .filter_map(|s| stats["by_status"][s].as_u64())
        .sum();
    assert!(errors > 0, "faults were injected: {stats}");
    assert_same(&server_snapshot(&sandbox).await, &sqlite_snapshot(&db));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mass_delete_guard_refuses_a_partial_read() {
    let sandbox = sandbox(200).await;
    let db = temp_db("guard");
    let mut opts = options(Destination::Sqlite(db.clone()));
    cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    // The server now lists 70% of the tickets: to the sync, exactly what a partial read is.
    let ids: Vec<i64> = server_snapshot(&sandbox).await["tickets"]
        .keys()
        .copied()
        .collect();
    let gone: Vec<i64> = ids.iter().copied().step_by(3).collect();
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "delete_ids": gone}),
    )
    .await;
    opts.delete_scan_every = Some(Duration::ZERO);
    let refused = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(!refused.is_ok());
    let tickets = refused
        .entities
        .iter()
        .find(|e| e.entity == "tickets")
        .unwrap();
    let error = tickets.error.clone().unwrap();
    assert!(
        error.contains("refusing") && error.contains(&format!("would remove {}", gone.len())),
        "{error}"
    );
    assert_eq!(tickets.deleted, 0);
    assert_eq!(
        sqlite_snapshot(&db)["tickets"].len(),
        ids.len(),
        "nothing was deleted"
    );
    // The other entities still synced.
    assert!(
        refused
            .entities
            .iter()
            .filter(|e| e.entity != "tickets")
            .all(|e| e.error.is_none()),
        "{refused}"
    );
    let status = cwpsa_sync::status(&Destination::Sqlite(db.clone()), 1)
        .await
        .unwrap();
    assert_eq!(status.runs[0].status, "failed");
    // Told that the deletions are real, it applies them.
    opts.max_delete_fraction = 0.4;
    let applied = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(applied.is_ok(), "{applied}");
    assert_same(&server_snapshot(&sandbox).await, &sqlite_snapshot(&db));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soft_delete_marks_rows_and_status_reports_them() {
    let sandbox = sandbox(100).await;
    let db = temp_db("soft");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.soft_delete = true;
    opts.delete_scan_every = Some(Duration::ZERO);
    cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    let burst = admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "delete": 3}),
    )
    .await;
    let summary = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(summary.is_ok(), "{summary}");
    let conn = rusqlite::Connection::open(&db).unwrap();
    for id in burst["deleted"].as_array().unwrap() {
        let (marked, notes_left, notes_marked): (bool, i64, i64) = conn
            .query_row(
                "SELECT t.deleted_at IS NOT NULL, (SELECT count(*) FROM ticket_notes WHERE ticket_id = t.id),
                        (SELECT count(deleted_at) FROM ticket_notes WHERE ticket_id = t.id)
                 FROM tickets t WHERE t.id = ?1",
                [id.as_i64().unwrap()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert!(marked, "ticket {id} marked, not removed");
        assert_eq!(notes_left, notes_marked, "its notes are marked too");
    }
    // Live rows equal the server.
    assert_same(&server_snapshot(&sandbox).await, &sqlite_snapshot(&db));
    let status = cwpsa_sync::status(&Destination::Sqlite(db.clone()), 5)
        .await
        .unwrap();
    let tickets = status
        .tables
        .iter()
        .find(|t| t.entity == "tickets")
        .unwrap();
    assert_eq!(tickets.soft_deleted, 3);
    assert_eq!(status.runs.len(), 2);
    let text = status.to_string();
    assert!(text.contains("tickets") && text.contains("#2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_into_the_same_file_is_refused_while_the_first_runs() {
    let sandbox = sandbox(100).await;
    admin_put(&sandbox, "faults", &json!({"latency_ms": 30})).await;
    let db = temp_db("lock");
    let opts = options(Destination::Sqlite(db.clone()));
    let first = tokio::spawn({
        let (config, opts) = (config(&sandbox), opts.clone());
        async move { cwpsa_sync::run(config, &opts).await }
    });
    // The lock is taken before the run is written to the ledger.
    while latest_run_id(&db) == 0 {
        assert!(
            !first.is_finished(),
            "the first run ended before it was seen"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let second = cwpsa_sync::run(config(&sandbox), &opts).await;
    assert!(matches!(second, Err(SyncError::Locked(_))), "{second:?}");
    let first = first.await.unwrap().unwrap();
    assert!(first.is_ok(), "{first}");
    // Released when the first ends.
    assert!(
        cwpsa_sync::run(config(&sandbox), &opts)
            .await
            .unwrap()
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_added_by_a_newer_version_is_created_and_filled() {
    let sandbox = sandbox(50).await;
    let db = temp_db("migrate");
    let opts = options(Destination::Sqlite(db.clone()));
    cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(
            "DROP INDEX tickets_company_id; ALTER TABLE tickets DROP COLUMN company_id",
        )
        .unwrap();
    }
    cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (filled, total): (i64, i64) = conn
        .query_row(
            "SELECT count(*) FILTER (WHERE company_id = json_extract(data, '$.company.id')), count(*) FROM tickets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(filled, total);
    let versions: i64 = conn
        .query_row("SELECT max(version) FROM sync_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, 1);
}

#[tokio::test]
async fn bad_options_are_explained() {
    let sandbox = sandbox(20).await;
    let mut opts = options(Destination::Sqlite(temp_db("bad")));
    opts.entities = vec!["ticket_notes".into()];
    let err = cwpsa_sync::run(config(&sandbox), &opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("add tickets"), "{err}");
    opts.entities = vec![];
    opts.max_delete_fraction = 2.0;
    let err = cwpsa_sync::run(config(&sandbox), &opts)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("--max-delete-fraction"), "{err}");
    let err = cwpsa_sync::status(&Destination::Sqlite(temp_db("never")), 3)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_scan_of_a_parent_synced_without_its_children_works() {
    let sandbox = sandbox(60).await;
    let db = temp_db("parent_only");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.entities = vec!["tickets".into()];
    cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    admin_post(
        &sandbox,
        "mutate",
        &json!({"entity": "tickets", "delete": 2}),
    )
    .await;
    opts.delete_scan_every = Some(Duration::ZERO);
    let summary = cwpsa_sync::run(config(&sandbox), &opts).await.unwrap();
    assert!(summary.is_ok(), "{summary}");
    assert_eq!(summary.entities[0].deleted, 2, "{summary}");
    assert_eq!(
        sqlite_snapshot(&db)["tickets"],
        server_snapshot(&sandbox).await["tickets"]
    );
}
