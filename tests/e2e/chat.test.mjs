// Chat that loses nothing, end to end: a burst of lines across a dropped signaling socket
// arrives exactly once and in order, every sendChat resolves once the server has the
// line, and chatHistory() has them all.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startServer } from "./harness.mjs";
import { browser, connectApi } from "./api_page.mjs";

/** Keeps every WebSocket the page opens, so the test can drop one. */
const TRACK_SOCKETS = () => {
  const Native = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
};

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
