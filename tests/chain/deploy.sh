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
fail() { echo "deploy.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/anvil.sh"

anvil_start
anvil_deploy
for name in "${!addr[@]}"; do
    a=${addr[$name]}
    size=$("$bin/cast" codesize "$a" --rpc-url "$rpc")
    echo "deployed $name at $a: $size bytes of code"
    [ "$size" -gt 0 ] || fail "$name has no code"
    [ "$size" -le 24576 ] || fail "$name: $size bytes, over EIP-170's 24576"
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
