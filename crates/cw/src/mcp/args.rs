//! The arguments of each tool: typed for the handlers, and (through `schemars`) the JSON schema
//! the agent sees, with the doc comments as descriptions. Arguments the schema does not name are
//! refused before these are read (see `tools::call`), so a misspelled one is never ignored.

use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Fields as `"id,summary,status/name"` or `["id", "summary", "status/name"]`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum FieldList {
    Text(String),
    List(Vec<String>),
}

impl FieldList {
    /// Comma-separated, trimmed, empty entries left out.
    pub fn joined(&self) -> String {
        let parts: Vec<&str> = match self {
            FieldList::Text(text) => text.split(',').collect(),
            FieldList::List(list) => list.iter().map(String::as_str).collect(),
        };
        parts
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DescribeEntitiesArgs {
    /// Only entities whose name, alias or path contains this text, e.g. "ticket".
    #[schemars(example = &"ticket")]
    pub filter: Option<String>,
    /// Index of the first entity to list: the `start` a cut result names.
    pub start: Option<usize>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DescribeEntityArgs {
    /// The entity: a name from describe_entities, an alias or its path.
    #[schemars(example = &"tickets")]
    pub entity: String,
    /// A reference, object or list field to expand into its own fields, e.g. "status",
    /// "communicationItems", "customFields".
    #[schemars(example = &"communicationItems")]
    pub field: Option<String>,
    /// Index of the first field to list: the `start` a cut result names.
    pub start: Option<usize>,
}

/// The three filters, shared by search and count.
#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct Filters {
    /// Conditions on the records' fields, e.g. `closedFlag = false and priority/name contains
    /// "High"`. Strings in double quotes, date-times in brackets ([2024-01-31T00:00:00Z]),
    /// references by sub-field (status/name, company/id). check_conditions validates one.
    #[schemars(example = &"closedFlag = false and board/name = \"Help Desk\"")]
    pub conditions: Option<String>,
    /// Conditions on items of the records' lists, e.g.
    /// `communicationItems/value like "*@acme.com"` (contacts).
    pub child_conditions: Option<String>,
    /// Conditions on custom fields, e.g. `caption = "Region" and value = "North"`.
    pub custom_field_conditions: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SearchArgs {
    /// The entity (tickets, companies, contacts...; see describe_entities) or any list path of
    /// the API (tickets/42/notes, procurement/catalog).
    #[schemars(example = &"tickets")]
    pub entity: String,
    #[serde(flatten)]
    pub filters: Filters,
    /// Sort order, e.g. "priority/id asc, id desc". Without it records come by id, and `next`
    /// holds the `after_id` to pass for the following ones.
    #[schemars(example = &"dateEntered desc")]
    pub order_by: Option<String>,
    /// Fields to return: a list or a comma-separated text; sub-fields with a slash
    /// (status/name). Default: a useful set per entity. "*" returns every field (large).
    #[schemars(example = &"id,summary,status/name,company/name")]
    pub fields: Option<FieldList>,
    /// How many records to return (default and maximum set by the server's operator).
    #[schemars(range(min = 1))]
    pub limit: Option<u32>,
    /// Only records with an id above this: the `after_id` of the previous result's `next`
    /// (only without order_by).
    pub after_id: Option<i64>,
    /// Page number from 1 (only with order_by): the `page` of the previous result's `next`.
    #[schemars(range(min = 1))]
    pub page: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetArgs {
    /// The entity or API path (tickets, companies, tickets/42/notes, system/info).
    #[schemars(example = &"tickets")]
    pub entity: String,
    /// The record's id (leave out for a path that is a document itself, like system/info).
    #[schemars(example = 42)]
    pub id: Option<i64>,
    /// Fields to return (list or comma-separated). Default: every field.
    #[schemars(example = &"id,summary,status/name,initialDescription")]
    pub fields: Option<FieldList>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CountArgs {
    /// The entity or list path, as for search.
    #[schemars(example = &"tickets")]
    pub entity: String,
    #[serde(flatten)]
    pub filters: Filters,
}

/// Which parameter an expression is for.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConditionsKind {
    #[default]
    Conditions,
    ChildConditions,
    CustomFieldConditions,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CheckConditionsArgs {
    /// The expression to check.
    #[schemars(example = &"status/name = \"New\" and priority/id <= 2")]
    pub expression: String,
    /// Also check field names and value types against this entity.
    #[schemars(example = &"tickets")]
    pub entity: Option<String>,
    /// Which parameter the expression is for (default: conditions).
    pub kind: Option<ConditionsKind>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CreateArgs {
    /// The entity or list path to create in (tickets, companies, tickets/42/notes).
    #[schemars(example = &"tickets")]
    pub entity: String,
    /// The new record, with at least the entity's required fields (describe_entity).
    /// References by id: {"company": {"id": 5}}.
    #[schemars(example = serde_json::json!({"summary": "Printer offline", "company": {"id": 2}, "board": {"id": 1}}))]
    pub record: Map<String, Value>,
    /// Show the exact request instead of sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct UpdateFieldsArgs {
    /// The entity or path (tickets, companies, tickets/42/notes).
    #[schemars(example = &"tickets")]
    pub entity: String,
    /// The record's id.
    #[schemars(example = 42)]
    pub id: i64,
    /// Fields to set, each typed by the entity's schema: {"status/id": 5, "budgetHours": 2.5,
    /// "severity": "high", "contact": null}. A reference takes its id ("status": 5 or
    /// "status/id": 5) and is replaced whole; lists are given whole.
    #[schemars(example = serde_json::json!({"status/id": 5, "budgetHours": 2.5}))]
    #[serde(default)]
    pub set: Map<String, Value>,
    /// Top-level fields to clear, e.g. `["contact"]`.
    #[serde(default)]
    pub remove: Vec<String>,
    /// Show the exact PATCH request instead of sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AddTicketNoteArgs {
    /// The service ticket's id.
    #[schemars(example = 42)]
    pub ticket_id: i64,
    /// The note's text.
    #[schemars(example = &"Restarted the print spooler; printer back online.")]
    pub text: String,
    /// true (default): an internal note, not shown to the customer. false: a note on the
    /// ticket's description, visible to the customer.
    #[serde(default = "yes")]
    pub internal: bool,
    /// Also mark the note as the resolution.
    #[serde(default)]
    pub resolution: bool,
    /// Show the exact request instead of sending it.
    #[serde(default)]
    pub dry_run: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogTimeArgs {
    /// The service ticket the time is charged to.
    #[schemars(example = 42)]
    pub ticket_id: i64,
    /// When the work started, e.g. 2024-01-31T14:00:00Z.
    #[schemars(example = &"2024-01-31T14:00:00Z")]
    pub time_start: String,
    /// When it ended; give this or `hours`.
    pub time_end: Option<String>,
    /// Hours worked; give this or `time_end`.
    #[schemars(example = 0.5)]
    pub hours: Option<f64>,
    /// What was done.
    pub notes: Option<String>,
    /// The member who worked, by identifier (default: the API member).
    pub member: Option<String>,
    /// Show the exact request instead of sending it.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DeleteArgs {
    /// The entity or path (tickets, tickets/42/notes).
    #[schemars(example = &"tickets")]
    pub entity: String,
    /// The record's id.
    #[schemars(example = 42)]
    pub id: i64,
    /// Show the exact request instead of sending it.
    #[serde(default)]
    pub dry_run: bool,
}

/// The JSON schema of `T` as a tool's input schema: draft 2020-12, everything inline (some
/// clients do not follow `$ref`), without the `$schema` and `title` noise.
pub fn input_schema<T: JsonSchema>() -> Map<String, Value> {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut map = match serde_json::to_value(schema) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    map.remove("title");
    map.remove("$defs");
    // Doc comments wrap lines; a description reads better as one paragraph.
    if let Some(Value::Object(properties)) = map.get_mut("properties") {
        for property in properties.values_mut() {
            if let Some(Value::String(text)) = property.get_mut("description") {
                *text = text.replace('\n', " ");
            }
        }
    }
    map.entry("type").or_insert_with(|| Value::from("object"));
    map
}
