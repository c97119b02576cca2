/*  Private to src/ledger: the ledger object's layout and the helpers its
    parts share (ledger_state.c, accounting.c, fees.c, queries.c,
    ledger.c).  Not an API: nothing outside src/ledger includes it. */
#ifndef NINES_LEDGER_PRIVATE_H
#define NINES_LEDGER_PRIVATE_H

#include "ledger/ledger.h"
#include "client/ledger_client.h"
#include "store/store.h"
#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef unsigned __int128 u128;

#define TOPUP_MS        10000ULL    /* incidents re-evaluated this often (the corr_window wait) */
#define WAKEUP_MAX_MS   10000ULL
#define HISTORY         16          /* earlier validator sets kept for evidence checks */
#define HISTORY_BURST_MS 10000ULL   /* changes this close together keep one earlier set */
#define HISTORY_LAG_MS  (5 * 60 * 1000ULL)  /* how long a replaced set still verifies rounds */

/*  A raw incident: one DOWN report and the UP that closed it. */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];       /* pod */
    uint8_t rid [NINES_HASH_BYTES];     /* DOWN report id (its key) */
    uint64_t t_down;                    /* DOWN report t_ms */
    uint64_t t_up;                      /* UP report t_ms (has_up) */
    bool has_up;                        /* closed by its evidence */
    bool correlated;                    /* part of a correlated outage */
} raw_t;

/*  What was paid while a raw incident was its merged incident's first:
    a merged incident has paid the sum over its raw incidents (a late
    DOWN with an earlier time becomes the first and the key moves, the
    payments stay counted). */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];       /* pod */
    uint8_t rid [NINES_HASH_BYTES];     /* the raw incident's DOWN report id */
    uint64_t paid;                      /* base units slashed so far */
} paid_t;

/*  Money taken from a pod's stake. */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];       /* pod */
    uint64_t slashed;                   /* total slashed, base units */
    uint64_t fees;                      /* total monitoring fees, base units */
} acct_t;

typedef struct {
    char topic [16];                    /* PUB topic */
    uint8_t *data;                      /* msgpack map (owned) */
    size_t len;                         /* bytes */
} event_t;

/*  A merged incident as computed at some `now`. */
typedef struct {
    uint8_t rid [NINES_HASH_BYTES];     /* key: first raw incident's report id */
    uint64_t t_down;                    /* first DOWN */
    uint64_t t_end;                     /* end of the last piece (now if open) */
    uint64_t duration;                  /* effective duration, ms */
    uint32_t pieces;                    /* raw incidents merged */
    bool open;                          /* last piece still open */
    uint64_t paid;                      /* paid so far: Σ paid_t of its raw incidents */
} group_t;

struct _nines_ledger_t {
    nines_store_t *store;               /* LMDB environment */
    nines_txn_t *txn;                   /* write transaction in progress */
    nines_registry_t *reg;              /* registry cache */
    nines_keypair_t key;                /* ledger key (signs canaries) */
    raw_t *raws;                        /* raw incidents sorted by (pod, t_down, rid) */
    size_t n_raws, cap_raws;
    paid_t *paids;                      /* per merged incident */
    size_t n_paids, cap_paids;
    acct_t *accts;                      /* per pod */
    size_t n_accts, cap_accts;
    event_t *events;                    /* PUB queue */
    size_t n_events, cap_events, ev_head;
    uint64_t slash_seq;                 /* next slash row number */
    uint64_t settled;                   /* next fee period to settle (0 = not started) */
    bool has_canary;                    /* a canary record exists */
    uint64_t canary_period;             /* its period */
    uint8_t canary_id [NINES_HASH_BYTES]; /* its id */
    uint64_t canary_t;                  /* publication instant */
    uint64_t canary_deadline;           /* answers accepted until */
    bool canary_published;              /* sent on PUB */
    uint64_t last_topup;                /* last open-incident re-evaluation */
    group_t *groups;                    /* scratch for ledger_groups */
    size_t cap_groups;
    uint64_t *ups;                      /* scratch for s_chains (accounting.c): a pod's UP times */
    size_t cap_ups;
    nines_registry_t *older [HISTORY];  /* validator sets before the last changes, newest first */
    uint64_t older_until [HISTORY];     /* when each stopped being current, ledger ms */
};


#define NO_ANNOUNCE UINT64_MAX          /* ledger_settle: no raw incident to announce */

/*  A disjoint downtime piece [a, b) of raw incident raw (ledger_pieces). */
typedef void (piece_fn) (void *arg, size_t raw, uint64_t a, uint64_t b, bool open);

/*  One API request being handled. */
typedef struct {
    nines_ledger_t *self;               /* ledger */
    nines_query_t *q;                   /* parsed request */
    uint64_t now;                       /* request time, Unix ms */
    msgpack_packer *pk;                 /* reply */
    char *err;                          /* failure sentence */
    size_t err_size;
} req_t;

/*  ---- ledger_state.c ---- */

void ledger_abort (nines_ledger_t *self, bool dirty);

acct_t *ledger_acct (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], bool create);

int ledger_begin (nines_ledger_t *self);

/*  Commit; on failure the cache may be ahead of the disk: reload it. */
int ledger_commit (nines_ledger_t *self);

void ledger_event (nines_ledger_t *self, const char *topic, msgpack_sbuffer *sb);

void ledger_event_registry (nines_ledger_t *self);

bool ledger_grow (void **arr, size_t *cap, size_t need, size_t elem);

int ledger_meta_put (nines_ledger_t *self, const char *key, uint64_t v);

paid_t *ledger_paid (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], const uint8_t rid [NINES_HASH_BYTES], bool create);

int ledger_put (nines_ledger_t *self, const char *db, const void *key, size_t klen, const void *val, size_t vlen);

int ledger_put_pod (nines_ledger_t *self, const nines_pod_info_t *p);

int ledger_put_raw (nines_ledger_t *self, const raw_t *r);

int ledger_put_u64s (nines_ledger_t *self, const char *db, const void *key, size_t klen, const uint64_t *v, size_t n);

/*  Find or insert (keeping order) a raw incident; *found tells which. */
raw_t *ledger_raw (nines_ledger_t *self, const uint8_t *pod, uint64_t t_down, const uint8_t *rid, bool create, bool *found);

/*  Handlers (ledger_h_*, and ledger.c's) return 0 after packing a
    complete reply map into r->pk, or a NINES_E* code with a sentence in
    r->err (the dispatcher answers {ok: false, error: "NINES_E...:
    sentence"}).  ledger_fail formats that sentence and returns rc. */
int ledger_fail (req_t *r, int rc, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/*  ---- accounting.c ---- */

/*  Effective downtime of [a, b) for a pod: clipped at paid_until, minus
    honoured maintenance (windows never overlap each other). */
uint64_t ledger_effective (const nines_pod_info_t *pod, uint64_t a, uint64_t b);

/*  Merged incidents of a pod into self->groups (they depend on the
    evidence only, not on the clock); returns how many. */
size_t ledger_groups (nines_ledger_t *self, const nines_pod_info_t *pod);

void ledger_pack_incident (msgpack_packer *pk, const uint8_t pod [NINES_ID_BYTES], const group_t *g, uint64_t slashed, bool correlated);

size_t ledger_pieces (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], piece_fn *fn, void *arg);

/*  Index range [*lo, *hi) of a pod's raw incidents. */
void ledger_pod_range (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], size_t *lo, size_t *hi);

/*  Re-flag raw incidents near t and settle every pod whose flags moved. */
int ledger_reflag (nines_ledger_t *self, uint64_t t, uint64_t now);

uint64_t ledger_remaining (const nines_pod_info_t *pod, const acct_t *a);

/*  Pay what each merged incident of the pod owes at now beyond what it
    has paid, publishing those that paid and (announce_t != NO_ANNOUNCE)
    the one holding the raw incident that starts at announce_t, which new
    evidence changed.  Inside the write transaction. */
int ledger_settle (nines_ledger_t *self, const nines_pod_info_t *pod, uint64_t now, uint64_t announce_t);

/*  ---- fees.c ---- */

void ledger_pack_canary (nines_ledger_t *self, msgpack_packer *pk, bool with_ok);

/*  ---- queries.c ---- */

int ledger_h_canary (req_t *r);

int ledger_h_incidents (req_t *r);

int ledger_h_nines (req_t *r);

int ledger_h_pods (req_t *r);

int ledger_h_registry (req_t *r);

int ledger_h_rewards (req_t *r);

int ledger_h_slashes (req_t *r);

int ledger_h_validators (req_t *r);

/*  ---- ledger.c ---- */

#endif
