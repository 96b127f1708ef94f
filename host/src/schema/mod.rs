//! Entity types: JSON Schema documents with `x-xrm` annotations, compiled for validation and
//! queries. Knows nothing of HTTP or SQL.

mod annotations;
mod entity_type;

pub use self::annotations::{
    Annotations, FieldPath, Lookup, OnDelete, SYSTEM_FIELDS, StateMachine, display_path,
    is_valid_property_name, is_valid_type_name, json_kind,
};
pub use self::entity_type::{EntityType, FieldInfo, IndexSpec};
