//! The output budget: every tool result is JSON text of at most a set number of characters, so
//! that one call cannot flood the agent's context. What does not fit is cut in the order that
//! loses least (records from the end of a list, then the middle of long texts, then whole
//! fields), and a `cut` member says what went and how to get it.

use serde_json::{Map, Value, json};

/// Texts longer than this are the first to be shortened when records do not fit.
const LONG_TEXT: usize = 200;
/// What a shortened text keeps of its start.
const KEPT_TEXT: usize = 120;

/// Characters of `value` as compact JSON text.
pub fn size(value: &Value) -> usize {
    value.to_string().chars().count()
}

/// A list result within `max` characters: as many of `records` from the start as fit. `render`
/// builds the whole result from the records kept and the number left out (it adds the marker
/// and the way to get the rest when that number is not zero). When not even one record fits,
/// the first one is shown shortened.
pub fn fit_records(
    records: &[Value],
    max: usize,
    render: impl Fn(&[Value], usize) -> Value,
) -> String {
    let whole = render(records, 0);
    if size(&whole) <= max || records.is_empty() {
        return fit_value(whole, max, "");
    }
    // The largest prefix that fits, by bisection: the size grows with the records kept.
    let (mut fits, mut too_big) = (0, records.len());
    while too_big - fits > 1 {
        let mid = fits.midpoint(too_big);
        if size(&render(&records[..mid], records.len() - mid)) <= max {
            fits = mid;
        } else {
            too_big = mid;
        }
    }
    let kept = fits.max(1);
    fit_value(
        render(&records[..kept], records.len() - kept),
        max,
        "ask for fewer `fields`",
    )
}

/// `doc` as JSON text within `max` characters. Too long, it first loses the middle of long texts,
/// then whole fields of its `record` (or its first `records` entry, or itself), largest first;
/// `doc.cut` lists what was shortened or left out, with `advice` on getting it. Past all that,
/// the text itself is cut, wrapped in a valid JSON document that says so.
pub fn fit_value(mut doc: Value, max: usize, advice: &str) -> String {
    if size(&doc) <= max {
        return doc.to_string();
    }
    let mut shortened = Vec::new();
    shorten_texts(&mut doc, "", &mut shortened);
    if !shortened.is_empty() {
        note_cut(&mut doc, "texts_shortened", &shortened, advice);
    }
    if size(&doc) <= max {
        return doc.to_string();
    }
    let mut dropped = Vec::new();
    while size(&doc) > max {
        let Some(name) = largest_member(record_of(&mut doc)) else {
            break;
        };
        if let Some(fields) = record_of(&mut doc) {
            fields.remove(&name);
        }
        dropped.push(name);
        note_cut(&mut doc, "fields_left_out", &dropped, advice);
    }
    if size(&doc) <= max {
        return doc.to_string();
    }
    hard_cut(&doc.to_string(), max)
}

/// Replaces the middle of every text longer than [`LONG_TEXT`] by a marker, recording where.
fn shorten_texts(value: &mut Value, at: &str, shortened: &mut Vec<String>) {
    match value {
        Value::String(text) if text.chars().count() > LONG_TEXT => {
            let total = text.chars().count();
            let kept: String = text.chars().take(KEPT_TEXT).collect();
            *text = format!("{kept}…[{} more characters]", total - KEPT_TEXT);
            shortened.push(at.to_owned());
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                shorten_texts(item, &format!("{at}[{i}]"), shortened);
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                if key == "cut" {
                    continue;
                }
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}/{key}")
                };
                shorten_texts(item, &path, shortened);
            }
        }
        _ => {}
    }
}

/// The object whose fields are dropped when a result is still too long: the single record, the
/// first of a list, or the document itself.
fn record_of(doc: &mut Value) -> Option<&mut Map<String, Value>> {
    let Value::Object(map) = doc else { return None };
    if map.get("record").is_some_and(Value::is_object) {
        return map.get_mut("record").and_then(Value::as_object_mut);
    }
    if map
        .get("records")
        .and_then(Value::as_array)
        .is_some_and(|r| r.first().is_some_and(Value::is_object))
    {
        return map
            .get_mut("records")
            .and_then(Value::as_array_mut)
            .and_then(|r| r.first_mut())
            .and_then(Value::as_object_mut);
    }
    Some(map)
}

/// The name of the largest member, never `id` nor the `cut` marker.
fn largest_member(map: Option<&mut Map<String, Value>>) -> Option<String> {
    map?.iter()
        .filter(|(k, _)| *k != "id" && *k != "cut")
        .max_by_key(|(_, v)| size(v))
        .map(|(k, _)| k.clone())
}

/// Sets `doc.cut[what]` to `items`, with the budget's advice.
fn note_cut(doc: &mut Value, what: &str, items: &[String], advice: &str) {
    let Value::Object(map) = doc else { return };
    let cut = map.entry("cut").or_insert_with(|| json!({}));
    if let Value::Object(cut) = cut {
        cut.insert(what.to_owned(), json!(items));
        if !advice.is_empty() && !cut.contains_key("to_get_the_rest") {
            let advice = format!(
                "{advice}, or ask for one record with `get` and the fields you need (texts and fields were cut to fit the output budget)"
            );
            cut.insert("to_get_the_rest".to_owned(), json!(advice));
        }
    }
}

/// The last resort: the start of `text` inside a document that says it is partial.
fn hard_cut(text: &str, max: usize) -> String {
    let wrapper = |partial: &str| {
        json!({
            "cut": "the result is longer than the output budget even with texts shortened and fields left out; this is the start of its JSON text: ask for fewer fields or fewer records",
            "partial": partial,
        })
    };
    let overhead = size(&wrapper(""));
    let room = max.saturating_sub(overhead);
    // Escapes can make the partial text longer once quoted: shrink until it fits.
    let mut take = room;
    loop {
        let partial: String = text.chars().take(take).collect();
        let doc = wrapper(&partial);
        if size(&doc) <= max || take == 0 {
            return doc.to_string();
        }
        take = take.saturating_sub((size(&doc) - max).max(1));
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn records(n: usize, text_len: usize) -> Vec<Value> {
        (1..=n)
            .map(|i| json!({"id": i, "summary": "x".repeat(text_len)}))
            .collect()
    }

    fn render(kept: &[Value], omitted: usize) -> Value {
        let mut doc = json!({"returned": kept.len(), "records": kept});
        if omitted > 0 {
            doc["cut"] = json!({"records_omitted": omitted, "to_get_the_rest": "page on"});
        }
        doc
    }

    #[test]
    fn a_result_within_budget_is_untouched() {
        let all = records(3, 10);
        let text = fit_records(&all, 10_000, render);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc, render(&all, 0));
    }

    #[test]
    fn records_are_cut_from_the_end_with_a_marker() {
        let all = records(50, 100);
        let max = 1_500;
        let text = fit_records(&all, max, render);
        assert!(text.chars().count() <= max, "{} > {max}", text.len());
        let doc: Value = serde_json::from_str(&text).unwrap();
        let kept = doc["records"].as_array().unwrap().len();
        assert!(kept > 1 && kept < 50, "{kept}");
        assert_eq!(doc["cut"]["records_omitted"], json!(50 - kept));
        assert_eq!(doc["records"][0]["id"], json!(1));
        // The largest prefix: one more record would not fit.
        assert!(size(&render(&all[..=kept], 50 - kept - 1)) > max);
    }

    #[test]
    fn one_huge_record_keeps_its_id_and_loses_the_middle_of_its_texts() {
        let all = records(2, 5_000);
        let text = fit_records(&all, 800, render);
        assert!(text.chars().count() <= 800);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["records"].as_array().unwrap().len(), 1);
        assert_eq!(doc["records"][0]["id"], json!(1));
        let summary = doc["records"][0]["summary"].as_str().unwrap();
        assert!(summary.ends_with("…[4880 more characters]"), "{summary}");
        assert_eq!(doc["cut"]["texts_shortened"], json!(["records[0]/summary"]));
        assert_eq!(doc["cut"]["records_omitted"], json!(1));
    }

    #[test]
    fn fields_are_left_out_largest_first_when_shortening_is_not_enough() {
        let mut record = Map::new();
        record.insert("id".into(), json!(7));
        for i in 0..40 {
            record.insert(format!("field{i:02}"), json!("y".repeat(150 + i)));
        }
        let doc = json!({"record": record});
        let text = fit_value(doc, 2_000, "ask for fewer `fields`");
        assert!(text.chars().count() <= 2_000);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["record"]["id"], json!(7));
        let left_out = doc["cut"]["fields_left_out"].as_array().unwrap();
        assert_eq!(left_out[0], json!("field39"), "largest first");
        assert!(
            doc["cut"]["to_get_the_rest"]
                .as_str()
                .unwrap()
                .contains("fewer `fields`")
        );
        for name in left_out {
            assert!(doc["record"].get(name.as_str().unwrap()).is_none());
        }
    }

    #[test]
    fn past_everything_the_text_is_cut_inside_valid_json() {
        // `id` is never left out: nothing else can be cut.
        let doc = json!({"id": (0..500).collect::<Vec<_>>()});
        let text = fit_value(doc, 300, "");
        assert!(text.chars().count() <= 300, "{}", text.len());
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["cut"].as_str().unwrap().contains("output budget"));
        assert!(doc["partial"].as_str().unwrap().starts_with('{'));
    }

    #[test]
    fn multibyte_text_is_counted_in_characters_and_cut_on_boundaries() {
        let doc = json!({"record": {"id": 1, "text": "é✓".repeat(400)}});
        let text = fit_value(doc, 400, "");
        assert!(text.chars().count() <= 400);
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert!(doc["record"]["text"].as_str().unwrap().starts_with("é✓é✓"));
    }
}
