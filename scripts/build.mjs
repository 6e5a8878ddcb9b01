// Builds everything a user or a test loads:
//   1. the library for wasm32 (profile wasm-release),
//   2. wasm-bindgen --target web, then wasm-opt (-Oz, see below),
//   3. pkg/ assembled from pkg-template/ (what `npm publish` would ship),
//   4. the demo: www/ type-checked against pkg/*.d.ts, bundled with esbuild into www/dist/.
// Prints the size of the wasm and the JS glue, raw and gzipped, and fails over budget.
// `--www-only` does step 4 alone, against the pkg/ already built (for work on the demo).
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);

function run(cmd, args, what) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.error) fail(`${what}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} failed (exit ${r.status})`);
  console.log(`build: ${what} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

function fail(message) {
  console.error(`build: ERROR: ${message}`);
  process.exit(1);
}

const cargoToml = readFileSync(join(root, "Cargo.toml"), "utf8");
const version = /\[workspace\.package\][^[]*?\nversion = "([^"]+)"/.exec(cargoToml)?.[1];
if (!version) fail("no version in [workspace.package] of Cargo.toml");

// 4. the demo: type-checked against pkg/*.d.ts, bundled, and held to its own budget
// (issue #12: under 60 KB gzipped, the library not counted).
function buildDemo() {
  run(bin("tsc"), ["--noEmit", "-p", join(root, "www", "tsconfig.json")], "tsc --noEmit (www against pkg types)");
  const dist = join(root, "www", "dist");
  rmSync(dist, { recursive: true, force: true });
  mkdirSync(dist, { recursive: true });
  run(bin("esbuild"), [join(root, "www", "src", "main.ts"), "--bundle", "--format=esm", "--target=es2022",
    "--external:steadyrtc", "--sourcemap", "--log-level=warning", `--outfile=${join(dist, "app.js")}`], "esbuild (www)");
  for (const f of ["index.html", "style.css"]) cpSync(join(root, "www", f), join(dist, f));
  const app = readFileSync(join(dist, "app.js"));
  const appGz = gzipSync(app, { level: 9 }).length / 1024;
  console.log(`build: size of the demo's app.js: ${(app.length / 1024).toFixed(1)} KiB raw, ${appGz.toFixed(1)} KiB gzipped (budget 58 KiB gzipped)`);
  if (appGz > 58) fail(`the demo's app.js is ${appGz.toFixed(1)} KiB gzipped, over its 58 KiB budget`);
}

if (process.argv.includes("--www-only")) {
  if (!existsSync(join(root, "pkg", "steadyrtc.d.ts"))) fail("--www-only needs a built pkg/: run `npm run build` once");
  buildDemo();
  process.exit(0);
}

// 1. wasm
run("cargo", ["build", "--quiet", "-p", "steadyrtc", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release"], "cargo build (wasm32)");

// 2. bindings + optimisation
const bindgenOut = join(root, "target", "wasm-bindgen");
rmSync(bindgenOut, { recursive: true, force: true });
run("wasm-bindgen", ["--target", "web", "--out-dir", bindgenOut,
  join(root, "target", "wasm32-unknown-unknown", "wasm-release", "steadyrtc.wasm")], "wasm-bindgen");

const pkg = join(root, "pkg");
rmSync(pkg, { recursive: true, force: true });
mkdirSync(pkg);
// --merge-similar-functions first (generic code compiled per type often differs only in
// constants) and --converge (run -Oz until it stops shrinking): 1.5 KiB gzipped less.
run(bin("wasm-opt"), ["--merge-similar-functions", "-Oz", "--converge", "--strip-debug", "--strip-producers", "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
  join(bindgenOut, "steadyrtc_bg.wasm"), "-o", join(pkg, "steadyrtc_bg.wasm")], "wasm-opt -Oz");

// 3. pkg/
for (const f of ["steadyrtc.js", "steadyrtc_bg.wasm.d.ts"]) cpSync(join(bindgenOut, f), join(pkg, f));
// The SteadyError class lives in a JS snippet (so that it truly extends Error); the
// generated module imports it, and the package exports it from its entry point.
const entry = readFileSync(join(pkg, "steadyrtc.js"), "utf8");
if (!/^import \{ SteadyError \} from '\.\/snippets\/[^']+';$/m.test(entry)) fail("the generated steadyrtc.js does not import SteadyError from its snippet");
// A connected Room must not depend on the app holding it: wasm-bindgen frees a Room
// whose JS object was garbage collected, and freeing leaves the room (the call would end
// a few seconds in, silently, for `const room = new Room()` inside a function). Rooms are
// held here from `connect`/`join` until `leave()` or `free()`.
if (!/^export class Room \{$/m.test(entry) || !/^    static join\(options\) \{$/m.test(entry)) fail("the generated steadyrtc.js has no Room class with connect/join to keep alive");
if (!/^export class Peer \{$/m.test(entry) || !/^    connect\(\) \{$/m.test(entry)) fail("the generated steadyrtc.js has no Peer class with connect to keep alive");
if (!/^export class Match \{$/m.test(entry) || !/^    start\(options\) \{$/m.test(entry)) fail("the generated steadyrtc.js has no Match class with start to keep alive");
const keepAlive = `
const liveRooms = new Set();
{
  const connect = Room.prototype.connect;
  Room.prototype.connect = function (options) {
    liveRooms.add(this);
    return connect.call(this, options).catch((e) => { liveRooms.delete(this); throw e; });
  };
  const leave = Room.prototype.leave;
  Room.prototype.leave = function () { liveRooms.delete(this); return leave.call(this); };
  const free = Room.prototype.free;
  Room.prototype.free = function () { liveRooms.delete(this); return free.call(this); };
  const join = Room.join;
  Room.join = async function (options) { const room = await join.call(this, options); liveRooms.add(room); return room; };
}
// The same for a Peer, from \`connect\` until \`close()\` or \`free()\`.
const livePeers = new Set();
{
  const connect = Peer.prototype.connect;
  Peer.prototype.connect = function () {
    livePeers.add(this);
    return connect.call(this).catch((e) => { livePeers.delete(this); throw e; });
  };
  for (const name of ["close", "free"]) {
    const end = Peer.prototype[name];
    Peer.prototype[name] = function () { livePeers.delete(this); return end.call(this); };
  }
}
// The same for a Match, from \`start\` until \`stop()\` or \`free()\`.
const liveMatches = new Set();
{
  const start = Match.prototype.start;
  Match.prototype.start = function (options) {
    liveMatches.add(this);
    return start.call(this, options).catch((e) => { liveMatches.delete(this); throw e; });
  };
  for (const name of ["stop", "free"]) {
    const end = Match.prototype[name];
    Match.prototype[name] = function () { liveMatches.delete(this); return end.call(this); };
  }
}
`;
writeFileSync(join(pkg, "steadyrtc.js"), entry + "\nexport { SteadyError };\n" + keepAlive);
if (existsSync(join(bindgenOut, "snippets"))) cpSync(join(bindgenOut, "snippets"), join(pkg, "snippets"), { recursive: true });
const generatedTypes = readFileSync(join(bindgenOut, "steadyrtc.d.ts"), "utf8");
const extraTypes = readFileSync(join(root, "pkg-template", "steadyrtc.extra.d.ts"), "utf8");
// The generated classes declare `[Symbol.dispose]`; reference the lib that defines it so
// the types check under any `lib` setting of the consuming project.
const disposable = '/// <reference lib="esnext.disposable" />\n';
writeFileSync(join(pkg, "steadyrtc.d.ts"), disposable + generatedTypes + extraTypes);
cpSync(join(root, "pkg-template", "README.md"), join(pkg, "README.md"));
const manifest = JSON.parse(readFileSync(join(root, "pkg-template", "package.json"), "utf8"));
manifest.version = version;
if (existsSync(join(pkg, "snippets"))) manifest.files.push("snippets/");
writeFileSync(join(pkg, "package.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`build: pkg/ assembled (steadyrtc ${version})`);

// 4. demo
buildDemo();

// sizes, against a budget: the build fails when the package grows past it, so that
// growth is a decision, not an accident (raise the budget in the same commit, saying why).
// 180 -> 215 KiB: the room engine (rooms, recovery up to a full reconnect) took the wasm
// to 179.6 KiB, getStats sampling with quality scoring to 190 KiB, adaptation
// (setParameters, setQuality, mediaState) to 195.6 KiB, reports, presets and
// diagnostics to 203.6 KiB, and exporting traces (serde_json for every input type) to
// 213.6 KiB. Issue "Fast and small" is where it comes down again.
// (Measured on the way: one `str::to_uppercase` cost 10 KiB of Unicode tables, and a
// serde serializer for the diagnostics report 13 KiB; both are gone.)
// 215 -> 226 KiB: media toggles that cannot race (setMicrophoneEnabled,
// setCameraEnabled, localMedia, publish/unpublish on idle senders, track-end watching):
// 224.9 KiB. 226 -> 234 KiB: one AudioContext per page with level meters, speaking
// detection and startAudio: 233.3 KiB (a BTreeMap and a sort there had cost 3.5 KiB,
// `powf` 3.7 KiB; all three replaced). 234 -> 240 KiB and the glue 12 -> 13 KiB:
// devices (listDevices, switchDevice, devicechange, fallback to the default device,
// choices kept in localStorage): 238.9 KiB and 12.3 KiB. 240 -> 243 KiB: screen share
// (getDisplayMedia, its own stream announced before its offer, source tags): 241.8 KiB.
// 243 -> 248 KiB and the glue 13 -> 14 KiB: host recording (MediaRecorder over a mix on
// the shared AudioContext): 247.3 and 13.1 KiB. 248 -> 251 KiB: the pre-join preview
// (createLocalMedia, with its level meter) handed to connect: 250.2 KiB. 251 -> 255 KiB:
// chat that loses nothing (ids, the outbox, dedup, history): 254.0 KiB. 255 -> 258 KiB
// and the glue 14 -> 15 KiB: sendData (binary, backpressure): 256.9 and 14.3 KiB. Float
// formatting (flt2dec, about 5 KiB gzipped) is the next thing to cut. 258 -> 272 KiB and
// the glue 15 -> 16 KiB: `Peer` (bring-your-own-signaling: its engine, driver and class,
// JSON signals both ways) and logging you control (`setLogLevel`, `logSink` with
// structured records): 257.0 -> 271.7 and 14.2 -> 15.6 KiB. 272 -> 287 KiB:
// checkConnectivity, the pre-call check (a socket, the ICE configuration through the
// HTTP API, ICE gathering, a call to itself through TURN, camera and microphone, each
// step's verdict in words): 286.5 KiB, and the glue 16.0. 287 -> 289 KiB: options read
// through their JSON text so that unknown fields are refused as documented (a direct
// serde_wasm_bindgen read looks up the known fields only): 288.5 KiB, the glue 15.5.
// Beside those (measured on their own, before the merge): adaptation presets from the
// battery (getBattery, its two change events) and the app's `adaptive: {preset}`, 2.1
// KiB; key frames and immediate playout after an outage, 1.4 KiB. (Replacing the six
// `{:.N}` float formats with integer formatting saved nothing: the float formatter is
// pulled in elsewhere too.) 289 -> 294 KiB: both lines merged, 293.2 KiB. The pre-call
// check saying which path works (`path`, `summary`, the test call's `via`, so that a
// network that blocks UDP is told TURN over TCP carries its calls) added 1.2 KiB
// (structured `rttMs`/`kbps` fields on the step cost 0.2 KiB more and were left out: the
// numbers are in its message). The other room modes (protocol 4's promote, demote,
// raiseHand, roleChanged, handRaised and the queue position, read and traced; the match
// mode and the floor in the engine; the Match class and Room's promote, demote,
// raiseHand, canPublish, attendeeCount) added 8.9 KiB and the glue 1.2 KiB, measured
// on their own (293.1 -> 302.0 and 15.5 -> 16.7 KiB; most of it was serde's reading of
// the new ServerMessage variants, which the hand-written reader below removed).
// 294 -> 275 KiB (issue "Fast and small"): every BTreeMap and HashMap of the engines and
// drivers became one sorted-vector map (engine/vec_map.rs): 293.5 -> 273.9 KiB. Each key
// and value type had had its own copy of a tree's or a hash table's code (and SipHash).
// 275 -> 248 KiB: server messages and signals read by hand (protocol's decode.rs, compared
// with the serde derives on every example and on thousands of one-field changes): 247.0
// KiB. serde's reading of internally tagged enums (a generic buffer compiled per type)
// had cost 72 KiB of code before gzip. All three merged: 255.2 KiB, the glue 16.9 KiB.
// 256 -> 255 KiB: an ignored input named by `Input::name()`, not by serializing it into
// a JSON value to read its `type`: 254.1 KiB.
// 255 -> 256 KiB: recovery that gives up on time and climbs through flaps (the room's
// `recoveryTimeoutMs` deadline, the ladder's ICE-checks budget after an exchange, a
// recovery that does not hold for 5 s continuing its episode, a recovery told once it
// held for 1 s): 254.0 -> 255.5 KiB.
// (Rounding the engines' few `{:.0}` floats by hand saved nothing then: any f64 Display
// or Debug keeps the formatter, and serde's error messages and the log layer had some.)
// 256 -> 245 KiB: logging through one small `tracing` subscriber of our own (the level
// filter, the app's sink or one console line) instead of tracing-wasm's layer on
// tracing-subscriber's span registry (sharded-slab, thread-local storage), which the
// library, logging events only, never used: 255.5 -> 244.1 KiB, the glue 16.7.
// 245 -> 247 KiB and the glue 17 -> 17.5: `warmUp()`, the rehearsal call that compiles
// the connection code before the first real call (two Peers wired to each other, closed
// when connected or after 2 s): 245.6 and 17.0 KiB.
// 247 -> 236 KiB: the option objects (connect, Match.start, Peer, checkConnectivity, the
// server's ICE list) read field by field from their JSON (src/options_read.rs) instead of
// through serde's derived Deserialize, compiled once per struct: 245.9 -> 235.0 KiB.
// 236 -> 234 KiB: wasm-opt merges similar functions first and runs -Oz to a fixed point
// (--converge): 235.0 -> 233.6 KiB.
// 234 -> 224 KiB: no float formatter. Its last users were a few sentences ("loss 7.5 %",
// "120 ms round trip": now engine/decimal.rs, integer arithmetic) and log fields holding
// an f64 (now written by JS's number formatting); an LLVM-IR reference graph of the crate
// (`cargo rustc ... -- --emit=llvm-ir`) found them: 233.6 -> 223.5 KiB.
// 224 -> 223 KiB: a signal's data written into JSON by hand, and the log subscriber
// recording each event's fields once: 222.1 KiB.
// 223 -> 224 KiB: a host ends the room for everyone (`room.endRoom()`, protocol version
// 5): 222.5 -> 223.1 KiB; then the recorder's microphone-alone fallback for a suspended
// AudioContext: 223.7 KiB.
// 224 -> 226 KiB: a send made while the data channels are still opening (right after
// `connected`) waits for them instead of failing (engine/data_plan.rs, browser/data.rs):
// 225.5 KiB.
const BUDGET_GZIP_KIB = { "steadyrtc_bg.wasm": 226, "steadyrtc.js": 17.5 };
let overBudget = false;
for (const [name, budget] of Object.entries(BUDGET_GZIP_KIB)) {
  const file = join(pkg, name);
  const raw = statSync(file).size / 1024;
  const gz = gzipSync(readFileSync(file), { level: 9 }).length / 1024;
  console.log(`build: size of ${name}: ${raw.toFixed(1)} KiB raw, ${gz.toFixed(1)} KiB gzipped (budget ${budget} KiB gzipped)`);
  if (gz > budget) {
    console.error(`build: ERROR: ${name} is ${gz.toFixed(1)} KiB gzipped, over its ${budget} KiB budget (scripts/build.mjs)`);
    overBudget = true;
  }
}
if (overBudget) process.exit(1);
