/*  The ledger's state: LMDB storage helpers, the in-memory cache loaded
    from it, and the ledger object (open, destroy, accessors).  See
    ledger_private.h. */
#include "ledger/ledger_private.h"
#include "base/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const s_dbs [] = {
    "meta", "seq", "validators", "pods", "acct", "evidence", "incidents", "groups",
    "slashes", "canary", "canary_sigs", "rewards", NULL
};

/*  ---- small helpers ---- */

bool
ledger_grow (void **arr, size_t *cap, size_t need, size_t elem)
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

int
ledger_put (nines_ledger_t *self, const char *db, const void *key, size_t klen, const void *val, size_t vlen)
{
    return nines_txn_put (self->txn, db, key, klen, val, vlen);
}

int
ledger_put_u64s (nines_ledger_t *self, const char *db, const void *key, size_t klen, const uint64_t *v, size_t n)
{
    uint8_t buf [16 * 8];
    for (size_t i = 0; i < n; i++)
        nines_le64 (buf + 8 * i, v [i]);
    return ledger_put (self, db, key, klen, buf, 8 * n);
}

int
ledger_meta_put (nines_ledger_t *self, const char *key, uint64_t v)
{
    return ledger_put_u64s (self, "meta", key, strlen (key), &v, 1);
}

static void s_load (nines_ledger_t *self);

int
ledger_begin (nines_ledger_t *self)
{
    return nines_txn_begin (self->store, true, &self->txn);
}

/*  Commit; on failure the cache may be ahead of the disk: reload it. */
int
ledger_commit (nines_ledger_t *self)
{
    int rc = nines_txn_commit (&self->txn);
    if (rc) {
        nines_error ("ledger: commit failed (%s); reloading state", nines_errname (rc));
        s_load (self);
    }
    return rc;
}

void
ledger_abort (nines_ledger_t *self, bool dirty)
{
    nines_txn_abort (&self->txn);
    if (dirty)
        s_load (self);
}

void
ledger_event (nines_ledger_t *self, const char *topic, msgpack_sbuffer *sb)
{
    if (!sb->data || !ledger_grow ((void **) &self->events, &self->cap_events, self->n_events + 1, sizeof (event_t))) {
        msgpack_sbuffer_destroy (sb);
        return;
    }
    event_t *e = &self->events [self->n_events++];
    snprintf (e->topic, sizeof e->topic, "%s", topic);
    e->data = (uint8_t *) sb->data;
    e->len = sb->size;
}

void
ledger_event_registry (nines_ledger_t *self)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init_map (&sb, &pk, 1);
    nines_pack_kv_u64 (&pk, "version", self->reg->version);
    ledger_event (self, NINES_LEDGER_TOPIC_REGISTRY, &sb);
}

/*  ---- cache ---- */

acct_t *
ledger_acct (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], bool create)
{
    for (size_t i = 0; i < self->n_accts; i++)
        if (memcmp (self->accts [i].pod, pod, NINES_ID_BYTES) == 0)
            return &self->accts [i];
    if (!create || !ledger_grow ((void **) &self->accts, &self->cap_accts, self->n_accts + 1, sizeof (acct_t)))
        return NULL;
    acct_t *a = &self->accts [self->n_accts++];
    memset (a, 0, sizeof *a);
    memcpy (a->pod, pod, NINES_ID_BYTES);
    return a;
}

/*  Sorted arrays (raws by (pod, t_down, rid), paids by (pod, rid)): the
    first index whose element is not below key (cmp (elem, key) < 0 when
    elem sorts first), and whether it equals key.  O(log n). */
typedef int (order_fn) (const void *elem, const void *key);
static size_t
s_lower (const void *base, size_t n, size_t size, order_fn *cmp, const void *key, bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp ((const uint8_t *) base + mid * size, key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < n && cmp ((const uint8_t *) base + lo * size, key) == 0;
    return lo;
}

/*  Opens a zeroed element at index at of a sorted array of *n (grown as
    ledger_grow does); NULL when it cannot grow. */
static void *
s_insert (void **base, size_t *cap, size_t *n, size_t size, size_t at)
{
    if (!ledger_grow (base, cap, *n + 1, size))
        return NULL;
    uint8_t *b = *base;
    memmove (b + (at + 1) * size, b + at * size, (*n - at) * size);
    (*n)++;
    memset (b + at * size, 0, size);
    return b + at * size;
}

typedef struct {
    const uint8_t *pod;             /* NINES_ID_BYTES */
    uint64_t t_down;                /* raws only */
    const uint8_t *rid;             /* NINES_HASH_BYTES */
} entry_key_t;

static int
s_paid_cmp (const void *elem, const void *key)
{
    const paid_t *a = elem;
    const entry_key_t *k = key;
    int c = memcmp (a->pod, k->pod, NINES_ID_BYTES);
    return c ? c : memcmp (a->rid, k->rid, NINES_HASH_BYTES);
}

/*  What was credited to the raw incident rid of pod (create: a zero entry
    when none); O(log n), the entries sorted by (pod, rid). */
paid_t *
ledger_paid (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], const uint8_t rid [NINES_HASH_BYTES], bool create)
{
    entry_key_t k = { pod, 0, rid };
    bool found;
    size_t at = s_lower (self->paids, self->n_paids, sizeof (paid_t), s_paid_cmp, &k, &found);
    if (found)
        return &self->paids [at];
    paid_t *p = create ? s_insert ((void **) &self->paids, &self->cap_paids, &self->n_paids, sizeof (paid_t), at) : NULL;
    if (p) {
        memcpy (p->pod, pod, NINES_ID_BYTES);
        memcpy (p->rid, rid, NINES_HASH_BYTES);
    }
    return p;
}

static int
s_raw_cmp (const void *elem, const void *key)
{
    const raw_t *a = elem;
    const entry_key_t *k = key;
    int c = memcmp (a->pod, k->pod, NINES_ID_BYTES);
    if (c)
        return c;
    if (a->t_down != k->t_down)
        return a->t_down < k->t_down ? -1 : 1;
    return memcmp (a->rid, k->rid, NINES_HASH_BYTES);
}

/*  Find or insert (keeping order) a raw incident; *found tells which. */
raw_t *
ledger_raw (nines_ledger_t *self, const uint8_t *pod, uint64_t t_down, const uint8_t *rid, bool create, bool *found)
{
    entry_key_t k = { pod, t_down, rid };
    bool have;
    size_t at = s_lower (self->raws, self->n_raws, sizeof (raw_t), s_raw_cmp, &k, &have);
    if (found)
        *found = have;
    if (have || !create)
        return have ? &self->raws [at] : NULL;
    raw_t *r = s_insert ((void **) &self->raws, &self->cap_raws, &self->n_raws, sizeof (raw_t), at);
    if (r) {
        memcpy (r->pod, pod, NINES_ID_BYTES);
        memcpy (r->rid, rid, NINES_HASH_BYTES);
        r->t_down = t_down;
    }
    return r;
}

int
ledger_put_raw (nines_ledger_t *self, const raw_t *r)
{
    uint8_t key [NINES_ID_BYTES + 8 + NINES_HASH_BYTES];
    memcpy (key, r->pod, NINES_ID_BYTES);
    nines_be64 (key + NINES_ID_BYTES, r->t_down);
    memcpy (key + NINES_ID_BYTES + 8, r->rid, NINES_HASH_BYTES);
    uint64_t v [4] = { r->t_down, r->t_up, r->has_up, r->correlated };
    return ledger_put_u64s (self, "incidents", key, sizeof key, v, 4);
}

int
ledger_put_pod (nines_ledger_t *self, const nines_pod_info_t *p)
{
    uint8_t buf [NINES_LEDGER_BODY_MAX * 2];
    size_t n = 0;
    int rc = nines_pod_info_encode (p, buf, sizeof buf, &n);
    return rc ? rc : ledger_put (self, "pods", p->pod, NINES_ID_BYTES, buf, n);
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
    raw_t *r = ledger_raw (self, k, nines_get_le64 (v), k + NINES_ID_BYTES + 8, true, NULL);
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
    paid_t *p = ledger_paid (arg, key, (const uint8_t *) key + NINES_ID_BYTES, true);
    if (p)
        p->paid = nines_get_le64 (val);
    return 0;
}

static int
s_load_acct (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    if (klen != NINES_ID_BYTES || vlen != 16)
        return 0;
    acct_t *a = ledger_acct (arg, key, true);
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
    int rc = ledger_begin (self);
    if (!rc) rc = nines_params_encode (params, buf, sizeof buf, &n);
    if (!rc) rc = ledger_put (self, "meta", "params", 6, buf, n);
    for (size_t i = 0; !rc && genesis && i < genesis->n_validators; i++) {
        rc = nines_validator_info_encode (&genesis->validators [i], buf, sizeof buf, &n);
        if (!rc) rc = ledger_put (self, "validators", genesis->validators [i].id, NINES_ID_BYTES, buf, n);
    }
    for (size_t i = 0; !rc && genesis && i < genesis->n_pods; i++)
        rc = ledger_put_pod (self, nines_registry_pod_at (genesis, i));
    if (!rc) rc = ledger_meta_put (self, "version", 1);
    if (rc) {
        ledger_abort (self, false);
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

int
ledger_fail (req_t *r, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (r->err, r->err_size, fmt, ap);
    va_end (ap);
    return rc;
}
