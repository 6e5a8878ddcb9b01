// What the user chose on the pre-join page: "Try again" joins with exactly these.
import type { Role } from "steadyrtc";

export interface JoinSettings {
  room: string;
  name: string;
  role: Role;
  audio: boolean;
  video: boolean;
}
