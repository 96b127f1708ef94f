//! The compiled entity types of every workspace, cached so that a request does not recompile
//! a schema. Writes re-check the cached version inside their transaction (see
//! `Tx::entity_type_version`), so a stale cache can cost a retry but never a wrong validation.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::schema::EntityType;
use crate::store::Store;

/// How long a cached type serves reads before it is checked again. Another host sharing the
/// PostgreSQL database may have changed it; writes never rely on this.
const READ_TTL: Duration = Duration::from_secs(2);

struct Entry {
    entity_type: Arc<EntityType>,
    loaded_at: Instant,
}

/// The cache of compiled entity types, keyed by workspace and type name.
#[derive(Default)]
pub struct TypeRegistry {
    entries: RwLock<HashMap<(String, String), Entry>>,
}

impl TypeRegistry {
    /// The compiled current version of a type, or 404.
    pub async fn get(&self, store: &Store, workspace: &str, name: &str) -> Result<Arc<EntityType>> {
        let key = (workspace.to_owned(), name.to_owned());
        if let Some(entry) = self.entries.read().expect("registry lock").get(&key)
            && entry.loaded_at.elapsed() < READ_TTL
        {
            return Ok(entry.entity_type.clone());
        }
        self.reload(store, workspace, name).await
    }

    /// Loads a type from the database, replacing whatever was cached.
    pub async fn reload(
        &self,
        store: &Store,
        workspace: &str,
        name: &str,
    ) -> Result<Arc<EntityType>> {
        let key = (workspace.to_owned(), name.to_owned());
        let Some(stored) = store.get_entity_type(workspace, name).await? else {
            self.entries.write().expect("registry lock").remove(&key);
            return Err(Error::not_found(format!("entity type '{name}'")));
        };
        // Reuse the compiled type when the version did not move: compiling costs more than reading.
        if let Some(entry) = self.entries.write().expect("registry lock").get_mut(&key)
            && entry.entity_type.version == stored.version
        {
            entry.loaded_at = Instant::now();
            return Ok(entry.entity_type.clone());
        }
        let document: Value = serde_json::from_str(&stored.document).map_err(|error| {
            Error::Internal(format!("stored entity type '{name}' is not JSON: {error}"))
        })?;
        let compiled = Arc::new(EntityType::compile(document, stored.version)?);
        self.entries.write().expect("registry lock").insert(
            key,
            Entry {
                entity_type: compiled.clone(),
                loaded_at: Instant::now(),
            },
        );
        Ok(compiled)
    }

    /// Caches a type this host just wrote.
    pub fn put(&self, workspace: &str, entity_type: Arc<EntityType>) {
        let key = (workspace.to_owned(), entity_type.name.clone());
        self.entries.write().expect("registry lock").insert(
            key,
            Entry {
                entity_type,
                loaded_at: Instant::now(),
            },
        );
    }

    /// Forgets a type this host just deleted.
    /// Drops every cached type of a removed workspace.
    pub fn forget_workspace(&self, workspace: &str) {
        self.entries
            .write()
            .expect("registry lock")
            .retain(|(owner, _), _| owner != workspace);
    }

    pub fn forget(&self, workspace: &str, name: &str) {
        self.entries
            .write()
            .expect("registry lock")
            .remove(&(workspace.to_owned(), name.to_owned()));
    }

    /// Every current type of a workspace, compiled (for lookups' on-delete rules and OpenAPI).
    pub async fn all(&self, store: &Store, workspace: &str) -> Result<Vec<Arc<EntityType>>> {
        let mut types = Vec::new();
        for stored in store.list_entity_types(workspace).await? {
            types.push(self.get(store, workspace, &stored.name).await?);
        }
        Ok(types)
    }
}
