//! The conditions builder: the exact trees each method produces, and its deferred errors.

use cwpsa_core::conditions::{
    BuildError, CompareOp, Comparison, Condition, DateTime, Decimal, Expr, Field, FieldPath,
    Membership, Operands, Value, ValueError, field, not, parse,
};

fn path(p: &str) -> FieldPath {
    FieldPath::new(p).expect("test paths are valid")
}

fn cmp(p: &str, op: CompareOp, value: Value) -> Expr {
    Expr::Compare(Comparison {
        field: path(p),
        op,
        value,
    })
}

fn string(s: &str) -> Value {
    Value::String(s.into())
}

fn decimal(s: &str) -> Value {
    Value::Decimal(Decimal::new(s).expect("test decimals are valid"))
}

fn and(a: Expr, b: Expr) -> Expr {
    Expr::And(Operands::new(a, b))
}

fn or(a: Expr, b: Expr) -> Expr {
    Expr::Or(Operands::new(a, b))
}

fn chain(node: fn(Operands) -> Expr, operands: Vec<Expr>) -> Expr {
    node(Operands::from_vec(operands).expect("a chain has two or more operands"))
}

fn negate(a: Expr) -> Expr {
    Expr::Not(Box::new(a))
}

fn built(c: Condition) -> Expr {
    match c.build() {
        Ok(expr) => expr,
        Err(e) => panic!("expected a valid condition, got: {e}"),
    }
}

fn failed(c: Condition) -> BuildError {
    match c.build() {
        Ok(expr) => panic!("expected an error, got {expr:?}"),
        Err(e) => e,
    }
}

fn date(y: u16, m: u8, d: u8) -> DateTime {
    DateTime::date(y, m, d).expect("test dates are valid")
}

// ---- comparison operators ----

#[test]
fn each_comparison_operator_builds_its_node() {
    let cases: [(Condition, CompareOp); 6] = [
        (field("priority/id").eq(2), CompareOp::Eq),
        (field("priority/id").ne(2), CompareOp::Ne),
        (field("priority/id").lt(2), CompareOp::Lt),
        (field("priority/id").le(2), CompareOp::Le),
        (field("priority/id").gt(2), CompareOp::Gt),
        (field("priority/id").ge(2), CompareOp::Ge),
    ];
    for (condition, op) in cases {
        assert_eq!(built(condition), cmp("priority/id", op, Value::Integer(2)));
    }
}

#[test]
fn string_operators_build_string_values() {
    assert_eq!(
        built(field("name").contains("Domain")),
        cmp("name", CompareOp::Contains, string("Domain"))
    );
    assert_eq!(
        built(field("name").not_contains(String::from("Domain"))),
        cmp("name", CompareOp::NotContains, string("Domain"))
    );
    assert_eq!(
        built(field("name").like("Dom*in")),
        cmp("name", CompareOp::Like, string("Dom*in"))
    );
    assert_eq!(
        built(field("name").not_like("%x%")),
        cmp("name", CompareOp::NotLike, string("%x%"))
    );
}

#[test]
fn starts_with_and_ends_with_are_like_with_a_star() {
    assert_eq!(
        built(field("name").starts_with("Dom")),
        cmp("name", CompareOp::Like, string("Dom*"))
    );
    assert_eq!(
        built(field("name").ends_with("ain")),
        cmp("name", CompareOp::Like, string("*ain"))
    );
    // Other special characters are literal text and pass through unchanged.
    assert_eq!(
        built(field("name").starts_with("a\"b'c\\d_?")),
        cmp("name", CompareOp::Like, string("a\"b'c\\d_?*"))
    );
}

#[test]
fn starts_with_rejects_wildcards_in_the_literal() {
    let err = failed(field("name").starts_with("50*off"));
    assert_eq!(
        err,
        BuildError::WildcardInLiteral {
            field: "name".to_owned(),
            method: "starts_with",
            value: "50*off".to_owned(),
            wildcard: '*',
        }
    );
    let message = err.to_string();
    assert!(message.contains("`name`"), "{message}");
    assert!(message.contains("\"50*off\""), "{message}");

    let err = failed(field("summary").ends_with("100%"));
    assert_eq!(
        err,
        BuildError::WildcardInLiteral {
            field: "summary".to_owned(),
            method: "ends_with",
            value: "100%".to_owned(),
            wildcard: '%',
        }
    );
}

#[test]
fn membership_builds_in_and_not_in() {
    assert_eq!(
        built(field("status/id").one_of([1, 2, 3])),
        Expr::In(Membership {
            field: path("status/id"),
            negated: false,
            values: vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)],
        })
    );
    assert_eq!(
        built(field("status/name").not_one_of(vec!["New", "Closed"])),
        Expr::In(Membership {
            field: path("status/name"),
            negated: true,
            values: vec![string("New"), string("Closed")],
        })
    );
    // Mixed kinds through Value, and null through Option.
    assert_eq!(
        built(field("x").one_of([Some(1), None])),
        Expr::In(Membership {
            field: path("x"),
            negated: false,
            values: vec![Value::Integer(1), Value::Null],
        })
    );
}

#[test]
fn membership_errors() {
    assert_eq!(
        failed(field("status/id").one_of(Vec::<i64>::new())),
        BuildError::EmptyList {
            field: "status/id".to_owned(),
            method: "one_of",
        }
    );
    assert_eq!(
        failed(field("status/id").not_one_of(std::iter::empty::<&str>())),
        BuildError::EmptyList {
            field: "status/id".to_owned(),
            method: "not_one_of",
        }
    );
    assert_eq!(
        failed(field("id").one_of([1, u64::MAX, 2])),
        BuildError::InvalidValue {
            field: "id".to_owned(),
            reason: ValueError::IntegerOutOfRange(u64::MAX.to_string()),
        }
    );
}

#[test]
fn null_tests() {
    assert_eq!(
        built(field("contact").is_null()),
        cmp("contact", CompareOp::Eq, Value::Null)
    );
    assert_eq!(
        built(field("contact").is_not_null()),
        cmp("contact", CompareOp::Ne, Value::Null)
    );
}

#[test]
fn between_is_half_open() {
    let start = date(2024, 1, 1);
    let end = date(2024, 2, 1);
    assert_eq!(
        built(field("lastUpdated").between(start, end)),
        and(
            cmp("lastUpdated", CompareOp::Ge, Value::DateTime(start)),
            cmp("lastUpdated", CompareOp::Lt, Value::DateTime(end)),
        )
    );
    // A bad end value is reported too.
    assert_eq!(
        failed(field("budget").between(1.0, f64::INFINITY)),
        BuildError::InvalidValue {
            field: "budget".to_owned(),
            reason: ValueError::NonFiniteFloat("inf".to_owned()),
        }
    );
}

// ---- values ----

#[test]
fn string_values_of_every_kind() {
    let owned = String::from("b");
    let cases: Vec<(Condition, &str)> = vec![
        (field("f").eq("a"), "a"),
        (field("f").eq(owned.clone()), "b"),
        (field("f").eq(&owned), "b"),
        (field("f").eq(std::borrow::Cow::Borrowed("c")), "c"),
        (field("f").eq('d'), "d"),
        (field("f").eq(""), ""),
    ];
    for (condition, expected) in cases {
        assert_eq!(built(condition), cmp("f", CompareOp::Eq, string(expected)));
    }
}

#[test]
fn integer_values() {
    let cases: Vec<(Condition, i64)> = vec![
        (field("f").eq(-3_i8), -3),
        (field("f").eq(300_i16), 300),
        (field("f").eq(-70_000_i32), -70_000),
        (field("f").eq(i64::MIN), i64::MIN),
        (field("f").eq(200_u8), 200),
        (field("f").eq(60_000_u16), 60_000),
        (field("f").eq(u32::MAX), i64::from(u32::MAX)),
        (field("f").eq(i64::MAX as u64), i64::MAX),
        (field("f").eq(7_usize), 7),
        (field("f").eq(-7_isize), -7),
        (field("f").eq(-9_i128), -9),
        (field("f").eq(9_u128), 9),
    ];
    for (condition, expected) in cases {
        assert_eq!(
            built(condition),
            cmp("f", CompareOp::Eq, Value::Integer(expected))
        );
    }
}

#[test]
fn integers_beyond_i64_are_errors() {
    let too_big = i64::MAX as u64 + 1;
    let err = failed(field("id").eq(too_big));
    assert_eq!(
        err,
        BuildError::InvalidValue {
            field: "id".to_owned(),
            reason: ValueError::IntegerOutOfRange("9223372036854775808".to_owned()),
        }
    );
    let message = err.to_string();
    assert!(message.contains("`id`"), "{message}");
    assert!(message.contains("9223372036854775808"), "{message}");
    assert!(
        failed(field("id").eq(i128::MIN))
            .to_string()
            .contains(&i128::MIN.to_string())
    );
}

#[test]
fn float_values_are_exact_decimals_without_exponent() {
    let cases: Vec<(f64, &str)> = vec![
        (2.5, "2.5"),
        (2.0, "2.0"),
        (-0.5, "-0.5"),
        (0.1, "0.1"),
        (1e21, "1000000000000000000000.0"),
        (1e-7, "0.0000001"),
        (-0.0, "-0.0"),
        (123_456.789, "123456.789"),
    ];
    for (x, text) in cases {
        assert_eq!(
            built(field("budgetHours").ge(x)),
            cmp("budgetHours", CompareOp::Ge, decimal(text)),
            "{x}"
        );
    }
    // f32 keeps its own shortest text, not the widened f64's digits.
    assert_eq!(
        built(field("f").eq(0.1_f32)),
        cmp("f", CompareOp::Eq, decimal("0.1"))
    );
}

#[test]
fn non_finite_floats_are_errors() {
    for (x, text) in [
        (f64::NAN, "NaN"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
    ] {
        let err = failed(field("budgetHours").eq(x));
        assert_eq!(
            err,
            BuildError::InvalidValue {
                field: "budgetHours".to_owned(),
                reason: ValueError::NonFiniteFloat(text.to_owned()),
            }
        );
        assert!(err.to_string().contains("budgetHours"), "{err}");
    }
    assert!(matches!(
        failed(field("f").eq(f32::NAN)),
        BuildError::InvalidValue {
            reason: ValueError::NonFiniteFloat(_),
            ..
        }
    ));
}

#[test]
fn other_values() {
    assert_eq!(
        built(field("closedFlag").eq(true)),
        cmp("closedFlag", CompareOp::Eq, Value::Bool(true))
    );
    let when = DateTime::new(2024, 3, 4, 5, 6, 7, 8).expect("valid");
    assert_eq!(
        built(field("lastUpdated").gt(when)),
        cmp("lastUpdated", CompareOp::Gt, Value::DateTime(when))
    );
    assert_eq!(
        built(field("f").eq(Decimal::new("2.50").expect("valid"))),
        cmp("f", CompareOp::Eq, decimal("2.50"))
    );
    assert_eq!(
        built(field("f").eq(Value::Null)),
        cmp("f", CompareOp::Eq, Value::Null)
    );
    assert_eq!(
        built(field("contact/id").eq(None::<i64>)),
        cmp("contact/id", CompareOp::Eq, Value::Null)
    );
    assert_eq!(
        built(field("contact/id").eq(Some(5_u32))),
        cmp("contact/id", CompareOp::Eq, Value::Integer(5))
    );
    assert_eq!(
        built(field("name").ne(Some("x"))),
        cmp("name", CompareOp::Ne, string("x"))
    );
    assert!(matches!(
        failed(field("f").eq(Some(f64::NAN))),
        BuildError::InvalidValue { .. }
    ));
}

// ---- logic ----

#[test]
fn and_or_chains_grow_like_their_text() {
    let a = || field("a").eq(1);
    let b = || field("b").eq(2);
    let c = || field("c").eq(3);
    let (ea, eb, ec) = (
        cmp("a", CompareOp::Eq, Value::Integer(1)),
        cmp("b", CompareOp::Eq, Value::Integer(2)),
        cmp("c", CompareOp::Eq, Value::Integer(3)),
    );
    assert_eq!(
        built(a().and(b()).and(c())),
        chain(Expr::And, vec![ea.clone(), eb.clone(), ec.clone()])
    );
    assert_eq!(
        built(a().or(b()).or(c())),
        chain(Expr::Or, vec![ea.clone(), eb.clone(), ec.clone()])
    );
    assert_eq!(
        built(a().and(b().and(c()))),
        and(ea.clone(), and(eb.clone(), ec.clone()))
    );
    assert_eq!(
        built(a().or(b()).and(c())),
        and(or(ea.clone(), eb.clone()), ec.clone())
    );
    assert_eq!(
        built(a().and(b().or(c()))),
        and(ea.clone(), or(eb.clone(), ec.clone()))
    );
    // Each built tree is the one its printed text parses to.
    for condition in [
        a().and(b()).and(c()),
        a().or(b()).or(c()),
        a().and(b().and(c())),
        a().or(b()).and(c()),
        a().and(b()).or(c().and(a())),
        Condition::from(parse("a = 1 and b = 2").expect("parses")).and(c()),
    ] {
        let tree = built(condition);
        assert_eq!(parse(&tree.to_string()), Ok(tree));
    }
}

#[test]
fn three_ways_to_negate() {
    let expected = negate(cmp("summary", CompareOp::Contains, string("test")));
    assert_eq!(built(not(field("summary").contains("test"))), expected);
    assert_eq!(built(field("summary").contains("test").not()), expected);
    assert_eq!(built(!field("summary").contains("test")), expected);
    assert_eq!(
        built(not(field("a").eq(1).or(field("b").eq(2))).and(field("c").is_null())),
        and(
            negate(or(
                cmp("a", CompareOp::Eq, Value::Integer(1)),
                cmp("b", CompareOp::Eq, Value::Integer(2)),
            )),
            cmp("c", CompareOp::Eq, Value::Null),
        )
    );
}

#[test]
fn the_example_from_the_brief() {
    assert_eq!(
        built(
            field("status/name")
                .eq("New")
                .and(field("priority/id").le(2))
        ),
        and(
            cmp("status/name", CompareOp::Eq, string("New")),
            cmp("priority/id", CompareOp::Le, Value::Integer(2)),
        )
    );
}

#[test]
fn exprs_combine_with_conditions() {
    let existing = cmp("board/id", CompareOp::Eq, Value::Integer(12));
    let combined = field("closedFlag").eq(false).and(existing.clone());
    assert_eq!(
        built(combined),
        and(
            cmp("closedFlag", CompareOp::Eq, Value::Bool(false)),
            existing.clone()
        )
    );
    assert_eq!(built(Condition::from(existing.clone())), existing);
    assert_eq!(built(not(existing.clone())), negate(existing));
}

#[test]
fn try_from_surfaces_the_result() {
    let ok = Expr::try_from(field("id").eq(1));
    assert_eq!(ok, Ok(cmp("id", CompareOp::Eq, Value::Integer(1))));
    let err = Expr::try_from(field("bad path").eq(1));
    assert_eq!(
        err,
        Err(BuildError::InvalidField {
            path: "bad path".to_owned()
        })
    );
}

#[test]
fn field_from_a_field_path() {
    let f = Field::from(path("company/identifier"));
    assert_eq!(f.path(), Ok(&path("company/identifier")));
    assert_eq!(
        built(f.eq("ACME")),
        cmp("company/identifier", CompareOp::Eq, string("ACME"))
    );
}

// ---- deferred errors ----

#[test]
fn invalid_field_paths_are_deferred_errors() {
    for bad in [
        "status name",
        "",
        "a//b",
        "/a",
        "a/",
        "1abc",
        "status/1",
        "name\"",
        "ümlaut",
        "a b = 1 or c",
    ] {
        let f = field(bad);
        assert_eq!(
            f.path(),
            Err(&BuildError::InvalidField {
                path: bad.to_owned()
            })
        );
        let condition = f.eq(1);
        assert_eq!(
            condition.error(),
            Some(&BuildError::InvalidField {
                path: bad.to_owned()
            })
        );
        let message = failed(condition).to_string();
        assert!(message.contains(&format!("{bad:?}")), "{message}");
    }
}

#[test]
fn every_method_carries_a_field_error() {
    let err = BuildError::InvalidField {
        path: "x y".to_owned(),
    };
    let f = || field("x y");
    let conditions = vec![
        f().eq(1),
        f().ne(1),
        f().lt(1),
        f().le(1),
        f().gt(1),
        f().ge(1),
        f().contains("a"),
        f().not_contains("a"),
        f().like("a*"),
        f().not_like("a*"),
        f().starts_with("a"),
        f().ends_with("a"),
        f().one_of([1]),
        f().not_one_of([1]),
        f().is_null(),
        f().is_not_null(),
        f().between(1, 2),
        not(f().eq(1)),
    ];
    for condition in conditions {
        assert_eq!(failed(condition), err);
    }
}

#[test]
fn the_first_error_wins_and_survives_combination() {
    let first = BuildError::InvalidField {
        path: "first bad".to_owned(),
    };
    let condition = field("ok")
        .eq(1)
        .and(field("first bad").eq(1))
        .or(field("ok2").eq(f64::NAN))
        .and(not(field("ok3").starts_with("*")));
    assert_eq!(condition.error(), Some(&first));
    assert_eq!(failed(condition), first);

    // An error on the right is kept when the left is valid.
    assert_eq!(
        failed(field("ok").eq(1).or(field("id").eq(u64::MAX))),
        BuildError::InvalidValue {
            field: "id".to_owned(),
            reason: ValueError::IntegerOutOfRange(u64::MAX.to_string()),
        }
    );
    // The left error wins over the right one.
    assert_eq!(
        failed(field("l l").eq(1).and(field("r r").eq(1))),
        BuildError::InvalidField {
            path: "l l".to_owned()
        }
    );
}

#[test]
fn a_valid_condition_has_no_error() {
    assert_eq!(field("a").eq(1).error(), None);
}

// ---- injection ----

#[test]
fn hostile_strings_stay_single_values() {
    for hostile in [
        "x\" or 1=1 or summary=\"",
        "x' or id > 0 or name='",
        "\") or (id != null",
        "a\\\" and b = \\\"c",
        "[2024-01-01T00:00:00Z]",
        "New\nor status/name = \"Closed\"",
        "*",
        "null",
    ] {
        assert_eq!(
            built(field("summary").eq(hostile)),
            cmp("summary", CompareOp::Eq, string(hostile))
        );
        assert_eq!(
            built(field("summary").contains(hostile)),
            cmp("summary", CompareOp::Contains, string(hostile))
        );
        assert_eq!(
            built(field("summary").one_of([hostile])),
            Expr::In(Membership {
                field: path("summary"),
                negated: false,
                values: vec![string(hostile)],
            })
        );
    }
}
