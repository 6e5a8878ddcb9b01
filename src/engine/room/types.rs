//! The vocabulary of the room engine: what the driver reports ([`RoomInput`]), what it
//! executes ([`RoomAction`]), the room's timers and its configuration. Plain data
//! (serde), so a room's inputs can be recorded and replayed.

use super::events::RoomEvent;
use crate::engine::adapt::{Encoding, Presets};
use crate::engine::media::MediaKind;
use crate::engine::recovery::RecoveryLevel;
use crate::engine::session::{SessionConfig, SessionTimer};
use crate::engine::stats::StatsSample;
use crate::engine::types::{ConnState, Input};
use crate::engine::LinkConfig;
use crate::error::SteadyError;
use serde::{Deserialize, Serialize};
use steadyrtc_protocol::{ClientMessage, IceServer, ServerMessage, SignalData};

/// The room's timers; at most one of each is armed at a time.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomTimer {
    /// The first join must be answered (`welcome`) before this fires.
    Join,
    /// One of the signaling session's timers.
    Session { timer: SessionTimer },
    /// Rebuild the link to this peer (a full reconnect, after a backoff).
    Rebuild { peer_id: String },
    /// The recovery of the link to this peer has run out of time (`rebuildBudgetMs`).
    GiveUp { peer_id: String },
    /// The link to this peer came back `recoveredHoldMs` ago and held: tell the app.
    Recovered { peer_id: String },
    /// Time to sample the link to this peer (`getStats`).
    Stats { peer_id: String },
    /// The app's waiting calls to turn `kind` on or off time out.
    Media { source: MediaKind },
    /// Time to measure the audio levels.
    AudioLevels,
    /// Video from this peer plays with its usual delay again (after `PlayoutNow`).
    Playout { peer_id: String },
    /// Time to tell the app how long it has waited in the match queue.
    QueueTick,
}

/// What a peer link's driver reports, tagged by the link's epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "report",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum LinkReport {
    /// The link's engine changed state.
    State {
        from: ConnState,
        to: ConnState,
        reason: String,
    },
    /// The link's recovery needs more than an ICE restart.
    Escalate { level: RecoveryLevel, attempt: u32 },
    /// A negotiation message for the remote peer.
    Signal { data: SignalData },
    /// A browser operation failed.
    Error { message: String },
    /// A text message arrived on the data channel.
    /// `binary`: an `ArrayBuffer` the driver keeps (`text` is empty).
    Message {
        text: String,
        #[serde(default)]
        binary: bool,
    },
    /// A remote track arrived (the track itself stays in the driver), in the stream of
    /// this id.
    Track {
        kind: String,
        stream_id: Option<String>,
    },
}

/// Everything the room engine is fed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomInput {
    /// The app called `connect`: join the room.
    Connect,
    SocketOpened,
    SocketClosed {
        code: u16,
        reason: String,
    },
    /// A message from the server, with its sequence number if it has one.
    Frame {
        seq: Option<u64>,
        message: ServerMessage,
    },
    /// The server's heartbeat `ping` arrived (the socket already answered it).
    Alive,
    /// A frame that is not a protocol message.
    BadFrame {
        why: String,
    },
    /// A report of the link to `peer_id` at `epoch`.
    Link {
        peer_id: String,
        epoch: u32,
        report: LinkReport,
    },
    NetworkOnline {
        online: bool,
    },
    PageVisible {
        visible: bool,
    },
    /// `navigator.connection` changed (a new network): a good moment to retry.
    NetworkChanged,
    /// What the browser says of the device and network now (adaptation caps).
    Presets {
        presets: Presets,
    },
    /// A `getStats()` sample of the link to `peer_id` at `epoch`.
    Stats {
        peer_id: String,
        epoch: u32,
        sample: StatsSample,
    },
    /// The app's `tokenProvider` answered (`None`: it failed or gave nothing).
    Token {
        token: Option<String>,
    },
    TimerFired {
        timer: RoomTimer,
    },
    /// The app asks for `kind` on or off; `request` names the call, settled by
    /// `SettleMedia`.
    SetMedia {
        kind: MediaKind,
        enabled: bool,
        request: u32,
    },
    /// The driver finished `ApplyMedia` number `op`.
    MediaApplied {
        kind: MediaKind,
        op: u32,
        result: Result<(), SteadyError>,
    },
    /// A local source stopped by itself (device unplugged, sharing ended in the browser).
    MediaEnded {
        kind: MediaKind,
    },
    /// The app chose another device for `kind`; `request` as for `SetMedia`.
    SwitchDevice {
        kind: MediaKind,
        device_id: String,
        request: u32,
    },
    /// The screen capture is ready in a stream of this id, not yet sent (`Some`), or the
    /// share ended (`None`).
    ScreenShared {
        stream_id: Option<String>,
    },
    /// The recorder could not start (or broke): the recording is over.
    RecordingFailed {
        message: String,
    },
    /// The page's devices changed (`devicechange`): the list now.
    DevicesChanged {
        devices: Vec<DeviceInfo>,
    },
    /// Whether the app listens for `audioLevel` and for `activeSpeakers`.
    AudioListeners {
        levels: bool,
        speakers: bool,
    },
    /// The level (0..1) of each audio track measured (`MeasureAudio`), by participant
    /// (`"local"` for this one).
    AudioLevels {
        levels: Vec<(String, f64)>,
    },
    /// The page's audio context is suspended by the autoplay policy (true), or running.
    AudioBlocked {
        blocked: bool,
    },
    /// The app called `leave` (or dropped the room).
    Leave,
    /// The capture that `connect` started beside the socket (`RoomConfig::capturing`)
    /// finished: `Ok` with the media in hand, or why it failed (`connect` fails with it).
    Captured {
        result: Result<(), SteadyError>,
    },
}

/// What the driver executes, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "type",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum RoomAction {
    /// Open a new signaling socket (dropping any old one).
    OpenSocket,
    CloseSocket,
    /// Send this on the current socket.
    Send {
        message: ClientMessage,
    },
    /// Build a peer connection to `peer_id` for `epoch`, publish local media on it and
    /// start its engine with `config`. `ice_servers` are the server's (the app's own, if
    /// it gave any, take precedence).
    OpenLink {
        peer_id: String,
        epoch: u32,
        config: LinkConfig,
        ice_servers: Vec<IceServer>,
    },
    /// Close the peer connection to `peer_id` and release it.
    CloseLink {
        peer_id: String,
    },
    /// Apply these sender parameters on the link to `peer_id` (`setParameters` on its
    /// video and audio senders; video inactive when `videoEnabled` is false).
    SetEncoding {
        peer_id: String,
        encoding: Encoding,
    },
    /// Make the video encoder of the link to `peer_id` send a key frame now (after an
    /// outage, or when the remote asks with a `keyFrame` signal).
    ForceKeyFrame {
        peer_id: String,
    },
    /// Play the video received from `peer_id` with no added delay (`now`), or with the
    /// browser's usual delay again: frames held for playout after an outage go out at once.
    PlayoutNow {
        peer_id: String,
        now: bool,
    },
    /// Sample the link to `peer_id` (`getStats`) and report it as `RoomInput::Stats`.
    SampleStats {
        peer_id: String,
    },
    /// Feed this input to the engine of the link to `peer_id`.
    LinkInput {
        peer_id: String,
        input: Input,
    },
    ScheduleTimer {
        timer: RoomTimer,
        at_ms: u64,
    },
    CancelTimer {
        timer: RoomTimer,
    },
    /// Ask the app's `tokenProvider` for a fresh token; answer with `RoomInput::Token`.
    FetchToken,
    /// Tell the app.
    Emit {
        event: RoomEvent,
    },
    /// Turn `kind` on or off: capture (or unmute) and publish on every link, or stop the
    /// capture (mute the microphone) and unpublish. `enabled` while it is on: capture
    /// again from `device_id` and replace the track. `device_id` `None` is the default
    /// device. Report `MediaApplied` with `op`.
    ApplyMedia {
        kind: MediaKind,
        enabled: bool,
        op: u32,
        device_id: Option<String>,
        /// Capture anew even if a track exists (another device, or it is on already);
        /// otherwise a muted microphone is only unmuted.
        recapture: bool,
    },
    /// Start recording the room: every audio track mixed, and the video of `video_from`
    /// (`"local"` or a peer id).
    StartRecorder {
        video_from: String,
    },
    /// Stop recording; the app gets the file.
    StopRecorder,
    /// Stop every local capture (this participant may not publish).
    ReleaseMedia,
    /// Remember the app's device choice for the next visit (`localStorage`).
    StoreDevice {
        kind: MediaKind,
        device_id: Option<String>,
    },
    /// Measure the level of every audio track, local and remote; report `AudioLevels`.
    MeasureAudio,
    /// Settle the app's `sendChat` call `request` (its line was confirmed, or refused).
    SettleChat {
        request: u32,
        result: Result<(), SteadyError>,
    },
    /// Settle the app's `SetMedia` calls `requests`.
    SettleMedia {
        requests: Vec<u32>,
        result: Result<(), SteadyError>,
    },
    /// The first join finished: `connect` resolves (`Ok`) or rejects.
    ConnectDone {
        result: Result<(), SteadyError>,
    },
    /// An input was not acted on; the reason is for logs and traces.
    Ignored {
        what: String,
        reason: String,
    },
    /// The room is over (left, ended by the server, or its session failed): release
    /// local media. Nothing follows.
    Finished,
}

/// The room's tunables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RoomConfig {
    pub room: String,
    pub name: String,
    pub token: Option<String>,
    /// The app gave a `tokenProvider`.
    pub has_token_provider: bool,
    pub join_timeout_ms: u64,
    pub session: SessionConfig,
    /// The template of every link's configuration (roles are set per peer).
    pub link: LinkConfig,
    /// A lost link is recovered (restarted, then rebuilt) while its peer is in the room
    /// for at most this long from the moment it was lost; then it is given up
    /// (`failed`, `recoveryExhausted`). The app's `recoveryTimeoutMs`.
    pub rebuild_budget_ms: u64,
    /// A link that comes back is told to the app (`recovered`) once it has held this long;
    /// if it drops again before, the episode goes on unseen (Firefox reads `connected`
    /// for a moment when an ICE restart offer is rolled back). 0 tells it at once.
    pub recovered_hold_ms: u64,
    /// Delay before each rebuild after the first: 500 ms doubling, capped here.
    pub rebuild_max_delay_ms: u64,
    /// Signaling resets asked for by links are at least this far apart.
    pub reset_min_interval_ms: u64,
    /// How often each link is sampled (`getStats`), and how often while it recovers.
    pub stats_interval_ms: u64,
    pub stats_interval_recovering_ms: u64,
    /// What `connect` captured: the microphone and camera are on at the start.
    pub microphone: bool,
    pub camera: bool,
    /// `connect` is capturing them while the socket opens: `join` waits for `Captured`
    /// (the links of a call are built with the media in them), and so does the join
    /// timeout (a permission prompt takes the user's time, not the server's).
    pub capturing: bool,
    /// The devices chosen on an earlier visit (`None`: the default device).
    pub microphone_device: Option<String>,
    pub camera_device: Option<String>,
    /// The app's calls to turn media on or off reject with `mediaTimeout` after this.
    pub media_timeout_ms: u64,
    /// How often audio levels are measured while the app listens (100 ms: at most ten
    /// `audioLevel` events a second per participant).
    pub audio_level_interval_ms: u64,
    pub speaking: crate::engine::speaking::SpeakingConfig,
    /// The app's `adaptive: {preset}`: the best rung allowed, in place of what the browser
    /// says of the device and network (`None`: read from the browser).
    pub preset: Option<crate::engine::adapt::Rung>,
    /// Inputs and commands kept for `exportTrace` (a few MiB at most; past it the trace
    /// is marked truncated). 0 records nothing.
    pub trace_capacity: usize,
    /// Open the session in the match queue of the token's room with these preferences
    /// (`queueJoin`) instead of joining `room` by name.
    pub match_prefs: Option<Box<steadyrtc_protocol::MatchPrefs>>,
}

impl Default for RoomConfig {
    fn default() -> Self {
        Self {
            room: String::new(),
            name: String::new(),
            token: None,
            has_token_provider: false,
            join_timeout_ms: 10_000,
            session: SessionConfig::default(),
            link: LinkConfig::default(),
            rebuild_budget_ms: 300_000,
            recovered_hold_ms: 1_000,
            rebuild_max_delay_ms: 4_000,
            reset_min_interval_ms: 10_000,
            stats_interval_ms: 1_000,
            stats_interval_recovering_ms: 500,
            microphone: false,
            camera: false,
            capturing: false,
            microphone_device: None,
            camera_device: None,
            media_timeout_ms: 10_000,
            audio_level_interval_ms: 100,
            speaking: Default::default(),
            preset: None,
            trace_capacity: 4_096,
            match_prefs: None,
        }
    }
}

/// A media device, as `enumerateDevices()` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub device_id: String,
    /// `audioinput`, `videoinput` or `audiooutput`.
    pub kind: String,
    /// Empty until the page may capture (permission).
    pub label: String,
    pub group_id: String,
}
