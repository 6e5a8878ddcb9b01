
// ---- Added by steadyrtc's build from pkg-template/steadyrtc.extra.d.ts ----

/**
 * Options of `new Room(options)`, all optional. Unknown fields are refused with
 * `invalidOptions`.
 */
export interface RoomClientOptions {
  /**
   * Called for a fresh token when the server refuses one (`invalidToken` or
   * `tokenExpired`): when a rejoin after a long outage or a server restart is refused,
   * and before the first join when `connect` gets no `token`. The join is retried once
   * with the new token.
   */
  tokenProvider?: () => Promise<string> | string;
  /**
   * Replaces the built-in backoff between recovery attempts of a peer connection.
   * Return the delay in milliseconds, or `null` to give up on that connection.
   */
  reconnectPolicy?: (attempt: ReconnectAttempt) => number | null;
  /**
   * How much the library logs, for everything on the page (the same as calling
   * `setLogLevel`). Default `"warn"`.
   */
  logLevel?: LogLevel;
}

/**
 * How much steadyrtc logs (`setLogLevel`), least to most. `"warn"` is the default: a call
 * that goes well logs nothing at `"warn"` or `"info"`. `"debug"` shows every state
 * change and every step the engines skip, `"trace"` everything.
 */
export type LogLevel = "off" | "error" | "warn" | "info" | "debug" | "trace";

/** What a `logSink` receives: one record per log line. */
export interface LogRecord {
  level: "error" | "warn" | "info" | "debug" | "trace";
  /** The Rust module that logged it, e.g. `"steadyrtc::browser::peer"`. */
  target: string;
  /** The line, in words. */
  message: string;
  /** Its structured fields, e.g. `{ from: "connecting", to: "connected", reason: "connected" }`. */
  fields: Record<string, string | number | boolean>;
}

/** What `reconnectPolicy` is asked about. */
export interface ReconnectAttempt {
  /** 1-based attempt number in this recovery episode. */
  attempt: number;
  /** The ladder level of this attempt. */
  level: RecoveryLevel;
  /** Time since the connection was lost. */
  elapsedMs: number;
  /** The delay the built-in backoff would use. */
  proposedDelayMs: number;
}

/**
 * The recovery ladder, cheapest first: an ICE restart on the same connection; a new
 * signaling socket (the session resumes) then an ICE restart; a new peer connection on
 * both sides (a full reconnect).
 */
export type RecoveryLevel = "iceRestart" | "signalingReset" | "fullReconnect";

/** Options of `room.connect` (and `Room.join`). Unknown fields are refused with `invalidOptions`. */
export interface RoomOptions {
  /** WebSocket URL of the signaling endpoint, e.g. `ws://localhost:8080/ws`. */
  url: string;
  /** Room to join: 1 to 64 of `A-Z a-z 0-9 - _ .`. */
  room: string;
  /** Display name shown to the others: 1 to 64 characters, not blank. */
  name: string;
  /**
   * Access token for this room (a JWT from the server's `POST /api/token`, minted by
   * your backend with the API key, or by a `--dev` server for demos). The server
   * refuses `join` without a valid token for the room.
   */
  token?: string;
  /** Local media to capture and publish. Default: audio and video. */
  media?: MediaOptions;
  /** ICE configuration. Default: no ICE servers (host candidates only). */
  ice?: IceOptions;
  /** How long joining may take before `signalingTimeout`. Default 10000, 1000..120000. */
  joinTimeoutMs?: number;
  /**
   * How long a lost connection to one peer is tried again (ICE restarts, a new socket,
   * then new connections), counted from the moment it was lost. Past it the connection is
   * given up: `stateChange` to `failed` with reason `recoveryExhausted: ...` and a
   * `recovery` event with phase `gaveUp`. It is tried anew when the peer reconnects or
   * the room rejoins. Default 300000 (5 minutes), 5000..3600000.
   */
  recoveryTimeoutMs?: number;
  /** How each connection's sending adapts. */
  adaptive?: AdaptiveOptions;
}

/**
 * Options of `new Match(options)`: where the queue is, and the `Room` client options.
 * Unknown fields are refused with `invalidOptions`.
 */
export interface MatchOptions extends RoomClientOptions {
  /** WebSocket URL of the signaling endpoint, e.g. `ws://localhost:8080/ws`. */
  url: string;
  /**
   * A token whose room is a match room (mode `match`): the queue to wait in. Or give
   * `tokenProvider`, asked before the first join.
   */
  token?: string;
}

/**
 * Options of `match.start(options)`, all optional: what you want from the queue, and how
 * you join (as for `room.connect`, without `url` and `room`).
 */
export interface MatchStartOptions extends Partial<Omit<RoomOptions, "url" | "room">> {
  /**
   * At most 16 tags of 1 to 32 characters. Two people match when their tags share one,
   * or when either gives none.
   */
  tags?: string[];
  /** 1 to 32 characters. Two people match when both give the same (any case), or either gives none. */
  language?: string;
  /** Display name shown to the partner. Default `"Guest"`. */
  name?: string;
  /** A token for the match room, in place of the `Match`'s own. */
  token?: string;
}

/**
 * `preset` is the best quality the adaptive ladder may climb to. `"auto"` (default) reads
 * it from the browser: `navigator.connection` (effectiveType, saveData), a mobile device,
 * and a battery at 20 % or less that is discharging (caps at `"low"`). Any other value
 * replaces all of those. Unlike `room.setQuality`, which pins one rung, the ladder still
 * steps down on a bad link, and back up to the preset.
 */
export interface AdaptiveOptions {
  preset?: "auto" | "high" | "medium" | "low" | "minimum" | "audioOnly";
}

/** Which local media to capture. Both default to `true`. */
/**
 * What to capture and send: `{ audio, video }` (both true by default), or the preview
 * `{ stream: (await createLocalMedia()).stream }`, so the camera is not opened twice (the
 * room then owns those tracks).
 */
export type MediaOptions =
  | { audio?: boolean; video?: boolean }
  | { stream: MediaStream };

/** The ICE part of the peer connection configuration. */
export interface IceOptions {
  iceServers?: IceServer[];
  /** `"relay"` needs at least one TURN server. Default `"all"`. */
  iceTransportPolicy?: "all" | "relay";
}

/** A STUN or TURN server; TURN needs `username` and `credential`. */
export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** A participant's role in its room. */
export type Role = "host" | "guest" | "listener";

/** A remote participant. */
export interface PeerInfo {
  /** Id assigned by the server. */
  id: string;
  /** Display name. */
  name: string;
  role: Role;
}

/**
 * The state of the connection to one peer, as steadyrtc's engine tracks it. Setup walks
 * forward through `initializing` -> `signaling` (offer/answer) -> `iceGathering` ->
 * `iceExchange` (candidates flowing) -> `connecting` (ICE checks) -> `connected`. A drop
 * moves it to `reconnecting` while steadyrtc recovers it (see `recovery`): it stays
 * there, even through a full reconnect, until it is `connected` again (reason
 * `recovered`, told once the connection has held for 1 s). `failed` means the room gave
 * up on that peer (not connected again within `recoveryTimeoutMs`, 5 minutes by
 * default, while the peer stayed in the room). Each setup state has a timeout.
 */
export type ConnectionState =
  | "initializing"
  | "signaling"
  | "iceGathering"
  | "iceExchange"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "failed"
  | "closed";

/** A remote participant and the state of the connection to it. */
export interface PeerSummary extends PeerInfo {
  connectionState: ConnectionState;
}

/**
 * Why a participant left: said goodbye, its session was dropped by the server, or its
 * connection dropped and it did not come back within the server's resume window.
 */
export type LeaveReason = "left" | "disconnected" | "timeout";

/** Payload of `peerLeft`. */
export interface PeerLeftEvent {
  id: string;
  name: string;
  reason: LeaveReason;
}

/** Payload of `track`: a remote audio or video track and its stream. */
export interface RemoteTrackEvent {
  peerId: string;
  /** `"audio"` or `"video"`. */
  kind: string;
  /** What the track is, as its sender said: a screen share takes the stage. */
  source: "camera" | "microphone" | "screen";
  track: MediaStreamTrack;
  stream: MediaStream | undefined;
}

/** Payload of `stateChange`: the connection to `peerId` went from `from` to `to`. */
export interface StateChangeEvent {
  peerId: string;
  from: ConnectionState;
  to: ConnectionState;
  /**
   * Why, in camelCase: `offer`, `remoteOffer`, `descriptionsExchanged`,
   * `candidatesFlowing`, `iceChecking`, `connected`, `recovered`, `iceDisconnected`,
   * `iceFailed`, `statsStalled` (nothing at all arrived for about a second, before the
   * browser notices), `<state>Timeout` (e.g. `connectingTimeout`), `timeout`,
   * `fullReconnect`, `remoteReconnect`, `recoveryExhausted: ...`, `closeRequested`,
   * `closedByBrowser`.
   */
  reason: string;
}

/** How far a recovery got: an attempt starts, the connection is back, or the room gave up. */
export type RecoveryPhase = "attempt" | "recovered" | "gaveUp";

/**
 * Payload of `recovery`: a step of the recovery of the connection to `peerId`. With
 * `phase: "recovered"` (sent once the connection has held for 1 s), `level` is the
 * highest level the episode needed and `elapsedMs` how long the connection was down.
 */
export interface RecoveryEvent {
  peerId: string;
  phase: RecoveryPhase;
  level: RecoveryLevel;
  /** Attempt number at that level (0 for `recovered` and `gaveUp`). */
  attempt: number;
  elapsedMs: number;
}

/** The quality level of a connection, from its score. */
export type QualityLevel = "excellent" | "good" | "fair" | "poor" | "critical";

/** What `quality` measured on one connection over the last `getStats()` interval. */
export interface QualityMetrics {
  /** Round-trip time of the selected candidate pair. */
  rttMs?: number;
  jitterMs: number;
  /** Packets lost on their way to you, percent (the worse of audio and video). */
  lossPctIn: number;
  /** Packets of yours the remote reports lost, percent. */
  lossPctOut: number;
  bitrateInKbps: number;
  bitrateOutKbps: number;
  /** Frames per second of the video you receive. */
  fps?: number;
  /** Size of the video you receive, e.g. `"640x480"`. */
  resolution?: string;
  /** e.g. `"audio/opus"`. */
  audioCodec?: string;
  /** e.g. `"video/VP8"`. */
  videoCodec?: string;
  /** Your side of the selected pair: `"host"`, `"srflx"`, `"prflx"` or `"relay"`. */
  candidateType?: string;
  /** How a relay candidate reaches TURN: `"udp"`, `"tcp"` or `"tls"`. */
  relayProtocol?: string;
}

/**
 * Payload of `quality` (and what `room.quality(peerId)` returns): a 0..100 score (audio
 * by the E-model, video by loss, frame rate and bitrate; the worse of the two; it drops
 * at once and rises by at most 2 points a second), its level, what was measured, and what
 * limits the encoder (`"bandwidth"`, `"cpu"`, `"other"`), if anything. Emitted on every
 * level change, and at most once a second otherwise.
 */
export interface QualityEvent {
  peerId: string;
  score: number;
  level: QualityLevel;
  metrics: QualityMetrics;
  limitation?: string;
}

/** What `room.setQuality` accepts. */
export type QualityPreference = "auto" | "high" | "medium" | "low" | "audioOnly";

/**
 * A rung of the adaptation ladder, what you send to one peer: `high` (1.7 Mbps, full
 * size, 30 fps), `medium` (800 kbps, 3/4 size), `low` (450 kbps, half size, 24 fps),
 * `minimum` (150 kbps, quarter size, 15 fps), `audioOnly` (video paused).
 */
export type QualityRung = "high" | "medium" | "low" | "minimum" | "audioOnly";

/**
 * What moved the rung: `loss`, `rtt` or `jitter` the remote reports of what you send,
 * `bandwidth` (the encoder is limited by it, or the path carries less than is sent),
 * `stable` (ten clean seconds: one rung up), `preference` (`setQuality`), `preset`
 * (device or network conditions).
 */
export type QualityTrigger = "loss" | "rtt" | "jitter" | "bandwidth" | "cpu" | "stable" | "preference" | "preset";

/** Payload of `qualityLevelChange`: what you send to `peerId` changed rung. */
export interface QualityLevelChangeEvent {
  peerId: string;
  from: QualityRung;
  to: QualityRung;
  trigger: QualityTrigger;
  /** In words, e.g. `"loss 7.5 %"`. */
  reason: string;
}

/**
 * Payload of `mediaState`: `peerId` paused (or resumed) its video to you, and why:
 * `poorConnection` (its adaptation went down to audio only) or `preference`. Show it
 * instead of a frozen frame.
 */
/**
 * What a remote peer sends you. Show an avatar when `camera` is false, a muted icon when
 * `microphone` is false, and "video paused: poor connection" when `videoPaused` is true
 * with `reason: "poorConnection"` (the sender's link adapted down to audio only).
 */
export interface MediaStateEvent {
  peerId: string;
  videoPaused: boolean;
  /** Why the video is paused: `"poorConnection"` or `"preference"` (empty when it is not). */
  reason: string;
  camera: boolean;
  microphone: boolean;
  /** The peer shares its screen (its track arrives with `source: "screen"`). */
  screen: boolean;
}

/** The audio level of one participant, 0 (silence) to 1, ten times a second. */
export interface AudioLevelEvent {
  /** A peer id, or `"local"` for this participant. */
  peerId: string;
  level: number;
}

/**
 * Who is speaking now (on every change): speaking starts after about 150 ms of voice and
 * ends after about 500 ms of silence, so the ring does not flicker between words.
 */
export interface ActiveSpeakersEvent {
  /** Peer ids, and `"local"` when this participant speaks. */
  peerIds: string[];
}

/** The autoplay policy holds the page's audio: show a button that calls `room.startAudio()`. */
export interface AudioPlaybackBlockedEvent {}

/** A camera, microphone or speaker, as `listDevices()` and `devicesChanged` give it. */
export interface DeviceInfo {
  deviceId: string;
  kind: "audioinput" | "videoinput" | "audiooutput";
  /** Empty until the page has been allowed to capture. */
  label: string;
  groupId: string;
}

/** A device was plugged in or out: the list now. */
export interface DevicesChangedEvent {
  devices: DeviceInfo[];
}

/** The device in use for `source` went away; the default device took over. */
export interface DeviceFallbackEvent {
  source: "microphone" | "camera";
}

/** What `createLocalMedia` captures. */
export interface LocalMediaOptions {
  /** Default true. */
  audio?: boolean;
  /** Default true. */
  video?: boolean;
  /** A `deviceId` from `listDevices("audioinput")`; by default the one chosen last visit. */
  microphone?: string;
  /** A `deviceId` from `listDevices("videoinput")`; by default the one chosen last visit. */
  camera?: string;
}

/** `"pending"` while an operation on that source runs: show a loading state. */
export type MediaToggle = "on" | "off" | "pending";

/** What each local source is now (`room.localMedia()`, and the `localMedia` event). */
export interface LocalMediaState {
  microphone: MediaToggle;
  camera: MediaToggle;
  screen: MediaToggle;
}

/** One step of a diagnostics timeline (`atMs` is the page's clock, `Date.now()`). */
export interface DiagnosticsStep {
  atMs: number;
  from: string;
  to: string;
  reason: string;
}

/** What `room.diagnostics()` knows of one connection. */
export interface PeerDiagnostics {
  peerId: string;
  state?: ConnectionState;
  timeline: DiagnosticsStep[];
  /** The last `quality` report, with `event: "quality"`. */
  quality?: QualityEvent & { event: "quality" };
  /** What is sent to this peer now. */
  rung?: QualityRung;
  /** Recovery attempts started: ICE restart, signaling reset, full reconnect. */
  recoveryAttempts: [number, number, number];
  recoveries: number;
  lastTimeToRecoverMs?: number;
  /** In plain words, e.g. "UDP is blocked: media is relayed over TURN/TCP. ...". */
  recommendations: string[];
}

/** What `room.diagnostics()` returns: paste it into a bug report. */
export interface DiagnosticsReport {
  atMs: number;
  peerId: string;
  room: string;
  sessionState?: SessionState;
  sessionTimeline: DiagnosticsStep[];
  peers: PeerDiagnostics[];
}

/** Payload of `message`: text sent with `room.send` by `peerId` (data channel). */
export interface DataMessage {
  peerId: string;
  /** The text (empty for binary data). */
  text: string;
  /** True for binary data, then in `data`. */
  binary: boolean;
  /** The bytes of a binary message. */
  data?: ArrayBuffer;
}

/**
 * Payload of `disconnected`: the signaling socket closed. Calls already up continue, and
 * the session reconnects by itself (see `sessionStateChange`).
 */
export interface DisconnectedEvent {
  code: number;
  reason: string;
}

/**
 * The connection to the signaling server. After a drop (socket closed, no heartbeat for
 * the server's timeout, the server's `goAway`, or a peer connection's recovery asking for
 * a new socket) it is `reconnecting` (a probe at least every 1.5 s, at once when the
 * network comes back; paused while offline), then `resuming` (nothing is lost and the
 * other peers see no leave), back to `connected`. If the server forgot the session it
 * is `rejoining`: a fresh join with the same token (or one from `tokenProvider`), after
 * which the connections are rebuilt and `peerId` changes. `failed` after 5 minutes, or
 * when the rejoin is refused.
 */
export type SessionState = "connected" | "reconnecting" | "resuming" | "rejoining" | "failed" | "closed";

/** Payload of `sessionStateChange`. */
export interface SessionStateChangeEvent {
  from: SessionState;
  to: SessionState;
  reason: string;
}

/** Payload of `goAway`: the server is shutting down (a deploy); the session moves on by itself. */
export interface GoAwayEvent {
  reason: string;
  reconnectInMs: number;
}

/** Payload of `roomEnded`: the room was ended; this `Room` is closed. */
export interface RoomEndedEvent {
  room: string;
  /** `endedByHost` (a host's `room.endRoom()`, `by` says who) or `deleted` (the server's rooms API). */
  reason: string;
  /** The peer id of the host who ended the room, with reason `endedByHost`. */
  by?: string;
}

/** Payload of `chat`: a line sent with `room.sendChat`, relayed by the server. */
export interface ChatEvent {
  /** The sender's id of the line: a line sent again across a dropped socket arrives once. */
  id: string;
  /** The sender's peer id. */
  from: string;
  /** The sender's display name. */
  name: string;
  text: string;
  /** Sent to you alone. */
  private: boolean;
  /** When the server took the line, Unix milliseconds. */
  sentAt: number;
}

/** Payload of `recording`: `by` started or stopped recording the room. */
export interface RecordingEvent {
  by: string;
  active: boolean;
}

/**
 * Payload of `queued`: you wait in the match queue. Sent when you queue, whenever your
 * place in line moves, and once a second for a clock.
 */
export interface QueuedEvent {
  /** Your place in line: 1 is next; 0 when the server does not say (an older server). */
  position: number;
  /** Milliseconds waited so far in this wait. */
  waitedMs: number;
}

/**
 * Payload of `matched`: the match queue paired you with `peer` in `room`. The partner
 * also arrives as `peerJoined`, and its tracks as `track`, as in any room.
 */
export interface MatchedEvent {
  room: string;
  peer: PeerInfo;
  /** How long this wait took, in milliseconds. */
  waitedMs: number;
}

/**
 * Payload of `roleChanged`: a host promoted `peerId` (role `guest`: it may publish) or
 * demoted it (role `listener`).
 */
export interface RoleChangedEvent {
  peerId: string;
  role: Role;
  /** The host who changed it. */
  by: string;
  /**
   * It is your own role. Promoted: turn the camera and microphone on
   * (`setCameraEnabled(true)`). Demoted: they were stopped for you.
   */
  local: boolean;
}

/** Payload of `handRaised` (hosts only): a listener asks for the floor, or withdraws. */
export interface HandRaisedEvent {
  peerId: string;
  /** The listener's display name. */
  name: string;
  raised: boolean;
}

/** Payload of `attendees`: how many listeners you see (a host sees all of them). */
export interface AttendeesEvent {
  count: number;
}

/** Every event of a `Room` and its payload: `room.on(name, handler)`. */
export interface RoomEvents {
  /**
   * A participant is in the room: first every peer already there (before `connect`
   * resolves), then each later arrival.
   */
  peerJoined: PeerInfo;
  /** A participant left the room (said goodbye, was dropped, or timed out). */
  peerLeft: PeerLeftEvent;
  /** A remote audio or video track arrived: put `stream` on a `<video>`. */
  track: RemoteTrackEvent;
  /** The connection to a peer changed state, with the reason. */
  stateChange: StateChangeEvent;
  /** A recovery step of the connection to a peer, or the connection is back. */
  recovery: RecoveryEvent;
  /** The quality of a connection: on every level change, at most once a second otherwise. */
  quality: QualityEvent;
  /** What you send to a peer moved on the adaptation ladder, and why. */
  qualityLevelChange: QualityLevelChangeEvent;
  /** What a peer sends you changed: camera, microphone, screen, video paused. */
  mediaState: MediaStateEvent;
  /** A local source turned on, off or pending (a toggle, or a device that went away). */
  localMedia: LocalMediaState;
  /** Levels of every participant's audio; measured only while someone listens. */
  audioLevel: AudioLevelEvent;
  /** Who is speaking now, on every change; measured only while someone listens. */
  activeSpeakers: ActiveSpeakersEvent;
  /** The autoplay policy holds the page's audio: call `room.startAudio()` from a click. */
  audioPlaybackBlocked: AudioPlaybackBlockedEvent;
  /** A camera, microphone or speaker was plugged in or out. */
  devicesChanged: DevicesChangedEvent;
  /** The device in use went away and the default one took over. */
  deviceFallback: DeviceFallbackEvent;
  /** Data from a peer over the data channel (`room.send`, `room.sendData`). */
  message: DataMessage;
  /** The signaling socket closed; calls go on while the session reconnects. */
  disconnected: DisconnectedEvent;
  /** A step of the connection to the signaling server. */
  sessionStateChange: SessionStateChangeEvent;
  /** The server is going away (a deploy); the session moves on by itself. */
  goAway: GoAwayEvent;
  /** The room was ended (a host's `endRoom()`, or the server's rooms API); this `Room` is closed. */
  roomEnded: RoomEndedEvent;
  /** A chat line relayed by the server, once. */
  chat: ChatEvent;
  /** Someone started or stopped recording the room. */
  recording: RecordingEvent;
  /** You wait in the match queue: your place in line and the time waited. */
  queued: QueuedEvent;
  /** The match queue paired you with a peer. */
  matched: MatchedEvent;
  /** A host promoted or demoted a participant (`local`: you). */
  roleChanged: RoleChangedEvent;
  /** A listener raised or lowered its hand (hosts only hear this). */
  handRaised: HandRaisedEvent;
  /** The number of listeners you see changed (a host: the attendee count). */
  attendees: AttendeesEvent;
  /**
   * Something failed after `connect` (a negotiation step, a message the server refused:
   * `code: "serverRefused"` with its `serverCode`); the room goes on.
   */
  error: SteadyError;
}

/** What `checkConnectivity` checks. Unknown fields are refused with `invalidOptions`. */
export interface ConnectivityOptions {
  /** The signaling URL, as for `connect`: `ws://` or `wss://`. */
  url: string;
  /** A token for that server, as for `connect`. */
  token: string;
  /** Which devices to try. Default: both. */
  media?: { audio?: boolean; video?: boolean };
}

/** One step of the pre-call check. */
export interface ConnectivityStep {
  /**
   * Which check: `signaling` (the socket), `token`, `iceServers` (received from the
   * server), `hostCandidate`, `srflxCandidate` (STUN), `relayUdp`, `relayTcp` (TURN),
   * `loopback` (a call to itself through TURN: its bitrate and round trip in `message`),
   * `camera`, `microphone`.
   */
  name: string;
  /** `"warn"`: calls may work, but not everywhere (e.g. no TURN server). */
  status: "pass" | "warn" | "fail";
  /** How long it took. */
  ms: number;
  /** What it means, in a sentence to show the user. */
  message: string;
  /**
   * `loopback` only, when the test call connected: the path it took, as the local
   * candidate type and how it reaches TURN (`"relay/udp"`, `"relay/tcp"`, `"relay/tls"`).
   * Its bitrate and round trip are in `message` ("... (2400 kbps, 3 ms round trip)").
   */
  via?: string;
}

/**
 * How media will travel from here: `"udp"` when UDP gets out (a public address through
 * STUN, a relay over UDP), directly or through TURN over UDP; `"turnTcp"` / `"turnTls"`
 * when only TURN over TCP / TLS got through, so every call is relayed that way.
 */
export type ConnectivityPath = "udp" | "turnTcp" | "turnTls";

/** What `checkConnectivity` resolves with. */
export interface ConnectivityReport {
  /** No step failed. */
  ok: boolean;
  /** The path media will take, or `null` when none was found (no STUN or TURN answered). */
  path: ConnectivityPath | null;
  /**
   * One sentence for the whole check: the first failure, or how calls will get through
   * (e.g. "Ready for calls, relayed over TCP: UDP is blocked here, ...").
   */
  summary: string;
  steps: ConnectivityStep[];
}

/** Stable error codes. */
export type SteadyErrorCode =
  /** The options of `Room.join` are missing something or malformed. */
  | "invalidOptions"
  /** An argument cannot be used (unknown event name, oversized message). */
  | "invalidArgument"
  /** The user or browser refused camera/microphone access. */
  | "mediaPermissionDenied"
  /** No camera or microphone matches. */
  | "mediaDeviceNotFound"
  /** Capture is impossible (insecure context, other failure). */
  | "mediaUnavailable"
  /** The camera or microphone is held by another application: close it or pick another device. */
  | "mediaDeviceInUse"
  /** A media operation did not finish in time (10 s); it may still finish: watch `localMedia`. */
  | "mediaTimeout"
  /** This participant's role does not allow it (a listener publishing, a guest recording). */
  | "forbidden"
  /** The signaling server could not be reached. */
  | "signalingUnreachable"
  /** The signaling server did not answer in time. */
  | "signalingTimeout"
  /** The signaling connection closed while joining. */
  | "signalingClosed"
  /** The server refused the join; see `serverCode`. */
  | "joinRejected"
  /** Nobody is connected to send to. */
  | "notConnected"
  /** The room was left; join again. */
  | "roomClosed"
  /**
   * The same identity joined the room again elsewhere (another tab or device); the
   * server closed this session and the room is over (`serverCode: "duplicateIdentity"`).
   */
  | "sessionReplaced"
  /** The server refused a message after the join; see `serverCode`. */
  | "serverRefused"
  /** The browser failed an operation; `message` says which. */
  | "browserError";

/** Every error steadyrtc throws, rejects with or emits: `err instanceof SteadyError`. */
export class SteadyError extends Error {
  readonly name: "SteadyError";
  readonly code: SteadyErrorCode;
  readonly message: string;
  /** The server's protocol error code, e.g. `"roomFull"`, `"forbidden"`, `"rateLimited"`. */
  readonly serverCode?: string;
  /** The remote peer the error concerns, for errors emitted about one peer. */
  readonly peerId?: string;
  private constructor();
}

/** `true` when `value` is a `SteadyError`. */
export function isSteadyError(value: unknown): value is SteadyError;

/**
 * Options of `new Peer(options)`, all optional. Unknown fields are refused with
 * `invalidOptions`.
 */
export interface PeerOptions {
  /**
   * Perfect negotiation's role: exactly one of the two sides must be polite. The polite
   * side sends the first offer; when both sides offer at once it yields (rolls back and
   * answers), so renegotiating from either side at any time is safe. Default `false`.
   */
  polite?: boolean;
  /** STUN and TURN servers. Default none (host candidates only: one network). */
  iceServers?: IceServer[];
  /** `"relay"` needs at least one TURN server. Default `"all"`. */
  iceTransportPolicy?: "all" | "relay";
  /**
   * What to send: `{ audio, video }` to capture on `connect()` (both default to true
   * once `media` is given; the `Peer` stops them on `close()`), or `{ stream }` to send
   * a stream you own. Default: no media, the data channel only.
   */
  media?: MediaOptions;
  /** The `peerId` of every event payload: your name for the other side. Default `"remote"`. */
  peerId?: string;
}

/**
 * A negotiation message for the other side, plain JSON: carry it as it is (or as
 * `JSON.stringify` text) and hand it to the other side's `peer.signal()`.
 */
export type PeerSignal =
  /** An SDP offer. */
  | { kind: "offer"; sdp: string }
  /** An SDP answer. */
  | { kind: "answer"; sdp: string }
  /** A trickled ICE candidate, as `RTCIceCandidate.toJSON()` gives it. */
  | { kind: "candidate"; candidate: string; sdpMid?: string; sdpMLineIndex?: number; usernameFragment?: string }
  /** The sender has gathered all its candidates. */
  | { kind: "endOfCandidates" };

/**
 * Every event of a `Peer` and its payload (the payloads of the `Room`'s events of the
 * same names; `peerId` is the `peerId` option): `peer.on(name, handler)`.
 */
export interface PeerEvents {
  /** Send this to the other side through your signaling, in order, for its `signal(data)`. */
  signal: PeerSignal;
  /** The connection changed state, with the reason; `closed` last after `close()`. */
  stateChange: StateChangeEvent;
  /** A remote audio or video track arrived (`source`: `camera` for video, `microphone` for audio). */
  track: RemoteTrackEvent;
  /** The quality of the connection: on every level change, at most once a second otherwise. */
  quality: QualityEvent;
  /** Data from the other side over the data channel (`peer.send`). */
  message: DataMessage;
  /** Something failed after `connect` (a negotiation step the browser refused). */
  error: SteadyError;
}

export interface Peer {
  /** Registers a handler. Unknown event names throw `invalidArgument`. */
  on<K extends keyof PeerEvents>(event: K, handler: (event: PeerEvents[K]) => void): void;
  /** Removes a handler registered with `on`. */
  off<K extends keyof PeerEvents>(event: K, handler: (event: PeerEvents[K]) => void): void;
  /** Releases the `Peer`: what `close()` does, then the object can no longer be used. */
  free(): void;
}

export interface Room {
  /** Registers a handler. Unknown event names throw `invalidArgument`. */
  on<K extends keyof RoomEvents>(event: K, handler: (event: RoomEvents[K]) => void): void;
  /** Removes a handler registered with `on`. */
  off<K extends keyof RoomEvents>(event: K, handler: (event: RoomEvents[K]) => void): void;
  /**
   * Releases the `Room`: what `leave()` does, without waiting for the socket to close;
   * then the object can no longer be used.
   */
  free(): void;
}

export interface Match {
  /** Registers a handler for any `Room` event. Unknown event names throw `invalidArgument`. */
  on<K extends keyof RoomEvents>(event: K, handler: (event: RoomEvents[K]) => void): void;
  /** Removes a handler registered with `on`. */
  off<K extends keyof RoomEvents>(event: K, handler: (event: RoomEvents[K]) => void): void;
  /** Releases the `Match`: what `stop()` does, without waiting for the socket to close. */
  free(): void;
}

export interface LocalMedia {
  /**
   * Releases this object and its level meter; the tracks keep running (`stop()` stops
   * them, and a `Room` given the stream owns them).
   */
  free(): void;
}
