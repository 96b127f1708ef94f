//! The package manifest (`xrm-package.json`): what a package holds, what each plugin may do and
//! which hooks it subscribes to. Checked whole at install; every problem is reported with the
//! JSON Pointer of the offending member.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;

use super::bindings::ApiVersion;

/// The plugin API versions (WIT packages `xrm:plugin@…`) this host loads, oldest first: a
/// version stays here (and its bindings module in `bindings`) as long as any plugin may use it.
pub const SUPPORTED_API_VERSIONS: &[&str] = &["0.1.0", "0.2.0"];

/// Upper bounds an admin may set for one plugin; the defaults are in [`Limits::default`].
pub const MAX_DEADLINE_MS: u64 = 60_000;
pub const MAX_MEMORY_MB: u64 = 256;
pub const MAX_HOST_CALLS: u32 = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `^[a-z][a-z0-9-]{0,62}$`, unique in a workspace.
    pub name: String,
    /// Semantic version; an upgrade must raise it.
    pub version: String,
    pub publisher: String,
    #[serde(default)]
    pub description: String,
    /// The plugin API version the components were built against, e.g. "0.1.0".
    pub api: String,
    /// The plugins; a package of entity types alone may have none.
    #[serde(default)]
    pub plugins: Vec<PluginManifest>,
    /// Paths (inside the package) of the entity-type documents the package provides, each
    /// exactly what `POST /api/v1/entity-types` accepts. Installing creates them and the
    /// package manages them from then on: its upgrades change them through the entity-type
    /// rules, so an ISV ships the data model with the logic that relies on it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entity_types: Vec<String>,
    /// Path of a JSON file of sample records per entity type, loaded only when the admin asks
    /// for it at install: demonstration data must never land in a workspace by surprise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_data: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PluginManifest {
    pub name: String,
    /// Path of the component inside the package.
    pub component: String,
    #[serde(default)]
    pub capabilities: Capabilities,
    #[serde(default)]
    pub hooks: Vec<HookSubscription>,
    #[serde(default)]
    pub actions: Vec<ActionDecl>,
    #[serde(default)]
    pub reports: Vec<ReportDecl>,
    #[serde(default)]
    pub schedules: Vec<ScheduleDecl>,
    /// JSON Schema of the plugin's configuration.
    #[serde(default)]
    pub config_schema: Option<Value>,
    /// Limits the plugin asks for; the admin's settings override them.
    #[serde(default)]
    pub limits: Option<LimitsRequest>,
}

/// What a plugin may touch through host calls. Writing a type implies reading it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Capabilities {
    #[serde(default)]
    pub read: Vec<String>,
    #[serde(default)]
    pub write: Vec<String>,
    /// Per entity type, the only top-level fields the plugin sees and changes (with the system
    /// fields, which it always sees). A type not listed here is visible whole.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, Vec<String>>,
    /// May list the workspace's members (id, display name, teams, disabled), to route work to
    /// people. API 0.2.0 on.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub members: bool,
}

impl Capabilities {
    /// The fields the plugin is limited to on `entity_type`, if it declared any.
    pub fn fields_of(&self, entity_type: &str) -> Option<&[String]> {
        self.fields.get(entity_type).map(Vec::as_slice)
    }

    pub fn may_read(&self, entity_type: &str) -> bool {
        self.read
            .iter()
            .chain(&self.write)
            .any(|t| t == entity_type)
    }

    pub fn may_write(&self, entity_type: &str) -> bool {
        self.write.iter().any(|t| t == entity_type)
    }
}

/// The hooks a plugin can subscribe to, per entity type.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum Hook {
    Validate,
    BeforeCreate,
    BeforeUpdate,
    BeforeDelete,
    AfterCreate,
    AfterUpdate,
    AfterDelete,
}

impl Hook {
    pub fn as_str(self) -> &'static str {
        match self {
            Hook::Validate => "validate",
            Hook::BeforeCreate => "before-create",
            Hook::BeforeUpdate => "before-update",
            Hook::BeforeDelete => "before-delete",
            Hook::AfterCreate => "after-create",
            Hook::AfterUpdate => "after-update",
            Hook::AfterDelete => "after-delete",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HookSubscription {
    pub hook: Hook,
    pub entity_type: String,
    /// Lower runs first; ties run in plugin-name order. Default 100.
    #[serde(default = "default_priority")]
    pub priority: i32,
}

fn default_priority() -> i32 {
    100
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ActionDecl {
    pub name: String,
    pub entity_type: String,
    #[serde(default)]
    pub display_name: Option<String>,
    /// JSON Schema of the request body; an empty object schema when absent.
    #[serde(default)]
    pub input_schema: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReportDecl {
    pub name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// JSON Schema of the report's query parameters (an object of named values). Values arrive
    /// as text and are read as the type each property declares before they are checked.
    #[serde(default)]
    pub parameters: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScheduleDecl {
    pub name: String,
    /// Cron expression in UTC: minute hour day-of-month month day-of-week, optionally with
    /// seconds in front (six fields).
    pub cron: String,
}

/// Limits as asked for in a manifest or set by an admin; absent members keep the default.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsRequest {
    pub sync_deadline_ms: Option<u64>,
    pub async_deadline_ms: Option<u64>,
    pub memory_mb: Option<u64>,
    pub host_calls: Option<u32>,
}

/// The limits one invocation runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Wall-clock budget of a synchronous hook (validate, before-*), which runs inside a
    /// request and, for before-*, inside its write transaction.
    pub sync_deadline_ms: u64,
    /// Budget of actions, reports, schedules and after-* hooks.
    pub async_deadline_ms: u64,
    /// Linear memory cap.
    pub memory_mb: u64,
    /// Host calls per invocation.
    pub host_calls: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sync_deadline_ms: 50,
            async_deadline_ms: 5_000,
            memory_mb: 32,
            host_calls: 100,
        }
    }
}

impl Limits {
    /// The defaults, overridden by the manifest's request, then by the admin's settings.
    pub fn resolve(requests: &[Option<&LimitsRequest>]) -> Limits {
        let mut limits = Limits::default();
        for request in requests.iter().flatten() {
            limits.sync_deadline_ms = request.sync_deadline_ms.unwrap_or(limits.sync_deadline_ms);
            limits.async_deadline_ms = request
                .async_deadline_ms
                .unwrap_or(limits.async_deadline_ms);
            limits.memory_mb = request.memory_mb.unwrap_or(limits.memory_mb);
            limits.host_calls = request.host_calls.unwrap_or(limits.host_calls);
        }
        limits
    }
}

fn is_name(text: &str, max: usize) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some('a'..='z'))
        && text.len() <= max
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-' | '_'))
}

/// Whether a path names a file inside the package: relative, without `..`.
fn is_package_path(path: &str) -> bool {
    !path.is_empty() && !path.starts_with('/') && !path.split('/').any(|part| part == "..")
}

impl Manifest {
    /// The plugin API version the components are linked against. A stored manifest was
    /// checked at install, so an unknown version here is a host downgrade: reported, not
    /// guessed.
    pub fn api_version(&self) -> Result<ApiVersion, String> {
        ApiVersion::parse(&self.api).ok_or_else(|| {
            format!(
                "plugin API {:?} is not supported by this host; supported: {}",
                self.api,
                SUPPORTED_API_VERSIONS.join(", ")
            )
        })
    }

    /// Parses and checks a manifest; the errors name every problem.
    pub fn parse(text: &[u8]) -> Result<Manifest, Vec<FieldError>> {
        let manifest: Manifest = serde_json::from_slice(text).map_err(|error| {
            vec![FieldError::new(
                "",
                "manifest",
                format!("xrm-package.json: {error}"),
            )]
        })?;
        let errors = manifest.check();
        if errors.is_empty() {
            Ok(manifest)
        } else {
            Err(errors)
        }
    }

    fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut error = |path: String, keyword: &str, message: String| {
            errors.push(FieldError::new(path, keyword, message));
        };
        if !is_name(&self.name, 63) || self.name.contains('_') {
            error(
                "/name".into(),
                "pattern",
                format!(
                    "package name {:?} must match ^[a-z][a-z0-9-]{{0,62}}$",
                    self.name
                ),
            );
        }
        if semver::Version::parse(&self.version).is_err() {
            error(
                "/version".into(),
                "semver",
                format!("{:?} is not a semantic version (e.g. 1.2.0)", self.version),
            );
        }
        if self.publisher.trim().is_empty() {
            error(
                "/publisher".into(),
                "minLength",
                "the publisher must be named".into(),
            );
        }
        if !SUPPORTED_API_VERSIONS.contains(&self.api.as_str()) {
            error(
                "/api".into(),
                "enum",
                format!(
                    "plugin API {:?} is not supported by this host; supported: {}",
                    self.api,
                    SUPPORTED_API_VERSIONS.join(", ")
                ),
            );
        }
        if self.plugins.is_empty() && self.entity_types.is_empty() {
            error(
                "/plugins".into(),
                "minItems",
                "a package holds at least one plugin or entity type".into(),
            );
        }
        let mut files: BTreeMap<&str, String> = BTreeMap::new();
        for (index, path) in self.entity_types.iter().enumerate() {
            let at = format!("/entity_types/{index}");
            if !is_package_path(path) {
                error(
                    at,
                    "path",
                    format!("{path:?} must be a relative path inside the package"),
                );
            } else if let Some(first) = files.insert(path, at.clone()) {
                error(at, "unique", format!("{path:?} is also {first}"));
            }
        }
        if let Some(path) = &self.sample_data {
            if !is_package_path(path) {
                error(
                    "/sample_data".into(),
                    "path",
                    format!("{path:?} must be a relative path inside the package"),
                );
            } else if let Some(first) = files.get(path.as_str()) {
                error(
                    "/sample_data".into(),
                    "unique",
                    format!("{path:?} is also {first}, an entity type"),
                );
            }
        }
        let mut names = BTreeMap::new();
        let mut reports: BTreeMap<String, String> = BTreeMap::new();
        for (index, plugin) in self.plugins.iter().enumerate() {
            let at = format!("/plugins/{index}");
            if !is_name(&plugin.name, 63) {
                error(
                    format!("{at}/name"),
                    "pattern",
                    format!(
                        "plugin name {:?} must match ^[a-z][a-z0-9_-]{{0,62}}$",
                        plugin.name
                    ),
                );
            }
            if let Some(first) = names.insert(plugin.name.clone(), index) {
                error(
                    format!("{at}/name"),
                    "unique",
                    format!("plugin {:?} is also /plugins/{first}", plugin.name),
                );
            }
            if !is_package_path(&plugin.component) {
                error(
                    format!("{at}/component"),
                    "path",
                    format!(
                        "{:?} must be a relative path inside the package",
                        plugin.component
                    ),
                );
            }
            let types = plugin
                .capabilities
                .read
                .iter()
                .chain(&plugin.capabilities.write);
            for (i, name) in types.enumerate() {
                if !is_name(name, 48) || name.contains('-') {
                    error(
                        format!("{at}/capabilities"),
                        "pattern",
                        format!("entry {i}: {name:?} is not an entity type name"),
                    );
                }
            }
            if plugin.capabilities.members
                && ApiVersion::parse(&self.api).is_some_and(|v| !v.has_ownership())
            {
                error(
                    format!("{at}/capabilities/members"),
                    "capability",
                    format!(
                        "the members capability needs plugin API 0.2.0 or later; this package is built against {}",
                        self.api
                    ),
                );
            }
            for (entity_type, fields) in &plugin.capabilities.fields {
                let path = format!("{at}/capabilities/fields/{entity_type}");
                if !plugin.capabilities.may_read(entity_type) {
                    error(
                        path.clone(),
                        "capability",
                        format!(
                            "fields are declared for {entity_type:?}, which the plugin neither reads nor writes"
                        ),
                    );
                }
                for (i, field) in fields.iter().enumerate() {
                    if !crate::schema::is_valid_property_name(field) {
                        error(
                            format!("{path}/{i}"),
                            "pattern",
                            format!("{field:?} is not a field name"),
                        );
                    }
                }
            }
            let mut seen = BTreeMap::new();
            for (i, hook) in plugin.hooks.iter().enumerate() {
                if !is_name(&hook.entity_type, 48) || hook.entity_type.contains('-') {
                    error(
                        format!("{at}/hooks/{i}/entity_type"),
                        "pattern",
                        format!("{:?} is not an entity type name", hook.entity_type),
                    );
                }
                if let Some(first) = seen.insert((hook.hook, hook.entity_type.clone()), i) {
                    error(
                        format!("{at}/hooks/{i}"),
                        "unique",
                        format!("repeats /plugins/{index}/hooks/{first}"),
                    );
                }
            }
            let mut actions = BTreeMap::new();
            for (i, action) in plugin.actions.iter().enumerate() {
                if !is_name(&action.name, 63) {
                    error(
                        format!("{at}/actions/{i}/name"),
                        "pattern",
                        format!(
                            "action name {:?} must match ^[a-z][a-z0-9_-]{{0,62}}$",
                            action.name
                        ),
                    );
                }
                if actions
                    .insert((action.entity_type.clone(), action.name.clone()), i)
                    .is_some()
                {
                    error(
                        format!("{at}/actions/{i}"),
                        "unique",
                        format!(
                            "action {:?} on {:?} is declared twice",
                            action.name, action.entity_type
                        ),
                    );
                }
                if let Some(schema) = &action.input_schema
                    && let Err(problem) = jsonschema::validator_for(schema)
                {
                    error(
                        format!("{at}/actions/{i}/input_schema"),
                        "schema",
                        format!("not a valid JSON Schema: {problem}"),
                    );
                }
            }
            for (i, report) in plugin.reports.iter().enumerate() {
                if !is_name(&report.name, 63) {
                    error(
                        format!("{at}/reports/{i}/name"),
                        "pattern",
                        format!(
                            "report name {:?} must match ^[a-z][a-z0-9_-]{{0,62}}$",
                            report.name
                        ),
                    );
                }
                if let Some(first) =
                    reports.insert(report.name.clone(), format!("{at}/reports/{i}"))
                {
                    error(
                        format!("{at}/reports/{i}/name"),
                        "unique",
                        format!("report {:?} is already declared at {first}", report.name),
                    );
                }
                if let Some(schema) = &report.parameters {
                    let object = schema.get("type").and_then(Value::as_str) == Some("object");
                    if !object {
                        error(
                            format!("{at}/reports/{i}/parameters"),
                            "type",
                            "the parameters schema must be of type \"object\"".into(),
                        );
                    } else if let Err(problem) = jsonschema::validator_for(schema) {
                        error(
                            format!("{at}/reports/{i}/parameters"),
                            "schema",
                            format!("not a valid JSON Schema: {problem}"),
                        );
                    }
                }
            }
            for (i, schedule) in plugin.schedules.iter().enumerate() {
                if !is_name(&schedule.name, 63) {
                    error(
                        format!("{at}/schedules/{i}/name"),
                        "pattern",
                        format!(
                            "schedule name {:?} must match ^[a-z][a-z0-9_-]{{0,62}}$",
                            schedule.name
                        ),
                    );
                }
                if let Err(problem) = parse_cron(&schedule.cron) {
                    error(format!("{at}/schedules/{i}/cron"), "cron", problem);
                }
            }
            if let Some(schema) = &plugin.config_schema
                && let Err(problem) = jsonschema::validator_for(schema)
            {
                error(
                    format!("{at}/config_schema"),
                    "schema",
                    format!("not a valid JSON Schema: {problem}"),
                );
            }
            if let Some(limits) = &plugin.limits {
                check_limits(limits, &format!("{at}/limits"), &mut error);
            }
        }
        errors
    }
}

/// Parses a schedule's cron expression: five fields (minute hour day-of-month month
/// day-of-week), or six with seconds in front. The error says what is wrong, for a person.
pub fn parse_cron(text: &str) -> Result<croner::Cron, String> {
    let fields = text.split_whitespace().count();
    if !(5..=6).contains(&fields) {
        return Err(format!(
            "{text:?} must have five fields (minute hour day-of-month month day-of-week), or six with seconds first"
        ));
    }
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Optional)
        .build()
        .parse(text)
        .map_err(|problem| format!("{text:?} is not a valid cron expression: {problem}"))
}

/// Checks limits against the host's bounds (for manifests and admin settings alike).
pub fn check_limits(
    limits: &LimitsRequest,
    at: &str,
    error: &mut impl FnMut(String, &str, String),
) {
    let bounded = [
        ("sync_deadline_ms", limits.sync_deadline_ms, MAX_DEADLINE_MS),
        (
            "async_deadline_ms",
            limits.async_deadline_ms,
            MAX_DEADLINE_MS,
        ),
        ("memory_mb", limits.memory_mb, MAX_MEMORY_MB),
        (
            "host_calls",
            limits.host_calls.map(u64::from),
            u64::from(MAX_HOST_CALLS),
        ),
    ];
    for (name, value, max) in bounded {
        if let Some(value) = value
            && !(1..=max).contains(&value)
        {
            error(
                format!("{at}/{name}"),
                "maximum",
                format!("{name} must be between 1 and {max}, not {value}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn manifest(plugin: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "name": "contract-rules", "version": "1.0.0", "publisher": "xrm", "api": "0.1.0",
            "plugins": [plugin]
        }))
        .unwrap()
    }

    #[test]
    fn a_complete_manifest_parses() {
        let text = manifest(json!({
            "name": "rules", "component": "rules.wasm",
            "capabilities": {"read": ["customer"], "write": ["contract"]},
            "hooks": [{"hook": "validate", "entity_type": "contract"},
                      {"hook": "before-create", "entity_type": "contract", "priority": 10}],
            "actions": [{"name": "renew", "entity_type": "contract",
                         "input_schema": {"type": "object"}}],
            "schedules": [{"name": "sweep", "cron": "*/5 * * * *"}],
            "limits": {"sync_deadline_ms": 20}
        }));
        let manifest = Manifest::parse(&text).unwrap();
        let plugin = &manifest.plugins[0];
        assert!(
            plugin.capabilities.may_read("contract"),
            "write implies read"
        );
        assert!(!plugin.capabilities.may_write("customer"));
        assert_eq!(plugin.hooks[0].priority, 100);
        let limits = Limits::resolve(&[plugin.limits.as_ref()]);
        assert_eq!(limits.sync_deadline_ms, 20);
        assert_eq!(limits.memory_mb, Limits::default().memory_mb);
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let text = serde_json::to_vec(&json!({
            "name": "Bad Name", "version": "one", "publisher": "", "api": "9.0.0",
            "plugins": [{
                "name": "p", "component": "../escape.wasm",
                "hooks": [{"hook": "validate", "entity_type": "contract"},
                          {"hook": "validate", "entity_type": "contract"}],
                "schedules": [{"name": "s", "cron": "every minute"}],
                "limits": {"memory_mb": 100000}
            }]
        }))
        .unwrap();
        let errors = Manifest::parse(&text).unwrap_err();
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/name",
                "/version",
                "/publisher",
                "/api",
                "/plugins/0/component",
                "/plugins/0/hooks/1",
                "/plugins/0/schedules/0/cron",
                "/plugins/0/limits/memory_mb"
            ]
        );
    }

    #[test]
    fn unknown_members_and_hooks_are_refused() {
        let errors = Manifest::parse(&manifest(json!({
            "name": "p", "component": "p.wasm", "hooks": [{"hook": "on-save", "entity_type": "x"}]
        })))
        .unwrap_err();
        assert!(errors[0].message.contains("on-save"), "{errors:?}");
        let errors = Manifest::parse(&manifest(
            json!({"name": "p", "component": "p.wasm", "extra": 1}),
        ))
        .unwrap_err();
        assert!(errors[0].message.contains("extra"), "{errors:?}");
    }

    #[test]
    fn every_supported_version_has_bindings_and_members_need_0_2() {
        for version in SUPPORTED_API_VERSIONS {
            assert_eq!(
                ApiVersion::parse(version).map(ApiVersion::as_str),
                Some(*version)
            );
        }
        assert_eq!(ApiVersion::ALL.len(), SUPPORTED_API_VERSIONS.len());
        let plugin = json!({"name": "p", "component": "p.wasm", "capabilities": {"members": true}});
        let mut old: Value = serde_json::from_slice(&manifest(plugin.clone())).unwrap();
        old["api"] = json!("0.1.0");
        let errors = Manifest::parse(old.to_string().as_bytes()).unwrap_err();
        assert_eq!(
            errors[0].path, "/plugins/0/capabilities/members",
            "{errors:?}"
        );
        assert!(errors[0].message.contains("0.2.0"), "{errors:?}");
        let mut new = old;
        new["api"] = json!("0.2.0");
        let parsed = Manifest::parse(new.to_string().as_bytes()).unwrap();
        assert!(parsed.plugins[0].capabilities.members);
        assert_eq!(parsed.api_version(), Ok(ApiVersion::V0_2));
    }

    #[test]
    fn declared_fields_need_a_readable_type_and_valid_names() {
        let errors = Manifest::parse(&manifest(json!({
            "name": "p", "component": "p.wasm",
            "capabilities": {"read": ["customer"], "fields": {"customer": ["name", "bad name"], "contract": ["value"]}}
        })))
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/plugins/0/capabilities/fields/contract",
                "/plugins/0/capabilities/fields/customer/1"
            ]
        );
        let parsed = Manifest::parse(&manifest(json!({
            "name": "p", "component": "p.wasm",
            "capabilities": {"write": ["customer"], "fields": {"customer": ["name"]}}
        })))
        .unwrap();
        let capabilities = &parsed.plugins[0].capabilities;
        assert_eq!(
            capabilities.fields_of("customer"),
            Some(&["name".to_owned()][..])
        );
        assert_eq!(capabilities.fields_of("contract"), None);
    }

    #[test]
    fn entity_types_and_sample_data_name_files_inside_the_package() {
        let base =
            json!({"name": "crm-types", "version": "1.0.0", "publisher": "x", "api": "0.1.0"});
        let with = |extra: Value| {
            let mut manifest = base.clone();
            for (key, value) in extra.as_object().unwrap() {
                manifest[key] = value.clone();
            }
            Manifest::parse(&serde_json::to_vec(&manifest).unwrap())
        };
        // A package of entity types alone needs no plugin; an empty one is refused.
        let types_only =
            with(json!({"entity_types": ["types/customer.json"], "sample_data": "sample.json"}))
                .unwrap();
        assert!(types_only.plugins.is_empty());
        assert_eq!(types_only.sample_data.as_deref(), Some("sample.json"));
        let errors = with(json!({})).unwrap_err();
        assert_eq!(errors[0].path, "/plugins");
        assert!(errors[0].message.contains("plugin or entity type"));

        let errors = with(json!({
            "entity_types": ["../customer.json", "/etc/contract.json", "a.json", "a.json"],
            "sample_data": "a.json"
        }))
        .unwrap_err();
        let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/entity_types/0",
                "/entity_types/1",
                "/entity_types/3",
                "/sample_data"
            ]
        );
        assert!(errors[2].message.contains("/entity_types/2"), "{errors:?}");
        assert!(with(json!({"entity_types": ["a.json"], "sample_data": "../s.json"})).is_err());

        // Old stored manifests, without the members, still read; new ones keep them.
        let stored: Manifest = serde_json::from_value(json!({
            "name": "p", "version": "1.0.0", "publisher": "x", "api": "0.1.0", "plugins": []
        }))
        .unwrap();
        assert!(stored.entity_types.is_empty() && stored.sample_data.is_none());
        let text = serde_json::to_value(&types_only).unwrap();
        assert_eq!(text["entity_types"], json!(["types/customer.json"]));
    }

    #[test]
    fn cron_expressions_have_five_or_six_fields() {
        assert!(parse_cron("*/5 * * * *").is_ok());
        assert!(parse_cron("*/10 * * * * *").is_ok());
        assert!(parse_cron("* * * *").unwrap_err().contains("five fields"));
        assert!(
            parse_cron("61 * * * *")
                .unwrap_err()
                .contains("not a valid cron expression")
        );
    }
}
