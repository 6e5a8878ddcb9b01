// The error boundary: one place where every failure lands (a refused join, a call that
// could not be recovered, an exception anywhere on the page), never a blank page. It
// says what happened and what to do, with Try again (same settings) and Go back.
import { $ } from "./dom";
import { crashFailure, type Failure } from "./failures";
import { recentLog } from "./log";
import { setStatus } from "./status";
import { showView } from "./views";

let onTryAgain: () => void = () => {};
let onGoBack: () => void = () => {};
let onShow: () => void = () => {};

let showing = false;

export function showFailure(f: Failure): void {
  if (showing) return; // a failure while showing one (a broken page): keep the first
  showing = true;
  try {
    render(f);
  } finally {
    showing = false;
  }
}

function render(f: Failure): void {
  onShow();
  const box = $("boundary");
  box.dataset.kind = f.kind;
  $("boundary-title").textContent = f.title;
  $("boundary-what").textContent = f.what;
  $("boundary-next").textContent = f.next;
  const log = recentLog(12);
  $("boundary-detail").textContent = log ? `${f.detail}\n\nWhat happened:\n${log}` : f.detail;
  setStatus("error", f.title);
  showView("boundary");
  $("try-again").focus();
}

/** A guard for the demo's own handlers: an exception in one lands in the boundary. */
export function guard<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (e) {
      showFailure(crashFailure(e));
    }
  };
}

/**
 * Wires the buttons and catches what nothing else caught: uncaught exceptions and
 * unhandled promise rejections anywhere on the page. `show` runs first on every
 * failure (it leaves the call).
 */
export function installBoundary(handlers: { tryAgain: () => void; goBack: () => void; show: () => void }): void {
  onTryAgain = handlers.tryAgain;
  onGoBack = handlers.goBack;
  onShow = handlers.show;
  $("try-again").addEventListener("click", () => onTryAgain());
  $("go-back").addEventListener("click", () => onGoBack());
  addEventListener("error", (e) => showFailure(crashFailure(e.error ?? e.message)));
  addEventListener("unhandledrejection", (e) => showFailure(crashFailure(e.reason)));
}
