//! One visibility rule for every message that names a peer: `signal`, `chat` to one
//! peer and `report` about one peer may only name a member of your room that you can
//! see (in broadcast rooms, listeners do not see each other), never yourself.

mod common;

use std::time::Duration;

use common::{api_auth, create_room, http, identity, token, TestServer};
use serde_json::{json, Value};
use steadyrtc_protocol::{ClientMessage, ErrorCode, Report, Role, PROTOCOL_VERSION};

fn join_as(room: &str, name: &str, role: Role) -> ClientMessage {
    ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: room.into(),
        name: name.into(),
        token: Some(token(room, &identity(), role)),
    }
}

fn report_about(peer: &str, quality: u8) -> ClientMessage {
    ClientMessage::Report(Report {
        peer_id: Some(peer.into()),
        connection_state: Some("connected".into()),
        quality: Some(quality),
        ..Report::default()
    })
}

/// The `reports` object of `peer` in the room's diagnostics.
async fn reports_of(server: &TestServer, room: &str, peer: &str) -> Value {
    let auth = api_auth();
    let path = format!("/api/rooms/{room}/diagnostics");
    let body = http(server.addr, "GET", &path, &[("Authorization", &auth)], None)
        .await
        .json();
    body["participants"]
        .as_array()
        .and_then(|all| all.iter().find(|p| p["peerId"] == peer))
        .map(|p| p["reports"].clone())
        .unwrap_or_else(|| panic!("{peer} not in {body}"))
}

#[tokio::test]
async fn a_listener_cannot_report_signal_or_chat_about_another_listener() {
    let server = TestServer::start(|_| {}).await;
    create_room(server.addr, &json!({"name": "talk", "mode": "broadcast"})).await;
    let mut host = server.client().await;
    let (host_id, _, _) = host.join_with(&join_as("talk", "Guide", Role::Host)).await;
    let mut l1 = server.client().await;
    let (l1_id, _, _) = l1.join_with(&join_as("talk", "L1", Role::Listener)).await;
    let mut l2 = server.client().await;
    let (l2_id, _, _) = l2.join_with(&join_as("talk", "L2", Role::Listener)).await;

    l1.send(&report_about(&l2_id, 10)).await;
    l1.expect_error(ErrorCode::UnknownPeer).await;
    l1.signal(&l2_id, json!({"kind": "answer", "sdp": ""}))
        .await;
    l1.expect_error(ErrorCode::UnknownPeer).await;
    l1.send(&ClientMessage::Chat {
        text: "psst".into(),
        to: Some(l2_id.clone()),
        id: None,
    })
    .await;
    l1.expect_error(ErrorCode::UnknownPeer).await;
    // Naming yourself is refused the same way (omit peerId to report about yourself).
    l1.send(&report_about(&l1_id, 20)).await;
    l1.expect_error(ErrorCode::UnknownPeer).await;
    l2.expect_silence(Duration::from_millis(100)).await;

    // About the host, whom the listener sees: accepted and stored.
    l1.send(&report_about(&host_id, 77)).await;
    l1.send(&ClientMessage::Report(Report {
        quality: Some(66),
        ..Report::default()
    }))
    .await;
    let reports = common::within("the report in diagnostics", async {
        loop {
            let reports = reports_of(&server, "talk", &l1_id).await;
            if reports[&host_id]["quality"] == 77 && reports[""]["quality"] == 66 {
                return reports;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let keys: Vec<&String> = reports.as_object().unwrap().keys().collect();
    assert_eq!(
        keys.len(),
        2,
        "only the accepted reports are stored: {reports}"
    );
    assert!(reports.get(&l2_id).is_none() && reports.get(&l1_id).is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn a_report_about_a_peer_of_another_room_is_unknown_peer() {
    let server = TestServer::start(|_| {}).await;
    let mut ada = server.client().await;
    ada.join("one", "Ada").await;
    let mut bo = server.client().await;
    let (bo_id, _) = bo.join("two", "Bo").await;
    ada.send(&report_about(&bo_id, 50)).await;
    ada.expect_error(ErrorCode::UnknownPeer).await;
    ada.send(&report_about("nobody-at-all", 50)).await;
    ada.expect_error(ErrorCode::UnknownPeer).await;
    server.shutdown().await;
}
