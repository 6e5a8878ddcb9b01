//! The engine: every decision steadyrtc makes, in plain Rust.
//!
//! Sans-IO: each part is a struct fed with inputs and the time in milliseconds, returning
//! what to do; randomness comes from a seeded generator passed in. Nothing here imports
//! web-sys, js-sys or wasm-bindgen, reads a clock or sleeps, so all of it runs natively
//! under `cargo test` and a recorded trace replays exactly.
//!
//! - [`link::PeerEngine`]: one peer link's connection state machine, perfect negotiation
//!   ([`negotiation`]), the ICE candidate buffer ([`candidates`]) and recovery;
//! - [`quality`]: stats samples in, deltas, metrics, a 0..100 score and a level out;
//! - [`adapt`]: the encoding ladder with hysteresis, down to audio-only;
//! - [`recovery`]: ICE restart -> signaling reset -> full reconnect, with backoff;
//! - [`room::RoomEngine`]: a room: the session, the links, every server message, the
//!   ladder above ICE restart;
//! - [`trace`]: record and replay.

pub mod adapt;
pub mod candidates;
pub mod config;
pub mod connectivity;
pub mod data_plan;
pub mod decimal;
pub mod link;
pub mod link_quality;
pub mod media;
mod negotiation;
mod ops;
pub mod outbound_loss;
pub mod peer_call;
pub mod quality;
pub mod recovery;
pub mod rng;
pub mod room;
pub mod sdp;
pub mod session;
pub mod speaking;
pub mod stats;
pub mod stats_map;
pub mod trace;
pub mod types;
pub mod vec_map;
pub mod wire;

#[cfg(test)]
mod testkit;

pub use candidates::Candidate;
pub use config::{LinkConfig, StateTimeouts};
pub use link::PeerEngine;
pub use types::{Action, ConnState, Input, Outgoing, PcOp, SdpKind, TimerKind, TransportState};

#[cfg(all(test, not(target_arch = "wasm32")))]
mod props;
