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
    /// The sender closed its connection to you and built a new one at the envelope's
    /// `epoch`, but may not offer (a listener): close yours and offer on a new one.
    Reconnect,
    /// The sender paused (or resumed) its video to you, and why (e.g. `poorConnection`):
    /// show that instead of a frozen frame.
    ///
    /// `camera` and `microphone` say whether the sender's camera and microphone are on
    /// (absent: unchanged, and on until said otherwise), so the receiver shows an avatar
    /// or a muted icon rather than a frozen or silent tile.
    MediaState {
        video_paused: bool,
        #[serde(default)]
        reason: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        camera: Option<bool>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        microphone: Option<bool>,
        /// The id of the stream that carries the sender's screen share (`""`: none).
        /// Sent before the offer that adds it, so the receiver knows which track it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        screen: Option<String>,
    },
    /// The sender receives your video but cannot decode it (packets arrive, frames do
    /// not: its decoder waits for a key frame, e.g. after a network outage): send a key
    /// frame now. A receiver that cannot may ignore it.
    KeyFrame,
}

/// A [`SignalData`] with the link epoch it belongs to: what steadyrtc clients put in the
/// `data` of a `signal` (the epoch sits beside `kind`).
///
/// Every side numbers the connections it builds to one peer: 0 for the first, one more
/// for each full reconnect. A receiver drops a signal of an older epoch (a late answer or
/// candidate of a closed connection), and meets a newer epoch by closing its connection
/// and building the new one. A missing `epoch` is 0, so version 1 clients interoperate
/// until the first full reconnect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignalEnvelope {
    #[serde(flatten)]
    pub data: SignalData,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub epoch: u32,
}

impl SignalEnvelope {
    /// Reads a signal's `data` (by hand, as serde would: see `decode`); the error says
    /// which field is wrong.
    pub fn from_value(value: &serde_json::Value) -> Result<Self, String> {
        crate::decode::signal_envelope(value)
    }

    /// The `data` of a `signal` as JSON, written by hand as serde writes it (a test holds
    /// the two equal): a client then needs no serializer into `serde_json::Value`.
    pub fn to_value(&self) -> serde_json::Value {
        use serde_json::Value;
        let mut m = serde_json::Map::new();
        // Each field, when it has a value (`None`: left out, as serde skips it).
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        let text = |s: &Option<String>| s.as_deref().map(Value::from);
        let kind = match &self.data {
            SignalData::Offer { sdp } => {
                put("sdp", Some(sdp.as_str().into()));
                "offer"
            }
            SignalData::Answer { sdp } => {
                put("sdp", Some(sdp.as_str().into()));
                "answer"
            }
            SignalData::Candidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
                username_fragment,
            } => {
                put("candidate", Some(candidate.as_str().into()));
                put("sdpMid", text(sdp_mid));
                put("sdpMLineIndex", sdp_m_line_index.map(Value::from));
                put("usernameFragment", text(username_fragment));
                "candidate"
            }
            SignalData::EndOfCandidates => "endOfCandidates",
            SignalData::Reconnect => "reconnect",
            SignalData::MediaState {
                video_paused,
                reason,
                camera,
                microphone,
                screen,
            } => {
                put("videoPaused", Some((*video_paused).into()));
                put("reason", Some(reason.as_str().into()));
                put("camera", camera.map(Value::from));
                put("microphone", microphone.map(Value::from));
                put("screen", text(screen));
                "mediaState"
            }
            SignalData::KeyFrame => "keyFrame",
        };
        put("kind", Some(kind.into()));
        put("epoch", (self.epoch != 0).then(|| self.epoch.into()));
        Value::Object(m)
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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
    fn envelopes_carry_the_epoch_beside_kind_and_default_it_to_zero() {
        let e = SignalEnvelope {
            data: SignalData::Answer { sdp: "v=0".into() },
            epoch: 3,
        };
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v, json!({"kind": "answer", "sdp": "v=0", "epoch": 3}));
        assert_eq!(serde_json::from_value::<SignalEnvelope>(v).unwrap(), e);
        let old: SignalEnvelope =
            serde_json::from_value(json!({"kind": "endOfCandidates"})).unwrap();
        assert_eq!(old.epoch, 0);
        assert_eq!(
            serde_json::to_value(SignalEnvelope {
                data: SignalData::Reconnect,
                epoch: 0
            })
            .unwrap(),
            json!({"kind": "reconnect"})
        );
        assert!(serde_json::from_value::<SignalEnvelope>(json!({"kind": "offer"})).is_err());
    }

    #[test]
    fn media_state_uses_camel_case_and_reason_is_optional() {
        let v = json!({"kind": "mediaState", "videoPaused": true, "reason": "poorConnection", "epoch": 2});
        let e: SignalEnvelope = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(
            e.data,
            SignalData::MediaState {
                video_paused: true,
                reason: "poorConnection".into(),
                camera: None,
                microphone: None,
                screen: None,
            }
        );
        assert_eq!(serde_json::to_value(&e).unwrap(), v);
        let whole = json!({"kind": "mediaState", "videoPaused": false, "reason": "", "camera": false, "microphone": true});
        let e: SignalData = serde_json::from_value(whole.clone()).unwrap();
        assert_eq!(
            e,
            SignalData::MediaState {
                video_paused: false,
                reason: String::new(),
                camera: Some(false),
                microphone: Some(true),
                screen: None,
            }
        );
        assert_eq!(serde_json::to_value(&e).unwrap(), whole);
        let bare: SignalData =
            serde_json::from_value(json!({"kind": "mediaState", "videoPaused": false})).unwrap();
        assert_eq!(
            bare,
            SignalData::MediaState {
                video_paused: false,
                reason: String::new(),
                camera: None,
                microphone: None,
                screen: None,
            }
        );
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
