/*  Sending transactions from one chain key: nonce tracking, fee and gas
    estimation, submission, waiting for the receipt, and replacement of a
    stuck transaction (same nonce, higher fees).

    Nonces.  The sender keeps the next nonce itself: read once
    ("pending" count) by nines_sender_init, advanced by each transaction
    the node accepts, re-read by the next nines_sender_prepare after the
    node said it was too low (NINES_EREPLAY: another process used the key)
    and by nines_sender_resync.
    One key, one sender, one process: two senders of the same key race.

    Fees (EIP-1559).  tip = eth_maxPriorityFeePerGas (at least
    tip_floor); max fee = 2 x the next block's base fee (eth_feeHistory)
    + tip: the transaction stays includable through six blocks of full
    base-fee rises (12.5 % each).  Gas = eth_estimateGas x (100 +
    gas_margin_pct) / 100 unless the caller sets it.

    Replacement.  A node replaces a pool transaction of the same nonce
    only when both fees rise by at least 10 % (geth, anvil); nines_sender_bump
    raises both by bump_pct (default 25). */
#ifndef NINES_EVM_SEND_H
#define NINES_EVM_SEND_H

#include "evm/rpc.h"
#include "evm/tx.h"

typedef struct {
    nines_rpc_t *rpc;               /* borrowed */
    nines_chainkey_t key;
    uint64_t chain_id;
    uint64_t nonce;                 /* next nonce to use */
    uint64_t tip_floor;             /* wei per gas, default 1 */
    unsigned gas_margin_pct;        /* default 20 */
    unsigned bump_pct;              /* default 25 */
    int stale;                      /* the node said the nonce was used: re-read it */
} nines_sender_t;

/*  A transaction as sent: what nines_sender_bump needs to replace it. */
typedef struct {
    nines_tx_t tx;                  /* tx.data points into data */
    nines_buf_t data;
    uint8_t hash [32];
} nines_sent_t;

/*  Start a sender of key on rpc: reads the chain id and the key's
    pending nonce.  0 or the rpc codes (rpc.h). */
int nines_sender_init (nines_sender_t *s, nines_rpc_t *rpc, const nines_chainkey_t *key);

/*  Wipe the key. */
void nines_sender_wipe (nines_sender_t *s);

/*  Re-read the pending nonce from the node. */
int nines_sender_resync (nines_sender_t *s);

/*  Fill tx for a call of to (NULL: create) with data and value (NULL: 0):
    the next nonce, fees as above, gas_limit (0: estimated; NINES_EREVERTED
    when the call would revert, nines_rpc_errdata says why).  tx->data
    borrows data.  0 or the rpc codes. */
int nines_sender_prepare (nines_sender_t *s, const uint8_t *to, const uint8_t *data, size_t len,
                          const uint8_t *value, uint64_t gas_limit, nines_tx_t *tx);

/*  Sign tx and send it: 0 with its hash in hash [32] (may be NULL), and
    the sender's nonce advanced past tx->nonce.  NINES_EREPLAY (nonce used:
    the next prepare re-reads it; the caller prepares again),
    NINES_EUNDERPRICED, NINES_EEXIST (already in the pool: not an error
    for a retry of the same bytes), or the other rpc codes. */
int nines_sender_submit (nines_sender_t *s, const nines_tx_t *tx, uint8_t hash [32]);

/*  Prepare and submit one call; *out (may be NULL) keeps a copy for
    nines_sender_bump (free with nines_sent_free).  The codes of both. */
int nines_sender_send (nines_sender_t *s, const uint8_t *to, const uint8_t *data, size_t len,
                       const uint8_t *value, uint64_t gas_limit, nines_sent_t *out);

/*  Replace sent (not yet mined) with the same nonce and both fees raised
    by bump_pct, at least to the current estimate: sent->hash becomes the
    new transaction's.  The codes of nines_sender_submit; NINES_EREPLAY
    when the old one was mined meanwhile. */
int nines_sender_bump (nines_sender_t *s, nines_sent_t *sent);

/*  Free a nines_sent_t's copy of the calldata. */
void nines_sent_free (nines_sent_t *sent);

/*  Poll eth_getTransactionReceipt every poll_ms until the transaction is
    mined or timeout_ms passed: 0 (r->status 1), NINES_EREVERTED (mined
    but reverted, r filled), NINES_ETIMEOUT, or the rpc codes. */
int nines_sender_wait (nines_sender_t *s, const uint8_t hash [32], long timeout_ms, long poll_ms,
                       nines_receipt_t *r);

#endif
