//! `cw --sandbox mcp`: a JSON-RPC client over the child's stdio (and one streamable HTTP
//! session), through the handshake, the tool list and every tool with good and bad arguments.

#![allow(clippy::unwrap_used)]
// The client helpers take `json!(..)` arguments by value, for readable calls.
#![allow(clippy::needless_pass_by_value)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{BASIC, PRIVATE_KEY, TempDir, TestCommand};

const READ_TOOLS: [&str; 6] = [
    "describe_entities",
    "describe_entity",
    "search",
    "get",
    "count",
    "check_conditions",
];
const WRITE_TOOLS: [&str; 5] = [
    "create",
    "update_fields",
    "add_ticket_note",
    "log_time",
    "delete",
];

/// `cw --sandbox mcp ARGS` and a JSON-RPC client on its stdio.
struct McpChild {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every line the server wrote on stdout, for the secrets check.
    seen: Vec<String>,
    next_id: u64,
    stderr_file: std::path::PathBuf,
    _home: TempDir,
}

impl McpChild {
    fn start(args: &[&str]) -> McpChild {
        let mut cmd = TestCommand::new();
        cmd.args(["--sandbox", "mcp"]).args(args);
        let (mut cmd, home) = cmd.into_parts();
        let stderr_file = home.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_file).unwrap();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("cw starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        McpChild {
            child,
            stdin,
            lines,
            seen: Vec::new(),
            next_id: 1,
            stderr_file,
            _home: home,
        }
    }

    /// Started and initialized: the handshake's result.
    fn ready(args: &[&str]) -> (McpChild, Value) {
        let mut mcp = McpChild::start(args);
        let init = mcp.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "cw-e2e", "version": "1"},
            }),
        );
        mcp.notify("notifications/initialized", json!({}));
        (mcp, init)
    }

    fn send(&mut self, message: &Value) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{message}").unwrap();
        stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The whole response to one request (result or error).
    fn raw_request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no answer to {method} ({e}){}", self.stderr()));
            self.seen.push(line.clone());
            let message: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("stdout holds a non-JSON line ({e}): {line}"));
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.raw_request(method, params);
        assert!(
            response.get("error").is_none(),
            "{method} failed: {response}"
        );
        response["result"].clone()
    }

    fn tool_names(&mut self) -> Vec<String> {
        let list = self.request("tools/list", json!({}));
        list["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// A tool call: (is it an error, its text).
    fn call_raw(&mut self, tool: &str, arguments: Value) -> (bool, String) {
        let result = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        let text = result["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{tool}: no text content: {result}"))
            .to_owned();
        (result["isError"] == json!(true), text)
    }

    /// A successful call's result, parsed.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let (error, text) = self.call_raw(tool, arguments.clone());
        assert!(!error, "{tool} {arguments} failed: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{tool}: not JSON ({e}): {text}"))
    }

    /// A failing call's text; it must contain every one of `says`.
    fn fails(&mut self, tool: &str, arguments: Value, says: &[&str]) -> String {
        let (error, text) = self.call_raw(tool, arguments.clone());
        assert!(error, "{tool} {arguments} should fail: {text}");
        for s in says {
            assert!(
                text.contains(s),
                "{tool} {arguments}: `{s}` missing from: {text}"
            );
        }
        text
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_file).unwrap_or_default()
    }

    /// Closes stdin, waits for the exit, and checks that no secret was ever written; returns
    /// stderr (the call log).
    fn finish(mut self) -> String {
        drop(self.stdin.take());
        let mut waited = 0;
        while self.child.try_wait().unwrap().is_none() {
            assert!(waited < 100, "cw mcp did not exit when stdin closed");
            std::thread::sleep(Duration::from_millis(100));
            waited += 1;
        }
        let status = self.child.wait().unwrap();
        let stderr = self.stderr();
        assert!(status.success(), "cw mcp exited with {status}: {stderr}");
        for secret in [PRIVATE_KEY, BASIC] {
            assert!(!stderr.contains(secret), "`{secret}` in the log: {stderr}");
            for line in &self.seen {
                assert!(!line.contains(secret), "`{secret}` in a result: {line}");
            }
        }
        stderr
    }
}

impl Drop for McpChild {
    fn drop(&mut self) {
        // Only the child this test started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The call log's lines for tool calls.
fn logged_calls(stderr: &str) -> Vec<Value> {
    stderr
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("tool").is_some())
        .collect()
}

#[test]
fn the_handshake_and_the_read_only_tool_list() {
    let (mut mcp, init) = McpChild::ready(&[]);
    assert_eq!(init["serverInfo"]["name"], "cw");
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    assert!(
        init["instructions"]
            .as_str()
            .unwrap()
            .contains("describe_entities")
    );
    let list = mcp.request("tools/list", json!({}));
    let tools = list["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, READ_TOOLS);
    for tool in tools {
        assert!(tool["description"].as_str().unwrap().len() > 40, "{tool}");
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["annotations"]["readOnlyHint"], true, "{tool}");
    }
    // A write tool is not listed, and calling it says how the operator enables it.
    mcp.fails(
        "create",
        json!({"entity": "tickets", "record": {"summary": "x"}}),
        &["read-only", "--allow-writes"],
    );
    mcp.fails("frobnicate", json!({}), &["no tool `frobnicate`", "search"]);
    mcp.finish();
}

#[test]
fn writes_are_listed_only_with_allow_writes() {
    let (mut mcp, _) = McpChild::ready(&["--allow-writes"]);
    let names = mcp.tool_names();
    let expected: Vec<&str> = READ_TOOLS.iter().chain(&WRITE_TOOLS).copied().collect();
    assert_eq!(names, expected);
    mcp.finish();
}

#[test]
fn describe_search_get_count_and_check_with_good_and_bad_arguments() {
    let (mut mcp, _) = McpChild::ready(&[]);

    let entities = mcp.call("describe_entities", json!({}));
    assert!(
        entities["entities"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["name"] == "tickets" && e["path"] == "service/tickets")
    );
    mcp.fails(
        "describe_entities",
        json!({"filter": 5}),
        &["invalid arguments"],
    );

    let tickets = mcp.call("describe_entity", json!({"entity": "tickets"}));
    assert!(tickets["fields"].as_array().unwrap().len() > 20);
    mcp.fails(
        "describe_entity",
        json!({"entity": "tikets"}),
        &["unknown entity", "tickets"],
    );
    mcp.fails("describe_entity", json!({}), &["missing field `entity`"]);

    // Search: a first page by id, then the next one from its cursor.
    let first = mcp.call("search", json!({"entity": "tickets", "limit": 3}));
    assert_eq!(first["returned"], 3, "{first}");
    let total = first["total"].as_u64().unwrap();
    assert!(total > 3, "{first}");
    assert_eq!(first["more"], true);
    let records = first["records"].as_array().unwrap();
    let last = records[2]["id"].as_i64().unwrap();
    assert_eq!(first["next"], json!({"after_id": last}));
    // The default fields of tickets, without `_info`.
    assert!(records[0].get("summary").is_some() && records[0].get("_info").is_none());
    assert!(records[0].get("initialDescription").is_none());
    let second = mcp.call(
        "search",
        json!({"entity": "tickets", "limit": 3, "after_id": last, "fields": ["id", "summary"]}),
    );
    let ids: Vec<i64> = second["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(ids.iter().all(|&id| id > last), "{second}");
    assert_eq!(
        second["total"].as_u64(),
        Some(total),
        "the total counts every match"
    );

    // Ordered, by page.
    let ordered = mcp.call(
        "search",
        json!({"entity": "tickets", "order_by": "id desc", "limit": 2, "page": 2, "fields": "id"}),
    );
    assert_eq!(ordered["next"], json!({"page": 3}));
    let desc: Vec<i64> = ordered["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert!(desc[0] > desc[1], "{ordered}");

    // Conditions: matches agree with count; a mistake comes back with a caret.
    let open = mcp.call(
        "search",
        json!({"entity": "tickets", "conditions": "closedFlag = false", "fields": "id,closedFlag", "limit": 100}),
    );
    let counted = mcp.call(
        "count",
        json!({"entity": "tickets", "conditions": "closedFlag = false"}),
    );
    assert_eq!(open["total"], counted["count"], "{open} {counted}");
    assert!(
        open["records"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["closedFlag"] == false)
    );
    mcp.fails(
        "search",
        json!({"entity": "tickets", "conditions": "summary = "}),
        &["invalid conditions", "^"],
    );
    mcp.fails(
        "count",
        json!({"entity": "tickets", "where": "id = 1"}),
        &["unknown argument `where`", "conditions"],
    );
    mcp.fails(
        "search",
        json!({"entity": "tickets", "page": 2}),
        &["`page` goes with `order_by`"],
    );
    mcp.fails(
        "search",
        json!({"entity": "tickets", "order_by": "id", "page": 0}),
        &["`page` counts from 1"],
    );
    let lowered = mcp.call(
        "search",
        json!({"entity": "tickets", "limit": 5000, "fields": "id"}),
    );
    assert!(
        lowered["note"]
            .as_str()
            .unwrap()
            .contains("limit lowered to 100"),
        "{lowered}"
    );
    assert_eq!(lowered["returned"].as_u64(), Some(total.min(100)));

    // Get: one record, all fields unless asked; a missing one is a 404 the agent can read.
    let one = mcp.call("get", json!({"entity": "tickets", "id": last}));
    assert_eq!(one["record"]["id"], last);
    assert!(one["record"].get("company").is_some());
    let some = mcp.call(
        "get",
        json!({"entity": "tickets", "id": last, "fields": "id,summary"}),
    );
    assert_eq!(some["record"].as_object().unwrap().len(), 2, "{some}");
    mcp.fails(
        "get",
        json!({"entity": "tickets", "id": 99_999_999}),
        &["404"],
    );
    mcp.fails(
        "get",
        json!({"entity": "tickets"}),
        &["give the record's `id`"],
    );
    mcp.fails(
        "get",
        json!({"entity": "tickets", "id": "seven"}),
        &["invalid arguments"],
    );

    // check_conditions: the canonical form, the caret, the schema's suggestion.
    let ok = mcp.call(
        "check_conditions",
        json!({"expression": "ClosedFlag = False AND priority/name contains 'High'", "entity": "tickets"}),
    );
    assert_eq!(
        ok["canonical"],
        "ClosedFlag = false and priority/name contains \"High\""
    );
    let caret = mcp.fails(
        "check_conditions",
        json!({"expression": "summary = \"x\" and and"}),
        &["invalid conditions", "^"],
    );
    assert!(
        caret.lines().any(|l| l.trim_start().starts_with('^')),
        "{caret}"
    );
    mcp.fails(
        "check_conditions",
        json!({"expression": "summery = \"x\"", "entity": "tickets"}),
        &["did you mean `summary`"],
    );

    let stderr = mcp.finish();
    let calls = logged_calls(&stderr);
    assert_eq!(calls.len(), 23, "one log line per call: {stderr}");
    for call in &calls {
        assert!(
            call["duration_ms"].is_u64() && call["arguments"].is_object(),
            "{call}"
        );
        assert!(
            ["ok", "error"].contains(&call["outcome"].as_str().unwrap()),
            "{call}"
        );
    }
    let failed = calls.iter().filter(|c| c["outcome"] == "error").count();
    assert_eq!(failed, 12, "{stderr}");
}

#[test]
fn write_tools_send_or_preview_and_explain_mistakes() {
    let (mut mcp, _) = McpChild::ready(&["--allow-writes"]);
    let count = |mcp: &mut McpChild| {
        mcp.call("count", json!({"entity": "tickets"}))["count"]
            .as_u64()
            .unwrap()
    };
    let company = mcp.call(
        "search",
        json!({"entity": "companies", "limit": 1, "fields": "id"}),
    )["records"][0]["id"]
        .as_i64()
        .unwrap();
    let before = count(&mut mcp);

    // create: the dry run shows the exact request and sends nothing.
    let record = json!({"summary": "Printer offline", "company": {"id": company}});
    let preview = mcp.call(
        "create",
        json!({"entity": "tickets", "record": record, "dry_run": true}),
    );
    assert_eq!(preview["dry_run"], true);
    assert_eq!(preview["method"], "POST");
    assert!(
        preview["url"]
            .as_str()
            .unwrap()
            .ends_with("/service/tickets"),
        "{preview}"
    );
    assert_eq!(preview["body"], record);
    assert_eq!(
        preview["headers"]["authorization"], "Basic ***",
        "{preview}"
    );
    assert_eq!(count(&mut mcp), before, "a dry run sends nothing");
    let created = mcp.call("create", json!({"entity": "tickets", "record": record}));
    let id = created["record"]["id"].as_i64().unwrap();
    assert_eq!(created["record"]["summary"], "Printer offline");
    assert_eq!(count(&mut mcp), before + 1);
    mcp.fails(
        "create",
        json!({"entity": "tickets", "record": {"summary": "no company"}}),
        &["missing: company"],
    );

    // update_fields: typed like `cw patch --set`.
    let patch = mcp.call(
        "update_fields",
        json!({"entity": "tickets", "id": id, "set": {"budgetHours": 2.5, "summary": "12"}, "dry_run": true}),
    );
    assert_eq!(patch["method"], "PATCH");
    assert_eq!(
        patch["body"],
        json!([
            {"op": "replace", "path": "budgetHours", "value": 2.5},
            {"op": "replace", "path": "summary", "value": "12"}
        ])
    );
    let updated = mcp.call(
        "update_fields",
        json!({"entity": "tickets", "id": id, "set": {"budgetHours": 2.5, "summary": "Printer fixed"}}),
    );
    assert_eq!(updated["record"]["summary"], "Printer fixed");
    assert_eq!(updated["record"]["budgetHours"], 2.5);
    mcp.fails(
        "update_fields",
        json!({"entity": "tickets", "id": id, "set": {"budgetHours": "lots"}}),
        &["`budgetHours` is a number"],
    );
    mcp.fails(
        "update_fields",
        json!({"entity": "tickets", "id": id}),
        &["nothing to change"],
    );

    // A note and a time entry on the ticket.
    let note = mcp.call(
        "add_ticket_note",
        json!({"ticket_id": id, "text": "Restarted the spooler."}),
    );
    assert_eq!(note["record"]["text"], "Restarted the spooler.");
    assert_eq!(note["record"]["internalAnalysisFlag"], true);
    mcp.fails(
        "add_ticket_note",
        json!({"ticket_id": id, "text": "  "}),
        &["`text` is empty"],
    );
    let time = mcp.call(
        "log_time",
        json!({"ticket_id": id, "time_start": "2024-01-31T14:00:00Z", "hours": 0.5, "notes": "spooler"}),
    );
    assert_eq!(time["record"]["chargeToId"], id);
    assert_eq!(time["record"]["chargeToType"], "ServiceTicket");
    mcp.fails(
        "log_time",
        json!({"ticket_id": id, "time_start": "2024-01-31T14:00:00Z"}),
        &["give `time_end` or `hours`"],
    );
    mcp.fails(
        "log_time",
        json!({"ticket_id": id, "time_start": "yesterday", "hours": 1}),
        &["`time_start` must be a date-time"],
    );

    // delete: previewed, then done; the record is gone.
    let preview = mcp.call(
        "delete",
        json!({"entity": "tickets", "id": id, "dry_run": true}),
    );
    assert_eq!(preview["method"], "DELETE");
    mcp.call("get", json!({"entity": "tickets", "id": id}));
    let deleted = mcp.call("delete", json!({"entity": "tickets", "id": id}));
    assert_eq!(deleted["deleted"], format!("service/tickets/{id}"));
    mcp.fails("get", json!({"entity": "tickets", "id": id}), &["404"]);
    mcp.fails("delete", json!({"entity": "tickets", "id": id}), &["404"]);

    let stderr = mcp.finish();
    let dry_runs = logged_calls(&stderr)
        .iter()
        .filter(|c| c["outcome"] == "dry_run")
        .count();
    assert_eq!(dry_runs, 3, "{stderr}");
}

#[test]
fn results_are_cut_to_the_output_budget_with_the_way_on() {
    let (mut mcp, _) = McpChild::ready(&["--max-output", "1500"]);
    let (error, text) = mcp.call_raw(
        "search",
        json!({"entity": "tickets", "limit": 50, "fields": "*"}),
    );
    assert!(!error, "{text}");
    assert!(
        text.chars().count() <= 1500,
        "{} characters",
        text.chars().count()
    );
    let doc: Value = serde_json::from_str(&text).unwrap();
    let kept = doc["records"].as_array().unwrap();
    assert!(!kept.is_empty());
    assert!(doc["cut"]["records_omitted"].as_u64().unwrap() > 0, "{doc}");
    assert!(
        doc["cut"]["to_get_the_rest"]
            .as_str()
            .unwrap()
            .contains("next"),
        "{doc}"
    );
    let last = kept.last().unwrap()["id"].as_i64().unwrap();
    assert_eq!(doc["next"], json!({"after_id": last}), "{doc}");
    assert_eq!(doc["more"], true);
    // The next call goes on right after the last record shown.
    let on = mcp.call(
        "search",
        json!({"entity": "tickets", "limit": 1, "fields": "id", "after_id": last}),
    );
    assert!(on["records"][0]["id"].as_i64().unwrap() > last);
    // A description lists as many fields as fit, and where to start for the rest.
    let (_, text) = mcp.call_raw("describe_entity", json!({"entity": "tickets"}));
    assert!(text.chars().count() <= 1500);
    let first: Value = serde_json::from_str(&text).unwrap();
    let shown = first["fields"].as_array().unwrap().len();
    assert!(
        shown > 0 && first["cut"]["fields_omitted"].as_u64().unwrap() > 0,
        "{first}"
    );
    let advice = first["cut"]["to_get_the_rest"].as_str().unwrap();
    assert!(advice.ends_with(&format!("start = {shown}")), "{advice}");
    let rest = mcp.call(
        "describe_entity",
        json!({"entity": "tickets", "start": shown}),
    );
    let all = mcp.call(
        "describe_entity",
        json!({"entity": "tickets", "start": 0, "field": null}),
    );
    assert_ne!(rest["fields"][0], first["fields"][0]);
    assert!(all["fields"].as_array().unwrap().len() >= shown);
    mcp.fails(
        "describe_entity",
        json!({"entity": "tickets", "start": 100_000}),
        &["past the end"],
    );
    mcp.fails(
        "search",
        json!({"entity": "ticket_notes"}),
        &["tickets/42/notes"],
    );
    mcp.finish();
}

#[test]
fn http_is_served_on_loopback_only() {
    let out = TestCommand::new()
        .args(["--sandbox", "mcp", "--http", "0.0.0.0:0"])
        .fails(2);
    assert!(
        out.stderr.contains("only a loopback address"),
        "{}",
        out.dump()
    );
}

#[test]
fn the_call_log_can_go_to_a_file() {
    let dir = TempDir::new();
    let log = dir.path().join("calls.log");
    let (mut mcp, _) = McpChild::ready(&["--log", log.to_str().unwrap()]);
    mcp.call("count", json!({"entity": "tickets"}));
    // A secret that reaches the server anyway (here in the agent's own arguments, echoed back
    // by the result) is redacted in the result and in the log.
    let echoed = mcp.call(
        "check_conditions",
        json!({"expression": format!("summary = \"{PRIVATE_KEY}\"")}),
    );
    assert_eq!(echoed["canonical"], "summary = \"<redacted>\"");
    let stderr = mcp.finish();
    assert!(logged_calls(&stderr).is_empty(), "{stderr}");
    let text = std::fs::read_to_string(&log).unwrap();
    let calls = logged_calls(&text);
    assert_eq!(calls.len(), 2, "{text}");
    assert_eq!(calls[0]["tool"], "count");
    assert_eq!(calls[0]["arguments"], json!({"entity": "tickets"}));
    assert_eq!(
        calls[1]["arguments"]["expression"],
        "summary = \"<redacted>\""
    );
    assert!(!text.contains(PRIVATE_KEY) && !text.contains(BASIC));
}

/// The `data:` JSON messages of a server-sent events body.
fn sse_messages(body: &str) -> Vec<Value> {
    body.lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str(d.trim()).ok())
        .collect()
}

#[test]
fn streamable_http_serves_a_session() {
    let mut cmd = TestCommand::new();
    cmd.args(["--sandbox", "mcp", "--http", "127.0.0.1:0"]);
    let (mut cmd, _home) = cmd.into_parts();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cw starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let url = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("cw mcp --http prints its address");
        if let Some(url) = line.strip_prefix("cw mcp: listening on ") {
            break url.to_owned();
        }
    };
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/mcp"),
        "{url}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let outcome = runtime.block_on(async {
        let http = reqwest::Client::new();
        let post = |body: Value, session: Option<String>| {
            let mut request = http
                .post(&url)
                .header("accept", "application/json, text/event-stream")
                .header("content-type", "application/json")
                .body(body.to_string());
            if let Some(s) = session {
                request = request.header("mcp-session-id", s);
            }
            request.send()
        };
        let init = post(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "cw-e2e", "version": "1"}}}),
            None,
        )
        .await
        .unwrap();
        assert!(init.status().is_success(), "{}", init.status());
        let session = init.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let init = sse_messages(&init.text().await.unwrap());
        assert_eq!(init[0]["result"]["serverInfo"]["name"], "cw", "{init:?}");

        let initialized = post(
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            Some(session.clone()),
        )
        .await
        .unwrap();
        assert_eq!(initialized.status().as_u16(), 202);

        let list = post(
            json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
            Some(session.clone()),
        )
        .await
        .unwrap();
        let list = sse_messages(&list.text().await.unwrap());
        let names: Vec<&str> = list[0]["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, READ_TOOLS);

        let call = post(
            json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                   "params": {"name": "count", "arguments": {"entity": "tickets"}}}),
            Some(session.clone()),
        )
        .await
        .unwrap();
        let call = sse_messages(&call.text().await.unwrap());
        let text = call[0]["result"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        serde_json::from_str::<Value>(&text).unwrap()
    });
    assert!(outcome["count"].as_u64().unwrap() > 0, "{outcome}");
    let _ = child.kill();
    let _ = child.wait();
}
