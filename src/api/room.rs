//! `Room`: the JS face of the room engine ([`RoomEngine`]). Construct it, attach
//! handlers, then `connect`: every event, from the first `peerJoined`, reaches handlers
//! attached before `connect`. `leave()`, `free()` and dropping the room all release the
//! socket, the peer connections and the camera.
//!
//! Nothing here decides: options are parsed and checked (in `crate::options`), the
//! engine is fed, and its actions are executed by [`super::room_driver`].

use super::error::to_js;
use super::events::{EventHub, EventName};
use super::room_driver::{RoomCtx, RoomDriver};
use crate::browser::driver::Driver;
use crate::browser::js::object;
use crate::browser::media;
use crate::engine::media::{MediaKind, Toggle};
use crate::engine::room::{RoomConfig, RoomEngine, RoomInput};
use crate::error::{ErrorCode, SteadyError};
use crate::options::{LogLevel, RoomOptions};
use futures::channel::oneshot;
use js_sys::{Function, Reflect};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

/// Largest text `send` accepts, in bytes.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How long `leave()` waits for the server to close the socket.
const LEAVE_CLOSE_WAIT_MS: u32 = 1_000;

/// A room on a steadyrtc server: `new Room(options)`, `on(...)`, then `connect(...)`.
#[wasm_bindgen]
pub struct Room {
    pub(super) driver: Rc<RoomDriver>,
    /// Dropping this handle leaves the room (false for `match.room`: the `Match` owns it).
    pub(super) owns: bool,
}

#[wasm_bindgen]
impl Room {
    /// A room not yet connected. Options (all optional): `tokenProvider`,
    /// `reconnectPolicy`, `logLevel`. Unknown options throw `invalidOptions`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "RoomClientOptions | undefined")] options: JsValue,
    ) -> Result<Room, JsValue> {
        Ok(Room {
            driver: new_driver(&options)?,
            owns: true,
        })
    }

    /// Creates a room and connects it: `new Room({})` then `connect(options)`. Handlers
    /// attached after it resolves miss the first events (`peerJoined` of those already
    /// there): prefer `new Room()`, `on()`, `connect()`.
    pub async fn join(
        #[wasm_bindgen(unchecked_param_type = "RoomOptions")] options: JsValue,
    ) -> Result<Room, JsValue> {
        let room = Room::new(JsValue::UNDEFINED)?;
        connect(room.driver.clone(), options).await?;
        Ok(room)
    }

    /// Joins the room: checks the options, captures local media while it connects to the
    /// server (it joins once both are done), and starts a connection to every peer.
    /// Resolves once joined; rejects with a `SteadyError` (`invalidOptions`, `media*`,
    /// `signaling*`, `joinRejected` with the server's `serverCode`, `roomClosed`). A
    /// room whose `connect` failed is over: make a new one to try again.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn connect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "RoomOptions")] options: JsValue,
    ) -> js_sys::Promise {
        let driver = self.driver.clone();
        wasm_bindgen_futures::future_to_promise(async move {
            connect(driver, options).await.map(|()| JsValue::UNDEFINED)
        })
    }

    /// Registers `handler` for `event`. Unknown event names throw `invalidArgument`.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, handler: Function) -> Result<(), JsValue> {
        on(&self.driver, event, handler)
    }

    /// Removes a handler registered with `on`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: &str, handler: Function) -> Result<(), JsValue> {
        off(&self.driver, event, handler)
    }

    /// Lets the listener `peerId` speak (a host's right: the `admin` grant): its role
    /// becomes `guest`, everyone gets `roleChanged`, and it may turn its camera and
    /// microphone on. Throws `forbidden` without the grant, `invalidArgument` for an
    /// unknown peer, `notConnected` while signaling is down, `roomClosed` after `leave`;
    /// a refusal by the server arrives as an `error` event.
    pub fn promote(
        &self,
        #[wasm_bindgen(js_name = "peerId")] peer_id: &str,
    ) -> Result<(), JsValue> {
        let now = crate::browser::driver::now_ms();
        self.driver
            .command(|engine| engine.set_publish(now, peer_id, true))
            .map_err(JsValue::from)
    }

    /// Takes the right to speak back from `peerId` (role `listener`): its camera and
    /// microphone stop. The same errors as `promote`.
    pub fn demote(&self, #[wasm_bindgen(js_name = "peerId")] peer_id: &str) -> Result<(), JsValue> {
        let now = crate::browser::driver::now_ms();
        self.driver
            .command(|engine| engine.set_publish(now, peer_id, false))
            .map_err(JsValue::from)
    }

    /// Ends the room for everyone (a host's right: the `admin` grant). Every participant,
    /// you included, gets `roomEnded` with reason `endedByHost` and `by` your peer id, and
    /// each `Room` closes then; their sessions end. A room made with the server's rooms
    /// API keeps its definition, so it can be joined again. Throws `forbidden` without the
    /// grant, `notConnected` while signaling is down, `serverRefused` when the server is
    /// too old to end rooms, `roomClosed` after `leave`.
    #[wasm_bindgen(js_name = endRoom)]
    pub fn end_room(&self) -> Result<(), JsValue> {
        let now = crate::browser::driver::now_ms();
        self.driver
            .command(|engine| engine.end_room(now))
            .map_err(JsValue::from)
    }

    /// Asks the room's hosts for the floor (`raised` true, the default) or withdraws the
    /// request; they get a `handRaised` event. Throws `notConnected` while signaling is
    /// down, `roomClosed` after `leave`.
    #[wasm_bindgen(js_name = raiseHand)]
    pub fn raise_hand(&self, raised: Option<bool>) -> Result<(), JsValue> {
        let now = crate::browser::driver::now_ms();
        self.driver
            .command(|engine| engine.raise_hand(now, raised.unwrap_or(true)))
            .map_err(JsValue::from)
    }

    /// Whether this participant may publish now: its token's grant, or a host's
    /// `promote` (false for a listener, and after a `demote`).
    #[wasm_bindgen(getter, js_name = canPublish)]
    pub fn can_publish(&self) -> bool {
        self.driver.read(RoomEngine::can_publish)
    }

    /// How many listeners this participant sees: for a host of a broadcast room, the
    /// attendee count (the `attendees` event tells each change).
    #[wasm_bindgen(getter, js_name = attendeeCount)]
    pub fn attendee_count(&self) -> u32 {
        self.driver
            .read(|e| u32::try_from(e.attendee_count()).unwrap_or(u32::MAX))
    }

    /// Starts the page's audio where the browser's autoplay policy holds it: call it from
    /// a click after an `audioPlaybackBlocked` event. Every room on the page shares one
    /// `AudioContext`; this resumes it (the first click or key press anywhere on the page
    /// does too).
    #[wasm_bindgen(js_name = startAudio, unchecked_return_type = "Promise<void>")]
    pub fn start_audio(&self) -> js_sys::Promise {
        let weak = std::rc::Rc::downgrade(&self.driver);
        wasm_bindgen_futures::future_to_promise(async move {
            crate::browser::audio::resume().await?;
            if let Some(driver) = weak.upgrade() {
                driver.handle(RoomInput::AudioBlocked { blocked: false });
            }
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Sends `text` to every peer whose data channel is open; returns how many.
    /// Throws `notConnected` when nobody is reachable, `invalidArgument` over 64 KiB,
    /// `roomClosed` after `leave`.
    pub fn send(&self, text: &str) -> Result<u32, JsValue> {
        if text.len() > MAX_MESSAGE_BYTES {
            let msg = format!(
                "message is {} bytes; at most {MAX_MESSAGE_BYTES}",
                text.len()
            );
            return Err(SteadyError::new(ErrorCode::InvalidArgument, msg).into());
        }
        if self.driver.read(RoomEngine::is_over) {
            return Err(SteadyError::room_closed().into());
        }
        let sent = self.driver.ctx.send_to_all(text);
        if sent == 0 {
            return Err(SteadyError::new(
                ErrorCode::NotConnected,
                "no peer has an open data channel",
            )
            .into());
        }
        Ok(sent as u32)
    }

    /// Sends app data to every peer (or to `to`) over the peer-to-peer data channel:
    /// text, or binary (`ArrayBuffer` or a typed array); the others get a `message` event
    /// (`binary: true` and `data` for bytes). Waits while a channel's buffer is over 1 MiB
    /// (backpressure), so a loop of awaited `sendData` calls never floods memory. Sent
    /// while no channel is open yet but one is opening (right after `connected`), it waits
    /// for it, at most 10 s. Resolves with how many peers it went to. Rejects with
    /// `notConnected` when no channel (or `to`'s) is open or opening, `invalidArgument`
    /// over 256 KiB or for another type, `roomClosed` after `leave`.
    #[wasm_bindgen(js_name = sendData, unchecked_return_type = "Promise<number>")]
    pub fn send_data(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string | ArrayBuffer | ArrayBufferView")]
        data: JsValue,
        to: Option<String>,
    ) -> js_sys::Promise {
        use crate::browser::data;
        let payload = match data::payload(&data) {
            Ok(payload) => payload,
            Err(e) => return js_sys::Promise::reject(&e.into()),
        };
        if self.driver.read(RoomEngine::is_over) {
            return js_sys::Promise::reject(&SteadyError::room_closed().into());
        }
        let channels: Vec<web_sys::RtcDataChannel> = match &to {
            Some(peer) => self.driver.ctx.link(peer).into_iter().collect(),
            None => self.driver.ctx.all_links(),
        }
        .iter()
        .map(|l| l.channel())
        .collect();
        wasm_bindgen_futures::future_to_promise(async move {
            let channels = data::targets(channels).await?;
            let mut sent = 0u32;
            for channel in &channels {
                if data::send(channel, &payload).await.is_ok() {
                    sent += 1;
                }
            }
            if sent == 0 {
                return Err(
                    SteadyError::new(ErrorCode::NotConnected, "every data channel closed").into(),
                );
            }
            Ok(sent.into())
        })
    }

    /// Sends a chat line through the server to everyone (or to the peer `to`); the
    /// others receive a `chat` event, once. Resolves when the server has it (its
    /// confirmation); while the connection to the server is down the line waits and goes
    /// (again, with the same id) when it is back, so nothing is lost or doubled. Rejects
    /// with `invalidArgument` for a blank text, over 4,000 characters, an unknown peer or
    /// 100 lines waiting; `serverRefused` with the server's `serverCode` (`forbidden`
    /// without the chat grant, `rateLimited`); `notConnected` before `connect` resolved;
    /// `roomClosed` after `leave`.
    #[wasm_bindgen(js_name = sendChat, unchecked_return_type = "Promise<void>")]
    pub fn send_chat(&self, text: String, to: Option<String>) -> js_sys::Promise {
        let (request, rx) = self.driver.ctx.request();
        let result = self
            .driver
            .command(|engine| engine.send_chat(&text, to, request));
        if let Err(e) = result {
            self.driver.ctx.drop_request(request);
            return js_sys::Promise::reject(&e.into());
        }
        settled(rx)
    }

    /// The chat lines received (and sent and confirmed) since joining, oldest first, at
    /// most 1,000: for a chat panel opened late.
    #[wasm_bindgen(js_name = chatHistory, unchecked_return_type = "ChatEvent[]")]
    pub fn chat_history(&self) -> js_sys::Array {
        self.driver
            .read(RoomEngine::chat_history)
            .into_iter()
            .map(|l| {
                object(&[
                    ("id", l.id.into()),
                    ("from", l.from.into()),
                    ("name", l.name.into()),
                    ("text", l.text.into()),
                    ("private", l.private.into()),
                    ("sentAt", (l.sent_at as f64).into()),
                ])
            })
            .collect()
    }

    /// Rebuilds the connection to `peerId` from scratch on both sides (a new peer
    /// connection), as the last rung of the recovery ladder does by itself. For a "fix my
    /// call" button. Throws `notConnected` while signaling is down, `invalidArgument` for
    /// an unknown peer, `roomClosed` after `leave`.
    #[wasm_bindgen(js_name = reconnectPeer)]
    pub fn reconnect_peer(
        &self,
        #[wasm_bindgen(js_name = "peerId")] peer_id: &str,
    ) -> Result<(), JsValue> {
        let now = crate::browser::driver::now_ms();
        self.driver
            .command(|engine| engine.reconnect_peer(now, peer_id))
            .map_err(JsValue::from)
    }

    /// The peers in the room now, with the state of the connection to each.
    #[wasm_bindgen(unchecked_return_type = "PeerSummary[]")]
    pub fn peers(&self) -> js_sys::Array {
        self.driver
            .read(RoomEngine::peers)
            .into_iter()
            .map(|(p, state)| {
                object(&[
                    ("id", p.id.as_str().into()),
                    ("name", p.name.as_str().into()),
                    ("role", p.role.as_str().into()),
                    ("connectionState", state.as_str().into()),
                ])
            })
            .collect()
    }

    /// What to send: `"auto"` (adapt to each connection, the default), or a fixed
    /// `"high"`, `"medium"`, `"low"` or `"audioOnly"`, for every connection or, with
    /// `peerId`, for the one to that peer. Each change is a `qualityLevelChange` event.
    /// Back to `"auto"`, a connection returns at once to the rung adaptation had reached
    /// before (within the presets' cap).
    /// Throws `invalidArgument` for another value or an unknown peer, `roomClosed` after
    /// `leave`.
    #[wasm_bindgen(js_name = setQuality)]
    pub fn set_quality(
        &self,
        #[wasm_bindgen(unchecked_param_type = "QualityPreference")] quality: &str,
        #[wasm_bindgen(js_name = "peerId")] peer_id: Option<String>,
    ) -> Result<(), JsValue> {
        let preference = crate::options::parse_quality(quality)?;
        self.driver
            .command(|engine| engine.set_quality(preference, peer_id.as_deref()))
            .map_err(JsValue::from)
    }

    /// The last quality report of the connection to `peerId` (what the `quality` event
    /// carries), or undefined before the first one (about two seconds after connecting).
    #[wasm_bindgen(unchecked_return_type = "QualityEvent | undefined")]
    pub fn quality(&self, #[wasm_bindgen(js_name = "peerId")] peer_id: &str) -> JsValue {
        self.driver
            .read(|e| e.quality(peer_id).map(super::room_driver::event_payload))
            .unwrap_or(JsValue::UNDEFINED)
    }

    /// A report for bug reports and support: the session's and each connection's
    /// timeline (last 50 steps), the last quality report, what is sent, recovery attempts
    /// per level and the last time to recover, and recommendations in plain words.
    #[wasm_bindgen(unchecked_return_type = "DiagnosticsReport")]
    pub fn diagnostics(&self) -> JsValue {
        let now = crate::browser::driver::now_ms();
        super::diagnostics::to_js(&self.driver.read(|e| e.diagnostics(now)))
    }

    /// Everything this room and each of its connections were fed, with times, as JSON
    /// text: `{"room": …, "links": {"<peerId>": …}}`. Attach it to a bug report;
    /// `cargo run --example replay_trace -- trace.json` replays it natively to the same
    /// actions.
    #[wasm_bindgen(js_name = exportTrace)]
    pub fn export_trace(&self) -> String {
        let room = self
            .driver
            .read(|e| serde_json::to_string(e.trace()).unwrap_or_default());
        let links: Vec<String> = self
            .driver
            .ctx
            .link_traces()
            .into_iter()
            .filter_map(|(peer, trace)| {
                Some(format!(
                    "{}:{}",
                    serde_json::to_string(&peer).ok()?,
                    serde_json::to_string(&trace).ok()?
                ))
            })
            .collect();
        format!("{{\"room\":{room},\"links\":{{{}}}}}", links.join(","))
    }

    /// This participant's id, as the server assigned it (empty before `connect`
    /// resolves; it changes after a rejoin).
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> String {
        self.driver.read(|e| e.peer_id().to_owned())
    }

    /// The room's name.
    #[wasm_bindgen(getter, js_name = roomName)]
    pub fn room_name(&self) -> String {
        self.driver.read(|e| e.room().to_owned())
    }

    /// The state of the connection to the signaling server.
    #[wasm_bindgen(getter, js_name = sessionState, unchecked_return_type = "SessionState")]
    pub fn session_state(&self) -> String {
        self.driver.read(|e| e.session_state().as_str().to_owned())
    }

    /// Turns the microphone on or off (muting keeps the device open, so unmuting is
    /// instant). Calls made while one runs coalesce: the last one wins, and all resolve
    /// together. The peers get a `mediaState` event with `microphone`. Rejects with
    /// `forbidden` for a participant who may not publish, `mediaTimeout` after 10 s,
    /// `media*` when the device fails, `notConnected` before `connect`.
    #[wasm_bindgen(js_name = setMicrophoneEnabled, unchecked_return_type = "Promise<void>")]
    pub fn set_microphone_enabled(&self, enabled: bool) -> js_sys::Promise {
        self.toggle(MediaKind::Microphone, enabled)
    }

    /// Turns the camera on or off. Off stops the capture (the camera light goes out) and
    /// the peers see `mediaState` with `camera: false` (show an avatar); on captures again
    /// and sends the new track on the same senders, with no renegotiation. Calls coalesce
    /// as for the microphone; the same errors.
    #[wasm_bindgen(js_name = setCameraEnabled, unchecked_return_type = "Promise<void>")]
    pub fn set_camera_enabled(&self, enabled: bool) -> js_sys::Promise {
        self.toggle(MediaKind::Camera, enabled)
    }

    /// Uses another microphone or camera (a `deviceId` from `listDevices()`): captured at
    /// once if the source is on, and sent on the same senders, so the call goes on with no
    /// renegotiation; remembered for the next visit either way. Serialized with the
    /// source's toggles. Rejects with `invalidArgument` for `"screen"`, and as the toggles.
    #[wasm_bindgen(js_name = switchDevice, unchecked_return_type = "Promise<void>")]
    pub fn switch_device(
        &self,
        #[wasm_bindgen(unchecked_param_type = "\"microphone\" | \"camera\"")] source: &str,
        #[wasm_bindgen(js_name = "deviceId")] device_id: String,
    ) -> js_sys::Promise {
        let kind = match source {
            "microphone" => MediaKind::Microphone,
            "camera" => MediaKind::Camera,
            _ => MediaKind::Screen,
        };
        let (request, rx) = self.driver.ctx.request();
        self.driver.handle(RoomInput::SwitchDevice {
            kind,
            device_id,
            request,
        });
        settled(rx)
    }

    /// Shares a screen, window or tab (`getDisplayMedia`, so call it from a click): a
    /// second video track on every connection, renegotiated. The others' `track` event
    /// says `source: "screen"`. Stopping it from the browser's own bar is the same as
    /// `stopScreenShare()`. Rejects with `mediaPermissionDenied` when the user declines,
    /// `forbidden` for a participant who may not publish.
    #[wasm_bindgen(js_name = startScreenShare, unchecked_return_type = "Promise<void>")]
    pub fn start_screen_share(&self) -> js_sys::Promise {
        self.toggle(MediaKind::Screen, true)
    }

    /// Stops sharing the screen (the track is removed from every connection).
    #[wasm_bindgen(js_name = stopScreenShare, unchecked_return_type = "Promise<void>")]
    pub fn stop_screen_share(&self) -> js_sys::Promise {
        self.toggle(MediaKind::Screen, false)
    }

    /// Records the room (a host's right: the `record` grant): every participant's audio
    /// mixed, and one video: `options.video` (`"local"` or a peer id), by default the one
    /// speaking now, else your camera. Everyone gets a `recording` event (consent), and
    /// again after a rejoin. Rejects with `forbidden` without the grant, `notConnected`
    /// while signaling is down, `invalidArgument` when already recording or for an
    /// unknown peer.
    #[wasm_bindgen(js_name = startRecording, unchecked_return_type = "Promise<void>")]
    pub fn start_recording(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ video?: string } | undefined")] options: JsValue,
    ) -> js_sys::Promise {
        let video = Reflect::get(&options, &"video".into())
            .ok()
            .and_then(|v| v.as_string());
        let now = crate::browser::driver::now_ms();
        match self
            .driver
            .command(|engine| engine.set_recording(now, true, video))
        {
            Ok(()) => js_sys::Promise::resolve(&JsValue::UNDEFINED),
            Err(e) => js_sys::Promise::reject(&e.into()),
        }
    }

    /// Stops recording and resolves with the file (a webm `Blob`); everyone gets a
    /// `recording` event with `active: false`. Rejects with `invalidArgument` when not
    /// recording.
    #[wasm_bindgen(js_name = stopRecording, unchecked_return_type = "Promise<Blob>")]
    pub fn stop_recording(&self) -> js_sys::Promise {
        let (tx, rx) = oneshot::channel();
        *self.driver.ctx.blob_waiter.borrow_mut() = Some(tx);
        let now = crate::browser::driver::now_ms();
        if let Err(e) = self
            .driver
            .command(|engine| engine.set_recording(now, false, None))
        {
            self.driver.ctx.blob_waiter.borrow_mut().take();
            return js_sys::Promise::reject(&e.into());
        }
        wasm_bindgen_futures::future_to_promise(async move {
            match rx.await {
                Ok(Ok(blob)) => Ok(blob.into()),
                Ok(Err(e)) => Err(e.into()),
                Err(_) => Err(SteadyError::room_closed().into()),
            }
        })
    }

    /// What each local source is now: `"on"`, `"off"`, or `"pending"` while a toggle runs.
    #[wasm_bindgen(js_name = localMedia, unchecked_return_type = "LocalMediaState")]
    pub fn local_media(&self) -> JsValue {
        let entries: Vec<(&str, JsValue)> = self
            .driver
            .read(RoomEngine::local_media)
            .iter()
            .map(|(kind, toggle)| {
                let state = match toggle {
                    Toggle::On => "on",
                    Toggle::Off => "off",
                    Toggle::Pending => "pending",
                };
                (kind.as_str(), state.into())
            })
            .collect();
        object(&entries)
    }

    fn toggle(&self, kind: MediaKind, enabled: bool) -> js_sys::Promise {
        let (request, rx) = self.driver.ctx.request();
        self.driver.handle(RoomInput::SetMedia {
            kind,
            enabled,
            request,
        });
        settled(rx)
    }

    /// The local camera/microphone stream, for a preview; undefined without media.
    #[wasm_bindgen(getter, js_name = localStream)]
    pub fn local_stream(&self) -> Option<MediaStream> {
        self.driver.ctx.local.borrow().clone()
    }

    /// Leaves the room: tells the server, closes every peer connection, stops the local
    /// tracks. Resolves once all of that is done and the socket is closed (or after a
    /// second if the server does not close it). Safe to call twice.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn leave(&self) -> js_sys::Promise {
        leave(&self.driver)
    }
}

impl Drop for Room {
    /// `free()` or garbage: the same as `leave()`, without waiting (unless a `Match`
    /// owns the room).
    fn drop(&mut self) {
        if self.owns {
            self.driver.handle(RoomInput::Leave);
        }
    }
}

/// A room's driver for client options `{tokenProvider, reconnectPolicy, logLevel}`.
pub(super) fn new_driver(options: &JsValue) -> Result<Rc<RoomDriver>, SteadyError> {
    let (token_provider, reconnect_policy) = client_options(options)?;
    let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
    let ctx = RoomCtx::new(EventHub::default(), token_provider, reconnect_policy);
    let driver = Driver::new(RoomEngine::new(RoomConfig::default(), seed), ctx);
    RoomCtx::watch_page(&driver);
    Ok(driver)
}

/// `on` of a room (or of the `Match` that owns it).
pub(super) fn on(driver: &Rc<RoomDriver>, event: &str, handler: Function) -> Result<(), JsValue> {
    driver.ctx.events.on(EventName::parse(event)?, handler);
    audio_listeners(driver, event);
    Ok(())
}

/// `off` of a room (or of the `Match` that owns it).
pub(super) fn off(driver: &Rc<RoomDriver>, event: &str, handler: Function) -> Result<(), JsValue> {
    driver.ctx.events.off(EventName::parse(event)?, &handler);
    audio_listeners(driver, event);
    Ok(())
}

/// Audio is measured only while someone listens: tell the engine when that changes.
fn audio_listeners(driver: &Rc<RoomDriver>, event: &str) {
    if matches!(event, "audioLevel" | "activeSpeakers") {
        let events = &driver.ctx.events;
        driver.handle(RoomInput::AudioListeners {
            levels: events.has("audioLevel"),
            speakers: events.has("activeSpeakers"),
        });
    }
}

/// `leave()`: resolves once the socket closed, or after a second.
pub(super) fn leave(driver: &Rc<RoomDriver>) -> js_sys::Promise {
    driver.handle(RoomInput::Leave);
    let closed = driver.ctx.sockets_closed();
    wasm_bindgen_futures::future_to_promise(async move {
        let timeout = gloo_timers::future::TimeoutFuture::new(LEAVE_CLOSE_WAIT_MS);
        futures::future::select(Box::pin(closed), timeout).await;
        Ok(JsValue::UNDEFINED)
    })
}

/// Takes `media.stream` (a preview from `createLocalMedia`) out of the options: the
/// stream, and the options with `media` saying what it holds.
pub(super) fn given_stream(
    options: &JsValue,
) -> Result<(Option<MediaStream>, JsValue), SteadyError> {
    let media = Reflect::get(options, &"media".into()).unwrap_or(JsValue::UNDEFINED);
    let stream = Reflect::get(&media, &"stream".into()).unwrap_or(JsValue::UNDEFINED);
    if stream.is_undefined() || !media.is_object() {
        return Ok((None, options.clone()));
    }
    let stream: MediaStream = stream.dyn_into().map_err(|_| {
        SteadyError::new(
            ErrorCode::InvalidOptions,
            "media.stream must be a MediaStream (createLocalMedia().stream)",
        )
    })?;
    let copy = js_sys::Object::assign(&js_sys::Object::new(), options.unchecked_ref());
    let held = object(&[
        ("audio", (stream.get_audio_tracks().length() > 0).into()),
        ("video", (stream.get_video_tracks().length() > 0).into()),
    ]);
    let _ = Reflect::set(&copy, &"media".into(), &held);
    Ok((Some(stream), copy.into()))
}

async fn connect(driver: Rc<RoomDriver>, options: JsValue) -> Result<(), JsValue> {
    connect_to(driver, options, None).await
}

/// Joins the room of `options`, or with `match_prefs` the match queue of the token's
/// room (`options.room` is then not sent).
pub(super) async fn connect_to(
    driver: Rc<RoomDriver>,
    options: JsValue,
    match_prefs: Option<steadyrtc_protocol::MatchPrefs>,
) -> Result<(), JsValue> {
    let (given, options) = given_stream(&options)?;
    let options = crate::browser::js::json_of(&options)
        .and_then(|json| RoomOptions::from_value(&json))
        .map_err(|e| SteadyError::new(ErrorCode::InvalidOptions, e))?;
    options.validate()?;
    let capturing = given.is_none() && (options.media.audio || options.media.video);
    let mut cfg = RoomConfig {
        room: options.room.clone(),
        name: options.name.clone(),
        token: options.token.clone(),
        has_token_provider: driver.ctx.token_provider.is_some(),
        join_timeout_ms: options.join_timeout_ms.into(),
        rebuild_budget_ms: options.recovery_timeout_ms.into(),
        microphone: options.media.audio,
        camera: options.media.video,
        microphone_device: crate::browser::devices::recall("microphone"),
        camera_device: crate::browser::devices::recall("camera"),
        preset: options.adaptive.cap().ok().flatten(),
        match_prefs: match_prefs.map(Box::new),
        capturing,
        ..RoomConfig::default()
    };
    // Firefox needs its own ICE restart to come last when restarts cross; Chromium
    // does not (LinkConfig::restart_again_after_yield).
    cfg.link.restart_again_after_yield = !crate::browser::page::is_chromium();
    driver.command(|engine| engine.prepare(cfg).map(|()| Vec::new()))?;
    let (mic, cam) = driver.read(|e| e.chosen_devices());
    *driver.ctx.url.borrow_mut() = options.url.clone();
    *driver.ctx.ice.borrow_mut() = options.ice.clone();
    let (tx, rx) = oneshot::channel();
    *driver.ctx.connect_waiter.borrow_mut() = Some(tx);
    if !capturing {
        *driver.ctx.local.borrow_mut() = given;
        super::room_media::watch_local(&driver);
    }
    // The socket opens while the browser starts the camera and microphone; `join` waits
    // for them (the engine's `capturing`).
    driver.handle(RoomInput::Connect);
    if capturing {
        let captured = media::capture_from(
            options.media.audio.then_some(mic.as_deref()),
            options.media.video.then_some(cam.as_deref()),
        )
        .await;
        let result = match captured {
            Ok(local) if driver.read(RoomEngine::is_over) => {
                // Left, or the server was unreachable, meanwhile: `rx` says which.
                if let Some(stream) = &local {
                    media::stop(stream);
                }
                Ok(())
            }
            Ok(local) => {
                *driver.ctx.local.borrow_mut() = local;
                super::room_media::watch_local(&driver);
                Ok(())
            }
            Err(e) => Err(e),
        };
        driver.handle(RoomInput::Captured { result });
    }
    match rx.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(to_js(&e, None)),
        Err(_) => Err(SteadyError::room_closed().into()),
    }
}

/// Reads `{tokenProvider, reconnectPolicy, logLevel}`, refusing anything else.
fn client_options(options: &JsValue) -> Result<(Option<Function>, Option<Function>), SteadyError> {
    if options.is_undefined() || options.is_null() {
        return Ok((None, None));
    }
    let invalid = |m: String| SteadyError::new(ErrorCode::InvalidOptions, m);
    if !options.is_object() {
        return Err(invalid("Room options must be an object".into()));
    }
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !matches!(
            key.as_str(),
            "tokenProvider" | "reconnectPolicy" | "logLevel"
        ) {
            return Err(invalid(format!(
                "unknown Room option {key:?}; options are tokenProvider, reconnectPolicy, logLevel (connection options go to connect())"
            )));
        }
    }
    let function = |key: &str| -> Result<Option<Function>, SteadyError> {
        let value = Reflect::get(options, &key.into()).unwrap_or(JsValue::UNDEFINED);
        if value.is_undefined() {
            return Ok(None);
        }
        value
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_: JsValue| invalid(format!("{key} must be a function")))
    };
    let level = Reflect::get(options, &"logLevel".into()).unwrap_or(JsValue::UNDEFINED);
    if !level.is_undefined() {
        let name = level
            .as_string()
            .ok_or_else(|| invalid("logLevel must be a string".into()))?;
        super::log::set_level(LogLevel::parse(&name)?);
    }
    Ok((function("tokenProvider")?, function("reconnectPolicy")?))
}

/// A promise of a media call's outcome.
fn settled(rx: oneshot::Receiver<Result<(), SteadyError>>) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        match rx.await {
            Ok(Ok(())) => Ok(JsValue::UNDEFINED),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(SteadyError::room_closed().into()),
        }
    })
}

/// The page's cameras, microphones and speakers (`kind` keeps one kind). Labels are
/// empty until the page may capture. Rejects with `mediaUnavailable` outside a secure
/// context.
#[wasm_bindgen(js_name = listDevices, unchecked_return_type = "Promise<DeviceInfo[]>")]
pub fn list_devices(
    #[wasm_bindgen(
        unchecked_param_type = "\"audioinput\" | \"videoinput\" | \"audiooutput\" | undefined"
    )]
    kind: Option<String>,
) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        let devices = crate::browser::devices::list().await?;
        Ok(devices
            .into_iter()
            .filter(|d| kind.as_ref().is_none_or(|k| *k == d.kind))
            .map(|d| {
                object(&[
                    ("deviceId", d.device_id.into()),
                    ("kind", d.kind.into()),
                    ("label", d.label.into()),
                    ("groupId", d.group_id.into()),
                ])
            })
            .collect::<js_sys::Array>()
            .into())
    })
}
