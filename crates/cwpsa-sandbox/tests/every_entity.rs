//! Every collection of the API description is served, not only the core entities: lists,
//! records, counts and writes from the schema, with validation, and actions refused with 501.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashMap;

use common::{TestApp, ids, records};
use cwpsa_core::schema::{Entity, FieldType, OperationKind, registry};
use futures_util::future::BoxFuture;
use reqwest::Method;
use serde_json::{Map, Value, json};

fn entity(name: &str) -> &'static Entity {
    registry()
        .entity(name)
        .unwrap_or_else(|| panic!("no entity {name}"))
}

/// Makes concrete paths for entities, creating the parent records (and the records that
/// required references point at) a path or a create needs, with the smallest bodies the
/// schema accepts.
struct Fixtures<'a> {
    app: &'a TestApp,
    /// A record of each entity made or found so far: (its collection's concrete path, id).
    records: HashMap<&'static str, (String, i64)>,
}

impl<'a> Fixtures<'a> {
    fn new(app: &'a TestApp) -> Fixtures<'a> {
        Fixtures {
            app,
            records: HashMap::new(),
        }
    }

    /// The entity's collection path with the ids of existing ancestors.
    fn collection(&mut self, e: &'static Entity) -> BoxFuture<'_, Result<String, String>> {
        Box::pin(async move {
            let segments: Vec<&str> = e.path().split('/').collect();
            let Some(parent) = e.parent().map(entity) else {
                // Parameters that name no parent collection (`system/reports/{reportName}`).
                let plain: Vec<&str> = segments
                    .iter()
                    .map(|s| if s.starts_with('{') { "1" } else { s })
                    .collect();
                return Ok(plain.join("/"));
            };
            let (parent_path, parent_id) = self.record(parent).await?;
            let skip = parent.path().split('/').count() + 1;
            let mut path = format!("{parent_path}/{parent_id}");
            for s in &segments[skip..] {
                path.push('/');
                path.push_str(if s.starts_with('{') { "1" } else { s });
            }
            Ok(path)
        })
    }

    /// A record of the entity: the first listed, else one created.
    fn record(&mut self, e: &'static Entity) -> BoxFuture<'_, Result<(String, i64), String>> {
        Box::pin(async move {
            if let Some(found) = self.records.get(e.name()) {
                return Ok(found.clone());
            }
            let path = self.collection(e).await?;
            let listed = self.app.get_json(&format!("{path}?pageSize=1")).await;
            let id = match records(&listed).first() {
                Some(first) => first["id"].as_i64().unwrap(),
                None if e.methods().create => {
                    let body = self.minimal(e).await?;
                    let (status, created) = self.app.send_json(Method::POST, &path, &body).await;
                    if status != 201 {
                        return Err(format!("POST {path} {body}: {status} {created}"));
                    }
                    created["id"].as_i64().unwrap()
                }
                // A collection the API only reads (time sheets, expense reports) is filled
                // through the admin API, as a test of a client would.
                None => {
                    let record = self.minimal(e).await?;
                    let mutation = json!({"entity": e.name(), "records": [record]});
                    let response = self
                        .app
                        .http
                        .post(self.app.admin_url("mutate"))
                        .json(&mutation)
                        .send()
                        .await
                        .unwrap();
                    let status = response.status();
                    let result: Value = response.json().await.unwrap_or_default();
                    result["inserted"][0]
                        .as_i64()
                        .ok_or_else(|| format!("mutate {mutation}: {status} {result}"))?
                }
            };
            self.records.insert(e.name(), (path.clone(), id));
            Ok((path, id))
        })
    }

    /// The entity's required fields with values of their types.
    fn minimal(&mut self, e: &'static Entity) -> BoxFuture<'_, Result<Value, String>> {
        Box::pin(async move {
            let mut body = Map::new();
            for field in e.required_fields() {
                let property = e.schema().property(field).unwrap();
                let value = match (&property.ty, e.reference_target(field)) {
                    (FieldType::Reference(_), Some(target)) => {
                        json!({"id": self.record(entity(target)).await?.1})
                    }
                    (ty, _) => sample(ty),
                };
                body.insert(property.name.clone(), value);
            }
            Ok(Value::Object(body))
        })
    }
}

/// A value of a type, for a field with no reference to check.
fn sample(ty: &FieldType) -> Value {
    match ty {
        FieldType::Integer => json!(1),
        FieldType::Number => json!(1.5),
        FieldType::Boolean => json!(true),
        FieldType::DateTime => json!("2024-01-01T00:00:00Z"),
        FieldType::Enum(values) => json!(values[0]),
        FieldType::String { max_length } => {
            let text: String = "Sandbox"
                .chars()
                .take(max_length.map_or(7, |m| m as usize))
                .collect();
            json!(text)
        }
        FieldType::Reference(_) => json!({"id": 1}),
        FieldType::Array(_) => json!([]),
        FieldType::Object(_) | FieldType::Map(_) => json!({}),
        FieldType::Any => json!("x"),
    }
}

#[tokio::test]
async fn every_collection_path_answers_a_list() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    let mut failures = Vec::new();
    let mut served = 0;
    for e in registry()
        .all_entities()
        .iter()
        .filter(|e| e.methods().list)
    {
        let path = match fixtures.collection(e).await {
            Ok(path) => path,
            Err(why) => {
                failures.push(format!("{}: parent: {why}", e.name()));
                continue;
            }
        };
        let response = app.get(&path).await;
        let status = response.status();
        let body = response.text().await.unwrap();
        match serde_json::from_str::<Value>(&body) {
            Ok(Value::Array(_)) if status == 200 => served += 1,
            _ => failures.push(format!("GET {path}: {status} {body}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(served >= 600, "{served}");
}

/// One collection per area, through create, get, list with a condition, count, patch,
/// replace and delete.
#[tokio::test]
async fn a_collection_of_every_area_round_trips() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    for name in [
        "finance/agreements",
        "company/companies/{parentId}/sites",
        "company/configurations",
        "service/tickets/{parentId}/tasks",
        "project/projects/{parentId}/phases",
        "time/workTypes",
        "sales/opportunities",
        "procurement/catalog",
        "schedule/calendars",
        "expense/types",
        "marketing/groups",
        "system/departments",
        "company/configurations/types",
    ] {
        let e = entity(name);
        let path = fixtures.collection(e).await.unwrap();
        let mut body = fixtures.minimal(e).await.unwrap();
        // A text field to find it by, within its length limit.
        let text_field = ["name", "description", "notes", "summary"]
            .into_iter()
            .find_map(|f| {
                let p = e.schema().property(f)?;
                matches!(p.ty, FieldType::String { .. }).then(|| p.name.clone())
            })
            .unwrap_or_else(|| panic!("{name} has no text field"));
        body[&text_field] = json!("Round trip");

        let (status, created) = app.send_json(Method::POST, &path, &body).await;
        assert_eq!(status, 201, "POST {path} {body}: {created}");
        let id = created["id"].as_i64().unwrap();
        assert!(created["_info"]["dateEntered"].is_string(), "{created}");

        let got = app.get_json(&format!("{path}/{id}")).await;
        assert_eq!(got, created, "{name}");

        let condition = format!("?conditions={text_field} contains \"trip\"");
        let listed = app.get_json(&format!("{path}{condition}")).await;
        assert_eq!(ids(&listed), [id], "{name}");
        let none = app
            .get_json(&format!("{path}?conditions={text_field} = \"other\""))
            .await;
        assert!(records(&none).is_empty(), "{name}");
        let count = app.get_json(&format!("{path}/count{condition}")).await;
        assert_eq!(count, json!({"count": 1}), "{name}");

        let ops = json!([{"op": "replace", "path": text_field, "value": "Patched"}]);
        let (status, patched) = app
            .send_json(Method::PATCH, &format!("{path}/{id}"), &ops)
            .await;
        assert_eq!(status, 200, "PATCH {name}: {patched}");
        assert_eq!(patched[&text_field], "Patched");
        if e.methods().replace {
            body[&text_field] = json!("Replaced");
            let (status, replaced) = app
                .send_json(Method::PUT, &format!("{path}/{id}"), &body)
                .await;
            assert_eq!(status, 200, "PUT {name}: {replaced}");
            assert_eq!(replaced[&text_field], "Replaced");
        }

        if e.methods().delete {
            let response = app
                .request(Method::DELETE, &format!("{path}/{id}"))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 204, "DELETE {name}");
            let gone = app.get(&format!("{path}/{id}")).await;
            assert_eq!(gone.status(), 404, "{name}");
        }
    }
}

#[tokio::test]
async fn writes_are_validated_against_the_schema() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    let agreements = entity("finance/agreements");
    let mut valid = fixtures.minimal(agreements).await.unwrap();
    let (_, company) = fixtures.record(entity("companies")).await.unwrap();
    valid["company"] = json!({"id": company});
    let post = |body: Value| {
        let app = &app;
        async move {
            app.send_json(Method::POST, "finance/agreements", &body)
                .await
        }
    };
    // (field, value or null to leave it out, error code, failing field, message part)
    let cases = [
        (
            "name",
            Value::Null,
            "MissingRequiredField",
            "name",
            "is required",
        ),
        (
            "name",
            json!("x".repeat(200)),
            "InvalidField",
            "name",
            "at most 100",
        ),
        (
            "applicationUnits",
            json!("Fortnights"),
            "InvalidField",
            "applicationUnits",
            "one of Amount",
        ),
        (
            "applicationLimit",
            json!("lots"),
            "InvalidField",
            "applicationLimit",
            "a number",
        ),
        (
            "parentAgreement",
            json!({"id": 987_654}),
            "InvalidField",
            "parentAgreement/id",
            "not a valid",
        ),
    ];
    for (field, value, code, failing, message) in cases {
        let mut body = valid.clone();
        if value.is_null() {
            body.as_object_mut().unwrap().remove(field);
        } else {
            body[field] = value;
        }
        let (status, answer) = post(body).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some("InvalidObject")),
            "{answer}"
        );
        let errors = answer["errors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{answer}");
        assert_eq!(
            (errors[0]["code"].as_str(), errors[0]["field"].as_str()),
            (Some(code), Some(failing))
        );
        assert!(
            errors[0]["message"].as_str().unwrap().contains(message),
            "{answer}"
        );
    }

    // A reference that exists is filled in as the service returns it.
    let (status, created) = post(valid.clone()).await;
    assert_eq!(status, 201, "{created}");
    assert!(created["company"]["identifier"].is_string(), "{created}");
    let mut child = valid;
    child["parentAgreement"] = json!({"id": created["id"]});
    let (status, body) = post(child).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["parentAgreement"]["name"], created["name"]);
}

#[tokio::test]
async fn ids_are_allocated_per_entity_and_children_stay_under_their_parent() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    let types = entity("time/workTypes");
    let body = fixtures.minimal(types).await.unwrap();
    let (_, first) = app.send_json(Method::POST, "time/workTypes", &body).await;
    let (_, second) = app.send_json(Method::POST, "time/workTypes", &body).await;
    assert_eq!(
        second["id"].as_i64().unwrap(),
        first["id"].as_i64().unwrap() + 1
    );
    let other = fixtures
        .minimal(entity("system/departments"))
        .await
        .unwrap();
    let (status, department) = app
        .send_json(Method::POST, "system/departments", &other)
        .await;
    assert_eq!(
        (status, department["id"].as_i64()),
        (201, Some(1)),
        "{department}"
    );

    // Sites of one company are not another's.
    let sites = entity("company/companies/{parentId}/sites");
    let site = fixtures.minimal(sites).await.unwrap();
    let (status, created) = app
        .send_json(Method::POST, "company/companies/250/sites", &site)
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        ids(&app.get_json("company/companies/250/sites").await),
        [id]
    );
    assert!(records(&app.get_json("company/companies/251/sites").await).is_empty());
    assert_eq!(
        app.get(&format!("company/companies/251/sites/{id}"))
            .await
            .status(),
        404
    );
    // Under a parent that does not exist: the parent is not found.
    let response = app.get("company/companies/987654/sites").await;
    assert_eq!(response.status(), 404);
    // Deleting the parent takes its children along.
    let response = app
        .request(Method::DELETE, "company/companies/250")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let (status, _) = app
        .send_json(
            Method::POST,
            "company/companies",
            &json!({"identifier": "Again", "name": "Again"}),
        )
        .await;
    assert_eq!(status, 201);
    let orphans = app.get(&format!("company/companies/250/sites/{id}")).await;
    assert_eq!(orphans.status(), 404);
}

#[tokio::test]
async fn info_lists_show_their_collections_records_in_the_info_schema() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    let e = entity("company/addressFormats");
    let mut body = fixtures.minimal(e).await.unwrap();
    body["name"] = json!("Seen through info");
    body["format"] = json!("[AddressLine1]");
    let (status, created) = app
        .send_json(Method::POST, "company/addressFormats", &body)
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_i64().unwrap();
    let info_schema = entity("company/addressFormats/info").schema();
    let listed = app.get_json("company/addressFormats/info").await;
    let record = &records(&listed)[0];
    assert_eq!(record["id"], id);
    assert_eq!(record["name"], "Seen through info");
    for key in record.as_object().unwrap().keys() {
        assert!(
            info_schema.property(key).is_some(),
            "{key} is not in {}",
            info_schema.name()
        );
    }
    // `format` is an address format's, not its info's.
    assert_eq!(created["format"], "[AddressLine1]");
    assert!(record.get("format").is_none(), "{record}");
    let one = app
        .get_json(&format!("company/addressFormats/{id}/info"))
        .await;
    assert_eq!(&one, record);
    let count = app.get_json("company/addressFormats/info/count").await;
    assert_eq!(count, json!({"count": 1}));
    // Views are read-only, as described.
    let (status, body) = app
        .send_json(Method::POST, "company/addressFormats/info", &json!({}))
        .await;
    assert_eq!(status, 405, "{body}");
}

#[tokio::test]
async fn actions_answer_501_naming_the_operation() {
    let app = TestApp::start().await;
    for (method, path, operation_id) in [
        (
            Method::POST,
            "service/tickets/10000/merge",
            "postServiceTicketsByParentIdMerge",
        ),
        (
            Method::POST,
            "company/companies/250/merge",
            "postCompanyCompaniesByIdMerge",
        ),
        (Method::POST, "service/boards/copy", "postServiceBoardsCopy"),
        (
            Method::GET,
            "company/companies/default",
            "getCompanyCompaniesDefault",
        ),
    ] {
        let (status, body) = app.send_json(method.clone(), path, &json!({})).await;
        assert_eq!(status, 501, "{method} {path}: {body}");
        assert_eq!(body["code"], "NotImplemented");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(operation_id), "{message}");
    }
    // The ticket was not touched.
    let ticket = app.get_json("service/tickets/10000").await;
    assert!(ticket["mergedParentTicket"].is_null(), "{ticket}");
    // A method the description does not have on a path is 405, an unknown path 404.
    let (status, _) = app
        .send_json(Method::DELETE, "finance/agreements", &json!({}))
        .await;
    assert_eq!(status, 405);
    assert_eq!(app.get("finance/nothing").await.status(), 404);
    // Every action of the registry is one the sandbox refuses rather than fakes.
    let actions = registry()
        .operations()
        .iter()
        .filter(|o| o.kind == OperationKind::Action)
        .count();
    assert!(actions > 100, "{actions}");
}

#[tokio::test]
async fn lists_of_any_collection_order_select_and_page() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    let body = fixtures.minimal(entity("time/workTypes")).await.unwrap();
    let mut made = Vec::new();
    for name in ["Delta", "alpha", "Echo", "charlie", "Bravo"] {
        let mut record = body.clone();
        record["name"] = json!(name);
        let (status, created) = app.send_json(Method::POST, "time/workTypes", &record).await;
        assert_eq!(status, 201, "{created}");
        made.push(created["id"].as_i64().unwrap());
    }
    let names = |list: &Value| {
        records(list)
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let ordered = app
        .get_json("time/workTypes?orderBy=name desc&fields=id,name")
        .await;
    assert_eq!(
        names(&ordered),
        ["Echo", "Delta", "charlie", "Bravo", "alpha"]
    );
    assert!(
        records(&ordered)
            .iter()
            .all(|r| r.as_object().unwrap().len() == 2),
        "{ordered}"
    );

    // Page mode: page 2 of 2-record pages, with its links.
    let response = app
        .get("time/workTypes?orderBy=name&pageSize=2&page=2")
        .await;
    let next = common::link(&response, "next").unwrap();
    assert!(next.ends_with("pageSize=2&page=3"), "{next}");
    assert!(common::link(&response, "prev").is_some());
    let page: Value = response.json().await.unwrap();
    assert_eq!(names(&page), ["charlie", "Delta"]);

    // Forward-only: ordered by id, `next` carries the last id.
    let response = app
        .request(Method::GET, "time/workTypes?pageSize=3")
        .header("pagination-type", "forward-only")
        .send()
        .await
        .unwrap();
    let next = common::link(&response, "next").unwrap();
    assert!(next.ends_with(&format!("pageId={}", made[2])), "{next}");
    let first: Value = response.json().await.unwrap();
    assert_eq!(ids(&first), made[..3]);
    let rest = app
        .request(
            Method::GET,
            &format!("time/workTypes?pageSize=3&pageId={}", made[2]),
        )
        .header("pagination-type", "forward-only")
        .send()
        .await
        .unwrap();
    assert!(common::link(&rest, "next").is_none());
    let rest: Value = rest.json().await.unwrap();
    assert_eq!(ids(&rest), made[3..]);

    // Conditions through SQLite's JSON functions: `in` and `like`, case-insensitive.
    let matched = app
        .get_json("time/workTypes?conditions=name in (\"ALPHA\", \"bravo\") or name like \"E*\"&orderBy=id")
        .await;
    assert_eq!(names(&matched), ["alpha", "Echo", "Bravo"]);
    let response = app.get("time/workTypes?conditions=nmae = 1").await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 400);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("did you mean `name`"),
        "{body}"
    );
}

#[tokio::test]
async fn a_reset_empties_the_described_collections_and_keeps_the_seed() {
    let app = TestApp::start().await;
    let mut fixtures = Fixtures::new(&app);
    let body = fixtures
        .minimal(entity("system/departments"))
        .await
        .unwrap();
    let (status, _) = app
        .send_json(Method::POST, "system/departments", &body)
        .await;
    assert_eq!(status, 201);
    let tickets = app.get_json("service/tickets/count").await;
    let response = app.http.post(app.admin_url("reset")).send().await.unwrap();
    assert!(response.status().is_success());
    assert!(records(&app.get_json("system/departments").await).is_empty());
    assert_eq!(app.get_json("service/tickets/count").await, tickets);
    // Ids start again.
    let (_, created) = app
        .send_json(Method::POST, "system/departments", &body)
        .await;
    assert_eq!(created["id"], 1);
}
