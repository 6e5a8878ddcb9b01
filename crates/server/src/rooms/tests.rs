//! Unit tests of the membership and routing rules.

use super::*;
use serde_json::json;

fn member(id: &str, role: Role) -> Member {
    Member {
        id: id.into(),
        name: id.to_uppercase(),
        role,
        grants: role.default_grants(),
    }
}

fn mesh(rooms: &mut Rooms, id: &str) -> (Vec<PeerInfo>, Vec<Delivery>) {
    rooms
        .join("demo", RoomMode::Mesh, 16, member(id, Role::Guest))
        .unwrap()
}

#[test]
fn later_joiner_is_polite_towards_everyone_and_the_others_are_not() {
    let mut rooms = Rooms::default();
    mesh(&mut rooms, "a");
    mesh(&mut rooms, "b");
    let (present, deliveries) = mesh(&mut rooms, "c");
    assert_eq!(
        present
            .iter()
            .map(|p| (p.id.as_str(), p.polite))
            .collect::<Vec<_>>(),
        vec![("a", true), ("b", true)]
    );
    assert_eq!(deliveries.len(), 2);
    for d in &deliveries {
        let ServerMessage::PeerJoined { peer } = &d.message else {
            panic!("{d:?}")
        };
        assert_eq!((peer.id.as_str(), peer.polite), ("c", false));
    }
}

#[test]
fn full_room_refuses_and_frees_a_seat_after_leave() {
    let mut rooms = Rooms::default();
    rooms
        .join("r", RoomMode::Mesh, 2, member("a", Role::Guest))
        .unwrap();
    rooms
        .join("r", RoomMode::Mesh, 2, member("b", Role::Guest))
        .unwrap();
    let err = rooms
        .join("r", RoomMode::Mesh, 2, member("c", Role::Guest))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::RoomFull);
    let (deliveries, emptied) = rooms.leave("a", LeaveReason::Left);
    assert_eq!(
        deliveries,
        vec![Delivery::new(
            "b",
            ServerMessage::PeerLeft {
                peer_id: "a".into(),
                reason: LeaveReason::Left
            }
        )]
    );
    assert_eq!(emptied, None);
    assert!(rooms
        .join("r", RoomMode::Mesh, 2, member("c", Role::Guest))
        .is_ok());
}

#[test]
fn last_leave_removes_the_room_and_reports_it() {
    let mut rooms = Rooms::default();
    mesh(&mut rooms, "a");
    assert_eq!(
        rooms.leave("a", LeaveReason::Timeout),
        (vec![], Some("demo".into()))
    );
    assert_eq!((rooms.room_count(), rooms.peer_count()), (0, 0));
    assert_eq!(rooms.leave("a", LeaveReason::Left), (vec![], None));
}

#[test]
fn broadcast_listeners_see_hosts_but_not_each_other() {
    let mut rooms = Rooms::default();
    rooms
        .join("b", RoomMode::Broadcast, 16, member("host", Role::Host))
        .unwrap();
    rooms
        .join("b", RoomMode::Broadcast, 16, member("l1", Role::Listener))
        .unwrap();
    let (present, deliveries) = rooms
        .join("b", RoomMode::Broadcast, 16, member("l2", Role::Listener))
        .unwrap();
    assert_eq!(
        present.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec!["host"]
    );
    assert_eq!(
        deliveries.iter().map(|d| d.to.as_str()).collect::<Vec<_>>(),
        vec!["host"]
    );
    assert_eq!(
        rooms
            .signal("l2", "l1", json!({"kind": "answer"}))
            .unwrap_err()
            .code,
        ErrorCode::UnknownPeer
    );
    assert!(rooms
        .signal("l2", "host", json!({"kind": "answer"}))
        .is_ok());
    assert!(rooms.signal("host", "l2", json!({"kind": "offer"})).is_ok());
}

#[test]
fn listener_offer_is_forbidden_but_answers_and_candidates_pass() {
    let mut rooms = Rooms::default();
    rooms
        .join("r", RoomMode::Mesh, 16, member("g", Role::Guest))
        .unwrap();
    rooms
        .join("r", RoomMode::Mesh, 16, member("l", Role::Listener))
        .unwrap();
    assert_eq!(
        rooms
            .signal("l", "g", json!({"kind": "offer", "sdp": ""}))
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert!(rooms
        .signal("l", "g", json!({"kind": "answer", "sdp": ""}))
        .is_ok());
    assert!(rooms
        .signal("l", "g", json!({"kind": "candidate", "candidate": ""}))
        .is_ok());
}

#[test]
fn signal_outside_the_room_or_to_self_is_unknown_peer_and_roomless_is_not_joined() {
    let mut rooms = Rooms::default();
    rooms
        .join("a", RoomMode::Mesh, 16, member("p1", Role::Guest))
        .unwrap();
    rooms
        .join("b", RoomMode::Mesh, 16, member("p2", Role::Guest))
        .unwrap();
    for to in ["p2", "nobody", "p1"] {
        assert_eq!(
            rooms.signal("p1", to, json!({})).unwrap_err().code,
            ErrorCode::UnknownPeer,
            "{to}"
        );
    }
    assert_eq!(
        rooms.signal("ghost", "p1", json!({})).unwrap_err().code,
        ErrorCode::NotJoined
    );
}

#[test]
fn visibility_is_one_rule_for_every_message_naming_a_peer() {
    let mut rooms = Rooms::default();
    rooms
        .join("b", RoomMode::Broadcast, 16, member("host", Role::Host))
        .unwrap();
    rooms
        .join("b", RoomMode::Broadcast, 16, member("l1", Role::Listener))
        .unwrap();
    rooms
        .join("b", RoomMode::Broadcast, 16, member("l2", Role::Listener))
        .unwrap();
    rooms
        .join("elsewhere", RoomMode::Mesh, 16, member("x", Role::Guest))
        .unwrap();
    assert!(rooms.check_visible("l1", "host").is_ok());
    assert!(rooms.check_visible("host", "l1").is_ok());
    for (from, to) in [("l1", "l2"), ("l1", "l1"), ("l1", "x"), ("ghost", "host")] {
        assert_eq!(
            rooms.check_visible(from, to).unwrap_err().code,
            ErrorCode::UnknownPeer,
            "{from} -> {to}"
        );
        assert_eq!(
            rooms.check_visible(from, to).is_ok(),
            rooms.signal(from, to, json!({})).is_ok(),
            "{from} -> {to}"
        );
    }
    assert!(rooms.chat("l1", "hi", Some("l2"), None, 0).is_err());
}

#[test]
fn chat_needs_the_grant_and_reaches_the_others_or_one() {
    let mut rooms = Rooms::default();
    mesh(&mut rooms, "a");
    mesh(&mut rooms, "b");
    mesh(&mut rooms, "c");
    let all = rooms.chat("a", "hi", None, None, 0).unwrap();
    assert_eq!(
        all.iter().map(|d| d.to.as_str()).collect::<Vec<_>>(),
        vec!["b", "c"]
    );
    let line = |private| ServerMessage::Chat {
        from: "a".into(),
        text: "psst".into(),
        private,
        id: Some("a-1".into()),
        name: "A".into(),
        sent_at: 1_700,
    };
    // With an id, the sender gets its line back: the confirmation.
    let one = rooms
        .chat("a", "psst", Some("c"), Some("a-1"), 1_700)
        .unwrap();
    assert_eq!(
        one,
        vec![
            Delivery::new("c", line(true)),
            Delivery::new("a", line(true))
        ]
    );
    let all = rooms.chat("a", "hi", None, Some("a-2"), 0).unwrap();
    assert_eq!(
        all.iter().map(|d| d.to.as_str()).collect::<Vec<_>>(),
        vec!["b", "c", "a"]
    );
    let mut mute = member("m", Role::Guest);
    mute.grants.chat = false;
    rooms.join("demo", RoomMode::Mesh, 16, mute).unwrap();
    assert_eq!(
        rooms.chat("m", "hi", None, None, 0).unwrap_err().code,
        ErrorCode::Forbidden
    );
}

#[test]
fn recording_needs_the_record_grant_and_tells_everyone() {
    let mut rooms = Rooms::default();
    rooms
        .join("r", RoomMode::Mesh, 16, member("h", Role::Host))
        .unwrap();
    rooms
        .join("r", RoomMode::Mesh, 16, member("g", Role::Guest))
        .unwrap();
    assert_eq!(
        rooms.recording("g", true).unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(rooms.recording("h", true).unwrap().len(), 2);
}

#[test]
fn remove_room_returns_members_and_forgets_them() {
    let mut rooms = Rooms::default();
    mesh(&mut rooms, "a");
    mesh(&mut rooms, "b");
    assert_eq!(rooms.remove_room("demo").len(), 2);
    assert_eq!((rooms.room_count(), rooms.peer_count()), (0, 0));
    assert!(rooms.room_of("a").is_none());
}

#[test]
fn a_listener_may_not_answer_with_media_it_would_send() {
    let recv = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=inactive\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n";
    let send = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n";
    let implicit = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n";
    assert!(!sends_media(recv));
    assert!(sends_media(send));
    assert!(sends_media(implicit), "no direction is sendrecv");
    let mut rooms = Rooms::default();
    rooms
        .join("demo", RoomMode::Mesh, 16, member("h", Role::Host))
        .unwrap();
    rooms
        .join("demo", RoomMode::Mesh, 16, member("l", Role::Listener))
        .unwrap();
    let answer = |sdp: &str| json!({"kind": "answer", "sdp": sdp});
    assert!(rooms.signal("l", "h", answer(recv)).is_ok());
    assert_eq!(
        rooms.signal("l", "h", answer(send)).unwrap_err().code,
        ErrorCode::Forbidden
    );
    // A publisher's answer may send, of course.
    assert!(rooms.signal("h", "l", answer(send)).is_ok());
}
