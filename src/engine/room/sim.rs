//! The room engine's test harness: a fake clock, strict timer bookkeeping, and builders
//! of server messages. Used by `tests.rs`, `tests_recovery.rs` and `props.rs`.

use super::*;
use crate::engine::LinkConfig;
use std::collections::BTreeMap;
use steadyrtc_protocol::{Grants, Heartbeat, Role, ServerMessage, SignalData, SignalEnvelope};

pub(super) struct Sim {
    pub room: RoomEngine,
    pub now: u64,
    pub timers: BTreeMap<RoomTimer, u64>,
    pub log: Vec<RoomAction>,
    pub seq: u64,
}

pub(super) fn peer(id: &str, role: Role, polite: bool) -> PeerInfo {
    PeerInfo {
        id: id.into(),
        name: format!("name-{id}"),
        role,
        polite,
    }
}

pub(super) fn welcome(me: &str, peers: Vec<PeerInfo>, publish: bool) -> ServerMessage {
    ServerMessage::Welcome {
        protocol_version: PROTOCOL_VERSION,
        room: "r".into(),
        peer_id: me.into(),
        peers,
        session_id: format!("session-{me}"),
        role: Role::Guest,
        grants: Grants {
            publish,
            subscribe: true,
            chat: true,
            record: false,
            admin: false,
        },
        heartbeat: Heartbeat {
            interval_ms: 5_000,
            timeout_ms: 15_000,
        },
        resume_window_ms: 30_000,
        ice_servers: vec![IceServer {
            urls: vec![format!("turn:t?{me}")],
            username: Some("u".into()),
            credential: Some("c".into()),
        }],
    }
}

pub(super) fn config() -> RoomConfig {
    RoomConfig {
        room: "r".into(),
        name: "Ada".into(),
        token: Some("a.b.c".into()),
        ..RoomConfig::default()
    }
}

impl Sim {
    pub fn new(cfg: RoomConfig) -> Self {
        Sim {
            room: RoomEngine::new(cfg, 7),
            now: 1_000,
            timers: BTreeMap::new(),
            log: Vec::new(),
            seq: 0,
        }
    }

    /// Joined with `peers` already in the room.
    pub fn joined(peers: Vec<PeerInfo>) -> Self {
        let mut sim = Sim::new(config());
        sim.feed(RoomInput::Connect);
        sim.feed(RoomInput::SocketOpened);
        sim.server(welcome("me", peers, true));
        sim
    }

    pub fn feed(&mut self, input: RoomInput) -> Vec<RoomAction> {
        let acts = self.room.handle(self.now, input);
        for a in &acts {
            match a {
                RoomAction::ScheduleTimer { timer, at_ms } => {
                    assert!(
                        self.timers.insert(timer.clone(), *at_ms).is_none(),
                        "{timer:?} armed twice"
                    );
                }
                RoomAction::CancelTimer { timer } => {
                    assert!(
                        self.timers.remove(timer).is_some(),
                        "{timer:?} cancelled unarmed"
                    );
                }
                _ => {}
            }
        }
        self.log.extend(acts.iter().cloned());
        acts
    }

    /// A numbered server message.
    pub fn server(&mut self, message: ServerMessage) -> Vec<RoomAction> {
        self.seq += 1;
        self.feed(RoomInput::Frame {
            seq: Some(self.seq),
            message,
        })
    }

    pub fn link(&mut self, id: &str, epoch: u32, report: LinkReport) -> Vec<RoomAction> {
        self.feed(RoomInput::Link {
            peer_id: id.into(),
            epoch,
            report,
        })
    }

    pub fn state(
        &mut self,
        id: &str,
        epoch: u32,
        from: ConnState,
        to: ConnState,
    ) -> Vec<RoomAction> {
        self.link(
            id,
            epoch,
            LinkReport::State {
                from,
                to,
                reason: "r".into(),
            },
        )
    }

    /// The link to `id` (at `epoch`) connects again from `from` and holds for the room's
    /// `recoveredHoldMs`: the actions of both steps.
    pub fn back(&mut self, id: &str, epoch: u32, from: ConnState) -> Vec<RoomAction> {
        let mut acts = self.state(id, epoch, from, ConnState::Connected);
        let held = RoomTimer::Recovered { peer_id: id.into() };
        if self.timers.contains_key(&held) {
            acts.extend(self.fire(held));
        }
        acts
    }

    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
    }

    /// Fires the earliest timer.
    pub fn fire_next(&mut self) -> (RoomTimer, Vec<RoomAction>) {
        let (timer, at) = self
            .timers
            .iter()
            .min_by_key(|(_, at)| **at)
            .map(|(t, a)| (t.clone(), *a))
            .expect("a timer is armed");
        self.timers.remove(&timer);
        self.now = self.now.max(at);
        let acts = self.feed(RoomInput::TimerFired {
            timer: timer.clone(),
        });
        (timer, acts)
    }

    pub fn fire(&mut self, timer: RoomTimer) -> Vec<RoomAction> {
        let at = self.timers.remove(&timer).expect("armed");
        self.now = self.now.max(at);
        self.feed(RoomInput::TimerFired { timer })
    }
}

pub(super) fn events(acts: &[RoomAction]) -> Vec<RoomEvent> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::Emit { event } => Some(event.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn names(acts: &[RoomAction]) -> Vec<&'static str> {
    events(acts).iter().map(RoomEvent::name).collect()
}

pub(super) fn opened(acts: &[RoomAction]) -> Vec<(String, u32, LinkConfig)> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::OpenLink {
                peer_id,
                epoch,
                config,
                ..
            } => Some((peer_id.clone(), *epoch, config.clone())),
            _ => None,
        })
        .collect()
}

pub(super) fn sent(acts: &[RoomAction]) -> Vec<ClientMessage> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::Send { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn session_states(acts: &[RoomAction]) -> Vec<SessionState> {
    events(acts)
        .into_iter()
        .filter_map(|e| match e {
            RoomEvent::SessionStateChange { to, .. } => Some(to),
            _ => None,
        })
        .collect()
}

pub(super) fn signal(epoch: u32, data: SignalData) -> serde_json::Value {
    serde_json::to_value(SignalEnvelope { data, epoch }).unwrap()
}

/// A `getStats()` sample with running totals: packets of each kind received, bytes and
/// consent responses on the pair.
pub(super) fn sample(
    at_ms: u64,
    audio: u64,
    video: u64,
    pair_bytes: u64,
    responses: u64,
) -> crate::engine::stats::StatsSample {
    use crate::engine::stats::{InboundRtp, MediaKind, PairStats, StatsSample};
    StatsSample {
        at_ms,
        pair: Some(PairStats {
            current_round_trip_time_s: Some(0.02),
            bytes_received: pair_bytes,
            responses_received: responses,
            local_candidate_type: Some("host".into()),
            ..PairStats::default()
        }),
        inbound: vec![
            InboundRtp {
                packets_received: audio,
                bytes_received: audio * 100,
                ..InboundRtp::with_kind(MediaKind::Audio)
            },
            InboundRtp {
                packets_received: video,
                bytes_received: video * 1_000,
                // About three packets a frame, all decoded.
                frames_decoded: video / 3,
                frames_per_second: Some(30.0),
                frame_width: Some(640),
                frame_height: Some(480),
                ..InboundRtp::with_kind(MediaKind::Video)
            },
        ],
        video_codec: Some("video/VP8".into()),
        ..StatsSample::default()
    }
}

/// [`sample`] plus what the remote reports of our video: `lost` of it lost (0..1).
pub(super) fn sample_with_loss(
    at_ms: u64,
    packets: u64,
    lost: f64,
) -> crate::engine::stats::StatsSample {
    use crate::engine::stats::{MediaKind, OutboundRtp, RemoteInboundRtp};
    let mut s = sample(at_ms, packets, packets * 2, packets * 100, packets);
    // What the remote's report is about: the video we send.
    s.outbound.push(OutboundRtp {
        packets_sent: packets * 2,
        bytes_sent: packets * 2_000,
        ..OutboundRtp::with_kind(MediaKind::Video)
    });
    s.remote_inbound.push(RemoteInboundRtp {
        fraction_lost: lost,
        round_trip_time_s: Some(0.02),
        ..RemoteInboundRtp::with_kind(MediaKind::Video)
    });
    s
}

/// Joined with guest `a` in the room, its link connected.
pub(super) fn connected() -> Sim {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim
}

/// Feeds `s` as a `getStats` sample of the link to `a`, at its time.
pub(super) fn stats(sim: &mut Sim, s: crate::engine::stats::StatsSample) -> Vec<RoomAction> {
    sim.now = s.at_ms;
    sim.feed(RoomInput::Stats {
        peer_id: "a".into(),
        epoch: 0,
        sample: s,
    })
}

/// Drops the socket and answers the resume with `unknownSession`: the room rejoins.
pub(super) fn resume_refused(sim: &mut Sim) {
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    sim.feed(RoomInput::SocketOpened);
    assert!(sim.log.iter().rev().any(|a| matches!(a, RoomAction::Send { message: ClientMessage::Resume { last_seq, .. } } if *last_seq == sim.seq)));
    sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(steadyrtc_protocol::ErrorCode::UnknownSession, "gone"),
    });
    assert_eq!(sim.room.session_state(), SessionState::Rejoining);
}
