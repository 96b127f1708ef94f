//! WebAssembly plugins: the manifest, package files and the entity types and sample data they carry, the sandbox (`runtime`), the host functions
//! it offers (`host_api`) and the host-side bindings of the WIT API. Knows nothing of HTTP or
//! SQL: the service layer decides what a host call may do and stores packages.

pub mod bindings;
pub mod contents;
mod host_api;
pub mod manifest;
pub mod package;
mod runtime;
pub mod signature;

pub use self::bindings::ApiVersion;
pub use self::contents::PackageContents;
pub use self::host_api::{BoxFuture, HostApi, HostCallError, QueryArgs};
pub use self::manifest::{Hook, Limits, Manifest, PluginManifest};
pub use self::package::PackageFiles;
pub use self::runtime::{CallSite, Compiled, MAX_OUTPUT_BYTES, MemoryReset, Runtime};

/// The store of one invocation, as an export call sees it.
pub type InvocationStore<H> = wasmtime::Store<self::host_api::Invocation<H>>;
/// What an export call returns: a trap, or the plugin's answer (or a failure found in it).
pub type CallResult<R> = wasmtime::Result<Result<R, Failure>>;

/// How an invocation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Past its deadline (an infinite loop, a slow host call).
    Timeout,
    /// Past its memory cap, host-call budget or output size.
    Limit,
    /// A trap: a panic, `unreachable`, a stack overflow, an out-of-bounds access.
    Trap,
    /// It returned something the API forbids (e.g. a record that is not JSON).
    BadOutput,
    /// No instance slot was free.
    Busy,
    /// The plugin answered with an error of its own (an after-* hook, a schedule, a report).
    Error,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Timeout => "timeout",
            FailureKind::Limit => "limit",
            FailureKind::Trap => "trap",
            FailureKind::BadOutput => "bad_output",
            FailureKind::Busy => "busy",
            FailureKind::Error => "error",
        }
    }
}

/// A plugin invocation that failed: only that invocation, never the host.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("plugin {plugin} failed in {hook}: {reason}")]
pub struct Failure {
    pub plugin: String,
    pub hook: String,
    pub kind: FailureKind,
    pub reason: String,
}
