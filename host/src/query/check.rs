//! Resolves the paths of parsed query options against an entity type's fields and checks that
//! every value fits its field, without knowing how schemas are stored.
//!
//! The rules: null fits every field; strings fit string fields (dates and date-times are
//! strings and compare lexically, which ISO 8601 makes chronological); numbers fit number
//! fields, and integer fields only when whole (`1.0` and `1e3` count as whole); booleans take
//! only `true`, `false`, `eq` and `ne`; the string functions need string fields. Arrays and
//! objects can be selected and null-checked (`tags eq null` asks whether the field has no
//! value), but neither otherwise filtered nor sorted.

use super::QueryError;
use super::filter::{Filter, Literal, Path};
use super::lexer::{quote_string, shorten};
use super::options::OrderKey;

/// What a field holds, as far as filtering and sorting care. The schema layer maps its JSON
/// Schema types onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Text, including dates, date-times, e-mail addresses and lookups' ids.
    String,
    /// Any number, whole or not.
    Number,
    /// A whole number.
    Integer,
    /// `true` or `false`.
    Boolean,
    /// An array or an object: it can be selected and null-checked (`tags eq null`), but not
    /// otherwise filtered, nor sorted.
    Other,
}

impl FieldKind {
    /// The kind with its article, for messages: "a string", "an integer".
    fn described(self) -> &'static str {
        match self {
            FieldKind::String => "a string",
            FieldKind::Number => "a number",
            FieldKind::Integer => "an integer",
            FieldKind::Boolean => "a boolean",
            FieldKind::Other => "an array or object",
        }
    }
}

/// The fields of one entity type, as the checks need them; implemented by whatever stores
/// schemas, so this module stays independent of how they are stored.
pub trait FieldCatalog {
    /// The kind of the field at `segments` (`["address", "city"]`), or `None` when the entity
    /// type has no such field. Names are case-sensitive.
    fn kind_of(&self, segments: &[String]) -> Option<FieldKind>;

    /// Known field paths, nested ones joined by `/` (`address/city`). Used only to suggest a
    /// name in "did you mean …?" hints, so it may leave out fields nobody should be pointed to.
    fn field_names(&self) -> Vec<String>;
}

/// Checks that every path of `filter` names a filterable field and every value fits it.
pub fn check_filter(filter: &Filter, catalog: &impl FieldCatalog) -> Result<(), QueryError> {
    const OPTION: &str = "$filter";
    match filter {
        Filter::And(conditions) | Filter::Or(conditions) => conditions
            .iter()
            .try_for_each(|condition| check_filter(condition, catalog)),
        Filter::Not(inner) => check_filter(inner, catalog),
        Filter::Compare { path, op, value } => {
            if *value == Literal::Null {
                // A null check asks whether the field has a value, which means something for
                // every kind, arrays and objects included.
                return resolve(OPTION, path, catalog).map(drop);
            }
            let kind = comparable_kind(OPTION, path, catalog)?;
            if kind == FieldKind::Boolean && op.is_ordering() {
                let position = path.position;
                return Err(QueryError::new(
                    OPTION,
                    Some(position),
                    format!(
                        "field '{}' is a boolean and cannot be compared with {} (position {position}); use eq or ne",
                        shown(path),
                        op.as_str()
                    ),
                ));
            }
            check_value(path, kind, value)
        }
        Filter::In { path, values } => {
            let kind = comparable_kind(OPTION, path, catalog)?;
            values
                .iter()
                .try_for_each(|value| check_value(path, kind, value))
        }
        Filter::Text { function, path, .. } => {
            let kind = comparable_kind(OPTION, path, catalog)?;
            if kind == FieldKind::String {
                return Ok(());
            }
            let position = path.position;
            Err(QueryError::new(
                OPTION,
                Some(position),
                format!(
                    "'{}' needs a string field, but '{}' is {} (position {position})",
                    function.as_str(),
                    shown(path),
                    kind.described()
                ),
            ))
        }
    }
}

/// Checks that every sort key names a field that can be sorted on (not an array or object).
pub fn check_orderby(keys: &[OrderKey], catalog: &impl FieldCatalog) -> Result<(), QueryError> {
    keys.iter()
        .try_for_each(|key| comparable_kind("$orderby", &key.path, catalog).map(drop))
}

/// Checks that every selected path names a field; arrays and objects may be selected whole.
pub fn check_select(paths: &[Path], catalog: &impl FieldCatalog) -> Result<(), QueryError> {
    paths
        .iter()
        .try_for_each(|path| resolve("$select", path, catalog).map(drop))
}

/// The kind of the field at `path`, or an error saying why the path names no field, with a
/// suggestion when a known name is close.
fn resolve(
    option: &'static str,
    path: &Path,
    catalog: &impl FieldCatalog,
) -> Result<FieldKind, QueryError> {
    if let Some(kind) = catalog.kind_of(&path.segments) {
        return Ok(kind);
    }
    let name = path.to_string();
    let position = path.position;
    let mut message = format!("unknown field '{}' at position {position}", shorten(&name));
    if let Some(known) = suggestion(&name, catalog) {
        message.push_str(&format!("; did you mean '{known}'?"));
    } else if let Some(parent_kind) = parent_kind(&path.segments, catalog) {
        let parent = path.segments[..path.segments.len() - 1].join("/");
        message.push_str(&format!(
            "; '{}' is {}, not an object",
            shorten(&parent),
            parent_kind.described()
        ));
    }
    Err(QueryError::new(option, Some(position), message))
}

/// Like [`resolve`], and refuses arrays and objects, which have no order and no equality in SQL.
fn comparable_kind(
    option: &'static str,
    path: &Path,
    catalog: &impl FieldCatalog,
) -> Result<FieldKind, QueryError> {
    let kind = resolve(option, path, catalog)?;
    if kind != FieldKind::Other {
        return Ok(kind);
    }
    let position = path.position;
    Err(QueryError::new(
        option,
        Some(position),
        format!(
            "field '{}' is an array or object (position {position}); arrays and objects cannot be filtered or sorted",
            shown(path)
        ),
    ))
}

/// Checks one literal against the kind of the field at `path`.
fn check_value(path: &Path, kind: FieldKind, value: &Literal) -> Result<(), QueryError> {
    let fits = match (kind, value) {
        (_, Literal::Null) => true,
        (FieldKind::String, Literal::String(_)) => true,
        (FieldKind::Number, Literal::Number(_)) => true,
        (FieldKind::Integer, Literal::Number(number)) => {
            number.is_i64()
                || number.is_u64()
                || number.as_f64().is_some_and(|float| float.fract() == 0.0)
        }
        (FieldKind::Boolean, Literal::Bool(_)) => true,
        _ => false,
    };
    if fits {
        return Ok(());
    }
    let position = path.position;
    let (value_text, value_kind) = match value {
        Literal::String(text) => (quote_string(text), "a string"),
        Literal::Number(number) => (shorten(&number.to_string()), "a number"),
        Literal::Bool(flag) => (flag.to_string(), "a boolean"),
        Literal::Null => ("null".to_owned(), "null"),
    };
    let hint = match (kind, value) {
        (FieldKind::String, Literal::Number(_) | Literal::Bool(_)) => Some(format!(
            "strings are quoted with single quotes: '{value_text}'"
        )),
        (FieldKind::Number | FieldKind::Integer, Literal::String(text)) if looks_numeric(text) => {
            Some(format!(
                "numbers are written without quotes: {}",
                shorten(text.trim())
            ))
        }
        (FieldKind::Boolean, Literal::String(text))
            if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") =>
        {
            Some("write true or false without quotes".to_owned())
        }
        (FieldKind::Boolean, _) => Some("use true or false".to_owned()),
        _ => None,
    };
    let mismatch = match (kind, value) {
        (FieldKind::Integer, Literal::Number(_)) => format!("{value_text} is not a whole number"),
        _ => format!("{value_text} is {value_kind}"),
    };
    let mut message = format!(
        "field '{}' is {} but {mismatch} (position {position})",
        shown(path),
        kind.described()
    );
    if let Some(hint) = hint {
        message.push_str("; ");
        message.push_str(&hint);
    }
    Err(QueryError::new("$filter", Some(position), message))
}

/// The path as quoted in messages.
fn shown(path: &Path) -> String {
    shorten(&path.to_string())
}

/// Whether a quoted string was probably meant as a number (`'42'`, `'-1.5'`).
fn looks_numeric(text: &str) -> bool {
    let trimmed = text.trim();
    !trimmed.is_empty()
        && trimmed.len() <= 32
        && trimmed
            .bytes()
            .all(|byte| byte.is_ascii_digit() || b"+-.eE".contains(&byte))
        && trimmed.parse::<f64>().is_ok_and(f64::is_finite)
}

/// The kind of the parent of a nested path, when the parent exists (so the user learns that
/// it has no fields) and is not itself an object.
fn parent_kind(segments: &[String], catalog: &impl FieldCatalog) -> Option<FieldKind> {
    if segments.len() < 2 {
        return None;
    }
    catalog
        .kind_of(&segments[..segments.len() - 1])
        .filter(|kind| *kind != FieldKind::Other)
}

/// The known name closest to `name` within edit distance 2, if any. Short names need a closer
/// match (`id` is not suggested for `ab`), and the first of equally close names wins.
fn suggestion(name: &str, catalog: &impl FieldCatalog) -> Option<String> {
    const MAX_DISTANCE: usize = 2;
    let wanted: Vec<char> = name.chars().collect();
    if wanted.len() > 64 {
        return None;
    }
    catalog
        .field_names()
        .into_iter()
        .filter_map(|known| {
            let distance = edit_distance(&wanted, &known, MAX_DISTANCE)?;
            (distance > 0 && distance < wanted.len()).then_some((distance, known))
        })
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, known)| known)
}

/// Levenshtein distance between `wanted` and `known`, or `None` when it exceeds `limit`.
fn edit_distance(wanted: &[char], known: &str, limit: usize) -> Option<usize> {
    let known: Vec<char> = known.chars().collect();
    if wanted.len().abs_diff(known.len()) > limit {
        return None;
    }
    // Two rows of the classic table: distances from a prefix of `wanted` to every prefix of `known`.
    let mut previous: Vec<usize> = (0..=known.len()).collect();
    let mut current = vec![0; known.len() + 1];
    for (row, wanted_char) in wanted.iter().enumerate() {
        current[0] = row + 1;
        for (column, known_char) in known.iter().enumerate() {
            let substitution = previous[column] + usize::from(wanted_char != known_char);
            current[column + 1] = substitution
                .min(previous[column + 1] + 1)
                .min(current[column] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    let distance = previous[known.len()];
    (distance <= limit).then_some(distance)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{parse_filter, parse_orderby, parse_select};

    /// A customer entity type, flattened to the paths the checks ask about.
    struct Customer;

    const FIELDS: &[(&str, FieldKind)] = &[
        ("name", FieldKind::String),
        ("status", FieldKind::String),
        ("created_on", FieldKind::String),
        ("lifetime_value", FieldKind::Number),
        ("employees", FieldKind::Integer),
        ("active", FieldKind::Boolean),
        ("tags", FieldKind::Other),
        ("address", FieldKind::Other),
        ("address/city", FieldKind::String),
        ("address/zip", FieldKind::String),
        ("id", FieldKind::String),
    ];

    impl FieldCatalog for Customer {
        fn kind_of(&self, segments: &[String]) -> Option<FieldKind> {
            let wanted = segments.join("/");
            FIELDS
                .iter()
                .find(|(name, _)| *name == wanted)
                .map(|(_, kind)| *kind)
        }

        fn field_names(&self) -> Vec<String> {
            FIELDS.iter().map(|(name, _)| (*name).to_owned()).collect()
        }
    }

    fn filter_error(text: &str) -> String {
        let filter = parse_filter(text).unwrap();
        check_filter(&filter, &Customer).unwrap_err().to_string()
    }

    fn filter_ok(text: &str) -> bool {
        check_filter(&parse_filter(text).unwrap(), &Customer).is_ok()
    }

    #[test]
    fn fitting_values_pass() {
        let accepted = [
            "name eq 'Contoso' and status ne 'closed'",
            "created_on ge '2024-01-01' and created_on lt '2024-02-01T00:00:00Z'",
            "lifetime_value gt 1000.5 or lifetime_value le -3 or lifetime_value eq 1e6",
            "employees ge 10 and employees lt 100",
            "employees eq 1.0 or employees eq 2e3",
            "active eq true or active ne false",
            "name eq null or lifetime_value ne null or employees eq null or active eq null",
            "address/city in ('Oslo', 'Bergen') and employees in (1, 2, 3)",
            "contains(name, 'soft') or startswith(address/zip, '0') or endswith(status, 'ed')",
            "not (active eq true)",
            "tags eq null and address ne null",
            "name gt 'M'",
        ];
        for text in accepted {
            assert!(filter_ok(text), "{text:?}");
        }
    }

    #[test]
    fn unknown_fields_with_and_without_suggestions() {
        assert_eq!(
            filter_error("stauts eq 'active'"),
            "$filter: unknown field 'stauts' at position 0; did you mean 'status'?"
        );
        assert_eq!(
            filter_error("Name eq 'x'"),
            "$filter: unknown field 'Name' at position 0; did you mean 'name'?"
        );
        assert_eq!(
            filter_error("name eq 'x' and adress/city eq 'Oslo'"),
            "$filter: unknown field 'adress/city' at position 16; did you mean 'address/city'?"
        );
        assert_eq!(
            filter_error("revenue gt 5"),
            "$filter: unknown field 'revenue' at position 0"
        );
        assert_eq!(
            filter_error("ab eq 'x'"),
            "$filter: unknown field 'ab' at position 0"
        );
        assert_eq!(
            filter_error("name/first eq 'x'"),
            "$filter: unknown field 'name/first' at position 0; 'name' is a string, not an object"
        );
        assert_eq!(
            filter_error("address/country eq 'NO'"),
            "$filter: unknown field 'address/country' at position 0"
        );
        assert_eq!(
            filter_error("contains(nmae, 'x')"),
            "$filter: unknown field 'nmae' at position 9; did you mean 'name'?"
        );
        assert_eq!(
            filter_error("not (x in (1))"),
            "$filter: unknown field 'x' at position 5"
        );
    }

    #[test]
    fn type_mismatches_name_field_value_and_position() {
        let cases = [
            (
                "lifetime_value eq 'abc'",
                "$filter: field 'lifetime_value' is a number but 'abc' is a string (position 0)",
            ),
            (
                "status eq 'x' and lifetime_value eq 'abc'",
                "$filter: field 'lifetime_value' is a number but 'abc' is a string (position 18)",
            ),
            (
                "lifetime_value gt '42'",
                "$filter: field 'lifetime_value' is a number but '42' is a string (position 0); numbers are written without quotes: 42",
            ),
            (
                "lifetime_value eq true",
                "$filter: field 'lifetime_value' is a number but true is a boolean (position 0)",
            ),
            (
                "employees eq 12.5",
                "$filter: field 'employees' is an integer but 12.5 is not a whole number (position 0)",
            ),
            (
                "employees in (1, 2.5)",
                "$filter: field 'employees' is an integer but 2.5 is not a whole number (position 0)",
            ),
            (
                "employees eq '7'",
                "$filter: field 'employees' is an integer but '7' is a string (position 0); numbers are written without quotes: 7",
            ),
            (
                "name eq 42",
                "$filter: field 'name' is a string but 42 is a number (position 0); strings are quoted with single quotes: '42'",
            ),
            (
                "name in ('a', false)",
                "$filter: field 'name' is a string but false is a boolean (position 0); strings are quoted with single quotes: 'false'",
            ),
            (
                "active eq 'true'",
                "$filter: field 'active' is a boolean but 'true' is a string (position 0); write true or false without quotes",
            ),
            (
                "active eq 1",
                "$filter: field 'active' is a boolean but 1 is a number (position 0); use true or false",
            ),
            (
                "active eq 'yes'",
                "$filter: field 'active' is a boolean but 'yes' is a string (position 0); use true or false",
            ),
            (
                "active gt false",
                "$filter: field 'active' is a boolean and cannot be compared with gt (position 0); use eq or ne",
            ),
            (
                "active le true",
                "$filter: field 'active' is a boolean and cannot be compared with le (position 0); use eq or ne",
            ),
            (
                "contains(employees, '1')",
                "$filter: 'contains' needs a string field, but 'employees' is an integer (position 9)",
            ),
            (
                "startswith(active, 't')",
                "$filter: 'startswith' needs a string field, but 'active' is a boolean (position 11)",
            ),
            (
                "endswith(lifetime_value, '0')",
                "$filter: 'endswith' needs a string field, but 'lifetime_value' is a number (position 9)",
            ),
            (
                "tags eq 'vip'",
                "$filter: field 'tags' is an array or object (position 0); arrays and objects cannot be filtered or sorted",
            ),
            (
                "address ne 'x'",
                "$filter: field 'address' is an array or object (position 0); arrays and objects cannot be filtered or sorted",
            ),
            (
                "contains(tags, 'vip')",
                "$filter: field 'tags' is an array or object (position 9); arrays and objects cannot be filtered or sorted",
            ),
            (
                "tags in ('a')",
                "$filter: field 'tags' is an array or object (position 0); arrays and objects cannot be filtered or sorted",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(filter_error(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn errors_carry_option_and_position() {
        let error = check_filter(
            &parse_filter("name eq 'x' or stauts eq 'a'").unwrap(),
            &Customer,
        )
        .unwrap_err();
        assert_eq!(error.option, "$filter");
        assert_eq!(error.position, Some(15));
    }

    #[test]
    fn the_first_problem_is_reported() {
        assert_eq!(
            filter_error("name eq 1 and stauts eq 'x'"),
            "$filter: field 'name' is a string but 1 is a number (position 0); strings are quoted with single quotes: '1'"
        );
    }

    #[test]
    fn orderby_checks() {
        let keys = parse_orderby("name desc, address/city, employees, active").unwrap();
        assert_eq!(check_orderby(&keys, &Customer), Ok(()));
        let error =
            check_orderby(&parse_orderby("name, tags desc").unwrap(), &Customer).unwrap_err();
        assert_eq!(
            error.to_string(),
            "$orderby: field 'tags' is an array or object (position 6); arrays and objects cannot be filtered or sorted"
        );
        let error =
            check_orderby(&parse_orderby("crated_on desc").unwrap(), &Customer).unwrap_err();
        assert_eq!(
            error.to_string(),
            "$orderby: unknown field 'crated_on' at position 0; did you mean 'created_on'?"
        );
        assert_eq!(error.position, Some(0));
    }

    #[test]
    fn select_checks() {
        let paths = parse_select("name,tags,address,address/city").unwrap();
        assert_eq!(check_select(&paths, &Customer), Ok(()));
        let error = check_select(&parse_select("name,adress").unwrap(), &Customer).unwrap_err();
        assert_eq!(
            error.to_string(),
            "$select: unknown field 'adress' at position 5; did you mean 'address'?"
        );
    }

    #[test]
    fn edit_distance_is_levenshtein() {
        let distance = |a: &str, b: &str| edit_distance(&a.chars().collect::<Vec<_>>(), b, 10);
        assert_eq!(distance("status", "status"), Some(0));
        assert_eq!(distance("stauts", "status"), Some(2));
        assert_eq!(distance("statu", "status"), Some(1));
        assert_eq!(distance("xstatus", "status"), Some(1));
        assert_eq!(distance("kitten", "sitting"), Some(3));
        assert_eq!(distance("", "abc"), Some(3));
        assert_eq!(distance("naïve", "naive"), Some(1));
        assert_eq!(edit_distance(&['a'], "abcd", 2), None);
        assert_eq!(
            edit_distance(&"kitten".chars().collect::<Vec<_>>(), "sitting", 2),
            None
        );
    }

    #[test]
    fn the_closest_suggestion_wins() {
        struct Two;
        impl FieldCatalog for Two {
            fn kind_of(&self, _: &[String]) -> Option<FieldKind> {
                None
            }
            fn field_names(&self) -> Vec<String> {
                vec!["stats".into(), "status".into(), "state".into()]
            }
        }
        assert_eq!(suggestion("statuss", &Two), Some("status".into()));
        assert_eq!(suggestion("stat", &Two), Some("stats".into()));
        assert_eq!(suggestion("zzzzzz", &Two), None);
        assert_eq!(suggestion(&"s".repeat(100), &Two), None);
    }

    #[test]
    fn random_filters_check_without_panic() {
        const FIELDS: &[&str] = &[
            "name",
            "tags",
            "address",
            "address/city",
            "address/x",
            "name/x",
            "active",
            "employees",
            "lifetime_value",
            "nope",
            "Name",
            "i",
        ];
        const OPERATORS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le"];
        const VALUES: &[&str] = &[
            "'x'", "'1'", "'true'", "1", "-2.5", "1e3", "true", "false", "null", "''",
        ];
        let mut state: u64 = 7;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        let (mut accepted, mut refused) = (0, 0);
        for _ in 0..5_000 {
            let mut conditions = Vec::new();
            for _ in 0..1 + next(3) {
                let field = FIELDS[next(FIELDS.len())];
                let value = VALUES[next(VALUES.len())];
                conditions.push(match next(4) {
                    0 => format!("contains({field}, {value})"),
                    1 => format!("{field} in ({value}, {})", VALUES[next(VALUES.len())]),
                    2 => format!("not {field} {} {value}", OPERATORS[next(OPERATORS.len())]),
                    _ => format!("{field} {} {value}", OPERATORS[next(OPERATORS.len())]),
                });
            }
            let text = conditions.join([" and ", " or "][next(2)]);
            let Ok(filter) = parse_filter(&text) else {
                continue;
            };
            match check_filter(&filter, &Customer) {
                Ok(()) => accepted += 1,
                Err(error) => {
                    refused += 1;
                    assert_eq!(error.option, "$filter");
                    assert!(error.message.contains("position"), "{text:?}: {error}");
                }
            }
        }
        assert!(
            accepted > 100 && refused > 100,
            "accepted {accepted}, refused {refused}"
        );
    }
}
