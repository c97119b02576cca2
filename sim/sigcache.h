/*  A set of (signer, signed bytes, signature) triples known to verify,
    shared by the engines of one nines-sim des process, so that a report
    gossiped to 10^4 simulated validators costs its Ed25519 checks once,
    not 10^4 times.  The engines reach it through their config's
    hooks.vote_verify (src/core/engine.h); a daemon has one engine and no
    use for it.  Every signature is still checked for real on first sight.
    Not thread-safe. */
#ifndef NINES_SIM_SIGCACHE_H
#define NINES_SIM_SIGCACHE_H

#include <stddef.h>
#include "base/error.h"
#include "wire/wire.h"

typedef struct _nines_sigcache_t nines_sigcache_t;

/*  A cache of slots entries (rounded up to a power of two, at least 64;
    32 bytes each); a full cache forgets old entries.  NULL on allocation
    failure. */
nines_sigcache_t *nines_sigcache_new (size_t slots);
void nines_sigcache_destroy (nines_sigcache_t **self_p);

/*  nines_vote_verify through cache (a nines_sigcache_t, or NULL for no
    cache), in the shape of nines_vote_verify_fn: 0 or NINES_EBADSIG. */
int nines_sigcache_vote_verify (void *cache, const nines_vote_t *vote) NINES_WARN_UNUSED;

#endif
