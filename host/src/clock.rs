//! The host's notion of "now", formatted once for every timestamp it writes.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The current UTC time as RFC 3339 with microseconds and `Z`, e.g. `2026-11-23T07:01:02.123456Z`.
///
/// A fixed width makes the text sort in time order, which the store relies on.
pub fn now() -> String {
    format(OffsetDateTime::now_utc())
}

/// The time `delay` from now, formatted as [`now`] does.
pub fn after(delay: std::time::Duration) -> String {
    format(OffsetDateTime::now_utc() + delay)
}

/// Reads a timestamp written by [`format`] (or any RFC 3339 time).
pub fn parse(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// Formats a time the way [`now`] does.
pub fn format(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    let micros = at.microsecond();
    let base = at
        .replace_nanosecond(0)
        .expect("zero nanoseconds is valid")
        .format(&Rfc3339)
        .expect("UTC formats");
    // `base` ends in "Z" without fraction: insert the fixed six-digit fraction before it.
    format!("{}.{micros:06}Z", base.trim_end_matches('Z'))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    #[test]
    fn timestamps_have_a_fixed_width() {
        assert_eq!(
            super::format(datetime!(2026-11-23 07:01:02.5 UTC)),
            "2026-11-23T07:01:02.500000Z"
        );
        assert_eq!(super::now().len(), 27);
    }
}
