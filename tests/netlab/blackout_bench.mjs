// Lab benchmark: how long after a network blackout media flows again, steadyrtc's demo
// side by side with a plain RTCPeerConnection (TURN over TCP configured, signaling
// relayed by this script), in the same lab and the same run. Alice's host is blacked out
// (signaling included) for 3, 10, 20, 45 and 60 s; the time is from the network's return
// to video flowing again on both sides (the later of the two: the first of a second of
// sampling intervals that each decoded a frame), and to the first decoded frame (which
// may be a burst of held frames followed by seconds of nothing), read from the recorder's
// getStats samples. Reports a table; asserts nothing. Needs root.
//
//   npm run bench:netlab          (after `npm run build` and `cargo build -p steadyrtc-server`)
//   BLACKOUTS=3,10 node tests/netlab/blackout_bench.mjs
//   BLACKOUTS=3,3,3 KINDS=steadyrtc node tests/netlab/blackout_bench.mjs
import { Lab, TURN_URL, turnCredential, OUT_DIR } from "./lab.mjs";
import { libraryStates, startCall, sleep, videoGrows, watchLibrary } from "./call.mjs";
import { Timeline } from "./timeline.mjs";
import { PLAIN_OFFER, PLAIN_PEER } from "../bench/plain_peer.mjs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const BLACKOUTS = (process.env.BLACKOUTS ?? "3,10,20,45,60").split(",").map(Number);
/** How long to wait for media after the network returns before calling it "never". */
const WAIT_MS = Number(process.env.WAIT_MS ?? 60_000);

/** A plain call: one RTCPeerConnection per page, fake media, TURN over TCP, signaling through this script. */
async function plainCall(lab, timeline) {
  const alice = await lab.browser("a", "alice");
  const bob = await lab.browser("b", "bob");
  timeline.watch(alice, bob);
  const username = `${Math.floor(Date.now() / 1000) + 3_600}:bench`;
  const ice = [{ urls: TURN_URL, username, credential: turnCredential(lab.turnSecret, username) }];
  for (const [me, other] of [[alice, bob], [bob, alice]]) {
    await me.page.goto(`${lab.serverUrl}/`);
    await me.page.exposeFunction("__send", (m) => other.page.evaluate((m) => window.__receive(m), m).catch(() => {}));
    await me.page.evaluate(PLAIN_PEER, ice);
  }
  await alice.page.evaluate(PLAIN_OFFER);
  await Promise.all([videoGrows(alice, timeline.t0, 10, 30_000), videoGrows(bob, timeline.t0, 10, 30_000)]);
  return { alice, bob, close: () => Promise.all([alice.close(), bob.close()]) };
}

async function measure(lab, kind, seconds) {
  const timeline = new Timeline(`bench-${kind}-${seconds}`, `${kind}: Alice's host blacked out for ${seconds} s`);
  lab.timeline = timeline;
  const call = kind === "steadyrtc" ? await startCall(lab, timeline) : await plainCall(lab, timeline);
  if (kind === "steadyrtc") await Promise.all([watchLibrary(call.alice), watchLibrary(call.bob)]);
  try {
    await sleep(1_000);
    await lab.blackout("a", seconds);
    const back = Date.now();
    const ok = await Promise.all([videoGrows(call.alice, back, 5, WAIT_MS), videoGrows(call.bob, back, 5, WAIT_MS)]).then(() => true, () => false);
    // A first frame may be a burst of held ones: watch 4 s more to see video flow.
    if (ok) await sleep(4_000);
    await timeline.collect();
    const undone = timeline.find("undo");
    const latest = (field) => {
      const at = ["alice", "bob"].map((n) => timeline.media[n][field]);
      return ok && at.every((t) => t !== null && t !== undefined) ? Math.max(...at) - undone : null;
    };
    const ms = latest("firstAfterUndo");
    const steadyMs = latest("steadyAfterUndo");
    // How long after the blackout began the page was told (steadyrtc only).
    const fault = timeline.find("fault");
    let toldMs = null;
    if (kind === "steadyrtc") {
      const told = (await Promise.all([libraryStates(call.alice), libraryStates(call.bob)])).flat()
        .filter((e) => e.to === "reconnecting" && e.t - timeline.t0 >= fault).map((e) => e.t - timeline.t0 - fault);
      toldMs = told.length ? Math.min(...told) : null;
    }
    timeline.result = { kind, seconds, mediaAfterMs: ms, flowingAfterMs: steadyMs, reconnectingAfterFaultMs: toldMs };
    timeline.write(OUT_DIR, { passed: true });
    return { ms, steadyMs, toldMs };
  } finally {
    await lab.undoAll();
    await call.close();
    lab.timeline = undefined;
  }
}

const lab = await Lab.start();
const rows = [];
try {
  for (const seconds of BLACKOUTS) {
    const row = { seconds };
    for (const kind of (process.env.KINDS ?? "steadyrtc,plain").split(",")) {
      const m = await measure(lab, kind, seconds).catch((e) => { console.error(`${kind} ${seconds} s: ${e.message}`); return undefined; });
      row[kind] = m ? { first: m.ms, flowing: m.steadyMs } : undefined;
      if (kind === "steadyrtc") row.told = m?.toldMs;
      console.log(`blackout ${seconds} s, ${kind}: first frame ${fmt(m?.ms)}, video flowing ${fmt(m?.steadyMs)} after the network returned${m?.toldMs != null ? `; the page was told after ${fmt(m.toldMs)}` : ""}`);
    }
    rows.push(row);
  }
} finally {
  await lab.stop();
}
function fmt(ms) {
  return ms === null ? `> ${WAIT_MS / 1000} s` : ms === undefined ? "error" : `${(ms / 1000).toFixed(1)} s`;
}
const cell = (m) => (m === undefined ? "error" : `${fmt(m.flowing)} (first frame ${fmt(m.first)})`);
console.log("\n| blackout | steadyrtc: video flowing again | plain RTCPeerConnection (TURN/TCP): video flowing again | steadyrtc: blackout start to `reconnecting` |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.seconds} s | ${cell(r.steadyrtc)} | ${cell(r.plain)} | ${r.told == null ? "-" : fmt(r.told)} |`);
writeFileSync(join(OUT_DIR, "blackout-bench.json"), JSON.stringify({ waitMs: WAIT_MS, rows }, null, 2) + "\n");
