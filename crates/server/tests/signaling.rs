//! The signaling flow over real WebSockets: join, relay, leave, disconnect, limits.

mod common;

use std::time::Duration;

use common::{guest, join_message, Received, TestServer};
use serde_json::json;
use steadyrtc_protocol::{ClientMessage, ErrorCode, LeaveReason, ServerMessage, PROTOCOL_VERSION};

const QUIET: Duration = Duration::from_millis(300);

#[tokio::test]
async fn join_welcomes_with_present_peers_and_announces_the_newcomer() {
    let server = TestServer::start(|_| {}).await;
    let mut ada = server.client().await;
    let mut bo = server.client().await;
    let mut cy = server.client().await;

    let (ada_id, peers) = ada.join("demo", "Ada").await;
    assert!(peers.is_empty());
    let (bo_id, peers) = bo.join("demo", "Bo").await;
    assert_eq!(
        peers,
        vec![guest(&ada_id, "Ada", true)],
        "the newcomer is polite"
    );
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerJoined {
            peer: guest(&bo_id, "Bo", false)
        },
        "the one already there is impolite"
    );
    let (cy_id, peers) = cy.join("demo", "Cy").await;
    assert_eq!(
        peers,
        vec![guest(&ada_id, "Ada", true), guest(&bo_id, "Bo", true)],
        "welcome lists the others in join order"
    );
    let cy_joined = ServerMessage::PeerJoined {
        peer: guest(&cy_id, "Cy", false),
    };
    assert_eq!(ada.recv().await, cy_joined);
    assert_eq!(bo.recv().await, cy_joined);

    for id in [&ada_id, &bo_id, &cy_id] {
        assert_eq!(id.len(), 16, "{id}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id}");
    }
    assert!(ada_id != bo_id && bo_id != cy_id && ada_id != cy_id);
    server.shutdown().await;
}

#[tokio::test]
async fn signal_is_relayed_with_the_sender_id_and_data_untouched() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, ada_id, mut bo, bo_id) = server.pair("Ada", "Bo").await;

    let offer = json!({"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"});
    ada.signal(&bo_id, offer.clone()).await;
    assert_eq!(
        bo.recv().await,
        ServerMessage::Signal {
            from: ada_id.clone(),
            data: offer
        }
    );

    let candidate = json!({"kind": "candidate", "candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0});
    bo.signal(&ada_id, candidate.clone()).await;
    assert_eq!(
        ada.recv().await,
        ServerMessage::Signal {
            from: bo_id,
            data: candidate
        }
    );
    ada.expect_silence(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn signal_cannot_reach_a_peer_in_another_room() {
    let server = TestServer::start(|_| {}).await;
    let mut ada = server.client().await;
    let mut eve = server.client().await;
    let (ada_id, _) = ada.join("private", "Ada").await;
    let (eve_id, _) = eve.join("elsewhere", "Eve").await;

    eve.signal(&ada_id, json!({"kind": "offer", "sdp": "evil"}))
        .await;
    eve.expect_error(ErrorCode::UnknownPeer).await;
    ada.signal(&eve_id, json!({"kind": "offer", "sdp": "oops"}))
        .await;
    ada.expect_error(ErrorCode::UnknownPeer).await;
    eve.signal("made-up-peer-id", json!({})).await;
    eve.expect_error(ErrorCode::UnknownPeer).await;

    ada.expect_silence(QUIET).await;
    eve.expect_silence(QUIET).await;
    server.shutdown().await;
}

#[tokio::test]
async fn closing_the_socket_without_leave_reports_disconnected() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, bo, bo_id) = server.pair("Ada", "Bo").await;
    bo.close().await;
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerLeft {
            peer_id: bo_id,
            reason: LeaveReason::Disconnected
        }
    );
    server.shutdown().await;
}

#[tokio::test]
async fn dropping_the_tcp_connection_reports_disconnected() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, bo, bo_id) = server.pair("Ada", "Bo").await;
    drop(bo); // no close handshake
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerLeft {
            peer_id: bo_id,
            reason: LeaveReason::Disconnected
        }
    );
    server.shutdown().await;
}

#[tokio::test]
async fn leave_reports_left_and_the_socket_can_join_again() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, mut bo, bo_id) = server.pair("Ada", "Bo").await;

    bo.send(&ClientMessage::Leave {}).await;
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerLeft {
            peer_id: bo_id.clone(),
            reason: LeaveReason::Left
        }
    );

    bo.signal("anyone", json!({})).await;
    bo.expect_error(ErrorCode::NotJoined).await;

    let (bo_again, peers) = bo.join("demo", "Bo").await;
    assert_ne!(bo_again, bo_id, "a new join gets a new id");
    assert_eq!(peers.len(), 1);
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { peer } if peer.id == bo_again));
    server.shutdown().await;
}

#[tokio::test]
async fn last_peer_leaving_removes_the_room() {
    let server = TestServer::start(|_| {}).await;
    // Counts are read through /health, as operators see them.
    let mut ada = server.client().await;
    ada.join("demo", "Ada").await;
    assert_eq!(common::room_and_peer_counts(server.addr).await, (1, 1));

    ada.send(&ClientMessage::Leave {}).await;
    ada.expect_silence(QUIET).await;
    assert_eq!(common::room_and_peer_counts(server.addr).await, (0, 0));
    server.shutdown().await;
}

#[tokio::test]
async fn room_full_refuses_the_peer_beyond_the_maximum() {
    let server = TestServer::start(|c| c.max_peers_per_room = 2).await;
    let mut ada = server.client().await;
    let mut bo = server.client().await;
    let mut cy = server.client().await;
    ada.join("demo", "Ada").await;
    bo.join("demo", "Bo").await;
    cy.send(&join_message("demo", "Cy")).await;
    cy.expect_error(ErrorCode::RoomFull).await;
    ada.recv().await; // Bo's peerJoined, and nothing about Cy
    ada.expect_silence(QUIET).await;

    cy.join("other", "Cy").await; // the refused socket is still usable
    server.shutdown().await;
}

#[tokio::test]
async fn join_is_validated_and_a_refused_socket_stays_usable() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    let cases = [
        (
            match join_message("demo", "Ada") {
                ClientMessage::Join {
                    room, name, token, ..
                } => ClientMessage::Join {
                    protocol_version: PROTOCOL_VERSION + 1,
                    room,
                    name,
                    token,
                },
                other => other,
            },
            ErrorCode::UnsupportedVersion,
        ),
        (join_message("has space", "Ada"), ErrorCode::InvalidRoom),
        (join_message("", "Ada"), ErrorCode::InvalidRoom),
        (join_message(&"r".repeat(65), "Ada"), ErrorCode::InvalidRoom),
        (join_message("demo", "   "), ErrorCode::InvalidName),
        (join_message("demo", "bell\u{7}"), ErrorCode::InvalidName),
        (
            join_message("demo", &"n".repeat(65)),
            ErrorCode::InvalidName,
        ),
    ];
    for (message, code) in cases {
        c.send(&message).await;
        c.expect_error(code).await;
    }
    c.join("demo", "Ada").await;
    server.shutdown().await;
}

#[tokio::test]
async fn second_join_is_already_joined_and_changes_nothing() {
    let server = TestServer::start(|_| {}).await;
    let mut ada = server.client().await;
    let (ada_id, _) = ada.join("demo", "Ada").await;
    ada.send(&join_message("other", "Ada")).await;
    ada.expect_error(ErrorCode::AlreadyJoined).await;

    let mut bo = server.client().await;
    let (_, peers) = bo.join("demo", "Bo").await;
    assert_eq!(peers, vec![guest(&ada_id, "Ada", true)]);
    server.shutdown().await;
}

#[tokio::test]
async fn signal_or_leave_before_join_is_not_joined() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    c.signal("someone", json!({"kind": "offer", "sdp": ""}))
        .await;
    c.expect_error(ErrorCode::NotJoined).await;
    c.send(&ClientMessage::Leave {}).await;
    c.expect_error(ErrorCode::NotJoined).await;
    c.join("demo", "Ada").await;
    server.shutdown().await;
}

#[tokio::test]
async fn silent_connection_is_closed_after_the_heartbeat_timeout() {
    let server = TestServer::start(|c| {
        c.heartbeat_interval_ms = 200;
        c.heartbeat_timeout_ms = 1_000;
    })
    .await;
    let (mut ada, _, mut mute, mute_id) = server.pair("Ada", "Mute").await;
    // Ada keeps reading (so her client answers pings); Mute reads nothing, so sends no pong.
    let started = std::time::Instant::now();
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerLeft {
            peer_id: mute_id,
            reason: LeaveReason::Disconnected
        }
    );
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "not before the timeout"
    );
    match mute.next().await {
        Received::Closed(_) => {}
        Received::Message(m) => panic!("expected close, got {m:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_peer_that_stops_reading_is_dropped_instead_of_buffered() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, slow, slow_id) = server.pair("Ada", "Slow").await;

    // ~60 KB per signal: the 8 MiB of unacknowledged messages fill well before 1,000.
    let data = json!({"kind": "offer", "sdp": "x".repeat(60_000)});
    let frame = ClientMessage::Signal {
        to: slow_id.clone(),
        data,
    }
    .to_json();
    let mut dropped = false;
    for _ in 0..1_000 {
        ada.send_text(frame.clone()).await;
        if common::room_and_peer_counts(server.addr).await.1 == 1 {
            dropped = true;
            break;
        }
    }
    assert!(dropped, "the slow peer was never dropped");
    loop {
        match ada.recv().await {
            ServerMessage::PeerLeft { peer_id, reason } => {
                assert_eq!((peer_id, reason), (slow_id, LeaveReason::Disconnected));
                break;
            }
            ServerMessage::Error {
                code: ErrorCode::UnknownPeer,
                ..
            } => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
    drop(slow);
    server.shutdown().await;
}

#[tokio::test]
async fn shutdown_says_go_away_then_closes_with_going_away() {
    let server = TestServer::start(|c| c.drain_ms = 300).await;
    let mut ada = server.client().await;
    ada.join("demo", "Ada").await;
    let started = std::time::Instant::now();
    let stopping = tokio::spawn(server.shutdown());
    assert_eq!(
        ada.recv().await,
        ServerMessage::GoAway {
            reason: "shutdown".into(),
            reconnect_in_ms: 300
        }
    );
    let frame = ada.expect_closed().await;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the drain time is given"
    );
    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1001));
    common::within("shutdown", stopping).await.unwrap();
}

#[tokio::test]
async fn client_close_is_answered_with_a_close_frame() {
    let server = TestServer::start(|_| {}).await;
    let mut ada = server.client().await;
    ada.join("demo", "Ada").await;
    match ada.close_and_read_reply().await {
        Received::Closed(Some(frame)) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected the server's close reply, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn signal_data_is_relayed_byte_for_byte() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, ada_id, mut bo, bo_id) = server.pair("Ada", "Bo").await;

    // Spacing, key order, escapes and number forms as a client happened to write them.
    let data = r#"{ "sdp": "v=0\r\n", "epoch" : 2, "kind":"offer", "x": [1.50, 1e3, "\u00e9"] }"#;
    ada.send_text(format!(
        r#"{{"type":"signal","to":"{bo_id}","data":{data}}}"#
    ))
    .await;
    let text = bo.next_text().await;
    let (seq, message) = ServerMessage::parse_frame(&text).expect("parses");
    assert!(seq.is_some());
    assert_eq!(
        message,
        ServerMessage::Signal {
            from: ada_id.clone(),
            data: serde_json::from_str(data).expect("data"),
        }
    );
    assert!(
        text.contains(&format!(r#""data":{data}"#)),
        "{text} carries data as sent"
    );

    // A frame the fast path declines (an extra field) is relayed the general way.
    ada.send_text(format!(
        r#"{{"type":"signal","to":"{bo_id}","data":{{"kind":"candidate","candidate":"c"}},"note":1}}"#
    ))
    .await;
    assert_eq!(
        bo.recv().await,
        ServerMessage::Signal {
            from: ada_id,
            data: json!({"kind": "candidate", "candidate": "c"}),
        }
    );
    server.shutdown().await;
}

#[tokio::test]
async fn signals_sent_back_to_back_are_not_held_back_by_nagle() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, mut bo, bo_id) = server.pair("Ada", "Bo").await;
    // Two signals in one segment to the server, which writes them to Bo one after the
    // other. Bo answers what it reads (with `ack`, as the library does), so its kernel
    // delays its TCP ACKs to send them with that data; without TCP_NODELAY on the
    // server's side the second signal waits for the ACK of the first: up to 40 ms.
    let mut worst = Duration::ZERO;
    for i in 0..30 {
        let pair: Vec<String> = ["a", "b"]
            .iter()
            .map(|c| {
                ClientMessage::Signal {
                    to: bo_id.clone(),
                    data: json!({"kind": "candidate", "candidate": c, "i": i}),
                }
                .to_json()
            })
            .collect();
        ada.send_together(&pair).await;
        bo.next_text().await;
        let first = std::time::Instant::now();
        let text = bo.next_text().await;
        worst = worst.max(first.elapsed());
        let (seq, _) = ServerMessage::parse_frame(&text).expect("parses");
        bo.ack(seq.expect("numbered")).await;
    }
    assert!(
        worst < Duration::from_millis(30),
        "the second of two signals came {worst:?} after the first"
    );
    server.shutdown().await;
}
