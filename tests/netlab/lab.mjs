// The network lab: hosts (network namespaces on one bridge, made by lab.sh), the
// signaling server and coturn on hosts of their own, one headless Chromium per browser
// host, and the faults as one-line calls that each return their undo.
//
//   const lab = await Lab.start();          // needs root; throws with the reason if it cannot run
//   const alice = await lab.browser("a", "alice");
//   const undo = await lab.loss("a", 20);   ...  await undo();
//   await lab.blackout("a", 8);             // applies, waits 8 s, undoes
//   await lab.stop();                       // always: kills everything, deletes the hosts
//
// Every fault is written to the current timeline (see timeline.mjs) when it is applied and
// when it is undone, and every fault still active at stop() is undone by deleting its host.
import { execFile, spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, SERVER, joinDemo, root } from "../e2e/harness.mjs";
import { FIREFOX, geckodriverPath, launchFirefox } from "../e2e/firefox.mjs";
import { bridgeFromNetns } from "./netns_bridge.mjs";
import { recorderScript } from "./recorder.mjs";

const run = promisify(execFile);
const here = join(root, "tests", "netlab");
export const LAB_SH = join(here, "lab.sh");
export const OUT_DIR = join(root, "target", "netlab");
/** Holds the pid of the process running the lab; a pid that is gone means a stale lab. */
export const PID_FILE = "/run/steadyrtc-netlab.pid";

/** Addresses exist only inside the lab's namespaces (lab.sh makes them). */
export const HOSTS = { server: "10.77.0.2", turn: "10.77.0.3", a: "10.77.0.11", b: "10.77.0.12" };
const SERVER_PORT = 8080;
const TURN_PORT = 3478;

async function sh(...args) {
  try {
    const { stdout } = await run(LAB_SH, args, { timeout: 30_000 });
    return stdout;
  } catch (e) {
    throw new Error(`lab.sh ${args.join(" ")} failed: ${(e.stderr || e.message).trim()}`);
  }
}

/** Starts a process inside a lab host; resolves once its output matches `ready`. */
async function spawnOn(host, argv, { ready, logFile, timeoutMs = 15_000 }) {
  const proc = spawn("ip", ["netns", "exec", `srtc-${host}`, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const keep = (d) => { out = (out + d).slice(-20_000); };
  proc.stdout.on("data", keep);
  proc.stderr.on("data", keep);
  proc.on("exit", () => { try { appendFileSync(logFile, out); } catch { /* best effort */ } });
  const match = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill("SIGKILL"); reject(new Error(`${argv[0]} on ${host} not ready within ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    const check = () => { const m = ready.exec(out); if (m) { clearTimeout(timer); resolve(m); } };
    proc.stdout.on("data", check);
    proc.stderr.on("data", check);
    proc.once("exit", (code) => { clearTimeout(timer); reject(new Error(`${argv[0]} on ${host} exited with ${code}:\n${out}`)); });
  });
  return { proc, match, output: () => out };
}

async function killHard(proc) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once("exit", r));
  proc.kill("SIGKILL");
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
}

/** The TURN URL the server hands out: the lab's coturn, over TCP (UDP may be blocked). */
export const TURN_URL = `turn:${HOSTS.turn}:${TURN_PORT}?transport=tcp`;
/** The same coturn over UDP, and as a STUN server: `Lab.start({ udp: true })` hands these out too. */
export const TURN_UDP_URL = `turn:${HOSTS.turn}:${TURN_PORT}?transport=udp`;
export const STUN_URL = `stun:${HOSTS.turn}:${TURN_PORT}`;

/** coturn's TURN REST credential for `username`: base64(HMAC-SHA1(secret, username)). The lab checks the server's with it. */
export function turnCredential(secret, username) {
  return createHmac("sha1", secret).update(username).digest("base64");
}

/** Refuses to start a second lab while one runs; removes the remains of a killed run. */
async function claimLab() {
  if (existsSync(PID_FILE)) {
    const pid = Number(readFileSync(PID_FILE, "utf8"));
    let alive = false;
    try { alive = pid !== process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("netlab"); } catch { /* gone */ }
    if (alive) throw new Error(`another network lab run is in progress (pid ${pid}, ${PID_FILE}); wait for it or stop it`);
  }
  writeFileSync(PID_FILE, String(process.pid));
}

export class Lab {
  /**
   * Checks that the lab can run here, removes a stale lab, creates the hosts, starts the
   * server and coturn. The server hands out TURN over TCP only, or with `udp: true` also
   * TURN over UDP and STUN (all on the lab's coturn).
   */
  static async start({ udp = false } = {}) {
    if (process.getuid?.() !== 0) throw new Error("the network lab needs root (network namespaces, nftables, tc): run `npm test` as root");
    await sh("check"); // explains what is missing (netns, nft, tc, coturn) and throws
    for (const [what, path] of [["server binary", SERVER], ["demo build", join(root, "www", "dist", "index.html")], ["package build", join(root, "pkg", "steadyrtc.js")], ["Chromium", CHROMIUM]]) {
      if (!existsSync(path)) throw new Error(`${what} missing at ${path}: run \`npm run build\` and \`cargo build -p steadyrtc-server\``);
    }
    await claimLab();
    const lab = new Lab();
    try {
      mkdirSync(OUT_DIR, { recursive: true });
      for (const log of ["server.log", "turnserver.log"]) rmSync(join(OUT_DIR, log), { force: true });
      await sh("up");
      lab.serverArgs = await serverArgs(lab.turnSecret, udp);
      await lab.#startServer();
      await lab.#startTurn();
    } catch (e) {
      await lab.stop();
      throw e;
    }
    return lab;
  }

  serverUrl = `http://${HOSTS.server}:${SERVER_PORT}`;
  turnSecret = randomBytes(16).toString("hex");
  /** The timeline that faults are written to (set by the scenario). */
  timeline = undefined;
  #server = undefined;
  #turn = undefined;
  #browsers = new Set();
  /** Undo of every fault still in place. */
  #active = new Set();

  /** One headless Chromium on `host`, its page already carrying the recorder. */
  async browser(host, name, { rtcConfig } = {}) {
    const browser = await chromium.launch({
      executablePath: join(here, "chromium-in-netns.sh"),
      env: { ...process.env, NETLAB_NETNS: `srtc-${host}`, NETLAB_CHROMIUM: CHROMIUM },
      args: [...CHROMIUM_ARGS, "--no-proxy-server", `--unsafely-treat-insecure-origin-as-secure=${this.serverUrl}`],
      headless: true,
      timeout: 30_000,
    });
    this.#browsers.add(browser);
    const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
    const page = await context.newPage();
    await page.addInitScript(recorderScript, { rtcConfig: rtcConfig ?? null });
    const consoleLines = [];
    page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on("pageerror", (e) => consoleLines.push(`[pageerror] ${e.message}`));
    return {
      name, host, page, consoleLines, kind: "chromium",
      join: (room, displayName, opts) => joinDemo(page, this.serverUrl, room, displayName, opts),
      close: async () => { this.#browsers.delete(browser); await browser.close().catch(() => {}); },
    };
  }

  /**
   * One headless Firefox on `host`, with the same shape as `browser()`: `page` offers the
   * `evaluate` and `waitForFunction` the lab's helpers use. geckodriver runs inside the
   * host and its WebDriver port is reached through a unix socket (netns_bridge.mjs), so
   * no fault on the host cuts the test off from its browser. Firefox has no init scripts
   * over WebDriver: `join` puts the recorder into the loaded demo page before it joins
   * (the library creates its connections and socket only then).
   */
  async firefox(host, name, { rtcConfig } = {}) {
    if (!existsSync(FIREFOX)) throw new Error(`Firefox missing at ${FIREFOX}: run scripts/setup.sh --test`);
    const netns = `srtc-${host}`;
    // geckodriver inside the host, on the port the bridge has here too (it checks the Host header).
    const driver = async () => {
      const bridge = await bridgeFromNetns(netns);
      const proc = spawn("ip", ["netns", "exec", netns, geckodriverPath(), "--port", String(bridge.port), "--host", "127.0.0.1"], { stdio: "ignore" });
      return { proc, base: bridge.url, stop: () => bridge.stop() };
    };
    const ff = await launchFirefox({ driver, prefs: {
      // The lab's origin is plain http on an address: treat it as secure (getUserMedia,
      // crypto), as Chromium's --unsafely-treat-insecure-origin-as-secure does.
      "dom.securecontext.allowlist": HOSTS.server,
      "media.devices.insecure.enabled": true,
      "media.getusermedia.insecure.enabled": true,
      // Real addresses in host candidates (no mDNS names), no proxy lookups, autoplay.
      "media.peerconnection.ice.obfuscate_host_addresses": false,
      "network.proxy.type": 0,
      "media.autoplay.default": 0,
    } });
    const closeFf = async () => { this.#browsers.delete(handle); await ff.close().catch(() => {}); };
    const handle = { close: closeFf };
    this.#browsers.add(handle);
    const page = {
      evaluate: (fn, arg) => ff.evaluate(fn, arg),
      goto: (url) => ff.goto(url),
      /** Polls `fn(arg)` until it is truthy (playwright's shape: a handle with `jsonValue()`), else throws after `timeout`. */
      async waitForFunction(fn, arg, { timeout = 30_000, polling = 100 } = {}) {
        const until = Date.now() + timeout;
        for (;;) {
          const value = await ff.evaluate(fn, arg);
          if (value) return { jsonValue: async () => value };
          if (Date.now() > until) throw new Error(`Firefox: timed out after ${timeout} ms waiting for ${String(fn).slice(0, 120)}`);
          await new Promise((r) => setTimeout(r, polling));
        }
      },
    };
    const join = async (room, displayName, { timeoutMs = 15_000 } = {}) => {
      await ff.goto(`${this.serverUrl}/?room=${encodeURIComponent(room)}&name=${encodeURIComponent(displayName)}`);
      await page.waitForFunction(() => document.body?.dataset.ready === "true", null, { timeout: timeoutMs });
      await ff.evaluate(recorderScript, { rtcConfig: rtcConfig ?? null });
      await ff.clickOn("#join");
      await page.waitForFunction(() => ["joined", "error"].includes(document.getElementById("status")?.dataset.state ?? ""), null, { timeout: timeoutMs });
      const state = await ff.evaluate(() => document.getElementById("status")?.dataset.state);
      if (state !== "joined") throw new Error(`${displayName} (Firefox) could not join: ${await ff.evaluate(() => document.getElementById("log")?.innerText)}`);
    };
    return { name, host, page, consoleLines: [], kind: "firefox", join, close: closeFf };
  }


  async #fault(kind, host, params, apply, undo) {
    // An event's time is when the lab began to apply it; `tookMs` says how long that took.
    const record = async (event, step, detail) => {
      const t = this.timeline?.now();
      await step();
      this.timeline?.lab(event, { fault: kind, host, ...detail, tookMs: this.timeline.now() - t }, t);
    };
    await record("fault", apply, params);
    const undoOnce = async () => {
      if (!this.#active.delete(undoOnce)) return;
      await record("undo", undo, {});
    };
    undoOnce.kind = kind;
    this.#active.add(undoOnce);
    return undoOnce;
  }

  /** Undoes every fault still in place (a scenario's cleanup, also after a failure). */
  async undoAll() {
    for (const undo of [...this.#active]) await undo();
  }

  /** Drops `percent` % of UDP packets to and from `host` (nftables numgen random). */
  loss(host, percent) {
    return this.#fault("loss", host, { percent }, () => sh("loss", host, String(percent)), () => sh("unloss", host));
  }

  /** Drops everything to and from `host` for `seconds`, then restores it; resolves when restored. */
  async blackout(host, seconds) {
    const undo = await this.#fault("blackout", host, { seconds }, () => sh("blackout", host), () => sh("unblackout", host));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    await undo();
  }

  /** Limits what `host` sends to `kbit` kbit/s (tbf on its interface). */
  cap(host, kbit) {
    return this.#fault("cap", host, { kbit }, () => sh("cap", host, String(kbit)), () => sh("uncap", host));
  }

  /** Drops all UDP to and from `host`: only TCP (to TURN, to the server) gets through. */
  blockUdp(host) {
    return this.#fault("blockUdp", host, {}, () => sh("block-udp", host), () => sh("unblock-udp", host));
  }

  /** Drops everything to and from `host` except its traffic with the signaling server: media (direct and through TURN) is cut while signaling stays up. */
  isolate(host) {
    return this.#fault("isolate", host, {}, () => sh("isolate", host), () => sh("unisolate", host));
  }

  /** SIGKILLs the signaling server: no goodbye to anyone. Undo: restartServer(). */
  killServer() {
    return this.#fault("killServer", "server", {}, () => killHard(this.#server?.proc), () => this.#startServer());
  }

  /** Starts the signaling server again on the same address (the undo of killServer). */
  async restartServer() {
    const undo = [...this.#active].find((u) => u.kind === "killServer");
    if (undo) await undo();
    else { await killHard(this.#server?.proc); await this.#startServer(); }
  }

  async #startServer() {
    this.#server = await spawnOn("server", [SERVER, ...this.serverArgs], {
      ready: /listening on (http:\/\/\S+)/,
      logFile: join(OUT_DIR, "server.log"),
    });
  }

  serverOutput() { return this.#server?.output() ?? ""; }

  async #startTurn() {
    const db = join(OUT_DIR, "turndb");
    rmSync(db, { force: true });
    this.#turn = await spawnOn("turn", [
      "turnserver", "-n", "--log-file=stdout", "--simple-log", "--no-cli", "--no-tls", "--no-dtls",
      `--listening-ip=${HOSTS.turn}`, `--relay-ip=${HOSTS.turn}`, `--listening-port=${TURN_PORT}`,
      "--min-port=49152", "--max-port=49400", "--fingerprint", "--realm=netlab.steadyrtc",
      "--use-auth-secret", `--static-auth-secret=${this.turnSecret}`,
      "--allowed-peer-ip=10.77.0.0-10.77.0.255", `--db=${db}`, `--pidfile=${join(OUT_DIR, "turnserver.pid")}`,
    ], { ready: /Total General servers/, logFile: join(OUT_DIR, "turnserver.log") });
  }

  /** Closes the browsers, stops server and coturn, deletes every host. Safe to call twice. */
  async stop() {
    for (const b of [...this.#browsers]) await b.close().catch(() => {});
    this.#browsers.clear();
    await killHard(this.#server?.proc);
    await killHard(this.#turn?.proc);
    await sh("down").catch((e) => console.error(e.message));
    try { if (readFileSync(PID_FILE, "utf8") === String(process.pid)) rmSync(PID_FILE); } catch { /* gone */ }
  }
}

/**
 * Arguments for the server on its host: `--dev` when the binary has it (tokens for the
 * demo), the lab's coturn with its secret (the server issues the TURN credentials and
 * sends them in `welcome`), then NETLAB_SERVER_ARGS (space-separated) for anything a run
 * needs on top.
 */
async function serverArgs(turnSecret, udp) {
  const args = ["--host", HOSTS.server, "--port", String(SERVER_PORT), "--www-dir", join(root, "www", "dist"), "--pkg-dir", join(root, "pkg"),
    "--turn-urls", udp ? `${TURN_UDP_URL},${TURN_URL}` : TURN_URL, "--turn-secret", turnSecret];
  if (udp) args.push("--stun-urls", STUN_URL);
  const { stdout } = await run(SERVER, ["--help"], { timeout: 10_000 });
  if (/--dev\b/.test(stdout)) args.push("--dev");
  // A fixed token secret, as a production deployment has: tokens stay valid across a
  // restart, so a page whose session the restarted server forgot rejoins with its token.
  if (/--token-secret\b/.test(stdout)) args.push("--token-secret", "netlab-token-secret-0123456789");
  args.push(...(process.env.NETLAB_SERVER_ARGS ?? "").split(" ").filter(Boolean));
  return args;
}
