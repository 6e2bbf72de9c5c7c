//! Lists with several pages in flight (`Query::concurrency`): page mode prefetching after
//! `/count`, and forward-only exports split into id ranges.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::{TestApp, admin_get, admin_send, stat};
use cwpsa::{ErrorKind, Paging, Query, field};
use futures_util::{StreamExt, TryStreamExt};
use serde_json::{Value, json};

const TICKETS: &str = "service/tickets";

async fn ids(app: &TestApp, query: &Query, paging: Paging) -> Vec<i64> {
    app.client
        .list_with::<Value>(TICKETS, query, paging)
        .map_ok(|r| r["id"].as_i64().unwrap())
        .try_collect()
        .await
        .unwrap()
}

async fn requests(app: &TestApp) -> u64 {
    stat(&admin_get(&app.sandbox, "stats").await, "/requests")
}

#[tokio::test]
async fn prefetched_pages_come_in_the_same_order_as_sequential_ones() {
    let app = TestApp::start().await;
    let query = Query::new()
        .conditions(field("closedFlag").eq(false))
        .order_by("priority/id desc, id asc")
        .page_size(37);
    let sequential = ids(&app, &query, Paging::Pages).await;
    assert!(
        sequential.len() > 3 * 37,
        "several pages: {}",
        sequential.len()
    );
    let before = requests(&app).await;
    let prefetched = ids(&app, &query.clone().concurrency(4), Paging::Pages).await;
    let used = requests(&app).await - before;
    assert_eq!(prefetched, sequential, "same records, same order");
    // One /count, then each page once (the stats request itself is not counted by the API).
    let pages = (sequential.len() as u64).div_ceil(37);
    assert_eq!(used, 1 + pages, "requests used");
}

#[tokio::test]
async fn forward_only_ranges_return_every_matching_record_exactly_once() {
    let app = TestApp::start().await;
    let query = Query::new()
        .conditions(field("closedFlag").eq(false).or(field("priority/id").le(2)))
        .fields("id,closedFlag")
        .page_size(25);
    let sequential = ids(&app, &query, Paging::ForwardOnly).await;
    assert!(
        sequential.len() > 4 * 25,
        "several pages: {}",
        sequential.len()
    );
    for k in [2, 3, 7] {
        let before = requests(&app).await;
        let parallel = ids(&app, &query.clone().concurrency(k), Paging::ForwardOnly).await;
        let used = requests(&app).await - before;
        let unique: HashSet<i64> = parallel.iter().copied().collect();
        assert_eq!(unique.len(), parallel.len(), "k={k}: no record twice");
        let mut sorted = parallel.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, sequential, "k={k}: exactly the matching records");
        // Full pages, plus the largest-id probe, plus at most one short page per range.
        let pages = (sequential.len() as u64).div_ceil(25);
        assert!(
            used <= pages + 1 + k as u64,
            "k={k}: {used} requests for {pages} pages"
        );
    }
}

#[tokio::test]
async fn a_failed_page_ends_a_prefetching_stream() {
    let app = TestApp::start().await;
    let total = app.client.count(TICKETS, &Query::new()).await.unwrap();
    // No retries, and half the requests fail: the stream must stop at the first failure,
    // dropping the pages fetched ahead of it, so that no export looks complete with a hole.
    let client = cwpsa::Client::new(
        common::sandbox_config(app.sandbox.base_url())
            .retry(cwpsa::RetryPolicy {
                max_attempts: 1,
                ..cwpsa::RetryPolicy::default()
            })
            .build()
            .unwrap(),
    )
    .unwrap();
    admin_send(
        &reqwest::Client::new(),
        &app.sandbox,
        reqwest::Method::PUT,
        "faults",
        json!({"fail_rate": 0.5}),
    )
    .await;
    let query = Query::new().order_by("id").page_size(20).concurrency(4);
    // Runs until a page (not the /count) fails after at least one good page.
    let mut failed_mid_list = false;
    for _ in 0..60 {
        let items: Vec<_> = client
            .list_with::<Value>(TICKETS, &query, Paging::Pages)
            .collect()
            .await;
        let errors = items.iter().filter(|r| r.is_err()).count();
        let records = items.len() - errors;
        if errors == 0 {
            assert_eq!(records as u64, total, "a run without errors is complete");
            continue;
        }
        assert_eq!(errors, 1, "one error, then the end");
        let last = items.last().unwrap().as_ref().unwrap_err();
        assert!(matches!(last.kind(), ErrorKind::Server), "{last:?}");
        assert_eq!(records % 20, 0, "only whole pages before the error");
        if records > 0 {
            failed_mid_list = true;
            break;
        }
    }
    assert!(failed_mid_list, "some run failed after its first page");
}
