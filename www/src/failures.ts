// Every way a call can end badly, in words a user can act on: what happened and what to
// do next. The boundary (boundary.ts) shows them; this file only decides the words.
import { SteadyError } from "steadyrtc";
import { TokenError } from "./token";

export type FailureKind =
  | "joinTimeout"
  | "tokenRefused"
  | "roomFull"
  | "roomEnded"
  | "recoveryExhausted"
  | "unreachable"
  | "replaced"
  | "media"
  | "crash"
  | "other";

export interface Failure {
  kind: FailureKind;
  title: string;
  what: string;
  next: string;
  detail: string;
}

const describeError = (e: unknown): string => {
  if (e instanceof SteadyError) return `${e.code}${e.serverCode ? ` (${e.serverCode})` : ""}: ${e.message}`;
  if (e instanceof Error) return `${e.name}: ${e.message}${e.stack ? `\n${e.stack}` : ""}`;
  return String(e);
};

export function failure(kind: FailureKind, detail: string): Failure {
  const words: Record<FailureKind, [string, string, string]> = {
    joinTimeout: [
      "Joining took too long",
      "The call was not connected within 30 seconds.",
      "A firewall or VPN may block calls. Try again; if it keeps failing, try another network or ask your admin for a TURN server.",
    ],
    tokenRefused: [
      "Your access was refused",
      "The server did not accept the access token for this room (it may have expired, or the server restarted with a new key).",
      "Try again to get a fresh token. If it keeps failing, go back and check the room name.",
    ],
    roomFull: [
      "This room is full",
      "The room has as many participants as it allows.",
      "Try again in a moment, or go back and pick another room.",
    ],
    roomEnded: [
      "The meeting has ended",
      "The host ended this meeting for everyone.",
      "Go back to join another room, or try again to start this one anew.",
    ],
    recoveryExhausted: [
      "The call could not be recovered",
      "The connection dropped and every attempt to bring it back failed.",
      "Check your network (Wi-Fi, cable, VPN), then try again.",
    ],
    unreachable: [
      "Can't reach the server",
      "The call server did not answer.",
      "Check your internet connection and that the server is running, then try again.",
    ],
    replaced: [
      "You joined from somewhere else",
      "The same person joined this room from another tab or device, so this one was closed.",
      "Go back, or try again to move the call back to this tab.",
    ],
    media: [
      "Camera or microphone problem",
      "Your camera or microphone could not be used.",
      "Go back to check your devices, then join again.",
    ],
    crash: [
      "Something went wrong on this page",
      "The demo hit an unexpected error and stopped the call to be safe.",
      "Try again to rejoin with the same settings, or go back to the start.",
    ],
    other: [
      "Could not continue the call",
      "Something failed that the page could not fix by itself.",
      "Try again; if it keeps failing, go back and check the settings.",
    ],
  };
  const [title, what, next] = words[kind];
  return { kind, title, what, next, detail };
}

/** A `connect` rejection (or a failure before it: the token fetch) as a Failure. */
export function joinFailure(e: unknown): Failure {
  const detail = describeError(e);
  if (e instanceof TokenError) return failure(e.status >= 500 ? "unreachable" : "tokenRefused", detail);
  if (e instanceof TypeError) return failure("unreachable", detail); // fetch: network error
  if (!(e instanceof SteadyError)) return failure("other", detail);
  switch (e.code) {
    case "signalingUnreachable":
    case "signalingClosed":
      return failure("unreachable", detail);
    case "signalingTimeout":
      return failure("joinTimeout", detail);
    case "sessionReplaced":
      return failure("replaced", detail);
    case "roomClosed":
      return failure("roomEnded", detail);
    case "mediaPermissionDenied":
    case "mediaDeviceNotFound":
    case "mediaDeviceInUse":
    case "mediaUnavailable":
    case "mediaTimeout":
      return failure("media", detail);
    case "joinRejected":
    case "serverRefused":
      if (e.serverCode === "roomFull") return failure("roomFull", detail);
      if (["invalidToken", "tokenExpired", "forbidden"].includes(e.serverCode ?? "")) return failure("tokenRefused", detail);
      if (e.serverCode === "roomNotFound") return failure("roomEnded", detail);
      if (["shuttingDown", "unavailable", "tooManyConnections"].includes(e.serverCode ?? "")) return failure("unreachable", detail);
      return failure("other", detail);
    default:
      return failure("other", detail);
  }
}

export function crashFailure(e: unknown): Failure {
  return failure("crash", describeError(e));
}
