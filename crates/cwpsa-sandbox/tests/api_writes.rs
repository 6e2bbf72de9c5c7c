//! Writes against the documented behaviour: required fields, reference validation, PUT,
//! PATCH, DELETE, `_info` bookkeeping, and the errors for bad bodies.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, records};
use reqwest::Method;
use serde_json::{Value, json};

async fn first(app: &TestApp, path: &str) -> Value {
    let list = app.get_json(&format!("{path}?pageSize=1")).await;
    records(&list)[0].clone()
}

#[tokio::test]
async fn create_requires_fields_and_valid_references() {
    let app = TestApp::start().await;
    let (status, body) = app
        .send_json(Method::POST, "service/tickets", &json!({"budgetHours": 1}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "InvalidObject");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"summary") && fields.contains(&"company"),
        "{body}"
    );
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["code"] == "MissingRequiredField")
    );

    let (status, body) = app
        .send_json(
            Method::POST,
            "service/tickets",
            &json!({"summary": "x", "company": {"id": 987_654_321}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["field"], "company/id", "{body}");

    let (status, body) = app
        .send_json(
            Method::POST,
            "service/tickets",
            &json!({"summary": 5, "company": {"id": 1}}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "summary"),
        "{body}"
    );
}

#[tokio::test]
async fn create_fills_references_and_info() {
    let app = TestApp::start().await;
    let company = first(&app, "company/companies").await;
    let (status, created) = app
        .send_json(
            Method::POST,
            "service/tickets",
            &json!({"summary": "Printer on fire", "company": {"id": company["id"]}, "id": 5, "_info": {"x": "y"}}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_ne!(id, 5, "the server chooses ids");
    assert_eq!(created["company"]["name"], company["name"]);
    assert_eq!(created["company"]["identifier"], company["identifier"]);
    assert!(
        created["company"]["_info"]["company_href"]
            .as_str()
            .unwrap()
            .starts_with(app.sandbox.base_url())
    );
    assert!(created["_info"]["lastUpdated"].is_string());
    assert!(created["_info"].get("x").is_none());
    let fetched = app.get_json(&format!("service/tickets/{id}")).await;
    assert_eq!(fetched, created);
    let found = app
        .get_json("service/tickets?conditions=summary%3D%22printer%20ON%20fire%22")
        .await;
    assert_eq!(common::ids(&found), vec![id]);
}

#[tokio::test]
async fn put_replaces_patch_edits_and_delete_removes() {
    let app = TestApp::start().await;
    let company = first(&app, "company/companies").await;
    let (_, created) = app
        .send_json(
            Method::POST,
            "service/tickets",
            &json!({"summary": "a", "company": {"id": company["id"]}, "budgetHours": 3.5}),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    let path = format!("service/tickets/{id}");

    let (status, replaced) = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"summary": "b", "company": {"id": company["id"]}}),
        )
        .await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["summary"], "b");
    assert!(
        replaced.get("budgetHours").is_none(),
        "PUT replaces the whole record"
    );
    assert_eq!(
        replaced["_info"]["dateEntered"],
        created["_info"]["dateEntered"]
    );
    let (status, _) = app
        .send_json(
            Method::PUT,
            &path,
            &json!({"company": {"id": company["id"]}}),
        )
        .await;
    assert_eq!(status, 400, "PUT validates required fields");

    let priority = first(&app, "service/priorities").await;
    let ops = json!([
        {"op": "replace", "path": "summary", "value": "c"},
        {"op": "add", "path": "/budgetHours", "value": 2},
        {"op": "replace", "path": "priority", "value": {"id": priority["id"]}}
    ]);
    let (status, patched) = app.send_json(Method::PATCH, &path, &ops).await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["summary"], "c");
    assert_eq!(patched["budgetHours"], 2);
    assert_eq!(
        patched["priority"]["name"], priority["name"],
        "references are filled in"
    );
    let (status, patched) = app
        .send_json(
            Method::PATCH,
            &path,
            &json!([{"op": "remove", "path": "budgetHours"}]),
        )
        .await;
    assert_eq!(status, 200);
    assert!(patched.get("budgetHours").is_none());

    for bad in [
        json!([{"op": "replace", "path": "id", "value": 1}]),
        json!([{"op": "replace", "path": "/_info", "value": {}}]),
        json!([{"op": "remove", "path": "summary"}]),
        json!([{"op": "jump", "path": "summary"}]),
        json!({"op": "replace"}),
    ] {
        let (status, body) = app.send_json(Method::PATCH, &path, &bad).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["message"].is_string());
    }
    let unchanged = app.get_json(&path).await;
    assert_eq!(unchanged["summary"], "c", "failed patches change nothing");

    let response = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(app.get(&path).await.status(), 404);
    let response = app.request(Method::DELETE, &path).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn last_updated_moves_on_every_write() {
    let app = TestApp::start().await;
    let ticket = first(&app, "service/tickets").await;
    let id = ticket["id"].as_i64().unwrap();
    let before = ticket["_info"]["lastUpdated"].as_str().unwrap().to_owned();
    let (status, patched) = app
        .send_json(
            Method::PATCH,
            &format!("service/tickets/{id}"),
            &json!([{"op": "replace", "path": "summary", "value": "new"}]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let after = patched["_info"]["lastUpdated"].as_str().unwrap();
    assert!(after > before.as_str(), "{after} > {before}");
    assert_eq!(patched["_info"]["updatedBy"], "SandboxAPI");
    let changed = app
        .get_json(&format!(
            "service/tickets?conditions=lastUpdated%3E%3D%5B{after}%5D"
        ))
        .await;
    assert!(common::ids(&changed).contains(&id));
}

#[tokio::test]
async fn a_note_written_or_deleted_stamps_its_ticket() {
    let app = TestApp::start().await;
    let ticket = first(&app, "service/tickets").await;
    let id = ticket["id"].as_i64().unwrap();
    // Seeded data is dated before now, so any write's stamp is later.
    let stamp = |t: &Value| t["_info"]["lastUpdated"].as_str().unwrap().to_owned();
    let before = stamp(&ticket);
    let (status, note) = app
        .send_json(
            Method::POST,
            &format!("service/tickets/{id}/notes"),
            &json!({"text": "called the customer", "detailDescriptionFlag": true}),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    let after_create = stamp(&app.get_json(&format!("service/tickets/{id}")).await);
    assert!(after_create > before, "{after_create} > {before}");
    let changed = app
        .get_json(&format!(
            "service/tickets?conditions=lastUpdated%3E%3D%5B{after_create}%5D"
        ))
        .await;
    assert!(common::ids(&changed).contains(&id));
    let note_id = note["id"].as_i64().unwrap();
    let response = app
        .request(
            Method::DELETE,
            &format!("service/tickets/{id}/notes/{note_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let after_delete = stamp(&app.get_json(&format!("service/tickets/{id}")).await);
    assert!(after_delete >= after_create);
    let info = app.get_json(&format!("service/tickets/{id}")).await["_info"].clone();
    assert_eq!(info["updatedBy"], "SandboxAPI");
    // The rest of `_info` is kept.
    assert_eq!(info["dateEntered"], ticket["_info"]["dateEntered"]);
    assert_eq!(info["notes_href"], ticket["_info"]["notes_href"]);
}

#[tokio::test]
async fn notes_are_created_under_their_ticket() {
    let app = TestApp::start().await;
    let ticket = first(&app, "service/tickets").await;
    let id = ticket["id"].as_i64().unwrap();
    let (status, note) = app
        .send_json(
            Method::POST,
            &format!("service/tickets/{id}/notes"),
            &json!({"text": "Called the user", "internalAnalysisFlag": true}),
        )
        .await;
    assert_eq!(status, 201, "{note}");
    assert_eq!(note["ticketId"], id);
    let notes = app.get_json(&format!("service/tickets/{id}/notes")).await;
    assert!(common::ids(&notes).contains(&note["id"].as_i64().unwrap()));
    let (status, _) = app
        .send_json(
            Method::POST,
            "service/tickets/999999999/notes",
            &json!({"text": "x"}),
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn bad_bodies_get_415_413_and_400() {
    let app = TestApp::start().await;
    let response = app
        .request(Method::POST, "service/tickets")
        .header("content-type", "text/plain")
        .body("summary=x")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let body: Value = response.json().await.unwrap();
    assert!(body["code"].is_string());

    let response = app
        .request(Method::POST, "service/tickets")
        .header("content-type", "application/json")
        .body("{\"summary\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("JSON"));

    let huge = format!("{{\"summary\": \"{}\"}}", "x".repeat(11 * 1024 * 1024));
    let response = app
        .request(Method::POST, "service/tickets")
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.unwrap();
    assert!(body["code"].is_string());

    let (status, _) = app
        .send_json(Method::POST, "service/tickets", &json!([1, 2]))
        .await;
    assert_eq!(status, 400);
}
