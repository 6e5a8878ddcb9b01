//! `Room`: join a room on a steadyrtc server, connect to every peer in it (mesh),
//! publish the local camera and microphone, exchange data-channel messages, and leave
//! cleanly.
//!
//! One task per room consumes the signaling socket's and the peer links' events in
//! order. No `RefCell` borrow is held across an `.await`.

use super::error::to_js;
use super::events::{EventHub, EventName};
use crate::browser::js::object;
use crate::browser::media;
use crate::browser::page::{self, PageEvent};
use crate::browser::peer::{PeerEvent, PeerLink};
use crate::browser::signaling::{SignalingClient, SignalingEvent};
use crate::engine::session::{SessionConfig, SessionInput, SessionState, SessionSupervisor, SessionTimer};
use crate::engine::{ConnState, LinkConfig};
use std::collections::HashMap;
use crate::error::{ErrorCode, SteadyError};
use crate::options::{IceOptions, IceServer, RoomOptions};
use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use std::cell::RefCell;
use std::rc::Rc;
use steadyrtc_protocol::{ClientMessage, PeerInfo, Role, ServerMessage, SignalData};
use wasm_bindgen::prelude::*;
use web_sys::MediaStream;

/// Largest text `send` accepts, in bytes.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;

type PeerEvents = (String, PeerEvent);

/// A joined room. Create it with `Room.join(options)`.
#[path = "room_join.rs"]
mod join;
#[path = "room_session.rs"]
mod session;

use join::connect;

#[wasm_bindgen]
pub struct Room {
    inner: Rc<Inner>,
}

struct Inner {
    events: EventHub,
    state: RefCell<State>,
    /// Keeps the connection to the server up (see `room_session.rs`).
    session: RefCell<SessionSupervisor>,
    session_timers: RefCell<HashMap<SessionTimer, gloo_timers::callback::Timeout>>,
}

struct State {
    peer_id: String,
    room: String,
    ice: IceOptions,
    local: Option<MediaStream>,
    signaling: Option<SignalingClient>,
    /// Where new sockets report (the run loop's signaling channel).
    sig_tx: UnboundedSender<SignalingEvent>,
    /// What a reconnection needs: where, who, and how far the session got.
    url: String,
    name: String,
    token: Option<String>,
    session_id: String,
    last_seq: u64,
    peer_tx: Option<UnboundedSender<PeerEvents>>,
    /// This participant may send offers (its token grants publish).
    can_publish: bool,
    /// (online, visible): recovery pauses while offline or hidden.
    page: (bool, bool),
    page_listeners: Vec<gloo_events::EventListener>,
    peers: Vec<Remote>,
    closed: bool,
}

struct Remote {
    info: PeerInfo,
    link: Rc<PeerLink>,
    state: ConnState,
}

#[wasm_bindgen]
impl Room {
    /// Joins a room: captures local media, connects to the signaling server, and starts
    /// connecting to every peer already there. Rejects with a `SteadyError`.
    pub async fn join(
        #[wasm_bindgen(unchecked_param_type = "RoomOptions")] options: JsValue,
    ) -> Result<Room, JsValue> {
        let options: RoomOptions = serde_wasm_bindgen::from_value(options)
            .map_err(|e| SteadyError::new(ErrorCode::InvalidOptions, e.to_string()))?;
        options.validate()?;
        let local = media::capture(options.media.audio, options.media.video).await?;
        match connect(&options).await {
            Ok((signaling, sig_tx, sig_rx, welcome)) => {
                Ok(Room::start(options, local, signaling, sig_tx, sig_rx, welcome))
            }
            Err(e) => {
                if let Some(stream) = &local {
                    media::stop(stream);
                }
                Err(e.into())
            }
        }
    }

    /// Registers `handler` for `event`. Unknown event names throw `invalidArgument`.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, handler: js_sys::Function) -> Result<(), JsValue> {
        self.inner.events.on(EventName::parse(event)?, handler);
        Ok(())
    }

    /// Removes a handler registered with `on`.
    #[wasm_bindgen(skip_typescript)]
    pub fn off(&self, event: &str, handler: js_sys::Function) -> Result<(), JsValue> {
        self.inner.events.off(EventName::parse(event)?, &handler);
        Ok(())
    }

    /// Sends `text` to every peer whose data channel is open; returns how many.
    /// Throws `notConnected` when nobody is reachable, `invalidArgument` over 64 KiB,
    /// `roomClosed` after `leave`.
    pub fn send(&self, text: &str) -> Result<u32, JsValue> {
        if text.len() > MAX_MESSAGE_BYTES {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "message is {} bytes; at most {MAX_MESSAGE_BYTES}",
                    text.len()
                ),
            )
            .into());
        }
        let state = self.inner.state.borrow();
        if state.closed {
            return Err(closed_error().into());
        }
        let sent = state
            .peers
            .iter()
            .filter(|p| p.link.send(text).is_ok())
            .count();
        if sent == 0 {
            return Err(SteadyError::new(
                ErrorCode::NotConnected,
                "no peer has an open data channel",
            )
            .into());
        }
        Ok(sent as u32)
    }

    /// The peers in the room now, with their connection state.
    #[wasm_bindgen(unchecked_return_type = "PeerSummary[]")]
    pub fn peers(&self) -> js_sys::Array {
        let state = self.inner.state.borrow();
        state
            .peers
            .iter()
            .map(|p| {
                object(&[
                    ("id", p.info.id.as_str().into()),
                    ("name", p.info.name.as_str().into()),
                    ("connectionState", p.state.as_str().into()),
                ])
            })
            .collect()
    }

    /// This participant's id, as the server assigned it.
    #[wasm_bindgen(getter, js_name = peerId)]
    pub fn peer_id(&self) -> String {
        self.inner.state.borrow().peer_id.clone()
    }

    /// The room's name.
    #[wasm_bindgen(getter, js_name = roomName)]
    pub fn room_name(&self) -> String {
        self.inner.state.borrow().room.clone()
    }

    /// The local camera/microphone stream, for a preview; undefined without media.
    #[wasm_bindgen(getter, js_name = localStream)]
    pub fn local_stream(&self) -> Option<MediaStream> {
        self.inner.state.borrow().local.clone()
    }

    /// Leaves the room: tells the server, closes every peer connection, stops the local
    /// tracks and drops every handler. Safe to call twice.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn leave(&self) -> js_sys::Promise {
        self.inner.shutdown();
        js_sys::Promise::resolve(&JsValue::UNDEFINED)
    }
}

fn closed_error() -> SteadyError {
    SteadyError::new(
        ErrorCode::RoomClosed,
        "the room was left; join again with Room.join",
    )
}

impl Room {
    fn start(
        options: RoomOptions,
        local: Option<MediaStream>,
        signaling: SignalingClient,
        sig_tx: UnboundedSender<SignalingEvent>,
        sig_rx: UnboundedReceiver<SignalingEvent>,
        welcome: ServerMessage,
    ) -> Room {
        let (peer_id, room, present, can_publish, server_ice, session_id, heartbeat) = match welcome {
            ServerMessage::Welcome {
                peer_id,
                room,
                peers,
                grants,
                ice_servers,
                session_id,
                heartbeat,
                ..
            } => (peer_id, room, peers, grants.publish, ice_servers, session_id, heartbeat),
            _ => (String::new(), options.room.clone(), Vec::new(), true, Vec::new(), String::new(), Default::default()),
        };
        let mut ice = options.ice;
        if ice.ice_servers.is_empty() {
            // No servers of the app's own: use what the server handed out (STUN and
            // TURN with fresh credentials).
            ice.ice_servers = server_ice.into_iter().map(IceServer::from).collect();
        }
        let (peer_tx, peer_rx) = unbounded();
        let (page_tx, page_rx) = unbounded();
        let inner = Rc::new(Inner {
            events: EventHub::default(),
            state: RefCell::new(State {
                peer_id,
                room,
                ice,
                can_publish,
                local,
                signaling: Some(signaling),
                sig_tx,
                url: options.url.clone(),
                name: options.name.clone(),
                token: options.token.clone(),
                session_id,
                last_seq: 0,
                peer_tx: Some(peer_tx),
                page: page::current(),
                page_listeners: page::watch(page_tx),
                peers: Vec::new(),
                closed: false,
            }),
            session: RefCell::new(SessionSupervisor::new(
                SessionConfig::default(),
                (js_sys::Math::random() * 9_007_199_254_740_991.0) as u64,
            )),
            session_timers: RefCell::new(HashMap::new()),
        });
        inner.session_input(SessionInput::Joined { heartbeat_timeout_ms: heartbeat.timeout_ms });
        // Links to the peers already present exist before `join` resolves, so `peers()`
        // lists them at once; `peerJoined` is for later arrivals. We are the later joiner:
        // we send the first offer if we may publish.
        for info in present {
            let config = link_config(&info, true, can_publish);
            inner.add_peer(info, config);
        }
        wasm_bindgen_futures::spawn_local(run(inner.clone(), sig_rx, peer_rx, page_rx));
        Room { inner }
    }
}

enum Input {
    Signaling(SignalingEvent),
    Peer(PeerEvents),
    Page(PageEvent),
}

async fn run(
    inner: Rc<Inner>,
    sig_rx: UnboundedReceiver<SignalingEvent>,
    peer_rx: UnboundedReceiver<PeerEvents>,
    page_rx: UnboundedReceiver<PageEvent>,
) {
    let mut inputs = futures::stream::select(
        futures::stream::select(sig_rx.map(Input::Signaling), peer_rx.map(Input::Peer)),
        page_rx.map(Input::Page),
    );
    while let Some(input) = inputs.next().await {
        if inner.state.borrow().closed {
            break;
        }
        match input {
            Input::Signaling(event) => inner.on_signaling(event),
            Input::Peer((id, event)) => inner.on_peer(&id, event),
            Input::Page(event) => {
                inner.session_input(match event {
                    PageEvent::Online(online) => SessionInput::NetworkOnline { online },
                    PageEvent::Visible(visible) => SessionInput::PageVisible { visible },
                });
                inner.on_page(event)
            }
        }
    }
    tracing::debug!("room task ended");
}

impl Inner {
    /// Creates the link to `info`, publishing local media on it, and starts it. Returns
    /// it, or `None` after emitting an `error` event if the browser refused.
    fn add_peer(&self, info: PeerInfo, config: LinkConfig) -> Option<Rc<PeerLink>> {
        let mut state = self.state.borrow_mut();
        let tx = state.peer_tx.clone()?;
        let link = match PeerLink::new(&info.id, &state.ice, config, tx) {
            Ok(link) => Rc::new(link),
            Err(e) => {
                drop(state);
                self.emit_error(&e, Some(&info.id));
                return None;
            }
        };
        if let Some(stream) = &state.local {
            link.add_stream(stream);
        }
        state.peers.push(Remote {
            info,
            link: link.clone(),
            state: ConnState::Initializing,
        });
        let (online, visible) = state.page;
        drop(state);
        link.start();
        if !online {
            link.set_online(false);
        }
        if !visible {
            link.set_visible(false);
        }
        Some(link)
    }

    fn link(&self, id: &str) -> Option<Rc<PeerLink>> {
        self.state
            .borrow()
            .peers
            .iter()
            .find(|p| p.info.id == id)
            .map(|p| p.link.clone())
    }

    fn signal(&self, to: &str, data: SignalData) {
        let state = self.state.borrow();
        let Some(signaling) = &state.signaling else {
            return;
        };
        let data = match serde_json::to_value(&data) {
            Ok(v) => v,
            Err(e) => return tracing::error!(%e, "unserializable signal"),
        };
        if let Err(e) = signaling.send(&ClientMessage::Signal {
            to: to.to_owned(),
            data,
        }) {
            tracing::warn!(%e, to, "signal not sent");
        }
    }

    fn on_signaling(self: &Rc<Self>, event: SignalingEvent) {
        if matches!(event, SignalingEvent::Message(_) | SignalingEvent::Alive) {
            self.session_input(SessionInput::FrameReceived);
        }
        let session = self.session.borrow().state();
        match event {
            SignalingEvent::Message(ServerMessage::PeerJoined { peer }) => {
                let payload = peer_info_js(&peer);
                // The newcomer offers, unless it may not publish.
                let config = link_config(&peer, false, self.state.borrow().can_publish);
                if self.add_peer(peer, config).is_some() {
                    self.events.emit(EventName::PeerJoined, &payload);
                }
            }
            SignalingEvent::Message(ServerMessage::PeerLeft { peer_id, reason }) => {
                let removed = {
                    let mut state = self.state.borrow_mut();
                    let i = state.peers.iter().position(|p| p.info.id == peer_id);
                    i.map(|i| state.peers.remove(i))
                };
                if let Some(remote) = removed {
                    remote.link.close();
                    let reason = match reason {
                        steadyrtc_protocol::LeaveReason::Left => "left",
                        steadyrtc_protocol::LeaveReason::Disconnected => "disconnected",
                        steadyrtc_protocol::LeaveReason::Timeout => "timeout",
                    };
                    let payload = object(&[
                        ("id", remote.info.id.as_str().into()),
                        ("name", remote.info.name.as_str().into()),
                        ("reason", reason.into()),
                    ]);
                    self.events.emit(EventName::PeerLeft, &payload);
                }
            }
            SignalingEvent::Message(ServerMessage::Signal { from, data }) => {
                let signal = match serde_json::from_value::<SignalData>(data) {
                    Ok(s) => s,
                    Err(e) => return tracing::warn!(%e, from, "ignored malformed signal"),
                };
                let Some(link) = self.link(&from) else {
                    return tracing::warn!(from, "signal from a peer not in the room");
                };
                link.receive(signal);
            }
            SignalingEvent::Message(ServerMessage::Error { code, .. }) if session == SessionState::Resuming => {
                self.session_input(SessionInput::ResumeRefused { code: code.as_str().into() });
            }
            SignalingEvent::Message(ServerMessage::Error { code, message }) if session == SessionState::Rejoining => {
                let err = SteadyError::new(ErrorCode::JoinRejected, message).with_server_code(code.as_str());
                self.emit_error(&err, None);
                self.session_input(SessionInput::JoinRefused { code: code.as_str().into() });
            }
            SignalingEvent::Message(ServerMessage::Error { code, message }) => {
                let err = SteadyError::new(ErrorCode::BrowserError, message)
                    .with_server_code(code.as_str());
                tracing::warn!(%err, "server refused a message");
                self.emit_error(&err, None);
            }
            SignalingEvent::Message(welcome @ ServerMessage::Welcome { .. }) => {
                if session == SessionState::Rejoining {
                    self.rejoined(welcome);
                } else {
                    tracing::warn!("unexpected second welcome ignored")
                }
            }
            SignalingEvent::Message(ServerMessage::Resumed { .. }) => self.session_input(SessionInput::Resumed),
            SignalingEvent::Message(ServerMessage::GoAway { reconnect_in_ms, reason }) => {
                tracing::info!(%reason, reconnect_in_ms, "server going away");
                self.session_input(SessionInput::GoAway { reconnect_in_ms });
            }
            SignalingEvent::Message(other) => {
                tracing::debug!(?other, "server message not handled yet")
            }
            SignalingEvent::BadFrame(why) => tracing::warn!(%why, "bad frame from server"),
            SignalingEvent::Alive => {}
            SignalingEvent::Open => self.session_input(SessionInput::SocketOpened),
            SignalingEvent::Closed { code, reason, .. } => {
                self.drop_socket();
                if session == SessionState::Connected {
                    // Calls already up keep their media while the session reconnects.
                    let payload = object(&[("code", code.into()), ("reason", reason.into())]);
                    self.events.emit(EventName::Disconnected, &payload);
                }
                self.session_input(SessionInput::SocketClosed { code });
            }
        }
    }

    fn on_peer(&self, id: &str, event: PeerEvent) {
        match event {
            PeerEvent::Signal(data) => self.signal(id, data),
            PeerEvent::Track { track, stream } => {
                let stream = stream.map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
                let payload = object(&[
                    ("peerId", id.into()),
                    ("track", track.into()),
                    ("stream", stream),
                ]);
                self.events.emit(EventName::Track, &payload);
            }
            PeerEvent::State { from, to, reason } => {
                {
                    let mut state = self.state.borrow_mut();
                    let Some(p) = state.peers.iter_mut().find(|p| p.info.id == id) else {
                        return;
                    };
                    p.state = to;
                }
                let payload = object(&[
                    ("peerId", id.into()),
                    ("from", from.as_str().into()),
                    ("to", to.as_str().into()),
                    ("reason", reason.into()),
                ]);
                self.events.emit(EventName::StateChange, &payload);
            }
            PeerEvent::Escalate { level, attempt } => {
                // Signaling reset and full reconnect are executed by the room in a later
                // step; the link keeps restarting ICE meanwhile.
                tracing::warn!(?level, attempt, id, "recovery escalated");
            }
            PeerEvent::Error(e) => self.emit_error(&e, Some(id)),
            PeerEvent::ChannelOpen => tracing::debug!(id, "data channel open"),
            PeerEvent::ChannelClosed => tracing::debug!(id, "data channel closed"),
            PeerEvent::Message(text) => {
                let payload = object(&[("peerId", id.into()), ("text", text.into())]);
                self.events.emit(EventName::Message, &payload);
            }
        }
    }

    /// Forwards online/offline and visibility to every link's engine.
    fn on_page(&self, event: PageEvent) {
        let links: Vec<Rc<PeerLink>> = {
            let mut state = self.state.borrow_mut();
            match event {
                PageEvent::Online(online) => state.page.0 = online,
                PageEvent::Visible(visible) => state.page.1 = visible,
            }
            state.peers.iter().map(|p| p.link.clone()).collect()
        };
        for link in links {
            match event {
                PageEvent::Online(online) => link.set_online(online),
                PageEvent::Visible(visible) => link.set_visible(visible),
            }
        }
    }

    fn emit_error(&self, err: &SteadyError, peer_id: Option<&str>) {
        tracing::warn!(%err, ?peer_id, "room error");
        self.events.emit(EventName::Error, &to_js(err, peer_id));
    }

    fn shutdown(&self) {
        let (signaling, peers, local) = {
            let mut state = self.state.borrow_mut();
            if state.closed {
                return;
            }
            state.closed = true;
            state.peer_tx = None;
            state.page_listeners.clear();
            self.session_timers.borrow_mut().clear();
            (
                state.signaling.take(),
                std::mem::take(&mut state.peers),
                state.local.take(),
            )
        };
        if let Some(signaling) = signaling {
            let _ = signaling.send(&ClientMessage::Leave {});
            signaling.close();
        }
        for remote in peers {
            remote.link.close();
        }
        if let Some(stream) = local {
            media::stop(&stream);
        }
        self.events.clear();
    }
}

/// The engine configuration of the link to `peer`: politeness as the server assigned it;
/// the joiner offers first, and a side that may not publish never offers.
fn link_config(peer: &PeerInfo, we_joined_later: bool, can_publish: bool) -> LinkConfig {
    let remote_can_publish = peer.role != Role::Listener;
    LinkConfig {
        polite: peer.polite,
        initiator: can_publish && (we_joined_later || !remote_can_publish),
        can_offer: can_publish,
        ..LinkConfig::default()
    }
}

fn peer_info_js(peer: &PeerInfo) -> JsValue {
    object(&[
        ("id", peer.id.as_str().into()),
        ("name", peer.name.as_str().into()),
    ])
}
