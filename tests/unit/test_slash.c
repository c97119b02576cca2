/*  Fixed-point slashing math against a double-precision reference, the
    exact integer vectors of proto/slash-vectors.txt, and the pseudo-code of
    proto/LEDGER.md ("Fixed-point arithmetic") transcribed here with the
    constants read from the vectors, compared step by step with the C.
    `test_slash --write FILE` regenerates the vectors (review the diff). */
#include "proto/slash.h"
#include "testutil.h"
#include <math.h>

typedef unsigned __int128 u128;

#define H (3600000ULL)
#define MIN (60000ULL)

static double
s_sigma (double x)
{
    return 1.0 / (1.0 + exp (-x));
}

static double
s_ref_weight (double d, double d_mid, double s)
{
    double b = s_sigma (-d_mid / s);
    return (s_sigma ((d - d_mid) / s) - b) / (1.0 - b);
}

/*  S over 0..48 h at 1 s steps: error at most 1 ppm against the double
    reference (the measured maximum is printed), and non-decreasing. */
static void
t_weight_vs_double (void)
{
    static const uint64_t shapes [][2] = { { 2 * H, 30 * MIN }, { 1 * H, 10 * MIN }, { 6 * H, 2 * H } };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes [0]; k++) {
        double max_err = 0;
        uint32_t prev = 0;
        int bad_order = 0;
        for (uint64_t d = 0; d <= 48 * H; d += 1000) {
            uint32_t w = nines_slash_weight_ppb (d, shapes [k][0], shapes [k][1]);
            double ref = s_ref_weight ((double) d, (double) shapes [k][0], (double) shapes [k][1]);
            double err = fabs ((double) w / 1e9 - ref);
            if (err > max_err)
                max_err = err;
            if (w < prev)
                bad_order++;
            prev = w;
        }
        fprintf (stderr, "  d_mid %llu ms, s %llu ms: max |S_fixed - S_double| = %.3g (%.4f ppm)\n",
                 (unsigned long long) shapes [k][0], (unsigned long long) shapes [k][1], max_err, max_err * 1e6);
        CHECK (max_err <= 1e-6);
        CHECK_EQ (bad_order, 0);
    }
    /* the anchors of DESIGN.md section 8 */
    CHECK_EQ (nines_slash_weight_ppb (0, 2 * H, 30 * MIN), 0);
    CHECK (llabs ((long long) nines_slash_weight_ppb (1 * H, 2 * H, 30 * MIN) - 100000000LL) < 10000000);
    CHECK (llabs ((long long) nines_slash_weight_ppb (2 * H, 2 * H, 30 * MIN) - 490000000LL) < 10000000);
    CHECK (llabs ((long long) nines_slash_weight_ppb (4 * H, 2 * H, 30 * MIN) - 980000000LL) < 10000000);
    CHECK_EQ (nines_slash_weight_ppb (1000 * H, 2 * H, 30 * MIN), 1000000000);
    /* degenerate scale: a step at d_mid */
    CHECK_EQ (nines_slash_weight_ppb (H, 2 * H, 0), 0);
    CHECK_EQ (nines_slash_weight_ppb (2 * H, 2 * H, 0), 1000000000);
    /* d_mid = s = 0: the step at 0, every downtime fully weighted */
    CHECK_EQ (nines_slash_weight_ppb (0, 0, 0), 0);
    CHECK_EQ (nines_slash_weight_ppb (1, 0, 0), 1000000000);
    CHECK_EQ (nines_slash_weight_ppb (H, 0, 0), 1000000000);
}

static void
t_exp_and_nines (void)
{
    double max_err = 0;
    for (uint64_t n = 0; n <= 40000; n += 7) {
        double ref = exp (-(double) n / 1000.0);
        double got = (double) nines_exp_neg_q62 (n, 1000) / (double) NINES_Q62_ONE;
        if (fabs (got - ref) > max_err)
            max_err = fabs (got - ref);
    }
    CHECK (max_err < 1e-15);
    CHECK_EQ (nines_exp_neg_q62 (1, 0), 0);
    CHECK_EQ (nines_exp_neg_q62 (0, 5), NINES_Q62_ONE);
    /* log2 */
    CHECK_EQ (nines_log2_q32 (1), 0);
    CHECK_EQ (nines_log2_q32 (1024), 10ULL << 32);
    CHECK (llabs ((long long) nines_log2_q32 (3) - (long long) (log2 (3.0) * 4294967296.0)) <= 2);
    /* nines: 30 d window */
    uint64_t w = 30 * 24 * H;
    CHECK_EQ (nines_nines_micro (0, w), NINES_NINES_MAX);
    CHECK_EQ (nines_nines_micro (w, w), 0);
    CHECK (llabs ((long long) nines_nines_micro (w / 1000, w) - 3000000) <= 1);
    double ref = -log10 (43.0 * MIN / (double) w) * 1e6;
    CHECK (fabs ((double) nines_nines_micro (43 * MIN, w) - ref) <= 1.0);
    CHECK_EQ (nines_allowed_downtime_ms (w, 3000000), 2592000);
    CHECK (llabs ((long long) nines_allowed_downtime_ms (w, 2000000) - 25920000) <= 1);
    CHECK (llabs ((long long) nines_allowed_downtime_ms (w, 4500000) - (long long) (w * pow (10, -4.5))) <= 1);
    CHECK_EQ (nines_allowed_downtime_ms (w, 0), w - 0 * 1);
    /* refund: nothing owed inside the target, the slash of the excess beyond */
    nines_params_t p;
    nines_params_default (&p);
    uint64_t excess = 1;
    CHECK_EQ (nines_refund (&p, 1000000, 2592000, w, 3000000, &excess), 0);
    CHECK_EQ (excess, 0);
    CHECK_EQ (nines_refund (&p, 1000000, 2592000 + 2 * H, w, 3000000, &excess),
              nines_slash_for (&p, 1000000, 2 * H));
    CHECK_EQ (excess, 2 * H);
}

static void
t_amount (void)
{
    CHECK_EQ (nines_slash_amount (1000000, 100000, 1000000000), 100000);
    CHECK_EQ (nines_slash_amount (UINT64_MAX, 1000000, 1000000000), UINT64_MAX);
    CHECK_EQ (nines_slash_amount (UINT64_MAX, 2000000, 2000000000), UINT64_MAX);
    CHECK_EQ (nines_slash_amount (999, 100000, 500000000), 49);   /* floor(49.95) */
    nines_params_t p;
    nines_params_default (&p);
    CHECK_EQ (nines_slash_for (&p, 1000000, 0), 0);
    CHECK_EQ (nines_slash_for (&p, 1000000, 100 * H), 100000);
}

/*  One vector a line: "S d_ms d_mid_ms s_ms weight_ppb", "A stake max_slash_ppm
    weight_ppb amount", "N down_ms window_ms nines_micro", "D window_ms
    nines_micro allowed_ms".  '#' starts a comment. */
static const uint64_t vec_d [] = { 0, 1, 1000, 60000, 300000, 900000, 1800000, 3600000, 5400000,
    7199999, 7200000, 7200001, 9000000, 10800000, 14400000, 21600000, 43200000, 86400000, 172800000 };

/*  Decimal text of a 128-bit value (static buffer, one at a time). */
static const char *
s_u128_str (u128 v)
{
    static char text [48];
    char *p = text + sizeof text - 1;
    *p = 0;
    do {
        *--p = (char) ('0' + (int) (v % 10));
        v /= 10;
    } while (v);
    return p;
}

static void
s_write_g (FILE *f, uint64_t a, uint64_t b, uint64_t sc)
{
    nines_exp_trace_t t;
    uint64_t sigma = nines_sigmoid_q62_trace (a, b, sc, &t);
    fprintf (f, "G %llu %llu %llu %s %llu %llu %llu %u %d %llu %llu\n", (unsigned long long) a,
             (unsigned long long) b, (unsigned long long) sc, s_u128_str (t.y), (unsigned long long) t.k,
             (unsigned long long) t.r, (unsigned long long) t.e_r, t.terms, t.cut,
             (unsigned long long) t.value, (unsigned long long) sigma);
}

static void
s_write (const char *path)
{
    FILE *f = fopen (path, "w");
    if (!f) {
        perror (path);
        exit (2);
    }
    fprintf (f, "# nines slashing vectors (DESIGN.md section 8; the algorithm is the\n"
                "# pseudo-code of proto/LEDGER.md \"Fixed-point arithmetic\", which defines\n"
                "# every line type).  Generated by test_slash --write.\n"
                "# K name value                           a constant of the pseudo-code\n"
                "# S d_ms d_mid_ms s_ms weight_ppb       S(d) in ppb, floor\n"
                "# A stake max_slash_ppm weight_ppb amount   floor(stake*ppm*ppb/1e15)\n"
                "# N down_ms window_ms nines_micro        -log10(down/window) * 1e6, floor\n"
                "# D window_ms nines_micro allowed_ms     window * 10^-nines, nearest ms\n"
                "# G a b s y k r e_r terms cut neg sigma  sigmoid(a, b, s) step by step\n"
                "# X window n y k r e_r terms cut f allowed   allowed(window, n) step by step\n"
                "# L v log2_q32                           floor(log2(v) * 2^32)\n");
    fprintf (f, "K Q %d\nK LN2_Q62 %llu\nK LN10_Q62 %llu\nK LOG10_2_Q62 %llu\nK Y_MAX %d\n"
                "K TAYLOR_N %d\nK NINES_MAX %llu\nK PPM %llu\nK PPB %llu\n",
             NINES_Q62_BITS, NINES_LN2_Q62, NINES_LN10_Q62, NINES_LOG10_2_Q62, NINES_EXP_Y_MAX,
             NINES_EXP_TERMS_MAX, NINES_NINES_MAX, NINES_PPM, NINES_PPB);
    static const uint64_t shapes [][2] = { { 2 * H, 30 * MIN }, { 1 * H, 10 * MIN }, { 0, 30 * MIN } };
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof vec_d / sizeof vec_d [0]; i++)
            fprintf (f, "S %llu %llu %llu %u\n", (unsigned long long) vec_d [i],
                     (unsigned long long) shapes [k][0], (unsigned long long) shapes [k][1],
                     nines_slash_weight_ppb (vec_d [i], shapes [k][0], shapes [k][1]));
    static const uint64_t steps [][2] = { { 0, 0 }, { 1, 0 }, { 7200000, 0 }, { 7199999, 7200000 }, { 7200000, 7200000 } };
    for (size_t i = 0; i < 5; i++)
        fprintf (f, "S %llu %llu 0 %u\n", (unsigned long long) steps [i][0], (unsigned long long) steps [i][1],
                 nines_slash_weight_ppb (steps [i][0], steps [i][1], 0));
    static const uint64_t stakes [] = { 1, 999, 1000000, 123456789012ULL, UINT64_MAX };
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < sizeof vec_d / sizeof vec_d [0]; j += 3) {
            uint32_t w = nines_slash_weight_ppb (vec_d [j], 2 * H, 30 * MIN);
            fprintf (f, "A %llu 100000 %u %llu\n", (unsigned long long) stakes [i], w,
                     (unsigned long long) nines_slash_amount (stakes [i], 100000, w));
        }
    uint64_t w = 30 * 24 * H;
    static const uint64_t downs [] = { 0, 1, 1000, 60000, 2592000, 3600000, 86400000, 2592000000ULL };
    for (size_t i = 0; i < 8; i++)
        fprintf (f, "N %llu %llu %llu\n", (unsigned long long) downs [i], (unsigned long long) w,
                 (unsigned long long) nines_nines_micro (downs [i], w));
    static const uint64_t nines [] = { 0, 1000000, 2000000, 3000000, 3500000, 4000000, 5000000, 9000000 };
    for (size_t i = 0; i < 8; i++)
        fprintf (f, "D %llu %llu %llu\n", (unsigned long long) w, (unsigned long long) nines [i],
                 (unsigned long long) nines_allowed_downtime_ms (w, nines [i]));
    /* the steps: sigma(d, d_mid) for the default shape and sigma(0, d_mid)
       of each shape; 10^-n of the D lines plus cut-offs; log2 of the N lines */
    for (size_t i = 0; i < sizeof vec_d / sizeof vec_d [0]; i++)
        s_write_g (f, vec_d [i], 2 * H, 30 * MIN);
    for (size_t k = 1; k < 3; k++)       /* shape 0's is the first line */
        s_write_g (f, 0, shapes [k][0], shapes [k][1]);
    s_write_g (f, 0, 1000 * H, MIN);                     /* y past Y_MAX */
    s_write_g (f, 0, 45 * MIN, MIN);                     /* k >= 64 */
    s_write_g (f, 5, 5, 0);                              /* s = 0 */
    static const uint64_t nines_x [] = { 0, 1000000, 3000000, 3500000, 9000000, 19000000, 20000000, 28000000 };
    for (size_t i = 0; i < sizeof nines_x / sizeof nines_x [0]; i++) {
        nines_exp_trace_t t;
        uint64_t a = nines_allowed_downtime_trace (w, nines_x [i], &t);
        fprintf (f, "X %llu %llu %s %llu %llu %llu %u %d %llu %llu\n", (unsigned long long) w,
                 (unsigned long long) nines_x [i], s_u128_str (t.y), (unsigned long long) t.k,
                 (unsigned long long) t.r, (unsigned long long) t.e_r, t.terms, t.cut,
                 (unsigned long long) t.value, (unsigned long long) a);
    }
    static const uint64_t logs [] = { 1, 2, 3, 1000, 60000, 2592000, 3600000, 86400000, 2592000000ULL,
                                      (1ULL << 62) + 1, UINT64_MAX };
    for (size_t i = 0; i < sizeof logs / sizeof logs [0]; i++)
        fprintf (f, "L %llu %llu\n", (unsigned long long) logs [i], (unsigned long long) nines_log2_q32 (logs [i]));
    fclose (f);
}

static void
t_vectors (void)
{
    const char *root = getenv ("NINES_SOURCE_ROOT");
    char path [1024];
    snprintf (path, sizeof path, "%s/proto/slash-vectors.txt", root ? root : ".");
    FILE *f = fopen (path, "r");
    CHECK (f != NULL);
    if (!f)
        return;
    char line [256];
    int n = 0;
    while (fgets (line, sizeof line, f)) {
        unsigned long long a, b, c, d, e;
        if (line [0] == '#' || line [0] == '\n')
            continue;
        if (sscanf (line, "S %llu %llu %llu %llu", &a, &b, &c, &d) == 4)
            CHECK_EQ (nines_slash_weight_ppb (a, b, c), d);
        else
        if (sscanf (line, "A %llu %llu %llu %llu", &a, &b, &c, &d) == 4) {
            CHECK (nines_slash_amount (a, (uint32_t) b, (uint32_t) c) == d);
        }
        else
        if (sscanf (line, "N %llu %llu %llu", &a, &b, &c) == 3)
            CHECK_EQ (nines_nines_micro (a, b), c);
        else
        if (sscanf (line, "D %llu %llu %llu", &a, &b, &c) == 3)
            CHECK_EQ (nines_allowed_downtime_ms (a, b), c);
        else
        if (strchr ("KGXL", line [0]) && line [1] == ' ')
            ;                        /* t_spec's */
        else {
            (void) e;
            CHECK (!"unparsable vector line");
            fprintf (stderr, "  %s", line);
        }
        n++;
    }
    fclose (f);
    CHECK (n > 50);
}

/*  ---- proto/LEDGER.md "Fixed-point arithmetic", transcribed ----

    The functions below follow the pseudo-code of LEDGER.md, not slash.c,
    and take every constant from the K lines of the vectors; t_spec checks
    those against LEDGER.md's CONST lines, against the C's and against a
    derivation from series, then compares every intermediate value. */

typedef struct {
    uint64_t q, ln2, ln10, log10_2, y_max, taylor_n, nines_max, ppm, ppb;
    int seen;
} spec_t;

static spec_t K;

static int
s_spec_set (spec_t *k, const char *name, uint64_t v)
{
    static const char *names [] = { "Q", "LN2_Q62", "LN10_Q62", "LOG10_2_Q62", "Y_MAX", "TAYLOR_N",
                                    "NINES_MAX", "PPM", "PPB" };
    uint64_t *slot [] = { &k->q, &k->ln2, &k->ln10, &k->log10_2, &k->y_max, &k->taylor_n,
                          &k->nines_max, &k->ppm, &k->ppb };
    for (int i = 0; i < 9; i++)
        if (strcmp (name, names [i]) == 0) {
            *slot [i] = v;
            k->seen |= 1 << i;
            return 0;
        }
    return -1;
}

static uint64_t
sp_exp_small (uint64_t r, unsigned *terms)
{
    u128 one = (u128) 1 << K.q, sum = one, term = one;
    *terms = 0;
    for (uint64_t n = 1; n <= K.taylor_n - 1; n++) {
        term = ((term * r) >> K.q) / n;
        if (term == 0)
            break;
        sum = sum + term;
        ++*terms;
    }
    return (uint64_t) sum;
}

/*  reduce(y, kmax) and e^r into *t; false for CUT. */
static bool
sp_reduce (u128 y, uint64_t kmax, nines_exp_trace_t *t)
{
    memset (t, 0, sizeof *t);
    t->y = y;
    if (y >= (u128) K.y_max << K.q) {
        t->cut = 1;
        return false;
    }
    u128 k = y / K.ln2;
    if (k >= kmax) {
        t->cut = 1;
        return false;
    }
    t->k = (uint64_t) k;
    t->r = (uint64_t) (y - k * K.ln2);
    t->e_r = sp_exp_small (t->r, &t->terms);
    return true;
}

static uint64_t
sp_sigmoid (uint64_t a, uint64_t b, uint64_t sc, nines_exp_trace_t *t)
{
    uint64_t one = 1ULL << K.q;
    memset (t, 0, sizeof *t);
    if (sc == 0)
        return a >= b ? one : 0;
    u128 y = ((u128) (a >= b ? a - b : b - a) << K.q) / sc;
    if (sp_reduce (y, 64, t))
        t->value = (uint64_t) (((u128) 1 << (2 * K.q)) / ((u128) one + ((u128) t->e_r << t->k)));
    return a >= b ? one - t->value : t->value;
}

static uint64_t
sp_weight (uint64_t d, uint64_t d_mid, uint64_t sc)
{
    nines_exp_trace_t t;
    if (d == 0)
        return 0;
    uint64_t sa = sp_sigmoid (d, d_mid, sc, &t);
    uint64_t sb = sp_sigmoid (0, d_mid, sc, &t);
    uint64_t den = (1ULL << K.q) - sb;
    if (den == 0)
        return K.ppb;
    if (sa <= sb)
        return 0;
    u128 w = ((u128) (sa - sb) * K.ppb) / den;
    return w < K.ppb ? (uint64_t) w : K.ppb;
}

static uint64_t
sp_amount (uint64_t stake, uint64_t ppm, uint64_t ppb)
{
    u128 p = ppm < K.ppm ? ppm : K.ppm, w = ppb < K.ppb ? ppb : K.ppb;
    u128 a = ((u128) stake * p * w) / ((u128) K.ppm * K.ppb);
    return a < stake ? (uint64_t) a : stake;
}

static uint64_t
sp_log2 (uint64_t v)
{
    if (v == 0)
        return 0;
    uint64_t ip = 63;
    while (!(v >> ip))
        ip--;
    u128 one = (u128) 1 << K.q;
    u128 m = ip <= K.q ? (u128) v << (K.q - ip) : (u128) v >> (ip - K.q);
    uint64_t frac = 0;
    for (int bit = 31; bit >= 0; bit--) {
        m = (m * m) >> K.q;
        if (m >= 2 * one) {
            m = m >> 1;
            frac = frac + (1ULL << bit);
        }
    }
    return (ip << 32) + frac;
}

static uint64_t
sp_nines (uint64_t down, uint64_t window)
{
    if (down >= window)
        return 0;
    if (down == 0)
        return K.nines_max;
    u128 l = sp_log2 (window) - sp_log2 (down);
    u128 n = (l * K.log10_2 * K.ppm) >> (32 + K.q);
    return n < K.nines_max ? (uint64_t) n : K.nines_max;
}

static uint64_t
sp_allowed (uint64_t window, uint64_t n, nines_exp_trace_t *t)
{
    u128 y = ((u128) n * K.ln10) / K.ppm;
    if (sp_reduce (y, 63, t))
        t->value = (uint64_t) ((((u128) 1 << (2 * K.q)) / t->e_r) >> t->k);
    return (uint64_t) (((u128) window * t->value + ((u128) 1 << (K.q - 1))) >> K.q);
}

/*  The constants again from series, to 120 bits: ln 2 = Σ 1/(k 2^k),
    ln 10 = 3 ln 2 + 2 atanh(1/9), log10 2 = ln 2 / ln 10 (long division),
    each rounded to Q62. */
static void
s_derive (uint64_t *ln2, uint64_t *ln10, uint64_t *log10_2)
{
    u128 l2 = 0, at = 0;
    for (unsigned k = 1; k < 120; k++)
        l2 += ((u128) 1 << (120 - k)) / k;
    u128 p = ((u128) 1 << 120) / 9;
    for (unsigned j = 0; p; j++, p /= 81)
        at += p / (2 * j + 1);
    u128 l10 = 3 * l2 + 2 * at;
    *ln2 = (uint64_t) ((l2 + ((u128) 1 << 57)) >> 58);
    *ln10 = (uint64_t) ((l10 + ((u128) 1 << 57)) >> 58);
    u128 rem = l2, q = 0;
    for (int i = 0; i < 63; i++) {
        rem <<= 1;
        q <<= 1;
        if (rem >= l10) {
            rem -= l10;
            q |= 1;
        }
    }
    *log10_2 = (uint64_t) ((q + 1) >> 1);
}

static u128
s_u128_parse (const char *text)
{
    u128 v = 0;
    for (; *text >= '0' && *text <= '9'; text++)
        v = v * 10 + (unsigned) (*text - '0');
    return v;
}

static bool
s_trace_eq (const nines_exp_trace_t *a, const nines_exp_trace_t *b)
{
    return a->y == b->y && a->k == b->k && a->r == b->r && a->e_r == b->e_r
        && a->terms == b->terms && a->cut == b->cut && a->value == b->value;
}

/*  A G or X line's trace fields from tokens tok [0..6]. */
static void
s_trace_of (char **tok, nines_exp_trace_t *t)
{
    memset (t, 0, sizeof *t);
    t->y = s_u128_parse (tok [0]);
    t->k = strtoull (tok [1], NULL, 10);
    t->r = strtoull (tok [2], NULL, 10);
    t->e_r = strtoull (tok [3], NULL, 10);
    t->terms = (unsigned) strtoul (tok [4], NULL, 10);
    t->cut = atoi (tok [5]);
    t->value = strtoull (tok [6], NULL, 10);
}

static FILE *
s_open_proto (const char *name)
{
    const char *root = getenv ("NINES_SOURCE_ROOT");
    char path [1024];
    snprintf (path, sizeof path, "%s/proto/%s", root ? root : ".", name);
    FILE *f = fopen (path, "r");
    if (!f)
        fprintf (stderr, "  cannot open %s\n", path);
    return f;
}

static void
t_spec (void)
{
    /* 1. The constants: LEDGER.md's CONST lines, the vectors' K lines, the
       C's #defines and the series must all agree. */
    spec_t doc = { 0 };
    FILE *f = s_open_proto ("LEDGER.md");
    CHECK (f != NULL);
    char line [1024], name [64];
    unsigned long long v;
    while (f && fgets (line, sizeof line, f)) {
        char *c = strstr (line, "CONST ");
        if (c && sscanf (c, "CONST %63s = %llu", name, &v) == 2)
            CHECK_RC (s_spec_set (&doc, name, v), 0);
    }
    if (f)
        fclose (f);
    f = s_open_proto ("slash-vectors.txt");
    CHECK (f != NULL);
    if (!f)
        return;
    memset (&K, 0, sizeof K);
    while (fgets (line, sizeof line, f))
        if (sscanf (line, "K %63s %llu", name, &v) == 2)
            CHECK_RC (s_spec_set (&K, name, v), 0);
    CHECK_EQ (K.seen, 0x1ff);
    CHECK_EQ (doc.seen, 0x1ff);
    CHECK (memcmp (&doc, &K, sizeof K) == 0);
    CHECK_EQ (K.q, NINES_Q62_BITS);
    CHECK_EQ (K.ln2, NINES_LN2_Q62);
    CHECK_EQ (K.ln10, NINES_LN10_Q62);
    CHECK_EQ (K.log10_2, NINES_LOG10_2_Q62);
    CHECK_EQ (K.y_max, NINES_EXP_Y_MAX);
    CHECK_EQ (K.taylor_n, NINES_EXP_TERMS_MAX);
    CHECK_EQ (K.nines_max, NINES_NINES_MAX);
    CHECK_EQ (K.ppm, NINES_PPM);
    CHECK_EQ (K.ppb, NINES_PPB);
    CHECK_EQ (1ULL << K.q, NINES_Q62_ONE);
    uint64_t ln2, ln10, log10_2;
    s_derive (&ln2, &ln10, &log10_2);
    CHECK_EQ (K.ln2, ln2);
    CHECK_EQ (K.ln10, ln10);
    CHECK_EQ (K.log10_2, log10_2);
    if (K.seen != 0x1ff || K.q != 62) {
        fclose (f);
        return;
    }

    /* 2. Every line: the transcription gives the file's value, and for G
       and X lines the C's steps are the file's steps. */
    rewind (f);
    int n = 0;
    while (fgets (line, sizeof line, f)) {
        char *tok [16];
        int nt = 0;
        for (char *t = strtok (line, " \n"); t && nt < 16; t = strtok (NULL, " \n"))
            tok [nt++] = t;
        if (nt == 0 || tok [0][0] == '#')
            continue;
        uint64_t x [12] = { 0 };
        for (int i = 1; i < nt && i < 12; i++)
            x [i] = strtoull (tok [i], NULL, 10);
        nines_exp_trace_t want, got, lib;
        n++;
        switch (tok [0][0]) {
            case 'S': CHECK_EQ (sp_weight (x [1], x [2], x [3]), x [4]); break;
            case 'A': CHECK_EQ (sp_amount (x [1], x [2], x [3]), x [4]); break;
            case 'N': CHECK_EQ (sp_nines (x [1], x [2]), x [3]); break;
            case 'D': CHECK_EQ (sp_allowed (x [1], x [2], &got), x [3]); break;
            case 'L':
                CHECK_EQ (sp_log2 (x [1]), x [2]);
                CHECK_EQ (nines_log2_q32 (x [1]), x [2]);
                break;
            case 'G':
                CHECK_EQ (nt, 12);
                if (nt != 12)
                    break;
                s_trace_of (tok + 4, &want);
                CHECK_EQ (sp_sigmoid (x [1], x [2], x [3], &got), x [11]);
                CHECK_EQ (nines_sigmoid_q62_trace (x [1], x [2], x [3], &lib), x [11]);
                CHECK (s_trace_eq (&got, &want));
                CHECK (s_trace_eq (&lib, &want));
                break;
            case 'X':
                CHECK_EQ (nt, 11);
                if (nt != 11)
                    break;
                s_trace_of (tok + 3, &want);
                CHECK_EQ (sp_allowed (x [1], x [2], &got), x [10]);
                CHECK_EQ (nines_allowed_downtime_trace (x [1], x [2], &lib), x [10]);
                CHECK (s_trace_eq (&got, &want));
                CHECK (s_trace_eq (&lib, &want));
                break;
            case 'K': break;
            default: CHECK (!"unknown vector line"); break;
        }
    }
    fclose (f);
    CHECK (n > 100);

    /* 3. A sweep beyond the vectors: transcription and C agree on every
       step, and the Taylor loop never meets its bound. */
    static const uint64_t shapes [][2] = { { 2 * H, 30 * MIN }, { 1 * H, 10 * MIN }, { 0, 30 * MIN },
                                           { 6 * H, 2 * H }, { 2 * H, 0 }, { 0, 0 }, { 48 * H, 1 } };
    unsigned max_terms = 0;
    size_t diff = 0;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes [0]; k++)
        for (uint64_t d = 0; d <= 48 * H; d += 997) {
            nines_exp_trace_t a, b;
            sp_sigmoid (d, shapes [k][0], shapes [k][1], &a);
            nines_sigmoid_q62_trace (d, shapes [k][0], shapes [k][1], &b);
            diff += !s_trace_eq (&a, &b);
            diff += sp_weight (d, shapes [k][0], shapes [k][1])
                 != nines_slash_weight_ppb (d, shapes [k][0], shapes [k][1]);
            if (a.terms > max_terms)
                max_terms = a.terms;
        }
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;             /* xorshift64 */
        uint64_t stake = x, ppm = x % 1100000, ppb = (x >> 20) % 1100000000ULL;
        uint64_t window = (x >> 3) | 1, down = (x >> (x & 63)) % (window + 2), n = x % 30000000;
        nines_exp_trace_t a, b;
        diff += sp_amount (stake, ppm, ppb) != nines_slash_amount (stake, (uint32_t) ppm, (uint32_t) ppb);
        diff += sp_nines (down, window) != nines_nines_micro (down, window);
        diff += sp_allowed (window, n, &a) != nines_allowed_downtime_trace (window, n, &b);
        diff += !s_trace_eq (&a, &b);
        if (a.terms > max_terms)
            max_terms = a.terms;
    }
    fprintf (stderr, "  transcription vs C: %zu differences; at most %u Taylor terms (bound %llu)\n",
             diff, max_terms, (unsigned long long) K.taylor_n - 1);
    CHECK_EQ (diff, 0);
    CHECK (max_terms < K.taylor_n - 1);
}

/*  Availability in ppm, the unit ninesd's and the ledger's nines queries
    share: the down fraction rounds up, so any downtime shows. */
static void
t_availability_ppm (void)
{
    CHECK_EQ (nines_availability_ppm (0, 1000), 1000000);
    CHECK_EQ (nines_availability_ppm (1000, 1000), 0);
    CHECK_EQ (nines_availability_ppm (2000, 1000), 0);
    CHECK_EQ (nines_availability_ppm (1, 3000000), 999999);          /* 1/3 ppm rounds up */
    CHECK_EQ (nines_availability_ppm (2592000, 2592000000ULL), 999000);  /* 43.2 min of 30 d: 3 nines */
    CHECK_EQ (nines_availability_ppm (5, 0), 1000000);
    CHECK_EQ (nines_nines_micro (2592000, 2592000000ULL), 3000000);   /* exactly 3 nines */
}

int
main (int argc, char **argv)
{
    if (argc == 3 && strcmp (argv [1], "--write") == 0) {
        s_write (argv [2]);
        return 0;
    }
    RUN (t_availability_ppm);
    RUN (t_weight_vs_double);
    RUN (t_exp_and_nines);
    RUN (t_amount);
    RUN (t_vectors);
    RUN (t_spec);
    return t_done ("slash");
}
