//! App data over the data channels with backpressure: a send waits while a channel's
//! buffer is above the high-water mark, until the browser's `bufferedamountlow` says it
//! drained, so a fast sender neither grows memory without bound nor gets the channel
//! closed for an overflowing buffer. Text and binary alike.

use super::js::error_message;
use crate::error::{ErrorCode, SteadyError};
use futures::channel::oneshot;
use gloo_events::EventListener;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use web_sys::{RtcDataChannel, RtcDataChannelState};

/// Above this many buffered bytes a send waits.
pub const HIGH_WATER_BYTES: u32 = 1024 * 1024;
/// The browser says the buffer drained when it falls to this.
pub const LOW_WATER_BYTES: u32 = 256 * 1024;
/// Largest message (what every browser's SCTP accepts).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// What to send.
pub enum Payload {
    Text(String),
    Binary(js_sys::Uint8Array),
}

impl Payload {
    pub fn byte_len(&self) -> usize {
        match self {
            Payload::Text(t) => t.len(),
            Payload::Binary(b) => b.length() as usize,
        }
    }
}

/// Sends `payload` on `channel` once its buffer has room.
pub async fn send(channel: &RtcDataChannel, payload: &Payload) -> Result<(), SteadyError> {
    if channel.buffered_amount() > HIGH_WATER_BYTES {
        let (tx, rx) = oneshot::channel::<()>();
        let tx = Rc::new(RefCell::new(Some(tx)));
        let waker = |tx: Rc<RefCell<Option<oneshot::Sender<()>>>>| {
            move |_: &web_sys::Event| {
                if let Some(tx) = tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
            }
        };
        let _low = EventListener::new(channel, "bufferedamountlow", waker(tx.clone()));
        let _closed = EventListener::new(channel, "close", waker(tx));
        let _ = rx.await;
    }
    if channel.ready_state() != RtcDataChannelState::Open {
        return Err(SteadyError::new(
            ErrorCode::NotConnected,
            "the data channel closed before the message could be sent",
        ));
    }
    let sent = match payload {
        Payload::Text(text) => channel.send_with_str(text),
        Payload::Binary(bytes) => channel.send_with_array_buffer_view(bytes),
    };
    sent.map_err(|e: JsValue| SteadyError::new(ErrorCode::NotConnected, error_message(&e)))
}
