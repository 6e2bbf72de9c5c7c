//! `orderBy` and `fields`: parsing, canonical printing, builders, error offsets, round-trips.

use cwpsa_core::conditions::FieldPath;
use cwpsa_core::params::{Direction, Fields, OrderBy, ParamError};
use proptest::prelude::*;

fn path(p: &str) -> FieldPath {
    FieldPath::new(p).expect("test paths are valid")
}

fn order(items: &[(&str, Direction)]) -> OrderBy {
    items.iter().map(|&(p, d)| (path(p), d)).collect()
}

fn fields(items: &[&str]) -> Fields {
    items.iter().map(|p| path(p)).collect()
}

fn parse_order(s: &str) -> OrderBy {
    match s.parse() {
        Ok(o) => o,
        Err(e) => panic!("{s:?} should parse:\n{e}"),
    }
}

fn parse_fields(s: &str) -> Fields {
    match s.parse() {
        Ok(f) => f,
        Err(e) => panic!("{s:?} should parse:\n{e}"),
    }
}

fn order_error(s: &str) -> ParamError {
    match s.parse::<OrderBy>() {
        Ok(o) => panic!("{s:?} should not parse, got {o:?}"),
        Err(e) => e,
    }
}

fn fields_error(s: &str) -> ParamError {
    match s.parse::<Fields>() {
        Ok(f) => panic!("{s:?} should not parse, got {f:?}"),
        Err(e) => e,
    }
}

use Direction::{Asc, Desc};

// ---- orderBy ----

#[test]
fn order_by_parses_the_documented_example() {
    let o = parse_order("priority/id asc, dateEntered desc");
    assert_eq!(o, order(&[("priority/id", Asc), ("dateEntered", Desc)]));
    assert_eq!(o.len(), 2);
    assert!(!o.is_empty());
    assert_eq!(o.as_slice()[0], (path("priority/id"), Asc));
    assert_eq!(o.to_string(), "priority/id asc, dateEntered desc");
}

#[test]
fn order_by_direction_defaults_to_asc_and_is_case_insensitive() {
    assert_eq!(parse_order("id"), order(&[("id", Asc)]));
    assert_eq!(
        parse_order("id,name DESC,board/name Asc,x dEsC"),
        order(&[
            ("id", Asc),
            ("name", Desc),
            ("board/name", Asc),
            ("x", Desc)
        ])
    );
    assert_eq!(parse_order("id").to_string(), "id asc");
}

#[test]
fn order_by_tolerates_whitespace() {
    let expected = order(&[("priority/id", Asc), ("dateEntered", Desc)]);
    for s in [
        "priority/id asc,dateEntered desc",
        "  priority/id   asc ,  dateEntered\tdesc  ",
        "priority/id\n,\ndateEntered desc\n",
        "priority/id,dateEntered desc",
    ] {
        assert_eq!(parse_order(s), expected, "{s:?}");
    }
}

#[test]
fn order_by_keeps_field_spelling_and_order() {
    let o = parse_order("_info/lastUpdated desc, Company/Name, id");
    assert_eq!(
        o.iter().map(|(f, _)| f.to_string()).collect::<Vec<_>>(),
        ["_info/lastUpdated", "Company/Name", "id"]
    );
}

#[test]
fn empty_input_is_an_empty_list() {
    for s in ["", "   ", "\t\n"] {
        assert!(parse_order(s).is_empty(), "{s:?}");
        assert!(parse_fields(s).is_empty(), "{s:?}");
    }
    assert_eq!(OrderBy::new().to_string(), "");
    assert_eq!(Fields::new().to_string(), "");
}

#[test]
fn order_by_error_offsets() {
    let cases: &[(&str, usize, &str)] = &[
        ("id,,name", 3, "empty item"),
        ("id,", 3, "empty item"),
        ("id, ", 4, "empty item"),
        (",id", 0, "empty item"),
        (" , id", 1, "empty item"),
        ("id up", 3, "found `up`"),
        ("id asc desc", 7, "found `desc`"),
        ("id asc x, y", 7, "found `x`"),
        ("a//b", 2, "empty segment"),
        ("status/", 7, "empty segment"),
        ("/status", 0, "empty segment"),
        ("1abc", 0, "starts with a digit"),
        ("a/1b asc", 2, "starts with a digit"),
        ("id-x", 2, "unexpected character `-`"),
        (
            "id, \"name\"",
            4,
            "expected a field path, found character `\"`",
        ),
        ("idé asc", 2, "unexpected character `é`"),
        ("id ascending", 3, "found `ascending`"),
    ];
    for &(input, offset, fragment) in cases {
        let e = order_error(input);
        assert_eq!(e.offset(), offset, "{input:?}: {e}");
        assert!(e.message().contains(fragment), "{input:?}: {e}");
        assert_eq!(e.input(), input);
    }
}

#[test]
fn error_display_shows_a_caret_under_the_offset() {
    let e = order_error("priority/id up, x");
    assert_eq!(e.offset(), 12);
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("found `up`"), "{text}");
    assert!(lines[0].contains("byte 12"), "{text}");
    assert_eq!(lines[1], "  priority/id up, x");
    assert_eq!(lines[2], format!("  {}^", " ".repeat(12)));

    // The caret column counts characters, and control characters are echoed as spaces.
    let e = order_error("é\tx");
    assert_eq!(e.offset(), 0);
    let e = order_error("a,\té,x");
    assert_eq!(e.offset(), 3);
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], "  a, é,x");
    assert_eq!(lines[2], "     ^");
}

#[test]
fn order_by_builder() {
    let built = OrderBy::builder()
        .asc("priority/id")
        .desc("dateEntered")
        .then("board/name", Desc)
        .build();
    assert_eq!(
        built,
        Ok(order(&[
            ("priority/id", Asc),
            ("dateEntered", Desc),
            ("board/name", Desc)
        ]))
    );
    assert_eq!(OrderBy::builder().build(), Ok(OrderBy::new()));
    assert_eq!(
        OrderBy::try_from(OrderBy::builder().desc("id")),
        Ok(order(&[("id", Desc)]))
    );
}

#[test]
fn order_by_builder_defers_the_first_error() {
    let e = OrderBy::builder()
        .asc("id")
        .desc("date entered")
        .asc("a//b")
        .build()
        .expect_err("invalid path");
    assert_eq!(e.input(), "date entered");
    assert_eq!(e.offset(), 4);
    assert!(e.message().contains("unexpected character ' '"), "{e}");

    let e = OrderBy::builder().asc("").build().expect_err("empty path");
    assert_eq!((e.input(), e.offset()), ("", 0));
    assert!(e.message().contains("empty segment"), "{e}");

    // A builder takes one path, so a direction or a list inside it is an error.
    assert_eq!(
        OrderBy::builder()
            .asc("id desc")
            .build()
            .map_err(|e| e.offset()),
        Err(2)
    );
    assert_eq!(
        OrderBy::builder()
            .asc("a,b")
            .build()
            .map_err(|e| e.offset()),
        Err(1)
    );
}

#[test]
fn order_by_push_and_iterate() {
    let mut o = OrderBy::new();
    o.push(path("id"), Desc);
    o.push(path("name"), Direction::default());
    assert_eq!(o.to_string(), "id desc, name asc");
    let collected: Vec<(FieldPath, Direction)> = o.clone().into_iter().collect();
    assert_eq!(collected, [(path("id"), Desc), (path("name"), Asc)]);
    assert_eq!((&o).into_iter().count(), 2);
    assert_eq!(Direction::Asc.as_str(), "asc");
    assert_eq!(Direction::Desc.to_string(), "desc");
}

// ---- fields ----

#[test]
fn fields_parse_and_print() {
    let f = parse_fields("id,summary,status/name");
    assert_eq!(f, fields(&["id", "summary", "status/name"]));
    assert_eq!(f.to_string(), "id,summary,status/name");
    assert_eq!(parse_fields(" id , summary,\tstatus/name \n"), f);
    assert_eq!(f.len(), 3);
    assert_eq!(f.as_slice()[2], path("status/name"));
    assert_eq!(
        f.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["id", "summary", "status/name"]
    );
}

#[test]
fn fields_error_offsets() {
    let cases: &[(&str, usize, &str)] = &[
        ("id,,name", 3, "empty item"),
        ("id,name,", 8, "empty item"),
        (",id", 0, "empty item"),
        (
            "id name",
            3,
            "expected `,` or the end after field `id`, found `name`",
        ),
        ("id asc", 3, "found `asc`"),
        ("id,status//name", 10, "empty segment"),
        ("id,2fa", 3, "starts with a digit"),
        ("id;name", 2, "unexpected character `;`"),
    ];
    for &(input, offset, fragment) in cases {
        let e = fields_error(input);
        assert_eq!(e.offset(), offset, "{input:?}: {e}");
        assert!(e.message().contains(fragment), "{input:?}: {e}");
    }
}

#[test]
fn fields_builder() {
    assert_eq!(
        Fields::builder().field("id").field("status/name").build(),
        Ok(fields(&["id", "status/name"]))
    );
    let e = Fields::builder()
        .field("id")
        .field("status name")
        .field("also bad")
        .build()
        .expect_err("invalid path");
    assert_eq!((e.input(), e.offset()), ("status name", 6));
    assert_eq!(
        Fields::try_from(Fields::builder().field("x")),
        Ok(fields(&["x"]))
    );
}

#[test]
fn fields_push_and_iterate() {
    let mut f = Fields::new();
    f.push(path("id"));
    f.push(path("company/name"));
    assert_eq!(f.to_string(), "id,company/name");
    assert_eq!(
        f.clone().into_iter().collect::<Vec<_>>(),
        [path("id"), path("company/name")]
    );
    assert_eq!((&f).into_iter().count(), 2);
}

// ---- properties ----

fn arb_path() -> impl Strategy<Value = FieldPath> {
    prop::collection::vec("[A-Za-z_][A-Za-z0-9_]{0,8}", 1..4)
        .prop_map(|segments| FieldPath::from_segments(segments).expect("identifiers"))
}

fn arb_direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Asc), Just(Desc)]
}

fn arb_order() -> impl Strategy<Value = OrderBy> {
    prop::collection::vec((arb_path(), arb_direction()), 0..6)
        .prop_map(|items| items.into_iter().collect())
}

fn arb_fields() -> impl Strategy<Value = Fields> {
    prop::collection::vec(arb_path(), 0..6).prop_map(|items| items.into_iter().collect())
}

fn arb_space() -> impl Strategy<Value = String> {
    "[ \t\n]{0,3}"
}

proptest! {
    #[test]
    fn order_by_round_trips(o in arb_order()) {
        let printed = o.to_string();
        prop_assert_eq!(printed.parse::<OrderBy>(), Ok(o));
    }

    #[test]
    fn fields_round_trip(f in arb_fields()) {
        let printed = f.to_string();
        prop_assert_eq!(printed.parse::<Fields>(), Ok(f));
    }

    /// Any spacing, any keyword case and omitted `asc` parse to the same list, and print back
    /// canonically.
    #[test]
    fn order_by_accepts_loose_spelling(
        items in prop::collection::vec(
            (arb_path(), arb_direction(), any::<bool>(), any::<bool>(), arb_space(), arb_space(), arb_space()),
            1..5,
        )
    ) {
        let mut text = String::new();
        let mut expected = OrderBy::new();
        for (i, (field, direction, upper, omit_asc, s1, s2, s3)) in items.into_iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&s1);
            text.push_str(&field.to_string());
            if !(omit_asc && direction == Asc) {
                text.push(' ');
                text.push_str(&s2);
                let keyword = direction.as_str();
                text.push_str(&if upper { keyword.to_uppercase() } else { keyword.to_owned() });
            }
            text.push_str(&s3);
            expected.push(field, direction);
        }
        let parsed = text.parse::<OrderBy>();
        prop_assert_eq!(parsed.as_ref(), Ok(&expected), "{:?}", text);
        prop_assert_eq!(parsed.map(|o| o.to_string()), Ok(expected.to_string()));
    }

    /// Arbitrary input never panics, and an error points inside the input at a character
    /// boundary.
    #[test]
    fn arbitrary_input_never_panics(s in ".{0,40}") {
        for result in [s.parse::<OrderBy>().map(|_| ()), s.parse::<Fields>().map(|_| ())] {
            if let Err(e) = result {
                prop_assert!(e.offset() <= s.len());
                prop_assert!(s.is_char_boundary(e.offset()));
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }
}
