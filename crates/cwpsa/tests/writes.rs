//! Writes against the sandbox: create, get, update, patch, delete; a `+` that survives the
//! round trip through conditions.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use cwpsa::model::{Company, CompanyReference, Ticket};
use cwpsa::{ErrorKind, PatchOps, Query, field};
use futures_util::TryStreamExt;
use serde_json::{Value, json};

async fn some_company(app: &TestApp) -> Company {
    app.client
        .list::<Company>("company/companies", &Query::new().page_size(1))
        .try_next()
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_plus_in_a_value_round_trips_through_conditions() {
    let app = TestApp::start().await;
    let company = some_company(&app).await;
    let summary = "Upgrade a+b C++ server & 100% of \"quoted\" 'things'";
    let created: Ticket = app
        .client
        .create(
            "service/tickets",
            &Ticket {
                summary: Some(summary.to_owned()),
                company: Some(CompanyReference::id(company.id.unwrap())),
                ..Ticket::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(created.summary.as_deref(), Some(summary));
    let found: Vec<Ticket> = app
        .client
        .list(
            "service/tickets",
            &Query::new().conditions(field("summary").eq(summary)),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, created.id);
    // The same through a conditions string.
    let text = "summary contains 'a+b C++'";
    let n = app
        .client
        .count("service/tickets", &Query::new().conditions(text))
        .await
        .unwrap();
    assert_eq!(n, 1);
    // A space where the plus was must not match.
    let n = app
        .client
        .count(
            "service/tickets",
            &Query::new().conditions(field("summary").contains("a b C")),
        )
        .await
        .unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn create_get_update_patch_delete() {
    let app = TestApp::start().await;
    let company = some_company(&app).await;
    let before = app
        .client
        .count("service/tickets", &Query::new())
        .await
        .unwrap();
    let created: Ticket = app
        .client
        .create(
            "service/tickets",
            &json!({"summary": "Printer on fire", "company": {"id": company.id}, "budgetHours": 2.5}),
        )
        .await
        .unwrap();
    let id = created.id.unwrap();
    let path = format!("service/tickets/{id}");
    assert_eq!(
        app.client
            .count("service/tickets", &Query::new())
            .await
            .unwrap(),
        before + 1
    );
    assert_eq!(created.company.as_ref().unwrap().id, company.id);
    assert_eq!(
        created.company.as_ref().unwrap().name,
        company.name,
        "references are filled in"
    );

    let fetched: Ticket = app.client.get(&path).await.unwrap();
    assert_eq!(fetched, created);

    // PUT replaces the whole record; unknown fields in `extra` travel back unchanged.
    let mut replacement = fetched.clone();
    replacement.summary = Some("Printer no longer on fire".to_owned());
    let updated: Ticket = app.client.update(&path, &replacement).await.unwrap();
    assert_eq!(
        updated.summary.as_deref(),
        Some("Printer no longer on fire")
    );
    assert_eq!(updated.budget_hours, Some(2.5));

    let statuses: Vec<Value> = app
        .client
        .list("service/boards/1/statuses", &Query::new())
        .try_collect()
        .await
        .unwrap();
    let status_id = statuses[1]["id"].as_i64().unwrap();
    let patched: Ticket = app
        .client
        .patch(
            &path,
            &PatchOps::new()
                .replace("summary", "Patched")
                .replace("status", json!({"id": status_id}))
                .remove("budgetHours"),
        )
        .await
        .unwrap();
    assert_eq!(patched.summary.as_deref(), Some("Patched"));
    assert_eq!(patched.status.as_ref().unwrap().id, Some(status_id));
    assert_eq!(patched.budget_hours, None);
    let err = app
        .client
        .patch::<Ticket>(&path, &PatchOps::new())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    app.client.delete(&path).await.unwrap();
    let gone = app.client.get::<Ticket>(&path).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
    assert_eq!(
        app.client
            .count("service/tickets", &Query::new())
            .await
            .unwrap(),
        before
    );
    let again = app.client.delete(&path).await.unwrap_err();
    assert_eq!(again.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn notes_under_a_ticket_through_the_generic_interface() {
    let app = TestApp::start().await;
    let ticket: Ticket = app
        .client
        .list("service/tickets", &Query::new().page_size(1))
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let notes = format!("service/tickets/{}/notes", ticket.id.unwrap());
    let before = app.client.count(&notes, &Query::new()).await.unwrap();
    let note: Value = app
        .client
        .create(
            &notes,
            &json!({"text": "Called the customer", "detailDescriptionFlag": true}),
        )
        .await
        .unwrap();
    assert_eq!(note["text"], "Called the customer");
    assert_eq!(
        app.client.count(&notes, &Query::new()).await.unwrap(),
        before + 1
    );
}
