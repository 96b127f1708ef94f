//! RFC 3339 timestamps as microsecond counts, so service levels can be added to them without a
//! date crate: a plugin component should stay small.
//!
//! Input may be any RFC 3339 `date-time` (offsets, any number of fraction digits); output is
//! always the host's form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, whose text order is time order.

use std::fmt;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A point in time, held as microseconds since 1970-01-01T00:00:00Z so that comparing and
/// adding is integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(i64);

impl Instant {
    /// Parses an RFC 3339 `date-time`. Digits past microseconds are dropped; anything that is
    /// not a valid timestamp is `None`, left to schema validation.
    pub fn parse(text: &str) -> Option<Instant> {
        let bytes = text.as_bytes();
        if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        if !matches!(bytes[10], b'T' | b't') || bytes[13] != b':' || bytes[16] != b':' {
            return None;
        }
        let (year, month, day) = (
            number(&bytes[0..4])?,
            number(&bytes[5..7])?,
            number(&bytes[8..10])?,
        );
        let (hour, minute, second) = (
            number(&bytes[11..13])?,
            number(&bytes[14..16])?,
            number(&bytes[17..19])?,
        );
        // RFC 3339 allows a leap second, 60; it counts as the first instant of the next minute.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let days = days_from_civil(year, month, day)?;
        let mut rest = &bytes[19..];
        let mut micros = 0;
        if let [b'.', fraction @ ..] = rest {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return None;
            }
            let kept = &fraction[..digits.min(6)];
            micros = number(kept)? * 10_i64.pow(6 - kept.len() as u32);
            rest = &fraction[digits..];
        }
        let offset_minutes = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (hours, minutes) = (number(&[*h1, *h2])?, number(&[*m1, *m2])?);
                if hours > 23 || minutes > 59 {
                    return None;
                }
                let minutes = hours * 60 + minutes;
                if *sign == b'-' { -minutes } else { minutes }
            }
            _ => return None,
        };
        let seconds = ((hour * 60 + minute - offset_minutes) * 60) + second;
        Some(Instant(
            days * MICROS_PER_DAY + seconds * MICROS_PER_SECOND + micros,
        ))
    }

    /// The instant `hours` later.
    pub fn plus_hours(self, hours: i64) -> Instant {
        Instant(self.0 + hours * 3_600 * MICROS_PER_SECOND)
    }
}

/// Writes the host's form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.0.div_euclid(MICROS_PER_DAY));
        let of_day = self.0.rem_euclid(MICROS_PER_DAY);
        let (seconds, micros) = (of_day / MICROS_PER_SECOND, of_day % MICROS_PER_SECOND);
        let (hour, minute, second) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z"
        )
    }
}

fn number(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + i64::from(b - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a date, or `None` when the day does not exist (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> Option<i64> {
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The date of a day number; the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    (year_of_era + era * 400 + i64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        Instant::parse(text)
            .unwrap_or_else(|| panic!("{text} should parse"))
            .to_string()
    }

    #[test]
    fn the_host_form_round_trips() {
        for text in [
            "1970-01-01T00:00:00.000000Z",
            "2026-11-23T10:00:00.000000Z",
            "2028-02-29T23:59:59.999999Z",
            "1969-12-31T23:59:59.999999Z",
            "9999-12-31T23:59:59.999999Z",
        ] {
            assert_eq!(canonical(text), text);
        }
        assert_eq!(
            Instant::parse("1970-01-01T00:00:01.000000Z"),
            Some(Instant(MICROS_PER_SECOND))
        );
        assert_eq!(
            Instant::parse("1969-12-31T23:59:59.999999Z"),
            Some(Instant(-1))
        );
    }

    #[test]
    fn other_rfc_3339_forms_are_read() {
        assert_eq!(
            canonical("2026-11-23T10:00:00Z"),
            "2026-11-23T10:00:00.000000Z"
        );
        assert_eq!(
            canonical("2026-11-23t10:00:00.5z"),
            "2026-11-23T10:00:00.500000Z"
        );
        assert_eq!(
            canonical("2026-11-23T10:00:00.123456789Z"),
            "2026-11-23T10:00:00.123456Z"
        );
        assert_eq!(
            canonical("2026-11-23T01:30:00+02:00"),
            "2026-11-22T23:30:00.000000Z"
        );
        assert_eq!(
            canonical("2026-12-31T23:30:00-01:00"),
            "2027-01-01T00:30:00.000000Z"
        );
        assert_eq!(
            canonical("2016-12-31T23:59:60Z"),
            "2017-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        for bad in [
            "",
            "2026-11-23",
            "2026-11-23 10:00:00Z",
            "2026-11-23T10:00:00",
            "2026-11-23T10:00:00.Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T10:60:00Z",
            "2026-11-23T10:00:61Z",
            "2026-02-29T10:00:00Z",
            "2026-11-23T10:00:00+0200",
            "2026-11-23T10:00:00+24:00",
            "2026-11-23T10:00:00ZZ",
            "2026-11-23T10:00:0xZ",
        ] {
            assert_eq!(Instant::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn hours_cross_days_months_and_years() {
        let at = |text| Instant::parse(text).unwrap();
        assert_eq!(
            at("2026-11-23T10:00:00.000000Z").plus_hours(4).to_string(),
            "2026-11-23T14:00:00.000000Z"
        );
        assert_eq!(
            at("2026-12-31T22:15:00.250000Z").plus_hours(72).to_string(),
            "2027-01-03T22:15:00.250000Z"
        );
        assert_eq!(
            at("2028-02-28T20:00:00.000000Z").plus_hours(24).to_string(),
            "2028-02-29T20:00:00.000000Z"
        );
        assert!(at("2026-11-23T10:00:00.000001Z") > at("2026-11-23T10:00:00.000000Z"));
    }

    #[test]
    fn every_day_of_four_centuries_formats_and_parses_back() {
        let start = days_from_civil(1800, 1, 1).unwrap();
        for days in start..start + 146_097 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), Some(days));
            let instant = Instant(days * MICROS_PER_DAY + 12 * 3_600 * MICROS_PER_SECOND);
            assert_eq!(Instant::parse(&instant.to_string()), Some(instant));
        }
    }
}
