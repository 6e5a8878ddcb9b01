//! steadyrtc: browser calls that stay up.
//!
//! A WebRTC client library for the browser, written in Rust and compiled to WebAssembly.
//! The JS-facing API (`Room`) lives in [`api`]; [`browser`] drives the browser's WebRTC
//! objects; [`options`] and [`error`] are pure Rust and run natively under `cargo test`.
//!
//! Layers: `api` (wasm32 only) -> `browser` (wasm32 only) -> pure modules. The pure
//! modules never import web-sys, js-sys or wasm-bindgen.

pub mod engine;
pub mod error;
pub mod events;
pub mod options;
pub mod options_read;

#[cfg(target_arch = "wasm32")]
pub mod api;
#[cfg(target_arch = "wasm32")]
pub mod browser;

pub use error::{ErrorCode, SteadyError};
pub use options::RoomOptions;
