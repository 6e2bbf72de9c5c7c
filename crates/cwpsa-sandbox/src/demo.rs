//! Loading the seeded demo data into a new, empty store.

use std::collections::HashMap;

use serde_json::Value;

use crate::catalog::Catalog;
use crate::seed::{self, SeedConfig};
use crate::store::{Store, StoreError, Writer};

/// Seeds the store when it holds no records at all (a new in-memory database or a new
/// `--db` file); an existing file keeps its data across restarts.
pub(crate) fn load_if_empty(
    store: &Store,
    catalog: &Catalog,
    config: &SeedConfig,
) -> Result<bool, StoreError> {
    store.with_conn(|conn| {
        for table in catalog.tables() {
            let sql = format!(
                "SELECT EXISTS (SELECT 1 FROM {})",
                crate::store::quote(table.name)
            );
            let any: bool = conn.query_row(&sql, [], |r| r.get(0))?;
            if any {
                return Ok(false);
            }
        }
        let tx = conn.transaction()?;
        {
            let mut writers: HashMap<&'static str, Writer<'_>> = HashMap::new();
            seed::generate(config, &mut |entity: &'static str,
                                         record: Value|
             -> Result<(), StoreError> {
                let Some(table) = catalog.table(entity) else {
                    return Ok(());
                };
                let writer = match writers.entry(entity) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(Writer::new(&tx, table)?)
                    }
                };
                let id = record.get("id").and_then(Value::as_i64).unwrap_or_default();
                let parent = record.as_object().and_then(|r| table.parent_id_of(r));
                writer.put(id, parent, &record)
            })?;
        }
        tx.commit()?;
        Ok(true)
    })
}
