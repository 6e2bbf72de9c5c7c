//! --sandbox, sandbox serve, --dry-run, -vv, conditions check, completions.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::harness::{BASIC, PRIVATE_KEY, TestCommand, TestSandbox};

#[test]
fn the_sandbox_flag_needs_no_settings() {
    let out = TestCommand::new()
        .args([
            "--sandbox",
            "list",
            "tickets",
            "-n",
            "3",
            "-f",
            "id,summary",
        ])
        .ok();
    assert_eq!(out.json_lines().len(), 3);
    let count = TestCommand::new()
        .args(["--sandbox", "count", "tickets"])
        .ok();
    let n: u64 = count.stdout.trim().parse().expect("a number");
    assert!(n > 0);
}

#[test]
fn sandbox_serve_prints_its_ready_line_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cw"))
        .args([
            "sandbox",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--tickets",
            "30",
        ])
        .args(["--rate-limit", "off", "--profile", "cloud"])
        .env_clear()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cw sandbox serve starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a ready line");
    let ready: serde_json::Value = serde_json::from_str(&line).expect("JSON");
    let served = TestCommand::new()
        .env(
            "CONNECTWISE_BASE_URL",
            ready["base_url"].as_str().expect("base_url"),
        )
        .env(
            "CONNECTWISE_COMPANY_ID",
            ready["company_id"].as_str().expect("id"),
        )
        .env(
            "CONNECTWISE_PUBLIC_KEY",
            ready["public_key"].as_str().expect("pub"),
        )
        .env(
            "CONNECTWISE_PRIVATE_KEY",
            ready["private_key"].as_str().expect("key"),
        )
        .env(
            "CONNECTWISE_CLIENT_ID",
            ready["client_id"].as_str().expect("client"),
        )
        .env("CONNECTWISE_RATE_LIMIT", "off")
        .args(["count", "tickets"])
        .run();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(served.code, 0, "{}", served.dump());
    assert_eq!(served.stdout.trim(), "30");
    assert_eq!(ready["codebase"], "v4_6_release/");
}

#[test]
fn dry_run_prints_the_request_and_sends_nothing() {
    let sb = TestSandbox::start();
    let before = sb.requests();
    let out = sb
        .cw()
        .args([
            "--dry-run",
            "list",
            "tickets",
            "-w",
            "summary contains \"a+b c\"",
        ])
        .args(["-f", "id,summary"])
        .ok();
    let text = &out.stdout;
    assert!(text.contains("# dry run: nothing was sent"), "{text}");
    assert!(
        text.contains("conditions=summary%20contains%20%22a%2Bb%20c%22"),
        "encoded URL: {text}"
    );
    assert!(text.contains("# decoded: GET ") && text.contains("summary contains \"a+b c\""));
    assert!(text.contains("authorization: Basic ***"), "{text}");
    assert!(text.contains("pagination-type: forward-only"), "{text}");
    out.assert_no_secrets();

    // Every command that sends something.
    let commands: [&[&str]; 9] = [
        &["get", "tickets", "5"],
        &["count", "tickets", "-w", "closedFlag = false"],
        &[
            "create",
            "tickets",
            "--set",
            "summary=x",
            "--set",
            "company=1",
        ],
        &["update", "tickets", "5", "--data", "-"],
        &["patch", "tickets", "5", "--set", "summary=x"],
        &["delete", "tickets", "5"],
        &["callbacks", "list"],
        &[
            "callbacks",
            "add",
            "--url",
            "https://h.example.com/",
            "--type",
            "ticket",
        ],
        &["callbacks", "remove", "9"],
    ];
    for args in commands {
        let out = sb
            .cw()
            .args(["--dry-run"])
            .args(args)
            .stdin("{\"summary\":\"x\"}")
            .ok();
        assert!(
            out.stdout.contains("authorization: Basic ***"),
            "{}",
            out.dump()
        );
        out.assert_no_secrets();
    }
    let body = sb
        .cw()
        .args([
            "--dry-run",
            "-o",
            "json",
            "patch",
            "tickets",
            "5",
            "--set",
            "status/id=3",
        ])
        .ok()
        .json();
    assert_eq!(body["method"], "PATCH");
    assert_eq!(
        body["body"],
        serde_json::json!([{"op": "replace", "path": "status", "value": {"id": 3}}])
    );
    assert_eq!(body["headers"]["authorization"], "Basic ***");
    assert_eq!(sb.requests(), before, "a dry run sends nothing");
}

#[test]
fn dry_run_without_a_known_codebase_shows_the_discovery() {
    let out = TestCommand::new()
        .env("CONNECTWISE_SITE", "eu")
        .env("CONNECTWISE_COMPANY_ID", "acme")
        .env("CONNECTWISE_PUBLIC_KEY", "pub")
        .env("CONNECTWISE_PRIVATE_KEY", PRIVATE_KEY)
        .env("CONNECTWISE_CLIENT_ID", crate::harness::CLIENT_ID)
        .args(["--dry-run", "get", "companies", "5"])
        .ok();
    assert!(
        out.stdout
            .contains("GET https://api-eu.myconnectwise.net/CODEBASE/apis/3.0/company/companies/5"),
        "{}",
        out.dump()
    );
    assert!(
        out.stdout.contains("login/companyinfo/acme"),
        "{}",
        out.dump()
    );
    out.assert_no_secrets();
}

#[test]
fn verbose_logging_shows_requests_but_no_secrets() {
    let sb = TestSandbox::start();
    let out = sb.cw().args(["-vv", "list", "tickets", "-n", "2"]).ok();
    assert!(out.stderr.contains("DEBUG"), "{}", out.dump());
    assert!(out.stderr.contains("service/tickets"), "{}", out.dump());
    assert!(out.stderr.contains("status=200"), "{}", out.dump());
    assert!(out.stderr.contains("Basic ***"), "{}", out.dump());
    out.assert_no_secrets();
    let quiet = sb.cw().args(["list", "tickets", "-n", "2"]).ok();
    assert!(quiet.stderr.is_empty(), "{}", quiet.dump());
    let failing = sb.cw().args(["-vvv", "get", "tickets", "999999"]).fails(5);
    failing.assert_no_secrets();
    assert!(!failing.stderr.contains(BASIC));
}

#[test]
fn conditions_check_pretty_prints_or_points_at_the_fault() {
    let out = TestCommand::new()
        .args([
            "conditions",
            "check",
            "Status/Name='New' AND priority/id<=2",
            "--entity",
            "tickets",
        ])
        .ok();
    assert_eq!(out.stdout, "Status/Name = \"New\" and priority/id <= 2\n");
    let bad = TestCommand::new()
        .args(["conditions", "check", "summary = \"x\" and"])
        .fails(2);
    assert!(bad.stderr.contains('^'), "{}", bad.dump());
    let unknown = TestCommand::new()
        .args(["conditions", "check", "sumary = 1", "--entity", "tickets"])
        .fails(2);
    assert!(
        unknown.stderr.contains("did you mean"),
        "{}",
        unknown.dump()
    );
    // Every collection of the description is an entity, by path, alias or concrete path.
    for entity in ["finance/agreements", "agreements", "finance/agreements/5"] {
        let out = TestCommand::new()
            .args([
                "conditions",
                "check",
                "Name contains 'x'",
                "--entity",
                entity,
            ])
            .ok();
        assert_eq!(out.stdout, "Name contains \"x\"\n", "{}", out.dump());
    }
    let misspelt = TestCommand::new()
        .args([
            "conditions",
            "check",
            "nmae = 1",
            "--entity",
            "finance/agreements",
        ])
        .fails(2);
    assert!(
        misspelt.stderr.contains("did you mean `name`"),
        "{}",
        misspelt.dump()
    );
    let sites = TestCommand::new()
        .args([
            "conditions",
            "check",
            "city = 'Denver'",
            "--entity",
            "company/companies/5/sites",
        ])
        .ok();
    assert_eq!(sites.stdout, "city = \"Denver\"\n");
    let no_such = TestCommand::new()
        .args([
            "conditions",
            "check",
            "name = 1",
            "--entity",
            "finance/agreemnts",
        ])
        .fails(2);
    assert!(
        no_such.stderr.contains("did you mean `finance/agreements`"),
        "{}",
        no_such.dump()
    );
}

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cw"),
        ("fish", "complete -c cw"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion"),
    ] {
        let out = TestCommand::new().args(["completions", shell]).ok();
        assert!(
            out.stdout.contains(marker),
            "{shell}: {}",
            &out.stdout[..200.min(out.stdout.len())]
        );
        assert!(
            out.stdout.contains("patch"),
            "{shell} completes subcommands"
        );
    }
    TestCommand::new().args(["completions", "tcsh"]).fails(2);
}
