/*  Fixed-point slashing math against a double-precision reference, and the
    exact integer vectors of proto/slash-vectors.txt.
    `test_slash --write FILE` regenerates the vectors (review the diff). */
#include "ledger/slash.h"
#include "testutil.h"
#include <math.h>

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

static void
s_write (const char *path)
{
    FILE *f = fopen (path, "w");
    if (!f) {
        perror (path);
        exit (2);
    }
    fprintf (f, "# nines slashing vectors (DESIGN.md section 8; method in src/ledger/slash.h).\n"
                "# S d_ms d_mid_ms s_ms weight_ppb       S(d) in ppb, floor\n"
                "# A stake max_slash_ppm weight_ppb amount   floor(stake*ppm/1e6*ppb/1e9)\n"
                "# N down_ms window_ms nines_micro        -log10(down/window) * 1e6, floor\n"
                "# D window_ms nines_micro allowed_ms     window * 10^-nines, nearest ms\n");
    static const uint64_t shapes [][2] = { { 2 * H, 30 * MIN }, { 1 * H, 10 * MIN }, { 0, 30 * MIN } };
    for (size_t k = 0; k < 3; k++)
        for (size_t i = 0; i < sizeof vec_d / sizeof vec_d [0]; i++)
            fprintf (f, "S %llu %llu %llu %u\n", (unsigned long long) vec_d [i],
                     (unsigned long long) shapes [k][0], (unsigned long long) shapes [k][1],
                     nines_slash_weight_ppb (vec_d [i], shapes [k][0], shapes [k][1]));
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

int
main (int argc, char **argv)
{
    if (argc == 3 && strcmp (argv [1], "--write") == 0) {
        s_write (argv [2]);
        return 0;
    }
    RUN (t_weight_vs_double);
    RUN (t_exp_and_nines);
    RUN (t_amount);
    RUN (t_vectors);
    return t_done ("slash");
}
