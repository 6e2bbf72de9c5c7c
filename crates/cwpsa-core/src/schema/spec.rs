//! Reading `spec/connectwise-api.json` into [`Schema`]s.
//!
//! `serde_json` (without `preserve_order`) sorts object keys, so maps whose order matters (the
//! schemas and their properties) are read through [`OrderedMap`], which keeps document order.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};
use serde_json::Value;

use super::types::{FieldType, Property, Schema};

/// The embedded API description.
pub(crate) const SPEC_JSON: &str = include_str!("../../spec/connectwise-api.json");

/// A JSON object read as a list of entries in document order.
#[derive(Debug)]
pub(crate) struct OrderedMap<T, K = String>(pub(crate) Vec<(K, T)>);

impl<T, K> Default for OrderedMap<T, K> {
    fn default() -> Self {
        OrderedMap(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>, K: Deserialize<'de>> Deserialize<'de> for OrderedMap<T, K> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T, K>(PhantomData<(T, K)>);
        impl<'de, T: Deserialize<'de>, K: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T, K> {
            type Value = OrderedMap<T, K>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some((key, value)) = map.next_entry::<K, T>()? {
                    entries.push((key, value));
                }
                Ok(OrderedMap(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(PhantomData))
    }
}

/// The parts of the description the registry reads. Path strings borrow from the embedded
/// text (they hold no escapes), so operations and entities can hand out `&'static str`.
#[derive(Debug, Deserialize)]
pub(crate) struct SpecFile {
    pub(crate) schemas: OrderedMap<RawSchema>,
    #[serde(borrow)]
    pub(crate) paths: OrderedMap<OrderedMap<RawOperation<'static>, &'static str>, &'static str>,
    #[serde(default, borrow)]
    pub(crate) defects: Vec<Defect<'static>>,
}

/// One operation of a path, keyed by its lower-case method in the description.
#[derive(Debug, Deserialize)]
pub(crate) struct RawOperation<'a> {
    #[serde(rename = "operationId", borrow)]
    pub(crate) operation_id: &'a str,
    #[serde(default, borrow)]
    pub(crate) body: Option<&'a str>,
    #[serde(borrow)]
    pub(crate) response: RawResponse<'a>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawResponse<'a> {
    #[serde(default)]
    pub(crate) array: bool,
    #[serde(default, borrow)]
    pub(crate) schema: Option<&'a str>,
}

/// One entry of the description's `defects` block (only the keys the registry reads).
#[derive(Debug, Deserialize)]
pub(crate) struct Defect<'a> {
    #[serde(borrow)]
    pub(crate) kind: &'a str,
    #[serde(default, borrow)]
    pub(crate) schema: Option<&'a str>,
    #[serde(default, borrow)]
    pub(crate) required: Option<&'a str>,
    #[serde(default, borrow)]
    pub(crate) property: Option<&'a str>,
    #[serde(default, borrow)]
    pub(crate) path: Option<&'a str>,
    #[serde(default, borrow, rename = "suggestedPath")]
    pub(crate) suggested_path: Option<&'a str>,
    #[serde(default, borrow, rename = "operationId")]
    pub(crate) operation_id: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RawSchema {
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    properties: OrderedMap<Value>,
    #[serde(default, rename = "additionalProperties")]
    additional_properties: Option<Value>,
}

/// Parses the embedded description. Only fails if the checked-in file is not valid JSON of the
/// expected shape, which a unit test rules out.
pub(crate) fn parse_spec() -> Result<SpecFile, serde_json::Error> {
    serde_json::from_str(SPEC_JSON)
}

/// Converts the raw schemas, applying the description's own `defects` block:
/// - `schemaWithoutProperties`: the schema accepts any property ([`Schema::allows_any_property`]);
/// - `requiredNameCaseMismatch`: `required` names a property in the wrong case, and the
///   description carries an empty ghost property under that spelling; the ghost is dropped and
///   the real property is marked required;
/// - `schemaIsIntersection`: its properties are already merged; nothing to do.
pub(crate) fn build_schemas(spec: &SpecFile) -> Vec<Schema> {
    let mut without_properties: Vec<&str> = Vec::new();
    // (schema, wrong spelling, real property)
    let mut case_mismatch: Vec<(&str, &str, &str)> = Vec::new();
    for defect in &spec.defects {
        match defect.kind {
            "schemaWithoutProperties" => {
                if let Some(schema) = defect.schema {
                    without_properties.push(schema);
                }
            }
            "requiredNameCaseMismatch" => {
                if let (Some(s), Some(r), Some(p)) =
                    (defect.schema, defect.required, defect.property)
                {
                    case_mismatch.push((s, r, p));
                }
            }
            _ => {}
        }
    }

    spec.schemas
        .0
        .iter()
        .map(|(name, raw)| {
            let mut required: Vec<&str> = raw.required.iter().map(String::as_str).collect();
            let mut ghosts: Vec<&str> = Vec::new();
            for &(schema, wrong, real) in &case_mismatch {
                if schema == name {
                    ghosts.push(wrong);
                    required.retain(|r| *r != wrong);
                    required.push(real);
                }
            }
            let is_reference = name.ends_with("Reference");
            let properties = raw
                .properties
                .0
                .iter()
                .filter(|(prop, _)| !ghosts.contains(&prop.as_str()))
                .map(|(prop, json)| {
                    let flag = |k: &str| json.get(k).and_then(Value::as_bool).unwrap_or(false);
                    Property {
                        name: prop.clone(),
                        ty: field_type(json),
                        nullable: flag("nullable"),
                        required: required.contains(&prop.as_str()) || flag("requiredReference"),
                        required_on_update: flag("requiredOnUpdate"),
                        read_only: prop == "_info"
                            || (prop == "id" && !is_reference && name != "CustomFieldValue"),
                    }
                })
                .collect();
            let additional = without_properties.contains(&name.as_str())
                || (raw.properties.0.is_empty() && raw.additional_properties.is_some());
            Schema::new(name.clone(), properties, additional)
        })
        .collect()
}

/// Maps one property (or `items`/`additionalProperties`) description to a [`FieldType`].
pub(crate) fn field_type(json: &Value) -> FieldType {
    if let Some(target) = json.get("$ref").and_then(Value::as_str) {
        return if target.ends_with("Reference") {
            FieldType::Reference(target.to_owned())
        } else {
            FieldType::Object(target.to_owned())
        };
    }
    let format = json.get("format").and_then(Value::as_str);
    match json.get("type").and_then(Value::as_str) {
        Some("integer") => FieldType::Integer,
        Some("number") => FieldType::Number,
        Some("boolean") => FieldType::Boolean,
        Some("string") => {
            if let Some(values) = json.get("enum").and_then(Value::as_array) {
                FieldType::Enum(
                    values
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                )
            } else if matches!(format, Some("date-time" | "date")) {
                FieldType::DateTime
            } else {
                let max_length = json
                    .get("maxLength")
                    .and_then(Value::as_u64)
                    .and_then(|n| u32::try_from(n).ok());
                FieldType::String { max_length }
            }
        }
        Some("array") => FieldType::Array(Box::new(
            json.get("items").map_or(FieldType::Any, field_type),
        )),
        Some("object") => match json.get("additionalProperties") {
            Some(inner) if inner.as_object().is_some_and(|o| !o.is_empty()) => {
                FieldType::Map(Box::new(field_type(inner)))
            }
            // `{}` is how the description renders C#'s `object`: any value.
            _ => FieldType::Any,
        },
        _ => FieldType::Any,
    }
}
