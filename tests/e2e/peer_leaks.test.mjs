// Fifty `Peer` calls in one page must leave nothing behind: two Peers (each capturing
// camera and microphone, their signals handed across in the page), connected, then one
// closed and the other freed; fifty times. Then no peer connection is open, no camera
// or microphone track is live, event listeners are back to where they were, and the
// wasm memory did not keep growing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./harness.mjs";
import { browser, COUNTERS } from "./api_page.mjs";

test("fifty Peer calls made, connected and closed in one page leave no connection, track, listener or memory behind", { timeout: 300_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const me = await browser(t, server, { init: [COUNTERS] });
  const result = await me.page.evaluate(async () => {
    const m = await import("/pkg/steadyrtc.js");
    const exports = await m.default();
    const memory = () => exports.memory.buffer.byteLength;
    const baseline = window.__listeners;
    const samples = { cycles: [] };
    for (let i = 1; i <= 50; i++) {
      const t0 = performance.now();
      const a = new m.Peer({ polite: true, media: { audio: true, video: true } });
      const b = new m.Peer({ polite: false, media: { audio: true, video: true } });
      a.on("signal", (s) => b.signal(s));
      b.on("signal", (s) => a.signal(JSON.stringify(s)));
      const up = (p) => new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cycle ${i}: not connected within 15 s`)), 15_000);
        p.on("stateChange", ({ to }) => { if (to === "connected") { clearTimeout(timer); resolve(); } });
      });
      const both = Promise.all([up(a), up(b)]);
      await Promise.all([a.connect(), b.connect()]);
      await both;
      a.close();
      b.free();
      a.free();
      samples.cycles.push({ ms: Math.round(performance.now() - t0), memory: memory() });
      if (i === 5) samples.at5 = memory();
    }
    samples.at50 = memory();
    return { ...window.__leftOver(baseline), ...samples };
  });
  const { cycles, ...totals } = result;
  console.log(`after 50 Peer cycles: ${JSON.stringify(totals)}`);
  console.log(`per cycle (ms to connected and closed, wasm memory bytes): ${cycles.map((c, i) => `${i + 1}:${c.ms}ms/${c.memory}`).join(" ")}`);
  assert.equal(result.pcs, 100, "two peer connections per cycle");
  assert.equal(result.open, 0, "peer connections left open");
  assert.equal(result.tracks, 200, "four captured tracks per cycle");
  assert.equal(result.live, 0, "tracks left live");
  assert.ok(result.listeners <= 0, `${result.listeners} event listeners more than before`);
  const growth = result.at50 - result.at5;
  assert.ok(growth < 2 * 1024 * 1024, `wasm memory grew ${growth} bytes from cycle 5 to 50`);
});
