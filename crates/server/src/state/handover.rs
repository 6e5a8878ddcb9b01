//! Handing rooms over between instances (cluster drain): what a room, its sessions and
//! its match queue look like in transit ([`GroupSnapshot`]), taking them out of this
//! instance, and taking them in on another.
//!
//! This part decides what survives a move: every session with its id, peer id, identity,
//! grants, sequence number and unacknowledged outbox, so that `resume` on the new
//! instance replays exactly what the client missed and nobody sees anyone leave; the
//! rooms with their members in join order (politeness follows from it); the match queue
//! in its order. A moved session arrives detached, with a fresh resume window. A
//! group is a room, or a match queue with the rooms of its pairs.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use steadyrtc_protocol::{Grants, MatchPrefs, PeerId, Role};

use super::{AppState, PeerLink, PeerReport, Session};
use crate::matching::Waiting;
use crate::rooms::Room;

/// One room (or match queue with its pairs' rooms) in transit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSnapshot {
    /// The room or match queue whose owner key moves with it.
    pub name: String,
    pub rooms: Vec<(String, Room)>,
    pub sessions: Vec<SessionSnapshot>,
    pub queue: Vec<Waiting>,
}

/// One session in transit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSnapshot {
    pub peer_id: PeerId,
    pub session_id: String,
    pub identity: String,
    pub name: String,
    pub role: Role,
    pub grants: Grants,
    pub lobby: Option<String>,
    pub prefs: MatchPrefs,
    pub last_partner: Option<String>,
    pub last_seq: u64,
    pub outbox: Vec<(u64, String)>,
    pub age_ms: u64,
    pub reports: Vec<(PeerId, Option<String>, Option<u8>)>,
    pub candidates_relayed: u64,
}

impl AppState {
    /// Takes every room, session and match queue out of this instance, grouped by the
    /// room or queue that owns them. Returns the groups and the links the sessions had
    /// (to be closed once another instance holds the sessions). Session keys are left
    /// in place: the adopting instance overwrites them.
    pub fn take_groups(&self) -> (Vec<GroupSnapshot>, Vec<PeerLink>) {
        let mut hub = self.hub();
        let hub = &mut *hub;
        let mut groups: BTreeMap<String, GroupSnapshot> = BTreeMap::new();
        let group_of = |name: &str, groups: &mut BTreeMap<String, GroupSnapshot>| {
            groups
                .entry(name.to_owned())
                .or_insert_with(|| GroupSnapshot {
                    name: name.to_owned(),
                    rooms: Vec::new(),
                    sessions: Vec::new(),
                    queue: Vec::new(),
                })
                .name
                .clone()
        };
        for room in hub.rooms.names() {
            let Some(r) = hub.rooms.room(&room).cloned() else {
                continue;
            };
            // A match room travels with its queue: its members came from there.
            let lobby = r
                .members
                .iter()
                .find_map(|m| hub.sessions.get(&m.id).and_then(|s| s.lobby.clone()));
            let name = group_of(lobby.as_deref().unwrap_or(&room), &mut groups);
            hub.rooms.remove_room(&room);
            if let Some(g) = groups.get_mut(&name) {
                g.rooms.push((room, r));
            }
        }
        for (lobby, queue) in hub.queues.drain() {
            let name = group_of(&lobby, &mut groups);
            if let Some(g) = groups.get_mut(&name) {
                g.queue = queue.entries();
            }
        }
        let mut links = Vec::new();
        let mut by_peer_group: HashMap<PeerId, String> = HashMap::new();
        for g in groups.values() {
            for (_, r) in &g.rooms {
                for m in &r.members {
                    by_peer_group.insert(m.id.clone(), g.name.clone());
                }
            }
        }
        for (peer_id, session) in hub.sessions.drain() {
            let name = match by_peer_group.get(&peer_id) {
                Some(name) => name.clone(),
                None => match &session.lobby {
                    Some(lobby) => group_of(lobby, &mut groups),
                    None => continue, // in no room and no queue: nothing to resume into
                },
            };
            if let Some(link) = &session.link {
                links.push(link.clone());
            }
            if let Some(g) = groups.get_mut(&name) {
                g.sessions.push(SessionSnapshot {
                    peer_id,
                    session_id: session.session_id.clone(),
                    identity: session.identity.clone(),
                    name: session.name.clone(),
                    role: session.role,
                    grants: session.grants,
                    lobby: session.lobby.clone(),
                    prefs: session.prefs.clone(),
                    last_partner: session.last_partner.clone(),
                    last_seq: session.last_seq,
                    outbox: session
                        .outbox
                        .iter()
                        .map(|(seq, text)| (*seq, text.as_str().to_owned()))
                        .collect(),
                    age_ms: session.started.elapsed().as_millis() as u64,
                    reports: session
                        .reports
                        .iter()
                        .map(|(k, r)| (k.clone(), r.connection_state.clone(), r.quality))
                        .collect(),
                    candidates_relayed: session.candidates_relayed,
                });
            }
        }
        hub.by_session_id.clear();
        hub.empty_since.clear();
        (groups.into_values().collect(), links)
    }

    /// Takes in a group handed over by another instance: its rooms, its queue and its
    /// sessions, each detached with a fresh resume window. Returns the session ids.
    pub fn adopt(self: &Arc<Self>, group: GroupSnapshot) -> Vec<String> {
        let now = Instant::now();
        let mut waiting = Vec::new();
        let mut ids = Vec::new();
        {
            let mut hub = self.hub();
            for (name, room) in group.rooms {
                hub.rooms.restore(&name, room);
            }
            if !group.queue.is_empty() {
                hub.queues
                    .entry(group.name.clone())
                    .or_default()
                    .restore(group.queue);
            }
            for s in group.sessions {
                let epoch = self.next_epoch();
                let outbox: VecDeque<_> = s
                    .outbox
                    .into_iter()
                    .map(|(seq, text)| (seq, text.into()))
                    .collect();
                let outbox_bytes = outbox
                    .iter()
                    .map(|(_, t): &(u64, axum::extract::ws::Utf8Bytes)| t.len())
                    .sum();
                let reports = s
                    .reports
                    .into_iter()
                    .map(|(k, connection_state, quality)| {
                        (
                            k,
                            PeerReport {
                                connection_state,
                                quality,
                            },
                        )
                    })
                    .collect();
                hub.by_session_id
                    .insert(s.session_id.clone(), s.peer_id.clone());
                ids.push(s.session_id.clone());
                waiting.push((s.peer_id.clone(), epoch));
                let started = now
                    .checked_sub(Duration::from_millis(s.age_ms))
                    .unwrap_or(now);
                hub.sessions.insert(
                    s.peer_id,
                    Session {
                        session_id: s.session_id,
                        identity: s.identity,
                        name: s.name,
                        role: s.role,
                        grants: s.grants,
                        lobby: s.lobby,
                        prefs: s.prefs,
                        last_partner: s.last_partner,
                        link: None,
                        epoch,
                        last_seq: s.last_seq,
                        outbox,
                        outbox_bytes,
                        started,
                        last_seen: now,
                        reports,
                        candidates_relayed: s.candidates_relayed,
                    },
                );
            }
        }
        let window = self.config.resume_window();
        for (peer, epoch) in waiting {
            let state = Arc::clone(self);
            tokio::spawn(async move {
                tokio::time::sleep(window).await;
                state.expire(&peer, epoch);
            });
        }
        ids
    }
}
