//! The state every connection shares ([`AppState`]): sessions with their replay buffers,
//! room membership, match queues, and the delivery of messages to each session.
//!
//! This module decides the session rules: every message to a session gets the next
//! sequence number and stays in its outbox until acknowledged; a session whose
//! connection drops waits for `resume` for the resume window, during which the others
//! see nothing; a session that lets more than `max_unacked` messages pile up, or whose
//! connection cannot keep up, is dropped (the others hear `disconnected`). It never
//! awaits while holding its lock: delivery is `try_send` only.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::ws::Utf8Bytes;
use parking_lot::{Mutex, MutexGuard};
use rand::distr::{Alphanumeric, SampleString};
use serde_json::Value;
use steadyrtc_protocol::{
    validate_name, validate_room, ErrorCode, Grants, IceServer, LeaveReason, MatchPrefs, PeerId,
    Report, Role, ServerMessage, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::ice;
use crate::metrics::{Gauges, Metrics};
use crate::ratelimit::IpTable;
use crate::rooms::{Delivery, Member, Refusal, Rooms};
use crate::store::{MemoryStore, RoomMode, RoomSpec, Store, StoreError};
use crate::tokens::{unix_now, Claims, TokenKeys};

mod diagnostics;
mod handover;
mod identity;
mod matchmaking;
mod ownership;
mod resume;

pub use diagnostics::{ParticipantDiagnostics, RoomDiagnostics, StatsSummary};
pub use handover::{GroupSnapshot, SessionSnapshot};

/// Length of a peer id: 16 characters of `[A-Za-z0-9]`, about 95 bits of randomness.
pub const PEER_ID_LEN: usize = 16;
/// Length of a session id: 32 characters of `[A-Za-z0-9]`, about 190 bits.
pub const SESSION_ID_LEN: usize = 32;

/// A fresh, unguessable peer id.
pub fn random_peer_id() -> PeerId {
    Alphanumeric.sample_string(&mut rand::rng(), PEER_ID_LEN)
}

fn random_session_id() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), SESSION_ID_LEN)
}

/// What a connection's writer sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// A text frame, already serialized.
    Text(Utf8Bytes),
    /// Close the connection with this code and reason after what is queued before it.
    Close(u16, &'static str),
    /// Nothing to write: tells a proxy (cluster) whether its socket now has a session on
    /// this instance, in order with the answers. A local writer skips it.
    Session(bool),
}

/// How the server reaches one connection: its outgoing queue, and the token that tells
/// the connection to close.
#[derive(Debug, Clone)]
pub struct PeerLink {
    pub tx: mpsc::Sender<Outgoing>,
    pub stop: CancellationToken,
    /// The instance holding the socket when it is not this one (cluster).
    pub via: Option<String>,
}

/// A connection's hold on a session: the session's peer id, and the epoch that tells
/// this connection apart from a later one that resumed the same session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub peer_id: PeerId,
    pub epoch: u64,
}

/// Counts for `/health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub rooms: usize,
    pub peers: usize,
}

/// The last report a session made about one remote peer (or itself, under "").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PeerReport {
    pub connection_state: Option<String>,
    pub quality: Option<u8>,
}

#[derive(Debug)]
struct Session {
    session_id: String,
    identity: String,
    name: String,
    role: Role,
    grants: Grants,
    /// The match queue this session belongs to (sessions opened with `queueJoin`).
    lobby: Option<String>,
    prefs: MatchPrefs,
    last_partner: Option<String>,
    link: Option<PeerLink>,
    epoch: u64,
    last_seq: u64,
    outbox: VecDeque<(u64, Utf8Bytes)>,
    /// Bytes held in `outbox`.
    outbox_bytes: usize,
    started: Instant,
    last_seen: Instant,
    reports: HashMap<PeerId, PeerReport>,
    candidates_relayed: u64,
}

impl Session {
    /// Drops the kept messages up to and including `seq`.
    fn forget_through(&mut self, seq: u64) {
        while self.outbox.front().is_some_and(|(s, _)| *s <= seq) {
            if let Some((_, text)) = self.outbox.pop_front() {
                self.outbox_bytes = self.outbox_bytes.saturating_sub(text.len());
            }
        }
    }
}

#[derive(Debug, Default)]
struct Hub {
    rooms: Rooms,
    sessions: HashMap<PeerId, Session>,
    by_session_id: HashMap<String, PeerId>,
    queues: HashMap<String, crate::matching::MatchQueue>,
    /// API rooms that became empty, and when.
    empty_since: HashMap<String, Instant>,
}

/// Everything the handlers share, behind one `Arc`.
#[derive(Debug)]
pub struct AppState {
    pub config: Config,
    /// Cancelled when the server shuts down; each connection's stop token is a child.
    pub shutdown: CancellationToken,
    /// Tracks the connection tasks so shutdown can wait for them to say goodbye.
    pub connections: TaskTracker,
    pub metrics: Metrics,
    pub keys: TokenKeys,
    pub store: Arc<dyn Store>,
    /// This instance's name (`--instance-id`, or random).
    pub instance_id: String,
    /// The other instances, with `--redis-url`.
    pub cluster: Option<Arc<crate::cluster::Cluster>>,
    pub static_ice: Vec<IceServer>,
    pub ips: Mutex<IpTable>,
    /// When the state was made (uptime).
    pub started: Instant,
    epochs: AtomicU64,
    hub: Mutex<Hub>,
}

/// The refusal for a session-opening message when the store does not answer.
pub(crate) fn store_refusal(e: &StoreError) -> Refusal {
    tracing::warn!(error = %e, "refusing a new session: the store does not answer");
    Refusal::new(
        ErrorCode::Unavailable,
        "the server's shared store does not answer; try again shortly",
    )
}

impl AppState {
    /// State for `config` with room definitions in memory. A missing token secret
    /// (allowed in `--dev` only) is replaced by a random one.
    pub fn new(config: Config) -> Self {
        let store = Arc::new(MemoryStore::new(config.max_rooms as usize));
        Self::with_store(config, store)
    }

    /// State for `config` with room definitions in `store`.
    pub fn with_store(config: Config, store: Arc<dyn Store>) -> Self {
        let secret = config
            .token_secret
            .clone()
            .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rng(), 48));
        let static_ice = config.parsed_static_ice_servers().unwrap_or_default();
        let instance_id = config
            .instance_id
            .clone()
            .unwrap_or_else(|| Alphanumeric.sample_string(&mut rand::rng(), 8));
        let mut metrics = Metrics::default();
        metrics.register_instance(&instance_id, store.kind());
        if let Some(redis) = store.redis_stats() {
            redis.register(metrics.registry_mut());
        }
        Self {
            keys: TokenKeys::new(secret.as_bytes()),
            static_ice,
            store,
            instance_id,
            cluster: None,
            shutdown: CancellationToken::new(),
            connections: TaskTracker::new(),
            metrics,
            ips: Mutex::new(IpTable::default()),
            started: Instant::now(),
            epochs: AtomicU64::new(1),
            hub: Mutex::new(Hub::default()),
            config,
        }
    }

    fn hub(&self) -> MutexGuard<'_, Hub> {
        self.hub.lock()
    }

    fn next_epoch(&self) -> u64 {
        self.epochs.fetch_add(1, Ordering::Relaxed)
    }

    /// Current number of rooms and participants.
    pub fn stats(&self) -> Stats {
        let hub = self.hub();
        Stats {
            rooms: hub.rooms.room_count(),
            peers: hub.rooms.peer_count(),
        }
    }

    /// The gauges `/metrics` shows.
    pub fn gauges(&self) -> Gauges {
        let hub = self.hub();
        Gauges {
            rooms: hub.rooms.room_count(),
            participants: hub.rooms.peer_count(),
            sessions_detached: hub.sessions.values().filter(|s| s.link.is_none()).count(),
            queue_length: hub.queues.values().map(|q| q.len()).sum(),
        }
    }

    /// The ICE servers for `identity`, with fresh TURN credentials.
    pub fn ice_servers(&self, identity: &str) -> Vec<IceServer> {
        ice::ice_servers(&self.config, &self.static_ice, identity, unix_now())
    }

    /// Checks what every session-opening message checks: shutdown, version, token.
    fn admit(
        &self,
        protocol_version: u32,
        room: &str,
        token: Option<&str>,
    ) -> Result<Claims, Refusal> {
        // A draining instance of a cluster still opens sessions in the rooms it owns
        // (they reach it relayed from the others): they move with the room when it is
        // handed over. A single server refuses them.
        if self.shutdown.is_cancelled() && self.cluster.is_none() {
            return Err(Refusal::new(
                ErrorCode::ShuttingDown,
                "the server is shutting down; try again shortly",
            ));
        }
        if !(MIN_PROTOCOL_VERSION..=PROTOCOL_VERSION).contains(&protocol_version) {
            return Err(Refusal::new(
                ErrorCode::UnsupportedVersion,
                format!("protocol version {protocol_version} is not supported; this server speaks {MIN_PROTOCOL_VERSION} to {PROTOCOL_VERSION}"),
            ));
        }
        validate_room(room).map_err(|e| Refusal::new(e.code, e.message))?;
        let token = token.ok_or_else(|| {
            Refusal::new(
                ErrorCode::InvalidToken,
                "a token is required: get one from POST /api/token",
            )
        })?;
        self.keys
            .verify_for_room(token, room)
            .map_err(|e| Refusal::new(e.code, e.message))
    }

    fn new_session(
        &self,
        claims: &Claims,
        name: String,
        link: PeerLink,
        lobby: Option<String>,
        prefs: MatchPrefs,
    ) -> (Session, u64) {
        let epoch = self.next_epoch();
        let now = Instant::now();
        let session = Session {
            session_id: random_session_id(),
            identity: claims.sub.clone(),
            name,
            role: claims.role,
            grants: claims.grants,
            lobby,
            prefs,
            last_partner: None,
            link: Some(link),
            epoch,
            last_seq: 0,
            outbox: VecDeque::new(),
            outbox_bytes: 0,
            started: now,
            last_seen: now,
            reports: HashMap::new(),
            candidates_relayed: 0,
        };
        (session, epoch)
    }

    fn welcome(
        &self,
        session: &Session,
        peer_id: &str,
        room: &str,
        peers: Vec<steadyrtc_protocol::PeerInfo>,
    ) -> ServerMessage {
        ServerMessage::Welcome {
            protocol_version: PROTOCOL_VERSION,
            room: room.to_owned(),
            peer_id: peer_id.to_owned(),
            peers,
            session_id: session.session_id.clone(),
            role: session.role,
            grants: session.grants,
            heartbeat: self.config.heartbeat(),
            resume_window_ms: self.config.resume_window_ms,
            ice_servers: self.ice_servers(&session.identity),
        }
    }

    /// `join`: checks the token for `room`, looks the room up in the store, opens a
    /// session and enters the room. On success the joiner's `welcome` (seq 1) and the
    /// others' `peerJoined` are queued. A store that does not answer refuses with
    /// `unavailable` (within the store's timeout).
    pub async fn join(
        &self,
        link: PeerLink,
        protocol_version: u32,
        room: &str,
        name: &str,
        token: Option<&str>,
    ) -> Result<Attached, Refusal> {
        let claims = self.admit(protocol_version, room, token)?;
        let name = claims.name.clone().unwrap_or_else(|| name.to_owned());
        validate_name(&name).map_err(|e| Refusal::new(e.code, e.message))?;
        let spec = self.store.room(room).await.map_err(|e| store_refusal(&e))?;
        self.enter(link, room, &name, &claims, spec)
    }

    /// The part of `join` after the store answered: enters `room` (defined by `spec`, or
    /// opened on the fly) under the hub's lock.
    fn enter(
        &self,
        link: PeerLink,
        room: &str,
        name: &str,
        claims: &Claims,
        spec: Option<RoomSpec>,
    ) -> Result<Attached, Refusal> {
        let name = name.to_owned();
        let (mode, max) = match spec {
            Some(spec) => (
                spec.mode,
                spec.max_participants.min(self.config.max_peers_per_room) as usize,
            ),
            None if self.config.auto_create_rooms => {
                (RoomMode::Mesh, self.config.max_peers_per_room as usize)
            }
            None => {
                return Err(Refusal::new(
                    ErrorCode::RoomNotFound,
                    format!("room {room:?} does not exist"),
                ))
            }
        };
        if mode == RoomMode::Match {
            return Err(Refusal::new(
                ErrorCode::WrongMode,
                format!("room {room:?} is a match room: send queueJoin"),
            ));
        }
        let mut hub = self.hub();
        if hub.rooms.room(room).is_none()
            && hub.rooms.room_count() >= self.config.max_rooms as usize
        {
            return Err(Refusal::new(
                ErrorCode::TooManyRooms,
                "the server holds as many rooms as it may",
            ));
        }
        if self.config.one_session_per_identity {
            // Frees the old seat before the capacity check; nothing after this can fail
            // (the room has at least that seat free), so no session is ended for nothing.
            let replaced = self.replace_identity(&mut hub, room, &claims.sub);
            self.deliver(&mut hub, replaced);
        }
        let peer_id = loop {
            let id = random_peer_id();
            if !hub.sessions.contains_key(&id) {
                break id;
            }
        };
        let member = Member {
            id: peer_id.clone(),
            name: name.clone(),
            role: claims.role,
            grants: claims.grants,
        };
        let (present, deliveries) = hub.rooms.join(room, mode, max, member)?;
        let (session, epoch) = self.new_session(claims, name, link, None, MatchPrefs::default());
        let welcome = self.welcome(&session, &peer_id, room, present);
        hub.by_session_id
            .insert(session.session_id.clone(), peer_id.clone());
        if let Some(cluster) = &self.cluster {
            cluster.session_opened(&session.session_id);
        }
        hub.sessions.insert(peer_id.clone(), session);
        hub.empty_since.remove(room);
        tracing::info!(peer = %peer_id, room, identity = %claims.sub, role = claims.role.as_str(), "joined");
        let mut all = vec![Delivery::new(&peer_id, welcome)];
        all.extend(deliveries);
        self.deliver(&mut hub, all);
        Ok(Attached { peer_id, epoch })
    }

    /// Relays a signal (see [`Rooms::signal`] for the rules).
    pub fn signal(&self, from: &str, to: &str, data: Value) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let is_candidate = data.get("kind").and_then(Value::as_str) == Some("candidate");
        let delivery = hub.rooms.signal(from, to, data)?;
        if is_candidate {
            if let Some(s) = hub.sessions.get_mut(from) {
                s.candidates_relayed += 1;
            }
        }
        self.deliver(&mut hub, vec![delivery]);
        Ok(())
    }

    /// Relays a signal read by the fast path ([`crate::relay`]): the same rules as
    /// [`AppState::signal`], and the receiver gets `data` as the sender wrote it.
    pub fn signal_raw(&self, from: &str, signal: &crate::relay::Signal<'_>) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let to = signal.to.as_ref();
        hub.rooms
            .check_signal(from, to, signal.kind.as_deref(), signal.sdp.as_deref())?;
        if signal.kind.as_deref() == Some("candidate") {
            if let Some(s) = hub.sessions.get_mut(from) {
                s.candidates_relayed += 1;
            }
        }
        let data = signal.data;
        let dropped = self.deliver_one(&mut hub, to, |seq| {
            crate::relay::signal_frame(from, data, seq)
        });
        self.deliver(&mut hub, dropped);
        Ok(())
    }

    /// Relays a chat line (see [`Rooms::chat`]).
    pub fn chat(
        &self,
        from: &str,
        text: &str,
        to: Option<&str>,
        id: Option<&str>,
    ) -> Result<(), Refusal> {
        if text.is_empty() || text.chars().count() > 4_000 {
            return Err(Refusal::new(
                ErrorCode::InvalidMessage,
                "chat text must be 1 to 4000 characters",
            ));
        }
        if id.is_some_and(|id| id.is_empty() || id.len() > 64) {
            return Err(Refusal::new(
                ErrorCode::InvalidMessage,
                "a chat id must be 1 to 64 bytes",
            ));
        }
        let sent_at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut hub = self.hub();
        let deliveries = hub.rooms.chat(from, text, to, id, sent_at)?;
        self.deliver(&mut hub, deliveries);
        Ok(())
    }

    /// Announces recording (see [`Rooms::recording`]).
    pub fn recording(&self, from: &str, active: bool) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let deliveries = hub.rooms.recording(from, active)?;
        self.deliver(&mut hub, deliveries);
        Ok(())
    }

    /// `promote` / `demote` (see [`Rooms::set_publish`]); the session keeps the new role
    /// and grants for as long as it lives (a rejoin starts again from its token).
    pub fn set_publish(&self, by: &str, target: &str, publish: bool) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let (member, deliveries) = hub.rooms.set_publish(by, target, publish)?;
        if let Some(session) = hub.sessions.get_mut(target) {
            session.role = member.role;
            session.grants = member.grants;
        }
        tracing::info!(by, peer = target, publish, "publish grant changed");
        self.deliver(&mut hub, deliveries);
        Ok(())
    }

    /// `raiseHand` (see [`Rooms::raise_hand`]).
    pub fn raise_hand(&self, from: &str, raised: bool) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let deliveries = hub.rooms.raise_hand(from, raised)?;
        self.deliver(&mut hub, deliveries);
        Ok(())
    }

    /// Stores a client's `report` and counts it in the metrics.
    pub fn report(&self, from: &str, report: Report) -> Result<(), Refusal> {
        if report.quality.is_some_and(|q| q > 100) {
            return Err(Refusal::new(
                ErrorCode::InvalidMessage,
                "quality must be 0..100",
            ));
        }
        if report
            .connection_state
            .as_ref()
            .is_some_and(|s| s.len() > 32)
            || report.failure_reason.as_ref().is_some_and(|s| s.len() > 64)
        {
            return Err(Refusal::new(
                ErrorCode::InvalidMessage,
                "report strings are too long",
            ));
        }
        let mut hub = self.hub();
        let hub = &mut *hub;
        let Some(session) = hub.sessions.get_mut(from) else {
            return Err(Refusal::new(ErrorCode::NotJoined, "join a room first"));
        };
        let about = report.peer_id.clone().unwrap_or_default();
        if !about.is_empty() {
            // The same rule as `signal` and `chat`: only a peer you can see.
            hub.rooms.check_visible(from, &about)?;
        }
        let entry = session.reports.entry(about).or_default();
        if report.connection_state.is_some() {
            entry.connection_state.clone_from(&report.connection_state);
        }
        if report.quality.is_some() {
            entry.quality = report.quality;
        }
        session.last_seen = Instant::now();
        self.metrics.client_report(
            report.connection_state.as_deref(),
            report.setup_ms,
            report.failure_reason.as_deref(),
        );
        Ok(())
    }

    /// `leave`: ends the session; the others hear `left`.
    pub fn leave(&self, peer: &str) {
        let mut hub = self.hub();
        let deliveries = self.end_session(&mut hub, peer, LeaveReason::Left);
        self.deliver(&mut hub, deliveries);
    }

    /// Ends room `name` (rooms API): every participant gets `roomEnded`, then its
    /// connection is closed normally. Returns how many participants there were.
    pub fn end_room(&self, name: &str, reason: &str) -> usize {
        let mut hub = self.hub();
        self.end_room_in(&mut hub, name, reason, None)
    }

    /// `endRoom`: the host `by` ends its room for everyone, itself included (reason
    /// `endedByHost`). The room's definition, if the rooms API made one, stays. Refused
    /// with `notJoined` and `forbidden` (no admin grant).
    pub fn end_room_by(&self, by: &str) -> Result<(), Refusal> {
        let mut hub = self.hub();
        let name = hub.rooms.room_to_end(by)?;
        let ended = self.end_room_in(&mut hub, &name, "endedByHost", Some(by));
        tracing::info!(by, room = %name, participants = ended, "room ended by a host");
        Ok(())
    }

    fn end_room_in(&self, hub: &mut Hub, name: &str, reason: &str, by: Option<&str>) -> usize {
        let members = hub.rooms.members(name).to_vec();
        for m in &members {
            let ended = ServerMessage::RoomEnded {
                room: name.to_owned(),
                reason: reason.to_owned(),
                by: by.map(str::to_owned),
            };
            self.deliver(hub, vec![Delivery::new(&m.id, ended)]);
            if let Some(link) = hub.sessions.get(&m.id).and_then(|s| s.link.clone()) {
                let _ = link.tx.try_send(Outgoing::Close(1000, "room ended"));
            }
        }
        hub.rooms.remove_room(name);
        for m in &members {
            self.forget_session(hub, &m.id);
        }
        hub.empty_since.remove(name);
        members.len()
    }

    /// Removes API rooms that have been empty longer than their empty timeout. In a
    /// cluster, a room owned by another live instance never counts as empty here (a room
    /// in use must never be removed); its owner sweeps it.
    pub async fn sweep_empty_rooms(&self) {
        if self.store.redis_stats().is_some() && self.cluster.is_none() {
            return;
        }
        let now = Instant::now();
        let specs = match self.store.rooms().await {
            Ok(specs) => specs,
            Err(e) => {
                tracing::debug!(error = %e, "cannot sweep empty rooms now");
                return;
            }
        };
        // In a cluster a room lives on its owner: one owned by another live instance may
        // have members there, so it is not empty here.
        let elsewhere = match &self.cluster {
            None => std::collections::HashSet::new(),
            Some(cluster) => {
                let names: Vec<&str> = specs
                    .iter()
                    .filter(|s| s.empty_timeout_secs > 0)
                    .map(|s| s.name.as_str())
                    .collect();
                match cluster.owned_elsewhere(&names).await {
                    Ok(set) => set,
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot sweep empty rooms now");
                        return;
                    }
                }
            }
        };
        let mut expired = Vec::new();
        {
            let mut hub = self.hub();
            for spec in specs {
                let live = hub.rooms.room(&spec.name).is_some() || elsewhere.contains(&spec.name);
                if live || spec.empty_timeout_secs == 0 {
                    hub.empty_since.remove(&spec.name);
                    continue;
                }
                let since = *hub.empty_since.entry(spec.name.clone()).or_insert(now);
                if now.duration_since(since).as_secs() >= spec.empty_timeout_secs {
                    hub.empty_since.remove(&spec.name);
                    expired.push(spec.name);
                }
            }
        }
        for name in expired {
            tracing::info!(room = %name, "removing a room that stayed empty");
            if let Err(e) = self.store.delete_room(&name).await {
                tracing::warn!(room = %name, error = %e, "cannot remove an empty room now");
            }
        }
    }

    /// Removes `peer`'s session and its place in rooms and queues; returns the
    /// `peerLeft` deliveries for the others.
    fn end_session(&self, hub: &mut Hub, peer: &str, reason: LeaveReason) -> Vec<Delivery> {
        let (deliveries, emptied) = hub.rooms.leave(peer, reason);
        if let Some(room) = emptied {
            hub.empty_since.insert(room, Instant::now());
        }
        self.forget_session(hub, peer);
        deliveries
    }

    fn forget_session(&self, hub: &mut Hub, peer: &str) {
        if let Some(session) = hub.sessions.remove(peer) {
            hub.by_session_id.remove(&session.session_id);
            if let Some(cluster) = &self.cluster {
                cluster.session_closed(&session.session_id);
            }
            if let Some(lobby) = session.lobby.as_deref() {
                let before = Self::waiting(hub, lobby);
                if let Some(queue) = hub.queues.get_mut(lobby) {
                    queue.remove(peer);
                }
                self.announce_positions(hub, lobby, &before);
            }
            self.metrics
                .session_ended(session.started.elapsed().as_secs_f64());
        }
    }

    /// Numbers each delivery with its session's next seq, keeps it for replay and queues
    /// it on the session's connection (if attached). A session that overflows is dropped:
    /// its connection closes with 1008 and the others hear `disconnected`, delivered the
    /// same way.
    fn deliver(&self, hub: &mut Hub, deliveries: Vec<Delivery>) {
        let mut queue: VecDeque<Delivery> = deliveries.into();
        while let Some(Delivery { to, message }) = queue.pop_front() {
            let dropped = self.deliver_one(hub, &to, |seq| message.to_json_with_seq(seq));
            queue.extend(dropped);
        }
    }

    /// [`AppState::deliver`] for one message to `to`, written by `text` with its seq;
    /// returns what the others must hear if `to` was dropped for not keeping up.
    fn deliver_one(
        &self,
        hub: &mut Hub,
        to: &str,
        text: impl FnOnce(u64) -> String,
    ) -> Vec<Delivery> {
        let max_unacked = self.config.max_unacked;
        let Some(session) = hub.sessions.get_mut(to) else {
            return Vec::new(); // dropped earlier in this same round
        };
        session.last_seq += 1;
        let text: Utf8Bytes = text(session.last_seq).into();
        let mut overflow = session.outbox.len() >= max_unacked
            || session.outbox_bytes + text.len() > self.config.max_unacked_bytes;
        if !overflow {
            session.outbox_bytes += text.len();
            session.outbox.push_back((session.last_seq, text.clone()));
            if let Some(link) = &session.link {
                // A closed queue means the connection is ending; the message waits
                // in the outbox for `resume`.
                overflow = matches!(
                    link.tx.try_send(Outgoing::Text(text)),
                    Err(mpsc::error::TrySendError::Full(_))
                );
            }
        }
        if !overflow {
            return Vec::new();
        }
        tracing::warn!(peer = %to, "dropping a session that does not keep up");
        if let Some(link) = session.link.take() {
            link.stop.cancel();
        }
        self.end_session(hub, to, LeaveReason::Disconnected)
    }
}

#[cfg(test)]
mod tests;
