#!/usr/bin/env bash
#   ninesctl on the chain (meson test ninesctl-chain, issue 17 item 4):
#   anvil with the contract deployed with chosen parameters
#   (tests/chain/anvil.sh), a validator and a pod registered, paid_until
#   changed and a maintenance window announced through `ninesctl --chain
#   URL --contract ADDR`; then pods, registry, validators, incidents and
#   slashes --json must show exactly those values, the table too; a
#   refused request (the contract's custom error decoded, at the estimate
#   or from a transaction mined but reverted) exits 1, an
#   unreachable node 3, no contract at the address or a missing
#   --chain-key 2.
#   usage: test_ninesctl_chain.sh NINESCTL
set -euo pipefail
fail() { echo "test_ninesctl_chain.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] || fail "usage: test_ninesctl_chain.sh NINESCTL"
ninesctl=$1
. "$(dirname "$0")/../chain/anvil.sh"

seed=1111111111111111111111111111111111111111111111111111111111111111
export NINES_GENESIS_SEED=0x$seed NINES_EPOCH=20000 NINES_MIN_VALIDATOR_STAKE=1500 NINES_NOTICE=3600000 \
       NINES_MAINT_BUDGET=7200000 NINES_BOND=777 NINES_CHALLENGE_WINDOW=120000 NINES_FRAUD_SLASH=50000
anvil_start
anvil_deploy
contract=${addr[UptimeStaking]:-}
[ -n "$contract" ] || fail "UptimeStaking not deployed"

# anvil's first account (its well-known dev key), as a chain key file
chainkey=$work/chain.key
(umask 077; printf 'nines-secp256k1-v1\nac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n' > "$chainkey")
owner=f39fd6e51aad88f6f4ce6ab8827279cfffb92266
"$ninesctl" keygen "$work/val.key" > /dev/null
vid=$("$ninesctl" id "$work/val.key")
pod=$("$ninesctl" pod-id)
pins=$(printf 'ab%.0s' $(seq 32))

ctl() { "$ninesctl" --chain "$rpc" --contract "$contract" "$@"; }
# expect CODE PATTERN CMD...: exit code CODE and PATTERN in stderr
expect() {
    local code=$1 pattern=$2 rc=0
    shift 2
    "$@" > "$work/out" 2> "$work/err" || rc=$?
    [ "$rc" -eq "$code" ] || { cat "$work/out" "$work/err" >&2; fail "$* exited $rc, expected $code"; }
    grep -q -- "$pattern" "$work/err" || { cat "$work/err" >&2; fail "$*: no '$pattern' in its stderr"; }
}
ms() { python3 -c 'import time; print(int(time.time() * 1000))'; }
# check FILE PYTHON: the JSON in FILE as j, PYTHON's assertions
check() {
    python3 - "$1" "$2" <<'EOF' || fail "check failed: $2 on $(cat "$1")"
import json, sys
j = json.load(open(sys.argv[1]))
exec(sys.argv[2])
EOF
}

ctl register-validator --chain-key "$chainkey" --key "$work/val.key" --stake 2000 --json > "$work/rv.json"
check "$work/rv.json" 'assert j["ok"] and j["op"] == "register-validator" and j["gas_used"] > 100000, j'
now=$(ms)
paid1=$((now + 3 * 86400000))
t0=$(ms)
ctl register-pod --chain-key "$chainkey" --pod "$pod" --stake 5000 --paid-until "$paid1" --pins "$pins" \
    --json > "$work/rp.json"
t_write=$(( $(ms) - t0 ))
check "$work/rp.json" "assert j['pod'] == '$pod' and j['stake'] == 5000 and j['paid_until'] == $paid1, j"
paid2=$((now + 10 * 86400000))
ctl paid-until --chain-key "$chainkey" --pod "$pod" --until "$paid2" --json > "$work/pu.json"
check "$work/pu.json" "assert j['paid_until'] == $paid2 and j['stake'] == 5000, j"
start=$((now + 2 * 3600000))
ctl maintenance --chain-key "$chainkey" --pod "$pod" --start "$start" --duration 45m --json > "$work/mt.json"
check "$work/mt.json" "assert j['start_ms'] == $start and j['end_ms'] == $start + 2700000, j"

t0=$(ms)
ctl pods --json > "$work/pods.json"
t_read=$(( $(ms) - t0 ))
check "$work/pods.json" "
assert j['ok'] and len(j['rows']) == 1, j
r = j['rows'][0]
assert list(r) == ['pod', 'provider', 'stake', 'slashed', 'fees', 'remaining', 'paid_until', 'maintenance',
                   'facade_url'], list(r)
assert r['pod'] == '$pod' and r['provider'] == '$owner', r
assert r['stake'] == 5000 and r['slashed'] == 0 and r['fees'] == 0 and r['remaining'] == 5000, r
assert r['paid_until'] == $paid2 and r['maintenance'] == 1, r"
# --from-block: the logs from there only (the last block holds the maintenance tx)
latest=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["block"])' "$work/mt.json")
ctl pods --from-block "$latest" --json > "$work/pods-late.json"
check "$work/pods-late.json" 'assert j == {"ok": True, "rows": []}, j'
# the ledger-* name is the same command; the table prints times as ISO 8601
ctl ledger-pods > "$work/pods.txt"
head -1 "$work/pods.txt" | grep -q '^pod  *provider  *stake  *slashed  *fees  *remaining  *paid_until  *maintenance' \
    || fail "pods table header: $(cat "$work/pods.txt")"
iso=$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($paid2 / 1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S'))")
grep -q "$pod  *$owner  *5000  *0  *0  *5000  *$iso" "$work/pods.txt" || fail "pods table row: $(cat "$work/pods.txt")"

ctl registry --json > "$work/reg.json"
# the validator entry is nines_validator_info_encode's [id, stake, endpoint]:
# fixarray 3, bin8 32, uint16 2000 (cd 07d0), "" (a0)
check "$work/reg.json" "
p = j['params']
assert p['genesis_seed'] == '$seed' and p['epoch'] == 20000 and p['min_validator_stake'] == 1500, p
assert p['notice'] == 3600000 and p['maint_budget'] == 7200000 and p['committee'] == 7, p
assert p['theta'] == 666667 and p['d_mid'] == 7200000 and p['max_slash'] == 100000 and p['genesis'] == 0, p
assert j['bond'] == 777 and j['challenge_window_ms'] == 120000 and j['fraud_slash_ppm'] == 50000, j
assert j['ledger'] == '${contract#0x}'.lower() and j['version'] > 0, j
assert j['validators'] == ['93c420$vid' + 'cd07d0a0'], j['validators']"
ctl validators --json > "$work/val.json"
check "$work/val.json" "
assert j['rows'] == [{'id': '$vid', 'stake': 2000, 'weight': 44, 'eligible': True, 'endpoint': '',
                      'reward': 0, 'periods': 0}], j"
ctl incidents --json > "$work/inc.json"
check "$work/inc.json" 'assert j == {"ok": True, "rows": []}, j'
ctl slashes --pod "$pod" --json > "$work/sl.json"
check "$work/sl.json" 'assert j == {"ok": True, "rows": []}, j'

# refused requests: the contract's error, exit 1; nothing changed
other=$("$ninesctl" pod-id)
expect 1 'refused paid-until: EUnknown()' ctl paid-until --chain-key "$chainkey" --pod "$other" --until 0
expect 1 'EStale("maintenance notice")' ctl maintenance --chain-key "$chainkey" --pod "$pod" \
    --start "$((now + 600000))" --duration 10m
expect 1 'EExist()' ctl maintenance --chain-key "$chainkey" --pod "$pod" --start "$((start + 60000))" --duration 1m
"$ninesctl" keygen "$work/small.key" > /dev/null
expect 1 'EStake()' ctl register-validator --chain-key "$chainkey" --key "$work/small.key" --stake 1499
expect 1 'unknown pod' ctl incidents --pod "$other"
ctl pods --json > "$work/pods2.json"
cmp -s "$work/pods.json" "$work/pods2.json" || fail "a refused request changed the pods: $(cat "$work/pods2.json")"
# usage and configuration: 2; unreachable: 3
expect 2 'chain-key FILE is required' ctl paid-until --pod "$pod" --until 0
expect 2 'no contract at' "$ninesctl" --chain "$rpc" --contract 0x000000000000000000000000000000000000dead pods
expect 2 'not a chain command' ctl status
expect 3 'no answer from the chain node' "$ninesctl" --chain http://127.0.0.1:1 --contract "$contract" pods
"$ninesctl" --chain "$rpc" --contract "$contract" pods --help | grep -q 'podInfo' || fail "pods --help with --chain"
"$ninesctl" --help | grep -q -- '--chain URL' || fail "ninesctl --help does not document --chain"
# mined but reverted: with automine off, another account's registerPod of
# the same new pod (a higher tip, no estimate) goes first in the block, so
# ninesctl's estimate passed and its transaction reverts; the reason is
# the replayed call's (EPerm: the pod is the other's)
"$bin/cast" rpc --rpc-url "$rpc" evm_setAutomine false > /dev/null
race=$("$ninesctl" pod-id)
account1=$("$bin/cast" rpc eth_accounts --rpc-url "$rpc" | python3 -c 'import json, sys; print(json.load(sys.stdin)[1])')
rc=0
ctl register-pod --chain-key "$chainkey" --pod "$race" --stake 1 > "$work/race.out" 2> "$work/race.err" & racer=$!
sleep 0.5
"$bin/cast" send --async --rpc-url "$rpc" --unlocked --from "$account1" --priority-gas-price 100gwei \
    --gas-price 200gwei --gas-limit 300000 "$contract" "registerPod(bytes32,bytes32,uint64)" "0x$race" "0x$pins" 0 \
    > /dev/null
"$bin/cast" rpc --rpc-url "$rpc" evm_mine > /dev/null
wait "$racer" || rc=$?
[ "$rc" -eq 1 ] && grep -q 'refused register-pod: EPerm() (reverted in block' "$work/race.err" \
    || fail "mined-reverted register-pod: exit $rc, $(cat "$work/race.out" "$work/race.err")"
"$bin/cast" rpc --rpc-url "$rpc" evm_setAutomine true > /dev/null
echo "ninesctl-chain: ok (register-pod ${t_write} ms, pods --json ${t_read} ms against anvil)"
