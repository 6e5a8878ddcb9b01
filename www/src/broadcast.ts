// The broadcast page: the guide's side (the attendee count, raised hands with Admit and
// Revoke) and the attendee's (the guide full size, no camera; Raise hand; once admitted
// the camera and microphone go on, and they stop when the guide takes the floor back).
import type { Role, Room } from "steadyrtc";
import { banner } from "./banner";
import { guard } from "./boundary";
import { enableControls } from "./controls";
import { $, h } from "./dom";
import { log } from "./log";
import { addPerson } from "./people";
import type { JoinSettings } from "./settings";
import { tileOf } from "./tiles";

interface Hand {
  name: string;
  raised: boolean;
  admitted: boolean;
}

const hands = new Map<string, Hand>();
let current: Room | undefined;

function render(): void {
  const shown = [...hands.entries()].filter(([, x]) => x.raised || x.admitted);
  $("hands").replaceChildren(...shown.map(([id, x]) => {
    const what = x.admitted ? "Revoke" : "Admit";
    const button = h("button", { type: "button", text: what, "aria-label": `${what} ${x.name}` });
    button.addEventListener("click", () => floor(id, x.name, !x.admitted));
    return h("li", { "data-peer-id": id, "data-raised": String(x.raised) }, h("span", { class: "name", text: x.name }), button);
  }));
  $("floor-empty").hidden = shown.length > 0;
}

/** The guide lets `id` speak, or takes it back. */
function floor(id: string, name: string, admit: boolean): void {
  try {
    if (admit) current?.promote(id);
    else current?.demote(id);
    log(`${admit ? "admitting" : "revoking"} ${name}`);
  } catch (e) {
    banner(`Could not ${admit ? "admit" : "revoke"} ${name}: ${String(e)}`, "error", 8_000);
  }
}

function setHand(raised: boolean): void {
  const button = $("hand-btn");
  button.setAttribute("aria-pressed", String(raised));
  button.querySelector(".label")!.textContent = raised ? "Lower hand" : "Raise hand";
}

/** Our own role changed: admitted, the camera and microphone go on; revoked, they stopped. */
async function ownRole(room: Room, name: string, role: Role): Promise<void> {
  const speaking = role !== "listener";
  document.body.dataset.role = role;
  addPerson("local", `${name} (you)`, role);
  enableControls(true, role);
  setHand(false);
  $("hand-btn").hidden = speaking;
  if (!speaking) {
    banner("The guide took the floor back", "info", 6_000);
    log("you listen again");
    return;
  }
  banner("The guide let you speak: your camera and microphone are on", "ok", 6_000);
  log("you may speak now");
  try {
    await room.setCameraEnabled(true);
    await room.setMicrophoneEnabled(true);
    $<HTMLVideoElement>("local").srcObject = room.localStream ?? null;
  } catch (e) {
    banner(`Your camera or microphone did not start: ${String(e)}`, "error", 8_000);
  }
}

export function wireBroadcast(room: Room, s: JoinSettings): void {
  current = room;
  $("floor").hidden = s.role !== "host";
  $("hand-btn").hidden = s.role !== "listener";
  room.on("attendees", guard(({ count }) => {
    $("attendee-count").textContent = String(count);
  }));
  room.on("peerJoined", guard((p) => {
    const t = tileOf(p.id);
    if (t) t.dataset.role = p.role;
  }));
  room.on("peerLeft", guard(({ id }) => {
    if (hands.delete(id)) render();
  }));
  room.on("handRaised", guard(({ peerId, name, raised }) => {
    const x = hands.get(peerId) ?? { name, raised, admitted: false };
    x.raised = raised;
    hands.set(peerId, x);
    render();
    log(`${name} ${raised ? "raised" : "lowered"} a hand`);
    if (raised) banner(`${name} asks to speak`, "info", 6_000);
  }));
  room.on("roleChanged", guard(({ peerId, role, local }) => {
    if (local) return void ownRole(room, s.name, role);
    const t = tileOf(peerId);
    if (t) t.dataset.role = role;
    const name = room.peers().find((p) => p.id === peerId)?.name ?? peerId;
    const x = hands.get(peerId) ?? { name, raised: false, admitted: false };
    x.admitted = role !== "listener";
    x.raised = false;
    hands.set(peerId, x);
    addPerson(peerId, name, role);
    render();
    log(`${name} ${x.admitted ? "may speak" : "listens again"}`);
  }));
}

export function setupBroadcast(room: () => Room | undefined): void {
  $("hand-btn").addEventListener("click", () => {
    const raised = $("hand-btn").getAttribute("aria-pressed") !== "true";
    try {
      room()?.raiseHand(raised);
      setHand(raised);
      log(raised ? "you raised your hand" : "you lowered your hand");
    } catch (e) {
      banner(`Could not raise your hand: ${String(e)}`, "error", 8_000);
    }
  });
}

export function clearFloor(): void {
  hands.clear();
  current = undefined;
  render();
  setHand(false);
  $("attendee-count").textContent = "0";
  $("floor").hidden = true;
  $("hand-btn").hidden = true;
}
