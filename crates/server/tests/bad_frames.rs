//! Frames the server refuses: each gets an `error` with its code and the socket stays
//! open and usable afterwards.

mod common;

use common::{Received, TestServer};
use serde_json::json;
use steadyrtc_protocol::{ErrorCode, LeaveReason, ServerMessage, MAX_FRAME_BYTES};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn malformed_json_is_bad_json_and_the_same_socket_then_joins() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    c.send_text("{not json").await;
    let text = c.expect_error(ErrorCode::BadJson).await;
    assert!(!text.is_empty());
    c.send_text("[1, 2, 3]").await;
    c.expect_error(ErrorCode::BadJson).await;
    c.join("demo", "Ada").await;
    server.shutdown().await;
}

#[tokio::test]
async fn unknown_or_missing_type_is_unknown_type_and_the_socket_stays_usable() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    c.send_text(r#"{"type":"dance"}"#).await;
    let text = c.expect_error(ErrorCode::UnknownType).await;
    assert!(text.contains("join"), "{text}");
    c.send_text(r#"{"room":"demo"}"#).await;
    c.expect_error(ErrorCode::UnknownType).await;
    c.send_text(r#"{"type":"welcome"}"#).await; // a server message is not a client message
    c.expect_error(ErrorCode::UnknownType).await;
    c.join("demo", "Ada").await;
    server.shutdown().await;
}

#[tokio::test]
async fn missing_or_mistyped_field_is_invalid_message_and_the_socket_stays_usable() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    c.send_text(r#"{"type":"join","room":"demo","name":"Ada"}"#)
        .await;
    c.expect_error(ErrorCode::InvalidMessage).await;
    c.send_text(r#"{"type":"join","protocolVersion":"1","room":"demo","name":"Ada","token":"t"}"#)
        .await;
    c.expect_error(ErrorCode::InvalidMessage).await;
    let (_, _) = c.join("demo", "Ada").await;
    c.send_text(r#"{"type":"signal","data":{}}"#).await;
    c.expect_error(ErrorCode::InvalidMessage).await;
    server.shutdown().await;
}

#[tokio::test]
async fn oversize_text_frame_is_frame_too_large_and_the_socket_stays_usable() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, mut bo, bo_id) = server.pair("Ada", "Bo").await;

    let big = json!({"type": "signal", "to": bo_id, "data": {"kind": "offer", "sdp": "x".repeat(MAX_FRAME_BYTES)}});
    ada.send_text(big.to_string()).await;
    ada.expect_error(ErrorCode::FrameTooLarge).await;

    let fits = json!({"type": "signal", "to": bo_id, "data": {"kind": "offer", "sdp": "x".repeat(MAX_FRAME_BYTES - 200)}});
    assert!(fits.to_string().len() <= MAX_FRAME_BYTES);
    ada.send_text(fits.to_string()).await;
    assert!(
        matches!(bo.recv().await, ServerMessage::Signal { .. }),
        "a frame at the limit is relayed"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn binary_frame_is_binary_not_supported_and_the_socket_stays_usable() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    c.send_frame(Message::binary(br#"{"type":"join"}"#.to_vec()))
        .await;
    c.expect_error(ErrorCode::BinaryNotSupported).await;
    c.join("demo", "Ada").await;
    c.send_frame(Message::binary(vec![0u8; 10])).await;
    c.expect_error(ErrorCode::BinaryNotSupported).await;
    server.shutdown().await;
}

#[tokio::test]
async fn frame_beyond_the_hard_limit_closes_only_that_connection() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, mut bo, bo_id) = server.pair("Ada", "Bo").await;

    bo.send_text("x".repeat(4 * MAX_FRAME_BYTES + 1)).await;
    match bo.next().await {
        Received::Closed(_) => {}
        Received::Message(m) => panic!("expected the connection to end, got {m:?}"),
    }
    assert_eq!(
        ada.recv().await,
        ServerMessage::PeerLeft {
            peer_id: bo_id,
            reason: LeaveReason::Disconnected
        }
    );
    server.shutdown().await;
}
