//! create, update, patch, delete, callbacks.

use crate::harness::TestSandbox;

fn company_id(sb: &TestSandbox) -> String {
    sb.cw()
        .args(["list", "companies", "-n", "1", "-f", "id"])
        .ok()
        .json_lines()[0]["id"]
        .to_string()
}

#[test]
fn a_record_created_patched_updated_and_deleted() {
    let sb = TestSandbox::start();
    let company = company_id(&sb);
    // From a file, with a --set on top.
    let dir = crate::harness::TempDir::new();
    let file = dir.path().join("ticket.json");
    std::fs::write(
        &file,
        format!(r#"{{"summary":"from a file","company":{{"id":{company}}},"budgetHours":1}}"#),
    )
    .expect("write the data file");
    let out = sb
        .cw()
        .args(["create", "tickets", "--data"])
        .args([&file])
        .args(["--set", "budgetHours=3.5", "-o", "json"])
        .ok();
    let created = out.json();
    let id = created["id"].to_string();
    assert_eq!(created["summary"], "from a file");
    assert_eq!(created["budgetHours"], 3.5);
    assert!(
        out.stderr
            .contains(&format!("created service/tickets/{id}")),
        "{}",
        out.dump()
    );

    // Typed --set: a string stays a string, a reference by id, a reference's field.
    let board = sb
        .cw()
        .args(["list", "boards", "-n", "1", "-f", "id"])
        .ok()
        .json_lines()[0]["id"]
        .to_string();
    let statuses = sb
        .cw()
        .args([
            "list",
            &format!("boards/{board}/statuses"),
            "-n",
            "1",
            "-f",
            "id",
        ])
        .ok()
        .json_lines();
    let status_id = statuses[0]["id"].to_string();
    let patched = sb
        .cw()
        .args(["patch", "tickets", &id, "--set", "summary=12345"])
        .args([
            "--set",
            &format!("status.id={status_id}"),
            "--set",
            "closedFlag=false",
        ])
        .args(["--remove", "budgetHours", "-o", "json"])
        .ok()
        .json();
    assert_eq!(patched["summary"], "12345");
    assert_eq!(patched["status"]["id"].to_string(), status_id);
    assert!(
        patched
            .get("budgetHours")
            .is_none_or(serde_json::Value::is_null),
        "{patched}"
    );

    // PUT from stdin replaces the record.
    let mut whole = patched.clone();
    whole["summary"] = "replaced".into();
    let updated = sb
        .cw()
        .args(["update", "tickets", &id, "--data", "-", "-o", "json"])
        .stdin(whole.to_string())
        .ok()
        .json();
    assert_eq!(updated["summary"], "replaced");
    assert_eq!(
        sb.cw()
            .args(["get", "tickets", &id, "-f", "summary"])
            .ok()
            .json_lines()[0]["summary"],
        "replaced"
    );

    // -f shows only some fields of the result, in any format.
    let shown = sb
        .cw()
        .args([
            "patch",
            "tickets",
            &id,
            "--set",
            "summary=again",
            "-f",
            "id,summary",
        ])
        .args(["-o", "json"])
        .ok()
        .json();
    assert_eq!(
        shown,
        serde_json::json!({"id": created["id"], "summary": "again"})
    );

    // Not on a terminal, a delete needs --yes.
    let refused = sb.cw().args(["delete", "tickets", &id]).fails(2);
    assert!(refused.stderr.contains("--yes"), "{}", refused.dump());
    sb.cw().args(["get", "tickets", &id]).ok();
    let deleted = sb.cw().args(["delete", "tickets", &id, "--yes"]).ok();
    assert!(
        deleted
            .stderr
            .contains(&format!("deleted service/tickets/{id}"))
    );
    sb.cw().args(["get", "tickets", &id]).fails(5);
}

#[test]
fn patch_and_create_reject_bad_values_before_sending() {
    let sb = TestSandbox::start();
    let before = sb.requests();
    for (set, says) in [
        ("budgetHours=lots", "is a number"),
        ("summry=x", "did you mean `summary`"),
        ("status=Closed", "is a reference"),
        ("id=4", "set by the server"),
    ] {
        let out = sb
            .cw()
            .args(["patch", "tickets", "1", "--set", set])
            .fails(2);
        assert!(out.stderr.contains(says), "{set}{}", out.dump());
    }
    sb.cw().args(["patch", "tickets", "1"]).fails(2);
    sb.cw().args(["create", "tickets"]).fails(2);
    let bad_json = sb
        .cw()
        .args(["create", "tickets", "--data", "-"])
        .stdin("{not json")
        .fails(2);
    assert!(
        bad_json.stderr.contains("not valid JSON"),
        "{}",
        bad_json.dump()
    );
    assert_eq!(sb.requests(), before, "nothing reached the server");
}

#[test]
fn the_server_refusing_a_record_names_the_field() {
    let sb = TestSandbox::start();
    let out = sb
        .cw()
        .args(["create", "tickets", "--set", "summary=no company"])
        .fails(1);
    assert!(out.stderr.contains("InvalidObject"), "{}", out.dump());
    assert!(out.stderr.contains("field `company`"), "{}", out.dump());
}

#[test]
fn callbacks_add_list_remove() {
    let sb = TestSandbox::start();
    let out = sb
        .cw()
        .args(["callbacks", "add", "--url", "https://hooks.example.com/cw"])
        .args([
            "--type",
            "ticket",
            "--level",
            "owner",
            "--description",
            "e2e",
            "-o",
            "json",
        ])
        .ok();
    let created = out.json();
    let id = created["id"].to_string();
    assert_eq!(created["url"], "https://hooks.example.com/cw");
    let listed = sb.cw().args(["callbacks", "list"]).ok().json_lines();
    assert!(
        listed
            .iter()
            .any(|c| c["id"].to_string().as_str() == id.as_str()),
        "{listed:?}"
    );
    let table = sb
        .cw()
        .args(["callbacks", "list", "-o", "table"])
        .ok()
        .stdout;
    assert!(table.starts_with("id"), "{table}");
    sb.cw().args(["callbacks", "remove", &id]).fails(2);
    sb.cw().args(["callbacks", "remove", &id, "--yes"]).ok();
    let listed = sb.cw().args(["callbacks", "list"]).ok().json_lines();
    assert!(
        listed
            .iter()
            .all(|c| c["id"].to_string().as_str() != id.as_str())
    );
    // The server's validation comes back as a usage-free, detailed error.
    let bad = sb
        .cw()
        .args([
            "callbacks",
            "add",
            "--url",
            "https://x.example.com/",
            "--type",
            "ticket",
        ])
        .args(["--level", "nonsense"])
        .fails(1);
    assert!(bad.stderr.contains("level"), "{}", bad.dump());
}
