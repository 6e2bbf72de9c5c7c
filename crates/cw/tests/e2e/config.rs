//! config init and show: the profile file, precedence, redaction.

use crate::harness::{CLIENT_ID, TestCommand, TestSandbox};

const SECRET: &str = "profile-secret-XYZ";

fn init(cmd: &mut TestCommand, profile: &str, site: &str) -> crate::harness::Outcome {
    cmd.args(["config", "init", "--profile", profile, "--site", site])
        .args([
            "--company-id",
            "acme",
            "--public-key",
            "acme-pub",
            "--client-id",
            CLIENT_ID,
        ])
        .stdin(format!("{SECRET}\n"))
        .ok()
}

#[test]
fn init_writes_a_private_file_and_show_redacts_it() {
    let mut cmd = TestCommand::new();
    let out = init(&mut cmd, "acme", "eu");
    assert!(!out.stderr.contains(SECRET) && !out.stdout.contains(SECRET));
    let file = cmd.home.path().join("config.toml");
    let text = std::fs::read_to_string(&file).expect("the file exists");
    assert!(
        text.contains("[profiles.acme]") && text.contains(SECRET),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // Shown with its sources, the key redacted, in every format.
    for format in ["table", "json", "yaml", "csv", "ndjson"] {
        let show = TestCommand::new()
            .env("CW_CONFIG", &file)
            .args(["config", "show", "-o", format])
            .ok();
        assert!(
            !show.stdout.contains(SECRET) && !show.stderr.contains(SECRET),
            "{}",
            show.dump()
        );
        assert!(show.stdout.contains("***"), "{}", show.dump());
        assert!(show.stdout.contains("profile acme"), "{}", show.dump());
    }
}

#[test]
fn flags_beat_environment_beat_profile() {
    let mut cmd = TestCommand::new();
    init(&mut cmd, "acme", "eu");
    let file = cmd.home.path().join("config.toml");
    let show = TestCommand::new()
        .env("CW_CONFIG", &file)
        .env("CONNECTWISE_SITE", "au")
        .env("CONNECTWISE_PUBLIC_KEY", "env-pub")
        .args(["config", "show", "-o", "json", "--public-key", "flag-pub"])
        .ok()
        .json();
    assert_eq!(show["site"]["value"], "au");
    assert_eq!(show["site"]["source"], "env CONNECTWISE_SITE");
    assert_eq!(show["public_key"]["value"], "flag-pub");
    assert_eq!(show["public_key"]["source"], "flag --public-key");
    assert_eq!(show["company_id"]["source"], "profile acme");
    assert_eq!(show["private_key"]["value"], "***");
    assert_eq!(show["profile"]["value"], "acme");
}

#[test]
fn profiles_side_by_side_pick_the_tenant() {
    let sb = TestSandbox::start();
    let mut cmd = TestCommand::new();
    // A profile for the sandbox, and one for a "tenant" with the wrong key.
    cmd.args([
        "config",
        "init",
        "--profile",
        "sandbox",
        "--base-url",
        sb.base_url(),
    ])
    .args(["--company-id", "sandbox", "--public-key", "sandbox-public"])
    .args(["--client-id", CLIENT_ID, "--rate-limit", "off"])
    .stdin("sandbox-private\n")
    .ok();
    let file = cmd.home.path().join("config.toml");
    TestCommand::new()
        .env("CW_CONFIG", &file)
        .args([
            "config",
            "init",
            "--profile",
            "other",
            "--base-url",
            sb.base_url(),
        ])
        .args(["--company-id", "sandbox", "--public-key", "sandbox-public"])
        .args(["--client-id", CLIENT_ID])
        .stdin("not-the-key\n")
        .ok();
    // The first profile written is the default.
    TestCommand::new()
        .env("CW_CONFIG", &file)
        .args(["count", "tickets"])
        .ok();
    TestCommand::new()
        .env("CW_CONFIG", &file)
        .args(["--profile", "other", "count", "tickets"])
        .fails(4);
    TestCommand::new()
        .env("CW_CONFIG", &file)
        .env("CW_PROFILE", "other")
        .args(["count", "tickets", "--profile", "sandbox"])
        .ok();
    let missing = TestCommand::new()
        .env("CW_CONFIG", &file)
        .args(["--profile", "nope", "count", "tickets"])
        .fails(3);
    assert!(
        missing.stderr.contains("profiles: other, sandbox"),
        "{}",
        missing.dump()
    );
}

#[test]
fn init_warns_about_a_file_readable_by_others_and_refuses_bad_values() {
    let mut cmd = TestCommand::new();
    init(&mut cmd, "acme", "eu");
    let file = cmd.home.path().join("config.toml");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let show = TestCommand::new()
            .env("CW_CONFIG", &file)
            .args(["config", "show"])
            .ok();
        assert!(
            show.stderr.contains("readable by other users"),
            "{}",
            show.dump()
        );
        let mut again = TestCommand::new();
        again.env("CW_CONFIG", &file);
        let out = init(&mut again, "second", "na");
        assert!(
            out.stderr.contains("readable by other users"),
            "{}",
            out.dump()
        );
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "rewritten private");
        let text = std::fs::read_to_string(&file).expect("read");
        assert!(text.contains("[profiles.acme]") && text.contains("[profiles.second]"));
    }
    let bad = TestCommand::new()
        .env("CW_CONFIG", &file)
        .args([
            "config",
            "init",
            "--profile",
            "bad",
            "--site",
            "na",
            "--company-id",
            "a",
        ])
        .args(["--public-key", "p", "--client-id", "nope"])
        .stdin("k\n")
        .fails(3);
    assert!(bad.stderr.contains("not a UUID"), "{}", bad.dump());
    let no_key = TestCommand::new()
        .args(["config", "init", "--site", "na", "--company-id", "a"])
        .args(["--public-key", "p", "--client-id", CLIENT_ID])
        .stdin("")
        .fails(2);
    assert!(no_key.stderr.contains("private key"), "{}", no_key.dump());
}
