// A minimal app built on the published steadyrtc package, as a user would write it:
// imported by its name, bundled by Vite with no special configuration, type-checked
// strictly. Everything the test needs is in the DOM:
//   #status[data-state]        loading -> joining -> joined | error (with data-error)
//   #status[data-peer-state]   the last connection state of the remote peer
//   #status[data-quality]      the last quality score
//   #frames                    remote video frames decoded so far
//   #bad-url[data-code]        the code of the error a bad url gives, when it is a SteadyError
//   #bad-url[data-instanceof]  whether that error is `instanceof SteadyError` and `Error`
// URL: ?room=R&name=N&server=ws://host:port/ws
import init, {
  checkConnectivity,
  logSink,
  Peer,
  Room,
  setLogLevel,
  SteadyError,
  type ConnectivityReport,
  type LogRecord,
  type PeerEvents,
  type PeerSignal,
  type QualityEvent,
  type RemoteTrackEvent,
  type RoomEvents,
  type SteadyErrorCode,
  type StateChangeEvent,
  warmUp,
} from "steadyrtc";

const el = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} missing`);
  return found as T;
};
const status = el<HTMLParagraphElement>("status");
const framesOut = el<HTMLSpanElement>("frames");
const badUrl = el<HTMLSpanElement>("bad-url");
const remoteVideo = el<HTMLVideoElement>("remote");
const localVideo = el<HTMLVideoElement>("local");
const logBox = el<HTMLPreElement>("log");

function log(line: string): void {
  logBox.textContent += `${new Date().toISOString().slice(11, 23)} ${line}\n`;
}

function setState(state: string): void {
  status.dataset.state = state;
  status.textContent = state;
}

// Compile-time checks that the types are real (not `any`): a wrong event name or a wrong
// payload field must not type-check. Never called; `tsc` checks it all the same.
function typeChecks(room: Room): void {
  // @ts-expect-error: not an event of RoomEvents
  room.on("noSuchEvent", () => {});
  // @ts-expect-error: StateChangeEvent has no `state` field
  room.on("stateChange", (e) => e.state);
  // @ts-expect-error: error codes are a closed union, not any string
  const code: SteadyErrorCode = "noSuchCode";
  void code;
}

// The same for `Peer` (bring-your-own-signaling) and the logging functions.
function peerTypeChecks(send: (text: string) => void): void {
  const peer = new Peer({ polite: true, iceServers: [{ urls: "stun:stun.example.org" }], media: { audio: true, video: false }, peerId: "bob" });
  peer.on("signal", (data: PeerSignal) => send(JSON.stringify(data)));
  peer.signal('{"kind":"endOfCandidates"}');
  peer.signal({ kind: "answer", sdp: "v=0" });
  peer.on("stateChange", (e: StateChangeEvent) => e.to);
  peer.on("track", (e: RemoteTrackEvent) => e.stream);
  peer.on("message", (e: PeerEvents["message"]) => e.binary);
  // @ts-expect-error: peerJoined is an event of a Room, not of a Peer
  peer.on("peerJoined", () => {});
  // @ts-expect-error: a signal is tagged by `kind`
  peer.signal({ type: "offer", sdp: "v=0" });
  // @ts-expect-error: PeerOptions has no `initiator` (polite decides who offers)
  new Peer({ initiator: true });
  const state: "connected" | string = peer.connectionState;
  void state;
  void peer.connect();
  void peer.send(new Uint8Array([1, 2, 3]));
  peer.close();
  setLogLevel("debug");
  // @ts-expect-error: log levels are a closed union
  setLogLevel("verbose");
  logSink((record: LogRecord) => record.fields["reason"]);
  logSink(null);
  void checkConnectivity({ url: "wss://rtc.example.org/ws", token: "t" }).then((report: ConnectivityReport) => {
    const failed: string[] = report.steps.filter((s) => s.status === "fail").map((s) => `${s.name}: ${s.message} (${s.ms} ms)`);
    return failed;
  });
  // @ts-expect-error: a step's status is pass, warn or fail
  const status: ConnectivityReport["steps"][number]["status"] = "ok";
  void status;
}
void peerTypeChecks;

/** A handler for any event, typed by its name. */
function logged<K extends keyof RoomEvents>(event: K): (payload: RoomEvents[K]) => void {
  return (payload) => log(`${event} ${payload instanceof SteadyError ? `${payload.code}: ${payload.message}` : JSON.stringify(payload, (k, v) => (k === "track" || k === "stream" ? undefined : v))}`);
}

async function checkBadUrl(params: { room: string; name: string }): Promise<void> {
  const room = new Room({ logLevel: "off" });
  try {
    await room.connect({ url: "http://not-a-websocket", room: params.room, name: params.name, media: { audio: false, video: false } });
    badUrl.textContent = "connected?";
  } catch (err: unknown) {
    const isSteady = err instanceof SteadyError;
    badUrl.dataset.instanceof = String(isSteady && err instanceof Error);
    if (err instanceof SteadyError) {
      const code: SteadyErrorCode = err.code;
      badUrl.dataset.code = code;
      badUrl.textContent = `${err.name} ${code}`;
    } else {
      badUrl.textContent = `not a SteadyError: ${String(err)}`;
    }
  } finally {
    room.free();
  }
}

async function fetchToken(server: URL, room: string, name: string): Promise<string> {
  const api = new URL("/api/token", server);
  api.protocol = server.protocol === "wss:" ? "https:" : "http:";
  const res = await fetch(api, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ room, name, role: "guest" }),
  });
  if (!res.ok) throw new Error(`POST ${api.href}: ${res.status} ${await res.text()}`);
  const body: unknown = await res.json();
  if (typeof body !== "object" || body === null || !("token" in body) || typeof body.token !== "string") {
    throw new Error(`POST ${api.href}: no token in ${JSON.stringify(body)}`);
  }
  return body.token;
}

function countFrames(): void {
  const tick = () => {
    framesOut.textContent = String(remoteVideo.getVideoPlaybackQuality().totalVideoFrames);
    setTimeout(tick, 200);
  };
  tick();
}

// The room of this page. Keeping a reference matters: a `Room` that nothing references
// any more is freed by the garbage collector (wasm-bindgen's FinalizationRegistry), and
// freeing a room leaves it, so a room held only by a local variable of `main` ends the
// call a few seconds later, without an event. The `pagehide` handler holds it, and
// leaves the room when the page goes away.
let activeRoom: Room | undefined;
addEventListener("pagehide", () => {
  activeRoom?.free();
  activeRoom = undefined;
});

async function main(): Promise<void> {
  const params = new URLSearchParams(location.search);
  const roomName = params.get("room");
  const name = params.get("name");
  const server = params.get("server");
  await init();
  void warmUp(); // as the README says: once, at start
  if (!roomName || !name || !server) {
    setState("idle");
    log("open with ?room=R&name=N&server=ws://host:port/ws");
    return;
  }
  await checkBadUrl({ room: roomName, name });

  setState("joining");
  const serverUrl = new URL(server);
  const token = await fetchToken(serverUrl, roomName, name);
  const room = new Room({ logLevel: "warn", tokenProvider: () => fetchToken(serverUrl, roomName, name) });
  activeRoom = room;

  room.on("stateChange", (e: StateChangeEvent) => {
    status.dataset.peerState = e.to;
    log(`stateChange ${e.peerId} ${e.from} -> ${e.to} (${e.reason})`);
  });
  room.on("quality", (e: QualityEvent) => {
    status.dataset.quality = String(e.score);
    status.dataset.qualityLevel = e.level;
    status.dataset.fps = String(e.metrics.fps ?? "");
    status.dataset.resolution = e.metrics.resolution ?? "";
  });
  room.on("track", (e: RemoteTrackEvent) => {
    log(`track ${e.peerId} ${e.kind}`);
    if (e.kind === "video" && e.stream) remoteVideo.srcObject = e.stream;
  });
  for (const event of ["peerJoined", "peerLeft", "recovery", "sessionStateChange", "error"] as const) {
    room.on(event, logged(event));
  }

  await room.connect({ url: server, room: roomName, name, token, media: { audio: true, video: true } });
  localVideo.srcObject = room.localStream ?? null;
  status.dataset.peerId = room.peerId ?? "";
  setState("joined");
  countFrames();
}

main().catch((err: unknown) => {
  status.dataset.error = err instanceof SteadyError ? `${err.code}: ${err.message}` : String(err);
  setState("error");
  log(`error: ${status.dataset.error}`);
});
