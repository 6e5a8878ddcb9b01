// Today's call in the lab: Alice's browser on host a, Bob's on host b, both in one room of
// the demo page, joined through the e2e harness's `joinDemo` (so the demo's own join steps,
// such as fetching a token, stay in one place). What the lab reads from the page beyond
// that comes from the recorder (recorder.mjs), not from the demo's markup.

/**
 * Starts a two-browser call; resolves once both connections are up and video decodes both
 * ways. Both browsers are Chromium unless `firefox` names one (`"alice"`: Alice's browser
 * on host a is Firefox). `query`: more parameters for the demo page's address (Chromium).
 */
export async function startCall(lab, timeline, { rtcConfig, timeoutMs = 30_000, firefox, query } = {}) {
  const room = `netlab-${timeline.scenario}-${process.pid}`;
  const open = (host, name) => (firefox === name ? lab.firefox : lab.browser).call(lab, host, name, { rtcConfig: rtcConfig?.(name) });
  const alice = await open("a", "alice");
  let bob;
  try {
    bob = await open("b", "bob");
  } catch (e) {
    await alice.close();
    throw e;
  }
  timeline.watch(alice, bob);
  await alice.join(room, "Alice", { timeoutMs, query });
  await bob.join(room, "Bob", { timeoutMs, query });
  await Promise.all([connected(alice, timeoutMs), connected(bob, timeoutMs)]);
  await Promise.all([videoGrows(alice, timeline.t0, 10, timeoutMs), videoGrows(bob, timeline.t0, 10, timeoutMs)]);
  timeline.lab("callUp");
  return { alice, bob, close: () => Promise.all([alice.close(), bob.close()]) };
}

/** Resolves when one of the page's peer connections is `connected`. */
export function connected(browser, timeoutMs = 20_000) {
  return browser.page.waitForFunction(() => window.__netlab?.pcs.some((pc) => pc.connectionState === "connected"), null, { timeout: timeoutMs, polling: 100 });
}

/** Resolves once at least `frames` video frames were decoded (over every connection) after wall time `sinceMs`. */
export function videoGrows(browser, sinceMs, frames = 10, timeoutMs = 10_000) {
  return browser.page.waitForFunction(([since, want]) => {
    const samples = window.__netlab?.samples ?? [];
    const frames = (pick) => {
      const s = pick();
      if (!s) return undefined;
      return samples.filter((x) => Math.abs(x.t - s.t) < 50).reduce((n, x) => n + x.in.frames, 0);
    };
    const first = frames(() => samples.find((x) => x.t >= since));
    const last = frames(() => samples[samples.length - 1]);
    return first !== undefined && last - first >= want;
  }, [sinceMs, frames], { timeout: timeoutMs, polling: 100 });
}

/** The page's connection states right now, e.g. [{connectionState, iceConnectionState}]. */
export function statesNow(browser) {
  return browser.page.evaluate(() => window.__netlab.pcs.map((pc) => ({ connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState })));
}

/**
 * Whether every live connection of the pages is `connected` (at least one each). A
 * connection the library closed to build a new one (a full reconnect) is not live.
 */
export async function allConnected(...browsers) {
  for (const b of browsers) {
    const live = (await statesNow(b)).filter((s) => s.connectionState !== "closed");
    if (live.length === 0 || !live.every((s) => s.connectionState === "connected")) return false;
  }
  return true;
}

/** Polls `allConnected` every 250 ms until it holds or `ms` passed; returns whether it held. */
export async function waitAllConnected(ms, ...browsers) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await allConnected(...browsers)) return true;
    await sleep(250);
  }
  return false;
}

/**
 * Records the library's own `stateChange`, `qualityLevelChange` and `mediaState` events
 * (wall time, `event` naming which) in the page, from now on.
 */
export async function watchLibrary(browser) {
  await browser.page.evaluate(() => {
    window.__lib = [];
    for (const event of ["stateChange", "qualityLevelChange", "mediaState"]) {
      window.room.on(event, (e) => window.__lib.push({ t: Date.now(), event, ...JSON.parse(JSON.stringify(e)) }));
    }
  });
}

/**
 * Resolves true once the last library `stateChange` recorded by `watchLibrary` is
 * `connected` (the library tells a recovery once it has held for 1 s), false after
 * `timeoutMs`.
 */
export function libraryConnected(browser, timeoutMs = 3_000) {
  return browser.page.waitForFunction(() => (window.__lib ?? []).filter((e) => e.event === "stateChange").at(-1)?.to === "connected", null, { timeout: timeoutMs, polling: 100 })
    .then(() => true, () => false);
}

/** The library `stateChange` events recorded by `watchLibrary`. */
export function libraryStates(browser) {
  return browser.page.evaluate(() => (window.__lib ?? []).filter((e) => e.event === "stateChange"));
}

/** The library events of `event` recorded by `watchLibrary`. */
export function libraryEvents(browser, event) {
  return browser.page.evaluate((name) => (window.__lib ?? []).filter((e) => e.event === name), event);
}

/** The demo's log lines, oldest first. */
export async function demoLog(browser) {
  return (await browser.page.evaluate(() => document.getElementById("log")?.innerText ?? "")).split("\n").reverse();
}

/**
 * Resolves true once a line of the demo's log matches `pattern`, false after
 * `timeoutMs`. A recovery is told once the connection has held for 1 s
 * (`RoomConfig.recoveredHoldMs`), so it follows the media by about a second.
 */
export function demoTells(browser, pattern, timeoutMs = 5_000) {
  return browser.page.waitForFunction((source) => new RegExp(source).test(document.getElementById("log")?.innerText ?? ""), pattern.source, { timeout: timeoutMs, polling: 100 })
    .then(() => true, () => false);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
