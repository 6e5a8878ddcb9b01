//! Where room definitions live: the async [`Store`] trait, its in-memory implementation
//! ([`MemoryStore`], the default: nothing to run besides the server) and the Redis one
//! ([`RedisStore`], with `--redis-url`, shared by every instance behind a load balancer).
//!
//! This module decides what a room definition is ([`RoomSpec`]) and the store's contract:
//! names are unique, `create` refuses a second room of the same name or past the capacity,
//! and `ping` says whether the store answers (`GET /ready`). A store that cannot answer
//! says so with [`StoreError::Unavailable`] within a bounded time; it never hangs its
//! caller and never panics. Live membership and sessions stay in [`crate::state`]: they
//! hold sockets.

use std::collections::BTreeMap;
use std::fmt::Debug;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

mod redis_store;

pub use redis_store::{RedisStats, RedisStore};

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
    /// The store did not answer in time or failed (Redis down, timed out, bad reply).
    #[error("the store is unavailable: {0}")]
    Unavailable(String),
}

/// Room definitions, shared by every connection (and, with Redis, by every instance).
/// Every method answers within a bounded time.
#[async_trait]
pub trait Store: Send + Sync + Debug {
    async fn create_room(&self, spec: RoomSpec) -> Result<(), StoreError>;
    async fn room(&self, name: &str) -> Result<Option<RoomSpec>, StoreError>;
    /// Removes a room; false if there was none.
    async fn delete_room(&self, name: &str) -> Result<bool, StoreError>;
    async fn rooms(&self) -> Result<Vec<RoomSpec>, StoreError>;
    /// Ok when the store answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// Which store this is, for logs and `/ready`: `memory` or `redis`.
    fn kind(&self) -> &'static str;
    /// Command counts and latency, for `/metrics` (Redis only).
    fn redis_stats(&self) -> Option<&RedisStats> {
        None
    }
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

#[async_trait]
impl Store for MemoryStore {
    async fn create_room(&self, spec: RoomSpec) -> Result<(), StoreError> {
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

    async fn room(&self, name: &str) -> Result<Option<RoomSpec>, StoreError> {
        Ok(self.rooms.lock().get(name).cloned())
    }

    async fn delete_room(&self, name: &str) -> Result<bool, StoreError> {
        Ok(self.rooms.lock().remove(name).is_some())
    }

    async fn rooms(&self) -> Result<Vec<RoomSpec>, StoreError> {
        Ok(self.rooms.lock().values().cloned().collect())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
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

    #[tokio::test]
    async fn names_are_unique_and_capacity_is_enforced() {
        let store = MemoryStore::new(2);
        assert_eq!(store.create_room(spec("a")).await, Ok(()));
        assert_eq!(store.create_room(spec("a")).await, Err(StoreError::Exists));
        assert_eq!(store.create_room(spec("b")).await, Ok(()));
        assert_eq!(store.create_room(spec("c")).await, Err(StoreError::Full));
        assert_eq!(store.room("a").await, Ok(Some(spec("a"))));
        assert_eq!(store.delete_room("a").await, Ok(true));
        assert_eq!(store.delete_room("a").await, Ok(false));
        assert_eq!(store.rooms().await, Ok(vec![spec("b")]));
        assert_eq!(store.ping().await, Ok(()));
    }
}
