//! The match-queue side of the shared state: `queueJoin`, `queueNext`, `queueLeave`.
//!
//! This part decides what a pairing does: both partners enter a fresh private room
//! `match-<random>` of two, the earlier-queued one impolite, the later one polite, and
//! each gets `matched`. It never pairs by itself: [`crate::matching`] picks the pair.

use std::time::Instant;

use rand::distr::{Alphanumeric, SampleString};
use steadyrtc_protocol::{ErrorCode, LeaveReason, MatchPrefs, PeerInfo, ServerMessage};

use super::{AppState, Attached, Delivery, Hub, PeerLink};
use crate::matching::Waiting;
use crate::rooms::{Member, Refusal};
use crate::store::RoomMode;

impl AppState {
    /// `queueJoin`: opens a session in the match queue of the token's room, answers
    /// `welcome` (room = the queue, no peers) and then `queued` or `matched`.
    pub async fn queue_join(
        &self,
        link: PeerLink,
        protocol_version: u32,
        name: &str,
        token: &str,
        prefs: MatchPrefs,
    ) -> Result<Attached, Refusal> {
        let claims = self
            .keys
            .verify(token)
            .map_err(|e| Refusal::new(e.code, e.message))?;
        let claims = self.admit(protocol_version, &claims.room, Some(token))?;
        let lobby = claims.room.clone();
        let spec = self
            .store
            .room(&lobby)
            .await
            .map_err(|e| super::store_refusal(&e))?;
        match spec {
            Some(spec) if spec.mode != RoomMode::Match => {
                return Err(Refusal::new(
                    ErrorCode::WrongMode,
                    format!("room {lobby:?} is not a match room: send join"),
                ))
            }
            None if !self.config.auto_create_rooms => {
                return Err(Refusal::new(
                    ErrorCode::RoomNotFound,
                    format!("match room {lobby:?} does not exist"),
                ))
            }
            _ => {}
        }
        let name = claims.name.clone().unwrap_or_else(|| name.to_owned());
        steadyrtc_protocol::validate_name(&name).map_err(|e| Refusal::new(e.code, e.message))?;
        if prefs.tags.len() > 16
            || prefs
                .tags
                .iter()
                .chain(prefs.language.iter())
                .any(|t| t.is_empty() || t.len() > 32)
        {
            return Err(Refusal::new(
                ErrorCode::InvalidMessage,
                "prefs: at most 16 tags, each (and language) 1 to 32 characters",
            ));
        }
        let mut hub = self.hub();
        let peer_id = loop {
            let id = super::random_peer_id();
            if !hub.sessions.contains_key(&id) {
                break id;
            }
        };
        let (session, epoch) = self.new_session(&claims, name, link, Some(lobby.clone()), prefs);
        let welcome = self.welcome(&session, &peer_id, &lobby, Vec::new());
        hub.by_session_id
            .insert(session.session_id.clone(), peer_id.clone());
        if let Some(cluster) = &self.cluster {
            cluster.session_opened(&session.session_id);
        }
        hub.sessions.insert(peer_id.clone(), session);
        self.deliver(&mut hub, vec![Delivery::new(&peer_id, welcome)]);
        self.enqueue(&mut hub, &peer_id);
        Ok(Attached { peer_id, epoch })
    }

    /// `queueNext`: leaves the current match (the partner hears `left`) and queues again,
    /// never to be paired with that partner right away.
    pub fn queue_next(&self, peer: &str) -> Result<(), Refusal> {
        let mut hub = self.hub();
        self.leave_match(&mut hub, peer)?;
        self.enqueue(&mut hub, peer);
        Ok(())
    }

    /// `queueLeave`: leaves the queue and any current match; the session stays open.
    pub fn queue_leave(&self, peer: &str) -> Result<(), Refusal> {
        let mut hub = self.hub();
        self.leave_match(&mut hub, peer)
    }

    fn leave_match(&self, hub: &mut Hub, peer: &str) -> Result<(), Refusal> {
        let Some(lobby) = hub.sessions.get(peer).and_then(|s| s.lobby.clone()) else {
            return Err(Refusal::new(
                ErrorCode::NotQueued,
                "this session is not in a match queue",
            ));
        };
        let before = Self::waiting(hub, &lobby);
        if let Some(queue) = hub.queues.get_mut(&lobby) {
            queue.remove(peer);
        }
        self.announce_positions(hub, &lobby, &before);
        let (deliveries, _) = hub.rooms.leave(peer, LeaveReason::Left);
        self.deliver(hub, deliveries);
        Ok(())
    }

    fn enqueue(&self, hub: &mut Hub, peer: &str) {
        let Some(session) = hub.sessions.get(peer) else {
            return;
        };
        let Some(lobby) = session.lobby.clone() else {
            return;
        };
        let waiting = Waiting {
            peer: peer.to_owned(),
            identity: session.identity.clone(),
            prefs: session.prefs.clone(),
            avoid: session.last_partner.clone(),
        };
        let before = Self::waiting(hub, &lobby);
        let paired = hub
            .queues
            .entry(lobby.clone())
            .or_default()
            .enqueue(waiting);
        if let Some((earlier, later)) = paired {
            self.pair(hub, &earlier, &later);
        }
        self.announce_positions(hub, &lobby, &before);
    }

    /// The peers waiting in `lobby`'s queue, earliest first.
    pub(super) fn waiting(hub: &Hub, lobby: &str) -> Vec<String> {
        hub.queues
            .get(lobby)
            .map(|q| q.entries().into_iter().map(|w| w.peer).collect())
            .unwrap_or_default()
    }

    /// Sends `queued` with its position to every peer waiting in `lobby` whose place
    /// differs from the one it had in `before` (a newcomer has none).
    pub(super) fn announce_positions(&self, hub: &mut Hub, lobby: &str, before: &[String]) {
        let now = Self::waiting(hub, lobby);
        let moved: Vec<Delivery> = now
            .iter()
            .enumerate()
            .filter(|(i, id)| before.get(*i) != Some(*id))
            .map(|(i, id)| {
                let position = u32::try_from(i + 1).unwrap_or(u32::MAX);
                Delivery::new(id, ServerMessage::Queued { position })
            })
            .collect();
        self.deliver(hub, moved);
    }

    fn pair(&self, hub: &mut Hub, earlier: &Waiting, later: &Waiting) {
        let room = format!("match-{}", Alphanumeric.sample_string(&mut rand::rng(), 16));
        let member = |hub: &Hub, w: &Waiting| {
            hub.sessions.get(&w.peer).map(|s| Member {
                id: w.peer.clone(),
                name: s.name.clone(),
                role: s.role,
                grants: s.grants,
            })
        };
        let (Some(first), Some(second)) = (member(hub, earlier), member(hub, later)) else {
            return;
        };
        let info = |m: &Member, polite| PeerInfo {
            id: m.id.clone(),
            name: m.name.clone(),
            role: m.role,
            polite,
        };
        if hub
            .rooms
            .join(&room, RoomMode::Match, 2, first.clone())
            .is_err()
            || hub
                .rooms
                .join(&room, RoomMode::Match, 2, second.clone())
                .is_err()
        {
            return;
        }
        for (me, partner) in [(earlier, later), (later, earlier)] {
            if let Some(s) = hub.sessions.get_mut(&me.peer) {
                s.last_partner = Some(partner.identity.clone());
                s.last_seen = Instant::now();
            }
        }
        self.metrics.matches_total.inc();
        tracing::info!(room, a = %first.id, b = %second.id, "matched");
        self.deliver(
            hub,
            vec![
                Delivery::new(
                    &first.id,
                    ServerMessage::Matched {
                        room: room.clone(),
                        peer: info(&second, false),
                        polite: false,
                    },
                ),
                Delivery::new(
                    &second.id,
                    ServerMessage::Matched {
                        room,
                        peer: info(&first, true),
                        polite: true,
                    },
                ),
            ],
        );
    }
}
