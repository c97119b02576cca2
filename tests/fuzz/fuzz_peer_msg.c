/*  Fuzz nines_peer_msg_decode (every peer message type).  Properties: no
    crash; an accepted frame re-encodes, the re-encoding decodes, and
    encoding is a fixed point (encode (decode (encode (decode (x))))
    == encode (decode (x))); vote signatures verify or fail cleanly. */
#include "fuzz.h"
#include "wire/wire.h"

static nines_peer_msg_t s_msg, s_again;
static uint8_t s_buf [NINES_PEER_MSG_MAX], s_buf2 [NINES_PEER_MSG_MAX];

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (nines_peer_msg_decode (data, size, &s_msg) != 0)
        return 0;
    FUZZ_CHECK (s_msg.type >= NINES_MSG_PING && s_msg.type <= NINES_MSG_TYPE_MAX);
    FUZZ_CHECK (s_msg.n_updates <= NINES_PIGGYBACK_MAX);
    if (s_msg.type == NINES_MSG_VOTE)
        (void) !nines_vote_verify (&s_msg.u.vote);
    if (s_msg.type == NINES_MSG_REPORT) {
        FUZZ_CHECK (s_msg.u.report.n_votes <= NINES_REPORT_MAX_VOTES);
        uint8_t id [NINES_HASH_BYTES];
        nines_report_id (&s_msg.u.report, id);
    }
    FUZZ_FIXED_POINT (nines_peer_msg_encode, nines_peer_msg_decode, &s_msg, &s_again, s_buf, s_buf2);
    return 0;
}
