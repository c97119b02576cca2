#!/bin/sh
#   deploy/prometheus/nines-alerts.yml: `promtool check rules` (syntax, PromQL)
#   and `promtool test rules` (each alert fires on the series meant to trigger
#   it, at the time expected, with its labels and annotations, and not on the
#   healthy ones).  The Grafana dashboards in deploy/grafana: valid JSON, and
#   every panel query is valid PromQL (checked by promtool as recording
#   rules) naming only metrics nines exports.  Skipped (77) without Debian's
#   prometheus package.
set -eu
deploy=${1:?usage: test_alert_rules.sh DEPLOY_DIR}
command -v promtool >/dev/null 2>&1 || { echo "promtool not installed (deploy/packages.txt: prometheus)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$deploy/prometheus"
promtool check rules nines-alerts.yml
promtool test rules nines-alerts.test.yml
python3 - "$deploy/grafana" "$tmp/dashboards.yml" <<'PY'
import glob, json, re, sys
known = re.compile(r'^(nines_|process_|up$)')
out = ["groups:", "  - name: dashboards", "    rules:"]
n = 0
for path in sorted(glob.glob(sys.argv[1] + "/*.json")):
    d = json.load(open(path))
    assert d["uid"] and d["panels"], path
    for p in d["panels"]:
        for t in p["targets"]:
            e = t["expr"].replace("$instance", ".*").replace("$pod", ".*")
            bare = re.sub(r'\b(by|without) \([^)]*\)', '', re.sub(r'\{[^}]*\}', '{}', e))
            for name in re.findall(r'\b([a-z_:][a-z0-9_:]*)\b(?!\s*\()', bare):
                if name in ("by", "sum", "max", "min", "avg", "count", "rate", "increase", "or",
                            "histogram_quantile", "vector", "time"):
                    continue
                assert known.match(name), f"{path}: panel '{p['title']}': unknown metric {name}"
            out.append(f"      - record: dashboard:q{n}")
            out.append("        expr: " + json.dumps(e))
            n += 1
assert n >= 20, n
open(sys.argv[2], "w").write("\n".join(out) + "\n")
print(f"{n} dashboard queries")
PY
promtool check rules "$tmp/dashboards.yml"
