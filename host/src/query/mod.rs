//! The query-option language of the records API (`$filter`, `$orderby`, `$select`, `$expand`,
//! `$top`), in the OData style that Dataverse users know: text in, a typed AST out.
//!
//! **Invariant:** this module is pure. It knows nothing about SQL, HTTP or how entity schemas
//! are stored: the storage layer compiles the AST to SQL, the API layer maps [`QueryError`] to
//! a response, and schemas reach [`check_filter`] and friends through the [`FieldCatalog`]
//! trait.
//!
//! Parsing and checking are two steps on purpose. The parsers need only the text, so a
//! malformed option is refused before any schema is loaded; the checks resolve every path
//! against the entity type and refuse unknown fields and type mismatches with a message that
//! names the field, the value and the position.
//!
//! Every parser treats its input as hostile: texts over [`MAX_OPTION_BYTES`] are refused
//! unread, and nesting, comparisons and `in` lists are capped ([`MAX_NESTING`],
//! [`MAX_COMPARISONS`], [`MAX_IN_VALUES`]). No input makes them panic.
//!
//! ```
//! use xrm::query::{Filter, parse_filter};
//!
//! let filter = parse_filter("status eq 'active' and address/city eq 'Oslo'").unwrap();
//! let Filter::And(conditions) = filter else { panic!("expected 'and'") };
//! assert_eq!(conditions.len(), 2);
//!
//! let error = parse_filter("status eq active").unwrap_err();
//! assert_eq!(
//!     error.to_string(),
//!     "$filter: expected a value after 'eq' at position 10, found 'active'; \
//!      strings are quoted with single quotes: 'active'"
//! );
//! ```

use std::fmt;

mod check;
mod filter;
mod lexer;
mod options;

pub use check::{FieldCatalog, FieldKind, check_filter, check_orderby, check_select};
pub use filter::{
    CompareOp, Filter, Literal, MAX_COMPARISONS, MAX_IN_VALUES, MAX_NESTING, MAX_PATH_SEGMENTS,
    Path, TextMatch, parse_filter,
};
pub use lexer::MAX_OPTION_BYTES;
pub use options::{
    MAX_EXPAND, MAX_ORDERBY_KEYS, OrderKey, parse_expand, parse_orderby, parse_select, parse_top,
};

/// Why a query option was refused: which option, where in its text, and a sentence for a human.
///
/// `message` is complete on its own (it already names the position where that helps the
/// reader); `position` carries the same place as data, so a UI can underline it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    /// The query option the error is about: `"$filter"`, `"$orderby"`, `"$select"`,
    /// `"$expand"` or `"$top"`.
    pub option: &'static str,
    /// The 0-based char (not byte) offset into that option's text, when one place is at fault.
    pub position: Option<usize>,
    /// Lowercase and specific: names the offending token and, where useful, gives a hint.
    pub message: String,
}

impl QueryError {
    pub(crate) fn new(
        option: &'static str,
        position: Option<usize>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            option,
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.option, self.message)
    }
}

impl std::error::Error for QueryError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_puts_the_option_before_the_message() {
        let error = QueryError::new("$filter", Some(3), "unexpected ')' at position 3");
        assert_eq!(error.to_string(), "$filter: unexpected ')' at position 3");
    }

    #[test]
    fn module_example_holds() {
        let filter = parse_filter("status eq 'active' and address/city eq 'Oslo'").unwrap();
        let Filter::And(conditions) = filter else {
            panic!("expected 'and'")
        };
        assert_eq!(conditions.len(), 2);
        let error = parse_filter("status eq active").unwrap_err();
        assert_eq!(
            error.to_string(),
            "$filter: expected a value after 'eq' at position 10, found 'active'; \
             strings are quoted with single quotes: 'active'"
        );
    }
}
