// `warmUp()`: the rehearsal call an app makes at start so that its first real call does
// not wait for the browser to compile the library's code. What a user relies on: it
// resolves within its 2 s limit, leaves no connection open and no listener registered,
// makes its two connections only once per page, and a real call after it connects (the
// benchmark measures the speed: `npm run bench`, BENCHMARKS.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./harness.mjs";
import { browser, COUNTERS, connectApi, connectedTo } from "./api_page.mjs";

test("warmUp makes two connections once, closes them within 2 s, leaves no listener behind, and a call after it connects", { timeout: 90_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const alice = await browser(t, server, { init: [COUNTERS] });
  const bob = await browser(t, server);
  const warmed = await alice.page.evaluate(async () => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const baseline = window.__listeners;
    const before = window.__pcs.length;
    const t0 = performance.now();
    await m.warmUp();
    const tookMs = performance.now() - t0;
    const connected = window.__pcs.slice(before).map((pc) => pc.connectionState);
    await m.warmUp(); // once per page: no new connections
    return { tookMs, made: window.__pcs.length - before, states: connected, left: window.__leftOver(baseline) };
  });
  assert.equal(warmed.made, 2, JSON.stringify(warmed));
  assert.deepEqual(warmed.states, ["closed", "closed"]);
  assert.ok(warmed.tookMs < 2_500, `warmUp took ${warmed.tookMs} ms`);
  assert.equal(warmed.left.open, 0);
  assert.equal(warmed.left.listeners, 0, JSON.stringify(warmed.left));
  assert.equal(warmed.left.tracks, 0, "the rehearsal captures no media");

  const room = `warm-${process.pid}-${Date.now()}`;
  const a = await connectApi(alice.page, room, "Alice");
  const b = await connectApi(bob.page, room, "Bob");
  await connectedTo(alice.page, b.peerId);
  await connectedTo(bob.page, a.peerId);
  // The call's connection is the only one open.
  assert.equal(await alice.page.evaluate(() => window.__pcs.filter((pc) => pc.connectionState !== "closed").length), 1);
});
