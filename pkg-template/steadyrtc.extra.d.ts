
// ---- Added by steadyrtc's build from pkg-template/steadyrtc.extra.d.ts ----

/** Options of `Room.join`. Unknown fields are refused with `invalidOptions`. */
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
}

/** Which local media to capture. Both default to `true`. */
export interface MediaOptions {
  audio?: boolean;
  video?: boolean;
}

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

/** A remote participant. */
export interface PeerInfo {
  /** Id assigned by the server. */
  id: string;
  /** Display name. */
  name: string;
}

/**
 * The state of the connection to one peer, as steadyrtc's engine tracks it. Setup walks
 * forward through `initializing` -> `signaling` (offer/answer) -> `iceGathering` ->
 * `iceExchange` (candidates flowing) -> `connecting` (ICE checks) -> `connected`. A drop
 * moves it to `reconnecting` while steadyrtc recovers it (ICE restart first); `failed`
 * means it gave up (setup not connected within 30 s: reason `timeout`; recovery
 * exhausted: reason `recoveryExhausted: ...`). Each state but `connected`, `failed` and
 * `closed` has a timeout.
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
export interface PeerLeftEvent extends PeerInfo {
  reason: LeaveReason;
}

/** Payload of `track`: a remote audio or video track and its stream. */
export interface RemoteTrackEvent {
  peerId: string;
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
   * `candidatesFlowing`, `iceChecking`, `connected`, `recovered`, `iceDisconnected`, `iceFailed`,
   * `statsStalled`, `<state>Timeout` (e.g. `connectingTimeout`), `timeout`,
   * `recoveryExhausted: ...`, `closeRequested`, `closedByBrowser`.
   */
  reason: string;
}

/** Payload of `message`: text sent with `room.send` by `peerId`. */
export interface DataMessage {
  peerId: string;
  text: string;
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
 * the server's timeout, or the server's `goAway`) it is `reconnecting` (backoff with
 * jitter, paused while offline), then `resuming` (nothing is lost and the other peers see
 * no leave), back to `connected`. If the server forgot the session it is `rejoining`: a
 * fresh join with the same token, after which the links are rebuilt and `peerId` changes.
 * `failed` after 20 attempts or 5 minutes, or when the rejoin is refused.
 */
export type SessionState = "connected" | "reconnecting" | "resuming" | "rejoining" | "failed" | "closed";

/** Payload of `sessionStateChange`. */
export interface SessionStateChangeEvent {
  from: SessionState;
  to: SessionState;
  reason: string;
}

/** Every event of a `Room` and its payload. */
export interface RoomEvents {
  /** A participant joined after you (peers present at join are in `room.peers()`). */
  peerJoined: PeerInfo;
  peerLeft: PeerLeftEvent;
  track: RemoteTrackEvent;
  stateChange: StateChangeEvent;
  message: DataMessage;
  disconnected: DisconnectedEvent;
  sessionStateChange: SessionStateChangeEvent;
  /** Something failed after join (a negotiation step, a refused message). */
  error: SteadyError;
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
  /** Capture is impossible (insecure context, device busy, other failure). */
  | "mediaUnavailable"
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
  /** The browser failed an operation; `message` says which. */
  | "browserError";

/** Every error steadyrtc throws, rejects with or emits. */
export interface SteadyError extends Error {
  name: "SteadyError";
  code: SteadyErrorCode;
  /** The server's protocol error code, e.g. `"invalidRoom"` or `"roomFull"`. */
  serverCode?: string;
  /** The remote peer the error concerns, for errors emitted about one peer. */
  peerId?: string;
}

/** `true` when `value` is a `SteadyError`. */
export function isSteadyError(value: unknown): value is SteadyError;

export interface Room {
  /** Registers a handler. Unknown event names throw `invalidArgument`. */
  on<K extends keyof RoomEvents>(event: K, handler: (event: RoomEvents[K]) => void): void;
  /** Removes a handler registered with `on`. */
  off<K extends keyof RoomEvents>(event: K, handler: (event: RoomEvents[K]) => void): void;
}
