//! The rooms API (issue point 2): create with options, read, delete (participants are
//! told why), and the modes: broadcast visibility, max participants, match-only rooms.
//! Each runs against the memory store and the Redis store, except the empty-room timeout
//! (here on one instance; across instances in `cluster.rs`).

mod common;

use common::{api_auth, http, identity, token, Backend, TestServer};
use serde_json::json;
use steadyrtc_protocol::{ClientMessage, ErrorCode, Role, ServerMessage, PROTOCOL_VERSION};

fn join_as(room: &str, name: &str, role: Role) -> ClientMessage {
    ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: room.into(),
        name: name.into(),
        token: Some(token(room, &identity(), role)),
    }
}

on_both_stores!(
    rooms_are_created_read_and_deleted_with_the_api_key_only,
    max_participants_of_a_created_room_is_enforced,
    broadcast_listeners_see_the_host_but_not_each_other,
    join_to_a_match_room_is_wrong_mode_and_unknown_rooms_can_be_required,
);

async fn create(server: &TestServer, body: serde_json::Value) -> common::HttpResponse {
    let auth = api_auth();
    http(
        server.addr,
        "POST",
        "/api/rooms",
        &[("Authorization", &auth)],
        Some(&body.to_string()),
    )
    .await
}

async fn rooms_are_created_read_and_deleted_with_the_api_key_only(backend: Backend) {
    let server = TestServer::start_with(backend, |_| {}).await;
    let auth = api_auth();
    let anon = http(
        server.addr,
        "POST",
        "/api/rooms",
        &[],
        Some(r#"{"name":"r1"}"#),
    )
    .await;
    assert_eq!(anon.status, 401);

    let created = create(
        &server,
        json!({"name": "r1", "mode": "mesh", "maxParticipants": 3, "emptyTimeoutSecs": 60}),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.json()["maxParticipants"], 3);
    assert_eq!(create(&server, json!({"name": "r1"})).await.status, 409);
    assert_eq!(
        create(&server, json!({"name": "bad name"})).await.status,
        400
    );
    assert_eq!(
        create(&server, json!({"name": "r2", "mode": "karaoke"}))
            .await
            .status,
        400
    );

    let mut ada = server.client().await;
    let (ada_id, _, _) = ada.join_with(&join_as("r1", "Ada", Role::Guest)).await;
    let room = http(
        server.addr,
        "GET",
        "/api/rooms/r1",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(room.status, 200);
    let body = room.json();
    assert_eq!(
        (
            body["mode"].clone(),
            body["participants"][0]["peerId"].clone()
        ),
        (json!("mesh"), json!(ada_id))
    );
    assert_eq!(
        http(
            server.addr,
            "GET",
            "/api/rooms/nope",
            &[("Authorization", &auth)],
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        http(server.addr, "GET", "/api/rooms/r1", &[], None)
            .await
            .status,
        401
    );

    let deleted = http(
        server.addr,
        "DELETE",
        "/api/rooms/r1",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(
        ada.recv().await,
        ServerMessage::RoomEnded {
            room: "r1".into(),
            reason: "deleted".into(),
            by: None,
        }
    );
    assert_eq!(
        ada.expect_closed().await.map(|f| u16::from(f.code)),
        Some(1000)
    );
    assert_eq!(common::room_and_peer_counts(server.addr).await, (0, 0));
    assert_eq!(
        http(
            server.addr,
            "DELETE",
            "/api/rooms/r1",
            &[("Authorization", &auth)],
            None
        )
        .await
        .status,
        404
    );
    server.shutdown().await;
}

async fn max_participants_of_a_created_room_is_enforced(backend: Backend) {
    let server = TestServer::start_with(backend, |_| {}).await;
    assert_eq!(
        create(&server, json!({"name": "duo", "maxParticipants": 2}))
            .await
            .status,
        201
    );
    let mut a = server.client().await;
    let mut b = server.client().await;
    let mut c = server.client().await;
    a.join_with(&join_as("duo", "A", Role::Guest)).await;
    b.join_with(&join_as("duo", "B", Role::Guest)).await;
    c.send(&join_as("duo", "C", Role::Guest)).await;
    c.expect_error(ErrorCode::RoomFull).await;
    server.shutdown().await;
}

async fn broadcast_listeners_see_the_host_but_not_each_other(backend: Backend) {
    let server = TestServer::start_with(backend, |_| {}).await;
    assert_eq!(
        create(&server, json!({"name": "talk", "mode": "broadcast"}))
            .await
            .status,
        201
    );
    let mut host = server.client().await;
    let (host_id, _, _) = host.join_with(&join_as("talk", "Guide", Role::Host)).await;
    let mut l1 = server.client().await;
    let (l1_id, peers, _) = l1.join_with(&join_as("talk", "L1", Role::Listener)).await;
    assert_eq!(
        peers.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        vec![host_id.as_str()]
    );
    let mut l2 = server.client().await;
    let (_, peers, _) = l2.join_with(&join_as("talk", "L2", Role::Listener)).await;
    assert_eq!(peers.len(), 1, "l2 does not see l1");
    assert!(matches!(
        host.recv().await,
        ServerMessage::PeerJoined { .. }
    ));
    assert!(matches!(
        host.recv().await,
        ServerMessage::PeerJoined { .. }
    ));
    l1.expect_silence(std::time::Duration::from_millis(200))
        .await;
    l2.signal(&l1_id, json!({"kind": "answer"})).await;
    l2.expect_error(ErrorCode::UnknownPeer).await;
    server.shutdown().await;
}

async fn join_to_a_match_room_is_wrong_mode_and_unknown_rooms_can_be_required(backend: Backend) {
    let server = TestServer::start_with(backend, |c| c.auto_create_rooms = false).await;
    assert_eq!(
        create(&server, json!({"name": "lobby", "mode": "match"}))
            .await
            .status,
        201
    );
    let mut c = server.client().await;
    c.send(&join_as("lobby", "A", Role::Guest)).await;
    c.expect_error(ErrorCode::WrongMode).await;
    c.send(&join_as("nowhere", "A", Role::Guest)).await;
    c.expect_error(ErrorCode::RoomNotFound).await;
    server.shutdown().await;
}

#[tokio::test]
async fn an_empty_room_is_removed_after_its_empty_timeout() {
    let server = TestServer::start(|_| {}).await;
    let auth = api_auth();
    assert_eq!(
        create(&server, json!({"name": "brief", "emptyTimeoutSecs": 1}))
            .await
            .status,
        201
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(4);
    loop {
        let status = http(
            server.addr,
            "GET",
            "/api/rooms/brief",
            &[("Authorization", &auth)],
            None,
        )
        .await
        .status;
        if status == 404 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "room still there after 4 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.shutdown().await;
}
