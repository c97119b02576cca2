/*  A vote signature cache shared by the engines of nines-sim des: see
    sigcache.h. */
#include "sigcache.h"
#include "base/error.h"
#include "crypto/crypto.h"
#include <stdlib.h>
#include <string.h>

/*  ---- shared verification cache (simulator) ---- */

#define SIGCACHE_PROBES 8

struct _nines_sigcache_t {
    uint8_t (*keys) [NINES_HASH_BYTES]; /* H(signer || signed bytes || sig), zero = empty */
    size_t mask;                    /* slots - 1 */
};

nines_sigcache_t *
nines_sigcache_new (size_t slots)
{
    nines_sigcache_t *self = calloc (1, sizeof *self);
    size_t cap = 64;
    while (cap < slots)
        cap *= 2;
    if (self)
        self->keys = calloc (cap, NINES_HASH_BYTES);
    if (self && !self->keys) {
        free (self);
        return NULL;
    }
    if (self)
        self->mask = cap - 1;
    return self;
}

void
nines_sigcache_destroy (nines_sigcache_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    free ((*self_p)->keys);
    free (*self_p);
    *self_p = NULL;
}

int
nines_sigcache_vote_verify (void *cache, const nines_vote_t *vote)
{
    nines_sigcache_t *self = (nines_sigcache_t *) cache;
    if (!self)
        return nines_vote_verify (vote);
    uint8_t key [NINES_HASH_BYTES];
    nines_hash (key, 3, vote->body.validator, (size_t) NINES_ID_BYTES, vote->signed_bytes,
                (size_t) (vote->signed_len <= NINES_VOTE_SIGNED_MAX ? vote->signed_len : NINES_VOTE_SIGNED_MAX),
                vote->sig, (size_t) NINES_SIG_BYTES);
    uint64_t h = nines_hash_u64 (key);
    for (size_t k = 0; k < SIGCACHE_PROBES; k++)
        if (memcmp (self->keys [(h + k) & self->mask], key, NINES_HASH_BYTES) == 0)
            return NINES_OK;
    if (nines_vote_verify (vote))
        return NINES_EBADSIG;
    static const uint8_t zero [NINES_HASH_BYTES];
    size_t slot = h & self->mask;
    for (size_t k = 0; k < SIGCACHE_PROBES; k++)
        if (memcmp (self->keys [(h + k) & self->mask], zero, NINES_HASH_BYTES) == 0) {
            slot = (h + k) & self->mask;
            break;
        }
    memcpy (self->keys [slot], key, NINES_HASH_BYTES);
    return NINES_OK;
}
