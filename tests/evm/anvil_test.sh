#!/usr/bin/env bash
#   src/evm on anvil (meson test evm-anvil): starts the pinned anvil,
#   deploys the contracts with contracts/script/Deploy.s.sol
#   (tests/chain/anvil.sh) and runs test_anvil against UptimeStaking.
#   usage: anvil_test.sh TEST_ANVIL_BINARY
set -euo pipefail
fail() { echo "anvil_test.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/../chain/anvil.sh"
anvil_start
anvil_deploy
[ -n "${addr[UptimeStaking]:-}" ] || fail "UptimeStaking not deployed"
"$1" "$rpc" "${addr[UptimeStaking]}"
