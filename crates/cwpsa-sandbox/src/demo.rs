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
    // Written batches go back to the generator, which frees (and reuses) what it allocated:
    // memory freed by another thread takes a lock on the arena it came from, and the writer is
    // the slower of the two threads.
    let (recycle, recycled) = mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        let producer = std::thread::Builder::new()
            .name("seed-generator".into())
            .spawn_scoped(scope, move || produce(catalog, config, &sender, &recycled))
            .map_err(|_| StoreError::Worker)?;
        let written = consume(conn, catalog, &receiver, &recycle);
        // Dropping the receiver first makes a still-running producer stop at its next send.
        drop(receiver);
        producer.join().map_err(|_| StoreError::Worker)?;
        written
    })
}

/// Generates records and turns them into rows, in batches; stops early when the writer has
/// stopped (the writer's error is the one reported).
fn produce(
    catalog: &Catalog,
    config: &SeedConfig,
    sender: &mpsc::SyncSender<Batch>,
    recycled: &mpsc::Receiver<Batch>,
) {
    struct Stopped;
    impl From<serde_json::Error> for Stopped {
        fn from(_: serde_json::Error) -> Stopped {
            Stopped
        }
    }
    // Bodies of written rows, whose buffers take the next records' text.
    let mut spare: Vec<String> = Vec::new();
    let mut batch: Batch = Vec::with_capacity(BATCH);
    let result = seed::generate_json::<Stopped>(config, &mut |entity, record| {
        let Some(index) = catalog.tables().iter().position(|t| t.name == entity) else {
            return Ok(());
        };
        let table = &catalog.tables()[index];
        if spare.is_empty()
            && let Ok(mut done) = recycled.try_recv()
        {
            spare.extend(done.drain(..).map(|(_, row)| row.into_body()));
        }
        let body = match spare.pop() {
            Some(mut body) => {
                body.clear();
                body.push_str(record.json);
                body
            }
            None => record.json.to_owned(),
        };
        batch.push((index, Row::from_record(table, record.id, &record, body)));
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
    recycle: &mpsc::Sender<Batch>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    {
        let mut writers: Vec<Option<Writer<'_>>> = catalog.tables().iter().map(|_| None).collect();
        for batch in receiver {
            for (index, row) in &batch {
                let writer = match &mut writers[*index] {
                    Some(writer) => writer,
                    slot @ None => slot.insert(Writer::new(&tx, &catalog.tables()[*index])?),
                };
                writer.put_row(row)?;
            }
            // Once the generator has finished, the batch is simply dropped here.
            let _ = recycle.send(batch);
        }
    }
    tx.commit()?;
    Ok(())
}
