#include "evm/send.h"
#include <string.h>
#include <time.h>

int
nines_sender_init (nines_sender_t *s, nines_rpc_t *rpc, const nines_chainkey_t *key)
{
    memset (s, 0, sizeof *s);
    s->rpc = rpc;
    s->key = *key;
    s->tip_floor = 1;
    s->gas_margin_pct = 20;
    s->bump_pct = 25;
    int rc = nines_rpc_chain_id (rpc, &s->chain_id);
    return rc ? rc : nines_sender_resync (s);
}

void
nines_sender_wipe (nines_sender_t *s)
{
    nines_chainkey_wipe (&s->key);
}

int
nines_sender_resync (nines_sender_t *s)
{
    int rc = nines_rpc_nonce (s->rpc, s->key.address, "pending", &s->nonce);
    if (!rc)
        s->stale = 0;
    return rc;
}

/*  tip and max fee (see send.h). */
static int
s_fees (nines_sender_t *s, uint64_t *tip, uint64_t *max_fee)
{
    uint64_t base = 0, t = 0;
    int rc = nines_rpc_next_base_fee (s->rpc, &base);
    if (rc)
        return rc;
    if (nines_rpc_max_priority_fee (s->rpc, &t))
        t = 0;                      /* not every node has it: the floor */
    if (t < s->tip_floor)
        t = s->tip_floor;
    *tip = t;
    *max_fee = base > (UINT64_MAX - t) / 2 ? UINT64_MAX : 2 * base + t;
    return NINES_OK;
}

int
nines_sender_prepare (nines_sender_t *s, const uint8_t *to, const uint8_t *data, size_t len,
                      const uint8_t *value, uint64_t gas_limit, nines_tx_t *tx)
{
    memset (tx, 0, sizeof *tx);
    int rc = s->stale ? nines_sender_resync (s) : NINES_OK;
    if (rc)
        return rc;
    tx->chain_id = s->chain_id;
    tx->nonce = s->nonce;
    tx->create = to == NULL;
    if (to)
        memcpy (tx->to, to, 20);
    if (value)
        memcpy (tx->value, value, 32);
    tx->data = data;
    tx->data_len = len;
    rc = s_fees (s, &tx->max_priority_fee, &tx->max_fee);
    if (rc)
        return rc;
    if (gas_limit == 0) {
        nines_rpc_msg_t m = { .from = s->key.address, .to = to, .data = data, .data_len = len,
                              .value = value };
        if ((rc = nines_rpc_estimate_gas (s->rpc, &m, &gas_limit)))
            return rc;
        gas_limit += gas_limit * s->gas_margin_pct / 100;
    }
    tx->gas_limit = gas_limit;
    return NINES_OK;
}

int
nines_sender_submit (nines_sender_t *s, const nines_tx_t *tx, uint8_t hash [32])
{
    nines_buf_t raw = { 0 };
    uint8_t h [32];
    int rc = nines_tx_sign (tx, &s->key, &raw, h);
    if (!rc)
        rc = nines_rpc_send_raw (s->rpc, raw.data, raw.len, NULL);
    nines_buf_free (&raw);
    if (rc == NINES_OK || rc == NINES_EEXIST) {
        if (tx->nonce >= s->nonce)
            s->nonce = tx->nonce + 1;
        if (hash)
            memcpy (hash, h, 32);
    } else if (rc == NINES_EREPLAY)
        s->stale = 1;               /* kept for prepare: the node's message stays readable */
    return rc;
}

int
nines_sender_send (nines_sender_t *s, const uint8_t *to, const uint8_t *data, size_t len,
                   const uint8_t *value, uint64_t gas_limit, nines_sent_t *out)
{
    nines_sent_t sent = { 0 };
    if (nines_buf_put (&sent.data, data, len))
        return NINES_ENOMEM;
    int rc = nines_sender_prepare (s, to, sent.data.data, sent.data.len, value, gas_limit, &sent.tx);
    if (!rc)
        rc = nines_sender_submit (s, &sent.tx, sent.hash);
    if (rc || !out) {
        nines_sent_free (&sent);
        return rc;
    }
    *out = sent;
    return NINES_OK;
}

static uint64_t
s_bumped (uint64_t v, unsigned pct)
{
    uint64_t up = v / 100 * pct + (v % 100) * pct / 100 + 1;
    return v > UINT64_MAX - up ? UINT64_MAX : v + up;
}

int
nines_sender_bump (nines_sender_t *s, nines_sent_t *sent)
{
    uint64_t tip, max_fee;
    int rc = s_fees (s, &tip, &max_fee);
    if (rc)
        return rc;
    nines_tx_t tx = sent->tx;
    tx.data = sent->data.data;
    tx.max_priority_fee = s_bumped (tx.max_priority_fee, s->bump_pct);
    tx.max_fee = s_bumped (tx.max_fee, s->bump_pct);
    if (tx.max_priority_fee < tip)
        tx.max_priority_fee = tip;
    if (tx.max_fee < max_fee)
        tx.max_fee = max_fee;
    if ((rc = nines_sender_submit (s, &tx, sent->hash)))
        return rc;
    sent->tx = tx;
    return NINES_OK;
}

void
nines_sent_free (nines_sent_t *sent)
{
    nines_buf_free (&sent->data);
    memset (sent, 0, sizeof *sent);
}

static long
s_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int
nines_sender_wait (nines_sender_t *s, const uint8_t hash [32], long timeout_ms, long poll_ms,
                   nines_receipt_t *r)
{
    long end = s_ms () + timeout_ms;
    for (;;) {
        int rc = nines_rpc_receipt (s->rpc, hash, r);
        if (rc == NINES_OK)
            return r->status == 1 ? NINES_OK : NINES_EREVERTED;
        if (rc != NINES_ENOTFOUND)
            return rc;
        if (s_ms () >= end)
            return NINES_ETIMEOUT;
        struct timespec ts = { poll_ms / 1000, (poll_ms % 1000) * 1000000L };
        nanosleep (&ts, NULL);
    }
}
