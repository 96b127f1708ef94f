//! Packages and plugins in the application: install, upgrade, enable, disable, uninstall; the
//! per-workspace set of loaded plugins; the host calls plugins make ([`PluginHost`]); and the
//! dispatch of hooks and actions.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::App;
use super::package_types::InstallOptions;
use super::plugin_host::PluginHost;
use super::plugin_stats::PluginStats;
use crate::error::{Error, FieldError, Result};
use crate::plugin::manifest::{LimitsRequest, check_limits};
use crate::plugin::signature::Signed;
use crate::plugin::{
    Compiled, Hook, Limits, Manifest, PackageContents, PackageFiles, PluginManifest, Runtime,
};
use crate::store::Actor;
use crate::store::{ManagedType, StoredComponent, StoredPackage, TrustedPublisher};

/// How long a host trusts its loaded plugin set before checking the database for changes made
/// by another host.
const RECHECK: Duration = Duration::from_secs(2);

/// One plugin, compiled and ready to instantiate.
pub struct LoadedPlugin {
    pub package: String,
    pub manifest: PluginManifest,
    /// `package/plugin`, the name errors and logs use.
    pub qualified: String,
    pub(super) compiled: Compiled<PluginHost>,
    pub limits: Limits,
    /// The plugin's configuration (JSON text), with the config schema's defaults filled in.
    pub(super) config: String,
}

/// The enabled plugins of one workspace.
pub struct WorkspacePlugins {
    fingerprint: String,
    checked_at: Instant,
    pub plugins: Vec<Arc<LoadedPlugin>>,
}

impl WorkspacePlugins {
    /// The plugins subscribed to `hook` on `entity_type`, in running order: priority, then
    /// qualified name.
    pub fn subscribed(&self, entity_type: &str, hook: Hook) -> Vec<Arc<LoadedPlugin>> {
        let mut found: Vec<(i32, Arc<LoadedPlugin>)> = self
            .plugins
            .iter()
            .filter_map(|plugin| {
                plugin
                    .manifest
                    .hooks
                    .iter()
                    .find(|s| s.hook == hook && s.entity_type == entity_type)
                    .map(|s| (s.priority, plugin.clone()))
            })
            .collect();
        found.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.qualified.cmp(&b.1.qualified))
        });
        found.into_iter().map(|(_, plugin)| plugin).collect()
    }

    /// Whether any plugin subscribes to one of `hooks` on `entity_type`.
    pub fn hooks_on(&self, entity_type: &str, hooks: &[Hook]) -> bool {
        self.plugins.iter().any(|plugin| {
            plugin
                .manifest
                .hooks
                .iter()
                .any(|s| s.entity_type == entity_type && hooks.contains(&s.hook))
        })
    }

    /// The plugin declaring action `name` on `entity_type`.
    pub fn action(&self, entity_type: &str, name: &str) -> Option<(Arc<LoadedPlugin>, usize)> {
        self.plugins.iter().find_map(|plugin| {
            plugin
                .manifest
                .actions
                .iter()
                .position(|a| a.entity_type == entity_type && a.name == name)
                .map(|index| (plugin.clone(), index))
        })
    }
}

/// The sandbox and the loaded plugins of every workspace.
pub struct PluginRegistry {
    pub(super) runtime: Runtime<PluginHost>,
    /// This host's invocation counts and latencies.
    pub stats: PluginStats,
    /// Wakes this host's delivery worker when a commit wrote deliveries.
    pub(super) wake: tokio::sync::Notify,
    workspaces: RwLock<HashMap<String, Arc<WorkspacePlugins>>>,
}

impl PluginRegistry {
    pub fn new(cache_dir: Option<std::path::PathBuf>) -> Result<PluginRegistry> {
        Ok(PluginRegistry {
            runtime: Runtime::new(cache_dir)
                .map_err(|e| Error::Internal(format!("plugin runtime: {e}")))?,
            workspaces: RwLock::new(HashMap::new()),
            stats: PluginStats::default(),
            wake: tokio::sync::Notify::new(),
        })
    }

    pub(super) fn forget(&self, workspace: &str) {
        self.workspaces
            .write()
            .expect("plugin registry lock")
            .remove(workspace);
    }
}

fn fingerprint(packages: &[StoredPackage]) -> String {
    packages
        .iter()
        .map(|p| format!("{}@{}:{}:{}", p.name, p.version, p.enabled, p.updated_at))
        .collect::<Vec<_>>()
        .join(",")
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The admin's settings of one plugin: configuration and limit overrides.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginSettings {
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(default)]
    pub limits: Option<LimitsRequest>,
}

impl App {
    /// The enabled plugins of a workspace, reloaded when another host (or this one) changed the
    /// packages.
    pub async fn workspace_plugins(&self, workspace: &str) -> Result<Arc<WorkspacePlugins>> {
        let cached = self
            .plugins
            .workspaces
            .read()
            .expect("plugin registry lock")
            .get(workspace)
            .cloned();
        if let Some(cached) = &cached
            && cached.checked_at.elapsed() < RECHECK
        {
            return Ok(cached.clone());
        }
        let packages = self.store.list_packages(workspace).await?;
        let print = fingerprint(&packages);
        if let Some(cached) = cached
            && cached.fingerprint == print
        {
            let fresh = Arc::new(WorkspacePlugins {
                fingerprint: print,
                checked_at: Instant::now(),
                plugins: cached.plugins.clone(),
            });
            self.plugins
                .workspaces
                .write()
                .expect("plugin registry lock")
                .insert(workspace.to_owned(), fresh.clone());
            return Ok(fresh);
        }
        let components = self.store.enabled_components(workspace).await?;
        let mut plugins = Vec::new();
        for package in packages.iter().filter(|p| p.enabled) {
            let manifest: Manifest = serde_json::from_str(&package.manifest).map_err(|e| {
                Error::Internal(format!("stored manifest of {}: {e}", package.name))
            })?;
            let settings: HashMap<String, PluginSettings> =
                serde_json::from_str(&package.settings).unwrap_or_default();
            let version = manifest
                .api_version()
                .map_err(|e| Error::Internal(format!("package {}: {e}", package.name)))?;
            for plugin in manifest.plugins {
                let Some(component) = components
                    .iter()
                    .find(|c| c.package == package.name && c.plugin == plugin.name)
                else {
                    return Err(Error::Internal(format!(
                        "package {} has no component for plugin {}",
                        package.name, plugin.name
                    )));
                };
                let bytes = base64::Engine::decode(
                    &base64::engine::general_purpose::STANDARD,
                    &component.base64,
                )
                .map_err(|e| {
                    Error::Internal(format!("stored component of {}: {e}", plugin.name))
                })?;
                let compiled = self
                    .plugins
                    .runtime
                    .compile(Arc::new(bytes), &component.sha256, version)
                    .await
                    .map_err(|e| {
                        Error::Internal(format!("plugin {}/{}: {e}", package.name, plugin.name))
                    })?;
                let own = settings.get(&plugin.name).cloned().unwrap_or_default();
                let limits = Limits::resolve(&[plugin.limits.as_ref(), own.limits.as_ref()]);
                let mut config = own.config.unwrap_or_else(|| json!({}));
                if let Some(schema) = &plugin.config_schema {
                    fill_defaults(schema, &mut config);
                }
                let config = config.to_string();
                plugins.push(Arc::new(LoadedPlugin {
                    qualified: format!("{}/{}", package.name, plugin.name),
                    package: package.name.clone(),
                    manifest: plugin,
                    compiled,
                    limits,
                    config,
                }));
            }
        }
        let loaded = Arc::new(WorkspacePlugins {
            fingerprint: print,
            checked_at: Instant::now(),
            plugins,
        });
        self.plugins
            .workspaces
            .write()
            .expect("plugin registry lock")
            .insert(workspace.to_owned(), loaded.clone());
        Ok(loaded)
    }

    /// Installs a package, or upgrades it when `upgrade` is set (the version must rise): its
    /// entity types (created, adopted, updated or released, see `package_types`), its plugins,
    /// and on request its sample data, all in one transaction.
    pub async fn install_package(
        &self,
        workspace: &str,
        files: PackageFiles,
        upgrade: Option<&str>,
        options: InstallOptions,
        actor: &Actor,
    ) -> Result<Value> {
        if upgrade.is_some() && options.sample_data {
            return Err(Error::bad_request(
                "invalid_query",
                "sample data is loaded only when a package is installed, never on upgrade",
            ));
        }
        let manifest_bytes = files
            .get(crate::plugin::package::MANIFEST_FILE)
            .ok_or_else(|| {
                Error::unprocessable(
                    "invalid_package",
                    "the package has no xrm-package.json at its root",
                    vec![FieldError::new(
                        "",
                        "package",
                        "xrm-package.json is missing",
                    )],
                )
            })?;
        let manifest = Manifest::parse(manifest_bytes).map_err(|errors| {
            Error::unprocessable(
                "invalid_manifest",
                "the package manifest is not valid",
                errors,
            )
        })?;
        if let Some(name) = upgrade
            && name != manifest.name
        {
            return Err(Error::unprocessable(
                "invalid_manifest",
                format!("the package is {:?}, not {name:?}", manifest.name),
                vec![FieldError::new(
                    "/name",
                    "const",
                    format!("expected {name:?}"),
                )],
            ));
        }
        let version = manifest
            .api_version()
            .map_err(|e| Error::Internal(format!("a checked manifest: {e}")))?;
        let mut components = Vec::new();
        let mut errors = Vec::new();
        for (index, plugin) in manifest.plugins.iter().enumerate() {
            let path = format!("/plugins/{index}/component");
            let Some(bytes) = files.get(&plugin.component) else {
                errors.push(FieldError::new(
                    &path,
                    "file",
                    format!("{} is not in the package", plugin.component),
                ));
                continue;
            };
            let sha256 = sha256_hex(bytes);
            if let Err(problem) = self
                .plugins
                .runtime
                .compile(Arc::new(bytes.to_vec()), &sha256, version)
                .await
            {
                errors.push(FieldError::new(
                    &path,
                    "component",
                    format!("{}: {problem}", plugin.component),
                ));
                continue;
            }
            components.push(StoredComponent {
                package: manifest.name.clone(),
                plugin: plugin.name.clone(),
                sha256,
                base64: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes),
            });
        }
        let contents = match PackageContents::load(&manifest, &files) {
            Ok(contents) => Some(contents),
            Err(problems) => {
                errors.extend(problems);
                None
            }
        };
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "invalid_package",
                "the package's components, entity types or sample data cannot be loaded",
                errors,
            ));
        }
        let contents = contents.expect("no errors, so the contents loaded");
        if options.sample_data && manifest.sample_data.is_none() {
            return Err(Error::unprocessable(
                "no_sample_data",
                format!("package {:?} has no sample data to load", manifest.name),
                vec![FieldError::new(
                    "/sample_data",
                    "required",
                    "the manifest names no sample data file",
                )],
            ));
        }
        let signed_by = self.check_signature(workspace, &files).await?;
        let others = self.store.list_packages(workspace).await?;
        let taken = taken_names(&manifest, &others);
        if !taken.is_empty() {
            return Err(Error::conflict(
                "name_taken",
                "another installed package already declares an action or report of the same name",
                taken,
            ));
        }
        let now = crate::clock::now();
        let mut tx = self.store.begin().await?;
        let existing = tx.get_package(workspace, &manifest.name).await?;
        let (installed_at, installed_by, settings, enabled) = match (&existing, upgrade) {
            (Some(_), None) => {
                return Err(Error::conflict(
                    "package_exists",
                    format!(
                        "package {:?} is already installed; upgrade it with PUT /api/v1/packages/{}",
                        manifest.name, manifest.name
                    ),
                    vec![],
                ));
            }
            (None, Some(name)) => return Err(Error::not_found(format!("package '{name}'"))),
            (Some(old), Some(_)) => {
                let old_version = semver::Version::parse(&old.version).ok();
                let new_version = semver::Version::parse(&manifest.version).ok();
                if new_version <= old_version {
                    return Err(Error::conflict(
                        "version_not_newer",
                        format!(
                            "version {} is not newer than the installed {}",
                            manifest.version, old.version
                        ),
                        vec![FieldError::new(
                            "/version",
                            "minimum",
                            format!("must be greater than {}", old.version),
                        )],
                    ));
                }
                (
                    old.installed_at.clone(),
                    old.installed_by.clone(),
                    old.settings.clone(),
                    old.enabled,
                )
            }
            (None, None) => (now.clone(), actor.recorded(), "{}".to_owned(), true),
        };
        let stored = StoredPackage {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            manifest: serde_json::to_string(&manifest).expect("a manifest serialises"),
            enabled,
            settings,
            installed_at,
            updated_at: now,
            installed_by,
            signed_by,
        };
        tx.save_package(workspace, &stored, &components).await?;
        let through =
            super::package_types::through_package(actor, &manifest.name, &manifest.version);
        let (types, released) = self
            .apply_package_types(
                &mut tx,
                workspace,
                &manifest.name,
                &contents,
                options,
                &through,
            )
            .await?;
        let sample_records = if options.sample_data {
            self.load_sample_data(&mut tx, workspace, &contents, &types, &through)
                .await?
        } else {
            0
        };
        let type_changes: Vec<Value> = types.iter().map(|t| t.json()).collect();
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: if existing.is_none() {
                    "package.install"
                } else {
                    "package.upgrade"
                }
                .to_owned(),
                subject_kind: "package",
                subject_type: None,
                subject_id: stored.name.clone(),
                before: existing
                    .as_ref()
                    .map(|old| serde_json::json!({"version": old.version})),
                after: Some(json!({
                    "version": stored.version,
                    "signed_by": stored.signed_by,
                    "entity_types": type_changes,
                    "released_entity_types": released,
                    "sample_records": sample_records,
                })),
            },
        );
        // Through `App::commit`: sample records raise after-create deliveries like any create.
        self.commit(tx, workspace, 0).await?;
        for change in &types {
            self.types.put(workspace, change.entity_type.clone());
        }
        self.plugins.forget(workspace);
        let hashes: Vec<_> = components
            .into_iter()
            .map(|c| (c.package, c.plugin, c.sha256))
            .collect();
        let trusted = self.store.trusted_publishers(workspace).await?;
        let managed = self.store.managed_types(workspace).await?;
        let mut shown = package_json(&stored, &hashes, &trusted, &managed);
        shown["changes"] = json!({
            "entity_types": type_changes,
            "released_entity_types": released,
            "sample_records": sample_records,
        });
        Ok(shown)
    }

    /// Verifies a package's signature and applies the host's policy: a package signed by a
    /// trusted publisher always installs; one signed by an unknown key or not signed at all
    /// installs only where unsigned packages are allowed. A signature that does not match the
    /// package is refused everywhere. Returns the signing key.
    async fn check_signature(
        &self,
        workspace: &str,
        files: &PackageFiles,
    ) -> Result<Option<String>> {
        let refuse = |code: &'static str, message: String| {
            Error::unprocessable(
                code,
                message.clone(),
                vec![FieldError::new(
                    format!("/{}", crate::plugin::signature::SIGNATURE_FILE),
                    "signature",
                    message,
                )],
            )
        };
        let signed = crate::plugin::signature::verify(files)
            .map_err(|problem| refuse("invalid_signature", problem))?;
        match signed {
            Signed::By(key) => {
                let trusted = self.store.trusted_publishers(workspace).await?;
                if trusted.iter().any(|(_, k, _)| *k == key)
                    || self.settings.allow_unsigned_packages
                {
                    Ok(Some(key))
                } else {
                    Err(refuse(
                        "untrusted_publisher",
                        format!(
                            "the package is signed by the key {key}, which no trusted publisher has; an admin adds it with POST /api/v1/trusted-publishers"
                        ),
                    ))
                }
            }
            Signed::Unsigned if self.settings.allow_unsigned_packages => Ok(None),
            Signed::Unsigned => Err(refuse(
                "unsigned_package",
                format!(
                    "the package is not signed ({} is missing), and this host installs only packages signed by a trusted publisher; sign it with `xrm plugin sign`, or start the host with --allow-unsigned-packages",
                    crate::plugin::signature::SIGNATURE_FILE
                ),
            )),
        }
    }

    pub async fn list_packages(&self, workspace: &str) -> Result<Vec<Value>> {
        let packages = self.store.list_packages(workspace).await?;
        let hashes = self.store.component_hashes(workspace).await?;
        let trusted = self.store.trusted_publishers(workspace).await?;
        let managed = self.store.managed_types(workspace).await?;
        Ok(packages
            .iter()
            .map(|p| package_json(p, &hashes, &trusted, &managed))
            .collect())
    }

    /// The publisher keys this workspace trusts.
    pub async fn trusted_publishers(&self, workspace: &str) -> Result<Vec<Value>> {
        Ok(self
            .store
            .trusted_publishers(workspace)
            .await?
            .into_iter()
            .map(|(name, public_key, added_at)| {
                json!({"name": name, "public_key": public_key, "added_at": added_at})
            })
            .collect())
    }

    /// Trusts a publisher's ed25519 public key (base64) under a name.
    pub async fn trust_publisher(
        &self,
        workspace: &str,
        name: &str,
        public_key: &str,
        actor: &Actor,
    ) -> Result<Value> {
        let mut errors = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "/name",
                "pattern",
                "a publisher name is 1 to 100 printable characters",
            ));
        }
        let key = match crate::plugin::signature::parse_public_key(public_key) {
            Ok(key) => Some(base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                key.as_bytes(),
            )),
            Err(problem) => {
                errors.push(FieldError::new("/public_key", "format", problem));
                None
            }
        };
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "invalid_publisher",
                "the publisher is not valid",
                errors,
            ));
        }
        let key = key.expect("checked above");
        let now = crate::clock::now();
        let mut tx = self.store.begin().await?;
        if !tx
            .add_trusted_publisher(workspace, name, &key, &now)
            .await?
        {
            return Err(Error::conflict(
                "publisher_exists",
                format!("a trusted publisher named {name:?} or with this key exists already"),
                vec![],
            ));
        }
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "publisher.trust".to_owned(),
                subject_kind: "trusted_publisher",
                subject_type: None,
                subject_id: name.to_owned(),
                before: None,
                after: Some(json!({"name": name, "public_key": key})),
            },
        );
        tx.commit().await?;
        Ok(json!({"name": name, "public_key": key, "added_at": now}))
    }

    /// Stops trusting a publisher. Installed packages stay; new installs need trust again.
    pub async fn distrust_publisher(
        &self,
        workspace: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if !tx.remove_trusted_publisher(workspace, name).await? {
            return Err(Error::not_found(format!("trusted publisher '{name}'")));
        }
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "publisher.distrust".to_owned(),
                subject_kind: "trusted_publisher",
                subject_type: None,
                subject_id: name.to_owned(),
                before: None,
                after: None,
            },
        );
        tx.commit().await
    }

    pub async fn get_package(&self, workspace: &str, name: &str) -> Result<Value> {
        self.list_packages(workspace)
            .await?
            .into_iter()
            .find(|p| p["name"] == name)
            .ok_or_else(|| Error::not_found(format!("package '{name}'")))
    }

    pub async fn set_package_enabled(
        &self,
        workspace: &str,
        name: &str,
        enabled: bool,
        actor: &Actor,
    ) -> Result<Value> {
        let mut tx = self.store.begin().await?;
        if !tx
            .set_package_enabled(workspace, name, enabled, &crate::clock::now())
            .await?
        {
            return Err(Error::not_found(format!("package '{name}'")));
        }
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: if enabled {
                    "package.enable"
                } else {
                    "package.disable"
                }
                .to_owned(),
                subject_kind: "package",
                subject_type: None,
                subject_id: name.to_owned(),
                before: None,
                after: None,
            },
        );
        tx.commit().await?;
        self.plugins.forget(workspace);
        self.get_package(workspace, name).await
    }

    pub async fn uninstall_package(
        &self,
        workspace: &str,
        name: &str,
        actor: &Actor,
    ) -> Result<()> {
        let mut tx = self.store.begin().await?;
        let released: Vec<String> = tx
            .managed_types(workspace)
            .await?
            .into_iter()
            .filter(|m| m.package == name)
            .map(|m| m.entity_type)
            .collect();
        if !tx.delete_package(workspace, name).await? {
            return Err(Error::not_found(format!("package '{name}'")));
        }
        // The types stay, with their records: nothing an uninstall does loses data.
        for entity_type in &released {
            self.audit_release(&mut tx, workspace, name, entity_type, actor);
        }
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "package.uninstall".to_owned(),
                subject_kind: "package",
                subject_type: None,
                subject_id: name.to_owned(),
                before: None,
                after: (!released.is_empty()).then(|| json!({"released_entity_types": released})),
            },
        );
        tx.commit().await?;
        self.plugins.forget(workspace);
        self.plugins.stats.forget(workspace, name);
        Ok(())
    }

    /// Sets one plugin's configuration and limit overrides, after checking them: the
    /// configuration against the plugin's config schema, the limits against the host's bounds.
    pub async fn set_plugin_settings(
        &self,
        workspace: &str,
        package: &str,
        plugin: &str,
        settings: PluginSettings,
        actor: &Actor,
    ) -> Result<Value> {
        let mut tx = self.store.begin().await?;
        let stored = tx
            .get_package(workspace, package)
            .await?
            .ok_or_else(|| Error::not_found(format!("package '{package}'")))?;
        let manifest: Manifest = serde_json::from_str(&stored.manifest)
            .map_err(|e| Error::Internal(format!("stored manifest of {package}: {e}")))?;
        let declared = manifest
            .plugins
            .iter()
            .find(|p| p.name == plugin)
            .ok_or_else(|| Error::not_found(format!("plugin '{plugin}' in package '{package}'")))?;
        let errors = settings_errors(declared, &settings)?;
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "invalid_settings",
                format!("the settings of plugin {package}/{plugin} are not valid"),
                errors,
            ));
        }
        let mut all: HashMap<String, PluginSettings> =
            serde_json::from_str(&stored.settings).unwrap_or_default();
        let before = all.get(plugin).and_then(|s| serde_json::to_value(s).ok());
        let after = serde_json::to_value(&settings).ok();
        tx.audit(
            workspace,
            actor,
            crate::store::AdminChange {
                action: "plugin.settings".to_owned(),
                subject_kind: "plugin_settings",
                subject_type: None,
                subject_id: format!("{package}/{plugin}"),
                before,
                after,
            },
        );
        all.insert(plugin.to_owned(), settings);
        let text = serde_json::to_string(&all).expect("settings serialise");
        tx.set_package_settings(workspace, package, &text, &crate::clock::now())
            .await?;
        tx.commit().await?;
        self.plugins.forget(workspace);
        self.get_package(workspace, package).await
    }

    /// This host's invocation statistics of a package's hooks.
    pub async fn package_stats(
        &self,
        workspace: &str,
        package: &str,
    ) -> Result<Vec<super::plugin_stats::HookStats>> {
        self.get_package(workspace, package).await?;
        Ok(self.plugins.stats.package(workspace, package))
    }

    /// A package's most recent failures, newest first.
    pub async fn package_failures(
        &self,
        workspace: &str,
        package: &str,
        limit: i64,
    ) -> Result<Vec<crate::store::StoredFailure>> {
        self.get_package(workspace, package).await?;
        self.store.list_failures(workspace, package, limit).await
    }
}

/// Whether and by whom a package is signed, as the API shows it.
fn signature_json(signed_by: Option<&str>, trusted: &[TrustedPublisher]) -> Value {
    match signed_by {
        None => json!({"status": "unsigned", "public_key": null, "publisher": null}),
        Some(key) => {
            let publisher = trusted.iter().find(|(_, k, _)| k == key).map(|(n, _, _)| n);
            json!({
                "status": if publisher.is_some() { "trusted" } else { "untrusted" },
                "public_key": key,
                "publisher": publisher,
            })
        }
    }
}

/// Problems with an admin's settings of a plugin, with JSON Pointers into the settings.
fn settings_errors(plugin: &PluginManifest, settings: &PluginSettings) -> Result<Vec<FieldError>> {
    let mut errors = Vec::new();
    if let Some(config) = &settings.config {
        match &plugin.config_schema {
            Some(schema) => {
                let validator = jsonschema::validator_for(schema)
                    .map_err(|e| Error::Internal(format!("a stored config schema: {e}")))?;
                errors.extend(validator.iter_errors(config).map(|e| {
                    FieldError::new(
                        format!("/config{}", e.instance_path()),
                        e.kind().keyword(),
                        e.to_string(),
                    )
                }));
            }
            None if config.as_object().is_some_and(|o| o.is_empty()) => {}
            None => errors.push(FieldError::new(
                "/config",
                "config_schema",
                format!("plugin {} declares no configuration", plugin.name),
            )),
        }
    }
    if let Some(limits) = &settings.limits {
        check_limits(limits, "/limits", &mut |path, keyword, message| {
            errors.push(FieldError::new(path, keyword, message));
        });
    }
    Ok(errors)
}

/// Fills in the `default` of every absent property the schema declares, into nested objects
/// too, so a plugin reads its configuration without repeating the defaults.
fn fill_defaults(schema: &Value, value: &mut Value) {
    let (Some(properties), Some(object)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object_mut(),
    ) else {
        return;
    };
    for (name, property) in properties {
        if !object.contains_key(name) {
            if let Some(default) = property.get("default") {
                object.insert(name.clone(), default.clone());
            } else if property.get("properties").is_some() {
                let mut nested = json!({});
                fill_defaults(property, &mut nested);
                if nested.as_object().is_some_and(|o| !o.is_empty()) {
                    object.insert(name.clone(), nested);
                }
                continue;
            }
        }
        if let Some(child) = object.get_mut(name) {
            fill_defaults(property, child);
        }
    }
}

/// Actions (per entity type) and reports of `manifest` whose names another installed package
/// already uses: a request names an action or report without its package.
fn taken_names(manifest: &Manifest, others: &[StoredPackage]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for other in others.iter().filter(|p| p.name != manifest.name) {
        let Ok(theirs) = serde_json::from_str::<Manifest>(&other.manifest) else {
            continue;
        };
        for (index, plugin) in manifest.plugins.iter().enumerate() {
            for (i, action) in plugin.actions.iter().enumerate() {
                let clash = theirs
                    .plugins
                    .iter()
                    .flat_map(|p| &p.actions)
                    .any(|a| a.name == action.name && a.entity_type == action.entity_type);
                if clash {
                    errors.push(FieldError::new(
                        format!("/plugins/{index}/actions/{i}/name"),
                        "unique",
                        format!(
                            "package {} already has an action {:?} on {}",
                            other.name, action.name, action.entity_type
                        ),
                    ));
                }
            }
            for (i, report) in plugin.reports.iter().enumerate() {
                if theirs
                    .plugins
                    .iter()
                    .flat_map(|p| &p.reports)
                    .any(|r| r.name == report.name)
                {
                    errors.push(FieldError::new(
                        format!("/plugins/{index}/reports/{i}/name"),
                        "unique",
                        format!(
                            "package {} already has a report {:?}",
                            other.name, report.name
                        ),
                    ));
                }
            }
        }
    }
    errors
}

/// A package as the API shows it; `hashes` = (package, plugin, sha256) of the components,
/// `managed` the workspace's managed types (this package's are shown with the version it set).
fn package_json(
    package: &StoredPackage,
    hashes: &[(String, String, String)],
    trusted: &[TrustedPublisher],
    managed: &[ManagedType],
) -> Value {
    let entity_types: Vec<Value> = managed
        .iter()
        .filter(|m| m.package == package.name)
        .map(|m| json!({"name": m.entity_type, "version": m.type_version}))
        .collect();
    let manifest: Value = serde_json::from_str(&package.manifest).unwrap_or(Value::Null);
    let settings: HashMap<String, PluginSettings> =
        serde_json::from_str(&package.settings).unwrap_or_default();
    let plugins: Vec<Value> = manifest["plugins"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|plugin| {
            let mut plugin = plugin.clone();
            let sha = hashes
                .iter()
                .find(|(p, name, _)| {
                    *p == package.name && Some(name.as_str()) == plugin["name"].as_str()
                })
                .map(|(_, _, sha256)| sha256.clone());
            plugin["sha256"] = sha.map(Value::String).unwrap_or(Value::Null);
            let own = plugin["name"]
                .as_str()
                .and_then(|name| settings.get(name))
                .cloned()
                .unwrap_or_default();
            let requested: Option<LimitsRequest> =
                serde_json::from_value(plugin["limits"].clone()).ok();
            let effective = Limits::resolve(&[requested.as_ref(), own.limits.as_ref()]);
            plugin["settings"] = json!({"config": own.config, "limits": own.limits});
            plugin["effective_limits"] = json!(effective);
            plugin
        })
        .collect();
    json!({
        "name": package.name,
        "version": package.version,
        "publisher": manifest["publisher"],
        "description": manifest["description"],
        "api": manifest["api"],
        "enabled": package.enabled,
        "installed_at": package.installed_at,
        "updated_at": package.updated_at,
        "installed_by": package.installed_by,
        "signature": signature_json(package.signed_by.as_deref(), trusted),
        "plugins": plugins,
        "entity_types": entity_types,
        "sample_data": manifest.get("sample_data").is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fill_absent_properties_at_every_depth() {
        let schema = json!({"type": "object", "properties": {
            "sla_hours": {"type": "object", "properties": {
                "high": {"type": "integer", "default": 8},
                "low": {"type": "integer", "default": 72}}},
            "mode": {"type": "string", "default": "strict"},
            "note": {"type": "string"}}});
        let mut config = json!({"sla_hours": {"high": 2}});
        fill_defaults(&schema, &mut config);
        assert_eq!(
            config,
            json!({"sla_hours": {"high": 2, "low": 72}, "mode": "strict"})
        );
        let mut empty = json!({});
        fill_defaults(&schema, &mut empty);
        assert_eq!(
            empty,
            json!({"sla_hours": {"high": 8, "low": 72}, "mode": "strict"})
        );
    }
}
