//! The random match: a room opened with `queueJoin` waits in the server's queue, meets one
//! partner at a time, and goes back to the queue when either side moves on.
//!
//! This part decides what the app hears while waiting (`queued` with the position and the
//! time waited so far, when the server moves it and once a second), that a `matched`
//! partner is a peer like any other (`peerJoined`, the link, with the polite side offering
//! as a later joiner does), and that a match ended by the partner sends this participant
//! back to the queue by itself. `next()` ends the match from this side.

use super::{trace, RoomAction, RoomEngine, RoomEvent, RoomTimer};
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::{ClientMessage, LeaveReason, PeerInfo};

/// How often `queued` repeats while waiting, for a clock on the waiting screen.
pub const QUEUE_TICK_MS: u64 = 1_000;

/// Waiting in the queue since `since`, at `position` (0: the server did not say).
#[derive(Debug, Clone, Copy)]
pub(super) struct Wait {
    since: u64,
    position: u32,
}

impl RoomEngine {
    /// Whether this room was opened in a match queue.
    pub fn is_match(&self) -> bool {
        self.cfg.match_prefs.is_some()
    }

    /// Ends the current match (the partner hears `peerLeft`) and queues again; without a
    /// partner, queues again at the end of the line. Errors: `roomClosed`, `notConnected`,
    /// `invalidArgument` for a room not opened in a match queue.
    pub fn match_next(&mut self, now_ms: u64) -> Result<Vec<RoomAction>, SteadyError> {
        self.trace.record(now_ms, trace::RoomStep::MatchNext);
        self.now = self.now.max(now_ms);
        self.require_signaling("moving on needs the server")?;
        if !self.is_match() {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                "next() is for a match (Match.start), not a room joined by name",
            ));
        }
        let partners: Vec<String> = self.peers.keys().cloned().collect();
        for id in partners {
            self.remove_peer(&id, LeaveReason::Left);
        }
        self.out.push(RoomAction::Send {
            message: ClientMessage::QueueNext {},
        });
        Ok(std::mem::take(&mut self.out))
    }

    /// `queued`: the first one of a wait starts its clock.
    pub(super) fn queued(&mut self, position: u32) {
        let now = self.now;
        let wait = self.queue.get_or_insert(Wait {
            since: now,
            position,
        });
        wait.position = position;
        if !self.timers.contains_key(&RoomTimer::QueueTick) {
            self.schedule(RoomTimer::QueueTick, QUEUE_TICK_MS);
        }
        self.tell_wait();
    }

    /// The queue clock ticked: the app hears how long it has waited.
    pub(super) fn queue_tick(&mut self) {
        if self.queue.is_some() {
            self.schedule(RoomTimer::QueueTick, QUEUE_TICK_MS);
            self.tell_wait();
        }
    }

    fn tell_wait(&mut self) {
        if let Some(wait) = self.queue {
            self.emit(RoomEvent::Queued {
                position: wait.position,
                waited_ms: self.now.saturating_sub(wait.since),
            });
        }
    }

    /// `matched`: the wait is over; the partner joins like any peer. We offer when we are
    /// the polite side (the later of the two in the queue), as a later joiner does.
    pub(super) fn matched(&mut self, room: String, mut peer: PeerInfo, polite: bool) {
        if peer.id == self.me.peer_id || self.peers.contains_key(&peer.id) {
            return self.ignored("matched", "that partner is known already");
        }
        let waited_ms = self
            .queue
            .take()
            .map_or(0, |w| self.now.saturating_sub(w.since));
        self.cancel(RoomTimer::QueueTick);
        peer.polite = polite;
        let view = super::view(&peer);
        self.emit(RoomEvent::Matched {
            room,
            peer: view.clone(),
            waited_ms,
        });
        let initiator = polite && self.me.can_publish;
        self.add_peer(peer, initiator);
        self.emit(RoomEvent::PeerJoined {
            id: view.id,
            name: view.name,
            role: view.role,
        });
    }

    /// The partner left (or the server dropped it): back to the queue.
    pub(super) fn partner_gone(&mut self) {
        if self.is_match() && self.peers.is_empty() && self.queue.is_none() {
            self.out.push(RoomAction::Send {
                message: ClientMessage::QueueNext {},
            });
        }
    }

    /// A new session (rejoin) queues afresh: the clock starts again with its `queued`.
    pub(super) fn forget_wait(&mut self) {
        self.queue = None;
        self.cancel(RoomTimer::QueueTick);
    }
}
