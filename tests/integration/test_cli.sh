#!/bin/sh
#   The operator's conventions of the five programs (issue 13):
#   --version and --help on stdout with exit 0; a misspelled key in each
#   daemon's configuration (file or -s) exits 2 with a "did you mean" line;
#   --check-config accepts the example configurations of deploy/; ninesctl
#   refuses (exit 2) to show one daemon's answer as the other's (commands,
#   status-page, and watch given the other's stream or no stream); SIGHUP
#   leaves ninesd and nines-ledger running; SIGTERM stops them with exit 0;
#   ninesd on ledger/kind = evm refuses a bad contract address and a
#   missing or open chain key file (exit 2), and starts and stops (0).
set -u
build=${1:?usage: test_cli.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: test_cli.sh BUILD_DIR SOURCE_DIR}
ninesd=$build/src/node/ninesd
ledger=$build/src/ledger/nines-ledger
facade=$build/src/facade/nines-facade
ctl=$build/src/cli/ninesctl
sim=$build/sim/nines-sim
tmp=$(mktemp -d)
pids=""
trap 'for p in $pids; do kill -9 $p 2>/dev/null; done; rm -rf "$tmp"' EXIT
fails=0
fail () { echo "FAIL: $*"; fails=$((fails + 1)); }
ok () { echo "ok: $*"; }

# --version, --help: stdout, exit 0, nothing on stderr
for p in "$ninesd" "$ledger" "$facade" "$ctl" "$sim"; do
    name=$(basename "$p")
    out=$("$p" --version 2>"$tmp/err"); rc=$?
    case "$out" in "$name (nines) "[0-9]*) [ $rc = 0 ] && [ ! -s "$tmp/err" ] && ok "$name --version: $out" \
        || fail "$name --version: rc $rc";; *) fail "$name --version printed '$out'";; esac
    "$p" --help >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ $rc = 0 ] && grep -q '^usage: ' "$tmp/out" && [ ! -s "$tmp/err" ]; then ok "$name --help"
    else fail "$name --help: rc $rc, stdout $(wc -c <"$tmp/out") bytes, stderr $(cat "$tmp/err")"; fi
    "$p" --no-such-option >/dev/null 2>&1; rc=$?
    [ $rc = 2 ] && ok "$name: unknown option exits 2" || fail "$name: unknown option exits $rc"
done

# per-command help, on stdout: only that command's entry
help_is () {   # help_is WHAT WANT NOT CMD...
    what=$1 want=$2 not=$3; shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ $rc = 0 ] && grep -qF -- "$want" "$tmp/out" && ! grep -qF -- "$not" "$tmp/out" && [ ! -s "$tmp/err" ]
    then ok "$what"; else fail "$what: rc $rc, stdout: $(cat "$tmp/out") stderr: $(cat "$tmp/err")"; fi
}
help_is "ninesctl pods --help" "  pods " "register-pod" "$ctl" pods --help
help_is "ninesctl help register-pod" "--spki-pin" "keygen" "$ctl" help register-pod
help_is "nines-sim des --help" "  des SCENARIO" "demoapp" "$sim" des --help
help_is "nines-sim run --help" "usage: nines-sim run SCENARIO" "demoapp" "$sim" run --help

# expect_config NAME WANT CMD...: exit 2 and WANT on stderr
expect_config () {
    what=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ $rc = 2 ] && grep -qF -- "$want" "$tmp/err"; then ok "$what: $(tail -n 1 "$tmp/err")"
    else fail "$what: rc $rc, stderr: $(cat "$tmp/err")"; fi
}
sed 's/^    map_size =/    map_sise =/' "$src/deploy/ninesd.zpl" >"$tmp/ninesd-typo.zpl"
expect_config "ninesd misspelled key" "ninesd-typo.zpl: node/map_sise: unknown key (did you mean map_size?)" \
    "$ninesd" -c "$tmp/ninesd-typo.zpl"
expect_config "ninesd misspelled -s" "engine/swim_perod: unknown key (did you mean swim_period?)" \
    "$ninesd" -c "$src/deploy/ninesd.zpl" -s engine/swim_perod=2s
sed 's/^ledger$/ledgre/' "$src/deploy/nines-ledger.zpl" >"$tmp/ledger-typo.zpl"
expect_config "nines-ledger misspelled section" "ledger-typo.zpl: ledgre: unknown section (did you mean ledger?)" \
    "$ledger" -c "$tmp/ledger-typo.zpl"
sed 's/^    genesis =/    gensis =/' "$src/deploy/nines-ledger.zpl" >"$tmp/ledger-typo2.zpl"
expect_config "nines-ledger misspelled key" "ledger/gensis: unknown key (did you mean genesis?)" \
    "$ledger" --config="$tmp/ledger-typo2.zpl"
printf 'params\n    d_mdi = 2m\n' >"$tmp/genesis-typo.zpl"
expect_config "nines-ledger genesis misspelled parameter" "params/d_mdi: expected a known parameter name (did you mean d_mid?)" \
    "$ledger" --check-config -c "$src/deploy/nines-ledger.zpl" -s "ledger/genesis=$tmp/genesis-typo.zpl" -s "ledger/data=$tmp/g"
# ... and a misspelled key of a genesis validator or a registry pod
id1=1111111111111111111111111111111111111111111111111111111111111111
printf 'validator\n    id = %s\n    stkae = 5000\n' $id1 >"$tmp/genesis-typo2.zpl"
expect_config "nines-ledger genesis misspelled validator key" "validator[0]/stkae: expected a known key (did you mean stake?)" \
    "$ledger" --check-config -c "$src/deploy/nines-ledger.zpl" -s "ledger/genesis=$tmp/genesis-typo2.zpl" -s "ledger/data=$tmp/g"
printf 'pod\n    id = %s\n    facade_url = https://127.0.0.1:1/\n    facade_key = %s\n    spki_pin = %s\n    paid_untill = 5\n' \
    $id1 $id1 $id1 >"$tmp/registry-typo.zpl"
"$ctl" keygen "$tmp/typo.key" >/dev/null 2>&1   # (a start, not --check-config: timeout if it runs)
expect_config "ninesd registry misspelled pod key" "pod[0]/paid_untill: expected a known key (did you mean paid_until?)" \
    timeout 20 "$ninesd" -c "$src/deploy/ninesd.zpl" -s "node/key=$tmp/typo.key" -s "node/registry=$tmp/registry-typo.zpl" \
    -s "node/data=$tmp/typo-data" -s "node/metrics="
# ledger/kind = evm (src/node/chain_link.c): a bad contract address, a
# misspelled evm key, a missing or group-readable chain key file: exit 2
expect_config "ninesd evm/contract not an address" "evm/contract: expected the contract's address" \
    "$ninesd" --check-config -c "$src/deploy/ninesd.zpl" -s ledger/kind=evm -s evm/rpc=http://127.0.0.1:9 \
    -s evm/contract=0x1234
expect_config "ninesd misspelled evm key" "evm/confirmaton: unknown key (did you mean confirmations?)" \
    "$ninesd" --check-config -c "$src/deploy/ninesd.zpl" -s evm/confirmaton=2
printf 'pod\n    id = %s\n    facade_url = https://127.0.0.1:1/\n    facade_key = %s\n    spki_pin = %s\n' \
    $id1 $id1 $id1 >"$tmp/registry-evm.zpl"
evm_start () {   # evm_start KEYFILE [exec]: ninesd on ledger/kind = evm (node unreachable), 20 s at most
    ${2:-timeout 20} "$ninesd" -c "$src/deploy/ninesd.zpl" -s "node/key=$tmp/typo.key" -s "node/registry=$tmp/registry-evm.zpl" \
        -s "node/data=$tmp/evm-data" -s "node/metrics=" -s ledger/kind=evm -s evm/rpc=http://127.0.0.1:9 \
        -s evm/contract=0x5fbdb2315678afecb367f032d93f642f64180aa3 -s "evm/chain_key=$1" \
        -s "node/peer=ipc://$tmp/evm-peer" -s "node/query=ipc://$tmp/evm-query" -s "node/pub=ipc://$tmp/evm-pub"
}
expect_config "ninesd evm chain key missing" "evm/chain_key: $tmp/none.key" evm_start "$tmp/none.key"
(umask 022; printf 'nines-secp256k1-v1\n%s\n' $id1 >"$tmp/chain.key")
expect_config "ninesd evm chain key readable by others" "evm/chain_key: $tmp/chain.key" evm_start "$tmp/chain.key"
chmod 600 "$tmp/chain.key"
evm_start "$tmp/chain.key" exec >"$tmp/evm.log" 2>&1 &
evm_pid=$!; pids="$pids $evm_pid"
n=0; while ! grep -q "registry from" "$tmp/evm.log" && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
sleep 1.2                                       # one evm/poll: nothing queued, so no call
kill -TERM $evm_pid; wait $evm_pid; rc=$?
[ $rc = 0 ] && grep -q "registry from" "$tmp/evm.log" && ok "ninesd ledger/kind = evm starts and stops with 0" \
    || fail "ninesd ledger/kind = evm: rc $rc: $(tail -n 3 "$tmp/evm.log")"
sed 's/^    body_limit =/    body_limt =/' "$src/deploy/nines-facade.zpl" >"$tmp/facade-typo.zpl"
expect_config "nines-facade misspelled key" "facade/body_limt: unknown key (did you mean body_limit?)" \
    "$facade" -c "$tmp/facade-typo.zpl"
expect_config "nines-facade old log key" "facade/log_level: unknown key (did you mean log?)" \
    "$facade" -c "$src/deploy/nines-facade.zpl" -s facade/log_level=debug

# the examples of deploy/ are valid (the facade's names files that do not
# exist here: its keys are checked first, so only a file may be missing)
for d in ninesd nines-ledger; do
    "$build/src/$( [ $d = ninesd ] && echo node || echo ledger )/$d" --check-config -c "$src/deploy/$d.zpl" \
        >"$tmp/out" 2>&1 && ok "$d --check-config deploy/$d.zpl" || fail "$d --check-config: $(cat "$tmp/out")"
done
"$facade" --check-config -c "$src/deploy/nines-facade.zpl" >"$tmp/out" 2>&1
grep -q "unknown" "$tmp/out" && fail "deploy/nines-facade.zpl: $(cat "$tmp/out")" || ok "deploy/nines-facade.zpl keys known"

# signals: SIGHUP is ignored, SIGTERM stops with 0.  IPC endpoints: no ports.
# wait_log FILE TEXT: up to 20 s
wait_log () { n=0; while ! grep -q "$2" "$1" 2>/dev/null; do n=$((n + 1)); [ $n -gt 200 ] && return 1; sleep 0.1; done; }
# signals NAME PID LOG
signals () {
    kill -HUP "$2"; sleep 1
    kill -0 "$2" 2>/dev/null && ok "$1 survives SIGHUP" || fail "$1 died of SIGHUP"
    kill -TERM "$2"; wait "$2"; rc=$?
    [ $rc = 0 ] && ok "$1 exits 0 on SIGTERM" || fail "$1 exits $rc on SIGTERM: $(tail -n 3 "$3")"
}
mkdir "$tmp/ledger"
"$ledger" -c "$src/deploy/nines-ledger.zpl" -s "ledger/data=$tmp/ledger" -s "ledger/key=$tmp/ledger.key" \
    -s ledger/genesis= -s "ledger/api=ipc://$tmp/api" -s "ledger/pub=ipc://$tmp/pub" -s ledger/metrics= \
    >"$tmp/ledger.log" 2>&1 &
lpid=$!; pids="$pids $lpid"
if wait_log "$tmp/ledger.log" "serving"; then
    # ledger-registry decodes the parameters: ZPL lines, raw numbers under --json
    "$ctl" ledger-registry -e "ipc://$tmp/api" >"$tmp/out" 2>&1
    grep -q '^    epoch = 10s$' "$tmp/out" && grep -q '^    theta = 66.6667%$' "$tmp/out" \
        && ! grep -q 'bytes>' "$tmp/out" && ok "ledger-registry shows the parameters decoded" \
        || fail "ledger-registry: $(cat "$tmp/out")"
    "$ctl" ledger-registry --endpoint="ipc://$tmp/api" --json >"$tmp/out" 2>&1
    grep -q '"params":{"genesis_seed":"0*",.*"epoch":10000,' "$tmp/out" && ok "ledger-registry --json: raw ms" \
        || fail "ledger-registry --json: $(cat "$tmp/out")"
    # a node command against the ledger says so (both daemons have op pods)
    expect_config "ninesctl pods against the ledger" "is not a ninesd query socket" \
        "$ctl" pods -e "ipc://$tmp/api"
    # watch given the ledger's API (no stream at all), then the ledger's
    # stream as ninesd's: refused (2), not a wait for reports that never come
    expect_config "ninesctl watch --pub at the ledger's API" "--pub ipc://$tmp/api is not a PUB socket" \
        "$ctl" watch --pub "ipc://$tmp/api" -t 5000
    "$ctl" keygen "$tmp/w.key" >/dev/null
    "$ctl" watch --pub "ipc://$tmp/pub" -t 10000 >"$tmp/wout" 2>"$tmp/werr" &
    wpid=$!
    # a registry event (each registration bumps the version), until watch has seen one
    n=0; while kill -0 $wpid 2>/dev/null && [ $n -lt 20 ]; do
        n=$((n + 1)); "$ctl" register-validator -e "ipc://$tmp/api" --key "$tmp/w.key" --stake $((1000 + n)) \
            --peer tcp://127.0.0.1:7999 >/dev/null 2>&1; sleep 0.3; done
    wait $wpid; rc=$?
    [ $rc = 2 ] && grep -qF "is the nines-ledger event stream (topic \`registry\`), not ninesd's: give it as --ledger-pub" "$tmp/werr" \
        && ok "ninesctl watch --pub at the ledger's stream: $(cat "$tmp/werr")" \
        || fail "ninesctl watch --pub at the ledger's stream: rc $rc, stderr: $(cat "$tmp/werr")"
    # a busy port is a runtime failure (1, restarted by systemd), not a config error (2)
    python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(20)' >"$tmp/port" &
    hold=$!; pids="$pids $hold"
    n=0; while [ ! -s "$tmp/port" ] && [ $n -lt 100 ]; do n=$((n + 1)); sleep 0.1; done
    "$ledger" -c "$src/deploy/nines-ledger.zpl" -s "ledger/data=$tmp/ledger2" -s "ledger/key=$tmp/ledger.key" \
        -s ledger/genesis= -s "ledger/api=tcp://127.0.0.1:$(cat "$tmp/port")" -s "ledger/pub=ipc://$tmp/pub2" \
        -s ledger/metrics= >"$tmp/ledger2.log" 2>&1; rc=$?
    kill $hold 2>/dev/null
    [ $rc = 1 ] && ok "nines-ledger on a busy endpoint exits 1" || fail "nines-ledger on a busy endpoint: rc $rc: $(cat "$tmp/ledger2.log")"
    signals nines-ledger $lpid "$tmp/ledger.log"
else fail "nines-ledger did not start: $(cat "$tmp/ledger.log")"; fi
"$ctl" keygen "$tmp/v.key" >/dev/null
mkdir "$tmp/node"
"$ninesd" -c "$src/deploy/ninesd.zpl" -s "node/key=$tmp/v.key" -s "node/data=$tmp/node" \
    -s "node/peer=ipc://$tmp/peer" -s "node/query=ipc://$tmp/query" -s "node/pub=ipc://$tmp/npub" \
    -s node/metrics= -s "node/ledger=ipc://$tmp/api" -s "node/ledger_pub=ipc://$tmp/pub" \
    >"$tmp/node.log" 2>&1 &
npid=$!; pids="$pids $npid"
n=0; until "$ctl" status -e "ipc://$tmp/query" -t 500 >/dev/null 2>&1; do
    n=$((n + 1)); [ $n -gt 40 ] && break; sleep 0.2; done
if kill -0 $npid 2>/dev/null; then
    expect_config "ninesctl ledger-pods against ninesd" "is not a nines-ledger API" \
        "$ctl" ledger-pods -e "ipc://$tmp/query"
    expect_config "ninesctl status-page against ninesd" "is not a nines-ledger API" \
        "$ctl" status-page -e "ipc://$tmp/query" --out "$tmp/page"
    [ ! -e "$tmp/page/index.html" ] && ok "no status page drawn from ninesd" || fail "a status page drawn from ninesd"
    expect_config "ninesctl watch --ledger-pub at ninesd's query socket" "--ledger-pub ipc://$tmp/query is not a PUB socket" \
        "$ctl" watch --pub "ipc://$tmp/npub" --ledger-pub "ipc://$tmp/query" -t 5000
    signals ninesd $npid "$tmp/node.log"
else fail "ninesd did not start: $(cat "$tmp/node.log")"; fi

[ $fails = 0 ] && echo "all passed" || echo "$fails failed"
[ $fails = 0 ]
