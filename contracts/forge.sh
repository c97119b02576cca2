#!/usr/bin/env bash
#   contracts/forge.sh ARGS...: run the pinned forge (contracts/node_modules,
#   installed by deploy/bootstrap with `npm ci`) on contracts/, with no
#   network.  forge's build output and cache go to $NINES_FORGE_OUT (default
#   contracts/out and contracts/cache), so that several build directories
#   (build/, build-asan/) do not share one.
#
#   contracts/forge.sh test              all tests (meson suite "chain")
#   contracts/forge.sh test --match-contract Bench -vv     gas benchmark
set -euo pipefail
cd "$(dirname "$0")"
forge=node_modules/.bin/forge
if [ ! -x "$forge" ]; then
    echo "contracts/forge.sh: $PWD/$forge is missing: run deploy/bootstrap (it runs npm ci in contracts/)" >&2
    exit 1
fi
out=()
if [ -n "${NINES_FORGE_OUT:-}" ]; then
    out=(--out "$NINES_FORGE_OUT/out" --cache-path "$NINES_FORGE_OUT/cache")
fi
cmd=$1; shift
exec "$forge" "$cmd" --offline "${out[@]}" "$@"
