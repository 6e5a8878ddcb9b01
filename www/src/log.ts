// "What happened": one line per thing the library reported, newest first. The network
// lab and the e2e tests read these sentences (#log), so their wording is part of the
// demo's contract: change one only together with the tests that look for it.
import { $ } from "./dom";

export function log(text: string): void {
  const li = document.createElement("li");
  li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
  $("log").prepend(li);
}

/** The newest `n` lines, oldest first, for an error report. */
export function recentLog(n: number): string {
  return [...$("log").children].slice(0, n).map((li) => li.textContent ?? "").reverse().join("\n");
}
