// A shared screen takes the stage: the `track` event with `source: "screen"`. The tiles
// shrink to a strip beside it; the stage goes when the share ends.
import { $ } from "./dom";

let sharer: string | undefined;

export function showScreen(peerId: string, name: string, stream: MediaStream): void {
  sharer = peerId;
  const video = $<HTMLVideoElement>("screen");
  if (video.srcObject !== stream) video.srcObject = stream;
  $("screen-caption").textContent = `${name} is sharing their screen`;
  $("screen-stage").hidden = false;
  $("meeting").dataset.stage = "screen";
}

/** The share of `peerId` ended (or `peerId` left). */
export function endScreen(peerId?: string): void {
  if (peerId !== undefined && peerId !== sharer) return;
  sharer = undefined;
  $<HTMLVideoElement>("screen").srcObject = null;
  $("screen-stage").hidden = true;
  delete $("meeting").dataset.stage;
}
