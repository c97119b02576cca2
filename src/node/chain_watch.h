/*  Watching the uptime staking contract's claims (issue 17 item 2,
    proto/CHAIN.md "Watching"): every ninesd with ledger/kind = evm reads
    each Claimed log (any claimant: claims of evidence this node never
    saw too), fetches the claim transaction's calldata
    (eth_getTransactionByHash), decodes its reports (src/evm/calldata.c)
    and judges each with the ledger's rules against the registry the
    contract holds as of the report's epoch (src/evm/chainreg.c):

      - the claimed committee must be the sortition committee of the
        report's pod and epoch (src/proto/committee.c through
        nines_evm_report_of); when a claimed member is not in it, the
        proof is challengeCommittee(id, down, up, which, member, outsider)
        with outsider a true member the claim left out (it ranks before
        every eligible non-member);
      - then src/proto/verify.c's nines_ledger_verify_report on the
        report as src/wire decodes it (nines_evm_report_wire): on
        NINES_EBADSIG the proof is challengeSignature(id, down, up, which,
        vote), vote the first whose nines_vote_verify fails (the ledger's
        own signature rule: one rule, one place).  The other ledger
        refusals (quorum, times) are the contract's cheap checks, which
        the claim passed; one of them failing here is logged, not proven.

    Only while the claim is pending and before its deadline; never our
    own claims.  "The first valid proof wins, others back off": the
    claim's status is read again right before sending, at the "pending"
    block (proofs already in the node's pool count), and after a revert
    (at estimate or mined): a claim voided by another challenger is not
    an error (info, counted backed_off).  The contract pays the winner
    (bond + the claimant validator's fraud slash, proto/CHAIN.md) to
    owed[msg.sender], the link's chain key address (withdraw()).

    The log cursor (src/evm/follow.c, reorganisations undone) is stored
    in the database NINES_WATCH_DB ("watch", key "cursor": next block
    le64 || hash of the block before it), so a restart resumes (a store
    opened without that database rescans from start_block); a range is
    read again when a claim in it could not be checked (an RPC error).

    Metrics: nines_chain_watched_total (claims checked),
    nines_chain_challenges_total{result = sent, won, backed_off, failed}.
    One log line per challenge: claim, pod, report (down/up), vote or
    member, reason, transaction.

    The adversary (evm/adversary, tests and nines-sim only, needs
    node/fault_hooks = 1; /work/wt/INTERFACES.md, deploy/ninesd.zpl)
    lives in chain_forge.c. */
#ifndef NINES_NODE_CHAIN_WATCH_H
#define NINES_NODE_CHAIN_WATCH_H

#include "base/metrics.h"
#include "evm/abi.h"
#include "evm/buf.h"
#include "evm/rpc.h"
#include "proto/registry.h"
#include "store/store.h"

#define NINES_WATCH_DB "watch"          /* LMDB database of the watcher's cursor */
#define NINES_WATCH_KEY "cursor"        /* its one key */

/*  What the watcher borrows from its chain link (chain_link.c fills it
    each pass): the node, the contract, the head, and three services of
    the link, so that every call is counted and sent the link's way (one
    sender: one nonce sequence for claims and challenges). */
typedef struct {
    nines_rpc_t *rpc;
    const uint8_t *contract;        /* [20] */
    const uint8_t *address;         /* [20] our chain key's address */
    nines_store_t *store;           /* the link's (NINES_WATCH_DB: the cursor) */
    const char *db;                 /* NINES_WATCH_DB */
    uint64_t start_block;           /* the contract's deployment block */
    uint64_t head_ms;               /* chain time: the latest block's, ms */
    int64_t index;                  /* our contract validator index, -1 none */
    uint64_t bond;                  /* parameters().bond, base units */
    const nines_registry_t *overlay;    /* NULL-able: the node's registry file */
    void *link;
    /*  eth_call of signature (args) at block tag ("latest", "pending"):
        0 or the rpc codes (counted by the link). */
    int (*view) (void *link, const char *signature, const nines_abi_t *args, size_t n,
                 const char *block, nines_buf_t *out);
    /*  Send data with value units (base units) from the link's key: *hash
        the transaction's.  0, NINES_EREVERTED at estimate
        (nines_rpc_errdata says why), or the rpc codes. */
    int (*send) (void *link, const nines_buf_t *data, uint64_t units, uint8_t hash [32]);
    /*  The chain's registry of epoch (the link's cache, valid until the
        next call), *index the contract index of each validator.  0 or the
        rpc codes. */
    int (*registry) (void *link, uint64_t epoch, const nines_registry_t **reg, const uint32_t **index);
} nines_watch_env_t;

/*  What the watcher did since it was created. */
typedef struct {
    uint64_t watched;               /* pending claims checked */
    uint64_t sent, won, backed_off, failed;   /* challenges */
    uint64_t gas_challenge;         /* gas used by our mined challenges, sum */
    uint64_t rewinds;               /* reorganisations the log follower undid */
    uint64_t resent;                /* our challenges sent again: the node lost them */
} nines_watch_stats_t;

typedef struct _nines_watch_t nines_watch_t;

/*  A watcher; metrics (NULL-able) gets the two families above.  NULL
    when out of memory. */
nines_watch_t *nines_watch_new (nines_metrics_t *metrics);

void nines_watch_destroy (nines_watch_t **self_p);

/*  One pass: our challenges' receipts, then every Claimed log since the
    cursor checked and, when it proves fraud, challenged.  0 or the first
    rpc code (the cursor stays before the range that failed: the next
    pass reads it again). */
int nines_watch_pass (nines_watch_t *self, const nines_watch_env_t *env);

void nines_watch_stats (const nines_watch_t *self, nines_watch_stats_t *out);

#endif
