// The chat panel: lines go through the server (`sendChat`) and arrive as `chat` events,
// each once (the library drops a line sent again). A line of yours shows at once as
// "sending…" and is marked sent when the server confirmed it.
import type { ChatEvent, Room } from "steadyrtc";
import { SteadyError } from "steadyrtc";
import { $, h } from "./dom";
import { log } from "./log";

function line(from: string, text: string, extra: Record<string, string> = {}): HTMLLIElement {
  const li = h("li", extra, h("b", { text: `${from}: ` }), text);
  $("messages").append(li);
  li.scrollIntoView({ block: "nearest" });
  return li;
}

export function showChat(e: ChatEvent): void {
  line(e.name, e.text, { "data-chat-id": e.id, ...(e.private ? { class: "private" } : {}) });
}

/** A data-channel message (`room.send`), shown in the same list. */
export function showMessage(from: string, text: string): void {
  line(from, text, { class: "direct" });
}

export async function sendChat(room: Room, text: string): Promise<void> {
  const li = line("You", text, { "data-state": "sending", title: "sending…" });
  try {
    await room.sendChat(text);
    li.dataset.state = "sent";
    li.title = "delivered to the server";
  } catch (e) {
    li.dataset.state = "failed";
    li.title = "not sent";
    log(e instanceof SteadyError ? `chat not sent (${e.code}${e.serverCode ? ` ${e.serverCode}` : ""}): ${e.message}` : `chat not sent: ${String(e)}`);
  }
}

export function clearChat(): void {
  $("messages").replaceChildren();
}
