//! The ICE server entries the server hands out (`welcome.iceServers` and
//! `GET /api/webrtc/config`), shaped like the browser's `RTCIceServer`.

use serde::{Deserialize, Serialize};

/// One STUN or TURN server. TURN entries carry a username and credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The heartbeat the server runs, as `welcome` tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Heartbeat {
    /// The server sends `ping` this often; answer each with `pong`.
    pub interval_ms: u64,
    /// A connection from which nothing arrives for this long is dead.
    pub timeout_ms: u64,
}

impl Default for Heartbeat {
    fn default() -> Self {
        Self {
            interval_ms: 5_000,
            timeout_ms: 15_000,
        }
    }
}
