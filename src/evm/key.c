#include "evm/key.h"
#include "evm/keccak.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define CHAINKEY_MAGIC "nines-secp256k1-v1"

static secp256k1_context *s_ctx;
static pthread_once_t s_once = PTHREAD_ONCE_INIT;

static void
s_ctx_init (void)
{
    secp256k1_context *ctx = secp256k1_context_create (SECP256K1_CONTEXT_NONE);
    uint8_t seed [32];
    if (!ctx || nines_crypto_init ())
        goto fail;
    randombytes_buf (seed, sizeof seed);
    /* blinding against side channels (libsecp256k1's advice) */
    if (!secp256k1_context_randomize (ctx, seed))
        goto fail;
    sodium_memzero (seed, sizeof seed);
    s_ctx = ctx;
    return;
fail:
    if (ctx)
        secp256k1_context_destroy (ctx);
}

const secp256k1_context *
nines_secp256k1 (void)
{
    pthread_once (&s_once, s_ctx_init);
    return s_ctx;
}

void
nines_evm_address_of (uint8_t address [20], const uint8_t pub [64])
{
    uint8_t h [32];
    nines_keccak256 (h, pub, 64);
    memcpy (address, h + 12, 20);
}

int
nines_chainkey_from_secret (nines_chainkey_t *k, const uint8_t secret [32])
{
    const secp256k1_context *ctx = nines_secp256k1 ();
    memset (k, 0, sizeof *k);
    if (!ctx)
        return NINES_EIO;
    secp256k1_pubkey pk;
    if (!secp256k1_ec_seckey_verify (ctx, secret) || !secp256k1_ec_pubkey_create (ctx, &pk, secret))
        return NINES_EINVAL;
    uint8_t pub [65];
    size_t n = sizeof pub;
    secp256k1_ec_pubkey_serialize (ctx, pub, &n, &pk, SECP256K1_EC_UNCOMPRESSED);
    memcpy (k->secret, secret, 32);
    nines_evm_address_of (k->address, pub + 1);
    return NINES_OK;
}

int
nines_chainkey_generate (nines_chainkey_t *k)
{
    if (nines_crypto_init ())
        return NINES_EIO;
    uint8_t secret [32];
    int rc;
    do {                                /* fails with probability ~2^-128 */
        randombytes_buf (secret, sizeof secret);
        rc = nines_chainkey_from_secret (k, secret);
    } while (rc == NINES_EINVAL);
    sodium_memzero (secret, sizeof secret);
    return rc;
}

void
nines_chainkey_wipe (nines_chainkey_t *k)
{
    sodium_memzero (k, sizeof *k);
}

int
nines_chainkey_save (const char *path, const nines_chainkey_t *k)
{
    return nines_secretfile_save (path, CHAINKEY_MAGIC, k->secret, 32);
}

int
nines_chainkey_load (const char *path, nines_chainkey_t *k)
{
    uint8_t secret [32];
    int rc = nines_secretfile_load (path, CHAINKEY_MAGIC, secret, sizeof secret);
    if (!rc && (rc = nines_chainkey_from_secret (k, secret)) == NINES_EINVAL)
        rc = NINES_EMALFORMED;
    sodium_memzero (secret, sizeof secret);
    if (rc == NINES_EMALFORMED)
        nines_error ("chain key file %s is not a nines chain key file (expected '%s' then "
                     "64 hex digits of a valid secp256k1 secret)", path, CHAINKEY_MAGIC);
    if (rc)
        memset (k, 0, sizeof *k);
    return rc;
}

char *
nines_evm_checksum (char out [NINES_ADDRESS_TEXT], const uint8_t address [20])
{
    char lower [41];
    nines_hex (lower, address, 20);
    uint8_t h [32];
    nines_keccak256 (h, lower, 40);
    out [0] = '0';
    out [1] = 'x';
    for (int i = 0; i < 40; i++) {
        int nib = (h [i / 2] >> (i % 2 ? 0 : 4)) & 0xf;
        char c = lower [i];
        out [2 + i] = (c >= 'a' && nib >= 8) ? (char) (c - 'a' + 'A') : c;
    }
    out [42] = 0;
    return out;
}

int
nines_evm_parse_address (uint8_t address [20], const char *text)
{
    if (!text || strncmp (text, "0x", 2) != 0 || strlen (text) != 42)
        return NINES_EINVAL;
    char lower [41];
    int upper = 0, low = 0;
    for (int i = 0; i < 40; i++) {
        char c = text [2 + i];
        if (c >= 'A' && c <= 'F') {
            upper = 1;
            c = (char) (c - 'A' + 'a');
        } else if (c >= 'a' && c <= 'f')
            low = 1;
        else if (c < '0' || c > '9')
            return NINES_EINVAL;
        lower [i] = c;
    }
    lower [40] = 0;
    uint8_t a [20];
    if (nines_unhex (a, 20, lower))
        return NINES_EINVAL;
    if (upper && low) {
        char sum [NINES_ADDRESS_TEXT];
        if (strcmp (nines_evm_checksum (sum, a), text) != 0)
            return NINES_EBADSIG;
    }
    memcpy (address, a, 20);
    return NINES_OK;
}
