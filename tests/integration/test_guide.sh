#!/bin/sh
#   deploy/README.md "A network by hand": runs deploy/guide/network.sh (the
#   guide's own commands and files) in a private network namespace (so its
#   fixed port plan cannot clash with anything on the host), turns the demo
#   app unhealthy as the guide's step 6 says and waits for the ledger to
#   list the incident.  Skipped (77) without unshare -n or openssl.
set -u
build=${1:?usage: test_guide.sh BUILD_DIR SOURCE_DIR}
src=${2:?usage: test_guide.sh BUILD_DIR SOURCE_DIR}
if [ "${NINES_GUIDE_NS:-}" != 1 ]; then
    command -v openssl >/dev/null 2>&1 || { echo "openssl not installed"; exit 77; }
    unshare -n true 2>/dev/null || unshare -rn true 2>/dev/null || { echo "no unshare -n here"; exit 77; }
    if unshare -n true 2>/dev/null; then ns="unshare -n"; else ns="unshare -rn"; fi
    exec env NINES_GUIDE_NS=1 $ns sh "$0" "$@"
fi
ip link set lo up
PATH=$build/src/cli:$build/src/node:$build/src/ledger:$build/src/facade:$build/sim:$PATH
export PATH
work=$(mktemp -d)
cd "$work"
trap 'kill $(cat "$work/pids" 2>/dev/null) 2>/dev/null; sleep 0.5; kill -9 $(cat "$work/pids" 2>/dev/null) 2>/dev/null; rm -rf "$work"' EXIT
dump () { for f in "$work"/*.log; do echo "== $f"; tail -n 15 "$f"; done; }
if ! sh "$src/deploy/guide/network.sh"; then echo "FAIL: network.sh"; dump; exit 1; fi
pod=$(cat pod.id)
# the pod is probed and up before the outage
n=0
until ninesctl pods -e tcp://127.0.0.1:7412 --json 2>/dev/null | grep -q "$pod"; do
    n=$((n + 1)); [ $n -gt 60 ] && { echo "FAIL: validator 1 never lists the pod"; dump; exit 1; }; sleep 1
done
echo "ok: validators probe pod $pod"
# the pods table shows the last heartbeat's phase timings
ninesctl pods -e tcp://127.0.0.1:7412 | head -n 1 | grep -Eq "connect_us +tls_us +ttfb_us +total_us" \
    && echo "ok: pods table with per-phase timings" || { echo "FAIL: pods table without phase timings"; exit 1; }
if ninesctl ledger-incidents --json | grep -q "$pod"; then echo "FAIL: an incident before the outage"; exit 1; fi
# 6. an outage: the demo app answers 503 from now on
kill -USR1 "$(cat app.pid)"
t0=$(date +%s)
n=0
until ninesctl ledger-incidents --json 2>/dev/null | grep -q "$pod"; do
    n=$((n + 1)); [ $n -gt 120 ] && { echo "FAIL: no incident 120 s after the outage"; dump; exit 1; }; sleep 1
done
echo "ok: the ledger lists the incident $(( $(date +%s) - t0 )) s after the outage"
# times: ISO 8601 UTC in tables, raw Unix ms under --json
ninesctl ledger-incidents | tee table.txt
grep -Eq "^$pod +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z +- " table.txt \
    || { echo "FAIL: t_down not ISO 8601 UTC (t_up '-') in the table"; exit 1; }
ninesctl ledger-incidents --json | grep -Eq '"t_down":[0-9]{13},' || { echo "FAIL: --json t_down not raw ms"; exit 1; }
echo "ok: times ISO 8601 UTC in tables, raw ms under --json"
