//! The owner's side of a proxied socket: a task per (proxy, connection) that feeds the
//! client's frames, in order, to the same dispatch a local socket uses, and a forwarder
//! that sends the connection's outgoing queue back to the proxy.
//!
//! This part decides that a hosted connection behaves like a local one: refusals go
//! back as `error` frames, the session's messages go back numbered exactly as written
//! locally, and when the proxy says the socket is gone (or the relay lost something) the
//! session detaches and waits for `resume`, as with a dropped local socket.

use std::sync::Arc;

use parking_lot::Mutex;
use steadyrtc_protocol::{ClientMessage, ErrorCode};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{Cluster, Envelope, HOSTED_INBOX};
use crate::rooms::Refusal;
use crate::session::{connection_ended, dispatch};
use crate::state::{AppState, Attached, Outgoing, PeerLink};

/// What the task of a hosted connection is told.
#[derive(Debug)]
pub enum Inbound {
    Frame(String),
    Gone,
}

/// A frame for hosted connection (`proxy`, `conn`); starts its task on the first one.
pub fn frame(
    cluster: &Arc<Cluster>,
    state: &Arc<AppState>,
    proxy: String,
    conn: u64,
    text: String,
) {
    let key = (proxy, conn);
    let inbox = {
        let mut hosted = cluster.hosted.lock();
        match hosted.get(&key) {
            Some(inbox) => inbox.clone(),
            None => {
                let (tx, rx) = mpsc::channel(HOSTED_INBOX);
                hosted.insert(key.clone(), tx.clone());
                tokio::spawn(run(
                    Arc::clone(cluster),
                    Arc::clone(state),
                    key.0.clone(),
                    conn,
                    rx,
                ));
                tx
            }
        }
    };
    if inbox.try_send(Inbound::Frame(text)).is_err() {
        // Frames pile up faster than they are handled (the proxy limits rates, so this
        // is a stuck task): end the connection; the client resumes.
        end(cluster, state, &key.0, conn);
    }
}

/// Ends hosted connection (`proxy`, `conn`) as if its socket dropped.
pub fn end(cluster: &Cluster, _state: &Arc<AppState>, proxy: &str, conn: u64) {
    let inbox = cluster.hosted.lock().remove(&(proxy.to_owned(), conn));
    if let Some(inbox) = inbox {
        // If the inbox is full the task still ends: removing it closed its last sender
        // once the queued frames are handled.
        let _ = inbox.try_send(Inbound::Gone);
    }
}

async fn run(
    cluster: Arc<Cluster>,
    state: Arc<AppState>,
    proxy: String,
    conn: u64,
    mut inbox: mpsc::Receiver<Inbound>,
) {
    let (tx, rx) = mpsc::channel(state.config.max_unacked + 64);
    let stop = CancellationToken::new();
    let link = PeerLink {
        tx,
        stop: stop.clone(),
        via: Some(proxy.clone()),
    };
    let attached: Mutex<Option<Attached>> = Mutex::new(None);
    let forwarder = tokio::spawn(forward(
        Arc::clone(&cluster),
        Arc::clone(&state),
        proxy.clone(),
        conn,
        rx,
        stop.clone(),
    ));
    loop {
        let next = tokio::select! {
            biased;
            _ = stop.cancelled() => break,
            next = inbox.recv() => next,
        };
        let Some(Inbound::Frame(text)) = next else {
            break;
        };
        if cluster
            .handing_over
            .load(std::sync::atomic::Ordering::Acquire)
        {
            // This instance no longer holds sessions. A session-opening message is told
            // to try again (the next attempt finds the new owner); anything else is lost
            // like frames in flight on a socket that drops (the client resumes).
            let opening = ClientMessage::parse(&text).is_ok_and(|m| {
                matches!(
                    m,
                    ClientMessage::Join { .. }
                        | ClientMessage::Resume { .. }
                        | ClientMessage::QueueJoin { .. }
                )
            });
            if opening {
                let refusal = Refusal::new(
                    ErrorCode::Unavailable,
                    "the room's signaling instance is moving; try again",
                );
                let _ = link
                    .tx
                    .try_send(Outgoing::Text(refusal.to_message().to_json().into()));
                let _ = link.tx.try_send(Outgoing::Session(false));
            }
            continue;
        }
        let before = attached.lock().clone();
        let refusal = match ClientMessage::parse(&text) {
            Ok(message) => {
                let opening = matches!(
                    message,
                    ClientMessage::Join { .. }
                        | ClientMessage::Resume { .. }
                        | ClientMessage::QueueJoin { .. }
                );
                let claimed = match (&before, room_to_claim(&state, &message)) {
                    (None, Some(room)) => cluster.claim(&room).await,
                    _ => Ok(cluster.instance.clone()),
                };
                let result = match claimed {
                    Ok(owner) if owner == cluster.instance => {
                        dispatch(&state, &link, &attached, message).await.err()
                    }
                    // The room moved (its key expired and another instance took it) or
                    // Redis does not answer: the client tries again and is routed anew.
                    _ => Some(Refusal::new(
                        ErrorCode::Unavailable,
                        "the room's signaling instance changed; try again",
                    )),
                };
                let after = attached.lock().clone();
                if opening || before != after {
                    // Queued behind the answer, so the proxy learns it in order.
                    let _ = link.tx.try_send(Outgoing::Session(after.is_some()));
                }
                result
            }
            Err(e) => Some(Refusal::new(e.code, e.message)),
        };
        if let Some(refusal) = refusal {
            state.metrics.error(refusal.code);
            let text = refusal.to_message().to_json().into();
            if link.tx.try_send(Outgoing::Text(text)).is_err() {
                break;
            }
        }
    }
    cluster.hosted.lock().remove(&(proxy.clone(), conn));
    connection_ended(&state, attached.lock().take());
    stop.cancel();
    let _ = forwarder.await;
}

/// The room (or match queue) a session-opening message enters, which this instance must
/// own to serve it.
fn room_to_claim(state: &AppState, message: &ClientMessage) -> Option<String> {
    match message {
        ClientMessage::Join { room, .. } => Some(room.clone()),
        ClientMessage::QueueJoin { token, .. } => state.keys.verify(token).ok().map(|c| c.room),
        _ => None,
    }
}

/// Sends the hosted connection's outgoing queue to its proxy, in order; when the state
/// stops the link (a slow client, a newer connection) the proxy is told to close.
async fn forward(
    cluster: Arc<Cluster>,
    state: Arc<AppState>,
    proxy: String,
    conn: u64,
    mut rx: mpsc::Receiver<Outgoing>,
    stop: CancellationToken,
) {
    loop {
        let next = tokio::select! {
            biased;
            next = rx.recv() => next,
            _ = stop.cancelled() => {
                // Whatever is already queued still goes, then the close.
                let mut closed = false;
                while let Ok(out) = rx.try_recv() {
                    closed |= matches!(out, Outgoing::Close(..));
                    send(&cluster, &state, &proxy, conn, out);
                }
                if !closed {
                    send(&cluster, &state, &proxy, conn, Outgoing::Close(1008, "too slow to read messages"));
                }
                return;
            }
        };
        match next {
            Some(out) => {
                let closing = matches!(out, Outgoing::Close(..));
                send(&cluster, &state, &proxy, conn, out);
                if closing {
                    return;
                }
            }
            None => return,
        }
    }
}

fn send(cluster: &Cluster, state: &Arc<AppState>, proxy: &str, conn: u64, out: Outgoing) {
    let envelope = match out {
        Outgoing::Text(text) => Envelope::Out {
            conn,
            text: text.as_str().to_owned(),
        },
        Outgoing::Close(code, reason) => Envelope::Close {
            conn,
            code,
            reason: reason.to_owned(),
        },
        Outgoing::Session(attached) => Envelope::Session { conn, attached },
    };
    cluster.send(state, proxy, envelope);
}
