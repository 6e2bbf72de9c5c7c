//! Every output format, for lists and single records.

use crate::harness::TestSandbox;

#[test]
fn list_in_every_format_holds_the_same_records() {
    let sb = TestSandbox::start();
    let base = ["list", "tickets", "-n", "4", "-f", "id,summary,status/name"];
    let nd = sb.cw().args(base).args(["-o", "ndjson"]).ok().json_lines();
    assert_eq!(nd.len(), 4);

    let json = sb.cw().args(base).args(["-o", "json"]).ok().json();
    assert_eq!(json.as_array().expect("an array"), &nd);

    let csv = sb.cw().args(base).args(["-o", "csv"]).ok().stdout;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("id,summary,status/name"), "{csv}");
    for (line, record) in lines.zip(&nd) {
        assert!(line.starts_with(&format!("{},", record["id"])), "{line}");
        assert!(
            line.ends_with(record["status"]["name"].as_str().expect("name")),
            "{line}"
        );
    }
    assert_eq!(csv.lines().count(), 5);

    let yaml = sb.cw().args(base).args(["-o", "yaml"]).ok().stdout;
    let items: Vec<&str> = yaml.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(items.len(), 4, "{yaml}");
    assert!(yaml.contains(&format!("- id: {}\n", nd[0]["id"])), "{yaml}");
    assert!(yaml.contains("  status:\n    name: "), "{yaml}");

    let table = sb
        .cw()
        .args(base)
        .args(["-o", "table"])
        .env("COLUMNS", "50")
        .ok()
        .stdout;
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 5, "{table}");
    assert!(rows[0].starts_with("id"), "{table}");
    assert!(rows[0].contains("status/name"), "{table}");
    assert!(
        rows.iter().all(|r| r.chars().count() <= 50),
        "fits COLUMNS:\n{table}"
    );
}

#[test]
fn table_uses_the_entitys_default_columns_and_csv_discovers_all() {
    let sb = TestSandbox::start();
    let table = sb
        .cw()
        .args(["list", "tickets", "-n", "2", "-o", "table"])
        .env("COLUMNS", "200")
        .ok()
        .stdout;
    let header: Vec<&str> = table
        .lines()
        .next()
        .expect("a header")
        .split_whitespace()
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "summary",
            "status/name",
            "priority/name",
            "board/name",
            "company/identifier"
        ]
    );
    let csv = sb
        .cw()
        .args(["list", "tickets", "-n", "3", "-o", "csv"])
        .ok()
        .stdout;
    let head: Vec<&str> = csv.lines().next().expect("a header").split(',').collect();
    assert_eq!(head[0], "id", "schema order puts id first: {head:?}");
    assert!(head.contains(&"status/name") && head.contains(&"company/identifier"));
    // The same header for a different set of records: the order is the schema's.
    let csv2 = sb
        .cw()
        .args([
            "list",
            "tickets",
            "-n",
            "3",
            "-o",
            "csv",
            "--order-by",
            "id desc",
        ])
        .ok()
        .stdout;
    let head2: Vec<&str> = csv2.lines().next().expect("a header").split(',').collect();
    let common: Vec<&&str> = head.iter().filter(|c| head2.contains(c)).collect();
    let common2: Vec<&&str> = head2.iter().filter(|c| head.contains(c)).collect();
    assert_eq!(common, common2, "columns keep one order");
}

#[test]
fn one_record_in_every_format() {
    let sb = TestSandbox::start();
    let id = sb
        .cw()
        .args(["list", "companies", "-n", "1", "-f", "id"])
        .ok()
        .json_lines()[0]["id"]
        .to_string();
    let get = |format: &str| {
        sb.cw()
            .args([
                "get",
                "companies",
                &id,
                "-f",
                "id,identifier,name",
                "-o",
                format,
            ])
            .ok()
            .stdout
    };
    let json: serde_json::Value = serde_json::from_str(&get("json")).expect("json");
    let nd: serde_json::Value = serde_json::from_str(get("ndjson").trim()).expect("ndjson");
    assert_eq!(json, nd);
    assert_eq!(get("ndjson").lines().count(), 1);
    let name = json["name"].as_str().expect("a name");
    assert!(get("yaml").contains(&format!("id: {id}\n")));
    let csv = get("csv");
    assert_eq!(csv.lines().next(), Some("id,identifier,name"));
    assert!(
        csv.lines()
            .nth(1)
            .expect("a row")
            .starts_with(&format!("{id},"))
    );
    let table = get("table");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("name") && l.ends_with(name)),
        "{table}"
    );
}
