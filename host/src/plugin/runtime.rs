//! The sandbox: one wasmtime engine for the host, a fresh instance per invocation under a
//! deadline, a memory cap and a host-call budget. A failing plugin fails only its invocation.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
};
use wasmtime::{StoreLimits, StoreLimitsBuilder};

use super::bindings::{self, ApiVersion, PluginPre};
use super::host_api::{HostApi, Invocation};
use super::manifest::{Limits, MAX_MEMORY_MB};
use super::{Failure, FailureKind};

/// Largest component accepted for installation.
pub const MAX_COMPONENT_BYTES: usize = 32 * 1024 * 1024;
/// How long compiling one component may take at install.
pub const COMPILE_TIMEOUT: Duration = Duration::from_secs(60);
/// Largest JSON a plugin may return (a record, an action's output, a report).
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;
/// Instances that may run at once; more wait for a slot's error rather than exhaust memory.
const INSTANCE_SLOTS: u32 = 256;
/// Bytes of each memory slot kept resident between instances. Resetting a slot by zeroing the
/// pages a typical plugin dirtied is cheaper than returning them to the kernel and faulting them
/// in again on the next call (measured in BENCHMARKS.md).
pub const MEMORY_KEEP_RESIDENT: usize = 512 * 1024;
/// How a memory slot is made clean for the next instance.
#[derive(Debug, Clone, Copy)]
pub struct MemoryReset {
    /// Bytes of the slot kept resident (reset in place) rather than returned to the kernel.
    pub keep_resident: usize,
    /// Ask the kernel which pages the instance dirtied (`PAGEMAP_SCAN`, Linux 6.7+) and reset
    /// only those; without it, all `keep_resident` bytes are reset on every release.
    pub pagemap_scan: bool,
}

impl Default for MemoryReset {
    fn default() -> Self {
        MemoryReset {
            keep_resident: MEMORY_KEEP_RESIDENT,
            pagemap_scan: true,
        }
    }
}

/// One epoch tick; deadlines are counted in ticks.
const TICK: Duration = Duration::from_millis(1);

/// The engine, the linker with the host functions, and the compiled-code cache.
pub struct Runtime<H: HostApi> {
    engine: Engine,
    linker: Linker<Invocation<H>>,
    cache_dir: Option<PathBuf>,
    ticker: Arc<AtomicBool>,
}

impl<H: HostApi> Drop for Runtime<H> {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Relaxed);
    }
}

/// A component compiled and pre-linked: instantiating it is cheap.
#[derive(Clone)]
pub struct Compiled<H: HostApi> {
    pre: PluginPre<Invocation<H>>,
}

/// Where a call comes from, for error messages and logs.
#[derive(Debug, Clone)]
pub struct CallSite {
    pub plugin: String,
    pub hook: String,
}

impl<H: HostApi> Runtime<H> {
    /// `cache_dir`: where compiled code is kept across restarts (`None`: compile every time).
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Runtime<H>, String> {
        Self::with_memory_reset(cache_dir, MemoryReset::default())
    }

    /// [`Runtime::new`] with another way of resetting memory slots between instances; the
    /// plugin benchmark compares them.
    pub fn with_memory_reset(
        cache_dir: Option<PathBuf>,
        reset: MemoryReset,
    ) -> Result<Runtime<H>, String> {
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(INSTANCE_SLOTS)
            .total_core_instances(INSTANCE_SLOTS * 8)
            .total_memories(INSTANCE_SLOTS * 2)
            .total_tables(INSTANCE_SLOTS * 4)
            .total_stacks(INSTANCE_SLOTS)
            .max_memory_size((MAX_MEMORY_MB * 1024 * 1024) as usize)
            .linear_memory_keep_resident(reset.keep_resident)
            .table_keep_resident(64 * 1024)
            .pagemap_scan(if reset.pagemap_scan {
                Enabled::Auto
            } else {
                Enabled::No
            });
        let mut config = Config::new();
        config
            .wasm_component_model(true)
            .epoch_interruption(true)
            .max_wasm_stack(512 * 1024)
            .memory_reservation(MAX_MEMORY_MB * 1024 * 1024)
            .memory_guard_size(32 * 1024 * 1024)
            .memory_reservation_for_growth(0)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| e.to_string())?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(|e| e.to_string())?;
        // Every API version's host functions; each component links to those of its version.
        bindings::v0_1::Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| e.to_string())?;
        bindings::v0_2::Plugin::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state)
            .map_err(|e| e.to_string())?;
        if let Some(dir) = &cache_dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create the plugin cache {}: {e}", dir.display()))?;
        }
        let ticker = Arc::new(AtomicBool::new(true));
        let (running, ticking) = (ticker.clone(), engine.weak());
        std::thread::Builder::new()
            .name("xrm-plugin-epoch".into())
            .spawn(move || {
                while running.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match ticking.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(Runtime {
            engine,
            linker,
            cache_dir,
            ticker,
        })
    }

    /// Compiles a component (or loads its compiled code from the cache) and links it against
    /// the bindings of API `version`. Refuses a component that is not a plugin of that version:
    /// missing exports, unknown imports.
    pub async fn compile(
        &self,
        bytes: Arc<Vec<u8>>,
        sha256: &str,
        version: ApiVersion,
    ) -> Result<Compiled<H>, String> {
        if bytes.len() > MAX_COMPONENT_BYTES {
            return Err(format!(
                "the component is {} bytes, more than the limit of {MAX_COMPONENT_BYTES}",
                bytes.len()
            ));
        }
        let engine = self.engine.clone();
        let cached = self.cache_dir.as_ref().map(|dir| {
            let mut hasher = std::hash::DefaultHasher::new();
            std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
            let engine_hash = std::hash::Hasher::finish(&hasher);
            dir.join(format!("{sha256}-{engine_hash:016x}.cwasm"))
        });
        let compile = tokio::task::spawn_blocking(move || -> Result<Component, String> {
            if let Some(path) = &cached
                && path.exists()
                && let Ok(component) = load_cached(&engine, path)
            {
                return Ok(component);
            }
            let component = Component::new(&engine, bytes.as_slice())
                .map_err(|e| format!("not a valid WebAssembly component: {e:#}"))?;
            if let Some(path) = &cached
                && let Ok(code) = component.serialize()
            {
                // Written to a temporary name first, so a crash never leaves half a file.
                let partial = path.with_extension("partial");
                if std::fs::write(&partial, code).is_ok() {
                    let _ = std::fs::rename(&partial, path);
                }
            }
            Ok(component)
        });
        let component = match tokio::time::timeout(COMPILE_TIMEOUT, compile).await {
            Ok(Ok(result)) => result?,
            Ok(Err(join)) => return Err(format!("compilation failed: {join}")),
            Err(_) => {
                return Err(format!(
                    "compilation took longer than {} s",
                    COMPILE_TIMEOUT.as_secs()
                ));
            }
        };
        version.check_exports(&self.engine, &component)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| format!("the component does not fit the plugin API: {e:#}"))?;
        let pre = PluginPre::new(version, pre).map_err(|e| {
            format!(
                "the component does not export the plugin API {}: {e:#}",
                version.as_str()
            )
        })?;
        Ok(Compiled { pre })
    }

    /// Runs `call` on a fresh instance of `compiled` with `host` behind the host functions,
    /// under `limits`. Returns the host state back (a transaction inside it continues), or a
    /// failure naming the plugin, hook and reason; then the state is dropped.
    pub async fn invoke<R, F>(
        &self,
        compiled: &Compiled<H>,
        site: &CallSite,
        host: H,
        limits: Limits,
        deadline_ms: u64,
        call: F,
    ) -> Result<(R, H), Failure>
    where
        R: Send,
        F: for<'a> FnOnce(
                &'a bindings::Plugin,
                &'a mut Store<Invocation<H>>,
            ) -> std::pin::Pin<
                Box<dyn Future<Output = wasmtime::Result<Result<R, Failure>>> + Send + 'a>,
            > + Send,
    {
        let memory = (limits.memory_mb * 1024 * 1024) as usize;
        let state = Invocation::new(host, site.clone(), limits.host_calls, store_limits(memory));
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limits);
        store.set_epoch_deadline(deadline_ms.max(1));
        store.epoch_deadline_trap();
        let run = async {
            let instance = compiled.pre.instantiate_async(&mut store).await?;
            call(&instance, &mut store).await
        };
        // The epoch stops a running plugin; the timeout also covers time spent in host calls.
        let budget = Duration::from_millis(deadline_ms) + Duration::from_millis(250);
        let outcome = tokio::time::timeout(budget, run).await;
        let failure = |kind, reason: String| Failure {
            plugin: site.plugin.clone(),
            hook: site.hook.clone(),
            kind,
            reason,
        };
        match outcome {
            Err(_) => Err(failure(
                FailureKind::Timeout,
                format!("ran longer than its deadline of {deadline_ms} ms"),
            )),
            Ok(Err(trap)) => {
                let state = store.data();
                Err(describe_trap(
                    &trap,
                    state,
                    deadline_ms,
                    limits.memory_mb,
                    failure,
                ))
            }
            Ok(Ok(Err(failure))) => Err(failure),
            Ok(Ok(Ok(result))) => Ok((result, store.into_data().into_host())),
        }
    }
}

fn store_limits(memory: usize) -> StoreLimits {
    StoreLimitsBuilder::new()
        .memory_size(memory)
        .instances(64)
        .memories(16)
        .tables(64)
        .trap_on_grow_failure(true)
        .build()
}

/// Loads compiled code the host itself wrote to its cache directory.
#[allow(unsafe_code)]
fn load_cached(engine: &Engine, path: &std::path::Path) -> wasmtime::Result<Component> {
    // SAFETY: `deserialize_file` trusts the file to be compiled code from this engine's
    // configuration. The file lives in the host's own data directory, is written only by
    // `Runtime::compile` (atomically, by rename) and is named by the component's sha256 and the
    // engine's compatibility hash; wasmtime also checks the header and the engine settings.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Turns a trap into a reason a person can act on.
fn describe_trap<H: HostApi>(
    trap: &wasmtime::Error,
    state: &Invocation<H>,
    deadline_ms: u64,
    memory_mb: u64,
    failure: impl Fn(FailureKind, String) -> Failure,
) -> Failure {
    if let Some(reason) = &state.fatal {
        return failure(FailureKind::Limit, reason.clone());
    }
    let text = format!("{trap:#}");
    // A Rust panic writes its message to stderr before it traps: the most useful line there is.
    let stderr = String::from_utf8_lossy(&state.stderr.contents())
        .trim()
        .to_owned();
    let panic = stderr
        .lines()
        .skip_while(|line| !line.contains("panicked"))
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    if !panic.is_empty() {
        return failure(
            FailureKind::Trap,
            format!("panicked: {}", first_line(&panic)),
        );
    }
    match trap.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::Interrupt) => failure(
            FailureKind::Timeout,
            format!("ran longer than its deadline of {deadline_ms} ms"),
        ),
        Some(wasmtime::Trap::StackOverflow) => failure(FailureKind::Trap, "overflowed its stack".into()),
        Some(wasmtime::Trap::AllocationTooLarge) => failure(FailureKind::Limit, format!("exceeded its memory limit of {memory_mb} MiB")),
        Some(wasmtime::Trap::MemoryOutOfBounds) => failure(
            FailureKind::Trap,
            "trapped: out of bounds memory access (often the plugin's own stack overflowing into its data)".into(),
        ),
        Some(other) => {
            if text.contains("forcing trap when growing") {
                failure(FailureKind::Limit, format!("exceeded its memory limit of {memory_mb} MiB"))
            } else {
                let reason = other.to_string();
                failure(FailureKind::Trap, format!("trapped: {}", reason.trim_start_matches("wasm trap: ")))
            }
        }
        None if text.contains("forcing trap when growing") || text.contains("exceeds memory limits") => {
            failure(FailureKind::Limit, format!("exceeded its memory limit of {memory_mb} MiB"))
        }
        None if text.contains("concurrent") && text.contains("limit") => {
            failure(FailureKind::Busy, "no free plugin instance slot; try again".into())
        }
        None => failure(FailureKind::Trap, format!("failed: {}", first_line(&text))),
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text);
    line.chars().take(300).collect()
}
