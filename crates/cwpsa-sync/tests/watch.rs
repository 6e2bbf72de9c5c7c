//! Watch mode against the sandbox's real callback deliveries.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use cwpsa::{Client, PatchOps, Query};
use cwpsa_sync::{Destination, WatchOptions};
use futures_util::TryStreamExt;
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn callbacks(client: &Client) -> Vec<Value> {
    client
        .list("system/callbacks", &Query::new())
        .try_collect()
        .await
        .unwrap()
}

/// Polls `check` until it holds, for at most `limit`; returns how long it took.
async fn within(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check() {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

fn summary_of(db: &std::path::Path, id: i64) -> Option<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT summary FROM tickets WHERE id = ?1", [id], |r| {
        r.get(0)
    })
    .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_applies_callbacks_within_a_second_and_cleans_up() {
    let sandbox = sandbox(100).await;
    let client = Client::new(config(&sandbox)).unwrap();
    let db = temp_db("watch");
    let mut opts = options(Destination::Sqlite(db.clone()));
    opts.entities = vec!["companies".into(), "tickets".into(), "ticket_notes".into()];
    let port = free_port();
    let watch = WatchOptions {
        public_url: format!("http://127.0.0.1:{port}/cw-callbacks"),
        listen: format!("127.0.0.1:{port}").parse().unwrap(),
        interval: Duration::from_millis(700),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn({
        let (config, opts, watch) = (config(&sandbox), opts.clone(), watch.clone());
        async move {
            cwpsa_sync::watch(config, &opts, &watch, async {
                let _ = stopped.await;
            })
            .await
        }
    });
    // Registered once the first pass is done: one callback per entity type that has them.
    let start = Instant::now();
    while callbacks(&client).await.len() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "callbacks registered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let registered = callbacks(&client).await;
    assert!(
        registered
            .iter()
            .all(|c| c["url"] == watch.public_url.as_str()),
        "{registered:?}"
    );

    let tickets: Vec<Value> = client
        .list("service/tickets", &Query::new().page_size(5))
        .try_collect()
        .await
        .unwrap();
    let id = tickets[0]["id"].as_i64().unwrap();
    let _: Value = client
        .patch(
            &format!("service/tickets/{id}"),
            &PatchOps::new().replace("summary", "changed by a callback test"),
        )
        .await
        .unwrap();
    let took = within(Duration::from_secs(1), || {
        summary_of(&db, id).as_deref() == Some("changed by a callback test")
    })
    .await;
    assert!(
        took.is_some(),
        "the update reached the database within a second"
    );
    eprintln!("update applied after {took:?}");

    let gone = tickets[1]["id"].as_i64().unwrap();
    client
        .delete(&format!("service/tickets/{gone}"))
        .await
        .unwrap();
    let took = within(Duration::from_secs(1), || summary_of(&db, gone).is_none()).await;
    assert!(
        took.is_some(),
        "the deletion reached the database within a second"
    );

    // A forged callback is refused.
    let forged = reqwest::Client::new()
        .post(&watch.public_url)
        .header("x-content-signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
        .body(r#"{"Action":"deleted","Type":"ticket","ID":1,"Metadata":{"key_url":"http://127.0.0.1:1/key"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    // Notes have no callbacks: the safety-net pass brings a new one (its ticket is stamped).
    let note: Value = client
        .create(
            &format!("service/tickets/{id}/notes"),
            &serde_json::json!({"text": "net", "detailDescriptionFlag": true}),
        )
        .await
        .unwrap();
    let note_id = note["id"].as_i64().unwrap();
    let took = within(Duration::from_secs(5), || {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.query_row(
            "SELECT count(*) FROM ticket_notes WHERE id = ?1",
            [note_id],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
            == 1
    })
    .await;
    assert!(took.is_some(), "the safety net picked up the note");

    stop.send(()).unwrap();
    let summary = running.await.unwrap().unwrap();
    assert!(summary.first.is_ok(), "{}", summary.first);
    assert!(summary.callbacks_applied >= 2, "{summary:?}");
    assert!(summary.callbacks_rejected >= 1, "{summary:?}");
    assert!(summary.passes >= 1, "{summary:?}");
    assert!(
        callbacks(&client).await.is_empty(),
        "callbacks removed on exit"
    );
    let server = server_snapshot(&sandbox).await;
    let mirror = sqlite_snapshot(&db);
    for entity in ["companies", "tickets", "ticket_notes"] {
        assert_eq!(mirror[entity], server[entity], "{entity}");
    }
}
