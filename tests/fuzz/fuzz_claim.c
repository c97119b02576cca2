/*  Fuzz nines_evm_decode_claim (src/evm/calldata.c: the calldata of a
    claim transaction, which anyone may post on the chain and every
    watcher decodes).  Properties: decoded vote bodies lie inside the
    input, counts are bounded, and the canonical re-encoding
    (nines_evm_calldata_claim) decodes to the same reports and encodes to
    the same bytes again. */
#include "fuzz.h"
#include "evm/calldata.h"

static nines_evm_report_buf_t s_down, s_up, s_down2, s_up2;

static void
s_same (const nines_evm_report_t *a, const nines_evm_report_t *b)
{
    FUZZ_CHECK (a->kind == b->kind && a->epoch == b->epoch && a->t_ms == b->t_ms);
    FUZZ_CHECK (memcmp (a->pod, b->pod, 32) == 0 && memcmp (a->round_id, b->round_id, 32) == 0);
    FUZZ_CHECK (a->n_committee == b->n_committee && a->n_votes == b->n_votes);
    FUZZ_CHECK (memcmp (a->committee, b->committee, a->n_committee * sizeof a->committee [0]) == 0);
    for (size_t i = 0; i < a->n_votes; i++) {
        FUZZ_CHECK (a->votes [i].member == b->votes [i].member && a->votes [i].body_len == b->votes [i].body_len);
        FUZZ_CHECK (memcmp (a->votes [i].body, b->votes [i].body, a->votes [i].body_len) == 0);
        FUZZ_CHECK (memcmp (a->votes [i].r, b->votes [i].r, 32) == 0);
        FUZZ_CHECK (memcmp (a->votes [i].s, b->votes [i].s, 32) == 0);
    }
}

static void
s_inside (const nines_evm_report_t *r, const uint8_t *data, size_t size)
{
    FUZZ_CHECK (r->n_votes <= NINES_REPORT_MAX_VOTES && r->n_committee <= NINES_REPORT_MAX_VOTES);
    for (size_t i = 0; i < r->n_votes; i++)
        FUZZ_CHECK (r->votes [i].body >= data && r->votes [i].body_len <= NINES_VOTE_SIGNED_MAX
                    && r->votes [i].body + r->votes [i].body_len <= data + size);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    uint32_t who, who2;
    const nines_evm_report_t *up, *up2;
    if (nines_evm_decode_claim (data, size, &who, &s_down, &s_up, &up) != 0)
        return 0;
    s_inside (&s_down.report, data, size);
    if (up)
        s_inside (up, data, size);
    nines_buf_t b1 = { 0 }, b2 = { 0 };
    FUZZ_CHECK (nines_evm_calldata_claim (&b1, who, &s_down.report, up) == 0);
    FUZZ_CHECK (nines_evm_decode_claim (b1.data, b1.len, &who2, &s_down2, &s_up2, &up2) == 0);
    FUZZ_CHECK (who2 == who && (up2 != NULL) == (up != NULL));
    s_same (&s_down.report, &s_down2.report);
    if (up)
        s_same (up, up2);
    FUZZ_CHECK (nines_evm_calldata_claim (&b2, who2, &s_down2.report, up2) == 0);
    FUZZ_CHECK (b1.len == b2.len && memcmp (b1.data, b2.data, b1.len) == 0);
    nines_buf_free (&b1);
    nines_buf_free (&b2);
    return 0;
}
