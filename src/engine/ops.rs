//! The queues of browser operations on one peer connection, in two lanes:
//! - negotiation (offers, answers, remote descriptions, rollbacks): exactly one in flight,
//!   the rest in order, which is what makes "never two offers in flight" hold by
//!   construction;
//! - remote candidates: one in flight, in arrival order, beside the negotiation lane. A
//!   candidate joins this lane only once the description of its ICE generation is
//!   applied, so it never waits behind an unrelated `createOffer` or `createAnswer`. It
//!   still waits while a remote description is being applied (that may replace its
//!   generation).

use super::candidates::Candidate;
use super::types::PcOp;
use std::collections::VecDeque;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct OpQueue {
    /// The negotiation op in flight.
    pub in_flight: Option<PcOp>,
    queue: VecDeque<PcOp>,
    /// The candidate being added.
    pub candidate_in_flight: Option<Candidate>,
    candidates: VecDeque<Candidate>,
    /// The candidate in flight is already a retry.
    pub retrying: bool,
}

impl OpQueue {
    /// Queues `op` at the back of its lane.
    pub fn push(&mut self, op: PcOp) {
        match op {
            PcOp::AddCandidate { candidate } => self.candidates.push_back(candidate),
            op => self.queue.push_back(op),
        }
    }

    /// Queues a candidate at the front of its lane (a retry).
    pub fn retry_candidate(&mut self, candidate: Candidate) {
        self.candidates.push_front(candidate);
    }

    /// The next negotiation op.
    pub fn pop(&mut self) -> Option<PcOp> {
        self.queue.pop_front()
    }

    /// The next candidate, unless a remote description is being applied.
    pub fn pop_candidate(&mut self) -> Option<Candidate> {
        let describing = matches!(self.in_flight, Some(PcOp::SetRemoteDescription { .. }));
        if describing {
            return None;
        }
        self.candidates.pop_front()
    }

    pub fn len(&self) -> usize {
        self.queue.len()
            + self.candidates.len()
            + usize::from(self.in_flight.is_some())
            + usize::from(self.candidate_in_flight.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether an offer/answer step (not a candidate) is queued or in flight.
    pub fn has_negotiation_op(&self) -> bool {
        self.in_flight.is_some() || !self.queue.is_empty()
    }

    /// Whether a negotiation op queued or in flight matches `pred`.
    pub fn any(&self, pred: impl Fn(&PcOp) -> bool) -> bool {
        self.in_flight.iter().chain(self.queue.iter()).any(pred)
    }

    /// Removes the first queued (not in-flight) negotiation op matching `pred`.
    pub fn remove_queued(&mut self, pred: impl Fn(&PcOp) -> bool) -> Option<PcOp> {
        let i = self.queue.iter().position(pred)?;
        self.queue.remove(i)
    }

    /// Drops everything queued (what is in flight completes, or is dropped by the owner).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.candidates.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::types::SdpKind;

    fn candidate(n: u32) -> Candidate {
        Candidate {
            candidate: format!("candidate:{n} 1 udp {n} 192.0.2.1 5000 typ host"),
            sdp_mid: Some("0".into()),
            sdp_m_line_index: Some(0),
            username_fragment: None,
        }
    }

    #[test]
    fn a_candidate_does_not_wait_behind_an_answer_being_made() {
        let mut q = OpQueue::default();
        q.push(PcOp::CreateAnswer);
        q.push(PcOp::AddCandidate {
            candidate: candidate(1),
        });
        q.in_flight = q.pop();
        assert_eq!(q.pop_candidate(), Some(candidate(1)));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn a_candidate_waits_while_a_remote_description_is_applied() {
        let mut q = OpQueue::default();
        q.push(PcOp::SetRemoteDescription {
            kind: SdpKind::Offer,
            sdp: "v=0".into(),
        });
        q.push(PcOp::AddCandidate {
            candidate: candidate(1),
        });
        q.in_flight = q.pop();
        assert_eq!(q.pop_candidate(), None);
        q.in_flight = None;
        assert_eq!(q.pop_candidate(), Some(candidate(1)));
    }

    #[test]
    fn candidates_keep_their_order_and_a_retry_goes_first() {
        let mut q = OpQueue::default();
        for n in 1..=3 {
            q.push(PcOp::AddCandidate {
                candidate: candidate(n),
            });
        }
        let first = q.pop_candidate().expect("queued");
        q.retry_candidate(first.clone());
        let order: Vec<Candidate> = std::iter::from_fn(|| q.pop_candidate()).collect();
        assert_eq!(order, [candidate(1), candidate(2), candidate(3)]);
        assert!(!q.has_negotiation_op());
    }
}
