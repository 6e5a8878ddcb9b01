// End to end: the signaling session survives a dropped socket (resume: nothing lost, no
// leave seen by the other side) and a server restart (rejoin: the call comes back).
import { test } from "node:test";
import assert from "node:assert/strict";
import { joinDemo, launchBrowser, startServer } from "./harness.mjs";
import { TRACK_SOCKETS } from "./api_page.mjs";

const logText = (page) => page.evaluate(() => document.getElementById("log")?.innerText ?? "");

async function peerConnected(page, name, timeout = 30_000) {
  await page.waitForFunction(
    (n) => [...document.querySelectorAll("#remotes figcaption")].some((c) => c.innerText.includes(n) && c.innerText.includes("connected")),
    name,
    { timeout },
  );
}

async function messageCrosses(from, to, text) {
  await from.fill("#message-text", text);
  await from.click("#send");
  await to.waitForFunction((t) => document.getElementById("messages")?.innerText.includes(t), text, { timeout: 10_000 });
}

async function twoInARoom(t, server) {
  const alice = await launchBrowser();
  t.after(() => alice.close());
  const bob = await launchBrowser();
  t.after(() => bob.close());
  t.after(async () => {
    if (t.passed === false) {
      console.log("alice log:\n" + (await logText(alice.page).catch(() => "")));
      console.log("bob log:\n" + (await logText(bob.page).catch(() => "")));
      console.log("server stderr:\n" + server.stderr());
    }
  });
  for (const b of [alice, bob]) await b.page.addInitScript(TRACK_SOCKETS);
  const room = `reconnect-${process.pid}-${Date.now()}`;
  await joinDemo(alice.page, server.url, room, "Alice");
  await joinDemo(bob.page, server.url, room, "Bob");
  await Promise.all([peerConnected(alice.page, "Bob"), peerConnected(bob.page, "Alice")]);
  return { alice, bob };
}

test("a dropped signaling socket resumes the session: the other side sees no leave", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const { alice, bob } = await twoInARoom(t, server);

  const t0 = Date.now();
  await alice.page.evaluate(() => window.__sockets.at(-1).close());
  await alice.page.waitForFunction(() => document.getElementById("log")?.innerText.includes("signaling connected (resumed)"), null, { timeout: 15_000 });
  console.log(`resumed ${Date.now() - t0} ms after the socket was dropped`);
  assert.equal(await alice.page.evaluate(() => window.__sockets.length), 2, "one new socket");
  const bobLog = await logText(bob.page);
  assert.doesNotMatch(bobLog, /Alice (left|disconnected)/, "Bob saw no leave");
  // The call is untouched, and the resumed session still carries Alice's leave to Bob.
  await messageCrosses(bob.page, alice.page, "still here?");
  await alice.page.click("#leave");
  await bob.page.waitForFunction(() => document.getElementById("log")?.innerText.includes("Alice left"), null, { timeout: 10_000 });
});

test("a server restart: both sides rejoin by themselves and the call comes back", async (t) => {
  // A fixed token secret: tokens issued before the restart stay valid after it.
  const args = ["--token-secret", "e2e-restart-secret-0123456789abcdef0123456789"];
  let server = await startServer({ args });
  const port = Number(new URL(server.url).port);
  t.after(() => server.stop());
  const { alice, bob } = await twoInARoom(t, server);

  await server.kill();
  const t0 = Date.now();
  server = await startServer({ args, port });
  await Promise.all([
    alice.page.waitForFunction(() => document.getElementById("log")?.innerText.includes("signaling connected (rejoined)"), null, { timeout: 30_000 }),
    bob.page.waitForFunction(() => document.getElementById("log")?.innerText.includes("signaling connected (rejoined)"), null, { timeout: 30_000 }),
  ]);
  await Promise.all([peerConnected(alice.page, "Bob"), peerConnected(bob.page, "Alice")]);
  console.log(`call back ${Date.now() - t0} ms after the server restarted`);
  await messageCrosses(alice.page, bob.page, "back again");
  assert.match(await logText(alice.page), /signaling reconnecting/);
});

test("a dev server restart with a new signing key: the refused rejoin asks the tokenProvider and the call comes back", async (t) => {
  // No fixed secret: the restarted --dev server signs with a new random key, so the
  // tokens the pages hold are refused (invalidToken) and the library must ask the app's
  // tokenProvider (the demo's fetches /api/token) before rejoining.
  let server = await startServer();
  const port = Number(new URL(server.url).port);
  t.after(() => server.stop());
  const { alice, bob } = await twoInARoom(t, server);
  const tokenFetches = (page) => page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/token")).length);
  const before = await Promise.all([tokenFetches(alice.page), tokenFetches(bob.page)]);

  await server.kill();
  server = await startServer({ port });
  await Promise.all([
    alice.page.waitForFunction(() => document.getElementById("log")?.innerText.includes("signaling connected (rejoined)"), null, { timeout: 30_000 }),
    bob.page.waitForFunction(() => document.getElementById("log")?.innerText.includes("signaling connected (rejoined)"), null, { timeout: 30_000 }),
  ]);
  await Promise.all([peerConnected(alice.page, "Bob"), peerConnected(bob.page, "Alice")]);
  const after = await Promise.all([tokenFetches(alice.page), tokenFetches(bob.page)]);
  assert.ok(after[0] > before[0] && after[1] > before[1], `the token provider was not asked: ${before} -> ${after}`);
  await messageCrosses(alice.page, bob.page, "new key, same call");
});
