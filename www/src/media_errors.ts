// What to tell a user whose camera or microphone cannot be used, and what they can do.
import { SteadyError } from "steadyrtc";

export interface MediaProblem {
  code: string;
  title: string;
  next: string;
}

export function mediaProblem(e: unknown): MediaProblem {
  const code = e instanceof SteadyError ? e.code : "unknown";
  const said = e instanceof Error ? ` (${e.message})` : "";
  switch (code) {
    case "mediaPermissionDenied":
      return {
        code,
        title: "Camera and microphone are blocked",
        next: "Allow them in your browser: click the camera icon in the address bar (or the site settings), choose Allow, then Try again. You can also join without them and only listen.",
      };
    case "mediaDeviceNotFound":
      return {
        code,
        title: "No camera or microphone found",
        next: "Plug one in (or check that it is switched on), then Try again. Or turn the missing one off above and join with what you have.",
      };
    case "mediaDeviceInUse":
      return {
        code,
        title: "Your camera or microphone is in use",
        next: "Another app or tab is holding it (a video call, a recorder). Close that app, then Try again, or pick another device above.",
      };
    case "mediaUnavailable":
      return { code, title: "This page cannot use a camera", next: `Open the demo over https or from localhost, then Try again${said}.` };
    default:
      return { code, title: "The camera or microphone did not start", next: `Try again, or join without them${said}.` };
  }
}
