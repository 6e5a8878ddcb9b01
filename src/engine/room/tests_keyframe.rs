//! Key frames after an outage: the sender sends one when its link comes back, the
//! receiver asks for one when packets arrive and nothing decodes.

use super::sim::*;
use super::*;
use steadyrtc_protocol::{ClientMessage, Role, ServerMessage};

fn forced(acts: &[RoomAction]) -> usize {
    acts.iter()
        .filter(|a| matches!(a, RoomAction::ForceKeyFrame { peer_id } if peer_id == "a"))
        .count()
}

fn playout_now(acts: &[RoomAction]) -> Vec<bool> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::PlayoutNow { peer_id, now } if peer_id == "a" => Some(*now),
            _ => None,
        })
        .collect()
}

fn asked(acts: &[RoomAction]) -> Vec<serde_json::Value> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::Send {
                message: ClientMessage::Signal { to, data },
            } if to == "a" && data["kind"] == "keyFrame" => Some(data.clone()),
            _ => None,
        })
        .collect()
}

/// Video packets arrive (`video` so far), and `decoded` frames were decoded so far.
fn video(at_ms: u64, packets: u64, decoded: u64) -> crate::engine::stats::StatsSample {
    let mut s = sample(at_ms, packets, packets, packets * 100, packets);
    for i in s.inbound.iter_mut() {
        if i.kind == crate::engine::stats::MediaKind::Video {
            i.frames_decoded = decoded;
        }
    }
    s
}

#[test]
fn a_link_back_from_reconnecting_sends_a_key_frame_at_once_a_new_link_does_not() {
    let mut sim = Sim::joined(vec![peer("a", Role::Guest, true)]);
    let acts = sim.state("a", 0, ConnState::Connecting, ConnState::Connected);
    assert_eq!(
        forced(&acts),
        0,
        "a new connection starts with a key frame anyway"
    );
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    sim.now += 3_000;
    let acts = sim.state("a", 0, ConnState::Reconnecting, ConnState::Connected);
    assert_eq!(forced(&acts), 1);
}

#[test]
fn no_key_frame_is_forced_while_adaptation_pauses_the_video() {
    let mut sim = connected();
    sim.room
        .set_quality(crate::engine::adapt::Preference::AudioOnly, Some("a"))
        .unwrap();
    sim.state("a", 0, ConnState::Connected, ConnState::Reconnecting);
    let acts = sim.state("a", 0, ConnState::Reconnecting, ConnState::Connected);
    assert_eq!(forced(&acts), 0);
}

#[test]
fn packets_without_decoded_frames_ask_the_sender_for_a_key_frame_once_a_second() {
    let mut sim = connected();
    assert!(asked(&stats(&mut sim, video(10_000, 100, 30))).is_empty());
    assert!(
        asked(&stats(&mut sim, video(11_000, 200, 60))).is_empty(),
        "decoding"
    );
    // Packets arrive, nothing decodes: ask.
    let acts = stats(&mut sim, video(11_500, 260, 60));
    assert_eq!(asked(&acts), vec![serde_json::json!({"kind": "keyFrame"})]);
    assert_eq!(playout_now(&acts), vec![true]);
    // Still stuck half a second later: not yet again.
    assert!(asked(&stats(&mut sim, video(12_000, 320, 60))).is_empty());
    // A second after the first request: again, and the playout stays immediate (its
    // timer moves, it is not switched on twice).
    let acts = stats(&mut sim, video(12_500, 380, 60));
    assert_eq!(asked(&acts).len(), 1);
    assert!(playout_now(&acts).is_empty(), "{acts:?}");
    // A few stray packets (padding) and nothing decoded: no request.
    assert!(asked(&stats(&mut sim, video(14_000, 385, 60))).is_empty());
    // Decoding again: no request.
    assert!(asked(&stats(&mut sim, video(15_000, 485, 90))).is_empty());
}

#[test]
fn a_key_frame_signal_forces_one_at_the_links_epoch_and_is_rate_limited() {
    let mut sim = connected();
    let key_frame = |epoch: u32| ServerMessage::Signal {
        from: "a".into(),
        data: if epoch == 0 {
            serde_json::json!({"kind": "keyFrame"})
        } else {
            serde_json::json!({"kind": "keyFrame", "epoch": epoch})
        },
    };
    assert_eq!(forced(&sim.server(key_frame(0))), 1);
    sim.now += 100;
    assert_eq!(forced(&sim.server(key_frame(0))), 0, "one was just sent");
    sim.now += 1_000;
    assert_eq!(forced(&sim.server(key_frame(0))), 1);
    // A request about another link than ours (a newer epoch) is not about the one we
    // send on: ignored.
    sim.now += 1_000;
    let acts = sim.server(key_frame(1));
    assert_eq!(forced(&acts), 0);
}
