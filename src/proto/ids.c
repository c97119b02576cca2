/*  Ids derived from signed data: see ids.h. */
#include "proto/ids.h"

void
nines_evidence_id (const nines_evidence_t *ev, uint8_t id [NINES_HASH_BYTES])
{
    static const char domain [] = "nines/evidence-id/v1";
    uint8_t has_up = ev->has_up;
    static const uint8_t zero [NINES_HASH_BYTES];
    nines_hash (id, 5, (const uint8_t *) domain, sizeof domain - 1, ev->pod, (size_t) NINES_ID_BYTES,
                ev->down.round_id, (size_t) NINES_HASH_BYTES, &has_up, (size_t) 1,
                ev->has_up ? ev->up.round_id : zero, (size_t) NINES_HASH_BYTES);
}
