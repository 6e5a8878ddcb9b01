// The network lab's proof scenarios: today's two-browser call under one fault each.
// Each scenario writes target/netlab/<scenario>.json (format in docs/NETLAB.md), also
// when it fails. Needs root; fails with the reason when the lab cannot run here.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { artifactDir } from "../e2e/harness.mjs";
import { TURN_URL, turnCredential } from "./lab.mjs";
import { connected, demoLog, demoTells, libraryConnected, libraryEvents, libraryStates, sleep, startCall, statesNow, videoGrows, waitAllConnected, watchLibrary } from "./call.mjs";
import { stateChangesAfter, useLab } from "./suite.mjs";
import { mediaTicks, perSecond } from "./timeline.mjs";

let lab;
const scenario = useLab((started) => { lab = started; });

/** For each browser: lab time of the first `value` of `kind` after `since`, or null. */
function firstState(timeline, name, kind, value, since) {
  return timeline.states(name, kind).find((e) => e.t >= since && e.value === value)?.t ?? null;
}

/**
 * The 8 s blackout of Alice's host, with Alice in Chromium or (`firefox: "alice"`) in
 * Firefox, Bob in Chromium: the same asserts for both.
 */
async function blackout8(timeline, keep, { firefox, videoWithinMs = 5_000 } = {}) {
  const { alice, bob } = keep(await startCall(lab, timeline, { firefox }));
  await Promise.all([watchLibrary(alice), watchLibrary(bob)]);
  await sleep(1_000);
  await lab.blackout("a", 8);
  const undone = timeline.find("undo");
  // Watch until both are connected with video decoding again, for at most 20 s.
  const back = await waitAllConnected(20_000, alice, bob);
  // (A measurement, not a check: the report's mediaAfterUndo is checked below, against
  // videoWithinMs; a timeout here would hide it.)
  if (back) await Promise.all([videoGrows(alice, Date.now(), 10, videoWithinMs), videoGrows(bob, Date.now(), 10, videoWithinMs)]).catch(() => {});
  // What the pages are told: `recovered` once the connection has held for 1 s.
  if (back) await Promise.all([libraryConnected(alice), libraryConnected(bob)]);
  await timeline.collect();

  const fault = timeline.find("fault");
  const rel = (t, from) => (t === null || t === undefined ? null : t - from);
  const report = {};
  for (const [name, b] of [["alice", alice], ["bob", bob]]) {
    const lib = await libraryStates(b);
    report[name] = {
      browser: b.kind,
      iceDisconnectedAfterFault: rel(firstState(timeline, name, "iceConnectionState", "disconnected", fault), fault),
      iceLeftConnectedAfterFault: rel(timeline.states(name, "iceConnectionState").find((e) => e.t >= fault && e.value !== "connected" && e.value !== "completed")?.t, fault),
      disconnectedAfterFault: rel(firstState(timeline, name, "connectionState", "disconnected", fault), fault),
      failedAfterFault: rel(firstState(timeline, name, "connectionState", "failed", fault), fault),
      connectedAfterUndo: rel(firstState(timeline, name, "connectionState", "connected", undone), undone),
      mediaAfterUndo: rel(timeline.media[name].firstAfterUndo, undone),
      finalStates: await statesNow(b),
      libraryReconnectingAfterFault: rel(lib.find((e) => e.to === "reconnecting" && e.t - timeline.t0 >= fault)?.t - timeline.t0, fault),
      libraryReason: lib.find((e) => e.to === "reconnecting")?.reason,
      libraryStates: lib.filter((e) => e.t - timeline.t0 >= fault).map((e) => `${e.to}@${e.t - timeline.t0 - fault}`),
    };
    if (Number.isNaN(report[name].libraryReconnectingAfterFault)) report[name].libraryReconnectingAfterFault = null;
  }
  timeline.result = { blackoutMs: undone - fault, cameBackByItself: back, ...report };
  console.log(`${timeline.scenario}: ${JSON.stringify(timeline.result)}`);
  for (const e of timeline.events.filter((e) => e.t >= fault - 500 && !["signalingState", "iceGatheringState"].includes(e.kind))) {
    console.log(`  ${String(e.t - fault).padStart(6)} ms  ${e.source.padEnd(5)} ${e.kind} ${e.value ?? e.fault ?? ""}`);
  }
  // Both browsers notice: ICE leaves `connected` during the blackout (Chromium says
  // `disconnected`; Firefox goes `checking` with the library's ICE restart). The library
  // recovers the call (an ICE restart within 8 s, so the connection is never rebuilt),
  // and video decodes again within 5 s of the network's return (`videoWithinMs`).
  for (const name of ["alice", "bob"]) {
    const d = report[name].iceLeftConnectedAfterFault;
    assert.ok(d !== null && d <= undone - fault, `${name} (${report[name].browser}): ICE never left connected during the blackout`);
    assert.equal(firstState(timeline, name, "connectionState", "closed", fault), null, `${name}'s connection was closed`);
  }
  assert.ok(back, "the call did not come back to connected within 20 s after the blackout");
  // The library saw it from getStats (nothing arriving for about a second) before the
  // browser said `disconnected` (Chromium: about 5.5 s), and told the page.
  for (const name of ["alice", "bob"]) {
    const lib = report[name].libraryReconnectingAfterFault;
    const browserSaid = report[name].disconnectedAfterFault;
    assert.ok(lib !== null && lib <= 3_500, `${name} (${report[name].browser}): the library reported reconnecting ${lib} ms after the blackout began`);
    assert.ok(browserSaid === null || lib < browserSaid, `${name}: reconnecting at ${lib} ms, not before the browser's disconnected at ${browserSaid} ms`);
  }
  for (const name of ["alice", "bob"]) {
    const media = report[name].mediaAfterUndo;
    assert.ok(media !== null && media <= videoWithinMs, `${name}'s video resumed ${media} ms after the network returned (allowed: ${videoWithinMs} ms)`);
    // What the page shows at the end: the peer connected again.
    assert.match(report[name].libraryStates.at(-1) ?? "", /^connected@/, `${name}'s page last heard ${report[name].libraryStates.at(-1)}`);
  }
  return report;
}

test("blackout 8 s: the call comes back by itself, and what Chromium reports, when", { timeout: 90_000 }, () =>
  scenario("blackout", "everything to and from Alice's host dropped for 8 s; the lab watches 20 s more", async (timeline, keep) => {
    const report = await blackout8(timeline, keep);
    // Chromium says `disconnected` itself during an 8 s blackout (after about 5.5 s).
    for (const name of ["alice", "bob"]) {
      const d = report[name].iceDisconnectedAfterFault;
      assert.ok(d !== null && d <= timeline.result.blackoutMs, `${name} never reported iceConnectionState disconnected during the blackout`);
      assert.ok(report[name].disconnectedAfterFault !== null, `${name}: Chromium never said disconnected`);
    }
  }),
);

// The same blackout with Alice in Firefox (geckodriver inside her host, reached through a
// unix socket, so the blackout does not cut the test off from her browser) and Bob in
// Chromium. Video must be back within 8 s of the return, not 5: when the two sides' ICE
// restarts cross right after the return, Firefox may stay `checking` after answering
// Chromium's until it restarts ICE itself, which the library makes it do 2 s after the
// exchange (measured: video 3.2-3.7 s after the return in 3 of 10 runs; 0.6-1.0 s
// otherwise). See BROWSERS.md.
test("blackout 8 s with Firefox on the blacked-out host: the call comes back by itself", { timeout: 120_000 }, () =>
  scenario("blackout-firefox", "Alice in Firefox, Bob in Chromium; everything to and from Alice's host dropped for 8 s; the lab watches 20 s more", async (timeline, keep) => {
    const report = await blackout8(timeline, keep, { firefox: "alice", videoWithinMs: 8_000 });
    assert.equal(report.alice.browser, "firefox");
    assert.equal(report.bob.browser, "chromium");
  }),
);

/** Waits (at most `timeoutMs`) for the demo's boundary of `kind` on `b`; records when in `shown[b.name]`. */
function boundaryShown(timeline, b, kind, timeoutMs, shown) {
  return b.page.waitForSelector(`#boundary[data-kind=${kind}]`, { state: "visible", timeout: timeoutMs })
    .then(() => { shown[b.name] = timeline.now(); }, () => {});
}

/** The boundary's words on each page: title, what happened, what to do. */
async function boundaryTexts(...browsers) {
  const texts = {};
  for (const b of browsers) {
    texts[b.name] = await b.page.evaluate(() => ({
      title: document.getElementById("boundary-title")?.innerText,
      what: document.getElementById("boundary-what")?.innerText,
      next: document.getElementById("boundary-next")?.innerText,
    }));
  }
  return texts;
}

/**
 * Try Again on the pages `pressed` (both by default): a new call (the sessions left are
 * joined anew), connected with video both ways. Returns the lab time from `since` until
 * then, or null if it did not come.
 */
async function tryAgain(timeline, alice, bob, since, pressed = [alice, bob]) {
  for (const b of pressed) await b.page.click("#try-again");
  let back = true;
  await Promise.all([connected(alice, 30_000), connected(bob, 30_000)]).catch(() => { back = false; });
  if (back) await Promise.all([videoGrows(alice, Date.now(), 10, 15_000), videoGrows(bob, Date.now(), 10, 15_000)]).catch(() => { back = false; });
  return back ? timeline.now() - since : null;
}

// Recovery that cannot succeed: Alice's host is cut off for 20 s, longer than the
// pages' recoveryTimeoutMs (8 s; the default is 5 minutes). Each library gives the
// connection up on its own when the time is up, whatever step it is on, and says why; the
// demo shows what happened and what to do, and its Try Again brings the call back once
// the network is.
test("blackout 20 s past an 8 s recoveryTimeoutMs: both pages give up and say so, and Try Again brings the call back", { timeout: 120_000 }, () =>
  scenario("recovery-exhausted", "everything to and from Alice's host dropped for 20 s; both pages join with recoveryTimeoutMs=8000; then Try Again on both", async (timeline, keep) => {
    const query = { recoveryTimeoutMs: "8000" };
    const { alice, bob } = keep(await startCall(lab, timeline, { query }));
    await Promise.all([watchLibrary(alice), watchLibrary(bob)]);
    await sleep(1_000);
    const shown = {};
    const blackout = lab.blackout("a", 20);
    await sleep(100);
    await Promise.all([alice, bob].map((b) => boundaryShown(timeline, b, "recoveryExhausted", 19_000, shown)));
    const texts = await boundaryTexts(alice, bob);
    await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-recovery-exhausted.png") }).catch(() => {});
    const gaveUp = {};
    for (const b of [alice, bob]) {
      const lib = await libraryStates(b);
      const lost = lib.find((e) => e.to === "reconnecting");
      const failed = lib.find((e) => e.to === "failed");
      gaveUp[b.name] = { reason: failed?.reason, afterLossMs: lost && failed ? failed.t - lost.t : null };
    }
    await blackout;
    const undone = timeline.find("undo");
    const fault = timeline.find("fault");
    const backAfterUndoMs = await tryAgain(timeline, alice, bob, undone);
    await timeline.collect();
    timeline.result = {
      boundaryAfterFaultMs: { alice: shown.alice - fault, bob: shown.bob - fault },
      gaveUp,
      texts,
      backAfterUndoMs,
    };
    console.log(`recovery-exhausted: ${JSON.stringify(timeline.result)}`);
    for (const name of ["alice", "bob"]) {
      assert.ok(shown[name] !== undefined && shown[name] < undone, `${name}'s page did not show "could not be recovered" during the blackout`);
      assert.match(gaveUp[name].reason ?? "", /^recoveryExhausted: not connected again within 8\d{3} ms$/, `${name}'s library said ${gaveUp[name].reason}`);
      // Given up when the 8 s were up (after the page heard reconnecting), not later.
      assert.ok(gaveUp[name].afterLossMs >= 7_900 && gaveUp[name].afterLossMs <= 9_500, `${name} gave up ${gaveUp[name].afterLossMs} ms after the loss`);
      assert.match(texts[name].title ?? "", /could not be recovered/);
      assert.match(texts[name].next ?? "", /try again/i);
    }
    assert.ok(backAfterUndoMs !== null, "Try Again did not bring the call back (connected, video both ways) within 45 s of the network's return");
  }),
);

// A join whose call never connects: Alice's host is isolated (media cut, TURN included;
// signaling up) before either page joins. Both pages join the room, and 30 s after the
// other arrived the demo says the call did not connect and what to do; once the network
// is back, Try Again connects. Both pages' 30 s start together: the page whose time is up
// first leaves, and the other may see it leave a few milliseconds before its own time is
// up, and then waits alone in the room, which is not a failure. So at least one page says
// it, each page that says it says it at 30 s, and Try Again is pressed where it is shown.
test("media cut from the start: the pages say the call did not connect within 30 s, and Try Again connects once it can", { timeout: 120_000 }, () =>
  scenario("join-timeout", "Alice's host isolated (media cut, signaling up) before both join; lifted after both pages gave up; then Try Again on both", async (timeline, keep) => {
    const alice = await lab.browser.call(lab, "a", "alice");
    const bob = await lab.browser.call(lab, "b", "bob").catch(async (e) => { await alice.close(); throw e; });
    keep({ alice, bob, close: () => Promise.all([alice.close(), bob.close()]) });
    timeline.watch(alice, bob);
    const undo = await lab.isolate("a");
    const room = `netlab-join-timeout-${process.pid}`;
    await alice.join(room, "Alice");
    await bob.join(room, "Bob");
    const bobJoined = timeline.now();
    const shown = {};
    await Promise.race([alice, bob].map((b) => boundaryShown(timeline, b, "joinTimeout", 40_000, shown)));
    // The other page's own 30 s ends within milliseconds, unless it saw this one leave.
    await Promise.all([alice, bob].map((b) => boundaryShown(timeline, b, "joinTimeout", 2_000, shown)));
    const said = [alice, bob].filter((b) => shown[b.name] !== undefined);
    const texts = await boundaryTexts(...said);
    if (said[0]) await said[0].page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-join-timeout.png") }).catch(() => {});
    await undo();
    const undone = timeline.find("undo");
    const backAfterUndoMs = await tryAgain(timeline, alice, bob, undone, said);
    await timeline.collect();
    timeline.result = {
      boundaryAfterBobJoinedMs: { alice: shown.alice - bobJoined, bob: shown.bob - bobJoined },
      texts,
      backAfterUndoMs,
    };
    console.log(`join-timeout: ${JSON.stringify(timeline.result)}`);
    assert.ok(said.length > 0, "no page said the call did not connect within 40 s");
    for (const name of said.map((b) => b.name)) {
      const after = shown[name] - bobJoined;
      assert.ok(after >= 29_000 && after <= 33_000, `${name}'s page showed "did not connect" ${after} ms after Bob joined (not 30 s)`);
      assert.match(texts[name].title ?? "", /took too long/);
      assert.match(texts[name].what ?? "", /30 seconds/);
      assert.match(texts[name].next ?? "", /firewall|TURN/);
    }
    assert.ok(backAfterUndoMs !== null, "Try Again did not connect the call (video both ways) within 45 s of the network's return");
  }),
);

// The whole TURN chain: the server issues ephemeral coturn credentials and sends them in
// `welcome`, the library puts them into its peer connections (the demo passes no ICE
// servers), and coturn accepts them. The lab only forces relay-only ICE.
test("blockUdp with TURN: the selected pair is a relay over TCP and media flows", { timeout: 90_000 }, () =>
  scenario("turn", "UDP blocked to and from both browser hosts; relay-only ICE through coturn over TCP, with credentials the server issued", async (timeline, keep) => {
    await lab.blockUdp("a");
    await lab.blockUdp("b");
    const rtcConfig = () => ({ iceTransportPolicy: "relay" });
    const { alice, bob } = keep(await startCall(lab, timeline, { rtcConfig }));
    await Promise.all([videoGrows(alice, Date.now(), 20), videoGrows(bob, Date.now(), 20)]);
    await timeline.collect();
    const pairs = { alice: timeline.samples.alice.at(-1)?.pair, bob: timeline.samples.bob.at(-1)?.pair };
    const created = timeline.states("alice", "created")[0];
    timeline.result = { pairs, iceTransportPolicy: created?.value, callUpMs: timeline.find("callUp") };
    console.log(`turn: ${JSON.stringify(timeline.result)}`);
    assert.equal(created?.value, "relay", "the page's connection was not relay-only");
    // The library used the TURN server and credential the server issued, not the lab's.
    for (const name of ["alice", "bob"]) {
      const servers = timeline.states(name, "created")[0]?.iceServers ?? [];
      const turn = servers.find((s) => [s.urls].flat().includes(TURN_URL));
      assert.ok(turn, `${name}'s peer connection has no ${TURN_URL}: ${JSON.stringify(servers)}`);
      assert.match(turn.username ?? "", /^\d{10}:.+/, `${name}'s TURN username is not <expiry>:<identity>`);
      assert.equal(turn.credential, turnCredential(lab.turnSecret, turn.username), `${name}'s TURN credential is not HMAC-SHA1 of its username`);
    }
    timeline.result.turnUsernames = Object.fromEntries(["alice", "bob"].map((n) => [n, timeline.states(n, "created")[0]?.iceServers.find((s) => [s.urls].flat().includes(TURN_URL))?.username]));
    for (const [name, pair] of Object.entries(pairs)) {
      assert.equal(pair?.local?.type, "relay", `${name}'s selected pair is not a relay pair: ${JSON.stringify(pair)}`);
      assert.equal(pair?.local?.relayProtocol, "tcp", `${name} reaches TURN over ${pair?.local?.relayProtocol}, not TCP`);
    }
    // The library saw it too, and says so in plain words in its diagnostics.
    for (const b of [alice, bob]) {
      const advice = await b.page.waitForFunction(() => {
        const text = window.room?.diagnostics().peers[0]?.recommendations.join(" ") ?? "";
        return text.includes("UDP is blocked") ? text : null;
      }, null, { timeout: 10_000, polling: 250 }).then((h) => h.jsonValue());
      assert.match(advice, /TURN\/TCP/);
      timeline.result[`${b.name}Recommendations`] = advice;
      timeline.result[`${b.name}Diagnostics`] = await b.page.evaluate(() => window.room.diagnostics());
    }
  }),
);

test("killServer during a call: media keeps flowing, both pages rejoin the restarted server", { timeout: 90_000 }, () =>
  scenario("kill-server", "the signaling server (fixed token secret) is SIGKILLed mid-call and restarted 6 s later", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await sleep(1_000);
    await lab.killServer();
    const fault = timeline.find("fault");
    // Media keeps flowing without the server: video keeps decoding on both sides for 6 s.
    const watchFrom = Date.now();
    await sleep(6_000);
    await Promise.all([videoGrows(alice, watchFrom, 60, 1_000), videoGrows(bob, watchFrom, 60, 1_000)]);
    await lab.restartServer();
    const restarted = timeline.now();
    const health = await alice.page.evaluate((url) => fetch(`${url}/health`).then((r) => r.status), lab.serverUrl);
    // The restarted server knows no session: both pages rejoin with their tokens (the
    // secret is fixed), rebuild the call with the peer's new id, and media flows again.
    const rejoined = async (b) => {
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline) {
        if ((await demoLog(b)).some((l) => l.includes("signaling connected (rejoined)"))) return true;
        await sleep(250);
      }
      return false;
    };
    const rejoinedBoth = await Promise.all([rejoined(alice), rejoined(bob)]);
    const callBack = await waitAllConnected(20_000, alice, bob);
    if (callBack) await Promise.all([videoGrows(alice, Date.now(), 10, 10_000), videoGrows(bob, Date.now(), 10, 10_000)]);
    await timeline.collect();
    const socketClosed = {};
    for (const name of ["alice", "bob"]) socketClosed[name] = (timeline.states(name, "websocket").find((e) => e.t >= fault && e.value === "closed")?.t ?? NaN) - fault;
    const ticks = { alice: mediaTicks(timeline.samples.alice), bob: mediaTicks(timeline.samples.bob) };
    const fps = (k) => Math.round(10 * perSecond(k, "frames", fault, fault + 6_000)) / 10;
    timeline.result = {
      socketClosedAfterMs: socketClosed,
      videoFpsWithoutServer: { alice: fps(ticks.alice), bob: fps(ticks.bob) },
      stateChanges: { alice: stateChangesAfter(timeline, "alice", fault), bob: stateChangesAfter(timeline, "bob", fault) },
      healthAfterRestart: health,
      socketReopened: { alice: timeline.states("alice", "websocket").some((e) => e.t >= restarted && e.value === "open"), bob: timeline.states("bob", "websocket").some((e) => e.t >= restarted && e.value === "open") },
      rejoined: { alice: rejoinedBoth[0], bob: rejoinedBoth[1] },
      callBackAfterRestartMs: callBack ? timeline.now() - restarted : null,
    };
    console.log(`kill-server: ${JSON.stringify(timeline.result)}`);
    // Without the server, no connection changed state for 6 s.
    const early = (name) => timeline.states(name, "connectionState").filter((e) => e.t > fault && e.t < restarted).map((e) => e.value);
    assert.deepEqual({ alice: early("alice"), bob: early("bob") }, { alice: [], bob: [] });
    assert.equal(health, 200);
    assert.deepEqual(timeline.result.socketReopened, { alice: true, bob: true });
    assert.deepEqual(timeline.result.rejoined, { alice: true, bob: true });
    assert.ok(callBack, "the call did not come back after the server restarted");
  }),
);

// Longer than the server's 15 s heartbeat timeout: Alice's signaling socket dies too. The
// library must notice (its heartbeat watchdog), reconnect and resume the session (so Bob
// sees no leave), and tell the page what happened. Whether Chromium's own ICE or the
// library's ICE restart brings the media path back first is recorded, not asserted: both
// race once the network returns.
test("blackout 30 s: the call comes back, the session resumes, and the page is told", { timeout: 120_000 }, () =>
  scenario("long-blackout", "everything to and from Alice's host dropped for 30 s (signaling included); the lab watches 40 s more", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await sleep(1_000);
    await lab.blackout("a", 30);
    const undone = timeline.find("undo");
    // Back means: every live connection of both pages connected, and video decoding again.
    const back = await waitAllConnected(40_000, alice, bob);
    if (back) await Promise.all([videoGrows(alice, Date.now(), 10, 10_000), videoGrows(bob, Date.now(), 10, 10_000)]);
    // What the pages are told: a recovery, once the connection has held for 1 s.
    if (back) await Promise.all([demoTells(alice, /connection to Bob recovered/), demoTells(bob, /connection to Alice recovered/)]);
    await timeline.collect();

    const fault = timeline.find("fault");
    const report = {};
    for (const [name, b] of [["alice", alice], ["bob", bob]]) {
      const at = (value) => firstState(timeline, name, "connectionState", value, fault);
      report[name] = {
        disconnectedAfterFault: at("disconnected") === null ? null : at("disconnected") - fault,
        failedAfterFault: at("failed") === null ? null : at("failed") - fault,
        connectedAfterUndo: firstState(timeline, name, "connectionState", "connected", undone) === null ? null : firstState(timeline, name, "connectionState", "connected", undone) - undone,
        mediaAfterUndo: timeline.media[name].firstAfterUndo === undefined || timeline.media[name].firstAfterUndo === null ? null : timeline.media[name].firstAfterUndo - undone,
        library: (await demoLog(b)).filter((l) => /lost|recover|failed|signaling/.test(l)),
      };
    }
    timeline.result = { blackoutMs: undone - fault, cameBack: back, ...report };
    console.log(`long-blackout: ${JSON.stringify(timeline.result)}`);
    assert.ok(back, "the call did not come back within 40 s after a 30 s blackout");
    assert.ok(report.alice.library.some((l) => l.includes("signaling connected (resumed)")), "Alice's session was not resumed");
    assert.ok(report.alice.library.some((l) => /connection to Bob recovered/.test(l)), "Alice's page did not report the recovery");
    assert.ok(!(await demoLog(bob)).some((l) => /Alice (left|disconnected)/.test(l)), "Bob saw Alice leave: the session was not resumed in time");
  }),
);

/** Runs `scenario`-style recovery checks shared by the long faults below. */
/** The demo's line for a recovery: which level brought the call back, and when. */
const RECOVERED_BY = /recovered by (.+) after ([\d.]+) s/;

async function recoveryReport(timeline, alice, bob, undone) {
  const report = {};
  for (const [name, b] of [["alice", alice], ["bob", bob]]) {
    const media = timeline.media[name].firstAfterUndo;
    const lines = await demoLog(b);
    report[name] = {
      mediaAfterUndo: media === undefined || media === null ? null : media - undone,
      recoveredBy: lines.map((l) => RECOVERED_BY.exec(l)).filter(Boolean).map((m) => `${m[1]} (${m[2]} s)`),
      attempts: lines.filter((l) => l.includes("recovering ")).map((l) => l.replace(/^\S+ \S+ /, "")),
    };
  }
  return report;
}

// Media cut between the browsers (TURN included) while both keep their signaling: ICE
// restarts cannot succeed, a new signaling socket does not help, so the ladder must reach
// its last rung and rebuild the connection on both sides; once the cut is lifted the call
// must come back by itself.
test("media blocked 30 s with signaling up: the ladder reaches a full reconnect and the call comes back", { timeout: 120_000 }, () =>
  scenario("media-block", "everything between Alice's host and anything but the server dropped for 30 s; the lab watches 30 s more", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await sleep(1_000);
    const undo = await lab.isolate("a");
    await sleep(30_000);
    await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-join-timeout.png") }).catch(() => {});
    await undo();
    const undone = timeline.find("undo");
    const back = await waitAllConnected(30_000, alice, bob);
    if (back) await Promise.all([videoGrows(alice, Date.now(), 10, 10_000), videoGrows(bob, Date.now(), 10, 10_000)]);
    if (back) await Promise.all([alice, bob].map((b) => demoTells(b, RECOVERED_BY)));
    await timeline.collect();
    const report = await recoveryReport(timeline, alice, bob, undone);
    const fault = timeline.find("fault");
    const sessionLost = async (b) => (await demoLog(b)).some((l) => /signaling (reconnecting|rejoining)/.test(l) && !l.includes("for a link's recovery"));
    timeline.result = { blockMs: undone - fault, cameBack: back, ...report, sessionDroppedByItself: { alice: await sessionLost(alice), bob: await sessionLost(bob) } };
    console.log(`media-block: ${JSON.stringify(timeline.result)}`);
    assert.ok(back, "the call did not come back within 30 s after the block was lifted");
    for (const name of ["alice", "bob"]) {
      assert.ok(report[name].attempts.some((l) => l.includes("a new peer connection")), `${name}'s ladder never reached a full reconnect: ${JSON.stringify(report[name].attempts)}`);
      assert.ok(report[name].recoveredBy.length > 0, `${name}'s page did not say what recovered the call`);
      assert.ok(report[name].mediaAfterUndo !== null, `${name}'s video did not resume`);
    }
  }),
);

test("blackout 45 s: the call comes back by itself and the page says which level recovered it", { timeout: 150_000 }, () =>
  scenario("blackout-45", "everything to and from Alice's host dropped for 45 s (signaling included); the lab watches 40 s more", async (timeline, keep) => {
    const { alice, bob } = keep(await startCall(lab, timeline));
    await sleep(1_000);
    await lab.blackout("a", 45);
    const undone = timeline.find("undo");
    const back = await waitAllConnected(40_000, alice, bob);
    if (back) await Promise.all([videoGrows(alice, Date.now(), 10, 10_000), videoGrows(bob, Date.now(), 10, 10_000)]);
    if (back) await Promise.all([alice, bob].map((b) => demoTells(b, RECOVERED_BY)));
    await timeline.collect();
    const report = await recoveryReport(timeline, alice, bob, undone);
    timeline.result = { blackoutMs: undone - timeline.find("fault"), cameBack: back, ...report };
    console.log(`blackout-45: ${JSON.stringify(timeline.result)}`);
    assert.ok(back, "the call did not come back within 40 s after a 45 s blackout");
    for (const name of ["alice", "bob"]) {
      assert.ok(report[name].recoveredBy.length > 0, `${name}'s page did not say what recovered the call`);
      assert.ok(report[name].mediaAfterUndo !== null, `${name}'s video did not resume`);
    }
  }),
);
