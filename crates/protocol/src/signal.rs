//! What clients put in the `data` of a `signal`: the WebRTC negotiation payloads. The
//! server relays them without reading them; the receiving client validates them.

use serde::{Deserialize, Serialize};

/// One negotiation step between two peers, tagged by `kind`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SignalData {
    /// An SDP offer.
    Offer { sdp: String },
    /// An SDP answer.
    Answer { sdp: String },
    /// A trickled ICE candidate, as `RTCIceCandidate.toJSON()` gives it.
    Candidate {
        candidate: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_m_line_index: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        username_fragment: Option<String>,
    },
    /// The sender has gathered all its candidates.
    EndOfCandidates,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_signal_round_trips() {
        let all = [
            SignalData::Offer {
                sdp: "v=0\r\n".into(),
            },
            SignalData::Answer {
                sdp: "v=0\r\n".into(),
            },
            SignalData::Candidate {
                candidate: "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host".into(),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(0),
                username_fragment: Some("abcd".into()),
            },
            SignalData::EndOfCandidates,
        ];
        for s in all {
            let v = serde_json::to_value(&s).unwrap();
            assert_eq!(serde_json::from_value::<SignalData>(v).unwrap(), s);
        }
    }

    #[test]
    fn candidate_uses_browser_field_names() {
        let v = json!({"kind": "candidate", "candidate": "c", "sdpMid": "0", "sdpMLineIndex": 1});
        let s: SignalData = serde_json::from_value(v).unwrap();
        assert_eq!(
            s,
            SignalData::Candidate {
                candidate: "c".into(),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(1),
                username_fragment: None
            }
        );
    }
}
