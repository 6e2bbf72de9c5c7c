//! Writes: validation against the schema, reference checking and filling, `_info`
//! bookkeeping, and the store calls of create, replace, patch and delete.

use rusqlite::{Connection, TransactionBehavior};
use serde_json::{Map, Value, json};

use cwpsa_core::schema::FieldType;

use crate::api::Shared;
use crate::callbacks::{self, Action, Change};
use crate::catalog::EntityTable;
use crate::clock;
use crate::config::API_MEMBER;
use crate::error::{ApiError, FieldError};
use crate::patch;
use crate::seed::BASE_URL_PLACEHOLDER;
use crate::store::{self, StoreError};

#[allow(clippy::needless_pass_by_value)] // used as `map_err(storage)`
fn storage(e: StoreError) -> ApiError {
    ApiError::internal(&e)
}

fn table<'s>(s: &'s Shared, name: &str) -> Result<&'s EntityTable, ApiError> {
    s.catalog.table(name).ok_or_else(ApiError::unknown_route)
}

/// Runs `f` in an immediate (write-locking) transaction, committing only on success.
fn write<T>(s: &Shared, f: impl FnOnce(&Connection) -> Result<T, ApiError>) -> Result<T, ApiError> {
    s.store.with_conn(|conn| {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| storage(e.into()))?;
        let value = f(&tx)?;
        tx.commit().map_err(|e| storage(e.into()))?;
        Ok(value)
    })
}

pub(crate) fn create(
    s: &Shared,
    name: &str,
    parent: Option<i64>,
    record: Value,
) -> Result<String, ApiError> {
    let table = table(s, name)?;
    let mut record = into_object(record, table)?;
    write(s, |conn| {
        set_parent(table, parent, &mut record);
        let now = clock::now();
        let id = store::next_id(conn, table).map_err(storage)?;
        let mut info = Map::new();
        info.insert("lastUpdated".into(), json!(now));
        info.insert("updatedBy".into(), json!(API_MEMBER));
        info.insert("dateEntered".into(), json!(now));
        info.insert("enteredBy".into(), json!(API_MEMBER));
        let body = finish(s, conn, table, parent, id, record, info)?;
        touch_parent(s, conn, table, parent)?;
        Ok(body)
    })
    .inspect(|body| notify(s, table, Action::Added, body))
}

/// Tells callback delivery about a committed write.
fn notify(s: &Shared, table: &EntityTable, action: Action, body: &str) {
    let id = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("id")?.as_i64())
        .unwrap_or_default();
    s.callbacks.notify(Change {
        entity: table.name,
        action,
        id,
        body: body.to_owned(),
    });
}

pub(crate) fn replace(
    s: &Shared,
    name: &str,
    parent: Option<i64>,
    id: i64,
    record: Value,
) -> Result<String, ApiError> {
    let table = table(s, name)?;
    let mut record = into_object(record, table)?;
    write(s, |conn| {
        let existing = existing(conn, table, parent, id)?;
        let parent = parent_of(conn, table, id)?.or(parent);
        set_parent(table, parent, &mut record);
        let info = updated_info(&existing);
        let body = finish(s, conn, table, parent, id, record, info)?;
        touch_parent(s, conn, table, parent)?;
        Ok(body)
    })
    .inspect(|body| notify(s, table, Action::Updated, body))
}

pub(crate) fn patch(
    s: &Shared,
    name: &str,
    parent: Option<i64>,
    id: i64,
    operations: &Value,
) -> Result<String, ApiError> {
    let table = table(s, name)?;
    write(s, |conn| {
        let existing = existing(conn, table, parent, id)?;
        let patched = patch::apply(&existing, operations, &table.resource)?;
        let Value::Object(mut record) = patched else {
            return Err(ApiError::internal(&"stored record is not an object"));
        };
        record.remove("_info");
        record.remove("id");
        let info = updated_info(&existing);
        let body = finish(s, conn, table, parent, id, record, info)?;
        touch_parent(s, conn, table, parent_of(conn, table, id)?.or(parent))?;
        Ok(body)
    })
    .inspect(|body| notify(s, table, Action::Updated, body))
}

pub(crate) fn delete(s: &Shared, name: &str, parent: Option<i64>, id: i64) -> Result<(), ApiError> {
    let table = table(s, name)?;
    let removed = write(s, |conn| {
        let removed = existing(conn, table, parent, id)?;
        let parent = parent_of(conn, table, id)?.or(parent);
        store::delete(conn, table, id).map_err(storage)?;
        touch_parent(s, conn, table, parent)?;
        // Child collections go with their parent (a ticket's notes, a board's statuses).
        for child in s
            .catalog
            .tables()
            .iter()
            .filter(|t| t.parent.as_ref().is_some_and(|p| p.entity == table.name))
        {
            store::delete_children(conn, child, id).map_err(storage)?;
        }
        Ok(removed)
    })?;
    notify(s, table, Action::Deleted, &removed.to_string());
    Ok(())
}

/// A change to a child (a ticket's note, a board's status) stamps the parent's
/// `_info.lastUpdated`, as ConnectWise does: it is how a sync finds changed notes without one
/// request per ticket.
fn touch_parent(
    s: &Shared,
    conn: &Connection,
    table: &EntityTable,
    parent: Option<i64>,
) -> Result<(), ApiError> {
    let (Some(link), Some(parent_id)) = (&table.parent, parent) else {
        return Ok(());
    };
    let parent_table = self::table(s, link.entity)?;
    let Some(body) = store::get_body(conn, parent_table, parent_id, None).map_err(storage)? else {
        return Ok(());
    };
    let mut record: Value = serde_json::from_str(&body).map_err(|e| ApiError::internal(&e))?;
    let grandparent = parent_of(conn, parent_table, parent_id)?;
    let mut info = updated_info(&record);
    // Stamped like any written record, which carries its own href (see `finish`).
    info.entry(format!(
        "{}_href",
        parent_table.resource.to_ascii_lowercase()
    ))
    .or_insert_with(|| json!(href(parent_table, grandparent, parent_id)));
    if let Some(map) = record.as_object_mut() {
        map.insert("_info".into(), Value::Object(info));
    }
    store::put(conn, parent_table, parent_id, grandparent, &record).map_err(storage)
}

fn into_object(record: Value, table: &EntityTable) -> Result<Map<String, Value>, ApiError> {
    match record {
        Value::Object(mut map) => {
            // Server-maintained fields are ignored on input, as the real service does.
            map.retain(|k, _| !k.eq_ignore_ascii_case("id") && !k.eq_ignore_ascii_case("_info"));
            Ok(map)
        }
        _ => Err(ApiError::invalid_argument(format!(
            "The request body must be a JSON object describing a {}.",
            table.resource
        ))),
    }
}

fn existing(
    conn: &Connection,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
) -> Result<Value, ApiError> {
    let body = store::get_body(conn, table, id, parent).map_err(storage)?;
    let body = body.ok_or_else(|| ApiError::record_not_found(&table.resource, id))?;
    serde_json::from_str(&body).map_err(|e| ApiError::internal(&e))
}

fn parent_of(conn: &Connection, table: &EntityTable, id: i64) -> Result<Option<i64>, ApiError> {
    if table.parent.is_none() {
        return Ok(None);
    }
    store::parent_id(conn, table, id).map_err(storage)
}

/// `_info` of an updated record: entry kept, update stamped now.
fn updated_info(existing: &Value) -> Map<String, Value> {
    let mut info = existing
        .get("_info")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    info.insert("lastUpdated".into(), json!(clock::now()));
    info.insert("updatedBy".into(), json!(API_MEMBER));
    info
}

/// A child record names its parent (`ticketId` on a note, `board` on a status), where its
/// schema has a field for it.
fn set_parent(table: &EntityTable, parent: Option<i64>, record: &mut Map<String, Value>) {
    let (Some(link), Some(parent_id)) = (&table.parent, parent) else {
        return;
    };
    if table.schema().property(&link.field).is_none() {
        return;
    }
    let value = if link.by_reference {
        json!({ "id": parent_id })
    } else {
        json!(parent_id)
    };
    record.insert(link.field.clone(), value);
}

/// Validates, fills references, stamps `_info` and writes the record; returns the stored body.
fn finish(
    s: &Shared,
    conn: &Connection,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
    mut record: Map<String, Value>,
    mut info: Map<String, Value>,
) -> Result<String, ApiError> {
    canonicalise_names(table, &mut record);
    let mut errors = validate(table, &record);
    if errors.is_empty() {
        errors = fill_references(s, conn, table, &mut record)?;
    }
    if errors.is_empty() && table.name == "callbacks" {
        errors = callbacks::prepare_registration(conn, s, id, &mut record)?;
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_object(&table.resource, errors));
    }
    let href_key = format!("{}_href", table.resource.to_ascii_lowercase());
    let parent_id = parent.or_else(|| table.parent_id_of(&record));
    info.entry(href_key)
        .or_insert_with(|| json!(href(table, parent_id, id)));
    let mut full = Map::new();
    full.insert("id".into(), json!(id));
    full.extend(record);
    full.insert("_info".into(), Value::Object(info));
    let full = Value::Object(full);
    store::put(conn, table, id, parent_id, &full).map_err(storage)?;
    Ok(full.to_string())
}

/// `{base_url}service/tickets/5/notes/9`: the server resolves the placeholder on output.
fn href(table: &EntityTable, parent: Option<i64>, id: i64) -> String {
    let path = match parent {
        Some(p) => table.path.replace("{parentId}", &p.to_string()),
        None => table.path.to_owned(),
    };
    format!("{BASE_URL_PLACEHOLDER}{path}/{id}")
}

/// Field names are case-insensitive on input; store them in the API's spelling.
fn canonicalise_names(table: &EntityTable, record: &mut Map<String, Value>) {
    let schema = table.schema();
    let renames: Vec<(String, String)> = record
        .keys()
        .filter_map(|k| {
            schema
                .property(k)
                .filter(|p| p.name != *k)
                .map(|p| (k.clone(), p.name.clone()))
        })
        .collect();
    for (from, to) in renames {
        if let Some(v) = record.remove(&from) {
            record.insert(to, v);
        }
    }
}

/// Required fields present, and every known field of the right JSON type.
fn validate(table: &EntityTable, record: &Map<String, Value>) -> Vec<FieldError> {
    let resource = &table.resource;
    let mut errors = Vec::new();
    for field in table.entity.required_fields() {
        let missing = match record.get(field) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.trim().is_empty(),
            Some(_) => false,
        };
        if missing {
            errors.push(FieldError::new(
                "MissingRequiredField",
                format!("{field} is required."),
                resource,
                field,
            ));
        }
    }
    let schema = table.schema();
    for (name, value) in record {
        let Some(property) = schema.property(name) else {
            continue;
        };
        if value.is_null() {
            continue;
        }
        if let Some(problem) = type_problem(&property.ty, value) {
            errors.push(FieldError::new(
                "InvalidField",
                format!("{name} {problem}."),
                resource,
                name,
            ));
        }
    }
    errors
}

/// Why `value` does not fit `ty`, if it does not.
fn type_problem(ty: &FieldType, value: &Value) -> Option<String> {
    match ty {
        FieldType::Integer if !value.is_i64() => Some("must be a whole number".into()),
        FieldType::Number if !value.is_number() => Some("must be a number".into()),
        FieldType::Boolean if !value.is_boolean() => Some("must be true or false".into()),
        FieldType::String { max_length } => match value.as_str() {
            None => Some("must be a string".into()),
            Some(s) => max_length
                .filter(|max| s.chars().count() > *max as usize)
                .map(|max| format!("must be at most {max} characters long")),
        },
        FieldType::DateTime => match value.as_str() {
            Some(s) if is_date_time(s) => None,
            _ => Some("must be a date-time like 2024-01-31T09:00:00Z".into()),
        },
        FieldType::Enum(values) => match value.as_str() {
            Some(s) if values.iter().any(|v| v.eq_ignore_ascii_case(s)) => None,
            _ => Some(format!("must be one of {}", values.join(", "))),
        },
        FieldType::Reference(_) | FieldType::Object(_) | FieldType::Map(_)
            if !value.is_object() =>
        {
            Some("must be an object".into())
        }
        FieldType::Array(_) if !value.is_array() => Some("must be a list".into()),
        _ => None,
    }
}

/// `YYYY-MM-DDTHH:MM:SS` with an optional fraction and `Z` or offset, or a bare date.
fn is_date_time(s: &str) -> bool {
    cwpsa_core::conditions::parse(&format!("x = [{s}]")).is_ok() && !s.contains(']')
}

/// Checks that every reference to a core entity names an existing record, and fills in its
/// `id`, `identifier`/`name` and `_info` href as the real service returns them.
fn fill_references(
    s: &Shared,
    conn: &Connection,
    table: &EntityTable,
    record: &mut Map<String, Value>,
) -> Result<Vec<FieldError>, ApiError> {
    let mut errors = Vec::new();
    let mut board_of_status = None;
    for (field, target_name) in table.entity.references() {
        let Some(reference) = record.get(field).filter(|v| v.is_object()) else {
            continue;
        };
        let Some(target) = s.catalog.table(target_name) else {
            continue;
        };
        let Some(id) = reference.get("id").and_then(Value::as_i64) else {
            errors.push(FieldError::new(
                "InvalidField",
                format!("{field}/id is required to reference a {}.", target.resource),
                &table.resource,
                &format!("{field}/id"),
            ));
            continue;
        };
        let Some(body) = store::get_body(conn, target, id, None).map_err(storage)? else {
            errors.push(FieldError::new(
                "InvalidField",
                format!("{field}/id {id} is not a valid {} id.", target.resource),
                &table.resource,
                &format!("{field}/id"),
            ));
            continue;
        };
        let target_record: Value =
            serde_json::from_str(&body).map_err(|e| ApiError::internal(&e))?;
        let parent = if target.parent.is_some() {
            store::parent_id(conn, target, id).map_err(storage)?
        } else {
            None
        };
        if target.name == "board_statuses" {
            board_of_status = parent.map(|board| (field.clone(), id, board));
        }
        let filled = reference_value(field, target, &target_record, id, parent);
        record.insert(field.clone(), filled);
    }
    // A status must belong to the record's board.
    if let (Some((field, status, status_board)), Some(board)) = (
        board_of_status,
        record
            .get("board")
            .and_then(|b| b.get("id"))
            .and_then(Value::as_i64),
    ) && status_board != board
    {
        errors.push(FieldError::new(
            "InvalidField",
            format!("{field}/id {status} is not a status of board {board}."),
            &table.resource,
            &format!("{field}/id"),
        ));
    }
    Ok(errors)
}

fn reference_value(
    field: &str,
    target: &EntityTable,
    record: &Value,
    id: i64,
    parent: Option<i64>,
) -> Value {
    let mut out = Map::new();
    out.insert("id".into(), json!(id));
    if let Some(identifier) = record.get("identifier") {
        out.insert("identifier".into(), identifier.clone());
    }
    let name = record.get("name").cloned().or_else(|| {
        let first = record.get("firstName").and_then(Value::as_str)?;
        let last = record.get("lastName").and_then(Value::as_str).unwrap_or("");
        Some(json!(format!("{first} {last}").trim().to_owned()))
    });
    if let Some(name) = name {
        out.insert("name".into(), name);
    }
    if let Some(sort) = record.get("sortOrder") {
        out.insert("sort".into(), sort.clone());
    }
    let mut info = Map::new();
    info.insert(format!("{field}_href"), json!(href(target, parent, id)));
    out.insert("_info".into(), Value::Object(info));
    Value::Object(out)
}
