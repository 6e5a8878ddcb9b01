//! The vocabulary of a peer link's engine: the inputs a driver reports, the actions it
//! executes, the connection states, and the timers. All of it is plain data (serde), so a
//! sequence of inputs can be recorded and replayed.

use super::candidates::Candidate;
use super::recovery::RecoveryLevel;
use serde::{Deserialize, Serialize};

/// The connection state of one peer link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConnState {
    /// Created; no negotiation step taken yet.
    Initializing,
    /// The first offer/answer exchange is under way.
    Signaling,
    /// Both descriptions are applied; local candidates are being gathered.
    IceGathering,
    /// Candidates are flowing both ways.
    IceExchange,
    /// ICE connectivity checks are running.
    Connecting,
    Connected,
    /// The link was up (or setup stalled) and the engine is recovering it.
    Reconnecting,
    /// Gave up. Only `close` leaves this state.
    Failed,
    Closed,
}

impl ConnState {
    /// Every state, in the order of the enum.
    pub const ALL: [ConnState; 9] = [
        ConnState::Initializing,
        ConnState::Signaling,
        ConnState::IceGathering,
        ConnState::IceExchange,
        ConnState::Connecting,
        ConnState::Connected,
        ConnState::Reconnecting,
        ConnState::Failed,
        ConnState::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ConnState::Initializing => "initializing",
            ConnState::Signaling => "signaling",
            ConnState::IceGathering => "iceGathering",
            ConnState::IceExchange => "iceExchange",
            ConnState::Connecting => "connecting",
            ConnState::Connected => "connected",
            ConnState::Reconnecting => "reconnecting",
            ConnState::Failed => "failed",
            ConnState::Closed => "closed",
        }
    }

    /// Order of the setup states; the engine only moves forward through them.
    pub(crate) fn setup_rank(self) -> Option<u8> {
        match self {
            ConnState::Initializing => Some(0),
            ConnState::Signaling => Some(1),
            ConnState::IceGathering => Some(2),
            ConnState::IceExchange => Some(3),
            ConnState::Connecting => Some(4),
            _ => None,
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, ConnState::Failed | ConnState::Closed)
    }
}

/// Offer or answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SdpKind {
    Offer,
    Answer,
}

/// The browser's `RTCPeerConnection.signalingState`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignalingState {
    #[default]
    Stable,
    HaveLocalOffer,
    HaveRemoteOffer,
    HaveLocalPranswer,
    HaveRemotePranswer,
    Closed,
}

/// The browser's `iceConnectionState` and `connectionState` (the union of both).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransportState {
    New,
    Checking,
    Connecting,
    Connected,
    Completed,
    Disconnected,
    Failed,
    Closed,
}

impl TransportState {
    /// Parses the browser's string; unknown values give `None`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "new" => Self::New,
            "checking" => Self::Checking,
            "connecting" => Self::Connecting,
            "connected" => Self::Connected,
            "completed" => Self::Completed,
            "disconnected" => Self::Disconnected,
            "failed" => Self::Failed,
            "closed" => Self::Closed,
            _ => return None,
        })
    }
}

impl SignalingState {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "stable" => Self::Stable,
            "have-local-offer" => Self::HaveLocalOffer,
            "have-remote-offer" => Self::HaveRemoteOffer,
            "have-local-pranswer" => Self::HaveLocalPranswer,
            "have-remote-pranswer" => Self::HaveRemotePranswer,
            "closed" => Self::Closed,
            _ => return None,
        })
    }
}

/// The engine's timers; at most one of each kind is armed at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TimerKind {
    /// The current state's timeout.
    StateTimeout,
    /// The whole setup must reach `Connected` before this fires.
    SetupDeadline,
    /// The next recovery attempt (backoff).
    RecoveryRetry,
    /// While reconnecting: ICE checks since an offer/answer exchange completed.
    IceChecks,
}

/// What the driver reports to the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Input {
    /// Begin: the initiator sends the first offer; the other side waits for it.
    Start,
    /// Local media changed (the browser's `negotiationneeded`, or the app asks).
    NegotiationNeeded,
    /// A remote offer or answer arrived over signaling.
    RemoteDescription {
        kind: SdpKind,
        sdp: String,
    },
    /// A remote candidate (or end-of-candidates marker) arrived over signaling.
    RemoteCandidate {
        candidate: Candidate,
    },
    /// The browser gathered a local candidate.
    LocalCandidate {
        candidate: Candidate,
    },
    /// The browser finished gathering local candidates.
    LocalGatheringComplete,
    /// The pending `CreateOffer`/`CreateAnswer` finished: the local description is set.
    LocalDescriptionApplied {
        kind: SdpKind,
        sdp: String,
    },
    /// The pending `SetRemoteDescription` finished.
    RemoteDescriptionApplied,
    /// The pending `Rollback` finished.
    RolledBack,
    /// The pending `AddCandidate` finished.
    CandidateAdded,
    /// The pending `AddCandidate` failed.
    CandidateFailed {
        error: String,
    },
    /// The pending negotiation operation (not a candidate) failed.
    OperationFailed {
        error: String,
    },
    SignalingStateChanged {
        state: SignalingState,
    },
    IceConnectionStateChanged {
        state: TransportState,
    },
    ConnectionStateChanged {
        state: TransportState,
    },
    TimerFired {
        timer: TimerKind,
    },
    SignalingUp,
    SignalingDown,
    /// Statistics show no packets arriving although the remote is sending.
    StatsStalled,
    /// Statistics show media arriving again.
    StatsFlowing,
    /// The browser went offline/online or the page was hidden/shown.
    NetworkOnline {
        online: bool,
    },
    PageVisible {
        visible: bool,
    },
    /// A sign that the network is back (signaling reconnected, a new network): a
    /// recovery attempt waiting for its backoff runs now.
    RetryNow,
    Close,
}

/// A browser operation on the peer connection. At most one is in flight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub enum PcOp {
    /// `createOffer` (+ `iceRestart`) then `setLocalDescription`.
    CreateOffer {
        ice_restart: bool,
    },
    /// `createAnswer` then `setLocalDescription`.
    CreateAnswer,
    SetRemoteDescription {
        kind: SdpKind,
        sdp: String,
    },
    /// `setLocalDescription({type: "rollback"})`.
    Rollback,
    AddCandidate {
        candidate: Candidate,
    },
}

impl PcOp {
    pub fn name(&self) -> &'static str {
        match self {
            PcOp::CreateOffer { .. } => "createOffer",
            PcOp::CreateAnswer => "createAnswer",
            PcOp::SetRemoteDescription { .. } => "setRemoteDescription",
            PcOp::Rollback => "rollback",
            PcOp::AddCandidate { .. } => "addIceCandidate",
        }
    }
}

impl Input {
    /// The wire name of this input, as traces write it (`type`).
    pub fn name(&self) -> &'static str {
        match self {
            Input::Start => "start",
            Input::NegotiationNeeded => "negotiationNeeded",
            Input::RemoteDescription { .. } => "remoteDescription",
            Input::RemoteCandidate { .. } => "remoteCandidate",
            Input::LocalCandidate { .. } => "localCandidate",
            Input::LocalGatheringComplete => "localGatheringComplete",
            Input::LocalDescriptionApplied { .. } => "localDescriptionApplied",
            Input::RemoteDescriptionApplied => "remoteDescriptionApplied",
            Input::RolledBack => "rolledBack",
            Input::CandidateAdded => "candidateAdded",
            Input::CandidateFailed { .. } => "candidateFailed",
            Input::OperationFailed { .. } => "operationFailed",
            Input::SignalingStateChanged { .. } => "signalingStateChanged",
            Input::IceConnectionStateChanged { .. } => "iceConnectionStateChanged",
            Input::ConnectionStateChanged { .. } => "connectionStateChanged",
            Input::TimerFired { .. } => "timerFired",
            Input::SignalingUp => "signalingUp",
            Input::SignalingDown => "signalingDown",
            Input::StatsStalled => "statsStalled",
            Input::StatsFlowing => "statsFlowing",
            Input::NetworkOnline { .. } => "networkOnline",
            Input::PageVisible { .. } => "pageVisible",
            Input::RetryNow => "retryNow",
            Input::Close => "close",
        }
    }
}

/// Outgoing negotiation messages for the remote peer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Outgoing {
    Description { kind: SdpKind, sdp: String },
    Candidate { candidate: Candidate },
    EndOfCandidates,
}

/// What the engine tells the driver to do, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Action {
    /// Start this browser operation; report its completion (or failure) as an input.
    Run {
        op: PcOp,
    },
    /// Send this to the remote peer over signaling.
    Send {
        message: Outgoing,
    },
    ScheduleTimer {
        timer: TimerKind,
        at_ms: u64,
    },
    CancelTimer {
        timer: TimerKind,
    },
    StateChanged {
        from: ConnState,
        to: ConnState,
        reason: String,
    },
    /// Recovery needs more than an ICE restart: the room layer reconnects signaling or
    /// rebuilds the link.
    Escalate {
        level: RecoveryLevel,
        attempt: u32,
    },
    /// A browser operation failed in a way the application should hear about.
    Error {
        op: String,
        message: String,
    },
    /// An input was not acted on; the reason is for logs and traces.
    Ignored {
        input: String,
        reason: String,
    },
    /// Close the peer connection and release everything.
    Close,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_is_named_as_its_trace_writes_it() {
        let candidate = Candidate::end_of_candidates(None);
        let text = || "x".to_string();
        let all = [
            Input::Start,
            Input::NegotiationNeeded,
            Input::RemoteDescription {
                kind: SdpKind::Offer,
                sdp: text(),
            },
            Input::RemoteCandidate {
                candidate: candidate.clone(),
            },
            Input::LocalCandidate { candidate },
            Input::LocalGatheringComplete,
            Input::LocalDescriptionApplied {
                kind: SdpKind::Answer,
                sdp: text(),
            },
            Input::RemoteDescriptionApplied,
            Input::RolledBack,
            Input::CandidateAdded,
            Input::CandidateFailed { error: text() },
            Input::OperationFailed { error: text() },
            Input::SignalingStateChanged {
                state: SignalingState::Stable,
            },
            Input::IceConnectionStateChanged {
                state: TransportState::Checking,
            },
            Input::ConnectionStateChanged {
                state: TransportState::Connected,
            },
            Input::TimerFired {
                timer: TimerKind::StateTimeout,
            },
            Input::SignalingUp,
            Input::SignalingDown,
            Input::StatsStalled,
            Input::StatsFlowing,
            Input::NetworkOnline { online: true },
            Input::PageVisible { visible: false },
            Input::RetryNow,
            Input::Close,
        ];
        for input in all {
            let value = serde_json::to_value(&input).unwrap();
            assert_eq!(value["type"], input.name(), "{input:?}");
        }
    }

    #[test]
    fn browser_state_strings_parse_and_unknown_ones_are_none() {
        for s in [
            "new",
            "checking",
            "connecting",
            "connected",
            "completed",
            "disconnected",
            "failed",
            "closed",
        ] {
            let state = TransportState::parse(s).expect(s);
            assert_eq!(serde_json::to_value(state).unwrap(), s);
        }
        for s in [
            "stable",
            "have-local-offer",
            "have-remote-offer",
            "have-local-pranswer",
            "have-remote-pranswer",
            "closed",
        ] {
            let state = SignalingState::parse(s).expect(s);
            assert_eq!(serde_json::to_value(state).unwrap(), s);
        }
        assert_eq!(TransportState::parse("Connected"), None);
        assert_eq!(SignalingState::parse(""), None);
    }

    #[test]
    fn state_names_match_their_serialized_form() {
        use ConnState::*;
        for s in ConnState::ALL {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
            assert_eq!(
                s.setup_rank().is_some(),
                !matches!(s, Connected | Reconnecting | Failed | Closed)
            );
        }
        let op = PcOp::CreateOffer { ice_restart: true };
        assert_eq!(op.name(), "createOffer");
        assert_eq!(
            serde_json::to_value(&op).unwrap(),
            serde_json::json!({"op": "createOffer", "iceRestart": true})
        );
    }
}
