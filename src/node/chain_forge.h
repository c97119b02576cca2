/*  ninesd's forging adversary on the chain (evm/adversary; tests and
    nines-sim only: refused unless node/fault_hooks = 1, and logged at
    warn at start).  Honest nodes never run this.

    Once per process, at the first pass where the chain's registry of the
    current epoch (the epoch of chain time - 2 s) fits, the node posts a
    fabricated claim for a pod nobody saw down, with its bond:

      forge-claim      DOWN + UP reports, for the first pod (registry
                       order: by pod id) whose committee in that epoch
                       includes this validator;
      forge-down       the DOWN report only (an open incident);
      forge-committee  DOWN only, for the first pod whose committee does
                       NOT include this validator: the claimed committee is
                       the true one with its last-ranked member replaced by
                       this validator (challengeCommittee proves it).

    Each report carries this node's own validly signed vote (its Ed25519
    node key) and forged votes of the other claimed members (their
    bodies, a random 64-byte signature each), heaviest first
    (isqrt(stake)), the fewest that reach theta of the claimed
    committee's weight: with one member heavy enough, exactly one forged
    vote.  DOWN votes observe at chain time - 2 s (outcome timeout, four
    timed-out attempts), UP votes at chain time (ok, one attempt), in one
    epoch, random round ids.  A claim the contract refuses at estimate is
    logged and never retried. */
#ifndef NINES_NODE_CHAIN_FORGE_H
#define NINES_NODE_CHAIN_FORGE_H

#include "crypto/crypto.h"
#include "node/chain_watch.h"

enum {
    NINES_ADVERSARY_NONE = 0,
    NINES_ADVERSARY_FORGE_CLAIM,
    NINES_ADVERSARY_FORGE_DOWN,
    NINES_ADVERSARY_FORGE_COMMITTEE
};

/*  evm/adversary's value ("none", "forge-claim", "forge-down",
    "forge-committee") into *mode.  0 or NINES_EINVAL. */
int nines_adversary_parse (const char *name, int *mode);

/*  The name of mode ("none" ... as above), "?" when unknown. */
const char *nines_adversary_name (int mode);

typedef struct {
    int mode;                       /* NINES_ADVERSARY_* */
    bool done;                      /* the claim was sent, or refused */
    uint64_t genesis_ms, epoch_ms;  /* parameters(), read once (epoch_ms 0: not yet) */
    uint64_t sent;                  /* forged claims sent (0 or 1) */
    uint8_t claim [32];             /* its claim id */
    uint8_t tx [32];                /* its transaction */
    uint8_t pod [32];
    uint32_t forged_votes;          /* forged votes in it (both reports) */
} nines_forge_t;

/*  One attempt of f with the node key kp (its public key the node's
    validator id) through env (the link's services; env->index >= 0 is
    our contract validator index).  0 (sent, not yet possible, or refused:
    f->done says which) or an rpc code (the next pass tries again). */
int nines_forge_pass (nines_forge_t *f, const nines_watch_env_t *env, const nines_keypair_t *kp);

#endif
