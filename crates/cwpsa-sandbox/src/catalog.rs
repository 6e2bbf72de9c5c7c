//! The sandbox's view of the schema registry: for each entity, its route, its storage, and
//! how field paths of a request map onto it. Core entities have tables of their own with hot
//! columns; every other collection of the description shares one table of JSON records.

use std::collections::HashMap;

use cwpsa_core::conditions::FieldPath;
use cwpsa_core::schema::{Entity, FieldInfo, FieldType, Schema, registry};

use crate::project::FieldTree;

/// The SQLite storage class of a hot column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Integer,
    Real,
    /// 0 or 1, as SQLite's JSON functions return booleans.
    Bool,
    Text,
    /// ISO-8601 text, which sorts chronologically.
    DateTime,
}

impl ColumnKind {
    fn of(ty: &FieldType) -> Option<ColumnKind> {
        match ty {
            FieldType::Integer => Some(ColumnKind::Integer),
            FieldType::Number => Some(ColumnKind::Real),
            FieldType::Boolean => Some(ColumnKind::Bool),
            FieldType::DateTime => Some(ColumnKind::DateTime),
            FieldType::String { .. } | FieldType::Enum(_) => Some(ColumnKind::Text),
            _ => None,
        }
    }
}

/// A field stored in its own column of the entity's narrow table.
#[derive(Debug, Clone)]
pub struct Column {
    /// The canonical field path, also the column's name (`company/id`).
    pub path: String,
    pub kind: ColumnKind,
    pub indexed: bool,
}

/// Where an entity's records live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// Tables of its own: `"<name>"` with hot columns, `"<name>$body"` with the JSON.
    Hot,
    /// Rows of the shared [`SHARED_TABLE`] under this key: the entity's name, or for an info
    /// view the name of the collection whose records it shows.
    Shared(&'static str),
}

/// The table holding the records of every entity without tables of its own, keyed by
/// (entity, id).
pub const SHARED_TABLE: &str = "records";

/// How a child collection's records point at their parent.
#[derive(Debug, Clone)]
pub struct ParentLink {
    /// The parent entity (`tickets`).
    pub entity: &'static str,
    /// The field of the child holding the parent's id: an integer (`ticketId`) or a
    /// reference (`board`).
    pub field: String,
    pub by_reference: bool,
}

/// One entity as the sandbox stores and serves it.
#[derive(Debug)]
pub struct EntityTable {
    pub name: &'static str,
    pub storage: Storage,
    /// For an info view, the fields of its schema: its records are its collection's, cut
    /// down to these.
    pub projection: Option<FieldTree>,
    /// The name used in messages (`Ticket 12 not found`).
    pub resource: String,
    /// The route relative to `apis/3.0/` (`service/tickets/{parentId}/notes`).
    pub path: &'static str,
    pub parent: Option<ParentLink>,
    pub columns: Vec<Column>,
    /// Where each hot field sits in a record, for reading rows straight from JSON text.
    pub hot_layout: HotLayout,
    /// Whether `POST <path>/search` exists (service and project tickets).
    pub searchable: bool,
    pub entity: &'static Entity,
}

/// A field path of a request, resolved against an entity.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The canonical segments (`["status", "name"]`).
    pub segments: Vec<String>,
    /// How many leading segments reach the first list, for paths through a list.
    pub array_len: Option<usize>,
    /// The hot column holding the field, if it has one.
    pub column: Option<String>,
    pub kind: Option<ColumnKind>,
}

impl Resolved {
    fn from_info(info: &FieldInfo, table: &EntityTable) -> Resolved {
        let segments: Vec<String> = info.path.split('/').map(str::to_owned).collect();
        let array_len = info.array.as_ref().map(|a| a.split('/').count());
        let column = if info.path == "id" {
            Some("id".to_owned())
        } else if array_len.is_none() {
            table
                .columns
                .iter()
                .find(|c| c.path == info.path)
                .map(|c| c.path.clone())
        } else {
            None
        };
        Resolved {
            segments,
            array_len,
            column,
            kind: ColumnKind::of(&info.ty),
        }
    }

    /// `$.status.name`.
    pub fn json_path(&self) -> String {
        json_path(&self.segments)
    }

    /// The list the path goes through (`$.communicationItems`), if any.
    pub fn array_json_path(&self) -> Option<String> {
        self.array_len.map(|n| json_path(&self.segments[..n]))
    }

    /// The path inside one element of that list (`$.value`), or inside the record otherwise.
    pub fn element_json_path(&self) -> String {
        json_path(&self.segments[self.array_len.unwrap_or(0)..])
    }
}

fn json_path(segments: &[String]) -> String {
    let mut path = String::from("$");
    for segment in segments {
        path.push('.');
        path.push_str(segment);
    }
    path
}

impl EntityTable {
    pub fn body_table(&self) -> String {
        format!("{}$body", self.name)
    }

    /// The rows of this entity as SQL a `FROM` can name: columns `id`, `parent_id` (and the
    /// hot columns, or `body` for shared storage).
    pub fn rows_sql(&self) -> String {
        match self.storage {
            Storage::Hot => crate::store::quote(self.name),
            Storage::Shared(key) => shared_rows(key),
        }
    }

    /// The bodies of this entity as SQL a `FROM` can name: columns `id` and `body`.
    pub fn bodies_sql(&self) -> String {
        match self.storage {
            Storage::Hot => crate::store::quote(&self.body_table()),
            Storage::Shared(key) => shared_rows(key),
        }
    }

    /// The parent id a child record names (`ticketId`, `board/id`).
    pub fn parent_id_of(&self, record: &serde_json::Map<String, serde_json::Value>) -> Option<i64> {
        let link = self.parent.as_ref()?;
        let value = record.get(&link.field)?;
        if link.by_reference {
            value.get("id")?.as_i64()
        } else {
            value.as_i64()
        }
    }

    pub fn schema(&self) -> &'static Schema {
        self.entity.schema()
    }

    /// Resolves a path of `conditions`, `childConditions`, `orderBy` or `fields`.
    pub fn resolve(&self, path: &FieldPath) -> Result<Resolved, String> {
        let info = self
            .entity
            .field(path.as_str())
            .map_err(|e| e.to_string())?;
        Ok(Resolved::from_info(&info, self))
    }

    /// Resolves a path of `customFieldConditions`, relative to one custom field value.
    pub fn resolve_custom_field(&self, path: &FieldPath) -> Result<Resolved, String> {
        if self.schema().property("customFields").is_none() {
            return Err(format!("{} records have no custom fields", self.name));
        }
        let schema = registry()
            .schema("CustomFieldValue")
            .ok_or_else(|| "custom field values are not described".to_owned())?;
        let info = schema.field(path.as_str()).map_err(|e| e.to_string())?;
        let mut resolved = Resolved::from_info(&info, self);
        resolved.column = None;
        resolved.segments.insert(0, "customFields".to_owned());
        resolved.array_len = Some(1);
        Ok(resolved)
    }
}

/// What a field of a record is to the bulk loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotSlot {
    /// The value of this hot column.
    Column(usize),
    /// The parent id (`ticketId` of a note, `board/id` of a status).
    Parent,
    /// An object holding hot fields (`company` for `company/id` and `company/name`); the
    /// number picks its fields in [`HotLayout::inner`].
    Object(usize),
}

/// The hot fields of an entity: the top-level names, and for each object among them its inner
/// names, each list sorted by name (see [`HotFields::find`]).
#[derive(Debug, Default)]
pub struct HotLayout {
    top: HotFields,
    inner: Vec<HotFields>,
}

/// Field names with their slots, sorted by name.
#[derive(Debug, Default)]
pub struct HotFields(Vec<(String, HotSlot)>);

impl HotFields {
    /// The slot of `key`. A record's keys come in name order (the seed's records and
    /// `serde_json`'s maps are sorted), so `cursor` (0 for a new object) carries the search on
    /// from the previous key, which makes a lookup a comparison or two; keys out of order fall
    /// back to a binary search.
    pub fn iter(&self) -> std::slice::Iter<'_, (String, HotSlot)> {
        self.0.iter()
    }

    pub fn find(&self, cursor: &mut usize, key: &str) -> Option<HotSlot> {
        let fields = &self.0;
        while let Some((name, slot)) = fields.get(*cursor) {
            match name.as_str().cmp(key) {
                std::cmp::Ordering::Less => *cursor += 1,
                std::cmp::Ordering::Equal => {
                    *cursor += 1;
                    return Some(*slot);
                }
                std::cmp::Ordering::Greater => break,
            }
        }
        match fields.get(cursor.wrapping_sub(1)) {
            // Every name before the cursor sorts before `key`: it is not a hot field.
            Some((before, _)) if before.as_str() >= key => fields
                .binary_search_by(|(name, _)| name.as_str().cmp(key))
                .ok()
                .map(|i| fields[i].1),
            _ => None,
        }
    }
}

impl HotLayout {
    fn new(columns: &[Column], parent: Option<&ParentLink>) -> HotLayout {
        let mut layout = HotLayout::default();
        let place = |path: &str, slot: HotSlot, layout: &mut HotLayout| match path.split_once('/') {
            None => layout.top.0.push((path.to_owned(), slot)),
            Some((outer, inner)) => {
                let object = match layout.top.0.iter().find(|(k, _)| k == outer) {
                    Some((_, HotSlot::Object(object))) => *object,
                    _ => {
                        let object = layout.inner.len();
                        layout.inner.push(HotFields::default());
                        layout
                            .top
                            .0
                            .push((outer.to_owned(), HotSlot::Object(object)));
                        object
                    }
                };
                layout.inner[object].0.push((inner.to_owned(), slot));
            }
        };
        for (index, column) in columns.iter().enumerate() {
            place(&column.path, HotSlot::Column(index), &mut layout);
        }
        if let Some(link) = parent {
            let path = if link.by_reference {
                format!("{}/id", link.field)
            } else {
                link.field.clone()
            };
            // A parent reference's id may also be a hot column; the parent id wins the slot
            // only when the field is not already a column (`ticketId`), else both are read.
            if !columns.iter().any(|c| c.path == path) {
                place(&path, HotSlot::Parent, &mut layout);
            }
        }
        layout.top.0.sort_by(|a, b| a.0.cmp(&b.0));
        for fields in &mut layout.inner {
            fields.0.sort_by(|a, b| a.0.cmp(&b.0));
        }
        layout
    }

    pub fn top(&self) -> &HotFields {
        &self.top
    }

    /// The fields of the object in slot [`HotSlot::Object`]`(object)`.
    pub fn inner(&self, object: usize) -> &HotFields {
        &self.inner[object]
    }
}

/// A shared-storage entity's rows: a subquery SQLite flattens into the enclosing query, so
/// the (entity, id) primary key serves it. The key comes from the registry, never a request.
fn shared_rows(key: &str) -> String {
    format!(
        "(SELECT id, parent_id, body FROM {} WHERE entity = '{}')",
        crate::store::quote(SHARED_TABLE),
        key.replace('\'', "''")
    )
}

/// Every entity's table: the core entities first, in the registry's dependency order, then
/// every other collection of the description.
#[derive(Debug)]
pub struct Catalog {
    tables: Vec<EntityTable>,
    by_name: HashMap<&'static str, usize>,
    /// How many of `tables`, from the start, are the core entities.
    core_count: usize,
}

impl Catalog {
    pub fn load() -> Catalog {
        let tables: Vec<EntityTable> = registry()
            .all_entities()
            .iter()
            .map(|entity| {
                let schema = entity.schema();
                let parent = entity.parent().map(|parent| parent_link(entity, parent));
                let (storage, columns) = if entity.is_core() {
                    (Storage::Hot, hot_columns(entity, schema))
                } else {
                    let key = entity.view_of().unwrap_or(entity.name());
                    (Storage::Shared(key), Vec::new())
                };
                let projection = entity.view_of().map(|_| {
                    let fields: Vec<Vec<String>> = schema
                        .properties()
                        .iter()
                        .map(|p| vec![p.name.clone()])
                        .collect();
                    FieldTree::from_paths(fields.iter().map(Vec::as_slice))
                });
                EntityTable {
                    name: entity.name(),
                    storage,
                    projection,
                    resource: resource_name(entity),
                    path: entity.path(),
                    hot_layout: HotLayout::new(&columns, parent.as_ref()),
                    parent,
                    columns,
                    searchable: entity.methods().search,
                    entity,
                }
            })
            .collect();
        let by_name = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name, i))
            .collect();
        let core_count = registry().entities().len();
        Catalog {
            tables,
            by_name,
            core_count,
        }
    }

    /// Every entity's table.
    pub fn tables(&self) -> &[EntityTable] {
        &self.tables
    }

    /// The core entities' tables (the ones with hot columns and seed data).
    pub fn core_tables(&self) -> &[EntityTable] {
        &self.tables[..self.core_count]
    }

    pub fn table(&self, name: &str) -> Option<&EntityTable> {
        self.by_name.get(name).map(|&i| &self.tables[i])
    }
}

/// What messages call a record (`Ticket`, `Company`, `Note`, `Agreement`).
fn resource_name(entity: &Entity) -> String {
    match entity.schema_name() {
        "ServiceNote" => "Note".to_owned(),
        "CallbackEntry" => "Callback".to_owned(),
        // `Company.Configuration` → `Configuration`.
        other => other.rsplit('.').next().unwrap_or(other).to_owned(),
    }
}

/// A child points at its parent by a reference to it (`board` on a status) or, failing
/// that, by an integer `<parent>Id` field (`ticketId` on a note; `agreementId` under
/// `finance/agreements`). A described child without such a field is linked by the storage's
/// parent id alone.
fn parent_link(entity: &Entity, parent: &'static str) -> ParentLink {
    if let Some((field, _)) = entity
        .references()
        .iter()
        .find(|(_, target)| *target == parent)
    {
        return ParentLink {
            entity: parent,
            field: field.clone(),
            by_reference: true,
        };
    }
    // The last literal segment of a path-named parent (`finance/agreements` → `agreements`).
    let last = parent
        .rsplit('/')
        .find(|s| !s.starts_with('{'))
        .unwrap_or(parent);
    let singular = last.trim_end_matches('s');
    let field = entity
        .schema()
        .properties()
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(&format!("{singular}Id")))
        .map_or_else(|| format!("{singular}Id"), |p| p.name.clone());
    ParentLink {
        entity: parent,
        field,
        by_reference: false,
    }
}

/// Strings longer than this stay in the body only: they are rarely filtered on and would
/// widen every row.
const MAX_HOT_TEXT: u32 = 255;

/// The hot columns: top-level scalars, the id and name of every reference, and the `_info`
/// dates. References to core entities and `lastUpdated` are indexed.
fn hot_columns(entity: &Entity, schema: &Schema) -> Vec<Column> {
    let mut columns = Vec::new();
    for property in schema.properties() {
        if property.name == "id" {
            continue; // the primary key
        }
        match &property.ty {
            FieldType::String { max_length } if max_length.is_none_or(|m| m > MAX_HOT_TEXT) => {}
            FieldType::Reference(_) => {
                let indexed = entity.reference_target(&property.name).is_some();
                columns.push(Column {
                    path: format!("{}/id", property.name),
                    kind: ColumnKind::Integer,
                    indexed,
                });
                columns.push(Column {
                    path: format!("{}/name", property.name),
                    kind: ColumnKind::Text,
                    indexed: false,
                });
            }
            ty => {
                if let Some(kind) = ColumnKind::of(ty) {
                    columns.push(Column {
                        path: property.name.clone(),
                        kind,
                        indexed: false,
                    });
                }
            }
        }
    }
    columns.push(Column {
        path: "_info/lastUpdated".to_owned(),
        kind: ColumnKind::DateTime,
        indexed: true,
    });
    columns.push(Column {
        path: "_info/dateEntered".to_owned(),
        kind: ColumnKind::DateTime,
        indexed: false,
    });
    columns
}

#[cfg(test)]
mod tests {
    use super::{HotFields, HotSlot};

    #[test]
    fn hot_fields_are_found_in_any_key_order() {
        let names = ["_info", "board", "company", "id", "summary"];
        let fields = HotFields(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| ((*n).to_owned(), HotSlot::Column(i)))
                .collect(),
        );
        let lookups = |keys: &[&str]| {
            let mut cursor = 0;
            keys.iter()
                .map(|k| fields.find(&mut cursor, k))
                .collect::<Vec<_>>()
        };
        let expected = |keys: &[&str]| {
            keys.iter()
                .map(|k| names.iter().position(|n| n == k).map(HotSlot::Column))
                .collect::<Vec<_>>()
        };
        for keys in [
            &[
                "_info",
                "a",
                "board",
                "closedFlag",
                "company",
                "id",
                "summary",
                "zip",
            ][..],
            &["zip", "summary", "id", "company", "board", "_info", "_a"],
            &["id", "_info", "id", "summary", "board", "b", "company", "a"],
            &[],
            &["", "~"],
        ] {
            assert_eq!(lookups(keys), expected(keys), "{keys:?}");
        }
    }
}
