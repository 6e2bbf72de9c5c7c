//! A JSON writer for the three high-volume records, producing exactly the text `serde_json`
//! writes for them (compact, fields in declaration order, the same escapes and number forms),
//! without serde's per-field machinery; the references they repeat are copied from text
//! rendered once ([`Shared`]). A test compares the two writers on every seeded record.

use super::BASE_URL_PLACEHOLDER;
use super::out::{Dt, Href, Note, Shared, Ticket, TicketInfo, TicketRef, TimeEntry, Updated};
use super::time::write_datetime;

/// Writes a record as JSON text.
pub(super) trait WriteJson {
    fn write_json(&self, out: &mut Vec<u8>);
}

const LANE_ONES: u64 = 0x0101_0101_0101_0101;
const LANE_HIGHS: u64 = 0x8080_8080_8080_8080;

/// Whether any of the eight bytes of `word` needs escaping in a JSON string: a control byte,
/// `"` or `\`. (Each test is exact for "any byte", which is all that is asked.)
fn needs_escape(word: u64) -> bool {
    let below_space = word.wrapping_sub(LANE_ONES * 0x20) & !word;
    let quote = word ^ (LANE_ONES * u64::from(b'"'));
    let backslash = word ^ (LANE_ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(LANE_ONES) & !x;
    (below_space | zero(quote) | zero(backslash)) & LANE_HIGHS != 0
}

/// A JSON string: quoted, with `"`, `\` and control characters escaped as `serde_json` does.
pub(super) fn string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.push(b'"');
    let mut plain_from = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Text is mostly plain: skip it eight bytes at a time.
        if let Some(chunk) = bytes.get(i..).and_then(<[u8]>::first_chunk::<8>)
            && !needs_escape(u64::from_le_bytes(*chunk))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            0x08 => Some(b"\\b"),
            0x0c => Some(b"\\f"),
            0..0x20 => None,
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&bytes[plain_from..i]);
        match escape {
            Some(escape) => out.extend_from_slice(escape),
            None => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
        i += 1;
        plain_from = i;
    }
    out.extend_from_slice(&bytes[plain_from..]);
    out.push(b'"');
}

fn int(out: &mut Vec<u8>, n: i64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&digits[at..]);
}

/// A float as `serde_json` writes it (shortest round-trip digits, `null` when not finite): a
/// handful per record, so `serde_json` itself does it.
fn float(out: &mut Vec<u8>, f: f64) {
    // Writing a float into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, &f);
}

fn boolean(out: &mut Vec<u8>, b: bool) {
    out.extend_from_slice(if b { b"true" } else { b"false" });
}

impl WriteJson for Dt {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut text = [0u8; 20];
        write_datetime(self.0, &mut text);
        out.push(b'"');
        out.extend_from_slice(&text);
        out.push(b'"');
    }
}

impl WriteJson for Href {
    fn write_json(&self, out: &mut Vec<u8>) {
        // The placeholder, paths and tails are plain text: nothing to escape.
        out.push(b'"');
        out.extend_from_slice(BASE_URL_PLACEHOLDER.as_bytes());
        out.extend_from_slice(self.path.as_bytes());
        int(out, self.id);
        out.extend_from_slice(self.tail.as_bytes());
        out.push(b'"');
    }
}

impl WriteJson for Shared {
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.json().as_bytes());
    }
}

/// The fields of one object, written in the order they are given.
struct Object<'o> {
    out: &'o mut Vec<u8>,
    first: bool,
}

impl<'o> Object<'o> {
    fn new(out: &'o mut Vec<u8>) -> Object<'o> {
        out.push(b'{');
        Object { out, first: true }
    }

    /// Starts a field; `key` is a plain identifier (nothing to escape).
    fn key(&mut self, key: &str) -> &mut Vec<u8> {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(key.as_bytes());
        self.out.extend_from_slice(b"\":");
        self.out
    }

    fn str(&mut self, key: &str, value: &str) {
        string(self.key(key), value);
    }

    fn int(&mut self, key: &str, value: i64) {
        int(self.key(key), value);
    }

    fn float(&mut self, key: &str, value: f64) {
        float(self.key(key), value);
    }

    fn bool(&mut self, key: &str, value: bool) {
        boolean(self.key(key), value);
    }

    fn json(&mut self, key: &str, value: &impl WriteJson) {
        value.write_json(self.key(key));
    }

    /// A field left out when `None`, as `skip_serializing_if = "Option::is_none"` does.
    fn opt_str(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    fn opt_json(&mut self, key: &str, value: Option<&impl WriteJson>) {
        if let Some(value) = value {
            self.json(key, value);
        }
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

impl WriteJson for TicketInfo<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.json("configurations_href", &self.configurations_href);
        o.json("dateEntered", &self.date_entered);
        o.json("documents_href", &self.documents_href);
        o.str("enteredBy", self.entered_by);
        o.json("lastUpdated", &self.last_updated);
        o.json("notes_href", &self.notes_href);
        o.json("timeentries_href", &self.timeentries_href);
        o.str("updatedBy", self.updated_by);
        o.end();
    }
}

impl WriteJson for Ticket<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.json("_info", &self.info);
        o.float("actualHours", self.actual_hours);
        o.bool("approved", self.approved);
        o.bool("automaticEmailCcFlag", self.automatic_email_cc_flag);
        o.bool(
            "automaticEmailContactFlag",
            self.automatic_email_contact_flag,
        );
        o.bool(
            "automaticEmailResourceFlag",
            self.automatic_email_resource_flag,
        );
        o.str("billExpenses", self.bill_expenses);
        o.str("billProducts", self.bill_products);
        o.str("billTime", self.bill_time);
        o.json("board", self.board);
        o.float("budgetHours", self.budget_hours);
        o.str("city", self.city);
        o.opt_str("closedBy", self.closed_by);
        o.opt_json("closedDate", self.closed_date.as_ref());
        o.bool("closedFlag", self.closed_flag);
        o.json("company", self.company);
        o.opt_json("contact", self.contact);
        o.opt_str("contactEmailAddress", self.contact_email_address);
        o.opt_str("contactName", self.contact_name);
        o.opt_str("contactPhoneNumber", self.contact_phone_number);
        let fields = o.key("customFields");
        fields.push(b'[');
        for (i, field) in self.custom_fields.iter().enumerate() {
            if i > 0 {
                fields.push(b',');
            }
            field.write_json(fields);
        }
        fields.push(b']');
        o.bool("customerUpdatedFlag", self.customer_updated_flag);
        o.opt_json("dateResolved", self.date_resolved.as_ref());
        o.opt_json("dateResponded", self.date_responded.as_ref());
        o.json("department", self.department);
        o.bool("hasChildTicket", self.has_child_ticket);
        o.bool(
            "hasMergedChildTicketFlag",
            self.has_merged_child_ticket_flag,
        );
        o.int("id", self.id);
        o.str("impact", self.impact);
        o.bool("isInSla", self.is_in_sla);
        o.json("location", self.location);
        o.json("owner", self.owner);
        o.json("priority", self.priority);
        o.str("recordType", self.record_type);
        o.json("requiredDate", &self.required_date);
        o.str("resources", self.resources);
        o.str("severity", self.severity);
        o.json("site", self.site);
        o.str("siteName", self.site_name);
        o.json("source", self.source);
        o.str("stateIdentifier", self.state_identifier);
        o.json("status", self.status);
        o.str("summary", self.summary);
        o.json("type", self.kind);
        o.str("zip", self.zip);
        o.end();
    }
}

impl WriteJson for Updated<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.json("lastUpdated", &self.last_updated);
        o.str("updatedBy", self.updated_by);
        o.end();
    }
}

impl WriteJson for Note<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.json("_info", &self.info);
        o.str("createdBy", self.created_by);
        o.bool("customerUpdatedFlag", self.customer_updated_flag);
        o.json("dateCreated", &self.date_created);
        o.bool("detailDescriptionFlag", self.detail_description_flag);
        o.bool("externalFlag", self.external_flag);
        o.int("id", self.id);
        o.bool("internalAnalysisFlag", self.internal_analysis_flag);
        o.bool("internalFlag", self.internal_flag);
        o.bool("issueFlag", self.issue_flag);
        o.json("member", self.member);
        o.bool("resolutionFlag", self.resolution_flag);
        o.str("text", self.text);
        o.int("ticketId", self.ticket_id);
        o.end();
    }
}

impl WriteJson for TicketRef {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        let mut info = Object::new(o.key("_info"));
        info.json("ticket_href", &self.info.ticket_href);
        info.end();
        o.int("id", self.id);
        o.str("summary", &self.summary);
        o.end();
    }
}

impl WriteJson for TimeEntry<'_> {
    fn write_json(&self, out: &mut Vec<u8>) {
        let mut o = Object::new(out);
        o.json("_info", &self.info);
        o.float("actualHours", self.actual_hours);
        o.bool(
            "addToDetailDescriptionFlag",
            self.add_to_detail_description_flag,
        );
        o.bool(
            "addToInternalAnalysisFlag",
            self.add_to_internal_analysis_flag,
        );
        o.bool("addToResolutionFlag", self.add_to_resolution_flag);
        o.str("billableOption", self.billable_option);
        o.int("businessUnitId", self.business_unit_id);
        o.int("chargeToId", self.charge_to_id);
        o.str("chargeToType", self.charge_to_type);
        o.json("company", self.company);
        o.key("customFields").extend_from_slice(b"[]");
        o.json("dateEntered", &self.date_entered);
        o.bool("emailCcFlag", self.email_cc_flag);
        o.bool("emailContactFlag", self.email_contact_flag);
        o.bool("emailResourceFlag", self.email_resource_flag);
        o.str("enteredBy", self.entered_by);
        o.float("hourlyRate", self.hourly_rate);
        o.float("hoursBilled", self.hours_billed);
        o.float("hoursDeduct", self.hours_deduct);
        o.int("id", self.id);
        o.float("invoiceHours", self.invoice_hours);
        o.int("locationId", self.location_id);
        o.json("member", self.member);
        o.str("notes", self.notes);
        o.opt_json("project", self.project);
        o.str("status", self.status);
        o.json("ticket", self.ticket);
        o.json("timeEnd", &self.time_end);
        o.json("timeStart", &self.time_start);
        o.json("workRole", self.work_role);
        o.json("workType", self.work_type);
        o.end();
    }
}

#[cfg(test)]
mod tests {
    use super::super::out::Record;
    use super::super::{SeedConfig, drive};
    use super::{WriteJson, string};

    /// Every ticket, note and time entry is written exactly as `serde_json` writes it.
    #[test]
    fn records_are_written_as_serde_json_writes_them() {
        let config = SeedConfig::for_tickets(5, 300);
        let mut written = [0; 3];
        let mut ours = Vec::new();
        let result = drive::<serde_json::Error>(&config, &mut |_, record| {
            ours.clear();
            let kind = match &record {
                Record::Value(_) => return Ok(()),
                Record::Ticket(ticket) => {
                    ticket.write_json(&mut ours);
                    0
                }
                Record::Note(note) => {
                    note.write_json(&mut ours);
                    1
                }
                Record::TimeEntry(entry) => {
                    entry.write_json(&mut ours);
                    2
                }
            };
            let theirs = serde_json::to_vec(&record)?;
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
            written[kind] += 1;
            Ok(())
        });
        assert!(result.is_ok());
        assert!(written.iter().all(|&n| n >= 300), "{written:?}");
    }

    #[test]
    fn strings_escape_as_serde_json_does() {
        let mut samples: Vec<String> = (0u8..=0x7f).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "plain text longer than eight bytes",
                "quote \" and backslash \\ in a long run of text",
                "é日🎉 and\ttabs\nnewlines\r\u{7f}\u{1f}\u{0}",
                "\"\"\"\"\"\"\"\"\"\"",
                "abcdefg\u{1}abcdefgh\\",
            ]
            .map(str::to_owned),
        );
        for (i, b) in (0u8..0x20).enumerate() {
            // Every control byte at every position of an eight-byte word.
            let mut text = "abcdefghijklmnop".to_owned();
            text.insert(i % 16, char::from(b));
            samples.push(text);
        }
        for text in samples {
            let mut ours = Vec::new();
            string(&mut ours, &text);
            let theirs = serde_json::to_vec(&text).unwrap_or_default();
            assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&theirs)
            );
        }
    }
}
