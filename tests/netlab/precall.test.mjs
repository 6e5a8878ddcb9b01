// The pre-call check (`checkConnectivity`) on a network that blocks UDP. The lab's server
// hands out STUN and TURN over UDP as well as TURN over TCP (all on the lab's coturn), so
// the check has every path to try: first with the network open (UDP works, the control),
// then with all UDP to and from the browser's host dropped on the lab's bridge (TCP, so
// signaling and TURN over TCP, passes; the host's own loopback is untouched). The report
// must then say that UDP fails and that TURN over TCP is the working path, measured by a
// test call through it. Writes target/netlab/precall-*.json (format in docs/NETLAB.md).
import { test } from "node:test";
import assert from "node:assert/strict";
import { STUN_URL, TURN_UDP_URL, TURN_URL } from "./lab.mjs";
import { useLab } from "./suite.mjs";

let lab;
const scenario = useLab((started) => { lab = started; }, { udp: true });

/** Runs checkConnectivity in the page with a fresh token from the server's dev API; the report. */
function check(browser, serverUrl) {
  return browser.page.evaluate(async (serverUrl) => {
    const m = await import("/pkg/steadyrtc.js");
    await m.default();
    const res = await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room: "precall", name: "Ada", role: "guest" }) });
    const { token } = await res.json();
    const t0 = Date.now();
    const report = await m.checkConnectivity({ url: `${serverUrl.replace(/^http/, "ws")}/ws`, token });
    return { ...report, tookMs: Date.now() - t0 };
  }, serverUrl);
}

const byName = (report) => Object.fromEntries(report.steps.map((s) => [s.name, s]));
const statuses = (report) => Object.fromEntries(report.steps.map((s) => [s.name, s.status]));

/** The selected pairs the page's own getStats showed for connections made after lab time `since` (from the recorder). */
function pairsSince(timeline, name, since) {
  const made = new Set(timeline.states(name, "created").filter((e) => e.t >= since).map((e) => e.pc));
  const pairs = new Map();
  for (const s of timeline.samples[name] ?? []) if (made.has(s.pc) && s.pair?.local) pairs.set(s.pc, s.pair);
  return [...pairs.values()];
}

test("checkConnectivity with UDP blocked: UDP paths fail, TURN/TCP passes and carries the test call, and the report says so", { timeout: 120_000 }, () =>
  scenario("precall-udp-blocked", "checkConnectivity on host a: once with the network open, once with all UDP to and from host a dropped; STUN, TURN/UDP and TURN/TCP offered", async (timeline) => {
    const alice = await lab.browser("a", "alice");
    timeline.watch(alice);
    try {
      await alice.page.goto(`${lab.serverUrl}/`);

      // The control: the network open. The lab's STUN and TURN over UDP work, so a check
      // that reports UDP blocked below does so because of the block, not the lab.
      const open = await check(alice, lab.serverUrl);
      timeline.lab("checked", { udp: "open", path: open.path });
      const openSteps = byName(open);
      assert.equal(openSteps.iceServers.status, "pass", JSON.stringify(open));
      assert.equal(openSteps.relayUdp.status, "pass", `TURN over UDP does not work in the lab even without the block: ${JSON.stringify(open)}`);
      assert.equal(openSteps.loopback.via, "relay/udp", JSON.stringify(openSteps.loopback));
      assert.equal(open.path, "udp", JSON.stringify(open));

      await lab.blockUdp("a");
      const blocked = await check(alice, lab.serverUrl);
      timeline.lab("checked", { udp: "blocked", path: blocked.path });
      await timeline.collect();
      const steps = byName(blocked);
      const pairs = pairsSince(timeline, "alice", timeline.find("fault", "blockUdp"));
      timeline.result = {
        open: { path: open.path, summary: open.summary, statuses: statuses(open), loopback: openSteps.loopback, tookMs: open.tookMs },
        blocked: { ok: blocked.ok, path: blocked.path, summary: blocked.summary, steps: blocked.steps, tookMs: blocked.tookMs },
        testCallPairsSeenByGetStats: pairs,
      };
      console.log(`precall-udp-blocked: ${JSON.stringify(timeline.result)}`);

      // The server handed out every kind of ICE server.
      const config = await alice.page.evaluate(async () => {
        const { token } = await (await fetch("/api/token", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ room: "precall", name: "Ada", role: "guest" }) })).json();
        return (await fetch("/api/webrtc/config", { headers: { authorization: `Bearer ${token}` } })).json();
      });
      const urls = config.iceServers.flatMap((s) => [s.urls].flat());
      for (const url of [STUN_URL, TURN_UDP_URL, TURN_URL]) assert.ok(urls.includes(url), `the server does not hand out ${url}: ${urls}`);

      // What still works passes: the socket, the token, the ICE servers, a local address.
      for (const name of ["signaling", "token", "iceServers", "hostCandidate"]) assert.equal(steps[name].status, "pass", JSON.stringify(steps[name]));
      // Nothing over UDP: STUN and TURN over UDP do not answer.
      assert.notEqual(steps.srflxCandidate.status, "pass", JSON.stringify(steps.srflxCandidate));
      assert.ok(["warn", "fail"].includes(steps.relayUdp.status), JSON.stringify(steps.relayUdp));
      assert.match(steps.relayUdp.message, /UDP looks blocked/);
      // TURN over TCP works, and the test call went through it, measured.
      assert.equal(steps.relayTcp.status, "pass", JSON.stringify(steps.relayTcp));
      assert.match(steps.relayTcp.message, /the path calls will take/);
      assert.equal(steps.loopback.status, "pass", JSON.stringify(steps.loopback));
      assert.equal(steps.loopback.via, "relay/tcp", JSON.stringify(steps.loopback));
      assert.match(steps.loopback.message, /through TURN over TCP works/);
      const [, kbps, rtt] = /\((\d+) kbps, (\d+) ms round trip\)/.exec(steps.loopback.message) ?? [];
      assert.ok(Number(kbps) >= 500, `bitrate over the TCP relay: ${steps.loopback.message}`);
      assert.ok(rtt !== undefined && Number(rtt) < 300, `round trip over the TCP relay: ${steps.loopback.message}`);
      timeline.result.tcpRelay = { kbps: Number(kbps), rttMs: Number(rtt), loopbackMs: steps.loopback.ms };
      // The browser's own stats agree: every test-call pair it selected is relay over TCP.
      assert.ok(pairs.length > 0, "the recorder saw no selected pair of the test call");
      for (const p of pairs) assert.deepEqual([p.local.type, p.local.relayProtocol], ["relay", "tcp"], JSON.stringify(p));
      // The verdict: ready, relayed over TCP.
      assert.equal(blocked.ok, true, JSON.stringify(blocked));
      assert.equal(blocked.path, "turnTcp");
      assert.match(blocked.summary, /UDP is blocked here, so media goes through TURN over TCP/);
    } finally {
      await alice.close();
    }
  }),
);
