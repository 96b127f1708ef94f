//! Host-side bindings of the plugin API, generated from the WIT package in `sdk/wit/`. One
//! module per supported API version; today there is one.

wasmtime::component::bindgen!({
    path: "../sdk/wit/0.1.0",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use self::xrm::plugin::types;
