//! Pretty and compact JSON straight from the server's text, keeping its field order (a
//! `serde_json::Value` would sort the keys) and saving a parse per record.

/// Re-indents JSON text with two spaces per level, like `serde_json::to_string_pretty`.
/// The input must be valid JSON (it comes from a parsed document).
pub fn pretty(text: &str, out: &mut String) {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.push_str(&text[start..i]);
                continue;
            }
            b'{' | b'[' => {
                let close = if b == b'{' { b'}' } else { b']' };
                let next = bytes[i + 1..].iter().position(|c| !c.is_ascii_whitespace());
                if next.is_some_and(|n| bytes[i + 1 + n] == close) {
                    out.push(char::from(b));
                    out.push(char::from(close));
                    i += 2 + next.unwrap_or(0);
                    continue;
                }
                out.push(char::from(b));
                depth += 1;
                newline(out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(out, depth);
                out.push(char::from(b));
            }
            b',' => {
                out.push(',');
                newline(out, depth);
            }
            b':' => out.push_str(": "),
            b if b.is_ascii_whitespace() => {}
            _ => {
                // A number, true, false or null: copy up to the next delimiter.
                let start = i;
                while i < bytes.len()
                    && !matches!(bytes[i], b',' | b'}' | b']' | b':')
                    && !bytes[i].is_ascii_whitespace()
                {
                    i += 1;
                }
                out.push_str(&text[start..i]);
                continue;
            }
        }
        i += 1;
    }
}

/// The text on one line: as is when it already is (the usual case), else re-encoded.
pub fn compact(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(['\n', '\r']) {
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) => std::borrow::Cow::Owned(v.to_string()),
            Err(_) => std::borrow::Cow::Borrowed(text),
        }
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_matches_serde_json_and_keeps_order() {
        let samples = [
            r#"{"a":{"b":[1,2,{"c":"x,y:{z}\"q\\"}],"e":{},"f":[]},"d":-1.5,"id":1,"n":null,"t":true}"#,
            "[]",
            r#"[ {"z":1, "a" : 2} ]"#,
            r#""just a string""#,
            r#"{"é":"ü ✓"}"#,
        ];
        for s in samples {
            let mut out = String::new();
            pretty(s, &mut out);
            let value: serde_json::Value = serde_json::from_str(s).expect("valid");
            let expected = serde_json::to_string_pretty(&value).expect("pretty");
            if s.contains("\"z\"") {
                assert_eq!(out, "[\n  {\n    \"z\": 1,\n    \"a\": 2\n  }\n]");
            } else {
                assert_eq!(out, expected, "{s}");
            }
        }
        assert_eq!(compact("{\n \"a\": 1\n}"), r#"{"a":1}"#);
        assert_eq!(compact(r#"{"b":1,"a":2}"#), r#"{"b":1,"a":2}"#);
    }
}
