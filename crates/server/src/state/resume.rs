//! The resume side of the shared state: acknowledgements, liveness, a connection
//! dropping (`detach`), the resume window running out (`expire`), and `resume`.
//!
//! This part decides that a resumed session gets exactly the messages after `lastSeq`,
//! in order, before anything new, and that only the newest connection of a session
//! counts (each attach has an epoch; stale detaches and expiries do nothing).

use std::time::Instant;

use steadyrtc_protocol::{ErrorCode, LeaveReason, ServerMessage, PROTOCOL_VERSION};

use super::{AppState, Attached, Outgoing, PeerLink};
use crate::rooms::Refusal;

impl AppState {
    /// `resume`: attaches `link` to the session, answers `resumed` and sends again every
    /// message after `last_seq`, in order. Any older connection of the session is stopped.
    pub fn resume(
        &self,
        link: PeerLink,
        protocol_version: u32,
        session_id: &str,
        last_seq: u64,
    ) -> Result<Attached, Refusal> {
        if protocol_version != PROTOCOL_VERSION {
            return Err(Refusal::new(
                ErrorCode::UnsupportedVersion,
                format!("protocol version {protocol_version} is not supported"),
            ));
        }
        let epoch = self.next_epoch();
        let mut hub = self.hub();
        let hub = &mut *hub;
        let found = hub.by_session_id.get(session_id).cloned();
        let Some((peer_id, session)) =
            found.and_then(|id| hub.sessions.get_mut(&id).map(|s| (id, s)))
        else {
            self.metrics.resumes_failed.inc();
            return Err(Refusal::new(
                ErrorCode::UnknownSession,
                "no such session (it may have timed out): join again",
            ));
        };
        if let Some(old) = session.link.take() {
            // The old connection closes normally once what is queued for it is written.
            if old
                .tx
                .try_send(Outgoing::Close(
                    1000,
                    "session resumed on another connection",
                ))
                .is_err()
            {
                old.stop.cancel();
            }
        }
        session.forget_through(last_seq);
        let room = hub
            .rooms
            .room_of(&peer_id)
            .or(session.lobby.as_deref())
            .unwrap_or_default()
            .to_owned();
        let resumed = ServerMessage::Resumed {
            session_id: session_id.to_owned(),
            peer_id: peer_id.clone(),
            room,
        };
        let mut ok = link
            .tx
            .try_send(Outgoing::Text(resumed.to_json().into()))
            .is_ok();
        for (_, text) in &session.outbox {
            ok = ok && link.tx.try_send(Outgoing::Text(text.clone())).is_ok();
        }
        if !ok {
            self.metrics.resumes_failed.inc();
            return Err(Refusal::new(
                ErrorCode::Internal,
                "cannot replay the missed messages on this connection",
            ));
        }
        session.link = Some(link);
        session.epoch = epoch;
        session.last_seen = Instant::now();
        self.metrics.resumes_ok.inc();
        tracing::info!(peer = %peer_id, replayed = session.outbox.len(), "resumed");
        Ok(Attached { peer_id, epoch })
    }

    /// `ack`: forgets the session's messages up to `seq`.
    pub fn ack(&self, peer: &str, seq: u64) {
        let mut hub = self.hub();
        if let Some(session) = hub.sessions.get_mut(peer) {
            session.forget_through(seq);
            session.last_seen = Instant::now();
        }
    }

    /// Notes that the session's connection is alive (a `pong`).
    pub fn touch(&self, peer: &str) {
        if let Some(session) = self.hub().sessions.get_mut(peer) {
            session.last_seen = Instant::now();
        }
    }

    /// The connection of epoch `epoch` ended without `leave`. Returns true when the
    /// session now waits for `resume` (the caller arranges [`AppState::expire`]).
    pub fn detach(&self, peer: &str, epoch: u64) -> bool {
        let mut hub = self.hub();
        let Some(session) = hub.sessions.get_mut(peer) else {
            return false;
        };
        if session.epoch != epoch {
            return false; // a newer connection resumed the session
        }
        session.link = None;
        // A single server that shuts down ends its sessions; an instance of a cluster
        // keeps them to hand them over to the others.
        let keep = !self.shutdown.is_cancelled() || self.cluster.is_some();
        if self.config.resume_window_ms > 0 && keep {
            tracing::info!(peer, "connection dropped; waiting for resume");
            return true;
        }
        let deliveries = self.end_session(&mut hub, peer, LeaveReason::Disconnected);
        self.deliver(&mut hub, deliveries);
        false
    }

    /// The resume window of the detachment of epoch `epoch` has passed: if nobody
    /// resumed, the session ends and the others hear `timeout`.
    pub fn expire(&self, peer: &str, epoch: u64) {
        let mut hub = self.hub();
        let waiting = hub
            .sessions
            .get(peer)
            .is_some_and(|s| s.epoch == epoch && s.link.is_none());
        if waiting {
            tracing::info!(peer, "resume window passed");
            let deliveries = self.end_session(&mut hub, peer, LeaveReason::Timeout);
            self.deliver(&mut hub, deliveries);
        }
    }
}
