//! Property tests of the link engine over random input sequences, driven through the
//! strict fake browser: no panic; never two operations (so never two offers) in flight;
//! never a candidate added before the remote description of its generation; always
//! Closed after close; every scheduled timer is cancelled or fires; a recorded trace
//! replays to the same actions; and two engines offering at random moments always settle
//! without an error.

use super::candidates::Candidate;
use super::config::LinkConfig;
use super::sdp::ice_ufrag;
use super::testkit::{candidate, sdp, Pair, Side};
use super::types::{Action, ConnState, Input, PcOp, SdpKind, TransportState};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Step {
    Start,
    Renegotiate,
    RemoteOffer(u8),
    RemoteAnswer(u8),
    RemoteCandidate(Option<u8>, u32),
    EndOfCandidates,
    LocalCandidate,
    CompleteOk,
    CompleteFail,
    Transport(bool, u8),
    Advance(u32),
    SignalingUp(bool),
    Online(bool),
    Visible(bool),
    Stalled,
    Flowing,
    RetryNow,
    /// An input out of any order (a completion nobody asked for, junk SDP...).
    Junk(u8),
    Close,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Start),
        2 => Just(Step::Renegotiate),
        2 => (0u8..3).prop_map(Step::RemoteOffer),
        2 => (0u8..3).prop_map(Step::RemoteAnswer),
        3 => (proptest::option::of(0u8..3), 0u32..400).prop_map(|(u, n)| Step::RemoteCandidate(u, n)),
        1 => Just(Step::EndOfCandidates),
        1 => Just(Step::LocalCandidate),
        8 => Just(Step::CompleteOk),
        1 => Just(Step::CompleteFail),
        2 => (any::<bool>(), 0u8..8).prop_map(|(pc, s)| Step::Transport(pc, s)),
        3 => (0u32..20_000).prop_map(Step::Advance),
        1 => any::<bool>().prop_map(Step::SignalingUp),
        1 => any::<bool>().prop_map(Step::Online),
        1 => any::<bool>().prop_map(Step::Visible),
        1 => Just(Step::Stalled),
        1 => Just(Step::RetryNow),
        1 => Just(Step::Flowing),
        1 => (0u8..6).prop_map(Step::Junk),
        1 => Just(Step::Close),
    ]
}

const TRANSPORT: [TransportState; 8] = [
    TransportState::New,
    TransportState::Checking,
    TransportState::Connecting,
    TransportState::Connected,
    TransportState::Completed,
    TransportState::Disconnected,
    TransportState::Failed,
    TransportState::Closed,
];

/// Drives one engine through `steps`; checks the invariants after each.
fn drive(cfg: LinkConfig, seed: u64, steps: &[Step]) -> Side {
    let mut s = Side::new("a", cfg, seed);
    let mut now = 0u64;
    let mut applied_remote: Option<Option<String>> = None;
    let mut closed = false;
    for st in steps {
        let input = match st.clone() {
            Step::Start => Input::Start,
            Step::Renegotiate => Input::NegotiationNeeded,
            Step::RemoteOffer(g) => Input::RemoteDescription {
                kind: SdpKind::Offer,
                sdp: sdp(&format!("r{g}")),
            },
            Step::RemoteAnswer(g) => Input::RemoteDescription {
                kind: SdpKind::Answer,
                sdp: sdp(&format!("r{g}")),
            },
            Step::RemoteCandidate(g, n) => Input::RemoteCandidate {
                candidate: candidate(g.map(|g| format!("r{g}")).as_deref(), n),
            },
            Step::EndOfCandidates => Input::RemoteCandidate {
                candidate: Candidate::end_of_candidates(None),
            },
            Step::LocalCandidate => Input::LocalCandidate {
                candidate: candidate(Some("a1"), 1),
            },
            Step::CompleteOk | Step::CompleteFail => {
                let Some(op) = s
                    .model
                    .candidate_in_flight
                    .take()
                    .or_else(|| s.model.in_flight.take())
                else {
                    continue;
                };
                if matches!(st, Step::CompleteFail) {
                    let error = "injected".into();
                    if matches!(op, PcOp::AddCandidate { .. }) {
                        Input::CandidateFailed { error }
                    } else {
                        Input::OperationFailed { error }
                    }
                } else {
                    let input = s.pc.execute(&op);
                    if let (
                        PcOp::SetRemoteDescription { sdp, .. },
                        Input::RemoteDescriptionApplied,
                    ) = (&op, &input)
                    {
                        applied_remote = Some(ice_ufrag(sdp));
                    }
                    input
                }
            }
            Step::Transport(pc, i) => {
                let state = TRANSPORT[i as usize];
                if pc {
                    Input::ConnectionStateChanged { state }
                } else {
                    Input::IceConnectionStateChanged { state }
                }
            }
            Step::Advance(ms) => {
                now += u64::from(ms);
                // Fire what is due, in time order (bounded).
                for _ in 0..50 {
                    let Some(timer) = s.model.due(now) else { break };
                    let acts = s.feed(now, Input::TimerFired { timer });
                    check(&acts, &applied_remote, closed);
                }
                continue;
            }
            Step::SignalingUp(up) => {
                if up {
                    Input::SignalingUp
                } else {
                    Input::SignalingDown
                }
            }
            Step::Online(b) => Input::NetworkOnline { online: b },
            Step::Visible(b) => Input::PageVisible { visible: b },
            Step::Stalled => Input::StatsStalled,
            Step::RetryNow => Input::RetryNow,
            Step::Flowing => Input::StatsFlowing,
            // Completions nobody asked for (a real driver reports only what it ran).
            Step::Junk(i)
                if i < 4
                    && (s.model.in_flight.is_some() || s.model.candidate_in_flight.is_some()) =>
            {
                continue
            }
            Step::Junk(i) => match i {
                0 => Input::RolledBack,
                1 => Input::CandidateAdded,
                2 => Input::RemoteDescriptionApplied,
                3 => Input::LocalDescriptionApplied {
                    kind: SdpKind::Answer,
                    sdp: "\u{0}garbage".into(),
                },
                4 => Input::RemoteDescription {
                    kind: SdpKind::Offer,
                    sdp: String::new(),
                },
                _ => Input::SignalingStateChanged {
                    state: super::types::SignalingState::HaveRemotePranswer,
                },
            },
            Step::Close => Input::Close,
        };
        let is_close = input == Input::Close;
        let acts = s.feed(now, input);
        check(&acts, &applied_remote, closed);
        if is_close {
            closed = true;
        }
        if closed {
            assert_eq!(
                s.engine.state(),
                ConnState::Closed,
                "always Closed after close"
            );
            assert!(s.model.timers.is_empty(), "close cancels every timer");
        }
    }
    s
}

fn check(actions: &[Action], applied_remote: &Option<Option<String>>, closed: bool) {
    for a in actions {
        if closed {
            assert!(
                matches!(a, Action::Ignored { .. }),
                "after close only ignores: {a:?}"
            );
        }
        if let Action::Run {
            op: PcOp::AddCandidate { candidate },
        } = a
        {
            let Some(current) = applied_remote else {
                panic!("candidate added before any remote description")
            };
            if let (Some(u), Some(cur)) = (candidate.ufrag(), current) {
                assert_eq!(
                    &u, cur,
                    "candidate added before the description of its generation"
                );
            }
        }
    }
}

fn config() -> impl Strategy<Value = LinkConfig> {
    (any::<bool>(), any::<bool>(), any::<bool>(), 1usize..8).prop_map(
        |(polite, initiator, can_offer, cap)| LinkConfig {
            polite,
            initiator,
            can_offer,
            candidate_capacity: cap,
            ..Default::default()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_keep_every_invariant(cfg in config(), seed in any::<u64>(), steps in proptest::collection::vec(step(), 0..120)) {
        let mut s = drive(cfg, seed, &steps);
        // Close at the end: every timer scheduled was cancelled or fired.
        let acts = s.feed(u64::MAX / 2, Input::Close);
        check(&acts, &None, false);
        prop_assert_eq!(s.engine.state(), ConnState::Closed);
        prop_assert!(s.model.timers.is_empty());
    }

    #[test]
    fn a_recorded_trace_replays_identically(cfg in config(), seed in any::<u64>(), steps in proptest::collection::vec(step(), 0..80)) {
        let s = drive(cfg, seed, &steps);
        let trace = s.engine.trace().unwrap();
        let replayed: Vec<Action> = super::trace::replay(&trace).unwrap().into_iter().flatten().collect();
        prop_assert_eq!(replayed, s.log);
    }

    #[test]
    fn two_engines_renegotiating_at_random_moments_always_settle_without_error(
        moves in proptest::collection::vec(0u8..6, 1..200)
    ) {
        let mut p = Pair::connected();
        for m in moves {
            match m {
                0 => { p.a.feed(1, Input::NegotiationNeeded); }
                1 => { p.b.feed(1, Input::NegotiationNeeded); }
                2 => { p.a.complete_one(1); }
                3 => { p.b.complete_one(1); }
                4 => { p.deliver_one(true); }
                _ => { p.deliver_one(false); }
            }
        }
        p.settle();
        prop_assert!(p.a.model.errors.is_empty(), "{:?}", p.a.model.errors);
        prop_assert!(p.b.model.errors.is_empty(), "{:?}", p.b.model.errors);
        prop_assert!(p.a.engine.is_settled() && p.b.engine.is_settled());
        prop_assert_eq!(p.a.pc.signaling, super::types::SignalingState::Stable);
        prop_assert_eq!(p.b.pc.signaling, super::types::SignalingState::Stable);
    }
}
