//! Calendar dates (`YYYY-MM-DD`) and RFC 3339 instants as plain integers, so the rules can
//! compare, count and add days without a date crate: a plugin component should stay small.
//!
//! Instants read any RFC 3339 `date-time` (offsets, any number of fraction digits) and are
//! written in the host's form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, whose text order is time order.
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days`.

use std::fmt;

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A calendar date, held as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(i64);

impl Date {
    /// Parses exactly `YYYY-MM-DD` (the JSON Schema `date` format); days that do not exist,
    /// such as 2026-02-30, are `None` and left to schema validation.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        Date::from_ymd(
            number(&bytes[0..4])?,
            number(&bytes[5..7])?,
            number(&bytes[8..10])?,
        )
    }

    /// The date of a year, month and day, or `None` when that day does not exist.
    pub fn from_ymd(year: i64, month: i64, day: i64) -> Option<Date> {
        days_from_civil(year, month, day).map(Date)
    }

    /// The date `days` later (earlier when negative).
    pub fn add_days(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    /// Days from `self` to `later`; negative when `later` is earlier.
    pub fn days_until(self, later: Date) -> i64 {
        later.0 - self.0
    }

    /// The UTC date of the host's clock (`host::now()`), which is always a valid instant.
    pub fn today(now: &str) -> Option<Date> {
        Instant::parse(now).map(Instant::date)
    }
}

/// Writes `YYYY-MM-DD`.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = civil_from_days(self.0);
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

/// A point in time, held as microseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Instant(i64);

impl Instant {
    /// Parses an RFC 3339 `date-time`. Digits past microseconds are dropped; anything that is
    /// not a valid timestamp is `None`, left to schema validation.
    pub fn parse(text: &str) -> Option<Instant> {
        let bytes = text.as_bytes();
        if bytes.len() < 20 || !matches!(bytes[10], b'T' | b't') {
            return None;
        }
        if bytes[13] != b':' || bytes[16] != b':' {
            return None;
        }
        let date = Date::parse(text.get(..10)?)?;
        let (hour, minute, second) = (
            number(&bytes[11..13])?,
            number(&bytes[14..16])?,
            number(&bytes[17..19])?,
        );
        // RFC 3339 allows a leap second, 60; it counts as the first instant of the next minute.
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
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
        let seconds = (hour * 60 + minute - offset_minutes) * 60 + second;
        Some(Instant(
            date.0 * MICROS_PER_DAY + seconds * MICROS_PER_SECOND + micros,
        ))
    }

    /// The instant `days` whole days later.
    pub fn plus_days(self, days: i64) -> Instant {
        Instant(self.0 + days * MICROS_PER_DAY)
    }

    /// The UTC calendar date this instant falls on.
    pub fn date(self) -> Date {
        Date(self.0.div_euclid(MICROS_PER_DAY))
    }
}

/// Writes the host's form, `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let of_day = self.0.rem_euclid(MICROS_PER_DAY);
        let (seconds, micros) = (of_day / MICROS_PER_SECOND, of_day % MICROS_PER_SECOND);
        let (hour, minute, second) = (seconds / 3_600, seconds / 60 % 60, seconds % 60);
        write!(
            f,
            "{}T{hour:02}:{minute:02}:{second:02}.{micros:06}Z",
            self.date()
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

/// Days since 1970-01-01 of a date, or `None` when the day does not exist.
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

    #[test]
    fn dates_parse_add_and_count() {
        let date = Date::parse("2028-02-28").unwrap();
        assert_eq!(date.add_days(1).to_string(), "2028-02-29");
        assert_eq!(date.add_days(2).to_string(), "2028-03-01");
        assert_eq!(date.days_until(Date::parse("2029-02-28").unwrap()), 366);
        for bad in ["2026-02-29", "2026-13-01", "2026-1-01", "20260101", ""] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn instants_read_offsets_and_write_the_host_form() {
        let at = |text| Instant::parse(text).unwrap().to_string();
        assert_eq!(at("2026-11-23T10:00:00Z"), "2026-11-23T10:00:00.000000Z");
        assert_eq!(
            at("2026-11-23T01:30:00+02:00"),
            "2026-11-22T23:30:00.000000Z"
        );
        assert_eq!(
            at("2026-12-31T23:30:00.5-01:00"),
            "2027-01-01T00:30:00.500000Z"
        );
        let instant = Instant::parse("2026-11-23T01:30:00+02:00").unwrap();
        assert_eq!(instant.date().to_string(), "2026-11-22");
        assert_eq!(
            instant.plus_days(28).to_string(),
            "2026-12-20T23:30:00.000000Z"
        );
        for bad in [
            "2026-11-23",
            "2026-11-23T10:00:00",
            "2026-11-23T24:00:00Z",
            "x",
        ] {
            assert_eq!(Instant::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Date::today("2026-11-23T23:59:59.999999Z")
                .unwrap()
                .to_string(),
            "2026-11-23"
        );
    }

    #[test]
    fn four_centuries_round_trip() {
        let start = days_from_civil(1800, 1, 1).unwrap();
        for days in start..start + 146_097 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), Some(days));
        }
    }
}
