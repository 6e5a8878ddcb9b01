// A TCP port inside a lab host, reachable from the test process in the root namespace,
// by a path no network fault can cut: a unix socket. Unix sockets live in the file
// system, which the lab's network namespaces share; TCP ports do not.
//
//   root namespace                         lab host (ip netns exec srtc-HOST)
//   127.0.0.1:<free port>  --unix socket-->  this file as a script  -->  127.0.0.1:<port>
//
// The lab drives Firefox this way: geckodriver listens on the host's own loopback, and
// the WebDriver HTTP requests cross on the unix socket. Nothing touches the lab's bridge,
// so a blackout of the host leaves the test in control of its browser.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Pipes two sockets into each other; either one's end or error ends both. */
function splice(a, b) {
  a.pipe(b);
  b.pipe(a);
  const end = () => { a.destroy(); b.destroy(); };
  a.on("error", end);
  b.on("error", end);
  a.on("close", end);
  b.on("close", end);
}

/**
 * Makes a TCP port on `netns`'s loopback reachable at `http://127.0.0.1:<port>` from
 * here, the same port number on both sides (a server that checks the Host header, as
 * geckodriver does, then sees its own address). Resolves `{ url, port, stop }` once both
 * ends listen; start the server inside on `port` afterwards. `stop()` closes both ends.
 */
export async function bridgeFromNetns(netns, { timeoutMs = 10_000 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "steadyrtc-bridge-"));
  const sock = join(dir, "s");
  const server = createServer((c) => splice(c, connect(sock)));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = server.address().port;
  const inside = spawn("ip", ["netns", "exec", netns, process.execPath, fileURLToPath(import.meta.url), sock, String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  inside.stdout.on("data", (d) => { out += d; });
  inside.stderr.on("data", (d) => { out += d; });
  const stop = async () => {
    server.close();
    if (inside.exitCode === null && inside.signalCode === null) {
      inside.kill("SIGKILL");
      await Promise.race([once(inside, "exit"), new Promise((r) => setTimeout(r, 2_000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!out.includes("bridge ready")) {
    if (inside.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`the bridge into ${netns} did not start: ${out.trim() || "no output"}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { url: `http://127.0.0.1:${port}`, port, stop };
}

// Run as a script inside the lab host: the unix socket end.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [sock, port] = process.argv.slice(2);
  if (existsSync(sock)) rmSync(sock);
  createServer((c) => splice(c, connect(Number(port), "127.0.0.1")))
    .listen(sock, () => console.log("bridge ready"));
}
