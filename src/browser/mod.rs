//! The browser layer (wasm32 only): drivers around the browser's objects. It reports what
//! happened to an engine through the one generic [`driver`] and does what it is told; it decides no policy.
//!
//! Every callback registered here is owned by a `gloo_events::EventListener` stored in
//! the object that registered it, so dropping the object removes the handler.

pub mod audio;
pub mod data;
pub mod devices;
pub mod driver;
pub mod js;
pub mod media;
pub mod page;
pub mod peer;
mod peer_ops;
pub mod probe;
pub mod publish;
pub mod recorder;
pub mod signaling;
pub mod stats;
