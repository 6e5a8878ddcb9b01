//! A call to one peer over the app's own signaling (the JS `Peer`): every decision of a
//! `Peer` above its link's engine. Sans-IO, like the room engine, and fed the same
//! [`LinkReport`]s by the same browser link.
//!
//! It decides who offers first (the polite side; the other waits for the offer), opens
//! the connection only on `connect` (so nothing is signalled before the app is ready),
//! holds signals that arrive before `connect` and applies them after it, reads what the app's
//! signaling hands in ([`parse_signal`]), samples and scores the link (through
//! [`LinkQuality`], as a room does), and turns link reports into the events a `Peer`
//! emits: `signal`, `stateChange`, `track`, `quality`, `message`, `error`, with the
//! payloads of the room's events. Recovery stops at ICE restarts: without a server there
//! is no socket to reset and nobody to rebuild the connection with, so a link that asks
//! for more keeps restarting ICE until its budget runs out and it fails.
//!
//! After `Close` it emits [`PeerCallAction::Finished`] and then nothing.

use super::config::LinkConfig;
use super::link_quality::{LinkQuality, SampleIntervals};
use super::media::MediaKind;
use super::room::{LinkReport, RoomEvent};
use super::stats::StatsSample;
use super::types::{ConnState, Input};
use super::wire::signal_to_input;
use crate::error::{ErrorCode, SteadyError};
use serde::{Deserialize, Serialize};
use steadyrtc_protocol::{SignalData, SignalEnvelope};

/// Signals held before `connect`; beyond, the oldest are dropped.
pub const HELD_SIGNALS: usize = 512;

/// How a `Peer` is set up.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerCallConfig {
    /// Perfect negotiation's role: exactly one of the two sides is polite. The polite
    /// side sends the first offer; when both offer at once it yields.
    pub polite: bool,
    /// The `peerId` of every event payload (the app's name for the remote peer).
    pub peer_id: String,
    pub intervals: SampleIntervals,
}

impl Default for PeerCallConfig {
    fn default() -> Self {
        Self {
            polite: false,
            peer_id: "remote".into(),
            intervals: SampleIntervals {
                normal_ms: 1_000,
                recovering_ms: 500,
            },
        }
    }
}

impl PeerCallConfig {
    /// The link's configuration: the polite side offers first (as a room's later joiner
    /// does), both may renegotiate.
    pub fn link_config(&self) -> LinkConfig {
        LinkConfig {
            polite: self.polite,
            initiator: self.polite,
            can_offer: true,
            ..LinkConfig::default()
        }
    }
}

/// The timers of a `Peer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum PeerCallTimer {
    /// The next `getStats()` sample.
    Stats,
}

/// What a `Peer`'s engine is fed.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerCallInput {
    /// The app called `connect` (its media, if any, is on the connection).
    Connect,
    /// The app handed in a signal from the remote peer.
    Signal {
        data: SignalData,
    },
    /// The link reported something.
    Link {
        report: LinkReport,
    },
    /// A `getStats()` sample of the link.
    Stats {
        sample: StatsSample,
    },
    TimerFired {
        timer: PeerCallTimer,
    },
    /// The app called `close` (or dropped the `Peer`).
    Close,
}

/// What a `Peer`'s driver does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum PeerCallAction {
    /// Create the peer connection with this configuration and put the local media on it
    /// (nothing exists before `connect`, so nothing is signalled before it).
    OpenLink {
        config: LinkConfig,
    },
    /// Feed this to the link's engine.
    LinkInput {
        input: Input,
    },
    /// Sample the link with `getStats()` and report it as `Stats`.
    SampleStats,
    ScheduleTimer {
        timer: PeerCallTimer,
        at_ms: u64,
    },
    CancelTimer {
        timer: PeerCallTimer,
    },
    /// Hand this to the app's signaling (the `signal` event).
    Signal {
        data: SignalData,
    },
    /// Emit this event to the app.
    Emit {
        event: RoomEvent,
    },
    /// An input was not acted on; the reason is for logs.
    Ignored {
        what: String,
        reason: String,
    },
    /// Over: close the link, release the media the `Peer` captured, drop every handler.
    Finished,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Idle,
    /// `connect` was called; its media is being captured.
    Preparing,
    Connected,
    Over,
}

/// The engine of a `Peer`. See the module docs.
pub struct PeerCallEngine {
    cfg: PeerCallConfig,
    phase: Phase,
    now: u64,
    held: Vec<Input>,
    link_state: ConnState,
    quality: LinkQuality,
    stats_armed: bool,
    out: Vec<PeerCallAction>,
}

impl PeerCallEngine {
    pub fn new(cfg: PeerCallConfig) -> Self {
        Self {
            cfg,
            phase: Phase::Idle,
            now: 0,
            held: Vec::new(),
            link_state: ConnState::Initializing,
            quality: LinkQuality::default(),
            stats_armed: false,
            out: Vec::new(),
        }
    }

    pub fn config(&self) -> &PeerCallConfig {
        &self.cfg
    }

    /// The link's state, as the app was told.
    pub fn state(&self) -> ConnState {
        self.link_state
    }

    /// The last `quality` event.
    pub fn quality(&self) -> Option<&RoomEvent> {
        self.quality.last()
    }

    pub fn is_over(&self) -> bool {
        self.phase == Phase::Over
    }

    /// Whether `connect` was called.
    pub fn is_connected(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// `connect` was called: it may be called once, before `close`. Signals keep
    /// waiting until its media is on the connection (`Connect`).
    pub fn begin_connect(&mut self) -> Result<Vec<PeerCallAction>, SteadyError> {
        self.check_connect()?;
        self.phase = Phase::Preparing;
        Ok(Vec::new())
    }

    /// `roomClosed` once closed, `invalidArgument` once `connect` was called.
    pub fn check_connect(&self) -> Result<(), SteadyError> {
        match self.phase {
            Phase::Idle => Ok(()),
            Phase::Preparing | Phase::Connected => Err(SteadyError::new(
                ErrorCode::InvalidArgument,
                "connect was called already",
            )),
            Phase::Over => Err(SteadyError::new(
                ErrorCode::RoomClosed,
                "this Peer is closed; create a new one",
            )),
        }
    }

    /// Feeds one input at `now_ms`; returns the actions to execute, in order.
    pub fn handle(&mut self, now_ms: u64, input: PeerCallInput) -> Vec<PeerCallAction> {
        self.now = self.now.max(now_ms);
        if self.phase != Phase::Over {
            self.dispatch(input);
        }
        std::mem::take(&mut self.out)
    }

    fn dispatch(&mut self, input: PeerCallInput) {
        match input {
            PeerCallInput::Connect => self.connect(),
            PeerCallInput::Signal { data } => self.signal(data),
            PeerCallInput::Link { report } => self.link_report(report),
            PeerCallInput::Stats { sample } => self.stats(sample),
            PeerCallInput::TimerFired {
                timer: PeerCallTimer::Stats,
            } => {
                self.stats_armed = false;
                self.out.push(PeerCallAction::SampleStats);
                self.schedule_stats(self.cfg.intervals.next(self.link_state));
            }
            PeerCallInput::Close => self.close(),
        }
    }

    fn connect(&mut self) {
        if !matches!(self.phase, Phase::Idle | Phase::Preparing) {
            return self.ignored("connect", "connect was called already");
        }
        self.phase = Phase::Connected;
        self.out.push(PeerCallAction::OpenLink {
            config: self.cfg.link_config(),
        });
        self.link(Input::Start);
        for input in std::mem::take(&mut self.held) {
            self.link(input);
        }
        self.schedule_stats(self.cfg.intervals.normal_ms);
    }

    fn signal(&mut self, data: SignalData) {
        let Some(input) = signal_to_input(data) else {
            return self.ignored("signal", "not a signal a Peer uses");
        };
        if self.phase == Phase::Connected {
            return self.link(input);
        }
        if self.held.len() >= HELD_SIGNALS {
            self.held.remove(0);
            self.ignored(
                "signal",
                "too many signals before connect: the oldest dropped",
            );
        }
        self.held.push(input);
    }

    fn link_report(&mut self, report: LinkReport) {
        let peer_id = self.cfg.peer_id.clone();
        match report {
            LinkReport::Signal { data } => self.out.push(PeerCallAction::Signal { data }),
            LinkReport::State { from, to, reason } => {
                self.link_state = to;
                self.emit(RoomEvent::StateChange {
                    peer_id,
                    from,
                    to,
                    reason,
                });
            }
            LinkReport::Escalate { level, .. } => self.ignored(
                "escalate",
                &format!("{level:?}: no server to reset or rebuild with; the link restarts ICE"),
            ),
            LinkReport::Error { message } => {
                let err = SteadyError::new(ErrorCode::BrowserError, message);
                self.emit(RoomEvent::error(&err, Some(&peer_id)));
            }
            LinkReport::Message { text, binary } => self.emit(RoomEvent::Message {
                peer_id,
                text,
                binary,
            }),
            LinkReport::Track { kind, .. } => {
                let source = if kind == "audio" {
                    MediaKind::Microphone
                } else {
                    MediaKind::Camera
                };
                self.emit(RoomEvent::Track {
                    peer_id,
                    kind,
                    source,
                })
            }
        }
    }

    fn stats(&mut self, sample: StatsSample) {
        if self.phase != Phase::Connected {
            return self.ignored("stats", "not connected");
        }
        let peer_id = self.cfg.peer_id.clone();
        let Some(scored) = self
            .quality
            .push(self.now, &peer_id, sample, self.link_state)
        else {
            return;
        };
        if let Some(event) = scored.event {
            self.emit(event);
        }
        if let Some(input) = scored.link_input {
            self.link(input);
        }
    }

    fn close(&mut self) {
        if self.phase == Phase::Connected {
            self.link(Input::Close);
            // The link's own report of it would arrive after `Finished`: say it here.
            let from = std::mem::replace(&mut self.link_state, ConnState::Closed);
            if from != ConnState::Closed {
                self.emit(RoomEvent::StateChange {
                    peer_id: self.cfg.peer_id.clone(),
                    from,
                    to: ConnState::Closed,
                    reason: "closeRequested".into(),
                });
            }
        }
        if std::mem::replace(&mut self.stats_armed, false) {
            self.out.push(PeerCallAction::CancelTimer {
                timer: PeerCallTimer::Stats,
            });
        }
        self.held.clear();
        self.out.push(PeerCallAction::Finished);
        self.phase = Phase::Over;
    }

    fn schedule_stats(&mut self, after_ms: u64) {
        self.stats_armed = true;
        self.out.push(PeerCallAction::ScheduleTimer {
            timer: PeerCallTimer::Stats,
            at_ms: self.now.saturating_add(after_ms),
        });
    }

    fn link(&mut self, input: Input) {
        self.out.push(PeerCallAction::LinkInput { input });
    }

    fn emit(&mut self, event: RoomEvent) {
        self.out.push(PeerCallAction::Emit { event });
    }

    fn ignored(&mut self, what: &str, reason: &str) {
        self.out.push(PeerCallAction::Ignored {
            what: what.into(),
            reason: reason.into(),
        });
    }
}

/// Reads a signal the app's signaling delivered: the JSON text of what a `signal` event
/// gave on the other side. Errors: `invalidArgument` saying what is wrong.
pub fn parse_signal(json: &str) -> Result<SignalData, SteadyError> {
    let data = serde_json::from_str::<serde_json::Value>(json)
        .map_err(|e| e.to_string())
        .and_then(|v| SignalEnvelope::from_value(&v))
        .map(|envelope| envelope.data)
        .map_err(|e| {
            SteadyError::new(
                ErrorCode::InvalidArgument,
                format!(
                    "not a steadyrtc signal ({e}); pass what the other side's `signal` event gave"
                ),
            )
        })?;
    match data {
        SignalData::Reconnect | SignalData::MediaState { .. } => Err(SteadyError::new(
            ErrorCode::InvalidArgument,
            "a room signal, not one a Peer sends",
        )),
        data => Ok(data),
    }
}

/// Every event a `Peer` emits (keys of `PeerEvents` in the type definitions).
pub const PEER_EVENT_NAMES: [&str; 6] = [
    "signal",
    "stateChange",
    "track",
    "quality",
    "message",
    "error",
];

#[cfg(test)]
#[path = "peer_call_tests.rs"]
mod tests;
