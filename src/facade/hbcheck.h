/*  Heartbeat admission at the facade (DESIGN.md section 6): is a request's
    Nines-Heartbeat header a fresh, valid heartbeat from an allowed
    validator for this pod?  Anything else is treated as user traffic, so
    the check only answers yes or no (the reason is for logs and tests).

    The allow-list is replaced atomically (SIGHUP reload); the replay cache
    is bounded: it holds nonces for the ±NINES_HB_SKEW_MS window and, when
    full, refuses new heartbeats rather than growing (a flood of valid
    heartbeats can only come from allowed validators).  Thread-safe. */
#ifndef NINES_HBCHECK_H
#define NINES_HBCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/heartbeat.h"

typedef struct _nines_hbcheck_t nines_hbcheck_t;

/*  pod: this facade's pod id; replay_cap: nonces remembered (e.g. 65536). */
nines_hbcheck_t *nines_hbcheck_new (const uint8_t pod [NINES_ID_BYTES], size_t replay_cap);
void nines_hbcheck_destroy (nines_hbcheck_t **self_p);

/*  Load the allow-list: one 64-hex validator id per line, '#' comments and
    blank lines ignored.  Replaces the current list only if the whole file
    parses.  0, NINES_ENOTFOUND, NINES_EMALFORMED (message names the line
    in err). */
int nines_hbcheck_load_allowlist (nines_hbcheck_t *self, const char *path, char *err, size_t err_size);

/*  Allow exactly these ids (tests, ledger-fed lists). */
int nines_hbcheck_set_allowlist (nines_hbcheck_t *self, const uint8_t (*ids) [NINES_ID_BYTES], size_t n);

/*  Check a header value at time now_ms.  0 when it is a valid heartbeat
    (req filled, nonce recorded); otherwise NINES_EMALFORMED/EVERSION/
    ETOOBIG (syntax), NINES_EUNKNOWN (not allowed or other pod),
    NINES_ESTALE (|t - now| > 30 s), NINES_EBADSIG, NINES_EREPLAY,
    NINES_EFULL (replay cache full). */
int nines_hbcheck (nines_hbcheck_t *self, const char *value, size_t len, uint64_t now_ms,
                   nines_hb_req_t *req);

/*  Number of allowed validators. */
size_t nines_hbcheck_allowed (nines_hbcheck_t *self);

#endif
