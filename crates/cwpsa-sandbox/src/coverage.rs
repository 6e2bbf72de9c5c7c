//! What the sandbox serves of the API description, as the Markdown of
//! `docs/sandbox-actions.md` (a test keeps the file equal to [`actions_markdown`]).

use std::collections::BTreeMap;
use std::fmt::Write;

use cwpsa_core::schema::{OperationKind, registry};

/// The API area of a path: its first segment (`finance` for `finance/agreements`).
fn area(path: &str) -> &str {
    path.split('/').next().unwrap_or(path)
}

/// The document listing, per area, how many operations the sandbox serves and every
/// operation it answers with 501 `NotImplemented`.
pub fn actions_markdown() -> String {
    let operations = registry().operations();
    // area → (served, actions)
    let mut areas: BTreeMap<&str, (usize, Vec<_>)> = BTreeMap::new();
    for operation in operations {
        let entry = areas.entry(area(operation.path)).or_default();
        if operation.kind == OperationKind::Action {
            entry.1.push(operation);
        } else {
            entry.0 += 1;
        }
    }
    let served: usize = areas.values().map(|(s, _)| s).sum();
    let actions = operations.len() - served;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Operations the sandbox answers with 501\n\n\
         <!-- Generated from the API description: `CWPSA_UPDATE_DOCS=1 cargo nextest run -p \
         cwpsa-sandbox --test docs` rewrites it; the test fails when it is stale. -->\n\n\
         The sandbox serves every collection of the API description \
         (`crates/cwpsa-core/spec/connectwise-api.json`, {entities} collections): list with \
         conditions, orderBy, fields and paging, count, get, and the create, replace, patch \
         and delete the description has, with validation from the schema. That is {served} of \
         its {total} operations.\n\n\
         The other {actions} are not reads or writes of a collection's records: actions (copy, \
         convert, merge, submit, approve, test a connection), defaults, images and downloads, \
         bulk writes, and a few paths the description gives no list for. The sandbox answers \
         each with status 501 and a ConnectWise-shaped body naming the operation, never with a \
         made-up success:\n\n\
         ```json\n\
         {{\"code\":\"NotImplemented\",\"message\":\"The sandbox does not emulate POST \
         service/tickets/{{parentId}}/merge (postServiceTicketsByParentIdMerge): it is an \
         action, not a read or write of a collection's records. See \
         docs/sandbox-actions.md.\",\"errors\":null}}\n\
         ```\n",
        entities = registry().all_entities().len(),
        total = operations.len(),
    );
    let _ = writeln!(
        out,
        "| area | operations served | answered with 501 |\n|---|---:|---:|"
    );
    for (name, (served, actions)) in &areas {
        let _ = writeln!(out, "| {name} | {served} | {} |", actions.len());
    }
    for (name, (_, actions)) in &areas {
        if actions.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n## {name}\n\n| method | path | operationId |\n|---|---|---|"
        );
        for operation in actions {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} |",
                operation.method, operation.path, operation.operation_id
            );
        }
    }
    out
}
