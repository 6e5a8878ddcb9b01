//! The messages themselves: [`ClientMessage`] (client to server) and [`ServerMessage`]
//! (server to client), and the parser that classifies a bad frame by error code.

use crate::{ErrorCode, Grants, Heartbeat, IceServer, ParseError, PeerId, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A participant as other participants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    pub id: PeerId,
    pub name: String,
    /// The peer's role in the room.
    #[serde(default)]
    pub role: Role,
    /// Whether YOU (the receiver of this message) are the polite side towards this peer
    /// in perfect negotiation. The server decides: the later joiner is polite.
    #[serde(default)]
    pub polite: bool,
}

/// Why a peer left the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LeaveReason {
    /// The peer sent `leave` (or `queueNext`, or was removed by the server).
    Left,
    /// The peer's session ended without `leave` and without a resume window (dropped as
    /// too slow, or the resume window is zero).
    Disconnected,
    /// The peer's connection dropped and it did not resume within the resume window.
    Timeout,
}

/// What a client wants from the match queue. Two entries match when their languages are
/// equal or either is unset, and their tag lists share a tag or either list is empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MatchPrefs {
    pub tags: Vec<String>,
    pub language: Option<String>,
}

/// A client's report of its connection to one peer (or of itself), for diagnostics
/// and metrics. Every field is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Report {
    /// The remote peer this report is about, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<PeerId>,
    /// `RTCPeerConnection.connectionState` (`new`, `connecting`, `connected`,
    /// `disconnected`, `failed`, `closed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<String>,
    /// Quality score 0..100.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quality: Option<u8>,
    /// Milliseconds from the first offer to `connected`, once per connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_ms: Option<u64>,
    /// Why the connection failed, once per failure (a short token such as `iceFailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
}

/// Client to server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ClientMessage {
    /// Enter a room and open a session. The first message of a connection (or `resume`,
    /// or `queueJoin`).
    Join {
        protocol_version: u32,
        room: String,
        name: String,
        /// The access token for this room (from `POST /api/token`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
    },
    /// Take over a session whose connection dropped, within its resume window. The
    /// server answers `resumed` and then sends again every message after `lastSeq`.
    Resume {
        protocol_version: u32,
        session_id: String,
        last_seq: u64,
    },
    /// Relay `data` to the peer `to` in the same room. The server reads only
    /// `data.kind` (to enforce the publish grant); clients put a [`crate::SignalData`] there.
    Signal { to: PeerId, data: Value },
    /// Every message up to and including `seq` arrived; the server may forget them.
    Ack { seq: u64 },
    /// The answer to the server's `ping`.
    Pong {},
    /// A chat line to the room (or to one peer with `to`). Needs the chat grant. With an
    /// `id` (version 3), the sender gets the line back as its confirmation, and an
    /// `error` about it names the `id`.
    Chat {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<PeerId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
    /// Recording started or stopped. Needs the record grant; the room hears `recording`.
    Recording { active: bool },
    /// Connection state and quality, for diagnostics and metrics.
    Report(Report),
    /// Open a session in the match queue of the token's room (a room of mode `match`).
    QueueJoin {
        protocol_version: u32,
        name: String,
        token: String,
        #[serde(default)]
        prefs: MatchPrefs,
    },
    /// End the current match (the partner hears `peerLeft`) and queue again.
    QueueNext {},
    /// Leave the queue (or the current match) and keep the session.
    QueueLeave {},
    /// Leave the room and end the session; the others get `peerLeft` with reason `left`.
    Leave {},
    /// Let the participant `peerId` publish (version 4). Needs the admin grant; the
    /// peer's role becomes `guest` and the room hears `roleChanged`.
    Promote { peer_id: PeerId },
    /// Take the publish grant back from `peerId` (version 4). Needs the admin grant; the
    /// peer's role becomes `listener`.
    Demote { peer_id: PeerId },
    /// Ask the room's hosts for the floor (`raised: true`) or withdraw (version 4). The
    /// participants with the admin grant hear `handRaised`.
    RaiseHand { raised: bool },
    /// End the room for everyone (version 5). Needs the admin grant. Every participant,
    /// the sender included, gets `roomEnded` with reason `endedByHost` and `by`, and its
    /// session ends.
    EndRoom {},
}

/// Server to client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum ServerMessage {
    /// The answer to `join` (and `queueJoin`): who you are, who is already there, and the
    /// session's terms.
    Welcome {
        protocol_version: u32,
        room: String,
        peer_id: PeerId,
        peers: Vec<PeerInfo>,
        /// Name this in `resume` after a dropped connection.
        #[serde(default)]
        session_id: String,
        #[serde(default)]
        role: Role,
        #[serde(default)]
        grants: Grants,
        #[serde(default)]
        heartbeat: Heartbeat,
        /// How long the session waits for `resume` after its connection drops.
        #[serde(default)]
        resume_window_ms: u64,
        /// STUN and TURN servers to use, with fresh TURN credentials.
        #[serde(default)]
        ice_servers: Vec<IceServer>,
    },
    /// The answer to `resume`: the session is yours again; the messages you missed follow.
    Resumed {
        session_id: String,
        peer_id: PeerId,
        room: String,
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
    /// A chat line from `from` (or, to its sender, the confirmation of its own line).
    Chat {
        from: PeerId,
        text: String,
        /// True when it was sent to you alone.
        #[serde(default)]
        private: bool,
        /// The sender's id of the line, when it gave one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The sender's display name.
        #[serde(default)]
        name: String,
        /// When the server took the line, Unix milliseconds.
        #[serde(default)]
        sent_at: u64,
    },
    /// `by` started or stopped recording the room.
    Recording { by: PeerId, active: bool },
    /// You are in the match queue, `position` (1-based) in line among those waiting
    /// (version 4; sent again whenever the position changes).
    Queued {
        #[serde(default)]
        position: u32,
    },
    /// The queue paired you: you are now in `room` with `peer`.
    Matched {
        room: String,
        peer: PeerInfo,
        /// Whether you are the polite side towards `peer` (same as `peer.polite`).
        polite: bool,
    },
    /// The role and grants of `peerId` changed (`promote`, `demote`): to that peer and
    /// to everyone who sees it.
    RoleChanged {
        peer_id: PeerId,
        role: Role,
        grants: Grants,
        /// Who changed it (a host's peer id).
        by: PeerId,
    },
    /// `peerId` raised (or lowered) its hand: to the participants with the admin grant.
    HandRaised {
        peer_id: PeerId,
        name: String,
        raised: bool,
    },
    /// Heartbeat: answer with `pong`.
    Ping {},
    /// The server is going away (shutdown): reconnect (a new connection, `resume`)
    /// after `reconnectInMs`.
    GoAway {
        reason: String,
        reconnect_in_ms: u64,
    },
    /// The room was ended: `deleted` through the rooms API, or `endedByHost` by the
    /// participant `by` (version 5). Your session ends with it.
    RoomEnded {
        room: String,
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<PeerId>,
    },
    /// A frame of yours was refused; the connection stays usable.
    Error {
        code: ErrorCode,
        message: String,
        /// The `id` of the client message refused, when it had one (a `chat`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
    },
}

/// The `type` strings of [`ClientMessage`].
const CLIENT_TYPES: [&str; 16] = [
    "join",
    "resume",
    "signal",
    "ack",
    "pong",
    "chat",
    "recording",
    "report",
    "queueJoin",
    "queueNext",
    "queueLeave",
    "leave",
    "promote",
    "demote",
    "raiseHand",
    "endRoom",
];
/// The `type` strings of [`ServerMessage`].
const SERVER_TYPES: [&str; 15] = [
    "welcome",
    "resumed",
    "peerJoined",
    "peerLeft",
    "signal",
    "chat",
    "recording",
    "queued",
    "matched",
    "roleChanged",
    "handRaised",
    "ping",
    "goAway",
    "roomEnded",
    "error",
];

impl ClientMessage {
    /// Parses one text frame, telling apart bad JSON, an unknown type and a bad shape.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let decode = |v: &Value| Self::deserialize(v).map_err(|e| e.to_string());
        parse_tagged(text, &CLIENT_TYPES, decode).map(|(_, m)| m)
    }

    /// The JSON text of this message.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// The `type` string of this message (metrics label it by this).
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMessage::Join { .. } => "join",
            ClientMessage::Resume { .. } => "resume",
            ClientMessage::Signal { .. } => "signal",
            ClientMessage::Ack { .. } => "ack",
            ClientMessage::Pong {} => "pong",
            ClientMessage::Chat { .. } => "chat",
            ClientMessage::Recording { .. } => "recording",
            ClientMessage::Report(_) => "report",
            ClientMessage::QueueJoin { .. } => "queueJoin",
            ClientMessage::QueueNext {} => "queueNext",
            ClientMessage::QueueLeave {} => "queueLeave",
            ClientMessage::Leave {} => "leave",
            ClientMessage::Promote { .. } => "promote",
            ClientMessage::Demote { .. } => "demote",
            ClientMessage::RaiseHand { .. } => "raiseHand",
            ClientMessage::EndRoom {} => "endRoom",
        }
    }
}

impl ServerMessage {
    /// Parses one text frame from the server (its `seq`, if any, is ignored).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        Self::parse_frame(text).map(|(_, m)| m)
    }

    /// Parses one text frame from the server with its sequence number, if it has one.
    /// (Read by hand, as serde would: see `decode`.)
    pub fn parse_frame(text: &str) -> Result<(Option<u64>, Self), ParseError> {
        parse_tagged(text, &SERVER_TYPES, crate::decode::server_message)
    }

    /// The `type` string of this message.
    pub fn type_name(&self) -> &'static str {
        match self {
            ServerMessage::Welcome { .. } => "welcome",
            ServerMessage::Resumed { .. } => "resumed",
            ServerMessage::PeerJoined { .. } => "peerJoined",
            ServerMessage::PeerLeft { .. } => "peerLeft",
            ServerMessage::Signal { .. } => "signal",
            ServerMessage::Chat { .. } => "chat",
            ServerMessage::Recording { .. } => "recording",
            ServerMessage::Queued { .. } => "queued",
            ServerMessage::Matched { .. } => "matched",
            ServerMessage::RoleChanged { .. } => "roleChanged",
            ServerMessage::HandRaised { .. } => "handRaised",
            ServerMessage::Ping {} => "ping",
            ServerMessage::GoAway { .. } => "goAway",
            ServerMessage::RoomEnded { .. } => "roomEnded",
            ServerMessage::Error { .. } => "error",
        }
    }

    /// The JSON text of this message, without a sequence number.
    pub fn to_json(&self) -> String {
        to_json(self)
    }

    /// The JSON text of this message with `"seq": seq` added.
    pub fn to_json_with_seq(&self, seq: u64) -> String {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut object)) => {
                object.insert("seq".to_owned(), Value::from(seq));
                to_json(&Value::Object(object))
            }
            _ => to_json(self),
        }
    }

    /// An `error` frame.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Self {
        ServerMessage::Error {
            code,
            message: message.into(),
            id: None,
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

fn parse_tagged<T>(
    text: &str,
    types: &[&str],
    decode: impl Fn(&Value) -> Result<T, String>,
) -> Result<(Option<u64>, T), ParseError> {
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
    let seq = object.get("seq").and_then(Value::as_u64);
    decode(&value)
        .map(|m| (seq, m))
        .map_err(|e| ParseError::new(ErrorCode::InvalidMessage, e))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn client_examples() -> Vec<ClientMessage> {
        vec![
            ClientMessage::Join {
                protocol_version: 1,
                room: "demo".into(),
                name: "Ada".into(),
                token: Some("eyJ...".into()),
            },
            ClientMessage::Resume {
                protocol_version: 1,
                session_id: "s1".into(),
                last_seq: 41,
            },
            ClientMessage::Signal {
                to: "p1".into(),
                data: json!({"kind": "offer", "sdp": "v=0"}),
            },
            ClientMessage::Ack { seq: 7 },
            ClientMessage::Pong {},
            ClientMessage::Chat {
                text: "hi".into(),
                to: None,
                id: Some("c-1".into()),
            },
            ClientMessage::Recording { active: true },
            ClientMessage::Report(Report {
                peer_id: Some("p1".into()),
                connection_state: Some("connected".into()),
                quality: Some(93),
                setup_ms: Some(120),
                failure_reason: None,
            }),
            ClientMessage::QueueJoin {
                protocol_version: 1,
                name: "Ada".into(),
                token: "eyJ...".into(),
                prefs: MatchPrefs {
                    tags: vec!["chess".into()],
                    language: Some("en".into()),
                },
            },
            ClientMessage::QueueNext {},
            ClientMessage::QueueLeave {},
            ClientMessage::Leave {},
            ClientMessage::Promote {
                peer_id: "p3".into(),
            },
            ClientMessage::Demote {
                peer_id: "p3".into(),
            },
            ClientMessage::RaiseHand { raised: true },
            ClientMessage::EndRoom {},
        ]
    }

    fn info(id: &str, name: &str, polite: bool) -> PeerInfo {
        PeerInfo {
            id: id.into(),
            name: name.into(),
            role: Role::Guest,
            polite,
        }
    }

    pub(crate) fn server_examples() -> Vec<ServerMessage> {
        vec![
            ServerMessage::Welcome {
                protocol_version: 1,
                room: "demo".into(),
                peer_id: "p2".into(),
                peers: vec![info("p1", "Ada", true)],
                session_id: "s1".into(),
                role: Role::Guest,
                grants: Role::Guest.default_grants(),
                heartbeat: Heartbeat::default(),
                resume_window_ms: 30_000,
                ice_servers: vec![IceServer {
                    urls: vec!["stun:stun.example.org:3478".into()],
                    username: None,
                    credential: None,
                }],
            },
            ServerMessage::Resumed {
                session_id: "s1".into(),
                peer_id: "p2".into(),
                room: "demo".into(),
            },
            ServerMessage::PeerJoined {
                peer: info("p3", "Bo", false),
            },
            ServerMessage::PeerLeft {
                peer_id: "p3".into(),
                reason: LeaveReason::Timeout,
            },
            ServerMessage::Signal {
                from: "p1".into(),
                data: json!({"kind": "answer", "sdp": "v=0"}),
            },
            ServerMessage::Chat {
                from: "p1".into(),
                text: "hi".into(),
                private: false,
                id: Some("c-1".into()),
                name: "Ada".into(),
                sent_at: 1_790_000_000_000,
            },
            ServerMessage::Recording {
                by: "p1".into(),
                active: true,
            },
            ServerMessage::Queued { position: 2 },
            ServerMessage::Matched {
                room: "match-x".into(),
                peer: info("p9", "Cy", true),
                polite: true,
            },
            ServerMessage::RoleChanged {
                peer_id: "p3".into(),
                role: Role::Guest,
                grants: Role::Guest.default_grants(),
                by: "p1".into(),
            },
            ServerMessage::HandRaised {
                peer_id: "p3".into(),
                name: "Bo".into(),
                raised: true,
            },
            ServerMessage::Ping {},
            ServerMessage::GoAway {
                reason: "shutdown".into(),
                reconnect_in_ms: 1000,
            },
            ServerMessage::RoomEnded {
                room: "demo".into(),
                reason: "deleted".into(),
                by: None,
            },
            ServerMessage::RoomEnded {
                room: "demo".into(),
                reason: "endedByHost".into(),
                by: Some("p1".into()),
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
        let mut named: Vec<_> = examples.iter().map(ServerMessage::type_name).collect();
        named.dedup();
        assert_eq!(
            named, SERVER_TYPES,
            "one example or more of every type, in order"
        );
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
            token: None,
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
            err.message.contains("join, resume, signal"),
            "{}",
            err.message
        );
    }

    #[test]
    fn seq_is_added_to_the_frame_and_read_back() {
        let msg = ServerMessage::PeerLeft {
            peer_id: "p".into(),
            reason: LeaveReason::Left,
        };
        let text = msg.to_json_with_seq(42);
        assert_eq!(
            serde_json::from_str::<Value>(&text).unwrap(),
            json!({"type": "peerLeft", "peerId": "p", "reason": "left", "seq": 42})
        );
        assert_eq!(
            ServerMessage::parse_frame(&text).unwrap(),
            (Some(42), msg.clone())
        );
        assert_eq!(ServerMessage::parse(&text).unwrap(), msg.clone());
        assert_eq!(ServerMessage::parse_frame(&msg.to_json()).unwrap().0, None);
    }

    #[test]
    fn old_style_join_and_peer_info_still_parse() {
        let join =
            ClientMessage::parse(r#"{"type":"join","protocolVersion":1,"room":"r","name":"n"}"#)
                .unwrap();
        assert!(matches!(join, ClientMessage::Join { token: None, .. }));
        let joined =
            ServerMessage::parse(r#"{"type":"peerJoined","peer":{"id":"p","name":"n"}}"#).unwrap();
        assert_eq!(
            joined,
            ServerMessage::PeerJoined {
                peer: info("p", "n", false)
            }
        );
    }

    #[test]
    fn type_name_matches_the_wire_tag() {
        for msg in client_examples() {
            let v = serde_json::to_value(&msg).unwrap();
            assert_eq!(v["type"], msg.type_name());
        }
    }
}
