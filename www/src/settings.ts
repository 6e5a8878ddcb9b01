// What the user chose on the pre-join page: "Try again" joins with exactly these.
import type { Role } from "steadyrtc";

/** Meeting: everyone talks. Broadcast: a guide talks to attendees. Match: a random partner. */
export type Mode = "meeting" | "broadcast" | "match";

export interface JoinSettings {
  mode: Mode;
  room: string;
  name: string;
  role: Role;
  audio: boolean;
  video: boolean;
  /** What a match looks for (match mode). */
  tags: string[];
}
