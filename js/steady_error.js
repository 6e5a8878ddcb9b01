// The error class of steadyrtc: every error it throws, rejects with or emits is one.
// Kept in JS so that it truly extends Error (stack traces, `instanceof Error`).
export class SteadyError extends Error {
  constructor(code, message, serverCode, peerId) {
    super(message);
    this.name = "SteadyError";
    this.code = code;
    if (serverCode !== undefined) this.serverCode = serverCode;
    if (peerId !== undefined) this.peerId = peerId;
  }
}
