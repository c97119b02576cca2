#!/usr/bin/env python3
"""Writes contracts/test/vectors/ed25519_edge.json: Ed25519 cases at the
edges of libsodium's rules that Wycheproof's file does not reach, each
with its expected result taken from the system libsodium
(crypto_sign_verify_detached through ctypes; Debian 12: 1.0.18):

  - small-order A with a signature that passes the cofactorless equation
    (k = 0 mod the order of A): refused only by the small-order check;
  - small-order R (the identity) with S = k a, which passes the equation:
    refused only by the small-order check on R;
  - R and A as non-canonical encodings (y + p) of small-order points;
  - A of mixed order (A + T, T of order 8), equation satisfied when
    8 | k: libsodium 1.0.18 accepts it;
  - the same with 8 not dividing k: refused;
  - 48 ordinary signatures by libsodium (random keys, messages of 0..300
    bytes), each also with one random bit of R, S, A or the message flipped.

Curve arithmetic is RFC 8032 section 6's reference code.
Run: python3 contracts/tools/gen_ed25519_edge.py (needs libsodium23)."""
import ctypes, hashlib, json, os

p = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
d = -121665 * pow(121666, p - 2, p) % p
I = pow(2, (p - 1) // 4, p)

def add(P, Q):
    A, B = (P[1] - P[0]) * (Q[1] - Q[0]) % p, (P[1] + P[0]) * (Q[1] + Q[0]) % p
    C, D = 2 * P[3] * Q[3] * d % p, 2 * P[2] * Q[2] % p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F % p, G * H % p, F * G % p, E * H % p)

def mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1: Q = add(Q, P)
        P = add(P, P); s >>= 1
    return Q

def recover_x(y, sign):
    if y >= p: return None
    x2 = (y * y - 1) * pow(d * y * y + 1, p - 2, p)
    if x2 == 0: return None if sign else 0
    x = pow(x2, (p + 3) // 8, p)
    if (x * x - x2) % p: x = x * I % p
    if (x * x - x2) % p: return None
    if (x & 1) != sign: x = p - x
    return x

def point(y, sign):
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % p)

def enc(P):
    zi = pow(P[2], p - 2, p); x, y = P[0] * zi % p, P[1] * zi % p
    return (y | ((x & 1) << 255)).to_bytes(32, "little")

def raw(y, sign):  # an encoding with y as given (possibly >= p)
    return (y | (sign << 255)).to_bytes(32, "little")

def hk(*parts):
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little") % L

By = 4 * pow(5, p - 2, p) % p
B = point(By, 0)
a = int.from_bytes(hashlib.sha256(b"nines edge key").digest(), "little") % L
A = mul(a, B)
Aenc = enc(A)
# the 8 small-order points: T8 of order 8 and its multiples
y8 = int.from_bytes(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little")
T8 = point(y8, 0)
small = [mul(i, T8) for i in range(8)]

so = ctypes.CDLL("libsodium.so.23")
assert so.sodium_init() >= 0
so.sodium_version_string.restype = ctypes.c_char_p
ver = so.sodium_version_string().decode()

cases = []
def case(comment, pk, sig, msg):
    ok = so.crypto_sign_verify_detached(sig, msg, ctypes.c_ulonglong(len(msg)), pk) == 0
    cases.append({"comment": comment, "pk": "0x" + pk.hex(), "sig": "0x" + sig.hex(),
                  "msg": "0x" + msg.hex(), "result": "valid" if ok else "invalid"})

r = 12345
R = mul(r, B)
# small-order A: [S]B - [k]A = R when [k]A = 0, i.e. order(A) | k
for i, T in enumerate(small):
    Tenc = enc(T)
    order = next(o for o in (1, 2, 4, 8) if mul(o, T)[0] % p == 0 and (mul(o, T)[1] - mul(o, T)[2]) % p == 0)
    for n in range(1000):
        m = b"small-order A %d %d" % (i, n)
        if hk(enc(R), Tenc, m) % order == 0:
            case("small-order A (%d T8, order %d), equation holds" % (i, order), Tenc, enc(R) + r.to_bytes(32, "little"), m)
            break
# non-canonical encodings of small-order A: y = p (0) and p + 1 (1), both signs
for y, s in ((p, 0), (p, 1), (p + 1, 0), (p + 1, 1)):
    pk = raw(y, s)
    m = b"non-canonical small-order A"
    case("A encoded with y = %s, sign %d" % ("p" if y == p else "p+1", s), pk,
         enc(R) + r.to_bytes(32, "little"), m)
# small-order R: R = identity, S = k a gives [S]B - [k]A = 0 = R
for Renc, what in ((enc((0, 1, 1, 0)), "identity"), (raw(p + 1, 0), "identity as y = p+1"),
                   (raw(1, 1), "identity with sign bit set")):
    m = b"small-order R " + what.encode()
    k = hk(Renc, Aenc, m)
    case("R = " + what + ", S = k a (equation holds)", Aenc, Renc + (k * a % L).to_bytes(32, "little"), m)
for i, T in enumerate(small[1:], 1):
    m = b"R of small order %d" % i
    Renc = enc(T)
    k = hk(Renc, Aenc, m)
    case("R = %d T8 (small order), S = k a" % i, Aenc, Renc + (k * a % L).to_bytes(32, "little"), m)
# mixed-order A = A + T8: equation holds iff 8 | k
Amix = add(A, T8)
Amenc = enc(Amix)
got = {True: 0, False: 0}
for n in range(200):
    m = b"mixed-order A %d" % n
    k = hk(enc(R), Amenc, m)
    div = k % 8 == 0
    if got[div] >= 2: continue
    got[div] += 1
    S = (r + k * a) % L
    case("mixed-order A (A + T8), 8 %s k" % ("divides" if div else "does not divide"), Amenc,
         enc(R) + S.to_bytes(32, "little"), m)
    if got[True] >= 2 and got[False] >= 2: break
# control: the same key, a normal signature
m = b"control"
k = hk(enc(R), Aenc, m)
case("control: ordinary signature", Aenc, enc(R) + ((r + k * a) % L).to_bytes(32, "little"), m)

# ordinary signatures made by libsodium, and one-bit corruptions of each
import random
rng = random.Random(8032)
for n in range(48):
    seed = bytes(rng.getrandbits(8) for _ in range(32))
    pk, skb = ctypes.create_string_buffer(32), ctypes.create_string_buffer(64)
    so.crypto_sign_seed_keypair(pk, skb, seed)
    m = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 301)))
    sig = ctypes.create_string_buffer(64)
    so.crypto_sign_detached(sig, None, m, ctypes.c_ulonglong(len(m)), skb)
    pk, sig = pk.raw, sig.raw
    case("libsodium signature %d (%d-byte message)" % (n, len(m)), pk, sig, m)
    what = ("R", "S", "A", "message")[n % 4]
    if what == "message" and not m: what = "S"
    flip = lambda b, i: b[:i // 8] + bytes([b[i // 8] ^ (1 << (i % 8))]) + b[i // 8 + 1:]
    if what == "R": case("signature %d, a bit of R flipped" % n, pk, flip(sig, rng.randrange(256)), m)
    if what == "S": case("signature %d, a bit of S flipped" % n, pk, flip(sig, 256 + rng.randrange(256)), m)
    if what == "A": case("signature %d, a bit of A flipped" % n, flip(pk, rng.randrange(256)), sig, m)
    if what == "message": case("signature %d, a bit of the message flipped" % n, pk, sig, flip(m, rng.randrange(8 * len(m))))

out = {"_comment": "Ed25519 edge cases, results from libsodium " + ver +
       " crypto_sign_verify_detached; made by contracts/tools/gen_ed25519_edge.py",
       "cases": cases}
path = os.path.join(os.path.dirname(__file__), "..", "test", "vectors", "ed25519_edge.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
    f.write("\n")
print(len(cases), "cases,", sum(c["result"] == "valid" for c in cases), "valid")
