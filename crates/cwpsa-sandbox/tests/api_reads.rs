//! Reads against the documented behaviour of the API: auth, versions, lists, conditions,
//! ordering, field selection, paging (navigable and forward-only), counts and errors.
#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, ids, link, records};
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn credentials_and_client_id_are_required() {
    let app = TestApp::start().await;
    let anonymous = app
        .http
        .get(app.url("service/tickets"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["code"], "InvalidCredentials");

    let wrong = app
        .http
        .get(app.url("service/tickets"))
        .basic_auth("sandbox+sandbox-public", Some("guess"))
        .header("clientId", common::CLIENT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let no_client = app
        .http
        .get(app.url("service/tickets"))
        .header("authorization", common::auth_header())
        .send()
        .await
        .unwrap();
    assert_eq!(no_client.status(), 401);
    let body: Value = no_client.json().await.unwrap();
    assert_eq!(body["code"], "MissingClientId");
}

#[tokio::test]
async fn versions_are_negotiated_through_accept() {
    let app = TestApp::start().await;
    let ok = app
        .request(Method::GET, "service/priorities")
        .header(
            "accept",
            "application/vnd.connectwise.com+json; version=2022.1",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers()["api-current-version"], "2025.1");
    let unknown = app
        .request(Method::GET, "service/priorities")
        .header(
            "accept",
            "application/vnd.connectwise.com+json; version=1999.7",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);
}

#[tokio::test]
async fn codebase_discovery_answers_without_auth() {
    let app = TestApp::start().await;
    let origin = app
        .sandbox
        .base_url()
        .split("/v4_6_release")
        .next()
        .unwrap()
        .to_owned();
    let info: Value = app
        .http
        .get(format!("{origin}/login/companyinfo/sandbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["Codebase"], "v4_6_release/");
    assert_eq!(info["CompanyID"], "sandbox");
    assert!(info["IsCloud"].is_string());
}

#[tokio::test]
async fn page_size_defaults_to_25_and_is_capped_at_1000() {
    let app = TestApp::start().await;
    assert_eq!(records(&app.get_json("service/tickets").await).len(), 25);
    let total = app.get_json("service/tickets/count").await["count"]
        .as_i64()
        .unwrap();
    assert!(
        total > 25,
        "the demo data has more than one page of tickets"
    );
    let big = app.get_json("service/tickets?pageSize=5000").await;
    assert_eq!(records(&big).len() as i64, total.min(1000));
    for bad in ["0", "-1", "abc", "2.5"] {
        let response = app.get(&format!("service/tickets?pageSize={bad}")).await;
        assert_eq!(response.status(), 400, "pageSize={bad}");
        let body: Value = response.json().await.unwrap();
        assert!(
            body["message"].as_str().unwrap().contains("pageSize"),
            "{body}"
        );
    }
    assert_eq!(app.get("service/tickets?page=0").await.status(), 400);
}

#[tokio::test]
async fn navigable_pages_carry_link_headers_with_page_last() {
    let app = TestApp::start().await;
    let total = app.get_json("service/tickets/count").await["count"]
        .as_i64()
        .unwrap();
    let response = app
        .get("service/tickets?pageSize=10&page=2&orderBy=id%20desc")
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["x-total-count"].to_str().unwrap(),
        total.to_string()
    );
    for rel in ["first", "prev", "next", "last"] {
        let url = link(&response, rel).unwrap_or_else(|| panic!("rel={rel} missing"));
        let last_param = url.rsplit('&').next().unwrap();
        assert!(last_param.starts_with("page="), "{rel}: {url}");
        assert!(url.contains("orderBy="), "other parameters are kept: {url}");
    }
    let last = link(&response, "last").unwrap();
    assert!(last.ends_with(&format!("page={}", (total + 9) / 10)));
    let page: Value = response.json().await.unwrap();
    let got = ids(&page);
    assert_eq!(got.len(), 10);
    assert!(got.windows(2).all(|w| w[0] > w[1]), "ordered by id desc");

    // Following `next` from page 1 reaches every record exactly once.
    let mut url = app.url("service/tickets?pageSize=100");
    let mut seen = Vec::new();
    loop {
        let response = app
            .http
            .get(&url)
            .header("authorization", common::auth_header())
            .header("clientId", common::CLIENT_ID)
            .send()
            .await
            .unwrap();
        let next = link(&response, "next");
        let body: Value = response.json().await.unwrap();
        seen.extend(ids(&body));
        match next {
            Some(n) => url = n,
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);
    let mut unique = seen.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), seen.len());

    let first = app.get("service/tickets?pageSize=10").await;
    assert!(link(&first, "prev").is_none() && link(&first, "first").is_none());
}

#[tokio::test]
async fn forward_only_pages_by_id_and_refuses_order_by() {
    let app = TestApp::start().await;
    let total = app.get_json("service/tickets/count").await["count"]
        .as_i64()
        .unwrap();
    let mut page_id = 0;
    let mut seen: Vec<i64> = Vec::new();
    loop {
        let response = app
            .request(
                Method::GET,
                &format!("service/tickets?pageSize=200&pageId={page_id}"),
            )
            .header("pagination-type", "forward-only")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(link(&response, "last").is_none() && link(&response, "prev").is_none());
        let next = link(&response, "next");
        let body: Value = response.json().await.unwrap();
        let page = ids(&body);
        assert!(page.windows(2).all(|w| w[0] < w[1]), "ascending ids");
        assert!(page.iter().all(|id| *id > page_id));
        seen.extend(&page);
        match next {
            Some(url) => {
                let last_id = *page.last().unwrap();
                assert!(url.ends_with(&format!("pageId={last_id}")), "{url}");
                page_id = last_id;
            }
            None => break,
        }
    }
    assert_eq!(seen.len() as i64, total);
    let refused = app
        .request(Method::GET, "service/tickets?orderBy=summary")
        .header("pagination-type", "forward-only")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn forward_only_after_an_or_condition_still_starts_after_the_page_id() {
    // `a or b` and the page's `id > pageId` must combine as `(a or b) and id > pageId`.
    let app = TestApp::start().await;
    let conditions = form_encode("closedFlag = false or priority/id <= 2");
    let first: Value = {
        let r = app
            .request(
                Method::GET,
                &format!("service/tickets?conditions={conditions}&fields=id&pageSize=30"),
            )
            .header("pagination-type", "forward-only")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    };
    let after = *ids(&first).last().unwrap();
    let response = app
        .request(
            Method::GET,
            &format!(
                "service/tickets?conditions={conditions}&fields=id&pageSize=30&pageId={after}"
            ),
        )
        .header("pagination-type", "forward-only")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let page = ids(&body);
    assert!(!page.is_empty());
    assert!(
        page.iter().all(|id| *id > after),
        "ids after {after}: {page:?}"
    );
}

/// Numbered pages of a filtered list, whether few records match (the store then sorts the
/// matching ids) or many (it walks the table): every page carries the total of the count
/// endpoint, and the pages together hold each matching record once, in id order.
#[tokio::test]
async fn numbered_pages_of_a_filtered_list_hold_every_match_once_in_order() {
    let app = TestApp::start().await;
    for conditions in [
        "priority/id<=2 and closedFlag=false",
        "closedFlag=true",
        "company/id=250",
        "summary contains 'printer' or closedFlag=false",
        "id<0",
    ] {
        let encoded = form_encode(conditions);
        let total = app
            .get_json(&format!("service/tickets/count?conditions={encoded}"))
            .await["count"]
            .as_i64()
            .unwrap();
        let mut expected = Vec::new();
        let mut page_id = 0;
        loop {
            let response = app
                .request(
                    Method::GET,
                    &format!(
                        "service/tickets?fields=id&pageSize=1000&pageId={page_id}&conditions={encoded}"
                    ),
                )
                .header("pagination-type", "forward-only")
                .send()
                .await
                .unwrap();
            let more = link(&response, "next").is_some();
            let page = ids(&response.json().await.unwrap());
            page_id = page.last().copied().unwrap_or(page_id);
            expected.extend(page);
            if !more {
                break;
            }
        }
        assert_eq!(expected.len() as i64, total, "{conditions}");

        let mut seen = Vec::new();
        let last_page = (total + 6) / 7;
        for page in 1..=last_page.max(1) + 1 {
            let response = app
                .get(&format!(
                    "service/tickets?fields=id&pageSize=7&page={page}&conditions={encoded}"
                ))
                .await;
            assert_eq!(response.status(), 200);
            assert_eq!(
                response.headers()["x-total-count"].to_str().unwrap(),
                total.to_string(),
                "{conditions}, page {page}"
            );
            assert_eq!(link(&response, "next").is_some(), page < last_page);
            let got = ids(&response.json().await.unwrap());
            let want = if page <= last_page {
                7.min(total - (page - 1) * 7)
            } else {
                0
            };
            assert_eq!(got.len() as i64, want.max(0), "{conditions}, page {page}");
            seen.extend(got);
        }
        assert_eq!(seen, expected, "{conditions}");
    }
}

/// Every record returned satisfies `check`, and the count endpoint agrees with the list.
async fn assert_filter(
    app: &TestApp,
    path: &str,
    conditions: &str,
    check: impl Fn(&Value) -> bool,
) -> usize {
    let encoded: String = form_encode(conditions);
    let list = app
        .get_json(&format!("{path}?pageSize=1000&conditions={encoded}"))
        .await;
    let list = records(&list);
    for record in list {
        assert!(check(record), "{conditions}: {record}");
    }
    let count = app
        .get_json(&format!("{path}/count?conditions={encoded}"))
        .await["count"]
        .as_i64()
        .unwrap();
    assert_eq!(count as usize, list.len(), "{conditions}");
    list.len()
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn conditions_filter_with_the_documented_semantics() {
    let app = TestApp::start().await;
    let all = app.get_json("service/tickets?pageSize=1000").await;
    let all = records(&all).clone();
    let some = &all[3];
    let company_id = some["company"]["id"].as_i64().unwrap();
    let status_name = some["status"]["name"].as_str().unwrap().to_owned();

    // Equality on nested fields; string matching ignores case.
    let n = assert_filter(
        &app,
        "service/tickets",
        &format!("company/id = {company_id}"),
        |r| r["company"]["id"] == company_id,
    )
    .await;
    assert_eq!(
        n,
        all.iter()
            .filter(|r| r["company"]["id"] == company_id)
            .count()
    );
    let upper = status_name.to_uppercase();
    let n = assert_filter(
        &app,
        "service/tickets",
        &format!("status/name = \"{upper}\""),
        |r| {
            r["status"]["name"]
                .as_str()
                .unwrap()
                .eq_ignore_ascii_case(&status_name)
        },
    )
    .await;
    assert!(n > 0);

    // Booleans in any case, numbers, and/or/not with precedence NOT > AND > OR.
    assert_filter(
        &app,
        "service/tickets",
        "closedFlag = False and priority/id <= 2",
        |r| r["closedFlag"] == false && r["priority"]["id"].as_i64().unwrap() <= 2,
    )
    .await;
    assert_filter(
        &app,
        "service/tickets",
        "priority/id = 1 or priority/id = 2 and closedFlag = true",
        |r| {
            let p = r["priority"]["id"].as_i64().unwrap();
            p == 1 || (p == 2 && r["closedFlag"] == true)
        },
    )
    .await;
    assert_filter(&app, "service/tickets", "not closedFlag = true", |r| {
        r["closedFlag"] != true
    })
    .await;

    // in / not in, contains, like with * and % wildcards.
    assert_filter(&app, "service/tickets", "priority/id in (1, 3)", |r| {
        [1, 3].contains(&r["priority"]["id"].as_i64().unwrap())
    })
    .await;
    assert_filter(&app, "service/tickets", "priority/id not in (1, 3)", |r| {
        ![1, 3].contains(&r["priority"]["id"].as_i64().unwrap())
    })
    .await;
    let word = some["summary"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_lowercase();
    let n = assert_filter(
        &app,
        "service/tickets",
        &format!("summary contains '{word}'"),
        |r| {
            r["summary"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .contains(&word)
        },
    )
    .await;
    assert!(n >= 1);
    let prefix: String = some["summary"].as_str().unwrap().chars().take(4).collect();
    for pattern in [format!("{prefix}*"), format!("{prefix}%")] {
        let n = assert_filter(
            &app,
            "service/tickets",
            &format!("summary like \"{pattern}\""),
            |r| {
                r["summary"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .starts_with(&prefix.to_lowercase())
            },
        )
        .await;
        assert!(n >= 1);
    }

    // Dates compare chronologically; lastUpdated is filterable at the top level.
    let cut = "2026-01-01T00:00:00Z";
    assert_filter(
        &app,
        "service/tickets",
        &format!("lastUpdated >= [{cut}]"),
        |r| r["_info"]["lastUpdated"].as_str().unwrap() >= cut,
    )
    .await;
    assert_filter(&app, "service/tickets", "lastUpdated < [2026-01-01]", |r| {
        r["_info"]["lastUpdated"].as_str().unwrap() < cut
    })
    .await;

    // Null checks.
    assert_filter(&app, "service/tickets", "closedDate = null", |r| {
        r.get("closedDate").is_none_or(Value::is_null)
    })
    .await;
    assert_filter(&app, "service/tickets", "closedDate != null", |r| {
        r.get("closedDate").is_some_and(|v| !v.is_null())
    })
    .await;
}

#[tokio::test]
async fn child_and_custom_field_conditions_match_within_one_element() {
    let app = TestApp::start().await;
    let contacts = app.get_json("company/contacts?pageSize=1000").await;
    let with_email = records(&contacts)
        .iter()
        .find_map(|c| {
            c["communicationItems"]
                .as_array()?
                .iter()
                .find(|i| i["communicationType"] == "Email")
                .cloned()
        })
        .expect("a contact with an email");
    let email = with_email["value"].as_str().unwrap();
    let cond = format!(
        "communicationItems/value like \"{email}*\" and communicationItems/communicationType = \"Email\""
    );
    let found = app
        .get_json(&format!(
            "company/contacts?childConditions={}",
            form_encode(&cond)
        ))
        .await;
    assert!(!records(&found).is_empty());
    for contact in records(&found) {
        let items = contact["communicationItems"].as_array().unwrap();
        assert!(items.iter().any(|i| {
            i["value"]
                .as_str()
                .unwrap()
                .to_lowercase()
                .starts_with(&email.to_lowercase())
                && i["communicationType"] == "Email"
        }));
    }

    let tickets = app.get_json("service/tickets?pageSize=1000").await;
    let field = records(&tickets)
        .iter()
        .find_map(|t| {
            t["customFields"]
                .as_array()?
                .iter()
                .find(|f| f["value"].is_string())
                .cloned()
        })
        .expect("a ticket with a text custom field");
    let caption = field["caption"].as_str().unwrap();
    let value = field["value"].as_str().unwrap();
    let cond = format!("caption = \"{caption}\" and value = \"{value}\"");
    let found = app
        .get_json(&format!(
            "service/tickets?pageSize=1000&customFieldConditions={}",
            form_encode(&cond)
        ))
        .await;
    assert!(!records(&found).is_empty());
    for ticket in records(&found) {
        assert!(
            ticket["customFields"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["caption"] == caption && f["value"] == value)
        );
    }
    let cond = "caption = \"No Such Caption\" and value != null";
    let none = app
        .get_json(&format!(
            "service/tickets?customFieldConditions={}",
            form_encode(cond)
        ))
        .await;
    assert!(records(&none).is_empty());
}

#[tokio::test]
async fn bad_queries_are_400s_that_say_what_is_wrong() {
    let app = TestApp::start().await;
    let cases = [
        ("conditions=summary%20%3D", "conditions"),
        ("conditions=stauts/name%20%3D%20%22New%22", "status/name"),
        ("conditions=id%20%3D%20%22x%22", "id"),
        ("orderBy=nosuchfield%20asc", "nosuchfield"),
        ("orderBy=id%20sideways", "orderBy"),
        ("fields=id,summry", "summary"),
        ("pageId=abc", "pageId"),
    ];
    for (query, expected) in cases {
        let response = app.get(&format!("service/tickets?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.unwrap();
        assert!(body["code"].is_string(), "{query}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(expected), "{query}: {message}");
    }
    let response = app.get("service/tickets?conditions=summary%20%3D").await;
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains('^'),
        "caret under the fault: {body}"
    );
}

#[tokio::test]
async fn order_by_several_keys_and_nested_field_selection() {
    let app = TestApp::start().await;
    let list = app.get_json("service/tickets?pageSize=1000&orderBy=priority/id%20asc,%20id%20desc&fields=id,summary,priority/id,status/name").await;
    let list = records(&list);
    let keys: Vec<(i64, i64)> = list
        .iter()
        .map(|r| {
            (
                r["priority"]["id"].as_i64().unwrap(),
                -r["id"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] <= w[1]),
        "ordered by priority asc then id desc"
    );
    for record in list {
        let object = record.as_object().unwrap();
        let mut names: Vec<&str> = object.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["id", "priority", "status", "summary"]);
        assert_eq!(record["status"].as_object().unwrap().len(), 1);
        assert!(record["status"]["name"].is_string());
    }
}

#[tokio::test]
async fn records_carry_info_and_resolved_hrefs() {
    let app = TestApp::start().await;
    let list = app.get_json("service/tickets?pageSize=1").await;
    let ticket = &records(&list)[0];
    let id = ticket["id"].as_i64().unwrap();
    let one = app.get_json(&format!("service/tickets/{id}")).await;
    assert_eq!(&one, ticket);
    assert!(one["_info"]["lastUpdated"].is_string());
    let href = one["company"]["_info"]["company_href"].as_str().unwrap();
    assert!(href.starts_with(app.sandbox.base_url()), "{href}");
    let missing = app.get("service/tickets/999999999").await;
    assert_eq!(missing.status(), 404);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["code"], "NotFound");
    assert!(body["message"].as_str().unwrap().contains("999999999"));
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let app = TestApp::start().await;
    let response = app.get("service/nothing-here").await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["message"], "The endpoint does not exist.");
    let response = app
        .request(Method::DELETE, "service/tickets")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
    let body: Value = response.json().await.unwrap();
    assert!(body["code"].is_string());
}

#[tokio::test]
async fn notes_are_a_child_collection_of_tickets() {
    let app = TestApp::start().await;
    let list = app.get_json("service/tickets?pageSize=50").await;
    let ticket = records(&list)
        .iter()
        .find(|t| t["id"].as_i64().is_some())
        .unwrap();
    let id = ticket["id"].as_i64().unwrap();
    let notes = app.get_json(&format!("service/tickets/{id}/notes")).await;
    for note in records(&notes) {
        assert_eq!(note["ticketId"], id);
    }
    let count = app
        .get_json(&format!("service/tickets/{id}/notes/count"))
        .await["count"]
        .as_i64()
        .unwrap();
    assert_eq!(count as usize, records(&notes).len());
    assert_eq!(
        app.get("service/tickets/999999999/notes").await.status(),
        404
    );
}

#[tokio::test]
async fn search_takes_conditions_in_the_body() {
    let app = TestApp::start().await;
    let body = serde_json::json!({"conditions": "priority/id = 1 and closedFlag = false", "pageSize": 1000});
    let (status, found) = app
        .send_json(Method::POST, "service/tickets/search", &body)
        .await;
    assert_eq!(status, 200, "{found}");
    let expected = app
        .get_json("service/tickets/count?conditions=priority/id%3D1%20and%20closedFlag%3Dfalse")
        .await["count"]
        .as_i64()
        .unwrap();
    assert_eq!(records(&found).len() as i64, expected);
    assert!(
        records(&found)
            .iter()
            .all(|t| t["priority"]["id"] == 1 && t["closedFlag"] == false)
    );
}
