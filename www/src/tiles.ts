// The grid of tiles: one per participant, each with its video, name, connection state,
// speaking ring, muted-microphone icon, an avatar while the camera is off, "video paused:
// poor connection" when the sender's link dropped to audio only, and a quality badge
// (bars, the score on hover). The grid's shape follows the count: 1, 2, 4, 9 tiles.
import type { ConnectionState, MediaStateEvent, QualityEvent } from "steadyrtc";
import { $, MIC_OFF_SVG, h, initials } from "./dom";

const remotes = () => $("remotes");

export function tileOf(peerId: string): HTMLElement | null {
  return remotes().querySelector<HTMLElement>(`[data-peer-id="${CSS.escape(peerId)}"]`);
}

/** The tile of `peer`, made on first use. */
export function tile(peer: { id: string; name: string }): HTMLElement {
  const existing = tileOf(peer.id);
  if (existing) return existing;
  const video = h("video", { autoplay: "", playsinline: "" });
  const micOff = h("span", { class: "mic-off", title: "Microphone muted", hidden: "" });
  micOff.innerHTML = `${MIC_OFF_SVG}<span class="sr-only">microphone muted</span>`;
  const quality = h("span", { class: "quality", title: "Connection quality: measuring…" },
    h("span", { class: "bars", "aria-hidden": "true" }, h("i"), h("i"), h("i"), h("i")),
    h("span", { class: "sr-only quality-text" }));
  const figure = h("figure", { class: "tile", "data-peer-id": peer.id, "data-camera": "on" },
    video,
    h("div", { class: "avatar", "aria-hidden": "true", text: initials(peer.name) }),
    h("p", { class: "paused", text: "" }),
    h("figcaption", {}, h("span", { class: "name", text: peer.name }), h("span", { class: "state", text: "new" }), micOff, quality));
  remotes().append(figure);
  layout();
  return figure;
}

export function removeTile(peerId: string): void {
  tileOf(peerId)?.remove();
  layout();
}

export function clearTiles(): void {
  remotes().replaceChildren();
  layout();
}

/** The grid's column count follows the number of tiles (CSS reads `data-count`). */
export function layout(): void {
  const count = 1 + remotes().children.length;
  const stage = $("stage");
  stage.dataset.count = String(count);
  stage.dataset.grid = count <= 1 ? "1" : count <= 2 ? "2" : count <= 4 ? "4" : count <= 9 ? "9" : "many";
}

export function showState(peerId: string, to: ConnectionState): void {
  const state = tileOf(peerId)?.querySelector<HTMLElement>(".state");
  if (!state) return;
  state.textContent = to;
  state.dataset.state = to;
}

export function markRecovered(peerId: string, level: string): void {
  const state = tileOf(peerId)?.querySelector<HTMLElement>(".state");
  if (state) state.dataset.recoveredBy = level;
}

/** Rings on the tiles of those speaking ("local" is this participant). */
export function showSpeakers(peerIds: string[]): void {
  const speaking = new Set(peerIds);
  document.querySelector<HTMLElement>("#stage .tile.local")!.toggleAttribute("data-speaking", speaking.has("local"));
  for (const figure of remotes().querySelectorAll<HTMLElement>(".tile")) {
    figure.toggleAttribute("data-speaking", speaking.has(figure.dataset.peerId ?? ""));
  }
}

function setMicOff(figure: Element, off: boolean): void {
  const icon = figure.querySelector<HTMLElement>(".mic-off");
  if (icon) icon.hidden = !off;
}

/** What a remote peer sends: avatar, muted icon, paused video. */
export function showMediaState(e: MediaStateEvent): void {
  const figure = tileOf(e.peerId);
  if (!figure) return;
  figure.dataset.camera = e.camera ? "on" : "off";
  setMicOff(figure, !e.microphone);
  const paused = e.videoPaused ? (e.reason === "poorConnection" ? "video paused: poor connection" : "video paused") : "";
  figure.dataset.videoPaused = paused;
  figure.querySelector(".paused")!.textContent = paused;
}

/** This participant's own tile: avatar while the camera is off, muted icon. */
export function showLocal(name: string, camera: boolean, microphone: boolean): void {
  const figure = document.querySelector<HTMLElement>("#stage .tile.local")!;
  figure.dataset.camera = camera ? "on" : "off";
  figure.querySelector(".avatar")!.textContent = initials(name);
  setMicOff(figure, !microphone);
}

const BARS: Record<QualityEvent["level"], number> = { excellent: 4, good: 3, fair: 2, poor: 1, critical: 0 };

export function showQuality({ peerId, score, level, metrics, limitation }: QualityEvent): void {
  const badge = tileOf(peerId)?.querySelector<HTMLElement>(".quality");
  if (!badge) return;
  badge.dataset.level = level;
  badge.dataset.bars = String(BARS[level]);
  badge.querySelector(".quality-text")!.textContent = `${level} ${Math.round(score)}`;
  const parts = [
    `score ${Math.round(score)} (${level})`,
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
