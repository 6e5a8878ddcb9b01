// Lab benchmark: how fast each side's adaptation follows a fault and comes back after it.
// For each fault on Alice's host (loss 10 %, loss 30 %, a 300 kbit/s cap, an 8 s
// blackout), one call of the demo, and three times from the library's own events:
//   - fault onset to the first rung applied (`qualityLevelChange` down, on either page);
//   - blackout start to `reconnecting` (`stateChange`);
//   - fault cleared to the top rung again on both pages (`qualityLevelChange` to `high`).
// Reports a table and target/netlab/adapt-bench.json; asserts nothing. Needs root (when
// the lab cannot run here it says why and exits 0: nothing was measured).
//
//   node tests/netlab/adapt_bench.mjs      (after `npm run build` and `cargo build -p steadyrtc-server`)
//   FAULTS=loss10,cap node tests/netlab/adapt_bench.mjs
import { Lab, OUT_DIR } from "./lab.mjs";
import { libraryEvents, libraryStates, sleep, startCall, watchLibrary } from "./call.mjs";
import { Timeline } from "./timeline.mjs";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** How long the top rung may take to come back before it counts as "not within". */
const BACK_WAIT_MS = Number(process.env.BACK_WAIT_MS ?? 90_000);

const FAULTS = {
  loss10: { label: "loss 10 %", apply: (lab) => lab.loss("a", 10), holdMs: 12_000 },
  loss30: { label: "loss 30 %", apply: (lab) => lab.loss("a", 30), holdMs: 20_000 },
  cap: { label: "cap 300 kbit/s", apply: (lab) => lab.cap("a", 300), holdMs: 30_000 },
  blackout: { label: "blackout 8 s", apply: (lab) => lab.blackout("a", 8).then(() => async () => {}), holdMs: 0 },
};
const chosen = (process.env.FAULTS ?? Object.keys(FAULTS).join(",")).split(",");

/** Each page's rung at wall time `t`, from its `qualityLevelChange` events (`high` before any). */
const rungAt = (events, t) => events.filter((e) => e.t <= t).at(-1)?.to ?? "high";

async function measure(lab, name) {
  const fault = FAULTS[name];
  const timeline = new Timeline(`adapt-bench-${name}`, `${fault.label} on Alice's host`);
  lab.timeline = timeline;
  const call = await startCall(lab, timeline);
  try {
    await Promise.all([watchLibrary(call.alice), watchLibrary(call.bob)]);
    await sleep(2_000);
    const onset = Date.now();
    const undo = await fault.apply(lab);
    await sleep(fault.holdMs);
    await undo();
    const cleared = Date.now();
    // Wait until both pages send at the top rung again (polling their events).
    const pages = [call.alice, call.bob];
    let back = null;
    while (Date.now() - cleared < BACK_WAIT_MS) {
      const rungs = await Promise.all(pages.map((p) => libraryEvents(p, "qualityLevelChange")));
      if (rungs.every((events) => rungAt(events, Date.now()) === "high")) {
        const lastUp = Math.max(cleared, ...rungs.flat().filter((e) => e.to === "high").map((e) => e.t));
        back = lastUp - cleared;
        break;
      }
      await sleep(500);
    }
    const changes = (await Promise.all(pages.map((p) => libraryEvents(p, "qualityLevelChange")))).flat();
    const firstDown = changes.filter((e) => e.t >= onset && e.trigger !== "stable").sort((x, y) => x.t - y.t)[0];
    const states = (await Promise.all(pages.map(libraryStates))).flat();
    const reconnecting = states.filter((e) => e.t >= onset && e.to === "reconnecting").sort((x, y) => x.t - y.t)[0];
    const lowest = ["high", "medium", "low", "minimum", "audioOnly"].filter((r) => changes.some((e) => e.to === r)).at(-1) ?? "high";
    const result = {
      fault: fault.label,
      onsetToRungMs: firstDown ? firstDown.t - onset : null,
      onsetToReconnectingMs: reconnecting ? reconnecting.t - onset : null,
      clearedToTopMs: back,
      lowestRung: lowest,
    };
    timeline.result = { ...result, changes: changes.map((e) => ({ ...e, t: e.t - onset })) };
    timeline.write(OUT_DIR, { passed: true });
    return result;
  } finally {
    await lab.undoAll();
    await call.close();
    lab.timeline = undefined;
  }
}

let lab;
try {
  lab = await Lab.start();
} catch (e) {
  console.log(`adapt bench: the lab cannot run here, nothing measured: ${e.message}`);
  process.exit(0);
}
const rows = [];
try {
  for (const name of chosen) {
    const row = await measure(lab, name).catch((e) => ({ fault: FAULTS[name]?.label ?? name, error: e.message }));
    console.log(`adapt bench: ${JSON.stringify(row)}`);
    rows.push(row);
  }
} finally {
  await lab.stop();
}
const s = (ms) => (ms === null || ms === undefined ? "-" : `${(ms / 1000).toFixed(1)} s`);
console.log("\n| fault | onset to first rung applied | onset to `reconnecting` | lowest rung | cleared to top rung again |\n|---|---|---|---|---|");
for (const r of rows) {
  if (r.error) console.log(`| ${r.fault} | error: ${r.error} | | | |`);
  else console.log(`| ${r.fault} | ${s(r.onsetToRungMs)} | ${s(r.onsetToReconnectingMs)} | ${r.lowestRung} | ${r.clearedToTopMs === null ? `> ${BACK_WAIT_MS / 1000} s` : s(r.clearedToTopMs)} |`);
}
writeFileSync(join(OUT_DIR, "adapt-bench.json"), JSON.stringify({ backWaitMs: BACK_WAIT_MS, rows }, null, 2) + "\n");
