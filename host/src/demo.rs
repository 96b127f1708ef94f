//! STUB-LEAD-TEMP
pub fn shipped_entity_types() -> Vec<serde_json::Value> {
    Vec::new()
}
pub fn demo_records() -> Vec<(&'static str, Vec<serde_json::Value>)> {
    Vec::new()
}
