#!/usr/bin/env bash
#   Gas benchmark of the contracts (meson suite bench, issue 16): runs the
#   forge tests of contracts/test/Bench.t.sol (Ed25519, BLAKE2b) and
#   StakingBench.t.sol (UptimeStaking's operations) twice: warm (execution
#   gas inside one test transaction) and cold (NINES_BENCH=cold, forge test
#   --isolate: each call its own transaction, 21k base, calldata and cold
#   storage included).  Prints their `name: N` log lines, nothing else; the
#   line `claim gas (7 votes) (cold, own transaction): N` comes last.
set -euo pipefail
forge=$(dirname "$0")/../../contracts/forge.sh
lines() {
    sed -n 's/^  \(.*: [0-9][0-9]*\)$/\1/p'
}
warm=$("$forge" test --match-contract '^(Bench|StakingBench)$' -vv | lines)
cold=$(NINES_BENCH=cold "$forge" test --isolate --match-contract '^StakingBench$' -vv | lines)
last='^claim gas (7 votes) (cold, own transaction): '
if [ -z "$warm" ] || ! printf '%s\n' "$cold" | grep -q "$last"; then
    echo "bench.sh: no gas figures in forge's output" >&2
    exit 1
fi
printf '%s\n' "$warm"
printf '%s\n' "$cold" | grep -v "$last"
printf '%s\n' "$cold" | grep "$last"
