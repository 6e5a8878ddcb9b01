// End to end through the package's API itself (not the demo's UI): the real server and
// separate Chromium processes, each page importing /pkg/steadyrtc.js. What these pin is
// what an app developer relies on: no event lost before `connect`, errors that are real
// `SteadyError` instances, `leave()` and `free()` releasing the camera and every peer
// connection, a room ended by the server staying ended, and one connection rebuilt from
// scratch on both sides while the others stay up.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, artifactDir, launchBrowser, root, startServer } from "./harness.mjs";
import { browser, connectApi, connectedTo } from "./api_page.mjs";

const uniqueRoom = (what) => `${what}-${process.pid}-${Date.now()}`;

test("handlers attached before connect see every event, and errors are SteadyError instances", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [alice, bob] = [await browser(t, server), await browser(t, server)];
  const room = uniqueRoom("api-events");
  const a = await connectApi(alice.page, room, "Alice");
  const b = await connectApi(bob.page, room, "Bob");
  // Alice was there first: Bob heard of her before connect resolved, with her role.
  assert.equal(b.seen[0].event, "peerJoined", JSON.stringify(b.seen));
  assert.equal(b.seen[0].id, a.peerId);
  assert.equal(b.seen[0].name, "Alice");
  assert.equal(b.seen[0].role, "guest");
  await connectedTo(bob.page, a.peerId);
  await bob.page.waitForFunction(() => window.__seen.filter((s) => s.event === "track").length >= 2, null, { timeout: 10_000 });
  const seen = await bob.page.evaluate(() => window.__seen);
  const states = seen.filter((s) => s.event === "stateChange");
  assert.equal(states[0].from, "initializing", JSON.stringify(states));
  assert.equal(states.at(-1).to, "connected");
  for (const s of states) assert.equal(s.peerId, a.peerId);
  assert.deepEqual(seen.filter((s) => s.event === "track").map((s) => s.kind).sort(), ["audio", "video"]);

  // Bob's room, exported and replayed natively, emits exactly the events his page saw.
  // (One evaluate: the trace and the events seen are taken at the same moment.)
  const { exported, seenNow } = await bob.page.evaluate(() => ({ exported: window.__room.exportTrace(), seenNow: window.__seen.slice() }));
  const file = join(artifactDir("e2e"), "bob-trace.json");
  writeFileSync(file, exported);
  const kinds = new Set(["peerJoined", "peerLeft", "stateChange", "track", "recovery", "sessionStateChange", "roomEnded", "error"]);
  const replayed = execFileSync("cargo", ["run", "--quiet", "--example", "replay_trace", "--", file, "--events"], { cwd: root, encoding: "utf8", timeout: 300_000 })
    .trim().split("\n").map((l) => JSON.parse(l)).filter((e) => kinds.has(e.event));
  const key = (e) => `${e.event}:${e.peerId ?? e.id ?? ""}:${e.to ?? e.kind ?? ""}`;
  assert.deepEqual(replayed.map(key), seenNow.map(key));
  assert.ok(JSON.parse(exported).links[a.peerId].entries.length > 0, "the link's own trace is exported too");

  const errors = await bob.page.evaluate(async () => {
    const m = window.__m;
    const out = {};
    try {
      await new m.Room().connect({ url: "http://nowhere", room: "r", name: "n" });
    } catch (e) {
      out.bad = { steady: e instanceof m.SteadyError, error: e instanceof Error, code: e.code, name: e.name };
    }
    try {
      new m.Room({ tokenProvidr: () => "" });
    } catch (e) {
      out.option = { steady: e instanceof m.SteadyError, code: e.code, message: e.message };
    }
    try {
      window.__room.reconnectPeer("nobody");
    } catch (e) {
      out.peer = { steady: e instanceof m.SteadyError, code: e.code };
    }
    return out;
  });
  assert.deepEqual(errors.bad, { steady: true, error: true, code: "invalidOptions", name: "SteadyError" });
  assert.equal(errors.option.steady, true);
  assert.equal(errors.option.code, "invalidOptions");
  assert.match(errors.option.message, /tokenProvidr/);
  assert.deepEqual(errors.peer, { steady: true, code: "invalidArgument" });
});

test("sendData from the connected handler waits for the data channel to open instead of failing", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [alice, bob] = [await browser(t, server), await browser(t, server)];
  const room = uniqueRoom("api-data-early");
  await connectApi(alice.page, room, "Alice");
  await alice.page.evaluate(() => {
    window.__early = new Promise((resolve) => {
      window.__room.on("stateChange", ({ peerId, to }) => {
        if (to === "connected") window.__room.sendData("sent from the connected handler", peerId).then(resolve, (e) => resolve(`rejected: ${e.code} ${e.message}`));
      });
    });
  });
  // Bob listens for messages before he connects, so nothing can arrive unheard.
  await bob.page.evaluate(async (room) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "Bob", role: "guest" }) });
    const { token } = await res.json();
    const r = new m.Room({ logLevel: "warn" });
    window.__texts = [];
    r.on("message", ({ text }) => window.__texts.push(text));
    await r.connect({ url: `ws://${location.host}/ws`, room, name: "Bob", token, media: { audio: true, video: true } });
  }, room);
  assert.equal(await alice.page.evaluate(() => window.__early), 1, "sent to one peer");
  await bob.page.waitForFunction(() => window.__texts.includes("sent from the connected handler"), null, { timeout: 10_000 });
});

test("connect opens the socket while the camera starts and joins once both are ready; a denied camera rejects it and joins nobody", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  // getUserMedia held until the test lets it go (a permission prompt), or refused.
  const HELD_CAMERA = () => {
    const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    window.__socketsOpen = 0;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        this.addEventListener("open", () => { window.__socketsOpen += 1; });
        this.addEventListener("close", () => { window.__socketsOpen -= 1; });
      }
    };
    navigator.mediaDevices.getUserMedia = (c) => new Promise((resolve, reject) => {
      window.__camera = { allow: () => gum(c).then(resolve, reject), deny: () => reject(new DOMException("denied by the test", "NotAllowedError")) };
    });
  };
  const [alice, bob] = [await browser(t, server), await browser(t, server, { init: [HELD_CAMERA] })];
  const room = uniqueRoom("api-capture");
  const a = await connectApi(alice.page, room, "Alice");
  const start = (page) => page.evaluate(({ room }) => {
    window.__result = undefined;
    window.__started = (async () => {
      const m = await import("/pkg/steadyrtc.js");
      await m.default();
      const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "Bob", role: "guest" }) })).json();
      const r = new m.Room();
      window.__room = r;
      await r.connect({ url: `ws://${location.host}/ws`, room, name: "Bob", token, media: { audio: true, video: true } });
      return "joined";
    })().then((v) => { window.__result = v; }, (e) => { window.__result = { code: e.code }; });
  }, { room });

  // Denied: the socket had opened during the prompt; connect rejects with the camera's
  // code, the socket closes, and Alice never hears of Bob.
  await start(bob.page);
  await bob.page.waitForFunction(() => window.__camera && window.__socketsOpen === 1, null, { timeout: 10_000 });
  await bob.page.evaluate(() => window.__camera.deny());
  await bob.page.waitForFunction(() => window.__result !== undefined, null, { timeout: 10_000 });
  assert.equal((await bob.page.evaluate(() => window.__result)).code, "mediaPermissionDenied");
  await bob.page.waitForFunction(() => window.__socketsOpen === 0, null, { timeout: 10_000 });
  assert.deepEqual(await alice.page.evaluate(() => window.__seen.filter((s) => s.event === "peerJoined")), []);

  // Allowed after a while: the open socket joins at once and the call comes up.
  await start(bob.page);
  await bob.page.waitForFunction(() => window.__camera && window.__socketsOpen === 1, null, { timeout: 10_000 });
  assert.equal(await bob.page.evaluate(() => window.__result), undefined, "no join before the camera");
  assert.deepEqual(await alice.page.evaluate(() => window.__seen.filter((s) => s.event === "peerJoined")), []);
  await bob.page.evaluate(() => window.__camera.allow());
  await bob.page.waitForFunction(() => window.__result !== undefined, null, { timeout: 10_000 });
  assert.equal(await bob.page.evaluate(() => window.__result), "joined");
  await connectedTo(bob.page, a.peerId);
  const tracks = await bob.page.evaluate(() => window.__room.localMedia());
  assert.deepEqual(tracks, { microphone: "on", camera: "on", screen: "off" });
});

test("leave() and free() stop every local track and close every peer connection", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [alice, bob] = [await browser(t, server), await browser(t, server)];
  const room = uniqueRoom("api-leave");
  const a = await connectApi(alice.page, room, "Alice");
  const b = await connectApi(bob.page, room, "Bob");
  await connectedTo(bob.page, a.peerId);

  const afterLeave = await bob.page.evaluate(async () => {
    const tracks = window.__room.localStream.getTracks();
    const liveBefore = tracks.filter((t) => t.readyState === "live").length;
    await window.__room.leave();
    return {
      liveBefore,
      tracks: tracks.map((t) => t.readyState),
      pcs: window.__pcs.map((pc) => pc.connectionState),
      session: window.__room.sessionState,
    };
  });
  assert.equal(afterLeave.liveBefore, 2);
  assert.deepEqual(afterLeave.tracks, ["ended", "ended"]);
  assert.ok(afterLeave.pcs.length >= 1);
  assert.ok(afterLeave.pcs.every((s) => s === "closed"), JSON.stringify(afterLeave.pcs));
  await alice.page.waitForFunction((id) => window.__seen.some((s) => s.event === "peerLeft" && s.id === id && s.reason === "left"), b.peerId, { timeout: 10_000 });

  // free() without leave() does the same.
  const again = await connectApi(bob.page, room, "Bob again");
  await connectedTo(bob.page, a.peerId);
  const afterFree = await bob.page.evaluate(() => {
    const tracks = window.__room.localStream.getTracks();
    const before = window.__pcs.filter((pc) => pc.connectionState !== "closed").length;
    window.__room.free();
    return { before, tracks: tracks.map((t) => t.readyState), open: window.__pcs.filter((pc) => pc.connectionState !== "closed").length };
  });
  assert.equal(afterFree.before, 1);
  assert.deepEqual(afterFree.tracks, ["ended", "ended"]);
  assert.equal(afterFree.open, 0);
  await alice.page.waitForFunction((id) => window.__seen.some((s) => s.event === "peerLeft" && s.id === id && s.reason === "left"), again.peerId, { timeout: 10_000 });
});

test("a room ended by the server emits roomEnded, releases the camera and is not recreated", async (t) => {
  const [key, secret] = ["e2e-key", "e2e-secret-0123456789abcdef"];
  const server = await startServer({ args: ["--api-key", key, "--api-secret", secret] });
  t.after(() => server.stop());
  const bob = await browser(t, server);
  const room = uniqueRoom("api-ended");
  await connectApi(bob.page, room, "Bob");
  const auth = { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}` };
  const del = await fetch(`${server.url}/api/rooms/${room}`, { method: "DELETE", headers: auth });
  assert.ok(del.ok, `DELETE answered ${del.status}`);
  await bob.page.waitForFunction(() => window.__seen.some((s) => s.event === "roomEnded"), null, { timeout: 10_000 });
  const after = await bob.page.evaluate(async () => {
    await window.__room.leave();
    let chat;
    try {
      await window.__room.sendChat("anyone?");
    } catch (e) {
      chat = e.code;
    }
    return {
      tracks: window.__room.localStream === undefined ? "released" : window.__room.localStream.getTracks().map((t) => t.readyState),
      chat,
      rejoined: window.__seen.some((s) => s.event === "sessionStateChange" && ["reconnecting", "rejoining"].includes(s.to)),
    };
  });
  assert.equal(after.tracks, "released");
  assert.equal(after.chat, "roomClosed");
  assert.equal(after.rejoined, false);
  const get = await fetch(`${server.url}/api/rooms/${room}`, { headers: auth });
  assert.equal(get.status, 404, "the client did not rejoin and recreate the room");
});

test("reconnectPeer rebuilds one connection on both sides while the other stays up", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [alice, bob, carol] = [await browser(t, server), await browser(t, server), await browser(t, server)];
  const room = uniqueRoom("api-rebuild");
  const a = await connectApi(alice.page, room, "Alice");
  const b = await connectApi(bob.page, room, "Bob");
  const c = await connectApi(carol.page, room, "Carol");
  await connectedTo(alice.page, b.peerId);
  await connectedTo(alice.page, c.peerId);
  await connectedTo(bob.page, a.peerId);

  const mark = await alice.page.evaluate((bobId) => {
    const at = performance.now();
    window.__room.reconnectPeer(bobId);
    return at;
  }, b.peerId);
  await alice.page.waitForFunction(({ bobId, mark }) => window.__seen.some((s) => s.event === "recovery" && s.peerId === bobId && s.phase === "recovered" && s.at > mark), { bobId: b.peerId, mark }, { timeout: 20_000 });
  const seen = await alice.page.evaluate((mark) => window.__seen.filter((s) => s.at > mark), mark);
  const recovered = seen.find((s) => s.event === "recovery" && s.phase === "recovered");
  assert.equal(recovered.level, "fullReconnect");
  const toBob = seen.filter((s) => s.event === "stateChange" && s.peerId === b.peerId).map((s) => `${s.to}:${s.reason}`);
  assert.deepEqual(toBob, ["reconnecting:fullReconnect", "connected:recovered"]);
  assert.deepEqual(seen.filter((s) => s.event === "stateChange" && s.peerId === c.peerId), [], "Carol's connection was not touched");
  // The new connection carries Bob's video again: a new track, decoding.
  assert.ok(seen.some((s) => s.event === "track" && s.peerId === b.peerId && s.kind === "video"));
  await alice.page.evaluate(async (bobId) => {
    const e = window.__tracks.filter((x) => x.peerId === bobId && x.kind === "video").at(-1);
    const v = document.createElement("video");
    v.muted = true;
    v.srcObject = new MediaStream([e.track]);
    document.body.append(v);
    await v.play();
    window.__check = v;
  }, b.peerId);
  await alice.page.waitForFunction(() => window.__check.getVideoPlaybackQuality().totalVideoFrames > 10, null, { timeout: 10_000 });
  // Bob's side followed: it rebuilt its connection to Alice and recovered too.
  await bob.page.waitForFunction((aliceId) => window.__seen.some((s) => s.event === "recovery" && s.peerId === aliceId && s.phase === "recovered" && s.level === "fullReconnect"), a.peerId, { timeout: 10_000 });
  // Alice made three connections: the first to Bob (closed by the rebuild), the one to
  // Carol and the new one to Bob (both up).
  const pcs = await alice.page.evaluate(() => window.__pcs.map((pc) => pc.connectionState));
  assert.equal(pcs.length, 3, JSON.stringify(pcs));
  assert.equal(pcs.filter((s) => s === "closed").length, 1, JSON.stringify(pcs));
  assert.equal(pcs.filter((s) => s === "connected").length, 2, JSON.stringify(pcs));
});

test("setQuality audioOnly pauses the video on the wire and the other side is told; high resumes it", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [alice, bob] = [await browser(t, server), await browser(t, server)];
  const room = uniqueRoom("api-quality");
  const a = await connectApi(alice.page, room, "Alice");
  const b = await connectApi(bob.page, room, "Bob");
  await connectedTo(alice.page, b.peerId);
  const videoSender = () => alice.page.evaluate(() => {
    const s = window.__pcs.flatMap((pc) => pc.getSenders()).find((x) => x.track?.kind === "video");
    const e = s.getParameters().encodings[0] ?? {};
    return { active: e.active, maxBitrate: e.maxBitrate };
  });
  const changes = await alice.page.evaluate((bobId) => {
    const seen = [];
    window.__room.on("qualityLevelChange", (e) => seen.push(e));
    window.__room.setQuality("audioOnly", bobId);
    return seen;
  }, b.peerId);
  assert.deepEqual(changes.map((c) => [c.from, c.to, c.trigger]), [["high", "audioOnly", "preference"]]);
  await bob.page.waitForFunction((aliceId) => window.__seen.some((s) => s.event === "mediaState" && s.peerId === aliceId && s.videoPaused === true && s.reason === "preference"), a.peerId, { timeout: 10_000 });
  await alice.page.waitForFunction(() => {
    const s = window.__pcs.flatMap((pc) => pc.getSenders()).find((x) => x.track?.kind === "video");
    return s.getParameters().encodings[0]?.active === false;
  }, null, { timeout: 5_000 });
  assert.equal((await videoSender()).active, false);
  // A bad value is refused with a SteadyError.
  const refused = await alice.page.evaluate(() => { try { window.__room.setQuality("ultra"); } catch (e) { return e.code; } });
  assert.equal(refused, "invalidArgument");
  await alice.page.evaluate((bobId) => window.__room.setQuality("high", bobId), b.peerId);
  await bob.page.waitForFunction((aliceId) => window.__seen.some((s) => s.event === "mediaState" && s.peerId === aliceId && s.videoPaused === false), a.peerId, { timeout: 10_000 });
  const resumed = await videoSender();
  assert.equal(resumed.active, true);
  assert.equal(resumed.maxBitrate, 1_700_000);
});

test("a connected Room nobody references keeps its call through garbage collection", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const alice = await browser(t, server);
  const gcBrowser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, "--js-flags=--expose-gc"], headless: true });
  t.after(() => gcBrowser.close());
  const page = await (await gcBrowser.newContext()).newPage();
  await page.goto(`${server.url}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  const room = uniqueRoom("api-gc");
  const a = await connectApi(alice.page, room, "Alice");
  // Bob's room lives only in this function: nothing references it once connect resolves.
  await page.evaluate(async (room) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "Bob", role: "guest" }) })).json();
    window.__bob = [];
    const r = new m.Room();
    r.on("stateChange", (e) => window.__bob.push(e.to));
    await r.connect({ url: `ws://${location.host}/ws`, room, name: "Bob", token, media: { audio: true, video: true } });
  }, room);
  await page.waitForFunction(() => window.__bob.includes("connected"), null, { timeout: 20_000 });
  // Collect garbage a few times over two seconds (finalizers run between turns).
  for (let i = 0; i < 8; i++) {
    await page.evaluate(() => window.gc());
    await page.waitForTimeout(250);
  }
  const bobState = await page.evaluate(() => window.__bob.at(-1));
  assert.equal(bobState, "connected", "Bob's connection changed after garbage collection");
  const aliceSaw = await alice.page.evaluate(() => window.__seen.filter((s) => s.event === "peerLeft").length);
  assert.equal(aliceSaw, 0, "Alice saw Bob leave: his room was freed by the garbage collector");
  assert.ok(await alice.page.evaluate(() => window.__room.peers().every((p) => p.connectionState === "connected")));
  void a;
});
