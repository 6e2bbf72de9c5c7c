//! The seeded demo data: deterministic, complete, and internally consistent.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;

use cwpsa_sandbox::seed::{
    ANCHOR, BASE_URL_PLACEHOLDER, ENTITIES, SeedConfig, WINDOW_START, generate,
};
use serde_json::Value;

fn collect(config: &SeedConfig) -> Vec<(&'static str, Value)> {
    let mut out = Vec::new();
    generate::<Infallible>(config, &mut |entity, record| {
        out.push((entity, record));
        Ok(())
    })
    .unwrap_or_else(|never| match never {});
    out
}

fn small(seed: u64) -> SeedConfig {
    SeedConfig {
        seed,
        tickets: 300,
        time_entries: 500,
        ..SeedConfig::default()
    }
}

/// Seconds since the epoch for `YYYY-MM-DDTHH:MM:SSZ`, or `None` if malformed.
fn parse_datetime(value: &str) -> Option<i64> {
    let (s, b) = (value, value.as_bytes());
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        let part = s.get(from..to)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // days_from_civil (Howard Hinnant).
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
}

fn int(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
}

fn num(v: &Value, pointer: &str) -> f64 {
    v.pointer(pointer)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
}

fn flag(v: &Value, pointer: &str) -> bool {
    v.pointer(pointer)
        .and_then(Value::as_bool)
        .unwrap_or_else(|| panic!("{pointer} missing in {v}"))
}

fn time(v: &Value, pointer: &str) -> i64 {
    let s = text(v, pointer);
    parse_datetime(s).unwrap_or_else(|| panic!("{pointer} = {s:?} is not a datetime"))
}

/// Records by entity and id, filled in emission order so "emitted earlier" can be checked.
#[derive(Default)]
struct Seen {
    by_entity: HashMap<&'static str, HashMap<i64, Value>>,
}

impl Seen {
    fn get(&self, entity: &str, id: i64) -> &Value {
        self.by_entity
            .get(entity)
            .and_then(|m| m.get(&id))
            .unwrap_or_else(|| panic!("{entity} {id} referenced before (or without) being emitted"))
    }

    /// Checks a reference object against the referenced record: the id exists, and every
    /// name-like field of the reference equals the record's.
    fn check_ref(&self, entity: &str, reference: &Value) -> &Value {
        let id = int(reference, "/id");
        let target = self.get(entity, id);
        if let Some(name) = reference.get("name").and_then(Value::as_str) {
            let expected = match entity {
                "members" | "contacts" => {
                    format!(
                        "{} {}",
                        text(target, "/firstName"),
                        text(target, "/lastName")
                    )
                }
                _ => text(target, "/name").to_owned(),
            };
            assert_eq!(name, expected, "{entity} {id} name in {reference}");
        }
        for key in ["identifier", "summary"] {
            if let Some(value) = reference.get(key) {
                assert_eq!(Some(value), target.get(key), "{entity} {id} {key}");
            }
        }
        target
    }
}

#[test]
fn same_seed_gives_identical_records_and_another_seed_differs() {
    let serialise = |c: &SeedConfig| -> Vec<(&'static str, String)> {
        collect(c)
            .into_iter()
            .map(|(e, v)| (e, v.to_string()))
            .collect()
    };
    let a = serialise(&small(7));
    assert_eq!(a, serialise(&small(7)));
    let b = serialise(&small(8));
    let without_notes =
        |v: &[(&str, String)]| v.iter().filter(|(e, _)| *e != "ticket_notes").count();
    assert_eq!(
        without_notes(&a),
        without_notes(&b),
        "counts do not depend on the seed"
    );
    assert_ne!(a, b);
    // Not just a shifted copy: most tickets differ.
    let differing = a
        .iter()
        .zip(&b)
        .filter(|(x, y)| x.0 == "tickets" && x.1 != y.1)
        .count();
    assert!(differing > 250, "{differing}");
}

#[test]
fn default_is_small_and_counts_match_the_config() {
    let config = SeedConfig::default();
    assert_eq!(config.tickets, 600);
    assert!(config.companies >= 20 && config.contacts >= 60 && config.members >= 10);
    for config in [
        config,
        small(3),
        SeedConfig {
            contacts: 10,
            members: 7,
            projects: 0,
            ..small(4)
        },
    ] {
        let records = collect(&config);
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        let mut last_position = 0;
        for (entity, _) in &records {
            *counts.entry(entity).or_default() += 1;
            let position = ENTITIES
                .iter()
                .position(|e| e == entity)
                .expect("known entity");
            assert!(
                position >= last_position,
                "{entity} out of dependency order"
            );
            last_position = position;
        }
        assert_eq!(counts.get("members"), Some(&config.members));
        assert_eq!(counts.get("companies"), Some(&config.companies));
        assert_eq!(counts.get("contacts"), Some(&config.contacts));
        assert_eq!(counts.get("tickets"), Some(&config.tickets));
        assert_eq!(
            counts.get("projects").copied().unwrap_or(0),
            config.projects
        );
        assert_eq!(counts.get("time_entries"), Some(&config.time_entries));
        assert_eq!(counts.get("priorities"), Some(&5));
        assert_eq!(counts.get("boards"), Some(&4));
        let notes = counts.get("ticket_notes").copied().unwrap_or(0);
        assert!(
            notes >= config.tickets * config.notes_min
                && notes <= config.tickets * config.notes_max
        );
    }
}

#[test]
fn every_reference_points_to_an_earlier_record_with_the_same_name() {
    let records = collect(&SeedConfig::default());
    let mut seen = Seen::default();
    let mut entries_hours: HashMap<i64, f64> = HashMap::new();
    for (entity, record) in &records {
        match *entity {
            "boards" => {
                if let Some(m) = record.get("serviceManagerMember") {
                    seen.check_ref("members", m);
                }
            }
            "board_statuses" => {
                seen.check_ref("boards", &record["board"]);
            }
            "contacts" => {
                let company = seen.check_ref("companies", &record["company"]);
                assert_eq!(record["site"]["id"], company["site"]["id"]);
                let email = record["communicationItems"]
                    .as_array()
                    .and_then(|items| items.iter().find(|i| i["communicationType"] == "Email"))
                    .expect("an email");
                let domain = text(company, "/website").trim_start_matches("www.");
                let expected = format!(
                    "{}.{}@{domain}",
                    text(record, "/firstName").to_lowercase(),
                    text(record, "/lastName").to_lowercase()
                );
                assert_eq!(email["value"], Value::from(expected));
            }
            "tickets" => {
                let board = seen.check_ref("boards", &record["board"]);
                let status = seen.check_ref("board_statuses", &record["status"]);
                assert_eq!(
                    status["board"]["id"], board["id"],
                    "status of another board: {record}"
                );
                assert!(!flag(status, "/inactive"), "ticket in an inactive status");
                assert_eq!(flag(record, "/closedFlag"), flag(status, "/closedStatus"));
                assert_eq!(record["status"]["sort"], status["sortOrder"]);
                let company = seen.check_ref("companies", &record["company"]);
                assert_eq!(record["site"]["id"], company["site"]["id"]);
                if let Some(c) = record.get("contact") {
                    let contact = seen.check_ref("contacts", c);
                    assert_eq!(
                        contact["company"]["id"], company["id"],
                        "contact of another company"
                    );
                    assert_eq!(record["contactName"], c["name"]);
                    assert!(
                        text(contact, "/_info/dateEntered") <= text(record, "/_info/dateEntered")
                    );
                }
                assert!(text(company, "/_info/dateEntered") <= text(record, "/_info/dateEntered"));
                seen.check_ref("members", &record["owner"]);
                let priority = seen.check_ref("priorities", &record["priority"]);
                assert_eq!(record["priority"]["sort"], priority["sortOrder"]);
                let project_board = flag(board, "/projectFlag");
                let expected = if project_board {
                    "ProjectTicket"
                } else {
                    "ServiceTicket"
                };
                assert_eq!(record["recordType"], expected);
                if flag(record, "/closedFlag") {
                    assert!(record.get("closedDate").is_some() && record.get("closedBy").is_some());
                    assert!(time(record, "/dateResolved") <= time(record, "/closedDate"));
                } else {
                    assert!(record.get("closedDate").is_none());
                }
            }
            "ticket_notes" => {
                let ticket = seen.get("tickets", int(record, "/ticketId"));
                seen.check_ref("members", &record["member"]);
                assert!(time(record, "/dateCreated") >= time(ticket, "/_info/dateEntered"));
                let kinds = [
                    "detailDescriptionFlag",
                    "internalAnalysisFlag",
                    "resolutionFlag",
                ];
                assert_eq!(
                    kinds
                        .iter()
                        .filter(|k| flag(record, &format!("/{k}")))
                        .count(),
                    1
                );
                if flag(record, "/resolutionFlag") {
                    assert!(flag(ticket, "/closedFlag"));
                }
            }
            "projects" => {
                let board = seen.check_ref("boards", &record["board"]);
                assert!(flag(board, "/projectFlag"));
                let company = seen.check_ref("companies", &record["company"]);
                if let Some(c) = record.get("contact") {
                    let contact = seen.check_ref("contacts", c);
                    assert_eq!(contact["company"]["id"], company["id"]);
                }
                seen.check_ref("members", &record["manager"]);
                assert!(text(record, "/estimatedStart") < text(record, "/estimatedEnd"));
                let closed = flag(record, "/closedFlag");
                assert_eq!(closed, record["status"]["name"] == "Closed");
                assert_eq!(closed, num(record, "/percentComplete") >= 100.0);
            }
            "time_entries" => {
                let company = seen.check_ref("companies", &record["company"]);
                seen.check_ref("members", &record["member"]);
                let ticket = seen.check_ref("tickets", &record["ticket"]);
                assert_eq!(record["chargeToId"], ticket["id"]);
                assert_eq!(record["chargeToType"], ticket["recordType"]);
                assert_eq!(ticket["company"]["id"], company["id"]);
                if record["chargeToType"] == "ProjectTicket" {
                    let project = seen.check_ref("projects", &record["project"]);
                    assert_eq!(project["company"]["id"], company["id"]);
                } else {
                    assert!(record.get("project").is_none());
                }
                let (start, end) = (time(record, "/timeStart"), time(record, "/timeEnd"));
                let hours = num(record, "/actualHours");
                assert_eq!(
                    end - start,
                    (hours * 3600.0).round() as i64,
                    "timeEnd - timeStart = actualHours"
                );
                assert!(start >= time(ticket, "/_info/dateEntered"));
                if let Some(closed) = ticket.get("closedDate").and_then(Value::as_str) {
                    assert!(
                        text(record, "/timeEnd") <= closed,
                        "work after close: {record}"
                    );
                }
                *entries_hours.entry(int(ticket, "/id")).or_default() += hours;
            }
            _ => {}
        }
        let id = int(record, "/id");
        let previous = seen
            .by_entity
            .entry(entity)
            .or_default()
            .insert(id, record.clone());
        assert!(previous.is_none(), "duplicate {entity} id {id}");
    }
    // A ticket's actualHours is the sum of its time entries.
    for (id, ticket) in &seen.by_entity["tickets"] {
        let sum = entries_hours.get(id).copied().unwrap_or(0.0);
        let quarters = |h: f64| (h * 4.0).round() as i64;
        assert_eq!(
            quarters(num(ticket, "/actualHours")),
            quarters(sum),
            "ticket {id}"
        );
    }
    // Open tickets without work are New or Scheduled; New tickets have no work yet.
    let new_with_work = seen.by_entity["tickets"]
        .values()
        .filter(|t| t["status"]["name"] == "New" && num(t, "/actualHours") > 0.0)
        .count();
    assert_eq!(new_with_work, 0);
}

/// The required fields of API-FACTS.md's entity list (plus `id` and `_info`).
fn required(entity: &str) -> &'static [&'static str] {
    match entity {
        "tickets" => &["summary", "company"],
        "companies" => &["identifier", "name"],
        "contacts" => &["firstName"],
        "projects" => &["name", "board", "company", "estimatedStart", "estimatedEnd"],
        "time_entries" => &["timeStart"],
        "members" => &[
            "identifier",
            "firstName",
            "lastName",
            "hireDate",
            "securityRole",
        ],
        "boards" => &["name", "location", "department"],
        "board_statuses" => &["name"],
        "priorities" => &["name", "color"],
        "ticket_notes" => &["ticketId", "text"],
        _ => &[],
    }
}

fn visit_strings(v: &Value, key: &str, f: &mut dyn FnMut(&str, &str)) {
    match v {
        Value::String(s) => f(key, s),
        Value::Array(items) => items.iter().for_each(|i| visit_strings(i, key, f)),
        Value::Object(map) => map.iter().for_each(|(k, v)| visit_strings(v, k, f)),
        _ => {}
    }
}

#[test]
fn required_fields_datetimes_and_hrefs_are_well_formed() {
    let records = collect(&SeedConfig::default());
    let mut checked_dates = 0;
    for (entity, record) in &records {
        for field in required(entity).iter().chain(&["id", "_info"]) {
            let value = record
                .get(*field)
                .unwrap_or_else(|| panic!("{entity} lacks {field}: {record}"));
            assert!(!value.is_null() && value != "", "{entity}.{field} empty");
        }
        let info = &record["_info"];
        let updated = time(info, "/lastUpdated");
        let entered = ["/_info/dateEntered", "/dateEntered", "/dateCreated"]
            .iter()
            .find_map(|p| record.pointer(p).and_then(Value::as_str))
            .and_then(parse_datetime)
            .unwrap_or_else(|| panic!("{entity} without an entry date"));
        assert!(
            entered <= updated,
            "{entity} lastUpdated before dateEntered: {record}"
        );
        assert!(
            (WINDOW_START..=ANCHOR).contains(&entered),
            "{entity} entered outside the window"
        );
        assert!(
            (WINDOW_START..=ANCHOR).contains(&updated),
            "{entity} updated outside the window"
        );
        assert!(
            info.get("updatedBy")
                .and_then(Value::as_str)
                .is_some_and(|s| !s.is_empty())
        );
        visit_strings(record, "", &mut |key, value| {
            if key.ends_with("_href") {
                assert!(value.starts_with(BASE_URL_PLACEHOLDER), "{key} = {value}");
                assert!(
                    !value[BASE_URL_PLACEHOLDER.len()..].starts_with('/'),
                    "{value}"
                );
            }
            let looks_like_date = value.len() == 20 && value.as_bytes().get(4) == Some(&b'-');
            let date_key = key.starts_with("date")
                || key.ends_with("Date")
                || [
                    "lastUpdated",
                    "timeStart",
                    "timeEnd",
                    "estimatedStart",
                    "estimatedEnd",
                    "actualStart",
                    "actualEnd",
                ]
                .contains(&key);
            if looks_like_date || date_key {
                assert!(
                    parse_datetime(value).is_some(),
                    "{entity}.{key} = {value:?}"
                );
                checked_dates += 1;
            }
        });
    }
    assert!(checked_dates > 5_000, "{checked_dates}");
}

#[test]
fn some_records_share_a_last_updated_second() {
    let records = collect(&SeedConfig::default());
    let mut by_second: HashMap<(&str, String), usize> = HashMap::new();
    let mut tickets = 0;
    for (entity, record) in &records {
        if *entity == "tickets" {
            tickets += 1;
        }
        *by_second
            .entry((entity, text(record, "/_info/lastUpdated").to_owned()))
            .or_default() += 1;
    }
    let shared_tickets: usize = by_second
        .iter()
        .filter(|((entity, _), n)| *entity == "tickets" && **n > 1)
        .map(|(_, n)| n)
        .sum();
    let percent = shared_tickets * 100 / tickets;
    assert!(
        (1..=20).contains(&percent),
        "{percent}% of tickets share a lastUpdated second"
    );
}

#[test]
fn boards_statuses_and_priorities_are_the_msp_setup() {
    let records = collect(&SeedConfig::default());
    let of = |entity: &str| -> Vec<&Value> {
        records
            .iter()
            .filter(|(e, _)| *e == entity)
            .map(|(_, v)| v)
            .collect()
    };
    let boards: Vec<&str> = of("boards").iter().map(|b| text(b, "/name")).collect();
    assert_eq!(
        boards,
        ["Help Desk", "Network Operations", "Projects", "Onboarding"]
    );
    let statuses = of("board_statuses");
    for board in of("boards") {
        let own: Vec<&&Value> = statuses
            .iter()
            .filter(|s| s["board"]["id"] == board["id"])
            .collect();
        let names: Vec<&str> = own.iter().map(|s| text(s, "/name")).collect();
        for name in [
            "New",
            "In Progress",
            "Waiting on Client",
            "Scheduled",
            "Resolved",
            "Closed",
        ] {
            assert!(names.contains(&name), "{} lacks {name}", board["name"]);
        }
        assert_eq!(own.iter().filter(|s| flag(s, "/defaultFlag")).count(), 1);
        for s in &own {
            let closed = ["Resolved", "Closed"].contains(&text(s, "/name"));
            assert_eq!(flag(s, "/closedStatus"), closed);
        }
    }
    let priorities: Vec<&str> = of("priorities").iter().map(|p| text(p, "/name")).collect();
    assert_eq!(priorities.first(), Some(&"Priority 1 - Critical"));
    assert_eq!(priorities.last(), Some(&"Priority 5 - Planning"));
    let members = of("members");
    let identifiers: HashSet<&str> = members.iter().map(|m| text(m, "/identifier")).collect();
    assert_eq!(identifiers.len(), members.len());
    for m in members {
        let identifier = text(m, "/identifier");
        assert!(
            identifier.len() <= 15
                && identifier
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        assert!(text(m, "/primaryEmail").starts_with(&format!("{identifier}@")));
    }
}

#[test]
fn company_names_stay_unique_and_within_limits_past_the_name_space() {
    let config = SeedConfig {
        companies: 12_000,
        contacts: 0,
        tickets: 0,
        projects: 0,
        time_entries: 0,
        ..SeedConfig::default()
    };
    let mut identifiers = HashSet::new();
    let mut names = HashSet::new();
    generate::<Infallible>(&config, &mut |entity, record| {
        if entity == "companies" {
            let identifier = text(&record, "/identifier").to_owned();
            let name = text(&record, "/name").to_owned();
            assert!(identifier.len() <= 25, "{identifier}");
            assert!(name.len() <= 50, "{name}");
            assert!(
                identifiers.insert(identifier.to_lowercase()),
                "duplicate identifier {identifier}"
            );
            assert!(names.insert(name.clone()), "duplicate name {name}");
        }
        Ok(())
    })
    .unwrap_or_else(|never| match never {});
    assert_eq!(identifiers.len(), 12_000);
}

#[test]
fn ticket_summaries_read_like_an_msp_queue() {
    let records = collect(&SeedConfig::default());
    let summaries: HashSet<&str> = records
        .iter()
        .filter(|(e, _)| *e == "tickets")
        .map(|(_, t)| text(t, "/summary"))
        .collect();
    assert!(
        summaries.len() > 60,
        "only {} distinct summaries",
        summaries.len()
    );
    assert!(summaries.iter().all(|s| !s.contains('{') && s.len() <= 100));
    assert!(
        summaries
            .iter()
            .any(|s| s.starts_with("New hire onboarding: "))
    );
}

#[test]
fn a_sink_error_stops_generation() {
    let mut calls = 0;
    let result = generate(&SeedConfig::default(), &mut |_, _| {
        calls += 1;
        if calls == 50 {
            Err("disk full")
        } else {
            Ok(())
        }
    });
    assert_eq!(result, Err("disk full"));
    assert_eq!(calls, 50);
}

#[test]
fn degenerate_configs_still_generate_consistent_data() {
    let config = SeedConfig {
        seed: 9,
        companies: 0,
        contacts: 0,
        members: 0,
        tickets: 20,
        projects: 2,
        time_entries: 5,
        notes_min: 0,
        notes_max: 0,
    };
    let records = collect(&config);
    let count = |entity: &str| records.iter().filter(|(e, _)| *e == entity).count();
    assert_eq!(
        (count("companies"), count("members"), count("tickets")),
        (1, 1, 20)
    );
    assert_eq!(
        (
            count("ticket_notes"),
            count("time_entries"),
            count("contacts")
        ),
        (0, 5, 0)
    );
    let none = SeedConfig {
        tickets: 0,
        projects: 0,
        time_entries: 100,
        ..config
    };
    assert!(
        collect(&none)
            .iter()
            .all(|(e, _)| !["time_entries", "tickets"].contains(e))
    );
}

#[test]
fn scaled_configs_follow_the_documented_rule() {
    let big = SeedConfig::for_tickets(1, 1_000_000);
    assert_eq!(big.companies, 2_500);
    assert_eq!(big.contacts, 8_000);
    assert_eq!(big.projects, 20_000);
    assert_eq!(big.time_entries, 1_000_000);
    assert_eq!(
        SeedConfig::for_tickets(1, 10),
        SeedConfig {
            tickets: 10,
            time_entries: 10,
            ..SeedConfig::default()
        }
    );
}

#[test]
fn priorities_and_open_tickets_have_a_realistic_share() {
    let records = collect(&SeedConfig::for_tickets(1, 5_000));
    let tickets: Vec<&Value> = records
        .iter()
        .filter(|(e, _)| *e == "tickets")
        .map(|(_, t)| t)
        .collect();
    let percent = |n: usize| n * 100 / tickets.len();
    let urgent = percent(
        tickets
            .iter()
            .filter(|t| int(t, "/priority/id") <= 2)
            .count(),
    );
    let open = percent(tickets.iter().filter(|t| !flag(t, "/closedFlag")).count());
    let mut by_priority = [0usize; 6];
    for t in &tickets {
        let id = int(t, "/priority/id");
        assert!((1..=5).contains(&id), "priority id {id}");
        by_priority[id as usize] += 1;
    }
    eprintln!("priority 1-2: {urgent}%, open: {open}%, by id: {by_priority:?}");
    assert!((25..=35).contains(&urgent), "{urgent}% in priorities 1-2");
    assert!((20..=40).contains(&open), "{open}% open");
    assert!(by_priority[1..].iter().all(|&n| n > 0), "{by_priority:?}");
}

#[test]
fn json_text_equals_the_serialised_values() {
    let config = small(5);
    let values = collect(&config);
    let mut texts = Vec::new();
    cwpsa_sandbox::seed::generate_json::<serde_json::Error>(&config, &mut |entity, record| {
        texts.push((entity, record.id, record.json.to_owned()));
        Ok(())
    })
    .expect("no sink errors");
    assert_eq!(texts.len(), values.len());
    for ((entity, id, text), (value_entity, value)) in texts.iter().zip(&values) {
        assert_eq!(entity, value_entity);
        assert_eq!(Some(*id), value["id"].as_i64());
        assert_eq!(*text, value.to_string(), "{entity} {id}");
    }
}
