//! Per-field capabilities: a plugin whose manifest declares fields for an entity type sees
//! only those (and the system fields) in records, events and query results, filters and sorts
//! only by them, and writes only them.

use serde_json::{Map, Value};

use crate::query::{FieldCatalog, FieldKind};
use crate::schema::{EntityType, SYSTEM_FIELDS};

/// System fields are on every record a plugin may read.
fn visible(name: &str, fields: &[String]) -> bool {
    SYSTEM_FIELDS.contains(&name) || fields.iter().any(|f| f == name)
}

/// A record (JSON text) with only the fields a plugin limited to `fields` may see.
pub(super) fn project_text(text: &str, fields: &[String]) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => Value::Object(project(object, fields)).to_string(),
        // Records are always objects; anything else shows nothing rather than everything.
        _ => "{}".to_owned(),
    }
}

fn project(object: Map<String, Value>, fields: &[String]) -> Map<String, Value> {
    object
        .into_iter()
        .filter(|(name, _)| visible(name, fields))
        .collect()
}

/// The fields of a body or patch that a plugin limited to `fields` may not write.
pub(super) fn undeclared(body: &Value, fields: &[String]) -> Vec<String> {
    body.as_object()
        .into_iter()
        .flatten()
        .map(|(name, _)| name)
        .filter(|name| !visible(name, fields))
        .cloned()
        .collect()
}

/// The record a before-hook of a field-limited plugin leaves: its values for its own fields
/// (one it dropped is removed), every other field as it was.
pub(super) fn merge_visible(original: &str, returned: Value, fields: &[String]) -> Value {
    let mut merged = match serde_json::from_str::<Value>(original) {
        Ok(Value::Object(object)) => object,
        _ => Map::new(),
    };
    let returned = match returned {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    for field in fields {
        match returned.get(field) {
            Some(value) => merged.insert(field.clone(), value.clone()),
            None => merged.remove(field),
        };
    }
    Value::Object(merged)
}

/// The fields of an entity type a field-limited plugin may filter and sort by.
pub(super) struct VisibleFields<'a> {
    pub entity_type: &'a EntityType,
    pub fields: &'a [String],
}

impl FieldCatalog for VisibleFields<'_> {
    fn kind_of(&self, segments: &[String]) -> Option<FieldKind> {
        let first = segments.first()?;
        if visible(first, self.fields) {
            self.entity_type.kind_of(segments)
        } else {
            None
        }
    }

    fn field_names(&self) -> Vec<String> {
        self.entity_type
            .field_names()
            .into_iter()
            .filter(|name| visible(name.split('/').next().unwrap_or(name), self.fields))
            .collect()
    }
}

/// A record's data (JSON object text) without the fields a role hides.
pub fn strip_hidden(data: &str, hidden: &[String]) -> String {
    if hidden.is_empty() {
        return data.to_owned();
    }
    match serde_json::from_str::<Value>(data) {
        Ok(Value::Object(mut object)) => {
            for field in hidden {
                object.remove(field);
            }
            Value::Object(object).to_string()
        }
        _ => "{}".to_owned(),
    }
}

/// The fields of an entity type a role may filter, sort and select by: all but its hidden ones.
pub(super) struct UnhiddenFields<'a> {
    pub entity_type: &'a EntityType,
    pub hidden: &'a [String],
}

impl FieldCatalog for UnhiddenFields<'_> {
    fn kind_of(&self, segments: &[String]) -> Option<FieldKind> {
        let first = segments.first()?;
        if self.hidden.contains(first) {
            None
        } else {
            self.entity_type.kind_of(segments)
        }
    }

    fn field_names(&self) -> Vec<String> {
        self.entity_type
            .field_names()
            .into_iter()
            .filter(|name| !self.hidden.contains(name))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fields() -> Vec<String> {
        vec!["name".into(), "tier".into()]
    }

    #[test]
    fn records_show_only_declared_and_system_fields() {
        let text = json!({"id": "1", "version": 3, "name": "Nordlicht", "tier": "gold",
                          "annual_revenue": 9_000_000, "owner": "maria"})
        .to_string();
        assert_eq!(
            serde_json::from_str::<Value>(&project_text(&text, &fields())).unwrap(),
            json!({"id": "1", "version": 3, "name": "Nordlicht", "tier": "gold"})
        );
        assert_eq!(project_text("[1]", &fields()), "{}");
    }

    #[test]
    fn writes_name_the_undeclared_fields() {
        assert_eq!(
            undeclared(&json!({"name": "x", "owner": "y", "id": "z"}), &fields()),
            vec!["owner".to_owned()]
        );
        assert!(undeclared(&json!({"tier": null}), &fields()).is_empty());
    }

    #[test]
    fn a_before_hook_changes_only_its_fields() {
        let original =
            json!({"id": "1", "name": "a", "tier": "gold", "owner": "maria"}).to_string();
        let returned = json!({"id": "1", "name": "A", "owner": "mallory"});
        assert_eq!(
            merge_visible(&original, returned, &fields()),
            json!({"id": "1", "name": "A", "owner": "maria"})
        );
    }
}
