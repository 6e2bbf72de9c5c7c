//! A small YAML emitter for JSON values: block style, strings quoted (JSON-style, which YAML
//! reads the same) whenever a plain scalar could be misread as something else.

use serde_json::Value;

/// A whole document for one value.
pub fn document(v: &Value) -> String {
    let mut out = String::new();
    block(&mut out, v, 0);
    out
}

/// `- ...` for one element of a top-level sequence.
pub fn sequence_item(v: &Value) -> String {
    let mut out = String::new();
    item(&mut out, v, 0);
    out
}

fn is_block(v: &Value) -> bool {
    match v {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    }
}

/// `v` starting on a fresh line at `indent`.
fn block(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                pad(out, indent);
                out.push_str(&scalar_text(k));
                out.push(':');
                value_after(out, child, indent + 2);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for child in items {
                item(out, child, indent);
            }
        }
        _ => {
            pad(out, indent);
            out.push_str(&inline(v));
            out.push('\n');
        }
    }
}

/// After `key:`: an inline value, or a nested block below.
fn value_after(out: &mut String, v: &Value, indent: usize) {
    if is_block(v) {
        out.push('\n');
        // Sequences under a key stay at the key's indentation, the common YAML style.
        let indent = if v.is_array() { indent - 2 } else { indent };
        block(out, v, indent);
    } else {
        out.push(' ');
        out.push_str(&inline(v));
        out.push('\n');
    }
}

/// `- value` at `indent`; a mapping's first key goes on the dash's line.
fn item(out: &mut String, v: &Value, indent: usize) {
    if is_block(v) {
        let mut nested = String::new();
        block(&mut nested, v, indent + 2);
        // Replace the first line's indentation with the dash.
        pad(out, indent);
        out.push_str("- ");
        out.push_str(&nested[indent + 2..]);
    } else {
        pad(out, indent);
        out.push_str("- ");
        out.push_str(&inline(v));
        out.push('\n');
    }
}

fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => scalar_text(s),
        Value::Object(_) => "{}".to_owned(),
        Value::Array(_) => "[]".to_owned(),
    }
}

/// A string as a plain scalar when that is unambiguous, else double-quoted.
fn scalar_text(s: &str) -> String {
    if is_plain_safe(s) {
        s.to_owned()
    } else {
        // JSON's escapes are valid in YAML's double-quoted style.
        serde_json::Value::String(s.to_owned()).to_string()
    }
}

/// Plain scalars some YAML readers take for booleans or null.
const RESERVED: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if RESERVED.iter().any(|r| s.eq_ignore_ascii_case(r)) {
        return false;
    }
    // Numbers, dates and anything that might read as one.
    if first.is_ascii_digit() || matches!(first, '.' | '+' | '-') {
        return false;
    }
    if "?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        return false;
    }
    !(s.ends_with(char::is_whitespace)
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
        || s.chars().any(char::is_control))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_documents() {
        // (`json!` sorts keys: serde_json's map is ordered by key.)
        let v = json!({
            "id": 1, "name": "ACME: the company", "flag": true, "none": null, "zip": "01234",
            "types": [{"id": 1, "name": "Client"}, {"id": 2}], "tags": ["a", "yes"],
            "empty": {}, "list": []
        });
        assert_eq!(
            document(&v),
            "empty: {}\nflag: true\nid: 1\nlist: []\nname: \"ACME: the company\"\nnone: null\ntags:\n- a\n- \"yes\"\ntypes:\n- id: 1\n  name: Client\n- id: 2\nzip: \"01234\"\n"
        );
        assert_eq!(sequence_item(&json!("x")), "- x\n");
        assert_eq!(sequence_item(&json!([[1, 2]])), "- - - 1\n    - 2\n");
        assert_eq!(document(&json!("multi\nline")), "\"multi\\nline\"\n");
    }
}
