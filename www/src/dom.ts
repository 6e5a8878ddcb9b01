// Small DOM helpers: look up the page's fixed elements, build new ones.

/** The element with `id`; the page is broken without it. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`demo page is missing #${id}`);
  return el as T;
}

type Props = { class?: string; text?: string; title?: string; [attr: string]: string | undefined };

/** `<tag class=… title=…>text or children</tag>`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

/** The same SVG icon markup the page uses for a muted microphone. */
export const MIC_OFF_SVG = '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3a3 3 0 0 0-3 3v5a3 3 0 0 0 6 0V6a3 3 0 0 0-3-3zM6 11a6 6 0 0 0 12 0M12 17v4M3 3l18 18"/></svg>';

/** Initials for an avatar: "Ada Lovelace" -> "AL", "Bob" -> "B". */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = (s: string | undefined) => [...(s ?? "")][0] ?? "";
  const letters = parts.length > 1 ? first(parts[0]) + first(parts[parts.length - 1]) : first(parts[0]) || "?";
  return letters.toUpperCase();
}

/** Saves `text` as a file named `name` (a download). */
export function download(name: string, data: Blob | string, type = "application/json"): void {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const a = h("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}
