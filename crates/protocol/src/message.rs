//! The messages themselves: [`ClientMessage`] (client to server) and [`ServerMessage`]
//! (server to client), and the parser that classifies a bad frame by error code.

use crate::{ErrorCode, ParseError, PeerId};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A participant as other participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    pub id: PeerId,
    pub name: String,
}

/// Why a peer left the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LeaveReason {
    /// The peer sent `leave`.
    Left,
    /// The peer's connection closed without `leave`.
    Disconnected,
}

/// Client to server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ClientMessage {
    /// Enter a room. The first message of every connection.
    Join {
        protocol_version: u32,
        room: String,
        name: String,
    },
    /// Relay `data` to the peer `to` in the same room. The server does not read `data`;
    /// clients put a [`crate::SignalData`] there.
    Signal { to: PeerId, data: Value },
    /// Leave the room; the server tells the others (`peerLeft`, reason `left`).
    Leave {},
}

/// Server to client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ServerMessage {
    /// The answer to `join`: who you are and who is already there.
    Welcome {
        protocol_version: u32,
        room: String,
        peer_id: PeerId,
        peers: Vec<PeerInfo>,
    },
    /// Someone entered your room.
    PeerJoined { peer: PeerInfo },
    /// Someone left your room.
    PeerLeft {
        peer_id: PeerId,
        reason: LeaveReason,
    },
    /// A relayed signal from `from`, a peer of your room.
    Signal { from: PeerId, data: Value },
    /// A frame of yours was refused; the connection stays usable.
    Error { code: ErrorCode, message: String },
}

/// The `type` strings of [`ClientMessage`].
const CLIENT_TYPES: [&str; 3] = ["join", "signal", "leave"];
/// The `type` strings of [`ServerMessage`].
const SERVER_TYPES: [&str; 5] = ["welcome", "peerJoined", "peerLeft", "signal", "error"];

impl ClientMessage {
    /// Parses one text frame, telling apart bad JSON, an unknown type and a bad shape.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        parse_tagged(text, &CLIENT_TYPES)
    }

    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        to_json(self)
    }
}

impl ServerMessage {
    /// Parses one text frame from the server.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        parse_tagged(text, &SERVER_TYPES)
    }

    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// An `error` frame.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            code,
            message: message.into(),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these types cannot fail: every field is a string, number, list or a
    // JSON value that was itself parsed from text. Fall back to a valid frame anyway.
    serde_json::to_string(value).unwrap_or_else(|_| {
        r#"{"type":"error","code":"internal","message":"unserializable message"}"#.to_owned()
    })
}

fn parse_tagged<T: for<'de> Deserialize<'de>>(text: &str, types: &[&str]) -> Result<T, ParseError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| ParseError::new(ErrorCode::BadJson, format!("not JSON: {e}")))?;
    let Some(object) = value.as_object() else {
        return Err(ParseError::new(
            ErrorCode::BadJson,
            "a message must be a JSON object",
        ));
    };
    match object.get("type").and_then(Value::as_str) {
        None => {
            return Err(ParseError::new(
                ErrorCode::UnknownType,
                "missing string field 'type'",
            ))
        }
        Some(t) if !types.contains(&t) => {
            return Err(ParseError::new(
                ErrorCode::UnknownType,
                format!(
                    "unknown message type {t:?}; expected one of {}",
                    types.join(", ")
                ),
            ))
        }
        Some(_) => {}
    }
    serde_json::from_value(value)
        .map_err(|e| ParseError::new(ErrorCode::InvalidMessage, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client_examples() -> Vec<ClientMessage> {
        vec![
            ClientMessage::Join {
                protocol_version: 1,
                room: "demo".into(),
                name: "Ada".into(),
            },
            ClientMessage::Signal {
                to: "p1".into(),
                data: json!({"kind": "offer", "sdp": "v=0"}),
            },
            ClientMessage::Leave {},
        ]
    }

    fn server_examples() -> Vec<ServerMessage> {
        vec![
            ServerMessage::Welcome {
                protocol_version: 1,
                room: "demo".into(),
                peer_id: "p2".into(),
                peers: vec![PeerInfo {
                    id: "p1".into(),
                    name: "Ada".into(),
                }],
            },
            ServerMessage::PeerJoined {
                peer: PeerInfo {
                    id: "p3".into(),
                    name: "Bo".into(),
                },
            },
            ServerMessage::PeerLeft {
                peer_id: "p3".into(),
                reason: LeaveReason::Disconnected,
            },
            ServerMessage::Signal {
                from: "p1".into(),
                data: json!({"kind": "answer", "sdp": "v=0"}),
            },
            ServerMessage::error(ErrorCode::UnknownPeer, "no such peer"),
        ]
    }

    #[test]
    fn every_client_message_round_trips() {
        let examples = client_examples();
        assert_eq!(examples.len(), CLIENT_TYPES.len());
        for msg in examples {
            assert_eq!(ClientMessage::parse(&msg.to_json()).unwrap(), msg);
        }
    }

    #[test]
    fn every_server_message_round_trips() {
        let examples = server_examples();
        assert_eq!(examples.len(), SERVER_TYPES.len());
        for msg in examples {
            assert_eq!(ServerMessage::parse(&msg.to_json()).unwrap(), msg);
        }
    }

    #[test]
    fn wire_format_is_type_tagged_camel_case() {
        let join = ClientMessage::Join {
            protocol_version: 1,
            room: "r".into(),
            name: "n".into(),
        };
        assert_eq!(
            serde_json::to_value(&join).unwrap(),
            json!({"type": "join", "protocolVersion": 1, "room": "r", "name": "n"})
        );
        let left = ServerMessage::PeerLeft {
            peer_id: "p".into(),
            reason: LeaveReason::Left,
        };
        assert_eq!(
            serde_json::to_value(&left).unwrap(),
            json!({"type": "peerLeft", "peerId": "p", "reason": "left"})
        );
    }

    #[test]
    fn parse_classifies_bad_frames() {
        let code = |t: &str| ClientMessage::parse(t).unwrap_err().code;
        assert_eq!(code("{not json"), ErrorCode::BadJson);
        assert_eq!(code("[1,2]"), ErrorCode::BadJson);
        assert_eq!(code(r#"{"room":"x"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":"welcome"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":7}"#), ErrorCode::UnknownType);
        assert_eq!(
            code(r#"{"type":"join","room":"x"}"#),
            ErrorCode::InvalidMessage
        );
        assert_eq!(
            code(r#"{"type":"signal","to":5,"data":{}}"#),
            ErrorCode::InvalidMessage
        );
    }

    #[test]
    fn unknown_type_error_lists_the_known_types() {
        let err = ClientMessage::parse(r#"{"type":"dance"}"#).unwrap_err();
        assert!(
            err.message.contains("join, signal, leave"),
            "{}",
            err.message
        );
    }
}
