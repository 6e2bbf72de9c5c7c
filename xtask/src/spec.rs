//! The API description read into schemas and operations, with its `defects` block applied: the
//! description lists its own errors, and each kind is corrected here, in code, so that a new
//! version of the description is regenerated rather than patched by hand. A defect kind this
//! generator does not know stops it, as silently generating a wrong path would be worse.

use std::collections::BTreeMap;

use crate::json::Json;

/// Where the description lives (the copy embedded by `cwpsa-core`).
pub const SPEC_PATH: &str = "crates/cwpsa-core/spec/connectwise-api.json";

#[derive(Debug)]
pub struct Api {
    pub schemas: Vec<Schema>,
    pub operations: Vec<Operation>,
    /// The paths as the description spells them, and the operations under each.
    pub source_paths: usize,
    pub source_operations: usize,
}

#[derive(Debug)]
pub struct Schema {
    pub name: String,
    /// Properties in document order, each with its description fragment.
    pub properties: Vec<(String, Json)>,
    pub required: Vec<String>,
}

/// The HTTP methods of the description: the registry's own type, one definition for both
/// readers of the description.
pub use cwpsa_core::schema::Method;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    Integer,
    String,
    Boolean,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: ParamType,
}

#[derive(Debug, Clone)]
pub enum Body {
    /// A JSON document of a schema, or an array of them.
    Schema { name: String, array: bool },
    /// `PatchOperation[]`: sent as the client's `PatchOps`.
    Patch,
    /// A `multipart/form-data` upload (the client sends JSON only).
    Multipart(String),
}

#[derive(Debug, Clone)]
pub enum Response {
    /// No body (204, or a 200 the description types as nothing).
    Empty,
    Schema {
        name: String,
        array: bool,
    },
    /// A file (`application/octet-stream`, a PDF, HTML).
    Bytes,
    /// An array of the given item description (a response that is not a named schema).
    InlineArray(Json),
    /// Undocumented: any JSON.
    Any,
}

#[derive(Debug, Clone)]
pub struct Operation {
    pub id: String,
    /// The corrected path, without leading or trailing slash.
    pub path: String,
    pub method: Method,
    /// Every `{param}` of the path, in order.
    pub path_params: Vec<Param>,
    /// Query parameters beyond the list parameters every operation declares.
    pub extra_query: Vec<Param>,
    pub body: Option<Body>,
    pub response: Response,
}

/// The list parameters (conditions, paging) the description declares on nearly every GET.
const LIST_PARAMS: [&str; 8] = [
    "conditions",
    "childConditions",
    "customFieldConditions",
    "orderBy",
    "fields",
    "page",
    "pageSize",
    "pageId",
];

pub fn load(text: &str) -> Result<Api, String> {
    let doc: Json = serde_json::from_str(text).map_err(|e| format!("{SPEC_PATH}: {e}"))?;
    let defects = Defects::read(doc.get("defects").map_or(&[][..], Json::items))?;
    let schemas = read_schemas(&doc, &defects)?;
    let query_params = doc.get("queryParams").cloned().unwrap_or(Json::Null);
    let paths = doc.get("paths").map_or(&[][..], Json::entries);
    let mut operations = Vec::new();
    let mut source_operations = 0;
    let mut seen: BTreeMap<(String, Method), String> = BTreeMap::new();
    for (raw_path, methods) in paths {
        let path = defects.correct_path(raw_path);
        for (method, op) in methods.entries() {
            source_operations += 1;
            let method =
                Method::parse(method).ok_or_else(|| format!("unknown method `{method}`"))?;
            let operation = read_operation(&path, method, op, &defects, &query_params)
                .map_err(|e| format!("{} {raw_path}: {e}", method.as_str()))?;
            if let Some(other) = seen.insert((path.clone(), method), operation.id.clone()) {
                return Err(format!(
                    "{} {path}: `{other}` and `{}` collide after correcting the paths",
                    method.as_str(),
                    operation.id
                ));
            }
            operations.push(operation);
        }
    }
    operations.sort_by(|a, b| (&a.path, a.method).cmp(&(&b.path, b.method)));
    Ok(Api {
        schemas,
        operations,
        source_paths: paths.len(),
        source_operations,
    })
}

/// The corrections the `defects` block asks for, indexed for lookup.
#[derive(Default)]
struct Defects {
    /// Path as spelt → suggested path (trailing slashes, malformed templates, a missing `/`).
    suggested_paths: BTreeMap<String, String>,
    /// Lower-cased segment → the spelling to use (`entitytypes` → `entityTypes`).
    segment_spelling: BTreeMap<String, String>,
    /// operationId → parameters declared as path parameters that the template lacks: they are
    /// query parameters.
    not_in_template: BTreeMap<String, Vec<String>>,
    /// (path as spelt, parameter) declared by the template only: a string parameter.
    undeclared: Vec<(String, String)>,
    count_responses: Vec<String>,
    no_content: Vec<String>,
    missing_response: Vec<String>,
    inline_response: Vec<String>,
    bulk_responses: Vec<String>,
    body_missing: Vec<String>,
    /// schema → (required spelling, real property).
    required_case: Vec<(String, String, String)>,
}

impl Defects {
    fn read(list: &[Json]) -> Result<Defects, String> {
        let mut d = Defects::default();
        for defect in list {
            let s = |key: &str| {
                defect
                    .str(key)
                    .map(str::to_owned)
                    .ok_or_else(|| format!("defect without `{key}`: {defect:?}"))
            };
            match defect.str("kind").unwrap_or_default() {
                "pathTrailingSlash" | "malformedPathTemplate" | "pathParamWithoutSlash" => {
                    d.suggested_paths.insert(s("path")?, s("suggestedPath")?);
                }
                "segmentCaseVariants" => {
                    // The first spelling listed is the one kept.
                    let spellings = defect.get("spellings").map_or(&[][..], Json::items);
                    let first = spellings
                        .first()
                        .and_then(Json::as_str)
                        .ok_or("segmentCaseVariants without spellings")?;
                    d.segment_spelling
                        .insert(first.to_lowercase(), first.to_owned());
                }
                "pathParamNotInTemplate" => d
                    .not_in_template
                    .entry(s("operationId")?)
                    .or_default()
                    .push(s("param")?),
                "pathParamUndeclared" => d.undeclared.push((s("path")?, s("param")?)),
                "countPathNotCount" => d.count_responses.push(s("operationId")?),
                "noContentResponseWithBody" => d.no_content.push(s("operationId")?),
                "responseTypeMissing" => d.missing_response.push(s("operationId")?),
                "responseNotANamedSchema" => d.inline_response.push(s("operationId")?),
                "bulkResponseNotBulkResult" => d.bulk_responses.push(s("operationId")?),
                "requestBodyMissing" => d.body_missing.push(s("operationId")?),
                "requiredNameCaseMismatch" => {
                    d.required_case
                        .push((s("schema")?, s("required")?, s("property")?));
                }
                // Corrected by the others: colliding paths merge once corrected (and `load`
                // stops if two operations then share a path and method); an intersection's
                // properties are already merged; a schema without properties is an open
                // record (every field kept as sent).
                "pathsCollideWhenNormalised"
                | "schemaIsIntersection"
                | "schemaWithoutProperties" => {}
                other => return Err(format!("unknown defect kind `{other}`: {defect:?}")),
            }
        }
        Ok(d)
    }

    fn correct_path(&self, raw: &str) -> String {
        let path = self.suggested_paths.get(raw).map_or(raw, String::as_str);
        path.trim_matches('/')
            .split('/')
            .map(|segment| {
                self.segment_spelling
                    .get(&segment.to_lowercase())
                    .map_or(segment, String::as_str)
            })
            .collect::<Vec<_>>()
            .join("/")
    }
}

fn read_schemas(doc: &Json, defects: &Defects) -> Result<Vec<Schema>, String> {
    let mut schemas = Vec::new();
    for (name, raw) in doc.get("schemas").map_or(&[][..], Json::entries) {
        let mut required: Vec<String> = raw
            .get("required")
            .map_or(&[][..], Json::items)
            .iter()
            .filter_map(Json::as_str)
            .map(str::to_owned)
            .collect();
        let mut properties = raw
            .get("properties")
            .map_or(&[][..], Json::entries)
            .to_vec();
        for (schema, wrong, real) in &defects.required_case {
            if schema == name {
                // The wrong spelling is an empty ghost property; the real one is required.
                properties.retain(|(p, _)| p != wrong);
                required.retain(|r| r != wrong);
                required.push(real.clone());
            }
        }
        if let Some((p, _)) = properties
            .iter()
            .find(|(_, json)| json.entries().is_empty())
        {
            return Err(format!("schema {name}: property `{p}` has no description"));
        }
        schemas.push(Schema {
            name: name.clone(),
            properties,
            required,
        });
    }
    Ok(schemas)
}

fn param_type(json: &Json) -> ParamType {
    match json.str("type") {
        Some("number" | "integer") => ParamType::Integer,
        Some("boolean") => ParamType::Boolean,
        _ => ParamType::String,
    }
}

fn read_operation(
    path: &str,
    method: Method,
    op: &Json,
    defects: &Defects,
    query_params: &Json,
) -> Result<Operation, String> {
    let id = op.str("operationId").ok_or("no operationId")?.to_owned();
    let declared: Vec<Param> = op
        .get("pathParams")
        .map_or(&[][..], Json::items)
        .iter()
        .map(|p| Param {
            name: p.str("name").unwrap_or_default().to_owned(),
            ty: param_type(p),
        })
        .collect();
    // The template's parameters, typed by the declarations (undeclared ones are strings, as
    // the `pathParamUndeclared` defect says of the only case).
    let mut path_params = Vec::new();
    for segment in path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            match declared.iter().find(|p| p.name == name) {
                Some(p) => path_params.push(p.clone()),
                None if defects.undeclared.iter().any(|(_, p)| p == name) => {
                    path_params.push(Param {
                        name: name.to_owned(),
                        ty: ParamType::String,
                    });
                }
                None => return Err(format!("path parameter `{name}` is not declared")),
            }
        }
    }
    let mut extra_query = Vec::new();
    let moved = defects.not_in_template.get(&id);
    for p in op.get("extraPathParams").map_or(&[][..], Json::items) {
        let name = p.str("name").unwrap_or_default();
        if !moved.is_some_and(|m| m.iter().any(|n| n == name)) {
            return Err(format!(
                "`{name}` is outside the template and no defect says why"
            ));
        }
        extra_query.push(Param {
            name: name.to_owned(),
            ty: param_type(p),
        });
    }
    for q in op.get("query").map_or(&[][..], Json::items) {
        let name = q.as_str().unwrap_or_default();
        if !LIST_PARAMS.contains(&name) {
            let ty = query_params.get(name).map_or(ParamType::String, param_type);
            extra_query.push(Param {
                name: name.to_owned(),
                ty,
            });
        }
    }

    let body = match op.str("body") {
        None if defects.body_missing.contains(&id) && method == Method::Patch => Some(Body::Patch),
        None => None,
        Some("PatchOperation[]") => Some(Body::Patch),
        Some(name) if op.str("bodyContentType") == Some("multipart/form-data") => {
            Some(Body::Multipart(name.to_owned()))
        }
        Some(name) => Some(match name.strip_suffix("[]") {
            Some(item) => Body::Schema {
                name: item.to_owned(),
                array: true,
            },
            None => Body::Schema {
                name: name.to_owned(),
                array: false,
            },
        }),
    };

    let raw = op.get("response").ok_or("no response")?;
    let response = if defects.count_responses.contains(&id) {
        Response::Schema {
            name: "Count".to_owned(),
            array: false,
        }
    } else if defects.no_content.contains(&id) {
        Response::Empty
    } else if defects.missing_response.contains(&id) {
        Response::Any
    } else if defects.inline_response.contains(&id) {
        Response::InlineArray(raw.get("inline").cloned().ok_or("no inline response")?)
    } else if defects.bulk_responses.contains(&id) {
        Response::Schema {
            name: "BulkResult".to_owned(),
            array: false,
        }
    } else if raw.get("contentType").is_some() {
        Response::Bytes
    } else {
        match raw.str("schema") {
            Some(name) => Response::Schema {
                name: name.to_owned(),
                array: raw.flag("array"),
            },
            None => Response::Empty,
        }
    };
    Ok(Operation {
        id,
        path: path.to_owned(),
        method,
        path_params,
        extra_query,
        body,
        response,
    })
}
