//! Every collection path of the API description is an entity of the registry: paths, parents,
//! methods, views, references, the description's defects applied, and actions told apart.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use cwpsa_core::schema::{Entity, Method, OperationKind, registry};
use serde_json::Value;

const SPEC: &str = include_str!("../spec/connectwise-api.json");

fn entity(name: &str) -> &'static Entity {
    registry()
        .entity(name)
        .unwrap_or_else(|| panic!("no entity {name}"))
}

fn kind(method: Method, path: &str) -> OperationKind {
    let route = registry()
        .route(path)
        .unwrap_or_else(|| panic!("{path} routes nowhere"));
    route
        .operation(method)
        .unwrap_or_else(|| panic!("no {method} on {}", route.path))
        .kind
}

/// Computed from the JSON directly: every path whose GET answers a list (not a count) is a
/// collection, after the description's own suggested spellings.
#[test]
fn every_list_path_of_the_description_is_an_entity() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let suggested = |path: &str| {
        spec["defects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["path"] == path && d["suggestedPath"].is_string())
            .map_or(path.to_owned(), |d| {
                d["suggestedPath"].as_str().unwrap().to_owned()
            })
    };
    let mut lists = BTreeSet::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        let response = &ops["get"]["response"];
        // A list without a named schema (`responseNotANamedSchema`) has no records to serve.
        if response["array"] == true
            && response["schema"].is_string()
            && response["schema"] != "Count"
        {
            let path = suggested(path);
            lists.insert(path.trim_matches('/').to_ascii_lowercase());
        }
    }
    let entities: BTreeSet<String> = registry()
        .all_entities()
        .iter()
        .filter(|e| e.methods().list)
        .map(|e| e.path().to_ascii_lowercase())
        .collect();
    // Only the records described as a list (`procurement/products/{parentId}/components/{id}`)
    // are lists but no entity: they are records of the collection before them.
    let missing: Vec<&String> = lists.difference(&entities).collect();
    for path in &missing {
        let (collection, id) = path.rsplit_once('/').unwrap();
        assert!(id.starts_with('{'), "{path}");
        assert!(entities.contains(collection), "{path}");
    }
    assert!(
        entities.is_subset(&lists),
        "{:?}",
        entities.difference(&lists)
    );
    assert!(registry().all_entities().len() >= 600);
    // Core entities come first, and keep their names.
    assert_eq!(registry().all_entities()[..11], *registry().entities());
    assert!(registry().entities().iter().all(Entity::is_core));
    assert!(!entity("finance/agreements").is_core());
}

#[test]
fn every_operation_is_classified_once() {
    let ops = registry().operations();
    // 2,814 in the description; two spellings of one path share a method twice.
    assert_eq!(ops.len(), 2812);
    let mut seen = BTreeSet::new();
    for op in ops {
        assert!(
            seen.insert((op.method, op.path.to_ascii_lowercase())),
            "{} {} twice",
            op.method,
            op.path
        );
        assert_eq!(
            op.entity.is_some(),
            op.kind != OperationKind::Action,
            "{} {}",
            op.method,
            op.path
        );
        assert!(!op.path.starts_with('/') && !op.path.ends_with('/'));
    }
    for e in registry().all_entities() {
        let count = |k: OperationKind| {
            ops.iter()
                .filter(|o| o.entity == Some(e.name()) && o.kind == k)
                .count()
        };
        let m = e.methods();
        for (kind, described) in [
            (OperationKind::List, m.list),
            (OperationKind::Create, m.create),
            (OperationKind::Count, m.count),
            (OperationKind::Search, m.search),
            (OperationKind::Get, m.get),
            (OperationKind::Replace, m.replace),
            (OperationKind::Patch, m.patch),
            (OperationKind::Delete, m.delete),
        ] {
            assert_eq!(count(kind), usize::from(described), "{} {kind:?}", e.name());
        }
    }
}

#[test]
fn collections_records_counts_and_actions() {
    assert_eq!(kind(Method::Get, "finance/agreements"), OperationKind::List);
    assert_eq!(
        kind(Method::Post, "finance/agreements"),
        OperationKind::Create
    );
    assert_eq!(
        kind(Method::Get, "finance/agreements/count"),
        OperationKind::Count
    );
    assert_eq!(
        kind(Method::Patch, "finance/agreements/3"),
        OperationKind::Patch
    );
    assert_eq!(
        kind(Method::Post, "service/tickets/search"),
        OperationKind::Search
    );
    for (method, path) in [
        (Method::Post, "service/tickets/5/merge"),
        (Method::Post, "company/companies/5/merge"),
        (Method::Post, "service/boards/copy"),
        (Method::Post, "sales/opportunities/5/convertToProject"),
        (Method::Post, "time/sheets/5/approve"),
        (Method::Get, "company/companies/default"),
        (Method::Post, "company/configurations/bulk"),
    ] {
        assert_eq!(kind(method, path), OperationKind::Action, "{method} {path}");
    }
    let route = registry().route("Service/Tickets/5/Merge").unwrap();
    assert_eq!(route.path, "service/tickets/{parentId}/merge");
    assert_eq!(route.params, ["5"]);
    assert_eq!(
        route.operation(Method::Post).unwrap().operation_id,
        "postServiceTicketsByParentIdMerge"
    );
    assert!(route.operation(Method::Get).is_none());
    assert!(registry().route("service/nothing/here").is_none());
}

#[test]
fn a_literal_segment_beats_a_parameter() {
    let route = registry().route("company/companies/statuses").unwrap();
    assert_eq!(route.path, "company/companies/statuses");
    let m = registry()
        .entity_for_path("company/companies/statuses/4")
        .unwrap();
    assert_eq!(
        (m.entity.name(), m.parent_id, m.id),
        ("company/companies/statuses", None, Some(4))
    );
    let m = registry().entity_for_path("company/companies/4").unwrap();
    assert_eq!((m.entity.name(), m.id), ("companies", Some(4)));
}

#[test]
fn child_collections_know_their_parent() {
    let sites = entity("company/companies/{parentId}/sites");
    assert_eq!(sites.parent(), Some("companies"));
    assert_eq!(
        sites.item_path(),
        Some("company/companies/{parentId}/sites/{id}")
    );
    let m = registry()
        .entity_for_path("company/companies/250/sites/7")
        .unwrap();
    assert_eq!(
        (m.entity.name(), m.parent_id, m.id),
        ("company/companies/{parentId}/sites", Some(250), Some(7))
    );
    // Two levels: the parent is the path before the last parameter.
    let options = entity("service/surveys/{grandparentId}/questions/{parentId}/options");
    assert_eq!(
        options.parent(),
        Some("service/surveys/{parentId}/questions")
    );
    let m = registry()
        .entity_for_path("service/surveys/1/questions/2/options")
        .unwrap();
    assert_eq!((m.entity.name(), m.parent_id), (options.name(), Some(2)));
    assert!(
        registry()
            .entity_for_path("company/companies/x/sites")
            .is_none()
    );
}

#[test]
fn info_lists_are_views_of_their_collection() {
    let info = entity("company/addressFormats/info");
    assert_eq!(info.view_of(), Some("company/addressFormats"));
    assert_eq!(info.schema_name(), "AddressFormatInfo");
    assert_eq!(info.item_path(), Some("company/addressFormats/{id}/info"));
    let m = info.methods();
    assert!(m.list && m.get && m.count && !m.create && !m.patch && !m.delete);
    let matched = registry()
        .entity_for_path("company/addressFormats/9/info")
        .unwrap();
    assert_eq!((matched.entity.name(), matched.id), (info.name(), Some(9)));
}

#[test]
fn the_descriptions_defects_are_applied() {
    // Trailing slashes, a malformed template and a missing slash: served as suggested.
    assert!(entity("finance/companyFinance").methods().list);
    assert!(registry().entity("finance/companyFinance/").is_some());
    assert_eq!(
        registry().route("system/members/jdoe").unwrap().path,
        "system/members/{id}"
    );
    assert!(
        registry()
            .route("system/workflows/userdefinedfields/events/1/actions/2")
            .is_some()
    );
    // Two spellings of one path are one entity with the methods of both.
    let types = entity("system/allowedfiletypes");
    assert!(types.methods().list && types.methods().create);
    assert_eq!(
        registry()
            .entity("system/AllowedFileTypes")
            .map(Entity::name),
        Some(types.name())
    );
    // `/count` paths described with the wrong response are counts.
    assert_eq!(
        kind(Method::Get, "schedule/calendars/count"),
        OperationKind::Count
    );
    assert!(entity("schedule/calendars").methods().count);
}

#[test]
fn non_core_entities_validate_against_their_schema() {
    let agreements = entity("finance/agreements");
    assert_eq!(agreements.schema_name(), "Agreement");
    assert!(agreements.required_fields().iter().any(|f| f == "name"));
    assert_eq!(agreements.reference_target("company"), Some("companies"));
    assert_eq!(
        agreements.reference_target("type"),
        Some("finance/agreements/types")
    );
    assert_eq!(
        agreements.reference_target("parentAgreement"),
        Some("finance/agreements")
    );
    let field = agreements.field("Type/Name").unwrap();
    assert_eq!(field.path, "type/name");
    let expr = cwpsa_core::conditions::parse(r#"name contains "x" and company/id = 5"#).unwrap();
    assert!(agreements.validate_conditions(&expr).is_ok());
    let wrong = cwpsa_core::conditions::parse("nmae = 1").unwrap();
    let problems = agreements.validate_conditions(&wrong).unwrap_err();
    assert!(
        problems[0].to_string().contains("did you mean `name`"),
        "{}",
        problems[0]
    );
    // Core entities keep their core-only references.
    assert_eq!(entity("tickets").reference_target("agreement"), None);
}

#[test]
fn entity_names_suggest_the_closest() {
    let suggest = |name: &str| registry().suggest_entity(name).map(Entity::name);
    assert_eq!(suggest("finance/agreemnts"), Some("finance/agreements"));
    assert_eq!(suggest("tickts"), Some("tickets"));
    assert_eq!(suggest("completely/different/thing"), None);
}
