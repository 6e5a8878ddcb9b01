//! Hostile input (issue point 8): thousands of generated malformed frames, rate limits,
//! the abuse close, the Origin allowlist and the caps on connections and rooms.

mod common;

use std::time::Duration;

use common::{join_message, Client, TestServer};
use proptest::prelude::*;
use serde_json::json;
use steadyrtc_protocol::{ErrorCode, ServerMessage};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

/// Frames per generated case; six cases make 12,000 frames.
const FRAMES_PER_CASE: usize = 2_000;
/// A small frame limit keeps oversize frames cheap.
const FRAME_LIMIT: usize = 2_048;

/// One malformed frame and the error code it must get.
#[derive(Debug, Clone)]
struct Bad {
    frame: Message,
    code: ErrorCode,
}

fn bad(frame: impl Into<String>, code: ErrorCode) -> Bad {
    Bad {
        frame: Message::text(frame.into()),
        code,
    }
}

const KNOWN: [&str; 12] = [
    "join",
    "resume",
    "signal",
    "ack",
    "pong",
    "chat",
    "recording",
    "report",
    "queueJoin",
    "queueNext",
    "queueLeave",
    "leave",
];

/// A JSON value of any shape, for fields that must be something else.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        any::<i64>().prop_map(serde_json::Value::from),
        "[a-z]{0,8}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        Just(json!([1, 2])),
    ]
}

fn malformed() -> impl Strategy<Value = Bad> {
    prop_oneof![
        // Unclosed object: never valid JSON.
        "[^}]{0,40}".prop_map(|g| bad(format!("{{\"type\":\"signal\",{g}"), ErrorCode::BadJson)),
        // Arbitrary text that is not an object (or not JSON at all).
        "[^{]{0,60}".prop_map(|t| bad(t, ErrorCode::BadJson)),
        any_json().prop_map(|v| bad(v.to_string(), ErrorCode::BadJson)),
        // A type that is missing, not a string, or unknown.
        any_json()
            .prop_filter("not a known type", |v| !v
                .as_str()
                .is_some_and(|t| KNOWN.contains(&t)))
            .prop_map(|v| bad(json!({"type": v}).to_string(), ErrorCode::UnknownType)),
        "[a-zA-Z]{1,12}"
            .prop_filter("unknown", |t| !KNOWN.contains(&t.as_str()))
            .prop_map(|t| bad(
                json!({"type": t, "to": "x"}).to_string(),
                ErrorCode::UnknownType
            )),
        Just(bad(r#"{"to":"x","data":{}}"#, ErrorCode::UnknownType)),
        // Known types with missing or mistyped fields.
        any_json().prop_map(|v| bad(
            json!({"type": "signal", "to": 5, "data": v}).to_string(),
            ErrorCode::InvalidMessage
        )),
        Just(bad(
            r#"{"type":"signal","data":{}}"#,
            ErrorCode::InvalidMessage
        )),
        "[a-z]{0,5}".prop_map(|s| bad(
            json!({"type": "ack", "seq": s}).to_string(),
            ErrorCode::InvalidMessage
        )),
        any::<i64>()
            .prop_filter("negative", |n| *n < 0)
            .prop_map(|n| bad(
                json!({"type": "ack", "seq": n}).to_string(),
                ErrorCode::InvalidMessage
            )),
        Just(bad(r#"{"type":"chat"}"#, ErrorCode::InvalidMessage)),
        Just(bad(
            r#"{"type":"recording","active":"yes"}"#,
            ErrorCode::InvalidMessage
        )),
        Just(bad(
            r#"{"type":"report","quality":1000}"#,
            ErrorCode::InvalidMessage
        )),
        Just(bad(
            r#"{"type":"join","room":"demo"}"#,
            ErrorCode::InvalidMessage
        )),
        // Well-formed but refused.
        "[A-Za-z0-9]{16}".prop_map(|id| bad(
            json!({"type": "signal", "to": id, "data": {"kind": "offer"}}).to_string(),
            ErrorCode::UnknownPeer
        )),
        Just(bad(
            json!({"type": "chat", "text": ""}).to_string(),
            ErrorCode::InvalidMessage
        )),
        Just(bad(
            join_message("demo", "Again").to_json(),
            ErrorCode::AlreadyJoined
        )),
        // Too big, and binary.
        (FRAME_LIMIT + 1..FRAME_LIMIT * 2)
            .prop_map(|n| bad("x".repeat(n), ErrorCode::FrameTooLarge)),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Bad {
            frame: Message::binary(b),
            code: ErrorCode::BinaryNotSupported
        }),
    ]
}

fn hostile_config(c: &mut steadyrtc_server::Config) {
    c.max_frame_bytes = FRAME_LIMIT;
    c.abuse_limit = 1_000_000;
    c.rate_per_connection = 1_000_000;
    c.burst_per_connection = 1_000_000;
    c.rate_per_ip = 1_000_000;
    c.burst_per_ip = 1_000_000;
}

async fn hostile_case(frames: Vec<Bad>) {
    let server = TestServer::start(hostile_config).await;
    let (mut ada, ada_id, mut bo, bo_id) = server.pair("Ada", "Bo").await;
    let mut eve = server.client().await;
    eve.join("demo", "Eve").await;
    ada.recv().await; // Eve's peerJoined
    bo.recv().await;

    for (round, chunk) in frames.chunks(250).enumerate() {
        for b in chunk {
            eve.send_frame(b.frame.clone()).await;
        }
        for b in chunk {
            match eve.next_frame().await {
                Ok((None, ServerMessage::Error { code, .. })) => {
                    assert_eq!(code, b.code, "for frame {:?}", b.frame)
                }
                other => panic!("expected error {} for {:?}, got {other:?}", b.code, b.frame),
            }
        }
        // The honest pair in the same room is unaffected.
        let data = json!({"kind": "candidate", "candidate": "c", "round": round});
        ada.signal(&bo_id, data.clone()).await;
        assert_eq!(
            bo.recv().await,
            ServerMessage::Signal {
                from: ada_id.clone(),
                data
            }
        );
    }
    ada.expect_silence(Duration::from_millis(50)).await;
    server.shutdown().await;
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn thousands_of_malformed_frames_get_their_codes_and_the_honest_pair_is_unaffected(
        frames in proptest::collection::vec(malformed(), FRAMES_PER_CASE)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
        runtime.block_on(hostile_case(frames));
    }
}

#[tokio::test]
async fn per_connection_rate_limit_answers_rate_limited_and_keeps_the_socket() {
    let server = TestServer::start(|c| {
        c.rate_per_connection = 1;
        c.burst_per_connection = 6;
    })
    .await;
    let (mut ada, _, mut bo, bo_id) = server.pair("Ada", "Bo").await;
    // The join took one token: five signals pass, the rest are refused.
    for n in 0..8 {
        ada.signal(&bo_id, json!({"kind": "candidate", "n": n}))
            .await;
    }
    for n in 0..5 {
        assert!(matches!(bo.recv().await, ServerMessage::Signal { data, .. } if data["n"] == n));
    }
    for _ in 0..3 {
        ada.expect_error(ErrorCode::RateLimited).await;
    }
    // Acks are never limited.
    ada.ack(1).await;
    ada.expect_silence(Duration::from_millis(100)).await;
    server.shutdown().await;
}

#[tokio::test]
async fn per_ip_rate_limit_is_shared_by_the_connections_of_one_address() {
    let server = TestServer::start(|c| {
        c.rate_per_ip = 1;
        c.burst_per_ip = 12;
    })
    .await;
    let (mut ada, ada_id, mut bo, bo_id) = server.pair("Ada", "Bo").await;
    for n in 0..6 {
        ada.signal(&bo_id, json!({"n": n})).await;
    }
    for _ in 0..6 {
        bo.recv().await;
    }
    for n in 0..6 {
        bo.signal(&ada_id, json!({"n": n})).await;
    }
    // Join(2) + 6 of Ada's took 8 of the 12 tokens: about 4 of Bo's pass.
    let refused = bo.drain_for(Duration::from_millis(300)).await;
    let relayed = ada.drain_for(Duration::from_millis(100)).await;
    assert!(
        refused.iter().all(|m| matches!(
            m,
            ServerMessage::Error {
                code: ErrorCode::RateLimited,
                ..
            }
        )),
        "{refused:?}"
    );
    assert!(
        relayed
            .iter()
            .all(|m| matches!(m, ServerMessage::Signal { .. })),
        "{relayed:?}"
    );
    assert_eq!(refused.len() + relayed.len(), 6);
    assert!(
        (1..=2).contains(&refused.len()),
        "{} refused",
        refused.len()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn repeated_abuse_closes_with_the_policy_code_and_the_room_hears_it() {
    let server = TestServer::start(|c| c.abuse_limit = 5).await;
    let (mut ada, _, mut eve, eve_id) = server.pair("Ada", "Eve").await;
    for _ in 0..6 {
        eve.send_text("{nope").await;
    }
    for _ in 0..5 {
        eve.expect_error(ErrorCode::BadJson).await;
    }
    let frame = eve.expect_closed().await;
    assert_eq!(frame.map(|f| u16::from(f.code)), Some(1008));
    assert!(
        matches!(ada.recv().await, ServerMessage::PeerLeft { peer_id, .. } if peer_id == eve_id)
    );
    server.shutdown().await;
}

async fn connect_with_origin(server: &TestServer, origin: &str) -> Result<(), u16> {
    let mut request = format!("ws://{}/ws", server.addr)
        .into_client_request()
        .expect("request");
    request
        .headers_mut()
        .insert("Origin", origin.parse().expect("header"));
    match common::within("connect", tokio_tungstenite::connect_async(request)).await {
        Ok(_) => Ok(()),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Err(response.status().as_u16())
        }
        Err(e) => panic!("unexpected {e}"),
    }
}

#[tokio::test]
async fn origin_allowlist_refuses_foreign_pages_and_dev_allows_localhost() {
    let prod = TestServer::start(|c| {
        c.dev = false;
        c.allowed_origins = vec!["https://app.example".into()];
    })
    .await;
    assert_eq!(
        connect_with_origin(&prod, "https://evil.example").await,
        Err(403)
    );
    assert_eq!(
        connect_with_origin(&prod, "http://localhost:3000").await,
        Err(403)
    );
    assert_eq!(
        connect_with_origin(&prod, "https://app.example").await,
        Ok(())
    );
    assert_eq!(
        connect_with_origin(&prod, &format!("http://{}", prod.addr)).await,
        Err(403),
        "same origin proves nothing outside --dev: the Host header is the client's"
    );
    prod.shutdown().await;
    let dev = TestServer::start(|c| c.dev = true).await;
    assert_eq!(
        connect_with_origin(&dev, "http://localhost:3000").await,
        Ok(())
    );
    assert_eq!(
        connect_with_origin(&dev, "https://evil.example").await,
        Err(403)
    );
    dev.shutdown().await;
}

#[tokio::test]
async fn connections_beyond_the_per_ip_cap_are_refused_with_a_code() {
    let server = TestServer::start(|c| c.max_connections_per_ip = 2).await;
    let _a = server.client().await;
    let mut b = server.client().await;
    b.join("demo", "B").await; // both admitted
    let mut third = Client::connect(server.addr).await;
    third.expect_error(ErrorCode::TooManyConnections).await;
    assert_eq!(
        third.expect_closed().await.map(|f| u16::from(f.code)),
        Some(1008)
    );
    server.shutdown().await;
}

#[tokio::test]
async fn rooms_beyond_the_cap_are_refused() {
    let server = TestServer::start(|c| c.max_rooms = 1).await;
    let mut a = server.client().await;
    a.join("one", "A").await;
    let mut b = server.client().await;
    b.send(&join_message("two", "B")).await;
    b.expect_error(ErrorCode::TooManyRooms).await;
    b.join("one", "B").await; // an existing room is fine
    server.shutdown().await;
}
