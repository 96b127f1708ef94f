//! The application: what the API (and, later, plugins) can ask of the host, independent of
//! HTTP. Owns the store and the compiled entity types.

pub mod access;
pub mod auth;
mod directory;
mod entity_types;
mod field_access;
mod hooks;
mod list;
mod outbox;
mod ownership;
mod package_types;
mod plugin_host;
mod plugin_stats;
mod plugins;
mod records;
mod registry;
mod schedules;

pub use self::access::{Access, Permissions, RecordOp, Scope};
pub use self::auth::{AuthSettings, Credential, NewUser, Origin};
pub use self::directory::UserPatch;
pub use self::list::{DEFAULT_TOP, ListRequest, MAX_TOP, Page, record_json, record_text};
pub use self::outbox::JobSettings;
pub use self::package_types::InstallOptions;
pub use self::plugin_host::PluginHost;
pub use self::plugin_stats::HookStats;
pub use self::plugins::{PluginRegistry, PluginSettings, WorkspacePlugins};
pub use self::records::{BulkMode, Change, MAX_BULK_ITEMS, Precondition, check_id, merge_patch};
pub use self::registry::TypeRegistry;
use crate::store::Store;
pub use crate::store::{Actor, ActorKind};

/// How a host is set up, beyond its database.
#[derive(Debug, Clone, Copy, Default)]
pub struct HostSettings {
    pub jobs: JobSettings,
    /// Install packages that no trusted publisher signed (development, demos).
    pub allow_unsigned_packages: bool,
    pub auth: AuthSettings,
}

/// The shared state of a running host.
pub struct App {
    pub store: Store,
    pub types: TypeRegistry,
    pub plugins: PluginRegistry,
    /// How after-change and schedule deliveries are retried and run.
    pub jobs: JobSettings,
    /// The host's policies that are not per workspace.
    pub settings: HostSettings,
    /// Failed sign-ins per client address on this host.
    pub login_throttle: auth::LoginThrottle,
    /// Credentials resolved in the last second, so a request costs no database read for them.
    pub credentials: auth::CredentialCache,
    /// The `Arc` this app lives in, handed to plugin host calls for the length of a call.
    me: std::sync::Weak<App>,
}

impl App {
    /// `plugin_cache`: where compiled plugin code is kept across restarts.
    pub fn new(
        store: Store,
        plugin_cache: Option<std::path::PathBuf>,
        settings: HostSettings,
    ) -> crate::error::Result<std::sync::Arc<App>> {
        let plugins = PluginRegistry::new(plugin_cache)?;
        Ok(std::sync::Arc::new_cyclic(|me| App {
            store,
            types: TypeRegistry::default(),
            plugins,
            jobs: settings.jobs,
            settings,
            login_throttle: auth::LoginThrottle::default(),
            credentials: auth::CredentialCache::default(),
            me: me.clone(),
        }))
    }
}
