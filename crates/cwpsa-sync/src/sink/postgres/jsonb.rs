//! A record's JSON text in the form PostgreSQL's `jsonb` input parses cheapest.
//!
//! `jsonb` stores each object's keys sorted (shorter keys first, then bytewise) and sorts them
//! while it parses; its sort returns at once when the keys already come in that order. The
//! API sends keys alphabetically, and sorting them was a third of the server's parse of a
//! ticket, so every object is rewritten here with its members in `jsonb`'s order (a value
//! never changes, and the server sorts anyway, so a wrong order could only cost time).
//!
//! `jsonb` also cannot hold U+0000: its escape `\u0000` becomes `\ufffd` (U+FFFD).

use std::ops::Range;

/// The deepest nesting followed (serde_json, which read every record first, stops at 128).
const MAX_DEPTH: usize = 128;

/// Appends `json` (one JSON value) to `out` with every object's keys in `jsonb` order, no
/// insignificant whitespace, and `\u0000` as `\ufffd`. `Err` when `json` is not valid JSON
/// as far as the rewrite can tell (`out` then holds a partial copy).
pub(super) fn append_in_key_order(json: &[u8], out: &mut Vec<u8>) -> Result<(), String> {
    let mut writer = Writer {
        src: json,
        pos: 0,
        out,
        members: Vec::new(),
        scratch: Vec::new(),
    };
    writer.value(0)?;
    writer.skip_whitespace();
    if writer.pos != json.len() {
        return Err(writer.unexpected());
    }
    Ok(())
}

/// One member of an object being rewritten, as positions in the output.
struct Member {
    /// From the key's opening quote to the end of the value.
    text: Range<usize>,
    /// The key between its quotes.
    key: Range<usize>,
}

struct Writer<'a> {
    src: &'a [u8],
    pos: usize,
    out: &'a mut Vec<u8>,
    /// The members of the objects being written, innermost last.
    members: Vec<Member>,
    /// An object's members while they are put in order.
    scratch: Vec<u8>,
}

impl Writer<'_> {
    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} levels"));
        }
        self.skip_whitespace();
        match self.src.get(self.pos) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(|_| ()),
            Some(b'-' | b'0'..=b'9' | b't' | b'f' | b'n') => {
                let start = self.pos;
                while self
                    .src
                    .get(self.pos)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
                {
                    self.pos += 1;
                }
                self.out.extend_from_slice(&self.src[start..self.pos]);
                Ok(())
            }
            _ => Err(self.unexpected()),
        }
    }

    fn object(&mut self, depth: usize) -> Result<(), String> {
        self.pos += 1;
        self.out.push(b'{');
        let body = self.out.len();
        let first = self.members.len();
        // Keys with escapes are compared as written, not as decoded: such an object is left
        // in its order for the server to sort.
        let mut escaped_key = false;
        self.skip_whitespace();
        if self.src.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.out.push(b'}');
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if self.members.len() > first {
                self.out.push(b',');
            }
            let start = self.out.len();
            if self.src.get(self.pos) != Some(&b'"') {
                return Err(self.unexpected());
            }
            escaped_key |= self.string()?;
            let key = start + 1..self.out.len() - 1;
            self.skip_whitespace();
            if self.src.get(self.pos) != Some(&b':') {
                return Err(self.unexpected());
            }
            self.pos += 1;
            self.out.push(b':');
            self.value(depth + 1)?;
            self.members.push(Member {
                text: start..self.out.len(),
                key,
            });
            self.skip_whitespace();
            match self.src.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.unexpected()),
            }
        }
        if !escaped_key {
            self.put_in_order(body, first);
        }
        self.members.truncate(first);
        self.out.push(b'}');
        Ok(())
    }

    /// Rewrites the members from `first` on (written from `body` on) in `jsonb`'s key order.
    /// The sort is stable: of repeated keys the last still comes last, and wins.
    fn put_in_order(&mut self, body: usize, first: usize) {
        let out = &*self.out;
        let order = |a: &Member, b: &Member| {
            let (a, b) = (&out[a.key.clone()], &out[b.key.clone()]);
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        };
        let members = &mut self.members[first..];
        if members.is_sorted_by(|a, b| order(a, b).is_le()) {
            return;
        }
        members.sort_by(order);
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.out[body..]);
        self.out.truncate(body);
        for (i, member) in members.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            self.out
                .extend_from_slice(&self.scratch[member.text.start - body..member.text.end - body]);
        }
    }

    fn array(&mut self, depth: usize) -> Result<(), String> {
        self.pos += 1;
        self.out.push(b'[');
        self.skip_whitespace();
        if self.src.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.out.push(b']');
            return Ok(());
        }
        loop {
            self.value(depth + 1)?;
            self.skip_whitespace();
            match self.src.get(self.pos) {
                Some(b',') => {
                    self.pos += 1;
                    self.out.push(b',');
                }
                Some(b']') => {
                    self.pos += 1;
                    self.out.push(b']');
                    return Ok(());
                }
                _ => return Err(self.unexpected()),
            }
        }
    }

    /// Copies a string (at its opening quote) with `\u0000` replaced; returns whether it held
    /// an escape.
    fn string(&mut self) -> Result<bool, String> {
        const NUL: &[u8] = b"\\u0000";
        let mut escaped = false;
        self.pos += 1;
        self.out.push(b'"');
        loop {
            let rest = &self.src[self.pos..];
            let Some(at) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err("a string is not closed".into());
            };
            self.out.extend_from_slice(&rest[..=at]);
            self.pos += at + 1;
            if rest[at] == b'"' {
                return Ok(escaped);
            }
            escaped = true;
            if rest[at..].starts_with(NUL) {
                self.out.extend_from_slice(b"ufffd");
                self.pos += NUL.len() - 1;
            } else {
                // The escaped character, which may be a quote or a backslash.
                let Some(&next) = self.src.get(self.pos) else {
                    return Err("a string is not closed".into());
                };
                self.out.push(next);
                self.pos += 1;
            }
        }
    }

    fn skip_whitespace(&mut self) {
        while self
            .src
            .get(self.pos)
            .is_some_and(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
        {
            self.pos += 1;
        }
    }

    fn unexpected(&self) -> String {
        match self.src.get(self.pos) {
            Some(b) => format!(
                "unexpected {:?} at byte {}",
                char::from(*b).escape_default().to_string(),
                self.pos
            ),
            None => "unexpected end".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn rewrite(json: &str) -> String {
        let mut out = Vec::new();
        append_in_key_order(json.as_bytes(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// The keys of every object as written in `json`, one list per object.
    fn keys_as_written(json: &str) -> Vec<Vec<String>> {
        use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

        struct Keys<'a>(&'a mut Vec<Vec<String>>);
        impl<'de> DeserializeSeed<'de> for Keys<'_> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> Visitor<'de> for Keys<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let at = self.0.len();
                self.0.push(Vec::new());
                while let Some(key) = map.next_key::<String>()? {
                    self.0[at].push(key);
                    map.next_value_seed(Keys(&mut *self.0))?;
                }
                Ok(())
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while seq.next_element_seed(Keys(&mut *self.0))?.is_some() {}
                Ok(())
            }
            fn visit_bool<E>(self, _: bool) -> Result<(), E> {
                Ok(())
            }
            fn visit_i64<E>(self, _: i64) -> Result<(), E> {
                Ok(())
            }
            fn visit_u64<E>(self, _: u64) -> Result<(), E> {
                Ok(())
            }
            fn visit_f64<E>(self, _: f64) -> Result<(), E> {
                Ok(())
            }
            fn visit_str<E>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                Ok(())
            }
        }
        let mut all = Vec::new();
        Keys(&mut all)
            .deserialize(&mut serde_json::Deserializer::from_str(json))
            .unwrap();
        all
    }

    #[test]
    fn keys_come_shorter_first_then_bytewise_at_every_depth() {
        let json = r#" { "summary" : "a, \"b\" {c}", "id": 7, "_info": {"lastUpdated": "x", "b": [ {"zz": 1, "a": -2.5e3}, [], {} ], "a": null},
            "company": {"name": "Ünïcode", "id": 1, "identifier": "C"}, "ab": true, "b": false } "#;
        let out = rewrite(json);
        assert_eq!(
            out,
            r#"{"b":false,"ab":true,"id":7,"_info":{"a":null,"b":[{"a":-2.5e3,"zz":1},[],{}],"lastUpdated":"x"},"company":{"id":1,"name":"Ünïcode","identifier":"C"},"summary":"a, \"b\" {c}"}"#
        );
        let before: serde_json::Value = serde_json::from_str(json).unwrap();
        let after: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(before, after, "the same value");
    }

    #[test]
    fn escapes_are_kept_and_nul_becomes_the_replacement_character() {
        assert_eq!(
            rewrite(r#"{"b":"x\u0000y\\u0000\"\\","a":"\u00e9\n\/"}"#),
            r#"{"a":"\u00e9\n\/","b":"x\ufffdy\\u0000\"\\"}"#
        );
        // In a key too; an object with an escaped key is left in its order.
        assert_eq!(
            rewrite(r#"{"zz":1,"k\u0000":2}"#),
            r#"{"zz":1,"k\ufffd":2}"#
        );
    }

    #[test]
    fn a_repeated_key_keeps_its_last_value_last() {
        let out = rewrite(r#"{"bb":1,"a":2,"bb":3}"#);
        assert_eq!(out, r#"{"a":2,"bb":1,"bb":3}"#);
    }

    #[test]
    fn a_real_record_keeps_its_value_and_gets_jsonb_order() {
        let record = serde_json::json!({
            "id": 12, "summary": "Printer on fire\tagain", "closedFlag": false,
            "board": {"id": 2, "name": "Network Operations", "_info": {"board_href": "h"}},
            "customFields": [{"caption": "Root Cause", "entryMethod": "List", "id": 1, "value": null}],
            "_info": {"lastUpdated": "2024-11-06T08:17:45Z", "dateEntered": "2024-11-03T14:16:45Z"}
        });
        let text = serde_json::to_string_pretty(&record).unwrap();
        let out = rewrite(&text);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            record
        );
        let objects = keys_as_written(&out);
        assert_eq!(objects.len(), 5, "{objects:?}");
        for object in objects {
            assert!(
                object.is_sorted_by(|a, b| (a.len(), a) <= (b.len(), b)),
                "{object:?}"
            );
        }
    }

    #[test]
    fn what_is_not_json_is_an_error_not_a_panic() {
        for bad in [
            "",
            "{",
            "{\"a\"",
            "{\"a\":}",
            "{\"a\":1,}",
            "[1,",
            "\"abc",
            "\"ab\\",
            "{} x",
            "{1:2}",
        ] {
            assert!(
                append_in_key_order(bad.as_bytes(), &mut Vec::new()).is_err(),
                "{bad:?}"
            );
        }
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(append_in_key_order(deep.as_bytes(), &mut Vec::new()).is_err());
    }
}
