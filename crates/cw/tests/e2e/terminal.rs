//! Behaviour on a terminal, under a pseudo-terminal made by `script` (skipped without it):
//! the table by default, the progress bar and its rate-limit wait, delete's confirmation.

use crate::harness::{CLIENT_ID, PRIVATE_KEY, TestSandbox, under_tty};

fn env(sb: &TestSandbox) -> Vec<(&'static str, String)> {
    vec![
        ("CONNECTWISE_BASE_URL", sb.base_url().to_owned()),
        ("CONNECTWISE_COMPANY_ID", "sandbox".to_owned()),
        ("CONNECTWISE_PUBLIC_KEY", "sandbox-public".to_owned()),
        ("CONNECTWISE_PRIVATE_KEY", PRIVATE_KEY.to_owned()),
        ("CONNECTWISE_CLIENT_ID", CLIENT_ID.to_owned()),
        ("CONNECTWISE_RATE_LIMIT", "off".to_owned()),
    ]
}

fn tty(sb: &TestSandbox, shell: &str, stdin: &[u8]) -> Option<(i32, String)> {
    let env = env(sb);
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let shell = shell.replace("cw ", &format!("'{}' ", env!("CARGO_BIN_EXE_cw")));
    under_tty(&shell, &pairs, stdin)
}

#[test]
fn a_terminal_gets_a_table() {
    let sb = TestSandbox::start();
    let Some((code, screen)) = tty(&sb, "cw list tickets -n 3", b"") else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains("status/name"), "{screen}");
    assert!(screen.contains("the first 3 records"), "{screen}");
}

#[test]
fn the_progress_bar_shows_pages_and_rate_limit_waits() {
    let sb = TestSandbox::start();
    let Some((code, screen)) = tty(
        &sb,
        "cw list tickets --all --page-size 15 --rate-limit 2/2s -o ndjson > out.ndjson",
        b"",
    ) else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert_eq!(code, 0, "{screen}");
    assert!(screen.contains(" records"), "{screen}");
    assert!(screen.contains(" pages"), "{screen}");
    assert!(screen.contains("ETA"), "a total from /count: {screen}");
    assert!(screen.contains("for the rate limit"), "{screen}");
}

#[test]
fn delete_asks_on_a_terminal() {
    let sb = TestSandbox::start();
    let id = sb
        .cw()
        .args(["list", "tickets", "-n", "1", "-f", "id"])
        .ok()
        .json_lines()[0]["id"]
        .to_string();
    let Some((code, screen)) = tty(&sb, &format!("cw delete tickets {id}"), b"n\n") else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    assert!(
        screen.contains(&format!("Delete service/tickets/{id}? [y/N]")),
        "{screen}"
    );
    assert_eq!(code, 1, "{screen}");
    sb.cw().args(["get", "tickets", &id]).ok();
    let (code, screen) = tty(&sb, &format!("cw delete tickets {id}"), b"y\n").expect("script");
    assert_eq!(code, 0, "{screen}");
    sb.cw().args(["get", "tickets", &id]).fails(5);
}
