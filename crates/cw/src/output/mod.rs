//! Output formats: table, json, ndjson, csv, yaml. Lists stream through a [`Sink`], so memory
//! stays bounded however many records there are (a table or csv holds one chunk to size its
//! columns).

mod json;
mod table;
mod yaml;

use std::io::{self, Write};

use clap::ValueEnum;
use cwpsa_core::schema::Entity;
use serde_json::Value;
use serde_json::value::RawValue;

pub use table::TableSink;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, long text truncated to the terminal width (the default on a terminal).
    Table,
    /// Pretty JSON: an object, or an array for lists.
    Json,
    /// One compact JSON document per line (the default when piped).
    Ndjson,
    /// Comma-separated values with a header row.
    Csv,
    /// YAML: a mapping, or a sequence for lists.
    Yaml,
}

/// Which columns a table or csv shows.
#[derive(Debug, Clone)]
pub enum Columns {
    /// These field paths, in this order (`--fields`, or an entity's defaults).
    Fixed(Vec<String>),
    /// Every flattened field of the first records (ordered by the entity's schema when known).
    Discover(Option<&'static Entity>),
}

impl Columns {
    /// `--fields` if given; else for a table the entity's default columns; else discovery.
    pub fn choose(
        fields: Option<&str>,
        entity: Option<&'static Entity>,
        format: Format,
    ) -> Columns {
        if let Some(f) = fields {
            let list: Vec<String> = f
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect();
            if !list.is_empty() {
                return Columns::Fixed(list);
            }
        }
        if format == Format::Table
            && let Some(cols) = entity.and_then(crate::paths::default_columns)
        {
            return Columns::Fixed(cols.iter().map(|c| (*c).to_owned()).collect());
        }
        Columns::Discover(entity)
    }
}

impl Columns {
    /// For one record: `--fields` if given, else every field.
    pub fn for_record(fields: Option<&str>, entity: Option<&'static Entity>) -> Columns {
        match Columns::choose(fields, None, Format::Json) {
            Columns::Fixed(c) => Columns::Fixed(c),
            Columns::Discover(_) => Columns::Discover(entity),
        }
    }
}

/// A stream of records being written. Records arrive as the server's JSON text.
pub trait Sink {
    fn record(&mut self, record: &RawValue) -> io::Result<()>;
    /// Ends the output (closing bracket, buffered rows).
    fn finish(&mut self) -> io::Result<()>;
}

/// A sink for `format` writing to `out`. `width` truncates table cells to fit.
pub fn sink<'a>(
    format: Format,
    out: &'a mut dyn Write,
    columns: Columns,
    width: Option<usize>,
) -> Box<dyn Sink + 'a> {
    match format {
        Format::Ndjson => Box::new(Ndjson { out }),
        Format::Json => Box::new(JsonArray { out, count: 0 }),
        Format::Yaml => Box::new(YamlSeq { out, count: 0 }),
        Format::Csv => Box::new(Csv {
            out,
            columns,
            pending: Vec::new(),
            header_written: false,
        }),
        Format::Table => Box::new(TableSink::new(out, columns, width)),
    }
}

/// One record (`get`, `create`...): a table shows it as field/value lines.
pub fn write_one(
    format: Format,
    out: &mut dyn Write,
    raw: &RawValue,
    columns: &Columns,
    width: Option<usize>,
) -> io::Result<()> {
    match format {
        Format::Json => {
            let mut text = String::new();
            json::pretty(raw.get(), &mut text);
            text.push('\n');
            out.write_all(text.as_bytes())
        }
        Format::Ndjson => {
            out.write_all(json::compact(raw.get()).as_bytes())?;
            out.write_all(b"\n")
        }
        Format::Yaml => out.write_all(yaml::document(&parse(raw)?).as_bytes()),
        Format::Csv => {
            let mut s = sink(Format::Csv, out, columns.clone(), width);
            s.record(raw)?;
            s.finish()
        }
        Format::Table => {
            let record = &parse(raw)?;
            let pairs: Vec<(String, String)> = match columns {
                Columns::Fixed(cols) => cols
                    .iter()
                    .map(|c| {
                        (
                            c.clone(),
                            lookup(record, c).map(table_cell).unwrap_or_default(),
                        )
                    })
                    .collect(),
                Columns::Discover(_) => {
                    let mut flat = Vec::new();
                    flatten(record, "", &mut flat);
                    // Bookkeeping last: the record's own fields first.
                    flat.sort_by_key(|(k, _)| k.starts_with("_info"));
                    flat.into_iter().map(|(k, v)| (k, table_cell(v))).collect()
                }
            };
            table::key_values(out, &pairs, width)
        }
    }
}

struct Ndjson<'a> {
    out: &'a mut dyn Write,
}

impl Sink for Ndjson<'_> {
    fn record(&mut self, record: &RawValue) -> io::Result<()> {
        self.out.write_all(json::compact(record.get()).as_bytes())?;
        self.out.write_all(b"\n")
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct JsonArray<'a> {
    out: &'a mut dyn Write,
    count: u64,
}

impl Sink for JsonArray<'_> {
    fn record(&mut self, record: &RawValue) -> io::Result<()> {
        self.out
            .write_all(if self.count == 0 { b"[\n" } else { b",\n" })?;
        self.count += 1;
        let mut text = String::new();
        json::pretty(record.get(), &mut text);
        for (i, line) in text.lines().enumerate() {
            if i > 0 {
                self.out.write_all(b"\n")?;
            }
            self.out.write_all(b"  ")?;
            self.out.write_all(line.as_bytes())?;
        }
        Ok(())
    }
    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.count == 0 { b"[]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

struct YamlSeq<'a> {
    out: &'a mut dyn Write,
    count: u64,
}

impl Sink for YamlSeq<'_> {
    fn record(&mut self, record: &RawValue) -> io::Result<()> {
        self.count += 1;
        self.out
            .write_all(yaml::sequence_item(&parse(record)?).as_bytes())
    }
    fn finish(&mut self) -> io::Result<()> {
        if self.count == 0 {
            self.out.write_all(b"[]\n")?;
        }
        self.out.flush()
    }
}

/// Rows buffered before the header is fixed, when columns are discovered: fields that first
/// appear after them are not shown (`--fields` names the columns outright).
const DISCOVERY_ROWS: usize = 1000;

struct Csv<'a> {
    out: &'a mut dyn Write,
    columns: Columns,
    /// Records waiting for the columns to be decided.
    pending: Vec<Value>,
    header_written: bool,
}

impl Csv<'_> {
    fn write_header(&mut self, columns: &[String]) -> io::Result<()> {
        let line: Vec<String> = columns.iter().map(|c| csv_field(c)).collect();
        self.out.write_all(line.join(",").as_bytes())?;
        self.out.write_all(b"\n")?;
        self.header_written = true;
        Ok(())
    }

    fn write_row(&mut self, columns: &[String], record: &Value) -> io::Result<()> {
        csv_row(self.out, columns, record)
    }

    /// Fixes the columns (discovering them from the pending records) and writes the header.
    fn fix_columns(&mut self) -> io::Result<Vec<String>> {
        let columns = match &self.columns {
            Columns::Fixed(c) => c.clone(),
            Columns::Discover(entity) => discover(&self.pending, *entity),
        };
        if !self.header_written {
            self.write_header(&columns)?;
        }
        for record in std::mem::take(&mut self.pending) {
            self.write_row(&columns, &record)?;
        }
        self.columns = Columns::Fixed(columns.clone());
        Ok(columns)
    }
}

impl Sink for Csv<'_> {
    fn record(&mut self, record: &RawValue) -> io::Result<()> {
        let record = &parse(record)?;
        match &self.columns {
            Columns::Fixed(columns) if self.header_written => csv_row(self.out, columns, record),
            Columns::Fixed(_) => {
                let columns = self.fix_columns()?;
                self.write_row(&columns, record)
            }
            Columns::Discover(_) => {
                self.pending.push(record.clone());
                if self.pending.len() >= DISCOVERY_ROWS {
                    self.fix_columns()?;
                }
                Ok(())
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.fix_columns()?;
        self.out.flush()
    }
}

fn csv_row(out: &mut dyn Write, columns: &[String], record: &Value) -> io::Result<()> {
    let mut line = String::new();
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            line.push(',');
        }
        if let Some(v) = lookup(record, c) {
            line.push_str(&csv_field(&csv_cell(v)));
        }
    }
    line.push('\n');
    out.write_all(line.as_bytes())
}

/// Only the given field paths of `record`, nested as in the record (`status/name` keeps
/// `{"status":{"name":..}}`); paths the record lacks are left out.
pub fn select(record: &Value, paths: &[String]) -> Value {
    let mut out = serde_json::Map::new();
    for path in paths {
        let mut source = record;
        let mut target = &mut out;
        let segments: Vec<&str> = path.split('/').collect();
        for (i, segment) in segments.iter().enumerate() {
            let Some((key, child)) = source.as_object().and_then(|m| {
                m.get_key_value(*segment)
                    .or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(segment)))
            }) else {
                break;
            };
            if i + 1 == segments.len() || !child.is_object() {
                if i + 1 == segments.len() {
                    target.insert(key.clone(), child.clone());
                }
                break;
            }
            let slot = target
                .entry(key.clone())
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            let Value::Object(next) = slot else { break };
            target = next;
            source = child;
        }
    }
    Value::Object(out)
}

/// A record's text as a value (for the formats that need its fields).
pub fn parse(raw: &RawValue) -> io::Result<Value> {
    serde_json::from_str(raw.get()).map_err(io::Error::other)
}

/// A value as JSON text, for the raw-text sinks.
pub fn to_raw(value: &Value) -> io::Result<Box<RawValue>> {
    serde_json::value::to_raw_value(value).map_err(io::Error::other)
}

/// The flattened fields of `records`, in first-seen order, or the schema's property order when
/// the entity is known.
pub fn discover(records: &[Value], entity: Option<&'static Entity>) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut set = std::collections::HashSet::new();
    for r in records {
        let mut flat = Vec::new();
        flatten(r, "", &mut flat);
        for (k, _) in flat {
            if set.insert(k.clone()) {
                seen.push(k);
            }
        }
    }
    if let Some(entity) = entity {
        let order: Vec<&str> = entity
            .schema()
            .properties()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        let rank = |k: &str| {
            let top = k.split('/').next().unwrap_or(k);
            order.iter().position(|p| *p == top).unwrap_or(order.len())
        };
        // A stable sort keeps first-seen order among a field's sub-fields and unknown fields.
        seen.sort_by_key(|k| rank(k));
    }
    seen
}

/// `status/name` → the value under `status` then `name` (exact key, else case-insensitive).
pub fn lookup<'v>(record: &'v Value, path: &str) -> Option<&'v Value> {
    let mut v = record;
    for segment in path.split('/') {
        let map = v.as_object()?;
        v = match map.get(segment) {
            Some(x) => x,
            None => map.iter().find(|(k, _)| k.eq_ignore_ascii_case(segment))?.1,
        };
    }
    Some(v)
}

/// Leaves of nested objects as `a/b` paths; lists stay whole. References' own `_info` hrefs
/// are skipped: they are noise in a table or a spreadsheet.
pub fn flatten<'v>(v: &'v Value, prefix: &str, out: &mut Vec<(String, &'v Value)>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                if !prefix.is_empty() && k == "_info" {
                    continue;
                }
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}/{k}")
                };
                flatten(child, &path, out);
            }
        }
        _ if prefix.is_empty() => out.push((String::new(), v)),
        _ => out.push((prefix.to_owned(), v)),
    }
}

/// A table cell: text on one line; a reference shows its name.
pub fn table_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect(),
        Value::Object(map) => ["name", "identifier", "id"]
            .iter()
            .find_map(|k| map.get(*k).filter(|v| !v.is_object() && !v.is_array()))
            .map_or_else(|| v.to_string(), table_cell),
        other => other.to_string(),
    }
}

fn csv_cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Quotes a field when it holds a comma, quote, line break or edge spaces (RFC 4180).
fn csv_field(text: &str) -> String {
    let needs =
        text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
    if needs {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(format: Format, columns: Columns, records: &[Value]) -> String {
        let mut buf = Vec::new();
        {
            let mut s = sink(format, &mut buf, columns, Some(60));
            for r in records {
                s.record(&to_raw(r).expect("raw")).expect("write");
            }
            s.finish().expect("finish");
        }
        String::from_utf8(buf).expect("utf-8")
    }

    fn records() -> Vec<Value> {
        vec![
            json!({"id": 1, "summary": "Printer, \"on fire\"", "status": {"id": 5, "name": "New", "_info": {"status_href": "x"}}}),
            json!({"id": 2, "summary": "Line\nbreak", "status": {"id": 6, "name": "Closed"}, "extra": true}),
        ]
    }

    #[test]
    fn csv_quotes_and_keeps_a_stable_header() {
        let out = render(Format::Csv, Columns::Discover(None), &records());
        assert_eq!(
            out,
            "id,status/id,status/name,summary,extra\n1,5,New,\"Printer, \"\"on fire\"\"\",\n2,6,Closed,\"Line\nbreak\",true\n"
        );
        let fixed = Columns::Fixed(vec!["status/name".into(), "id".into()]);
        let out = render(Format::Csv, fixed.clone(), &records());
        assert_eq!(out, "status/name,id\nNew,1\nClosed,2\n");
        assert_eq!(render(Format::Csv, fixed, &[]), "status/name,id\n");
    }

    #[test]
    fn schema_order_decides_discovered_columns() {
        let entity = cwpsa_core::schema::registry().entity("tickets");
        let recs = vec![json!({"summary": "a", "id": 3, "zzz": 1})];
        let cols = discover(&recs, entity);
        assert_eq!(cols, ["id", "summary", "zzz"]);
    }

    #[test]
    fn json_ndjson_and_yaml_lists() {
        let recs = records();
        let json_out = render(Format::Json, Columns::Discover(None), &recs);
        let parsed: Value = serde_json::from_str(&json_out).expect("valid JSON");
        assert_eq!(parsed, Value::Array(recs.clone()));
        assert_eq!(render(Format::Json, Columns::Discover(None), &[]), "[]\n");
        let nd = render(Format::Ndjson, Columns::Discover(None), &recs);
        let lines: Vec<Value> = nd
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect();
        assert_eq!(lines, recs);
        let y = render(Format::Yaml, Columns::Discover(None), &recs[..1]);
        assert_eq!(
            y,
            "- id: 1\n  status:\n    _info:\n      status_href: x\n    id: 5\n    name: New\n  summary: Printer, \"on fire\"\n"
        );
    }

    #[test]
    fn select_keeps_the_nesting_of_the_paths_asked_for() {
        let r = json!({"id": 1, "summary": "x", "status": {"id": 5, "name": "New"}, "n": null});
        let paths: Vec<String> = ["Status/Name", "id", "missing", "summary/x"]
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
        assert_eq!(
            select(&r, &paths),
            json!({"id": 1, "status": {"name": "New"}})
        );
    }

    #[test]
    fn table_cells_flatten_references() {
        assert_eq!(table_cell(&json!({"id": 5, "name": "New"})), "New");
        assert_eq!(table_cell(&json!({"id": 5})), "5");
        assert_eq!(table_cell(&json!("a\tb")), "a b");
        assert_eq!(
            lookup(&json!({"Status": {"Name": "x"}}), "status/name"),
            Some(&json!("x"))
        );
    }
}
