//! The random match: queueJoin, the wait with its position and clock, the partner as a
//! peer, next, and back to the queue when the partner moves on.

use super::matching::QUEUE_TICK_MS;
use super::sim::*;
use super::*;
use steadyrtc_protocol::{LeaveReason, MatchPrefs, Role, ServerMessage};

fn prefs() -> MatchPrefs {
    MatchPrefs {
        tags: vec!["chess".into()],
        language: Some("en".into()),
    }
}

/// In the queue: `welcome` read, nothing else.
fn waiting() -> Sim {
    let mut sim = Sim::new(RoomConfig {
        match_prefs: Some(Box::new(prefs())),
        ..config()
    });
    sim.feed(RoomInput::Connect);
    let acts = sim.feed(RoomInput::SocketOpened);
    assert_eq!(
        sent(&acts),
        vec![ClientMessage::QueueJoin {
            protocol_version: PROTOCOL_VERSION,
            name: "Ada".into(),
            token: "a.b.c".into(),
            prefs: prefs(),
        }]
    );
    sim.server(welcome("me", vec![], true));
    sim
}

fn queued(acts: &[RoomAction]) -> Vec<(u32, u64)> {
    events(acts)
        .into_iter()
        .filter_map(|e| match e {
            RoomEvent::Queued {
                position,
                waited_ms,
            } => Some((position, waited_ms)),
            _ => None,
        })
        .collect()
}

fn matched(sim: &mut Sim, polite: bool) -> Vec<RoomAction> {
    sim.server(ServerMessage::Matched {
        room: "match-1".into(),
        peer: peer("z", Role::Guest, !polite),
        polite,
    })
}

#[test]
fn the_wait_tells_the_position_and_the_time_waited_until_matched() {
    let mut sim = waiting();
    let acts = sim.server(ServerMessage::Queued { position: 3 });
    assert_eq!(queued(&acts), vec![(3, 0)]);
    let (timer, acts) = sim.fire_next();
    assert_eq!(timer, RoomTimer::QueueTick);
    assert_eq!(queued(&acts), vec![(3, QUEUE_TICK_MS)]);
    sim.advance(500);
    let acts = sim.server(ServerMessage::Queued { position: 1 });
    assert_eq!(queued(&acts), vec![(1, QUEUE_TICK_MS + 500)]);

    sim.advance(200);
    let acts = matched(&mut sim, true);
    let names = names(&acts);
    assert_eq!(names, vec!["matched", "peerJoined"]);
    assert!(events(&acts).contains(&RoomEvent::Matched {
        room: "match-1".into(),
        peer: PeerView {
            id: "z".into(),
            name: "name-z".into(),
            role: Role::Guest,
        },
        waited_ms: QUEUE_TICK_MS + 700,
    }));
    let links = opened(&acts);
    assert_eq!(links.len(), 1);
    assert!(
        links[0].2.polite && links[0].2.initiator,
        "the later one offers"
    );
    assert!(
        !sim.timers.contains_key(&RoomTimer::QueueTick),
        "the clock stops"
    );
}

#[test]
fn the_earlier_one_waits_for_the_offer() {
    let mut sim = waiting();
    sim.server(ServerMessage::Queued { position: 1 });
    let links = opened(&matched(&mut sim, false));
    assert!(!links[0].2.polite && !links[0].2.initiator);
}

#[test]
fn next_drops_the_partner_and_queues_again() {
    let mut sim = waiting();
    sim.server(ServerMessage::Queued { position: 1 });
    matched(&mut sim, true);
    let now = sim.now;
    let acts = sim.room.match_next(now).unwrap();
    assert!(acts.contains(&RoomAction::CloseLink {
        peer_id: "z".into()
    }));
    assert_eq!(names(&acts), vec!["peerLeft"]);
    assert_eq!(sent(&acts), vec![ClientMessage::QueueNext {}]);
    assert!(sim.room.peers().is_empty());
    let acts = sim.server(ServerMessage::Queued { position: 2 });
    assert_eq!(
        queued(&acts),
        vec![(2, 0)],
        "a new wait starts its own clock"
    );
}

#[test]
fn a_partner_who_moves_on_sends_this_side_back_to_the_queue() {
    let mut sim = waiting();
    matched(&mut sim, false);
    let acts = sim.server(ServerMessage::PeerLeft {
        peer_id: "z".into(),
        reason: LeaveReason::Left,
    });
    assert_eq!(names(&acts), vec!["peerLeft"]);
    assert!(sent(&acts).contains(&ClientMessage::QueueNext {}));
}

#[test]
fn next_is_refused_outside_a_match_and_before_connecting() {
    let mut sim = Sim::joined(vec![]);
    let now = sim.now;
    let err = sim.room.match_next(now).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::InvalidArgument);
    let mut idle = Sim::new(RoomConfig {
        match_prefs: Some(Box::new(prefs())),
        ..config()
    });
    let err = idle.room.match_next(0).unwrap_err();
    assert_eq!(err.code, crate::error::ErrorCode::NotConnected);
}
