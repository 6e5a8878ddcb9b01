#!/usr/bin/env bash
# The network lab's plumbing: hosts as network namespaces on one bridge, and the faults.
# tests/netlab/lab.mjs drives it; it also works by hand (as root):
#
#   tests/netlab/lab.sh up                 create the hosts (removes a stale lab first)
#   tests/netlab/lab.sh down               kill what runs in them, delete them
#   tests/netlab/lab.sh check              say what is missing to run the lab, exit 1 if so
#   tests/netlab/lab.sh loss HOST PCT      drop PCT % of UDP to and from HOST   (undo: unloss HOST)
#   tests/netlab/lab.sh blackout HOST      drop everything to and from HOST     (undo: unblackout HOST)
#   tests/netlab/lab.sh cap HOST KBIT      shape HOST's outgoing traffic (tbf)   (undo: uncap HOST)
#   tests/netlab/lab.sh block-udp HOST     drop all UDP to and from HOST        (undo: unblock-udp HOST)
#   tests/netlab/lab.sh isolate HOST       drop everything to and from HOST but its traffic
#                                          with the signaling server            (undo: unisolate HOST)
#   tests/netlab/lab.sh exec HOST CMD...   run CMD on HOST
#
# HOST is one of the names in HOSTS below. Every namespace is named "srtc-HOST"; the bridge
# lives in its own namespace "srtc-hub", so no lab address exists in the root namespace
# and no lab host has a route out of the lab. Dropping faults are nftables rules on the
# bridge (the host's port); the bandwidth cap is a tbf qdisc on the host's own interface.
set -euo pipefail

PREFIX=srtc
HUB=$PREFIX-hub
SUBNET=10.77.0
# name:last-octet
HOSTS=(server:2 turn:3 a:11 b:12)

die() { printf 'netlab: ERROR: %s\n' "$*" >&2; exit 1; }
ns() { echo "$PREFIX-$1"; }   # "hub" is the bridge's namespace
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
known_host() {
  local entry
  for entry in "${HOSTS[@]}"; do [ "${entry%%:*}" = "$1" ] && return 0; done
  die "unknown host '$1' (hosts: ${HOSTS[*]%%:*})"
}

check() {
  local missing=()
  [ "$(id -u)" = 0 ] || die "the network lab needs root (network namespaces, nftables, tc); run as root"
  for tool in ip nft tc turnserver; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ "${#missing[@]}" = 0 ] || die "missing tools: ${missing[*]} (Debian: apt-get install iproute2 nftables coturn, or scripts/setup.sh --test)"
  # Can we make a namespace with the nftables rules and the tbf qdisc the faults use?
  local probe=$PREFIX-probe$$
  ip netns add "$probe" 2>/dev/null || die "cannot create network namespaces here (ip netns add failed)"
  local ok=1 why=""
  ip -n "$probe" link set lo up || { ok=0; why="cannot bring up lo in a namespace"; }
  if [ $ok = 1 ] && ! printf '%s\n' 'table bridge probe {' 'chain forward {' 'type filter hook forward priority 0;' \
    'meta l4proto udp numgen random mod 100 < 1 drop' '}' '}' | ip netns exec "$probe" nft -f - 2>/dev/null; then
    ok=0; why="nftables (bridge family, numgen) does not work in a namespace"
  fi
  if [ $ok = 1 ] && ! { ip -n "$probe" link add p0 type veth peer name p1 && ip -n "$probe" link set p0 up &&
    ip netns exec "$probe" tc qdisc add dev p0 root tbf rate 300kbit burst 32kbit latency 400ms; } 2>/dev/null; then
    ok=0; why="tc tbf does not work in a namespace"
  fi
  ip netns del "$probe"
  [ $ok = 1 ] || die "$why"
}

down() {
  local n pids
  for n in $(ip netns list | awk '{print $1}' | grep "^$PREFIX-" || true); do
    # Everything still running in a lab host was started by the lab: stop it first.
    pids=$(ip netns pids "$n" 2>/dev/null || true)
    if [ -n "$pids" ]; then
      # shellcheck disable=SC2086
      kill -9 $pids 2>/dev/null || true
      sleep 0.2
    fi
    ip netns del "$n" 2>/dev/null || true
  done
}

up() {
  down
  ip netns add "$HUB"
  ip -n "$HUB" link set lo up
  ip -n "$HUB" link add br0 type bridge
  ip -n "$HUB" link set br0 up
  local entry name octet
  for entry in "${HOSTS[@]}"; do
    name=${entry%%:*}; octet=${entry##*:}
    ip netns add "$(ns "$name")"
    ip -n "$(ns "$name")" link set lo up
    ip link add eth0 netns "$(ns "$name")" type veth peer name "v-$name" netns "$HUB"
    ip -n "$HUB" link set "v-$name" master br0 up
    ip -n "$(ns "$name")" addr add "$SUBNET.$octet/24" dev eth0
    ip -n "$(ns "$name")" link set eth0 up
    # Sealed: a lab host knows its subnet and nothing else.
    [ -z "$(ip -n "$(ns "$name")" route show default)" ] || die "lab host $name has a default route"
  done
}

# Faults that drop packets act on the bridge, between the host and the rest of the lab, as
# a real network would: the host's own stack sees silence, never a local send error.
# One nftables table per fault and host, so each undo removes exactly its fault.
nft_fault() {
  local host=$1 kind=$2 match=$3
  in_ns hub nft -f - <<EOF
table bridge netlab_${kind}_$host {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "v-$host" $match drop
    oifname "v-$host" $match drop
  }
}
EOF
}
nft_undo() { in_ns hub nft delete table bridge "netlab_$2_$1" 2>/dev/null || true; }
# Media cut, signaling up: only IP traffic between HOST and the server host passes.
nft_isolate() {
  local host=$1 server=$SUBNET.2
  in_ns hub nft -f - <<EOF
table bridge netlab_isolate_$host {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "v-$host" ip daddr != $server drop
    oifname "v-$host" ip saddr != $server drop
  }
}
EOF
}

cmd=${1:-}
[ -n "$cmd" ] || die "usage: $0 up|down|check|loss|unloss|blackout|unblackout|cap|uncap|block-udp|unblock-udp|isolate|unisolate|exec ..."
shift
case "$cmd" in
  check) check ;;
  up) check; up ;;
  down) down ;;
  loss)
    known_host "$1"; pct=$2
    [[ "$pct" =~ ^[0-9]+$ ]] && [ "$pct" -le 100 ] || die "loss: percent must be 0..100, got '$pct'"
    nft_undo "$1" loss
    nft_fault "$1" loss "meta l4proto udp numgen random mod 100 < $pct" ;;
  unloss) known_host "$1"; nft_undo "$1" loss ;;
  blackout) known_host "$1"; nft_undo "$1" blackout; nft_fault "$1" blackout "" ;;
  unblackout) known_host "$1"; nft_undo "$1" blackout ;;
  block-udp) known_host "$1"; nft_undo "$1" udp; nft_fault "$1" udp "meta l4proto udp" ;;
  unblock-udp) known_host "$1"; nft_undo "$1" udp ;;
  isolate) known_host "$1"; nft_undo "$1" isolate; nft_isolate "$1" ;;
  unisolate) known_host "$1"; nft_undo "$1" isolate ;;
  cap)
    known_host "$1"; kbit=$2
    [[ "$kbit" =~ ^[0-9]+$ ]] && [ "$kbit" -gt 0 ] || die "cap: kbit must be a positive integer, got '$kbit'"
    in_ns "$1" tc qdisc replace dev eth0 root tbf rate "${kbit}kbit" burst 32kbit latency 400ms ;;
  uncap) known_host "$1"; in_ns "$1" tc qdisc del dev eth0 root 2>/dev/null || true ;;
  exec) known_host "$1"; h=$1; shift; in_ns "$h" "$@" ;;
  *) die "unknown command '$cmd'" ;;
esac
