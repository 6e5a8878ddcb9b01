// The match page: waiting (the time waited and the place in line), the match's call
// (the usual tiles, controls and chat: a match runs a Room), Next and Leave.
import { Match } from "steadyrtc";
import { guard } from "./boundary";
import { $ } from "./dom";
import { log } from "./log";
import { enter, signalingUrl } from "./meeting";
import type { JoinSettings } from "./settings";
import { devToken } from "./token";

let running: Match | undefined;

const ordinal = (n: number): string => {
  const tail = n % 100 >= 11 && n % 100 <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${tail}`;
};

function waiting(waitedMs: number, position: number): void {
  const s = Math.floor(waitedMs / 1000);
  $("match-waited").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  $("match-position").textContent = position > 0 ? ` · ${ordinal(position)} in line` : "";
  $("match-wait").hidden = false;
}

export async function startMatch(s: JoinSettings, media: { stream: MediaStream } | { audio: boolean; video: boolean }): Promise<void> {
  const match = new Match({ url: signalingUrl(), tokenProvider: () => devToken(s.room, s.name, "guest"), logLevel: "info" });
  running = match;
  const room = match.room;
  match.on("queued", guard(({ waitedMs, position }) => waiting(waitedMs, position)));
  match.on("matched", guard(({ peer, waitedMs }) => {
    $("match-wait").hidden = true;
    log(`matched with ${peer.name} after ${(waitedMs / 1000).toFixed(1)} s`);
  }));
  $("next-btn").hidden = false;
  waiting(0, 0);
  await enter(s, room, {
    stop: async () => {
      if (running === match) running = undefined;
      $("match-wait").hidden = true;
      $("next-btn").hidden = true;
      await match.stop();
    },
    free: () => match.free(),
  }, () => match.start({ name: s.name, tags: s.tags, media }));
}

/** Next: the partner goes, the wait starts again. */
export function nextMatch(): void {
  try {
    running?.next();
    log("looking for someone else");
  } catch (e) {
    log(`could not move on: ${String(e)}`);
  }
}
