//! The state every connection shares ([`AppState`]) and the delivery of what
//! [`crate::rooms`] decides to each peer's outgoing queue.
//!
//! This module decides what happens to a peer that cannot keep up: its queue is bounded,
//! and a peer whose queue is full (or whose connection is already gone) is dropped from
//! its room and its connection is told to stop, instead of the server buffering without
//! bound. It never awaits while holding its lock: delivery is `try_send` only.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use rand::distr::{Alphanumeric, SampleString};
use serde_json::Value;
use steadyrtc_protocol::{LeaveReason, PeerId, ServerMessage};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::rooms::{Delivery, Refusal, Rooms};

/// Length of a peer id: 16 characters of `[A-Za-z0-9]`, about 95 bits of randomness.
pub const PEER_ID_LEN: usize = 16;

/// A fresh, unguessable peer id.
pub fn random_peer_id() -> PeerId {
    Alphanumeric.sample_string(&mut rand::rng(), PEER_ID_LEN)
}

/// How the server reaches one connection: its outgoing queue, and the token that tells
/// the connection to close.
#[derive(Debug, Clone)]
pub struct PeerLink {
    pub tx: mpsc::Sender<ServerMessage>,
    pub stop: CancellationToken,
}

/// Counts for `/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub rooms: usize,
    pub peers: usize,
}

/// Everything the handlers share, behind one `Arc`.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    /// Cancelled when the server shuts down; each connection's stop token is a child.
    pub shutdown: CancellationToken,
    /// Tracks the connection tasks so shutdown can wait for them to say goodbye.
    pub connections: TaskTracker,
    hub: Mutex<Hub>,
}

#[derive(Debug)]
struct Hub {
    rooms: Rooms,
    links: HashMap<PeerId, PeerLink>,
}

impl AppState {
    pub fn new(config: Config) -> Self {
        let rooms = Rooms::new(config.max_peers_per_room as usize);
        Self {
            config,
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
            hub: Mutex::new(Hub {
                rooms,
                links: HashMap::new(),
            }),
        }
    }

    fn hub(&self) -> MutexGuard<'_, Hub> {
        // A panic elsewhere while holding the lock leaves the maps consistent enough
        // (every mutation is a single insert/remove); keep serving.
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Current number of rooms and joined peers.
    pub fn stats(&self) -> Stats {
        let hub = self.hub();
        Stats {
            rooms: hub.rooms.room_count(),
            peers: hub.rooms.peer_count(),
        }
    }

    /// Joins a room; on success the joiner's `welcome` and the others' `peerJoined` are
    /// already queued, and `link` is how the room reaches this peer from now on.
    pub fn join(
        &self,
        link: PeerLink,
        protocol_version: u32,
        room: &str,
        name: &str,
    ) -> Result<PeerId, Refusal> {
        let mut hub = self.hub();
        let joined = hub
            .rooms
            .join(random_peer_id, protocol_version, room, name)?;
        hub.links.insert(joined.peer_id.clone(), link);
        tracing::info!(peer = %joined.peer_id, room, "peer joined");
        hub.deliver(joined.deliveries);
        Ok(joined.peer_id)
    }

    /// Relays a signal from `from` to `to` (see [`Rooms::signal`] for the rules).
    pub fn signal(&self, from: &str, to: &str, data: Value) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let delivery = hub.rooms.signal(from, to, data)?;
        hub.deliver(vec![delivery]);
        Ok(())
    }

    /// Takes `peer` out of its room and tells the others why. Does nothing for a peer
    /// that is in no room (for example one already dropped as slow).
    pub fn leave(&self, peer: &str, reason: LeaveReason) {
        let mut hub = self.hub();
        if hub.links.remove(peer).is_some() {
            tracing::info!(peer, ?reason, "peer left");
        }
        let deliveries = hub.rooms.leave(peer, reason);
        hub.deliver(deliveries);
    }
}

impl Hub {
    /// Queues each delivery on its peer's link. A peer whose queue is full or closed is
    /// removed (the others get `peerLeft` with reason `disconnected`, delivered the same
    /// way) and its connection is stopped.
    fn deliver(&mut self, deliveries: Vec<Delivery>) {
        let mut queue: VecDeque<Delivery> = deliveries.into();
        while let Some(Delivery { to, message }) = queue.pop_front() {
            let Some(link) = self.links.get(&to) else {
                continue; // dropped earlier in this same round
            };
            match link.tx.try_send(message) {
                Ok(()) => continue,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(peer = %to, "dropping a peer whose outgoing queue is full");
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    // Its connection is already ending (common during shutdown).
                    tracing::debug!(peer = %to, "dropping a peer whose connection closed");
                }
            }
            if let Some(link) = self.links.remove(&to) {
                link.stop.cancel();
            }
            queue.extend(self.rooms.leave(&to, LeaveReason::Disconnected));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use steadyrtc_protocol::{PeerInfo, PROTOCOL_VERSION};

    fn state(max_peers: u32) -> AppState {
        AppState::new(Config {
            max_peers_per_room: max_peers,
            ..Config::default()
        })
    }

    fn link(capacity: usize) -> (PeerLink, mpsc::Receiver<ServerMessage>) {
        let (tx, rx) = mpsc::channel(capacity);
        (
            PeerLink {
                tx,
                stop: CancellationToken::new(),
            },
            rx,
        )
    }

    #[test]
    fn peer_ids_are_sixteen_alphanumerics_and_differ() {
        let a = random_peer_id();
        assert_eq!(a.len(), PEER_ID_LEN);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, random_peer_id());
    }

    #[test]
    fn join_queues_welcome_and_peer_joined() {
        let state = state(16);
        let (ada_link, mut ada) = link(8);
        let (bo_link, mut bo) = link(8);
        let ada_id = state
            .join(ada_link, PROTOCOL_VERSION, "demo", "Ada")
            .unwrap();
        let bo_id = state.join(bo_link, PROTOCOL_VERSION, "demo", "Bo").unwrap();
        assert!(matches!(ada.try_recv(), Ok(ServerMessage::Welcome { .. })));
        assert_eq!(
            ada.try_recv().ok(),
            Some(ServerMessage::PeerJoined {
                peer: PeerInfo {
                    id: bo_id.clone(),
                    name: "Bo".into()
                }
            })
        );
        let Ok(ServerMessage::Welcome { peers, .. }) = bo.try_recv() else {
            panic!("no welcome")
        };
        assert_eq!(
            peers,
            vec![PeerInfo {
                id: ada_id,
                name: "Ada".into()
            }]
        );
        assert_eq!(state.stats(), Stats { rooms: 1, peers: 2 });
    }

    #[test]
    fn slow_peer_is_dropped_and_the_others_hear_it_disconnected() {
        let state = state(16);
        let (ada_link, mut ada) = link(64);
        let (slow_link, _slow_rx) = link(1); // welcome fills it; nobody reads
        let stop = slow_link.stop.clone();
        let ada_id = state
            .join(ada_link, PROTOCOL_VERSION, "demo", "Ada")
            .unwrap();
        let slow_id = state
            .join(slow_link, PROTOCOL_VERSION, "demo", "Slow")
            .unwrap();
        assert!(!stop.is_cancelled());

        state
            .signal(&ada_id, &slow_id, serde_json::json!({}))
            .unwrap();

        assert!(stop.is_cancelled(), "the slow connection is told to stop");
        assert_eq!(state.stats(), Stats { rooms: 1, peers: 1 });
        let received: Vec<_> = std::iter::from_fn(|| ada.try_recv().ok()).collect();
        assert_eq!(
            received.last(),
            Some(&ServerMessage::PeerLeft {
                peer_id: slow_id,
                reason: LeaveReason::Disconnected
            })
        );
    }

    #[test]
    fn closed_queue_counts_as_disconnected() {
        let state = state(16);
        let (ada_link, mut ada) = link(64);
        let (gone_link, gone_rx) = link(8);
        state
            .join(ada_link, PROTOCOL_VERSION, "demo", "Ada")
            .unwrap();
        let gone_id = state
            .join(gone_link, PROTOCOL_VERSION, "demo", "Gone")
            .unwrap();
        drop(gone_rx);
        let (cy_link, _cy) = link(8);
        state.join(cy_link, PROTOCOL_VERSION, "demo", "Cy").unwrap();
        let received: Vec<_> = std::iter::from_fn(|| ada.try_recv().ok()).collect();
        assert!(received.contains(&ServerMessage::PeerLeft {
            peer_id: gone_id,
            reason: LeaveReason::Disconnected
        }));
        assert_eq!(state.stats().peers, 2);
    }

    #[test]
    fn leave_after_being_dropped_is_harmless() {
        let state = state(16);
        let (l, _rx) = link(8);
        let id = state.join(l, PROTOCOL_VERSION, "demo", "Ada").unwrap();
        state.leave(&id, LeaveReason::Left);
        state.leave(&id, LeaveReason::Disconnected);
        assert_eq!(state.stats(), Stats { rooms: 0, peers: 0 });
    }
}
