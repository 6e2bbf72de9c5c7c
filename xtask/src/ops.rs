//! Operations: a tree of handles in the octocrab style, one per collection path.
//!
//! `client.service()` is the `service` area's handle; `.tickets()` the handle of
//! `service/tickets`, whose methods are its operations (`list`, `create`, and on
//! `service/tickets/{id}`: `get`, `update`, `patch`, `delete`; `count` for
//! `service/tickets/count`); `.notes(ticket_id)` the handle of `service/tickets/{id}/notes`.
//! A path with one operation, no children and no records (an action such as
//! `service/tickets/{id}/merge`, or a single document such as `service/tickets/{id}/info`) is a
//! method of its parent that sends the request (`tickets().merge(id, &body)`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::models::{area_of, inline_type};
use crate::names::{ident, pascal, snake, unique};
use crate::spec::{Api, Body, Method, Operation, Param, ParamType, Response};

#[derive(Default)]
struct Node<'a> {
    /// Operations on the node's own path.
    own: Vec<&'a Operation>,
    /// Operations on `<node>/{param}`.
    records: Vec<&'a Operation>,
    count: Option<&'a Operation>,
    children: BTreeSet<String>,
}

fn is_param(segment: &str) -> bool {
    segment.starts_with('{')
}

fn param_name(segment: &str) -> &str {
    segment.trim_start_matches('{').trim_end_matches('}')
}

/// A node's identity: its template with the parameters unnamed (`service/boards/{}/statuses`),
/// as the description names one parameter `parentId` here and `grandparentId` there.
fn normalize(template: &str) -> String {
    template
        .split('/')
        .map(|s| if is_param(s) { "{}" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The argument that carries a path parameter: `id` for a record, `parent_id` for the
/// record a child collection belongs to; string parameters keep their names.
fn arg_name(param: &Param, record: bool) -> String {
    match (param.ty, record) {
        (ParamType::Integer, true) => "id".to_owned(),
        (ParamType::Integer, false) => "parent_id".to_owned(),
        _ => ident(&snake(&param.name)),
    }
}

/// The parent of a node, and the parameter segment between them (`service/tickets/{id}/notes`
/// → `service/tickets`, `{id}`).
fn parent_of(key: &str) -> Option<(String, Option<String>)> {
    let segments: Vec<&str> = key.split('/').collect();
    match segments.as_slice() {
        [rest @ .., p, _] if !rest.is_empty() && is_param(p) => {
            Some((rest.join("/"), Some((*p).to_owned())))
        }
        [rest @ .., _] if !rest.is_empty() => Some((rest.join("/"), None)),
        _ => None,
    }
}

fn is_list(op: &Operation) -> bool {
    op.method == Method::Get && matches!(op.response, Response::Schema { array: true, .. })
}

fn is_count(op: &Operation) -> bool {
    op.method == Method::Get
        && matches!(&op.response, Response::Schema { name, array: false } if name == "Count")
}

/// What the generator covered, per area: (paths, operations, typed operations).
#[derive(Debug, Default, Clone)]
pub struct Coverage {
    pub paths: usize,
    pub operations: usize,
    pub typed: usize,
    /// Operations left to the generic interface, with the reason.
    pub untyped: Vec<String>,
}

pub struct Ops {
    pub modules: BTreeMap<String, String>,
    pub coverage: BTreeMap<String, Coverage>,
}

pub fn generate(api: &Api, names: &BTreeMap<String, String>, header: &str) -> Result<Ops, String> {
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    // Node → the first template seen for it, with its parameters' names (for documentation).
    let mut templates: BTreeMap<String, String> = BTreeMap::new();
    for op in &api.operations {
        let segments: Vec<&str> = op.path.split('/').collect();
        let n = segments.len();
        let (template, role) = if is_param(segments[n - 1]) {
            (segments[..n - 1].join("/"), 'r')
        } else if n >= 3 && segments[n - 1] == "count" && !is_param(segments[n - 2]) && is_count(op)
        {
            (segments[..n - 1].join("/"), 'c')
        } else {
            (op.path.clone(), 'o')
        };
        if template.split('/').next_back().is_none_or(is_param) || template.is_empty() {
            return Err(format!("{}: a parameter follows a parameter", op.path));
        }
        let key = normalize(&template);
        let node = nodes.entry(key.clone()).or_default();
        match role {
            'r' => node.records.push(op),
            'c' if node.count.is_some() => {
                return Err(format!("{}: a second count for one collection", op.path));
            }
            'c' => node.count = Some(op),
            _ => node.own.push(op),
        }
        // Make every ancestor exist and know its child.
        let (mut child, mut child_template) = (key, template);
        while let (Some((parent, _)), Some((parent_template, _))) =
            (parent_of(&child), parent_of(&child_template))
        {
            templates.entry(child.clone()).or_insert(child_template);
            nodes
                .entry(parent.clone())
                .or_default()
                .children
                .insert(child);
            (child, child_template) = (parent, parent_template);
        }
        templates.entry(child).or_insert(child_template);
    }
    // A record's path may be given twice, by id and by a string (`system/info/members/{id}`
    // and `.../{memberIdentifier}`): the string one is named after its parameter. Anything
    // else twice would be two methods of one name.
    for (key, node) in &nodes {
        let mut seen = BTreeSet::new();
        for op in &node.records {
            let by_string = op
                .path_params
                .last()
                .is_some_and(|p| p.ty == ParamType::String);
            if !seen.insert((op.method, by_string)) {
                return Err(format!("{key}: {} twice", op.method.as_str()));
            }
        }
    }

    let flattened: BTreeSet<String> = nodes
        .iter()
        .filter(|(key, node)| {
            parent_of(key).is_some()
                && node.children.is_empty()
                && node.records.is_empty()
                && node.count.is_none()
                && node.own.len() == 1
                && !is_list(node.own[0])
        })
        .map(|(key, _)| key.clone())
        .collect();

    // Handle types are named by the path's literal segments (`ServiceTicketsNotesApi`); when
    // that is ambiguous, the one with more parameters names them too (`...ByIdInfoApi`).
    let mut type_names: BTreeMap<&str, String> = BTreeMap::new();
    let mut taken_types: BTreeMap<String, &str> = BTreeMap::new();
    let mut by_params: Vec<&str> = nodes
        .keys()
        .filter(|k| !flattened.contains(*k))
        .map(String::as_str)
        .collect();
    by_params.sort_by_key(|k| (k.matches('{').count(), *k));
    for key in by_params {
        let plain: String = key
            .split('/')
            .filter(|s| !is_param(s))
            .map(pascal)
            .collect::<String>()
            + "Api";
        let name = if taken_types.contains_key(&plain) {
            templates[key]
                .split('/')
                .map(|s| {
                    if is_param(s) {
                        format!("By{}", pascal(param_name(s)))
                    } else {
                        pascal(s)
                    }
                })
                .collect::<String>()
                + "Api"
        } else {
            plain
        };
        if let Some(other) = taken_types.insert(name.clone(), key) {
            return Err(format!("paths {other} and {key} both name {name}"));
        }
        type_names.insert(key, name);
    }

    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    let mut coverage: BTreeMap<String, Coverage> = BTreeMap::new();
    for op in &api.operations {
        coverage
            .entry(area_of(&op.path).to_owned())
            .or_default()
            .operations += 1;
    }
    let paths: BTreeSet<&str> = api.operations.iter().map(|o| o.path.as_str()).collect();
    for path in paths {
        coverage.entry(area_of(path).to_owned()).or_default().paths += 1;
    }

    for (key, node) in &nodes {
        if flattened.contains(key) {
            continue;
        }
        let area = area_of(key).to_owned();
        let out = modules.entry(area.clone()).or_insert_with(|| {
            format!(
                "{header}\n#![allow(unused_imports, clippy::wildcard_imports, clippy::doc_markdown, clippy::too_many_arguments)]\n\nuse futures_util::stream::BoxStream;\nuse reqwest::Method;\n\nuse crate::model::*;\nuse crate::node::Node;\nuse crate::{{Client, PatchOps, Query, Result}};\n\n"
            )
        });
        let cov = coverage.entry(area.clone()).or_default();
        let type_name = &type_names[key.as_str()];
        let is_root = parent_of(key).is_none();
        if is_root {
            let _ = write!(
                out,
                "impl Client {{\n    /// The `{key}` area of the API.\n    pub fn {}(&self) -> {type_name} {{\n        {type_name}(Node::root(self, {key:?}))\n    }}\n}}\n\n",
                ident(&snake(key))
            );
        }
        let _ = write!(
            out,
            "/// Operations under `{}`.\n#[derive(Debug, Clone)]\npub struct {type_name}(Node);\n\nimpl {type_name} {{\n",
            templates[key.as_str()]
        );
        let mut taken: Vec<String> = Vec::new();
        let mut methods = String::new();
        // Verbs first, so that children never take their names.
        for op in &node.records {
            let verb = match op.method {
                Method::Get => "get",
                Method::Put => "update",
                Method::Patch => "patch",
                Method::Delete => "delete",
                Method::Post => "post",
            };
            let param = op.path_params.last().cloned();
            let by_string =
                node.records.len() > 1 && param.as_ref().is_some_and(|p| p.ty == ParamType::String);
            let name = match &param {
                Some(p) if by_string => {
                    unique(&format!("{verb}_by_{}", snake(&p.name)), &mut taken)
                }
                _ => unique(verb, &mut taken),
            };
            methods += &method(&name, op, param.as_ref(), "", names, cov)?;
        }
        for op in &node.own {
            let verb = match op.method {
                Method::Get if is_list(op) => "list",
                Method::Get => "get",
                Method::Post => "create",
                Method::Put => "update",
                Method::Patch => "patch",
                Method::Delete => "delete",
            };
            let verb = if taken.iter().any(|t| t == verb) {
                format!("{verb}_all")
            } else {
                verb.to_owned()
            };
            let name = unique(&verb, &mut taken);
            methods += &method(&name, op, None, "", names, cov)?;
        }
        if let Some(op) = node.count {
            let name = unique("count", &mut taken);
            methods += &method(&name, op, None, "", names, cov)?;
        }
        // Children: `<key>/lit` before `<key>/{}/lit`, so that the record-level one of a
        // pair (`tickets/info` and `tickets/{id}/info`) is the one renamed (`info_for`).
        let mut children: Vec<(&String, bool)> = node
            .children
            .iter()
            .map(|c| (c, parent_of(c).is_some_and(|(_, p)| p.is_some())))
            .collect();
        children.sort_by_key(|(c, via)| (*via, (*c).clone()));
        for (child, via) in children {
            let literal = child.rsplit('/').next().unwrap_or_default();
            let mut name = snake(literal);
            if taken.contains(&name) {
                // `tickets/{id}/info` beside `tickets/info`; a segment named like a verb.
                name.push_str(if via { "_for" } else { "_segment" });
            }
            let name = unique(&name, &mut taken);
            let template = &templates[child.as_str()];
            // The parameter before the literal: the last of the child's.
            let param = if via {
                let index = child.matches("{}").count() - 1;
                api.operations
                    .iter()
                    .find(|op| {
                        let path = normalize(&op.path);
                        path == *child || path.starts_with(&format!("{child}/"))
                    })
                    .and_then(|op| op.path_params.get(index))
            } else {
                None
            };
            if flattened.contains(child) {
                let op = nodes[child].own[0];
                methods += &method(&name, op, param, child, names, cov)?;
                continue;
            }
            let child_type = &type_names[child.as_str()];
            match param {
                Some(p) => {
                    let arg = arg_name(p, false);
                    let _ = write!(
                        methods,
                        "    /// `{template}`.\n    pub fn {}(&self, {arg}: {}) -> {child_type} {{\n        {child_type}(self.0.child_of(&{arg}, {literal:?}))\n    }}\n\n",
                        ident(&name),
                        param_type(p.ty)
                    );
                }
                None if via => return Err(format!("{template}: no operation names its parameter")),
                None => {
                    let _ = write!(
                        methods,
                        "    /// `{template}`.\n    pub fn {}(&self) -> {child_type} {{\n        {child_type}(self.0.child({literal:?}))\n    }}\n\n",
                        ident(&name)
                    );
                }
            }
        }
        let _ = write!(
            out,
            "{}}}\n\n",
            methods.trim_end_matches('\n').to_owned() + "\n"
        );
    }
    Ok(Ops { modules, coverage })
}

fn param_type(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Integer => "i64",
        ParamType::String => "&str",
        ParamType::Boolean => "bool",
    }
}

fn option_type(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Integer => "Option<i64>",
        ParamType::String => "Option<&str>",
        ParamType::Boolean => "Option<bool>",
    }
}

/// One operation as a method. `param` is the path parameter the method takes (a record's id,
/// or the parent's id of a flattened child); `child` the literal segment a flattened child
/// adds to the handle's path.
fn method(
    name: &str,
    op: &Operation,
    param: Option<&Param>,
    child: &str,
    names: &BTreeMap<String, String>,
    cov: &mut Coverage,
) -> Result<String, String> {
    if let Some(Body::Multipart(schema)) = &op.body {
        cov.untyped.push(format!(
            "`{} {}` ({}): a `multipart/form-data` upload of `{schema}`",
            op.method.as_str(),
            op.path,
            op.id
        ));
        return Ok(String::new());
    }
    cov.typed += 1;
    let model = |schema: &str| {
        names
            .get(schema)
            .cloned()
            .ok_or_else(|| format!("{}: unknown schema {schema}", op.id))
    };
    let mut args = String::new();
    let param_arg = param.map(|p| arg_name(p, child.is_empty()));
    if let (Some(p), Some(arg)) = (param, &param_arg) {
        let _ = write!(args, ", {arg}: {}", param_type(p.ty));
    }
    let literal = child.rsplit('/').next().unwrap_or_default();
    // A record's id goes into the call; a flattened child's parameter into the handle's path.
    let (handle, call_param) = match (child.is_empty(), &param_arg) {
        (true, Some(arg)) => ("self.0".to_owned(), format!("Some(&{arg})")),
        (true, None) => ("self.0".to_owned(), "None".to_owned()),
        (false, Some(arg)) => (
            format!("self.0.child_of(&{arg}, {literal:?})"),
            "None".to_owned(),
        ),
        (false, None) => (format!("self.0.child({literal:?})"), "None".to_owned()),
    };
    // A collection's own GET of an array pages through it; so does its `/count`, with the
    // same filters.
    let list = is_list(op) && child.is_empty() && param.is_none();
    let count = is_count(op) && child.is_empty() && op.path.ends_with("/count");
    if list || count {
        args.push_str(", query: &Query");
    }
    let body_call = match &op.body {
        Some(Body::Schema { name, array: true }) => {
            let _ = write!(args, ", body: &[{}]", model(name)?);
            ".json(&body)"
        }
        Some(Body::Schema { name, array: false }) => {
            let _ = write!(args, ", body: &{}", model(name)?);
            ".json(body)"
        }
        Some(Body::Patch) => {
            args.push_str(", ops: &PatchOps");
            ".patch_ops(ops)"
        }
        Some(Body::Multipart(_)) | None => "",
    };
    let mut extras = String::new();
    for q in &op.extra_query {
        let arg = ident(&snake(&q.name));
        let _ = write!(args, ", {arg}: {}", option_type(q.ty));
        let _ = write!(extras, ".param_opt({:?}, {arg})", q.name);
    }
    let doc = format!(
        "    /// `{} {}` (`{}`).\n    #[inline]\n",
        op.method.as_str(),
        op.path,
        op.id
    );
    let method = match op.method {
        Method::Get => "GET",
        Method::Post => "POST",
        Method::Put => "PUT",
        Method::Patch => "PATCH",
        Method::Delete => "DELETE",
    };
    let name = ident(name);
    // Parameters besides the list ones go on every page's request (and on `/count`).
    let query = if op.extra_query.is_empty() {
        "query".to_owned()
    } else {
        format!("&query.clone(){extras}")
    };
    if list {
        let Response::Schema { name: item, .. } = &op.response else {
            unreachable!("a list has a schema");
        };
        let item = model(item)?;
        return Ok(format!(
            "{doc}    pub fn {name}(&self{args}) -> BoxStream<'static, Result<{item}>> {{\n        {handle}.list({query})\n    }}\n\n"
        ));
    }
    if count {
        return Ok(format!(
            "{doc}    pub fn {name}(&self{args}) -> impl Future<Output = Result<u64>> + Send + use<> {{\n        {handle}.count({query})\n    }}\n\n"
        ));
    }
    let (ret, finish) = match &op.response {
        Response::Empty => ("()".to_owned(), "send_empty()"),
        Response::Bytes => ("bytes::Bytes".to_owned(), "send_bytes()"),
        Response::Any => ("serde_json::Value".to_owned(), "send_json()"),
        Response::InlineArray(item) => {
            (format!("Vec<{}>", inline_type(item, names)?), "send_json()")
        }
        Response::Schema { name, array: false } => (model(name)?, "send_json()"),
        Response::Schema { name, array: true } => (format!("Vec<{}>", model(name)?), "send_json()"),
    };
    Ok(format!(
        "{doc}    pub fn {name}(&self{args}) -> impl Future<Output = Result<{ret}>> + Send + use<> {{\n        {handle}.call(Method::{method}, {call_param}){body_call}{extras}.{finish}\n    }}\n\n"
    ))
}
