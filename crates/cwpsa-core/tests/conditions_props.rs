//! Properties of the conditions parser and printer:
//! - every tree prints to text that parses back to the same tree;
//! - no input makes the parser panic, and errors point inside the input on a char boundary;
//! - for any text that parses, printing is a fixed point.

use cwpsa_core::conditions::{
    CompareOp, Comparison, DateTime, Decimal, Expr, FieldPath, Membership, Operands, Value, parse,
};
use proptest::prelude::*;

/// Field segments, deliberately including every keyword in several spellings.
fn segment() -> impl Strategy<Value = String> {
    let keyword = prop::sample::select(vec![
        "not", "NOT", "Not", "and", "or", "OR", "in", "IN", "contains", "like", "LIKE", "true",
        "false", "null", "Null", "_", "_info", "id", "status", "name",
    ])
    .prop_map(str::to_owned);
    let ident = (
        prop::sample::select(
            ('a'..='z')
                .chain('A'..='Z')
                .chain(['_'])
                .collect::<Vec<_>>(),
        ),
        prop::collection::vec(
            prop::sample::select(
                ('a'..='z')
                    .chain('A'..='Z')
                    .chain('0'..='9')
                    .chain(['_'])
                    .collect::<Vec<_>>(),
            ),
            0..8,
        ),
    )
        .prop_map(|(first, rest)| std::iter::once(first).chain(rest).collect::<String>());
    prop_oneof![keyword, ident]
}

fn field() -> impl Strategy<Value = FieldPath> {
    prop::collection::vec(segment(), 1..4).prop_filter_map("valid path", FieldPath::from_segments)
}

/// Strings heavy in the characters that matter to quoting, plus arbitrary Unicode.
fn text() -> impl Strategy<Value = String> {
    let tricky = prop::collection::vec(
        prop::sample::select(vec![
            '"', '\'', '\\', '\\', '[', ']', '(', ')', ',', '=', '/', ' ', '\n', '\t', '\0', 'a',
            'n', 'd', 'é', '日', '🎉', '*', '%',
        ]),
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>());
    let words = prop::collection::vec(
        prop::sample::select(vec![
            "and", "or", "not", "in ()", "\\\"", "\\'", "\\\\", "x = 1",
        ]),
        0..4,
    )
    .prop_map(|w| w.join(" "));
    prop_oneof![tricky, any::<String>(), words]
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<bool>(), "[0-9]{1,6}", "[0-9]{1,6}").prop_filter_map("decimal", |(neg, w, f)| {
        Decimal::new(&format!("{}{w}.{f}", if neg { "-" } else { "" }))
    })
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (
        0u16..=9999,
        1u8..=12,
        1u8..=31,
        0u8..24,
        0u8..60,
        0u8..60,
        prop_oneof![Just(0u16), 0u16..1000],
    )
        .prop_filter_map("valid date", |(y, mo, d, h, mi, s, ms)| {
            DateTime::new(y, mo, d, h, mi, s, ms)
        })
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text().prop_map(|s| Value::String(s.into())),
        any::<i64>().prop_map(Value::Integer),
        prop_oneof![Just(0i64), Just(-1), Just(i64::MIN), Just(i64::MAX)].prop_map(Value::Integer),
        decimal().prop_map(Value::Decimal),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        date_time().prop_map(Value::DateTime),
    ]
}

fn op() -> impl Strategy<Value = CompareOp> {
    use CompareOp::*;
    prop::sample::select(vec![
        Eq,
        Ne,
        Lt,
        Le,
        Gt,
        Ge,
        Contains,
        NotContains,
        Like,
        NotLike,
    ])
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        (field(), op(), value()).prop_map(|(field, op, value)| Expr::Compare(Comparison {
            field,
            op,
            value
        })),
        (field(), any::<bool>(), prop::collection::vec(value(), 0..4)).prop_map(
            |(field, negated, values)| Expr::In(Membership {
                field,
                negated,
                values
            })
        ),
    ];
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            inner.clone().prop_map(|e| Expr::Not(Box::new(e))),
            prop::collection::vec(inner.clone(), 2..5)
                .prop_filter_map("two or more", |v| Operands::from_vec(v).map(Expr::And)),
            prop::collection::vec(inner, 2..5)
                .prop_filter_map("two or more", |v| Operands::from_vec(v).map(Expr::Or)),
        ]
    })
}

/// Token soup: inputs close enough to the grammar to reach deep into the parser.
fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "b/c",
            "not",
            "and",
            "or",
            "in",
            "contains",
            "like",
            "(",
            ")",
            ",",
            "=",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "1",
            "-2",
            "2.5",
            "\"x\"",
            "'y'",
            "\"a\\\"b\"",
            "true",
            "NULL",
            "[2024-01-01]",
            "[2024-01-01T10:00:00+02:00]",
            "2024-02-29",
            "[",
            "]",
            "\"",
            "é",
            " ",
        ]),
        0..24,
    )
    .prop_flat_map(|tokens| {
        let n = tokens.len();
        (Just(tokens), prop::collection::vec(any::<bool>(), n))
    })
    .prop_map(|(tokens, spaces)| {
        let mut out = String::new();
        for (t, space) in tokens.into_iter().zip(spaces) {
            out.push_str(t);
            if space {
                out.push(' ');
            }
        }
        out
    })
}

fn check_any_input(input: &str) -> Result<(), TestCaseError> {
    match parse(input) {
        Ok(tree) => {
            let printed = tree.to_string();
            let reparsed = parse(&printed);
            prop_assert_eq!(reparsed, Ok(tree), "printed {:?}", printed);
            let again = parse(&printed).map(|t| t.to_string());
            prop_assert_eq!(again.as_deref(), Ok(printed.as_str()));
        }
        Err(e) => {
            prop_assert!(e.offset() <= input.len());
            prop_assert!(input.is_char_boundary(e.offset()));
            prop_assert!(!e.expected().is_empty());
            let rendered = e.render(input);
            prop_assert!(rendered.contains('^'));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn every_tree_round_trips(tree in expr()) {
        let printed = tree.to_string();
        prop_assert_eq!(parse(&printed), Ok(tree), "printed {:?}", printed);
    }

    #[test]
    fn every_value_round_trips(v in value()) {
        let tree = Expr::Compare(Comparison {
            field: FieldPath::new("x").unwrap_or_else(|| unreachable!()),
            op: CompareOp::Eq,
            value: v,
        });
        prop_assert_eq!(parse(&tree.to_string()), Ok(tree));
    }

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        check_any_input(&input)?;
    }

    #[test]
    fn token_soup_never_panics_and_is_stable(input in soup()) {
        check_any_input(&input)?;
    }

    #[test]
    fn printed_trees_with_noise_never_panic(tree in expr(), cut in any::<prop::sample::Index>()) {
        // Truncate a valid condition at a char boundary: a realistic class of broken input.
        let printed = tree.to_string();
        let mut at = cut.index(printed.len() + 1);
        while !printed.is_char_boundary(at) {
            at -= 1;
        }
        check_any_input(&printed[..at])?;
    }
}
