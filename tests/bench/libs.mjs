// One call, four ways, as each library's README would have an app do it: the page side
// of the call-setup benchmark. Each JOIN function is passed to `page.evaluate`: it starts
// the join at once (the user's action) and records, in `window.__t`, wall-clock marks
// (`performance.timeOrigin + performance.now()`, comparable across the two browsers):
//   join0      the user's action;
//   ready      local media captured and signaling reachable (socket open, registered);
//   connected  the RTCPeerConnection's connectionState is "connected";
//   frame      the first remote video frame was presented (requestVideoFrameCallback).
// Every library captures camera and microphone with the same getUserMedia constraints.

/** Shared page helpers, installed before any JOIN. */
export const PAGE_HELPERS = () => {
  window.__t = {};
  window.__mark = (k) => (window.__t[k] ??= performance.timeOrigin + performance.now());
  window.__show = (stream) => {
    const video = document.getElementById("remote");
    if (!stream || video.srcObject === stream) return;
    video.srcObject = stream;
    video.requestVideoFrameCallback(() => window.__mark("frame"));
  };
  window.__watch = (pc) => {
    const check = () => { if (pc.connectionState === "connected") window.__mark("connected"); };
    pc.addEventListener("connectionstatechange", check);
    check();
  };
  window.__media = () => navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  window.__cleanup = [];
};

/** A plain RTCPeerConnection, its signaling through the benchmark's WebSocket relay. */
export const PLAIN = async ({ relayUrl, room, initiator }) => {
  window.__mark("join0");
  const ws = new WebSocket(`${relayUrl}?room=${room}`);
  const ready = Promise.all([window.__media(), new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; })]).then(([stream]) => {
    window.__mark("ready");
    const pc = new RTCPeerConnection();
    for (const t of stream.getTracks()) pc.addTrack(t, stream);
    pc.onicecandidate = (e) => { if (e.candidate) ws.send(JSON.stringify({ candidate: e.candidate })); };
    pc.ontrack = (e) => window.__show(e.streams[0]);
    window.__watch(pc);
    window.__cleanup.push(() => { pc.close(); ws.close(); stream.getTracks().forEach((t) => t.stop()); });
    return pc;
  });
  let offered = false;
  ws.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    const pc = await ready;
    if (msg.peers === 2 && initiator && !offered) {
      offered = true;
      await pc.setLocalDescription();
      ws.send(JSON.stringify({ sdp: pc.localDescription }));
    } else if (msg.sdp) {
      await pc.setRemoteDescription(msg.sdp);
      if (msg.sdp.type === "offer") {
        await pc.setLocalDescription();
        ws.send(JSON.stringify({ sdp: pc.localDescription }));
      }
    } else if (msg.candidate) {
      await pc.addIceCandidate(msg.candidate).catch(() => {});
    }
  };
};

/** simple-peer (its browser bundle), its signals through the same relay. */
export const SIMPLE_PEER = async ({ relayUrl, room, initiator }) => {
  window.__mark("join0");
  const ws = new WebSocket(`${relayUrl}?room=${room}`);
  const ready = Promise.all([window.__media(), new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; })]).then(([stream]) => {
    window.__mark("ready");
    return stream;
  });
  let peer;
  const make = (stream) => {
    peer = new window.SimplePeer({ initiator, stream, trickle: true });
    peer.on("signal", (data) => ws.send(JSON.stringify(data)));
    peer.on("stream", (s) => window.__show(s));
    peer.on("error", () => {});
    window.__watch(peer._pc);
    window.__cleanup.push(() => { peer.destroy(); ws.close(); stream.getTracks().forEach((t) => t.stop()); });
  };
  ws.onmessage = async (m) => {
    const msg = JSON.parse(m.data);
    const stream = await ready;
    if (msg.peers !== undefined) {
      if (!peer && (!initiator || msg.peers === 2)) make(stream);
      return;
    }
    peer?.signal(msg);
  };
};

/** PeerJS with its own PeerServer: the callee answers every call, the caller calls. */
export const PEERJS = async ({ host, port, myId, otherId, initiator }) => {
  window.__mark("join0");
  const peer = new window.peerjs.Peer(myId, { host, port, path: "/peerjs", debug: 0 });
  const [stream] = await Promise.all([window.__media(), new Promise((resolve, reject) => { peer.on("open", resolve); peer.on("error", reject); })]);
  window.__mark("ready");
  window.__cleanup.push(() => { peer.destroy(); stream.getTracks().forEach((t) => t.stop()); });
  const follow = (call) => {
    call.on("stream", (s) => window.__show(s));
    window.__watch(call.peerConnection);
  };
  if (initiator) {
    follow(peer.call(otherId, stream));
  } else {
    peer.on("call", (call) => {
      call.answer(stream);
      follow(call);
    });
  }
};

/** steadyrtc through its server: the documented `new Room()`, handlers, `connect`. */
export const STEADYRTC = async ({ url, room, name, token }) => {
  const { Room } = await import("steadyrtc");
  const r = new Room();
  r.on("track", ({ stream, track }) => { if (track.kind === "video") window.__show(stream); });
  r.on("stateChange", ({ to }) => { if (to === "connected") window.__mark("connected"); });
  window.__cleanup.push(() => r.leave());
  window.__mark("join0");
  await r.connect({ url, room, name, token, media: { audio: true, video: true } });
  window.__mark("ready");
};

/** steadyrtc's module and wasm, loaded before the user acts, then `warmUp()`, as the
 * README tells an app to do at start (`warm: false`, the "steadyrtc-cold" row: without). */
export const STEADYRTC_INIT = async ({ warm }) => {
  const { default: init, warmUp } = await import("steadyrtc");
  await init();
  if (warm) await warmUp();
};

/** BENCH_PHASES=1: an init script that marks, in `window.__t`, the first time each page's
 * RTCPeerConnection reaches each step of a call (`pc` made, `offer`/`answer` created,
 * `local`/`remote` description set, first local candidate `cand`, first remote
 * candidate added `rcand`, ICE `checking` and `iceConnected`, `dtls` connected). */
export const PHASE_MARKS = () => {
  const mark = (k) => { window.__t ??= {}; window.__t[k] ??= performance.timeOrigin + performance.now(); };
  const Native = window.RTCPeerConnection;
  const proto = Native.prototype;
  const after = (name, key) => {
    const f = proto[name];
    proto[name] = function (...args) { const p = f.apply(this, args); Promise.resolve(p).then(() => mark(typeof key === "function" ? key(this, args) : key), () => {}); return p; };
  };
  after("createOffer", "offer");
  after("createAnswer", "answer");
  after("setLocalDescription", "local");
  after("setRemoteDescription", "remote");
  after("addIceCandidate", "rcand");
  const addIce = proto.addIceCandidate;
  proto.addIceCandidate = function (...args) { mark("rcandCall"); return addIce.apply(this, args); };
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    mark("pc");
    pc.addEventListener("icecandidate", (e) => { if (e.candidate) mark("cand"); });
    pc.addEventListener("iceconnectionstatechange", () => { if (pc.iceConnectionState === "checking") mark("checking"); if (pc.iceConnectionState === "connected") mark("iceConnected"); });
    pc.addEventListener("connectionstatechange", () => { if (pc.connectionState === "connected") mark("dtls"); });
    return pc;
  };
  window.RTCPeerConnection.prototype = proto;
  // The offer and the answer on the signaling socket: sent (`offerOut`, `answerOut`) and
  // received (`offerIn`, `answerIn`).
  const kindOf = (data) => (typeof data === "string" ? (/"offer"/.test(data) ? "offer" : /"answer"/.test(data) ? "answer" : /candidate:/.test(data) ? "cand" : null) : null);
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) { const k = kindOf(data); if (k) mark(`${k}Out`); return send.call(this, data); };
  const NativeWs = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new NativeWs(...args);
    ws.addEventListener("message", (m) => { const k = kindOf(m.data); if (k) mark(`${k}In`); });
    return ws;
  };
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  window.WebSocket.prototype = NativeWs.prototype;
};
