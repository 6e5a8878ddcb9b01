// What the lab's scenario files share: running one scenario with its timeline written and
// its faults undone whatever happens, and readings of the recorder's samples.
import { after, before } from "node:test";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { HOSTS, LAB_SH, Lab, OUT_DIR, PID_FILE } from "./lab.mjs";
import { traceSummary } from "./trace_summary.mjs";
import { Timeline, mediaTicks, perSecond } from "./timeline.mjs";
import { readRecorder } from "./recorder.mjs";

/**
 * Brings the lab up before the file's tests (`started(lab)` is called with it) and down
 * after them, also when the run is killed from outside (Ctrl-C, a timeout). `options` go
 * to `Lab.start`. Returns `scenario(name, description, body)`.
 */
export function useLab(started, options) {
  let lab;
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.once(signal, () => {
      try {
        execFileSync(LAB_SH, ["down"], { timeout: 20_000 });
        rmSync(PID_FILE, { force: true });
      } finally {
        process.exit(130);
      }
    });
  }
  before(async () => {
    lab = await Lab.start(options);
    started(lab);
  });
  after(async () => { await lab?.stop(); });
  return scenarioRunner(() => lab);
}

/**
 * `scenario(name, description, body)` on the lab `getLab()` returns: runs one scenario; its
 * timeline is written (target/netlab/<name>.json) and its faults undone whatever happens.
 */
export function scenarioRunner(getLab) {
  return async function scenario(name, description, body) {
    const lab = getLab();
    const timeline = new Timeline(name, description);
    lab.timeline = timeline;
    let call;
    let error;
    try {
      await body(timeline, (c) => { call = c; return c; });
    } catch (e) {
      error = e;
      for (const b of timeline.browsers.values()) console.log(`${b.name} console:\n${b.consoleLines.slice(-40).join("\n")}`);
      console.log(`server output:\n${lab.serverOutput().slice(-3000)}`);
      throw e;
    } finally {
      await lab.undoAll().catch((e) => console.error(`undo failed: ${e.message}`));
      await timeline.collect().catch((e) => console.error(`collect failed: ${e.message}`));
      const browsers = { alice: { host: "a", address: HOSTS.a }, bob: { host: "b", address: HOSTS.b } };
      // Each page's library trace (Room.exportTrace()), for reading what it decided when.
      const traces = {};
      for (const [name, b] of timeline.browsers) {
        browsers[name] = { host: b.host, address: HOSTS[b.host], browser: b.kind };
        traces[name] = await b.page.evaluate(() => window.room?.exportTrace()).then((t) => (t ? JSON.parse(t) : null), () => null);
      }
      const path = timeline.write(OUT_DIR, { hosts: HOSTS, browsers, passed: !error, error: error ? String(error.stack ?? error) : undefined, traces });
      console.log(`timeline: ${path}`);
      if (error) {
        const fault = timeline.events.find((e) => e.kind === "fault")?.t ?? 0;
        console.log(`what the libraries did from ${fault - 1_000} ms (lab time; the fault at ${fault} ms):\n${traceSummary(traces, timeline.t0, fault - 1_000).join("\n")}`);
      }
      await call?.close();
      lab.timeline = undefined;
    }
  };
}

/** Packets lost and received by `name` (all inbound RTP) between lab times `from` and `to`. */
export function inboundLoss(timeline, name, from, to) {
  const samples = timeline.samples[name];
  const at = (t) => {
    const first = samples.find((s) => s.t >= t);
    if (!first) return undefined;
    return samples.filter((s) => Math.abs(s.t - first.t) < 50).reduce((a, s) => ({ lost: a.lost + s.in.lost, packets: a.packets + s.in.packets }), { lost: 0, packets: 0 });
  };
  const a = at(from);
  const b = at(to);
  if (!a || !b) return undefined;
  const lost = b.lost - a.lost;
  const received = b.packets - a.packets;
  return { lost, received, percent: Math.round((1000 * lost) / Math.max(1, lost + received)) / 10 };
}

/** The connectionState changes of `name` after lab time `since`. */
export function stateChangesAfter(timeline, name, since) {
  return timeline.states(name, "connectionState").filter((e) => e.t > since).map((e) => `${e.value}@${e.t}`);
}

/** Alice's outbound RTP bitrate (payload + RTP headers, every stream) over the last `windowMs`, in kbit/s. */
export async function outboundKbps(timeline, browser, windowMs) {
  const { samples } = await readRecorder(browser.page);
  const ticks = mediaTicks(samples.map((s) => ({ ...s, t: s.t - timeline.t0 })));
  const end = ticks.at(-1)?.t ?? 0;
  const bytes = perSecond(ticks, "outBytes", end - windowMs, end);
  return bytes === null ? null : Math.round((bytes * 8) / 1000);
}

