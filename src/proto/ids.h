/*  Ids every party derives the same way from signed data (PROTOCOL.md):
    the engine keys its outbox with them, the ledger its "evidence"
    database, ninesd its persisted outbox and ninesctl its printout.
    (The report id, which the codec needs, is nines_report_id in
    wire/wire.h.) */
#ifndef NINES_PROTO_IDS_H
#define NINES_PROTO_IDS_H

#include <stdint.h>
#include "wire/wire.h"

/*  Evidence id: BLAKE2b-256("nines/evidence-id/v1" || pod || down report
    round_id || has_up || up round_id). */
void nines_evidence_id (const nines_evidence_t *ev, uint8_t id [NINES_HASH_BYTES]);

#endif
