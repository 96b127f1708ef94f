//! The `$filter` AST and its recursive-descent parser: `or`, `and`, `not`, parentheses,
//! comparisons, `in` lists and the string functions, with caps that keep hostile input cheap.
//!
//! Grammar (keywords and function names ignore case; field names do not):
//!
//! ```text
//! filter     = or END
//! or         = and ("or" and)*
//! and        = unary ("and" unary)*
//! unary      = "not" unary | primary
//! primary    = "(" or ")" | function | path ("in" list | op literal)
//! function   = ("contains" | "startswith" | "endswith") "(" path "," string ")"
//! list       = "(" literal ("," literal)* ")"
//! op         = "eq" | "ne" | "gt" | "ge" | "lt" | "le"
//! path       = name ("/" name)*
//! literal    = string | number | "true" | "false" | "null"
//! ```
//!
//! `and`, `or`, `not`, `true`, `false` and `null` cannot start a path, so a field with one of
//! those names cannot be filtered on.

use std::fmt;

use serde_json::Number;

use super::QueryError;
use super::lexer::{Cursor, TokenKind, quote_string, shorten};

/// The deepest nesting of parentheses and `not` in one filter. It bounds the parser's
/// recursion, so no input can exhaust the stack.
pub const MAX_NESTING: usize = 32;

/// The most conditions (comparisons, `in` lists and string functions) in one filter; each one
/// becomes SQL, so this bounds the work a single request can ask of the database.
pub const MAX_COMPARISONS: usize = 200;

/// The most values in one `in (…)` list.
pub const MAX_IN_VALUES: usize = 500;

/// The most segments in one path such as `address/city`; no real schema nests deeper.
pub const MAX_PATH_SEGMENTS: usize = 32;

const OPERATOR_HINT: &str = "use eq, ne, gt, ge, lt, le or in";

/// A field, possibly nested in objects: `address/city` has the segments `["address", "city"]`.
///
/// `position` is the char offset of the first segment in the option's text, so later checks
/// (unknown field, wrong type) can point at it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Path {
    /// The field names from the outside in; never empty, each `[A-Za-z_][A-Za-z0-9_]*`.
    pub segments: Vec<String>,
    /// 0-based char offset of the path in the option's text.
    pub position: usize,
}

/// Shows the path as it is written in a query: segments joined by `/`.
impl fmt::Display for Path {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.segments.join("/"))
    }
}

/// A constant on the right-hand side of a condition, typed as the user wrote it; whether it
/// fits the field is decided later, against the schema (`check_filter`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Literal {
    /// `null`: only with `eq` and `ne`, meaning "is null" and "is not null".
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer stays exact (`i64` or `u64`); a number with a fraction or exponent is an `f64`.
    Number(Number),
    /// A single-quoted string with `''` already unescaped. Dates travel as strings too.
    String(String),
}

/// Shows the literal as it is written in a filter: `null`, `true`, `12.5`, `'O''Brien'`.
impl fmt::Display for Literal {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => formatter.write_str("null"),
            Literal::Bool(value) => write!(formatter, "{value}"),
            Literal::Number(value) => write!(formatter, "{value}"),
            Literal::String(value) => write!(formatter, "'{}'", value.replace('\'', "''")),
        }
    }
}

/// A comparison operator, written `eq ne gt ge lt le` in any case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    /// The operator's keyword in lowercase, as used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// Whether the operator orders values (`gt ge lt le`), which null and booleans do not allow.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    fn from_keyword(word: &str) -> Option<Self> {
        [
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ]
        .into_iter()
        .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

/// The string functions: `contains`, `startswith`, `endswith` (any case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextMatch {
    Contains,
    StartsWith,
    EndsWith,
}

impl TextMatch {
    /// The function's name in lowercase, as used in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            TextMatch::Contains => "contains",
            TextMatch::StartsWith => "startswith",
            TextMatch::EndsWith => "endswith",
        }
    }

    fn from_name(word: &str) -> Option<Self> {
        [
            TextMatch::Contains,
            TextMatch::StartsWith,
            TextMatch::EndsWith,
        ]
        .into_iter()
        .find(|function| function.as_str().eq_ignore_ascii_case(word))
    }
}

/// A parsed `$filter`. `a and b and c` is one `And` of three; parentheses keep their own node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// Every condition holds; at least two.
    And(Vec<Filter>),
    /// At least one condition holds; at least two.
    Or(Vec<Filter>),
    /// The condition does not hold.
    Not(Box<Filter>),
    /// `path op value`; `value` is `Null` only with `Eq` and `Ne`.
    Compare {
        path: Path,
        op: CompareOp,
        value: Literal,
    },
    /// `path in (values…)`: one to [`MAX_IN_VALUES`] values, none of them `Null`.
    In { path: Path, values: Vec<Literal> },
    /// `contains(path, 'value')` and its siblings.
    Text {
        function: TextMatch,
        path: Path,
        value: String,
    },
}

/// Parses the text of `$filter` into a [`Filter`], or says exactly what is wrong and where.
///
/// Only the syntax is checked here; [`check_filter`](super::check_filter) then checks the
/// paths and value types against an entity type.
pub fn parse_filter(text: &str) -> Result<Filter, QueryError> {
    let cursor = Cursor::new("$filter", text)?;
    if cursor.peek().kind == TokenKind::End {
        return Err(cursor.error(
            None,
            "empty filter; write a condition such as name eq 'Contoso'",
        ));
    }
    let mut parser = FilterParser {
        cursor,
        depth: 0,
        comparisons: 0,
    };
    let filter = parser.or()?;
    let cursor = &parser.cursor;
    match cursor.peek().kind {
        TokenKind::End => Ok(filter),
        TokenKind::CloseParen => {
            let position = cursor.peek().position;
            Err(cursor.error(
                Some(position),
                format!("unmatched ')' at position {position}"),
            ))
        }
        _ => Err(cursor.expected("expected 'and', 'or' or end of input", None)),
    }
}

/// Reads a path whose first segment is the current token (the caller has checked it is a
/// word); shared by every option that names fields.
pub(crate) fn parse_path(cursor: &mut Cursor) -> Result<Path, QueryError> {
    let first = cursor.advance();
    let TokenKind::Word(name) = first.kind else {
        return Err(cursor.error(
            Some(first.position),
            format!("expected a field name at position {}", first.position),
        ));
    };
    // Words are ASCII, so a word's length in bytes is its length in chars.
    let mut end = first.position + name.len();
    let mut segments = vec![name];
    while cursor.peek().kind == TokenKind::Slash {
        let slash = cursor.advance().position;
        let TokenKind::Word(name) = &cursor.peek().kind else {
            return Err(cursor.expected("expected a field name after '/'", None));
        };
        let word_position = cursor.peek().position;
        if slash != end || word_position != slash + 1 {
            let side = if slash != end { "before" } else { "after" };
            return Err(cursor.error(
                Some(slash),
                format!("space {side} '/' at position {slash}; write paths without spaces, as in address/city"),
            ));
        }
        end = word_position + name.len();
        if segments.len() == MAX_PATH_SEGMENTS {
            let position = first.position;
            return Err(cursor.error(
                Some(position),
                format!(
                    "the path at position {position} has more than {MAX_PATH_SEGMENTS} segments"
                ),
            ));
        }
        segments.push(name.clone());
        cursor.advance();
    }
    Ok(Path {
        segments,
        position: first.position,
    })
}

/// Whether a word is reserved and so cannot start a path in a filter.
fn is_reserved(word: &str) -> bool {
    ["and", "or", "not", "true", "false", "null"]
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(word))
}

/// The parser's state: where it is, and how much of each cap the filter has used so far.
struct FilterParser {
    cursor: Cursor,
    depth: usize,
    comparisons: usize,
}

impl FilterParser {
    fn or(&mut self) -> Result<Filter, QueryError> {
        let first = self.and()?;
        if !self.cursor.peek().is_keyword("or") {
            return Ok(first);
        }
        let mut alternatives = vec![first];
        while self.cursor.peek().is_keyword("or") {
            self.cursor.advance();
            alternatives.push(self.and()?);
        }
        Ok(Filter::Or(alternatives))
    }

    fn and(&mut self) -> Result<Filter, QueryError> {
        let first = self.unary()?;
        if !self.cursor.peek().is_keyword("and") {
            return Ok(first);
        }
        let mut conditions = vec![first];
        while self.cursor.peek().is_keyword("and") {
            self.cursor.advance();
            conditions.push(self.unary()?);
        }
        Ok(Filter::And(conditions))
    }

    fn unary(&mut self) -> Result<Filter, QueryError> {
        if !self.cursor.peek().is_keyword("not") {
            return self.primary();
        }
        let position = self.cursor.advance().position;
        self.enter(position)?;
        let inner = self.unary()?;
        self.depth -= 1;
        Ok(Filter::Not(Box::new(inner)))
    }

    fn primary(&mut self) -> Result<Filter, QueryError> {
        let token = self.cursor.peek().clone();
        match &token.kind {
            TokenKind::OpenParen => {
                self.cursor.advance();
                self.enter(token.position)?;
                let inner = self.or()?;
                if self.cursor.peek().kind != TokenKind::CloseParen {
                    let open = token.position;
                    return Err(self.cursor.unexpected(|position, found| {
                        format!("expected ')' at position {position} to close the '(' at position {open}, found {found}")
                    }));
                }
                self.cursor.advance();
                self.depth -= 1;
                Ok(inner)
            }
            TokenKind::Word(word) if self.cursor.peek_second().kind == TokenKind::OpenParen => {
                match TextMatch::from_name(word) {
                    Some(function) => self.text_match(function),
                    None => Err(self.cursor.error(
                        Some(token.position),
                        format!(
                            "unknown function '{}' at position {}; use contains, startswith or endswith",
                            shorten(word),
                            token.position
                        ),
                    )),
                }
            }
            TokenKind::Word(word) if !is_reserved(word) => {
                let path = parse_path(&mut self.cursor)?;
                self.condition(path)
            }
            TokenKind::String(_) | TokenKind::Number { .. } => Err(self.cursor.expected(
                "expected a condition",
                Some("a condition starts with a field name, as in name eq 'Contoso'"),
            )),
            _ => Err(self.cursor.expected("expected a condition", None)),
        }
    }

    /// What follows a path: `op literal` or `in (…)`.
    fn condition(&mut self, path: Path) -> Result<Filter, QueryError> {
        let token = self.cursor.peek().clone();
        let op = match &token.kind {
            TokenKind::Word(word) if word.eq_ignore_ascii_case("in") => return self.in_list(path),
            TokenKind::Word(word) => match CompareOp::from_keyword(word) {
                Some(op) => op,
                None => {
                    return Err(self.cursor.error(
                        Some(token.position),
                        format!(
                            "unknown operator '{}' at position {}; {OPERATOR_HINT}",
                            shorten(word),
                            token.position
                        ),
                    ));
                }
            },
            _ => {
                let after = format!(
                    "expected an operator after '{}'",
                    shorten(&path.to_string())
                );
                return Err(self.cursor.expected(&after, Some(OPERATOR_HINT)));
            }
        };
        self.count_comparison(path.position)?;
        self.cursor.advance();
        let value_position = self.cursor.peek().position;
        let value = self.literal(&format!("expected a value after '{}'", op.as_str()))?;
        if value == Literal::Null && op.is_ordering() {
            return Err(self.cursor.error(
                Some(value_position),
                format!(
                    "cannot use {} with null at position {value_position}; null can only be compared with eq or ne",
                    op.as_str()
                ),
            ));
        }
        Ok(Filter::Compare { path, op, value })
    }

    /// `in ( literal, … )`, the current token being `in`.
    fn in_list(&mut self, path: Path) -> Result<Filter, QueryError> {
        self.count_comparison(path.position)?;
        self.cursor.advance();
        if self.cursor.peek().kind != TokenKind::OpenParen {
            return Err(self.cursor.expected(
                "expected '(' after 'in'",
                Some("write a list such as status in ('active', 'closed')"),
            ));
        }
        self.cursor.advance();
        if self.cursor.peek().kind == TokenKind::CloseParen {
            let position = self.cursor.peek().position;
            return Err(self.cursor.error(
                Some(position),
                format!("empty 'in' list at position {position}; give at least one value"),
            ));
        }
        let mut values = Vec::new();
        loop {
            let position = self.cursor.peek().position;
            let value = self.literal("expected a value in the 'in' list")?;
            if value == Literal::Null {
                return Err(self.cursor.error(
                    Some(position),
                    format!(
                        "null is not allowed in an 'in' list (position {position}); add 'or {} eq null' instead",
                        shorten(&path.to_string())
                    ),
                ));
            }
            if values.len() == MAX_IN_VALUES {
                return Err(self.cursor.error(
                    Some(position),
                    format!("too many values in the 'in' list at position {position}; the limit is {MAX_IN_VALUES}"),
                ));
            }
            values.push(value);
            match self.cursor.peek().kind {
                TokenKind::Comma => {
                    self.cursor.advance();
                }
                TokenKind::CloseParen => {
                    self.cursor.advance();
                    return Ok(Filter::In { path, values });
                }
                _ => {
                    return Err(self
                        .cursor
                        .expected("expected ',' or ')' in the 'in' list", None));
                }
            }
        }
    }

    /// `function ( path , 'text' )`, the current token being the function's name.
    fn text_match(&mut self, function: TextMatch) -> Result<Filter, QueryError> {
        let name = function.as_str();
        let start = self.cursor.advance().position;
        self.count_comparison(start)?;
        self.cursor.advance();
        let path = match &self.cursor.peek().kind {
            TokenKind::Word(word) if !is_reserved(word) => parse_path(&mut self.cursor)?,
            kind => {
                let hint = match kind {
                    TokenKind::String(_) => {
                        format!("the field comes first, as in {name}(name, 'text')")
                    }
                    _ => format!("write {name}(name, 'text')"),
                };
                let expected = format!("expected a field name as the first argument of '{name}'");
                return Err(self.cursor.expected(&expected, Some(&hint)));
            }
        };
        if self.cursor.peek().kind != TokenKind::Comma {
            return Err(self
                .cursor
                .expected(&format!("expected ',' after the field in '{name}'"), None));
        }
        self.cursor.advance();
        let value = match &self.cursor.peek().kind {
            TokenKind::String(value) => value.clone(),
            kind => {
                let expected =
                    format!("expected a quoted string as the second argument of '{name}'");
                let hint = match kind {
                    TokenKind::Word(word) => Some(format!(
                        "strings are quoted with single quotes: {}",
                        quote_string(word)
                    )),
                    _ => None,
                };
                return Err(self.cursor.expected(&expected, hint.as_deref()));
            }
        };
        self.cursor.advance();
        if self.cursor.peek().kind != TokenKind::CloseParen {
            return Err(self
                .cursor
                .expected(&format!("expected ')' to close '{name}('"), None));
        }
        self.cursor.advance();
        Ok(Filter::Text {
            function,
            path,
            value,
        })
    }

    /// A literal value; `expected` words the error when there is none.
    fn literal(&mut self, expected: &str) -> Result<Literal, QueryError> {
        let literal = match &self.cursor.peek().kind {
            TokenKind::String(value) => Literal::String(value.clone()),
            TokenKind::Number { value, .. } => Literal::Number(value.clone()),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("null") => Literal::Null,
            TokenKind::Word(word) if word.eq_ignore_ascii_case("true") => Literal::Bool(true),
            TokenKind::Word(word) if word.eq_ignore_ascii_case("false") => Literal::Bool(false),
            TokenKind::Word(word) => {
                let hint = format!(
                    "strings are quoted with single quotes: {}",
                    quote_string(word)
                );
                return Err(self.cursor.expected(expected, Some(&hint)));
            }
            _ => return Err(self.cursor.expected(expected, None)),
        };
        self.cursor.advance();
        Ok(literal)
    }

    /// Goes one level deeper (a `(` or `not` at `position`), refusing to pass [`MAX_NESTING`].
    fn enter(&mut self, position: usize) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.cursor.error(
                Some(position),
                format!("nesting is too deep at position {position}; the limit is {MAX_NESTING} levels of parentheses and 'not'"),
            ));
        }
        Ok(())
    }

    /// Counts one more condition starting at `position`, refusing to pass [`MAX_COMPARISONS`].
    fn count_comparison(&mut self, position: usize) -> Result<(), QueryError> {
        self.comparisons += 1;
        if self.comparisons > MAX_COMPARISONS {
            return Err(self.cursor.error(
                Some(position),
                format!(
                    "too many comparisons at position {position}; the limit is {MAX_COMPARISONS}"
                ),
            ));
        }
        Ok(())
    }
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

    fn compare(name: &str, position: usize, op: CompareOp, value: Literal) -> Filter {
        Filter::Compare {
            path: path(name, position),
            op,
            value,
        }
    }

    fn string(value: &str) -> Literal {
        Literal::String(value.to_owned())
    }

    fn int(value: i64) -> Literal {
        Literal::Number(value.into())
    }

    fn error(text: &str) -> String {
        match parse_filter(text) {
            Ok(filter) => panic!("expected an error for {text:?}, got {filter:?}"),
            Err(error) => {
                assert_eq!(error.option, "$filter");
                error.to_string()
            }
        }
    }

    #[test]
    fn a_single_comparison() {
        assert_eq!(
            parse_filter("status eq 'active'").unwrap(),
            compare("status", 0, CompareOp::Eq, string("active"))
        );
    }

    #[test]
    fn every_comparison_operator_in_any_case() {
        let cases = [
            ("eq", CompareOp::Eq),
            ("ne", CompareOp::Ne),
            ("gt", CompareOp::Gt),
            ("ge", CompareOp::Ge),
            ("lt", CompareOp::Lt),
            ("le", CompareOp::Le),
            ("EQ", CompareOp::Eq),
            ("Ge", CompareOp::Ge),
        ];
        for (keyword, op) in cases {
            assert_eq!(
                parse_filter(&format!("n {keyword} 1")).unwrap(),
                compare("n", 0, op, int(1))
            );
        }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let filter = parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap();
        assert_eq!(
            filter,
            Filter::Or(vec![
                compare("a", 0, CompareOp::Eq, int(1)),
                Filter::And(vec![
                    compare("b", 10, CompareOp::Eq, int(2)),
                    compare("c", 21, CompareOp::Eq, int(3))
                ]),
            ])
        );
    }

    #[test]
    fn not_binds_tighter_than_and() {
        let filter = parse_filter("not a eq 1 and b eq 2").unwrap();
        assert_eq!(
            filter,
            Filter::And(vec![
                Filter::Not(Box::new(compare("a", 4, CompareOp::Eq, int(1)))),
                compare("b", 15, CompareOp::Eq, int(2)),
            ])
        );
    }

    #[test]
    fn chains_are_flat() {
        let Filter::And(conditions) = parse_filter("a eq 1 and b eq 2 and c eq 3").unwrap() else {
            panic!()
        };
        assert_eq!(conditions.len(), 3);
        let Filter::Or(alternatives) =
            parse_filter("a eq 1 or b eq 2 or c eq 3 or d eq 4").unwrap()
        else {
            panic!()
        };
        assert_eq!(alternatives.len(), 4);
    }

    #[test]
    fn parentheses_override_precedence() {
        let filter = parse_filter("(a eq 1 or b eq 2) and c eq 3").unwrap();
        assert_eq!(
            filter,
            Filter::And(vec![
                Filter::Or(vec![
                    compare("a", 1, CompareOp::Eq, int(1)),
                    compare("b", 11, CompareOp::Eq, int(2))
                ]),
                compare("c", 23, CompareOp::Eq, int(3)),
            ])
        );
        assert_eq!(
            parse_filter("((a eq 1))").unwrap(),
            compare("a", 2, CompareOp::Eq, int(1))
        );
        assert_eq!(
            parse_filter("not (a eq 1 or b eq 2)").unwrap(),
            Filter::Not(Box::new(Filter::Or(vec![
                compare("a", 5, CompareOp::Eq, int(1)),
                compare("b", 15, CompareOp::Eq, int(2)),
            ])))
        );
    }

    #[test]
    fn keywords_ignore_case_but_fields_do_not() {
        let filter = parse_filter("NOT Name eq 'x' AND name Eq 'y' Or X eq 1").unwrap();
        assert_eq!(
            filter,
            Filter::Or(vec![
                Filter::And(vec![
                    Filter::Not(Box::new(compare("Name", 4, CompareOp::Eq, string("x")))),
                    compare("name", 20, CompareOp::Eq, string("y")),
                ]),
                compare("X", 35, CompareOp::Eq, int(1)),
            ])
        );
    }

    #[test]
    fn double_not() {
        assert_eq!(
            parse_filter("not not a eq true").unwrap(),
            Filter::Not(Box::new(Filter::Not(Box::new(compare(
                "a",
                8,
                CompareOp::Eq,
                Literal::Bool(true)
            )))))
        );
    }

    #[test]
    fn literals_of_every_kind() {
        let value = |text: &str| match parse_filter(&format!("a eq {text}")).unwrap() {
            Filter::Compare { value, .. } => value,
            other => panic!("{other:?}"),
        };
        assert_eq!(value("null"), Literal::Null);
        assert_eq!(value("NULL"), Literal::Null);
        assert_eq!(value("true"), Literal::Bool(true));
        assert_eq!(value("False"), Literal::Bool(false));
        assert_eq!(value("42"), int(42));
        assert_eq!(value("-42"), int(-42));
        assert_eq!(value("0"), int(0));
        assert_eq!(
            value("12.5"),
            Literal::Number(Number::from_f64(12.5).unwrap())
        );
        assert_eq!(
            value("-0.25"),
            Literal::Number(Number::from_f64(-0.25).unwrap())
        );
        assert_eq!(
            value("1e3"),
            Literal::Number(Number::from_f64(1000.0).unwrap())
        );
        assert_eq!(
            value("2.5E-1"),
            Literal::Number(Number::from_f64(0.25).unwrap())
        );
        assert_eq!(value("'it''s'"), string("it's"));
        assert_eq!(value("''"), string(""));
        assert_eq!(
            value("'2024-01-31T10:00:00Z'"),
            string("2024-01-31T10:00:00Z")
        );
        assert_eq!(value("'日本 🦀'"), string("日本 🦀"));
    }

    #[test]
    fn null_checks() {
        assert_eq!(
            parse_filter("email eq null").unwrap(),
            compare("email", 0, CompareOp::Eq, Literal::Null)
        );
        assert_eq!(
            parse_filter("email ne null").unwrap(),
            compare("email", 0, CompareOp::Ne, Literal::Null)
        );
    }

    #[test]
    fn nested_paths() {
        assert_eq!(
            parse_filter("address/city eq 'Oslo'").unwrap(),
            compare("address/city", 0, CompareOp::Eq, string("Oslo"))
        );
        assert_eq!(
            parse_filter("a/b_2/_c ne 1").unwrap(),
            compare("a/b_2/_c", 0, CompareOp::Ne, int(1))
        );
    }

    #[test]
    fn in_lists() {
        assert_eq!(
            parse_filter("status in ('open', 'won')").unwrap(),
            Filter::In {
                path: path("status", 0),
                values: vec![string("open"), string("won")]
            }
        );
        assert_eq!(
            parse_filter("n IN (1,2.5,-3)").unwrap(),
            Filter::In {
                path: path("n", 0),
                values: vec![
                    int(1),
                    Literal::Number(Number::from_f64(2.5).unwrap()),
                    int(-3)
                ]
            }
        );
        assert_eq!(
            parse_filter("a/b in (true)").unwrap(),
            Filter::In {
                path: path("a/b", 0),
                values: vec![Literal::Bool(true)]
            }
        );
    }

    #[test]
    fn string_functions_in_any_case() {
        let cases = [
            ("contains", TextMatch::Contains),
            ("startswith", TextMatch::StartsWith),
            ("endswith", TextMatch::EndsWith),
            ("Contains", TextMatch::Contains),
            ("STARTSWITH", TextMatch::StartsWith),
            ("endsWith", TextMatch::EndsWith),
        ];
        for (name, function) in cases {
            assert_eq!(
                parse_filter(&format!("{name}(address/city, 'O''s')")).unwrap(),
                Filter::Text {
                    function,
                    path: path("address/city", name.len() + 1),
                    value: "O's".into()
                }
            );
        }
        assert_eq!(
            parse_filter("not contains(name,'x') and contains(name,'y')").unwrap(),
            Filter::And(vec![
                Filter::Not(Box::new(Filter::Text {
                    function: TextMatch::Contains,
                    path: path("name", 13),
                    value: "x".into()
                })),
                Filter::Text {
                    function: TextMatch::Contains,
                    path: path("name", 36),
                    value: "y".into()
                },
            ])
        );
    }

    #[test]
    fn fields_may_share_names_with_functions_and_operators() {
        assert_eq!(
            parse_filter("contains eq 'x'").unwrap(),
            compare("contains", 0, CompareOp::Eq, string("x"))
        );
        assert_eq!(
            parse_filter("eq eq 1").unwrap(),
            compare("eq", 0, CompareOp::Eq, int(1))
        );
        assert_eq!(
            parse_filter("in in (1)").unwrap(),
            Filter::In {
                path: path("in", 0),
                values: vec![int(1)]
            }
        );
    }

    #[test]
    fn whitespace_is_free() {
        assert_eq!(
            parse_filter("\t( a\neq 1 )\r\n").unwrap(),
            compare("a", 3, CompareOp::Eq, int(1))
        );
    }

    #[test]
    fn display_writes_paths_and_literals_as_typed() {
        assert_eq!(path("address/city", 0).to_string(), "address/city");
        assert_eq!(Literal::String("it's".into()).to_string(), "'it''s'");
        assert_eq!(Literal::Null.to_string(), "null");
        assert_eq!(Literal::Bool(false).to_string(), "false");
        assert_eq!(int(-3).to_string(), "-3");
    }

    #[test]
    fn error_messages() {
        let cases = [
            (
                "",
                "$filter: empty filter; write a condition such as name eq 'Contoso'",
            ),
            (
                "   ",
                "$filter: empty filter; write a condition such as name eq 'Contoso'",
            ),
            (
                "status eq )",
                "$filter: expected a value after 'eq' at position 10, found ')'",
            ),
            (
                "name eq 'x' and price ge )",
                "$filter: expected a value after 'ge' at position 25, found ')'",
            ),
            (
                "status eq",
                "$filter: expected a value after 'eq' at position 9, found end of input",
            ),
            (
                "status eq active",
                "$filter: expected a value after 'eq' at position 10, found 'active'; strings are quoted with single quotes: 'active'",
            ),
            (
                "status",
                "$filter: expected an operator after 'status' at position 6, found end of input; use eq, ne, gt, ge, lt, le or in",
            ),
            (
                "address/city 'Oslo'",
                "$filter: expected an operator after 'address/city' at position 13, found string 'Oslo'; use eq, ne, gt, ge, lt, le or in",
            ),
            (
                "status equals 'x'",
                "$filter: unknown operator 'equals' at position 7; use eq, ne, gt, ge, lt, le or in",
            ),
            (
                "status == 'x'",
                "$filter: unknown operator '==' at position 7; use eq",
            ),
            (
                "status eq \"x\"",
                "$filter: unexpected '\"' at position 10; strings are quoted with single quotes: 'x'",
            ),
            (
                "and a eq 1",
                "$filter: expected a condition at position 0, found 'and'",
            ),
            (
                "a eq 1 and",
                "$filter: expected a condition at position 10, found end of input",
            ),
            (
                "a eq 1 or or b eq 2",
                "$filter: expected a condition at position 10, found 'or'",
            ),
            (
                "not",
                "$filter: expected a condition at position 3, found end of input",
            ),
            (
                "()",
                "$filter: expected a condition at position 1, found ')'",
            ),
            (
                "'x' eq name",
                "$filter: expected a condition at position 0, found string 'x'; a condition starts with a field name, as in name eq 'Contoso'",
            ),
            (
                "5 lt price",
                "$filter: expected a condition at position 0, found number 5; a condition starts with a field name, as in name eq 'Contoso'",
            ),
            (
                "(a eq 1",
                "$filter: expected ')' at position 7 to close the '(' at position 0, found end of input",
            ),
            (
                "(a eq 1 b eq 2)",
                "$filter: expected ')' at position 8 to close the '(' at position 0, found 'b'",
            ),
            ("a eq 1)", "$filter: unmatched ')' at position 6"),
            (
                "a eq 1 b eq 2",
                "$filter: expected 'and', 'or' or end of input at position 7, found 'b'",
            ),
            (
                "a eq 1 2",
                "$filter: expected 'and', 'or' or end of input at position 7, found number 2",
            ),
            (
                "a/ eq 1",
                "$filter: space after '/' at position 1; write paths without spaces, as in address/city",
            ),
            (
                "a /b eq 1",
                "$filter: space before '/' at position 2; write paths without spaces, as in address/city",
            ),
            (
                "a/",
                "$filter: expected a field name after '/' at position 2, found end of input",
            ),
            (
                "a//b eq 1",
                "$filter: expected a field name after '/' at position 2, found '/'",
            ),
            (
                "/a eq 1",
                "$filter: expected a condition at position 0, found '/'",
            ),
            (
                "a gt null",
                "$filter: cannot use gt with null at position 5; null can only be compared with eq or ne",
            ),
            (
                "a le NULL",
                "$filter: cannot use le with null at position 5; null can only be compared with eq or ne",
            ),
            (
                "a in 'x'",
                "$filter: expected '(' after 'in' at position 5, found string 'x'; write a list such as status in ('active', 'closed')",
            ),
            (
                "a in ()",
                "$filter: empty 'in' list at position 6; give at least one value",
            ),
            (
                "a in (1,)",
                "$filter: expected a value in the 'in' list at position 8, found ')'",
            ),
            (
                "a in (1 2)",
                "$filter: expected ',' or ')' in the 'in' list at position 8, found number 2",
            ),
            (
                "a in (1",
                "$filter: expected ',' or ')' in the 'in' list at position 7, found end of input",
            ),
            (
                "a in (x)",
                "$filter: expected a value in the 'in' list at position 6, found 'x'; strings are quoted with single quotes: 'x'",
            ),
            (
                "a/b in ('x', null)",
                "$filter: null is not allowed in an 'in' list (position 13); add 'or a/b eq null' instead",
            ),
            (
                "substringof('x', name)",
                "$filter: unknown function 'substringof' at position 0; use contains, startswith or endswith",
            ),
            (
                "contains('x', name)",
                "$filter: expected a field name as the first argument of 'contains' at position 9, found string 'x'; the field comes first, as in contains(name, 'text')",
            ),
            (
                "startswith()",
                "$filter: expected a field name as the first argument of 'startswith' at position 11, found ')'; write startswith(name, 'text')",
            ),
            (
                "contains(name)",
                "$filter: expected ',' after the field in 'contains' at position 13, found ')'",
            ),
            (
                "endswith(name, x)",
                "$filter: expected a quoted string as the second argument of 'endswith' at position 15, found 'x'; strings are quoted with single quotes: 'x'",
            ),
            (
                "contains(name, 5)",
                "$filter: expected a quoted string as the second argument of 'contains' at position 15, found number 5",
            ),
            (
                "contains(name, 'x'",
                "$filter: expected ')' to close 'contains(' at position 18, found end of input",
            ),
            (
                "contains(name, 'x', 'y')",
                "$filter: expected ')' to close 'contains(' at position 18, found ','",
            ),
            (
                "contains",
                "$filter: expected an operator after 'contains' at position 8, found end of input; use eq, ne, gt, ge, lt, le or in",
            ),
            (
                "true",
                "$filter: expected a condition at position 0, found 'true'",
            ),
            (
                "name eq 'abc",
                "$filter: unterminated string starting at position 8; end it with ' and write a quote inside a string as ''",
            ),
            (
                "a eq 1 and b == 2",
                "$filter: unknown operator '==' at position 13; use eq",
            ),
            (
                "a eq 1 and b eq 'x",
                "$filter: unterminated string starting at position 16; end it with ' and write a quote inside a string as ''",
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "for {text:?}");
        }
    }

    #[test]
    fn errors_carry_the_position_as_data() {
        let error = parse_filter("status eq )").unwrap_err();
        assert_eq!(error.position, Some(10));
        assert_eq!(
            error.message,
            "expected a value after 'eq' at position 10, found ')'"
        );
        assert_eq!(parse_filter("").unwrap_err().position, None);
    }

    #[test]
    fn positions_count_chars_not_bytes() {
        let error = parse_filter("name eq 'Ærø' and city eq ôslo").unwrap_err();
        assert_eq!(
            error.to_string(),
            "$filter: unexpected character 'ô' at position 26; field names use only ASCII letters, digits and '_'"
        );
        assert_eq!(error.position, Some(26));
    }

    #[test]
    fn long_tokens_are_shortened_in_messages() {
        let text = format!("a eq {}", "b".repeat(500));
        let message = error(&text);
        assert_eq!(
            message,
            format!(
                "$filter: expected a value after 'eq' at position 5, found '{0}…'; strings are quoted with single quotes: '{0}…'",
                "b".repeat(40)
            )
        );
    }

    #[test]
    fn filter_length_is_capped_at_8_kib() {
        let padding = " ".repeat(MAX_OPTION_BYTES - "a eq 1".len());
        assert!(parse_filter(&format!("a eq 1{padding}")).is_ok());
        assert_eq!(
            error(&format!("a eq 1{padding} ")),
            "$filter: too long: 8193 bytes, the limit is 8192 bytes (8 KiB)"
        );
    }

    #[test]
    fn nesting_is_capped() {
        let nested = |depth: usize| format!("{}a eq 1{}", "(".repeat(depth), ")".repeat(depth));
        assert!(parse_filter(&nested(MAX_NESTING)).is_ok());
        assert_eq!(
            error(&nested(MAX_NESTING + 1)),
            "$filter: nesting is too deep at position 32; the limit is 32 levels of parentheses and 'not'"
        );
        let nots = |depth: usize| format!("{}a eq 1", "not ".repeat(depth));
        assert!(parse_filter(&nots(MAX_NESTING)).is_ok());
        assert_eq!(
            error(&nots(MAX_NESTING + 1)),
            "$filter: nesting is too deep at position 128; the limit is 32 levels of parentheses and 'not'"
        );
        // Parentheses and 'not' count together; thousands of them stop at the cap, not the stack.
        assert!(parse_filter(&"not (".repeat(2000)).is_err());
        assert!(parse_filter(&"(".repeat(8000)).is_err());
        // Sibling groups do not add up: depth, not count, is capped.
        let siblings = vec!["(a eq 1)"; 100].join(" and ");
        assert!(parse_filter(&siblings).is_ok());
    }

    #[test]
    fn comparisons_are_capped() {
        let conditions = |count: usize| vec!["a eq 1"; count].join(" or ");
        assert!(parse_filter(&conditions(MAX_COMPARISONS)).is_ok());
        assert_eq!(
            error(&conditions(MAX_COMPARISONS + 1)),
            "$filter: too many comparisons at position 2000; the limit is 200"
        );
        let functions = vec!["contains(a,'x')"; MAX_COMPARISONS + 1].join(" or ");
        assert_eq!(
            error(&functions),
            "$filter: too many comparisons at position 3800; the limit is 200"
        );
        let lists = vec!["a in (1)"; MAX_COMPARISONS + 1].join(" or ");
        assert_eq!(
            error(&lists),
            "$filter: too many comparisons at position 2400; the limit is 200"
        );
    }

    #[test]
    fn in_lists_are_capped() {
        let list = |count: usize| format!("a in ({})", vec!["1"; count].join(","));
        let Filter::In { values, .. } = parse_filter(&list(MAX_IN_VALUES)).unwrap() else {
            panic!()
        };
        assert_eq!(values.len(), MAX_IN_VALUES);
        assert_eq!(
            error(&list(MAX_IN_VALUES + 1)),
            "$filter: too many values in the 'in' list at position 1006; the limit is 500"
        );
    }

    #[test]
    fn paths_are_capped() {
        let deep = |count: usize| format!("{} eq 1", vec!["a"; count].join("/"));
        assert!(parse_filter(&deep(MAX_PATH_SEGMENTS)).is_ok());
        assert_eq!(
            error(&deep(MAX_PATH_SEGMENTS + 1)),
            "$filter: the path at position 0 has more than 32 segments"
        );
    }

    #[test]
    fn malformed_input_is_refused_without_panic() {
        let malformed = [
            "(",
            ")",
            "((",
            "))",
            "(()",
            "'",
            "''",
            "'''",
            "not not",
            "a eq",
            "a eq eq",
            "eq",
            "in",
            "a in",
            "a in (",
            "a in (,",
            "a in ((1))",
            "contains(",
            "contains(a",
            "contains(a,",
            "contains(a,'x'",
            "contains(,'x')",
            "a eq 1 and (",
            "a eq 1 or )",
            "a eq -",
            "a eq --1",
            "a eq 1e",
            "a eq 1e+",
            "a eq .5",
            "a eq 5.",
            "a eq 0x1F",
            "a eq 1_000",
            "a eq 'x' 'y'",
            "a/b/",
            "/",
            ",",
            "a,b",
            "a eq 1,",
            "a eq (1)",
            "a eq null null",
            "a in (null)",
            "null eq a",
            "🦀",
            "a eq 🦀",
            "名前 eq 'x'",
            "a eq 'x'🦀",
            "é",
            "\u{0}",
            "\u{feff}a eq 1",
            "a\u{200b}eq 1",
            "a eq 1 \u{7f}",
            "a eq '\u{10ffff}",
            "a eq\u{3000}",
            "$filter=a eq 1",
            "a eq 1;",
            "a eq @p",
            "a eq [1]",
            "a eq {}",
            "a eq 1 and not",
            "not (",
            "not )",
            "a ne",
            "a gt null",
            "a eq 'x' or",
            "contains(a,'x') eq true",
            "a eq 1 )(",
            "a in (1,2",
            "a in 1,2)",
            "startswith(a/b/,'x')",
            "foo(a)",
        ];
        for text in malformed {
            assert!(parse_filter(text).is_err(), "{text:?} was accepted");
        }
    }

    /// A small deterministic generator (xorshift), so the fuzz test needs no crate and fails
    /// the same way every run.
    struct Random(u64);

    impl Random {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, bound: usize) -> usize {
            (self.next() % bound as u64) as usize
        }
    }

    #[test]
    fn random_input_never_panics() {
        const PIECES: &[&str] = &[
            "a",
            "b/c",
            "name",
            " ",
            " ",
            "  ",
            "eq",
            "ne",
            "gt",
            "ge",
            "lt",
            "le",
            "in",
            "and",
            "or",
            "not",
            "(",
            ")",
            ",",
            "/",
            "'",
            "''",
            "'x'",
            "'é中'",
            "1",
            "-2",
            "3.5",
            "1e9",
            "-",
            ".",
            "true",
            "false",
            "null",
            "contains",
            "startswith",
            "endswith",
            "🦀",
            "é",
            "\"",
            "=",
            "!",
            "<",
            ">",
            "&",
            "|",
            "\u{0}",
            "\n",
            "\u{301}",
            "9999999999999999999999",
            "1e400",
            "_",
            "Ω",
        ];
        const CHARS: &[char] = &[
            'a',
            'z',
            'A',
            '_',
            '0',
            '9',
            ' ',
            '(',
            ')',
            ',',
            '/',
            '\'',
            '"',
            '-',
            '+',
            '.',
            'e',
            'E',
            '=',
            '<',
            '>',
            '!',
            '&',
            '|',
            '$',
            '\\',
            '\t',
            '\n',
            '\u{0}',
            'é',
            'ß',
            '中',
            '🦀',
            '\u{301}',
            '\u{fffd}',
            '\u{10ffff}',
        ];
        let mut random = Random(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let mut text = String::new();
            let length = random.below(24);
            for _ in 0..length {
                if round % 2 == 0 {
                    text.push_str(PIECES[random.below(PIECES.len())]);
                    text.push(' ');
                } else {
                    text.push(CHARS[random.below(CHARS.len())]);
                }
            }
            match parse_filter(&text) {
                Ok(_) => {}
                Err(error) => {
                    assert_eq!(error.option, "$filter");
                    assert!(!error.message.is_empty());
                    if let Some(position) = error.position {
                        assert!(position <= text.chars().count(), "{text:?}: {error}");
                    }
                }
            }
        }
    }

    #[test]
    fn random_valid_filters_parse() {
        let mut random = Random(42);
        for _ in 0..2_000 {
            let text = random_filter(&mut random, 0);
            assert!(parse_filter(&text).is_ok(), "{text:?}");
        }
    }

    fn random_filter(random: &mut Random, depth: usize) -> String {
        let choice = if depth > 4 {
            random.below(4)
        } else {
            random.below(7)
        };
        match choice {
            0 => format!(
                "a/b {} {}",
                ["eq", "ne", "gt", "ge", "lt", "le"][random.below(6)],
                random.below(1000)
            ),
            1 => format!("name eq '{}'", ["x", "it''s", "é中🦀", ""][random.below(4)]),
            2 => "c in (1, 'two', true)".to_owned(),
            3 => format!(
                "{}(name, 'x')",
                ["contains", "startswith", "endswith"][random.below(3)]
            ),
            4 => format!("not {}", random_filter(random, depth + 1)),
            5 => format!("({})", random_filter(random, depth + 1)),
            _ => format!(
                "{} {} {}",
                random_filter(random, depth + 1),
                ["and", "or"][random.below(2)],
                random_filter(random, depth + 1)
            ),
        }
    }
}
