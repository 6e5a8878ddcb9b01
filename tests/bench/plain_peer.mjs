// The baseline every benchmark compares with: a plain RTCPeerConnection with fake camera
// and microphone, its signaling relayed by the benchmark through `window.__send` (out)
// and `window.__receive` (in). Passed to `page.evaluate`; it sets `window.__pc` and
// `window.__stream`.
export const PLAIN_PEER = async (iceServers) => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const pc = new RTCPeerConnection({ iceServers: iceServers ?? [] });
  for (const t of stream.getTracks()) pc.addTrack(t, stream);
  pc.onicecandidate = (e) => { if (e.candidate) window.__send({ candidate: e.candidate.toJSON() }); };
  window.__pc = pc;
  window.__stream = stream;
  window.__receive = async (m) => {
    if (m.sdp) {
      await pc.setRemoteDescription(m.sdp);
      if (m.sdp.type === "offer") {
        await pc.setLocalDescription(await pc.createAnswer());
        window.__send({ sdp: pc.localDescription.toJSON() });
      }
    } else if (m.candidate) {
      await pc.addIceCandidate(m.candidate).catch(() => {});
    }
  };
};

/** In the page: the first side offers. */
export const PLAIN_OFFER = async () => {
  await window.__pc.setLocalDescription(await window.__pc.createOffer());
  window.__send({ sdp: window.__pc.localDescription.toJSON() });
};
