/*  Fuzz nines_query_parse and the typed lookups a query server makes
    (ninesd, nines-ledger).  Properties: no crash or leak; a parsed query
    has a NUL-terminated op; lookups return only their documented codes. */
#include "fuzz.h"
#include "wire/wire.h"

static bool
s_rc_ok (int rc)
{
    return rc == 0 || rc == NINES_ENOTFOUND || rc == NINES_EMALFORMED || rc == NINES_ETOOBIG;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    nines_query_t *q = NULL;
    int rc = nines_query_parse (data, size, &q);
    if (rc) {
        FUZZ_CHECK (q == NULL);
        return 0;
    }
    FUZZ_CHECK (q != NULL);
    const char *op = nines_query_op (q);
    FUZZ_CHECK (op && strlen (op) < 64);
    static const char *keys [] = { "op", "pod", "limit", "open", "info", "sig", "evidence", "from", "" };
    for (size_t i = 0; i < sizeof keys / sizeof keys [0]; i++) {
        char str [32];
        uint64_t u;
        bool b;
        uint8_t id [NINES_ID_BYTES];
        const uint8_t *blob;
        size_t blen;
        FUZZ_CHECK (s_rc_ok (nines_query_str (q, keys [i], str, sizeof str)));
        FUZZ_CHECK (s_rc_ok (nines_query_u64 (q, keys [i], &u)));
        FUZZ_CHECK (s_rc_ok (nines_query_bool (q, keys [i], &b)));
        FUZZ_CHECK (s_rc_ok (nines_query_bin (q, keys [i], id, sizeof id)));
        rc = nines_query_blob (q, keys [i], &blob, &blen);
        FUZZ_CHECK (s_rc_ok (rc));
        if (rc == 0 && blen) {
            /* The blob lies inside the query's own copy: touch both ends. */
            volatile uint8_t first = blob [0], last = blob [blen - 1];
            (void) first, (void) last;
        }
    }
    nines_query_destroy (&q);
    FUZZ_CHECK (q == NULL);
    return 0;
}
