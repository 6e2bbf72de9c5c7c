//! The tools: their names, descriptions and schemas ([`catalogue`]), and what each does
//! ([`call`]). Every tool returns compact JSON text cut to the output budget; every mistake is
//! a [`CliError`] whose text says what to change.

use std::sync::Arc;

use cwpsa::{Method, Query};
use cwpsa_core::schema::Entity;
use rmcp::model::{Tool, ToolAnnotations};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::Shared;
use super::args::{
    AddTicketNoteArgs, CheckConditionsArgs, ConditionsKind, CountArgs, CreateArgs, DeleteArgs,
    DescribeEntitiesArgs, DescribeEntityArgs, FieldList, Filters, GetArgs, LogTimeArgs, SearchArgs,
    UpdateFieldsArgs, input_schema,
};
use super::budget;
use super::describe::{self, CONDITIONS_HELP};
use crate::app::{FilterArgs, FilterNames, prepared_document};
use crate::commands::conditions::{self, Kind};
use crate::commands::list::fields_to_fetch;
use crate::commands::patch;
use crate::error::{CliError, CliResult};
use crate::paths::{self, Target};

/// The names of the filters in messages: the tools' argument names.
const FILTER_NAMES: FilterNames = ["conditions", "child_conditions", "custom_field_conditions"];

/// A tool's definition and whether it writes.
struct Definition {
    name: &'static str,
    description: String,
    schema: Map<String, Value>,
    writes: bool,
    destructive: bool,
}

impl Definition {
    fn read<T: schemars::JsonSchema>(name: &'static str, description: impl Into<String>) -> Self {
        Definition {
            name,
            description: description.into(),
            schema: input_schema::<T>(),
            writes: false,
            destructive: false,
        }
    }

    fn write<T: schemars::JsonSchema>(
        name: &'static str,
        description: impl Into<String>,
        destructive: bool,
    ) -> Self {
        Definition {
            writes: true,
            destructive,
            ..Definition::read::<T>(name, description)
        }
    }

    fn tool(self) -> Tool {
        let annotations = ToolAnnotations::new()
            .read_only(!self.writes)
            .destructive(self.destructive)
            .open_world(true);
        Tool::new(self.name, self.description, Arc::new(self.schema)).with_annotations(annotations)
    }
}

/// Every tool, the write tools last; `max_limit` goes into search's schema.
fn definitions(default_limit: u32, max_limit: u32) -> Vec<Definition> {
    let mut search = Definition::read::<SearchArgs>(
        "search",
        format!(
            "Find records of any entity with conditions. Returns compact JSON: `total` (from /count), `returned`, `more`, `next` (the arguments for the following records) and `records` (by default a useful set of fields per entity; ask for others with `fields`). Default limit {default_limit}, at most {max_limit}: narrow with conditions rather than paging through everything. {CONDITIONS_HELP}"
        ),
    );
    if let Some(limit) = search
        .schema
        .get_mut("properties")
        .and_then(|p| p.get_mut("limit"))
        .and_then(Value::as_object_mut)
    {
        limit.insert("maximum".into(), json!(max_limit));
        limit.insert("default".into(), json!(default_limit));
    }
    vec![
        Definition::read::<DescribeEntitiesArgs>(
            "describe_entities",
            "List the entities this server knows (tickets, companies, contacts, members, boards, projects, time entries...) with their API paths and required fields. Call it first to learn what `entity` to pass to the other tools.",
        ),
        Definition::read::<DescribeEntityArgs>(
            "describe_entity",
            "Show one entity's fields: names, types, enum values, maximum lengths, references and their sub-fields, required and read-only fields. Call it before writing conditions, choosing fields or creating a record, so that names and values are valid.",
        ),
        search,
        Definition::read::<GetArgs>(
            "get",
            "Fetch one record by id (all its fields unless `fields` is given), or a document path such as system/info. Use search to find ids.",
        ),
        Definition::read::<CountArgs>(
            "count",
            format!(
                "Count the records that match conditions, without fetching them. {CONDITIONS_HELP}"
            ),
        ),
        Definition::read::<CheckConditionsArgs>(
            "check_conditions",
            "Validate a conditions expression (optionally against an entity's fields and types) without calling the API. Returns the canonical form, or the error with a caret under the mistake so that you can fix it.",
        ),
        Definition::write::<CreateArgs>(
            "create",
            "Create a record (POST). Give the entity's required fields (describe_entity); references by id ({\"company\": {\"id\": 2}}). Use dry_run: true first to see the exact request.",
            false,
        ),
        Definition::write::<UpdateFieldsArgs>(
            "update_fields",
            "Change some fields of a record (PATCH), each value typed by the entity's schema: {\"status/id\": 5, \"budgetHours\": 2.5}. Other fields are left as they are. Use dry_run: true to see the exact request.",
            true,
        ),
        Definition::write::<AddTicketNoteArgs>(
            "add_ticket_note",
            "Add a note to a service ticket: internal by default (not shown to the customer). Use dry_run: true to see the exact request.",
            false,
        ),
        Definition::write::<LogTimeArgs>(
            "log_time",
            "Log time worked on a service ticket (a time entry): a start, and an end or a number of hours. Use dry_run: true to see the exact request.",
            false,
        ),
        Definition::write::<DeleteArgs>(
            "delete",
            "Delete a record. It cannot be undone: confirm with the user first, and use dry_run: true to see the exact request.",
            true,
        ),
    ]
}

/// The tools served: the write tools only when writes are allowed.
pub fn catalogue(allow_writes: bool, default_limit: u32, max_limit: u32) -> Vec<Tool> {
    definitions(default_limit, max_limit)
        .into_iter()
        .filter(|d| allow_writes || !d.writes)
        .map(Definition::tool)
        .collect()
}

/// Whether `name` is a write tool, for the message to an agent that calls one on a read-only
/// server (rare: the definitions are built again).
fn is_write_tool(name: &str) -> bool {
    definitions(1, 1).iter().any(|d| d.writes && d.name == name)
}

/// What a call produced: the result's JSON text, and whether it was a dry run.
pub struct Reply {
    pub text: String,
    pub dry_run: bool,
}

/// Runs tool `name` with `arguments`.
pub async fn call(shared: &Shared, name: &str, arguments: &Value) -> CliResult<Reply> {
    let Some(tool) = shared.tools.iter().find(|t| t.name == name) else {
        if is_write_tool(name) {
            return Err(CliError::usage(format!(
                "`{name}` is not available: this server is read-only. The operator can start it with `cw mcp --allow-writes` to enable create, update_fields, add_ticket_note, log_time and delete."
            )));
        }
        let names: Vec<&str> = shared.tools.iter().map(|t| t.name.as_ref()).collect();
        return Err(CliError::usage(format!(
            "there is no tool `{name}`; the tools are: {}",
            names.join(", ")
        )));
    };
    check_argument_names(&tool.input_schema, arguments)?;
    let max = shared.options.max_output;
    let text = match name {
        "describe_entities" => {
            let a: DescribeEntitiesArgs = parse(arguments)?;
            let doc = describe::entities(a.filter.as_deref());
            fit_list(doc, "entities", a.start.unwrap_or(0), max)?
        }
        "describe_entity" => {
            let a: DescribeEntityArgs = parse(arguments)?;
            let doc = describe::entity(&a.entity, a.field.as_deref())?;
            fit_list(doc, "fields", a.start.unwrap_or(0), max)?
        }
        "search" => search(shared, parse(arguments)?).await?,
        "get" => get(shared, parse(arguments)?).await?,
        "count" => count(shared, parse(arguments)?).await?,
        "check_conditions" => check_conditions(&parse(arguments)?)?,
        "create" | "update_fields" | "add_ticket_note" | "log_time" | "delete" => {
            return write(shared, name, arguments).await;
        }
        _ => return Err(CliError::other(format!("tool `{name}` has no handler"))),
    };
    Ok(Reply {
        text,
        dry_run: false,
    })
}

/// `doc` within the budget, its list `key` from entry `start` on: as many entries as fit, and
/// where a cut happened, the `start` that lists the rest.
fn fit_list(mut doc: Value, key: &str, start: usize, max: usize) -> CliResult<String> {
    let all = doc
        .get_mut(key)
        .and_then(Value::as_array_mut)
        .map(std::mem::take)
        .unwrap_or_default();
    let Some(items) = all.get(start..) else {
        return Err(CliError::usage(format!(
            "`start` {start} is past the end: there are {} {key}",
            all.len()
        )));
    };
    Ok(budget::fit_records(items, max, |kept, omitted| {
        let mut page = doc.clone();
        page[key] = json!(kept);
        if omitted > 0 {
            page["cut"] = json!({
                format!("{key}_omitted"): omitted,
                "reason": format!("the result was longer than the output budget ({max} characters)"),
                "to_get_the_rest": format!("call again with the same arguments and start = {}", start + kept.len()),
            });
        }
        page
    }))
}

/// Refuses arguments the tool's schema does not name, listing those it does.
fn check_argument_names(schema: &Map<String, Value>, arguments: &Value) -> CliResult {
    let Some(given) = arguments.as_object() else {
        return Err(CliError::usage("the arguments must be a JSON object"));
    };
    let known: Vec<&str> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let unknown: Vec<&str> = given
        .keys()
        .map(String::as_str)
        .filter(|k| !known.contains(k))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(CliError::usage(format!(
        "unknown argument{} {}; this tool takes: {}",
        if unknown.len() == 1 { "" } else { "s" },
        unknown
            .iter()
            .map(|u| format!("`{u}`"))
            .collect::<Vec<_>>()
            .join(", "),
        known.join(", ")
    )))
}

/// The arguments as `T`, or an error naming the argument and what it should be.
fn parse<T: DeserializeOwned>(arguments: &Value) -> CliResult<T> {
    serde_json::from_value(arguments.clone())
        .map_err(|e| CliError::usage(format!("invalid arguments: {e}")))
}

/// The target of an `entity` argument: an entity name, alias or API path.
fn target(entity: &str) -> CliResult<Target> {
    if entity.contains(['?', '#']) {
        return Err(CliError::usage(format!(
            "`{entity}`: give the entity or path alone; conditions, fields and order go in their own arguments"
        )));
    }
    // An entity's name stands for its path; a child entity's needs its parent's id.
    if let Some(e) = cwpsa_core::schema::registry().entity(entity) {
        if e.path().contains('{') {
            return Err(CliError::usage(format!(
                "`{entity}` belong to a parent record: pass the path with the parent's id, e.g. {}",
                e.path().replace("{parentId}", "42")
            )));
        }
        return paths::resolve(e.path());
    }
    paths::resolve(entity)
}

/// What a result calls its target: the entity's name, else the path.
fn label(target: &Target) -> &str {
    match target.entity {
        Some(e) => e.name(),
        None => &target.path,
    }
}

/// The fields to ask for: the caller's, `None` for every field ("*"), else the entity's
/// default set (every field when it has none).
fn fields_param(given: Option<&FieldList>, entity: Option<&Entity>) -> Option<String> {
    match given.map(FieldList::joined) {
        Some(f) if f == "*" || f.is_empty() => None,
        Some(f) => Some(f),
        None => entity
            .and_then(paths::default_columns)
            .map(|columns| columns.join(",")),
    }
}

/// `_info` (hrefs and audit stamps) is noise for an agent: left out of every record, and of the
/// references inside, unless the fields ask for it.
fn compact(record: &mut Value, keep_top_info: bool) {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("_info");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let Value::Object(map) = record else { return };
    let info = map.remove("_info");
    map.values_mut().for_each(strip);
    if let (true, Some(info)) = (keep_top_info, info) {
        map.insert("_info".into(), info);
    }
}

fn asks_for_info(fields: Option<&str>) -> bool {
    fields.is_some_and(|f| f.split(',').any(|f| f.trim().starts_with("_info")))
}

/// The query of the filters, and the schema's warnings.
fn filter_query(
    filters: &Filters,
    entity: Option<&'static Entity>,
) -> CliResult<(Query, Vec<String>)> {
    FilterArgs {
        conditions: filters.conditions.clone(),
        child_where: filters.child_conditions.clone(),
        custom_where: filters.custom_field_conditions.clone(),
    }
    .checked_query(entity, FILTER_NAMES)
}

async fn search(shared: &Shared, args: SearchArgs) -> CliResult<String> {
    let options = &shared.options;
    let target = target(&args.entity)?;
    let by_id = args.order_by.is_none();
    if by_id && args.page.is_some() {
        return Err(CliError::usage(
            "`page` goes with `order_by`; without order_by, pass the `after_id` of the previous result's `next`",
        ));
    }
    if !by_id && args.after_id.is_some() {
        return Err(CliError::usage(
            "`after_id` works only without `order_by`; with order_by, pass `page`",
        ));
    }
    if args.page == Some(0) {
        return Err(CliError::usage("`page` counts from 1"));
    }
    let limit = args.limit.unwrap_or(options.default_limit).max(1);
    let lowered = limit > options.max_limit;
    let limit = limit.min(options.max_limit);
    let fields = fields_param(args.fields.as_ref(), target.entity);
    let keep_info = asks_for_info(fields.as_deref());

    // The total counts every match; the page starts after the cursor.
    let (counted, warnings) = filter_query(&args.filters, target.entity)?;
    let mut filters = args.filters;
    let page = args.page.unwrap_or(1);
    let mut query = if let Some(after) = args.after_id {
        filters.conditions = Some(match &filters.conditions {
            // Checked above, so the caret of a mistake points into the agent's own text.
            Some(c) => format!("({c}) and id > {after}"),
            None => format!("id > {after}"),
        });
        filter_query(&filters, target.entity)?.0
    } else {
        counted.clone()
    };
    query = match &args.order_by {
        // One record more than the limit tells whether there are more.
        None => query.order_by("id asc").page_size(limit + 1),
        Some(order) => query.order_by(order.as_str()).page_size(limit),
    };
    if let Some(f) = &fields {
        query = query.fields(fields_to_fetch(f, by_id).as_str());
    }
    let what = format!("GET {}", target.path);
    query.validate().map_err(|e| CliError::api(&e, &what))?;
    let request = shared
        .client
        .request(Method::GET, &target.path)
        .query(&query)
        .param("page", page.to_string());
    let (records, total) = tokio::join!(
        request.send_json::<Vec<Value>>(),
        shared.client.count(&target.path, &counted)
    );
    let mut records = records.map_err(|e| CliError::api(&e, &what))?;
    // Some paths have no /count: the page alone then says whether there are more.
    let total = total.ok();
    let fetched = records.len();
    records.truncate(limit as usize);
    for r in &mut records {
        compact(r, keep_info);
    }
    let offset = u64::from(page - 1) * u64::from(limit);
    let render = |kept: &[Value], omitted: usize| {
        let returned = kept.len();
        let more = if by_id {
            omitted > 0 || fetched > limit as usize
        } else {
            omitted > 0 || total.map_or(fetched == limit as usize, |t| t > offset + returned as u64)
        };
        // After a cut by the budget, paging by number cannot resume mid-page: no `next`.
        let next = match kept.last().and_then(|r| r["id"].as_i64()) {
            Some(last) if more && by_id => json!({"after_id": last}),
            _ if more && !by_id && omitted == 0 => json!({"page": page + 1}),
            _ => Value::Null,
        };
        let mut doc = json!({
            "entity": label(&target),
            "total": total,
            "returned": returned,
            "more": more,
            "next": next,
            "records": kept,
        });
        if !warnings.is_empty() {
            doc["warnings"] = json!(warnings);
        }
        if lowered {
            doc["note"] = json!(format!(
                "limit lowered to {} (this server's maximum)",
                options.max_limit
            ));
        }
        if omitted > 0 {
            let how = if by_id {
                "call search again with the same arguments and `next`; ask for fewer `fields` to get more per call".to_owned()
            } else {
                format!(
                    "ask for fewer `fields`, or a `limit` of {returned} or less and page from the start (`page` counts pages of `limit` records)"
                )
            };
            doc["cut"] = json!({
                "records_omitted": omitted,
                "reason": format!("the result was longer than the output budget ({} characters)", options.max_output),
                "to_get_the_rest": how,
            });
        }
        doc
    };
    Ok(budget::fit_records(&records, options.max_output, render))
}

async fn get(shared: &Shared, args: GetArgs) -> CliResult<String> {
    let mut target = target(&args.entity)?;
    if let Some(id) = args.id {
        target = target.child(&id.to_string())?;
    } else if target.entity.is_some() {
        return Err(CliError::usage(format!(
            "`{}` is a list: give the record's `id`, or use search to find records",
            args.entity
        )));
    }
    let fields = args.fields.as_ref().map(FieldList::joined);
    let what = format!("GET {}", target.path);
    let mut request = shared.client.request(Method::GET, &target.path);
    if let Some(f) = &fields {
        let query = Query::new().fields(f.as_str());
        query.validate().map_err(|e| CliError::api(&e, &what))?;
        request = request.query(&query);
    }
    let mut body: Value = request
        .send_json()
        .await
        .map_err(|e| CliError::api(&e, &what))?;
    let keep_info = asks_for_info(fields.as_deref());
    let max = shared.options.max_output;
    if let Value::Array(records) = &mut body {
        for r in records.iter_mut() {
            compact(r, keep_info);
        }
        return Ok(budget::fit_records(records, max, |kept, omitted| {
            let mut doc = json!({"returned": kept.len(), "records": kept});
            if omitted > 0 {
                doc["cut"] = json!({
                    "records_omitted": omitted,
                    "to_get_the_rest": "this path is a list: use search, which pages",
                });
            }
            doc
        }));
    }
    compact(&mut body, keep_info);
    Ok(budget::fit_value(
        json!({"record": body}),
        max,
        "ask for the `fields` you need",
    ))
}

async fn count(shared: &Shared, args: CountArgs) -> CliResult<String> {
    let target = target(&args.entity)?;
    let (query, warnings) = filter_query(&args.filters, target.entity)?;
    let what = format!("GET {}/count", target.path);
    query.validate().map_err(|e| CliError::api(&e, &what))?;
    let n = shared
        .client
        .count(&target.path, &query)
        .await
        .map_err(|e| CliError::api(&e, &what))?;
    let mut doc = json!({"entity": label(&target), "count": n});
    if !warnings.is_empty() {
        doc["warnings"] = json!(warnings);
    }
    Ok(budget::fit_value(doc, shared.options.max_output, ""))
}

fn check_conditions(args: &CheckConditionsArgs) -> CliResult<String> {
    let kind = match args.kind.unwrap_or_default() {
        ConditionsKind::Conditions => Kind::Conditions,
        ConditionsKind::ChildConditions => Kind::Child,
        ConditionsKind::CustomFieldConditions => Kind::CustomField,
    };
    let expr = conditions::check(&args.expression, args.entity.as_deref(), kind)?;
    Ok(json!({"valid": true, "canonical": expr.to_string()}).to_string())
}

/// The write tools: each builds its request, then sends it or, with `dry_run`, shows it.
async fn write(shared: &Shared, name: &str, arguments: &Value) -> CliResult<Reply> {
    let (method, target, body, dry_run, mut warnings) = match name {
        "create" => {
            let a: CreateArgs = parse(arguments)?;
            let target = target(&a.entity)?;
            let warnings = check_new_record(&a.record, target.entity)?;
            (
                Method::POST,
                target,
                Some(Value::Object(a.record)),
                a.dry_run,
                warnings,
            )
        }
        "update_fields" => {
            let a: UpdateFieldsArgs = parse(arguments)?;
            let target = target(&a.entity)?.child(&a.id.to_string())?;
            let set: Vec<String> = a
                .set
                .iter()
                .map(|(k, v)| assignment(k, v, target.entity))
                .collect();
            let ops = patch::operations(&set, &a.remove, target.entity).map_err(|e| {
                e.with_detail("update_fields takes `set` as {\"field\": value} (sub-fields as \"status/id\": 5) and `remove` as [\"field\"]")
            })?;
            let body = serde_json::to_value(&ops).map_err(|e| CliError::other(e.to_string()))?;
            (Method::PATCH, target, Some(body), a.dry_run, Vec::new())
        }
        "add_ticket_note" => {
            let a: AddTicketNoteArgs = parse(arguments)?;
            if a.text.trim().is_empty() {
                return Err(CliError::usage("`text` is empty: a note needs text"));
            }
            let target = paths::resolve(&format!("tickets/{}/notes", a.ticket_id))?;
            let body = json!({
                "text": a.text,
                "internalAnalysisFlag": a.internal,
                "detailDescriptionFlag": !a.internal,
                "resolutionFlag": a.resolution,
            });
            (Method::POST, target, Some(body), a.dry_run, Vec::new())
        }
        "log_time" => {
            let a: LogTimeArgs = parse(arguments)?;
            let body = time_entry(&a)?;
            (
                Method::POST,
                paths::resolve("time/entries")?,
                Some(body),
                a.dry_run,
                Vec::new(),
            )
        }
        "delete" => {
            let a: DeleteArgs = parse(arguments)?;
            let target = target(&a.entity)?.child(&a.id.to_string())?;
            (Method::DELETE, target, None, a.dry_run, Vec::new())
        }
        _ => return Err(CliError::other(format!("`{name}` is not a write tool"))),
    };
    let what = format!("{method} {}", target.path);
    let mut request = shared.client.request(method.clone(), &target.path);
    if let Some(body) = &body {
        request = request.json(body);
    }
    let max = shared.options.max_output;
    if dry_run {
        let base = shared
            .client
            .known_base_url()
            .or_else(|| shared.preview_base.clone())
            .ok_or_else(|| CliError::config("no base URL to show the request against"))?;
        let prepared = request
            .prepare(&base)
            .map_err(|e| CliError::api(&e, &what))?;
        let mut notes = vec!["nothing was sent: call again without dry_run to send it".to_owned()];
        notes.append(&mut warnings);
        return Ok(Reply {
            text: budget::fit_value(prepared_document(&prepared, &notes), max, ""),
            dry_run: true,
        });
    }
    let mut doc = if method == Method::DELETE {
        request.send().await.map_err(|e| CliError::api(&e, &what))?;
        json!({"deleted": target.path})
    } else {
        let mut record: Value = request
            .send_json()
            .await
            .map_err(|e| CliError::api(&e, &what))?;
        compact(&mut record, false);
        let verb = if method == Method::PATCH {
            "updated"
        } else {
            "created"
        };
        json!({verb: target.path, "record": record})
    };
    if !warnings.is_empty() {
        doc["warnings"] = json!(warnings);
    }
    Ok(Reply {
        text: budget::fit_value(doc, max, "get the record with the `fields` you need"),
        dry_run: false,
    })
}

/// One `update_fields` entry in `patch --set` syntax, so that it is typed by the same rules:
/// scalars as text (`status=5` becomes a reference by id, `severity=high` the enum's spelling),
/// lists and objects as JSON, and strings as JSON too where no schema would keep them text.
fn assignment(field: &str, value: &Value, entity: Option<&Entity>) -> String {
    match value {
        Value::String(text) if entity.is_some() => format!("{field}={text}"),
        Value::Number(_) | Value::Bool(_) | Value::Null => format!("{field}={value}"),
        _ => format!("{field}:={value}"),
    }
}

/// A new record's missing required fields are an error; unknown fields a warning (the schema
/// may be older than the server).
fn check_new_record(
    record: &Map<String, Value>,
    entity: Option<&Entity>,
) -> CliResult<Vec<String>> {
    let Some(entity) = entity else {
        return Ok(Vec::new());
    };
    let has = |name: &str| record.keys().any(|k| k.eq_ignore_ascii_case(name));
    let missing: Vec<&str> = entity
        .required_fields()
        .iter()
        .map(String::as_str)
        .filter(|f| !has(f))
        .collect();
    if !missing.is_empty() {
        return Err(CliError::usage(format!(
            "a new record of {} needs {}; missing: {}",
            entity.name(),
            entity.required_fields().join(", "),
            missing.join(", ")
        ))
        .with_detail("describe_entity lists the fields and their types; references by id: {\"company\": {\"id\": 2}}"));
    }
    Ok(record
        .keys()
        .filter_map(|k| entity.field(k).err().map(|e| e.to_string()))
        .collect())
}

/// The time entry of `log_time`.
fn time_entry(a: &LogTimeArgs) -> CliResult<Value> {
    let date_time = |name: &str, text: &str| {
        cwpsa_core::conditions::parse(&format!("x = [{text}]"))
            .map(|_| ())
            .map_err(|_| {
                CliError::usage(format!(
                    "`{name}` must be a date-time like 2024-01-31T14:00:00Z; `{text}` is not"
                ))
            })
    };
    date_time("time_start", &a.time_start)?;
    if let Some(end) = &a.time_end {
        date_time("time_end", end)?;
    }
    if a.time_end.is_none() && a.hours.is_none() {
        return Err(CliError::usage(
            "give `time_end` or `hours`: how long the work took",
        ));
    }
    if let Some(h) = a.hours
        && !(h > 0.0 && h <= 24.0)
    {
        return Err(CliError::usage(format!(
            "`hours` must be more than 0 and at most 24; {h} is not"
        )));
    }
    let mut body = json!({
        "chargeToId": a.ticket_id,
        "chargeToType": "ServiceTicket",
        "timeStart": a.time_start,
    });
    if let Some(end) = &a.time_end {
        body["timeEnd"] = json!(end);
    }
    if let Some(h) = a.hours {
        body["actualHours"] = json!(h);
    }
    if let Some(notes) = &a.notes {
        body["notes"] = json!(notes);
    }
    if let Some(member) = &a.member {
        body["member"] = json!({"identifier": member});
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn write_tools_are_listed_only_when_allowed() {
        let names = |allow| -> Vec<String> {
            catalogue(allow, 10, 100)
                .iter()
                .map(|t| t.name.to_string())
                .collect()
        };
        let read_only = names(false);
        assert_eq!(
            read_only,
            [
                "describe_entities",
                "describe_entity",
                "search",
                "get",
                "count",
                "check_conditions"
            ]
        );
        let all = names(true);
        assert_eq!(all.len(), 11);
        for name in &all {
            assert_eq!(is_write_tool(name), !read_only.contains(name), "{name}");
        }
    }

    #[test]
    fn schemas_are_inline_objects_with_described_properties() {
        for tool in catalogue(true, 10, 100) {
            let schema = Value::Object((*tool.input_schema).clone());
            assert_eq!(schema["type"], "object", "{}", tool.name);
            let text = schema.to_string();
            assert!(!text.contains("$ref"), "{}: {text}", tool.name);
            for (name, property) in schema["properties"].as_object().unwrap() {
                let description = property["description"].as_str();
                assert!(
                    description.is_some_and(|d| !d.contains('\n')),
                    "{}.{name}: one-paragraph description wanted",
                    tool.name
                );
            }
        }
        let search = catalogue(false, 10, 50)
            .into_iter()
            .find(|t| t.name == "search")
            .unwrap();
        assert_eq!(search.input_schema["properties"]["limit"]["maximum"], 50);
    }

    #[test]
    fn update_fields_entries_take_the_patch_syntax() {
        let tickets = cwpsa_core::schema::registry().entity("tickets");
        assert_eq!(assignment("status", &json!(5), tickets), "status=5");
        assert_eq!(assignment("summary", &json!("123"), tickets), "summary=123");
        assert_eq!(
            assignment("summary", &json!("123"), None),
            "summary:=\"123\""
        );
        assert_eq!(assignment("contact", &Value::Null, tickets), "contact=null");
        assert_eq!(
            assignment("customFields", &json!([{"id": 1}]), tickets),
            "customFields:=[{\"id\":1}]"
        );
    }

    #[test]
    fn unknown_arguments_are_named_with_the_known_ones() {
        let schema = input_schema::<CountArgs>();
        let e =
            check_argument_names(&schema, &json!({"entity": "tickets", "where": "x"})).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("`where`") && text.contains("conditions"),
            "{text}"
        );
        assert!(
            check_argument_names(
                &schema,
                &json!({"entity": "tickets", "conditions": "id = 1"})
            )
            .is_ok()
        );
    }

    #[test]
    fn info_is_dropped_unless_asked_for() {
        let mut r = json!({"id": 1, "_info": {"lastUpdated": "x"}, "status": {"id": 2, "_info": {"h": "u"}}});
        compact(&mut r, true);
        assert_eq!(
            r,
            json!({"id": 1, "_info": {"lastUpdated": "x"}, "status": {"id": 2}})
        );
        compact(&mut r, false);
        assert_eq!(r, json!({"id": 1, "status": {"id": 2}}));
        assert!(asks_for_info(Some("id,_info/lastUpdated")));
        assert!(!asks_for_info(Some("id")));
        assert!(!asks_for_info(None));
    }
}
