// Chat that loses nothing, end to end: a burst of lines across a dropped signaling socket
// arrives exactly once and in order, every sendChat resolves once the server has the
// line, and chatHistory() has them all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./harness.mjs";
import { TRACK_SOCKETS, browser, connectApi } from "./api_page.mjs";

test("a chat burst across a dropped socket arrives once and in order, and every sendChat resolves", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = `chat-${process.pid}-${Date.now()}`;
  const [alice, bob] = [await browser(t, server, { init: [TRACK_SOCKETS] }), await browser(t, server)];
  const a = await connectApi(alice.page, room, "Alice", { media: { audio: false, video: false } });
  await connectApi(bob.page, room, "Bob", { media: { audio: false, video: false } });
  await bob.page.evaluate(() => {
    window.__lines = [];
    window.__room.on("chat", (c) => window.__lines.push(c));
  });
  const sent = await alice.page.evaluate(async () => {
    const calls = [];
    for (let i = 1; i <= 30; i++) {
      calls.push(window.__room.sendChat(`line ${i}`));
      // The socket drops in the middle of the burst (as a network blip would).
      if (i === 12) window.__sockets.at(-1).close();
    }
    const settled = await Promise.allSettled(calls);
    return { settled: settled.map((s) => s.status), history: window.__room.chatHistory().map((l) => l.text) };
  });
  assert.deepEqual([...new Set(sent.settled)], ["fulfilled"], "every line was confirmed");
  const want = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
  assert.deepEqual(sent.history, want, "Alice's history: her lines, once, in order");
  await bob.page.waitForFunction((n) => window.__lines.length >= n, 30, { timeout: 15_000 });
  // Nothing more comes (no late duplicate).
  await bob.page.waitForTimeout(500);
  const lines = await bob.page.evaluate(() => window.__lines);
  assert.deepEqual(lines.map((l) => l.text), want, "Bob got each line once, in order");
  assert.ok(lines.every((l) => l.from === a.peerId && l.name === "Alice" && l.id && l.sentAt > 1.7e12), JSON.stringify(lines[0]));
  assert.equal(new Set(lines.map((l) => l.id)).size, 30);
  assert.ok(await alice.page.evaluate(() => window.__sockets.length >= 2), "the socket was replaced");
  // A refused line rejects with the server's code; a blank one with invalidArgument.
  const blank = await alice.page.evaluate(() => window.__room.sendChat("  ").then(() => "resolved", (e) => e.code));
  assert.equal(blank, "invalidArgument");
});

/** Keeps the data channels the page creates. */
const TRACK_CHANNELS = () => {
  const create = RTCPeerConnection.prototype.createDataChannel;
  window.__channels = [];
  RTCPeerConnection.prototype.createDataChannel = function (...args) {
    const c = create.apply(this, args);
    window.__channels.push(c);
    return c;
  };
};

test("sendData: 12.5 MiB of binary in awaited 64 KiB messages arrives whole and in order while the buffer stays bounded; text too", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = `data-${process.pid}-${Date.now()}`;
  const [alice, bob] = [await browser(t, server, { init: [TRACK_CHANNELS] }), await browser(t, server)];
  await connectApi(alice.page, room, "Alice", { media: { audio: false, video: false } });
  const b = await connectApi(bob.page, room, "Bob", { media: { audio: false, video: false } });
  await bob.page.evaluate(() => {
    window.__got = [];
    window.__room.on("message", (m) => window.__got.push(m.binary ? { n: m.data.byteLength, first: new Uint8Array(m.data)[0] } : { text: m.text }));
  });
  await alice.page.waitForFunction(() => window.__channels.some((c) => c.readyState === "open"), null, { timeout: 15_000 });
  const sent = await alice.page.evaluate(async (bobId) => {
    let maxBuffered = 0;
    for (let i = 0; i < 200; i++) {
      const bytes = new Uint8Array(64 * 1024).fill(i % 256);
      const n = await window.__room.sendData(bytes, bobId);
      if (n !== 1) return { error: `sent to ${n}` };
      maxBuffered = Math.max(maxBuffered, ...window.__channels.map((c) => c.bufferedAmount));
    }
    await window.__room.sendData("done");
    const tooBig = await window.__room.sendData(new Uint8Array(300 * 1024)).then(() => "sent", (e) => e.code);
    const wrong = await window.__room.sendData(42).then(() => "sent", (e) => e.code);
    return { maxBuffered, tooBig, wrong };
  }, b.peerId);
  assert.equal(sent.error, undefined, sent.error);
  assert.ok(sent.maxBuffered <= 1024 * 1024 + 64 * 1024, `the buffer stayed under the high-water mark: ${sent.maxBuffered}`);
  assert.deepEqual([sent.tooBig, sent.wrong], ["invalidArgument", "invalidArgument"]);
  await bob.page.waitForFunction(() => window.__got.some((m) => m.text === "done"), null, { timeout: 30_000 });
  const got = await bob.page.evaluate(() => window.__got);
  assert.equal(got.length, 201);
  assert.ok(got.slice(0, 200).every((m, i) => m.n === 64 * 1024 && m.first === i % 256), "every message whole, in order");
  assert.deepEqual(got[200], { text: "done" });
});
