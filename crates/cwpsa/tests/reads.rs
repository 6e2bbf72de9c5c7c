//! Lists, counts, conditions and errors against the sandbox.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::TestApp;
use cwpsa::model::{
    Board, BoardStatus, Company, Contact, Member, Note, Priority, Project, Ticket, TimeEntry,
};
use cwpsa::{ErrorKind, Paging, Query, field};
use futures_util::TryStreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;

async fn ids(app: &TestApp, path: &str, query: &Query, paging: Paging) -> Vec<i64> {
    app.client
        .list_with::<Value>(path, query, paging)
        .map_ok(|r| r["id"].as_i64().unwrap())
        .try_collect()
        .await
        .unwrap()
}

fn assert_unique(ids: &[i64]) {
    let set: HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(set.len(), ids.len(), "no record twice");
}

#[tokio::test]
async fn forward_only_and_page_mode_return_every_record_once() {
    let app = TestApp::start().await;
    let total = app
        .client
        .count("service/tickets", &Query::new())
        .await
        .unwrap();
    assert!(total > 250);
    // Odd page sizes so that the last page is short; and one that divides exactly.
    for size in [97, 1000, total as u32 / 3] {
        let q = Query::new().page_size(size);
        let forward = ids(&app, "service/tickets", &q, Paging::ForwardOnly).await;
        assert_eq!(forward.len() as u64, total, "forward-only, pageSize {size}");
        assert_unique(&forward);
        assert!(
            forward.windows(2).all(|w| w[0] < w[1]),
            "forward-only is ordered by id"
        );
        let paged = ids(
            &app,
            "service/tickets",
            &q.clone().order_by("id desc"),
            Paging::Auto,
        )
        .await;
        assert_eq!(paged.len() as u64, total, "pages, pageSize {size}");
        assert_unique(&paged);
        assert!(paged.windows(2).all(|w| w[0] > w[1]), "orderBy is honoured");
    }
    // Filtered: the stream and /count agree.
    let q = Query::new()
        .conditions(
            field("closedFlag")
                .eq(false)
                .and(field("priority/name").contains("High")),
        )
        .page_size(50);
    let open_high = ids(&app, "service/tickets", &q, Paging::Auto).await;
    assert_eq!(
        open_high.len() as u64,
        app.client.count("service/tickets", &q).await.unwrap()
    );
    assert!(!open_high.is_empty());
    // Page mode without orderBy still works (page numbers from Link or short pages).
    let pages = ids(
        &app,
        "company/companies",
        &Query::new().page_size(7),
        Paging::Pages,
    )
    .await;
    assert_eq!(
        pages.len() as u64,
        app.client
            .count("company/companies", &Query::new())
            .await
            .unwrap()
    );
    assert_unique(&pages);
}

#[tokio::test]
async fn forward_only_refuses_order_by_before_sending() {
    let app = TestApp::start().await;
    let err = app
        .client
        .list_with::<Value>(
            "service/tickets",
            &Query::new().order_by("id desc"),
            Paging::ForwardOnly,
        )
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn fields_selection_keeps_nesting_and_pages_forward() {
    let app = TestApp::start().await;
    let q = Query::new().fields("id,summary,status/name").page_size(100);
    let tickets: Vec<Ticket> = app
        .client
        .list("service/tickets", &q)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        tickets.len() as u64,
        app.client
            .count("service/tickets", &Query::new())
            .await
            .unwrap()
    );
    let t = &tickets[0];
    assert!(t.summary.is_some() && t.status.as_ref().unwrap().name.is_some());
    assert!(t.company.is_none() && t.info.is_none() && t.extra.is_empty());
}

#[tokio::test]
async fn forward_only_with_fields_lacking_id_still_pages_to_the_end() {
    // A last page that is exactly full carries no `Link`: the pager must continue from the
    // last id, so it selects `id` even when the caller's fields leave it out.
    let app = TestApp::start().await;
    let total = app
        .client
        .count("company/companies", &Query::new())
        .await
        .unwrap();
    assert!(total > 1 && total <= 1000, "{total}");
    let q = Query::new().fields("name").page_size(total as u32);
    let names: Vec<Value> = app
        .client
        .list_with("company/companies", &q, Paging::ForwardOnly)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(names.len() as u64, total);
    assert!(
        names
            .iter()
            .all(|c| c["name"].is_string() && c["id"].is_i64())
    );
}

async fn decode_all<T: DeserializeOwned + Send + 'static>(app: &TestApp, path: &str) -> usize {
    let results: Vec<cwpsa::Result<T>> =
        app.client.list(path, &Query::new()).collect_results().await;
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .map(ToString::to_string)
        .collect();
    assert!(
        errors.is_empty(),
        "{path}: {} decode errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert!(!results.is_empty(), "{path} has demo data");
    results.len()
}

trait CollectResults<T> {
    async fn collect_results(self) -> Vec<cwpsa::Result<T>>;
}

impl<T, S: futures_util::Stream<Item = cwpsa::Result<T>> + Unpin> CollectResults<T> for S {
    async fn collect_results(self) -> Vec<cwpsa::Result<T>> {
        futures_util::StreamExt::collect(self).await
    }
}

#[tokio::test]
async fn every_core_entity_decodes_without_errors() {
    let app = TestApp::start().await;
    decode_all::<Ticket>(&app, "service/tickets").await;
    decode_all::<Company>(&app, "company/companies").await;
    decode_all::<Contact>(&app, "company/contacts").await;
    decode_all::<Project>(&app, "project/projects").await;
    decode_all::<TimeEntry>(&app, "time/entries").await;
    decode_all::<Member>(&app, "system/members").await;
    decode_all::<Board>(&app, "service/boards").await;
    decode_all::<Priority>(&app, "service/priorities").await;
    decode_all::<BoardStatus>(&app, "service/boards/1/statuses").await;
    let first: Vec<Ticket> = app
        .client
        .list("service/tickets", &Query::new().page_size(5))
        .try_collect()
        .await
        .unwrap();
    let notes = decode_all::<Note>(
        &app,
        &format!("service/tickets/{}/notes", first[0].id.unwrap()),
    )
    .await;
    assert!(notes >= 1);

    // Typed fields are filled, not left in `extra`.
    let ticket: Ticket = app
        .client
        .get(&format!("service/tickets/{}", first[0].id.unwrap()))
        .await
        .unwrap();
    assert!(ticket.summary.is_some() && ticket.company.as_ref().and_then(|c| c.id).is_some());
    assert!(
        ticket
            .info
            .as_ref()
            .and_then(|i| i.last_updated())
            .is_some()
    );
    assert!(!ticket.extra.contains_key("summary"));
}

#[tokio::test]
async fn a_decode_error_names_the_record_and_field() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Strict {
        id: i64,
        summary: u32,
    }
    let app = TestApp::start().await;
    let first = app
        .client
        .list::<Strict>("service/tickets", &Query::new().page_size(3))
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(first.kind(), ErrorKind::Decode);
    let text = first.to_string();
    assert!(
        text.contains("record 0") && text.contains("(id 10000)") && text.contains("`summary`"),
        "{text}"
    );
}

#[tokio::test]
async fn api_errors_map_to_kinds_with_details() {
    let app = TestApp::start().await;
    let missing = app
        .client
        .get::<Value>("service/tickets/1")
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert_eq!(missing.status(), Some(404));
    assert!(
        missing.to_string().contains("GET service/tickets/1"),
        "{missing}"
    );

    let unknown_field = app
        .client
        .count(
            "service/tickets",
            &Query::new().conditions(field("noSuchField").eq(1)),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown_field.kind(), ErrorKind::InvalidArgument);
    assert!(
        unknown_field.message().contains("noSuchField"),
        "{unknown_field}"
    );

    // A malformed conditions string never leaves the client.
    let bad = app
        .client
        .count("service/tickets", &Query::new().conditions("summary = 'x"))
        .await
        .unwrap_err();
    assert_eq!(bad.kind(), ErrorKind::InvalidArgument);
    assert_eq!(bad.status(), None);

    let invalid = app
        .client
        .create::<Value>("service/tickets", &serde_json::json!({"budgetHours": 1}))
        .await
        .unwrap_err();
    assert_eq!(invalid.kind(), ErrorKind::InvalidObject);
    let fields: Vec<&str> = invalid
        .field_errors()
        .iter()
        .map(|e| e.field.as_str())
        .collect();
    assert!(
        fields.contains(&"summary") && fields.contains(&"company"),
        "{invalid}"
    );
}

#[tokio::test]
async fn long_conditions_go_through_search_or_fail_before_sending() {
    let app = TestApp::start().await;
    let all: Vec<i64> = ids(&app, "service/tickets", &Query::new(), Paging::ForwardOnly).await;
    // ~300 ids make a URL far over 2000 characters.
    let wanted: Vec<i64> = all.iter().copied().step_by(2).take(300).collect();
    let q = Query::new()
        .conditions(field("id").one_of(wanted.clone()))
        .page_size(40);
    let got = ids(&app, "service/tickets", &q, Paging::ForwardOnly).await;
    assert_eq!(got, wanted);
    let paged = ids(
        &app,
        "service/tickets",
        &q.clone().order_by("id asc"),
        Paging::Pages,
    )
    .await;
    assert_eq!(paged, wanted);

    let companies = Query::new().conditions(field("id").one_of(wanted));
    let err = app
        .client
        .list::<Value>("company/companies", &companies)
        .try_next()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("search"), "{err}");
}

#[tokio::test]
async fn forward_only_export_is_exact_under_concurrent_inserts_and_deletes() {
    export_under_mutation(1).await;
}

#[tokio::test]
async fn a_parallel_forward_only_export_is_exact_under_concurrent_inserts_and_deletes() {
    export_under_mutation(3).await;
}

/// Deletes and inserts tickets while exporting them forward-only with `concurrency` pages in
/// flight: every ticket that existed throughout comes exactly once.
async fn export_under_mutation(concurrency: usize) {
    let app = TestApp::start().await;
    let before = ids(&app, "service/tickets", &Query::new(), Paging::ForwardOnly).await;
    let doomed: Vec<i64> = before.iter().copied().skip(3).step_by(9).take(40).collect();
    let company = before[0];
    let company: Value = app
        .client
        .get(&format!("service/tickets/{company}"))
        .await
        .unwrap();
    let company_id = company["company"]["id"].clone();
    let writer = app.client.clone();
    let mutate = async move {
        for (i, id) in doomed.iter().enumerate() {
            writer
                .delete(&format!("service/tickets/{id}"))
                .await
                .unwrap();
            let _: Value = writer
                .create("service/tickets", &serde_json::json!({"summary": format!("new {i}"), "company": {"id": company_id}}))
                .await
                .unwrap();
            tokio::task::yield_now().await;
        }
        doomed
    };
    let export = async {
        let mut stream = app.client.list_with::<Value>(
            "service/tickets",
            &Query::new().page_size(20).concurrency(concurrency),
            Paging::ForwardOnly,
        );
        let mut seen = Vec::new();
        while let Some(r) = stream.try_next().await.unwrap() {
            seen.push(r["id"].as_i64().unwrap());
            tokio::task::yield_now().await;
        }
        seen
    };
    let (seen, doomed) = tokio::join!(export, mutate);
    assert_unique(&seen);
    let seen: HashSet<i64> = seen.into_iter().collect();
    let survivors = before.iter().filter(|id| !doomed.contains(id));
    for id in survivors {
        assert!(
            seen.contains(id),
            "ticket {id} existed throughout but was not exported"
        );
    }
}

#[tokio::test]
async fn the_api_version_is_configurable_and_an_unknown_one_is_refused() {
    let app = TestApp::start().await;
    let old = cwpsa::Client::new(
        common::sandbox_config(app.sandbox.base_url())
            .api_version("2022.1")
            .build()
            .unwrap(),
    )
    .unwrap();
    let response = old
        .request(cwpsa::Method::GET, "service/priorities")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers["api-current-version"], "2025.1");
    let unknown = cwpsa::Client::new(
        common::sandbox_config(app.sandbox.base_url())
            .api_version("1999.7")
            .build()
            .unwrap(),
    )
    .unwrap();
    let err = unknown
        .get::<Value>("service/priorities")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(err.code(), Some("InvalidVersion"));
}
