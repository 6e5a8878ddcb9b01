//! The WebSocket to the signaling server: opens it, turns frames into
//! [`SignalingEvent`]s on a channel, and sends [`ClientMessage`]s. It owns its handlers and
//! closes the socket when dropped.
//!
//! It answers the server's `ping` with `pong` at once (reported as `Alive`). Everything
//! else is reported with its `seq`: numbering, acknowledgement and replay are the room
//! engine's decisions.

use crate::error::{ErrorCode, SteadyError};
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
    /// A protocol message, with its sequence number if the server numbered it.
    Frame {
        seq: Option<u64>,
        message: ServerMessage,
    },
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
    _listeners: [EventListener; 3],
}

/// Where a socket's events go.
pub type SignalingHandler = Rc<dyn Fn(SignalingEvent)>;

impl SignalingClient {
    /// Starts connecting to `url`; events arrive on `events`.
    pub fn connect(url: &str, events: SignalingHandler) -> Result<Self, SteadyError> {
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
                tx(SignalingEvent::Open);
            })
        };
        let message = {
            let tx = events.clone();
            let replier = socket.clone();
            EventListener::new(&socket, "message", move |event| {
                let Some(text) = event
                    .dyn_ref::<MessageEvent>()
                    .and_then(|m| m.data().as_string())
                else {
                    return tx(SignalingEvent::BadFrame("non-text frame".into()));
                };
                let event = match ServerMessage::parse_frame(&text) {
                    Ok((_, ServerMessage::Ping {})) => {
                        let _ = replier.send_with_str(&ClientMessage::Pong {}.to_json());
                        SignalingEvent::Alive
                    }
                    Ok((seq, message)) => SignalingEvent::Frame { seq, message },
                    Err(e) => SignalingEvent::BadFrame(e.to_string()),
                };
                tx(event);
            })
        };
        let close = {
            let tx = events;
            EventListener::new(&socket, "close", move |event| {
                let (code, reason) = event
                    .dyn_ref::<CloseEvent>()
                    .map(|c| (c.code(), c.reason()))
                    .unwrap_or((1006, String::new()));
                tx(SignalingEvent::Closed {
                    code,
                    reason,
                    was_open: opened.get(),
                });
            })
        };
        Ok(Self {
            socket,
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

    /// Whether the socket is fully closed.
    pub fn is_closed(&self) -> bool {
        self.socket.ready_state() == WebSocket::CLOSED
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
