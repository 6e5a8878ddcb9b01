//! The match queue (issue points 4 and 5): pairing with polite/impolite, `queueNext`,
//! no self-match, no immediate re-match, clean `queueLeave`.

mod common;

use std::time::Duration;

use common::{token, Client, TestServer};
use serde_json::json;
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, LeaveReason, MatchPrefs, Role, ServerMessage, PROTOCOL_VERSION,
};

const QUIET: Duration = Duration::from_millis(200);

async fn queue(server: &TestServer, identity: &str, tags: &[&str]) -> (Client, String) {
    let mut c = server.client().await;
    c.send(&ClientMessage::QueueJoin {
        protocol_version: PROTOCOL_VERSION,
        name: identity.to_uppercase(),
        token: token("lobby", identity, Role::Guest),
        prefs: MatchPrefs {
            tags: tags.iter().map(|t| t.to_string()).collect(),
            language: None,
        },
    })
    .await;
    let id = match c.recv().await {
        ServerMessage::Welcome {
            peer_id,
            room,
            peers,
            ..
        } => {
            assert_eq!((room.as_str(), peers.len()), ("lobby", 0));
            peer_id
        }
        other => panic!("expected welcome, got {other:?}"),
    };
    (c, id)
}

async fn matched(c: &mut Client) -> (String, String, bool) {
    match c.recv().await {
        ServerMessage::Matched { room, peer, polite } => {
            assert_eq!(peer.polite, polite);
            (room, peer.id, polite)
        }
        other => panic!("expected matched, got {other:?}"),
    }
}

#[tokio::test]
async fn two_compatible_people_are_matched_the_later_one_polite_and_can_signal() {
    let server = TestServer::start(|_| {}).await;
    let (mut a, a_id) = queue(&server, "ann", &["chess"]).await;
    assert_eq!(a.recv().await, ServerMessage::Queued { position: 1 });
    let (mut other, _) = queue(&server, "oli", &["golf"]).await;
    assert_eq!(
        other.recv().await,
        ServerMessage::Queued { position: 2 },
        "no shared tag: second in line"
    );
    let (mut b, b_id) = queue(&server, "ben", &["chess", "go"]).await;
    let (room_b, peer_b, polite_b) = matched(&mut b).await;
    let (room_a, peer_a, polite_a) = matched(&mut a).await;
    assert_eq!(room_a, room_b);
    assert!(room_a.starts_with("match-"));
    assert_eq!(
        (peer_a.as_str(), peer_b.as_str()),
        (b_id.as_str(), a_id.as_str())
    );
    assert_eq!(
        (polite_a, polite_b),
        (false, true),
        "the later one is polite"
    );

    a.signal(&b_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    assert!(matches!(b.recv().await, ServerMessage::Signal { from, .. } if from == a_id));
    assert_eq!(
        other.recv().await,
        ServerMessage::Queued { position: 1 },
        "ann left the line: oli moves up"
    );
    other.expect_silence(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn never_a_self_match_even_from_two_connections() {
    let server = TestServer::start(|_| {}).await;
    let (mut a1, _) = queue(&server, "same", &[]).await;
    let (mut a2, _) = queue(&server, "same", &[]).await;
    assert_eq!(a1.recv().await, ServerMessage::Queued { position: 1 });
    assert_eq!(a2.recv().await, ServerMessage::Queued { position: 2 });
    server.shutdown().await;
}

#[tokio::test]
async fn queue_next_ends_the_match_and_does_not_rematch_the_partner_just_left() {
    let server = TestServer::start(|_| {}).await;
    let (mut a, a_id) = queue(&server, "ann", &[]).await;
    assert_eq!(a.recv().await, ServerMessage::Queued { position: 1 });
    let (mut b, b_id) = queue(&server, "ben", &[]).await;
    matched(&mut b).await;
    matched(&mut a).await;

    a.send(&ClientMessage::QueueNext {}).await;
    assert_eq!(
        b.recv().await,
        ServerMessage::PeerLeft {
            peer_id: a_id.clone(),
            reason: LeaveReason::Left
        }
    );
    assert_eq!(a.recv().await, ServerMessage::Queued { position: 1 });
    b.send(&ClientMessage::QueueNext {}).await;
    assert_eq!(
        b.recv().await,
        ServerMessage::Queued { position: 2 },
        "ann was just left: not again"
    );

    let (mut c, c_id) = queue(&server, "cat", &[]).await;
    let (_, partner, _) = matched(&mut c).await;
    assert_eq!(partner, a_id, "first come, first served");
    let (_, partner, _) = matched(&mut a).await;
    assert_eq!(partner, c_id);
    assert_eq!(b.recv().await, ServerMessage::Queued { position: 1 });
    let _ = b_id;
    server.shutdown().await;
}

#[tokio::test]
async fn queue_leave_is_clean_and_queue_messages_need_a_queue_session() {
    let server = TestServer::start(|_| {}).await;
    let (mut a, _) = queue(&server, "ann", &[]).await;
    assert_eq!(a.recv().await, ServerMessage::Queued { position: 1 });
    a.send(&ClientMessage::QueueLeave {}).await;
    let (mut b, _) = queue(&server, "ben", &[]).await;
    assert_eq!(
        b.recv().await,
        ServerMessage::Queued { position: 1 },
        "ann left the queue"
    );
    a.expect_silence(QUIET).await;

    let mut plain = server.client().await;
    plain.join("demo", "Plain").await;
    plain.send(&ClientMessage::QueueNext {}).await;
    plain.expect_error(ErrorCode::NotQueued).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_disconnected_queued_session_leaves_the_queue() {
    let server = TestServer::start(|_| {}).await;
    let (mut a, _) = queue(&server, "ann", &[]).await;
    assert_eq!(a.recv().await, ServerMessage::Queued { position: 1 });
    a.close().await;
    let metrics_has_empty_queue = async {
        loop {
            let text =
                String::from_utf8(common::http_get(server.addr, "/metrics").await.body).unwrap();
            if text.lines().any(|l| l == "steadyrtc_queue_length 0") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    common::within("the queue to empty", metrics_has_empty_queue).await;
    let (mut b, _) = queue(&server, "ben", &[]).await;
    assert_eq!(b.recv().await, ServerMessage::Queued { position: 1 });
    server.shutdown().await;
}

#[tokio::test]
async fn positions_move_up_when_someone_ahead_leaves_the_line() {
    let server = TestServer::start(|_| {}).await;
    let (mut a, _) = queue(&server, "ann", &["x"]).await;
    assert_eq!(a.recv().await, ServerMessage::Queued { position: 1 });
    let (mut b, _) = queue(&server, "ben", &["y"]).await;
    assert_eq!(b.recv().await, ServerMessage::Queued { position: 2 });
    let (mut c, _) = queue(&server, "cat", &["z"]).await;
    assert_eq!(c.recv().await, ServerMessage::Queued { position: 3 });

    a.send(&ClientMessage::QueueLeave {}).await;
    assert_eq!(b.recv().await, ServerMessage::Queued { position: 1 });
    assert_eq!(c.recv().await, ServerMessage::Queued { position: 2 });
    a.expect_silence(QUIET).await;

    // The last in line leaving moves nobody.
    c.close().await;
    b.expect_silence(QUIET).await;
    server.shutdown().await;
}
