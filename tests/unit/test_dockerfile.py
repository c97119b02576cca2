#!/usr/bin/env python3
"""Lint of deploy/docker/Dockerfile (issue 13 item 6); docker itself cannot
build here, so this reads the file as docker would and checks:

  - every FROM is a pinned Debian 12 image (debian:12 or debian:12-slim,
    optionally @sha256:...) or an earlier stage; two or more stages;
  - the targets `facade` and `ninesd` exist, and the USER in force in each
    (its own or inherited from its parent stages) is not root, is created
    by a useradd/groupadd in that chain when given by name, and is numeric
    so that Kubernetes' runAsNonRoot can verify it;
  - no ADD of a URL (nor any ADD: COPY says what it does);
  - the build stage runs meson setup and ninja, and installs only packages
    of deploy/packages.txt, among them every -dev package it lists;
  - the packages of a final target's chain are runtime libraries: no -dev,
    no compiler, each a Depends of a deploy/packages.txt package (read with
    dpkg-query, when present);
  - every COPY from the context exists and is not excluded by .dockerignore;
    every COPY --from names an earlier stage and, from the build stage's
    /staging/usr/local/bin, a program meson installs;
  - with a build directory and readelf/dpkg: each copied binary's NEEDED
    libraries belong to packages installed in that target's chain (or to
    libc6/libgcc-s1, which debian:12-slim has).

usage: test_dockerfile.py SOURCE_ROOT [BUILD_ROOT [DOCKERFILE]]
exit 0, or 1 with one line per problem.
"""
import fnmatch
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys

BASE = re.compile(r'^debian:12(-slim)?(@sha256:[0-9a-f]{64})?$')
TARGETS = ("facade", "ninesd")
STAGING_BIN = "/staging/usr/local/bin/"
BUILD_TOOLS = {"build-essential", "gcc", "cc", "clang", "make", "meson", "ninja-build", "pkg-config"}
BASE_IMAGE_PKGS = {"libc6", "libgcc-s1"}    # in debian:12-slim (essential)
# Sanitizer runtimes: a -Db_sanitize build links them; the image's release
# build does not.
SANITIZER_SONAMES = re.compile(r'^lib(asan|ubsan|lsan|tsan|hwasan)\.so')


def instructions(text):
    """[(line_no, INSTRUCTION, rest)] with continuations joined, comments
    and the parser directive dropped."""
    out, buf, start = [], "", 0
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not buf and (not s or s.startswith("#")):
            continue
        if buf and s.startswith("#"):
            continue                    # comment inside a continuation
        if not buf:
            start = n
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        word, _, rest = buf.partition(" ")
        out.append((start, word.upper(), rest.strip()))
        buf = ""
    return out


def apt_packages(run):
    """Packages named by `apt-get install` in a RUN line."""
    pkgs = []
    for cmd in re.split(r'&&|;|\|\|', run):
        words = shlex.split(cmd)
        if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
            rest = words[words.index("install") + 1:]
            pkgs += [w for w in rest if not w.startswith("-")]
    return pkgs


def package_list(root):
    with open(os.path.join(root, "deploy", "packages.txt"), encoding="utf-8") as f:
        return {l.strip() for l in f if l.strip() and not l.strip().startswith("#")}


def depends_of(pkgs):
    """Names in the Depends of the installed packages pkgs (dpkg-query), or
    None without dpkg-query."""
    if not shutil.which("dpkg-query"):
        return None
    names = set()
    for p in sorted(pkgs):
        r = subprocess.run(["dpkg-query", "-W", "-f=${Depends}", p], capture_output=True, text=True)
        for alt in r.stdout.split(","):
            for a in alt.split("|"):
                a = a.strip().split(" ")[0].split(":")[0]
                if a:
                    names.add(a)
    return names


def installed_programs(root):
    """Names of executables meson installs (executable('X', ... install : true))."""
    names = set()
    for f in glob.glob(os.path.join(root, "**", "meson.build"), recursive=True):
        if "node_modules" in f:
            continue
        text = open(f, encoding="utf-8").read()
        for m in re.finditer(r"executable\(\s*'([^']+)'", text):
            depth, i = 1, text.index("(", m.start()) + 1
            while i < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            if re.search(r"install\s*:\s*true", text[m.start():i]):
                names.add(m.group(1))
    return names


def ignored(path, patterns):
    """Whether .dockerignore's patterns exclude path (relative, '/'-separated)."""
    hit = False
    parts = path.split("/")
    for pat in patterns:
        neg = pat.startswith("!")
        p = pat[1:] if neg else pat
        p = p.strip("/")
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if fnmatch.fnmatch(prefix, p) or (p.startswith("**/") and fnmatch.fnmatch(parts[i - 1], p[3:])):
                hit = not neg
                break
    return hit


def needed(binary):
    """{soname: path} of a binary's direct NEEDED libraries, resolved by ldd."""
    r = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True)
    names = re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', r.stdout)
    r = subprocess.run(["ldd", binary], capture_output=True, text=True)
    paths = dict(re.findall(r'^\s*(\S+) => (/\S+)', r.stdout, re.M))
    for p in re.findall(r'^\s*(/\S+) \(', r.stdout, re.M):   # the loader: no "=>"
        paths.setdefault(os.path.basename(p), p)
    return {n: paths.get(n) for n in names}


def package_of(path):
    """The Debian package that ships path (with or without the /usr of a
    merged-/usr system), or None."""
    if not path:
        return None
    real = os.path.realpath(path)
    for p in {path, real}:
        for q in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
            r = subprocess.run(["dpkg", "-S", q], capture_output=True, text=True)
            if r.returncode == 0 and r.stdout:
                return r.stdout.split(":")[0]
    return None


def find_binary(build, name):
    for d in ("src", "sim"):
        for f in glob.glob(os.path.join(build, d, "**", name), recursive=True):
            if os.path.isfile(f) and os.access(f, os.X_OK):
                return f
    return None


def main(root, build=None, dockerfile=None):
    dockerfile = dockerfile or os.path.join(root, "deploy", "docker", "Dockerfile")
    problems = []
    text = open(dockerfile, encoding="utf-8").read()
    stages = []                                  # dicts, in order
    by_name = {}
    for n, ins, rest in instructions(text):
        if ins == "FROM":
            m = re.match(r'^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$', rest, re.I)
            if not m:
                problems.append(f"line {n}: cannot read FROM {rest}")
                continue
            image, name = m.group(1), (m.group(2) or "").lower()
            parent = by_name.get(image.lower())
            if parent is None and not BASE.match(image):
                problems.append(f"line {n}: FROM {image}: not a pinned Debian 12 image (debian:12[-slim]) nor an earlier stage")
            st = {"name": name, "image": image, "parent": parent, "user": None, "users": set(),
                  "pkgs": [], "runs": [], "copies": [], "line": n}
            stages.append(st)
            if name:
                by_name[name] = st
            continue
        if not stages:
            if ins != "ARG":
                problems.append(f"line {n}: {ins} before the first FROM")
            continue
        st = stages[-1]
        if ins == "USER":
            st["user"] = (n, rest.split(":")[0])
        elif ins == "RUN":
            st["runs"].append(rest)
            st["pkgs"] += apt_packages(rest)
            for m in re.finditer(r'(?:useradd|groupadd|adduser)\b[^&;]*?--uid\s+(\d+)[^&;]*?\s(\w[\w-]*)\s*(?:$|&&|;)', rest):
                st["users"] |= {m.group(1), m.group(2)}
        elif ins == "ADD":
            if re.search(r'(https?|ftp)://|git@', rest):
                problems.append(f"line {n}: ADD of a URL ({rest}): fetch nothing at build time outside apt")
            else:
                problems.append(f"line {n}: ADD {rest}: use COPY")
        elif ins == "COPY":
            st["copies"].append((n, rest))

    if len(stages) < 2:
        problems.append(f"{len(stages)} stage(s): expected a multi-stage build (build + runtime)")

    def chain(st):
        out = []
        while st is not None:
            out.append(st)
            st = st["parent"]
        return out

    allowed = package_list(root)
    build_stage = by_name.get("build")
    if build_stage is None:
        problems.append("no stage named build")
    else:
        runs = " ".join(build_stage["runs"])
        if "meson setup" not in runs or not re.search(r'\bninja\b|meson compile', runs):
            problems.append("the build stage does not run meson setup and ninja")
        for p in build_stage["pkgs"]:
            if p not in allowed:
                problems.append(f"build stage installs {p}, which deploy/packages.txt does not list")
        # The libraries meson links (every -dev of deploy/packages.txt):
        # without one, meson setup fails inside the image.
        for p in sorted(allowed):
            if p.endswith("-dev") and p not in build_stage["pkgs"]:
                problems.append(f"build stage lacks {p} (deploy/packages.txt): meson setup would fail")

    runtime_ok = depends_of(allowed)
    if runtime_ok is None:
        print("note: no dpkg-query: runtime packages checked by name only")
    programs = installed_programs(root)
    ignore = []
    di = os.path.join(root, ".dockerignore")
    if os.path.exists(di):
        ignore = [l.strip() for l in open(di, encoding="utf-8") if l.strip() and not l.startswith("#")]
        for must in (".git", "build/x", "contracts/node_modules"):
            if not ignored(must, ignore):
                problems.append(f".dockerignore does not exclude {must.split('/x')[0]}")
    else:
        problems.append("no .dockerignore beside the build context: .git and build directories would be sent")

    for st in stages:
        for n, rest in st["copies"]:
            words = shlex.split(rest)
            if words and words[0].startswith("["):
                words = [w.strip('[],"') for w in rest.strip("[]").split(",")]
            opts = [w for w in words if w.startswith("--")]
            args = [w for w in words if not w.startswith("--")]
            src, frm = args[:-1], None
            for o in opts:
                if o.startswith("--from="):
                    frm = o.split("=", 1)[1].lower()
            if not src:
                problems.append(f"line {n}: COPY without a source")
            if frm is not None:
                idx = stages.index(st)
                if frm not in by_name or stages.index(by_name[frm]) >= idx:
                    problems.append(f"line {n}: COPY --from={frm}: no earlier stage of that name")
                for s in src:
                    if s.startswith(STAGING_BIN) and os.path.basename(s) not in programs:
                        problems.append(f"line {n}: COPY --from={frm} {s}: meson installs no program of that name")
                    st.setdefault("bins", []).append(os.path.basename(s))
                continue
            for s in src:
                rel = os.path.normpath(s).lstrip("/")
                if rel in (".", ""):
                    continue
                if not glob.glob(os.path.join(root, rel)):
                    problems.append(f"line {n}: COPY {s}: no such file in the build context")
                elif ignored(rel, ignore):
                    problems.append(f"line {n}: COPY {s}: excluded by .dockerignore")

    for t in TARGETS:
        st = by_name.get(t)
        if st is None:
            problems.append(f"no target {t}")
            continue
        ch = chain(st)
        if build_stage in ch:
            problems.append(f"target {t} is built on the build stage (compilers in the image)")
        user = next((s["user"] for s in ch if s["user"]), None)
        created = set().union(*(s["users"] for s in ch))
        if user is None:
            problems.append(f"target {t}: no USER: runs as root")
        else:
            n, u = user
            if u in ("root", "0"):
                problems.append(f"line {n}: target {t} runs as root")
            elif not u.isdigit():
                problems.append(f"line {n}: target {t}: USER {u} is a name; runAsNonRoot needs a numeric uid")
            elif u not in created:
                problems.append(f"line {n}: target {t}: uid {u} is created by no useradd in its stages")
        pkgs = [p for s in ch for p in s["pkgs"]]
        for p in pkgs:
            if p.endswith("-dev") or p in BUILD_TOOLS:
                problems.append(f"target {t} installs {p}: a build package in a runtime image")
            elif runtime_ok is not None and p not in runtime_ok:
                problems.append(f"target {t} installs {p}: not a Depends of any deploy/packages.txt package")
            elif runtime_ok is None and not re.match(r'^lib.*\d', p):
                problems.append(f"target {t} installs {p}: not a runtime library name")
        bins = [b for s in ch for b in s.get("bins", [])]
        if not bins:
            problems.append(f"target {t}: copies no program from the build stage")
        if build and shutil.which("readelf") and shutil.which("dpkg"):
            have = set(pkgs) | BASE_IMAGE_PKGS
            for b in bins:
                path = find_binary(build, b)
                if path is None:
                    print(f"note: {b} not built in {build}: its libraries not checked")
                    continue
                for so, lib in needed(path).items():
                    if SANITIZER_SONAMES.match(so):
                        continue
                    pkg = package_of(lib)
                    if pkg is None:
                        problems.append(f"target {t}: {b} needs {so}, which no Debian package ships")
                    elif pkg not in have:
                        problems.append(f"target {t}: {b} needs {so} ({pkg}), not installed in the image")

    for p in problems:
        print(p)
    print(f"{os.path.relpath(dockerfile, root)}: {len(stages)} stages, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:4]))
