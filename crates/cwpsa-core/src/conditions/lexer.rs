//! A byte-level lexer for the conditions language.
//!
//! Tokens are produced on demand and carry only spans (plus the already-decoded number or
//! date-time), so lexing allocates nothing; the parser copies text out only when it builds the
//! tree. The lexer is `Copy`, which makes lookahead a matter of lexing on a copy.

use super::ast::{CompareOp, DateTime, days_in_month};
use super::error::ParseError;
use crate::calendar::{civil_from_days, days_from_civil};

/// What a token is. Spans live in [`Token`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    LParen,
    RParen,
    Comma,
    /// One of `= != < <= > >=`.
    Op(CompareOp),
    /// An identifier or a `/`-joined path of identifiers; keywords are words too.
    Word {
        path: bool,
    },
    /// A quoted string; the span includes the quotes. `escaped` when it holds a backslash.
    Str {
        escaped: bool,
    },
    Int(i64),
    /// A decimal number; its text is the span.
    Dec,
    DateTime(DateTime),
    /// A character that starts no token (`$`, `&`, `é`, ...).
    Unknown,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub kind: Kind,
    /// The keyword a single-segment word spells, decided once here rather than at every use.
    pub kw: Option<Keyword>,
    pub start: usize,
    pub end: usize,
}

/// Keywords, matched case-insensitively and only as whole single-segment words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    In,
    Contains,
    Like,
    True,
    False,
    Null,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Lexer<'a> {
    text: &'a str,
    pos: usize,
}

const IDENT_START: u8 = 1;
const IDENT_CONTINUE: u8 = 2;
const SPACE: u8 = 4;

/// Byte classes, so that the hot loops test one table entry per byte.
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphabetic() || b == b'_' {
            table[i] = IDENT_START | IDENT_CONTINUE;
        } else if b.is_ascii_digit() {
            table[i] = IDENT_CONTINUE;
        } else if b.is_ascii_whitespace() {
            table[i] = SPACE;
        }
        i += 1;
    }
    table
};

fn is_ident_start(b: u8) -> bool {
    CLASS[usize::from(b)] & IDENT_START != 0
}

fn is_ident_continue(b: u8) -> bool {
    CLASS[usize::from(b)] & IDENT_CONTINUE != 0
}

/// The index of the first byte at or after `i` not in `class` (or the length).
fn skip(bytes: &[u8], mut i: usize, class: u8) -> usize {
    // A plain index loop: runs are short (a space, a word), so setting up a sub-slice and an
    // iterator costs more than it saves.
    while let Some(&b) = bytes.get(i) {
        if CLASS[usize::from(b)] & class == 0 {
            break;
        }
        i += 1;
    }
    i
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Lexer<'a> {
        Lexer { text, pos: 0 }
    }

    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.bytes().get(i).copied()
    }

    /// The keyword a word spells, if any.
    fn keyword(w: &[u8]) -> Option<Keyword> {
        let is = |k: &str| w.eq_ignore_ascii_case(k.as_bytes());
        // Dispatch on length first: most words are field names and fail here cheaply.
        match w.len() {
            2 if is("or") => Some(Keyword::Or),
            2 if is("in") => Some(Keyword::In),
            3 if is("and") => Some(Keyword::And),
            3 if is("not") => Some(Keyword::Not),
            4 if is("like") => Some(Keyword::Like),
            4 if is("true") => Some(Keyword::True),
            4 if is("null") => Some(Keyword::Null),
            5 if is("false") => Some(Keyword::False),
            8 if is("contains") => Some(Keyword::Contains),
            _ => None,
        }
    }

    pub(crate) fn next_token(&mut self) -> Result<Token, ParseError> {
        let mut tok = Token {
            kind: Kind::Eof,
            kw: None,
            start: 0,
            end: 0,
        };
        self.advance(&mut tok)?;
        Ok(tok)
    }

    /// Lexes the next token into `tok`. Writing in place (rather than returning the token in a
    /// `Result`) spares the parser a copy of every token; on an error `tok` is left as it was.
    pub(crate) fn advance(&mut self, tok: &mut Token) -> Result<(), ParseError> {
        let bytes = self.bytes();
        let start = skip(bytes, self.pos, SPACE);
        self.pos = start;
        let Some(b) = self.byte(start) else {
            *tok = Token {
                kind: Kind::Eof,
                kw: None,
                start,
                end: start,
            };
            return Ok(());
        };
        let simple = |kind, len: usize| Token {
            kind,
            kw: None,
            start,
            end: start + len,
        };
        let next = match b {
            b'(' => simple(Kind::LParen, 1),
            b')' => simple(Kind::RParen, 1),
            b',' => simple(Kind::Comma, 1),
            b'=' => simple(Kind::Op(CompareOp::Eq), 1),
            b'!' if bytes.get(start + 1) == Some(&b'=') => simple(Kind::Op(CompareOp::Ne), 2),
            b'<' if bytes.get(start + 1) == Some(&b'=') => simple(Kind::Op(CompareOp::Le), 2),
            b'<' => simple(Kind::Op(CompareOp::Lt), 1),
            b'>' if bytes.get(start + 1) == Some(&b'=') => simple(Kind::Op(CompareOp::Ge), 2),
            b'>' => simple(Kind::Op(CompareOp::Gt), 1),
            b'"' | b'\'' => self.string(start, b)?,
            b'[' => self.bracketed_date_time(start)?,
            b'-' | b'0'..=b'9' => self.number(start)?,
            b if is_ident_start(b) => self.word(start)?,
            _ => {
                let len = self.text[start..].chars().next().map_or(1, char::len_utf8);
                simple(Kind::Unknown, len)
            }
        };
        self.pos = next.end;
        *tok = next;
        Ok(())
    }

    fn word(&self, start: usize) -> Result<Token, ParseError> {
        let bytes = self.bytes();
        let mut i = start;
        let mut path = false;
        loop {
            i = skip(bytes, i + 1, IDENT_CONTINUE);
            if bytes.get(i) != Some(&b'/') {
                break;
            }
            path = true;
            i += 1;
            if !bytes.get(i).is_some_and(|&b| is_ident_start(b)) {
                return Err(ParseError::new(
                    floor(self.text, i),
                    "a field name after '/' (a letter or '_', then letters, digits or '_')",
                ));
            }
        }
        Ok(Token {
            kind: Kind::Word { path },
            kw: if path {
                None
            } else {
                Lexer::keyword(&bytes[start..i])
            },
            start,
            end: i,
        })
    }

    fn string(&self, start: usize, quote: u8) -> Result<Token, ParseError> {
        let bytes = self.bytes();
        let mut i = start + 1;
        let mut escaped = false;
        // Only ASCII bytes matter here, so scanning bytes inside UTF-8 text is safe.
        while let Some(&b) = bytes.get(i) {
            if b == quote {
                return Ok(Token {
                    kind: Kind::Str { escaped },
                    kw: None,
                    start,
                    end: i + 1,
                });
            }
            if b == b'\\' {
                escaped = true;
                if matches!(bytes.get(i + 1), Some(b'"' | b'\'' | b'\\')) {
                    i += 1;
                }
            }
            i += 1;
        }
        let q = quote as char;
        Err(ParseError::new(
            start,
            format!("a closing {q} for the string that starts here"),
        )
        .with_hint(format!("write a {q} inside the string as \\{q}")))
    }

    fn number(&self, start: usize) -> Result<Token, ParseError> {
        let bytes = self.bytes();
        let negative = bytes[start] == b'-';
        let digits_start = start + usize::from(negative);
        let mut i = digits_start;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == digits_start {
            return Err(ParseError::new(floor(self.text, i), "a digit after '-'"));
        }
        // The seed writes dates bare (`dateEntered>2024-01-01`): four digits then `-digit` can
        // only be a date, since the language has no arithmetic.
        if !negative
            && i - start == 4
            && bytes.get(i) == Some(&b'-')
            && bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
        {
            let mut end = i;
            while bytes
                .get(end)
                .is_some_and(|b| b.is_ascii_digit() || b"TtZz:+-.".contains(b))
            {
                end += 1;
            }
            let dt = parse_date_time(&self.text[start..end], start)?;
            return Ok(Token {
                kind: Kind::DateTime(dt),
                kw: None,
                start,
                end,
            });
        }
        let kind = if bytes.get(i) == Some(&b'.') {
            let fraction_start = i + 1;
            i = fraction_start;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == fraction_start {
                return Err(ParseError::new(
                    floor(self.text, i),
                    "a digit after the '.'",
                ));
            }
            Kind::Dec
        } else {
            Kind::Int(self.integer(start, digits_start, i, negative)?)
        };
        if bytes
            .get(i)
            .is_some_and(|&b| is_ident_continue(b) || b == b'.')
        {
            return Err(ParseError::new(
                i,
                "a space or an operator after the number",
            ));
        }
        Ok(Token {
            kind,
            kw: None,
            start,
            end: i,
        })
    }

    fn integer(
        &self,
        start: usize,
        digits_start: usize,
        end: usize,
        negative: bool,
    ) -> Result<i64, ParseError> {
        // Accumulate towards the sign so that i64::MIN itself fits.
        let mut value: i64 = 0;
        for &b in &self.bytes()[digits_start..end] {
            let digit = i64::from(b - b'0');
            let next = value.checked_mul(10).and_then(|v| {
                if negative {
                    v.checked_sub(digit)
                } else {
                    v.checked_add(digit)
                }
            });
            match next {
                Some(v) => value = v,
                None => {
                    return Err(ParseError::new(
                        start,
                        "a whole number between -9223372036854775808 and 9223372036854775807",
                    )
                    .with_hint(
                        "write larger numbers with a decimal point, e.g. 10000000000000000000.0",
                    ));
                }
            }
        }
        Ok(value)
    }

    fn bracketed_date_time(&self, start: usize) -> Result<Token, ParseError> {
        if let Some(dt) = self
            .bytes()
            .get(start + 1..)
            .and_then(<[u8]>::first_chunk::<21>)
            .and_then(canonical_date_time)
        {
            return Ok(Token {
                kind: Kind::DateTime(dt),
                kw: None,
                start,
                end: start + 22,
            });
        }
        // Date-times are short: a byte loop beats `str::find`'s setup.
        let Some(close) = self.bytes()[start..]
            .iter()
            .position(|&b| b == b']')
            .map(|i| start + i)
        else {
            return Err(ParseError::new(
                start,
                "a ']' to close the date-time that starts here",
            ));
        };
        let inner = &self.text[start + 1..close];
        let trimmed = inner.trim_start_matches(|c: char| c.is_ascii_whitespace());
        let inner_start = start + 1 + (inner.len() - trimmed.len());
        let trimmed = trimmed.trim_end_matches(|c: char| c.is_ascii_whitespace());
        let dt = parse_date_time(trimmed, inner_start)?;
        Ok(Token {
            kind: Kind::DateTime(dt),
            kw: None,
            start,
            end: close + 1,
        })
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ]`, the form the printer writes (and most clients send), read without
/// the general parser's detours; `None` for anything else, including an invalid date, which
/// [`parse_date_time`] then reads again to say what is wrong.
fn canonical_date_time(b: &[u8; 21]) -> Option<DateTime> {
    let shape = b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && b[20] == b']';
    if !shape {
        return None;
    }
    let digit = |i: usize| {
        let d = b[i].wrapping_sub(b'0');
        (d < 10).then_some(d)
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = u16::from(two(0)?) * 100 + u16::from(two(2)?);
    DateTime::new(year, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?, 0)
}

fn floor(text: &str, i: usize) -> usize {
    super::error::floor_char_boundary(text, i)
}

/// Parses `YYYY-MM-DD`, optionally followed by `T` (or a space) and `HH:MM[:SS[.fff]]`, and an
/// optional `Z` or `+hh:mm`/`-hh:mm` offset; the result is converted to UTC. `base` is the
/// offset of `text` in the whole input, for error positions.
#[allow(clippy::many_single_char_names)] // b, i, at, err, num: a tight little scanner.
pub(crate) fn parse_date_time(text: &str, base: usize) -> Result<DateTime, ParseError> {
    let b = text.as_bytes();
    let at = |i: usize| base + i.min(text.len());
    let err = |i: usize, what: &str| {
        // `i` may point inside a multi-byte char when the text is garbage; keep it on a boundary.
        ParseError::new(base + floor(text, i), what.to_owned())
            .with_hint("write date-times as [2024-01-31T13:45:00Z] or [2024-01-31]")
    };
    let num = |i: usize, n: usize| -> Option<u32> {
        let digits = b.get(i..i + n)?;
        digits.iter().all(u8::is_ascii_digit).then(|| {
            digits
                .iter()
                .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let expect_byte = |i: usize, c: u8, what: &str| {
        if b.get(i) == Some(&c) {
            Ok(())
        } else {
            Err(err(i, what))
        }
    };

    let year = num(0, 4).ok_or_else(|| err(0, "a four-digit year (YYYY-MM-DD)"))?;
    expect_byte(4, b'-', "'-' after the year (YYYY-MM-DD)")?;
    let month = num(5, 2).ok_or_else(|| err(5, "a two-digit month (YYYY-MM-DD)"))?;
    if !(1..=12).contains(&month) {
        return Err(err(5, "a month from 01 to 12"));
    }
    expect_byte(7, b'-', "'-' after the month (YYYY-MM-DD)")?;
    let day = num(8, 2).ok_or_else(|| err(8, "a two-digit day (YYYY-MM-DD)"))?;
    let (year, month) = (year as u16, month as u8);
    let max_day = days_in_month(year, month);
    if day < 1 || day > u32::from(max_day) {
        return Err(err(
            8,
            &format!("a day from 01 to {max_day:02} for that month"),
        ));
    }
    let day = day as u8;
    let mut i = 10;
    if i == b.len() {
        return DateTime::date(year, month, day).ok_or_else(|| err(0, "a valid date"));
    }
    if !matches!(b[i], b'T' | b't' | b' ') {
        return Err(err(i, "'T' and a time, or the end of the date"));
    }
    i += 1;
    let hour = num(i, 2).ok_or_else(|| err(i, "a two-digit hour (HH:MM:SS)"))?;
    if hour > 23 {
        return Err(err(i, "an hour from 00 to 23"));
    }
    expect_byte(i + 2, b':', "':' after the hour (HH:MM:SS)")?;
    i += 3;
    let minute = num(i, 2).ok_or_else(|| err(i, "two-digit minutes (HH:MM:SS)"))?;
    if minute > 59 {
        return Err(err(i, "minutes from 00 to 59"));
    }
    i += 2;
    let mut second = 0;
    let mut millis = 0;
    if b.get(i) == Some(&b':') {
        i += 1;
        second = num(i, 2).ok_or_else(|| err(i, "two-digit seconds (HH:MM:SS)"))?;
        if second > 59 {
            return Err(err(i, "seconds from 00 to 59"));
        }
        i += 2;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let fraction_start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                // Keep milliseconds; further digits are truncated.
                if i - fraction_start < 3 {
                    millis = millis * 10 + u32::from(b[i] - b'0');
                }
                i += 1;
            }
            match i - fraction_start {
                0 => return Err(err(i, "digits after the '.' in the seconds")),
                1 => millis *= 100,
                2 => millis *= 10,
                _ => {}
            }
        }
    }
    // Offset east of UTC in minutes.
    let mut offset_minutes: i64 = 0;
    match b.get(i) {
        None => {}
        Some(b'Z' | b'z') => i += 1,
        Some(&sign @ (b'+' | b'-')) => {
            i += 1;
            let oh = num(i, 2).ok_or_else(|| err(i, "a two-digit offset hour (+hh:mm)"))?;
            i += 2;
            if b.get(i) == Some(&b':') {
                i += 1;
            }
            let om = num(i, 2).ok_or_else(|| err(i, "two-digit offset minutes (+hh:mm)"))?;
            if oh > 23 || om > 59 {
                return Err(err(i - 3, "an offset from -23:59 to +23:59"));
            }
            i += 2;
            let magnitude = i64::from(oh * 60 + om);
            offset_minutes = if sign == b'-' { -magnitude } else { magnitude };
        }
        Some(_) => {
            return Err(err(
                i,
                "'Z', an offset like +02:00, or the end of the date-time",
            ));
        }
    }
    if i != b.len() {
        return Err(err(i, "the end of the date-time"));
    }
    if offset_minutes == 0 {
        return DateTime::new(
            year,
            month,
            day,
            hour as u8,
            minute as u8,
            second as u8,
            millis as u16,
        )
        .ok_or_else(|| err(0, "a valid date-time"));
    }
    // Shift to UTC through a day count so that day, month and year boundaries are handled.
    let local = days_from_civil(i64::from(year), i64::from(month), i64::from(day)) * 1440
        + i64::from(hour * 60 + minute);
    let utc = local - offset_minutes;
    let (y, m, d) = civil_from_days(utc.div_euclid(1440));
    let minute_of_day = utc.rem_euclid(1440);
    u16::try_from(y)
        .ok()
        .and_then(|y| {
            DateTime::new(
                y,
                m as u8,
                d as u8,
                (minute_of_day / 60) as u8,
                (minute_of_day % 60) as u8,
                second as u8,
                millis as u16,
            )
        })
        .ok_or_else(|| ParseError::new(at(0), "a date-time between the years 0000 and 9999 in UTC"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(s: &str) -> Result<Vec<Kind>, ParseError> {
        let mut lx = Lexer::new(s);
        let mut out = Vec::new();
        loop {
            let t = lx.next_token()?;
            if t.kind == Kind::Eof {
                return Ok(out);
            }
            out.push(t.kind);
        }
    }

    fn dt(s: &str) -> Result<String, ParseError> {
        parse_date_time(s, 0).map(|d| d.to_string())
    }

    #[test]
    fn symbols_need_no_spaces() {
        let w = |path| Kind::Word { path };
        assert_eq!(
            tokens("status/id=1").ok(),
            Some(vec![w(true), Kind::Op(CompareOp::Eq), Kind::Int(1)])
        );
        assert_eq!(
            tokens("a!=-2<=b>=c<d>e").ok(),
            Some(vec![
                w(false),
                Kind::Op(CompareOp::Ne),
                Kind::Int(-2),
                Kind::Op(CompareOp::Le),
                w(false),
                Kind::Op(CompareOp::Ge),
                w(false),
                Kind::Op(CompareOp::Lt),
                w(false),
                Kind::Op(CompareOp::Gt),
                w(false),
            ])
        );
        assert_eq!(
            tokens("(1,2.5)").ok(),
            Some(vec![
                Kind::LParen,
                Kind::Int(1),
                Kind::Comma,
                Kind::Dec,
                Kind::RParen
            ])
        );
    }

    #[test]
    fn keywords_are_case_insensitive_single_words() {
        let mut lx = Lexer::new("AnD Not LIKE contains/x In nulls");
        let mut kws = Vec::new();
        while let Ok(t) = lx.next_token() {
            if t.kind == Kind::Eof {
                break;
            }
            kws.push(t.kw);
        }
        assert_eq!(
            kws,
            vec![
                Some(Keyword::And),
                Some(Keyword::Not),
                Some(Keyword::Like),
                None,
                Some(Keyword::In),
                None
            ]
        );
    }

    #[test]
    fn integers_cover_the_i64_range() {
        assert_eq!(
            tokens("-9223372036854775808").ok(),
            Some(vec![Kind::Int(i64::MIN)])
        );
        assert_eq!(
            tokens("9223372036854775807").ok(),
            Some(vec![Kind::Int(i64::MAX)])
        );
        let e = tokens("x = 9223372036854775808").err();
        assert_eq!(e.map(|e| e.offset()), Some(4));
        assert!(tokens("-9223372036854775809").is_err());
    }

    #[test]
    fn malformed_numbers() {
        assert_eq!(tokens("1.").err().map(|e| e.offset()), Some(2));
        assert_eq!(tokens("- 1").err().map(|e| e.offset()), Some(1));
        assert_eq!(tokens("12ab").err().map(|e| e.offset()), Some(2));
        assert_eq!(tokens("1.2.3").err().map(|e| e.offset()), Some(3));
    }

    #[test]
    fn strings_skip_escaped_quotes() {
        assert_eq!(
            tokens(r#""a\"b""#).ok(),
            Some(vec![Kind::Str { escaped: true }])
        );
        assert_eq!(tokens("'it''s'").ok().map(|v| v.len()), Some(2));
        assert_eq!(tokens(r#""abc\""#).err().map(|e| e.offset()), Some(0));
        assert_eq!(tokens("x = 'abc").err().map(|e| e.offset()), Some(4));
    }

    #[test]
    fn paths_need_a_segment_after_each_slash() {
        assert_eq!(tokens("company/").err().map(|e| e.offset()), Some(8));
        assert_eq!(tokens("company/1d").err().map(|e| e.offset()), Some(8));
        assert_eq!(
            tokens("_info/lastUpdated").ok(),
            Some(vec![Kind::Word { path: true }])
        );
    }

    #[test]
    fn unknown_characters_are_tokens_on_char_boundaries() {
        let mut lx = Lexer::new("é$");
        assert_eq!(
            lx.next_token().ok(),
            Some(Token {
                kind: Kind::Unknown,
                kw: None,
                start: 0,
                end: 2
            })
        );
        assert_eq!(
            lx.next_token().ok(),
            Some(Token {
                kind: Kind::Unknown,
                kw: None,
                start: 2,
                end: 3
            })
        );
    }

    #[test]
    fn date_times() {
        assert_eq!(
            dt("2024-01-01").ok().as_deref(),
            Some("2024-01-01T00:00:00Z")
        );
        assert_eq!(
            dt("2024-01-01T10:20:30").ok().as_deref(),
            Some("2024-01-01T10:20:30Z")
        );
        assert_eq!(
            dt("2024-01-01t10:20:30z").ok().as_deref(),
            Some("2024-01-01T10:20:30Z")
        );
        assert_eq!(
            dt("2024-01-01 10:20").ok().as_deref(),
            Some("2024-01-01T10:20:00Z")
        );
        assert_eq!(
            dt("2024-01-01T10:20:30.5Z").ok().as_deref(),
            Some("2024-01-01T10:20:30.500Z")
        );
        assert_eq!(
            dt("2024-01-01T10:20:30.123456789Z").ok().as_deref(),
            Some("2024-01-01T10:20:30.123Z")
        );
        assert_eq!(
            dt("2024-01-01T10:20:30.000Z").ok().as_deref(),
            Some("2024-01-01T10:20:30Z")
        );
    }

    #[test]
    fn offsets_convert_to_utc_across_boundaries() {
        // Into the previous year.
        assert_eq!(
            dt("2024-01-01T01:30:00+02:00").ok().as_deref(),
            Some("2023-12-31T23:30:00Z")
        );
        // Into the next year.
        assert_eq!(
            dt("2023-12-31T23:30:00-01:00").ok().as_deref(),
            Some("2024-01-01T00:30:00Z")
        );
        // Across a leap day.
        assert_eq!(
            dt("2024-02-28T22:00:00-05:30").ok().as_deref(),
            Some("2024-02-29T03:30:00Z")
        );
        assert_eq!(
            dt("2023-02-28T22:00:00-05:30").ok().as_deref(),
            Some("2023-03-01T03:30:00Z")
        );
        assert_eq!(
            dt("2024-03-01T00:00+0100").ok().as_deref(),
            Some("2024-02-29T23:00:00Z")
        );
        assert_eq!(
            dt("2024-06-15T12:00:00.250+00:00").ok().as_deref(),
            Some("2024-06-15T12:00:00.250Z")
        );
        // Out of range after the shift.
        assert!(dt("9999-12-31T23:00:00-02:00").is_err());
        assert!(dt("0000-01-01T00:00:00+00:01").is_err());
    }

    #[test]
    fn invalid_date_times_point_at_the_part() {
        let off = |s: &str| dt(s).err().map(|e| e.offset());
        assert_eq!(off("2024-13-01"), Some(5));
        assert_eq!(off("2024-02-30"), Some(8));
        assert_eq!(off("2023-02-29"), Some(8));
        assert_eq!(off("2024-01-01T24:00:00Z"), Some(11));
        assert_eq!(off("2024-01-01T23:60:00Z"), Some(14));
        assert_eq!(off("2024-01-01T23:00:60Z"), Some(17));
        assert_eq!(off("2024-01-01T23:00:00Q"), Some(19));
        assert_eq!(off("2024-01-01T23:00:00ZZ"), Some(20));
        assert_eq!(off("24-01-01"), Some(0));
        assert_eq!(off("2024-01-01T23:00:00.Z"), Some(20));
        assert_eq!(off("2024-01-0é"), Some(8));
        assert_eq!(
            dt("2024-02-29").ok().as_deref(),
            Some("2024-02-29T00:00:00Z")
        );
    }

    #[test]
    fn canonical_date_times_read_as_the_general_parser_reads_them() {
        let general = |s: &str| {
            parse_date_time(&s[1..s.len() - 1], 1)
                .ok()
                .map(Kind::DateTime)
        };
        for text in [
            "[2024-01-01T00:00:00Z]",
            "[0000-01-01T00:00:00Z]",
            "[9999-12-31T23:59:59Z]",
            "[2024-02-29T12:34:56Z]",
            "[2023-02-29T12:34:56Z]",
            "[2024-13-01T00:00:00Z]",
            "[2024-01-01T24:00:00Z]",
            "[2024-01-01T00:60:00Z]",
            "[2024-01-01T00:00:60Z]",
            "[2024-01-01T00:00:0xZ]",
            "[2024-01-01t00:00:00z]",
            "[2024-01-01T00:00:00+]",
        ] {
            let fast =
                canonical_date_time(text.as_bytes()[1..].first_chunk::<21>().unwrap_or(&[0; 21]))
                    .map(Kind::DateTime);
            if let Some(fast) = fast {
                assert_eq!(Some(fast), general(text), "{text}");
            }
            let lexed = tokens(text);
            assert_eq!(
                lexed.as_ref().ok().map(Vec::len),
                general(text).map(|_| 1),
                "{text}"
            );
            assert_eq!(lexed.ok().and_then(|k| k.first().copied()), general(text));
        }
        // Fast-path shapes that are not valid dates fall back to the general error.
        assert_eq!(
            tokens("x>[2024-13-01T00:00:00Z]").err().map(|e| e.offset()),
            Some(8)
        );
    }

    #[test]
    fn bracketed_and_bare_date_times() {
        assert!(matches!(
            tokens("[2024-01-01]").ok().as_deref(),
            Some([Kind::DateTime(_)])
        ));
        assert!(matches!(
            tokens("[ 2024-01-01 ]").ok().as_deref(),
            Some([Kind::DateTime(_)])
        ));
        assert!(matches!(
            tokens("2024-01-01T00:00:00Z)").ok().as_deref(),
            Some([Kind::DateTime(_), Kind::RParen])
        ));
        assert_eq!(tokens("[2024-01-01").err().map(|e| e.offset()), Some(0));
        assert_eq!(tokens("x>[2024-1-01]").err().map(|e| e.offset()), Some(8));
    }
}
