//! Broadcast rooms with a floor: a host promotes a listener to publish and demotes it
//! again; the room's visibility follows (listeners see publishers only); listeners raise
//! their hand to the hosts.

mod common;

use std::time::Duration;

use common::{create_room, identity, token, Client, TestServer};
use serde_json::json;
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, LeaveReason, PeerInfo, Role, ServerMessage, PROTOCOL_VERSION,
};

const QUIET: Duration = Duration::from_millis(150);

async fn join_as(server: &TestServer, name: &str, role: Role) -> (Client, String) {
    let mut c = server.client().await;
    let (id, _, _) = c
        .join_with(&ClientMessage::Join {
            protocol_version: PROTOCOL_VERSION,
            room: "stage".into(),
            name: name.into(),
            token: Some(token("stage", &identity(), role)),
        })
        .await;
    (c, id)
}

/// A broadcast room with a host and two listeners, the host's `peerJoined`s read.
async fn stage(server: &TestServer) -> [(Client, String); 3] {
    create_room(server.addr, &json!({"name": "stage", "mode": "broadcast"})).await;
    let (mut host, host_id) = join_as(server, "Guide", Role::Host).await;
    let l1 = join_as(server, "L1", Role::Listener).await;
    let l2 = join_as(server, "L2", Role::Listener).await;
    for _ in 0..2 {
        assert!(matches!(
            host.recv().await,
            ServerMessage::PeerJoined { .. }
        ));
    }
    [(host, host_id), l1, l2]
}

fn role_changed(peer: &str, role: Role, by: &str) -> ServerMessage {
    ServerMessage::RoleChanged {
        peer_id: peer.into(),
        role,
        grants: role.default_grants(),
        by: by.into(),
    }
}

#[tokio::test]
async fn a_promoted_listener_publishes_and_meets_the_other_listeners_until_demoted() {
    let server = TestServer::start(|_| {}).await;
    let [(mut host, host_id), (mut l1, l1_id), (mut l2, l2_id)] = stage(&server).await;

    host.send(&ClientMessage::Promote {
        peer_id: l1_id.clone(),
    })
    .await;
    assert_eq!(l1.recv().await, role_changed(&l1_id, Role::Guest, &host_id));
    assert_eq!(
        l1.recv().await,
        ServerMessage::PeerJoined {
            peer: PeerInfo {
                id: l2_id.clone(),
                name: "L2".into(),
                role: Role::Listener,
                polite: false,
            }
        },
        "l1 joined first: impolite towards l2"
    );
    assert_eq!(
        host.recv().await,
        role_changed(&l1_id, Role::Guest, &host_id)
    );
    assert_eq!(
        l2.recv().await,
        ServerMessage::PeerJoined {
            peer: PeerInfo {
                id: l1_id.clone(),
                name: "L1".into(),
                role: Role::Guest,
                polite: true,
            }
        }
    );
    // Now l1 may offer, to the host and to l2.
    l1.signal(&l2_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    assert!(matches!(l2.recv().await, ServerMessage::Signal { from, .. } if from == l1_id));
    l1.signal(&host_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    assert!(matches!(host.recv().await, ServerMessage::Signal { from, .. } if from == l1_id));

    host.send(&ClientMessage::Demote {
        peer_id: l1_id.clone(),
    })
    .await;
    assert_eq!(
        l1.recv().await,
        role_changed(&l1_id, Role::Listener, &host_id)
    );
    let left = |id: &str| ServerMessage::PeerLeft {
        peer_id: id.into(),
        reason: LeaveReason::Left,
    };
    assert_eq!(l1.recv().await, left(&l2_id));
    assert_eq!(l2.recv().await, left(&l1_id));
    assert_eq!(
        host.recv().await,
        role_changed(&l1_id, Role::Listener, &host_id)
    );
    l1.signal(&host_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    l1.expect_error(ErrorCode::Forbidden).await;
    l2.expect_silence(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn only_an_admin_promotes_and_never_itself_a_host_or_a_stranger() {
    let server = TestServer::start(|_| {}).await;
    let [(mut host, host_id), (mut l1, l1_id), (mut l2, l2_id)] = stage(&server).await;
    l1.send(&ClientMessage::Promote {
        peer_id: l1_id.clone(),
    })
    .await;
    l1.expect_error(ErrorCode::Forbidden).await;
    l1.send(&ClientMessage::Promote {
        peer_id: l2_id.clone(),
    })
    .await;
    l1.expect_error(ErrorCode::Forbidden).await;
    host.send(&ClientMessage::Promote {
        peer_id: host_id.clone(),
    })
    .await;
    host.expect_error(ErrorCode::InvalidMessage).await;
    host.send(&ClientMessage::Demote {
        peer_id: "nobody".into(),
    })
    .await;
    host.expect_error(ErrorCode::UnknownPeer).await;
    l2.expect_silence(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_raised_hand_reaches_the_hosts_only() {
    let server = TestServer::start(|_| {}).await;
    let [(mut host, _), (mut l1, l1_id), (mut l2, _)] = stage(&server).await;
    l1.send(&ClientMessage::RaiseHand { raised: true }).await;
    assert_eq!(
        host.recv().await,
        ServerMessage::HandRaised {
            peer_id: l1_id.clone(),
            name: "L1".into(),
            raised: true,
        }
    );
    l1.send(&ClientMessage::RaiseHand { raised: false }).await;
    assert_eq!(
        host.recv().await,
        ServerMessage::HandRaised {
            peer_id: l1_id,
            name: "L1".into(),
            raised: false,
        }
    );
    l2.expect_silence(QUIET).await;
    l1.expect_silence(QUIET).await;
    server.shutdown().await;
}
