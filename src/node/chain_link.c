/*  ninesd's settlement on the uptime staking contract (chain_link.h). */
#include "node/chain_state.h"
#include "node/node_state.h"
#include "base/grow.h"
#include "evm/abi.h"
#include "evm/chainreg.h"
#include "evm/evidence.h"
#include "evm/send.h"
#include "evm/staking.h"
#include "proto/ids.h"
#include <string.h>

#define STEPS 12                    /* state changes of one record in one pass */

/*  ---- life cycle ---- */

nines_chain_t *
nines_chain_new (const nines_chain_config_t *cfg, nines_store_t *store, const uint8_t validator_id [32],
                 nines_metrics_t *metrics, nines_chain_ack_fn *ack, void *arg,
                 char *err, size_t err_size, int *exit_code)
{
    *exit_code = 1;
    nines_chain_t *self = (nines_chain_t *) calloc (1, sizeof *self);
    if (self)
        self->ev = (nines_evidence_t *) calloc (1, sizeof *self->ev);
    if (!self || !self->ev) {
        free (self);
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->cfg = *cfg;
    self->store = store;
    memcpy (self->id, validator_id, 32);
    self->ack = ack;
    self->arg = arg;
    self->index = -1;
    self->was_up = -1;
    int rc = nines_chainkey_load (cfg->chain_key, &self->key);
    if (rc) {
        snprintf (err, err_size, "evm/chain_key: %s: %s", cfg->chain_key, nines_strerror (rc));
        *exit_code = 2;
        nines_chain_destroy (&self);
        return NULL;
    }
    chain_metrics (self, metrics);
    self->rpc = nines_rpc_new (cfg->rpc, (long) cfg->rpc_timeout_ms);
    self->watch = nines_watch_new (metrics);
    self->forge.mode = cfg->adversary_key ? cfg->adversary : NINES_ADVERSARY_NONE;
    if (!self->rpc || !self->watch) {
        snprintf (err, err_size, "out of memory");
        nines_chain_destroy (&self);
        return NULL;
    }
    return self;
}

void
nines_chain_destroy (nines_chain_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_chain_t *self = *self_p;
    for (size_t i = 0; i < CACHE; i++) {
        nines_registry_destroy (&self->cache [i].reg);
        free (self->cache [i].index);
    }
    nines_sender_wipe (&self->tx);
    nines_chainkey_wipe (&self->key);
    nines_rpc_destroy (&self->rpc);
    nines_watch_destroy (&self->watch);
    free (self->ev);
    free (self);
    *self_p = NULL;
}

void
nines_chain_stats (const nines_chain_t *self, nines_chain_stats_t *out)
{
    *out = self->st;
}

/*  ---- the node ---- */

/*  eth_call of signature (args) on the contract at block into out (link:
    the nines_chain_t; the watcher's view, chain_watch.h). */
static int
s_view_at (void *link, const char *signature, const nines_abi_t *args, size_t n, const char *block,
           nines_buf_t *out)
{
    nines_chain_t *self = (nines_chain_t *) link;
    nines_buf_t data = { 0 };
    out->len = 0;
    int rc = nines_abi_call (&data, signature, args, n);
    nines_rpc_msg_t m = { .to = self->cfg.contract, .data = data.data, .data_len = data.len };
    if (!rc)
        rc = nines_rpc_eth_call (self->rpc, &m, block, out);
    nines_buf_free (&data);
    return chain_rpc_err (self, rc, signature);
}

static int
s_view (nines_chain_t *self, const char *signature, const nines_abi_t *args, size_t n, nines_buf_t *out)
{
    return s_view_at (self, signature, args, n, "latest", out);
}

/*  The claim's (status, deadline, claimant, seq): claims(bytes32). */
static int
s_claim_info_at (nines_chain_t *self, const uint8_t cid [32], const char *block, uint64_t *status,
                 uint64_t *deadline, uint64_t *claimant, uint64_t *seq)
{
    nines_buf_t o = { 0 };
    nines_abi_t a = nines_abi_word (cid);
    int rc = s_view_at (self, "claims(bytes32)", &a, 1, block, &o);
    if (!rc && (nines_abi_get_uint (o.data, o.len, 1, deadline) || nines_abi_get_uint (o.data, o.len, 2, claimant)
            ||  nines_abi_get_uint (o.data, o.len, 3, status) || nines_abi_get_uint (o.data, o.len, 4, seq)))
        rc = NINES_EMALFORMED;
    nines_buf_free (&o);
    return rc;
}

/*  The same at the newest block with evm/confirmations (self->view). */
static int
s_claim_info (nines_chain_t *self, const uint8_t cid [32], uint64_t *status, uint64_t *deadline,
              uint64_t *claimant, uint64_t *seq)
{
    return s_claim_info_at (self, cid, self->view, status, deadline, claimant, seq);
}

/*  Sender, parameters (bond, windows) and our validator index, once. */
static int
s_connect (nines_chain_t *self)
{
    if (self->ready)
        return 0;
    int rc = chain_rpc_err (self, nines_sender_init (&self->tx, self->rpc, &self->key), "sender");
    nines_buf_t o = { 0 };
    if (!rc)
        rc = s_view (self, "parameters()", NULL, 0, &o);
    if (!rc && (nines_abi_get_uint (o.data, o.len, 17, &self->corr_ms)
            ||  nines_abi_get_uint (o.data, o.len, 21, &self->bond)
            ||  nines_abi_get_uint (o.data, o.len, 22, &self->window_ms)))
        rc = NINES_EMALFORMED;
    if (!rc) {
        nines_abi_t a = nines_abi_word (self->id);
        uint64_t v = 0;
        rc = s_view (self, "validatorIndex(bytes32)", &a, 1, &o);
        if (!rc && nines_abi_get_uint (o.data, o.len, 0, &v))
            rc = NINES_EMALFORMED;
        self->index = (int64_t) v - 1;
    }
    nines_buf_free (&o);
    if (rc)
        return rc;
    if (self->index < 0 && !self->warned_index) {
        char hex [NINES_ID_HEX];
        nines_warn ("validator %.16s is not registered on contract %s: no claim can be made "
                    "(registerValidator from the chain key's address)",
                    nines_hex (hex, self->id, 32), self->cfg.rpc);
        self->warned_index = true;
    }
    self->ready = self->index >= 0;
    char addr [NINES_ADDRESS_TEXT];
    if (self->ready)
        nines_info ("chain %s: claiming as validator index %lld from %s (bond %" PRIu64
                    " units, challenge window %" PRIu64 " ms)", self->cfg.rpc, (long long) self->index,
                    nines_evm_checksum (addr, self->key.address), self->bond, self->window_ms);
    return 0;
}

/*  ---- records ---- */

static int
s_put (nines_chain_t *self, const uint8_t id [32], const chain_rec_t *rec)
{
    return nines_store_put (self->store, NINES_CHAIN_DB, id, 32, rec, sizeof *rec);
}

/*  Acknowledge evidence id: outbox -> "evidence" with verdict, the
    callback, the record dropped. */
static void
s_ack (nines_chain_t *self, const uint8_t id [32], const char *verdict)
{
    node_evidence_ack_store (self->store, id, verdict);
    if (self->ack)
        self->ack (self->arg, id, verdict);
    char hex [NINES_ID_HEX];
    nines_info ("evidence %.16s acknowledged on the chain: %s", nines_hex (hex, id, 32), verdict);
}

/*  The registry of epoch from the contract (cached). */
static int
s_registry (nines_chain_t *self, uint64_t epoch, const nines_registry_t *overlay, reg_cache_t **out)
{
    for (size_t i = 0; i < CACHE; i++)
        if (self->cache [i].reg && self->cache [i].epoch == epoch) {
            *out = &self->cache [i];
            return 0;
        }
    reg_cache_t *c = &self->cache [self->cache_next++ % CACHE];
    nines_registry_destroy (&c->reg);
    free (c->index);
    c->index = NULL;
    c->epoch = epoch;
    int rc = nines_evm_registry_read (self->rpc, self->cfg.contract, self->cfg.start_block, epoch,
                                      overlay, &c->reg, &c->index);
    *out = c;
    return chain_rpc_err (self, rc, "registry");
}

/*  The outbox's evidence id decoded into self->ev.  NINES_ENOTFOUND when
    the outbox has it no more (acknowledged elsewhere). */
static int
s_load (nines_chain_t *self, const uint8_t id [32])
{
    void *v = NULL;
    size_t len = 0;
    int rc = nines_store_get (self->store, NINES_CHAIN_OUTBOX, id, 32, &v, &len);
    if (!rc)
        rc = nines_evidence_decode ((const uint8_t *) v, len, self->ev);
    free (v);
    return rc;
}

/*  The claim id of self->ev (reportId needs no committee). */
static void
s_claim_id (nines_chain_t *self, uint8_t cid [32])
{
    nines_evm_report_t d = { .kind = 0, .epoch = self->ev->down.epoch, .t_ms = self->ev->down.t_ms };
    memcpy (d.pod, self->ev->down.pod, 32);
    memcpy (d.round_id, self->ev->down.round_id, 32);
    nines_evm_claim_id (cid, &d, self->ev->has_up);
}

/*  Record the nonce before the claim is signed (s_send's before). */
static int
s_before_claim (nines_chain_t *self, uint64_t nonce, void *arg)
{
    void **a = (void **) arg;
    chain_rec_t *rec = (chain_rec_t *) a [1];
    rec->state = CL_SENDING;
    nines_le64 (rec->nonce, nonce);
    return s_put (self, (const uint8_t *) a [0], rec);
}

/*  Convert self->ev with the chain's registries and send its claim;
    replace: in place of rec->tx, at its nonce (chain_replace). */
static int
s_claim (nines_chain_t *self, const uint8_t id [32], chain_rec_t *rec, const nines_registry_t *overlay,
         bool replace)
{
    reg_cache_t *cd, *cu = NULL;
    int rc = s_registry (self, self->ev->down.epoch, overlay, &cd);
    if (!rc && self->ev->has_up)
        rc = s_registry (self, self->ev->up.epoch, overlay, &cu);
    if (rc)
        return rc;
    int conv = nines_evm_report_of (&self->down, &self->ev->down, cd->reg, cd->index);
    const nines_evm_report_t *up = NULL;
    if (!conv && cu) {
        conv = nines_evm_report_of (&self->up, &self->ev->up, cu->reg, cu->index);
        up = &self->up.report;
    }
    if (conv) {
        chain_count (self, &self->st.refused, "refused");
        s_ack (self, id, "refused");
        rec->state = CL_DONE;
        return 0;
    }
    nines_evm_summary_t sm;
    nines_buf_t data = { 0 };
    rc = nines_evm_summary (&sm, &self->down.report, up);
    if (!rc)
        rc = nines_evm_calldata_claim (&data, (uint32_t) self->index, &self->down.report, up);
    memcpy (rec->pod, sm.pod, 32);
    memcpy (rec->rid, sm.rid, 32);
    nines_le64 (rec->t_down, sm.t_down);
    nines_le64 (rec->t_up, sm.t_up);
    memcpy (rec->evidence, sm.evidence, 32);
    rec->has_up = up != NULL;
    nines_le64 (rec->settle_at, sm.t_down + self->corr_ms + self->window_ms);
    void *arg [2] = { (void *) id, rec };
    if (!rc)
        rc = replace ? chain_replace (self, rec, &data, self->bond)
                     : chain_send (self, &data, self->bond, rec->tx, s_before_claim, arg, rec);
    nines_buf_free (&data);
    char hex [NINES_ID_HEX];
    if (rc == NINES_EREVERTED) {
        const char *why = nines_rpc_errdata (self->rpc);
        uint8_t sel [4];
        char dup [11] = "0x", stale [11] = "0x";
        nines_abi_selector (sel, "EDuplicate()");
        nines_hex (dup + 2, sel, 4);
        nines_abi_selector (sel, "EStale(string)");
        nines_hex (stale + 2, sel, 4);
        if (!strncmp (why, dup, 10) || !strncmp (why, stale, 10))
            return 0;                   /* claimed meanwhile (the next pass sees it), or early */
        nines_warn ("evidence %.16s: the contract refuses its claim (%s %s)",
                    nines_hex (hex, id, 32), nines_rpc_message (self->rpc), why);
        chain_count (self, &self->st.refused, "refused");
        s_ack (self, id, "refused");
        rec->state = CL_DONE;
        return 0;
    }
    if (rc || replace)
        return rc;                      /* SENDING stays: resolved by its nonce */
    memcpy (rec->ctx, rec->tx, 32);
    self->st.claims_sent++;
    rec->state = CL_CLAIM_SENT;
    char thex [NINES_ID_HEX];           /* not hex + 20: 65 bytes written there overran hex */
    nines_info ("evidence %.16s claimed on the chain: tx %.16s, nonce %" PRIu64, nines_hex (hex, id, 32),
                nines_hex (thex, rec->tx, 32), nines_get_le64 (rec->nonce));
    return 0;
}

/*  A claim found on the chain: adopt ours, watch another's. */
static void
s_adopt (nines_chain_t *self, const uint8_t id [32], chain_rec_t *rec, uint64_t status, uint64_t claimant,
         uint64_t deadline, uint64_t seq)
{
    if (status == ST_NONE || (int64_t) claimant != self->index || status == ST_VOIDED) {
        if (status == ST_FINALIZED || status == ST_ACCOUNTED) {
            chain_count (self, &self->st.duplicate, "duplicate");
            s_ack (self, id, "duplicate");
            rec->state = CL_DONE;
        }
        else
            rec->state = status == ST_PENDING ? CL_OTHER : CL_QUEUED;
        return;
    }
    nines_le64 (rec->deadline, deadline);
    nines_le64 (rec->seq, seq);
    rec->state = status == ST_PENDING ? CL_PENDING : status == ST_FINALIZED ? CL_FINALIZED : CL_ACCOUNTED;
}

/*  Send finalize / account / settle: the record's next state on success. */
static int
s_call (nines_chain_t *self, chain_rec_t *rec, const nines_buf_t *data, uint8_t next)
{
    int rc = chain_send (self, data, 0, rec->tx, NULL, NULL, rec);
    if (rc == NINES_EREVERTED) {
        nines_debug ("chain call refused at estimate: %s %s", nines_rpc_message (self->rpc),
                     nines_rpc_errdata (self->rpc));
        return 0;                       /* the chain moved: the next pass re-reads it */
    }
    if (!rc)
        rec->state = next;
    return rc;
}

/*  The calldata of what state sends: finalize (CL_FIN_SENT), account
    (CL_ACC_SENT) or settle (CL_SETTLE_SENT). */
static int
s_call_data (chain_rec_t *rec, uint8_t state, nines_buf_t *data)
{
    if (state == CL_FIN_SENT)
        return nines_evm_calldata_finalize (data, rec->claim);
    if (state == CL_SETTLE_SENT) {
        nines_abi_t a = nines_abi_word (rec->pod);
        return nines_abi_call (data, "settle(bytes32)", &a, 1);
    }
    nines_evm_summary_t sm;
    memcpy (sm.pod, rec->pod, 32);
    memcpy (sm.rid, rec->rid, 32);
    sm.t_down = nines_get_le64 (rec->t_down);
    sm.t_up = nines_get_le64 (rec->t_up);
    sm.has_up = rec->has_up;
    memcpy (sm.evidence, rec->evidence, 32);
    return nines_evm_calldata_account (data, rec->claim, &sm);
}

static bool
s_is_behind (const chain_rec_t *rec, uint64_t status)
{
    bool claimed = rec->state == CL_PENDING || rec->state == CL_FIN_SENT;
    bool final = rec->state == CL_FINALIZED || rec->state == CL_ACC_SENT;
    return (claimed && status == ST_NONE) || (final && status < ST_FINALIZED);
}

/*  Whether the chain is behind the record (a reorganisation undid its
    claim, finalize or account): then the record steps back to what the
    chain says (its claim transaction checked again when the claim is
    gone), counted and logged.  Behind at the confirmed view only (the
    record moved under fewer confirmations, a restart with more): true,
    the record waits.  *rc an RPC code. */
static bool
s_behind (nines_chain_t *self, const uint8_t id [32], chain_rec_t *rec, uint64_t status, int *rc)
{
    if (!s_is_behind (rec, status))
        return false;
    uint64_t d, c, q;
    if (strcmp (self->view, "latest")
    &&  ((*rc = s_claim_info_at (self, rec->claim, "latest", &status, &d, &c, &q)) || !s_is_behind (rec, status)))
        return true;
    if (status == ST_NONE) {
        static const uint8_t zero [32];
        if (memcmp (rec->ctx, zero, 32))
            memcpy (rec->tx, rec->ctx, 32);
        memcpy (rec->txn, rec->nonce, 8);
        nines_le64 (rec->fee, 0);       /* not known: no fee bump of it */
        rec->state = CL_CLAIM_SENT;
    }
    else
        rec->state = status == ST_PENDING ? CL_PENDING : CL_FINALIZED;
    chain_reorged (self, id, status == ST_NONE ? "no claim: its claim transaction checked again"
                             : status == ST_PENDING ? "pending" : "finalized");
    return true;
}

/*  One step of record id (its state in rec, changed in place); accounted
    the contract's order().accounted.  0 or an RPC code. */
static int
s_step (nines_chain_t *self, const uint8_t id [32], chain_rec_t *rec, const nines_registry_t *overlay,
        uint64_t accounted)
{
    uint64_t status = 0, deadline = 0, claimant = 0, seq = 0;
    nines_receipt_t r;
    nines_buf_t data = { 0 };
    int rc = 0;
    if (rec->state == CL_QUEUED || rec->state == CL_OTHER || rec->state == CL_SENDING) {
        rc = s_load (self, id);
        if (rc == NINES_ENOTFOUND) {
            rec->state = CL_DONE;       /* acknowledged by other means */
            return 0;
        }
        if (rc) {
            nines_warn ("outbox evidence undecodable: %s", nines_strerror (rc));
            rec->state = CL_DONE;
            return 0;
        }
        s_claim_id (self, rec->claim);
    }
    bool info = rec->state <= CL_ACC_SENT || rec->state == CL_OTHER;
    if (info && (rc = s_claim_info (self, rec->claim, &status, &deadline, &claimant, &seq)))
        return rc;
    if (s_behind (self, id, rec, status, &rc))
        return rc;
    const char *what = rec->state == CL_FIN_SENT ? "finalize" : rec->state == CL_ACC_SENT ? "account" : "settle";
    switch (rec->state) {
        case CL_QUEUED:
        case CL_OTHER:
            if (status != ST_NONE && status != ST_VOIDED)
                s_adopt (self, id, rec, status, claimant, deadline, seq);
            else
            if (self->ready && chain_may_send (rec))
                rc = s_claim (self, id, rec, overlay, false);
            else
                rec->state = CL_QUEUED;
            break;
        case CL_SENDING: {
            if (status != ST_NONE && status != ST_VOIDED) {
                s_adopt (self, id, rec, status, claimant, deadline, seq);
                break;
            }
            uint64_t latest = 0, pending = 0, nonce = nines_get_le64 (rec->nonce);
            if ((rc = chain_rpc_err (self, nines_rpc_nonce (self->rpc, self->key.address, "latest", &latest), "nonce"))
            ||  (rc = chain_rpc_err (self, nines_rpc_nonce (self->rpc, self->key.address, "pending", &pending), "nonce")))
                break;
            if (latest > nonce || pending <= nonce) {
                rec->state = CL_QUEUED; /* its nonce went elsewhere, or it never reached the node */
                nines_sender_resync (&self->tx);
            }
            break;
        }
        case CL_CLAIM_SENT:
            rc = chain_receipt (self, rec->tx, &r);
            if (rc == NINES_ESTATE) {
                rc = 0;                 /* mined, not yet confirmed */
                break;
            }
            if (rc == NINES_ENOTFOUND) {
                rc = chain_unmined (self, rec, id, "claim");
                if (rc == CHAIN_LOST)
                    rec->state = CL_QUEUED;     /* gone, or its nonce went elsewhere */
                if (rc == CHAIN_STUCK && !(rc = s_load (self, id)))
                    rc = s_claim (self, id, rec, overlay, true);
                rc = rc < 0 ? rc : 0;
                break;
            }
            if (rc)
                break;
            self->st.gas_claim += r.gas_used;
            if (r.status == 1 && status == ST_NONE     /* mined since claims() was read */
            &&  (rc = s_claim_info (self, rec->claim, &status, &deadline, &claimant, &seq)))
                break;
            if (r.status == 1 && status == ST_PENDING && (int64_t) claimant == self->index) {
                chain_count (self, &self->st.claimed, "claimed");
                nines_le64 (rec->deadline, deadline);
                rec->state = CL_PENDING;
            }
            else {
                chain_out_of_gas (self, rec, id, &r, "claim");
                rec->state = CL_QUEUED;     /* reverted: the next pass sees who holds it */
            }
            break;
        case CL_PENDING:
            if (status != ST_PENDING || (int64_t) claimant != self->index) {
                if (status == ST_VOIDED) {
                    chain_count (self, &self->st.voided, "voided");
                    s_ack (self, id, "voided");
                    rec->state = CL_DONE;
                }
                else
                    s_adopt (self, id, rec, status, claimant, deadline, seq);
                break;
            }
            if (self->head_ms < deadline || !chain_may_send (rec))
                break;
            if (!(rc = s_call_data (rec, CL_FIN_SENT, &data)))
                rc = s_call (self, rec, &data, CL_FIN_SENT);
            break;
        case CL_FIN_SENT:
        case CL_ACC_SENT:
        case CL_SETTLE_SENT:
            rc = chain_receipt (self, rec->tx, &r);
            if (rc == NINES_ESTATE) {
                rc = 0;
                break;
            }
            if (rc == NINES_ENOTFOUND) {
                rc = chain_unmined (self, rec, id, what);
                if (rc == CHAIN_LOST)           /* sent again from the state before */
                    rec->state = rec->state == CL_FIN_SENT ? CL_PENDING
                               : rec->state == CL_ACC_SENT ? CL_FINALIZED : CL_SETTLE_WAIT;
                if (rc == CHAIN_STUCK && !(rc = s_call_data (rec, rec->state, &data)))
                    rc = chain_replace (self, rec, &data, 0);
                rc = rc < 0 && rc != NINES_EREVERTED ? rc : 0;
                break;
            }
            if (rc)
                break;
            if (chain_out_of_gas (self, rec, id, &r, what) && rec->state == CL_SETTLE_SENT) {
                rec->state = CL_SETTLE_WAIT;
                break;
            }
            if (rec->state == CL_SETTLE_SENT) {
                self->st.gas_settle += r.gas_used;
                chain_count (self, &self->st.settled, "settled");
                rec->state = CL_DONE;
                break;
            }
            *(rec->state == CL_FIN_SENT ? &self->st.gas_finalize : &self->st.gas_account) += r.gas_used;
            if (status == ST_FINALIZED || status == ST_ACCOUNTED) {
                if (rec->state == CL_FIN_SENT)
                    chain_count (self, &self->st.finalized, "finalized");
                uint64_t t = 0;
                uint8_t h [32];
                if (status == ST_ACCOUNTED && r.status == 1
                &&  !(rc = chain_rpc_err (self, nines_rpc_block_hash (self->rpc, r.block_number, h, &t), "block"))
                &&  t * 1000 >= nines_get_le64 (rec->settle_at))
                    nines_le64 (rec->settle_at, 0);     /* paid when accounted */
                if (rc)
                    break;
                nines_le64 (rec->seq, seq);
                rec->state = status == ST_FINALIZED ? CL_FINALIZED : CL_ACCOUNTED;
            }
            else
                rec->state = CL_PENDING;
            break;
        case CL_FINALIZED:
            if (status == ST_ACCOUNTED) {
                rec->state = CL_ACCOUNTED;
                break;
            }
            if (seq != accounted + 1 || !chain_may_send (rec))
                break;                  /* an earlier claim is not accounted yet */
            if (!(rc = s_call_data (rec, CL_ACC_SENT, &data)))
                rc = s_call (self, rec, &data, CL_ACC_SENT);
            break;
        case CL_ACCOUNTED: {
            void *v = NULL;
            size_t len = 0;
            if (nines_store_get (self->store, NINES_CHAIN_OUTBOX, id, 32, &v, &len) == 0) {
                free (v);
                chain_count (self, &self->st.accounted, "accounted");
                s_ack (self, id, "accounted");
            }
            rec->state = nines_get_le64 (rec->settle_at) ? CL_SETTLE_WAIT : CL_DONE;
            break;
        }
        case CL_SETTLE_WAIT: {
            /*  The contract pays a merged incident only corr_window +
                challenge window after its first DOWN: settle the pod then
                (an account mined after that instant has paid already). */
            if (self->head_ms < nines_get_le64 (rec->settle_at) || !chain_may_send (rec))
                break;
            if (!(rc = s_call_data (rec, CL_SETTLE_SENT, &data)))
                rc = s_call (self, rec, &data, CL_SETTLE_SENT);
            break;
        }
        default:
            rec->state = CL_DONE;
    }
    nines_buf_free (&data);
    if (rc == NINES_EREPLAY)
        nines_warn ("chain key %s: its nonce was used by another sender (another process with this key?): "
                    "the next pass re-reads it", self->cfg.chain_key);
    return rc == NINES_EREPLAY ? 0 : rc;    /* the record's state says what to do next pass */
}

/*  ---- the watcher's services (chain_watch.h) ---- */

static int
s_watch_send (void *link, const nines_buf_t *data, uint64_t units, uint8_t hash [32])
{
    return chain_send ((nines_chain_t *) link, data, units, hash, NULL, NULL, NULL);
}

static int
s_watch_registry (void *link, uint64_t epoch, const nines_registry_t **reg, const uint32_t **index)
{
    nines_chain_t *self = (nines_chain_t *) link;
    reg_cache_t *c = NULL;
    int rc = s_registry (self, epoch, self->overlay, &c);
    *reg = rc ? NULL : c->reg;
    *index = rc ? NULL : c->index;
    return rc;
}

/*  The watcher's pass, then the adversary's (if any). */
static int
s_watch (nines_chain_t *self, const nines_registry_t *overlay)
{
    self->overlay = overlay;
    nines_watch_env_t env = { self->rpc, self->cfg.contract, self->key.address, self->store, NINES_WATCH_DB,
        self->cfg.start_block, self->head_ms, self->ready ? self->index : -1, self->bond, overlay, self,
        s_view_at, s_watch_send, s_watch_registry };
    nines_watch_stats_t before, after;
    nines_watch_stats (self->watch, &before);
    int rc = nines_watch_pass (self->watch, &env);
    nines_watch_stats (self->watch, &after);
    for (uint64_t k = before.rewinds; k < after.rewinds; k++)
        chain_fault (self, &self->st.rewinds, "rewind");   /* logged by the watcher */
    for (uint64_t k = before.resent; k < after.resent; k++) {
        chain_fault (self, &self->st.lost, "lost");         /* a challenge: logged by the watcher */
        chain_resent (self);
    }
    if (!rc && self->forge.mode)
        rc = nines_forge_pass (&self->forge, &env, self->cfg.adversary_key);
    return rc;
}

void
nines_chain_watch_stats (const nines_chain_t *self, nines_watch_stats_t *out, nines_forge_t *forge)
{
    nines_watch_stats (self->watch, out);
    if (forge)
        *forge = self->forge;
}

/*  ---- the pass ---- */

int
nines_chain_submit (nines_chain_t *self, const uint8_t id [32])
{
    void *v = NULL;
    size_t len = 0;
    if (nines_store_get (self->store, NINES_CHAIN_DB, id, 32, &v, &len) == 0) {
        free (v);
        return 0;
    }
    chain_rec_t rec;
    memset (&rec, 0, sizeof rec);
    rec.state = CL_QUEUED;
    return s_put (self, id, &rec);
}

typedef struct {
    uint8_t id [32];
    chain_rec_t rec;
} rec_row_t;

typedef struct {
    rec_row_t *rows;
    size_t n, cap;
} rec_rows_t;

static int
s_collect (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    rec_rows_t *c = (rec_rows_t *) arg;
    if (klen != 32 || (vlen != sizeof (chain_rec_t) && vlen != CHAIN_REC_V1))
        return 0;
    rec_row_t *r = (rec_row_t *) nines_grow (c->rows, &c->cap, c->n, sizeof *r, 16);
    if (!r)
        return NINES_ENOMEM;
    c->rows = r;
    memcpy (c->rows [c->n].id, k, 32);
    memset (&c->rows [c->n].rec, 0, sizeof (chain_rec_t));
    memcpy (&c->rows [c->n].rec, v, vlen);     /* an older record: its fault fields zero */
    c->n++;
    return 0;
}

/*  order().accounted: the claims accounted so far. */
static int
s_accounted (nines_chain_t *self, uint64_t *accounted)
{
    nines_buf_t o = { 0 };
    int rc = s_view (self, "order()", NULL, 0, &o);
    if (!rc && nines_abi_get_uint (o.data, o.len, 1, accounted))
        rc = NINES_EMALFORMED;
    nines_buf_free (&o);
    return rc;
}

/*  The first logs of event sig whose topic 1 is key (NULL: any) and, when
    seq is not 0, whose data word 0 is seq, from cfg.start_block: into
    *out (free with nines_rpc_logs_free).  0, NINES_ENOTFOUND or an RPC
    code. */
static int
s_find_log (nines_chain_t *self, const char *sig, const uint8_t *key, uint64_t seq, nines_log_t *out)
{
    uint8_t topic [32];
    nines_evm_topic (topic, sig);
    nines_log_t *logs = NULL;
    size_t n = 0;
    int rc = chain_rpc_err (self, nines_rpc_get_logs (self->rpc, self->cfg.contract, self->cfg.start_block,
                                                  self->head, &topic, 1, &logs, &n), "eth_getLogs");
    if (!rc)
        rc = NINES_ENOTFOUND;
    for (size_t i = 0; rc == NINES_ENOTFOUND && i < n; i++) {
        uint64_t v = 0;
        if (logs [i].n_topics < 2 || (key && memcmp (logs [i].topics [1], key, 32))
        ||  (seq && (nines_abi_get_uint (logs [i].data, logs [i].data_len, 0, &v) || v != seq)))
            continue;
        *out = logs [i];
        logs [i].data = NULL;           /* kept by out */
        rc = 0;
    }
    nines_rpc_logs_free (logs, n);
    return rc;
}

/*  Finalize order is one queue: another validator's finalized claim that
    nobody accounts (seq accounted + 1) holds back ours.  Account it from
    its Finalized and Claimed logs (the summary is the Claimed event's
    fields), once: the next pass sees order() move.  Our account gone
    from the node is sent again, below the base fee replaced (the faults
    of chain_unmined). */
static int
s_account_next (nines_chain_t *self, uint64_t accounted)
{
    nines_receipt_t r;
    bool replace = false;
    if (self->helped_seq == accounted + 1) {
        int rc = chain_receipt (self, self->helped.tx, &r);
        if (rc == NINES_ENOTFOUND) {
            rc = chain_unmined (self, &self->helped, self->helped.claim, "account (another's claim)");
            if (rc < 0 || rc == CHAIN_WAIT)
                return rc;
            replace = rc == CHAIN_STUCK;
        }
        else if (rc)
            return rc == NINES_ESTATE ? 0 : rc;     /* not confirmed yet */
    }
    nines_log_t fin = { 0 }, cl = { 0 };
    int rc = s_find_log (self, NINES_EVM_EV_FINALIZED, NULL, accounted + 1, &fin);
    if (!rc)
        rc = s_find_log (self, NINES_EVM_EV_CLAIMED, fin.topics [1], 0, &cl);
    nines_evm_summary_t sm;
    uint64_t has_up = 0;
    if (!rc && (cl.n_topics < 3 || nines_abi_get_uint (cl.data, cl.data_len, 1, &sm.t_down)
            ||  nines_abi_get_uint (cl.data, cl.data_len, 2, &sm.t_up)
            ||  nines_abi_get_uint (cl.data, cl.data_len, 3, &has_up)
            ||  nines_abi_get_word (cl.data, cl.data_len, 5, sm.rid)
            ||  nines_abi_get_word (cl.data, cl.data_len, 6, sm.evidence)))
        rc = NINES_EMALFORMED;
    nines_buf_t data = { 0 };
    if (!rc) {
        memcpy (sm.pod, cl.topics [2], 32);
        sm.has_up = has_up != 0;
        rc = nines_evm_calldata_account (&data, fin.topics [1], &sm);
    }
    if (!rc && replace)
        rc = chain_replace (self, &self->helped, &data, 0);
    else
    if (!rc) {
        memset (&self->helped, 0, sizeof self->helped);
        rc = chain_send (self, &data, 0, self->helped.tx, NULL, NULL, &self->helped);
    }
    if (!rc && !replace) {
        self->helped_seq = accounted + 1;
        memcpy (self->helped.claim, fin.topics [1], 32);
        char hex [NINES_ID_HEX];
        nines_info ("claim %.16s (finalize order %" PRIu64 ", another validator's) accounted by us: "
                    "ours wait behind it", nines_hex (hex, fin.topics [1], 32), accounted + 1);
    }
    free (fin.data);
    free (cl.data);
    nines_buf_free (&data);
    return rc == NINES_ENOTFOUND || rc == NINES_EREVERTED ? 0 : rc;
}

int
nines_chain_poll (nines_chain_t *self, const nines_registry_t *overlay)
{
    rec_rows_t c = { 0 };
    int rc = nines_store_iter_prefix (self->store, NINES_CHAIN_DB, NULL, 0, s_collect, &c);
    if (!rc)
        rc = s_connect (self);
    if (!rc)
        rc = chain_nonce_check (self);
    if (!rc)
        rc = chain_head (self);
    uint64_t accounted = 0;
    if (!rc && c.n)
        rc = s_accounted (self, &accounted);
    /*  Sweeps until nothing moves: an account lets the next one run. */
    bool moved = true;
    for (int sweep = 0; !rc && moved && sweep < 4; sweep++) {
        moved = false;
        for (size_t i = 0; !rc && i < c.n; i++) {
            chain_rec_t *rec = &c.rows [i].rec;
            for (int k = 0; k < STEPS && rec->state != CL_DONE; k++) {
                chain_rec_t before = *rec;
                rc = s_step (self, c.rows [i].id, rec, overlay, accounted);
                if (memcmp (&before, rec, sizeof before)) {
                    moved = true;
                    if (rec->state == CL_DONE)
                        nines_store_del (self->store, NINES_CHAIN_DB, c.rows [i].id, 32);
                    else
                        s_put (self, c.rows [i].id, rec);
                    if (before.state == CL_ACC_SENT && rec->state == CL_ACCOUNTED)
                        accounted = nines_get_le64 (rec->seq);
                }
                if (rc || before.state == rec->state)
                    break;
            }
        }
    }
    bool blocked = false;
    for (size_t i = 0; !rc && i < c.n; i++)
        blocked = blocked || (c.rows [i].rec.state == CL_FINALIZED
                              && nines_get_le64 (c.rows [i].rec.seq) > accounted + 1);
    if (blocked)
        rc = s_account_next (self, accounted);
    free (c.rows);
    if (!rc)
        rc = s_watch (self, overlay);
    if (!rc && self->was_up != 1) {
        if (self->was_up == 0)
            nines_info ("chain node %s reachable again", self->cfg.rpc);
        self->was_up = 1;
    }
    if (!rc)
        self->st.up = true;
    return rc;
}
