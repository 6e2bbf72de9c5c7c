//! Every operation of the API description, classified: which paths are collections of records
//! (the registry's entities), which are their records, counts and searches, and which are
//! actions (copy, convert, merge, test a connection, ...) rather than resources.
//!
//! The description's `defects` block is applied here: paths with a suggested spelling
//! (trailing slashes, a malformed template, a missing slash) are served under the suggestion,
//! paths that only differ in case are one path, and the `/count` operations it marks as
//! declaring the wrong response return a [`Count`](OperationKind::Count).

use std::collections::HashMap;

use super::spec::{RawOperation, SpecFile};

/// An HTTP method of the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    /// `GET`, `POST`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// A method by name, case-insensitively (`get`, `PATCH`).
    pub fn parse(name: &str) -> Option<Method> {
        [
            Method::Get,
            Method::Post,
            Method::Put,
            Method::Patch,
            Method::Delete,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an operation does to its entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OperationKind {
    /// `GET <collection>`: a page of records.
    List,
    /// `POST <collection>`: a new record.
    Create,
    /// `GET <collection>/count`: `{"count": N}`.
    Count,
    /// `POST <collection>/search`: a list with the query in the body.
    Search,
    /// `GET <collection>/{id}`.
    Get,
    /// `PUT <collection>/{id}`: the whole record.
    Replace,
    /// `PATCH <collection>/{id}`: JSON patch operations.
    Patch,
    /// `DELETE <collection>/{id}`.
    Delete,
    /// Anything that is not one of the above on a collection's records: actions (copy,
    /// convert, merge, submit, test a connection), defaults, images and downloads, bulk
    /// writes, writes to a whole collection.
    Action,
}

/// One operation of the description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    pub method: Method,
    /// The path template as served (defects corrected), without slashes at either end
    /// (`service/tickets/{parentId}/merge`).
    pub path: &'static str,
    /// The description's `operationId` (`postServiceTicketsByParentIdMerge`).
    pub operation_id: &'static str,
    pub kind: OperationKind,
    /// The entity (by name) whose collection, record, count or search this is; for actions,
    /// none.
    pub entity: Option<&'static str>,
}

/// The role a path template plays for an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Collection,
    Item,
    Count,
    Search,
}

/// A collection path found in the description, before it becomes an [`Entity`](super::Entity).
#[derive(Debug)]
pub(crate) struct Collection {
    pub(crate) path: &'static str,
    /// The schema of one record: the list's element, else the create's body.
    pub(crate) schema: &'static str,
    /// Index of the parent collection (the path before the last `{..}` segment).
    pub(crate) parent: Option<usize>,
    /// `C/{id}`, or for an info view `C/info`, `C/{id}/info`.
    pub(crate) item_path: Option<&'static str>,
    pub(crate) count_path: Option<&'static str>,
    pub(crate) search_path: Option<&'static str>,
    /// For `C/info`: the index of `C`, whose records it shows.
    pub(crate) view_of: Option<usize>,
    pub(crate) methods: Methods,
}

/// Which operations the description has for an entity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per operation, as the description lists them
pub struct Methods {
    pub list: bool,
    pub create: bool,
    pub count: bool,
    pub search: bool,
    pub get: bool,
    pub replace: bool,
    pub patch: bool,
    pub delete: bool,
}

impl Methods {
    /// Whether the description allows `method` on the entity's collection path.
    pub fn on_collection(self, method: Method) -> bool {
        match method {
            Method::Get => self.list,
            Method::Post => self.create,
            _ => false,
        }
    }

    /// Whether the description allows `method` on one record's path.
    pub fn on_item(self, method: Method) -> bool {
        match method {
            Method::Get => self.get,
            Method::Put => self.replace,
            Method::Patch => self.patch,
            Method::Delete => self.delete,
            Method::Post => false,
        }
    }
}

/// One segment of a path template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// A literal, lower-cased (paths match case-insensitively).
    Literal(String),
    /// `{id}`, `{parentId}`, ...
    Param,
}

/// A distinct path template (after corrections) with its operations and role.
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) path: &'static str,
    segments: Vec<Segment>,
    /// Range into [`Operations::list`].
    pub(crate) operations: std::ops::Range<usize>,
    /// The collection this template belongs to and how.
    pub(crate) role: Option<(usize, Role)>,
}

/// All operations, the collections among their paths, and an index to match concrete paths.
#[derive(Debug)]
pub(crate) struct Operations {
    pub(crate) list: Vec<Operation>,
    pub(crate) templates: Vec<Template>,
    pub(crate) collections: Vec<Collection>,
    /// Template indexes by segment count.
    by_len: HashMap<usize, Vec<usize>>,
}

/// A concrete path matched to a template: `service/tickets/5/merge` to
/// `service/tickets/{parentId}/merge` with the parameters `["5"]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'r, 'p> {
    /// The template as served.
    pub path: &'static str,
    /// The operations the description has on it.
    pub operations: &'r [Operation],
    /// The values of its `{..}` segments, in order.
    pub params: Vec<&'p str>,
    pub(crate) template: usize,
}

impl<'r> Route<'r, '_> {
    /// The operation for `method`, if the description has it.
    pub fn operation(&self, method: Method) -> Option<&'r Operation> {
        self.operations.iter().find(|o| o.method == method)
    }
}

/// The lower-cased template with every parameter as `{}`: two spellings of one path (case,
/// parameter names) have one key.
pub(crate) fn key_of(path: &str) -> String {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                "{}".to_owned()
            } else {
                s.to_ascii_lowercase()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn segments_of(path: &str) -> Vec<Segment> {
    path.split('/')
        .map(|s| {
            if s.starts_with('{') {
                Segment::Param
            } else {
                Segment::Literal(s.to_ascii_lowercase())
            }
        })
        .collect()
}

impl Operations {
    pub(crate) fn build(spec: &SpecFile) -> Operations {
        let suggested: HashMap<&str, &str> = spec
            .defects
            .iter()
            .filter_map(|d| Some((d.path?, d.suggested_path?)))
            .collect();
        let count_fixes: Vec<&str> = spec
            .defects
            .iter()
            .filter(|d| d.kind == "countPathNotCount")
            .filter_map(|d| d.operation_id)
            .collect();

        // Group the operations by template key, first spelling first; a method a path
        // already has (a second spelling of it) is dropped.
        let mut groups: Vec<(&'static str, Vec<(Method, &RawOperation<'static>)>)> = Vec::new();
        let mut group_of: HashMap<String, usize> = HashMap::new();
        for (raw_path, ops) in &spec.paths.0 {
            let path = suggested
                .get(raw_path)
                .copied()
                .unwrap_or(raw_path)
                .trim_matches('/');
            let index = *group_of.entry(key_of(path)).or_insert_with(|| {
                groups.push((path, Vec::new()));
                groups.len() - 1
            });
            for (method, op) in &ops.0 {
                let Some(method) = Method::parse(method) else {
                    continue;
                };
                if groups[index].1.iter().all(|(m, _)| *m != method) {
                    groups[index].1.push((method, op));
                }
            }
        }

        let is_count = |op: &RawOperation| {
            op.response.schema == Some("Count") || count_fixes.contains(&op.operation_id)
        };
        let find = |key: &str| group_of.get(key).copied();
        let has = |index: Option<usize>, method: Method| {
            index.is_some_and(|i| groups[i].1.iter().any(|(m, _)| *m == method))
        };

        // Collections: a list (GET returning an array), or a create (POST) beside records;
        // but not the records of a collection (`C/{id}` whose GET is described as a list).
        let lists_at = |key: &str| {
            find(key).is_some_and(|g| {
                groups[g]
                    .1
                    .iter()
                    .any(|(m, op)| *m == Method::Get && op.response.array)
            })
        };
        let mut collections: Vec<Collection> = Vec::new();
        let mut collection_of_group: HashMap<usize, usize> = HashMap::new();
        for (index, (path, ops)) in groups.iter().enumerate() {
            let key = key_of(path);
            if key.ends_with("/count")
                || key.ends_with("/search")
                || key.strip_suffix("/{}").is_some_and(lists_at)
            {
                continue;
            }
            let list = ops
                .iter()
                .find(|(m, op)| *m == Method::Get && op.response.array && !is_count(op));
            let create = ops.iter().find(|(m, _)| *m == Method::Post);
            let item = find(&format!("{key}/{{}}"));
            let schema = match (list, create) {
                (Some((_, op)), _) => op.response.schema,
                (None, Some((_, op))) if item.is_some() => op.body.or(op.response.schema),
                _ => None,
            };
            let Some(schema) = schema.map(|s| s.trim_end_matches("[]")) else {
                continue;
            };
            collection_of_group.insert(index, collections.len());
            collections.push(Collection {
                path,
                schema,
                parent: None,
                item_path: None,
                count_path: None,
                search_path: None,
                view_of: None,
                methods: Methods {
                    list: list.is_some(),
                    create: create.is_some(),
                    ..Methods::default()
                },
            });
        }

        // Records, counts, searches, views and parents of each collection.
        let mut roles: HashMap<usize, (usize, Role)> = HashMap::new();
        let collection_index = |key: &str| find(key).and_then(|g| collection_of_group.get(&g));
        for (c, collection) in collections.iter_mut().enumerate() {
            let key = key_of(collection.path);
            roles.insert(group_of[&key], (c, Role::Collection));
            let base = key.strip_suffix("/info");
            collection.view_of = base.and_then(|b| collection_index(b).copied());
            let item = find(&format!("{key}/{{}}")).or_else(|| {
                collection
                    .view_of
                    .and(base)
                    .and_then(|b| find(&format!("{b}/{{}}/info")))
            });
            if let Some(item) = item {
                roles.insert(item, (c, Role::Item));
                collection.item_path = Some(groups[item].0);
                let m = &mut collection.methods;
                m.get = has(Some(item), Method::Get);
                m.replace = has(Some(item), Method::Put);
                m.patch = has(Some(item), Method::Patch);
                m.delete = has(Some(item), Method::Delete);
            }
            if let Some(count) = find(&format!("{key}/count")) {
                let counts = groups[count]
                    .1
                    .iter()
                    .any(|(m, op)| *m == Method::Get && is_count(op));
                if counts {
                    roles.insert(count, (c, Role::Count));
                    collection.count_path = Some(groups[count].0);
                    collection.methods.count = true;
                }
            }
            if let Some(search) = find(&format!("{key}/search"))
                && has(Some(search), Method::Post)
            {
                roles.insert(search, (c, Role::Search));
                collection.search_path = Some(groups[search].0);
                collection.methods.search = true;
            }
            let segments: Vec<&str> = key.split('/').collect();
            collection.parent = segments
                .iter()
                .rposition(|s| *s == "{}")
                .and_then(|last| collection_index(&segments[..last].join("/")).copied());
        }

        let mut list = Vec::new();
        let mut templates = Vec::with_capacity(groups.len());
        let mut by_len: HashMap<usize, Vec<usize>> = HashMap::new();
        for (index, (path, ops)) in groups.iter().enumerate() {
            let role = roles.get(&index).copied();
            let start = list.len();
            for &(method, op) in ops {
                let kind = match (role.map(|(_, r)| r), method) {
                    // A collection's GET that answers one object (settings) is not its list.
                    (Some(Role::Collection), Method::Get) if op.response.array => {
                        OperationKind::List
                    }
                    (Some(Role::Collection), Method::Post) => OperationKind::Create,
                    (Some(Role::Count), Method::Get) => OperationKind::Count,
                    (Some(Role::Search), Method::Post) => OperationKind::Search,
                    (Some(Role::Item), Method::Get) => OperationKind::Get,
                    (Some(Role::Item), Method::Put) => OperationKind::Replace,
                    (Some(Role::Item), Method::Patch) => OperationKind::Patch,
                    (Some(Role::Item), Method::Delete) => OperationKind::Delete,
                    _ => OperationKind::Action,
                };
                list.push(Operation {
                    method,
                    path,
                    operation_id: op.operation_id,
                    kind,
                    // Filled with names by the registry once entities are named.
                    entity: None,
                });
            }
            let segments = segments_of(path);
            by_len.entry(segments.len()).or_default().push(index);
            templates.push(Template {
                path,
                segments,
                operations: start..list.len(),
                role,
            });
        }
        Operations {
            list,
            templates,
            collections,
            by_len,
        }
    }

    /// The template a concrete path (`service/tickets/5/notes`, no query) matches; where
    /// several do (`company/companies/statuses` and `company/companies/{id}`), the one with a
    /// literal earliest wins.
    pub(crate) fn route<'p>(&self, segments: &[&'p str]) -> Option<(usize, Vec<&'p str>)> {
        let candidates = self.by_len.get(&segments.len())?;
        let mut best: Option<(u64, usize)> = None;
        for &index in candidates {
            let template = &self.templates[index];
            let mut score = 0u64;
            let matched = template
                .segments
                .iter()
                .zip(segments)
                .all(|(want, got)| match want {
                    Segment::Param => {
                        score <<= 1;
                        !got.is_empty()
                    }
                    Segment::Literal(literal) => {
                        score = (score << 1) | 1;
                        literal.eq_ignore_ascii_case(got)
                    }
                });
            if matched && best.is_none_or(|(s, _)| score > s) {
                best = Some((score, index));
            }
        }
        let (_, index) = best?;
        let params = self.templates[index]
            .segments
            .iter()
            .zip(segments)
            .filter(|(s, _)| **s == Segment::Param)
            .map(|(_, got)| *got)
            .collect();
        Some((index, params))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_case_and_parameter_names() {
        assert_eq!(
            key_of("company/entityTypes/{id}/info"),
            key_of("company/entitytypes/{parentId}/Info")
        );
        assert_eq!(key_of("a/{x}/b"), "a/{}/b");
    }
}
