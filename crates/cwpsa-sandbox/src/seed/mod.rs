//! Deterministic demo data: a believable MSP ("Brightpath IT", Denver) with its clients,
//! contacts, technicians, boards, tickets, notes, projects and time entries.
//!
//! [`generate`] streams records to a sink in dependency order (`members`, `priorities`,
//! `boards`, `board_statuses`, `companies`, `contacts`, `tickets`, `ticket_notes`, `projects`,
//! `time_entries`); every reference points at a record emitted earlier and repeats its
//! name/identifier/summary. Records are the JSON the real API returns (camelCase fields, `_info`
//! maps), with `_info.*_href` values starting with [`BASE_URL_PLACEHOLDER`].
//!
//! Same [`SeedConfig`] → byte-identical records: no clock (everything is anchored at
//! [`ANCHOR`], 2026-11-01T00:00:00Z, and spread over the two years before it), no hashing of
//! addresses, and an in-crate PRNG. Memory does not grow with the ticket count: each ticket is a
//! pure function of `(seed, index)`, recomputed where notes and time entries need it. What is
//! held is per company, contact, member and project (a fiftieth of the tickets by default).
//!
//! [`generate_json`] hands over JSON text instead of `Value`s: the same records, several times
//! faster, because tickets, notes and time entries are serialised straight from structs.
//!
//! Id ranges: members from 150, priorities 1–5 (1 most urgent), boards 1–4, board statuses
//! `10*(board-1)+1..`, companies from 250, contacts from 1000, tickets from 10000, notes from 300000, projects from
//! 200, time entries from 50000; each entity's ids are consecutive in emission order.

mod catalog;
mod json;
mod out;
pub(crate) mod rng;
mod time;
mod words;

use serde::Serialize;
use serde_json::{Map, Value, json};

use catalog::{
    AUTOMATION_USER, BOARDS, BoardDef, COMM_CELL, COMM_DIRECT, COMM_EMAIL, COMPANY_STATUS_ACTIVE,
    COMPANY_STATUS_INACTIVE, COMPANY_TYPE_CLIENT, COMPANY_TYPE_PARTNER, CONTACT_TYPE_LEAD,
    CONTACT_TYPE_USER, CONTRACT_TIERS, COUNTRY, DEFAULT_PRIORITY, MSP_DOMAIN, Named, PRIORITIES,
    PROJECT_STATUSES, PROJECT_TYPES, PROJECTS_BOARD, ROLE_CYCLE, ROLES, ROOT_CAUSES, SOURCES,
    ST_CLOSED, ST_IN_PROGRESS, ST_NEW, ST_RESOLVED, ST_SCHEDULED, ST_WAITING, STATUSES, TERRITORY,
    TIME_ZONE, WORK_TYPES, board_status_count,
};
use json::WriteJson;
use out::{
    Dt, Href, Note, Record, Shared, Ticket, TicketInfo, TicketRef, TicketRefInfo, TimeEntry,
    Updated,
};
use rng::Rng;
pub use time::{ANCHOR, WINDOW_START};
use time::{DAY, HOUR, MINUTE, business_hours, format_datetime, midnight, next_bulk_update};

/// Written in front of every `_info.*_href` path; the server swaps in its own base URL.
pub const BASE_URL_PLACEHOLDER: &str = "{base_url}";

/// The entity names, in the order [`generate`] emits them.
pub const ENTITIES: [&str; 10] = [
    "members",
    "priorities",
    "boards",
    "board_statuses",
    "companies",
    "contacts",
    "tickets",
    "ticket_notes",
    "projects",
    "time_entries",
];

/// How much demo data to make, and from which seed.
///
/// Degenerate combinations are made usable rather than rejected: when there are tickets or
/// projects, `companies` and `members` are raised to at least 1 (a ticket needs both); time
/// entries are charged to tickets, so there are none without tickets; `notes_max` below
/// `notes_min` is read as `notes_min`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedConfig {
    pub seed: u64,
    pub companies: usize,
    pub contacts: usize,
    pub members: usize,
    pub tickets: usize,
    pub projects: usize,
    pub time_entries: usize,
    /// Each ticket gets between `notes_min` and `notes_max` notes (inclusive).
    pub notes_min: usize,
    pub notes_max: usize,
}

impl Default for SeedConfig {
    fn default() -> Self {
        Self::for_tickets(1, 600)
    }
}

impl SeedConfig {
    /// A configuration scaled to `tickets`: companies `max(25, tickets/400)`, contacts
    /// `3.2 × companies`, members `max(12, tickets/5000)`, projects `max(12, tickets/50)`, time
    /// entries `1 × tickets`, 1–3 notes per ticket. A CLI sets `--tickets` through this and then
    /// overrides whichever counts the user named.
    pub fn for_tickets(seed: u64, tickets: usize) -> Self {
        let companies = (tickets / 400).max(25);
        SeedConfig {
            seed,
            companies,
            contacts: companies * 16 / 5,
            members: (tickets / 5000).max(12),
            tickets,
            projects: (tickets / 50).max(12),
            time_entries: tickets,
            notes_min: 1,
            notes_max: 3,
        }
    }
}

/// Streams the demo data for `config` to `sink` as `(entity, record)`, in [`ENTITIES`] order.
/// Stops at, and returns, the sink's first error. [`generate_json`] gives the same records as
/// JSON text, several times faster.
pub fn generate<E>(
    config: &SeedConfig,
    sink: &mut dyn FnMut(&'static str, Value) -> Result<(), E>,
) -> Result<(), E> {
    drive(config, &mut |entity, record| {
        sink(entity, record.into_value())
    })
}

/// One record as JSON text, as [`generate_json`] hands it over; `json` is the text of the
/// `Value` [`generate`] gives for the same record (keys in the same, sorted, order). The record
/// itself is `Serialize` too, for sinks that want a few of its fields without parsing the text.
#[derive(Debug, Clone, Copy)]
pub struct SeedRecord<'a> {
    pub id: i64,
    pub json: &'a str,
    record: &'a Record<'a>,
}

impl Serialize for SeedRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.record.serialize(s)
    }
}

/// [`generate`], with each record serialised straight to JSON text: the high-volume records
/// never become a `Value` tree. The text is only valid during the call (one buffer is reused).
pub fn generate_json<E: From<serde_json::Error>>(
    config: &SeedConfig,
    sink: &mut dyn FnMut(&'static str, SeedRecord<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = Vec::with_capacity(4096);
    drive(config, &mut |entity, record| {
        buf.clear();
        match &record {
            Record::Value(value) => serde_json::to_writer(&mut buf, value)?,
            Record::Ticket(ticket) => ticket.write_json(&mut buf),
            Record::Note(note) => note.write_json(&mut buf),
            Record::TimeEntry(entry) => entry.write_json(&mut buf),
        }
        let json = std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?;
        sink(
            entity,
            SeedRecord {
                id: record.id(),
                json,
                record: &record,
            },
        )
    })
}

fn drive<E>(
    config: &SeedConfig,
    sink: &mut dyn FnMut(&'static str, Record<'_>) -> Result<(), E>,
) -> Result<(), E> {
    let world = World::new(config);
    for m in 0..world.members.len() {
        sink("members", Record::Value(world.member_record(m)))?;
    }
    for (i, p) in PRIORITIES.iter().enumerate() {
        sink("priorities", Record::Value(priority_record(i, p)))?;
    }
    for b in &BOARDS {
        sink("boards", Record::Value(world.board_record(b)))?;
    }
    for b in &BOARDS {
        for s in 0..board_status_count(b) {
            sink("board_statuses", Record::Value(status_record(b, s)))?;
        }
    }
    for k in 0..world.companies {
        sink("companies", Record::Value(world.company_record(k)))?;
    }
    for c in 0..world.contacts {
        sink("contacts", Record::Value(world.contact_record(c)))?;
    }
    // Tickets are planned again for their notes and time entries (planning is cheap next to
    // writing records), so memory stays flat however many tickets there are.
    for i in 0..world.tickets {
        let plan = world.ticket(i);
        let summary = world.summary(&plan);
        sink(
            "tickets",
            Record::Ticket(world.ticket_record(&plan, &summary)),
        )?;
    }
    let mut note_id = NOTE_ID_BASE;
    for i in 0..world.tickets {
        let plan = world.ticket(i);
        world.ticket_notes(&plan, &mut note_id, sink)?;
    }
    for p in 0..world.projects {
        sink("projects", Record::Value(world.project_record(p)))?;
    }
    for i in 0..world.tickets {
        let plan = world.ticket(i);
        if plan.entries.is_empty() {
            continue;
        }
        let ticket = World::ticket_ref(&plan, world.summary(&plan));
        for j in plan.entries.clone() {
            let entry = world.time_entry_record(&plan, j, &ticket);
            sink("time_entries", Record::TimeEntry(entry))?;
        }
    }
    Ok(())
}

const MEMBER_ID_BASE: i64 = 150;
const COMPANY_ID_BASE: i64 = 250;
const SITE_ID_BASE: i64 = 1100;
const CONTACT_ID_BASE: i64 = 1000;
const COMM_ID_BASE: i64 = 5000;
const TICKET_ID_BASE: i64 = 10_000;
const NOTE_ID_BASE: i64 = 300_000;
const PROJECT_ID_BASE: i64 = 200;
const TIME_ENTRY_ID_BASE: i64 = 50_000;

// One random stream per purpose, so that adding a draw to one record kind leaves the others be.
const S_MEMBER: u64 = 1;
const S_COMPANY: u64 = 2;
const S_COMPANY_DATE: u64 = 3;
const S_CONTACT: u64 = 4;
const S_CONTACT_DATE: u64 = 5;
const S_TICKET: u64 = 6;
const S_NOTE: u64 = 7;
const S_ENTRY: u64 = 8;
const S_ENTRY_SPLIT: u64 = 9;
const S_PROJECT: u64 = 10;
const S_PERMUTATION: u64 = 11;
const S_ENTRY_HOURS: u64 = 12;

/// Boards, priorities, roles and the MSP's own members are set up on day one.
const SETUP: i64 = WINDOW_START + DAY + 14 * HOUR;
/// The MSP moved its existing clients in from its old PSA at this instant.
const MIGRATION: i64 = WINDOW_START + 2 * DAY + 2 * HOUR;
/// New clients are onboarded from here until 45 days before the anchor.
const ONBOARD_FROM: i64 = MIGRATION + 7 * DAY;
const ONBOARD_SPAN: i64 = ANCHOR - 45 * DAY - ONBOARD_FROM;
/// Tickets arrive between these instants (none in the final day, so work fits before "now").
const TICKETS_FROM: i64 = MIGRATION + HOUR;
const TICKETS_SPAN: i64 = ANCHOR - DAY - TICKETS_FROM;
/// Projects start on days `PROJECTS_FROM_DAY ..+ PROJECTS_SPAN_DAYS` (some after the anchor:
/// those are planned, status "Open").
const PROJECTS_FROM: i64 = WINDOW_START + 16 * DAY;
const PROJECTS_SPAN_DAYS: i64 = 760;
const PROJECT_MAX_DAYS: i64 = 120;

/// Integer `a * b / c` without overflow, for index ↔ time scaling.
fn scale(a: i64, b: i64, c: i64) -> i64 {
    if c == 0 {
        return 0;
    }
    (i128::from(a) * i128::from(b) / i128::from(c)) as i64
}

fn href(path: &str) -> Value {
    Value::String(format!("{BASE_URL_PLACEHOLDER}{path}"))
}

/// `{base_url}{path}{id}{tail}`, built in place: `format!` is a measurable share of a record.
fn href_id(path: &str, id: i64, tail: &str) -> Value {
    let mut s = String::with_capacity(BASE_URL_PLACEHOLDER.len() + path.len() + 20 + tail.len());
    s.push_str(BASE_URL_PLACEHOLDER);
    s.push_str(path);
    push_int(&mut s, id);
    s.push_str(tail);
    Value::String(s)
}

/// Appends the decimal digits of `n`, zero-padded to `width`.
fn push_padded(out: &mut String, n: i64, width: usize) {
    if n < 0 {
        out.push('-');
    }
    let mut v = n.unsigned_abs();
    let mut digits = [b'0'; 20];
    let mut i = digits.len();
    while v > 0 || i == digits.len() {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    let from = i.min(digits.len().saturating_sub(width));
    digits[from..].iter().for_each(|&d| out.push(char::from(d)));
}

fn push_int(out: &mut String, n: i64) {
    push_padded(out, n, 1);
}

/// A JSON object from its entries. serde_json's `Map` is a `BTreeMap` here (the workspace does
/// not enable `preserve_order`): collecting sorts once and fills the tree in order, which is far
/// cheaper than inserting key by key, and entries given in key order make that sort one pass.
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// `{"id", "name", "_info": {href_key: base + path + id}}`, the shape of most references.
fn named_ref(id: i64, name: &str, href_key: &str, path: &str) -> Value {
    object([
        ("_info", object([(href_key, href_id(path, id, ""))])),
        ("id", id.into()),
        ("name", name.into()),
    ])
}

fn dt(ts: i64) -> Value {
    Value::String(format_datetime(ts))
}

/// Adds `key` to a JSON object (no-op on anything else, which never happens here).
fn put(record: &mut Value, key: &str, value: Value) {
    if let Value::Object(map) = record {
        map.insert(key.to_owned(), value);
    }
}

fn info(entered: i64, entered_by: &str, updated: i64, updated_by: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("dateEntered".into(), dt(entered));
    m.insert("enteredBy".into(), entered_by.into());
    m.insert("lastUpdated".into(), dt(updated));
    m.insert("updatedBy".into(), updated_by.into());
    m
}

fn named(n: Named) -> Value {
    json!({"id": n.0, "name": n.1})
}

fn named_href(n: Named, href_key: &str, path: &str) -> Value {
    json!({"id": n.0, "name": n.1, "_info": {href_key: href(&format!("{path}/{}", n.0))}})
}

fn compact(s: &str) -> String {
    s.chars().filter(char::is_ascii_alphanumeric).collect()
}

fn hours(quarters: u32) -> f64 {
    f64::from(quarters) / 4.0
}

fn custom_field(id: i64, caption: &str, kind: &str, entry: &str, value: Option<Value>) -> Value {
    let mut v = json!({
        "id": id, "caption": caption, "type": kind, "entryMethod": entry, "numberOfDecimals": 0,
    });
    if let Some(value) = value {
        put(&mut v, "value", value);
    }
    v
}

#[derive(Debug)]
struct MemberPlan {
    first: &'static str,
    last: &'static str,
    identifier: String,
    role: usize,
    hired: i64,
    left: Option<i64>,
}

#[derive(Debug)]
struct CompanyNames {
    name: String,
    identifier: String,
    domain: String,
    /// Upper-case short code for machine names (`NOR-DC01`).
    code: String,
}

#[derive(Debug)]
struct ProjectPlan {
    company: usize,
    contact: Option<usize>,
    manager: usize,
    kind: usize,
    entered: i64,
    start: i64,
    end: i64,
    status: usize,
}

#[derive(Debug)]
struct TicketPlan {
    index: usize,
    entered: i64,
    board: usize,
    type_index: usize,
    /// Index into `words::TICKET_TEMPLATES`, or into `PROJECT_TASKS` for project tickets.
    template: usize,
    project: Option<usize>,
    company: usize,
    contact: Option<usize>,
    /// A made-up person for onboarding summaries: (first, last).
    person: (&'static str, &'static str),
    machine: u32,
    priority: usize,
    source: usize,
    owner: usize,
    entered_by: usize,
    status: usize,
    resolved: Option<i64>,
    closed: Option<i64>,
    /// End of the ticket's activity: entries and notes fall in `entered..=active_until`.
    active_until: i64,
    updated: i64,
    updated_by_automation: bool,
    entries: std::ops::Range<usize>,
    quarters: u32,
    budget_quarters: u32,
    after_hours: bool,
}

/// Counts after the rules in [`SeedConfig`]'s docs, plus the members (the only list held).
#[derive(Debug)]
struct World {
    seed: u64,
    companies: usize,
    contacts: usize,
    tickets: usize,
    projects: usize,
    time_entries: usize,
    notes_min: usize,
    notes_max: usize,
    members: Vec<MemberPlan>,
    /// Companies `0..migrated` came over in the migration; the rest were onboarded later.
    migrated: usize,
    /// Multiplier and offset of the permutation over prefix × suffix names.
    perm: (u64, u64),
    // Built once and cloned into records: cloning a finished JSON tree is much cheaper than
    // formatting and inserting it again for every ticket. Sized by companies and members, not
    // by tickets.
    names: Vec<CompanyNames>,
    company_refs: Vec<(Shared, Shared)>,
    member_refs: Vec<Shared>,
    /// `dateEntered` of each company, ascending (companies enter in index order).
    company_entered: Vec<i64>,
    /// (city, state, zip) of each company, repeated on its tickets.
    company_places: Vec<(&'static str, &'static str, String)>,
    contact_facts: Vec<ContactFacts>,
    /// Sized by `projects` (a fiftieth of the tickets by default): tickets look projects up
    /// by time, and planning one on every lookup cost more than the whole ticket record.
    project_plans: Vec<ProjectPlan>,
    project_refs: Vec<Shared>,
    fixed: FixedRefs,
}

/// Everything a contact's tickets repeat about it, worked out once.
#[derive(Debug)]
struct ContactFacts {
    first: &'static str,
    last: &'static str,
    entered: i64,
    name: String,
    email: String,
    phone: String,
    reference: Shared,
}

/// References to the fixed setup (boards, statuses, priorities, ...), cloned into records.
#[derive(Debug)]
struct FixedRefs {
    boards: Vec<Shared>,
    departments: Vec<Shared>,
    locations: Vec<Shared>,
    /// By board, then by index in `STATUSES`.
    statuses: Vec<Vec<Shared>>,
    /// By board, then by type index.
    types: Vec<Vec<Shared>>,
    priorities: Vec<Shared>,
    sources: Vec<Shared>,
    work_types: Vec<Shared>,
    /// By role.
    work_roles: Vec<Shared>,
    /// The "Root Cause" custom field: by root cause, then one without a value.
    root_causes: Vec<Shared>,
    /// The "After Hours" custom field: false, true.
    after_hours: [Shared; 2],
}

impl FixedRefs {
    fn new() -> Self {
        let boards: Vec<Value> = BOARDS
            .iter()
            .map(|b| named_ref(b.id, b.name, "board_href", "service/boards/"))
            .collect();
        let departments: Vec<Value> = BOARDS
            .iter()
            .map(|b| {
                let (id, identifier, name) = b.department;
                object([
                    (
                        "_info",
                        object([("department_href", href_id("system/departments/", id, ""))]),
                    ),
                    ("id", id.into()),
                    ("identifier", identifier.into()),
                    ("name", name.into()),
                ])
            })
            .collect();
        let locations: Vec<Value> = BOARDS
            .iter()
            .map(|b| {
                named_ref(
                    b.location.0,
                    b.location.1,
                    "location_href",
                    "system/locations/",
                )
            })
            .collect();
        let statuses: Vec<Vec<Value>> = BOARDS
            .iter()
            .map(|b| {
                (0..STATUSES.len())
                    .map(|s| {
                        let id = b.status_base + s as i64;
                        let path = format!("service/boards/{}/statuses/", b.id);
                        object([
                            ("_info", object([("status_href", href_id(&path, id, ""))])),
                            ("id", id.into()),
                            ("name", STATUSES[s].name.into()),
                            ("sort", (s + 1).into()),
                        ])
                    })
                    .collect()
            })
            .collect();
        let types: Vec<Vec<Value>> = BOARDS
            .iter()
            .map(|b| {
                let path = format!("service/boards/{}/types/", b.id);
                b.types
                    .iter()
                    .map(|&(id, name)| named_ref(id, name, "type_href", &path))
                    .collect()
            })
            .collect();
        let priorities: Vec<Value> = PRIORITIES
            .iter()
            .enumerate()
            .map(|(i, p)| {
                object([
                    (
                        "_info",
                        object([
                            ("image_href", priority_image_href(p)),
                            ("priority_href", href_id("service/priorities/", p.id, "")),
                        ]),
                    ),
                    ("id", p.id.into()),
                    ("name", p.name.into()),
                    ("sort", (i + 1).into()),
                ])
            })
            .collect();
        let named_refs = |list: &[Named], key: &str, path: &str| -> Vec<Value> {
            list.iter()
                .map(|&(id, name)| named_ref(id, name, key, path))
                .collect()
        };
        let roles: Vec<Named> = ROLES.iter().map(|r| r.work_role).collect();
        let mut root_causes: Vec<Value> = ROOT_CAUSES
            .iter()
            .map(|&c| custom_field(1, "Root Cause", "Text", "List", Some(c.into())))
            .collect();
        root_causes.push(custom_field(1, "Root Cause", "Text", "List", None));
        let after_hours =
            |on: bool| custom_field(2, "After Hours", "Checkbox", "EntryField", Some(on.into()));
        let shared = |values: Vec<Value>| values.into_iter().map(Shared::new).collect();
        FixedRefs {
            boards: shared(boards),
            departments: shared(departments),
            locations: shared(locations),
            statuses: statuses.into_iter().map(shared).collect(),
            types: types.into_iter().map(shared).collect(),
            priorities: shared(priorities),
            sources: shared(named_refs(&SOURCES, "source_href", "service/sources/")),
            work_types: shared(named_refs(&WORK_TYPES, "workType_href", "time/workTypes/")),
            work_roles: shared(named_refs(&roles, "workRole_href", "time/workRoles/")),
            root_causes: shared(root_causes),
            after_hours: [
                Shared::new(after_hours(false)),
                Shared::new(after_hours(true)),
            ],
        }
    }
}

fn priority_image_href(p: &catalog::PriorityDef) -> Value {
    href(&format!(
        "service/priorities/{}/image?lm={}",
        p.id,
        format_datetime(SETUP)
    ))
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl World {
    fn new(config: &SeedConfig) -> Self {
        let needs_refs = config.tickets > 0 || config.projects > 0;
        let companies = if needs_refs {
            config.companies.max(1)
        } else {
            config.companies
        };
        let members_n = if needs_refs {
            config.members.max(1)
        } else {
            config.members
        };
        let tickets = config.tickets;
        let time_entries = if tickets == 0 { 0 } else { config.time_entries };
        let seed = config.seed;

        let combos = (words::COMPANY_PREFIXES.len() * words::COMPANY_SUFFIXES.len()) as u64;
        let mut r = Rng::new(seed, S_PERMUTATION, 0);
        let mut mult = r.below(combos) | 1;
        while gcd(mult, combos) != 1 {
            mult += 2;
        }
        let perm = (mult, r.below(combos));

        let mut world = World {
            seed,
            companies,
            contacts: if companies == 0 { 0 } else { config.contacts },
            tickets,
            projects: config.projects,
            time_entries,
            notes_min: config.notes_min,
            notes_max: config.notes_max.max(config.notes_min),
            members: Vec::with_capacity(members_n),
            migrated: companies.div_ceil(5) * 3,
            perm,
            names: Vec::new(),
            company_refs: Vec::new(),
            member_refs: Vec::new(),
            company_entered: Vec::new(),
            company_places: Vec::new(),
            contact_facts: Vec::new(),
            project_plans: Vec::new(),
            project_refs: Vec::new(),
            fixed: FixedRefs::new(),
        };
        world.migrated = world.migrated.min(companies);
        world.plan_members(members_n);
        world.names = (0..companies)
            .map(|k| world.make_company_names(k))
            .collect();
        world.company_refs = (0..companies)
            .map(|k| {
                (
                    Shared::new(world.make_company_ref(k)),
                    Shared::new(Self::make_site_ref(k)),
                )
            })
            .collect();
        world.member_refs = (0..members_n)
            .map(|m| Shared::new(world.make_member_ref(m)))
            .collect();
        world.company_entered = (0..companies)
            .map(|k| world.make_company_entered(k))
            .collect();
        world.company_places = (0..companies)
            .map(|k| {
                let mut c = Rng::new(seed, S_COMPANY, k as u64);
                let (city, state, zip, _) = c.pick(words::CITIES);
                let mut code = zip.to_string();
                push_padded(&mut code, 1 + (k % 98) as i64, 2);
                (city, state, code)
            })
            .collect();
        world.contact_facts = (0..world.contacts)
            .map(|c| world.make_contact_facts(c))
            .collect();
        world.project_plans = (0..world.projects).map(|p| world.make_project(p)).collect();
        world.project_refs = world
            .project_plans
            .iter()
            .enumerate()
            .map(|(p, plan)| {
                Shared::new(named_ref(
                    PROJECT_ID_BASE + p as i64,
                    &world.project_name(plan),
                    "project_href",
                    "project/projects/",
                ))
            })
            .collect();
        world
    }

    fn plan_members(&mut self, n: usize) {
        let mut taken = std::collections::HashSet::new();
        for m in 0..n {
            let mut r = Rng::new(self.seed, S_MEMBER, m as u64);
            let first = r.pick(words::FIRST_NAMES);
            let last = r.pick(words::LAST_NAMES);
            let base: String = format!("{}{}", &first[..1], last).to_ascii_lowercase();
            let mut identifier = base.clone();
            let mut k = 2;
            while !taken.insert(identifier.clone()) {
                identifier = format!("{base}{k}");
                k += 1;
            }
            let role = match m {
                0 => 0,
                1 => 1,
                _ => ROLE_CYCLE[(m - 2) % ROLE_CYCLE.len()],
            };
            // One recent hire and one leaver when the team is big enough to afford them; the
            // service manager (member 0) is always there, so every ticket can fall back to them.
            let hired = if n >= 6 && m == n - 1 {
                WINDOW_START + r.range(400, 500) * DAY
            } else {
                midnight(WINDOW_START - r.range(200, 3600) * DAY)
            };
            let left = (n >= 6 && m == n - 2).then(|| WINDOW_START + r.range(250, 400) * DAY);
            self.members.push(MemberPlan {
                first,
                last,
                identifier,
                role,
                hired,
                left,
            });
        }
    }

    /// Who entered the clients and contacts: the service manager.
    fn admin(&self) -> &str {
        self.members
            .first()
            .map_or("admin1", |m| m.identifier.as_str())
    }

    fn member_active(&self, m: usize, from: i64, until: i64) -> bool {
        self.members
            .get(m)
            .is_some_and(|p| p.hired <= from && p.left.is_none_or(|d| until < d))
    }

    /// A member who can work tickets and is employed over `from..=until`.
    fn pick_worker(&self, r: &mut Rng, from: i64, until: i64, projects: bool) -> usize {
        for _ in 0..8 {
            let m = r.index(self.members.len());
            let role = &ROLES[self.members[m].role];
            let fits = if projects {
                role.manages_projects
            } else {
                role.works_tickets
            };
            if fits && self.member_active(m, from, until) {
                return m;
            }
        }
        0
    }

    fn member_ref(&self, m: usize) -> Value {
        self.member_refs[m].value.clone()
    }

    fn make_member_ref(&self, m: usize) -> Value {
        let p = &self.members[m];
        let id = MEMBER_ID_BASE + m as i64;
        json!({
            "id": id, "identifier": p.identifier, "name": format!("{} {}", p.first, p.last),
            "_info": {"member_href": href(&format!("system/members/{id}"))},
        })
    }

    fn member_record(&self, m: usize) -> Value {
        let p = &self.members[m];
        let role = &ROLES[p.role];
        let id = MEMBER_ID_BASE + m as i64;
        let entered = (p.hired - 14 * DAY).max(SETUP);
        let updated = p.left.unwrap_or(entered + (m as i64 % 5) * DAY);
        let board = if role.manages_projects && !role.works_tickets {
            &BOARDS[PROJECTS_BOARD]
        } else {
            &BOARDS[0]
        };
        let mut info = info(entered, "admin1", updated, "admin1");
        info.insert(
            "image_href".into(),
            href(&format!("system/members/{id}/image")),
        );
        let mut v = json!({
            "id": id,
            "identifier": p.identifier,
            "firstName": p.first,
            "lastName": p.last,
            "title": role.title,
            "licenseClass": "F",
            "disableOnlineFlag": false,
            "enableMobileFlag": true,
            "timeZone": named_href(TIME_ZONE, "timeZoneSetup_href", "system/timeZoneSetups"),
            "country": {"id": COUNTRY.0, "identifier": COUNTRY.1, "name": COUNTRY.2},
            "inactiveFlag": p.left.is_some(),
            "primaryEmail": format!("{}@{MSP_DOMAIN}", p.identifier),
            "officeEmail": format!("{}@{MSP_DOMAIN}", p.identifier),
            "officePhone": format!("303-555-{:04}", 100 + m),
            "defaultEmail": "Office",
            "defaultPhone": "Office",
            "securityRole": named_href(role.security_role, "securityRole_href", "security/securityroles"),
            "adminFlag": p.role == 0,
            "defaultLocation": named_href(board.location, "location_href", "system/locations"),
            "defaultDepartment": {"id": board.department.0, "identifier": board.department.1, "name": board.department.2,
                "_info": {"department_href": href(&format!("system/departments/{}", board.department.0))}},
            "serviceDefaultBoard": {"id": board.id, "name": board.name,
                "_info": {"board_href": href(&format!("service/boards/{}", board.id))}},
            "workRole": named_href(role.work_role, "workRole_href", "time/workRoles"),
            "workType": named_href(WORK_TYPES[0], "workType_href", "time/workTypes"),
            "hourlyRate": f64::from(role.hourly_rate),
            "dailyCapacity": 8.0,
            "hireDate": dt(p.hired),
            "companyActivityTabFormat": "SummaryList",
            "invoiceTimeTabFormat": "SummaryList",
            "invoiceScreenDefaultTabFormat": "ShowInvoicingTab",
            "invoicingDisplayOptions": "RemainOnInvoicingScreen",
            "agreementInvoicingDisplayOptions": "RemainOnInvoicingScreen",
            "_info": info,
        });
        if let Some(left) = p.left {
            put(&mut v, "inactiveDate", dt(left));
        }
        v
    }

    fn board_record(&self, b: &BoardDef) -> Value {
        let manager = self.members.first().map(|_| self.member_ref(0));
        let mut v = json!({
            "id": b.id,
            "name": b.name,
            "location": named_href(b.location, "location_href", "system/locations"),
            "department": {"id": b.department.0, "identifier": b.department.1, "name": b.department.2,
                "_info": {"department_href": href(&format!("system/departments/{}", b.department.0))}},
            "inactiveFlag": false,
            "projectFlag": b.project,
            "sendToContactFlag": !b.project,
            "sendToResourceFlag": true,
            "showDependenciesFlag": b.project,
            "showEstimatesFlag": b.project,
            "billTicketsAfterClosedFlag": false,
            "billTicketSeparatelyFlag": false,
            "billUnapprovedTimeExpenseFlag": false,
            "overrideBillingSetupFlag": false,
            "billTime": "Billable",
            "billExpense": "Billable",
            "billProduct": "Billable",
            "autoAssignNewTicketsFlag": false,
            "discussionsLockedFlag": false,
            "timeEntryLockedFlag": false,
            "_info": info(SETUP, "admin1", SETUP, "admin1"),
        });
        if let Some(manager) = manager {
            put(&mut v, "serviceManagerMember", manager);
        }
        v
    }

    // ---- companies -------------------------------------------------------------------------

    fn company_names(&self, k: usize) -> &CompanyNames {
        &self.names[k]
    }

    fn make_company_names(&self, k: usize) -> CompanyNames {
        let prefixes = words::COMPANY_PREFIXES;
        let suffixes = words::COMPANY_SUFFIXES;
        let combos = (prefixes.len() * suffixes.len()) as u64;
        let round = k as u64 / combos;
        let combo = ((k as u64 % combos) * self.perm.0 + self.perm.1) % combos;
        let prefix = prefixes[(combo / suffixes.len() as u64) as usize];
        let suffix = suffixes[(combo % suffixes.len() as u64) as usize];
        let base = format!("{}{}", compact(prefix), compact(suffix));
        let code: String = base
            .chars()
            .take(3)
            .collect::<String>()
            .to_ascii_uppercase();
        let domain = format!("{}.com", base.to_ascii_lowercase());
        if round == 0 {
            return CompanyNames {
                name: format!("{prefix} {suffix}"),
                identifier: base,
                domain,
                code,
            };
        }
        // Past the name space, further clients are branches: "Harbor Dental - West 2".
        let branches = words::BRANCHES;
        let branch = branches[((round - 1) % branches.len() as u64) as usize];
        let lap = (round - 1) / branches.len() as u64;
        let name = if lap == 0 {
            format!("{prefix} {suffix} - {branch}")
        } else {
            format!("{prefix} {suffix} - {branch} {}", lap + 1)
        };
        let number = (round + 1).to_string();
        let keep = 25usize.saturating_sub(number.len());
        let identifier = format!("{}{number}", &base[..base.len().min(keep)]);
        CompanyNames {
            name,
            identifier,
            domain,
            code,
        }
    }

    fn company_ref(&self, k: usize) -> Value {
        self.company_refs[k].0.value.clone()
    }

    fn site_ref(&self, k: usize) -> Value {
        self.company_refs[k].1.value.clone()
    }

    fn make_company_ref(&self, k: usize) -> Value {
        let n = &self.names[k];
        let id = COMPANY_ID_BASE + k as i64;
        json!({
            "id": id, "identifier": n.identifier, "name": n.name,
            "_info": {"company_href": href(&format!("company/companies/{id}"))},
        })
    }

    fn make_site_ref(k: usize) -> Value {
        let company = COMPANY_ID_BASE + k as i64;
        let site = SITE_ID_BASE + k as i64;
        json!({"id": site, "name": "Main",
            "_info": {"site_href": href(&format!("company/companies/{company}/sites/{site}"))}})
    }

    fn company_entered(&self, k: usize) -> i64 {
        self.company_entered[k]
    }

    fn make_company_entered(&self, k: usize) -> i64 {
        if k < self.migrated {
            return MIGRATION;
        }
        let n = (self.companies - self.migrated) as i64;
        let q = (k - self.migrated) as i64;
        let mut r = Rng::new(self.seed, S_COMPANY_DATE, k as u64);
        ONBOARD_FROM + scale(q, ONBOARD_SPAN, n) + r.below((ONBOARD_SPAN / n.max(1)) as u64) as i64
    }

    /// How many companies exist at `t`: companies enter in index order, so it is a prefix.
    fn companies_at(&self, t: i64) -> usize {
        self.company_entered.partition_point(|&e| e <= t)
    }

    /// Bigger, older clients file more tickets: skew towards low indexes.
    fn pick_company(r: &mut Rng, existing: usize) -> usize {
        let u = r.unit();
        ((existing as f64 * u * u) as usize).min(existing.saturating_sub(1))
    }

    /// The contacts of company `k` are `first_contact(k)..first_contact(k + 1)`.
    fn first_contact(&self, k: usize) -> usize {
        scale(k as i64, self.contacts as i64, self.companies as i64) as usize
    }

    fn contact_company(&self, c: usize) -> usize {
        let k = ((c as u128 + 1) * self.companies as u128 - 1) / (self.contacts as u128).max(1);
        k as usize
    }

    fn company_record(&self, k: usize) -> Value {
        let n = self.company_names(k);
        let id = COMPANY_ID_BASE + k as i64;
        let mut r = Rng::new(self.seed, S_COMPANY, k as u64);
        let (city, state, zip, area) = r.pick(words::CITIES);
        let entered = self.company_entered(k);
        let (updated, by) = Self::updated_after(&mut r, entered, 200);
        let inactive = r.percent(5);
        let seats = r.range(5, 150);
        let tier = r.pick(&CONTRACT_TIERS);
        let mut types = vec![named_href(
            COMPANY_TYPE_CLIENT,
            "type_href",
            "company/companies/types",
        )];
        if r.percent(8) {
            types.push(named_href(
                COMPANY_TYPE_PARTNER,
                "type_href",
                "company/companies/types",
            ));
        }
        let status = if inactive {
            COMPANY_STATUS_INACTIVE
        } else {
            COMPANY_STATUS_ACTIVE
        };
        let enterer = self.admin();
        let mut info = info(entered, enterer, updated, by.unwrap_or(enterer));
        for (key, path) in [
            ("contacts_href", "company/contacts?conditions=company/id="),
            ("tickets_href", "service/tickets?conditions=company/id="),
            ("projects_href", "project/projects?conditions=company/id="),
        ] {
            info.insert(key.into(), href(&format!("{path}{id}")));
        }
        info.insert(
            "sites_href".into(),
            href(&format!("company/companies/{id}/sites")),
        );
        json!({
            "id": id,
            "identifier": n.identifier,
            "name": n.name,
            "status": named_href(status, "status_href", "company/companies/statuses"),
            "types": types,
            "addressLine1": format!("{} {}", r.range(100, 9899), r.pick(words::STREETS)),
            "addressLine2": format!("Suite {}", r.range(1, 4) * 100 + r.range(0, 20)),
            "city": city,
            "state": state,
            "zip": format!("{zip}{:02}", 1 + k % 98),
            "country": {"id": COUNTRY.0, "identifier": COUNTRY.1, "name": COUNTRY.2,
                "_info": {"country_href": href(&format!("company/countries/{}", COUNTRY.0))}},
            "phoneNumber": format!("{area}5550{:03}", r.range(100, 999)),
            "faxNumber": "",
            "website": format!("www.{}", n.domain),
            "territory": named_href(TERRITORY, "location_href", "system/locations"),
            "accountNumber": format!("C{:05}", 10_000 + k),
            "dateAcquired": dt(midnight(entered)),
            "numberOfEmployees": seats + r.range(0, 20),
            "leadFlag": false,
            "unsubscribeFlag": false,
            "deletedFlag": false,
            "isVendorFlag": false,
            "timeZoneSetup": named_href(TIME_ZONE, "timeZoneSetup_href", "system/timeZoneSetups"),
            "site": self.site_ref(k),
            "customFields": [
                custom_field(3, "Contract Tier", "Text", "List", Some(tier.into())),
                custom_field(4, "Onboarded", "Date", "EntryField", Some(dt(midnight(entered)))),
                custom_field(5, "Seats", "Number", "EntryField", Some(seats.into())),
            ],
            "_info": info,
        })
    }

    /// A `lastUpdated` after `entered`: within `max_days`, capped at the anchor; a few percent
    /// land on a shared bulk-update second instead (then the second value names the updater).
    fn updated_after(r: &mut Rng, entered: i64, max_days: i64) -> (i64, Option<&'static str>) {
        let natural = (entered + r.range(0, max_days * DAY)).min(ANCHOR);
        if r.percent(4)
            && let Some(bulk) = next_bulk_update(natural)
        {
            return (bulk, Some(AUTOMATION_USER));
        }
        (natural, None)
    }

    // ---- contacts --------------------------------------------------------------------------

    fn contact_names(&self, c: usize) -> (&'static str, &'static str) {
        let f = &self.contact_facts[c];
        (f.first, f.last)
    }

    fn make_contact_facts(&self, c: usize) -> ContactFacts {
        let mut r = Rng::new(self.seed, S_CONTACT, c as u64);
        let (first, last) = (r.pick(words::FIRST_NAMES), r.pick(words::LAST_NAMES));
        let domain = &self.company_names(self.contact_company(c)).domain;
        let name = format!("{first} {last}");
        let id = CONTACT_ID_BASE + c as i64;
        ContactFacts {
            first,
            last,
            entered: self.make_contact_entered(c),
            reference: Shared::new(named_ref(id, &name, "contact_href", "company/contacts/")),
            name,
            email: format!(
                "{}.{}@{domain}",
                first.to_ascii_lowercase(),
                last.to_ascii_lowercase()
            ),
            phone: Self::contact_phone(c),
        }
    }

    fn contact_entered(&self, c: usize) -> i64 {
        self.contact_facts[c].entered
    }

    fn make_contact_entered(&self, c: usize) -> i64 {
        let k = self.contact_company(c);
        let company = self.company_entered(k);
        if c == self.first_contact(k) {
            return company;
        }
        let mut r = Rng::new(self.seed, S_CONTACT_DATE, c as u64);
        if r.percent(60) {
            company
        } else {
            business_hours(company + r.range(0, (ANCHOR - 2 * DAY - company).max(0)))
        }
    }

    fn contact_ref(&self, c: usize) -> Value {
        self.contact_facts[c].reference.value.clone()
    }

    fn contact_phone(c: usize) -> String {
        format!("303555{:04}", 1000 + (c * 7919) % 9000)
    }

    fn contact_record(&self, c: usize) -> Value {
        let k = self.contact_company(c);
        let lead = c == self.first_contact(k);
        let company = self.company_names(k);
        let (first, last) = self.contact_names(c);
        let id = CONTACT_ID_BASE + c as i64;
        let mut r = Rng::new(self.seed, S_CONTACT, c as u64 ^ 0x5EED);
        let entered = self.contact_entered(c);
        let (updated, by) = Self::updated_after(&mut r, entered, 300);
        let title = if lead {
            r.pick(words::LEAD_TITLES)
        } else {
            r.pick(words::TITLES)
        };
        let phone = Self::contact_phone(c);
        let comm_base = COMM_ID_BASE + 3 * c as i64;
        let mut items = vec![
            json!({"id": comm_base, "type": named(COMM_EMAIL), "value": self.contact_facts[c].email.clone(),
                "defaultFlag": true, "communicationType": "Email", "domain": format!("@{}", company.domain)}),
            json!({"id": comm_base + 1, "type": named(COMM_DIRECT), "value": phone,
                "extension": "", "defaultFlag": true, "communicationType": "Phone"}),
        ];
        if r.percent(40) {
            items.push(json!({"id": comm_base + 2, "type": named(COMM_CELL),
                "value": format!("720555{:04}", 1000 + (c * 104_729) % 9000),
                "defaultFlag": false, "communicationType": "Phone"}));
        }
        let contact_type = if lead {
            CONTACT_TYPE_LEAD
        } else {
            CONTACT_TYPE_USER
        };
        let enterer = self.admin();
        json!({
            "id": id,
            "firstName": first,
            "lastName": last,
            "company": self.company_ref(k),
            "site": self.site_ref(k),
            "title": title,
            "inactiveFlag": !lead && r.percent(5),
            "defaultPhoneType": "Direct",
            "defaultPhoneNbr": phone,
            "defaultBillingFlag": lead,
            "defaultFlag": lead,
            "unsubscribeFlag": false,
            "disablePortalLoginFlag": false,
            "communicationItems": items,
            "types": [named_href(contact_type, "type_href", "company/contacts/types")],
            "customFields": [],
            "_info": {
                "dateEntered": dt(entered), "enteredBy": enterer,
                "lastUpdated": dt(updated), "updatedBy": by.unwrap_or(enterer),
                "communications_href": href(&format!("company/contacts/{id}/communications")),
                "notes_href": href(&format!("company/contacts/{id}/notes")),
            },
        })
    }

    // ---- projects --------------------------------------------------------------------------

    fn project(&self, p: usize) -> &ProjectPlan {
        &self.project_plans[p]
    }

    fn make_project(&self, p: usize) -> ProjectPlan {
        let mut r = Rng::new(self.seed, S_PROJECT, p as u64);
        let n = self.projects as i64;
        let day = scale(p as i64, PROJECTS_SPAN_DAYS, n)
            + r.below((PROJECTS_SPAN_DAYS / n.max(1)).max(1) as u64) as i64;
        let start = PROJECTS_FROM + day * DAY;
        let end = start + r.range(21, PROJECT_MAX_DAYS) * DAY;
        let entered = business_hours(
            (start - r.range(3, 20) * DAY).clamp(MIGRATION + HOUR, ANCHOR - 2 * DAY),
        );
        let company = Self::pick_company(&mut r, self.companies_at(entered));
        let contact = (self.first_contact(company) < self.first_contact(company + 1))
            .then(|| self.first_contact(company));
        let manager = self.pick_worker(&mut r, entered, end.min(ANCHOR), true);
        let kind = r.index(words::PROJECT_KINDS.len());
        let status = if ANCHOR < start {
            0
        } else if ANCHOR <= end {
            if r.percent(15) { 2 } else { 1 }
        } else {
            3
        };
        ProjectPlan {
            company,
            contact,
            manager,
            kind,
            entered,
            start,
            end,
            status,
        }
    }

    fn project_name(&self, plan: &ProjectPlan) -> String {
        format!(
            "{} - {}",
            self.company_names(plan.company).name,
            words::PROJECT_KINDS[plan.kind].0
        )
    }

    /// A project running at `t`, if the random candidate near `t` is: projects start in index
    /// order, so only indexes whose start falls in the last `PROJECT_MAX_DAYS` can be running.
    fn project_at(&self, r: &mut Rng, t: i64) -> Option<usize> {
        let n = self.projects as i64;
        if n == 0 || t < PROJECTS_FROM {
            return None;
        }
        let day = (t - PROJECTS_FROM) / DAY;
        let hi = scale(day + 1, n, PROJECTS_SPAN_DAYS).min(n - 1);
        let lo = scale((day - PROJECT_MAX_DAYS - 1).max(0), n, PROJECTS_SPAN_DAYS)
            .saturating_sub(1)
            .max(0);
        let p = r.range(lo, hi.max(lo)) as usize;
        let plan = self.project(p);
        (plan.start <= t && t <= plan.end).then_some(p)
    }

    fn project_record(&self, p: usize) -> Value {
        let plan = self.project(p);
        let mut r = Rng::new(self.seed, S_PROJECT, p as u64 ^ 0x5EED);
        let (kind_name, kind_type, budget) = words::PROJECT_KINDS[plan.kind];
        let budget = f64::from(budget) * (0.75 + 0.25 * r.below(4) as f64);
        let (status_id, status_name, closed) = PROJECT_STATUSES[plan.status];
        let percent = match plan.status {
            0 => 0,
            3 => 100,
            _ => scale(ANCHOR - plan.start, 100, plan.end - plan.start).clamp(0, 99),
        };
        let actual = (budget * percent as f64 / 100.0 * (0.8 + 0.05 * r.below(9) as f64) * 4.0)
            .round()
            / 4.0;
        let updated = match plan.status {
            3 => (plan.end + r.range(1, 5) * DAY + 16 * HOUR).min(ANCHOR),
            0 => (plan.entered + r.range(0, 3) * DAY).min(ANCHOR),
            _ => business_hours(ANCHOR - r.range(1, 6) * DAY),
        }
        .max(plan.entered);
        let billing = match r.below(5) {
            0 | 1 => "FixedFee",
            2 | 3 => "ActualRates",
            _ => "NotToExceed",
        };
        let board = &BOARDS[PROJECTS_BOARD];
        let manager = &self.members[plan.manager].identifier;
        let id = PROJECT_ID_BASE + p as i64;
        let mut v = json!({
            "id": id,
            "name": self.project_name(plan),
            "board": {"id": board.id, "name": board.name,
                "_info": {"board_href": href(&format!("service/boards/{}", board.id))}},
            "company": self.company_ref(plan.company),
            "site": self.site_ref(plan.company),
            "manager": self.member_ref(plan.manager),
            "status": named_href((status_id, status_name), "status_href", "project/statuses"),
            "closedFlag": closed,
            "type": named_href(PROJECT_TYPES[kind_type], "type_href", "project/projectTypes"),
            "location": named_href(board.location, "location_href", "system/locations"),
            "department": {"id": board.department.0, "identifier": board.department.1, "name": board.department.2,
                "_info": {"department_href": href(&format!("system/departments/{}", board.department.0))}},
            "estimatedStart": dt(plan.start),
            "estimatedEnd": dt(plan.end),
            "billingMethod": billing,
            "billTime": "Billable",
            "billExpenses": "Billable",
            "billProducts": "Billable",
            "budgetFlag": true,
            "budgetHours": budget,
            "estimatedHours": budget,
            "actualHours": actual,
            "percentComplete": percent as f64,
            "description": format!("{kind_name} for {}. Scope agreed with the client; see the project plan.",
                self.company_names(plan.company).name),
            "includeDependenciesFlag": false,
            "includeEstimatesFlag": false,
            "restrictDownPaymentFlag": false,
            "doNotDisplayInPortalFlag": false,
            "customFields": [],
            "_info": info(plan.entered, manager, updated, manager),
        });
        if let Some(c) = plan.contact {
            put(&mut v, "contact", self.contact_ref(c));
        }
        if billing == "FixedFee" {
            put(&mut v, "billingAmount", json!(budget * 150.0));
        }
        if plan.status > 0 {
            put(&mut v, "actualStart", dt(plan.start));
        }
        if closed {
            put(&mut v, "actualEnd", dt(plan.end));
        }
        v
    }

    // ---- tickets ---------------------------------------------------------------------------

    /// The time entries of ticket `i` are `entry_start(i)..entry_start(i + 1)`: an even split
    /// with a random jitter per boundary (still monotone), so counts vary from ticket to ticket.
    fn entry_start(&self, i: usize) -> usize {
        if i == 0 || self.tickets == 0 {
            return 0;
        }
        if i >= self.tickets {
            return self.time_entries;
        }
        let e = self.time_entries as u128;
        let jitter = u128::from(
            Rng::new(self.seed, S_ENTRY_SPLIT, i as u64).below(self.time_entries as u64),
        );
        ((i as u128 * e + jitter) / self.tickets as u128) as usize
    }

    /// Length of time entry `j` in quarter hours (15 min to 3 h, mostly short).
    fn entry_quarters(&self, j: usize) -> u32 {
        let mut r = Rng::new(self.seed, S_ENTRY_HOURS, j as u64);
        let a = r.below(12);
        let b = r.below(12);
        a.min(b) as u32 + 1
    }

    fn ticket(&self, i: usize) -> TicketPlan {
        let mut r = Rng::new(self.seed, S_TICKET, i as u64);
        let n = self.tickets as i64;
        let slot = TICKETS_SPAN / n.max(1);
        let entered = business_hours(
            TICKETS_FROM + scale(i as i64, TICKETS_SPAN, n) + r.below(slot.max(1) as u64) as i64,
        );

        let project = if r.percent(12) {
            self.project_at(&mut r, entered)
        } else {
            None
        };
        let (board, type_index, template, mut priority, company, contact) = if let Some(p) = project
        {
            let plan = self.project(p);
            let priority = if r.percent(70) { 4 } else { DEFAULT_PRIORITY };
            (
                PROJECTS_BOARD,
                0,
                r.index(words::PROJECT_TASKS.len()),
                priority,
                plan.company,
                plan.contact,
            )
        } else {
            let template = r.index(words::TICKET_TEMPLATES.len());
            let (board, type_index, priority, _) = words::TICKET_TEMPLATES[template];
            let company = Self::pick_company(&mut r, self.companies_at(entered));
            let first = self.first_contact(company);
            let count = self.first_contact(company + 1) - first;
            let contact = (count > 0).then(|| {
                let c = first + r.index(count);
                if self.contact_entered(c) <= entered {
                    c
                } else {
                    first
                }
            });
            (board, type_index, template, priority, company, contact)
        };
        if r.percent(25) {
            priority = if r.percent(50) {
                priority.saturating_sub(1)
            } else {
                (priority + 1).min(PRIORITIES.len() - 1)
            };
        }
        let person = (r.pick(words::FIRST_NAMES), r.pick(words::LAST_NAMES));
        let machine = r.range(1, 40) as u32;
        let source = if board == 1 && type_index == 0 {
            3
        } else {
            r.index(3)
        };

        let entries = self.entry_start(i)..self.entry_start(i + 1);
        let (mut quarters, mut longest) = (0, 0);
        for j in entries.clone() {
            let q = self.entry_quarters(j);
            quarters += q;
            longest = longest.max(q);
        }
        // Room for the longest entry to fit between arrival and resolution.
        let needed = i64::from(longest) * 15 * MINUTE + 15 * MINUTE;
        let pdef = &PRIORITIES[priority];
        let resolve =
            (r.range(pdef.resolve_minutes.0, pdef.resolve_minutes.1) * MINUTE).max(needed);
        // A real queue carries a backlog: about a quarter of tickets are still open, more so
        // among the last month's.
        let backlog = r.percent(if ANCHOR - entered < 30 * DAY { 60 } else { 25 });
        let (status, resolved, closed, active_until) = if entered + resolve <= ANCHOR && !backlog {
            let resolved = entered + resolve;
            let auto_close = resolved + r.range(1, 3) * DAY;
            if auto_close <= ANCHOR && r.percent(85) {
                (ST_CLOSED, Some(resolved), Some(auto_close), resolved)
            } else {
                (ST_RESOLVED, Some(resolved), Some(resolved), resolved)
            }
        } else {
            let until = (entered + r.range(HOUR, 14 * DAY)).clamp(entered + needed, ANCHOR);
            let status = if entries.is_empty() {
                if r.percent(80) { ST_NEW } else { ST_SCHEDULED }
            } else {
                [ST_IN_PROGRESS, ST_IN_PROGRESS, ST_WAITING, ST_SCHEDULED][r.index(4)]
            };
            (status, None, None, until)
        };
        let owner = self.pick_worker(&mut r, entered, closed.unwrap_or(ANCHOR), false);
        let entered_by = if r.percent(70) { owner } else { 0 };
        let last_touch = closed.unwrap_or(active_until);
        let (updated, updated_by_automation) = match next_bulk_update(last_touch) {
            Some(bulk) if r.percent(4) => (bulk, true),
            _ => (last_touch, false),
        };
        let budget_quarters = if project.is_some() {
            [16, 32, 64][r.index(3)]
        } else {
            [2, 4, 6, 8, 16][r.index(5)]
        };
        TicketPlan {
            index: i,
            entered,
            board,
            type_index,
            template,
            project,
            company,
            contact,
            person,
            machine,
            priority,
            source,
            owner,
            entered_by,
            status,
            resolved,
            closed,
            active_until,
            updated,
            updated_by_automation,
            entries,
            quarters,
            budget_quarters,
            after_hours: r.percent(10),
        }
    }

    fn ticket_id(plan: &TicketPlan) -> i64 {
        TICKET_ID_BASE + plan.index as i64
    }

    fn record_type(plan: &TicketPlan) -> &'static str {
        if plan.project.is_some() {
            "ProjectTicket"
        } else {
            "ServiceTicket"
        }
    }

    /// The template with its placeholders filled in, in one pass (a chain of `replace` calls
    /// allocated a string per placeholder).
    fn summary(&self, plan: &TicketPlan) -> String {
        if plan.project.is_some() {
            return words::PROJECT_TASKS[plan.template].to_owned();
        }
        let company = self.company_names(plan.company);
        let mut rest = words::TICKET_TEMPLATES[plan.template].3;
        let mut out = String::with_capacity(rest.len() + 32);
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                rest = &rest[open..];
                break;
            };
            match &after[..close] {
                "first" => out.push_str(
                    plan.contact
                        .map_or(plan.person.0, |c| self.contact_names(c).0),
                ),
                "person" => {
                    out.push_str(plan.person.0);
                    out.push(' ');
                    out.push_str(plan.person.1);
                }
                "server" => {
                    out.push_str(&company.code);
                    out.push('-');
                    out.push_str(["DC01", "FS01", "SQL01", "APP01"][plan.machine as usize % 4]);
                }
                "ws" => {
                    out.push_str(&company.code);
                    out.push_str("-WS");
                    push_padded(&mut out, i64::from(plan.machine), 3);
                }
                "domain" => out.push_str(&company.domain),
                other => {
                    out.push('{');
                    out.push_str(other);
                    out.push('}');
                }
            }
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }

    fn ticket_ref(plan: &TicketPlan, summary: String) -> TicketRef {
        TicketRef {
            info: TicketRefInfo {
                ticket_href: Href {
                    path: "service/tickets/",
                    id: Self::ticket_id(plan),
                    tail: "",
                },
            },
            id: Self::ticket_id(plan),
            summary,
        }
    }

    fn ticket_record<'a>(&'a self, plan: &TicketPlan, summary: &'a str) -> Ticket<'a> {
        let id = Self::ticket_id(plan);
        let fixed = &self.fixed;
        let pdef = &PRIORITIES[plan.priority];
        let owner = self.members[plan.owner].identifier.as_str();
        let sla = pdef.sla_hours * HOUR;
        let mut r = Rng::new(self.seed, S_TICKET, plan.index as u64 ^ 0x5EED);
        let (city, state, zip) = &self.company_places[plan.company];
        let href = |tail| Href {
            path: "service/tickets/",
            id,
            tail,
        };
        let root_cause = if plan.closed.is_some() {
            plan.index % ROOT_CAUSES.len()
        } else {
            ROOT_CAUSES.len()
        };
        let contact = plan.contact.map(|c| &self.contact_facts[c]);
        Ticket {
            info: TicketInfo {
                configurations_href: href("/configurations"),
                date_entered: Dt(plan.entered),
                documents_href: href("/documents"),
                entered_by: &self.members[plan.entered_by].identifier,
                last_updated: Dt(plan.updated),
                notes_href: href("/notes"),
                timeentries_href: href("/timeentries"),
                updated_by: if plan.updated_by_automation {
                    AUTOMATION_USER
                } else {
                    owner
                },
            },
            actual_hours: hours(plan.quarters),
            approved: true,
            automatic_email_cc_flag: false,
            automatic_email_contact_flag: plan.board != 1,
            automatic_email_resource_flag: true,
            bill_expenses: "Billable",
            bill_products: "Billable",
            bill_time: "Billable",
            board: &fixed.boards[plan.board],
            budget_hours: hours(plan.budget_quarters),
            city,
            closed_by: plan.closed.map(|_| owner),
            closed_date: plan.closed.map(Dt),
            closed_flag: STATUSES[plan.status].closed,
            company: &self.company_refs[plan.company].0,
            contact: contact.map(|f| &f.reference),
            contact_email_address: contact.map(|f| f.email.as_str()),
            contact_name: contact.map(|f| f.name.as_str()),
            contact_phone_number: contact.map(|f| f.phone.as_str()),
            custom_fields: [
                &fixed.root_causes[root_cause],
                &fixed.after_hours[usize::from(plan.after_hours)],
            ],
            customer_updated_flag: r.percent(5),
            date_resolved: plan.resolved.map(Dt),
            date_responded: plan
                .resolved
                .map(|resolved| Dt(plan.entered + (resolved - plan.entered) / 4)),
            department: &fixed.departments[plan.board],
            has_child_ticket: false,
            has_merged_child_ticket_flag: false,
            id,
            impact: pdef.impact,
            is_in_sla: plan.resolved.unwrap_or(ANCHOR) - plan.entered <= sla,
            location: &fixed.locations[plan.board],
            owner: &self.member_refs[plan.owner],
            priority: &fixed.priorities[plan.priority],
            record_type: Self::record_type(plan),
            required_date: Dt(plan.entered + sla),
            resources: owner,
            severity: pdef.severity,
            site: &self.company_refs[plan.company].1,
            site_name: "Main",
            source: &fixed.sources[plan.source],
            state_identifier: state,
            status: &fixed.statuses[plan.board][plan.status],
            summary,
            kind: &fixed.types[plan.board][plan.type_index],
            zip,
        }
    }

    fn ticket_notes<E>(
        &self,
        plan: &TicketPlan,
        next_id: &mut i64,
        sink: &mut dyn FnMut(&'static str, Record<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let mut r = Rng::new(self.seed, S_NOTE, plan.index as u64);
        let count = self.notes_min + r.index(self.notes_max - self.notes_min + 1);
        for n in 0..count {
            let last = n + 1 == count;
            let (kind, at, text): (usize, i64, std::borrow::Cow<'static, str>) = if n == 0 {
                let caller = plan
                    .contact
                    .map_or(plan.person.0, |c| self.contact_names(c).0);
                let summary = self.summary(plan);
                let mut text = String::with_capacity(caller.len() + summary.len() + 70);
                text.push_str(caller);
                text.push_str(" reports: ");
                text.push_str(&summary);
                text.push_str(". Started today; please call back on the main number.");
                (0, plan.entered, text.into())
            } else if last && plan.resolved.is_some() {
                (2, plan.active_until, r.pick(words::RESOLUTIONS).into())
            } else {
                (
                    1,
                    plan.entered + r.range(0, plan.active_until - plan.entered),
                    r.pick(words::INTERNAL_NOTES).into(),
                )
            };
            let member = if n == 0 { plan.entered_by } else { plan.owner };
            let by = self.members[member].identifier.as_str();
            let note = Note {
                info: Updated {
                    last_updated: Dt(at),
                    updated_by: by,
                },
                created_by: by,
                customer_updated_flag: false,
                date_created: Dt(at),
                detail_description_flag: kind == 0,
                external_flag: kind != 1,
                id: *next_id,
                internal_analysis_flag: kind == 1,
                internal_flag: kind == 1,
                issue_flag: false,
                member: &self.member_refs[member],
                resolution_flag: kind == 2,
                text: &text,
                ticket_id: Self::ticket_id(plan),
            };
            sink("ticket_notes", Record::Note(note))?;
            *next_id += 1;
        }
        Ok(())
    }

    /// Time entry `j`, charged to `plan`'s ticket; `ticket` is that ticket's reference, built
    /// once for all its entries.
    fn time_entry_record<'a>(
        &'a self,
        plan: &TicketPlan,
        j: usize,
        ticket: &'a TicketRef,
    ) -> TimeEntry<'a> {
        let mut r = Rng::new(self.seed, S_ENTRY, j as u64);
        let quarters = self.entry_quarters(j);
        let length = i64::from(quarters) * 15 * MINUTE;
        let until = plan.resolved.unwrap_or(plan.active_until);
        // Start on a whole minute somewhere the entry still ends by `until`.
        let latest = ((until - length - plan.entered) / MINUTE).max(0);
        let start = plan.entered - plan.entered % MINUTE + MINUTE + r.range(0, latest - 1) * MINUTE;
        let start = start.min(until - length).max(plan.entered);
        let end = start + length;
        let member = if r.percent(20) {
            let m = self.pick_worker(&mut r, start, end, false);
            if m == 0 { plan.owner } else { m }
        } else {
            plan.owner
        };
        let role = self.members[member].role;
        // Project work, else onsite (15%) or remote support.
        let work_type = if plan.project.is_some() {
            2
        } else {
            usize::from(r.percent(15))
        };
        let billable = match r.below(20) {
            0..=13 => "Billable",
            14..=16 => "DoNotBill",
            _ => "NoCharge",
        };
        let entered = (end + r.range(0, 30) * MINUTE).min(ANCHOR);
        let status = match (ANCHOR - end > 30 * DAY, billable) {
            (true, "Billable") => "Billed",
            (true, _) => "ApprovedByTierTwo",
            _ => "Open",
        };
        let by = self.members[member].identifier.as_str();
        let actual = hours(quarters);
        let billed = if billable == "Billable" { actual } else { 0.0 };
        let board = &BOARDS[plan.board];
        TimeEntry {
            info: Updated {
                last_updated: Dt(entered),
                updated_by: by,
            },
            actual_hours: actual,
            add_to_detail_description_flag: false,
            add_to_internal_analysis_flag: true,
            add_to_resolution_flag: false,
            billable_option: billable,
            business_unit_id: board.department.0,
            charge_to_id: Self::ticket_id(plan),
            charge_to_type: Self::record_type(plan),
            company: &self.company_refs[plan.company].0,
            custom_fields: [],
            date_entered: Dt(entered),
            email_cc_flag: false,
            email_contact_flag: false,
            email_resource_flag: false,
            entered_by: by,
            hourly_rate: f64::from(ROLES[role].hourly_rate),
            hours_billed: billed,
            hours_deduct: 0.0,
            id: TIME_ENTRY_ID_BASE + j as i64,
            invoice_hours: billed,
            location_id: board.location.0,
            member: &self.member_refs[member],
            notes: r.pick(words::WORK_NOTES),
            project: plan.project.map(|p| &self.project_refs[p]),
            status,
            ticket,
            time_end: Dt(end),
            time_start: Dt(start),
            work_role: &self.fixed.work_roles[role],
            work_type: &self.fixed.work_types[work_type],
        }
    }
}

fn priority_record(index: usize, p: &catalog::PriorityDef) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "color": p.color,
        "sortOrder": index + 1,
        "defaultFlag": index == DEFAULT_PRIORITY,
        "level": p.level,
        "_info": {
            "lastUpdated": dt(SETUP), "updatedBy": "admin1",
            "dateEntered": dt(SETUP), "enteredBy": "admin1",
            "image_href": href(&format!("service/priorities/{}/image?lm={}", p.id, format_datetime(SETUP))),
        },
    })
}

fn status_record(board: &BoardDef, index: usize) -> Value {
    let s = &STATUSES[index];
    let id = board.status_base + index as i64;
    json!({
        "id": id,
        "name": s.name,
        "board": {"id": board.id, "name": board.name,
            "_info": {"board_href": href(&format!("service/boards/{}", board.id))}},
        "sortOrder": index + 1,
        "displayOnBoard": !s.closed && !s.inactive,
        "inactive": s.inactive,
        "closedStatus": s.closed,
        "timeEntryNotAllowed": index == ST_CLOSED,
        "defaultFlag": s.default,
        "escalationStatus": s.escalation,
        "customerPortalDescription": s.name,
        "customerPortalFlag": !s.inactive,
        "_info": info(SETUP, "admin1", SETUP, "admin1"),
    })
}
