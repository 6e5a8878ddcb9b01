// Benchmark: how long a call takes to come up with steadyrtc, side by side with a plain
// RTCPeerConnection baseline in the same run, on the same machine, same browsers and fake
// media. Reports medians and the ratio; asserts nothing. Run with `npm run bench`.
//
// Both sides measure in the joining page, from "local media ready, about to negotiate" to
// the browser's connectionState "connected":
//   - steadyrtc: room.connect resolved (media captured, socket open, welcome received) ->
//     stateChange to "connected"; signaling goes through the real steadyrtc-server.
//   - baseline:  getUserMedia done, RTCPeerConnection created -> "connected"; signaling is
//     relayed by this script between the two pages (playwright bindings).
// steadyrtc's full join (getUserMedia + socket + welcome) is reported separately.
import { joinDemo, launchBrowser, startServer } from "../e2e/harness.mjs";
import { PLAIN_PEER } from "./plain_peer.mjs";

const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

async function steadyrtcRun(server, a, b, room) {
  await joinDemo(b.page, server.url, room, "B");
  const result = await a.page.evaluate(async ({ url, room }) => {
    const { Room } = await import("steadyrtc");
    const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room, name: "A", role: "guest" }) });
    const { token } = await res.json();
    const r = new Room();
    const connected = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("not connected within 15 s")), 15_000);
      r.on("stateChange", ({ to }) => { if (to === "connected") { clearTimeout(timer); resolve(performance.now()); } });
    });
    const t0 = performance.now();
    await r.connect({ url, room, name: "A", token, media: { audio: true, video: true } });
    const t1 = performance.now();
    const t2 = await connected;
    await r.leave();
    r.free();
    return { join: t1 - t0, connect: t2 - t1 };
  }, { url: server.url.replace("http", "ws") + "/ws", room });
  await b.page.click("#leave");
  return result;
}

async function baselineRun(a, b) {
  const setup = (page) => page.evaluate(PLAIN_PEER, []);
  await Promise.all([setup(a.page), setup(b.page)]);
  return a.page.evaluate(async () => {
    const pc = window.__pc;
    const t0 = performance.now();
    const connected = new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("baseline not connected within 15 s")), 15_000);
      pc.onconnectionstatechange = () => { if (pc.connectionState === "connected") { clearTimeout(timer); resolve(); } };
    });
    await pc.setLocalDescription(await pc.createOffer());
    window.__send({ sdp: pc.localDescription.toJSON() });
    await connected;
    const t1 = performance.now();
    return { connect: t1 - t0 };
  }).finally(() => Promise.all([a, b].map((x) => x.page.evaluate(() => {
    window.__pc?.close();
    window.__stream?.getTracks().forEach((t) => t.stop());
  }))));
}

const server = await startServer();
const a = await launchBrowser();
const b = await launchBrowser();
try {
  // The baseline relay: each page's __send delivers to the other page's __receive.
  await a.page.exposeFunction("__send", (m) => b.page.evaluate((msg) => window.__receive(msg), m));
  await b.page.exposeFunction("__send", (m) => a.page.evaluate((msg) => window.__receive(msg), m));
  await a.page.goto(server.url);
  await a.page.waitForSelector("body[data-ready=true]");

  const ours = [], base = [], joins = [];
  for (let i = 0; i < RUNS; i++) {
    // Alternate the order so that neither side always runs on a warmer browser.
    const runOurs = async () => { const r = await steadyrtcRun(server, a, b, `bench-${process.pid}-${i}`); ours.push(r.connect); joins.push(r.join); };
    const runBase = async () => { await b.page.goto(server.url); base.push((await baselineRun(a, b)).connect); };
    if (i % 2) { await runOurs(); await runBase(); } else { await runBase(); await runOurs(); }
  }
  const mo = median(ours), mb = median(base), mj = median(joins);
  console.log(`call setup over ${RUNS} runs (median): steadyrtc ${mo.toFixed(1)} ms, plain RTCPeerConnection ${mb.toFixed(1)} ms, ratio ${(mo / mb).toFixed(2)}x`);
  console.log(`steadyrtc room.connect (getUserMedia + socket + welcome), median ${mj.toFixed(1)} ms`);
} finally {
  await a.close();
  await b.close();
  await server.stop();
}
