//! What `describe_entities` and `describe_entity` tell an agent, from the schema registry:
//! enough to write valid conditions, field lists and records without guessing.

use cwpsa_core::schema::{Entity, FieldType, Property, Schema, registry};
use serde_json::{Map, Value, json};

use crate::error::{CliError, CliResult};
use crate::paths::{self, ALIASES};

/// The conditions language in a few lines, for the tools' descriptions and the server's
/// instructions.
pub const CONDITIONS_HELP: &str = "Conditions: field op value, joined with and/or/not and parentheses. Operators: = != < <= > >= contains, like (wildcard *), in (a, b), not in, not contains, not like. Strings in double quotes (\"New\"), numbers bare (5, 2.5), true/false, null, date-times in brackets ([2024-01-31T00:00:00Z]). A reference is filtered by one of its fields: company/id = 5, status/name = \"New\". lastUpdated filters on every entity. Example: closedFlag = false and priority/name contains \"High\" and lastUpdated > [2024-01-01T00:00:00Z]";

/// The entities, their paths, parents and required fields; `filter` keeps those whose name,
/// alias or path contains it.
pub fn entities(filter: Option<&str>) -> Value {
    let needle = filter.map(str::to_ascii_lowercase);
    let keep = |texts: &[&str]| {
        needle
            .as_deref()
            .is_none_or(|n| texts.iter().any(|t| t.to_ascii_lowercase().contains(n)))
    };
    let entities: Vec<Value> = registry()
        .entities()
        .iter()
        .filter(|e| {
            let mut texts = vec![e.name(), e.path()];
            texts.extend(e.aliases());
            keep(&texts)
        })
        .map(|e| {
            let mut item = json!({
                "name": e.name(),
                "path": e.path(),
                "required_on_create": e.required_fields(),
            });
            if let Some(parent) = e.parent() {
                item["parent"] = json!(parent);
            }
            item
        })
        .collect();
    // Aliases of paths that are not core entities: searchable, without field checks.
    let other_paths: Vec<Value> = ALIASES
        .iter()
        .filter(|(alias, path)| registry().entity_for_path(path).is_none() && keep(&[alias, path]))
        .map(|(alias, path)| json!({"alias": alias, "path": path}))
        .collect();
    json!({
        "entities": entities,
        "other_paths": other_paths,
        "notes": [
            "Pass an entity's name (or an alias, or its path) as `entity` to search, get, count and the write tools.",
            "A child entity's path has {parentId}: use e.g. tickets/42/notes as the entity.",
            "Any other API path (e.g. procurement/catalog, finance/agreements/5/additions) works too, without field checks.",
            "Call describe_entity for an entity's fields before writing conditions or records.",
        ],
    })
}

/// One entity's fields (or, with `field`, the fields of one of its references, objects or
/// lists): names, types, enums, maximum lengths, whether required, read-only or nullable.
pub fn entity(name: &str, field: Option<&str>) -> CliResult<Value> {
    let entity = paths::entity(name)?;
    let Some(field) = field else {
        return Ok(whole_entity(entity));
    };
    let info = entity
        .field(field)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let schema = info
        .ty
        .schema_name()
        .and_then(|name| registry().schema(name))
        .ok_or_else(|| {
            CliError::usage(format!(
                "`{}` is {} and has no fields of its own; describe_entity without `field` lists it",
                info.path, info.ty
            ))
        })?;
    let mut doc = json!({
        "entity": entity.name(),
        "field": info.path,
        "type": type_name(&info.ty),
        "fields": fields(schema, &[])
            .into_iter()
            .filter(|f| f["name"] != "_info")
            .collect::<Vec<_>>(),
    });
    // The list itself, or a path inside one.
    let list = match &info.ty {
        FieldType::Array(_) => Some(info.path.clone()),
        _ => info.array.clone(),
    };
    if let Some(list) = list {
        doc["note"] = json!(format!(
            "`{list}` is a list: conditions on its items go in child_conditions (e.g. {list}/FIELD = ...)"
        ));
    } else if matches!(info.ty, FieldType::Reference(_)) {
        doc["note"] = json!(format!(
            "a reference: filter on {0}/id or {0}/name, set it with {{\"id\": N}} (update_fields: \"{0}/id\": N)",
            info.path
        ));
    }
    Ok(doc)
}

fn whole_entity(entity: &Entity) -> Value {
    let schema = entity.schema();
    let mut doc = json!({
        "entity": entity.name(),
        "path": entity.path(),
        "required_on_create": entity.required_fields(),
        "fields": fields(schema, entity.required_fields()),
        "notes": [
            "Reference fields (type reference) are filtered and selected by sub-field: status/name, company/id. describe_entity with `field` lists a reference's or list's own fields.",
            "Fields of lists (type list) go in child_conditions; custom fields in custom_field_conditions (caption = \"X\" and value = \"Y\").",
            "read_only fields are set by the server; `_info` holds lastUpdated, dateEntered, updatedBy, enteredBy.",
        ],
    });
    if let Some(columns) = paths::default_columns(entity) {
        doc["default_search_fields"] = json!(columns);
    }
    if let Some(parent) = entity.parent() {
        doc["parent"] = json!(parent);
    }
    doc
}

/// One compact entry per property.
fn fields(schema: &Schema, required: &[String]) -> Vec<Value> {
    schema
        .properties()
        .iter()
        .map(|p| field_entry(p, required.iter().any(|r| r.eq_ignore_ascii_case(&p.name))))
        .collect()
}

fn field_entry(p: &Property, required: bool) -> Value {
    let mut entry = Map::new();
    entry.insert("name".into(), json!(p.name));
    entry.insert("type".into(), json!(type_name(&p.ty)));
    match &p.ty {
        FieldType::String {
            max_length: Some(max),
        } => {
            entry.insert("max_length".into(), json!(max));
        }
        FieldType::Enum(values) => {
            entry.insert("values".into(), json!(values));
        }
        FieldType::Reference(schema) => {
            if let Some(target) = cwpsa_core::schema::reference_entity(schema) {
                entry.insert("references".into(), json!(target));
            }
            if let Some(s) = registry().schema(schema) {
                entry.insert("sub_fields".into(), json!(sub_fields(s)));
            }
        }
        FieldType::Object(schema) => {
            if let Some(s) = registry().schema(schema) {
                entry.insert("sub_fields".into(), json!(sub_fields(s)));
            }
        }
        FieldType::Array(item) => {
            entry.insert("items".into(), json!(type_name(item)));
        }
        _ => {}
    }
    if required {
        entry.insert("required".into(), json!(true));
    }
    if p.read_only {
        entry.insert("read_only".into(), json!(true));
    }
    Value::Object(entry)
}

/// A reference's or object's field names, `_info` left out.
fn sub_fields(schema: &Schema) -> Vec<&str> {
    schema
        .properties()
        .iter()
        .map(|p| p.name.as_str())
        .filter(|n| *n != "_info")
        .collect()
}

/// A short type name: `string`, `reference`, `list of reference`, ...
fn type_name(ty: &FieldType) -> String {
    match ty {
        FieldType::Enum(_) => "enum".into(),
        FieldType::Reference(_) => "reference".into(),
        FieldType::Object(_) => "object".into(),
        FieldType::Array(item) => format!("list of {}", type_name(item)),
        FieldType::Map(value) => format!("map of {}", type_name(value)),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn entities_list_paths_and_required_fields() {
        let doc = entities(None);
        let tickets = doc["entities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == "tickets")
            .unwrap();
        assert_eq!(tickets["path"], "service/tickets");
        assert_eq!(tickets["required_on_create"], json!(["summary", "company"]));
        let filtered = entities(Some("NOTE"));
        let names: Vec<&str> = filtered["entities"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["ticket_notes"]);
    }

    #[test]
    fn an_entity_describes_types_enums_references_and_required_fields() {
        let doc = entity("tickets", None).unwrap();
        let field = |name: &str| {
            doc["fields"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["name"] == name)
                .unwrap()
                .clone()
        };
        assert_eq!(field("summary")["required"], json!(true));
        assert!(field("summary")["max_length"].is_u64());
        assert_eq!(field("status")["type"], "reference");
        assert!(
            field("status")["sub_fields"]
                .as_array()
                .unwrap()
                .contains(&json!("name"))
        );
        assert_eq!(field("company")["references"], "companies");
        assert_eq!(field("severity")["type"], "enum");
        assert!(
            field("severity")["values"]
                .as_array()
                .unwrap()
                .contains(&json!("High"))
        );
        assert_eq!(field("id")["read_only"], json!(true));
        assert!(doc["default_search_fields"].is_array());
    }

    #[test]
    fn a_field_expands_to_its_own_fields_and_mistakes_say_what_exists() {
        let doc = entity("contacts", Some("communicationItems")).unwrap();
        assert!(doc["note"].as_str().unwrap().contains("child_conditions"));
        assert!(
            doc["fields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["name"] == "value")
        );
        let e = entity("tickets", Some("summery")).unwrap_err();
        assert!(e.to_string().contains("did you mean `summary`"), "{e}");
        let e = entity("tickets", Some("summary")).unwrap_err();
        assert!(e.to_string().contains("no fields of its own"), "{e}");
        let e = entity("tikets", None).unwrap_err();
        let e = e.to_string();
        assert!(e.contains("did you mean `tickets`?"), "{e}");
        assert!(e.contains("any collection path of the API"), "{e}");
    }
}
