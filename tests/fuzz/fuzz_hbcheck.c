/*  Fuzz the facade's heartbeat admission, nines_hbcheck (src/facade).  The
    input is a Nines-Heartbeat header value checked at a fixed time by a
    facade that allows one validator (seed 01..), with a small replay cache.
    Each value is checked twice: a heartbeat accepted once must then be
    refused as a replay.  Properties: no crash, leak or abort on any value. */
#include "fuzz.h"
#include "facade/hbcheck.h"

#define FUZZ_NOW_MS 1700000000000ULL

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static nines_keypair_t validator;
    static uint8_t pod [NINES_ID_BYTES];
    static bool ready = false;
    if (!ready) {
        ready = true;
        uint8_t seed [NINES_SEED_BYTES];
        memset (seed, 0x01, sizeof seed);
        nines_keypair_from_seed (&validator, seed);
        memset (pod, 0xb0, sizeof pod);
    }
    nines_hbcheck_t *check = nines_hbcheck_new (pod, 16);
    FUZZ_CHECK (check != NULL);
    FUZZ_CHECK (nines_hbcheck_set_allowlist (check, (const uint8_t (*) [NINES_ID_BYTES]) validator.pk, 1) == 0);
    nines_hb_req_t req;
    int rc = nines_hbcheck (check, (const char *) data, size, FUZZ_NOW_MS, &req);
    if (rc == 0) {
        FUZZ_CHECK (memcmp (req.validator, validator.pk, NINES_ID_BYTES) == 0);
        FUZZ_CHECK (nines_hbcheck (check, (const char *) data, size, FUZZ_NOW_MS, &req) == NINES_EREPLAY);
    }
    nines_hbcheck_destroy (&check);
    return 0;
}
