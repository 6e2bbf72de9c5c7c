//! A recursive-descent parser for the conditions language.
//!
//! ```text
//! or         = and { "or" and }
//! and        = unary { "and" unary }
//! unary      = "not" unary | "(" or ")" | condition
//! condition  = path op value | path ["not"] "in" "(" [value { "," value }] ")"
//! op         = "=" | "!=" | "<" | "<=" | ">" | ">=" | ["not"] "contains" | ["not"] "like"
//! value      = string | integer | decimal | "true" | "false" | "null" | "[" date-time "]"
//! ```
//!
//! Keywords are case-insensitive. A field may itself be named like a keyword (`not = 1`): at
//! the start of a condition, `not` is read as a field when the tokens after it can only be an
//! operator and its operand (see [`Parser::not_is_field`]).

use super::ast::{
    CompareOp, Comparison, Decimal, Expr, FieldPath, Membership, Operands, Text, Value,
};
use super::error::ParseError;
use super::lexer::{Keyword, Kind, Lexer, Token};

/// The deepest nesting of parentheses and `not`s accepted; bounds the parser's recursion.
pub const MAX_NESTING: usize = 256;

/// The deepest syntax tree accepted, counting each connective of a chain as a level (as if
/// `a and b and c` nested `(a and b) and c`): dropping, printing or comparing a tree recurses
/// once per nested node, and a database that evaluates the condition nests once per connective
/// (SQLite stops at 1000), so the bound keeps both safe. Long lists of alternatives belong in
/// `in (...)` anyway.
pub const MAX_DEPTH: usize = 1024;

/// Parses a conditions string such as `status/name = "New" and priority/id <= 2`.
///
/// # Errors
/// A [`ParseError`] with the byte offset of the first fault and what was expected there.
pub fn parse(input: &str) -> Result<Expr, ParseError> {
    let mut lex = Lexer::new(input);
    let tok = lex.next_token()?;
    let mut p = Parser {
        lex,
        tok,
        prev: (tok.start, tok.end),
        nesting: 0,
    };
    if p.tok.kind == Kind::Eof {
        return Err(ParseError::new(
            p.tok.start,
            "a condition such as status/id = 1",
        ));
    }
    let (expr, _) = p.or_expr()?;
    if p.tok.kind == Kind::Eof {
        return Ok(expr);
    }
    let err = ParseError::new(p.tok.start, "'and', 'or' or the end of the condition");
    Err(if p.tok.kind == Kind::RParen {
        err.with_hint("this ')' has no matching '('")
    } else {
        p.join_hint(err)
    })
}

struct Parser<'a> {
    lex: Lexer<'a>,
    /// The current (not yet consumed) token.
    tok: Token,
    /// The span of the last consumed token, for "after 'x'" in messages (the first token's
    /// span until one is consumed). Only the span: copying whole tokens costs on every bump.
    prev: (usize, usize),
    /// Parentheses and `not`s currently open.
    nesting: usize,
}

type Parsed = Result<(Expr, usize), ParseError>;

impl Parser<'_> {
    fn bump(&mut self) -> Result<(), ParseError> {
        self.prev = (self.tok.start, self.tok.end);
        self.lex.advance(&mut self.tok)
    }

    fn text(&self, tok: Token) -> &str {
        &self.lex.text()[tok.start..tok.end]
    }

    fn prev_text(&self) -> &str {
        &self.lex.text()[self.prev.0..self.prev.1]
    }

    fn keyword(&self) -> Option<Keyword> {
        self.tok.kw
    }

    /// `after 'x'` for the last consumed token, shortened when long.
    fn after_prev(&self) -> String {
        let text = self.prev_text();
        match text.char_indices().nth(24) {
            Some((cut, _)) => format!("after '{}...'", &text[..cut]),
            None => format!("after '{text}'"),
        }
    }

    fn check_depth(depth: usize, at: usize) -> Result<(), ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError::new(
                at,
                format!("a condition at most {MAX_DEPTH} levels deep"),
            )
            .with_hint("use 'in (...)' for long lists of alternatives, or split the query"));
        }
        Ok(())
    }

    fn or_expr(&mut self) -> Parsed {
        let (first, mut depth) = self.and_expr()?;
        if self.keyword() != Some(Keyword::Or) {
            return Ok((first, depth));
        }
        let mut operands = Vec::with_capacity(4);
        operands.push(first);
        while self.keyword() == Some(Keyword::Or) {
            let at = self.tok.start;
            self.bump()?;
            let (next, next_depth) = self.and_expr()?;
            depth = 1 + depth.max(next_depth);
            Self::check_depth(depth, at)?;
            operands.push(next);
        }
        Ok((Expr::Or(Operands::from_parsed(operands)), depth))
    }

    fn and_expr(&mut self) -> Parsed {
        let (first, mut depth) = self.unary()?;
        if self.keyword() != Some(Keyword::And) {
            return Ok((first, depth));
        }
        let mut operands = Vec::with_capacity(4);
        operands.push(first);
        while self.keyword() == Some(Keyword::And) {
            let at = self.tok.start;
            self.bump()?;
            let (next, next_depth) = self.unary()?;
            depth = 1 + depth.max(next_depth);
            Self::check_depth(depth, at)?;
            operands.push(next);
        }
        Ok((Expr::And(Operands::from_parsed(operands)), depth))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        if self.nesting >= MAX_NESTING {
            return Err(ParseError::new(
                self.tok.start,
                format!("at most {MAX_NESTING} nested parentheses or 'not's"),
            ));
        }
        self.nesting += 1;
        Ok(())
    }

    fn unary(&mut self) -> Parsed {
        match self.tok.kind {
            Kind::LParen => {
                self.enter()?;
                // Deeper parentheses are closed (or have failed) by the time this one is
                // checked, so this is the innermost open one, for the "not closed" hint.
                let open = self.tok.start;
                self.bump()?;
                let (expr, depth) = self.or_expr()?;
                if self.tok.kind != Kind::RParen {
                    let err = ParseError::new(self.tok.start, "'and', 'or' or ')'");
                    return Err(match self.tok.kind {
                        Kind::Eof => err.with_hint(format!("the '(' at {open} is not closed")),
                        _ => self.join_hint(err),
                    });
                }
                self.nesting -= 1;
                self.bump()?;
                Ok((expr, depth))
            }
            Kind::Word { .. } if self.keyword() == Some(Keyword::Not) && !self.not_is_field() => {
                self.enter()?;
                self.bump()?;
                let (expr, depth) = self.unary()?;
                self.nesting -= 1;
                Self::check_depth(depth + 1, self.prev.0)?;
                Ok((Expr::Not(Box::new(expr)), depth + 1))
            }
            Kind::Word { .. } => Ok((self.condition()?, 1)),
            _ => {
                // Consumed tokens are never empty, so only an unconsumed first token has the
                // current token's span.
                let expected = if self.prev == (self.tok.start, self.tok.end) {
                    "a condition such as status/id = 1".to_owned()
                } else {
                    format!("a condition {}", self.after_prev())
                };
                let err = ParseError::new(self.tok.start, expected);
                Err(match self.tok.kind {
                    Kind::Str { .. } | Kind::Int(_) | Kind::Dec | Kind::DateTime(_) => {
                        err.with_hint("a condition starts with a field name: field = value")
                    }
                    _ => err,
                })
            }
        }
    }

    /// Whether the current `not` is a field named `not` rather than the prefix operator: true
    /// when it is followed by something that can only be an operator and its operand.
    fn not_is_field(&self) -> bool {
        let mut look = self.lex;
        let mut next = || look.next_token().ok();
        let is_op_start = |t: Option<Token>| {
            t.is_some_and(|t| {
                matches!(t.kind, Kind::Op(_))
                    || matches!(
                        t.kw,
                        Some(Keyword::Contains | Keyword::Like | Keyword::In | Keyword::Not)
                    )
            })
        };
        let Some(t1) = next() else { return false };
        if matches!(t1.kind, Kind::Op(_)) {
            return true;
        }
        match t1.kw {
            // `not contains "x"` (field) versus `not contains = 1` (a field named `contains`).
            Some(Keyword::Contains | Keyword::Like | Keyword::In) => !is_op_start(next()),
            // `not not in (1)` (field `not`, operator `not in`) versus `not not a = 1`.
            Some(Keyword::Not) => {
                let t2 = next();
                matches!(
                    t2.and_then(|t| t.kw),
                    Some(Keyword::Contains | Keyword::Like | Keyword::In)
                ) && !is_op_start(next())
            }
            _ => false,
        }
    }

    fn field(&self) -> FieldPath {
        // The lexer has checked every segment of the word.
        FieldPath::from_checked_input(self.lex.text(), self.tok.start, self.tok.end)
    }

    fn condition(&mut self) -> Result<Expr, ParseError> {
        let field = self.field();
        self.bump()?;
        let op = match (self.tok.kind, self.keyword()) {
            (Kind::Op(op), _) => op,
            (_, Some(Keyword::Contains)) => CompareOp::Contains,
            (_, Some(Keyword::Like)) => CompareOp::Like,
            (_, Some(Keyword::In)) => {
                self.bump()?;
                return self.list(field, false);
            }
            (_, Some(Keyword::Not)) => {
                self.bump()?;
                match self.keyword() {
                    Some(Keyword::Contains) => CompareOp::NotContains,
                    Some(Keyword::Like) => CompareOp::NotLike,
                    Some(Keyword::In) => {
                        self.bump()?;
                        return self.list(field, true);
                    }
                    _ => {
                        return Err(ParseError::new(
                            self.tok.start,
                            "'contains', 'like' or 'in' after 'not'",
                        ));
                    }
                }
            }
            _ => {
                let err = ParseError::new(
                    self.tok.start,
                    format!(
                        "an operator (=, !=, <, <=, >, >=, contains, like, in) {}",
                        self.after_prev()
                    ),
                );
                let rest = &self.lex.text()[self.tok.start..];
                return Err(if rest.starts_with("==") {
                    err.with_hint("write '=' for equality")
                } else if rest.starts_with("<>") {
                    err.with_hint("write '!=' for inequality")
                } else {
                    err
                });
            }
        };
        self.bump()?;
        let value = self.value()?;
        Ok(Expr::Compare(Comparison { field, op, value }))
    }

    fn list(&mut self, field: FieldPath, negated: bool) -> Result<Expr, ParseError> {
        if self.tok.kind != Kind::LParen {
            return Err(ParseError::new(
                self.tok.start,
                format!("'(' and a list of values {}", self.after_prev()),
            )
            .with_hint("write lists as: field in (1, 2, 3)"));
        }
        self.bump()?;
        if self.tok.kind == Kind::RParen {
            self.bump()?;
            return Ok(Expr::In(Membership {
                field,
                negated,
                values: Vec::new(),
            }));
        }
        // Four is what the first push would reserve anyway; asking up front skips the
        // growth path.
        let mut values = Vec::with_capacity(4);
        loop {
            values.push(self.value()?);
            match self.tok.kind {
                Kind::Comma => self.bump()?,
                Kind::RParen => {
                    self.bump()?;
                    return Ok(Expr::In(Membership {
                        field,
                        negated,
                        values,
                    }));
                }
                _ => {
                    return Err(ParseError::new(self.tok.start, "',' or ')' in the list"));
                }
            }
        }
    }

    /// Reads one value and consumes it.
    fn value(&mut self) -> Result<Value, ParseError> {
        let tok = self.tok;
        let value = match tok.kind {
            Kind::Str { escaped: false } => Value::String(Text::from_input(
                self.lex.text(),
                tok.start + 1,
                tok.end - 1,
            )),
            Kind::Str { escaped: true } => {
                Value::String(unescape(&self.lex.text()[tok.start + 1..tok.end - 1]).into())
            }
            Kind::Int(i) => Value::Integer(i),
            Kind::Dec => Value::Decimal(
                Decimal::new(self.text(tok))
                    .ok_or_else(|| ParseError::new(tok.start, "a decimal number such as 2.5"))?,
            ),
            Kind::DateTime(dt) => Value::DateTime(dt),
            Kind::Word { .. } => match self.keyword() {
                Some(Keyword::True) => Value::Bool(true),
                Some(Keyword::False) => Value::Bool(false),
                Some(Keyword::Null) => Value::Null,
                _ => {
                    let word = self.text(tok);
                    return Err(ParseError::new(
                        tok.start,
                        format!("a value {}", self.after_prev()),
                    )
                    .with_hint(format!("text values need quotes: \"{word}\"")));
                }
            },
            _ => {
                let err = ParseError::new(tok.start, format!("a value {}", self.after_prev()));
                return Err(
                    if self.prev_text() == "=" && tok.kind == Kind::Op(CompareOp::Eq) {
                        err.with_hint("write '=' for equality")
                    } else if self.prev_text() == "<" && tok.kind == Kind::Op(CompareOp::Gt) {
                        err.with_hint("write '!=' for inequality")
                    } else {
                        err
                    },
                );
            }
        };
        self.bump()?;
        Ok(value)
    }

    /// Suggests `and`/`or` where someone wrote `&&`, `||` or forgot the connective.
    fn join_hint(&self, err: ParseError) -> ParseError {
        let rest = &self.lex.text()[self.tok.start..];
        if rest.starts_with("&&") || rest.starts_with('&') {
            err.with_hint("write 'and' instead of '&&'")
        } else if rest.starts_with("||") || rest.starts_with('|') {
            err.with_hint("write 'or' instead of '||'")
        } else if matches!(self.tok.kind, Kind::Word { .. }) {
            err.with_hint("join conditions with 'and' or 'or'")
        } else {
            err
        }
    }
}

/// Resolves `\"`, `\'` and `\\`; any other backslash is kept as written (so `C:\temp` works).
fn unescape(inner: &str) -> String {
    let mut out = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(i) = rest.find('\\') {
        out.push_str(&rest[..i]);
        if let Some(&c @ (b'"' | b'\'' | b'\\')) = rest.as_bytes().get(i + 1) {
            out.push(c as char);
            rest = &rest[i + 2..];
        } else {
            out.push('\\');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conditions::DateTime;

    fn f(path: &str) -> FieldPath {
        FieldPath::new(path).unwrap_or_else(|| FieldPath::from_checked("bad"))
    }
    fn cmp(path: &str, op: CompareOp, value: Value) -> Expr {
        Expr::Compare(Comparison {
            field: f(path),
            op,
            value,
        })
    }
    fn eq(path: &str, i: i64) -> Expr {
        cmp(path, CompareOp::Eq, Value::Integer(i))
    }
    fn s(v: &str) -> Value {
        Value::String(v.into())
    }
    fn and(a: Expr, b: Expr) -> Expr {
        Expr::And(Operands::new(a, b))
    }
    fn and3(a: Expr, b: Expr, c: Expr) -> Expr {
        let mut operands = Operands::new(a, b);
        operands.push(c);
        Expr::And(operands)
    }
    fn or(a: Expr, b: Expr) -> Expr {
        Expr::Or(Operands::new(a, b))
    }
    fn or3(a: Expr, b: Expr, c: Expr) -> Expr {
        let mut operands = Operands::new(a, b);
        operands.push(c);
        Expr::Or(operands)
    }
    fn not(a: Expr) -> Expr {
        Expr::Not(Box::new(a))
    }
    fn err_at(input: &str) -> Option<usize> {
        parse(input).err().map(|e| e.offset())
    }

    #[test]
    fn every_comparison_operator() {
        use CompareOp::*;
        for (text, op) in [
            ("=", Eq),
            ("!=", Ne),
            ("<", Lt),
            ("<=", Le),
            (">", Gt),
            (">=", Ge),
            (" contains ", Contains),
            (" not contains ", NotContains),
            (" like ", Like),
            (" not like ", NotLike),
            (" CONTAINS ", Contains),
            (" Not   Like ", NotLike),
        ] {
            assert_eq!(
                parse(&format!("a/b{text}1")),
                Ok(cmp("a/b", op, Value::Integer(1)))
            );
        }
    }

    #[test]
    fn membership() {
        let list = |negated, values| {
            Expr::In(Membership {
                field: f("status/id"),
                negated,
                values,
            })
        };
        let ints = || vec![Value::Integer(1), Value::Integer(2), Value::Integer(3)];
        assert_eq!(parse("status/id in (1,2,3)"), Ok(list(false, ints())));
        assert_eq!(parse("status/id IN(1 , 2,3 )"), Ok(list(false, ints())));
        assert_eq!(parse("status/id not in (1, 2, 3)"), Ok(list(true, ints())));
        assert_eq!(parse("status/id in ()"), Ok(list(false, vec![])));
        assert_eq!(
            parse("status/id in (\"a\", null, true, 2.5, [2024-01-01])"),
            Ok(list(
                false,
                vec![
                    s("a"),
                    Value::Null,
                    Value::Bool(true),
                    Value::Decimal(Decimal::new("2.5").unwrap_or_else(|| unreachable!())),
                    Value::DateTime(DateTime::date(2024, 1, 1).unwrap_or_else(|| unreachable!())),
                ]
            ))
        );
        assert_eq!(err_at("status/id in (1,)"), Some(16));
        assert_eq!(err_at("status/id in 1"), Some(13));
        assert_eq!(err_at("status/id in (1 2)"), Some(16));
        assert_eq!(err_at("status/id in (1"), Some(15));
    }

    #[test]
    fn precedence_not_and_or() {
        let (a, b, c) = (eq("a", 1), eq("b", 2), eq("c", 3));
        assert_eq!(
            parse("a=1 or b=2 and c=3"),
            Ok(or(a.clone(), and(b.clone(), c.clone())))
        );
        assert_eq!(
            parse("a=1 and b=2 or c=3"),
            Ok(or(and(a.clone(), b.clone()), c.clone()))
        );
        assert_eq!(parse("not a=1 and b=2"), Ok(and(not(a.clone()), b.clone())));
        assert_eq!(
            parse("not (a=1 and b=2)"),
            Ok(not(and(a.clone(), b.clone())))
        );
        assert_eq!(
            parse("a=1 AND (b=2 Or c=3)"),
            Ok(and(a.clone(), or(b.clone(), c.clone())))
        );
        assert_eq!(
            parse("a=1 and b=2 and c=3"),
            Ok(and3(a.clone(), b.clone(), c.clone()))
        );
        assert_eq!(
            parse("a=1 or b=2 or c=3"),
            Ok(or3(a.clone(), b.clone(), c.clone()))
        );
        assert_eq!(
            parse("(a=1 and b=2) and c=3"),
            Ok(and(and(a.clone(), b.clone()), c.clone()))
        );
        assert_eq!(
            parse("a=1 and (b=2 and c=3)"),
            Ok(and(a.clone(), and(b, c)))
        );
        assert_eq!(parse("not not a=1"), Ok(not(not(a.clone()))));
        assert_eq!(parse("((a=1))"), Ok(a));
    }

    #[test]
    fn values() {
        assert_eq!(
            parse(r#"x = "C:\temp""#),
            Ok(cmp("x", CompareOp::Eq, s(r"C:\temp")))
        );
        assert_eq!(
            parse(r#"x = "a\"b\'c\\d""#),
            Ok(cmp("x", CompareOp::Eq, s(r#"a"b'c\d"#)))
        );
        assert_eq!(
            parse(r"x = 'say \'hi\''"),
            Ok(cmp("x", CompareOp::Eq, s("say 'hi'")))
        );
        assert_eq!(
            parse("x = TRUE"),
            Ok(cmp("x", CompareOp::Eq, Value::Bool(true)))
        );
        assert_eq!(
            parse("x = fAlSe"),
            Ok(cmp("x", CompareOp::Eq, Value::Bool(false)))
        );
        assert_eq!(parse("x != NULL"), Ok(cmp("x", CompareOp::Ne, Value::Null)));
        assert_eq!(parse("x = -12"), Ok(eq("x", -12)));
        assert_eq!(
            parse("x >= -0.75"),
            Ok(cmp(
                "x",
                CompareOp::Ge,
                Value::Decimal(Decimal::new("-0.75").unwrap_or_else(|| unreachable!()))
            ))
        );
        assert_eq!(
            parse("x > [2024-01-01T01:00:00+02:00]"),
            Ok(cmp(
                "x",
                CompareOp::Gt,
                Value::DateTime(
                    DateTime::new(2023, 12, 31, 23, 0, 0, 0).unwrap_or_else(|| unreachable!())
                )
            ))
        );
    }

    #[test]
    fn bare_words_as_values_suggest_quotes() {
        let e = parse("status/name = New").err();
        assert_eq!(e.as_ref().map(ParseError::offset), Some(14));
        assert_eq!(
            e.as_ref().map(ParseError::expected),
            Some("a value after '='")
        );
        assert_eq!(
            e.as_ref().and_then(ParseError::hint),
            Some("text values need quotes: \"New\"")
        );
    }

    #[test]
    fn fields_named_like_keywords() {
        assert_eq!(parse("not = 1"), Ok(eq("not", 1)));
        assert_eq!(parse("not not = 1"), Ok(not(eq("not", 1))));
        assert_eq!(
            parse("not contains 'x'"),
            Ok(cmp("not", CompareOp::Contains, s("x")))
        );
        assert_eq!(
            parse("not not contains 'x'"),
            Ok(cmp("not", CompareOp::NotContains, s("x")))
        );
        assert_eq!(parse("not contains = 1"), Ok(not(eq("contains", 1))));
        assert_eq!(parse("not in = 1"), Ok(not(eq("in", 1))));
        assert_eq!(
            parse("not in ()"),
            Ok(Expr::In(Membership {
                field: f("not"),
                negated: false,
                values: vec![]
            }))
        );
        assert_eq!(
            parse("not in in ()"),
            Ok(not(Expr::In(Membership {
                field: f("in"),
                negated: false,
                values: vec![]
            })))
        );
        assert_eq!(
            parse("and = 1 and or = 2"),
            Ok(and(eq("and", 1), eq("or", 2)))
        );
        assert_eq!(
            parse("true = null"),
            Ok(cmp("true", CompareOp::Eq, Value::Null))
        );
    }

    #[test]
    fn errors_name_the_position_and_expectation() {
        let e = parse("status/id = ").err();
        assert_eq!(e.as_ref().map(ParseError::offset), Some(12));
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("expected a value after '=' at 12")
        );
        assert_eq!(err_at(""), Some(0));
        assert_eq!(err_at("   "), Some(3));
        assert_eq!(err_at("a = 1 and"), Some(9));
        assert_eq!(err_at("a = 1 b = 2"), Some(6));
        assert_eq!(err_at("(a = 1"), Some(6));
        assert_eq!(err_at("a = 1)"), Some(5));
        assert_eq!(err_at("a == 1"), Some(3));
        assert_eq!(err_at("a not = 1"), Some(6));
        assert_eq!(err_at("a equals 1"), Some(2));
        assert_eq!(err_at("a = 1 && b = 2"), Some(6));
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "{}a = 1{}",
            "(".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert_eq!(parse(&deep), Ok(eq("a", 1)));
        let too_deep = format!(
            "{}a = 1{}",
            "(".repeat(MAX_NESTING + 1),
            ")".repeat(MAX_NESTING + 1)
        );
        assert_eq!(err_at(&too_deep), Some(MAX_NESTING));
        assert_eq!(err_at(&"(".repeat(1 << 20)), Some(MAX_NESTING));
        assert_eq!(err_at(&"not ".repeat(1 << 18)), Some(4 * MAX_NESTING));
    }

    #[test]
    fn depth_is_bounded() {
        let chain = |n: usize| vec!["a = 1"; n].join(" and ");
        // The deepest accepted tree must also print, compare and drop on a test thread's
        // small stack (2 MiB), in debug builds.
        let text = chain(MAX_DEPTH);
        let tree = parse(&text);
        assert_eq!(
            tree.as_ref().map(ToString::to_string).ok(),
            Some(text.clone())
        );
        assert_eq!(tree, parse(&text));
        let mixed = vec!["not (a = 1 or b = 2)"; MAX_DEPTH / 3].join(" and ");
        let tree = parse(&mixed);
        assert_eq!(tree.as_ref().map(ToString::to_string).ok(), Some(mixed));
        let e = parse(&chain(MAX_DEPTH + 1)).err();
        // The connective that makes the tree too deep.
        assert_eq!(
            e.map(|e| e.offset()),
            Some(MAX_DEPTH * 5 + (MAX_DEPTH - 1) * 5 + 1)
        );
        assert!(parse(&vec!["a = 1"; 200_000].join(" or ")).is_err());
    }

    #[test]
    fn unescape_keeps_unknown_escapes() {
        assert_eq!(unescape(r"a\nb"), r"a\nb");
        assert_eq!(unescape(r#"\\\"\'"#), r#"\"'"#);
        assert_eq!(unescape("é\\"), "é\\");
    }
}
