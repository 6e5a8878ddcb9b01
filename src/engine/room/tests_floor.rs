//! The floor of a broadcast room: promote, demote, raised hands, the attendee count.

use super::sim::*;
use super::*;
use steadyrtc_protocol::{Role, ServerMessage, SignalData};

fn welcome_as(me: &str, peers: Vec<PeerInfo>, role: Role) -> ServerMessage {
    let mut message = welcome(me, peers, role != Role::Listener);
    if let ServerMessage::Welcome {
        grants, role: r, ..
    } = &mut message
    {
        *grants = role.default_grants();
        *r = role;
    }
    message
}

fn joined_as(role: Role, peers: Vec<PeerInfo>) -> Sim {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    sim.server(welcome_as("me", peers, role));
    sim
}

fn role_changed(peer: &str, role: Role) -> ServerMessage {
    ServerMessage::RoleChanged {
        peer_id: peer.into(),
        role,
        grants: role.default_grants(),
        by: "host".into(),
    }
}

#[test]
fn a_host_counts_its_attendees_and_promotes_and_demotes_one() {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.server(welcome_as(
        "me",
        vec![
            peer("l1", Role::Listener, false),
            peer("l2", Role::Listener, false),
        ],
        Role::Host,
    ));
    assert!(events(&acts).contains(&RoomEvent::Attendees { count: 2 }));
    assert_eq!(sim.room.attendee_count(), 2);

    let now = sim.now;
    let acts = sim.room.set_publish(now, "l1", true).unwrap();
    assert_eq!(
        sent(&acts),
        vec![ClientMessage::Promote {
            peer_id: "l1".into()
        }]
    );
    let acts = sim.server(role_changed("l1", Role::Guest));
    assert_eq!(
        events(&acts),
        vec![
            RoomEvent::RoleChanged {
                peer_id: "l1".into(),
                role: Role::Guest,
                by: "host".into(),
                local: false,
            },
            RoomEvent::Attendees { count: 1 },
        ]
    );
    let acts = sim.room.set_publish(now, "l1", false).unwrap();
    assert_eq!(
        sent(&acts),
        vec![ClientMessage::Demote {
            peer_id: "l1".into()
        }]
    );
    let acts = sim.server(role_changed("l1", Role::Listener));
    assert!(events(&acts).contains(&RoomEvent::Attendees { count: 2 }));
    let acts = sim.server(ServerMessage::PeerLeft {
        peer_id: "l2".into(),
        reason: steadyrtc_protocol::LeaveReason::Left,
    });
    assert!(events(&acts).contains(&RoomEvent::Attendees { count: 1 }));
}

#[test]
fn only_an_admin_promotes_a_known_peer_once_connected() {
    let mut early = Sim::new(config());
    let err = early.room.set_publish(0, "l1", true).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::NotConnected);

    let mut guest = joined_as(Role::Guest, vec![peer("l1", Role::Listener, false)]);
    let err = guest.room.set_publish(guest.now, "l1", true).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::Forbidden);

    let mut host = joined_as(Role::Host, vec![peer("l1", Role::Listener, false)]);
    let err = host.room.set_publish(host.now, "ghost", true).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::InvalidArgument);
}

#[test]
fn a_promoted_listener_renews_its_links_the_publisher_offering_first_and_offers_to_listeners() {
    let mut sim = joined_as(
        Role::Listener,
        vec![
            peer("h", Role::Host, true),
            peer("l2", Role::Listener, true),
        ],
    );
    assert!(!sim.room.can_publish());
    let acts = sim.server(role_changed("me", Role::Guest));
    assert!(sim.room.can_publish());
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "h".into()
    }));
    let links = opened(&acts);
    assert_eq!(links.len(), 2);
    let (id, epoch, config) = &links[0];
    assert_eq!((id.as_str(), *epoch), ("h", 1));
    assert!(
        !config.initiator && config.can_offer,
        "the host offers first; we may offer later: {config:?}"
    );
    assert!(sent(&acts).contains(&ClientMessage::Signal {
        to: "h".into(),
        data: signal(1, SignalData::Reconnect),
    }));
    let (id, _, config) = &links[1];
    assert_eq!(id, "l2");
    assert!(
        config.initiator,
        "a listener cannot offer: we do: {config:?}"
    );
    assert!(events(&acts).contains(&RoomEvent::RoleChanged {
        peer_id: "me".into(),
        role: Role::Guest,
        by: "host".into(),
        local: true,
    }));
    // Now the camera may go on.
    let acts = sim.feed(RoomInput::SetMedia {
        kind: crate::engine::media::MediaKind::Camera,
        enabled: true,
        request: 1,
    });
    let op = acts
        .iter()
        .find_map(|a| match a {
            RoomAction::ApplyMedia {
                enabled: true, op, ..
            } => Some(*op),
            _ => None,
        })
        .expect("the camera is captured");
    sim.feed(RoomInput::MediaApplied {
        kind: crate::engine::media::MediaKind::Camera,
        op,
        result: Ok(()),
    });

    let acts = sim.server(role_changed("me", Role::Listener));
    assert!(!sim.room.can_publish());
    assert!(acts.contains(&RoomAction::ReleaseMedia));
    let links = opened(&acts);
    let (_, epoch, config) = &links[0];
    assert_eq!(*epoch, 2);
    assert!(!config.initiator && !config.can_offer);
    assert!(!links[1].2.initiator, "nobody offers between two listeners");
    assert!(
        sent(&acts).contains(&ClientMessage::Signal {
            to: "h".into(),
            data: signal(2, SignalData::Reconnect),
        }),
        "the host is asked to offer on the new connection"
    );
}

#[test]
fn a_raised_hand_goes_to_the_server_and_reaches_the_host_as_an_event() {
    let mut listener = joined_as(Role::Listener, vec![peer("h", Role::Host, true)]);
    let acts = listener.room.raise_hand(listener.now, true).unwrap();
    assert_eq!(sent(&acts), vec![ClientMessage::RaiseHand { raised: true }]);

    let mut host = joined_as(Role::Host, vec![peer("l1", Role::Listener, false)]);
    let acts = host.server(ServerMessage::HandRaised {
        peer_id: "l1".into(),
        name: "Cy".into(),
        raised: true,
    });
    assert_eq!(
        events(&acts),
        vec![RoomEvent::HandRaised {
            peer_id: "l1".into(),
            name: "Cy".into(),
            raised: true,
        }]
    );
}

#[test]
fn a_rejoin_after_a_promotion_starts_again_from_the_tokens_role_and_says_so() {
    let mut sim = joined_as(Role::Listener, vec![peer("h", Role::Host, true)]);
    sim.server(role_changed("me", Role::Guest));
    assert!(sim.room.can_publish());
    resume_refused(&mut sim);
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(1),
        message: welcome_as("me2", vec![peer("h", Role::Host, true)], Role::Listener),
    });
    assert!(!sim.room.can_publish());
    assert!(events(&acts).contains(&RoomEvent::RoleChanged {
        peer_id: "me2".into(),
        role: Role::Listener,
        by: String::new(),
        local: true,
    }));
    // A plain rejoin of a listener says nothing of roles.
    resume_refused(&mut sim);
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(1),
        message: welcome_as("me3", vec![peer("h", Role::Host, true)], Role::Listener),
    });
    assert!(!names(&acts).contains(&"roleChanged"));
}

#[test]
fn the_host_takes_a_promoted_peers_new_connection_as_a_renewal_not_a_recovery() {
    let mut sim = joined_as(Role::Host, vec![peer("l1", Role::Listener, false)]);
    sim.server(role_changed("l1", Role::Guest));
    let acts = sim.server(ServerMessage::Signal {
        from: "l1".into(),
        data: signal(1, SignalData::Reconnect),
    });
    let links = opened(&acts);
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].1, 1, "the new connection at the peer's epoch");
    assert!(links[0].2.initiator, "the host offers first");
    assert!(
        !names(&acts).contains(&"recovery") && !names(&acts).contains(&"stateChange"),
        "{:?}",
        names(&acts)
    );
    // A later new connection of that peer is a recovery again.
    let acts = sim.server(ServerMessage::Signal {
        from: "l1".into(),
        data: signal(2, SignalData::Reconnect),
    });
    assert!(names(&acts).contains(&"recovery"));
}

#[test]
fn a_host_ends_the_room_and_it_closes_when_the_server_says_so() {
    let mut host = joined_as(Role::Host, vec![peer("g", Role::Guest, false)]);
    let acts = host.room.end_room(host.now).unwrap();
    assert_eq!(sent(&acts), vec![ClientMessage::EndRoom {}]);
    assert!(
        !acts.contains(&RoomAction::Finished),
        "the room stays up until the server ends it"
    );
    let acts = host.server(ServerMessage::RoomEnded {
        room: "r".into(),
        reason: "endedByHost".into(),
        by: Some("me".into()),
    });
    assert!(events(&acts).contains(&RoomEvent::RoomEnded {
        room: "r".into(),
        reason: "endedByHost".into(),
        by: Some("me".into()),
    }));
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "g".into()
    }));
    assert_eq!(acts.last(), Some(&RoomAction::Finished));
    let err = host.room.end_room(host.now).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::RoomClosed);
}

#[test]
fn only_a_connected_host_of_a_version_5_server_may_end_the_room() {
    let mut early = Sim::new(config());
    let err = early.room.end_room(0).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::NotConnected);

    let mut guest = joined_as(Role::Guest, vec![peer("h", Role::Host, true)]);
    let err = guest.room.end_room(guest.now).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::Forbidden);
    assert!(err.message.contains("admin"), "{}", err.message);

    let mut old = Sim::new(config());
    old.feed(RoomInput::Connect);
    old.feed(RoomInput::SocketOpened);
    let mut welcome = welcome_as("me", vec![], Role::Host);
    if let ServerMessage::Welcome {
        protocol_version, ..
    } = &mut welcome
    {
        *protocol_version = 4;
    }
    old.server(welcome);
    let err = old.room.end_room(old.now).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::ServerRefused);
    assert!(err.message.contains("version 4"), "{}", err.message);
}
