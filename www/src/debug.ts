// The debug panel (a toggle, off by default): per peer a strip of connection states
// (reasons on hover), sparklines of the last 2 minutes (score, RTT, loss, bitrate), the
// selected candidate pair, recovery attempts per level, and a button to rebuild the
// connection; downloads of `diagnostics()` and `exportTrace()`.
import type { QualityEvent, Room } from "steadyrtc";
import { $, download, h } from "./dom";
import { sparkline, stateStrip } from "./sparkline";

const WINDOW_MS = 120_000;

interface PeerTrace {
  name: string;
  steps: { at: number; state: string; reason: string }[];
  samples: { at: number; score: number; rtt: number; loss: number; kbps: number }[];
  pair: string;
}

const peers = new Map<string, PeerTrace>();
let room: () => Room | undefined = () => undefined;
let rebuild: (peerId: string) => void = () => {};
let timer = 0;

const open = (): boolean => !$("debug").hidden;

function trace(peerId: string, name: string): PeerTrace {
  let t = peers.get(peerId);
  if (!t) {
    t = { name, steps: [], samples: [], pair: "" };
    peers.set(peerId, t);
  }
  t.name = name;
  return t;
}

export function debugState(peerId: string, name: string, from: string, to: string, reason: string): void {
  const t = trace(peerId, name);
  if (t.steps.length === 0) t.steps.push({ at: Date.now(), state: from, reason: "" });
  t.steps.push({ at: Date.now(), state: to, reason });
  if (t.steps.length > 200) t.steps.splice(0, t.steps.length - 200);
}

export function debugQuality(q: QualityEvent): void {
  const t = peers.get(q.peerId);
  if (!t) return;
  const m = q.metrics;
  t.samples.push({ at: Date.now(), score: q.score, rtt: m.rttMs ?? 0, loss: Math.max(m.lossPctIn, m.lossPctOut), kbps: m.bitrateInKbps + m.bitrateOutKbps });
  const cut = Date.now() - WINDOW_MS;
  while (t.samples.length > 0 && t.samples[0].at < cut) t.samples.shift();
  t.pair = m.candidateType ? `${m.candidateType}${m.relayProtocol ? ` (relay over ${m.relayProtocol.toUpperCase()})` : ""}` : "";
}

export function debugForget(peerId: string): void {
  peers.delete(peerId);
}

export function debugReset(): void {
  peers.clear();
  render();
}

function render(): void {
  if (!open()) return;
  const now = Date.now();
  const from = now - WINDOW_MS;
  const diagnostics = room()?.diagnostics();
  const list = $("debug-peers");
  if (peers.size === 0) {
    list.replaceChildren(h("p", { class: "muted", text: "No peer connections yet." }));
    return;
  }
  list.replaceChildren(
    ...[...peers.entries()].map(([peerId, t]) => {
      const d = diagnostics?.peers.find((p) => p.peerId === peerId);
      const [ice, signaling, full] = d?.recoveryAttempts ?? [0, 0, 0];
      // The last 2 minutes, or since the connection started when that is shorter.
      const start = Math.max(from, t.steps[0]?.at ?? now);
      const spark = (label: string, key: "score" | "rtt" | "loss" | "kbps", max: number, unit: string) =>
        h("div", { class: "spark" }, h("span", { text: label }), sparkline(`${label} of ${t.name}`, t.samples.map((s) => [s.at, s[key]]), start, now, max, unit));
      const button = h("button", { type: "button", class: "rebuild", text: `Rebuild connection to ${t.name}` });
      button.addEventListener("click", () => rebuild(peerId));
      return h("section", { class: "debug-peer", "data-peer-id": peerId },
        h("h3", { text: `${t.name} · ${d?.state ?? t.steps.at(-1)?.state ?? "?"}` }),
        h("div", { class: "spark" }, h("span", { text: "States" }), stateStrip(`connection states of ${t.name}`, t.steps, start, now)),
        spark("Score", "score", 100, ""),
        spark("RTT", "rtt", 50, "ms"),
        spark("Loss", "loss", 5, "%"),
        spark("Bitrate", "kbps", 500, "kbps"),
        h("p", { class: "pair", text: `Selected candidate pair: ${t.pair || "not known yet"}` }),
        h("p", { class: "attempts", text: `Recovery attempts: ICE restart ${ice}, signaling reset ${signaling}, full reconnect ${full}${d?.lastTimeToRecoverMs !== undefined ? `; last recovery took ${(d.lastTimeToRecoverMs / 1000).toFixed(1)} s` : ""}` }),
        ...(d?.recommendations.length ? [h("p", { class: "advice", text: d.recommendations.join(" ") })] : []),
        button);
    }),
  );
}

export function setupDebug(current: () => Room | undefined, reconnect: (peerId: string) => void): void {
  room = current;
  rebuild = reconnect;
  const toggle = $("debug-toggle");
  toggle.addEventListener("click", () => {
    const show = $("debug").hidden;
    $("debug").hidden = !show;
    toggle.setAttribute("aria-expanded", String(show));
    clearInterval(timer);
    if (show) {
      render();
      timer = window.setInterval(render, 1_000);
    }
  });
  const stamp = () => new Date().toISOString().replace(/[:.]/g, "-");
  $("download-diagnostics").addEventListener("click", () => {
    const r = room();
    if (r) download(`steadyrtc-diagnostics-${stamp()}.json`, JSON.stringify(r.diagnostics(), null, 2));
  });
  $("download-trace").addEventListener("click", () => {
    const r = room();
    if (r) download(`steadyrtc-trace-${stamp()}.json`, r.exportTrace());
  });
}
