// "Test my connection" on the pre-join page: the library's pre-call check, each step with
// its verdict, its time and what it means.
import { checkConnectivity, SteadyError } from "steadyrtc";
import { $, h } from "./dom";
import { current } from "./prejoin";
import { devToken } from "./token";

const MARK = { pass: "✓", warn: "!", fail: "✗" } as const;

async function check(): Promise<void> {
  const button = $<HTMLButtonElement>("check");
  const report = $<HTMLOListElement>("check-report");
  button.disabled = true;
  report.hidden = false;
  report.replaceChildren();
  delete report.dataset.ok;
  delete report.dataset.path;
  const s = current();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  try {
    const token = await devToken(s.room || "demo", s.name || "Guest", s.role);
    const result = await checkConnectivity({ url, token, media: { audio: s.audio, video: s.video } });
    for (const step of result.steps) {
      report.append(h("li", { "data-name": step.name, "data-status": step.status, text: `${MARK[step.status]} ${step.message} (${step.ms} ms)` }));
    }
    report.append(h("li", { "data-name": "summary", "data-status": result.ok ? "pass" : "fail", text: result.summary }));
    report.dataset.ok = String(result.ok);
    if (result.path) report.dataset.path = result.path;
  } catch (e) {
    report.append(h("li", { "data-status": "fail", text: e instanceof SteadyError ? `${e.code}: ${e.message}` : String(e) }));
    report.dataset.ok = "false";
  } finally {
    button.disabled = false;
  }
}

export function setupCheck(): void {
  $("check").addEventListener("click", () => void check());
}
