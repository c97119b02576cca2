#!/bin/sh
#   A nines network by hand on one host: the commands of deploy/README.md
#   ("A network by hand"), in order.  One ledger, three validators, one pod
#   (the demo app behind a facade).  Run it in an empty working directory
#   with the five programs on PATH and openssl installed:
#       mkdir net && cd net && sh /path/to/deploy/guide/network.sh
#   It starts every daemon in the background (pids in ./pids and
#   ./NAME.pid, logs in ./NAME.log) and returns once the validators answer.
#   Stop it all with: kill $(cat pids)
set -eu
guide=$(cd "$(dirname "$0")" && pwd)
: >pids
start () {     # start NAME CMD...: in the background, logging to NAME.log
    name=$1; shift
    "$@" >"$name.log" 2>&1 &
    echo $! >>pids
    echo $! >"$name.pid"
}
wait_for () {  # wait_for SECONDS CMD...: until CMD succeeds
    t=$1; shift
    while ! "$@" >/dev/null 2>&1; do
        t=$((t - 1)); [ $t -gt 0 ] || { echo "timed out: $*" >&2; return 1; }; sleep 1
    done
}

# 1. Keys: one Ed25519 key file each (mode 0600); ninesctl prints the id.
ninesctl keygen ledger.key
for i in 1 2 3; do ninesctl keygen validator-$i.key; done
ninesctl keygen provider.key
ninesctl keygen facade.key
#    The pod's TLS certificate (self-signed is fine: validators pin its key).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
    -keyout pod.key -out pod.crt -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>/dev/null
pod=$(ninesctl pod-id)
pin=$(ninesctl pin pod.crt)
facade_id=$(ninesctl id facade.key)

# 2. The ledger, from the genesis parameters (it creates its data directory).
cp "$guide/genesis.zpl" .
nines-ledger --check-config -c "$guide/ledger.zpl"
start ledger nines-ledger -c "$guide/ledger.zpl"
wait_for 20 ninesctl ledger-registry -e tcp://127.0.0.1:7500

# 3. Register the validators (each signs its own registration).
for i in 1 2 3; do
    ninesctl register-validator --key validator-$i.key --stake 1000000 --peer tcp://127.0.0.1:74${i}0
done

# 4. The app and its facade, then the pod's registration by its provider.
start app nines-sim demoapp --port 8080
start facade nines-facade -c "$guide/facade.zpl" -s facade/pod=$pod
ninesctl register-pod --key provider.key --pod $pod --stake 1000000 \
    --facade-url https://127.0.0.1:8443/ --facade-key $facade_id --spki-pin $pin

# 5. The validators.
for i in 1 2 3; do start validator-$i ninesd -c "$guide/validator-$i.zpl"; done
for i in 1 2 3; do wait_for 30 ninesctl status -e tcp://127.0.0.1:74${i}2; done
echo "$pod" >pod.id
echo "network up: pod $pod"
