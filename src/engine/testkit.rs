//! Test support: a strict fake of the browser's peer connection that executes engine
//! operations the way the WebRTC spec allows and fails them when it would not, and a
//! driver that applies an engine's actions to it.

use super::candidates::Candidate;
use super::sdp::ice_ufrag;
use super::types::{Action, Input, PcOp, SdpKind, SignalingState, TimerKind};
use std::collections::BTreeMap;

pub fn sdp(ufrag: &str) -> String {
    format!("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:{ufrag}\r\n")
}

pub fn candidate(ufrag: Option<&str>, n: u32) -> Candidate {
    Candidate {
        candidate: format!(
            "candidate:{n} 1 udp {} 10.0.0.{} 5000 typ host",
            2_000_000_000 - n,
            n % 250
        ),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: ufrag.map(str::to_owned),
    }
}

/// A strict fake `RTCPeerConnection`.
#[derive(Debug, Default)]
pub struct FakePc {
    pub name: &'static str,
    pub signaling: SignalingState,
    generation: u32,
    local_ufrag: Option<String>,
    pub remote_ufrag: Option<String>,
    pub remote_set: bool,
    pub candidates_added: Vec<Candidate>,
}

impl FakePc {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            ..Default::default()
        }
    }

    pub fn local_ufrag(&self) -> Option<&str> {
        self.local_ufrag.as_deref()
    }

    /// Executes `op` and returns the completion input the browser would report.
    pub fn execute(&mut self, op: &PcOp) -> Input {
        match self.try_execute(op) {
            Ok(input) => input,
            Err(error) if matches!(op, PcOp::AddCandidate { .. }) => {
                Input::CandidateFailed { error }
            }
            Err(error) => Input::OperationFailed { error },
        }
    }

    fn try_execute(&mut self, op: &PcOp) -> Result<Input, String> {
        use SignalingState::*;
        match op {
            PcOp::CreateOffer { ice_restart } => {
                if !matches!(self.signaling, Stable | HaveLocalOffer) {
                    return Err(format!("createOffer in {:?}", self.signaling));
                }
                if *ice_restart || self.local_ufrag.is_none() {
                    self.generation += 1;
                    self.local_ufrag = Some(format!("{}{}", self.name, self.generation));
                }
                self.signaling = HaveLocalOffer;
                Ok(Input::LocalDescriptionApplied {
                    kind: SdpKind::Offer,
                    sdp: sdp(self.local_ufrag.as_deref().unwrap_or("x")),
                })
            }
            PcOp::CreateAnswer => {
                if self.signaling != HaveRemoteOffer {
                    return Err(format!("createAnswer in {:?}", self.signaling));
                }
                if self.local_ufrag.is_none() {
                    self.generation += 1;
                    self.local_ufrag = Some(format!("{}{}", self.name, self.generation));
                }
                self.signaling = Stable;
                Ok(Input::LocalDescriptionApplied {
                    kind: SdpKind::Answer,
                    sdp: sdp(self.local_ufrag.as_deref().unwrap_or("x")),
                })
            }
            PcOp::SetRemoteDescription { kind, sdp } => {
                match (kind, self.signaling) {
                    (SdpKind::Offer, Stable) => self.signaling = HaveRemoteOffer,
                    (SdpKind::Answer, HaveLocalOffer) => self.signaling = Stable,
                    (k, s) => return Err(format!("setRemoteDescription({k:?}) in {s:?}")),
                }
                let ufrag = ice_ufrag(sdp);
                if *kind == SdpKind::Offer
                    && self.remote_ufrag.is_some()
                    && ufrag != self.remote_ufrag
                {
                    // The remote restarted ICE: answer with new credentials too.
                    self.local_ufrag = None;
                }
                self.remote_ufrag = ufrag;
                self.remote_set = true;
                Ok(Input::RemoteDescriptionApplied)
            }
            PcOp::Rollback => {
                if self.signaling == Stable {
                    return Err("rollback in Stable".into());
                }
                self.signaling = Stable;
                Ok(Input::RolledBack)
            }
            PcOp::AddCandidate { candidate } => {
                if !self.remote_set {
                    return Err("addIceCandidate before a remote description".into());
                }
                let u = candidate.ufrag();
                if u.is_some() && self.remote_ufrag.is_some() && u != self.remote_ufrag {
                    return Err("candidate of another generation".into());
                }
                self.candidates_added.push(candidate.clone());
                Ok(Input::CandidateAdded)
            }
        }
    }
}

/// Tracks what the driver must: the op in flight and the armed timers. Panics (failing the
/// test) when the engine breaks a driver-visible rule.
#[derive(Debug, Default)]
pub struct DriverModel {
    /// The negotiation op in flight.
    pub in_flight: Option<PcOp>,
    /// The candidate being added (its own lane, beside negotiation).
    pub candidate_in_flight: Option<PcOp>,
    pub timers: BTreeMap<TimerKind, u64>,
    pub fired: u32,
    pub errors: Vec<String>,
    pub sent: Vec<super::types::Outgoing>,
}

impl DriverModel {
    /// Applies actions to the model; returns the new op to run, if any.
    pub fn apply(&mut self, actions: &[Action]) -> Option<PcOp> {
        let mut started = None;
        for a in actions {
            match a {
                Action::Run { op } => {
                    let lane = if matches!(op, PcOp::AddCandidate { .. }) {
                        assert!(
                            !matches!(self.in_flight, Some(PcOp::SetRemoteDescription { .. })),
                            "a candidate added while a remote description is applied: {op:?}"
                        );
                        &mut self.candidate_in_flight
                    } else {
                        &mut self.in_flight
                    };
                    assert!(
                        lane.is_none(),
                        "two operations in flight in one lane: {lane:?} then {op:?}"
                    );
                    *lane = Some(op.clone());
                    started = Some(op.clone());
                }
                Action::ScheduleTimer { timer, at_ms } => {
                    assert!(
                        !self.timers.contains_key(timer),
                        "{timer:?} scheduled twice without a cancel"
                    );
                    self.timers.insert(*timer, *at_ms);
                }
                Action::CancelTimer { timer } => {
                    assert!(
                        self.timers.remove(timer).is_some(),
                        "cancel of an unarmed {timer:?}"
                    );
                }
                Action::Error { op, message } => self.errors.push(format!("{op}: {message}")),
                Action::Send { message } => self.sent.push(message.clone()),
                _ => {}
            }
        }
        started
    }

    /// The earliest timer due at or before `now`.
    pub fn due(&mut self, now: u64) -> Option<TimerKind> {
        let (timer, _) = self
            .timers
            .iter()
            .filter(|(_, at)| **at <= now)
            .min_by_key(|(_, at)| **at)?;
        let timer = *timer;
        self.timers.remove(&timer);
        self.fired += 1;
        Some(timer)
    }
}

/// One engine with its fake browser and driver model.
pub struct Side {
    pub engine: super::link::PeerEngine,
    pub pc: FakePc,
    pub model: DriverModel,
    pub log: Vec<Action>,
}

impl Side {
    pub fn new(name: &'static str, cfg: super::config::LinkConfig, seed: u64) -> Self {
        Self {
            engine: super::link::PeerEngine::new(cfg, seed),
            pc: FakePc::new(name),
            model: DriverModel::default(),
            log: Vec::new(),
        }
    }

    /// Feeds one input; returns its actions (also logged and applied to the model).
    pub fn feed(&mut self, now: u64, input: Input) -> Vec<Action> {
        let actions = self.engine.handle(now, input);
        self.model.apply(&actions);
        self.log.extend(actions.iter().cloned());
        actions
    }

    /// Completes an op in flight through the fake browser (the candidate first, as the
    /// browser chains it ahead of what was called after it); false if none.
    pub fn complete_one(&mut self, now: u64) -> bool {
        let Some(op) = self
            .model
            .candidate_in_flight
            .take()
            .or_else(|| self.model.in_flight.take())
        else {
            return false;
        };
        let input = self.pc.execute(&op);
        self.feed(now, input);
        true
    }

    /// Completes ops until none is in flight (bounded).
    pub fn complete_all(&mut self, now: u64) {
        for _ in 0..1_000 {
            if !self.complete_one(now) {
                return;
            }
        }
        panic!("operations never stop");
    }

    /// Messages sent since the last call.
    pub fn take_sent(&mut self) -> Vec<super::types::Outgoing> {
        std::mem::take(&mut self.model.sent)
    }
}

/// Turns an outgoing message into the remote side's input.
pub fn deliver(message: super::types::Outgoing) -> Input {
    use super::types::Outgoing;
    match message {
        Outgoing::Description { kind, sdp } => Input::RemoteDescription { kind, sdp },
        Outgoing::Candidate { candidate } => Input::RemoteCandidate { candidate },
        Outgoing::EndOfCandidates => Input::RemoteCandidate {
            candidate: Candidate::end_of_candidates(None),
        },
    }
}

/// Two engines wired back to back: `a` polite, `b` impolite; `a` initiates.
pub struct Pair {
    pub a: Side,
    pub b: Side,
    pub now: u64,
    to_a: std::collections::VecDeque<super::types::Outgoing>,
    to_b: std::collections::VecDeque<super::types::Outgoing>,
}

impl Pair {
    pub fn new() -> Self {
        Self::configured(|_| {})
    }

    /// A new pair whose polite side `a` has its config adjusted by `adjust`.
    pub fn configured(adjust: impl FnOnce(&mut super::config::LinkConfig)) -> Self {
        let cfg = |polite, initiator| super::config::LinkConfig {
            polite,
            initiator,
            ..Default::default()
        };
        let mut a_cfg = cfg(true, true);
        adjust(&mut a_cfg);
        Self {
            a: Side::new("a", a_cfg, 1),
            b: Side::new("b", cfg(false, false), 2),
            now: 0,
            to_a: Default::default(),
            to_b: Default::default(),
        }
    }

    /// Both started and every message and op settled (not yet connected).
    pub fn started() -> Self {
        let mut p = Self::new();
        p.a.feed(0, Input::Start);
        p.b.feed(0, Input::Start);
        p.settle();
        p
    }

    /// Started, settled and both transports connected.
    pub fn connected() -> Self {
        Self::connected_with(|_| {})
    }

    /// [`Pair::connected`], with `a`'s config adjusted by `adjust`.
    pub fn connected_with(adjust: impl FnOnce(&mut super::config::LinkConfig)) -> Self {
        let mut p = Self::configured(adjust);
        p.a.feed(0, Input::Start);
        p.b.feed(0, Input::Start);
        p.settle();
        p.connect();
        p
    }

    pub fn collect(&mut self) {
        self.to_b.extend(self.a.take_sent());
        self.to_a.extend(self.b.take_sent());
    }

    /// Delivers one message to `a` (or `b`); false if none waits.
    pub fn deliver_one(&mut self, to_a: bool) -> bool {
        self.collect();
        let (queue, side) = if to_a {
            (&mut self.to_a, &mut self.a)
        } else {
            (&mut self.to_b, &mut self.b)
        };
        let Some(m) = queue.pop_front() else {
            return false;
        };
        side.feed(self.now, deliver(m));
        true
    }

    /// Runs every op and delivers every message until nothing moves (bounded).
    pub fn settle(&mut self) {
        for _ in 0..10_000 {
            let moved = self.a.complete_one(self.now)
                | self.b.complete_one(self.now)
                | self.deliver_one(true)
                | self.deliver_one(false);
            if !moved {
                return;
            }
        }
        panic!("the pair never settles");
    }

    /// Reports both transports as connected.
    pub fn connect(&mut self) {
        for side in [&mut self.a, &mut self.b] {
            side.feed(
                self.now,
                Input::ConnectionStateChanged {
                    state: super::types::TransportState::Connected,
                },
            );
        }
    }
}
