// Charts drawn as SVG by hand: a sparkline (a value over time) and a state strip
// (coloured segments, a tooltip on each). No library.
const NS = "http://www.w3.org/2000/svg";

function svg(width: number, height: number, label: string): SVGSVGElement {
  const el = document.createElementNS(NS, "svg");
  el.setAttribute("viewBox", `0 0 ${width} ${height}`);
  el.setAttribute("preserveAspectRatio", "none");
  el.setAttribute("role", "img");
  el.setAttribute("aria-label", label);
  return el;
}

function node<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, title?: string): SVGElementTagNameMap[K] {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (title) {
    const t = document.createElementNS(NS, "title");
    t.textContent = title;
    el.append(t);
  }
  return el;
}

/** `points` ([time ms, value]) over the window [from, to], scaled to 0..max. */
export function sparkline(label: string, points: [number, number][], from: number, to: number, max: number, unit: string): SVGSVGElement {
  const W = 240;
  const H = 36;
  const el = svg(W, H, label);
  const top = Math.max(max, ...points.map(([, v]) => v), 1e-9);
  const xy = points.map(([t, v]) => `${(((t - from) / Math.max(1, to - from)) * W).toFixed(1)},${(H - 2 - (v / top) * (H - 4)).toFixed(1)}`);
  el.append(node("rect", { x: 0, y: 0, width: W, height: H, class: "spark-bg" }));
  if (xy.length > 0) el.append(node("polyline", { points: xy.join(" "), class: "spark-line", "vector-effect": "non-scaling-stroke" }));
  const last = points.at(-1);
  const title = document.createElementNS(NS, "title");
  title.textContent = `${label}: ${last ? `${Math.round(last[1] * 10) / 10} ${unit}` : "no data"} (scale 0-${Math.round(top)} ${unit}, last 2 minutes)`;
  el.prepend(title);
  return el;
}

/** Segments `[start ms, state, reason]`, each until the next (the last until `to`). */
export function stateStrip(label: string, steps: { at: number; state: string; reason: string }[], from: number, to: number): SVGSVGElement {
  const W = 240;
  const H = 14;
  const el = svg(W, H, label);
  const x = (t: number) => Math.max(0, Math.min(W, ((t - from) / Math.max(1, to - from)) * W));
  steps.forEach((s, i) => {
    const end = steps[i + 1]?.at ?? to;
    const width = Math.max(1, x(end) - x(s.at));
    el.append(node("rect", { x: x(s.at).toFixed(1), y: 0, width: width.toFixed(1), height: H, class: `st-${s.state}` }, `${s.state} (${s.reason}) at ${new Date(s.at).toLocaleTimeString()}`));
  });
  return el;
}
