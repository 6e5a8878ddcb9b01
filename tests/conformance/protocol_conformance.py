#!/usr/bin/env python3
"""Walks the signaling protocol of docs/PROTOCOL.md against the real server, from outside.

A client written from the document alone: plain WebSocket frames, no steadyrtc code.
It starts the built server itself (STEADYRTC_SERVER_BIN, default
target/debug/steadyrtc-server under the repository root) with `--dev --port 0`, reads the
address from the server's `listening on http://...` line, runs every check in order and
prints `ok N - name` / `not ok N - name`, then `# pass X` and `# fail Y`. Exits 1 on any
failure. Every wait is bounded; the server is killed at the end.

Needs Python 3.11+ and the `websockets` package (tests/conformance/requirements.txt).
"""

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import threading
import traceback
import urllib.request
from pathlib import Path

from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parents[2]
WAIT = 5.0  # seconds: the bound of every wait for a frame
QUIET = 0.6  # seconds of silence that count as "no answer"
HEARTBEAT_MS = 400  # a short ping interval so that pings arrive within a wait


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


class Client:
    """One WebSocket connection. Frames are read into a queue; `ping` frames are kept
    apart (answered with `pong` when auto_pong is set) so tests see only the rest."""

    def __init__(self, name, ws, auto_pong=True):
        self.name = name
        self.ws = ws
        self.auto_pong = auto_pong
        self.frames = asyncio.Queue()
        self.pings = 0
        self.ping_event = asyncio.Event()
        self.closed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, url, name, auto_pong=True):
        ws = await asyncio.wait_for(connect(url, open_timeout=WAIT), WAIT)
        return cls(name, ws, auto_pong)

    async def _read(self):
        try:
            async for raw in self.ws:
                check(isinstance(raw, str), f"{self.name}: a binary frame from the server")
                msg = json.loads(raw)
                if msg.get("type") == "ping":
                    self.pings += 1
                    self.ping_event.set()
                    if self.auto_pong:
                        await self.send({"type": "pong"})
                    continue
                await self.frames.put(msg)
        except Exception:  # noqa: BLE001 - a closed socket ends the reader
            pass
        finally:
            self.closed.set()

    async def send(self, msg):
        await self.ws.send(json.dumps(msg))

    async def next(self, what="a frame"):
        try:
            return await asyncio.wait_for(self.frames.get(), WAIT)
        except asyncio.TimeoutError:
            raise Failure(f"{self.name}: no {what} within {WAIT:.0f} s") from None

    async def expect(self, type_):
        msg = await self.next(f"`{type_}`")
        check(msg.get("type") == type_, f"{self.name}: expected `{type_}`, got {msg}")
        return msg

    async def expect_quiet(self, why):
        """Nothing but pings arrives for QUIET seconds."""
        try:
            msg = await asyncio.wait_for(self.frames.get(), QUIET)
        except asyncio.TimeoutError:
            return
        raise Failure(f"{self.name}: expected no frame ({why}), got {msg}")

    async def wait_ping(self):
        self.ping_event.clear()
        try:
            await asyncio.wait_for(self.ping_event.wait(), WAIT)
        except asyncio.TimeoutError:
            raise Failure(f"{self.name}: no `ping` within {WAIT:.0f} s") from None

    async def close(self):
        await self.ws.close()
        try:
            await asyncio.wait_for(self.closed.wait(), WAIT)
        except asyncio.TimeoutError:
            pass
        self.reader.cancel()


class Server:
    def __init__(self):
        default = ROOT / "target" / "debug" / "steadyrtc-server"
        self.bin = Path(os.environ.get("STEADYRTC_SERVER_BIN", default))
        self.proc = None
        self.base = None

    def start(self):
        check(self.bin.is_file(), f"no server binary at {self.bin}: cargo build -p steadyrtc-server, or set STEADYRTC_SERVER_BIN")
        # The server reads its options from STEADYRTC_* variables too: start from none.
        env = {k: v for k, v in os.environ.items() if not k.startswith("STEADYRTC_")}
        env.setdefault("RUST_LOG", "warn")
        args = [
            str(self.bin), "--dev", "--port", "0",
            "--heartbeat-interval-ms", str(HEARTBEAT_MS),
        ]
        self.proc = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        line = self._read_line(WAIT * 2)
        match = re.search(r"listening on (http://\S+)", line or "")
        check(match, f"the server printed no `listening on http://...` line (got {line!r})")
        self.base = match.group(1).rstrip("/")

    def _read_line(self, timeout):
        result = []

        def read():
            result.append(self.proc.stdout.readline())

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(timeout)
        return result[0] if result else None

    @property
    def ws_url(self):
        return self.base.replace("http://", "ws://", 1) + "/ws"

    def token(self, room, name, role="guest"):
        body = json.dumps({"room": room, "name": name, "role": role}).encode()
        req = urllib.request.Request(
            self.base + "/api/token", data=body, method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=WAIT) as resp:
            check(resp.status == 200, f"POST /api/token answered {resp.status}")
            return json.loads(resp.read())

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=WAIT)


class Run:
    def __init__(self):
        self.n = 0
        self.failed = 0
        self.passed = 0

    async def step(self, name, fn):
        """Runs one check; a failure is reported and the walk goes on where it can."""
        self.n += 1
        try:
            await fn()
        except Failure as e:
            self.failed += 1
            print(f"not ok {self.n} - {name}\n  # {e}", flush=True)
            return False
        except Exception as e:  # noqa: BLE001 - any error fails this check only
            self.failed += 1
            print(f"not ok {self.n} - {name}\n  # {type(e).__name__}: {e}", flush=True)
            for line in traceback.format_exc().splitlines():
                print(f"  # {line}")
            return False
        self.passed += 1
        print(f"ok {self.n} - {name}", flush=True)
        return True


async def walk(server, run):
    room = "conformance"
    s = {}  # shared state between steps

    async def token():
        t = server.token(room, "Ada")
        check(isinstance(t.get("token"), str) and t["token"].count(".") == 2, f"no JWT in {t}")
        check(t.get("room") == room and t.get("role") == "guest", f"room/role not echoed: {t}")
        s["tokA"] = t["token"]
        s["tokB"] = server.token(room, "Bo")["token"]

    async def ping_before_join():
        a = await Client.open(server.ws_url, "A", auto_pong=False)
        s["a"] = a
        await a.wait_ping()
        await a.send({"type": "pong"})
        await a.send({"type": "ack", "seq": 7})
        await a.expect_quiet("pong and ack need no session")

    async def join_a():
        a = s["a"]
        a.auto_pong = True
        await a.send({"type": "join", "protocolVersion": 5, "room": room, "name": "Ada", "token": s["tokA"]})
        w = await a.expect("welcome")
        check(w.get("seq") == 1, f"welcome.seq is {w.get('seq')}, not 1")
        check(w.get("protocolVersion") == 5, f"welcome.protocolVersion is {w.get('protocolVersion')}")
        check(w.get("room") == room, f"welcome.room is {w.get('room')}")
        check(re.fullmatch(r"[A-Za-z0-9]{16}", w.get("peerId", "")), f"welcome.peerId {w.get('peerId')!r} is not 16 of A-Z a-z 0-9")
        check(isinstance(w.get("sessionId"), str) and len(w["sessionId"]) == 32, f"welcome.sessionId {w.get('sessionId')!r} is not 32 characters")
        check(w.get("peers") == [], f"welcome.peers of the first joiner is {w.get('peers')}")
        check(w.get("role") == "guest", f"welcome.role is {w.get('role')}")
        check(w.get("grants") == {"publish": True, "subscribe": True, "chat": True, "record": False, "admin": False},
              f"welcome.grants are not a guest's: {w.get('grants')}")
        hb = w.get("heartbeat", {})
        check(hb.get("intervalMs") == HEARTBEAT_MS and hb.get("timeoutMs", 0) > HEARTBEAT_MS, f"welcome.heartbeat is {hb}")
        check(w.get("resumeWindowMs") == 30000, f"welcome.resumeWindowMs is {w.get('resumeWindowMs')}")
        check(isinstance(w.get("iceServers"), list), f"welcome.iceServers is {w.get('iceServers')!r}")
        s["idA"], s["sidA"], s["lastA"] = w["peerId"], w["sessionId"], 1
        await a.send({"type": "ack", "seq": 1})

    async def join_b():
        b = await Client.open(server.ws_url, "B")
        s["b"] = b
        await b.send({"type": "join", "protocolVersion": 5, "room": room, "name": "Bo", "token": s["tokB"]})
        w = await b.expect("welcome")
        check(w.get("seq") == 1, f"B's welcome.seq is {w.get('seq')}")
        peers = w.get("peers")
        check(peers == [{"id": s["idA"], "name": "Ada", "role": "guest", "polite": True}],
              f"B's welcome.peers should be Ada with polite true: {peers}")
        s["idB"], s["lastB"] = w["peerId"], 1
        j = await s["a"].expect("peerJoined")
        check(j.get("seq") == 2, f"peerJoined.seq is {j.get('seq')}, not 2")
        check(j.get("peer") == {"id": s["idB"], "name": "Bo", "role": "guest", "polite": False},
              f"peerJoined.peer should be Bo with polite false: {j.get('peer')}")
        s["lastA"] = 2

    async def ack_is_silent():
        await s["a"].send({"type": "ack", "seq": 2})
        await s["b"].send({"type": "ack", "seq": 1})
        await s["a"].expect_quiet("ack has no answer")

    async def signal_offer_answer():
        a, b = s["a"], s["b"]
        # B joined later: B offers (PROTOCOL.md §2). The payload, epoch and unknown
        # fields included, must arrive untouched.
        offer = {"kind": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", "epoch": 1, "x-extra": [1, {"y": None}]}
        await b.send({"type": "signal", "to": s["idA"], "data": offer})
        m = await a.expect("signal")
        check(m.get("seq") == 3, f"A's signal seq is {m.get('seq')}, not 3")
        check(m.get("from") == s["idB"], f"signal.from is {m.get('from')}, not B")
        check(m.get("data") == offer, f"the payload changed on the way: {m.get('data')}")
        answer = {"kind": "answer", "sdp": "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\n", "epoch": 1}
        await a.send({"type": "signal", "to": s["idB"], "data": answer})
        m = await b.expect("signal")
        check(m.get("seq") == 2 and m.get("from") == s["idA"] and m.get("data") == answer, f"B got {m}")
        cand = {"kind": "candidate", "candidate": "candidate:1 1 udp 2122260223 192.0.2.1 50000 typ host",
                "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "abcd", "epoch": 1}
        await a.send({"type": "signal", "to": s["idB"], "data": cand})
        m = await b.expect("signal")
        check(m.get("seq") == 3 and m.get("data") == cand, f"B got {m}")
        await a.send({"type": "ack", "seq": 3})
        await b.send({"type": "ack", "seq": 3})
        s["lastA"], s["lastB"] = 3, 3

    async def chat_room():
        await s["a"].send({"type": "chat", "text": "can you hear me?"})
        m = await s["b"].expect("chat")
        check(isinstance(m.pop("sentAt", None), int), f"chat.sentAt is Unix milliseconds: {m}")
        check(m == {"type": "chat", "seq": 4, "from": s["idA"], "name": "Ada", "text": "can you hear me?", "private": False}, f"B got {m}")
        await s["a"].expect_quiet("a room chat is not echoed to its sender")
        s["lastB"] = 4

    async def chat_private():
        await s["b"].send({"type": "chat", "text": "psst", "to": s["idA"]})
        m = await s["a"].expect("chat")
        m.pop("sentAt", None)
        check(m == {"type": "chat", "seq": 4, "from": s["idB"], "name": "Bo", "text": "psst", "private": True}, f"A got {m}")
        s["lastA"] = 4

    async def refused_unknown_peer():
        a = s["a"]
        await a.send({"type": "signal", "to": "nobodyNobody0000", "data": {"kind": "offer", "sdp": "v=0"}})
        e = await a.expect("error")
        check(e.get("code") == "unknownPeer", f"error.code is {e.get('code')}, not unknownPeer")
        check("seq" not in e, f"an error carries no seq: {e}")
        check(isinstance(e.get("message"), str), f"error.message is not a string: {e}")
        # Only a host (the admin grant) may end the room.
        await a.send({"type": "endRoom"})
        e = await a.expect("error")
        check(e.get("code") == "forbidden", f"endRoom by a guest: {e}")
        # The connection stays usable.
        await a.send({"type": "chat", "text": "still here"})
        m = await s["b"].expect("chat")
        check(m.get("seq") == 5 and m.get("text") == "still here", f"B got {m}")
        s["lastB"] = 5

    async def refused_other_codes():
        c = await Client.open(server.ws_url, "C")
        try:
            await c.send({"type": "chat", "text": "hello?"})
            e = await c.expect("error")
            check(e.get("code") == "notJoined", f"chat without a session: {e}")
            await c.send({"type": "dance"})
            e = await c.expect("error")
            check(e.get("code") == "unknownType", f"an unknown type: {e}")
            await c.send({"type": "join", "room": room, "name": "Cy"})
            e = await c.expect("error")
            check(e.get("code") == "invalidMessage", f"join without protocolVersion: {e}")
            await c.ws.send("not json")
            e = await c.expect("error")
            check(e.get("code") == "badJson", f"a frame that is not JSON: {e}")
            await c.send({"type": "resume", "protocolVersion": 5, "sessionId": "x" * 32, "lastSeq": 0})
            e = await c.expect("error")
            check(e.get("code") == "unknownSession", f"resume of no session: {e}")
            await c.send({"type": "join", "protocolVersion": 5, "room": room, "name": "Cy", "token": "a.b.c"})
            e = await c.expect("error")
            check(e.get("code") == "invalidToken", f"a bad token: {e}")
        finally:
            await c.close()

    async def bad_version():
        c = await Client.open(server.ws_url, "C")
        try:
            tok = server.token(room, "Cy")["token"]
            await c.send({"type": "join", "protocolVersion": 99, "room": room, "name": "Cy", "token": tok})
            e = await c.expect("error")
            check(e.get("code") == "unsupportedVersion", f"join with protocolVersion 99: {e}")
            # The socket stays open: the right version now joins.
            await c.send({"type": "join", "protocolVersion": 1, "room": room, "name": "Cy", "token": tok})
            w = await c.expect("welcome")
            check(len(w.get("peers", [])) == 2, f"Cy should see Ada and Bo: {w.get('peers')}")
            await c.send({"type": "leave"})
        finally:
            await c.close()
        for who in ("a", "b"):
            j = await s[who].expect("peerJoined")
            left = await s[who].expect("peerLeft")
            check(left.get("peerId") == j["peer"]["id"] and left.get("reason") == "left", f"{who}: {left}")
            s["last" + who.upper()] = left["seq"]

    async def resume_replay():
        a, b = s["a"], s["b"]
        last = s["lastA"]
        await a.send({"type": "ack", "seq": last})
        await a.close()  # a drop, not a leave: B must see nothing
        await asyncio.sleep(0.2)
        sent = []
        for i in range(3):
            data = {"kind": "candidate", "candidate": f"candidate:{i} 1 udp 1 192.0.2.1 {5000 + i} typ host", "sdpMid": "0"}
            await b.send({"type": "signal", "to": s["idA"], "data": data})
            sent.append(data)
        await b.expect_quiet("the others see nothing while a session waits for resume")
        a2 = await Client.open(server.ws_url, "A2")
        s["a"] = a2
        await a2.send({"type": "resume", "protocolVersion": 5, "sessionId": s["sidA"], "lastSeq": last})
        r = await a2.expect("resumed")
        check(r == {"type": "resumed", "sessionId": s["sidA"], "peerId": s["idA"], "room": room}, f"resumed is {r}")
        for i, data in enumerate(sent):
            m = await a2.expect("signal")
            check(m.get("seq") == last + 1 + i, f"replayed signal {i + 1} has seq {m.get('seq')}, expected {last + 1 + i}")
            check(m.get("from") == s["idB"] and m.get("data") == data, f"replayed signal {i + 1} is {m}")
        await a2.expect_quiet("exactly the 3 missed messages are replayed")
        await a2.send({"type": "ack", "seq": last + 3})
        s["lastA"] = last + 3
        # The resumed session works both ways.
        # With an id (version 3) the line comes back to its sender: the confirmation.
        await a2.send({"type": "chat", "text": "back", "id": "a2-1"})
        m = await b.expect("chat")
        check(m.get("from") == s["idA"] and m.get("text") == "back" and m.get("id") == "a2-1", f"B got {m}")
        c = await a2.expect("chat")
        check(c.get("from") == s["idA"] and c.get("id") == "a2-1" and c.get("seq") == last + 4, f"the confirmation is {c}")
        await a2.send({"type": "ack", "seq": last + 4})
        s["lastA"] = last + 4

    async def leave():
        a, b = s["a"], s["b"]
        await a.send({"type": "leave"})
        m = await b.expect("peerLeft")
        check(m.get("peerId") == s["idA"] and m.get("reason") == "left", f"peerLeft is {m}")
        check(isinstance(m.get("seq"), int), f"peerLeft carries a seq: {m}")
        await a.expect_quiet("leave has no answer")

    async def ping_after_leave():
        a = s["a"]
        a.auto_pong = False
        await a.wait_ping()
        await a.send({"type": "pong"})
        await a.send({"type": "ack", "seq": 99})
        await a.expect_quiet("pong and ack after leave need no session")
        await a.send({"type": "signal", "to": s["idB"], "data": {"kind": "answer", "sdp": "v=0"}})
        e = await a.expect("error")
        check(e.get("code") == "notJoined", f"signal after leave: {e}")

    steps = [
        ("POST /api/token gives a dev token (guest)", token),
        ("ping before join; pong and ack without a session get no error", ping_before_join),
        ("join: welcome with seq 1 and every field", join_a),
        ("second join: welcome.peers polite true, peerJoined seq 2 polite false", join_b),
        ("ack has no answer", ack_is_silent),
        ("signal both ways: seq, from, payload (epoch, unknown fields) untouched", signal_offer_answer),
        ("room chat: private false, not echoed", chat_room),
        ("private chat: private true", chat_private),
        ("signal to an unknown peer: error unknownPeer, no seq, connection usable", refused_unknown_peer),
        ("refusals: notJoined, unknownType, invalidMessage, badJson, unknownSession, invalidToken", refused_other_codes),
        ("protocolVersion 99: unsupportedVersion, then version 1 joins", bad_version),
        ("drop and resume: resumed fields, exactly the 3 missed signals with their seq; a chat with an id is confirmed", resume_replay),
        ("leave: the other side gets peerLeft reason left", leave),
        ("ping after leave; pong and ack get no error; signal gets notJoined", ping_after_leave),
    ]
    needed = {"token", "ping_before_join", "join_a", "join_b"}
    for name, fn in steps:
        if not await run.step(name, fn) and fn.__name__ in needed:
            print("# bail out: later checks need this one", flush=True)
            break
    for key in ("a", "b"):
        if key in s:
            await s[key].close()


def main():
    server = Server()
    run = Run()
    print("TAP version 13", flush=True)
    try:
        asyncio.run(run.step("the server starts and prints its address", _async(server.start)))
        if run.failed == 0:
            asyncio.run(walk(server, run))
    finally:
        server.stop()
    print(f"1..{run.n}")
    print(f"# pass {run.passed}")
    print(f"# fail {run.failed}")
    return 1 if run.failed else 0


def _async(fn):
    async def wrapper():
        fn()

    return wrapper


if __name__ == "__main__":
    sys.exit(main())
