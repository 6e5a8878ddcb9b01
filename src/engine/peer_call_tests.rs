use super::*;
use crate::engine::testkit::Side;
use crate::engine::types::{Action, PcOp, TransportState};
use crate::engine::wire::outgoing_to_signal;
use std::collections::VecDeque;

fn cfg(polite: bool) -> PeerCallConfig {
    PeerCallConfig {
        polite,
        ..PeerCallConfig::default()
    }
}

/// A `Peer`: its engine, its link's engine with a fake browser, and what reached the app.
struct App {
    call: PeerCallEngine,
    link: Side,
    /// Signals the app's signaling carries to the other side, as JSON (as JS sees them).
    outbox: VecDeque<serde_json::Value>,
    events: Vec<RoomEvent>,
    log: Vec<PeerCallAction>,
    opened: u32,
}

impl App {
    fn new(polite: bool) -> Self {
        let call = PeerCallEngine::new(cfg(polite));
        let link = Side::new(
            if polite { "polite" } else { "impolite" },
            call.config().link_config(),
            7,
        );
        Self {
            call,
            link,
            outbox: VecDeque::new(),
            events: Vec::new(),
            log: Vec::new(),
            opened: 0,
        }
    }

    /// What the browser driver does: the call's actions executed, the link's reports fed
    /// back, until nothing is left.
    fn feed(&mut self, now: u64, input: PeerCallInput) {
        let mut queue = VecDeque::from([input]);
        while let Some(input) = queue.pop_front() {
            for action in self.call.handle(now, input) {
                self.log.push(action.clone());
                match action {
                    PeerCallAction::LinkInput { input } => {
                        let link_actions = self.link.feed(now, input);
                        queue.extend(reports(link_actions));
                    }
                    PeerCallAction::Signal { data } => {
                        self.outbox.push_back(serde_json::to_value(&data).unwrap())
                    }
                    PeerCallAction::Emit { event } => self.events.push(event),
                    PeerCallAction::OpenLink { config } => {
                        assert_eq!(config, self.call.config().link_config());
                        self.opened += 1;
                    }
                    _ => {}
                }
            }
        }
    }

    /// Completes the link's browser operation in flight, if any.
    fn complete(&mut self, now: u64) -> bool {
        let Some(op) = self.link.model.in_flight.take() else {
            return false;
        };
        let input = self.link.pc.execute(&op);
        let actions = self.link.feed(now, input);
        for report in reports(actions) {
            self.feed(now, report);
        }
        true
    }

    fn states(&self) -> Vec<ConnState> {
        self.events
            .iter()
            .filter_map(|e| match e {
                RoomEvent::StateChange { to, .. } => Some(*to),
                _ => None,
            })
            .collect()
    }
}

/// What the link driver reports for `actions` (as `browser::peer` + the Peer's handler).
fn reports(actions: Vec<Action>) -> Vec<PeerCallInput> {
    actions
        .into_iter()
        .filter_map(|a| match a {
            Action::Send { message } => Some(LinkReport::Signal {
                data: outgoing_to_signal(message),
            }),
            Action::StateChanged { from, to, reason } => {
                Some(LinkReport::State { from, to, reason })
            }
            Action::Escalate { level, attempt } => Some(LinkReport::Escalate { level, attempt }),
            _ => None,
        })
        .map(|report| PeerCallInput::Link { report })
        .collect()
}

/// Carries every signal across (through JSON and `parse_signal`, as the app would) and
/// runs every browser operation until nothing moves.
fn settle(a: &mut App, b: &mut App, now: u64) {
    for _ in 0..10_000 {
        let moved = a.complete(now) | b.complete(now) | carry(a, b, now) | carry(b, a, now);
        if !moved {
            return;
        }
    }
    panic!("the two peers never settle");
}

/// Carries one signal from `from` to `to`; false if none waits.
fn carry(from: &mut App, to: &mut App, now: u64) -> bool {
    let Some(json) = from.outbox.pop_front() else {
        return false;
    };
    let data = parse_signal(&json.to_string()).expect("a signal the other side gave");
    to.feed(now, PeerCallInput::Signal { data });
    true
}

fn transport_up(app: &mut App, now: u64) {
    let state = TransportState::Connected;
    let actions = app.link.feed(now, Input::ConnectionStateChanged { state });
    for report in reports(actions) {
        app.feed(now, report);
    }
}

#[test]
fn the_polite_side_offers_first_and_the_other_waits_for_its_offer() {
    let mut polite = App::new(true);
    let mut impolite = App::new(false);
    polite.feed(0, PeerCallInput::Connect);
    impolite.feed(0, PeerCallInput::Connect);
    assert_eq!((polite.opened, impolite.opened), (1, 1));
    assert_eq!(
        polite.link.model.in_flight,
        Some(PcOp::CreateOffer { ice_restart: false })
    );
    assert_eq!(impolite.link.model.in_flight, None);
    settle(&mut polite, &mut impolite, 0);
    assert_eq!(polite.link.engine.descriptions_sent(), (1, 0));
    assert_eq!(impolite.link.engine.descriptions_sent(), (0, 1));
    transport_up(&mut polite, 10);
    transport_up(&mut impolite, 10);
    for app in [&polite, &impolite] {
        assert_eq!(app.states().last(), Some(&ConnState::Connected));
        assert_eq!(app.call.state(), ConnState::Connected);
    }
}

#[test]
fn glare_through_the_apps_signaling_settles_with_the_polite_side_yielding() {
    let mut polite = App::new(true);
    let mut impolite = App::new(false);
    polite.feed(0, PeerCallInput::Connect);
    impolite.feed(0, PeerCallInput::Connect);
    settle(&mut polite, &mut impolite, 0);
    transport_up(&mut polite, 10);
    transport_up(&mut impolite, 10);
    let before = (
        polite.link.engine.descriptions_sent(),
        impolite.link.engine.descriptions_sent(),
    );
    // Both renegotiate in the same tick: both offers cross on the app's signaling.
    for app in [&mut polite, &mut impolite] {
        let actions = app.link.feed(20, Input::NegotiationNeeded);
        for report in reports(actions) {
            app.feed(20, report);
        }
    }
    settle(&mut polite, &mut impolite, 20);
    assert!(polite.link.engine.is_settled() && impolite.link.engine.is_settled());
    let (p, i) = (
        polite.link.engine.descriptions_sent(),
        impolite.link.engine.descriptions_sent(),
    );
    // Both offers crossed; the impolite side ignored the polite one's, the polite side
    // rolled back and answered, then offered again and the impolite side answered that:
    // three offers and two answers more in all, none lost.
    assert_eq!(
        p.0 + i.0,
        before.0 .0 + before.1 .0 + 3,
        "offers {p:?} {i:?}"
    );
    assert_eq!(
        p.1 + i.1,
        before.0 .1 + before.1 .1 + 2,
        "answers {p:?} {i:?}"
    );
    assert!(polite
        .link
        .log
        .iter()
        .any(|a| matches!(a, Action::Run { op: PcOp::Rollback })));
    assert!(!impolite
        .link
        .log
        .iter()
        .any(|a| matches!(a, Action::Run { op: PcOp::Rollback })));
    for app in [&polite, &impolite] {
        assert_eq!(app.call.state(), ConnState::Connected);
        assert!(!app
            .events
            .iter()
            .any(|e| matches!(e, RoomEvent::Error { .. })));
    }
}

#[test]
fn signals_before_connect_wait_and_go_to_the_link_after_start_in_order() {
    let mut polite = App::new(true);
    let mut impolite = App::new(false);
    polite.feed(0, PeerCallInput::Connect);
    while polite.complete(0) {}
    let offer = polite.outbox.pop_front().unwrap();
    let offer = parse_signal(&offer.to_string()).unwrap();
    impolite.feed(1, PeerCallInput::Signal { data: offer });
    assert!(
        impolite.log.is_empty(),
        "held before connect: {:?}",
        impolite.log
    );
    impolite.feed(2, PeerCallInput::Connect);
    let inputs: Vec<&Input> = impolite
        .log
        .iter()
        .filter_map(|a| match a {
            PeerCallAction::LinkInput { input } => Some(input),
            _ => None,
        })
        .collect();
    assert!(matches!(impolite.log[0], PeerCallAction::OpenLink { .. }));
    assert_eq!(inputs[0], &Input::Start);
    assert!(matches!(inputs[1], Input::RemoteDescription { .. }));
    settle(&mut polite, &mut impolite, 2);
    assert_eq!(impolite.link.engine.descriptions_sent(), (0, 1));
}

#[test]
fn signals_are_plain_json_and_bad_ones_are_invalid_arguments() {
    let offer = serde_json::json!({"kind": "offer", "sdp": "v=0"});
    assert_eq!(
        parse_signal(&offer.to_string()),
        Ok(SignalData::Offer { sdp: "v=0".into() })
    );
    // What a `signal` event gives is what `signal()` takes.
    let sent = serde_json::to_string(&SignalData::Offer { sdp: "v=0".into() }).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&sent).unwrap(),
        offer
    );
    let candidate = serde_json::json!({"kind": "candidate", "candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0});
    assert!(matches!(
        parse_signal(&candidate.to_string()),
        Ok(SignalData::Candidate { .. })
    ));
    for bad in [
        "42",
        r#"{"kind": "offer"}"#,
        r#"{"type": "offer", "sdp": "v=0"}"#,
        r#"{"kind": "reconnect"}"#,
        r#"{"kind": "mediaState", "videoPaused": true}"#,
        "{not json",
    ] {
        let err = parse_signal(bad).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidArgument, "{bad}");
    }
}

#[test]
fn link_reports_become_the_rooms_event_payloads_for_the_peer_id() {
    let mut call = PeerCallEngine::new(PeerCallConfig {
        peer_id: "bob".into(),
        ..PeerCallConfig::default()
    });
    call.handle(0, PeerCallInput::Connect);
    let mut emitted = |report| {
        call.handle(1, PeerCallInput::Link { report })
            .into_iter()
            .find_map(|a| match a {
                PeerCallAction::Emit { event } => Some(event),
                _ => None,
            })
    };
    let track = |kind: &str| LinkReport::Track {
        kind: kind.into(),
        stream_id: None,
    };
    assert_eq!(
        emitted(track("video")),
        Some(RoomEvent::Track {
            peer_id: "bob".into(),
            kind: "video".into(),
            source: MediaKind::Camera
        })
    );
    assert!(matches!(
        emitted(track("audio")),
        Some(RoomEvent::Track {
            source: MediaKind::Microphone,
            ..
        })
    ));
    let message = LinkReport::Message {
        text: "hi".into(),
        binary: false,
    };
    assert_eq!(
        emitted(message),
        Some(RoomEvent::Message {
            peer_id: "bob".into(),
            text: "hi".into(),
            binary: false
        })
    );
    let error = emitted(LinkReport::Error {
        message: "setRemoteDescription failed".into(),
    });
    assert!(matches!(
        error,
        Some(RoomEvent::Error { code, peer_id: Some(p), .. }) if code == "browserError" && p == "bob"
    ));
    let escalate = LinkReport::Escalate {
        level: crate::engine::recovery::RecoveryLevel::FullReconnect,
        attempt: 3,
    };
    let acts = call.handle(2, PeerCallInput::Link { report: escalate });
    assert!(
        acts.iter()
            .all(|a| matches!(a, PeerCallAction::Ignored { .. })),
        "{acts:?}"
    );
}

#[test]
fn stats_are_sampled_every_second_and_every_half_second_while_reconnecting() {
    let mut call = PeerCallEngine::new(cfg(true));
    let acts = call.handle(100, PeerCallInput::Connect);
    assert!(acts.contains(&PeerCallAction::ScheduleTimer {
        timer: PeerCallTimer::Stats,
        at_ms: 1_100
    }));
    let fire = PeerCallInput::TimerFired {
        timer: PeerCallTimer::Stats,
    };
    let acts = call.handle(1_100, fire.clone());
    assert_eq!(
        acts,
        vec![
            PeerCallAction::SampleStats,
            PeerCallAction::ScheduleTimer {
                timer: PeerCallTimer::Stats,
                at_ms: 2_100
            }
        ]
    );
    let report = LinkReport::State {
        from: ConnState::Connected,
        to: ConnState::Reconnecting,
        reason: "iceDisconnected".into(),
    };
    call.handle(1_500, PeerCallInput::Link { report });
    let acts = call.handle(2_100, fire);
    assert!(acts.contains(&PeerCallAction::ScheduleTimer {
        timer: PeerCallTimer::Stats,
        at_ms: 2_600
    }));
}

#[test]
fn close_closes_the_link_cancels_sampling_and_then_nothing_happens() {
    let mut call = PeerCallEngine::new(cfg(false));
    assert!(call.begin_connect().is_ok());
    assert_eq!(
        call.begin_connect().unwrap_err().code,
        ErrorCode::InvalidArgument,
        "connect twice"
    );
    call.handle(0, PeerCallInput::Connect);
    let acts = call.handle(5, PeerCallInput::Close);
    assert_eq!(
        acts,
        vec![
            PeerCallAction::LinkInput {
                input: Input::Close
            },
            PeerCallAction::Emit {
                event: RoomEvent::StateChange {
                    peer_id: "remote".into(),
                    from: ConnState::Initializing,
                    to: ConnState::Closed,
                    reason: "closeRequested".into()
                }
            },
            PeerCallAction::CancelTimer {
                timer: PeerCallTimer::Stats
            },
            PeerCallAction::Finished
        ]
    );
    assert!(call.is_over());
    assert_eq!(
        call.check_connect().unwrap_err().code,
        ErrorCode::RoomClosed
    );
    let later = [
        PeerCallInput::Connect,
        PeerCallInput::Close,
        PeerCallInput::Signal {
            data: SignalData::EndOfCandidates,
        },
        PeerCallInput::TimerFired {
            timer: PeerCallTimer::Stats,
        },
    ];
    for input in later {
        assert_eq!(call.handle(10, input), vec![]);
    }
    // Closed before connect: nothing to close on the link, still finished.
    let mut idle = PeerCallEngine::new(cfg(true));
    assert_eq!(
        idle.handle(0, PeerCallInput::Close),
        vec![PeerCallAction::Finished]
    );
}

#[test]
fn held_signals_are_bounded_dropping_the_oldest() {
    let mut call = PeerCallEngine::new(cfg(false));
    for n in 0..HELD_SIGNALS as u32 + 3 {
        let data = SignalData::Candidate {
            candidate: format!("candidate:{n}"),
            sdp_mid: None,
            sdp_m_line_index: Some(0),
            username_fragment: None,
        };
        call.handle(0, PeerCallInput::Signal { data });
    }
    let acts = call.handle(1, PeerCallInput::Connect);
    let inputs: Vec<&Input> = acts
        .iter()
        .filter_map(|a| match a {
            PeerCallAction::LinkInput { input } => Some(input),
            _ => None,
        })
        .collect();
    assert_eq!(inputs.len(), HELD_SIGNALS + 1);
    assert!(
        matches!(inputs[1], Input::RemoteCandidate { candidate } if candidate.candidate == "candidate:3")
    );
}
