//! `endRoom`: a host ends its room for everyone; nobody else may.

mod common;

use std::time::Duration;

use common::{identity, token, Client, TestServer};
use steadyrtc_protocol::{ClientMessage, ErrorCode, Role, ServerMessage, PROTOCOL_VERSION};

const QUIET: Duration = Duration::from_millis(150);

async fn join_as(
    server: &TestServer,
    room: &str,
    name: &str,
    role: Role,
) -> (Client, String, String) {
    let mut c = server.client().await;
    let (id, _, session) = c
        .join_with(&ClientMessage::Join {
            protocol_version: PROTOCOL_VERSION,
            room: room.into(),
            name: name.into(),
            token: Some(token(room, &identity(), role)),
        })
        .await;
    (c, id, session)
}

fn ended_by(room: &str, host: &str) -> ServerMessage {
    ServerMessage::RoomEnded {
        room: room.into(),
        reason: "endedByHost".into(),
        by: Some(host.into()),
    }
}

#[tokio::test]
async fn a_host_ends_the_room_for_everyone_itself_included_and_the_sessions_are_gone() {
    let server = TestServer::start(|_| {}).await;
    let (mut host, host_id, _) = join_as(&server, "standup", "Ada", Role::Host).await;
    let (mut guest, _, guest_session) = join_as(&server, "standup", "Bo", Role::Guest).await;
    assert!(matches!(
        host.recv().await,
        ServerMessage::PeerJoined { .. }
    ));
    assert_eq!(common::room_and_peer_counts(server.addr).await, (1, 2));

    host.send(&ClientMessage::EndRoom {}).await;
    for client in [&mut host, &mut guest] {
        assert_eq!(client.recv().await, ended_by("standup", &host_id));
        assert_eq!(
            client.expect_closed().await.map(|f| u16::from(f.code)),
            Some(1000)
        );
    }
    assert_eq!(common::room_and_peer_counts(server.addr).await, (0, 0));

    // The guest's session cannot be resumed into the ended room...
    let mut again = server.client().await;
    again
        .send(&ClientMessage::Resume {
            protocol_version: PROTOCOL_VERSION,
            session_id: guest_session,
            last_seq: 1,
        })
        .await;
    again.expect_error(ErrorCode::UnknownSession).await;
    // ...but the room's name may be joined again, as a new room.
    let (id, peers) = again.join("standup", "Bo").await;
    assert!(!id.is_empty());
    assert!(peers.is_empty(), "the new room starts empty: {peers:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn only_a_host_may_end_the_room_and_a_refusal_changes_nothing() {
    let server = TestServer::start(|_| {}).await;
    let (mut host, _, _) = join_as(&server, "standup", "Ada", Role::Host).await;
    let (mut guest, _, _) = join_as(&server, "standup", "Bo", Role::Guest).await;
    assert!(matches!(
        host.recv().await,
        ServerMessage::PeerJoined { .. }
    ));

    guest.send(&ClientMessage::EndRoom {}).await;
    let why = guest.expect_error(ErrorCode::Forbidden).await;
    assert!(why.contains("admin"), "{why}");
    host.expect_silence(QUIET).await;
    guest.expect_silence(QUIET).await;
    assert_eq!(common::room_and_peer_counts(server.addr).await, (1, 2));

    // Before joining there is no room to end.
    let mut stranger = server.client().await;
    stranger.send(&ClientMessage::EndRoom {}).await;
    stranger.expect_error(ErrorCode::NotJoined).await;
    server.shutdown().await;
}
