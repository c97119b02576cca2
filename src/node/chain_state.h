/*  The chain link's layout (chain_link.h), shared by its parts:
    chain_link.c (life cycle, the records' walk, the pass) and
    chain_submit.c (the node: RPC errors, head, receipts, sending, and the
    faults of sent transactions: lost, reorganised out, out of gas,
    underpriced).  chain_link.c calls chain_submit.c, never the reverse. */
#ifndef NINES_NODE_CHAIN_STATE_H
#define NINES_NODE_CHAIN_STATE_H

#include "node/chain_link.h"
#include "evm/buf.h"
#include "evm/evidence.h"
#include "evm/send.h"
#include "evm/staking.h"

/*  A claim record's states (chain_link.h). */
enum {
    CL_QUEUED = 1, CL_SENDING, CL_CLAIM_SENT, CL_PENDING, CL_FIN_SENT, CL_FINALIZED,
    CL_ACC_SENT, CL_ACCOUNTED, CL_SETTLE_WAIT, CL_SETTLE_SENT, CL_DONE, CL_OTHER
};

/*  The contract's Status enum. */
enum { ST_NONE, ST_PENDING, ST_FINALIZED, ST_VOIDED, ST_ACCOUNTED };

#define CACHE 4                     /* registries kept, by epoch */
#define WEI_PER_UNIT 1000000000ull  /* UptimeStaking UNIT: one base unit is 1 gwei */
#define CHAIN_GAS_TRIES 3           /* out-of-gas resends of one record (the limit doubles each) */
#define CHAIN_BUMPS 6               /* fee bumps of one transaction's nonce */

/*  The stored record (bytes only: no padding, the same on every host).
    Records written before the fault fields (CHAIN_REC_V1 bytes) are read
    with those fields zero. */
typedef struct {
    uint8_t state;
    uint8_t has_up;
    uint8_t claim [32];             /* claimId */
    uint8_t tx [32];                /* the last transaction sent for it */
    uint8_t nonce [8];              /* le64: the claim transaction's nonce */
    uint8_t deadline [8];           /* le64 ms: the challenge window's end */
    uint8_t seq [8];                /* le64: place in finalize order */
    uint8_t settle_at [8];          /* le64 ms: t_down + corr_window + challenge window */
    uint8_t pod [32];               /* the summary (account's argument) */
    uint8_t rid [32];
    uint8_t t_down [8];
    uint8_t t_up [8];
    uint8_t evidence [32];
    /* the fault fields */
    uint8_t ctx [32];               /* the claim transaction (tx may be a later one) */
    uint8_t txn [8];                /* le64: tx's nonce */
    uint8_t gas [8];                /* le64: tx's gas limit */
    uint8_t fee [8];                /* le64 wei: tx's max fee per gas */
    uint8_t tip [8];                /* le64 wei: tx's priority fee per gas */
    uint8_t oog;                    /* this record's transactions that ran out of gas */
    uint8_t bumps;                  /* fee bumps of tx's nonce */
} chain_rec_t;

#define CHAIN_REC_V1 ((size_t) 210) /* bytes of a record before the fault fields */

typedef struct {
    uint64_t epoch;
    nines_registry_t *reg;
    uint32_t *index;
} reg_cache_t;

struct _nines_chain_t {
    nines_chain_config_t cfg;
    nines_store_t *store;           /* borrowed */
    uint8_t id [32];                /* our validator id */
    nines_chainkey_t key;
    nines_rpc_t *rpc;
    nines_sender_t tx;
    bool ready;                     /* sender, parameters and our index read */
    int64_t index;                  /* our contract validator index, -1 not registered */
    bool warned_index;
    uint64_t bond, window_ms, corr_ms;  /* parameters() */
    uint64_t head, head_ms;         /* latest block and its time (this pass) */
    char view [24];                 /* block tag decisions read the contract at (chain_view) */
    int8_t was_up;                  /* -1 not yet, 0 down, 1 up (logged) */
    reg_cache_t cache [CACHE];
    size_t cache_next;
    nines_evidence_t *ev;           /* decode buffer */
    nines_evm_report_buf_t down, up;
    nines_chain_ack_fn *ack;
    void *arg;
    nines_chain_stats_t st;
    nines_metric_t *m_errors, *m_claims, *m_faults, *m_resent;
    uint64_t helped_seq;            /* another's claim we sent `account` for (0 none) */
    chain_rec_t helped;             /* that transaction (tx, nonce, fees) and claim */
    nines_watch_t *watch;           /* chain_watch.c */
    const nines_registry_t *overlay;    /* this pass's (the watcher's registry reads) */
    nines_forge_t forge;            /* chain_forge.c (mode 0: honest) */
};

/*  ---- chain_submit.c ---- */

/*  Count an RPC failure rc of call what (0 and NINES_ENOTFOUND pass
    through uncounted); log the node down once.  Returns rc. */
int chain_rpc_err (nines_chain_t *self, int rc, const char *what);

/*  Count fault (a label of nines_chain_faults_total) in *field. */
void chain_fault (nines_chain_t *self, uint64_t *field, const char *fault);

/*  Count a transaction sent again (nines_chain_resent_total). */
void chain_resent (nines_chain_t *self);

/*  Our sender's next nonce past the node's pending count: the node lost
    our transactions from there (each is found and sent again as its
    own): logged, the nonce re-read, so the next transaction leaves no
    gap.  0 or an RPC code. */
int chain_nonce_check (nines_chain_t *self);

/*  Count a claim transition: (*field)++ and nines_chain_claims_total{state}. */
void chain_count (nines_chain_t *self, uint64_t *field, const char *state);

/*  The metric families of chain_link.h on metrics (NULL: none). */
void chain_metrics (nines_chain_t *self, nines_metrics_t *metrics);

/*  Latest block and its time into self->head, head_ms; self->view the
    block tag of the newest block with cfg.confirmations ("latest" for 1).
    0 or an RPC code. */
int chain_head (nines_chain_t *self);

/*  The receipt of hash: 0 mined with cfg.confirmations (r filled,
    r->status 0 when reverted), NINES_ESTATE mined but not yet confirmed,
    NINES_ENOTFOUND not mined, or an RPC code. */
int chain_receipt (nines_chain_t *self, const uint8_t hash [32], nines_receipt_t *r);

/*  Call the contract with calldata data and value units: *hash the
    transaction's.  before (NULL-able, may fail the send) runs with the
    nonce before the transaction is signed.  rec (NULL-able) gets the
    transaction's nonce, gas limit and fees, and its gas limit is the
    sender's x cfg.gas_pct / 100, doubled for each rec->oog.  0,
    NINES_EREVERTED (refused at the estimate), or an RPC code. */
int chain_send (nines_chain_t *self, const nines_buf_t *data, uint64_t units, uint8_t hash [32],
                int (*before) (nines_chain_t *, uint64_t nonce, void *), void *arg, chain_rec_t *rec);

/*  Replace rec->tx (in the pool, not mined) with the same calldata and
    value at its nonce rec->txn, both fees raised by the sender's bump_pct
    and at least to the current estimate; rec->tx, fee, tip, bumps
    updated.  0 or the codes of chain_send. */
int chain_replace (nines_chain_t *self, chain_rec_t *rec, const nines_buf_t *data, uint64_t units);

/*  What to do about rec->tx, sent but not mined (what: "claim",
    "finalize"... for the log): CHAIN_WAIT (in the pool, or mined and
    not yet confirmed), CHAIN_LOST (the node knows it no more and its
    nonce is free or taken by another transaction: dropped at a restart,
    reorganised out, evicted: send again; counted and logged),
    CHAIN_STUCK (in the pool with a max fee below the next block's base
    fee: replace it with chain_replace; counted and logged).  Negative:
    an RPC code. */
enum { CHAIN_WAIT, CHAIN_LOST, CHAIN_STUCK };
int chain_unmined (nines_chain_t *self, chain_rec_t *rec, const uint8_t id [32], const char *what);

/*  After rec->tx's receipt r: true when it ran out of gas (status 0,
    all of its gas limit used), counted and logged; rec->oog raised. */
bool chain_out_of_gas (nines_chain_t *self, chain_rec_t *rec, const uint8_t id [32], const nines_receipt_t *r,
                       const char *what);

/*  Whether rec may send another transaction: its out-of-gas resends are
    not exhausted (chain_out_of_gas logs when they are). */
static inline bool
chain_may_send (const chain_rec_t *rec)
{
    return rec->oog <= CHAIN_GAS_TRIES;
}

/*  A claim record found behind the chain (what: the state the chain went
    back to): counted (nines_chain_faults_total{fault="reorg"}) and
    logged. */
void chain_reorged (nines_chain_t *self, const uint8_t id [32], const char *what);

#endif
