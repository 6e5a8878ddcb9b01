#!/bin/sh
# Playwright launches this instead of Chromium: the browser runs on the lab host named by
# NETLAB_NETNS. Playwright talks to it over a pipe, which no network fault can touch.
set -e
[ -n "$NETLAB_NETNS" ] || { echo "chromium-in-netns: NETLAB_NETNS is not set" >&2; exit 2; }
exec ip netns exec "$NETLAB_NETNS" "${NETLAB_CHROMIUM:-/usr/bin/chromium}" "$@"
