#include "base/bytes.h"
#include "base/error.h"
#include "base/log.h"
#include "base/config.h"
#include "base/idmap.h"
#include "base/grow.h"
#include <stdint.h>
#include "testutil.h"
#include <czmq.h>

static void
test_errors (void)
{
    CHECK_STR (nines_strerror (NINES_OK), "success");
    CHECK_STR (nines_strerror (NINES_EBADSIG), "signature verification failed");
    CHECK_STR (nines_errname (NINES_EQUORUM), "NINES_EQUORUM");
    CHECK_STR (nines_strerror (-9999), "unknown error");
    CHECK_STR (nines_strerror (ENOENT), strerror (ENOENT));
    for (int rc = 0; rc >= NINES_ELAST; rc--)
        CHECK (strlen (nines_strerror (rc)) > 0);
}

static void
test_config (void)
{
    const char *error = NULL;
    nines_config_t *cfg = nines_config_from_string ("t.zpl",
        "node\n"
        "    epoch = 10s\n"
        "    workers = 4\n"
        "    bad = lots\n"
        "    quorum = 66.67%\n"
        "    verbose = yes\n", &error);
    CHECK (cfg != NULL);
    uint64_t v = 0;
    CHECK_RC (nines_config_duration_ms (cfg, "node/epoch", 1, 1, 60000, &v), 0);
    CHECK_EQ (v, 10000);
    CHECK_RC (nines_config_u64 (cfg, "node/workers", 1, 1, 64, &v), 0);
    CHECK_EQ (v, 4);
    CHECK_RC (nines_config_u64 (cfg, "node/missing", 7, 1, 64, &v), 0);
    CHECK_EQ (v, 7);
    CHECK_RC (nines_config_u64 (cfg, "node/bad", 1, 1, 64, &v), NINES_ECONFIG);
    CHECK (strstr (nines_config_error (cfg), "t.zpl: node/bad: expected an integer in 1..64, got 'lots'") != NULL);
    CHECK_RC (nines_config_u64 (cfg, "node/workers", 1, 8, 64, &v), NINES_ECONFIG);
    uint32_t ppm = 0;
    CHECK_RC (nines_config_ppm (cfg, "node/quorum", 0, &ppm), 0);
    CHECK_EQ (ppm, 666700);
    bool b = false;
    CHECK_RC (nines_config_bool (cfg, "node/verbose", false, &b), 0);
    CHECK (b);
    CHECK_RC (nines_config_bool (cfg, "node/bad", false, &b), NINES_ECONFIG);
    CHECK_RC (nines_config_duration_ms (cfg, "node/bad", 1, 0, 10, &v), NINES_ECONFIG);
    CHECK_RC (nines_config_set (cfg, "node/workers", "9"), 0);
    CHECK_RC (nines_config_u64 (cfg, "node/workers", 1, 1, 64, &v), 0);
    CHECK_EQ (v, 9);
    CHECK_STR (nines_config_str (cfg, "node/none", "dflt"), "dflt");
    nines_config_destroy (&cfg);
    CHECK (cfg == NULL);

    CHECK (nines_config_load ("/nonexistent/x.zpl", &error) == NULL);
    CHECK (strstr (error, "/nonexistent/x.zpl") != NULL);

    CHECK_RC (nines_parse_duration_ms ("2h", &v), 0);
    CHECK_EQ (v, 7200000);
    CHECK_RC (nines_parse_duration_ms ("250ms", &v), 0);
    CHECK_EQ (v, 250);
    CHECK_RC (nines_parse_duration_ms ("-1s", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_duration_ms ("5 weeks", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_ppm ("1.5", &ppm), NINES_EINVAL);
    CHECK_RC (nines_parse_ppm ("250ppm", &ppm), 0);
    CHECK_EQ (ppm, 250);
}

static void
test_log_level (void)
{
    nines_log_level_t level;
    CHECK_RC (nines_log_level_parse ("debug", &level), 0);
    CHECK_EQ (level, NINES_LOG_DEBUG);
    CHECK_RC (nines_log_level_parse ("loud", &level), NINES_EINVAL);
}

/*  Bad configuration: ZPL syntax errors name the file; every typed getter
    refuses out-of-range and malformed values with a message naming the
    file, the key and the expectation. */
static void
test_config_negative (void)
{
    const char *error = NULL;
    static const char *broken [] = {
        "node\n  = value\n",                     /* a key without a name */
        "node\n    key = \"unterminated\n",
        "node\n\tkey = tab-indented\n",
    };
    for (size_t i = 0; i < sizeof broken / sizeof broken [0]; i++) {
        error = NULL;
        nines_config_t *cfg = nines_config_from_string ("broken.zpl", broken [i], &error);
        if (cfg) {
            fprintf (stderr, "accepted broken ZPL %zu\n", i);
            nines_config_destroy (&cfg);
        }
        CHECK (cfg == NULL);
        CHECK (error && strstr (error, "broken.zpl") != NULL);
    }
    nines_config_t *cfg = nines_config_from_string ("v.zpl",
        "node\n"
        "    big = 18446744073709551616\n"
        "    neg = -5\n"
        "    hex = 0x10\n"
        "    dur = 10 parsecs\n"
        "    long = 30d\n"
        "    frac = 101%\n"
        "    flag = maybe\n"
        "    empty = \"\"\n", &error);
    CHECK (cfg != NULL);
    if (!cfg)
        return;
    uint64_t v = 0;
    CHECK_RC (nines_config_u64 (cfg, "node/big", 1, 0, UINT64_MAX, &v), NINES_ECONFIG);
    CHECK (strstr (nines_config_error (cfg), "v.zpl: node/big: expected") != NULL);
    CHECK_RC (nines_config_u64 (cfg, "node/neg", 1, 0, 100, &v), NINES_ECONFIG);
    CHECK_RC (nines_config_u64 (cfg, "node/hex", 1, 0, 100, &v), NINES_ECONFIG);
    CHECK_RC (nines_config_u64 (cfg, "node/empty", 1, 0, 100, &v), NINES_ECONFIG);
    CHECK_RC (nines_config_duration_ms (cfg, "node/dur", 1, 0, UINT64_MAX, &v), NINES_ECONFIG);
    CHECK (strstr (nines_config_error (cfg), "node/dur") != NULL);
    CHECK_RC (nines_config_duration_ms (cfg, "node/long", 1, 0, 86400000, &v), NINES_ECONFIG);
    uint32_t ppm = 0;
    CHECK_RC (nines_config_ppm (cfg, "node/frac", 0, &ppm), NINES_ECONFIG);
    CHECK (strstr (nines_config_error (cfg), "node/frac") != NULL);
    bool b;
    CHECK_RC (nines_config_bool (cfg, "node/flag", false, &b), NINES_ECONFIG);
    CHECK (strstr (nines_config_error (cfg), "node/flag") != NULL);
    nines_config_destroy (&cfg);

    CHECK_RC (nines_parse_u64 ("", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_u64 ("12a", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_u64 ("99999999999999999999", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_duration_ms ("", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_duration_ms ("s", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_duration_ms ("99999999999999999999d", &v), NINES_EINVAL);
    CHECK_RC (nines_parse_ppm ("-0.5", &ppm), NINES_EINVAL);
    CHECK_RC (nines_parse_ppm ("abc", &ppm), NINES_EINVAL);
    CHECK_RC (nines_parse_ppm ("1000001ppm", &ppm), NINES_EINVAL);
}

/*  Byte order, against bytes written out by hand. */
static void
test_bytes (void)
{
    const uint64_t v = 0x0102030405060708ULL;
    const uint8_t le [8] = { 8, 7, 6, 5, 4, 3, 2, 1 }, be [8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    uint8_t out [8];
    nines_le64 (out, v);
    CHECK (memcmp (out, le, 8) == 0);
    nines_be64 (out, v);
    CHECK (memcmp (out, be, 8) == 0);
    CHECK_EQ (nines_get_le64 (le), v);
    CHECK_EQ (nines_get_be64 (be), v);
    CHECK_EQ (nines_get_le64 ((const uint8_t []) { 0xff, 0, 0, 0, 0, 0, 0, 0x80 }), 0x80000000000000ffULL);
    uint64_t t [4] = { UINT64_MAX, 3, 0, 1ULL << 63 };
    qsort (t, 4, sizeof t [0], nines_cmp_u64);
    CHECK (t [0] == 0 && t [1] == 3 && t [2] == 1ULL << 63 && t [3] == UINT64_MAX);
}

/*  One line per interval; the lines held back are counted and handed to
    the next line written. */
static void
test_ratelimit (void)
{
    nines_ratelimit_t rl = { .interval_ms = 10000 };
    uint64_t held = 99;
    CHECK (nines_ratelimit_ok (&rl, 5000, &held));
    CHECK_EQ (held, 0);
    int written = 0;
    for (uint64_t t = 5001; t < 15000; t += 7)         /* 1,429 more inside the window */
        written += nines_ratelimit_ok (&rl, t, &held);
    CHECK_EQ (written, 0);
    CHECK_EQ (rl.suppressed, 1429);
    CHECK (nines_ratelimit_ok (&rl, 15000, &held));
    CHECK_EQ (held, 1429);
    CHECK (!nines_ratelimit_ok (&rl, 24999, &held));
    CHECK (nines_ratelimit_ok (&rl, 25000, &held));
    CHECK_EQ (held, 1);
}

/*  Unknown sections and keys name the file, the path and the closest known
    name (issue 13). */
static void
test_config_known (void)
{
    static const char *const known [] = {
        "facade/body_limit", "facade/log", "facade/listen", "node/swim_k", "ledger/data", NULL
    };
    static const struct { const char *text, *want; } cases [] = {
        { "facade\n    body_limit = 1\n    log = info\n", NULL },
        { "facade\n    body_limt = 1\n", "t.zpl: facade/body_limt: unknown key (did you mean body_limit?)" },
        { "facade\n    bdoy_limit = 1\n", "(did you mean body_limit?)" },        /* transposition */
        { "facade\n    log_level = info\n", "facade/log_level: unknown key (did you mean log?)" },
        { "facade\n    swim_k = 3\n", "facade/swim_k: unknown key (did you mean node/swim_k?)" },
        { "facade\n    zzzzzz = 1\n", "t.zpl: facade/zzzzzz: unknown key" },
        { "facdae\n    listen = x\n", "t.zpl: facdae: unknown section (did you mean facade?)" },
        { "ledger\n    data\n        deep = 1\n", "ledger/data/deep: unknown key" },
        { "workers = 4\n", "t.zpl: workers: unknown top-level key" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        nines_config_t *cfg = nines_config_from_string ("t.zpl", cases [i].text, NULL);
        CHECK (cfg != NULL);
        int rc = nines_config_check_known (cfg, known);
        CHECK_RC (rc, cases [i].want ? NINES_ECONFIG : 0);
        if (cases [i].want && !strstr (nines_config_error (cfg), cases [i].want))
            fprintf (stderr, "case %zu: got '%s', want '%s'\n", i, nines_config_error (cfg), cases [i].want);
        CHECK (!cases [i].want || strstr (nines_config_error (cfg), cases [i].want));
        /*  no suggestion when nothing is close */
        if (i == 5)
            CHECK (!strstr (nines_config_error (cfg), "did you mean"));
        nines_config_destroy (&cfg);
    }
}

/*  The id index against a linear scan: puts, gets, deletes (backward
    shift) with clustered homes in a small table, over a ring reused as the
    engine reuses its seen ring. */
static void
test_idmap (void)
{
    enum { N = 300, RING = 40 };
    static uint8_t ids [N][32];
    uint8_t ring [RING][32];
    memset (ring, 0, sizeof ring);
    for (int i = 0; i < N; i++) {
        memset (ids [i], 0, 32);
        /* the first 8 bytes collide in groups of 4: long probe chains */
        ids [i][0] = (uint8_t) (i / 4);
        ids [i][31] = (uint8_t) i;
        ids [i][30] = (uint8_t) (i >> 8);
    }
    nines_idmap_t m;
    CHECK_RC (nines_idmap_init (&m, RING, 0, ring, 32), 0);
    CHECK_EQ (m.mask + 1, (size_t) 128);
    int bad = 0;
    for (int i = 0; i < N; i++) {
        uint32_t at = (uint32_t) (i % RING);
        if (i >= RING)
            nines_idmap_del (&m, at);           /* forget the id the slot held */
        memcpy (ring [at], ids [i], 32);
        nines_idmap_put (&m, at);
        for (int k = 0; k < N; k++) {
            long want = k <= i && k > i - RING ? (long) (k % RING) : -1;
            bad += nines_idmap_get (&m, ids [k]) != want;
        }
    }
    CHECK_EQ (bad, 0);
    nines_idmap_del (&m, 0);                    /* twice: the second is a no-op */
    nines_idmap_del (&m, 0);
    CHECK_EQ (nines_idmap_get (&m, ring [0]), -1);
    CHECK_EQ (nines_idmap_get (&m, ring [1]), 1);
    nines_idmap_destroy (&m);
    nines_idmap_destroy (&m);
    CHECK (m.slot == NULL);
}

/*  nines_grow: unchanged below cap, first then doubling, the items kept,
    and NULL (cap and items untouched) where the size would overflow. */
static void
test_grow (void)
{
    size_t cap = 0;
    int *a = nines_grow (NULL, &cap, 0, sizeof *a, 4);
    CHECK (a != NULL);
    CHECK_EQ (cap, 4);
    for (int i = 0; i < 4; i++)
        a [i] = i + 1;
    CHECK (nines_grow (a, &cap, 3, sizeof *a, 4) == a);
    CHECK_EQ (cap, 4);
    int *b = nines_grow (a, &cap, 4, sizeof *a, 4);
    CHECK (b != NULL);
    CHECK_EQ (cap, 8);
    CHECK_EQ (b [0] + b [1] + b [2] + b [3], 10);
    size_t huge = SIZE_MAX / 8 + 2;            /* 2 * huge * sizeof (int) wraps to 8 */
    CHECK (nines_grow (b, &huge, huge, sizeof *b, 4) == NULL);
    CHECK_EQ (huge, SIZE_MAX / 8 + 2);
    free (b);
}

int
main (void)
{
    RUN (test_bytes);
    RUN (test_grow);
    RUN (test_idmap);
    RUN (test_errors);
    RUN (test_config);
    RUN (test_config_negative);
    RUN (test_config_known);
    RUN (test_log_level);
    RUN (test_ratelimit);
    return t_done ("test_base");
}
