#!/usr/bin/env bash
#   The claim flow from C on anvil (meson test evm-anvil-claim): anvil
#   starts 3 days before the corpus's evidence (its validators must be
#   registered epochs before it), the contracts are deployed with the
#   corpus's parameters (genesis 0, 10 s epochs, committee 7, 60 s
#   challenge window) and test_anvil_claim replays three of its evidence.
#   test_chain_link (meson test evm-chain-link) runs on the same chain with
#   anvil.sh's scratch directory as its fourth argument (its chain key and
#   stores) when the second argument is "dir".
#   usage: anvil_claim.sh TEST_BINARY [dir]
set -euo pipefail
fail() { echo "anvil_claim.sh: $*" >&2; exit 1; }
. "$(dirname "$0")/../chain/anvil.sh"
anvil_start --timestamp $((1700000000 - 3 * 86400))
NINES_GENESIS=0 NINES_EPOCH=10000 NINES_COMMITTEE=7 NINES_CHALLENGE_WINDOW=60000 anvil_deploy
[ -n "${addr[UptimeStaking]:-}" ] || fail "UptimeStaking not deployed"
"$1" "$rpc" "${addr[UptimeStaking]}" "$dir/test/vectors/ledger-corpus.txt" ${2:+"$work"}
