#!/bin/sh
#   ninesctl chain-keygen / chain-address (meson test evm-chain-key): the
#   chain key file is created 0600 with its header, never overwritten,
#   refused when group or others can read it; the address printed is
#   cast's for the same secret (when contracts/node_modules/.bin/cast
#   exists) and chain-address prints it again.
#   usage: chain_key_cli.sh NINESCTL SOURCE_DIR
set -u
ctl=${1:?usage: chain_key_cli.sh NINESCTL SOURCE_DIR}
cast=${2:?usage: chain_key_cli.sh NINESCTL SOURCE_DIR}/contracts/node_modules/.bin/cast
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail () { echo "FAIL: $*"; fails=$((fails + 1)); }
ok () { echo "ok: $*"; }

addr=$("$ctl" chain-keygen "$tmp/c.key") && ok "chain-keygen: $addr" || fail "chain-keygen exit $?"
case "$addr" in 0x[0-9a-fA-F]*) [ ${#addr} = 42 ] && ok "an address" || fail "'$addr' is not an address";;
    *) fail "'$addr' is not an address";; esac
[ "$(stat -c %a "$tmp/c.key")" = 600 ] && ok "mode 0600" || fail "mode $(stat -c %a "$tmp/c.key")"
[ "$(head -n 1 "$tmp/c.key")" = nines-secp256k1-v1 ] && ok "header" || fail "header $(head -n 1 "$tmp/c.key")"
[ "$("$ctl" chain-address "$tmp/c.key")" = "$addr" ] && ok "chain-address" || fail "chain-address differs"
if [ -x "$cast" ]; then
    want=$("$cast" wallet address --private-key "0x$(tail -n 1 "$tmp/c.key")")
    [ "$want" = "$addr" ] && ok "cast agrees: $want" || fail "cast says $want, ninesctl $addr"
fi
"$ctl" chain-keygen "$tmp/c.key" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "refusing to overwrite" "$tmp/err" && ok "no overwrite" || fail "overwrite: rc $rc"
chmod 644 "$tmp/c.key"
"$ctl" chain-address "$tmp/c.key" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "chmod 600" "$tmp/err" && ok "0644 refused" || fail "0644: rc $rc $(cat "$tmp/err")"
printf 'nines-ed25519-v1\n%064d\n' 1 > "$tmp/e.key"; chmod 600 "$tmp/e.key"
"$ctl" chain-address "$tmp/e.key" >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "an Ed25519 key file refused" || fail "Ed25519 key file: rc $rc"
"$ctl" chain-address "$tmp/none.key" >/dev/null 2>&1; rc=$?
[ $rc = 1 ] && ok "missing file: exit 1" || fail "missing file: rc $rc"
[ $fails = 0 ]
