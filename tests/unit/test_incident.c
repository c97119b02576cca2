/*  The incident rules of src/proto/incident.c (proto/LEDGER.md): the merge
    gap and the correlated-outage rule, with hand-computed expectations. */
#include "proto/incident.h"
#include "testutil.h"

static void
test_merge_gap (void)
{
    nines_params_t p;
    nines_params_default (&p);
    p.merge_factor = 24;
    p.merge_min_ms = 15 * 60000ULL;
    p.merge_max_ms = 7 * 86400000ULL;
    CHECK_EQ (nines_merge_gap_ms (&p, 0), 15 * 60000ULL);               /* clamp low */
    CHECK_EQ (nines_merge_gap_ms (&p, 3600000), 24 * 3600000ULL);       /* an hour down: a day */
    CHECK_EQ (nines_merge_gap_ms (&p, 86400000), 7 * 86400000ULL);      /* clamp high */
    CHECK_EQ (nines_merge_gap_ms (&p, UINT64_MAX), 7 * 86400000ULL);    /* no overflow */
}

static void
test_corr_need (void)
{
    CHECK_EQ (nines_corr_need (0), 3);
    CHECK_EQ (nines_corr_need (15), 3);         /* 20 % = 3 */
    CHECK_EQ (nines_corr_need (16), 4);         /* 3.2 rounds up */
    CHECK_EQ (nines_corr_need (100), 20);
}

static uint8_t s_ids [8][NINES_ID_BYTES];

static const uint8_t *
s_id (int k)
{
    memset (s_ids [k], k + 1, NINES_ID_BYTES);
    return s_ids [k];
}

static void
test_correlate (void)
{
    const uint64_t W = 300000;
    /* pods 0..4 of 10 registered (need 3); providers 5, 6, 7 */
    nines_down_t d [6] = {
        { 1000000, s_id (0), s_id (5) },
        { 1000000 + W, s_id (1), s_id (6) },     /* exactly W later: in the window */
        { 1000000 + 10, s_id (2), s_id (7) },
        { 1000000 + 20, s_id (0), s_id (5) },    /* pod 0 again: counts once */
        { 1000000 + W + 1, s_id (3), s_id (5) }, /* outside the first window only */
        { 9000000, s_id (4), s_id (6) },         /* alone, much later */
    };
    bool c [6];
    CHECK_RC (nines_correlate (d, 6, 10, W, c), 0);
    CHECK (c [0] && c [1] && c [2] && c [3]);
    /* windows starting at 1000010 and 1000020 hold pods 2, 0, 1, 3 of
       providers 7, 5, 6: the DOWN at W + 1 is flagged too */
    CHECK (c [4]);
    CHECK (!c [5]);

    /* two providers only: nothing */
    nines_down_t e [3] = {
        { 0, s_id (0), s_id (5) }, { 1, s_id (1), s_id (6) }, { 2, s_id (2), s_id (6) },
    };
    CHECK_RC (nines_correlate (e, 3, 10, W, c), 0);
    CHECK (!c [0] && !c [1] && !c [2]);
    /* an unknown provider counts as a pod, not a provider */
    e [2].provider = NULL;
    CHECK_RC (nines_correlate (e, 3, 10, W, c), 0);
    CHECK (!c [2]);
    e [2].provider = s_id (7);
    CHECK_RC (nines_correlate (e, 3, 10, W, c), 0);
    CHECK (c [0] && c [1] && c [2]);
    /* 16 pods registered: need 4 distinct pods */
    CHECK_RC (nines_correlate (e, 3, 16, W, c), 0);
    CHECK (!c [0]);
    CHECK_RC (nines_correlate (e, 0, 16, W, c), 0);
}

int
main (void)
{
    RUN (test_merge_gap);
    RUN (test_corr_need);
    RUN (test_correlate);
    return t_done ("test_incident");
}
