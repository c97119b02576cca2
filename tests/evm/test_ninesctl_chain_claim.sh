#!/usr/bin/env bash
#   ninesctl's incidents, slashes and pods on the chain after a real claim
#   (meson test ninesctl-chain-claim, issue 17 item 4): the claim flow of
#   evm-anvil-claim (anvil_claim.sh's chain and parameters, test_anvil_claim:
#   one accepted DOWN + UP of the differential corpus claimed, finalized
#   and accounted: the 2 h outage is slashed at account), and settle(pod)
#   later pays nothing twice.  Checked: `incidents --json` equals the contract's
#   Incident log as decoded here (python, from eth_getLogs), `slashes
#   --json` pays what `ninesctl sla` computes with the C slash arithmetic
#   for the pod's stake and that duration, and `pods --json` shows it
#   slashed.
#   usage: test_ninesctl_chain_claim.sh NINESCTL TEST_ANVIL_CLAIM
set -euo pipefail
fail() { echo "test_ninesctl_chain_claim.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || fail "usage: test_ninesctl_chain_claim.sh NINESCTL TEST_ANVIL_CLAIM"
ninesctl=$1
. "$(dirname "$0")/../chain/anvil.sh"
anvil_start --timestamp $((1700000000 - 3 * 86400))
NINES_GENESIS=0 NINES_EPOCH=10000 NINES_COMMITTEE=7 NINES_CHALLENGE_WINDOW=60000 anvil_deploy
contract=${addr[UptimeStaking]:-}
[ -n "$contract" ] || fail "UptimeStaking not deployed"
"$2" "$rpc" "$contract" "$dir/test/vectors/ledger-corpus.txt" > "$work/claim.log" 2>&1 \
    || { cat "$work/claim.log" >&2; fail "test_anvil_claim failed"; }
ctl() { "$ninesctl" --chain "$rpc" --contract "$contract" "$@"; }
json() { python3 -c "import json, sys; j = json.load(open(sys.argv[1])); print($2)" "$1"; }

# the Incident logs, decoded here from the raw eth_getLogs answer
topic=$("$bin/cast" keccak "Incident(bytes32,uint64,uint64,uint64,uint64,uint64,bool,bool)")
"$bin/cast" rpc --rpc-url "$rpc" eth_getLogs \
    "{\"address\":\"$contract\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$topic\"]}" > "$work/logs.json"
# the 12 validators test_anvil_claim registered, sorted by id as the ledger lists them
ctl validators --json > "$work/val.json"
python3 - "$work/val.json" <<'EOF' || fail "validators: $(cat "$work/val.json")"
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
ids = [r["id"] for r in rows]
assert len(rows) == 12 and ids == sorted(ids), ids
assert all(r["stake"] >= 1000 and r["weight"] ** 2 <= r["stake"] < (r["weight"] + 1) ** 2 for r in rows), rows
EOF
ctl incidents --json > "$work/inc.json"
python3 - "$work/logs.json" "$work/inc.json" <<'EOF' || fail "incidents differ from the Incident log: $(cat "$work/inc.json")"
import json, sys
logs, inc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert len(logs) >= 1, logs
last = logs[-1]
w = [int(last["data"][2 + 64 * k: 66 + 64 * k], 16) for k in range(7)]
want = {"pod": last["topics"][1][2:], "t_down": w[0], "t_up": 0 if w[6] else w[1], "duration_ms": w[2],
        "pieces": w[3], "slashed": w[4], "correlated": bool(w[5]), "open": bool(w[6])}
assert inc["ok"] and inc["rows"] == [want], (inc, want)
assert want["duration_ms"] >= 60000 and not want["open"], want     # above grace: it will pay
EOF
pod=$(json "$work/inc.json" 'j["rows"][0]["pod"]')
duration=$(json "$work/inc.json" 'j["rows"][0]["duration_ms"]')
t_down=$(json "$work/inc.json" 'j["rows"][0]["t_down"]')
# settle later (past corr_window + the challenge window): nothing paid twice
ctl slashes --json > "$work/sl0.json"
head=$("$bin/cast" block latest --field timestamp --rpc-url "$rpc")
"$bin/cast" rpc --rpc-url "$rpc" evm_mine $((head + 400)) > /dev/null
"$bin/cast" send --rpc-url "$rpc" --unlocked --from "$sender" "$contract" "settle(bytes32)" "0x$pod" > /dev/null \
    || fail "settle failed"
ctl slashes --json > "$work/sl1.json"
cmp -s "$work/sl0.json" "$work/sl1.json" || fail "settle paid again: $(cat "$work/sl0.json" "$work/sl1.json")"
ctl pods --json > "$work/pods.json"
stake=$(json "$work/pods.json" "[r for r in j['rows'] if r['pod'] == '$pod'][0]['stake']")
want=$("$ninesctl" sla --stake "$stake" --window 30d --nines 3 --duration "${duration}ms" --json)
amount=$(python3 -c "import json, sys; print(json.loads(sys.argv[1])['slash'])" "$want")
[ "$amount" -gt 0 ] || fail "sla computes no slash for $duration ms: $want"
ctl slashes --pod "$pod" --json > "$work/sl.json"
python3 - "$work/sl.json" <<EOF || fail "slashes: $(cat "$work/sl.json"), expected $amount for $duration ms"
import json, sys
j = json.load(open(sys.argv[1]))
assert j["rows"] == [{"seq": 0, "pod": "$pod", "t_ms": $t_down, "duration_ms": $duration, "amount": $amount,
                      "incident_total": $amount}], j
EOF
python3 - "$work/pods.json" <<EOF || fail "pods: $(cat "$work/pods.json"), expected $amount slashed"
import json, sys
r = [r for r in json.load(open(sys.argv[1]))["rows"] if r["pod"] == "$pod"][0]
assert r["slashed"] == $amount and r["remaining"] == r["stake"] - r["fees"] - $amount, r
EOF
ctl incidents --pod "$pod" --json > "$work/inc2.json"
[ "$(json "$work/inc2.json" 'j["rows"][0]["slashed"]')" = "$amount" ] || fail "incidents after settle: $(cat "$work/inc2.json")"
ctl slashes > "$work/sl.txt"
grep -q "^seq  *pod  *t_ms  *duration_ms  *amount  *incident_total" "$work/sl.txt" || fail "slashes table: $(cat "$work/sl.txt")"
echo "ninesctl-chain-claim: ok (incident $duration ms, slashed $amount of $stake, as ninesctl sla computes)"
