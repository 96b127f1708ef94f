//! The host functions as the sandbox sees them: a budget of calls per invocation, then the
//! [`HostApi`] the service layer implements (capabilities, records, transaction).

use std::future::Future;
use std::pin::Pin;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

use super::bindings::types::{FieldError, HostError, Member, Ownership};
use super::bindings::{old_host_error, v0_1, v0_2};
use super::runtime::{CallSite, MAX_OUTPUT_BYTES};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Why a host call was refused; mirrors the WIT `host-error`.
#[derive(Debug, Clone, PartialEq)]
pub enum HostCallError {
    Denied(String),
    NotFound(String),
    Invalid(Vec<crate::error::FieldError>),
    Conflict(String),
    BadRequest(String),
    Limit(String),
    Failed(String),
}

/// Query options of a host query, in the API's language.
#[derive(Debug, Clone, Default)]
pub struct QueryArgs {
    pub filter: Option<String>,
    pub order_by: Option<String>,
    pub top: Option<u32>,
}

/// What host calls do, implemented by the service layer. Records cross as JSON text.
pub trait HostApi: Send + Sized + 'static {
    fn get_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, HostCallError>>;
    fn query_records<'a>(
        &'a mut self,
        entity_type: &'a str,
        query: QueryArgs,
    ) -> BoxFuture<'a, Result<Vec<String>, HostCallError>>;
    fn create_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        data: &'a str,
    ) -> BoxFuture<'a, Result<String, HostCallError>>;
    fn update_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
        patch: &'a str,
    ) -> BoxFuture<'a, Result<String, HostCallError>>;
    fn delete_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
    ) -> BoxFuture<'a, Result<(), HostCallError>>;
    /// Gives a record new owners (API 0.2.0 on).
    fn assign_record<'a>(
        &'a mut self,
        entity_type: &'a str,
        id: &'a str,
        owners: Ownership,
    ) -> BoxFuture<'a, Result<String, HostCallError>>;
    /// The workspace's members for routing (API 0.2.0 on).
    fn list_members(&mut self) -> BoxFuture<'_, Result<Vec<Member>, HostCallError>>;
    /// The plugin's configuration as JSON text.
    fn config(&self) -> String;
}

/// What a plugin may write to its standard error (a panic message), kept for the failure report.
const STDERR_CAPACITY: usize = 16 * 1024;

/// The data of one invocation's store.
pub struct Invocation<H> {
    host: H,
    site: CallSite,
    calls_left: u32,
    pub(super) limits: StoreLimits,
    /// Set when a host call ended the invocation (budget exhausted): the reason of the trap.
    pub(super) fatal: Option<String>,
    /// WASI with nothing granted: no files, no sockets, no environment, no arguments. Only
    /// clocks, randomness and a bounded standard error (where Rust writes panic messages).
    wasi: WasiCtx,
    table: ResourceTable,
    pub(super) stderr: MemoryOutputPipe,
}

impl<H: HostApi> WasiView for Invocation<H> {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl<H: HostApi> Invocation<H> {
    pub(super) fn new(host: H, site: CallSite, calls: u32, limits: StoreLimits) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let wasi = WasiCtxBuilder::new()
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .socket_addr_check(|_, _| Box::pin(async { false }))
            .build();
        Invocation {
            host,
            site,
            calls_left: calls,
            limits,
            fatal: None,
            wasi,
            table: ResourceTable::new(),
            stderr,
        }
    }

    pub(super) fn into_host(self) -> H {
        self.host
    }

    /// Counts a host call; past the budget the invocation traps, so a plugin cannot keep the
    /// host busy by looping over calls that fail.
    fn spend(&mut self, budget_note: &str) -> wasmtime::Result<()> {
        if self.calls_left == 0 {
            let reason = format!("made more host calls than its limit ({budget_note})");
            self.fatal = Some(reason.clone());
            return Err(wasmtime::Error::msg(reason));
        }
        self.calls_left -= 1;
        Ok(())
    }

    fn output_check(&mut self, text: &str) -> Result<(), HostError> {
        if text.len() > MAX_OUTPUT_BYTES {
            return Err(HostError::BadRequest(format!(
                "plugin {}: the argument is {} bytes, more than the limit of {MAX_OUTPUT_BYTES}",
                self.site.plugin,
                text.len()
            )));
        }
        Ok(())
    }
}

fn to_wit(error: HostCallError) -> HostError {
    match error {
        HostCallError::Denied(m) => HostError::Denied(m),
        HostCallError::NotFound(m) => HostError::NotFound(m),
        HostCallError::Invalid(errors) => HostError::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError {
                    path: e.path,
                    keyword: e.keyword,
                    message: e.message,
                })
                .collect(),
        ),
        HostCallError::Conflict(m) => HostError::Conflict(m),
        HostCallError::BadRequest(m) => HostError::BadRequest(m),
        HostCallError::Limit(m) => HostError::Limit(m),
        HostCallError::Failed(m) => HostError::Failed(m),
    }
}

/// The host calls every API version has, written once for the bindings module `$v` and the
/// conversion `$error` of a host error into that version's.
macro_rules! host_calls_0_1 {
    ($v:ident, $error:expr) => {
        async fn get_record(
            &mut self,
            entity_type: String,
            id: String,
        ) -> wasmtime::Result<Result<Option<String>, $v::xrm::plugin::types::HostError>> {
            self.spend("get-record")?;
            Ok(self
                .host
                .get_record(&entity_type, &id)
                .await
                .map_err(|e| $error(to_wit(e))))
        }

        async fn query_records(
            &mut self,
            entity_type: String,
            query: $v::xrm::plugin::types::Query,
        ) -> wasmtime::Result<Result<Vec<String>, $v::xrm::plugin::types::HostError>> {
            self.spend("query-records")?;
            let args = QueryArgs {
                filter: query.filter,
                order_by: query.order_by,
                top: query.top,
            };
            Ok(self
                .host
                .query_records(&entity_type, args)
                .await
                .map_err(|e| $error(to_wit(e))))
        }

        async fn create_record(
            &mut self,
            entity_type: String,
            data: String,
        ) -> wasmtime::Result<Result<String, $v::xrm::plugin::types::HostError>> {
            self.spend("create-record")?;
            if let Err(error) = self.output_check(&data) {
                return Ok(Err($error(error)));
            }
            Ok(self
                .host
                .create_record(&entity_type, &data)
                .await
                .map_err(|e| $error(to_wit(e))))
        }

        async fn update_record(
            &mut self,
            entity_type: String,
            id: String,
            patch: String,
        ) -> wasmtime::Result<Result<String, $v::xrm::plugin::types::HostError>> {
            self.spend("update-record")?;
            if let Err(error) = self.output_check(&patch) {
                return Ok(Err($error(error)));
            }
            Ok(self
                .host
                .update_record(&entity_type, &id, &patch)
                .await
                .map_err(|e| $error(to_wit(e))))
        }

        async fn delete_record(
            &mut self,
            entity_type: String,
            id: String,
        ) -> wasmtime::Result<Result<(), $v::xrm::plugin::types::HostError>> {
            self.spend("delete-record")?;
            Ok(self
                .host
                .delete_record(&entity_type, &id)
                .await
                .map_err(|e| $error(to_wit(e))))
        }

        async fn config(&mut self) -> wasmtime::Result<String> {
            Ok(self.host.config())
        }

        async fn log(
            &mut self,
            level: $v::xrm::plugin::types::LogLevel,
            message: String,
        ) -> wasmtime::Result<()> {
            use $v::xrm::plugin::types::LogLevel;
            self.spend("log")?;
            let message: String = message.chars().take(2000).collect();
            let (plugin, hook) = (&self.site.plugin, &self.site.hook);
            match level {
                LogLevel::Trace => tracing::trace!(plugin, hook, "{message}"),
                LogLevel::Debug => tracing::debug!(plugin, hook, "{message}"),
                LogLevel::Info => tracing::info!(plugin, hook, "{message}"),
                LogLevel::Warn => tracing::warn!(plugin, hook, "{message}"),
                LogLevel::Error => tracing::error!(plugin, hook, "{message}"),
            }
            Ok(())
        }

        async fn now(&mut self) -> wasmtime::Result<String> {
            Ok(crate::clock::now())
        }
    };
}

impl<H: HostApi> v0_1::xrm::plugin::types::Host for Invocation<H> {}

impl<H: HostApi> v0_1::xrm::plugin::host::Host for Invocation<H> {
    host_calls_0_1!(v0_1, old_host_error);
}

impl<H: HostApi> v0_2::xrm::plugin::types::Host for Invocation<H> {}

impl<H: HostApi> v0_2::xrm::plugin::host::Host for Invocation<H> {
    host_calls_0_1!(v0_2, std::convert::identity);

    async fn assign_record(
        &mut self,
        entity_type: String,
        id: String,
        owners: Ownership,
    ) -> wasmtime::Result<Result<String, HostError>> {
        self.spend("assign-record")?;
        Ok(self
            .host
            .assign_record(&entity_type, &id, owners)
            .await
            .map_err(to_wit))
    }

    async fn list_members(&mut self) -> wasmtime::Result<Result<Vec<Member>, HostError>> {
        self.spend("list-members")?;
        Ok(self.host.list_members().await.map_err(to_wit))
    }
}
