#!/usr/bin/env bash
# Runs every test layer of steadyrtc and prints, per layer, its runner's pass/fail counts
# and how long it took. Expects `scripts/setup.sh --test` and `node scripts/build.mjs` to
# have run (`npm test` does both). Exits non-zero if any layer failed or ran no test.
#
#   lint              cargo fmt --check, clippy -D warnings (native and wasm32)
#   native            cargo test --workspace (protocol, client logic, server with real sockets)
#   conformance       a Python client written from docs/PROTOCOL.md walks the protocol
#                     against the built server (tests/conformance)
#   browser-chromium  wasm-bindgen-test in headless Chromium
#   browser-firefox   wasm-bindgen-test in headless Firefox
#   e2e               the real server, the built demo, two Chromium processes (playwright-core)
#   consumer          the package as a user gets it: `npm pack` of pkg/, publint, installed
#                     into a Vite + TypeScript app, tsc, vite build, two Chromium pages of
#                     the built app calling through the real server (tests/consumer)
#   netlab            the network lab: hosts as network namespaces, faults (one blackout with
#                     Firefox on a host), the pre-call check with UDP blocked, timelines in
#                     target/netlab/ (needs root; fails with the reason when it cannot run)
set -uo pipefail
cd "$(dirname "$0")/.."
logs=target/test-logs
mkdir -p "$logs"

CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
GECKODRIVER=${GECKODRIVER:-$(command -v geckodriver || true)}
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}

total_pass=0
total_fail=0
failed_layers=()
summary=()

# Sums "test result: ok. N passed; M failed" lines (cargo) or "# pass N"/"# fail M" (node).
count() {
  local log=$1 kind=$2 p f
  if [ "$kind" = lint ]; then
    p=$(grep -cE '^lint: .* clean$' "$log")
    f=$(grep -cE '^lint: .* FAILED$' "$log")
  elif [ "$kind" = cargo ]; then
    p=$(grep -oE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
    f=$(grep -oE '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
  else
    p=$(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
    f=$(grep -E '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  fi
  echo "$p $f"
}

layer() {
  local name=$1 kind=$2; shift 2
  local log="$logs/$name.log" start=$SECONDS rc
  echo "=== layer $name: $*"
  "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  read -r p f < <(count "$log" "$kind")
  local took=$((SECONDS - start))
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "$rc" != 0 ] || [ "$p" = 0 ]; then
    failed_layers+=("$name")
    [ "$p" = 0 ] && [ "$rc" = 0 ] && echo "layer $name ran no test: that is a failure"
  fi
  summary+=("$(printf '%-17s %4d passed, %d failed, %4d s%s' "$name:" "$p" "$f" "$took" "$([ "$rc" = 0 ] || echo "  (exit $rc)")")")
  echo "=== layer $name: $p passed, $f failed in ${took} s (exit $rc)"
}

need() { [ -x "$1" ] || { echo "test: ERROR: $2 not found at '$1'; run scripts/setup.sh --test" >&2; exit 1; }; }
need "$CHROMEDRIVER" chromedriver
need "${GECKODRIVER:-/nonexistent}" geckodriver

lint() {
  local rc=0
  check() { local what=$1; shift; if "$@"; then echo "lint: $what clean"; else echo "lint: $what FAILED"; rc=1; fi; }
  check "cargo fmt --check" cargo fmt --all --check
  check "clippy (native)" cargo clippy --quiet --workspace --all-targets -- -D warnings
  check "clippy (wasm32)" cargo clippy --quiet -p steadyrtc --target wasm32-unknown-unknown --all-targets -- -D warnings
  return $rc
}

layer lint lint lint
layer native cargo cargo test --workspace
# An independent client (Python, plain WebSocket frames) walks docs/PROTOCOL.md against the server.
layer conformance node bash -c 'cargo build --quiet -p steadyrtc-server && target/conformance-venv/bin/python tests/conformance/protocol_conformance.py'
layer browser-chromium cargo env -u GECKODRIVER CHROMEDRIVER="$CHROMEDRIVER" \
  cargo test --target wasm32-unknown-unknown -p steadyrtc --tests
layer browser-firefox cargo env -u CHROMEDRIVER GECKODRIVER="$GECKODRIVER" \
  cargo test --target wasm32-unknown-unknown -p steadyrtc --tests
layer e2e node bash -c 'cargo build --quiet -p steadyrtc-server && node --test --test-concurrency=1 tests/e2e/*.test.mjs'
# The package in a real app: packed from the pkg/ just built, installed, bundled by Vite.
layer consumer node bash -c 'cargo build --quiet -p steadyrtc-server && tests/consumer/run.sh'
# Bounded: the lab's scenarios (three files, Firefox on one host in one of them) take about
# five and a half minutes (330 s measured); 9 minutes is the limit.
layer netlab node bash -c 'cargo build --quiet -p steadyrtc-server && timeout -k 20 540 node --test --test-concurrency=1 tests/netlab/*.test.mjs'

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "all layers: $total_pass passed, $total_fail failed"
if [ "${#failed_layers[@]}" -gt 0 ]; then
  echo "FAILED layers: ${failed_layers[*]} (logs in $logs/)"
  exit 1
fi
