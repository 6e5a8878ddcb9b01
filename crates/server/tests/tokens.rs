//! Token rules a third-party backend relies on: `POST /api/token` refuses lifetimes out
//! of range instead of bending them, and a JWT minted elsewhere needs every documented
//! claim (`sub`, `room`, `role`, `grants`, `exp`, `nbf`, `iat`) and nothing more.

mod common;

use common::{api_auth, http, TestServer, SECRET};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use steadyrtc_protocol::{ClientMessage, ErrorCode, PROTOCOL_VERSION};
use steadyrtc_server::tokens::unix_now as unix_now_secs;

async fn mint(server: &TestServer, body: Value) -> common::HttpResponse {
    let auth = api_auth();
    http(
        server.addr,
        "POST",
        "/api/token",
        &[("Authorization", &auth)],
        Some(&body.to_string()),
    )
    .await
}

#[tokio::test]
async fn ttl_secs_out_of_range_is_refused_not_capped() {
    let server = TestServer::start(|_| {}).await;
    for ttl in [0u64, 2_592_001, u64::MAX] {
        let r = mint(&server, json!({"room": "demo", "ttlSecs": ttl})).await;
        assert_eq!(r.status, 400, "ttlSecs {ttl}");
        assert_eq!(r.json()["code"], "invalidMessage");
    }
    for ttl in [1u64, 600, 2_592_000] {
        let before = unix_now_secs();
        let r = mint(&server, json!({"room": "demo", "ttlSecs": ttl})).await;
        assert_eq!(r.status, 200, "ttlSecs {ttl}");
        let expires = r.json()["expiresAt"].as_u64().unwrap();
        assert!(
            (before + ttl..=unix_now_secs() + ttl).contains(&expires),
            "ttlSecs {ttl}: expiresAt {expires}"
        );
    }
    server.shutdown().await;
}

/// A token signed with the test secret carrying exactly `claims`, as another library would make it.
fn foreign_token(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

fn full_claims() -> Value {
    let now = unix_now_secs();
    json!({
        "sub": "user-42", "room": "demo", "name": "Ada", "role": "host",
        "grants": {"publish": true, "subscribe": true, "chat": true, "record": false, "admin": false},
        "exp": now + 600, "nbf": now, "iat": now,
        "iss": "my-backend", "jti": "unknown claims are ignored"
    })
}

async fn join_with_token(server: &TestServer, token: String) -> Result<(), ErrorCode> {
    let mut c = server.client().await;
    c.send(&ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: "demo".into(),
        name: "Ada".into(),
        token: Some(token),
    })
    .await;
    match c.recv().await {
        steadyrtc_protocol::ServerMessage::Welcome { .. } => Ok(()),
        steadyrtc_protocol::ServerMessage::Error { code, .. } => Err(code),
        other => panic!("expected welcome or error, got {other:?}"),
    }
}

#[tokio::test]
async fn every_documented_claim_is_required_and_unknown_claims_are_ignored() {
    let server = TestServer::start(|_| {}).await;
    assert_eq!(
        join_with_token(&server, foreign_token(&full_claims())).await,
        Ok(())
    );
    let mut no_name = full_claims();
    no_name.as_object_mut().unwrap().remove("name");
    no_name["sub"] = json!("user-43");
    no_name["grants"] = json!({});
    assert_eq!(
        join_with_token(&server, foreign_token(&no_name)).await,
        Ok(()),
        "name is optional, and grants may be empty (all false)"
    );
    for claim in ["sub", "room", "role", "grants", "exp", "nbf", "iat"] {
        let mut claims = full_claims();
        claims.as_object_mut().unwrap().remove(claim);
        assert_eq!(
            join_with_token(&server, foreign_token(&claims)).await,
            Err(ErrorCode::InvalidToken),
            "without {claim}"
        );
    }
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &full_claims(),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    assert_eq!(
        join_with_token(&server, hs512).await,
        Err(ErrorCode::InvalidToken),
        "only HS256"
    );
    server.shutdown().await;
}

/// `mode` in `POST /api/token` creates the room in that mode when it does not exist (a
/// dev server's demo opens a broadcast room without the API key); an existing room keeps
/// its mode.
#[tokio::test]
async fn a_token_request_with_a_mode_creates_the_room_in_that_mode_once() {
    let server = TestServer::start(|c| c.dev = true).await;
    let mint_dev = |body: Value| {
        let body = body.to_string();
        async move {
            http(
                server.addr,
                "POST",
                "/api/token",
                &[("Content-Type", "application/json")],
                Some(&body),
            )
            .await
        }
    };
    let mode_of = |room: &'static str| async move {
        let auth = api_auth();
        let r = http(
            server.addr,
            "GET",
            &format!("/api/rooms/{room}"),
            &[("Authorization", &auth)],
            None,
        )
        .await;
        (r.status, r.json()["mode"].clone())
    };
    let r = mint_dev(json!({"room": "stage", "role": "host", "mode": "broadcast"})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(mode_of("stage").await, (200, json!("broadcast")));
    let r = mint_dev(json!({"room": "stage", "role": "listener", "mode": "mesh"})).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        mode_of("stage").await,
        (200, json!("broadcast")),
        "the first mode stays"
    );
    // Without `mode` nothing is created ahead of the join.
    let r = mint_dev(json!({"room": "plain"})).await;
    assert_eq!(r.status, 200);
    assert_eq!(mode_of("plain").await.0, 404);
    let r = mint_dev(json!({"room": "stage", "mode": "lecture"})).await;
    assert_eq!(r.status, 400, "an unknown mode is a bad body");
    server.shutdown().await;
}
