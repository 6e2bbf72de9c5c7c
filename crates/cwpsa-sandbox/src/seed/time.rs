//! Fixed-instant time arithmetic: the demo data never reads the system clock.

/// 2026-11-01T00:00:00Z, the "now" of the demo data.
pub const ANCHOR: i64 = 1_793_491_200;
/// The demo data's history: the two years (730 days) before [`ANCHOR`].
pub const WINDOW_START: i64 = ANCHOR - 730 * DAY;

pub(super) const MINUTE: i64 = 60;
pub(super) const HOUR: i64 = 3_600;
pub(super) const DAY: i64 = 86_400;

/// Writes `2024-03-05T14:22:07Z`, the API's datetime format, into `out`.
pub(super) fn write_datetime(ts: i64, out: &mut [u8; 20]) {
    let (year, month, day) = cwpsa_core::calendar::civil_from_days(ts.div_euclid(DAY));
    let (month, day) = (month as u32, day as u32);
    let secs = ts.rem_euclid(DAY) as u32;
    let year = year.clamp(0, 9999) as u32;
    let two = |v: u32| [b'0' + (v / 10 % 10) as u8, b'0' + (v % 10) as u8];
    let parts: [([u8; 2], u8); 7] = [
        (two(year / 100), 0),
        (two(year % 100), b'-'),
        (two(month), b'-'),
        (two(day), b'T'),
        (two(secs / 3_600), b':'),
        (two(secs / 60 % 60), b':'),
        (two(secs % 60), b'Z'),
    ];
    let mut i = 0;
    for (digits, sep) in parts {
        out[i..i + 2].copy_from_slice(&digits);
        i += 2;
        if sep != 0 {
            out[i] = sep;
            i += 1;
        }
    }
}

/// `2024-03-05T14:22:07Z`, the API's datetime format.
pub fn format_datetime(ts: i64) -> String {
    let mut buf = [0u8; 20];
    write_datetime(ts, &mut buf);
    buf.iter().map(|&b| char::from(b)).collect()
}

/// Midnight UTC of the day holding `ts` (the API's form for date-only values).
pub(super) fn midnight(ts: i64) -> i64 {
    ts - ts.rem_euclid(DAY)
}

/// Squeezes a time of day into 13:00–23:00 UTC (08:00–18:00 in Denver), keeping order: tickets
/// arrive in business hours while ids still grow with `dateEntered`.
pub(super) fn business_hours(ts: i64) -> i64 {
    let day = midnight(ts);
    day + 13 * HOUR + (ts - day) * 10 / 24
}

/// Instants of the nightly maintenance job that touches many records at once (03:00:00Z every
/// 60 days): records it touched share one `lastUpdated` second, as real tenants' do after an
/// integration's bulk update.
const BULK_FIRST: i64 = WINDOW_START + 30 * DAY + 3 * HOUR;
const BULK_EVERY: i64 = 60 * DAY;

/// The first bulk-update instant at or after `ts`, if it is before [`ANCHOR`].
pub(super) fn next_bulk_update(ts: i64) -> Option<i64> {
    let n = if ts <= BULK_FIRST {
        0
    } else {
        (ts - BULK_FIRST + BULK_EVERY - 1) / BULK_EVERY
    };
    let at = BULK_FIRST + n * BULK_EVERY;
    (at <= ANCHOR).then_some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_datetime(ANCHOR), "2026-11-01T00:00:00Z");
        assert_eq!(format_datetime(WINDOW_START), "2024-11-01T00:00:00Z");
        assert_eq!(format_datetime(951_782_400 + 3_661), "2000-02-29T01:01:01Z");
        assert_eq!(format_datetime(0), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn business_hours_stay_in_the_day_and_keep_order() {
        let a = business_hours(WINDOW_START + 5 * DAY);
        let b = business_hours(WINDOW_START + 6 * DAY - 1);
        assert!(a < b && midnight(a) == midnight(b));
        assert_eq!(format_datetime(a), "2024-11-06T13:00:00Z");
    }

    #[test]
    fn bulk_updates_are_after_and_bounded() {
        assert_eq!(next_bulk_update(WINDOW_START), Some(BULK_FIRST));
        assert_eq!(
            next_bulk_update(BULK_FIRST + 1),
            Some(BULK_FIRST + BULK_EVERY)
        );
        assert_eq!(next_bulk_update(ANCHOR), None);
    }
}
