#!/bin/sh
#   The systemd units of deploy/ (issue 13 item 5):
#   1. the user and directories they need are made by deploy/nines.sysusers
#      and deploy/nines.tmpfiles (every User=/Group= a sysusers entry, every
#      StateDirectory= and WorkingDirectory= a tmpfiles entry owned as the
#      unit runs), and meson installs both (meson introspect --installed);
#   2. systemd-sysusers and systemd-tmpfiles --create accept the pair in a
#      scratch root (the user exists there, the directories get its owner
#      and mode);
#   3. `systemd-analyze verify` passes on each unit, its ExecStart pointed
#      at the built program;
#   4. each reaches an exposure of at most 3.0 in `systemd-analyze security
#      --offline` (--threshold counts tenths).
#   A check whose tool is missing is skipped with its reason; the test
#   then exits 77 (skipped), never 0, unless another check failed (1).
#   usage: test_units.sh DEPLOY_DIR [BUILD_ROOT]
set -u
deploy=${1:?usage: test_units.sh DEPLOY_DIR [BUILD_ROOT]}
build=${2:-}
[ -z "$build" ] || build=$(cd "$build" && pwd)
fails=0
skips=0
fail () { echo "FAIL: $*"; fails=$((fails + 1)); }
skip () { echo "skipped: $*"; skips=$((skips + 1)); }
units="ninesd nines-ledger nines-facade"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

#   1. what the units need against what sysusers/tmpfiles make.
sysusers=$deploy/nines.sysusers
tmpfiles=$deploy/nines.tmpfiles
for u in $units; do
    f=$deploy/$u.service
    user=$(sed -n 's/^User=//p' "$f")
    group=$(sed -n 's/^Group=//p' "$f")
    for name in $(printf '%s\n' $user $group | sort -u); do
        awk -v n="$name" '($1 == "u" || $1 == "g") && $2 == n {found = 1} END {exit !found}' "$sysusers" ||
            fail "$u.service runs as $name, which $sysusers does not create"
    done
    for d in $(sed -n 's/^StateDirectory=//p' "$f"); do
        mode=$(sed -n 's/^StateDirectoryMode=//p' "$f")
        awk -v p="/var/lib/$d" -v u="$user" -v m="${mode:-0755}" \
            '$1 == "d" && $2 == p && $4 == u && $3 == m {found = 1} END {exit !found}' "$tmpfiles" ||
            fail "$u.service: StateDirectory=$d (mode ${mode:-0755}, user $user) is not a 'd /var/lib/$d ${mode:-0755} $user' line of $tmpfiles"
    done
    wd=$(sed -n 's/^WorkingDirectory=//p' "$f")
    [ -z "$wd" ] || awk -v p="$wd" '$1 == "d" && $2 == p {found = 1} END {exit !found}' "$tmpfiles" ||
        fail "$u.service: WorkingDirectory=$wd is made by no line of $tmpfiles"
done
if [ -n "$build" ] && command -v meson >/dev/null 2>&1; then
    installed=$(meson introspect --installed "$build" 2>/dev/null)
    for pair in "nines.sysusers:/lib/sysusers.d/nines.conf" "nines.tmpfiles:/lib/tmpfiles.d/nines.conf"; do
        src=${pair%%:*} dst=${pair#*:}
        echo "$installed" | grep -q "deploy/$src\": \"[^\"]*$dst\"" ||
            fail "meson install does not put deploy/$src in PREFIX$dst"
    done
else
    skip "no build directory or meson: install paths of the sysusers/tmpfiles pair not checked"
fi

#   2. the pair applied to a scratch root.
root=$tmp/root
mkdir -p "$root/etc"
if ! command -v systemd-sysusers >/dev/null 2>&1 || ! command -v systemd-tmpfiles >/dev/null 2>&1; then
    skip "no systemd-sysusers/systemd-tmpfiles: the pair not applied"
elif [ "$(id -u)" != 0 ]; then
    skip "not root: systemd-tmpfiles cannot chown in a scratch root"
else
    if systemd-sysusers --root="$root" "$sysusers" >"$tmp/sysusers.log" 2>&1 &&
       grep -q '^nines:' "$root/etc/passwd" && grep -q '^nines:' "$root/etc/group"; then
        echo "ok: systemd-sysusers creates $(grep '^nines:' "$root/etc/passwd")"
    else
        fail "systemd-sysusers: $(cat "$tmp/sysusers.log")"
    fi
    if systemd-tmpfiles --create --root="$root" "$tmpfiles" >"$tmp/tmpfiles.log" 2>&1; then
        uid=$(awk -F: '$1 == "nines" {print $3}' "$root/etc/passwd")
        while read -r type path mode user group _; do
            case $type in d) ;; *) continue ;; esac
            want_uid=$([ "$user" = nines ] && echo "$uid" || echo 0)
            got=$(stat -c '%a %u' "$root$path" 2>/dev/null)
            [ "$got" = "$(printf '%o' "0$mode") $want_uid" ] ||
                fail "systemd-tmpfiles made $path '$got', want mode $mode uid $want_uid"
        done <"$tmpfiles"
        echo "ok: systemd-tmpfiles --create makes $(grep -c '^d' "$tmpfiles") directories"
    else
        fail "systemd-tmpfiles: $(cat "$tmp/tmpfiles.log")"
    fi
fi

#   3. systemd-analyze verify, ExecStart pointed at the built programs.
if ! command -v systemd-analyze >/dev/null 2>&1; then
    skip "no systemd-analyze (package systemd): verify and security not run"
    echo "$fails failed, $skips skipped"
    [ $fails = 0 ] || exit 1
    exit 77
fi
for u in $units; do
    bin=$(sed -n 's|^ExecStart=\([^ ]*\).*|\1|p' "$deploy/$u.service")
    built=
    [ -n "$build" ] && built=$(find "$build/src" -name "$(basename "$bin")" -type f -perm -u+x 2>/dev/null | head -n 1)
    if [ -z "$built" ]; then
        skip "$u.service: $(basename "$bin") not built: not verified"
        continue
    fi
    sed "s|^ExecStart=$bin|ExecStart=$built|" "$deploy/$u.service" >"$tmp/$u.service"
    if systemd-analyze verify --man=no "$tmp/$u.service" >"$tmp/verify.log" 2>&1 && [ ! -s "$tmp/verify.log" ]
    then echo "ok: systemd-analyze verify $u.service"
    else fail "systemd-analyze verify $u.service: $(cat "$tmp/verify.log")"; fi
done

#   4. exposure.
if systemd-analyze security --help 2>/dev/null | grep -q -- --offline; then
    for u in $units; do
        line=$(systemd-analyze security --offline=true --no-pager "$deploy/$u.service" 2>&1 | tail -n 1)
        if systemd-analyze security --offline=true --threshold=30 --no-pager "$deploy/$u.service" >/dev/null 2>&1
        then echo "ok: $line"; else fail "$line"; fi
    done
else
    skip "systemd-analyze without security --offline: exposure not checked"
fi
echo "$fails failed, $skips skipped"
[ $fails = 0 ] || exit 1
[ $skips = 0 ] || exit 77
exit 0
