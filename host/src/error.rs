//! The one error type of the host. Every layer returns it; `api::problem` alone maps it to HTTP.

use serde::Serialize;
use serde_json::Value;

/// A problem with one field (or one place) of the input, reported to the client as is.
///
/// `path` is a JSON Pointer into the offending document (`/billing_address/city`), or the name
/// of a query option (`$filter`) for query errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldError {
    pub path: String,
    pub keyword: String,
    pub message: String,
}

impl FieldError {
    pub fn new(
        path: impl Into<String>,
        keyword: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            path: path.into(),
            keyword: keyword.into(),
            message: message.into(),
        }
    }
}

/// One failed item of a bulk request: the index in the request and why it failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemError {
    pub index: usize,
    pub status: u16,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

/// Why an entity-type update was refused: which stored records the new schema would reject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvalidRecordsReport {
    /// The entity type whose change was refused (a package upgrade may change several).
    pub entity_type: String,
    /// How many stored records fail the new schema.
    pub invalid_count: u64,
    /// How many records were checked.
    pub checked_count: u64,
    /// The first offending records (at most 20), each with its failing paths.
    pub examples: Vec<InvalidRecordExample>,
}

/// One stored record that the proposed schema would reject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvalidRecordExample {
    pub id: String,
    pub errors: Vec<FieldError>,
}

/// Everything that can go wrong in the host, by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The request itself is malformed: unparsable JSON, a bad query option, a bad id.
    #[error("{detail}")]
    BadRequest {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The input is well-formed but breaks the rules: schema validation, lookups, state machine.
    #[error("{detail}")]
    Unprocessable {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{what} not found")]
    NotFound { what: String },
    /// No valid session or token, or a failed sign-in.
    #[error("{detail}")]
    Unauthenticated { code: &'static str, detail: String },
    /// Signed in, but the role does not allow it (or a cookie request lacks its CSRF token).
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    /// Too many requests or failed sign-ins; the client may retry after the wait.
    #[error("{detail}")]
    TooManyRequests {
        code: &'static str,
        detail: String,
        retry_after_secs: u64,
    },
    /// The write collides with existing data: a unique value, a restricting lookup, a name taken.
    #[error("{detail}")]
    Conflict {
        code: &'static str,
        detail: String,
        errors: Vec<FieldError>,
    },
    /// `If-Match` named a version that is no longer current.
    #[error(
        "the record was changed by someone else: you sent version {expected}, the current version is {current}"
    )]
    PreconditionFailed { expected: String, current: i64 },
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    #[error("{detail}")]
    MethodNotAllowed { detail: String },
    /// A bulk request failed; nothing was written. Carries the per-item errors.
    #[error("{failed} of {total} items failed; nothing was written")]
    Bulk {
        total: usize,
        failed: usize,
        items: Vec<ItemError>,
    },
    /// An entity-type update would make stored records invalid.
    #[error("{report_detail}", report_detail = invalid_records_detail(report))]
    InvalidRecords { report: InvalidRecordsReport },
    /// The database is unreachable or overloaded; the client may retry.
    #[error("the database is not available: {0}")]
    Unavailable(String),
    /// A database error that the client cannot fix; logged, never shown in detail.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("internal error: {0}")]
    Internal(String),
    /// A plugin failed (deadline, memory, trap, bad output) during a synchronous hook or an
    /// action: the request is refused and nothing is written. The message names the plugin,
    /// the hook and the reason, for the admin who installed it.
    #[error("{0}")]
    PluginFailed(crate::plugin::Failure),
}

fn invalid_records_detail(report: &InvalidRecordsReport) -> String {
    format!(
        "{} of {} stored {} records would be invalid under the new schema; fix them first, or repeat the \
         request with ?allow_invalid_records=true to accept the schema anyway",
        report.invalid_count, report.checked_count, report.entity_type
    )
}

impl Error {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Error::BadRequest {
            code,
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn unprocessable(
        code: &'static str,
        detail: impl Into<String>,
        errors: Vec<FieldError>,
    ) -> Self {
        Error::Unprocessable {
            code,
            detail: detail.into(),
            errors,
        }
    }

    pub fn conflict(
        code: &'static str,
        detail: impl Into<String>,
        errors: Vec<FieldError>,
    ) -> Self {
        Error::Conflict {
            code,
            detail: detail.into(),
            errors,
        }
    }

    /// The role does not allow an operation; `detail` names it.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Error::Forbidden {
            code: "forbidden",
            detail: detail.into(),
        }
    }

    /// No valid credential came with the request.
    pub fn unauthenticated() -> Self {
        Error::Unauthenticated {
            code: "unauthenticated",
            detail: "sign in, or send an API token as 'Authorization: Bearer xrm_…'".to_owned(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Error::NotFound { what: what.into() }
    }

    /// The HTTP status of an error: the one table of it (`api::problem` renders the body).
    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest { .. } => 400,
            Error::Unprocessable { .. } | Error::Bulk { .. } => 422,
            Error::NotFound { .. } => 404,
            Error::Unauthenticated { .. } => 401,
            Error::Forbidden { .. } => 403,
            Error::TooManyRequests { .. } => 429,
            Error::Conflict { .. } | Error::InvalidRecords { .. } => 409,
            Error::PreconditionFailed { .. } => 412,
            Error::PayloadTooLarge { .. } => 413,
            Error::UnsupportedMediaType { .. } => 415,
            Error::MethodNotAllowed { .. } => 405,
            Error::Unavailable(_) => 503,
            Error::PluginFailed(failure) if failure.kind == crate::plugin::FailureKind::Busy => 503,
            Error::PluginFailed(_) => 502,
            Error::Database(_) | Error::Internal(_) => 500,
        }
    }

    /// The stable, documented code of an error (`docs/api.md` lists them all).
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadRequest { code, .. }
            | Error::Unprocessable { code, .. }
            | Error::Conflict { code, .. }
            | Error::Unauthenticated { code, .. }
            | Error::Forbidden { code, .. }
            | Error::TooManyRequests { code, .. } => code,
            Error::NotFound { .. } => "not_found",
            Error::PreconditionFailed { .. } => "version_mismatch",
            Error::PayloadTooLarge { .. } => "payload_too_large",
            Error::UnsupportedMediaType { .. } => "unsupported_media_type",
            Error::MethodNotAllowed { .. } => "method_not_allowed",
            Error::Bulk { .. } => "bulk_failed",
            Error::InvalidRecords { .. } => "stored_records_invalid",
            Error::Unavailable(_) => "unavailable",
            Error::PluginFailed(_) => "plugin_failed",
            Error::Database(_) | Error::Internal(_) => "internal",
        }
    }

    /// The field errors this error carries, for clients that show them next to inputs.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Error::BadRequest { errors, .. }
            | Error::Unprocessable { errors, .. }
            | Error::Conflict { errors, .. } => errors,
            _ => &[],
        }
    }
}

/// Extra members of a problem document beyond the standard ones.
pub fn extension_members(error: &Error) -> Option<(&'static str, Value)> {
    match error {
        Error::Bulk { items, .. } => {
            Some(("items", serde_json::to_value(items).unwrap_or(Value::Null)))
        }
        Error::InvalidRecords { report } => Some((
            "report",
            serde_json::to_value(report).unwrap_or(Value::Null),
        )),
        Error::TooManyRequests {
            retry_after_secs, ..
        } => Some(("retry_after", Value::from(*retry_after_secs))),
        Error::PreconditionFailed { current, .. } => {
            Some(("current_version", Value::from(*current)))
        }
        _ => None,
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
