#   tests/chain/anvil.sh: sourced by the tests that need a local EVM node
#   (tests/chain/deploy.sh, tests/evm/anvil_test.sh).  Defines:
#
#   anvil_start        the pinned anvil (contracts/node_modules/.bin) on
#                      127.0.0.1 at a port of its choice, default limits;
#                      sets anvil_pid and rpc (http://127.0.0.1:PORT).
#   anvil_deploy       contracts/script/Deploy.s.sol through forge script
#                      (the Accounting library, NinesCrypto, UptimeStaking
#                      linked to the library) from anvil's first account;
#                      sets sender and addr[NAME] for each creation.
#   anvil_cleanup      stop anvil and remove $work (installed as EXIT trap).
#
#   The caller sets `set -euo pipefail` and defines fail().  No network.
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../contracts" && pwd)
bin=$dir/node_modules/.bin
work=$(mktemp -d)
anvil_pid=
declare -A addr
anvil_cleanup() {
    if [ -n "$anvil_pid" ]; then kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap anvil_cleanup EXIT

anvil_args=()
anvil_start() {
    anvil_args=("$@")
    : > "$work/anvil.log"           # exists before the background anvil opens it
    "$bin/anvil" --host 127.0.0.1 --port 0 "$@" > "$work/anvil.log" 2>&1 &
    anvil_pid=$!
    local port=
    for _ in $(seq 100); do
        port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$work/anvil.log")
        [ -n "$port" ] && break
        kill -0 "$anvil_pid" 2>/dev/null || { cat "$work/anvil.log" >&2; fail "anvil exited"; }
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$work/anvil.log" >&2; fail "anvil did not listen within 10 s"; }
    rpc=http://127.0.0.1:$port
}

#   One deployment on the running anvil; 124 when cast or forge hung.
#   (This stop's CI runs saw an anvil test killed at meson's 300 s timeout
#   twice in about 25 runs, with nothing printed: the bounded commands are
#   the C tests' (libcurl timeouts) and anvil_start's, so the hang was
#   cast's or forge script's.)
anvil_deploy_once() {
    sender=$(timeout 20 "$bin/cast" rpc eth_accounts --rpc-url "$rpc" | sed 's/^\["\(0x[0-9a-fA-F]*\)".*/\1/') || return 124
    # forge script writes its broadcast record under FOUNDRY_BROADCAST.
    rm -rf "$work/broadcast"
    local rc=0
    FOUNDRY_BROADCAST=$work/broadcast timeout 120 "$dir/forge.sh" script script/Deploy.s.sol:Deploy \
        --rpc-url "$rpc" --broadcast --unlocked --sender "$sender" > "$work/script.log" 2>&1 || rc=$?
    return $rc
}

anvil_deploy() {
    local rc=0
    anvil_deploy_once || rc=$?
    if [ "$rc" -eq 124 ]; then
        # Hung: say so, then once more on a fresh anvil with the same arguments.
        echo "anvil.sh: cast or forge script hung for its whole timeout; restarting anvil and deploying again" >&2
        tail -5 "$work/script.log" >&2 2>/dev/null || true
        kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true
        anvil_start "${anvil_args[@]}"
        rc=0
        anvil_deploy_once || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        cat "$work/script.log" >&2
        fail "forge script failed (exit $rc)"
    fi
    local record=$work/broadcast/Deploy.s.sol/31337/run-latest.json line
    [ -f "$record" ] || { cat "$work/script.log" >&2; fail "no broadcast record"; }
    # contract name and address of each creation, in order
    mapfile -t created < <(python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["transactions"]:
    if t["transactionType"] in ("CREATE", "CREATE2"):
        print(t["contractName"], t["contractAddress"])
' "$record")
    for line in "${created[@]}"; do
        addr[${line% *}]=${line#* }
    done
}
