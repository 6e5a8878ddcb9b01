//! One identity, one session per room (`--one-session-per-identity`, on by default): a
//! second `join` with the same identity in the same room replaces the first session.

mod common;

use std::time::Duration;

use common::{room_and_peer_counts, token, TestServer};
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, LeaveReason, Role, ServerMessage, PROTOCOL_VERSION,
};

fn join_as(room: &str, name: &str, identity: &str) -> ClientMessage {
    ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: room.into(),
        name: name.into(),
        token: Some(token(room, identity, Role::Guest)),
    }
}

#[tokio::test]
async fn a_second_join_of_the_same_identity_replaces_the_first_session() {
    let server = TestServer::start(|_| {}).await;
    let mut cy = server.client().await;
    cy.join_with(&join_as("demo", "Cy", "cy")).await;
    let mut old = server.client().await;
    let (old_id, _, old_session) = old.join_with(&join_as("demo", "Bo", "bo")).await;
    assert!(matches!(cy.recv().await, ServerMessage::PeerJoined { peer } if peer.id == old_id));

    let mut new = server.client().await;
    let (new_id, peers, _) = new.join_with(&join_as("demo", "Bo", "bo")).await;
    assert_ne!(new_id, old_id);
    assert_eq!(
        peers.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        vec!["Cy"],
        "the replaced session is not listed"
    );

    // The old connection is told why, then closed with 1008 (do not reconnect).
    old.expect_error(ErrorCode::DuplicateIdentity).await;
    let frame = old.expect_closed().await.expect("a close frame");
    assert_eq!(u16::from(frame.code), 1008);
    assert_eq!(frame.reason.as_str(), "session replaced");

    // The others see the old one leave, then the new one join, in that order.
    assert_eq!(
        cy.recv().await,
        ServerMessage::PeerLeft {
            peer_id: old_id.clone(),
            reason: LeaveReason::Disconnected
        }
    );
    assert!(matches!(cy.recv().await, ServerMessage::PeerJoined { peer } if peer.id == new_id));
    assert_eq!(room_and_peer_counts(server.addr).await, (1, 2));

    // The old session is gone for good.
    let mut again = server.client().await;
    again
        .send(&ClientMessage::Resume {
            protocol_version: PROTOCOL_VERSION,
            session_id: old_session,
            last_seq: 0,
        })
        .await;
    again.expect_error(ErrorCode::UnknownSession).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_detached_session_waiting_for_resume_is_replaced_too() {
    let server = TestServer::start(|c| c.resume_window_ms = 10_000).await;
    let mut cy = server.client().await;
    cy.join_with(&join_as("demo", "Cy", "cy")).await;
    let mut old = server.client().await;
    let (old_id, _, old_session) = old.join_with(&join_as("demo", "Bo", "bo")).await;
    cy.recv().await; // peerJoined
    old.close().await;
    cy.expect_silence(Duration::from_millis(200)).await; // waiting for resume

    // As the browser client does after a refused resume or a server restart: join again
    // with the same token's identity.
    let mut new = server.client().await;
    let (new_id, _, _) = new.join_with(&join_as("demo", "Bo", "bo")).await;
    assert_eq!(
        cy.recv().await,
        ServerMessage::PeerLeft {
            peer_id: old_id,
            reason: LeaveReason::Disconnected
        }
    );
    assert!(matches!(cy.recv().await, ServerMessage::PeerJoined { peer } if peer.id == new_id));
    let mut again = server.client().await;
    again
        .send(&ClientMessage::Resume {
            protocol_version: PROTOCOL_VERSION,
            session_id: old_session,
            last_seq: 0,
        })
        .await;
    again.expect_error(ErrorCode::UnknownSession).await;
    server.shutdown().await;
}

#[tokio::test]
async fn replacing_frees_the_seat_of_a_full_room() {
    let server = TestServer::start(|c| c.max_peers_per_room = 2).await;
    let mut ada = server.client().await;
    ada.join_with(&join_as("demo", "Ada", "ada")).await;
    let mut old = server.client().await;
    old.join_with(&join_as("demo", "Bo", "bo")).await;
    let mut stranger = server.client().await;
    stranger.send(&join_as("demo", "Eve", "eve")).await;
    stranger.expect_error(ErrorCode::RoomFull).await;
    let mut new = server.client().await;
    new.join_with(&join_as("demo", "Bo", "bo")).await;
    old.expect_error(ErrorCode::DuplicateIdentity).await;
    assert_eq!(room_and_peer_counts(server.addr).await, (1, 2));
    server.shutdown().await;
}

#[tokio::test]
async fn the_same_identity_in_another_room_or_with_the_option_off_is_left_alone() {
    let server = TestServer::start(|_| {}).await;
    let mut one = server.client().await;
    one.join_with(&join_as("one", "Bo", "bo")).await;
    let mut two = server.client().await;
    two.join_with(&join_as("two", "Bo", "bo")).await;
    one.expect_silence(Duration::from_millis(200)).await;
    assert_eq!(room_and_peer_counts(server.addr).await, (2, 2));
    server.shutdown().await;

    let server = TestServer::start(|c| c.one_session_per_identity = false).await;
    let mut first = server.client().await;
    let (first_id, _, _) = first.join_with(&join_as("demo", "Bo", "bo")).await;
    let mut second = server.client().await;
    let (_, peers, _) = second.join_with(&join_as("demo", "Bo", "bo")).await;
    assert_eq!(peers.len(), 1);
    assert_eq!(peers[0].id, first_id);
    assert!(matches!(
        first.recv().await,
        ServerMessage::PeerJoined { .. }
    ));
    assert_eq!(room_and_peer_counts(server.addr).await, (1, 2));
    server.shutdown().await;
}
