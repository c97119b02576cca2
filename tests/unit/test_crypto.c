#include "crypto/crypto.h"
#include "testutil.h"
#include <czmq.h>
#include <sodium.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

static void
test_sign_verify (void)
{
    uint8_t seed [32] = { 1 };
    nines_keypair_t kp, other;
    CHECK_RC (nines_keypair_from_seed (&kp, seed), 0);
    seed [0] = 2;
    CHECK_RC (nines_keypair_from_seed (&other, seed), 0);
    const uint8_t msg [] = "pod down";
    uint8_t sig [NINES_SIG_BYTES];
    CHECK_RC (nines_sign (&kp, NINES_DOMAIN_VOTE, msg, sizeof msg, sig), 0);
    CHECK_RC (nines_verify (kp.pk, NINES_DOMAIN_VOTE, msg, sizeof msg, sig), 0);
    CHECK_RC (nines_verify (kp.pk, NINES_DOMAIN_HB_REQ, msg, sizeof msg, sig), NINES_EBADSIG);
    CHECK_RC (nines_verify (other.pk, NINES_DOMAIN_VOTE, msg, sizeof msg, sig), NINES_EBADSIG);
    CHECK_RC (nines_verify (kp.pk, NINES_DOMAIN_VOTE, msg, sizeof msg - 1, sig), NINES_EBADSIG);
    sig [5] ^= 1;
    CHECK_RC (nines_verify (kp.pk, NINES_DOMAIN_VOTE, msg, sizeof msg, sig), NINES_EBADSIG);
    /* Signature equals raw Ed25519 over domain || msg. */
    uint8_t joined [64];
    size_t dlen = strlen (NINES_DOMAIN_VOTE);
    memcpy (joined, NINES_DOMAIN_VOTE, dlen);
    memcpy (joined + dlen, msg, sizeof msg);
    CHECK_RC (nines_sign (&kp, NINES_DOMAIN_VOTE, msg, sizeof msg, sig), 0);
    CHECK_EQ (crypto_sign_verify_detached (sig, joined, dlen + sizeof msg, kp.pk), 0);
    /* Large message takes the heap path. */
    uint8_t *big = calloc (1, 5000);
    CHECK_RC (nines_sign (&kp, NINES_DOMAIN_VOTE, big, 5000, sig), 0);
    CHECK_RC (nines_verify (kp.pk, NINES_DOMAIN_VOTE, big, 5000, sig), 0);
    free (big);
}

static void
test_keyfile (void)
{
    char dir [] = "/tmp/nines-test-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char path [128];
    snprintf (path, sizeof path, "%s/validator.key", dir);
    nines_keypair_t kp, back;
    CHECK_RC (nines_keypair_generate (&kp), 0);
    CHECK_RC (nines_keyfile_save (path, &kp), 0);
    struct stat st;
    CHECK (stat (path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_RC (nines_keyfile_save (path, &kp), NINES_EEXIST);
    CHECK_RC (nines_keyfile_load (path, &back), 0);
    CHECK_MEM (back.pk, kp.pk, 32);
    CHECK_MEM (back.sk, kp.sk, 64);
    chmod (path, 0644);
    CHECK_RC (nines_keyfile_load (path, &back), NINES_EPERM);
    chmod (path, 0640);
    CHECK_RC (nines_keyfile_load (path, &back), NINES_EPERM);
    chmod (path, 0600);
    FILE *f = fopen (path, "w");
    fputs ("nines-ed25519-v1\nnothex\n", f);
    fclose (f);
    CHECK_RC (nines_keyfile_load (path, &back), NINES_EMALFORMED);
    unlink (path);
    CHECK_RC (nines_keyfile_load (path, &back), NINES_ENOTFOUND);
    rmdir (dir);
}

static void
test_curve (void)
{
    nines_keypair_t kp;
    CHECK_RC (nines_keypair_generate (&kp), 0);
    uint8_t cpk [32], csk [32], cpk2 [32];
    CHECK_RC (nines_keypair_curve (&kp, cpk, csk), 0);
    CHECK_RC (nines_id_to_curve (kp.pk, cpk2), 0);
    CHECK_MEM (cpk, cpk2, 32);
    /* The derived pair is a real Curve25519 pair: pk = base * sk. */
    uint8_t derived [32];
    CHECK_EQ (crypto_scalarmult_base (derived, csk), 0);
    CHECK_MEM (derived, cpk, 32);
    zcert_t *cert = nines_keypair_zcert (&kp);
    CHECK (cert != NULL);
    if (cert) {
        CHECK_MEM (zcert_public_key (cert), cpk, 32);
        zcert_destroy (&cert);
    }
}

static void
test_hash_hex_b64_isqrt (void)
{
    uint8_t h1 [32], h2 [32];
    nines_hash (h1, 2, (const uint8_t *) "ab", (size_t) 2, (const uint8_t *) "c", (size_t) 1);
    nines_hash (h2, 1, (const uint8_t *) "abc", (size_t) 3);
    CHECK_MEM (h1, h2, 32);
    crypto_generichash (h2, 32, (const uint8_t *) "abc", 3, NULL, 0);
    CHECK_MEM (h1, h2, 32);
    char hex [65];
    uint8_t back [32];
    nines_hex (hex, h1, 32);
    CHECK_EQ (strlen (hex), 64);
    CHECK_RC (nines_unhex (back, 32, hex), 0);
    CHECK_MEM (back, h1, 32);
    CHECK_RC (nines_unhex (back, 32, "zz"), NINES_EINVAL);
    char b64 [64];
    nines_b64url (b64, sizeof b64, (const uint8_t *) "\xfb\xff", 2);
    CHECK_STR (b64, "-_8");
    size_t len = 0;
    CHECK_RC (nines_unb64url (back, sizeof back, &len, "-_8", 3), 0);
    CHECK_EQ (len, 2);
    CHECK_RC (nines_unb64url (back, sizeof back, &len, "+/8", 3), NINES_EMALFORMED);
    CHECK_RC (nines_unb64url (back, 2, &len, "AAAAAAAAAAAA", 12), NINES_ETOOBIG);
    CHECK_EQ (nines_isqrt (0), 0);
    CHECK_EQ (nines_isqrt (1), 1);
    CHECK_EQ (nines_isqrt (15), 3);
    CHECK_EQ (nines_isqrt (16), 4);
    CHECK_EQ (nines_isqrt (UINT64_MAX), 4294967295ULL);
    for (uint64_t v = 0; v < 100000; v += 7) {
        uint64_t r = nines_isqrt (v);
        CHECK (r * r <= v && (r + 1) * (r + 1) > v);
    }
    uint8_t le [8];
    nines_le64 (le, 0x0102030405060708ULL);
    CHECK_EQ (le [0], 8);
    CHECK_EQ (le [7], 1);
}

static void
test_rng (void)
{
    uint8_t seed [32] = { 7 };
    nines_rng_t a, b;
    nines_rng_init (&a, seed);
    nines_rng_init (&b, seed);
    for (int i = 0; i < 100; i++)
        CHECK_EQ (nines_rng_u64 (&a), nines_rng_u64 (&b));
    seed [0] = 8;
    nines_rng_init (&b, seed);
    CHECK (nines_rng_u64 (&a) != nines_rng_u64 (&b));
    int buckets [10] = { 0 };
    for (int i = 0; i < 10000; i++)
        buckets [nines_rng_uniform (&a, 10)]++;
    for (int i = 0; i < 10; i++)
        CHECK (buckets [i] > 850 && buckets [i] < 1150);
}

/*  Negative cases beyond test_sign_verify / test_keyfile: every unsafe
    key-file mode, truncated and oversized key files, a domain over the
    limit, an id that is not a curve point, bad hex and base64url. */
static void
test_crypto_negative (void)
{
    char dir [] = "/tmp/nines-test-XXXXXX";
    CHECK (mkdtemp (dir) != NULL);
    char path [128];
    snprintf (path, sizeof path, "%s/k.key", dir);
    nines_keypair_t kp, back;
    uint8_t seed [32] = { 3 };
    CHECK_RC (nines_keypair_from_seed (&kp, seed), 0);
    CHECK_RC (nines_keyfile_save (path, &kp), 0);
    static const mode_t unsafe [] = { 0604, 0602, 0601, 0620, 0610, 0660, 0666, 0700 | 0044 };
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe [0]; i++) {
        chmod (path, unsafe [i]);
        CHECK_RC (nines_keyfile_load (path, &back), NINES_EPERM);
        static const uint8_t zero [64];
        CHECK_MEM (back.sk, zero, 64);                  /* nothing half-loaded */
    }
    chmod (path, 0400);                                 /* read-only by owner is fine */
    CHECK_RC (nines_keyfile_load (path, &back), 0);
    CHECK_MEM (back.pk, kp.pk, 32);
    unlink (path);

    /* Truncated: the magic and half the seed; oversized: junk after it. */
    static const char *bad [] = {
        "nines-ed25519-v1\n0303030303030303",
        "nines-ed25519-v1\n0303030303030303030303030303030303030303030303030303030303030303\nextra\n",
        "nines-ed25519-v2\n0303030303030303030303030303030303030303030303030303030303030303\n",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad [0]; i++) {
        int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        CHECK (fd >= 0);
        CHECK (write (fd, bad [i], strlen (bad [i])) == (ssize_t) strlen (bad [i]));
        close (fd);
        CHECK_RC (nines_keyfile_load (path, &back), NINES_EMALFORMED);
        unlink (path);
    }
    /* Upper-case hex is read like lower case (PROTOCOL.md section 1). */
    const char *upper = "nines-ed25519-v1\nABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABABAB\n";
    int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK (fd >= 0 && write (fd, upper, strlen (upper)) == (ssize_t) strlen (upper));
    close (fd);
    memset (seed, 0xab, sizeof seed);
    CHECK_RC (nines_keypair_from_seed (&kp, seed), 0);
    CHECK_RC (nines_keyfile_load (path, &back), 0);
    CHECK_MEM (back.pk, kp.pk, 32);
    unlink (path);
    rmdir (dir);

    /* A domain longer than NINES_DOMAIN_MAX is refused both ways. */
    char domain [NINES_DOMAIN_MAX + 2];
    memset (domain, 'd', sizeof domain - 1);
    domain [sizeof domain - 1] = 0;
    uint8_t sig [64];
    CHECK_RC (nines_sign (&kp, domain, (const uint8_t *) "m", 1, sig), NINES_EINVAL);
    CHECK_RC (nines_verify (kp.pk, domain, (const uint8_t *) "m", 1, sig), NINES_EBADSIG);
    CHECK_RC (nines_verify (kp.pk, NULL, (const uint8_t *) "m", 1, sig), NINES_EBADSIG);
    /* An all-zero signature never verifies. */
    memset (sig, 0, sizeof sig);
    CHECK_RC (nines_verify (kp.pk, NINES_DOMAIN_VOTE, (const uint8_t *) "m", 1, sig), NINES_EBADSIG);

    /* An id that is not a valid Ed25519 point has no Curve25519 key. */
    uint8_t id [32], cpk [32];
    memset (id, 0xff, sizeof id);
    CHECK_RC (nines_id_to_curve (id, cpk), NINES_EINVAL);

    uint8_t bin [4];
    CHECK_RC (nines_unhex (bin, 4, "0011223"), NINES_EINVAL);         /* short */
    CHECK_RC (nines_unhex (bin, 4, "001122334455"), NINES_EINVAL);    /* long */
    CHECK_RC (nines_unhex (bin, 4, "0011223g"), NINES_EINVAL);
    CHECK_RC (nines_unhex (bin, 4, NULL), NINES_EINVAL);
    size_t len;
    CHECK_RC (nines_unb64url (bin, sizeof bin, &len, "AAA=", 4), NINES_EMALFORMED);  /* padding */
    CHECK_RC (nines_unb64url (bin, sizeof bin, &len, "AA A", 4), NINES_EMALFORMED);  /* space */
    CHECK_RC (nines_unb64url (bin, sizeof bin, &len, "AB", 2), NINES_EMALFORMED);    /* bits left */
    CHECK_RC (nines_unb64url (bin, sizeof bin, &len, "A", 1), NINES_EMALFORMED);     /* truncated */
    CHECK_RC (nines_unb64url (bin, sizeof bin, &len, "AAAAAAAA", 8), NINES_ETOOBIG);
}

int
main (void)
{
    nines_crypto_init ();
    RUN (test_sign_verify);
    RUN (test_keyfile);
    RUN (test_curve);
    RUN (test_hash_hex_b64_isqrt);
    RUN (test_rng);
    RUN (test_crypto_negative);
    return t_done ("test_crypto");
}
