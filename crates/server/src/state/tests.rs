//! Unit tests of the session rules, driven through channels without sockets.

use super::*;
use crate::tokens::Claims;
use steadyrtc_protocol::PeerInfo;

fn state(adjust: impl FnOnce(&mut Config)) -> AppState {
    let mut config = Config {
        dev: true,
        ..Config::default()
    };
    adjust(&mut config);
    AppState::new(config)
}

fn token(state: &AppState, room: &str, sub: &str, role: Role) -> String {
    let now = unix_now();
    let claims = Claims {
        sub: sub.into(),
        room: room.into(),
        name: None,
        role,
        grants: role.default_grants(),
        exp: now + 60,
        nbf: now,
        iat: now,
    };
    state.keys.issue(&claims).unwrap()
}

fn link(capacity: usize) -> (PeerLink, mpsc::Receiver<Outgoing>) {
    let (tx, rx) = mpsc::channel(capacity);
    (
        PeerLink {
            tx,
            stop: CancellationToken::new(),
            via: None,
        },
        rx,
    )
}

/// Every frame queued so far, parsed, with its seq.
fn drain(rx: &mut mpsc::Receiver<Outgoing>) -> Vec<(Option<u64>, ServerMessage)> {
    std::iter::from_fn(|| rx.try_recv().ok())
        .filter_map(|o| match o {
            Outgoing::Text(t) => Some(ServerMessage::parse_frame(t.as_str()).unwrap()),
            Outgoing::Close(..) | Outgoing::Session(_) => None,
        })
        .collect()
}

async fn join(
    state: &AppState,
    name: &str,
    capacity: usize,
) -> (Attached, mpsc::Receiver<Outgoing>) {
    let (l, rx) = link(capacity);
    let t = token(state, "demo", name, Role::Guest);
    (
        state
            .join(l, PROTOCOL_VERSION, "demo", name, Some(&t))
            .await
            .unwrap(),
        rx,
    )
}

#[tokio::test]
async fn messages_are_numbered_from_one_per_session() {
    let s = state(|_| {});
    let (ada, mut ada_rx) = join(&s, "ada", 64).await;
    let (bo, mut bo_rx) = join(&s, "bo", 64).await;
    s.signal(
        &bo.peer_id,
        &ada.peer_id,
        serde_json::json!({"kind": "answer"}),
    )
    .unwrap();
    let seqs: Vec<_> = drain(&mut ada_rx).into_iter().map(|(seq, _)| seq).collect();
    assert_eq!(
        seqs,
        vec![Some(1), Some(2), Some(3)],
        "welcome, peerJoined, signal"
    );
    let bo_frames = drain(&mut bo_rx);
    assert_eq!(bo_frames.len(), 1);
    let ServerMessage::Welcome {
        peers, session_id, ..
    } = &bo_frames[0].1
    else {
        panic!()
    };
    assert_eq!(session_id.len(), SESSION_ID_LEN);
    assert_eq!(
        peers,
        &vec![PeerInfo {
            id: ada.peer_id.clone(),
            name: "ada".into(),
            role: Role::Guest,
            polite: true
        }]
    );
}

#[tokio::test]
async fn resume_replays_exactly_the_unacknowledged_messages_in_order() {
    let s = state(|_| {});
    let (ada, mut ada_rx) = join(&s, "ada", 64).await;
    let (bo, _bo_rx) = join(&s, "bo", 64).await;
    let welcome = drain(&mut ada_rx);
    let ServerMessage::Welcome { session_id, .. } = &welcome[0].1 else {
        panic!()
    };
    for i in 0..5 {
        s.signal(&bo.peer_id, &ada.peer_id, serde_json::json!({"n": i}))
            .unwrap();
    }
    s.ack(&ada.peer_id, 3);
    assert!(s.detach(&ada.peer_id, ada.epoch));
    s.signal(&bo.peer_id, &ada.peer_id, serde_json::json!({"n": 5}))
        .unwrap();
    let (l, mut rx) = link(64);
    let again = s.resume(l, PROTOCOL_VERSION, session_id, 4).unwrap();
    assert_eq!(again.peer_id, ada.peer_id);
    let frames = drain(&mut rx);
    assert!(matches!(frames[0], (None, ServerMessage::Resumed { .. })));
    let seqs: Vec<_> = frames[1..].iter().map(|(s, _)| s.unwrap()).collect();
    assert_eq!(
        seqs,
        vec![5, 6, 7, 8],
        "seq 1-4 acknowledged or seen; 5-8 replayed"
    );
    s.expire(&ada.peer_id, ada.epoch);
    assert_eq!(
        s.stats().peers,
        2,
        "an expiry of the old connection does nothing"
    );
}

#[tokio::test]
async fn expiry_after_detach_tells_the_others_timeout() {
    let s = state(|_| {});
    let (ada, _ada_rx) = join(&s, "ada", 64).await;
    let (_bo, mut bo_rx) = join(&s, "bo", 64).await;
    drain(&mut bo_rx);
    assert!(s.detach(&ada.peer_id, ada.epoch));
    assert!(drain(&mut bo_rx).is_empty(), "no leave during the window");
    s.expire(&ada.peer_id, ada.epoch);
    assert_eq!(
        drain(&mut bo_rx),
        vec![(
            Some(2),
            ServerMessage::PeerLeft {
                peer_id: ada.peer_id,
                reason: LeaveReason::Timeout
            }
        )]
    );
}

#[tokio::test]
async fn zero_resume_window_means_disconnected_at_once() {
    let s = state(|c| c.resume_window_ms = 0);
    let (ada, _ada_rx) = join(&s, "ada", 64).await;
    let (_bo, mut bo_rx) = join(&s, "bo", 64).await;
    drain(&mut bo_rx);
    assert!(!s.detach(&ada.peer_id, ada.epoch));
    assert!(matches!(
        drain(&mut bo_rx)[0].1,
        ServerMessage::PeerLeft {
            reason: LeaveReason::Disconnected,
            ..
        }
    ));
}

#[tokio::test]
async fn a_session_that_never_acks_is_dropped_at_the_unacked_limit() {
    let s = state(|c| c.max_unacked = 16);
    let (ada, mut ada_rx) = join(&s, "ada", 1_000).await;
    let (slow, slow_rx) = join(&s, "slow", 1_000).await;
    for _ in 0..20 {
        let _ = s.signal(&ada.peer_id, &slow.peer_id, serde_json::json!({}));
    }
    assert_eq!(s.stats().peers, 1);
    assert!(drain(&mut ada_rx).iter().any(|(_, m)| matches!(
        m,
        ServerMessage::PeerLeft {
            reason: LeaveReason::Disconnected,
            ..
        }
    )));
    drop(slow_rx);
}

#[tokio::test]
async fn full_connection_queue_drops_the_session() {
    let s = state(|_| {});
    let (ada, _ada_rx) = join(&s, "ada", 64).await;
    let (slow, _slow_rx) = join(&s, "slow", 1).await; // welcome fills it
    s.signal(&ada.peer_id, &slow.peer_id, serde_json::json!({}))
        .unwrap();
    assert_eq!(s.stats().peers, 1);
}

#[tokio::test]
async fn join_refuses_missing_wrong_room_and_expired_tokens() {
    let s = state(|_| {});
    let (l, _rx) = link(8);
    let code = |r: Result<Attached, Refusal>| r.unwrap_err().code;
    assert_eq!(
        code(
            s.join(l.clone(), PROTOCOL_VERSION, "demo", "Ada", None)
                .await
        ),
        ErrorCode::InvalidToken
    );
    let other = token(&s, "other", "ada", Role::Guest);
    assert_eq!(
        code(
            s.join(l.clone(), PROTOCOL_VERSION, "demo", "Ada", Some(&other))
                .await
        ),
        ErrorCode::InvalidToken
    );
    let now = unix_now();
    let expired = s
        .keys
        .issue(&Claims {
            sub: "a".into(),
            room: "demo".into(),
            name: None,
            role: Role::Guest,
            grants: Grants::default(),
            exp: now - 100,
            nbf: now - 200,
            iat: now - 200,
        })
        .unwrap();
    assert_eq!(
        code(
            s.join(l.clone(), PROTOCOL_VERSION, "demo", "Ada", Some(&expired))
                .await
        ),
        ErrorCode::TokenExpired
    );
    let good = token(&s, "demo", "ada", Role::Guest);
    assert_eq!(
        code(
            s.join(l, PROTOCOL_VERSION + 1, "demo", "Ada", Some(&good))
                .await
        ),
        ErrorCode::UnsupportedVersion
    );
    assert_eq!(s.stats().peers, 0);
}

#[tokio::test]
async fn the_name_in_the_token_wins_over_the_name_in_join() {
    let s = state(|_| {});
    let now = unix_now();
    let t = s
        .keys
        .issue(&Claims {
            sub: "a".into(),
            room: "demo".into(),
            name: Some("Real".into()),
            role: Role::Guest,
            grants: Role::Guest.default_grants(),
            exp: now + 60,
            nbf: now,
            iat: now,
        })
        .unwrap();
    let (l, _rx) = link(8);
    s.join(l, PROTOCOL_VERSION, "demo", "Fake", Some(&t))
        .await
        .unwrap();
    let (_bo, mut bo_rx) = join(&s, "bo", 8).await;
    let ServerMessage::Welcome { peers, .. } = &drain(&mut bo_rx)[0].1 else {
        panic!()
    };
    assert_eq!(peers[0].name, "Real");
}
