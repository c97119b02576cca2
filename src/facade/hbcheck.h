/*  Heartbeat admission at the facade (DESIGN.md section 6): is a request's
    Nines-Heartbeat header a fresh, valid heartbeat from an allowed
    validator for this pod?  Anything else is treated as user traffic, so
    the check only answers yes or no (the reason is for logs and tests).

    The allow-list is replaced atomically (SIGHUP reload); the replay cache
    is bounded: it holds each nonce until its heartbeat turns stale and,
    when full, refuses new heartbeats rather than growing (a flood of valid
    heartbeats can only come from allowed validators); its size is the
    caller's, from the heartbeat rate it expects.  Thread-safe. */
#ifndef NINES_HBCHECK_H
#define NINES_HBCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/heartbeat.h"

typedef struct _nines_hbcheck_t nines_hbcheck_t;

/*  pod: this facade's pod id; replay_cap: nonces remembered, rounded up
    to a power of two, at least 64 (nines_hbcheck_replay_size gives the
    size for an expected heartbeat rate).  Starts with an empty
    allow-list.  NULL when out of memory. */
nines_hbcheck_t *nines_hbcheck_new (const uint8_t pod [NINES_ID_BYTES], size_t replay_cap);

/*  Replay cache slots for heartbeats_per_s valid heartbeats a second
    (at least 1): a nonce is remembered until its own t_ms + NINES_HB_SKEW_MS
    (after that the heartbeat is stale anyway), at most 2 x NINES_HB_SKEW_MS
    (60 s) for a validator whose clock runs the full skew ahead, so
    heartbeats_per_s x 60 nonces are live at once; twice that, rounded up
    to a power of two, keeps the open-addressed table at most half full
    (500/s: 65,536 slots, 1.5 MiB; 10,000/s: 2,097,152, 48 MiB).  At most
    2^26 slots. */
size_t nines_hbcheck_replay_size (uint64_t heartbeats_per_s);

/*  The replay cache's slots and how many valid heartbeats it refused for
    want of room (NINES_EFULL) so far. */
void nines_hbcheck_replay_stats (nines_hbcheck_t *self, size_t *slots, uint64_t *refused_full);
void nines_hbcheck_destroy (nines_hbcheck_t **self_p);

/*  Load the allow-list: one 64-hex validator id per line, '#' comments and
    blank lines ignored.  Replaces the current list only if the whole file
    parses.  0, NINES_ENOTFOUND, NINES_EMALFORMED (message names the line
    in err). */
int nines_hbcheck_load_allowlist (nines_hbcheck_t *self, const char *path, char *err, size_t err_size);

/*  Allow exactly these n ids (tests, ledger-fed lists).  0 or NINES_ENOMEM
    (the previous list stays). */
int nines_hbcheck_set_allowlist (nines_hbcheck_t *self, const uint8_t (*ids) [NINES_ID_BYTES], size_t n);

/*  Check a Nines-Heartbeat header value: len bytes at value (no NUL
    needed; any bytes, never aborts), at now_ms (Unix ms, the facade's
    clock).  0 when it is a valid heartbeat (req filled, nonce recorded);
    otherwise NINES_EMALFORMED/EVERSION/ETOOBIG (syntax), NINES_EUNKNOWN
    (validator not allowed or another pod), NINES_ESTALE (|t_ms - now_ms| >
    NINES_HB_SKEW_MS), NINES_EBADSIG, NINES_EREPLAY (nonce seen within the
    window), NINES_EFULL (replay cache full).  Only a valid signature
    records the nonce, so forgeries cannot burn one.  The caller treats
    every non-zero answer the same way (proxy the request). */
int nines_hbcheck (nines_hbcheck_t *self, const char *value, size_t len, uint64_t now_ms,
                   nines_hb_req_t *req) NINES_WARN_UNUSED;

/*  Number of validators currently allowed. */
size_t nines_hbcheck_allowed (nines_hbcheck_t *self);

#endif
