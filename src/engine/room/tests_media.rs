//! The room's media rules: toggles reach every link and the app, peers hear what we send
//! (camera, microphone, paused video) and we hear theirs, roles are enforced.

use super::sim::*;
use super::*;
use crate::engine::media::{MediaKind, Toggle};
use steadyrtc_protocol::{Role, ServerMessage, SignalData};

fn with_media(camera: bool, microphone: bool) -> RoomConfig {
    RoomConfig {
        camera,
        microphone,
        ..config()
    }
}

fn joined(cfg: RoomConfig, peers: Vec<PeerInfo>, publish: bool) -> Sim {
    let mut sim = Sim::new(cfg);
    sim.feed(RoomInput::Connect);
    sim.feed(RoomInput::SocketOpened);
    sim.server(welcome("me", peers, publish));
    sim
}

fn applies(acts: &[RoomAction]) -> Vec<(MediaKind, bool, u32)> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::ApplyMedia {
                kind, enabled, op, ..
            } => Some((*kind, *enabled, *op)),
            _ => None,
        })
        .collect()
}

fn settled(acts: &[RoomAction]) -> Vec<(Vec<u32>, Result<(), ErrorCode>)> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::SettleMedia { requests, result } => Some((
                requests.clone(),
                result.as_ref().map(|_| ()).map_err(|e| e.code),
            )),
            _ => None,
        })
        .collect()
}

/// The `mediaState` signals sent, by peer: (peer, camera, microphone, videoPaused).
fn media_states(acts: &[RoomAction]) -> Vec<(String, Option<bool>, Option<bool>, bool)> {
    sent(acts)
        .into_iter()
        .filter_map(|m| match m {
            ClientMessage::Signal { to, data } => {
                let env: steadyrtc_protocol::SignalEnvelope = serde_json::from_value(data).ok()?;
                match env.data {
                    SignalData::MediaState {
                        camera,
                        microphone,
                        video_paused,
                        ..
                    } => Some((to, camera, microphone, video_paused)),
                    _ => None,
                }
            }
            _ => None,
        })
        .collect()
}

fn local(acts: &[RoomAction]) -> Vec<(Toggle, Toggle)> {
    events(acts)
        .into_iter()
        .filter_map(|e| match e {
            RoomEvent::LocalMedia {
                microphone, camera, ..
            } => Some((microphone, camera)),
            _ => None,
        })
        .collect()
}

#[test]
fn camera_off_runs_once_tells_every_peer_and_the_app_and_settles_the_call() {
    let peers = vec![peer("a", Role::Guest, true), peer("b", Role::Guest, true)];
    let mut sim = joined(with_media(true, true), peers, true);
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Camera,
        enabled: false,
        request: 1,
    });
    let ops = applies(&acts);
    assert_eq!(ops.len(), 1);
    assert_eq!(local(&acts), vec![(Toggle::On, Toggle::Pending)]);
    assert!(media_states(&acts).is_empty(), "nothing changed yet");
    let acts = sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Camera,
        op: ops[0].2,
        result: Ok(()),
    });
    assert_eq!(
        media_states(&acts),
        vec![
            ("a".into(), Some(false), Some(true), false),
            ("b".into(), Some(false), Some(true), false)
        ]
    );
    assert_eq!(local(&acts), vec![(Toggle::On, Toggle::Off)]);
    assert_eq!(settled(&acts), vec![(vec![1], Ok(()))]);
    assert!(!sim.timers.contains_key(&RoomTimer::Media {
        source: MediaKind::Camera
    }));
}

#[test]
fn a_peer_that_arrives_while_the_camera_is_off_is_told_when_its_link_opens() {
    let mut sim = joined(with_media(false, true), vec![], true);
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("c", Role::Guest, false),
    });
    assert_eq!(opened(&acts).len(), 1);
    assert_eq!(
        media_states(&acts),
        vec![("c".into(), Some(false), Some(true), false)]
    );
    // With everything on, a new link hears nothing: on is what a peer assumes.
    let mut sim = joined(with_media(true, true), vec![], true);
    let acts = sim.server(ServerMessage::PeerJoined {
        peer: peer("c", Role::Guest, false),
    });
    assert!(media_states(&acts).is_empty());
}

#[test]
fn a_participant_who_may_not_publish_cannot_turn_anything_on() {
    let mut sim = joined(with_media(false, false), vec![], false);
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Microphone,
        enabled: true,
        request: 4,
    });
    assert!(applies(&acts).is_empty());
    assert_eq!(settled(&acts), vec![(vec![4], Err(ErrorCode::Forbidden))]);
    // Turning off what is off is fine.
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Camera,
        enabled: false,
        request: 5,
    });
    assert_eq!(settled(&acts), vec![(vec![5], Ok(()))]);
}

#[test]
fn toggles_before_connect_and_after_leave_are_refused_with_a_code() {
    let mut sim = Sim::new(with_media(true, true));
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Camera,
        enabled: false,
        request: 1,
    });
    assert_eq!(
        settled(&acts),
        vec![(vec![1], Err(ErrorCode::NotConnected))]
    );
    let mut sim = joined(with_media(true, true), vec![], true);
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Camera,
        enabled: false,
        request: 2,
    });
    assert_eq!(applies(&acts).len(), 1);
    // Leaving while it runs: the waiting call rejects; nothing answers after Finished.
    let acts = sim.feed(RoomInput::Leave);
    assert_eq!(settled(&acts), vec![(vec![2], Err(ErrorCode::RoomClosed))]);
    let finished = acts
        .iter()
        .position(|a| *a == RoomAction::Finished)
        .expect("finished");
    assert!(acts[finished + 1..].is_empty());
}

#[test]
fn a_slow_operation_rejects_its_calls_with_media_timeout_and_stays_pending() {
    let mut sim = joined(with_media(false, true), vec![], true);
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Camera,
        enabled: true,
        request: 9,
    });
    let op = applies(&acts)[0].2;
    let timer = RoomTimer::Media {
        source: MediaKind::Camera,
    };
    assert_eq!(sim.timers[&timer], sim.now + 10_000);
    let acts = sim.fire(timer);
    assert_eq!(
        settled(&acts),
        vec![(vec![9], Err(ErrorCode::MediaTimeout))]
    );
    assert_eq!(
        sim.room.local_media()[1],
        (MediaKind::Camera, Toggle::Pending)
    );
    let acts = sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Camera,
        op,
        result: Ok(()),
    });
    assert_eq!(local(&acts), vec![(Toggle::On, Toggle::On)]);
}

#[test]
fn a_failed_capture_is_an_error_event_and_a_rejected_call() {
    let mut sim = joined(with_media(false, true), vec![], true);
    let op = applies(&sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Camera,
        enabled: true,
        request: 1,
    }))[0]
        .2;
    let acts = sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Camera,
        op,
        result: Err(SteadyError::new(ErrorCode::MediaDeviceInUse, "busy")),
    });
    assert_eq!(
        settled(&acts),
        vec![(vec![1], Err(ErrorCode::MediaDeviceInUse))]
    );
    assert!(names(&acts).contains(&"error"));
    assert_eq!(local(&acts), vec![(Toggle::On, Toggle::Off)]);
}

fn devices(acts: &[RoomAction]) -> Vec<Option<String>> {
    acts.iter()
        .filter_map(|a| match a {
            RoomAction::ApplyMedia { device_id, .. } => Some(device_id.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_device_that_goes_away_is_replaced_by_the_default_one_and_everyone_hears_it() {
    let mut sim = joined(
        with_media(true, true),
        vec![peer("a", Role::Guest, true)],
        true,
    );
    let acts = sim.feed(RoomInput::MediaEnded {
        kind: MediaKind::Microphone,
    });
    assert_eq!(
        media_states(&acts),
        vec![("a".into(), Some(true), Some(false), false)]
    );
    assert_eq!(local(&acts), vec![(Toggle::Pending, Toggle::On)]);
    assert_eq!(devices(&acts), vec![None], "the default device");
    let op = applies(&acts)[0].2;
    let acts = sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Microphone,
        op,
        result: Ok(()),
    });
    assert!(events(&acts).contains(&RoomEvent::DeviceFallback {
        source: MediaKind::Microphone
    }));
    assert_eq!(
        media_states(&acts),
        vec![("a".into(), Some(true), Some(true), false)]
    );
    assert!(settled(&acts).is_empty(), "nobody called");
    // With no device left, the source stays off and the app hears why.
    let acts = sim.feed(RoomInput::MediaEnded {
        kind: MediaKind::Camera,
    });
    let op = applies(&acts)[0].2;
    let acts = sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Camera,
        op,
        result: Err(SteadyError::new(ErrorCode::MediaDeviceNotFound, "none")),
    });
    assert_eq!(names(&acts), vec!["error", "localMedia"]);
    assert_eq!(local(&acts), vec![(Toggle::On, Toggle::Off)]);
}

#[test]
fn a_chosen_device_is_captured_remembered_and_left_when_it_disappears() {
    let cfg = RoomConfig {
        camera_device: Some("cam-from-last-visit".into()),
        ..with_media(true, true)
    };
    let mut sim = joined(cfg, vec![], true);
    let acts = sim.feed(RoomInput::SwitchDevice {
        kind: MediaKind::Microphone,
        device_id: "mic-2".into(),
        request: 3,
    });
    assert!(acts.contains(&RoomAction::StoreDevice {
        kind: MediaKind::Microphone,
        device_id: Some("mic-2".into())
    }));
    assert_eq!(devices(&acts), vec![Some("mic-2".into())]);
    let op = applies(&acts)[0].2;
    let acts = sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Microphone,
        op,
        result: Ok(()),
    });
    assert_eq!(settled(&acts), vec![(vec![3], Ok(()))]);
    // The screen has no device to choose.
    let acts = sim.feed(RoomInput::SwitchDevice {
        kind: MediaKind::Screen,
        device_id: "x".into(),
        request: 4,
    });
    assert_eq!(
        settled(&acts),
        vec![(vec![4], Err(ErrorCode::InvalidArgument))]
    );
    // Muted, then another microphone chosen: unmuting captures it, not the old one.
    let op = applies(&sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Microphone,
        enabled: false,
        request: 5,
    }))[0]
        .2;
    sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Microphone,
        op,
        result: Ok(()),
    });
    let acts = sim.feed(RoomInput::SwitchDevice {
        kind: MediaKind::Microphone,
        device_id: "mic-3".into(),
        request: 6,
    });
    assert!(applies(&acts).is_empty(), "off: only remembered");
    let acts = sim.feed(RoomInput::SetMedia {
        kind: MediaKind::Microphone,
        enabled: true,
        request: 7,
    });
    assert!(acts.iter().any(|a| matches!(a, RoomAction::ApplyMedia { recapture: true, device_id: Some(d), .. } if d == "mic-3")));
    let op = applies(&acts)[0].2;
    sim.feed(RoomInput::MediaApplied {
        kind: MediaKind::Microphone,
        op,
        result: Ok(()),
    });
    // Muted and unmuted again with no new choice: only unmuted.
    for (enabled, request) in [(false, 8), (true, 9)] {
        let acts = sim.feed(RoomInput::SetMedia {
            kind: MediaKind::Microphone,
            enabled,
            request,
        });
        assert!(acts.iter().any(|a| matches!(
            a,
            RoomAction::ApplyMedia {
                recapture: false,
                ..
            }
        )));
        let op = applies(&acts)[0].2;
        sim.feed(RoomInput::MediaApplied {
            kind: MediaKind::Microphone,
            op,
            result: Ok(()),
        });
    }
    // mic-2 unplugged: the list no longer has it; the camera of last visit is there.
    let list = vec![DeviceInfo {
        device_id: "cam-from-last-visit".into(),
        kind: "videoinput".into(),
        label: "Cam".into(),
        group_id: "g".into(),
    }];
    let acts = sim.feed(RoomInput::DevicesChanged {
        devices: list.clone(),
    });
    assert_eq!(
        devices(&acts),
        vec![None],
        "the microphone falls back; the camera stays"
    );
    assert_eq!(
        events(&acts).last(),
        Some(&RoomEvent::DevicesChanged { devices: list })
    );
}

#[test]
fn the_remote_state_is_kept_whole_across_partial_signals() {
    let mut sim = joined(
        with_media(true, true),
        vec![peer("a", Role::Guest, true)],
        true,
    );
    let first = serde_json::json!({"kind": "mediaState", "videoPaused": false, "camera": false});
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: first,
    });
    let expect = |paused: bool, reason: &str| RoomEvent::MediaState {
        peer_id: "a".into(),
        video_paused: paused,
        reason: reason.into(),
        camera: false,
        microphone: true,
        screen: false,
    };
    assert_eq!(events(&acts), vec![expect(false, "")]);
    // A version 2 peer's adaptation signal says nothing of the camera: it stays off.
    let paused =
        serde_json::json!({"kind": "mediaState", "videoPaused": true, "reason": "poorConnection"});
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: paused,
    });
    assert_eq!(events(&acts), vec![expect(true, "poorConnection")]);
}

#[test]
fn a_screen_share_is_announced_before_it_is_sent_and_its_track_is_told_apart() {
    let mut sim = joined(
        with_media(true, true),
        vec![peer("a", Role::Guest, true)],
        true,
    );
    // Ours: the peer hears the stream id first.
    let acts = sim.feed(RoomInput::ScreenShared {
        stream_id: Some("screen-stream".into()),
    });
    let sent: Vec<serde_json::Value> = sent(&acts)
        .into_iter()
        .filter_map(|m| match m {
            ClientMessage::Signal { data, .. } => Some(data),
            _ => None,
        })
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["screen"], "screen-stream");
    // Theirs: a video track in the announced stream is the screen; another the camera.
    let announce =
        serde_json::json!({"kind": "mediaState", "videoPaused": false, "screen": "their-screen"});
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: announce,
    });
    assert!(matches!(
        events(&acts)[..],
        [RoomEvent::MediaState { screen: true, .. }]
    ));
    let track = |sim: &mut Sim, stream: &str, kind: &str| {
        let acts = sim.link(
            "a",
            0,
            LinkReport::Track {
                kind: kind.into(),
                stream_id: Some(stream.into()),
            },
        );
        events(&acts).into_iter().find_map(|e| match e {
            RoomEvent::Track { source, .. } => Some(source),
            _ => None,
        })
    };
    assert_eq!(
        track(&mut sim, "their-screen", "video"),
        Some(MediaKind::Screen)
    );
    assert_eq!(
        track(&mut sim, "their-camera", "video"),
        Some(MediaKind::Camera)
    );
    assert_eq!(
        track(&mut sim, "their-camera", "audio"),
        Some(MediaKind::Microphone)
    );
    // Their share ends.
    let done = serde_json::json!({"kind": "mediaState", "videoPaused": false, "screen": ""});
    let acts = sim.server(ServerMessage::Signal {
        from: "a".into(),
        data: done,
    });
    assert!(matches!(
        events(&acts)[..],
        [RoomEvent::MediaState { screen: false, .. }]
    ));
}

#[test]
fn a_listener_that_captured_releases_it_before_any_link_opens() {
    let sim = joined(
        with_media(true, true),
        vec![peer("h", Role::Host, false)],
        false,
    );
    let log = sim.log.clone();
    let release = log
        .iter()
        .position(|a| *a == RoomAction::ReleaseMedia)
        .expect("released");
    let open = log
        .iter()
        .position(|a| matches!(a, RoomAction::OpenLink { .. }))
        .expect("a link to the host");
    assert!(release < open);
    assert_eq!(
        sim.room.local_media().map(|(_, t)| t),
        [Toggle::Off, Toggle::Off, Toggle::Off]
    );
    // Nothing captured: nothing to release.
    let sim = joined(with_media(false, false), vec![], false);
    assert!(!sim.log.contains(&RoomAction::ReleaseMedia));
}
