#!/usr/bin/env python3
"""Layer check: the #include lines of src/ and sim/ and the dependencies of
their meson.build files must respect the layer order (README "Layout")

    base -> crypto -> wire -> proto -> {core, store, client, obs, evm} -> ledger
         -> programs (node, facade, cli, ledger/main.c, sim)

A file may include a header of its own folder or of a layer strictly below
its own; layers of the same rank (core, store, client, obs, evm; the programs) do not
include one another.  Among the files of one folder, includes (a .c and its
.h counted as one unit) must not form a cycle (a folder's *_private.h or
*_state.h, the layout its parts share, adds no edge of its own).  Calls
are checked by test_calls.py.  A meson.build may only name
nines_X_dep of a layer below its own (or its own library's).

usage: test_layers.py SOURCE_ROOT      exit 0 clean, 1 with one line per
                                       violation ("file:line: ...")
"""
import os
import re
import sys

# folder (or file) -> rank; same rank = peers that must not include each other
RANK = {
    "src/base": 0,
    "src/crypto": 1,
    "src/wire": 2,
    "src/proto": 3,
    "src/core": 4, "src/store": 4, "src/client": 4, "src/obs": 4, "src/evm": 4,
    "src/ledger": 5,
    "src/ledger/main.c": 6,
    "src/node": 6, "src/facade": 6, "src/cli": 6, "sim": 6,
}
# meson dependency objects -> the folder whose library they are
DEPS = {
    "base": "src/base", "crypto": "src/crypto", "wire": "src/wire",
    "proto": "src/proto", "core": "src/core", "store": "src/store",
    "client": "src/client", "obs": "src/obs", "evm": "src/evm", "ledger": "src/ledger", "node": "src/node",
    "facade": "src/facade", "cli": "src/cli", "sim": "sim", "des": "sim",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def layer_of(path):
    """(layer key, rank) of a repository-relative path, or None."""
    if path in RANK:
        return path, RANK[path]
    folder = os.path.dirname(path)
    if folder in RANK:
        return folder, RANK[folder]
    return None


def resolve(root, src, name):
    """Repository-relative path of a quoted include, or None (system or
    generated header).  Same lookup as the compiler: the includer's own
    folder first, then src/ (the project's include directory)."""
    for base in (os.path.dirname(src), "src"):
        cand = os.path.normpath(os.path.join(base, name))
        if os.path.isfile(os.path.join(root, cand)):
            return cand
    return None


def unit(path):
    return os.path.splitext(path)[0]


def find_cycle(edges):
    """One cycle of the directed graph edges {node: set(node)}, or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    color = {n: WHITE for n in edges}
    stack = []

    def visit(n):
        color[n] = GREY
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if color.get(m, WHITE) == GREY:
                return stack[stack.index(m):] + [m]
            if color.get(m, WHITE) == WHITE:
                c = visit(m)
                if c:
                    return c
        stack.pop()
        color[n] = BLACK
        return None

    for n in sorted(edges):
        if color[n] == WHITE:
            c = visit(n)
            if c:
                return c
    return None


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    root = sys.argv[1]
    problems = []
    files = []
    for top in ("src", "sim"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(d, n), root))
    files.sort()
    if not files:
        print(f"{root}: no sources found", file=sys.stderr)
        return 2
    edges = {}
    for f in files:
        mine = layer_of(f)
        if mine is None:
            problems.append(f"{f}: folder has no layer (add it to RANK in tests/unit/test_layers.py)")
            continue
        edges.setdefault(unit(f), set())
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            for lineno, line in enumerate(fh, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = resolve(root, f, m.group(1))
                if target is None:
                    continue
                theirs = layer_of(target)
                if theirs is None:
                    continue
                if os.path.dirname(target) == os.path.dirname(f):
                    # A folder's *_private.h or *_state.h (the object's layout shared by
                    # the files of one part, as Redis's server.h) is part of
                    # every file that includes it: its own includes make no
                    # edge, or each part would form a circle through it.
                    if unit(target) != unit(f) and not f.endswith(("_private.h", "_state.h")):
                        edges[unit(f)].add(unit(target))
                    continue
                if theirs[1] >= mine[1]:
                    what = "a higher layer" if theirs[1] > mine[1] else "a layer of the same rank"
                    problems.append(f"{f}:{lineno}: includes {target} from {what} "
                                    f"({mine[0]} is rank {mine[1]}, {theirs[0]} rank {theirs[1]})")
    for n in edges:
        edges[n] &= set(edges)
    cycle = find_cycle(edges)
    if cycle:
        problems.append("include cycle: " + " -> ".join(cycle))

    dep = re.compile(r"\bnines_(\w+?)_dep\b")
    for d, _, names in os.walk(root):
        rel = os.path.relpath(d, root)
        if "meson.build" not in names or rel not in RANK:
            continue
        mine = RANK[rel]
        path = os.path.join(rel, "meson.build")
        with open(os.path.join(root, path), encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                code = line.split("#", 1)[0]
                for m in dep.finditer(code):
                    folder = DEPS.get(m.group(1))
                    if folder is None or folder == rel:
                        continue
                    if RANK[folder] >= mine:
                        problems.append(f"{path}:{lineno}: links nines_{m.group(1)}_dep of "
                                        f"{folder} (rank {RANK[folder]}), not below {rel} (rank {mine})")
    for p in problems:
        print(p)
    print(f"layers: {len(files)} files, {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
