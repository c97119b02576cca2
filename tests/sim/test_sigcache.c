/*  sim/sigcache.c, the verification cache nines-sim des hands its engines
    through hooks.vote_verify: it answers as nines_vote_verify does, from
    the cache on the second sight, and a flipped signature or signed byte
    is refused though the vote's signer was cached. */
#include "sigcache.h"
#include "crypto/crypto.h"
#include "testutil.h"
#include <stdlib.h>
#include <string.h>

#define T0      UINT64_C (1800000000000)   /* Unix ms, 2027 */

static void
test_sigcache (void)
{
    nines_sigcache_t *cache = nines_sigcache_new (64);
    CHECK (cache != NULL);
    nines_keypair_t kp;
    uint8_t seed [32] = { 42 };
    nines_keypair_from_seed (&kp, seed);
    nines_vote_t *vote = calloc (1, sizeof *vote);
    memcpy (vote->body.validator, kp.pk, 32);
    vote->body.verdict = NINES_VERDICT_DOWN;
    vote->body.t_ms = T0;
    CHECK_RC (nines_vote_sign (vote, &kp), 0);
    CHECK_RC (nines_sigcache_vote_verify (cache, vote), 0);
    CHECK_RC (nines_sigcache_vote_verify (cache, vote), 0);      /* from the cache */
    CHECK_RC (nines_sigcache_vote_verify (NULL, vote), 0);
    vote->sig [0] ^= 1;
    CHECK_RC (nines_sigcache_vote_verify (cache, vote), NINES_EBADSIG);
    vote->sig [0] ^= 1;
    vote->signed_bytes [vote->signed_len - 1] ^= 1;
    CHECK_RC (nines_sigcache_vote_verify (cache, vote), NINES_EBADSIG);
    free (vote);
    nines_sigcache_destroy (&cache);
    CHECK (cache == NULL);
}

int
main (void)
{
    RUN (test_sigcache);
    return t_done ("test_sigcache");
}
