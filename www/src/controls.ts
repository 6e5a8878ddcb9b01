// The call controls: microphone, camera, screen share, record (hosts), quality, end for
// everyone (hosts), leave.
// Each button shows a loading state while its operation runs (or while the library says
// the source is `pending`). M and V toggle the microphone and the camera.
import type { LocalMediaState, QualityPreference, Room } from "steadyrtc";
import { SteadyError } from "steadyrtc";
import { banner } from "./banner";
import { $, download } from "./dom";
import { indicateMuted } from "./indicators";
import { log } from "./log";

let current: () => Room | undefined = () => undefined;

const say = (what: string, e: unknown): void => {
  const text = e instanceof SteadyError ? `${what}: ${e.message}` : `${what}: ${String(e)}`;
  log(e instanceof SteadyError ? `${what} failed (${e.code}): ${e.message}` : `${what} failed: ${String(e)}`);
  banner(text, "error", 8_000);
};

/** Runs `op` with `button` in its loading state; a failure is said, never thrown. */
async function busy(button: HTMLButtonElement, what: string, op: () => Promise<unknown>): Promise<void> {
  button.dataset.loading = "true";
  button.setAttribute("aria-busy", "true");
  try {
    await op();
  } catch (e) {
    say(what, e);
  } finally {
    delete button.dataset.loading;
    button.removeAttribute("aria-busy");
  }
}

function setToggle(button: HTMLButtonElement, state: string, on: string, off: string): void {
  button.dataset.state = state;
  button.setAttribute("aria-pressed", String(state === "on"));
  if (state === "pending") button.setAttribute("aria-busy", "true");
  else if (!button.dataset.loading) button.removeAttribute("aria-busy");
  button.querySelector(".label")!.textContent = state === "off" ? off : on;
}

/** Shows what the library says of the local sources. */
export function showLocalMedia(m: LocalMediaState): void {
  setToggle($("mic-btn"), m.microphone, "Mic on", "Mic off");
  setToggle($("cam-btn"), m.camera, "Camera on", "Camera off");
  setToggle($("share-btn"), m.screen, "Stop sharing", "Share screen");
  indicateMuted(m.microphone === "off");
}

export function showRecording(active: boolean): void {
  const button = $<HTMLButtonElement>("record-btn");
  button.setAttribute("aria-pressed", String(active));
  button.querySelector(".label")!.textContent = active ? "Stop recording" : "Record";
}

function toggleMic(): void {
  const room = current();
  if (!room) return;
  const on = room.localMedia().microphone !== "on";
  void busy($("mic-btn"), on ? "unmuting" : "muting", () => room.setMicrophoneEnabled(on));
}

function toggleCamera(): void {
  const room = current();
  if (!room) return;
  const on = room.localMedia().camera !== "on";
  void busy($("cam-btn"), on ? "turning the camera on" : "turning the camera off", () => room.setCameraEnabled(on));
}

const END_LABEL = "End for everyone";
let endArmed: ReturnType<typeof setTimeout> | undefined;

function disarmEnd(): void {
  clearTimeout(endArmed);
  endArmed = undefined;
  const button = $("end-btn");
  button.dataset.armed = "false";
  button.querySelector(".label")!.textContent = END_LABEL;
}

/** The first click asks for a second one within 4 s: ending a meeting cannot be undone. */
function endForEveryone(): void {
  const room = current();
  if (!room) return;
  const button = $("end-btn");
  if (endArmed === undefined) {
    button.dataset.armed = "true";
    button.querySelector(".label")!.textContent = "Click again to end the meeting";
    endArmed = setTimeout(disarmEnd, 4_000);
    return;
  }
  disarmEnd();
  try {
    room.endRoom();
    log("ending the meeting for everyone");
  } catch (err) {
    say("ending the meeting", err);
  }
}

export function setupControls(room: () => Room | undefined): void {
  current = room;
  $("mic-btn").addEventListener("click", toggleMic);
  $("cam-btn").addEventListener("click", toggleCamera);
  $("share-btn").addEventListener("click", () => {
    const r = current();
    if (!r) return;
    const sharing = r.localMedia().screen === "on";
    void busy($("share-btn"), sharing ? "stopping the screen share" : "sharing the screen", () => (sharing ? r.stopScreenShare() : r.startScreenShare()));
  });
  $("record-btn").addEventListener("click", () => {
    const r = current();
    const button = $<HTMLButtonElement>("record-btn");
    if (!r) return;
    if (button.getAttribute("aria-pressed") === "true") {
      void busy(button, "stopping the recording", async () => {
        const file = await r.stopRecording();
        download(`steadyrtc-${r.roomName}-${new Date().toISOString().replace(/[:.]/g, "-")}.webm`, file);
        log(`recording saved (${Math.round(file.size / 1024)} KiB)`);
      });
    } else {
      void busy(button, "starting the recording", () => r.startRecording({}));
    }
  });
  $("end-btn").addEventListener("click", endForEveryone);
  $<HTMLSelectElement>("quality-select").addEventListener("change", (e) => {
    const r = current();
    const value = (e.target as HTMLSelectElement).value as QualityPreference;
    try {
      r?.setQuality(value);
      log(`quality set to ${value}`);
    } catch (err) {
      say("setting the quality", err);
    }
  });
  document.addEventListener("keydown", (e) => {
    if (document.body.dataset.view !== "meeting" || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
    if (e.key === "m" || e.key === "M") toggleMic();
    else if (e.key === "v" || e.key === "V") toggleCamera();
    else return;
    e.preventDefault();
  });
}

/** Enables the controls for a joined room; a listener has no mic, camera or share. */
export function enableControls(joined: boolean, role: string): void {
  const publishes = joined && role !== "listener";
  for (const id of ["mic-btn", "cam-btn", "share-btn"]) $<HTMLButtonElement>(id).disabled = !publishes;
  $<HTMLSelectElement>("quality-select").disabled = !publishes;
  $("record-btn").hidden = role !== "host";
  $<HTMLButtonElement>("record-btn").disabled = !joined;
  $("end-btn").hidden = role !== "host";
  $<HTMLButtonElement>("end-btn").disabled = !joined;
  disarmEnd();
  $<HTMLButtonElement>("leave").disabled = !joined;
  $<HTMLInputElement>("message-text").disabled = !joined;
  $<HTMLButtonElement>("send").disabled = !joined;
  if (!joined) {
    $<HTMLSelectElement>("quality-select").value = "auto";
    showRecording(false);
  }
}
