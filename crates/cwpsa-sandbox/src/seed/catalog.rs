//! The fixed setup of the demo MSP ("Brightpath IT", Denver): boards and their statuses,
//! priorities, roles, and the small lookup tables records point into.

pub(super) const MSP_DOMAIN: &str = "brightpathit.com";
/// The integration account behind the nightly bulk updates.
pub(super) const AUTOMATION_USER: &str = "AutomateAPI";

/// (id, name).
pub(super) type Named = (i64, &'static str);

#[derive(Debug)]
pub(super) struct BoardDef {
    pub id: i64,
    pub name: &'static str,
    pub location: Named,
    /// (id, identifier, name).
    pub department: (i64, &'static str, &'static str),
    pub project: bool,
    pub types: &'static [Named],
    /// Status ids are `status_base + index in STATUSES`.
    pub status_base: i64,
    /// Whether the board also carries the retired (inactive) status.
    pub retired_status: bool,
}

const DENVER: Named = (1, "Denver HQ");

pub(super) const BOARDS: [BoardDef; 4] = [
    BoardDef {
        id: 1,
        name: "Help Desk",
        location: DENVER,
        department: (10, "SVC", "Service Desk"),
        project: false,
        types: &[
            (101, "Incident"),
            (102, "Service Request"),
            (103, "Problem"),
        ],
        status_base: 1,
        retired_status: true,
    },
    BoardDef {
        id: 2,
        name: "Network Operations",
        location: DENVER,
        department: (11, "NOC", "Network Operations"),
        project: false,
        types: &[(201, "Alert"), (202, "Outage"), (203, "Change")],
        status_base: 11,
        retired_status: false,
    },
    BoardDef {
        id: 3,
        name: "Projects",
        location: DENVER,
        department: (12, "PRJ", "Professional Services"),
        project: true,
        types: &[(301, "Project Task")],
        status_base: 21,
        retired_status: false,
    },
    BoardDef {
        id: 4,
        name: "Onboarding",
        location: DENVER,
        department: (10, "SVC", "Service Desk"),
        project: false,
        types: &[(401, "New User"), (402, "Offboarding")],
        status_base: 31,
        retired_status: false,
    },
];
pub(super) const PROJECTS_BOARD: usize = 2;

#[derive(Debug)]
pub(super) struct StatusDef {
    pub name: &'static str,
    pub closed: bool,
    pub default: bool,
    pub inactive: bool,
    pub escalation: &'static str,
}

const fn status(name: &'static str, closed: bool, escalation: &'static str) -> StatusDef {
    StatusDef {
        name,
        closed,
        default: false,
        inactive: false,
        escalation,
    }
}

pub(super) const STATUSES: [StatusDef; 7] = [
    StatusDef {
        name: "New",
        closed: false,
        default: true,
        inactive: false,
        escalation: "NotResponded",
    },
    status("In Progress", false, "Responded"),
    status("Waiting on Client", false, "Responded"),
    status("Scheduled", false, "ResolutionPlan"),
    status("Resolved", true, "Resolved"),
    status("Closed", true, "Resolved"),
    // Kept only on boards with `retired_status`: no ticket uses it.
    StatusDef {
        name: "Pending Vendor",
        closed: false,
        default: false,
        inactive: true,
        escalation: "NoEscalation",
    },
];
pub(super) const ST_NEW: usize = 0;
pub(super) const ST_IN_PROGRESS: usize = 1;
pub(super) const ST_WAITING: usize = 2;
pub(super) const ST_SCHEDULED: usize = 3;
pub(super) const ST_RESOLVED: usize = 4;
pub(super) const ST_CLOSED: usize = 5;
pub(super) const ST_RETIRED: usize = 6;

pub(super) fn board_status_count(board: &BoardDef) -> usize {
    if board.retired_status {
        STATUSES.len()
    } else {
        ST_RETIRED
    }
}

#[derive(Debug)]
pub(super) struct PriorityDef {
    pub id: i64,
    pub name: &'static str,
    pub color: &'static str,
    pub level: &'static str,
    /// Response target in hours, for `requiredDate` and `isInSla`.
    pub sla_hours: i64,
    /// Typical time to resolve, in minutes (min, max).
    pub resolve_minutes: (i64, i64),
    pub severity: &'static str,
    pub impact: &'static str,
}

pub(super) const PRIORITIES: [PriorityDef; 5] = [
    PriorityDef {
        id: 1,
        name: "Priority 1 - Critical",
        color: "Red",
        level: "Level1",
        sla_hours: 4,
        resolve_minutes: (30, 8 * 60),
        severity: "High",
        impact: "High",
    },
    PriorityDef {
        id: 2,
        name: "Priority 2 - High",
        color: "Orange",
        level: "Level2",
        sla_hours: 8,
        resolve_minutes: (60, 24 * 60),
        severity: "Medium",
        impact: "High",
    },
    PriorityDef {
        id: 3,
        name: "Priority 3 - Normal",
        color: "Yellow",
        level: "Level3",
        sla_hours: 48,
        resolve_minutes: (120, 4 * 1440),
        severity: "Medium",
        impact: "Medium",
    },
    PriorityDef {
        id: 4,
        name: "Priority 4 - Low",
        color: "Blue",
        level: "Level4",
        sla_hours: 120,
        resolve_minutes: (1440, 8 * 1440),
        severity: "Low",
        impact: "Medium",
    },
    PriorityDef {
        id: 5,
        name: "Priority 5 - Planning",
        color: "Gray",
        level: "NotApplicable",
        sla_hours: 336,
        resolve_minutes: (3 * 1440, 21 * 1440),
        severity: "Low",
        impact: "Low",
    },
];
pub(super) const DEFAULT_PRIORITY: usize = 2;

#[derive(Debug)]
pub(super) struct RoleDef {
    pub title: &'static str,
    pub work_role: Named,
    pub security_role: Named,
    pub works_tickets: bool,
    pub manages_projects: bool,
    pub hourly_rate: u32,
}

pub(super) const ROLES: [RoleDef; 6] = [
    RoleDef {
        title: "Service Manager",
        work_role: (1, "Service Manager"),
        security_role: (1, "Admin"),
        works_tickets: true,
        manages_projects: true,
        hourly_rate: 150,
    },
    RoleDef {
        title: "Project Manager",
        work_role: (2, "Project Manager"),
        security_role: (3, "Project Manager"),
        works_tickets: false,
        manages_projects: true,
        hourly_rate: 140,
    },
    RoleDef {
        title: "Service Desk Technician",
        work_role: (3, "Tier 1 Support"),
        security_role: (2, "Technician"),
        works_tickets: true,
        manages_projects: false,
        hourly_rate: 95,
    },
    RoleDef {
        title: "Systems Engineer",
        work_role: (4, "Tier 2 Support"),
        security_role: (2, "Technician"),
        works_tickets: true,
        manages_projects: false,
        hourly_rate: 125,
    },
    RoleDef {
        title: "Network Engineer",
        work_role: (5, "Network Engineer"),
        security_role: (2, "Technician"),
        works_tickets: true,
        manages_projects: false,
        hourly_rate: 135,
    },
    RoleDef {
        title: "Senior Systems Engineer",
        work_role: (6, "Tier 3 Support"),
        security_role: (2, "Technician"),
        works_tickets: true,
        manages_projects: true,
        hourly_rate: 160,
    },
];
/// Roles of members after the first two (a service manager and a project manager).
pub(super) const ROLE_CYCLE: [usize; 6] = [2, 3, 2, 4, 5, 3];

pub(super) const TIME_ZONE: Named = (5, "Mountain Standard Time");
/// (id, identifier, name).
pub(super) const COUNTRY: (i64, &str, &str) = (1, "US", "United States");
pub(super) const COMPANY_STATUS_ACTIVE: Named = (1, "Active");
pub(super) const COMPANY_STATUS_INACTIVE: Named = (2, "Inactive");
pub(super) const COMPANY_TYPE_CLIENT: Named = (1, "Client");
pub(super) const COMPANY_TYPE_PARTNER: Named = (4, "Partner");
pub(super) const TERRITORY: Named = (1, "Denver HQ");
pub(super) const COMM_EMAIL: Named = (1, "Email");
pub(super) const COMM_DIRECT: Named = (2, "Direct");
pub(super) const COMM_CELL: Named = (4, "Cell");
pub(super) const CONTACT_TYPE_LEAD: Named = (1, "Decision Maker");
pub(super) const CONTACT_TYPE_USER: Named = (2, "End User");
pub(super) const SOURCES: [Named; 4] = [
    (1, "Phone"),
    (2, "Email Connector"),
    (3, "Portal"),
    (4, "Monitoring"),
];
pub(super) const WORK_TYPES: [Named; 3] =
    [(1, "Remote Support"), (2, "Onsite"), (3, "Project Work")];
/// ProjectStatus (id, name, closed).
pub(super) const PROJECT_STATUSES: [(i64, &str, bool); 4] = [
    (1, "Open", false),
    (2, "In Progress", false),
    (3, "On Hold", false),
    (4, "Closed", true),
];
pub(super) const PROJECT_TYPES: [Named; 3] = [
    (1, "Infrastructure"),
    (2, "Cloud Migration"),
    (3, "Security"),
];
pub(super) const CONTRACT_TIERS: [&str; 4] = ["Gold", "Silver", "Bronze", "Break/Fix"];
pub(super) const ROOT_CAUSES: [&str; 6] = [
    "User Error",
    "Hardware Failure",
    "Software Bug",
    "Configuration",
    "Vendor Issue",
    "Security",
];
