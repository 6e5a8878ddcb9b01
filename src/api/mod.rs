//! The JS-facing facade (wasm32 only): `Room`, `Peer` (a call over the app's own
//! signaling), their typed events, logging and `SteadyError`.
//! Type definitions beyond what wasm-bindgen generates (option and event interfaces, the
//! error code union) live in `pkg-template/steadyrtc.extra.d.ts`, appended to the
//! generated `.d.ts` by the build.

pub mod connectivity;
mod diagnostics;
pub mod error;
pub mod events;
mod link_events;
pub mod local_media;
pub mod log;
pub mod matching;
pub mod peer;
mod peer_driver;
mod policy;
pub mod room;
mod room_audio;
mod room_driver;
mod room_media;
mod room_recording;
pub mod warm;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated: routes `tracing` to the console or the
/// app's sink (at the level of `setLogLevel`, `warn` by default, see [`log`]) and panics
/// to `console.error`.
#[wasm_bindgen(start, skip_typescript)]
fn start() {
    std::panic::set_hook(Box::new(|info| {
        web_sys::console::error_1(&format!("steadyrtc panicked: {info}").into());
    }));
    log::install();
}

/// The library's version (the crate and npm package version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
