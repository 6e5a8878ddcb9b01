#!/usr/bin/env bash
# The package in a real app, as a user gets it: packs pkg/ (freshly built by
# `node scripts/build.mjs`) with `npm pack`, lints the tarball with publint, installs it
# into this Vite + TypeScript app, type-checks the app strictly, builds it with
# `vite build`, then runs consumer.test.mjs (the built app in Chromium, against the real
# server). Needs `scripts/setup.sh --test` (this app's npm packages), pkg/ and
# target/debug/steadyrtc-server.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$here"
say() { printf 'consumer: %s\n' "$*"; }
die() { printf 'consumer: ERROR: %s\n' "$*" >&2; exit 1; }

[ -f "$root/pkg/package.json" ] || die "no pkg/ at $root/pkg: run \`node scripts/build.mjs\` first"
[ -f node_modules/.package-lock.json ] || die "the app's npm packages are missing: run scripts/setup.sh --test (npm ci in tests/consumer)"

# 1. The tarball, made now from pkg/ as it is (never a stale one).
rm -rf .pack
mkdir .pack
tarball=$(cd "$root/pkg" && npm pack --pack-destination "$here/.pack" --loglevel=error)
tarball="$here/.pack/$tarball"
say "packed $(basename "$tarball"): $(tar tzf "$tarball" | sed 's|^package/||' | sort | tr '\n' ' ')"

# 2. publint on the tarball: errors fail, warnings and suggestions are printed.
node_modules/.bin/publint run --level suggestion "$tarball"

# 3. Installed as a user would (without touching this app's package.json or lockfile).
rm -rf node_modules/steadyrtc
npm install --no-save --no-audit --no-fund --loglevel=error "$tarball"
cmp -s node_modules/steadyrtc/steadyrtc_bg.wasm "$root/pkg/steadyrtc_bg.wasm" \
  || die "node_modules/steadyrtc is not the package just packed"
say "installed $(node -p 'require("./node_modules/steadyrtc/package.json").version') from the tarball"

# 4. Strict type check of the app against the package's types (skipLibCheck off).
node_modules/.bin/tsc --noEmit -p tsconfig.json
say "tsc --noEmit: clean"

# 5. The bundle, with no configuration at all.
rm -rf dist
node_modules/.bin/vite build --logLevel warn
say "vite build: $(cd dist && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ')"

# 6. The app in Chromium against the real server.
cd "$root"
node --test --test-concurrency=1 tests/consumer/*.test.mjs
