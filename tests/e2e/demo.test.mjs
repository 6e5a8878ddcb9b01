// The demo as a user sees it (issue #12): the pre-join preview, the meeting's tiles and
// icons, recording consent, chat, and the error boundary. Real server, built demo,
// separate Chromium processes with fake camera and microphone. Every wait is bounded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { TRACK_CAPTURE, user } from "./demo_user.mjs";
import { artifactDir, joinDemo, startServer } from "./harness.mjs";

const uniqueRoom = (what) => `demo-${what}-${process.pid}-${Date.now()}`;

/** The tile of the peer named `name` in `page`, as a selector. */
const remoteTile = async (page, name) => {
  const handle = await page.waitForFunction((n) => [...document.querySelectorAll("#remotes .tile")].find((f) => f.querySelector(".name")?.textContent === n)?.dataset.peerId, name, { timeout: 15_000 });
  return `#remotes .tile[data-peer-id="${await handle.jsonValue()}"]`;
};

test("pre-join: the preview shows a live camera track, the meter moves, and joining hands the camera over", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const alice = await user(t);
  await alice.page.addInitScript(TRACK_CAPTURE);
  await alice.page.goto(`${server.url}/?room=${uniqueRoom("prejoin")}&name=Alice`);
  await alice.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  // First visit: nothing is captured until the user asks (the browser's prompt comes after the page said why).
  assert.equal(await alice.page.evaluate(() => window.__captured.length), 0, "no capture before the click");
  await alice.page.click("#preview-start");
  await alice.page.waitForSelector("#prejoin[data-preview=on]", { timeout: 10_000 });
  const preview = await alice.page.evaluate(() => {
    const s = document.getElementById("preview").srcObject;
    return s.getTracks().map((tr) => `${tr.kind}:${tr.readyState}`).sort();
  });
  assert.deepEqual(preview, ["audio:live", "video:live"]);
  await alice.page.waitForFunction(() => document.getElementById("preview").videoWidth > 0, null, { timeout: 10_000 });
  // The fake microphone plays a tone: the meter shows a level above zero.
  await alice.page.waitForFunction(() => Number(document.getElementById("meter").getAttribute("aria-valuenow")) > 0, null, { timeout: 10_000 });
  // The device pickers list the fake devices once the page may capture, the one in use selected.
  const mics = await alice.page.evaluate(() => [...document.querySelectorAll("#mic-select option")].map((o) => o.textContent));
  assert.ok(mics.length >= 2 && mics.every((l) => l.length > 0), JSON.stringify(mics));
  const inUse = await alice.page.evaluate(() => document.getElementById("preview").srcObject.getVideoTracks()[0].getSettings().deviceId);
  assert.equal(await alice.page.$eval("#camera-select", (s) => s.value), inUse);
  await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-prejoin.png") });

  // Turning the camera off in the pre-join stops its capture (the light goes out).
  await alice.page.uncheck("#video");
  await alice.page.waitForSelector("#prejoin[data-preview=on]", { timeout: 10_000 });
  await alice.page.waitForFunction(() => window.__captured.filter((tr) => tr.kind === "video" && tr.readyState === "live").length === 0, null, { timeout: 5_000 });
  await alice.page.check("#video");
  await alice.page.waitForFunction(() => document.getElementById("preview").srcObject?.getVideoTracks()[0]?.readyState === "live", null, { timeout: 10_000 });

  // Joining publishes the preview's tracks: the camera is not opened a second time.
  const before = await alice.page.evaluate(() => window.__captured.length);
  await alice.page.click("#join");
  await alice.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
  assert.equal(await alice.page.evaluate(() => window.__captured.length), before, "no new capture on join");
  assert.deepEqual(await alice.page.evaluate(() => window.__captured.filter((tr) => tr.readyState === "live").map((tr) => tr.kind).sort()), ["audio", "video"]);
});

test("pre-join: blocked or busy camera gets a message with what to do, and joining without it works", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const alice = await user(t);
  // getUserMedia fails as the browser would: denied, then held by another app.
  await alice.page.addInitScript(() => {
    window.__gumError = "NotAllowedError";
    navigator.mediaDevices.getUserMedia = async () => { throw new DOMException("refused by the test", window.__gumError); };
  });
  await alice.page.goto(`${server.url}/?room=${uniqueRoom("denied")}&name=Alice`);
  await alice.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  await alice.page.click("#preview-start");
  await alice.page.waitForSelector("#media-error[data-code=mediaPermissionDenied]", { state: "visible", timeout: 10_000 });
  assert.match(await alice.page.innerText("#media-error"), /blocked[\s\S]*Allow/);
  await alice.page.evaluate(() => { window.__gumError = "NotReadableError"; });
  await alice.page.click("#media-retry");
  await alice.page.waitForSelector("#media-error[data-code=mediaDeviceInUse]", { state: "visible", timeout: 10_000 });
  assert.match(await alice.page.innerText("#media-error"), /in use[\s\S]*Close/);
  await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-prejoin-camera-in-use.png") });
  // Join without: both sources off, the message gone, and the join works with nothing captured.
  await alice.page.click("#media-without");
  assert.equal(await alice.page.isVisible("#media-error"), false);
  assert.deepEqual([await alice.page.isChecked("#audio"), await alice.page.isChecked("#video")], [false, false]);
  await alice.page.click("#join");
  await alice.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
  assert.deepEqual(await alice.page.evaluate(() => window.room.localMedia()), { microphone: "off", camera: "off", screen: "off" });
});

test("a meeting: tiles, the avatar when a camera goes off (its capture stopped), the muted icon, recording consent and chat once", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom("meeting");
  const host = await user(t);
  const guest = await user(t);
  await guest.page.addInitScript(TRACK_CAPTURE);
  await host.page.goto(`${server.url}/?room=${room}&name=Hana&role=host`);
  await host.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  await host.page.click("#join");
  await host.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
  await joinDemo(guest.page, server.url, room, "Gus");

  // Two tiles on each page (a 2-tile grid), each remote one connected.
  const gusAtHost = await remoteTile(host.page, "Gus");
  const hanaAtGuest = await remoteTile(guest.page, "Hana");
  await host.page.waitForSelector(`${gusAtHost} .state[data-state=connected]`, { timeout: 20_000 });
  assert.equal(await host.page.$eval("#stage", (s) => s.dataset.grid), "2");
  assert.equal(await host.page.isVisible(`${gusAtHost} .avatar`), false, "no avatar while the camera is on");

  // Gus picks "Audio only": Hana's page says his video is paused instead of freezing it.
  await guest.page.selectOption("#quality-select", "audioOnly");
  await host.page.waitForFunction((sel) => document.querySelector(`${sel} .paused`)?.textContent.startsWith("video paused"), gusAtHost, { timeout: 10_000 });
  // Back to "Auto": video returns at once (the ladder goes back to where it was), not
  // after a rung's 10 clean seconds.
  await guest.page.selectOption("#quality-select", "auto");
  await host.page.waitForFunction((sel) => document.querySelector(`${sel} .paused`)?.textContent === "", gusAtHost, { timeout: 5_000 });

  // Gus shares his screen: it takes the stage on Hana's page, and leaves it when he stops.
  await guest.page.click("#share-btn");
  await host.page.waitForSelector("#screen-stage", { state: "visible", timeout: 15_000 });
  await host.page.waitForFunction(() => document.getElementById("screen").videoWidth > 0, null, { timeout: 10_000 });
  assert.match(await host.page.innerText("#screen-caption"), /Gus is sharing/);
  await guest.page.waitForSelector("#share-btn[data-state=on]", { timeout: 10_000 });
  await guest.page.click("#share-btn");
  await host.page.waitForSelector("#screen-stage", { state: "hidden", timeout: 10_000 });

  // Gus turns his camera off with the button: Hana's page shows his avatar, and the
  // capture on Gus's page is stopped, not just hidden.
  await guest.page.click("#cam-btn");
  await host.page.waitForSelector(`${gusAtHost}[data-camera=off] .avatar`, { state: "visible", timeout: 10_000 });
  assert.equal(await host.page.innerText(`${gusAtHost} .avatar`), "G");
  await guest.page.waitForSelector("#cam-btn[data-state=off]", { timeout: 10_000 });
  assert.deepEqual(await guest.page.evaluate(() => window.__captured.filter((tr) => tr.kind === "video").map((tr) => tr.readyState)), ["ended"]);
  assert.equal(await guest.page.isVisible("#stage .tile.local .avatar"), true, "Gus sees his own avatar");

  // Gus mutes with the keyboard shortcut: the muted icon on his tile at Hana's, the
  // title of his own page says so.
  assert.equal(await host.page.isVisible(`${gusAtHost} .mic-off`), false);
  await guest.page.locator("body").press("m");
  await host.page.waitForSelector(`${gusAtHost} .mic-off`, { state: "visible", timeout: 10_000 });
  await guest.page.waitForFunction(() => document.title.includes("Muted"), null, { timeout: 5_000 });

  // The host records: the indicator is on the guest's page too, and goes when it stops.
  assert.equal(await guest.page.isVisible("#record-btn"), false, "guests have no record button");
  assert.equal(await guest.page.isVisible("#rec-indicator"), false);
  await host.page.click("#record-btn");
  await guest.page.waitForSelector("#rec-indicator", { state: "visible", timeout: 10_000 });
  assert.match(await guest.page.innerText("#rec-indicator"), /Recording \(by Hana\)/);
  assert.match(await guest.page.title(), /REC/);
  await host.page.waitForSelector("#rec-indicator", { state: "visible", timeout: 10_000 });
  await guest.page.screenshot({ path: join(artifactDir("e2e"), "demo-meeting-recording.png") });
  const download = host.page.waitForEvent("download", { timeout: 15_000 });
  await host.page.click("#record-btn");
  assert.match((await download).suggestedFilename(), /\.webm$/);
  await guest.page.waitForSelector("#rec-indicator", { state: "hidden", timeout: 10_000 });

  // A chat line appears once on both pages; a second line after it proves nothing was
  // still on its way (lines arrive in order).
  await host.page.fill("#message-text", "hello from Hana");
  await host.page.press("#message-text", "Enter");
  await host.page.fill("#message-text", "second line");
  await host.page.press("#message-text", "Enter");
  await guest.page.waitForFunction(() => document.getElementById("messages").innerText.includes("Hana: second line"), null, { timeout: 10_000 });
  await host.page.waitForFunction(() => [...document.querySelectorAll("#messages li")].every((li) => li.dataset.state === "sent"), null, { timeout: 10_000 });
  const count = (page) => page.evaluate(() => [...document.querySelectorAll("#messages li")].filter((li) => li.textContent.endsWith("hello from Hana")).length);
  assert.equal(await count(guest.page), 1, "the guest sees the line once");
  assert.equal(await count(host.page), 1, "the host sees the line once");
  // The participants list names both, with roles.
  assert.match(await guest.page.innerText("#people"), /Hana[\s\S]*host/);
});

test("a refused token lands in the boundary: Try Again retries with the same settings, Go Back returns to the pre-join page", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const alice = await user(t);
  const room = uniqueRoom("refused");
  // The token endpoint hands out a token the server refuses (signed with another key).
  const bogus = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4Iiwicm9vbSI6IngiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJlLW5vdC12YWxpZA";
  let tokenRequests = [];
  await alice.page.route("**/api/token", async (route) => {
    tokenRequests.push(JSON.parse(route.request().postData()));
    await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ token: bogus }) });
  });
  await alice.page.goto(`${server.url}/?room=${room}&name=Alice`);
  await alice.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  await alice.page.selectOption("#role", "host");
  await alice.page.uncheck("#video");
  await alice.page.click("#join");
  await alice.page.waitForSelector("#boundary[data-kind=tokenRefused]", { state: "visible", timeout: 15_000 });
  assert.match(await alice.page.innerText("#boundary-title"), /refused/);
  assert.ok((await alice.page.innerText("#boundary-next")).length > 20, "it says what to do");
  assert.equal(await alice.page.isVisible("#try-again"), true);
  assert.equal(await alice.page.isVisible("#go-back"), true);
  assert.equal(await alice.page.$eval("#status", (s) => s.dataset.state), "error");
  assert.ok(tokenRequests.length >= 1);
  await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-token.png") });

  // The server hands out real tokens again: Try Again joins the same room, as the same
  // name and role, with the camera still off.
  await alice.page.unroute("**/api/token");
  tokenRequests = [];
  await alice.page.route("**/api/token", async (route) => {
    tokenRequests.push(JSON.parse(route.request().postData()));
    await route.continue();
  });
  await alice.page.click("#try-again");
  await alice.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
  assert.deepEqual(tokenRequests[0], { room, name: "Alice", role: "host" });
  assert.equal(await alice.page.evaluate(() => window.room.roomName), room);
  assert.equal(await alice.page.evaluate(() => window.room.localMedia().camera), "off");
  assert.equal(await alice.page.isVisible("#record-btn"), true, "still a host");

  // Go Back (from a failure) leaves the call and shows the pre-join page, settings kept.
  await alice.page.evaluate(() => { window.__localTracks = window.room.localStream.getTracks(); });
  await alice.page.evaluate(() => setTimeout(() => { throw new Error("a bug in a timer"); }));
  await alice.page.waitForSelector("#boundary[data-kind=crash]", { state: "visible", timeout: 5_000 });
  await alice.page.click("#go-back");
  await alice.page.waitForSelector("#prejoin", { state: "visible", timeout: 10_000 });
  assert.equal(await alice.page.inputValue("#room"), room);
  assert.equal(await alice.page.inputValue("#role"), "host");
  assert.equal(await alice.page.$eval("#status", (s) => s.dataset.state), "idle");
  assert.deepEqual(await alice.page.evaluate(() => window.__localTracks.map((tr) => tr.readyState)), ["ended"], "the call was left: the microphone is released");
});

test("an exception in a room event handler and an unhandled rejection land in the boundary, never a blank page", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom("crash");
  const alice = await user(t);
  const bob = await user(t);
  await joinDemo(alice.page, server.url, room, "Alice");
  await joinDemo(bob.page, server.url, room, "Bob");
  // Break a DOM method the demo's chat handler calls: the next chat line makes it throw
  // inside the library's event dispatch.
  await alice.page.evaluate(() => {
    Element.prototype.scrollIntoView = () => { throw new Error("scrollIntoView broke"); };
  });
  await bob.page.fill("#message-text", "boom");
  await bob.page.press("#message-text", "Enter");
  await alice.page.waitForSelector("#boundary[data-kind=crash]", { state: "visible", timeout: 10_000 });
  assert.match(await alice.page.$eval("#boundary-detail", (d) => d.textContent), /scrollIntoView broke/);
  assert.equal(await alice.page.isVisible("#meeting"), false);
  // Bob's page sees Alice go: the boundary left the call.
  await bob.page.waitForFunction(() => document.getElementById("log").innerText.includes("Alice left"), null, { timeout: 10_000 });

  // Try Again joins again; then an unhandled rejection anywhere lands in the boundary too.
  await alice.page.click("#try-again");
  await alice.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
  await alice.page.evaluate(() => { void Promise.reject(new Error("nobody caught this")); });
  await alice.page.waitForSelector("#boundary[data-kind=crash]", { state: "visible", timeout: 5_000 });
  assert.match(await alice.page.$eval("#boundary-detail", (d) => d.textContent), /nobody caught this/);
});

test("a full room and a room ended by the server land in the boundary, each saying what to do", async (t) => {
  const [key, secret] = ["demo-key", "demo-secret-0123456789abcdef"];
  const server = await startServer({ args: ["--max-peers-per-room", "1", "--api-key", key, "--api-secret", secret] });
  t.after(() => server.stop());
  const room = uniqueRoom("full");
  const alice = await user(t);
  const bob = await user(t);
  await joinDemo(alice.page, server.url, room, "Alice");
  await bob.page.goto(`${server.url}/?room=${room}&name=Bob`);
  await bob.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  await bob.page.click("#join");
  await bob.page.waitForSelector("#boundary[data-kind=roomFull]", { state: "visible", timeout: 15_000 });
  assert.match(await bob.page.innerText("#boundary"), /full[\s\S]*another room/);
  await bob.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-room-full.png") });

  // The room is deleted through the server's API (as a host's backend would end it).
  const auth = { authorization: `Basic ${Buffer.from(`${key}:${secret}`).toString("base64")}` };
  const del = await fetch(`${server.url}/api/rooms/${room}`, { method: "DELETE", headers: auth });
  assert.ok(del.ok, `DELETE answered ${del.status}`);
  await alice.page.waitForSelector("#boundary[data-kind=roomEnded]", { state: "visible", timeout: 10_000 });
  assert.match(await alice.page.innerText("#boundary-title"), /ended/);
  await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-room-ended.png") });
  // Now there is room: Bob's Try Again joins.
  await bob.page.click("#try-again");
  await bob.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
});

test("a host ends the meeting for everyone: a second click confirms, both pages say who ended it, every camera and microphone stops", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom("end");
  const host = await user(t, { capture: true });
  const guest = await user(t, { capture: true });
  await joinDemo(host.page, server.url, room, "Hana", { query: { role: "host" } });
  await joinDemo(guest.page, server.url, room, "Gus");
  const gusAtHost = await remoteTile(host.page, "Gus");
  await host.page.waitForSelector(`${gusAtHost} .state[data-state=connected]`, { timeout: 20_000 });
  assert.equal(await guest.page.isVisible("#end-btn"), false, "a guest has no End for everyone");

  // The first click only asks for a second one.
  await host.page.click("#end-btn");
  assert.equal(await host.page.$eval("#end-btn", (b) => b.dataset.armed), "true");
  assert.match(await host.page.innerText("#end-btn"), /again/);
  assert.equal(await guest.page.$eval("#status", (s) => s.dataset.state), "joined");
  await host.page.click("#end-btn");

  await host.page.waitForSelector("#boundary[data-kind=roomEnded]", { state: "visible", timeout: 10_000 });
  await guest.page.waitForSelector("#boundary[data-kind=roomEnded]", { state: "visible", timeout: 10_000 });
  assert.match(await host.page.innerText("#boundary"), /You ended this meeting for everyone/);
  assert.match(await guest.page.innerText("#boundary"), /Hana ended this meeting for everyone/);
  await guest.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-ended-by-host.png") });
  for (const [who, b] of [["Hana", host], ["Gus", guest]]) {
    await b.page.waitForFunction(() => window.__captured.length > 0 && window.__captured.every((t) => t.readyState === "ended"), null, { timeout: 5_000 }).catch(async () => {
      const states = await b.page.evaluate(() => window.__captured.map((t) => `${t.kind}:${t.readyState}`));
      assert.fail(`${who}'s captured tracks after the end: ${states.join(", ")}`);
    });
  }
  // The room's name can be used again: Try Again starts it anew.
  await guest.page.click("#try-again");
  await guest.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
});

test("the debug panel: off by default; per peer a state strip, sparklines, the candidate pair, recovery counts, downloads and a rebuild", async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom("debug");
  const alice = await user(t);
  const bob = await user(t);
  await joinDemo(alice.page, server.url, room, "Alice");
  await joinDemo(bob.page, server.url, room, "Bob");
  const bobAtAlice = await remoteTile(alice.page, "Bob");
  await alice.page.waitForSelector(`${bobAtAlice} .state[data-state=connected]`, { timeout: 20_000 });
  assert.equal(await alice.page.isVisible("#debug"), false, "off by default");
  await alice.page.click("#debug-toggle");
  assert.equal(await alice.page.getAttribute("#debug-toggle", "aria-expanded"), "true");
  const section = "#debug .debug-peer";
  await alice.page.waitForSelector(`${section} svg rect.st-connected`, { timeout: 10_000 });
  // Quality samples arrive about once a second: the score line gets points.
  await alice.page.waitForFunction((s) => (document.querySelector(`${s} polyline`)?.getAttribute("points") ?? "").split(" ").length >= 2, section, { timeout: 10_000 });
  assert.match(await alice.page.innerText(section), /Selected candidate pair: host/);
  assert.match(await alice.page.innerText(section), /ICE restart 0, signaling reset 0, full reconnect 0/);

  const download = alice.page.waitForEvent("download", { timeout: 10_000 });
  await alice.page.click("#download-diagnostics");
  const report = JSON.parse(await (await (await download).createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8")));
  assert.equal(report.room, room);
  assert.equal(report.peers.length, 1);
  const traceDownload = alice.page.waitForEvent("download", { timeout: 10_000 });
  await alice.page.click("#download-trace");
  const trace = JSON.parse(await (await (await traceDownload).createReadStream()).toArray().then((chunks) => Buffer.concat(chunks).toString("utf8")));
  assert.ok(trace.room && Object.keys(trace.links).length === 1, Object.keys(trace));

  // Rebuild: a full reconnect of that connection, counted, and the call is back.
  assert.equal(await alice.page.$$eval(`${section} rect.st-reconnecting`, (r) => r.length), 0, "no reconnecting before the rebuild");
  await alice.page.click(`${section} button.rebuild`);
  await alice.page.waitForFunction(() => /rebuilding the connection to Bob/.test(document.getElementById("log").innerText), null, { timeout: 5_000 });
  await alice.page.waitForSelector(`${section} rect.st-reconnecting`, { timeout: 10_000 });
  await alice.page.waitForFunction((s) => /full reconnect [1-9]/.test(document.querySelector(`${s} .attempts`)?.textContent ?? ""), section, { timeout: 20_000 });
  await alice.page.waitForFunction((s) => document.querySelector(`${s} h3`)?.textContent.endsWith("· connected"), section, { timeout: 20_000 });
  await alice.page.waitForSelector(`${bobAtAlice} .state[data-state=connected]`, { timeout: 20_000 });
  await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-debug-panel.png"), fullPage: true });
});

test("a server that went away lands in the boundary as unreachable, and Try Again joins once it is back", async (t) => {
  let server = await startServer();
  t.after(() => server.stop());
  const room = uniqueRoom("unreachable");
  const alice = await user(t);
  await alice.page.goto(`${server.url}/?room=${room}&name=Alice`);
  await alice.page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
  const port = new URL(server.url).port;
  await server.stop();
  await alice.page.click("#join");
  await alice.page.waitForSelector("#boundary[data-kind=unreachable]", { state: "visible", timeout: 20_000 });
  assert.match(await alice.page.innerText("#boundary"), /reach the server[\s\S]*internet connection/);
  await alice.page.screenshot({ path: join(artifactDir("e2e"), "demo-boundary-unreachable.png") });
  // The server is back on the same address: Try Again joins with the same settings.
  server = await startServer({ port: Number(port) });
  await alice.page.click("#try-again");
  await alice.page.waitForSelector("#status[data-state=joined]", { timeout: 15_000 });
});
