#!/bin/sh
#   The systemd units of deploy/ (issue 13 item 5): each reaches an
#   exposure of at most 3.0 in `systemd-analyze security --offline`
#   (--threshold counts tenths).  Skipped (77) without a systemd-analyze
#   that knows --offline.
set -u
deploy=${1:?usage: test_units.sh DEPLOY_DIR}
command -v systemd-analyze >/dev/null 2>&1 || { echo "no systemd-analyze"; exit 77; }
systemd-analyze security --help 2>/dev/null | grep -q -- --offline || { echo "systemd-analyze without --offline"; exit 77; }
fails=0
for u in ninesd nines-ledger nines-facade; do
    line=$(systemd-analyze security --offline=true --no-pager "$deploy/$u.service" 2>&1 | tail -n 1)
    if systemd-analyze security --offline=true --threshold=30 --no-pager "$deploy/$u.service" >/dev/null 2>&1
    then echo "ok: $line"; else echo "FAIL: $line"; fails=$((fails + 1)); fi
done
[ $fails = 0 ]
