//! Parses a few realistic conditions, prints their canonical forms, and shows an error.
//!
//! Run: `cargo run --release -p cwpsa-core --example conditions`

use cwpsa_core::conditions::parse;

fn main() {
    let examples = [
        "status/id=1 and company/id=12345",
        r#"caption="TomNumber" AND value != null"#,
        r#"communicationItems/value like "a@b.com*" and communicationItems/communicationType="Email""#,
        "(status/id=1 or status/id=2) and lastUpdated > [2024-01-01T09:30:00+02:00]",
        r#"NOT summary CONTAINS 'He said "urgent"' and board/name in ("Help Desk", 'Triage')"#,
    ];
    println!("canonical forms:");
    for input in examples {
        match parse(input) {
            Ok(expr) => println!("  {input}\n    -> {expr}"),
            Err(err) => println!("  {input}\n    !! {err}"),
        }
    }

    let broken = "status/name = New and priority/id <= 2";
    println!("\nan error:");
    if let Err(err) = parse(broken) {
        for line in err.render(broken).lines() {
            println!("  {line}");
        }
    }
}
