//! The WebSocket to the signaling server: opens it, turns frames into
//! [`SignalingEvent`]s on a channel, and sends [`ClientMessage`]s. It owns its handlers and
//! closes the socket when dropped.
//!
//! It also keeps the protocol's own bookkeeping away from its users: every numbered
//! server message is acknowledged (`ack {seq}`) as it arrives, and the server's `ping` is
//! answered with `pong` and not reported. [`SignalingClient::last_seq`] is what a later
//! `resume` names.

use crate::error::{ErrorCode, SteadyError};
use futures::channel::mpsc::UnboundedSender;
use gloo_events::EventListener;
use std::cell::Cell;
use std::rc::Rc;
use steadyrtc_protocol::{ClientMessage, ServerMessage};
use wasm_bindgen::JsCast;
use web_sys::{CloseEvent, MessageEvent, WebSocket};

/// What the socket reports.
#[derive(Debug)]
pub enum SignalingEvent {
    Open,
    Message(ServerMessage),
    /// The server's heartbeat `ping` arrived (already answered with `pong`).
    Alive,
    /// A frame from the server that is not a protocol message (logged, then ignored).
    BadFrame(String),
    /// The socket closed (after an error too: browsers always follow `error` with `close`).
    Closed {
        code: u16,
        reason: String,
        was_open: bool,
    },
}

/// An open or opening signaling socket.
pub struct SignalingClient {
    socket: WebSocket,
    last_seq: Rc<Cell<u64>>,
    _listeners: [EventListener; 3],
}

impl SignalingClient {
    /// Starts connecting to `url`; events arrive on `events`.
    pub fn connect(
        url: &str,
        events: UnboundedSender<SignalingEvent>,
    ) -> Result<Self, SteadyError> {
        let socket = WebSocket::new(url).map_err(|e| {
            SteadyError::new(
                ErrorCode::SignalingUnreachable,
                format!("cannot open {url}: {}", super::js::error_message(&e)),
            )
        })?;
        let opened = Rc::new(Cell::new(false));
        let open = {
            let tx = events.clone();
            let opened = opened.clone();
            EventListener::new(&socket, "open", move |_| {
                opened.set(true);
                let _ = tx.unbounded_send(SignalingEvent::Open);
            })
        };
        let last_seq = Rc::new(Cell::new(0u64));
        let message = {
            let tx = events.clone();
            let last_seq = last_seq.clone();
            let replier = socket.clone();
            EventListener::new(&socket, "message", move |event| {
                let Some(text) = event
                    .dyn_ref::<MessageEvent>()
                    .and_then(|m| m.data().as_string())
                else {
                    let _ = tx.unbounded_send(SignalingEvent::BadFrame("non-text frame".into()));
                    return;
                };
                let event = match ServerMessage::parse_frame(&text) {
                    Ok((_, ServerMessage::Ping {})) => {
                        let _ = replier.send_with_str(&ClientMessage::Pong {}.to_json());
                        SignalingEvent::Alive
                    }
                    Ok((seq, msg)) => {
                        if let Some(seq) = seq {
                            // A replay after `resume` never goes backwards; ignore one that does.
                            if seq <= last_seq.get() {
                                return;
                            }
                            last_seq.set(seq);
                            let _ = replier.send_with_str(&ClientMessage::Ack { seq }.to_json());
                        }
                        SignalingEvent::Message(msg)
                    }
                    Err(e) => SignalingEvent::BadFrame(e.to_string()),
                };
                let _ = tx.unbounded_send(event);
            })
        };
        let close = {
            let tx = events;
            EventListener::new(&socket, "close", move |event| {
                let (code, reason) = event
                    .dyn_ref::<CloseEvent>()
                    .map(|c| (c.code(), c.reason()))
                    .unwrap_or((1006, String::new()));
                let _ = tx.unbounded_send(SignalingEvent::Closed {
                    code,
                    reason,
                    was_open: opened.get(),
                });
            })
        };
        Ok(Self {
            socket,
            last_seq,
            _listeners: [open, message, close],
        })
    }

    /// Sends one message. Fails with `signalingClosed` when the socket is not open.
    pub fn send(&self, message: &ClientMessage) -> Result<(), SteadyError> {
        if self.socket.ready_state() != WebSocket::OPEN {
            return Err(SteadyError::new(
                ErrorCode::SignalingClosed,
                "the signaling socket is not open",
            ));
        }
        self.socket
            .send_with_str(&message.to_json())
            .map_err(|e| SteadyError::new(ErrorCode::SignalingClosed, super::js::error_message(&e)))
    }

    /// The sequence number of the last numbered message received (0 before any): the
    /// `lastSeq` of a `resume`.
    pub fn last_seq(&self) -> u64 {
        self.last_seq.get()
    }

    /// Continues the numbering of a resumed session on this new socket: messages with a
    /// `seq` up to `seq` are treated as already received (dropped, not reported). Call it
    /// before sending `resume {sessionId, lastSeq: seq}`.
    pub fn continue_from(&self, seq: u64) {
        self.last_seq.set(seq);
    }

    /// Closes the socket normally.
    pub fn close(&self) {
        let _ = self.socket.close_with_code(1000);
    }
}

impl Drop for SignalingClient {
    fn drop(&mut self) {
        self.close();
    }
}
