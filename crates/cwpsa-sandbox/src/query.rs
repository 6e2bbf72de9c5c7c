//! Translation of a request's `conditions`, `childConditions`, `customFieldConditions` and
//! `orderBy` into SQL over the store's tables.
//!
//! Every value from the request becomes a bound parameter; the SQL text contains only column
//! names from the schema registry, operators, and `?` placeholders. JSON paths are bound too.

use cwpsa_core::conditions::{CompareOp, Comparison, Expr, FieldPath, Membership, Operands, Value};
use cwpsa_core::params::{Direction, OrderBy};
use rusqlite::types::Value as SqlValue;

use crate::catalog::{ColumnKind, EntityTable, Resolved};
use crate::error::ApiError;
use crate::store::{Selection, quote};

/// Which language a condition string was given in; it decides where field paths start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `conditions`: paths from the record's top level.
    Conditions,
    /// `childConditions`: paths through an array of the record (`communicationItems/value`).
    Child,
    /// `customFieldConditions`: paths inside one element of `customFields` (`caption`, `value`).
    CustomField,
}

impl Dialect {
    fn parameter(self) -> &'static str {
        match self {
            Dialect::Conditions => "conditions",
            Dialect::Child => "childConditions",
            Dialect::CustomField => "customFieldConditions",
        }
    }
}

/// A piece of SQL with its parameters in placeholder order, so pieces compose safely.
#[derive(Debug, Default)]
struct Fragment {
    sql: String,
    params: Vec<SqlValue>,
}

impl Fragment {
    fn new(sql: impl Into<String>, params: Vec<SqlValue>) -> Fragment {
        Fragment {
            sql: sql.into(),
            params,
        }
    }

    /// `before` + self + `after`, keeping the parameters in order.
    fn wrap(mut self, before: &str, after: &str) -> Fragment {
        self.sql = format!("{before}{}{after}", self.sql);
        self
    }
}

/// Accumulates SQL for one request.
pub(crate) struct SqlBuilder<'t> {
    table: &'t EntityTable,
    pub(crate) selection: Selection,
}

impl<'t> SqlBuilder<'t> {
    pub(crate) fn new(table: &'t EntityTable) -> SqlBuilder<'t> {
        SqlBuilder {
            table,
            selection: Selection::default(),
        }
    }

    fn and_where(&mut self, fragment: Fragment) {
        if self.selection.where_sql.is_empty() {
            // Parenthesised like the others: `a OR b` followed by `AND t.id > ?` must not
            // bind as `a OR (b AND ...)`.
            self.selection.where_sql = format!("({})", fragment.sql);
        } else {
            self.selection.where_sql =
                format!("{} AND ({})", self.selection.where_sql, fragment.sql);
        }
        self.selection.params.extend(fragment.params);
    }

    /// Restricts the rows to one parent (a child collection such as a ticket's notes).
    pub(crate) fn parent(&mut self, parent_id: i64) {
        self.and_where(Fragment::new(
            "t.parent_id = ?",
            vec![SqlValue::Integer(parent_id)],
        ));
    }

    /// Forward-only pagination: only ids after `page_id`.
    pub(crate) fn after_id(&mut self, page_id: i64) {
        self.and_where(Fragment::new("t.id > ?", vec![SqlValue::Integer(page_id)]));
    }

    /// Adds a parsed condition expression in the given dialect.
    pub(crate) fn condition(&mut self, expr: &Expr, dialect: Dialect) -> Result<(), ApiError> {
        let fragment = match dialect {
            Dialect::Conditions => self.expr(expr, dialect, None)?,
            Dialect::CustomField => {
                let inner = self.expr(expr, dialect, Some("cf"))?;
                self.each_element("$.customFields", "cf", inner)
            }
            Dialect::Child => match self.common_array(expr)? {
                // All paths go through one array: the whole expression must hold for one element.
                Some(array) => {
                    let inner = self.expr(expr, dialect, Some("ch"))?;
                    self.each_element(&array, "ch", inner)
                }
                None => self.expr(expr, dialect, None)?,
            },
        };
        self.and_where(fragment);
        Ok(())
    }

    /// `EXISTS` over the elements of an array of the record; the array path is bound.
    fn each_element(&mut self, array_path: &str, alias: &str, inner: Fragment) -> Fragment {
        self.selection.needs_body = true;
        let mut params = vec![SqlValue::Text(array_path.to_owned())];
        params.extend(inner.params);
        Fragment::new(
            format!(
                "EXISTS (SELECT 1 FROM json_each(b.body, ?) AS {alias} WHERE {})",
                inner.sql
            ),
            params,
        )
    }

    /// The single array all paths of a `childConditions` expression go through, if any.
    fn common_array(&self, expr: &Expr) -> Result<Option<String>, ApiError> {
        let mut arrays = Vec::new();
        let mut error = None;
        visit_fields(expr, &mut |path| match self.resolve(path, Dialect::Child) {
            Ok(resolved) => arrays.push(resolved.array_json_path()),
            Err(e) => error = error.take().or(Some(e)),
        });
        if let Some(error) = error {
            return Err(error);
        }
        let first = arrays.first().cloned().flatten();
        Ok(first.filter(|a| arrays.iter().all(|b| b.as_deref() == Some(a.as_str()))))
    }

    fn resolve(&self, path: &FieldPath, dialect: Dialect) -> Result<Resolved, ApiError> {
        let resolved = match dialect {
            Dialect::CustomField => self.table.resolve_custom_field(path),
            Dialect::Conditions | Dialect::Child => self.table.resolve(path),
        };
        resolved.map_err(|message| {
            ApiError::invalid_argument(format!("{}: {message}", dialect.parameter()))
        })
    }

    fn expr(
        &mut self,
        expr: &Expr,
        dialect: Dialect,
        element: Option<&str>,
    ) -> Result<Fragment, ApiError> {
        Ok(match expr {
            Expr::And(operands) => self.chain(operands, "AND", dialect, element)?,
            Expr::Or(operands) => self.chain(operands, "OR", dialect, element)?,
            Expr::Not(inner) => self.expr(inner, dialect, element)?.wrap("NOT (", ")"),
            Expr::Compare(c) => self.field_test(&c.field, dialect, element, |lhs, kind| {
                comparison(lhs, kind, c)
            })?,
            Expr::In(m) => self.field_test(&m.field, dialect, element, |lhs, kind| {
                Ok(membership(&lhs, kind, m))
            })?,
        })
    }

    /// `(a) AND (b) AND (c)`.
    fn chain(
        &mut self,
        operands: &Operands,
        connective: &str,
        dialect: Dialect,
        element: Option<&str>,
    ) -> Result<Fragment, ApiError> {
        let mut joined = Fragment::default();
        for (i, operand) in operands.iter().enumerate() {
            let part = self.expr(operand, dialect, element)?;
            if i > 0 {
                joined.sql.push(' ');
                joined.sql.push_str(connective);
                joined.sql.push(' ');
            }
            joined.sql.push('(');
            joined.sql.push_str(&part.sql);
            joined.sql.push(')');
            joined.params.extend(part.params);
        }
        Ok(joined)
    }

    /// Resolves a field and builds the test on it; a field inside an array (outside an element
    /// scope) is tested with `EXISTS` over that array.
    fn field_test(
        &mut self,
        path: &FieldPath,
        dialect: Dialect,
        element: Option<&str>,
        test: impl FnOnce(Fragment, Option<ColumnKind>) -> Result<Fragment, ApiError>,
    ) -> Result<Fragment, ApiError> {
        let resolved = self.resolve(path, dialect)?;
        let element_path = || SqlValue::Text(resolved.element_json_path());
        if let Some(alias) = element {
            let lhs = Fragment::new(
                format!("json_extract({alias}.value, ?)"),
                vec![element_path()],
            );
            return test(lhs, resolved.kind);
        }
        if let Some(array) = resolved.array_json_path() {
            let lhs = Fragment::new("json_extract(el.value, ?)", vec![element_path()]);
            let inner = test(lhs, resolved.kind)?;
            return Ok(self.each_element(&array, "el", inner));
        }
        let lhs = match &resolved.column {
            Some(column) => Fragment::new(format!("t.{}", quote(column)), Vec::new()),
            None => {
                self.selection.needs_body = true;
                Fragment::new(
                    "json_extract(b.body, ?)",
                    vec![SqlValue::Text(resolved.json_path())],
                )
            }
        };
        test(lhs, resolved.kind)
    }

    /// Adds `orderBy`; the store appends the id tie-break.
    pub(crate) fn order_by(&mut self, order: &OrderBy) -> Result<(), ApiError> {
        let mut terms = Vec::new();
        for (path, direction) in order {
            let resolved = self
                .table
                .resolve(path)
                .map_err(|message| ApiError::invalid_argument(format!("orderBy: {message}")))?;
            if resolved.array_json_path().is_some() {
                return Err(ApiError::invalid_argument(format!(
                    "orderBy: cannot order by {path}, a field inside a list"
                )));
            }
            let lhs = match &resolved.column {
                Some(column) => format!("t.{}", quote(column)),
                None => {
                    // ORDER BY cannot share the WHERE clause's parameters, so the JSON path is
                    // written out: it is built from the registry's identifiers, never from input.
                    self.selection.needs_body = true;
                    format!("json_extract(b.body, '{}')", resolved.json_path())
                }
            };
            let collate = if resolved.kind == Some(ColumnKind::Text) {
                " COLLATE NOCASE"
            } else {
                ""
            };
            let dir = match direction {
                Direction::Asc => "ASC",
                Direction::Desc => "DESC",
            };
            terms.push(format!("{lhs}{collate} {dir}"));
        }
        self.selection.order_sql = terms.join(", ");
        Ok(())
    }
}

fn comparison(
    lhs: Fragment,
    kind: Option<ColumnKind>,
    c: &Comparison,
) -> Result<Fragment, ApiError> {
    if c.value == Value::Null {
        return match c.op {
            CompareOp::Eq => Ok(lhs.wrap("", " IS NULL")),
            CompareOp::Ne => Ok(lhs.wrap("", " IS NOT NULL")),
            op => Err(ApiError::invalid_argument(format!(
                "conditions: null cannot be compared with '{}' (field {}); use = null or != null",
                op.as_str(),
                c.field
            ))),
        };
    }
    let (pattern, negated) = match c.op {
        CompareOp::Contains => (
            Some(format!("%{}%", escape_like(&text_of(&c.value)))),
            false,
        ),
        CompareOp::NotContains => (Some(format!("%{}%", escape_like(&text_of(&c.value)))), true),
        CompareOp::Like => (Some(like_pattern(&text_of(&c.value))), false),
        CompareOp::NotLike => (Some(like_pattern(&text_of(&c.value))), true),
        _ => (None, false),
    };
    let mut fragment = lhs;
    if let Some(pattern) = pattern {
        fragment.params.push(SqlValue::Text(pattern));
        fragment = fragment.wrap("", " LIKE ? ESCAPE '\\'");
        return Ok(if negated {
            fragment.wrap("NOT (", ")")
        } else {
            fragment
        });
    }
    fragment.params.push(bind(&c.value, kind));
    let collate = if matches!(c.value, Value::String(_)) {
        " COLLATE NOCASE"
    } else {
        ""
    };
    Ok(fragment.wrap("", &format!(" {} ?{collate}", c.op.as_str())))
}

fn membership(lhs: &Fragment, kind: Option<ColumnKind>, m: &Membership) -> Fragment {
    let with_null = m.values.contains(&Value::Null);
    let values: Vec<&Value> = m.values.iter().filter(|v| **v != Value::Null).collect();
    let mut tests = Vec::new();
    let mut params = Vec::new();
    if !values.is_empty() {
        let collate = if values.iter().any(|v| matches!(v, Value::String(_))) {
            " COLLATE NOCASE"
        } else {
            ""
        };
        let marks = vec!["?"; values.len()].join(", ");
        params.extend(lhs.params.iter().cloned());
        params.extend(values.iter().map(|v| bind(v, kind)));
        tests.push(format!("{}{collate} IN ({marks})", lhs.sql));
    }
    if with_null {
        params.extend(lhs.params.iter().cloned());
        tests.push(format!("{} IS NULL", lhs.sql));
    }
    let any = if tests.is_empty() {
        "0".to_owned()
    } else {
        tests.join(" OR ")
    };
    let sql = if m.negated {
        format!("NOT ({any})")
    } else {
        format!("({any})")
    };
    Fragment::new(sql, params)
}

fn visit_fields(expr: &Expr, f: &mut impl FnMut(&FieldPath)) {
    match expr {
        Expr::And(operands) | Expr::Or(operands) => {
            for operand in operands {
                visit_fields(operand, f);
            }
        }
        Expr::Not(inner) => visit_fields(inner, f),
        Expr::Compare(c) => f(&c.field),
        Expr::In(m) => f(&m.field),
    }
}

/// The SQL parameter for a value; booleans are 0/1 as SQLite's JSON functions return them.
fn bind(value: &Value, kind: Option<ColumnKind>) -> SqlValue {
    match value {
        Value::String(s) => SqlValue::Text(s.as_str().to_owned()),
        Value::Integer(i) if kind == Some(ColumnKind::Text) => SqlValue::Text(i.to_string()),
        Value::Integer(i) => SqlValue::Integer(*i),
        Value::Decimal(d) => SqlValue::Real(d.to_f64()),
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Null => SqlValue::Null,
        Value::DateTime(dt) => SqlValue::Text(dt.to_string()),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.as_str().to_owned(),
        Value::Integer(i) => i.to_string(),
        Value::Decimal(d) => d.as_str().to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Null => String::new(),
        Value::DateTime(dt) => dt.to_string(),
    }
}

/// Escapes `%`, `_` and `\` so that text matches itself literally in `LIKE ... ESCAPE '\'`.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A ConnectWise `like` pattern as SQL: `*` (documented) and `%` (the seed's) are wildcards;
/// without either it is an exact (case-insensitive) match.
fn like_pattern(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    for c in pattern.chars() {
        match c {
            '*' | '%' => out.push('%'),
            '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_accept_both_wildcards_and_keep_underscores_literal() {
        assert_eq!(like_pattern("Domain*"), "Domain%");
        assert_eq!(like_pattern("%email%"), "%email%");
        assert_eq!(like_pattern("a_b\\c"), "a\\_b\\\\c");
        assert_eq!(escape_like("50%_off"), "50\\%\\_off");
    }
}
