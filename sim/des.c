/*  nines-sim des: see des.h.  The driver around N real engines: an event
    queue (des_queue, a timing wheel), simulated links, a pod ground truth,
    a stand-in ledger, and the measurements. */
#include "des_private.h"
#include "base/grow.h"
#include <czmq.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EV_TICK = 1, EV_MSG, EV_PROBE, EV_FAULT_ON, EV_FAULT_OFF, EV_METER };

/*  ---- deterministic randomness for the driver (splitmix64) ---- */


static uint64_t
s_rng_u64 (des_rng_t *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/*  Uniform in [0, bound); bound 0 gives 0. */
static uint64_t
s_rng_below (des_rng_t *r, uint64_t bound)
{
    return bound ? (uint64_t) (((unsigned __int128) s_rng_u64 (r) * bound) >> 64) : 0;
}

/*  True with probability ppm / 10^6. */
static bool
s_rng_ppm (des_rng_t *r, uint32_t ppm)
{
    return ppm && s_rng_below (r, 1000000) < ppm;
}

/*  ---- Gilbert-Elliott link state, one chain per validator ---- */


/*  Exponential sojourn with the given mean, ms (at least 1). */
static uint64_t
s_rng_exp (des_rng_t *r, uint64_t mean)
{
    double u = (double) ((s_rng_u64 (r) >> 11) + 1) / 9007199254740992.0;  /* (0, 1] */
    double x = -(double) mean * log (u);
    return x < 1 ? 1 : (uint64_t) x;
}

/*  ---- the simulation ---- */

/*  True when validator v's link is in the bad state at time t >= now. */
static bool
s_ge_bad (des_t *d, size_t v, uint64_t t)
{
    ge_t *g = &d->ge [v];
    while (g->n && g->toggles [0] <= d->now) {
        g->bad0 ^= 1;
        g->t0 = g->toggles [0];
        memmove (g->toggles, g->toggles + 1, (size_t) --g->n * sizeof g->toggles [0]);
    }
    while (g->n < GE_MAX && (g->n ? g->toggles [g->n - 1] : g->t0) <= t) {
        bool bad = g->bad0 ^ (g->n & 1);
        uint64_t last = g->n ? g->toggles [g->n - 1] : g->t0;
        g->toggles [g->n] = last + s_rng_exp (&g->rng, bad ? d->cfg->burst_bad_ms : d->cfg->burst_good_ms);
        g->n++;
    }
    uint8_t flips = 0;
    for (uint8_t i = 0; i < g->n && g->toggles [i] <= t; i++)
        flips++;
    return g->bad0 ^ (flips & 1);
}

/*  Loss of a peer message from v to w sent now: independent loss, the
    bad state of either end's link, one-direction loss of a lossy end. */
static bool
s_msg_lost (des_t *d, size_t v, size_t w)
{
    const nines_des_config_t *cfg = d->cfg;
    if (s_rng_ppm (&d->rng, cfg->loss_ppm))
        return true;
    if (d->ge && ((s_ge_bad (d, v, d->now) && s_rng_ppm (&d->rng, cfg->burst_loss_ppm))
              ||  (s_ge_bad (d, w, d->now) && s_rng_ppm (&d->rng, cfg->burst_loss_ppm))))
        return true;
    bool out = cfg->lossy_direction != NINES_DES_LOSS_IN, in = cfg->lossy_direction != NINES_DES_LOSS_OUT;
    return (v < cfg->lossy_validators && out && s_rng_ppm (&d->rng, cfg->lossy_loss_ppm))
        || (w < cfg->lossy_validators && in && s_rng_ppm (&d->rng, cfg->lossy_loss_ppm));
}

/*  Loss of validator v's heartbeat sent at t: a round trip, so loss in
    either direction of v's link loses it. */
static bool
s_probe_lost (des_t *d, size_t v, uint64_t t)
{
    const nines_des_config_t *cfg = d->cfg;
    return s_rng_ppm (&d->rng, cfg->probe_loss_ppm)
        || (d->ge && s_ge_bad (d, v, t) && s_rng_ppm (&d->rng, cfg->burst_loss_ppm))
        || (v < cfg->lossy_validators && s_rng_ppm (&d->rng, cfg->lossy_loss_ppm));
}

/*  Grow an id-keyed table: the map is rebuilt over the moved keys. */
static int
s_table_grow (void **base, size_t *cap, size_t size, nines_idmap_t *map, size_t n)
{
    size_t ncap = *cap ? 2 * *cap : 256;
    void *grown = realloc (*base, ncap * size);
    if (!grown)
        return NINES_ENOMEM;
    *base = grown;
    *cap = ncap;
    nines_idmap_destroy (map);
    if (nines_idmap_init (map, ncap, 1024, grown, size))
        return NINES_ENOMEM;
    for (size_t i = 0; i < n; i++)
        nines_idmap_put (map, (uint32_t) i);
    return 0;
}

static void
s_push (des_t *d, uint64_t at, uint32_t kind, uint32_t to, uint64_t arg, void *data, uint32_t len, uint32_t from)
{
    des_event_t ev = { at, 0, kind, to, arg, data, len, from };
    if (des_queue_push (&d->q, ev))
        free (data);        /* out of memory: the event is lost like a dropped packet */
}

/*  Heartbeat outcome of pod p at time t from the ground truth. */
static int
s_truth (des_t *d, uint32_t p, uint64_t t)
{
    for (uint32_t i = d->pod_first [p]; i < d->pod_first [p + 1]; i++)
        if (t >= d->outages [i].start && t < d->outages [i].end)
            return d->outages [i].outcome;
    return NINES_OUTCOME_OK;
}

/*  The outage of p that a DOWN report at time t belongs to, or -1: it must
    have started, and ended no longer ago than a round can take. */
static long
s_outage_at (des_t *d, uint32_t p, uint64_t t)
{
    const nines_params_t *pr = &d->cfg->params;
    uint64_t slack = pr->round_timeout_ms + pr->probe_timeout_ms + pr->retry_delay_ms;
    for (uint32_t i = d->pod_first [p]; i < d->pod_first [p + 1]; i++)
        if (t >= d->outages [i].start && t < d->outages [i].end + slack)
            return (long) i;
    return -1;
}

/*  Members of the pod's committee for epoch that are not cut off: the
    validators a report must reach under NINES_SCOPE_COMMITTEE. */
static uint32_t
s_committee_reachable (des_t *d, const uint8_t pod [NINES_ID_BYTES], uint64_t epoch)
{
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (d->reg, pod, epoch, nines_registry_committee_size (d->reg),
                                         members, NULL);
    uint32_t reachable = 0;
    for (size_t i = 0; i < n; i++) {
        long v = nines_idmap_get (&d->vmap, members [i]->id);
        reachable += v >= 0 && !d->isolated [v] && d->group [v] == 0;
    }
    return reachable;
}

static void
s_on_report (des_t *d, size_t v, const nines_action_t *a)
{
    long at = nines_idmap_get (&d->rmap, a->key);
    seen_report_t *sr;
    if (at < 0) {
        if (d->n_reports + 1 > d->cap_reports / 2
        &&  s_table_grow ((void **) &d->reports, &d->cap_reports, sizeof *d->reports, &d->rmap, d->n_reports))
            return;
        sr = &d->reports [d->n_reports];
        memset (sr, 0, sizeof *sr);
        memcpy (sr->id, a->key, NINES_HASH_BYTES);
        sr->first = d->now;
        sr->target = (uint32_t) (d->n - d->n_isolated);
        nines_idmap_put (&d->rmap, (uint32_t) d->n_reports++);
        /* First sight anywhere: the network formed a new report. */
        long p = nines_idmap_get (&d->pmap, a->pod);
        sr->pod = (int32_t) p;
        sr->epoch = a->epoch;
        if (d->res->report_scope == NINES_SCOPE_COMMITTEE)
            sr->target = s_committee_reachable (d, a->pod, sr->epoch);
        if (p >= 0 && a->kind == NINES_REPORT_DOWN && d->pod_incident [p] < 0
        &&  a->t_ms < d->pod_up_t [p])
            /* A late DOWN whose observation precedes the UP that closed
               the pod's last incident (a round begun before the
               recovery): the ledger's chain rule (accounting.c,
               s_chains) continues that incident and charges nothing
               more, so it opens none here either. */
            d->n_continued++;
        else
        if (p >= 0 && a->kind == NINES_REPORT_DOWN && d->pod_incident [p] < 0) {
            incident_t *grown = nines_grow (d->incidents, &d->cap_incidents, d->n_incidents,
                                            sizeof *grown, 64);
            if (!grown)
                return;
            d->incidents = grown;
            incident_t *inc = &d->incidents [d->n_incidents];
            memset (inc, 0, sizeof *inc);
            inc->pod = (uint32_t) p;
            inc->detected = d->now;
            long o = s_outage_at (d, (uint32_t) p, d->now);
            inc->outage = (int32_t) o;
            if (o >= 0 && d->outages [o].incident < 0)
                d->outages [o].incident = (int32_t) d->n_incidents;
            d->pod_incident [p] = (int32_t) d->n_incidents++;
        }
        else
        if (p >= 0 && a->kind == NINES_REPORT_UP && d->pod_incident [p] >= 0) {
            incident_t *inc = &d->incidents [d->pod_incident [p]];
            inc->closed = d->now;
            d->pod_up_t [p] = a->t_ms;
            if (inc->outage >= 0 && d->now >= d->outages [inc->outage].end)
                d->outages [inc->outage].recovered = true;
            d->pod_incident [p] = -1;
        }
    }
    else
        sr = &d->reports [at];
    if (d->res->report_scope == NINES_SCOPE_COMMITTEE
    &&  (sr->pod < 0 || !nines_registry_in_committee (d->reg, d->pod_ids [sr->pod], sr->epoch, d->keys [v].pk)))
        return;                     /* outside the scope: pulled or handed on, not counted */
    if (++sr->count <= sr->target)
        sr->last = d->now;          /* reach: the last of the scope reachable at formation */
}

static void
s_on_submit (des_t *d, const nines_action_t *a)
{
    d->res->submissions++;
    if (nines_idmap_get (&d->emap, a->key) >= 0)
        return;
    if (d->n_evidence + 1 > d->cap_evidence / 2
    &&  s_table_grow ((void **) &d->evidence, &d->cap_evidence, sizeof *d->evidence, &d->emap, d->n_evidence))
        return;
    memcpy (d->evidence [d->n_evidence].id, a->key, NINES_HASH_BYTES);
    nines_idmap_put (&d->emap, (uint32_t) d->n_evidence++);
}

/*  The ledger's check of a misbehaviour proof: two validly signed votes by
    one validator in one round with different verdicts. */
static void
s_on_misbehaviour (des_t *d, const nines_action_t *a)
{
    if (nines_peer_msg_decode (a->data, a->len, d->msg) || d->msg->type != NINES_MSG_MISBEHAVIOUR)
        return;
    const nines_misbehaviour_t *mb = &d->msg->u.misbehaviour;
    if (nines_misbehaviour_verify (mb, NULL, NULL))
        return;
    d->res->misbehaviour_reports++;
    long who = nines_idmap_get (&d->vmap, mb->a.body.validator);
    if (who < 0 || d->proven [who])
        return;
    d->proven [who] = 1;
    if (d->behaviour [who] == NINES_BEHAVE_EQUIVOCATE)
        d->res->equivocators_proven++;
    else
        d->res->false_accusations++;
}

static bool
s_link_up (des_t *d, size_t from, size_t to)
{
    return !d->isolated [from] && !d->isolated [to] && d->group [from] == d->group [to];
}

/*  Turn engine v's actions into events and measurements. */
static void
s_drain (des_t *d, size_t v)
{
    const nines_des_config_t *cfg = d->cfg;
    nines_action_t a;
    while (nines_engine_next_action (d->engines [v], &a)) {
        switch (a.type) {
            case NINES_ACT_SEND: {
                long to = nines_idmap_get (&d->vmap, a.peer);
                if (to >= 0 && s_link_up (d, v, (size_t) to) && !s_msg_lost (d, v, (size_t) to)) {
                    uint64_t delay = cfg->latency_ms + s_rng_below (&d->rng, cfg->jitter_ms + 1);
                    s_push (d, d->now + (delay ? delay : 1), EV_MSG, (uint32_t) to, 0, a.data,
                            (uint32_t) a.len, (uint32_t) v);
                    a.data = NULL;
                }
                break;
            }
            case NINES_ACT_PROBE: {
                long p = nines_idmap_get (&d->fmap, a.pod);     /* the engine probes registered pods */
                /* A heartbeat handed over ahead of its instant goes out at
                   a.at; isolation then is the engine's to apply when the
                   answer comes back. */
                uint64_t sent = a.at > d->now ? a.at : d->now;
                uint64_t rtt = 2 * cfg->latency_ms + s_rng_below (&d->rng, 2 * cfg->jitter_ms + 1) + cfg->app_ms;
                int outcome = p >= 0 ? s_truth (d, (uint32_t) p, sent + rtt / 2) : NINES_OUTCOME_OK;
                if ((sent == d->now && d->isolated [v]) || s_probe_lost (d, v, sent))
                    outcome = NINES_OUTCOME_TIMEOUT;
                uint64_t after = outcome != NINES_OUTCOME_TIMEOUT ? rtt
                               : a.timeout_ms ? a.timeout_ms : cfg->params.probe_timeout_ms;
                s_push (d, sent + (after ? after : 1), EV_PROBE, (uint32_t) v, a.probe_id, NULL,
                        (uint32_t) outcome, 0);
                break;
            }
            case NINES_ACT_REPORT:
                s_on_report (d, v, &a);
                break;
            case NINES_ACT_SUBMIT:
                s_on_submit (d, &a);
                nines_engine_on_ack (d->engines [v], a.key);
                break;
            case NINES_ACT_MISBEHAVIOUR:
                s_on_misbehaviour (d, &a);
                break;
        }
        nines_action_clear (&a);
    }
    /* Re-arm the engine's wakeup when it moved earlier (stale ticks are
       skipped when they come up). */
    uint64_t w = nines_engine_next_wakeup (d->engines [v]);
    if (w == UINT64_MAX)
        return;
    if (w <= d->now)
        w = d->now + 1;
    if (!d->tick_at [v] || w < d->tick_at [v]) {
        d->tick_at [v] = w;
        s_push (d, w, EV_TICK, (uint32_t) v, w, NULL, 0, 0);
    }
}

/*  ---- setup ---- */

static void
s_derive (uint8_t out [32], uint64_t seed, uint8_t what, uint64_t index)
{
    uint8_t le_seed [8], le_index [8];
    nines_le64 (le_seed, seed);
    nines_le64 (le_index, index);
    nines_hash (out, 4, (const uint8_t *) "nines-sim/des/v1", (size_t) 16, le_seed, sizeof le_seed,
                &what, (size_t) 1, le_index, sizeof le_index);
}

static int
s_cmp_outage (const void *a, const void *b)
{
    const outage_t *x = a, *y = b;
    if (x->pod != y->pod)
        return x->pod < y->pod ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int
s_add_outage (des_t *d, size_t *cap, uint32_t pod, uint64_t start, uint64_t end, uint8_t outcome)
{
    if (end <= start)
        return 0;
    if (d->n_outages == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        outage_t *grown = realloc (d->outages, *cap * sizeof *grown);
        if (!grown)
            return NINES_ENOMEM;
        d->outages = grown;
    }
    outage_t o = { pod, start, end, outcome, -1, false };
    d->outages [d->n_outages++] = o;
    return 0;
}

/*  Ground truth and fault events from the config.  Validator faults
    become EV_FAULT_ON/OFF events with arg = 1 (isolation) or 2 (partition). */
static int
s_plan_faults (des_t *d)
{
    const nines_des_config_t *cfg = d->cfg;
    size_t cap = 0;
    for (size_t f = 0; f < cfg->n_faults; f++) {
        const nines_des_fault_t *ft = &cfg->faults [f];
        uint64_t start = T0 + ft->at_ms;
        uint32_t count = ft->count ? ft->count : 1;
        if (nines_fault_is_pod_fault ((nines_fault_kind_t) ft->kind)) {
            if (!d->m || !nines_fault_is_outage ((nines_fault_kind_t) ft->kind))
                continue;               /* pin_rotation: no TLS here, no outage */
            if (count > d->m)
                count = (uint32_t) d->m;
            uint8_t outcome = ft->kind == NINES_FAULT_FACADE_STOP ? NINES_OUTCOME_REFUSED
                            : ft->kind == NINES_FAULT_CORRELATED ? NINES_OUTCOME_TIMEOUT
                            : NINES_OUTCOME_APP_UNHEALTHY;
            for (uint32_t i = 0; i < count; i++) {
                uint32_t pod = (uint32_t) (((uint64_t) ft->index + i) % d->m);
                uint64_t s = start + s_rng_below (&d->rng, ft->spread_ms);
                int rc = 0;
                if (ft->kind == NINES_FAULT_FLAP) {
                    uint32_t flaps = ft->flaps ? ft->flaps : 1;
                    for (uint32_t k = 0; k < flaps && !rc; k++) {
                        uint64_t a = s + k * (ft->down_ms + ft->up_ms);
                        rc = s_add_outage (d, &cap, pod, a, a + ft->down_ms, outcome);
                    }
                }
                else
                    rc = s_add_outage (d, &cap, pod, s, ft->duration_ms ? s + ft->duration_ms : d->end, outcome);
                if (rc)
                    return rc;
            }
        }
        else {
            if (count > d->n)
                count = (uint32_t) d->n;
            uint64_t how = ft->partition ? 2 : 1;
            for (uint32_t i = 0; i < count; i++) {
                uint32_t v = (uint32_t) (((uint64_t) ft->index + i) % d->n);
                uint64_t s = start + s_rng_below (&d->rng, ft->spread_ms);
                s_push (d, s, EV_FAULT_ON, v, how, NULL, 0, 0);
                if (ft->duration_ms)
                    s_push (d, s + ft->duration_ms, EV_FAULT_OFF, v, how, NULL, 0, 0);
            }
        }
    }
    if (d->n_outages)
        qsort (d->outages, d->n_outages, sizeof *d->outages, s_cmp_outage);
    d->pod_first = calloc (d->m + 1, sizeof *d->pod_first);
    if (!d->pod_first)
        return NINES_ENOMEM;
    for (size_t i = 0; i < d->n_outages; i++)
        d->pod_first [d->outages [i].pod + 1]++;
    for (size_t p = 0; p < d->m; p++)
        d->pod_first [p + 1] += d->pod_first [p];
    if (nines_idmap_init (&d->fmap, d->n_outages, 1024, d->pod_ids [0], NINES_ID_BYTES))
        return NINES_ENOMEM;
    for (size_t p = 0; p < d->m; p++)
        if (d->pod_first [p + 1] > d->pod_first [p])
            nines_idmap_put (&d->fmap, (uint32_t) p);
    return 0;
}

static int
s_cmp_id (const void *a, const void *b)
{
    return memcmp (a, b, NINES_ID_BYTES);
}

/*  The engines' hooks (nines_engine_hooks_t): the shared signature cache
    and the isolation faults, per validator through its des_hook_t. */
static int
s_hook_vote_verify (void *arg, const nines_vote_t *vote)
{
    return nines_sigcache_vote_verify (((des_hook_t *) arg)->d->sigcache, vote);
}

static bool
s_hook_isolated (void *arg)
{
    des_hook_t *h = (des_hook_t *) arg;
    return h->d->isolated [h->v] != 0;
}

static int
s_setup (des_t *d)
{
    const nines_des_config_t *cfg = d->cfg;
    d->n = cfg->validators;
    d->m = cfg->pods;
    d->now = T0;
    d->end = T0 + cfg->duration_ms;
    d->rng.s = cfg->seed * 0x2545f4914f6cdd1dULL + 0x1234567ULL;
    des_queue_init (&d->q);
    d->keys = calloc (d->n, sizeof *d->keys);
    d->engines = calloc (d->n, sizeof *d->engines);
    d->tick_at = calloc (d->n, sizeof *d->tick_at);
    d->isolated = calloc (d->n, 1);
    d->hook = calloc (d->n, sizeof *d->hook);
    d->group = calloc (d->n, 1);
    d->behaviour = calloc (d->n, 1);
    d->proven = calloc (d->n, 1);
    d->pod_ids = calloc (d->m ? d->m : 1, NINES_ID_BYTES);
    d->pod_incident = malloc ((d->m ? d->m : 1) * sizeof *d->pod_incident);
    d->pod_up_t = calloc (d->m ? d->m : 1, sizeof *d->pod_up_t);
    d->msg = malloc (sizeof *d->msg);
    d->reg = nines_registry_new ();
    d->sigcache = nines_sigcache_new (1 << 16);
    if (!d->sigcache || !d->keys || !d->engines || !d->tick_at || !d->isolated || !d->hook || !d->group || !d->behaviour
    ||  !d->proven || !d->pod_ids || !d->pod_incident || !d->pod_up_t || !d->msg || !d->reg)
        return NINES_ENOMEM;
    for (size_t p = 0; p < d->m; p++)
        d->pod_incident [p] = -1;
    if (cfg->burst_good_ms && cfg->burst_bad_ms && cfg->burst_loss_ppm) {
        d->ge = calloc (d->n, sizeof *d->ge);
        if (!d->ge)
            return NINES_ENOMEM;
        double bad_share = (double) cfg->burst_bad_ms / (double) (cfg->burst_good_ms + cfg->burst_bad_ms);
        for (size_t i = 0; i < d->n; i++) {
            d->ge [i].rng.s = cfg->seed * 0x9e3779b97f4a7c15ULL + i * 0xd1b54a32d192ed03ULL + 7;
            d->ge [i].t0 = d->now;
            d->ge [i].bad0 = (double) s_rng_below (&d->ge [i].rng, 1000000) < bad_share * 1e6;
        }
    }
    if (s_table_grow ((void **) &d->reports, &d->cap_reports, sizeof *d->reports, &d->rmap, 0)
    ||  s_table_grow ((void **) &d->evidence, &d->cap_evidence, sizeof *d->evidence, &d->emap, 0))
        return NINES_ENOMEM;

    /* Registry: validators, then pods inserted in id order (so each
       insertion appends), shared by every engine. */
    d->reg->params = cfg->params;
    d->reg->params.genesis_ms = T0;
    for (size_t i = 0; i < d->n; i++) {
        uint8_t seed [32];
        s_derive (seed, cfg->seed, 1, i);
        if (nines_keypair_from_seed (&d->keys [i], seed))
            return NINES_EINVAL;
        nines_validator_info_t v;
        memset (&v, 0, sizeof v);
        memcpy (v.id, d->keys [i].pk, NINES_ID_BYTES);
        v.stake = cfg->stake;
        snprintf (v.endpoint, sizeof v.endpoint, "sim://%zu", i);
        if (nines_registry_put_validator (d->reg, &v))
            return NINES_ENOMEM;
    }
    if (nines_idmap_init (&d->vmap, d->n, 1024, d->keys [0].pk, sizeof d->keys [0]))
        return NINES_ENOMEM;
    for (size_t i = 0; i < d->n; i++)
        nines_idmap_put (&d->vmap, (uint32_t) i);
    for (size_t p = 0; p < d->m; p++)
        s_derive (d->pod_ids [p], cfg->seed, 2, p);
    uint8_t (*sorted) [NINES_ID_BYTES] = malloc ((d->m ? d->m : 1) * NINES_ID_BYTES);
    if (!sorted)
        return NINES_ENOMEM;
    memcpy (sorted, d->pod_ids, d->m * NINES_ID_BYTES);
    qsort (sorted, d->m, NINES_ID_BYTES, s_cmp_id);
    if (nines_idmap_init (&d->pmap, d->m, 1024, d->pod_ids [0], NINES_ID_BYTES)) {
        free (sorted);
        return NINES_ENOMEM;
    }
    for (size_t p = 0; p < d->m; p++)
        nines_idmap_put (&d->pmap, (uint32_t) p);
    nines_pod_info_t *info = calloc (1, sizeof *info);
    int rc = info ? 0 : NINES_ENOMEM;
    for (size_t k = 0; k < d->m && !rc; k++) {
        long p = nines_idmap_get (&d->pmap, sorted [k]);
        memset (info, 0, sizeof *info);
        memcpy (info->pod, sorted [k], NINES_ID_BYTES);
        info->n_facade_keys = 1;
        memcpy (info->facade_keys [0], sorted [k], NINES_ID_BYTES);
        info->n_spki_pins = 1;                 /* no TLS here: one all-zero pin */
        s_derive (info->provider, cfg->seed, 3, (uint64_t) p % (cfg->providers ? cfg->providers : 1));
        snprintf (info->facade_url, sizeof info->facade_url, "https://pod%ld.sim/", p);
        snprintf (info->method, sizeof info->method, "GET");
        snprintf (info->path, sizeof info->path, "/");
        info->stake = cfg->pod_stake;
        rc = nines_registry_put_pod (d->reg, info);
    }
    free (info);
    free (sorted);
    if (rc)
        return rc;

    /* Adversaries are the last validators by index, in the order of
       sim/scenario.h (always_down, always_up, silent, equivocate). */
    uint32_t adv = cfg->always_down + cfg->always_up + cfg->silent + cfg->equivocate;
    if (adv > d->n)
        return NINES_EINVAL;
    const struct { uint32_t count; uint8_t behaviour; } kinds [] = {
        { cfg->always_down, NINES_BEHAVE_ALWAYS_DOWN }, { cfg->always_up, NINES_BEHAVE_ALWAYS_UP },
        { cfg->silent, NINES_BEHAVE_SILENT }, { cfg->equivocate, NINES_BEHAVE_EQUIVOCATE } };
    size_t at = d->n;
    for (size_t k = 0; k < 4; k++)
        for (uint32_t i = 0; i < kinds [k].count; i++)
            d->behaviour [--at] = kinds [k].behaviour;

    nines_engine_config_t ec;
    nines_engine_config_default (&ec);
    ec.gossip_fanout = d->res->gossip_fanout;
    ec.report_scope = d->res->report_scope;
    ec.max_reports = 1;             /* queries are not simulated: the least the engine keeps */
    ec.max_seen = 128;              /* committee scope: a node sees the reports of its pods */
    ec.keep_idle_pods = false;      /* sparse pod state: a few dozen entries per node */
    ec.hooks.vote_verify = s_hook_vote_verify;  /* each distinct signature verified once */
    ec.hooks.isolated = s_hook_isolated;        /* the validator_isolate fault */
    ec.doppelganger_epochs = 0;     /* a network in steady state from t = 0, each key once */
    for (size_t i = 0; i < d->n; i++) {
        uint8_t seed [32];
        s_derive (seed, cfg->seed, 4, i);
        d->hook [i] = (des_hook_t) { d, (uint32_t) i };
        ec.hooks.arg = &d->hook [i];
        ec.hooks.adversary = nines_adversary_of (d->behaviour [i]);
        d->engines [i] = nines_engine_new (&d->keys [i], seed, &ec);
        if (!d->engines [i])
            return NINES_ENOMEM;
        nines_engine_set_registry (d->engines [i], d->reg, T0);
        /* Start each node at a random instant of the first SWIM period. */
        uint64_t at = T0 + s_rng_below (&d->rng, ec.swim_period_ms);
        d->tick_at [i] = at;
        s_push (d, at, EV_TICK, (uint32_t) i, at, NULL, 0, 0);
    }
    return s_plan_faults (d);
}

static void
s_teardown (des_t *d)
{
    des_event_t ev;
    while (des_queue_pop (&d->q, &ev))
        free (ev.data);
    des_queue_free (&d->q);
    for (size_t i = 0; d->engines && i < d->n; i++)
        nines_engine_destroy (&d->engines [i]);
    nines_registry_destroy (&d->reg);
    nines_sigcache_destroy (&d->sigcache);
    free (d->keys);
    free (d->engines);
    free (d->tick_at);
    free (d->isolated);
    free (d->hook);
    free (d->group);
    free (d->behaviour);
    free (d->proven);
    free (d->pod_ids);
    free (d->pod_first);
    free (d->pod_incident);
    free (d->pod_up_t);
    free (d->outages);
    free (d->incidents);
    free (d->reports);
    free (d->evidence);
    nines_idmap_destroy (&d->vmap);
    nines_idmap_destroy (&d->pmap);
    nines_idmap_destroy (&d->fmap);
    nines_idmap_destroy (&d->rmap);
    nines_idmap_destroy (&d->emap);
    free (d->msg);
    free (d->ge);
}

/*  ---- the event loop ---- */

static void
s_fault (des_t *d, const des_event_t *ev, bool on)
{
    size_t v = ev->to;
    if (ev->arg == 2) {
        d->group [v] = on ? 1 : 0;
        return;
    }
    bool was = d->isolated [v];
    if (on)
        d->isolated [v]++;
    else
    if (d->isolated [v])
        d->isolated [v]--;
    bool is = d->isolated [v];
    if (was != is) {
        d->n_isolated += is ? 1 : (size_t) -1;
        s_drain (d, v);             /* the engine sees it through s_hook_isolated */
    }
}

/*  Monotonic wall clock, seconds (progress and the summary, never results). */
double
des_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/*  Resident set of this process now, MB (the progress line: growth over a
    run is what tests/bench/ninesd_memory measures), -1 if unknown. */
static long
s_rss_mb (void)
{
    long pages = -1, rss = -1;
    FILE *f = fopen ("/proc/self/statm", "r");
    if (f && fscanf (f, "%ld %ld", &pages, &rss) != 2)
        rss = -1;
    if (f)
        fclose (f);
    return rss < 0 ? -1 : rss * (sysconf (_SC_PAGESIZE) / 1024) / 1024;
}

static void
s_loop (des_t *d, FILE *log)
{
    des_event_t ev;
    uint64_t next_log = d->now + 60000;
    double wall0 = des_wall ();
    while (des_queue_peek (&d->q) <= d->end && des_queue_pop (&d->q, &ev)) {
        d->now = ev.at;
        d->res->events++;
        if (log && d->now >= next_log) {
            /*  Each simulated minute: resident memory and glibc's live
                heap (mallinfo2's bytes in use), which tells state that
                grows from pages malloc holds free (fragmentation). */
            fprintf (log, "des: %s: t=%llus events=%llu reports=%zu wall=%.1fs rss=%ldMB heap=%.1fMB\n",
                     d->cfg->name, (unsigned long long) ((d->now - T0) / 1000),
                     (unsigned long long) d->res->events, d->n_reports, des_wall () - wall0, s_rss_mb (),
                     mallinfo2 ().uordblks / 1048576.0);
            fflush (log);
            next_log += 60000;
        }
        switch (ev.kind) {
            case EV_TICK:
                if (d->tick_at [ev.to] != ev.arg)
                    break;              /* superseded by an earlier one */
                d->tick_at [ev.to] = 0;
                /* A wakeup that stopped being due (the ack came before
                   its timeout) only re-arms. */
                if (nines_engine_next_wakeup (d->engines [ev.to]) <= d->now)
                    nines_engine_on_tick (d->engines [ev.to], d->now);
                s_drain (d, ev.to);
                break;
            case EV_MSG:
                if (s_link_up (d, ev.from, ev.to))
                    nines_engine_on_message (d->engines [ev.to], ev.data, ev.len, d->now);
                free (ev.data);
                s_drain (d, ev.to);
                break;
            case EV_PROBE: {
                nines_hb_resp_t resp;
                uint8_t nonce [NINES_NONCE_BYTES];
                memset (&resp, 0, sizeof resp);
                memset (nonce, 0, sizeof nonce);
                int outcome = (int) ev.len;
                bool answered = outcome == NINES_OUTCOME_OK || outcome == NINES_OUTCOME_APP_UNHEALTHY;
                resp.app_status = outcome == NINES_OUTCOME_OK ? 200 : 503;
                nines_engine_on_probe_done (d->engines [ev.to], ev.arg, outcome, answered ? &resp : NULL,
                                            answered ? nonce : NULL, d->now, d->now);
                s_drain (d, ev.to);
                break;
            }
            case EV_FAULT_ON:
            case EV_FAULT_OFF:
                s_fault (d, &ev, ev.kind == EV_FAULT_ON);
                break;
        }
    }
    d->now = d->end;
}

int
nines_des_run (const nines_des_config_t *cfg, nines_des_result_t *result, FILE *progress)
{
    if (cfg->validators == 0 || cfg->params.committee > NINES_REPORT_MAX_VOTES || cfg->params.epoch_ms == 0) {
        memset (result, 0, sizeof *result);
        return NINES_EINVAL;
    }
    *result = (nines_des_result_t) {
        .seed = cfg->seed, .validators = cfg->validators, .pods = cfg->pods,
        .duration_ms = cfg->duration_ms, .report_scope = cfg->report_scope,
        .gossip_fanout = cfg->gossip_fanout ? cfg->gossip_fanout
                       : (uint32_t) ceil (log ((double) cfg->validators + 1)) + 3,
    };
    snprintf (result->name, sizeof result->name, "%s", cfg->name);
    des_t d;
    memset (&d, 0, sizeof d);
    d.cfg = cfg;
    d.res = result;
    int rc = s_setup (&d);
    if (!rc) {
        s_loop (&d, progress);
        des_results (&d);
    }
    s_teardown (&d);
    return rc;
}
