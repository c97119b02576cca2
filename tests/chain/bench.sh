#!/usr/bin/env bash
#   Gas benchmark of the contracts (meson suite bench, issue 16): runs the
#   forge tests of contracts/test/Bench.t.sol (Ed25519, BLAKE2b) and
#   StakingBench.t.sol (UptimeStaking's operations) and prints their
#   `name: N` log lines (gas per operation), nothing else; the line
#   `claim gas (7 votes): N` comes last.
set -euo pipefail
out=$("$(dirname "$0")/../../contracts/forge.sh" test --match-contract '^(Bench|StakingBench)$' -vv)
lines=$(printf '%s\n' "$out" | sed -n 's/^  \(.*: [0-9][0-9]*\)$/\1/p')
if [ -z "$lines" ] || ! printf '%s\n' "$lines" | grep -q '^claim gas (7 votes): '; then
    printf '%s\n' "$out" >&2
    echo "bench.sh: no gas figures in forge's output" >&2
    exit 1
fi
printf '%s\n' "$lines" | grep -v '^claim gas (7 votes): '
printf '%s\n' "$lines" | grep '^claim gas (7 votes): '
