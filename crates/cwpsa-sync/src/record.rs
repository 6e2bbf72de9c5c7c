//! One fetched record as a table row: its id, typed cells and the record's JSON text.

use serde_json::Value;

use crate::entities::{EntitySpec, Kind};

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
    pub json: String,
}

/// Reads a record. `parent` is the id of the parent a child was listed under: it wins over
/// whatever the record says, as it is where the record lives.
pub fn to_row(spec: &EntitySpec, json: &str, parent: Option<i64>) -> Result<Row, String> {
    let value: Value = serde_json::from_str(json)
        .map_err(|e| format!("a {} record is not JSON: {e}", spec.name))?;
    let id = value.get("id").and_then(Value::as_i64).ok_or_else(|| {
        let head: String = json.chars().take(80).collect();
        format!("a {} record has no integer id: {head}", spec.name)
    })?;
    let mut cells: Vec<Cell> = spec
        .columns
        .iter()
        .map(|c| cell(lookup(&value, c.path), c.kind))
        .collect();
    if let (Some(parent), Some((_, column))) = (parent, spec.parent) {
        if let Some(i) = spec.column_index(column) {
            cells[i] = Cell::Int(parent);
        }
    }
    let last_updated = lookup(&value, "_info/lastUpdated")
        .and_then(Value::as_str)
        .and_then(crate::time::normalize);
    Ok(Row {
        id,
        last_updated,
        cells,
        json: json.to_owned(),
    })
}

fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('/').try_fold(value, |v, key| v.get(key))
}

fn cell(value: Option<&Value>, kind: Kind) -> Cell {
    let Some(value) = value else {
        return Cell::Null;
    };
    match (kind, value) {
        (Kind::Int, Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            })
            .map_or(Cell::Null, Cell::Int),
        (Kind::Real, Value::Number(n)) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map_or(Cell::Null, Cell::Real),
        (Kind::Bool, Value::Bool(b)) => Cell::Bool(*b),
        (Kind::Text, Value::String(s)) => Cell::Text(s.clone()),
        (Kind::Text, Value::Number(n)) => Cell::Text(n.to_string()),
        (Kind::Text, Value::Bool(b)) => Cell::Text(b.to_string()),
        (Kind::Time, Value::String(s)) => crate::time::normalize(s).map_or(Cell::Null, Cell::Text),
        _ => Cell::Null,
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
        assert_eq!(row.json, json);
        assert!(to_row(spec, r#"{"summary":"no id"}"#, None).is_err());
        assert!(to_row(spec, "[1]", None).is_err());
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
