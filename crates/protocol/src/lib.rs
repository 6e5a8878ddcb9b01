//! The steadyrtc signaling protocol: every message between a client and
//! `steadyrtc-server`, the closed set of error codes, roles and grants, and the limits
//! both sides enforce.
//!
//! Messages are JSON objects tagged by a `type` field with camelCase field names
//! (`docs/PROTOCOL.md` shows one example of each). Server messages of a session carry a
//! `seq` number outside the message itself ([`ServerMessage::to_json_with_seq`],
//! [`ServerMessage::parse_frame`]). This crate decides the wire format and validates
//! names; it never does I/O and depends on neither wasm nor tokio, so the browser client
//! and the server share it unchanged.

mod auth;
mod decode;
mod error;
mod ice;
mod limits;
mod message;
mod signal;

pub use auth::{Grants, Role};
pub use error::{ErrorCode, ParseError};
pub use ice::{Heartbeat, IceServer};
pub use limits::{
    validate_identity, validate_name, validate_room, MAX_FRAME_BYTES, MAX_IDENTITY_CHARS,
    MAX_NAME_CHARS, MAX_ROOM_CHARS,
};
pub use message::{ClientMessage, LeaveReason, MatchPrefs, PeerInfo, Report, ServerMessage};
pub use signal::{SignalData, SignalEnvelope};

/// The protocol version a client announces in `join` and the server echoes in `welcome`.
/// Version 2 added the link `epoch` and the `reconnect` kind to signal payloads; version
/// 4 added `promote`, `demote`, `raiseHand`, `roleChanged`, `handRaised` and the queue
/// `position` of `queued`; version 5 `endRoom` and the `by` of `roomEnded`.
pub const PROTOCOL_VERSION: u32 = 5;

/// The oldest version a server still accepts: the server only relays signal payloads, so
/// version 1 clients keep working beside version 2 ones.
pub const MIN_PROTOCOL_VERSION: u32 = 1;

/// A peer id as the server assigns it: opaque, unique within a server's lifetime.
pub type PeerId = String;
