//! The entity schema registry: every schema of the API description (field names, types,
//! required fields), every operation (classified by [`OperationKind`]), and an entity for every
//! collection path, the core entities first.
//!
//! Driven by `spec/connectwise-api.json`, embedded in the crate and parsed once on first use
//! (`cargo bench -p cwpsa-core --bench registry` measures that).
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
mod operations;
mod spec;
mod types;
mod validate;

use std::collections::HashMap;
use std::sync::OnceLock;

pub use entity::{CYCLIC_REFERENCES, Entity, reference_entity};
pub use field::{FieldInfo, UnknownField};
pub use operations::{Method, Methods, Operation, OperationKind, Route};
pub use types::{FieldType, Property, Schema};
pub use validate::SchemaError;

/// All schemas, operations and entities of the API description.
#[derive(Debug)]
pub struct Registry {
    schemas: Vec<Schema>,
    by_name: HashMap<String, usize>,
    paths: Vec<String>,
    /// The core entities first (`core_count` of them), then every other collection.
    entities: Vec<Entity>,
    core_count: usize,
    /// Entity index by name.
    entity_index: HashMap<&'static str, usize>,
    operations: operations::Operations,
    /// Entity index by collection number of `operations`.
    entity_of_collection: Vec<usize>,
    empty: Schema,
}

/// The registry, parsed from the embedded description on first use and shared afterwards.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::load)
}

/// Where a concrete API path points: an entity, and the ids the path carries.
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
    /// Parses the embedded description afresh. [`registry()`] does this once and shares the
    /// result; this is for measuring it (`cargo bench -p cwpsa-core --bench registry`).
    // The description is embedded at build time, and a unit test proves it parses; failing
    // here would mean a broken build, not bad input.
    #[allow(clippy::expect_used)]
    pub fn load() -> Registry {
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
        let mut operations = operations::Operations::build(spec);
        let entities = entity::build_entities(
            |name| by_name.get(name).map(|&i| &schemas[i]),
            &operations.collections,
        );
        let core_count = entities.iter().take_while(|e| e.is_core()).count();
        let entity_index: HashMap<&'static str, usize> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name(), i))
            .collect();
        let by_key: HashMap<String, usize> = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (operations::key_of(e.path()), i))
            .collect();
        let entity_of_collection: Vec<usize> = operations
            .collections
            .iter()
            .map(|c| {
                by_key
                    .get(&operations::key_of(c.path))
                    .copied()
                    .unwrap_or_default()
            })
            .collect();
        for template in &operations.templates {
            let Some((collection, _)) = template.role else {
                continue;
            };
            let name = entities[entity_of_collection[collection]].name();
            for operation in &mut operations.list[template.operations.clone()] {
                if operation.kind != OperationKind::Action {
                    operation.entity = Some(name);
                }
            }
        }
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
            core_count,
            entity_index,
            operations,
            entity_of_collection,
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
        &self.entities[..self.core_count]
    }

    /// Every entity: the core ones, then one per other collection path of the description
    /// (about 600), in the description's order.
    pub fn all_entities(&self) -> &[Entity] {
        &self.entities
    }

    /// An entity by name, alias, path or (for the core entities) schema name,
    /// case-insensitively (`tickets`, `Ticket`, `service/tickets`, `notes`, `time-entries`,
    /// `finance/agreements`, `company/companies/{parentId}/sites`).
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        if let Some(&i) = self.entity_index.get(name) {
            return self.entities.get(i);
        }
        self.entities.iter().find(|e| e.matches(name))
    }

    /// The entity closest to a name that is none (`finance/agreemnts` → `finance/agreements`),
    /// for did-you-mean messages.
    pub fn suggest_entity(&self, name: &str) -> Option<&Entity> {
        let wrong = name.trim().trim_matches('/').to_ascii_lowercase();
        let limit = (wrong.len() / 4).clamp(1, 4);
        let wrong = wrong.as_str();
        self.entities
            .iter()
            .flat_map(|e| {
                std::iter::once(e.name())
                    .chain(e.aliases().iter().copied())
                    .map(move |n| (field::edit_distance(wrong, &n.to_ascii_lowercase()), e))
            })
            .filter(|&(d, _)| d <= limit)
            .min_by_key(|&(d, _)| d)
            .map(|(_, e)| e)
    }

    /// Every operation of the description (defects corrected), in its order.
    pub fn operations(&self) -> &[Operation] {
        &self.operations.list
    }

    /// The path template a concrete path matches (`service/tickets/5/merge` →
    /// `service/tickets/{parentId}/merge`, params `["5"]`), with the operations the
    /// description has on it; query ignored, case-insensitive. Where a literal segment and a
    /// parameter both match (`company/companies/statuses`), the literal wins.
    pub fn route<'p>(&self, path: &'p str) -> Option<Route<'_, 'p>> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (template, params) = self.operations.route(&segments)?;
        let t = &self.operations.templates[template];
        Some(Route {
            path: t.path,
            operations: &self.operations.list[t.operations.clone()],
            params,
            template,
        })
    }

    /// The entity a concrete path addresses: `service/tickets`, `service/tickets/7`,
    /// `/service/tickets/5/notes/9?conditions=..`, `finance/agreements/3` (query ignored,
    /// case-insensitive). Counts, searches and actions (`.../count`, `.../merge`) give `None`,
    /// and so do ids that are not numbers.
    pub fn entity_for_path(&self, path: &str) -> Option<PathMatch<'_>> {
        let route = self.route(path)?;
        self.path_match(&route)
    }

    /// The entity and ids of a routed path whose template is a collection or a record.
    pub fn path_match(&self, route: &Route<'_, '_>) -> Option<PathMatch<'_>> {
        use operations::Role;
        let template = self.operations.templates.get(route.template)?;
        let (collection, role) = template.role?;
        let entity = self
            .entities
            .get(*self.entity_of_collection.get(collection)?)?;
        let number = |text: &str| text.parse::<i64>().ok();
        let (parent_params, id) = match role {
            Role::Collection => (route.params.as_slice(), None),
            Role::Item => {
                let (id, before) = route.params.split_last()?;
                (before, Some(number(id)?))
            }
            Role::Count | Role::Search => return None,
        };
        let parent_id = match (entity.parent(), parent_params.last()) {
            (Some(_), Some(text)) => Some(number(text)?),
            _ => None,
        };
        Some(PathMatch {
            entity,
            parent_id,
            id,
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
        assert!(registry.all_entities().len() > 600);
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
