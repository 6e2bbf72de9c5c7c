//! Entity aliases (`tickets` → `service/tickets`) and per-entity table columns.

use cwpsa_core::schema::{Entity, registry};

use crate::error::{CliError, CliResult};

/// Short names for common collections; the first segment of a path is replaced, so
/// `tickets/5/notes` is `service/tickets/5/notes`.
pub const ALIASES: &[(&str, &str)] = &[
    ("tickets", "service/tickets"),
    ("companies", "company/companies"),
    ("contacts", "company/contacts"),
    ("projects", "project/projects"),
    ("project-tickets", "project/tickets"),
    ("time", "time/entries"),
    ("time-entries", "time/entries"),
    ("members", "system/members"),
    ("boards", "service/boards"),
    ("priorities", "service/priorities"),
    ("sources", "service/sources"),
    ("callbacks", "system/callbacks"),
    ("configurations", "company/configurations"),
    ("agreements", "finance/agreements"),
    ("invoices", "finance/invoices"),
    ("opportunities", "sales/opportunities"),
    ("activities", "sales/activities"),
    ("products", "procurement/products"),
    ("schedule", "schedule/entries"),
];

/// Help text listing the aliases.
pub fn aliases_help() -> String {
    let names: Vec<&str> = ALIASES.iter().map(|(a, _)| *a).collect();
    format!(
        "PATH is an API path (service/tickets, company/companies/5/sites) or an alias: {}. \
         An alias may start a longer path: tickets/5/notes, boards/1/statuses.",
        names.join(", ")
    )
}

/// A resolved path and the core entity it addresses, if any.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: String,
    pub entity: Option<&'static Entity>,
}

impl Target {
    /// `path/id`.
    pub fn child(&self, id: &str) -> CliResult<Target> {
        let id = id.trim();
        if id.is_empty() || id.contains(['/', '?', '#']) {
            return Err(CliError::usage(format!("`{id}` is not a record id")));
        }
        resolve(&format!("{}/{id}", self.path))
    }
}

/// Expands an alias and finds the entity.
pub fn resolve(input: &str) -> CliResult<Target> {
    let trimmed = input.trim().trim_matches('/');
    if trimmed.is_empty() {
        return Err(CliError::usage(
            "an API path is needed (e.g. tickets or service/tickets)",
        ));
    }
    if trimmed.contains(['?', '#']) {
        return Err(CliError::usage(format!(
            "`{input}`: give conditions and fields with --where and --fields, not in the path"
        )));
    }
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let lower = first.to_ascii_lowercase();
    if rest.is_empty() && matches!(lower.as_str(), "notes" | "statuses") {
        let parent = if lower == "notes" {
            "tickets/ID/notes"
        } else {
            "boards/ID/statuses"
        };
        return Err(CliError::usage(format!(
            "{lower} belong to a parent record: use {parent}"
        )));
    }
    // `time/entries` is already a path: an alias only takes a record id after it.
    let id_follows = rest
        .split('/')
        .next()
        .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    let path = match ALIASES.iter().find(|(a, _)| *a == lower) {
        Some((_, full)) if rest.is_empty() => (*full).to_owned(),
        Some((_, full)) if id_follows => format!("{full}/{rest}"),
        _ => trimmed.to_owned(),
    };
    let entity = registry()
        .entity_for_path(&path)
        .map(|m| m.entity)
        // `.../5` of a collection is the record, handled above; a collection's count too.
        .or_else(|| {
            let base = path.strip_suffix("/count")?;
            registry().entity_for_path(base).map(|m| m.entity)
        });
    Ok(Target { path, entity })
}

/// An entity by name (`tickets`), alias (`agreements`), or collection path, with or without
/// ids (`finance/agreements`, `company/companies/5/sites`,
/// `company/companies/{parentId}/sites`).
pub fn entity(name: &str) -> CliResult<&'static Entity> {
    if let Some(entity) = registry().entity(name) {
        return Ok(entity);
    }
    if let Some(entity) = resolve(name).ok().and_then(|t| t.entity) {
        return Ok(entity);
    }
    let mut err = CliError::usage(format!("unknown entity `{name}`"));
    if let Some(close) = registry().suggest_entity(name) {
        err = err.with_detail(format!("did you mean `{}`?", close.name()));
    }
    let core: Vec<&str> = registry().entities().iter().map(Entity::name).collect();
    Err(err.with_detail(format!(
        "an entity is one of {}, an alias, or any collection path of the API (finance/agreements, company/companies/5/sites)",
        core.join(", ")
    )))
}

/// Table columns when no `--fields` is given.
pub fn default_columns(entity: &Entity) -> Option<&'static [&'static str]> {
    Some(match entity.name() {
        "tickets" => &[
            "id",
            "summary",
            "status/name",
            "priority/name",
            "board/name",
            "company/identifier",
        ],
        "companies" => &[
            "id",
            "identifier",
            "name",
            "status/name",
            "city",
            "phoneNumber",
        ],
        "contacts" => &[
            "id",
            "firstName",
            "lastName",
            "company/identifier",
            "title",
            "defaultPhoneNbr",
        ],
        "projects" => &[
            "id",
            "name",
            "status/name",
            "company/identifier",
            "manager/identifier",
            "estimatedEnd",
            "percentComplete",
        ],
        "time_entries" => &[
            "id",
            "member/identifier",
            "chargeToType",
            "chargeToId",
            "timeStart",
            "actualHours",
            "notes",
        ],
        "members" => &[
            "id",
            "identifier",
            "firstName",
            "lastName",
            "title",
            "inactiveFlag",
        ],
        "boards" => &[
            "id",
            "name",
            "location/name",
            "department/name",
            "inactiveFlag",
        ],
        "board_statuses" => &["id", "name", "sortOrder", "closedStatus", "inactive"],
        "priorities" => &["id", "name", "sortOrder", "defaultFlag"],
        "ticket_notes" => &[
            "id",
            "ticketId",
            "member/identifier",
            "dateCreated",
            "internalAnalysisFlag",
            "text",
        ],
        "callbacks" => &[
            "id",
            "type",
            "level",
            "objectId",
            "url",
            "description",
            "inactiveFlag",
        ],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_alias_points_at_a_described_path() {
        for (alias, path) in ALIASES {
            assert!(registry().has_path(path), "{alias} → {path}");
        }
    }

    #[test]
    fn aliases_expand_and_find_entities() {
        let t = resolve("tickets/5/notes").expect("resolves");
        assert_eq!(t.path, "service/tickets/5/notes");
        assert_eq!(t.entity.map(Entity::name), Some("ticket_notes"));
        let t = resolve("/company/companies/").expect("raw path");
        assert_eq!(t.path, "company/companies");
        assert_eq!(t.entity.map(Entity::name), Some("companies"));
        let t = resolve("time").expect("alias").child("7").expect("id");
        assert_eq!(t.path, "time/entries/7");
        assert_eq!(resolve("time/entries").expect("raw").path, "time/entries");
        assert_eq!(resolve("time/7").expect("alias").path, "time/entries/7");
        assert_eq!(t.entity.map(Entity::name), Some("time_entries"));
        assert!(resolve("system/info").expect("raw").entity.is_none());
        assert!(resolve("notes").is_err());
        assert!(resolve("tickets?x=1").is_err());
        assert!(resolve("tickets").expect("alias").child("1/2").is_err());
    }

    #[test]
    fn default_columns_are_fields_of_their_entity() {
        for entity in registry().entities() {
            if let Some(columns) = default_columns(entity) {
                for c in columns {
                    assert!(entity.field(c).is_ok(), "{}: {c}", entity.name());
                }
            }
        }
    }
}
