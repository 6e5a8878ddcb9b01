//! One WebSocket connection: a task that reads frames and acts on them, a task that
//! writes the connection's outgoing queue (and pings), joined with `select!`.
//!
//! This module decides how a frame is answered: oversize, binary and unparsable frames
//! get an `error` frame and the connection stays open; `join`, `signal` and `leave` go to
//! [`AppState`]. It also decides when a connection ends (client close, socket error,
//! silence past the idle timeout, a full outgoing queue, server shutdown) and that a peer
//! whose connection ends without `leave` is reported as `disconnected`. It never panics on
//! anything a client sends and never awaits while holding the shared lock.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use steadyrtc_protocol::{
    ClientMessage, ErrorCode, LeaveReason, PeerId, ServerMessage, MAX_FRAME_BYTES,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{interval_at, timeout, Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::state::{AppState, PeerLink};

/// Messages that may wait for one connection's writer. A peer that lets more than this
/// pile up is dropped rather than buffered without bound.
pub const OUTGOING_QUEUE: usize = 256;

/// The largest frame the WebSocket layer reads at all. Frames between
/// [`MAX_FRAME_BYTES`] and this get a `frameTooLarge` answer; larger ones end the
/// connection (the socket cannot skip a frame it refuses to buffer).
pub const HARD_FRAME_LIMIT: usize = 16 * MAX_FRAME_BYTES;
const _: () = assert!(HARD_FRAME_LIMIT > MAX_FRAME_BYTES);

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
    /// Nothing arrived for the idle timeout.
    Idle,
    /// This connection's own queue was full (it does not read its answers).
    OwnQueueFull,
    /// Told to stop: server shutdown, or dropped as a slow peer by the hub, or the
    /// writer ended.
    Stopped,
    /// The task panicked or had to be aborted.
    Aborted,
}

/// Serves one upgraded WebSocket until it ends.
pub async fn run(socket: WebSocket, state: Arc<AppState>) {
    let (sink, stream) = socket.split();
    let (tx, rx) = mpsc::channel(OUTGOING_QUEUE);
    let stop = state.shutdown.child_token();
    let link = PeerLink {
        tx,
        stop: stop.clone(),
    };

    let mut reader = tokio::spawn(read_loop(stream, link, Arc::clone(&state)));
    let mut writer = tokio::spawn(write_loop(
        sink,
        rx,
        stop.clone(),
        state.config.ping_interval(),
    ));

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

    if let (Some(mut sink), Some(frame)) = (sink, close_frame(end, &state.shutdown)) {
        let _ = timeout(CLOSE_GRACE, sink.send(Message::Close(Some(frame)))).await;
    }
}

/// The close frame the server sends for `end`, if one is worth sending.
fn close_frame(end: End, shutdown: &CancellationToken) -> Option<CloseFrame> {
    let (code, reason) = match end {
        End::ClientClosed | End::SocketError | End::Aborted => return None,
        _ if shutdown.is_cancelled() => (close_code::AWAY, "server shutting down"),
        End::Idle => (close_code::AWAY, "idle timeout"),
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
) -> End {
    let idle = state.config.idle_timeout();
    let stop = link.stop.clone();
    let mut session = Session {
        state,
        link,
        membership: None,
    };
    loop {
        let next = tokio::select! {
            _ = stop.cancelled() => return End::Stopped,
            next = timeout(idle, stream.next()) => next,
        };
        let frame = match next {
            Err(_) => {
                tracing::info!(peer = session.peer_id(), "closing idle connection");
                return End::Idle;
            }
            Ok(None) => return End::ClientClosed,
            Ok(Some(Err(e))) => {
                tracing::info!(peer = session.peer_id(), error = %e, "websocket read failed");
                return End::SocketError;
            }
            Ok(Some(Ok(frame))) => frame,
        };
        let answer = match frame {
            Message::Text(text) => session.on_text(text.as_str()),
            Message::Binary(_) => Some(ServerMessage::error(
                ErrorCode::BinaryNotSupported,
                "binary frames are not part of the protocol; send JSON text frames",
            )),
            // The WebSocket layer answers pings itself; pongs only prove liveness.
            Message::Ping(_) | Message::Pong(_) => None,
            // Keep reading: the next read sends the WebSocket layer's close reply and then
            // reports the end of the stream.
            Message::Close(_) => None,
        };
        if let Some(answer) = answer {
            if !session.answer(answer) {
                return End::OwnQueueFull;
            }
        }
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<ServerMessage>,
    stop: CancellationToken,
    ping_every: Duration,
) -> Option<SplitSink<WebSocket, Message>> {
    let mut ping = interval_at(Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let frame = tokio::select! {
            biased;
            _ = stop.cancelled() => return Some(sink),
            msg = rx.recv() => match msg {
                Some(msg) => Message::Text(msg.to_json().into()),
                None => return Some(sink),
            },
            _ = ping.tick() => Message::Ping(Bytes::new()),
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
struct Session {
    state: Arc<AppState>,
    link: PeerLink,
    membership: Option<Membership>,
}

impl Session {
    fn peer_id(&self) -> Option<&str> {
        self.membership.as_ref().map(|m| m.id.as_str())
    }

    /// Queues an answer for this connection; false if its queue is full or closed.
    fn answer(&self, message: ServerMessage) -> bool {
        if let ServerMessage::Error { code, message } = &message {
            tracing::debug!(peer = self.peer_id(), %code, message, "refused a frame");
        }
        match self.link.tx.try_send(message) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(peer = self.peer_id(), error = %e, "cannot queue an answer; closing");
                false
            }
        }
    }

    /// Acts on one text frame; returns the answer for this connection, if any.
    fn on_text(&mut self, text: &str) -> Option<ServerMessage> {
        if text.len() > MAX_FRAME_BYTES {
            return Some(ServerMessage::error(
                ErrorCode::FrameTooLarge,
                format!(
                    "frame is {} bytes; the limit is {MAX_FRAME_BYTES}",
                    text.len()
                ),
            ));
        }
        let message = match ClientMessage::parse(text) {
            Ok(message) => message,
            Err(e) => return Some(ServerMessage::error(e.code, e.message)),
        };
        match message {
            ClientMessage::Join {
                protocol_version,
                room,
                name,
            } => {
                if let Some(m) = &self.membership {
                    return Some(ServerMessage::error(
                        ErrorCode::AlreadyJoined,
                        format!("already in room {:?}; send leave first", m.room),
                    ));
                }
                match self
                    .state
                    .join(self.link.clone(), protocol_version, &room, &name)
                {
                    Ok(id) => {
                        self.membership = Some(Membership {
                            state: Arc::clone(&self.state),
                            id,
                            room,
                            left: false,
                        });
                        None
                    }
                    Err(refusal) => Some(refusal.to_message()),
                }
            }
            ClientMessage::Signal { to, data } => match &self.membership {
                None => Some(not_joined()),
                Some(m) => self
                    .state
                    .signal(&m.id, &to, data)
                    .err()
                    .map(|r| r.to_message()),
            },
            ClientMessage::Leave {} => match self.membership.take() {
                None => Some(not_joined()),
                Some(m) => {
                    m.leave();
                    None
                }
            },
        }
    }
}

fn not_joined() -> ServerMessage {
    ServerMessage::error(ErrorCode::NotJoined, "join a room first")
}

/// This connection's place in a room. Dropping it without [`Membership::leave`] tells the
/// room the peer disconnected, whichever way the connection ended.
struct Membership {
    state: Arc<AppState>,
    id: PeerId,
    room: String,
    left: bool,
}

impl Membership {
    fn leave(mut self) {
        self.left = true;
        self.state.leave(&self.id, LeaveReason::Left);
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        if !self.left {
            self.state.leave(&self.id, LeaveReason::Disconnected);
        }
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
            close_frame(End::Stopped, &shut).map(|f| f.code),
            Some(close_code::AWAY)
        );
    }
}
