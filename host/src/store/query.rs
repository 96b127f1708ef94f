//! Compiling a list request — `$filter`, `$search`, `$orderby`, keyset cursor — into one
//! parameterised SELECT per dialect.

use serde_json::Value;

use super::Store;
use super::records::{StoredRecord, record_columns};
use super::sql::{Dialect, SqlBuilder, SqlValue, like_escape, literal};
use crate::error::Result;
use crate::query::{CompareOp, FieldKind, Filter, Literal, TextMatch};
use crate::schema::EntityType;

/// The text a record contributes to full-text search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchText(pub String);

/// One sort key, resolved against the entity type.
#[derive(Debug, Clone)]
pub struct SortKey {
    pub path: Vec<String>,
    pub kind: FieldKind,
    pub system: bool,
    pub descending: bool,
}

/// Everything a list query needs, already parsed and checked by the caller.
#[derive(Debug)]
pub struct ListPlan<'a> {
    pub workspace: &'a str,
    pub entity_type: &'a EntityType,
    pub filter: Option<&'a Filter>,
    /// An extra `field eq value` condition: reverse navigation of a lookup.
    pub pointing_at: Option<(&'a str, &'a str)>,
    /// Only records owned by these users or teams (a role's `own` / `team` scope).
    pub owners: Option<&'a OwnerFilter>,
    pub search: Option<&'a str>,
    /// Sort keys without the final id tiebreaker, which the plan adds itself.
    pub order: Vec<SortKey>,
    /// Direction of the id tiebreaker that ends every order.
    pub id_descending: bool,
    /// The last row of the previous page: one value per sort key, then its id.
    pub after: Option<(Vec<Value>, String)>,
    pub limit: i64,
}

/// Records an owner filter lets through: the SQL side of an `own` or `team` scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerFilter {
    /// Records owned by one of these users…
    pub users: Vec<String>,
    /// …or by one of these teams.
    pub teams: Vec<String>,
}

impl Store {
    /// One page of records.
    pub async fn list_records(&self, plan: &ListPlan<'_>) -> Result<Vec<StoredRecord>> {
        let sql = list_sql(self.dialect(), plan);
        self.reader().fetch_records(sql).await
    }

    /// How many records match, ignoring paging.
    pub async fn count_records(&self, plan: &ListPlan<'_>) -> Result<i64> {
        let mut sql = SqlBuilder::new(self.dialect());
        sql.push("SELECT COUNT(*) FROM records r WHERE ");
        push_conditions(&mut sql, plan);
        Ok(self.reader().fetch_i64(sql).await?.unwrap_or(0))
    }
}

/// The SELECT of one page: conditions, keyset position, order and limit.
pub fn list_sql(dialect: Dialect, plan: &ListPlan<'_>) -> SqlBuilder {
    let mut sql = SqlBuilder::new(dialect);
    sql.push("SELECT ")
        .push(record_columns(dialect))
        .push(" FROM records r WHERE ");
    push_conditions(&mut sql, plan);
    if let Some((values, id)) = &plan.after {
        sql.push(" AND ");
        push_keyset(&mut sql, plan, values, id);
    }
    sql.push(" ORDER BY ");
    for key in &plan.order {
        sql.push(&sort_expr(dialect, key));
        sql.push(match (dialect, key.descending) {
            (Dialect::Sqlite, false) => " ASC, ",
            (Dialect::Sqlite, true) => " DESC, ",
            (Dialect::Postgres, false) => " ASC NULLS FIRST, ",
            (Dialect::Postgres, true) => " DESC NULLS LAST, ",
        });
    }
    sql.push(if plan.id_descending {
        "r.id DESC"
    } else {
        "r.id ASC"
    });
    sql.push(" LIMIT ").bind(SqlValue::Int(plan.limit));
    sql
}

fn push_conditions(sql: &mut SqlBuilder, plan: &ListPlan<'_>) {
    let dialect = sql.dialect;
    // Literals, not parameters: the per-type partial indexes only match repeated literals.
    sql.push("r.workspace_id = ")
        .push(&literal(plan.workspace))
        .push(" AND r.entity_type = ")
        .push(&literal(&plan.entity_type.name));
    if let Some(filter) = plan.filter {
        sql.push(" AND ");
        push_filter(sql, plan.entity_type, filter);
    }
    if let Some(owners) = plan.owners {
        push_owner_filter(sql, owners);
    }
    if let Some((field, value)) = plan.pointing_at {
        sql.push(" AND ")
            .push(&dialect.field_expr(&[field.to_owned()], FieldKind::String))
            .push(" = ")
            .bind(SqlValue::Text(value.to_owned()));
    }
    if let Some(search) = plan.search {
        match dialect {
            Dialect::Sqlite => sql
                .push(" AND r.rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ")
                .bind(SqlValue::Text(fts5_query(search)))
                .push(")"),
            Dialect::Postgres => sql
                .push(" AND r.search @@ to_tsquery('simple', ")
                .bind(SqlValue::Text(tsquery(search)))
                .push(")"),
        };
    }
}

fn push_owner_filter(sql: &mut SqlBuilder, owners: &OwnerFilter) {
    let mut parts = 0;
    sql.push(" AND (");
    for (column, values) in [
        ("r.owned_by", &owners.users),
        ("r.owning_team", &owners.teams),
    ] {
        if values.is_empty() {
            continue;
        }
        if parts > 0 {
            sql.push(" OR ");
        }
        parts += 1;
        sql.push(column).push(" IN (");
        for (index, value) in values.iter().enumerate() {
            if index > 0 {
                sql.push(", ");
            }
            sql.bind(SqlValue::Text(value.clone()));
        }
        sql.push(")");
    }
    if parts == 0 {
        sql.push("1 = 0");
    }
    sql.push(")");
}

fn push_filter(sql: &mut SqlBuilder, entity_type: &EntityType, filter: &Filter) {
    match filter {
        Filter::And(parts) | Filter::Or(parts) => {
            let joiner = if matches!(filter, Filter::And(_)) {
                " AND "
            } else {
                " OR "
            };
            sql.push("(");
            for (index, part) in parts.iter().enumerate() {
                if index > 0 {
                    sql.push(joiner);
                }
                push_filter(sql, entity_type, part);
            }
            sql.push(")");
        }
        Filter::Not(inner) => {
            // Three-valued logic would turn `not (x eq 1)` into "unknown" for records without x;
            // a missing value does not equal 1, so such records match.
            sql.push("((");
            push_filter(sql, entity_type, inner);
            sql.push(") IS NOT TRUE)");
        }
        Filter::Compare { path, op, value } => {
            let (expr, kind) = field_sql(sql.dialect, entity_type, &path.segments);
            match (op, value) {
                (CompareOp::Eq, Literal::Null) => sql.push(&expr).push(" IS NULL"),
                (CompareOp::Ne, Literal::Null) => sql.push(&expr).push(" IS NOT NULL"),
                (CompareOp::Ne, value) => {
                    sql.push("(")
                        .push(&expr)
                        .push(" IS NULL OR ")
                        .push(&expr)
                        .push(" <> ");
                    sql.bind_typed(sql_value(value, kind), kind).push(")")
                }
                (op, Literal::Null) => {
                    // Ordering against null matches nothing, as in OData.
                    let _ = op;
                    sql.push("1 = 0")
                }
                (op, value) => {
                    let symbol = match op {
                        CompareOp::Eq => " = ",
                        CompareOp::Gt => " > ",
                        CompareOp::Ge => " >= ",
                        CompareOp::Lt => " < ",
                        CompareOp::Le => " <= ",
                        CompareOp::Ne => unreachable!("handled above"),
                    };
                    sql.push(&expr).push(symbol);
                    sql.bind_typed(sql_value(value, kind), kind)
                }
            };
        }
        Filter::In { path, values } => {
            let (expr, kind) = field_sql(sql.dialect, entity_type, &path.segments);
            let has_null = values.iter().any(|v| matches!(v, Literal::Null));
            let non_null: Vec<&Literal> = values
                .iter()
                .filter(|v| !matches!(v, Literal::Null))
                .collect();
            sql.push("(");
            if non_null.is_empty() {
                sql.push("1 = 0");
            } else {
                sql.push(&expr).push(" IN (");
                for (index, value) in non_null.iter().enumerate() {
                    if index > 0 {
                        sql.push(", ");
                    }
                    sql.bind_typed(sql_value(value, kind), kind);
                }
                sql.push(")");
            }
            if has_null {
                sql.push(" OR ").push(&expr).push(" IS NULL");
            }
            sql.push(")");
        }
        Filter::Text {
            function,
            path,
            value,
        } => {
            let (expr, _) = field_sql(sql.dialect, entity_type, &path.segments);
            let escaped = like_escape(value);
            let pattern = match function {
                TextMatch::Contains => format!("%{escaped}%"),
                TextMatch::StartsWith => format!("{escaped}%"),
                TextMatch::EndsWith => format!("%{escaped}"),
            };
            let ilike = sql.dialect.ilike();
            sql.push(&expr)
                .push(" ")
                .push(ilike)
                .push(" ")
                .bind(SqlValue::Text(pattern))
                .push(" ESCAPE '\\'");
        }
    }
}

/// The SQL for a field: a system column, or the typed JSON expression the indexes use.
fn field_sql(dialect: Dialect, entity_type: &EntityType, path: &[String]) -> (String, FieldKind) {
    let info = entity_type
        .field(path)
        .expect("paths are checked against the type before compiling");
    if info.system {
        (format!("r.{}", path[0]), info.kind)
    } else {
        (dialect.field_expr(path, info.kind), info.kind)
    }
}

fn sort_expr(dialect: Dialect, key: &SortKey) -> String {
    if key.system {
        format!("r.{}", key.path[0])
    } else {
        dialect.field_expr(&key.path, key.kind)
    }
}

fn sql_value(literal: &Literal, kind: FieldKind) -> SqlValue {
    match literal {
        Literal::Null => SqlValue::Null,
        Literal::Bool(b) => SqlValue::Bool(*b),
        Literal::String(s) => SqlValue::Text(s.clone()),
        Literal::Number(n) => match (kind, n.as_i64()) {
            (_, Some(i)) => SqlValue::Int(i),
            _ => SqlValue::Float(n.as_f64().unwrap_or(0.0)),
        },
    }
}

fn json_to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Bool(*b),
        Value::Number(n) => n
            .as_i64()
            .map_or_else(|| SqlValue::Float(n.as_f64().unwrap_or(0.0)), SqlValue::Int),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// "After the previous page's last row" as a predicate. NULL sorts first (smallest) in both
/// databases, so a key's NULLs come before its values ascending and after them descending.
fn push_keyset(sql: &mut SqlBuilder, plan: &ListPlan<'_>, values: &[Value], id: &str) {
    // A leading range on the first key lets the database start the index scan at the cursor.
    if let (Some(key), Some(value)) = (plan.order.first(), values.first())
        && !value.is_null()
        && !key.descending
    {
        sql.push(&sort_expr(sql.dialect, key)).push(" >= ");
        sql.bind_typed(json_to_sql(value), key.kind).push(" AND ");
    }
    push_keyset_from(sql, plan, values, id, 0);
}

fn push_keyset_from(
    sql: &mut SqlBuilder,
    plan: &ListPlan<'_>,
    values: &[Value],
    id: &str,
    index: usize,
) {
    let Some(key) = plan.order.get(index) else {
        let op = if plan.id_descending { " < " } else { " > " };
        sql.push("r.id")
            .push(op)
            .bind(SqlValue::Text(id.to_owned()));
        return;
    };
    let expr = sort_expr(sql.dialect, key);
    let value = values.get(index).unwrap_or(&Value::Null);
    sql.push("(");
    match (key.descending, value.is_null()) {
        (false, false) => {
            sql.push(&expr).push(" > ");
            sql.bind_typed(json_to_sql(value), key.kind);
            sql.push(" OR (").push(&expr).push(" = ");
            sql.bind_typed(json_to_sql(value), key.kind);
            sql.push(" AND ");
            push_keyset_from(sql, plan, values, id, index + 1);
            sql.push(")");
        }
        (false, true) => {
            sql.push(&expr)
                .push(" IS NOT NULL OR (")
                .push(&expr)
                .push(" IS NULL AND ");
            push_keyset_from(sql, plan, values, id, index + 1);
            sql.push(")");
        }
        (true, false) => {
            sql.push(&expr).push(" < ");
            sql.bind_typed(json_to_sql(value), key.kind);
            sql.push(" OR ")
                .push(&expr)
                .push(" IS NULL OR (")
                .push(&expr)
                .push(" = ");
            sql.bind_typed(json_to_sql(value), key.kind);
            sql.push(" AND ");
            push_keyset_from(sql, plan, values, id, index + 1);
            sql.push(")");
        }
        (true, true) => {
            sql.push(&expr).push(" IS NULL AND ");
            push_keyset_from(sql, plan, values, id, index + 1);
        }
    }
    sql.push(")");
}

/// Words of a search, stripped to letters and digits: nothing of the user's text can act as
/// query syntax.
fn search_words(search: &str) -> Vec<String> {
    search
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(16)
        .map(str::to_lowercase)
        .collect()
}

/// An FTS5 query: every word must occur, as a prefix (`"acm"*` finds "Acme").
fn fts5_query(search: &str) -> String {
    search_words(search)
        .iter()
        .map(|word| format!("\"{word}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A tsquery with the same meaning as [`fts5_query`].
fn tsquery(search: &str) -> String {
    search_words(search)
        .iter()
        .map(|word| format!("{word}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// Whether a search text has any word to look for.
pub fn has_search_words(search: &str) -> bool {
    !search_words(search).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_text_cannot_inject_query_syntax() {
        assert_eq!(
            fts5_query("acme\" OR x* NEAR(a"),
            "\"acme\"* \"or\"* \"x\"* \"near\"* \"a\"*"
        );
        assert_eq!(tsquery("Müller & co:*|!"), "müller:* & co:*");
        assert!(!has_search_words("  *&| "));
    }
}
