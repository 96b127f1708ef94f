//! The `x-xrm` annotation object: what JSON Schema cannot say about an entity type.
//!
//! Parsing collects every problem at once, each with a JSON Pointer into the posted document,
//! so an admin fixes a malformed annotation in one round trip.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::FieldError;

/// A field path inside a record: `["billing_address", "city"]`, written `billing_address/city`.
pub type FieldPath = Vec<String>;

/// Names a record may never use at its top level: the host owns them.
pub const SYSTEM_FIELDS: [&str; 8] = [
    "id",
    "version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "owned_by",
    "owning_team",
];

/// What happens to records that point at a record being deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    /// The delete is refused while anything points at the record.
    Restrict,
    /// The pointing records are deleted too.
    Cascade,
    /// The pointing records lose the reference.
    SetNull,
}

impl OnDelete {
    pub fn as_str(self) -> &'static str {
        match self {
            OnDelete::Restrict => "restrict",
            OnDelete::Cascade => "cascade",
            OnDelete::SetNull => "set_null",
        }
    }
}

/// A lookup: a top-level string property holding the id of a record of `target`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub target: String,
    pub on_delete: OnDelete,
}

/// Allowed values of a status field and the moves between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMachine {
    pub field: String,
    /// Values a new record may start in; `None` means any value of the enum.
    pub initial: Option<Vec<String>>,
    pub transitions: BTreeMap<String, Vec<String>>,
}

impl StateMachine {
    /// Whether a record may move from `from` to `to` (staying put is always allowed).
    pub fn allows(&self, from: &str, to: &str) -> bool {
        from == to
            || self
                .transitions
                .get(from)
                .is_some_and(|targets| targets.iter().any(|t| t == to))
    }
}

/// The parsed `x-xrm` object of an entity type.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotations {
    pub name: String,
    pub display_name: String,
    pub plural_name: String,
    pub title_field: String,
    pub indexed: Vec<FieldPath>,
    pub unique: Vec<Vec<FieldPath>>,
    /// Top-level string fields fed to full-text search; empty means the title field alone.
    pub search: Vec<String>,
    pub lookups: BTreeMap<String, Lookup>,
    pub state_machine: Option<StateMachine>,
}

/// Whether `name` can name an entity type: it becomes a URL segment and a SQL literal.
pub fn is_valid_type_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 48
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
}

/// Whether `name` can name a property at any depth: it appears in SQL JSON paths.
pub fn is_valid_property_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_alphabetic()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Joins a path for messages and URLs: `billing_address/city`.
pub fn display_path(path: &[String]) -> String {
    path.join("/")
}

/// Collects the problems found while parsing, each with its JSON Pointer.
struct Problems(Vec<FieldError>);

impl Problems {
    fn push(&mut self, pointer: &str, message: String) {
        self.0.push(FieldError::new(pointer, "x-xrm", message));
    }
}

impl Annotations {
    /// Parses and checks `x-xrm` against the schema's `properties` (`field_exists` answers for paths).
    pub fn parse(
        value: Option<&Value>,
        field_exists: &dyn Fn(&[String]) -> bool,
        top_level_kind: &dyn Fn(&str) -> Option<&'static str>,
        required: &[String],
        enum_of: &dyn Fn(&str) -> Option<Vec<String>>,
    ) -> Result<Annotations, Vec<FieldError>> {
        let mut problems = Problems(Vec::new());
        let Some(value) = value else {
            return Err(vec![FieldError::new(
                "/x-xrm",
                "x-xrm",
                "the schema has no x-xrm object; it needs at least name, display_name and title_field",
            )]);
        };
        let Some(object) = value.as_object() else {
            return Err(vec![FieldError::new(
                "/x-xrm",
                "x-xrm",
                "x-xrm must be an object",
            )]);
        };
        const KNOWN: [&str; 9] = [
            "name",
            "display_name",
            "plural_name",
            "title_field",
            "indexed",
            "unique",
            "search",
            "lookups",
            "state_machine",
        ];
        for key in object.keys() {
            if !KNOWN.contains(&key.as_str()) {
                problems.push(
                    &format!("/x-xrm/{key}"),
                    format!(
                        "unknown x-xrm key '{key}'; known keys are {}",
                        KNOWN.join(", ")
                    ),
                );
            }
        }

        let name = required_string(object, "name", &mut problems);
        if let Some(name) = &name
            && !is_valid_type_name(name)
        {
            problems.push(
                "/x-xrm/name",
                format!(
                    "x-xrm.name '{name}' is not a valid type name: use 1 to 48 lowercase letters, digits \
                     and underscores, starting with a letter"
                ),
            );
        }
        let display_name = required_string(object, "display_name", &mut problems);
        let plural_name = optional_string(object, "plural_name", &mut problems);

        let title_field = required_string(object, "title_field", &mut problems);
        if let Some(title) = &title_field {
            match top_level_kind(title) {
                None => problems.push(
                    "/x-xrm/title_field",
                    format!("x-xrm.title_field '{title}' is not a property of the schema"),
                ),
                Some("string") => {}
                Some(kind) => problems.push(
                    "/x-xrm/title_field",
                    format!(
                        "x-xrm.title_field '{title}' must be a string property, but it is {kind}"
                    ),
                ),
            }
        }

        let indexed = path_list(
            object.get("indexed"),
            "indexed",
            field_exists,
            &mut problems,
        );
        let unique = unique_list(object.get("unique"), field_exists, &mut problems);
        let search = parse_search(object.get("search"), top_level_kind, &mut problems);
        let lookups = parse_lookups(
            object.get("lookups"),
            top_level_kind,
            required,
            &mut problems,
        );
        let state_machine = parse_state_machine(
            object.get("state_machine"),
            top_level_kind,
            enum_of,
            &mut problems,
        );

        if !problems.0.is_empty() {
            return Err(problems.0);
        }
        let display_name = display_name.unwrap_or_default();
        Ok(Annotations {
            name: name.unwrap_or_default(),
            plural_name: plural_name.unwrap_or_else(|| format!("{display_name}s")),
            display_name,
            title_field: title_field.unwrap_or_default(),
            indexed,
            unique,
            search,
            lookups,
            state_machine,
        })
    }
}

fn required_string(
    object: &Map<String, Value>,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    match object.get(key) {
        None => {
            problems.push(&format!("/x-xrm/{key}"), format!("x-xrm.{key} is required"));
            None
        }
        Some(_) => optional_string(object, key, problems),
    }
}

fn optional_string(
    object: &Map<String, Value>,
    key: &str,
    problems: &mut Problems,
) -> Option<String> {
    match object.get(key)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.clone()),
        Value::String(_) => {
            problems.push(
                &format!("/x-xrm/{key}"),
                format!("x-xrm.{key} must not be empty"),
            );
            None
        }
        other => {
            problems.push(
                &format!("/x-xrm/{key}"),
                format!("x-xrm.{key} must be a string, not {}", json_kind(other)),
            );
            None
        }
    }
}

fn parse_path(text: &str) -> FieldPath {
    text.split('/').map(str::to_owned).collect()
}

fn path_list(
    value: Option<&Value>,
    key: &str,
    field_exists: &dyn Fn(&[String]) -> bool,
    problems: &mut Problems,
) -> Vec<FieldPath> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        problems.push(
            &format!("/x-xrm/{key}"),
            format!("x-xrm.{key} must be an array of field paths"),
        );
        return Vec::new();
    };
    let mut paths = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("/x-xrm/{key}/{index}");
        let Some(text) = item.as_str() else {
            problems.push(
                &pointer,
                format!("x-xrm.{key}[{index}] must be a field path string"),
            );
            continue;
        };
        let path = parse_path(text);
        if !field_exists(&path) {
            problems.push(
                &pointer,
                format!("x-xrm.{key} names '{text}', which is not a scalar property of the schema"),
            );
        } else if paths.contains(&path) {
            problems.push(&pointer, format!("x-xrm.{key} names '{text}' twice"));
        } else {
            paths.push(path);
        }
    }
    paths
}

fn unique_list(
    value: Option<&Value>,
    field_exists: &dyn Fn(&[String]) -> bool,
    problems: &mut Problems,
) -> Vec<Vec<FieldPath>> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        problems.push(
            "/x-xrm/unique",
            "x-xrm.unique must be an array of field paths or arrays of field paths".into(),
        );
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("/x-xrm/unique/{index}");
        let texts: Vec<&str> = match item {
            Value::String(text) => vec![text.as_str()],
            Value::Array(parts)
                if !parts.is_empty() && parts.len() <= 8 && parts.iter().all(Value::is_string) =>
            {
                parts.iter().filter_map(Value::as_str).collect()
            }
            _ => {
                problems.push(
                    &pointer,
                    "a unique key is a field path or an array of 1 to 8 field paths".into(),
                );
                continue;
            }
        };
        let mut key = Vec::new();
        for text in texts {
            let path = parse_path(text);
            if !field_exists(&path) {
                problems.push(
                    &pointer,
                    format!(
                        "x-xrm.unique names '{text}', which is not a scalar property of the schema"
                    ),
                );
            } else {
                key.push(path);
            }
        }
        if !key.is_empty() {
            keys.push(key);
        }
    }
    keys
}

fn parse_search(
    value: Option<&Value>,
    top_level_kind: &dyn Fn(&str) -> Option<&'static str>,
    problems: &mut Problems,
) -> Vec<String> {
    let Some(value) = value else {
        return Vec::new();
    };
    let Some(items) = value.as_array() else {
        problems.push(
            "/x-xrm/search",
            "x-xrm.search must be an array of string property names".into(),
        );
        return Vec::new();
    };
    let mut fields = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let pointer = format!("/x-xrm/search/{index}");
        match item.as_str() {
            Some(name) if top_level_kind(name) == Some("string") => fields.push(name.to_owned()),
            Some(name) => problems.push(
                &pointer,
                format!("x-xrm.search names '{name}', which is not a top-level string property"),
            ),
            None => problems.push(
                &pointer,
                format!("x-xrm.search[{index}] must be a property name"),
            ),
        }
    }
    fields
}

fn parse_lookups(
    value: Option<&Value>,
    top_level_kind: &dyn Fn(&str) -> Option<&'static str>,
    required: &[String],
    problems: &mut Problems,
) -> BTreeMap<String, Lookup> {
    let mut lookups = BTreeMap::new();
    let Some(value) = value else { return lookups };
    let Some(object) = value.as_object() else {
        problems.push(
            "/x-xrm/lookups",
            "x-xrm.lookups must be an object of field name to {target, on_delete}".into(),
        );
        return lookups;
    };
    for (field, spec) in object {
        let pointer = format!("/x-xrm/lookups/{field}");
        match top_level_kind(field) {
            Some("string") => {}
            Some(kind) => {
                problems.push(
                    &pointer,
                    format!("lookup field '{field}' must be a string property, but it is {kind}"),
                );
                continue;
            }
            None => {
                problems.push(
                    &pointer,
                    format!("lookup field '{field}' is not a property of the schema"),
                );
                continue;
            }
        }
        let Some(spec) = spec.as_object() else {
            problems.push(
                &pointer,
                format!("lookup '{field}' must be an object with target and on_delete"),
            );
            continue;
        };
        for key in spec.keys() {
            if key != "target" && key != "on_delete" {
                problems.push(
                    &format!("{pointer}/{key}"),
                    format!("unknown lookup key '{key}'; use target and on_delete"),
                );
            }
        }
        let target = match spec.get("target") {
            Some(Value::String(target)) if is_valid_type_name(target) => target.clone(),
            Some(Value::String(target)) => {
                problems.push(
                    &format!("{pointer}/target"),
                    format!("lookup target '{target}' is not a valid type name"),
                );
                continue;
            }
            _ => {
                problems.push(
                    &format!("{pointer}/target"),
                    format!("lookup '{field}' needs a target entity type name"),
                );
                continue;
            }
        };
        let on_delete = match spec.get("on_delete").map(|v| v.as_str()) {
            None | Some(Some("restrict")) => OnDelete::Restrict,
            Some(Some("cascade")) => OnDelete::Cascade,
            Some(Some("set_null")) => OnDelete::SetNull,
            Some(other) => {
                problems.push(
                    &format!("{pointer}/on_delete"),
                    format!(
                        "lookup '{field}' has on_delete {}; use restrict, cascade or set_null",
                        other.map_or_else(|| "of the wrong type".to_owned(), |o| format!("'{o}'"))
                    ),
                );
                continue;
            }
        };
        if on_delete == OnDelete::SetNull && required.iter().any(|r| r == field) {
            problems.push(
                &format!("{pointer}/on_delete"),
                format!("lookup '{field}' is required, so on_delete cannot be set_null; use restrict or cascade"),
            );
        }
        lookups.insert(field.clone(), Lookup { target, on_delete });
    }
    lookups
}

fn parse_state_machine(
    value: Option<&Value>,
    top_level_kind: &dyn Fn(&str) -> Option<&'static str>,
    enum_of: &dyn Fn(&str) -> Option<Vec<String>>,
    problems: &mut Problems,
) -> Option<StateMachine> {
    let value = value?;
    let Some(object) = value.as_object() else {
        problems.push(
            "/x-xrm/state_machine",
            "x-xrm.state_machine must be an object with field and transitions".into(),
        );
        return None;
    };
    for key in object.keys() {
        if !["field", "initial", "transitions"].contains(&key.as_str()) {
            problems.push(
                &format!("/x-xrm/state_machine/{key}"),
                format!("unknown state_machine key '{key}'; use field, initial and transitions"),
            );
        }
    }
    let Some(field) = object.get("field").and_then(Value::as_str) else {
        problems.push(
            "/x-xrm/state_machine/field",
            "x-xrm.state_machine.field must name a property".into(),
        );
        return None;
    };
    if top_level_kind(field) != Some("string") {
        problems.push(
            "/x-xrm/state_machine/field",
            format!("x-xrm.state_machine.field '{field}' must be a top-level string property with an enum"),
        );
        return None;
    }
    let Some(states) = enum_of(field) else {
        problems.push(
            "/x-xrm/state_machine/field",
            format!("x-xrm.state_machine.field '{field}' needs an enum listing its states"),
        );
        return None;
    };
    let check_state = |state: &str, pointer: &str, problems: &mut Problems| {
        if !states.iter().any(|s| s == state) {
            problems.push(
                pointer,
                format!(
                    "'{state}' is not one of the values of '{field}': {}",
                    states.join(", ")
                ),
            );
        }
    };
    let initial = match object.get("initial") {
        None => None,
        Some(Value::Array(items)) => {
            let mut values = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let pointer = format!("/x-xrm/state_machine/initial/{index}");
                match item.as_str() {
                    Some(state) => {
                        check_state(state, &pointer, problems);
                        values.push(state.to_owned());
                    }
                    None => problems.push(&pointer, "initial states are strings".into()),
                }
            }
            Some(values)
        }
        Some(_) => {
            problems.push(
                "/x-xrm/state_machine/initial",
                "x-xrm.state_machine.initial must be an array of states".into(),
            );
            None
        }
    };
    let mut transitions = BTreeMap::new();
    match object.get("transitions") {
        Some(Value::Object(map)) => {
            for (from, targets) in map {
                let pointer = format!("/x-xrm/state_machine/transitions/{from}");
                check_state(from, &pointer, problems);
                let Some(targets) = targets.as_array() else {
                    problems.push(&pointer, format!("the transitions from '{from}' must be an array of states"));
                    continue;
                };
                let mut to = Vec::new();
                for (index, target) in targets.iter().enumerate() {
                    match target.as_str() {
                        Some(state) => {
                            check_state(state, &format!("{pointer}/{index}"), problems);
                            to.push(state.to_owned());
                        }
                        None => problems.push(&format!("{pointer}/{index}"), "a transition target is a state string".into()),
                    }
                }
                transitions.insert(from.clone(), to);
            }
        }
        _ => problems.push(
            "/x-xrm/state_machine/transitions",
            "x-xrm.state_machine.transitions must be an object of state to the states it may move to".into(),
        ),
    }
    Some(StateMachine {
        field: field.to_owned(),
        initial,
        transitions,
    })
}

/// A short name of a JSON value's kind, for messages.
pub fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
