//! The `orderBy` and `fields` list parameters, typed.
//!
//! ```
//! use cwpsa_core::params::{Direction, Fields, OrderBy};
//!
//! // Parse what a user typed (direction optional, keywords in any case, spaces tolerated)...
//! let order: OrderBy = "priority/id ASC,dateEntered   desc".parse()?;
//! assert_eq!(order.len(), 2);
//! assert_eq!(order.as_slice()[1].1, Direction::Desc);
//! // ...and print the canonical form, with explicit directions.
//! assert_eq!(order.to_string(), "priority/id asc, dateEntered desc");
//!
//! // Or build it; an invalid path is reported by `build()`.
//! let built = OrderBy::builder().asc("priority/id").desc("dateEntered").build()?;
//! assert_eq!(built, order);
//!
//! let fields: Fields = "id, summary, status/name".parse()?;
//! assert_eq!(fields.to_string(), "id,summary,status/name");
//! assert_eq!(Fields::builder().field("id").field("summary").field("status/name").build()?, fields);
//!
//! // Errors carry the byte offset of the problem.
//! let err = "id,,name".parse::<Fields>().unwrap_err();
//! assert_eq!(err.offset(), 3);
//! # Ok::<(), cwpsa_core::params::ParamError>(())
//! ```
//!
//! An empty (or all-whitespace) string parses as an empty list, which prints as the empty string;
//! a client omits the parameter in that case. Empty items (`id,,name`, `id,`, `,id`) are errors.
//!
//! The builders defer errors the same way as the conditions builder
//! ([`crate::conditions::Condition`]): each step records the first invalid path, and `build()`
//! returns it.

use std::fmt;
use std::str::FromStr;

use crate::conditions::FieldPath;

/// A sort direction in `orderBy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Ascending (`asc`); the default when an item names no direction.
    #[default]
    Asc,
    /// Descending (`desc`).
    Desc,
}

impl Direction {
    /// `asc` or `desc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Asc => "asc",
            Direction::Desc => "desc",
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed or built `orderBy` value: fields with their sort directions, in priority order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct OrderBy {
    items: Vec<(FieldPath, Direction)>,
}

impl OrderBy {
    /// An empty list.
    pub fn new() -> OrderBy {
        OrderBy::default()
    }

    /// A builder taking paths as text: `OrderBy::builder().asc("priority/id").desc("dateEntered")`.
    pub fn builder() -> OrderByBuilder {
        OrderByBuilder {
            items: Ok(Vec::new()),
        }
    }

    /// Appends a field that is already a [`FieldPath`] (infallible).
    pub fn push(&mut self, field: FieldPath, direction: Direction) {
        self.items.push((field, direction));
    }

    /// The fields and directions, in priority order.
    pub fn as_slice(&self) -> &[(FieldPath, Direction)] {
        &self.items
    }

    /// The fields and directions, in priority order.
    pub fn iter(&self) -> std::slice::Iter<'_, (FieldPath, Direction)> {
        self.items.iter()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no field is listed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl FromIterator<(FieldPath, Direction)> for OrderBy {
    fn from_iter<I: IntoIterator<Item = (FieldPath, Direction)>>(iter: I) -> OrderBy {
        OrderBy {
            items: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for OrderBy {
    type Item = (FieldPath, Direction);
    type IntoIter = std::vec::IntoIter<(FieldPath, Direction)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a OrderBy {
    type Item = &'a (FieldPath, Direction);
    type IntoIter = std::slice::Iter<'a, (FieldPath, Direction)>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Prints the canonical form `priority/id asc, dateEntered desc` (directions always explicit).
impl fmt::Display for OrderBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, direction)) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{field} {direction}")?;
        }
        Ok(())
    }
}

/// Parses `priority/id asc, dateEntered desc`: comma-separated field paths, each optionally
/// followed by `asc` or `desc` (any case; absent means `asc`), with any whitespace around items.
impl FromStr for OrderBy {
    type Err = ParamError;

    fn from_str(input: &str) -> Result<OrderBy, ParamError> {
        parse_list(input, true).map(|items| OrderBy { items })
    }
}

/// Builds an [`OrderBy`] from paths given as text; made by [`OrderBy::builder`].
///
/// The first invalid path is kept and returned by [`OrderByBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "call `build()` to get the OrderBy"]
pub struct OrderByBuilder {
    items: Result<Vec<(FieldPath, Direction)>, ParamError>,
}

impl OrderByBuilder {
    /// Appends `path asc`.
    pub fn asc(self, path: &str) -> OrderByBuilder {
        self.then(path, Direction::Asc)
    }

    /// Appends `path desc`.
    pub fn desc(self, path: &str) -> OrderByBuilder {
        self.then(path, Direction::Desc)
    }

    /// Appends `path` with the given direction.
    pub fn then(self, path: &str, direction: Direction) -> OrderByBuilder {
        OrderByBuilder {
            items: self.items.and_then(|mut items| {
                items.push((field_path(path)?, direction));
                Ok(items)
            }),
        }
    }

    /// The list, or the first invalid path.
    pub fn build(self) -> Result<OrderBy, ParamError> {
        self.items.map(|items| OrderBy { items })
    }
}

impl TryFrom<OrderByBuilder> for OrderBy {
    type Error = ParamError;

    fn try_from(builder: OrderByBuilder) -> Result<OrderBy, ParamError> {
        builder.build()
    }
}

/// A parsed or built `fields` value: the field paths to return, in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Fields {
    items: Vec<FieldPath>,
}

impl Fields {
    /// An empty list.
    pub fn new() -> Fields {
        Fields::default()
    }

    /// A builder taking paths as text: `Fields::builder().field("id").field("status/name")`.
    pub fn builder() -> FieldsBuilder {
        FieldsBuilder {
            items: Ok(Vec::new()),
        }
    }

    /// Appends a field that is already a [`FieldPath`] (infallible).
    pub fn push(&mut self, field: FieldPath) {
        self.items.push(field);
    }

    /// The fields, in order.
    pub fn as_slice(&self) -> &[FieldPath] {
        &self.items
    }

    /// The fields, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, FieldPath> {
        self.items.iter()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when no field is listed.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl FromIterator<FieldPath> for Fields {
    fn from_iter<I: IntoIterator<Item = FieldPath>>(iter: I) -> Fields {
        Fields {
            items: iter.into_iter().collect(),
        }
    }
}

impl IntoIterator for Fields {
    type Item = FieldPath;
    type IntoIter = std::vec::IntoIter<FieldPath>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'a> IntoIterator for &'a Fields {
    type Item = &'a FieldPath;
    type IntoIter = std::slice::Iter<'a, FieldPath>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// Prints the canonical form `id,summary,status/name`.
impl fmt::Display for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, field) in self.items.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{field}")?;
        }
        Ok(())
    }
}

/// Parses `id,summary,status/name`: comma-separated field paths, with any whitespace around
/// items.
impl FromStr for Fields {
    type Err = ParamError;

    fn from_str(input: &str) -> Result<Fields, ParamError> {
        let items = parse_list(input, false)?;
        Ok(Fields {
            items: items.into_iter().map(|(field, _)| field).collect(),
        })
    }
}

/// Builds a [`Fields`] from paths given as text; made by [`Fields::builder`].
///
/// The first invalid path is kept and returned by [`FieldsBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "call `build()` to get the Fields"]
pub struct FieldsBuilder {
    items: Result<Vec<FieldPath>, ParamError>,
}

impl FieldsBuilder {
    /// Appends a field.
    pub fn field(self, path: &str) -> FieldsBuilder {
        FieldsBuilder {
            items: self.items.and_then(|mut items| {
                items.push(field_path(path)?);
                Ok(items)
            }),
        }
    }

    /// The list, or the first invalid path.
    pub fn build(self) -> Result<Fields, ParamError> {
        self.items.map(|items| Fields { items })
    }
}

impl TryFrom<FieldsBuilder> for Fields {
    type Error = ParamError;

    fn try_from(builder: FieldsBuilder) -> Result<Fields, ParamError> {
        builder.build()
    }
}

/// An invalid `orderBy` or `fields` value: what is wrong, and the byte offset in the input where
/// it is. For a builder, the input is the one path that was invalid.
///
/// `Display` prints the message, then the input with a caret under the offending position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    input: String,
    offset: usize,
    message: String,
}

impl ParamError {
    fn new(input: &str, offset: usize, message: impl Into<String>) -> ParamError {
        ParamError {
            input: input.to_owned(),
            offset,
            message: message.into(),
        }
    }

    /// The byte offset of the problem in [`ParamError::input`] (its length at end of input).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What is wrong, without the position.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The text that was being parsed.
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} (at byte {})", self.message, self.offset)?;
        // Echo the input on one line (control characters as spaces) with a caret under the
        // offending character; the caret column counts characters, not bytes.
        let echo: String = self
            .input
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let column = self
            .input
            .get(..self.offset)
            .map_or(0, |before| before.chars().count());
        writeln!(f, "  {echo}")?;
        write!(f, "  {:column$}^", "")
    }
}

impl std::error::Error for ParamError {}

/// Parses one path given to a builder; the error's input is that path.
fn field_path(path: &str) -> Result<FieldPath, ParamError> {
    let end = path
        .bytes()
        .position(|b| !is_path_byte(b))
        .unwrap_or(path.len());
    if end < path.len() {
        let found = path[end..].chars().next().unwrap_or(' ');
        return Err(ParamError::new(
            path,
            end,
            format!("unexpected {} in field path", describe(found)),
        ));
    }
    check_path(path, 0, end)
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'/'
}

/// Validates `input[start..end]` (only path bytes) as a [`FieldPath`], pointing at the first
/// bad segment.
fn check_path(input: &str, start: usize, end: usize) -> Result<FieldPath, ParamError> {
    let text = &input[start..end];
    let mut offset = start;
    for segment in text.split('/') {
        if segment.is_empty() {
            return Err(ParamError::new(
                input,
                offset,
                "empty segment in field path (a path is identifiers joined by single `/`)",
            ));
        }
        if segment.as_bytes()[0].is_ascii_digit() {
            return Err(ParamError::new(
                input,
                offset,
                format!(
                    "field path segment `{segment}` starts with a digit; a segment must start \
                     with a letter or `_`"
                ),
            ));
        }
        offset += segment.len() + 1;
    }
    FieldPath::new(text).ok_or_else(|| ParamError::new(input, start, "invalid field path"))
}

fn describe(c: char) -> String {
    if c.is_control() || c.is_whitespace() {
        format!("character {c:?}")
    } else {
        format!("character `{c}`")
    }
}

fn skip_whitespace(bytes: &[u8], mut pos: usize) -> usize {
    while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
        pos += 1;
    }
    pos
}

/// The shared grammar: `list := "" | item ("," item)*`, `item := ws* path ws* (direction ws*)?`
/// (direction only when `with_direction`). Every index used for slicing is at an ASCII byte, so
/// slices are always on character boundaries.
fn parse_list(
    input: &str,
    with_direction: bool,
) -> Result<Vec<(FieldPath, Direction)>, ParamError> {
    let bytes = input.as_bytes();
    let mut items = Vec::new();
    let mut pos = skip_whitespace(bytes, 0);
    if pos == bytes.len() {
        return Ok(items);
    }
    loop {
        // The field path.
        let start = pos;
        while pos < bytes.len() && is_path_byte(bytes[pos]) {
            pos += 1;
        }
        if pos == start {
            let message = match input[pos..].chars().next() {
                None | Some(',') => {
                    "empty item: expected a field path (two commas in a row, or a leading or \
                     trailing comma?)"
                        .to_owned()
                }
                Some(c) => format!("expected a field path, found {}", describe(c)),
            };
            return Err(ParamError::new(input, pos, message));
        }
        let field = check_path(input, start, pos)?;
        if pos < bytes.len() && !bytes[pos].is_ascii_whitespace() && bytes[pos] != b',' {
            let found = input[pos..].chars().next().unwrap_or(' ');
            return Err(ParamError::new(
                input,
                pos,
                format!("unexpected {} in field path", describe(found)),
            ));
        }
        pos = skip_whitespace(bytes, pos);

        // The direction, if any.
        let mut direction = Direction::Asc;
        if pos < bytes.len() && bytes[pos] != b',' {
            let word_start = pos;
            while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() && bytes[pos] != b',' {
                pos += 1;
            }
            let word = &input[word_start..pos];
            let expected = if with_direction {
                "`asc`, `desc`, `,` or the end"
            } else {
                "`,` or the end"
            };
            if with_direction && word.eq_ignore_ascii_case("asc") {
                direction = Direction::Asc;
            } else if with_direction && word.eq_ignore_ascii_case("desc") {
                direction = Direction::Desc;
            } else {
                return Err(ParamError::new(
                    input,
                    word_start,
                    format!("expected {expected} after field `{field}`, found `{word}`"),
                ));
            }
            pos = skip_whitespace(bytes, pos);
            if pos < bytes.len() && bytes[pos] != b',' {
                let word_end = input[pos..]
                    .find(|c: char| c.is_ascii_whitespace() || c == ',')
                    .map_or(input.len(), |n| pos + n);
                return Err(ParamError::new(
                    input,
                    pos,
                    format!(
                        "expected `,` or the end after `{field} {direction}`, found `{}`",
                        &input[pos..word_end]
                    ),
                ));
            }
        }
        items.push((field, direction));

        if pos == bytes.len() {
            return Ok(items);
        }
        // bytes[pos] is ','.
        pos = skip_whitespace(bytes, pos + 1);
    }
}
