// Which page is on screen: the pre-join page or the meeting.
import { $ } from "./dom";

export type View = "prejoin" | "meeting";

export function showView(view: View): void {
  document.body.dataset.view = view;
  $("prejoin").hidden = view !== "prejoin";
  $("meeting").hidden = view !== "meeting";
}
