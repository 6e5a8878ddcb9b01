//! The JS-facing facade (wasm32 only): `Room`, its typed events and `SteadyError`.
//! Type definitions beyond what wasm-bindgen generates (option and event interfaces, the
//! error code union) live in `pkg-template/steadyrtc.extra.d.ts`, appended to the
//! generated `.d.ts` by the build.

pub mod error;
pub mod events;
pub mod room;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::Registry;
use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: routes `tracing` to the console (info and
/// above) and panics to `console.error`.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("steadyrtc panicked: {info}").into());
    }));
    let config = tracing_wasm::WASMLayerConfigBuilder::new()
        .set_max_level(tracing::Level::INFO)
        .set_report_logs_in_timings(false)
        .build();
    // Another crate on the page may already have set a global subscriber; keep it.
    let subscriber = Registry::default().with(tracing_wasm::WASMLayer::new(config));
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The library's version (the crate and npm package version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
