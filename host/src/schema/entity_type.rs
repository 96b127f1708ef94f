//! A compiled entity type: the posted JSON Schema, its parsed `x-xrm` annotations, a ready
//! validator and the catalogue of fields that queries may name.

use std::collections::BTreeMap;

use serde_json::Value;

use super::annotations::{self, Annotations, FieldPath, SYSTEM_FIELDS};
use crate::error::{Error, FieldError};
use crate::query::{FieldCatalog, FieldKind};

/// The most errors reported for one record; a hostile body cannot make the report huge.
const MAX_REPORTED_ERRORS: usize = 100;

/// What the host knows about a field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    pub kind: FieldKind,
    /// Whether this is a system column rather than a path into the JSON document.
    pub system: bool,
}

/// One version of an entity type, compiled and ready to validate and query.
#[derive(Debug)]
pub struct EntityType {
    pub name: String,
    pub version: i64,
    /// The document exactly as it was posted.
    pub document: Value,
    pub annotations: Annotations,
    validator: jsonschema::Validator,
    /// Every addressable path (`billing_address/city`) and its kind, system fields included.
    fields: BTreeMap<String, FieldInfo>,
}

impl EntityType {
    /// Checks and compiles a posted document. Every problem is reported, each with its pointer.
    pub fn compile(document: Value, version: i64) -> Result<EntityType, Error> {
        let invalid = |errors: Vec<FieldError>| {
            Error::unprocessable(
                "invalid_entity_type",
                "the entity type document is not valid",
                errors,
            )
        };
        let Some(root) = document.as_object() else {
            return Err(invalid(vec![FieldError::new(
                "",
                "type",
                "an entity type must be a JSON object",
            )]));
        };

        // The document must itself be a valid schema of the draft it names.
        if let Some(schema_uri) = root.get("$schema") {
            let known = [
                "https://json-schema.org/draft/2020-12/schema",
                "https://json-schema.org/draft/2019-09/schema",
                "http://json-schema.org/draft-07/schema#",
                "http://json-schema.org/draft-07/schema",
            ];
            if !schema_uri.as_str().is_some_and(|uri| known.contains(&uri)) {
                return Err(invalid(vec![FieldError::new(
                    "/$schema",
                    "$schema",
                    format!(
                        "unsupported $schema {schema_uri}; use draft 2020-12 (the default), 2019-09 or draft-07"
                    ),
                )]));
            }
        }
        let meta_errors: Vec<FieldError> = match jsonschema::meta::validate(&document) {
            Ok(()) => Vec::new(),
            Err(error) => vec![FieldError::new(
                error.instance_path().as_str(),
                error.kind().keyword(),
                format!("not a valid JSON Schema: {error}"),
            )],
        };
        if !meta_errors.is_empty() {
            return Err(invalid(meta_errors));
        }

        let mut problems = Vec::new();
        if root.get("type").and_then(Value::as_str) != Some("object") {
            problems.push(FieldError::new(
                "/type",
                "type",
                "the root of an entity type must be \"type\": \"object\"",
            ));
        }
        let properties = match root.get("properties") {
            Some(Value::Object(properties)) => properties.clone(),
            _ => {
                problems.push(FieldError::new(
                    "/properties",
                    "properties",
                    "an entity type needs a properties object",
                ));
                serde_json::Map::new()
            }
        };
        for reserved in SYSTEM_FIELDS {
            if properties.contains_key(reserved) {
                problems.push(FieldError::new(
                    format!("/properties/{reserved}"),
                    "properties",
                    format!("'{reserved}' is a system field maintained by the host; remove it from properties"),
                ));
            }
        }
        let mut fields = BTreeMap::new();
        collect_fields(
            &properties,
            &mut Vec::new(),
            "/properties",
            &mut fields,
            &mut problems,
        );
        for (name, kind) in [
            ("id", FieldKind::String),
            ("version", FieldKind::Integer),
            ("created_at", FieldKind::String),
            ("updated_at", FieldKind::String),
            ("created_by", FieldKind::String),
            ("updated_by", FieldKind::String),
            ("owned_by", FieldKind::String),
            ("owning_team", FieldKind::String),
        ] {
            fields.insert(name.to_owned(), FieldInfo { kind, system: true });
        }

        let required: Vec<String> = root
            .get("required")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let scalar_exists = |path: &[String]| {
            fields
                .get(&path.join("/"))
                .is_some_and(|info| !info.system && info.kind != FieldKind::Other)
        };
        let top_level_kind = |name: &str| -> Option<&'static str> {
            let info = fields.get(name).filter(|info| !info.system)?;
            Some(match info.kind {
                FieldKind::String => "string",
                FieldKind::Number => "a number",
                FieldKind::Integer => "an integer",
                FieldKind::Boolean => "a boolean",
                FieldKind::Other => "an object or array",
            })
        };
        let enum_of = |name: &str| -> Option<Vec<String>> {
            let values = properties.get(name)?.get("enum")?.as_array()?;
            Some(
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            )
        };
        let annotations = match Annotations::parse(
            root.get("x-xrm"),
            &scalar_exists,
            &top_level_kind,
            &required,
            &enum_of,
        ) {
            Ok(annotations) => Some(annotations),
            Err(mut errors) => {
                problems.append(&mut errors);
                None
            }
        };
        if !problems.is_empty() {
            return Err(invalid(problems));
        }
        let annotations = annotations.expect("no problems means annotations parsed");

        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&document)
            .map_err(|error| {
                invalid(vec![FieldError::new(
                    error.instance_path().as_str(),
                    error.kind().keyword(),
                    format!("the schema cannot be compiled: {error}"),
                )])
            })?;
        Ok(EntityType {
            name: annotations.name.clone(),
            version,
            document,
            annotations,
            validator,
            fields,
        })
    }

    /// What is wrong with a new record's data: the schema, then the state machine's initial
    /// states (a record cannot be born in any state).
    pub fn validate_new(&self, data: &Value) -> Vec<FieldError> {
        let mut errors = self.validate(data);
        if let Some(machine) = &self.annotations.state_machine
            && let Some(initial) = &machine.initial
            && let Some(state) = data.get(&machine.field).and_then(Value::as_str)
            && !initial.iter().any(|s| s == state)
        {
            errors.push(FieldError::new(
                format!("/{}", machine.field),
                "x-xrm.state_machine",
                format!(
                    "a new {} cannot start as '{state}'; it starts as one of: {}",
                    self.name,
                    initial.join(", ")
                ),
            ));
        }
        errors
    }

    /// Validates a record's data (system fields removed) and returns every error found.
    pub fn validate(&self, data: &Value) -> Vec<FieldError> {
        let mut errors = Vec::new();
        for error in self.validator.iter_errors(data) {
            if errors.len() >= MAX_REPORTED_ERRORS {
                break;
            }
            let base = error.instance_path().as_str().to_owned();
            let keyword = error.kind().keyword().to_owned();
            match error.kind() {
                // Point the client at the missing or unexpected field itself, not at its parent.
                jsonschema::error::ValidationErrorKind::Required { property } => {
                    let name = property
                        .as_str()
                        .map_or_else(|| property.to_string(), str::to_owned);
                    errors.push(FieldError::new(
                        format!("{base}/{}", escape_pointer(&name)),
                        keyword,
                        format!("'{name}' is required"),
                    ));
                }
                jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                    for name in unexpected {
                        errors.push(FieldError::new(
                            format!("{base}/{}", escape_pointer(name)),
                            keyword.clone(),
                            format!("'{name}' is not a field of {}", self.name),
                        ));
                    }
                }
                _ => errors.push(FieldError::new(
                    base,
                    keyword,
                    truncate(error.to_string(), 300),
                )),
            }
        }
        errors
    }

    /// The kind of a field path, if the type has such a field.
    pub fn field(&self, path: &[String]) -> Option<FieldInfo> {
        self.fields.get(&path.join("/")).copied()
    }

    /// Fields fed to full-text search: the declared ones, or else the title field.
    ///
    /// Every indexed word costs on every write, so search covers what people look records up
    /// by (as Dataverse's quick find does) unless the admin asks for more.
    pub fn search_fields(&self) -> Vec<String> {
        if self.annotations.search.is_empty() {
            vec![self.annotations.title_field.clone()]
        } else {
            self.annotations.search.clone()
        }
    }

    /// Every index the database needs for this type: declared, unique keys and lookups.
    pub fn index_plan(&self) -> Vec<IndexSpec> {
        let mut plan: Vec<IndexSpec> = Vec::new();
        let mut add = |paths: Vec<FieldPath>, unique: bool| {
            if !plan
                .iter()
                .any(|spec| spec.paths == paths && spec.unique == unique)
            {
                let kinds = paths
                    .iter()
                    .map(|p| self.field(p).map_or(FieldKind::String, |i| i.kind))
                    .collect();
                plan.push(IndexSpec {
                    paths,
                    kinds,
                    unique,
                });
            }
        };
        for path in &self.annotations.indexed {
            add(vec![path.clone()], false);
        }
        for field in self.annotations.lookups.keys() {
            add(vec![vec![field.clone()]], false);
        }
        for key in &self.annotations.unique {
            add(key.clone(), true);
        }
        plan
    }

    /// The title of a record, for lists and lookups pickers.
    pub fn title_of<'a>(&self, data: &'a Value) -> Option<&'a str> {
        data.get(&self.annotations.title_field)
            .and_then(Value::as_str)
    }

    /// Names of every top-level data field, for messages and OpenAPI.
    pub fn data_field_names(&self) -> Vec<String> {
        self.fields
            .iter()
            .filter(|(p, i)| !i.system && !p.contains('/'))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

/// A database index an entity type asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexSpec {
    pub paths: Vec<FieldPath>,
    pub kinds: Vec<FieldKind>,
    pub unique: bool,
}

impl FieldCatalog for EntityType {
    fn kind_of(&self, segments: &[String]) -> Option<FieldKind> {
        self.field(segments).map(|info| info.kind)
    }

    fn field_names(&self) -> Vec<String> {
        self.fields.keys().cloned().collect()
    }
}

fn collect_fields(
    properties: &serde_json::Map<String, Value>,
    prefix: &mut Vec<String>,
    pointer: &str,
    fields: &mut BTreeMap<String, FieldInfo>,
    problems: &mut Vec<FieldError>,
) {
    for (name, schema) in properties {
        let here = format!("{pointer}/{}", escape_pointer(name));
        if !annotations::is_valid_property_name(name) {
            problems.push(FieldError::new(
                here,
                "properties",
                format!(
                    "property name '{name}' is not allowed: use 1 to 63 letters, digits and underscores, \
                     starting with a letter"
                ),
            ));
            continue;
        }
        prefix.push(name.clone());
        let kind = kind_of_schema(schema);
        fields.insert(
            prefix.join("/"),
            FieldInfo {
                kind,
                system: false,
            },
        );
        if let Some(nested) = schema.get("properties").and_then(Value::as_object) {
            collect_fields(
                nested,
                prefix,
                &format!("{here}/properties"),
                fields,
                problems,
            );
        }
        prefix.pop();
    }
}

/// The kind of a property schema: its `type` (ignoring `"null"`), else what its enum or const holds.
fn kind_of_schema(schema: &Value) -> FieldKind {
    let from_name = |name: &str| match name {
        "string" => Some(FieldKind::String),
        "number" => Some(FieldKind::Number),
        "integer" => Some(FieldKind::Integer),
        "boolean" => Some(FieldKind::Boolean),
        "object" | "array" => Some(FieldKind::Other),
        _ => None,
    };
    match schema.get("type") {
        Some(Value::String(name)) => return from_name(name).unwrap_or(FieldKind::Other),
        Some(Value::Array(names)) => {
            let kinds: Vec<FieldKind> = names
                .iter()
                .filter_map(Value::as_str)
                .filter(|n| *n != "null")
                .filter_map(from_name)
                .collect();
            return match kinds.as_slice() {
                [kind] => *kind,
                [FieldKind::Integer, FieldKind::Number]
                | [FieldKind::Number, FieldKind::Integer] => FieldKind::Number,
                _ => FieldKind::Other,
            };
        }
        _ => {}
    }
    let sample = schema
        .get("const")
        .or_else(|| schema.get("enum").and_then(|e| e.as_array()?.first()));
    match sample {
        Some(Value::String(_)) => FieldKind::String,
        Some(Value::Number(_)) => FieldKind::Number,
        Some(Value::Bool(_)) => FieldKind::Boolean,
        _ => FieldKind::Other,
    }
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn customer() -> Value {
        json!({
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 200},
                "email": {"type": "string", "format": "email"},
                "tier": {"enum": ["bronze", "silver", "gold"]},
                "lifetime_value": {"type": "number", "minimum": 0},
                "status": {"type": "string", "enum": ["lead", "active", "churned"]},
                "address": {"type": "object", "properties": {"city": {"type": "string"}}},
                "parent_id": {"type": "string", "format": "uuid"}
            },
            "required": ["name", "email"],
            "additionalProperties": false,
            "x-xrm": {
                "name": "customer", "display_name": "Customer", "title_field": "name",
                "indexed": ["status", "address/city"], "unique": ["email"],
                "lookups": {"parent_id": {"target": "customer", "on_delete": "set_null"}},
                "state_machine": {"field": "status", "initial": ["lead"],
                                  "transitions": {"lead": ["active"], "active": ["churned"]}}
            }
        })
    }

    #[test]
    fn a_well_formed_type_compiles_with_its_fields() {
        let entity_type = EntityType::compile(customer(), 1).unwrap();
        assert_eq!(entity_type.name, "customer");
        assert_eq!(entity_type.annotations.plural_name, "Customers");
        assert_eq!(
            entity_type
                .field(&["address".into(), "city".into()])
                .unwrap()
                .kind,
            FieldKind::String
        );
        assert_eq!(
            entity_type.field(&["tier".into()]).unwrap().kind,
            FieldKind::String
        );
        assert_eq!(
            entity_type.field(&["version".into()]).unwrap().kind,
            FieldKind::Integer
        );
        let plan = entity_type.index_plan();
        assert_eq!(
            plan.len(),
            4,
            "status, address/city, parent_id, unique email: {plan:?}"
        );
    }

    #[test]
    fn every_record_error_is_reported_with_its_field_path() {
        let entity_type = EntityType::compile(customer(), 1).unwrap();
        let errors =
            entity_type.validate(&json!({"email": "nope", "tier": "platinum", "extra": 1}));
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert!(paths.contains(&"/name"), "{errors:?}");
        assert!(paths.contains(&"/email"), "{errors:?}");
        assert!(paths.contains(&"/tier"), "{errors:?}");
        assert!(paths.contains(&"/extra"), "{errors:?}");
        let required = errors.iter().find(|e| e.path == "/name").unwrap();
        assert_eq!(required.keyword, "required");
    }

    #[test]
    fn malformed_annotations_are_all_reported() {
        let mut document = customer();
        document["x-xrm"]["title_field"] = json!("nme");
        document["x-xrm"]["indexed"] = json!(["status", "nowhere"]);
        document["x-xrm"]["lookups"]["parent_id"]["on_delete"] = json!("explode");
        document["properties"]["version"] = json!({"type": "integer"});
        let error = EntityType::compile(document, 1).unwrap_err();
        let messages: Vec<String> = error
            .field_errors()
            .iter()
            .map(|e| e.message.clone())
            .collect();
        assert!(
            messages
                .iter()
                .any(|m| m == "x-xrm.title_field 'nme' is not a property of the schema"),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("'nowhere'")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("on_delete 'explode'")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("'version' is a system field")),
            "{messages:?}"
        );
    }

    #[test]
    fn a_schema_that_is_not_json_schema_is_refused() {
        let mut document = customer();
        document["properties"]["name"]["maxLength"] = json!("long");
        let error = EntityType::compile(document, 1).unwrap_err();
        assert!(
            error.field_errors()[0]
                .message
                .starts_with("not a valid JSON Schema"),
            "{error:?}"
        );
    }

    #[test]
    fn draft_07_is_honoured() {
        let mut document = customer();
        document["$schema"] = json!("http://json-schema.org/draft-07/schema#");
        assert!(EntityType::compile(document, 1).is_ok());
        let mut document = customer();
        document["$schema"] = json!("http://example.invalid/my-schema");
        assert!(EntityType::compile(document, 1).is_err());
    }

    #[test]
    fn state_machine_allows_only_declared_moves() {
        let entity_type = EntityType::compile(customer(), 1).unwrap();
        let machine = entity_type.annotations.state_machine.as_ref().unwrap();
        assert!(machine.allows("lead", "active"));
        assert!(machine.allows("lead", "lead"));
        assert!(!machine.allows("lead", "churned"));
    }
}
