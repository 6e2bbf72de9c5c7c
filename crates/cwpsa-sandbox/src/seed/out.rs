//! The three high-volume records (tickets, notes, time entries) as plain structs that serde
//! writes straight to JSON text; building a `serde_json::Value` tree first cost several times
//! more than the text. Fields are in key order, so the text equals that of the same record
//! turned into a `Value` (whose `Map` sorts its keys).

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use super::BASE_URL_PLACEHOLDER;
use super::time::write_datetime;

/// A value many records repeat (a reference to a company, a board, a member, ...), with its
/// JSON text rendered once: the record writer copies the text instead of serialising the value
/// again for every record.
#[derive(Debug)]
pub(super) struct Shared {
    pub value: Value,
    json: String,
}

impl Shared {
    pub(super) fn new(value: Value) -> Shared {
        let json = value.to_string();
        Shared { value, json }
    }

    pub(super) fn json(&self) -> &str {
        &self.json
    }
}

impl Serialize for Shared {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// A datetime, written as `2024-03-05T14:22:07Z` without an intermediate `String`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dt(pub i64);

impl Serialize for Dt {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 20];
        write_datetime(self.0, &mut buf);
        let text = std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?;
        s.serialize_str(text)
    }
}

/// `{base_url}{path}{id}{tail}`, written without an intermediate `String`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Href {
    pub path: &'static str,
    pub id: i64,
    pub tail: &'static str,
}

impl fmt::Display for Href {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(BASE_URL_PLACEHOLDER)?;
        f.write_str(self.path)?;
        write!(f, "{}", self.id)?;
        f.write_str(self.tail)
    }
}

impl Serialize for Href {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Serialize)]
pub(super) struct TicketInfo<'a> {
    pub configurations_href: Href,
    #[serde(rename = "dateEntered")]
    pub date_entered: Dt,
    pub documents_href: Href,
    #[serde(rename = "enteredBy")]
    pub entered_by: &'a str,
    #[serde(rename = "lastUpdated")]
    pub last_updated: Dt,
    pub notes_href: Href,
    pub timeentries_href: Href,
    #[serde(rename = "updatedBy")]
    pub updated_by: &'a str,
}

// Field names are the API's (`hasChildTicket` on a ticket).
#[allow(clippy::struct_field_names)]
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Ticket<'a> {
    #[serde(rename = "_info")]
    pub info: TicketInfo<'a>,
    pub actual_hours: f64,
    pub approved: bool,
    pub automatic_email_cc_flag: bool,
    pub automatic_email_contact_flag: bool,
    pub automatic_email_resource_flag: bool,
    pub bill_expenses: &'static str,
    pub bill_products: &'static str,
    pub bill_time: &'static str,
    pub board: &'a Shared,
    pub budget_hours: f64,
    pub city: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_date: Option<Dt>,
    pub closed_flag: bool,
    pub company: &'a Shared,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<&'a Shared>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_email_address: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_phone_number: Option<&'a str>,
    pub custom_fields: [&'a Shared; 2],
    pub customer_updated_flag: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_resolved: Option<Dt>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_responded: Option<Dt>,
    pub department: &'a Shared,
    pub has_child_ticket: bool,
    pub has_merged_child_ticket_flag: bool,
    pub id: i64,
    pub impact: &'static str,
    pub is_in_sla: bool,
    pub location: &'a Shared,
    pub owner: &'a Shared,
    pub priority: &'a Shared,
    pub record_type: &'static str,
    pub required_date: Dt,
    pub resources: &'a str,
    pub severity: &'static str,
    pub site: &'a Shared,
    pub site_name: &'static str,
    pub source: &'a Shared,
    pub state_identifier: &'a str,
    pub status: &'a Shared,
    pub summary: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a Shared,
    pub zip: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Updated<'a> {
    pub last_updated: Dt,
    pub updated_by: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Note<'a> {
    #[serde(rename = "_info")]
    pub info: Updated<'a>,
    pub created_by: &'a str,
    pub customer_updated_flag: bool,
    pub date_created: Dt,
    pub detail_description_flag: bool,
    pub external_flag: bool,
    pub id: i64,
    pub internal_analysis_flag: bool,
    pub internal_flag: bool,
    pub issue_flag: bool,
    pub member: &'a Shared,
    pub resolution_flag: bool,
    pub text: &'a str,
    pub ticket_id: i64,
}

#[derive(Debug, Serialize)]
pub(super) struct TicketRefInfo {
    pub ticket_href: Href,
}

/// A time entry's `ticket`, built once per ticket.
#[derive(Debug, Serialize)]
pub(super) struct TicketRef {
    #[serde(rename = "_info")]
    pub info: TicketRefInfo,
    pub id: i64,
    pub summary: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TimeEntry<'a> {
    #[serde(rename = "_info")]
    pub info: Updated<'a>,
    pub actual_hours: f64,
    pub add_to_detail_description_flag: bool,
    pub add_to_internal_analysis_flag: bool,
    pub add_to_resolution_flag: bool,
    pub billable_option: &'static str,
    pub business_unit_id: i64,
    pub charge_to_id: i64,
    pub charge_to_type: &'static str,
    pub company: &'a Shared,
    pub custom_fields: [(); 0],
    pub date_entered: Dt,
    pub email_cc_flag: bool,
    pub email_contact_flag: bool,
    pub email_resource_flag: bool,
    pub entered_by: &'a str,
    pub hourly_rate: f64,
    pub hours_billed: f64,
    pub hours_deduct: f64,
    pub id: i64,
    pub invoice_hours: f64,
    pub location_id: i64,
    pub member: &'a Shared,
    pub notes: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<&'a Shared>,
    pub status: &'static str,
    pub ticket: &'a TicketRef,
    pub time_end: Dt,
    pub time_start: Dt,
    pub work_role: &'a Shared,
    pub work_type: &'a Shared,
}

/// One record on its way to a sink: the high-volume kinds as structs, the rest as `Value`s.
// Each record is built on the stack and handed over once; boxing the big variants would put an
// allocation back on the hot path.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(super) enum Record<'a> {
    Value(Value),
    Ticket(Ticket<'a>),
    Note(Note<'a>),
    TimeEntry(TimeEntry<'a>),
}

impl Record<'_> {
    pub(super) fn id(&self) -> i64 {
        match self {
            Record::Value(v) => v.get("id").and_then(Value::as_i64).unwrap_or_default(),
            Record::Ticket(t) => t.id,
            Record::Note(n) => n.id,
            Record::TimeEntry(e) => e.id,
        }
    }

    /// The record as a `Value`. Serialising these types into a `Value` cannot fail (every map
    /// key is a string), so the error arm is unreachable in practice.
    pub(super) fn into_value(self) -> Value {
        let value = match self {
            Record::Value(v) => return v,
            Record::Ticket(t) => serde_json::to_value(t),
            Record::Note(n) => serde_json::to_value(n),
            Record::TimeEntry(e) => serde_json::to_value(e),
        };
        value.unwrap_or(Value::Null)
    }
}

impl Serialize for Record<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Record::Value(v) => v.serialize(s),
            Record::Ticket(t) => t.serialize(s),
            Record::Note(n) => n.serialize(s),
            Record::TimeEntry(e) => e.serialize(s),
        }
    }
}
