// The participants list: you first, then everyone in the room, with role, microphone and
// connection state.
import type { ConnectionState, Role } from "steadyrtc";
import { $, MIC_OFF_SVG, h } from "./dom";

interface Person {
  name: string;
  role: Role;
  mic: boolean;
  state: string;
}

const people = new Map<string, Person>();

function render(): void {
  const list = $("people");
  list.replaceChildren(
    ...[...people.entries()].map(([id, p]) => {
      const mic = h("span", { class: "mic-off", title: "Microphone muted" });
      mic.innerHTML = `${MIC_OFF_SVG}<span class="sr-only">microphone muted</span>`;
      mic.hidden = p.mic;
      return h("li", { "data-peer-id": id }, h("span", { class: "name", text: p.name }), h("span", { class: "role", text: p.role }), mic, h("span", { class: "state", text: id === "local" ? "" : p.state }));
    }),
  );
  $("people-count").textContent = `(${people.size})`;
}

export function addPerson(id: string, name: string, role: Role): void {
  const before = people.get(id);
  people.set(id, { name, role, mic: before?.mic ?? true, state: before?.state ?? "new" });
  render();
}

export function removePerson(id: string): void {
  people.delete(id);
  render();
}

export function personMic(id: string, on: boolean): void {
  const p = people.get(id);
  if (!p || p.mic === on) return;
  p.mic = on;
  render();
}

export function personState(id: string, state: ConnectionState): void {
  const p = people.get(id);
  if (!p) return;
  p.state = state;
  render();
}

export function clearPeople(): void {
  people.clear();
  render();
}
