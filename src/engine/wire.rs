//! Conversions between the link engine's negotiation messages and the protocol's signal
//! payloads, both ways. Pure: the room and the browser layer share them.

use super::candidates::Candidate;
use super::types::{Input, Outgoing, SdpKind};
use steadyrtc_protocol::SignalData;

/// The link input a received signal is, or `None` for `reconnect` and `mediaState` (room
/// matters).
pub fn signal_to_input(signal: SignalData) -> Option<Input> {
    Some(match signal {
        SignalData::Offer { sdp } => Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp,
        },
        SignalData::Answer { sdp } => Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp,
        },
        SignalData::Candidate {
            candidate,
            sdp_mid,
            sdp_m_line_index,
            username_fragment,
        } => Input::RemoteCandidate {
            candidate: Candidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
                username_fragment,
            },
        },
        SignalData::EndOfCandidates => Input::RemoteCandidate {
            candidate: Candidate::end_of_candidates(None),
        },
        SignalData::Reconnect | SignalData::MediaState { .. } | SignalData::KeyFrame => {
            return None
        }
    })
}

/// The signal payload of an outgoing negotiation message.
pub fn outgoing_to_signal(message: Outgoing) -> SignalData {
    match message {
        Outgoing::Description {
            kind: SdpKind::Offer,
            sdp,
        } => SignalData::Offer { sdp },
        Outgoing::Description {
            kind: SdpKind::Answer,
            sdp,
        } => SignalData::Answer { sdp },
        Outgoing::Candidate { candidate } => SignalData::Candidate {
            candidate: candidate.candidate,
            sdp_mid: candidate.sdp_mid,
            sdp_m_line_index: candidate.sdp_m_line_index,
            username_fragment: candidate.username_fragment,
        },
        Outgoing::EndOfCandidates => SignalData::EndOfCandidates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signal_but_reconnect_round_trips_through_the_engine_vocabulary() {
        let signals = [
            SignalData::Offer { sdp: "o".into() },
            SignalData::Answer { sdp: "a".into() },
            SignalData::Candidate {
                candidate: "candidate:1".into(),
                sdp_mid: Some("0".into()),
                sdp_m_line_index: Some(0),
                username_fragment: Some("u".into()),
            },
        ];
        for s in signals {
            let out = match signal_to_input(s.clone()) {
                Some(Input::RemoteDescription { kind, sdp }) => Outgoing::Description { kind, sdp },
                Some(Input::RemoteCandidate { candidate }) => Outgoing::Candidate { candidate },
                other => panic!("{other:?}"),
            };
            assert_eq!(outgoing_to_signal(out), s);
        }
        assert_eq!(signal_to_input(SignalData::Reconnect), None);
        assert!(matches!(
            signal_to_input(SignalData::EndOfCandidates),
            Some(Input::RemoteCandidate { .. })
        ));
    }
}
