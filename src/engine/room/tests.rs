//! One test per rule of the room engine, with a fake clock.

use super::*;
use crate::engine::session::SessionTimer;
use crate::engine::types::SdpKind;
use crate::engine::LinkConfig;
use serde_json::json;
use steadyrtc_protocol::{
    ErrorCode as ServerCode, Grants, Heartbeat, LeaveReason, Role, ServerMessage, SignalData,
};

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

fn names(acts: &[RoomAction]) -> Vec<&'static str> {
    events(acts).iter().map(RoomEvent::name).collect()
}

fn opened(acts: &[RoomAction]) -> Vec<(String, u32, LinkConfig)> {
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

fn sent(acts: &[RoomAction]) -> Vec<ClientMessage> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::Send { message } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

fn session_states(acts: &[RoomAction]) -> Vec<SessionState> {
    events(acts)
        .into_iter()
        .filter_map(|e| match e {
            RoomEvent::SessionStateChange { to, .. } => Some(to),
            _ => None,
        })
        .collect()
}

fn signal(epoch: u32, data: SignalData) -> serde_json::Value {
    serde_json::to_value(SignalEnvelope { data, epoch }).unwrap()
}

use steadyrtc_protocol::SignalEnvelope;

#[test]
fn connect_opens_a_socket_joins_with_the_token_and_resolves_on_welcome() {
    let mut sim = Sim::new(config());
    assert!(sim
        .feed(RoomInput::Connect)
        .contains(&RoomAction::OpenSocket));
    let acts = sim.feed(RoomInput::SocketOpened);
    assert_eq!(
        sent(&acts),
        vec![ClientMessage::Join {
            protocol_version: PROTOCOL_VERSION,
            room: "r".into(),
            name: "Ada".into(),
            token: Some("a.b.c".into())
        }]
    );
    let acts = sim.server(welcome("me", vec![], true));
    assert_eq!(sent(&acts), vec![ClientMessage::Ack { seq: 1 }]);
    assert!(acts.contains(&RoomAction::ConnectDone { result: Ok(()) }));
    assert_eq!(sim.room.peer_id(), "me");
    assert!(
        !sim.timers.contains_key(&RoomTimer::Join),
        "the join timer is cancelled"
    );
}

#[test]
fn peers_already_present_are_announced_before_connect_resolves() {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.server(welcome(
        "me",
        vec![peer("a", Role::Guest, true), peer("b", Role::Host, true)],
        true,
    ));
    let joined = acts
        .iter()
        .position(|a| {
            matches!(
                a,
                RoomAction::Emit {
                    event: RoomEvent::PeerJoined { .. }
                }
            )
        })
        .unwrap();
    let done = acts
        .iter()
        .position(|a| matches!(a, RoomAction::ConnectDone { .. }))
        .unwrap();
    assert!(joined < done);
    assert_eq!(
        names(&acts).iter().filter(|n| **n == "peerJoined").count(),
        2
    );
}

#[test]
fn the_later_joiner_offers_and_politeness_comes_from_the_server() {
    let mut sim = Sim::joined(vec![
        peer("a", Role::Guest, true),
        peer("b", Role::Guest, false),
    ]);
    let links = opened(&sim.log);
    assert_eq!(links.len(), 2);
    for (id, epoch, cfg) in links {
        assert_eq!(epoch, 0);
        assert!(cfg.initiator, "we joined later: we offer to {id}");
        assert!(cfg.can_offer);
        assert_eq!(cfg.polite, id == "a");
    }
    // A guest joining after us offers; a listener cannot, so we do.
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("c", Role::Guest, false),
    });
    assert!(!opened(&acts)[0].2.initiator);
    assert_eq!(names(&acts), vec!["peerJoined"]);
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("l", Role::Listener, false),
    });
    assert!(opened(&acts)[0].2.initiator);
}

#[test]
fn a_participant_without_publish_never_offers() {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.server(welcome("me", vec![peer("h", Role::Host, true)], false));
    let (_, _, cfg) = &opened(&acts)[0];
    assert!(!cfg.initiator && !cfg.can_offer);
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("l2", Role::Listener, false),
    });
    assert!(!opened(&acts)[0].2.initiator);
}

#[test]
fn a_refused_first_join_rejects_connect_with_the_server_code_and_ends_the_room() {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(ServerCode::RoomFull, "full"),
    });
    let Some(RoomAction::ConnectDone { result: Err(err) }) = acts
        .iter()
        .find(|a| matches!(a, RoomAction::ConnectDone { .. }))
    else {
        panic!("{acts:?}")
    };
    assert_eq!(err.code, ErrorCode::JoinRejected);
    assert_eq!(err.server_code.as_deref(), Some("roomFull"));
    assert_eq!(acts.last(), Some(&RoomAction::Finished));
    assert!(sim.timers.is_empty());
    assert!(sim
        .feed(RoomInput::SocketClosed {
            code: 1000,
            reason: String::new()
        })
        .is_empty());
}

#[test]
fn the_first_join_fails_with_a_code_per_cause() {
    let result = |sim: &Sim| {
        sim.log.iter().find_map(|a| match a {
            RoomAction::ConnectDone { result: Err(e) } => Some(e.code),
            _ => None,
        })
    };
    let mut unreachable = Sim::new(config());
    unreachable.feed(RoomInput::Connect);
    unreachable.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    assert_eq!(result(&unreachable), Some(ErrorCode::SignalingUnreachable));

    let mut closed = Sim::new(config());
    closed.feed(RoomInput::Connect);
    closed.feed(RoomInput::SocketOpened);
    closed.feed(RoomInput::SocketClosed {
        code: 1011,
        reason: "bye".into(),
    });
    assert_eq!(result(&closed), Some(ErrorCode::SignalingClosed));

    let mut slow = Sim::new(config());
    slow.feed(RoomInput::Connect);
    slow.feed(RoomInput::SocketOpened);
    let (timer, _) = slow.fire_next();
    assert_eq!(timer, RoomTimer::Join);
    assert_eq!(result(&slow), Some(ErrorCode::SignalingTimeout));

    let mut left = Sim::new(config());
    left.feed(RoomInput::Connect);
    left.feed(RoomInput::Leave);
    assert_eq!(result(&left), Some(ErrorCode::RoomClosed));
}

#[test]
fn a_refusal_after_the_join_is_an_error_event_with_the_server_code() {
    let mut sim = Sim::joined(vec![]);
    let acts = sim.server(ServerMessage::error(
        ServerCode::Forbidden,
        "chat needs the chat grant",
    ));
    let [RoomEvent::Error {
        code, server_code, ..
    }] = &events(&acts)[..]
    else {
        panic!("{acts:?}")
    };
    assert_eq!(code, "serverRefused");
    assert_eq!(server_code.as_deref(), Some("forbidden"));
    assert_eq!(sim.room.session_state(), SessionState::Connected);
}

#[test]
fn replayed_messages_are_dropped_and_new_ones_acknowledged() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(1),
        message: ServerMessage::PeerLeft {
            peer_id: "a".into(),
            reason: LeaveReason::Left,
        },
    });
    assert!(
        events(&acts).is_empty() && sent(&acts).is_empty(),
        "{acts:?}"
    );
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(2),
        message: ServerMessage::PeerLeft {
            peer_id: "a".into(),
            reason: LeaveReason::Left,
        },
    });
    assert_eq!(sent(&acts), vec![ClientMessage::Ack { seq: 2 }]);
    assert_eq!(names(&acts), vec!["peerLeft"]);
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "a".into()
    }));
}

/// Drops the socket and answers the resume with `unknownSession`.
fn resume_refused(sim: &mut Sim) {
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    sim.feed(RoomInput::SocketOpened);
    assert!(sim.log.iter().rev().any(|a| matches!(a, RoomAction::Send { message: ClientMessage::Resume { last_seq, .. } } if *last_seq == sim.seq)));
    sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(ServerCode::UnknownSession, "gone"),
    });
    assert_eq!(sim.room.session_state(), SessionState::Rejoining);
}

#[test]
fn a_refused_resume_restarts_the_numbering_so_the_rejoin_welcome_is_not_taken_for_a_replay() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    for _ in 0..5 {
        sim.server(ServerMessage::Chat {
            from: "a".into(),
            text: "x".into(),
            private: false,
        });
    }
    resume_refused(&mut sim);
    let join = sent(&sim.log)
        .into_iter()
        .filter(|m| matches!(m, ClientMessage::Join { .. }))
        .count();
    assert_eq!(join, 2, "the rejoin sends join");
    // The new session numbers from 1 again.
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(1),
        message: welcome("me2", vec![peer("a", Role::Guest, true)], true),
    });
    assert_eq!(sent(&acts)[0], ClientMessage::Ack { seq: 1 });
    assert_eq!(sim.room.session_state(), SessionState::Connected);
    assert_eq!(sim.room.peer_id(), "me2");
}

#[test]
fn a_rejoin_keeps_peers_still_there_reports_who_left_and_who_came_and_refreshes_ice() {
    let mut sim = Sim::joined(vec![
        peer("a", Role::Guest, true),
        peer("b", Role::Guest, true),
    ]);
    resume_refused(&mut sim);
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(1),
        message: welcome(
            "me2",
            vec![peer("a", Role::Guest, true), peer("c", Role::Guest, true)],
            true,
        ),
    });
    let evs = events(&acts);
    assert!(evs.contains(&RoomEvent::PeerLeft {
        id: "b".into(),
        name: "name-b".into(),
        reason: LeaveReason::Disconnected
    }));
    assert!(evs
        .iter()
        .any(|e| matches!(e, RoomEvent::PeerJoined { id, .. } if id == "c")));
    assert!(
        !evs.iter()
            .any(|e| matches!(e, RoomEvent::PeerJoined { id, .. } if id == "a")),
        "a was never gone"
    );
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "a".into()
    }));
    let reopened: Vec<_> = acts
        .iter()
        .filter_map(|a| match a {
            RoomAction::OpenLink {
                peer_id,
                ice_servers,
                config,
                ..
            } => Some((
                peer_id.clone(),
                ice_servers[0].urls[0].clone(),
                config.initiator,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        reopened,
        vec![
            ("a".into(), "turn:t?me2".into(), true),
            ("c".into(), "turn:t?me2".into(), true)
        ]
    );
}

#[test]
fn a_rejoin_refused_for_the_token_asks_the_token_provider_once_and_retries() {
    let mut sim = Sim::new(RoomConfig {
        has_token_provider: true,
        ..config()
    });
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    sim.server(welcome("me", vec![], true));
    resume_refused(&mut sim);
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(ServerCode::InvalidToken, "bad signature"),
    });
    assert_eq!(acts, vec![RoomAction::FetchToken]);
    let acts = sim.feed(RoomInput::Token {
        token: Some("n.e.w".into()),
    });
    assert!(
        matches!(&sent(&acts)[..], [ClientMessage::Join { token: Some(t), .. }] if t == "n.e.w")
    );
    // Refused again: no second refresh; the session fails with the server's reason.
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(ServerCode::InvalidToken, "still bad"),
    });
    assert!(!acts.contains(&RoomAction::FetchToken));
    assert_eq!(session_states(&acts), vec![SessionState::Failed]);
    assert!(events(&acts).iter().any(|e| matches!(e, RoomEvent::Error { code, server_code: Some(s), .. } if code == "joinRejected" && s == "invalidToken")));
}

#[test]
fn without_a_token_the_provider_is_asked_before_the_first_join() {
    let mut sim = Sim::new(RoomConfig {
        token: None,
        has_token_provider: true,
        ..config()
    });
    let acts = sim.feed(RoomInput::Connect);
    assert!(acts.contains(&RoomAction::FetchToken));
    assert!(
        sent(&sim.feed(RoomInput::SocketOpened)).is_empty(),
        "join waits for the token"
    );
    let acts = sim.feed(RoomInput::Token {
        token: Some("t.o.k".into()),
    });
    assert!(
        matches!(&sent(&acts)[..], [ClientMessage::Join { token: Some(t), .. }] if t == "t.o.k")
    );
}

#[test]
fn signaling_reset_replaces_the_socket_and_resumes() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    let acts = sim.link(
        "a",
        0,
        LinkReport::Escalate {
            level: RecoveryLevel::SignalingReset,
            attempt: 3,
        },
    );
    let close = acts
        .iter()
        .position(|a| *a == RoomAction::CloseSocket)
        .expect("socket closed");
    let open = acts
        .iter()
        .position(|a| *a == RoomAction::OpenSocket)
        .expect("a new socket");
    assert!(close < open);
    assert!(acts.contains(&RoomAction::LinkInput {
        peer_id: "a".into(),
        input: Input::SignalingDown
    }));
    let acts = sim.feed(RoomInput::SocketOpened);
    assert!(
        matches!(&sent(&acts)[..], [ClientMessage::Resume { session_id, .. }] if session_id == "session-me")
    );
    // A second link asking moments later does not reset again.
    sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::Resumed {
            session_id: "session-me".into(),
            peer_id: "me".into(),
            room: "r".into(),
        },
    });
    let acts = sim.link(
        "a",
        0,
        LinkReport::Escalate {
            level: RecoveryLevel::SignalingReset,
            attempt: 4,
        },
    );
    assert!(!acts.contains(&RoomAction::CloseSocket));
}

#[test]
fn full_reconnect_rebuilds_the_link_at_the_next_epoch_and_drops_late_signals_of_the_old_one() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    let acts = sim.link(
        "a",
        0,
        LinkReport::Escalate {
            level: RecoveryLevel::FullReconnect,
            attempt: 6,
        },
    );
    let close = acts
        .iter()
        .position(|a| {
            *a == RoomAction::CloseLink {
                peer_id: "a".into(),
            }
        })
        .unwrap();
    let open = acts
        .iter()
        .position(|a| matches!(a, RoomAction::OpenLink { epoch: 1, .. }))
        .unwrap();
    assert!(close < open);
    assert!(
        opened(&acts)[0].2.initiator,
        "we offer on the new connection"
    );
    // The new link's offer carries epoch 1.
    let acts = sim.link(
        "a",
        1,
        LinkReport::Signal {
            data: SignalData::Offer { sdp: "v=0".into() },
        },
    );
    assert_eq!(
        sent(&acts),
        vec![ClientMessage::Signal {
            to: "a".into(),
            data: json!({"kind": "offer", "sdp": "v=0", "epoch": 1})
        }]
    );
    // A late answer of epoch 0 is dropped; the epoch-1 answer reaches the new link.
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: signal(0, SignalData::Answer { sdp: "old".into() }),
    });
    assert!(
        !acts
            .iter()
            .any(|a| matches!(a, RoomAction::LinkInput { .. })),
        "{acts:?}"
    );
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: signal(1, SignalData::Answer { sdp: "new".into() }),
    });
    assert!(acts.contains(&RoomAction::LinkInput {
        peer_id: "a".into(),
        input: Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp: "new".into()
        }
    }));
    // Reports of the old link are ignored; the new one's setup stays "reconnecting" to
    // the app until it connects, which is a recovery at the full-reconnect level.
    assert!(events(&sim.state("a", 0, ConnState::Reconnecting, ConnState::Failed)).is_empty());
    assert!(events(&sim.state("a", 1, ConnState::Initializing, ConnState::Signaling)).is_empty());
    let evs = events(&sim.state("a", 1, ConnState::Connecting, ConnState::Connected));
    assert!(evs.contains(&RoomEvent::StateChange {
        peer_id: "a".into(),
        from: ConnState::Reconnecting,
        to: ConnState::Connected,
        reason: "recovered".into()
    }));
    assert!(evs.iter().any(|e| matches!(
        e,
        RoomEvent::Recovery {
            phase: RecoveryPhase::Recovered,
            level: RecoveryLevel::FullReconnect,
            ..
        }
    )));
}

#[test]
fn a_newer_epoch_from_the_other_side_rebuilds_our_link_as_the_answerer() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: signal(1, SignalData::Offer { sdp: "v=0".into() }),
    });
    let links = opened(&acts);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].1, 1);
    assert!(!links[0].2.initiator);
    let open = acts
        .iter()
        .position(|a| matches!(a, RoomAction::OpenLink { .. }))
        .unwrap();
    let offer = acts
        .iter()
        .position(|a| {
            matches!(
                a,
                RoomAction::LinkInput {
                    input: Input::RemoteDescription { .. },
                    ..
                }
            )
        })
        .unwrap();
    assert!(open < offer, "the offer goes to the new link");
    assert!(
        events(&acts).iter().any(|e| matches!(
            e,
            RoomEvent::Recovery {
                phase: RecoveryPhase::Attempt,
                level: RecoveryLevel::FullReconnect,
                ..
            }
        )),
        "the app hears that the connection is being rebuilt"
    );
}

#[test]
fn a_listener_asks_the_other_side_to_offer_on_a_full_reconnect() {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    sim.server(welcome("me", vec![peer("h", Role::Host, true)], false));
    let acts = sim.link(
        "h",
        0,
        LinkReport::Escalate {
            level: RecoveryLevel::FullReconnect,
            attempt: 6,
        },
    );
    assert!(sent(&acts).contains(&ClientMessage::Signal {
        to: "h".into(),
        data: json!({"kind": "reconnect", "epoch": 1})
    }));
    // On the host's side, that signal rebuilds the link with the host offering.
    let mut host = Sim::joined(vec![peer("l", Role::Listener, false)]);
    let acts = host.server(ServerMessage::Signal {
        from: "l".into(),
        data: json!({"kind": "reconnect", "epoch": 1}),
    });
    assert!(opened(&acts)[0].2.initiator);
    assert!(!acts.iter().any(|a| matches!(
        a,
        RoomAction::LinkInput {
            input: Input::RemoteDescription { .. },
            ..
        }
    )));
}

#[test]
fn a_link_that_fails_while_signaling_is_down_is_rebuilt_when_the_session_is_back() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    let acts = sim.state("a", 0, ConnState::Reconnecting, ConnState::Failed);
    assert!(
        !events(&acts).iter().any(|e| matches!(
            e,
            RoomEvent::StateChange {
                to: ConnState::Failed,
                ..
            }
        )),
        "the app is not told failed while the room still tries"
    );
    let acts = sim.fire(RoomTimer::Rebuild {
        peer_id: "a".into(),
    });
    assert!(opened(&acts).is_empty(), "no rebuild without signaling");
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::Resumed {
            session_id: "session-me".into(),
            peer_id: "me".into(),
            room: "r".into(),
        },
    });
    assert_eq!(
        opened(&acts).len(),
        1,
        "rebuilt once signaling is back: {acts:?}"
    );
    assert_eq!(opened(&acts)[0].1, 1);
}

#[test]
fn a_peer_whose_link_keeps_failing_is_given_up_after_the_budget() {
    let mut sim = Sim::new(RoomConfig {
        rebuild_budget_ms: 20_000,
        ..config()
    });
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    sim.server(welcome("me", vec![peer("a", Role::Guest, true)], true));
    let mut epoch = 0;
    for _ in 0..100 {
        sim.advance(5_000);
        sim.state("a", epoch, ConnState::Connecting, ConnState::Failed);
        if let Some(at) = sim
            .timers
            .get(&RoomTimer::Rebuild {
                peer_id: "a".into(),
            })
            .copied()
        {
            sim.now = at;
            sim.fire(RoomTimer::Rebuild {
                peer_id: "a".into(),
            });
            epoch += 1;
        } else {
            break;
        }
        // Between rebuilds the session stays up: answer its heartbeat.
        sim.feed(RoomInput::Alive);
    }
    let evs = events(&sim.log);
    assert!(evs.iter().any(|e| matches!(e, RoomEvent::StateChange { to: ConnState::Failed, reason, .. } if reason.starts_with("recoveryExhausted"))));
    assert!(evs.iter().any(|e| matches!(
        e,
        RoomEvent::Recovery {
            phase: RecoveryPhase::GaveUp,
            ..
        }
    )));
    assert!(
        (2..10).contains(&epoch),
        "rebuilt {epoch} times within 20 s"
    );
}

#[test]
fn room_ended_is_an_event_and_no_reconnect_follows() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.server(ServerMessage::RoomEnded {
        room: "r".into(),
        reason: "deleted".into(),
    });
    assert!(events(&acts).contains(&RoomEvent::RoomEnded {
        room: "r".into(),
        reason: "deleted".into()
    }));
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "a".into()
    }));
    assert_eq!(acts.last(), Some(&RoomAction::Finished));
    assert!(sim.timers.is_empty());
    assert!(sim
        .feed(RoomInput::SocketClosed {
            code: 1000,
            reason: String::new()
        })
        .is_empty());
}

#[test]
fn go_away_tells_the_app_why_and_reconnects_after_the_delay() {
    let mut sim = Sim::joined(vec![]);
    let acts = sim.server(ServerMessage::GoAway {
        reason: "deploy".into(),
        reconnect_in_ms: 250,
    });
    assert!(events(&acts).contains(&RoomEvent::GoAway {
        reason: "deploy".into(),
        reconnect_in_ms: 250
    }));
    let (timer, acts) = sim.fire_next();
    assert_eq!(
        timer,
        RoomTimer::Session {
            timer: SessionTimer::Retry
        }
    );
    assert!(acts.contains(&RoomAction::OpenSocket));
}

#[test]
fn informational_server_messages_become_typed_events() {
    let mut sim = Sim::joined(vec![]);
    let acts = sim.server(ServerMessage::Chat {
        from: "a".into(),
        text: "hi".into(),
        private: true,
    });
    assert_eq!(
        events(&acts),
        vec![RoomEvent::Chat {
            from: "a".into(),
            text: "hi".into(),
            private: true
        }]
    );
    let acts = sim.server(ServerMessage::Recording {
        by: "a".into(),
        active: true,
    });
    assert_eq!(names(&acts), vec!["recording"]);
    let acts = sim.server(ServerMessage::Queued {});
    assert_eq!(names(&acts), vec!["queued"]);
    let acts = sim.server(ServerMessage::Matched {
        room: "m".into(),
        peer: peer("z", Role::Guest, true),
        polite: true,
    });
    assert_eq!(names(&acts), vec!["matched"]);
}

#[test]
fn leave_closes_every_link_and_then_the_room_says_nothing() {
    let mut sim = Sim::joined(vec![
        peer("a", Role::Guest, true),
        peer("b", Role::Guest, true),
    ]);
    let acts = sim.feed(RoomInput::Leave);
    assert_eq!(sent(&acts), vec![ClientMessage::Leave {}]);
    for id in ["a", "b"] {
        assert!(acts.contains(&RoomAction::CloseLink { peer_id: id.into() }));
    }
    assert_eq!(acts.last(), Some(&RoomAction::Finished));
    assert!(sim.timers.is_empty(), "{:?}", sim.timers);
    assert!(sim
        .server(ServerMessage::PeerJoined {
            peer: peer("c", Role::Guest, true)
        })
        .is_empty());
    assert!(sim.feed(RoomInput::Leave).is_empty());
}

#[test]
fn chat_is_checked_before_it_is_sent() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.room.send_chat("hi", Some("a".into())).unwrap();
    assert_eq!(
        sent(&acts),
        vec![ClientMessage::Chat {
            text: "hi".into(),
            to: Some("a".into())
        }]
    );
    assert_eq!(
        sim.room.send_chat("  ", None).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        sim.room
            .send_chat("hi", Some("nobody".into()))
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    assert_eq!(
        sim.room.send_chat("hi", None).unwrap_err().code,
        ErrorCode::NotConnected
    );
    sim.feed(RoomInput::Leave);
    assert_eq!(
        sim.room.send_chat("hi", None).unwrap_err().code,
        ErrorCode::RoomClosed
    );
}

#[test]
fn a_recovered_link_reports_the_level_that_recovered_it() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    let acts = sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    assert!(events(&acts).iter().any(|e| matches!(
        e,
        RoomEvent::Recovery {
            phase: RecoveryPhase::Attempt,
            level: RecoveryLevel::IceRestart,
            ..
        }
    )));
    sim.advance(1_200);
    let evs = events(&sim.state("a", 0, ConnState::Reconnecting, ConnState::Connected));
    assert!(evs.contains(&RoomEvent::Recovery {
        peer_id: "a".into(),
        phase: RecoveryPhase::Recovered,
        level: RecoveryLevel::IceRestart,
        attempt: 0,
        elapsed_ms: 1_200
    }));
}

#[test]
fn a_disconnect_is_reported_once_and_the_network_coming_back_retries_at_once() {
    let mut sim = Sim::joined(vec![]);
    let acts = sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: "gone".into(),
    });
    assert_eq!(names(&acts).first(), Some(&"disconnected"));
    // The immediate retry fails; the next waits for a backoff...
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    assert!(sim.timers.contains_key(&RoomTimer::Session {
        timer: SessionTimer::Retry
    }));
    // ...unless the network changes.
    let acts = sim.feed(RoomInput::NetworkChanged);
    assert!(acts.contains(&RoomAction::OpenSocket));
    assert!(!names(&acts).contains(&"disconnected"));
}

#[test]
fn connect_can_be_prepared_until_it_starts_and_never_after_the_room_is_over() {
    let mut room = RoomEngine::new(RoomConfig::default(), 1);
    room.prepare(config()).unwrap();
    room.prepare(config()).unwrap();
    room.handle(0, RoomInput::Connect);
    assert_eq!(
        room.prepare(config()).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    room.handle(0, RoomInput::Leave);
    assert_eq!(
        room.prepare(config()).unwrap_err().code,
        ErrorCode::RoomClosed
    );
}

#[test]
fn an_app_asked_reconnect_rebuilds_one_link_and_leaves_the_others_alone() {
    let mut sim = Sim::joined(vec![
        peer("a", Role::Guest, true),
        peer("b", Role::Guest, true),
    ]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.state("b", 0, ConnState::Connecting, ConnState::Connected);
    let acts = sim.room.reconnect_peer(sim.now, "a").unwrap();
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "a".into()
    }));
    assert_eq!(
        opened(&acts)
            .iter()
            .map(|(id, e, _)| (id.as_str(), *e))
            .collect::<Vec<_>>(),
        vec![("a", 1)]
    );
    assert!(!acts
        .iter()
        .any(|a| matches!(a, RoomAction::CloseLink { peer_id } if peer_id == "b")));
    assert_eq!(
        sim.room.reconnect_peer(sim.now, "zz").unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn a_session_replaced_by_the_same_identity_elsewhere_ends_the_room_without_reconnecting() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(ServerCode::DuplicateIdentity, "replaced"),
    });
    assert!(events(&acts).iter().any(|e| matches!(e, RoomEvent::Error { code, server_code: Some(s), .. } if code == "sessionReplaced" && s == "duplicateIdentity")));
    assert_eq!(acts.last(), Some(&RoomAction::Finished));
    assert!(sim
        .feed(RoomInput::SocketClosed {
            code: 1008,
            reason: "session replaced".into()
        })
        .is_empty());
}

#[test]
fn a_link_that_recovers_by_itself_is_not_rebuilt_when_signaling_returns() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    sim.link(
        "a",
        0,
        LinkReport::Escalate {
            level: RecoveryLevel::FullReconnect,
            attempt: 5,
        },
    );
    // ICE came back before the socket did.
    sim.state("a", 0, ConnState::Reconnecting, ConnState::Connected);
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::Resumed {
            session_id: "session-me".into(),
            peer_id: "me".into(),
            room: "r".into(),
        },
    });
    assert!(
        opened(&acts).is_empty(),
        "a working connection was torn down: {acts:?}"
    );
}
