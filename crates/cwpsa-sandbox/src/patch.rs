//! JSON-patch style updates as ConnectWise takes them: a JSON array of
//! `{"op":"add|replace|remove","path":"summary","value":..}`. Paths are bare (`status`) or
//! `/`-prefixed (`/status`), may go deeper (`status/id`), and match field names
//! case-insensitively. References are replaced whole; `customFields` as a whole array.

use serde_json::{Map, Value};

use crate::error::{ApiError, FieldError};

/// Fields no client may write.
const READ_ONLY: &[&str] = &["id", "_info"];

/// Applies `operations` to `record` in order; on any error the record is left unchanged.
pub(crate) fn apply(record: &Value, operations: &Value, resource: &str) -> Result<Value, ApiError> {
    let Value::Array(operations) = operations else {
        return Err(ApiError::invalid_argument(
            "The PATCH body must be a JSON array of operations like [{\"op\":\"replace\",\"path\":\"summary\",\"value\":\"...\"}]",
        ));
    };
    let mut patched = record.clone();
    for (index, operation) in operations.iter().enumerate() {
        apply_one(&mut patched, operation, index, resource)?;
    }
    Ok(patched)
}

fn apply_one(
    record: &mut Value,
    operation: &Value,
    index: usize,
    resource: &str,
) -> Result<(), ApiError> {
    let field_error = |field: &str, message: String| {
        ApiError::invalid_object(
            resource,
            vec![FieldError::new("InvalidField", message, resource, field)],
        )
    };
    let op = operation
        .get("op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let path = operation.get("path").and_then(Value::as_str);
    let (Some(op), Some(path)) = (op, path) else {
        return Err(ApiError::invalid_argument(format!(
            "PATCH operation {index} needs a string \"op\" and a string \"path\""
        )));
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(ApiError::invalid_argument(format!(
            "PATCH operation {index}: invalid path `{path}`"
        )));
    }
    if READ_ONLY
        .iter()
        .any(|r| r.eq_ignore_ascii_case(segments[0]))
    {
        return Err(field_error(
            segments[0],
            format!("{} is read-only and cannot be patched", segments[0]),
        ));
    }
    let value = match op.as_str() {
        "add" | "replace" => Some(operation.get("value").cloned().ok_or_else(|| {
            ApiError::invalid_argument(format!(
                "PATCH operation {index} ({op} {path}) needs a \"value\""
            ))
        })?),
        "remove" => None,
        other => {
            return Err(ApiError::invalid_argument(format!(
                "PATCH operation {index}: unsupported op `{other}`; use add, replace or remove"
            )));
        }
    };
    let Some((last, parents)) = segments.split_last() else {
        return Err(ApiError::invalid_argument(format!(
            "PATCH operation {index}: empty path"
        )));
    };
    let mut node = record;
    for segment in parents {
        let map = node.as_object_mut().ok_or_else(|| {
            field_error(path, format!("{path} does not name a field of an object"))
        })?;
        let key = existing_key(map, segment).unwrap_or_else(|| (*segment).to_owned());
        node = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
        if node.is_null() {
            *node = Value::Object(Map::new());
        }
    }
    let map = node
        .as_object_mut()
        .ok_or_else(|| field_error(path, format!("{path} does not name a field of an object")))?;
    let key = existing_key(map, last).unwrap_or_else(|| (*last).to_owned());
    match value {
        Some(value) => {
            map.insert(key, value);
        }
        None => {
            map.remove(&key);
        }
    }
    Ok(())
}

/// The record's own spelling of a field named case-insensitively.
fn existing_key(map: &Map<String, Value>, name: &str) -> Option<String> {
    map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn applies_bare_and_slash_paths_and_replaces_references_whole() {
        let record =
            json!({"id": 1, "summary": "a", "status": {"id": 1, "name": "New"}, "budgetHours": 2});
        let ops = json!([
            {"op": "replace", "path": "Summary", "value": "b"},
            {"op": "replace", "path": "/status", "value": {"id": 5}},
            {"op": "remove", "path": "budgetHours"},
            {"op": "add", "path": "owner/id", "value": 3}
        ]);
        let patched = apply(&record, &ops, "Ticket").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            patched,
            json!({"id": 1, "summary": "b", "status": {"id": 5}, "owner": {"id": 3}})
        );
    }

    #[test]
    fn refuses_read_only_fields_bad_ops_and_non_arrays() {
        let record = json!({"id": 1});
        let err = apply(
            &record,
            &json!([{"op": "replace", "path": "/id", "value": 2}]),
            "Ticket",
        );
        assert_eq!(
            err.map_err(|e| e.errors[0].field.clone()),
            Err("id".to_owned())
        );
        let err = apply(&record, &json!([{"op": "move", "path": "a"}]), "Ticket");
        assert!(err.is_err_and(|e| e.message.contains("unsupported op")));
        assert!(apply(&record, &json!({"op": "add"}), "Ticket").is_err());
        let err = apply(
            &record,
            &json!([{"op": "replace", "path": "_info/lastUpdated", "value": "x"}]),
            "Ticket",
        );
        assert!(err.is_err());
    }
}
