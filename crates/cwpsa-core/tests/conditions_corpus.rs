//! Real-world condition strings: every example from the seed document and API-FACTS.md, plus
//! realistic queries. Each must parse, print canonically, and read back to the same tree.

use cwpsa_core::conditions::{
    CompareOp, Comparison, DateTime, Decimal, Expr, FieldPath, Membership, Operands, Value, parse,
};

/// Every conditions example in `spec/seed-connectwise-api-patterns.md`.
const SEED: &[&str] = &[
    "status/id=1",
    "status/id!=5",
    "priority/id<3",
    "priority/id<=2",
    // The seed's operator table writes dates bare; accepted as a date-time.
    "dateEntered>2024-01-01",
    "dateEntered>=2024-01-01",
    r#"summary contains "email""#,
    r#"summary like "%email%""#,
    "status/id in (1,2,3)",
    "status/id not in (5)",
    "company/id=12345",
    r#"status/name="New""#,
    r#"contact/firstName contains "John""#,
    "company/id=12345 and status/id!=5 and priority/id<=2",
    "status/id=1 or status/id=2",
    "(status/id=1 or status/id=2) and company/id=12345",
    "dateEntered>=[2024-01-01]",
    "dateEntered>=[2024-01-01T00:00:00Z] and dateEntered<[2024-02-01T00:00:00Z]",
    r#"summary="Email not working""#,
    r#"company/identifier like "AC%""#,
    "contact=null",
    "assignedResource!=null",
    // `company/id%3D12345%20and%20status/id!%3D5`, URL-decoded.
    "company/id=12345 and status/id!=5",
    r#"notes/text contains "update""#,
    r#"customField1 contains "value""#,
];

/// Every conditions example in `spec/API-FACTS.md`.
const API_FACTS: &[&str] = &[
    r#"summary = "x""#,
    "name contains 'Domain'",
    "board/id = 12",
    "budgetHours >= 2.5",
    "ClosedFlag = True",
    "contact = null",
    "value != null",
    "lastUpdated > [2024-01-01T00:00:00Z]",
    r#"name like "Domain*""#,
    r#"caption="TomNumber" AND value != null"#,
    r#"communicationItems/value like "a@b.com*" and communicationItems/communicationType="Email""#,
];

/// Realistic queries in the shapes integrations send.
const REALISTIC: &[&str] = &[
    r#"lastUpdated > [2024-01-01T00:00:00Z] and board/name = "Help Desk""#,
    r#"status/name not in ("Closed", "Resolved") and priority/id <= 2 and (board/name = "Help Desk" or board/name like "Service*") and lastUpdated > [2024-01-01T00:00:00Z]"#,
    "closedFlag = false and board/id in (1, 5, 12)",
    r#"company/identifier = "AcmeCorp" and closedFlag = False"#,
    "_info/lastUpdated >= [2024-06-01T12:30:00.250Z]",
    r#"summary not contains "[auto]" and summary not like "RE:*""#,
    r#"owner/identifier = "jdoe" or resources contains "jdoe""#,
    "id > 1000 and id <= 2000",
    "parentTicketId = null and hasChildTicket = true",
    "budgetHours > 0.5 and actualHours > 10",
    "percentComplete < 100.0 and estimatedEnd < [2024-12-31]",
    r#"chargeToType = "ServiceTicket" and timeStart >= [2024-03-01T00:00:00-05:00]"#,
    "member/id = 178 and timeStart >= [2024-03-31T22:00:00+02:00]",
    r#"inactiveFlag = false and (lastName like "Sm*" or firstName like "Sm*")"#,
    r#"types/name = "Client" and status/name != "Inactive" and deletedFlag = false"#,
    r#"name = "O'Brien Plumbing""#,
    r#"summary = 'He said "urgent"'"#,
    r#"summary contains "C:\temp\logs""#,
    r#"summary = "both ' and \" quotes""#,
    r#"summary = "trailing backslash \\""#,
    "summary contains 'émoji 🎉 and 日本語'",
    "not (closedFlag = true or status/name = 'Closed')",
    "not closedFlag = true and board/id = 1",
    "NOT status/id IN (1, 2) AND NOT summary CONTAINS 'test'",
    "severity in ('Low', 'Medium') or impact in ('Low')",
    "status/id in ()",
    "agreement/id != null and agreement/type/name like '*Managed*'",
    "(a/id = 1 or b/id = 2) and (c/id = 3 or d/id = 4)",
    "((a = 1 and b = 2) or (c = 3 and d = 4)) and e = 5",
    "a = 1 or b = 2 and c = 3 or d = 4",
    "dateResolved >= [2024-01-01] and dateResolved < [2024-02-01]",
    "isInSla = false and priority/sort <= 2",
    "contactEmailAddress like '*@example.com'",
    "site/name = 'Main' and company/id = 250",
    "hourlyRate >= 125.00 and workRole/name = 'Engineer'",
    "balance < -0.75 or balance > 9999999.99",
    "id = -9223372036854775808 or id = 9223372036854775807",
    "level = 1 and defaultFlag = TRUE and color = '#FF0000'",
    "communicationItems/defaultFlag = true and communicationItems/communicationType = 'Phone'",
    "status/name = \"New\"\n  and priority/id <= 2\n  and board/name = \"Help Desk\"",
    "  status/id=1  ",
    "project/id in (10,20,30) and phaseId != null and wbsCode like '1.2*'",
    "dateEntered > [2023-12-31T23:59:59.999Z] and enteredBy != 'Zapier'",
    "recordType = 'ProjectTicket' and closedFlag = false and (owner/id = 5 or owner = null)",
];

fn all() -> impl Iterator<Item = &'static str> {
    SEED.iter()
        .chain(API_FACTS.iter())
        .chain(REALISTIC.iter())
        .copied()
}

#[test]
fn corpus_is_large_enough() {
    assert!(all().count() >= 60, "corpus has {} entries", all().count());
}

#[test]
fn every_corpus_entry_parses_and_round_trips() {
    for input in all() {
        let tree = parse(input).unwrap_or_else(|e| panic!("{input:?}: {}", e.render(input)));
        let printed = tree.to_string();
        assert_eq!(
            parse(&printed).as_ref(),
            Ok(&tree),
            "{input:?} printed as {printed:?}"
        );
        let reprinted = parse(&printed).map(|t| t.to_string());
        assert_eq!(
            reprinted.as_deref(),
            Ok(printed.as_str()),
            "printing is not idempotent"
        );
    }
}

// ---- helpers for asserting trees ----

fn path(p: &str) -> FieldPath {
    FieldPath::new(p).unwrap_or_else(|| panic!("bad path {p}"))
}
fn cmp(p: &str, op: CompareOp, value: Value) -> Expr {
    Expr::Compare(Comparison {
        field: path(p),
        op,
        value,
    })
}
fn int(p: &str, op: CompareOp, i: i64) -> Expr {
    cmp(p, op, Value::Integer(i))
}
fn text(p: &str, op: CompareOp, s: &str) -> Expr {
    cmp(p, op, Value::String(s.into()))
}
fn date(y: u16, mo: u8, d: u8, h: u8, mi: u8, s: u8, ms: u16) -> Value {
    Value::DateTime(DateTime::new(y, mo, d, h, mi, s, ms).unwrap_or_else(|| panic!("bad date")))
}
fn dec(s: &str) -> Value {
    Value::Decimal(Decimal::new(s).unwrap_or_else(|| panic!("bad decimal {s}")))
}
fn list(p: &str, negated: bool, values: Vec<Value>) -> Expr {
    Expr::In(Membership {
        field: path(p),
        negated,
        values,
    })
}
fn and(a: Expr, b: Expr) -> Expr {
    Expr::And(Operands::new(a, b))
}
fn or(a: Expr, b: Expr) -> Expr {
    Expr::Or(Operands::new(a, b))
}
/// An `and` chain of three or more.
fn and_all(operands: Vec<Expr>) -> Expr {
    Expr::And(Operands::from_vec(operands).unwrap_or_else(|| panic!("a chain needs two")))
}
/// An `or` chain of three or more.
fn or_all(operands: Vec<Expr>) -> Expr {
    Expr::Or(Operands::from_vec(operands).unwrap_or_else(|| panic!("a chain needs two")))
}
fn not(a: Expr) -> Expr {
    Expr::Not(Box::new(a))
}

use CompareOp::{Contains, Eq, Ge, Gt, Le, Like, Lt, Ne, NotContains, NotLike};

fn check(input: &str, tree: &Expr, canonical: &str) {
    assert_eq!(parse(input).as_ref(), Ok(tree), "{input}");
    assert_eq!(tree.to_string(), canonical, "{input}");
}

#[test]
fn seed_trees() {
    check("status/id=1", &int("status/id", Eq, 1), "status/id = 1");
    check("status/id!=5", &int("status/id", Ne, 5), "status/id != 5");
    check(
        "priority/id<3",
        &int("priority/id", Lt, 3),
        "priority/id < 3",
    );
    check(
        "priority/id<=2",
        &int("priority/id", Le, 2),
        "priority/id <= 2",
    );
    check(
        "dateEntered>2024-01-01",
        &cmp("dateEntered", Gt, date(2024, 1, 1, 0, 0, 0, 0)),
        "dateEntered > [2024-01-01T00:00:00Z]",
    );
    check(
        "dateEntered>=[2024-01-01]",
        &cmp("dateEntered", Ge, date(2024, 1, 1, 0, 0, 0, 0)),
        "dateEntered >= [2024-01-01T00:00:00Z]",
    );
    check(
        r#"summary like "%email%""#,
        &text("summary", Like, "%email%"),
        r#"summary like "%email%""#,
    );
    check(
        "status/id in (1,2,3)",
        &list(
            "status/id",
            false,
            vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)],
        ),
        "status/id in (1, 2, 3)",
    );
    check(
        "status/id not in (5)",
        &list("status/id", true, vec![Value::Integer(5)]),
        "status/id not in (5)",
    );
    check(
        "company/id=12345 and status/id!=5 and priority/id<=2",
        &and_all(vec![
            int("company/id", Eq, 12345),
            int("status/id", Ne, 5),
            int("priority/id", Le, 2),
        ]),
        "company/id = 12345 and status/id != 5 and priority/id <= 2",
    );
    check(
        "(status/id=1 or status/id=2) and company/id=12345",
        &and(
            or(int("status/id", Eq, 1), int("status/id", Eq, 2)),
            int("company/id", Eq, 12345),
        ),
        "(status/id = 1 or status/id = 2) and company/id = 12345",
    );
    check(
        "dateEntered>=[2024-01-01T00:00:00Z] and dateEntered<[2024-02-01T00:00:00Z]",
        &and(
            cmp("dateEntered", Ge, date(2024, 1, 1, 0, 0, 0, 0)),
            cmp("dateEntered", Lt, date(2024, 2, 1, 0, 0, 0, 0)),
        ),
        "dateEntered >= [2024-01-01T00:00:00Z] and dateEntered < [2024-02-01T00:00:00Z]",
    );
    check(
        "contact=null",
        &cmp("contact", Eq, Value::Null),
        "contact = null",
    );
    check(
        "assignedResource!=null",
        &cmp("assignedResource", Ne, Value::Null),
        "assignedResource != null",
    );
}

#[test]
fn api_facts_trees() {
    check(
        "name contains 'Domain'",
        &text("name", Contains, "Domain"),
        r#"name contains "Domain""#,
    );
    check(
        "budgetHours >= 2.5",
        &cmp("budgetHours", Ge, dec("2.5")),
        "budgetHours >= 2.5",
    );
    check(
        "ClosedFlag = True",
        &cmp("ClosedFlag", Eq, Value::Bool(true)),
        "ClosedFlag = true",
    );
    check(
        r#"caption="TomNumber" AND value != null"#,
        &and(
            text("caption", Eq, "TomNumber"),
            cmp("value", Ne, Value::Null),
        ),
        r#"caption = "TomNumber" and value != null"#,
    );
    check(
        r#"communicationItems/value like "a@b.com*" and communicationItems/communicationType="Email""#,
        &and(
            text("communicationItems/value", Like, "a@b.com*"),
            text("communicationItems/communicationType", Eq, "Email"),
        ),
        r#"communicationItems/value like "a@b.com*" and communicationItems/communicationType = "Email""#,
    );
}

#[test]
fn realistic_trees() {
    check(
        r#"status/name not in ("Closed", "Resolved") and priority/id <= 2 and (board/name = "Help Desk" or board/name like "Service*") and lastUpdated > [2024-01-01T00:00:00Z]"#,
        &and_all(vec![
            list(
                "status/name",
                true,
                vec![
                    Value::String("Closed".into()),
                    Value::String("Resolved".into()),
                ],
            ),
            int("priority/id", Le, 2),
            or(
                text("board/name", Eq, "Help Desk"),
                text("board/name", Like, "Service*"),
            ),
            cmp("lastUpdated", Gt, date(2024, 1, 1, 0, 0, 0, 0)),
        ]),
        r#"status/name not in ("Closed", "Resolved") and priority/id <= 2 and (board/name = "Help Desk" or board/name like "Service*") and lastUpdated > [2024-01-01T00:00:00Z]"#,
    );
    check(
        r#"summary not contains "[auto]" and summary not like "RE:*""#,
        &and(
            text("summary", NotContains, "[auto]"),
            text("summary", NotLike, "RE:*"),
        ),
        r#"summary not contains "[auto]" and summary not like "RE:*""#,
    );
    check(
        "_info/lastUpdated >= [2024-06-01T12:30:00.250Z]",
        &cmp("_info/lastUpdated", Ge, date(2024, 6, 1, 12, 30, 0, 250)),
        "_info/lastUpdated >= [2024-06-01T12:30:00.250Z]",
    );
    check(
        "member/id = 178 and timeStart >= [2024-03-31T22:00:00+02:00]",
        &and(
            int("member/id", Eq, 178),
            cmp("timeStart", Ge, date(2024, 3, 31, 20, 0, 0, 0)),
        ),
        "member/id = 178 and timeStart >= [2024-03-31T20:00:00Z]",
    );
    check(
        r#"chargeToType = "ServiceTicket" and timeStart >= [2024-03-01T00:00:00-05:00]"#,
        &and(
            text("chargeToType", Eq, "ServiceTicket"),
            cmp("timeStart", Ge, date(2024, 3, 1, 5, 0, 0, 0)),
        ),
        r#"chargeToType = "ServiceTicket" and timeStart >= [2024-03-01T05:00:00Z]"#,
    );
    check(
        r#"name = "O'Brien Plumbing""#,
        &text("name", Eq, "O'Brien Plumbing"),
        r#"name = "O'Brien Plumbing""#,
    );
    check(
        r#"summary = 'He said "urgent"'"#,
        &text("summary", Eq, r#"He said "urgent""#),
        r#"summary = 'He said "urgent"'"#,
    );
    check(
        r#"summary contains "C:\temp\logs""#,
        &text("summary", Contains, r"C:\temp\logs"),
        r#"summary contains "C:\temp\logs""#,
    );
    check(
        r#"summary = "both ' and \" quotes""#,
        &text("summary", Eq, r#"both ' and " quotes"#),
        r#"summary = "both ' and \" quotes""#,
    );
    check(
        r#"summary = "trailing backslash \\""#,
        &text("summary", Eq, r"trailing backslash \"),
        r#"summary = "trailing backslash \\""#,
    );
    check(
        "not (closedFlag = true or status/name = 'Closed')",
        &not(or(
            cmp("closedFlag", Eq, Value::Bool(true)),
            text("status/name", Eq, "Closed"),
        )),
        r#"not (closedFlag = true or status/name = "Closed")"#,
    );
    check(
        "NOT status/id IN (1, 2) AND NOT summary CONTAINS 'test'",
        &and(
            not(list(
                "status/id",
                false,
                vec![Value::Integer(1), Value::Integer(2)],
            )),
            not(text("summary", Contains, "test")),
        ),
        r#"not status/id in (1, 2) and not summary contains "test""#,
    );
    check(
        "a = 1 or b = 2 and c = 3 or d = 4",
        &or_all(vec![
            int("a", Eq, 1),
            and(int("b", Eq, 2), int("c", Eq, 3)),
            int("d", Eq, 4),
        ]),
        "a = 1 or (b = 2 and c = 3) or d = 4",
    );
    check(
        "balance < -0.75 or balance > 9999999.99",
        &or(
            cmp("balance", Lt, dec("-0.75")),
            cmp("balance", Gt, dec("9999999.99")),
        ),
        "balance < -0.75 or balance > 9999999.99",
    );
    check(
        "hourlyRate >= 125.00 and workRole/name = 'Engineer'",
        &and(
            cmp("hourlyRate", Ge, dec("125.00")),
            text("workRole/name", Eq, "Engineer"),
        ),
        r#"hourlyRate >= 125.00 and workRole/name = "Engineer""#,
    );
    check(
        "id = -9223372036854775808 or id = 9223372036854775807",
        &or(int("id", Eq, i64::MIN), int("id", Eq, i64::MAX)),
        "id = -9223372036854775808 or id = 9223372036854775807",
    );
    check(
        "status/id in ()",
        &list("status/id", false, vec![]),
        "status/id in ()",
    );
    check("  status/id=1  ", &int("status/id", Eq, 1), "status/id = 1");
    check(
        "status/name = \"New\"\n  and priority/id <= 2",
        &and(text("status/name", Eq, "New"), int("priority/id", Le, 2)),
        r#"status/name = "New" and priority/id <= 2"#,
    );
    check(
        "summary contains 'émoji 🎉 and 日本語'",
        &text("summary", Contains, "émoji 🎉 and 日本語"),
        r#"summary contains "émoji 🎉 and 日本語""#,
    );
}

#[test]
fn field_names_keep_their_spelling() {
    let Ok(Expr::Compare(c)) = parse("Company/Identifier = 'x'") else {
        panic!("did not parse as a comparison");
    };
    assert_eq!(
        c.field.segments().collect::<Vec<_>>(),
        ["Company", "Identifier"]
    );
    assert_eq!(c.field.as_str(), "Company/Identifier");
}
