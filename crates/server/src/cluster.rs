//! Several instances, one service (with `--redis-url`): which instance holds which room,
//! and the relay between the instance holding a client's socket and the one holding its
//! session.
//!
//! This module decides the cluster's one rule: every room (and every match queue) lives
//! on exactly one instance, its *owner*, which runs the same room and session logic as a
//! single server ([`crate::state`]): sequence numbers, outboxes, replay, pairing. An
//! instance that receives a client whose room or session is owned elsewhere becomes
//! that socket's *proxy*: it forwards the client's frames to the owner and writes back
//! what the owner sends, in order (one ordered Redis connection each way, see
//! [`writer`] and [`subscriber`]). So a peer on instance 1 signals a peer on instance 2
//! through the room's owner, and `resume` on any instance reaches the session's outbox.
//!
//! Ownership is claimed in Redis (`steadyrtc:owner:<room>`, atomically by a Lua script
//! that only takes over from an instance whose heartbeat key has expired); sessions are
//! found by `steadyrtc:session:<id>`. Any loss on the relay (Redis down, an instance
//! gone, a publish nobody received) closes the affected sockets so that the clients
//! resume: the owner's outbox then replays exactly what they missed. It never blocks the
//! state's lock on Redis and never panics on what Redis or another instance sends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::Script;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::state::{AppState, Outgoing};
use crate::store::RedisStats;

pub mod envelope;
mod handover;
mod hosted;
mod subscriber;
mod upkeep;
mod writer;

pub use envelope::Envelope;
use writer::Command;

/// Prefix of every cluster key and channel.
const PREFIX: &str = "steadyrtc:";
/// How long an instance counts as alive after its last heartbeat.
pub const INSTANCE_TTL: Duration = Duration::from_secs(5);
/// How often an instance renews its heartbeat.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(1);
/// How long an owner or session key lives without renewal.
pub const KEY_TTL: Duration = Duration::from_secs(30);
/// Envelopes waiting to be published at most, and their bytes; beyond either (Redis
/// slow or away), the affected sockets are closed instead of memory growing.
const WRITE_QUEUE: usize = 65_536;
const WRITE_QUEUE_BYTES: usize = 64 * 1024 * 1024;
/// Frames waiting for one hosted connection at most.
const HOSTED_INBOX: usize = 1_024;

/// Takes the owner key unless a live instance holds it; answers the owner.
const CLAIM: &str = r"
local o = redis.call('GET', KEYS[1])
if o and o ~= ARGV[1] and redis.call('EXISTS', ARGV[2] .. o) == 1 then return o end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return ARGV[1]
";

/// The owner of a key if that instance is alive, else nil.
const LIVE_OWNER: &str = r"
local o = redis.call('GET', KEYS[1])
if not o then return false end
if redis.call('EXISTS', ARGV[1] .. o) == 1 then return o end
return false
";

/// Whether a proxied socket has a session on its owner.
pub const ROUTE_PENDING: u8 = 0;
pub const ROUTE_ATTACHED: u8 = 1;
pub const ROUTE_DETACHED: u8 = 2;

/// A socket of this instance whose session lives on another instance.
#[derive(Debug, Clone)]
pub struct Proxied {
    pub owner: String,
    pub tx: mpsc::Sender<Outgoing>,
    pub stop: CancellationToken,
    /// [`ROUTE_PENDING`], [`ROUTE_ATTACHED`] or [`ROUTE_DETACHED`], as the owner said.
    pub attached: Arc<AtomicU8>,
}

/// Relay counts for `/metrics`.
#[derive(Debug, Default)]
pub struct RelayStats {
    pub sent_total: Counter,
    pub received_total: Counter,
    pub failed_total: Counter,
    pub proxied_closed_total: Counter,
    proxied: Gauge,
    hosted: Gauge,
}

/// Why a route could not be decided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("redis: {0}")]
pub struct ClusterError(pub String);

/// This instance's part of the cluster.
pub struct Cluster {
    pub instance: String,
    client: redis::Client,
    conn: ConnectionManager,
    timeout: Duration,
    claim: Script,
    live_owner: Script,
    writes: mpsc::Sender<Command>,
    /// Bytes of the envelopes in `writes`.
    queued_bytes: std::sync::atomic::AtomicUsize,
    write_rx: Mutex<Option<mpsc::Receiver<Command>>>,
    /// Proxy side: this instance's sockets whose sessions live elsewhere, by connection id.
    proxied: Mutex<HashMap<u64, Proxied>>,
    /// Owner side: connections of other instances served here, by (proxy, connection id).
    hosted: Mutex<HashMap<(String, u64), mpsc::Sender<hosted::Inbound>>>,
    next_conn: AtomicU64,
    /// Whether this instance is subscribed to its channel (only then does it announce
    /// itself alive, so nobody routes to an instance that cannot hear).
    subscribed: AtomicBool,
    /// Counts subscriptions: a new one means keys must be renewed before the heartbeat.
    generation: AtomicU64,
    /// Set while this instance hands its rooms over (drain): frames for them are dropped.
    handing_over: AtomicBool,
    /// Groups handed over and confirmed by their new owner.
    adopted: Mutex<std::collections::HashSet<String>>,
    adopted_notify: tokio::sync::Notify,
    pub stop: CancellationToken,
    pub redis: Arc<RedisStats>,
    pub relay: RelayStats,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

fn instance_prefix() -> String {
    format!("{PREFIX}instance:")
}

/// The value of a draining instance's heartbeat key (a running one writes `1`): it still
/// relays, but takes no room handed over.
const DRAINING: &str = "draining";

fn channel(instance: &str) -> String {
    format!("{PREFIX}bus:{instance}")
}

fn owner_key(room: &str) -> String {
    format!("{PREFIX}owner:{room}")
}

fn session_key(session_id: &str) -> String {
    format!("{PREFIX}session:{session_id}")
}

/// Adds to `pipe`: `key` (an owner or session key) points at `instance` for `KEY_TTL`.
fn point_at(pipe: &mut redis::Pipeline, key: String, instance: &str) {
    pipe.cmd("SET")
        .arg(key)
        .arg(instance)
        .arg("PX")
        .arg(KEY_TTL.as_millis() as u64)
        .ignore();
}

/// The set of instance ids that have announced themselves (live or not).
fn instances_key() -> String {
    format!("{PREFIX}instances")
}

impl Cluster {
    /// The cluster side of instance `instance` on the Redis at `url` (connects lazily).
    pub fn new(
        url: &str,
        instance: String,
        timeout: Duration,
        redis: Arc<RedisStats>,
    ) -> Result<Self, String> {
        let client = redis::Client::open(url).map_err(|e| format!("bad Redis URL: {e}"))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| format!("cannot set up the Redis connection: {e}"))?;
        let (writes, write_rx) = mpsc::channel(WRITE_QUEUE);
        Ok(Self {
            instance,
            client,
            conn,
            timeout,
            claim: Script::new(CLAIM),
            live_owner: Script::new(LIVE_OWNER),
            writes,
            queued_bytes: std::sync::atomic::AtomicUsize::new(0),
            write_rx: Mutex::new(Some(write_rx)),
            proxied: Mutex::new(HashMap::new()),
            hosted: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(1),
            subscribed: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            handing_over: AtomicBool::new(false),
            adopted: Mutex::new(std::collections::HashSet::new()),
            adopted_notify: tokio::sync::Notify::new(),
            stop: CancellationToken::new(),
            redis,
            relay: RelayStats::default(),
        })
    }

    /// Starts the writer, the subscriber and the upkeep tasks; they run until
    /// [`Cluster::stop`] is cancelled.
    pub fn start(self: &Arc<Self>, state: &Arc<AppState>) {
        if let Some(rx) = self.write_rx.lock().take() {
            tokio::spawn(writer::run(Arc::clone(self), Arc::clone(state), rx));
        }
        tokio::spawn(subscriber::run(Arc::clone(self), Arc::clone(state)));
        tokio::spawn(upkeep::run(Arc::clone(self), Arc::clone(state)));
    }

    /// Tells the other instances that this one drains (its heartbeat says so): it still
    /// relays, but they hand it no room.
    pub async fn draining(&self) {
        upkeep::heartbeat(self, true).await;
    }

    /// Drain: hands every room, session and match queue of this instance to the other
    /// live instances, waits (at most `limit`) until they hold them, then closes the
    /// sockets still relayed to here so that their clients resume there.
    pub async fn hand_over(self: &Arc<Self>, state: &Arc<AppState>, limit: Duration) {
        handover::hand_over(self, state, limit).await;
    }

    /// Stops the cluster tasks once what is queued for Redis has been taken by the writer
    /// (the `gone` of the sockets that just closed), waiting at most `limit`.
    pub async fn leave(&self, limit: Duration) {
        let deadline = tokio::time::Instant::now() + limit;
        while self.writes.capacity() < self.writes.max_capacity()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Gone from the registry before the process ends (the upkeep task's own goodbye
        // may not get to run): a drain right after this one must not hand rooms here.
        let mut conn = self.conn.clone();
        let mut pipe = redis::pipe();
        pipe.del(format!("{}{}", instance_prefix(), self.instance))
            .ignore();
        pipe.srem(instances_key(), &self.instance).ignore();
        if let Err(e) = self.run(pipe.query_async::<()>(&mut conn)).await {
            tracing::warn!(error = %e, "cannot remove this instance from the registry");
        }
        self.stop.cancel();
    }

    /// A fresh id for one of this instance's sockets.
    pub fn next_conn_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// Runs one Redis operation within the timeout, counting it.
    async fn run<T>(
        &self,
        op: impl std::future::Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, ClusterError> {
        let started = Instant::now();
        let result = match tokio::time::timeout(self.timeout, op).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(ClusterError(e.to_string())),
            Err(_) => Err(ClusterError("timed out".into())),
        };
        self.redis.record(started.elapsed(), result.is_ok());
        result
    }

    /// The instance that owns `room` (this one if nobody alive did; then it is claimed).
    pub async fn claim(&self, room: &str) -> Result<String, ClusterError> {
        let mut conn = self.conn.clone();
        let mut call = self.claim.key(owner_key(room));
        call.arg(&self.instance)
            .arg(instance_prefix())
            .arg(KEY_TTL.as_millis() as u64);
        self.run(call.invoke_async(&mut conn)).await
    }

    /// The live instance holding session `session_id`, if any.
    pub async fn session_owner(&self, session_id: &str) -> Result<Option<String>, ClusterError> {
        let mut conn = self.conn.clone();
        let mut call = self.live_owner.key(session_key(session_id));
        call.arg(instance_prefix());
        self.run(call.invoke_async(&mut conn)).await
    }

    /// The live instance owning `room`, if any (without claiming it).
    pub async fn room_owner(&self, room: &str) -> Result<Option<String>, ClusterError> {
        let mut conn = self.conn.clone();
        let mut call = self.live_owner.key(owner_key(room));
        call.arg(instance_prefix());
        self.run(call.invoke_async(&mut conn)).await
    }

    /// Which of `rooms` another live instance owns (two round trips, whatever their
    /// number).
    pub async fn owned_elsewhere(
        &self,
        rooms: &[&str],
    ) -> Result<std::collections::HashSet<String>, ClusterError> {
        let mut result = std::collections::HashSet::new();
        if rooms.is_empty() {
            return Ok(result);
        }
        let mut conn = self.conn.clone();
        let keys: Vec<String> = rooms.iter().map(|r| owner_key(r)).collect();
        let owners: Vec<Option<String>> = self
            .run(redis::cmd("MGET").arg(&keys).query_async(&mut conn))
            .await?;
        let mut others: Vec<String> = owners
            .iter()
            .flatten()
            .filter(|o| **o != self.instance)
            .cloned()
            .collect();
        others.sort();
        others.dedup();
        if others.is_empty() {
            return Ok(result);
        }
        let mut pipe = redis::pipe();
        for o in &others {
            pipe.exists(format!("{}{o}", instance_prefix()));
        }
        let alive: Vec<bool> = self.run(pipe.query_async(&mut conn)).await?;
        let alive: std::collections::HashSet<&String> = others
            .iter()
            .zip(alive)
            .filter_map(|(o, a)| a.then_some(o))
            .collect();
        for (room, owner) in rooms.iter().zip(&owners) {
            if owner.as_ref().is_some_and(|o| alive.contains(o)) {
                result.insert((*room).to_owned());
            }
        }
        Ok(result)
    }

    /// Queues `command` for the writer; false if the queue is full (Redis too slow).
    fn write(&self, command: Command) -> bool {
        self.writes.try_send(command).is_ok()
    }

    /// Sends `envelope` to `instance`. A full queue counts as a failed publish.
    pub fn send(&self, state: &Arc<AppState>, instance: &str, envelope: Envelope) {
        let bytes = envelope.weight();
        let queued = self.queued_bytes.fetch_add(bytes, Ordering::AcqRel);
        if queued + bytes > WRITE_QUEUE_BYTES {
            self.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
            self.publish_failed(state, instance, envelope);
            return;
        }
        let command = Command::Publish {
            to: instance.to_owned(),
            envelope,
        };
        if let Err(
            mpsc::error::TrySendError::Full(Command::Publish { to, envelope })
            | mpsc::error::TrySendError::Closed(Command::Publish { to, envelope }),
        ) = self.writes.try_send(command)
        {
            self.queued_bytes.fetch_sub(bytes, Ordering::AcqRel);
            self.publish_failed(state, &to, envelope);
        }
    }

    /// The writer took `envelope` off the queue.
    fn dequeued(&self, envelope: &Envelope) {
        self.queued_bytes
            .fetch_sub(envelope.weight(), Ordering::AcqRel);
    }

    /// Notes that session `session_id` lives here (for `resume` on other instances).
    pub fn session_opened(&self, session_id: &str) {
        // A full queue only delays this until the next upkeep round renews every key.
        let _ = self.write(Command::SetSession(session_id.to_owned()));
    }

    /// Notes that session `session_id` ended.
    pub fn session_closed(&self, session_id: &str) {
        let _ = self.write(Command::DelSession(session_id.to_owned()));
    }

    /// Proxy side: registers socket `conn` as served by `owner`.
    pub fn proxy(&self, conn: u64, proxied: Proxied) {
        self.proxied.lock().insert(conn, proxied);
    }

    /// Proxy side: the socket `conn` ended or moved to another owner; the old owner hears
    /// `gone` (its session, if any, waits for `resume`).
    pub fn unproxy(&self, state: &Arc<AppState>, conn: u64) {
        let removed = self.proxied.lock().remove(&conn);
        if let Some(p) = removed {
            self.send(
                state,
                &p.owner,
                Envelope::Gone {
                    from: self.instance.clone(),
                    conn,
                },
            );
        }
    }

    /// Proxy side: forwards a client frame of socket `conn` to its owner.
    pub fn forward(&self, state: &Arc<AppState>, owner: &str, conn: u64, text: &str) {
        self.send(
            state,
            owner,
            Envelope::Frame {
                from: self.instance.clone(),
                conn,
                text: text.to_owned(),
            },
        );
    }

    /// A publish did not reach its instance: close what depended on it, so that clients
    /// resume and the owner's outbox replays what was lost.
    fn publish_failed(&self, state: &Arc<AppState>, to: &str, envelope: Envelope) {
        self.relay.failed_total.inc();
        match envelope {
            // We are the proxy: the owner missed a client frame.
            Envelope::Frame { conn, .. } => self.close_proxied(conn),
            Envelope::Gone { .. }
            | Envelope::EndRoom { .. }
            | Envelope::Adopt { .. }
            | Envelope::Adopted { .. } => {}
            // We are the owner: the proxy missed frames for its socket.
            Envelope::Out { conn, .. }
            | Envelope::Close { conn, .. }
            | Envelope::Session { conn, .. } => {
                hosted::end(self, state, to, conn);
            }
        }
    }

    /// Proxy side: closes socket `conn` (its client resumes).
    fn close_proxied(&self, conn: u64) {
        let proxied = self.proxied.lock().get(&conn).cloned();
        if let Some(p) = proxied {
            self.relay.proxied_closed_total.inc();
            if p.tx
                .try_send(Outgoing::Close(1012, "signaling instance lost"))
                .is_err()
            {
                p.stop.cancel();
            }
        }
    }

    /// The relay may have lost messages (the subscription dropped): every proxied socket
    /// is closed and every hosted connection ends, so that their clients resume.
    fn relay_lost(&self, state: &Arc<AppState>) {
        let proxied: Vec<u64> = self.proxied.lock().keys().copied().collect();
        for conn in proxied {
            self.close_proxied(conn);
        }
        let hosted: Vec<(String, u64)> = self.hosted.lock().keys().cloned().collect();
        for (proxy, conn) in hosted {
            hosted::end(self, state, &proxy, conn);
        }
    }

    /// Acts on one envelope from another instance.
    fn receive(self: &Arc<Self>, state: &Arc<AppState>, envelope: Envelope) {
        self.relay.received_total.inc();
        match envelope {
            Envelope::Frame { from, conn, text } => hosted::frame(self, state, from, conn, text),
            Envelope::Gone { from, conn } => hosted::end(self, state, &from, conn),
            Envelope::Out { conn, text } => {
                let proxied = self.proxied.lock().get(&conn).cloned();
                if let Some(p) = proxied {
                    if p.tx.try_send(Outgoing::Text(text.into())).is_err() {
                        // The client does not read: close; it resumes and loses nothing.
                        p.stop.cancel();
                    }
                }
            }
            Envelope::Close { conn, code, reason } => {
                let proxied = self.proxied.lock().get(&conn).cloned();
                if let Some(p) = proxied {
                    let reason = envelope::static_reason(&reason);
                    if p.tx.try_send(Outgoing::Close(code, reason)).is_err() {
                        p.stop.cancel();
                    }
                }
            }
            Envelope::Session { conn, attached } => {
                if let Some(p) = self.proxied.lock().get(&conn) {
                    let value = if attached {
                        ROUTE_ATTACHED
                    } else {
                        ROUTE_DETACHED
                    };
                    p.attached.store(value, Ordering::Release);
                }
            }
            Envelope::EndRoom { room, reason } => {
                state.end_room(&room, &reason);
            }
            Envelope::Adopt { from, group } => handover::adopt(self, state, from, group),
            Envelope::Adopted { name } => {
                self.adopted.lock().insert(name);
                self.adopted_notify.notify_waiters();
            }
        }
    }

    /// Adds the relay metrics to `registry`.
    pub fn register(&self, registry: &mut Registry) {
        let r = &self.relay;
        for (name, help, counter) in [
            (
                "steadyrtc_relay_sent",
                "Envelopes published to other instances and received there.",
                &r.sent_total,
            ),
            (
                "steadyrtc_relay_received",
                "Envelopes received from other instances.",
                &r.received_total,
            ),
            (
                "steadyrtc_relay_failed",
                "Envelopes that did not reach their instance (the connections concerned resume).",
                &r.failed_total,
            ),
            (
                "steadyrtc_relay_closed",
                "Sockets closed here because their relay was lost.",
                &r.proxied_closed_total,
            ),
        ] {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "steadyrtc_relay_proxied",
            "Sockets here whose sessions live on other instances.",
            r.proxied.clone(),
        );
        registry.register(
            "steadyrtc_relay_hosted",
            "Connections of other instances whose sessions live here.",
            r.hosted.clone(),
        );
    }

    /// Sets the relay gauges before `/metrics` renders.
    pub fn update_gauges(&self) {
        let (proxied, hosted) = self.counts();
        self.relay
            .proxied
            .set(i64::try_from(proxied).unwrap_or(i64::MAX));
        self.relay
            .hosted
            .set(i64::try_from(hosted).unwrap_or(i64::MAX));
    }

    /// How many sockets this instance proxies and how many connections it hosts.
    pub fn counts(&self) -> (usize, usize) {
        (self.proxied.lock().len(), self.hosted.lock().len())
    }
}

#[cfg(test)]
mod tests;
