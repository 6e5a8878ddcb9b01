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
