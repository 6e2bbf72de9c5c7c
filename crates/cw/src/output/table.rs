//! Aligned columns sized from the first chunk of rows, shrunk to the terminal width.

use std::io::{self, Write};

use console::{measure_text_width, pad_str, truncate_str};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Columns, Sink, discover, lookup, parse, table_cell};

/// Rows that size the columns; later rows reuse the widths (and are cut to them).
const CHUNK: usize = 200;
/// No column is wider than this, terminal or not.
const MAX_CELL: usize = 60;
/// Columns with discovered fields: beyond this many a table is unreadable; use --fields.
const MAX_DISCOVERED: usize = 8;

pub struct TableSink<'a> {
    out: &'a mut dyn Write,
    columns: Columns,
    width: Option<usize>,
    pending: Vec<Vec<String>>,
    /// Raw records kept until columns are discovered.
    raw: Vec<Value>,
    layout: Option<Layout>,
}

struct Layout {
    widths: Vec<usize>,
    numeric: Vec<bool>,
}

impl<'a> TableSink<'a> {
    pub fn new(out: &'a mut dyn Write, columns: Columns, width: Option<usize>) -> TableSink<'a> {
        TableSink {
            out,
            columns,
            width,
            pending: Vec::new(),
            raw: Vec::new(),
            layout: None,
        }
    }

    fn names(&self) -> &[String] {
        match &self.columns {
            Columns::Fixed(c) => c,
            Columns::Discover(_) => &[],
        }
    }

    fn cells(&self, record: &Value) -> Vec<String> {
        self.names()
            .iter()
            .map(|c| lookup(record, c).map(table_cell).unwrap_or_default())
            .collect()
    }

    fn flush_pending(&mut self) -> io::Result<()> {
        if let Columns::Discover(entity) = self.columns {
            let mut found = discover(&self.raw, entity);
            // `_info` bookkeeping and lists crowd a table out.
            found.retain(|c| {
                !c.starts_with("_info/")
                    && !self
                        .raw
                        .iter()
                        .any(|r| lookup(r, c).is_some_and(Value::is_array))
            });
            found.truncate(MAX_DISCOVERED);
            self.columns = Columns::Fixed(found);
            let raw = std::mem::take(&mut self.raw);
            self.pending = raw.iter().map(|r| self.cells(r)).collect();
        }
        if self.layout.is_none() {
            let layout = self.layout_for();
            self.write_row(&layout, self.names().to_vec().as_slice(), true)?;
            self.layout = Some(layout);
        }
        let rows = std::mem::take(&mut self.pending);
        if let Some(layout) = self.layout.take() {
            for row in &rows {
                self.write_row(&layout, row, false)?;
            }
            self.layout = Some(layout);
        }
        Ok(())
    }

    fn layout_for(&self) -> Layout {
        let names = self.names();
        let mut natural: Vec<usize> = names.iter().map(|n| measure_text_width(n)).collect();
        let mut numeric = vec![true; names.len()];
        for row in &self.pending {
            for (i, cell) in row.iter().enumerate() {
                natural[i] = natural[i].max(measure_text_width(cell));
                if !cell.is_empty() && cell.parse::<f64>().is_err() {
                    numeric[i] = false;
                }
            }
        }
        for w in &mut natural {
            *w = (*w).clamp(1, MAX_CELL);
        }
        let widths = match self.width {
            Some(total) => fit(&natural, total),
            None => natural,
        };
        Layout { widths, numeric }
    }

    /// One line; numbers align right, except in the header.
    fn write_row(&mut self, layout: &Layout, cells: &[String], header: bool) -> io::Result<()> {
        let mut line = String::new();
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            let w = layout.widths[i];
            let cut = truncate_str(cell, w, "…");
            let right = layout.numeric[i] && !header;
            if i == last && !right {
                line.push_str(&cut);
            } else {
                let align = if right {
                    console::Alignment::Right
                } else {
                    console::Alignment::Left
                };
                line.push_str(&pad_str(&cut, w, align, None));
            }
            if i != last {
                line.push_str("  ");
            }
        }
        line.push('\n');
        self.out.write_all(line.as_bytes())
    }
}

/// Shrinks columns until the row fits `total` (two spaces between columns): first the widest
/// ones (long text like a summary) down to 20 characters each, then, if that is not enough,
/// every column evenly; none goes below 4 characters, so a very narrow terminal wraps instead.
fn fit(natural: &[usize], total: usize) -> Vec<usize> {
    const FLEX_FLOOR: usize = 20;
    let gaps = 2 * natural.len().saturating_sub(1);
    let available = total.saturating_sub(gaps);
    let mut widths = natural.to_vec();
    let mut excess = widths.iter().sum::<usize>().saturating_sub(available);
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(widths[i]));
    for i in order {
        if excess == 0 {
            return widths;
        }
        let cut = excess.min(widths[i].saturating_sub(FLEX_FLOOR));
        widths[i] -= cut;
        excess -= cut;
    }
    if excess == 0 {
        return widths;
    }
    // The largest cap such that every column cut to it fits.
    let capped = |cap: usize| widths.iter().map(|w| (*w).min(cap)).sum::<usize>();
    let mut cap = widths.iter().copied().max().unwrap_or(0);
    while cap > 4 && capped(cap) > available {
        cap -= 1;
    }
    widths.iter().map(|w| (*w).min(cap)).collect()
}

impl Sink for TableSink<'_> {
    fn record(&mut self, record: &RawValue) -> io::Result<()> {
        let record = &parse(record)?;
        if let Columns::Discover(_) = self.columns {
            self.raw.push(record.clone());
            if self.raw.len() >= CHUNK {
                self.flush_pending()?;
            }
        } else {
            let cells = self.cells(record);
            self.pending.push(cells);
            if self.pending.len() >= CHUNK || self.layout.is_some() {
                self.flush_pending()?;
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let empty = self.raw.is_empty() && self.pending.is_empty() && self.layout.is_none();
        if !empty {
            self.flush_pending()?;
        }
        self.out.flush()
    }
}

/// A single record as `field  value` lines.
pub fn key_values(
    out: &mut dyn Write,
    pairs: &[(String, String)],
    width: Option<usize>,
) -> io::Result<()> {
    let key_width = pairs
        .iter()
        .map(|(k, _)| measure_text_width(k))
        .max()
        .unwrap_or(0)
        .min(40);
    for (k, v) in pairs {
        let value = match width {
            Some(w) => truncate_str(v, w.saturating_sub(key_width + 2).max(10), "…").into_owned(),
            None => v.clone(),
        };
        writeln!(
            out,
            "{}  {}",
            pad_str(k, key_width, console::Alignment::Left, None),
            value
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::to_raw;
    use serde_json::json;

    #[test]
    fn columns_fit_the_width_and_numbers_align_right() {
        let mut buf = Vec::new();
        {
            let cols = Columns::Fixed(vec!["id".into(), "summary".into(), "status/name".into()]);
            let mut t = TableSink::new(&mut buf, cols, Some(30));
            t.record(&to_raw(&json!({"id": 7, "summary": "A very long summary that will not fit", "status": {"name": "New"}})).expect("raw"))
                .expect("row");
            t.record(
                &to_raw(&json!({"id": 12, "summary": "Short", "status": {"name": "In Progress"}}))
                    .expect("raw"),
            )
            .expect("row");
            t.finish().expect("finish");
        }
        let text = String::from_utf8(buf).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines.iter().all(|l| measure_text_width(l) <= 30), "{text}");
        assert!(lines[0].starts_with("id  summary"), "{text}");
        assert!(lines[1].starts_with(" 7  A very"), "{text}");
        assert!(lines[1].contains('…'), "{text}");
        assert!(lines[2].starts_with("12  Short"), "{text}");
    }

    #[test]
    fn fit_shrinks_only_the_widest() {
        assert_eq!(fit(&[2, 50, 10], 40), vec![2, 24, 10]);
        // The long column gives way first; short ones keep their width.
        assert_eq!(
            fit(&[5, 60, 17, 17, 18, 19], 120),
            vec![5, 34, 17, 17, 18, 19]
        );
        // Past the 20-character floor, every column shrinks evenly.
        assert_eq!(fit(&[5, 60, 30, 30], 50), vec![5, 13, 13, 13]);
        assert_eq!(fit(&[2, 5], 40), vec![2, 5]);
    }

    #[test]
    fn discovered_columns_skip_lists_and_info() {
        let mut buf = Vec::new();
        {
            let mut t = TableSink::new(&mut buf, Columns::Discover(None), None);
            t.record(
                &to_raw(
                    &json!({"id": 1, "name": "x", "types": [1], "_info": {"lastUpdated": "t"}}),
                )
                .expect("raw"),
            )
            .expect("row");
            t.finish().expect("finish");
        }
        assert_eq!(String::from_utf8(buf).expect("utf-8"), "id  name\n 1  x\n");
    }
}
