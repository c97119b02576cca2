/*  The ledger's read-only queries (proto/LEDGER.md): registry,
    validators, pods, incidents, slashes, nines, rewards, canary. */
#include "ledger/ledger_private.h"
#include "proto/slash.h"
#include <stdlib.h>
#include <string.h>

/*  ---- queries ---- */

int
ledger_h_registry (req_t *r)
{
    nines_ledger_t *self = r->self;
    msgpack_packer *pk = r->pk;
    uint8_t *buf = malloc (NINES_LEDGER_BODY_MAX * 2);
    if (!buf)
        return ledger_fail (r, NINES_ENOMEM, "out of memory");
    size_t n = 0;
    msgpack_pack_map (pk, 6);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_u64 (pk, "version", self->reg->version);
    nines_pack_kv_bin (pk, "ledger", self->key.pk, NINES_ID_BYTES);
    if (nines_params_encode (&self->reg->params, buf, NINES_LEDGER_BODY_MAX * 2, &n))
        n = 0;
    nines_pack_kv_bin (pk, "params", buf, n);
    nines_pack_str (pk, "validators");
    msgpack_pack_array (pk, (uint32_t) self->reg->n_validators);
    for (size_t i = 0; i < self->reg->n_validators; i++) {
        if (nines_validator_info_encode (&self->reg->validators [i], buf, NINES_LEDGER_BODY_MAX * 2, &n))
            n = 0;
        msgpack_pack_bin (pk, n);
        msgpack_pack_bin_body (pk, buf, n);
    }
    nines_pack_str (pk, "pods");
    msgpack_pack_array (pk, (uint32_t) self->reg->n_pods);
    for (size_t i = 0; i < self->reg->n_pods; i++) {
        if (nines_pod_info_encode (nines_registry_pod_at (self->reg, i), buf, NINES_LEDGER_BODY_MAX * 2, &n))
            n = 0;
        msgpack_pack_bin (pk, n);
        msgpack_pack_bin_body (pk, buf, n);
    }
    free (buf);
    return NINES_OK;
}

int
ledger_h_validators (req_t *r)
{
    nines_ledger_t *self = r->self;
    nines_pack_rows_head (r->pk, (uint32_t) self->reg->n_validators);
    for (size_t i = 0; i < self->reg->n_validators; i++) {
        const nines_validator_info_t *v = &self->reg->validators [i];
        uint64_t reward = 0, periods = 0;
        void *val = NULL;
        size_t vlen;
        if (nines_store_get (self->store, "rewards", v->id, NINES_ID_BYTES, &val, &vlen) == 0 && vlen == 24) {
            reward = nines_get_le64 (val);
            periods = nines_get_le64 ((uint8_t *) val + 8);
        }
        free (val);
        msgpack_pack_map (r->pk, 7);
        nines_pack_kv_bin (r->pk, "id", v->id, NINES_ID_BYTES);
        nines_pack_kv_u64 (r->pk, "stake", v->stake);
        nines_pack_kv_u64 (r->pk, "weight", nines_validator_weight (v));
        nines_pack_kv_bool (r->pk, "eligible", v->stake >= self->reg->params.min_validator_stake);
        nines_pack_kv_str (r->pk, "endpoint", v->endpoint);
        nines_pack_kv_u64 (r->pk, "reward", reward);
        nines_pack_kv_u64 (r->pk, "periods", periods);
    }
    return NINES_OK;
}

int
ledger_h_pods (req_t *r)
{
    nines_ledger_t *self = r->self;
    nines_pack_rows_head (r->pk, (uint32_t) self->reg->n_pods);
    for (size_t i = 0; i < self->reg->n_pods; i++) {
        const nines_pod_info_t *p = nines_registry_pod_at (self->reg, i);
        const acct_t *a = ledger_acct (self, p->pod, false);
        msgpack_pack_map (r->pk, 9);
        nines_pack_kv_bin (r->pk, "pod", p->pod, NINES_ID_BYTES);
        nines_pack_kv_bin (r->pk, "provider", p->provider, NINES_ID_BYTES);
        nines_pack_kv_u64 (r->pk, "stake", p->stake);
        nines_pack_kv_u64 (r->pk, "slashed", a ? a->slashed : 0);
        nines_pack_kv_u64 (r->pk, "fees", a ? a->fees : 0);
        nines_pack_kv_u64 (r->pk, "remaining", ledger_remaining (p, a));
        nines_pack_kv_u64 (r->pk, "paid_until", p->paid_until_ms);
        nines_pack_kv_u64 (r->pk, "maintenance", p->n_maint);
        nines_pack_kv_str (r->pk, "facade_url", p->facade_url);
    }
    return NINES_OK;
}

/*  Optional "pod" filter: NULL for all, or the pod (error if unknown). */
static int
s_pod_filter (req_t *r, const nines_pod_info_t **only)
{
    uint8_t pod [NINES_ID_BYTES];
    *only = NULL;
    int rc = nines_query_bin (r->q, "pod", pod, NINES_ID_BYTES);
    if (rc == NINES_ENOTFOUND)
        return NINES_OK;
    if (rc)
        return ledger_fail (r, rc, "pod must be bin 32");
    if (!(*only = nines_registry_pod (r->self->reg, pod)))
        return ledger_fail (r, NINES_EUNKNOWN, "unknown pod");
    return NINES_OK;
}

int
ledger_h_incidents (req_t *r)
{
    nines_ledger_t *self = r->self;
    const nines_pod_info_t *only;
    int rc = s_pod_filter (r, &only);
    if (rc)
        return rc;
    /* count first (merged incidents plus correlated raw ones), then pack */
    uint32_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        if (pass)
            nines_pack_rows_head (r->pk, total);
        for (size_t i = 0; i < self->reg->n_pods; i++) {
            const nines_pod_info_t *p = nines_registry_pod_at (self->reg, i);
            if (only && only != p)
                continue;
            size_t n = ledger_groups (self, p);
            for (size_t g = 0; g < n; g++) {
                if (pass)
                    ledger_pack_incident (r->pk, p->pod, &self->groups [g], self->groups [g].paid, false);
                else
                    total++;
            }
            size_t lo, hi;
            ledger_pod_range (self, p->pod, &lo, &hi);
            for (size_t k = lo; k < hi; k++) {
                const raw_t *raw = &self->raws [k];
                if (!raw->correlated)
                    continue;
                if (!pass) {
                    total++;
                    continue;
                }
                group_t g = { .t_down = raw->t_down, .t_end = raw->has_up ? raw->t_up : 0, .pieces = 1,
                              .open = !raw->has_up,
                              .duration = raw->has_up && raw->t_up > raw->t_down ? raw->t_up - raw->t_down : 0 };
                ledger_pack_incident (r->pk, p->pod, &g, 0, true);
            }
        }
    }
    return NINES_OK;
}

typedef struct {
    req_t *r;                           /* request */
    const nines_pod_info_t *only;       /* filter */
    bool pack;                          /* second pass */
    uint32_t n;                         /* rows */
} slash_iter_t;

static int
s_slash_row (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    slash_iter_t *it = arg;
    const uint8_t *v = val;
    if (klen != 8 || vlen != 96 || (it->only && memcmp (v, it->only->pod, NINES_ID_BYTES) != 0))
        return 0;
    it->n++;
    if (!it->pack)
        return 0;
    msgpack_packer *pk = it->r->pk;
    uint64_t seq = nines_get_be64 (key);
    msgpack_pack_map (pk, 6);
    nines_pack_kv_u64 (pk, "seq", seq);
    nines_pack_kv_bin (pk, "pod", v, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_ms", nines_get_le64 (v + 64));
    nines_pack_kv_u64 (pk, "duration_ms", nines_get_le64 (v + 72));
    nines_pack_kv_u64 (pk, "amount", nines_get_le64 (v + 80));
    nines_pack_kv_u64 (pk, "incident_total", nines_get_le64 (v + 88));
    return 0;
}

int
ledger_h_slashes (req_t *r)
{
    slash_iter_t it = { r, NULL, false, 0 };
    int rc = s_pod_filter (r, &it.only);
    if (rc)
        return rc;
    nines_store_iter_prefix (r->self->store, "slashes", NULL, 0, s_slash_row, &it);
    nines_pack_rows_head (r->pk, it.n);
    it.pack = true;
    it.n = 0;
    nines_store_iter_prefix (r->self->store, "slashes", NULL, 0, s_slash_row, &it);
    return NINES_OK;
}

typedef struct {
    const nines_pod_info_t *pod;        /* pod */
    uint64_t from, to;                  /* window */
    uint64_t down;                      /* downtime inside it */
} window_ctx_t;

static void
s_window_piece (void *arg, size_t raw, uint64_t a, uint64_t b, bool open)
{
    window_ctx_t *w = arg;
    if (a < w->from)
        a = w->from;
    if (b > w->to)
        b = w->to;
    if (b > a)
        w->down += ledger_effective (w->pod, a, b);
}

/*  Downtime of a pod inside [now - window, now). */
static uint64_t
s_window_down (nines_ledger_t *self, const nines_pod_info_t *pod, uint64_t now)
{
    uint64_t window = self->reg->params.window_ms;
    window_ctx_t w = { pod, now > window ? now - window : 0, now, 0 };
    ledger_pieces (self, pod->pod, s_window_piece, &w);
    return w.down;
}

int
ledger_h_nines (req_t *r)
{
    nines_ledger_t *self = r->self;
    const nines_params_t *p = &self->reg->params;
    const nines_pod_info_t *only;
    int rc = s_pod_filter (r, &only);
    if (rc)
        return rc;
    uint64_t target = 3 * NINES_PPM;
    if (nines_query_u64 (r->q, "target", &target) == NINES_EMALFORMED)
        return ledger_fail (r, NINES_EMALFORMED, "target must be micro-nines (uint)");
    nines_pack_rows_head (r->pk, only ? 1 : (uint32_t) self->reg->n_pods);
    for (size_t i = 0; i < self->reg->n_pods; i++) {
        const nines_pod_info_t *pod = nines_registry_pod_at (self->reg, i);
        if (only && only != pod)
            continue;
        uint64_t down = s_window_down (self, pod, r->now), excess = 0;
        uint64_t refund = nines_refund (p, pod->stake, down, p->window_ms, target, &excess);
        msgpack_pack_map (r->pk, 8);
        nines_pack_kv_bin (r->pk, "pod", pod->pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (r->pk, "window_ms", p->window_ms);
        nines_pack_kv_u64 (r->pk, "downtime_ms", down);
        nines_pack_kv_u64 (r->pk, "availability_ppm", nines_availability_ppm (down, p->window_ms));
        nines_pack_kv_u64 (r->pk, "nines_micro", nines_nines_micro (down, p->window_ms));
        nines_pack_kv_u64 (r->pk, "target_micro", target);
        nines_pack_kv_u64 (r->pk, "excess_ms", excess);
        nines_pack_kv_u64 (r->pk, "refund", refund);
    }
    return NINES_OK;
}

typedef struct {
    req_t *r;
    bool pack;
    uint32_t n;
} reward_iter_t;

static int
s_reward_row (const void *key, size_t klen, const void *val, size_t vlen, void *arg)
{
    reward_iter_t *it = arg;
    if (klen != NINES_ID_BYTES || vlen != 24)
        return 0;
    it->n++;
    if (it->pack) {
        msgpack_pack_map (it->r->pk, 4);
        nines_pack_kv_bin (it->r->pk, "validator", key, NINES_ID_BYTES);
        nines_pack_kv_u64 (it->r->pk, "reward", nines_get_le64 (val));
        nines_pack_kv_u64 (it->r->pk, "periods", nines_get_le64 ((const uint8_t *) val + 8));
        nines_pack_kv_u64 (it->r->pk, "last_period", nines_get_le64 ((const uint8_t *) val + 16));
    }
    return 0;
}

int
ledger_h_rewards (req_t *r)
{
    reward_iter_t it = { r, false, 0 };
    nines_store_iter_prefix (r->self->store, "rewards", NULL, 0, s_reward_row, &it);
    nines_pack_rows_head (r->pk, it.n);
    it.pack = true;
    it.n = 0;
    nines_store_iter_prefix (r->self->store, "rewards", NULL, 0, s_reward_row, &it);
    return NINES_OK;
}

int
ledger_h_canary (req_t *r)
{
    nines_ledger_t *self = r->self;
    if (!self->has_canary || !self->canary_published || r->now > self->canary_deadline) {
        msgpack_pack_map (r->pk, 2);
        nines_pack_kv_bool (r->pk, "ok", true);
        nines_pack_kv_bool (r->pk, "none", true);
        return NINES_OK;
    }
    ledger_pack_canary (self, r->pk, true);
    return NINES_OK;
}
