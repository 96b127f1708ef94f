//! Building SQL text with bound values, and what differs between SQLite and PostgreSQL.
//!
//! **Invariant:** a value from a request only ever reaches the database as a bound parameter.
//! The only things written into SQL text are fixed keywords, JSON paths made of property names
//! that the entity-type compiler has checked, and workspace and type names that pass
//! [`literal`]'s check.

use crate::query::FieldKind;

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

/// The two databases the store speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The SQL expression for a data field, typed so that comparisons and indexes agree.
    ///
    /// The same expression is used in `CREATE INDEX` and in queries: both databases only use an
    /// expression index when the query repeats its expression.
    pub fn field_expr(self, path: &[String], kind: FieldKind) -> String {
        debug_assert!(
            path.iter()
                .all(|s| crate::schema::is_valid_property_name(s))
        );
        match self {
            Dialect::Sqlite => format!("json_extract(data, '$.{}')", path.join(".")),
            Dialect::Postgres => {
                let text = if path.len() == 1 {
                    format!("(data->>'{}')", path[0])
                } else {
                    format!("(data#>>'{{{}}}')", path.join(","))
                };
                match kind {
                    FieldKind::Number | FieldKind::Integer => format!("({text}::numeric)"),
                    FieldKind::Boolean => format!("({text}::boolean)"),
                    FieldKind::String | FieldKind::Other => text,
                }
            }
        }
    }

    /// A case-insensitive `LIKE`.
    pub fn ilike(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }

    /// The null-safe "differs from" operator.
    pub fn distinct_from(self) -> &'static str {
        match self {
            Dialect::Sqlite => "IS NOT",
            Dialect::Postgres => "IS DISTINCT FROM",
        }
    }
}

/// SQL text plus the values for its placeholders, numbered for the dialect.
#[derive(Debug)]
pub struct SqlBuilder {
    pub dialect: Dialect,
    pub sql: String,
    pub binds: Vec<SqlValue>,
}

impl SqlBuilder {
    pub fn new(dialect: Dialect) -> Self {
        SqlBuilder {
            dialect,
            sql: String::with_capacity(256),
            binds: Vec::new(),
        }
    }

    /// A whole statement written with `?` for each value, in order: for the many short,
    /// fixed statements where interleaving `push` and `bind` would hide the SQL.
    pub fn statement(
        dialect: Dialect,
        text: &str,
        values: impl IntoIterator<Item = SqlValue>,
    ) -> Self {
        let mut sql = SqlBuilder::new(dialect);
        let mut values = values.into_iter();
        for (index, part) in text.split('?').enumerate() {
            if index > 0 {
                sql.bind(values.next().expect("a value for every placeholder"));
            }
            sql.push(part);
        }
        debug_assert!(values.next().is_none(), "more values than placeholders");
        sql
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.sql.push_str(text);
        self
    }

    /// Appends a placeholder for `value`.
    pub fn bind(&mut self, value: SqlValue) -> &mut Self {
        self.binds.push(value);
        match self.dialect {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.binds.len().to_string());
            }
        }
        self
    }

    /// Appends a placeholder for a value compared with a field of `kind`, cast where needed.
    pub fn bind_typed(&mut self, value: SqlValue, kind: FieldKind) -> &mut Self {
        match (self.dialect, kind) {
            (Dialect::Postgres, FieldKind::Number | FieldKind::Integer) => {
                // Bound as text and cast, so the comparison stays `numeric` and exact.
                let text = match value {
                    SqlValue::Int(i) => SqlValue::Text(i.to_string()),
                    SqlValue::Float(f) => SqlValue::Text(f.to_string()),
                    other => other,
                };
                self.bind(text).push("::numeric")
            }
            (Dialect::Postgres, FieldKind::Boolean) => self.bind(value).push("::boolean"),
            _ => self.bind(value),
        }
    }
}

/// Quotes a workspace or entity-type name as a SQL string literal, after checking that it
/// cannot contain anything but `[a-z0-9_-]`.
///
/// Such names are written into SQL (rather than bound) so that the database can match partial
/// indexes, which are declared per workspace and type.
pub fn literal(name: &str) -> String {
    assert!(
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'),
        "refusing to write {name:?} into SQL"
    );
    format!("'{name}'")
}

/// Whether a text is a workspace id: `^[a-z][a-z0-9-]{1,62}$`, which [`literal`] accepts.
pub fn is_workspace_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    (2..=63).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

/// A stable 64-bit FNV-1a hash, for index names that must be the same on every host and version.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.bytes().chain(std::iter::once(0)) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        let mut sqlite = SqlBuilder::new(Dialect::Sqlite);
        sqlite
            .push("a = ")
            .bind(SqlValue::Int(1))
            .push(" AND b = ")
            .bind(SqlValue::Int(2));
        assert_eq!(sqlite.sql, "a = ? AND b = ?");
        let mut pg = SqlBuilder::new(Dialect::Postgres);
        pg.push("a = ")
            .bind(SqlValue::Int(1))
            .push(" AND b = ")
            .bind_typed(SqlValue::Int(2), FieldKind::Number);
        assert_eq!(pg.sql, "a = $1 AND b = $2::numeric");
        assert_eq!(pg.binds[1], SqlValue::Text("2".into()));
    }

    #[test]
    fn field_expressions_are_typed_per_dialect() {
        let path = vec!["address".to_owned(), "city".to_owned()];
        assert_eq!(
            Dialect::Sqlite.field_expr(&path, FieldKind::String),
            "json_extract(data, '$.address.city')"
        );
        assert_eq!(
            Dialect::Postgres.field_expr(&path, FieldKind::String),
            "(data#>>'{address,city}')"
        );
        assert_eq!(
            Dialect::Postgres.field_expr(&["amount".to_owned()], FieldKind::Number),
            "((data->>'amount')::numeric)"
        );
    }

    #[test]
    #[should_panic(expected = "refusing")]
    fn literal_refuses_anything_that_could_escape_a_string() {
        literal("x' OR '1'='1");
    }

    #[test]
    fn like_patterns_are_escaped() {
        assert_eq!(like_escape("50%_a\\b"), "50\\%\\_a\\\\b");
    }
}
