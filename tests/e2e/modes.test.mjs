// The demo's other modes and its fit (issue #12): a broadcast with a guide, two attendees
// and one of them admitted to speak; a random match of two, then Next to a third; the
// meeting at phone width; and an automated accessibility check (axe-core). Real server,
// built demo, one Chromium process per user, fake camera and microphone. Every wait is
// bounded; each flow ends in a screenshot under target/e2e/.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { user } from "./demo_user.mjs";
import { artifactDir, root, startServer } from "./harness.mjs";

const unique = (what) => `modes-${what}-${process.pid}-${Date.now()}`;
const shot = (page, name) => page.screenshot({ path: join(artifactDir("e2e"), name) });
const WAIT = { timeout: 20_000 };

/** Opens the demo with `query` (room, name, role, mode) and presses Join. */
async function start(page, serverUrl, query) {
  await page.goto(`${serverUrl}/?${new URLSearchParams(query)}`);
  await page.waitForSelector("body[data-ready=true]", WAIT);
  await page.click("#join");
  await page.waitForSelector("#status[data-state=joined]", WAIT);
}

/** Waits until `page` plays video in the tile of the peer named `name`. */
async function seesVideoOf(page, name) {
  await page.waitForFunction((n) => {
    const tile = [...document.querySelectorAll("#remotes .tile")].find((f) => f.querySelector(".name")?.textContent === n);
    return tile !== undefined && tile.checkVisibility() && tile.querySelector("video").videoWidth > 0;
  }, name, WAIT);
}

const tileNames = (page) => page.$$eval("#remotes .tile .name", (all) => all.map((n) => n.textContent).sort());

test("a broadcast: the guide sees the attendee count and raised hands, admits one whose camera reaches everyone, and revokes it", async (t) => {
  // As on `npm start`: nothing is set up ahead; the demo's broadcast mode opens the room as
  // a broadcast room (the dev server creates it on the guide's token request).
  const [key, secret] = ["modes-key", "modes-secret-0123456789abcdef"];
  const server = await startServer({ args: ["--api-key", key, "--api-secret", secret] });
  t.after(() => server.stop());
  const room = unique("stage");
  const auth = `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}`;

  const guide = await user(t);
  const ann = await user(t, { capture: true });
  const bea = await user(t, { capture: true });
  await start(guide.page, server.url, { room, name: "Guide", role: "host", mode: "broadcast" });
  const made = await fetch(`${server.url}/api/rooms/${room}`, { headers: { authorization: auth } }).then((r) => r.json());
  assert.equal(made.mode, "broadcast", "the demo opened a broadcast room");
  await start(ann.page, server.url, { room, name: "Ann", role: "listener", mode: "broadcast" });
  await start(bea.page, server.url, { room, name: "Bea", role: "listener", mode: "broadcast" });

  // The guide: two attendees counted; the attendees: the guide full size, no camera used.
  await guide.page.waitForFunction(() => document.getElementById("attendee-count").textContent === "2", null, WAIT);
  assert.equal(await guide.page.isVisible("#floor"), true);
  for (const attendee of [ann, bea]) {
    await seesVideoOf(attendee.page, "Guide");
    assert.equal(await attendee.page.isVisible(".tile.local"), false, "an attendee shows no tile of its own");
    assert.equal(await attendee.page.evaluate(() => window.__captured.length), 0, "no camera or microphone captured");
    assert.deepEqual(await tileNames(attendee.page), ["Guide"], "attendees do not see each other");
  }
  const guideBox = await ann.page.$eval("#remotes .tile", (f) => f.getBoundingClientRect().width);
  const stageBox = await ann.page.$eval("#stage", (s) => s.getBoundingClientRect().width);
  assert.ok(guideBox > stageBox * 0.95, `the guide's tile spans the stage (${guideBox} of ${stageBox} px)`);
  await shot(ann.page, "modes-broadcast-attendee.png");

  // Ann raises her hand; the guide admits her.
  await ann.page.click("#hand-btn");
  await guide.page.waitForSelector('#hands li[data-raised=true] >> text=Ann', WAIT);
  await guide.page.click('#hands button[aria-label="Admit Ann"]');
  await ann.page.waitForSelector("body[data-role=guest]", WAIT);
  await ann.page.waitForFunction(() => window.room.localMedia().camera === "on" && window.room.canPublish, null, WAIT);
  assert.equal(await ann.page.isVisible("#hand-btn"), false, "no hand to raise while speaking");
  // Her camera reaches the guide and the other attendee.
  await seesVideoOf(guide.page, "Ann");
  await seesVideoOf(bea.page, "Ann");
  await guide.page.waitForSelector('#hands button[aria-label="Revoke Ann"]', WAIT);
  await guide.page.waitForFunction(() => [...document.querySelectorAll("#people li")]
    .some((li) => li.querySelector(".name")?.textContent === "Ann" && li.querySelector(".role")?.textContent === "guest"), null, WAIT);
  await guide.page.waitForFunction(() => document.getElementById("attendee-count").textContent === "1", null, WAIT);
  assert.doesNotMatch(await guide.page.innerText("#log"), /recovering Ann|connection to Ann lost/, "admitting is not a lost connection");
  await shot(guide.page, "modes-broadcast-guide.png");
  await shot(bea.page, "modes-broadcast-attendee-sees-guest.png");

  // Revoked: her camera stops, Bea no longer sees her, she counts as an attendee again.
  await guide.page.click('#hands button[aria-label="Revoke Ann"]');
  await ann.page.waitForSelector("body[data-role=listener]", WAIT);
  await ann.page.waitForFunction(() => window.room.localMedia().camera === "off" && !window.room.canPublish, null, WAIT);
  await ann.page.waitForFunction(() => window.__captured.every((tr) => tr.readyState === "ended"), null, WAIT);
  await bea.page.waitForFunction(() => document.querySelectorAll("#remotes .tile").length === 1, null, WAIT);
  await guide.page.waitForFunction(() => document.getElementById("attendee-count").textContent === "2", null, WAIT);
  await seesVideoOf(ann.page, "Guide");
});

test("a random match: waiting shows the time and the place in line, two are matched, and Next pairs with a third", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const queue = unique("lobby");
  const [ann, ben, cat] = [await user(t), await user(t), await user(t)];
  await start(ann.page, server.url, { room: queue, name: "Ann", mode: "match" });
  await ann.page.waitForSelector("#match-wait", { state: "visible", ...WAIT });
  await ann.page.waitForFunction(() => document.getElementById("match-position").textContent.includes("1st in line"), null, WAIT);
  // The clock runs while waiting.
  await ann.page.waitForFunction(() => document.getElementById("match-waited").textContent !== "0:00", null, WAIT);
  await shot(ann.page, "modes-match-waiting.png");

  await start(ben.page, server.url, { room: queue, name: "Ben", mode: "match" });
  await seesVideoOf(ann.page, "Ben");
  await seesVideoOf(ben.page, "Ann");
  for (const p of [ann.page, ben.page]) assert.equal(await p.isVisible("#match-wait"), false);

  await start(cat.page, server.url, { room: queue, name: "Cat", mode: "match" });
  await cat.page.waitForFunction(() => document.getElementById("match-position").textContent.includes("1st in line"), null, WAIT);

  // Ann moves on: she meets Cat (who waited), and Ben waits again (never Ann right away).
  await ann.page.click("#next-btn");
  await seesVideoOf(ann.page, "Cat");
  await seesVideoOf(cat.page, "Ann");
  assert.deepEqual(await tileNames(ann.page), ["Cat"]);
  await ben.page.waitForSelector("#match-wait", { state: "visible", ...WAIT });
  await ben.page.waitForFunction(() => document.querySelectorAll("#remotes .tile").length === 0, null, WAIT);
  await shot(ann.page, "modes-match-next.png");

  // Leave goes back to the pre-join page; Cat, left alone, goes back to the queue and
  // meets Ben, who was waiting.
  await ann.page.click("#leave");
  await ann.page.waitForSelector("#prejoin", { state: "visible", ...WAIT });
  await seesVideoOf(cat.page, "Ben");
  await seesVideoOf(ben.page, "Cat");
});

test("the meeting at phone width (360 px) and at 1440 px: nothing scrolls sideways and every control is on screen", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = unique("phone");
  const phone = await user(t);
  const other = await user(t);
  await phone.page.setViewportSize({ width: 360, height: 740 });
  await start(other.page, server.url, { room, name: "Desk" });
  await start(phone.page, server.url, { room, name: "Phone" });
  await seesVideoOf(phone.page, "Desk");
  const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide`);
  const outside = await phone.page.$$eval("#controls button:not([hidden]), #controls select", (all) =>
    all.filter((el) => { const r = el.getBoundingClientRect(); return r.left < 0 || r.right > 360 || r.width === 0; }).map((el) => el.id));
  assert.deepEqual(outside, [], "controls outside the screen");
  await phone.page.screenshot({ path: join(artifactDir("e2e"), "modes-phone-meeting.png"), fullPage: true });

  // The same page on a wide screen (1440 px): nothing scrolls sideways, and the remote
  // video uses the room it has (wider than the whole phone screen was).
  await phone.page.setViewportSize({ width: 1440, height: 900 });
  await phone.page.waitForFunction(() => {
    const tile = document.querySelector("#remotes .tile video");
    return document.documentElement.scrollWidth <= 1440 && tile !== null && tile.getBoundingClientRect().width > 360;
  }, null, WAIT);
  const wide = await phone.page.$$eval("#controls button:not([hidden]), #controls select", (all) =>
    all.filter((el) => { const r = el.getBoundingClientRect(); return r.left < 0 || r.right > 1440 || r.width === 0; }).map((el) => el.id));
  assert.deepEqual(wide, [], "controls outside the screen at 1440 px");
  await phone.page.screenshot({ path: join(artifactDir("e2e"), "modes-wide-meeting.png") });
});

/** Serious and critical axe-core violations on `page` now. */
async function violations(page) {
  // Evaluated rather than added as a script tag: the demo's CSP allows no inline script.
  await page.evaluate(readFileSync(join(root, "node_modules", "axe-core", "axe.min.js"), "utf8"));
  const found = await page.evaluate(async () => (await window.axe.run(document, { resultTypes: ["violations"] })).violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`));
  return found;
}

test("accessibility: axe-core finds no serious or critical violation on the pre-join, meeting, broadcast and match pages", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = unique("axe");
  const alice = await user(t);
  const bob = await user(t);
  await alice.page.goto(`${server.url}/?room=${room}&name=Alice`);
  await alice.page.waitForSelector("body[data-ready=true]", WAIT);
  assert.deepEqual(await violations(alice.page), [], "pre-join");
  await alice.page.click("#join");
  await alice.page.waitForSelector("#status[data-state=joined]", WAIT);
  await start(bob.page, server.url, { room, name: "Bob" });
  await seesVideoOf(alice.page, "Bob");
  assert.deepEqual(await violations(alice.page), [], "meeting");

  // A broadcast's two views, the guide's and an attendee's, and a match's waiting page.
  const stage = unique("axe-stage");
  const guide = await user(t);
  const fan = await user(t);
  await start(guide.page, server.url, { room: stage, name: "Guide", role: "host", mode: "broadcast" });
  await start(fan.page, server.url, { room: stage, name: "Fan", role: "listener", mode: "broadcast" });
  await guide.page.waitForFunction(() => document.getElementById("attendee-count").textContent === "1", null, WAIT);
  await seesVideoOf(fan.page, "Guide");
  assert.deepEqual(await violations(guide.page), [], "broadcast: the guide");
  assert.deepEqual(await violations(fan.page), [], "broadcast: an attendee");
  await start(bob.page, server.url, { room: unique("axe-lobby"), name: "Bob", mode: "match" });
  await bob.page.waitForSelector("#match-wait", { state: "visible", ...WAIT });
  assert.deepEqual(await violations(bob.page), [], "match: waiting");
});
