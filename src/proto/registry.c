#include "proto/registry.h"
#include "proto/committee.h"
#include "base/config.h"
#include "base/log.h"
#include <czmq.h>
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
    free (self->pods);
    free (self->eligible_ids);
    free (self->eligible_idx);
    free (self->committee_cache);
    s_id_index_destroy (&self->id_index);
    free (self);
    *self_p = NULL;
}

/*  Rebuild the eligible-id array after any validator change. */
static int
s_reindex (nines_registry_t *self)
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

    Binary search over records of ~900 bytes costs a cache miss a step
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
    return rc ? rc : s_reindex (self);
}

int
nines_registry_put_pod (nines_registry_t *self, const nines_pod_info_t *p)
{
    int rc = s_put ((void **) &self->pods, &self->n_pods, sizeof *p, p);
    if (!rc)
        self->version++;
    return rc;
}

int
nines_registry_remove_validator (nines_registry_t *self, const uint8_t id [NINES_ID_BYTES])
{
    int rc = s_remove (self->validators, &self->n_validators, sizeof *self->validators, id);
    return rc ? rc : s_reindex (self);
}

int
nines_registry_remove_pod (nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    int rc = s_remove (self->pods, &self->n_pods, sizeof *self->pods, pod);
    if (!rc)
        self->version++;
    return rc;
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

const nines_pod_info_t *
nines_registry_pod (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    long at = s_find (self, true, pod);
    return at < 0 ? NULL : &self->pods [at];
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

/*  ---- ZPL snapshot files ---- */

static int
s_err (char *err, size_t size, const char *name, const char *where, const char *what, const char *got)
{
    if (err)
        snprintf (err, size, "%s: %s: expected %s, got '%s'", name, where, what, got ? got : "(missing)");
    return NINES_ECONFIG;
}

static int
s_hex_field (zconfig_t *section, const char *key, uint8_t out [32], bool required,
             const char *name, const char *where, char *err, size_t err_size)
{
    const char *text = zconfig_get (section, key, NULL);
    if (!text) {
        if (!required)
            return NINES_OK;
        char at [96];
        snprintf (at, sizeof at, "%s/%s", where, key);
        return s_err (err, err_size, name, at, "64 hex digits", NULL);
    }
    if (nines_unhex (out, 32, text)) {
        char at [96];
        snprintf (at, sizeof at, "%s/%s", where, key);
        return s_err (err, err_size, name, at, "64 hex digits", text);
    }
    return NINES_OK;
}

/*  A repeatable key: every `key = <64 hex>` line of the section adds one
    value to set (1..max of them; none is an error). */
static int
s_hex_set (zconfig_t *section, const char *key, uint8_t (*set) [32], uint8_t *n, uint8_t max,
           const char *name, const char *where, char *err, size_t err_size)
{
    char at [96];
    snprintf (at, sizeof at, "%s/%s", where, key);
    *n = 0;
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        if (strcmp (zconfig_name (item), key) != 0)
            continue;
        const char *text = zconfig_value (item);
        if (*n == max) {
            char what [64];
            snprintf (what, sizeof what, "at most %u `%s` lines", max, key);
            return s_err (err, err_size, name, at, what, text);
        }
        if (!text || nines_unhex (set [*n], 32, text))
            return s_err (err, err_size, name, at, "64 hex digits", text);
        (*n)++;
    }
    if (*n == 0)
        return s_err (err, err_size, name, at, "64 hex digits (one line per key, at least one)", NULL);
    return NINES_OK;
}

static int
s_u64_field (zconfig_t *section, const char *key, uint64_t *out, const char *name,
             const char *where, char *err, size_t err_size)
{
    const char *text = zconfig_get (section, key, NULL);
    if (!text)
        return NINES_OK;
    if (nines_parse_u64 (text, out)) {
        char at [96];
        snprintf (at, sizeof at, "%s/%s", where, key);
        return s_err (err, err_size, name, at, "a non-negative integer", text);
    }
    return NINES_OK;
}

static int
s_str_field (zconfig_t *section, const char *key, char *out, size_t size, const char *name,
             const char *where, char *err, size_t err_size)
{
    const char *text = zconfig_get (section, key, NULL);
    if (!text)
        return NINES_OK;
    if (strlen (text) >= size) {
        char at [96], what [64];
        snprintf (at, sizeof at, "%s/%s", where, key);
        snprintf (what, sizeof what, "at most %zu characters", size - 1);
        return s_err (err, err_size, name, at, what, text);
    }
    strcpy (out, text);
    return NINES_OK;
}

/*  out = "WHAT (did you mean NAME?)", NAME the closest of names[0..n) to
    typed by nines_closest_name (the daemons' rule), or WHAT alone when
    none is close. */
static void
s_hint (char *out, size_t size, const char *what, const char *typed, const char *const *names, size_t n)
{
    size_t near = nines_closest_name (typed, names, n);
    if (near < n)
        snprintf (out, size, "%s (did you mean %s?)", what, names [near]);
    else
        snprintf (out, size, "%s", what);
}

/*  An unknown key of a section: "NAME: where/key: expected a known WHAT
    (did you mean ...?), got 'key'".  NINES_ECONFIG. */
static int
s_unknown_key (const char *key, const char *const *names, size_t n, const char *what,
               const char *name, const char *where, char *err, size_t err_size)
{
    char at [96], known [64], expected [128];
    snprintf (at, sizeof at, "%s/%s", where, key);
    snprintf (known, sizeof known, "a known %s", what);
    s_hint (expected, sizeof expected, known, key, names, n);
    return s_err (err, err_size, name, at, expected, key);
}

/*  Every key of section is one of names[0..n) (s_unknown_key for the first
    that is not).  NINES_OK or NINES_ECONFIG. */
static int
s_known_keys (zconfig_t *section, const char *const *names, size_t n,
              const char *name, const char *where, char *err, size_t err_size)
{
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        size_t i = 0;
        while (i < n && strcmp (names [i], zconfig_name (item)) != 0)
            i++;
        if (i == n)
            return s_unknown_key (zconfig_name (item), names, n, "key", name, where, err, err_size);
    }
    return NINES_OK;
}

static int
s_load_params (zconfig_t *section, nines_params_t *p, const char *name, char *err, size_t err_size)
{
    int rc = s_hex_field (section, "genesis_seed", p->genesis_seed, false, name, "params", err, err_size);
    if (rc)
        return rc;
    for (zconfig_t *item = zconfig_child (section); item; item = zconfig_next (item)) {
        const char *key = zconfig_name (item);
        const char *text = zconfig_value (item);
        if (strcmp (key, "genesis_seed") == 0)
            continue;
        const nines_param_desc_t *row = NULL;
        for (size_t i = 0; i < nines_param_ndescs; i++)
            if (strcmp (nines_param_descs [i].name, key) == 0)
                row = &nines_param_descs [i];
        char at [96];
        snprintf (at, sizeof at, "params/%s", key);
        if (!row) {
            const char *names [64];
            size_t n = 0;
            for (size_t i = 0; i < nines_param_ndescs && n < 64; i++)
                names [n++] = nines_param_descs [i].name;
            return s_unknown_key (key, names, n, "parameter name", name, "params", err, err_size);
        }
        uint8_t *field = (uint8_t *) p + row->offset;
        uint64_t v64;
        uint32_t v32;
        switch (row->kind) {
            case 'd':
                if (nines_parse_duration_ms (text, &v64))
                    return s_err (err, err_size, name, at, "a duration such as 10s", text);
                memcpy (field, &v64, 8);
                break;
            case 'u':
                if (nines_parse_u64 (text, &v64))
                    return s_err (err, err_size, name, at, "a non-negative integer", text);
                memcpy (field, &v64, 8);
                break;
            case 'w':
                if (nines_parse_u64 (text, &v64) || v64 > UINT32_MAX)
                    return s_err (err, err_size, name, at, "an integer below 2^32", text);
                v32 = (uint32_t) v64;
                memcpy (field, &v32, 4);
                break;
            case 'p':
                if (nines_parse_ppm (text, &v32))
                    return s_err (err, err_size, name, at, "a fraction such as 0.6667 or 10%", text);
                memcpy (field, &v32, 4);
                break;
        }
    }
    if (p->epoch_ms == 0 || p->committee == 0 || p->r == 0)
        return s_err (err, err_size, name, "params", "epoch, r and committee above zero", "0");
    return NINES_OK;
}

/*  The keys of a validator and a pod section, as s_from_zconfig reads them
    and nines_registry_save writes them. */
static const char *const s_validator_keys [] = { "id", "stake", "endpoint" };
static const char *const s_pod_keys [] = {
    "id", "provider", "facade_key", "spki_pin", "facade_url", "stake", "paid_until", "method", "path"
};
static const char *const s_sections [] = { "params", "validator", "pod" };
#define S_COUNT(a) (sizeof (a) / sizeof (a) [0])

static nines_registry_t *
s_from_zconfig (zconfig_t *root, const char *name, char *err, size_t err_size)
{
    nines_registry_t *self = nines_registry_new ();
    if (!self)
        return NULL;
    int rc = NINES_OK;
    zconfig_t *params = zconfig_locate (root, "params");
    if (params)
        rc = s_load_params (params, &self->params, name, err, err_size);
    int nv = 0, np = 0;
    for (zconfig_t *s = zconfig_child (root); s && !rc; s = zconfig_next (s)) {
        const char *kind = zconfig_name (s);
        char where [32];
        if (strcmp (kind, "validator") == 0) {
            nines_validator_info_t v;
            memset (&v, 0, sizeof v);
            snprintf (where, sizeof where, "validator[%d]", nv++);
            rc = s_known_keys (s, s_validator_keys, S_COUNT (s_validator_keys), name, where, err, err_size);
            if (!rc) rc = s_hex_field (s, "id", v.id, true, name, where, err, err_size);
            if (!rc) rc = s_u64_field (s, "stake", &v.stake, name, where, err, err_size);
            if (!rc) rc = s_str_field (s, "endpoint", v.endpoint, sizeof v.endpoint, name, where, err, err_size);
            if (!rc) rc = nines_registry_put_validator (self, &v);
        }
        else
        if (strcmp (kind, "pod") == 0) {
            nines_pod_info_t p;
            memset (&p, 0, sizeof p);
            strcpy (p.method, "GET");
            strcpy (p.path, "/");
            snprintf (where, sizeof where, "pod[%d]", np++);
            rc = s_known_keys (s, s_pod_keys, S_COUNT (s_pod_keys), name, where, err, err_size);
            if (!rc) rc = s_hex_field (s, "id", p.pod, true, name, where, err, err_size);
            if (!rc) rc = s_hex_field (s, "provider", p.provider, false, name, where, err, err_size);
            if (!rc) rc = s_hex_set (s, "facade_key", p.facade_keys, &p.n_facade_keys, NINES_POD_KEYS_MAX,
                                     name, where, err, err_size);
            if (!rc) rc = s_hex_set (s, "spki_pin", p.spki_pins, &p.n_spki_pins, NINES_POD_PINS_MAX,
                                     name, where, err, err_size);
            if (!rc) rc = s_str_field (s, "facade_url", p.facade_url, sizeof p.facade_url, name, where, err, err_size);
            if (!rc) rc = s_u64_field (s, "stake", &p.stake, name, where, err, err_size);
            if (!rc) rc = s_u64_field (s, "paid_until", &p.paid_until_ms, name, where, err, err_size);
            if (!rc) rc = s_str_field (s, "method", p.method, sizeof p.method, name, where, err, err_size);
            if (!rc) rc = s_str_field (s, "path", p.path, sizeof p.path, name, where, err, err_size);
            if (!rc && !*p.facade_url)
                rc = s_err (err, err_size, name, where, "a facade_url", NULL);
            if (!rc) rc = nines_registry_put_pod (self, &p);
        }
        else
        if (strcmp (kind, "params") != 0) {
            char what [96];
            s_hint (what, sizeof what, "a section named params, validator or pod", kind,
                    s_sections, S_COUNT (s_sections));
            rc = s_err (err, err_size, name, kind, what, kind);
        }
    }
    if (!rc)
        rc = s_reindex (self);
    if (rc)
        nines_registry_destroy (&self);
    return self;
}

nines_registry_t *
nines_registry_load (const char *path, char *err, size_t err_size)
{
    const char *error = NULL;
    nines_config_t *cfg = nines_config_load (path, &error);
    if (!cfg) {
        if (err)
            snprintf (err, err_size, "%s", error);
        return NULL;
    }
    nines_registry_t *self = s_from_zconfig (nines_config_zconfig (cfg), path, err, err_size);
    nines_config_destroy (&cfg);
    return self;
}

nines_registry_t *
nines_registry_from_string (const char *name, const char *text, char *err, size_t err_size)
{
    const char *error = NULL;
    nines_config_t *cfg = nines_config_from_string (name, text, &error);
    if (!cfg) {
        if (err)
            snprintf (err, err_size, "%s", error);
        return NULL;
    }
    nines_registry_t *self = s_from_zconfig (nines_config_zconfig (cfg), name, err, err_size);
    nines_config_destroy (&cfg);
    return self;
}

int
nines_registry_save (const nines_registry_t *self, const char *path)
{
    char tmp [4096];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen (tmp, "w");
    if (!f)
        return NINES_EIO;
    char hex [65];
    fprintf (f, "#   nines registry snapshot (ZPL, see src/proto/registry.h)\n");
    fprintf (f, "params\n    genesis_seed = %s\n", nines_hex (hex, self->params.genesis_seed, 32));
    for (size_t i = 0; i < nines_param_ndescs; i++) {
        const nines_param_desc_t *d = &nines_param_descs [i];
        const uint8_t *field = (const uint8_t *) &self->params + d->offset;
        uint64_t v64 = 0;
        uint32_t v32 = 0;
        if (d->kind == 'h')
            continue;
        if (d->kind == 'd' || d->kind == 'u')
            memcpy (&v64, field, 8);
        else
            memcpy (&v32, field, 4), v64 = v32;
        const char *unit = d->kind == 'd' ? "ms" : d->kind == 'p' ? "ppm" : "";
        fprintf (f, "    %s = %llu%s\n", d->name, (unsigned long long) v64, unit);
    }
    for (size_t i = 0; i < self->n_validators; i++) {
        const nines_validator_info_t *v = &self->validators [i];
        fprintf (f, "validator\n    id = %s\n    stake = %llu\n    endpoint = \"%s\"\n",
                 nines_hex (hex, v->id, 32), (unsigned long long) v->stake, v->endpoint);
    }
    for (size_t i = 0; i < self->n_pods; i++) {
        const nines_pod_info_t *p = &self->pods [i];
        fprintf (f, "pod\n    id = %s\n", nines_hex (hex, p->pod, 32));
        fprintf (f, "    provider = %s\n", nines_hex (hex, p->provider, 32));
        fprintf (f, "    facade_url = \"%s\"\n", p->facade_url);
        for (uint8_t k = 0; k < p->n_facade_keys; k++)
            fprintf (f, "    facade_key = %s\n", nines_hex (hex, p->facade_keys [k], 32));
        for (uint8_t k = 0; k < p->n_spki_pins; k++)
            fprintf (f, "    spki_pin = %s\n", nines_hex (hex, p->spki_pins [k], 32));
        fprintf (f, "    stake = %llu\n    paid_until = %llu\n", (unsigned long long) p->stake,
                 (unsigned long long) p->paid_until_ms);
        fprintf (f, "    method = %s\n    path = \"%s\"\n", p->method, p->path);
    }
    int rc = fflush (f) || fsync (fileno (f)) ? NINES_EIO : NINES_OK;
    if (fclose (f))
        rc = NINES_EIO;
    if (!rc && rename (tmp, path))
        rc = NINES_EIO;
    if (rc)
        unlink (tmp);
    return rc;
}
