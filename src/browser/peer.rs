//! One `RTCPeerConnection` to one remote peer, with the negotiated data channel that
//! carries messages.
//!
//! It reports what the browser does as [`PeerEvent`]s tagged with the remote peer's id,
//! and executes negotiation steps it is given. Negotiation here is deliberately thin (the
//! joiner offers, the other answers; remote candidates wait for the remote description):
//! the engine takes these decisions over.

use super::js::{browser_error, error_message, get_string, settle};
use crate::error::{ErrorCode, SteadyError};
use crate::options::IceOptions;
use futures::channel::mpsc::UnboundedSender;
use gloo_events::EventListener;
use js_sys::Reflect;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use steadyrtc_protocol::SignalData;
use wasm_bindgen::JsCast;
use web_sys::{
    MediaStream, MediaStreamTrack, MessageEvent, RtcDataChannel, RtcDataChannelInit,
    RtcDataChannelState, RtcIceCandidateInit, RtcPeerConnection, RtcPeerConnectionIceEvent,
    RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
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
    /// `connectionState` changed to this value.
    ConnectionState(String),
    ChannelOpen,
    ChannelClosed,
    /// A text message arrived on the data channel.
    Message(String),
}

/// A peer connection and its handlers. Dropping it closes the connection.
pub struct PeerLink {
    pc: RtcPeerConnection,
    channel: RtcDataChannel,
    remote_description_set: Cell<bool>,
    pending_candidates: RefCell<Vec<RtcIceCandidateInit>>,
    _listeners: Vec<EventListener>,
}

impl PeerLink {
    /// Creates the connection for `peer_id`; its events arrive on `events`.
    pub fn new(
        peer_id: &str,
        ice: &IceOptions,
        events: UnboundedSender<(String, PeerEvent)>,
    ) -> Result<Self, SteadyError> {
        let config = serde_wasm_bindgen::to_value(ice)
            .map_err(|e| SteadyError::new(ErrorCode::InvalidOptions, e.to_string()))?;
        let pc = RtcPeerConnection::new_with_configuration(config.unchecked_ref())
            .map_err(|e| browser_error("new RTCPeerConnection", &e))?;
        let init = RtcDataChannelInit::new();
        init.set_negotiated(true);
        init.set_id(CHANNEL_ID);
        let channel = pc.create_data_channel_with_data_channel_dict(CHANNEL_LABEL, &init);

        let peer_id = peer_id.to_owned();
        let emit = Rc::new(move |event: PeerEvent| {
            let _ = events.unbounded_send((peer_id.clone(), event));
        });
        let mut listeners = Vec::with_capacity(6);
        {
            let emit = emit.clone();
            listeners.push(EventListener::new(&pc, "icecandidate", move |event| {
                let Some(event) = event.dyn_ref::<RtcPeerConnectionIceEvent>() else {
                    return;
                };
                match event.candidate() {
                    None => emit(PeerEvent::Signal(SignalData::EndOfCandidates)),
                    Some(c) if c.candidate().is_empty() => {}
                    Some(c) => emit(PeerEvent::Signal(SignalData::Candidate {
                        candidate: c.candidate(),
                        sdp_mid: c.sdp_mid(),
                        sdp_m_line_index: c.sdp_m_line_index(),
                        username_fragment: get_string(&c, "usernameFragment"),
                    })),
                }
            }));
        }
        {
            let emit = emit.clone();
            listeners.push(EventListener::new(&pc, "track", move |event| {
                let Some(event) = event.dyn_ref::<RtcTrackEvent>() else {
                    return;
                };
                let stream = event.streams().get(0).dyn_into::<MediaStream>().ok();
                emit(PeerEvent::Track {
                    track: event.track(),
                    stream,
                });
            }));
        }
        {
            let emit = emit.clone();
            let target = pc.clone();
            listeners.push(EventListener::new(
                &pc,
                "connectionstatechange",
                move |_| {
                    let state = get_string(&target, "connectionState").unwrap_or_default();
                    emit(PeerEvent::ConnectionState(state));
                },
            ));
        }
        {
            let emit = emit.clone();
            listeners.push(EventListener::new(&channel, "open", move |_| {
                emit(PeerEvent::ChannelOpen)
            }));
        }
        {
            let emit = emit.clone();
            listeners.push(EventListener::new(&channel, "close", move |_| {
                emit(PeerEvent::ChannelClosed)
            }));
        }
        listeners.push(EventListener::new(&channel, "message", move |event| {
            if let Some(text) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
            {
                emit(PeerEvent::Message(text));
            }
        }));

        Ok(Self {
            pc,
            channel,
            remote_description_set: Cell::new(false),
            pending_candidates: RefCell::new(Vec::new()),
            _listeners: listeners,
        })
    }

    /// Publishes every track of `stream` to this peer.
    pub fn add_stream(&self, stream: &MediaStream) {
        for track in super::media::tracks(stream) {
            self.pc.add_track_0(&track, stream);
        }
    }

    /// Creates an offer and applies it locally; returns it, to be sent to the peer.
    pub async fn offer(&self) -> Result<SignalData, SteadyError> {
        let offer = settle("createOffer", self.pc.create_offer()).await?;
        let sdp = get_string(&offer, "sdp").unwrap_or_default();
        self.set_local(RtcSdpType::Offer, &sdp).await?;
        Ok(SignalData::Offer { sdp })
    }

    /// Applies one negotiation step from the remote peer. Returns the reply to send back,
    /// if any (an answer to an offer).
    pub async fn apply(&self, signal: SignalData) -> Result<Option<SignalData>, SteadyError> {
        match signal {
            SignalData::Offer { sdp } => {
                self.set_remote(RtcSdpType::Offer, &sdp).await?;
                let answer = settle("createAnswer", self.pc.create_answer()).await?;
                let sdp = get_string(&answer, "sdp").unwrap_or_default();
                self.set_local(RtcSdpType::Answer, &sdp).await?;
                Ok(Some(SignalData::Answer { sdp }))
            }
            SignalData::Answer { sdp } => {
                self.set_remote(RtcSdpType::Answer, &sdp).await?;
                Ok(None)
            }
            SignalData::Candidate {
                candidate,
                sdp_mid,
                sdp_m_line_index,
                username_fragment,
            } => {
                let init = RtcIceCandidateInit::new(&candidate);
                init.set_sdp_mid(sdp_mid.as_deref());
                init.set_sdp_m_line_index(sdp_m_line_index);
                if let Some(ufrag) = username_fragment {
                    let _ = Reflect::set(&init, &"usernameFragment".into(), &ufrag.into());
                }
                if self.remote_description_set.get() {
                    self.add_candidate(&init).await?;
                } else {
                    self.pending_candidates.borrow_mut().push(init);
                }
                Ok(None)
            }
            SignalData::EndOfCandidates => Ok(None),
        }
    }

    /// Sends a text message on the data channel.
    pub fn send(&self, text: &str) -> Result<(), SteadyError> {
        if self.channel.ready_state() != RtcDataChannelState::Open {
            return Err(SteadyError::new(
                ErrorCode::NotConnected,
                "the data channel is not open",
            ));
        }
        self.channel
            .send_with_str(text)
            .map_err(|e| SteadyError::new(ErrorCode::NotConnected, error_message(&e)))
    }

    /// Whether the data channel is open.
    pub fn is_channel_open(&self) -> bool {
        self.channel.ready_state() == RtcDataChannelState::Open
    }

    /// The browser's `connectionState`.
    pub fn connection_state(&self) -> String {
        get_string(&self.pc, "connectionState").unwrap_or_default()
    }

    /// Closes the channel and the connection. Idempotent.
    pub fn close(&self) {
        self.channel.close();
        self.pc.close();
    }

    async fn set_local(&self, kind: RtcSdpType, sdp: &str) -> Result<(), SteadyError> {
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(sdp);
        settle("setLocalDescription", self.pc.set_local_description(&desc)).await?;
        Ok(())
    }

    async fn set_remote(&self, kind: RtcSdpType, sdp: &str) -> Result<(), SteadyError> {
        let desc = RtcSessionDescriptionInit::new(kind);
        desc.set_sdp(sdp);
        settle(
            "setRemoteDescription",
            self.pc.set_remote_description(&desc),
        )
        .await?;
        self.remote_description_set.set(true);
        let pending = std::mem::take(&mut *self.pending_candidates.borrow_mut());
        for init in pending {
            self.add_candidate(&init).await?;
        }
        Ok(())
    }

    async fn add_candidate(&self, init: &RtcIceCandidateInit) -> Result<(), SteadyError> {
        let promise = self
            .pc
            .add_ice_candidate_with_opt_rtc_ice_candidate_init(Some(init));
        settle("addIceCandidate", promise).await.map(|_| ())
    }
}

impl Drop for PeerLink {
    fn drop(&mut self) {
        self.close();
    }
}
