//! Criterion benchmarks of one plugin invocation — a fresh instance from the pre-linked
//! component, the call, the result — with no database behind the host calls.
//! Needs the built components: `scripts/build-plugins`, then
//! `cargo bench -p xrm-host --bench plugins`.

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use xrm::plugin::bindings::types::{Member, Operation, Ownership, RecordEvent};
use xrm::plugin::{
    ApiVersion, BoxFuture, CallSite, Compiled, HostApi, HostCallError, Limits, MemoryReset,
    QueryArgs, Runtime,
};

/// Host calls that answer nothing: the benchmark measures the sandbox, not a database.
struct NullHost;

impl HostApi for NullHost {
    fn get_record<'a>(
        &'a mut self,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, Result<Option<String>, HostCallError>> {
        Box::pin(async { Ok(None) })
    }
    fn query_records<'a>(
        &'a mut self,
        _: &'a str,
        _: QueryArgs,
    ) -> BoxFuture<'a, Result<Vec<String>, HostCallError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn create_record<'a>(
        &'a mut self,
        _: &'a str,
        data: &'a str,
    ) -> BoxFuture<'a, Result<String, HostCallError>> {
        Box::pin(async move { Ok(data.to_owned()) })
    }
    fn update_record<'a>(
        &'a mut self,
        _: &'a str,
        _: &'a str,
        patch: &'a str,
    ) -> BoxFuture<'a, Result<String, HostCallError>> {
        Box::pin(async move { Ok(patch.to_owned()) })
    }
    fn delete_record<'a>(
        &'a mut self,
        _: &'a str,
        _: &'a str,
    ) -> BoxFuture<'a, Result<(), HostCallError>> {
        Box::pin(async { Ok(()) })
    }
    fn assign_record<'a>(
        &'a mut self,
        _: &'a str,
        _: &'a str,
        _: Ownership,
    ) -> BoxFuture<'a, Result<String, HostCallError>> {
        Box::pin(async { Ok("{}".to_owned()) })
    }
    fn list_members(&mut self) -> BoxFuture<'_, Result<Vec<Member>, HostCallError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn config(&self) -> String {
        "{}".into()
    }
}

fn component(package: &str, file: &str) -> Option<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target");
    ["packages", "test-packages"]
        .iter()
        .map(|dir| root.join(dir).join(package).join(file))
        .find_map(|path| std::fs::read(path).ok())
}

/// A record of about 1 KB, as the API would hand it to a hook.
fn record_of_1kb(extra: Value) -> String {
    let mut record = json!({
        "id": "0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d", "version": 1,
        "created_at": "2026-11-23T10:00:00.000000Z", "updated_at": "2026-11-23T10:00:00.000000Z",
        "created_by": "bench", "updated_by": "bench",
        "notes": "x".repeat(700)
    });
    for (key, value) in extra.as_object().unwrap() {
        record[key] = value.clone();
    }
    record.to_string()
}

/// The `q` quantile of sorted samples.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

/// One validate invocation the way the host makes it: a fresh instance, the call, the errors.
fn invoke_validate(
    tokio: &tokio::runtime::Runtime,
    runtime: &Runtime<NullHost>,
    compiled: &Compiled<NullHost>,
    site: &CallSite,
    event: &Arc<RecordEvent>,
) -> usize {
    let event = event.clone();
    let outcome = tokio.block_on(runtime.invoke(
        compiled,
        site,
        NullHost,
        Limits::default(),
        1_000,
        move |instance, store| {
            Box::pin(async move {
                let errors = instance
                    .xrm_plugin_hooks()
                    .call_validate(store, &*event)
                    .await?;
                Ok(Ok(errors))
            })
        },
    ));
    outcome.map(|(errors, _)| errors.len()).unwrap()
}

fn validate_bench(c: &mut Criterion, name: &str, package: &str, file: &str, event: RecordEvent) {
    let Some(bytes) = component(package, file) else {
        eprintln!("skipping {name}: {package}/{file} is not built (run scripts/build-plugins)");
        return;
    };
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime: Runtime<NullHost> = Runtime::new(None).unwrap();
    let compiled: Compiled<NullHost> = tokio
        .block_on(runtime.compile(Arc::new(bytes), "bench", ApiVersion::NEWEST))
        .unwrap();
    let site = CallSite {
        plugin: package.into(),
        hook: "validate".into(),
    };
    let event = Arc::new(event);
    let call = || black_box(invoke_validate(&tokio, &runtime, &compiled, &site, &event));
    // Criterion reports the typical time; the tail needs every sample, so measure those too.
    let mut samples: Vec<Duration> = (0..20_000)
        .map(|_| {
            let started = Instant::now();
            call();
            started.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| quantile(&samples, q);
    eprintln!(
        "{name}: {} samples, p50 {:?}, p90 {:?}, p99 {:?}, max {:?}",
        samples.len(),
        at(0.50),
        at(0.90),
        at(0.99),
        samples[samples.len() - 1]
    );
    c.bench_function(name, |b| b.iter(call));
}

/// One way of resetting memory, its runtime and component, and the latencies measured with it.
type Variant = (
    MemoryReset,
    Runtime<NullHost>,
    Compiled<NullHost>,
    Vec<Duration>,
);

/// The trivial hook's latency for several ways of resetting memory slots: amounts kept
/// resident, with and without the kernel's dirty-page scan. The variants take turns in rounds,
/// so a machine's drift hits them alike.
fn memory_reset_sweep(event: &RecordEvent) {
    let Some(bytes) = component("hostile", "hostile_plugin.wasm") else {
        return;
    };
    let bytes = Arc::new(bytes);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let event = Arc::new(event.clone());
    let site = CallSite {
        plugin: "hostile".into(),
        hook: "validate".into(),
    };
    let mut variants: Vec<Variant> = [false, true]
        .into_iter()
        .flat_map(|pagemap_scan| {
            [0, 64 << 10, 256 << 10, 512 << 10, 1 << 20, 2 << 20]
                .into_iter()
                .map(move |keep_resident| MemoryReset {
                    keep_resident,
                    pagemap_scan,
                })
        })
        .map(|reset| {
            let runtime: Runtime<NullHost> = Runtime::with_memory_reset(None, reset).unwrap();
            let compiled = tokio
                .block_on(runtime.compile(bytes.clone(), "bench", ApiVersion::NEWEST))
                .unwrap();
            for _ in 0..2_000 {
                invoke_validate(&tokio, &runtime, &compiled, &site, &event);
            }
            (reset, runtime, compiled, Vec::new())
        })
        .collect();
    for _round in 0..10 {
        for (_, runtime, compiled, samples) in &mut variants {
            for _ in 0..2_000 {
                let started = Instant::now();
                black_box(invoke_validate(&tokio, runtime, compiled, &site, &event));
                samples.push(started.elapsed());
            }
        }
    }
    for (reset, _, _, samples) in &mut variants {
        samples.sort();
        eprintln!(
            "trivial validate, {:>4} KiB kept resident, pagemap scan {:>5}: p50 {:?}, p90 {:?}, p99 {:?}",
            reset.keep_resident >> 10,
            reset.pagemap_scan,
            quantile(samples, 0.50),
            quantile(samples, 0.90),
            quantile(samples, 0.99)
        );
    }
}

fn plugins(c: &mut Criterion) {
    let trivial = RecordEvent {
        entity_type: "hostile_target".into(),
        operation: Operation::Create,
        id: "0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d".into(),
        record: Some(record_of_1kb(json!({"name": "bench", "mode": "none"}))),
        previous: None,
        actor: "bench".into(),
    };
    if std::env::var_os("XRM_BENCH_RESET_SWEEP").is_some() {
        memory_reset_sweep(&trivial);
    }
    validate_bench(
        c,
        "plugin/trivial validate, 1 KB record (fresh instance + call)",
        "hostile",
        "hostile_plugin.wasm",
        trivial,
    );
    let contract = RecordEvent {
        entity_type: "contract".into(),
        operation: Operation::Create,
        id: "0194f3d2-7c1e-7a3b-9c2d-4e5f6a7b8c9d".into(),
        record: Some(record_of_1kb(json!({
            "contract_number": "CTR-2026-0042", "title": "Maintenance", "status": "active",
            "start_date": "2026-01-01", "end_date": "2026-12-31", "signed_on": "2025-12-15",
            "notice_period_days": 90, "value": 1200, "currency": "EUR"
        }))),
        previous: None,
        actor: "bench".into(),
    };
    validate_bench(
        c,
        "plugin/contract-rules validate, 1 KB record (fresh instance + call)",
        "contract-rules",
        "contract_rules.wasm",
        contract,
    );
}

criterion_group!(benches, plugins);
criterion_main!(benches);
