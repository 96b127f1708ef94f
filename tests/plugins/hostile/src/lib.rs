//! Misbehaves on purpose. The `mode` field of the record (type `hostile_target`) picks how:
//! `loop`, `memory`, `recurse`, `shadow-stack`, `panic`, `huge`, `bad-json`, `undeclared-read`,
//! `undeclared-write`, `host-call-storm`, `write-then-refuse`, and the per-field capability
//! probes `peek`, `read-other`, `write-secret`, `filter-secret`, `set-secret` (its manifest
//! limits it to `name`, `mode` and `note`); any other value is accepted.
//! The black-box tests install it and check that each failure stays inside its invocation.

use xrm_sdk::prelude::*;

struct Hostile;

fn mode(event: &RecordEvent) -> String {
    event.str_field("mode").unwrap_or_default().to_owned()
}

/// Recursion the optimiser cannot turn into a loop; its frames live on the wasm stack.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse(depth + 1) + 1
}

/// Recursion whose frames keep a buffer in linear memory: exhausts the plugin's own stack.
#[inline(never)]
fn recurse_with_buffer(depth: u64, buffer: [u8; 256]) -> u64 {
    let next = std::hint::black_box(buffer);
    if std::hint::black_box(depth) == u64::MAX {
        return 0;
    }
    recurse_with_buffer(depth + 1, next) + u64::from(next[0])
}

impl Plugin for Hostile {
    fn validate(event: &RecordEvent) -> Vec<FieldError> {
        match mode(event).as_str() {
            "loop" => {
                let mut counter = 0u64;
                loop {
                    counter = std::hint::black_box(counter.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1024 * 1024]);
                    std::hint::black_box(&hoard);
                }
            }
            "recurse" => {
                let depth = recurse(0);
                vec![FieldError::new(
                    "",
                    "recurse",
                    format!("returned at depth {depth}"),
                )]
            }
            "shadow-stack" => {
                let depth = recurse_with_buffer(0, [1u8; 256]);
                vec![FieldError::new(
                    "",
                    "recurse",
                    format!("returned at depth {depth}"),
                )]
            }
            "panic" => panic!("the hostile plugin panics on purpose"),
            "huge" => (0..20_000)
                .map(|i| {
                    FieldError::new(
                        "/mode",
                        "huge",
                        format!("error number {i} {}", "x".repeat(100)),
                    )
                })
                .collect(),
            "undeclared-read" => {
                match host::get_record("customer", "00000000-0000-7000-8000-000000000001") {
                    Err(error) => vec![FieldError::new("/mode", "host-error", error.to_string())],
                    Ok(_) => vec![FieldError::new(
                        "/mode",
                        "host-error",
                        "the host let an undeclared read through",
                    )],
                }
            }
            "host-call-storm" => loop {
                let _ = std::hint::black_box(host::now());
                host::log(host::Level::Trace, "storm");
            },
            _ => Vec::new(),
        }
    }

    fn before_change(event: &RecordEvent) -> Result<Option<Value>, Refusal> {
        match mode(event).as_str() {
            "undeclared-write" => {
                match host::create_record("customer", &json!({"name": "Smuggled"})) {
                    Err(error) => Err(Refusal::Conflict(error.to_string())),
                    Ok(_) => Ok(None),
                }
            }
            "bad-json" => Ok(Some(Value::String("not an object".into()))),
            // Fills a member the type may require, as a deadline or a score would be.
            "fill-note" => {
                let mut record = event.record.clone().unwrap_or_default();
                if record.get("note").is_none() {
                    record["note"] = Value::String("filled by the plugin".into());
                }
                Ok(Some(record))
            }
            "write-then-refuse" => {
                // A write the plugin may make, then a refusal: the write must roll back with it.
                host::create_record(
                    "hostile_target",
                    &json!({"name": "side effect", "mode": "side-effect"}),
                )
                .map_err(|e| Refusal::Conflict(e.to_string()))?;
                Err(Refusal::Conflict("refusing after a write".into()))
            }
            "write-then-trap" => {
                host::create_record(
                    "hostile_target",
                    &json!({"name": "side effect", "mode": "side-effect"}),
                )
                .map_err(|e| Refusal::Conflict(e.to_string()))?;
                panic!("trapping after a write")
            }
            // Per-field capabilities: the manifest limits this plugin to name, mode and note.
            "peek" => {
                let mut seen: Vec<String> = event
                    .record
                    .as_ref()
                    .and_then(Value::as_object)
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                seen.sort();
                Err(Refusal::Conflict(format!("saw {}", seen.join(","))))
            }
            "read-other" => {
                let id = event.str_field("note").unwrap_or_default().to_owned();
                match host::get_record("hostile_target", &id) {
                    Ok(Some(record)) => {
                        let mut seen: Vec<String> = record
                            .as_object()
                            .map(|o| o.keys().cloned().collect())
                            .unwrap_or_default();
                        seen.sort();
                        Err(Refusal::Conflict(format!("read {}", seen.join(","))))
                    }
                    Ok(None) => Err(Refusal::Conflict("read nothing".into())),
                    Err(error) => Err(Refusal::Conflict(error.to_string())),
                }
            }
            "write-secret" => {
                match host::create_record(
                    "hostile_target",
                    &json!({"name": "smuggled", "secret": "planted"}),
                ) {
                    Err(error) => Err(Refusal::Conflict(error.to_string())),
                    Ok(_) => Ok(None),
                }
            }
            "filter-secret" => {
                match host::query_records("hostile_target", &Query::filter("secret eq 'x'")) {
                    Err(error) => Err(Refusal::Conflict(error.to_string())),
                    Ok(found) => Err(Refusal::Conflict(format!("found {}", found.len()))),
                }
            }
            "set-secret" => {
                let mut record = event.record.clone().unwrap_or_default();
                record["note"] = json!("seen");
                record["secret"] = json!("overwritten by the plugin");
                Ok(Some(record))
            }
            "stamp" => {
                let mut record = event.record.clone().unwrap_or_default();
                record["note"] = json!("stamped by the plugin");
                Ok(Some(record))
            }
            _ => Ok(None),
        }
    }
}

export_plugin!(Hostile);
