/*  The ledger state machine: see ledger.h for the rules, proto/LEDGER.md
    for the API.  This file holds the request handlers that change state
    and the op table; the parts are ledger_state.c (storage, cache,
    object), accounting.c (incidents, settlement), fees.c (canary, fees,
    clock) and queries.c, behind ledger_private.h. */
#include "ledger/ledger_private.h"
#include "proto/verify.h"
#include "proto/ids.h"
#include "base/log.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  ---- request handlers ----
    Each returns 0 after packing a complete reply map into pk, or a
    NINES_E* code with a sentence in err (the dispatcher answers
    {ok: false, error: "NINES_E...: sentence"}). */

/*  Replay guard: t_ms must exceed the last accepted from signer in domain
    for that entry (a validator id, or a pod id: a provider may change
    several pods within the same millisecond). */
static int
s_seq (nines_ledger_t *self, const char *domain, const uint8_t signer [NINES_ID_BYTES],
       const uint8_t entry [NINES_ID_BYTES], uint64_t t_ms)
{
    uint8_t key [NINES_DOMAIN_MAX + 2 * NINES_ID_BYTES];
    size_t dl = strlen (domain);
    memcpy (key, domain, dl);
    memcpy (key + dl, signer, NINES_ID_BYTES);
    memcpy (key + dl + NINES_ID_BYTES, entry, NINES_ID_BYTES);
    size_t klen = dl + 2 * NINES_ID_BYTES;
    const void *val;
    size_t vlen;
    if (nines_txn_get (self->txn, "seq", key, klen, &val, &vlen) == 0 && vlen == 8 && t_ms <= nines_get_le64 (val))
        return NINES_EREPLAY;
    return ledger_put_u64s (self, "seq", key, klen, &t_ms, 1);
}

/*  Common tail of a registry change: store the new version and commit;
    then s_registry_done (after the cache is updated) publishes it. */
static int
s_registry_commit (req_t *r)
{
    nines_ledger_t *self = r->self;
    int rc = ledger_meta_put (self, "version", self->reg->version + 1);
    if (rc || (rc = ledger_commit (self)))
        return ledger_fail (r, rc, "cannot store the change");
    return NINES_OK;
}

/*  The cache holds the change (nines_registry_put_* bumped its counter):
    set the version stored by s_registry_commit, publish, reply. */
static int
s_registry_done (req_t *r, uint64_t version)
{
    nines_ledger_t *self = r->self;
    self->reg->version = version;
    ledger_event_registry (self);
    msgpack_pack_map (r->pk, 2);
    nines_pack_kv_bool (r->pk, "ok", true);
    nines_pack_kv_u64 (r->pk, "version", version);
    return NINES_OK;
}

/*  Keep a copy of the current validator set (and params) before it
    changes: evidence from rounds that used it still verifies for
    HISTORY_LAG_MS (nines_ledger_verify_evidence_hist).  A burst of
    registrations (within HISTORY_BURST_MS of the last kept set) keeps only
    the set from before the burst, so a network registering many validators
    at once does not push it out of the ring.  Memory only. */
static void
s_remember_validators (nines_ledger_t *self, uint64_t now)
{
    if (self->older [0] && now < self->older_until [0] + HISTORY_BURST_MS) {
        self->older_until [0] = now;
        return;
    }
    nines_registry_t *copy = nines_registry_new ();
    if (!copy)
        return;
    copy->params = self->reg->params;
    for (size_t i = 0; i < self->reg->n_validators; i++)
        if (nines_registry_put_validator (copy, &self->reg->validators [i])) {
            nines_registry_destroy (&copy);
            return;
        }
    nines_registry_destroy (&self->older [HISTORY - 1]);
    memmove (&self->older [1], &self->older [0], (HISTORY - 1) * sizeof self->older [0]);
    memmove (&self->older_until [1], &self->older_until [0], (HISTORY - 1) * sizeof self->older_until [0]);
    self->older [0] = copy;
    self->older_until [0] = now;
}

/*  The signed fields of a registration request. */
typedef struct {
    const uint8_t *info;                 /* the encoded entry (borrowed from the request) */
    size_t len;                          /* its bytes */
    uint64_t t_ms;                       /* the signer's time, Unix ms (replay guard) */
    uint8_t sig [NINES_SIG_BYTES];       /* signature over domain, t_ms and info */
} signed_info_t;

/*  info + t_ms + sig of a registration (the caller verifies them against
    the signer once it has decoded the entry). */
static int
s_signed_info (req_t *r, signed_info_t *s)
{
    if (nines_query_blob (r->q, "info", &s->info, &s->len) || nines_query_u64 (r->q, "t_ms", &s->t_ms)
    ||  nines_query_bin (r->q, "sig", s->sig, NINES_SIG_BYTES))
        return ledger_fail (r, NINES_EMALFORMED, "expected info (bin), t_ms (uint) and sig (bin 64)");
    return NINES_OK;
}

static int
h_register_validator (req_t *r)
{
    nines_ledger_t *self = r->self;
    signed_info_t s;
    nines_validator_info_t v;
    int rc = s_signed_info (r, &s);
    if (rc)
        return rc;
    if ((rc = nines_validator_info_decode (s.info, s.len, &v)))
        return ledger_fail (r, rc, "info is not a validator entry");
    if (nines_ledger_verify (v.id, NINES_DOMAIN_REG_VALIDATOR, s.t_ms, s.info, s.len, s.sig))
        return ledger_fail (r, NINES_EBADSIG, "signature by the validator id does not verify for " NINES_DOMAIN_REG_VALIDATOR);
    if (v.stake < self->reg->params.min_validator_stake)
        return ledger_fail (r, NINES_ESTAKE, "stake %llu below the minimum %llu", (unsigned long long) v.stake,
                       (unsigned long long) self->reg->params.min_validator_stake);
    if (strncmp (v.endpoint, "tcp://", 6) != 0)
        return ledger_fail (r, NINES_EINVAL, "endpoint must be tcp://host:port");
    if ((rc = ledger_begin (self)))
        return ledger_fail (r, rc, "storage unavailable");
    rc = s_seq (self, NINES_DOMAIN_REG_VALIDATOR, v.id, v.id, s.t_ms);
    if (!rc) rc = ledger_put (self, "validators", v.id, NINES_ID_BYTES, s.info, s.len);
    if (rc) {
        ledger_abort (self, false);
        return ledger_fail (r, rc, rc == NINES_EREPLAY ? "t_ms not after the last registration" : "cannot store");
    }
    uint64_t version = self->reg->version + 1;
    rc = s_registry_commit (r);
    if (!rc) {
        s_remember_validators (self, r->now);
        nines_registry_put_validator (self->reg, &v);
        rc = s_registry_done (r, version);
    }
    return rc;
}

/*  Commit the open write transaction holding pod p (malloc'd; freed
    here), then update the in-memory registry and publish the new version.
    0 or the NINES_E* code already reported. */
static int
s_pod_publish (req_t *r, nines_pod_info_t *p)
{
    uint64_t version = r->self->reg->version + 1;
    int rc = s_registry_commit (r);
    if (!rc) {
        nines_registry_put_pod (r->self->reg, p);
        rc = s_registry_done (r, version);
    }
    free (p);
    return rc;
}

/*  Store a provider-signed change to pod p (malloc'd; freed here) in one
    transaction with the signer's replay guard for domain, then update the
    in-memory registry and publish the new version.  Writes the reply;
    returns 0 or the NINES_E* code already reported (replay_msg names a
    NINES_EREPLAY). */
static int
s_store_pod_change (req_t *r, const char *domain, nines_pod_info_t *p, uint64_t t_ms, const char *replay_msg)
{
    nines_ledger_t *self = r->self;
    int rc;
    if ((rc = ledger_begin (self))) {
        free (p);
        return ledger_fail (r, rc, "storage unavailable");
    }
    rc = s_seq (self, domain, p->provider, p->pod, t_ms);
    if (!rc) rc = ledger_put_pod (self, p);
    if (rc) {
        ledger_abort (self, false);
        free (p);
        return ledger_fail (r, rc, "%s", rc == NINES_EREPLAY ? replay_msg : "cannot store");
    }
    return s_pod_publish (r, p);
}

static int
h_register_pod (req_t *r)
{
    nines_ledger_t *self = r->self;
    signed_info_t s;
    int rc = s_signed_info (r, &s);
    if (rc)
        return rc;
    nines_pod_info_t *p = malloc (sizeof *p);
    if (!p)
        return ledger_fail (r, NINES_ENOMEM, "out of memory");
    if ((rc = nines_pod_info_decode (s.info, s.len, p))) {
        free (p);
        return ledger_fail (r, rc, "info is not a pod entry");
    }
    const nines_pod_info_t *old = nines_registry_pod (self->reg, p->pod);
    if (nines_ledger_verify (p->provider, NINES_DOMAIN_REG_POD, s.t_ms, s.info, s.len, s.sig))
        rc = ledger_fail (r, NINES_EBADSIG, "signature by the provider does not verify for " NINES_DOMAIN_REG_POD);
    else
    if (old && memcmp (old->provider, p->provider, NINES_ID_BYTES) != 0)
        rc = ledger_fail (r, NINES_EPERM, "the pod is registered by another provider");
    if (rc) {
        free (p);
        return rc;
    }
    /* announced maintenance is kept; paid_until cannot move into the past */
    p->n_maint = old ? old->n_maint : 0;
    if (old)
        memcpy (p->maint, old->maint, sizeof p->maint);
    if (p->paid_until_ms && p->paid_until_ms < r->now)
        p->paid_until_ms = r->now;
    return s_store_pod_change (r, NINES_DOMAIN_REG_POD, p, s.t_ms,
                               "t_ms not after the provider's last registration");
}

/*  pod + t_ms + sig of a provider-signed change; *copy_p a malloc'd copy
    of the registered pod for the caller to change (s_store_pod_change
    frees it). */
static int
s_provider_signed (req_t *r, const char *domain, const uint8_t *body, size_t len, const uint8_t pod [NINES_ID_BYTES],
                   uint64_t t_ms, nines_pod_info_t **copy_p)
{
    uint8_t sig [NINES_SIG_BYTES];
    if (nines_query_bin (r->q, "sig", sig, NINES_SIG_BYTES))
        return ledger_fail (r, NINES_EMALFORMED, "expected sig (bin 64)");
    const nines_pod_info_t *p = nines_registry_pod (r->self->reg, pod);
    if (!p)
        return ledger_fail (r, NINES_EUNKNOWN, "unknown pod");
    if (nines_ledger_verify (p->provider, domain, t_ms, body, len, sig))
        return ledger_fail (r, NINES_EBADSIG, "signature by the pod's provider does not verify for %s", domain);
    *copy_p = malloc (sizeof **copy_p);
    if (!*copy_p)
        return ledger_fail (r, NINES_ENOMEM, "out of memory");
    **copy_p = *p;
    return NINES_OK;
}

static int
h_maintenance (req_t *r)
{
    nines_ledger_t *self = r->self;
    const nines_params_t *pa = &self->reg->params;
    uint8_t pod [NINES_ID_BYTES], body [NINES_MAINT_BODY_BYTES];
    uint64_t start, end, t_ms;
    if (nines_query_bin (r->q, "pod", pod, NINES_ID_BYTES) || nines_query_u64 (r->q, "start_ms", &start)
    ||  nines_query_u64 (r->q, "end_ms", &end) || nines_query_u64 (r->q, "t_ms", &t_ms))
        return ledger_fail (r, NINES_EMALFORMED, "expected pod (bin 32), start_ms, end_ms, t_ms, sig");
    if (end <= start)
        return ledger_fail (r, NINES_EINVAL, "end_ms must be after start_ms");
    nines_ledger_maint_body (body, pod, start, end);
    nines_pod_info_t *p;
    int rc = s_provider_signed (r, NINES_DOMAIN_MAINTENANCE, body, sizeof body, pod, t_ms, &p);
    if (rc)
        return rc;
    /* honoured only with notice and within the budget of the rolling period */
    int why = NINES_OK;
    uint64_t used = 0, horizon = 2 * (pa->maint_period_ms > pa->window_ms ? pa->maint_period_ms : pa->window_ms);
    uint8_t keep = 0;
    for (uint8_t i = 0; i < p->n_maint && i < NINES_MAINT_MAX; i++) {
        const nines_maint_t *m = &p->maint [i];
        if (m->end_ms + horizon < r->now && m->end_ms + pa->merge_max_ms < r->now)
            continue;                               /* long past: dropped */
        p->maint [keep++] = *m;
        if (m->start_ms < end && start < m->end_ms)
            why = NINES_EEXIST;
        if (m->end_ms > start - (start > pa->maint_period_ms ? pa->maint_period_ms : start) && m->start_ms <= start)
            used += m->end_ms - m->start_ms;
    }
    p->n_maint = keep;
    if (!why && start < r->now + pa->notice_ms)
        why = NINES_ESTALE;
    if (!why && used + (end - start) > pa->maint_budget_ms)
        why = NINES_EFULL;
    if (!why && p->n_maint >= NINES_MAINT_MAX)
        why = NINES_EFULL;
    if ((rc = ledger_begin (self))) {
        free (p);
        return ledger_fail (r, rc, "storage unavailable");
    }
    rc = s_seq (self, NINES_DOMAIN_MAINTENANCE, p->provider, p->pod, t_ms);
    if (!rc && !why) {
        p->maint [p->n_maint].start_ms = start;
        p->maint [p->n_maint].end_ms = end;
        p->maint [p->n_maint].announced_ms = r->now;
        p->n_maint++;
        rc = ledger_put_pod (self, p);
    }
    if (rc) {
        ledger_abort (self, false);
        free (p);
        return ledger_fail (r, rc, rc == NINES_EREPLAY ? "t_ms not after the provider's last announcement" : "cannot store");
    }
    if (why) {
        /* the replay guard still moves, so the refusal is final */
        rc = ledger_commit (self);
        free (p);
        if (rc)
            return ledger_fail (r, rc, "cannot store");
        msgpack_pack_map (r->pk, 4);
        nines_pack_kv_bool (r->pk, "ok", true);
        nines_pack_kv_bool (r->pk, "honoured", false);
        nines_pack_kv_str (r->pk, "reason", nines_errname (why));
        nines_pack_kv_str (r->pk, "detail", why == NINES_ESTALE ? "announced with less than the notice"
                           : why == NINES_EEXIST ? "overlaps an announced window"
                           : "over the maintenance budget of the period");
        return NINES_OK;
    }
    return s_pod_publish (r, p);
}

static int
h_paid_until (req_t *r)
{
    uint8_t pod [NINES_ID_BYTES], body [NINES_PAID_BODY_BYTES];
    uint64_t until, t_ms;
    if (nines_query_bin (r->q, "pod", pod, NINES_ID_BYTES) || nines_query_u64 (r->q, "paid_until_ms", &until)
    ||  nines_query_u64 (r->q, "t_ms", &t_ms))
        return ledger_fail (r, NINES_EMALFORMED, "expected pod (bin 32), paid_until_ms, t_ms, sig");
    nines_ledger_paid_body (body, pod, until);
    nines_pod_info_t *p;
    int rc = s_provider_signed (r, NINES_DOMAIN_PAID_UNTIL, body, sizeof body, pod, t_ms, &p);
    if (rc)
        return rc;
    p->paid_until_ms = until && until < r->now ? r->now : until;
    return s_store_pod_change (r, NINES_DOMAIN_PAID_UNTIL, p, t_ms,
                               "t_ms not after the provider's last change");
}

static void
s_pack_ack (msgpack_packer *pk, const uint8_t id [NINES_HASH_BYTES], const char *verdict, int reason,
            const char *detail)
{
    msgpack_pack_map (pk, 5);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_bin (pk, "id", id, NINES_HASH_BYTES);
    nines_pack_kv_str (pk, "verdict", verdict);
    nines_pack_kv_str (pk, "reason", nines_errname (reason));
    nines_pack_kv_str (pk, "detail", detail);
}

static int
h_submit_evidence (req_t *r)
{
    nines_ledger_t *self = r->self;
    const uint8_t *bytes;
    size_t len;
    uint8_t from [NINES_ID_BYTES];
    if (nines_query_blob (r->q, "evidence", &bytes, &len) || nines_query_bin (r->q, "from", from, NINES_ID_BYTES))
        return ledger_fail (r, NINES_EMALFORMED, "expected evidence (bin) and from (bin 32)");
    nines_evidence_t *ev = malloc (sizeof *ev);
    if (!ev)
        return ledger_fail (r, NINES_ENOMEM, "out of memory");
    int rc = nines_evidence_decode (bytes, len, ev);
    if (rc) {
        free (ev);
        return ledger_fail (r, rc, "evidence does not decode");
    }
    uint8_t id [NINES_HASH_BYTES];
    nines_evidence_id (ev, id);
    void *seen = NULL;
    size_t slen;
    if (nines_store_get (self->store, "evidence", id, sizeof id, &seen, &slen) == 0) {
        free (seen);
        free (ev);
        s_pack_ack (r->pk, id, NINES_VERDICT_DUPLICATE, NINES_OK, "already accepted");
        return NINES_OK;
    }
    char detail [320];
    const nines_registry_t *older [HISTORY];
    size_t n_older = 0;
    for (int i = 0; i < HISTORY; i++)
        if (self->older [i] && self->older_until [i] + HISTORY_LAG_MS >= ev->down.t_ms)
            older [n_older++] = self->older [i];
    rc = nines_ledger_verify_evidence_hist (self->reg, older, n_older, ev, r->now, NULL, NULL, detail, sizeof detail);
    if (rc) {
        char hex [NINES_ID_HEX];
        nines_info ("evidence from %.16s... rejected: %s (%s)", nines_hex (hex, from, NINES_ID_BYTES),
                    nines_errname (rc), detail);
        free (ev);
        s_pack_ack (r->pk, id, NINES_VERDICT_REJECTED, rc, detail);
        return NINES_OK;
    }
    /* one raw incident per DOWN report; the UP closes it (earliest wins) */
    uint8_t rid [NINES_HASH_BYTES];
    nines_report_id (&ev->down, rid);
    if ((rc = ledger_begin (self))) {
        free (ev);
        return ledger_fail (r, rc, "storage unavailable");
    }
    bool found = false, changed = true;
    raw_t *raw = ledger_raw (self, ev->pod, ev->down.t_ms, rid, true, &found);
    if (!raw) {
        ledger_abort (self, false);
        free (ev);
        return ledger_fail (r, NINES_ENOMEM, "out of memory");
    }
    if (found)
        changed = ev->has_up && (!raw->has_up || ev->up.t_ms < raw->t_up);
    if (changed && ev->has_up) {
        raw->has_up = true;
        raw->t_up = ev->up.t_ms;
    }
    uint8_t one = 1;
    uint64_t t_down = ev->down.t_ms;
    const nines_pod_info_t *pod = nines_registry_pod (self->reg, ev->pod);
    rc = changed ? ledger_put_raw (self, raw) : NINES_OK;
    if (!rc && changed && !found)
        rc = ledger_reflag (self, t_down, r->now);
    if (!rc && changed)
        rc = ledger_settle (self, pod, r->now, t_down);
    if (!rc) rc = ledger_put (self, "evidence", id, sizeof id, &one, 1);
    free (ev);
    if (rc) {
        ledger_abort (self, true);
        return ledger_fail (r, rc, "cannot store");
    }
    if ((rc = ledger_commit (self)))
        return ledger_fail (r, rc, "cannot store");
    s_pack_ack (r->pk, id, changed ? NINES_VERDICT_ACCEPTED : NINES_VERDICT_DUPLICATE, NINES_OK,
                changed ? (found ? "closes a known incident" : "new incident") : "incident already known");
    return NINES_OK;
}

static int
h_canary_sign (req_t *r)
{
    nines_ledger_t *self = r->self;
    uint8_t body [NINES_CANARY_SIGN_BYTES], sig [NINES_SIG_BYTES];
    if (nines_query_bin (r->q, "canary", body, NINES_HASH_BYTES)
    ||  nines_query_bin (r->q, "validator", body + NINES_HASH_BYTES, NINES_ID_BYTES)
    ||  nines_query_bin (r->q, "sig", sig, NINES_SIG_BYTES))
        return ledger_fail (r, NINES_EMALFORMED, "expected canary (bin 32), validator (bin 32), sig (bin 64)");
    const uint8_t *v = body + NINES_HASH_BYTES;
    if (!nines_registry_validator (self->reg, v))
        return ledger_fail (r, NINES_EUNKNOWN, "unknown validator");
    if (nines_verify (v, NINES_DOMAIN_CANARY_SIGN, body, sizeof body, sig))
        return ledger_fail (r, NINES_EBADSIG, "signature does not verify for " NINES_DOMAIN_CANARY_SIGN);
    if (!self->has_canary || !self->canary_published || memcmp (self->canary_id, body, NINES_HASH_BYTES) != 0)
        return ledger_fail (r, NINES_ENOTFOUND, "not the open canary");
    if (r->now > self->canary_deadline)
        return ledger_fail (r, NINES_ESTALE, "answered after the deadline");
    uint8_t key [8 + NINES_ID_BYTES];
    nines_be64 (key, self->canary_period);
    memcpy (key + 8, v, NINES_ID_BYTES);
    int rc = ledger_begin (self);
    if (!rc) {
        rc = ledger_put_u64s (self, "canary_sigs", key, sizeof key, &r->now, 1);
        if (rc)
            ledger_abort (self, false);
        else
            rc = ledger_commit (self);
    }
    if (rc)
        return ledger_fail (r, rc, "cannot store");
    msgpack_pack_map (r->pk, 2);
    nines_pack_kv_bool (r->pk, "ok", true);
    nines_pack_kv_u64 (r->pk, "period", self->canary_period);
    return NINES_OK;
}

typedef int (handler_fn) (req_t *r);
static const struct {
    const char *op;
    handler_fn *fn;
} s_ops [] = {
    { NINES_LEDGER_OP_REGISTRY, ledger_h_registry },
    { NINES_LEDGER_OP_REG_VALIDATOR, h_register_validator },
    { NINES_LEDGER_OP_REG_POD, h_register_pod },
    { NINES_LEDGER_OP_MAINTENANCE, h_maintenance },
    { NINES_LEDGER_OP_PAID_UNTIL, h_paid_until },
    { NINES_LEDGER_OP_SUBMIT_EVIDENCE, h_submit_evidence },
    { NINES_LEDGER_OP_CANARY, ledger_h_canary },
    { NINES_LEDGER_OP_CANARY_SIGN, h_canary_sign },
    { NINES_LEDGER_OP_VALIDATORS, ledger_h_validators },
    { NINES_LEDGER_OP_PODS, ledger_h_pods },
    { NINES_LEDGER_OP_INCIDENTS, ledger_h_incidents },
    { NINES_LEDGER_OP_SLASHES, ledger_h_slashes },
    { NINES_LEDGER_OP_NINES, ledger_h_nines },
    { NINES_LEDGER_OP_REWARDS, ledger_h_rewards },
};

int
nines_ledger_handle (nines_ledger_t *self, const uint8_t *req, size_t len, uint64_t now,
                     uint8_t **reply, size_t *reply_len)
{
    *reply = NULL;
    *reply_len = 0;
    char err [384] = "";
    nines_query_t *q = NULL;
    int rc = nines_query_parse_max (req, len, NINES_LEDGER_REQ_MAX, &q);
    if (rc)
        return nines_reply_bad_query (rc, reply, reply_len);
    char op [64];
    snprintf (op, sizeof op, "%s", nines_query_op (q));
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    char detail [320] = "";
    req_t r = { self, q, now, &pk, detail, sizeof detail };
    handler_fn *fn = NULL;
    for (size_t i = 0; i < sizeof s_ops / sizeof s_ops [0] && !fn; i++)
        if (strcmp (s_ops [i].op, op) == 0)
            fn = s_ops [i].fn;
    rc = fn ? fn (&r) : NINES_OK;
    nines_query_destroy (&q);
    if (!fn || rc) {
        msgpack_sbuffer_destroy (&sb);
        snprintf (err, sizeof err, "%s: %s", nines_errname (rc), detail);
        rc = fn ? nines_reply_error (err, reply, reply_len) : nines_reply_unknown_op (op, reply, reply_len);
    }
    else
    if (sb.data) {
        *reply = (uint8_t *) sb.data;
        *reply_len = sb.size;
    }
    else
        rc = NINES_ENOMEM;
    /*  A reply says which op it answers; an unknown op is answered by
        nothing (its reply is the reply.error vector of both servers). */
    if (!rc && fn && nines_reply_set_op (op, reply, reply_len))
        nines_warn ("the reply to %s goes without its op (out of memory)", op);
    return rc;
}
