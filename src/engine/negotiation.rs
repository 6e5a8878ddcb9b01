//! Perfect negotiation for one link, after the W3C pattern: either side may offer at any
//! time; when both do at once (glare) the impolite side ignores the remote offer and the
//! polite side rolls its own back, answers, then offers again. Requests to renegotiate
//! are coalesced into one offer, and there is never more than one offer in flight.

use super::link::PeerEngine;
use super::sdp::ice_ufrag;
use super::types::{Action, Input, Outgoing, PcOp, SdpKind, SignalingState};

impl PeerEngine {
    /// Starts an offer if one is wanted and nothing stands in the way.
    pub(super) fn try_offer(&mut self) {
        if self.neg.wanted && !self.cfg.can_offer {
            self.neg.wanted = false;
            self.neg.restart_wanted = false;
            return self.out.push(Action::Ignored {
                input: "negotiationNeeded".into(),
                reason: "this side may not offer (no publish grant); the remote side offers".into(),
            });
        }
        if !self.neg.wanted
            || self.neg.making_offer
            || self.neg.signaling != SignalingState::Stable
            || self.ops.has_negotiation_op()
        {
            return;
        }
        self.neg.wanted = false;
        let ice_restart = std::mem::take(&mut self.neg.restart_wanted);
        self.neg.making_offer = true;
        self.neg.last_offer_restart = ice_restart;
        self.ops.push(PcOp::CreateOffer { ice_restart });
        self.progress.negotiating = true;
        self.advance_setup("offer");
    }

    /// Asks for an offer with new ICE credentials.
    pub(super) fn restart_ice(&mut self) {
        if !self.cfg.can_offer {
            return; // The remote side restarts ICE; its offer is answered as usual.
        }
        self.neg.wanted = true;
        self.neg.restart_wanted = true;
        self.candidates.begin_restart();
        if self.neg.signaling != SignalingState::Stable && !self.ops.has_negotiation_op() {
            // An offer that was never answered, or a remote offer we could not answer:
            // back to stable first.
            self.neg.offer_outstanding = false;
            self.ops.push(PcOp::Rollback);
        }
    }

    pub(super) fn remote_description(&mut self, kind: SdpKind, sdp: String) {
        match kind {
            SdpKind::Offer => self.remote_offer(sdp),
            SdpKind::Answer => {
                if !self.neg.offer_outstanding {
                    return self.ignore(
                        &Input::RemoteDescription { kind, sdp },
                        "an answer without an outstanding offer (stale, or to a rolled-back offer)",
                    );
                }
                self.neg.offer_outstanding = false;
                self.ops.push(PcOp::SetRemoteDescription { kind, sdp });
            }
        }
    }

    fn remote_offer(&mut self, sdp: String) {
        // An offer with new ICE credentials restarts ICE for both sides: answering it
        // gives ours new ones too, so a restart we wanted (our own offer yielding to it
        // in glare, or one not yet made) is done by it, unless this side's own restart
        // must come last (`restart_again_after_yield`: Firefox). Restarting again from a
        // Chromium page made its Firefox peer answer the second restart and stay
        // `checking` (lab, Firefox blacked out: both sides' restarts crossing after the
        // network came back, round after round).
        let restart_done = !self.cfg.restart_again_after_yield
            && self.candidates.current().is_some()
            && ice_ufrag(&sdp).is_some_and(|u| Some(u.as_str()) != self.candidates.current());
        // An answer being applied brings us back to stable before this offer is handled
        // (the W3C pattern's isSettingRemoteAnswerPending).
        let answer_pending = self.ops.any(|op| {
            matches!(
                op,
                PcOp::SetRemoteDescription {
                    kind: SdpKind::Answer,
                    ..
                }
            )
        });
        let collision = self.neg.making_offer
            || (self.neg.signaling == SignalingState::HaveLocalOffer && !answer_pending);
        self.neg.ignore_offer = !self.cfg.polite && collision;
        if self.neg.ignore_offer {
            return self.ignore(
                &Input::RemoteDescription {
                    kind: SdpKind::Offer,
                    sdp,
                },
                "glare: the impolite side ignores the colliding offer",
            );
        }
        if collision {
            // Polite: our offer yields, and is made again once stable (without its ICE
            // restart when the remote offer's restart does for it: cleared below).
            self.neg.wanted = true;
            self.neg.restart_wanted |= self.neg.last_offer_restart;
            let queued = self
                .ops
                .remove_queued(|op| matches!(op, PcOp::CreateOffer { .. }))
                .is_some();
            if queued {
                self.neg.making_offer = false;
            } else {
                if self.neg.making_offer {
                    self.neg.abandon_offer = true;
                }
                self.neg.offer_outstanding = false;
                self.ops.push(PcOp::Rollback);
            }
        }
        if restart_done {
            self.neg.restart_wanted = false;
        }
        self.ops.push(PcOp::SetRemoteDescription {
            kind: SdpKind::Offer,
            sdp,
        });
        self.ops.push(PcOp::CreateAnswer);
        self.progress.negotiating = true;
        self.advance_setup("remoteOffer");
    }

    /// Takes the op in flight if `matches` accepts it; otherwise records why not.
    fn complete(&mut self, input: &Input, matches: impl Fn(&PcOp) -> bool) -> Option<PcOp> {
        match self.ops.in_flight.take() {
            Some(op) if matches(&op) => Some(op),
            other => {
                self.ops.in_flight = other;
                self.ignore(input, "it does not complete the operation in flight");
                None
            }
        }
    }

    pub(super) fn local_applied(&mut self, kind: SdpKind, sdp: String) {
        let input = Input::LocalDescriptionApplied { kind, sdp };
        let Some(_) = self.complete(&input, |op| match kind {
            SdpKind::Offer => matches!(op, PcOp::CreateOffer { .. }),
            SdpKind::Answer => matches!(op, PcOp::CreateAnswer),
        }) else {
            return;
        };
        let Input::LocalDescriptionApplied { sdp, .. } = input else {
            return;
        };
        match kind {
            SdpKind::Offer => {
                self.neg.making_offer = false;
                self.neg.signaling = SignalingState::HaveLocalOffer;
                if std::mem::take(&mut self.neg.abandon_offer) {
                    return self.out.push(Action::Ignored {
                        input: "localDescriptionApplied".into(),
                        reason: "our offer yielded to the remote one (polite side); rolling back"
                            .into(),
                    });
                }
                self.neg.offer_outstanding = true;
                self.offers_sent += 1;
                self.send(Outgoing::Description { kind, sdp });
            }
            SdpKind::Answer => {
                self.neg.signaling = SignalingState::Stable;
                self.answers_sent += 1;
                self.send(Outgoing::Description { kind, sdp });
                self.progress.exchanged = true;
                self.advance_setup("descriptionsExchanged");
                self.exchange_completed();
            }
        }
    }

    pub(super) fn remote_applied(&mut self) {
        let input = Input::RemoteDescriptionApplied;
        let Some(PcOp::SetRemoteDescription { kind, sdp }) =
            self.complete(&input, |op| matches!(op, PcOp::SetRemoteDescription { .. }))
        else {
            return;
        };
        match kind {
            SdpKind::Offer => self.neg.signaling = SignalingState::HaveRemoteOffer,
            SdpKind::Answer => {
                self.neg.signaling = SignalingState::Stable;
                self.progress.exchanged = true;
                self.exchange_completed();
            }
        }
        let (ready, dropped) = self.candidates.remote_applied(ice_ufrag(&sdp));
        for candidate in dropped {
            self.out.push(Action::Ignored {
                input: format!("remoteCandidate {}", candidate.candidate),
                reason: "candidate of a replaced ICE generation".into(),
            });
        }
        for candidate in ready {
            self.ops.push(PcOp::AddCandidate { candidate });
        }
        self.advance_setup("descriptionsExchanged");
    }

    pub(super) fn rolled_back(&mut self) {
        if self
            .complete(&Input::RolledBack, |op| *op == PcOp::Rollback)
            .is_some()
        {
            self.neg.signaling = SignalingState::Stable;
            self.neg.offer_outstanding = false;
        }
    }

    pub(super) fn candidate_added(&mut self) {
        if self.ops.candidate_in_flight.take().is_none() {
            return self.ignore(&Input::CandidateAdded, "no candidate is being added");
        }
        self.ops.retrying = false;
        self.progress.candidates_flowing = true;
        self.advance_setup("candidatesFlowing");
    }

    /// A failed candidate is tried once more, then dropped: one bad candidate must not
    /// fail the link (its other candidates may work).
    pub(super) fn candidate_failed(&mut self, error: String) {
        let Some(candidate) = self.ops.candidate_in_flight.take() else {
            return self.ignore(
                &Input::CandidateFailed { error },
                "no candidate is being added",
            );
        };
        if std::mem::take(&mut self.ops.retrying) {
            self.out.push(Action::Ignored {
                input: format!("remoteCandidate {}", candidate.candidate),
                reason: format!("addIceCandidate failed twice: {error}"),
            });
        } else {
            self.ops.retrying = true;
            self.ops.retry_candidate(candidate);
        }
    }

    pub(super) fn operation_failed(&mut self, error: String) {
        let Some(op) = self.ops.in_flight.take() else {
            return self.ignore(&Input::OperationFailed { error }, "no operation in flight");
        };
        match op {
            PcOp::CreateOffer { .. } => {
                self.neg.making_offer = false;
                self.neg.abandon_offer = false;
            }
            PcOp::SetRemoteDescription {
                kind: SdpKind::Offer,
                ..
            } => {
                // No answer to a description that was not applied.
                self.ops.remove_queued(|op| *op == PcOp::CreateAnswer);
            }
            PcOp::SetRemoteDescription {
                kind: SdpKind::Answer,
                ..
            } => {
                // Our offer stays unanswered; recovery rolls it back if need be.
            }
            // (A candidate never is this lane's op: see `ops`.)
            PcOp::CreateAnswer | PcOp::Rollback | PcOp::AddCandidate { .. } => {}
        }
        self.out.push(Action::Error {
            op: op.name().into(),
            message: error,
        });
    }
}
