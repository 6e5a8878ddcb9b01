// Which page is on screen: the pre-join page, the meeting, or the error boundary.
import { $ } from "./dom";

export type View = "prejoin" | "meeting" | "boundary";

export function showView(view: View): void {
  document.body.dataset.view = view;
  $("prejoin").hidden = view !== "prejoin";
  $("meeting").hidden = view !== "meeting";
  $("boundary").hidden = view !== "boundary";
}
