//! The [`Plugin`] trait and the adapter between it and the generated WIT exports.

use serde_json::Value;

use crate::events::{
    ActionRequest, FieldError, RecordEvent, Refusal, Report, ReportRequest, ScheduleEvent,
};
use crate::ownership::BeforeChange;

/// A plugin: one function per hook, each with a default that does nothing. The host creates a
/// fresh instance for every call, so handlers are associated functions with no state to keep.
pub trait Plugin {
    /// Rules beyond JSON Schema; an empty list accepts the record.
    fn validate(_event: &RecordEvent) -> Vec<FieldError> {
        Vec::new()
    }

    /// Inside the write transaction: return a changed record to store instead, `None` to keep
    /// it, or a refusal. Host writes made here roll back with the request.
    fn before_change(_event: &RecordEvent) -> Result<Option<Value>, Refusal> {
        Ok(None)
    }

    /// [`Plugin::before_change`] that may also set the record's owners: a before-create hook
    /// that returns owners has the record inserted already owned by them (lead assignment), a
    /// before-update reassigns it. The host checks that the user and team exist in the
    /// workspace and that the plugin may write the type, in the request's transaction. The
    /// default runs `before_change` and keeps the owners.
    fn before_change_with_owners(event: &RecordEvent) -> Result<BeforeChange, Refusal> {
        Self::before_change(event).map(BeforeChange::from)
    }

    /// After commit, delivered at least once: make it idempotent. An error is retried.
    fn after_change(_event: &RecordEvent) -> Result<(), String> {
        Ok(())
    }

    /// A named action on one record; returns the action's output.
    fn action(request: &ActionRequest) -> Result<Value, Refusal> {
        Err(Refusal::Conflict(format!(
            "this plugin has no action {:?}",
            request.name
        )))
    }

    /// A named report.
    fn report(request: &ReportRequest) -> Result<Report, String> {
        Err(format!("this plugin has no report {:?}", request.name))
    }

    /// A periodic trigger.
    fn schedule(_event: &ScheduleEvent) -> Result<(), String> {
        Ok(())
    }
}

/// Converts between the WIT types and the SDK's, for [`crate::export_plugin!`].
pub mod adapter {
    use serde_json::Value;

    use super::Plugin;
    use crate::bindings::xrm::plugin::types as wit;
    use crate::events::{self, FieldError, Operation, Refusal};

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    pub fn event(event: wit::RecordEvent) -> events::RecordEvent {
        events::RecordEvent {
            entity_type: event.entity_type,
            operation: match event.operation {
                wit::Operation::Create => Operation::Create,
                wit::Operation::Update => Operation::Update,
                wit::Operation::Delete => Operation::Delete,
            },
            id: event.id,
            record: event.record.as_deref().map(parse),
            previous: event.previous.as_deref().map(parse),
            actor: event.actor,
        }
    }

    fn field_errors(errors: Vec<FieldError>) -> Vec<wit::FieldError> {
        errors
            .into_iter()
            .map(|e| wit::FieldError {
                path: e.path,
                keyword: e.keyword,
                message: e.message,
            })
            .collect()
    }

    fn refusal(refusal: Refusal) -> wit::Refusal {
        match refusal {
            Refusal::Invalid(errors) => wit::Refusal::Invalid(field_errors(errors)),
            Refusal::Conflict(message) => wit::Refusal::Conflict(message),
        }
    }

    pub fn validate<P: Plugin>(event: wit::RecordEvent) -> Vec<wit::FieldError> {
        field_errors(P::validate(&self::event(event)))
    }

    pub fn before_change<P: Plugin>(
        event: wit::RecordEvent,
    ) -> Result<wit::BeforeChangeResult, wit::Refusal> {
        P::before_change_with_owners(&self::event(event))
            .map(|change| wit::BeforeChangeResult {
                record: change.record.map(|r| r.to_string()),
                ownership: change.owners.map(|owners| wit::Ownership {
                    owned_by: owners.owned_by,
                    owning_team: owners.owning_team,
                }),
            })
            .map_err(refusal)
    }

    pub fn after_change<P: Plugin>(event: wit::RecordEvent) -> Result<(), String> {
        P::after_change(&self::event(event))
    }

    pub fn action<P: Plugin>(request: wit::ActionRequest) -> Result<String, wit::Refusal> {
        let request = events::ActionRequest {
            entity_type: request.entity_type,
            id: request.id,
            name: request.name,
            input: parse(&request.input),
            actor: request.actor,
        };
        P::action(&request)
            .map(|output| output.to_string())
            .map_err(refusal)
    }

    pub fn report<P: Plugin>(request: wit::ReportRequest) -> Result<wit::Report, String> {
        let request = events::ReportRequest {
            name: request.name,
            parameters: parse(&request.parameters),
            actor: request.actor,
        };
        let report = P::report(&request)?;
        Ok(wit::Report {
            columns: report
                .columns
                .into_iter()
                .map(|c| wit::Column {
                    name: c.name,
                    label: c.label,
                    kind: match c.kind {
                        events::ColumnKind::Text => wit::ColumnKind::Text,
                        events::ColumnKind::Number => wit::ColumnKind::Number,
                        events::ColumnKind::Integer => wit::ColumnKind::Integer,
                        events::ColumnKind::Boolean => wit::ColumnKind::Boolean,
                        events::ColumnKind::Date => wit::ColumnKind::Date,
                        events::ColumnKind::DateTime => wit::ColumnKind::DateTime,
                    },
                })
                .collect(),
            rows: report
                .rows
                .into_iter()
                .map(|row| Value::Array(row).to_string())
                .collect(),
            chart: report.chart.map(|chart| wit::Chart {
                kind: match chart.kind {
                    events::ChartKind::Bar => wit::ChartKind::Bar,
                    events::ChartKind::Line => wit::ChartKind::Line,
                    events::ChartKind::Pie => wit::ChartKind::Pie,
                },
                x: chart.x,
                y: chart.y,
            }),
        })
    }

    pub fn schedule<P: Plugin>(event: wit::ScheduleEvent) -> Result<(), String> {
        P::schedule(&events::ScheduleEvent {
            name: event.name,
            fired_at: event.fired_at,
        })
    }
}
