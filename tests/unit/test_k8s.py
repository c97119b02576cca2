#!/usr/bin/env python3
"""Check of the Kubernetes manifests of deploy/k8s/ (issue 13 item 6); no
kubeconform here (Debian ships none), so this checks the fields the API
server requires and what the sidecar promises:

  - each object: apiVersion, kind, metadata.name (DNS-1123);
  - Deployment: selector matching the template's labels, containers and
    initContainers with a unique DNS-1123 name and an image; probes with
    exactly one handler, a path, a port that is a number or one of the
    container's named ports, positive periods; resource quantities that
    parse, requests <= limits; volumeMounts naming declared volumes at
    absolute, distinct paths; every volume mounted somewhere;
  - Service: selector matching a Deployment's pods, targetPort a container
    port (by name or number);
  - every mount is used: some path the container reads (its command, or
    the values of the nines config file it is given with -c, from a
    ConfigMap of the same file; for nines-facade also h2o's /tmp) lies
    under it, so a Secret is mounted only
    where it is used, and no private key is under any mount of a container
    that is not nines';
  - nines containers: runAsNonRoot, a non-zero runAsUser equal to the
    Dockerfile's USER, readOnlyRootFilesystem, allowPrivilegeEscalation
    false, capabilities drop ALL, a seccomp profile (theirs or the pod's);
    the facade: a liveness probe on its own metrics listener (not through
    the app), a readiness probe, a writable /tmp under a read-only root, `workers` set explicitly, HTTP/2 off and a
    memory limit of at least the measured worst case for the config's
    max_connections and body_limit (IDLE_MIB + max_connections x
    (BODIES x body_limit + CONN_MIB));
  - with a build directory: nines-facade --check-config accepts that
    config (with the kit's test keys in place of the mounted ones).

usage: test_k8s.py SOURCE_ROOT [BUILD_ROOT [MANIFEST...]]
exit 0, or 1 with one line per problem; 77 without python3-yaml.
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("skipped: no python3-yaml (deploy/packages.txt)")
    sys.exit(77)

# Measured worst case of nines-facade over HTTP/1.1 (tests/bench/
# facade_memory; the sidecar manifest's comment has the runs): idle 16 MiB,
# at most 4.12 MiB a connection at 1 MiB bodies answered with 1 MiB, so
# 4 x body_limit + CONN_MIB a connection.
IDLE_MIB = 16
BODIES = 4
CONN_MIB = 0.25
DNS_LABEL = re.compile(r'^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')
DNS_SUBDOMAIN = re.compile(r'^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$')
QUANTITY = re.compile(r'^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$')
SUFFIX = {None: 1, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
          "Ki": 2 ** 10, "Mi": 2 ** 20, "Gi": 2 ** 30, "Ti": 2 ** 40, "Pi": 2 ** 50, "Ei": 2 ** 60}
HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")
NINES_PROGRAMS = ("nines-facade", "ninesd", "nines-ledger", "ninesctl")
# Where h2o (2.2) writes a buffer above 32 MiB: the facade uses /tmp.
H2O_TMP = "/tmp/h2o.b.XXXXXX"


def quantity(v):
    """Bytes (or cores) of a Kubernetes quantity, or None."""
    m = QUANTITY.match(str(v))
    return float(m.group(1)) * SUFFIX[m.group(2)] if m else None


def zpl(text):
    """{section/key: value} of a ZPL text (two levels, as the daemons' configs)."""
    out, section = {}, None
    for line in text.splitlines():
        body = re.sub(r'\s+#.*$|^\s*#.*$', '', line).rstrip()
        if not body.strip():
            continue
        if not line.startswith(" "):
            section = body.strip()
            continue
        k, _, v = body.strip().partition("=")
        out[f"{section}/{k.strip()}"] = v.strip().strip('"')
    return out


def dockerfile_uids(root):
    path = os.path.join(root, "deploy", "docker", "Dockerfile")
    if not os.path.exists(path):
        return set()
    return set(re.findall(r'^USER\s+(\d+)', open(path, encoding="utf-8").read(), re.M))


class Check:
    def __init__(self, root, build):
        self.root, self.build, self.problems = root, build, []

    def p(self, where, msg):
        self.problems.append(f"{where}: {msg}")

    def probe(self, where, c, probe):
        handlers = [h for h in HANDLERS if h in probe]
        if len(handlers) != 1:
            self.p(where, f"needs exactly one of {', '.join(HANDLERS)}, has {handlers or 'none'}")
            return None
        h = probe[handlers[0]]
        names = {pt.get("name"): pt.get("containerPort") for pt in c.get("ports", [])}
        if handlers[0] in ("httpGet", "tcpSocket", "grpc"):
            port = h.get("port")
            if isinstance(port, int):
                if not 1 <= port <= 65535:
                    self.p(where, f"port {port} out of range")
            elif port not in names:
                self.p(where, f"port {port!r} is no named port of the container ({sorted(n for n in names if n)})")
            else:
                port = names[port]
            if handlers[0] == "httpGet":
                if not str(h.get("path", "")).startswith("/"):
                    self.p(where, "httpGet.path must start with /")
                if h.get("scheme", "HTTP") not in ("HTTP", "HTTPS"):
                    self.p(where, f"scheme {h.get('scheme')}: HTTP or HTTPS")
            for k in ("initialDelaySeconds",):
                if k in probe and (not isinstance(probe[k], int) or probe[k] < 0):
                    self.p(where, f"{k} must be an integer >= 0")
            for k in ("periodSeconds", "timeoutSeconds", "failureThreshold", "successThreshold"):
                if k in probe and (not isinstance(probe[k], int) or probe[k] < 1):
                    self.p(where, f"{k} must be an integer >= 1")
            return port, h
        return None

    def resources(self, where, res):
        req, lim = res.get("requests", {}) or {}, res.get("limits", {}) or {}
        for kind, d in (("requests", req), ("limits", lim)):
            for k, v in d.items():
                if quantity(v) is None:
                    self.p(where, f"resources.{kind}.{k} = {v!r} is no quantity")
        for k in set(req) & set(lim):
            a, b = quantity(req[k]), quantity(lim[k])
            if a is not None and b is not None and a > b:
                self.p(where, f"requests.{k} {req[k]} above limits.{k} {lim[k]}")

    def pod(self, where, spec, configmaps, sa_secure):
        volumes = {}
        for v in spec.get("volumes", []):
            if not DNS_LABEL.match(str(v.get("name", ""))):
                self.p(where, f"volume name {v.get('name')!r} is not DNS-1123")
            volumes[v.get("name")] = v
            for src in ("secret", "configMap"):
                mode = (v.get(src) or {}).get("defaultMode")
                if mode is not None and not (isinstance(mode, int) and 0 <= mode <= 0o777):
                    self.p(where, f"volume {v.get('name')}: defaultMode {mode!r} is not 0..0777")
        used, names = set(), set()
        pod_sc = spec.get("securityContext", {}) or {}
        uids = dockerfile_uids(self.root)
        facade_seen = False
        for group in ("initContainers", "containers"):
            for c in spec.get(group, []) or []:
                name = c.get("name", "")
                w = f"{where} {group}/{name or '?'}"
                if not DNS_LABEL.match(str(name)) or len(name) > 63:
                    self.p(w, "name missing or not DNS-1123")
                if name in names:
                    self.p(w, "duplicate container name")
                names.add(name)
                if not c.get("image"):
                    self.p(w, "no image")
                self.resources(w, c.get("resources", {}) or {})
                if group == "initContainers":
                    for k in ("livenessProbe", "readinessProbe", "startupProbe"):
                        if k in c:
                            self.p(w, f"{k}: init containers take no probes")
                probes = {k: self.probe(f"{w} {k}", c, c[k])
                          for k in ("livenessProbe", "readinessProbe", "startupProbe") if k in c}
                mounts, paths = c.get("volumeMounts", []) or [], set()
                for m in mounts:
                    if m.get("name") not in volumes:
                        self.p(w, f"volumeMount {m.get('name')!r} names no declared volume")
                    mp = m.get("mountPath", "")
                    if not mp.startswith("/"):
                        self.p(w, f"mountPath {mp!r} is not absolute")
                    if mp in paths:
                        self.p(w, f"mountPath {mp} twice")
                    paths.add(mp)
                    used.add(m.get("name"))
                argv = [str(a) for a in (c.get("command", []) or []) + (c.get("args", []) or [])]
                reads = {a for a in argv if a.startswith("/")}
                config = None
                if argv and os.path.basename(argv[0]) in NINES_PROGRAMS and "-c" in argv:
                    cfg_path = argv[argv.index("-c") + 1]
                    config = self.config_of(w, cfg_path, mounts, volumes, configmaps)
                    if config is not None:
                        reads |= {v for v in config[1].values() if v.startswith("/")}
                if argv and os.path.basename(argv[0]) == "nines-facade":
                    reads.add(H2O_TMP)
                nines = bool(argv) and os.path.basename(argv[0]) in NINES_PROGRAMS or \
                    "nines" in str(c.get("image", ""))
                for m in mounts:
                    mp = m.get("mountPath", "").rstrip("/") + "/"
                    if not any(r.startswith(mp) for r in reads):
                        self.p(w, f"mounts {m.get('name')} at {m.get('mountPath')} but reads nothing there")
                    vol = volumes.get(m.get("name"), {})
                    if not nines and ("secret" in vol or "emptyDir" in vol and any(
                            r.endswith(".key") and r.startswith(mp) for r in reads)):
                        self.p(w, f"mounts {m.get('name')} (private keys) in a container that is not nines'")
                if nines:
                    self.nines_security(w, c, pod_sc, uids)
                if config is not None and argv and os.path.basename(argv[0]) == "nines-facade":
                    facade_seen = True
                    self.facade(w, c, probes, config)
        for v in volumes:
            if v not in used:
                self.p(where, f"volume {v} is mounted by no container")
        if not facade_seen:
            self.p(where, "no nines-facade container with a -c config from a ConfigMap")
        if not sa_secure:
            self.p(where, "automountServiceAccountToken not false: every container gets an API token")
        return spec

    def config_of(self, w, path, mounts, volumes, configmaps):
        """(text, {key: value}) of the nines config at path, from the ConfigMap mounted there."""
        for m in mounts:
            mp = m.get("mountPath", "").rstrip("/") + "/"
            if path.startswith(mp):
                cm = (volumes.get(m.get("name"), {}).get("configMap") or {}).get("name")
                data = configmaps.get(cm, {})
                key = path[len(mp):]
                if key in data:
                    return data[key], zpl(data[key])
                self.p(w, f"-c {path}: ConfigMap {cm!r} of this manifest has no key {key!r}")
                return None
        self.p(w, f"-c {path}: not in a mounted ConfigMap")
        return None

    def nines_security(self, w, c, pod_sc, uids):
        sc = c.get("securityContext", {}) or {}
        merged = dict(pod_sc, **sc)
        if merged.get("runAsNonRoot") is not True:
            self.p(w, "securityContext.runAsNonRoot is not true")
        uid = merged.get("runAsUser")
        if not isinstance(uid, int) or uid == 0:
            self.p(w, f"runAsUser {uid!r}: a non-zero uid is needed")
        elif uids and str(uid) not in uids:
            self.p(w, f"runAsUser {uid} is not the image's USER ({', '.join(sorted(uids))})")
        if sc.get("readOnlyRootFilesystem") is not True:
            self.p(w, "securityContext.readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            self.p(w, "securityContext.allowPrivilegeEscalation is not false")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            self.p(w, "securityContext.capabilities.drop lacks ALL")
        seccomp = (merged.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            self.p(w, f"seccompProfile {seccomp!r}: RuntimeDefault or Localhost")

    def facade(self, w, c, probes, config):
        text, cfg = config
        ports = {pt.get("containerPort") for pt in c.get("ports", [])}
        listen = int(cfg.get("facade/listen", ":8443").rsplit(":", 1)[1])
        metrics = cfg.get("facade/metrics", "")
        if listen not in ports:
            self.p(w, f"facade/listen port {listen} is no containerPort")
        live = probes.get("livenessProbe")
        if "livenessProbe" not in probes:
            self.p(w, "no livenessProbe")
        elif live:
            mport = int(metrics.rsplit(":", 1)[1]) if ":" in metrics else None
            if not metrics or metrics.startswith("127.") or metrics.startswith("[::1]"):
                self.p(w, f"facade/metrics = {metrics!r}: the kubelet cannot reach it for the liveness probe")
            if live[0] != mport:
                self.p(w, f"livenessProbe on port {live[0]}, not the facade's own metrics port "
                          f"{mport}: through the app, an app outage would restart the facade")
        if "readinessProbe" not in probes:
            self.p(w, "no readinessProbe")
        if (c.get("securityContext") or {}).get("readOnlyRootFilesystem") and not any(
                H2O_TMP.startswith(m.get("mountPath", "").rstrip("/") + "/") and not m.get("readOnly")
                for m in c.get("volumeMounts", []) or []):
            self.p(w, "read-only root and no writable /tmp: h2o cannot spill an answer above 32 MiB, "
                      "the download fails")
        workers = re.search(r'^\s+workers\s*=\s*(\d+)', text, re.M)
        if not workers or int(workers.group(1)) < 1:
            self.p(w, "facade/workers not set explicitly (0 = one loop per core of the node)")
        if cfg.get("facade/http2", "true") != "false":
            self.p(w, "facade/http2 is on: streams multiply the buffered bodies, the limit bounds nothing")
        conns = int(cfg.get("facade/max_connections", "1024"))
        body = int(cfg.get("facade/body_limit", "1048576"))
        need = IDLE_MIB * 2 ** 20 + conns * (BODIES * body + CONN_MIB * 2 ** 20)
        lim = quantity(((c.get("resources") or {}).get("limits") or {}).get("memory", ""))
        if lim is None:
            self.p(w, "no resources.limits.memory")
        elif lim < need:
            self.p(w, f"limits.memory {lim / 2 ** 20:.0f} MiB below the worst case {need / 2 ** 20:.0f} MiB "
                      f"({IDLE_MIB} MiB + {conns} x ({BODIES} x {body} B + {CONN_MIB} MiB))")
        self.check_config(w, text)

    def check_config(self, w, text):
        if not self.build:
            return
        facade = os.path.join(self.build, "src", "facade", "nines-facade")
        kit = os.path.join(self.build, "tests", "integration", "test_facade_kit")
        if not (os.access(facade, os.X_OK) and os.access(kit, os.X_OK)):
            print(f"note: no nines-facade or test_facade_kit in {self.build}: --check-config not run")
            return
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([kit, "setup", d], check=True, capture_output=True)
            cfg = os.path.join(d, "facade.zpl")
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(text)
            r = subprocess.run([facade, "--check-config", "-c", cfg,
                                "-s", f"facade/cert={d}/pod.crt", "-s", f"facade/key={d}/pod.key",
                                "-s", f"facade/facade_key={d}/facade.key",
                                "-s", f"facade/validators={d}/validators.txt"],
                               capture_output=True, text=True, timeout=30)
            if r.returncode != 0:
                self.p(w, f"nines-facade --check-config exits {r.returncode}: {(r.stderr or r.stdout).strip()}")

    def manifest(self, path):
        rel = os.path.relpath(path, self.root)
        try:
            docs = [d for d in yaml.safe_load_all(open(path, encoding="utf-8")) if d is not None]
        except yaml.YAMLError as e:
            self.p(rel, f"not YAML: {e}")
            return 0
        configmaps, pods, services = {}, [], []
        for i, d in enumerate(docs):
            w = f"{rel} [{i}] {d.get('kind', '?')}/{(d.get('metadata') or {}).get('name', '?')}"
            for k in ("apiVersion", "kind"):
                if not d.get(k):
                    self.p(w, f"no {k}")
            name = (d.get("metadata") or {}).get("name", "")
            if not DNS_SUBDOMAIN.match(str(name)) or len(str(name)) > 253:
                self.p(w, "metadata.name missing or not DNS-1123")
            kind, api = d.get("kind"), d.get("apiVersion")
            if kind == "ConfigMap":
                if api != "v1":
                    self.p(w, f"apiVersion {api}: v1")
                for k, v in (d.get("data") or {}).items():
                    if not isinstance(v, str):
                        self.p(w, f"data.{k} is not a string")
                configmaps[name] = d.get("data") or {}
            elif kind == "Service":
                if api != "v1":
                    self.p(w, f"apiVersion {api}: v1")
                services.append((w, d))
            elif kind == "Deployment":
                if api != "apps/v1":
                    self.p(w, f"apiVersion {api}: apps/v1")
                pods.append((w, d))
        for w, d in pods:
            spec = d.get("spec") or {}
            tpl = spec.get("template") or {}
            labels = (tpl.get("metadata") or {}).get("labels") or {}
            sel = (spec.get("selector") or {}).get("matchLabels") or {}
            if not sel or any(labels.get(k) != v for k, v in sel.items()):
                self.p(w, "spec.selector.matchLabels missing or not matching the template's labels")
            ps = tpl.get("spec") or {}
            if not ps.get("containers"):
                self.p(w, "no containers")
                continue
            self.pod(w, ps, configmaps, ps.get("automountServiceAccountToken") is False)
        for w, d in services:
            spec = d.get("spec") or {}
            sel = spec.get("selector") or {}
            match = [p for _, p in pods if sel and all(
                ((p["spec"]["template"].get("metadata") or {}).get("labels") or {}).get(k) == v
                for k, v in sel.items())]
            if not match:
                self.p(w, "selector matches no Deployment's pods")
            cports = {}
            for p in match:
                for c in p["spec"]["template"]["spec"].get("containers", []):
                    for pt in c.get("ports", []):
                        cports[pt.get("name")] = pt.get("containerPort")
            for pt in spec.get("ports") or []:
                if not isinstance(pt.get("port"), int) or not 1 <= pt["port"] <= 65535:
                    self.p(w, f"port {pt.get('port')!r} is not 1..65535")
                tp = pt.get("targetPort", pt.get("port"))
                if match and tp not in cports and tp not in cports.values():
                    self.p(w, f"targetPort {tp!r} is no container port of its pods")
        return len(docs)


def main(root, build=None, *manifests):
    manifests = manifests or sorted(glob.glob(os.path.join(root, "deploy", "k8s", "*.yaml")))
    chk = Check(root, build)
    n = sum(chk.manifest(m) for m in manifests)
    for p in chk.problems:
        print(p)
    print(f"{len(manifests)} manifests, {n} objects, {len(chk.problems)} problems")
    return 1 if chk.problems or not manifests else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
