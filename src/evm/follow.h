/*  Following a contract's events (issue 17: "follows the contract's
    registry from its events, eth_getLogs from a stored block, resumed
    after restarts"; a chain reorganisation detected and undone).

    A follower reads the logs of one contract in block ranges, oldest
    first, up to head - confirmations, at most max_range blocks a query
    (halved down to 1 when the node refuses a range or a result as too
    large, NINES_ERPC / NINES_ETOOBIG).  After each range it records the
    hash of the range's last block in a ring of the last
    NINES_FOLLOW_RING range ends.  Before the next range it checks that
    the newest recorded block still has that hash: when not, the chain
    reorganised; the follower steps back to just after the newest recorded
    block whose hash still matches (or to the start, when none does) and
    reports it, so the caller drops what it derived from the logs after
    that block and re-reads them.

    The cursor (next block, hash of the block before it) is what a
    program stores (LMDB) to resume after a restart; a resumed follower
    has a ring of one entry. */
#ifndef NINES_EVM_FOLLOW_H
#define NINES_EVM_FOLLOW_H

#include "evm/rpc.h"

#define NINES_FOLLOW_RING 32

typedef struct {
    uint64_t number;
    uint8_t hash [32];
} nines_follow_mark_t;

typedef struct {
    nines_rpc_t *rpc;               /* borrowed */
    uint8_t address [20];           /* the contract */
    uint64_t start;                 /* first block ever read (deployment) */
    uint64_t next;                  /* next block to read */
    uint64_t confirmations;         /* blocks kept back from the head */
    uint64_t max_range;             /* blocks a query, default 2000 */
    nines_follow_mark_t ring [NINES_FOLLOW_RING];
    size_t n_ring;                  /* valid entries, newest last */
    uint64_t reorgs;                /* reorganisations seen */
} nines_follow_t;

/*  A follower of address from block start (its deployment block), with
    nothing read yet. */
void nines_follow_init (nines_follow_t *f, nines_rpc_t *rpc, const uint8_t address [20],
                        uint64_t start, uint64_t confirmations);

/*  Resume at cursor (next, hash of block next - 1; next == start means
    nothing read and hash is ignored). */
void nines_follow_resume (nines_follow_t *f, uint64_t next, const uint8_t prev_hash [32]);

/*  The cursor to store: *next and prev_hash [32] (zeros when nothing
    was read yet). */
void nines_follow_cursor (const nines_follow_t *f, uint64_t *next, uint8_t prev_hash [32]);

/*  One step: the logs of the next range (possibly none: *n 0 when the
    follower is at the head) in *logs (free with nines_rpc_logs_free);
    *rewound set to the first block to re-read after a reorganisation
    (UINT64_MAX when none: then *logs continue the previous ones).  When a
    reorganisation is found no logs are returned in that step.  0 or the
    rpc codes; on an error the cursor is unchanged. */
int nines_follow_poll (nines_follow_t *f, nines_log_t **logs, size_t *n, uint64_t *rewound);

#endif
