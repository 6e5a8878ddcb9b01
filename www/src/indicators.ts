// What the page says outside the call view: the recording indicator (every
// participant's page: consent), the page title and the favicon (muted, recording).
import { $ } from "./dom";

const state = { room: "", muted: false, recordingBy: "", inCall: false };

function favicon(): string {
  const dot = state.recordingBy ? "#d93025" : state.inCall ? "#1e8e3e" : "#5f6368";
  const slash = state.muted ? '<path d="M6 6l20 20" stroke="#fff" stroke-width="4"/><path d="M6 6l20 20" stroke="#000" stroke-width="2"/>' : "";
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="${dot}"/><rect x="12" y="7" width="8" height="13" rx="4" fill="#fff"/><path d="M9 16a7 7 0 0 0 14 0M16 23v3" stroke="#fff" stroke-width="2" fill="none"/>${slash}</svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

function render(): void {
  const parts = [state.recordingBy ? "● REC" : "", state.inCall && state.muted ? "Muted" : "", state.inCall ? `${state.room} · steadyrtc` : "steadyrtc demo"];
  document.title = parts.filter(Boolean).join(" · ");
  $<HTMLLinkElement>("favicon").href = favicon();
  const rec = $("rec-indicator");
  rec.hidden = !state.recordingBy;
  $("rec-text").textContent = state.recordingBy ? `Recording (by ${state.recordingBy})` : "";
}

export function indicateCall(room: string | undefined): void {
  state.inCall = room !== undefined;
  state.room = room ?? "";
  if (!state.inCall) {
    state.recordingBy = "";
    state.muted = false;
  }
  render();
}

export function indicateMuted(muted: boolean): void {
  state.muted = muted;
  render();
}

/** `by` is recording the room (a name), or nobody (""). */
export function indicateRecording(by: string): void {
  state.recordingBy = by;
  render();
}
