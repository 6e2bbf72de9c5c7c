//! Loading the seeded demo data into a new, empty store.
//!
//! Generation (building and serialising records) and SQLite inserts each take about half the
//! time, so they run on two threads: the generator hands batches of ready rows to the writer.

use std::sync::mpsc;

use rusqlite::Connection;

use crate::catalog::Catalog;
use crate::seed::{self, SeedConfig};
use crate::store::{Row, StoreError, Writer};

/// Rows per hand-over between the threads: large enough that the channel costs nothing.
const BATCH: usize = 512;

type Batch = Vec<(usize, Row)>;

/// Writes the demo data for `config` into `conn` in one transaction.
pub(crate) fn populate(
    conn: &mut Connection,
    catalog: &Catalog,
    config: &SeedConfig,
) -> Result<(), StoreError> {
    let (sender, receiver) = mpsc::sync_channel::<Batch>(16);
    std::thread::scope(|scope| {
        let producer = std::thread::Builder::new()
            .name("seed-generator".into())
            .spawn_scoped(scope, move || produce(catalog, config, &sender))
            .map_err(|_| StoreError::Worker)?;
        let written = consume(conn, catalog, &receiver);
        // Dropping the receiver first makes a still-running producer stop at its next send.
        drop(receiver);
        producer.join().map_err(|_| StoreError::Worker)?;
        written
    })
}

/// Generates records and turns them into rows, in batches; stops early when the writer has
/// stopped (the writer's error is the one reported).
fn produce(catalog: &Catalog, config: &SeedConfig, sender: &mpsc::SyncSender<Batch>) {
    struct Stopped;
    impl From<serde_json::Error> for Stopped {
        fn from(_: serde_json::Error) -> Stopped {
            Stopped
        }
    }
    let mut batch: Batch = Vec::with_capacity(BATCH);
    let result = seed::generate_json::<Stopped>(config, &mut |entity, record| {
        let Some(index) = catalog.tables().iter().position(|t| t.name == entity) else {
            return Ok(());
        };
        let table = &catalog.tables()[index];
        batch.push((
            index,
            Row::from_record(table, record.id, &record, record.json.to_owned()),
        ));
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            sender.send(full).map_err(|_| Stopped)?;
        }
        Ok(())
    });
    if result.is_ok() && !batch.is_empty() {
        let _ = sender.send(batch);
    }
}

fn consume(
    conn: &mut Connection,
    catalog: &Catalog,
    receiver: &mpsc::Receiver<Batch>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    {
        let mut writers: Vec<Option<Writer<'_>>> = catalog.tables().iter().map(|_| None).collect();
        for batch in receiver {
            for (index, row) in batch {
                let writer = match &mut writers[index] {
                    Some(writer) => writer,
                    slot @ None => slot.insert(Writer::new(&tx, &catalog.tables()[index])?),
                };
                writer.put_row(&row)?;
            }
        }
    }
    tx.commit()?;
    Ok(())
}
