//! One exit code per class of failure, with a one-line message and detail.

use cwpsa_sandbox::faults::Faults;
use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{Profile, RateLimitSetting, SandboxConfig};

use crate::harness::{TestCommand, TestSandbox};

#[test]
fn usage_errors_exit_2() {
    let out = TestCommand::new().args(["list"]).fails(2);
    assert!(out.stderr.contains("Usage"), "{}", out.dump());
    TestCommand::new().args(["frobnicate"]).fails(2);
    let sb = TestSandbox::start();
    let out = sb
        .cw()
        .args([
            "list",
            "tickets",
            "-w",
            "summary = \"x\" and (status/name =",
        ])
        .fails(2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert!(
        lines[0].starts_with("error: invalid --where:"),
        "{}",
        out.dump()
    );
    // The caret sits under the end of the expression.
    let expr = lines
        .iter()
        .position(|l| l.contains("(status/name ="))
        .expect("the expression is shown");
    let caret = lines[expr + 1];
    assert_eq!(caret.trim(), "^", "{}", out.dump());
    assert_eq!(caret.find('^'), Some(lines[expr].len()), "{}", out.dump());
    sb.cw().args(["list", "notes"]).fails(2);
}

#[test]
fn missing_settings_exit_3_and_say_what_to_set() {
    let out = TestCommand::new().args(["list", "tickets"]).fails(3);
    for needed in [
        "company_id",
        "private_key",
        "CONNECTWISE_PRIVATE_KEY",
        "config init",
    ] {
        assert!(out.stderr.contains(needed), "{needed}{}", out.dump());
    }
    let out = TestCommand::new()
        .args([
            "list",
            "tickets",
            "--site",
            "na",
            "--company-id",
            "x",
            "--public-key",
            "p",
        ])
        .args(["--client-id", "not-a-uuid"])
        .env("CONNECTWISE_PRIVATE_KEY", "k")
        .fails(3);
    assert!(out.stderr.contains("not a UUID"), "{}", out.dump());
    assert!(
        out.stderr.contains("client_id comes from flag --client-id"),
        "{}",
        out.dump()
    );
}

#[test]
fn rejected_credentials_exit_4_without_leaking_the_key() {
    let sb = TestSandbox::start();
    let out = sb
        .cw()
        .env("CONNECTWISE_PRIVATE_KEY", "wrong-secret-123")
        .args(["-vv", "list", "tickets"])
        .fails(4);
    assert!(out.stderr.contains("HTTP 401"), "{}", out.dump());
    assert!(!out.stderr.contains("wrong-secret-123"), "{}", out.dump());
}

#[test]
fn not_found_exits_5() {
    let sb = TestSandbox::start();
    let out = sb.cw().args(["get", "tickets", "999999"]).fails(5);
    assert!(
        out.stderr
            .starts_with("error: GET service/tickets/999999: HTTP 404"),
        "{}",
        out.dump()
    );
}

#[test]
fn rate_limited_after_retries_exits_6() {
    // The cloud profile's 429 carries only Retry-After: 600 s is past the client's patience,
    // so it gives up at once instead of waiting.
    let sb = TestSandbox::with(SandboxConfig {
        profile: Profile::Cloud,
        rate_limit: RateLimitSetting::Rule("1/600s".parse().expect("a rule")),
        seed: SeedConfig::for_tickets(3, 20),
        ..SandboxConfig::default()
    });
    sb.cw().args(["count", "tickets"]).ok();
    let out = sb.cw().args(["count", "tickets"]).fails(6);
    assert!(out.stderr.contains("HTTP 429"), "{}", out.dump());
    assert!(out.stderr.contains("wait"), "{}", out.dump());
}

#[test]
fn server_errors_exit_7() {
    let sb = TestSandbox::with(SandboxConfig {
        rate_limit: RateLimitSetting::Off,
        seed: SeedConfig::for_tickets(3, 20),
        faults: Faults {
            fail_rate: 1.0,
            ..Faults::default()
        },
        ..SandboxConfig::default()
    });
    // A create is never retried on a 5xx (it might have been applied), so this is quick.
    let out = sb
        .cw()
        .args([
            "create",
            "companies",
            "--set",
            "identifier=X",
            "--set",
            "name=X",
        ])
        .fails(7);
    assert!(out.stderr.contains("HTTP 50"), "{}", out.dump());
}

#[test]
fn network_errors_exit_8() {
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let out = TestCommand::new()
        .env(
            "CONNECTWISE_BASE_URL",
            format!("http://127.0.0.1:{port}/v4_6_release/apis/3.0/"),
        )
        .env("CONNECTWISE_COMPANY_ID", "sandbox")
        .env("CONNECTWISE_PUBLIC_KEY", "sandbox-public")
        .env("CONNECTWISE_PRIVATE_KEY", "sandbox-private")
        .env("CONNECTWISE_CLIENT_ID", crate::harness::CLIENT_ID)
        .args([
            "create",
            "companies",
            "--set",
            "identifier=X",
            "--set",
            "name=X",
        ])
        .fails(8);
    assert!(
        out.stderr.contains("error: POST company/companies"),
        "{}",
        out.dump()
    );
    assert!(out.stderr.contains("hint:"), "{}", out.dump());
}

#[test]
fn exit_codes_are_documented_in_help() {
    let help = TestCommand::new().args(["--help"]).ok().stdout;
    for code in 0..=8 {
        assert!(
            help.contains(&format!("\n  {code}  ")),
            "exit code {code} in:\n{help}"
        );
    }
}
