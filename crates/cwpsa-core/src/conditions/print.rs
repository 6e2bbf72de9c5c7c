//! The canonical printer: `Display` for [`Expr`] and [`Value`].
//!
//! Output uses single spaces around operators, lower-case keywords, and parentheses wherever the
//! tree needs them, plus always around an `and` inside an `or` (and the reverse), so that nobody
//! has to know the precedence to read it. For every tree, `parse(&expr.to_string()) == Ok(expr)`.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{Comparison, Expr, Membership, Operands, Value};

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Compare(c) => c.fmt(f),
            Expr::In(m) => m.fmt(f),
            Expr::Not(inner) => {
                f.write_str("not ")?;
                // A field named `not` right after `not` would read as a `not in`/`not like`/...
                // operator, so such a comparison is bracketed too.
                let bare = match &**inner {
                    Expr::Compare(c) => !c.field.is_word("not"),
                    Expr::In(m) => !m.field.is_word("not"),
                    _ => false,
                };
                write_operand(f, inner, !bare)
            }
            Expr::And(operands) => write_chain(f, operands, " and "),
            Expr::Or(operands) => write_chain(f, operands, " or "),
        }
    }
}

/// The operands joined by the connective. An operand that is itself a chain was parenthesised
/// in the input (the parser gathers an unbracketed chain into one node), so it is bracketed
/// again; a mixed `and`/`or` is bracketed either way.
fn write_chain(f: &mut Formatter<'_>, operands: &Operands, connective: &str) -> fmt::Result {
    for (i, operand) in operands.iter().enumerate() {
        if i > 0 {
            f.write_str(connective)?;
        }
        write_operand(f, operand, matches!(operand, Expr::And(_) | Expr::Or(_)))?;
    }
    Ok(())
}

fn write_operand(f: &mut Formatter<'_>, expr: &Expr, parens: bool) -> fmt::Result {
    if parens {
        f.write_char('(')?;
        expr.fmt(f)?;
        f.write_char(')')
    } else {
        expr.fmt(f)
    }
}

/// `status/name = "New"`.
impl Display for Comparison {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.field, self.op.as_str(), self.value)
    }
}

/// `status/id in (1, 2)` or `status/id not in (1, 2)`.
impl Display for Membership {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.field.fmt(f)?;
        f.write_str(if self.negated { " not in (" } else { " in (" })?;
        for (i, value) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            value.fmt(f)?;
        }
        f.write_char(')')
    }
}

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write_string(f, s),
            Value::Integer(i) => i.fmt(f),
            Value::Decimal(d) => f.write_str(d.as_str()),
            Value::Bool(true) => f.write_str("true"),
            Value::Bool(false) => f.write_str("false"),
            Value::Null => f.write_str("null"),
            Value::DateTime(dt) => write!(f, "[{dt}]"),
        }
    }
}

/// Quotes with `"` unless the text holds `"` but no `'`; escapes the quote only when the text
/// holds both. A backslash is doubled only where the parser would otherwise read it as an
/// escape: before `"`, `'` or `\`, and at the end (where it would swallow the closing quote).
fn write_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    let has_double = s.contains('"');
    let has_single = s.contains('\'');
    let quote = if has_double && !has_single { '\'' } else { '"' };
    let escape_double = has_double && has_single;
    let bytes = s.as_bytes();
    f.write_char(quote)?;
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = match b {
            b'\\' => matches!(bytes.get(i + 1), None | Some(b'"' | b'\'' | b'\\')),
            b'"' => escape_double,
            _ => false,
        };
        if escape {
            // Both sides of `i` are ASCII, so these are char boundaries.
            f.write_str(&s[run_start..i])?;
            f.write_char('\\')?;
            run_start = i;
        }
    }
    f.write_str(&s[run_start..])?;
    f.write_char(quote)
}

#[cfg(test)]
mod tests {
    use super::super::ast::{CompareOp, DateTime, Decimal, FieldPath};
    use super::super::parse;
    use super::*;

    fn field(p: &str) -> FieldPath {
        FieldPath::new(p).unwrap_or_else(|| FieldPath::from_checked("bad"))
    }
    fn cmp(p: &str, op: CompareOp, value: Value) -> Expr {
        Expr::Compare(Comparison {
            field: field(p),
            op,
            value,
        })
    }
    fn eq(p: &str, i: i64) -> Expr {
        cmp(p, CompareOp::Eq, Value::Integer(i))
    }
    fn and(a: Expr, b: Expr) -> Expr {
        Expr::And(Operands::new(a, b))
    }
    fn or(a: Expr, b: Expr) -> Expr {
        Expr::Or(Operands::new(a, b))
    }
    fn chain(node: fn(Operands) -> Expr, items: [Expr; 3]) -> Expr {
        Operands::from_vec(items.into()).map_or_else(|| unreachable!(), node)
    }
    fn not(a: Expr) -> Expr {
        Expr::Not(Box::new(a))
    }
    fn string(s: &str) -> String {
        Value::String(s.into()).to_string()
    }

    #[test]
    fn values() {
        assert_eq!(Value::Integer(-3).to_string(), "-3");
        assert_eq!(Value::Bool(true).to_string(), "true");
        assert_eq!(Value::Bool(false).to_string(), "false");
        assert_eq!(Value::Null.to_string(), "null");
        let d = Decimal::new("2.50").map(Value::Decimal);
        assert_eq!(d.map(|d| d.to_string()).as_deref(), Some("2.50"));
        let dt = DateTime::new(2024, 1, 2, 3, 4, 5, 0).map(Value::DateTime);
        assert_eq!(
            dt.map(|d| d.to_string()).as_deref(),
            Some("[2024-01-02T03:04:05Z]")
        );
    }

    #[test]
    fn string_quoting() {
        assert_eq!(string("New"), r#""New""#);
        assert_eq!(string(r#"say "hi""#), r#"'say "hi"'"#);
        assert_eq!(string("it's"), r#""it's""#);
        assert_eq!(string(r#"it's "x""#), r#""it's \"x\"""#);
        assert_eq!(string(r"C:\temp"), r#""C:\temp""#);
        assert_eq!(string(r"C:\"), r#""C:\\""#);
        // Only the first backslash precedes a backslash; `\b` reads back as written.
        assert_eq!(string(r"a\\b"), r#""a\\\b""#);
        assert_eq!(string(r"a\'b"), r#""a\\'b""#);
        assert_eq!(string(""), r#""""#);
    }

    #[test]
    fn spacing_and_keywords() {
        assert_eq!(eq("status/id", 1).to_string(), "status/id = 1");
        assert_eq!(
            cmp("name", CompareOp::NotContains, Value::String("x".into())).to_string(),
            r#"name not contains "x""#
        );
        let list = Expr::In(Membership {
            field: field("id"),
            negated: true,
            values: vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)],
        });
        assert_eq!(list.to_string(), "id not in (1, 2, 3)");
        let empty = Expr::In(Membership {
            field: field("id"),
            negated: false,
            values: vec![],
        });
        assert_eq!(empty.to_string(), "id in ()");
    }

    #[test]
    fn parentheses() {
        let (a, b, c) = (eq("a", 1), eq("b", 2), eq("c", 3));
        let cases = [
            (
                chain(Expr::And, [a.clone(), b.clone(), c.clone()]),
                "a = 1 and b = 2 and c = 3",
            ),
            (
                chain(Expr::Or, [a.clone(), b.clone(), c.clone()]),
                "a = 1 or b = 2 or c = 3",
            ),
            (
                and(and(a.clone(), b.clone()), c.clone()),
                "(a = 1 and b = 2) and c = 3",
            ),
            (
                chain(
                    Expr::Or,
                    [a.clone(), and(b.clone(), c.clone()), not(a.clone())],
                ),
                "a = 1 or (b = 2 and c = 3) or not a = 1",
            ),
            (
                and(a.clone(), and(b.clone(), c.clone())),
                "a = 1 and (b = 2 and c = 3)",
            ),
            (
                or(a.clone(), or(b.clone(), c.clone())),
                "a = 1 or (b = 2 or c = 3)",
            ),
            (
                or(and(a.clone(), b.clone()), c.clone()),
                "(a = 1 and b = 2) or c = 3",
            ),
            (
                or(a.clone(), and(b.clone(), c.clone())),
                "a = 1 or (b = 2 and c = 3)",
            ),
            (
                and(or(a.clone(), b.clone()), c.clone()),
                "(a = 1 or b = 2) and c = 3",
            ),
            (not(a.clone()), "not a = 1"),
            (not(not(a.clone())), "not (not a = 1)"),
            (not(and(a.clone(), b.clone())), "not (a = 1 and b = 2)"),
            (
                and(not(a.clone()), not(b.clone())),
                "not a = 1 and not b = 2",
            ),
            (not(eq("not", 1)), "not (not = 1)"),
            (not(eq("NOT/x", 1)), "not NOT/x = 1"),
        ];
        for (tree, text) in cases {
            assert_eq!(tree.to_string(), text);
            assert_eq!(parse(text), Ok(tree), "{text}");
        }
    }
}
