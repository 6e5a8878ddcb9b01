//! One `RTCPeerConnection` to one remote peer, driven by the engine's
//! [`PeerEngine`](crate::engine::PeerEngine).
//!
//! The driver turns browser events, timers and remote signals into engine inputs, and
//! executes the engine's actions: browser operations (one at a time, as the engine
//! issues them), outgoing signals, timers, state changes. It decides nothing itself.
//! Every handler is an `EventListener` or `Timeout` owned here and holding only a weak
//! reference, so dropping the link releases everything.

use super::js::{browser_error, error_message, get_string};
use super::peer_ops;
use crate::engine::{Action, ConnState, Input, LinkConfig, Outgoing, PeerEngine, SdpKind, TimerKind, TransportState};
use crate::engine::{trace::Trace, types::SignalingState, Candidate};
use crate::error::{ErrorCode, SteadyError};
use crate::options::IceOptions;
use futures::channel::mpsc::UnboundedSender;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::{Rc, Weak};
use steadyrtc_protocol::SignalData;
use wasm_bindgen::JsCast;
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
    Track { track: MediaStreamTrack, stream: Option<MediaStream> },
    /// The engine's connection state changed.
    State { from: ConnState, to: ConnState, reason: String },
    /// Recovery needs the room to reconnect signaling or rebuild the link.
    Escalate { level: crate::engine::recovery::RecoveryLevel, attempt: u32 },
    /// A browser operation failed.
    Error(SteadyError),
    ChannelOpen,
    ChannelClosed,
    /// A text message arrived on the data channel.
    Message(String),
}

/// A peer connection and its driver. Dropping it closes the connection.
pub struct PeerLink {
    driver: Rc<Driver>,
}

struct Driver {
    pc: RtcPeerConnection,
    channel: RtcDataChannel,
    engine: RefCell<PeerEngine>,
    inbox: RefCell<VecDeque<Input>>,
    busy: Cell<bool>,
    timers: RefCell<HashMap<TimerKind, Timeout>>,
    emit: Box<dyn Fn(PeerEvent)>,
    listeners: RefCell<Vec<EventListener>>,
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

impl PeerLink {
    /// Creates the connection for `peer_id`; its events arrive on `events`.
    pub fn new(
        peer_id: &str,
        ice: &IceOptions,
        config: LinkConfig,
        events: UnboundedSender<(String, PeerEvent)>,
    ) -> Result<Self, SteadyError> {
        let rtc_config = serde_wasm_bindgen::to_value(ice)
            .map_err(|e| SteadyError::new(ErrorCode::InvalidOptions, e.to_string()))?;
        let pc = RtcPeerConnection::new_with_configuration(rtc_config.unchecked_ref())
            .map_err(|e| browser_error("new RTCPeerConnection", &e))?;
        let init = RtcDataChannelInit::new();
        init.set_negotiated(true);
        init.set_id(CHANNEL_ID);
        let channel = pc.create_data_channel_with_data_channel_dict(CHANNEL_LABEL, &init);
        let peer_id = peer_id.to_owned();
        let seed = (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64;
        let driver = Rc::new(Driver {
            pc,
            channel,
            engine: RefCell::new(PeerEngine::new(config, seed)),
            inbox: RefCell::new(VecDeque::new()),
            busy: Cell::new(false),
            timers: RefCell::new(HashMap::new()),
            emit: Box::new(move |event| {
                let _ = events.unbounded_send((peer_id.clone(), event));
            }),
            listeners: RefCell::new(Vec::new()),
        });
        Driver::listen(&driver);
        Ok(Self { driver })
    }

    /// Publishes every track of `stream` to this peer.
    pub fn add_stream(&self, stream: &MediaStream) {
        for track in super::media::tracks(stream) {
            self.driver.pc.add_track_0(&track, stream);
        }
    }

    /// Starts negotiating: the initiator offers, the other side waits for the offer.
    pub fn start(&self) {
        Driver::handle(&self.driver, Input::Start);
    }

    /// Applies one negotiation message from the remote peer.
    pub fn receive(&self, signal: SignalData) {
        let input = match signal {
            SignalData::Offer { sdp } => Input::RemoteDescription { kind: SdpKind::Offer, sdp },
            SignalData::Answer { sdp } => Input::RemoteDescription { kind: SdpKind::Answer, sdp },
            SignalData::Candidate { candidate, sdp_mid, sdp_m_line_index, username_fragment } => {
                Input::RemoteCandidate {
                    candidate: Candidate { candidate, sdp_mid, sdp_m_line_index, username_fragment },
                }
            }
            SignalData::EndOfCandidates => Input::RemoteCandidate { candidate: Candidate::end_of_candidates(None) },
        };
        Driver::handle(&self.driver, input);
    }

    /// Asks for a renegotiation (what the browser's `negotiationneeded` also does).
    pub fn renegotiate(&self) {
        Driver::handle(&self.driver, Input::NegotiationNeeded);
    }

    /// Tells the engine whether signals can reach the remote peer now.
    pub fn set_signaling_up(&self, up: bool) {
        Driver::handle(&self.driver, if up { Input::SignalingUp } else { Input::SignalingDown });
    }

    /// Tells the engine whether the browser is online (recovery pauses while offline).
    pub fn set_online(&self, online: bool) {
        Driver::handle(&self.driver, Input::NetworkOnline { online });
    }

    /// Tells the engine whether the page is visible (recovery pauses while hidden).
    pub fn set_visible(&self, visible: bool) {
        Driver::handle(&self.driver, Input::PageVisible { visible });
    }

    /// Sends a text message on the data channel.
    pub fn send(&self, text: &str) -> Result<(), SteadyError> {
        let channel = &self.driver.channel;
        if channel.ready_state() != RtcDataChannelState::Open {
            return Err(SteadyError::new(ErrorCode::NotConnected, "the data channel is not open"));
        }
        channel
            .send_with_str(text)
            .map_err(|e| SteadyError::new(ErrorCode::NotConnected, error_message(&e)))
    }

    pub fn is_channel_open(&self) -> bool {
        self.driver.channel.ready_state() == RtcDataChannelState::Open
    }

    /// The engine's connection state.
    pub fn state(&self) -> ConnState {
        self.driver.engine.borrow().state()
    }

    /// No negotiation pending on this side.
    pub fn is_settled(&self) -> bool {
        self.driver.engine.borrow().is_settled()
    }

    /// Offers and answers sent so far.
    pub fn descriptions_sent(&self) -> (u32, u32) {
        self.driver.engine.borrow().descriptions_sent()
    }

    /// The engine's recorded trace, for diagnostics.
    pub fn trace(&self) -> Option<Trace> {
        self.driver.engine.borrow().trace()
    }

    /// Closes the channel and the connection. Idempotent.
    pub fn close(&self) {
        Driver::handle(&self.driver, Input::Close);
    }
}

impl Drop for PeerLink {
    fn drop(&mut self) {
        self.close();
        self.driver.listeners.borrow_mut().clear();
    }
}

impl Driver {
    /// Feeds `input` to the engine and executes the resulting actions. Inputs that arrive
    /// while actions run (re-entrancy) are queued and handled in order.
    fn handle(this: &Rc<Self>, input: Input) {
        this.inbox.borrow_mut().push_back(input);
        if this.busy.replace(true) {
            return;
        }
        loop {
            let next = this.inbox.borrow_mut().pop_front();
            let Some(input) = next else { break };
            let actions = this.engine.borrow_mut().handle(now_ms(), input);
            for action in actions {
                Self::execute(this, action);
            }
        }
        this.busy.set(false);
    }

    fn execute(this: &Rc<Self>, action: Action) {
        match action {
            Action::Run { op } => {
                let weak = Rc::downgrade(this);
                let pc = this.pc.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let done = peer_ops::run(&pc, op).await;
                    if let Some(driver) = weak.upgrade() {
                        Self::handle(&driver, done);
                    }
                });
            }
            Action::Send { message } => (this.emit)(PeerEvent::Signal(to_signal(message))),
            Action::ScheduleTimer { timer, at_ms } => {
                let weak = Rc::downgrade(this);
                let delay = at_ms.saturating_sub(now_ms()).min(u32::MAX as u64) as u32;
                let timeout = Timeout::new(delay, move || {
                    if let Some(driver) = weak.upgrade() {
                        driver.timers.borrow_mut().remove(&timer);
                        Self::handle(&driver, Input::TimerFired { timer });
                    }
                });
                this.timers.borrow_mut().insert(timer, timeout);
            }
            Action::CancelTimer { timer } => {
                this.timers.borrow_mut().remove(&timer);
            }
            Action::StateChanged { from, to, reason } => {
                tracing::debug!(from = from.as_str(), to = to.as_str(), %reason, "link state");
                (this.emit)(PeerEvent::State { from, to, reason });
            }
            Action::Escalate { level, attempt } => (this.emit)(PeerEvent::Escalate { level, attempt }),
            Action::Error { op, message } => (this.emit)(PeerEvent::Error(SteadyError::new(
                ErrorCode::BrowserError,
                format!("{op} failed: {message}"),
            ))),
            Action::Ignored { input, reason } => tracing::debug!(%input, %reason, "engine ignored"),
            Action::Close => {
                this.timers.borrow_mut().clear();
                this.channel.close();
                this.pc.close();
            }
        }
    }

    /// Registers the browser handlers; each holds a weak reference to the driver.
    fn listen(this: &Rc<Self>) {
        let pc = &this.pc;
        let input_on = |target: &web_sys::EventTarget, name: &'static str, make: fn(&Rc<Driver>, &web_sys::Event) -> Option<Input>| {
            let weak: Weak<Driver> = Rc::downgrade(this);
            EventListener::new(target, name, move |event| {
                let Some(driver) = weak.upgrade() else { return };
                if let Some(input) = make(&driver, event) {
                    Self::handle(&driver, input);
                }
            })
        };
        let mut listeners = vec![
            input_on(pc, "icecandidate", |_, event| {
                let event = event.dyn_ref::<RtcPeerConnectionIceEvent>()?;
                Some(match event.candidate() {
                    None => Input::LocalGatheringComplete,
                    Some(c) if c.candidate().is_empty() => return None,
                    Some(c) => Input::LocalCandidate { candidate: peer_ops::candidate_from_js(&c) },
                })
            }),
            input_on(pc, "negotiationneeded", |_, _| Some(Input::NegotiationNeeded)),
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
        let on_event = |target: &web_sys::EventTarget, name: &'static str, make: fn(&web_sys::Event) -> Option<PeerEvent>| {
            let weak: Weak<Driver> = Rc::downgrade(this);
            EventListener::new(target, name, move |event| {
                if let (Some(driver), Some(e)) = (weak.upgrade(), make(event)) {
                    (driver.emit)(e);
                }
            })
        };
        listeners.push(on_event(pc, "track", |event| {
            let event = event.dyn_ref::<RtcTrackEvent>()?;
            let stream = event.streams().get(0).dyn_into::<MediaStream>().ok();
            Some(PeerEvent::Track { track: event.track(), stream })
        }));
        let channel = &this.channel;
        listeners.push(on_event(channel, "open", |_| Some(PeerEvent::ChannelOpen)));
        listeners.push(on_event(channel, "close", |_| Some(PeerEvent::ChannelClosed)));
        listeners.push(on_event(channel, "message", |event| {
            let text = event.dyn_ref::<MessageEvent>()?.data().as_string()?;
            Some(PeerEvent::Message(text))
        }));
        *this.listeners.borrow_mut() = listeners;
    }
}

fn to_signal(message: Outgoing) -> SignalData {
    match message {
        Outgoing::Description { kind: SdpKind::Offer, sdp } => SignalData::Offer { sdp },
        Outgoing::Description { kind: SdpKind::Answer, sdp } => SignalData::Answer { sdp },
        Outgoing::Candidate { candidate } => SignalData::Candidate {
            candidate: candidate.candidate,
            sdp_mid: candidate.sdp_mid,
            sdp_m_line_index: candidate.sdp_m_line_index,
            username_fragment: candidate.username_fragment,
        },
        Outgoing::EndOfCandidates => SignalData::EndOfCandidates,
    }
}
