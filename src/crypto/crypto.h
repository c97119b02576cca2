/*  nines crypto: Ed25519 identities, domain-separated signatures, CurveZMQ
    key derivation, BLAKE2b hashing, hex and base64url, isqrt.
    Everything goes through libsodium; nothing here is hand-rolled crypto.

    Identities (DESIGN.md section 4): an id is the 32-byte Ed25519 public
    key, shown as 64 lowercase hex characters.  Every signature covers
    `domain || message`, where domain is an ASCII string such as
    "nines/vote/v1" (no terminator), so a signature made for one structure
    never verifies as another. */
#ifndef NINES_CRYPTO_H
#define NINES_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/bytes.h"
#include "base/error.h"

#define NINES_ID_BYTES      32   /* Ed25519 public key = identity */
#define NINES_SECRET_BYTES  64   /* libsodium Ed25519 secret key (seed || pk) */
#define NINES_SEED_BYTES    32   /* Ed25519 seed */
#define NINES_SIG_BYTES     64   /* Ed25519 detached signature */
#define NINES_HASH_BYTES    32   /* BLAKE2b-256 digest */
#define NINES_CURVE_BYTES   32   /* Curve25519 public or secret key */
#define NINES_ID_HEX        65   /* 64 hex chars + NUL */
#define NINES_DOMAIN_MAX    64   /* longest domain string */

/*  Domain strings for every signed structure (proto/PROTOCOL.md). */
#define NINES_DOMAIN_HB_REQ    "nines/hb-req/v1"
#define NINES_DOMAIN_HB_RESP   "nines/hb-resp/v1"
#define NINES_DOMAIN_VOTE      "nines/vote/v1"
#define NINES_DOMAIN_EPOCH     "nines/epoch/v1"
#define NINES_DOMAIN_REGISTRY  "nines/registry/v1"
#define NINES_DOMAIN_CANARY    "nines/canary/v1"
#define NINES_DOMAIN_EVIDENCE  "nines/evidence/v1"

typedef struct {
    uint8_t pk [NINES_ID_BYTES];      /* public key: the identity */
    uint8_t sk [NINES_SECRET_BYTES];  /* secret key (seed || pk) */
} nines_keypair_t;

/*  Initialise libsodium; safe to call many times.  0 or NINES_EIO. */
int nines_crypto_init (void);

/*  Fresh key pair from the OS CSPRNG.  0 or NINES_EIO. */
int nines_keypair_generate (nines_keypair_t *kp);

/*  Deterministic key pair from a 32-byte seed (test vectors, simulator). */
int nines_keypair_from_seed (nines_keypair_t *kp, const uint8_t seed [NINES_SEED_BYTES]);

/*  Zero the secret key. */
void nines_keypair_wipe (nines_keypair_t *kp);

/*  Write kp to path as text ("nines-ed25519-v1\n<64 hex seed>\n"), created
    with mode 0600.  Refuses to overwrite an existing file (NINES_EEXIST).
    Returns 0, NINES_EEXIST or NINES_EIO. */
int nines_keyfile_save (const char *path, const nines_keypair_t *kp);

/*  Load a key file written by nines_keyfile_save.  A file readable or
    writable by group or others is refused with NINES_EPERM (as ssh refuses
    unprotected private keys); a missing file is NINES_ENOTFOUND; bad
    content NINES_EMALFORMED.  On failure kp is zeroed. */
int nines_keyfile_load (const char *path, nines_keypair_t *kp) NINES_WARN_UNUSED;

#define NINES_SECRETFILE_MAX 64     /* bytes of secret a secret file holds */

/*  A secret key file, the one format of every key nines keeps (the
    Ed25519 key file above, src/evm's chain key file): the header line
    magic ("nines-ed25519-v1"), then the len secret bytes as 2*len
    lowercase hex digits and a newline; created with mode 0600 and
    O_EXCL.  len <= NINES_SECRETFILE_MAX.  0, NINES_EEXIST, NINES_EINVAL
    (len or magic too long) or NINES_EIO. */
int nines_secretfile_save (const char *path, const char *magic, const uint8_t *secret, size_t len);

/*  Read a file written by nines_secretfile_save with the same magic and
    len into secret.  A file readable or writable by group or others is
    refused with NINES_EPERM (logged with the chmod to run); NINES_ENOTFOUND
    when missing; NINES_EMALFORMED for another header, other than 2*len hex
    digits, or bytes after the final newline (not logged: the caller names
    the kind of file); NINES_EIO.  On failure secret is zeroed. */
int nines_secretfile_load (const char *path, const char *magic, uint8_t *secret,
                           size_t len) NINES_WARN_UNUSED;

/*  Detached Ed25519 signature over domain || msg.  0 or NINES_EINVAL (domain
    longer than NINES_DOMAIN_MAX) or NINES_ENOMEM. */
int nines_sign (const nines_keypair_t *kp, const char *domain,
                const uint8_t *msg, size_t len, uint8_t sig [NINES_SIG_BYTES]);

/*  Verify sig by pk over domain || msg.  0 if valid, else NINES_EBADSIG. */
int nines_verify (const uint8_t pk [NINES_ID_BYTES], const char *domain,
                  const uint8_t *msg, size_t len,
                  const uint8_t sig [NINES_SIG_BYTES]) NINES_WARN_UNUSED;

/*  Curve25519 key pair for CurveZMQ derived from the Ed25519 key
    (crypto_sign_ed25519_{pk,sk}_to_curve25519), so one key file serves both.
    0 or NINES_EINVAL. */
int nines_keypair_curve (const nines_keypair_t *kp,
                         uint8_t curve_pk [NINES_CURVE_BYTES],
                         uint8_t curve_sk [NINES_CURVE_BYTES]);

/*  Curve25519 public key of a peer's Ed25519 id.  0 or NINES_EINVAL (a
    point that is not a valid Ed25519 key). */
int nines_id_to_curve (const uint8_t id [NINES_ID_BYTES], uint8_t curve_pk [NINES_CURVE_BYTES]);

/*  A CZMQ certificate holding the derived Curve25519 pair; caller destroys.
    NULL on failure. */
struct _zcert_t *nines_keypair_zcert (const nines_keypair_t *kp);

/*  BLAKE2b-256 over the concatenation of n (pointer, length) parts:
    nines_hash (out, 2, a, alen, b, blen).  Domain strings are passed as a
    part.  Used for epoch seeds, sortition and round ids (DESIGN.md 5-7). */
void nines_hash (uint8_t out [NINES_HASH_BYTES], int nparts, ...);

/*  The first 8 bytes of a BLAKE2b-256 digest, little-endian: the sortition
    and committee ranking value H(...) of DESIGN.md section 6. */
uint64_t nines_hash_u64 (const uint8_t digest [NINES_HASH_BYTES]);

/*  Lowercase hex; out must hold 2*len+1 bytes.  Returns out. */
char *nines_hex (char *out, const uint8_t *bin, size_t len);

/*  Parse exactly 2*len hex digits into bin.  0 or NINES_EINVAL. */
int nines_unhex (uint8_t *bin, size_t len, const char *hex);

/*  Base64url without padding (RFC 4648 section 5).  out must hold
    nines_b64url_len(len) bytes including the NUL.  Returns out. */
size_t nines_b64url_len (size_t bin_len);
char *nines_b64url (char *out, size_t out_size, const uint8_t *bin, size_t len);

/*  Decode base64url (no padding, no whitespace) into bin (capacity max).
    Sets *len.  0, NINES_EMALFORMED or NINES_ETOOBIG. */
int nines_unb64url (uint8_t *bin, size_t max, size_t *len, const char *text, size_t text_len);

/*  floor(sqrt(v)) exactly, for quadratic stake weights (DESIGN.md 7.4). */
uint64_t nines_isqrt (uint64_t v);

/*  Constant-time comparison of two ids; true if equal. */
bool nines_id_eq (const uint8_t a [NINES_ID_BYTES], const uint8_t b [NINES_ID_BYTES]);

/*  Fill buf with CSPRNG bytes. */
void nines_random (void *buf, size_t len);

/*  A seedable deterministic stream generator (ChaCha20 keyed by seed via
    randombytes_buf_deterministic, re-keyed per call by a counter) for the
    engine's injected randomness. */
typedef struct {
    uint8_t seed [32];          /* key */
    uint64_t counter;           /* blocks drawn so far */
    uint8_t pool [64];          /* unread output */
    size_t pool_left;           /* bytes of pool not yet used */
} nines_rng_t;

void nines_rng_init (nines_rng_t *rng, const uint8_t seed [32]);
uint64_t nines_rng_u64 (nines_rng_t *rng);
/*  Uniform in [0, bound) without modulo bias; bound 0 yields 0. */
uint64_t nines_rng_uniform (nines_rng_t *rng, uint64_t bound);

#endif
