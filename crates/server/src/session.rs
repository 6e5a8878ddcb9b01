//! One WebSocket connection: a task that reads frames and acts on them, a task that
//! writes the connection's outgoing queue (and pings), joined with `select!`.
//!
//! This module decides how a frame is answered: oversize, binary, unparsable, refused
//! and rate-limited frames get an `error` frame (never replayed, no `seq`) and the
//! connection stays open, until too many of them within the abuse window close it with
//! 1008. It decides when a connection ends (client close, socket error, silence past the
//! heartbeat timeout, a full outgoing queue, a newer connection resuming its session,
//! server shutdown after `goAway`), and that a session whose connection ends without
//! `leave` waits for `resume`. It never panics on anything a client sends and never
//! awaits while holding a lock.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use parking_lot::Mutex;
use steadyrtc_protocol::{validate_room, ClientMessage, ErrorCode, ServerMessage};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{interval_at, sleep, timeout, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::cluster;
use crate::ratelimit::{AbuseMeter, TokenBucket};
use crate::rooms::Refusal;
use crate::state::{AppState, Attached, Outgoing, PeerLink};

/// How long the ending of a connection may wait for its other task or for the close
/// frame to go out.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Why the reading side stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The client sent a close frame or the stream ended.
    ClientClosed,
    /// Reading failed (reset, protocol violation, frame above the hard limit).
    SocketError,
    /// Nothing arrived for the heartbeat timeout.
    Idle,
    /// This connection's own queue was full (it does not read its answers).
    OwnQueueFull,
    /// Too many refused frames: closed with 1008.
    Abuse,
    /// Told to stop (dropped as slow, replaced by a resumed connection) or the writer ended.
    Stopped,
    /// The task panicked or had to be aborted.
    Aborted,
}

/// Serves one upgraded WebSocket from `ip` until it ends.
pub async fn run(socket: WebSocket, state: Arc<AppState>, ip: IpAddr) {
    let (mut sink, stream) = socket.split();
    let config = &state.config;
    let admitted = state.ips.lock().connect(
        ip,
        config.max_connections_per_ip,
        f64::from(config.rate_per_ip),
        f64::from(config.burst_per_ip),
        std::time::Instant::now(),
    );
    if !admitted {
        state.metrics.error(ErrorCode::TooManyConnections);
        let refusal = ServerMessage::error(
            ErrorCode::TooManyConnections,
            "too many connections from your address",
        );
        let _ = timeout(
            CLOSE_GRACE,
            sink.send(Message::Text(refusal.to_json().into())),
        )
        .await;
        let frame = CloseFrame {
            code: close_code::POLICY,
            reason: "too many connections".into(),
        };
        let _ = timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
        return;
    }
    state.metrics.connections_open.inc();
    state.metrics.connections_total.inc();

    let (tx, rx) = mpsc::channel(config.max_unacked + 64);
    let stop = CancellationToken::new();
    let link = PeerLink {
        tx,
        stop: stop.clone(),
        via: None,
    };
    let attached: Arc<Mutex<Option<Attached>>> = Arc::default();

    let mut reader = tokio::spawn(read_loop(
        stream,
        link,
        Arc::clone(&state),
        Arc::clone(&attached),
        ip,
    ));
    let mut writer = tokio::spawn(write_loop(sink, rx, stop.clone(), Arc::clone(&state)));

    let (end, sink) = tokio::select! {
        ended = &mut reader => {
            stop.cancel();
            (ended.unwrap_or(End::Aborted), join_or_abort(writer).await.flatten())
        }
        written = &mut writer => {
            stop.cancel();
            (join_or_abort(reader).await.unwrap_or(End::Aborted), written.ok().flatten())
        }
    };
    tracing::debug!(?end, "connection ended");

    let ended = attached.lock().take();
    connection_ended(&state, ended);
    if let (Some(mut sink), Some(frame)) = (sink, close_frame(end, &state.shutdown)) {
        let _ = timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
    }
    state.ips.lock().disconnect(ip);
    state.metrics.connections_open.dec();
}

/// A connection (local, or hosted for another instance's socket) ended without `leave`:
/// its session, if it has one, waits for `resume` for the resume window.
pub(crate) fn connection_ended(state: &Arc<AppState>, attached: Option<Attached>) {
    if let Some(Attached { peer_id, epoch }) = attached {
        if state.detach(&peer_id, epoch) {
            let state = Arc::clone(state);
            let window = state.config.resume_window();
            tokio::spawn(async move {
                sleep(window).await;
                state.expire(&peer_id, epoch);
            });
        }
    }
}

/// The close frame the server sends for `end`, if one is worth sending.
fn close_frame(end: End, shutdown: &CancellationToken) -> Option<CloseFrame> {
    let (code, reason) = match end {
        End::ClientClosed | End::SocketError | End::Aborted => return None,
        End::Abuse => (close_code::POLICY, "too many refused frames"),
        _ if shutdown.is_cancelled() => (close_code::AWAY, "server shutting down"),
        End::Idle => (close_code::AWAY, "heartbeat timeout"),
        End::OwnQueueFull | End::Stopped => (close_code::POLICY, "too slow to read messages"),
    };
    Some(CloseFrame {
        code,
        reason: reason.into(),
    })
}

/// Waits a short while for a task that was told to stop, then aborts it.
async fn join_or_abort<T>(mut handle: JoinHandle<T>) -> Option<T> {
    match timeout(CLOSE_GRACE, &mut handle).await {
        Ok(result) => result.ok(),
        Err(_) => {
            handle.abort();
            let _ = handle.await;
            None
        }
    }
}

async fn read_loop(
    mut stream: SplitStream<WebSocket>,
    link: PeerLink,
    state: Arc<AppState>,
    attached: Arc<Mutex<Option<Attached>>>,
    ip: IpAddr,
) -> End {
    let idle = state.config.heartbeat_timeout();
    let stop = link.stop.clone();
    let now = std::time::Instant::now();
    let mut conn = Connection {
        bucket: TokenBucket::new(
            f64::from(state.config.rate_per_connection),
            f64::from(state.config.burst_per_connection),
            now,
        ),
        abuse: AbuseMeter::new(state.config.abuse_limit, now),
        state,
        link,
        attached,
        ip,
        remote: None,
    };
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return End::Stopped,
            next = timeout(idle, stream.next()) => next,
        };
        let frame = match next {
            Err(_) => {
                tracing::info!(peer = conn.peer_id(), "closing a silent connection");
                return End::Idle;
            }
            Ok(None) => return End::ClientClosed,
            Ok(Some(Err(e))) => {
                tracing::info!(peer = conn.peer_id(), error = %e, "websocket read failed");
                return End::SocketError;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let refusal = match frame {
            Message::Text(text) => conn.on_text(text.as_str()).await.err(),
            Message::Binary(_) => Some(Refusal::new(
                ErrorCode::BinaryNotSupported,
                "binary frames are not part of the protocol; send JSON text frames",
            )),
            // The WebSocket layer answers pings itself; pongs only prove liveness.
            Message::Ping(_) | Message::Pong(_) => None,
            // Keep reading: the next read sends the close reply and ends the stream.
            Message::Close(_) => None,
        };
        if let Some(refusal) = refusal {
            if let Some(end) = conn.refuse(refusal) {
                return end;
            }
        }
    }
}

/// Sends the queue, pings every heartbeat interval, and on shutdown sends `goAway`,
/// waits the drain time, and closes with 1001.
async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
    state: Arc<AppState>,
) -> Option<SplitSink<WebSocket, Message>> {
    let every = state.config.heartbeat_interval();
    let mut ping = interval_at(Instant::now() + every, every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let ping_text: Utf8Bytes = ServerMessage::Ping {}.to_json().into();
    let drain = Duration::from_millis(state.config.drain_ms);
    let mut going_away: Option<Instant> = None;
    loop {
        let deadline = going_away.map(|t| t + drain);
        let frame = tokio::select! {
            biased;
            _ = stop.cancelled() => return Some(sink),
            _ = state.shutdown.cancelled(), if going_away.is_none() => {
                going_away = Some(Instant::now());
                let msg = ServerMessage::GoAway { reason: "shutdown".into(), reconnect_in_ms: state.config.drain_ms };
                Message::Text(msg.to_json().into())
            }
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => {
                return Some(sink);
            }
            msg = rx.recv() => match msg {
                Some(Outgoing::Text(text)) => Message::Text(text),
                Some(Outgoing::Session(_)) => continue,
                Some(Outgoing::Close(code, reason)) => {
                    let frame = CloseFrame { code, reason: reason.into() };
                    let _ = timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
                    return None;
                }
                None => return Some(sink),
            },
            _ = ping.tick() => Message::Text(ping_text.clone()),
        };
        let sent = tokio::select! {
            biased;
            _ = stop.cancelled() => return Some(sink),
            sent = sink.send(frame) => sent,
        };
        if let Err(e) = sent {
            tracing::debug!(error = %e, "websocket write failed");
            return None;
        }
    }
}

/// What the reading side knows about its connection.
struct Connection {
    state: Arc<AppState>,
    link: PeerLink,
    attached: Arc<Mutex<Option<Attached>>>,
    bucket: TokenBucket,
    abuse: AbuseMeter,
    ip: IpAddr,
    /// With a cluster: the instance serving this socket's session when it is not this
    /// one, and this socket's relay id there.
    remote: Option<Remote>,
}

/// Where a proxied socket's frames go.
struct Remote {
    owner: String,
    conn: u64,
    /// What the owner last said about the session ([`cluster::ROUTE_PENDING`], ...).
    status: Arc<AtomicU8>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.unroute();
    }
}

impl Connection {
    /// Stops relaying this socket to another instance (that instance hears `gone`).
    fn unroute(&mut self) {
        if let (Some(cluster), Some(remote)) = (&self.state.cluster, self.remote.take()) {
            cluster.unproxy(&self.state, remote.conn);
        }
    }

    /// With a cluster: whether `message` goes to another instance, deciding (and, for a
    /// session-opening message, claiming) where this socket's session lives. Local is
    /// the answer whenever this instance owns the room or session, or must answer the
    /// message itself (no session anywhere, a bad room name or token).
    async fn routed_elsewhere(&mut self, message: &ClientMessage) -> Result<bool, Refusal> {
        let Some(cluster) = self.state.cluster.clone() else {
            return Ok(false);
        };
        let opening = is_opening(message);
        if let Some(remote) = &self.remote {
            if remote.status.load(Ordering::Acquire) != cluster::ROUTE_DETACHED {
                return Ok(true);
            }
            // The owner says this socket has no session there any more.
            self.unroute();
        }
        if !opening || self.attached.lock().is_some() {
            return Ok(false);
        }
        let owner = match message {
            ClientMessage::Join { room, .. } => {
                if validate_room(room).is_err() {
                    return Ok(false);
                }
                cluster.claim(room).await
            }
            ClientMessage::QueueJoin { token, .. } => match self.state.keys.verify(token) {
                Ok(claims) => cluster.claim(&claims.room).await,
                Err(_) => return Ok(false),
            },
            ClientMessage::Resume { session_id, .. } => {
                if self.state.has_session(session_id) {
                    return Ok(false);
                }
                match cluster.session_owner(session_id).await {
                    Ok(Some(owner)) => Ok(owner),
                    Ok(None) => return Ok(false),
                    Err(e) => {
                        // The session may well live on (on another instance): rather
                        // than refuse `resume` (a client then abandons the session),
                        // close so that the client retries with its backoff.
                        let _ = self
                            .link
                            .tx
                            .try_send(Outgoing::Close(1012, "signaling instance lost"));
                        Err(e)
                    }
                }
            }
            _ => return Ok(false),
        };
        let owner = owner.map_err(|e| {
            tracing::warn!(error = %e, "cannot route a new session: Redis does not answer");
            Refusal::new(
                ErrorCode::Unavailable,
                "the server's shared store does not answer; try again shortly",
            )
        })?;
        if owner == cluster.instance {
            return Ok(false);
        }
        let remote = Remote {
            owner,
            conn: cluster.next_conn_id(),
            status: Arc::new(AtomicU8::new(cluster::ROUTE_PENDING)),
        };
        cluster.proxy(
            remote.conn,
            cluster::Proxied {
                owner: remote.owner.clone(),
                tx: self.link.tx.clone(),
                stop: self.link.stop.clone(),
                attached: Arc::clone(&remote.status),
            },
        );
        self.remote = Some(remote);
        Ok(true)
    }

    fn peer_id(&self) -> Option<String> {
        self.attached.lock().as_ref().map(|a| a.peer_id.clone())
    }

    /// Sends the `error` frame for `refusal` and counts a strike; returns how the
    /// connection ends if it must.
    fn refuse(&mut self, refusal: Refusal) -> Option<End> {
        tracing::debug!(peer = self.peer_id(), code = %refusal.code, message = %refusal.message, "refused a frame");
        self.state.metrics.error(refusal.code);
        let text = refusal.to_message().to_json().into();
        match self.link.tx.try_send(Outgoing::Text(text)) {
            Ok(()) => {}
            Err(_) => return Some(End::OwnQueueFull),
        }
        if self.abuse.strike(std::time::Instant::now()) {
            tracing::warn!(peer = self.peer_id(), ip = %self.ip, "closing an abusive connection");
            self.state.metrics.abuse_closes_total.inc();
            return Some(End::Abuse);
        }
        None
    }

    /// Takes one frame's token from this connection's and its address's buckets.
    fn rate_limit(&mut self) -> Result<(), Refusal> {
        let now = std::time::Instant::now();
        let own = self.bucket.try_take(now);
        if !own || !self.state.ips.lock().try_take(self.ip, now) {
            return Err(Refusal::new(
                ErrorCode::RateLimited,
                "too many messages; slow down",
            ));
        }
        Ok(())
    }

    /// Acts on one text frame.
    async fn on_text(&mut self, text: &str) -> Result<(), Refusal> {
        let limit = self.state.config.max_frame_bytes;
        if text.len() > limit {
            return Err(Refusal::new(
                ErrorCode::FrameTooLarge,
                format!("frame is {} bytes; the limit is {limit}", text.len()),
            ));
        }
        // The fast path for `signal`, on a socket whose session lives here (a proxied
        // socket's frames go to their instance as text, the general way).
        if self.remote.is_none() {
            if let Some(signal) = crate::relay::parse(text) {
                self.rate_limit()?;
                let me = self.peer_id();
                let Some(me) = me else {
                    return Err(Refusal::new(ErrorCode::NotJoined, "join a room first"));
                };
                self.state.signal_raw(&me, &signal)?;
                self.state.metrics.relayed("signal");
                return Ok(());
            }
        }
        let message = ClientMessage::parse(text).map_err(|e| Refusal::new(e.code, e.message))?;
        // Acks and pongs are the protocol's own bookkeeping: they never count against
        // the rate limits, so a client receiving a burst can acknowledge all of it.
        if !matches!(message, ClientMessage::Ack { .. } | ClientMessage::Pong {}) {
            self.rate_limit()?;
        }
        let kind = message.type_name();
        if self.routed_elsewhere(&message).await? {
            if let (Some(cluster), Some(remote)) = (&self.state.cluster, &self.remote) {
                cluster.forward(&self.state, &remote.owner, remote.conn, text);
            }
            if matches!(message, ClientMessage::Leave {}) {
                // No session there any more: the next opening message is routed afresh.
                self.unroute();
            }
        } else {
            dispatch(&self.state, &self.link, &self.attached, message).await?;
        }
        self.state.metrics.relayed(kind);
        Ok(())
    }
}

fn is_opening(message: &ClientMessage) -> bool {
    matches!(
        message,
        ClientMessage::Join { .. } | ClientMessage::Resume { .. } | ClientMessage::QueueJoin { .. }
    )
}

/// Acts on one client message for a connection with outgoing queue `link` and session
/// `attached`: a local socket's, or one hosted for another instance's socket.
pub(crate) async fn dispatch(
    state: &Arc<AppState>,
    link: &PeerLink,
    attached: &Mutex<Option<Attached>>,
    message: ClientMessage,
) -> Result<(), Refusal> {
    let state = Arc::clone(state);
    let current = attached.lock().clone();
    // The server pings every connection, with or without a session (before `join`,
    // after `leave`): answering never needs one. An ack with no session has nothing
    // to forget; any frame already counted as a sign of life.
    if current.is_none() && matches!(message, ClientMessage::Pong {} | ClientMessage::Ack { .. }) {
        return Ok(());
    }
    if is_opening(&message) {
        if current.is_some() {
            return Err(Refusal::new(
                ErrorCode::AlreadyJoined,
                "this connection already has a session; send leave first",
            ));
        }
        let link = link.clone();
        let opened = match message {
            ClientMessage::Join {
                protocol_version,
                room,
                name,
                token,
            } => {
                state
                    .join(link, protocol_version, &room, &name, token.as_deref())
                    .await?
            }
            ClientMessage::Resume {
                protocol_version,
                session_id,
                last_seq,
            } => state.resume(link, protocol_version, &session_id, last_seq)?,
            ClientMessage::QueueJoin {
                protocol_version,
                name,
                token,
                prefs,
            } => {
                state
                    .queue_join(link, protocol_version, &name, &token, prefs)
                    .await?
            }
            _ => return Ok(()),
        };
        *attached.lock() = Some(opened);
        return Ok(());
    }
    let Some(Attached { peer_id: me, .. }) = current else {
        return Err(Refusal::new(ErrorCode::NotJoined, "join a room first"));
    };
    match message {
        ClientMessage::Signal { to, data } => state.signal(&me, &to, data),
        ClientMessage::Ack { seq } => {
            state.ack(&me, seq);
            Ok(())
        }
        ClientMessage::Pong {} => {
            state.touch(&me);
            Ok(())
        }
        ClientMessage::Chat { text, to, id } => state
            .chat(&me, &text, to.as_deref(), id.as_deref())
            .map_err(|r| r.about(id)),
        ClientMessage::Recording { active } => state.recording(&me, active),
        ClientMessage::Report(report) => state.report(&me, report),
        ClientMessage::QueueNext {} => state.queue_next(&me),
        ClientMessage::QueueLeave {} => state.queue_leave(&me),
        ClientMessage::Promote { peer_id } => state.set_publish(&me, &peer_id, true),
        ClientMessage::Demote { peer_id } => state.set_publish(&me, &peer_id, false),
        ClientMessage::RaiseHand { raised } => state.raise_hand(&me, raised),
        ClientMessage::EndRoom {} => {
            state.end_room_by(&me)?;
            *attached.lock() = None;
            Ok(())
        }
        ClientMessage::Leave {} => {
            state.leave(&me);
            *attached.lock() = None;
            Ok(())
        }
        ClientMessage::Join { .. }
        | ClientMessage::Resume { .. }
        | ClientMessage::QueueJoin { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_frames_say_why_the_server_closed() {
        let running = CancellationToken::new();
        let shut = CancellationToken::new();
        shut.cancel();
        assert_eq!(close_frame(End::ClientClosed, &running), None);
        assert_eq!(close_frame(End::SocketError, &shut), None);
        assert_eq!(
            close_frame(End::Idle, &running).map(|f| f.code),
            Some(close_code::AWAY)
        );
        assert_eq!(
            close_frame(End::Stopped, &running).map(|f| f.code),
            Some(close_code::POLICY)
        );
        assert_eq!(
            close_frame(End::Abuse, &shut).map(|f| f.code),
            Some(close_code::POLICY)
        );
        assert_eq!(
            close_frame(End::Stopped, &shut).map(|f| f.code),
            Some(close_code::AWAY)
        );
    }
}
