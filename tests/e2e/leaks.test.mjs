// Fifty calls in one page must leave nothing behind: connect to a room with one other
// peer, wait for the call, leave; fifty times. Then no peer connection is open, no
// camera or microphone track is live, event listeners are back to where they were, and
// the wasm memory did not keep growing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchBrowser, startServer } from "./harness.mjs";
import { COUNTERS, TRACK_PCS } from "./api_page.mjs";

test("fifty connects and leaves in one page leave no connection, track, listener or memory behind", { timeout: 300_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const other = await launchBrowser();
  t.after(() => other.close());
  const me = await launchBrowser();
  t.after(() => me.close());
  t.after(() => {
    if (t.passed === false) for (const [name, b] of [["other", other], ["me", me]]) console.log(`${name} console:\n${b.consoleLines.slice(-60).join("\n")}`);
  });
  await me.page.addInitScript(TRACK_PCS);
  await me.page.addInitScript(COUNTERS);
  const room = `leaks-${process.pid}-${Date.now()}`;
  for (const b of [other, me]) {
    await b.page.goto(`${server.url}/`);
    await b.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  }
  // The other peer stays for the whole test.
  await other.page.evaluate(async (room) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "Host", role: "guest" }) })).json();
    window.__room = new m.Room();
    await window.__room.connect({ url: `ws://${location.host}/ws`, room, name: "Host", token, media: { audio: true, video: true } });
  }, room);

  const result = await me.page.evaluate(async (room) => {
    const m = await import("/pkg/steadyrtc.js");
    const exports = await m.default();
    const memory = () => exports.memory.buffer.byteLength;
    const baseline = window.__listeners;
    const samples = {};
    for (let i = 1; i <= 50; i++) {
      const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: `Guest ${i}`, role: "guest" }) })).json();
      const r = new m.Room();
      // The bound leaves room for the library's own recovery of a setup that stalls (seen
      // twice in many full runs, in a late cycle): a cycle that needs it is reported
      // below with its states, and one that never connects fails with them.
      const started = performance.now();
      const states = [];
      const connected = new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cycle ${i}: not connected within 45 s: ${states.join(", ")}`)), 45_000);
        r.on("stateChange", ({ to, reason }) => {
          states.push(`${Math.round(performance.now() - started)} ms ${to} (${reason})`);
          if (to === "connected") { clearTimeout(timer); resolve(); }
        });
        r.on("recovery", ({ phase, level, attempt }) => states.push(`${Math.round(performance.now() - started)} ms recovery ${phase} ${level} ${attempt}`));
      });
      await r.connect({ url: `ws://${location.host}/ws`, room, name: `Guest ${i}`, token, media: { audio: true, video: true } });
      await connected;
      if (performance.now() - started > 5_000) (samples.slow ??= []).push({ cycle: i, states });
      await r.leave();
      r.free();
      if (i === 5) samples.at5 = memory();
    }
    samples.at50 = memory();
    // Listeners removed on leave may go with the objects they were on (a closed socket);
    // what must not grow is what is still registered.
    return { ...window.__leftOver(baseline), ...samples };
  }, room);
  console.log(`after 50 cycles: ${JSON.stringify(result)}`);
  if (result.slow) assert.ok(result.pcs >= 50, `${result.pcs} peer connections for 50 cycles, some recovered`);
  else assert.equal(result.pcs, 50, "one peer connection per cycle");
  assert.equal(result.open, 0, "peer connections left open");
  assert.equal(result.tracks, 100, "two tracks per cycle");
  assert.equal(result.live, 0, "tracks left live");
  assert.ok(result.listeners <= 0, `${result.listeners} event listeners more than before`);
  const growth = result.at50 - result.at5;
  assert.ok(growth < 2 * 1024 * 1024, `wasm memory grew ${growth} bytes from cycle 5 to 50`);
  // The other peer saw everyone come and go, and is alone again.
  await other.page.waitForFunction(() => window.__room.peers().length === 0, null, { timeout: 10_000 });
});
