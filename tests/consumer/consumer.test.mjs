// The package in a real app: tests/consumer is a Vite + TypeScript app that installed
// steadyrtc from the tarball `npm pack` made of pkg/ (tests/consumer/run.sh does the
// packing, installing, type-checking and `vite build` before this runs). Its built
// bundle is served from its own origin, as an app would be, and talks to the real
// steadyrtc-server on another one (the token through CORS, the WebSocket by origin).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { launchBrowser, startServer } from "../e2e/harness.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
};

/** Serves dist/ on a free port of localhost, as any static host would. */
async function serveApp() {
  if (!existsSync(join(dist, "index.html"))) throw new Error(`no app build at ${dist}: run tests/consumer/run.sh`);
  const http = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = normalize(join(dist, path === "/" ? "index.html" : path));
    if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  return { origin: `http://localhost:${http.address().port}`, close: () => new Promise((r) => http.close(r)) };
}

/** The real server, with the app's origin allowed to ask for tokens through CORS. */
async function setup(t) {
  const app = await serveApp();
  t.after(() => app.close());
  const server = await startServer({ args: ["--cors-origins", app.origin] });
  t.after(() => server.stop());
  return { app, server, ws: `${server.url.replace(/^http/, "ws")}/ws` };
}

async function openApp(t, { app, ws }, room, name) {
  const b = await launchBrowser();
  t.after(() => b.close());
  t.after(() => {
    if (t.passed === false) console.log(`console of ${name}:\n` + b.consoleLines.slice(-60).join("\n"));
  });
  const wasm = [];
  b.page.on("response", (r) => {
    if (r.url().endsWith(".wasm")) wasm.push({ url: r.url(), status: r.status(), type: r.headers()["content-type"] });
  });
  await b.page.goto(`${app.origin}/?${new URLSearchParams({ room, name, server: ws })}`);
  return { ...b, wasm, name };
}

/** Waits until the app says it joined (or failed), and returns what #status holds. */
async function joined(p, timeout = 20_000) {
  await p.page.waitForFunction(() => ["joined", "error"].includes(document.getElementById("status")?.dataset.state ?? ""), null, { timeout });
  const status = await p.page.evaluate(() => ({ ...document.getElementById("status").dataset }));
  if (status.state !== "joined") {
    const log = await p.page.evaluate(() => document.getElementById("log").textContent);
    assert.fail(`${p.name} did not join: ${status.error}\n${log}`);
  }
  return status;
}

test("the installed package holds every file its entry imports, and declares the snippets as side effects", () => {
  const installed = join(here, "node_modules", "steadyrtc");
  const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8"));
  const entry = readFileSync(join(installed, manifest.exports["."].default), "utf8");
  const imports = [...entry.matchAll(/^import .* from '(\.[^']+)';$/gm)].map((m) => m[1]);
  assert.ok(imports.some((i) => /^\.\/snippets\/steadyrtc-[0-9a-f]+\/js\/steady_error\.js$/.test(i)), JSON.stringify(imports));
  for (const i of imports) assert.ok(existsSync(join(installed, i)), `${i} is imported by the entry but not in the tarball`);
  // wasm-bindgen puts snippets two folders down: `./snippets/*` would match none of them.
  assert.ok(manifest.sideEffects.includes("./snippets/**"), JSON.stringify(manifest.sideEffects));
  assert.ok(manifest.files.includes("snippets/"), JSON.stringify(manifest.files));
});

const frames = (p) => p.page.evaluate(() => Number(document.getElementById("frames").textContent));
const uniqueRoom = (what) => `${what}-${process.pid}-${Date.now()}`;

test("the bundled app loads the wasm from its assets, and a bad url is a SteadyError with code invalidOptions", async (t) => {
  const env = await setup(t);
  const alice = await openApp(t, env, uniqueRoom("consumer-load"), "Alice");
  await joined(alice);
  // The wasm came from the bundle's own assets (the hashed file Vite emitted), as wasm.
  assert.equal(alice.wasm.length, 1, JSON.stringify(alice.wasm));
  assert.match(alice.wasm[0].url, new RegExp(`^${env.app.origin}/assets/steadyrtc_bg-[\\w-]+\\.wasm$`));
  assert.equal(alice.wasm[0].status, 200);
  assert.equal(alice.wasm[0].type, "application/wasm");
  const bad = await alice.page.evaluate(() => ({ ...document.getElementById("bad-url").dataset }));
  assert.deepEqual(bad, { code: "invalidOptions", instanceof: "true" });
});

test("two pages of the bundled app call each other through the real server, and remote video decodes", async (t) => {
  const env = await setup(t);
  const room = uniqueRoom("consumer-call");
  const alice = await openApp(t, env, room, "Alice");
  await joined(alice);
  const bob = await openApp(t, env, room, "Bob");
  await joined(bob);
  for (const p of [alice, bob]) {
    await p.page.waitForSelector("#status[data-peer-state=connected]", { timeout: 20_000 });
    await p.page.waitForFunction(() => Number(document.getElementById("frames").textContent) > 5, null, { timeout: 15_000 });
  }
  // Frames keep coming: the remote video is decoding, not stuck on its first frame.
  for (const p of [alice, bob]) {
    const before = await frames(p);
    await p.page.waitForFunction((n) => Number(document.getElementById("frames").textContent) >= n + 10, before, { timeout: 10_000 })
      .catch(async () => assert.fail(`${p.name}'s remote video: ${before} -> ${await frames(p)} frames in 10 s`));
  }
  // The typed quality events reached the app too.
  await bob.page.waitForSelector("#status[data-quality]", { timeout: 10_000 });
});
