// The pre-join page: a live camera preview and a microphone meter (createLocalMedia),
// device pickers (listDevices; the library remembers the choice), name, room and role,
// and a clear message when the camera or microphone cannot be used.
//
// The preview starts on a click the first time (the browser then asks for permission,
// and the page has said why), and by itself on later visits once it worked.
import { createLocalMedia, listDevices } from "steadyrtc";
import type { LocalMedia, Role } from "steadyrtc";
import { $, h } from "./dom";
import { log } from "./log";
import { mediaProblem } from "./media_errors";
import type { JoinSettings, Mode } from "./settings";

const PREVIEW_KEY = "steadyrtc-demo.preview";

const ui = {
  video: () => $<HTMLVideoElement>("preview"),
  off: () => $("preview-off"),
  offText: () => $("preview-off-text"),
  meter: () => $("meter"),
  bar: () => $("meter-bar"),
  audio: () => $<HTMLInputElement>("audio"),
  camera: () => $<HTMLInputElement>("video"),
  micSelect: () => $<HTMLSelectElement>("mic-select"),
  camSelect: () => $<HTMLSelectElement>("camera-select"),
  role: () => $<HTMLSelectElement>("role"),
  room: () => $<HTMLInputElement>("room"),
  name: () => $<HTMLInputElement>("name"),
  tags: () => $<HTMLInputElement>("tags"),
};

const MODES: Mode[] = ["meeting", "broadcast", "match"];

function mode(): Mode {
  return ($("mode").querySelector<HTMLInputElement>("input:checked")?.value as Mode | undefined) ?? "meeting";
}

function setMode(m: Mode): void {
  const input = $("mode").querySelector<HTMLInputElement>(`input[value="${m}"]`);
  if (input) input.checked = true;
  applyMode();
}

/** A match needs no role (everyone is a guest) but may have interests; a broadcast says what its roles mean. */
function applyMode(): void {
  const m = mode();
  $("tags-field").hidden = m !== "match";
  $("role-field").hidden = m === "match";
  if (m === "match" && ui.role().value !== "guest") ui.role().value = "guest";
  $("role-hint").textContent = m === "broadcast" ? "Host: the guide, who talks. Listener: an attendee, who watches and may raise a hand." : "";
  applyRole();
}

let preview: LocalMedia | undefined;
/** Bumped on each start/stop: a capture that resolves after a newer request is dropped. */
let generation = 0;
let meterFrame = 0;
/** Devices picked in the selectors during this visit (handed to the room to remember). */
const picked: { microphone?: string; camera?: string } = {};

export const previewRunning = (): boolean => preview !== undefined;

function publishes(): boolean {
  return ui.role().value !== "listener";
}

function showMeter(level: number): void {
  const pct = Math.round(Math.min(1, Math.max(0, level)) * 100);
  ui.bar().style.width = `${pct}%`;
  ui.meter().setAttribute("aria-valuenow", String(pct));
}

function meterLoop(): void {
  cancelAnimationFrame(meterFrame);
  const tick = () => {
    if (!preview) return showMeter(0);
    showMeter(preview.level());
    meterFrame = requestAnimationFrame(tick);
  };
  meterFrame = requestAnimationFrame(tick);
}

function hideProblem(): void {
  $("media-error").hidden = true;
}

function showProblem(e: unknown): void {
  const p = mediaProblem(e);
  const box = $("media-error");
  box.dataset.code = p.code;
  $("media-error-title").textContent = p.title;
  $("media-error-next").textContent = p.next;
  box.hidden = false;
  log(`camera/microphone: ${p.title.toLowerCase()} (${p.code})`);
}

async function fillDevices(stream: MediaStream): Promise<void> {
  const inUse = (kind: "audio" | "video") => stream.getTracks().find((t) => t.kind === kind)?.getSettings().deviceId;
  const fill = async (select: HTMLSelectElement, kind: "audioinput" | "videoinput", current: string | undefined, fallback: string) => {
    const devices = await listDevices(kind);
    const keep = select.value;
    select.replaceChildren(...devices.map((d, i) => h("option", { value: d.deviceId, text: d.label || `${fallback} ${i + 1}` })));
    if (devices.length === 0) select.append(h("option", { value: "", text: `No ${fallback.toLowerCase()} found` }));
    select.value = current ?? keep;
    select.disabled = devices.length === 0;
  };
  await fill(ui.micSelect(), "audioinput", inUse("audio") ?? picked.microphone, "Microphone");
  await fill(ui.camSelect(), "videoinput", inUse("video") ?? picked.camera, "Camera");
}

/** Stops the preview (the camera light goes out). */
export function stopPreview(): void {
  generation += 1;
  preview?.stop();
  preview?.free();
  preview = undefined;
  ui.video().srcObject = null;
  ui.off().hidden = false;
  showMeter(0);
  $("prejoin").dataset.preview = "off";
}

/** (Re)starts the preview with what the toggles and selectors say now. */
export async function startPreview(): Promise<void> {
  stopPreview();
  hideProblem();
  const audio = ui.audio().checked && publishes();
  const video = ui.camera().checked && publishes();
  if (!audio && !video) {
    ui.offText().textContent = publishes() ? "Camera and microphone are off." : "Listeners join without camera or microphone.";
    return;
  }
  const mine = generation;
  $("prejoin").dataset.preview = "starting";
  ui.offText().textContent = "Starting your camera and microphone…";
  try {
    const media = await createLocalMedia({ audio, video, microphone: picked.microphone, camera: picked.camera });
    if (mine !== generation) {
      media.stop();
      media.free();
      return;
    }
    preview = media;
    localStorage.setItem(PREVIEW_KEY, "on");
    ui.video().srcObject = media.stream;
    ui.off().hidden = video;
    ui.offText().textContent = video ? "" : "Camera is off.";
    $("prejoin").dataset.preview = "on";
    meterLoop();
    await fillDevices(media.stream);
  } catch (e) {
    if (mine !== generation) return;
    $("prejoin").dataset.preview = "error";
    ui.offText().textContent = "No preview.";
    showProblem(e);
  }
}

/**
 * What to publish when joining: the preview's stream (the room then owns it: the camera
 * is opened once) or, without a preview, what the toggles say.
 */
export function takeMedia(): { stream: MediaStream } | { audio: boolean; video: boolean } {
  const settings = current();
  const running = preview;
  if (running && settings.role !== "listener") {
    preview = undefined; // handed over: stopping it is the room's job now
    generation += 1;
    cancelAnimationFrame(meterFrame);
    const stream = running.stream;
    running.free();
    ui.video().srcObject = null;
    ui.off().hidden = false;
    showMeter(0);
    $("prejoin").dataset.preview = "off";
    return { stream };
  }
  stopPreview();
  return { audio: settings.audio, video: settings.video };
}

/** Devices picked in this visit, for `room.switchDevice` (which remembers them). */
export function pickedDevices(): { microphone?: string; camera?: string } {
  return { ...picked };
}

export function current(): JoinSettings {
  const role = ui.role().value as Role;
  return {
    mode: mode(),
    tags: ui.tags().value.split(",").map((t) => t.trim()).filter((t) => t !== "").slice(0, 16),
    room: ui.room().value.trim(),
    name: ui.name().value.trim(),
    role,
    audio: role !== "listener" && ui.audio().checked,
    video: role !== "listener" && ui.camera().checked,
  };
}

/** Shows the pre-join page again, as it was (the preview back on if it was used). */
export function resume(settings?: JoinSettings): void {
  if (settings) {
    ui.room().value = settings.room;
    ui.name().value = settings.name;
    ui.role().value = settings.role;
    setMode(settings.mode);
  }
  applyRole();
  if (localStorage.getItem(PREVIEW_KEY) === "on" && publishes()) void startPreview();
}

function applyRole(): void {
  const listener = !publishes();
  for (const el of [ui.audio(), ui.camera()]) el.disabled = listener;
  if (listener) {
    ui.micSelect().disabled = true;
    ui.camSelect().disabled = true;
  }
}

export function setupPrejoin(): void {
  const params = new URLSearchParams(location.search);
  ui.room().value = params.get("room") ?? "demo";
  ui.name().value = params.get("name") ?? `Guest ${Math.floor(100 + Math.random() * 900)}`;
  const role = params.get("role");
  if (role === "host" || role === "guest" || role === "listener") ui.role().value = role;
  const asked = params.get("mode") as Mode | null;
  if (asked && MODES.includes(asked)) setMode(asked);
  $("mode").addEventListener("change", applyMode);
  $("preview-start").addEventListener("click", () => void startPreview());
  $("media-retry").addEventListener("click", () => void startPreview());
  $("media-without").addEventListener("click", () => {
    ui.audio().checked = false;
    ui.camera().checked = false;
    hideProblem();
    void startPreview();
  });
  const restartIfUsed = () => {
    if (preview || $("prejoin").dataset.preview === "error") void startPreview();
  };
  ui.audio().addEventListener("change", restartIfUsed);
  ui.camera().addEventListener("change", restartIfUsed);
  ui.micSelect().addEventListener("change", () => {
    picked.microphone = ui.micSelect().value || undefined;
    restartIfUsed();
  });
  ui.camSelect().addEventListener("change", () => {
    picked.camera = ui.camSelect().value || undefined;
    restartIfUsed();
  });
  ui.role().addEventListener("change", () => {
    applyRole();
    if (!publishes()) stopPreview();
    else if (localStorage.getItem(PREVIEW_KEY) === "on") void startPreview();
  });
  resume();
}
