// A user of the demo page for the e2e tests: one Chromium process whose console and
// "What happened" log are printed when its test fails (or always, with DEMO_DEBUG=1).
import { launchBrowser } from "./harness.mjs";

/** Records every track getUserMedia hands out (the preview's and the room's). */
export const TRACK_CAPTURE = () => {
  window.__captured = [];
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => {
    const stream = await gum(c);
    window.__captured.push(...stream.getTracks());
    return stream;
  };
};

/** A browser for test `t`; with `capture`, `window.__captured` holds every track captured. */
export async function user(t, { capture = false } = {}) {
  const b = await launchBrowser();
  t.after(async () => {
    if (t.passed === false || process.env.DEMO_DEBUG) {
      console.log("console:\n" + b.consoleLines.slice(-60).join("\n"));
      console.log("log:\n" + (await b.page.evaluate(() => document.getElementById("log")?.innerText).catch(() => "")));
    }
  });
  t.after(() => b.close());
  if (capture) await b.page.addInitScript(TRACK_CAPTURE);
  return b;
}
