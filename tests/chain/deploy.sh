#!/usr/bin/env bash
#   Deployment on a real EVM node (meson suite chain, issue 16): starts the
#   pinned anvil (contracts/node_modules/.bin) with its default limits
#   (EIP-170: 24,576 bytes of code a contract), deploys with
#   contracts/script/Deploy.s.sol (forge script: the Accounting library,
#   NinesCrypto, UptimeStaking linked to the library), and checks that every
#   deployed contract has code, at most 24,576 bytes, and works: a validator
#   and a pod register, and settle (a DELEGATECALL into the library) runs.
#   No network; anvil listens on 127.0.0.1 at a port of its choice.
set -euo pipefail
dir=$(cd "$(dirname "$0")/../../contracts" && pwd)
bin=$dir/node_modules/.bin
out=${NINES_FORGE_OUT:-$dir}
work=$(mktemp -d)
anvil_pid=
cleanup() {
    if [ -n "$anvil_pid" ]; then kill "$anvil_pid" 2>/dev/null || true; wait "$anvil_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "deploy.sh: $*" >&2; exit 1; }

"$bin/anvil" --host 127.0.0.1 --port 0 > "$work/anvil.log" 2>&1 &
anvil_pid=$!
port=
for _ in $(seq 100); do
    port=$(sed -n 's/^Listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$work/anvil.log")
    [ -n "$port" ] && break
    kill -0 "$anvil_pid" 2>/dev/null || { cat "$work/anvil.log" >&2; fail "anvil exited"; }
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/anvil.log" >&2; fail "anvil did not listen within 10 s"; }
rpc=http://127.0.0.1:$port
sender=$("$bin/cast" rpc eth_accounts --rpc-url "$rpc" | sed 's/^\["\(0x[0-9a-fA-F]*\)".*/\1/')

# forge script writes its broadcast record under FOUNDRY_BROADCAST.
if ! FOUNDRY_BROADCAST=$work/broadcast "$dir/forge.sh" script script/Deploy.s.sol:Deploy \
        --rpc-url "$rpc" --broadcast --unlocked --sender "$sender" > "$work/script.log" 2>&1; then
    cat "$work/script.log" >&2
    fail "forge script failed"
fi
record=$work/broadcast/Deploy.s.sol/31337/run-latest.json
[ -f "$record" ] || { cat "$work/script.log" >&2; fail "no broadcast record"; }
# contract name and address of each creation, in order
mapfile -t created < <(python3 -c '
import json, sys
for t in json.load(open(sys.argv[1]))["transactions"]:
    if t["transactionType"] in ("CREATE", "CREATE2"):
        print(t["contractName"], t["contractAddress"])
' "$record")
declare -A addr
for line in "${created[@]}"; do
    name=${line% *}; a=${line#* }
    size=$("$bin/cast" codesize "$a" --rpc-url "$rpc")
    echo "deployed $name at $a: $size bytes of code"
    [ "$size" -gt 0 ] || fail "$name has no code"
    [ "$size" -le 24576 ] || fail "$name: $size bytes, over EIP-170's 24576"
    addr[$name]=$a
done
for name in Accounting NinesCrypto UptimeStaking; do
    [ -n "${addr[$name]:-}" ] || fail "$name not deployed"
done
st=${addr[UptimeStaking]}
send() { "$bin/cast" send --rpc-url "$rpc" --unlocked --from "$sender" "$@" > /dev/null; }
call() { "$bin/cast" call --rpc-url "$rpc" "$@"; }
pod=0x$(printf 'deploy-test-pod' | sha256sum | cut -c1-64)
send "$st" 'registerValidator(bytes32)' 0x$(printf 'deploy-test-validator' | sha256sum | cut -c1-64) --value 1000gwei
send "$st" 'registerPod(bytes32,bytes32,uint64)' "$pod" "$pod" 0 --value 1000000gwei
send "$st" 'settle(bytes32)' "$pod"
[ "$(call "$st" 'validatorCount()(uint256)')" = 1 ] || fail "validatorCount is not 1"
[ "$(call "$st" 'podCount()(uint256)')" = 1 ] || fail "podCount is not 1"
call "$st" 'groups(bytes32)' "$pod" > /dev/null || fail "groups (library view) failed"
echo "anvil at $rpc accepted the deployment; registration and settle work"
