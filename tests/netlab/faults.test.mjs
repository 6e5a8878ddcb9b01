// The network lab's proof scenarios: today's two-browser call under one fault each.
// Each scenario writes target/netlab/<scenario>.json (format in docs/NETLAB.md), also
// when it fails. Needs root; fails with the reason when the lab cannot run here.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { HOSTS, Lab, OUT_DIR } from "./lab.mjs";
import { sleep, startCall, statesNow, videoGrows } from "./call.mjs";
import { Timeline, mediaTicks, rate } from "./timeline.mjs";

let lab;

// Killed from outside (Ctrl-C, a timeout): take the lab down before going.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.once(signal, () => {
    try { execFileSync(join(import.meta.dirname, "lab.sh"), ["down"], { timeout: 20_000 }); } finally { process.exit(130); }
  });
}

before(async () => { lab = await Lab.start(); });
after(async () => { await lab?.stop(); });

/** Runs one scenario: its timeline is written and its faults undone whatever happens. */
async function scenario(name, description, body) {
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
    const path = timeline.write(OUT_DIR, { hosts: HOSTS, browsers: { alice: { host: "a", address: HOSTS.a }, bob: { host: "b", address: HOSTS.b } }, passed: !error, error: error ? String(error.stack ?? error) : undefined });
    console.log(`timeline: ${path}`);
    await call?.close();
    lab.timeline = undefined;
  }
}

/** Packets lost and received by `name` (all inbound RTP) between lab times `from` and `to`. */
function inboundLoss(timeline, name, from, to) {
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
function stateChangesAfter(timeline, name, since) {
  return timeline.states(name, "connectionState").filter((e) => e.t > since).map((e) => `${e.value}@${e.t}`);
}

test("loss 20 % for 10 s: the call stays up and getStats shows the loss", { timeout: 90_000 }, () =>
  scenario("loss", "20 % of UDP to and from Alice's host dropped for 10 s", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await sleep(1_000);
    const undo = await lab.loss("a", 20);
    await sleep(10_000);
    await undo();
    const undone = timeline.now();
    await Promise.all([videoGrows(alice, Date.now(), 10), videoGrows(bob, Date.now(), 10)]);
    await timeline.collect();

    const fault = timeline.find("fault");
    const atBob = inboundLoss(timeline, "bob", fault, undone);
    const atAlice = inboundLoss(timeline, "alice", fault, undone);
    timeline.result = { lossAtBob: atBob, lossAtAlice: atAlice, stateChanges: { alice: stateChangesAfter(timeline, "alice", fault), bob: stateChangesAfter(timeline, "bob", fault) } };
    console.log(`loss: Bob lost ${atBob.lost} of ${atBob.lost + atBob.received} packets (${atBob.percent} %), Alice ${atAlice.lost} of ${atAlice.lost + atAlice.received} (${atAlice.percent} %)`);
    // The call stayed up: no connection left `connected`.
    assert.deepEqual(timeline.result.stateChanges, { alice: [], bob: [] });
    for (const b of [alice, bob]) assert.ok((await statesNow(b)).every((s) => s.connectionState === "connected"));
    // getStats saw it: both receivers count lost packets in the window.
    assert.ok(atBob.percent >= 5, `Bob's getStats shows ${atBob.percent} % loss`);
    assert.ok(atAlice.percent >= 5, `Alice's getStats shows ${atAlice.percent} % loss`);
  }),
);
