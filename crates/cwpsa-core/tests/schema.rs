//! The schema registry against the embedded API description and API-FACTS.md.

use cwpsa_core::conditions::{
    CompareOp, Comparison, DateTime, Decimal, Expr, FieldPath, Membership, Operands, Value,
};
use cwpsa_core::schema::{
    CYCLIC_REFERENCES, Entity, FieldType, SchemaError, reference_entity, registry,
};

const SPEC: &str = include_str!("../spec/connectwise-api.json");

fn entity(name: &str) -> &'static Entity {
    registry()
        .entity(name)
        .unwrap_or_else(|| panic!("no entity {name}"))
}

fn path(p: &str) -> FieldPath {
    FieldPath::new(p).unwrap_or_else(|| panic!("bad path {p}"))
}

fn cmp(field: &str, op: CompareOp, value: Value) -> Expr {
    Expr::Compare(Comparison {
        field: path(field),
        op,
        value,
    })
}

fn eq(field: &str, value: Value) -> Expr {
    cmp(field, CompareOp::Eq, value)
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::And(Operands::new(a, b))
}

fn s(text: &str) -> Value {
    Value::String(text.into())
}

fn date(y: u16, m: u8, d: u8) -> Value {
    Value::DateTime(DateTime::date(y, m, d).unwrap_or_else(|| panic!("bad date")))
}

fn errors(result: Result<(), Vec<SchemaError>>) -> Vec<SchemaError> {
    match result {
        Ok(()) => panic!("expected errors"),
        Err(errors) => errors,
    }
}

fn messages(result: Result<(), Vec<SchemaError>>) -> Vec<String> {
    errors(result).iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------------------------------------
// Schemas

#[test]
fn loading_the_registry_works_and_is_shared() {
    // Loaded once; a second call returns the same instance.
    let first = registry();
    let second = registry();
    assert!(std::ptr::eq(first, second));
}

#[test]
fn all_771_schemas_are_loaded() {
    let spec: serde_json::Value = serde_json::from_str(SPEC).unwrap_or_default();
    let expected = spec["schemas"].as_object().map_or(0, serde_json::Map::len);
    assert_eq!(expected, 771);
    assert_eq!(registry().schemas().len(), 771);
    for name in spec["schemas"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
    {
        assert!(registry().schema(name).is_some(), "schema {name} missing");
    }
    assert!(registry().schema("NoSuchSchema").is_none());
}

#[test]
fn ticket_properties_have_declared_order_and_types() {
    let ticket = registry()
        .schema("Ticket")
        .unwrap_or_else(|| panic!("Ticket"));
    assert_eq!(ticket.name(), "Ticket");
    assert_eq!(ticket.properties().len(), 102);
    let names: Vec<&str> = ticket
        .properties()
        .iter()
        .take(5)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["id", "summary", "recordType", "board", "status"]);

    let prop = |n: &str| ticket.property(n).unwrap_or_else(|| panic!("{n}"));
    let id = prop("id");
    assert_eq!(id.ty, FieldType::Integer);
    assert!(id.read_only && !id.nullable && !id.accepts_null());
    let summary = prop("summary");
    assert_eq!(
        summary.ty,
        FieldType::String {
            max_length: Some(100)
        }
    );
    assert!(summary.required && !summary.read_only && summary.accepts_null());
    assert_eq!(
        prop("recordType").ty,
        FieldType::Enum(vec![
            "ProjectIssue".into(),
            "ProjectTicket".into(),
            "ServiceTicket".into()
        ])
    );
    assert!(prop("recordType").nullable);
    assert_eq!(
        prop("company").ty,
        FieldType::Reference("CompanyReference".into())
    );
    assert_eq!(prop("budgetHours").ty, FieldType::Number);
    assert_eq!(prop("closedFlag").ty, FieldType::Boolean);
    assert_eq!(prop("requiredDate").ty, FieldType::DateTime);
    assert!(prop("severity").required_on_update);
    assert_eq!(
        prop("customFields").ty,
        FieldType::Array(Box::new(FieldType::Object("CustomFieldValue".into())))
    );
    assert_eq!(
        prop("integratorTags").ty,
        FieldType::Array(Box::new(FieldType::String { max_length: None }))
    );
    let info = prop("_info");
    assert_eq!(
        info.ty,
        FieldType::Map(Box::new(FieldType::String { max_length: None }))
    );
    assert!(info.read_only);
    // Case-insensitive property lookup.
    assert_eq!(
        ticket.property("CLOSEDFLAG").map(|p| p.name.as_str()),
        Some("closedFlag")
    );
}

#[test]
fn references_keep_a_writable_id_and_custom_field_value_is_any() {
    let reference = registry()
        .schema("CompanyReference")
        .unwrap_or_else(|| panic!("CompanyReference"));
    let id = reference.property("id").unwrap_or_else(|| panic!("id"));
    assert!(!id.read_only && id.nullable);

    let custom = registry()
        .schema("CustomFieldValue")
        .unwrap_or_else(|| panic!("CustomFieldValue"));
    assert_eq!(
        custom.property("value").map(|p| p.ty.clone()),
        Some(FieldType::Any)
    );
    assert_eq!(custom.property("id").map(|p| p.read_only), Some(false));
}

#[test]
fn defects_block_is_applied() {
    // schemaWithoutProperties: an empty schema that allows anything.
    for name in ["GLExportSettings", "TimePeriodSetupDefaults"] {
        let schema = registry().schema(name).unwrap_or_else(|| panic!("{name}"));
        assert!(schema.properties().is_empty());
        assert!(schema.allows_any_property());
        let field = schema
            .field("anything/below")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(field.ty, FieldType::Any);
    }
    // requiredNameCaseMismatch: the ghost `Server` property is dropped, `server` is required.
    let ldap = registry()
        .schema("LdapConfigurationTestLink")
        .unwrap_or_else(|| panic!("LdapConfigurationTestLink"));
    let names: Vec<&str> = ldap.properties().iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["server"]);
    assert_eq!(ldap.required().collect::<Vec<_>>(), ["server"]);
    // Ordinary schemas do not allow unknown properties.
    assert!(
        !registry()
            .schema("Ticket")
            .is_some_and(cwpsa_core::schema::Schema::allows_any_property)
    );
}

#[test]
fn every_property_type_maps_to_something_sensible() {
    let mut any = 0;
    for schema in registry().schemas() {
        for property in schema.properties() {
            if let Some(target) = property.ty.schema_name() {
                assert!(
                    registry().schema(target).is_some(),
                    "{}.{} points at missing {target}",
                    schema.name(),
                    property.name
                );
            }
            if property.ty == FieldType::Any {
                any += 1;
            }
        }
    }
    // Only C# `object` properties (answer, value, miscProperties) are untyped.
    assert!(any <= 6, "{any} properties fell back to Any");
}

// ---------------------------------------------------------------------------------------------
// Core entities

const CORE: &[(&str, &str, &str)] = &[
    ("members", "system/members", "Member"),
    ("priorities", "service/priorities", "Priority"),
    ("boards", "service/boards", "Board"),
    (
        "board_statuses",
        "service/boards/{parentId}/statuses",
        "BoardStatus",
    ),
    ("companies", "company/companies", "Company"),
    ("contacts", "company/contacts", "Contact"),
    ("tickets", "service/tickets", "Ticket"),
    (
        "ticket_notes",
        "service/tickets/{parentId}/notes",
        "ServiceNote",
    ),
    ("projects", "project/projects", "Project"),
    ("time_entries", "time/entries", "TimeEntry"),
    ("callbacks", "system/callbacks", "CallbackEntry"),
];

#[test]
fn core_entities_in_dependency_order_with_paths_and_schemas() {
    let spec: serde_json::Value = serde_json::from_str(SPEC).unwrap_or_default();
    let entities = registry().entities();
    assert_eq!(entities.len(), CORE.len());
    for (entity, &(name, path, schema)) in entities.iter().zip(CORE) {
        assert_eq!(entity.name(), name);
        assert_eq!(entity.path(), path);
        assert_eq!(entity.schema_name(), schema);
        assert_eq!(entity.schema().name(), schema);
        assert!(registry().has_path(path), "{path} not in the description");
        // The description's list operation returns an array of exactly this schema.
        let get = &spec["paths"][format!("/{path}")]["get"]["response"];
        assert_eq!(get["schema"], schema, "{path}");
        assert_eq!(get["array"], true, "{path}");
    }
    assert_eq!(entity("ticket_notes").parent(), Some("tickets"));
    assert_eq!(entity("board_statuses").parent(), Some("boards"));
    assert_eq!(entity("tickets").parent(), None);
}

#[test]
fn entity_lookup_by_name_alias_schema_and_path() {
    let cases = [
        ("tickets", "tickets"),
        ("Tickets", "tickets"),
        ("ticket", "tickets"),
        ("service/tickets", "tickets"),
        ("/Service/Tickets/", "tickets"),
        ("Ticket", "tickets"),
        ("notes", "ticket_notes"),
        ("service/tickets/{parentId}/notes", "ticket_notes"),
        ("time", "time_entries"),
        ("time-entries", "time_entries"),
        ("TimeEntry", "time_entries"),
        ("statuses", "board_statuses"),
        ("company", "companies"),
        ("callbacks", "callbacks"),
        ("CallbackEntry", "callbacks"),
    ];
    for (query, expected) in cases {
        assert_eq!(
            registry().entity(query).map(Entity::name),
            Some(expected),
            "{query}"
        );
    }
    assert!(registry().entity("agreements").is_none());
    assert!(registry().entity("").is_none());
}

#[test]
fn entity_for_concrete_paths() {
    let m = registry()
        .entity_for_path("service/tickets/5/notes")
        .unwrap_or_else(|| panic!("notes"));
    assert_eq!(
        (m.entity.name(), m.parent_id, m.id),
        ("ticket_notes", Some(5), None)
    );

    let m = registry()
        .entity_for_path("/service/tickets/5/notes/9?fields=id")
        .unwrap_or_else(|| panic!("note"));
    assert_eq!(
        (m.entity.name(), m.parent_id, m.id),
        ("ticket_notes", Some(5), Some(9))
    );

    let m = registry()
        .entity_for_path("Service/Tickets/7")
        .unwrap_or_else(|| panic!("ticket"));
    assert_eq!(
        (m.entity.name(), m.parent_id, m.id),
        ("tickets", None, Some(7))
    );

    let m = registry()
        .entity_for_path("service/boards/3/statuses")
        .unwrap_or_else(|| panic!("statuses"));
    assert_eq!((m.entity.name(), m.parent_id), ("board_statuses", Some(3)));

    assert!(registry().entity_for_path("service/tickets/x").is_none());
    assert!(
        registry()
            .entity_for_path("service/tickets/5/merge")
            .is_none()
    );
    assert!(
        registry()
            .entity_for_path("service/tickets/count")
            .is_none()
    );
    // Not core, but a collection of the description like any other.
    let m = registry()
        .entity_for_path("finance/agreements")
        .unwrap_or_else(|| panic!("agreements"));
    assert_eq!(
        (m.entity.name(), m.entity.is_core()),
        ("finance/agreements", false)
    );
}

#[test]
fn required_fields_follow_api_facts() {
    let expected: &[(&str, &[&str])] = &[
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
        // Not in API-FACTS: the description's list (CallbackEntry's `requiredReference`).
        ("callbacks", &["url", "objectId", "type", "level"]),
        ("ticket_notes", &[]),
    ];
    for &(name, fields) in expected {
        let e = entity(name);
        assert_eq!(e.required_fields(), fields, "{name}");
        for field in fields {
            assert!(
                e.schema().property(field).is_some(),
                "{name}: required {field} is not a property"
            );
        }
    }
    // The override beats the description: the description only requires `summary`.
    assert_eq!(
        entity("tickets").schema().required().collect::<Vec<_>>(),
        ["summary"]
    );
}

#[test]
fn references_between_core_entities() {
    let expect = |name: &str, pairs: &[(&str, &str)]| {
        let e = entity(name);
        for &(field, target) in pairs {
            assert_eq!(e.reference_target(field), Some(target), "{name}.{field}");
            assert!(
                e.references()
                    .iter()
                    .any(|(f, t)| f == field && *t == target),
                "{name}.{field}"
            );
        }
    };
    expect(
        "tickets",
        &[
            ("company", "companies"),
            ("contact", "contacts"),
            ("board", "boards"),
            ("status", "board_statuses"),
            ("priority", "priorities"),
            ("owner", "members"),
            ("mergedParentTicket", "tickets"),
        ],
    );
    expect("contacts", &[("company", "companies")]);
    expect(
        "projects",
        &[
            ("company", "companies"),
            ("board", "boards"),
            ("manager", "members"),
            ("contact", "contacts"),
        ],
    );
    expect(
        "time_entries",
        &[
            ("company", "companies"),
            ("member", "members"),
            ("ticket", "tickets"),
            ("project", "projects"),
        ],
    );
    expect(
        "ticket_notes",
        &[("member", "members"), ("contact", "contacts")],
    );
    expect("board_statuses", &[("board", "boards")]);
    expect("companies", &[("parentCompany", "companies")]);
    // Non-core references are not listed.
    assert_eq!(entity("tickets").reference_target("site"), None);
    assert_eq!(entity("tickets").reference_target("summary"), None);
    assert!(entity("priorities").references().is_empty());
    assert!(entity("callbacks").references().is_empty());

    assert_eq!(reference_entity("CompanyReference"), Some("companies"));
    assert_eq!(
        reference_entity("ServiceStatusReference"),
        Some("board_statuses")
    );
    assert_eq!(reference_entity("SiteReference"), None);
}

#[test]
fn dependency_order_holds_except_for_listed_cycles() {
    let position = |name: &str| {
        registry()
            .entities()
            .iter()
            .position(|e| e.name() == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let mut back_edges = Vec::new();
    for e in registry().entities() {
        for (field, target) in e.references() {
            if position(target) > position(e.name()) {
                back_edges.push((e.name(), field.as_str(), *target));
            }
        }
    }
    back_edges.sort_unstable();
    let mut listed = CYCLIC_REFERENCES.to_vec();
    listed.sort_unstable();
    assert_eq!(back_edges, listed);
}

// ---------------------------------------------------------------------------------------------
// Field resolution

#[test]
fn fields_resolve_on_every_core_entity() {
    for e in registry().entities() {
        let id = e.field("id").unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(id.ty, FieldType::Integer);
        assert!(id.read_only);
        for path in ["lastUpdated", "LASTUPDATED", "_info/lastUpdated"] {
            let info = e.field(path).unwrap_or_else(|err| panic!("{err}"));
            assert_eq!(info.path, "_info/lastUpdated", "{} {path}", e.name());
            assert_eq!(info.ty, FieldType::DateTime);
        }
        let entered = e
            .field("_info/DateEntered")
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(
            (entered.path.as_str(), entered.ty),
            ("_info/dateEntered", FieldType::DateTime)
        );
        let by = e
            .field("_info/updatedBy")
            .unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(by.ty, FieldType::String { max_length: None });
        for (field, _) in e.references() {
            assert!(
                e.field(&format!("{field}/id")).is_ok(),
                "{}.{field}/id",
                e.name()
            );
        }
    }
}

#[test]
fn nested_paths_resolve_case_insensitively_to_canonical_spelling() {
    let tickets = entity("tickets");
    let cases = [
        ("status/name", "status/name"),
        ("Status/Name", "status/name"),
        ("COMPANY/ID", "company/id"),
        ("company/_info/lastupdated", "company/_info/lastUpdated"),
        ("priority/sort", "priority/sort"),
        ("closedflag", "closedFlag"),
    ];
    for (input, canonical) in cases {
        let info = tickets.field(input).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(info.path, canonical);
        assert!(info.array.is_none());
    }
    assert_eq!(
        tickets.field("company/id").map(|f| f.ty),
        Ok(FieldType::Integer)
    );
    assert_eq!(
        tickets.field("status").map(|f| f.ty),
        Ok(FieldType::Reference("ServiceStatusReference".into()))
    );
    assert_eq!(
        tickets.field("company/_info/lastUpdated").map(|f| f.ty),
        Ok(FieldType::DateTime)
    );
    // `_info` keys beyond the documented ones are still strings.
    assert_eq!(
        tickets.field("_info/company_href").map(|f| f.ty),
        Ok(FieldType::String { max_length: None })
    );
}

#[test]
fn paths_through_arrays_resolve_to_the_element_field() {
    let contacts = entity("contacts");
    let value = contacts
        .field("communicationItems/value")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value.ty, FieldType::String { max_length: None });
    assert_eq!(value.array.as_deref(), Some("communicationItems"));

    let kind = contacts
        .field("CommunicationItems/CommunicationType")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(kind.path, "communicationItems/communicationType");
    assert!(matches!(kind.ty, FieldType::Enum(ref v) if v.contains(&"Email".to_owned())));

    let type_name = contacts
        .field("communicationItems/type/name")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(type_name.array.as_deref(), Some("communicationItems"));

    let caption = entity("tickets")
        .field("customFields/caption")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(caption.ty, FieldType::String { max_length: None });
    assert_eq!(caption.array.as_deref(), Some("customFields"));
}

#[test]
fn unknown_fields_suggest_the_closest_known_field() {
    let tickets = entity("tickets");
    let err = tickets
        .field("stauts/name")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(err.suggestion.as_deref(), Some("status/name"));
    assert_eq!(
        err.to_string(),
        "unknown field `stauts/name` on tickets; did you mean `status/name`?"
    );

    let err = tickets
        .field("status/nmae")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(err.suggestion.as_deref(), Some("status/name"));

    let err = tickets
        .field("sumary")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(err.suggestion.as_deref(), Some("summary"));

    let err = tickets
        .field("lastUpdate")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(err.suggestion.as_deref(), Some("lastUpdated"));

    let err = entity("contacts")
        .field("communicationItems/valeu")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(err.suggestion.as_deref(), Some("communicationItems/value"));

    // Nothing close: no suggestion.
    let err = tickets
        .field("zzzzzzzz")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(err.suggestion, None);
    assert_eq!(err.to_string(), "unknown field `zzzzzzzz` on tickets");

    // Below a scalar.
    let err = tickets
        .field("summary/name")
        .err()
        .unwrap_or_else(|| panic!("resolved"));
    assert_eq!(
        err.to_string(),
        "unknown field `summary/name` on tickets: `summary` is a string and has no fields"
    );

    // Malformed paths are errors, not panics.
    assert!(tickets.field("").is_err());
    assert!(tickets.field("status//name").is_err());
    assert!(tickets.field("/").is_err());
}

// ---------------------------------------------------------------------------------------------
// Conditions validation

#[test]
fn valid_conditions_pass() {
    let tickets = entity("tickets");
    let expr = and(
        and(
            eq("status/name", s("New")),
            cmp("priority/id", CompareOp::Le, Value::Integer(2)),
        ),
        and(
            cmp("lastUpdated", CompareOp::Gt, date(2024, 1, 1)),
            Expr::Or(Operands::new(
                cmp("summary", CompareOp::Contains, s("printer")),
                Expr::Not(Box::new(eq("closedFlag", Value::Bool(true)))),
            )),
        ),
    );
    assert_eq!(tickets.validate_conditions(&expr), Ok(()));

    let more = [
        eq("contact", Value::Null),
        cmp("company", CompareOp::Ne, Value::Null),
        cmp("budgetHours", CompareOp::Ge, Value::Integer(2)),
        cmp(
            "budgetHours",
            CompareOp::Ge,
            Value::Decimal(Decimal::new("2.5").unwrap_or_else(|| panic!("decimal"))),
        ),
        eq("severity", s("High")),
        // Unknown enum values are fine: servers add values.
        eq("severity", s("Catastrophic")),
        eq("budgetHours", Value::Null),
        cmp("summary", CompareOp::Like, s("Domain*")),
        cmp("severity", CompareOp::Like, s("H*")),
        cmp("_info/dateEntered", CompareOp::Lt, date(2024, 6, 1)),
        // A date-time stored as a plain string in the description.
        cmp("closedDate", CompareOp::Gt, date(2024, 1, 1)),
        Expr::In(Membership {
            field: path("board/id"),
            negated: true,
            values: vec![Value::Integer(1), Value::Integer(2)],
        }),
    ];
    for expr in more {
        assert_eq!(tickets.validate_conditions(&expr), Ok(()), "{expr:?}");
    }
}

#[test]
fn integer_field_with_string_value_is_an_error() {
    let errs = errors(entity("tickets").validate_conditions(&eq("id", s("x"))));
    assert_eq!(errs.len(), 1);
    assert!(matches!(
        &errs[0],
        SchemaError::TypeMismatch { field, expected: FieldType::Integer, .. } if field == "id"
    ));
    assert_eq!(
        errs[0].to_string(),
        "`id` is an integer, but the value `\"x\"` is not"
    );

    let msgs = messages(entity("tickets").validate_conditions(&eq("company/id", s("12"))));
    assert_eq!(
        msgs,
        [
            "`company/id` is an integer, but the value `\"12\"` is not; write the number without quotes: `12`"
        ]
    );
    let decimal = Value::Decimal(Decimal::new("1.5").unwrap_or_else(|| panic!("decimal")));
    assert!(
        entity("tickets")
            .validate_conditions(&eq("id", decimal))
            .is_err()
    );
}

#[test]
fn date_time_fields_need_brackets() {
    let msgs = messages(entity("companies").validate_conditions(&cmp(
        "lastUpdated",
        CompareOp::Gt,
        s("2024-01-01"),
    )));
    assert_eq!(msgs.len(), 1);
    assert!(
        msgs[0].starts_with("`_info/lastUpdated` is a date-time"),
        "{}",
        msgs[0]
    );
    assert!(msgs[0].contains("brackets: `[2024-01-01]`"), "{}", msgs[0]);

    assert!(
        entity("tickets")
            .validate_conditions(&cmp("requiredDate", CompareOp::Gt, Value::Integer(5)))
            .is_err()
    );
}

#[test]
fn booleans_and_strings_check_their_values() {
    let tickets = entity("tickets");
    let msgs = messages(tickets.validate_conditions(&eq("closedFlag", s("True"))));
    assert_eq!(
        msgs,
        ["`closedFlag` is a boolean, but the value `\"True\"` is not; write `true` without quotes"]
    );
    let msgs = messages(tickets.validate_conditions(&eq("summary", Value::Integer(5))));
    assert_eq!(
        msgs,
        ["`summary` is a string, but the value `5` is not; quote it: `\"5\"`"]
    );
    assert!(
        tickets
            .validate_conditions(&eq("summary", date(2024, 1, 1)))
            .is_err()
    );
}

#[test]
fn whole_references_are_compared_by_id() {
    let errs = errors(entity("tickets").validate_conditions(&eq("company", Value::Integer(5))));
    assert_eq!(
        errs,
        [SchemaError::WholeReference {
            field: "company".into(),
            suggestion: "company/id = 5".into()
        }]
    );
    assert!(errs[0].to_string().contains("`company/id = 5`"));
    // `in` on a whole reference, too.
    let membership = Expr::In(Membership {
        field: path("Owner"),
        negated: false,
        values: vec![Value::Integer(1), Value::Null],
    });
    let errs = errors(entity("tickets").validate_conditions(&membership));
    assert!(matches!(&errs[0], SchemaError::WholeReference { field, .. } if field == "owner"));
}

#[test]
fn null_only_fits_nullable_fields() {
    let errs = errors(entity("tickets").validate_conditions(&eq("id", Value::Null)));
    assert!(matches!(&errs[0], SchemaError::NotNullable { field, .. } if field == "id"));
    assert!(errs[0].to_string().contains("never null"));
    assert_eq!(
        entity("tickets").validate_conditions(&eq("closedFlag", Value::Null)),
        Ok(())
    );
}

#[test]
fn text_operators_need_text_fields() {
    let msgs =
        messages(entity("tickets").validate_conditions(&cmp("id", CompareOp::Contains, s("1"))));
    assert_eq!(
        msgs,
        ["`contains` needs a text field, but `id` is an integer; use `=`, `<`, `>` or `in`"]
    );
    assert!(
        entity("tickets")
            .validate_conditions(&cmp("closedFlag", CompareOp::NotLike, s("t*")))
            .is_err()
    );
}

#[test]
fn all_errors_are_reported_together() {
    let expr = and(
        and(eq("stauts/name", s("New")), eq("id", s("x"))),
        eq("company", Value::Integer(3)),
    );
    let errs = errors(entity("tickets").validate_conditions(&expr));
    assert_eq!(errs.len(), 3);
    assert_eq!(
        errs[0].to_string(),
        "unknown field `stauts/name` on tickets; did you mean `status/name`?"
    );
}

#[test]
fn array_paths_belong_in_child_conditions() {
    let contacts = entity("contacts");
    let child = and(
        cmp("communicationItems/value", CompareOp::Like, s("a@b.com*")),
        eq("communicationItems/communicationType", s("Email")),
    );
    assert_eq!(contacts.validate_child_conditions(&child), Ok(()));

    let errs = errors(contacts.validate_conditions(&child));
    assert_eq!(errs.len(), 2);
    assert!(
        errs[0].to_string().contains("childConditions"),
        "{}",
        errs[0]
    );

    let errs = errors(contacts.validate_child_conditions(&eq("firstName", s("Ann"))));
    assert!(matches!(&errs[0], SchemaError::NotInArray { field } if field == "firstName"));

    // Element types are still checked, and lists of scalars compare by element.
    assert!(
        contacts
            .validate_child_conditions(&eq("communicationItems/defaultFlag", s("yes")))
            .is_err()
    );
    assert_eq!(
        entity("tickets").validate_child_conditions(&eq("integratorTags", s("vip"))),
        Ok(())
    );
    // A whole list in conditions is not comparable.
    assert!(
        contacts
            .validate_conditions(&eq("communicationItems", s("x")))
            .is_err()
    );
}

#[test]
fn custom_field_conditions_use_the_custom_field_value_schema() {
    let tickets = entity("tickets");
    let expr = and(
        eq("caption", s("TomNumber")),
        cmp("value", CompareOp::Ne, Value::Null),
    );
    assert_eq!(tickets.validate_custom_field_conditions(&expr), Ok(()));
    for value in [
        Value::Integer(5),
        Value::Bool(true),
        s("x"),
        date(2024, 1, 1),
    ] {
        assert_eq!(
            tickets.validate_custom_field_conditions(&eq("Value", value)),
            Ok(())
        );
    }
    assert_eq!(
        tickets.validate_custom_field_conditions(&eq("id", Value::Integer(3))),
        Ok(())
    );
    assert_eq!(
        tickets.validate_custom_field_conditions(&eq("type", s("Text"))),
        Ok(())
    );
    let errs = errors(tickets.validate_custom_field_conditions(&eq("captoin", s("x"))));
    assert_eq!(
        errs[0].to_string(),
        "unknown field `captoin` on custom fields of tickets; did you mean `caption`?"
    );
    assert!(
        tickets
            .validate_custom_field_conditions(&eq("id", s("x")))
            .is_err()
    );

    let errs = errors(entity("priorities").validate_custom_field_conditions(&expr));
    assert_eq!(
        errs,
        [SchemaError::NoCustomFields {
            entity: "priorities".into()
        }]
    );
}

#[test]
fn enum_values_match_case_insensitively() {
    let severity = entity("tickets")
        .field("severity")
        .unwrap_or_else(|e| panic!("{e}"))
        .ty;
    assert_eq!(severity.enum_value("high"), Some("High"));
    assert_eq!(severity.enum_value("Catastrophic"), None);
    assert_eq!(FieldType::Integer.enum_value("High"), None);
    let value = entity("tickets")
        .field("customFields/value")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(value.ty, FieldType::Any);
}
