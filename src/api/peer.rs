//! `Peer`: a call to one remote peer over the app's own signaling, on the engine and
//! driver a `Room` uses for each of its connections. Construct it, attach handlers
//! (`signal` first: carry each one to the other side and hand it to its `signal()`),
//! then `connect()`. `close()`, `free()` and dropping it release the connection and the
//! media it captured.
//!
//! Nothing here decides: options are parsed and checked (`crate::options`), signals are
//! read by the engine's `parse_signal`, and [`PeerCallEngine`] says what happens.

use super::events::EventName;
use super::peer_driver::{PeerCtx, PeerDriver};
use crate::browser::driver::Driver;
use crate::browser::{data, media};
use crate::engine::peer_call::{parse_signal, PeerCallConfig, PeerCallEngine, PeerCallInput};
use crate::error::{ErrorCode, SteadyError};
use crate::options::PeerOptions;
use js_sys::Function;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

/// What `connect` puts on the connection.
enum Media {
    None,
    Capture { audio: bool, video: bool },
    Given(MediaStream),
}

/// A call to one peer over your own signaling (bring your own WebSocket, HTTP, ...):
/// `new Peer(options)`, `on("signal", ...)`, then `connect()`. Perfect negotiation, ICE
/// candidate buffering, ICE-restart recovery, quality events: the engine of a `Room`'s
/// connections, without the server.
#[wasm_bindgen]
pub struct Peer {
    driver: Rc<PeerDriver>,
    media: RefCell<Option<Media>>,
}

#[wasm_bindgen]
impl Peer {
    /// A peer connection not yet started. Options (all optional): `polite` (exactly one
    /// of the two sides must be polite; it offers first), `iceServers`,
    /// `iceTransportPolicy`, `media` (`{ audio, video }` to capture on `connect`, or
    /// `{ stream }` to send a stream you own; none by default: data only), `peerId` (the
    /// `peerId` of every event, default `"remote"`). Throws `invalidOptions`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "PeerOptions | undefined")] options: JsValue,
    ) -> Result<Peer, JsValue> {
        let invalid = |m: String| SteadyError::new(ErrorCode::InvalidOptions, m);
        let (given, options) = if options.is_undefined() || options.is_null() {
            (None, JsValue::from(js_sys::Object::new()))
        } else if options.is_object() {
            super::room::given_stream(&options)?
        } else {
            return Err(invalid("Peer options must be an object".into()).into());
        };
        let options = crate::browser::js::json_of(&options)
            .and_then(|json| PeerOptions::from_value(&json))
            .map_err(invalid)?;
        options.validate()?;
        let media = match (given, &options.media) {
            (Some(stream), _) => Media::Given(stream),
            (None, Some(m)) if m.audio || m.video => Media::Capture {
                audio: m.audio,
                video: m.video,
            },
            _ => Media::None,
        };
        let cfg = PeerCallConfig {
            polite: options.polite,
            peer_id: options.peer_id.clone().unwrap_or_else(|| "remote".into()),
            ..PeerCallConfig::default()
        };
        let driver = Driver::new(PeerCallEngine::new(cfg), PeerCtx::new(options.ice()));
        Ok(Peer {
            driver,
            media: RefCell::new(Some(media)),
        })
    }

    /// Starts the call: captures the media asked for, puts it on the connection, and
    /// starts negotiating (the polite side sends the first offer through `signal`).
    /// Signals handed in before are applied now. Rejects with `media*` when capture
    /// fails, `invalidArgument` when called twice, `roomClosed` after `close()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(&self) -> js_sys::Promise {
        if let Err(e) = self.driver.command(PeerCallEngine::begin_connect) {
            return js_sys::Promise::reject(&e.into());
        }
        let plan = self.media.borrow_mut().take().unwrap_or(Media::None);
        let weak = Rc::downgrade(&self.driver);
        wasm_bindgen_futures::future_to_promise(async move {
            let (stream, owned) = match plan {
                Media::None => (None, false),
                Media::Given(stream) => (Some(stream), false),
                Media::Capture { audio, video } => (media::capture(audio, video).await?, true),
            };
            let Some(driver) = weak.upgrade().filter(|d| !d.read(PeerCallEngine::is_over)) else {
                if let (Some(stream), true) = (&stream, owned) {
                    media::stop(stream);
                }
                return Err(closed().into());
            };
            *driver.ctx.local.borrow_mut() = stream;
            driver.ctx.owns_local.set(owned);
            driver.handle(PeerCallInput::Connect);
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Applies a signal from the other side: exactly what its `signal` event gave (the
    /// object, or its JSON text). Throws `invalidArgument` for anything else,
    /// `roomClosed` after `close()`.
    pub fn signal(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PeerSignal | string")] data: JsValue,
    ) -> Result<(), JsValue> {
        if self.driver.read(PeerCallEngine::is_over) {
            return Err(closed().into());
        }
        let json = match data.as_string() {
            Some(text) => text,
            None => js_sys::JSON::stringify(&data)
                .ok()
                .and_then(|s| s.as_string())
                .ok_or_else(|| {
                    SteadyError::new(
                        ErrorCode::InvalidArgument,
                        "a signal is an object or its JSON text",
                    )
                })?,
        };
        let data = parse_signal(&json)?;
        self.driver.handle(PeerCallInput::Signal { data });
        Ok(())
    }

    /// Sends text or binary (`ArrayBuffer`, a typed array; at most 256 KiB) over the data
    /// channel; the other side gets a `message` event. Waits while the channel buffers
    /// over 1 MiB. Sent while the channel is still opening (right after `connected`), it
    /// waits for it, at most 10 s. Rejects with `notConnected` when no channel is open or
    /// opening, `invalidArgument` for another type or size, `roomClosed` after `close()`.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn send(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | ArrayBuffer | ArrayBufferView")]
        data: JsValue,
    ) -> js_sys::Promise {
        let payload = match data::payload(&data) {
            Ok(payload) => payload,
            Err(e) => return js_sys::Promise::reject(&e.into()),
        };
        if self.driver.read(PeerCallEngine::is_over) {
            return js_sys::Promise::reject(&closed().into());
        }
        let channels: Vec<web_sys::RtcDataChannel> =
            self.driver.ctx.link().iter().map(|l| l.channel()).collect();
        wasm_bindgen_futures::future_to_promise(async move {
            for channel in data::targets(channels).await? {
                data::send(&channel, &payload).await?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Registers `handler` for `event`. Unknown event names throw `invalidArgument`.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, handler: Function) -> Result<(), JsValue> {
        let name = EventName::parse_peer(event)?;
        self.driver.ctx.events.on(name, handler);
        Ok(())
    }

    /// Removes a handler registered with `on`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: &str, handler: Function) -> Result<(), JsValue> {
        let name = EventName::parse_peer(event)?;
        self.driver.ctx.events.off(name, &handler);
        Ok(())
    }

    /// The state of the connection (what the last `stateChange` said).
    #[wasm_bindgen(getter, js_name = connectionState, unchecked_return_type = "ConnectionState")]
    pub fn connection_state(&self) -> String {
        self.driver.read(|e| e.state().as_str().to_owned())
    }

    /// The last quality report (what the `quality` event carries), or undefined before
    /// the first one (about two seconds after connecting).
    #[wasm_bindgen(unchecked_return_type = "QualityEvent | undefined")]
    pub fn quality(&self) -> JsValue {
        self.driver
            .read(|e| e.quality().cloned())
            .map_or(JsValue::UNDEFINED, |event| {
                super::room_driver::event_payload(&event)
            })
    }

    /// The local media on the connection (captured by `connect`, or the stream given).
    #[wasm_bindgen(getter, js_name = localStream)]
    pub fn local_stream(&self) -> Option<MediaStream> {
        self.driver.ctx.local.borrow().clone()
    }

    /// Ends the call: closes the connection, stops the media this `Peer` captured (a
    /// stream you gave stays yours), drops every handler. A last `stateChange` says
    /// `closed`. Safe to call twice.
    pub fn close(&self) {
        self.driver.handle(PeerCallInput::Close);
    }
}

impl Drop for Peer {
    /// `free()` or garbage: the same as `close()`.
    fn drop(&mut self) {
        self.driver.handle(PeerCallInput::Close);
    }
}

fn closed() -> SteadyError {
    SteadyError::new(
        ErrorCode::RoomClosed,
        "this Peer is closed; create a new one",
    )
}
