#!/usr/bin/env python3
"""Known-key tables (issue 13): every section/key path a daemon's code names
as a whole string literal (the getters nines_config_*, the STR/EP helpers of
src/node/config.c, s_host_port...) must be in that daemon's table of known
keys, and every table entry must be read somewhere, so that a key read by
code is never rejected as unknown and an unknown key is never accepted.

usage: test_config_keys.py SOURCE_ROOT   exit 0, or 1 with one line per problem
"""
import glob
import os
import re
import sys

# daemon -> source files (globs under the root)
DAEMONS = {
    "ninesd": ["src/node/*.c"],
    "nines-facade": ["src/facade/*.c"],
    "nines-ledger": ["src/ledger/main.c"],
}
KEY = re.compile(r'"((?:node|prober|engine|facade|ledger)/[a-z0-9_]+)"')
TABLE = re.compile(r'(?:s_known_keys|nines_\w+_config_keys)\s*\[\]\s*=\s*\{(.*?)\};', re.S)


def strip_comments(text):
    return re.sub(r'/\*.*?\*/', '', text, flags=re.S)


def main(root):
    problems = []
    for daemon, globs in DAEMONS.items():
        files = sorted(f for g in globs for f in glob.glob(os.path.join(root, g)))
        table, used = set(), {}
        for f in files:
            text = strip_comments(open(f, encoding="utf-8").read())
            for m in TABLE.finditer(text):
                table |= set(KEY.findall(m.group(1)))
            outside = TABLE.sub("", text)
            for n, line in enumerate(outside.splitlines(), 1):
                for key in KEY.findall(line):
                    used.setdefault(key, os.path.relpath(f, root))
        if not table:
            problems.append(f"{daemon}: no known-key table found in {globs}")
            continue
        for key, where in sorted(used.items()):
            if key not in table:
                problems.append(f"{daemon}: {where} reads {key}, missing from the known-key table")
        for key in sorted(table - set(used)):
            problems.append(f"{daemon}: {key} is in the known-key table but no code reads it")
    for p in problems:
        print(p)
    print(f"{len(DAEMONS)} daemons checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
