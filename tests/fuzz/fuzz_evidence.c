/*  Fuzz nines_evidence_decode (what the ledger's submit_evidence receives).
    Properties as fuzz_peer_msg, plus the evidence id is computable. */
#include "fuzz.h"
#include "proto/ids.h"
#include "wire/wire.h"

static nines_evidence_t s_ev, s_again;
static uint8_t s_buf [NINES_EVIDENCE_MAX], s_buf2 [NINES_EVIDENCE_MAX];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (nines_evidence_decode (data, size, &s_ev) != 0)
        return 0;
    FUZZ_CHECK (s_ev.down.n_votes <= NINES_REPORT_MAX_VOTES);
    FUZZ_CHECK (!s_ev.has_up || s_ev.up.n_votes <= NINES_REPORT_MAX_VOTES);
    uint8_t id [NINES_HASH_BYTES];
    nines_evidence_id (&s_ev, id);
    FUZZ_FIXED_POINT (nines_evidence_encode, nines_evidence_decode, &s_ev, &s_again, s_buf, s_buf2);
    return 0;
}
