// Where the wasm's size goes: the biggest functions and the code per crate, read from
// the module wasm-bindgen wrote before wasm-opt (target/wasm-bindgen/, which keeps the
// function names). Run after a build: `npm run size` (or `node scripts/size_report.mjs
// [file.wasm] [top]`). Sizes are bytes of function bodies before wasm-opt and gzip: use
// them to compare, and the build's gzipped numbers to judge.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const file = process.argv[2] ?? join(root, "target", "wasm-bindgen", "steadyrtc_bg.wasm");
const top = Number(process.argv[3] ?? 30);
if (!existsSync(file)) {
  console.error(`size: no ${file}; run \`npm run build\` first`);
  process.exit(1);
}
const bytes = readFileSync(file);

function leb(at) {
  let value = 0, shift = 0, i = at;
  for (;;) {
    const b = bytes[i++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, i];
  }
}

// Walk the sections: imported functions (they come first in the index space), the code
// section's body sizes, and the name section's function names.
let imported = 0;
const bodies = [];
const names = new Map();
let at = 8;
while (at < bytes.length) {
  const id = bytes[at];
  const [size, start] = leb(at + 1);
  const end = start + size;
  if (id === 2) {
    let [count, i] = leb(start);
    for (let k = 0; k < count; k++) {
      let len;
      [len, i] = leb(i); i += len; // module
      [len, i] = leb(i); i += len; // field
      const kind = bytes[i++];
      if (kind === 0) { [, i] = leb(i); imported++; }
      else if (kind === 1) { i++; const flags = bytes[i++]; [, i] = leb(i); if (flags & 1) [, i] = leb(i); }
      else if (kind === 2) { const flags = bytes[i++]; [, i] = leb(i); if (flags & 1) [, i] = leb(i); }
      else if (kind === 3) { i += 2; }
      else if (kind === 4) { i++; [, i] = leb(i); }
    }
  } else if (id === 10) {
    let [count, i] = leb(start);
    for (let k = 0; k < count; k++) {
      const [len, body] = leb(i);
      bodies.push(len);
      i = body + len;
    }
  } else if (id === 0) {
    const [len, i0] = leb(start);
    const section = bytes.subarray(i0, i0 + len).toString();
    let i = i0 + len;
    if (section === "name") {
      while (i < end) {
        const sub = bytes[i];
        const [subSize, subStart] = leb(i + 1);
        if (sub === 1) {
          let [count, j] = leb(subStart);
          for (let k = 0; k < count; k++) {
            let index, n;
            [index, j] = leb(j);
            [n, j] = leb(j);
            names.set(index, bytes.subarray(j, j + n).toString());
            j += n;
          }
        }
        i = subStart + subSize;
      }
    }
  }
  at = end;
}

const clean = (name) => name.replace(/::h[0-9a-f]{16}$/, "").replace(/\[[0-9a-f]{16}\]/g, "");
// The crate a function is counted to: the first path in its name (a generic's code counts
// to the crate that defines it, e.g. `alloc` for `Vec<T>::push` of any T).
const crateOf = (name) => /([A-Za-z_][A-Za-z0-9_]*)(?:\[[0-9a-f]+\])?::/.exec(name)?.[1] ?? "(unnamed)";

const rows = bodies.map((size, k) => ({ size, name: clean(names.get(imported + k) ?? `function ${imported + k}`) }));
const total = rows.reduce((s, r) => s + r.size, 0);
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const pct = (n) => `${((100 * n) / total).toFixed(1)} %`;

console.log(`${file}: ${rows.length} functions, ${kib(total)} of code before wasm-opt\n`);
console.log(`top ${top} functions:`);
for (const r of [...rows].sort((a, b) => b.size - a.size).slice(0, top)) {
  console.log(`${String(r.size).padStart(8)}  ${pct(r.size).padStart(6)}  ${r.name.slice(0, 140)}`);
}
const crates = new Map();
for (const r of rows) {
  const c = crateOf(r.name);
  const e = crates.get(c) ?? { size: 0, count: 0 };
  e.size += r.size;
  e.count += 1;
  crates.set(c, e);
}
console.log("\ncode per crate:");
for (const [c, e] of [...crates].sort((a, b) => b[1].size - a[1].size)) {
  if (e.size < total / 500) continue;
  console.log(`${kib(e.size).padStart(10)}  ${pct(e.size).padStart(6)}  ${String(e.count).padStart(5)} functions  ${c}`);
}
