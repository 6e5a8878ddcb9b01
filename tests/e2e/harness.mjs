// Shared pieces of the end-to-end tests: start the real steadyrtc-server on a free port,
// launch Debian's Chromium with fake camera and microphone, open the demo and join.
// Every wait is bounded; everything started here is stopped by the returned handles.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const SERVER = process.env.STEADYRTC_SERVER_BIN ?? join(root, "target", "debug", "steadyrtc-server");

/** Chromium flags that work on these machines (see TESTING.md), plus fake media. */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-dev-shm-usage",
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--auto-select-desktop-capture-source=Entire screen",
  "--autoplay-policy=no-user-gesture-required",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-features=WebRtcHideLocalIpsWithMdns",
];

/**
 * Starts the server (on port 0 unless `port` is given, in `--dev` mode, plus `args`) and
 * resolves once it printed its address.
 */
export async function startServer({ timeoutMs = 20_000, port = 0, args = [], bin = SERVER } = {}) {
  for (const [what, path] of [["server binary", bin], ["demo build", join(root, "www", "dist", "index.html")], ["package build", join(root, "pkg", "steadyrtc.js")]]) {
    if (!existsSync(path)) throw new Error(`${what} missing at ${path}: run \`npm run build\` and \`cargo build -p steadyrtc-server\``);
  }
  const proc = spawn(bin, ["--dev", ...args, "--port", String(port), "--www-dir", join(root, "www", "dist"), "--pkg-dir", join(root, "pkg")], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  proc.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${timeoutMs} ms: ${stderr}`)), timeoutMs);
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) { clearTimeout(timer); resolve(m[1].replace("127.0.0.1", "localhost")); }
    });
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${stderr}`)); });
  });
  return {
    url,
    stderr: () => stderr,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return; // exited, or killed by a signal
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
    /** Kills the process at once (no goAway, no drain), as a crash would. */
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return; // exited, or killed by a signal
      const exited = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

/** Launches one Chromium process (each browser is its own process, like two users). */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/setup.sh --test`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  const page = await context.newPage();
  const consoleLines = [];
  page.on("console", (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
  page.on("pageerror", (e) => consoleLines.push(`[pageerror] ${e.message}`));
  return { browser, page, consoleLines, close: () => browser.close() };
}

/**
 * Opens the demo and joins `room` as `name`; resolves when the page says it joined.
 * `query`: more parameters for the page's address, e.g. `{ recoveryTimeoutMs: 8000 }`.
 */
export async function joinDemo(page, serverUrl, room, name, { timeoutMs = 15_000, query = {} } = {}) {
  const params = new URLSearchParams({ room, name, ...query });
  await page.goto(`${serverUrl}/?${params}`);
  await page.waitForSelector("body[data-ready=true]", { timeout: timeoutMs });
  await page.click("#join");
  await page.waitForFunction(() => ["joined", "error"].includes(document.getElementById("status")?.dataset.state ?? ""), null, { timeout: timeoutMs });
  const state = await page.evaluate(() => document.getElementById("status")?.dataset.state);
  if (state !== "joined") {
    const log = await page.evaluate(() => document.getElementById("log")?.innerText);
    throw new Error(`${name} could not join: ${log}`);
  }
}

/** Where screenshots and other artifacts go. */
export function artifactDir(name) {
  const dir = join(root, "target", name);
  mkdirSync(dir, { recursive: true });
  return dir;
}
