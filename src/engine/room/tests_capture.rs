//! `connect` captures the camera and microphone while the socket opens: `join` waits for
//! the media, and a failed capture fails `connect` with its own code.

use super::sim::*;
use super::*;

fn capturing() -> Sim {
    Sim::new(RoomConfig {
        capturing: true,
        ..config()
    })
}

#[test]
fn the_socket_opens_during_the_capture_and_join_waits_for_the_media() {
    let mut sim = capturing();
    assert!(sim
        .feed(RoomInput::Connect)
        .contains(&RoomAction::OpenSocket));
    assert!(
        !sim.timers.contains_key(&RoomTimer::Join),
        "a permission prompt is the user's time: no join timeout yet"
    );
    assert!(
        sent(&sim.feed(RoomInput::SocketOpened)).is_empty(),
        "no join before the media"
    );
    let acts = sim.feed(RoomInput::Captured { result: Ok(()) });
    assert!(matches!(&sent(&acts)[..], [ClientMessage::Join { .. }]));
    assert!(sim.timers.contains_key(&RoomTimer::Join));
    let acts = sim.server(welcome("me", vec![], true));
    assert!(acts.contains(&RoomAction::ConnectDone { result: Ok(()) }));
}

#[test]
fn media_before_the_socket_joins_as_soon_as_it_opens() {
    let mut sim = capturing();
    sim.feed(RoomInput::Connect);
    assert!(sent(&sim.feed(RoomInput::Captured { result: Ok(()) })).is_empty());
    let acts = sim.feed(RoomInput::SocketOpened);
    assert!(matches!(&sent(&acts)[..], [ClientMessage::Join { .. }]));
}

#[test]
fn join_waits_for_both_the_token_and_the_media() {
    let mut sim = Sim::new(RoomConfig {
        capturing: true,
        token: None,
        has_token_provider: true,
        ..config()
    });
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    assert!(sent(&sim.feed(RoomInput::Captured { result: Ok(()) })).is_empty());
    let acts = sim.feed(RoomInput::Token {
        token: Some("t.o.k".into()),
    });
    assert!(matches!(&sent(&acts)[..], [ClientMessage::Join { .. }]));
}

#[test]
fn a_failed_capture_fails_connect_with_its_code_and_closes_the_socket() {
    let mut sim = capturing();
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let denied = SteadyError::new(ErrorCode::MediaPermissionDenied, "denied");
    let acts = sim.feed(RoomInput::Captured {
        result: Err(denied.clone()),
    });
    assert!(acts.contains(&RoomAction::CloseSocket));
    assert!(acts.contains(&RoomAction::ConnectDone {
        result: Err(denied)
    }));
    assert!(
        sent(&acts).is_empty(),
        "nothing was joined, nothing to leave"
    );
    assert!(sim.room.is_over());
    assert!(sim.timers.is_empty());
}

#[test]
fn an_idle_socket_closed_during_the_capture_is_opened_again_a_few_times() {
    let mut sim = capturing();
    sim.feed(RoomInput::Connect);
    let closed = || RoomInput::SocketClosed {
        code: 1006,
        reason: "idle".into(),
    };
    for _ in 0..3 {
        sim.feed(RoomInput::SocketOpened);
        assert_eq!(sim.feed(closed()), [RoomAction::OpenSocket]);
    }
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.feed(closed());
    assert!(
        acts.iter().any(|a| matches!(
            a,
            RoomAction::ConnectDone { result: Err(e) } if e.code == ErrorCode::SignalingClosed
        )),
        "a server that keeps closing is a failure: {acts:?}"
    );
}

#[test]
fn an_unreachable_server_fails_connect_without_waiting_for_the_media() {
    let mut sim = capturing();
    sim.feed(RoomInput::Connect);
    let acts = sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    assert!(acts.iter().any(|a| matches!(
        a,
        RoomAction::ConnectDone { result: Err(e) } if e.code == ErrorCode::SignalingUnreachable
    )));
    // The capture ends later: nothing more happens.
    let acts = sim.feed(RoomInput::Captured { result: Ok(()) });
    assert!(!acts
        .iter()
        .any(|a| matches!(a, RoomAction::Send { .. } | RoomAction::OpenSocket)));
}
