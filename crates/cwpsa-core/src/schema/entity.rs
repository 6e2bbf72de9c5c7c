//! The entities: one per collection path of the API description. The core entities (tickets,
//! companies, ...) have first-class support (stable names, sync tables, the sandbox's hot
//! columns and seed data); every other collection is named by its path (`finance/agreements`).

use std::collections::HashMap;

use super::operations::{Collection, Methods};
use super::types::{FieldType, Schema};

/// Static description of one core entity.
struct CoreEntity {
    name: &'static str,
    path: &'static str,
    schema: &'static str,
    parent: Option<&'static str>,
    aliases: &'static [&'static str],
}

/// The core entities in dependency order: an entity comes after the entities it references,
/// except for the back-edges listed in [`CYCLIC_REFERENCES`]. The names are the sync engine's
/// table names (DESIGN.md) and never change.
const CORE: &[CoreEntity] = &[
    CoreEntity {
        name: "members",
        path: "system/members",
        schema: "Member",
        parent: None,
        aliases: &["member"],
    },
    CoreEntity {
        name: "priorities",
        path: "service/priorities",
        schema: "Priority",
        parent: None,
        aliases: &["priority"],
    },
    CoreEntity {
        name: "boards",
        path: "service/boards",
        schema: "Board",
        parent: None,
        aliases: &["board"],
    },
    CoreEntity {
        name: "board_statuses",
        path: "service/boards/{parentId}/statuses",
        schema: "BoardStatus",
        parent: Some("boards"),
        aliases: &["board_status", "statuses"],
    },
    CoreEntity {
        name: "companies",
        path: "company/companies",
        schema: "Company",
        parent: None,
        aliases: &["company"],
    },
    CoreEntity {
        name: "contacts",
        path: "company/contacts",
        schema: "Contact",
        parent: None,
        aliases: &["contact"],
    },
    CoreEntity {
        name: "tickets",
        path: "service/tickets",
        schema: "Ticket",
        parent: None,
        aliases: &["ticket"],
    },
    CoreEntity {
        name: "ticket_notes",
        path: "service/tickets/{parentId}/notes",
        schema: "ServiceNote",
        parent: Some("tickets"),
        aliases: &["ticket_note", "notes", "note"],
    },
    CoreEntity {
        name: "projects",
        path: "project/projects",
        schema: "Project",
        parent: None,
        aliases: &["project"],
    },
    CoreEntity {
        name: "time_entries",
        path: "time/entries",
        schema: "TimeEntry",
        parent: None,
        aliases: &["time_entry", "time"],
    },
    CoreEntity {
        name: "callbacks",
        path: "system/callbacks",
        schema: "CallbackEntry",
        parent: None,
        aliases: &["callback"],
    },
];

/// Required fields where API-FACTS.md ("Entities") records what the live service requires.
///
/// These REPLACE the description's `required` list for the entity (e.g. the description marks
/// Ticket's `company` optional but the service rejects a ticket without one; it marks Member's
/// `licenseClass` and tab formats required, which API-FACTS does not). Entities not listed
/// here (ticket_notes, callbacks) use the description's list. The schema's own
/// [`Property::required`](super::Property::required) flags stay as the description says.
const REQUIRED_OVERRIDES: &[(&str, &[&str])] = &[
    ("tickets", &["summary", "company"]),
    ("companies", &["identifier", "name"]),
    ("contacts", &["firstName"]),
    (
        "projects",
        &["name", "board", "company", "estimatedStart", "estimatedEnd"],
    ),
    ("time_entries", &["timeStart"]),
    (
        "members",
        &[
            "identifier",
            "firstName",
            "lastName",
            "hireDate",
            "securityRole",
        ],
    ),
    ("boards", &["name", "location", "department"]),
    ("board_statuses", &["name"]),
    ("priorities", &["name"]),
];

/// Reference schemas whose name does not follow `<EntitySchema>Reference`.
/// Every other `$ref` to `XReference` points at the core entity whose schema is `X`.
const REFERENCE_SCHEMA_OVERRIDES: &[(&str, &str)] = &[
    // A ticket's `status` and a board's `autoCloseStatus` are statuses of a service board.
    ("ServiceStatusReference", "board_statuses"),
    // Project boards are service boards with `projectFlag` set.
    ("ProjectBoardReference", "boards"),
];

/// References that go against the dependency order (they form cycles); a loader has to insert
/// these records first and fill these fields later, or not enforce them. Self-references
/// (`company/parentCompany`, `member/reportsTo`, ...) are not listed.
pub const CYCLIC_REFERENCES: &[(&str, &str, &str)] = &[
    ("members", "serviceDefaultBoard", "boards"),
    ("members", "projectDefaultBoard", "boards"),
    ("boards", "autoCloseStatus", "board_statuses"),
    ("boards", "emailConnectorReopenStatus", "board_statuses"),
    ("companies", "defaultContact", "contacts"),
    ("companies", "billingContact", "contacts"),
];

/// A collection of records: its name, API path, schema, parent collection, the operations
/// the description has for it, and the fields that reference other entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    name: &'static str,
    path: &'static str,
    schema_name: &'static str,
    parent: Option<&'static str>,
    aliases: &'static [&'static str],
    required: Vec<String>,
    references: Vec<(String, &'static str)>,
    core: bool,
    methods: Methods,
    item_path: Option<&'static str>,
    count_path: Option<&'static str>,
    search_path: Option<&'static str>,
    view_of: Option<&'static str>,
}

impl Entity {
    /// The name: a core entity's stable snake_case name (`ticket_notes`), else the path
    /// (`finance/agreements`, `company/companies/{parentId}/sites`).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// True for the core entities (tickets, companies, ...; see [`Registry::entities`](super::Registry::entities)).
    pub fn is_core(&self) -> bool {
        self.core
    }

    /// The operations the description has for this entity's collection, records and count.
    pub fn methods(&self) -> Methods {
        self.methods
    }

    /// The path of one record (`service/tickets/{id}`; for an info view,
    /// `company/addressFormats/{id}/info`), when the description has one.
    pub fn item_path(&self) -> Option<&'static str> {
        self.item_path
    }

    /// The path of the count (`service/tickets/count`), when the description has one.
    pub fn count_path(&self) -> Option<&'static str> {
        self.count_path
    }

    /// The path of the search (`service/tickets/search`), when the description has one.
    pub fn search_path(&self) -> Option<&'static str> {
        self.search_path
    }

    /// For a read-only info view (`company/addressFormats/info`), the entity whose records it
    /// shows in its own (shorter) schema (`company/addressFormats`).
    pub fn view_of(&self) -> Option<&'static str> {
        self.view_of
    }

    /// The API path relative to `apis/3.0/`, without slashes at either end; children carry
    /// `{parentId}` (`service/tickets/{parentId}/notes`).
    pub fn path(&self) -> &'static str {
        self.path
    }

    /// The name of the schema of a record (`Ticket`).
    pub fn schema_name(&self) -> &'static str {
        self.schema_name
    }

    /// The schema of a record.
    pub fn schema(&self) -> &'static Schema {
        super::registry().schema_or_empty(self.schema_name)
    }

    /// The parent entity of a child collection (`tickets` for `ticket_notes`).
    pub fn parent(&self) -> Option<&'static str> {
        self.parent
    }

    /// Other names [`Registry::entity`](super::Registry::entity) accepts for this entity.
    pub fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    /// Fields a create (POST) must carry, in the API's spelling: API-FACTS.md where it lists
    /// the entity, otherwise the description's `required`.
    pub fn required_fields(&self) -> &[String] {
        &self.required
    }

    /// `(field, target entity name)` for every top-level field referencing another entity, in
    /// the schema's declaration order (e.g. `("company", "companies")` on tickets). A core
    /// entity lists its references to core entities only; any other lists every reference
    /// whose schema names a top-level collection's (`AgreementReference` → `finance/agreements`).
    pub fn references(&self) -> &[(String, &'static str)] {
        &self.references
    }

    /// The core entity a field references, if any (case-insensitive field name).
    pub fn reference_target(&self, field: &str) -> Option<&'static str> {
        self.references
            .iter()
            .find(|(f, _)| f.eq_ignore_ascii_case(field))
            .map(|&(_, target)| target)
    }

    /// True when `name` is this entity's name, an alias, its path or, for a core entity, its
    /// schema name (case-insensitive; `-` counts as `_`; slashes at either end of a path are
    /// ignored).
    pub(crate) fn matches(&self, name: &str) -> bool {
        let name = name.trim().trim_matches('/');
        let same = |candidate: &str| {
            candidate.len() == name.len()
                && candidate
                    .bytes()
                    .zip(name.bytes())
                    .all(|(a, b)| a.eq_ignore_ascii_case(&if b == b'-' { b'_' } else { b }))
        };
        same(self.name)
            || same(self.path)
            || (self.core && same(self.schema_name))
            || self.aliases.iter().any(|a| same(a))
    }
}

/// Builds the entities from the description's collections: the core ones first, in
/// [`CORE`] order, then the others in the description's order.
pub(crate) fn build_entities<'a>(
    schema: impl Fn(&str) -> Option<&'a Schema>,
    collections: &[Collection],
) -> Vec<Entity> {
    let path_key = |path: &str| super::operations::key_of(path);
    let core_of: HashMap<String, &CoreEntity> =
        CORE.iter().map(|c| (path_key(c.path), c)).collect();
    let names: Vec<&'static str> = collections
        .iter()
        .map(|c| {
            core_of
                .get(&path_key(c.path))
                .map_or(c.path, |core| core.name)
        })
        .collect();
    // Top-level collections by record schema, for references of non-core entities; the
    // first in the description's order wins.
    let mut by_schema: HashMap<&str, &'static str> = HashMap::new();
    for (collection, name) in collections.iter().zip(&names) {
        if collection.parent.is_none() && collection.view_of.is_none() {
            by_schema.entry(collection.schema).or_insert(name);
        }
    }

    let mut order: Vec<usize> = CORE
        .iter()
        .filter_map(|core| names.iter().position(|n| *n == core.name))
        .collect();
    order.extend(
        (0..collections.len()).filter(|i| !core_of.contains_key(&path_key(collections[*i].path))),
    );

    order
        .into_iter()
        .map(|i| {
            let collection = &collections[i];
            let core = core_of.get(&path_key(collection.path)).copied();
            let schema_name = core.map_or(collection.schema, |c| c.schema);
            let record = schema(schema_name);
            let canonical = |field: &str| {
                record
                    .and_then(|s| s.property(field))
                    .map_or_else(|| field.to_owned(), |p| p.name.clone())
            };
            let overrides = core.and_then(|core| {
                REQUIRED_OVERRIDES
                    .iter()
                    .find(|(entity, _)| *entity == core.name)
            });
            let required = overrides.map_or_else(
                || {
                    record
                        .map(|s| s.required().map(str::to_owned).collect())
                        .unwrap_or_default()
                },
                |(_, fields)| fields.iter().map(|f| canonical(f)).collect(),
            );
            let target = |reference: &str| {
                reference_entity(reference).or_else(|| {
                    if core.is_some() {
                        return None;
                    }
                    by_schema.get(reference.strip_suffix("Reference")?).copied()
                })
            };
            let references = record
                .map(|s| {
                    s.properties()
                        .iter()
                        .filter_map(|p| match &p.ty {
                            FieldType::Reference(reference) => {
                                target(reference).map(|e| (p.name.clone(), e))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            Entity {
                name: names[i],
                path: core.map_or(collection.path, |c| c.path),
                schema_name,
                parent: core
                    .and_then(|c| c.parent)
                    .or_else(|| collection.parent.map(|p| names[p])),
                aliases: core.map_or(&[], |c| c.aliases),
                required,
                references,
                core: core.is_some(),
                methods: collection.methods,
                item_path: collection.item_path,
                count_path: collection.count_path,
                search_path: collection.search_path,
                view_of: collection.view_of.map(|v| names[v]),
            }
        })
        .collect()
}

/// The core entity a reference schema points at: `CompanyReference` → `companies`.
pub fn reference_entity(reference_schema: &str) -> Option<&'static str> {
    if let Some(&(_, entity)) = REFERENCE_SCHEMA_OVERRIDES
        .iter()
        .find(|(schema, _)| *schema == reference_schema)
    {
        return Some(entity);
    }
    let base = reference_schema.strip_suffix("Reference")?;
    CORE.iter().find(|c| c.schema == base).map(|c| c.name)
}
