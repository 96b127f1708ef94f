//! The typed events and results a plugin works with: the WIT types with JSON already parsed.

use serde_json::Value;

/// What is happening to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
}

/// A record event, given to `validate`, `before_change` and `after_change`.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordEvent {
    pub entity_type: String,
    pub operation: Operation,
    /// The record's id; already assigned on create.
    pub id: String,
    /// The record as it will be stored (create, update), with its system fields.
    pub record: Option<Value>,
    /// The stored record before the change (update, delete).
    pub previous: Option<Value>,
    /// Who asked for the change.
    pub actor: String,
}

impl RecordEvent {
    /// A create event for `record` (tests).
    pub fn create(entity_type: &str, record: Value) -> RecordEvent {
        RecordEvent {
            entity_type: entity_type.to_owned(),
            operation: Operation::Create,
            id: record["id"]
                .as_str()
                .unwrap_or("00000000-0000-7000-8000-000000000001")
                .to_owned(),
            record: Some(record),
            previous: None,
            actor: "test".to_owned(),
        }
    }

    /// An update event from `previous` to `record` (tests).
    pub fn update(entity_type: &str, previous: Value, record: Value) -> RecordEvent {
        RecordEvent {
            operation: Operation::Update,
            previous: Some(previous),
            ..RecordEvent::create(entity_type, record)
        }
    }

    /// A top-level field of the new record (or, on delete, of the stored one).
    pub fn field(&self, name: &str) -> Option<&Value> {
        self.record
            .as_ref()
            .or(self.previous.as_ref())
            .and_then(|record| record.get(name))
            .filter(|value| !value.is_null())
    }

    /// A top-level string field.
    pub fn str_field(&self, name: &str) -> Option<&str> {
        self.field(name).and_then(Value::as_str)
    }

    /// A top-level field of the stored record before the change.
    pub fn previous_field(&self, name: &str) -> Option<&Value> {
        self.previous
            .as_ref()
            .and_then(|record| record.get(name))
            .filter(|v| !v.is_null())
    }

    /// Whether an update changes `name`.
    pub fn changed(&self, name: &str) -> bool {
        self.record.as_ref().and_then(|r| r.get(name))
            != self.previous.as_ref().and_then(|r| r.get(name))
    }
}

/// One problem with one field; joins the schema errors in the response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON Pointer to the field, e.g. "/end_date"; "" for the record as a whole.
    pub path: String,
    /// A short, stable rule name, e.g. "end-after-start".
    pub keyword: String,
    pub message: String,
}

impl FieldError {
    pub fn new(path: &str, keyword: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            path: path.to_owned(),
            keyword: keyword.to_owned(),
            message: message.into(),
        }
    }
}

/// Why a plugin refuses an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Field problems: answered with 422 and these errors.
    Invalid(Vec<FieldError>),
    /// A business rule refuses the whole operation: answered with 409 and this message.
    Conflict(String),
}

impl Refusal {
    /// A refusal naming one field.
    pub fn field(path: &str, keyword: &str, message: impl Into<String>) -> Refusal {
        Refusal::Invalid(vec![FieldError::new(path, keyword, message)])
    }
}

/// A named action on one record.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    pub entity_type: String,
    pub id: String,
    pub name: String,
    /// The request body, already validated against the action's input schema.
    pub input: Value,
    pub actor: String,
}

/// A named report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportRequest {
    pub name: String,
    /// The request's query parameters, as a JSON object of strings.
    pub parameters: Value,
    pub actor: String,
}

/// How a report column's values are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Number,
    Integer,
    Boolean,
    Date,
    DateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub label: String,
    pub kind: ColumnKind,
}

impl Column {
    pub fn new(name: &str, label: &str, kind: ColumnKind) -> Column {
        Column {
            name: name.to_owned(),
            label: label.to_owned(),
            kind,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Bar,
    Line,
    Pie,
}

/// A hint for the UI: chart column `x` against the columns `y`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub kind: ChartKind,
    pub x: String,
    pub y: Vec<String>,
}

/// A report's result: columns, one JSON array per row, an optional chart hint.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Value>>,
    pub chart: Option<Chart>,
}

/// A periodic trigger fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleEvent {
    /// The schedule's name in the manifest.
    pub name: String,
    /// When it was due, RFC 3339 UTC.
    pub fired_at: String,
}
