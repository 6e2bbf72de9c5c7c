//! `--set FIELD=VALUE`, `--set FIELD:=JSON` and `--remove FIELD`, typed by the entity's schema.

use cwpsa_core::schema::{Entity, FieldType};
use serde_json::{Map, Value};

use crate::error::{CliError, CliResult};

/// The `--set` syntax, for the help of `patch` and `create`.
pub const SET_HELP: &str = "\
--set FIELD=VALUE takes the value's type from the field (when the path is a known entity):
  summary=\"Printer on fire\"   a string field stays a string, even summary=123
  budgetHours=2.5             numbers, integers: checked
  closedFlag=true             booleans: true or false
  severity=high               enums: spelled as the API does (High)
  status=5                    a reference by id: {\"id\": 5}
  status/name=Closed          a reference by another field: {\"name\": \"Closed\"}
  status.id=5                 `.` works like `/`
  contact=null                null clears a field
For paths of no known entity, VALUE is read as null, true/false, a number (no leading zeros),
else a string. FIELD:=JSON sets any JSON (lists, objects, a quoted string: summary:='\"null\"').
Several --set on one reference (status/id, status/name) make one object. A reference or object
is replaced whole. --remove FIELD removes a whole top-level field.";

/// One `--set`: the canonical top-level field, the rest of the path, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    pub path: Vec<String>,
    pub value: Value,
}

pub fn parse_set(text: &str, entity: Option<&Entity>) -> CliResult<Assignment> {
    let Some(eq) = text.find('=') else {
        return Err(CliError::usage(format!(
            "--set `{text}`: expected FIELD=VALUE or FIELD:=JSON"
        )));
    };
    let (mut key, raw) = (&text[..eq], &text[eq + 1..]);
    let json = key.ends_with(':');
    if json {
        key = &key[..key.len() - 1];
    }
    let key = key.trim().replace('.', "/");
    if key.is_empty() || key.split('/').any(str::is_empty) {
        return Err(CliError::usage(format!(
            "--set `{text}`: `{key}` is not a field name"
        )));
    }
    let json_value = if json {
        Some(serde_json::from_str::<Value>(raw).map_err(|e| {
            CliError::usage(format!("--set `{text}`: `{raw}` is not JSON ({e})"))
                .with_detail("FIELD:=JSON takes JSON: 5, true, \"text\", [..], {..}")
        })?)
    } else {
        None
    };
    let Some(entity) = entity else {
        let value = json_value.unwrap_or_else(|| infer(raw));
        return Ok(Assignment {
            path: key.split('/').map(str::to_owned).collect(),
            value,
        });
    };
    let info = entity
        .field(&key)
        .map_err(|e| CliError::usage(format!("--set: {e}")))?;
    let path: Vec<String> = info.path.split('/').map(str::to_owned).collect();
    if info.read_only {
        return Err(CliError::usage(format!(
            "--set: `{}` is set by the server",
            info.path
        )));
    }
    if let Some(value) = json_value {
        return Ok(Assignment { path, value });
    }
    if let Some(list) = &info.array {
        return Err(CliError::usage(format!(
            "--set: `{}` is a list (or inside one): set it whole with {list}:=JSON",
            info.path
        )));
    }
    let value = typed(raw, &info.ty, info.accepts_null, &info.path)?;
    Ok(Assignment { path, value })
}

/// `raw` as the field's type.
fn typed(raw: &str, ty: &FieldType, accepts_null: bool, path: &str) -> CliResult<Value> {
    if raw == "null" {
        return if accepts_null {
            Ok(Value::Null)
        } else {
            Err(CliError::usage(format!("--set: `{path}` cannot be null")))
        };
    }
    let wrong = |what: &str| CliError::usage(format!("--set: `{path}` is {what}; `{raw}` is not"));
    Ok(match ty {
        FieldType::Integer => raw
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| wrong("an integer"))?,
        FieldType::Number => number(raw.trim()).ok_or_else(|| wrong("a number"))?,
        FieldType::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(wrong("true or false")),
        },
        FieldType::Enum(_) => Value::String(ty.enum_value(raw).unwrap_or(raw).to_owned()),
        FieldType::String { max_length } => {
            let len = raw.chars().count();
            if let Some(max) = max_length
                && len > *max as usize
            {
                return Err(CliError::usage(format!(
                    "--set: `{path}` holds at most {max} characters; this value has {len}"
                )));
            }
            Value::String(raw.to_owned())
        }
        FieldType::DateTime => Value::String(raw.to_owned()),
        FieldType::Reference(_) => match raw.trim().parse::<i64>() {
            Ok(id) => serde_json::json!({ "id": id }),
            Err(_) => {
                return Err(CliError::usage(format!(
                    "--set: `{path}` is a reference: give its id ({path}=5) or one of its fields ({path}/name={raw})"
                )));
            }
        },
        FieldType::Object(_) | FieldType::Array(_) => {
            return Err(CliError::usage(format!(
                "--set: `{path}` is {}: set its fields ({path}/FIELD=VALUE) or all of it with {path}:=JSON",
                if matches!(ty, FieldType::Array(_)) {
                    "a list"
                } else {
                    "an object"
                }
            )));
        }
        FieldType::Map(_) | FieldType::Any => infer(raw),
    })
}

/// Without a schema: null, booleans, numbers without leading zeros, else text.
pub fn infer(raw: &str) -> Value {
    match raw {
        "null" => return Value::Null,
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        _ => {}
    }
    let digits = raw.strip_prefix('-').unwrap_or(raw);
    let (int_part, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let plain_int = !int_part.is_empty()
        && int_part.bytes().all(|b| b.is_ascii_digit())
        && !(int_part.len() > 1 && int_part.starts_with('0'));
    let plain_frac = frac.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    if plain_int
        && plain_frac
        && let Some(v) = number(raw)
    {
        return v;
    }
    Value::String(raw.to_owned())
}

fn number(raw: &str) -> Option<Value> {
    if let Ok(i) = raw.parse::<i64>() {
        return Some(Value::from(i));
    }
    let f = raw.parse::<f64>().ok().filter(|f| f.is_finite())?;
    serde_json::Number::from_f64(f).map(Value::Number)
}

/// The assignments as one object: `status/id=5` and `status/name=x` make
/// `{"status":{"id":5,"name":"x"}}`.
pub fn merge(assignments: &[Assignment]) -> CliResult<Map<String, Value>> {
    let mut root = Map::new();
    for a in assignments {
        let mut map = &mut root;
        let Some((last, parents)) = a.path.split_last() else {
            continue;
        };
        for segment in parents {
            let slot = map
                .entry(segment.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            map = match slot {
                Value::Object(m) => m,
                _ => {
                    return Err(CliError::usage(format!(
                        "--set: `{segment}` is given a value and fields at once"
                    )));
                }
            };
        }
        if map.get(last).is_some_and(Value::is_object) && !a.value.is_object() {
            return Err(CliError::usage(format!(
                "--set: `{}` is given a value and fields at once",
                a.path.join("/")
            )));
        }
        map.insert(last.clone(), a.value.clone());
    }
    Ok(root)
}

/// `--remove FIELD`: a whole top-level field, in the API's spelling when the entity is known.
pub fn parse_remove(text: &str, entity: Option<&Entity>) -> CliResult<String> {
    let key = text.trim().replace('.', "/");
    if key.is_empty() {
        return Err(CliError::usage("--remove needs a field name"));
    }
    let canonical = match entity {
        Some(entity) => {
            let info = entity
                .field(&key)
                .map_err(|e| CliError::usage(format!("--remove: {e}")))?;
            if info.read_only {
                return Err(CliError::usage(format!(
                    "--remove: `{}` is set by the server",
                    info.path
                )));
            }
            info.path
        }
        None => key,
    };
    if let Some((top, _)) = canonical.split_once('/') {
        return Err(CliError::usage(format!(
            "--remove `{canonical}`: remove a whole field (--remove {top}); a reference is replaced whole"
        )));
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cwpsa_core::schema::registry;
    use serde_json::json;

    fn tickets() -> Option<&'static Entity> {
        registry().entity("tickets")
    }

    fn set(text: &str) -> CliResult<Assignment> {
        parse_set(text, tickets())
    }

    #[test]
    fn values_take_the_field_type() {
        assert_eq!(set("summary=123").expect("ok").value, json!("123"));
        assert_eq!(set("budgetHours=2.5").expect("ok").value, json!(2.5));
        assert_eq!(set("budgetHours=2").expect("ok").value, json!(2));
        assert_eq!(set("closedFlag=TRUE").expect("ok").value, json!(true));
        assert_eq!(set("severity=high").expect("ok").value, json!("High"));
        let status = set("status=5").expect("ok");
        assert_eq!(
            (status.path.clone(), status.value),
            (vec!["status".to_owned()], json!({"id": 5}))
        );
        let nested = set("Status.Name=Closed").expect("ok");
        assert_eq!(nested.path, ["status", "name"]);
        assert_eq!(nested.value, json!("Closed"));
        assert_eq!(set("contact=null").expect("ok").value, Value::Null);
        assert_eq!(
            set("customFields:=[{\"id\":1,\"value\":\"x\"}]")
                .expect("ok")
                .value,
            json!([{"id": 1, "value": "x"}])
        );
        assert_eq!(set("summary:=\"null\"").expect("ok").value, json!("null"));
    }

    #[test]
    fn mistakes_are_usage_errors() {
        for (bad, says) in [
            ("budgetHours=lots", "is a number"),
            ("closedFlag=maybe", "true or false"),
            ("status=Closed", "is a reference"),
            ("summery=x", "did you mean `summary`"),
            ("id=5", "set by the server"),
            ("customFields=x", "a list"),
            ("summary", "FIELD=VALUE"),
            ("summary:=nope", "not JSON"),
        ] {
            let e = set(bad)
                .err()
                .unwrap_or_else(|| panic!("{bad} should fail"));
            assert_eq!(e.class, crate::error::Class::Usage);
            assert!(e.to_string().contains(says), "{bad}: {e}");
        }
        let long = format!("summary={}", "x".repeat(500));
        assert!(set(&long).is_err());
    }

    #[test]
    fn untyped_paths_infer() {
        assert_eq!(infer("5"), json!(5));
        assert_eq!(infer("-2.5"), json!(-2.5));
        assert_eq!(infer("01234"), json!("01234"));
        assert_eq!(infer("1e5"), json!("1e5"));
        assert_eq!(infer("true"), json!(true));
        assert_eq!(infer("hello world"), json!("hello world"));
        let a = parse_set("a.b=1", None).expect("ok");
        assert_eq!(a.path, ["a", "b"]);
    }

    #[test]
    fn assignments_merge_into_objects() {
        let all = [
            set("status/id=5").expect("ok"),
            set("status/name=Closed").expect("ok"),
            set("summary=x").expect("ok"),
        ];
        let merged = merge(&all).expect("merges");
        assert_eq!(
            Value::Object(merged),
            json!({"status": {"id": 5, "name": "Closed"}, "summary": "x"})
        );
        let clash = [
            parse_set("a=1", None).expect("ok"),
            parse_set("a/b=2", None).expect("ok"),
        ];
        assert!(merge(&clash).is_err());
        let clash = [
            parse_set("a/b=2", None).expect("ok"),
            parse_set("a=1", None).expect("ok"),
        ];
        assert!(merge(&clash).is_err());
    }

    #[test]
    fn removals_are_whole_fields() {
        assert_eq!(
            parse_remove("BudgetHours", tickets()).expect("ok"),
            "budgetHours"
        );
        assert!(parse_remove("status/id", tickets()).is_err());
        assert!(parse_remove("nope", tickets()).is_err());
        assert_eq!(parse_remove("x", None).expect("ok"), "x");
    }
}
