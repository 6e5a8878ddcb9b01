//! The JS-facing facade (wasm32 only): `Room`, its typed events and `SteadyError`.
//! Type definitions beyond what wasm-bindgen generates (option and event interfaces, the
//! error code union) live in `pkg-template/steadyrtc.extra.d.ts`, appended to the
//! generated `.d.ts` by the build.

mod diagnostics;
pub mod error;
pub mod events;
pub mod local_media;
mod policy;
pub mod room;
mod room_audio;
mod room_driver;
mod room_media;
mod room_recording;

use crate::options::LogLevel;
use std::sync::atomic::{AtomicU8, Ordering};
use tracing_subscriber::layer::{Layer, SubscriberExt};
use tracing_subscriber::Registry;
use wasm_bindgen::prelude::*;

/// The console log level (a `LogLevel` as u8); `warn` until an app says otherwise.
static LOG_LEVEL: AtomicU8 = AtomicU8::new(LogLevel::Warn as u8);

/// Sets how much the library logs, for every room on the page (`logLevel` option).
pub fn set_log_level(level: LogLevel) {
    LOG_LEVEL.store(level as u8, Ordering::Relaxed);
}

fn enabled(level: &tracing::Level) -> bool {
    let wanted = match *level {
        tracing::Level::ERROR => LogLevel::Error,
        tracing::Level::WARN => LogLevel::Warn,
        tracing::Level::INFO => LogLevel::Info,
        tracing::Level::DEBUG => LogLevel::Debug,
        tracing::Level::TRACE => LogLevel::Trace,
    };
    wanted as u8 <= LOG_LEVEL.load(Ordering::Relaxed)
}

/// Runs once when the module is instantiated: routes `tracing` to the console (at the
/// level set by `logLevel`, `warn` by default) and panics to `console.error`.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("steadyrtc panicked: {info}").into());
    }));
    let config = tracing_wasm::WASMLayerConfigBuilder::new()
        .set_max_level(tracing::Level::TRACE)
        .set_report_logs_in_timings(false)
        .build();
    let filter = tracing_subscriber::filter::filter_fn(|meta| enabled(meta.level()));
    // Another crate on the page may already have set a global subscriber; keep it.
    let subscriber =
        Registry::default().with(tracing_wasm::WASMLayer::new(config).with_filter(filter));
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The library's version (the crate and npm package version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
