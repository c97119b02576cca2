/*  The ledger state machine (DESIGN.md section 8; seed "Uptime staking
    contract"; the canary and pay-out of seeds/everlife-proof-of-uptime.txt).

    Sans-I/O like the engine: the caller hands in request bytes and the
    time (`now`, Unix ms) and gets reply bytes and PUB events back; it never
    reads the clock.  State lives in LMDB: every request that changes
    anything commits one write transaction before its reply is produced, so
    a reply with ok = true is durable ("acknowledged" = on disk), and a
    process killed at any instant restarts from the last commit with
    nothing acknowledged lost.  Memory holds a cache (registry, incidents,
    slash and fee accounts) rebuilt from LMDB at open.

    Incident accounting, recomputed per pod whenever its evidence, its
    registration or the time changes (all integers, slash.h):
      - a raw incident is [t_down, t_up) from a DOWN report and the UP report
        that closes it (evidence may arrive open, then closed; an open
        incident is also closed by any later UP of the pod, and otherwise
        runs to the latest evidenced instant: the largest t_ms of the pod's
        DOWN reports, which the committee re-confirms every down_confirm,
        never to `now`: the ledger's own downtime, or evidence delivered
        late, never becomes provider downtime); reports of parallel rounds
        and re-confirmations are united, never counted twice;
      - clipped at paid_until (0 = unlimited; a new paid_until earlier than
        `now` is raised to `now`, so a provider cannot retroactively shed
        protection it was paid for);
      - maintenance windows are subtracted; they are stored only when
        announced at least `notice` ahead and within `maint_budget` per
        rolling `maint_period` (the reply says whether it is honoured);
      - raw incidents merge into the current merged incident when the gap
        since its end is shorter than clamp(merge_factor × merged duration,
        merge_min, merge_max); its duration is the sum of the pieces'
        (up-time between pieces is not charged);
      - a merged incident shorter than `grace` is ignored;
      - correlated: a raw incident whose DOWN starts, within the params'
        corr_window (default 5 min), with DOWNs of at least max(3, 20 % of pods)
        pods across at least 3 providers is flagged and not slashed (only
        DOWNs that start an outage count; one inside an earlier raw
        incident of the pod continues it and takes its flag); so that
        the flag is known before money moves, nothing is paid for a merged
        incident until corr_window after its first DOWN;
      - slash = stake × max_slash × S(duration), paid incrementally (only the
        increase over what was already paid for that merged incident), and
        the sum of slashes and fees never exceeds the pod's stake. */
#ifndef NINES_LEDGER_LEDGER_H
#define NINES_LEDGER_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/incident.h"
#include "proto/registry.h"
#include "crypto/crypto.h"


typedef struct _nines_ledger_t nines_ledger_t;

/*  Open (creating) the ledger's LMDB environment in dir.  genesis (may be
    NULL: default params, no entries) is copied into the store only when
    the store is empty.  key signs canaries (copied).  NULL on failure with
    a message in err. */
nines_ledger_t *nines_ledger_open (const char *dir, const nines_registry_t *genesis,
                                   const nines_keypair_t *key, char *err, size_t err_size);
void nines_ledger_destroy (nines_ledger_t **self_p);

/*  Handle one API request (proto/LEDGER.md) at now.  Always produces a
    reply in *reply (malloc'd, caller frees): bad input gets {ok: false,
    error}; the reply to a known op carries it ("op": the op it answers,
    first in the map; an unknown op's reply has none).  Returns 0, or NINES_ENOMEM
    when no reply could be built. */
int nines_ledger_handle (nines_ledger_t *self, const uint8_t *req, size_t len, uint64_t now,
                         uint8_t **reply, size_t *reply_len);

/*  Advance time: open, publish and settle canaries and fees, pay what
    incidents owe once their corr_window has passed (amounts depend on the
    evidence only, never on now).  Call at next_wakeup or sooner. */
void nines_ledger_tick (nines_ledger_t *self, uint64_t now);

/*  Earliest time a tick has work (never later than now + 10 s). */
uint64_t nines_ledger_next_wakeup (nines_ledger_t *self, uint64_t now);

/*  Pop the next PUB event: topic (NUL-terminated, <= 15 chars) and a
    msgpack map (*data malloc'd, caller frees).  false when none. */
bool nines_ledger_next_event (nines_ledger_t *self, char topic [16], uint8_t **data, size_t *len);

/*  The current registry (borrowed, valid until the next call). */
const nines_registry_t *nines_ledger_registry (nines_ledger_t *self);

/*  Totals for monitoring (read-only, from the in-memory cache): raw
    incidents still open (a DOWN without its UP), raw incidents known,
    slashed and fee totals over every pod (base units), and the current
    canary's period (0 none). */
typedef struct {
    uint64_t incidents_open;            /* raw incidents without an UP */
    uint64_t incidents;                 /* raw incidents known */
    uint64_t slashed;                   /* sum of slashes, base units */
    uint64_t fees;                      /* sum of monitoring fees, base units */
    uint64_t canary_period;             /* current canary period, 0 none */
} nines_ledger_stats_t;

void nines_ledger_stats (nines_ledger_t *self, nines_ledger_stats_t *stats);

#endif
