// Tokens for the demo. Only a server started with `--dev` (as `npm start` does) hands
// them out without an API key; a real app gets them from its own backend.
import type { Role } from "steadyrtc";

/** `/api/token` answered with an error (status and the server's message). */
export class TokenError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "TokenError";
  }
}

/**
 * A token for `room`. With `mode` "broadcast" the server creates the room as a broadcast
 * room if it does not exist yet (a production backend creates it with POST /api/rooms).
 */
export async function devToken(room: string, name: string, role: Role, mode?: "broadcast"): Promise<string> {
  const response = await fetch("/api/token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(mode ? { room, name, role, mode } : { room, name, role }),
  });
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok || typeof body !== "object" || body === null || typeof (body as { token?: unknown }).token !== "string") {
    const message = typeof body === "object" && body !== null && "message" in body ? String((body as { message: unknown }).message) : response.statusText;
    throw new TokenError(response.status, `no token from /api/token (${response.status}): ${message}`);
  }
  return (body as { token: string }).token;
}
