// Pages that use the package's API directly (not the demo's UI): each opens the demo's
// origin (for a secure context and /pkg), creates `window.__room`, records every event in
// `window.__seen` with handlers attached before `connect`, and counts the
// RTCPeerConnections it makes in `window.__pcs`.
import { launchBrowser } from "./harness.mjs";

/** Records every WebSocket a page opens (in `window.__sockets`), so a test can drop one. */
export const TRACK_SOCKETS = () => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
};

/** Records every RTCPeerConnection a page creates (the library's included). */
export const TRACK_PCS = () => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
};

/** Installed before the page's scripts (with TRACK_PCS, which keeps the peer
 * connections): counts what the library creates and releases, and `window.__leftOver`
 * says what is left (the leak tests). */
export const COUNTERS = () => {
  window.__tracks = [];
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    const s = await gum(c);
    window.__tracks.push(...s.getTracks());
    return s;
  };
  window.__listeners = 0;
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  const live = new WeakMap();
  EventTarget.prototype.addEventListener = function (type, fn, opts) {
    const key = `${type}`;
    const set = live.get(this) ?? new Map();
    live.set(this, set);
    const fns = set.get(key) ?? new Set();
    set.set(key, fns);
    if (fn && !fns.has(fn)) {
      fns.add(fn);
      window.__listeners += 1;
    }
    return add.call(this, type, fn, opts);
  };
  EventTarget.prototype.removeEventListener = function (type, fn, opts) {
    const fns = live.get(this)?.get(`${type}`);
    if (fn && fns?.delete(fn)) window.__listeners -= 1;
    return remove.call(this, type, fn, opts);
  };
  // What is left now: peer connections made and still open, tracks captured and still
  // live, listeners registered beyond `baseline`.
  window.__leftOver = (baseline) => ({
    pcs: window.__pcs.length,
    open: window.__pcs.filter((pc) => pc.connectionState !== "closed").length,
    tracks: window.__tracks.length,
    live: window.__tracks.filter((t) => t.readyState === "live").length,
    listeners: window.__listeners - baseline,
  });
};

export async function browser(t, server, { init = [] } = {}) {
  const b = await launchBrowser();
  t.after(() => b.close());
  t.after(() => {
    if (t.passed === false) console.log("console:\n" + b.consoleLines.slice(-80).join("\n"));
  });
  await b.page.addInitScript(TRACK_PCS);
  for (const script of init) await b.page.addInitScript(script);
  await b.page.goto(`${server.url}/`);
  await b.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  return b;
}

/**
 * Creates `window.__room` in `page`, records every event in `window.__seen` (handlers
 * attached before `connect`) and connects as `name`. Returns what was seen by the time
 * `connect` resolved.
 */
export async function connectApi(page, room, name, extra = {}, role = "guest") {
  return page.evaluate(async ({ room, name, extra, role }) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name, role }) });
    const { token } = await res.json();
    const r = new m.Room({ logLevel: "warn" });
    const seen = [];
    window.__seen = seen;
    window.__room = r;
    window.__m = m;
    for (const event of ["peerJoined", "peerLeft", "stateChange", "track", "recovery", "sessionStateChange", "roomEnded", "error", "mediaState", "localMedia", "recording"]) {
      r.on(event, (e) => {
        if (event === "track") {
          seen.push({ event, peerId: e.peerId, kind: e.kind, source: e.source, at: performance.now() });
          window.__tracks = [...(window.__tracks ?? []), e];
        } else {
          seen.push({ event, ...JSON.parse(JSON.stringify(e)), at: performance.now() });
        }
      });
    }
    await r.connect({ url: `ws://${location.host}/ws`, room, name, token, media: { audio: true, video: true }, ...extra });
    return { seen: seen.slice(), peerId: r.peerId };
  }, { room, name, extra, role });
}

/** Waits until `page`'s link to the peer named `peerName` is connected. */
export async function connectedTo(page, peerId, timeout = 20_000) {
  await page.waitForFunction((id) => window.__room.peers().some((p) => p.id === id && p.connectionState === "connected"), peerId, { timeout });
}

