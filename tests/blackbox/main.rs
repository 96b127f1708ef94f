//! The black-box suite: one binary, one module per feature. Every test starts the real `xrm`
//! binary (see `xrm_tests::TestServer`) and runs once on SQLite and once on PostgreSQL.
//!
//! Build the server first: `cargo build -p xrm-host --bin xrm`; then
//! `cargo test -p xrm-tests -- --test-threads=2`.

mod fixtures;

mod concurrency;
mod durability;
mod entity_types;
mod operations;
mod package_types;
mod plugin_api;
mod plugin_cli;
mod plugin_jobs;
mod plugins;
mod public_sector;
mod queries;
mod records;
mod security;
mod validation;
