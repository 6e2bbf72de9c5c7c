//! The entity schema registry: every schema of the API description (field names, types,
//! required fields), and the core entities with first-class support.
//!
//! Driven by `spec/connectwise-api.json`, embedded in the crate and parsed once on first use.
//! Where API-FACTS.md records that the live service requires more than the description says,
//! the core entities carry the API-FACTS list (see [`Entity::required_fields`]).
//!
//! ```
//! use cwpsa_core::schema::{registry, FieldType};
//!
//! let tickets = registry().entity("Tickets").unwrap();
//! assert_eq!(tickets.path(), "service/tickets");
//! let field = tickets.field("Status/Name").unwrap();
//! assert_eq!(field.path, "status/name");
//! assert_eq!(tickets.field("lastUpdated").unwrap().ty, FieldType::DateTime);
//! ```

mod entity;
mod field;
mod spec;
mod types;
mod validate;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use entity::{CYCLIC_REFERENCES, Entity, reference_entity};
pub use field::{FieldInfo, UnknownField};
pub use types::{FieldType, Property, Schema};
pub use validate::SchemaError;

/// All schemas and core entities of the API description.
#[derive(Debug)]
pub struct Registry {
    schemas: Vec<Schema>,
    by_name: HashMap<String, usize>,
    paths: Vec<String>,
    entities: Vec<Entity>,
    empty: Schema,
}

/// The registry, parsed from the embedded description on first use and shared afterwards.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::load)
}

/// Where a concrete API path points: a core entity, and the ids the path carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PathMatch<'a> {
    /// The entity whose collection or record the path addresses.
    pub entity: &'a Entity,
    /// The `{parentId}` of a child collection (`5` in `service/tickets/5/notes`).
    pub parent_id: Option<i64>,
    /// The record id after the collection path (`7` in `service/tickets/7`).
    pub id: Option<i64>,
}

impl Registry {
    // The description is embedded at build time, and a unit test proves it parses; failing
    // here would mean a broken build, not bad input.
    #[allow(clippy::expect_used)]
    fn load() -> Registry {
        let spec = spec::parse_spec().expect("the embedded connectwise-api.json parses");
        Registry::from_spec(&spec)
    }

    fn from_spec(spec: &spec::SpecFile) -> Registry {
        let schemas = spec::build_schemas(spec);
        let by_name = schemas
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect::<HashMap<_, _>>();
        let entities = entity::build_entities(|name| by_name.get(name).map(|&i| &schemas[i]));
        let paths = spec
            .paths
            .0
            .iter()
            .map(|(p, _)| p.trim_matches('/').to_owned())
            .collect();
        Registry {
            schemas,
            by_name,
            paths,
            entities,
            empty: Schema::new(String::new(), Vec::new(), true),
        }
    }

    /// A schema by its exact name (`Ticket`, `CompanyReference`).
    pub fn schema(&self, name: &str) -> Option<&Schema> {
        self.by_name.get(name).and_then(|&i| self.schemas.get(i))
    }

    /// A schema by name, or an empty schema that accepts anything when the description does
    /// not define it (never happens for names taken from the description itself).
    pub(crate) fn schema_or_empty(&self, name: &str) -> &Schema {
        self.schema(name).unwrap_or(&self.empty)
    }

    /// All schemas, in the description's order.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// True when the description has this path template (`service/tickets/{id}`; slashes at
    /// either end ignored; exact case).
    pub fn has_path(&self, path: &str) -> bool {
        let path = path.trim_matches('/');
        self.paths.iter().any(|p| p == path)
    }

    /// The core entities in dependency order: members, priorities, boards, board_statuses,
    /// companies, contacts, tickets, ticket_notes, projects, time_entries, callbacks.
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }

    /// A core entity by name, alias, schema name or path, case-insensitively (`tickets`,
    /// `Ticket`, `service/tickets`, `notes`, `time-entries`).
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.matches(name))
    }

    /// The core entity a concrete path addresses: `service/tickets`, `service/tickets/7`,
    /// `/service/tickets/5/notes/9?conditions=..` (query ignored, case-insensitive). Paths with
    /// anything after the record id (`.../count`, `.../merge`) give `None`.
    pub fn entity_for_path(&self, path: &str) -> Option<PathMatch<'_>> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.entities.iter().find_map(|entity| {
            let template: Vec<&str> = entity.path().split('/').collect();
            if segments.len() < template.len() || segments.len() > template.len() + 1 {
                return None;
            }
            let mut parent_id = None;
            for (want, got) in template.iter().zip(&segments) {
                if want.starts_with('{') {
                    parent_id = Some(got.parse::<i64>().ok()?);
                } else if !want.eq_ignore_ascii_case(got) {
                    return None;
                }
            }
            let id = match segments.get(template.len()) {
                Some(text) => Some(text.parse::<i64>().ok()?),
                None => None,
            };
            Some(PathMatch {
                entity,
                parent_id,
                id,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_description_parses() {
        let spec = spec::parse_spec();
        assert!(spec.is_ok(), "{:?}", spec.err());
        let registry = Registry::load();
        assert_eq!(registry.schemas().len(), 771);
        assert_eq!(registry.entities().len(), 11);
    }

    #[test]
    fn properties_keep_declaration_order() {
        let ticket = registry().schema("Ticket").map(|s| {
            s.properties()
                .iter()
                .take(4)
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
        });
        assert_eq!(ticket, Some(vec!["id", "summary", "recordType", "board"]));
    }
}
