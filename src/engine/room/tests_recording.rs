//! Recording: a host's right, announced to everyone, stopped on leave, announced again
//! after a rejoin.

use super::sim::*;
use super::*;
use steadyrtc_protocol::{Role, ServerMessage};

fn host(peers: Vec<PeerInfo>) -> Sim {
    let mut sim = Sim::new(config());
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    let mut w = welcome("me", peers, true);
    if let ServerMessage::Welcome { grants, .. } = &mut w {
        grants.record = true;
    }
    sim.server(w);
    sim
}

fn recording_sent(acts: &[RoomAction]) -> Vec<bool> {
    sent(acts)
        .into_iter()
        .filter_map(|m| match m {
            ClientMessage::Recording { active } => Some(active),
            _ => None,
        })
        .collect()
}

#[test]
fn a_guest_may_not_record_and_nothing_is_sent() {
    let mut sim = Sim::joined(vec![]);
    let err = sim.room.set_recording(sim.now, true, None).unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
}

#[test]
fn a_host_records_the_speaker_or_a_chosen_video_and_everyone_is_told() {
    let mut sim = host(vec![
        peer("a", Role::Guest, true),
        peer("b", Role::Guest, true),
    ]);
    // "b" speaks: by default, b's video is recorded.
    sim.feed(RoomInput::AudioListeners {
        levels: false,
        speakers: true,
    });
    for t in 0..4 {
        sim.now = 5_000 + t * 100;
        sim.feed(RoomInput::AudioLevels {
            levels: vec![("b".into(), 0.5)],
        });
    }
    let acts = sim.room.set_recording(sim.now, true, None).unwrap();
    assert!(acts.contains(&RoomAction::StartRecorder {
        video_from: "b".into()
    }));
    assert_eq!(recording_sent(&acts), vec![true]);
    assert_eq!(
        sim.room
            .set_recording(sim.now, true, None)
            .unwrap_err()
            .code,
        ErrorCode::InvalidArgument
    );
    let acts = sim.room.set_recording(sim.now, false, None).unwrap();
    assert!(acts.contains(&RoomAction::StopRecorder));
    assert_eq!(recording_sent(&acts), vec![false]);
    // A chosen video; an unknown one is refused; nobody speaking means our own camera.
    let err = sim
        .room
        .set_recording(sim.now, true, Some("ghost".into()))
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    let acts = sim
        .room
        .set_recording(sim.now, true, Some("a".into()))
        .unwrap();
    assert!(acts.contains(&RoomAction::StartRecorder {
        video_from: "a".into()
    }));
    let mut quiet = host(vec![]);
    let acts = quiet.room.set_recording(quiet.now, true, None).unwrap();
    assert!(acts.contains(&RoomAction::StartRecorder {
        video_from: "local".into()
    }));
}

#[test]
fn leaving_while_recording_tells_the_room_it_stopped() {
    let mut sim = host(vec![]);
    sim.room.set_recording(sim.now, true, None).unwrap();
    let acts = sim.feed(RoomInput::Leave);
    assert_eq!(recording_sent(&acts), vec![false]);
    let stop = sent(&acts)
        .iter()
        .position(|m| matches!(m, ClientMessage::Recording { .. }));
    let leave = sent(&acts)
        .iter()
        .position(|m| matches!(m, ClientMessage::Leave {}));
    assert!(stop < leave);
}

#[test]
fn a_rejoin_while_recording_announces_it_again() {
    let mut sim = host(vec![]);
    sim.room.set_recording(sim.now, true, None).unwrap();
    // The session is lost (resume refused): a new join, a new welcome.
    sim.feed(RoomInput::SocketClosed {
        code: 1006,
        reason: String::new(),
    });
    sim.feed(RoomInput::SocketOpened);
    sim.feed(RoomInput::Frame {
        seq: None,
        message: ServerMessage::error(steadyrtc_protocol::ErrorCode::UnknownSession, "gone"),
    });
    let mut w = welcome("me2", vec![], true);
    if let ServerMessage::Welcome { grants, .. } = &mut w {
        grants.record = true;
    }
    let acts = sim.feed(RoomInput::Frame {
        seq: Some(1),
        message: w,
    });
    assert_eq!(recording_sent(&acts), vec![true]);
}

#[test]
fn a_recorder_that_fails_ends_the_recording_for_everyone() {
    let mut sim = host(vec![]);
    sim.room.set_recording(sim.now, true, None).unwrap();
    let acts = sim.feed(RoomInput::RecordingFailed {
        message: "NotSupportedError".into(),
    });
    assert_eq!(recording_sent(&acts), vec![false]);
    assert_eq!(names(&acts), vec!["error"]);
    // Starting again works.
    assert!(sim.room.set_recording(sim.now, true, None).is_ok());
}
