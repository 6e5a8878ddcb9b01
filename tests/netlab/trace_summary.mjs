// What the libraries decided, in a few lines: from the pages' exportTrace (the timeline's
// `traces`), each link's descriptions (with their ICE ufrag), ICE states, timers and stats
// verdicts, and each room's socket and session steps, in lab time. Printed when a scenario
// fails, so that a CI log says what happened without the timeline file.

const version = (sdp) => /^o=\S+ \S+ (\d+)/m.exec(sdp ?? "")?.[1];
const ufrag = (sdp) => /a=ice-ufrag:(\S+)/.exec(sdp ?? "")?.[1];

/** One short line for a link's input, or null for the ones not worth a line. */
function linkLine(input) {
  switch (input?.type) {
    case "remoteDescription": return `<- ${input.kind} v${version(input.sdp)} ufrag=${ufrag(input.sdp)}`;
    case "localDescriptionApplied": return `set local ${input.kind} v${version(input.sdp)} ufrag=${ufrag(input.sdp)}`;
    case "iceConnectionStateChanged": return `ice ${input.state}`;
    case "connectionStateChanged": return `connection ${input.state}`;
    case "timerFired": return `timer ${input.timer}`;
    case "statsStalled": case "statsFlowing": case "signalingUp": case "signalingDown": case "rolledBack": case "retryNow": return input.type;
    default: return null;
  }
}

/** One short line for a room step, or null. */
function roomLine(step) {
  const input = step?.input;
  switch (input?.type) {
    case "socketOpened": case "connect": return input.type;
    case "socketClosed": return `socketClosed ${input.code}`;
    case "timerFired": return input.timer?.kind === "session" ? `session timer ${input.timer.timer}` : input.timer?.kind === "giveUp" ? "giveUp" : null;
    case "frame": return ["welcome", "resumed", "goAway", "error", "peerLeft", "peerJoined"].includes(input.message?.type) ? `<- ${input.message.type}` : null;
    default: return null;
  }
}

/** Lines "<lab ms> <name> <what>" for everything after lab time `from`, at most `max` (the last ones). */
export function traceSummary(traces, t0, from = 0, max = 80) {
  const lines = [];
  for (const [name, trace] of Object.entries(traces ?? {})) {
    if (!trace) continue;
    for (const e of trace.room?.entries ?? []) {
      const line = roomLine(e.step);
      if (line) lines.push([e.atMs - t0, `${name} room ${line}`]);
    }
    for (const link of Object.values(trace.links ?? {})) {
      for (const e of link.entries ?? []) {
        const line = linkLine(e.input);
        if (line) lines.push([e.atMs - t0, `${name} ${line}`]);
      }
    }
  }
  return lines
    .filter(([t]) => t >= from)
    .sort((x, y) => x[0] - y[0])
    .slice(-max)
    .map(([t, s]) => `${String(t).padStart(7)} ${s}`);
}
