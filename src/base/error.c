#include "base/error.h"
#include <string.h>

static const struct { const char *name; const char *text; } s_errors [] = {
    { "NINES_OK",            "success" },
    { "NINES_EINVAL",        "invalid argument" },
    { "NINES_ENOMEM",        "out of memory" },
    { "NINES_EIO",           "I/O error" },
    { "NINES_EMALFORMED",    "malformed input" },
    { "NINES_ETRUNC",        "input truncated" },
    { "NINES_ETOOBIG",       "input exceeds size limit" },
    { "NINES_EVERSION",      "unknown version" },
    { "NINES_EBADSIG",       "signature verification failed" },
    { "NINES_ENOTFOUND",     "not found" },
    { "NINES_EEXIST",        "already exists" },
    { "NINES_EPERM",         "permission refused" },
    { "NINES_ECONFIG",       "bad configuration" },
    { "NINES_ESTORE",        "storage failure" },
    { "NINES_ETIMEOUT",      "timed out" },
    { "NINES_ESTALE",        "timestamp outside accepted window" },
    { "NINES_EREPLAY",       "replayed nonce" },
    { "NINES_EUNKNOWN",      "unknown identity" },
    { "NINES_ENOTCOMMITTEE", "signer not in committee" },
    { "NINES_EDUPSIGNER",    "duplicate signer" },
    { "NINES_EQUORUM",       "weight below quorum" },
    { "NINES_EORDER",        "events out of order" },
    { "NINES_ETRAILING",     "trailing bytes after message" },
    { "NINES_EFULL",         "table or map full" },
    { "NINES_ESTATE",        "invalid in current state" },
    { "NINES_ESTAKE",        "stake below minimum" },
    { "NINES_EUNAVAIL",      "endpoint unreachable" },
    { "NINES_ELOCKED",       "in use by another process" },
    { "NINES_ERPC",          "JSON-RPC error from the node" },
    { "NINES_EUNDERPRICED",  "transaction underpriced" },
    { "NINES_EREVERTED",     "execution reverted" },
};

const char *
nines_strerror (int rc)
{
    if (rc > 0)
        return strerror (rc);
    if (rc < NINES_ELAST)
        return "unknown error";
    return s_errors [-rc].text;
}

const char *
nines_errname (int rc)
{
    if (rc > 0 || rc < NINES_ELAST)
        return "NINES_E?";
    return s_errors [-rc].name;
}
