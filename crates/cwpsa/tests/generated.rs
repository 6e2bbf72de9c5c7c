//! The generated models and operations: decoding that keeps what it does not expect, every
//! core model against the sandbox's demo data without loss, and the typed operations of each
//! area end to end against the sandbox.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use cwpsa::model::{
    Board, BoardStatus, Company, CompanyReference, Contact, Member, Note, Priority, Project,
    ServiceNote, Ticket, TicketSeverity, TimeEntry,
};
use cwpsa::{ErrorKind, PatchOps, Query, field};
use futures_util::TryStreamExt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn decode<T: DeserializeOwned>(json: &Value) -> T {
    serde_json::from_value(json.clone()).unwrap()
}

fn encode(record: &impl Serialize) -> Value {
    serde_json::to_value(record).unwrap()
}

#[test]
fn a_new_enum_value_decodes_and_is_sent_back_as_it_came() {
    let json = json!({"id": 1, "severity": "Catastrophic", "impact": "High"});
    let ticket: Ticket = decode(&json);
    let severity = ticket.severity.as_ref().unwrap();
    assert_eq!(*severity, TicketSeverity::Unknown("Catastrophic".into()));
    assert_eq!(severity.to_string(), "Catastrophic");
    assert_eq!(ticket.impact.as_ref().unwrap().as_str(), "High");
    assert_eq!(encode(&ticket), json);
}

#[test]
fn a_decimal_in_an_integer_field_is_kept_not_an_error() {
    // `knowledgeBaseCategoryId` and a reference's `id` are declared int32.
    let json = json!({
        "id": 7,
        "knowledgeBaseCategoryId": 2.5,
        "company": {"id": 19.5, "name": "Acme"},
        "budgetHours": 1.75,
        "actualHours": 3
    });
    let ticket: Ticket = decode(&json);
    assert_eq!(ticket.id, Some(7));
    assert_eq!(ticket.knowledge_base_category_id, None);
    assert_eq!(ticket.extra["knowledgeBaseCategoryId"], json!(2.5));
    let company = ticket.company.as_ref().unwrap();
    assert_eq!((company.id, company.name.as_deref()), (None, Some("Acme")));
    assert_eq!(company.extra["id"], json!(19.5));
    // `number` fields hold decimals, and take integers.
    assert_eq!(ticket.budget_hours, Some(1.75));
    assert_eq!(ticket.actual_hours, Some(3.0));
    let back = encode(&ticket);
    assert_eq!(back["knowledgeBaseCategoryId"], json!(2.5));
    assert_eq!(back["company"], json["company"]);
    assert_eq!(back["budgetHours"], json!(1.75));
    assert_eq!(back["actualHours"].as_f64(), Some(3.0));
}

#[test]
fn unknown_fields_nulls_and_mistyped_values_are_kept() {
    let json = json!({
        "id": 7,
        "brandNewField": {"nested": [1, "two", null]},
        "contact": null,
        "summary": 12345,
        "closedFlag": "yes",
        "customFields": [{"id": 1, "caption": "Tom", "value": 5, "futureKey": true}],
        "_info": {"lastUpdated": "2024-01-01T00:00:00Z", "ticket_href": "https://x/5"}
    });
    let ticket: Ticket = decode(&json);
    assert_eq!(ticket.extra["brandNewField"], json["brandNewField"]);
    assert_eq!(ticket.extra["contact"], Value::Null);
    assert_eq!(ticket.extra["summary"], json!(12345));
    assert_eq!(ticket.extra["closedFlag"], json!("yes"));
    assert!(ticket.summary.is_none() && ticket.closed_flag.is_none());
    let custom = &ticket.custom_fields.as_ref().unwrap()[0];
    assert_eq!(custom.caption.as_deref(), Some("Tom"));
    assert_eq!(custom.extra["futureKey"], json!(true));
    let info = ticket.info.as_ref().unwrap();
    assert_eq!(info.last_updated(), Some("2024-01-01T00:00:00Z"));
    assert_eq!(info.entries.get("ticket_href"), Some("https://x/5"));
    assert_eq!(encode(&ticket), json);
}

#[test]
fn a_field_set_after_decoding_replaces_the_kept_value() {
    let mut ticket: Ticket = decode(&json!({"id": 7, "contact": null, "summary": 5}));
    ticket.summary = Some("Printer on fire".into());
    ticket.company = Some(CompanyReference::id(250));
    let text = serde_json::to_string(&ticket).unwrap();
    assert_eq!(text.matches("\"summary\"").count(), 1, "{text}");
    assert_eq!(
        encode(&ticket),
        json!({"id": 7, "contact": null, "summary": "Printer on fire", "company": {"id": 250}})
    );
}

#[test]
fn debug_shows_set_fields_and_hides_secrets() {
    let member: Member = decode(&json!({
        "identifier": "jdoe", "password": "hunter2", "brandNew": 1
    }));
    let debug = format!("{member:?}");
    assert_eq!(
        debug,
        r#"Member { identifier: "jdoe", password: "***", extra: {"brandNew": Number(1)} }"#
    );
    let display = member.to_string();
    assert!(display.contains(r#""password":"***""#), "{display}");
    assert!(!display.contains("hunter2") && !debug.contains("hunter2"));
    // The record itself still sends the password.
    assert_eq!(encode(&member)["password"], json!("hunter2"));
}

/// Every record of a list, raw and typed: the typed one encodes back to the raw one exactly,
/// and whatever it kept in `extra` is not a field of its schema (or did not fit it).
async fn lossless<T>(app: &TestApp, path: &str, schema: &str) -> usize
where
    T: DeserializeOwned + Serialize + HasExtra + Send + 'static,
{
    let raw: Vec<Value> = app
        .client
        .list(path, &Query::new())
        .try_collect()
        .await
        .unwrap();
    assert!(!raw.is_empty(), "{path} has demo data");
    let properties = cwpsa_core::schema::registry().schema(schema).unwrap();
    for record in &raw {
        let typed: T = decode(record);
        assert_eq!(&encode(&typed), record, "{path}: record {}", record["id"]);
        for (key, value) in typed.extra() {
            assert!(
                properties.property(key).is_none() || value.is_null(),
                "{path}: `{key}` = {value} of record {} was not decoded into its field",
                record["id"]
            );
        }
    }
    raw.len()
}

trait HasExtra {
    fn extra(&self) -> &serde_json::Map<String, Value>;
}

macro_rules! has_extra {
    ($($t:ty),*) => {
        $(impl HasExtra for $t {
            fn extra(&self) -> &serde_json::Map<String, Value> {
                &self.extra
            }
        })*
    };
}
has_extra!(
    Ticket,
    Company,
    Contact,
    Project,
    TimeEntry,
    Member,
    Board,
    Priority,
    BoardStatus,
    ServiceNote
);

#[tokio::test]
async fn every_core_model_decodes_the_demo_data_and_encodes_it_back_without_loss() {
    let app = TestApp::start().await;
    lossless::<Ticket>(&app, "service/tickets", "Ticket").await;
    lossless::<Company>(&app, "company/companies", "Company").await;
    lossless::<Contact>(&app, "company/contacts", "Contact").await;
    lossless::<Project>(&app, "project/projects", "Project").await;
    lossless::<TimeEntry>(&app, "time/entries", "TimeEntry").await;
    lossless::<Member>(&app, "system/members", "Member").await;
    lossless::<Board>(&app, "service/boards", "Board").await;
    lossless::<Priority>(&app, "service/priorities", "Priority").await;
    lossless::<BoardStatus>(&app, "service/boards/1/statuses", "BoardStatus").await;
    let first: Vec<Value> = app
        .client
        .list("service/tickets", &Query::new().page_size(3))
        .try_next()
        .await
        .unwrap()
        .into_iter()
        .collect();
    let ticket = first[0]["id"].as_i64().unwrap();
    lossless::<Note>(
        &app,
        &format!("service/tickets/{ticket}/notes"),
        "ServiceNote",
    )
    .await;
}

/// The ids a typed list returns are the ids the generic list of the same path returns.
async fn same_ids<T: Serialize>(
    app: &TestApp,
    path: &str,
    typed: futures_util::stream::BoxStream<'static, cwpsa::Result<T>>,
) -> Vec<i64> {
    let typed: Vec<T> = typed.try_collect().await.unwrap();
    let typed: Vec<i64> = typed
        .iter()
        .map(|r| encode(r)["id"].as_i64().unwrap())
        .collect();
    let generic: Vec<Value> = app
        .client
        .list(path, &Query::new())
        .try_collect()
        .await
        .unwrap();
    let generic: Vec<i64> = generic.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert!(!typed.is_empty(), "{path} has demo data");
    assert_eq!(typed, generic, "{path}");
    typed
}

#[tokio::test]
async fn service_tickets_and_notes_through_the_typed_operations() {
    let app = TestApp::start().await;
    let tickets = app.client.service().tickets();
    let open = Query::new().conditions(field("closedFlag").eq(false));
    // A request's future owns what it needs: it outlives the handle and the query.
    let pending = {
        let query = open.clone();
        app.client.service().tickets().count(&query)
    };
    let count = pending.await.unwrap();
    assert_eq!(
        count,
        app.client.count("service/tickets", &open).await.unwrap()
    );
    let listed: Vec<Ticket> = tickets.list(&open).try_collect().await.unwrap();
    assert_eq!(listed.len() as u64, count);
    assert!(listed.iter().all(|t| t.closed_flag == Some(false)));

    let company: Company = app
        .client
        .company()
        .companies()
        .list(&Query::new().page_size(1))
        .try_next()
        .await
        .unwrap()
        .unwrap();
    let created = tickets
        .create(&Ticket {
            summary: Some("Typed: printer on fire".into()),
            company: Some(CompanyReference::id(company.id.unwrap())),
            ..Ticket::default()
        })
        .await
        .unwrap();
    let id = created.id.unwrap();
    assert_eq!(tickets.get(id).await.unwrap().summary, created.summary);

    let patched = tickets
        .patch(id, &PatchOps::new().replace("budgetHours", 2.5))
        .await
        .unwrap();
    assert_eq!(patched.budget_hours, Some(2.5));
    let mut whole = patched.clone();
    whole.summary = Some("Typed: printer no longer on fire".into());
    let updated = tickets.update(id, &whole).await.unwrap();
    assert_eq!(updated.summary, whole.summary);
    let empty = tickets.patch(id, &PatchOps::new()).await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidArgument);

    let notes = tickets.notes(id);
    let note = notes
        .create(&ServiceNote {
            text: Some("Typed note".into()),
            detail_description_flag: Some(true),
            ..ServiceNote::default()
        })
        .await
        .unwrap();
    let listed: Vec<ServiceNote> = notes.list(&Query::new()).try_collect().await.unwrap();
    assert!(listed.iter().any(|n| n.id == note.id));
    assert_eq!(
        notes.get(note.id.unwrap()).await.unwrap().text.as_deref(),
        Some("Typed note")
    );
    assert_eq!(
        notes.count(&Query::new()).await.unwrap(),
        listed.len() as u64
    );

    tickets.delete(id).await.unwrap();
    let gone = tickets.get(id).await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn service_boards_statuses_and_priorities_through_the_typed_operations() {
    let app = TestApp::start().await;
    let service = app.client.service();
    let boards = same_ids(&app, "service/boards", service.boards().list(&Query::new())).await;
    let board = service.boards().get(boards[0]).await.unwrap();
    assert_eq!(board.id, Some(boards[0]));
    let path = format!("service/boards/{}/statuses", boards[0]);
    let statuses = same_ids(
        &app,
        &path,
        service.boards().statuses(boards[0]).list(&Query::new()),
    )
    .await;
    let status = service
        .boards()
        .statuses(boards[0])
        .get(statuses[0])
        .await
        .unwrap();
    assert_eq!(status.id, Some(statuses[0]));
    let priorities = same_ids(
        &app,
        "service/priorities",
        service.priorities().list(&Query::new()),
    )
    .await;
    assert_eq!(
        service.priorities().count(&Query::new()).await.unwrap(),
        priorities.len() as u64
    );
}

#[tokio::test]
async fn company_companies_and_contacts_through_the_typed_operations() {
    let app = TestApp::start().await;
    let company = app.client.company();
    let companies = same_ids(
        &app,
        "company/companies",
        company.companies().list(&Query::new()),
    )
    .await;
    let one = company.companies().get(companies[0]).await.unwrap();
    assert!(one.identifier.is_some());
    let contacts = same_ids(
        &app,
        "company/contacts",
        company.contacts().list(&Query::new()),
    )
    .await;
    assert_eq!(
        company.contacts().count(&Query::new()).await.unwrap(),
        contacts.len() as u64
    );
    let contact = company
        .contacts()
        .patch(
            contacts[0],
            &PatchOps::new().replace("title", "Typed title"),
        )
        .await
        .unwrap();
    assert_eq!(contact.title.as_deref(), Some("Typed title"));
}

#[tokio::test]
async fn system_project_and_time_through_the_typed_operations() {
    let app = TestApp::start().await;
    let members = same_ids(
        &app,
        "system/members",
        app.client.system().members().list(&Query::new()),
    )
    .await;
    let member = app.client.system().members().get(members[0]).await.unwrap();
    assert!(member.identifier.is_some());

    let projects = same_ids(
        &app,
        "project/projects",
        app.client.project().projects().list(&Query::new()),
    )
    .await;
    let project = app
        .client
        .project()
        .projects()
        .get(projects[0])
        .await
        .unwrap();
    assert_eq!(project.id, Some(projects[0]));

    let entries = same_ids(
        &app,
        "time/entries",
        app.client.time().entries().list(&Query::new()),
    )
    .await;
    assert_eq!(
        app.client
            .time()
            .entries()
            .count(&Query::new())
            .await
            .unwrap(),
        entries.len() as u64
    );
}

/// The method and path of the last request the sandbox received, and its query string.
async fn last_request(app: &TestApp) -> (String, String, String) {
    let log = common::admin_get(&app.sandbox, "requests?limit=1").await;
    let last = &log[0];
    let text = |k: &str| last[k].as_str().unwrap_or_default().to_owned();
    let path = text("path");
    let path = path
        .split_once("/apis/3.0/")
        .map_or(path.clone(), |(_, p)| p.to_owned());
    (text("method"), path, text("query"))
}

#[tokio::test]
async fn operations_of_other_areas_and_actions_reach_their_paths() {
    // Whatever the sandbox answers (it may not serve these), the request must go where the
    // description says, with the body and parameters the method took.
    let app = TestApp::start().await;
    let _ = app.client.finance().agreements().get(1).await;
    assert_eq!(
        last_request(&app).await,
        ("GET".into(), "finance/agreements/1".into(), String::new())
    );
    let _ = app
        .client
        .service()
        .tickets()
        .merge(1, &cwpsa::model::TicketMerge::default())
        .await;
    assert_eq!(
        last_request(&app).await,
        (
            "POST".into(),
            "service/tickets/1/merge".into(),
            String::new()
        )
    );
    let _ = app
        .client
        .sales()
        .opportunities()
        .notes(7)
        .count(&Query::new().conditions(field("text").contains("x")))
        .await;
    let (method, path, query) = last_request(&app).await;
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("GET", "sales/opportunities/7/notes/count")
    );
    assert!(query.starts_with("conditions="), "{query}");
    // A parameter the description declares besides the list ones.
    let _ = app
        .client
        .system()
        .documents()
        .list(&Query::new(), Some(5), Some("Ticket"))
        .try_next()
        .await;
    let (_, path, query) = last_request(&app).await;
    assert_eq!(path, "system/documents");
    assert!(
        query.contains("recordId=5") && query.contains("recordType=Ticket"),
        "{query}"
    );
}

/// One record's life through an area's typed operations against the sandbox, which serves
/// every entity of the description: create, get, patch, list and count with a condition,
/// delete, and the 404 after it.
macro_rules! lifecycle {
    ($app:expr, $handle:expr, $ty:ident { $($field:ident: $value:literal),* }) => {{
        let handle = $handle;
        let what = stringify!($ty);
        let record = cwpsa::model::$ty {
            $($field: Some($value.into()),)*
            ..Default::default()
        };
        let created = handle
            .create(&record)
            .await
            .unwrap_or_else(|e| panic!("{what}: create: {e}"));
        let id = created.id.unwrap_or_else(|| panic!("{what}: created without an id"));
        $(assert_eq!(created.$field.as_deref(), Some($value), "{what}: created");)*
        let (_, path, _) = last_request(&$app).await;

        let renamed = format!("Renamed {what} {id}");
        let patched = handle
            .patch(id, &PatchOps::new().replace("name", renamed.as_str()))
            .await
            .unwrap_or_else(|e| panic!("{what}: patch: {e}"));
        assert_eq!(patched.name.as_deref(), Some(renamed.as_str()), "{what}: patched");
        assert_eq!(
            handle.get(id).await.unwrap().name.as_deref(),
            Some(renamed.as_str()),
            "{what}: read back"
        );

        let query = Query::new().conditions(field("name").eq(renamed.as_str()));
        let found: Vec<_> = handle.list(&query).try_collect().await.unwrap();
        assert_eq!(
            found.iter().map(|r| r.id).collect::<Vec<_>>(),
            vec![Some(id)],
            "{what}: listed"
        );
        assert_eq!(handle.count(&query).await.unwrap(), 1, "{what}: counted");

        handle.delete(id).await.unwrap_or_else(|e| panic!("{what}: delete: {e}"));
        let gone = handle.get(id).await.unwrap_err();
        assert_eq!(gone.kind(), ErrorKind::NotFound, "{what}: after delete");
        path
    }};
}

#[tokio::test]
async fn a_record_of_each_area_lives_and_dies_through_the_typed_operations() {
    let app = TestApp::start().await;
    let c = &app.client;
    let paths = vec![
        lifecycle!(
            app,
            c.company().address_formats(),
            AddressFormat {
                name: "Label",
                format: "[Street]"
            }
        ),
        lifecycle!(
            app,
            c.expense().payment_types(),
            PaymentType { name: "Card" }
        ),
        lifecycle!(
            app,
            c.finance().billing_statuses(),
            BillingStatus { name: "Held" }
        ),
        lifecycle!(app, c.marketing().groups(), Group { name: "Newsletter" }),
        lifecycle!(
            app,
            c.procurement().manufacturers(),
            Manufacturer { name: "Acme" }
        ),
        lifecycle!(
            app,
            c.project().phase_statuses(),
            PhaseStatus { name: "Waiting" }
        ),
        lifecycle!(app, c.sales().activities(), Activity { name: "Call back" }),
        lifecycle!(
            app,
            c.schedule().holiday_lists(),
            HolidayList { name: "Local" }
        ),
        lifecycle!(
            app,
            c.service().knowledge_base_categories(),
            KnowledgeBaseCategory { name: "Printers" }
        ),
        lifecycle!(
            app,
            c.system().departments(),
            Department {
                name: "Field",
                identifier: "FLD"
            }
        ),
        lifecycle!(app, c.time().charge_codes(), ChargeCode { name: "Travel" }),
    ];
    assert_eq!(
        paths,
        [
            "company/addressFormats",
            "expense/paymentTypes",
            "finance/billingStatuses",
            "marketing/groups",
            "procurement/manufacturers",
            "project/phaseStatuses",
            "sales/activities",
            "schedule/holidayLists",
            "service/knowledgeBaseCategories",
            "system/departments",
            "time/chargeCodes",
        ]
    );
    // The configurations area only reads: its typed list and count reach the sandbox.
    let infos: Vec<_> = c
        .configurations()
        .types()
        .info()
        .list(&Query::new())
        .try_collect()
        .await
        .unwrap();
    let counted = c
        .configurations()
        .types()
        .info()
        .count(&Query::new())
        .await
        .unwrap();
    assert_eq!(infos.len() as u64, counted);
}
