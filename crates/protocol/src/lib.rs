//! The steadyrtc signaling protocol: every message between a client and
//! `steadyrtc-server`, the closed set of error codes, and the limits both sides enforce.
//!
//! Messages are JSON objects tagged by a `type` field with camelCase field names
//! (`docs/PROTOCOL.md` shows one example of each). This crate decides the wire format and
//! validates names; it never does I/O and depends on neither wasm nor tokio, so the
//! browser client and the server share it unchanged.

mod error;
mod limits;
mod message;
mod signal;

pub use error::{ErrorCode, ParseError};
pub use limits::{validate_name, validate_room, MAX_FRAME_BYTES, MAX_NAME_CHARS, MAX_ROOM_CHARS};
pub use message::{ClientMessage, LeaveReason, PeerInfo, ServerMessage};
pub use signal::SignalData;

/// The protocol version a client announces in `join` and the server echoes in `welcome`.
pub const PROTOCOL_VERSION: u32 = 1;

/// A peer id as the server assigns it: opaque, unique within a server's lifetime.
pub type PeerId = String;
