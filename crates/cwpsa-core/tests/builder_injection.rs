//! Injection property: whatever strings a caller passes as values, building a condition,
//! printing it and parsing the text gives back exactly the built tree: every value is still one
//! value, unchanged, and the structure is unchanged.

use cwpsa_core::conditions::{
    Condition, DateTime, Expr, Field, IntoValue, Value, field, not, parse,
};
use proptest::prelude::*;

/// Strings made of the pieces an attacker (or an unlucky user) would use, plus arbitrary
/// characters.
fn hostile_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\\".to_owned()),
        Just("\\\"".to_owned()),
        Just("\\'".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just(" and ".to_owned()),
        Just(" or ".to_owned()),
        Just("not ".to_owned()),
        Just(" in (".to_owned()),
        Just("=".to_owned()),
        Just("!=".to_owned()),
        Just(",".to_owned()),
        Just("*".to_owned()),
        Just("%".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\t".to_owned()),
        Just("null".to_owned()),
        Just("[2024-01-01T00:00:00Z]".to_owned()),
        Just("é".to_owned()),
        Just("日本語".to_owned()),
        Just("🦀".to_owned()),
        "[a-zA-Z0-9 ]{1,4}",
        any::<char>().prop_map(String::from),
    ];
    prop_oneof![
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat()),
        any::<String>(),
    ]
}

/// A string with no `like` wildcard, for `starts_with`/`ends_with`.
fn literal_string() -> impl Strategy<Value = String> {
    hostile_string().prop_map(|s| s.replace(['*', '%'], ""))
}

fn round_trip(condition: Condition) -> Result<(), TestCaseError> {
    let built: Expr = condition
        .build()
        .map_err(|e| TestCaseError::fail(format!("builder rejected valid input: {e}")))?;
    let text = built.to_string();
    match parse(&text) {
        Ok(parsed) => {
            prop_assert_eq!(&parsed, &built, "printed as {:?}", text);
            // And the printer is stable: printing the parsed tree gives the same text.
            prop_assert_eq!(parsed.to_string(), text);
            Ok(())
        }
        Err(e) => Err(TestCaseError::fail(format!(
            "printed form {text:?} of {built:?} does not parse: {e}"
        ))),
    }
}

fn arb_datetime() -> impl Strategy<Value = DateTime> {
    (
        0_u16..=9999,
        1_u8..=12,
        1_u8..=28,
        0_u8..24,
        0_u8..60,
        0_u8..60,
        0_u16..1000,
    )
        .prop_map(|(y, mo, d, h, mi, s, ms)| {
            DateTime::new(y, mo, d, h, mi, s, ms).expect("in range")
        })
}

/// Any value the builder can produce, through its public conversions.
fn arb_value() -> impl Strategy<Value = Value> {
    let finite = any::<f64>().prop_filter("finite", |x| x.is_finite());
    prop_oneof![
        hostile_string().prop_map(|s| Value::String(s.into())),
        any::<i64>().prop_map(Value::Integer),
        finite.prop_map(|x| x.into_value().expect("finite floats convert")),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        arb_datetime().prop_map(Value::DateTime),
    ]
}

/// Field names that are not keywords of the language.
fn arb_field() -> impl Strategy<Value = Field> {
    prop_oneof![
        Just("summary"),
        Just("status/name"),
        Just("company/identifier"),
        Just("_info/lastUpdated"),
        Just("customFields/value"),
    ]
    .prop_map(field)
}

fn arb_leaf() -> impl Strategy<Value = Condition> {
    prop_oneof![
        (arb_field(), 0_u8..6, arb_value()).prop_map(|(f, op, v)| match op {
            0 => f.eq(v),
            1 => f.ne(v),
            2 => f.lt(v),
            3 => f.le(v),
            4 => f.gt(v),
            _ => f.ge(v),
        }),
        (arb_field(), 0_u8..4, hostile_string()).prop_map(|(f, op, s)| match op {
            0 => f.contains(s),
            1 => f.not_contains(s),
            2 => f.like(s),
            _ => f.not_like(s),
        }),
        (arb_field(), any::<bool>(), literal_string()).prop_map(|(f, start, s)| if start {
            f.starts_with(s)
        } else {
            f.ends_with(s)
        }),
        (
            arb_field(),
            any::<bool>(),
            prop::collection::vec(arb_value(), 1..5)
        )
            .prop_map(|(f, negated, values)| if negated {
                f.not_one_of(values)
            } else {
                f.one_of(values)
            }),
        (arb_field(), any::<bool>()).prop_map(|(f, null)| if null {
            f.is_null()
        } else {
            f.is_not_null()
        }),
        (arb_field(), arb_datetime(), arb_datetime()).prop_map(|(f, a, b)| f.between(a, b)),
    ]
}

fn arb_condition() -> impl Strategy<Value = Condition> {
    arb_leaf().prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.and(b)),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| a.or(b)),
            inner.prop_map(not),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn eq_and_contains(s in hostile_string(), t in hostile_string()) {
        round_trip(field("summary").eq(s.as_str()).and(field("name").contains(t.as_str())))?;
    }

    #[test]
    fn ne_or_not_like(s in hostile_string(), t in hostile_string()) {
        round_trip(field("summary").ne(s).or(not(field("name").like(t))))?;
    }

    #[test]
    fn membership_lists(s in hostile_string(), t in hostile_string(), u in hostile_string()) {
        round_trip(
            field("summary")
                .one_of([s.as_str(), t.as_str()])
                .and(field("name").not_one_of([u.as_str()]))
                .or(field("id").one_of([1, 2])),
        )?;
    }

    #[test]
    fn starts_and_ends_with(s in literal_string(), t in literal_string()) {
        round_trip(field("name").starts_with(s).and(field("summary").ends_with(t).not()))?;
    }

    #[test]
    fn not_contains_mixed_with_or(s in hostile_string(), t in hostile_string()) {
        round_trip(
            field("a")
                .not_contains(s)
                .or(field("b").eq(t))
                .and(field("c").is_not_null()),
        )?;
    }

    /// Random trees of every builder method and value kind.
    #[test]
    fn arbitrary_trees(condition in arb_condition()) {
        round_trip(condition)?;
    }
}
