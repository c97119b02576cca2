/*  The ledger state machine: see ledger.h for the rules, proto/LEDGER.md
    for the API.  Layout: storage helpers, cache loading, accounting
    (pieces, merged incidents, correlation, settlement), canary and fees,
    request handlers, queries. */
#include "ledger/ledger.h"
#include "client/ledger_client.h"
#include "proto/verify.h"
#include "proto/slash.h"
#include "proto/ids.h"
#include "proto/incident.h"
#include "store/store.h"
#include "base/log.h"
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

#define TOPUP_MS        10000ULL    /* incidents re-evaluated this often (the corr_window wait) */
#define WAKEUP_MAX_MS   10000ULL
#define HISTORY         16          /* earlier validator sets kept for evidence checks */
#define HISTORY_BURST_MS 10000ULL   /* changes this close together keep one earlier set */
#define HISTORY_LAG_MS  (5 * 60 * 1000ULL)  /* how long a replaced set still verifies rounds */

static const char *const s_dbs [] = {
    "meta", "seq", "validators", "pods", "acct", "evidence", "incidents", "groups",
    "slashes", "canary", "canary_sigs", "rewards", NULL
};

/*  A raw incident: one DOWN report and the UP that closed it. */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];       /* pod */
    uint8_t rid [NINES_HASH_BYTES];     /* DOWN report id (its key) */
    uint64_t t_down;                    /* DOWN report t_ms */
    uint64_t t_up;                      /* UP report t_ms (has_up) */
    bool has_up;                        /* closed by its evidence */
    bool correlated;                    /* part of a correlated outage */
} raw_t;

/*  What was paid for a merged incident, keyed by its first raw incident. */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];       /* pod */
    uint8_t rid [NINES_HASH_BYTES];     /* first raw incident's DOWN report id */
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
    group_t *groups;                    /* scratch for s_groups */
    size_t cap_groups;
    uint64_t *ups;                      /* scratch for s_chains: a pod's UP times */
    size_t cap_ups;
    nines_registry_t *older [HISTORY];  /* validator sets before the last changes, newest first */
    uint64_t older_until [HISTORY];     /* when each stopped being current, ledger ms */
};

/*  ---- small helpers ---- */

static bool
s_grow (void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return true;
    size_t cap2 = *cap ? *cap * 2 : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc (*arr, cap2 * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = cap2;
    return true;
}

/*  ---- storage ---- */

static int
s_put (nines_ledger_t *self, const char *db, const void *key, size_t klen, const void *val, size_t vlen)
{
    return nines_txn_put (self->txn, db, key, klen, val, vlen);
}

static int
s_put_u64s (nines_ledger_t *self, const char *db, const void *key, size_t klen, const uint64_t *v, size_t n)
{
    uint8_t buf [16 * 8];
    for (size_t i = 0; i < n; i++)
        nines_le64 (buf + 8 * i, v [i]);
    return s_put (self, db, key, klen, buf, 8 * n);
}

static int
s_meta_put (nines_ledger_t *self, const char *key, uint64_t v)
{
    return s_put_u64s (self, "meta", key, strlen (key), &v, 1);
}

static void s_load (nines_ledger_t *self);

static int
s_begin (nines_ledger_t *self)
{
    return nines_txn_begin (self->store, true, &self->txn);
}

/*  Commit; on failure the cache may be ahead of the disk: reload it. */
static int
s_commit (nines_ledger_t *self)
{
    int rc = nines_txn_commit (&self->txn);
    if (rc) {
        nines_error ("ledger: commit failed (%s); reloading state", nines_errname (rc));
        s_load (self);
    }
    return rc;
}

static void
s_abort (nines_ledger_t *self, bool dirty)
{
    nines_txn_abort (&self->txn);
    if (dirty)
        s_load (self);
}

static void
s_event (nines_ledger_t *self, const char *topic, msgpack_sbuffer *sb)
{
    if (!sb->data || !s_grow ((void **) &self->events, &self->cap_events, self->n_events + 1, sizeof (event_t))) {
        msgpack_sbuffer_destroy (sb);
        return;
    }
    event_t *e = &self->events [self->n_events++];
    snprintf (e->topic, sizeof e->topic, "%s", topic);
    e->data = (uint8_t *) sb->data;
    e->len = sb->size;
}

static void
s_event_registry (nines_ledger_t *self)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_u64 (&pk, "version", self->reg->version);
    s_event (self, NINES_LEDGER_TOPIC_REGISTRY, &sb);
}

/*  ---- cache ---- */

static acct_t *
s_acct (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], bool create)
{
    for (size_t i = 0; i < self->n_accts; i++)
        if (memcmp (self->accts [i].pod, pod, NINES_ID_BYTES) == 0)
            return &self->accts [i];
    if (!create || !s_grow ((void **) &self->accts, &self->cap_accts, self->n_accts + 1, sizeof (acct_t)))
        return NULL;
    acct_t *a = &self->accts [self->n_accts++];
    memset (a, 0, sizeof *a);
    memcpy (a->pod, pod, NINES_ID_BYTES);
    return a;
}

static paid_t *
s_paid (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], const uint8_t rid [NINES_HASH_BYTES], bool create)
{
    for (size_t i = 0; i < self->n_paids; i++)
        if (memcmp (self->paids [i].pod, pod, NINES_ID_BYTES) == 0
        &&  memcmp (self->paids [i].rid, rid, NINES_HASH_BYTES) == 0)
            return &self->paids [i];
    if (!create || !s_grow ((void **) &self->paids, &self->cap_paids, self->n_paids + 1, sizeof (paid_t)))
        return NULL;
    paid_t *p = &self->paids [self->n_paids++];
    memset (p, 0, sizeof *p);
    memcpy (p->pod, pod, NINES_ID_BYTES);
    memcpy (p->rid, rid, NINES_HASH_BYTES);
    return p;
}

static int
s_raw_cmp (const raw_t *a, const uint8_t *pod, uint64_t t_down, const uint8_t *rid)
{
    int c = memcmp (a->pod, pod, NINES_ID_BYTES);
    if (c)
        return c;
    if (a->t_down != t_down)
        return a->t_down < t_down ? -1 : 1;
    return memcmp (a->rid, rid, NINES_HASH_BYTES);
}

/*  Find or insert (keeping order) a raw incident; *found tells which. */
static raw_t *
s_raw (nines_ledger_t *self, const uint8_t *pod, uint64_t t_down, const uint8_t *rid, bool create, bool *found)
{
    size_t lo = 0, hi = self->n_raws;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s_raw_cmp (&self->raws [mid], pod, t_down, rid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (found)
        *found = lo < self->n_raws && s_raw_cmp (&self->raws [lo], pod, t_down, rid) == 0;
    if ((found && *found) || !create)
        return found && *found ? &self->raws [lo] : NULL;
    if (!s_grow ((void **) &self->raws, &self->cap_raws, self->n_raws + 1, sizeof (raw_t)))
        return NULL;
    memmove (&self->raws [lo + 1], &self->raws [lo], (self->n_raws - lo) * sizeof (raw_t));
    self->n_raws++;
    raw_t *r = &self->raws [lo];
    memset (r, 0, sizeof *r);
    memcpy (r->pod, pod, NINES_ID_BYTES);
    memcpy (r->rid, rid, NINES_HASH_BYTES);
    r->t_down = t_down;
    return r;
}

static int
s_put_raw (nines_ledger_t *self, const raw_t *r)
{
    uint8_t key [NINES_ID_BYTES + 8 + NINES_HASH_BYTES];
    memcpy (key, r->pod, NINES_ID_BYTES);
    nines_be64 (key + NINES_ID_BYTES, r->t_down);
    memcpy (key + NINES_ID_BYTES + 8, r->rid, NINES_HASH_BYTES);
    uint64_t v [4] = { r->t_down, r->t_up, r->has_up, r->correlated };
    return s_put_u64s (self, "incidents", key, sizeof key, v, 4);
}

static int
s_put_pod (nines_ledger_t *self, const nines_pod_info_t *p)
{
    uint8_t buf [NINES_LEDGER_BODY_MAX * 2];
    size_t n = 0;
    int rc = nines_pod_info_encode (p, buf, sizeof buf, &n);
    return rc ? rc : s_put (self, "pods", p->pod, NINES_ID_BYTES, buf, n);
}

static int
s_load_validator (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    nines_validator_info_t v;
    if (nines_validator_info_decode (val, vlen, &v) == 0)
        nines_registry_put_validator ((nines_registry_t *) arg, &v);
    return 0;
}

static int
s_load_pod (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    nines_pod_info_t *p = malloc (sizeof *p);
    if (p && nines_pod_info_decode (val, vlen, p) == 0)
        nines_registry_put_pod ((nines_registry_t *) arg, p);
    free (p);
    return 0;
}

static int
s_load_raw (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    nines_ledger_t *self = arg;
    if (klen != NINES_ID_BYTES + 8 + NINES_HASH_BYTES || vlen != 32)
        return 0;
    const uint8_t *k = key, *v = val;
    raw_t *r = s_raw (self, k, nines_get_le64 (v), k + NINES_ID_BYTES + 8, true, NULL);
    if (r) {
        r->t_up = nines_get_le64 (v + 8);
        r->has_up = nines_get_le64 (v + 16) != 0;
        r->correlated = nines_get_le64 (v + 24) != 0;
    }
    return 0;
}

static int
s_load_paid (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    if (klen != NINES_ID_BYTES + NINES_HASH_BYTES || vlen != 8)
        return 0;
    paid_t *p = s_paid (arg, key, (const uint8_t *) key + NINES_ID_BYTES, true);
    if (p)
        p->paid = nines_get_le64 (val);
    return 0;
}

static int
s_load_acct (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    if (klen != NINES_ID_BYTES || vlen != 16)
        return 0;
    acct_t *a = s_acct (arg, key, true);
    if (a) {
        a->slashed = nines_get_le64 (val);
        a->fees = nines_get_le64 ((const uint8_t *) val + 8);
    }
    return 0;
}

static int
s_load_canary (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    nines_ledger_t *self = arg;
    if (klen != 8 || vlen != 24 + NINES_HASH_BYTES)
        return 0;
    const uint8_t *k = key, *v = val;
    self->has_canary = true;
    self->canary_period = nines_get_be64 (k);
    self->canary_t = nines_get_le64 (v);
    self->canary_deadline = nines_get_le64 (v + 8);
    self->canary_published = nines_get_le64 (v + 16) != 0;
    memcpy (self->canary_id, v + 24, NINES_HASH_BYTES);
    return 0;                           /* keys are big-endian: the last one wins */
}

static uint64_t
s_meta_get (nines_ledger_t *self, const char *key, uint64_t def)
{
    uint64_t v;
    return nines_store_get_u64 (self->store, "meta", key, &v) == 0 ? v : def;
}

/*  (Re)build the cache from LMDB. */
static void
s_load (nines_ledger_t *self)
{
    nines_registry_t *reg = nines_registry_new ();
    if (reg) {
        void *params = NULL;
        size_t plen = 0;
        if (nines_store_get (self->store, "meta", "params", 6, &params, &plen) == 0)
            nines_params_decode (params, plen, &reg->params);
        free (params);
        nines_store_iter_prefix (self->store, "validators", NULL, 0, s_load_validator, reg);
        nines_store_iter_prefix (self->store, "pods", NULL, 0, s_load_pod, reg);
        reg->version = s_meta_get (self, "version", 1);
        nines_registry_destroy (&self->reg);
        self->reg = reg;
    }
    self->n_raws = self->n_paids = self->n_accts = 0;
    self->has_canary = false;
    nines_store_iter_prefix (self->store, "incidents", NULL, 0, s_load_raw, self);
    nines_store_iter_prefix (self->store, "groups", NULL, 0, s_load_paid, self);
    nines_store_iter_prefix (self->store, "acct", NULL, 0, s_load_acct, self);
    nines_store_iter_prefix (self->store, "canary", NULL, 0, s_load_canary, self);
    self->slash_seq = s_meta_get (self, "slash_seq", 0);
    self->settled = s_meta_get (self, "settled", 0);
}

/*  Copy a genesis registry into an empty store. */
static int
s_genesis (nines_ledger_t *self, const nines_registry_t *genesis)
{
    nines_params_t defaults;
    nines_params_default (&defaults);
    const nines_params_t *params = genesis ? &genesis->params : &defaults;
    uint8_t buf [NINES_LEDGER_BODY_MAX * 2];
    size_t n = 0;
    int rc = s_begin (self);
    if (!rc) rc = nines_params_encode (params, buf, sizeof buf, &n);
    if (!rc) rc = s_put (self, "meta", "params", 6, buf, n);
    for (size_t i = 0; !rc && genesis && i < genesis->n_validators; i++) {
        rc = nines_validator_info_encode (&genesis->validators [i], buf, sizeof buf, &n);
        if (!rc) rc = s_put (self, "validators", genesis->validators [i].id, NINES_ID_BYTES, buf, n);
    }
    for (size_t i = 0; !rc && genesis && i < genesis->n_pods; i++)
        rc = s_put_pod (self, &genesis->pods [i]);
    if (!rc) rc = s_meta_put (self, "version", 1);
    if (rc) {
        s_abort (self, false);
        return rc;
    }
    return nines_txn_commit (&self->txn);
}

nines_ledger_t *
nines_ledger_open (const char *dir, const nines_registry_t *genesis, const nines_keypair_t *key,
                   char *err, size_t err_size)
{
    nines_ledger_t *self = calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->key = *key;
    int rc = nines_store_open (&self->store, dir, 0, s_dbs);
    if (rc == NINES_ELOCKED)
        snprintf (err, err_size, "%s is in use by process %ld (another nines-ledger?): refusing to start",
                  dir, nines_store_lock_holder (dir));
    else
    if (rc)
        snprintf (err, err_size, "%s: cannot open the LMDB store (%s)", dir, nines_strerror (rc));
    if (rc) {
        free (self);
        return NULL;
    }
    void *params = NULL;
    size_t plen;
    if (nines_store_get (self->store, "meta", "params", 6, &params, &plen) == NINES_ENOTFOUND
    &&  (rc = s_genesis (self, genesis)) != 0) {
        snprintf (err, err_size, "%s: cannot write the genesis registry (%s)", dir, nines_strerror (rc));
        nines_ledger_destroy (&self);
        return NULL;
    }
    free (params);
    s_load (self);
    if (!self->reg) {
        snprintf (err, err_size, "out of memory");
        nines_ledger_destroy (&self);
        return NULL;
    }
    return self;
}

void
nines_ledger_destroy (nines_ledger_t **self_p)
{
    nines_ledger_t *self = *self_p;
    if (!self)
        return;
    if (self->txn)
        nines_txn_abort (&self->txn);
    nines_store_destroy (&self->store);
    nines_registry_destroy (&self->reg);
    for (size_t i = self->ev_head; i < self->n_events; i++)
        free (self->events [i].data);
    free (self->events);
    free (self->raws);
    free (self->paids);
    free (self->accts);
    free (self->groups);
    free (self->ups);
    for (int i = 0; i < HISTORY; i++)
        nines_registry_destroy (&self->older [i]);
    nines_keypair_wipe (&self->key);
    free (self);
    *self_p = NULL;
}

const nines_registry_t *
nines_ledger_registry (nines_ledger_t *self)
{
    return self->reg;
}

void
nines_ledger_stats (nines_ledger_t *self, nines_ledger_stats_t *st)
{
    memset (st, 0, sizeof *st);
    st->incidents = self->n_raws;
    for (size_t i = 0; i < self->n_raws; i++)
        st->incidents_open += !self->raws [i].has_up;
    for (size_t i = 0; i < self->n_accts; i++) {
        st->slashed += self->accts [i].slashed;
        st->fees += self->accts [i].fees;
    }
    st->canary_period = self->has_canary ? self->canary_period : 0;
}

bool
nines_ledger_next_event (nines_ledger_t *self, char topic [16], uint8_t **data, size_t *len)
{
    if (self->ev_head >= self->n_events) {
        self->ev_head = self->n_events = 0;
        return false;
    }
    event_t *e = &self->events [self->ev_head++];
    memcpy (topic, e->topic, 16);
    *data = e->data;
    *len = e->len;
    return true;
}

/*  ---- accounting ---- */

/*  Effective downtime of [a, b) for a pod: clipped at paid_until, minus
    honoured maintenance (windows never overlap each other). */
static uint64_t
s_effective (const nines_pod_info_t *pod, uint64_t a, uint64_t b)
{
    if (pod->paid_until_ms && b > pod->paid_until_ms)
        b = pod->paid_until_ms;
    if (b <= a)
        return 0;
    uint64_t d = b - a;
    for (size_t i = 0; i < pod->n_maint && i < NINES_MAINT_MAX; i++) {
        uint64_t lo = a > pod->maint [i].start_ms ? a : pod->maint [i].start_ms;
        uint64_t hi = b < pod->maint [i].end_ms ? b : pod->maint [i].end_ms;
        if (hi > lo)
            d -= hi - lo;
    }
    return d;
}

/*  Index range [*lo, *hi) of a pod's raw incidents. */
static void
s_pod_range (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], size_t *lo, size_t *hi)
{
    size_t i = 0;
    while (i < self->n_raws && memcmp (self->raws [i].pod, pod, NINES_ID_BYTES) < 0)
        i++;
    *lo = i;
    while (i < self->n_raws && memcmp (self->raws [i].pod, pod, NINES_ID_BYTES) == 0)
        i++;
    *hi = i;
}

/*  Walk a pod's raw incidents [lo, hi) in order, with the end of each:
    its UP, else the earliest UP of the pod at or after its DOWN, else
    (open) the latest instant evidence proves the pod down, the largest
    t_down of the pod's DOWN reports (the committee re-confirms an outage
    by a new DOWN round every down_confirm_ms, PROTOCOL.md), never the
    ledger's clock: time the ledger could not see, its own downtime
    included, is never charged.
    Raw incidents form chains: one whose DOWN falls inside an earlier one
    of the pod (before its end, or while it is open) continues that outage
    (a re-confirmation or a parallel round) and takes the correlated flag
    of the raw incident that started it.  cont (may be NULL) gets, per raw
    index, whether it continues one; fn (may be NULL) gets each raw's end
    and effective flag.  O(k log k) for k raw incidents.  NINES_ENOMEM
    (nothing called) when the scratch cannot grow. */
typedef void (chain_fn) (void *arg, size_t raw, uint64_t end, bool open, bool correlated);
static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static int
s_chains (nines_ledger_t *self, size_t lo, size_t hi, bool *cont, chain_fn *fn, void *arg)
{
    if (!s_grow ((void **) &self->ups, &self->cap_ups, hi - lo + 1, sizeof *self->ups))
        return NINES_ENOMEM;
    size_t n_up = 0, u = 0;
    for (size_t i = lo; i < hi; i++)
        if (self->raws [i].has_up)
            self->ups [n_up++] = self->raws [i].t_up;
    qsort (self->ups, n_up, sizeof *self->ups, s_cmp_u64);
    uint64_t chain_end = 0, latest = hi > lo ? self->raws [hi - 1].t_down : 0;
    bool chain = false, chain_open = false, chain_corr = false;
    for (size_t i = lo; i < hi; i++) {
        const raw_t *r = &self->raws [i];
        while (u < n_up && self->ups [u] < r->t_down)
            u++;                        /* DOWNs come in order: the earliest UP after moves forward */
        bool open = !r->has_up && u == n_up;
        uint64_t end = r->has_up ? r->t_up : u < n_up ? self->ups [u] : latest;
        bool c = chain && (chain_open || r->t_down < chain_end);
        if (!c) {
            chain_corr = r->correlated;
            chain_end = end;
            chain_open = open;
        }
        else {
            if (end > chain_end)
                chain_end = end;
            chain_open = chain_open || open;
        }
        chain = true;
        if (cont)
            cont [i] = c;
        if (fn)
            fn (arg, i, end, open, c ? chain_corr : r->correlated);
    }
    return NINES_OK;
}

/*  Call fn for each disjoint downtime piece [a, b) of the pod (the union
    of its uncorrelated raw incidents, in order), with the raw index.
    Returns the number of pieces. */
typedef void (piece_fn) (void *arg, size_t raw, uint64_t a, uint64_t b, bool open);
typedef struct {
    nines_ledger_t *self;               /* ledger */
    piece_fn *fn;                       /* per piece */
    void *arg;                          /* its argument */
    uint64_t cover;                     /* end of the union so far */
    size_t n;                           /* pieces */
} pieces_ctx_t;

static void
s_piece_of_chain (void *arg, size_t i, uint64_t end, bool open, bool correlated)
{
    pieces_ctx_t *c = arg;
    if (correlated)
        return;
    uint64_t t_down = c->self->raws [i].t_down;
    uint64_t a = t_down > c->cover ? t_down : c->cover;
    c->fn (c->arg, i, a, end > a ? end : a, open);
    if (end > c->cover)
        c->cover = end;
    c->n++;
}

static size_t
s_pieces (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], piece_fn *fn, void *arg)
{
    size_t lo, hi;
    s_pod_range (self, pod, &lo, &hi);
    pieces_ctx_t c = { self, fn, arg, 0, 0 };
    if (s_chains (self, lo, hi, NULL, s_piece_of_chain, &c))
        nines_error ("ledger: out of memory walking a pod's incidents");
    return c.n;
}

typedef struct {
    nines_ledger_t *self;               /* ledger */
    const nines_pod_info_t *pod;        /* pod */
    size_t n;                           /* groups so far */
    uint64_t cover;                     /* end of the current group's last piece */
    bool ok;                            /* no allocation failure */
} group_ctx_t;

static void
s_group_piece (void *arg, size_t raw, uint64_t a, uint64_t b, bool open)
{
    group_ctx_t *g = arg;
    nines_ledger_t *self = g->self;
    const nines_params_t *p = &self->reg->params;
    const raw_t *r = &self->raws [raw];
    group_t *cur = g->n ? &self->groups [g->n - 1] : NULL;
    if (cur) {
        if (r->t_down >= g->cover && r->t_down - g->cover >= nines_merge_gap_ms (p, cur->duration))
            cur = NULL;
    }
    if (!cur) {
        if (!s_grow ((void **) &self->groups, &self->cap_groups, g->n + 1, sizeof (group_t))) {
            g->ok = false;
            return;
        }
        cur = &self->groups [g->n++];
        memset (cur, 0, sizeof *cur);
        memcpy (cur->rid, r->rid, NINES_HASH_BYTES);
        cur->t_down = r->t_down;
    }
    cur->duration += s_effective (g->pod, a, b);
    cur->pieces++;
    if (b > cur->t_end)
        cur->t_end = b;
    cur->open = cur->open || open;
    if (b > g->cover)
        g->cover = b;
}

/*  Merged incidents of a pod into self->groups (they depend on the
    evidence only, not on the clock); returns how many. */
static size_t
s_groups (nines_ledger_t *self, const nines_pod_info_t *pod)
{
    group_ctx_t g = { self, pod, 0, 0, true };
    s_pieces (self, pod->pod, s_group_piece, &g);
    return g.n;
}

static void
s_pack_incident (msgpack_packer *pk, const uint8_t pod [NINES_ID_BYTES], const group_t *g, uint64_t slashed,
                 bool correlated)
{
    msgpack_pack_map (pk, 8);
    nines_pack_kv_bin (pk, "pod", pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_down", g->t_down);
    nines_pack_kv_u64 (pk, "t_up", g->open ? 0 : g->t_end);
    nines_pack_kv_u64 (pk, "duration_ms", g->duration);
    nines_pack_kv_u64 (pk, "pieces", g->pieces);
    nines_pack_kv_u64 (pk, "slashed", slashed);
    nines_pack_kv_bool (pk, "correlated", correlated);
    nines_pack_kv_bool (pk, "open", g->open);
}

static void
s_event_incident (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], const group_t *g, uint64_t slashed,
                  bool correlated)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    s_pack_incident (&pk, pod, g, slashed, correlated);
    s_event (self, NINES_LEDGER_TOPIC_INCIDENT, &sb);
}

static uint64_t
s_remaining (const nines_pod_info_t *pod, const acct_t *a)
{
    uint64_t spent = a ? a->slashed + a->fees : 0;
    return pod->stake > spent ? pod->stake - spent : 0;
}

#define NO_ANNOUNCE UINT64_MAX

/*  Pay what each merged incident of the pod owes at now beyond what it
    has paid, publishing those that paid and (announce_t != NO_ANNOUNCE)
    the one holding the raw incident that starts at announce_t, which new
    evidence changed.  Inside the write transaction. */
static int
s_settle (nines_ledger_t *self, const nines_pod_info_t *pod, uint64_t now, uint64_t announce_t)
{
    const nines_params_t *p = &self->reg->params;
    size_t n = s_groups (self, pod);
    int rc = NINES_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        const group_t *g = &self->groups [i];
        paid_t *paid = s_paid (self, pod->pod, g->rid, false);
        uint64_t already = paid ? paid->paid : 0;
        uint64_t pay = 0;
        if (g->duration >= p->grace_ms && now >= g->t_down + p->corr_window_ms) {
            uint64_t target = nines_slash_for (p, pod->stake, g->duration);
            acct_t *a = s_acct (self, pod->pod, false);
            uint64_t left = s_remaining (pod, a);
            pay = target > already ? target - already : 0;
            if (pay > left)
                pay = left;
        }
        if (pay) {
            paid = s_paid (self, pod->pod, g->rid, true);
            acct_t *a = s_acct (self, pod->pod, true);
            if (!paid || !a)
                return NINES_ENOMEM;
            paid->paid += pay;
            a->slashed += pay;
            uint8_t key [NINES_ID_BYTES + NINES_HASH_BYTES];
            memcpy (key, pod->pod, NINES_ID_BYTES);
            memcpy (key + NINES_ID_BYTES, g->rid, NINES_HASH_BYTES);
            uint64_t acct [2] = { a->slashed, a->fees };
            rc = s_put_u64s (self, "groups", key, sizeof key, &paid->paid, 1);
            if (!rc) rc = s_put_u64s (self, "acct", pod->pod, NINES_ID_BYTES, acct, 2);
            /* slash row: key be64(seq), value pod || rid || [t, duration, amount, total] */
            uint8_t skey [8], row [NINES_ID_BYTES + NINES_HASH_BYTES + 32];
            nines_be64 (skey, self->slash_seq++);
            memcpy (row, pod->pod, NINES_ID_BYTES);
            memcpy (row + NINES_ID_BYTES, g->rid, NINES_HASH_BYTES);
            nines_le64 (row + 64, now);
            nines_le64 (row + 72, g->duration);
            nines_le64 (row + 80, pay);
            nines_le64 (row + 88, paid->paid);
            if (!rc) rc = s_put (self, "slashes", skey, 8, row, sizeof row);
            if (!rc) rc = s_meta_put (self, "slash_seq", self->slash_seq);
        }
        bool holds = announce_t != NO_ANNOUNCE && g->t_down <= announce_t
                  && (i + 1 == n || self->groups [i + 1].t_down > announce_t);
        if (!rc && (pay || holds))
            s_event_incident (self, pod->pod, g, paid ? paid->paid : pay, false);
    }
    return rc;
}

/*  Correlated flags of every raw incident (src/proto/incident.c): only
    DOWNs that start an outage count (cont: s_chains): a re-confirmation
    of an outage hours old is not a new failure, and takes its chain's
    flag.  flags has n_raws entries.  0 or NINES_ENOMEM. */
static int
s_correlated (nines_ledger_t *self, const bool *cont, bool *flags)
{
    nines_down_t *downs = malloc ((self->n_raws ? self->n_raws : 1) * sizeof *downs);
    bool *got = malloc ((self->n_raws ? self->n_raws : 1) * sizeof *got);
    int rc = downs && got ? NINES_OK : NINES_ENOMEM;
    size_t n = 0;
    for (size_t j = 0; !rc && j < self->n_raws; j++) {
        const raw_t *o = &self->raws [j];
        if (cont [j])
            continue;
        const nines_pod_info_t *pi = nines_registry_pod (self->reg, o->pod);
        downs [n++] = (nines_down_t) { o->t_down, o->pod, pi ? pi->provider : NULL };
    }
    if (!rc)
        rc = nines_correlate (downs, n, self->reg->n_pods, self->reg->params.corr_window_ms, got);
    for (size_t j = 0, k = 0; !rc && j < self->n_raws; j++)
        flags [j] = cont [j] ? self->raws [j].correlated : got [k++];
    free (downs);
    free (got);
    return rc;
}

/*  Re-flag raw incidents near t and settle every pod whose flags moved. */
static int
s_reflag (nines_ledger_t *self, uint64_t t, uint64_t now)
{
    int rc = NINES_OK;
    const uint64_t window = self->reg->params.corr_window_ms;
    bool *cont = calloc (self->n_raws ? self->n_raws : 1, sizeof *cont);
    if (!cont)
        return NINES_ENOMEM;
    for (size_t lo = 0, hi; lo < self->n_raws; lo = hi) {
        for (hi = lo + 1; hi < self->n_raws && memcmp (self->raws [hi].pod, self->raws [lo].pod, NINES_ID_BYTES) == 0; hi++)
            ;
        if ((rc = s_chains (self, lo, hi, cont, NULL, NULL))) {
            free (cont);
            return rc;
        }
    }
    bool *flags = malloc ((self->n_raws ? self->n_raws : 1) * sizeof *flags);
    rc = flags ? s_correlated (self, cont, flags) : NINES_ENOMEM;
    for (size_t i = 0; !rc && i < self->n_raws; i++) {
        raw_t *r = &self->raws [i];
        if (r->t_down + window < t || r->t_down > t + window)
            continue;
        bool c = flags [i];
        if (c == r->correlated)
            continue;
        r->correlated = c;
        rc = s_put_raw (self, r);
        const nines_pod_info_t *pod = nines_registry_pod (self->reg, r->pod);
        if (!rc && pod) {
            group_t g = { .t_down = r->t_down, .t_end = r->has_up ? r->t_up : 0, .pieces = 1, .open = !r->has_up };
            memcpy (g.rid, r->rid, NINES_HASH_BYTES);
            s_event_incident (self, r->pod, &g, 0, c);
            rc = s_settle (self, pod, now, NO_ANNOUNCE);
        }
    }
    free (flags);
    free (cont);
    return rc;
}

/*  ---- canary and fees ---- */

static int
s_put_canary (nines_ledger_t *self)
{
    uint8_t key [8], val [24 + NINES_HASH_BYTES];
    nines_be64 (key, self->canary_period);
    nines_le64 (val, self->canary_t);
    nines_le64 (val + 8, self->canary_deadline);
    nines_le64 (val + 16, self->canary_published);
    memcpy (val + 24, self->canary_id, NINES_HASH_BYTES);
    return s_put (self, "canary", key, 8, val, sizeof val);
}

static void
s_pack_canary (nines_ledger_t *self, msgpack_packer *pk, bool with_ok)
{
    uint8_t body [NINES_CANARY_BODY_BYTES], sig [NINES_SIG_BYTES];
    nines_ledger_canary_body (body, self->canary_id, self->canary_period, self->canary_deadline);
    if (nines_sign (&self->key, NINES_DOMAIN_CANARY, body, sizeof body, sig))
        memset (sig, 0, sizeof sig);
    msgpack_pack_map (pk, with_ok ? 5 : 4);
    if (with_ok)
        nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_bin (pk, "id", self->canary_id, NINES_HASH_BYTES);
    nines_pack_kv_u64 (pk, "period", self->canary_period);
    nines_pack_kv_u64 (pk, "deadline_ms", self->canary_deadline);
    nines_pack_kv_bin (pk, "sig", sig, NINES_SIG_BYTES);
}

typedef struct {
    nines_ledger_t *self;               /* ledger */
    const nines_validator_info_t **who; /* answering validators above the minimum stake */
    size_t n, cap;
} answered_t;

static int
s_collect_sig (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    answered_t *a = arg;
    if (klen != 8 + NINES_ID_BYTES)
        return 0;
    const nines_validator_info_t *v = nines_registry_validator (a->self->reg, (const uint8_t *) key + 8);
    if (v && v->stake >= a->self->reg->params.min_validator_stake
    &&  s_grow ((void **) &a->who, &a->cap, a->n + 1, sizeof *a->who))
        a->who [a->n++] = v;
    return 0;
}

/*  Fee period p: each pod pays fee_ppm of its stake (within what is left),
    the pool is split among validators that countersigned p's canary in
    proportion to stake (Everlife: payout = own / total of those up);
    rounding dust stays with the ledger.  Nothing is taken when nobody
    answered.  Reads the canary_sigs through the write transaction. */
static int
s_settle_fees (nines_ledger_t *self, uint64_t p)
{
    answered_t *a = calloc (1, sizeof *a);
    if (!a)
        return NINES_ENOMEM;
    a->self = self;
    /* the write txn is the only writer; a read txn on the same env is
       allowed with MDB_NOTLS and sees the last commit, which holds every
       signature of period p (they were committed when received) */
    uint8_t prefix [8];
    nines_be64 (prefix, p);
    nines_store_iter_prefix (self->store, "canary_sigs", prefix, 8, s_collect_sig, a);
    int rc = NINES_OK;
    u128 total_stake = 0;
    for (size_t i = 0; i < a->n; i++)
        total_stake += a->who [i]->stake;
    if (a->n && total_stake) {
        uint64_t pool = 0;
        for (size_t i = 0; !rc && i < self->reg->n_pods; i++) {
            const nines_pod_info_t *pod = &self->reg->pods [i];
            acct_t *acct = s_acct (self, pod->pod, true);
            if (!acct) {
                rc = NINES_ENOMEM;
                break;
            }
            uint64_t fee = (uint64_t) (((u128) pod->stake * self->reg->params.fee_ppm) / NINES_PPM);
            uint64_t left = s_remaining (pod, acct);
            if (fee > left)
                fee = left;
            if (!fee)
                continue;
            acct->fees += fee;
            pool += fee;
            uint64_t v [2] = { acct->slashed, acct->fees };
            rc = s_put_u64s (self, "acct", pod->pod, NINES_ID_BYTES, v, 2);
        }
        for (size_t i = 0; !rc && i < a->n; i++) {
            uint64_t share = (uint64_t) (((u128) pool * a->who [i]->stake) / total_stake);
            uint64_t cur [3] = { 0, 0, 0 };   /* total, periods, last period */
            const void *val;
            size_t vlen;
            if (nines_txn_get (self->txn, "rewards", a->who [i]->id, NINES_ID_BYTES, &val, &vlen) == 0 && vlen == 24) {
                cur [0] = nines_get_le64 (val);
                cur [1] = nines_get_le64 ((const uint8_t *) val + 8);
            }
            cur [0] += share;
            cur [1] += 1;
            cur [2] = p;
            rc = s_put_u64s (self, "rewards", a->who [i]->id, NINES_ID_BYTES, cur, 3);
        }
    }
    free (a->who);
    free (a);
    return rc;
}

void
nines_ledger_tick (nines_ledger_t *self, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    if (now < p->genesis_ms || p->fee_period_ms == 0 || s_begin (self))
        return;
    int rc = NINES_OK;
    bool dirty = false;
    uint64_t period = (now - p->genesis_ms) / p->fee_period_ms;
    uint64_t start = p->genesis_ms + period * p->fee_period_ms;
    if (!self->has_canary || self->canary_period < period) {
        /* uniform over what is left of the period (all of it unless the
           ledger starts or restarts mid-period), leaving time to answer */
        uint64_t base = now > start ? now : start;
        uint64_t last = start + p->fee_period_ms;
        last = last > base + p->canary_window_ms ? last - p->canary_window_ms : base + 1;
        uint64_t span = last > base ? last - base : 1;
        uint64_t off;
        nines_random (&off, sizeof off);
        uint8_t nonce [32];
        nines_random (nonce, sizeof nonce);
        uint8_t le [8];
        nines_le64 (le, period);
        static const char domain [] = "nines/canary-id/v1";
        nines_hash (self->canary_id, 3, (const uint8_t *) domain, sizeof domain - 1, le, (size_t) 8,
                    nonce, sizeof nonce);
        self->has_canary = true;
        self->canary_period = period;
        self->canary_t = base + off % span;
        self->canary_deadline = self->canary_t + p->canary_window_ms;
        self->canary_published = false;
        rc = s_put_canary (self);
        dirty = true;
    }
    if (!rc && !self->canary_published && now >= self->canary_t) {
        self->canary_published = true;
        rc = s_put_canary (self);
        dirty = true;
        msgpack_sbuffer sb;
        msgpack_packer pk;
        msgpack_sbuffer_init (&sb);
        msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
        s_pack_canary (self, &pk, false);
        s_event (self, NINES_LEDGER_TOPIC_CANARY, &sb);
    }
    if (!rc && self->settled == 0) {
        self->settled = period + 1;     /* stored as period + 1: 0 means not started */
        rc = s_meta_put (self, "settled", self->settled);
        dirty = true;
    }
    while (!rc && self->settled - 1 < period) {
        rc = s_settle_fees (self, self->settled - 1);
        self->settled++;
        if (!rc) rc = s_meta_put (self, "settled", self->settled);
        dirty = true;
    }
    if (!rc && now >= self->last_topup + TOPUP_MS) {
        self->last_topup = now;
        for (size_t i = 0; !rc && i < self->reg->n_pods; i++) {
            size_t lo, hi;
            s_pod_range (self, self->reg->pods [i].pod, &lo, &hi);
            if (lo < hi) {
                uint64_t before = self->slash_seq;
                rc = s_settle (self, &self->reg->pods [i], now, NO_ANNOUNCE);
                dirty = dirty || self->slash_seq != before;
            }
        }
    }
    if (rc)
        s_abort (self, true);
    else
    if (dirty)
        s_commit (self);
    else
        s_abort (self, false);
}

uint64_t
nines_ledger_next_wakeup (nines_ledger_t *self, uint64_t now)
{
    uint64_t t = now + WAKEUP_MAX_MS;
    if (self->has_canary && !self->canary_published && self->canary_t < t)
        t = self->canary_t > now ? self->canary_t : now;
    return t;
}

/*  ---- request handlers ----
    Each returns 0 after packing a complete reply map into pk, or a
    NINES_E* code with a sentence in err (the dispatcher answers
    {ok: false, error: "NINES_E...: sentence"}). */

typedef struct {
    nines_ledger_t *self;               /* ledger */
    nines_query_t *q;                   /* parsed request */
    uint64_t now;                       /* request time, Unix ms */
    msgpack_packer *pk;                 /* reply */
    char *err;                          /* failure sentence */
    size_t err_size;
} req_t;

static int
s_fail (req_t *r, int rc, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static int
s_fail (req_t *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->err, r->err_size, fmt, ap);
    va_end (ap);
    return rc;
}

/*  Replay guard: t_ms must exceed the last accepted from signer in domain
    for that entry (a validator id, or a pod id: a provider may change
    several pods within the same millisecond). */
static int
s_seq (nines_ledger_t *self, const char *domain, const uint8_t signer [NINES_ID_BYTES],
       const uint8_t entry [NINES_ID_BYTES], uint64_t t_ms)
{
    uint8_t key [NINES_DOMAIN_MAX + 2 * NINES_ID_BYTES];
    size_t dl = strlen (domain);
    memcpy (key, domain, dl);
    memcpy (key + dl, signer, NINES_ID_BYTES);
    memcpy (key + dl + NINES_ID_BYTES, entry, NINES_ID_BYTES);
    size_t klen = dl + 2 * NINES_ID_BYTES;
    const void *val;
    size_t vlen;
    if (nines_txn_get (self->txn, "seq", key, klen, &val, &vlen) == 0 && vlen == 8 && t_ms <= nines_get_le64 (val))
        return NINES_EREPLAY;
    return s_put_u64s (self, "seq", key, klen, &t_ms, 1);
}

/*  Common tail of a registry change: store the new version and commit;
    then s_registry_done (after the cache is updated) publishes it. */
static int
s_registry_commit (req_t *r)
{
    nines_ledger_t *self = r->self;
    int rc = s_meta_put (self, "version", self->reg->version + 1);
    if (rc || (rc = s_commit (self)))
        return s_fail (r, rc, "cannot store the change");
    return NINES_OK;
}

/*  The cache holds the change (nines_registry_put_* bumped its counter):
    set the version stored by s_registry_commit, publish, reply. */
static int
s_registry_done (req_t *r, uint64_t version)
{
    nines_ledger_t *self = r->self;
    self->reg->version = version;
    s_event_registry (self);
    msgpack_pack_map (r->pk, 2);
    nines_pack_kv_bool (r->pk, "ok", true);
    nines_pack_kv_u64 (r->pk, "version", version);
    return NINES_OK;
}

/*  Keep a copy of the current validator set (and params) before it
    changes: evidence from rounds that used it still verifies for
    HISTORY_LAG_MS (nines_ledger_verify_evidence_hist).  A burst of
    registrations (within HISTORY_BURST_MS of the last kept set) keeps only
    the set from before the burst, so a network registering many validators
    at once does not push it out of the ring.  Memory only. */
static void
s_remember_validators (nines_ledger_t *self, uint64_t now)
{
    if (self->older [0] && now < self->older_until [0] + HISTORY_BURST_MS) {
        self->older_until [0] = now;
        return;
    }
    nines_registry_t *copy = nines_registry_new ();
    if (!copy)
        return;
    copy->params = self->reg->params;
    for (size_t i = 0; i < self->reg->n_validators; i++)
        if (nines_registry_put_validator (copy, &self->reg->validators [i])) {
            nines_registry_destroy (&copy);
            return;
        }
    nines_registry_destroy (&self->older [HISTORY - 1]);
    memmove (&self->older [1], &self->older [0], (HISTORY - 1) * sizeof self->older [0]);
    memmove (&self->older_until [1], &self->older_until [0], (HISTORY - 1) * sizeof self->older_until [0]);
    self->older [0] = copy;
    self->older_until [0] = now;
}

/*  info + t_ms + sig of a registration: verified against signer. */
static int
s_signed_info (req_t *r, const char *domain, const uint8_t **info, size_t *len, uint64_t *t_ms, uint8_t sig [64])
{
    if (nines_query_blob (r->q, "info", info, len) || nines_query_u64 (r->q, "t_ms", t_ms)
    ||  nines_query_bin (r->q, "sig", sig, NINES_SIG_BYTES))
        return s_fail (r, NINES_EMALFORMED, "expected info (bin), t_ms (uint) and sig (bin 64)");
    return NINES_OK;
}

static int
h_register_validator (req_t *r)
{
    nines_ledger_t *self = r->self;
    const uint8_t *info;
    size_t len;
    uint64_t t_ms;
    uint8_t sig [NINES_SIG_BYTES];
    nines_validator_info_t v;
    int rc = s_signed_info (r, NINES_DOMAIN_REG_VALIDATOR, &info, &len, &t_ms, sig);
    if (rc)
        return rc;
    if ((rc = nines_validator_info_decode (info, len, &v)))
        return s_fail (r, rc, "info is not a validator entry");
    if (nines_ledger_verify (v.id, NINES_DOMAIN_REG_VALIDATOR, t_ms, info, len, sig))
        return s_fail (r, NINES_EBADSIG, "signature by the validator id does not verify for " NINES_DOMAIN_REG_VALIDATOR);
    if (v.stake < self->reg->params.min_validator_stake)
        return s_fail (r, NINES_ESTAKE, "stake %llu below the minimum %llu", (unsigned long long) v.stake,
                       (unsigned long long) self->reg->params.min_validator_stake);
    if (strncmp (v.endpoint, "tcp://", 6) != 0)
        return s_fail (r, NINES_EINVAL, "endpoint must be tcp://host:port");
    if ((rc = s_begin (self)))
        return s_fail (r, rc, "storage unavailable");
    rc = s_seq (self, NINES_DOMAIN_REG_VALIDATOR, v.id, v.id, t_ms);
    if (!rc) rc = s_put (self, "validators", v.id, NINES_ID_BYTES, info, len);
    if (rc) {
        s_abort (self, false);
        return s_fail (r, rc, rc == NINES_EREPLAY ? "t_ms not after the last registration" : "cannot store");
    }
    uint64_t version = self->reg->version + 1;
    rc = s_registry_commit (r);
    if (!rc) {
        s_remember_validators (self, r->now);
        nines_registry_put_validator (self->reg, &v);
        rc = s_registry_done (r, version);
    }
    return rc;
}

/*  Commit the open write transaction holding pod p (malloc'd; freed
    here), then update the in-memory registry and publish the new version.
    0 or the NINES_E* code already reported. */
static int
s_pod_publish (req_t *r, nines_pod_info_t *p)
{
    uint64_t version = r->self->reg->version + 1;
    int rc = s_registry_commit (r);
    if (!rc) {
        nines_registry_put_pod (r->self->reg, p);
        rc = s_registry_done (r, version);
    }
    free (p);
    return rc;
}

/*  Store a provider-signed change to pod p (malloc'd; freed here) in one
    transaction with the signer's replay guard for domain, then update the
    in-memory registry and publish the new version.  Writes the reply;
    returns 0 or the NINES_E* code already reported (replay_msg names a
    NINES_EREPLAY). */
static int
s_store_pod_change (req_t *r, const char *domain, nines_pod_info_t *p, uint64_t t_ms, const char *replay_msg)
{
    nines_ledger_t *self = r->self;
    int rc;
    if ((rc = s_begin (self))) {
        free (p);
        return s_fail (r, rc, "storage unavailable");
    }
    rc = s_seq (self, domain, p->provider, p->pod, t_ms);
    if (!rc) rc = s_put_pod (self, p);
    if (rc) {
        s_abort (self, false);
        free (p);
        return s_fail (r, rc, "%s", rc == NINES_EREPLAY ? replay_msg : "cannot store");
    }
    return s_pod_publish (r, p);
}

static int
h_register_pod (req_t *r)
{
    nines_ledger_t *self = r->self;
    const uint8_t *info;
    size_t len;
    uint64_t t_ms;
    uint8_t sig [NINES_SIG_BYTES];
    int rc = s_signed_info (r, NINES_DOMAIN_REG_POD, &info, &len, &t_ms, sig);
    if (rc)
        return rc;
    nines_pod_info_t *p = malloc (sizeof *p);
    if (!p)
        return s_fail (r, NINES_ENOMEM, "out of memory");
    if ((rc = nines_pod_info_decode (info, len, p))) {
        free (p);
        return s_fail (r, rc, "info is not a pod entry");
    }
    const nines_pod_info_t *old = nines_registry_pod (self->reg, p->pod);
    if (nines_ledger_verify (p->provider, NINES_DOMAIN_REG_POD, t_ms, info, len, sig))
        rc = s_fail (r, NINES_EBADSIG, "signature by the provider does not verify for " NINES_DOMAIN_REG_POD);
    else
    if (old && memcmp (old->provider, p->provider, NINES_ID_BYTES) != 0)
        rc = s_fail (r, NINES_EPERM, "the pod is registered by another provider");
    if (rc) {
        free (p);
        return rc;
    }
    /* announced maintenance is kept; paid_until cannot move into the past */
    p->n_maint = old ? old->n_maint : 0;
    if (old)
        memcpy (p->maint, old->maint, sizeof p->maint);
    if (p->paid_until_ms && p->paid_until_ms < r->now)
        p->paid_until_ms = r->now;
    return s_store_pod_change (r, NINES_DOMAIN_REG_POD, p, t_ms,
                               "t_ms not after the provider's last registration");
}

/*  pod + t_ms + sig of a provider-signed change; *pod_p the registered pod. */
static int
s_provider_signed (req_t *r, const char *domain, const uint8_t *body, size_t len, const uint8_t pod [NINES_ID_BYTES],
                   uint64_t t_ms, const nines_pod_info_t **pod_p)
{
    uint8_t sig [NINES_SIG_BYTES];
    if (nines_query_bin (r->q, "sig", sig, NINES_SIG_BYTES))
        return s_fail (r, NINES_EMALFORMED, "expected sig (bin 64)");
    const nines_pod_info_t *p = nines_registry_pod (r->self->reg, pod);
    if (!p)
        return s_fail (r, NINES_EUNKNOWN, "unknown pod");
    if (nines_ledger_verify (p->provider, domain, t_ms, body, len, sig))
        return s_fail (r, NINES_EBADSIG, "signature by the pod's provider does not verify for %s", domain);
    *pod_p = p;
    return NINES_OK;
}

static int
h_maintenance (req_t *r)
{
    nines_ledger_t *self = r->self;
    const nines_params_t *pa = &self->reg->params;
    uint8_t pod [NINES_ID_BYTES], body [NINES_MAINT_BODY_BYTES];
    uint64_t start, end, t_ms;
    if (nines_query_bin (r->q, "pod", pod, NINES_ID_BYTES) || nines_query_u64 (r->q, "start_ms", &start)
    ||  nines_query_u64 (r->q, "end_ms", &end) || nines_query_u64 (r->q, "t_ms", &t_ms))
        return s_fail (r, NINES_EMALFORMED, "expected pod (bin 32), start_ms, end_ms, t_ms, sig");
    if (end <= start)
        return s_fail (r, NINES_EINVAL, "end_ms must be after start_ms");
    nines_ledger_maint_body (body, pod, start, end);
    const nines_pod_info_t *old;
    int rc = s_provider_signed (r, NINES_DOMAIN_MAINTENANCE, body, sizeof body, pod, t_ms, &old);
    if (rc)
        return rc;
    nines_pod_info_t *p = malloc (sizeof *p);
    if (!p)
        return s_fail (r, NINES_ENOMEM, "out of memory");
    *p = *old;
    /* honoured only with notice and within the budget of the rolling period */
    int why = NINES_OK;
    uint64_t used = 0, horizon = 2 * (pa->maint_period_ms > pa->window_ms ? pa->maint_period_ms : pa->window_ms);
    uint8_t keep = 0;
    for (uint8_t i = 0; i < p->n_maint && i < NINES_MAINT_MAX; i++) {
        const nines_maint_t *m = &p->maint [i];
        if (m->end_ms + horizon < r->now && m->end_ms + pa->merge_max_ms < r->now)
            continue;                               /* long past: dropped */
        p->maint [keep++] = *m;
        if (m->start_ms < end && start < m->end_ms)
            why = NINES_EEXIST;
        if (m->end_ms > start - (start > pa->maint_period_ms ? pa->maint_period_ms : start) && m->start_ms <= start)
            used += m->end_ms - m->start_ms;
    }
    p->n_maint = keep;
    if (!why && start < r->now + pa->notice_ms)
        why = NINES_ESTALE;
    if (!why && used + (end - start) > pa->maint_budget_ms)
        why = NINES_EFULL;
    if (!why && p->n_maint >= NINES_MAINT_MAX)
        why = NINES_EFULL;
    if ((rc = s_begin (self))) {
        free (p);
        return s_fail (r, rc, "storage unavailable");
    }
    rc = s_seq (self, NINES_DOMAIN_MAINTENANCE, p->provider, p->pod, t_ms);
    if (!rc && !why) {
        p->maint [p->n_maint].start_ms = start;
        p->maint [p->n_maint].end_ms = end;
        p->maint [p->n_maint].announced_ms = r->now;
        p->n_maint++;
        rc = s_put_pod (self, p);
    }
    if (rc) {
        s_abort (self, false);
        free (p);
        return s_fail (r, rc, rc == NINES_EREPLAY ? "t_ms not after the provider's last announcement" : "cannot store");
    }
    if (why) {
        /* the replay guard still moves, so the refusal is final */
        rc = s_commit (self);
        free (p);
        if (rc)
            return s_fail (r, rc, "cannot store");
        msgpack_pack_map (r->pk, 4);
        nines_pack_kv_bool (r->pk, "ok", true);
        nines_pack_kv_bool (r->pk, "honoured", false);
        nines_pack_kv_str (r->pk, "reason", nines_errname (why));
        nines_pack_kv_str (r->pk, "detail", why == NINES_ESTALE ? "announced with less than the notice"
                           : why == NINES_EEXIST ? "overlaps an announced window"
                           : "over the maintenance budget of the period");
        return NINES_OK;
    }
    return s_pod_publish (r, p);
}

static int
h_paid_until (req_t *r)
{
    uint8_t pod [NINES_ID_BYTES], body [NINES_PAID_BODY_BYTES];
    uint64_t until, t_ms;
    if (nines_query_bin (r->q, "pod", pod, NINES_ID_BYTES) || nines_query_u64 (r->q, "paid_until_ms", &until)
    ||  nines_query_u64 (r->q, "t_ms", &t_ms))
        return s_fail (r, NINES_EMALFORMED, "expected pod (bin 32), paid_until_ms, t_ms, sig");
    nines_ledger_paid_body (body, pod, until);
    const nines_pod_info_t *old;
    int rc = s_provider_signed (r, NINES_DOMAIN_PAID_UNTIL, body, sizeof body, pod, t_ms, &old);
    if (rc)
        return rc;
    nines_pod_info_t *p = malloc (sizeof *p);
    if (!p)
        return s_fail (r, NINES_ENOMEM, "out of memory");
    *p = *old;
    p->paid_until_ms = until && until < r->now ? r->now : until;
    return s_store_pod_change (r, NINES_DOMAIN_PAID_UNTIL, p, t_ms,
                               "t_ms not after the provider's last change");
}

static void
s_pack_ack (msgpack_packer *pk, const uint8_t id [NINES_HASH_BYTES], const char *verdict, int reason,
            const char *detail)
{
    msgpack_pack_map (pk, 5);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_bin (pk, "id", id, NINES_HASH_BYTES);
    nines_pack_kv_str (pk, "verdict", verdict);
    nines_pack_kv_str (pk, "reason", nines_errname (reason));
    nines_pack_kv_str (pk, "detail", detail);
}

static int
h_submit_evidence (req_t *r)
{
    nines_ledger_t *self = r->self;
    const uint8_t *bytes;
    size_t len;
    uint8_t from [NINES_ID_BYTES];
    if (nines_query_blob (r->q, "evidence", &bytes, &len) || nines_query_bin (r->q, "from", from, NINES_ID_BYTES))
        return s_fail (r, NINES_EMALFORMED, "expected evidence (bin) and from (bin 32)");
    nines_evidence_t *ev = malloc (sizeof *ev);
    if (!ev)
        return s_fail (r, NINES_ENOMEM, "out of memory");
    int rc = nines_evidence_decode (bytes, len, ev);
    if (rc) {
        free (ev);
        return s_fail (r, rc, "evidence does not decode");
    }
    uint8_t id [NINES_HASH_BYTES];
    nines_evidence_id (ev, id);
    void *seen = NULL;
    size_t slen;
    if (nines_store_get (self->store, "evidence", id, sizeof id, &seen, &slen) == 0) {
        free (seen);
        free (ev);
        s_pack_ack (r->pk, id, NINES_VERDICT_DUPLICATE, NINES_OK, "already accepted");
        return NINES_OK;
    }
    char detail [320];
    const nines_registry_t *older [HISTORY];
    size_t n_older = 0;
    for (int i = 0; i < HISTORY; i++)
        if (self->older [i] && self->older_until [i] + HISTORY_LAG_MS >= ev->down.t_ms)
            older [n_older++] = self->older [i];
    rc = nines_ledger_verify_evidence_hist (self->reg, older, n_older, ev, r->now, NULL, NULL, detail, sizeof detail);
    if (rc) {
        char hex [NINES_ID_HEX];
        nines_info ("evidence from %.16s... rejected: %s (%s)", nines_hex (hex, from, NINES_ID_BYTES),
                    nines_errname (rc), detail);
        free (ev);
        s_pack_ack (r->pk, id, NINES_VERDICT_REJECTED, rc, detail);
        return NINES_OK;
    }
    /* one raw incident per DOWN report; the UP closes it (earliest wins) */
    uint8_t rid [NINES_HASH_BYTES];
    nines_report_id (&ev->down, rid);
    if ((rc = s_begin (self))) {
        free (ev);
        return s_fail (r, rc, "storage unavailable");
    }
    bool found = false, changed = true;
    raw_t *raw = s_raw (self, ev->pod, ev->down.t_ms, rid, true, &found);
    if (!raw) {
        s_abort (self, false);
        free (ev);
        return s_fail (r, NINES_ENOMEM, "out of memory");
    }
    if (found)
        changed = ev->has_up && (!raw->has_up || ev->up.t_ms < raw->t_up);
    if (changed && ev->has_up) {
        raw->has_up = true;
        raw->t_up = ev->up.t_ms;
    }
    uint8_t one = 1;
    uint64_t t_down = ev->down.t_ms;
    const nines_pod_info_t *pod = nines_registry_pod (self->reg, ev->pod);
    rc = changed ? s_put_raw (self, raw) : NINES_OK;
    if (!rc && changed && !found)
        rc = s_reflag (self, t_down, r->now);
    if (!rc && changed)
        rc = s_settle (self, pod, r->now, t_down);
    if (!rc) rc = s_put (self, "evidence", id, sizeof id, &one, 1);
    free (ev);
    if (rc) {
        s_abort (self, true);
        return s_fail (r, rc, "cannot store");
    }
    if ((rc = s_commit (self)))
        return s_fail (r, rc, "cannot store");
    s_pack_ack (r->pk, id, changed ? NINES_VERDICT_ACCEPTED : NINES_VERDICT_DUPLICATE, NINES_OK,
                changed ? (found ? "closes a known incident" : "new incident") : "incident already known");
    return NINES_OK;
}

static int
h_canary_sign (req_t *r)
{
    nines_ledger_t *self = r->self;
    uint8_t body [NINES_CANARY_SIGN_BYTES], sig [NINES_SIG_BYTES];
    if (nines_query_bin (r->q, "canary", body, NINES_HASH_BYTES)
    ||  nines_query_bin (r->q, "validator", body + NINES_HASH_BYTES, NINES_ID_BYTES)
    ||  nines_query_bin (r->q, "sig", sig, NINES_SIG_BYTES))
        return s_fail (r, NINES_EMALFORMED, "expected canary (bin 32), validator (bin 32), sig (bin 64)");
    const uint8_t *v = body + NINES_HASH_BYTES;
    if (!nines_registry_validator (self->reg, v))
        return s_fail (r, NINES_EUNKNOWN, "unknown validator");
    if (nines_verify (v, NINES_DOMAIN_CANARY_SIGN, body, sizeof body, sig))
        return s_fail (r, NINES_EBADSIG, "signature does not verify for " NINES_DOMAIN_CANARY_SIGN);
    if (!self->has_canary || !self->canary_published || memcmp (self->canary_id, body, NINES_HASH_BYTES) != 0)
        return s_fail (r, NINES_ENOTFOUND, "not the open canary");
    if (r->now > self->canary_deadline)
        return s_fail (r, NINES_ESTALE, "answered after the deadline");
    uint8_t key [8 + NINES_ID_BYTES];
    nines_be64 (key, self->canary_period);
    memcpy (key + 8, v, NINES_ID_BYTES);
    int rc = s_begin (self);
    if (!rc) {
        rc = s_put_u64s (self, "canary_sigs", key, sizeof key, &r->now, 1);
        if (rc)
            s_abort (self, false);
        else
            rc = s_commit (self);
    }
    if (rc)
        return s_fail (r, rc, "cannot store");
    msgpack_pack_map (r->pk, 2);
    nines_pack_kv_bool (r->pk, "ok", true);
    nines_pack_kv_u64 (r->pk, "period", self->canary_period);
    return NINES_OK;
}

/*  ---- queries ---- */

static int
h_registry (req_t *r)
{
    nines_ledger_t *self = r->self;
    msgpack_packer *pk = r->pk;
    uint8_t *buf = malloc (NINES_LEDGER_BODY_MAX * 2);
    if (!buf)
        return s_fail (r, NINES_ENOMEM, "out of memory");
    size_t n = 0;
    msgpack_pack_map (pk, 6);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_u64 (pk, "version", self->reg->version);
    nines_pack_kv_bin (pk, "ledger", self->key.pk, NINES_ID_BYTES);
    if (nines_params_encode (&self->reg->params, buf, NINES_LEDGER_BODY_MAX * 2, &n))
        n = 0;
    nines_pack_kv_bin (pk, "params", buf, n);
    nines_pack_str (pk, "validators");
    msgpack_pack_array (pk, (uint32_t) self->reg->n_validators);
    for (size_t i = 0; i < self->reg->n_validators; i++) {
        if (nines_validator_info_encode (&self->reg->validators [i], buf, NINES_LEDGER_BODY_MAX * 2, &n))
            n = 0;
        msgpack_pack_bin (pk, n);
        msgpack_pack_bin_body (pk, buf, n);
    }
    nines_pack_str (pk, "pods");
    msgpack_pack_array (pk, (uint32_t) self->reg->n_pods);
    for (size_t i = 0; i < self->reg->n_pods; i++) {
        if (nines_pod_info_encode (&self->reg->pods [i], buf, NINES_LEDGER_BODY_MAX * 2, &n))
            n = 0;
        msgpack_pack_bin (pk, n);
        msgpack_pack_bin_body (pk, buf, n);
    }
    free (buf);
    return NINES_OK;
}

static void
s_rows (msgpack_packer *pk, uint32_t n)
{
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, n);
}

static int
h_validators (req_t *r)
{
    nines_ledger_t *self = r->self;
    s_rows (r->pk, (uint32_t) self->reg->n_validators);
    for (size_t i = 0; i < self->reg->n_validators; i++) {
        const nines_validator_info_t *v = &self->reg->validators [i];
        uint64_t reward = 0, periods = 0;
        void *val = NULL;
        size_t vlen;
        if (nines_store_get (self->store, "rewards", v->id, NINES_ID_BYTES, &val, &vlen) == 0 && vlen == 24) {
            reward = nines_get_le64 (val);
            periods = nines_get_le64 ((uint8_t *) val + 8);
        }
        free (val);
        msgpack_pack_map (r->pk, 7);
        nines_pack_kv_bin (r->pk, "id", v->id, NINES_ID_BYTES);
        nines_pack_kv_u64 (r->pk, "stake", v->stake);
        nines_pack_kv_u64 (r->pk, "weight", nines_validator_weight (v));
        nines_pack_kv_bool (r->pk, "eligible", v->stake >= self->reg->params.min_validator_stake);
        nines_pack_kv_str (r->pk, "endpoint", v->endpoint);
        nines_pack_kv_u64 (r->pk, "reward", reward);
        nines_pack_kv_u64 (r->pk, "periods", periods);
    }
    return NINES_OK;
}

static int
h_pods (req_t *r)
{
    nines_ledger_t *self = r->self;
    s_rows (r->pk, (uint32_t) self->reg->n_pods);
    for (size_t i = 0; i < self->reg->n_pods; i++) {
        const nines_pod_info_t *p = &self->reg->pods [i];
        const acct_t *a = s_acct (self, p->pod, false);
        msgpack_pack_map (r->pk, 9);
        nines_pack_kv_bin (r->pk, "pod", p->pod, NINES_ID_BYTES);
        nines_pack_kv_bin (r->pk, "provider", p->provider, NINES_ID_BYTES);
        nines_pack_kv_u64 (r->pk, "stake", p->stake);
        nines_pack_kv_u64 (r->pk, "slashed", a ? a->slashed : 0);
        nines_pack_kv_u64 (r->pk, "fees", a ? a->fees : 0);
        nines_pack_kv_u64 (r->pk, "remaining", s_remaining (p, a));
        nines_pack_kv_u64 (r->pk, "paid_until", p->paid_until_ms);
        nines_pack_kv_u64 (r->pk, "maintenance", p->n_maint);
        nines_pack_kv_str (r->pk, "facade_url", p->facade_url);
    }
    return NINES_OK;
}

/*  Optional "pod" filter: NULL for all, or the pod (error if unknown). */
static int
s_pod_filter (req_t *r, const nines_pod_info_t **only)
{
    uint8_t pod [NINES_ID_BYTES];
    *only = NULL;
    int rc = nines_query_bin (r->q, "pod", pod, NINES_ID_BYTES);
    if (rc == NINES_ENOTFOUND)
        return NINES_OK;
    if (rc)
        return s_fail (r, rc, "pod must be bin 32");
    if (!(*only = nines_registry_pod (r->self->reg, pod)))
        return s_fail (r, NINES_EUNKNOWN, "unknown pod");
    return NINES_OK;
}

static int
h_incidents (req_t *r)
{
    nines_ledger_t *self = r->self;
    const nines_pod_info_t *only;
    int rc = s_pod_filter (r, &only);
    if (rc)
        return rc;
    /* count first (merged incidents plus correlated raw ones), then pack */
    uint32_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            s_rows (r->pk, total);
        for (size_t i = 0; i < self->reg->n_pods; i++) {
            const nines_pod_info_t *p = &self->reg->pods [i];
            if (only && only != p)
                continue;
            size_t n = s_groups (self, p);
            for (size_t g = 0; g < n; g++) {
                const paid_t *paid = s_paid (self, p->pod, self->groups [g].rid, false);
                if (pass)
                    s_pack_incident (r->pk, p->pod, &self->groups [g], paid ? paid->paid : 0, false);
                else
                    total++;
            }
            size_t lo, hi;
            s_pod_range (self, p->pod, &lo, &hi);
            for (size_t k = lo; k < hi; k++) {
                const raw_t *raw = &self->raws [k];
                if (!raw->correlated)
                    continue;
                if (!pass) {
                    total++;
                    continue;
                }
                group_t g = { .t_down = raw->t_down, .t_end = raw->has_up ? raw->t_up : 0, .pieces = 1,
                              .open = !raw->has_up,
                              .duration = raw->has_up && raw->t_up > raw->t_down ? raw->t_up - raw->t_down : 0 };
                s_pack_incident (r->pk, p->pod, &g, 0, true);
            }
        }
    }
    return NINES_OK;
}

typedef struct {
    req_t *r;                           /* request */
    const nines_pod_info_t *only;       /* filter */
    bool pack;                          /* second pass */
    uint32_t n;                         /* rows */
} slash_iter_t;

static int
s_slash_row (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    slash_iter_t *it = arg;
    const uint8_t *v = val;
    if (klen != 8 || vlen != 96 || (it->only && memcmp (v, it->only->pod, NINES_ID_BYTES) != 0))
        return 0;
    it->n++;
    if (!it->pack)
        return 0;
    msgpack_packer *pk = it->r->pk;
    uint64_t seq = nines_get_be64 (key);
    msgpack_pack_map (pk, 6);
    nines_pack_kv_u64 (pk, "seq", seq);
    nines_pack_kv_bin (pk, "pod", v, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_ms", nines_get_le64 (v + 64));
    nines_pack_kv_u64 (pk, "duration_ms", nines_get_le64 (v + 72));
    nines_pack_kv_u64 (pk, "amount", nines_get_le64 (v + 80));
    nines_pack_kv_u64 (pk, "incident_total", nines_get_le64 (v + 88));
    return 0;
}

static int
h_slashes (req_t *r)
{
    slash_iter_t it = { r, NULL, false, 0 };
    int rc = s_pod_filter (r, &it.only);
    if (rc)
        return rc;
    nines_store_iter_prefix (r->self->store, "slashes", NULL, 0, s_slash_row, &it);
    s_rows (r->pk, it.n);
    it.pack = true;
    it.n = 0;
    nines_store_iter_prefix (r->self->store, "slashes", NULL, 0, s_slash_row, &it);
    return NINES_OK;
}

typedef struct {
    const nines_pod_info_t *pod;        /* pod */
    uint64_t from, to;                  /* window */
    uint64_t down;                      /* downtime inside it */
} window_ctx_t;

static void
s_window_piece (void *arg, size_t raw, uint64_t a, uint64_t b, bool open)
{
    window_ctx_t *w = arg;
    if (a < w->from)
        a = w->from;
    if (b > w->to)
        b = w->to;
    if (b > a)
        w->down += s_effective (w->pod, a, b);
}

/*  Downtime of a pod inside [now - window, now). */
static uint64_t
s_window_down (nines_ledger_t *self, const nines_pod_info_t *pod, uint64_t now)
{
    uint64_t window = self->reg->params.window_ms;
    window_ctx_t w = { pod, now > window ? now - window : 0, now, 0 };
    s_pieces (self, pod->pod, s_window_piece, &w);
    return w.down;
}

static int
h_nines (req_t *r)
{
    nines_ledger_t *self = r->self;
    const nines_params_t *p = &self->reg->params;
    const nines_pod_info_t *only;
    int rc = s_pod_filter (r, &only);
    if (rc)
        return rc;
    uint64_t target = 3 * NINES_PPM;
    if (nines_query_u64 (r->q, "target", &target) == NINES_EMALFORMED)
        return s_fail (r, NINES_EMALFORMED, "target must be micro-nines (uint)");
    s_rows (r->pk, only ? 1 : (uint32_t) self->reg->n_pods);
    for (size_t i = 0; i < self->reg->n_pods; i++) {
        const nines_pod_info_t *pod = &self->reg->pods [i];
        if (only && only != pod)
            continue;
        uint64_t down = s_window_down (self, pod, r->now), excess = 0;
        uint64_t refund = nines_refund (p, pod->stake, down, p->window_ms, target, &excess);
        msgpack_pack_map (r->pk, 8);
        nines_pack_kv_bin (r->pk, "pod", pod->pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (r->pk, "window_ms", p->window_ms);
        nines_pack_kv_u64 (r->pk, "downtime_ms", down);
        nines_pack_kv_u64 (r->pk, "availability_ppm", nines_availability_ppm (down, p->window_ms));
        nines_pack_kv_u64 (r->pk, "nines_micro", nines_nines_micro (down, p->window_ms));
        nines_pack_kv_u64 (r->pk, "target_micro", target);
        nines_pack_kv_u64 (r->pk, "excess_ms", excess);
        nines_pack_kv_u64 (r->pk, "refund", refund);
    }
    return NINES_OK;
}

typedef struct {
    req_t *r;
    bool pack;
    uint32_t n;
} reward_iter_t;

static int
s_reward_row (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    reward_iter_t *it = arg;
    if (klen != NINES_ID_BYTES || vlen != 24)
        return 0;
    it->n++;
    if (it->pack) {
        msgpack_pack_map (it->r->pk, 4);
        nines_pack_kv_bin (it->r->pk, "validator", key, NINES_ID_BYTES);
        nines_pack_kv_u64 (it->r->pk, "reward", nines_get_le64 (val));
        nines_pack_kv_u64 (it->r->pk, "periods", nines_get_le64 ((const uint8_t *) val + 8));
        nines_pack_kv_u64 (it->r->pk, "last_period", nines_get_le64 ((const uint8_t *) val + 16));
    }
    return 0;
}

static int
h_rewards (req_t *r)
{
    reward_iter_t it = { r, false, 0 };
    nines_store_iter_prefix (r->self->store, "rewards", NULL, 0, s_reward_row, &it);
    s_rows (r->pk, it.n);
    it.pack = true;
    it.n = 0;
    nines_store_iter_prefix (r->self->store, "rewards", NULL, 0, s_reward_row, &it);
    return NINES_OK;
}

static int
h_canary (req_t *r)
{
    nines_ledger_t *self = r->self;
    if (!self->has_canary || !self->canary_published || r->now > self->canary_deadline) {
        msgpack_pack_map (r->pk, 2);
        nines_pack_kv_bool (r->pk, "ok", true);
        nines_pack_kv_bool (r->pk, "none", true);
        return NINES_OK;
    }
    s_pack_canary (self, r->pk, true);
    return NINES_OK;
}

typedef int (handler_fn) (req_t *r);
static const struct {
    const char *op;
    handler_fn *fn;
} s_ops [] = {
    { NINES_LEDGER_OP_REGISTRY, h_registry },
    { NINES_LEDGER_OP_REG_VALIDATOR, h_register_validator },
    { NINES_LEDGER_OP_REG_POD, h_register_pod },
    { NINES_LEDGER_OP_MAINTENANCE, h_maintenance },
    { NINES_LEDGER_OP_PAID_UNTIL, h_paid_until },
    { NINES_LEDGER_OP_SUBMIT_EVIDENCE, h_submit_evidence },
    { NINES_LEDGER_OP_CANARY, h_canary },
    { NINES_LEDGER_OP_CANARY_SIGN, h_canary_sign },
    { NINES_LEDGER_OP_VALIDATORS, h_validators },
    { NINES_LEDGER_OP_PODS, h_pods },
    { NINES_LEDGER_OP_INCIDENTS, h_incidents },
    { NINES_LEDGER_OP_SLASHES, h_slashes },
    { NINES_LEDGER_OP_NINES, h_nines },
    { NINES_LEDGER_OP_REWARDS, h_rewards },
};

int
nines_ledger_handle (nines_ledger_t *self, const uint8_t *req, size_t len, uint64_t now,
                     uint8_t **reply, size_t *reply_len)
{
    *reply = NULL;
    *reply_len = 0;
    char err [384] = "";
    nines_query_t *q = NULL;
    int rc = nines_query_parse_max (req, len, NINES_LEDGER_REQ_MAX, &q);
    if (rc)
        return nines_reply_bad_query (rc, reply, reply_len);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    char detail [320] = "";
    req_t r = { self, q, now, &pk, detail, sizeof detail };
    handler_fn *fn = NULL;
    for (size_t i = 0; i < sizeof s_ops / sizeof s_ops [0] && !fn; i++)
        if (strcmp (s_ops [i].op, nines_query_op (q)) == 0)
            fn = s_ops [i].fn;
    if (!fn) {
        msgpack_sbuffer_destroy (&sb);
        rc = nines_reply_unknown_op (nines_query_op (q), reply, reply_len);
        nines_query_destroy (&q);
        return rc;
    }
    rc = fn (&r);
    nines_query_destroy (&q);
    if (rc) {
        msgpack_sbuffer_destroy (&sb);
        snprintf (err, sizeof err, "%s: %s", nines_errname (rc), detail);
        return nines_reply_error (err, reply, reply_len);
    }
    if (!sb.data)
        return NINES_ENOMEM;
    *reply = (uint8_t *) sb.data;
    *reply_len = sb.size;
    return NINES_OK;
}
