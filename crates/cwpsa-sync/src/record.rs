//! One fetched record as a table row: its id, typed cells and the record's JSON text.
//!
//! A record is read in one pass that visits only the fields the row needs (a ticket is about
//! 4 KB of JSON, its columns a few hundred bytes of it) and skips the rest unparsed: building a
//! whole `serde_json::Value` per record was most of the sync's CPU.

use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::entities::{ENTITIES, EntitySpec, Kind};

/// A typed cell. A value of an unexpected type becomes `Null` (the JSON keeps it): a new
/// server format must never stop a sync.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Bool(bool),
    Text(String),
}

#[derive(Debug, Clone)]
pub struct Row {
    pub id: i64,
    /// The normalised `_info.lastUpdated`, if the record has one.
    pub last_updated: Option<String>,
    /// One cell per column of the entity, in order.
    pub cells: Vec<Cell>,
    /// The record exactly as the server sent it.
    pub json: JsonText,
}

/// A record's JSON text (UTF-8: it was read as a `str`). A record read from a page shares the
/// page's buffer instead of being copied: a page of tickets is about 4 MB, and copying then
/// freeing a thousand 4 KB strings per page was a tenth of the sync's CPU.
#[derive(Clone, PartialEq, Eq)]
pub struct JsonText(Bytes);

impl JsonText {
    /// `text` as a slice of `page` when it lies within it, else a copy.
    fn within(page: &Bytes, text: &str) -> JsonText {
        let start = text.as_ptr() as usize;
        let page_start = page.as_ptr() as usize;
        let inside = start >= page_start && start + text.len() <= page_start + page.len();
        JsonText(if inside && !text.is_empty() {
            page.slice_ref(text.as_bytes())
        } else {
            Bytes::copy_from_slice(text.as_bytes())
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for JsonText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&String::from_utf8_lossy(&self.0), f)
    }
}

impl PartialEq<str> for JsonText {
    fn eq(&self, other: &str) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

/// Reads a record. `parent` is the id of the parent a child was listed under: it wins over
/// whatever the record says, as it is where the record lives.
pub fn to_row(spec: &EntitySpec, json: &str, parent: Option<i64>) -> Result<Row, String> {
    to_row_in(spec, &Bytes::new(), json, parent)
}

/// [`to_row`] for a record that is a slice of `page`: the row shares the page's buffer.
pub fn to_row_in(
    spec: &EntitySpec,
    page: &Bytes,
    json: &str,
    parent: Option<i64>,
) -> Result<Row, String> {
    let fields = Fields::of(spec);
    let mut found = vec![Scalar::Absent; fields.paths.len()];
    let mut de = serde_json::Deserializer::from_str(json);
    Branch {
        node: &fields.root,
        found: &mut found,
    }
    .deserialize(&mut de)
    .and_then(|()| de.end())
    .map_err(|e| format!("a {} record is not a JSON object: {e}", spec.name))?;
    let Scalar::Int(id) = found[ID] else {
        let head: String = json.chars().take(80).collect();
        return Err(format!("a {} record has no integer id: {head}", spec.name));
    };
    let mut cells: Vec<Cell> = spec
        .columns
        .iter()
        .zip(&fields.column_slots)
        .map(|(column, slot)| cell(&found[*slot], column.kind))
        .collect();
    if let (Some(parent), Some((_, column))) = (parent, spec.parent)
        && let Some(i) = spec.column_index(column)
    {
        cells[i] = Cell::Int(parent);
    }
    let last_updated = match &found[LAST_UPDATED] {
        Scalar::Text(s) => crate::time::normalize(s),
        _ => None,
    };
    Ok(Row {
        id,
        last_updated,
        cells,
        json: JsonText::within(page, json),
    })
}

fn cell(value: &Scalar, kind: Kind) -> Cell {
    match (kind, value) {
        (Kind::Int, Scalar::Int(i)) => Cell::Int(*i),
        (Kind::Int, Scalar::Float(f)) if f.fract() == 0.0 && f.abs() < 9e15 => Cell::Int(*f as i64),
        (Kind::Real, Scalar::Int(i)) => Cell::Real(*i as f64),
        (Kind::Real, Scalar::Big(u)) => Cell::Real(*u as f64),
        (Kind::Real, Scalar::Float(f)) if f.is_finite() => Cell::Real(*f),
        (Kind::Bool, Scalar::Bool(b)) => Cell::Bool(*b),
        (Kind::Text, Scalar::Text(s)) => Cell::Text(s.clone()),
        (Kind::Text, Scalar::Int(i)) => Cell::Text(i.to_string()),
        (Kind::Text, Scalar::Big(u)) => Cell::Text(u.to_string()),
        (Kind::Text, Scalar::Float(f)) => {
            serde_json::Number::from_f64(*f).map_or(Cell::Null, |n| Cell::Text(n.to_string()))
        }
        (Kind::Text, Scalar::Bool(b)) => Cell::Text(b.to_string()),
        (Kind::Time, Scalar::Text(s)) => crate::time::normalize(s).map_or(Cell::Null, Cell::Text),
        _ => Cell::Null,
    }
}

/// The slots every entity reads besides its columns.
const ID: usize = 0;
const LAST_UPDATED: usize = 1;

/// The field paths an entity's rows read, as a tree of keys, built once per entity.
struct Fields {
    /// Distinct paths; `paths[ID]` is `id`, `paths[LAST_UPDATED]` is `_info/lastUpdated`.
    paths: Vec<&'static str>,
    /// For each column, the index of its path.
    column_slots: Vec<usize>,
    root: Node,
}

/// A key's place in the tree: a value to keep (the index of its path) and/or keys under it.
#[derive(Default)]
struct Node {
    slot: Option<usize>,
    children: Vec<(&'static str, Node)>,
}

impl Node {
    fn child(&self, key: &str) -> Option<&Node> {
        self.children
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| n)
    }

    fn insert(&mut self, path: &'static str, slot: usize) {
        let mut node = self;
        for key in path.split('/') {
            let at = match node.children.iter().position(|(k, _)| *k == key) {
                Some(at) => at,
                None => {
                    node.children.push((key, Node::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[at].1;
        }
        node.slot = Some(slot);
    }
}

impl Fields {
    fn of(spec: &EntitySpec) -> &'static Fields {
        static ALL: OnceLock<Vec<Fields>> = OnceLock::new();
        let all = ALL.get_or_init(|| ENTITIES.iter().map(Fields::build).collect());
        &all[spec.index()]
    }

    fn build(spec: &EntitySpec) -> Fields {
        let mut paths = vec!["id", "_info/lastUpdated"];
        let column_slots = spec
            .columns
            .iter()
            .map(|c| {
                paths.iter().position(|p| *p == c.path).unwrap_or_else(|| {
                    paths.push(c.path);
                    paths.len() - 1
                })
            })
            .collect();
        let mut root = Node::default();
        for (slot, path) in paths.iter().enumerate() {
            root.insert(path, slot);
        }
        Fields {
            paths,
            column_slots,
            root,
        }
    }
}

/// A kept value. Objects and arrays where a value was expected are `Other` (a cell of `Null`).
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Absent,
    Null,
    Int(i64),
    /// An integer above `i64::MAX`.
    Big(u64),
    Float(f64),
    Bool(bool),
    Text(String),
    Other,
}

/// Reads an object at one node of the tree, keeping what the tree asks for.
struct Branch<'a> {
    node: &'a Node,
    found: &'a mut [Scalar],
}

impl<'de> DeserializeSeed<'de> for Branch<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Branch<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(child) = map.next_key_seed(Key(self.node))? {
            let Some(child) = child else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some(slot) = child.slot {
                // A path that is also the parent of others (never the case today) keeps the
                // value and reads nothing under it.
                self.found[slot] = map.next_value_seed(Value)?;
            } else {
                map.next_value_seed(Branch {
                    node: child,
                    found: &mut *self.found,
                })?;
            }
        }
        Ok(())
    }

    // Under the root, a key whose value is not an object (`"board": null`) has nothing to keep.
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// Looks a key up among a node's children without allocating it.
struct Key<'a>(&'a Node);

impl<'de, 'a> DeserializeSeed<'de> for Key<'a> {
    type Value = Option<&'a Node>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'a> Visitor<'_> for Key<'a> {
    type Value = Option<&'a Node>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.child(key))
    }
}

/// Reads one kept value.
struct Value;

impl<'de> DeserializeSeed<'de> for Value {
    type Value = Scalar;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(b))
    }
    fn visit_i64<E: de::Error>(self, i: i64) -> Result<Scalar, E> {
        Ok(Scalar::Int(i))
    }
    fn visit_u64<E: de::Error>(self, u: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(u).map_or(Scalar::Big(u), Scalar::Int))
    }
    fn visit_f64<E: de::Error>(self, f: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(f))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(s.to_owned()))
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::entity;

    #[test]
    fn typed_cells_come_from_the_record_and_odd_types_become_null() {
        let spec = entity("tickets").expect("tickets");
        let json = r#"{"id":7,"summary":"x","board":{"id":"not a number","name":"B"},"company":{"id":3},
            "closedFlag":true,"budgetHours":1.5,"requiredDate":"2024-01-02","_info":{"lastUpdated":"2024-01-02T03:04:05Z"},
            "brandNew":{"field":1}}"#;
        let row = to_row(spec, json, None).expect("row");
        let get = |name: &str| &row.cells[spec.column_index(name).expect(name)];
        assert_eq!(row.id, 7);
        assert_eq!(get("summary"), &Cell::Text("x".into()));
        assert_eq!(get("board_id"), &Cell::Null);
        assert_eq!(get("board_name"), &Cell::Text("B".into()));
        assert_eq!(get("company_id"), &Cell::Int(3));
        assert_eq!(get("closed_flag"), &Cell::Bool(true));
        assert_eq!(get("budget_hours"), &Cell::Real(1.5));
        assert_eq!(
            get("required_date"),
            &Cell::Text("2024-01-02T00:00:00Z".into())
        );
        assert_eq!(get("status_id"), &Cell::Null);
        assert_eq!(row.last_updated.as_deref(), Some("2024-01-02T03:04:05Z"));
        assert_eq!(row.json, *json);
        assert!(to_row(spec, r#"{"summary":"no id"}"#, None).is_err());
        assert!(to_row(spec, "[1]", None).is_err());
    }

    #[test]
    fn odd_json_reads_like_the_api_means_it() {
        let spec = entity("tickets").expect("tickets");
        let get = |row: &Row, name: &str| row.cells[spec.column_index(name).expect(name)].clone();
        // Escaped keys, a repeated key (the last wins), numbers of every shape, a value
        // nested where a scalar was expected, a parent that is null.
        let json = r#"{"id":9,"su\u006dmary":"first","summary":"last","company":null,
            "board":{"id":4.0,"name":12},"budgetHours":18446744073709551615,
            "status":{"id":[1],"name":{"x":1}},"priority":{"id":18446744073709551615},
            "_info":{"lastUpdated":"2024-01-02T03:04:05.123+02:00","other":[{"a":1}]}}"#;
        let row = to_row(spec, json, None).expect("row");
        assert_eq!(get(&row, "summary"), Cell::Text("last".into()));
        assert_eq!(get(&row, "company_id"), Cell::Null);
        assert_eq!(get(&row, "board_id"), Cell::Int(4));
        assert_eq!(get(&row, "board_name"), Cell::Text("12".into()));
        assert_eq!(get(&row, "budget_hours"), Cell::Real(u64::MAX as f64));
        assert_eq!(get(&row, "status_id"), Cell::Null);
        assert_eq!(get(&row, "status_name"), Cell::Null);
        assert_eq!(get(&row, "priority_id"), Cell::Null);
        assert_eq!(row.last_updated.as_deref(), Some("2024-01-02T01:04:05Z"));
        // A float id is not an id; nor is a missing one; trailing text is not one record.
        assert!(to_row(spec, r#"{"id":1.5}"#, None).is_err());
        assert!(to_row(spec, r#"{"id":"1"}"#, None).is_err());
        assert!(to_row(spec, r#"{"id":1} {"id":2}"#, None).is_err());
        assert!(to_row(spec, r#"{"id":1,"summary":"#, None).is_err());
    }

    #[test]
    fn a_record_of_a_page_shares_the_page_and_any_other_text_is_copied() {
        let spec = entity("tickets").expect("tickets");
        let page = Bytes::from_static(br#"[{"id":1,"summary":"a"},{"id":2}]"#);
        let text = std::str::from_utf8(&page[1..23]).expect("utf-8");
        let row = to_row_in(spec, &page, text, None).expect("row");
        assert_eq!(row.json, *r#"{"id":1,"summary":"a"}"#);
        assert_eq!(
            row.json.as_bytes().as_ptr(),
            page[1..].as_ptr(),
            "not copied"
        );
        let elsewhere = String::from(r#"{"id":3}"#);
        let row = to_row_in(spec, &page, &elsewhere, None).expect("row");
        assert_eq!(row.json, *r#"{"id":3}"#);
        assert_ne!(row.json.as_bytes().as_ptr(), elsewhere.as_ptr(), "copied");
    }

    #[test]
    fn a_child_takes_the_parent_it_was_listed_under() {
        let spec = entity("ticket_notes").expect("notes");
        let row = to_row(spec, r#"{"id":1,"ticketId":99,"text":"t"}"#, Some(5)).expect("row");
        assert_eq!(
            row.cells[spec.column_index("ticket_id").expect("col")],
            Cell::Int(5)
        );
    }
}
