//! App data over the data channels with backpressure: a send waits while a channel's
//! buffer is above the high-water mark, until the browser's `bufferedamountlow` says it
//! drained, so a fast sender neither grows memory without bound nor gets the channel
//! closed for an overflowing buffer. Text and binary alike. A send made while the
//! channels are still opening waits for them (`engine::data_plan`).

use super::js::error_message;
use crate::engine::data_plan::{self, ChannelState, Plan, OPEN_WAIT_MS};
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

/// Reads what an app hands to `sendData`: a string, an `ArrayBuffer` or a typed array, at
/// most [`MAX_MESSAGE_BYTES`]. Errors: `invalidArgument` for another type or a bigger one.
pub fn payload(data: &JsValue) -> Result<Payload, SteadyError> {
    use wasm_bindgen::JsCast;
    let payload = if let Some(text) = data.as_string() {
        Payload::Text(text)
    } else if data.is_instance_of::<js_sys::ArrayBuffer>() {
        Payload::Binary(js_sys::Uint8Array::new(data))
    } else if js_sys::ArrayBuffer::is_view(data) {
        let view: &js_sys::Uint8Array = data.unchecked_ref();
        Payload::Binary(js_sys::Uint8Array::new_with_byte_offset_and_length(
            &view.buffer(),
            view.byte_offset(),
            view.byte_length(),
        ))
    } else {
        return Err(SteadyError::new(
            ErrorCode::InvalidArgument,
            "sendData takes a string, an ArrayBuffer or a typed array",
        ));
    };
    if payload.byte_len() > MAX_MESSAGE_BYTES {
        let msg = format!("{} bytes; at most {MAX_MESSAGE_BYTES}", payload.byte_len());
        return Err(SteadyError::new(ErrorCode::InvalidArgument, msg));
    }
    Ok(payload)
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

fn state(channel: &RtcDataChannel) -> ChannelState {
    match channel.ready_state() {
        RtcDataChannelState::Connecting => ChannelState::Connecting,
        RtcDataChannelState::Open => ChannelState::Open,
        _ => ChannelState::Closed,
    }
}

/// The channels a send goes on (see [`crate::engine::data_plan`]): the open ones, or,
/// with none open, the ones that open within [`OPEN_WAIT_MS`] while it waits. Error:
/// `notConnected` when none is open or opens.
pub async fn targets(channels: Vec<RtcDataChannel>) -> Result<Vec<RtcDataChannel>, SteadyError> {
    let deadline = super::driver::now_ms() + u64::from(OPEN_WAIT_MS);
    loop {
        let states: Vec<ChannelState> = channels.iter().map(state).collect();
        let now = super::driver::now_ms();
        let plan = if now < deadline {
            data_plan::plan(&states)
        } else {
            data_plan::after_wait(&states)
        };
        match plan {
            Plan::Send(open) => return Ok(open.into_iter().map(|i| channels[i].clone()).collect()),
            Plan::NotConnected => {
                return Err(SteadyError::new(
                    ErrorCode::NotConnected,
                    "no data channel is open or opening",
                ))
            }
            Plan::Wait(opening) => {
                let waiting: Vec<&RtcDataChannel> = opening.iter().map(|&i| &channels[i]).collect();
                let left = u32::try_from(deadline.saturating_sub(now)).unwrap_or(OPEN_WAIT_MS);
                wait_for_change(&waiting, left).await;
            }
        }
    }
}

/// Returns when one of `channels` opens or closes, or after `ms`.
async fn wait_for_change(channels: &[&RtcDataChannel], ms: u32) {
    let (tx, rx) = oneshot::channel::<()>();
    let tx = Rc::new(RefCell::new(Some(tx)));
    let mut listeners = Vec::with_capacity(channels.len() * 2);
    for channel in channels {
        for event in ["open", "close"] {
            let tx = tx.clone();
            listeners.push(EventListener::new(channel, event, move |_| {
                if let Some(tx) = tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
            }));
        }
    }
    let _timeout = gloo_timers::callback::Timeout::new(ms, move || {
        if let Some(tx) = tx.borrow_mut().take() {
            let _ = tx.send(());
        }
    });
    let _ = rx.await;
    drop(listeners);
}
