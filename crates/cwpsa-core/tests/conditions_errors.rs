//! Malformed conditions: each fails at a known byte offset with a known expectation.

use cwpsa_core::conditions::{MAX_NESTING, parse};

/// (input, byte offset, a fragment of `expected()`).
const CASES: &[(&str, usize, &str)] = &[
    ("", 0, "a condition such as"),
    ("   ", 3, "a condition such as"),
    ("status/name = New", 14, "a value after '='"),
    ("status/id = ", 12, "a value after '='"),
    ("status/id", 9, "an operator"),
    ("status/id 1", 10, "an operator"),
    ("status/id == 1", 11, "a value after '='"),
    ("status/id <> 1", 11, "a value after '<'"),
    ("status/id equals 1", 10, "an operator"),
    (
        "status/id not = 1",
        14,
        "'contains', 'like' or 'in' after 'not'",
    ),
    ("status/id in 1, 2", 13, "'(' and a list of values"),
    ("status/id in (1, 2", 18, "',' or ')' in the list"),
    ("status/id in (1 2)", 16, "',' or ')' in the list"),
    ("status/id in (1,)", 16, "a value after ','"),
    ("status/id in (,1)", 14, "a value after '('"),
    ("a = 1 and", 9, "a condition after 'and'"),
    ("a = 1 or or b = 2", 12, "an operator (=, !="),
    ("a = 1 b = 2", 6, "'and', 'or' or the end"),
    ("a = 1 && b = 2", 6, "'and', 'or' or the end"),
    ("a = 1)", 5, "'and', 'or' or the end"),
    ("(a = 1", 6, "'and', 'or' or ')'"),
    ("((a = 1) or b = 2", 17, "'and', 'or' or ')'"),
    ("()", 1, "a condition after '('"),
    ("not", 3, "a condition after 'not'"),
    ("= 1", 0, "a condition such as"),
    ("'x' = summary", 0, "a condition such as"),
    ("summary = \"unterminated", 10, "a closing \""),
    ("summary = 'it\\'", 10, "a closing '"),
    ("company/ = 1", 8, "a field name after '/'"),
    ("company//id = 1", 8, "a field name after '/'"),
    ("1company = 1", 1, "a space or an operator after the number"),
    ("id = 9223372036854775808", 5, "a whole number between"),
    ("id = -9223372036854775809", 5, "a whole number between"),
    ("id = 1.", 7, "a digit after the '.'"),
    ("id = .5", 5, "a value after '='"),
    ("id = - 5", 6, "a digit after '-'"),
    ("id = 12abc", 7, "a space or an operator after the number"),
    ("id = 1.2.3", 8, "a space or an operator after the number"),
    ("d > [2024-13-01]", 10, "a month from 01 to 12"),
    ("d > [2024-02-30]", 13, "a day from 01 to 29"),
    ("d > [2023-02-29]", 13, "a day from 01 to 28"),
    ("d > [2024-01-01T25:00:00Z]", 16, "an hour from 00 to 23"),
    ("d > [2024-01-01T10:60:00Z]", 19, "minutes from 00 to 59"),
    ("d > [2024-01-01T10:00:00Q]", 24, "'Z', an offset"),
    ("d > [2024-01-01", 4, "a ']' to close the date-time"),
    ("d > [yesterday]", 5, "a four-digit year"),
    (
        "d > [9999-12-31T23:00:00-02:00]",
        5,
        "between the years 0000 and 9999",
    ),
    ("d > 2024-1-1", 9, "a two-digit month"),
    ("name = \"é\" $", 12, "'and', 'or' or the end"),
    ("naïve = 1", 2, "an operator"),
    ("日本 = 1", 0, "a condition such as"),
    ("a = 1 and (b = 2 or c = )", 24, "a value after '='"),
];

#[test]
fn there_are_enough_cases() {
    assert!(CASES.len() >= 30);
}

#[test]
fn each_malformed_input_fails_where_expected() {
    for &(input, offset, fragment) in CASES {
        let err = match parse(input) {
            Ok(tree) => panic!("{input:?} parsed as {tree:?}"),
            Err(e) => e,
        };
        assert_eq!(err.offset(), offset, "{input:?}: {err}");
        assert!(
            err.expected().contains(fragment),
            "{input:?}: expected() is {:?}, wanted {fragment:?}",
            err.expected()
        );
        assert!(input.is_char_boundary(err.offset()));
        // The message names the offset, and the rendering puts a caret under it.
        assert!(err.to_string().contains(&format!(" at {offset}")), "{err}");
        let rendered = err.render(input);
        assert_eq!(rendered.lines().count(), 3, "{rendered}");
    }
}

#[test]
fn display_reads_as_expected_at_offset() {
    let err = parse("status/name = ").err().map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("expected a value after '=' at 14"));
}

#[test]
fn bare_words_suggest_quotes() {
    let err = parse("status/name = New").err();
    assert_eq!(
        err.as_ref().and_then(|e| e.hint()),
        Some("text values need quotes: \"New\"")
    );
    let rendered = err.map(|e| e.render("status/name = New"));
    assert_eq!(
        rendered.as_deref(),
        Some(concat!(
            "expected a value after '=' at 14 (text values need quotes: \"New\")\n",
            "  status/name = New\n",
            "                ^"
        ))
    );
}

#[test]
fn hints_for_other_languages_habits() {
    let hint = |s: &str| parse(s).err().and_then(|e| e.hint().map(str::to_owned));
    assert_eq!(
        hint("a = 1 && b = 2").as_deref(),
        Some("write 'and' instead of '&&'")
    );
    assert_eq!(
        hint("a = 1 || b = 2").as_deref(),
        Some("write 'or' instead of '||'")
    );
    assert_eq!(hint("a == 1").as_deref(), Some("write '=' for equality"));
    assert_eq!(hint("a <> 1").as_deref(), Some("write '!=' for inequality"));
    assert_eq!(
        hint("a = 1)").as_deref(),
        Some("this ')' has no matching '('")
    );
    assert_eq!(
        hint("(a = 1").as_deref(),
        Some("the '(' at 0 is not closed")
    );
    // The innermost parenthesis still open is named.
    assert_eq!(
        hint("(a = 1 and (b = 2").as_deref(),
        Some("the '(' at 11 is not closed")
    );
    assert_eq!(
        hint("(a = 1 and (b = 2) or ((c = 3)").as_deref(),
        Some("the '(' at 22 is not closed")
    );
}

#[test]
fn caret_lines_up_under_multibyte_text() {
    let input = "summary = \"naïve café 日本\" oops = 1";
    let err = parse(input).err();
    let offset = err.as_ref().map(cwpsa_core::conditions::ParseError::offset);
    assert_eq!(offset, input.find("oops"));
    let rendered = err.map(|e| e.render(input)).unwrap_or_default();
    let lines: Vec<&str> = rendered.lines().collect();
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[1].chars().nth(caret), Some('o'), "{rendered}");
}

#[test]
fn huge_inputs_render_a_window() {
    // A 1 MB condition whose fault is in the middle.
    let pad = "x".repeat(500_000);
    let input = format!("summary = \"{pad}\" and b = New and c = \"{pad}\"");
    let err = parse(&input).err().unwrap_or_else(|| panic!("parsed"));
    assert_eq!(input.get(err.offset()..err.offset() + 3), Some("New"));
    let rendered = err.render(&input);
    assert!(rendered.len() < 300, "rendered {} bytes", rendered.len());
    let lines: Vec<&str> = rendered.lines().collect();
    assert!(
        lines[1].starts_with("  ...") && lines[1].ends_with("..."),
        "{rendered}"
    );
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[1].chars().nth(caret), Some('N'), "{rendered}");

    // A long line whose fault is a bad value: the window sits on the value.
    let long = format!("summary = \"{}\" and b = New", "x".repeat(1_000_000));
    let err = parse(&long).err().unwrap_or_else(|| panic!("parsed"));
    assert_eq!(err.offset(), long.len() - 3);
    let rendered = err.render(&long);
    let lines: Vec<&str> = rendered.lines().collect();
    assert!(
        lines[1].starts_with("  ...") && lines[1].ends_with("New"),
        "{rendered}"
    );
    let caret = lines[2].chars().count() - 1;
    assert_eq!(lines[1].chars().nth(caret), Some('N'));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let input = "(".repeat(1_000_000);
    let err = parse(&input).err();
    assert_eq!(
        err.as_ref().map(cwpsa_core::conditions::ParseError::offset),
        Some(MAX_NESTING)
    );
    assert!(err.is_some_and(|e| e.expected().contains("256 nested")));
    let nots = "not ".repeat(300) + "a = 1";
    assert_eq!(
        parse(&nots).err().map(|e| e.offset()),
        Some(4 * MAX_NESTING)
    );
    let ok = "not ".repeat(MAX_NESTING) + "a = 1";
    assert!(parse(&ok).is_ok());
}

#[test]
fn long_chains_are_bounded_by_depth() {
    let input = vec!["id = 1"; 100_000].join(" or ");
    let err = parse(&input).err();
    assert!(err.is_some_and(|e| e.expected().contains("levels deep") && e.hint().is_some()));
    // The same alternatives as a list are fine.
    let ids: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
    assert!(parse(&format!("id in ({})", ids.join(", "))).is_ok());
}
