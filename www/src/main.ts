// The steadyrtc demo: join a room, see and hear everyone in it, exchange messages,
// and watch what the library reports. It uses only the public npm package API.
import init, { checkConnectivity, Room, SteadyError, version } from "steadyrtc";
import type { ConnectionState, QualityEvent, RecoveryEvent, RemoteTrackEvent, StateChangeEvent } from "steadyrtc";

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo page is missing #${id}`);
  return el as T;
};

const ui = {
  status: $<HTMLSpanElement>("status"),
  version: $<HTMLSpanElement>("version"),
  joinForm: $<HTMLFormElement>("join-form"),
  room: $<HTMLInputElement>("room"),
  name: $<HTMLInputElement>("name"),
  audio: $<HTMLInputElement>("audio"),
  video: $<HTMLInputElement>("video"),
  join: $<HTMLButtonElement>("join"),
  leave: $<HTMLButtonElement>("leave"),
  check: $<HTMLButtonElement>("check"),
  checkReport: $<HTMLOListElement>("check-report"),
  local: $<HTMLVideoElement>("local"),
  remotes: $<HTMLDivElement>("remotes"),
  messages: $<HTMLOListElement>("messages"),
  messageForm: $<HTMLFormElement>("message-form"),
  messageText: $<HTMLInputElement>("message-text"),
  send: $<HTMLButtonElement>("send"),
  log: $<HTMLOListElement>("log"),
};

let room: Room | undefined;
const names = new Map<string, string>();

function setStatus(state: string, text: string): void {
  ui.status.dataset.state = state;
  ui.status.textContent = text;
}

function log(text: string): void {
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  ui.log.prepend(li);
}

function addMessage(from: string, text: string): void {
  const li = document.createElement("li");
  const who = document.createElement("b");
  who.textContent = `${from}: `;
  li.append(who, text);
  ui.messages.append(li);
  li.scrollIntoView({ block: "nearest" });
}

function tile(peer: { id: string; name: string }): HTMLElement {
  const existing = ui.remotes.querySelector<HTMLElement>(`[data-peer-id="${CSS.escape(peer.id)}"]`);
  if (existing) return existing;
  const figure = document.createElement("figure");
  figure.className = "tile";
  figure.dataset.peerId = peer.id;
  const video = document.createElement("video");
  video.autoplay = true;
  video.playsInline = true;
  const caption = document.createElement("figcaption");
  const state = document.createElement("span");
  state.className = "state";
  state.textContent = "new";
  const quality = document.createElement("span");
  quality.className = "quality";
  quality.title = "connection quality";
  caption.append(peer.name, state, quality);
  figure.append(video, caption);
  ui.remotes.append(figure);
  return figure;
}

function onTrack({ peerId, stream, track }: RemoteTrackEvent): void {
  const figure = tile({ id: peerId, name: names.get(peerId) ?? peerId });
  const video = figure.querySelector("video");
  if (video && stream && video.srcObject !== stream) video.srcObject = stream;
  log(`receiving ${track.kind} from ${names.get(peerId) ?? peerId}`);
}

/** When each peer's connection was lost, to say how long recovery took. */
const lostAt = new Map<string, number>();

function showState(peerId: string, to: ConnectionState): void {
  const state = ui.remotes.querySelector<HTMLElement>(`[data-peer-id="${CSS.escape(peerId)}"] .state`);
  if (!state) return;
  state.textContent = to;
  state.dataset.state = to;
}

const LEVELS: Record<RecoveryEvent["level"], string> = {
  iceRestart: "an ICE restart",
  signalingReset: "a new signaling connection",
  fullReconnect: "a new peer connection",
};

function onRecovery({ peerId, phase, level, attempt, elapsedMs }: RecoveryEvent): void {
  const who = names.get(peerId) ?? peerId;
  const state = ui.remotes.querySelector<HTMLElement>(`[data-peer-id="${CSS.escape(peerId)}"] .state`);
  if (phase === "attempt") {
    log(`recovering ${who}: trying ${LEVELS[level]} (attempt ${attempt})`);
  } else if (phase === "recovered") {
    if (state) state.dataset.recoveredBy = level;
    log(`connection to ${who} recovered by ${LEVELS[level]} after ${(elapsedMs / 1000).toFixed(1)} s`);
  } else {
    log(`gave up on ${who} after ${(elapsedMs / 1000).toFixed(1)} s`);
  }
}

function onQuality({ peerId, score, level, metrics, limitation }: QualityEvent): void {
  const badge = ui.remotes.querySelector<HTMLElement>(`[data-peer-id="${CSS.escape(peerId)}"] .quality`);
  if (!badge) return;
  badge.dataset.level = level;
  badge.textContent = `${level} ${Math.round(score)}`;
  const parts = [
    metrics.rttMs === undefined ? null : `rtt ${Math.round(metrics.rttMs)} ms`,
    `loss ${metrics.lossPctIn}% in / ${metrics.lossPctOut}% out`,
    `${Math.round(metrics.bitrateInKbps)} kbps in`,
    metrics.resolution && `${metrics.resolution}${metrics.fps === undefined ? "" : ` @ ${Math.round(metrics.fps)} fps`}`,
    metrics.videoCodec,
    metrics.candidateType && `via ${metrics.candidateType}${metrics.relayProtocol ? `/${metrics.relayProtocol}` : ""}`,
    limitation && `limited by ${limitation}`,
  ];
  badge.title = parts.filter(Boolean).join(", ");
}

function onStateChange({ peerId, from, to, reason }: StateChangeEvent): void {
  showState(peerId, to);
  const who = names.get(peerId) ?? peerId;
  if (to === "reconnecting") {
    if (!lostAt.has(peerId)) lostAt.set(peerId, performance.now());
    log(`connection to ${who} lost (${reason}): reconnecting…`);
  } else if (to === "connected" && reason === "recovered") {
    lostAt.delete(peerId);
  } else if (to === "failed") {
    log(`connection to ${who} failed: ${reason}`);
  } else {
    log(`connection to ${who}: ${from} -> ${to} (${reason})`);
  }
}

function setJoined(joined: boolean): void {
  ui.join.disabled = joined;
  ui.leave.disabled = !joined;
  ui.messageText.disabled = !joined;
  ui.send.disabled = !joined;
  for (const input of [ui.room, ui.name, ui.audio, ui.video]) input.disabled = joined;
}

/**
 * Asks the server for a guest token. Only a server started with `--dev` (as `npm start`
 * does) hands them out without an API key; a real app gets tokens from its own backend.
 */
async function devToken(room: string, name: string): Promise<string> {
  const response = await fetch("/api/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ room, name, role: "guest" }),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok || typeof body !== "object" || body === null || typeof (body as { token?: unknown }).token !== "string") {
    const message = typeof body === "object" && body !== null && "message" in body ? String((body as { message: unknown }).message) : response.statusText;
    throw new Error(`no token from /api/token (${response.status}): ${message}`);
  }
  return (body as { token: string }).token;
}

async function join(): Promise<void> {
  setStatus("joining", "Joining…");
  ui.join.disabled = true;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  const roomName = ui.room.value.trim();
  const name = ui.name.value.trim();
  // Handlers first, then connect: no event is missed, the peers already there included.
  // The token provider is asked again if a rejoin's token is refused (a dev server that
  // restarted has a new signing key).
  const joined = new Room({ tokenProvider: () => devToken(roomName, name), logLevel: "info" });
  room = joined;
  // For the browser's console (and the network lab): the room in use.
  (window as unknown as { room?: Room }).room = joined;
  joined.on("peerJoined", (peer) => {
    names.set(peer.id, peer.name);
    tile(peer);
    log(`${peer.name} is here`);
  });
  joined.on("peerLeft", ({ id, name, reason }) => {
    ui.remotes.querySelector(`[data-peer-id="${CSS.escape(id)}"]`)?.remove();
    names.delete(id);
    log(`${name} ${reason === "left" ? "left" : "disconnected"}`);
  });
  joined.on("track", onTrack);
  joined.on("stateChange", onStateChange);
  joined.on("recovery", onRecovery);
  joined.on("quality", onQuality);
  joined.on("qualityLevelChange", ({ peerId, from, to, reason }) => {
    log(`sending to ${names.get(peerId) ?? peerId}: ${from} -> ${to} (${reason})`);
  });
  joined.on("mediaState", ({ peerId, videoPaused, reason }) => {
    const figure = ui.remotes.querySelector<HTMLElement>(`[data-peer-id="${CSS.escape(peerId)}"]`);
    if (figure) figure.dataset.videoPaused = videoPaused ? (reason === "poorConnection" ? "video paused: poor connection" : "video paused") : "";
    log(`${names.get(peerId) ?? peerId} ${videoPaused ? "paused" : "resumed"} video (${reason})`);
  });
  joined.on("message", ({ peerId, text }) => addMessage(names.get(peerId) ?? peerId, text));
  joined.on("disconnected", ({ code }) => {
    setStatus("disconnected", "Signaling lost: calls in progress continue; reconnecting…");
    log(`signaling connection closed (${code})`);
  });
  joined.on("sessionStateChange", ({ to, reason }) => {
    log(`signaling ${to} (${reason})`);
    if (to === "connected") setStatus("joined", `In room ${joined.roomName} as ${name}`);
    else if (to === "failed") setStatus("error", `Signaling failed: ${reason}`);
    else setStatus("disconnected", `Signaling ${to}: calls in progress continue`);
  });
  joined.on("goAway", ({ reason }) => log(`server going away (${reason}): moving the session`));
  joined.on("roomEnded", ({ reason }) => {
    log(`the room was ended (${reason})`);
    void leave("ended");
  });
  joined.on("error", (e) => log(`error ${e.code}${e.serverCode ? ` (${e.serverCode})` : ""}: ${e.message}`));
  try {
    await joined.connect({
      url,
      room: roomName,
      name,
      token: await devToken(roomName, name),
      media: { audio: ui.audio.checked, video: ui.video.checked },
    });
    ui.local.srcObject = joined.localStream ?? null;
    setJoined(true);
    const others = joined.peers().length;
    setStatus("joined", `In room ${joined.roomName} as ${name}`);
    log(`joined ${joined.roomName}; ${others} other${others === 1 ? "" : "s"} here`);
    const params = new URLSearchParams(location.search);
    params.set("room", joined.roomName);
    history.replaceState(null, "", `?${params}`);
  } catch (e) {
    room = undefined;
    joined.free();
    ui.remotes.replaceChildren();
    names.clear();
    setJoined(false);
    const message = e instanceof SteadyError ? `${e.code}${e.serverCode ? ` (${e.serverCode})` : ""}: ${e.message}` : String(e);
    setStatus("error", "Could not join");
    log(`could not join: ${message}`);
  }
}

async function leave(why: "left" | "ended" = "left"): Promise<void> {
  const current = room;
  room = undefined;
  if (!current) return;
  await current.leave();
  current.free();
  ui.local.srcObject = null;
  ui.remotes.replaceChildren();
  names.clear();
  lostAt.clear();
  setJoined(false);
  setStatus("idle", why === "ended" ? "The room was ended" : "Not in a room");
  log(why === "ended" ? "the room is over" : "left the room");
}

function send(): void {
  const text = ui.messageText.value.trim();
  if (!room || !text) return;
  try {
    room.send(text);
    addMessage("You", text);
    ui.messageText.value = "";
  } catch (e) {
    log(e instanceof SteadyError ? `not sent (${e.code}): ${e.message}` : `not sent: ${String(e)}`);
  }
}

/** The pre-call check: each step with its verdict, its time and what it means. */
async function checkConnection(): Promise<void> {
  ui.check.disabled = true;
  ui.checkReport.hidden = false;
  ui.checkReport.replaceChildren();
  delete ui.checkReport.dataset.ok;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  try {
    const token = await devToken(ui.room.value.trim() || "demo", ui.name.value.trim() || "Guest");
    const report = await checkConnectivity({ url, token, media: { audio: ui.audio.checked, video: ui.video.checked } });
    for (const step of report.steps) {
      const li = document.createElement("li");
      li.dataset.name = step.name;
      li.dataset.status = step.status;
      li.textContent = `${step.status === "pass" ? "✓" : step.status === "warn" ? "!" : "✗"} ${step.message} (${step.ms} ms)`;
      ui.checkReport.append(li);
    }
    ui.checkReport.dataset.ok = String(report.ok);
  } catch (e) {
    const li = document.createElement("li");
    li.dataset.status = "fail";
    li.textContent = e instanceof SteadyError ? `${e.code}: ${e.message}` : String(e);
    ui.checkReport.append(li);
    ui.checkReport.dataset.ok = "false";
  } finally {
    ui.check.disabled = false;
  }
}

async function main(): Promise<void> {
  await init();
  ui.version.textContent = `v${version()}`;
  const params = new URLSearchParams(location.search);
  ui.room.value = params.get("room") ?? "demo";
  ui.name.value = params.get("name") ?? `Guest ${Math.floor(100 + Math.random() * 900)}`;
  ui.joinForm.addEventListener("submit", (e) => {
    e.preventDefault();
    void join();
  });
  ui.leave.addEventListener("click", () => void leave());
  ui.check.addEventListener("click", () => void checkConnection());
  // Leaving the page leaves the room (the server hears `leave` at once, not a timeout).
  ui.messageForm.addEventListener("submit", (e) => {
    e.preventDefault();
    send();
  });
  addEventListener("pagehide", () => void room?.leave());
  document.body.dataset.ready = "true";
}

main().catch((e) => {
  setStatus("error", "Failed to load");
  log(`failed to load steadyrtc: ${String(e)}`);
});
