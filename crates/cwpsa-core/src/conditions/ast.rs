//! The syntax tree of the conditions language.
//!
//! The tree is deliberately minimal: parentheses leave no node behind (grouping is implied by
//! the shape of the tree), and a chain `a and b and c` is one `And` node with three operands,
//! exactly as the parser builds it (one node per chain rather than one per connective keeps
//! parsing to a single allocation per chain). The printer (`Display`) adds whatever parentheses
//! are needed so that `parse(&expr.to_string()) == Ok(expr)` for every tree.

/// A whole conditions expression (also used for `childConditions` and `customFieldConditions`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// `field op value`, e.g. `status/name = "New"`.
    Compare(Comparison),
    /// `field in (a, b)` or `field not in (a, b)`.
    In(Membership),
    /// `not <expr>`.
    Not(Box<Expr>),
    /// `a and b and c`: one node for the whole chain. A parenthesised operand stays a node of
    /// its own, so `(a and b) and c` is `And[And[a, b], c]`.
    And(Operands),
    /// `a or b or c`, like [`Expr::And`].
    Or(Operands),
}

/// The operands of an `and` or `or` chain: always at least two, in order.
///
/// The lower bound is what keeps every tree printable: a one-operand `and` would print as its
/// operand alone and read back as a different tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operands(Vec<Expr>);

/// A comparison of one field with one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    pub field: FieldPath,
    pub op: CompareOp,
    pub value: Value,
}

/// A test of one field against a list of values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub field: FieldPath,
    /// `true` for `not in`.
    pub negated: bool,
    pub values: Vec<Value>,
}

/// The comparison operators. `in`/`not in` take a list and live in [`Membership`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
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
}

impl CompareOp {
    /// The operator as the canonical form writes it (`=`, `not contains`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "=",
            CompareOp::Ne => "!=",
            CompareOp::Lt => "<",
            CompareOp::Le => "<=",
            CompareOp::Gt => ">",
            CompareOp::Ge => ">=",
            CompareOp::Contains => "contains",
            CompareOp::NotContains => "not contains",
            CompareOp::Like => "like",
            CompareOp::NotLike => "not like",
        }
    }
}

/// A field path such as `company/id` or `_info/lastUpdated`: one or more segments joined by `/`.
///
/// Segments keep the spelling the user wrote; the server (and the schema registry) compare them
/// case-insensitively. A valid segment is an ASCII identifier: a letter or `_`, then letters,
/// digits or `_`.
///
/// The path is held as its text (`company/id`): inline when it is short (as nearly all are), in
/// a single allocation otherwise. [`FieldPath::segments`] splits it on demand. Equality and
/// hashing compare that exact text.
#[derive(Clone)]
pub struct FieldPath(Compact);

/// The text of a string value: it dereferences to `str` and converts from and into `String`.
///
/// Held inline when it is short (as the names and words compared in conditions nearly always
/// are), so parsing a string value allocates nothing; longer text takes a single allocation.
/// Equality, ordering and hashing are those of the text.
#[derive(Clone, Default)]
pub struct Text(Compact);

/// The longest text kept inline; 22 keeps a [`Compact`] at 24 bytes, the size of a `String`.
const INLINE: usize = 22;

/// Text of up to [`INLINE`] bytes, always inline, or longer text, always on the heap.
#[derive(Clone)]
enum Compact {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<str>),
}

impl Compact {
    fn new(text: &str) -> Compact {
        if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            Compact::Inline {
                len: text.len() as u8,
                bytes,
            }
        } else {
            Compact::Heap(text.into())
        }
    }

    /// `input[start..end]`, which must be on char boundaries. When the input runs on for
    /// [`INLINE`] bytes from `start`, those are copied whole: a fixed-size copy is a few moves,
    /// where one of a variable length is a call. The bytes past `end` are never read back.
    fn from_input(input: &str, start: usize, end: usize) -> Compact {
        let len = end - start;
        match input.as_bytes().get(start..).and_then(<[u8]>::first_chunk) {
            Some(window) if len <= INLINE => Compact::Inline {
                len: len as u8,
                bytes: *window,
            },
            _ => Compact::new(&input[start..end]),
        }
    }

    /// Keeps the allocation of long text.
    fn from_string(text: String) -> Compact {
        if text.len() <= INLINE {
            Compact::new(&text)
        } else {
            Compact::Heap(text.into_boxed_str())
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Only whole `str`s are stored inline, so this never falls back to "".
            Compact::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Compact::Heap(text) => text,
        }
    }

    fn into_string(self) -> String {
        match self {
            Compact::Inline { .. } => self.as_str().to_owned(),
            Compact::Heap(text) => text.into_string(),
        }
    }
}

impl Default for Compact {
    fn default() -> Compact {
        Compact::Inline {
            len: 0,
            bytes: [0; INLINE],
        }
    }
}

/// A scalar value in a comparison or an `in` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string; printed with whichever quote character it does not contain.
    String(Text),
    /// A whole number, e.g. `12` or `-3`.
    Integer(i64),
    /// A number with a fractional part, kept exactly as written (e.g. `2.50`).
    Decimal(Decimal),
    /// `true` / `false` (any case on input, lower case on output).
    Bool(bool),
    /// `null`.
    Null,
    /// `[2024-01-01T00:00:00Z]`; a date-only `[2024-01-01]` parses as midnight UTC.
    DateTime(DateTime),
}

/// A decimal number held as its exact text (`-?digits.digits`), so that printing and parsing
/// never lose precision the way a float would.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decimal(String);

/// A UTC date-time with millisecond precision, validated (month 1-12, day within the month,
/// hour < 24, minute and second < 60, year 0-9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime {
    pub(crate) year: u16,
    pub(crate) month: u8,
    pub(crate) day: u8,
    pub(crate) hour: u8,
    pub(crate) minute: u8,
    pub(crate) second: u8,
    pub(crate) millis: u16,
}

impl Operands {
    /// `first` and `second`, to which more can be pushed.
    pub fn new(first: Expr, second: Expr) -> Operands {
        let mut operands = Vec::with_capacity(4);
        operands.push(first);
        operands.push(second);
        Operands(operands)
    }

    /// The operands in `operands`, or `None` when there are fewer than two.
    pub fn from_vec(operands: Vec<Expr>) -> Option<Operands> {
        (operands.len() >= 2).then_some(Operands(operands))
    }

    /// For the parser, which has collected at least two.
    pub(crate) fn from_parsed(operands: Vec<Expr>) -> Operands {
        debug_assert!(operands.len() >= 2);
        Operands(operands)
    }

    /// Appends an operand at the end of the chain.
    pub fn push(&mut self, operand: Expr) {
        self.0.push(operand);
    }

    pub fn as_slice(&self) -> &[Expr] {
        &self.0
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Expr> {
        self.0.iter()
    }

    /// How many operands there are (two or more).
    #[allow(clippy::len_without_is_empty)] // never empty
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn into_vec(self) -> Vec<Expr> {
        self.0
    }
}

impl<'a> IntoIterator for &'a Operands {
    type Item = &'a Expr;
    type IntoIter = std::slice::Iter<'a, Expr>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl IntoIterator for Operands {
    type Item = Expr;
    type IntoIter = std::vec::IntoIter<Expr>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl FieldPath {
    /// Parses `company/id` into a path; `None` when a segment is empty or not an identifier.
    pub fn new(path: &str) -> Option<FieldPath> {
        is_path(path).then(|| FieldPath::from_checked(path))
    }

    /// Builds a path from segments, each of which must be an identifier; `None` when there are
    /// no segments or one is not an identifier.
    pub fn from_segments<I, S>(segments: I) -> Option<FieldPath>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut path = String::new();
        for segment in segments {
            let segment = segment.as_ref();
            if !is_identifier(segment) {
                return None;
            }
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(segment);
        }
        (!path.is_empty()).then(|| FieldPath::from_checked(&path))
    }

    /// The segments in order: `company/id` yields `company`, then `id`.
    pub fn segments(&self) -> std::str::Split<'_, char> {
        self.as_str().split('/')
    }

    /// The whole path as written, e.g. `company/id`.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// For the parser, whose lexer has already checked every segment.
    pub(crate) fn from_checked(path: &str) -> FieldPath {
        debug_assert!(is_path(path));
        FieldPath(Compact::new(path))
    }

    /// [`FieldPath::from_checked`] for `input[start..end]`.
    pub(crate) fn from_checked_input(input: &str, start: usize, end: usize) -> FieldPath {
        debug_assert!(is_path(&input[start..end]));
        FieldPath(Compact::from_input(input, start, end))
    }

    /// True when the path is the single segment `name` (compared case-insensitively, as the
    /// language compares keywords).
    pub(crate) fn is_word(&self, name: &str) -> bool {
        !name.contains('/') && self.as_str().eq_ignore_ascii_case(name)
    }
}

impl PartialEq for FieldPath {
    fn eq(&self, other: &FieldPath) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for FieldPath {}

impl std::hash::Hash for FieldPath {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl std::fmt::Debug for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("FieldPath").field(&self.as_str()).finish()
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Text {
    pub fn new(text: &str) -> Text {
        Text(Compact::new(text))
    }

    /// `input[start..end]` (on char boundaries), for the parser.
    pub(crate) fn from_input(input: &str, start: usize, end: usize) -> Text {
        Text(Compact::from_input(input, start, end))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    pub fn into_string(self) -> String {
        self.0.into_string()
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Text {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text::new(text)
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(Compact::from_string(text))
    }
}

impl From<Text> for String {
    fn from(text: Text) -> String {
        text.into_string()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Text {
    fn cmp(&self, other: &Text) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Text {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// Like a `str`: `"New"`.
impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The bare text, unquoted (`Value`'s `Display` quotes it).
impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// True for one or more identifiers joined by `/`.
fn is_path(path: &str) -> bool {
    path.split('/').all(is_identifier)
}

/// True for an ASCII identifier: a letter or `_`, then letters, digits or `_`.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Decimal {
    /// Accepts `-?[0-9]+\.[0-9]+` exactly; anything else is `None`.
    pub fn new(text: &str) -> Option<Decimal> {
        let unsigned = text.strip_prefix('-').unwrap_or(text);
        let (whole, fraction) = unsigned.split_once('.')?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        (digits(whole) && digits(fraction)).then(|| Decimal(text.to_owned()))
    }

    /// The exact text, e.g. `2.50`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nearest `f64`.
    pub fn to_f64(&self) -> f64 {
        // The text is validated digits, so this parse cannot fail; 0.0 is unreachable.
        self.0.parse().unwrap_or(0.0)
    }
}

impl DateTime {
    /// A validated UTC date-time; `None` when any part is out of range.
    pub fn new(
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        millis: u16,
    ) -> Option<DateTime> {
        let valid = year <= 9999
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60
            && millis < 1000;
        valid.then_some(DateTime {
            year,
            month,
            day,
            hour,
            minute,
            second,
            millis,
        })
    }

    /// Midnight UTC of a date.
    pub fn date(year: u16, month: u8, day: u8) -> Option<DateTime> {
        DateTime::new(year, month, day, 0, 0, 0, 0)
    }

    pub fn year(self) -> u16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }
    pub fn hour(self) -> u8 {
        self.hour
    }
    pub fn minute(self) -> u8 {
        self.minute
    }
    pub fn second(self) -> u8 {
        self.second
    }
    pub fn millis(self) -> u16 {
        self.millis
    }
}

/// Prints the wire form `2024-01-01T00:00:00Z` (with `.mmm` only when milliseconds are set);
/// this is also how records carry date-times, so the text sorts chronologically.
impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.millis != 0 {
            write!(f, ".{:03}", self.millis)?;
        }
        f.write_str("Z")
    }
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    crate::calendar::days_in_month(i64::from(year), i64::from(month)) as u8
}

#[cfg(test)]
mod tests {
    use super::FieldPath;

    #[test]
    fn field_paths_keep_their_text_and_split_into_segments() {
        let p = FieldPath::new("_info/lastUpdated");
        assert_eq!(p.as_ref().map(FieldPath::as_str), Some("_info/lastUpdated"));
        assert_eq!(
            p.as_ref().map(|p| p.segments().collect::<Vec<_>>()),
            Some(vec!["_info", "lastUpdated"])
        );
        let id = FieldPath::new("id");
        assert_eq!(
            id.as_ref().map(|p| p.segments().collect::<Vec<_>>()),
            Some(vec!["id"])
        );
        assert_eq!(FieldPath::from_segments(["_info", "lastUpdated"]), p);
        assert_eq!(
            FieldPath::from_segments(vec![String::from("a1")]),
            FieldPath::new("a1")
        );
        assert_ne!(FieldPath::new("Company/id"), FieldPath::new("company/id"));
    }

    #[test]
    fn short_and_long_paths_behave_alike() {
        use std::collections::HashSet;
        // 22 bytes (the longest kept inline), 23 bytes and a long one.
        let texts = [
            "abcdefghij/klmnopqrstu",
            "abcdefghij/klmnopqrstuv",
            "communicationItems/communicationType",
        ];
        for text in texts {
            let p = FieldPath::new(text);
            assert_eq!(p.as_ref().map(FieldPath::as_str), Some(text));
            assert_eq!(p.as_ref().map(ToString::to_string).as_deref(), Some(text));
            assert_eq!(
                p.as_ref().map(|p| p.segments().collect::<Vec<_>>()),
                Some(text.split('/').collect())
            );
            assert_eq!(FieldPath::from_segments(text.split('/')), p);
            assert_eq!(p.clone(), p);
        }
        let set: HashSet<FieldPath> = texts.iter().filter_map(|t| FieldPath::new(t)).collect();
        assert_eq!(set.len(), 3);
        assert!(
            texts
                .iter()
                .all(|t| FieldPath::new(t).is_some_and(|p| set.contains(&p)))
        );
        assert_ne!(FieldPath::new(texts[0]), FieldPath::new(texts[1]));
        assert_eq!(
            format!("{:?}", FieldPath::new("a/b")),
            r#"Some(FieldPath("a/b"))"#
        );
    }

    #[test]
    fn short_and_long_texts_behave_alike() {
        use super::Text;
        use std::collections::HashSet;
        // Empty, 22 bytes (the longest kept inline), 23 bytes, multi-byte and long text.
        let texts = [
            "",
            "abcdefghij\"klmnopqrs'u",
            "abcdefghij\"klmnopqrs'uv",
            "é日🎉 and é日🎉",
            "a much longer string value than any inline one",
        ];
        for text in texts {
            let t = Text::from(text);
            assert_eq!(t.as_str(), text);
            assert_eq!(&*t, text);
            assert_eq!(t, text);
            assert_eq!(t, Text::from(text.to_owned()));
            assert_eq!(t.to_string(), text);
            assert_eq!(format!("{t:?}"), format!("{text:?}"));
            assert_eq!(String::from(t.clone()), text);
            assert_eq!(t.clone().into_string(), text);
        }
        let set: HashSet<Text> = texts.iter().map(|&t| Text::from(t)).collect();
        assert_eq!(set.len(), texts.len());
        assert!(set.contains("é日🎉 and é日🎉"));
        let (a, b) = (Text::from("a"), Text::from("b"));
        assert!(a < b);
        assert_eq!(Text::default(), "");
    }

    #[test]
    fn invalid_field_paths_are_rejected() {
        for bad in ["", "/", "a/", "/a", "a//b", "1a", "a/1b", "a b", "a-b", "é"] {
            assert_eq!(FieldPath::new(bad), None, "{bad:?}");
        }
        assert_eq!(FieldPath::from_segments(Vec::<String>::new()), None);
        assert_eq!(FieldPath::from_segments([""]), None);
        assert_eq!(FieldPath::from_segments(["a/b"]), None);
        assert_eq!(FieldPath::from_segments(["a", "2"]), None);
    }

    #[test]
    fn is_word_is_a_case_insensitive_single_segment_match() {
        let word = |p: &str, w: &str| FieldPath::new(p).is_some_and(|p| p.is_word(w));
        assert!(word("NOT", "not"));
        assert!(!word("not/x", "not"));
        assert!(!word("x/not", "not"));
        assert!(!word("nots", "not"));
    }
}
