// Server instances on one Redis, end to end, signaling through a small TCP load balancer:
// - two instances; the instance of one page is killed (SIGKILL, no drain); its page
//   reconnects through the balancer to the other instance, resumes its session there,
//   and the call goes on: the other side sees no leave, video keeps decoding, a chat
//   line crosses;
// - three instances redeployed one by one (SIGTERM: goAway, drain, restart on the same
//   port), as an operator does: the call never drops.
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

test("three instances on Redis redeployed one by one (SIGTERM, drain, restart): the call never drops", { timeout: 150_000 }, async (t) => {
  const redis = await startRedis(t);
  const shared = ["--redis-url", redis, "--token-secret", "cluster-test-secret-0123456789", "--drain-ms", "500"];
  const ports = [await freePort(), await freePort(), await freePort()];
  const started = [];
  const start = async (i) => {
    const s = await startServer({ port: ports[i], args: [...shared, "--instance-id", `i${i}-${Date.now()}`] });
    started.push([i, s]);
    return s;
  };
  const instances = [await start(0), await start(1), await start(2)];
  t.after(() => {
    if (t.passed === false) for (const [i, s] of started) console.log(`instance ${i} stderr:\n${s.stderr()}`);
  });
  t.after(() => Promise.all(instances.map((s) => s.stop())));
  const balancer = await startBalancer(t, ports);
  const signaling = { url: `ws://localhost:${balancer.port}/ws` };
  const room = `redeploy-${process.pid}-${Date.now()}`;

  // The pages come from instance 2, which goes last; Alice signals through 0, Bob through 1.
  const alice = await browser(t, instances[2]);
  balancer.prefer = 0;
  const a = await connectApi(alice.page, room, "Alice", signaling);
  const bob = await browser(t, instances[2]);
  balancer.prefer = 1;
  const b = await connectApi(bob.page, room, "Bob", signaling);
  await connectedTo(alice.page, b.peerId);
  await connectedTo(bob.page, a.peerId);
  // What a user would notice: each peer connection's state, and video frames decoded.
  for (const page of [alice.page, bob.page]) {
    await page.evaluate(() => {
      window.__pcStates = [];
      for (const pc of window.__pcs) pc.addEventListener("connectionstatechange", () => window.__pcStates.push(pc.connectionState));
    });
  }
  const frames = (page) => page.evaluate(async () => {
    let n = 0;
    for (const pc of window.__pcs) (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "video") n += s.framesDecoded ?? 0; });
    return n;
  });
  const moved = (page, after) => page.waitForFunction((n) => {
    const states = window.__seen.filter((s) => s.event === "sessionStateChange");
    return states.length > n && states.at(-1).to === "connected";
  }, after, { timeout: 20_000 });
  const sessionChanges = (page) => page.evaluate(() => window.__seen.filter((s) => s.event === "sessionStateChange").length);

  const steps = [];
  for (const i of [0, 1, 2]) {
    // New connections go to the next instance while this one drains.
    balancer.prefer = (i + 1) % 3;
    const before = { alice: await sessionChanges(alice.page), bob: await sessionChanges(bob.page), framesAlice: await frames(alice.page), framesBob: await frames(bob.page) };
    const t0 = Date.now();
    await instances[i].stop(); // SIGTERM: goAway to its clients, drain, close
    instances[i] = await start(i);
    // Whoever was on it moved; everyone's session is connected again; video kept flowing.
    const pages = [["alice", alice.page], ["bob", bob.page]];
    for (const [name, page] of pages) {
      const changed = (await sessionChanges(page)) > before[name];
      if (changed) await moved(page, before[name]);
    }
    await alice.page.waitForFunction(() => window.__seen.filter((s) => s.event === "sessionStateChange").at(-1)?.to !== "reconnecting", null, { timeout: 20_000 });
    await bob.page.waitForFunction(() => window.__seen.filter((s) => s.event === "sessionStateChange").at(-1)?.to !== "reconnecting", null, { timeout: 20_000 });
    const after = { alice: await frames(alice.page), bob: await frames(bob.page) };
    steps.push({ instance: i, tookMs: Date.now() - t0, framesAlice: after.alice - before.framesAlice, framesBob: after.bob - before.framesBob });
  }
  console.log(`redeploy: ${JSON.stringify(steps)}`);

  for (const [name, page, peer] of [["Alice", alice.page, b.peerId], ["Bob", bob.page, a.peerId]]) {
    const seen = await page.evaluate(() => window.__seen);
    const sessions = seen.filter((s) => s.event === "sessionStateChange").map((s) => s.to);
    assert.ok(sessions.includes("reconnecting"), `${name}'s session never moved: ${sessions.join(" -> ")}`);
    assert.ok(!sessions.includes("rejoining") && !sessions.includes("failed"), `${name} resumed each time, never rejoined: ${sessions.join(" -> ")}`);
    assert.equal(sessions.at(-1), "connected");
    assert.equal(seen.some((s) => s.event === "peerLeft"), false, `${name} saw a leave`);
    assert.deepEqual(seen.filter((s) => s.event === "stateChange" && s.to !== "connected" && s.from === "connected").map((s) => s.to), [], `${name}'s call left connected`);
    assert.deepEqual(await page.evaluate(() => window.__pcStates), [], `${name}'s peer connection changed state`);
    assert.equal(await page.evaluate((id) => window.__room.peers().find((p) => p.id === id)?.connectionState, peer), "connected");
  }
  // Video decoded all along: at least 10 frames a second on both sides through each step
  // (the fake camera sends about 20).
  for (const s of steps) {
    const fps = (n) => (1000 * n) / s.tookMs;
    assert.ok(fps(s.framesAlice) >= 10 && fps(s.framesBob) >= 10, `video stalled while instance ${s.instance} was redeployed: ${JSON.stringify(s)}`);
  }
  // And the signaling path works on the new instances: a chat line crosses.
  await alice.page.evaluate(() => { window.__lines = []; window.__room.on("chat", (c) => window.__lines.push(c.text)); });
  await bob.page.evaluate(() => window.__room.sendChat("after the redeploy"));
  await alice.page.waitForFunction(() => window.__lines.includes("after the redeploy"), null, { timeout: 10_000 });
});
