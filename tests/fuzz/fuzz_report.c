/*  Fuzz nines_report_decode (a quorum report on its own, as stored in LMDB
    and published on the PUB stream).  Same properties as fuzz_peer_msg. */
#include "fuzz.h"
#include "wire/wire.h"

static nines_report_t s_report, s_again;
static uint8_t s_buf [NINES_PEER_MSG_MAX], s_buf2 [NINES_PEER_MSG_MAX];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (nines_report_decode (data, size, &s_report) != 0)
        return 0;
    FUZZ_CHECK (s_report.kind <= NINES_REPORT_UP);
    FUZZ_CHECK (s_report.n_votes <= NINES_REPORT_MAX_VOTES);
    for (uint16_t i = 0; i < s_report.n_votes; i++) {
        FUZZ_CHECK (s_report.votes [i].signed_len > 0);
        FUZZ_CHECK (s_report.votes [i].signed_len <= NINES_VOTE_SIGNED_MAX);
        (void) !nines_vote_verify (&s_report.votes [i]);
    }
    uint8_t id [NINES_HASH_BYTES];
    nines_report_id (&s_report, id);
    FUZZ_FIXED_POINT (nines_report_encode, nines_report_decode, &s_report, &s_again, s_buf, s_buf2);
    return 0;
}
