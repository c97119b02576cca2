/*  nines-sim des: see des.h.  The driver around N real engines: an event
    queue (des_queue, a timing wheel), simulated links, a pod ground truth,
    a stand-in ledger, and the measurements. */
#include "des.h"
#include "des_queue.h"
#include "core/engine.h"
#include "proto/committee.h"
#include "proto/registry.h"
#include "proto/incident.h"
#include "base/error.h"
#include "base/config.h"
#include "proto/slash.h"
#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define T0 1800000000000ULL         /* virtual start, Unix ms */

enum { EV_TICK = 1, EV_MSG, EV_PROBE, EV_FAULT_ON, EV_FAULT_OFF, EV_METER };

/*  ---- deterministic randomness for the driver (splitmix64) ---- */

typedef struct { uint64_t s; } des_rng_t;

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

/*  ---- id -> index hash map (open addressing on the id's first 8 bytes) ---- */

typedef struct {
    uint32_t *slot;                 /* index + 1, 0 = empty */
    size_t mask;                    /* capacity - 1 */
    const uint8_t *keys;            /* keys [index * stride] is the 32-byte id */
    size_t stride;                  /* bytes between keys */
} idmap_t;

static int
s_idmap_init (idmap_t *m, size_t n, const uint8_t *keys, size_t stride)
{
    size_t cap = 1024;
    while (cap < 2 * n)
        cap *= 2;
    m->slot = calloc (cap, sizeof *m->slot);
    m->mask = cap - 1;
    m->keys = keys;
    m->stride = stride;
    return m->slot ? 0 : NINES_ENOMEM;
}

static size_t
s_idmap_home (const idmap_t *m, const uint8_t *id)
{
    uint64_t h;
    memcpy (&h, id, 8);
    return (size_t) (h * 0x9e3779b97f4a7c15ULL >> 20) & m->mask;
}

static void
s_idmap_put (idmap_t *m, uint32_t index)
{
    size_t i = s_idmap_home (m, m->keys + (size_t) index * m->stride);
    while (m->slot [i])
        i = (i + 1) & m->mask;
    m->slot [i] = index + 1;
}

static long
s_idmap_get (const idmap_t *m, const uint8_t *id)
{
    for (size_t i = s_idmap_home (m, id); m->slot [i]; i = (i + 1) & m->mask) {
        uint32_t x = m->slot [i] - 1;
        if (memcmp (m->keys + (size_t) x * m->stride, id, NINES_ID_BYTES) == 0)
            return (long) x;
    }
    return -1;
}

/*  ---- Gilbert-Elliott link state, one chain per validator ---- */

#define GE_MAX 32                   /* state changes generated ahead */

/*  The chain of validator v: in state bad0 from t0, changing state at
    toggles [0..n) (ascending).  Generated lazily from its own stream, so
    queries at now .. now + an epoch (heartbeats handed over ahead) see one
    consistent timeline. */
typedef struct {
    des_rng_t rng;
    uint64_t t0;
    uint8_t bad0;
    uint8_t n;
    uint64_t toggles [GE_MAX];
} ge_t;

/*  Exponential sojourn with the given mean, ms (at least 1). */
static uint64_t
s_rng_exp (des_rng_t *r, uint64_t mean)
{
    double u = (double) ((s_rng_u64 (r) >> 11) + 1) / 9007199254740992.0;  /* (0, 1] */
    double x = -(double) mean * log (u);
    return x < 1 ? 1 : (uint64_t) x;
}

/*  ---- the simulation ---- */

typedef struct {
    uint32_t pod;                   /* pod index */
    uint64_t start, end;            /* down during [start, end), Unix ms */
    uint8_t outcome;                /* what a heartbeat gets meanwhile */
    int32_t incident;               /* matched incident, -1 none */
    bool recovered;                 /* an UP report followed the end */
} outage_t;

typedef struct {
    uint32_t pod;                   /* pod index */
    uint64_t detected;              /* first DOWN report action, Unix ms */
    uint64_t closed;                /* first UP report action, 0 open */
    int32_t outage;                 /* matched outage, -1 = false incident */
    bool correlated;                /* flagged by the correlated rule */
} incident_t;

typedef struct {
    uint8_t id [NINES_HASH_BYTES];  /* report id */
    uint64_t first;                 /* formation (first REPORT action) */
    uint64_t last;                  /* latest REPORT action */
    uint32_t count;                 /* validators of its scope that accepted it */
    uint32_t target;                /* validators of its scope reachable at formation */
    int32_t pod;                    /* pod index, -1 unknown */
    uint64_t epoch;                 /* report epoch */
} seen_report_t;

typedef struct {
    uint8_t id [NINES_HASH_BYTES];  /* evidence id */
} seen_evidence_t;

typedef struct {
    const nines_des_config_t *cfg;  /* borrowed */
    des_rng_t rng;                  /* driver randomness */
    des_queue_t q;                  /* pending events */
    uint64_t now;                   /* virtual clock, Unix ms */
    uint64_t end;                   /* stop time */
    size_t n;                       /* validators */
    nines_keypair_t *keys;          /* validator keys */
    nines_engine_t **engines;       /* validator engines */
    uint64_t *tick_at;              /* scheduled tick per engine, 0 none */
    uint8_t *isolated;              /* per validator: isolation faults active */
    uint8_t *group;                 /* per validator: partition side (0 = main) */
    uint8_t *behaviour;             /* per validator: nines_behaviour_t */
    size_t n_isolated;              /* validators currently isolated */
    nines_registry_t *reg;          /* the ONE registry all engines borrow */
    idmap_t vmap;                   /* validator id -> index */
    size_t m;                       /* pods */
    uint8_t (*pod_ids) [NINES_ID_BYTES]; /* pod ids by pod index */
    idmap_t pmap;                   /* pod id -> index */
    idmap_t fmap;                   /* pod id -> index, only pods with an outage: a
                                       heartbeat to any other pod is answered without
                                       touching the 3 MB id table */
    uint32_t *pod_first;            /* outages of pod p: [pod_first [p], pod_first [p + 1]) */
    outage_t *outages;              /* sorted by (pod, start) */
    size_t n_outages;
    int32_t *pod_incident;          /* open incident per pod, -1 none */
    incident_t *incidents;
    size_t n_incidents, cap_incidents;
    seen_report_t *reports;         /* distinct reports, hashed by id */
    size_t n_reports;
    idmap_t rmap;                   /* report id -> index (keys move on growth: rebuilt) */
    size_t cap_reports;
    seen_evidence_t *evidence;      /* distinct evidence */
    size_t n_evidence, cap_evidence;
    idmap_t emap;                   /* evidence id -> index */
    uint8_t *proven;                /* per validator: equivocation proven */
    nines_des_result_t *res;        /* output */
    nines_peer_msg_t *msg;          /* scratch for proof checks */
    nines_report_t *report;         /* scratch for report decoding */
    nines_sigcache_t *sigcache;     /* verified signatures, shared by the engines */
    ge_t *ge;                       /* per validator, when bursts are on */
} des_t;

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
s_table_grow (void **base, size_t *cap, size_t size, idmap_t *map, size_t n)
{
    size_t ncap = *cap ? 2 * *cap : 256;
    void *grown = realloc (*base, ncap * size);
    if (!grown)
        return NINES_ENOMEM;
    *base = grown;
    *cap = ncap;
    free (map->slot);
    if (s_idmap_init (map, ncap, grown, size))
        return NINES_ENOMEM;
    for (size_t i = 0; i < n; i++)
        s_idmap_put (map, (uint32_t) i);
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
        long v = s_idmap_get (&d->vmap, members [i]->id);
        reachable += v >= 0 && !d->isolated [v] && d->group [v] == 0;
    }
    return reachable;
}

static void
s_on_report (des_t *d, size_t v, const nines_action_t *a)
{
    long at = s_idmap_get (&d->rmap, a->key);
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
        sr->pod = -1;
        s_idmap_put (&d->rmap, (uint32_t) d->n_reports++);
        /* First sight anywhere: the network formed a new report. */
        if (nines_report_decode (a->data, a->len, d->report) == 0) {
            long p = s_idmap_get (&d->pmap, d->report->pod);
            sr->pod = (int32_t) p;
            sr->epoch = d->report->epoch;
            if (d->res->report_scope == NINES_SCOPE_COMMITTEE)
                sr->target = s_committee_reachable (d, d->report->pod, sr->epoch);
            if (p >= 0 && d->report->kind == NINES_REPORT_DOWN && d->pod_incident [p] < 0) {
                if (d->n_incidents == d->cap_incidents) {
                    size_t cap = d->cap_incidents ? 2 * d->cap_incidents : 64;
                    incident_t *grown = realloc (d->incidents, cap * sizeof *grown);
                    if (!grown)
                        return;
                    d->incidents = grown;
                    d->cap_incidents = cap;
                }
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
            if (p >= 0 && d->report->kind == NINES_REPORT_UP && d->pod_incident [p] >= 0) {
                incident_t *inc = &d->incidents [d->pod_incident [p]];
                inc->closed = d->now;
                if (inc->outage >= 0 && d->now >= d->outages [inc->outage].end)
                    d->outages [inc->outage].recovered = true;
                d->pod_incident [p] = -1;
            }
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
    if (s_idmap_get (&d->emap, a->key) >= 0)
        return;
    if (d->n_evidence + 1 > d->cap_evidence / 2
    &&  s_table_grow ((void **) &d->evidence, &d->cap_evidence, sizeof *d->evidence, &d->emap, d->n_evidence))
        return;
    memcpy (d->evidence [d->n_evidence].id, a->key, NINES_HASH_BYTES);
    s_idmap_put (&d->emap, (uint32_t) d->n_evidence++);
}

/*  The ledger's check of a misbehaviour proof: two validly signed votes by
    one validator in one round with different verdicts. */
static void
s_on_misbehaviour (des_t *d, const nines_action_t *a)
{
    if (nines_peer_msg_decode (a->data, a->len, d->msg) || d->msg->type != NINES_MSG_MISBEHAVIOUR)
        return;
    const nines_misbehaviour_t *mb = &d->msg->u.misbehaviour;
    if (memcmp (mb->a.body.validator, mb->b.body.validator, NINES_ID_BYTES)
    ||  memcmp (mb->a.body.round_id, mb->b.body.round_id, NINES_HASH_BYTES)
    ||  mb->a.body.verdict == mb->b.body.verdict
    ||  nines_vote_verify (&mb->a) || nines_vote_verify (&mb->b))
        return;
    d->res->misbehaviour_reports++;
    long who = s_idmap_get (&d->vmap, mb->a.body.validator);
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
                long to = s_idmap_get (&d->vmap, a.peer);
                if (to >= 0 && s_link_up (d, v, (size_t) to) && !s_msg_lost (d, v, (size_t) to)) {
                    uint64_t delay = cfg->latency_ms + s_rng_below (&d->rng, cfg->jitter_ms + 1);
                    s_push (d, d->now + (delay ? delay : 1), EV_MSG, (uint32_t) to, 0, a.data,
                            (uint32_t) a.len, (uint32_t) v);
                    a.data = NULL;
                }
                break;
            }
            case NINES_ACT_PROBE: {
                long p = s_idmap_get (&d->fmap, a.pod);     /* the engine probes registered pods */
                /* A heartbeat handed over ahead (probe_ahead) goes out at
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
    if (s_idmap_init (&d->fmap, d->n_outages, d->pod_ids [0], NINES_ID_BYTES))
        return NINES_ENOMEM;
    for (size_t p = 0; p < d->m; p++)
        if (d->pod_first [p + 1] > d->pod_first [p])
            s_idmap_put (&d->fmap, (uint32_t) p);
    return 0;
}

static int
s_cmp_id (const void *a, const void *b)
{
    return memcmp (a, b, NINES_ID_BYTES);
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
    d->group = calloc (d->n, 1);
    d->behaviour = calloc (d->n, 1);
    d->proven = calloc (d->n, 1);
    d->pod_ids = calloc (d->m ? d->m : 1, NINES_ID_BYTES);
    d->pod_incident = malloc ((d->m ? d->m : 1) * sizeof *d->pod_incident);
    d->msg = malloc (sizeof *d->msg);
    d->report = malloc (sizeof *d->report);
    d->reg = nines_registry_new ();
    d->sigcache = nines_sigcache_new (1 << 16);
    if (!d->sigcache || !d->keys || !d->engines || !d->tick_at || !d->isolated || !d->group || !d->behaviour
    ||  !d->proven || !d->pod_ids || !d->pod_incident || !d->msg || !d->report || !d->reg)
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
    if (s_idmap_init (&d->vmap, d->n, d->keys [0].pk, sizeof d->keys [0]))
        return NINES_ENOMEM;
    for (size_t i = 0; i < d->n; i++)
        s_idmap_put (&d->vmap, (uint32_t) i);
    for (size_t p = 0; p < d->m; p++)
        s_derive (d->pod_ids [p], cfg->seed, 2, p);
    uint8_t (*sorted) [NINES_ID_BYTES] = malloc ((d->m ? d->m : 1) * NINES_ID_BYTES);
    if (!sorted)
        return NINES_ENOMEM;
    memcpy (sorted, d->pod_ids, d->m * NINES_ID_BYTES);
    qsort (sorted, d->m, NINES_ID_BYTES, s_cmp_id);
    if (s_idmap_init (&d->pmap, d->m, d->pod_ids [0], NINES_ID_BYTES)) {
        free (sorted);
        return NINES_ENOMEM;
    }
    for (size_t p = 0; p < d->m; p++)
        s_idmap_put (&d->pmap, (uint32_t) p);
    nines_pod_info_t *info = calloc (1, sizeof *info);
    int rc = info ? 0 : NINES_ENOMEM;
    for (size_t k = 0; k < d->m && !rc; k++) {
        long p = s_idmap_get (&d->pmap, sorted [k]);
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
    ec.probe_ahead = true;          /* no wakeup per heartbeat instant */
    ec.max_reports = 4;             /* queries are not simulated: keep few */
    ec.max_seen = 128;              /* committee scope: a node sees the reports of its pods */
    ec.keep_idle_pods = false;      /* sparse pod state: a few dozen entries per node */
    ec.sigcache = d->sigcache;      /* each distinct signature verified once */
    ec.doppelganger_epochs = 0;     /* a network in steady state from t = 0, each key once */
    for (size_t i = 0; i < d->n; i++) {
        uint8_t seed [32];
        s_derive (seed, cfg->seed, 4, i);
        d->engines [i] = nines_engine_new (&d->keys [i], seed, &ec);
        if (!d->engines [i])
            return NINES_ENOMEM;
        nines_engine_set_behaviour (d->engines [i], (nines_behaviour_t) d->behaviour [i]);
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
    free (d->group);
    free (d->behaviour);
    free (d->proven);
    free (d->pod_ids);
    free (d->pod_first);
    free (d->pod_incident);
    free (d->outages);
    free (d->incidents);
    free (d->reports);
    free (d->evidence);
    free (d->vmap.slot);
    free (d->pmap.slot);
    free (d->fmap.slot);
    free (d->rmap.slot);
    free (d->emap.slot);
    free (d->msg);
    free (d->report);
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
        nines_engine_set_isolated (d->engines [v], is);
        s_drain (d, v);
    }
}

/*  Monotonic wall clock, seconds (progress and the summary, never results). */
static double
s_wall (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void
s_loop (des_t *d, FILE *log)
{
    des_event_t ev;
    uint64_t next_log = d->now + 60000;
    double wall0 = s_wall ();
    while (des_queue_peek (&d->q) <= d->end && des_queue_pop (&d->q, &ev)) {
        d->now = ev.at;
        d->res->events++;
        if (log && d->now >= next_log) {
            fprintf (log, "des: %s: t=%llus events=%llu reports=%zu wall=%.1fs\n", d->cfg->name,
                     (unsigned long long) ((d->now - T0) / 1000), (unsigned long long) d->res->events,
                     d->n_reports, s_wall () - wall0);
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

/*  ---- results ---- */

static int
s_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

/*  Nearest-rank percentile of a sorted array (0 when empty). */
static uint64_t
s_pct (const uint64_t *v, size_t n, unsigned pct)
{
    if (!n)
        return 0;
    size_t rank = (n * pct + 99) / 100;
    return v [rank ? rank - 1 : 0];
}

static double
s_pct_d (const double *v, size_t n, unsigned pct)
{
    if (!n)
        return 0;
    size_t rank = (n * pct + 99) / 100;
    return v [rank ? rank - 1 : 0];
}

/*  The ledger's correlated-outage rule, with its constants and window
    (src/proto/incident.c, params corr_window): each incident's DOWN is
    its first DOWN report, its provider the registry's. */
static void
s_correlate (des_t *d)
{
    nines_down_t *downs = calloc (d->n_incidents + 1, sizeof *downs);
    bool *flags = calloc (d->n_incidents + 1, sizeof *flags);
    for (size_t i = 0; downs && flags && i < d->n_incidents; i++) {
        const uint8_t *pod = d->pod_ids [d->incidents [i].pod];
        const nines_pod_info_t *info = nines_registry_pod (d->reg, pod);
        downs [i] = (nines_down_t) { d->incidents [i].detected, pod, info ? info->provider : NULL };
    }
    if (downs && flags
        && nines_correlate (downs, d->n_incidents, d->m, d->cfg->params.corr_window_ms, flags) == 0)
        for (size_t i = 0; i < d->n_incidents; i++) {
            d->incidents [i].correlated = flags [i];
            d->res->correlated += flags [i];
        }
    free (downs);
    free (flags);
}

static void
s_results (des_t *d)
{
    nines_des_result_t *r = d->res;
    const nines_params_t *p = &d->cfg->params;
    uint64_t detectable = 3 * p->epoch_ms;
    size_t n_lat = 0, n_rec = 0;
    uint64_t *lat = calloc (d->n_outages + 1, sizeof *lat);
    uint64_t *rec = calloc (d->n_outages + 1, sizeof *rec);
    for (size_t i = 0; lat && rec && i < d->n_outages; i++) {
        const outage_t *o = &d->outages [i];
        if (o->start >= d->end)
            continue;
        r->outages++;
        bool counts = o->end - o->start >= detectable && o->end <= d->end;
        r->outages_detectable += counts;
        if (o->incident >= 0) {
            r->detected++;
            lat [n_lat++] = d->incidents [o->incident].detected - o->start;
            if (o->recovered)
                rec [n_rec++] = d->incidents [o->incident].closed - o->end;
        }
        else
        if (counts)
            r->missed++;
    }
    if (lat && rec) {
        qsort (lat, n_lat, sizeof *lat, s_cmp_u64);
        qsort (rec, n_rec, sizeof *rec, s_cmp_u64);
        r->latency_p50_ms = s_pct (lat, n_lat, 50);
        r->latency_p90_ms = s_pct (lat, n_lat, 90);
        r->latency_p99_ms = s_pct (lat, n_lat, 99);
        r->latency_max_ms = n_lat ? lat [n_lat - 1] : 0;
        r->recovery_p50_ms = s_pct (rec, n_rec, 50);
        r->recovery_p99_ms = s_pct (rec, n_rec, 99);
    }
    free (lat);
    free (rec);
    r->incidents = (uint32_t) d->n_incidents;
    for (size_t i = 0; i < d->n_incidents; i++) {
        const incident_t *inc = &d->incidents [i];
        if (inc->outage >= 0)
            continue;
        r->false_incidents++;
        /* What the ledger would take for it (ledger.c's settle rule: an
           incident of at least grace pays nines_slash_for its duration). */
        uint64_t end = inc->closed ? inc->closed : d->end;
        uint64_t slash = end - inc->detected >= p->grace_ms
                       ? nines_slash_for (p, d->cfg->pod_stake, end - inc->detected) : 0;
        r->false_slash += slash;
        if (r->n_false_detail < NINES_DES_FALSE_MAX) {
            nines_des_false_t *f = &r->false_detail [r->n_false_detail++];
            f->pod = inc->pod;
            memcpy (f->pod_id, d->pod_ids [inc->pod], NINES_ID_BYTES);
            f->start_ms = inc->detected - T0;
            f->end_ms = end - T0;
            f->open = !inc->closed;
            f->slash = slash;
        }
    }
    s_correlate (d);

    r->reports = (uint32_t) d->n_reports;
    uint64_t *reach = calloc (d->n_reports + 1, sizeof *reach);
    size_t n_reach = 0;
    double cover = 0;
    for (size_t i = 0; reach && i < d->n_reports; i++) {
        const seen_report_t *s = &d->reports [i];
        if (s->first + NINES_DES_REACH_MS > d->end)
            continue;               /* formed too late to spread */
        r->reports_spread++;
        cover += s->target ? (s->count >= s->target ? 1.0 : (double) s->count / (double) s->target) : 1.0;
        if (s->count >= s->target) {
            r->reports_everywhere++;
            reach [n_reach++] = s->last - s->first;
        }
    }
    if (reach) {
        qsort (reach, n_reach, sizeof *reach, s_cmp_u64);
        r->reach_p50_ms = s_pct (reach, n_reach, 50);
        r->reach_p99_ms = s_pct (reach, n_reach, 99);
        r->reach_max_ms = n_reach ? reach [n_reach - 1] : 0;
    }
    free (reach);
    r->coverage = r->reports_spread ? cover / (double) r->reports_spread : 1.0;

    double secs = (double) d->cfg->duration_ms / 1000.0;
    double *msgs = calloc (d->n, sizeof *msgs), *bytes = calloc (d->n, sizeof *bytes);
    double sum_m = 0, sum_b = 0, sum_p = 0;
    for (size_t i = 0; msgs && bytes && i < d->n; i++) {
        nines_engine_stats_t st;
        nines_engine_stats (d->engines [i], &st);
        msgs [i] = (double) st.msgs_out / secs;
        bytes [i] = (double) st.bytes_out / secs;
        sum_m += msgs [i];
        sum_b += bytes [i];
        sum_p += (double) st.probes / secs;
        r->rounds_opened += st.rounds_opened;
        r->rounds_down += st.rounds_down;
        r->rounds_up += st.rounds_up;
        r->rounds_failed += st.rounds_failed;
        r->votes += st.votes_sent;
        r->votes_down += st.votes_down;
        r->votes_abstain += st.votes_abstain;
        r->confirms_resent += st.confirms_resent;
        if (i < d->cfg->lossy_validators) {
            r->lossy_votes += st.votes_sent;
            r->lossy_votes_down += st.votes_down;
            r->lossy_votes_abstain += st.votes_abstain;
        }
        r->msgs_bad += st.msgs_bad;
    }
    if (msgs && bytes && d->n) {
        qsort (msgs, d->n, sizeof *msgs, s_cmp_double);
        qsort (bytes, d->n, sizeof *bytes, s_cmp_double);
        r->msgs_mean = sum_m / (double) d->n;
        r->msgs_p99 = s_pct_d (msgs, d->n, 99);
        r->msgs_max = msgs [d->n - 1];
        r->bytes_mean = sum_b / (double) d->n;
        r->bytes_p99 = s_pct_d (bytes, d->n, 99);
        r->bytes_max = bytes [d->n - 1];
        r->probes_mean = sum_p / (double) d->n;
    }
    free (msgs);
    free (bytes);
    r->evidence = d->n_evidence;
    r->equivocators = d->cfg->equivocate;
}

int
nines_des_run (const nines_des_config_t *cfg, nines_des_result_t *result, FILE *progress)
{
    memset (result, 0, sizeof *result);
    if (cfg->validators == 0 || cfg->params.committee > NINES_REPORT_MAX_VOTES || cfg->params.epoch_ms == 0)
        return NINES_EINVAL;
    snprintf (result->name, sizeof result->name, "%s", cfg->name);
    result->seed = cfg->seed;
    result->validators = cfg->validators;
    result->pods = cfg->pods;
    result->duration_ms = cfg->duration_ms;
    result->report_scope = cfg->report_scope;
    result->gossip_fanout = cfg->gossip_fanout;
    if (!result->gossip_fanout)
        result->gossip_fanout = (uint32_t) ceil (log ((double) cfg->validators + 1)) + 3;
    des_t d;
    memset (&d, 0, sizeof d);
    d.cfg = cfg;
    d.res = result;
    int rc = s_setup (&d);
    if (!rc) {
        s_loop (&d, progress);
        s_results (&d);
    }
    s_teardown (&d);
    return rc;
}

void
nines_des_result_json (const nines_des_result_t *r, FILE *out)
{
    fprintf (out, "{\n");
    fprintf (out, "  \"scenario\": \"%s\",\n  \"mode\": \"des\",\n  \"seed\": %llu,\n", r->name,
             (unsigned long long) r->seed);
    fprintf (out, "  \"validators\": %u,\n  \"pods\": %u,\n  \"duration_s\": %.3f,\n  \"report_scope\": \"%s\",\n"
                  "  \"gossip_fanout\": %u,\n",
             r->validators, r->pods, (double) r->duration_ms / 1000.0,
             nines_report_scope_name (r->report_scope), r->gossip_fanout);
    fprintf (out, "  \"outages\": %u,\n  \"outages_detectable\": %u,\n  \"detected\": %u,\n  \"missed_incidents\": %u,\n",
             r->outages, r->outages_detectable, r->detected, r->missed);
    fprintf (out, "  \"incidents\": %u,\n  \"false_incidents\": %u,\n  \"correlated_incidents\": %u,\n",
             r->incidents, r->false_incidents, r->correlated);
    fprintf (out, "  \"detection_latency_ms\": {\"p50\": %llu, \"p90\": %llu, \"p99\": %llu, \"max\": %llu},\n",
             (unsigned long long) r->latency_p50_ms, (unsigned long long) r->latency_p90_ms,
             (unsigned long long) r->latency_p99_ms, (unsigned long long) r->latency_max_ms);
    fprintf (out, "  \"recovery_latency_ms\": {\"p50\": %llu, \"p99\": %llu},\n",
             (unsigned long long) r->recovery_p50_ms, (unsigned long long) r->recovery_p99_ms);
    fprintf (out, "  \"reports\": %u,\n  \"reports_judged\": %u,\n  \"reports_reached_scope\": %u,\n"
                  "  \"report_coverage\": %.6f,\n",
             r->reports, r->reports_spread, r->reports_everywhere, r->coverage);
    fprintf (out, "  \"report_reach_scope_ms\": {\"p50\": %llu, \"p99\": %llu, \"max\": %llu},\n",
             (unsigned long long) r->reach_p50_ms, (unsigned long long) r->reach_p99_ms,
             (unsigned long long) r->reach_max_ms);
    fprintf (out, "  \"load_per_validator\": {\"msgs_per_s\": {\"mean\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
             "\"bytes_per_s\": {\"mean\": %.1f, \"p99\": %.1f, \"max\": %.1f}, \"probes_per_s\": %.4f},\n",
             r->msgs_mean, r->msgs_p99, r->msgs_max, r->bytes_mean, r->bytes_p99, r->bytes_max, r->probes_mean);
    fprintf (out, "  \"rounds\": {\"opened\": %llu, \"down\": %llu, \"up\": %llu, \"failed\": %llu},\n",
             (unsigned long long) r->rounds_opened, (unsigned long long) r->rounds_down,
             (unsigned long long) r->rounds_up, (unsigned long long) r->rounds_failed);
    fprintf (out, "  \"false_incident_detail\": [");
    for (uint32_t i = 0; i < r->n_false_detail; i++) {
        const nines_des_false_t *f = &r->false_detail [i];
        char hex [2 * NINES_ID_BYTES + 1];
        for (int k = 0; k < NINES_ID_BYTES; k++)
            snprintf (hex + 2 * k, 3, "%02x", f->pod_id [k]);
        fprintf (out, "%s\n    {\"pod\": %u, \"pod_id\": \"%s\", \"start_ms\": %llu, \"end_ms\": %llu, "
                 "\"duration_ms\": %llu, \"open\": %s, \"slash\": %llu}", i ? "," : "", f->pod, hex,
                 (unsigned long long) f->start_ms, (unsigned long long) f->end_ms,
                 (unsigned long long) (f->end_ms - f->start_ms), f->open ? "true" : "false",
                 (unsigned long long) f->slash);
    }
    fprintf (out, "%s],\n  \"false_incident_slash\": %llu,\n", r->n_false_detail ? "\n  " : "",
             (unsigned long long) r->false_slash);
    fprintf (out, "  \"lossy_votes\": {\"all\": %llu, \"down\": %llu, \"abstain\": %llu},\n",
             (unsigned long long) r->lossy_votes, (unsigned long long) r->lossy_votes_down,
             (unsigned long long) r->lossy_votes_abstain);
    fprintf (out, "  \"votes_down\": %llu,\n  \"votes_abstain\": %llu,\n  \"confirms_resent\": %llu,\n",
             (unsigned long long) r->votes_down, (unsigned long long) r->votes_abstain,
             (unsigned long long) r->confirms_resent);
    fprintf (out, "  \"votes\": %llu,\n  \"msgs_rejected\": %llu,\n  \"evidence\": %llu,\n  \"evidence_submissions\": %llu,\n",
             (unsigned long long) r->votes, (unsigned long long) r->msgs_bad,
             (unsigned long long) r->evidence, (unsigned long long) r->submissions);
    fprintf (out, "  \"equivocators\": %u,\n  \"equivocators_proven\": %u,\n  \"misbehaviour_proofs\": %llu,\n"
             "  \"false_accusations\": %u,\n", r->equivocators, r->equivocators_proven,
             (unsigned long long) r->misbehaviour_reports, r->false_accusations);
    fprintf (out, "  \"events\": %llu\n}\n", (unsigned long long) r->events);
}

void
nines_des_config_default (nines_des_config_t *cfg)
{
    memset (cfg, 0, sizeof *cfg);
    snprintf (cfg->name, sizeof cfg->name, "des");
    cfg->seed = 1;
    cfg->duration_ms = 60000;
    cfg->validators = 100;
    cfg->pods = 1000;
    cfg->providers = 10;
    cfg->stake = 1000000;
    cfg->pod_stake = 1000000;
    nines_params_default (&cfg->params);
    cfg->latency_ms = 20;
    cfg->jitter_ms = 5;
    cfg->app_ms = 5;
    cfg->report_scope = NINES_SCOPE_COMMITTEE;
}

static uint32_t
s_scale (uint32_t count, uint32_t from, uint32_t to)
{
    if (!from || from == to || !count)
        return count;
    uint64_t c = ((uint64_t) count * to + from / 2) / from;
    return (uint32_t) (c ? c : 1);
}

void
nines_des_config_scale (nines_des_config_t *cfg, uint32_t validators, uint32_t pods)
{
    uint32_t v0 = cfg->validators, p0 = cfg->pods;
    if (validators && validators != v0) {
        cfg->always_down = s_scale (cfg->always_down, v0, validators);
        cfg->always_up = s_scale (cfg->always_up, v0, validators);
        cfg->silent = s_scale (cfg->silent, v0, validators);
        cfg->equivocate = s_scale (cfg->equivocate, v0, validators);
        uint32_t adv = cfg->always_down + cfg->always_up + cfg->silent + cfg->equivocate;
        if (adv > validators)
            cfg->always_down -= adv - validators < cfg->always_down ? adv - validators : cfg->always_down;
        cfg->validators = validators;
    }
    if (pods && pods != p0)
        cfg->pods = pods;
    for (size_t i = 0; i < cfg->n_faults; i++) {
        nines_des_fault_t *f = &cfg->faults [i];
        bool on_pods = nines_fault_is_pod_fault ((nines_fault_kind_t) f->kind);
        uint32_t from = on_pods ? p0 : v0, to = on_pods ? cfg->pods : cfg->validators;
        if (f->count > 1)
            f->count = s_scale (f->count, from, to);
        if (from && to != from)
            f->index = (uint32_t) ((uint64_t) f->index * to / from);
    }
}

/*  A des-only key of the i-th fault section (NULL when absent). */
static const char *
s_fault_key (const nines_scenario_t *sc, size_t i, const char *key)
{
    zconfig_t *root = sc->config ? nines_config_zconfig (sc->config) : NULL;
    size_t k = 0;
    for (zconfig_t *s = root ? zconfig_child (root) : NULL; s; s = zconfig_next (s))
        if (strcmp (zconfig_name (s), "fault") == 0 && k++ == i)
            return zconfig_get (s, key, NULL);
    return NULL;
}

int
nines_des_config_from_scenario (nines_des_config_t *cfg, const nines_scenario_t *sc,
                                char *err, size_t err_size)
{
    nines_des_config_default (cfg);
    snprintf (cfg->name, sizeof cfg->name, "%s", sc->name);
    cfg->seed = sc->seed;
    cfg->duration_ms = sc->duration_ms;
    cfg->validators = sc->validators;
    cfg->pods = sc->pods;
    cfg->providers = sc->providers;
    cfg->stake = sc->stake;
    cfg->pod_stake = sc->pod_stake;
    cfg->params = sc->params;
    cfg->latency_ms = sc->latency_ms;
    cfg->jitter_ms = sc->jitter_ms;
    cfg->loss_ppm = sc->loss_ppm;
    cfg->probe_loss_ppm = sc->loss_ppm;
    cfg->always_down = sc->always_down;
    cfg->always_up = sc->always_up;
    cfg->silent = sc->silent;
    cfg->equivocate = sc->equivocate;
    zconfig_t *root = sc->config ? nines_config_zconfig (sc->config) : NULL;
    zconfig_t *net = root ? zconfig_locate (root, "network") : NULL;
    const char *pl = net ? zconfig_get (net, "probe_loss", NULL) : NULL;
    if (pl && nines_parse_ppm (pl, &cfg->probe_loss_ppm)) {
        snprintf (err, err_size, "%s: network/probe_loss: expected a fraction in 0..1, got '%s'", sc->path, pl);
        return NINES_ECONFIG;
    }
    /* Bursty and one-direction loss (des only). */
    const struct { const char *key; uint32_t *ppm; uint64_t *ms; } keys [] = {
        { "burst_loss", &cfg->burst_loss_ppm, NULL }, { "burst_good", NULL, &cfg->burst_good_ms },
        { "burst_bad", NULL, &cfg->burst_bad_ms }, { "lossy_loss", &cfg->lossy_loss_ppm, NULL } };
    for (size_t k = 0; k < sizeof keys / sizeof keys [0]; k++) {
        const char *v = net ? zconfig_get (net, keys [k].key, NULL) : NULL;
        if (v && keys [k].ppm && nines_parse_ppm (v, keys [k].ppm)) {
            snprintf (err, err_size, "%s: network/%s: expected a fraction in 0..1, got '%s'", sc->path,
                      keys [k].key, v);
            return NINES_ECONFIG;
        }
        if (v && keys [k].ms && nines_parse_duration_ms (v, keys [k].ms)) {
            snprintf (err, err_size, "%s: network/%s: expected a duration such as 2s, got '%s'", sc->path,
                      keys [k].key, v);
            return NINES_ECONFIG;
        }
    }
    if ((cfg->burst_good_ms == 0) != (cfg->burst_bad_ms == 0)) {
        snprintf (err, err_size, "%s: network/burst_good: expected burst_good and burst_bad both or neither, "
                  "got only one", sc->path);
        return NINES_ECONFIG;
    }
    const char *lv = net ? zconfig_get (net, "lossy_validators", NULL) : NULL;
    uint64_t nlossy = 0;
    if (lv && (nines_parse_u64 (lv, &nlossy) || nlossy > sc->validators)) {
        snprintf (err, err_size, "%s: network/lossy_validators: expected 0..%u, got '%s'", sc->path,
                  sc->validators, lv);
        return NINES_ECONFIG;
    }
    cfg->lossy_validators = (uint32_t) nlossy;
    const char *dir = net ? zconfig_get (net, "lossy_direction", NULL) : NULL;
    if (dir) {
        if (strcmp (dir, "both") == 0)
            cfg->lossy_direction = NINES_DES_LOSS_BOTH;
        else
        if (strcmp (dir, "out") == 0)
            cfg->lossy_direction = NINES_DES_LOSS_OUT;
        else
        if (strcmp (dir, "in") == 0)
            cfg->lossy_direction = NINES_DES_LOSS_IN;
        else {
            snprintf (err, err_size, "%s: network/lossy_direction: expected both, out or in, got '%s'", sc->path, dir);
            return NINES_ECONFIG;
        }
    }
    const char *scope = net ? zconfig_get (net, "report_scope", NULL) : NULL;
    if (scope && nines_report_scope_parse (scope, &cfg->report_scope)) {
        snprintf (err, err_size, "%s: network/report_scope: expected all or committee, got '%s'", sc->path, scope);
        return NINES_ECONFIG;
    }
    if (sc->n_faults > NINES_DES_FAULTS_MAX) {
        snprintf (err, err_size, "%s: fault: expected at most %d faults in des mode, got %zu", sc->path,
                  NINES_DES_FAULTS_MAX, sc->n_faults);
        return NINES_ECONFIG;
    }
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        if (nines_fault_run_only (f->kind)) {
            snprintf (err, err_size, "%s: fault[%zu]/kind: expected a fault des plays, got '%s' "
                      "(it acts on the real ledger: use nines-sim run)", sc->path, i, nines_fault_kind_name (f->kind));
            return NINES_ECONFIG;
        }
        nines_des_fault_t *g = &cfg->faults [cfg->n_faults++];
        memset (g, 0, sizeof *g);
        g->kind = f->kind;
        g->at_ms = f->at_ms;
        bool on_pods = nines_fault_is_pod_fault (f->kind);
        g->index = on_pods ? f->pod : f->validator;
        g->count = f->kind == NINES_FAULT_CORRELATED ? f->count : 1;
        g->duration_ms = f->duration_ms;
        g->down_ms = f->down_ms;
        g->up_ms = f->up_ms;
        g->flaps = f->flaps;
        const char *targets = s_fault_key (sc, i, "targets");
        const char *spread = s_fault_key (sc, i, "spread");
        const char *partition = s_fault_key (sc, i, "partition");
        uint64_t v = 0;
        if (targets && (nines_parse_u64 (targets, &v) || v < 1 || v > NINES_SCENARIO_MAX_NODES)) {
            snprintf (err, err_size, "%s: fault[%zu]/targets: expected 1..%d, got '%s'", sc->path, i,
                      NINES_SCENARIO_MAX_NODES, targets);
            return NINES_ECONFIG;
        }
        if (targets)
            g->count = (uint32_t) v;
        if (spread && nines_parse_duration_ms (spread, &g->spread_ms)) {
            snprintf (err, err_size, "%s: fault[%zu]/spread: expected a duration such as 10m, got '%s'",
                      sc->path, i, spread);
            return NINES_ECONFIG;
        }
        if (partition && (strcmp (partition, "0") && strcmp (partition, "1"))) {
            snprintf (err, err_size, "%s: fault[%zu]/partition: expected 0 or 1, got '%s'", sc->path, i, partition);
            return NINES_ECONFIG;
        }
        g->partition = partition && strcmp (partition, "1") == 0;
        if (g->partition && f->kind != NINES_FAULT_VALIDATOR_ISOLATE) {
            snprintf (err, err_size, "%s: fault[%zu]/partition: expected only in a validator_isolate fault, got '%s'",
                      sc->path, i, partition);
            return NINES_ECONFIG;
        }
    }
    return 0;
}

/*  ---- command line ---- */

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: nines-sim des SCENARIO [--seed N] [--validators N] [--pods M] [--duration T]\n"
        "                  [--report-scope all|committee] [--sweep N1,N2,...] [--out DIR] [-v]\n"
        "  Runs the scenario on N real protocol engines over a virtual clock.\n"
        "  --validators/--pods scale the scenario (adversaries and multi-target\n"
        "  faults keep their share); --sweep runs it at each N (pods in the\n"
        "  scenario's ratio unless --pods) and prints the load per validator\n"
        "  against N; --out DIR writes DIR/result.json (and\n"
        "  DIR/sweep.json).  Same scenario and seed give a byte-identical result.json.\n"
        "  --report-scope (default committee, or the scenario's network/report_scope):\n"
        "  push each quorum report to the pod's committee only, or to every validator.\n");
}

static long
s_peak_rss_mb (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static void
s_print (const nines_des_result_t *r, double wall)
{
    printf ("des %s: %u validators, %u pods, %.0fs simulated in %.1fs wall (peak RSS %ld MB)\n",
            r->name, r->validators, r->pods, (double) r->duration_ms / 1000.0, wall, s_peak_rss_mb ());
    printf ("  outages %u (detectable %u): detected %u, missed %u; incidents %u, false %u, correlated %u\n",
            r->outages, r->outages_detectable, r->detected, r->missed, r->incidents, r->false_incidents,
            r->correlated);
    printf ("  detection latency p50 %.1fs p90 %.1fs p99 %.1fs max %.1fs; recovery p50 %.1fs\n",
            r->latency_p50_ms / 1000.0, r->latency_p90_ms / 1000.0, r->latency_p99_ms / 1000.0,
            r->latency_max_ms / 1000.0, r->recovery_p50_ms / 1000.0);
    printf ("  reports %u (scope %s), reached their whole scope %u of %u, reach p50 %llums p99 %llums, coverage %.4f\n",
            r->reports, nines_report_scope_name (r->report_scope),
            r->reports_everywhere, r->reports_spread, (unsigned long long) r->reach_p50_ms,
            (unsigned long long) r->reach_p99_ms, r->coverage);
    printf ("  load per validator: %.2f msg/s (p99 %.2f), %.0f B/s (p99 %.0f), %.3f probes/s\n",
            r->msgs_mean, r->msgs_p99, r->bytes_mean, r->bytes_p99, r->probes_mean);
    printf ("  rounds %llu (down %llu, up %llu, failed %llu), votes %llu (down %llu, abstain %llu), "
            "confirms re-sent %llu; equivocators %u proven %u; false accusations %u\n",
            (unsigned long long) r->rounds_opened, (unsigned long long) r->rounds_down,
            (unsigned long long) r->rounds_up, (unsigned long long) r->rounds_failed,
            (unsigned long long) r->votes, (unsigned long long) r->votes_down,
            (unsigned long long) r->votes_abstain, (unsigned long long) r->confirms_resent,
            r->equivocators, r->equivocators_proven, r->false_accusations);
    fflush (stdout);
}

/*  mkdir -p for one level below an existing parent is enough here. */
static int
s_mkdir (const char *dir)
{
    if (mkdir (dir, 0755) && errno != EEXIST) {
        fprintf (stderr, "nines-sim des: %s: %s\n", dir, strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_write_result (const char *dir, const char *file, const nines_des_result_t *r)
{
    char path [4096];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen (path, "w");
    if (!f) {
        fprintf (stderr, "nines-sim des: %s: %s\n", path, strerror (errno));
        return -1;
    }
    nines_des_result_json (r, f);
    return fclose (f) ? -1 : 0;
}

/*  Expectations of the scenario that still mean something at the size
    run: counts only when the size is the scenario's own. */
static int
s_expect (const nines_scenario_t *sc, const nines_des_result_t *r, bool scaled)
{
    int failed = 0;
    const nines_expect_t *e = &sc->expect;
    if (e->has_incidents && !scaled && r->detected != e->incidents) {
        printf ("  EXPECT incidents = %u, got %u\n", e->incidents, r->detected);
        failed = 1;
    }
    if (e->has_false_incidents && r->false_incidents > e->false_incidents) {
        printf ("  EXPECT false_incidents <= %u, got %u\n", e->false_incidents, r->false_incidents);
        failed = 1;
    }
    if (e->has_correlated && !scaled && r->correlated != e->correlated) {
        printf ("  EXPECT correlated = %u, got %u\n", e->correlated, r->correlated);
        failed = 1;
    }
    if (e->has_max_latency && r->latency_max_ms > e->max_latency_ms) {
        printf ("  EXPECT max_latency <= %llums, got %llums\n", (unsigned long long) e->max_latency_ms,
                (unsigned long long) r->latency_max_ms);
        failed = 1;
    }
    /* des-only: p99_latency, missed (at most), coverage (at least),
       lossy_votes_down (at most) and lossy_abstains (at least). */
    zconfig_t *root = sc->config ? nines_config_zconfig (sc->config) : NULL;
    zconfig_t *ex = root ? zconfig_locate (root, "expect") : NULL;
    const char *v = ex ? zconfig_get (ex, "p99_latency", NULL) : NULL;
    uint64_t n = 0;
    if (v && (nines_parse_duration_ms (v, &n) || r->latency_p99_ms > n)) {
        printf ("  EXPECT p99_latency <= %s, got %llums\n", v, (unsigned long long) r->latency_p99_ms);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "missed", NULL) : NULL;
    if (v && (nines_parse_u64 (v, &n) || r->missed > n)) {
        printf ("  EXPECT missed <= %s, got %u\n", v, r->missed);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "coverage", NULL) : NULL;
    uint32_t ppm = 0;
    if (v && (nines_parse_ppm (v, &ppm) || r->coverage * 1e6 < ppm)) {
        printf ("  EXPECT coverage >= %s, got %.4f\n", v, r->coverage);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "lossy_votes_down", NULL) : NULL;
    if (v && (nines_parse_u64 (v, &n) || r->lossy_votes_down > n)) {
        printf ("  EXPECT lossy_votes_down <= %s, got %llu\n", v, (unsigned long long) r->lossy_votes_down);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "lossy_abstains", NULL) : NULL;
    if (v && (nines_parse_u64 (v, &n) || r->lossy_votes_abstain < n)) {
        printf ("  EXPECT lossy_abstains >= %s, got %llu\n", v, (unsigned long long) r->lossy_votes_abstain);
        failed = 1;
    }
    return failed;
}

int
nines_sim_des_main (int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *sweep = NULL;
    uint64_t seed = 0, duration = 0, validators = 0, pods = 0;
    bool has_seed = false, verbose = false, has_scope = false;
    uint32_t scope = NINES_SCOPE_COMMITTEE;
    int i = argc > 0 && strcmp (argv [0], "des") == 0 ? 1 : 0;
    for (; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        bool bad = false;
        if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        else
        if (strcmp (a, "-v") == 0)
            verbose = true;
        else
        if (strcmp (a, "--seed") == 0 && v) {
            bad = nines_parse_u64 (v, &seed) != 0;
            has_seed = true;
            i++;
        }
        else
        if (strcmp (a, "--validators") == 0 && v) {
            bad = nines_parse_u64 (v, &validators) != 0 || validators < 1 || validators > NINES_SCENARIO_MAX_NODES;
            i++;
        }
        else
        if (strcmp (a, "--pods") == 0 && v) {
            bad = nines_parse_u64 (v, &pods) != 0 || pods < 1 || pods > NINES_SCENARIO_MAX_NODES;
            i++;
        }
        else
        if (strcmp (a, "--duration") == 0 && v) {
            bad = nines_parse_duration_ms (v, &duration) != 0 || duration == 0;
            i++;
        }
        else
        if (strcmp (a, "--report-scope") == 0 && v) {
            bad = nines_report_scope_parse (v, &scope) != 0;
            has_scope = true;
            i++;
        }
        else
        if (strcmp (a, "--sweep") == 0 && v)
            sweep = argv [++i];
        else
        if (strcmp (a, "--out") == 0 && v)
            out = argv [++i];
        else
        if (a [0] != '-' && !path)
            path = a;
        else
            bad = true;
        if (bad) {
            fprintf (stderr, "nines-sim des: bad argument '%s'%s%s\n", a, v ? " " : "", v ? v : "");
            s_usage (stderr);
            return 2;
        }
    }
    if (!path) {
        s_usage (stderr);
        return 2;
    }
    char err [1024];
    nines_scenario_t *sc = nines_scenario_load (path, err, sizeof err);
    if (!sc) {
        fprintf (stderr, "nines-sim: %s\n", err);
        return 2;
    }
    nines_des_config_t *base = malloc (sizeof *base);
    if (!base || nines_des_config_from_scenario (base, sc, err, sizeof err)) {
        if (base)
            fprintf (stderr, "nines-sim: %s\n", err);
        free (base);
        nines_scenario_destroy (&sc);
        return 2;
    }
    if (has_seed)
        base->seed = seed;
    if (has_scope)
        base->report_scope = scope;
    if (duration)
        base->duration_ms = duration;
    int rc = 0;
    if (out && s_mkdir (out))
        rc = 2;
    nines_des_config_t *cfg = malloc (sizeof *cfg);
    nines_des_result_t res;
    if (!rc && !sweep) {
        *cfg = *base;
        nines_des_config_scale (cfg, (uint32_t) validators, (uint32_t) pods);
        double t = s_wall ();
        int r = nines_des_run (cfg, &res, verbose ? stderr : NULL);
        if (r) {
            fprintf (stderr, "nines-sim des: %s: %s\n", path, r == NINES_EINVAL ? "impossible configuration"
                     : "out of memory");
            rc = 1;
        }
        else {
            s_print (&res, s_wall () - t);
            bool scaled = cfg->validators != sc->validators || cfg->pods != sc->pods;
            rc = s_expect (sc, &res, scaled);
            if (out && s_write_result (out, "result.json", &res))
                rc = 1;
        }
    }
    else
    if (!rc) {
        char path_json [4096];
        FILE *sj = NULL;
        if (out) {
            snprintf (path_json, sizeof path_json, "%s/sweep.json", out);
            sj = fopen (path_json, "w");
            if (sj)
                fprintf (sj, "{\n  \"scenario\": \"%s\",\n  \"sweep\": [\n", base->name);
        }
        printf ("%8s %12s %12s %10s %10s %10s %10s\n", "N", "msg/s/node", "B/s/node", "probes/s",
                "p50 lat s", "reach p99", "wall s");
        char *list = strdup (sweep), *save = NULL;
        bool first = true;
        for (char *tok = strtok_r (list, ",", &save); tok && !rc; tok = strtok_r (NULL, ",", &save)) {
            uint64_t n = 0;
            if (nines_parse_u64 (tok, &n) || n < 1 || n > NINES_SCENARIO_MAX_NODES) {
                fprintf (stderr, "nines-sim des: --sweep: expected sizes like 1000,3000,10000, got '%s'\n", tok);
                rc = 2;
                break;
            }
            /* Without --pods the pods grow with N (the scenario's ratio), so
               every size has the same probes per validator. */
            uint64_t m = pods ? pods : (uint64_t) base->pods * n / (base->validators ? base->validators : 1);
            *cfg = *base;
            nines_des_config_scale (cfg, (uint32_t) n, (uint32_t) (m ? m : 1));
            double t = s_wall ();
            if (nines_des_run (cfg, &res, verbose ? stderr : NULL)) {
                rc = 1;
                break;
            }
            printf ("%8u %12.3f %12.1f %10.4f %10.1f %10llu %10.1f\n", res.validators, res.msgs_mean,
                    res.bytes_mean, res.probes_mean, res.latency_p50_ms / 1000.0,
                    (unsigned long long) res.reach_p99_ms, s_wall () - t);
            fflush (stdout);
            if (sj) {
                fprintf (sj, "%s    {\"validators\": %u, \"pods\": %u, \"msgs_per_s\": %.3f, "
                         "\"bytes_per_s\": %.1f, \"probes_per_s\": %.4f, \"latency_p50_ms\": %llu, "
                         "\"reach_p99_ms\": %llu, \"false_incidents\": %u}", first ? "" : ",\n",
                         res.validators, res.pods, res.msgs_mean, res.bytes_mean, res.probes_mean,
                         (unsigned long long) res.latency_p50_ms, (unsigned long long) res.reach_p99_ms,
                         res.false_incidents);
                char file [64];
                snprintf (file, sizeof file, "result-%u.json", res.validators);
                s_write_result (out, file, &res);
            }
            first = false;
        }
        free (list);
        if (sj) {
            fprintf (sj, "\n  ]\n}\n");
            fclose (sj);
        }
    }
    free (cfg);
    free (base);
    nines_scenario_destroy (&sc);
    return rc;
}
