//! The Redis [`Store`]: room definitions in one hash (`steadyrtc:rooms`, name -> JSON of
//! [`RoomSpec`]) shared by every instance that points at the same Redis.
//!
//! It talks through the `redis` crate's tokio `ConnectionManager`: one multiplexed
//! connection per instance that reconnects by itself after Redis restarts. It decides
//! that every command is bounded by the configured timeout (a Redis that is down or slow
//! is [`StoreError::Unavailable`] after at most that long, never a hang), that creating a
//! room is atomic (one Lua script checks the name and the capacity and writes), and it
//! counts commands, errors and latency for `/metrics`. It never panics on a reply.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, RedisResult, Script};

use super::{RoomSpec, Store, StoreError};
use crate::metrics::REDIS_BUCKETS;

/// The prefix of every key this server writes.
pub const KEY_PREFIX: &str = "steadyrtc:";

/// Creates a room unless the name exists (answers 1) or the hash is full (answers 2).
const CREATE_ROOM: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 2 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 0
";

/// What `/metrics` shows about Redis: commands, failures and their latency.
#[derive(Debug, Clone)]
pub struct RedisStats {
    pub commands_total: Counter,
    pub errors_total: Counter,
    latency: Histogram,
}

impl Default for RedisStats {
    fn default() -> Self {
        Self {
            commands_total: Counter::default(),
            errors_total: Counter::default(),
            latency: Histogram::new(REDIS_BUCKETS),
        }
    }
}

impl RedisStats {
    pub(crate) fn record(&self, took: Duration, ok: bool) {
        self.commands_total.inc();
        if !ok {
            self.errors_total.inc();
        }
        self.latency.observe(took.as_secs_f64());
    }

    /// Adds these metrics to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "steadyrtc_redis_commands",
            "Redis commands sent (a script or pipeline counts once).",
            self.commands_total.clone(),
        );
        registry.register(
            "steadyrtc_redis_errors",
            "Redis commands that failed or timed out.",
            self.errors_total.clone(),
        );
        registry.register(
            "steadyrtc_redis_latency_seconds",
            "Time from sending a Redis command to its reply (or failure).",
            self.latency.clone(),
        );
    }
}

/// Room definitions in Redis.
pub struct RedisStore {
    conn: ConnectionManager,
    timeout: Duration,
    max_rooms: usize,
    rooms_key: String,
    create_room: Script,
    stats: Arc<RedisStats>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("timeout", &self.timeout)
            .field("max_rooms", &self.max_rooms)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store for the Redis at `url` (`redis://host:port/db`). It connects lazily and
    /// reconnects by itself: a Redis that is down now makes the store unavailable, not
    /// this call fail. Fails only on a URL that cannot work.
    pub fn new(url: &str, max_rooms: usize, timeout: Duration) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| format!("cannot set up the Redis connection: {e}"))?;
        Ok(Self {
            conn,
            timeout,
            max_rooms,
            rooms_key: format!("{KEY_PREFIX}rooms"),
            create_room: Script::new(CREATE_ROOM),
            stats: Arc::default(),
        })
    }

    /// The counters this store records into (the cluster records into them too).
    pub fn stats(&self) -> Arc<RedisStats> {
        Arc::clone(&self.stats)
    }

    /// Runs one Redis operation within the timeout, counting it.
    async fn run<T>(&self, op: impl Future<Output = RedisResult<T>>) -> Result<T, StoreError> {
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, op).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(StoreError::Unavailable(e.to_string())),
            Err(_) => Err(StoreError::Unavailable(format!(
                "no answer within {} ms",
                self.timeout.as_millis()
            ))),
        };
        self.stats.record(started.elapsed(), result.is_ok());
        if let Err(e) = &result {
            tracing::debug!(error = %e, "redis command failed");
        }
        result
    }

    fn parse(name: &str, json: &str) -> Result<RoomSpec, StoreError> {
        serde_json::from_str(json).map_err(|e| {
            StoreError::Unavailable(format!("room {name:?} in Redis is not a room: {e}"))
        })
    }
}

#[async_trait]
impl Store for RedisStore {
    async fn create_room(&self, spec: RoomSpec) -> Result<(), StoreError> {
        let json = serde_json::to_string(&spec)
            .map_err(|e| StoreError::Unavailable(format!("cannot encode the room: {e}")))?;
        let mut conn = self.conn.clone();
        let mut call = self.create_room.key(&self.rooms_key);
        call.arg(&spec.name).arg(json).arg(self.max_rooms);
        let answer: i64 = self.run(call.invoke_async(&mut conn)).await?;
        match answer {
            0 => Ok(()),
            1 => Err(StoreError::Exists),
            _ => Err(StoreError::Full),
        }
    }

    async fn room(&self, name: &str) -> Result<Option<RoomSpec>, StoreError> {
        let mut conn = self.conn.clone();
        let json: Option<String> = self.run(conn.hget(&self.rooms_key, name)).await?;
        json.map(|j| Self::parse(name, &j)).transpose()
    }

    async fn delete_room(&self, name: &str) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let removed: u64 = self.run(conn.hdel(&self.rooms_key, name)).await?;
        Ok(removed > 0)
    }

    async fn rooms(&self) -> Result<Vec<RoomSpec>, StoreError> {
        let mut conn = self.conn.clone();
        let all: Vec<(String, String)> = self.run(conn.hgetall(&self.rooms_key)).await?;
        let mut specs = Vec::with_capacity(all.len());
        for (name, json) in all {
            match Self::parse(&name, &json) {
                Ok(spec) => specs.push(spec),
                // One bad entry (written by hand, an older version) must not hide the rest.
                Err(e) => tracing::warn!(room = %name, error = %e, "skipping a room"),
            }
        }
        specs.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(specs)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let mut conn = self.conn.clone();
        let pong: String = self.run(redis::cmd("PING").query_async(&mut conn)).await?;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(StoreError::Unavailable(format!("PING answered {pong:?}")))
        }
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    fn redis_stats(&self) -> Option<&RedisStats> {
        Some(&self.stats)
    }
}
