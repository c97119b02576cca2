#!/usr/bin/env bash
#   Faults of ninesd's chain back end on anvil (meson test evm-chain-faults):
#   anvil on a free port of 127.0.0.1 with --state FILE (dumped at exit,
#   loaded at start), the contracts deployed as for evm-anvil-claim, and
#   test_chain_faults run with this script's path: `anvil_faults.sh --stop
#   DIR` stops anvil (SIGTERM: it dumps its state, its pool is lost),
#   `anvil_faults.sh --start DIR` starts it again on the same port from
#   that state, its clock continuing after the state's last block (a
#   restarted anvil's clock otherwise starts again at --timestamp).
#   usage: anvil_faults.sh TEST_BINARY
set -euo pipefail
fail() { echo "anvil_faults.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/../chain/anvil.sh"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
state=$work/state.json
cleanup() {
    [ -f "$work/anvil.pid" ] && kill "$(cat "$work/anvil.pid")" 2>/dev/null || true
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
        pid=$(cat "$work/anvil.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 100); do     # gone, or a zombie of the test's shell
            st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
            case "$st" in ""|Z*) break ;; esac
            sleep 0.1
        done
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
start $((1700000000 - 3 * 86400))
NINES_GENESIS=0 NINES_EPOCH=10000 NINES_COMMITTEE=7 NINES_CHALLENGE_WINDOW=60000 anvil_deploy
[ -n "${addr[UptimeStaking]:-}" ] || fail "UptimeStaking not deployed"
"$1" "$rpc" "${addr[UptimeStaking]}" "$dir/test/vectors/ledger-corpus.txt" "$work" \
    "$(cd "$(dirname "$0")" && pwd)/anvil_faults.sh"
