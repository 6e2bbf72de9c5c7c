//! Rust identifiers from the API's names.

const KEYWORDS: [&str; 38] = [
    "as", "async", "await", "box", "break", "const", "continue", "do", "dyn", "else", "enum",
    "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "static", "struct",
    "trait", "true", "type", "where",
];
const MORE_KEYWORDS: [&str; 9] = [
    "typeof", "unsafe", "unsized", "use", "virtual", "while", "yield", "abstract", "become",
];
/// Keywords that cannot be raw identifiers.
const NOT_RAW: [&str; 4] = ["self", "super", "crate", "Self"];

/// `Company.Configuration` → `CompanyConfiguration`, `scheduleentries` → `Scheduleentries`,
/// `Non-Billable` → `NonBillable`.
pub fn pascal(name: &str) -> String {
    let mut out = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        out.push_str("Empty");
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// `budgetHours` → `budget_hours`, `connectWiseID` → `connect_wise_id`, `SLAReference` →
/// `sla_reference`, `billComplete_Flag` → `bill_complete_flag`.
pub fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.is_empty() && !out.ends_with('_') {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v_{out}")
    } else {
        out
    }
}

/// A usable identifier: `type` → `r#type`, `self` → `self_`.
pub fn ident(name: &str) -> String {
    if NOT_RAW.contains(&name) {
        format!("{name}_")
    } else if KEYWORDS.contains(&name) || MORE_KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_owned()
    }
}

/// `name`, or `name_2`, `name_3`... whichever is not taken yet; records the choice.
pub fn unique(name: &str, taken: &mut Vec<String>) -> String {
    let mut candidate = name.to_owned();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{name}_{n}");
        n += 1;
    }
    taken.push(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake("budgetHours"), "budget_hours");
        assert_eq!(snake("connectWiseID"), "connect_wise_id");
        assert_eq!(snake("SLAReference"), "sla_reference");
        assert_eq!(snake("billComplete_Flag"), "bill_complete_flag");
        assert_eq!(snake("addressLine1"), "address_line1");
        assert_eq!(snake("_info"), "info");
        assert_eq!(pascal("Company.Configuration"), "CompanyConfiguration");
        assert_eq!(pascal("Non-Billable"), "NonBillable");
        assert_eq!(pascal("1stLevel"), "V1stLevel");
        assert_eq!(pascal(""), "Empty");
        assert_eq!(ident("type"), "r#type");
        assert_eq!(ident("self"), "self_");
    }
}
