//! The xrm plugin SDK: write a plugin as a Rust type with a few handler functions, build it with
//! `cargo build --target wasm32-wasip2 --release`, install the component with a manifest.
//!
//! ```ignore
//! use xrm_sdk::prelude::*;
//!
//! struct ContractRules;
//!
//! impl Plugin for ContractRules {
//!     fn validate(event: &RecordEvent) -> Vec<FieldError> {
//!         let (Some(start), Some(end)) = (event.str_field("start_date"), event.str_field("end_date"))
//!         else { return vec![] };
//!         if end < start {
//!             return vec![FieldError::new("/end_date", "end-after-start", "ends before it starts")];
//!         }
//!         vec![]
//!     }
//! }
//!
//! export_plugin!(ContractRules);
//! ```
//!
//! Every handler has a default, so a plugin implements only what its manifest subscribes to.
//! Host calls live in [`host`]; on a native target they go to the [`testing::TestHost`] of the
//! current thread, so handlers can be unit-tested with `cargo test` and no server.

mod events;
pub mod host;
mod ownership;
mod plugin;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use events::{
    ActionRequest, Chart, ChartKind, Column, ColumnKind, FieldError, Operation, RecordEvent,
    Refusal, Report, ReportRequest, ScheduleEvent,
};
pub use host::{HostError, Query};
pub use ownership::{BeforeChange, Member, Owners, TeamRef};
pub use plugin::Plugin;
pub use serde_json::{Value, json};

/// The version of the plugin API (the WIT package `xrm:plugin`) this SDK builds against. A
/// manifest's `api` field names it.
pub const API_VERSION: &str = "0.2.0";

/// Everything a plugin usually needs, in one `use`.
pub mod prelude {
    pub use crate::{
        ActionRequest, BeforeChange, Chart, ChartKind, Column, ColumnKind, FieldError, HostError,
        Member, Operation, Owners, Plugin, Query, RecordEvent, Refusal, Report, ReportRequest,
        ScheduleEvent, TeamRef, Value, export_plugin, host, json,
    };
}

/// The bindings generated from `wit/0.2.0`; used by [`export_plugin!`], not by plugin code.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/0.2.0",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_world",
        default_bindings_module: "xrm_sdk::bindings",
    });
}

#[doc(hidden)]
pub mod __private {
    pub use crate::plugin::adapter::*;
}

/// Makes a type implementing [`Plugin`] the entry points of the component.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        const _: () = {
            struct __XrmPluginExports;

            impl $crate::bindings::exports::xrm::plugin::hooks::Guest for __XrmPluginExports {
                fn validate(
                    event: $crate::bindings::xrm::plugin::types::RecordEvent,
                ) -> ::std::vec::Vec<$crate::bindings::xrm::plugin::types::FieldError> {
                    $crate::__private::validate::<$plugin>(event)
                }
                fn before_change(
                    event: $crate::bindings::xrm::plugin::types::RecordEvent,
                ) -> ::std::result::Result<
                    $crate::bindings::xrm::plugin::types::BeforeChangeResult,
                    $crate::bindings::xrm::plugin::types::Refusal,
                > {
                    $crate::__private::before_change::<$plugin>(event)
                }
                fn after_change(
                    event: $crate::bindings::xrm::plugin::types::RecordEvent,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::after_change::<$plugin>(event)
                }
                fn run_action(
                    request: $crate::bindings::xrm::plugin::types::ActionRequest,
                ) -> ::std::result::Result<
                    ::std::string::String,
                    $crate::bindings::xrm::plugin::types::Refusal,
                > {
                    $crate::__private::action::<$plugin>(request)
                }
                fn run_report(
                    request: $crate::bindings::xrm::plugin::types::ReportRequest,
                ) -> ::std::result::Result<
                    $crate::bindings::xrm::plugin::types::Report,
                    ::std::string::String,
                > {
                    $crate::__private::report::<$plugin>(request)
                }
                fn schedule(
                    event: $crate::bindings::xrm::plugin::types::ScheduleEvent,
                ) -> ::std::result::Result<(), ::std::string::String> {
                    $crate::__private::schedule::<$plugin>(event)
                }
            }

            $crate::bindings::__export_plugin_world!(__XrmPluginExports with_types_in $crate::bindings);
        };
    };
}
