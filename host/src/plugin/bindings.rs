//! Host-side bindings of the plugin API, generated from the WIT packages in `sdk/wit/`: one
//! module per API version the host loads (`v0_1`, `v0_2`). The host itself speaks the newest
//! version's types ([`types`]); [`Plugin`] is an instance of a component of any version, and
//! its hooks take and give the newest types, converting by move for older components, so a
//! plugin built against an older API gets exactly the hooks and host calls it was built for.

/// `xrm:plugin@0.1.0`.
pub mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../sdk/wit/0.1.0",
        world: "plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

/// `xrm:plugin@0.2.0`: 0.1.0 plus record ownership and the workspace's members.
pub mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../sdk/wit/0.2.0",
        world: "plugin",
        imports: { default: async | trappable },
        exports: { default: async },
    });
}

pub use self::v0_2::xrm;
/// The types the host works with: those of the newest API version.
pub use self::v0_2::xrm::plugin::types;

use self::v0_1::xrm::plugin::types as old;
use std::borrow::Cow;

use wasmtime::component::{Component, InstancePre};
use wasmtime::{Engine, Store};

/// A plugin API version this host loads; a manifest's `api` names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ApiVersion {
    V0_1,
    V0_2,
}

impl ApiVersion {
    /// Every version this host loads, oldest first.
    pub const ALL: [ApiVersion; 2] = [ApiVersion::V0_1, ApiVersion::V0_2];
    /// The version the SDK builds against.
    pub const NEWEST: ApiVersion = ApiVersion::V0_2;

    pub fn parse(text: &str) -> Option<ApiVersion> {
        ApiVersion::ALL.into_iter().find(|v| v.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V0_1 => "0.1.0",
            ApiVersion::V0_2 => "0.2.0",
        }
    }

    /// The name of the hooks interface a component of this version exports.
    fn hooks_export(self) -> &'static str {
        match self {
            ApiVersion::V0_1 => "xrm:plugin/hooks@0.1.0",
            ApiVersion::V0_2 => "xrm:plugin/hooks@0.2.0",
        }
    }

    /// Refuses a component that does not export this version's hooks, naming the version it
    /// was built against when it is another one this host knows (a manifest whose `api` does
    /// not match its components).
    pub fn check_exports(self, engine: &Engine, component: &Component) -> Result<(), String> {
        let ty = component.component_type();
        let exports = |version: ApiVersion| ty.get_export(engine, version.hooks_export()).is_some();
        if exports(self) {
            return Ok(());
        }
        Err(match ApiVersion::ALL.into_iter().find(|v| exports(*v)) {
            Some(built) => format!(
                "the component is built against plugin API {}, but the manifest's api is {}; set \"api\": \"{}\"",
                built.as_str(),
                self.as_str(),
                built.as_str()
            ),
            None => format!(
                "the component does not export the plugin API {} (no {} export)",
                self.as_str(),
                self.hooks_export()
            ),
        })
    }

    /// Whether components of this version can call the ownership and members host calls.
    pub fn has_ownership(self) -> bool {
        self >= ApiVersion::V0_2
    }
}

/// A component linked against the bindings of its API version, ready to instantiate.
pub enum PluginPre<T: 'static> {
    V0_1(v0_1::PluginPre<T>),
    V0_2(v0_2::PluginPre<T>),
}

impl<T: 'static> Clone for PluginPre<T> {
    fn clone(&self) -> Self {
        match self {
            PluginPre::V0_1(pre) => PluginPre::V0_1(pre.clone()),
            PluginPre::V0_2(pre) => PluginPre::V0_2(pre.clone()),
        }
    }
}

impl<T: Send + 'static> PluginPre<T> {
    /// Checks that the component exports the hooks of `version`.
    pub fn new(version: ApiVersion, pre: InstancePre<T>) -> wasmtime::Result<PluginPre<T>> {
        Ok(match version {
            ApiVersion::V0_1 => PluginPre::V0_1(v0_1::PluginPre::new(pre)?),
            ApiVersion::V0_2 => PluginPre::V0_2(v0_2::PluginPre::new(pre)?),
        })
    }

    pub async fn instantiate_async(&self, store: &mut Store<T>) -> wasmtime::Result<Plugin> {
        Ok(match self {
            PluginPre::V0_1(pre) => Plugin::V0_1(pre.instantiate_async(store).await?),
            PluginPre::V0_2(pre) => Plugin::V0_2(pre.instantiate_async(store).await?),
        })
    }
}

/// An instance of a plugin component of any supported API version.
pub enum Plugin {
    V0_1(v0_1::Plugin),
    V0_2(v0_2::Plugin),
}

impl Plugin {
    /// The hook exports, called with the host's (newest) types.
    pub fn xrm_plugin_hooks(&self) -> Hooks<'_> {
        match self {
            Plugin::V0_1(plugin) => Hooks::V0_1(plugin.xrm_plugin_hooks()),
            Plugin::V0_2(plugin) => Hooks::V0_2(plugin.xrm_plugin_hooks()),
        }
    }
}

/// The `hooks` exports of one instance. Each call takes its argument borrowed or owned: a
/// component of the newest version lowers it as it is; an older one gets it converted, by move
/// when it is owned, so the host's call sites pass what they own and nothing is copied.
pub enum Hooks<'a> {
    V0_1(&'a v0_1::exports::xrm::plugin::hooks::Guest),
    V0_2(&'a v0_2::exports::xrm::plugin::hooks::Guest),
}

impl Hooks<'_> {
    pub async fn call_validate<'e, T: Send>(
        &self,
        store: &mut Store<T>,
        event: impl Into<Cow<'e, types::RecordEvent>>,
    ) -> wasmtime::Result<Vec<types::FieldError>> {
        let event: Cow<'e, types::RecordEvent> = event.into();
        match self {
            Hooks::V0_2(hooks) => hooks.call_validate(store, &event).await,
            Hooks::V0_1(hooks) => Ok(hooks
                .call_validate(store, &old_event(event.into_owned()))
                .await?
                .into_iter()
                .map(field_error)
                .collect()),
        }
    }

    pub async fn call_before_change<'e, T: Send>(
        &self,
        store: &mut Store<T>,
        event: impl Into<Cow<'e, types::RecordEvent>>,
    ) -> wasmtime::Result<Result<types::BeforeChangeResult, types::Refusal>> {
        let event: Cow<'e, types::RecordEvent> = event.into();
        match self {
            Hooks::V0_2(hooks) => hooks.call_before_change(store, &event).await,
            Hooks::V0_1(hooks) => Ok(hooks
                .call_before_change(store, &old_event(event.into_owned()))
                .await?
                .map(|record| types::BeforeChangeResult {
                    record,
                    ownership: None,
                })
                .map_err(refusal)),
        }
    }

    pub async fn call_after_change<'e, T: Send>(
        &self,
        store: &mut Store<T>,
        event: impl Into<Cow<'e, types::RecordEvent>>,
    ) -> wasmtime::Result<Result<(), String>> {
        let event: Cow<'e, types::RecordEvent> = event.into();
        match self {
            Hooks::V0_2(hooks) => hooks.call_after_change(store, &event).await,
            Hooks::V0_1(hooks) => {
                hooks
                    .call_after_change(store, &old_event(event.into_owned()))
                    .await
            }
        }
    }

    pub async fn call_run_action<'e, T: Send>(
        &self,
        store: &mut Store<T>,
        request: impl Into<Cow<'e, types::ActionRequest>>,
    ) -> wasmtime::Result<Result<String, types::Refusal>> {
        let request: Cow<'e, types::ActionRequest> = request.into();
        match self {
            Hooks::V0_2(hooks) => hooks.call_run_action(store, &request).await,
            Hooks::V0_1(hooks) => {
                let request = request.into_owned();
                let request = old::ActionRequest {
                    entity_type: request.entity_type,
                    id: request.id,
                    name: request.name,
                    input: request.input,
                    actor: request.actor,
                };
                Ok(hooks
                    .call_run_action(store, &request)
                    .await?
                    .map_err(refusal))
            }
        }
    }

    pub async fn call_run_report<'e, T: Send>(
        &self,
        store: &mut Store<T>,
        request: impl Into<Cow<'e, types::ReportRequest>>,
    ) -> wasmtime::Result<Result<types::Report, String>> {
        let request: Cow<'e, types::ReportRequest> = request.into();
        match self {
            Hooks::V0_2(hooks) => hooks.call_run_report(store, &request).await,
            Hooks::V0_1(hooks) => {
                let request = request.into_owned();
                let request = old::ReportRequest {
                    name: request.name,
                    parameters: request.parameters,
                    actor: request.actor,
                };
                Ok(hooks.call_run_report(store, &request).await?.map(report))
            }
        }
    }

    pub async fn call_schedule<'e, T: Send>(
        &self,
        store: &mut Store<T>,
        event: impl Into<Cow<'e, types::ScheduleEvent>>,
    ) -> wasmtime::Result<Result<(), String>> {
        let event: Cow<'e, types::ScheduleEvent> = event.into();
        match self {
            Hooks::V0_2(hooks) => hooks.call_schedule(store, &event).await,
            Hooks::V0_1(hooks) => {
                let event = event.into_owned();
                let event = old::ScheduleEvent {
                    name: event.name,
                    fired_at: event.fired_at,
                };
                hooks.call_schedule(store, &event).await
            }
        }
    }
}

/// Lets each hook call take its argument borrowed or owned (see [`Hooks`]).
macro_rules! borrowed_or_owned {
    ($($ty:ty),*) => {
        $(
            impl From<$ty> for Cow<'_, $ty> {
                fn from(value: $ty) -> Self {
                    Cow::Owned(value)
                }
            }

            impl<'a> From<&'a $ty> for Cow<'a, $ty> {
                fn from(value: &'a $ty) -> Self {
                    Cow::Borrowed(value)
                }
            }
        )*
    };
}

borrowed_or_owned!(
    types::RecordEvent,
    types::ActionRequest,
    types::ReportRequest,
    types::ScheduleEvent
);

fn old_event(event: types::RecordEvent) -> old::RecordEvent {
    old::RecordEvent {
        entity_type: event.entity_type,
        operation: match event.operation {
            types::Operation::Create => old::Operation::Create,
            types::Operation::Update => old::Operation::Update,
            types::Operation::Delete => old::Operation::Delete,
        },
        id: event.id,
        record: event.record,
        previous: event.previous,
        actor: event.actor,
    }
}

fn field_error(error: old::FieldError) -> types::FieldError {
    types::FieldError {
        path: error.path,
        keyword: error.keyword,
        message: error.message,
    }
}

fn refusal(refusal: old::Refusal) -> types::Refusal {
    match refusal {
        old::Refusal::Invalid(errors) => {
            types::Refusal::Invalid(errors.into_iter().map(field_error).collect())
        }
        old::Refusal::Conflict(message) => types::Refusal::Conflict(message),
    }
}

fn report(report: old::Report) -> types::Report {
    types::Report {
        columns: report
            .columns
            .into_iter()
            .map(|column| types::Column {
                name: column.name,
                label: column.label,
                kind: match column.kind {
                    old::ColumnKind::Text => types::ColumnKind::Text,
                    old::ColumnKind::Number => types::ColumnKind::Number,
                    old::ColumnKind::Integer => types::ColumnKind::Integer,
                    old::ColumnKind::Boolean => types::ColumnKind::Boolean,
                    old::ColumnKind::Date => types::ColumnKind::Date,
                    old::ColumnKind::DateTime => types::ColumnKind::DateTime,
                },
            })
            .collect(),
        rows: report.rows,
        chart: report.chart.map(|chart| types::Chart {
            kind: match chart.kind {
                old::ChartKind::Bar => types::ChartKind::Bar,
                old::ChartKind::Line => types::ChartKind::Line,
                old::ChartKind::Pie => types::ChartKind::Pie,
            },
            x: chart.x,
            y: chart.y,
        }),
    }
}

/// A host error of the newest version as an older component receives it (same cases).
pub(super) fn old_host_error(error: types::HostError) -> old::HostError {
    match error {
        types::HostError::Denied(m) => old::HostError::Denied(m),
        types::HostError::NotFound(m) => old::HostError::NotFound(m),
        types::HostError::Invalid(errors) => old::HostError::Invalid(
            errors
                .into_iter()
                .map(|e| old::FieldError {
                    path: e.path,
                    keyword: e.keyword,
                    message: e.message,
                })
                .collect(),
        ),
        types::HostError::Conflict(m) => old::HostError::Conflict(m),
        types::HostError::BadRequest(m) => old::HostError::BadRequest(m),
        types::HostError::Limit(m) => old::HostError::Limit(m),
        types::HostError::Failed(m) => old::HostError::Failed(m),
    }
}
