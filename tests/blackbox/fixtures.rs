//! Small entity types written for the tests, so each test states exactly the schema it relies
//! on instead of depending on the shipped ones.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use xrm_tests::TestServer;

/// A customer: required name, unique email, an enum, numbers, a date, a nested address, and
/// no fields beyond those declared.
pub fn customer_type() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "email": {"type": "string", "format": "email"},
            "status": {"type": "string", "enum": ["prospect", "active", "churned"]},
            "tier": {"type": "integer", "minimum": 1, "maximum": 5},
            "lifetime_value": {"type": "number", "minimum": 0},
            "birthday": {"type": "string", "format": "date"},
            "vip": {"type": "boolean"},
            "notes": {"type": "string"},
            "address": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "city": {"type": "string"},
                    "country": {"type": "string"}
                }
            }
        },
        "x-xrm": {
            "name": "customer",
            "display_name": "Customer",
            "title_field": "name",
            "indexed": ["status", "tier", "lifetime_value", "address/city"],
            "unique": ["email"],
            "search": ["name", "email", "notes"]
        }
    })
}

/// A complaint about a customer (cascade: a customer's complaints go with it), with a
/// state machine on `status`.
pub fn complaint_type() -> Value {
    json!({
        "type": "object",
        "required": ["subject", "customer_id"],
        "properties": {
            "subject": {"type": "string"},
            "customer_id": {"type": "string"},
            "severity": {"type": "string", "enum": ["low", "medium", "high"]},
            "status": {"type": "string", "enum": ["new", "open", "resolved", "closed"]}
        },
        "x-xrm": {
            "name": "complaint",
            "display_name": "Complaint",
            "title_field": "subject",
            "indexed": ["severity"],
            "lookups": {
                "customer_id": {"target": "customer", "on_delete": "cascade"}
            },
            "state_machine": {
                "field": "status",
                "initial": ["new"],
                "transitions": {
                    "new": ["open"],
                    "open": ["resolved"],
                    "resolved": ["closed", "open"]
                }
            }
        }
    })
}

/// A type with only a `name`, used as the target of lookups.
pub fn named_type(name: &str) -> Value {
    json!({
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}},
        "x-xrm": {"name": name, "display_name": name, "title_field": "name"}
    })
}

/// A ticket: unique `code`, a state machine, and one lookup per on-delete rule:
/// `customer_id` restricts, `project_id` cascades, `assignee_id` is cleared.
pub fn ticket_type() -> Value {
    json!({
        "type": "object",
        "required": ["code", "title", "customer_id"],
        "properties": {
            "code": {"type": "string", "pattern": "^T-[0-9]+$"},
            "title": {"type": "string"},
            "status": {"type": "string", "enum": ["new", "open", "resolved", "closed", "rejected"]},
            "customer_id": {"type": "string"},
            "project_id": {"type": "string"},
            "assignee_id": {"type": "string"}
        },
        "x-xrm": {
            "name": "ticket",
            "display_name": "Ticket",
            "title_field": "title",
            "unique": ["code"],
            "lookups": {
                "customer_id": {"target": "customer", "on_delete": "restrict"},
                "project_id": {"target": "project", "on_delete": "cascade"},
                "assignee_id": {"target": "agent", "on_delete": "set_null"}
            },
            "state_machine": {
                "field": "status",
                "initial": ["new"],
                "transitions": {
                    "new": ["open", "rejected"],
                    "open": ["resolved"],
                    "resolved": ["closed", "open"]
                }
            }
        }
    })
}

/// Creates `customer`.
pub async fn with_customers(server: &TestServer) {
    server.create_type(&customer_type()).await;
}

/// Creates `customer` and `complaint`.
pub async fn with_complaints(server: &TestServer) {
    server.create_type(&customer_type()).await;
    server.create_type(&complaint_type()).await;
}

/// Creates `customer`, `project`, `agent` and `ticket`.
pub async fn with_tickets(server: &TestServer) {
    server.create_type(&customer_type()).await;
    server.create_type(&named_type("project")).await;
    server.create_type(&named_type("agent")).await;
    server.create_type(&ticket_type()).await;
}

/// The `id` of a record body.
pub fn id_of(record: &Value) -> String {
    record["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {record}"))
        .to_owned()
}

/// A random UUID that names no record.
pub fn random_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Every id of a type, read page by page before anything else writes.
pub async fn all_ids(server: &TestServer, type_name: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut options = vec![("$top", "100"), ("$select", "id")];
        if let Some(cursor) = &cursor {
            options.push(("$cursor", cursor.as_str()));
        }
        let page = server.list(type_name, &options).await;
        page.expect_status(200);
        ids.extend(page.values().iter().map(id_of));
        cursor = page.body["next_cursor"].as_str().map(str::to_owned);
        if cursor.is_none() {
            return ids;
        }
    }
}

/// Runs futures concurrently on the current task and collects their outputs in order.
pub async fn join_all<F: std::future::Future>(
    futures: impl IntoIterator<Item = F>,
) -> Vec<F::Output> {
    let mut set = Vec::new();
    for future in futures {
        set.push(Box::pin(future));
    }
    // Poll all of them together; no extra dependency for join_all.
    let mut outputs: Vec<Option<F::Output>> = (0..set.len()).map(|_| None).collect();
    std::future::poll_fn(|context| {
        let mut pending = false;
        for (index, future) in set.iter_mut().enumerate() {
            if outputs[index].is_none() {
                match future.as_mut().poll(context) {
                    std::task::Poll::Ready(output) => outputs[index] = Some(output),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs
        .into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// Days since 1970-01-01 to (year, month, day): Howard Hinnant's conversion, for tests that
/// write dates relative to today.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}
