//! The xrm host as a library: the `xrm` binary is a thin `main.rs` over it, and tests and
//! benches use it directly. `ARCHITECTURE.md` maps the modules and their rules.

pub mod api;
pub mod clock;
pub mod config;
pub mod demo;
pub mod error;
pub mod plugin;
pub mod plugin_cli;
pub mod query;
pub mod schema;
pub mod server;
pub mod service;
pub mod store;
pub mod telemetry;

/// The workspace every instance starts with; the first instance admin is made in it.
pub const DEFAULT_WORKSPACE: &str = "default";
