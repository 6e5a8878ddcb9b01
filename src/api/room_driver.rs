//! Executes the room engine's actions in the browser: the signaling socket, the peer
//! links, timers, the token provider, and the events handed to the app. It reports what
//! happens back to the engine and decides nothing.

use super::error::to_js;
use super::events::{EventHub, EventName};
use super::link_events::{self, binary_payload, link_report, track_payload, Kept};
use super::policy::JsDelayPolicy;
use crate::browser::driver::{Driver, Executor, Machine};
use crate::browser::media;
use crate::browser::page::{self, PageEvent};
use crate::browser::peer::{PeerEvent, PeerLink};
use crate::browser::signaling::{SignalingClient, SignalingEvent};
use crate::engine::room::{LinkReport, RoomAction, RoomEngine, RoomEvent, RoomInput, RoomTimer};
use crate::engine::vec_map::VecMap;
use crate::engine::ConnState;
use crate::error::{ErrorCode, SteadyError};
use crate::options::IceOptions;
use futures::channel::oneshot;
use gloo_events::EventListener;
use js_sys::{Function, Reflect};
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::{Rc, Weak};
use wasm_bindgen::prelude::*;
use web_sys::{MediaStream, MediaStreamTrack};

pub type RoomDriver = Driver<RoomEngine, RoomCtx>;

impl Machine for RoomEngine {
    type Input = RoomInput;
    type Action = RoomAction;
    type Timer = RoomTimer;

    fn handle(&mut self, now_ms: u64, input: RoomInput) -> Vec<RoomAction> {
        RoomEngine::handle(self, now_ms, input)
    }

    fn timer_input(timer: RoomTimer) -> RoomInput {
        RoomInput::TimerFired { timer }
    }
}

/// A remote track waiting for the engine to say it is to be announced.
type Pending = (MediaStreamTrack, Option<MediaStream>);

/// The browser objects of one room.
pub struct RoomCtx {
    pub events: EventHub,
    pub token_provider: Option<Function>,
    reconnect_policy: Option<Function>,
    pub url: RefCell<String>,
    pub ice: RefCell<IceOptions>,
    pub local: RefCell<Option<MediaStream>>,
    /// The screen share, in a stream of its own.
    pub screen: RefCell<Option<MediaStream>>,
    pub connect_waiter: RefCell<Option<oneshot::Sender<Result<(), SteadyError>>>>,
    socket: RefCell<Option<(u32, SignalingClient)>>,
    socket_gen: Cell<u32>,
    /// Sockets closed by us, kept until their `close` event (what `leave` waits for).
    retired: RefCell<Vec<(u32, SignalingClient)>>,
    closed_waiters: RefCell<Vec<oneshot::Sender<()>>>,
    /// The link to each peer, with its epoch.
    links: RefCell<VecMap<String, (u32, Rc<PeerLink>)>>,
    tracks: RefCell<VecMap<String, VecDeque<Pending>>>,
    /// Binary messages waiting for their `message` event, by peer.
    binaries: RefCell<VecMap<String, VecDeque<js_sys::ArrayBuffer>>>,
    page_listeners: RefCell<Vec<EventListener>>,
    /// The page's `BatteryManager`, once `getBattery()` resolved (Chromium only).
    battery: RefCell<Option<web_sys::EventTarget>>,
    /// The app's calls waiting for the engine to settle them (toggles, device switches,
    /// chat lines), by request number.
    waiters: RefCell<VecMap<u32, super::room_media::Waiter>>,
    next_request: Cell<u32>,
    /// `ended` listeners of the local tracks.
    ended_listeners: RefCell<Vec<(MediaStreamTrack, EventListener)>>,
    /// Every remote track, by peer (for the level meters and recording).
    remote_tracks: RefCell<VecMap<String, Vec<MediaStreamTrack>>>,
    pub meters: super::room_audio::Meters,
    /// The recording under way (a host's).
    pub recorder: RefCell<Option<crate::browser::recorder::Recorder>>,
    /// `stopRecording()` waiting for the file.
    pub blob_waiter: RefCell<Option<super::room_recording::BlobWaiter>>,
}

impl RoomCtx {
    pub fn new(
        events: EventHub,
        token_provider: Option<Function>,
        reconnect_policy: Option<Function>,
    ) -> Self {
        Self {
            events,
            token_provider,
            reconnect_policy,
            url: RefCell::default(),
            ice: RefCell::default(),
            local: RefCell::default(),
            screen: RefCell::default(),
            connect_waiter: RefCell::default(),
            socket: RefCell::default(),
            socket_gen: Cell::new(0),
            retired: RefCell::default(),
            closed_waiters: RefCell::default(),
            links: RefCell::default(),
            tracks: RefCell::default(),
            binaries: RefCell::default(),
            page_listeners: RefCell::default(),
            battery: RefCell::default(),
            waiters: RefCell::default(),
            next_request: Cell::new(0),
            ended_listeners: RefCell::default(),
            remote_tracks: RefCell::default(),
            meters: Default::default(),
            recorder: RefCell::default(),
            blob_waiter: RefCell::default(),
        }
    }

    /// Every remote track of `kind` (`audio`, `video`), with its peer's id.
    pub fn remote_tracks(&self, kind: &str) -> Vec<(String, MediaStreamTrack)> {
        self.remote_tracks
            .borrow()
            .iter()
            .flat_map(|(peer, tracks)| {
                tracks
                    .iter()
                    .filter(move |t| t.kind() == kind)
                    // `Clone::clone`, not `MediaStreamTrack::clone` (a new JS track).
                    .map(move |t| (peer.clone(), Clone::clone(t)))
            })
            .collect()
    }

    /// Registers a call the engine settles later; its number goes to the engine with it.
    pub fn request(&self) -> (u32, oneshot::Receiver<Result<(), SteadyError>>) {
        let id = self.next_request.get().wrapping_add(1);
        self.next_request.set(id);
        let (tx, rx) = oneshot::channel();
        self.waiters.borrow_mut().insert(id, tx);
        (id, rx)
    }

    /// Forgets a request the engine refused at once (its promise rejects right away).
    pub fn drop_request(&self, id: u32) {
        self.waiters.borrow_mut().remove(&id);
    }

    /// The link to `peer_id`, if one is open.
    pub fn link(&self, peer_id: &str) -> Option<Rc<PeerLink>> {
        self.links.borrow().get(peer_id).map(|(_, l)| l.clone())
    }

    /// Every open link.
    pub fn all_links(&self) -> Vec<Rc<PeerLink>> {
        self.links
            .borrow()
            .values()
            .map(|(_, l)| l.clone())
            .collect()
    }

    pub fn keep_ended_listener(&self, track: MediaStreamTrack, listener: EventListener) {
        self.ended_listeners.borrow_mut().push((track, listener));
    }

    /// Drops the `ended` listeners of tracks no longer live.
    pub fn forget_ended_listeners(&self) {
        self.ended_listeners
            .borrow_mut()
            .retain(|(t, _)| t.ready_state() == web_sys::MediaStreamTrackState::Live);
    }

    /// What the browser says of the device, network and battery, to the engine.
    fn send_presets(driver: &Rc<RoomDriver>) {
        let battery = driver.ctx.battery.borrow().clone().map(JsValue::from);
        driver.handle(RoomInput::Presets {
            presets: page::presets(battery.as_ref()),
        });
    }

    /// Reports page conditions (online, visibility, network changes) to the engine.
    pub fn watch_page(driver: &Rc<RoomDriver>) {
        let (online, visible) = page::current();
        if !online {
            driver.handle(RoomInput::NetworkOnline { online });
        }
        if !visible {
            driver.handle(RoomInput::PageVisible { visible });
        }
        Self::send_presets(driver);
        let weak = Rc::downgrade(driver);
        let listeners = page::watch(Rc::new(move |event| {
            let Some(driver) = weak.upgrade() else { return };
            if event == PageEvent::NetworkChanged {
                Self::send_presets(&driver);
            }
            driver.handle(match event {
                PageEvent::Online(online) => RoomInput::NetworkOnline { online },
                PageEvent::Visible(visible) => RoomInput::PageVisible { visible },
                PageEvent::NetworkChanged => RoomInput::NetworkChanged,
            });
        }));
        let weak = Rc::downgrade(driver);
        wasm_bindgen_futures::spawn_local(async move {
            let Some(battery) = page::battery().await else {
                return;
            };
            let Some(driver) = weak.upgrade() else { return };
            if driver.read(RoomEngine::is_over) {
                return;
            }
            let weak = Rc::downgrade(&driver);
            let watching = page::watch_battery(
                &battery,
                Rc::new(move || {
                    if let Some(driver) = weak.upgrade() {
                        Self::send_presets(&driver);
                    }
                }),
            );
            driver.ctx.page_listeners.borrow_mut().extend(watching);
            *driver.ctx.battery.borrow_mut() = Some(battery);
            Self::send_presets(&driver);
        });
        let mut listeners = listeners;
        let weak = Rc::downgrade(driver);
        listeners.extend(crate::browser::devices::watch(move || {
            let weak = weak.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match crate::browser::devices::list().await {
                    Ok(devices) => {
                        if let Some(driver) = weak.upgrade() {
                            driver.handle(RoomInput::DevicesChanged { devices });
                        }
                    }
                    Err(e) => tracing::debug!(%e, "enumerateDevices after devicechange"),
                }
            });
        }));
        *driver.ctx.page_listeners.borrow_mut() = listeners;
    }

    /// The recorded trace of every open link, by peer.
    pub fn link_traces(&self) -> Vec<(String, crate::engine::trace::Trace)> {
        self.links
            .borrow()
            .iter()
            .filter_map(|(peer, (_, link))| Some((peer.clone(), link.trace()?)))
            .collect()
    }

    /// Sends `text` on every open data channel; returns how many took it.
    pub fn send_to_all(&self, text: &str) -> usize {
        self.all_links()
            .iter()
            .filter(|l| l.send(text).is_ok())
            .count()
    }

    /// Resolves once every socket we closed has closed.
    pub fn sockets_closed(&self) -> impl std::future::Future<Output = ()> {
        self.retired.borrow_mut().retain(|(_, s)| !s.is_closed());
        let rx = if self.retired.borrow().is_empty() && self.socket.borrow().is_none() {
            None
        } else {
            let (tx, rx) = oneshot::channel();
            self.closed_waiters.borrow_mut().push(tx);
            Some(rx)
        };
        async move {
            if let Some(rx) = rx {
                let _ = rx.await;
            }
        }
    }

    fn retire_socket(&self) {
        if let Some((gen, socket)) = self.socket.borrow_mut().take() {
            socket.close();
            self.retired.borrow_mut().push((gen, socket));
        }
    }

    fn socket_event(driver: &Rc<RoomDriver>, gen: u32, event: SignalingEvent) {
        let ctx = &driver.ctx;
        if gen != ctx.socket_gen.get() || ctx.socket.borrow().is_none() {
            // A socket we replaced or closed: only its end matters (to `leave`).
            if let SignalingEvent::Closed { .. } = event {
                ctx.retired.borrow_mut().retain(|(g, _)| *g != gen);
                if ctx.retired.borrow().is_empty() {
                    for tx in ctx.closed_waiters.borrow_mut().drain(..) {
                        let _ = tx.send(());
                    }
                }
            }
            return;
        }
        driver.handle(match event {
            SignalingEvent::Open => RoomInput::SocketOpened,
            SignalingEvent::Frame { seq, message } => RoomInput::Frame { seq, message },
            SignalingEvent::Alive => RoomInput::Alive,
            SignalingEvent::BadFrame(why) => RoomInput::BadFrame { why },
            SignalingEvent::Closed { code, reason, .. } => {
                ctx.socket.borrow_mut().take();
                RoomInput::SocketClosed { code, reason }
            }
        });
    }

    fn open_socket(driver: &Rc<RoomDriver>) {
        let ctx = &driver.ctx;
        ctx.retire_socket();
        let gen = ctx.socket_gen.get().wrapping_add(1);
        ctx.socket_gen.set(gen);
        let weak = Rc::downgrade(driver);
        let handler = Rc::new(move |event: SignalingEvent| {
            if let Some(driver) = weak.upgrade() {
                RoomCtx::socket_event(&driver, gen, event);
            }
        });
        let url = ctx.url.borrow().clone();
        match SignalingClient::connect(&url, handler) {
            Ok(socket) => *ctx.socket.borrow_mut() = Some((gen, socket)),
            Err(e) => {
                tracing::warn!(%e, "cannot open a signaling socket");
                driver.handle(RoomInput::SocketClosed {
                    code: 1006,
                    reason: e.message,
                });
            }
        }
    }

    fn open_link(
        driver: &Rc<RoomDriver>,
        peer_id: String,
        epoch: u32,
        config: crate::engine::LinkConfig,
        ice_servers: &[steadyrtc_protocol::IceServer],
    ) {
        let ctx = &driver.ctx;
        let ice = ctx.ice.borrow().or_server(ice_servers);
        let handler = link_handler(Rc::downgrade(driver), peer_id.clone(), epoch);
        match PeerLink::with_handler(&ice, config, handler) {
            Ok(link) => {
                if let Some(policy) = &ctx.reconnect_policy {
                    link.set_delay_policy(Box::new(JsDelayPolicy::new(policy.clone())));
                }
                if let Some(stream) = ctx.local.borrow().as_ref() {
                    link.add_stream(stream);
                }
                if let Some(stream) = ctx.screen.borrow().as_ref() {
                    link.add_stream(stream);
                }
                let old = ctx
                    .links
                    .borrow_mut()
                    .insert(peer_id, (epoch, Rc::new(link)));
                drop(old);
            }
            Err(e) => {
                driver.handle(RoomInput::Link {
                    peer_id: peer_id.clone(),
                    epoch,
                    report: LinkReport::Error {
                        message: e.message.clone(),
                    },
                });
                let report = LinkReport::State {
                    from: ConnState::Initializing,
                    to: ConnState::Failed,
                    reason: "browserRefused".into(),
                };
                driver.handle(RoomInput::Link {
                    peer_id,
                    epoch,
                    report,
                });
            }
        }
    }

    fn emit(&self, event: RoomEvent) {
        let Ok(name) = EventName::parse(event.name()) else {
            return;
        };
        let payload = match &event {
            RoomEvent::Error {
                code,
                message,
                server_code,
                peer_id,
            } => {
                let code = ErrorCode::parse(code).unwrap_or(ErrorCode::BrowserError);
                let mut err = SteadyError::new(code, message.clone());
                err.server_code = server_code.clone();
                to_js(&err, peer_id.as_deref())
            }
            RoomEvent::Track { peer_id, .. } => {
                let pending = self
                    .tracks
                    .borrow_mut()
                    .get_mut(peer_id)
                    .and_then(VecDeque::pop_front);
                let Some((track, stream)) = pending else {
                    return;
                };
                track_payload(&event, &track, stream)
            }
            RoomEvent::Message {
                peer_id,
                binary: true,
                ..
            } => {
                let data = self
                    .binaries
                    .borrow_mut()
                    .get_mut(peer_id)
                    .and_then(VecDeque::pop_front);
                binary_payload(&event, data)
            }
            _ => event_payload(&event),
        };
        self.events.emit(name, &payload);
    }
}

/// An event as a plain JS object: its fields, camelCase, without the `event` tag.
pub fn event_payload(event: &RoomEvent) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_missing_as_null(false);
    let value = serde::Serialize::serialize(event, &serializer).unwrap_or(JsValue::UNDEFINED);
    if value.is_object() {
        let _ = Reflect::delete_property(value.unchecked_ref::<js_sys::Object>(), &"event".into());
    }
    value
}

/// What a link reports, turned into room inputs tagged with its peer and epoch.
fn link_handler(weak: Weak<RoomDriver>, peer_id: String, epoch: u32) -> Box<dyn Fn(PeerEvent)> {
    Box::new(move |event| {
        let Some(driver) = weak.upgrade() else { return };
        let ctx = &driver.ctx;
        let report = link_report(event, |kept| match kept {
            Kept::Binary(data) => ctx
                .binaries
                .borrow_mut()
                .get_or_insert_with(peer_id.clone(), VecDeque::new)
                .push_back(data),
            Kept::Track(track, stream) => {
                ctx.remote_tracks
                    .borrow_mut()
                    .get_or_insert_with(peer_id.clone(), Vec::new)
                    .push(Clone::clone(&track));
                if let Some(recorder) = ctx.recorder.borrow().as_ref() {
                    if track.kind() == "audio" {
                        recorder.add_audio(&track);
                    }
                }
                ctx.tracks
                    .borrow_mut()
                    .get_or_insert_with(peer_id.clone(), VecDeque::new)
                    .push_back((track, stream));
            }
        });
        if let Some(report) = report {
            driver.handle(RoomInput::Link {
                peer_id: peer_id.clone(),
                epoch,
                report,
            });
        }
    })
}

impl Executor<RoomEngine> for RoomCtx {
    fn execute(driver: &Rc<RoomDriver>, action: RoomAction) {
        let ctx = &driver.ctx;
        match action {
            RoomAction::OpenSocket => RoomCtx::open_socket(driver),
            RoomAction::CloseSocket => ctx.retire_socket(),
            RoomAction::Send { message } => {
                let socket = ctx.socket.borrow();
                match socket.as_ref() {
                    Some((_, s)) => {
                        if let Err(e) = s.send(&message) {
                            tracing::debug!(%e, kind = message.type_name(), "not sent");
                        }
                    }
                    None => tracing::debug!(kind = message.type_name(), "not sent: no socket"),
                }
            }
            RoomAction::OpenLink {
                peer_id,
                epoch,
                config,
                ice_servers,
            } => RoomCtx::open_link(driver, peer_id, epoch, config, &ice_servers),
            RoomAction::CloseLink { peer_id } => {
                ctx.tracks.borrow_mut().remove(&peer_id);
                ctx.binaries.borrow_mut().remove(&peer_id);
                ctx.remote_tracks.borrow_mut().remove(&peer_id);
                let link = ctx.links.borrow_mut().remove(&peer_id);
                if let Some((_, link)) = link {
                    link.close();
                }
            }
            RoomAction::LinkInput { peer_id, input } => {
                let link = ctx.links.borrow().get(&peer_id).map(|(_, l)| l.clone());
                if let Some(link) = link {
                    link.input(input);
                }
            }
            RoomAction::SampleStats { peer_id } => sample(driver, peer_id),
            RoomAction::SetEncoding { peer_id, encoding } => {
                let link = ctx.links.borrow().get(&peer_id).map(|(_, l)| l.clone());
                if let Some(link) = link {
                    link.set_encoding(&encoding);
                }
            }
            RoomAction::ForceKeyFrame { peer_id } => {
                let link = ctx.links.borrow().get(&peer_id).map(|(_, l)| l.clone());
                if let Some(link) = link {
                    link.force_key_frame();
                }
            }
            RoomAction::PlayoutNow { peer_id, now } => {
                let link = ctx.links.borrow().get(&peer_id).map(|(_, l)| l.clone());
                if let Some(link) = link {
                    link.set_playout_now(now);
                }
            }
            RoomAction::ScheduleTimer { timer, at_ms } => driver.schedule(timer, at_ms),
            RoomAction::CancelTimer { timer } => driver.cancel(&timer),
            RoomAction::FetchToken => fetch_token(driver),
            RoomAction::Emit { event } => ctx.emit(event),
            RoomAction::ApplyMedia {
                kind,
                enabled,
                op,
                device_id,
                recapture,
            } => {
                let how = super::room_media::Capture {
                    device_id,
                    recapture,
                };
                super::room_media::apply(driver, kind, enabled, op, how)
            }
            RoomAction::StartRecorder { video_from } => {
                super::room_recording::start(driver, &video_from)
            }
            RoomAction::StopRecorder => super::room_recording::stop(driver),
            RoomAction::ReleaseMedia => {
                if let Some(stream) = ctx.local.borrow_mut().take() {
                    media::stop(&stream);
                }
                ctx.ended_listeners.borrow_mut().clear();
            }
            RoomAction::StoreDevice { kind, device_id } => {
                crate::browser::devices::remember(kind.as_str(), device_id.as_deref())
            }
            RoomAction::MeasureAudio => super::room_audio::measure(driver),
            RoomAction::SettleChat { request, result } => {
                if let Some(tx) = ctx.waiters.borrow_mut().remove(&request) {
                    let _ = tx.send(result);
                }
            }
            RoomAction::SettleMedia { requests, result } => {
                for id in requests {
                    if let Some(tx) = ctx.waiters.borrow_mut().remove(&id) {
                        let _ = tx.send(result.clone());
                    }
                }
            }
            RoomAction::ConnectDone { result } => {
                if let Some(tx) = ctx.connect_waiter.borrow_mut().take() {
                    let _ = tx.send(result);
                }
            }
            RoomAction::Ignored { what, reason } => {
                tracing::debug!(%what, %reason, "room engine ignored")
            }
            RoomAction::Finished => {
                driver.cancel_all();
                ctx.page_listeners.borrow_mut().clear();
                ctx.battery.borrow_mut().take();
                ctx.ended_listeners.borrow_mut().clear();
                ctx.meters.clear();
                ctx.remote_tracks.borrow_mut().clear();
                ctx.recorder.borrow_mut().take();
                ctx.blob_waiter.borrow_mut().take();
                let links: Vec<Rc<PeerLink>> =
                    ctx.links.take().into_iter().map(|(_, (_, l))| l).collect();
                for link in links {
                    link.close();
                }
                if let Some(stream) = ctx.local.borrow_mut().take() {
                    media::stop(&stream);
                }
                if let Some(stream) = ctx.screen.borrow_mut().take() {
                    media::stop(&stream);
                }
                ctx.retire_socket();
                // The engine resolved `connect` already; a waiter left over is dropped, and
                // its `connect` rejects with `roomClosed`.
                ctx.connect_waiter.borrow_mut().take();
            }
        }
    }
}

/// Samples the link to `peer_id` and reports it, tagged with the link's epoch.
fn sample(driver: &Rc<RoomDriver>, peer_id: String) {
    let Some((epoch, link)) = driver.ctx.links.borrow().get(&peer_id).cloned() else {
        return;
    };
    let weak = Rc::downgrade(driver);
    link_events::sample(link, move |sample| {
        if let Some(driver) = weak.upgrade() {
            driver.handle(RoomInput::Stats {
                peer_id,
                epoch,
                sample,
            });
        }
    });
}

/// Calls the app's `tokenProvider` and reports its answer.
fn fetch_token(driver: &Rc<RoomDriver>) {
    let Some(provider) = driver.ctx.token_provider.clone() else {
        return driver.handle(RoomInput::Token { token: None });
    };
    let weak = Rc::downgrade(driver);
    wasm_bindgen_futures::spawn_local(async move {
        let token = match provider.call0(&JsValue::UNDEFINED) {
            Ok(value) => {
                let settled = match value.dyn_into::<js_sys::Promise>() {
                    Ok(promise) => wasm_bindgen_futures::JsFuture::from(promise).await,
                    Err(value) => Ok(value),
                };
                match settled {
                    Ok(v) => v.as_string(),
                    Err(e) => {
                        tracing::warn!(error = %crate::browser::js::error_message(&e), "tokenProvider failed");
                        None
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %crate::browser::js::error_message(&e), "tokenProvider threw");
                None
            }
        };
        if let Some(driver) = weak.upgrade() {
            driver.handle(RoomInput::Token { token });
        }
    });
}
