//! get, list, count: filters, paging, aliases.

use crate::harness::TestSandbox;

fn ids(records: &[serde_json::Value]) -> Vec<i64> {
    records
        .iter()
        .map(|r| r["id"].as_i64().expect("an id"))
        .collect()
}

#[test]
fn list_streams_every_record_and_matches_count() {
    let sb = TestSandbox::start();
    let count: u64 = sb
        .cw()
        .args(["count", "tickets", "-w", "closedFlag = false"])
        .ok()
        .stdout
        .trim()
        .parse()
        .expect("a bare number");
    assert!(count > 0);
    // Small pages so that the list takes many requests.
    let out = sb
        .cw()
        .args([
            "list",
            "tickets",
            "--all",
            "--page-size",
            "7",
            "-f",
            "id,closedFlag",
        ])
        .args(["-w", "closedFlag = false"])
        .ok();
    let records = out.json_lines();
    assert_eq!(records.len() as u64, count, "{}", out.dump());
    assert!(records.iter().all(|r| r["closedFlag"] == false));
    let ids = ids(&records);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "forward-only is ordered by id"
    );
}

#[test]
fn limit_page_mode_and_forward_only() {
    let sb = TestSandbox::start();
    let out = sb.cw().args(["list", "tickets", "-f", "id"]).ok();
    assert_eq!(out.json_lines().len(), 25, "the default limit");
    let out = sb
        .cw()
        .args([
            "list",
            "tickets",
            "-n",
            "12",
            "--order-by",
            "id desc",
            "-f",
            "id",
        ])
        .ok();
    let desc = ids(&out.json_lines());
    assert_eq!(desc.len(), 12);
    assert!(desc.windows(2).all(|w| w[0] > w[1]), "{desc:?}");
    let out = sb
        .cw()
        .args(["list", "tickets", "-n", "3", "--forward-only", "-f", "id"])
        .ok();
    assert_eq!(out.json_lines().len(), 3);
    let out = sb
        .cw()
        .args(["list", "tickets", "--forward-only", "--order-by", "id desc"])
        .fails(2);
    assert!(out.stderr.contains("cannot be used with"), "{}", out.dump());
    sb.cw()
        .args(["list", "tickets", "--all", "-n", "3"])
        .fails(2);
    sb.cw()
        .args(["list", "tickets", "--page-size", "5000"])
        .fails(2);
}

#[test]
fn child_and_custom_field_conditions() {
    let sb = TestSandbox::start();
    let out = sb
        .cw()
        .args(["list", "contacts", "-n", "5", "-f", "id,communicationItems"])
        .args([
            "--child-where",
            "communicationItems/communicationType = \"Email\"",
        ])
        .ok();
    let contacts = out.json_lines();
    assert!(!contacts.is_empty(), "{}", out.dump());
    for c in &contacts {
        let items = c["communicationItems"].as_array().expect("items");
        assert!(
            items.iter().any(|i| i["communicationType"] == "Email"),
            "{c}"
        );
    }
    let out = sb
        .cw()
        .args(["list", "tickets", "--all", "-f", "id,customFields"])
        .args([
            "--custom-where",
            "caption = \"Root Cause\" and value = \"User Error\"",
        ])
        .ok();
    let tickets = out.json_lines();
    assert!(!tickets.is_empty(), "{}", out.dump());
    for t in &tickets {
        let fields = t["customFields"].as_array().expect("custom fields");
        assert!(
            fields
                .iter()
                .any(|f| f["caption"] == "Root Cause" && f["value"] == "User Error"),
            "{t}"
        );
    }
}

#[test]
fn get_by_alias_id_and_raw_path() {
    let sb = TestSandbox::start();
    let first = sb
        .cw()
        .args(["list", "tickets", "-n", "1", "-f", "id"])
        .ok()
        .json_lines();
    let id = first[0]["id"].as_i64().expect("id").to_string();
    let out = sb.cw().args(["get", "tickets", &id, "-o", "json"]).ok();
    let ticket = out.json();
    assert_eq!(ticket["id"].to_string(), id);
    assert!(ticket["summary"].is_string());
    // The same record through the raw path, with a field selection.
    let out = sb
        .cw()
        .args(["get", &format!("service/tickets/{id}"), "-f", "id,summary"])
        .ok();
    let short = out.json_lines();
    assert_eq!(short.len(), 1);
    assert_eq!(short[0]["summary"], ticket["summary"]);
    assert!(short[0].get("status").is_none());
    // A child collection through an alias prefix: shown as a list.
    let notes = sb
        .cw()
        .args(["get", &format!("tickets/{id}/notes")])
        .ok()
        .json_lines();
    assert!(!notes.is_empty());
    assert!(
        notes
            .iter()
            .all(|n| n["ticketId"].to_string().as_str() == id.as_str())
    );
    let listed = sb
        .cw()
        .args(["list", &format!("tickets/{id}/notes"), "--all"])
        .ok()
        .json_lines();
    assert_eq!(listed.len(), notes.len());
}

#[test]
fn count_formats() {
    let sb = TestSandbox::start();
    let bare = sb.cw().args(["count", "companies"]).ok();
    let n: u64 = bare.stdout.trim().parse().expect("a number");
    let json = sb
        .cw()
        .args(["count", "companies", "-o", "json"])
        .ok()
        .json();
    assert_eq!(json["count"].as_u64(), Some(n));
    let yaml = sb.cw().args(["count", "companies", "-o", "yaml"]).ok();
    assert_eq!(yaml.stdout, format!("count: {n}\n"));
    let csv = sb.cw().args(["count", "companies", "-o", "csv"]).ok();
    assert_eq!(csv.stdout, format!("count\n{n}\n"));
}

/// Any collection of the API description is an entity: listed, counted, read and created
/// with its fields checked against its schema.
#[test]
fn every_collection_of_the_description_is_an_entity() {
    let sb = TestSandbox::start();
    let created = sb
        .cw()
        .args(["create", "finance/agreements", "--data", "-", "-o", "json"])
        .stdin(r#"{"name": "Managed services", "company": {"id": 250}}"#)
        .ok();
    let id = created.json()["id"].as_i64().expect("an id");
    let listed = sb
        .cw()
        .args([
            "list",
            "agreements",
            "-w",
            "name contains \"managed\"",
            "-f",
            "id,name",
        ])
        .ok();
    assert_eq!(ids(&listed.json_lines()), [id], "{}", listed.dump());
    let count = sb
        .cw()
        .args(["count", "finance/agreements", "-w", "company/id = 250"])
        .ok();
    assert_eq!(count.stdout.trim(), "1", "{}", count.dump());
    let one = sb
        .cw()
        .args([
            "get",
            "finance/agreements",
            &id.to_string(),
            "-f",
            "company/identifier",
            "-o",
            "json",
        ])
        .ok();
    assert_eq!(one.json()["company"]["identifier"], "BluebirdEngineering");
    // A child collection of a core record, empty until written.
    let sites = sb.cw().args(["count", "companies/250/sites"]).ok();
    assert_eq!(sites.stdout.trim(), "0", "{}", sites.dump());
    // A misspelt field: warned with a suggestion before the request, refused by the server.
    let wrong = sb
        .cw()
        .args(["list", "finance/agreements", "-w", "nmae = \"x\""])
        .fails(1);
    assert!(
        wrong.stderr.contains("did you mean `name`"),
        "{}",
        wrong.dump()
    );
}
