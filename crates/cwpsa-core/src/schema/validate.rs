//! Checking a conditions expression against an entity's schema.

use std::fmt;

use crate::conditions::{CompareOp, Expr, FieldPath, Value};

use super::entity::Entity;
use super::field::{FieldInfo, UnknownField, resolve, with_article};
use super::registry;
use super::types::FieldType;

/// The schema holding one custom field value (`caption`, `value`, ...).
const CUSTOM_FIELD_SCHEMA: &str = "CustomFieldValue";

/// Something in a conditions expression that does not fit the entity's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SchemaError {
    /// The field path does not resolve.
    UnknownField(UnknownField),
    /// The value is of the wrong kind for the field (`id = "x"`).
    TypeMismatch {
        /// Canonical field path.
        field: String,
        /// The field's type.
        expected: FieldType,
        /// The value as written.
        value: String,
        /// How to write it instead, when we can tell.
        hint: Option<String>,
    },
    /// A whole reference or object compared with something other than `null`
    /// (`company = 5`).
    WholeReference {
        /// Canonical field path.
        field: String,
        /// The path to compare instead (`company/id`).
        suggestion: String,
    },
    /// A list or map compared as a whole.
    NotComparable {
        /// Canonical field path.
        field: String,
        /// The field's type.
        ty: FieldType,
        /// What to do instead.
        hint: String,
    },
    /// `null` compared with a field that is never null (`id = null`).
    NotNullable {
        /// Canonical field path.
        field: String,
        /// The field's type.
        ty: FieldType,
    },
    /// `contains`/`like` on a field that does not hold text.
    TextOperator {
        /// Canonical field path.
        field: String,
        /// The operator as written canonically.
        op: &'static str,
        /// The field's type.
        ty: FieldType,
    },
    /// A path through a list used in `conditions` (it belongs in `childConditions`).
    ArrayInConditions {
        /// Canonical field path.
        field: String,
        /// The list the path walks through.
        array: String,
    },
    /// A path not inside a list used in `childConditions`.
    NotInArray {
        /// Canonical field path.
        field: String,
    },
    /// `customFieldConditions` on an entity without custom fields.
    NoCustomFields {
        /// The entity's name.
        entity: String,
    },
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaError::UnknownField(unknown) => unknown.fmt(f),
            SchemaError::TypeMismatch {
                field,
                expected,
                value,
                hint,
            } => {
                write!(
                    f,
                    "`{field}` is {}, but the value `{value}` is not",
                    with_article(expected)
                )?;
                if let Some(hint) = hint {
                    write!(f, "; {hint}")?;
                }
                Ok(())
            }
            SchemaError::WholeReference { field, suggestion } => write!(
                f,
                "`{field}` is a reference and is compared by one of its fields, e.g. \
                 `{suggestion}`; only `= null` and `!= null` apply to the whole reference"
            ),
            SchemaError::NotComparable { field, ty, hint } => write!(
                f,
                "`{field}` is {} and cannot be compared as a whole; {hint}",
                with_article(ty)
            ),
            SchemaError::NotNullable { field, ty } => write!(
                f,
                "`{field}` is {} that is never null, so comparing it with `null` matches nothing",
                with_article(ty)
            ),
            SchemaError::TextOperator { field, op, ty } => write!(
                f,
                "`{op}` needs a text field, but `{field}` is {}; use `=`, `<`, `>` or `in`",
                with_article(ty)
            ),
            SchemaError::ArrayInConditions { field, array } => write!(
                f,
                "`{field}` is inside the list `{array}`; filter list children with \
                 childConditions, not conditions"
            ),
            SchemaError::NotInArray { field } => write!(
                f,
                "`{field}` is not inside a list; childConditions filter list children (such as \
                 `communicationItems/value`), use conditions for it"
            ),
            SchemaError::NoCustomFields { entity } => write!(
                f,
                "{entity} have no custom fields, so customFieldConditions do not apply"
            ),
        }
    }
}

impl std::error::Error for SchemaError {}

/// Which query parameter an expression is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Conditions,
    Child,
    CustomField,
}

impl Entity {
    /// Checks a `conditions` expression: every field resolves (not through a list), and every
    /// value fits its field's type. Returns every problem found.
    pub fn validate_conditions(&self, expr: &Expr) -> Result<(), Vec<SchemaError>> {
        self.validate(expr, Mode::Conditions)
    }

    /// Checks a `childConditions` expression: fields must lie inside a list of the record
    /// (`communicationItems/value`), and values fit their types.
    pub fn validate_child_conditions(&self, expr: &Expr) -> Result<(), Vec<SchemaError>> {
        self.validate(expr, Mode::Child)
    }

    /// Checks a `customFieldConditions` expression: fields are those of one custom field
    /// value (`caption`, `value`, `id`, `type`, ...); `value` accepts any value.
    pub fn validate_custom_field_conditions(&self, expr: &Expr) -> Result<(), Vec<SchemaError>> {
        if self.schema().property("customFields").is_none() {
            return Err(vec![SchemaError::NoCustomFields {
                entity: self.name().to_owned(),
            }]);
        }
        self.validate(expr, Mode::CustomField)
    }

    fn validate(&self, expr: &Expr, mode: Mode) -> Result<(), Vec<SchemaError>> {
        let mut errors = Vec::new();
        self.walk(expr, mode, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn walk(&self, expr: &Expr, mode: Mode, errors: &mut Vec<SchemaError>) {
        match expr {
            Expr::Compare(c) => {
                if let Some(info) = self.resolve_for(&c.field, mode, errors) {
                    check_comparison(&info, c.op, std::slice::from_ref(&c.value), errors);
                }
            }
            Expr::In(m) => {
                if let Some(info) = self.resolve_for(&m.field, mode, errors) {
                    let op = if m.negated {
                        CompareOp::Ne
                    } else {
                        CompareOp::Eq
                    };
                    check_comparison(&info, op, &m.values, errors);
                }
            }
            Expr::Not(inner) => self.walk(inner, mode, errors),
            Expr::And(operands) | Expr::Or(operands) => {
                for operand in operands {
                    self.walk(operand, mode, errors);
                }
            }
        }
    }

    /// Resolves a path for the mode, recording problems; `None` when values cannot be checked.
    fn resolve_for(
        &self,
        path: &FieldPath,
        mode: Mode,
        errors: &mut Vec<SchemaError>,
    ) -> Option<FieldInfo> {
        let text = path.as_str();
        let resolved = match mode {
            Mode::Conditions | Mode::Child => self.field(text),
            Mode::CustomField => {
                let registry = registry();
                let context = format!("custom fields of {}", self.name());
                resolve(
                    registry,
                    registry.schema_or_empty(CUSTOM_FIELD_SCHEMA),
                    text,
                    &context,
                    false,
                )
            }
        };
        let mut info = match resolved {
            Ok(info) => info,
            Err(unknown) => {
                errors.push(SchemaError::UnknownField(unknown));
                return None;
            }
        };
        match mode {
            Mode::Conditions => {
                if let Some(array) = info.array.clone() {
                    errors.push(SchemaError::ArrayInConditions {
                        field: info.path,
                        array,
                    });
                    return None;
                }
            }
            Mode::Child => {
                // A list of scalars (`integratorTags`) is compared element by element.
                if let FieldType::Array(item) = &info.ty
                    && info.array.is_none()
                    && !matches!(**item, FieldType::Array(_))
                {
                    info.array = Some(info.path.clone());
                    info.ty = (**item).clone();
                }
                if info.array.is_none() {
                    errors.push(SchemaError::NotInArray { field: info.path });
                    return None;
                }
            }
            Mode::CustomField => {}
        }
        Some(info)
    }
}

/// Checks one comparison (an `in` list counts as several `=`/`!=`).
fn check_comparison(
    info: &FieldInfo,
    op: CompareOp,
    values: &[Value],
    errors: &mut Vec<SchemaError>,
) {
    let field = &info.path;
    let only_nulls = values.iter().all(|v| matches!(v, Value::Null));
    let equality = matches!(op, CompareOp::Eq | CompareOp::Ne);

    match &info.ty {
        FieldType::Reference(target) | FieldType::Object(target) => {
            if !(equality && only_nulls) {
                let schema = registry().schema_or_empty(target);
                let sub = if schema.property("id").is_some() {
                    "id".to_owned()
                } else {
                    schema
                        .properties()
                        .first()
                        .map_or_else(|| "id".to_owned(), |p| p.name.clone())
                };
                let example = values
                    .iter()
                    .find(|v| !matches!(v, Value::Null))
                    .map_or_else(|| "5".to_owned(), show_value);
                errors.push(SchemaError::WholeReference {
                    field: field.clone(),
                    suggestion: format!("{field}/{sub} {} {example}", op.as_str()),
                });
            }
            return;
        }
        FieldType::Array(_) | FieldType::Map(_) => {
            if !(equality && only_nulls) {
                let hint = if matches!(info.ty, FieldType::Map(_)) {
                    format!("compare one key, e.g. `{field}/lastUpdated`")
                } else {
                    format!("filter its elements with childConditions, e.g. `{field}/id = 5`")
                };
                errors.push(SchemaError::NotComparable {
                    field: field.clone(),
                    ty: info.ty.clone(),
                    hint,
                });
            }
            return;
        }
        _ => {}
    }

    if matches!(
        op,
        CompareOp::Contains | CompareOp::NotContains | CompareOp::Like | CompareOp::NotLike
    ) && !info.ty.is_textual()
    {
        errors.push(SchemaError::TextOperator {
            field: field.clone(),
            op: op.as_str(),
            ty: info.ty.clone(),
        });
        return;
    }

    for value in values {
        if let Some(error) = check_value(info, value) {
            errors.push(error);
        }
    }
}

/// Whether one value fits a scalar field; the error when it does not.
fn check_value(info: &FieldInfo, value: &Value) -> Option<SchemaError> {
    let mismatch = |hint: Option<String>| SchemaError::TypeMismatch {
        field: info.path.clone(),
        expected: info.ty.clone(),
        value: show_value(value),
        hint,
    };
    match (&info.ty, value) {
        (_, Value::Null) => (!info.accepts_null).then(|| SchemaError::NotNullable {
            field: info.path.clone(),
            ty: info.ty.clone(),
        }),
        (FieldType::Any, _)
        | (FieldType::Integer, Value::Integer(_))
        | (FieldType::Number, Value::Integer(_) | Value::Decimal(_))
        | (FieldType::Boolean, Value::Bool(_))
        | (FieldType::DateTime, Value::DateTime(_))
        | (FieldType::String { .. } | FieldType::Enum(_), Value::String(_)) => None,
        // The description types some date-time fields as plain strings (a ticket's
        // `closedDate`, `dateResolved`); accept a bracketed date-time on those.
        (FieldType::String { .. }, Value::DateTime(_)) if is_date_named(&info.path) => None,
        (FieldType::Integer | FieldType::Number, Value::String(s)) if looks_numeric(s) => {
            Some(mismatch(Some(format!(
                "write the number without quotes: `{}`",
                s.trim()
            ))))
        }
        (FieldType::Integer, Value::Decimal(_)) => {
            Some(mismatch(Some("write a whole number".to_owned())))
        }
        (FieldType::Boolean, Value::String(s))
            if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") =>
        {
            Some(mismatch(Some(format!(
                "write `{}` without quotes",
                s.to_ascii_lowercase()
            ))))
        }
        (FieldType::DateTime, Value::String(s)) if looks_like_date(s) => Some(mismatch(Some(
            format!("write date-times in brackets: `[{}]`", s.trim()),
        ))),
        (FieldType::DateTime, _) => Some(mismatch(Some(
            "write date-times in brackets, e.g. `[2024-01-01T00:00:00Z]`".to_owned(),
        ))),
        (
            FieldType::String { .. } | FieldType::Enum(_),
            Value::Integer(_) | Value::Decimal(_) | Value::Bool(_),
        ) => Some(mismatch(Some(format!(
            "quote it: `\"{}\"`",
            show_value(value)
        )))),
        _ => Some(mismatch(None)),
    }
}

fn is_date_named(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.to_ascii_lowercase().contains("date"))
}

fn looks_numeric(s: &str) -> bool {
    let s = s.trim();
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().filter(|&b| b == b'.').count() <= 1
        && digits.bytes().next().is_some_and(|b| b.is_ascii_digit())
}

/// `2024-01-01...`: four digits and a dash.
fn looks_like_date(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

/// A value as the conditions language writes it, for messages.
fn show_value(value: &Value) -> String {
    match value {
        Value::String(s) if s.contains('"') => format!("'{s}'"),
        Value::String(s) => format!("\"{s}\""),
        Value::Integer(n) => n.to_string(),
        Value::Decimal(d) => d.as_str().to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::DateTime(dt) => format!("[{dt}]"),
    }
}
