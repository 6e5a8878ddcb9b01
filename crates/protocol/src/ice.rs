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

impl IceServer {
    /// The `iceServers` list of `GET /api/webrtc/config`, read as `welcome`'s is (by
    /// hand, as serde would: see `decode`).
    pub fn list_from_value(value: &serde_json::Value) -> Result<Vec<Self>, String> {
        crate::decode::ice_servers(value)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_reads_as_serde_reads_it_and_a_bad_entry_is_named() {
        let servers = vec![
            IceServer {
                urls: vec!["stun:s:3478".into()],
                username: None,
                credential: None,
            },
            IceServer {
                urls: vec!["turn:t:3478?transport=tcp".into()],
                username: Some("1700000000:ada".into()),
                credential: Some("c2VjcmV0".into()),
            },
        ];
        let v = serde_json::to_value(&servers).unwrap();
        assert_eq!(IceServer::list_from_value(&v), Ok(servers));
        let bad = serde_json::json!([{ "urls": "stun:s" }]);
        assert!(IceServer::list_from_value(&bad)
            .unwrap_err()
            .contains("urls"));
    }
}
