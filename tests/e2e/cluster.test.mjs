// Two server instances on one Redis, end to end: two browsers in one call, each on its own
// instance, signaling through a small TCP load balancer. The instance of one of them is
// killed (SIGKILL, no drain); its page reconnects through the balancer to the other
// instance, resumes its session there, and the call goes on: the other side sees no
// leave, video keeps decoding, a chat line crosses.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "./harness.mjs";
import { browser, connectApi, connectedTo } from "./api_page.mjs";

const REDIS = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

/** A free loopback port. */
async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** redis-server on a free port in a temporary directory, without persistence. */
async function startRedis(t) {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "steadyrtc-redis-"));
  const proc = spawn(REDIS, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => { proc.kill("SIGKILL"); rmSync(dir, { recursive: true, force: true }); });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server (${REDIS}) did not start: run scripts/setup.sh --test`)), 10_000);
    proc.on("error", (e) => { clearTimeout(timer); reject(new Error(`redis-server (${REDIS}) cannot run: ${e.message}; run scripts/setup.sh --test`)); });
    proc.stdout.on("data", (d) => { if (String(d).includes("Ready to accept connections")) { clearTimeout(timer); resolve(); } });
  });
  return `redis://127.0.0.1:${port}/0`;
}

/**
 * A TCP balancer on a free port: each connection goes to `prefer` if it accepts,
 * else to the next backend that does (what a load balancer's health check amounts to).
 */
async function startBalancer(t, backends) {
  const balancer = { prefer: 0, connections: [] };
  const open = new Set();
  const server = net.createServer((client) => {
    open.add(client);
    client.on("close", () => open.delete(client));
    const order = [...backends.keys()].sort((a, b) => (a === balancer.prefer ? -1 : b === balancer.prefer ? 1 : a - b));
    const attempt = (i) => {
      if (i >= order.length) return client.destroy();
      const upstream = net.connect(backends[order[i]], "127.0.0.1");
      upstream.once("connect", () => {
        balancer.connections.push(order[i]);
        client.pipe(upstream).pipe(client);
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
      });
      upstream.once("error", () => { upstream.destroy(); attempt(i + 1); });
    };
    client.on("error", () => {});
    attempt(0);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => new Promise((r) => {
    server.close(r);
    for (const c of open) c.destroy();
  }));
  balancer.port = server.address().port;
  return balancer;
}

test("two instances on Redis: the instance of one page is killed, the page resumes on the other and the call goes on", { timeout: 120_000 }, async (t) => {
  const redis = await startRedis(t);
  // One service: the same token secret on both instances.
  const shared = ["--redis-url", redis, "--token-secret", "cluster-test-secret-0123456789", "--drain-ms", "200"];
  const one = await startServer({ args: [...shared, "--instance-id", "one"] });
  t.after(() => one.stop());
  const two = await startServer({ args: [...shared, "--instance-id", "two"] });
  t.after(() => two.stop());
  const portOf = (s) => Number(new URL(s.url).port);
  const balancer = await startBalancer(t, [portOf(one), portOf(two)]);
  const signaling = { url: `ws://localhost:${balancer.port}/ws` };
  const room = `cluster-${process.pid}-${Date.now()}`;

  // Alice signals through instance one (the room's owner: she is first), Bob through two.
  const alice = await browser(t, one);
  balancer.prefer = 0;
  const a = await connectApi(alice.page, room, "Alice", signaling);
  const bob = await browser(t, two);
  balancer.prefer = 1;
  const b = await connectApi(bob.page, room, "Bob", signaling);
  assert.deepEqual(balancer.connections, [0, 1], "one socket on each instance");
  await connectedTo(alice.page, b.peerId);
  await connectedTo(bob.page, a.peerId);

  // Bob's instance dies. His reconnect finds only instance one behind the balancer.
  const frames = () => bob.page.evaluate(async () => {
    let n = 0;
    for (const pc of window.__pcs) (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded ?? 0; });
    return n;
  });
  await two.kill();
  await bob.page.waitForFunction(() => window.__seen.some((s) => s.event === "sessionStateChange" && s.to === "reconnecting"), null, { timeout: 15_000 });
  await bob.page.waitForFunction(() => window.__seen.filter((s) => s.event === "sessionStateChange").at(-1)?.to === "connected", null, { timeout: 20_000 });
  const states = await bob.page.evaluate(() => window.__seen.filter((s) => s.event === "sessionStateChange").map((s) => s.to));
  assert.ok(!states.includes("rejoining"), `resumed, not rejoined: ${states.join(" -> ")}`);
  assert.equal(balancer.connections.at(-1), 0, "the new socket went to instance one");
  assert.equal(await bob.page.evaluate(() => window.__room.peerId), b.peerId, "the same session, the same peer id");

  // The call goes on: no leave at Alice, Bob decodes video, a chat line crosses.
  const before = await frames();
  await bob.page.waitForFunction(async (n) => {
    let f = 0;
    for (const pc of window.__pcs) (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") f += s.framesDecoded ?? 0; });
    return f > n + 10;
  }, before, { timeout: 15_000, polling: 250 });
  await alice.page.evaluate(() => { window.__lines = []; window.__room.on("chat", (c) => window.__lines.push(c.text)); });
  await bob.page.evaluate(() => window.__room.sendChat("still here"));
  await alice.page.waitForFunction(() => window.__lines.includes("still here"), null, { timeout: 10_000 });
  assert.equal(await alice.page.evaluate((id) => window.__seen.some((s) => s.event === "peerLeft" && s.id === id), b.peerId), false, "Alice never saw Bob leave");
});
