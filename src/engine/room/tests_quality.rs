//! The room's quality rules: sampling cadence, the `quality` event and its rate, and the
//! two decisions stats make (a silent path stalls the link; media back ends a recovery).

use super::sim::*;
use super::*;
use steadyrtc_protocol::{Role, ServerMessage};

/// Joined with `a`, whose link is connected; returns the sim.
fn link_inputs(acts: &[RoomAction]) -> Vec<Input> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::LinkInput { input, .. } => Some(input.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn each_link_is_sampled_every_second_and_twice_as_often_while_it_recovers() {
    let mut sim = connected();
    let timer = RoomTimer::Stats {
        peer_id: "a".into(),
    };
    let at = sim.timers[&timer];
    let acts = sim.fire(timer.clone());
    assert!(acts.contains(&RoomAction::SampleStats {
        peer_id: "a".into()
    }));
    assert_eq!(sim.timers[&timer], at + 1_000);
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    let at = sim.timers[&timer];
    sim.fire(timer.clone());
    assert_eq!(sim.timers[&timer], at + 500);
    // The peer leaves: no more sampling.
    sim.server(ServerMessage::PeerLeft {
        peer_id: "a".into(),
        reason: steadyrtc_protocol::LeaveReason::Left,
    });
    assert!(!sim.timers.contains_key(&timer));
}

#[test]
fn quality_is_reported_on_every_level_change_and_at_most_once_a_second_otherwise() {
    let mut sim = connected();
    assert!(
        events(&stats(&mut sim, sample(10_000, 50, 100, 1_000, 1))).is_empty(),
        "the first sample only primes"
    );
    let evs = events(&stats(&mut sim, sample(11_000, 100, 200, 2_000, 2)));
    let [RoomEvent::Quality {
        peer_id,
        level,
        metrics,
        ..
    }] = &evs[..]
    else {
        panic!("{evs:?}")
    };
    assert_eq!(peer_id, "a");
    assert_eq!(*level, crate::engine::quality::Level::Excellent);
    assert_eq!(metrics.resolution.as_deref(), Some("640x480"));
    assert_eq!(metrics.rtt_ms, Some(20.0));
    assert_eq!(metrics.candidate_type.as_deref(), Some("host"));
    // 300 ms later, same level: not reported, but kept for room.quality().
    assert!(events(&stats(&mut sim, sample(11_300, 115, 230, 2_300, 2))).is_empty());
    assert!(matches!(
        sim.room.quality("a"),
        Some(RoomEvent::Quality { .. })
    ));
    assert_eq!(
        names_of(&stats(&mut sim, sample(12_100, 155, 310, 3_100, 3))),
        vec!["quality"]
    );
    // Video stops arriving (the remote stopped its camera): the level drops, reported at once.
    assert_eq!(
        names_of(&stats(&mut sim, sample(12_400, 170, 310, 3_400, 3))),
        vec!["quality"]
    );
}

fn names_of(acts: &[RoomAction]) -> Vec<&'static str> {
    events(acts).iter().map(RoomEvent::name).collect()
}

#[test]
fn a_silent_path_stalls_a_connected_link_at_once() {
    let mut sim = connected();
    stats(&mut sim, sample(10_000, 50, 100, 1_000, 1));
    stats(&mut sim, sample(11_000, 100, 200, 2_000, 2));
    let acts = stats(&mut sim, sample(12_000, 100, 200, 2_000, 2));
    assert_eq!(link_inputs(&acts), vec![Input::StatsStalled]);
}

#[test]
fn a_remote_that_stops_its_media_but_keeps_rtcp_or_consent_does_not_stall_the_link() {
    let mut sim = connected();
    stats(&mut sim, sample(10_000, 50, 100, 1_000, 1));
    stats(&mut sim, sample(11_000, 100, 200, 2_000, 2));
    // Video stopped, audio flows.
    assert!(link_inputs(&stats(&mut sim, sample(12_000, 150, 200, 3_000, 2))).is_empty());
    // No RTP at all, but RTCP bytes on the pair.
    assert!(link_inputs(&stats(&mut sim, sample(13_000, 150, 200, 3_050, 2))).is_empty());
    // No RTP, no bytes, but a consent response.
    assert!(link_inputs(&stats(&mut sim, sample(14_000, 150, 200, 3_050, 3))).is_empty());
}

#[test]
fn media_arriving_on_a_recovering_link_tells_it_so() {
    let mut sim = connected();
    stats(&mut sim, sample(10_000, 50, 100, 1_000, 1));
    stats(&mut sim, sample(11_000, 100, 200, 2_000, 2));
    stats(&mut sim, sample(12_000, 100, 200, 2_000, 2));
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    assert!(link_inputs(&stats(&mut sim, sample(12_500, 100, 200, 2_000, 2))).is_empty());
    assert_eq!(
        link_inputs(&stats(&mut sim, sample(13_000, 120, 230, 2_400, 2))),
        vec![Input::StatsFlowing]
    );
}

#[test]
fn samples_of_a_replaced_link_are_ignored() {
    let mut sim = connected();
    sim.room.reconnect_peer(sim.now, "a").unwrap();
    sim.now = 10_000;
    let acts = sim.feed(RoomInput::Stats {
        peer_id: "a".into(),
        epoch: 0,
        sample: sample(10_000, 1, 1, 1, 1),
    });
    assert!(
        matches!(&acts[..], [RoomAction::Ignored { .. }]),
        "{acts:?}"
    );
}

fn encodings(acts: &[RoomAction]) -> Vec<crate::engine::adapt::Rung> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::SetEncoding { encoding, .. } => Some(encoding.rung),
            _ => None,
        })
        .collect()
}

fn media_states_sent(acts: &[RoomAction]) -> Vec<serde_json::Value> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::Send {
                message: steadyrtc_protocol::ClientMessage::Signal { data, .. },
            } if data["kind"] == "mediaState" => Some(data.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn loss_reported_by_the_remote_steps_what_we_send_down_and_says_why() {
    use crate::engine::adapt::{Rung, Trigger};
    let mut sim = connected();
    let mut log = Vec::new();
    for (i, t) in (10..16).enumerate() {
        log.extend(stats(
            &mut sim,
            sample_with_loss(t * 1_000, 100 * (i as u64 + 1), 0.2),
        ));
    }
    assert_eq!(
        encodings(&log),
        vec![Rung::Medium, Rung::Low],
        "two lossy samples a rung"
    );
    let change = events(&log)
        .into_iter()
        .find(|e| matches!(e, RoomEvent::QualityLevelChange { .. }))
        .unwrap();
    assert!(
        matches!(
            change,
            RoomEvent::QualityLevelChange {
                from: Rung::High,
                to: Rung::Medium,
                trigger: Trigger::Loss,
                ..
            }
        ),
        "{change:?}"
    );
}

#[test]
fn audio_only_pauses_video_on_the_wire_and_tells_the_remote_and_back_up_resumes_it() {
    use crate::engine::adapt::Rung;
    let mut sim = connected();
    let mut log = Vec::new();
    let mut t = 10;
    for i in 0..12u64 {
        log.extend(stats(
            &mut sim,
            sample_with_loss(t * 1_000, 100 * (i + 1), 0.3),
        ));
        t += 1;
    }
    assert_eq!(encodings(&log).last(), Some(&Rung::AudioOnly));
    let paused = media_states_sent(&log);
    assert_eq!(paused.len(), 1, "{paused:?}");
    assert_eq!(paused[0]["videoPaused"], true);
    assert_eq!(paused[0]["reason"], "poorConnection");
    // Clean for ten seconds: one rung up, video back, and the remote is told.
    let mut log = Vec::new();
    for i in 12..24u64 {
        log.extend(stats(
            &mut sim,
            sample_with_loss(t * 1_000, 100 * (i + 1), 0.0),
        ));
        t += 1;
    }
    assert_eq!(encodings(&log), vec![Rung::Minimum]);
    assert_eq!(media_states_sent(&log)[0]["videoPaused"], false);
}

#[test]
fn set_quality_pins_a_rung_per_peer_or_for_all_and_auto_gives_control_back() {
    use crate::engine::adapt::{Preference, Rung};
    let mut sim = Sim::joined(vec![
        peer("a", Role::Guest, true),
        peer("b", Role::Guest, true),
    ]);
    let acts = sim
        .room
        .set_quality(Preference::AudioOnly, Some("a"))
        .unwrap();
    assert_eq!(encodings(&acts), vec![Rung::AudioOnly]);
    assert_eq!(media_states_sent(&acts)[0]["reason"], "preference");
    let acts = sim.room.set_quality(Preference::Low, None).unwrap();
    assert_eq!(encodings(&acts), vec![Rung::Low, Rung::Low]);
    assert!(sim.room.set_quality(Preference::Low, Some("zz")).is_err());
    // A pinned link does not adapt: loss changes nothing.
    sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    let mut log = Vec::new();
    for (i, t) in (10..14).enumerate() {
        log.extend(stats(
            &mut sim,
            sample_with_loss(t * 1_000, 100 * (i as u64 + 1), 0.3),
        ));
    }
    assert!(encodings(&log).is_empty());
    // A link built later starts at the room's choice.
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("c", Role::Guest, false),
    });
    assert_eq!(encodings(&acts), vec![Rung::Low]);
}

#[test]
fn a_media_state_signal_from_the_remote_reaches_the_app() {
    let mut sim = connected();
    let data =
        serde_json::json!({"kind": "mediaState", "videoPaused": true, "reason": "poorConnection"});
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data,
    });
    assert_eq!(
        events(&acts),
        vec![RoomEvent::MediaState {
            peer_id: "a".into(),
            video_paused: true,
            reason: "poorConnection".into(),
            camera: true,
            microphone: true,
            screen: false,
        }]
    );
    assert!(!acts.iter().any(|a| matches!(
        a,
        RoomAction::LinkInput { .. } | RoomAction::OpenLink { .. }
    )));
}

#[test]
fn nothing_adapts_while_the_link_recovers() {
    let mut sim = connected();
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    let mut log = Vec::new();
    for (i, t) in (10..16).enumerate() {
        log.extend(stats(
            &mut sim,
            sample_with_loss(t * 1_000, 100 * (i as u64 + 1), 0.3),
        ));
    }
    assert!(encodings(&log).is_empty());
}

#[test]
fn presets_cap_every_link_and_links_built_later() {
    use crate::engine::adapt::{Presets, Rung};
    let mut sim = connected();
    let acts = sim.feed(RoomInput::Presets {
        presets: Presets {
            effective_type: Some("3g".into()),
            ..Presets::default()
        },
    });
    assert_eq!(encodings(&acts), vec![Rung::Low]);
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("b", Role::Guest, false),
    });
    assert_eq!(encodings(&acts), vec![Rung::Low]);
}

#[test]
fn the_apps_adaptive_preset_caps_every_link_whatever_the_browser_says() {
    use crate::engine::adapt::{Presets, Rung};
    let mut sim = Sim::new(RoomConfig {
        preset: Some(Rung::Low),
        ..config()
    });
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let acts = sim.server(welcome("me", vec![peer("a", Role::Guest, true)], true));
    assert_eq!(encodings(&acts), vec![Rung::Low], "from the first link on");
    // The browser says fast and on mains: the app's preset still holds.
    let acts = sim.feed(RoomInput::Presets {
        presets: Presets {
            effective_type: Some("4g".into()),
            charging: Some(true),
            ..Presets::default()
        },
    });
    assert!(encodings(&acts).is_empty(), "{acts:?}");
    // A low battery without the app's preset would cap at Low too; slow-2g would go
    // to audio only, which the app's preset overrides.
    let acts = sim.feed(RoomInput::Presets {
        presets: Presets {
            effective_type: Some("slow-2g".into()),
            ..Presets::default()
        },
    });
    assert!(encodings(&acts).is_empty(), "{acts:?}");
}

#[test]
fn a_low_battery_that_discharges_caps_every_link() {
    use crate::engine::adapt::{Presets, Rung};
    let mut sim = connected();
    let acts = sim.feed(RoomInput::Presets {
        presets: Presets {
            battery_pct: Some(12),
            charging: Some(false),
            ..Presets::default()
        },
    });
    assert_eq!(encodings(&acts), vec![Rung::Low]);
}
