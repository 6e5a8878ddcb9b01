//! The client's error type: a stable [`ErrorCode`] plus a human sentence. Pure Rust; the
//! API layer turns it into the JS `SteadyError` object at the edge.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes of the JS API. The strings never change meaning; new codes may be
/// added. Documented for users in the package's type definitions (`SteadyErrorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorCode {
    /// The options passed to `Room.join` are missing something or malformed.
    InvalidOptions,
    /// A method got an argument it cannot use (unknown event name, oversized message).
    InvalidArgument,
    /// The user or the browser refused access to the camera or microphone.
    MediaPermissionDenied,
    /// No camera or microphone matches what was asked for.
    MediaDeviceNotFound,
    /// Media capture is impossible here (insecure context, other failure).
    MediaUnavailable,
    /// The camera or microphone is in use by another application (or the system holds
    /// it): close the other app, or choose another device.
    MediaDeviceInUse,
    /// A media operation (turning the camera on, switching a device) did not finish in
    /// time; it may still finish, and the state events say when.
    MediaTimeout,
    /// This participant's role does not allow it (a listener publishing, a guest
    /// recording).
    Forbidden,
    /// The signaling server could not be reached.
    SignalingUnreachable,
    /// The signaling server did not answer in time.
    SignalingTimeout,
    /// The signaling connection closed while joining.
    SignalingClosed,
    /// The server refused to join; `serverCode` carries its protocol error code.
    JoinRejected,
    /// There is nobody connected to send to.
    NotConnected,
    /// The room was left; this object can no longer be used.
    RoomClosed,
    /// The same identity joined the room again elsewhere (another tab or device) and the
    /// server closed this session; the room is over. `serverCode` is `duplicateIdentity`.
    SessionReplaced,
    /// The server refused a message after the join; `serverCode` says why (`forbidden`,
    /// `rateLimited`, `unknownPeer`, ...).
    ServerRefused,
    /// The browser failed an operation that should have worked.
    BrowserError,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 17] = [
        ErrorCode::InvalidOptions,
        ErrorCode::InvalidArgument,
        ErrorCode::MediaPermissionDenied,
        ErrorCode::MediaDeviceNotFound,
        ErrorCode::MediaUnavailable,
        ErrorCode::MediaDeviceInUse,
        ErrorCode::MediaTimeout,
        ErrorCode::Forbidden,
        ErrorCode::SignalingUnreachable,
        ErrorCode::SignalingTimeout,
        ErrorCode::SignalingClosed,
        ErrorCode::JoinRejected,
        ErrorCode::NotConnected,
        ErrorCode::RoomClosed,
        ErrorCode::SessionReplaced,
        ErrorCode::ServerRefused,
        ErrorCode::BrowserError,
    ];

    /// The code whose JS string is `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The JS string of this code.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidOptions => "invalidOptions",
            ErrorCode::InvalidArgument => "invalidArgument",
            ErrorCode::MediaPermissionDenied => "mediaPermissionDenied",
            ErrorCode::MediaDeviceNotFound => "mediaDeviceNotFound",
            ErrorCode::MediaUnavailable => "mediaUnavailable",
            ErrorCode::MediaDeviceInUse => "mediaDeviceInUse",
            ErrorCode::MediaTimeout => "mediaTimeout",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::SignalingUnreachable => "signalingUnreachable",
            ErrorCode::SignalingTimeout => "signalingTimeout",
            ErrorCode::SignalingClosed => "signalingClosed",
            ErrorCode::JoinRejected => "joinRejected",
            ErrorCode::NotConnected => "notConnected",
            ErrorCode::RoomClosed => "roomClosed",
            ErrorCode::SessionReplaced => "sessionReplaced",
            ErrorCode::ServerRefused => "serverRefused",
            ErrorCode::BrowserError => "browserError",
        }
    }
}

/// An error of the client library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SteadyError {
    pub code: ErrorCode,
    pub message: String,
    /// For [`ErrorCode::JoinRejected`] and [`ErrorCode::ServerRefused`]: the server's
    /// protocol error code.
    pub server_code: Option<String>,
}

impl SteadyError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            server_code: None,
        }
    }

    /// `roomClosed`: the room was left or ended.
    pub fn room_closed() -> Self {
        Self::new(
            ErrorCode::RoomClosed,
            "the room was left or ended; create a new Room to join again",
        )
    }

    pub fn with_server_code(mut self, server_code: impl Into<String>) -> Self {
        self.server_code = Some(server_code.into());
        self
    }
}

impl fmt::Display for SteadyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for SteadyError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_says_what_to_do_for_every_code() {
        const README: &str = include_str!("../README.md");
        let table = README
            .split("### Errors")
            .nth(1)
            .and_then(|s| s.split("\n### ").next())
            .unwrap_or_default();
        for code in ErrorCode::ALL {
            let row = table
                .lines()
                .find(|l| l.starts_with(&format!("| `{}` |", code.as_str())))
                .unwrap_or_else(|| panic!("README's error table has no row for {}", code.as_str()));
            assert_eq!(row.matches(" | ").count(), 2, "{row}");
        }
    }

    #[test]
    fn codes_are_unique_camel_case_strings() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate {s}");
            assert!(
                s.chars().next().is_some_and(|c| c.is_ascii_lowercase()),
                "{s}"
            );
            assert!(s.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
        }
    }

    #[test]
    fn display_leads_with_the_code() {
        let e = SteadyError::new(ErrorCode::RoomClosed, "left already");
        assert_eq!(e.to_string(), "roomClosed: left already");
    }
}
