/*  Evidence verification throughput of the ledger against the raw
    libsodium loop it cannot beat: for quorum reports of 7 and 32 votes,
    nines_ledger_verify_evidence (decode excluded: field checks, committee
    recomputation, duplicate check, every signature, weight, times) vs
    crypto_sign_verify_detached over the same signatures and messages.
    The two sides alternate in 0.1 s slices (12 of each) timed in thread
    CPU time, so the other jobs of a shared machine skew neither side.
    Last line:
    "ledger/raw verify ratio: X.XX" (the smaller of the two sizes). */
#include "proto/verify.h"
#include "test_ledger_fixture.h"
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static volatile int sink;

/*  Verifications per second of one evidence of n votes, ledger and raw. */
static void
s_bench (size_t n, double *ledger_rate, double *raw_rate)
{
    lfx_t *f = malloc (sizeof *f);
    lfx_init (f, 96, 2, 2, (uint32_t) n);
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (f, ev, 0, LFX_T0, 0);
    /* the raw side: the same domain || signed bytes, prepared once */
    static uint8_t msgs [NINES_REPORT_MAX_VOTES][NINES_VOTE_SIGNED_MAX + NINES_DOMAIN_MAX];
    size_t lens [NINES_REPORT_MAX_VOTES];
    size_t dl = strlen (NINES_DOMAIN_VOTE);
    for (size_t i = 0; i < ev->down.n_votes; i++) {
        memcpy (msgs [i], NINES_DOMAIN_VOTE, dl);
        memcpy (msgs [i] + dl, ev->down.votes [i].signed_bytes, ev->down.votes [i].signed_len);
        lens [i] = dl + ev->down.votes [i].signed_len;
    }
    if (ev->down.n_votes != n || nines_ledger_verify_evidence (f->reg, ev, NINES_NOW_UNKNOWN, NULL, NULL, NULL, 0)) {
        fprintf (stderr, "bench setup failed for %zu votes\n", n);
        exit (1);
    }
    long l_iters = 0, r_iters = 0;
    double l_time = 0, r_time = 0;
    for (int round = 0; round < 12; round++) {
        double t0 = s_now (), t;
        do {
            for (int k = 0; k < 10; k++)
                sink += nines_ledger_verify_evidence (f->reg, ev, NINES_NOW_UNKNOWN, NULL, NULL, NULL, 0);
            l_iters += 10;
        } while ((t = s_now ()) - t0 < 0.1);
        l_time += t - t0;
        t0 = s_now ();
        do {
            for (int k = 0; k < 10; k++)
                for (size_t i = 0; i < n; i++)
                    sink += crypto_sign_verify_detached (ev->down.votes [i].sig, msgs [i], lens [i],
                                                         ev->down.votes [i].body.validator);
            r_iters += 10;
        } while ((t = s_now ()) - t0 < 0.1);
        r_time += t - t0;
    }
    *ledger_rate = (double) l_iters / l_time;
    *raw_rate = (double) r_iters / r_time;
    free (ev);
    lfx_fini (f);
    free (f);
}

int
main (void)
{
    if (sodium_init () < 0)
        return 1;
    static const size_t sizes [] = { 7, 32 };
    double worst = 1e9;
    for (size_t k = 0; k < 2; k++) {
        double lr, rr;
        s_bench (sizes [k], &lr, &rr);
        double ratio = lr / rr;
        printf ("%2zu votes: ledger %.0f evidence/s (%.0f sig/s), raw %.0f /s (%.0f sig/s), ratio %.3f\n",
                sizes [k], lr, lr * (double) sizes [k], rr, rr * (double) sizes [k], ratio);
        if (ratio < worst)
            worst = ratio;
    }
    printf ("ledger/raw verify ratio: %.2f\n", worst);
    return 0;
}
