/*  Heartbeat admission (src/facade/hbcheck.c) on plain buffers: each
    rejection reason, the allow-list file format and its all-or-nothing
    reload, and the bounded replay cache (full => refused, expired slots
    reused, a nonce kept until its heartbeat is stale, the size for a
    heartbeat rate). */
#include "testutil.h"
#include "facade/hbcheck.h"
#include <unistd.h>

#define NOW 1790000000000ULL            /* a fixed Unix ms */

static nines_keypair_t s_v1, s_v2;
static uint8_t s_pod [NINES_ID_BYTES];

static size_t
s_make (const nines_keypair_t *kp, const uint8_t *pod, uint64_t t_ms, char *value, nines_hb_req_t *req)
{
    CHECK_RC (nines_hb_req_make (kp, pod, NULL, t_ms, req, value, NINES_HB_VALUE_MAX), 0);
    return strlen (value);
}

static void
test_reasons (void)
{
    nines_hbcheck_t *check = nines_hbcheck_new (s_pod, 1024);
    CHECK (check != NULL);
    CHECK_RC (nines_hbcheck_set_allowlist (check, (const uint8_t (*) [NINES_ID_BYTES]) s_v1.pk, 1), 0);
    CHECK_EQ (nines_hbcheck_allowed (check), 1);
    char value [NINES_HB_VALUE_MAX];
    nines_hb_req_t req, out;
    size_t len = s_make (&s_v1, s_pod, NOW, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW + 100, &out), 0);
    CHECK_MEM (out.nonce, req.nonce, NINES_NONCE_BYTES);
    CHECK_RC (nines_hbcheck (check, value, len, NOW + 200, &out), NINES_EREPLAY);
    len = s_make (&s_v2, s_pod, NOW, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_EUNKNOWN);
    uint8_t other [NINES_ID_BYTES];
    memcpy (other, s_pod, sizeof other);
    other [31] ^= 0x80;
    len = s_make (&s_v1, other, NOW, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_EUNKNOWN);
    len = s_make (&s_v1, s_pod, NOW - NINES_HB_SKEW_MS - 1, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_ESTALE);
    len = s_make (&s_v1, s_pod, NOW + NINES_HB_SKEW_MS + 1, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_ESTALE);
    len = s_make (&s_v1, s_pod, NOW + NINES_HB_SKEW_MS, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), 0);      /* the edge is inside */
    /* A forged signature: flip one base64url character of the sig part. */
    len = s_make (&s_v1, s_pod, NOW, value, &req);
    char genuine = value [len - 5];
    value [len - 5] = genuine == 'A' ? 'B' : 'A';
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_EBADSIG);
    /* The forged copy did not burn the nonce: the genuine one passes
       (after the syntax cases below). */
    value [len - 5] = genuine;
    /* Syntax. */
    CHECK (nines_hbcheck (check, "", 0, NOW, &out) != 0);
    CHECK (nines_hbcheck (check, "v1.", 3, NOW, &out) != 0);
    CHECK (nines_hbcheck (check, "v2.AAAA", 7, NOW, &out) != 0);
    CHECK (nines_hbcheck (check, value, len - 1, NOW, &out) != 0);   /* truncated */
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), 0);
    nines_hbcheck_destroy (&check);
    CHECK (check == NULL);
    nines_hbcheck_destroy (&check);                                  /* harmless */
}

static void
test_allowlist_file (void)
{
    nines_hbcheck_t *check = nines_hbcheck_new (s_pod, 64);
    char path [] = "/tmp/nines-hbcheck-XXXXXX", err [256], hex1 [NINES_ID_HEX], hex2 [NINES_ID_HEX];
    int fd = mkstemp (path);
    CHECK (fd >= 0);
    FILE *f = fdopen (fd, "w");
    fprintf (f, "# validators\n\n   %s   \n\t%s\n# end\n", nines_hex (hex1, s_v1.pk, 32), nines_hex (hex2, s_v2.pk, 32));
    fclose (f);
    CHECK_RC (nines_hbcheck_load_allowlist (check, path, err, sizeof err), 0);
    CHECK_EQ (nines_hbcheck_allowed (check), 2);
    char value [NINES_HB_VALUE_MAX];
    nines_hb_req_t req, out;
    size_t len = s_make (&s_v2, s_pod, NOW, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), 0);
    /* A bad line: refused, the previous list stays. */
    f = fopen (path, "w");
    fprintf (f, "%s\n%.63s\n", hex1, hex2);
    fclose (f);
    CHECK_RC (nines_hbcheck_load_allowlist (check, path, err, sizeof err), NINES_EMALFORMED);
    CHECK (strstr (err, ":2:") != NULL);
    CHECK_EQ (nines_hbcheck_allowed (check), 2);
    /* An empty file empties the list. */
    f = fopen (path, "w");
    fclose (f);
    CHECK_RC (nines_hbcheck_load_allowlist (check, path, err, sizeof err), 0);
    CHECK_EQ (nines_hbcheck_allowed (check), 0);
    len = s_make (&s_v1, s_pod, NOW, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_EUNKNOWN);
    unlink (path);
    CHECK_RC (nines_hbcheck_load_allowlist (check, path, err, sizeof err), NINES_ENOTFOUND);
    nines_hbcheck_destroy (&check);
}

/*  The smallest cache (64 slots) fills, then refuses; once the window has
    passed the slots are reused.  Memory never grows. */
static void
test_replay_bounded (void)
{
    nines_hbcheck_t *check = nines_hbcheck_new (s_pod, 1);
    CHECK_RC (nines_hbcheck_set_allowlist (check, (const uint8_t (*) [NINES_ID_BYTES]) s_v1.pk, 1), 0);
    char value [NINES_HB_VALUE_MAX];
    nines_hb_req_t req, out;
    int accepted = 0, full = 0;
    for (int i = 0; i < 100; i++) {
        size_t len = s_make (&s_v1, s_pod, NOW, value, &req);
        int rc = nines_hbcheck (check, value, len, NOW, &out);
        accepted += rc == 0;
        full += rc == NINES_EFULL;
        CHECK (rc == 0 || rc == NINES_EFULL);
    }
    CHECK_EQ (accepted, 64);
    CHECK_EQ (full, 36);
    uint64_t later = NOW + 2 * NINES_HB_SKEW_MS + 2;
    for (int i = 0; i < 64; i++) {
        size_t len = s_make (&s_v1, s_pod, later, value, &req);
        CHECK_RC (nines_hbcheck (check, value, len, later, &out), 0);
    }
    nines_hbcheck_destroy (&check);
}

/*  A nonce is kept until its own t_ms + skew, not 60 s from its arrival:
    64 heartbeats made a full skew ago fill the smallest cache, and 2 ms
    later their slots take 64 new ones; a replay of an old one is stale. */
static void
test_replay_until_stale (void)
{
    nines_hbcheck_t *check = nines_hbcheck_new (s_pod, 1);
    CHECK_RC (nines_hbcheck_set_allowlist (check, (const uint8_t (*) [NINES_ID_BYTES]) s_v1.pk, 1), 0);
    char value [NINES_HB_VALUE_MAX], first [NINES_HB_VALUE_MAX];
    nines_hb_req_t req, out;
    size_t first_len = 0;
    for (int i = 0; i < 64; i++) {
        size_t len = s_make (&s_v1, s_pod, NOW - NINES_HB_SKEW_MS, value, &req);
        CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), 0);
        if (i == 0) {
            memcpy (first, value, len);
            first_len = len;
        }
    }
    size_t len = s_make (&s_v1, s_pod, NOW, value, &req);
    CHECK_RC (nines_hbcheck (check, value, len, NOW, &out), NINES_EFULL);
    for (int i = 0; i < 64; i++) {
        len = s_make (&s_v1, s_pod, NOW + 2, value, &req);
        CHECK_RC (nines_hbcheck (check, value, len, NOW + 2, &out), 0);
    }
    CHECK_RC (nines_hbcheck (check, first, first_len, NOW + 2, &out), NINES_ESTALE);
    size_t slots = 0;
    uint64_t full = 0;
    nines_hbcheck_replay_stats (check, &slots, &full);
    CHECK_EQ (slots, 64);
    CHECK_EQ (full, 1);
    nines_hbcheck_destroy (&check);
}

/*  nines_hbcheck_replay_size: the configured rate, from validators whose
    clocks run the full skew ahead (each nonce kept 60 s), for 200 s: no
    valid heartbeat refused; four times that rate fills it, and the
    refusals are counted. */
static void
test_replay_sized (void)
{
    CHECK_EQ (nines_hbcheck_replay_size (500), 65536);
    CHECK_EQ (nines_hbcheck_replay_size (10000), 2097152);
    CHECK_EQ (nines_hbcheck_replay_size (0), 128);   /* as 1/s */
    const uint64_t rate = 4;
    size_t cap = nines_hbcheck_replay_size (rate);
    CHECK_EQ (cap, 512);
    nines_hbcheck_t *check = nines_hbcheck_new (s_pod, cap);
    CHECK_RC (nines_hbcheck_set_allowlist (check, (const uint8_t (*) [NINES_ID_BYTES]) s_v1.pk, 1), 0);
    char value [NINES_HB_VALUE_MAX];
    nines_hb_req_t req, out;
    int refused = 0;
    uint64_t now = NOW;
    for (int i = 0; i < 200 * (int) rate; i++, now += 1000 / rate) {
        size_t len = s_make (&s_v1, s_pod, now + NINES_HB_SKEW_MS, value, &req);
        refused += nines_hbcheck (check, value, len, now, &out) != 0;
    }
    CHECK_EQ (refused, 0);
    for (int i = 0; i < 100 * 4 * (int) rate; i++, now += 1000 / (4 * rate)) {
        size_t len = s_make (&s_v1, s_pod, now + NINES_HB_SKEW_MS, value, &req);
        refused += nines_hbcheck (check, value, len, now, &out) == NINES_EFULL;
    }
    size_t slots = 0;
    uint64_t full = 0;
    nines_hbcheck_replay_stats (check, &slots, &full);
    CHECK_EQ (slots, cap);
    CHECK (refused > 0);
    CHECK_EQ (full, (uint64_t) refused);
    nines_hbcheck_destroy (&check);
}

int
main (void)
{
    CHECK_RC (nines_crypto_init (), 0);
    CHECK_RC (nines_keypair_generate (&s_v1), 0);
    CHECK_RC (nines_keypair_generate (&s_v2), 0);
    nines_random (s_pod, sizeof s_pod);
    RUN (test_reasons);
    RUN (test_allowlist_file);
    RUN (test_replay_bounded);
    RUN (test_replay_until_stale);
    RUN (test_replay_sized);
    return t_done ("test_facade_hbcheck");
}
