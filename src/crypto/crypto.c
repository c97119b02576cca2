#include "crypto/crypto.h"
#include "base/log.h"
#include <czmq.h>
#include <sodium.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEYFILE_MAGIC "nines-ed25519-v1"

int
nines_crypto_init (void)
{
    return sodium_init () < 0 ? NINES_EIO : NINES_OK;
}

int
nines_keypair_generate (nines_keypair_t *kp)
{
    if (nines_crypto_init ())
        return NINES_EIO;
    return crypto_sign_keypair (kp->pk, kp->sk) == 0 ? NINES_OK : NINES_EIO;
}

int
nines_keypair_from_seed (nines_keypair_t *kp, const uint8_t seed [NINES_SEED_BYTES])
{
    if (nines_crypto_init ())
        return NINES_EIO;
    return crypto_sign_seed_keypair (kp->pk, kp->sk, seed) == 0 ? NINES_OK : NINES_EIO;
}

void
nines_keypair_wipe (nines_keypair_t *kp)
{
    sodium_memzero (kp, sizeof *kp);
}

int
nines_secretfile_save (const char *path, const char *magic, const uint8_t *secret, size_t len)
{
    if (len > NINES_SECRETFILE_MAX || strlen (magic) > 64)
        return NINES_EINVAL;
    int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? NINES_EEXIST : NINES_EIO;
    char text [64 + 2 * NINES_SECRETFILE_MAX + 3];
    char hex [2 * NINES_SECRETFILE_MAX + 1];
    nines_hex (hex, secret, len);
    int n = snprintf (text, sizeof text, "%s\n%s\n", magic, hex);
    sodium_memzero (hex, sizeof hex);
    int rc = NINES_OK;
    if (fchmod (fd, 0600) || write (fd, text, (size_t) n) != n || fsync (fd))
        rc = NINES_EIO;
    sodium_memzero (text, sizeof text);
    close (fd);
    if (rc)
        unlink (path);
    return rc;
}

int
nines_secretfile_load (const char *path, const char *magic, uint8_t *secret, size_t len)
{
    memset (secret, 0, len);
    if (len > NINES_SECRETFILE_MAX)
        return NINES_EINVAL;
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? NINES_ENOTFOUND : NINES_EIO;
    struct stat st;
    if (fstat (fd, &st)) {
        close (fd);
        return NINES_EIO;
    }
    if (st.st_mode & 077) {
        nines_error ("key file %s has mode %04o: it must not be accessible by group or "
                     "others; run: chmod 600 %s", path, (unsigned) (st.st_mode & 07777), path);
        close (fd);
        return NINES_EPERM;
    }
    char text [256];
    ssize_t n = read (fd, text, sizeof text - 1);
    close (fd);
    if (n < 0)
        return NINES_EIO;
    text [n] = 0;
    int rc = NINES_EMALFORMED;
    size_t m = strlen (magic);
    if ((size_t) n >= m + 1 + 2 * len && memcmp (text, magic, m) == 0 && text [m] == '\n') {
        char hex [2 * NINES_SECRETFILE_MAX + 1];
        memcpy (hex, text + m + 1, 2 * len);
        hex [2 * len] = 0;
        const char *rest = text + m + 1 + 2 * len;
        if ((*rest == 0 || strcmp (rest, "\n") == 0) && nines_unhex (secret, len, hex) == 0)
            rc = NINES_OK;
        sodium_memzero (hex, sizeof hex);
    }
    sodium_memzero (text, sizeof text);
    if (rc)
        sodium_memzero (secret, len);
    return rc;
}

int
nines_keyfile_save (const char *path, const nines_keypair_t *kp)
{
    return nines_secretfile_save (path, KEYFILE_MAGIC, kp->sk, NINES_SEED_BYTES);
}

int
nines_keyfile_load (const char *path, nines_keypair_t *kp)
{
    memset (kp, 0, sizeof *kp);
    uint8_t seed [NINES_SEED_BYTES];
    int rc = nines_secretfile_load (path, KEYFILE_MAGIC, seed, sizeof seed);
    if (!rc)
        rc = nines_keypair_from_seed (kp, seed);
    sodium_memzero (seed, sizeof seed);
    if (rc == NINES_EMALFORMED)
        nines_error ("key file %s is not a nines key file (expected '%s' then 64 hex digits)",
                     path, KEYFILE_MAGIC);
    if (rc)
        memset (kp, 0, sizeof *kp);
    return rc;
}

/*  Signatures cover domain || msg; small messages are joined on the stack,
    large ones on the heap.  */
static uint8_t *
s_join (uint8_t *stack, size_t stack_size, const char *domain,
        const uint8_t *msg, size_t len, size_t *total)
{
    size_t dlen = strlen (domain);
    *total = dlen + len;
    uint8_t *buf = *total <= stack_size ? stack : (uint8_t *) malloc (*total);
    if (!buf)
        return NULL;
    memcpy (buf, domain, dlen);
    if (len)
        memcpy (buf + dlen, msg, len);
    return buf;
}

/*  Sign domain || msg with kp into sig_out, or (kp NULL) verify sig_in by
    pk over it: the one place that joins them (on the stack up to 1 KiB).
    0, NINES_EBADSIG, NINES_EINVAL (a bad domain when signing; verifying
    says NINES_EBADSIG) or NINES_ENOMEM. */
static int
s_sign_or_verify (const nines_keypair_t *kp, const uint8_t *pk, const char *domain, const uint8_t *msg,
                  size_t len, uint8_t *sig_out, const uint8_t *sig_in)
{
    if (!domain || strlen (domain) > NINES_DOMAIN_MAX)
        return kp ? NINES_EINVAL : NINES_EBADSIG;
    uint8_t stack [1024];
    size_t total;
    uint8_t *buf = s_join (stack, sizeof stack, domain, msg, len, &total);
    if (!buf)
        return NINES_ENOMEM;
    int rc = NINES_OK;
    if (kp)
        crypto_sign_detached (sig_out, NULL, buf, total, kp->sk);
    else
    if (crypto_sign_verify_detached (sig_in, buf, total, pk) != 0)
        rc = NINES_EBADSIG;
    if (buf != stack)
        free (buf);
    return rc;
}

int
nines_sign (const nines_keypair_t *kp, const char *domain,
            const uint8_t *msg, size_t len, uint8_t sig [NINES_SIG_BYTES])
{
    return s_sign_or_verify (kp, NULL, domain, msg, len, sig, NULL);
}

int
nines_verify (const uint8_t pk [NINES_ID_BYTES], const char *domain,
              const uint8_t *msg, size_t len, const uint8_t sig [NINES_SIG_BYTES])
{
    return s_sign_or_verify (NULL, pk, domain, msg, len, NULL, sig);
}

int
nines_keypair_curve (const nines_keypair_t *kp, uint8_t curve_pk [NINES_CURVE_BYTES],
                     uint8_t curve_sk [NINES_CURVE_BYTES])
{
    if (crypto_sign_ed25519_pk_to_curve25519 (curve_pk, kp->pk)
    ||  crypto_sign_ed25519_sk_to_curve25519 (curve_sk, kp->sk))
        return NINES_EINVAL;
    return NINES_OK;
}

int
nines_id_to_curve (const uint8_t id [NINES_ID_BYTES], uint8_t curve_pk [NINES_CURVE_BYTES])
{
    return crypto_sign_ed25519_pk_to_curve25519 (curve_pk, id) ? NINES_EINVAL : NINES_OK;
}

zcert_t *
nines_keypair_zcert (const nines_keypair_t *kp)
{
    uint8_t cpk [NINES_CURVE_BYTES], csk [NINES_CURVE_BYTES];
    if (nines_keypair_curve (kp, cpk, csk))
        return NULL;
    zcert_t *cert = zcert_new_from (cpk, csk);
    sodium_memzero (csk, sizeof csk);
    return cert;
}

void
nines_hash (uint8_t out [NINES_HASH_BYTES], int nparts, ...)
{
    crypto_generichash_state state;
    crypto_generichash_init (&state, NULL, 0, NINES_HASH_BYTES);
    va_list args;
    va_start (args, nparts);
    for (int i = 0; i < nparts; i++) {
        const uint8_t *part = va_arg (args, const uint8_t *);
        size_t len = va_arg (args, size_t);
        crypto_generichash_update (&state, part, len);
    }
    va_end (args);
    crypto_generichash_final (&state, out, NINES_HASH_BYTES);
}

uint64_t
nines_hash_u64 (const uint8_t digest [NINES_HASH_BYTES])
{
    return nines_get_le64 (digest);
}

char *
nines_hex (char *out, const uint8_t *bin, size_t len)
{
    sodium_bin2hex (out, 2 * len + 1, bin, len);
    return out;
}

int
nines_unhex (uint8_t *bin, size_t len, const char *hex)
{
    size_t got = 0;
    const char *end = NULL;
    if (!hex || strlen (hex) != 2 * len
    ||  sodium_hex2bin (bin, len, hex, 2 * len, NULL, &got, &end) != 0
    ||  got != len)
        return NINES_EINVAL;
    return NINES_OK;
}

size_t
nines_b64url_len (size_t bin_len)
{
    return sodium_base64_ENCODED_LEN (bin_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

char *
nines_b64url (char *out, size_t out_size, const uint8_t *bin, size_t len)
{
    return sodium_bin2base64 (out, out_size, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

int
nines_unb64url (uint8_t *bin, size_t max, size_t *len, const char *text, size_t text_len)
{
    /* Each 4 characters give 3 bytes: reject what cannot fit before decoding. */
    if (text_len * 3 / 4 > max)
        return NINES_ETOOBIG;
    const char *end = NULL;
    if (sodium_base642bin (bin, max, text, text_len, NULL, len, &end,
                           sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0
    ||  end != text + text_len)
        return NINES_EMALFORMED;
    return NINES_OK;
}

uint64_t
nines_isqrt (uint64_t v)
{
    /* Newton's method on integers, started above the root. */
    if (v < 2)
        return v;
    uint64_t x = (uint64_t) 1 << ((64 - __builtin_clzll (v) + 1) / 2);
    for (;;) {
        uint64_t y = (x + v / x) / 2;
        if (y >= x)
            return x;
        x = y;
    }
}

bool
nines_id_eq (const uint8_t a [NINES_ID_BYTES], const uint8_t b [NINES_ID_BYTES])
{
    return sodium_memcmp (a, b, NINES_ID_BYTES) == 0;
}

void
nines_random (void *buf, size_t len)
{
    randombytes_buf (buf, len);
}

void
nines_rng_init (nines_rng_t *rng, const uint8_t seed [32])
{
    memset (rng, 0, sizeof *rng);
    memcpy (rng->seed, seed, 32);
}

static void
s_rng_refill (nines_rng_t *rng)
{
    /* Key per block = BLAKE2b(seed || le64(counter)); output from the
       libsodium deterministic generator (ChaCha20). */
    uint8_t ctr [8], key [randombytes_SEEDBYTES];
    nines_le64 (ctr, rng->counter++);
    nines_hash (key, 2, rng->seed, (size_t) 32, ctr, sizeof ctr);
    randombytes_buf_deterministic (rng->pool, sizeof rng->pool, key);
    rng->pool_left = sizeof rng->pool;
}

uint64_t
nines_rng_u64 (nines_rng_t *rng)
{
    if (rng->pool_left < 8)
        s_rng_refill (rng);
    uint64_t v = nines_get_le64 (rng->pool + sizeof rng->pool - rng->pool_left);
    rng->pool_left -= 8;
    return v;
}

uint64_t
nines_rng_uniform (nines_rng_t *rng, uint64_t bound)
{
    if (bound == 0)
        return 0;
    uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
    for (;;) {
        uint64_t v = nines_rng_u64 (rng);
        if (v < limit)
            return v % bound;
    }
}
