//! Typed models of the core entities.
//!
//! Every field is optional (a `fields` selection returns any subset), unknown fields are kept
//! in `extra` and written back on serialization, and enums keep values they do not know in
//! `Other`, so that a server adding a field or an enum value never breaks decoding.

use std::borrow::Cow;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A map key or string, borrowed from the input when it has no escapes (serde's own `Cow`
/// impl always copies).
struct Text<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text<'de>, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'de>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

/// `snake_case` (or `r#type`) to the API's `camelCase`, as serde's `rename_all` would.
fn camel_case(field: &str) -> String {
    let field = field.strip_prefix("r#").unwrap_or(field);
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Deserializes a record with optional fields, keeping unknown ones in `extra`, in one pass.
/// (`#[serde(flatten)]` would do the same by buffering every record into an intermediate tree
/// first, which made decoding several times slower than the sandbox's encoding.)
macro_rules! open_record_deserialize {
    ($name:ident { $($field:ident),* } $(, $info:ident = $info_key:literal)?) => {
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                #[allow(non_camel_case_types)]
                #[derive(Clone, Copy)]
                enum Field { $($field,)* }
                const FIELDS: &[Field] = &[$(Field::$field),*];
                static NAMES: std::sync::LazyLock<Vec<String>> =
                    std::sync::LazyLock::new(|| vec![$(camel_case(stringify!($field))),*]);

                struct RecordVisitor;
                impl<'de> Visitor<'de> for RecordVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " object"))
                    }
                    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$name, A::Error> {
                        let mut record = $name::default();
                        while let Some(Text(key)) = map.next_key::<Text<'de>>()? {
                            match NAMES.iter().position(|n| *n == key) {
                                Some(i) => match FIELDS[i] {
                                    $(Field::$field => record.$field = map.next_value()?,)*
                                },
                                None => {
                                    $(if key == $info_key {
                                        record.$info = map.next_value()?;
                                        continue;
                                    })?
                                    let value: Value = map.next_value()?;
                                    record.extra.insert(key.into_owned(), value);
                                }
                            }
                        }
                        Ok(record)
                    }
                }
                d.deserialize_map(RecordVisitor)
            }
        }
    };
}

/// A string enum that keeps unknown values.
macro_rules! open_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($variant,)*
            /// A value this crate does not know, as sent.
            Other(String),
        }

        impl $name {
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $(if s.eq_ignore_ascii_case($text) { return $name::$variant; })*
                $name::Other(s.to_owned())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let Text(s) = Text::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

/// A record type with optional fields, `_info` and the unknown fields kept in `extra`.
macro_rules! model {
    ($(#[$m:meta])* $name:ident { $($(#[$fm:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            $(
                $(#[$fm])*
                #[serde(skip_serializing_if = "Option::is_none")]
                pub $field: Option<$ty>,
            )*
            #[serde(rename = "_info", skip_serializing_if = "Option::is_none")]
            pub info: Option<Info>,
            /// Fields this version of the crate does not model, kept as sent.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
        open_record_deserialize!($name { $($field),* }, info = "_info");
    };
}

/// `_info`: bookkeeping strings (`lastUpdated`, `updatedBy`, `*_href`...).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Info {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_entered: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entered_by: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
open_record_deserialize!(Info {
    last_updated,
    updated_by,
    date_entered,
    entered_by
});

open_enum!(
    /// Where a time entry is charged.
    ChargeToType { ServiceTicket = "ServiceTicket", ProjectTicket = "ProjectTicket", ChargeCode = "ChargeCode", Activity = "Activity" }
);
open_enum!(RecordType { ServiceTicket = "ServiceTicket", ProjectTicket = "ProjectTicket", ProjectIssue = "ProjectIssue" });
open_enum!(CommunicationType { Email = "Email", Phone = "Phone", Fax = "Fax" });
open_enum!(
    CustomFieldType { Button = "Button", Checkbox = "Checkbox", Date = "Date", Hyperlink = "Hyperlink", Number = "Number", Percent = "Percent", Text = "Text", TextArea = "TextArea" }
);
open_enum!(EntryMethod { EntryField = "EntryField", List = "List", Option = "Option" });
open_enum!(BillableOption { Billable = "Billable", DoNotBill = "DoNotBill", NoCharge = "NoCharge", NoDefault = "NoDefault" });
open_enum!(Level { Low = "Low", Medium = "Medium", High = "High" });
open_enum!(CallbackAction { Added = "added", Updated = "updated", Deleted = "deleted" });

model!(
    /// A reference to another record: `{"id":19298,"identifier":"X","name":"Y","_info":{..}}`.
    Reference { id: i64, identifier: String, name: String }
);

impl Reference {
    /// `{"id": id}`, what a write needs.
    pub fn id(id: i64) -> Reference {
        Reference {
            id: Some(id),
            ..Reference::default()
        }
    }
}

model!(
    /// A custom field value.
    CustomField { id: i64, caption: String, r#type: CustomFieldType, entry_method: EntryMethod, number_of_decimals: i64, value: Value }
);

model!(
    /// `service/tickets`.
    Ticket {
        id: i64, summary: String, record_type: RecordType, board: Reference, status: Reference,
        r#type: Reference, sub_type: Reference, item: Reference, team: Reference, owner: Reference,
        priority: Reference, source: Reference, company: Reference, contact: Reference,
        contact_name: String, contact_email_address: String, site: Reference, site_name: String,
        required_date: String, budget_hours: f64, actual_hours: f64, agreement: Reference,
        severity: Level, impact: Level, initial_description: String, closed_date: String,
        closed_by: String, closed_flag: bool, date_resolved: String, is_in_sla: bool,
        resources: String, parent_ticket_id: i64, has_child_ticket: bool,
        custom_fields: Vec<CustomField>,
    }
);

model!(
    /// `service/tickets/{id}/notes`.
    Note {
        id: i64, ticket_id: i64, text: String, detail_description_flag: bool,
        internal_analysis_flag: bool, resolution_flag: bool, issue_flag: bool, member: Reference,
        contact: Reference, customer_updated_flag: bool, process_notifications: bool,
        date_created: String, created_by: String, internal_flag: bool, external_flag: bool,
    }
);

model!(
    /// `company/companies`.
    Company {
        id: i64, identifier: String, name: String, status: Reference, address_line1: String,
        address_line2: String, city: String, state: String, zip: String, country: Reference,
        phone_number: String, fax_number: String, website: String, territory: Reference,
        market: Reference, default_contact: Reference, parent_company: Reference,
        deleted_flag: bool, types: Vec<Reference>, site: Reference, date_acquired: String,
        number_of_employees: i64, custom_fields: Vec<CustomField>,
    }
);

model!(
    /// An entry of a contact's `communicationItems`.
    CommunicationItem { id: i64, r#type: Reference, value: String, extension: String, default_flag: bool, domain: String, communication_type: CommunicationType }
);

model!(
    /// `company/contacts`.
    Contact {
        id: i64, first_name: String, last_name: String, company: Reference, site: Reference,
        title: String, inactive_flag: bool, default_phone_nbr: String, default_phone_type: String,
        default_email: String, communication_items: Vec<CommunicationItem>, types: Vec<Reference>,
        custom_fields: Vec<CustomField>,
    }
);

model!(
    /// `project/projects`.
    Project {
        id: i64, name: String, board: Reference, company: Reference, contact: Reference,
        status: Reference, r#type: Reference, estimated_start: String, estimated_end: String,
        closed_flag: bool, manager: Reference, billing_method: String, budget_hours: f64,
        actual_hours: f64, estimated_hours: f64, percent_complete: f64, description: String,
        custom_fields: Vec<CustomField>,
    }
);

model!(
    /// `time/entries`.
    TimeEntry {
        id: i64, company: Reference, charge_to_id: i64, charge_to_type: ChargeToType,
        member: Reference, time_start: String, time_end: String, actual_hours: f64,
        hours_deduct: f64, billable_option: BillableOption, work_type: Reference,
        work_role: Reference, notes: String, internal_notes: String, ticket: Reference,
        project: Reference, hourly_rate: f64,
    }
);

model!(
    /// `system/members`.
    Member {
        id: i64, identifier: String, first_name: String, last_name: String, hire_date: String,
        security_role: Reference, inactive_flag: bool, title: String, primary_email: String,
        office_phone: String, office_email: String, time_zone: Reference,
        default_location: Reference, default_department: Reference, work_role: Reference,
        hourly_rate: f64, admin_flag: bool, license_class: String,
    }
);

model!(
    /// `service/boards`.
    Board { id: i64, name: String, location: Reference, department: Reference, inactive_flag: bool, project_flag: bool }
);

model!(
    /// `service/boards/{id}/statuses` (note `inactive`/`closedStatus`, not `...Flag`).
    BoardStatus { id: i64, name: String, board: Reference, sort_order: i64, display_on_board: bool, inactive: bool, closed_status: bool, default_flag: bool, escalation_status: String }
);

model!(
    /// `service/priorities`.
    Priority { id: i64, name: String, color: String, sort_order: i64, default_flag: bool, level: String }
);

model!(
    /// `system/callbacks`: a callback registration.
    Callback {
        id: i64, description: String, url: String, object_id: i64, r#type: String, level: String,
        member_id: i64, payload_version: String, inactive_flag: bool,
        is_soap_callback_flag: bool, is_self_suppressed_flag: bool, connect_wise_i_d: String,
    }
);

/// A typed entity and its top-level collection path (`Ticket::PATH`).
pub trait Entity: serde::de::DeserializeOwned + Serialize + Send + 'static {
    /// The collection path relative to `apis/3.0/`.
    const PATH: &'static str;
}

impl Entity for Ticket {
    const PATH: &'static str = "service/tickets";
}
impl Entity for Company {
    const PATH: &'static str = "company/companies";
}
impl Entity for Contact {
    const PATH: &'static str = "company/contacts";
}
impl Entity for Project {
    const PATH: &'static str = "project/projects";
}
impl Entity for TimeEntry {
    const PATH: &'static str = "time/entries";
}
impl Entity for Member {
    const PATH: &'static str = "system/members";
}
impl Entity for Board {
    const PATH: &'static str = "service/boards";
}
impl Entity for Priority {
    const PATH: &'static str = "service/priorities";
}
impl Entity for Callback {
    const PATH: &'static str = "system/callbacks";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_enum_values_survive_a_round_trip() {
        let json = serde_json::json!({
            "id": 7, "summary": "x", "severity": "Catastrophic", "recordType": "ServiceTicket",
            "brandNewField": {"a": [1, 2]},
            "company": {"id": 1, "identifier": "A", "name": "A Co", "_info": {"company_href": "h"}},
            "_info": {"lastUpdated": "2024-01-01T00:00:00Z", "custom_href": "x"}
        });
        let t: Ticket = serde_json::from_value(json.clone()).unwrap_or_default();
        assert_eq!(t.id, Some(7));
        assert_eq!(t.severity, Some(Level::Other("Catastrophic".into())));
        assert_eq!(t.record_type, Some(RecordType::ServiceTicket));
        assert_eq!(t.extra["brandNewField"], serde_json::json!({"a": [1, 2]}));
        assert_eq!(
            t.info.as_ref().and_then(|i| i.last_updated.as_deref()),
            Some("2024-01-01T00:00:00Z")
        );
        assert_eq!(serde_json::to_value(&t).unwrap_or_default(), json);
    }
}
