//! `pong` and `ack` are the protocol's own bookkeeping: they need no session. The server
//! pings every connection, before `join` and after `leave` too, and answering must cost
//! nothing: no `error`, no metric, no strike towards the abuse close.

mod common;

use std::time::Duration;

use common::{http_get, TestServer};
use serde_json::json;
use steadyrtc_protocol::{ClientMessage, ErrorCode, ServerMessage};

/// The `steadyrtc_errors_total` count for `code` (0 when the line is absent).
async fn errors_total(server: &TestServer, code: &str) -> u64 {
    let text = String::from_utf8(http_get(server.addr, "/metrics").await.body).unwrap();
    let prefix = format!("steadyrtc_errors_total{{code=\"{code}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test]
async fn pong_and_ack_before_join_and_after_leave_get_no_error_and_no_strike() {
    let server = TestServer::start(|c| {
        c.abuse_limit = 3;
        c.heartbeat_interval_ms = 40;
        c.heartbeat_timeout_ms = 2_000;
    })
    .await;
    let mut c = server.client().await;

    // Before join: the server pings; the client answers each (expect_silence does) and
    // sends more pongs and acks than the abuse limit allows refusals.
    let first = c.next_frame_raw().await;
    assert!(
        matches!(first, Ok((None, ServerMessage::Ping {}))),
        "{first:?}"
    );
    for seq in 0..10 {
        c.send(&ClientMessage::Pong {}).await;
        c.send(&ClientMessage::Ack { seq }).await;
    }
    c.expect_silence(Duration::from_millis(300)).await;
    c.join("demo", "Ada").await;

    // After leave: the same.
    c.send(&ClientMessage::Leave {}).await;
    for seq in 0..10 {
        c.send(&ClientMessage::Pong {}).await;
        c.send(&ClientMessage::Ack { seq: seq + 100 }).await;
    }
    c.expect_silence(Duration::from_millis(300)).await;

    // Refusals still work (and prove the frames above were read and passed over).
    c.signal("nobody", json!({"kind": "answer"})).await;
    c.expect_error(ErrorCode::NotJoined).await;
    assert_eq!(errors_total(&server, "notJoined").await, 1);
    // Still open: it may join again.
    c.join("demo", "Ada").await;
    server.shutdown().await;
}
