// Joining, the call, and leaving: one Room at a time, its events wired to the tiles,
// controls, chat, people list and log. Every failure goes to the boundary.
import { Room } from "steadyrtc";
import type { RecoveryEvent, RemoteTrackEvent, Role, StateChangeEvent } from "steadyrtc";
import { banner, clearBanner } from "./banner";
import { clearFloor, wireBroadcast } from "./broadcast";
import { guard, showFailure } from "./boundary";
import { clearChat, showChat, showMessage } from "./chat";
import { enableControls, showLocalMedia, showRecording } from "./controls";
import { debugForget, debugQuality, debugReset, debugState } from "./debug";
import { $ } from "./dom";
import { failure, joinFailure } from "./failures";
import { indicateCall, indicateRecording } from "./indicators";
import { log } from "./log";
import { addPerson, clearPeople, personMic, personState, removePerson } from "./people";
import type { JoinSettings } from "./settings";
import { endScreen, showScreen } from "./stage";
import { setStatus } from "./status";
import { showView } from "./views";
import { clearTiles, markRecovered, removeTile, showLocal, showMediaState, showQuality, showSpeakers, showState, tile } from "./tiles";
import { devToken } from "./token";

/** How long a join may take until every peer in the room is connected once. */
const CONNECT_WITHIN_MS = 30_000;

let room: Room | undefined;
/** What owns `room` when it is not the page itself (a match): stopped and freed with it. */
let owner: { stop(): Promise<void>; free(): void } | undefined;
let settings: JoinSettings | undefined;
const names = new Map<string, string>();
const everConnected = new Set<string>();
const pausedVideo = new Map<string, boolean>();
const watchdogs = new Map<string, number>();

export const currentRoom = (): Room | undefined => room;
export const lastSettings = (): JoinSettings | undefined => settings;
const who = (peerId: string): string => names.get(peerId) ?? peerId;

const LEVELS: Record<RecoveryEvent["level"], string> = {
  iceRestart: "an ICE restart",
  signalingReset: "a new signaling connection",
  fullReconnect: "a new peer connection",
};

const TRYING: Record<RecoveryEvent["level"], string> = {
  iceRestart: "restarting the connection to",
  signalingReset: "reconnecting to the server for",
  fullReconnect: "rebuilding the connection to",
};

function onTrack({ peerId, stream, track, source }: RemoteTrackEvent): void {
  if (source === "screen") {
    if (stream) showScreen(peerId, who(peerId), stream);
    track.addEventListener("ended", () => endScreen(peerId));
  } else {
    const video = tile({ id: peerId, name: who(peerId) }).querySelector("video");
    if (video && stream && video.srcObject !== stream) video.srcObject = stream;
  }
  log(`receiving ${track.kind} from ${who(peerId)}`);
}

function onRecovery({ peerId, phase, level, attempt, elapsedMs }: RecoveryEvent): void {
  if (phase === "attempt") {
    log(`recovering ${who(peerId)}: trying ${LEVELS[level]} (attempt ${attempt})`);
    banner(`Reconnecting: ${TRYING[level]} ${who(peerId)}, attempt ${attempt}`);
  } else if (phase === "recovered") {
    markRecovered(peerId, level);
    log(`connection to ${who(peerId)} recovered by ${LEVELS[level]} after ${(elapsedMs / 1000).toFixed(1)} s`);
    banner(`Connection to ${who(peerId)} recovered after ${(elapsedMs / 1000).toFixed(1)} s`, "ok", 5_000);
  } else {
    log(`gave up on ${who(peerId)} after ${(elapsedMs / 1000).toFixed(1)} s`);
  }
}

function clearWatchdogs(): void {
  for (const timer of watchdogs.values()) clearTimeout(timer);
  watchdogs.clear();
}

/**
 * Joining is done when a connection is up. Until the first one is, each peer gets 30 s
 * from its arrival (not from our join: a peer may arrive much later); after that a peer
 * that does not connect is shown on its tile, and the library keeps trying.
 */
function watch(current: Room, s: JoinSettings, peer: { id: string; name: string; role: Role }): void {
  if (everConnected.size > 0 || (s.role === "listener" && peer.role === "listener")) return; // two listeners never connect
  clearTimeout(watchdogs.get(peer.id));
  watchdogs.set(peer.id, window.setTimeout(guard(() => {
    watchdogs.delete(peer.id);
    const state = current.peers().find((p) => p.id === peer.id)?.connectionState;
    if (room !== current || everConnected.size > 0 || state === undefined) return;
    log(`no connection to ${peer.name} within ${CONNECT_WITHIN_MS / 1000} s (${state})`);
    showFailure(failure("joinTimeout", `not connected to ${peer.name} within ${CONNECT_WITHIN_MS / 1000} s (the connection was ${state})`));
  }), CONNECT_WITHIN_MS));
}

/** Every peer connection given up: the call is over (one failed peer among others is shown on its tile). */
function allFailed(current: Room): boolean {
  const peers = current.peers();
  return peers.length > 0 && peers.every((p) => p.connectionState === "failed" || p.connectionState === "closed");
}

function onStateChange(current: Room, { peerId, from, to, reason }: StateChangeEvent): void {
  showState(peerId, to);
  personState(peerId, to);
  debugState(peerId, who(peerId), from, to, reason);
  if (to === "connected") {
    everConnected.add(peerId);
    clearWatchdogs();
  }
  if (to === "reconnecting") {
    log(`connection to ${who(peerId)} lost (${reason}): reconnecting…`);
  } else if (to === "connected" && reason === "recovered") {
    // said by the recovery event
  } else if (to === "failed") {
    log(`connection to ${who(peerId)} failed: ${reason}`);
    if (allFailed(current)) showFailure(failure("recoveryExhausted", `connection to ${who(peerId)} failed: ${reason}`));
  } else {
    log(`connection to ${who(peerId)}: ${from} -> ${to} (${reason})`);
  }
}

function wire(current: Room, s: JoinSettings): void {
  current.on("peerJoined", guard((peer) => {
    names.set(peer.id, peer.name);
    tile(peer);
    addPerson(peer.id, peer.name, peer.role);
    watch(current, s, peer);
    log(`${peer.name} is here`);
  }));
  current.on("peerLeft", guard(({ id, name, reason }) => {
    removeTile(id);
    removePerson(id);
    clearTimeout(watchdogs.get(id));
    watchdogs.delete(id);
    endScreen(id);
    debugForget(id);
    names.delete(id);
    log(`${name} ${reason === "left" ? "left" : "disconnected"}`);
  }));
  current.on("track", guard(onTrack));
  current.on("stateChange", guard((e) => onStateChange(current, e)));
  current.on("recovery", guard(onRecovery));
  current.on("quality", guard((q) => {
    showQuality(q);
    debugQuality(q);
  }));
  current.on("qualityLevelChange", guard(({ peerId, from, to, reason }) => {
    log(`sending to ${who(peerId)}: ${from} -> ${to} (${reason})`);
  }));
  current.on("mediaState", guard((e) => {
    showMediaState(e);
    personMic(e.peerId, e.microphone);
    if (!e.screen) endScreen(e.peerId);
    if ((pausedVideo.get(e.peerId) ?? false) !== e.videoPaused) {
      pausedVideo.set(e.peerId, e.videoPaused);
      log(`${who(e.peerId)} ${e.videoPaused ? "paused" : "resumed"} video (${e.reason})`);
    }
  }));
  current.on("localMedia", guard((m) => {
    showLocalMedia(m);
    showLocal(s.name, m.camera !== "off", m.microphone !== "off");
    personMic("local", m.microphone !== "off");
  }));
  current.on("activeSpeakers", guard(({ peerIds }) => showSpeakers(peerIds)));
  current.on("audioPlaybackBlocked", guard(() => {
    $("start-audio").hidden = false;
  }));
  current.on("recording", guard(({ by, active }) => {
    const name = by === current.peerId ? "you" : who(by);
    indicateRecording(active ? name : "");
    if (by === current.peerId) showRecording(active);
    log(`${name} ${active ? "started" : "stopped"} recording`);
  }));
  current.on("deviceFallback", guard(({ source }) => {
    log(`your ${source} was disconnected: using the default one`);
    banner(`Your ${source} was disconnected: using the default one`, "info", 6_000);
  }));
  current.on("chat", guard(showChat));
  current.on("message", guard(({ peerId, text }) => showMessage(who(peerId), text)));
  current.on("disconnected", guard(({ code }) => {
    setStatus("disconnected", "Signaling lost: calls in progress continue; reconnecting…");
    log(`signaling connection closed (${code})`);
  }));
  current.on("sessionStateChange", guard(({ to, reason }) => {
    log(`signaling ${to} (${reason})`);
    if (to === "connected") {
      setStatus("joined", `In room ${s.room} as ${s.name}`);
      clearBanner();
    } else if (to === "failed") {
      setStatus("error", `Signaling failed: ${reason}`);
      if (room === current) showFailure(failure("recoveryExhausted", `signaling failed: ${reason}`));
    } else if (to !== "closed") {
      setStatus("disconnected", `Signaling ${to}: calls in progress continue`);
      banner(`Reconnecting to the server (${to})…`);
    }
  }));
  current.on("goAway", guard(({ reason }) => log(`server going away (${reason}): moving the session`)));
  current.on("roomEnded", guard(({ reason, by }) => {
    const mine = by !== undefined && by === current.peerId;
    const detail = mine ? "you ended the meeting for everyone" : `the room was ended (${reason}${by ? ` by ${who(by)}` : ""})`;
    log(detail);
    if (room !== current) return;
    const ended = failure("roomEnded", detail);
    if (mine) ended.what = "You ended this meeting for everyone.";
    else if (by) ended.what = `${who(by)} ended this meeting for everyone.`;
    showFailure(ended);
  }));
  current.on("error", guard((e) => {
    log(`error ${e.code}${e.serverCode ? ` (${e.serverCode})` : ""}: ${e.message}`);
    if (e.code === "sessionReplaced" && room === current) showFailure(joinFailure(e));
  }));
}

function resetCallView(): void {
  clearTiles();
  clearPeople();
  clearChat();
  clearBanner();
  endScreen();
  debugReset();
  names.clear();
  everConnected.clear();
  pausedVideo.clear();
  $<HTMLVideoElement>("local").srcObject = null;
  $("start-audio").hidden = true;
  enableControls(false, "guest");
  indicateCall(undefined);
  clearFloor();
}

/** Takes the room away from the page (leaving it); resolves when it has left. */
async function drop(): Promise<void> {
  clearWatchdogs();
  const current = room;
  const holder = owner;
  room = undefined;
  owner = undefined;
  if (!current) return;
  try {
    await (holder ? holder.stop() : current.leave());
  } finally {
    current.free();
    holder?.free();
  }
}

export const signalingUrl = (): string => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;

export async function join(s: JoinSettings, media: { stream: MediaStream } | { audio: boolean; video: boolean }, devices: { microphone?: string; camera?: string } = {}): Promise<void> {
  // Handlers first, then connect: no event is missed, the peers already there included.
  // The token provider is asked again if a rejoin's token is refused (a dev server that
  // restarted has a new signing key).
  // A broadcast page opens its room as a broadcast room (the dev server creates it).
  const mode = s.mode === "broadcast" ? "broadcast" : undefined;
  const current = new Room({ tokenProvider: () => devToken(s.room, s.name, s.role, mode), logLevel: "info" });
  const publishes = s.role !== "listener";
  await enter(s, current, undefined, async () => current.connect({
    url: signalingUrl(),
    room: s.room,
    name: s.name,
    token: await devToken(s.room, s.name, s.role, mode),
    media: publishes ? media : { audio: false, video: false },
    ...recoveryTimeout(),
  }), devices);
}

/** `?recoveryTimeoutMs=N` on the page's address: how long a lost connection is tried (the lab's recovery-exhausted scenario shortens it). */
function recoveryTimeout(): { recoveryTimeoutMs?: number } {
  const given = Number(new URLSearchParams(location.search).get("recoveryTimeoutMs"));
  return given > 0 ? { recoveryTimeoutMs: given } : {};
}

/**
 * Everything joining does around `connect`: the page's one room is `current` (owned by
 * `holder` when a match runs it), its events wired before `connect` runs, the call view
 * shown when it resolves, the boundary when it fails.
 */
export async function enter(s: JoinSettings, current: Room, holder: typeof owner, connect: () => Promise<void>, devices: { microphone?: string; camera?: string } = {}): Promise<void> {
  await drop();
  resetCallView();
  settings = s;
  setStatus("joining", "Joining…");
  $<HTMLButtonElement>("join").disabled = true;
  $("join").dataset.loading = "true";
  room = current;
  owner = holder;
  document.body.dataset.mode = s.mode;
  document.body.dataset.role = s.role;
  // For the browser's console (and the network lab): the room in use.
  (window as unknown as { room?: Room }).room = current;
  wire(current, s);
  if (s.mode === "broadcast") wireBroadcast(current, s);
  try {
    const publishes = s.role !== "listener";
    await connect();
    if (room !== current) return; // left (or failed) while joining
    $<HTMLVideoElement>("local").srcObject = current.localStream ?? null;
    addPerson("local", `${s.name} (you)`, s.role as Role);
    const m = current.localMedia();
    showLocalMedia(m);
    showLocal(s.name, m.camera !== "off", m.microphone !== "off");
    personMic("local", m.microphone !== "off");
    enableControls(true, s.role);
    indicateCall(s.room);
    showView("meeting");
    const others = current.peers().length;
    setStatus("joined", `In room ${s.room} as ${s.name}`);
    log(s.mode === "match" ? `waiting in the match queue ${s.room}` : `joined ${s.room}; ${others} other${others === 1 ? "" : "s"} here`);
    const params = new URLSearchParams(location.search);
    params.set("room", s.room);
    params.set("mode", s.mode);
    history.replaceState(null, "", `?${params}`);
    // Devices picked on the pre-join page: the library remembers them for the next visit.
    for (const [source, id] of Object.entries(devices) as ["microphone" | "camera", string | undefined][]) {
      if (id && publishes) current.switchDevice(source, id).catch((e: unknown) => log(`could not keep the ${source} choice: ${String(e)}`));
    }
  } catch (e) {
    if (room !== current) return;
    room = undefined;
    owner = undefined;
    current.free();
    holder?.free();
    const f = joinFailure(e);
    log(`could not join: ${f.detail.split("\n")[0]}`);
    showFailure(f);
  } finally {
    $<HTMLButtonElement>("join").disabled = false;
    delete $("join").dataset.loading;
  }
}

/** The user leaves (or goes back): the call ends, the page is ready to join again. */
export async function leave(): Promise<void> {
  const had = room !== undefined;
  await drop();
  resetCallView();
  if (had) {
    setStatus("idle", "Not in a room");
    log("left the room");
  }
}

/** A failure is on screen: leave the call (the boundary says why). */
export function abandon(): void {
  const had = room !== undefined;
  drop().catch(() => {});
  resetCallView();
  if (had) log("the call ended");
}

export function reconnectPeerNow(peerId: string): void {
  const current = room;
  if (!current) return;
  log(`rebuilding the connection to ${who(peerId)} (asked)`);
  try {
    current.reconnectPeer(peerId);
  } catch (e) {
    log(`could not rebuild the connection to ${who(peerId)}: ${String(e)}`);
  }
}
