//! The Redis store (issue #17): its contract checked against a real `redis-server`, room
//! definitions shared by two instances, `/ready` and `/metrics` naming the instance and
//! the store, and Redis faults: killed, the server says so and refuses new sessions with
//! `unavailable` while the sessions it has keep signaling; restarted, it recovers by
//! itself.

mod common;

use std::time::Duration;

use common::redis::RedisServer;
use common::{api_auth, http, http_get, join_message, TestServer};
use serde_json::json;
use steadyrtc_protocol::ErrorCode;
use steadyrtc_server::store::{RedisStore, RoomMode, RoomSpec, Store, StoreError};

fn spec(name: &str) -> RoomSpec {
    RoomSpec {
        name: name.into(),
        mode: RoomMode::Broadcast,
        max_participants: 4,
        empty_timeout_secs: 0,
        created_at: 1,
    }
}

/// Polls `/ready` until it answers `status` (at most [`common::STEP`]).
async fn wait_ready(server: &TestServer, status: u16) -> serde_json::Value {
    common::within(&format!("/ready to answer {status}"), async {
        loop {
            let r = http_get(server.addr, "/ready").await;
            if r.status == status {
                return r.json();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
}

#[tokio::test]
async fn the_redis_store_keeps_the_store_contract() {
    let redis = RedisServer::start().await;
    let store = RedisStore::new(&redis.url(), 2, Duration::from_secs(1)).expect("store");
    assert_eq!(store.ping().await, Ok(()));
    assert_eq!(store.create_room(spec("a")).await, Ok(()));
    assert_eq!(store.create_room(spec("a")).await, Err(StoreError::Exists));
    assert_eq!(store.create_room(spec("b")).await, Ok(()));
    assert_eq!(store.create_room(spec("c")).await, Err(StoreError::Full));
    assert_eq!(store.room("a").await, Ok(Some(spec("a"))));
    assert_eq!(store.room("nope").await, Ok(None));
    assert_eq!(store.delete_room("a").await, Ok(true));
    assert_eq!(store.delete_room("a").await, Ok(false));
    assert_eq!(store.rooms().await, Ok(vec![spec("b")]));
    let stats = store.redis_stats().expect("redis stats");
    assert!(stats.commands_total.get() >= 10);
}

#[tokio::test]
async fn concurrent_creates_of_one_name_succeed_exactly_once() {
    let redis = RedisServer::start().await;
    let url = redis.url();
    // Two stores: as two instances would, each with its own connection.
    let one = RedisStore::new(&url, 100, Duration::from_secs(2)).expect("store");
    let two = RedisStore::new(&url, 100, Duration::from_secs(2)).expect("store");
    let attempts = (0..20).map(|i| {
        let store = if i % 2 == 0 { &one } else { &two };
        store.create_room(spec("contested"))
    });
    let results = futures_util::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    let exists = results
        .iter()
        .filter(|r| **r == Err(StoreError::Exists))
        .count();
    assert_eq!((created, exists), (1, 19), "{results:?}");
}

#[tokio::test]
async fn a_store_without_redis_is_unavailable_within_its_timeout() {
    let mut redis = RedisServer::start().await;
    let store = RedisStore::new(&redis.url(), 10, Duration::from_millis(300)).expect("store");
    redis.kill();
    let started = std::time::Instant::now();
    assert!(matches!(
        store.room("a").await,
        Err(StoreError::Unavailable(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    redis.restart().await;
    common::within("the store to reconnect", async {
        while store.ping().await.is_err() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn two_instances_share_room_definitions() {
    let redis = RedisServer::start().await;
    let one = TestServer::start(|c| {
        c.redis_url = Some(redis.url());
        c.instance_id = Some("one".into());
        c.auto_create_rooms = false;
    })
    .await;
    let two = TestServer::start(|c| {
        c.redis_url = Some(redis.url());
        c.instance_id = Some("two".into());
        c.auto_create_rooms = false;
    })
    .await;
    let auth = api_auth();
    let created = http(
        one.addr,
        "POST",
        "/api/rooms",
        &[("Authorization", &auth)],
        Some(r#"{"name":"shared","maxParticipants":3}"#),
    )
    .await;
    assert_eq!(created.status, 201);
    let seen = http(
        two.addr,
        "GET",
        "/api/rooms/shared",
        &[("Authorization", &auth)],
        None,
    )
    .await;
    assert_eq!(
        (seen.status, &seen.json()["maxParticipants"]),
        (200, &json!(3))
    );
    // The room exists for joins on the other instance, which creates no rooms itself.
    let mut ada = two.client().await;
    ada.join("shared", "Ada").await;
    let mut bo = two.client().await;
    bo.send(&join_message("elsewhere", "Bo")).await;
    bo.expect_error(ErrorCode::RoomNotFound).await;
    one.shutdown().await;
    two.shutdown().await;
}

#[tokio::test]
async fn ready_and_metrics_name_the_instance_and_the_redis_store() {
    let redis = RedisServer::start().await;
    let server = TestServer::start(|c| {
        c.redis_url = Some(redis.url());
        c.instance_id = Some("blue-1".into());
    })
    .await;
    let body = wait_ready(&server, 200).await;
    assert_eq!(
        body,
        json!({"status": "ready", "instance": "blue-1", "store": "redis"})
    );
    let metrics = String::from_utf8(http_get(server.addr, "/metrics").await.body).unwrap();
    for line in [
        "steadyrtc_instance_info{instance=\"blue-1\",store=\"redis\"} 1",
        "steadyrtc_redis_commands_total ",
        "steadyrtc_redis_errors_total 0\n",
        "steadyrtc_redis_latency_seconds_count ",
    ] {
        assert!(metrics.contains(line), "no {line:?} in\n{metrics}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn redis_down_refuses_new_sessions_keeps_signaling_and_recovers() {
    let mut redis = RedisServer::start().await;
    let server = TestServer::start(|c| {
        c.redis_url = Some(redis.url());
        c.redis_timeout_ms = 300;
    })
    .await;
    let (mut ada, ada_id, mut bo, bo_id) = server.pair("Ada", "Bo").await;

    redis.kill();
    let body = wait_ready(&server, 503).await;
    assert_eq!(body["status"], "storeUnavailable");
    // A new session is refused with a clear code, quickly, and the socket stays usable.
    let mut cy = server.client().await;
    cy.send(&join_message("demo", "Cy")).await;
    cy.expect_error(ErrorCode::Unavailable).await;
    // The sessions already here go on signaling each other.
    ada.signal(&bo_id, json!({"kind": "offer", "sdp": "v=0"}))
        .await;
    match bo.recv().await {
        steadyrtc_protocol::ServerMessage::Signal { from, data } => {
            assert_eq!(
                (from.as_str(), &data["kind"]),
                (ada_id.as_str(), &json!("offer"))
            );
        }
        other => panic!("expected the signal, got {other:?}"),
    }
    let metrics = String::from_utf8(http_get(server.addr, "/metrics").await.body).unwrap();
    assert!(
        !metrics.contains("steadyrtc_redis_errors_total 0\n"),
        "errors are counted"
    );

    redis.restart().await;
    wait_ready(&server, 200).await;
    cy.join("demo", "Cy").await;
    server.shutdown().await;
}
