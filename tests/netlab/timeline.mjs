// One JSON timeline per scenario under target/netlab/<scenario>.json; the format is
// documented in docs/NETLAB.md ("steadyrtc-netlab-timeline/1"). Times are milliseconds
// since the scenario started (`t0`, wall clock in `startedAt`).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { readRecorder } from "./recorder.mjs";

export const FORMAT = "steadyrtc-netlab-timeline/1";
/** Media counts as stopped after this long without a decoded video frame. */
export const STALL_MS = 1_000;

export class Timeline {
  constructor(scenario, description) {
    this.scenario = scenario;
    this.description = description;
    this.t0 = Date.now();
    this.labEvents = [];
    this.events = [];
    this.browsers = new Map();
    this.result = {};
  }

  /** Milliseconds since the scenario started. */
  now() { return Date.now() - this.t0; }

  /** Records something the lab did or saw (a fault, its undo, a check), now or at lab time `t`. */
  lab(kind, detail = {}, t = this.now()) {
    const event = { t, source: "lab", kind, ...detail };
    this.labEvents.push(event);
    this.labEvents.sort((x, y) => x.t - y.t);
    this.events.push(event);
    return event.t;
  }

  /** Browsers whose recorder is read into this timeline at `collect()`. */
  watch(...browsers) { for (const b of browsers) this.browsers.set(b.name, b); }

  /** Time of the first lab event of `kind` (and `fault`, if given). */
  find(kind, fault) { return this.labEvents.find((e) => e.kind === kind && (!fault || e.fault === fault))?.t; }

  /** Reads every watched browser's recorder: state changes become events, samples are kept. Repeatable. */
  async collect() {
    this.events = [...this.labEvents];
    this.samples = {};
    this.media = {};
    for (const [name, b] of this.browsers) {
      let rec;
      try { rec = await readRecorder(b.page); } catch (e) { this.events.push({ t: this.now(), source: name, kind: "unreadable", error: String(e) }); continue; }
      for (const e of rec.events) this.events.push({ ...e, t: e.t - this.t0, source: name });
      const samples = rec.samples.map((s) => ({ ...s, t: s.t - this.t0 }));
      this.samples[name] = samples;
      const ticks = mediaTicks(samples);
      for (const e of mediaEvents(ticks)) this.events.push({ ...e, source: name });
      this.media[name] = { firstAfterFault: firstGrowthAfter(ticks, this.find("fault")), firstAfterUndo: firstGrowthAfter(ticks, this.find("undo")), steadyAfterUndo: steadyAfter(ticks, this.find("undo")) };
    }
    this.events.sort((x, y) => x.t - y.t);
  }

  /** State changes of `name`'s connections, in order, e.g. [{t, kind: "connectionState", value}]. */
  states(name, kind) { return this.events.filter((e) => e.source === name && (!kind || e.kind === kind)); }

  write(dir, extra = {}) {
    const path = join(dir, `${this.scenario}.json`);
    const doc = {
      format: FORMAT,
      scenario: this.scenario,
      description: this.description,
      startedAt: new Date(this.t0).toISOString(),
      t0: this.t0,
      ...extra,
      events: this.events,
      media: this.media ?? {},
      result: this.result,
      samples: this.samples ?? {},
    };
    writeFileSync(path, JSON.stringify(doc, null, 1) + "\n");
    return path;
  }
}

/** Per sampling tick: time, decoded video frames and bytes received summed over every connection. */
export function mediaTicks(samples) {
  const byT = new Map();
  for (const s of samples) {
    // Samples of one tick are taken together; group them by their time rounded to 50 ms.
    const key = Math.round(s.t / 50);
    const tick = byT.get(key) ?? { t: s.t, frames: 0, bytes: 0, outBytes: 0 };
    tick.frames += s.in.frames;
    tick.bytes += s.in.bytes;
    tick.outBytes += s.out.bytes + s.out.headerBytes;
    byT.set(key, tick);
  }
  return [...byT.values()].sort((x, y) => x.t - y.t);
}

/** `mediaStopped` (last frame seen) once no frame was decoded for STALL_MS; `mediaResumed` at the next one. */
export function mediaEvents(ticks) {
  const out = [];
  let flowing = false;
  let lastGrowth;
  for (let i = 1; i < ticks.length; i++) {
    const grew = ticks[i].frames > ticks[i - 1].frames;
    if (grew) {
      if (!flowing) out.push({ t: ticks[i].t, kind: lastGrowth === undefined ? "mediaStarted" : "mediaResumed" });
      flowing = true;
      lastGrowth = ticks[i].t;
    } else if (flowing && ticks[i].t - lastGrowth >= STALL_MS) {
      out.push({ t: lastGrowth, kind: "mediaStopped" });
      flowing = false;
    }
  }
  return out;
}

/** End of the first sampling interval that starts at or after `t` and in which a frame was decoded. */
export function firstGrowthAfter(ticks, t) {
  if (t === undefined) return null;
  for (let i = 1; i < ticks.length; i++) {
    if (ticks[i - 1].t >= t && ticks[i].frames > ticks[i - 1].frames) return ticks[i].t;
  }
  return null;
}

/**
 * Start of the first stretch of `holdMs` after `t` in which a frame was decoded in every
 * sampling interval: video is flowing again, not just a burst of held frames (after an
 * outage Chromium may decode a few frames and then stand still for seconds).
 */
export function steadyAfter(ticks, t, holdMs = 1_000) {
  if (t === undefined) return null;
  const grew = (k) => ticks[k].frames > ticks[k - 1].frames;
  for (let i = 1; i < ticks.length; i++) {
    if (ticks[i - 1].t < t || !grew(i)) continue;
    let k = i + 1;
    while (k < ticks.length && ticks[k].t - ticks[i].t <= holdMs && grew(k)) k++;
    const stalled = k < ticks.length && ticks[k].t - ticks[i].t <= holdMs;
    // Samples come every 250 ms or so: the last one checked must be most of `holdMs` on.
    if (!stalled && ticks[k - 1].t - ticks[i].t >= 0.75 * holdMs) return ticks[i].t;
  }
  return null;
}

/** Growth of `field` per second between the first tick at or after `from` and the last at or before `to`. */
export function perSecond(ticks, field, from, to) {
  const a = ticks.find((k) => k.t >= from);
  const b = [...ticks].reverse().find((k) => k.t <= to);
  if (!a || !b || b.t <= a.t) return null;
  return ((b[field] - a[field]) * 1000) / (b.t - a.t);
}
