//! The application: what the API (and, later, plugins) can ask of the host, independent of
//! HTTP. Owns the store and the compiled entity types.

mod entity_types;
mod list;
mod records;
mod registry;

pub use self::list::{DEFAULT_TOP, ListRequest, MAX_TOP, Page, record_json, record_text};
pub use self::records::{
    Actor, BulkMode, Change, MAX_BULK_ITEMS, Precondition, check_id, merge_patch,
};
pub use self::registry::TypeRegistry;
use crate::store::Store;

/// The shared state of a running host.
pub struct App {
    pub store: Store,
    pub types: TypeRegistry,
}

impl App {
    pub fn new(store: Store) -> App {
        App {
            store,
            types: TypeRegistry::default(),
        }
    }
}
