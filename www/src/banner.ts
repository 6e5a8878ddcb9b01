// One line above the call saying what is being tried ("reconnecting: restarting the
// connection to Bob, attempt 2"), then how it ended ("recovered after 3.2 s").
import { $ } from "./dom";

let timer = 0;

export function banner(text: string, tone: "info" | "ok" | "error" = "info", hideAfterMs?: number): void {
  const el = $("banner");
  clearTimeout(timer);
  el.textContent = text;
  el.dataset.tone = tone;
  el.hidden = false;
  if (hideAfterMs) timer = window.setTimeout(() => (el.hidden = true), hideAfterMs);
}

export function clearBanner(): void {
  clearTimeout(timer);
  $("banner").hidden = true;
}
