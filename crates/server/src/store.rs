//! Where room definitions live: the [`Store`] trait and its in-memory implementation
//! ([`MemoryStore`], the default). A Redis implementation, for several server instances
//! behind a load balancer, comes later and implements the same trait.
//!
//! This module decides what a room definition is ([`RoomSpec`]) and the store's contract:
//! names are unique, `create` refuses a second room of the same name, and `ping` says
//! whether the store answers (`GET /ready`). Live membership and sessions stay in
//! [`crate::state`]: they hold sockets and cannot be shared.

use std::collections::BTreeMap;
use std::fmt::Debug;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// How a room connects its participants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RoomMode {
    /// Everyone connects to everyone.
    #[default]
    Mesh,
    /// Hosts publish to many listeners; listeners do not see each other.
    Broadcast,
    /// A match queue: `queueJoin` pairs participants into private two-person rooms.
    Match,
}

/// A room created through the rooms API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomSpec {
    pub name: String,
    pub mode: RoomMode,
    pub max_participants: u32,
    /// Seconds the room may stay empty before it is removed; 0 keeps it until deleted.
    pub empty_timeout_secs: u64,
    /// Unix seconds.
    pub created_at: u64,
}

/// Why the store refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("a room with this name exists")]
    Exists,
    #[error("the store is full")]
    Full,
}

/// Room definitions, shared by every connection (and, with Redis, by every instance).
pub trait Store: Send + Sync + Debug {
    fn create_room(&self, spec: RoomSpec) -> Result<(), StoreError>;
    fn room(&self, name: &str) -> Option<RoomSpec>;
    /// Removes a room; false if there was none.
    fn delete_room(&self, name: &str) -> bool;
    fn rooms(&self) -> Vec<RoomSpec>;
    /// Whether the store answers.
    fn ping(&self) -> bool;
}

/// The in-memory store: a map behind a lock, at most `max_rooms` entries.
#[derive(Debug)]
pub struct MemoryStore {
    max_rooms: usize,
    rooms: Mutex<BTreeMap<String, RoomSpec>>,
}

impl MemoryStore {
    pub fn new(max_rooms: usize) -> Self {
        Self {
            max_rooms,
            rooms: Mutex::new(BTreeMap::new()),
        }
    }
}

impl Store for MemoryStore {
    fn create_room(&self, spec: RoomSpec) -> Result<(), StoreError> {
        let mut rooms = self.rooms.lock();
        if rooms.contains_key(&spec.name) {
            return Err(StoreError::Exists);
        }
        if rooms.len() >= self.max_rooms {
            return Err(StoreError::Full);
        }
        rooms.insert(spec.name.clone(), spec);
        Ok(())
    }

    fn room(&self, name: &str) -> Option<RoomSpec> {
        self.rooms.lock().get(name).cloned()
    }

    fn delete_room(&self, name: &str) -> bool {
        self.rooms.lock().remove(name).is_some()
    }

    fn rooms(&self) -> Vec<RoomSpec> {
        self.rooms.lock().values().cloned().collect()
    }

    fn ping(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str) -> RoomSpec {
        RoomSpec {
            name: name.into(),
            mode: RoomMode::Mesh,
            max_participants: 4,
            empty_timeout_secs: 0,
            created_at: 0,
        }
    }

    #[test]
    fn names_are_unique_and_capacity_is_enforced() {
        let store = MemoryStore::new(2);
        assert_eq!(store.create_room(spec("a")), Ok(()));
        assert_eq!(store.create_room(spec("a")), Err(StoreError::Exists));
        assert_eq!(store.create_room(spec("b")), Ok(()));
        assert_eq!(store.create_room(spec("c")), Err(StoreError::Full));
        assert_eq!(store.room("a"), Some(spec("a")));
        assert!(store.delete_room("a") && !store.delete_room("a"));
        assert_eq!(store.rooms(), vec![spec("b")]);
        assert!(store.ping());
    }
}
