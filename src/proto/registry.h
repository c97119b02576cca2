/*  The registry as a validator or the ledger holds it in memory
    (DESIGN.md section 5): protocol parameters, validators sorted by id, pods
    sorted by pod id, and the array of eligible validator ids (stake at
    least min_validator_stake) that committees are drawn from.

    A registry is also a ZPL file (a "registry snapshot"): ninesd reads one
    when no ledger is configured, `ninesctl verify-evidence` checks evidence
    against one, nines-sim writes one.  Format:

        params
            genesis_seed = <64 hex>     (default all zero)
            genesis = 0                 (Unix ms)
            epoch = 10s
            r = 3
            committee = 7
            theta = 0.666667
            ... every nines_params_t field, durations with units
        validator
            id = <64 hex>
            stake = 1000000
            endpoint = tcp://127.0.0.1:7410
        validator
            ...
        pod
            id = <64 hex>
            provider = <64 hex>
            facade_url = https://127.0.0.1:8443/
            facade_key = <64 hex>       (repeatable, 1..NINES_POD_KEYS_MAX: current, next)
            spki_pin = <64 hex>         (repeatable, 1..NINES_POD_PINS_MAX: current, next)
            stake = 1000000
            paid_until = 0              (Unix ms; 0 = unlimited)
            method = GET
            path = /

    Section names may repeat (zconfig keeps siblings in order). */
#ifndef NINES_REGISTRY_H
#define NINES_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/wire.h"

/*  A registered pod as the registry holds it: 96 bytes, the parts of
    variable size (facade URL, method, path, facade keys, SPKI pins,
    maintenance windows) out of line in one heap blob, so a pod costs
    what it registered (about 200 bytes for one key and one pin) and not
    the 1,128 of a nines_pod_info_t (NINES_URL_MAX, 16 windows, 4 keys and
    4 pins inline).  nines_pod_expand gives the full record. */
typedef struct {
    uint8_t pod [NINES_ID_BYTES];            /* pod id (first: records sort by it) */
    uint8_t provider [NINES_ID_BYTES];       /* provider id */
    uint64_t stake;                          /* provider stake, base units */
    uint64_t paid_until_ms;                  /* protection ends here, Unix ms */
    uint8_t *blob;                           /* url NUL method NUL path NUL, keys, pins,
                                                windows (owned) */
    uint16_t blob_len;                       /* its bytes */
    uint8_t n_facade_keys, n_spki_pins, n_maint; /* counts in the blob */
} nines_pod_t;

/*  The compact record of p into rec, its blob allocated (the caller frees
    rec->blob unless it hands rec to a registry).  0 or NINES_ENOMEM. */
int nines_pod_pack (const nines_pod_info_t *p, nines_pod_t *rec);

/*  Its facade URL (inside the blob; "" when it has none). */
const char *nines_pod_url (const nines_pod_t *pod);

/*  The full record of a registered pod into out (every unused byte zero). */
void nines_pod_expand (const nines_pod_t *pod, nines_pod_info_t *out);

typedef struct {
    nines_params_t params;                   /* protocol parameters */
    size_t n_validators;                     /* registered validators */
    nines_validator_info_t *validators;      /* sorted by id */
    size_t n_pods;                           /* registered pods */
    nines_pod_t *pods;                       /* sorted by pod id (compact records) */
    nines_pod_info_t *full;                  /* the same pods expanded, NULL until
                                                nines_registry_pod or _pod_at asks, then
                                                kept in step by put and remove (the
                                                ledger's; ninesd never builds it) */
    size_t n_eligible;                       /* validators with stake >= min */
    uint8_t (*eligible_ids) [NINES_ID_BYTES];/* their ids, sorted */
    uint32_t *eligible_idx;                  /* index into validators[] */
    uint64_t version;                        /* bumped on every change (the id index and
                                                committee memo are keyed on it) */
    struct _nines_committee_cache_t *committee_cache; /* memo of recent committees (owned,
                                                lazily allocated; see nines_registry_committee) */
    struct _nines_id_index_t *id_index;      /* hash index of validators and pods by id
                                                (owned, lazily built; see nines_registry_pod) */
} nines_registry_t;

nines_registry_t *nines_registry_new (void);
void nines_registry_destroy (nines_registry_t **self_p);

/*  Parse a ZPL registry snapshot of len bytes (name used in messages), in
    one pass section by section: linear in the text (100,000 pods in
    about a second).  On failure returns NULL and writes a message naming
    the source, the section/key and the expectation to err.  Reading the
    file is the caller's (src/client/registry_file.h: nines_registry_load). */
nines_registry_t *nines_registry_from_text (const char *name, const char *text, size_t len,
                                            char *err, size_t err_size);

/*  The same for a NUL-ended text. */
nines_registry_t *nines_registry_from_string (const char *name, const char *text,
                                              char *err, size_t err_size);

/*  The registry as ZPL text (heap, NUL-ended, *len bytes if len is not
    NULL; nines_registry_from_text reads it back), NULL when out of
    memory.  Writing it to a file is nines_registry_save's
    (src/client/registry_file.h). */
char *nines_registry_to_text (const nines_registry_t *self, size_t *len);

/*  Rebuild the eligible-id array (validators with stake >= the params'
    min_validator_stake) and bump version: after validators[] or params
    changed other than through put/remove.  0 or NINES_ENOMEM. */
int nines_registry_reindex (nines_registry_t *self);

/*  Insert or replace by id.  0 or NINES_ENOMEM. */
int nines_registry_put_validator (nines_registry_t *self, const nines_validator_info_t *v);
int nines_registry_put_pod (nines_registry_t *self, const nines_pod_info_t *p);
/*  Remove by id.  0 or NINES_ENOTFOUND. */
int nines_registry_remove_validator (nines_registry_t *self, const uint8_t id [NINES_ID_BYTES]);
int nines_registry_remove_pod (nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES]);

/*  Lookup by id: hash index rebuilt after changes, O(1) expected; binary
    search when out of memory.  NULL when absent.  The index is built on
    the first lookup after a change (keyed on version, so whoever changes
    validators[] or pods[] must bump version, as put and remove do): the
    ten thousand engines of nines-sim des share one registry and look ids
    up tens of millions of times.  Building it makes these calls, like
    nines_registry_committee, not thread-safe on a shared registry. */
const nines_validator_info_t *nines_registry_validator (const nines_registry_t *self,
                                                        const uint8_t id [NINES_ID_BYTES]);
const nines_pod_info_t *nines_registry_pod (const nines_registry_t *self,
                                            const uint8_t pod [NINES_ID_BYTES]);

/*  The compact record of a pod, or NULL: what a validator looks up (no
    expanded copy is built). */
const nines_pod_t *nines_registry_pod_rec (const nines_registry_t *self,
                                           const uint8_t pod [NINES_ID_BYTES]);

/*  Index of a pod in pods[] or -1 (the same hash index). */
long nines_registry_pod_index (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES]);

/*  The expanded record of pods [i] (i < n_pods), valid until the next
    change; builds the expanded array on first use (NULL when out of
    memory), like nines_registry_pod. */
const nines_pod_info_t *nines_registry_pod_at (const nines_registry_t *self, size_t i);

/*  Index of a validator in validators[] or -1 (through the same hash index). */
long nines_registry_validator_index (const nines_registry_t *self, const uint8_t id [NINES_ID_BYTES]);

/*  Quadratic weight of a validator: isqrt(stake) (DESIGN.md 7.4). */
uint64_t nines_validator_weight (const nines_validator_info_t *v);

/*  Committee of pod for epoch among eligible validators: writes up to c
    pointers into out (ascending rank) and returns how many.  Total weight
    of the committee in *total_weight if not NULL.  Computing one costs N
    hashes, so recent answers are memoised in the registry (keyed by pod,
    epoch seed, c and version): the ten thousand engines of nines-sim des
    share one registry and ask for the same committees.  The memo makes
    this call not thread-safe on a shared registry. */
size_t nines_registry_committee (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES],
                                 uint64_t epoch, size_t c, const nines_validator_info_t **out,
                                 uint64_t *total_weight);

/*  Members a committee has: params.committee, at most NINES_REPORT_MAX_VOTES
    (the votes a report can carry, PROTOCOL.md 5). */
size_t nines_registry_committee_size (const nines_registry_t *self);

/*  True if the validator is in the committee of pod for epoch. */
bool nines_registry_in_committee (const nines_registry_t *self, const uint8_t pod [NINES_ID_BYTES],
                                  uint64_t epoch, const uint8_t id [NINES_ID_BYTES]);

#endif
