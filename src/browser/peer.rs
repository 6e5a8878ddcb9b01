//! One `RTCPeerConnection` to one remote peer, driven by the engine's
//! [`PeerEngine`](crate::engine::PeerEngine).
//!
//! The driver turns browser events, timers and remote signals into engine inputs, and
//! executes the engine's actions: browser operations (one at a time, as the engine
//! issues them), outgoing signals, timers, state changes. It decides nothing itself.
//! Every handler is an `EventListener` or `Timeout` owned here and holding only a weak
//! reference, so dropping the link releases everything. The engine runs in the generic
//! [`Driver`](super::driver::Driver).

use super::driver::{Driver, Executor, Machine};
use super::js::{browser_error, error_message, get_string};
use super::peer_ops;
use crate::engine::wire::{outgoing_to_signal, signal_to_input};
use crate::engine::{trace::Trace, types::SignalingState};
use crate::engine::{Action, ConnState, Input, LinkConfig, PeerEngine, TimerKind, TransportState};
use crate::error::{ErrorCode, SteadyError};
use crate::options::IceOptions;
use futures::channel::mpsc::UnboundedSender;
use gloo_events::EventListener;
use js_sys::Reflect;
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use steadyrtc_protocol::SignalData;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    MediaStream, MediaStreamTrack, MessageEvent, RtcDataChannel, RtcDataChannelInit,
    RtcDataChannelState, RtcPeerConnection, RtcPeerConnectionIceEvent, RtcTrackEvent,
};

/// Label and stream id of the data channel both sides create (negotiated, so neither
/// side waits for `datachannel`).
const CHANNEL_LABEL: &str = "steadyrtc";
const CHANNEL_ID: u16 = 0;

/// What a peer link reports.
#[derive(Debug)]
pub enum PeerEvent {
    /// A negotiation message to relay to the remote peer.
    Signal(SignalData),
    /// A remote track arrived.
    Track {
        track: MediaStreamTrack,
        stream: Option<MediaStream>,
    },
    /// The engine's connection state changed.
    State {
        from: ConnState,
        to: ConnState,
        reason: String,
    },
    /// Recovery needs the room to reconnect signaling or rebuild the link.
    Escalate {
        level: crate::engine::recovery::RecoveryLevel,
        attempt: u32,
    },
    /// A browser operation failed.
    Error(SteadyError),
    ChannelOpen,
    ChannelClosed,
    /// A text message arrived on the data channel.
    Message(String),
    /// A binary message arrived on the data channel.
    Binary(js_sys::ArrayBuffer),
}

/// A peer connection and its driver. Dropping it closes the connection.
pub struct PeerLink {
    driver: Rc<Driver<PeerEngine, Link>>,
}

/// The browser side of a link: what the engine's actions act on.
pub struct Link {
    pc: RtcPeerConnection,
    channel: RtcDataChannel,
    emit: Box<dyn Fn(PeerEvent)>,
    listeners: RefCell<Vec<EventListener>>,
}

impl Machine for PeerEngine {
    type Input = Input;
    type Action = Action;
    type Timer = TimerKind;

    fn handle(&mut self, now_ms: u64, input: Input) -> Vec<Action> {
        PeerEngine::handle(self, now_ms, input)
    }

    fn timer_input(timer: TimerKind) -> Input {
        Input::TimerFired { timer }
    }
}

type LinkDriver = Driver<PeerEngine, Link>;

impl PeerLink {
    /// Creates the connection for `peer_id`; its events arrive on `events`.
    pub fn new(
        peer_id: &str,
        ice: &IceOptions,
        config: LinkConfig,
        events: UnboundedSender<(String, PeerEvent)>,
    ) -> Result<Self, SteadyError> {
        let peer_id = peer_id.to_owned();
        Self::with_handler(
            ice,
            config,
            Box::new(move |event| {
                let _ = events.unbounded_send((peer_id.clone(), event));
            }),
        )
    }

    /// Creates the connection; `emit` is called with each event, in order.
    pub fn with_handler(
        ice: &IceOptions,
        config: LinkConfig,
        emit: Box<dyn Fn(PeerEvent)>,
    ) -> Result<Self, SteadyError> {
        let rtc_config = serde_wasm_bindgen::to_value(ice)
            .map_err(|e| SteadyError::new(ErrorCode::InvalidOptions, e.to_string()))?;
        let pc = RtcPeerConnection::new_with_configuration(rtc_config.unchecked_ref())
            .map_err(|e| browser_error("new RTCPeerConnection", &e))?;
        let init = RtcDataChannelInit::new();
        init.set_negotiated(true);
        init.set_id(CHANNEL_ID);
        let channel = pc.create_data_channel_with_data_channel_dict(CHANNEL_LABEL, &init);
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let link = Link {
            pc,
            channel,
            emit,
            listeners: RefCell::new(Vec::new()),
        };
        let driver = Driver::new(PeerEngine::new(config, seed), link);
        listen(&driver);
        Ok(Self { driver })
    }

    /// Publishes every track of `stream` to this peer.
    pub fn add_stream(&self, stream: &MediaStream) {
        for track in super::media::tracks(stream) {
            self.driver.ctx.pc.add_track_0(&track, stream);
        }
    }

    /// Feeds one input to the link's engine.
    pub fn input(&self, input: Input) {
        self.driver.handle(input);
    }

    /// Starts negotiating: the initiator offers, the other side waits for the offer.
    pub fn start(&self) {
        self.input(Input::Start);
    }

    /// Applies one negotiation message from the remote peer.
    pub fn receive(&self, signal: SignalData) {
        if let Some(input) = signal_to_input(signal) {
            self.input(input);
        }
    }

    /// Asks for a renegotiation (what the browser's `negotiationneeded` also does).
    pub fn renegotiate(&self) {
        self.input(Input::NegotiationNeeded);
    }

    /// Tells the engine whether signals can reach the remote peer now.
    pub fn set_signaling_up(&self, up: bool) {
        self.input(if up {
            Input::SignalingUp
        } else {
            Input::SignalingDown
        });
    }

    /// Tells the engine whether the browser is online (recovery pauses while offline).
    pub fn set_online(&self, online: bool) {
        self.input(Input::NetworkOnline { online });
    }

    /// Tells the engine whether the page is visible (recovery pauses while hidden).
    pub fn set_visible(&self, visible: bool) {
        self.input(Input::PageVisible { visible });
    }

    /// Replaces the built-in recovery backoff (the app's `reconnectPolicy`).
    pub fn set_delay_policy(&self, policy: Box<dyn crate::engine::recovery::DelayPolicy>) {
        self.driver.update(|engine| engine.set_delay_policy(policy));
    }

    /// Makes the video encoders send a key frame now. Chromium takes `keyFrame` in
    /// `setParameters`' options. Firefox has no such option (its only way is an encoded
    /// transform in a worker), so there the encoding is turned off and on again, which
    /// restarts it with a key frame. Chromium is told apart by `navigator.userAgentData`,
    /// which only Chromium-based browsers have.
    pub fn force_key_frame(&self) {
        let chromium = super::page::is_chromium();
        for sender in self.driver.ctx.pc.get_senders().iter() {
            if !carries_video(&sender) {
                continue;
            }
            wasm_bindgen_futures::spawn_local(async move {
                use super::peer_ops::set_sender_parameters_with as set;
                let done = if chromium {
                    set(&sender, &[], true).await
                } else {
                    match set(&sender, &[("active", false.into())], false).await {
                        Ok(()) => set(&sender, &[("active", true.into())], false).await,
                        Err(e) => Err(e),
                    }
                };
                if let Err(e) = done {
                    tracing::debug!(error = %error_message(&e), "key frame not forced");
                }
            });
        }
    }

    /// Plays received video with no added delay (`now`), or with the browser's usual
    /// delay again. Chromium's `playoutDelayHint` (seconds; `null` restores the default):
    /// at 0 its receiver decodes and shows frames as they complete instead of holding them
    /// for smooth playout, which after an outage is what holds video back for seconds.
    /// Other browsers do not have it; setting it there does nothing.
    pub fn set_playout_now(&self, now: bool) {
        let value = if now { JsValue::from(0) } else { JsValue::NULL };
        for receiver in self.driver.ctx.pc.get_receivers().iter() {
            if carries_video(&receiver) {
                let _ = Reflect::set(&receiver, &"playoutDelayHint".into(), &value);
            }
        }
    }

    /// Applies `encoding` to the senders: bitrate, resolution scale and frame rate of the
    /// video (or its encodings inactive when video is off), bitrate of the audio.
    pub fn set_encoding(&self, encoding: &crate::engine::adapt::Encoding) {
        for sender in self.driver.ctx.pc.get_senders().iter() {
            let Some(track) = Reflect::get(&sender, &"track".into())
                .ok()
                .filter(|t| !t.is_null() && !t.is_undefined())
            else {
                continue;
            };
            let video = get_string(&track, "kind").as_deref() == Some("video");
            let values: Vec<(&str, JsValue)> = if !video {
                vec![("maxBitrate", encoding.audio_bitrate_bps.into())]
            } else if encoding.video_enabled {
                vec![
                    ("active", true.into()),
                    ("maxBitrate", encoding.max_bitrate_bps.into()),
                    (
                        "scaleResolutionDownBy",
                        encoding.scale_resolution_down_by.into(),
                    ),
                    ("maxFramerate", encoding.max_framerate.into()),
                ]
            } else {
                vec![("active", false.into())]
            };
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = super::peer_ops::set_sender_parameters(&sender, &values).await {
                    tracing::debug!(error = %error_message(&e), "setParameters failed");
                }
            });
        }
    }

    /// The peer connection itself (to put local tracks on it, see `publish`).
    pub fn connection(&self) -> RtcPeerConnection {
        self.driver.ctx.pc.clone()
    }

    /// The peer connection's `getStats()` report, entry by entry.
    pub async fn stats(&self) -> Result<Vec<crate::engine::stats_map::RawStats>, SteadyError> {
        let pc = self.driver.ctx.pc.clone();
        super::stats::report(&pc).await
    }

    /// Sends a text message on the data channel.
    pub fn send(&self, text: &str) -> Result<(), SteadyError> {
        let channel = &self.driver.ctx.channel;
        if channel.ready_state() != RtcDataChannelState::Open {
            return Err(SteadyError::new(
                ErrorCode::NotConnected,
                "the data channel is not open",
            ));
        }
        channel
            .send_with_str(text)
            .map_err(|e| SteadyError::new(ErrorCode::NotConnected, error_message(&e)))
    }

    /// The data channel (to send with backpressure, see `data`).
    pub fn channel(&self) -> RtcDataChannel {
        self.driver.ctx.channel.clone()
    }

    pub fn is_channel_open(&self) -> bool {
        self.driver.ctx.channel.ready_state() == RtcDataChannelState::Open
    }

    /// The browser's `connectionState` of the peer connection (`"closed"` once closed).
    pub fn browser_state(&self) -> String {
        get_string(&self.driver.ctx.pc, "connectionState").unwrap_or_default()
    }

    /// The engine's connection state.
    pub fn state(&self) -> ConnState {
        self.driver.read(PeerEngine::state)
    }

    /// No negotiation pending on this side.
    pub fn is_settled(&self) -> bool {
        self.driver.read(PeerEngine::is_settled)
    }

    /// Offers and answers sent so far.
    pub fn descriptions_sent(&self) -> (u32, u32) {
        self.driver.read(PeerEngine::descriptions_sent)
    }

    /// The engine's recorded trace, for diagnostics.
    pub fn trace(&self) -> Option<Trace> {
        self.driver.read(PeerEngine::trace)
    }

    /// Closes the channel and the connection. Idempotent.
    pub fn close(&self) {
        self.input(Input::Close);
    }
}

impl Drop for PeerLink {
    fn drop(&mut self) {
        self.close();
        self.driver.ctx.listeners.borrow_mut().clear();
        self.driver.cancel_all();
    }
}

impl Executor<PeerEngine> for Link {
    fn execute(this: &Rc<LinkDriver>, action: Action) {
        let link = &this.ctx;
        match action {
            Action::Run { op } => {
                let weak = Rc::downgrade(this);
                let pc = link.pc.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let done = peer_ops::run(&pc, op).await;
                    if let Some(driver) = weak.upgrade() {
                        driver.handle(done);
                    }
                });
            }
            Action::Send { message } => (link.emit)(PeerEvent::Signal(outgoing_to_signal(message))),
            Action::ScheduleTimer { timer, at_ms } => this.schedule(timer, at_ms),
            Action::CancelTimer { timer } => this.cancel(&timer),
            Action::StateChanged { from, to, reason } => {
                tracing::debug!(from = from.as_str(), to = to.as_str(), %reason, "link state");
                (link.emit)(PeerEvent::State { from, to, reason });
            }
            Action::Escalate { level, attempt } => {
                (link.emit)(PeerEvent::Escalate { level, attempt })
            }
            Action::Error { op, message } => (link.emit)(PeerEvent::Error(SteadyError::new(
                ErrorCode::BrowserError,
                format!("{op} failed: {message}"),
            ))),
            Action::Ignored { input, reason } => tracing::debug!(%input, %reason, "engine ignored"),
            Action::Close => {
                this.cancel_all();
                link.channel.close();
                link.pc.close();
            }
        }
    }
}

/// Registers the browser handlers; each holds a weak reference to the driver.
fn listen(this: &Rc<LinkDriver>) {
    let pc = &this.ctx.pc;
    let input_on = |target: &web_sys::EventTarget,
                    name: &'static str,
                    make: fn(&Link, &web_sys::Event) -> Option<Input>| {
        let weak: Weak<LinkDriver> = Rc::downgrade(this);
        EventListener::new(target, name, move |event| {
            let Some(driver) = weak.upgrade() else { return };
            if let Some(input) = make(&driver.ctx, event) {
                driver.handle(input);
            }
        })
    };
    let mut listeners = vec![
        input_on(pc, "icecandidate", |_, event| {
            let event = event.dyn_ref::<RtcPeerConnectionIceEvent>()?;
            Some(match event.candidate() {
                None => Input::LocalGatheringComplete,
                Some(c) if c.candidate().is_empty() => return None,
                Some(c) => Input::LocalCandidate {
                    candidate: peer_ops::candidate_from_js(&c),
                },
            })
        }),
        input_on(pc, "negotiationneeded", |_, _| {
            Some(Input::NegotiationNeeded)
        }),
        input_on(pc, "signalingstatechange", |d, _| {
            let state = SignalingState::parse(&get_string(&d.pc, "signalingState")?)?;
            Some(Input::SignalingStateChanged { state })
        }),
        input_on(pc, "iceconnectionstatechange", |d, _| {
            let state = TransportState::parse(&get_string(&d.pc, "iceConnectionState")?)?;
            Some(Input::IceConnectionStateChanged { state })
        }),
        input_on(pc, "connectionstatechange", |d, _| {
            let state = TransportState::parse(&get_string(&d.pc, "connectionState")?)?;
            Some(Input::ConnectionStateChanged { state })
        }),
    ];
    let on_event = |target: &web_sys::EventTarget,
                    name: &'static str,
                    make: fn(&web_sys::Event) -> Option<PeerEvent>| {
        let weak: Weak<LinkDriver> = Rc::downgrade(this);
        EventListener::new(target, name, move |event| {
            if let (Some(driver), Some(e)) = (weak.upgrade(), make(event)) {
                (driver.ctx.emit)(e);
            }
        })
    };
    listeners.push(on_event(pc, "track", |event| {
        let event = event.dyn_ref::<RtcTrackEvent>()?;
        let stream = event.streams().get(0).dyn_into::<MediaStream>().ok();
        Some(PeerEvent::Track {
            track: event.track(),
            stream,
        })
    }));
    let channel = &this.ctx.channel;
    listeners.push(on_event(channel, "open", |_| Some(PeerEvent::ChannelOpen)));
    listeners.push(on_event(channel, "close", |_| {
        Some(PeerEvent::ChannelClosed)
    }));
    channel.set_binary_type(web_sys::RtcDataChannelType::Arraybuffer);
    channel.set_buffered_amount_low_threshold(super::data::LOW_WATER_BYTES);
    listeners.push(on_event(channel, "message", |event| {
        let data = event.dyn_ref::<MessageEvent>()?.data();
        match data.as_string() {
            Some(text) => Some(PeerEvent::Message(text)),
            None => data.dyn_into().ok().map(PeerEvent::Binary),
        }
    }));
    *this.ctx.listeners.borrow_mut() = listeners;
}

/// Whether an `RTCRtpSender` or `RTCRtpReceiver` has a video track now.
fn carries_video(sender_or_receiver: &JsValue) -> bool {
    Reflect::get(sender_or_receiver, &"track".into())
        .ok()
        .filter(|t| t.is_object())
        .and_then(|t| get_string(&t, "kind"))
        .is_some_and(|k| k == "video")
}
