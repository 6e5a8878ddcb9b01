//! The engine of one peer link: the connection state machine with a timeout per state,
//! and the glue between negotiation (`negotiation.rs`), the candidate buffer, timers and
//! the recovery ladder.
//!
//! `handle(now_ms, input)` returns the actions to execute, in order. It never panics on
//! any input in any state: an input that makes no sense is answered with
//! `Action::Ignored` and its reason.

use super::candidates::{Admission, CandidateBuffer};
use super::config::LinkConfig;
use super::ops::OpQueue;
use super::recovery::{Decision, DelayPolicy, Recovery, RecoveryLevel, RecoveryStats};
use super::rng::SeededRng;
use super::trace::{Trace, TraceRecorder};
use super::types::{Action, ConnState, Input, Outgoing, PcOp, SdpKind, TimerKind, TransportState};
use super::vec_map::VecMap;
use std::collections::VecDeque;

/// Perfect-negotiation bookkeeping (the W3C pattern's flags, plus coalescing).
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Negotiation {
    /// Our view of `signalingState` once the op in flight completes.
    pub signaling: super::types::SignalingState,
    /// A `CreateOffer` is queued or in flight.
    pub making_offer: bool,
    /// The last remote offer was ignored (impolite side, glare).
    pub ignore_offer: bool,
    /// The offer in flight was superseded by a remote offer: do not send it.
    pub abandon_offer: bool,
    /// Our sent offer waits for its answer.
    pub offer_outstanding: bool,
    /// Someone asked for (re)negotiation that has not started yet.
    pub wanted: bool,
    pub restart_wanted: bool,
    pub last_offer_restart: bool,
}

/// Setup progress, from which the setup state is derived.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Progress {
    pub started: bool,
    pub negotiating: bool,
    /// One full offer/answer exchange has completed.
    pub exchanged: bool,
    pub candidates_flowing: bool,
    pub checking: bool,
    pub ever_connected: bool,
    /// The browser's `connectionState` is `connected` now.
    pub transport_up: bool,
}

/// The engine of one peer link. See the module docs.
pub struct PeerEngine {
    pub(super) cfg: LinkConfig,
    pub(super) state: ConnState,
    pub(super) now: u64,
    pub(super) neg: Negotiation,
    pub(super) progress: Progress,
    pub(super) ops: OpQueue,
    pub(super) candidates: CandidateBuffer,
    signaling_up: bool,
    outbox: VecDeque<Outgoing>,
    timers: VecMap<TimerKind, u64>,
    recovery: Recovery,
    policy: Option<Box<dyn DelayPolicy>>,
    /// The recovery attempt waiting for its backoff timer.
    pending_attempt: Option<(RecoveryLevel, u32)>,
    /// A failure was already counted for the attempt under way.
    attempt_failed: bool,
    /// Times the ICE-checks budget ran out in this recovery episode (see
    /// `exchange_completed`).
    checks_ran_out: u32,
    pub(super) out: Vec<Action>,
    trace: Option<TraceRecorder>,
    pub(super) offers_sent: u32,
    pub(super) answers_sent: u32,
}

impl PeerEngine {
    /// A new link engine; `seed` feeds the backoff jitter.
    pub fn new(cfg: LinkConfig, seed: u64) -> Self {
        let trace = (cfg.trace_capacity > 0).then(|| TraceRecorder::new(&cfg, seed));
        Self {
            candidates: CandidateBuffer::new(cfg.candidate_capacity),
            recovery: Recovery::new(cfg.recovery.clone(), SeededRng::new(seed)),
            cfg,
            state: ConnState::Initializing,
            now: 0,
            neg: Negotiation::default(),
            progress: Progress::default(),
            ops: OpQueue::default(),
            signaling_up: true,
            outbox: VecDeque::new(),
            timers: VecMap::new(),
            policy: None,
            pending_attempt: None,
            attempt_failed: false,
            checks_ran_out: 0,
            out: Vec::new(),
            trace,
            offers_sent: 0,
            answers_sent: 0,
        }
    }

    /// Replaces the built-in backoff with `policy` (a trace of such a link replays only
    /// with the same policy).
    /// Replaces the built-in backoff with `policy`. The trace records each of its
    /// answers, so a replay gives the same actions without the policy itself.
    pub fn set_delay_policy(&mut self, policy: Box<dyn DelayPolicy>) {
        self.policy = Some(policy);
        if let Some(trace) = &mut self.trace {
            trace.use_policy();
        }
    }

    /// Asks the ladder what to do after a failure, recording the policy's answers.
    fn recovery_fail(&mut self) -> Decision {
        let Some(policy) = self.policy.as_deref_mut() else {
            return self.recovery.fail(self.now, None);
        };
        let mut recording = Recording {
            inner: policy,
            answers: Vec::new(),
        };
        let decision = self.recovery.fail(self.now, Some(&mut recording));
        if let Some(trace) = &mut self.trace {
            trace.policy_answers(recording.answers);
        }
        decision
    }

    pub fn state(&self) -> ConnState {
        self.state
    }

    pub fn config(&self) -> &LinkConfig {
        &self.cfg
    }

    pub fn recovery_stats(&self) -> &RecoveryStats {
        self.recovery.stats()
    }

    /// Offers and answers this side has sent.
    pub fn descriptions_sent(&self) -> (u32, u32) {
        (self.offers_sent, self.answers_sent)
    }

    /// No negotiation pending: stable, nothing queued, nothing wanted.
    pub fn is_settled(&self) -> bool {
        self.ops.is_empty()
            && !self.neg.wanted
            && !self.neg.making_offer
            && self.neg.signaling == super::types::SignalingState::Stable
    }

    pub fn held_candidates(&self) -> usize {
        self.candidates.held()
    }

    /// The recorded trace (inputs with their times), if recording is on.
    pub fn trace(&self) -> Option<Trace> {
        self.trace.as_ref().map(TraceRecorder::snapshot)
    }

    /// Feeds one input at time `now_ms`; returns the actions to execute, in order.
    pub fn handle(&mut self, now_ms: u64, input: Input) -> Vec<Action> {
        self.now = self.now.max(now_ms);
        if let Some(trace) = &mut self.trace {
            trace.record(self.now, &input);
        }
        self.dispatch(input);
        if !self.state.is_terminal() {
            self.try_offer();
            self.pump();
        }
        std::mem::take(&mut self.out)
    }

    fn dispatch(&mut self, input: Input) {
        if self.state == ConnState::Closed {
            return self.ignore(&input, "the link is closed");
        }
        let completion = matches!(
            input,
            Input::LocalDescriptionApplied { .. }
                | Input::RemoteDescriptionApplied
                | Input::RolledBack
                | Input::CandidateAdded
                | Input::CandidateFailed { .. }
                | Input::OperationFailed { .. }
        );
        if self.state == ConnState::Failed && !completion && input != Input::Close {
            return self.ignore(&input, "the link has failed; only close is accepted");
        }
        match input {
            Input::Start => self.start(),
            Input::NegotiationNeeded => self.negotiation_needed(),
            Input::RemoteDescription { kind, sdp } => self.remote_description(kind, sdp),
            Input::RemoteCandidate { candidate } => self.remote_candidate(candidate),
            Input::LocalCandidate { candidate } => {
                self.send(Outgoing::Candidate { candidate });
                self.progress.candidates_flowing = true;
                self.advance_setup("candidatesFlowing");
            }
            Input::LocalGatheringComplete => self.send(Outgoing::EndOfCandidates),
            Input::LocalDescriptionApplied { kind, sdp } => self.local_applied(kind, sdp),
            Input::RemoteDescriptionApplied => self.remote_applied(),
            Input::RolledBack => self.rolled_back(),
            Input::CandidateAdded => self.candidate_added(),
            Input::CandidateFailed { error } => self.candidate_failed(error),
            Input::OperationFailed { error } => self.operation_failed(error),
            Input::SignalingStateChanged { .. } => {}
            Input::IceConnectionStateChanged { state } => self.transport(state, false),
            Input::ConnectionStateChanged { state } => self.transport(state, true),
            Input::TimerFired { timer } => self.timer_fired(timer),
            Input::SignalingUp => {
                let was_down = !std::mem::replace(&mut self.signaling_up, true);
                let held = !self.outbox.is_empty();
                while let Some(message) = self.outbox.pop_front() {
                    self.out.push(Action::Send { message });
                }
                // An offer that went out on a socket that was already dead (sent before
                // the outage was noticed) waits for an answer that will never come: while
                // recovering, restart ICE now on the working socket instead of waiting
                // for the attempt's budget. An offer held here went out just now.
                let lost_offer = self.neg.offer_outstanding && !held;
                if was_down
                    && lost_offer
                    && self.state == ConnState::Reconnecting
                    && self.pending_attempt.is_none()
                {
                    self.restart_ice();
                }
            }
            Input::SignalingDown => self.signaling_up = false,
            Input::StatsStalled => {
                if self.state == ConnState::Connected {
                    self.enter_reconnecting("statsStalled");
                } else {
                    self.ignore(&Input::StatsStalled, "only a connected link can stall");
                }
            }
            Input::StatsFlowing => {
                // Media came back on a connection the browser never stopped calling
                // connected (a short outage it rode out): recovered, whatever recovery
                // step is still under way.
                if self.state == ConnState::Reconnecting && self.progress.transport_up {
                    self.connected();
                } else {
                    self.ignore(&Input::StatsFlowing, "only a reconnecting link whose browser connection is up recovers from stats");
                }
            }
            Input::NetworkOnline { online } => {
                if let Some(d) = self.recovery.set_online(online, self.now) {
                    self.apply(d);
                }
            }
            Input::PageVisible { visible } => {
                if let Some(d) = self.recovery.set_visible(visible, self.now) {
                    self.apply(d);
                }
            }
            Input::RetryNow => match self.pending_attempt.take() {
                Some((level, attempt)) => {
                    // The attempt's budget counts from now, not from the skipped wait.
                    let budget = self.cfg.recovery.budget(level);
                    self.schedule(TimerKind::StateTimeout, budget);
                    self.cancel(TimerKind::RecoveryRetry);
                    self.run_attempt(level, attempt);
                }
                None => self.ignore(&Input::RetryNow, "no recovery attempt is waiting"),
            },
            Input::Close => self.close("closeRequested"),
        }
    }

    fn start(&mut self) {
        if self.progress.started {
            return self.ignore(&Input::Start, "already started");
        }
        self.progress.started = true;
        self.schedule(TimerKind::SetupDeadline, self.cfg.timeouts.setup_ms);
        self.arm_state_timeout();
        if self.cfg.initiator {
            self.neg.wanted = true;
        }
    }

    fn negotiation_needed(&mut self) {
        if !self.cfg.initiator && !self.progress.negotiating {
            return self.ignore(
                &Input::NegotiationNeeded,
                "waiting for the initiator's offer: the answer carries local media",
            );
        }
        if self.neg.making_offer {
            // The offer being made covers every change made before it began, such as the
            // tracks added before `Start` whose event is only now delivered. A change made
            // during it leaves the browser's negotiation-needed flag set, and the browser
            // fires again once the exchange is back to stable (W3C "update the
            // negotiation-needed flag"). Taking this one would offer twice per call.
            return self.ignore(
                &Input::NegotiationNeeded,
                "an offer is being made: it covers what changed before it",
            );
        }
        self.neg.wanted = true;
    }

    fn remote_candidate(&mut self, candidate: super::candidates::Candidate) {
        for admission in self.candidates.push(candidate) {
            match admission {
                Admission::AddNow(candidate) => self.ops.push(PcOp::AddCandidate { candidate }),
                Admission::Held => {}
                Admission::Dropped { candidate, reason } => self.out.push(Action::Ignored {
                    input: format!("remoteCandidate {}", candidate.candidate),
                    reason: reason.into(),
                }),
            }
        }
    }

    /// Starts queued operations while none is in flight, in each lane (see `ops`).
    fn pump(&mut self) {
        if self.ops.in_flight.is_none() {
            if let Some(op) = self.ops.pop() {
                self.ops.in_flight = Some(op.clone());
                self.out.push(Action::Run { op });
            }
        }
        while self.ops.candidate_in_flight.is_none() {
            let Some(candidate) = self.ops.pop_candidate() else {
                break;
            };
            let ufrag = candidate.ufrag();
            if !self.candidates.is_current(ufrag.as_deref()) {
                self.out.push(Action::Ignored {
                    input: format!("remoteCandidate {}", candidate.candidate),
                    reason: "its ICE generation was replaced before it could be added".into(),
                });
                continue;
            }
            self.ops.candidate_in_flight = Some(candidate.clone());
            self.out.push(Action::Run {
                op: PcOp::AddCandidate { candidate },
            });
        }
    }

    pub(super) fn send(&mut self, message: Outgoing) {
        if self.signaling_up {
            return self.out.push(Action::Send { message });
        }
        if matches!(
            message,
            Outgoing::Description {
                kind: SdpKind::Offer,
                ..
            }
        ) {
            // A newer offer replaces an unsent one, and the candidates gathered for it.
            self.outbox.retain(|m| {
                !matches!(
                    m,
                    Outgoing::Description {
                        kind: SdpKind::Offer,
                        ..
                    } | Outgoing::Candidate { .. }
                )
            });
        }
        if self.outbox.len() >= self.cfg.outbox_capacity {
            // Descriptions matter more than any one candidate: drop the oldest candidate.
            let i = self
                .outbox
                .iter()
                .position(|m| matches!(m, Outgoing::Candidate { .. }))
                .unwrap_or(0);
            self.outbox.remove(i);
        }
        self.outbox.push_back(message);
    }

    pub(super) fn ignore(&mut self, input: &Input, reason: &str) {
        let name = input.name().to_owned();
        self.out.push(Action::Ignored {
            input: name,
            reason: reason.into(),
        });
    }

    // ---- states ------------------------------------------------------------------

    pub(super) fn set_state(&mut self, to: ConnState, reason: &str) {
        if to == self.state {
            return;
        }
        let from = std::mem::replace(&mut self.state, to);
        self.out.push(Action::StateChanged {
            from,
            to,
            reason: reason.into(),
        });
        self.arm_state_timeout();
    }

    fn arm_state_timeout(&mut self) {
        let t = &self.cfg.timeouts;
        let ms = match self.state {
            ConnState::Initializing if self.progress.started => Some(t.initializing_ms),
            ConnState::Signaling => Some(t.signaling_ms),
            ConnState::IceGathering => Some(t.ice_gathering_ms),
            ConnState::IceExchange => Some(t.ice_exchange_ms),
            ConnState::Connecting => Some(t.connecting_ms),
            _ => None, // Reconnecting is armed per attempt; the rest have no timeout.
        };
        match ms {
            Some(ms) => self.schedule(TimerKind::StateTimeout, ms),
            None => self.cancel(TimerKind::StateTimeout),
        }
    }

    /// Moves forward through the setup states as far as the progress allows.
    pub(super) fn advance_setup(&mut self, reason: &str) {
        let Some(rank) = self.state.setup_rank() else {
            return;
        };
        let p = &self.progress;
        let target = if p.checking {
            ConnState::Connecting
        } else if p.exchanged && p.candidates_flowing {
            ConnState::IceExchange
        } else if p.exchanged {
            ConnState::IceGathering
        } else if p.negotiating {
            ConnState::Signaling
        } else {
            ConnState::Initializing
        };
        if target.setup_rank().is_some_and(|t| t > rank) {
            self.set_state(target, reason);
        }
    }

    fn transport(&mut self, state: TransportState, from_pc: bool) {
        if from_pc {
            self.progress.transport_up = state == TransportState::Connected;
        }
        match state {
            // `connectionState` connected means DTLS is up too; ICE's own "connected" may
            // come before that, so only "completed" counts from the ICE side.
            TransportState::Connected if !from_pc => {}
            TransportState::Connected | TransportState::Completed => self.connected(),
            TransportState::Checking | TransportState::Connecting => {
                self.progress.checking = true;
                self.advance_setup("iceChecking");
            }
            TransportState::Disconnected => match self.state {
                ConnState::Connected => self.enter_reconnecting("iceDisconnected"),
                _ => self.ignore(
                    &Input::IceConnectionStateChanged { state },
                    "transient while not connected",
                ),
            },
            TransportState::Failed => match self.state {
                ConnState::Reconnecting => self.attempt_failed("ice failed again"),
                _ => self.enter_reconnecting("iceFailed"),
            },
            TransportState::Closed => {
                if from_pc {
                    self.close("closedByBrowser");
                }
            }
            TransportState::New => {}
        }
    }

    fn connected(&mut self) {
        if self.state == ConnState::Connected {
            return;
        }
        let reason = if self.state == ConnState::Reconnecting {
            "recovered"
        } else {
            "connected"
        };
        if self.recovery.in_episode() {
            self.recovery.recovered(self.now);
        }
        self.pending_attempt = None;
        self.cancel(TimerKind::RecoveryRetry);
        self.cancel(TimerKind::IceChecks);
        self.checks_ran_out = 0;
        self.cancel(TimerKind::SetupDeadline);
        self.progress.ever_connected = true;
        self.set_state(ConnState::Connected, reason);
    }

    fn timer_fired(&mut self, timer: TimerKind) {
        let Some(at_ms) = self.timers.remove(&timer) else {
            return self.ignore(&Input::TimerFired { timer }, "that timer is not armed");
        };
        // A timer fires at its time at the earliest, whatever the driver's clock read (a
        // browser's timer and its clock may disagree by a millisecond): an attempt's
        // budget timer must find its budget used up.
        self.now = self.now.max(at_ms);
        match timer {
            TimerKind::StateTimeout => match self.state {
                ConnState::Reconnecting => {
                    self.attempt_failed("attempt did not connect within its budget")
                }
                s => {
                    let reason = format!("{}Timeout", s.as_str());
                    self.enter_reconnecting(&reason);
                }
            },
            TimerKind::SetupDeadline => {
                if !self.progress.ever_connected {
                    self.fail("timeout");
                }
            }
            TimerKind::RecoveryRetry => {
                if let Some((level, attempt)) = self.pending_attempt.take() {
                    self.run_attempt(level, attempt);
                }
            }
            TimerKind::IceChecks => {
                if self.state == ConnState::Reconnecting && self.pending_attempt.is_none() {
                    self.checks_ran_out += 1;
                    self.recovery.waited();
                    self.attempt_failed("ICE checks did not connect after the offer and answer");
                }
            }
        }
    }

    /// An offer/answer exchange completed (either side's offer). While reconnecting, ICE
    /// now has `ice_checks_ms` to connect (doubled per miss in the episode, capped by the
    /// level's budget); the timer is not moved by later exchanges.
    /// Firefox, after answering an ICE restart, can stay `checking` while the other side
    /// keeps its old pair; what gets it out is a restart of its own (BROWSERS.md), which
    /// this makes come after 2 s instead of at the end of the attempt's 5 s budget.
    pub(super) fn exchange_completed(&mut self) {
        // Not `transport_up`: Firefox's connection can read `connected` from a rolled-back
        // offer while nothing passes, and a stall the browser never saw is no different.
        if self.state != ConnState::Reconnecting
            || self.pending_attempt.is_some()
            || self.timers.contains_key(&TimerKind::IceChecks)
        {
            return;
        }
        let Some(level) = self.recovery.level() else {
            return;
        };
        let r = &self.cfg.recovery;
        let grown = r
            .ice_checks_ms
            .saturating_mul(1 << self.checks_ran_out.min(16));
        self.schedule(TimerKind::IceChecks, grown.min(r.budget(level)));
    }

    // ---- recovery ----------------------------------------------------------------

    fn enter_reconnecting(&mut self, reason: &str) {
        if self.state.is_terminal() || self.state == ConnState::Reconnecting {
            return;
        }
        self.set_state(ConnState::Reconnecting, reason);
        let decision = self.recovery_fail();
        self.apply(decision);
    }

    fn attempt_failed(&mut self, why: &str) {
        if self.attempt_failed && why == "ice failed again" {
            return;
        }
        self.attempt_failed = true;
        let decision = self.recovery_fail();
        self.apply(decision);
    }

    fn apply(&mut self, decision: Decision) {
        if self.state.is_terminal() {
            return;
        }
        match decision {
            Decision::Attempt {
                level,
                attempt,
                delay_ms,
            } => {
                self.attempt_failed = false;
                self.cancel(TimerKind::IceChecks);
                let budget = self.cfg.recovery.budget(level);
                self.schedule(TimerKind::StateTimeout, delay_ms.saturating_add(budget));
                if delay_ms == 0 {
                    self.cancel(TimerKind::RecoveryRetry);
                    self.run_attempt(level, attempt);
                } else {
                    self.pending_attempt = Some((level, attempt));
                    self.schedule(TimerKind::RecoveryRetry, delay_ms);
                }
            }
            Decision::Paused => {
                self.pending_attempt = None;
                self.cancel(TimerKind::RecoveryRetry);
                self.cancel(TimerKind::IceChecks);
                self.cancel(TimerKind::StateTimeout);
            }
            Decision::GiveUp { reason } => self.fail(&format!("recoveryExhausted: {reason}")),
        }
    }

    fn run_attempt(&mut self, level: RecoveryLevel, attempt: u32) {
        if level != RecoveryLevel::IceRestart {
            self.out.push(Action::Escalate { level, attempt });
        }
        self.restart_ice();
    }

    fn fail(&mut self, reason: &str) {
        self.cancel_all_timers();
        self.recovery.cancel();
        self.ops.clear();
        self.pending_attempt = None;
        self.set_state(ConnState::Failed, reason);
    }

    fn close(&mut self, reason: &str) {
        self.cancel_all_timers();
        self.recovery.cancel();
        self.ops.clear();
        self.ops.in_flight = None;
        self.ops.candidate_in_flight = None;
        self.candidates.clear();
        self.outbox.clear();
        self.pending_attempt = None;
        self.set_state(ConnState::Closed, reason);
        self.out.push(Action::Close);
    }

    // ---- timers ------------------------------------------------------------------

    fn schedule(&mut self, timer: TimerKind, after_ms: u64) {
        self.cancel(timer);
        let at_ms = self.now.saturating_add(after_ms);
        self.timers.insert(timer, at_ms);
        self.out.push(Action::ScheduleTimer { timer, at_ms });
    }

    fn cancel(&mut self, timer: TimerKind) {
        if self.timers.remove(&timer).is_some() {
            self.out.push(Action::CancelTimer { timer });
        }
    }

    fn cancel_all_timers(&mut self) {
        let armed: Vec<TimerKind> = self.timers.keys().copied().collect();
        for timer in armed {
            self.cancel(timer);
        }
    }
}

/// A policy that remembers what its inner policy answered.
struct Recording<'a> {
    inner: &'a mut dyn DelayPolicy,
    answers: Vec<Option<u64>>,
}

impl DelayPolicy for Recording<'_> {
    fn next_delay(&mut self, ctx: &super::recovery::RetryContext) -> Option<u64> {
        let answer = self.inner.next_delay(ctx);
        self.answers.push(answer);
        answer
    }
}

#[cfg(test)]
#[path = "link_tests.rs"]
mod tests;
