//! Parsers for the query options other than `$filter`: `$orderby`, `$select`, `$expand` and
//! `$top`. They share the filter's lexer, so paths and errors look the same everywhere.

use std::collections::HashSet;

use super::QueryError;
use super::filter::{Path, parse_path};
use super::lexer::{Cursor, TokenKind, shorten};

/// The most sort keys in one `$orderby`; more rarely helps a list and each one costs an index
/// lookup or a sort.
pub const MAX_ORDERBY_KEYS: usize = 8;

/// The most fields one `$expand` may follow; each one is another query.
pub const MAX_EXPAND: usize = 8;

/// One key of `$orderby`: a field and its direction (ascending unless `desc`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OrderKey {
    /// The field to sort on; may be nested (`address/city`).
    pub path: Path,
    /// `true` for `desc`; `asc` and no direction both mean ascending.
    pub descending: bool,
}

/// Parses `$orderby` such as `name desc, address/city asc, created_on`: at most
/// [`MAX_ORDERBY_KEYS`] keys, no field twice; `asc` and `desc` ignore case.
pub fn parse_orderby(text: &str) -> Result<Vec<OrderKey>, QueryError> {
    let mut cursor = Cursor::new("$orderby", text)?;
    if cursor.peek().kind == TokenKind::End {
        return Err(cursor.error(
            None,
            "no sort keys given; write e.g. name asc, created_on desc",
        ));
    }
    let mut keys: Vec<OrderKey> = Vec::new();
    loop {
        let path = field_path(&mut cursor)?;
        let direction = ["asc", "desc"]
            .into_iter()
            .find(|keyword| cursor.peek().is_keyword(keyword));
        if direction.is_some() {
            cursor.advance();
        }
        if keys.iter().any(|key| key.path.segments == path.segments) {
            return Err(duplicate(&cursor, "sort key", &path));
        }
        if keys.len() == MAX_ORDERBY_KEYS {
            let position = path.position;
            return Err(cursor.error(
                Some(position),
                format!(
                    "too many sort keys at position {position}; the limit is {MAX_ORDERBY_KEYS}"
                ),
            ));
        }
        keys.push(OrderKey {
            path,
            descending: direction == Some("desc"),
        });
        let expected = match direction {
            Some(_) => "expected ',' or end of input",
            None => "expected 'asc', 'desc', ',' or end of input",
        };
        if !next_item(&mut cursor, expected)? {
            return Ok(keys);
        }
    }
}

/// Parses `$select` such as `name,address/city`: one or more paths, none twice.
pub fn parse_select(text: &str) -> Result<Vec<Path>, QueryError> {
    let mut cursor = Cursor::new("$select", text)?;
    if text.trim() == "*" {
        return Err(cursor.error(
            None,
            "'*' is not needed; leave out $select to get every field",
        ));
    }
    if cursor.peek().kind == TokenKind::End {
        return Err(cursor.error(None, "no fields given; write e.g. name,address/city"));
    }
    let mut paths: Vec<Path> = Vec::new();
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    loop {
        let path = field_path(&mut cursor)?;
        if !seen.insert(path.segments.clone()) {
            return Err(duplicate(&cursor, "field", &path));
        }
        paths.push(path);
        if !next_item(&mut cursor, "expected ',' or end of input")? {
            return Ok(paths);
        }
    }
}

/// Parses `$expand` such as `owner,parent_account`: top-level field names only (the lookups to
/// follow), at most [`MAX_EXPAND`], none twice.
pub fn parse_expand(text: &str) -> Result<Vec<String>, QueryError> {
    let mut cursor = Cursor::new("$expand", text)?;
    if cursor.peek().kind == TokenKind::End {
        return Err(cursor.error(None, "no fields given; write e.g. owner,parent_account"));
    }
    let mut names: Vec<String> = Vec::new();
    loop {
        let path = field_path(&mut cursor)?;
        let position = path.position;
        if path.segments.len() > 1 {
            return Err(cursor.error(
                Some(position),
                format!(
                    "only top-level fields can be expanded; '{}' at position {position} is a nested path",
                    shorten(&path.to_string())
                ),
            ));
        }
        if names.contains(&path.segments[0]) {
            return Err(duplicate(&cursor, "field", &path));
        }
        if names.len() == MAX_EXPAND {
            return Err(cursor.error(
                Some(position),
                format!(
                    "too many fields to expand at position {position}; the limit is {MAX_EXPAND}"
                ),
            ));
        }
        names.extend(path.segments);
        if cursor.peek().kind == TokenKind::OpenParen {
            return Err(cursor.expected(
                "expected ',' or end of input",
                Some("options inside $expand are not supported"),
            ));
        }
        if !next_item(&mut cursor, "expected ',' or end of input")? {
            return Ok(names);
        }
    }
}

/// Parses `$top`: a whole number from 1 to `max` (the caller's page-size limit).
pub fn parse_top(text: &str, max: u32) -> Result<u32, QueryError> {
    let digits = text.trim();
    let refuse = |message: String| Err(QueryError::new("$top", None, message));
    if digits.is_empty() {
        return refuse(format!(
            "expected a whole number from 1 to {max}, found nothing"
        ));
    }
    if !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return refuse(format!(
            "expected a whole number from 1 to {max}, found '{}'",
            shorten(digits)
        ));
    }
    // All digits, so the only way to fail is overflow: a number that large is over any limit.
    let value = digits.parse::<u64>().unwrap_or(u64::MAX);
    if value == 0 {
        return refuse(format!("0 is too small; ask for 1 to {max} records"));
    }
    match u32::try_from(value) {
        Ok(value) if value <= max => Ok(value),
        _ => refuse(format!(
            "{} is more than the limit of {max}",
            shorten(digits)
        )),
    }
}

/// A path where a field name must stand; anything else is named in the error.
fn field_path(cursor: &mut Cursor) -> Result<Path, QueryError> {
    if !matches!(cursor.peek().kind, TokenKind::Word(_)) {
        return Err(cursor.expected("expected a field name", None));
    }
    parse_path(cursor)
}

/// After an item: `,` means another follows (returns `true`), the end means done (`false`);
/// anything else is an error worded by `expected`.
fn next_item(cursor: &mut Cursor, expected: &str) -> Result<bool, QueryError> {
    match cursor.peek().kind {
        TokenKind::End => Ok(false),
        TokenKind::Comma => {
            cursor.advance();
            if cursor.peek().kind == TokenKind::End {
                return Err(cursor.expected("expected a field name after ','", None));
            }
            Ok(true)
        }
        _ => Err(cursor.expected(expected, None)),
    }
}

fn duplicate(cursor: &Cursor, what: &str, path: &Path) -> QueryError {
    let position = path.position;
    cursor.error(
        Some(position),
        format!(
            "duplicate {what} '{}' at position {position}",
            shorten(&path.to_string())
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::MAX_OPTION_BYTES;
    use super::*;

    fn path(text: &str, position: usize) -> Path {
        Path {
            segments: text.split('/').map(str::to_owned).collect(),
            position,
        }
    }

    fn key(text: &str, position: usize, descending: bool) -> OrderKey {
        OrderKey {
            path: path(text, position),
            descending,
        }
    }

    #[test]
    fn orderby_keys_and_directions() {
        assert_eq!(
            parse_orderby("a desc, b/c asc, d").unwrap(),
            [key("a", 0, true), key("b/c", 8, false), key("d", 17, false)]
        );
        assert_eq!(parse_orderby("name DESC").unwrap(), [key("name", 0, true)]);
        assert_eq!(
            parse_orderby("name Asc,x").unwrap(),
            [key("name", 0, false), key("x", 9, false)]
        );
        assert_eq!(
            parse_orderby(" created_on ").unwrap(),
            [key("created_on", 1, false)]
        );
    }

    #[test]
    fn orderby_allows_fields_named_like_directions() {
        assert_eq!(parse_orderby("desc desc").unwrap(), [key("desc", 0, true)]);
        assert_eq!(parse_orderby("asc").unwrap(), [key("asc", 0, false)]);
    }

    #[test]
    fn orderby_is_capped_at_eight_keys() {
        let keys = |count: usize| {
            (0..count)
                .map(|index| format!("f{index}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(
            parse_orderby(&keys(MAX_ORDERBY_KEYS)).unwrap().len(),
            MAX_ORDERBY_KEYS
        );
        assert_eq!(
            parse_orderby(&keys(MAX_ORDERBY_KEYS + 1))
                .unwrap_err()
                .to_string(),
            "$orderby: too many sort keys at position 24; the limit is 8"
        );
    }

    #[test]
    fn orderby_errors() {
        let cases = [
            (
                "",
                "$orderby: no sort keys given; write e.g. name asc, created_on desc",
            ),
            (
                "name asc, name desc",
                "$orderby: duplicate sort key 'name' at position 10",
            ),
            (
                "a/b, a/b desc",
                "$orderby: duplicate sort key 'a/b' at position 5",
            ),
            (
                "name up",
                "$orderby: expected 'asc', 'desc', ',' or end of input at position 5, found 'up'",
            ),
            (
                "name desc asc",
                "$orderby: expected ',' or end of input at position 10, found 'asc'",
            ),
            (
                "name,",
                "$orderby: expected a field name after ',' at position 5, found end of input",
            ),
            (
                ",name",
                "$orderby: expected a field name at position 0, found ','",
            ),
            (
                "name,,x",
                "$orderby: expected a field name at position 5, found ','",
            ),
            (
                "'name'",
                "$orderby: expected a field name at position 0, found string 'name'",
            ),
            (
                "name-",
                "$orderby: unexpected '-' at position 4; field names use only ASCII letters, digits and '_'",
            ),
            (
                "a/",
                "$orderby: expected a field name after '/' at position 2, found end of input",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_orderby(text).unwrap_err().to_string(),
                expected,
                "for {text:?}"
            );
        }
    }

    #[test]
    fn select_paths() {
        assert_eq!(
            parse_select("a,b/c").unwrap(),
            [path("a", 0), path("b/c", 2)]
        );
        assert_eq!(
            parse_select(" name , address/city ").unwrap(),
            [path("name", 1), path("address/city", 8)]
        );
        assert_eq!(
            parse_select("Name,name").unwrap(),
            [path("Name", 0), path("name", 5)]
        );
    }

    #[test]
    fn select_errors() {
        let cases = [
            ("", "$select: no fields given; write e.g. name,address/city"),
            (
                " * ",
                "$select: '*' is not needed; leave out $select to get every field",
            ),
            ("a,b,a", "$select: duplicate field 'a' at position 4"),
            (
                "a b",
                "$select: expected ',' or end of input at position 2, found 'b'",
            ),
            (
                "a,",
                "$select: expected a field name after ',' at position 2, found end of input",
            ),
            ("a,*", "$select: unexpected character '*' at position 2"),
            (
                "a desc",
                "$select: expected ',' or end of input at position 2, found 'desc'",
            ),
            (
                "a,1",
                "$select: expected a field name at position 2, found number 1",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_select(text).unwrap_err().to_string(),
                expected,
                "for {text:?}"
            );
        }
    }

    #[test]
    fn expand_names() {
        assert_eq!(
            parse_expand("owner,parent_account").unwrap(),
            ["owner", "parent_account"]
        );
        assert_eq!(parse_expand(" owner ").unwrap(), ["owner"]);
    }

    #[test]
    fn expand_errors() {
        let cases = [
            (
                "",
                "$expand: no fields given; write e.g. owner,parent_account",
            ),
            (
                "owner/manager",
                "$expand: only top-level fields can be expanded; 'owner/manager' at position 0 is a nested path",
            ),
            (
                "owner,owner",
                "$expand: duplicate field 'owner' at position 6",
            ),
            (
                "owner($select=name)",
                "$expand: expected ',' or end of input at position 5, found '('; options inside $expand are not supported",
            ),
            (
                "owner,",
                "$expand: expected a field name after ',' at position 6, found end of input",
            ),
            (
                "a,b,c,d,e,f,g,h,i",
                "$expand: too many fields to expand at position 16; the limit is 8",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(
                parse_expand(text).unwrap_err().to_string(),
                expected,
                "for {text:?}"
            );
        }
        assert_eq!(parse_expand("a,b,c,d,e,f,g,h").unwrap().len(), MAX_EXPAND);
    }

    #[test]
    fn top_accepts_one_to_max() {
        assert_eq!(parse_top("1", 100), Ok(1));
        assert_eq!(parse_top(" 100 ", 100), Ok(100));
        assert_eq!(parse_top("007", 100), Ok(7));
    }

    #[test]
    fn top_errors() {
        let cases = [
            (
                "",
                "$top: expected a whole number from 1 to 1000, found nothing",
            ),
            (
                "abc",
                "$top: expected a whole number from 1 to 1000, found 'abc'",
            ),
            (
                "-5",
                "$top: expected a whole number from 1 to 1000, found '-5'",
            ),
            (
                "+5",
                "$top: expected a whole number from 1 to 1000, found '+5'",
            ),
            (
                "2.5",
                "$top: expected a whole number from 1 to 1000, found '2.5'",
            ),
            (
                "1e3",
                "$top: expected a whole number from 1 to 1000, found '1e3'",
            ),
            (
                "١٢",
                "$top: expected a whole number from 1 to 1000, found '١٢'",
            ),
            ("0", "$top: 0 is too small; ask for 1 to 1000 records"),
            ("000", "$top: 0 is too small; ask for 1 to 1000 records"),
            ("1001", "$top: 1001 is more than the limit of 1000"),
            (
                "4294967296",
                "$top: 4294967296 is more than the limit of 1000",
            ),
            (
                "99999999999999999999999",
                "$top: 99999999999999999999999 is more than the limit of 1000",
            ),
        ];
        for (text, expected) in cases {
            let error = parse_top(text, 1000).unwrap_err();
            assert_eq!(error.to_string(), expected, "for {text:?}");
            assert_eq!(error.position, None);
        }
        assert_eq!(
            parse_top(&"9".repeat(MAX_OPTION_BYTES * 2), u32::MAX)
                .unwrap_err()
                .message,
            format!("{}… is more than the limit of 4294967295", "9".repeat(40))
        );
    }

    #[test]
    fn every_option_is_capped_at_8_kib() {
        let long = "a,".repeat(MAX_OPTION_BYTES);
        assert_eq!(
            parse_select(&long).unwrap_err().to_string(),
            "$select: too long: 16384 bytes, the limit is 8192 bytes (8 KiB)"
        );
        assert!(
            parse_orderby(&long)
                .unwrap_err()
                .to_string()
                .starts_with("$orderby: too long")
        );
        assert!(
            parse_expand(&long)
                .unwrap_err()
                .to_string()
                .starts_with("$expand: too long")
        );
    }

    #[test]
    fn random_input_never_panics() {
        const CHARS: &[char] = &[
            'a', 'b', 'Z', '_', '1', ' ', ',', '/', '(', ')', '\'', '"', '-', '*', '$', '=', 'é',
            '中', '🦀', '\u{0}',
        ];
        const WORDS: &[&str] = &["asc", "desc", "name", "a/b", ",", " ", "0", "1000", "-"];
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % bound as u64) as usize
        };
        for round in 0..10_000 {
            let mut text = String::new();
            for _ in 0..next(16) {
                if round % 2 == 0 {
                    text.push(CHARS[next(CHARS.len())]);
                } else {
                    text.push_str(WORDS[next(WORDS.len())]);
                }
            }
            for error in [
                parse_orderby(&text).err(),
                parse_select(&text).err(),
                parse_expand(&text).map(|_| Vec::<Path>::new()).err(),
                parse_top(&text, 1000).err(),
            ]
            .into_iter()
            .flatten()
            {
                assert!(!error.message.is_empty());
                assert!(
                    error
                        .position
                        .is_none_or(|position| position <= text.chars().count()),
                    "{text:?}: {error}"
                );
            }
        }
    }
}
