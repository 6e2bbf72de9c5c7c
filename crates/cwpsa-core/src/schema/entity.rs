//! The core entities: the records with first-class support (sync tables, sandbox storage).

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

/// An entity with first-class support: a stable snake_case name (also the sync table name),
/// its API path, its schema, and the fields that reference other core entities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entity {
    name: &'static str,
    path: &'static str,
    schema_name: &'static str,
    parent: Option<&'static str>,
    aliases: &'static [&'static str],
    required: Vec<String>,
    references: Vec<(String, &'static str)>,
}

impl Entity {
    /// The stable snake_case name, e.g. `ticket_notes`.
    pub fn name(&self) -> &'static str {
        self.name
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

    /// `(field, target entity name)` for every top-level field referencing a core entity, in
    /// the schema's declaration order (e.g. `("company", "companies")` on tickets).
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

    /// True when `name` is this entity's name, an alias, its schema name or its path
    /// (case-insensitive; `-` counts as `_`; slashes at either end of a path are ignored).
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
            || same(self.schema_name)
            || self.aliases.iter().any(|a| same(a))
    }
}

/// Builds the core entities from the schemas.
pub(crate) fn build_entities<'a>(schema: impl Fn(&str) -> Option<&'a Schema>) -> Vec<Entity> {
    CORE.iter()
        .map(|core| {
            let record = schema(core.schema);
            let canonical = |field: &str| {
                record
                    .and_then(|s| s.property(field))
                    .map_or_else(|| field.to_owned(), |p| p.name.clone())
            };
            let required = REQUIRED_OVERRIDES
                .iter()
                .find(|(entity, _)| *entity == core.name)
                .map_or_else(
                    || {
                        record
                            .map(|s| s.required().map(str::to_owned).collect())
                            .unwrap_or_default()
                    },
                    |(_, fields)| fields.iter().map(|f| canonical(f)).collect(),
                );
            let references = record
                .map(|s| {
                    s.properties()
                        .iter()
                        .filter_map(|p| match &p.ty {
                            FieldType::Reference(target) => {
                                reference_entity(target).map(|e| (p.name.clone(), e))
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            Entity {
                name: core.name,
                path: core.path,
                schema_name: core.schema,
                parent: core.parent,
                aliases: core.aliases,
                required,
                references,
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
