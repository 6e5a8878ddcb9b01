//! Tokens and grants (issue point 1): `POST /api/token`, dev mode, joining with a token,
//! and grants enforced on every message.

mod common;

use common::{api_auth, http, identity, token, TestServer};
use serde_json::json;
use steadyrtc_protocol::{ClientMessage, ErrorCode, Role, ServerMessage, PROTOCOL_VERSION};
use steadyrtc_server::tokens::{unix_now, Claims, TokenKeys};

fn join_with_token(room: &str, name: &str, token: Option<String>) -> ClientMessage {
    ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: room.into(),
        name: name.into(),
        token,
    }
}

async fn post_token(
    server: &TestServer,
    auth: Option<&str>,
    body: serde_json::Value,
) -> common::HttpResponse {
    let auth_header = auth.map(|a| ("Authorization", a));
    let headers: Vec<(&str, &str)> = auth_header.into_iter().collect();
    http(
        server.addr,
        "POST",
        "/api/token",
        &headers,
        Some(&body.to_string()),
    )
    .await
}

#[tokio::test]
async fn api_key_mints_tokens_with_any_role_and_grants_that_open_the_room() {
    let server = TestServer::start(|c| c.dev = false).await;
    let auth = api_auth();
    let response = post_token(&server, Some(&auth), json!({"room": "demo", "identity": "ada", "name": "Ada", "role": "listener", "ttlSecs": 120})).await;
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let body = response.json();
    assert_eq!(body["role"], "listener");
    assert_eq!(
        body["grants"],
        json!({"publish": false, "subscribe": true, "chat": true, "record": false, "admin": false})
    );
    let expires = body["expiresAt"].as_u64().unwrap();
    assert!((unix_now() + 100..=unix_now() + 121).contains(&expires));
    let claims = TokenKeys::new(common::SECRET.as_bytes())
        .verify(body["token"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.room.as_str(), claims.role),
        ("ada", "demo", Role::Listener)
    );

    let mut c = server.client().await;
    let (_, _, _) = c
        .join_with(&join_with_token(
            "demo",
            "ignored",
            body["token"].as_str().map(String::from),
        ))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn without_the_api_key_production_refuses_and_dev_gives_only_host_or_guest() {
    let prod = TestServer::start(|c| c.dev = false).await;
    assert_eq!(
        post_token(&prod, None, json!({"room": "demo", "role": "guest"}))
            .await
            .status,
        401
    );
    assert_eq!(
        post_token(
            &prod,
            Some("Basic d3Jvbmc6d3Jvbmc="),
            json!({"room": "demo"})
        )
        .await
        .status,
        401
    );
    prod.shutdown().await;

    let dev = TestServer::start(|c| c.dev = true).await;
    for role in ["host", "guest", "listener"] {
        let r = post_token(
            &dev,
            None,
            json!({"room": "demo", "name": "Ada", "role": role}),
        )
        .await;
        assert_eq!(r.status, 200, "{role}");
        assert_eq!(r.json()["role"], role);
    }
    for body in [
        json!({"room": "demo", "grants": {"admin": true}}),
        json!({"room": "demo", "ttlSecs": 60}),
    ] {
        let r = post_token(&dev, None, body.clone()).await;
        assert_eq!(r.status, 403, "{body}");
        assert_eq!(r.json()["code"], "forbidden");
    }
    let bad = post_token(&dev, None, json!({"room": "no spaces"})).await;
    assert_eq!(
        (bad.status, bad.json()["code"].clone()),
        (400, json!("invalidRoom"))
    );
    assert_eq!(
        post_token(&dev, None, json!({"room": "demo", "extra": 1}))
            .await
            .status,
        400
    );
    dev.shutdown().await;
}

#[tokio::test]
async fn join_needs_a_valid_token_for_that_room() {
    let server = TestServer::start(|_| {}).await;
    let mut c = server.client().await;
    let now = unix_now();
    let keys = TokenKeys::new(common::SECRET.as_bytes());
    let claims = |exp: u64, nbf: u64| Claims {
        sub: identity(),
        room: "demo".into(),
        name: None,
        role: Role::Guest,
        grants: Role::Guest.default_grants(),
        exp,
        nbf,
        iat: nbf,
    };
    let cases = [
        (None, ErrorCode::InvalidToken),
        (Some("garbage".to_owned()), ErrorCode::InvalidToken),
        (
            Some(token("other", "ada", Role::Host)),
            ErrorCode::InvalidToken,
        ),
        (
            Some(
                TokenKeys::new(b"some-other-secret-entirely")
                    .issue(&claims(now + 60, now))
                    .unwrap(),
            ),
            ErrorCode::InvalidToken,
        ),
        (
            Some(keys.issue(&claims(now - 60, now - 120)).unwrap()),
            ErrorCode::TokenExpired,
        ),
        (
            Some(keys.issue(&claims(now + 900, now + 600)).unwrap()),
            ErrorCode::InvalidToken,
        ),
    ];
    for (t, code) in cases {
        c.send(&join_with_token("demo", "Ada", t)).await;
        c.expect_error(code).await;
    }
    assert_eq!(common::room_and_peer_counts(server.addr).await, (0, 0));
    c.join("demo", "Ada").await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_listener_cannot_publish_but_may_answer() {
    let server = TestServer::start(|_| {}).await;
    let mut host = server.client().await;
    let (host_id, _, _) = host
        .join_with(&join_with_token(
            "demo",
            "Host",
            Some(token("demo", &identity(), Role::Host)),
        ))
        .await;
    let mut listener = server.client().await;
    let (listener_id, peers, _) = listener
        .join_with(&join_with_token(
            "demo",
            "L",
            Some(token("demo", &identity(), Role::Listener)),
        ))
        .await;
    assert_eq!(peers[0].role, Role::Host);
    assert!(
        matches!(host.recv().await, ServerMessage::PeerJoined { peer } if peer.role == Role::Listener)
    );

    listener
        .signal(&host_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    listener.expect_error(ErrorCode::Forbidden).await;
    // However the frame is written: read by the relay's fast path (spacing, kind last,
    // kind repeated) or the general way (an extra field).
    for frame in [
        format!(
            r#"{{ "type" : "signal", "to": "{host_id}", "data": {{"sdp": "v=0", "kind" : "offer"}} }}"#
        ),
        format!(
            r#"{{"type":"signal","to":"{host_id}","data":{{"kind":"candidate","kind":"offer","sdp":"v=0"}}}}"#
        ),
        format!(
            r#"{{"type":"signal","to":"{host_id}","data":{{"kind":"offer","sdp":"v=0"}},"x":1}}"#
        ),
    ] {
        listener.send_text(frame).await;
        listener.expect_error(ErrorCode::Forbidden).await;
    }
    host.signal(&listener_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    assert!(matches!(
        listener.recv().await,
        ServerMessage::Signal { .. }
    ));
    listener
        .signal(&host_id, json!({"kind": "answer", "sdp": "v=0"}))
        .await;
    assert!(matches!(host.recv().await, ServerMessage::Signal { .. }));
    server.shutdown().await;
}

#[tokio::test]
async fn chat_needs_the_chat_grant_and_recording_the_record_grant() {
    let server = TestServer::start(|_| {}).await;
    let keys = TokenKeys::new(common::SECRET.as_bytes());
    let now = unix_now();
    let mut mute_grants = Role::Guest.default_grants();
    mute_grants.chat = false;
    let mute_token = keys
        .issue(&Claims {
            sub: identity(),
            room: "demo".into(),
            name: None,
            role: Role::Guest,
            grants: mute_grants,
            exp: now + 60,
            nbf: now,
            iat: now,
        })
        .unwrap();

    let mut host = server.client().await;
    let (host_id, _, _) = host
        .join_with(&join_with_token(
            "demo",
            "Host",
            Some(token("demo", &identity(), Role::Host)),
        ))
        .await;
    let mut mute = server.client().await;
    mute.join_with(&join_with_token("demo", "Mute", Some(mute_token)))
        .await;
    host.recv().await; // peerJoined

    mute.send(&ClientMessage::Chat {
        text: "hello".into(),
        to: None,
        id: Some("m-1".into()),
    })
    .await;
    match mute.next_frame().await {
        Ok((None, ServerMessage::Error { code, id, .. })) => {
            assert_eq!((code, id.as_deref()), (ErrorCode::Forbidden, Some("m-1")));
        }
        other => panic!("expected the refusal of m-1, got {other:?}"),
    }
    mute.send(&ClientMessage::Recording { active: true }).await;
    mute.expect_error(ErrorCode::Forbidden).await;

    host.send(&ClientMessage::Chat {
        text: "welcome".into(),
        to: None,
        id: Some("h-1".into()),
    })
    .await;
    let ServerMessage::Chat {
        from,
        text,
        private,
        id,
        name,
        sent_at,
    } = mute.recv().await
    else {
        panic!("expected the chat line")
    };
    assert_eq!(
        (from.as_str(), text.as_str(), private, id.as_deref()),
        (host_id.as_str(), "welcome", false, Some("h-1"))
    );
    assert!(!name.is_empty());
    assert!(sent_at > 1_700_000_000_000, "Unix milliseconds: {sent_at}");
    // The sender gets its own line back: the confirmation.
    assert!(matches!(host.recv().await, ServerMessage::Chat { id: Some(id), .. } if id == "h-1"));
    host.send(&ClientMessage::Recording { active: true }).await;
    let on = ServerMessage::Recording {
        by: host_id,
        active: true,
    };
    assert_eq!(mute.recv().await, on);
    assert_eq!(host.recv().await, on, "the recorder hears it too");
    server.shutdown().await;
}
