// The status pill in the header. `data-state` (idle, joining, joined, disconnected,
// error) is what tests wait on.
import { $ } from "./dom";

export type Status = "idle" | "joining" | "joined" | "disconnected" | "error";

export function setStatus(state: Status, text: string): void {
  const el = $("status");
  el.dataset.state = state;
  el.textContent = text;
}
