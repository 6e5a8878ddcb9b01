// Benchmark: how fast a call comes up with steadyrtc, side by side with a plain
// RTCPeerConnection over a small WebSocket relay, simple-peer (same relay) and PeerJS with
// its PeerServer, in one run; steadyrtc twice: as its README has an app do it (`warmUp()`
// at start) and "steadyrtc-cold" (without, so the first call compiles the library's
// code on the way). Two Chromium processes, a fresh browser context in each for
// every call, fake media, loopback, no STUN; the libraries take turns round by round.
// Reports medians and p90s with ratios to the plain baseline, the libraries' bundle
// sizes, and steadyrtc-server's relay load; writes target/bench/call-setup.json. Asserts
// nothing; fails only when it cannot run. `npm run bench`; BENCH_RUNS=20 for more rounds.
//
// Clocks (wall-clock marks in each page, see libs.mjs):
//   join   from the user's action on both pages to both connected (PeerJS: the callee
//          acts first and the caller once the callee is registered, as PeerJS needs);
//   call   from both sides ready (media captured, signaling reachable) to both connected;
//   frame  from both sides ready to the first remote video frame shown on both.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { CHROMIUM, CHROMIUM_ARGS, root, startServer } from "../e2e/harness.mjs";
import { startBenchServer } from "./bench_server.mjs";
import { PAGE_HELPERS, PEERJS, PHASE_MARKS, PLAIN, SIMPLE_PEER, STEADYRTC, STEADYRTC_INIT } from "./libs.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
// BENCH_BASELINE_PKG=<a copy of an earlier pkg/> adds "steadyrtc-base": that build, in
// the same run, to measure a change against what came before it.
const KINDS = (process.env.BENCH_KINDS ?? `plain,simple-peer,peerjs,steadyrtc,steadyrtc-cold${process.env.BENCH_BASELINE_PKG ? ",steadyrtc-base" : ""}`).split(",");
const LOAD = process.env.BENCH_LOAD !== "0";
// Extra Chromium arguments for experiments, e.g. `--js-flags=--no-wasm-lazy-compilation`.
const EXTRA_ARGS = (process.env.BENCH_CHROMIUM_ARGS ?? "").split(" ").filter(Boolean);
// BENCH_PHASES=1 also marks each step of the call in both pages (libs.mjs PHASE_MARKS) and
// prints their medians from "both ready": where a library's time goes.
const PHASES = process.env.BENCH_PHASES === "1";
const PHASE_KEYS = ["pc", "offer", "offerOut", "offerIn", "answer", "answerOut", "answerIn", "local", "remote", "cand", "candOut", "candIn", "rcandCall", "rcand", "checking", "iceConnected", "dtls", "connected", "frame"];

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] : NaN;
};

/** One call of `kind` between a fresh page in each browser; resolves to its three clocks. */
async function call(kind, i, { bench, server, browsers }) {
  const contexts = await Promise.all(browsers.map((b) => b.newContext()));
  if (PHASES) await Promise.all(contexts.map((c) => c.addInitScript(PHASE_MARKS)));
  try {
    const pages = await Promise.all(contexts.map((c) => c.newPage()));
    const steady = kind.startsWith("steadyrtc");
    await Promise.all(pages.map((p) => p.goto(kind === "steadyrtc-base" ? `${bench.url}/base` : bench.url)));
    await Promise.all(pages.map((p) => p.evaluate(PAGE_HELPERS)));
    const room = `bench-${process.pid}-${kind}-${i}`;
    const relayUrl = bench.url.replace("http", "ws") + "/relay";
    let args;
    if (steady) {
      await Promise.all(pages.map((p) => p.evaluate(STEADYRTC_INIT, { warm: kind !== "steadyrtc-cold" })));
      // Marks start after what an app does at start (warmUp's own connections made some).
      await Promise.all(pages.map((p) => p.evaluate(() => { window.__t = {}; })));
      const token = async (name) => (await (await fetch(`${server.url}/api/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name, role: "guest" }) })).json()).token;
      const url = server.url.replace("http", "ws") + "/ws";
      args = [{ url, room, name: "B", token: await token("B") }, { url, room, name: "A", token: await token("A") }];
    } else if (kind === "peerjs") {
      args = [{ host: "127.0.0.1", port: bench.peerPort, myId: `${room}-b`, otherId: `${room}-a`, initiator: false }, { host: "127.0.0.1", port: bench.peerPort, myId: `${room}-a`, otherId: `${room}-b`, initiator: true }];
    } else {
      args = [{ relayUrl, room, initiator: false }, { relayUrl, room, initiator: true }];
    }
    const join = { plain: PLAIN, "simple-peer": SIMPLE_PEER, peerjs: PEERJS, steadyrtc: STEADYRTC, "steadyrtc-cold": STEADYRTC, "steadyrtc-base": STEADYRTC }[kind];
    if (kind === "peerjs") {
      // PeerJS has no rooms: a call needs the callee registered first (a call to an id
      // that is not there yet is lost now and then). The caller acts once it is.
      await pages[0].evaluate(join, args[0]);
      await pages[0].waitForFunction(() => window.__t.ready, null, { timeout: 10_000, polling: 5 });
      await pages[1].evaluate(join, args[1]);
    } else {
      // Both users act at once; the callee's page is told first.
      await Promise.all(pages.map((p, k) => p.evaluate(join, args[k])));
    }
    try {
      await Promise.all(pages.map((p) => p.waitForFunction(() => window.__t.connected && window.__t.frame, null, { timeout: 20_000, polling: 20 })));
    } catch (e) {
      // Say how far each side got.
      e.marks = JSON.stringify(await Promise.all(pages.map((p) => p.evaluate(() => Object.keys(window.__t)).catch(() => []))));
      throw e;
    }
    const [b, a] = await Promise.all(pages.map((p) => p.evaluate(() => window.__t)));
    const ready = Math.max(a.ready, b.ready);
    const connected = Math.max(a.connected, b.connected);
    const result = { join: connected - Math.min(a.join0, b.join0), call: connected - ready, frame: Math.max(a.frame, b.frame) - ready };
    // Per step, the earlier and the later of the two pages, from both ready.
    if (PHASES) result.phases = Object.fromEntries(PHASE_KEYS.filter((k) => a[k] || b[k]).map((k) => { const xs = [a[k], b[k]].filter(Boolean); return [k, [Math.min(...xs) - ready, Math.max(...xs) - ready]]; }));
    await Promise.all(pages.map((p) => p.evaluate(async () => { for (const f of window.__cleanup) await f(); }).catch(() => {})));
    return result;
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
  }
}

/** Gzip -9 sizes of what each library adds to an app, in KiB. */
function bundleSizes() {
  const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length / 1024;
  const wasm = gz(join(root, "pkg", "steadyrtc_bg.wasm"));
  const glue = gz(join(root, "pkg", "steadyrtc.js"));
  return {
    plain: 0,
    "simple-peer": gz(join(root, "node_modules", "simple-peer", "simplepeer.min.js")),
    peerjs: gz(join(root, "node_modules", "peerjs", "dist", "peerjs.min.js")),
    steadyrtc: wasm + glue,
    "steadyrtc-cold": wasm + glue,
    "steadyrtc-base": process.env.BENCH_BASELINE_PKG ? gz(join(process.env.BENCH_BASELINE_PKG, "steadyrtc_bg.wasm")) + gz(join(process.env.BENCH_BASELINE_PKG, "steadyrtc.js")) : NaN,
    steadyrtcWasm: wasm,
    steadyrtcGlue: glue,
  };
}

const LOAD_BIN = join(root, "target", "release", "examples", "load");

/** The load example's output lines (without the last, `result: {json}`) and that JSON. */
function loadExample(args, timeout) {
  const out = execFileSync(LOAD_BIN, args, { encoding: "utf8", timeout, stdio: ["ignore", "pipe", "inherit"] });
  const lines = out.trim().split("\n");
  const last = lines.findLast((l) => l.startsWith("result: "));
  if (!last) throw new Error(`the load example printed no result line:\n${out}`);
  return { lines: lines.filter((l) => l !== last), result: JSON.parse(last.slice("result: ".length)) };
}

/** steadyrtc-server relaying signals for 1,000 clients at `rate` per client per second. */
function relayLoad(rate) {
  const { lines, result } = loadExample(["--clients", "1000", "--rooms", "100", "--secs", "5", "--rate", String(rate)], 120_000);
  return { rate, summary: lines.slice(-4), result };
}

/** The highest relay rate with p99 under 10 ms for `clients`, the server in its own
 * process on CPU 0 and the clients on CPU 1 (crates/server/examples/load.rs --find-ceiling). */
function relayCeiling(clients) {
  const server = join(root, "target", "release", "steadyrtc-server");
  const { lines, result } = loadExample(["--find-ceiling", "--clients", String(clients), "--step-secs", "2", "--server-bin", server, "--pin"], 240_000);
  return { clients, summary: lines, result };
}

const bench = await startBenchServer();
// The pages come from the benchmark's own server: steadyrtc-server must accept their origin.
// The release build, as in production (the tests' debug build costs 1.5-2.5 ms a hop).
const server = await startServer({ args: ["--allowed-origins", bench.url], bin: join(root, "target", "release", "steadyrtc-server") });
const browsers = [];
try {
  for (let k = 0; k < 2; k++) {
    const b = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...EXTRA_ARGS], headless: true });
    browsers.push(b);
  }
  const results = Object.fromEntries(KINDS.map((k) => [k, { join: [], call: [], frame: [], errors: [], phases: [] }]));
  for (let i = 0; i < RUNS; i++) {
    // Rotate the order each round so that no library always runs first or last.
    const order = KINDS.map((_, k) => KINDS[(k + i) % KINDS.length]);
    for (const kind of order) {
      try {
        const r = await call(kind, i, { bench, server, browsers });
        for (const clock of ["join", "call", "frame"]) results[kind][clock].push(r[clock]);
        if (r.phases) results[kind].phases.push(r.phases);
      } catch (e) {
        results[kind].errors.push(`round ${i}: ${String(e.message ?? e).split("\n")[0]}${e.marks ? ` (marks ${e.marks})` : ""}`);
      }
    }
  }
  const sizes = bundleSizes();
  const base = results.plain ?? { join: [], call: [], frame: [] };
  const rows = KINDS.map((kind) => {
    const r = results[kind];
    const stat = (clock) => ({ p50: pct(r[clock], 0.5), p90: pct(r[clock], 0.9), ratio: pct(r[clock], 0.5) / pct(base[clock], 0.5) });
    return { kind, runs: r.call.length, errors: r.errors, join: stat("join"), call: stat("call"), frame: stat("frame"), gzipKiB: sizes[kind] };
  });
  const ms = (x) => (Number.isFinite(x) ? `${x.toFixed(0)} ms` : "-");
  const cell = (s) => `${ms(s.p50)} / ${ms(s.p90)} (${Number.isFinite(s.ratio) ? s.ratio.toFixed(2) : "-"}x)`;
  console.log(`\ncall setup, ${RUNS} rounds, two Chromium processes, a fresh context per call; p50 / p90 (p50 ratio to plain)\n`);
  console.log("| library | call | join | first frame | gzip |\n|---|---|---|---|---|");
  for (const r of rows) console.log(`| ${r.kind}${r.errors.length ? ` (${r.errors.length} failed)` : ""} | ${cell(r.call)} | ${cell(r.join)} | ${cell(r.frame)} | ${r.kind === "steadyrtc" ? `${sizes.steadyrtc.toFixed(1)} KiB (wasm ${sizes.steadyrtcWasm.toFixed(1)} + glue ${sizes.steadyrtcGlue.toFixed(1)})` : r.kind === "plain" ? "-" : `${r.gzipKiB.toFixed(1)} KiB`} |`);
  for (const r of rows) for (const e of r.errors) console.log(`  ${r.kind}: ${e}`);
  if (PHASES) {
    console.log("\nsteps of the call, p50 from both ready, first page / second page (ms):\n");
    console.log(`| library | ${PHASE_KEYS.join(" | ")} |\n|---|${PHASE_KEYS.map(() => "---").join("|")}|`);
    for (const kind of KINDS) {
      const ph = results[kind].phases;
      const cellOf = (k) => { const xs = ph.filter((p) => p[k]); return xs.length ? `${pct(xs.map((p) => p[k][0]), 0.5).toFixed(0)} / ${pct(xs.map((p) => p[k][1]), 0.5).toFixed(0)}` : "-"; };
      console.log(`| ${kind} | ${PHASE_KEYS.map(cellOf).join(" | ")} |`);
    }
  }
  let load = [];
  let ceiling = [];
  if (LOAD) {
    console.log("\nsteadyrtc-server relay load, 1,000 clients in 100 rooms, 5 s (crates/server/examples/load.rs):");
    load = [10, 40].map(relayLoad);
    for (const l of load) console.log(`  rate ${l.rate}/client/s:\n    ${l.summary.join("\n    ")}`);
    console.log("\nsteadyrtc-server relay ceiling (p99 < 10 ms, server and clients on their own CPUs):");
    ceiling = [1000, 5000].map(relayCeiling);
    for (const c of ceiling) console.log(`  ${c.clients} clients:\n    ${c.summary.join("\n    ")}`);
  }
  const dir = join(root, "target", "bench");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "call-setup.json"), JSON.stringify({ runs: RUNS, at: new Date().toISOString(), rows, sizes, load, ceiling, raw: results }, null, 2) + "\n");
  console.log(`\nwritten: target/bench/call-setup.json`);
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  await bench.stop();
  await server.stop();
}
// PeerServer keeps an interval of its own running (pruning messages for absent peers)
// that nothing stops; without this the benchmark would never exit.
process.exit(process.exitCode ?? 0);
