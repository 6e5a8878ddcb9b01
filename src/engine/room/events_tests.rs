use super::*;
use crate::engine::recovery::RecoveryLevel;
use crate::engine::session::SessionState;
use crate::engine::types::ConnState;
use serde_json::Value;

/// The hand-written type definitions the package ships.
const TYPES: &str = include_str!("../../../pkg-template/steadyrtc.extra.d.ts");

/// One value of every variant (a new variant must be added here: the match below fails
/// to compile otherwise).
fn samples() -> Vec<RoomEvent> {
    let peer = PeerView {
        id: "p".into(),
        name: "n".into(),
        role: Role::Guest,
    };
    let all = vec![
        RoomEvent::PeerJoined {
            id: "p".into(),
            name: "n".into(),
            role: Role::Guest,
        },
        RoomEvent::PeerLeft {
            id: "p".into(),
            name: "n".into(),
            reason: LeaveReason::Left,
        },
        RoomEvent::Track {
            peer_id: "p".into(),
            kind: "video".into(),
            source: crate::engine::media::MediaKind::Screen,
        },
        RoomEvent::StateChange {
            peer_id: "p".into(),
            from: ConnState::Connecting,
            to: ConnState::Connected,
            reason: "connected".into(),
        },
        RoomEvent::Recovery {
            peer_id: "p".into(),
            phase: RecoveryPhase::Attempt,
            level: RecoveryLevel::IceRestart,
            attempt: 1,
            elapsed_ms: 0,
        },
        RoomEvent::Quality {
            peer_id: "p".into(),
            score: 90.0,
            level: crate::engine::quality::Level::Excellent,
            metrics: QualityMetrics::default(),
            limitation: None,
        },
        RoomEvent::QualityLevelChange {
            peer_id: "p".into(),
            from: crate::engine::adapt::Rung::High,
            to: crate::engine::adapt::Rung::Medium,
            trigger: crate::engine::adapt::Trigger::Loss,
            reason: "loss 7 %".into(),
        },
        RoomEvent::MediaState {
            peer_id: "p".into(),
            video_paused: true,
            reason: "poorConnection".into(),
            camera: false,
            microphone: true,
            screen: true,
        },
        RoomEvent::AudioLevel {
            peer_id: "local".into(),
            level: 0.25,
        },
        RoomEvent::ActiveSpeakers {
            peer_ids: vec!["local".into(), "p".into()],
        },
        RoomEvent::AudioPlaybackBlocked {},
        RoomEvent::DevicesChanged {
            devices: vec![crate::engine::room::DeviceInfo {
                device_id: "d1".into(),
                kind: "audioinput".into(),
                label: "Mic".into(),
                group_id: "g".into(),
            }],
        },
        RoomEvent::DeviceFallback {
            source: crate::engine::media::MediaKind::Camera,
        },
        RoomEvent::LocalMedia {
            microphone: crate::engine::media::Toggle::On,
            camera: crate::engine::media::Toggle::Pending,
            screen: crate::engine::media::Toggle::Off,
        },
        RoomEvent::Message {
            peer_id: "p".into(),
            text: "hi".into(),
            binary: false,
        },
        RoomEvent::Disconnected {
            code: 1006,
            reason: String::new(),
        },
        RoomEvent::SessionStateChange {
            from: SessionState::Connected,
            to: SessionState::Reconnecting,
            reason: "x".into(),
        },
        RoomEvent::GoAway {
            reason: "deploy".into(),
            reconnect_in_ms: 100,
        },
        RoomEvent::RoomEnded {
            room: "r".into(),
            reason: "endedByHost".into(),
            by: Some("h".into()),
        },
        RoomEvent::Chat {
            id: "x-1".into(),
            from: "p".into(),
            name: "Ada".into(),
            text: "hi".into(),
            private: false,
            sent_at: 1_790_000_000_000,
        },
        RoomEvent::Recording {
            by: "p".into(),
            active: true,
        },
        RoomEvent::Queued {
            position: 2,
            waited_ms: 3_000,
        },
        RoomEvent::Matched {
            room: "r".into(),
            peer,
            waited_ms: 4_000,
        },
        RoomEvent::RoleChanged {
            peer_id: "p".into(),
            role: Role::Guest,
            by: "h".into(),
            local: true,
        },
        RoomEvent::HandRaised {
            peer_id: "p".into(),
            name: "Cy".into(),
            raised: true,
        },
        RoomEvent::Attendees { count: 2 },
        RoomEvent::Error {
            code: "browserError".into(),
            message: "m".into(),
            server_code: None,
            peer_id: None,
        },
    ];
    for e in &all {
        // Exhaustiveness: adding a variant breaks this match until a sample is added.
        match e {
            RoomEvent::PeerJoined { .. }
            | RoomEvent::PeerLeft { .. }
            | RoomEvent::Track { .. }
            | RoomEvent::StateChange { .. }
            | RoomEvent::Recovery { .. }
            | RoomEvent::Quality { .. }
            | RoomEvent::QualityLevelChange { .. }
            | RoomEvent::MediaState { .. }
            | RoomEvent::LocalMedia { .. }
            | RoomEvent::AudioLevel { .. }
            | RoomEvent::ActiveSpeakers { .. }
            | RoomEvent::AudioPlaybackBlocked {}
            | RoomEvent::DevicesChanged { .. }
            | RoomEvent::DeviceFallback { .. }
            | RoomEvent::Message { .. }
            | RoomEvent::Disconnected { .. }
            | RoomEvent::SessionStateChange { .. }
            | RoomEvent::GoAway { .. }
            | RoomEvent::RoomEnded { .. }
            | RoomEvent::Chat { .. }
            | RoomEvent::Recording { .. }
            | RoomEvent::Queued { .. }
            | RoomEvent::Matched { .. }
            | RoomEvent::RoleChanged { .. }
            | RoomEvent::HandRaised { .. }
            | RoomEvent::Attendees { .. }
            | RoomEvent::Error { .. } => {}
        }
    }
    all
}

/// The body of `interface NAME` or `class NAME` in the d.ts, with the bodies of what it
/// extends.
fn declared_fields(name: &str) -> String {
    for keyword in ["interface", "class"] {
        let head = format!("export {keyword} {name} ");
        let Some(start) = TYPES.find(&head) else {
            continue;
        };
        let rest = &TYPES[start + head.len()..];
        let open = rest.find('{').expect("a body");
        let header = &rest[..open];
        let close = rest[open..].find("\n}").expect("the body's end");
        let mut body = rest[open..open + close].to_owned();
        if let Some(bases) = header.split("extends").nth(1) {
            for base in bases
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty() && *b != "Error")
            {
                body.push_str(&declared_fields(base));
            }
        }
        return body;
    }
    panic!("the d.ts declares no interface or class {name}");
}

#[test]
fn every_event_is_in_the_type_definitions_with_every_payload_field() {
    let map = declared_fields("RoomEvents");
    let samples = samples();
    assert_eq!(samples.len(), RoomEvent::NAMES.len());
    for event in samples {
        let Value::Object(fields) = serde_json::to_value(&event).unwrap() else {
            panic!()
        };
        let name = fields["event"].as_str().unwrap();
        assert_eq!(name, event.name());
        assert!(
            RoomEvent::NAMES.contains(&name),
            "{name} missing from NAMES"
        );
        let line = map
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("RoomEvents has no `{name}`"));
        let ty = line[name.len() + 2..].trim_end_matches(';').trim();
        let body = declared_fields(ty);
        for field in fields.keys().filter(|k| *k != "event") {
            let declared = body.lines().map(str::trim).any(|l| {
                let l = l.trim_start_matches("readonly ");
                l.starts_with(&format!("{field}:")) || l.starts_with(&format!("{field}?:"))
            });
            assert!(
                declared,
                "`{ty}` (payload of {name}) does not declare `{field}`"
            );
        }
    }
}

#[test]
fn the_type_definitions_name_no_event_the_engine_does_not_emit() {
    let map = declared_fields("RoomEvents");
    for line in map.lines().map(str::trim) {
        if let Some((name, _)) = line.split_once(": ") {
            if name.chars().all(|c| c.is_ascii_alphanumeric()) && !name.is_empty() {
                assert!(
                    RoomEvent::NAMES.contains(&name),
                    "d.ts names `{name}`, which no RoomEvent is"
                );
            }
        }
    }
}

#[test]
fn names_are_the_serde_tags() {
    for e in samples() {
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["event"], e.name());
    }
}
