//! Calls into the host: records, configuration, logging, time. Each is checked against the
//! plugin's capabilities; a refusal comes back as [`HostError::Denied`] naming what is missing.
//!
//! In a component these are the WIT imports; on a native target (unit tests) they go to the
//! [`crate::testing::TestHost`] installed on the current thread.

use serde_json::Value;

use crate::events::FieldError;
use crate::ownership::{Member, Owners};

/// Query options, in the same language as the REST API.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `$filter`, e.g. `status eq 'active'`.
    pub filter: Option<String>,
    /// `$orderby`, e.g. `end_date desc`.
    pub order_by: Option<String>,
    /// `$top`: at most this many records (the host caps it).
    pub top: Option<u32>,
}

impl Query {
    /// A query with a `$filter`.
    pub fn filter(filter: impl Into<String>) -> Query {
        Query {
            filter: Some(filter.into()),
            ..Query::default()
        }
    }

    pub fn order_by(mut self, order_by: impl Into<String>) -> Query {
        self.order_by = Some(order_by.into());
        self
    }

    pub fn top(mut self, top: u32) -> Query {
        self.top = Some(top);
        self
    }
}

/// Why a host call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The manifest or the admin's grant does not allow this call.
    Denied(String),
    NotFound(String),
    Invalid(Vec<FieldError>),
    Conflict(String),
    BadRequest(String),
    /// This invocation used up its host calls.
    Limit(String),
    Failed(String),
}

impl std::fmt::Display for HostError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HostError::Denied(m) => write!(f, "denied: {m}"),
            HostError::NotFound(m) => write!(f, "not found: {m}"),
            HostError::Invalid(errors) => {
                write!(f, "invalid:")?;
                for e in errors {
                    write!(f, " {} ({}): {};", e.path, e.keyword, e.message)?;
                }
                Ok(())
            }
            HostError::Conflict(m) => write!(f, "conflict: {m}"),
            HostError::BadRequest(m) => write!(f, "bad request: {m}"),
            HostError::Limit(m) => write!(f, "limit: {m}"),
            HostError::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

impl std::error::Error for HostError {}

/// A record by id, or `None`.
pub fn get_record(entity_type: &str, id: &str) -> Result<Option<Value>, HostError> {
    imp::get_record(entity_type, id)
}

/// Records matching `query`, in order.
pub fn query_records(entity_type: &str, query: &Query) -> Result<Vec<Value>, HostError> {
    imp::query_records(entity_type, query)
}

/// Creates a record and returns it as stored (with `id` and `version`).
pub fn create_record(entity_type: &str, data: &Value) -> Result<Value, HostError> {
    imp::create_record(entity_type, data)
}

/// Applies a JSON merge patch to a record and returns it as stored.
pub fn update_record(entity_type: &str, id: &str, patch: &Value) -> Result<Value, HostError> {
    imp::update_record(entity_type, id, patch)
}

/// Deletes a record, applying the on-delete rules of lookups to it.
pub fn delete_record(entity_type: &str, id: &str) -> Result<(), HostError> {
    imp::delete_record(entity_type, id)
}

/// Gives a record new owners, exactly as given (`None` clears that owner), and returns it as
/// stored. Needs the write capability on the type; the user and team must exist in the
/// workspace (else [`HostError::Invalid`] at `/owned_by` or `/owning_team`). Audited, and
/// transactional like the plugin's other writes. API 0.2.0.
pub fn assign_record(entity_type: &str, id: &str, owners: &Owners) -> Result<Value, HostError> {
    imp::assign_record(entity_type, id, owners)
}

/// Every user of the workspace with their teams, by display name: for routing work to people.
/// Needs the `members` capability. API 0.2.0.
pub fn list_members() -> Result<Vec<Member>, HostError> {
    imp::list_members()
}

/// This plugin's configuration in the current workspace (`{}` when none is set).
pub fn config() -> Value {
    imp::config()
}

/// The current time, RFC 3339 UTC with microseconds (text order is time order).
pub fn now() -> String {
    imp::now()
}

/// Log levels for [`log`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// A line in the host's log, tagged by the host with the plugin, hook and request.
pub fn log(level: Level, message: &str) {
    imp::log(level, message)
}

#[cfg(target_arch = "wasm32")]
mod imp {
    use serde_json::Value;

    use super::{HostError, Level, Query};
    use crate::bindings::xrm::plugin::{host, types};
    use crate::events::FieldError;
    use crate::ownership::{Member, Owners, TeamRef};

    fn error(error: types::HostError) -> HostError {
        match error {
            types::HostError::Denied(m) => HostError::Denied(m),
            types::HostError::NotFound(m) => HostError::NotFound(m),
            types::HostError::Invalid(errors) => HostError::Invalid(
                errors
                    .into_iter()
                    .map(|e| FieldError {
                        path: e.path,
                        keyword: e.keyword,
                        message: e.message,
                    })
                    .collect(),
            ),
            types::HostError::Conflict(m) => HostError::Conflict(m),
            types::HostError::BadRequest(m) => HostError::BadRequest(m),
            types::HostError::Limit(m) => HostError::Limit(m),
            types::HostError::Failed(m) => HostError::Failed(m),
        }
    }

    fn parse(text: &str) -> Result<Value, HostError> {
        serde_json::from_str(text)
            .map_err(|e| HostError::Failed(format!("host sent bad JSON: {e}")))
    }

    pub fn get_record(entity_type: &str, id: &str) -> Result<Option<Value>, HostError> {
        host::get_record(entity_type, id)
            .map_err(error)?
            .as_deref()
            .map(parse)
            .transpose()
    }

    pub fn query_records(entity_type: &str, query: &Query) -> Result<Vec<Value>, HostError> {
        let query = types::Query {
            filter: query.filter.clone(),
            order_by: query.order_by.clone(),
            top: query.top,
        };
        host::query_records(entity_type, &query)
            .map_err(error)?
            .iter()
            .map(|text| parse(text))
            .collect()
    }

    pub fn create_record(entity_type: &str, data: &Value) -> Result<Value, HostError> {
        parse(&host::create_record(entity_type, &data.to_string()).map_err(error)?)
    }

    pub fn update_record(entity_type: &str, id: &str, patch: &Value) -> Result<Value, HostError> {
        parse(&host::update_record(entity_type, id, &patch.to_string()).map_err(error)?)
    }

    pub fn delete_record(entity_type: &str, id: &str) -> Result<(), HostError> {
        host::delete_record(entity_type, id).map_err(error)
    }

    pub fn assign_record(entity_type: &str, id: &str, owners: &Owners) -> Result<Value, HostError> {
        let owners = types::Ownership {
            owned_by: owners.owned_by.clone(),
            owning_team: owners.owning_team.clone(),
        };
        parse(&host::assign_record(entity_type, id, &owners).map_err(error)?)
    }

    pub fn list_members() -> Result<Vec<Member>, HostError> {
        Ok(host::list_members()
            .map_err(error)?
            .into_iter()
            .map(|member| Member {
                id: member.id,
                display_name: member.display_name,
                teams: member
                    .teams
                    .into_iter()
                    .map(|team| TeamRef {
                        id: team.id,
                        name: team.name,
                    })
                    .collect(),
                disabled: member.disabled,
            })
            .collect())
    }

    pub fn config() -> Value {
        parse(&host::config()).unwrap_or(Value::Null)
    }

    pub fn now() -> String {
        host::now()
    }

    pub fn log(level: Level, message: &str) {
        let level = match level {
            Level::Trace => types::LogLevel::Trace,
            Level::Debug => types::LogLevel::Debug,
            Level::Info => types::LogLevel::Info,
            Level::Warn => types::LogLevel::Warn,
            Level::Error => types::LogLevel::Error,
        };
        host::log(level, message)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use serde_json::Value;

    use super::{HostError, Level, Query};
    use crate::ownership::{Member, Owners};
    use crate::testing::with_host;

    pub fn get_record(entity_type: &str, id: &str) -> Result<Option<Value>, HostError> {
        with_host(|host| host.get_record(entity_type, id))
    }

    pub fn query_records(entity_type: &str, query: &Query) -> Result<Vec<Value>, HostError> {
        with_host(|host| host.query_records(entity_type, query))
    }

    pub fn create_record(entity_type: &str, data: &Value) -> Result<Value, HostError> {
        with_host(|host| host.create_record(entity_type, data))
    }

    pub fn update_record(entity_type: &str, id: &str, patch: &Value) -> Result<Value, HostError> {
        with_host(|host| host.update_record(entity_type, id, patch))
    }

    pub fn delete_record(entity_type: &str, id: &str) -> Result<(), HostError> {
        with_host(|host| host.delete_record(entity_type, id))
    }

    pub fn assign_record(entity_type: &str, id: &str, owners: &Owners) -> Result<Value, HostError> {
        with_host(|host| host.assign_record(entity_type, id, owners))
    }

    pub fn list_members() -> Result<Vec<Member>, HostError> {
        with_host(|host| host.list_members())
    }

    pub fn config() -> Value {
        with_host(|host| host.config.clone())
    }

    pub fn now() -> String {
        with_host(|host| host.now.clone())
    }

    pub fn log(level: Level, message: &str) {
        with_host(|host| host.logs.push((level, message.to_owned())))
    }
}
