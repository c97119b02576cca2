#!/usr/bin/env python3
"""Call check: the files of src/ and sim/ call one another one way only.

test_layers.py reads #include lines; a part that includes only its
folder's shared-state header can still call a function of the file that
calls it (ninesd's peer.c called node.c's loop, which called peer.c).
This check reads the compiled objects instead: every symbol an object
uses but does not define (nm "U") is an arrow to the one source file
whose object defines it, and the arrows must form no cycle.

usage: test_calls.py BUILD_DIR      exit 0 clean, 1 with the cycle found
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_layers import find_cycle  # noqa: E402  (one cycle search for both checks)

# Folders not held to the rule (none: src/facade's shared state moved to
# src/facade/state.c, which calls nothing).
EXEMPT = ()

OBJ = re.compile(r"^(?P<dir>.*)/[^/]+\.p/(?P<src>[^/]+\.c)\.o$")


def sources(build):
    """{source path relative to the source root: object path}, one object
    per source (a file built into two targets defines the same names)."""
    out = {}
    for d, _, names in os.walk(build):
        for n in names:
            if not n.endswith(".c.o"):
                continue
            rel = os.path.relpath(os.path.join(d, n), build)
            m = OBJ.match(rel)
            if not m or not rel.startswith(("src/", "sim/")) or rel.startswith(EXEMPT):
                continue
            out.setdefault(os.path.join(m.group("dir"), m.group("src")), os.path.join(d, n))
    return out


def symbols(obj):
    """(defined, undefined) global symbol names of one object."""
    text = subprocess.run(["nm", "-g", obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRVWC":
            defined.add(parts[2])
    return defined, undefined


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    srcs = sources(sys.argv[1])
    if not srcs:
        print(f"{sys.argv[1]}: no objects of src/ or sim/ found", file=sys.stderr)
        return 2
    syms = {s: symbols(o) for s, o in srcs.items()}
    definer = {}
    for s, (defined, _) in syms.items():
        for name in defined:
            definer.setdefault(name, set()).add(s)
    edges = {s: {} for s in syms}
    for s, (_, undefined) in syms.items():
        for name in undefined:
            d = definer.get(name, ())
            if len(d) == 1:
                (t,) = d
                if t != s:
                    edges[s].setdefault(t, []).append(name)
    cycle = find_cycle(edges)
    if cycle:
        print("call cycle: " + " -> ".join(
            f"{a} ({', '.join(sorted(edges[a][b])[:3])})" for a, b in zip(cycle, cycle[1:])) + f" -> {cycle[-1]}")
        return 1
    n = sum(len(v) for v in edges.values())
    print(f"calls: {len(srcs)} files, {n} arrows, no cycle", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
