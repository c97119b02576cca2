#!/usr/bin/env python3
"""Writes contracts/test/vectors/sha512.json: random messages of every length
0..259 (all padding boundaries of one and two blocks; message 3 is 'abc') and
a few longer ones, with their SHA-512 from Python's hashlib (OpenSSL), an
implementation independent of contracts/src/Sha512.sol.
Run: python3 contracts/tools/gen_sha512_vectors.py (from anywhere)."""
import hashlib, json, os, random

random.seed(16)
msgs = [bytes(random.getrandbits(8) for _ in range(n))
        for n in list(range(0, 260)) + [300, 511, 512, 1000, 1024]]
msgs[3] = b"abc"
out = {"_comment": "SHA-512 vectors, made by contracts/tools/gen_sha512_vectors.py (hashlib)",
       "msgs": ["0x" + m.hex() for m in msgs],
       "digests": ["0x" + hashlib.sha512(m).hexdigest() for m in msgs]}
path = os.path.join(os.path.dirname(__file__), "..", "test", "vectors", "sha512.json")
with open(path, "w") as f:
    json.dump(out, f, indent=0)
    f.write("\n")
