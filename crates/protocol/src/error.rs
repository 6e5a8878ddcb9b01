//! The closed set of error codes carried by `error` frames, and the parse errors that
//! produce the first three of them. Adding a code is a protocol change: document it in
//! `docs/PROTOCOL.md`.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why the server refused a frame. Stable strings: clients may match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The frame is not JSON, or not a JSON object.
    BadJson,
    /// The `type` field is missing or names no message of this protocol.
    UnknownType,
    /// The type is known but a field is missing or has the wrong shape.
    InvalidMessage,
    /// The frame is larger than the server accepts (default [`crate::MAX_FRAME_BYTES`]).
    FrameTooLarge,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// `join`, `resume` or `queueJoin` announced a protocol version the server does not speak.
    UnsupportedVersion,
    /// The message needs a joined room (or a session) and this connection has none.
    NotJoined,
    /// `join`, `resume` or `queueJoin` on a connection that already has a session.
    AlreadyJoined,
    /// The room name breaks the naming rules.
    InvalidRoom,
    /// The display name or identity breaks the naming rules.
    InvalidName,
    /// The room already holds as many participants as it may.
    RoomFull,
    /// `signal`, `chat` or `report` named a peer that is not in the sender's room, not visible
    /// to it, or the sender itself.
    UnknownPeer,
    /// The token is missing, malformed, badly signed, not yet valid, or for another room.
    InvalidToken,
    /// The token's `exp` has passed.
    TokenExpired,
    /// The token's grants do not allow this message (e.g. a listener's `offer`, `chat` without the chat grant).
    Forbidden,
    /// Too many frames from this connection or this IP address; the frame was dropped.
    RateLimited,
    /// `resume` named a session that does not exist (never did, or its resume window passed).
    UnknownSession,
    /// This IP address has as many open connections as it may.
    TooManyConnections,
    /// The server holds as many rooms as it may; a new room cannot be opened.
    TooManyRooms,
    /// The room does not exist and the server does not create rooms on join.
    RoomNotFound,
    /// The message does not fit the room's mode (e.g. `join` to a match room, `queueJoin` to a mesh room).
    WrongMode,
    /// `queueNext` or `queueLeave` from a session that is neither queued nor matched.
    NotQueued,
    /// The server is shutting down and accepts no new sessions.
    ShuttingDown,
    /// This session was replaced by a newer `join` of the same identity in the same room;
    /// the server closes the connection (1008). Do not reconnect or resume.
    DuplicateIdentity,
    /// Something failed inside the server; the connection stays usable.
    Internal,
    /// The server cannot reach the store it shares with other instances (Redis), so it
    /// opens no new session now; try again shortly. Existing sessions go on.
    Unavailable,
}

impl ErrorCode {
    /// Every code, in declaration order (documentation and exhaustive tests use it).
    pub const ALL: [ErrorCode; 26] = [
        ErrorCode::BadJson,
        ErrorCode::UnknownType,
        ErrorCode::InvalidMessage,
        ErrorCode::FrameTooLarge,
        ErrorCode::BinaryNotSupported,
        ErrorCode::UnsupportedVersion,
        ErrorCode::NotJoined,
        ErrorCode::AlreadyJoined,
        ErrorCode::InvalidRoom,
        ErrorCode::InvalidName,
        ErrorCode::RoomFull,
        ErrorCode::UnknownPeer,
        ErrorCode::InvalidToken,
        ErrorCode::TokenExpired,
        ErrorCode::Forbidden,
        ErrorCode::RateLimited,
        ErrorCode::UnknownSession,
        ErrorCode::TooManyConnections,
        ErrorCode::TooManyRooms,
        ErrorCode::RoomNotFound,
        ErrorCode::WrongMode,
        ErrorCode::NotQueued,
        ErrorCode::ShuttingDown,
        ErrorCode::DuplicateIdentity,
        ErrorCode::Internal,
        ErrorCode::Unavailable,
    ];

    /// The wire string of this code, e.g. `"badJson"`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "badJson",
            ErrorCode::UnknownType => "unknownType",
            ErrorCode::InvalidMessage => "invalidMessage",
            ErrorCode::FrameTooLarge => "frameTooLarge",
            ErrorCode::BinaryNotSupported => "binaryNotSupported",
            ErrorCode::UnsupportedVersion => "unsupportedVersion",
            ErrorCode::NotJoined => "notJoined",
            ErrorCode::AlreadyJoined => "alreadyJoined",
            ErrorCode::InvalidRoom => "invalidRoom",
            ErrorCode::InvalidName => "invalidName",
            ErrorCode::RoomFull => "roomFull",
            ErrorCode::UnknownPeer => "unknownPeer",
            ErrorCode::InvalidToken => "invalidToken",
            ErrorCode::TokenExpired => "tokenExpired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::RateLimited => "rateLimited",
            ErrorCode::UnknownSession => "unknownSession",
            ErrorCode::TooManyConnections => "tooManyConnections",
            ErrorCode::TooManyRooms => "tooManyRooms",
            ErrorCode::RoomNotFound => "roomNotFound",
            ErrorCode::WrongMode => "wrongMode",
            ErrorCode::NotQueued => "notQueued",
            ErrorCode::ShuttingDown => "shuttingDown",
            ErrorCode::DuplicateIdentity => "duplicateIdentity",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A frame that could not be turned into a message, with the code to answer it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub code: ErrorCode,
    pub message: String,
}

impl ParseError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for ParseError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_serializes_to_its_documented_string() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            let back: ErrorCode = serde_json::from_str(&json).unwrap();
            assert_eq!(back, code);
        }
    }
}
