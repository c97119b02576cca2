/*  ninesd's settlement on an EVM chain (ledger/kind = evm, issue 17 item
    1): the evidence the engine submits is claimed on the uptime staking
    contract (proto/CHAIN.md "Claim, challenge, finalize, account"),
    finalized after the challenge window and accounted in finalize order;
    the outbox entry is acknowledged only then.

    The contract holds no network addresses: committees are computed from
    the registry the contract holds as of the report's epoch
    (src/evm/chainreg.c), the node's registry file (node/registry) as the
    overlay for endpoints and the parameters the chain lacks.

    State.  Evidence waits in the LMDB outbox ("outbox", evidence id ->
    encoded evidence) as with nines-ledger.  Each evidence the engine
    submits gets a record in NINES_CHAIN_DB (evidence id -> chain_rec,
    below) that walks

        queued -> sending (nonce written before the claim is signed)
               -> claim sent (tx hash) -> pending (mined: deadline known)
               -> finalize sent -> finalized (seq) -> account sent
               -> accounted (outbox acknowledged) -> settle sent -> done

    and "other" when another validator's claim holds the evidence (watched
    until it is final, then acknowledged as duplicate; claimed again if it
    is voided).  A restart resumes from the records: a claim whose record
    says sending or sent is never signed again until the chain says its
    nonce went to something else (a claim is sent at most once a nonce;
    the contract refuses a second claim of pending evidence anyway,
    EDuplicate).  Chain time is the latest block's timestamp.  When another
    validator's finalized claim that nobody accounted holds ours back in
    finalize order, the link accounts it from its Finalized and Claimed
    logs.

    Errors.  An unreachable node (NINES_EUNAVAIL, NINES_ETIMEOUT) leaves
    everything queued; the link logs once per change (down, back) and
    counts nines_chain_rpc_errors_total; nines_chain_claims_total{state}
    counts transitions (claimed, finalized, accounted, settled, duplicate,
    voided, refused).

    Faults (proto/CHAIN.md "Faults").  Decisions read the contract at the
    newest block with evm/confirmations, so evidence is acknowledged only
    when its account is that deep.  A sent transaction the node no longer
    knows, whose nonce is free or was taken by another (the node
    restarted without its pool, a reorganisation dropped it, eviction),
    is sent again once (fault "lost"); a claim record the chain went
    behind (a reorganisation undid its claim, finalize or account) steps
    back to what the chain says and proceeds from there ("reorg"); a
    transaction mined with status 0 that used all of its gas limit is
    sent again with the limit doubled, at most CHAIN_GAS_TRIES times
    ("out_of_gas"); one in the pool whose max fee fell below the base fee
    is replaced at its nonce with fees raised ("underpriced", at most
    CHAIN_BUMPS times); the watcher's log follower undoing a
    reorganisation counts as "rewind".  Each is one log line and
    nines_chain_faults_total{fault}; nines_chain_resent_total counts the
    transactions sent again.

    Watching.  Every pass also runs the watcher (chain_watch.h): each
    Claimed log of any claimant is read back from its transaction, judged
    with the ledger's rules against the chain's registry of the report's
    epoch, and proven wrong with challengeSignature / challengeCommittee
    from the link's chain key (the same sender: one nonce sequence) while
    the claim is pending; another challenger's proof first is a back-off,
    not an error.  With cfg->adversary set (evm/adversary, node/fault_hooks
    only) the pass also runs the forging adversary (chain_forge.h). */
#ifndef NINES_NODE_CHAIN_LINK_H
#define NINES_NODE_CHAIN_LINK_H

#include "base/metrics.h"
#include "node/chain_forge.h"
#include "node/chain_watch.h"
#include "proto/registry.h"
#include "store/store.h"

#define NINES_CHAIN_DB "claims"           /* LMDB database of the claim records */
#define NINES_CHAIN_OUTBOX "outbox"       /* ninesd's outbox (node_state.h DB_OUTBOX) */

typedef struct {
    char rpc [256];                 /* evm/rpc: JSON-RPC URL */
    uint8_t contract [20];          /* evm/contract */
    char chain_key [512];           /* evm/chain_key: nines-secp256k1-v1 file, 0600 */
    uint64_t confirmations;         /* evm/confirmations: blocks a receipt needs (>= 1) */
    uint64_t poll_ms;               /* evm/poll */
    uint64_t rpc_timeout_ms;        /* evm/rpc_timeout */
    uint64_t start_block;           /* evm/start_block: the contract's deployment block */
    int adversary;                  /* evm/adversary: NINES_ADVERSARY_* (chain_forge.h), 0 honest */
    const nines_keypair_t *adversary_key;   /* the node key the adversary signs its own vote with */
    unsigned gas_pct;               /* tests only (no ninesd.conf key): gas limits at this percent of
                                       the sender's (estimate + 20 %), 0 = 100: out of gas on purpose */
} nines_chain_config_t;

/*  What the link did since it was created (the test and the log). */
typedef struct {
    uint64_t claimed, finalized, accounted, settled, duplicate, voided, refused;
    uint64_t rpc_errors;            /* calls that failed at the transport or with an error object */
    uint64_t gas_claim, gas_finalize, gas_account, gas_settle;  /* gas used, sums */
    uint64_t claims_sent;           /* claim transactions signed and accepted by the node */
    uint64_t lost, reorged, rewinds, out_of_gas, underpriced;   /* faults (nines_chain_faults_total) */
    uint64_t resent;                /* transactions sent again after a fault */
    bool up;                        /* the last poll reached the node */
} nines_chain_stats_t;

typedef struct _nines_chain_t nines_chain_t;

/*  An acknowledged evidence (id [32]) with its verdict ("accounted",
    "duplicate", "voided", "refused"): the store part is done (outbox ->
    "evidence" db), the callback tells the engine (nines_engine_on_ack). */
typedef void (nines_chain_ack_fn) (void *arg, const uint8_t id [32], const char *verdict);

/*  A link on store (opened with NINES_CHAIN_DB, "outbox" and "evidence"
    among its databases, and NINES_WATCH_DB for the watcher's cursor) for validator validator_id [32], claiming with
    the chain key file cfg->chain_key.  metrics (NULL-able) gets the
    families above.  Connects to nothing yet (the first poll does).
    NULL with a message in err: the key file (NINES_EPERM, missing,
    malformed: *exit_code 2) or out of memory (1). */
nines_chain_t *nines_chain_new (const nines_chain_config_t *cfg, nines_store_t *store,
                                const uint8_t validator_id [32], nines_metrics_t *metrics,
                                nines_chain_ack_fn *ack, void *arg,
                                char *err, size_t err_size, int *exit_code);

void nines_chain_destroy (nines_chain_t **self_p);

/*  The engine submitted evidence id [32] (already in the outbox): queue
    it for a claim unless a record exists.  0 or the store's code. */
int nines_chain_submit (nines_chain_t *self, const uint8_t id [32]);

/*  One pass (every cfg->poll_ms from ninesd's loop): every record moves
    as far as the chain allows.  overlay (NULL-able) is the node's
    registry.  0, or the first RPC code that stopped the pass
    (NINES_EUNAVAIL, NINES_ETIMEOUT...): nothing is lost, the next pass
    retries. */
int nines_chain_poll (nines_chain_t *self, const nines_registry_t *overlay);

void nines_chain_stats (const nines_chain_t *self, nines_chain_stats_t *out);

/*  The watcher's counts (chain_watch.h) and, forge NULL-able, the
    adversary's state (chain_forge.h; mode 0 for an honest node). */
void nines_chain_watch_stats (const nines_chain_t *self, nines_watch_stats_t *out, nines_forge_t *forge);

#endif
