#!/usr/bin/env python3
"""Size check: no source file under src/ or sim/ is longer than 900 lines
(README "Layout": a file holds one concept; a longer one is split by
concept behind a private header, as sim/run*.c and src/wire/ are).

usage: test_sizes.py SOURCE_ROOT [MAX_LINES]   exit 0 clean, 1 with one
                                               line per file over the limit
"""
import os
import sys

LIMIT = 900


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    root = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) == 3 else LIMIT
    over, n = [], 0
    for top in ("src", "sim"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(d, name)
                with open(path, "rb") as fh:
                    lines = fh.read().count(b"\n")
                n += 1
                if lines > limit:
                    over.append((lines, os.path.relpath(path, root)))
    if n == 0:
        print(f"{root}: no sources found", file=sys.stderr)
        return 2
    for lines, path in sorted(over, reverse=True):
        print(f"{path}: {lines} lines, more than {limit}: split it by concept")
    print(f"sizes: {n} files, {len(over)} over {limit} lines", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
