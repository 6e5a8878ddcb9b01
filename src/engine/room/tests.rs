//! One test per rule of the room engine: joining, reading server messages, the rejoin,
//! leaving. Recovery rules are in `tests_recovery.rs`.

use super::sim::*;
use super::*;
use crate::engine::session::SessionTimer;
use steadyrtc_protocol::{ErrorCode as ServerCode, LeaveReason, Role, ServerMessage};

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

#[test]
fn a_refused_resume_restarts_the_numbering_so_the_rejoin_welcome_is_not_taken_for_a_replay() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    for _ in 0..5 {
        sim.server(ServerMessage::Chat {
            from: "a".into(),
            text: "x".into(),
            private: false,
            id: None,
            name: String::new(),
            sent_at: 0,
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
fn room_ended_is_an_event_and_no_reconnect_follows() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.server(ServerMessage::RoomEnded {
        room: "r".into(),
        reason: "deleted".into(),
        by: None,
    });
    assert!(events(&acts).contains(&RoomEvent::RoomEnded {
        room: "r".into(),
        reason: "deleted".into(),
        by: None,
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
        id: None,
        name: String::new(),
        sent_at: 0,
    });
    assert_eq!(
        events(&acts),
        vec![RoomEvent::Chat {
            id: String::new(),
            from: "a".into(),
            name: String::new(),
            text: "hi".into(),
            private: true,
            sent_at: 0,
        }]
    );
    let acts = sim.server(ServerMessage::Recording {
        by: "a".into(),
        active: true,
    });
    assert_eq!(names(&acts), vec!["recording"]);
    let acts = sim.server(ServerMessage::HandRaised {
        peer_id: "a".into(),
        name: "Cy".into(),
        raised: true,
    });
    assert_eq!(names(&acts), vec!["handRaised"]);
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
