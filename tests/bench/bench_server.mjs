// What the call-setup benchmark serves besides steadyrtc-server, on 127.0.0.1:
//   - a static page for every library (tests/bench/page.html), the built steadyrtc package
//     (/pkg/; and a baseline build at /pkg-base/ for the page /base, see BENCH_BASELINE_PKG)
//     and the browser bundles of simple-peer and PeerJS from node_modules;
//   - a small WebSocket relay for the plain RTCPeerConnection and simple-peer: a client
//     joins `?room=R`, gets `{peers: n}` when someone joins, and each text message goes to
//     the other client of the room as it is;
//   - PeerJS's own signaling server (PeerServer, from the `peer` package) on its own port.
import { createServer } from "node:http";
import { readFileSync, existsSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { WebSocketServer } from "ws";
import { PeerServer } from "peer";
import { root } from "../e2e/harness.mjs";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
const FILES = {
  "/": join(root, "tests", "bench", "page.html"),
  "/lib/simplepeer.min.js": join(root, "node_modules", "simple-peer", "simplepeer.min.js"),
  "/lib/peerjs.min.js": join(root, "node_modules", "peerjs", "dist", "peerjs.min.js"),
};

// Another build of steadyrtc to compare with in the same run (BENCH_BASELINE_PKG: a copy
// of an earlier pkg/), served at /pkg-base/ to the page /base.
const BASELINE = process.env.BENCH_BASELINE_PKG;

function file(path) {
  if (FILES[path]) return FILES[path];
  if (path.startsWith("/pkg/")) {
    const local = normalize(join(root, path));
    if (local.startsWith(join(root, "pkg"))) return local;
  }
  if (BASELINE && path.startsWith("/pkg-base/")) {
    const local = normalize(join(BASELINE, path.slice("/pkg-base/".length)));
    if (local.startsWith(normalize(BASELINE))) return local;
  }
  return undefined;
}

/** Starts the page server with its relay, and PeerServer; `stop()` ends both. */
export async function startBenchServer() {
  const http = createServer((req, res) => {
    const pathname = new URL(req.url, "http://x").pathname;
    if (pathname === "/base" && BASELINE) {
      // The same page, with "steadyrtc" mapped to the baseline build.
      const page = readFileSync(FILES["/"], "utf8").replace('"/pkg/steadyrtc.js"', '"/pkg-base/steadyrtc.js"');
      res.writeHead(200, { "content-type": "text/html", "cache-control": "no-store" }).end(page);
      return;
    }
    const path = file(pathname);
    if (!path || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(readFileSync(path));
  });
  const rooms = new Map();
  const relay = new WebSocketServer({ server: http, path: "/relay" });
  relay.on("connection", (ws, req) => {
    const room = new URL(req.url, "http://x").searchParams.get("room") ?? "";
    const members = rooms.get(room) ?? new Set();
    rooms.set(room, members);
    members.add(ws);
    for (const m of members) m.send(JSON.stringify({ peers: members.size }));
    ws.on("message", (data) => {
      for (const m of members) if (m !== ws) m.send(data.toString());
    });
    ws.on("close", () => {
      members.delete(ws);
      if (members.size === 0) rooms.delete(room);
    });
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const peerServer = await new Promise((resolve) => {
    PeerServer({ port: 0, host: "127.0.0.1", path: "/peerjs" }, (server) => resolve({ server, port: server.address().port }));
  });
  return {
    url: `http://127.0.0.1:${http.address().port}`,
    peerPort: peerServer.port,
    stop: async () => {
      for (const ws of relay.clients) ws.terminate();
      relay.close();
      for (const s of [http, peerServer.server]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
    },
  };
}
