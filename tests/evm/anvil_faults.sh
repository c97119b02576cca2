#!/usr/bin/env bash
#   Faults of ninesd's chain back end on anvil (meson test evm-chain-faults):
#   anvil on a free port of 127.0.0.1 with --state FILE (dumped at exit,
#   loaded at start), the contracts deployed as for evm-anvil-claim, and
#   test_chain_faults run with this script's path: `anvil_faults.sh --stop
#   DIR` stops anvil (SIGTERM: it dumps its state, its pool is lost),
#   `anvil_faults.sh --start DIR` starts it again on the same port from
#   that state, its clock continuing after the state's last block (a
#   restarted anvil's clock otherwise starts again at --timestamp).
#   With watch, test_chain_watch on a chain of committee 3, 10 s epochs
#   from genesis 0 and a 60 s challenge window, with the same restart
#   commands.
#   usage: anvil_faults.sh TEST_BINARY [watch]
set -euo pipefail
fail() { echo "anvil_faults.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/../chain/anvil.sh"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
state=$work/state.json
# SIGTERM to the anvil of $1/anvil.pid, back when it is gone (it dumps its state first)
stop() {
    local pid st
    pid=$(cat "$1/anvil.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do         # gone, or a zombie of the test's shell
        st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
        case "$st" in ""|Z*) break ;; esac
        sleep 0.1
    done
}
cleanup() {                         # the restarted anvil is no child of ours: wait for its dump
    [ -f "$work/anvil.pid" ] && stop "$work"
    anvil_cleanup
}
trap cleanup EXIT

# anvil on $port from $state (when it exists) at Unix second $1: sets anvil_pid and rpc
start() {
    : > "$work/anvil.log"
    "$bin/anvil" --host 127.0.0.1 --port "$port" --state "$state" --timestamp "$1" > "$work/anvil.log" 2>&1 &
    anvil_pid=$!
    echo "$anvil_pid" > "$work/anvil.pid"
    for _ in $(seq 100); do
        grep -q "^Listening on 127.0.0.1:$port$" "$work/anvil.log" && break
        kill -0 "$anvil_pid" 2>/dev/null || { cat "$work/anvil.log" >&2; fail "anvil exited"; }
        sleep 0.1
    done
    grep -q "^Listening on" "$work/anvil.log" || { cat "$work/anvil.log" >&2; fail "anvil did not listen within 10 s"; }
    rpc=http://127.0.0.1:$port
}

case "${1:-}" in
    --stop)                         # SIGTERM: anvil dumps its state; its pool is lost
        trap - EXIT; rmdir "$work"; work=$2
        stop "$work"
        [ -s "$work/state.json" ] || fail "anvil left no state"
        exit 0 ;;
    --start)                        # again on the same port, its clock after the state's last block
        trap - EXIT; rmdir "$work"; work=$2; state=$work/state.json
        t=$(python3 -c 'import json, sys; print(int(str(json.load(open(sys.argv[1]))["block"]["timestamp"]), 0) + 1)' "$state")
        port=$(cat "$work/port")
        start "$t" < /dev/null
        exit 0 ;;
esac

echo "$port" > "$work/port"
self=$(cd "$(dirname "$0")" && pwd)/anvil_faults.sh
if [ "${2:-}" = watch ]; then
    # test_chain_watch's chain, restartable
    start "$(date +%s)"
    NINES_GENESIS=0 NINES_EPOCH=10000 NINES_COMMITTEE=3 NINES_CHALLENGE_WINDOW=60000 anvil_deploy
    [ -n "${addr[UptimeStaking]:-}" ] || fail "UptimeStaking not deployed"
    "$1" "$rpc" "${addr[UptimeStaking]}" "$work" "$self"
    exit 0
fi
start $((1700000000 - 3 * 86400))
NINES_GENESIS=0 NINES_EPOCH=10000 NINES_COMMITTEE=7 NINES_CHALLENGE_WINDOW=60000 anvil_deploy
[ -n "${addr[UptimeStaking]:-}" ] || fail "UptimeStaking not deployed"
"$1" "$rpc" "${addr[UptimeStaking]}" "$dir/test/vectors/ledger-corpus.txt" "$work" "$self"
