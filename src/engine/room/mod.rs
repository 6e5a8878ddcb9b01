//! The room engine: every decision of a room, sans-IO.
//!
//! It owns the signaling [`SessionSupervisor`], the first join, the set of peer links
//! with their roles and epochs, and the reading of every server message in every phase.
//! It numbers and acknowledges server messages (and forgets the numbering when a resume
//! is refused, so the new session's `welcome` is not taken for a replay), diffs the peers
//! after a rejoin, and executes each link's recovery ladder above ICE restart: a
//! signaling reset replaces the socket and resumes the session; a full reconnect builds a
//! new peer connection at the next epoch, on both sides. A link that fails while its peer
//! is still in the room is rebuilt with backoff once signaling is up, for up to
//! `rebuildBudgetMs`, so a long outage never leaves a call dead.
//!
//! It emits [`RoomEvent`]s, the one schema of what JS receives. It never touches a socket,
//! a peer connection, a clock or a random source: the driver in `src/api/` feeds it and
//! does what it says. After `leave`, `roomEnded` or a refused first join it emits
//! [`RoomAction::Finished`] and then nothing, whatever it is fed.

mod audio;
mod chat;
mod diagnostics;
mod events;
mod floor;
mod keyframe;
mod links;
mod matching;
mod media;
mod quality;
mod recording;
mod reports;
mod server;
pub mod trace;
mod types;

pub use chat::{ChatLine, MAX_CHAT_CHARS};
pub use diagnostics::{Diagnostics, PeerDiagnostics, Step as DiagnosticsStep};
pub use events::{PeerView, QualityMetrics, RecoveryPhase, RoomEvent};
pub use types::{DeviceInfo, LinkReport, RoomAction, RoomConfig, RoomInput, RoomTimer};

use crate::engine::adapt::{Adapter, Preference};
use crate::engine::recovery::{backoff_delay, RecoveryConfig, RecoveryLevel};
use crate::engine::rng::SeededRng;
use crate::engine::session::{SessionAction, SessionInput, SessionState, SessionSupervisor};
use crate::engine::types::{ConnState, Input};
use crate::engine::vec_map::VecMap;
use crate::error::{ErrorCode, SteadyError};
use steadyrtc_protocol::{ClientMessage, IceServer, MatchPrefs, PeerInfo, PROTOCOL_VERSION};

/// Where the room is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Created; `connect` not called yet.
    Idle,
    /// The first join is under way.
    Joining { socket_open: bool },
    /// Joined; the session supervisor keeps it so.
    Joined,
    /// Left, ended, or never joined: nothing more happens.
    Over,
}

/// Who we are in the room, from the latest `welcome`.
#[derive(Debug, Clone, Default)]
struct Me {
    peer_id: String,
    session_id: String,
    can_publish: bool,
    can_record: bool,
    /// May promote and demote others and end the room (`admin` grant).
    can_admin: bool,
    /// The protocol version the server announced in `welcome`.
    server_version: u32,
    /// This participant records the room now.
    recording: bool,
}

/// A remote participant and the room's view of the link to it.
#[derive(Debug, Clone)]
struct Remote {
    info: PeerInfo,
    /// The epoch of the link in use (both sides count full reconnects).
    epoch: u32,
    /// The state the app was last told.
    shown: ConnState,
    /// A link exists (opened and not closed).
    link_open: bool,
    /// A recovery episode under way.
    episode: Option<Episode>,
    /// A rebuild waits for signaling to come back.
    rebuild_pending: bool,
    /// The peer's publish grant changed: its next new connection is a renewal, not a
    /// recovery.
    renewing: bool,
    /// Rebuilds in the current episode.
    rebuilds: u32,
    /// The link's own state (the app may be shown `reconnecting` through a rebuild).
    link_state: ConnState,
    /// Scores the link's `getStats()` samples; the last `quality` event.
    quality: crate::engine::link_quality::LinkQuality,
    /// Chooses what we send on this link.
    adapter: Adapter,
    /// When the first link to this peer was opened (setup time), and whether it was
    /// reported; when the last `report` about this peer went to the server.
    opened_at: u64,
    setup_reported: bool,
    reported_at: Option<u64>,
    /// What the peer told us of its media.
    media: media::RemoteMedia,
    /// Adaptation paused our video to this peer, for this reason.
    sent_paused: Option<String>,
    /// When we last forced a key frame to this peer, and last asked it for one.
    key_frame_forced_at: Option<u64>,
    key_frame_asked_at: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Episode {
    since: u64,
    level: RecoveryLevel,
    /// When the link came back, while that waits `recoveredHoldMs` to be told.
    back_at: Option<u64>,
}

/// Whether something done at most once every `every_ms` may be done `now`; if so,
/// records `now` as the last time.
fn turn(last: &mut Option<u64>, now: u64, every_ms: u64) -> bool {
    if last.is_some_and(|t| now.saturating_sub(t) < every_ms) {
        return false;
    }
    *last = Some(now);
    true
}

/// The room engine. See the module docs.
pub struct RoomEngine {
    cfg: RoomConfig,
    rng: SeededRng,
    now: u64,
    phase: Phase,
    session: SessionSupervisor,
    me: Me,
    /// The highest server `seq` received in this session.
    last_seq: u64,
    ice_servers: Vec<IceServer>,
    peers: VecMap<String, Remote>,
    timers: VecMap<RoomTimer, u64>,
    online: bool,
    visible: bool,
    /// `FetchToken` was issued and not answered yet.
    awaiting_token: bool,
    /// `connect`'s capture is under way (`RoomConfig::capturing`): `join` waits for it.
    awaiting_media: bool,
    /// Sockets the server closed while `join` waited for the capture (reopened, up to 3).
    idle_closes: u32,
    /// The token was refreshed for the join under way (refresh once per join).
    token_refreshed: bool,
    last_reset_at: Option<u64>,
    /// The app's quality preference for every link (`setQuality`); per-peer ones win.
    preference: Preference,
    /// What the browser says of the device and network (caps every link's ladder).
    presets: crate::engine::adapt::Presets,
    /// The local media toggles.
    media: crate::engine::media::MediaControl,
    audio: audio::AudioState,
    chat: chat::Chat,
    /// The device chosen for each source.
    chosen: media::Chosen,
    /// The stream id of our screen share, once the peers may be told.
    my_screen: Option<String>,
    /// Waiting in the match queue (a match room between partners).
    queue: Option<matching::Wait>,
    /// The listeners seen, as the app was last told (`attendees`).
    attendees: usize,
    /// Every input and command, for `exportTrace()` and replay.
    trace: trace::RoomTrace,
    /// What was emitted, for `diagnostics()`.
    diagnostics: diagnostics::DiagnosticsLog,
    out: Vec<RoomAction>,
}

impl RoomEngine {
    pub fn new(cfg: RoomConfig, seed: u64) -> Self {
        let mut rng = SeededRng::new(seed);
        let session = SessionSupervisor::new(cfg.session.clone(), rng.next_u64());
        let trace = trace::RoomTrace::new(cfg.clone(), seed);
        let chat = chat::Chat::new(format!("{:08x}", rng.next_u64() as u32));
        Self {
            chat,
            media: media::control(&cfg),
            chosen: media::Chosen::from_config(&cfg),
            my_screen: None,
            audio: audio::AudioState {
                detector: crate::engine::speaking::SpeakingDetector::new(cfg.speaking.clone()),
                ..Default::default()
            },
            cfg,
            rng,
            now: 0,
            phase: Phase::Idle,
            session,
            me: Me::default(),
            last_seq: 0,
            ice_servers: Vec::new(),
            peers: VecMap::new(),
            timers: VecMap::new(),
            online: true,
            visible: true,
            awaiting_token: false,
            awaiting_media: false,
            idle_closes: 0,
            token_refreshed: false,
            last_reset_at: None,
            preference: Preference::Auto,
            queue: None,
            attendees: 0,
            diagnostics: Default::default(),
            presets: Default::default(),
            trace,
            out: Vec::new(),
        }
    }

    /// Sets what to join. Only before `Connect`: `connect` may be called once.
    pub fn prepare(&mut self, cfg: RoomConfig) -> Result<(), SteadyError> {
        self.trace.record(
            self.now,
            trace::RoomStep::Prepare {
                config: Box::new(cfg.clone()),
            },
        );
        match self.phase {
            Phase::Idle => {
                self.session = SessionSupervisor::new(cfg.session.clone(), self.rng.next_u64());
                self.media = media::control(&cfg);
                self.chosen = media::Chosen::from_config(&cfg);
                self.cfg = cfg;
                Ok(())
            }
            Phase::Over => Err(SteadyError::room_closed()),
            _ => Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                "connect was called already; create a new Room to join another room",
            )),
        }
    }

    /// This participant's id (empty before the first `welcome`).
    pub fn peer_id(&self) -> &str {
        &self.me.peer_id
    }

    pub fn room(&self) -> &str {
        &self.cfg.room
    }

    pub fn session_state(&self) -> SessionState {
        self.session.state()
    }

    /// The peers in the room and the state of the link to each, as the app was told.
    pub fn peers(&self) -> Vec<(PeerView, ConnState)> {
        self.peers
            .values()
            .map(|r| (view(&r.info), r.shown))
            .collect()
    }

    /// The diagnostics report at `now_ms`: the session's and every peer's timeline, the
    /// last quality, recovery counts, and recommendations in plain words.
    pub fn diagnostics(&self, now_ms: u64) -> Diagnostics {
        self.diagnostics.report(
            now_ms,
            &self.me.peer_id,
            &self.cfg.room,
            self.session.state(),
        )
    }

    /// Everything this room was fed, for a native replay.
    pub fn trace(&self) -> &trace::RoomTrace {
        &self.trace
    }

    /// The last `quality` event of the link to `peer_id`.
    pub fn quality(&self, peer_id: &str) -> Option<&RoomEvent> {
        self.peers.get(peer_id)?.quality.last()
    }

    /// Whether `leave`, `roomEnded` or a failed join ended the room.
    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    /// `roomClosed` once over, `notConnected` (saying `why` it matters) unless joined with
    /// the session connected.
    fn require_signaling(&self, why: &str) -> Result<(), SteadyError> {
        match self.phase {
            Phase::Over => Err(SteadyError::room_closed()),
            Phase::Joined if self.session.state() == SessionState::Connected => Ok(()),
            _ => Err(SteadyError::new(
                ErrorCode::NotConnected,
                format!("not connected to the server; {why}"),
            )),
        }
    }

    /// Rebuilds the connection to `peer_id` now (a full reconnect on both sides), as the
    /// ladder's last rung would. Errors: `roomClosed`, `notConnected` while signaling is
    /// down (a rebuild needs it), `invalidArgument` for an unknown peer.
    pub fn reconnect_peer(
        &mut self,
        now_ms: u64,
        peer_id: &str,
    ) -> Result<Vec<RoomAction>, SteadyError> {
        self.trace.record(
            now_ms,
            trace::RoomStep::ReconnectPeer {
                peer_id: peer_id.to_owned(),
            },
        );
        self.now = self.now.max(now_ms);
        self.require_signaling("a reconnect needs signaling")?;
        if !self.peers.contains_key(peer_id) {
            return Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                format!("no peer {peer_id:?} in the room"),
            ));
        }
        self.diagnostics.manual_rebuild(peer_id);
        self.rebuild(peer_id);
        Ok(std::mem::take(&mut self.out))
    }

    /// Feeds one input at `now_ms`; returns the actions to execute, in order.
    pub fn handle(&mut self, now_ms: u64, input: RoomInput) -> Vec<RoomAction> {
        self.now = self.now.max(now_ms);
        self.trace.record(
            now_ms,
            trace::RoomStep::Input {
                input: Box::new(input.clone()),
            },
        );
        if self.phase != Phase::Over {
            self.dispatch(input);
        }
        std::mem::take(&mut self.out)
    }

    fn dispatch(&mut self, input: RoomInput) {
        use RoomInput as I;
        match input {
            I::Connect => self.connect(),
            I::SocketOpened => match self.phase {
                Phase::Joining { .. } => {
                    self.phase = Phase::Joining { socket_open: true };
                    self.try_join();
                }
                Phase::Joined => self.run_session(SessionInput::SocketOpened),
                _ => {}
            },
            I::SocketClosed { code, reason } => {
                match self.phase {
                    // Closed while `join` waited for the capture (an idle connection that
                    // a proxy dropped): nothing was said on it, open another.
                    Phase::Joining { socket_open: true }
                        if self.awaiting_media && self.idle_closes < 3 =>
                    {
                        self.idle_closes += 1;
                        self.phase = Phase::Joining { socket_open: false };
                        self.out.push(RoomAction::OpenSocket);
                    }
                    Phase::Joining { socket_open } => {
                        let err = if socket_open {
                            SteadyError::new(ErrorCode::SignalingClosed, format!("the server closed the connection while joining ({code} {reason})"))
                        } else {
                            SteadyError::new(
                                ErrorCode::SignalingUnreachable,
                                "could not connect to the signaling server",
                            )
                        };
                        self.join_failed(err);
                    }
                    Phase::Joined => {
                        if self.session.state() == SessionState::Connected {
                            self.emit(RoomEvent::Disconnected { code, reason });
                        }
                        self.run_session(SessionInput::SocketClosed { code });
                    }
                    _ => {}
                }
            }
            I::Frame { seq, message } => self.frame(seq, message),
            I::Alive => {
                if self.phase == Phase::Joined {
                    self.run_session(SessionInput::FrameReceived);
                }
            }
            I::BadFrame { why } => self.ignored("frame", &why),
            I::Link {
                peer_id,
                epoch,
                report,
            } => self.link_report(&peer_id, epoch, report),
            I::NetworkOnline { online } => {
                self.online = online;
                self.all_links(Input::NetworkOnline { online });
                if online {
                    self.all_links(Input::RetryNow);
                }
                if self.phase == Phase::Joined {
                    self.run_session(SessionInput::NetworkOnline { online });
                    if online {
                        self.network_back();
                    }
                }
            }
            I::PageVisible { visible } => {
                self.visible = visible;
                self.all_links(Input::PageVisible { visible });
                if self.phase == Phase::Joined {
                    self.run_session(SessionInput::PageVisible { visible });
                }
            }
            I::NetworkChanged => {
                self.all_links(Input::RetryNow);
                if self.phase == Phase::Joined {
                    self.run_session(SessionInput::RetryNow);
                    self.network_back();
                }
            }
            I::Token { token } => self.token(token),
            I::Stats {
                peer_id,
                epoch,
                sample,
            } => self.stats(&peer_id, epoch, sample),
            I::Presets { presets } => self.set_presets(presets),
            I::TimerFired { timer } => self.timer_fired(timer),
            I::SetMedia {
                kind,
                enabled,
                request,
            } => self.set_media(kind, enabled, request),
            I::MediaApplied { kind, op, result } => self.media_applied(kind, op, result),
            I::MediaEnded { kind } => self.media_ended(kind),
            I::SwitchDevice {
                kind,
                device_id,
                request,
            } => self.switch_device(kind, device_id, request),
            I::DevicesChanged { devices } => self.devices_changed(devices),
            I::ScreenShared { stream_id } => self.screen_shared(stream_id),
            I::RecordingFailed { message } => self.recording_failed(message),
            I::AudioListeners { levels, speakers } => self.audio_listeners(levels, speakers),
            I::AudioLevels { levels } => self.audio_levels(levels),
            I::AudioBlocked { blocked } => self.audio_blocked(blocked),
            I::Leave => self.leave(),
            I::Captured { result } => self.captured(result),
        }
    }

    fn connect(&mut self) {
        if self.phase != Phase::Idle {
            return self.ignored("connect", "already connecting or connected");
        }
        self.phase = Phase::Joining { socket_open: false };
        self.awaiting_media = self.cfg.capturing;
        if !self.awaiting_media {
            self.schedule(RoomTimer::Join, self.cfg.join_timeout_ms);
        }
        if self.cfg.token.is_none() && self.cfg.has_token_provider {
            self.awaiting_token = true;
            self.token_refreshed = true;
            self.out.push(RoomAction::FetchToken);
        }
        self.out.push(RoomAction::OpenSocket);
    }

    /// Sends the first `join` once the socket is open, the token and the media in hand.
    fn try_join(&mut self) {
        let open = self.phase == Phase::Joining { socket_open: true };
        if open && !self.awaiting_token && !self.awaiting_media {
            self.send_join();
        }
    }

    /// `connect`'s capture finished.
    fn captured(&mut self, result: Result<(), SteadyError>) {
        let joining = matches!(self.phase, Phase::Joining { .. });
        if !joining || !std::mem::replace(&mut self.awaiting_media, false) {
            return self.ignored("captured", "no capture was awaited");
        }
        match result {
            Ok(()) => {
                self.schedule(RoomTimer::Join, self.cfg.join_timeout_ms);
                self.try_join();
            }
            Err(err) => self.join_failed(err),
        }
    }

    fn send_join(&mut self) {
        self.last_seq = 0;
        let message = match &self.cfg.match_prefs {
            // A match opens its session in the queue of the token's room.
            Some(prefs) => ClientMessage::QueueJoin {
                protocol_version: PROTOCOL_VERSION,
                name: self.cfg.name.clone(),
                token: self.cfg.token.clone().unwrap_or_default(),
                prefs: MatchPrefs::clone(prefs),
            },
            None => ClientMessage::Join {
                protocol_version: PROTOCOL_VERSION,
                room: self.cfg.room.clone(),
                name: self.cfg.name.clone(),
                token: self.cfg.token.clone(),
            },
        };
        self.out.push(RoomAction::Send { message });
    }

    /// The `tokenProvider` answered.
    fn token(&mut self, token: Option<String>) {
        if !std::mem::replace(&mut self.awaiting_token, false) {
            return self.ignored("token", "no token was asked for");
        }
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            let err = SteadyError::new(ErrorCode::JoinRejected, "the tokenProvider gave no token");
            return match self.phase {
                Phase::Joining { .. } => self.join_failed(err),
                _ => {
                    self.emit(RoomEvent::error(&err, None));
                    self.run_session(SessionInput::JoinRefused {
                        code: "invalidToken".into(),
                    });
                }
            };
        };
        self.cfg.token = Some(token);
        match self.phase {
            Phase::Joining { socket_open: true } => self.try_join(),
            Phase::Joined if self.session.state() == SessionState::Rejoining => self.send_join(),
            _ => {}
        }
    }

    /// The first join failed: `connect` rejects and the room is over.
    fn join_failed(&mut self, err: SteadyError) {
        self.out.push(RoomAction::CloseSocket);
        self.out.push(RoomAction::ConnectDone { result: Err(err) });
        self.finish();
    }

    fn leave(&mut self) {
        match self.phase {
            Phase::Idle => {}
            Phase::Joining { socket_open } => {
                if socket_open {
                    self.out.push(RoomAction::Send {
                        message: ClientMessage::Leave {},
                    });
                }
                self.out.push(RoomAction::CloseSocket);
                self.out.push(RoomAction::ConnectDone {
                    result: Err(SteadyError::room_closed()),
                });
            }
            Phase::Joined | Phase::Over => {
                self.end_recording();
                self.out.push(RoomAction::Send {
                    message: ClientMessage::Leave {},
                });
                self.out.push(RoomAction::CloseSocket);
            }
        }
        self.finish();
    }

    /// Ends the room: every link closed, every timer cancelled, the session stopped;
    /// then `Finished`, and nothing after it.
    fn finish(&mut self) {
        let ids: Vec<String> = self.peers.keys().cloned().collect();
        for id in ids {
            self.close_link(&id);
        }
        self.peers.clear();
        // The session's own closing is not news to the app: it asked, or was told why.
        let _ = self.session.handle(self.now, SessionInput::Leave);
        let armed: Vec<RoomTimer> = self.timers.keys().cloned().collect();
        for timer in armed {
            self.cancel(timer);
        }
        self.abort_media();
        self.abort_chat();
        self.out.push(RoomAction::Finished);
        self.phase = Phase::Over;
    }

    fn timer_fired(&mut self, timer: RoomTimer) {
        let Some(at_ms) = self.timers.remove(&timer) else {
            return self.ignored("timerFired", "that timer is not armed");
        };
        // It fires at its time at the earliest, whatever the driver's clock read.
        self.now = self.now.max(at_ms);
        match timer {
            RoomTimer::Join => {
                if let Phase::Joining { .. } = self.phase {
                    let err = SteadyError::new(
                        ErrorCode::SignalingTimeout,
                        format!("no welcome within {} ms", self.cfg.join_timeout_ms),
                    );
                    self.join_failed(err);
                }
            }
            RoomTimer::Session { timer } => self.run_session(SessionInput::TimerFired { timer }),
            RoomTimer::Rebuild { peer_id } => self.rebuild(&peer_id),
            RoomTimer::GiveUp { peer_id } => self.recovery_deadline(&peer_id),
            RoomTimer::Recovered { peer_id } => self.recovery_held(&peer_id),
            RoomTimer::Stats { peer_id } => self.sample_due(&peer_id),
            RoomTimer::Media { source } => self.media_timer(source),
            RoomTimer::AudioLevels => self.audio_due(),
            RoomTimer::Playout { peer_id } => self.out.push(RoomAction::PlayoutNow {
                peer_id,
                now: false,
            }),
            RoomTimer::QueueTick => self.queue_tick(),
        }
    }

    /// Feeds the session supervisor and executes what it decides.
    fn run_session(&mut self, input: SessionInput) {
        let actions = self.session.handle(self.now, input);
        for action in actions {
            match action {
                SessionAction::OpenSocket => self.out.push(RoomAction::OpenSocket),
                SessionAction::CloseSocket => self.out.push(RoomAction::CloseSocket),
                SessionAction::SendResume => self.out.push(RoomAction::Send {
                    message: ClientMessage::Resume {
                        protocol_version: PROTOCOL_VERSION,
                        session_id: self.me.session_id.clone(),
                        last_seq: self.last_seq,
                    },
                }),
                SessionAction::SendJoin => {
                    self.token_refreshed = false;
                    if !self.awaiting_token {
                        self.send_join();
                    }
                }
                SessionAction::LinksSignaling { up } => {
                    self.all_links(if up {
                        Input::SignalingUp
                    } else {
                        Input::SignalingDown
                    });
                    if up {
                        self.signaling_back();
                    }
                }
                SessionAction::ScheduleTimer { timer, at_ms } => {
                    let timer = RoomTimer::Session { timer };
                    self.timers.insert(timer.clone(), at_ms);
                    self.out.push(RoomAction::ScheduleTimer { timer, at_ms });
                }
                SessionAction::CancelTimer { timer } => self.cancel(RoomTimer::Session { timer }),
                SessionAction::StateChanged { from, to, reason } => {
                    self.emit(RoomEvent::SessionStateChange { from, to, reason });
                    if to == SessionState::Connected {
                        self.resend_chat();
                    }
                }
            }
        }
    }

    /// The network is back (or changed): rebuilds waiting on a backoff go now.
    fn network_back(&mut self) {
        if self.session.state() != SessionState::Connected {
            return;
        }
        let waiting: Vec<String> = self
            .timers
            .keys()
            .filter_map(|t| match t {
                RoomTimer::Rebuild { peer_id } => Some(peer_id.clone()),
                _ => None,
            })
            .collect();
        for id in waiting {
            self.cancel(RoomTimer::Rebuild {
                peer_id: id.clone(),
            });
            self.rebuild(&id);
        }
    }

    fn all_links(&mut self, input: Input) {
        for peer_id in self.open_links() {
            self.out.push(RoomAction::LinkInput {
                peer_id,
                input: input.clone(),
            });
        }
    }

    fn emit(&mut self, event: RoomEvent) {
        self.diagnostics.observe(self.now, &event);
        self.out.push(RoomAction::Emit { event });
    }

    fn ignored(&mut self, what: &str, reason: &str) {
        self.out.push(RoomAction::Ignored {
            what: what.into(),
            reason: reason.into(),
        });
    }

    fn schedule(&mut self, timer: RoomTimer, after_ms: u64) {
        self.cancel(timer.clone());
        let at_ms = self.now.saturating_add(after_ms);
        self.timers.insert(timer.clone(), at_ms);
        self.out.push(RoomAction::ScheduleTimer { timer, at_ms });
    }

    fn cancel(&mut self, timer: RoomTimer) {
        if self.timers.remove(&timer).is_some() {
            self.out.push(RoomAction::CancelTimer { timer });
        }
    }

    /// The delay before rebuild number `n` (1-based) of an episode: none for the first.
    fn rebuild_delay(&mut self, n: u32) -> u64 {
        if n <= 1 {
            return 0;
        }
        let cfg = RecoveryConfig {
            base_delay_ms: 500,
            max_delay_ms: self.cfg.rebuild_max_delay_ms,
            ..RecoveryConfig::default()
        };
        backoff_delay(&cfg, n, &mut self.rng)
    }
}

fn view(info: &PeerInfo) -> PeerView {
    PeerView {
        id: info.id.clone(),
        name: info.name.clone(),
        role: info.role,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod props;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_audio;
#[cfg(test)]
mod tests_capture;
#[cfg(test)]
mod tests_chat;
#[cfg(test)]
mod tests_floor;
#[cfg(test)]
mod tests_keyframe;
#[cfg(test)]
mod tests_match;
#[cfg(test)]
mod tests_media;
#[cfg(test)]
mod tests_quality;
#[cfg(test)]
mod tests_recording;
#[cfg(test)]
mod tests_recovery;
