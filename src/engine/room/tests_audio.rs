//! Audio levels and active speakers: measured only while the app listens, speakers with
//! hysteresis, a leaving speaker removed.

use super::sim::*;
use super::*;
use steadyrtc_protocol::{LeaveReason, Role, ServerMessage};

fn measures(acts: &[RoomAction]) -> usize {
    acts.iter()
        .filter(|a| **a == RoomAction::MeasureAudio)
        .count()
}

fn speakers(acts: &[RoomAction]) -> Vec<Vec<String>> {
    events(acts)
        .into_iter()
        .filter_map(|e| match e {
            RoomEvent::ActiveSpeakers { peer_ids } => Some(peer_ids),
            _ => None,
        })
        .collect()
}

#[test]
fn nothing_is_measured_until_the_app_listens_and_nothing_after_it_stops() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    assert!(!sim.timers.contains_key(&RoomTimer::AudioLevels));
    sim.feed(RoomInput::AudioListeners {
        levels: false,
        speakers: true,
    });
    let acts = sim.fire(RoomTimer::AudioLevels);
    assert_eq!(measures(&acts), 1);
    assert_eq!(sim.timers[&RoomTimer::AudioLevels], sim.now + 100);
    sim.feed(RoomInput::AudioListeners {
        levels: false,
        speakers: false,
    });
    assert!(!sim.timers.contains_key(&RoomTimer::AudioLevels));
}

#[test]
fn levels_reach_the_app_only_when_asked_and_speakers_change_with_hysteresis() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    sim.feed(RoomInput::AudioListeners {
        levels: false,
        speakers: true,
    });
    let mut seen = Vec::new();
    for step in 0..10 {
        sim.now = 10_000 + step * 100;
        let acts = sim.feed(RoomInput::AudioLevels {
            levels: vec![
                ("a".into(), 0.4),
                ("local".into(), 0.0),
                ("ghost".into(), 0.9),
            ],
        });
        assert!(!names(&acts).contains(&"audioLevel"));
        seen.extend(speakers(&acts));
    }
    // Voice from 10 000 ms: speaking at 10 200 (150 ms and more), once; the unknown
    // "ghost" never counts.
    assert_eq!(seen, vec![vec!["a".to_owned()]]);
    sim.feed(RoomInput::AudioListeners {
        levels: true,
        speakers: true,
    });
    let acts = sim.feed(RoomInput::AudioLevels {
        levels: vec![("a".into(), 0.4)],
    });
    assert_eq!(
        events(&acts),
        vec![RoomEvent::AudioLevel {
            peer_id: "a".into(),
            level: 0.4
        }]
    );
    // Leaving while speaking: the speakers list empties.
    let acts = sim.server(ServerMessage::PeerLeft {
        peer_id: "a".into(),
        reason: LeaveReason::Left,
    });
    assert_eq!(speakers(&acts), vec![Vec::<String>::new()]);
}

#[test]
fn a_blocked_audio_context_is_reported_once() {
    let mut sim = Sim::joined(vec![]);
    let acts = sim.feed(RoomInput::AudioBlocked { blocked: true });
    assert_eq!(names(&acts), vec!["audioPlaybackBlocked"]);
    assert!(names(&sim.feed(RoomInput::AudioBlocked { blocked: true })).is_empty());
    sim.feed(RoomInput::AudioBlocked { blocked: false });
    assert_eq!(
        names(&sim.feed(RoomInput::AudioBlocked { blocked: true })),
        vec!["audioPlaybackBlocked"]
    );
}
