#!/usr/bin/env bash
#   Watching on anvil (meson test evm-chain-watch): the contracts deployed
#   with committee 3, 10 s epochs from genesis 0 and a 60 s challenge
#   window; test_chain_watch registers its own five validators and three
#   pods, and runs the forging adversary and two watching links with
#   their stores in anvil.sh's scratch directory.
#   usage: anvil_watch.sh TEST_BINARY
set -euo pipefail
fail() { echo "anvil_watch.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/../chain/anvil.sh"
anvil_start
NINES_GENESIS=0 NINES_EPOCH=10000 NINES_COMMITTEE=3 NINES_CHALLENGE_WINDOW=60000 anvil_deploy
[ -n "${addr[UptimeStaking]:-}" ] || fail "UptimeStaking not deployed"
"$1" "$rpc" "${addr[UptimeStaking]}" "$work"
