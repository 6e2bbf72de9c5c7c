//! Models: one record type per schema, one open enum per enumerated property, each placed in
//! the module of the API area that needs it so that a cargo feature per area compiles only
//! what that area uses.
//!
//! - `core`: the schemas the hand-tuned core entities reach (tickets, companies, ...), always
//!   compiled: the sync engine, the examples and `cw` use them whatever the features;
//! - an area's module (`service`, `finance`, ...): schemas only that area's operations reach;
//! - `shared`: schemas several areas reach, each gated by `any(...)` of those areas' features.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::json::Json;
use crate::names::{ident, pascal, snake, unique};
use crate::spec::{Api, Body, Response, Schema};

/// The schemas behind `cwpsa::model`'s core entities.
pub const CORE_ROOTS: [&str; 11] = [
    "Ticket",
    "ServiceNote",
    "Company",
    "Contact",
    "Project",
    "TimeEntry",
    "Member",
    "Board",
    "BoardStatus",
    "Priority",
    "CallbackEntry",
];

/// Names the hand-written part of `cwpsa::model` uses; a schema may not take them.
const RESERVED: [&str; 5] = ["RecordInfo", "Entity", "CallbackAction", "Note", "Callback"];

/// Wire names (lower-cased endings) whose values `Debug` prints as `***`.
const SECRET_ENDINGS: [&str; 6] = [
    "password",
    "token",
    "privatekey",
    "secret",
    "encryptionkey",
    "licensekey",
];

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Home {
    Core,
    Area(String),
    /// Reached by these areas (none: reached by no operation, always compiled).
    Shared(Vec<String>),
}

impl Home {
    pub fn module(&self) -> &str {
        match self {
            Home::Core => "core",
            Home::Area(a) => a,
            Home::Shared(_) => "shared",
        }
    }
}

/// The Rust type name of every schema.
pub fn type_names(api: &Api) -> Result<BTreeMap<String, String>, String> {
    let mut names = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    for schema in &api.schemas {
        let name = pascal(&schema.name);
        if RESERVED.contains(&name.as_str()) || name.ends_with("Api") {
            return Err(format!("schema {} would take a reserved name", schema.name));
        }
        if let Some(other) = taken.insert(name.clone(), schema.name.clone()) {
            return Err(format!(
                "schemas {other} and {} both name {name}",
                schema.name
            ));
        }
        names.insert(schema.name.clone(), name);
    }
    Ok(names)
}

/// The schemas a fragment refers to.
fn refs(fragment: &Json, out: &mut Vec<String>) {
    if let Some(target) = fragment.str("$ref") {
        out.push(target.to_owned());
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = fragment.get(key) {
            refs(inner, out);
        }
    }
}

fn closure(api: &Api, roots: impl IntoIterator<Item = String>) -> BTreeSet<&str> {
    let by_name: BTreeMap<&str, &Schema> =
        api.schemas.iter().map(|s| (s.name.as_str(), s)).collect();
    let mut seen = BTreeSet::new();
    let mut stack: Vec<String> = roots.into_iter().collect();
    while let Some(name) = stack.pop() {
        let Some((&key, schema)) = by_name.get_key_value(name.as_str()) else {
            continue;
        };
        if seen.insert(key) {
            for (_, fragment) in &schema.properties {
                refs(fragment, &mut stack);
            }
        }
    }
    seen
}

/// The API area of a path: its first segment.
pub fn area_of(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

pub fn areas(api: &Api) -> Vec<String> {
    let set: BTreeSet<&str> = api.operations.iter().map(|o| area_of(&o.path)).collect();
    set.into_iter().map(str::to_owned).collect()
}

/// Where each schema is generated.
pub fn placement(api: &Api) -> BTreeMap<String, Home> {
    let core = closure(api, CORE_ROOTS.iter().map(|s| (*s).to_owned()));
    let mut reached_by: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for area in areas(api) {
        let mut roots = Vec::new();
        for op in api.operations.iter().filter(|o| area_of(&o.path) == area) {
            if let Some(Body::Schema { name, .. } | Body::Multipart(name)) = &op.body {
                roots.push(name.clone());
            }
            match &op.response {
                Response::Schema { name, .. } => roots.push(name.clone()),
                Response::InlineArray(item) => refs(item, &mut roots),
                _ => {}
            }
        }
        for name in closure(api, roots) {
            reached_by.entry(name).or_default().push(area.clone());
        }
    }
    api.schemas
        .iter()
        .map(|s| {
            let home = if core.contains(s.name.as_str()) {
                Home::Core
            } else {
                match reached_by.get(s.name.as_str()).map(Vec::as_slice) {
                    Some([one]) => Home::Area(one.clone()),
                    Some(many) => Home::Shared(many.to_vec()),
                    None => Home::Shared(Vec::new()),
                }
            };
            (s.name.clone(), home)
        })
        .collect()
}

/// `#[cfg(...)]` for an item of the shared module.
pub fn cfg_attr(home: &Home) -> String {
    match home {
        Home::Shared(areas) if !areas.is_empty() => {
            let list: Vec<String> = areas.iter().map(|a| format!("feature = \"{a}\"")).collect();
            format!("#[cfg(any({}))]\n", list.join(", "))
        }
        _ => String::new(),
    }
}

/// Generated Rust text per module name, and the number of record and enum types.
pub struct Models {
    pub modules: BTreeMap<String, String>,
    pub records: usize,
    pub enums: usize,
}

pub fn generate(api: &Api, header: &str) -> Result<Models, String> {
    let names = type_names(api)?;
    let homes = placement(api);
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    let mut type_taken: BTreeSet<String> = names.values().cloned().collect();
    let mut enums = 0;
    // Reference constructors (`CompanyReference::id(5)`), one list per module.
    let mut references: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for schema in &api.schemas {
        let home = &homes[&schema.name];
        let out = modules.entry(home.module().to_owned()).or_insert_with(|| {
            format!(
                "{header}\n#![allow(unused_imports, clippy::wildcard_imports, clippy::doc_markdown)]\n\nuse super::*;\nuse crate::model::RecordInfo;\nuse crate::model::record::{{open_enum, record}};\n\n"
            )
        });
        let cfg = cfg_attr(home);
        let type_name = &names[&schema.name];
        let mut fields = String::new();
        let mut secrets = Vec::new();
        let mut taken = vec!["extra".to_owned()];
        for (prop, fragment) in &schema.properties {
            let field = if prop == "_info" {
                unique("info", &mut taken)
            } else {
                unique(&snake(prop), &mut taken)
            };
            let ty = if prop == "_info" {
                "RecordInfo".to_owned()
            } else {
                let mut ctx = EnumCtx {
                    out: &mut *out,
                    about: format!("{}.{prop}", schema.name),
                    cfg: &cfg,
                    taken: &mut type_taken,
                    count: &mut enums,
                };
                rust_type(
                    fragment,
                    &format!("{type_name}{}", pascal(prop)),
                    &names,
                    &mut ctx,
                )?
            };
            let lower = prop.to_lowercase();
            if fragment.str("type") == Some("string")
                && SECRET_ENDINGS.iter().any(|e| lower.ends_with(e))
            {
                secrets.push(format!("{prop:?}"));
            }
            let _ = writeln!(fields, "        {}: {ty} = {prop:?},", ident(&field));
        }
        let required = if schema.required.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = schema.required.iter().map(|r| format!("`{r}`")).collect();
            format!("\n///\n/// Required when creating: {}.", list.join(", "))
        };
        let _ = write!(
            out,
            "{cfg}record! {{\n    /// The `{}` schema.{required}\n    {type_name} {{\n{fields}    }}\n    secret: [{}]\n}}\n\n",
            schema.name,
            secrets.join(", ")
        );
        let is_reference = schema.name.ends_with("Reference")
            && schema
                .properties
                .iter()
                .any(|(p, f)| p == "id" && f.str("type") == Some("integer"));
        if is_reference {
            references
                .entry(home.module().to_owned())
                .or_default()
                .push(format!("{}{type_name}", cfg.replace('\n', "\n    ")));
        }
    }
    for (module, list) in references {
        if let Some(out) = modules.get_mut(&module) {
            let _ = writeln!(out, "crate::model::record::reference_ids! {{");
            for item in list {
                let _ = writeln!(out, "    {item},");
            }
            let _ = writeln!(out, "}}");
        }
    }
    Ok(Models {
        modules,
        records: api.schemas.len(),
        enums,
    })
}

/// Where an enum found inside a fragment is written.
struct EnumCtx<'a> {
    out: &'a mut String,
    /// `Schema.property`, for the enum's documentation.
    about: String,
    cfg: &'a str,
    taken: &'a mut BTreeSet<String>,
    count: &'a mut usize,
}

/// The Rust type of a property (or an item, or an inline response item); enumerated strings
/// become an open enum named `hint` (written out through `ctx`).
fn rust_type(
    fragment: &Json,
    hint: &str,
    names: &BTreeMap<String, String>,
    ctx: &mut EnumCtx<'_>,
) -> Result<String, String> {
    if let Some(target) = fragment.str("$ref") {
        return names
            .get(target)
            .cloned()
            .ok_or_else(|| format!("{hint}: unknown schema {target}"));
    }
    Ok(match fragment.str("type") {
        Some("integer") => "i64".to_owned(),
        Some("number") => "f64".to_owned(),
        Some("boolean") => "bool".to_owned(),
        Some("string") => match fragment.get("enum") {
            Some(values) => write_enum(values.items(), hint, ctx),
            None => "String".to_owned(),
        },
        Some("array") => {
            let item = fragment.get("items").cloned().unwrap_or(Json::Null);
            format!(
                "Vec<{}>",
                rust_type(&item, &format!("{hint}Item"), names, ctx)?
            )
        }
        Some("object") => match fragment.get("additionalProperties") {
            Some(inner) if inner.str("$ref").is_some() => {
                format!(
                    "std::collections::BTreeMap<String, {}>",
                    rust_type(inner, hint, names, ctx)?
                )
            }
            // An object of anything (`additionalProperties: {}`) is how the description
            // spells C#'s `object`: any JSON value (a custom field's `value` is a string, a
            // number or a boolean, never an object).
            Some(Json::Object(entries)) if entries.is_empty() => "serde_json::Value".to_owned(),
            // Maps of strings keep every value as sent.
            _ => "serde_json::Map<String, serde_json::Value>".to_owned(),
        },
        _ => "serde_json::Value".to_owned(),
    })
}

fn write_enum(values: &[Json], hint: &str, ctx: &mut EnumCtx<'_>) -> String {
    let mut name = hint.to_owned();
    while ctx.taken.contains(&name) {
        name.push_str("Enum");
    }
    ctx.taken.insert(name.clone());
    *ctx.count += 1;
    let mut variants = vec!["Unknown".to_owned()];
    let mut body = String::new();
    for value in values.iter().filter_map(Json::as_str) {
        let variant = unique(&pascal(value), &mut variants);
        let _ = writeln!(body, "        {variant} = {value:?},");
    }
    let _ = write!(
        ctx.out,
        "{}open_enum! {{\n    /// Values of `{}`; a value the description does not list decodes as `Unknown`.\n    {name} {{\n{body}    }}\n}}\n\n",
        ctx.cfg, ctx.about
    );
    name
}

/// A context for types outside any schema (inline responses): they hold no enums.
pub fn inline_type(fragment: &Json, names: &BTreeMap<String, String>) -> Result<String, String> {
    let mut sink = String::new();
    let mut taken = BTreeSet::new();
    let mut count = 0;
    let mut ctx = EnumCtx {
        out: &mut sink,
        about: String::new(),
        cfg: "",
        taken: &mut taken,
        count: &mut count,
    };
    let ty = rust_type(fragment, "Inline", names, &mut ctx)?;
    if sink.is_empty() {
        Ok(ty)
    } else {
        Err("an inline response holds an enumeration".to_owned())
    }
}
