/*  ninesd's link to nines-ledger: the registry it follows, canaries it
    signs, replies to the evidence it submits. */
#include "node/node_state.h"
#include <string.h>

/*  ---- ledger ---- */

void
node_ask_registry (nines_node_t *self)
{
    uint8_t *req = NULL;
    size_t len = 0;
    if (!self->ledger_wait_ms)
        self->ledger_wait_ms = node_now ();
    if (nines_ledger_req_simple (NINES_LEDGER_OP_REGISTRY, NULL, &req, &len) == 0) {
        if (zmq_send (zsock_resolve (self->ledger), req, len, ZMQ_DONTWAIT) >= 0) {
            self->registry_pending = true;
            self->registry_asked_ms = node_now ();
        }
    }
    free (req);
}

/*  Countersign the ledger's canary (DESIGN.md section 8: only validators
    that answer the period's canary share its fees).  msg is a PUB canary
    map or a `canary` op reply; its signature is checked against the
    ledger key from the registry reply. */
void
node_on_canary (nines_node_t *self, const uint8_t *msg, size_t len)
{
    if (!self->ledger || !self->has_ledger_id)
        return;
    uint8_t id [NINES_HASH_BYTES];
    uint64_t period = 0, deadline = 0;
    int rc = nines_ledger_parse_canary (msg, len, self->ledger_id, id, &period, &deadline);
    if (rc) {
        if (rc != NINES_ENOTFOUND)
            nines_warn ("ledger canary refused: %s", nines_strerror (rc));
        return;
    }
    if (memcmp (id, self->canary, sizeof id) == 0 || node_now () > deadline)
        return;
    uint8_t *req = NULL;
    size_t rlen = 0;
    if (nines_ledger_req_canary_sign (&self->kp, id, &req, &rlen) == 0
    &&  zmq_send (zsock_resolve (self->ledger), req, rlen, ZMQ_DONTWAIT) >= 0) {
        memcpy (self->canary, id, sizeof id);
        self->canaries++;
        nines_info ("countersigned the ledger's canary of period %" PRIu64, period);
    }
    free (req);
}

nines_registry_t *
node_on_ledger_reply (nines_node_t *self, const uint8_t *data, size_t len)
{
    uint8_t id [NINES_HASH_BYTES];
    char verdict [32] = "", reason [256] = "";
    /*  A reply names the op it answers (proto/LEDGER.md); one from a
        ledger that does not is told apart by its keys: an evidence ack has
        an id and a verdict, a registry params, a canary deadline_ms. */
    char op [32] = "";
    bool any = nines_reply_op (data, len, op, sizeof op) != 0;
    self->ledger_reply_ms = node_now ();
    self->ledger_wait_ms = 0;
    int rc = nines_ledger_parse_ack (data, len, id, verdict, sizeof verdict, reason, sizeof reason);
    if (rc == NINES_ESTATE) {
        self->registry_pending = false;
        nines_warn ("ledger refused %s%s: %s", any ? "a request" : "", op,
                    reason [0] ? reason : "(no reason)");
        return NULL;
    }
    if (rc == 0 && verdict [0] && (any || !strcmp (op, NINES_LEDGER_OP_SUBMIT_EVIDENCE))) {
        /*  Acknowledged: record the verdict, then leave the outbox. */
        node_evidence_ack_store (self->store, id, verdict);
        nines_engine_on_ack (self->engine, id);
        if (self->metrics)
            nines_metric_inc (self->m_submitted, (const char *[]) { verdict }, 1);
        char hex [NINES_ID_HEX];
        bool why = reason [0] && strcmp (reason, "NINES_OK") != 0;
        nines_info ("evidence %.16s acknowledged: %s%s%s", nines_hex (hex, id, sizeof id),
                    verdict, why ? " " : "", why ? reason : "");
        return NULL;
    }
    nines_registry_t *reg = NULL;
    uint8_t ledger_id [NINES_ID_BYTES];
    rc = any || !strcmp (op, NINES_LEDGER_OP_REGISTRY)
       ? nines_ledger_parse_registry (data, len, &reg, ledger_id) : NINES_EINVAL;
    if (rc == 0) {
        self->registry_pending = false;
        memcpy (self->ledger_id, ledger_id, sizeof ledger_id);
        bool first = !self->has_ledger_id;
        self->has_ledger_id = true;
        if (self->reg && reg->version == self->reg->version)
            nines_registry_destroy (&reg);
        if (first) {
            /*  A canary published before we subscribed: ask for it. */
            uint8_t *req = NULL;
            size_t rlen = 0;
            if (nines_ledger_req_simple (NINES_LEDGER_OP_CANARY, NULL, &req, &rlen) == 0)
                zmq_send (zsock_resolve (self->ledger), req, rlen, ZMQ_DONTWAIT);
            free (req);
        }
        return reg;
    }
    uint64_t period, deadline;
    if ((any || !strcmp (op, NINES_LEDGER_OP_CANARY))
    &&  nines_ledger_parse_canary (data, len, NULL, id, &period, &deadline) == 0) {
        node_on_canary (self, data, len);
        return NULL;
    }
    nines_debug ("ledger reply of %zu bytes to %s", len, any ? "(a canary_sign, or no canary open)" : op);
    return NULL;
}
