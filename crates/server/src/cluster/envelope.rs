//! What instances say to each other over Redis pub/sub: one JSON [`Envelope`] per
//! message, published to the receiving instance's channel.
//!
//! A proxy (the instance holding a client's socket) forwards the client's frames to the
//! owner (the instance holding the room, the session and its outbox) as they came, and
//! the owner sends back the frames for that socket exactly as it would write them
//! locally (already numbered). This module decides the wire shape; it sends nothing.

use serde::{Deserialize, Serialize};

/// The close reasons an owner may ask a proxy to close a socket with. A fixed set, so
/// the proxy can hand a `&'static str` to its writer.
pub const CLOSE_REASONS: [&str; 5] = [
    "session resumed on another connection",
    "session replaced",
    "room ended",
    "too slow to read messages",
    "signaling instance lost",
];

/// The static reason matching `reason`, or a generic one.
pub fn static_reason(reason: &str) -> &'static str {
    CLOSE_REASONS
        .iter()
        .find(|r| **r == reason)
        .copied()
        .unwrap_or("closed by the signaling instance")
}

/// One message between instances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "camelCase")]
pub enum Envelope {
    /// Proxy -> owner: a client frame (text as received) of the proxy's connection `conn`.
    Frame {
        from: String,
        conn: u64,
        text: String,
    },
    /// Proxy -> owner: the socket of `conn` ended (the session, if any, waits for resume).
    Gone { from: String, conn: u64 },
    /// Owner -> proxy: a text frame to write to the socket of `conn`.
    Out { conn: u64, text: String },
    /// Owner -> proxy: close the socket of `conn` after what is queued.
    Close {
        conn: u64,
        code: u16,
        reason: String,
    },
    /// Owner -> proxy: whether `conn` now has a session on the owner (after an opening
    /// frame, a `leave`, or the session ending).
    Session { conn: u64, attached: bool },
    /// Anyone -> owner: end room `room` (rooms API `DELETE`).
    EndRoom { room: String, reason: String },
    /// A draining owner -> its successor: take over this group (a JSON
    /// [`crate::state::GroupSnapshot`]).
    Adopt { from: String, group: String },
    /// Successor -> draining owner: group `name` is held here now.
    Adopted { name: String },
}

impl Envelope {
    pub fn to_json(&self) -> String {
        // Serializing this enum of strings and integers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Roughly the bytes this envelope holds (for the writer's memory bound).
    pub fn weight(&self) -> usize {
        64 + match self {
            Envelope::Frame { text, .. } | Envelope::Out { text, .. } => text.len(),
            Envelope::Adopt { group, .. } => group.len(),
            Envelope::Close { reason, .. } | Envelope::EndRoom { reason, .. } => reason.len(),
            Envelope::Gone { .. } | Envelope::Session { .. } | Envelope::Adopted { .. } => 0,
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_unknown_reasons_fall_back() {
        let all = [
            Envelope::Frame {
                from: "a".into(),
                conn: 7,
                text: r#"{"type":"pong"}"#.into(),
            },
            Envelope::Gone {
                from: "a".into(),
                conn: 7,
            },
            Envelope::Out {
                conn: 7,
                text: "{}".into(),
            },
            Envelope::Close {
                conn: 7,
                code: 1000,
                reason: "room ended".into(),
            },
            Envelope::Session {
                conn: 7,
                attached: true,
            },
            Envelope::EndRoom {
                room: "r".into(),
                reason: "deleted".into(),
            },
            Envelope::Adopt {
                from: "a".into(),
                group: "{}".into(),
            },
            Envelope::Adopted { name: "r".into() },
        ];
        for e in all {
            assert_eq!(Envelope::parse(&e.to_json()), Some(e));
        }
        assert_eq!(Envelope::parse("{\"t\":\"nope\"}"), None);
        assert_eq!(static_reason("room ended"), "room ended");
        assert_eq!(static_reason("x"), "closed by the signaling instance");
    }
}
