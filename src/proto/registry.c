#include "proto/registry.h"
#include "proto/committee.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include <stddef.h>

static void s_id_index_destroy (struct _nines_id_index_t **self_p);

nines_registry_t *
nines_registry_new (void)
{
    nines_registry_t *self = (nines_registry_t *) calloc (1, sizeof *self);
    if (self)
        nines_params_default (&self->params);
    return self;
}

void
nines_registry_destroy (nines_registry_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_registry_t *self = *self_p;
    free (self->validators);
    for (size_t i = 0; i < self->n_pods; i++)
        free (self->pods [i].blob);
    free (self->pods);
    free (self->full);
    free (self->eligible_ids);
    free (self->eligible_idx);
    free (self->committee_cache);
    s_id_index_destroy (&self->id_index);
    free (self);
    *self_p = NULL;
}

int
nines_registry_reindex (nines_registry_t *self)
{
    free (self->eligible_ids);
    free (self->eligible_idx);
    self->eligible_ids = NULL;
    self->eligible_idx = NULL;
    self->n_eligible = 0;
    self->version++;
    if (self->n_validators == 0)
        return NINES_OK;
    self->eligible_ids = malloc (self->n_validators * NINES_ID_BYTES);
    self->eligible_idx = malloc (self->n_validators * sizeof (uint32_t));
    if (!self->eligible_ids || !self->eligible_idx)
        return NINES_ENOMEM;
    for (size_t i = 0; i < self->n_validators; i++)
        if (self->validators [i].stake >= self->params.min_validator_stake) {
            memcpy (self->eligible_ids [self->n_eligible], self->validators [i].id, NINES_ID_BYTES);
            self->eligible_idx [self->n_eligible++] = (uint32_t) i;
        }
    return NINES_OK;
}

/*  Binary search in an array of records whose first member is a 32-byte id.
    Returns the index where id is or would be inserted; *found tells. */
static size_t
s_search (const void *base, size_t n, size_t size, const uint8_t id [NINES_ID_BYTES], bool *found)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp ((const uint8_t *) base + mid * size, id, NINES_ID_BYTES);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

/*  ---- id index: id -> array index, one table for validators[], one for pods[] ----

    Binary search over records (96 bytes a pod, 160 a validator) costs a cache miss a step
    (17 at 100,000 pods); nines-sim des looks ids up tens of millions of
    times per simulated hour.  Ids are Ed25519 public keys or random pod
    ids, so their first 8 bytes are uniform: multiplied by the golden
    ratio they are the hash.  Open addressing with linear probing in a
    power-of-two table at least twice the records; a slot holds the array
    index + 1 (0 = empty) and id bytes 8..11 as a tag, so a probe past
    another id rarely touches its record.  A table is rebuilt on the first
    lookup after version (or the count) changed, like the committee memo. */

#define ID_INDEX_MIN 16                  /* smallest table (slots) */

typedef struct {
    uint32_t index;                          /* array index + 1, 0 = empty */
    uint32_t tag;                            /* id bytes 8..11 of that record */
} s_id_slot_t;

typedef struct {
    bool built;                              /* slots match version and n below */
    uint64_t version;                        /* registry version it was built at */
    size_t n;                                /* records it was built over */
    s_id_slot_t *slots;                      /* the table; NULL = binary search */
    size_t capacity;                         /* slots, a power of two */
    unsigned shift;                          /* 64 - log2 (capacity) */
} s_id_table_t;

struct _nines_id_index_t {
    s_id_table_t validators;                 /* over validators[] by id */
    s_id_table_t pods;                       /* over pods[] by pod id */
};

static void
s_id_index_destroy (struct _nines_id_index_t **self_p)
{
    if (!*self_p)
        return;
    free ((*self_p)->validators.slots);
    free ((*self_p)->pods.slots);
    free (*self_p);
    *self_p = NULL;
}

static size_t
s_id_home (const s_id_table_t *t, const uint8_t id [NINES_ID_BYTES])
{
    uint64_t h;
    memcpy (&h, id, 8);
    return (size_t) ((h * 0x9e3779b97f4a7c15ULL) >> t->shift);
}

static uint32_t
s_id_tag (const uint8_t id [NINES_ID_BYTES])
{
    uint32_t tag;
    memcpy (&tag, id + 8, 4);
    return tag;
}

/*  Rebuild t over n records of size bytes at base.  On allocation
    failure t has no slots (lookups binary-search) until the next change. */
static void
s_id_table_build (s_id_table_t *t, uint64_t version, const void *base, size_t n, size_t size)
{
    t->built = true;
    t->version = version;
    t->n = n;
    size_t capacity = ID_INDEX_MIN;
    unsigned bits = 4;
    while (capacity < 2 * n) {
        capacity *= 2;
        bits++;
    }
    if (n >= UINT32_MAX || capacity != t->capacity) {
        free (t->slots);
        t->slots = NULL;
        t->capacity = 0;
        if (n >= UINT32_MAX || !(t->slots = calloc (capacity, sizeof *t->slots)))
            return;
        t->capacity = capacity;
        t->shift = 64 - bits;
    }
    else
        memset (t->slots, 0, capacity * sizeof *t->slots);
    for (size_t k = 0; k < n; k++) {
        const uint8_t *id = (const uint8_t *) base + k * size;
        size_t i = s_id_home (t, id);
        while (t->slots [i].index)
            i = (i + 1) & (capacity - 1);
        t->slots [i].index = (uint32_t) k + 1;
        t->slots [i].tag = s_id_tag (id);
    }
}

/*  Index of id in pods[] (pods true) or validators[], or -1. */
static long
s_find (const nines_registry_t *self, bool pods, const uint8_t id [NINES_ID_BYTES])
{
    const void *base = pods ? (const void *) self->pods : (const void *) self->validators;
    size_t n = pods ? self->n_pods : self->n_validators;
    size_t size = pods ? sizeof *self->pods : sizeof *self->validators;
    if (n == 0)
        return -1;
    nines_registry_t *mut = (nines_registry_t *) self;   /* the index is not registry state */
    if (!mut->id_index)
        mut->id_index = calloc (1, sizeof *mut->id_index);
    s_id_table_t *t = NULL;
    if (mut->id_index) {
        t = pods ? &mut->id_index->pods : &mut->id_index->validators;
        if (!t->built || t->version != self->version || t->n != n)
            s_id_table_build (t, self->version, base, n, size);
    }
    if (!t || !t->slots) {
        bool found;
        size_t at = s_search (base, n, size, id, &found);
        return found ? (long) at : -1;
    }
    uint32_t tag = s_id_tag (id);
    for (size_t i = s_id_home (t, id); t->slots [i].index; i = (i + 1) & (t->capacity - 1)) {
        size_t at = t->slots [i].index - 1;
        if (t->slots [i].tag == tag && memcmp ((const uint8_t *) base + at * size, id, NINES_ID_BYTES) == 0)
            return (long) at;
    }
    return -1;
}

static int
s_put (void **base, size_t *n, size_t size, const void *record)
{
    bool found;
    size_t at = s_search (*base, *n, size, (const uint8_t *) record, &found);
    if (!found) {
        void *grown = realloc (*base, (*n + 1) * size);
        if (!grown)
            return NINES_ENOMEM;
        *base = grown;
        memmove ((uint8_t *) grown + (at + 1) * size, (uint8_t *) grown + at * size, (*n - at) * size);
        (*n)++;
    }
    memcpy ((uint8_t *) *base + at * size, record, size);
    return NINES_OK;
}

static int
s_remove (void *base, size_t *n, size_t size, const uint8_t id [NINES_ID_BYTES])
{
    bool found;
    size_t at = s_search (base, *n, size, id, &found);
    if (!found)
        return NINES_ENOTFOUND;
    memmove ((uint8_t *) base + at * size, (uint8_t *) base + (at + 1) * size, (*n - at - 1) * size);
    (*n)--;
    return NINES_OK;
}

int
nines_registry_put_validator (nines_registry_t *self, const nines_validator_info_t *v)
{
    int rc = s_put ((void **) &self->validators, &self->n_validators, sizeof *v, v);
    return rc ? rc : nines_registry_reindex (self);
}

/*  ---- compact pod records ---- */

static size_t
s_clamp (size_t n, size_t max)
{
    return n < max ? n : max;
}

/*  The blob's layout, in one place for both directions: url NUL method NUL
    path NUL, then rec's counts of facade keys, SPKI pins and maintenance
    windows.  pack: info -> blob (blob NULL: only measure); else blob ->
    info.  Returns the blob's length in bytes. */
static size_t
s_blob_walk (nines_pod_info_t *info, const nines_pod_t *rec, uint8_t *blob, bool pack)
{
    struct { char *s; size_t max; } str [] = {
        { info->facade_url, NINES_URL_MAX }, { info->method, sizeof info->method },
        { info->path, NINES_HTTP_PATH_MAX } };
    struct { void *p; size_t len; } arr [] = {
        { info->facade_keys, (size_t) rec->n_facade_keys * NINES_ID_BYTES },
        { info->spki_pins, (size_t) rec->n_spki_pins * NINES_HASH_BYTES },
        { info->maint, (size_t) rec->n_maint * sizeof (nines_maint_t) } };
    size_t at = 0;
    for (size_t i = 0; i < sizeof str / sizeof str [0]; i++) {
        size_t n = pack ? strnlen (str [i].s, str [i].max - 1) : strlen ((const char *) blob + at);
        if (blob && pack)
            memcpy (blob + at, str [i].s, n), blob [at + n] = 0;
        else if (blob)
            memcpy (str [i].s, blob + at, n);
        at += n + 1;
    }
    for (size_t i = 0; i < sizeof arr / sizeof arr [0]; i++) {
        if (blob && pack)
            memcpy (blob + at, arr [i].p, arr [i].len);
        else if (blob)
            memcpy (arr [i].p, blob + at, arr [i].len);
        at += arr [i].len;
    }
    return at;
}

/*  The fixed fields nines_pod_t and nines_pod_info_t share, from src to
    dst (either way: the names are the same). */
#define S_POD_HEAD(dst, src) do {                                   \
        memcpy ((dst)->pod, (src)->pod, NINES_ID_BYTES);            \
        memcpy ((dst)->provider, (src)->provider, NINES_ID_BYTES);  \
        (dst)->stake = (src)->stake;                                \
        (dst)->paid_until_ms = (src)->paid_until_ms;                \
    } while (0)

int
nines_pod_pack (const nines_pod_info_t *p, nines_pod_t *rec)
{
    memset (rec, 0, sizeof *rec);
    S_POD_HEAD (rec, p);
    rec->n_facade_keys = (uint8_t) s_clamp (p->n_facade_keys, NINES_POD_KEYS_MAX);
    rec->n_spki_pins = (uint8_t) s_clamp (p->n_spki_pins, NINES_POD_PINS_MAX);
    rec->n_maint = (uint8_t) s_clamp (p->n_maint, NINES_MAINT_MAX);
    nines_pod_info_t *in = (nines_pod_info_t *) p;    /* read only: pack never writes info */
    size_t len = s_blob_walk (in, rec, NULL, true);
    rec->blob = malloc (len);
    if (!rec->blob)
        return NINES_ENOMEM;
    rec->blob_len = (uint16_t) len;
    s_blob_walk (in, rec, rec->blob, true);
    return NINES_OK;
}

const char *
nines_pod_url (const nines_pod_t *pod)
{
    return pod->blob ? (const char *) pod->blob : "";
}

void
nines_pod_expand (const nines_pod_t *pod, nines_pod_info_t *out)
{
    memset (out, 0, sizeof *out);
    S_POD_HEAD (out, pod);
    out->n_facade_keys = pod->n_facade_keys;
    out->n_spki_pins = pod->n_spki_pins;
    out->n_maint = pod->n_maint;
    if (pod->blob)
        s_blob_walk (out, pod, pod->blob, false);
}

/*  The expanded array, built on first use; NULL when out of memory. */
static nines_pod_info_t *
s_full (const nines_registry_t *self)
{
    nines_registry_t *mut = (nines_registry_t *) self;    /* a view, not registry state */
    if (!mut->full && self->n_pods) {
        mut->full = malloc (self->n_pods * sizeof *mut->full);
        for (size_t i = 0; mut->full && i < self->n_pods; i++)
            nines_pod_expand (&self->pods [i], &mut->full [i]);
    }
    return mut->full;
}

int
nines_registry_put_pod (nines_registry_t *self, const nines_pod_info_t *p)
{
    nines_pod_t rec;
    if (nines_pod_pack (p, &rec))
        return NINES_ENOMEM;
    bool found;
    size_t at = s_search (self->pods, self->n_pods, sizeof *self->pods, p->pod, &found);
    if (found)
        free (self->pods [at].blob);
    else {
        nines_pod_t *grown = realloc (self->pods, (self->n_pods + 1) * sizeof *grown);
        if (!grown) {
            free (rec.blob);
            return NINES_ENOMEM;
        }
        self->pods = grown;
        memmove (grown + at + 1, grown + at, (self->n_pods - at) * sizeof *grown);
        if (self->full) {
            nines_pod_info_t *full = realloc (self->full, (self->n_pods + 1) * sizeof *full);
            if (full)
                memmove (full + at + 1, full + at, (self->n_pods - at) * sizeof *full);
            else
                free (self->full);      /* rebuilt when next asked */
            self->full = full;
        }
        self->n_pods++;
    }
    self->pods [at] = rec;
    if (self->full)
        nines_pod_expand (&rec, &self->full [at]);
    self->version++;
    return NINES_OK;
}

int
nines_registry_remove_validator (nines_registry_t *self, const uint8_t id [NINES_ID_BYTES])
{
    int rc = s_remove (self->validators, &self->n_validators, sizeof *self->validators, id);
    return rc ? rc : nines_registry_reindex (self);
}

int
nines_registry_remove_pod (nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    bool found;
    size_t at = s_search (self->pods, self->n_pods, sizeof *self->pods, pod, &found);
    if (!found)
        return NINES_ENOTFOUND;
    free (self->pods [at].blob);
    memmove (self->pods + at, self->pods + at + 1, (self->n_pods - at - 1) * sizeof *self->pods);
    if (self->full)
        memmove (self->full + at, self->full + at + 1, (self->n_pods - at - 1) * sizeof *self->full);
    self->n_pods--;
    self->version++;
    return NINES_OK;
}

long
nines_registry_validator_index (const nines_registry_t *self, const uint8_t id [NINES_ID_BYTES])
{
    return s_find (self, false, id);
}

const nines_validator_info_t *
nines_registry_validator (const nines_registry_t *self, const uint8_t id [NINES_ID_BYTES])
{
    long at = nines_registry_validator_index (self, id);
    return at < 0 ? NULL : &self->validators [at];
}

long
nines_registry_pod_index (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    return s_find (self, true, pod);
}

const nines_pod_t *
nines_registry_pod_rec (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    long at = s_find (self, true, pod);
    return at < 0 ? NULL : &self->pods [at];
}

const nines_pod_info_t *
nines_registry_pod_at (const nines_registry_t *self, size_t i)
{
    nines_pod_info_t *full = i < self->n_pods ? s_full (self) : NULL;
    return full ? &full [i] : NULL;
}

const nines_pod_info_t *
nines_registry_pod (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    long at = s_find (self, true, pod);
    return at < 0 ? NULL : nines_registry_pod_at (self, (size_t) at);
}

uint64_t
nines_validator_weight (const nines_validator_info_t *v)
{
    return nines_isqrt (v->stake);
}

#define COMMITTEE_CACHE 4096             /* memoised committees (direct-mapped) */

typedef struct {
    bool used;                               /* entry filled */
    uint8_t pod [NINES_ID_BYTES];            /* key: pod */
    uint8_t seed [NINES_HASH_BYTES];         /* key: epoch seed */
    uint64_t version;                        /* key: registry version */
    uint32_t c;                              /* key: size asked */
    uint32_t n;                              /* members found */
    uint32_t idx [NINES_REPORT_MAX_VOTES];   /* their eligible indexes, by rank */
} s_committee_entry_t;

struct _nines_committee_cache_t {
    s_committee_entry_t entries [COMMITTEE_CACHE];
};

size_t
nines_registry_committee (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES],
                          uint64_t epoch, size_t c, const nines_validator_info_t **out,
                          uint64_t *total_weight)
{
    uint8_t seed [NINES_HASH_BYTES];
    nines_epoch_seed (seed, self->params.genesis_seed, epoch);
    if (c > self->n_eligible)
        c = self->n_eligible;               /* bounds the stack array below */
    uint32_t idx [c ? c : 1];
    size_t n;
    s_committee_entry_t *e = NULL;
    if (c <= NINES_REPORT_MAX_VOTES) {
        nines_registry_t *mut = (nines_registry_t *) self;   /* the memo is not registry state */
        if (!mut->committee_cache)
            mut->committee_cache = calloc (1, sizeof *mut->committee_cache);
        if (mut->committee_cache) {
            uint64_t h;
            memcpy (&h, pod, 8);
            h ^= nines_hash_u64 (seed);
            e = &mut->committee_cache->entries [(h * 0x9e3779b97f4a7c15ULL >> 32) % COMMITTEE_CACHE];
        }
    }
    if (e && e->used && e->version == self->version && e->c == c
    &&  memcmp (e->pod, pod, NINES_ID_BYTES) == 0 && memcmp (e->seed, seed, NINES_HASH_BYTES) == 0) {
        n = e->n;
        memcpy (idx, e->idx, n * sizeof idx [0]);
    }
    else {
        n = nines_committee (seed, pod, (const uint8_t (*) [NINES_ID_BYTES]) self->eligible_ids,
                             self->n_eligible, c, idx);
        if (e) {
            e->used = true;
            memcpy (e->pod, pod, NINES_ID_BYTES);
            memcpy (e->seed, seed, NINES_HASH_BYTES);
            e->version = self->version;
            e->c = (uint32_t) c;
            e->n = (uint32_t) n;
            memcpy (e->idx, idx, n * sizeof idx [0]);
        }
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        out [i] = &self->validators [self->eligible_idx [idx [i]]];
        total += nines_validator_weight (out [i]);
    }
    if (total_weight)
        *total_weight = total;
    return n;
}

size_t
nines_registry_committee_size (const nines_registry_t *self)
{
    return self->params.committee < NINES_REPORT_MAX_VOTES ? self->params.committee : NINES_REPORT_MAX_VOTES;
}

bool
nines_registry_in_committee (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES],
                             uint64_t epoch, const uint8_t id [NINES_ID_BYTES])
{
    /* The bound also keeps this array on the stack small whatever
       committee size a registry claims. */
    size_t c = nines_registry_committee_size (self);
    const nines_validator_info_t *members [c ? c : 1];
    size_t n = nines_registry_committee (self, pod, epoch, c, members, NULL);
    for (size_t i = 0; i < n; i++)
        if (memcmp (members [i]->id, id, NINES_ID_BYTES) == 0)
            return true;
    return false;
}
