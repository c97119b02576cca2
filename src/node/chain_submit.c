/*  The chain link's side of the node: RPC errors, the head, receipts,
    sending, and the faults of sent transactions (chain_state.h). */
#include "node/chain_state.h"
#include "base/bytes.h"
#include "base/log.h"
#include "proto/ids.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static bool
s_transport (int rc)
{
    return rc == NINES_EUNAVAIL || rc == NINES_ETIMEOUT;
}

int
chain_rpc_err (nines_chain_t *self, int rc, const char *what)
{
    if (!rc || rc == NINES_ENOTFOUND)
        return rc;
    self->st.rpc_errors++;
    if (self->m_errors)
        nines_metric_inc (self->m_errors, NULL, 1);
    if (s_transport (rc) && self->was_up != 0) {
        nines_warn ("chain node %s unreachable (%s: %s): evidence waits in the outbox",
                    self->cfg.rpc, what, nines_rpc_message (self->rpc));
        self->was_up = 0;
    }
    self->st.up = !s_transport (rc);
    return rc;
}

void
chain_count (nines_chain_t *self, uint64_t *field, const char *state)
{
    (*field)++;
    if (self->m_claims)
        nines_metric_inc (self->m_claims, (const char *[]) { state }, 1);
}

void
chain_metrics (nines_chain_t *self, nines_metrics_t *metrics)
{
    if (!metrics)
        return;
    self->m_errors = nines_metrics_add (metrics, NINES_METRIC_COUNTER, "nines_chain_rpc_errors_total",
        "JSON-RPC calls to the chain node that failed (transport or error object).", NULL, 1, NULL, 0);
    self->m_claims = nines_metrics_add (metrics, NINES_METRIC_COUNTER, "nines_chain_claims_total",
        "Claim transitions on the chain, by state (claimed, finalized, accounted, settled, "
        "duplicate, voided, refused).", "state", 8, NULL, 0);
    self->m_faults = nines_metrics_add (metrics, NINES_METRIC_COUNTER, "nines_chain_faults_total",
        "Faults of the link's transactions, by fault (lost: gone from the node, reorg: a claim undone by a "
        "reorganisation, rewind: the log follower's, out_of_gas, underpriced: below the base fee).",
        "fault", 5, NULL, 0);
    self->m_resent = nines_metrics_add (metrics, NINES_METRIC_COUNTER, "nines_chain_resent_total",
        "Transactions sent again after a fault (a claim claimed again, a call re-sent, a fee bump).",
        NULL, 1, NULL, 0);
}

void
chain_fault (nines_chain_t *self, uint64_t *field, const char *fault)
{
    (*field)++;
    if (self->m_faults)
        nines_metric_inc (self->m_faults, (const char *[]) { fault }, 1);
}

void
chain_resent (nines_chain_t *self)
{
    self->st.resent++;
    if (self->m_resent)
        nines_metric_inc (self->m_resent, NULL, 1);
}

int
chain_head (nines_chain_t *self)
{
    uint8_t hash [32];
    uint64_t t = 0;
    int rc = nines_rpc_block_number (self->rpc, &self->head);
    if (!rc)
        rc = nines_rpc_block_hash (self->rpc, self->head, hash, &t);
    self->head_ms = t * 1000;
    uint64_t c = self->cfg.confirmations;
    if (c <= 1 || self->head + 1 < c)
        snprintf (self->view, sizeof self->view, c <= 1 ? "latest" : "0x0");
    else
        snprintf (self->view, sizeof self->view, "0x%" PRIx64, self->head + 1 - c);
    return chain_rpc_err (self, rc, "eth_blockNumber");
}

int
chain_receipt (nines_chain_t *self, const uint8_t hash [32], nines_receipt_t *r)
{
    int rc = chain_rpc_err (self, nines_rpc_receipt (self->rpc, hash, r), "eth_getTransactionReceipt");
    if (!rc && r->block_number > self->head)
        rc = chain_head (self);         /* mined since the pass began */
    if (!rc && self->head + 1 < r->block_number + self->cfg.confirmations)
        rc = NINES_ESTATE;
    return rc;
}

/*  The gas limit of rec's next transaction from the sender's: x gas_pct /
    100, doubled for each out-of-gas. */
static uint64_t
s_gas (const nines_chain_t *self, const chain_rec_t *rec, uint64_t gas)
{
    if (!rec)
        return gas;
    if (self->cfg.gas_pct)
        gas = gas * self->cfg.gas_pct / 100;
    for (uint8_t k = 0; k < rec->oog && gas < UINT64_MAX / 2; k++)
        gas *= 2;
    return gas;
}

static void
s_note (chain_rec_t *rec, const nines_tx_t *tx)
{
    nines_le64 (rec->txn, tx->nonce);
    nines_le64 (rec->gas, tx->gas_limit);
    nines_le64 (rec->fee, tx->max_fee);
    nines_le64 (rec->tip, tx->max_priority_fee);
}

int
chain_send (nines_chain_t *self, const nines_buf_t *data, uint64_t units, uint8_t hash [32],
            int (*before) (nines_chain_t *, uint64_t nonce, void *), void *arg, chain_rec_t *rec)
{
    uint8_t value [32];
    nines_u256_from_u64 (value, units * WEI_PER_UNIT);
    nines_tx_t tx;
    int rc = nines_sender_prepare (&self->tx, self->cfg.contract, data->data, data->len, value, 0, &tx);
    tx.gas_limit = s_gas (self, rec, tx.gas_limit);
    if (!rc && before)
        rc = before (self, tx.nonce, arg);
    if (!rc)
        rc = nines_sender_submit (&self->tx, &tx, hash);
    if (rc == NINES_EEXIST)
        rc = 0;
    if (!rc && rec) {
        s_note (rec, &tx);
        rec->bumps = 0;
    }
    return rc == NINES_EREVERTED ? rc : chain_rpc_err (self, rc, "send");
}

int
chain_replace (nines_chain_t *self, chain_rec_t *rec, const nines_buf_t *data, uint64_t units)
{
    uint8_t value [32];
    nines_u256_from_u64 (value, units * WEI_PER_UNIT);
    nines_sent_t sent = { .data = *data };      /* borrowed: not freed */
    int rc = nines_sender_prepare (&self->tx, self->cfg.contract, data->data, data->len, value, 0, &sent.tx);
    if (rc)
        return rc == NINES_EREVERTED ? rc : chain_rpc_err (self, rc, "send");
    sent.tx.gas_limit = s_gas (self, rec, sent.tx.gas_limit);
    sent.tx.nonce = nines_get_le64 (rec->txn);
    sent.tx.max_fee = nines_get_le64 (rec->fee);
    sent.tx.max_priority_fee = nines_get_le64 (rec->tip);
    rc = nines_sender_bump (&self->tx, &sent);  /* both fees + bump_pct, at least the estimate */
    if (rc == NINES_EEXIST)
        rc = 0;
    if (rc)
        return chain_rpc_err (self, rc, "send");
    memcpy (rec->tx, sent.hash, 32);
    s_note (rec, &sent.tx);
    rec->bumps++;
    chain_resent (self);
    char hex [NINES_ID_HEX];
    nines_info ("tx %.16s replaces the underpriced one at nonce %" PRIu64 ": max fee %" PRIu64
                " wei/gas, tip %" PRIu64 " (bump %u of %u)", nines_hex (hex, rec->tx, 32), sent.tx.nonce,
                sent.tx.max_fee, sent.tx.max_priority_fee, rec->bumps, CHAIN_BUMPS);
    return 0;
}

int
chain_unmined (nines_chain_t *self, chain_rec_t *rec, const uint8_t id [32], const char *what)
{
    nines_buf_t in = { 0 };
    int rc = chain_rpc_err (self, nines_rpc_tx_input (self->rpc, rec->tx, &in, NULL, NULL),
                            "eth_getTransactionByHash");
    nines_buf_free (&in);
    if (rc && rc != NINES_ENOTFOUND)
        return rc;
    uint64_t txn = nines_get_le64 (nines_get_le64 (rec->gas) ? rec->txn : rec->nonce);
    char hex [NINES_ID_HEX], thex [NINES_ID_HEX];
    if (rc == 0) {                      /* in the pool */
        uint64_t base = 0, fee = nines_get_le64 (rec->fee);
        if (!fee || rec->bumps >= CHAIN_BUMPS)
            return CHAIN_WAIT;
        if ((rc = chain_rpc_err (self, nines_rpc_next_base_fee (self->rpc, &base), "eth_feeHistory")))
            return rc;
        if (fee >= base)
            return CHAIN_WAIT;
        chain_fault (self, &self->st.underpriced, "underpriced");
        nines_warn ("evidence %.16s: its %s tx %.16s (nonce %" PRIu64 ") is underpriced: max fee %" PRIu64
                    " wei/gas below the next base fee %" PRIu64 ": replacing it at its nonce",
                    nines_hex (hex, id, 32), what, nines_hex (thex, rec->tx, 32), txn, fee, base);
        return CHAIN_STUCK;
    }
    uint64_t latest = 0, pending = 0;
    if ((rc = chain_rpc_err (self, nines_rpc_nonce (self->rpc, self->key.address, "latest", &latest), "nonce"))
    ||  (rc = chain_rpc_err (self, nines_rpc_nonce (self->rpc, self->key.address, "pending", &pending), "nonce")))
        return rc;
    if (latest <= txn && pending > txn)
        return CHAIN_WAIT;              /* its nonce is in the pool: a replacement of it */
    chain_fault (self, &self->st.lost, "lost");
    chain_resent (self);
    nines_warn ("evidence %.16s: its %s tx %.16s (nonce %" PRIu64 ") is gone from the node (%s): "
                "sending it again", nines_hex (hex, id, 32), what, nines_hex (thex, rec->tx, 32), txn,
                latest > txn ? "its nonce was mined in another transaction"
                             : "dropped: a restart without its pool, a reorganisation or an eviction");
    nines_sender_resync (&self->tx);
    return CHAIN_LOST;
}

bool
chain_out_of_gas (nines_chain_t *self, chain_rec_t *rec, const uint8_t id [32], const nines_receipt_t *r,
                  const char *what)
{
    uint64_t gas = nines_get_le64 (rec->gas);
    if (r->status != 0 || !gas || r->gas_used < gas)
        return false;
    chain_fault (self, &self->st.out_of_gas, "out_of_gas");
    if (rec->oog < UINT8_MAX)
        rec->oog++;
    char hex [NINES_ID_HEX], thex [NINES_ID_HEX];
    if (rec->oog <= CHAIN_GAS_TRIES) {
        chain_resent (self);
        nines_warn ("evidence %.16s: its %s tx %.16s ran out of gas (all %" PRIu64 " used): sending it "
                    "again with the limit doubled (%u of %u)", nines_hex (hex, id, 32), what,
                    nines_hex (thex, rec->tx, 32), gas, rec->oog, CHAIN_GAS_TRIES);
    }
    else
        nines_error ("evidence %.16s: its %s tx %.16s ran out of gas (all %" PRIu64 " used) %u times: "
                     "no more transactions for it; it waits in the outbox", nines_hex (hex, id, 32), what,
                     nines_hex (thex, rec->tx, 32), gas, rec->oog);
    return true;
}

void
chain_reorged (nines_chain_t *self, const uint8_t id [32], const char *what)
{
    chain_fault (self, &self->st.reorged, "reorg");
    char hex [NINES_ID_HEX];
    nines_warn ("evidence %.16s: the chain reorganised under its claim: back to %s (block %" PRIu64 ")",
                nines_hex (hex, id, 32), what, self->head);
}

int
chain_nonce_check (nines_chain_t *self)
{
    uint64_t pending = 0;
    if (!self->tx.rpc)
        return 0;                       /* no sender yet */
    int rc = chain_rpc_err (self, nines_rpc_nonce (self->rpc, self->key.address, "pending", &pending), "nonce");
    if (rc || pending >= self->tx.nonce)
        return rc;
    nines_warn ("chain node %s holds none of our %" PRIu64 " transaction(s) from nonce %" PRIu64
                " (a restart without its pool, a reorganisation): the next is sent at nonce %" PRIu64,
                self->cfg.rpc, self->tx.nonce - pending, pending, pending);
    return chain_rpc_err (self, nines_sender_resync (&self->tx), "nonce");
}
