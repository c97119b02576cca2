#!/usr/bin/env python3
"""Writes contracts/test/vectors/sha512.json and blake2b.json: random
messages of every length around the padding and block boundaries
(message 3 is 'abc') and a few longer ones, with digests from Python's
hashlib (OpenSSL / the BLAKE2 reference code), implementations
independent of contracts/src/Sha512.sol and Blake2b.sol.
Run: python3 contracts/tools/gen_hash_vectors.py (from anywhere)."""
import hashlib, json, os, random

def write(name, seed, lengths, fn):
    random.seed(seed)
    msgs = [bytes(random.getrandbits(8) for _ in range(n)) for n in lengths]
    msgs[3] = b"abc"
    out = {"_comment": name + " vectors, made by contracts/tools/gen_hash_vectors.py (hashlib)",
           "msgs": ["0x" + m.hex() for m in msgs],
           "digests": ["0x" + fn(m).hex() for m in msgs]}
    path = os.path.join(os.path.dirname(__file__), "..", "test", "vectors", name + ".json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")

# SHA-512: 0..259 covers one- and two-block padding (111/112, 239/240).
write("sha512", 16, list(range(0, 260)) + [300, 511, 512, 1000, 1024],
      lambda m: hashlib.sha512(m).digest())
# BLAKE2b: 0..299 covers the last-block rule at 128 and 256.
write("blake2b", 7, list(range(0, 300)) + [384, 385, 1000],
      lambda m: hashlib.blake2b(m, digest_size=32).digest())
