//! The signaling session supervisor: keeps the room's connection to the server alive.
//!
//! It watches the server's heartbeat (a frame at least every `heartbeatTimeoutMs`), and
//! when the socket dies it reconnects with backoff and resumes the session, so that no
//! message is lost and the other peers see no leave. When the server no longer knows the
//! session (its resume window passed, or it restarted) it rejoins the room from scratch.
//! A `goAway` reconnects after the delay the server asks for. Retries pause while the
//! browser is offline or the page hidden. Peer links are told when signals cannot flow.
//!
//! Like the rest of the engine it decides only: the room layer opens sockets and sends.

use super::recovery::{backoff_delay, RecoveryConfig};
use super::rng::SeededRng;
use super::vec_map::VecMap;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionState {
    Connected,
    /// The socket is gone; a new one will be opened.
    Reconnecting,
    /// A new socket is open and `resume` was sent.
    Resuming,
    /// The server forgot the session: joining again as a new participant.
    Rejoining,
    /// Gave up; the room is unusable until joined again.
    Failed,
    /// Left on purpose.
    Closed,
}

impl SessionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionState::Connected => "connected",
            SessionState::Reconnecting => "reconnecting",
            SessionState::Resuming => "resuming",
            SessionState::Rejoining => "rejoining",
            SessionState::Failed => "failed",
            SessionState::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SessionTimer {
    /// No frame from the server for the heartbeat timeout: the socket is dead.
    Heartbeat,
    /// The next reconnection attempt.
    Retry,
    /// A new socket must be answered (`resumed` or `welcome`) within this.
    Handshake,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SessionInput {
    /// Joined (the first `welcome`, or one after a rejoin).
    Joined {
        heartbeat_timeout_ms: u64,
    },
    /// Any frame arrived (pings included).
    FrameReceived,
    SocketOpened,
    SocketClosed {
        code: u16,
    },
    /// The server answered `resume` with `resumed`.
    Resumed,
    /// The server refused `resume` (e.g. `unknownSession`).
    ResumeRefused {
        code: String,
    },
    /// The server refused the rejoin.
    JoinRefused {
        code: String,
    },
    /// The server is going away; reconnect after this long.
    GoAway {
        reconnect_in_ms: u64,
    },
    TimerFired {
        timer: SessionTimer,
    },
    NetworkOnline {
        online: bool,
    },
    PageVisible {
        visible: bool,
    },
    /// A sign that the network is back (a new network, a socket elsewhere opening): a
    /// retry waiting for its backoff goes now.
    RetryNow,
    /// A link's recovery asks for a new socket: close this one and resume on a new one.
    Reset,
    Leave,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SessionAction {
    /// Open a new socket (dropping any old one).
    OpenSocket,
    CloseSocket,
    SendResume,
    SendJoin,
    /// Whether the peer links can signal now.
    LinksSignaling {
        up: bool,
    },
    ScheduleTimer {
        timer: SessionTimer,
        at_ms: u64,
    },
    CancelTimer {
        timer: SessionTimer,
    },
    StateChanged {
        from: SessionState,
        to: SessionState,
        reason: String,
    },
}

/// The server's code for "cannot answer now, try again" (its shared store is down).
const UNAVAILABLE: &str = "unavailable";

/// Tunables; defaults: 4 s to answer a new socket, then retries 250 ms apart doubling
/// to at most 1 s (jitter +-50 %): a socket is a cheap probe, so a network that comes
/// back is noticed within about a second and a half. At most 300 attempts within 5
/// minutes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SessionConfig {
    pub handshake_timeout_ms: u64,
    pub backoff: RecoveryConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            handshake_timeout_ms: 4_000,
            backoff: RecoveryConfig {
                max_delay_ms: 1_000,
                max_attempts: 300,
                total_budget_ms: 300_000,
                ..RecoveryConfig::default()
            },
        }
    }
}

pub struct SessionSupervisor {
    cfg: SessionConfig,
    rng: SeededRng,
    state: SessionState,
    now: u64,
    heartbeat_timeout_ms: u64,
    timers: VecMap<SessionTimer, u64>,
    attempts: u32,
    outage_since: Option<u64>,
    online: bool,
    visible: bool,
    /// The socket in use is open (a retry waits for it to close first).
    socket_open: bool,
    /// Resume, or join afresh, once the new socket opens.
    rejoin: bool,
    out: Vec<SessionAction>,
}

impl SessionSupervisor {
    pub fn new(cfg: SessionConfig, seed: u64) -> Self {
        Self {
            cfg,
            rng: SeededRng::new(seed),
            state: SessionState::Connected,
            now: 0,
            heartbeat_timeout_ms: 0,
            timers: VecMap::new(),
            attempts: 0,
            outage_since: None,
            online: true,
            visible: true,
            socket_open: true,
            rejoin: false,
            out: Vec::new(),
        }
    }

    pub fn state(&self) -> SessionState {
        self.state
    }

    /// How long the last outage lasted, once connected again.
    pub fn outage_ms(&self) -> Option<u64> {
        self.outage_since.map(|t| self.now.saturating_sub(t))
    }

    pub fn handle(&mut self, now_ms: u64, input: SessionInput) -> Vec<SessionAction> {
        self.now = self.now.max(now_ms);
        if !matches!(self.state, SessionState::Closed | SessionState::Failed) {
            self.dispatch(input);
        }
        std::mem::take(&mut self.out)
    }

    fn dispatch(&mut self, input: SessionInput) {
        use SessionInput as I;
        match input {
            I::Joined {
                heartbeat_timeout_ms,
            } => {
                self.heartbeat_timeout_ms = heartbeat_timeout_ms;
                self.socket_open = true;
                let reason = if self.state == SessionState::Rejoining {
                    "rejoined"
                } else {
                    "joined"
                };
                self.connected(reason);
            }
            I::FrameReceived => {
                if self.state == SessionState::Connected {
                    self.arm_heartbeat();
                }
            }
            I::SocketOpened => {
                self.socket_open = true;
                match self.state {
                    SessionState::Reconnecting if self.rejoin => {
                        self.set_state(SessionState::Rejoining, "server forgot the session");
                        self.out.push(SessionAction::SendJoin);
                    }
                    SessionState::Reconnecting => {
                        self.set_state(SessionState::Resuming, "socket open");
                        self.out.push(SessionAction::SendResume);
                    }
                    _ => {}
                }
            }
            I::SocketClosed { code } => {
                self.socket_open = false;
                match self.state {
                    SessionState::Connected => self.lost(&format!("socket closed ({code})"), true),
                    SessionState::Resuming | SessionState::Rejoining => {
                        self.retry(&format!("socket closed ({code})"))
                    }
                    SessionState::Reconnecting
                        if self.timers.contains_key(&SessionTimer::Handshake) =>
                    {
                        self.retry(&format!("could not connect ({code})"))
                    }
                    _ => {}
                }
            }
            I::Resumed => {
                if self.state == SessionState::Resuming {
                    self.connected("resumed");
                }
            }
            I::ResumeRefused { code } if code == UNAVAILABLE => {
                // The server cannot look the session up now (its store is down): it may
                // still exist, so try again later rather than give it up.
                if self.state == SessionState::Resuming {
                    self.out.push(SessionAction::CloseSocket);
                    self.socket_open = false;
                    self.retry("the server is unavailable (resume)");
                }
            }
            I::JoinRefused { code } if code == UNAVAILABLE => {
                if self.state == SessionState::Rejoining {
                    self.out.push(SessionAction::CloseSocket);
                    self.socket_open = false;
                    self.retry("the server is unavailable (rejoin)");
                }
            }
            I::ResumeRefused { code } => {
                if self.state == SessionState::Resuming {
                    // The server does not know us any more: join again, at once.
                    self.rejoin = true;
                    self.set_state(SessionState::Rejoining, &format!("resume refused ({code})"));
                    self.out.push(SessionAction::SendJoin);
                }
            }
            I::JoinRefused { code } => {
                if self.state == SessionState::Rejoining {
                    self.fail(&format!("rejoin refused ({code})"));
                }
            }
            I::GoAway { reconnect_in_ms } => {
                if self.state == SessionState::Connected {
                    self.lost("server going away", false);
                    self.schedule(SessionTimer::Retry, reconnect_in_ms);
                }
            }
            I::TimerFired { timer } => {
                if self.timers.remove(&timer).is_none() {
                    return;
                }
                match timer {
                    SessionTimer::Heartbeat => {
                        self.out.push(SessionAction::CloseSocket);
                        self.socket_open = false;
                        self.lost("no heartbeat from the server", true);
                    }
                    SessionTimer::Retry => self.open(),
                    SessionTimer::Handshake => {
                        self.out.push(SessionAction::CloseSocket);
                        self.socket_open = false;
                        self.retry("no answer on the new socket");
                    }
                }
            }
            I::NetworkOnline { online } => {
                self.online = online;
                self.maybe_resume_now();
            }
            I::PageVisible { visible } => {
                self.visible = visible;
                self.maybe_resume_now();
            }
            I::RetryNow => {
                if self.timers.contains_key(&SessionTimer::Retry) {
                    self.open();
                }
            }
            I::Reset => {
                if self.state == SessionState::Connected {
                    self.out.push(SessionAction::CloseSocket);
                    self.socket_open = false;
                    self.lost("signaling reset for a link's recovery", true);
                }
            }
            I::Leave => {
                self.cancel_all();
                self.set_state(SessionState::Closed, "left");
            }
        }
    }

    fn connected(&mut self, reason: &str) {
        self.cancel(SessionTimer::Retry);
        self.cancel(SessionTimer::Handshake);
        self.attempts = 0;
        self.rejoin = false;
        self.arm_heartbeat();
        if self.state != SessionState::Connected {
            self.set_state(SessionState::Connected, reason);
            self.out.push(SessionAction::LinksSignaling { up: true });
        }
    }

    fn arm_heartbeat(&mut self) {
        if self.heartbeat_timeout_ms > 0 {
            self.schedule(SessionTimer::Heartbeat, self.heartbeat_timeout_ms);
        }
    }

    /// The connection was lost: links stop signaling; the first retry is immediate
    /// unless the server asked for a delay.
    fn lost(&mut self, reason: &str, immediate: bool) {
        self.cancel(SessionTimer::Heartbeat);
        self.outage_since = Some(self.now);
        self.set_state(SessionState::Reconnecting, reason);
        self.out.push(SessionAction::LinksSignaling { up: false });
        self.attempts = 0;
        if immediate {
            self.open();
        }
    }

    /// An attempt failed: wait, then try again, or give up.
    fn retry(&mut self, reason: &str) {
        self.cancel(SessionTimer::Handshake);
        if self.state != SessionState::Reconnecting {
            self.set_state(SessionState::Reconnecting, reason);
        }
        let elapsed = self.outage_since.map_or(0, |t| self.now.saturating_sub(t));
        if self.attempts >= self.cfg.backoff.max_attempts
            || elapsed >= self.cfg.backoff.total_budget_ms
        {
            return self.fail(&format!(
                "gave up after {} attempts in {} ms",
                self.attempts, elapsed
            ));
        }
        let delay = backoff_delay(&self.cfg.backoff, self.attempts + 1, &mut self.rng);
        self.schedule(SessionTimer::Retry, delay);
    }

    fn open(&mut self) {
        if !(self.online && self.visible) {
            return; // resumed by `online`/`visible`
        }
        self.cancel(SessionTimer::Retry);
        self.attempts += 1;
        self.out.push(SessionAction::OpenSocket);
        self.socket_open = false;
        self.schedule(SessionTimer::Handshake, self.cfg.handshake_timeout_ms);
    }

    fn maybe_resume_now(&mut self) {
        let waiting = self.state == SessionState::Reconnecting
            && !self.timers.contains_key(&SessionTimer::Handshake);
        if waiting && self.online && self.visible {
            self.open();
        } else if !(self.online && self.visible) && self.timers.contains_key(&SessionTimer::Retry) {
            self.cancel(SessionTimer::Retry);
        }
    }

    fn fail(&mut self, reason: &str) {
        self.cancel_all();
        self.set_state(SessionState::Failed, reason);
    }

    fn set_state(&mut self, to: SessionState, reason: &str) {
        if to != self.state {
            let from = std::mem::replace(&mut self.state, to);
            self.out.push(SessionAction::StateChanged {
                from,
                to,
                reason: reason.into(),
            });
        }
    }

    fn schedule(&mut self, timer: SessionTimer, after_ms: u64) {
        self.cancel(timer);
        let at_ms = self.now.saturating_add(after_ms);
        self.timers.insert(timer, at_ms);
        self.out.push(SessionAction::ScheduleTimer { timer, at_ms });
    }

    fn cancel(&mut self, timer: SessionTimer) {
        if self.timers.remove(&timer).is_some() {
            self.out.push(SessionAction::CancelTimer { timer });
        }
    }

    fn cancel_all(&mut self) {
        let armed: Vec<_> = self.timers.keys().copied().collect();
        for t in armed {
            self.cancel(t);
        }
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
