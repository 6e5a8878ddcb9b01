// checkConnectivity, the pre-call check, against the real server: without STUN or TURN
// (what works passes, what is missing warns, a bad token and a dead address fail), and
// with a coturn on loopback handing out TURN over UDP and TCP (the relay steps pass).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, startServer } from "./harness.mjs";
import { browser } from "./api_page.mjs";

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.on("error", reject);
  s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
});

/** Runs checkConnectivity in `page` with a fresh token (or `token`); the report. */
async function check(page, { token, url } = {}) {
  return page.evaluate(async ({ token, url }) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    if (token === undefined) {
      const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room: "precall", name: "Ada", role: "guest" }) });
      token = (await res.json()).token;
    }
    return m.checkConnectivity({ url: url ?? `ws://${location.host}/ws`, token });
  }, { token, url });
}

const statuses = (report) => Object.fromEntries(report.steps.map((s) => [s.name, s.status]));

test("checkConnectivity without STUN or TURN: reachable, token checked, what is missing warns, failures fail", { timeout: 60_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const page = (await browser(t, server)).page;
  const report = await check(page);
  assert.deepEqual(statuses(report), {
    signaling: "pass",
    token: "pass",
    iceServers: "warn",
    hostCandidate: "pass",
    srflxCandidate: "warn",
    relayUdp: "warn",
    relayTcp: "warn",
    loopback: "warn",
    camera: "pass",
    microphone: "pass",
  }, JSON.stringify(report));
  assert.equal(report.ok, true);
  assert.equal(report.path, null);
  assert.match(report.summary, /only work on the same network/);
  for (const step of report.steps) {
    assert.ok(step.ms >= 0 && step.ms < 15_000, JSON.stringify(step));
    assert.ok(step.message.length > 10, JSON.stringify(step));
  }
  // A token the server refuses: the token fails, so no ICE server list arrives.
  const refused = await check(page, { token: "aaa.bbb.ccc" });
  assert.equal(refused.ok, false);
  assert.equal(statuses(refused).token, "fail");
  assert.equal(statuses(refused).iceServers, "fail");
  assert.match(refused.steps.find((s) => s.name === "token").message, /refused/);
  // Nothing listening: the socket fails at once.
  const dead = await freePort();
  const unreachable = await check(page, { token: "aaa.bbb.ccc", url: `ws://127.0.0.1:${dead}/ws` });
  assert.equal(statuses(unreachable).signaling, "fail");
  assert.equal(statuses(unreachable).token, "fail");
  // The demo's "Test my connection" button shows the same steps.
  await page.goto(`${server.url}/`);
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  await page.click("#check");
  await page.waitForSelector("#check-report[data-ok]", { timeout: 20_000 });
  const shown = await page.evaluate(() => ({
    ok: document.getElementById("check-report").dataset.ok,
    steps: [...document.querySelectorAll("#check-report li:not([data-name=summary])")].map((li) => [li.dataset.name, li.dataset.status]),
    summary: document.querySelector("#check-report li[data-name=summary]")?.textContent,
  }));
  assert.equal(shown.ok, "true");
  assert.deepEqual(Object.fromEntries(shown.steps), statuses(report));
  assert.equal(shown.summary, report.summary);
  // Bad options reject with invalidOptions.
  const bad = await page.evaluate(async () => {
    const m = await import("/pkg/steadyrtc.js");
    try { await m.checkConnectivity({ url: "http://x", token: "t" }); return "resolved"; } catch (e) { return `${e instanceof m.SteadyError}:${e.code}`; }
  });
  assert.equal(bad, "true:invalidOptions");
});

test("checkConnectivity with TURN over UDP and TCP on loopback: relayed addresses both ways pass", { timeout: 60_000 }, async (t) => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "steadyrtc-turn-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secret = `secret-${process.pid}`;
  const base = 40_000 + (process.pid % 200) * 100;
  const turn = spawn("turnserver", [
    "-n", "--log-file=stdout", "--simple-log", "--no-cli", "--no-tls", "--no-dtls",
    "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", `--listening-port=${port}`,
    `--min-port=${base}`, `--max-port=${base + 99}`, "--fingerprint", "--realm=e2e.steadyrtc",
    "--use-auth-secret", `--static-auth-secret=${secret}`, "--allow-loopback-peers",
    `--db=${join(dir, "turndb")}`, `--pidfile=${join(dir, "turnserver.pid")}`,
  ], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise((r) => turn.once("exit", r));
  t.after(async () => { turn.kill("SIGKILL"); await exited; });
  await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`coturn did not start: ${out.slice(-2000)}`)), 10_000);
    turn.stdout.on("data", (d) => { out += d; if (/Total General servers/.test(out)) { clearTimeout(timer); resolve(); } });
    turn.once("exit", (code) => { clearTimeout(timer); reject(new Error(`coturn exited ${code}: ${out.slice(-2000)}`)); });
  });
  const server = await startServer({ args: ["--turn-urls", `turn:127.0.0.1:${port}?transport=udp,turn:127.0.0.1:${port}?transport=tcp`, "--turn-secret", secret] });
  t.after(() => server.stop());
  // Chromium keeps its UDP sockets off the loopback interface unless told, and the TURN
  // server here is on loopback.
  const b = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, "--allow-loopback-in-peer-connection"], headless: true });
  t.after(() => b.close());
  const page = await (await b.newContext()).newPage();
  await page.goto(`${server.url}/`);
  const report = await check(page);
  const s = statuses(report);
  assert.equal(s.iceServers, "pass", JSON.stringify(report));
  assert.equal(s.relayUdp, "pass", JSON.stringify(report));
  assert.equal(s.relayTcp, "pass", JSON.stringify(report));
  // A call to itself through the TURN server: media flowed and was measured.
  const loop = report.steps.find((x) => x.name === "loopback");
  assert.equal(loop.status, "pass", JSON.stringify(loop));
  const [, kbps] = /(\d+) kbps/.exec(loop.message) ?? [];
  assert.ok(Number(kbps) >= 500, loop.message);
  assert.ok(loop.ms >= 5_000 && loop.ms < 15_000, JSON.stringify(loop));
  console.log(`TURN loopback on 127.0.0.1: ${loop.message} in ${loop.ms} ms`);
  assert.equal(report.ok, true);
  assert.equal(report.path, "udp");
  assert.match(report.summary, /^Ready for calls: UDP gets through/);

  // TURN over UDP unreachable (nothing answers on its port), TCP working: the report
  // says UDP looks blocked and names TCP as the path calls will take.
  const dead = await freePort();
  const udpBlocked = await startServer({ args: ["--turn-urls", `turn:127.0.0.1:${dead}?transport=udp,turn:127.0.0.1:${port}?transport=tcp`, "--turn-secret", secret] });
  t.after(() => udpBlocked.stop());
  await page.goto(`${udpBlocked.url}/`);
  const blocked = await check(page);
  const relayUdp = blocked.steps.find((x) => x.name === "relayUdp");
  const relayTcp = blocked.steps.find((x) => x.name === "relayTcp");
  assert.equal(relayUdp.status, "warn", JSON.stringify(blocked));
  assert.match(relayUdp.message, /UDP looks blocked/);
  assert.equal(relayTcp.status, "pass");
  assert.match(relayTcp.message, /the path calls will take/);
  assert.equal(blocked.ok, true);
  assert.equal(blocked.path, "turnTcp");
  assert.equal(blocked.steps.find((x) => x.name === "loopback").via, "relay/tcp");
});
