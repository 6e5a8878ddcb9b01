// The steadyrtc demo: a pre-join page (mode, preview, devices, name, room, role), the
// meeting (tiles, controls, chat, people), a broadcast (the guide's floor, the attendee's
// view) and a random match, one error boundary for every failure, and a debug panel. It
// uses only the public npm package API.
import init, { version } from "steadyrtc";
import { installBoundary } from "./boundary";
import { setupBroadcast } from "./broadcast";
import { setupCheck } from "./check";
import { sendChat } from "./chat";
import { setupControls } from "./controls";
import { setupDebug } from "./debug";
import { $ } from "./dom";
import { indicateCall } from "./indicators";
import { log } from "./log";
import { nextMatch, startMatch } from "./match";
import { abandon, currentRoom, join, lastSettings, leave, reconnectPeerNow } from "./meeting";
import * as prejoin from "./prejoin";
import { setStatus } from "./status";
import { showView } from "./views";

function goBack(): void {
  void leave().finally(() => {
    setStatus("idle", "Not in a room");
    showView("prejoin");
    prejoin.resume(lastSettings());
  });
}

async function main(): Promise<void> {
  installBoundary({
    show: abandon,
    tryAgain: () => {
      const s = lastSettings();
      if (!s) return goBack();
      // The same room, name, role and sources as the last attempt (the preview's
      // stream went with that room: capture again).
      const media = { audio: s.audio, video: s.video };
      void (s.mode === "match" ? startMatch(s, media) : join(s, media));
    },
    goBack,
  });
  await init();
  $("version").textContent = `v${version()}`;
  indicateCall(undefined);
  setupControls(currentRoom);
  setupDebug(currentRoom, reconnectPeerNow);
  setupBroadcast(currentRoom);
  $("next-btn").addEventListener("click", nextMatch);
  prejoin.setupPrejoin();
  setupCheck();
  $("join-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const settings = prejoin.current();
    const devices = prejoin.pickedDevices();
    const media = prejoin.takeMedia();
    void (settings.mode === "match" ? startMatch(settings, media) : join(settings, media, devices));
  });
  $("leave").addEventListener("click", goBack);
  $("message-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $<HTMLInputElement>("message-text");
    const text = input.value.trim();
    const room = currentRoom();
    if (!room || !text) return;
    input.value = "";
    void sendChat(room, text);
  });
  $("start-audio").addEventListener("click", () => {
    const room = currentRoom();
    room?.startAudio().then(() => ($("start-audio").hidden = true), (e: unknown) => log(`audio did not start: ${String(e)}`));
  });
  // Leaving the page leaves the room (the server hears `leave` at once, not a timeout).
  addEventListener("pagehide", () => void currentRoom()?.leave().catch(() => {}));
  showView("prejoin");
  document.body.dataset.ready = "true";
}

main().catch((e: unknown) => {
  setStatus("error", "Failed to load");
  log(`failed to load steadyrtc: ${String(e)}`);
  throw e; // the boundary shows it
});
