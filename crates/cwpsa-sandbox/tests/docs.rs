//! `docs/sandbox-actions.md` lists exactly the operations the sandbox answers with 501.
#![allow(clippy::unwrap_used)]

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/sandbox-actions.md");

#[test]
fn the_actions_document_is_current() {
    let expected = cwpsa_sandbox::actions_markdown();
    if std::env::var_os("CWPSA_UPDATE_DOCS").is_some() {
        std::fs::write(DOC, &expected).unwrap();
    }
    let found = std::fs::read_to_string(DOC).unwrap_or_default();
    assert!(
        found == expected,
        "docs/sandbox-actions.md is stale: run `CWPSA_UPDATE_DOCS=1 cargo nextest run -p cwpsa-sandbox --test docs`"
    );
    // Every operation it lists is one the registry classifies as an action.
    let actions = cwpsa_core::schema::registry()
        .operations()
        .iter()
        .filter(|o| o.kind == cwpsa_core::schema::OperationKind::Action);
    for operation in actions {
        let row = format!(
            "| {} | `{}` | {} |",
            operation.method, operation.path, operation.operation_id
        );
        assert!(found.contains(&row), "{row} is missing");
    }
}
