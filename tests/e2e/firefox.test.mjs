// End to end in Firefox: two Firefox processes (and one Chromium) through the real server,
// driving the package API as room_api.test.mjs does in Chromium: no event lost before
// connect, a full reconnect of one connection on both sides, Chromium and Firefox in one
// call with video both ways and a chat line, and leave() releasing the camera and every
// peer connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, startServer } from "./harness.mjs";
import { launchFirefox } from "./firefox.mjs";

/** In the page: records every RTCPeerConnection, then joins with handlers attached first. */
const JOIN = async ({ room, name, role = "guest" }) => {
  if (!window.__sockets) {
    const NativeSocket = window.WebSocket;
    window.__sockets = [];
    window.WebSocket = class extends NativeSocket {
      constructor(...args) {
        super(...args);
        window.__sockets.push(this);
      }
    };
  }
  if (!window.__pcs) {
    const Native = window.RTCPeerConnection;
    window.__pcs = [];
    window.RTCPeerConnection = class extends Native {
      constructor(...args) {
        super(...args);
        window.__pcs.push(this);
      }
    };
  }
  const m = await import("/pkg/steadyrtc.js");
  await m.default();
  const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name, role }) });
  const { token } = await res.json();
  const r = new m.Room({ logLevel: "warn" });
  window.__room = r;
  window.__seen = [];
  window.__tracks = [];
  for (const event of ["peerJoined", "peerLeft", "stateChange", "recovery", "chat", "track", "quality", "recording"]) {
    r.on(event, (e) => {
      if (event === "track") window.__tracks.push(e);
      window.__seen.push({ event, ...(event === "track" ? { peerId: e.peerId, kind: e.kind } : JSON.parse(JSON.stringify(e))), at: performance.now() });
    });
  }
  await r.connect({ url: `ws://${location.host}/ws`, room, name, token, media: { audio: true, video: true } });
  return { peerId: r.peerId, seen: window.__seen.slice() };
};

/** A server and two Firefox processes on its page, all stopped after the test. */
async function twoFirefoxes(t) {
  const pages = {};
  let server;
  // On failure, what each page's library told it (its last events) and the server's log:
  // registered first, so it runs before the browsers and the server are stopped.
  t.after(async () => {
    if (t.passed !== false) return;
    for (const [name, page] of Object.entries(pages)) {
      const seen = await page.evaluate(() => (window.__seen ?? []).slice(-40).map((s) => JSON.stringify(s).slice(0, 300))).catch((e) => [String(e)]);
      console.log(`${name} saw (last 40):\n${seen.join("\n")}`);
    }
    console.log(`server stderr:\n${server?.stderr()}`);
  });
  server = await startServer();
  t.after(() => server.stop());
  for (const name of ["a", "b"]) {
    pages[name] = await launchFirefox();
    t.after(() => pages[name].close());
    await pages[name].goto(`${server.url}/`);
  }
  return pages;
}

/** Installs `window.__decode(blob)`: plays a recording in a muted <video>, `{width}` or `{error}`. */
const DECODER = () => {
  window.__decode = (blob) => new Promise((resolve) => {
    const video = document.createElement("video");
    video.muted = true;
    video.src = URL.createObjectURL(blob);
    video.onloadeddata = () => resolve({ width: video.videoWidth });
    video.onerror = () => resolve({ error: String(video.error?.message ?? video.error?.code) });
    setTimeout(() => resolve({ error: "no loadeddata within 10 s" }), 10_000);
  });
};

const CONNECTED_TO = (id) => window.__room.peers().some((p) => p.id === id && p.connectionState === "connected");

/**
 * Video from `id` decodes, by the library's own getStats reports: a `quality` event after
 * page time `since` with frames per second and a resolution.
 */
const DECODING_FROM = ({ id, since }) => window.__seen.some((s) => s.event === "quality" && s.peerId === id && s.at > since && s.metrics.fps > 0 && s.metrics.resolution);

const LEAVE = async () => {
  const tracks = window.__room.localStream.getTracks();
  await window.__room.leave();
  return { tracks: tracks.map((t) => t.readyState), pcs: window.__pcs.map((pc) => pc.connectionState) };
};

test("Firefox: handlers before connect see every event; video decodes both ways; reconnectPeer rebuilds a connection on both sides; leave releases everything", { timeout: 120_000 }, async (t) => {
  const { a, b } = await twoFirefoxes(t);
  const room = `ff-${process.pid}-${Date.now()}`;
  const alice = await a.evaluate(JOIN, { room, name: "Alice" });
  const bob = await b.evaluate(JOIN, { room, name: "Bob" });
  assert.equal(bob.seen[0]?.event, "peerJoined", JSON.stringify(bob.seen));
  assert.equal(bob.seen[0].id, alice.peerId);
  await b.waitFor(CONNECTED_TO, alice.peerId);
  await a.waitFor(CONNECTED_TO, bob.peerId);
  const states = (await b.evaluate(() => window.__seen)).filter((s) => s.event === "stateChange");
  assert.equal(states[0].from, "initializing");
  await a.waitFor(DECODING_FROM, { id: bob.peerId, since: 0 });
  await b.waitFor(DECODING_FROM, { id: alice.peerId, since: 0 });

  // A full reconnect asked by Alice: both sides rebuild, Bob's video decodes again.
  const mark = await a.evaluate((id) => { const at = performance.now(); window.__room.reconnectPeer(id); return at; }, bob.peerId);
  await a.waitFor(({ id, mark }) => window.__seen.some((s) => s.event === "recovery" && s.peerId === id && s.phase === "recovered" && s.level === "fullReconnect" && s.at > mark), { id: bob.peerId, mark });
  await b.waitFor((id) => window.__seen.some((s) => s.event === "recovery" && s.peerId === id && s.phase === "recovered"), alice.peerId);
  const recoveredAt = await a.evaluate((id) => window.__seen.find((s) => s.event === "recovery" && s.peerId === id && s.phase === "recovered").at, bob.peerId);
  await a.waitFor(DECODING_FROM, { id: bob.peerId, since: recoveredAt });

  const left = await b.evaluate(LEAVE);
  assert.deepEqual(left.tracks, ["ended", "ended"]);
  assert.ok(left.pcs.length >= 2 && left.pcs.every((s) => s === "closed"), JSON.stringify(left.pcs));
  await a.waitFor((id) => window.__seen.some((s) => s.event === "peerLeft" && s.id === id && s.reason === "left"), bob.peerId);
});

test("Firefox: a recording made while the page's audio is still suspended (no user gesture) is not empty", { timeout: 60_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const ff = await launchFirefox();
  t.after(() => ff.close());
  await ff.goto(`${server.url}/`);
  await ff.evaluate(DECODER);
  const result = await ff.evaluate(async (room) => {
    // As the autoplay policy holds a context made before any user gesture: suspended.
    const Native = window.AudioContext;
    window.AudioContext = class extends Native {
      constructor(...args) {
        super(...args);
        void this.suspend();
      }
    };
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "Host", role: "host" }) });
    const { token } = await res.json();
    const r = new m.Room({ logLevel: "warn" });
    await r.connect({ url: `ws://${location.host}/ws`, room, token, name: "Host", media: { audio: true, video: true } });
    await r.startRecording({ video: "local" });
    await new Promise((ok) => setTimeout(ok, 2_000)); // the length of the recording
    const blob = await r.stopRecording();
    const decoded = await window.__decode(blob);
    await r.leave();
    return { size: blob.size, type: blob.type, decoded };
  }, `ff-rec-${process.pid}-${Date.now()}`);
  assert.ok(result.size > 1_000 && /^video\/webm/.test(result.type), JSON.stringify(result));
  assert.ok(result.decoded.width > 0, JSON.stringify(result));
});

test("Chromium and Firefox in one call: Firefox warmed up first, video both ways and a chat line", { timeout: 120_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const ff = await launchFirefox();
  t.after(() => ff.close());
  const ch = await launchBrowser();
  t.after(() => ch.close());
  await ff.goto(`${server.url}/`);
  await ch.page.goto(`${server.url}/`);
  // warmUp in Firefox: its rehearsal (two connections, a canvas track) ends within its
  // 2 s limit and leaves every connection it made closed.
  const warmed = await ff.evaluate(async () => {
    const Native = window.RTCPeerConnection;
    const made = [];
    window.RTCPeerConnection = class extends Native { constructor(...a) { super(...a); made.push(this); } };
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const t0 = performance.now();
    await m.warmUp();
    window.RTCPeerConnection = Native;
    return { tookMs: performance.now() - t0, states: made.map((pc) => pc.connectionState) };
  });
  assert.ok(warmed.tookMs < 2_500, JSON.stringify(warmed));
  assert.deepEqual(warmed.states, ["closed", "closed"], JSON.stringify(warmed));
  const room = `mixed-${process.pid}-${Date.now()}`;
  const fox = await ff.evaluate(JOIN, { room, name: "Fox" });
  const chrome = await ch.page.evaluate(JOIN, { room, name: "Chrome" });
  await ff.waitFor(CONNECTED_TO, chrome.peerId);
  await ch.page.waitForFunction(CONNECTED_TO, fox.peerId, { timeout: 20_000 });
  await ff.waitFor(DECODING_FROM, { id: chrome.peerId, since: 0 });
  await ch.page.waitForFunction(DECODING_FROM, { id: fox.peerId, since: 0 }, { timeout: 20_000, polling: 100 });
  await ch.page.evaluate(() => window.__room.sendChat("hello from Chromium"));
  await ff.waitFor(() => window.__seen.some((s) => s.event === "chat" && s.text === "hello from Chromium"));
  await ff.evaluate(() => window.__room.sendChat("hello from Firefox"));
  await ch.page.waitForFunction(() => window.__seen.some((s) => s.event === "chat" && s.text === "hello from Firefox"), null, { timeout: 10_000 });
});

test("Firefox: twenty camera toggles end off with the capture stopped, the peer is told, the camera returns; a page that cannot start audio hears audioPlaybackBlocked", { timeout: 120_000 }, async (t) => {
  const { a, b } = await twoFirefoxes(t);
  const room = `ff-media-${process.pid}-${Date.now()}`;
  const alice = await a.evaluate(JOIN, { room, name: "Alice" });
  const bob = await b.evaluate(JOIN, { room, name: "Bob" });
  await b.waitFor(CONNECTED_TO, alice.peerId);
  await b.evaluate(() => {
    window.__room.on("mediaState", (e) => window.__seen.push({ event: "mediaState", ...e }));
  });
  await b.waitFor(DECODING_FROM, { id: alice.peerId, since: 0 });

  const toggled = await a.evaluate(async () => {
    const camera = window.__room.localStream.getVideoTracks()[0];
    const calls = [];
    for (let i = 0; i < 20; i++) calls.push(window.__room.setCameraEnabled(i % 2 === 1 ? false : true));
    const settled = await Promise.allSettled(calls);
    return {
      settled: [...new Set(settled.map((s) => s.status))],
      camera: window.__room.localMedia().camera,
      first: camera.readyState,
      videoTracks: window.__room.localStream.getVideoTracks().length,
    };
  });
  assert.deepEqual(toggled, { settled: ["fulfilled"], camera: "off", first: "ended", videoTracks: 0 });
  await b.waitFor((id) => window.__seen.some((s) => s.event === "mediaState" && s.peerId === id && s.camera === false), alice.peerId);
  const mark = await b.evaluate(() => performance.now());
  await a.evaluate(() => window.__room.setCameraEnabled(true));
  await b.waitFor(DECODING_FROM, { id: alice.peerId, since: mark });

  // Measuring needs the page's AudioContext running. Firefox here has no sound device, so
  // its context never starts (resume() never settles): the app hears
  // audioPlaybackBlocked, and the levels are reported as silence rather than not at all.
  await b.evaluate(() => {
    window.__levels = {};
    window.__room.on("audioPlaybackBlocked", () => { window.__blocked = true; });
    window.__room.on("audioLevel", ({ peerId, level }) => { window.__levels[peerId] = level; });
  });
  await b.waitFor(() => window.__blocked === true);
  await b.waitFor((id) => id in window.__levels && "local" in window.__levels, alice.peerId);
  // startAudio() says so instead of hanging.
  const started = await b.evaluate(() => window.__room.startAudio().then(() => "started", (e) => e.code));
  assert.equal(started, "mediaTimeout");
});

test("Firefox: a screen share started from a click that finds no screen rejects with mediaDeviceNotFound and a sentence, and the share stays off", { timeout: 120_000 }, async (t) => {
  // Headless Firefox here has no screen to offer: getDisplayMedia from a real click says
  // NotFoundError (Chromium gives a fake screen; its share is tested in media.test.mjs).
  const { a } = await twoFirefoxes(t);
  const room = `ff-screen-${process.pid}-${Date.now()}`;
  await a.evaluate(JOIN, { room, name: "Alice" });
  await a.evaluate(() => {
    window.__share = "not yet";
    window.addEventListener("pointerdown", () => {
      window.__room.startScreenShare().then(() => { window.__share = "on"; }, (e) => { window.__share = { code: e.code, message: e.message }; });
    });
  });
  await a.click();
  const share = await a.waitFor(() => window.__share !== "not yet" && window.__share);
  assert.equal(share.code, "mediaDeviceNotFound", JSON.stringify(share));
  assert.match(share.message, /no screen, window or tab to share/);
  assert.equal(await a.evaluate(() => window.__room.localMedia().screen), "off");
});

test("Firefox: a chat burst across a dropped socket arrives once and in order; a host's recording is a webm that decodes", { timeout: 120_000 }, async (t) => {
  const { a, b } = await twoFirefoxes(t);
  const room = `ff-chat-${process.pid}-${Date.now()}`;
  const host = await a.evaluate(JOIN, { room, name: "Host", role: "host" });
  await b.evaluate(JOIN, { room, name: "Guest" });
  await a.waitFor(CONNECTED_TO, (await b.evaluate(() => window.__room.peerId)));
  await b.evaluate(() => { window.__lines = []; window.__room.on("chat", (c) => window.__lines.push(c.text)); });
  const settled = await a.evaluate(async () => {
    const calls = [];
    for (let i = 1; i <= 20; i++) {
      calls.push(window.__room.sendChat(`line ${i}`));
      if (i === 8) window.__sockets.at(-1).close();
    }
    return [...new Set((await Promise.allSettled(calls)).map((s) => s.status === "fulfilled" ? "fulfilled" : `rejected: ${s.reason?.code ?? ""} ${s.reason?.message ?? s.reason}`))];
  });
  assert.deepEqual(settled, ["fulfilled"]);
  await b.waitFor(() => window.__lines.length >= 20).catch(async (e) => {
    throw new Error(`${e.message}; the guest has ${JSON.stringify(await b.evaluate(() => window.__lines))}`);
  });
  const lines = await b.evaluate(() => window.__lines);
  assert.deepEqual(lines, Array.from({ length: 20 }, (_, i) => `line ${i + 1}`));

  await a.evaluate(DECODER);
  await a.evaluate(() => window.__room.startRecording({ video: "local" }));
  await b.waitFor((by) => window.__seen.some((s) => s.event === "recording" && s.by === by && s.active), host.peerId);
  await new Promise((r) => setTimeout(r, 2_000)); // the length of the recording
  const file = await a.evaluate(async () => {
    const blob = await window.__room.stopRecording();
    const decoded = await window.__decode(blob);
    return { size: blob.size, type: blob.type, decoded };
  });
  assert.ok(file.size > 1_000 && /^video\/webm/.test(file.type), JSON.stringify(file));
  assert.ok(file.decoded.width > 0, JSON.stringify(file));
});
