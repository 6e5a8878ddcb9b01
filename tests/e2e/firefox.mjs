// Debian's Firefox driven from node through geckodriver's WebDriver HTTP API (one
// geckodriver per browser: it serves one session at a time). Fake camera and microphone
// through Firefox's prefs. No client library: a handful of endpoints is all it takes.
import { spawn, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export const FIREFOX = process.env.FIREFOX ?? "/usr/bin/firefox-esr";

export function geckodriverPath() {
  if (process.env.GECKODRIVER) return process.env.GECKODRIVER;
  try {
    return execFileSync("bash", ["-c", "command -v geckodriver"]).toString().trim();
  } catch {
    throw new Error("geckodriver not found: run scripts/setup.sh --test (or set GECKODRIVER)");
  }
}

let nextPort = 4444 + (process.pid % 500) * 2;

/** geckodriver on this machine's loopback: `{ proc, base }`. */
function localDriver(port) {
  const proc = spawn(geckodriverPath(), ["--port", String(port)], { stdio: "ignore" });
  return { proc, base: `http://127.0.0.1:${port}`, stop: async () => {} };
}

/**
 * Starts Firefox (headless, fake media) under its own geckodriver; returns a small client.
 * `prefs` are added to the fake-media ones. `driver(port)` starts geckodriver elsewhere
 * (the network lab runs it inside a host): it returns `{ proc, base, stop }`, `base`
 * being where its WebDriver API answers from here.
 */
export async function launchFirefox({ prefs = {}, driver = localDriver } = {}) {
  if (!existsSync(FIREFOX)) throw new Error(`Firefox not found at ${FIREFOX}: run scripts/setup.sh --test`);
  const port = nextPort++;
  const { proc, base, stop } = await driver(port);
  const call = async (method, path, body) => {
    const res = await fetch(base + path, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok) throw new Error(`geckodriver ${method} ${path}: ${JSON.stringify(json.value ?? json)}`);
    return json.value;
  };
  let session;
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await fetch(`${base}/status`);
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`geckodriver did not start: ${e.message}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    session = await call("POST", "/session", {
      capabilities: { alwaysMatch: { browserName: "firefox", "moz:firefoxOptions": {
        binary: FIREFOX, args: ["-headless"],
        prefs: { "media.navigator.streams.fake": true, "media.navigator.permission.disabled": true, ...prefs },
      } } },
    });
  } catch (e) {
    proc.kill();
    await stop();
    throw e;
  }
  const id = session.sessionId;
  await call("POST", `/session/${id}/timeouts`, { script: 60_000 });
  return {
    goto: (url) => call("POST", `/session/${id}/url`, { url }),
    /** Runs `fn(arg)` in the page (it may be async) and returns its JSON result. */
    evaluate: (fn, arg) => call("POST", `/session/${id}/execute/async`, {
      script: `const done = arguments[arguments.length - 1]; Promise.resolve((${fn})(arguments[0])).then((v) => done({ ok: v }), (e) => done({ error: String(e && e.stack || e) }));`,
      args: [arg ?? null],
    }).then((r) => {
      if (r && r.error) throw new Error(`in Firefox: ${r.error}`);
      return r?.ok;
    }),
    /** A real click (WebDriver actions) at the page's top left: a user gesture. */
    click: () => call("POST", `/session/${id}/actions`, {
      actions: [{ type: "pointer", id: "mouse", parameters: { pointerType: "mouse" }, actions: [
        { type: "pointerMove", x: 5, y: 5, origin: "viewport" },
        { type: "pointerDown", button: 0 },
        { type: "pointerUp", button: 0 },
      ] }],
    }),
    /** Polls `fn(arg)` in the page every 100 ms until it is truthy; returns it. */
    async waitFor(fn, arg, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await this.evaluate(fn, arg);
        if (v) return v;
        if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(fn).slice(0, 120)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** A real click (WebDriver element click) on the element `css` selects: a user gesture. */
    async clickOn(css) {
      const element = await call("POST", `/session/${id}/element`, { using: "css selector", value: css });
      await call("POST", `/session/${id}/element/${Object.values(element)[0]}/click`, {});
    },
    async close() {
      await call("DELETE", `/session/${id}`).catch(() => {});
      proc.kill();
      await stop();
    },
  };
}
