//! Running built SQL on either database: binding [`SqlValue`]s and decoding the few row shapes
//! the store reads. Generic over the sqlx driver so that each operation is written once.

use sqlx::{
    Arguments, AssertSqlSafe, Database, Decode, Encode, Executor, IntoArguments, Row, Type,
};

use super::records::StoredRecord;
use super::sql::{SqlBuilder, SqlValue};
use super::{Backend, Store, Tx, TxConn};
use crate::error::Result;

fn arguments<DB>(
    binds: Vec<SqlValue>,
) -> std::result::Result<DB::Arguments, sqlx::error::BoxDynError>
where
    DB: Database,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
{
    let mut arguments = DB::Arguments::default();
    for value in binds {
        match value {
            SqlValue::Null => arguments.add(None::<String>)?,
            SqlValue::Bool(b) => arguments.add(b)?,
            SqlValue::Int(i) => arguments.add(i)?,
            SqlValue::Float(f) => arguments.add(f)?,
            SqlValue::Text(t) => arguments.add(t)?,
        }
    }
    Ok(arguments)
}

async fn execute<'e, DB, E>(executor: E, builder: SqlBuilder) -> Result<u64>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
    usize: sqlx::ColumnIndex<<DB as Database>::Row>,
    <DB as Database>::QueryResult: RowsAffected,
{
    let arguments = arguments::<DB>(builder.binds).map_err(sqlx::Error::Encode)?;
    let result = sqlx::query_with(AssertSqlSafe(builder.sql), arguments)
        .execute(executor)
        .await?;
    Ok(result.rows_affected())
}

async fn fetch_rows<'e, DB, E>(executor: E, builder: SqlBuilder) -> Result<Vec<DB::Row>>
where
    DB: Database,
    E: Executor<'e, Database = DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    for<'q> f64: Encode<'q, DB> + Type<DB>,
    for<'q> String: Encode<'q, DB> + Type<DB> + Decode<'q, DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    <DB as Database>::Arguments: IntoArguments<DB>,
    usize: sqlx::ColumnIndex<<DB as Database>::Row>,
{
    let arguments = arguments::<DB>(builder.binds).map_err(sqlx::Error::Encode)?;
    Ok(sqlx::query_with(AssertSqlSafe(builder.sql), arguments)
        .fetch_all(executor)
        .await?)
}

/// The number of rows a statement changed, on any driver.
pub(super) trait RowsAffected {
    fn rows_affected(&self) -> u64;
}
impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::sqlite::SqliteQueryResult::rows_affected(self)
    }
}
impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        sqlx::postgres::PgQueryResult::rows_affected(self)
    }
}

fn decode_record<R: Row>(row: &R) -> std::result::Result<StoredRecord, sqlx::Error>
where
    for<'q> i64: Decode<'q, R::Database> + Type<R::Database>,
    for<'q> String: Decode<'q, R::Database> + Type<R::Database>,
    for<'q> Option<String>: Decode<'q, R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    Ok(StoredRecord {
        id: row.try_get(0)?,
        entity_type: row.try_get(1)?,
        version: row.try_get(2)?,
        data: row.try_get(3)?,
        created_at: row.try_get(4)?,
        updated_at: row.try_get(5)?,
        created_by: row.try_get(6)?,
        updated_by: row.try_get(7)?,
        owned_by: row.try_get(8)?,
        owning_team: row.try_get(9)?,
    })
}

/// Runs `$body` with `$exec` bound to the executor of whichever database is behind `$on`.
macro_rules! dispatch_tx {
    ($tx:expr, $exec:ident => $body:expr) => {
        match &mut $tx.conn {
            TxConn::Sqlite(tx) => {
                let $exec = &mut **tx;
                $body
            }
            TxConn::Postgres(tx) => {
                let $exec = &mut **tx;
                $body
            }
        }
    };
}

macro_rules! dispatch_read {
    ($store:expr, $exec:ident => $body:expr) => {
        match &$store.backend {
            Backend::Sqlite { read, .. } => {
                let $exec = read;
                $body
            }
            Backend::Postgres(pool) => {
                let $exec = pool;
                $body
            }
        }
    };
}

/// The statements the store runs, the same on a transaction and on the read pool.
macro_rules! define_runner {
    ($ty:ty, $dispatch:ident) => {
        // Not every statement shape is needed on both; one definition keeps them identical.
        #[allow(dead_code)]
        impl $ty {
            /// Runs a statement; returns the number of rows it changed.
            pub(super) async fn execute(&mut self, builder: SqlBuilder) -> Result<u64> {
                $dispatch!(self, exec => execute(exec, builder).await)
            }

            /// Reads full records (the columns of `records::RECORD_COLUMNS`).
            pub(super) async fn fetch_records(&mut self, builder: SqlBuilder) -> Result<Vec<StoredRecord>> {
                $dispatch!(self, exec => {
                    let rows = fetch_rows(exec, builder).await?;
                    rows.iter().map(decode_record).collect::<std::result::Result<_, _>>().map_err(Into::into)
                })
            }

            /// Reads the first column of every row as text.
            pub(super) async fn fetch_strings(&mut self, builder: SqlBuilder) -> Result<Vec<String>> {
                $dispatch!(self, exec => {
                    let rows = fetch_rows(exec, builder).await?;
                    rows.iter().map(|row| row.try_get::<String, _>(0)).collect::<std::result::Result<_, _>>().map_err(Into::into)
                })
            }

            /// Reads the first two columns of every row as text.
            pub(super) async fn fetch_pairs(&mut self, builder: SqlBuilder) -> Result<Vec<(String, String)>> {
                $dispatch!(self, exec => {
                    let rows = fetch_rows(exec, builder).await?;
                    rows.iter()
                        .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?)))
                        .collect::<std::result::Result<_, sqlx::Error>>()
                        .map_err(Into::into)
                })
            }

            /// Reads every column of every row as optional text; the SQL casts other columns.
            pub(super) async fn fetch_text_rows(&mut self, builder: SqlBuilder) -> Result<Vec<Vec<Option<String>>>> {
                $dispatch!(self, exec => {
                    let rows = fetch_rows(exec, builder).await?;
                    rows.iter()
                        .map(|row| (0..row.len()).map(|i| row.try_get::<Option<String>, _>(i)).collect::<std::result::Result<Vec<_>, _>>())
                        .collect::<std::result::Result<_, sqlx::Error>>()
                        .map_err(Into::into)
                })
            }

            /// Reads one integer (a count, a version), if there is a row.
            pub(super) async fn fetch_i64(&mut self, builder: SqlBuilder) -> Result<Option<i64>> {
                $dispatch!(self, exec => {
                    let rows = fetch_rows(exec, builder).await?;
                    rows.first().map(|row| row.try_get::<i64, _>(0)).transpose().map_err(Into::into)
                })
            }
        }
    };
}

define_runner!(Tx, dispatch_tx);

/// Read-only access through the read pool, outside any transaction.
pub(super) struct Reader<'a> {
    backend: &'a Backend,
}

impl Store {
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader {
            backend: &self.backend,
        }
    }
}

define_runner!(Reader<'_>, dispatch_read);
