// `Peer`, the bring-your-own-signaling class: two Chromium processes whose signals are
// carried by this test (the "app's signaling"), in order, one direction at a time. The
// call comes up with video decoding both ways and messages crossing; then both sides
// renegotiate at once (glare) and settle; a call that goes well logs nothing at info.
// And fifty Peer pairs made, connected and closed in one page leave nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./harness.mjs";
import { browser } from "./api_page.mjs";

/** Creates `window.__peer` in `page`, records its events in `window.__seen` and each
 * signal in `window.__out` (handlers attached before `connect`), and collects log
 * records at `info` and up through `logSink`. */
async function makePeer(page, polite) {
  await page.evaluate(async (polite) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    window.__m = m;
    window.__logs = [];
    m.setLogLevel("info");
    m.logSink((record) => window.__logs.push(record));
    const peer = new m.Peer({ polite, media: { audio: true, video: true }, peerId: polite ? "impolite" : "polite" });
    window.__peer = peer;
    window.__seen = [];
    window.__out = [];
    window.__tracks = [];
    window.__held = false;
    window.__sendSignal = null;
    peer.on("signal", (data) => {
      window.__out.push(data);
      if (!window.__held) window.__flush();
    });
    window.__flush = () => { while (window.__out.length) window.__relay(window.__out.shift()); };
    for (const event of ["stateChange", "track", "message", "error", "quality"]) {
      peer.on(event, (e) => {
        if (event === "track") window.__tracks.push(e);
        window.__seen.push({ event, ...JSON.parse(JSON.stringify({ ...e, track: undefined, stream: undefined })) });
      });
    }
  }, polite);
}

/** Wires the two pages: each signal goes through the test to the other page's `signal()`,
 * in the order it was sent. */
async function wire(a, b) {
  const failures = [];
  for (const [from, to] of [[a, b], [b, a]]) {
    let chain = Promise.resolve();
    await from.page.exposeFunction("__toOther", (data) => {
      chain = chain.then(() => to.page.evaluate((d) => window.__peer.signal(d), data)).catch((e) => failures.push(e.message));
      return null;
    });
    await from.page.evaluate(() => { window.__relay = (d) => window.__toOther(d); });
  }
  return failures;
}

/** Polls `probe()` every 200 ms until `ok(value)`, for at most `ms`. */
async function until(what, probe, ok, ms = 10_000) {
  const end = Date.now() + ms;
  let value;
  while (Date.now() < end) {
    value = await probe();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(value)})`);
}

const connected = (page) => page.waitForFunction(() => window.__peer.connectionState === "connected", null, { timeout: 20_000 });

/** Frames decoded so far of each remote video in `page`. */
async function framesDecoded(page) {
  return page.evaluate(async () => {
    const frames = [];
    for (const pc of window.__pcs) (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") frames.push(s.framesDecoded ?? 0); });
    return frames;
  });
}
const sum = (xs) => xs.reduce((x, y) => x + y, 0);

test("two Peers whose signals the test carries connect, decode video both ways, exchange messages and settle a glare", { timeout: 90_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const a = await browser(t, server);
  const b = await browser(t, server);
  await makePeer(a.page, true);
  await makePeer(b.page, false);
  const failures = await wire(a, b);
  await Promise.all([a.page.evaluate(() => window.__peer.connect()), b.page.evaluate(() => window.__peer.connect())]);
  await Promise.all([connected(a.page), connected(b.page)]);

  // The polite side offered first; the impolite side only answered.
  for (const [page, name] of [[a.page, "polite"], [b.page, "impolite"]]) {
    const seen = await page.evaluate(() => window.__seen);
    const states = seen.filter((e) => e.event === "stateChange").map((e) => e.to);
    assert.deepEqual(states.slice(-1), ["connected"], `${name}: ${states}`);
    assert.ok(!seen.some((e) => e.event === "error"), `${name}: ${JSON.stringify(seen.filter((e) => e.event === "error"))}`);
    const tracks = seen.filter((e) => e.event === "track");
    assert.deepEqual(tracks.map((e) => e.source).sort(), ["camera", "microphone"], `${name} tracks`);
    assert.ok(tracks.every((e) => e.peerId === (name === "polite" ? "impolite" : "polite")), `${name}: peerId`);
  }
  const first = (await a.page.evaluate(() => window.__seen.find((e) => e.event === "stateChange" && e.to === "signaling")))?.reason;
  assert.equal(first, "offer", "the polite side starts by offering");

  // Setting the call up logged nothing at info or above.
  for (const page of [a.page, b.page]) assert.deepEqual(await page.evaluate(() => window.__logs), []);

  // Video decodes both ways: frames keep growing.
  for (const page of [a.page, b.page]) {
    const f0 = sum(await framesDecoded(page));
    await until("video decoding", () => framesDecoded(page), (f) => sum(f) >= f0 + 10);
  }

  // Messages cross both ways on the data channel (once it is open: `send` rejects with
  // notConnected before).
  const sent = (page, make) => until("a send", () => page.evaluate(async (make) => {
    try { await window.__peer.send(eval(make)); return "sent"; } catch (e) { return e.code; }
  }, make), (r) => r !== "notConnected", 5_000);
  assert.equal(await sent(a.page, `"hello from the polite side"`), "sent");
  assert.equal(await sent(b.page, `new TextEncoder().encode("bytes from the impolite side")`), "sent");
  await b.page.waitForFunction(() => window.__seen.some((e) => e.event === "message" && e.text === "hello from the polite side" && e.peerId === "polite"), null, { timeout: 5_000 });
  await a.page.waitForFunction(() => window.__seen.some((e) => e.event === "message" && e.binary === true), null, { timeout: 5_000 });

  // A quality report arrives with what was measured.
  await a.page.waitForFunction(() => window.__peer.quality()?.metrics?.videoCodec !== undefined, null, { timeout: 10_000 });

  // Glare: both sides add a track while the test holds their signals, so both offers
  // are out before either arrives; then the signals go.
  for (const page of [a.page, b.page]) {
    await page.evaluate(() => {
      window.__sig = [];
      window.__pcs[0].addEventListener("signalingstatechange", (e) => window.__sig.push(e.target.signalingState));
      window.__held = true;
      window.__logs.length = 0;
      window.__m.setLogLevel("debug");
    });
  }
  await Promise.all([a.page, b.page].map((page) => page.evaluate(() => {
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    const ctx = canvas.getContext("2d");
    window.__paint = setInterval(() => { ctx.fillStyle = `hsl(${Date.now() % 360} 80% 50%)`; ctx.fillRect(0, 0, 320, 240); }, 40);
    const stream = canvas.captureStream(25);
    window.__extra = stream.getVideoTracks()[0];
    window.__pcs[0].addTrack(window.__extra, stream);
  })));
  for (const page of [a.page, b.page]) {
    await page.waitForFunction(() => window.__out.some((s) => s.kind === "offer"), null, { timeout: 5_000 });
  }
  const tracksBefore = await Promise.all([a.page, b.page].map((p) => p.evaluate(() => window.__tracks.length)));
  for (const page of [a.page, b.page]) await page.evaluate(() => { window.__held = false; window.__flush(); });
  // Both settle: stable, each got the other's new track, and the call stayed up.
  for (const [i, page] of [a.page, b.page].entries()) {
    await page.waitForFunction((n) => window.__tracks.length === n + 1 && window.__pcs[0].signalingState === "stable", tracksBefore[i], { timeout: 10_000 });
  }
  for (const page of [a.page, b.page]) {
    const state = await page.evaluate(() => ({ state: window.__peer.connectionState, errors: window.__seen.filter((e) => e.event === "error") }));
    assert.deepEqual(state, { state: "connected", errors: [] });
  }
  // The polite side rolled its offer back and answered the other's; the impolite side
  // kept its offer and got an answer.
  const [sigA, sigB] = await Promise.all([a.page, b.page].map((p) => p.evaluate(() => window.__sig)));
  assert.deepEqual(sigA.slice(0, 3), ["have-local-offer", "stable", "have-remote-offer"], `polite: ${sigA}`);
  assert.deepEqual(sigB.slice(0, 2), ["have-local-offer", "stable"], `impolite: ${sigB}`);
  // At debug, the sink got the impolite side's reason for ignoring the colliding offer,
  // as a structured record.
  const glare = await b.page.evaluate(() => window.__logs.filter((r) => /glare/.test(r.fields.reason ?? "")));
  assert.equal(glare.length, 1, JSON.stringify(glare));
  assert.deepEqual(glare[0], {
    level: "debug",
    target: "steadyrtc::browser::peer",
    message: "engine ignored",
    fields: { input: "remoteDescription", reason: "glare: the impolite side ignores the colliding offer" },
  });
  // Each side now decodes the other's new video track too.
  for (const page of [a.page, b.page]) {
    await until("two videos decoding", () => framesDecoded(page), (f) => f.length === 2 && f.every((n) => n > 5));
  }

  // Back at info: nothing is logged while the call goes on well, then close.
  for (const page of [a.page, b.page]) await page.evaluate(() => { window.__m.setLogLevel("info"); window.__logs.length = 0; });
  await a.page.evaluate(() => window.__peer.send("still here"));
  await b.page.waitForFunction(() => window.__seen.some((e) => e.event === "message" && e.text === "still here"), null, { timeout: 5_000 });
  for (const page of [a.page, b.page]) {
    const logs = await page.evaluate(() => window.__logs);
    assert.deepEqual(logs, [], "nothing at info or above in a call that goes well");
  }
  const closed = await a.page.evaluate(() => {
    const local = window.__peer.localStream;
    window.__peer.close();
    clearInterval(window.__paint);
    window.__extra.stop();
    return {
      last: window.__seen.filter((e) => e.event === "stateChange").at(-1),
      open: window.__pcs.filter((pc) => pc.connectionState !== "closed").length,
      captured: local.getTracks().map((t) => t.readyState),
      released: window.__peer.localStream === undefined,
    };
  });
  assert.deepEqual(closed, { last: { event: "stateChange", peerId: "impolite", from: "connected", to: "closed", reason: "closeRequested" }, open: 0, captured: ["ended", "ended"], released: true });
  assert.deepEqual(failures, [], "every signal was accepted");
  const afterClose = await a.page.evaluate(() => { try { window.__peer.signal({ kind: "endOfCandidates" }); return "no error"; } catch (e) { return `${e.name}:${e.code}`; } });
  assert.equal(afterClose, "SteadyError:roomClosed");
  const bad = await b.page.evaluate(() => { try { window.__peer.signal({ type: "offer", sdp: "x" }); return "no error"; } catch (e) { return `${e instanceof window.__m.SteadyError}:${e.code}`; } });
  assert.equal(bad, "true:invalidArgument");
});
