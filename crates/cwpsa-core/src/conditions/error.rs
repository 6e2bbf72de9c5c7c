//! Positioned parse errors for the conditions language.

use std::fmt::{self, Write as _};

/// Why a conditions string could not be parsed, and where.
///
/// The offset is a byte offset into the input, always on a `char` boundary and never past the
/// end, so `&input[..err.offset()]` is safe. [`ParseError::render`] shows the expression with a
/// caret under the fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(Box<Inner>);

/// Boxed so that the parser's `Result`s stay small on the success path.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    offset: usize,
    expected: String,
    hint: Option<String>,
}

/// How many characters of a long line to show on each side of the caret.
const HALF_WINDOW: usize = 30;
/// Lines up to this many characters are shown whole.
const MAX_WHOLE_LINE: usize = 80;

impl ParseError {
    // Errors are the rare path: keeping their construction out of line keeps the lexer's and
    // parser's hot paths small.
    #[cold]
    #[inline(never)]
    pub(crate) fn new(offset: usize, expected: impl Into<String>) -> ParseError {
        ParseError(Box::new(Inner {
            offset,
            expected: expected.into(),
            hint: None,
        }))
    }

    #[must_use]
    #[cold]
    #[inline(never)]
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> ParseError {
        self.0.hint = Some(hint.into());
        self
    }

    /// The byte offset of the fault in the input.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// What the parser expected at [`offset`](Self::offset), e.g. `a value after '='`.
    pub fn expected(&self) -> &str {
        &self.0.expected
    }

    /// A suggestion for fixing the input, when there is an obvious one.
    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    /// The message, the line of `source` holding the fault and a caret under it:
    ///
    /// ```text
    /// expected a value after '=' at 14 (text values need quotes: "New")
    ///   status/name = New
    ///                 ^
    /// ```
    ///
    /// Long lines are cut to a window around the fault; the caret counts characters, not bytes,
    /// so it lines up under multi-byte text. `source` should be the string that was parsed.
    pub fn render(&self, source: &str) -> String {
        let offset = floor_char_boundary(source, self.0.offset);
        let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
        let line_end = source[offset..]
            .find('\n')
            .map_or(source.len(), |i| offset + i);
        let line = &source[line_start..line_end];
        let column = source[line_start..offset].chars().count();
        let line_chars = line.chars().count();

        let (first, last) = if line_chars <= MAX_WHOLE_LINE {
            (0, line_chars)
        } else {
            let first = column.saturating_sub(HALF_WINDOW);
            (first, (column + HALF_WINDOW).min(line_chars))
        };

        let mut out = self.to_string();
        if line_start > 0 {
            let line_number = source[..line_start].matches('\n').count() + 1;
            let _ = write!(out, " (line {line_number}, column {})", column + 1);
        }
        out.push_str("\n  ");
        let mut caret_column = column - first;
        if first > 0 {
            out.push_str("...");
            caret_column += 3;
        }
        // Control characters (tabs, carriage returns) would move the caret; show them as spaces.
        out.extend(
            line.chars()
                .skip(first)
                .take(last - first)
                .map(|c| if c.is_control() { ' ' } else { c }),
        );
        if last < line_chars {
            out.push_str("...");
        }
        out.push_str("\n  ");
        out.extend(std::iter::repeat_n(' ', caret_column));
        out.push('^');
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "expected {} at {}", self.0.expected, self.0.offset)?;
        if let Some(hint) = &self.0.hint {
            write!(f, " ({hint})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// The largest char boundary not after `offset` (clamped to the string's length).
pub(crate) fn floor_char_boundary(s: &str, offset: usize) -> usize {
    let mut i = offset.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_what_and_where() {
        let e = ParseError::new(14, "a value after '='");
        assert_eq!(e.to_string(), "expected a value after '=' at 14");
        let e = e.with_hint("text values need quotes: \"New\"");
        assert_eq!(
            e.to_string(),
            "expected a value after '=' at 14 (text values need quotes: \"New\")"
        );
    }

    #[test]
    fn caret_under_the_offset() {
        let e = ParseError::new(14, "a value after '='");
        let r = e.render("status/name = New");
        let lines: Vec<&str> = r.lines().collect();
        assert_eq!(lines[1], "  status/name = New");
        assert_eq!(lines[2], "                ^");
    }

    #[test]
    fn caret_counts_chars_not_bytes() {
        // "é" and "日本" are multi-byte: the caret must still sit under the 'x'.
        let src = "name = \"é日本\" x";
        let offset = src.find('x').unwrap_or(0);
        let r = ParseError::new(offset, "'and'").render(src);
        let lines: Vec<&str> = r.lines().collect();
        let caret = lines[2].chars().count() - 1;
        assert_eq!(lines[1].chars().nth(caret), Some('x'));
    }

    #[test]
    fn long_lines_show_a_window() {
        let src = format!(
            "{}status/name = New{}",
            "a".repeat(500_000),
            "b".repeat(500_000)
        );
        let offset = 500_000 + 14;
        let r = ParseError::new(offset, "a value").render(&src);
        assert!(r.len() < 300, "render too long: {}", r.len());
        let lines: Vec<&str> = r.lines().collect();
        let caret = lines[2].chars().count() - 1;
        assert_eq!(lines[1].chars().nth(caret), Some('N'));
        assert!(lines[1].starts_with("  ..."));
        assert!(lines[1].ends_with("..."));
    }

    #[test]
    fn offset_past_the_end_and_inside_a_char_are_clamped() {
        let r = ParseError::new(99, "x").render("é");
        assert!(r.ends_with("\n   ^"), "{r:?}");
        let r = ParseError::new(1, "x").render("é");
        assert!(r.ends_with("\n  ^"), "{r:?}");
    }

    #[test]
    fn multi_line_input_shows_the_faulty_line() {
        let src = "a = 1\nand b = \nor c = 2";
        let r = ParseError::new(14, "a value").render(src);
        let lines: Vec<&str> = r.lines().collect();
        assert!(lines[0].ends_with("(line 2, column 9)"), "{}", lines[0]);
        assert_eq!(lines[1], "  and b = ");
        assert_eq!(lines[2], "          ^");
    }
}
