//! ICE configuration and operations (issue points 6 and 7): `GET /api/webrtc/config`
//! with ephemeral TURN credentials (and the same list in `welcome`), `/ready`,
//! `/metrics`, `/api/webrtc/stats`, room diagnostics and the client `report` message.

mod common;

use base64::Engine;
use common::{api_auth, http, http_get, identity, join_message, token, TestServer};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha1::Sha1;
use steadyrtc_protocol::{ClientMessage, IceServer, Report, Role, ServerMessage, PROTOCOL_VERSION};
use steadyrtc_server::tokens::unix_now;

fn with_ice(c: &mut steadyrtc_server::Config) {
    c.stun_urls = vec!["stun:stun.test.invalid:3478".into()];
    c.turn_urls = vec!["turn:turn.test.invalid:3478?transport=udp".into()];
    c.turn_secret = Some("turn-shared-secret".into());
    c.turn_ttl_secs = 600;
    c.static_ice_servers = Some(
        r#"[{"urls":["turns:relay.test.invalid:5349"],"username":"u","credential":"c"}]"#.into(),
    );
}

fn expected_credential(username: &str) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(b"turn-shared-secret").unwrap();
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn check_ice(list: &[IceServer], identity: &str) {
    assert_eq!(list.len(), 3);
    assert_eq!(list[0].urls, vec!["stun:stun.test.invalid:3478"]);
    let username = list[1].username.clone().expect("turn username");
    let (expiry, who) = username.split_once(':').expect("expiry:identity");
    assert_eq!(who, identity);
    let expiry: u64 = expiry.parse().unwrap();
    assert!(
        (unix_now() + 590..=unix_now() + 601).contains(&expiry),
        "TTL 600 s"
    );
    assert_eq!(
        list[1].credential.as_deref(),
        Some(expected_credential(&username).as_str())
    );
    assert_eq!(list[2].urls, vec!["turns:relay.test.invalid:5349"]);
}

#[tokio::test]
async fn webrtc_config_needs_a_token_and_gives_stun_turn_with_ephemeral_credentials_and_statics() {
    let server = TestServer::start(with_ice).await;
    assert_eq!(
        http_get(server.addr, "/api/webrtc/config").await.status,
        401
    );
    let bearer = format!("Bearer {}", token("demo", "ada", Role::Guest));
    let response = http(
        server.addr,
        "GET",
        "/api/webrtc/config",
        &[("Authorization", &bearer)],
        None,
    )
    .await;
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["ttlSecs"], 600);
    let list: Vec<IceServer> = serde_json::from_value(body["iceServers"].clone()).unwrap();
    check_ice(&list, "ada");
    server.shutdown().await;
}

#[tokio::test]
async fn welcome_carries_the_same_ice_servers() {
    let server = TestServer::start(with_ice).await;
    let mut c = server.client().await;
    c.send(&ClientMessage::Join {
        protocol_version: PROTOCOL_VERSION,
        room: "demo".into(),
        name: "Ada".into(),
        token: Some(token("demo", "ada-7", Role::Guest)),
    })
    .await;
    match c.recv().await {
        ServerMessage::Welcome { ice_servers, .. } => check_ice(&ice_servers, "ada-7"),
        other => panic!("expected welcome, got {other:?}"),
    }
    server.shutdown().await;
}

#[tokio::test]
async fn ready_answers_while_running() {
    let server = TestServer::start(|_| {}).await;
    let r = http_get(server.addr, "/ready").await;
    let body = r.json();
    assert_eq!(
        (r.status, &body["status"], &body["store"]),
        (200, &json!("ready"), &json!("memory"))
    );
    assert!(
        body["instance"].as_str().is_some_and(|i| !i.is_empty()),
        "{body}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_count_connections_messages_errors_resumes_and_reports() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, mut bo, bo_id) = server.pair("Ada", "Bo").await;
    ada.signal(&bo_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    bo.recv().await;
    ada.send_text("{oops").await;
    ada.expect_error(steadyrtc_protocol::ErrorCode::BadJson)
        .await;
    ada.send(&ClientMessage::Report(Report {
        peer_id: Some(bo_id.clone()),
        connection_state: Some("connected".into()),
        quality: Some(90),
        setup_ms: Some(420),
        failure_reason: None,
    }))
    .await;
    ada.send(&ClientMessage::Report(Report {
        failure_reason: Some("iceFailed".into()),
        ..Report::default()
    }))
    .await;
    let mut stranger = server.client().await;
    stranger
        .send(&ClientMessage::Resume {
            protocol_version: PROTOCOL_VERSION,
            session_id: "nope".into(),
            last_seq: 0,
        })
        .await;
    stranger
        .expect_error(steadyrtc_protocol::ErrorCode::UnknownSession)
        .await;

    let wanted = [
        "steadyrtc_connections 3",
        "steadyrtc_rooms 1",
        "steadyrtc_participants 2",
        "steadyrtc_messages_total{type=\"signal\"} 1",
        "steadyrtc_messages_total{type=\"join\"} 2",
        "steadyrtc_errors_total{code=\"badJson\"} 1",
        "steadyrtc_resumes_total{result=\"failed\"} 1",
        "steadyrtc_client_setup_seconds_bucket{le=\"0.5\"} 1",
        "steadyrtc_client_failures_total{reason=\"iceFailed\"} 1",
        "steadyrtc_client_connection_states_total{state=\"connected\"} 1",
        "steadyrtc_queue_length 0",
    ];
    // Reports are processed in order after the error above; poll briefly for them.
    let text = common::within("metrics", async {
        loop {
            let response = http_get(server.addr, "/metrics").await;
            assert_eq!(response.status, 200);
            assert!(response
                .header("content-type")
                .unwrap_or_default()
                .starts_with("application/openmetrics-text; version=1.0.0"));
            let text = String::from_utf8(response.body).unwrap();
            if wanted.iter().all(|w| text.lines().any(|l| l == *w)) {
                return text;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(text.contains("# TYPE steadyrtc_session_duration_seconds histogram"));
    assert!(
        text.contains("steadyrtc_connections_accepted_total 3"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "OpenMetrics ends with # EOF");
    server.shutdown().await;
}

#[tokio::test]
async fn stats_summarise_the_server_as_json() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, _, _bo, bo_id) = server.pair("Ada", "Bo").await;
    ada.send(&ClientMessage::Report(Report {
        peer_id: Some(bo_id),
        connection_state: Some("connected".into()),
        ..Report::default()
    }))
    .await;
    let body = common::within("stats", async {
        loop {
            let body = http_get(server.addr, "/api/webrtc/stats").await.json();
            if body["reportedStates"]["connected"] == 1 {
                return body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(
        (
            body["rooms"].clone(),
            body["participants"].clone(),
            body["connections"].clone()
        ),
        (json!(1), json!(2), json!(2))
    );
    server.shutdown().await;
}

#[tokio::test]
async fn diagnostics_for_the_api_key_or_a_host_token_of_that_room_only() {
    let server = TestServer::start(|_| {}).await;
    let (mut ada, ada_id, _bo, bo_id) = server.pair("Ada", "Bo").await;
    ada.signal(&bo_id, json!({"kind": "candidate", "candidate": "c"}))
        .await;
    ada.send(&ClientMessage::Report(Report {
        peer_id: Some(bo_id.clone()),
        connection_state: Some("connecting".into()),
        quality: Some(55),
        ..Report::default()
    }))
    .await;

    let path = "/api/rooms/demo/diagnostics";
    let auth = api_auth();
    let host = format!("Bearer {}", token("demo", &identity(), Role::Host));
    let guest = format!("Bearer {}", token("demo", &identity(), Role::Guest));
    let other_host = format!("Bearer {}", token("elsewhere", &identity(), Role::Host));
    assert_eq!(http_get(server.addr, path).await.status, 401);
    assert_eq!(
        http(server.addr, "GET", path, &[("Authorization", &guest)], None)
            .await
            .status,
        403
    );
    assert_eq!(
        http(
            server.addr,
            "GET",
            path,
            &[("Authorization", &other_host)],
            None
        )
        .await
        .status,
        403
    );
    assert_eq!(
        http(server.addr, "GET", path, &[("Authorization", &host)], None)
            .await
            .status,
        200
    );

    let body = common::within("diagnostics", async {
        loop {
            let body = http(server.addr, "GET", path, &[("Authorization", &auth)], None)
                .await
                .json();
            let me = body["participants"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["peerId"] == ada_id.as_str())
                .cloned()
                .unwrap();
            if me["reports"][&bo_id]["quality"] == 55 {
                return me;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await;
    assert_eq!(body["reports"][&bo_id]["connectionState"], "connecting");
    assert_eq!(body["candidatesRelayed"], 1);
    assert_eq!(body["connected"], true);
    assert!(body["lastSeenMsAgo"].as_u64().unwrap() < 5_000);
    assert_eq!(
        http(
            server.addr,
            "GET",
            "/api/rooms/empty/diagnostics",
            &[("Authorization", &auth)],
            None
        )
        .await
        .status,
        404
    );
    let _ = join_message;
    server.shutdown().await;
}
