/*  Canary, monitoring fees and validator rewards, and the ledger's clock
    (nines_ledger_tick, nines_ledger_next_wakeup).  See ledger.h. */
#include "ledger/ledger_private.h"
#include "proto/slash.h"
#include "base/log.h"
#include <stdlib.h>
#include <string.h>

/*  ---- canary and fees ---- */

static int
s_put_canary (nines_ledger_t *self)
{
    uint8_t key [8], val [24 + NINES_HASH_BYTES];
    nines_be64 (key, self->canary_period);
    nines_le64 (val, self->canary_t);
    nines_le64 (val + 8, self->canary_deadline);
    nines_le64 (val + 16, self->canary_published);
    memcpy (val + 24, self->canary_id, NINES_HASH_BYTES);
    return ledger_put (self, "canary", key, 8, val, sizeof val);
}

void
ledger_pack_canary (nines_ledger_t *self, msgpack_packer *pk, bool with_ok)
{
    uint8_t body [NINES_CANARY_BODY_BYTES], sig [NINES_SIG_BYTES];
    nines_ledger_canary_body (body, self->canary_id, self->canary_period, self->canary_deadline);
    if (nines_sign (&self->key, NINES_DOMAIN_CANARY, body, sizeof body, sig))
        memset (sig, 0, sizeof sig);
    msgpack_pack_map (pk, with_ok ? 5 : 4);
    if (with_ok)
        nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_bin (pk, "id", self->canary_id, NINES_HASH_BYTES);
    nines_pack_kv_u64 (pk, "period", self->canary_period);
    nines_pack_kv_u64 (pk, "deadline_ms", self->canary_deadline);
    nines_pack_kv_bin (pk, "sig", sig, NINES_SIG_BYTES);
}

typedef struct {
    nines_ledger_t *self;               /* ledger */
    const nines_validator_info_t **who; /* answering validators above the minimum stake */
    size_t n, cap;
} answered_t;

static int
s_collect_sig (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    answered_t *a = arg;
    if (klen != 8 + NINES_ID_BYTES)
        return 0;
    const nines_validator_info_t *v = nines_registry_validator (a->self->reg, (const uint8_t *) key + 8);
    if (v && v->stake >= a->self->reg->params.min_validator_stake
    &&  ledger_grow ((void **) &a->who, &a->cap, a->n + 1, sizeof *a->who))
        a->who [a->n++] = v;
    return 0;
}

/*  Fee period p: each pod pays fee_ppm of its stake (within what is left),
    the pool is split among validators that countersigned p's canary in
    proportion to stake (Everlife: payout = own / total of those up);
    rounding dust stays with the ledger.  Nothing is taken when nobody
    answered.  Reads the canary_sigs through the write transaction. */
static int
s_settle_fees (nines_ledger_t *self, uint64_t p)
{
    answered_t *a = calloc (1, sizeof *a);
    if (!a)
        return NINES_ENOMEM;
    a->self = self;
    /* the write txn is the only writer; a read txn on the same env is
       allowed with MDB_NOTLS and sees the last commit, which holds every
       signature of period p (they were committed when received) */
    uint8_t prefix [8];
    nines_be64 (prefix, p);
    nines_store_iter_prefix (self->store, "canary_sigs", prefix, 8, s_collect_sig, a);
    int rc = NINES_OK;
    u128 total_stake = 0;
    for (size_t i = 0; i < a->n; i++)
        total_stake += a->who [i]->stake;
    if (a->n && total_stake) {
        uint64_t pool = 0;
        for (size_t i = 0; !rc && i < self->reg->n_pods; i++) {
            const nines_pod_info_t *pod = nines_registry_pod_at (self->reg, i);
            acct_t *acct = ledger_acct (self, pod->pod, true);
            if (!acct) {
                rc = NINES_ENOMEM;
                break;
            }
            uint64_t fee = (uint64_t) (((u128) pod->stake * self->reg->params.fee_ppm) / NINES_PPM);
            uint64_t left = ledger_remaining (pod, acct);
            if (fee > left)
                fee = left;
            if (!fee)
                continue;
            acct->fees += fee;
            pool += fee;
            uint64_t v [2] = { acct->slashed, acct->fees };
            rc = ledger_put_u64s (self, "acct", pod->pod, NINES_ID_BYTES, v, 2);
        }
        for (size_t i = 0; !rc && i < a->n; i++) {
            uint64_t share = (uint64_t) (((u128) pool * a->who [i]->stake) / total_stake);
            uint64_t cur [3] = { 0, 0, 0 };   /* total, periods, last period */
            const void *val;
            size_t vlen;
            if (nines_txn_get (self->txn, "rewards", a->who [i]->id, NINES_ID_BYTES, &val, &vlen) == 0 && vlen == 24) {
                cur [0] = nines_get_le64 (val);
                cur [1] = nines_get_le64 ((const uint8_t *) val + 8);
            }
            cur [0] += share;
            cur [1] += 1;
            cur [2] = p;
            rc = ledger_put_u64s (self, "rewards", a->who [i]->id, NINES_ID_BYTES, cur, 3);
        }
    }
    free (a->who);
    free (a);
    return rc;
}

void
nines_ledger_tick (nines_ledger_t *self, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    if (now < p->genesis_ms || p->fee_period_ms == 0 || ledger_begin (self))
        return;
    int rc = NINES_OK;
    bool dirty = false;
    uint64_t period = (now - p->genesis_ms) / p->fee_period_ms;
    uint64_t start = p->genesis_ms + period * p->fee_period_ms;
    if (!self->has_canary || self->canary_period < period) {
        /* uniform over what is left of the period (all of it unless the
           ledger starts or restarts mid-period), leaving time to answer */
        uint64_t base = now > start ? now : start;
        uint64_t last = start + p->fee_period_ms;
        last = last > base + p->canary_window_ms ? last - p->canary_window_ms : base + 1;
        uint64_t span = last > base ? last - base : 1;
        uint64_t off;
        nines_random (&off, sizeof off);
        uint8_t nonce [32];
        nines_random (nonce, sizeof nonce);
        uint8_t le [8];
        nines_le64 (le, period);
        static const char domain [] = "nines/canary-id/v1";
        nines_hash (self->canary_id, 3, (const uint8_t *) domain, sizeof domain - 1, le, (size_t) 8,
                    nonce, sizeof nonce);
        self->has_canary = true;
        self->canary_period = period;
        self->canary_t = base + off % span;
        self->canary_deadline = self->canary_t + p->canary_window_ms;
        self->canary_published = false;
        rc = s_put_canary (self);
        dirty = true;
    }
    if (!rc && !self->canary_published && now >= self->canary_t) {
        self->canary_published = true;
        rc = s_put_canary (self);
        dirty = true;
        msgpack_sbuffer sb;
        msgpack_packer pk;
        nines_packer_init (&sb, &pk);
        ledger_pack_canary (self, &pk, false);
        ledger_event (self, NINES_LEDGER_TOPIC_CANARY, &sb);
    }
    if (!rc && self->settled == 0) {
        self->settled = period + 1;     /* stored as period + 1: 0 means not started */
        rc = ledger_meta_put (self, "settled", self->settled);
        dirty = true;
    }
    while (!rc && self->settled - 1 < period) {
        rc = s_settle_fees (self, self->settled - 1);
        self->settled++;
        if (!rc) rc = ledger_meta_put (self, "settled", self->settled);
        dirty = true;
    }
    if (!rc && now >= self->last_topup + TOPUP_MS) {
        self->last_topup = now;
        for (size_t i = 0; !rc && i < self->reg->n_pods; i++) {
            size_t lo, hi;
            ledger_pod_range (self, self->reg->pods [i].pod, &lo, &hi);
            if (lo < hi) {
                uint64_t before = self->slash_seq;
                rc = ledger_settle (self, nines_registry_pod_at (self->reg, i), now, NO_ANNOUNCE);
                dirty = dirty || self->slash_seq != before;
            }
        }
    }
    if (rc)
        ledger_abort (self, true);
    else
    if (dirty)
        ledger_commit (self);
    else
        ledger_abort (self, false);
}

uint64_t
nines_ledger_next_wakeup (nines_ledger_t *self, uint64_t now)
{
    uint64_t t = now + WAKEUP_MAX_MS;
    if (self->has_canary && !self->canary_published && self->canary_t < t)
        t = self->canary_t > now ? self->canary_t : now;
    return t;
}
