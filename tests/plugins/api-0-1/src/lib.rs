//! A plugin of the plugin API 0.1.0, bound straight from `sdk/wit/0.1.0` (a released WIT
//! version is never edited), so it stays what a component built before 0.2.0 is. On `lead`:
//! `validate` refuses the name "refused by 0.1", `before-create` stamps `legacy_stamp`, and the
//! `legacy-touch` action uses every record host call of 0.1.0.

wit_bindgen::generate!({
    path: "../../../sdk/wit/0.1.0",
    world: "plugin",
});

use exports::xrm::plugin::hooks::Guest;
use xrm::plugin::host;
use xrm::plugin::types::{
    ActionRequest, FieldError, LogLevel, Query, RecordEvent, Refusal, Report, ReportRequest,
    ScheduleEvent,
};

struct Legacy;

/// The value of a top-level string member of a JSON object, found without a JSON library (the
/// crate depends on wit-bindgen alone): enough for the flat test records it reads.
fn string_member<'a>(json: &'a str, name: &str) -> Option<&'a str> {
    let key = format!("\"{name}\"");
    let after = &json[json.find(&key)? + key.len()..];
    let value = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Some(&value[..value.find('"')?])
}

fn conflict(what: &str, error: impl std::fmt::Debug) -> Refusal {
    Refusal::Conflict(format!("{what} failed: {error:?}"))
}

impl Guest for Legacy {
    fn validate(event: RecordEvent) -> Vec<FieldError> {
        let record = event.record.unwrap_or_default();
        if string_member(&record, "name") == Some("refused by 0.1") {
            return vec![FieldError {
                path: "/name".into(),
                keyword: "legacy-rule".into(),
                message: "the API 0.1.0 plugin refuses this name".into(),
            }];
        }
        Vec::new()
    }

    fn before_change(event: RecordEvent) -> Result<Option<String>, Refusal> {
        let Some(record) = event.record else {
            return Ok(None);
        };
        // The record is a JSON object: add one member before the closing brace.
        let body = record.trim_end().strip_suffix('}').unwrap_or("{");
        let separator = if body.trim_end().ends_with('{') {
            ""
        } else {
            ","
        };
        Ok(Some(format!(
            "{body}{separator}\"legacy_stamp\":\"0.1.0\"}}"
        )))
    }

    fn after_change(_event: RecordEvent) -> Result<(), String> {
        Ok(())
    }

    fn run_action(request: ActionRequest) -> Result<String, Refusal> {
        let found = host::get_record(&request.entity_type, &request.id)
            .map_err(|e| conflict("get-record", e))?
            .ok_or_else(|| Refusal::Conflict("the record is gone".into()))?;
        let listed = host::query_records(
            &request.entity_type,
            &Query {
                filter: Some(format!("id eq '{}'", request.id)),
                order_by: None,
                top: Some(5),
            },
        )
        .map_err(|e| conflict("query-records", e))?;
        host::log(LogLevel::Info, "legacy-touch");
        let patch = format!("{{\"legacy_stamp\":\"touched at {}\"}}", host::now());
        let updated = host::update_record(&request.entity_type, &request.id, &patch)
            .map_err(|e| conflict("update-record", e))?;
        let name = string_member(&found, "name").unwrap_or_default();
        Ok(format!(
            "{{\"listed\":{},\"name\":\"{name}\",\"record\":{updated}}}",
            listed.len()
        ))
    }

    fn run_report(request: ReportRequest) -> Result<Report, String> {
        Err(format!("no report {}", request.name))
    }

    fn schedule(_event: ScheduleEvent) -> Result<(), String> {
        Ok(())
    }
}

export!(Legacy);
