//! Property tests of the room engine over random input sequences: no panic; timers armed
//! once and cancelled only when armed; at most one open link per peer; every link opened
//! is closed when the room finishes; nothing at all after `Finished`; and the same seed
//! and inputs give the same actions (a recorded room replays exactly).

use super::sim::{config, peer, welcome, Sim};
use super::*;
use proptest::prelude::*;
use std::collections::BTreeSet;
use steadyrtc_protocol::{
    ErrorCode as ServerCode, LeaveReason, Role, ServerMessage, SignalData, SignalEnvelope,
};

const IDS: [&str; 3] = ["a", "b", "c"];

#[derive(Debug, Clone)]
enum Step {
    Connect,
    Opened,
    Closed,
    Welcome(u8, bool),
    Joined(u8, bool),
    Left(u8),
    Signal(u8, u32, u8),
    Refused(u8),
    Resumed,
    GoAway,
    Ended,
    Chat,
    Alive,
    Report(u8, u32, u8),
    Online(bool),
    Visible(bool),
    Changed,
    Token(bool),
    FireNext,
    Stats(u8, u32, u64),
    Presets(u8),
    Advance(u32),
    SeqReplay,
    Leave,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Connect),
        3 => Just(Step::Opened),
        2 => Just(Step::Closed),
        2 => (0u8..8, any::<bool>()).prop_map(|(m, p)| Step::Welcome(m, p)),
        2 => (0u8..3, any::<bool>()).prop_map(|(i, l)| Step::Joined(i, l)),
        1 => (0u8..3).prop_map(Step::Left),
        3 => (0u8..3, 0u32..3, 0u8..5).prop_map(|(i, e, k)| Step::Signal(i, e, k)),
        2 => (0u8..5).prop_map(Step::Refused),
        1 => Just(Step::Resumed),
        1 => Just(Step::GoAway),
        1 => Just(Step::Ended),
        1 => Just(Step::Chat),
        1 => Just(Step::Alive),
        6 => (0u8..3, 0u32..3, 0u8..10).prop_map(|(i, e, r)| Step::Report(i, e, r)),
        1 => any::<bool>().prop_map(Step::Online),
        1 => any::<bool>().prop_map(Step::Visible),
        1 => Just(Step::Changed),
        1 => any::<bool>().prop_map(Step::Token),
        4 => Just(Step::FireNext),
        2 => (0u8..3, 0u32..3, 0u64..5).prop_map(|(i, e, n)| Step::Stats(i, e, n)),
        1 => (0u8..5).prop_map(Step::Presets),
        2 => (0u32..30_000).prop_map(Step::Advance),
        1 => Just(Step::SeqReplay),
        1 => Just(Step::Leave),
    ]
}

const STATES: [ConnState; 5] = [
    ConnState::Signaling,
    ConnState::Connecting,
    ConnState::Connected,
    ConnState::Reconnecting,
    ConnState::Failed,
];
const CODES: [ServerCode; 5] = [
    ServerCode::UnknownSession,
    ServerCode::InvalidToken,
    ServerCode::Forbidden,
    ServerCode::RoomFull,
    ServerCode::RateLimited,
];

fn run(cfg: RoomConfig, steps: &[Step]) -> Vec<RoomAction> {
    run_traced(cfg, steps).0
}

/// [`run`], also returning the room's recorded trace.
fn run_traced(cfg: RoomConfig, steps: &[Step]) -> (Vec<RoomAction>, super::trace::RoomTrace) {
    let mut sim = Sim::new(cfg);
    let mut open: BTreeSet<String> = BTreeSet::new();
    let mut finished = false;
    for s in steps {
        let input = match s {
            Step::Connect => RoomInput::Connect,
            Step::Opened => RoomInput::SocketOpened,
            Step::Closed => RoomInput::SocketClosed {
                code: 1006,
                reason: String::new(),
            },
            Step::Welcome(mask, publish) => {
                let peers = IDS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, id)| peer(id, Role::Guest, true))
                    .collect();
                sim.seq = 0;
                RoomInput::Frame {
                    seq: Some(1),
                    message: welcome("me", peers, *publish),
                }
            }
            Step::Joined(i, listener) => {
                let role = if *listener {
                    Role::Listener
                } else {
                    Role::Guest
                };
                sim.seq += 1;
                RoomInput::Frame {
                    seq: Some(sim.seq),
                    message: ServerMessage::PeerJoined {
                        peer: peer(IDS[*i as usize], role, false),
                    },
                }
            }
            Step::Left(i) => {
                sim.seq += 1;
                RoomInput::Frame {
                    seq: Some(sim.seq),
                    message: ServerMessage::PeerLeft {
                        peer_id: IDS[*i as usize].into(),
                        reason: LeaveReason::Left,
                    },
                }
            }
            Step::Signal(i, epoch, kind) => {
                let data = match kind {
                    0 => SignalData::Offer { sdp: "v=0".into() },
                    1 => SignalData::Answer { sdp: "v=0".into() },
                    2 => SignalData::EndOfCandidates,
                    3 => SignalData::Reconnect,
                    _ => SignalData::Candidate {
                        candidate: "candidate:1 1 udp 1 10.0.0.1 5 typ host".into(),
                        sdp_mid: None,
                        sdp_m_line_index: None,
                        username_fragment: None,
                    },
                };
                let data = serde_json::to_value(SignalEnvelope {
                    data,
                    epoch: *epoch,
                })
                .unwrap_or_default();
                sim.seq += 1;
                RoomInput::Frame {
                    seq: Some(sim.seq),
                    message: ServerMessage::Signal {
                        from: IDS[*i as usize].into(),
                        data,
                    },
                }
            }
            Step::Refused(c) => RoomInput::Frame {
                seq: None,
                message: ServerMessage::error(CODES[*c as usize], "no"),
            },
            Step::Resumed => RoomInput::Frame {
                seq: None,
                message: ServerMessage::Resumed {
                    session_id: "session-me".into(),
                    peer_id: "me".into(),
                    room: "r".into(),
                },
            },
            Step::GoAway => RoomInput::Frame {
                seq: None,
                message: ServerMessage::GoAway {
                    reason: "deploy".into(),
                    reconnect_in_ms: 100,
                },
            },
            Step::Ended => RoomInput::Frame {
                seq: None,
                message: ServerMessage::RoomEnded {
                    room: "r".into(),
                    reason: "deleted".into(),
                    by: None,
                },
            },
            Step::Chat => {
                sim.seq += 1;
                RoomInput::Frame {
                    seq: Some(sim.seq),
                    message: ServerMessage::Chat {
                        from: "a".into(),
                        text: "hi".into(),
                        private: false,
                        id: None,
                        name: String::new(),
                        sent_at: 0,
                    },
                }
            }
            Step::Alive => RoomInput::Alive,
            Step::Report(i, epoch, r) => {
                let report = match r {
                    0..=4 => LinkReport::State {
                        from: ConnState::Initializing,
                        to: STATES[*r as usize],
                        reason: "r".into(),
                    },
                    5 => LinkReport::Escalate {
                        level: RecoveryLevel::SignalingReset,
                        attempt: 3,
                    },
                    6 => LinkReport::Escalate {
                        level: RecoveryLevel::FullReconnect,
                        attempt: 6,
                    },
                    7 => LinkReport::Signal {
                        data: SignalData::Offer { sdp: "v=0".into() },
                    },
                    8 => LinkReport::Message {
                        text: "m".into(),
                        binary: false,
                    },
                    _ => LinkReport::Error {
                        message: "e".into(),
                    },
                };
                RoomInput::Link {
                    peer_id: IDS[*i as usize].into(),
                    epoch: *epoch,
                    report,
                }
            }
            Step::Online(o) => RoomInput::NetworkOnline { online: *o },
            Step::Visible(v) => RoomInput::PageVisible { visible: *v },
            Step::Changed => RoomInput::NetworkChanged,
            Step::Token(t) => RoomInput::Token {
                token: t.then(|| "n.e.w".to_owned()),
            },
            Step::FireNext => {
                let Some((timer, at)) = sim
                    .timers
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(t, a)| (t.clone(), *a))
                else {
                    continue;
                };
                sim.timers.remove(&timer);
                sim.now = sim.now.max(at);
                RoomInput::TimerFired { timer }
            }
            Step::Stats(i, epoch, n) => RoomInput::Stats {
                peer_id: IDS[*i as usize].into(),
                epoch: *epoch,
                sample: super::sim::sample(sim.now, n * 10, n * 20, n * 100, *n),
            },
            Step::Presets(n) => RoomInput::Presets {
                presets: crate::engine::adapt::Presets {
                    effective_type: ["4g", "3g", "2g", "slow-2g", "5g"]
                        .get(*n as usize)
                        .map(|s| s.to_string()),
                    save_data: *n == 4,
                    mobile: *n == 1,
                    battery_pct: (*n >= 2).then_some(*n * 5),
                    charging: Some(*n == 3),
                    forced: None,
                },
            },
            Step::Advance(ms) => {
                sim.advance(*ms as u64);
                continue;
            }
            Step::SeqReplay => RoomInput::Frame {
                seq: Some(1),
                message: ServerMessage::Chat {
                    from: "a".into(),
                    text: "again".into(),
                    private: false,
                    id: None,
                    name: String::new(),
                    sent_at: 0,
                },
            },
            Step::Leave => RoomInput::Leave,
        };
        let acts = sim.feed(input);
        if finished {
            assert!(acts.is_empty(), "after Finished: {acts:?}");
        }
        for a in &acts {
            match a {
                RoomAction::OpenLink { peer_id, .. } => {
                    assert!(open.insert(peer_id.clone()), "two links open to {peer_id}")
                }
                RoomAction::CloseLink { peer_id } => {
                    assert!(open.remove(peer_id), "closed {peer_id}, which was not open")
                }
                RoomAction::LinkInput { peer_id, .. } => assert!(
                    open.contains(peer_id),
                    "input to {peer_id}, which has no link"
                ),
                RoomAction::Finished => {
                    assert!(open.is_empty(), "links left open: {open:?}");
                    finished = true;
                }
                _ => {}
            }
        }
        if finished {
            assert!(sim.timers.is_empty(), "timers left: {:?}", sim.timers);
        }
    }
    // Leaving at the end closes everything.
    let acts = sim.feed(RoomInput::Leave);
    for a in &acts {
        if let RoomAction::CloseLink { peer_id } = a {
            open.remove(peer_id);
        }
    }
    assert!(open.is_empty(), "links left open after leave: {open:?}");
    assert!(
        sim.timers.is_empty(),
        "timers left after leave: {:?}",
        sim.timers
    );
    let trace = sim.room.trace().clone();
    (sim.log, trace)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_room_inputs_keep_every_invariant(
        provider in any::<bool>(),
        steps in proptest::collection::vec(step(), 0..120),
    ) {
        let cfg = RoomConfig { has_token_provider: provider, ..config() };
        run(cfg, &steps);
    }

    #[test]
    fn the_same_inputs_replay_to_the_same_actions(steps in proptest::collection::vec(step(), 0..80)) {
        let a = run(config(), &steps);
        let b = run(config(), &steps);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn a_recorded_room_trace_replays_to_the_identical_actions(
        provider in any::<bool>(),
        steps in proptest::collection::vec(step(), 0..80),
    ) {
        let cfg = RoomConfig { has_token_provider: provider, ..config() };
        let (log, trace) = run_traced(cfg, &steps);
        let replayed: Vec<RoomAction> = super::trace::replay(&trace).expect("not truncated").into_iter().flatten().collect();
        prop_assert_eq!(replayed, log);
        // And through JSON, as exportTrace hands it out.
        let json = serde_json::to_string(&trace).expect("serializes");
        let back: super::trace::RoomTrace = serde_json::from_str(&json).expect("parses");
        prop_assert_eq!(back, trace);
    }
}
