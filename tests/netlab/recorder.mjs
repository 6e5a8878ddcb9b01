// What the lab sees inside a page, without depending on the library's internals: an init
// script (runs before any page script) replaces window.RTCPeerConnection with a subclass
// that records every instance, each state change with its wall-clock time, and a getStats
// sample of every connection every SAMPLE_MS; it wraps window.WebSocket the same way to
// record when the signaling socket opens and closes. Node reads it all with
// `readRecorder(page)`.
//
// `rtcConfig`, when given, is merged into every RTCConfiguration the page passes: the lab
// uses it to hand the demo page TURN servers and a relay-only policy, which the demo has no
// input for today.

/** The init script. Self-contained: playwright serializes it into the page. */
export function recorderScript({ rtcConfig }) {
  const SAMPLE_MS = 250;
  const MAX_EVENTS = 5_000;
  const MAX_SAMPLES = 4_000;
  const Native = window.RTCPeerConnection;
  if (!Native || window.__netlab) return;
  const rec = { pcs: [], events: [], samples: [] };
  window.__netlab = rec;
  const push = (list, max, item) => { if (list.length < max) list.push(item); };

  const STATES = [
    ["connectionstatechange", "connectionState"],
    ["iceconnectionstatechange", "iceConnectionState"],
    ["signalingstatechange", "signalingState"],
    ["icegatheringstatechange", "iceGatheringState"],
  ];

  class RecordedPeerConnection extends Native {
    constructor(config, ...rest) {
      super(rtcConfig ? { ...(config ?? {}), ...rtcConfig } : config, ...rest);
      const pc = rec.pcs.length;
      rec.pcs.push(this);
      const cfg = this.getConfiguration();
      push(rec.events, MAX_EVENTS, {
        t: Date.now(), pc, kind: "created", value: cfg.iceTransportPolicy,
        iceServers: (cfg.iceServers ?? []).map((s) => ({ urls: s.urls, username: s.username ?? null, credential: s.credential ?? null })),
      });
      for (const [event, prop] of STATES) {
        this.addEventListener(event, () => push(rec.events, MAX_EVENTS, { t: Date.now(), pc, kind: prop, value: this[prop] }));
      }
    }
  }
  window.RTCPeerConnection = RecordedPeerConnection;

  // The signaling socket(s): when they open and close, as "websocket" events.
  const NativeWebSocket = window.WebSocket;
  let sockets = 0;
  class RecordedWebSocket extends NativeWebSocket {
    constructor(...args) {
      super(...args);
      const ws = sockets++;
      push(rec.events, MAX_EVENTS, { t: Date.now(), ws, kind: "websocket", value: "connecting" });
      this.addEventListener("open", () => push(rec.events, MAX_EVENTS, { t: Date.now(), ws, kind: "websocket", value: "open" }));
      this.addEventListener("close", (e) => push(rec.events, MAX_EVENTS, { t: Date.now(), ws, kind: "websocket", value: "closed", code: e.code }));
    }
  }
  window.WebSocket = RecordedWebSocket;

  // One compact sample per connection: what arrived, what left, and the selected pair.
  async function sample(pc, index) {
    const t = Date.now();
    const report = await pc.getStats();
    const s = { t, pc: index, state: pc.connectionState, in: { bytes: 0, packets: 0, lost: 0, frames: 0, audioBytes: 0 }, out: { bytes: 0, headerBytes: 0, packets: 0 }, remoteLost: 0 };
    const byId = new Map();
    report.forEach((r) => byId.set(r.id, r));
    report.forEach((r) => {
      if (r.type === "inbound-rtp") {
        s.in.bytes += r.bytesReceived ?? 0;
        s.in.packets += r.packetsReceived ?? 0;
        s.in.lost += r.packetsLost ?? 0;
        if (r.kind === "video") {
          s.in.frames += r.framesDecoded ?? 0;
          // Why a decoder may stand still while bytes arrive (read by hand from the JSON).
          const v = (s.in.video ??= { received: 0, keyDecoded: 0, dropped: 0, jbDelay: 0, jbEmitted: 0, nacks: 0, plis: 0, firs: 0 });
          v.received += r.framesReceived ?? 0;
          v.keyDecoded += r.keyFramesDecoded ?? 0;
          v.dropped += r.framesDropped ?? 0;
          v.jbDelay += r.jitterBufferDelay ?? 0;
          v.jbEmitted += r.jitterBufferEmittedCount ?? 0;
          v.nacks += r.nackCount ?? 0;
          v.plis += r.pliCount ?? 0;
          v.firs += r.firCount ?? 0;
        }
        if (r.kind === "audio") s.in.audioBytes += r.bytesReceived ?? 0;
      } else if (r.type === "outbound-rtp") {
        s.out.bytes += r.bytesSent ?? 0;
        s.out.headerBytes += r.headerBytesSent ?? 0;
        s.out.packets += r.packetsSent ?? 0;
        if (r.kind === "video") {
          s.out.limitation = r.qualityLimitationReason;
          s.out.keyFrames = (s.out.keyFrames ?? 0) + (r.keyFramesEncoded ?? 0);
          s.out.plis = (s.out.plis ?? 0) + (r.pliCount ?? 0);
        }
      } else if (r.type === "remote-inbound-rtp") {
        s.remoteLost += r.packetsLost ?? 0;
      } else if (r.type === "transport" && r.selectedCandidatePairId) {
        const pair = byId.get(r.selectedCandidatePairId);
        const local = pair && byId.get(pair.localCandidateId);
        const remote = pair && byId.get(pair.remoteCandidateId);
        if (pair) {
          s.pair = {
            local: local && { type: local.candidateType, protocol: local.protocol, relayProtocol: local.relayProtocol, address: local.address },
            remote: remote && { type: remote.candidateType, protocol: remote.protocol, address: remote.address },
            rtt: pair.currentRoundTripTime,
            availableOutgoingBitrate: pair.availableOutgoingBitrate,
          };
        }
      }
    });
    push(rec.samples, MAX_SAMPLES, s);
  }

  let busy = false;
  setInterval(async () => {
    if (busy) return; // never pile up getStats calls on a slow machine
    busy = true;
    try {
      await Promise.all(rec.pcs.map((pc, i) => (pc.connectionState === "closed" ? null : sample(pc, i).catch(() => {}))));
    } finally {
      busy = false;
    }
  }, SAMPLE_MS);
}

/** Copies what the recorder holds so far out of the page. */
export function readRecorder(page) {
  return page.evaluate(() => {
    const rec = window.__netlab;
    if (!rec) return { events: [], samples: [], states: [] };
    return {
      events: rec.events.slice(),
      samples: rec.samples.slice(),
      states: rec.pcs.map((pc) => ({ connectionState: pc.connectionState, iceConnectionState: pc.iceConnectionState })),
    };
  });
}
