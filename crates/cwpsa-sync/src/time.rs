//! The API's timestamps (`2024-03-05T14:22:07Z`) as seconds, without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

use cwpsa_core::calendar::{civil_from_days, days_from_civil, days_in_month};

/// Seconds since the Unix epoch of `2024-03-05T14:22:07Z`, also accepting fractions
/// (`.123`), offsets (`+02:00`) and a bare date (`2024-03-05`). `None` for anything else.
pub fn parse(text: &str) -> Option<i64> {
    let b = text.trim().as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let s = b.get(from..from + len)?;
        s.iter().all(u8::is_ascii_digit).then_some(())?;
        std::str::from_utf8(s).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let date = days_from_civil(year, month, day) * 86_400;
    if b.len() == 10 {
        return Some(date);
    }
    if !matches!(b.get(10), Some(b'T' | b't' | b' ')) || b.get(13) != Some(&b':') {
        return None;
    }
    let (hour, minute) = (num(11, 2)?, num(14, 2)?);
    let (second, mut rest) = if b.get(16) == Some(&b':') {
        (num(17, 2)?, 19)
    } else {
        (0, 16)
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    if b.get(rest) == Some(&b'.') {
        rest += 1;
        let start = rest;
        while b.get(rest).is_some_and(u8::is_ascii_digit) {
            rest += 1;
        }
        if rest == start {
            return None;
        }
    }
    let offset = match b.get(rest..) {
        Some([] | [b'Z' | b'z']) => 0,
        Some([sign @ (b'+' | b'-'), ..]) => {
            let h = num(rest + 1, 2)?;
            let m = match b.get(rest + 3) {
                Some(b':') => num(rest + 4, 2)?,
                _ => num(rest + 3, 2)?,
            };
            let expected = if b.get(rest + 3) == Some(&b':') { 6 } else { 5 };
            if b.len() - rest != expected || h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    Some(date + hour * 3600 + minute * 60 + second - offset)
}

/// `YYYY-MM-DDTHH:MM:SSZ` (years outside 0-9999 are clamped into it).
pub fn format(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // Written digit by digit: this runs for several fields of every record synced, and
    // `format!` was a twentieth of a first sync's CPU.
    let mut out = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, width: usize, value: i64| {
        let mut v = value;
        for i in (at..at + width).rev() {
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y.clamp(0, 9999));
    put(5, 2, m);
    put(8, 2, d);
    put(11, 2, rem / 3600);
    put(14, 2, rem % 3600 / 60);
    put(17, 2, rem % 60);
    out.iter().map(|&b| char::from(b)).collect()
}

/// Now, in the API's format.
pub fn now() -> String {
    format(now_secs())
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A timestamp in the API's canonical UTC form, or `None` when `text` is not one.
pub fn normalize(text: &str) -> Option<String> {
    let secs = parse(text)?;
    // The server's own form, the usual case, is already canonical (a leap second is not: it
    // is the next minute's first).
    let b = text.as_bytes();
    if b.len() == 20
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z'
        && &b[17..19] != b"60"
    {
        return Some(text.to_owned());
    }
    Some(format(secs))
}

/// A timestamp as a conditions value (`[2024-03-05T14:22:07Z]`).
pub fn to_condition(secs: i64) -> Option<cwpsa_core::conditions::DateTime> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    cwpsa_core::conditions::DateTime::new(
        u16::try_from(y).ok()?,
        m as u8,
        d as u8,
        (rem / 3600) as u8,
        (rem % 3600 / 60) as u8,
        (rem % 60) as u8,
        0,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_variants() {
        for text in [
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2026-11-01T00:00:00Z",
        ] {
            assert_eq!(parse(text).map(format).as_deref(), Some(text));
        }
        assert_eq!(parse("2024-03-05"), parse("2024-03-05T00:00:00Z"));
        assert_eq!(
            parse("2024-03-05T02:00:00+02:00"),
            parse("2024-03-05T00:00:00Z")
        );
        assert_eq!(
            parse("2024-03-05T00:00:00.123Z"),
            parse("2024-03-05T00:00:00Z")
        );
        assert_eq!(parse("2024-03-05T00:00"), parse("2024-03-05T00:00:00Z"));
        for (text, canonical) in [
            ("2024-03-05T14:22:07Z", "2024-03-05T14:22:07Z"),
            ("2024-03-05T14:22.5Z", "2024-03-05T14:22:00Z"),
            ("2024-03-05T14:22:60Z", "2024-03-05T14:23:00Z"),
            ("2024-03-05t14:22:07Z", "2024-03-05T14:22:07Z"),
            ("2024-03-05T14:22:07z", "2024-03-05T14:22:07Z"),
            ("2024-03-05T16:22:07+02:00", "2024-03-05T14:22:07Z"),
            ("2024-03-05", "2024-03-05T00:00:00Z"),
        ] {
            assert_eq!(normalize(text).as_deref(), Some(canonical), "{text}");
        }
        assert_eq!(normalize("2024-03-05T14:22:07X"), None);
        for bad in [
            "",
            "2024-02-30",
            "2024-13-01",
            "2024-03-05T25:00:00Z",
            "x",
            "2024-03-05Tab",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
