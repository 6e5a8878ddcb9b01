// The network lab's adaptation scenarios: what each side sends follows what its path
// carries, down to audio only and back, under loss and under a bandwidth cap. Each writes
// target/netlab/<scenario>.json (format in docs/NETLAB.md), with the measured times in its
// `result`. The asserts are generous (these machines are noisy); the adaptation benchmark
// (tests/netlab/adapt_bench.mjs) reports the numbers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { libraryEvents, sleep, startCall, statesNow, videoGrows, watchLibrary } from "./call.mjs";
import { inboundLoss, outboundKbps, stateChangesAfter, useLab } from "./suite.mjs";
import { mediaTicks } from "./timeline.mjs";

let lab;
const scenario = useLab((started) => { lab = started; });

/** Alice's video sender parameters right now: `{active, maxBitrate}`. */
const videoSender = (browser) => browser.page.evaluate(() => window.__netlab.pcs.flatMap((pc) => pc.getSenders()).filter((s) => s.track?.kind === "video").map((s) => s.getParameters().encodings[0] ?? {}).map((e) => ({ active: e.active, maxBitrate: e.maxBitrate }))[0]);

/** Waits (polling the page) until `browser` saw a library event with all of `fields` after wall time `since`; resolves whether it did. */
function libraryEvent(browser, since, fields, timeoutMs) {
  return browser.page.waitForFunction(([since, fields]) =>
    (window.__lib ?? []).some((e) => e.t > since && Object.entries(fields).every(([k, v]) => e[k] === v)),
  [since, fields], { timeout: timeoutMs, polling: 100 }).then(() => true, () => false);
}

/** The connections of `name` that failed or closed after lab time `since`. */
function wentDown(timeline, name, since) {
  return timeline.states(name, "connectionState").filter((e) => e.t > since && ["failed", "closed"].includes(e.value));
}

/** The longest time without a decoded video frame at `name` between lab times `from` and `to`, in ms. */
export function longestFreeze(timeline, name, from, to) {
  const ticks = mediaTicks(timeline.samples[name]).filter((k) => k.t >= from && k.t <= to);
  let last = ticks[0]?.t;
  let longest = 0;
  for (let i = 1; i < ticks.length; i++) {
    if (ticks[i].frames > ticks[i - 1].frames) last = ticks[i].t;
    longest = Math.max(longest, ticks[i].t - last);
  }
  return longest;
}

test("loss 10 % on Alice's host: the senders' rungs step down, the call stays up, and they step back up after", { timeout: 120_000 }, () =>
  scenario("loss", "10 % of UDP to and from Alice's host dropped for 10 s", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await Promise.all([watchLibrary(alice), watchLibrary(bob)]);
    await sleep(1_000);
    const undo = await lab.loss("a", 10);
    await sleep(10_000);
    // What Alice's video sender was set to at the end of the loss, and what her page is
    // told of the link (kept in the timeline as a real payload and report).
    const senderAtWorst = await videoSender(alice);
    const [qualityAtWorst, diagnosticsAtWorst] = await alice.page.evaluate(() => {
      const peer = window.room.diagnostics().peers[0];
      return [peer && window.room.quality(peer.peerId), window.room.diagnostics()];
    });
    await undo();
    const undone = timeline.find("undo");
    const clean = Date.now();
    // After ten clean seconds a rung goes back up.
    await libraryEvent(alice, clean, { event: "qualityLevelChange", trigger: "stable" }, 30_000);
    await Promise.all([videoGrows(alice, Date.now(), 10, 30_000), videoGrows(bob, Date.now(), 10, 30_000)]);
    await timeline.collect();

    const fault = timeline.find("fault");
    const atBob = inboundLoss(timeline, "bob", fault, undone);
    const atAlice = inboundLoss(timeline, "alice", fault, undone);
    const rel = (e) => ({ ...e, t: e.t - timeline.t0 - fault });
    const rungs = { alice: (await libraryEvents(alice, "qualityLevelChange")).map(rel), bob: (await libraryEvents(bob, "qualityLevelChange")).map(rel) };
    timeline.result = { lossAtBob: atBob, lossAtAlice: atAlice, stateChanges: { alice: stateChangesAfter(timeline, "alice", fault), bob: stateChangesAfter(timeline, "bob", fault) }, rungs, senderAtWorst, qualityAtWorst, diagnosticsAtWorst };
    console.log(`loss 10 %: Bob lost ${atBob.percent} %, Alice ${atAlice.percent} %; rungs ${JSON.stringify(rungs)}`);
    for (const name of ["alice", "bob"]) assert.deepEqual(wentDown(timeline, name, fault), [], `${name}'s connection went down under loss`);
    for (const b of [alice, bob]) assert.ok((await statesNow(b)).every((s) => s.connectionState === "connected"), `${b.name} is not connected after the loss`);
    // Both senders see the loss (it is on both directions of Alice's port): the first step
    // down of either within 8 s of the onset, Alice's own by 5 s after the loss ended (a
    // sender hears of loss only through the remote's RTCP receiver reports, which the
    // lossy path delays and thins). A step takes two lossy samples in a row (1 s apart),
    // and a report of a few dozen packets reads anywhere from 0 to 30 % at 10 % loss: the
    // first step came 2-5 s after the onset in this machine's runs, so 8 s is a bound
    // for a loaded machine, not the goal (the adaptation benchmark reports the times).
    const firstDown = [...rungs.alice, ...rungs.bob].filter((e) => e.trigger === "loss").sort((x, y) => x.t - y.t)[0];
    assert.ok(firstDown && firstDown.t <= 8_000, `the first step down for loss: ${JSON.stringify(firstDown)}`);
    const alicesFirst = rungs.alice.find((e) => e.trigger === "loss");
    assert.ok(alicesFirst && alicesFirst.t <= undone - fault + 5_000, `Alice's first step down for loss: ${JSON.stringify(alicesFirst)}`);
    assert.ok(rungs.alice.some((e) => e.trigger === "stable" && e.t > undone - fault), `Alice never stepped back up: ${JSON.stringify(rungs.alice)}`);
    // getStats saw it: both receivers count lost packets in the window.
    assert.ok(atBob.percent >= 4, `Bob's getStats shows ${atBob.percent} % loss`);
    assert.ok(atAlice.percent >= 4, `Alice's getStats shows ${atAlice.percent} % loss`);
    // Her page was told: the quality event's loss and the diagnostics' plain words.
    assert.ok(qualityAtWorst?.metrics?.lossPctIn > 0, `Alice's quality shows no loss: ${JSON.stringify(qualityAtWorst)}`);
  }),
);

test("loss 30 % on Alice's host: video pauses (audio only, the remote is told), the call stays up, video returns after", { timeout: 150_000 }, () =>
  scenario("loss30", "30 % of UDP to and from Alice's host dropped until she sends audio only (at most 30 s)", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await Promise.all([watchLibrary(alice), watchLibrary(bob)]);
    await sleep(1_000);
    const undo = await lab.loss("a", 30);
    const onset = Date.now();
    const audioOnly = await libraryEvent(alice, onset, { event: "qualityLevelChange", to: "audioOnly" }, 30_000);
    // Bob is told that Alice paused her video, and why.
    const told = await libraryEvent(bob, onset, { event: "mediaState", videoPaused: true }, 5_000);
    const senderAtWorst = await videoSender(alice);
    // Two seconds of audio only under the loss: the call is up and audio still arrives.
    await sleep(2_000);
    await undo();
    const clean = Date.now();
    const videoBack = await libraryEvent(alice, clean, { event: "qualityLevelChange", from: "audioOnly" }, 40_000);
    const bobTold = await libraryEvent(bob, clean, { event: "mediaState", videoPaused: false }, 5_000);
    const decodes = await videoGrows(bob, Date.now(), 10, 15_000).then(() => true, () => false);
    await timeline.collect();

    const fault = timeline.find("fault");
    const undone = timeline.find("undo");
    const rel = (e) => ({ ...e, t: e.t - timeline.t0 - fault });
    const rungs = { alice: (await libraryEvents(alice, "qualityLevelChange")).map(rel), bob: (await libraryEvents(bob, "qualityLevelChange")).map(rel) };
    const mediaStates = (await libraryEvents(bob, "mediaState")).map(rel);
    const ticks = mediaTicks(timeline.samples.bob);
    const audioAt = (t) => ticks.find((k) => k.t >= t);
    const audioBytes = (from, to) => {
      const samples = timeline.samples.bob;
      const sum = (t) => samples.filter((s) => Math.abs(s.t - t) < 50).reduce((n, s) => n + s.in.audioBytes, 0);
      const a = audioAt(from);
      const b = [...ticks].reverse().find((k) => k.t <= to);
      return a && b ? sum(b.t) - sum(a.t) : null;
    };
    const audioOnlyAt = rungs.alice.find((e) => e.to === "audioOnly")?.t ?? null;
    const audioDuringPause = audioOnlyAt === null ? null : audioBytes(fault + audioOnlyAt, undone);
    timeline.result = { audioOnlyAfterMs: audioOnlyAt, videoBackAfterCleanMs: (rungs.alice.find((e) => e.from === "audioOnly" && e.t > undone - fault)?.t ?? NaN) - (undone - fault), rungs, mediaStatesAtBob: mediaStates, senderAtWorst, audioBytesAtBobWhilePaused: audioDuringPause, stateChanges: { alice: stateChangesAfter(timeline, "alice", fault), bob: stateChangesAfter(timeline, "bob", fault) } };
    console.log(`loss 30 %: ${JSON.stringify(timeline.result)}`);
    assert.ok(audioOnly, `Alice never went to audio only under 30 % loss: ${JSON.stringify(rungs.alice)}`);
    assert.equal(senderAtWorst?.active, false, `Alice's video encoding is still active at audio only: ${JSON.stringify(senderAtWorst)}`);
    assert.ok(told, `Bob was not told that Alice's video paused: ${JSON.stringify(mediaStates)}`);
    assert.ok(audioDuringPause > 0, `no audio reached Bob while Alice's video was paused (${audioDuringPause} bytes)`);
    for (const name of ["alice", "bob"]) assert.deepEqual(wentDown(timeline, name, fault), [], `${name}'s connection went down under loss`);
    assert.ok(videoBack, `Alice's video did not come back within 40 s of the loss ending: ${JSON.stringify(rungs.alice)}`);
    assert.ok(bobTold, `Bob was not told that Alice's video is back: ${JSON.stringify(mediaStates)}`);
    assert.ok(decodes, "Bob decodes no video after Alice's came back");
  }),
);

test("cap 300 kbit on Alice's host: her video target goes under the cap, her bitrate follows, and Bob's video never freezes for long", { timeout: 120_000 }, () =>
  scenario("cap", "Alice's host may send 300 kbit/s (tbf) for 30 s; the lab watches her outbound RTP bitrate and Bob's decoded frames", async (timeline, keep) => {
    const CAP = 300;
    const HOLD_MS = 30_000;
    const { alice, bob } = keep(await startCall(lab, timeline));
    await Promise.all([watchLibrary(alice), watchLibrary(bob)]);
    // Let the sender ramp up above the cap first (bounded), so the fall is visible.
    const rampUntil = Date.now() + 15_000;
    let before = null;
    while (Date.now() < rampUntil) {
      await sleep(1_000);
      before = await outboundKbps(timeline, alice, 2_000);
      if (before !== null && before > 1.5 * CAP) break;
    }
    const undo = await lab.cap("a", CAP);
    const fault = timeline.find("fault");
    const capEnds = Date.now() + HOLD_MS;
    const windows = [];
    let target = null;
    while (Date.now() < capEnds) {
      await sleep(1_000);
      windows.push({ t: timeline.now() - fault, kbps: await outboundKbps(timeline, alice, 2_000) });
      const sender = await videoSender(alice);
      if (target === null && sender?.maxBitrate !== undefined && sender.maxBitrate < CAP * 1000) target = { t: timeline.now() - fault, ...sender };
    }
    const senderAtEnd = await videoSender(alice);
    await undo();
    await timeline.collect();
    const undone = timeline.find("undo");
    let under = 0;
    const underAt = windows.find((w) => (under = w.kbps !== null && w.kbps < CAP ? under + 1 : 0) >= 2)?.t ?? null;
    const rungs = (await libraryEvents(alice, "qualityLevelChange")).map((e) => ({ ...e, t: e.t - timeline.t0 - fault }));
    // Bob's video, from the moment the cap began to bite (Alice under it) to the end.
    const freezeMs = longestFreeze(timeline, "bob", fault + (underAt ?? 0), undone);
    const freezeWholeMs = longestFreeze(timeline, "bob", fault, undone);
    timeline.result = { capKbit: CAP, kbpsBefore: before, windows, underCapAfterMs: underAt, videoTargetUnderCap: target, senderAtEnd, rungs, longestFreezeAtBobMs: freezeMs, longestFreezeAtBobWholeCapMs: freezeWholeMs, stateChanges: { alice: stateChangesAfter(timeline, "alice", fault), bob: stateChangesAfter(timeline, "bob", fault) } };
    console.log(`cap: ${JSON.stringify(timeline.result)}`);
    assert.ok(before > CAP, `before the cap Alice sent ${before} kbit/s, not above ${CAP}`);
    assert.ok(target !== null, `Alice's video target never went under ${CAP} kbit/s: ${JSON.stringify(rungs)}`);
    assert.notEqual(senderAtEnd?.active, false, `Alice went to audio only under a ${CAP} kbit/s cap, which carries video: ${JSON.stringify(rungs)}`);
    assert.ok(underAt !== null, `Alice's outbound bitrate never fell under ${CAP} kbit/s: ${JSON.stringify(windows)}`);
    // Decoded frames never stop for long once the sender fits the cap (the goal is 1 s;
    // the bound is generous for a loaded machine, and the measured value is in the result).
    assert.ok(freezeMs <= 2_000, `Bob's video froze for ${freezeMs} ms under the cap`);
    await videoGrows(bob, Date.now(), 5, 10_000);
  }),
);
