// Logging you control, in a room call: at `info` a call that goes well logs nothing, at
// `debug` the app's `logSink` gets structured records instead of the console, and the
// level changes at any time, the call running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./harness.mjs";
import { browser } from "./api_page.mjs";

/** Joins `room` as `name` with every log record at `info` and up going to `window.__logs`. */
async function join(page, room, name) {
  return page.evaluate(async ({ room, name }) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    window.__m = m;
    window.__logs = [];
    window.__console = 0;
    for (const level of ["log", "info", "warn", "error", "debug"]) {
      const native = console[level].bind(console);
      // The library's console lines start with "[steadyrtc] <LEVEL> <target>: ".
      console[level] = (...args) => { if (/^\[steadyrtc\] (TRACE|DEBUG|INFO|WARN|ERROR) \S+: /.test(String(args[0] ?? ""))) window.__console += 1; native(...args); };
    }
    m.setLogLevel("info");
    m.logSink((record) => window.__logs.push(record));
    const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name, role: "guest" }) })).json();
    window.__room = new m.Room();
    window.__messages = [];
    window.__room.on("message", (e) => window.__messages.push(e.text));
    await window.__room.connect({ url: `ws://${location.host}/ws`, room, name, token, media: { audio: true, video: true } });
    return window.__room.peerId;
  }, { room, name });
}

test("a room call that goes well logs nothing at info; at debug the sink gets structured records", { timeout: 60_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const [alice, bob] = [await browser(t, server), await browser(t, server)];
  const room = `logging-${process.pid}-${Date.now()}`;
  const a = await join(alice.page, room, "Alice");
  await join(bob.page, room, "Bob");
  await bob.page.waitForFunction((id) => window.__room.peers().some((p) => p.id === id && p.connectionState === "connected"), a, { timeout: 20_000 });
  await bob.page.waitForFunction(() => { try { window.__room.send("hi"); return true; } catch { return false; } }, null, { timeout: 5_000 });
  await alice.page.waitForFunction(() => window.__messages.includes("hi"), null, { timeout: 5_000 });
  // Two quality samples pass too.
  await bob.page.waitForFunction((id) => window.__room.quality(id) !== undefined, a, { timeout: 10_000 });
  for (const page of [alice.page, bob.page]) {
    assert.deepEqual(await page.evaluate(() => window.__logs), [], "nothing at info or above");
  }

  // At debug, on the fly: Alice leaves, and Bob's sink sees his link's steps as records.
  await bob.page.evaluate(() => window.__m.setLogLevel("debug"));
  await alice.page.evaluate(() => window.__room.leave());
  await bob.page.waitForFunction(() => window.__logs.some((r) => r.message === "link state" && r.fields.to === "closed"), null, { timeout: 10_000 });
  const records = await bob.page.evaluate(() => window.__logs);
  for (const r of records) {
    assert.ok(["debug", "info", "warn", "error"].includes(r.level), JSON.stringify(r));
    assert.match(r.target, /^steadyrtc::/);
    assert.equal(typeof r.message, "string");
    assert.equal(typeof r.fields, "object");
  }
  const closed = records.find((r) => r.message === "link state" && r.fields.to === "closed");
  assert.equal(closed.level, "debug");
  assert.equal(closed.target, "steadyrtc::browser::peer");
  // With a sink, nothing went to the console.
  assert.equal(await bob.page.evaluate(() => window.__console), 0);

  // Without a sink, debug lines go to the console: Alice joins again at debug.
  await alice.page.evaluate(async (room) => {
    const m = window.__m;
    m.logSink(null);
    m.setLogLevel("debug");
    const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "Alice", role: "guest" }) })).json();
    window.__room = new m.Room();
    await window.__room.connect({ url: `ws://${location.host}/ws`, room, name: "Alice", token, media: { audio: true, video: true } });
  }, room);
  await alice.page.waitForFunction(() => window.__console > 0, null, { timeout: 10_000 });
  assert.equal(await alice.page.evaluate(() => window.__logs.length), 0, "the sink was let go");
  const bad = await alice.page.evaluate(() => { try { window.__m.setLogLevel("verbose"); return "no error"; } catch (e) { return e.code; } });
  assert.equal(bad, "invalidOptions");
  const badSink = await alice.page.evaluate(() => { try { window.__m.logSink("console"); return "no error"; } catch (e) { return e.code; } });
  assert.equal(badSink, "invalidArgument");
});
