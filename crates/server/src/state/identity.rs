//! One identity, one session per room: a newer `join` of the same identity (the token's
//! `sub`) replaces the sessions it already has in that room (`--one-session-per-identity`).
//!
//! This part decides how the replaced session ends: its connection hears `error
//! duplicateIdentity` and is closed with 1008 "session replaced" (so a client does not
//! reconnect and take the seat back); the others see it leave (`disconnected`) before
//! they see the newcomer join. The new session is an ordinary new session (new peer id):
//! its client has fresh peer connections, so the others must negotiate anew anyway.

use steadyrtc_protocol::{ErrorCode, LeaveReason, PeerId, ServerMessage};

use super::{AppState, Delivery, Hub, Outgoing};

impl AppState {
    /// Ends every session of `identity` in `room` (a newer `join` replaces them): each
    /// connection gets `error duplicateIdentity` and is closed with 1008 "session
    /// replaced"; returns the `peerLeft` (`disconnected`) deliveries for the others.
    pub(super) fn replace_identity(
        &self,
        hub: &mut Hub,
        room: &str,
        identity: &str,
    ) -> Vec<Delivery> {
        let old: Vec<PeerId> = hub
            .rooms
            .members(room)
            .iter()
            .filter(|m| {
                hub.sessions
                    .get(&m.id)
                    .is_some_and(|s| s.identity == identity)
            })
            .map(|m| m.id.clone())
            .collect();
        let mut deliveries = Vec::new();
        for peer in old {
            tracing::info!(peer = %peer, room, identity, "replaced by a newer join of the same identity");
            let link = hub.sessions.get_mut(&peer).and_then(|s| s.link.take());
            if let Some(link) = link {
                self.metrics.error(ErrorCode::DuplicateIdentity);
                let notice = ServerMessage::error(
                    ErrorCode::DuplicateIdentity,
                    "a newer join with your identity replaced this session: do not reconnect",
                );
                let told = link
                    .tx
                    .try_send(Outgoing::Text(notice.to_json().into()))
                    .is_ok()
                    && link
                        .tx
                        .try_send(Outgoing::Close(1008, "session replaced"))
                        .is_ok();
                if !told {
                    link.stop.cancel();
                }
            }
            deliveries.extend(self.end_session(hub, &peer, LeaveReason::Disconnected));
        }
        deliveries
    }
}
