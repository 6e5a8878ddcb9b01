//! [`RoomEvent`]: everything a `Room` tells the app, as one serde enum. It is the single
//! schema of the JS events: the event name is the variant's `event` tag, the payload its
//! fields (camelCase). A native test holds `pkg-template/steadyrtc.extra.d.ts` to it.
//!
//! The one payload that carries browser objects, `track`, gets its `track` and `stream`
//! from the driver; the engine decides that it is emitted and for whom.

use crate::engine::adapt::{Rung, Trigger};
use crate::engine::media::{MediaKind, Toggle};
use crate::engine::quality::Level;
use crate::engine::recovery::RecoveryLevel;
use crate::engine::session::SessionState;
use crate::engine::types::ConnState;
use serde::{Deserialize, Serialize};
use steadyrtc_protocol::{LeaveReason, Role};

/// A remote participant as the app sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerView {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// How far a recovery got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecoveryPhase {
    /// A recovery attempt at `level` begins.
    Attempt,
    /// The link is connected again; `level` is the highest level the episode used.
    Recovered,
    /// The room gave up on this peer.
    GaveUp,
}

/// What `quality` reports of one link, from its last two `getStats()` samples.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QualityMetrics {
    pub rtt_ms: Option<f64>,
    pub jitter_ms: f64,
    /// Packets lost on the way to us, in percent (the worse of audio and video).
    pub loss_pct_in: f64,
    /// Packets of ours the remote reports lost, in percent.
    pub loss_pct_out: f64,
    pub bitrate_in_kbps: f64,
    pub bitrate_out_kbps: f64,
    /// Frames per second of the video we receive.
    pub fps: Option<f64>,
    /// `"640x480"`, of the video we receive.
    pub resolution: Option<String>,
    pub audio_codec: Option<String>,
    pub video_codec: Option<String>,
    /// The local candidate of the selected pair: `host`, `srflx`, `prflx`, `relay`.
    pub candidate_type: Option<String>,
    /// How a relay candidate reaches TURN: `udp`, `tcp`, `tls`.
    pub relay_protocol: Option<String>,
}

/// Every event of a room, tagged by its JS name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "event",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomEvent {
    /// A participant is in the room: every peer already there when `connect` succeeds,
    /// then each later arrival.
    PeerJoined {
        id: String,
        name: String,
        role: Role,
    },
    PeerLeft {
        id: String,
        name: String,
        reason: LeaveReason,
    },
    /// A remote track arrived (`track` and `stream` are added by the driver). `source`
    /// says what it is: `camera`, `microphone` or `screen` (from the sender's signaling,
    /// never guessed from the order of tracks).
    Track {
        peer_id: String,
        kind: String,
        source: MediaKind,
    },
    /// The connection to `peer_id` changed state.
    StateChange {
        peer_id: String,
        from: ConnState,
        to: ConnState,
        reason: String,
    },
    /// A recovery step of the connection to `peer_id`.
    Recovery {
        peer_id: String,
        phase: RecoveryPhase,
        level: RecoveryLevel,
        attempt: u32,
        elapsed_ms: u64,
    },
    /// The quality of the connection to `peer_id`: on every level change, and at most
    /// once a second otherwise.
    Quality {
        peer_id: String,
        score: f64,
        level: Level,
        metrics: QualityMetrics,
        limitation: Option<String>,
    },
    /// The rung of what we send to `peer_id` changed, and why.
    QualityLevelChange {
        peer_id: String,
        from: Rung,
        to: Rung,
        trigger: Trigger,
        reason: String,
    },
    /// What `peer_id` sends us: whether its video is paused (and why: `poorConnection`,
    /// `preference`), and whether its camera and microphone are on. Show an avatar, a
    /// muted icon or "video paused" instead of a frozen frame.
    MediaState {
        peer_id: String,
        video_paused: bool,
        reason: String,
        camera: bool,
        microphone: bool,
        /// The peer shares its screen.
        screen: bool,
    },
    /// The audio level (0..1) of `peer_id` (`"local"`: this participant), ten times a
    /// second while someone listens.
    AudioLevel { peer_id: String, level: f64 },
    /// Who is speaking now (peer ids, `"local"` for this participant), on every change.
    ActiveSpeakers { peer_ids: Vec<String> },
    /// The browser's autoplay policy holds the page's audio: call `room.startAudio()`
    /// from a click.
    AudioPlaybackBlocked {},
    /// The page's media devices changed (plugged in or out): the list now.
    DevicesChanged { devices: Vec<super::DeviceInfo> },
    /// The device in use for `source` went away; the default device took over.
    DeviceFallback { source: MediaKind },
    /// What each local source is now: `on`, `off`, or `pending` while an operation runs.
    LocalMedia {
        microphone: Toggle,
        camera: Toggle,
        screen: Toggle,
    },
    /// A data-channel text message.
    Message {
        peer_id: String,
        text: String,
        /// Binary data: the driver adds it as `data` (an `ArrayBuffer`), `text` is empty.
        binary: bool,
    },
    /// The signaling socket closed; calls continue while the session reconnects.
    Disconnected { code: u16, reason: String },
    SessionStateChange {
        from: SessionState,
        to: SessionState,
        reason: String,
    },
    /// The server is going away (a deploy): the session moves to another connection.
    GoAway {
        reason: String,
        reconnect_in_ms: u64,
    },
    /// The room was ended by the server (`deleted`) or by the host `by`
    /// (`endedByHost`); the room is closed.
    RoomEnded {
        room: String,
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// A chat line relayed by the server, once (a line sent again across a dropped
    /// socket is shown once). `sentAt`: when the server took it, Unix milliseconds.
    Chat {
        id: String,
        from: String,
        name: String,
        text: String,
        private: bool,
        sent_at: u64,
    },
    /// Someone started or stopped recording the room.
    Recording { by: String, active: bool },
    /// Waiting in the match queue: `position` in line (1: next; 0: the server did not
    /// say) and the time waited so far. On every move in the line and once a second.
    Queued { position: u32, waited_ms: u64 },
    /// The match queue paired you with `peer` (who also arrives as `peerJoined`) after
    /// `waitedMs` in the queue.
    Matched {
        room: String,
        peer: PeerView,
        waited_ms: u64,
    },
    /// The role of `peerId` changed (a host's `promote` or `demote`, by `by`); `local`:
    /// it is this participant's own role (promoted: it may publish now; demoted: its
    /// camera and microphone were stopped).
    RoleChanged {
        peer_id: String,
        role: Role,
        by: String,
        local: bool,
    },
    /// A listener raised (or lowered) its hand (hosts only hear this).
    HandRaised {
        peer_id: String,
        name: String,
        raised: bool,
    },
    /// The number of listeners in the room changed (a host sees every attendee).
    Attendees { count: u32 },
    /// Something failed after `connect`; the room goes on unless `sessionStateChange`
    /// says `failed` or `closed`.
    Error {
        code: String,
        message: String,
        server_code: Option<String>,
        peer_id: Option<String>,
    },
}

impl RoomEvent {
    /// The JS event name.
    pub fn name(&self) -> &'static str {
        match self {
            RoomEvent::PeerJoined { .. } => "peerJoined",
            RoomEvent::PeerLeft { .. } => "peerLeft",
            RoomEvent::Track { .. } => "track",
            RoomEvent::StateChange { .. } => "stateChange",
            RoomEvent::Recovery { .. } => "recovery",
            RoomEvent::Quality { .. } => "quality",
            RoomEvent::QualityLevelChange { .. } => "qualityLevelChange",
            RoomEvent::MediaState { .. } => "mediaState",
            RoomEvent::LocalMedia { .. } => "localMedia",
            RoomEvent::AudioLevel { .. } => "audioLevel",
            RoomEvent::ActiveSpeakers { .. } => "activeSpeakers",
            RoomEvent::AudioPlaybackBlocked {} => "audioPlaybackBlocked",
            RoomEvent::DevicesChanged { .. } => "devicesChanged",
            RoomEvent::DeviceFallback { .. } => "deviceFallback",
            RoomEvent::Message { .. } => "message",
            RoomEvent::Disconnected { .. } => "disconnected",
            RoomEvent::SessionStateChange { .. } => "sessionStateChange",
            RoomEvent::GoAway { .. } => "goAway",
            RoomEvent::RoomEnded { .. } => "roomEnded",
            RoomEvent::Chat { .. } => "chat",
            RoomEvent::Recording { .. } => "recording",
            RoomEvent::Queued { .. } => "queued",
            RoomEvent::Matched { .. } => "matched",
            RoomEvent::RoleChanged { .. } => "roleChanged",
            RoomEvent::HandRaised { .. } => "handRaised",
            RoomEvent::Attendees { .. } => "attendees",
            RoomEvent::Error { .. } => "error",
        }
    }

    pub fn error(err: &crate::error::SteadyError, peer_id: Option<&str>) -> Self {
        RoomEvent::Error {
            code: err.code.as_str().into(),
            message: err.message.clone(),
            server_code: err.server_code.clone(),
            peer_id: peer_id.map(str::to_owned),
        }
    }

    /// Every event name, in declaration order.
    pub const NAMES: [&'static str; 27] = [
        "peerJoined",
        "peerLeft",
        "track",
        "stateChange",
        "recovery",
        "quality",
        "qualityLevelChange",
        "mediaState",
        "localMedia",
        "audioLevel",
        "activeSpeakers",
        "audioPlaybackBlocked",
        "devicesChanged",
        "deviceFallback",
        "message",
        "disconnected",
        "sessionStateChange",
        "goAway",
        "roomEnded",
        "chat",
        "recording",
        "queued",
        "matched",
        "roleChanged",
        "handRaised",
        "attendees",
        "error",
    ];
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
