//! Packages and plugins in the application: install, upgrade, enable, disable, uninstall; the
//! per-workspace set of loaded plugins; the host calls plugins make ([`PluginHost`]); and the
//! dispatch of hooks and actions.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::records::{Actor, Change};
use super::{App, ListRequest};
use crate::error::{Error, FieldError, Result};
use crate::plugin::bindings::types as wit;
use crate::plugin::manifest::LimitsRequest;
use crate::plugin::{
    BoxFuture, CallSite, Compiled, Failure, FailureKind, Hook, HostApi, HostCallError, Limits,
    MAX_OUTPUT_BYTES, Manifest, PackageFiles, PluginManifest, QueryArgs, Runtime,
};
use crate::store::{StoredComponent, StoredPackage, StoredRecord, Tx};

/// How long a host trusts its loaded plugin set before checking the database for changes made
/// by another host.
const RECHECK: Duration = Duration::from_secs(2);
/// Most field errors one validate hook may return.
const MAX_FIELD_ERRORS: usize = 1000;
/// Most records one host query returns.
const MAX_QUERY_TOP: u32 = 500;

/// One plugin, compiled and ready to instantiate.
pub struct LoadedPlugin {
    pub package: String,
    pub manifest: PluginManifest,
    /// `package/plugin`, the name errors and logs use.
    pub qualified: String,
    compiled: Compiled<PluginHost>,
    pub limits: Limits,
    /// The plugin's configuration (JSON text).
    config: String,
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
    runtime: Runtime<PluginHost>,
    workspaces: RwLock<HashMap<String, Arc<WorkspacePlugins>>>,
}

impl PluginRegistry {
    pub fn new(cache_dir: Option<std::path::PathBuf>) -> Result<PluginRegistry> {
        Ok(PluginRegistry {
            runtime: Runtime::new(cache_dir)
                .map_err(|e| Error::Internal(format!("plugin runtime: {e}")))?,
            workspaces: RwLock::new(HashMap::new()),
        })
    }

    fn forget(&self, workspace: &str) {
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
                    .compile(Arc::new(bytes), &component.sha256)
                    .await
                    .map_err(|e| {
                        Error::Internal(format!("plugin {}/{}: {e}", package.name, plugin.name))
                    })?;
                let own = settings.get(&plugin.name).cloned().unwrap_or_default();
                let limits = Limits::resolve(&[plugin.limits.as_ref(), own.limits.as_ref()]);
                let config = own.config.unwrap_or_else(|| json!({})).to_string();
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

    /// Installs a package, or upgrades it when `upgrade` is set (the version must rise).
    pub async fn install_package(
        &self,
        workspace: &str,
        files: PackageFiles,
        upgrade: Option<&str>,
        actor: &Actor,
    ) -> Result<Value> {
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
                .compile(Arc::new(bytes.to_vec()), &sha256)
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
        if !errors.is_empty() {
            return Err(Error::unprocessable(
                "invalid_package",
                "the package's components cannot be loaded",
                errors,
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
            (None, None) => (now.clone(), actor.0.clone(), "{}".to_owned(), true),
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
        };
        tx.save_package(workspace, &stored, &components).await?;
        tx.commit().await?;
        self.plugins.forget(workspace);
        let hashes: Vec<_> = components
            .into_iter()
            .map(|c| (c.package, c.plugin, c.sha256))
            .collect();
        Ok(package_json(&stored, &hashes))
    }

    pub async fn list_packages(&self, workspace: &str) -> Result<Vec<Value>> {
        let packages = self.store.list_packages(workspace).await?;
        let hashes = self.store.component_hashes(workspace).await?;
        Ok(packages.iter().map(|p| package_json(p, &hashes)).collect())
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
    ) -> Result<Value> {
        let mut tx = self.store.begin().await?;
        if !tx
            .set_package_enabled(workspace, name, enabled, &crate::clock::now())
            .await?
        {
            return Err(Error::not_found(format!("package '{name}'")));
        }
        tx.commit().await?;
        self.plugins.forget(workspace);
        self.get_package(workspace, name).await
    }

    pub async fn uninstall_package(&self, workspace: &str, name: &str) -> Result<()> {
        let mut tx = self.store.begin().await?;
        if !tx.delete_package(workspace, name).await? {
            return Err(Error::not_found(format!("package '{name}'")));
        }
        tx.commit().await?;
        self.plugins.forget(workspace);
        Ok(())
    }

    /// Runs the validate hooks of a type on a record; their field errors join the schema's.
    pub(super) async fn plugin_validate(
        &self,
        plugins: &WorkspacePlugins,
        workspace: &str,
        event: &wit::RecordEvent,
        actor: &Actor,
    ) -> Result<Vec<FieldError>> {
        let mut errors = Vec::new();
        for plugin in plugins.subscribed(&event.entity_type, Hook::Validate) {
            let host = self.plugin_host(workspace, &plugin, None, actor);
            let site = CallSite {
                plugin: plugin.qualified.clone(),
                hook: "validate".into(),
            };
            let call_event = event.clone();
            let (found, _) = self
                .plugins
                .runtime
                .invoke(
                    &plugin.compiled,
                    &site,
                    host,
                    plugin.limits,
                    plugin.limits.sync_deadline_ms,
                    move |instance, store| {
                        Box::pin(async move {
                            let found = instance
                                .xrm_plugin_hooks()
                                .call_validate(store, &call_event)
                                .await?;
                            Ok(Ok(found))
                        })
                    },
                )
                .await
                .map_err(plugin_failed)?;
            let size: usize = found
                .iter()
                .map(|e| e.path.len() + e.keyword.len() + e.message.len())
                .sum();
            if found.len() > MAX_FIELD_ERRORS || size > MAX_OUTPUT_BYTES {
                return Err(plugin_failed(Failure {
                    plugin: plugin.qualified.clone(),
                    hook: "validate".into(),
                    kind: FailureKind::Limit,
                    reason: format!(
                        "returned {} field errors ({size} bytes); the limit is {MAX_FIELD_ERRORS} errors and {MAX_OUTPUT_BYTES} bytes",
                        found.len()
                    ),
                }));
            }
            errors.extend(
                found
                    .into_iter()
                    .map(|e| FieldError::new(e.path, e.keyword, e.message)),
            );
        }
        Ok(errors)
    }

    /// Runs the before-* hooks of a type in the write transaction. Returns the transaction and
    /// the record as the plugins left it (`None`: unchanged).
    pub(super) async fn plugin_before(
        &self,
        plugins: &WorkspacePlugins,
        workspace: &str,
        hook: Hook,
        mut event: wit::RecordEvent,
        mut tx: Tx,
        actor: &Actor,
    ) -> Result<(Tx, Option<Value>)> {
        let mut changed = None;
        for plugin in plugins.subscribed(&event.entity_type, hook) {
            let host = self.plugin_host(workspace, &plugin, Some(tx), actor);
            let site = CallSite {
                plugin: plugin.qualified.clone(),
                hook: hook.as_str().into(),
            };
            let call_event = event.clone();
            let qualified = plugin.qualified.clone();
            let (outcome, host) = self
                .plugins
                .runtime
                .invoke(
                    &plugin.compiled,
                    &site,
                    host,
                    plugin.limits,
                    plugin.limits.sync_deadline_ms,
                    move |instance, store| {
                        Box::pin(async move {
                            let outcome = instance
                                .xrm_plugin_hooks()
                                .call_before_change(store, &call_event)
                                .await?;
                            Ok(Ok(outcome))
                        })
                    },
                )
                .await
                .map_err(plugin_failed)?;
            tx = host.tx.expect("a before hook keeps its transaction");
            match outcome {
                Ok(None) => {}
                Ok(Some(text)) => {
                    if hook == Hook::BeforeDelete {
                        continue;
                    }
                    if text.len() > MAX_OUTPUT_BYTES {
                        return Err(plugin_failed(Failure {
                            plugin: qualified,
                            hook: hook.as_str().into(),
                            kind: FailureKind::Limit,
                            reason: format!(
                                "returned a record of {} bytes; the limit is {MAX_OUTPUT_BYTES}",
                                text.len()
                            ),
                        }));
                    }
                    let value: Value = serde_json::from_str(&text).map_err(|e| {
                        plugin_failed(Failure {
                            plugin: qualified.clone(),
                            hook: hook.as_str().into(),
                            kind: FailureKind::BadOutput,
                            reason: format!("returned a record that is not JSON: {e}"),
                        })
                    })?;
                    if !value.is_object() {
                        return Err(plugin_failed(Failure {
                            plugin: qualified,
                            hook: hook.as_str().into(),
                            kind: FailureKind::BadOutput,
                            reason: "returned a record that is not a JSON object".into(),
                        }));
                    }
                    event.record = Some(value.to_string());
                    changed = Some(value);
                }
                Err(refusal) => return Err(refused(&qualified, hook.as_str(), refusal)),
            }
        }
        Ok((tx, changed))
    }

    /// Runs a declared action on a record, in one transaction with the plugin's writes.
    pub async fn run_action(
        &self,
        workspace: &str,
        type_name: &str,
        id: &str,
        name: &str,
        input: Value,
        actor: &Actor,
    ) -> Result<Value> {
        let record = self.get_record(workspace, type_name, id).await?;
        let plugins = self.workspace_plugins(workspace).await?;
        let (plugin, index) = plugins
            .action(type_name, name)
            .ok_or_else(|| Error::not_found(format!("action '{name}' on {type_name}")))?;
        if let Some(schema) = &plugin.manifest.actions[index].input_schema {
            let validator = jsonschema::validator_for(schema)
                .map_err(|e| Error::Internal(format!("action input schema: {e}")))?;
            let errors: Vec<FieldError> = validator
                .iter_errors(&input)
                .map(|e| {
                    FieldError::new(
                        e.instance_path().to_string(),
                        e.kind().keyword(),
                        e.to_string(),
                    )
                })
                .collect();
            if !errors.is_empty() {
                return Err(Error::unprocessable(
                    "invalid_action_input",
                    format!("the input of action {name} is not valid"),
                    errors,
                ));
            }
        }
        let tx = self.store.begin().await?;
        let host = self.plugin_host(workspace, &plugin, Some(tx), actor);
        let request = wit::ActionRequest {
            entity_type: type_name.to_owned(),
            id: record.id.clone(),
            name: name.to_owned(),
            input: input.to_string(),
            actor: actor.0.clone(),
        };
        let site = CallSite {
            plugin: plugin.qualified.clone(),
            hook: format!("action {name}"),
        };
        let (outcome, host) = self
            .plugins
            .runtime
            .invoke(
                &plugin.compiled,
                &site,
                host,
                plugin.limits,
                plugin.limits.async_deadline_ms,
                |instance, store| {
                    Box::pin(async move {
                        let outcome = instance
                            .xrm_plugin_hooks()
                            .call_run_action(store, &request)
                            .await?;
                        Ok(Ok(outcome))
                    })
                },
            )
            .await
            .map_err(plugin_failed)?;
        let output = outcome
            .map_err(|refusal| refused(&plugin.qualified, &format!("action {name}"), refusal))?;
        let output: Value = serde_json::from_str(&output).map_err(|e| {
            plugin_failed(Failure {
                plugin: plugin.qualified.clone(),
                hook: format!("action {name}"),
                kind: FailureKind::BadOutput,
                reason: format!("returned output that is not JSON: {e}"),
            })
        })?;
        host.tx
            .expect("an action keeps its transaction")
            .commit()
            .await?;
        Ok(output)
    }

    fn plugin_host(
        &self,
        workspace: &str,
        plugin: &LoadedPlugin,
        tx: Option<Tx>,
        actor: &Actor,
    ) -> PluginHost {
        PluginHost {
            app: self.me.upgrade().expect("the app outlives its requests"),
            workspace: workspace.to_owned(),
            plugin: plugin.qualified.clone(),
            capabilities: plugin.manifest.capabilities.clone(),
            config: plugin.config.clone(),
            actor: Actor(format!("plugin:{}", plugin.qualified)),
            on_behalf_of: actor.clone(),
            tx,
        }
    }
}

/// A record event for the hooks, with the record as the API shows it.
pub(super) fn record_event(
    entity_type: &str,
    operation: wit::Operation,
    id: &str,
    record: Option<&StoredRecord>,
    previous: Option<&StoredRecord>,
    actor: &Actor,
) -> wit::RecordEvent {
    wit::RecordEvent {
        entity_type: entity_type.to_owned(),
        operation,
        id: id.to_owned(),
        record: record.map(super::record_text),
        previous: previous.map(super::record_text),
        actor: actor.0.clone(),
    }
}

fn plugin_failed(failure: Failure) -> Error {
    Error::PluginFailed(failure)
}

fn refused(plugin: &str, hook: &str, refusal: wit::Refusal) -> Error {
    match refusal {
        wit::Refusal::Invalid(errors) => Error::unprocessable(
            "refused_by_plugin",
            format!("plugin {plugin} refused the record in {hook}"),
            errors
                .into_iter()
                .map(|e| FieldError::new(e.path, e.keyword, e.message))
                .collect(),
        ),
        wit::Refusal::Conflict(message) => Error::conflict(
            "refused_by_plugin",
            format!(
                "plugin {plugin} refused the operation in {hook}: {}",
                message.chars().take(1000).collect::<String>()
            ),
            vec![],
        ),
    }
}

/// A package as the API shows it; `hashes` = (package, plugin, sha256) of the components.
fn package_json(package: &StoredPackage, hashes: &[(String, String, String)]) -> Value {
    let manifest: Value = serde_json::from_str(&package.manifest).unwrap_or(Value::Null);
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
        "plugins": plugins,
    })
}

/// What a plugin's host calls act on: its workspace, its capabilities, and — inside a
/// synchronous hook or an action — the request's transaction.
pub struct PluginHost {
    app: Arc<App>,
    workspace: String,
    plugin: String,
    capabilities: crate::plugin::manifest::Capabilities,
    config: String,
    /// Writes are recorded as made by the plugin.
    actor: Actor,
    /// The user whose request triggered the plugin.
    #[allow(dead_code)]
    on_behalf_of: Actor,
    pub tx: Option<Tx>,
}

impl PluginHost {
    fn denied(&self, what: &str, entity_type: &str) -> HostCallError {
        HostCallError::Denied(format!(
            "plugin {} may not {what} {entity_type:?} records: its manifest does not declare that capability",
            self.plugin
        ))
    }

    fn may_read(&self, entity_type: &str) -> std::result::Result<(), HostCallError> {
        if self.capabilities.may_read(entity_type) {
            Ok(())
        } else {
            Err(self.denied("read", entity_type))
        }
    }

    fn may_write(&self, entity_type: &str) -> std::result::Result<(), HostCallError> {
        if !self.capabilities.may_write(entity_type) {
            return Err(self.denied("write", entity_type));
        }
        if self.tx.is_none() {
            return Err(HostCallError::Denied(format!(
                "plugin {}: validate hooks cannot write records; use a before-* hook or an action",
                self.plugin
            )));
        }
        Ok(())
    }
}

fn call_error(error: Error) -> HostCallError {
    match error {
        Error::NotFound { what } => HostCallError::NotFound(format!("{what} not found")),
        Error::BadRequest { detail, .. } => HostCallError::BadRequest(detail),
        Error::Unprocessable { errors, detail, .. } if errors.is_empty() => {
            HostCallError::BadRequest(detail)
        }
        Error::Unprocessable { errors, .. } => HostCallError::Invalid(errors),
        Error::Conflict { detail, .. } => HostCallError::Conflict(detail),
        Error::PreconditionFailed { .. } => HostCallError::Conflict(error.to_string()),
        other => {
            tracing::warn!(error = %other, "plugin host call failed");
            HostCallError::Failed("the host could not complete the call; see its log".into())
        }
    }
}

fn parse_json(text: &str) -> std::result::Result<Value, HostCallError> {
    serde_json::from_str(text).map_err(|e| HostCallError::BadRequest(format!("not JSON: {e}")))
}

impl HostApi for PluginHost {
    fn get_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, std::result::Result<Option<String>, HostCallError>> {
        Box::pin(async move {
            self.may_read(entity_type)?;
            if super::check_id(id).is_err() {
                return Ok(None);
            }
            let found = match &mut self.tx {
                Some(tx) => tx
                    .get_record_for_update(&self.workspace, id)
                    .await
                    .map_err(call_error)?,
                None => self
                    .app
                    .store
                    .get_record(&self.workspace, id)
                    .await
                    .map_err(call_error)?,
            };
            Ok(found
                .filter(|r| r.entity_type == entity_type)
                .map(|r| super::record_text(&r)))
        })
    }

    fn query_records<'a>(
        &'a mut self,
        entity_type: &'a str,
        query: QueryArgs,
    ) -> BoxFuture<'a, std::result::Result<Vec<String>, HostCallError>> {
        Box::pin(async move {
            self.may_read(entity_type)?;
            let request = ListRequest {
                filter: query.filter,
                orderby: query.order_by,
                top: Some(query.top.unwrap_or(50).min(MAX_QUERY_TOP).to_string()),
                ..ListRequest::default()
            };
            let page = self
                .app
                .list_records(&self.workspace, entity_type, &request, None)
                .await
                .map_err(call_error)?;
            Ok(page.records)
        })
    }

    fn create_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        data: &'a str,
    ) -> BoxFuture<'a, std::result::Result<String, HostCallError>> {
        Box::pin(async move {
            self.may_write(entity_type)?;
            let body = parse_json(data)?;
            let tx = self.tx.as_mut().expect("checked by may_write");
            let record = self
                .app
                .create_in(tx, &self.workspace, entity_type, body, &self.actor)
                .await
                .map_err(call_error)?;
            Ok(super::record_text(&record))
        })
    }

    fn update_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
        patch: &'a str,
    ) -> BoxFuture<'a, std::result::Result<String, HostCallError>> {
        Box::pin(async move {
            self.may_write(entity_type)?;
            let patch = parse_json(patch)?;
            let tx = self.tx.as_mut().expect("checked by may_write");
            let record = self
                .app
                .update_in(
                    tx,
                    &self.workspace,
                    entity_type,
                    id,
                    Change::MergePatch(patch),
                    &self.actor,
                )
                .await
                .map_err(call_error)?;
            Ok(super::record_text(&record))
        })
    }

    fn delete_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, std::result::Result<(), HostCallError>> {
        Box::pin(async move {
            self.may_write(entity_type)?;
            let tx = self.tx.as_mut().expect("checked by may_write");
            self.app
                .delete_in(tx, &self.workspace, entity_type, id, &self.actor)
                .await
                .map_err(call_error)
        })
    }

    fn config(&self) -> String {
        self.config.clone()
    }
}
