//! Sessions that lose nothing (issue point 3): numbered messages, acknowledgements,
//! `resume` within the window, `timeout` after it, and the heartbeat the welcome announces.

mod common;

use std::time::Duration;

use common::{join_message, TestServer};
use serde_json::json;
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, Heartbeat, LeaveReason, ServerMessage, PROTOCOL_VERSION,
};

fn resume(session_id: &str, last_seq: u64) -> ClientMessage {
    ClientMessage::Resume {
        protocol_version: PROTOCOL_VERSION,
        session_id: session_id.into(),
        last_seq,
    }
}

#[tokio::test]
async fn welcome_tells_the_session_id_heartbeat_and_resume_window() {
    let server = TestServer::start(|c| {
        c.heartbeat_interval_ms = 1_000;
        c.heartbeat_timeout_ms = 3_000;
        c.resume_window_ms = 7_000;
    })
    .await;
    let mut ada = server.client().await;
    ada.send(&join_message("demo", "Ada")).await;
    match ada.next_frame().await {
        Ok((
            Some(1),
            ServerMessage::Welcome {
                session_id,
                heartbeat,
                resume_window_ms,
                ..
            },
        )) => {
            assert_eq!(session_id.len(), 32);
            assert_eq!(
                heartbeat,
                Heartbeat {
                    interval_ms: 1_000,
                    timeout_ms: 3_000
                }
            );
            assert_eq!(resume_window_ms, 7_000);
        }
        other => panic!("expected welcome with seq 1, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn server_pings_at_the_interval_without_seq() {
    let server = TestServer::start(|c| {
        c.heartbeat_interval_ms = 100;
        c.heartbeat_timeout_ms = 2_000;
    })
    .await;
    let mut ada = server.client().await;
    ada.answer_pings = false;
    ada.join("demo", "Ada").await;
    // The harness asserts every ping has no seq; count a few arriving at the interval.
    let started = std::time::Instant::now();
    let raw = common::within("pings", async {
        let mut seen = 0;
        while seen < 3 {
            if let Ok((None, ServerMessage::Ping {})) = ada.next_frame_raw().await {
                seen += 1;
            }
        }
    });
    raw.await;
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "three pings take about three intervals"
    );
    server.shutdown().await;
}

/// The resume test: the socket drops in the middle of a burst of 1,000 messages;
/// after `resume`, every message has arrived exactly once, in order, and the sender never
/// saw its peer leave.
#[tokio::test]
async fn resume_in_the_middle_of_a_burst_of_1000_delivers_each_message_once_in_order() {
    const BURST: u64 = 1_000;
    let server = TestServer::start(|c| {
        c.resume_window_ms = 5_000;
        c.rate_per_connection = 100_000;
        c.burst_per_connection = 100_000;
        c.rate_per_ip = 100_000;
        c.burst_per_ip = 100_000;
    })
    .await;
    let mut ada = server.client().await;
    let (ada_id, _) = ada.join("demo", "Ada").await;
    let mut bo = server.client().await;
    let (bo_id, _, session_id) = bo.join_with(&join_message("demo", "Bo")).await;
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));

    let sender = tokio::spawn(async move {
        for n in 0..BURST {
            ada.signal(
                &bo_id,
                json!({"kind": "candidate", "candidate": "c", "n": n}),
            )
            .await;
        }
        ada
    });

    let mut got: Vec<u64> = Vec::new();
    let mut last_seq = 1;
    let take = |message: ServerMessage, got: &mut Vec<u64>| match message {
        ServerMessage::Signal { from, data } => {
            assert_eq!(from, ada_id);
            got.push(data["n"].as_u64().expect("n"));
        }
        other => panic!("unexpected {other:?}"),
    };
    while got.len() < 300 {
        let (seq, message) = bo.next_frame().await.expect("open");
        last_seq = seq.expect("numbered");
        take(message, &mut got);
        if got.len() == 250 {
            bo.ack(last_seq).await; // acknowledged: never sent again
        }
    }
    drop(bo); // the TCP connection just goes away, mid-burst

    let mut bo = server.client().await;
    bo.send(&resume(&session_id, last_seq)).await;
    match bo.next_frame().await {
        Ok((None, ServerMessage::Resumed { session_id: s, .. })) => assert_eq!(s, session_id),
        other => panic!("expected resumed, got {other:?}"),
    }
    while got.len() < BURST as usize {
        let (seq, message) = bo.next_frame().await.expect("open");
        assert_eq!(seq, Some(last_seq + 1), "no gap, no repeat");
        last_seq += 1;
        take(message, &mut got);
    }
    assert_eq!(got, (0..BURST).collect::<Vec<_>>());
    bo.expect_silence(Duration::from_millis(200)).await;

    let mut ada = common::within("sender", sender).await.expect("sender task");
    ada.expect_silence(Duration::from_millis(200)).await; // no peerLeft, no error
    server.shutdown().await;
}

#[tokio::test]
async fn after_the_window_the_others_hear_timeout_and_resume_is_unknown_session() {
    let server = TestServer::start(|c| c.resume_window_ms = 300).await;
    let mut ada = server.client().await;
    ada.join("demo", "Ada").await;
    let mut bo = server.client().await;
    let (bo_id, _, session_id) = bo.join_with(&join_message("demo", "Bo")).await;
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));
    let dropped = std::time::Instant::now();
    drop(bo);
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerLeft {
            peer_id: bo_id,
            reason: LeaveReason::Timeout
        }
    );
    assert!(
        dropped.elapsed() >= Duration::from_millis(250),
        "not before the window"
    );

    let mut late = server.client().await;
    late.send(&resume(&session_id, 1)).await;
    late.expect_error(ErrorCode::UnknownSession).await;
    late.join("demo", "Bo").await; // the refused socket still works
    server.shutdown().await;
}

#[tokio::test]
async fn resuming_on_a_new_connection_keeps_peer_id_and_room_and_closes_the_old_one() {
    let server = TestServer::start(|c| c.resume_window_ms = 5_000).await;
    let mut ada = server.client().await;
    let (ada_id, _) = ada.join("demo", "Ada").await;
    let mut bo = server.client().await;
    let (bo_id, _, session_id) = bo.join_with(&join_message("demo", "Bo")).await;
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));

    let mut bo2 = server.client().await;
    bo2.send(&resume(&session_id, 1)).await;
    match bo2.recv().await {
        ServerMessage::Resumed { peer_id, room, .. } => {
            assert_eq!((peer_id.as_str(), room.as_str()), (bo_id.as_str(), "demo"))
        }
        other => panic!("expected resumed, got {other:?}"),
    }
    let frame = bo.expect_closed().await;
    assert_eq!(
        frame.map(|f| u16::from(f.code)),
        Some(1000),
        "the replaced socket closes normally"
    );

    ada.signal(&bo_id, json!({"kind": "answer", "sdp": "v=0"}))
        .await;
    assert_eq!(
        bo2.recv().await,
        ServerMessage::Signal {
            from: ada_id,
            data: json!({"kind": "answer", "sdp": "v=0"})
        }
    );
    ada.expect_silence(Duration::from_millis(200)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn resume_or_join_on_a_connection_with_a_session_is_already_joined() {
    let server = TestServer::start(|c| c.resume_window_ms = 5_000).await;
    let mut ada = server.client().await;
    let (_, _, session_id) = ada.join_with(&join_message("demo", "Ada")).await;
    ada.send(&resume(&session_id, 1)).await;
    ada.expect_error(ErrorCode::AlreadyJoined).await;
    server.shutdown().await;
}
