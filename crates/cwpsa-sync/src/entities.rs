//! The entities the engine mirrors: API path, parent, and the typed columns each table gets
//! besides `id` and the full record (`data`).
//!
//! Typed columns are the fields reports filter and join on (reference ids and names, flags,
//! dates); everything else is in `data`. Table and column names never change once released:
//! a new column is a new migration.

/// How a typed column is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Bool,
    Text,
    /// A timestamp, normalised to UTC `YYYY-MM-DDTHH:MM:SSZ` (`timestamptz` in PostgreSQL).
    Time,
}

/// A typed column: its name and the record field it is read from (`company/id`).
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub path: &'static str,
    pub kind: Kind,
    pub indexed: bool,
}

/// One mirrored entity.
#[derive(Debug)]
pub struct EntitySpec {
    /// The table name (DESIGN.md's contract).
    pub name: &'static str,
    /// The API path; a child collection's has `{parentId}`.
    pub path: &'static str,
    /// For a child collection: the parent entity and the column holding the parent's id.
    pub parent: Option<(&'static str, &'static str)>,
    /// The callback `type` that reports changes to this entity, if any.
    pub callback_type: Option<&'static str>,
    pub columns: &'static [Column],
}

impl EntitySpec {
    pub fn is_child(&self) -> bool {
        self.parent.is_some()
    }

    /// The child collections of this entity.
    pub fn children(&self) -> impl Iterator<Item = &'static EntitySpec> + '_ {
        ENTITIES
            .iter()
            .filter(move |e| e.parent.is_some_and(|(p, _)| p == self.name))
    }

    pub fn parent_spec(&self) -> Option<&'static EntitySpec> {
        self.parent.and_then(|(p, _)| entity(p))
    }

    /// The API path of one parent's children (`service/tickets/5/notes`).
    pub fn child_path(&self, parent_id: i64) -> String {
        self.path.replace("{parentId}", &parent_id.to_string())
    }

    /// The position of this entity in [`ENTITIES`].
    pub fn index(&self) -> usize {
        ENTITIES
            .iter()
            .position(|e| e.name == self.name)
            .unwrap_or(0)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }
}

const fn col(name: &'static str, path: &'static str, kind: Kind) -> Column {
    Column {
        name,
        path,
        kind,
        indexed: false,
    }
}

const fn idx(name: &'static str, path: &'static str, kind: Kind) -> Column {
    Column {
        name,
        path,
        kind,
        indexed: true,
    }
}

use Kind::{Bool, Int, Real, Text, Time};

/// `_info` fields every table has.
macro_rules! with_info {
    ($($c:expr),* $(,)?) => {
        &[
            $($c,)*
            idx("last_updated", "_info/lastUpdated", Time),
            col("date_entered", "_info/dateEntered", Time),
            col("updated_by", "_info/updatedBy", Text),
        ]
    };
}

/// Every entity, parents before their children (the order a sync runs in).
pub static ENTITIES: [EntitySpec; 10] = [
    EntitySpec {
        name: "members",
        path: "system/members",
        parent: None,
        callback_type: Some("member"),
        columns: with_info![
            idx("identifier", "identifier", Text),
            col("first_name", "firstName", Text),
            col("last_name", "lastName", Text),
            col("title", "title", Text),
            col("primary_email", "primaryEmail", Text),
            col("inactive_flag", "inactiveFlag", Bool),
            col("hire_date", "hireDate", Time),
            col("security_role_name", "securityRole/name", Text),
            col("work_role_name", "workRole/name", Text),
            col("default_department_name", "defaultDepartment/name", Text),
            col("hourly_rate", "hourlyRate", Real),
        ],
    },
    EntitySpec {
        name: "priorities",
        path: "service/priorities",
        parent: None,
        callback_type: None,
        columns: with_info![
            col("name", "name", Text),
            col("color", "color", Text),
            col("sort_order", "sortOrder", Int),
            col("default_flag", "defaultFlag", Bool),
        ],
    },
    EntitySpec {
        name: "boards",
        path: "service/boards",
        parent: None,
        callback_type: None,
        columns: with_info![
            col("name", "name", Text),
            col("location_id", "location/id", Int),
            col("location_name", "location/name", Text),
            col("department_id", "department/id", Int),
            col("department_name", "department/name", Text),
            col("inactive_flag", "inactiveFlag", Bool),
            col("project_flag", "projectFlag", Bool),
        ],
    },
    EntitySpec {
        name: "board_statuses",
        path: "service/boards/{parentId}/statuses",
        parent: Some(("boards", "board_id")),
        callback_type: None,
        columns: with_info![
            idx("board_id", "board/id", Int),
            col("name", "name", Text),
            col("sort_order", "sortOrder", Int),
            col("display_on_board", "displayOnBoard", Bool),
            col("inactive", "inactive", Bool),
            col("closed_status", "closedStatus", Bool),
            col("default_flag", "defaultFlag", Bool),
        ],
    },
    EntitySpec {
        name: "companies",
        path: "company/companies",
        parent: None,
        callback_type: Some("company"),
        columns: with_info![
            idx("identifier", "identifier", Text),
            col("name", "name", Text),
            idx("status_id", "status/id", Int),
            col("status_name", "status/name", Text),
            col("city", "city", Text),
            col("state", "state", Text),
            col("zip", "zip", Text),
            col("country_name", "country/name", Text),
            col("phone_number", "phoneNumber", Text),
            col("website", "website", Text),
            col("territory_name", "territory/name", Text),
            col("market_name", "market/name", Text),
            col("default_contact_id", "defaultContact/id", Int),
            col("parent_company_id", "parentCompany/id", Int),
            col("deleted_flag", "deletedFlag", Bool),
        ],
    },
    EntitySpec {
        name: "contacts",
        path: "company/contacts",
        parent: None,
        callback_type: Some("contact"),
        columns: with_info![
            col("first_name", "firstName", Text),
            col("last_name", "lastName", Text),
            idx("company_id", "company/id", Int),
            col("company_name", "company/name", Text),
            col("site_name", "site/name", Text),
            col("title", "title", Text),
            col("inactive_flag", "inactiveFlag", Bool),
            col("default_phone_nbr", "defaultPhoneNbr", Text),
        ],
    },
    EntitySpec {
        name: "tickets",
        path: "service/tickets",
        parent: None,
        callback_type: Some("ticket"),
        columns: with_info![
            col("summary", "summary", Text),
            col("record_type", "recordType", Text),
            idx("board_id", "board/id", Int),
            col("board_name", "board/name", Text),
            idx("status_id", "status/id", Int),
            col("status_name", "status/name", Text),
            idx("company_id", "company/id", Int),
            col("company_name", "company/name", Text),
            idx("contact_id", "contact/id", Int),
            col("contact_name", "contactName", Text),
            col("type_name", "type/name", Text),
            col("sub_type_name", "subType/name", Text),
            col("team_name", "team/name", Text),
            idx("owner_id", "owner/id", Int),
            col("owner_identifier", "owner/identifier", Text),
            idx("priority_id", "priority/id", Int),
            col("priority_name", "priority/name", Text),
            col("source_name", "source/name", Text),
            col("agreement_id", "agreement/id", Int),
            col("severity", "severity", Text),
            col("impact", "impact", Text),
            col("required_date", "requiredDate", Time),
            col("budget_hours", "budgetHours", Real),
            col("actual_hours", "actualHours", Real),
            idx("closed_flag", "closedFlag", Bool),
            col("closed_date", "closedDate", Time),
            col("closed_by", "closedBy", Text),
            col("date_resolved", "dateResolved", Time),
            col("is_in_sla", "isInSla", Bool),
            col("parent_ticket_id", "parentTicketId", Int),
        ],
    },
    EntitySpec {
        name: "ticket_notes",
        path: "service/tickets/{parentId}/notes",
        parent: Some(("tickets", "ticket_id")),
        callback_type: None,
        columns: with_info![
            idx("ticket_id", "ticketId", Int),
            col("text", "text", Text),
            col("detail_description_flag", "detailDescriptionFlag", Bool),
            col("internal_analysis_flag", "internalAnalysisFlag", Bool),
            col("resolution_flag", "resolutionFlag", Bool),
            col("internal_flag", "internalFlag", Bool),
            col("external_flag", "externalFlag", Bool),
            col("member_id", "member/id", Int),
            col("member_identifier", "member/identifier", Text),
            col("contact_id", "contact/id", Int),
            col("date_created", "dateCreated", Time),
            col("created_by", "createdBy", Text),
        ],
    },
    EntitySpec {
        name: "projects",
        path: "project/projects",
        parent: None,
        callback_type: Some("project"),
        columns: with_info![
            col("name", "name", Text),
            idx("board_id", "board/id", Int),
            col("board_name", "board/name", Text),
            idx("company_id", "company/id", Int),
            col("company_name", "company/name", Text),
            col("contact_id", "contact/id", Int),
            col("status_id", "status/id", Int),
            col("status_name", "status/name", Text),
            idx("manager_id", "manager/id", Int),
            col("manager_identifier", "manager/identifier", Text),
            col("closed_flag", "closedFlag", Bool),
            col("billing_method", "billingMethod", Text),
            col("estimated_start", "estimatedStart", Time),
            col("estimated_end", "estimatedEnd", Time),
            col("actual_start", "actualStart", Time),
            col("actual_end", "actualEnd", Time),
            col("budget_hours", "budgetHours", Real),
            col("actual_hours", "actualHours", Real),
            col("percent_complete", "percentComplete", Real),
        ],
    },
    EntitySpec {
        name: "time_entries",
        path: "time/entries",
        parent: None,
        callback_type: Some("time"),
        columns: with_info![
            idx("company_id", "company/id", Int),
            col("company_name", "company/name", Text),
            col("charge_to_id", "chargeToId", Int),
            col("charge_to_type", "chargeToType", Text),
            idx("member_id", "member/id", Int),
            col("member_identifier", "member/identifier", Text),
            idx("ticket_id", "ticket/id", Int),
            idx("project_id", "project/id", Int),
            col("work_type_name", "workType/name", Text),
            col("work_role_name", "workRole/name", Text),
            col("agreement_id", "agreement/id", Int),
            idx("time_start", "timeStart", Time),
            col("time_end", "timeEnd", Time),
            col("actual_hours", "actualHours", Real),
            col("hours_deduct", "hoursDeduct", Real),
            col("billable_option", "billableOption", Text),
            col("status", "status", Text),
            col("hourly_rate", "hourlyRate", Real),
        ],
    },
];

/// An entity by table name.
pub fn entity(name: &str) -> Option<&'static EntitySpec> {
    ENTITIES.iter().find(|e| e.name == name)
}

/// The entities a `--entities` list names (table names, or any name the schema registry
/// knows, like `Ticket` or `service/tickets`), in sync order. Children need their parent.
pub fn select(names: &[String]) -> Result<Vec<&'static EntitySpec>, String> {
    if names.is_empty() {
        return Ok(ENTITIES.iter().collect());
    }
    let mut chosen = Vec::new();
    for name in names {
        let name = name.trim();
        let spec = entity(name)
            .or_else(|| {
                cwpsa_core::schema::registry()
                    .entity(name)
                    .and_then(|e| entity(e.name()))
            })
            .ok_or_else(|| {
                format!(
                    "unknown entity `{name}`; choose from {}",
                    ENTITIES
                        .iter()
                        .map(|e| e.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        if !chosen.iter().any(|c: &&EntitySpec| c.name == spec.name) {
            chosen.push(spec);
        }
    }
    for spec in &chosen {
        if let Some((parent, _)) = spec.parent
            && !chosen.iter().any(|c| c.name == parent)
        {
            return Err(format!(
                "{} are synced through their parent {parent} (by its lastUpdated): add {parent} to --entities",
                spec.name
            ));
        }
    }
    chosen.sort_by_key(|c| ENTITIES.iter().position(|e| e.name == c.name));
    Ok(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_and_column_is_known_to_the_schema_registry() {
        let registry = cwpsa_core::schema::registry();
        for spec in &ENTITIES {
            let entity = registry
                .entity(spec.name)
                .unwrap_or_else(|| panic!("{} not in the registry", spec.name));
            assert_eq!(entity.path(), spec.path, "{}", spec.name);
            assert_eq!(entity.parent(), spec.parent.map(|p| p.0), "{}", spec.name);
            let mut names = std::collections::HashSet::new();
            for column in spec.columns {
                assert!(
                    names.insert(column.name),
                    "{}.{} twice",
                    spec.name,
                    column.name
                );
                let info = entity
                    .field(column.path)
                    .unwrap_or_else(|e| panic!("{}.{}: {e}", spec.name, column.path));
                assert_eq!(info.path, column.path, "{}: canonical spelling", spec.name);
                assert!(
                    column
                        .name
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "{}",
                    column.name
                );
            }
            if let Some((_, column)) = spec.parent {
                assert!(spec.column_index(column).is_some(), "{}", spec.name);
            }
        }
    }

    #[test]
    fn selection_checks_names_and_parents() {
        let all = select(&[]).unwrap_or_default();
        assert_eq!(all.len(), ENTITIES.len());
        let some = select(&["Ticket".into(), "companies".into()]).unwrap_or_default();
        assert_eq!(
            some.iter().map(|e| e.name).collect::<Vec<_>>(),
            ["companies", "tickets"]
        );
        let err = select(&["ticket_notes".into()]).err().unwrap_or_default();
        assert!(err.contains("add tickets"), "{err}");
        let err = select(&["tickets".into(), "nope".into()])
            .err()
            .unwrap_or_default();
        assert!(err.contains("unknown entity `nope`"), "{err}");
    }
}
