//! A typed, injection-proof builder for conditions expressions: [`field`], [`Field`],
//! [`Condition`], [`not`], [`IntoValue`], [`BuildError`]. The guide is on [`Condition`].

use std::borrow::Cow;
use std::fmt;

use super::ast::{
    CompareOp, Comparison, DateTime, Decimal, Expr, FieldPath, Membership, Operands, Text, Value,
};

/// Starts a condition on a field: `field("status/name").eq("New")`.
///
/// The path is one or more ASCII identifiers joined by `/`. An invalid path does not panic: the
/// error is carried by the resulting [`Condition`] and returned by [`Condition::build`].
pub fn field(path: &str) -> Field {
    Field {
        path: FieldPath::new(path).ok_or_else(|| BuildError::InvalidField {
            path: path.to_owned(),
        }),
    }
}

/// Negates a condition: `not(field("summary").contains("test"))`. Same as [`Condition::not`].
pub fn not(condition: impl Into<Condition>) -> Condition {
    condition.into().not()
}

/// Why a built condition is invalid. Every message names the offending field, and the value
/// where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The field path is not a `/`-separated list of identifiers.
    #[error(
        "invalid field path {path:?}: each `/`-separated segment must be an identifier \
         (an ASCII letter or `_`, then letters, digits or `_`), e.g. `status/name`"
    )]
    InvalidField {
        /// The path as given.
        path: String,
    },
    /// A value that the conditions language cannot express.
    #[error("invalid value for field `{field}`: {reason}")]
    InvalidValue {
        /// The field the value was compared with.
        field: String,
        /// What is wrong with the value.
        reason: ValueError,
    },
    /// `starts_with`/`ends_with` text containing a character that `like` treats as a wildcard.
    #[error(
        "`{field}` {method}({value:?}): the text contains `{wildcard}`, which ConnectWise's \
         `like` treats as a wildcard and cannot match literally; use `like` with an explicit \
         pattern if a wildcard is meant"
    )]
    WildcardInLiteral {
        /// The field.
        field: String,
        /// `starts_with` or `ends_with`.
        method: &'static str,
        /// The text as given.
        value: String,
        /// The offending character (`*` or `%`).
        wildcard: char,
    },
    /// `one_of`/`not_one_of` with no values: `field in ()` is not a valid condition.
    #[error(
        "`{field}` {method}: the list of values is empty, and `in ()` is not a valid condition"
    )]
    EmptyList {
        /// The field.
        field: String,
        /// `one_of` or `not_one_of`.
        method: &'static str,
    },
}

/// Why a Rust value has no conditions form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValueError {
    /// An integer outside the range of `i64`, which is what ConnectWise ids and numbers use.
    #[error("integer {0} is outside the range of a 64-bit signed integer")]
    IntegerOutOfRange(String),
    /// NaN or an infinity.
    #[error("floating-point value {0} is not finite")]
    NonFiniteFloat(String),
}

/// A Rust value that can be used as a conditions [`Value`].
///
/// Implemented for `&str`, `String`, `&String`, `Cow<str>`, `char`, [`Text`] (strings); all
/// integer types (`u64`, `u128`, `usize` and `i128` values outside `i64` are an error); `bool`;
/// `f32` and `f64` (a finite float becomes a [`Decimal`] holding the shortest text that reads back
/// as the same float, never with an exponent, e.g. `2.5`, `2.0`, `0.1`; NaN and infinities are
/// an error); [`DateTime`]; [`Decimal`]; [`Value`]; and `Option<T>` (`None` is `null`).
pub trait IntoValue {
    /// Converts into a [`Value`], or says why the value has no conditions form.
    fn into_value(self) -> Result<Value, ValueError>;
}

impl IntoValue for Value {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(self)
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::String(self.into()))
    }
}

impl IntoValue for String {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::String(self.into()))
    }
}

impl IntoValue for &String {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::String(self.as_str().into()))
    }
}

impl IntoValue for Cow<'_, str> {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::String(self.into_owned().into()))
    }
}

impl IntoValue for char {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::String(Text::new(self.encode_utf8(&mut [0; 4]))))
    }
}

impl IntoValue for Text {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::String(self))
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::Bool(self))
    }
}

impl IntoValue for DateTime {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::DateTime(self))
    }
}

impl IntoValue for Decimal {
    fn into_value(self) -> Result<Value, ValueError> {
        Ok(Value::Decimal(self))
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Result<Value, ValueError> {
        self.map_or(Ok(Value::Null), IntoValue::into_value)
    }
}

macro_rules! lossless_integer {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Result<Value, ValueError> {
                Ok(Value::Integer(i64::from(self)))
            }
        }
    )*};
}
lossless_integer!(i8, i16, i32, i64, u8, u16, u32);

macro_rules! checked_integer {
    ($($t:ty),*) => {$(
        impl IntoValue for $t {
            fn into_value(self) -> Result<Value, ValueError> {
                i64::try_from(self)
                    .map(Value::Integer)
                    .map_err(|_| ValueError::IntegerOutOfRange(self.to_string()))
            }
        }
    )*};
}
checked_integer!(u64, u128, usize, isize, i128);

impl IntoValue for f64 {
    fn into_value(self) -> Result<Value, ValueError> {
        float_value(self.is_finite(), &self)
    }
}

impl IntoValue for f32 {
    fn into_value(self) -> Result<Value, ValueError> {
        float_value(self.is_finite(), &self)
    }
}

/// Rust's `Display` for floats prints the shortest text that reads back as the same float, and
/// never uses an exponent; a whole number (`2`) gets `.0` so that it stays a [`Decimal`].
fn float_value(finite: bool, x: &dyn fmt::Display) -> Result<Value, ValueError> {
    let text = x.to_string();
    if !finite {
        return Err(ValueError::NonFiniteFloat(text));
    }
    let text = if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    };
    // Unreachable for finite floats (their text is `-?digits(.digits)?`); kept as an error
    // rather than a panic.
    Decimal::new(&text)
        .map(Value::Decimal)
        .ok_or(ValueError::NonFiniteFloat(text))
}

/// A field a condition is being built on; made by [`field`]. Each method consumes it and
/// returns a [`Condition`].
#[derive(Debug, Clone)]
#[must_use = "a field alone is not a condition; call a comparison method such as `eq`"]
pub struct Field {
    path: Result<FieldPath, BuildError>,
}

impl From<FieldPath> for Field {
    fn from(path: FieldPath) -> Field {
        Field { path: Ok(path) }
    }
}

impl Field {
    /// The path, or the error that [`field`] deferred.
    pub fn path(&self) -> Result<&FieldPath, &BuildError> {
        self.path.as_ref()
    }

    fn compare(self, op: CompareOp, value: impl IntoValue) -> Condition {
        Condition(self.path.and_then(|field| {
            let value = value
                .into_value()
                .map_err(|reason| invalid_value(&field, reason))?;
            Ok(Expr::Compare(Comparison { field, op, value }))
        }))
    }

    fn string_compare(self, op: CompareOp, text: impl Into<String>) -> Condition {
        Condition(self.path.map(|field| {
            Expr::Compare(Comparison {
                field,
                op,
                value: Value::String(text.into().into()),
            })
        }))
    }

    /// `field = value`.
    pub fn eq(self, value: impl IntoValue) -> Condition {
        self.compare(CompareOp::Eq, value)
    }

    /// `field != value`.
    pub fn ne(self, value: impl IntoValue) -> Condition {
        self.compare(CompareOp::Ne, value)
    }

    /// `field < value`.
    pub fn lt(self, value: impl IntoValue) -> Condition {
        self.compare(CompareOp::Lt, value)
    }

    /// `field <= value`.
    pub fn le(self, value: impl IntoValue) -> Condition {
        self.compare(CompareOp::Le, value)
    }

    /// `field > value`.
    pub fn gt(self, value: impl IntoValue) -> Condition {
        self.compare(CompareOp::Gt, value)
    }

    /// `field >= value`.
    pub fn ge(self, value: impl IntoValue) -> Condition {
        self.compare(CompareOp::Ge, value)
    }

    /// `field contains "text"`: a case-insensitive substring match.
    pub fn contains(self, text: impl Into<String>) -> Condition {
        self.string_compare(CompareOp::Contains, text)
    }

    /// `field not contains "text"`.
    pub fn not_contains(self, text: impl Into<String>) -> Condition {
        self.string_compare(CompareOp::NotContains, text)
    }

    /// `field like "pattern"`, where `*` matches any run of characters (the seed's `%` too).
    /// Without a wildcard it is an exact, case-insensitive match.
    pub fn like(self, pattern: impl Into<String>) -> Condition {
        self.string_compare(CompareOp::Like, pattern)
    }

    /// `field not like "pattern"`.
    pub fn not_like(self, pattern: impl Into<String>) -> Condition {
        self.string_compare(CompareOp::NotLike, pattern)
    }

    /// `field like "prefix*"`. The prefix is literal text: since ConnectWise's `like` has no
    /// escape for its wildcards, a prefix containing `*` or `%` is an error
    /// ([`BuildError::WildcardInLiteral`]) rather than a silent wildcard.
    pub fn starts_with(self, prefix: impl Into<String>) -> Condition {
        self.literal_like("starts_with", prefix.into(), |s| format!("{s}*"))
    }

    /// `field like "*suffix"`. The suffix is literal text; `*` or `%` in it is an error, as for
    /// [`Field::starts_with`].
    pub fn ends_with(self, suffix: impl Into<String>) -> Condition {
        self.literal_like("ends_with", suffix.into(), |s| format!("*{s}"))
    }

    fn literal_like(
        self,
        method: &'static str,
        text: String,
        pattern: impl FnOnce(&str) -> String,
    ) -> Condition {
        Condition(self.path.and_then(|field| {
            if let Some(wildcard) = text.chars().find(|c| matches!(c, '*' | '%')) {
                return Err(BuildError::WildcardInLiteral {
                    field: field.to_string(),
                    method,
                    value: text,
                    wildcard,
                });
            }
            Ok(Expr::Compare(Comparison {
                field,
                op: CompareOp::Like,
                value: Value::String(pattern(&text).into()),
            }))
        }))
    }

    fn membership<I>(self, method: &'static str, negated: bool, values: I) -> Condition
    where
        I: IntoIterator,
        I::Item: IntoValue,
    {
        Condition(self.path.and_then(|field| {
            let values = values
                .into_iter()
                .map(IntoValue::into_value)
                .collect::<Result<Vec<Value>, ValueError>>()
                .map_err(|reason| invalid_value(&field, reason))?;
            if values.is_empty() {
                return Err(BuildError::EmptyList {
                    field: field.to_string(),
                    method,
                });
            }
            Ok(Expr::In(Membership {
                field,
                negated,
                values,
            }))
        }))
    }

    /// `field in (a, b, ...)`. An empty list is an error ([`BuildError::EmptyList`]).
    pub fn one_of<I>(self, values: I) -> Condition
    where
        I: IntoIterator,
        I::Item: IntoValue,
    {
        self.membership("one_of", false, values)
    }

    /// `field not in (a, b, ...)`. An empty list is an error ([`BuildError::EmptyList`]).
    pub fn not_one_of<I>(self, values: I) -> Condition
    where
        I: IntoIterator,
        I::Item: IntoValue,
    {
        self.membership("not_one_of", true, values)
    }

    /// `field = null`.
    pub fn is_null(self) -> Condition {
        self.compare(CompareOp::Eq, Value::Null)
    }

    /// `field != null`.
    pub fn is_not_null(self) -> Condition {
        self.compare(CompareOp::Ne, Value::Null)
    }

    /// The half-open range `field >= start and field < end`: `start` is included, `end` is not,
    /// so consecutive ranges (`[day1, day2)`, `[day2, day3)`) never overlap or leave a gap.
    /// Meant for date-times (`lastUpdated` within a day) but accepts any values.
    pub fn between(self, start: impl IntoValue, end: impl IntoValue) -> Condition {
        let second = self.clone();
        self.ge(start).and(second.lt(end))
    }
}

fn invalid_value(field: &FieldPath, reason: ValueError) -> BuildError {
    BuildError::InvalidValue {
        field: field.to_string(),
        reason,
    }
}

/// A conditions expression being built, or the first error met while building it.
///
/// Combine with [`Condition::and`], [`Condition::or`], [`Condition::not`] (or the free function
/// [`not`], or the `!` operator), then call [`Condition::build`]. An [`Expr`] (for example one
/// returned by the parser) converts into a `Condition` so that it can be combined too.
///
/// ```
/// use cwpsa_core::conditions::{field, not, CompareOp, Expr, Value};
///
/// let expr = field("status/name")
///     .eq("New")
///     .and(field("priority/id").le(2))
///     .and(not(field("summary").contains("test")))
///     .build()?;
///
/// // `a and b and c` is one chain of three operands, as the parser reads its text.
/// let Expr::And(operands) = &expr else { panic!("expected and") };
/// assert_eq!(operands.len(), 3);
/// let Expr::Compare(cmp) = &operands.as_slice()[0] else { panic!("expected a comparison") };
/// assert_eq!(cmp.field.to_string(), "status/name");
/// assert_eq!(cmp.op, CompareOp::Eq);
/// assert_eq!(cmp.value, Value::String("New".into()));
/// # Ok::<(), cwpsa_core::conditions::BuildError>(())
/// ```
///
/// # Values are never text
///
/// Every value passed to a builder method becomes a [`Value`] node in the tree; nothing the
/// caller passes is ever spliced into expression text. Quotes, brackets, `and`/`or` or newlines
/// inside a string stay inside that string: the printer quotes (and, if needed, escapes) it.
///
/// # Deferred errors
///
/// Like `reqwest::RequestBuilder`, the builder never panics and never makes you handle a
/// `Result` at every step. An invalid field path (`"status name"`), a value that has no
/// conditions form (`f64::NAN`, a `u64` above `i64::MAX`), a `*` or `%` in the text given to
/// [`Field::starts_with`]/[`Field::ends_with`], or an empty [`Field::one_of`] list is recorded
/// in the [`Condition`], which then carries the first such error (the leftmost one in the
/// expression) through every `and`/`or`/`not`. [`Condition::build`] (or
/// `Expr::try_from(condition)`) returns it.
///
/// ```
/// use cwpsa_core::conditions::{field, BuildError, Expr};
///
/// let condition = field("status name").eq("New").and(field("budget").gt(f64::NAN));
/// let err = Expr::try_from(condition).unwrap_err();
/// assert_eq!(err, BuildError::InvalidField { path: "status name".to_owned() });
/// assert!(err.to_string().contains("\"status name\""));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a condition does nothing until it is built with `build()`"]
pub struct Condition(Result<Expr, BuildError>);

impl Condition {
    /// `self and other`. Chains grow left to right: `a.and(b).and(c)` is `a and b and c` (one
    /// `And` of three operands, as parsing that text gives), while `a.and(b.and(c))` keeps `b and c`
    /// as one bracketed operand: `a and (b and c)`.
    pub fn and(self, other: impl Into<Condition>) -> Condition {
        self.combine(other.into(), Expr::And, |e| match e {
            Expr::And(operands) => Ok(operands),
            other => Err(other),
        })
    }

    /// `self or other`, chained like [`Condition::and`]. The printer parenthesises mixed
    /// `and`/`or`, so `a.or(b).and(c)` means `(a or b) and c`.
    pub fn or(self, other: impl Into<Condition>) -> Condition {
        self.combine(other.into(), Expr::Or, |e| match e {
            Expr::Or(operands) => Ok(operands),
            other => Err(other),
        })
    }

    /// `not self`.
    // An inherent method (and not only `std::ops::Not`) so that `.not()` needs no import.
    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Condition {
        Condition(self.0.map(|e| Expr::Not(Box::new(e))))
    }

    /// `node` of `self` and `other`, extending `self` when it already is such a chain
    /// (`chain` gives its operands back, or the expression when it is not one).
    fn combine(
        self,
        other: Condition,
        node: fn(Operands) -> Expr,
        chain: fn(Expr) -> Result<Operands, Expr>,
    ) -> Condition {
        Condition(match (self.0, other.0) {
            (Ok(a), Ok(b)) => Ok(match chain(a) {
                Ok(mut operands) => {
                    operands.push(b);
                    node(operands)
                }
                Err(a) => node(Operands::new(a, b)),
            }),
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
        })
    }

    /// The expression, or the first error met while building it.
    pub fn build(self) -> Result<Expr, BuildError> {
        self.0
    }

    /// The deferred error, if any, without consuming the condition.
    pub fn error(&self) -> Option<&BuildError> {
        self.0.as_ref().err()
    }
}

impl std::ops::Not for Condition {
    type Output = Condition;

    fn not(self) -> Condition {
        Condition::not(self)
    }
}

impl From<Expr> for Condition {
    fn from(expr: Expr) -> Condition {
        Condition(Ok(expr))
    }
}

impl TryFrom<Condition> for Expr {
    type Error = BuildError;

    fn try_from(condition: Condition) -> Result<Expr, BuildError> {
        condition.build()
    }
}
