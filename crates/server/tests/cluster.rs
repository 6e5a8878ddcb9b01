//! Several instances, one service (issue #17): real servers on loopback sharing one real
//! `redis-server`. Two peers on different instances relay in order; a session resumes on
//! another instance and gets a 1,000-message burst exactly once; a draining instance's
//! clients resume on the others and lose nothing; 200 concurrent `queueJoin`s across two
//! instances pair everyone exactly once; Redis killed and restarted.

mod common;

use std::time::{Duration, Instant};

use common::redis::RedisServer;
use common::{api_auth, http, http_get, join_message, token, within, Client, TestServer};
use serde_json::json;
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, MatchPrefs, PeerId, Role, ServerMessage, PROTOCOL_VERSION,
};

/// `n` instances named i0, i1, ... on one Redis, with generous rates and a resume window.
async fn instances(redis: &RedisServer, n: usize) -> Vec<TestServer> {
    instances_with(redis, n, |_| {}).await
}

/// [`instances`], with `adjust` applied to each configuration.
async fn instances_with(
    redis: &RedisServer,
    n: usize,
    adjust: impl Fn(&mut steadyrtc_server::Config),
) -> Vec<TestServer> {
    let mut servers = Vec::new();
    for i in 0..n {
        let url = redis.url();
        servers.push(
            TestServer::start(|c| {
                c.redis_url = Some(url);
                c.instance_id = Some(format!("i{i}"));
                c.resume_window_ms = 10_000;
                c.rate_per_connection = 100_000;
                c.burst_per_connection = 100_000;
                c.rate_per_ip = 100_000;
                c.burst_per_ip = 100_000;
                c.max_connections_per_ip = 1_000;
                adjust(c);
            })
            .await,
        );
    }
    for server in &servers {
        wait_ready(server).await;
    }
    // An instance announces itself alive once it hears its channel (about a second).
    within("every instance to announce itself", async {
        loop {
            let alive = redis_keys(redis, "steadyrtc:instance:*").await;
            if alive.len() == n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    servers
}

/// Keys matching `pattern`, read with a raw RESP `KEYS` (tests only).
async fn redis_keys(redis: &RedisServer, pattern: &str) -> Vec<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", redis.port))
        .await
        .expect("connect to redis");
    let command = format!("*2\r\n$4\r\nKEYS\r\n${}\r\n{pattern}\r\n", pattern.len());
    stream.write_all(command.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await.expect("read");
        reply.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&reply);
        let Some(count) = text
            .strip_prefix('*')
            .and_then(|t| t.split("\r\n").next())
            .and_then(|c| c.parse::<usize>().ok())
        else {
            continue;
        };
        let lines: Vec<&str> = text.split("\r\n").collect();
        if lines.len() > count * 2 + 1 {
            return (0..count).map(|i| lines[2 + i * 2].to_owned()).collect();
        }
        if n == 0 {
            return Vec::new();
        }
    }
}

async fn wait_ready(server: &TestServer) {
    within("/ready", async {
        while http_get(server.addr, "/ready").await.status != 200 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

fn resume(session_id: &str, last_seq: u64) -> ClientMessage {
    ClientMessage::Resume {
        protocol_version: PROTOCOL_VERSION,
        session_id: session_id.into(),
        last_seq,
    }
}

/// The `n` of a signal from `from`.
fn signal_n(message: ServerMessage, from: &str) -> u64 {
    match message {
        ServerMessage::Signal { from: f, data } => {
            assert_eq!(f, from);
            data["n"].as_u64().expect("n")
        }
        other => panic!("expected a signal, got {other:?}"),
    }
}

async fn shutdown_all(servers: Vec<TestServer>) {
    for server in servers {
        server.shutdown().await;
    }
}

#[tokio::test]
async fn peers_on_two_instances_see_each_other_and_relay_in_order() {
    let redis = RedisServer::start().await;
    let servers = instances(&redis, 2).await;
    let mut ada = servers[0].client().await;
    let (ada_id, _) = ada.join("demo", "Ada").await;
    let mut bo = servers[1].client().await;
    let (bo_id, peers) = bo.join("demo", "Bo").await;
    assert_eq!(peers, vec![common::guest(&ada_id, "Ada", true)]);
    match ada.recv().await {
        ServerMessage::PeerJoined { peer } => assert_eq!(peer.id, bo_id),
        other => panic!("expected peerJoined, got {other:?}"),
    }
    for n in 0..300u64 {
        ada.signal(&bo_id, json!({"kind": "candidate", "n": n}))
            .await;
        bo.signal(&ada_id, json!({"kind": "candidate", "n": n}))
            .await;
    }
    for n in 0..300u64 {
        assert_eq!(signal_n(bo.recv().await, &ada_id), n, "Ada -> Bo in order");
        assert_eq!(signal_n(ada.recv().await, &bo_id), n, "Bo -> Ada in order");
    }
    // The room's instance shows where each participant's socket is.
    let auth = api_auth();
    let diag = http(
        servers[0].addr,
        "GET",
        "/api/rooms/demo/diagnostics",
        &[("Authorization", &auth)],
        None,
    )
    .await
    .json();
    let instance_of = |id: &str| {
        diag["participants"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["peerId"] == id))
            .map(|p| p["instance"].clone())
    };
    assert_eq!(instance_of(&ada_id), Some(json!("i0")), "{diag}");
    assert_eq!(instance_of(&bo_id), Some(json!("i1")), "{diag}");
    // Leaving on the proxy is seen on the owner.
    bo.send(&ClientMessage::Leave {}).await;
    match ada.recv().await {
        ServerMessage::PeerLeft { peer_id, .. } => assert_eq!(peer_id, bo_id),
        other => panic!("expected peerLeft, got {other:?}"),
    }
    // The socket is free again: it can join elsewhere.
    bo.join("other", "Bo").await;
    shutdown_all(servers).await;
}

/// The added latency of the relay: one signal's round trip (Ada -> Bo -> Ada) with both
/// on one instance, and with Bo on another; printed (run with --nocapture to read it).
#[tokio::test]
async fn relay_latency_between_instances_is_measured() {
    const ROUNDS: usize = 200;
    let redis = RedisServer::start().await;
    let servers = instances(&redis, 2).await;
    let mut medians = Vec::new();
    for (label, bo_on) in [("same instance", 0), ("across instances", 1)] {
        let room = format!("lat{bo_on}");
        let mut ada = servers[0].client().await;
        let (ada_id, _) = ada.join(&room, "Ada").await;
        let mut bo = servers[bo_on].client().await;
        let (bo_id, _) = bo.join(&room, "Bo").await;
        ada.recv().await; // peerJoined
        let mut times = Vec::with_capacity(ROUNDS);
        for n in 0..ROUNDS as u64 {
            let started = Instant::now();
            ada.signal(&bo_id, json!({"kind": "candidate", "n": n}))
                .await;
            assert_eq!(signal_n(bo.recv().await, &ada_id), n);
            bo.signal(&ada_id, json!({"kind": "candidate", "n": n}))
                .await;
            assert_eq!(signal_n(ada.recv().await, &bo_id), n);
            times.push(started.elapsed());
        }
        times.sort();
        let p50 = times[ROUNDS / 2];
        let p99 = times[ROUNDS * 99 / 100];
        eprintln!("relay round trip, {label}: p50 {p50:?}, p99 {p99:?} ({ROUNDS} rounds)");
        medians.push(p50);
    }
    assert!(
        medians[1] < Duration::from_millis(50),
        "a relayed round trip takes {:?}",
        medians[1]
    );
    shutdown_all(servers).await;
}

#[tokio::test]
async fn resume_on_another_instance_replays_a_1000_message_burst_exactly_once() {
    const BURST: u64 = 1_000;
    let redis = RedisServer::start().await;
    let servers = instances(&redis, 3).await;
    let mut ada = servers[0].client().await;
    let (ada_id, _) = ada.join("demo", "Ada").await;
    let mut bo = servers[1].client().await;
    let (bo_id, _, session_id) = bo.join_with(&join_message("demo", "Bo")).await;
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));

    let sender = {
        let bo_id = bo_id.clone();
        tokio::spawn(async move {
            for n in 0..BURST {
                ada.signal(&bo_id, json!({"kind": "candidate", "n": n}))
                    .await;
            }
            ada
        })
    };
    let mut got = Vec::new();
    let mut last_seq = 1;
    while got.len() < 300 {
        let (seq, message) = bo.next_frame().await.expect("open");
        last_seq = seq.expect("numbered");
        got.push(signal_n(message, &ada_id));
        if got.len() == 250 {
            bo.ack(last_seq).await;
        }
    }
    drop(bo); // mid-burst, the socket on i1 just goes away

    let mut bo = servers[2].client().await; // and comes back on i2
    bo.send(&resume(&session_id, last_seq)).await;
    match bo.next_frame().await {
        Ok((
            None,
            ServerMessage::Resumed {
                session_id: s,
                peer_id,
                ..
            },
        )) => {
            assert_eq!((s, peer_id), (session_id.clone(), bo_id.clone()));
        }
        other => panic!("expected resumed, got {other:?}"),
    }
    while got.len() < BURST as usize {
        let (seq, message) = bo.next_frame().await.expect("open");
        assert_eq!(seq, Some(last_seq + 1), "no gap, no repeat");
        last_seq += 1;
        got.push(signal_n(message, &ada_id));
    }
    assert_eq!(got, (0..BURST).collect::<Vec<_>>());
    bo.expect_silence(Duration::from_millis(200)).await;
    let mut ada = within("sender", sender).await.expect("sender task");
    ada.expect_silence(Duration::from_millis(200)).await; // no peerLeft
                                                          // And the resumed session goes on: the next message follows without a gap.
    ada.signal(&bo_id, json!({"kind": "candidate", "n": BURST}))
        .await;
    let (seq, message) = bo.next_frame().await.expect("open");
    assert_eq!(
        (seq, signal_n(message, &ada_id)),
        (Some(last_seq + 1), BURST)
    );
    shutdown_all(servers).await;
}

#[tokio::test]
async fn a_draining_instance_sends_its_clients_to_the_others_and_nothing_is_lost() {
    let redis = RedisServer::start().await;
    let mut servers = instances(&redis, 3).await;
    let mut ada = servers[0].client().await;
    let (ada_id, _) = ada.join("demo", "Ada").await;
    // Three clients on the instance about to drain, in the room owned by i0.
    let mut movers: Vec<(Client, PeerId, String)> = Vec::new();
    for name in ["Bo", "Cy", "Di"] {
        let mut c = servers[1].client().await;
        let (id, _, session) = c.join_with(&join_message("demo", name)).await;
        assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));
        movers.push((c, id, session));
    }
    // Drain i1 (SIGTERM in production): /ready says so at once, clients hear goAway.
    let draining = servers.remove(1);
    let addr = draining.addr;
    let stopping = tokio::spawn(draining.shutdown());
    within("/ready to turn 503", async {
        loop {
            let r = http_get(addr, "/ready").await;
            if r.status == 503 {
                assert_eq!(r.json()["status"], "shuttingDown");
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    for (c, _, _) in movers.iter_mut() {
        loop {
            match c.next_frame().await {
                Ok((None, ServerMessage::GoAway { .. })) => break,
                Ok((Some(_), ServerMessage::PeerJoined { .. })) => continue,
                other => panic!("expected goAway, got {other:?}"),
            }
        }
    }
    // Messages sent while they move are kept for them.
    for (n, (_, id, _)) in movers.iter().enumerate() {
        ada.signal(id, json!({"kind": "candidate", "n": n})).await;
    }
    within("the drained instance to stop", stopping)
        .await
        .expect("shutdown task");
    for (n, (old, id, session)) in movers.into_iter().enumerate() {
        let last_seq = old.last_seq.expect("seq");
        drop(old);
        let mut c = servers[n % 2].client().await; // i0 or i2
        c.send(&resume(&session, last_seq)).await;
        match c.next_frame().await {
            Ok((None, ServerMessage::Resumed { peer_id, .. })) => assert_eq!(peer_id, id),
            other => panic!("expected resumed, got {other:?}"),
        }
        let (seq, message) = c.next_frame().await.expect("open");
        assert_eq!(seq, Some(last_seq + 1));
        assert_eq!(signal_n(message, &ada_id), n as u64);
    }
    ada.expect_silence(Duration::from_millis(300)).await; // nobody left
    shutdown_all(servers).await;
}

/// Reads until the server closes the connection (numbered messages are taken in, so
/// `last_seq` counts them); returns the close code.
async fn until_closed(c: &mut Client) -> Option<u16> {
    loop {
        match c.next_frame().await {
            Ok(_) => continue,
            Err(frame) => return frame.map(|f| u16::from(f.code)),
        }
    }
}

/// A rolling restart of the instance that owns the room: it still takes a newcomer while
/// it drains, then hands the room over, and every peer (one on it, two relayed through
/// another instance) resumes with nothing lost and nobody seeing anyone leave.
#[tokio::test]
async fn draining_the_owner_hands_the_room_over_and_the_call_goes_on() {
    let redis = RedisServer::start().await;
    let mut servers = instances_with(&redis, 3, |c| c.drain_ms = 1_000).await;
    let mut ada = servers[0].client().await;
    let (ada_id, _, ada_session) = ada.join_with(&join_message("demo", "Ada")).await;
    let mut bo = servers[1].client().await;
    let (bo_id, _, bo_session) = bo.join_with(&join_message("demo", "Bo")).await;
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));
    bo.signal(&ada_id, json!({"kind": "candidate", "n": 0}))
        .await;
    assert_eq!(signal_n(ada.recv().await, &bo_id), 0);

    let owner = servers.remove(0);
    let stopping = tokio::spawn(owner.shutdown());
    match ada.next_frame().await {
        Ok((None, ServerMessage::GoAway { .. })) => {}
        other => panic!("expected goAway, got {other:?}"),
    }
    // Sent while the owner drains: kept in Ada's outbox, which moves with the room.
    bo.signal(&ada_id, json!({"kind": "candidate", "n": 1}))
        .await;
    // A newcomer relayed to the draining owner is still let in; the room takes it along.
    let mut cy = servers[0].client().await;
    let (cy_id, peers, cy_session) = cy.join_with(&join_message("demo", "Cy")).await;
    assert_eq!(peers.len(), 2, "{peers:?}");
    within("the owner to stop", stopping)
        .await
        .expect("shutdown task");
    // The sockets relayed to the old owner are closed so that their clients resume.
    assert_eq!(until_closed(&mut bo).await, Some(1012));
    assert_eq!(until_closed(&mut cy).await, Some(1012));

    // servers is now [i1, i2]: Ada comes back on i2, Bo and Cy on i1.
    let ada_last = ada.last_seq.expect("seq");
    drop(ada);
    let mut ada = servers[1].client().await;
    ada.send(&resume(&ada_session, ada_last)).await;
    assert!(matches!(
        ada.next_frame().await,
        Ok((None, ServerMessage::Resumed { .. }))
    ));
    // Missed while away, in whichever order the owner took them: Bo's signal, Cy's join.
    let mut missed = Vec::new();
    for expected in [ada_last + 1, ada_last + 2] {
        let (seq, message) = ada.next_frame().await.expect("open");
        assert_eq!(seq, Some(expected), "no gap, no repeat");
        missed.push(match message {
            ServerMessage::Signal { data, .. } => format!("signal {}", data["n"]),
            ServerMessage::PeerJoined { peer } => format!("joined {}", peer.name),
            other => panic!("unexpected {other:?}"),
        });
    }
    missed.sort();
    assert_eq!(missed, ["joined Cy", "signal 1"]);

    for (session, last) in [(&bo_session, bo.last_seq), (&cy_session, cy.last_seq)] {
        let mut c = servers[0].client().await;
        c.send(&resume(session, last.expect("seq"))).await;
        assert!(matches!(
            c.next_frame().await,
            Ok((None, ServerMessage::Resumed { .. }))
        ));
        if session == &bo_session {
            bo = c;
        } else {
            cy = c;
        }
    }
    bo.signal(&ada_id, json!({"kind": "candidate", "n": 2}))
        .await;
    let (seq, message) = ada.next_frame().await.expect("open");
    assert_eq!((seq, signal_n(message, &bo_id)), (Some(ada_last + 3), 2));
    ada.signal(&cy_id, json!({"kind": "candidate", "n": 3}))
        .await;
    assert_eq!(signal_n(cy.recv().await, &ada_id), 3);
    for c in [&mut ada, &mut bo, &mut cy] {
        c.expect_silence(Duration::from_millis(200)).await; // nobody left
    }
    shutdown_all(servers).await;
}

#[tokio::test]
async fn two_hundred_concurrent_queue_joins_on_two_instances_pair_everyone_exactly_once() {
    const PEOPLE: usize = 200;
    let redis = RedisServer::start().await;
    let servers = instances(&redis, 2).await;
    let addrs: Vec<_> = servers.iter().map(|s| s.addr).collect();
    let joins = (0..PEOPLE).map(|i| {
        let addr = addrs[i % 2];
        async move {
            let mut c = Client::connect(addr).await;
            let identity = format!("q{i}");
            c.send(&ClientMessage::QueueJoin {
                protocol_version: PROTOCOL_VERSION,
                name: identity.clone(),
                token: token("lobby", &identity, Role::Guest),
                prefs: MatchPrefs::default(),
            })
            .await;
            let me = match c.recv().await {
                ServerMessage::Welcome { peer_id, .. } => peer_id,
                other => panic!("expected welcome, got {other:?}"),
            };
            (c, me)
        }
    });
    let mut clients = futures_util::future::join_all(joins).await;
    let waits = clients.iter_mut().map(|(c, me)| async move {
        loop {
            match c.recv().await {
                ServerMessage::Queued { .. } => continue,
                ServerMessage::Matched { peer, .. } => return (me.clone(), peer.id),
                other => panic!("expected queued or matched, got {other:?}"),
            }
        }
    });
    let pairs: Vec<(PeerId, PeerId)> = futures_util::future::join_all(waits).await;
    let partner: std::collections::HashMap<_, _> = pairs.iter().cloned().collect();
    assert_eq!(partner.len(), PEOPLE, "everyone matched once");
    for (me, other) in &pairs {
        assert_ne!(me, other);
        assert_eq!(
            partner.get(other),
            Some(me),
            "{me} and {other} match each other"
        );
    }
    // Nobody is matched a second time.
    let quiet = clients
        .iter_mut()
        .map(|(c, _)| c.expect_silence(Duration::from_millis(300)));
    futures_util::future::join_all(quiet).await;
    shutdown_all(servers).await;
}

/// API rooms with an empty timeout: removed once empty everywhere, by whichever instance
/// sees that, but never while members sit on another instance.
#[tokio::test]
async fn an_api_room_is_removed_when_empty_everywhere_and_never_while_in_use_elsewhere() {
    let redis = RedisServer::start().await;
    let servers = instances(&redis, 2).await;
    let auth = api_auth();
    for name in ["busy", "idle"] {
        let body = format!(r#"{{"name":"{name}","emptyTimeoutSecs":1}}"#);
        let created = http(
            servers[0].addr,
            "POST",
            "/api/rooms",
            &[("Authorization", &auth)],
            Some(&body),
        )
        .await;
        assert_eq!(created.status, 201);
    }
    let mut ada = servers[1].client().await;
    ada.join("busy", "Ada").await; // the room lives on i1 now
    let status = |room: &'static str| {
        let auth = auth.clone();
        let addr = servers[0].addr;
        async move {
            let path = format!("/api/rooms/{room}");
            http(addr, "GET", &path, &[("Authorization", &auth)], None)
                .await
                .status
        }
    };
    within("the idle room to be removed", async {
        while status("idle").await != 404 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    // Both instances have swept "busy" for more than its timeout by now, and once more:
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert_eq!(status("busy").await, 200, "in use on i1: kept");
    ada.send(&ClientMessage::Leave {}).await;
    within("the room left empty to be removed", async {
        while status("busy").await != 404 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    shutdown_all(servers).await;
}

#[tokio::test]
async fn redis_killed_and_restarted_under_two_instances() {
    let mut redis = RedisServer::start().await;
    let servers = instances(&redis, 2).await;
    let (mut ada, _ada_id, mut bo, bo_id) = servers[0].pair("Ada", "Bo").await;

    redis.kill();
    for server in &servers {
        within("/ready to turn 503", async {
            while http_get(server.addr, "/ready").await.status != 503 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
        .await;
        let mut late = server.client().await;
        late.send(&join_message("demo", "Late")).await;
        late.expect_error(ErrorCode::Unavailable).await;
    }
    // Two peers on one instance keep signaling without Redis.
    ada.signal(&bo_id, json!({"kind": "candidate", "n": 7}))
        .await;
    assert!(matches!(bo.recv().await, ServerMessage::Signal { .. }));

    redis.restart().await;
    for server in &servers {
        wait_ready(server).await;
    }
    // Across instances again, once both announce themselves on the new Redis.
    within("both instances back in Redis", async {
        while redis_keys(&redis, "steadyrtc:instance:*").await.len() < 2 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let mut cy = servers[1].client().await;
    let (cy_id, peers) = cy.join("demo", "Cy").await;
    assert_eq!(peers.len(), 2, "Cy on i1 sees Ada and Bo on i0: {peers:?}");
    assert!(matches!(ada.recv().await, ServerMessage::PeerJoined { .. }));
    ada.signal(&cy_id, json!({"kind": "candidate", "n": 1}))
        .await;
    assert!(matches!(cy.recv().await, ServerMessage::Signal { .. }));
    shutdown_all(servers).await;
}

/// A rolling restart, one instance right after the other: a stopped instance leaves the
/// registry as it ends (not when its heartbeat expires), and a draining one takes no room,
/// so the next instance to drain hands its rooms to one still running and the session
/// resumes there. (Handing them to the instance stopped a moment before made every resume
/// fail until the client gave up and joined anew: the call dropped.)
#[tokio::test]
async fn in_a_rolling_restart_the_next_drain_hands_rooms_only_to_a_running_instance() {
    let redis = RedisServer::start().await;
    let mut servers = instances_with(&redis, 3, |c| c.drain_ms = 200).await;
    let mut ada = servers[0].client().await;
    let (_, _, session) = ada.join_with(&join_message("demo", "Ada")).await;
    let mut last = ada.last_seq.unwrap_or(0);
    drop(ada);

    for (stopping, next) in [("i0", "i1"), ("i1", "i2")] {
        // The owner (where Ada is) stops: the room goes to a running instance, and the
        // stopped one is gone from the registry at once.
        within("an instance to stop", servers.remove(0).shutdown()).await;
        let alive = redis_keys(&redis, "steadyrtc:instance:*").await;
        assert!(
            !alive.iter().any(|k| k.ends_with(&format!(":{stopping}"))),
            "{stopping} still registered: {alive:?}"
        );
        // Ada resumes on the next one (the only choice left the second time: i0 stopped
        // a moment ago and i1 is the one draining).
        let mut ada = servers[0].client().await;
        ada.send(&resume(&session, last)).await;
        match ada.next_frame().await {
            Ok((None, ServerMessage::Resumed { .. })) => {}
            other => panic!("resume on {next} after {stopping} stopped: {other:?}"),
        }
        last = ada.last_seq.unwrap_or(last);
    }
    shutdown_all(servers).await;
}

/// Two instances stop at once (an impatient rolling restart): each says it drains as soon
/// as it starts to, so neither hands its room to the other, and both rooms go to the one
/// that keeps running. (Handed to the other draining instance, a room was lost with it.)
#[tokio::test]
async fn two_instances_draining_at_once_hand_their_rooms_to_the_one_still_running() {
    let redis = RedisServer::start().await;
    let mut servers = instances_with(&redis, 3, |c| c.drain_ms = 300).await;
    let mut ada = servers[0].client().await;
    let (_, _, ada_session) = ada.join_with(&join_message("one", "Ada")).await;
    let mut bo = servers[1].client().await;
    let (_, _, bo_session) = bo.join_with(&join_message("two", "Bo")).await;
    let (ada_last, bo_last) = (ada.last_seq.unwrap_or(0), bo.last_seq.unwrap_or(0));
    drop((ada, bo));
    let i0 = servers.remove(0);
    let i1 = servers.remove(0);
    within("both to stop", async {
        tokio::join!(i0.shutdown(), i1.shutdown());
    })
    .await;
    for (who, session, last) in [
        ("Ada", &ada_session, ada_last),
        ("Bo", &bo_session, bo_last),
    ] {
        let mut c = servers[0].client().await;
        c.send(&resume(session, last)).await;
        match c.next_frame().await {
            Ok((None, ServerMessage::Resumed { .. })) => {}
            other => panic!("{who}'s resume on i2: {other:?}"),
        }
    }
    shutdown_all(servers).await;
}
