//! Resolving field paths (`status/name`, `_info/lastUpdated`, `communicationItems/value`).

use std::fmt;

use super::entity::Entity;
use super::types::{FieldType, Schema};
use super::{Registry, registry};

/// A field path resolved against a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldInfo {
    /// The path in the API's spelling (`Status/Name` → `status/name`; a top-level
    /// `lastUpdated` → `_info/lastUpdated`).
    pub path: String,
    /// The type of the last segment.
    pub ty: FieldType,
    /// Whether the field may be `null` (see [`Property::accepts_null`](super::Property::accepts_null)).
    pub accepts_null: bool,
    /// Set by the server only (`id` of a record, anything under `_info`).
    pub read_only: bool,
    /// The canonical path of the first list the path walks through (`communicationItems` for
    /// `communicationItems/value`): such paths belong in `childConditions`.
    pub array: Option<String>,
}

/// A field path that does not resolve; `Display` says where and suggests the closest field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownField {
    /// What the path was resolved against (`tickets`, `custom fields of tickets`).
    pub context: String,
    /// The path as written.
    pub path: String,
    /// The closest known path, when one is close enough.
    pub suggestion: Option<String>,
    /// Set when the path continues below a field that has no fields (`summary/x`): that
    /// field's canonical path and its type.
    pub not_an_object: Option<Box<(String, FieldType)>>,
}

impl fmt::Display for UnknownField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown field `{}` on {}", self.path, self.context)?;
        if let Some(inner) = &self.not_an_object {
            let (field, ty) = &**inner;
            write!(f, ": `{field}` is {} and has no fields", with_article(ty))?;
        }
        if let Some(suggestion) = &self.suggestion {
            write!(f, "; did you mean `{suggestion}`?")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownField {}

/// `an integer`, `a string`, ... for messages.
pub(crate) fn with_article(ty: &FieldType) -> String {
    let text = ty.to_string();
    let article = match text.as_bytes().first() {
        Some(b'a' | b'e' | b'i' | b'o' | b'u') => "an",
        _ => "a",
    };
    format!("{article} {text}")
}

/// `_info` keys the API documents, for canonical spelling; `lastUpdated` and `dateEntered`
/// hold date-times, the rest strings.
const INFO_KEYS: &[&str] = &["lastUpdated", "updatedBy", "dateEntered", "enteredBy"];
const INFO_DATE_KEYS: &[&str] = &["lastUpdated", "dateEntered"];

impl Entity {
    /// Resolves a field path on this entity's records, case-insensitively, walking references,
    /// objects, maps and lists (`status/name`, `_info/lastUpdated`, `customFields/caption`).
    /// A top-level `lastUpdated` resolves as `_info/lastUpdated` (filterable on every entity).
    pub fn field(&self, path: &str) -> Result<FieldInfo, UnknownField> {
        let registry = registry();
        resolve(
            registry,
            registry.schema_or_empty(self.schema_name()),
            path,
            self.name(),
            true,
        )
    }
}

impl Schema {
    /// Resolves a field path relative to this schema (no top-level `lastUpdated` alias); see
    /// [`Entity::field`].
    pub fn field(&self, path: &str) -> Result<FieldInfo, UnknownField> {
        resolve(registry(), self, path, self.name(), false)
    }
}

/// The resolver; `context` names the schema in messages, `top_alias` enables the top-level
/// `lastUpdated`.
pub(crate) fn resolve(
    registry: &Registry,
    root: &Schema,
    path: &str,
    context: &str,
    top_alias: bool,
) -> Result<FieldInfo, UnknownField> {
    resolve_inner(registry, root, path, context, top_alias, true)
}

fn resolve_inner(
    registry: &Registry,
    root: &Schema,
    path: &str,
    context: &str,
    top_alias: bool,
    suggest: bool,
) -> Result<FieldInfo, UnknownField> {
    let segments: Vec<&str> = path.split('/').collect();
    let unknown = |suggestion: Option<String>, not_an_object: Option<Box<(String, FieldType)>>| {
        UnknownField {
            context: context.to_owned(),
            path: path.to_owned(),
            suggestion,
            not_an_object,
        }
    };

    let mut canonical: Vec<String> = Vec::with_capacity(segments.len());
    let mut current = FieldType::Object(root.name().to_owned());
    let mut current_schema: Option<&Schema> = Some(root);
    let mut accepts_null = true;
    let mut read_only = false;
    let mut array: Option<String> = None;

    for (i, &segment) in segments.iter().enumerate() {
        if segment.is_empty() {
            return Err(unknown(None, None));
        }
        // Walk into list elements.
        while let FieldType::Array(item) = current {
            array.get_or_insert_with(|| canonical.join("/"));
            current = *item;
            current_schema = None;
        }
        match &current {
            FieldType::Reference(name) | FieldType::Object(name) => {
                let schema = current_schema.unwrap_or_else(|| registry.schema_or_empty(name));
                if let Some(property) = schema.property(segment) {
                    canonical.push(property.name.clone());
                    current = property.ty.clone();
                    accepts_null = property.accepts_null();
                    read_only = read_only || property.read_only;
                } else if schema.allows_any_property() {
                    canonical.push(segment.to_owned());
                    current = FieldType::Any;
                    accepts_null = true;
                } else if top_alias
                    && i == 0
                    && segment.eq_ignore_ascii_case("lastUpdated")
                    && schema.property("_info").is_some()
                {
                    canonical.push("_info".to_owned());
                    canonical.push("lastUpdated".to_owned());
                    current = FieldType::DateTime;
                    accepts_null = true;
                    read_only = true;
                } else {
                    let suggestion = if suggest {
                        suggest_path(
                            registry, root, schema, &canonical, &segments, i, context, top_alias,
                        )
                    } else {
                        None
                    };
                    return Err(unknown(suggestion, None));
                }
                current_schema = None;
            }
            FieldType::Map(value) => {
                let in_info = canonical.last().is_some_and(|last| last == "_info");
                let key = INFO_KEYS
                    .iter()
                    .find(|k| in_info && k.eq_ignore_ascii_case(segment))
                    .map_or_else(|| segment.to_owned(), |k| (*k).to_owned());
                current = if in_info && INFO_DATE_KEYS.contains(&key.as_str()) {
                    FieldType::DateTime
                } else {
                    (**value).clone()
                };
                canonical.push(key);
                accepts_null = true;
            }
            FieldType::Any => {
                canonical.push(segment.to_owned());
                accepts_null = true;
            }
            scalar => {
                return Err(unknown(
                    None,
                    Some(Box::new((canonical.join("/"), scalar.clone()))),
                ));
            }
        }
    }

    Ok(FieldInfo {
        path: canonical.join("/"),
        ty: current,
        accepts_null,
        read_only,
        array,
    })
}

/// The closest known path when segment `failed` is unknown in `schema`.
#[allow(clippy::too_many_arguments)]
fn suggest_path(
    registry: &Registry,
    root: &Schema,
    schema: &Schema,
    prefix: &[String],
    segments: &[&str],
    failed: usize,
    context: &str,
    top_alias: bool,
) -> Option<String> {
    let wrong = segments.get(failed)?.to_ascii_lowercase();
    let mut candidates: Vec<&str> = schema
        .properties()
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    if top_alias && failed == 0 && schema.property("_info").is_some() {
        candidates.push("lastUpdated");
    }
    let limit = match wrong.len() {
        0..=3 => 1,
        4..=6 => 2,
        _ => 3,
    };
    let best = candidates
        .into_iter()
        .map(|c| (edit_distance(&wrong, &c.to_ascii_lowercase()), c))
        .filter(|&(d, c)| d <= limit && d < c.len())
        .min_by_key(|&(d, _)| d)?
        .1;
    let mut parts: Vec<&str> = prefix.iter().map(String::as_str).collect();
    parts.push(best);
    parts.extend(segments.iter().skip(failed + 1));
    let guess = parts.join("/");
    if best == "lastUpdated" {
        return Some(guess);
    }
    // Prefer the canonical spelling of the whole suggested path when it resolves.
    Some(
        resolve_inner(registry, root, &guess, context, top_alias, false)
            .map_or(guess, |info| info.path),
    )
}

/// Optimal-string-alignment distance (Levenshtein plus adjacent transpositions).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use super::edit_distance;

    #[test]
    fn distance_counts_transpositions_once() {
        assert_eq!(edit_distance("stauts", "status"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
