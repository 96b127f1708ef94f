//! Calendar dates (`YYYY-MM-DD`) as day numbers, so the rules can compare, count and add days
//! without a date crate: a plugin component should stay small.
//!
//! The conversions are Howard Hinnant's `days_from_civil` / `civil_from_days` for the proleptic
//! Gregorian calendar.

use std::fmt;

/// A calendar date, held as the number of days since 1970-01-01 so that comparing and
/// subtracting dates is integer arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date(i64);

impl Date {
    /// Parses exactly `YYYY-MM-DD` (the JSON Schema `date` format) and rejects days that do not
    /// exist, such as 2026-02-30; anything else is `None` and left to schema validation.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let year = digits(&bytes[0..4])?;
        let month = digits(&bytes[5..7])?;
        let day = digits(&bytes[8..10])?;
        Date::from_ymd(year, month as u32, day as u32)
    }

    /// The date of a year, month and day, or `None` when that day does not exist.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date(days_from_civil(year, month, day)))
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.0)
    }

    /// The year, e.g. for the `CTR-YYYY-` prefix of a contract number.
    pub fn year(self) -> i64 {
        self.ymd().0
    }

    /// The date `days` later (earlier when negative).
    pub fn add_days(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    /// Days from `self` to `later`; negative when `later` is earlier.
    pub fn days_until(self, later: Date) -> i64 {
        later.0 - self.0
    }

    /// The last day of a term of `months` months that starts on `self`: the day before the
    /// monthly anniversary. When the final month has no such day (a term starting on the 31st,
    /// or on 29 February), the term ends on that month's last day, as in BGB § 188(3).
    pub fn last_day_of_term(self, months: u32) -> Date {
        let (year, month, day) = self.ymd();
        let index = year * 12 + i64::from(month - 1) + i64::from(months);
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        match Date::from_ymd(year, month, day) {
            Some(anniversary) => anniversary.add_days(-1),
            None => Date(days_from_civil(year, month, days_in_month(year, month))),
        }
    }
}

/// Writes `YYYY-MM-DD`; years outside 0000–9999 are not valid `date` values, so callers that
/// store a computed date check [`Date::year`] first.
impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.ymd();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |value, &b| {
        b.is_ascii_digit().then(|| value * 10 + i64::from(b - b'0'))
    })
}

fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap_year(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a valid civil date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The civil date of a day number; the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap_or_else(|| panic!("{text} should parse"))
    }

    #[test]
    fn known_day_numbers() {
        assert_eq!(date("1970-01-01"), Date(0));
        assert_eq!(date("1969-12-31"), Date(-1));
        assert_eq!(date("2000-03-01"), Date(11_017));
        assert_eq!(date("2026-11-23"), Date(20_780));
        assert_eq!(date("0000-03-01"), Date(-719_468));
    }

    #[test]
    fn every_day_round_trips_and_follows_the_previous() {
        let mut previous = date("1599-12-31");
        for days in date("1600-01-01").0..=date("2400-12-31").0 {
            let day = Date(days);
            let (year, month, dom) = day.ymd();
            assert_eq!(Date::from_ymd(year, month, dom), Some(day));
            assert_eq!(Date::parse(&day.to_string()), Some(day));
            assert_eq!(previous.days_until(day), 1);
            previous = day;
        }
    }

    #[test]
    fn parse_is_strict() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2000-02-29").is_some());
        for bad in [
            "2023-02-29",
            "1900-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "2026/01/01",
            "2026-01-01T00:00:00Z",
            "+026-01-01",
            "２０２６-01-01",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn adding_and_counting_days() {
        assert_eq!(date("2026-12-31").add_days(1), date("2027-01-01"));
        assert_eq!(date("2028-03-01").add_days(-1), date("2028-02-29"));
        assert_eq!(date("2026-01-01").days_until(date("2026-12-31")), 364);
        assert_eq!(date("2026-12-31").days_until(date("2026-01-01")), -364);
        assert_eq!(date("2027-01-01").year(), 2027);
    }

    #[test]
    fn terms_end_the_day_before_the_anniversary() {
        let cases = [
            ("2027-01-01", 12, "2027-12-31"),
            ("2027-01-01", 1, "2027-01-31"),
            ("2027-03-01", 1, "2027-03-31"),
            ("2027-11-15", 3, "2028-02-14"),
            ("2027-02-01", 120, "2037-01-31"),
            ("2027-12-01", 1, "2027-12-31"),
        ];
        for (start, months, end) in cases {
            assert_eq!(
                date(start).last_day_of_term(months),
                date(end),
                "{start} + {months}"
            );
        }
    }

    #[test]
    fn terms_without_an_anniversary_day_end_on_the_month_end() {
        let cases = [
            ("2027-01-31", 1, "2027-02-28"),
            ("2028-01-31", 1, "2028-02-29"),
            ("2027-01-30", 1, "2027-02-28"),
            ("2027-01-29", 1, "2027-02-28"),
            ("2027-01-28", 1, "2027-02-27"),
            ("2024-02-29", 12, "2025-02-28"),
            ("2027-08-31", 1, "2027-09-30"),
        ];
        for (start, months, end) in cases {
            assert_eq!(
                date(start).last_day_of_term(months),
                date(end),
                "{start} + {months}"
            );
        }
    }
}
