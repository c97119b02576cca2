/*  An index from 32-byte ids to the entries of an array the caller owns
    (entry i's id at keys + i * stride): open addressing with linear
    probing on the Fibonacci hash of the id's first 8 bytes (ids are
    hashes or public keys, so those bytes are uniform), backward-shift
    deletion.  The table holds entry + 1 (0 = empty) and has at least
    twice the slots of the entries it may hold, so every probe ends at an
    empty slot.  The one id-keyed table of the engine's seen reports and
    the simulator's maps. */
#ifndef NINES_IDMAP_H
#define NINES_IDMAP_H

#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

typedef struct {
    uint32_t *slot;                      /* capacity slots: entry + 1, 0 empty */
    size_t mask;                         /* capacity - 1 (a power of two) */
    unsigned shift;                      /* 64 - log2 (capacity): the hash's top bits index */
    const uint8_t *keys;                 /* entry i's id at keys + i * stride (borrowed) */
    size_t stride;                       /* bytes from one entry's id to the next */
} nines_idmap_t;

/*  An empty index for up to max_entries entries over keys, with at least
    min_slots slots (rounded up to a power of two).  0 or NINES_ENOMEM
    (then m->slot is NULL).  A map over moved keys is made anew. */
int nines_idmap_init (nines_idmap_t *m, size_t max_entries, size_t min_slots, const void *keys,
                      size_t stride) NINES_WARN_UNUSED;

/*  Free the slots (keys are the caller's); m may be zeroed or already
    destroyed. */
void nines_idmap_destroy (nines_idmap_t *m);

/*  Index entry (its id must be in keys and not in the map yet). */
void nines_idmap_put (nines_idmap_t *m, uint32_t entry);

/*  The entry whose id is id, or -1. */
long nines_idmap_get (const nines_idmap_t *m, const uint8_t id [32]);

/*  Forget entry, found by its id as keys hold it now (call it before the
    caller overwrites that id); nothing when it is not indexed. */
void nines_idmap_del (nines_idmap_t *m, uint32_t entry);

#endif
