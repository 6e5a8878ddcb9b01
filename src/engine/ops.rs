//! The queue of browser operations on one peer connection: exactly one in flight, the
//! rest in order. Serialising them is what makes "never two offers in flight" and "no
//! candidate before its description" hold by construction.

use super::types::PcOp;
use std::collections::VecDeque;

#[derive(Debug, Default, Clone, PartialEq)]
pub struct OpQueue {
    pub in_flight: Option<PcOp>,
    queue: VecDeque<PcOp>,
    /// The candidate in flight is already a retry.
    pub retrying: bool,
}

impl OpQueue {
    pub fn push(&mut self, op: PcOp) {
        self.queue.push_back(op);
    }

    pub fn push_front(&mut self, op: PcOp) {
        self.queue.push_front(op);
    }

    pub fn pop(&mut self) -> Option<PcOp> {
        self.queue.pop_front()
    }

    pub fn len(&self) -> usize {
        self.queue.len() + usize::from(self.in_flight.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether an offer/answer step (not a candidate) is queued or in flight.
    pub fn has_negotiation_op(&self) -> bool {
        self.in_flight
            .iter()
            .chain(self.queue.iter())
            .any(|op| !matches!(op, PcOp::AddCandidate { .. }))
    }

    /// Whether an op queued or in flight matches `pred`.
    pub fn any(&self, pred: impl Fn(&PcOp) -> bool) -> bool {
        self.in_flight.iter().chain(self.queue.iter()).any(pred)
    }

    /// Removes the first queued (not in-flight) op matching `pred`; returns it.
    pub fn remove_queued(&mut self, pred: impl Fn(&PcOp) -> bool) -> Option<PcOp> {
        let i = self.queue.iter().position(pred)?;
        self.queue.remove(i)
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }
}
