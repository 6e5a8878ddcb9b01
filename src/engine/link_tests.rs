use super::*;
use crate::engine::candidates::Candidate;
use crate::engine::config::LinkConfig;
use crate::engine::testkit::{candidate, sdp, Pair, Side};
use crate::engine::types::{Outgoing, SdpKind};

fn states(log: &[Action]) -> Vec<(ConnState, String)> {
    log.iter()
        .filter_map(|a| match a {
            Action::StateChanged { to, reason, .. } => Some((*to, reason.clone())),
            _ => None,
        })
        .collect()
}

fn offers(sent: &[Outgoing]) -> usize {
    sent.iter()
        .filter(|m| {
            matches!(
                m,
                Outgoing::Description {
                    kind: SdpKind::Offer,
                    ..
                }
            )
        })
        .count()
}

fn initiator() -> Side {
    Side::new(
        "a",
        LinkConfig {
            polite: true,
            initiator: true,
            ..Default::default()
        },
        7,
    )
}

#[test]
fn the_initiator_offers_on_start_and_walks_the_setup_states_to_connected() {
    let mut p = Pair::started();
    assert_eq!(p.a.engine.state(), ConnState::IceGathering);
    p.a.feed(
        10,
        Input::LocalCandidate {
            candidate: candidate(p.a.pc.local_ufrag(), 1),
        },
    );
    assert_eq!(p.a.engine.state(), ConnState::IceExchange);
    p.a.feed(
        20,
        Input::IceConnectionStateChanged {
            state: TransportState::Checking,
        },
    );
    p.a.feed(
        30,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    let walked: Vec<ConnState> = states(&p.a.log).into_iter().map(|(s, _)| s).collect();
    assert_eq!(
        walked,
        [
            ConnState::Signaling,
            ConnState::IceGathering,
            ConnState::IceExchange,
            ConnState::Connecting,
            ConnState::Connected
        ]
    );
    assert!(p.a.model.errors.is_empty() && p.b.model.errors.is_empty());
    assert!(
        !p.a.model.timers.contains_key(&TimerKind::SetupDeadline),
        "setup deadline cancelled once connected"
    );
    assert!(
        !p.a.model.timers.contains_key(&TimerKind::StateTimeout),
        "connected has no timeout"
    );
}

#[test]
fn the_other_side_waits_for_the_offer_instead_of_offering() {
    let mut b = Side::new("b", LinkConfig::default(), 1);
    b.feed(0, Input::Start);
    let acts = b.feed(1, Input::NegotiationNeeded);
    assert!(matches!(&acts[..], [Action::Ignored { .. }]));
    assert!(b.model.in_flight.is_none());
    b.feed(
        2,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("r1"),
        },
    );
    b.complete_all(3);
    let sent = b.take_sent();
    assert!(matches!(
        &sent[..],
        [Outgoing::Description {
            kind: SdpKind::Answer,
            ..
        }]
    ));
    // Once negotiating, its own renegotiation requests count.
    b.feed(4, Input::NegotiationNeeded);
    assert!(matches!(
        b.model.in_flight,
        Some(PcOp::CreateOffer { ice_restart: false })
    ));
}

#[test]
fn glare_the_polite_side_rolls_back_answers_and_offers_again() {
    let mut p = Pair::connected();
    // Both renegotiate at the same instant; both offers cross on the wire.
    p.a.feed(100, Input::NegotiationNeeded);
    p.b.feed(100, Input::NegotiationNeeded);
    p.a.complete_all(100);
    p.b.complete_all(100);
    p.settle();
    assert!(p.a.model.errors.is_empty(), "{:?}", p.a.model.errors);
    assert!(p.b.model.errors.is_empty(), "{:?}", p.b.model.errors);
    assert!(p.a.engine.is_settled() && p.b.engine.is_settled());
    assert!(
        p.a.log
            .iter()
            .any(|a| matches!(a, Action::Run { op: PcOp::Rollback })),
        "polite rolled back"
    );
    assert!(p
        .b
        .log
        .iter()
        .any(|a| matches!(a, Action::Ignored { reason, .. } if reason.contains("impolite"))));
    // a: initial offer + the one that yielded + the retry; b: its one offer.
    assert_eq!(p.a.engine.descriptions_sent().0, 3);
    assert_eq!(p.b.engine.descriptions_sent(), (1, 2));
}

#[test]
fn glare_while_the_polite_offer_is_still_being_created() {
    let mut p = Pair::started();
    p.b.feed(1, Input::NegotiationNeeded);
    p.b.complete_all(1);
    p.a.feed(1, Input::NegotiationNeeded); // a's createOffer is in flight...
    assert!(p.a.model.in_flight.is_some());
    p.deliver_one(true); // ...when b's offer lands
    p.settle();
    assert!(p.a.model.errors.is_empty() && p.b.model.errors.is_empty());
    assert!(p.a.engine.is_settled() && p.b.engine.is_settled());
}

#[test]
fn negotiation_needed_while_the_offer_is_being_made_is_covered_by_it() {
    // The browser delivers `negotiationneeded` for tracks added before `Start` after the
    // engine's first createOffer began: that offer carries them, so no second offer.
    let mut a = initiator();
    a.feed(0, Input::Start);
    assert!(a.model.in_flight.is_some(), "createOffer in flight");
    let acts = a.feed(1, Input::NegotiationNeeded);
    assert!(matches!(&acts[..], [Action::Ignored { .. }]), "{acts:?}");
    a.complete_all(2);
    assert_eq!(offers(&a.take_sent()), 1);
    a.feed(
        3,
        Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp: sdp("b1"),
        },
    );
    a.complete_all(3);
    assert_eq!(offers(&a.take_sent()), 0, "no second offer for nothing");
    assert!(a.engine.is_settled());
}

#[test]
fn renegotiation_requests_are_coalesced_into_one_offer() {
    let mut a = initiator();
    a.feed(0, Input::Start);
    a.complete_all(1);
    assert_eq!(
        offers(&a.take_sent()),
        1,
        "the first offer, waiting for its answer"
    );
    for t in 2..6 {
        a.feed(t, Input::NegotiationNeeded);
    }
    a.complete_all(6);
    assert_eq!(offers(&a.take_sent()), 0, "one offer until it is answered");
    a.feed(
        6,
        Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp: sdp("b1"),
        },
    );
    a.complete_all(6);
    assert_eq!(
        offers(&a.take_sent()),
        1,
        "then exactly one more for all four requests"
    );
    a.feed(
        7,
        Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp: sdp("b1"),
        },
    );
    a.complete_all(7);
    assert!(a.engine.is_settled());
    let stale = a.feed(
        8,
        Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp: sdp("b1"),
        },
    );
    assert!(
        matches!(&stale[..], [Action::Ignored { .. }]),
        "an answer with no offer out is ignored"
    );
}

#[test]
fn candidates_before_the_offer_are_held_then_added_in_arrival_order() {
    let mut b = Side::new("b", LinkConfig::default(), 1);
    b.feed(0, Input::Start);
    let early: Vec<Candidate> = (1..=3).map(|n| candidate(Some("r1"), n)).collect();
    for c in &early {
        b.feed(
            1,
            Input::RemoteCandidate {
                candidate: c.clone(),
            },
        );
    }
    assert!(
        b.model.in_flight.is_none(),
        "nothing is added before the description"
    );
    assert_eq!(b.engine.held_candidates(), 3);
    b.feed(
        2,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("r1"),
        },
    );
    b.complete_all(3);
    assert_eq!(b.pc.candidates_added, early);
    assert!(b.model.errors.is_empty());
}

#[test]
fn a_candidate_is_added_beside_the_answer_being_made_not_after_it() {
    let mut b = Side::new("b", LinkConfig::default(), 1);
    let held = candidate(Some("r1"), 1);
    b.feed(
        0,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("r1"),
        },
    );
    b.feed(
        1,
        Input::RemoteCandidate {
            candidate: held.clone(),
        },
    );
    assert!(
        b.model.candidate_in_flight.is_none(),
        "not while its description is being applied"
    );
    // The offer is applied: the answer and the held candidate start together.
    let srd = b.model.in_flight.take().expect("setRemoteDescription");
    let applied = b.pc.execute(&srd);
    let started = b.feed(2, applied);
    let ops: Vec<&str> = started
        .iter()
        .filter_map(|a| match a {
            Action::Run { op } => Some(op.name()),
            _ => None,
        })
        .collect();
    assert_eq!(ops, ["createAnswer", "addIceCandidate"]);
    // One arriving while the answer is still being made is added at once too.
    b.complete_one(3);
    let late = candidate(Some("r1"), 2);
    let acts = b.feed(
        4,
        Input::RemoteCandidate {
            candidate: late.clone(),
        },
    );
    assert!(
        acts.iter().any(|a| matches!(a, Action::Run { op: PcOp::AddCandidate { candidate } } if *candidate == late)),
        "{acts:?}"
    );
    assert!(matches!(b.model.in_flight, Some(PcOp::CreateAnswer)));
    b.complete_all(5);
    assert_eq!(b.pc.candidates_added, [held, late]);
    assert_eq!(b.engine.descriptions_sent(), (0, 1));
    assert!(b.model.errors.is_empty());
}

#[test]
fn a_failed_candidate_is_retried_once_then_dropped() {
    let mut b = Side::new("b", LinkConfig::default(), 1);
    b.feed(
        0,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("r1"),
        },
    );
    b.complete_all(0);
    b.feed(
        1,
        Input::RemoteCandidate {
            candidate: candidate(Some("r1"), 1),
        },
    );
    assert!(
        matches!(
            b.model.candidate_in_flight.take(),
            Some(PcOp::AddCandidate { .. })
        ),
        "added"
    );
    b.feed(
        2,
        Input::CandidateFailed {
            error: "boom".into(),
        },
    );
    assert!(
        matches!(
            b.model.candidate_in_flight.take(),
            Some(PcOp::AddCandidate { .. })
        ),
        "retried"
    );
    let acts = b.feed(
        3,
        Input::CandidateFailed {
            error: "boom".into(),
        },
    );
    assert!(acts
        .iter()
        .any(|a| matches!(a, Action::Ignored { reason, .. } if reason.contains("twice"))));
    assert!(b.model.in_flight.is_none() && b.model.candidate_in_flight.is_none());
    assert!(
        b.model.errors.is_empty(),
        "a lost candidate is not an application error"
    );
}

#[test]
fn every_setup_state_times_out_into_reconnecting_with_an_ice_restart() {
    let mut a = initiator();
    a.feed(0, Input::Start);
    a.complete_all(0); // offer sent, never answered
    let due = a.model.timers[&TimerKind::StateTimeout];
    assert_eq!(due, 10_000);
    let timer = a.model.due(due).unwrap();
    a.feed(due, Input::TimerFired { timer });
    assert_eq!(a.engine.state(), ConnState::Reconnecting);
    assert_eq!(states(&a.log).last().unwrap().1, "signalingTimeout");
    // The unanswered offer is rolled back, then an ICE-restart offer goes out.
    assert_eq!(a.model.in_flight, Some(PcOp::Rollback));
    a.complete_all(due);
    assert!(a.log.iter().any(|x| matches!(
        x,
        Action::Run {
            op: PcOp::CreateOffer { ice_restart: true }
        }
    )));
}

#[test]
fn a_setup_that_never_connects_fails_with_reason_timeout_after_30_s() {
    let mut a = initiator();
    a.feed(0, Input::Start);
    let mut now = 0;
    while let Some((&timer, &at)) = a.model.timers.iter().min_by_key(|(_, at)| **at) {
        now = at;
        a.model.timers.remove(&timer);
        a.feed(now, Input::TimerFired { timer });
        a.complete_all(now);
        if a.engine.state().is_terminal() {
            break;
        }
    }
    assert_eq!(a.engine.state(), ConnState::Failed);
    assert_eq!(now, 30_000);
    assert_eq!(states(&a.log).last().unwrap().1, "timeout");
    assert!(
        a.model.timers.is_empty(),
        "a failed link leaves no timer armed"
    );
}

#[test]
fn a_drop_while_connected_restarts_ice_at_once_and_recovers() {
    let mut p = Pair::connected();
    p.now = 5_000;
    p.a.feed(
        5_000,
        Input::IceConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    assert_eq!(p.a.engine.state(), ConnState::Reconnecting);
    assert!(
        matches!(
            p.a.model.in_flight,
            Some(PcOp::CreateOffer { ice_restart: true })
        ),
        "first retry immediate"
    );
    p.settle();
    assert_ne!(
        p.a.pc.remote_ufrag.as_deref(),
        Some("b1"),
        "the answer brought new ICE credentials"
    );
    p.now = 6_200;
    p.a.feed(
        6_200,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    assert_eq!(
        states(&p.a.log).last().unwrap(),
        &(ConnState::Connected, "recovered".to_string())
    );
    let stats = p.a.engine.recovery_stats();
    assert_eq!(stats.last_time_to_recover_ms, Some(1_200));
    assert_eq!(stats.attempts_per_level, [1, 0, 0]);
    assert!(p.a.model.errors.is_empty() && p.b.model.errors.is_empty());
}

#[test]
fn recovery_escalates_when_the_ice_restart_budget_passes_then_gives_up() {
    let mut a = initiator();
    failed_after_connecting(&mut a);
    let mut now = 3;
    for _ in 0..100 {
        let Some((&timer, &at)) = a.model.timers.iter().min_by_key(|(_, at)| **at) else {
            break;
        };
        now = at;
        a.model.timers.remove(&timer);
        a.feed(now, Input::TimerFired { timer });
        a.complete_all(now);
    }
    let escalations: Vec<_> = a
        .log
        .iter()
        .filter_map(|x| match x {
            Action::Escalate { level, .. } => Some(*level),
            _ => None,
        })
        .collect();
    assert_eq!(escalations.first(), Some(&RecoveryLevel::SignalingReset));
    assert!(escalations.contains(&RecoveryLevel::FullReconnect));
    assert_eq!(a.engine.state(), ConnState::Failed);
    assert!(states(&a.log)
        .last()
        .unwrap()
        .1
        .starts_with("recoveryExhausted"));
    assert!(now <= 3 + 60_000 + 20_000, "bounded by the overall budget");
}

#[test]
fn offline_pauses_recovery_and_online_resumes_it_at_once() {
    let mut p = Pair::connected();
    p.a.feed(10, Input::NetworkOnline { online: false });
    p.a.feed(
        11,
        Input::ConnectionStateChanged {
            state: TransportState::Failed,
        },
    );
    assert!(p.a.model.in_flight.is_none(), "no attempt while offline");
    assert!(!p.a.model.timers.contains_key(&TimerKind::StateTimeout));
    p.a.feed(5_000, Input::NetworkOnline { online: true });
    assert!(matches!(
        p.a.model.in_flight,
        Some(PcOp::CreateOffer { ice_restart: true })
    ));
}

#[test]
fn close_cancels_every_timer_and_nothing_happens_after() {
    let mut a = initiator();
    a.feed(0, Input::Start);
    assert!(!a.model.timers.is_empty());
    let acts = a.feed(1, Input::Close);
    assert!(acts.contains(&Action::Close));
    assert!(a.model.timers.is_empty());
    assert_eq!(a.engine.state(), ConnState::Closed);
    for input in [
        Input::NegotiationNeeded,
        Input::Start,
        Input::Close,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("x"),
        },
    ] {
        let acts = a.feed(2, input);
        assert!(matches!(&acts[..], [Action::Ignored { .. }]), "{acts:?}");
    }
}

#[test]
fn a_failed_link_only_accepts_close() {
    let mut a = initiator();
    a.feed(0, Input::Start);
    a.model.in_flight = None;
    a.feed(
        30_000,
        Input::TimerFired {
            timer: TimerKind::SetupDeadline,
        },
    );
    assert_eq!(a.engine.state(), ConnState::Failed);
    let acts = a.feed(
        30_001,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("x"),
        },
    );
    assert!(matches!(&acts[..], [Action::Ignored { .. }]));
    a.feed(30_002, Input::Close);
    assert_eq!(a.engine.state(), ConnState::Closed);
}

#[test]
fn signals_wait_while_signaling_is_down_and_go_out_in_order_when_it_is_back() {
    let mut a = initiator();
    a.feed(0, Input::SignalingDown);
    a.feed(0, Input::Start);
    a.complete_all(0);
    a.feed(
        1,
        Input::LocalCandidate {
            candidate: candidate(Some("a1"), 1),
        },
    );
    assert!(a.take_sent().is_empty());
    a.feed(2, Input::SignalingUp);
    let sent = a.take_sent();
    assert!(matches!(
        &sent[..],
        [
            Outgoing::Description {
                kind: SdpKind::Offer,
                ..
            },
            Outgoing::Candidate { .. }
        ]
    ));
}

#[test]
fn a_stale_timer_or_an_unexpected_completion_is_ignored_not_a_panic() {
    let mut a = initiator();
    assert!(matches!(
        &a.feed(
            0,
            Input::TimerFired {
                timer: TimerKind::RecoveryRetry
            }
        )[..],
        [Action::Ignored { .. }]
    ));
    assert!(matches!(
        &a.feed(0, Input::RolledBack)[..],
        [Action::Ignored { .. }]
    ));
    assert!(matches!(
        &a.feed(0, Input::OperationFailed { error: "x".into() })[..],
        [Action::Ignored { .. }]
    ));
    assert!(matches!(
        &a.feed(0, Input::StatsStalled)[..],
        [Action::Ignored { .. }]
    ));
}

#[test]
fn stats_stall_while_connected_starts_recovery() {
    let mut p = Pair::connected();
    p.a.feed(9, Input::StatsStalled);
    assert_eq!(
        states(&p.a.log).last().unwrap(),
        &(ConnState::Reconnecting, "statsStalled".to_string())
    );
}

#[test]
fn media_flowing_again_ends_a_stats_stall_the_browser_never_saw() {
    let mut p = Pair::connected();
    p.a.feed(9, Input::StatsStalled);
    p.settle();
    // The browser still says connected: media back means recovered, ICE restart or not.
    p.a.feed(1_500, Input::StatsFlowing);
    assert_eq!(
        states(&p.a.log).last().unwrap(),
        &(ConnState::Connected, "recovered".to_string())
    );
    // Once the browser says disconnected, stats alone do not bring it back.
    p.a.feed(
        2_000,
        Input::ConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    assert_eq!(p.a.engine.state(), ConnState::Reconnecting);
    let acts = p.a.feed(2_500, Input::StatsFlowing);
    assert!(matches!(&acts[..], [Action::Ignored { .. }]), "{acts:?}");
    assert_eq!(p.a.engine.state(), ConnState::Reconnecting);
}

#[test]
fn a_recorded_trace_replays_to_the_same_actions() {
    let mut p = Pair::connected();
    p.a.feed(
        50,
        Input::IceConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    p.settle();
    let trace = p.a.engine.trace().expect("recording is on by default");
    let replayed: Vec<Action> = crate::engine::trace::replay(&trace)
        .unwrap()
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(replayed, p.a.log);
    let json = serde_json::to_string(&trace).unwrap();
    let back: crate::engine::trace::Trace = serde_json::from_str(&json).unwrap();
    assert_eq!(back, trace);
}

#[test]
fn an_offer_queued_while_signaling_is_down_replaces_an_older_unsent_one() {
    let mut a = initiator();
    a.feed(0, Input::Start);
    a.complete_all(0);
    a.feed(
        1,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    a.feed(2, Input::SignalingDown);
    a.take_sent();
    a.feed(
        3,
        Input::LocalCandidate {
            candidate: candidate(Some("a1"), 1),
        },
    );
    a.feed(
        4,
        Input::ConnectionStateChanged {
            state: TransportState::Failed,
        },
    );
    a.complete_all(4); // rollback of the unanswered first offer, then a restart offer
    a.feed(
        5,
        Input::LocalCandidate {
            candidate: candidate(Some("a2"), 2),
        },
    );
    let timer = a.model.due(6_000).expect("the attempt's budget ran out");
    a.feed(6_000, Input::TimerFired { timer });
    a.complete_all(6_000); // the next attempt: another restart offer
    if let Some(timer) = a.model.due(6_500) {
        a.feed(6_500, Input::TimerFired { timer }); // backoff before it, if any
        a.complete_all(6_500);
    }
    let restarts = a
        .log
        .iter()
        .filter(|x| {
            matches!(
                x,
                Action::Run {
                    op: PcOp::CreateOffer { ice_restart: true }
                }
            )
        })
        .count();
    assert_eq!(
        restarts, 2,
        "two restart offers were made while signaling was down"
    );
    a.feed(7_000, Input::SignalingUp);
    let sent = a.take_sent();
    assert_eq!(offers(&sent), 1, "only the newest offer goes out: {sent:?}");
    assert!(
        sent.iter()
            .all(|m| !matches!(m, Outgoing::Candidate { .. })),
        "stale candidates dropped"
    );
}

#[test]
fn a_side_that_may_not_offer_never_does_not_even_to_recover() {
    let mut l = Side::new(
        "l",
        LinkConfig {
            can_offer: false,
            initiator: true,
            ..Default::default()
        },
        3,
    );
    l.feed(0, Input::Start);
    l.feed(1, Input::NegotiationNeeded);
    assert!(l.model.in_flight.is_none());
    l.feed(
        2,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("h1"),
        },
    );
    l.complete_all(2);
    l.feed(
        3,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    l.feed(
        4,
        Input::ConnectionStateChanged {
            state: TransportState::Failed,
        },
    );
    assert_eq!(l.engine.state(), ConnState::Reconnecting);
    assert!(l.model.in_flight.is_none(), "the remote side restarts ICE");
    assert!(!l.log.iter().any(|a| matches!(
        a,
        Action::Run {
            op: PcOp::CreateOffer { .. }
        }
    )));
    // The remote's restart offer is answered as usual.
    l.feed(
        5,
        Input::RemoteDescription {
            kind: SdpKind::Offer,
            sdp: sdp("h2"),
        },
    );
    l.complete_all(5);
    l.feed(
        6,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    assert_eq!(l.engine.state(), ConnState::Connected);
}

/// An initiator whose connection came up at 2 ms and failed at 3 ms.
fn failed_after_connecting(a: &mut Side) {
    a.feed(0, Input::Start);
    a.complete_all(0);
    a.feed(
        1,
        Input::RemoteDescription {
            kind: SdpKind::Answer,
            sdp: sdp("b1"),
        },
    );
    a.complete_all(1);
    a.feed(
        2,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    a.feed(
        3,
        Input::ConnectionStateChanged {
            state: TransportState::Failed,
        },
    );
    a.complete_all(3);
}

fn restarts(log: &[Action]) -> usize {
    log.iter()
        .filter(|x| {
            matches!(
                x,
                Action::Run {
                    op: PcOp::CreateOffer { ice_restart: true }
                }
            )
        })
        .count()
}

#[test]
fn retry_now_runs_a_recovery_attempt_waiting_for_its_backoff_at_once() {
    let mut a = initiator();
    failed_after_connecting(&mut a);
    assert_eq!(restarts(&a.log), 1, "the first attempt is immediate");
    // The first attempt's budget passes: the second waits for a backoff.
    let at = a.model.timers[&TimerKind::StateTimeout];
    a.model.timers.remove(&TimerKind::StateTimeout);
    a.feed(
        at,
        Input::TimerFired {
            timer: TimerKind::StateTimeout,
        },
    );
    a.complete_all(at);
    assert!(
        a.model.timers.contains_key(&TimerKind::RecoveryRetry),
        "{:?}",
        a.model.timers
    );
    a.feed(at + 1, Input::RetryNow);
    a.complete_all(at + 1);
    assert_eq!(restarts(&a.log), 2, "the waiting attempt ran at once");
    assert!(!a.model.timers.contains_key(&TimerKind::RecoveryRetry));
    let budget = a.model.timers[&TimerKind::StateTimeout];
    assert!(budget > at + 1, "the attempt has a budget from now");
    // Nothing waits now: a second RetryNow is ignored.
    let acts = a.feed(at + 2, Input::RetryNow);
    assert!(matches!(&acts[..], [Action::Ignored { .. }]), "{acts:?}");
}

#[test]
fn a_trace_of_a_link_with_an_app_retry_policy_replays_exactly_without_the_policy() {
    use crate::engine::recovery::{DelayPolicy, RetryContext};
    struct Odd(u64);
    impl DelayPolicy for Odd {
        fn next_delay(&mut self, ctx: &RetryContext) -> Option<u64> {
            self.0 += 777;
            (ctx.attempt < 6).then_some(self.0)
        }
    }
    let mut a = initiator();
    a.engine.set_delay_policy(Box::new(Odd(0)));
    failed_after_connecting(&mut a);
    for _ in 0..100 {
        let Some((&timer, &at)) = a.model.timers.iter().min_by_key(|(_, at)| **at) else {
            break;
        };
        a.model.timers.remove(&timer);
        a.feed(at, Input::TimerFired { timer });
        a.complete_all(at);
    }
    assert_eq!(a.engine.state(), ConnState::Failed, "recovery ended");
    let trace = a.engine.trace().expect("recorded");
    assert!(trace.uses_policy);
    assert_eq!(
        trace.policy_answers,
        vec![Some(777), Some(1554), Some(2331), Some(3108)]
    );
    let replayed: Vec<Action> = crate::engine::trace::replay(&trace)
        .expect("replayable")
        .into_iter()
        .flatten()
        .collect();
    assert_eq!(replayed, a.log);
}

#[test]
fn an_offer_lost_on_a_dead_socket_is_made_again_when_signaling_returns() {
    let mut p = Pair::connected();
    p.now = 5_000;
    p.a.feed(
        5_000,
        Input::IceConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    p.a.complete_all(5_000);
    // The ICE restart offer went out on a socket that was already dead.
    let lost = p.a.take_sent();
    assert!(
        lost.iter().any(|m| matches!(
            m,
            Outgoing::Description {
                kind: SdpKind::Offer,
                ..
            }
        )),
        "{lost:?}"
    );
    p.a.feed(6_000, Input::SignalingDown);
    let before = restarts(&p.a.log);
    p.a.feed(7_000, Input::SignalingUp);
    p.a.complete_all(7_000);
    assert_eq!(
        restarts(&p.a.log),
        before + 1,
        "a new ICE restart offer on the working socket"
    );
    assert!(
        p.a.log
            .iter()
            .any(|x| matches!(x, Action::Run { op: PcOp::Rollback })),
        "the unanswered offer rolled back first"
    );
    p.now = 7_000;
    p.settle();
    p.a.feed(
        7_500,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    assert_eq!(p.a.engine.state(), ConnState::Connected);
    assert!(
        p.a.model.errors.is_empty() && p.b.model.errors.is_empty(),
        "{:?} {:?}",
        p.a.model.errors,
        p.b.model.errors
    );
}

#[test]
fn an_offer_held_while_signaling_was_down_is_sent_not_made_again() {
    let mut p = Pair::connected();
    p.a.feed(4_000, Input::SignalingDown);
    p.a.feed(
        5_000,
        Input::IceConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    p.a.complete_all(5_000);
    assert!(p.a.take_sent().is_empty(), "held in the outbox");
    let before = restarts(&p.a.log);
    p.a.feed(7_000, Input::SignalingUp);
    p.a.complete_all(7_000);
    assert_eq!(restarts(&p.a.log), before, "no second offer");
    assert!(p.a.take_sent().iter().any(|m| matches!(
        m,
        Outgoing::Description {
            kind: SdpKind::Offer,
            ..
        }
    )));
}

/// Fires `timer` on `side` at the time it is armed for; returns that time.
fn fire(side: &mut Side, timer: TimerKind) -> u64 {
    let at = side.model.timers[&timer];
    side.model.timers.remove(&timer);
    side.feed(at, Input::TimerFired { timer });
    side.complete_all(at);
    at
}

#[test]
fn checks_that_hang_after_a_restart_exchange_fail_the_attempt_after_2_s_not_5() {
    // Firefox, after answering an ICE restart, can stay `checking` while the other side
    // keeps its old pair (BROWSERS.md). The side that hangs restarts ICE again itself.
    let mut p = Pair::connected();
    p.now = 5_000;
    p.b.feed(
        5_000,
        Input::ConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    assert_eq!(p.b.engine.state(), ConnState::Reconnecting);
    assert!(
        !p.b.model.timers.contains_key(&TimerKind::IceChecks),
        "no exchange yet: only the attempt's budget counts"
    );
    p.settle();
    assert_eq!(restarts(&p.b.log), 1);
    // The restart's offer and answer are applied: 2 s for the checks, not the 5 s budget.
    assert_eq!(p.b.model.timers[&TimerKind::IceChecks], 7_000);
    assert_eq!(p.b.model.timers[&TimerKind::StateTimeout], 10_000);
    // A later exchange (the other side's own restart) does not move it.
    p.now = 6_000;
    p.a.feed(6_000, Input::StatsStalled);
    p.a.feed(
        6_000,
        Input::ConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    p.settle();
    assert_eq!(restarts(&p.a.log), 1, "the other side restarted too");
    assert_eq!(p.b.model.timers[&TimerKind::IceChecks], 7_000);
    // Nothing connects: at 7 s the attempt has failed and the next one is under way.
    let at = fire(&mut p.b, TimerKind::IceChecks);
    assert_eq!(at, 7_000);
    assert_eq!(p.b.engine.recovery_stats().attempts_per_level, [2, 0, 0]);
    assert!(
        !p.b.model.timers.contains_key(&TimerKind::RecoveryRetry),
        "the second attempt goes at once: the 2 s wait spaced it"
    );
    let retry_at = 7_000;
    p.now = retry_at;
    p.settle();
    assert_eq!(restarts(&p.b.log), 2, "b restarted ICE itself");
    // Ran out once: the next exchange gets twice as long.
    assert_eq!(p.b.model.timers[&TimerKind::IceChecks], retry_at + 4_000);
    // Connected: the timer is gone and the next episode starts again from 2 s.
    p.now = retry_at + 300;
    p.b.feed(
        p.now,
        Input::ConnectionStateChanged {
            state: TransportState::Connected,
        },
    );
    assert_eq!(p.b.engine.state(), ConnState::Connected);
    assert!(!p.b.model.timers.contains_key(&TimerKind::IceChecks));
    p.now = 20_000;
    p.b.feed(
        20_000,
        Input::ConnectionStateChanged {
            state: TransportState::Disconnected,
        },
    );
    p.settle();
    assert_eq!(p.b.model.timers[&TimerKind::IceChecks], 22_000);
}

#[test]
fn checks_get_no_separate_budget_outside_recovery_and_media_flowing_again_ends_it() {
    // The first setup has its own state timeouts.
    let p = Pair::started();
    assert!(!p.a.model.timers.contains_key(&TimerKind::IceChecks));
    assert!(!p.b.model.timers.contains_key(&TimerKind::IceChecks));
    // A stall the browser never saw (it still says connected, as Firefox may after a
    // rolled-back offer): the restart's exchange gets the same 2 s.
    let mut p = Pair::connected();
    p.now = 5_000;
    p.b.feed(5_000, Input::StatsStalled);
    assert_eq!(p.b.engine.state(), ConnState::Reconnecting);
    p.settle();
    assert_eq!(restarts(&p.b.log), 1);
    assert_eq!(p.b.model.timers[&TimerKind::IceChecks], 7_000);
    // Media flows again before then: recovered, and the timer is gone.
    p.b.feed(6_000, Input::StatsFlowing);
    assert_eq!(p.b.engine.state(), ConnState::Connected);
    assert!(!p.b.model.timers.contains_key(&TimerKind::IceChecks));
}

#[test]
fn a_budget_timer_that_fires_a_millisecond_early_by_the_driver_clock_still_escalates() {
    // The browser's timer and its clock may disagree by a millisecond: the attempt's
    // budget timer must still count as the budget used up (the ladder climbs to a
    // signaling reset, not a second ICE restart).
    let mut a = initiator();
    failed_after_connecting(&mut a);
    let at = a.model.timers[&TimerKind::StateTimeout];
    a.model.timers.remove(&TimerKind::StateTimeout);
    a.feed(
        at - 1,
        Input::TimerFired {
            timer: TimerKind::StateTimeout,
        },
    );
    fire(&mut a, TimerKind::RecoveryRetry);
    assert!(
        a.log.iter().any(|x| matches!(
            x,
            Action::Escalate {
                level: RecoveryLevel::SignalingReset,
                ..
            }
        )),
        "{:?}",
        a.log
    );
}

/// The network drops for both sides at once: each restarts ICE, the offers cross, and
/// everything settles without an error. Returns the pair with `a` (polite) configured by
/// `adjust`, and checks that both ended on the same credentials.
fn crossing_restarts(adjust: impl FnOnce(&mut LinkConfig)) -> Pair {
    let mut p = Pair::connected_with(adjust);
    p.now = 5_000;
    for side in [&mut p.a, &mut p.b] {
        side.feed(
            5_000,
            Input::IceConnectionStateChanged {
                state: TransportState::Disconnected,
            },
        );
    }
    p.a.complete_all(5_000);
    p.b.complete_all(5_000);
    p.settle();
    assert!(p.a.model.errors.is_empty() && p.b.model.errors.is_empty());
    assert!(p.a.engine.is_settled() && p.b.engine.is_settled());
    assert!(
        p.a.log
            .iter()
            .any(|a| matches!(a, Action::Run { op: PcOp::Rollback })),
        "the polite side yielded"
    );
    assert_ne!(
        p.a.pc.remote_ufrag.as_deref(),
        Some("b1"),
        "new credentials"
    );
    assert_eq!(p.a.pc.remote_ufrag.as_deref(), p.b.pc.local_ufrag());
    assert_eq!(p.b.pc.remote_ufrag.as_deref(), p.a.pc.local_ufrag());
    p
}

#[test]
fn crossing_ice_restarts_restart_ice_once_when_the_polite_side_need_not_restart_again() {
    // The polite side is a Chromium page. Its yielded offer was its only ICE restart:
    // answering the remote one renewed its credentials too, and its offer again (it
    // still owes one) keeps them.
    let p = crossing_restarts(|cfg| cfg.restart_again_after_yield = false);
    assert_eq!(restarts(&p.a.log), 1, "{:?}", p.a.log);
    assert_eq!(restarts(&p.b.log), 1);
}

#[test]
fn crossing_ice_restarts_end_with_the_polite_sides_own_restart_when_it_needs_one() {
    // The default (a Firefox page): after yielding and answering, its own restart
    // follows, so its ICE restart is the last one.
    let p = crossing_restarts(|_| {});
    assert_eq!(
        restarts(&p.a.log),
        2,
        "the yielded restart, then its own again"
    );
    assert_eq!(restarts(&p.b.log), 1);
}
