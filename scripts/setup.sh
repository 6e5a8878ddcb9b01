#!/usr/bin/env bash
# Installs what steadyrtc needs to build (and, with --test, to test), and nothing that is
# already there. Idempotent: a second run prints one line and changes nothing.
#
#   scripts/setup.sh          wasm32 target, wasm-bindgen-cli (pinned), npm packages
#   scripts/setup.sh --test   the above plus chromium, chromium-driver, firefox-esr,
#                             redis-server (the server's Redis store tests start their own
#                             on a free port; the system service is never used), and for
#                             the network lab coturn, nftables, iproute2 (apt, needs root)
#                             and geckodriver (cargo), and a Python venv with the
#                             conformance test's packages (target/conformance-venv, pip),
#                             and the consumer app's npm packages (npm ci in tests/consumer)
#
# Not on Debian, or not root? Install by hand: Rust with rustup, Node.js >= 20,
# `rustup target add wasm32-unknown-unknown`, `cargo install wasm-bindgen-cli --version V`
# (V = the wasm-bindgen version in Cargo.lock), `npm ci`; for tests also Chromium with
# its chromedriver, Firefox and `cargo install geckodriver`, redis-server (Redis 7) for the
# server's Redis tests, and for the network lab
# coturn (turnserver), nftables (nft) and iproute2 (ip, tc), and for the conformance test
# Python 3.11+ with its venv module, and for the consumer app `npm ci` in tests/consumer.
# Point CHROMIUM, CHROMEDRIVER and GECKODRIVER at them if they are not at /usr/bin.
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1
done_any=()
say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust with rustup first"
command -v node >/dev/null || die "node not found: install Node.js 20 or newer"

# --- Debian packages (tests only) ---------------------------------------------------
if [ "$want_test" = 1 ]; then
  missing=()
  for pkg in chromium chromium-driver firefox-esr redis-server coturn nftables iproute2; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
      die "missing Debian packages: ${missing[*]}. Run as root, or: sudo apt-get install -y ${missing[*]}"
    fi
    command -v apt-get >/dev/null || die "no apt-get: install ${missing[*]} by hand (see the top of this script)"
    say "installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    done_any+=("${missing[@]}")
  fi
fi

# --- Rust: wasm32 target --------------------------------------------------------------
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
  done_any+=(wasm32-target)
fi

# --- wasm-bindgen-cli, exactly the library's wasm-bindgen version -----------------------
wb_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock 2>/dev/null || true)
[ -n "$wb_version" ] || wb_version=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' Cargo.toml)
[ -n "$wb_version" ] || die "cannot find the wasm-bindgen version in Cargo.lock or Cargo.toml"
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$wb_version" ]; then
  say "installing wasm-bindgen-cli $wb_version (have: ${have:-none}; takes a few minutes)"
  # No --locked: the registry mirror may lack a version the CLI's own lockfile pins.
  cargo install wasm-bindgen-cli --version "$wb_version" --quiet
  done_any+=("wasm-bindgen-cli@$wb_version")
fi

# --- geckodriver (tests only) -----------------------------------------------------------
if [ "$want_test" = 1 ] && [ -z "${GECKODRIVER:-}" ] && ! command -v geckodriver >/dev/null; then
  say "installing geckodriver (cargo; takes a few minutes)"
  cargo install geckodriver --version 0.37.1 --quiet
  done_any+=(geckodriver)
fi

# --- Python venv for the protocol conformance test (tests only) ------------------------
# target/conformance-venv with exactly tests/conformance/requirements.txt; redone when that
# file changes. Needs python3 (3.11 or newer, as websockets needs) with its venv module.
venv=target/conformance-venv
reqs=tests/conformance/requirements.txt
if [ "$want_test" = 1 ] && { [ ! -f "$venv/.installed" ] || [ "$reqs" -nt "$venv/.installed" ]; }; then
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || die "python3 3.11 or newer not found: install it with its venv module (Debian 12: python3, python3-venv)"
  say "installing the conformance test's Python packages (venv in $venv, pip)"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed: install the venv module (Debian: python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$reqs"
  touch "$venv/.installed"
  done_any+=(conformance-venv)
fi

# --- npm packages -----------------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  done_any+=(npm-packages)
fi

# --- npm packages of the consumer app (tests only) ---------------------------------------
# tests/consumer has its own package.json and lockfile (vite, typescript, publint); the
# steadyrtc tarball itself is packed and installed by tests/consumer/run.sh at test time.
consumer=tests/consumer
if [ "$want_test" = 1 ] && { [ ! -f "$consumer/node_modules/.package-lock.json" ] || [ "$consumer/package-lock.json" -nt "$consumer/node_modules/.package-lock.json" ]; }; then
  say "installing the consumer app's npm packages (npm ci in $consumer)"
  (cd "$consumer" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  done_any+=(consumer-npm-packages)
fi

if [ "${#done_any[@]}" -eq 0 ]; then
  say "nothing to install: everything is already there"
else
  say "installed: ${done_any[*]}"
fi
