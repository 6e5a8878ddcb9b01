//! One test per recovery rule of the room engine: signaling reset, full reconnect and
//! link epochs, rebuilds and their budget, and what the app is told.

use super::sim::*;
use super::*;
use crate::engine::session::SessionTimer;
use crate::engine::types::SdpKind;
use serde_json::json;
use steadyrtc_protocol::{Role, ServerMessage, SignalData};

/// Joined with `a`, whose link connected and then dropped.
fn reconnecting() -> Sim {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    sim
}

#[test]
fn signaling_reset_replaces_the_socket_and_resumes() {
    let mut sim = reconnecting();
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
    let mut sim = reconnecting();
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
    let evs = events(&sim.back("a", 1, ConnState::Connecting));
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
    let evs = events(&sim.back("a", 0, ConnState::Reconnecting));
    assert!(
        evs.contains(&RoomEvent::Recovery {
            peer_id: "a".into(),
            phase: RecoveryPhase::Recovered,
            level: RecoveryLevel::IceRestart,
            attempt: 0,
            elapsed_ms: 1_200
        }),
        "told once it held, with the time until it was back: {evs:?}"
    );
}

#[test]
fn a_link_back_for_a_moment_is_not_told_as_recovered_and_its_episode_goes_on() {
    // Firefox reads `connected` for a moment when an ICE restart offer is rolled back.
    let mut sim = reconnecting();
    sim.advance(2_000);
    let evs = events(&sim.state("a", 0, ConnState::Reconnecting, ConnState::Connected));
    assert!(evs.is_empty(), "nothing told yet: {evs:?}");
    let held = RoomTimer::Recovered {
        peer_id: "a".into(),
    };
    assert_eq!(sim.timers.get(&held), Some(&(sim.now + 1_000)));
    sim.advance(200);
    let evs = events(&sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting));
    assert!(
        evs.is_empty(),
        "still reconnecting to the app, no new attempt 1: {evs:?}"
    );
    assert!(!sim.timers.contains_key(&held));
    // Back for good 3 s later: one recovery, timed from the first loss.
    sim.advance(3_000);
    let evs = events(&sim.back("a", 0, ConnState::Reconnecting));
    assert!(
        evs.iter().any(|e| matches!(
            e,
            RoomEvent::Recovery {
                phase: RecoveryPhase::Recovered,
                elapsed_ms: 5_200,
                ..
            }
        )),
        "{evs:?}"
    );
    assert!(evs.iter().any(|e| matches!(e, RoomEvent::StateChange { to: ConnState::Connected, reason, .. } if reason == "recovered")));
    let reconnecting = events(&sim.log)
        .iter()
        .filter(|e| {
            matches!(
                e,
                RoomEvent::StateChange {
                    to: ConnState::Reconnecting,
                    ..
                }
            )
        })
        .count();
    assert_eq!(reconnecting, 1, "the app saw one drop");
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
fn diagnostics_blame_the_network_for_neither_an_asked_rebuild_nor_a_chosen_audio_only() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    sim.room.reconnect_peer(sim.now, "a").unwrap();
    sim.room
        .set_quality(crate::engine::adapt::Preference::AudioOnly, None)
        .unwrap();
    let report = sim.room.diagnostics(sim.now);
    let a = &report.peers[0];
    assert_eq!(a.recovery_attempts[2], 1, "the rebuild is still counted");
    let text = a.recommendations.join(" ");
    assert!(!text.contains("rebuilt from scratch"), "{text}");
    assert!(!text.contains("poor connection"), "{text}");
    assert!(text.contains("audio only was chosen"), "{text}");
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

#[test]
fn a_lost_link_is_given_up_when_the_recovery_timeout_passes_whatever_step_is_under_way() {
    let mut sim = Sim::new(RoomConfig {
        rebuild_budget_ms: 8_000,
        ..config()
    });
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    sim.server(welcome("me", vec![peer("a", Role::Guest, true)], true));
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    let lost_at = sim.now;
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    let deadline = RoomTimer::GiveUp {
        peer_id: "a".into(),
    };
    assert_eq!(sim.timers.get(&deadline), Some(&(lost_at + 8_000)));
    // The link's own ladder escalates to a full reconnect: a new link (epoch 1), still
    // setting up when the time is up. The deadline counts from the loss, not the rebuild.
    sim.advance(6_000);
    sim.link(
        "a",
        0,
        LinkReport::Escalate {
            level: RecoveryLevel::FullReconnect,
            attempt: 4,
        },
    );
    assert_eq!(sim.timers.get(&deadline), Some(&(lost_at + 8_000)));
    let acts = sim.fire(deadline.clone());
    assert_eq!(sim.now, lost_at + 8_000);
    assert!(
        acts.contains(&RoomAction::CloseLink {
            peer_id: "a".into()
        }),
        "{acts:?}"
    );
    let evs = events(&acts);
    assert!(
        evs.iter().any(
            |e| matches!(e, RoomEvent::StateChange { peer_id, to: ConnState::Failed, reason, .. }
            if peer_id == "a" && reason == "recoveryExhausted: not connected again within 8000 ms")
        ),
        "{evs:?}"
    );
    assert!(evs.iter().any(|e| matches!(
        e,
        RoomEvent::Recovery {
            phase: RecoveryPhase::GaveUp,
            level: RecoveryLevel::FullReconnect,
            elapsed_ms: 8_000,
            ..
        }
    )));
    assert!(
        !sim.timers
            .keys()
            .any(|t| matches!(t, RoomTimer::Rebuild { .. } | RoomTimer::GiveUp { .. })),
        "nothing more is tried: {:?}",
        sim.timers
    );
}

#[test]
fn a_link_back_in_time_cancels_its_recovery_timeout_and_the_next_loss_gets_a_whole_one() {
    let mut sim = reconnecting();
    let deadline = RoomTimer::GiveUp {
        peer_id: "a".into(),
    };
    assert!(sim.timers.contains_key(&deadline));
    sim.advance(3_000);
    sim.back("a", 0, ConnState::Reconnecting);
    assert!(!sim.timers.contains_key(&deadline));
    sim.advance(100_000);
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    assert_eq!(
        sim.timers.get(&deadline),
        Some(&(sim.now + config().rebuild_budget_ms))
    );
    // The peer leaves while its link recovers: nothing is left armed for it.
    sim.server(ServerMessage::PeerLeft {
        peer_id: "a".into(),
        reason: steadyrtc_protocol::LeaveReason::Left,
    });
    assert!(!sim.timers.contains_key(&deadline));
}
