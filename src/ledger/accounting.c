/*  Incident accounting over the ledger's cache: pieces, merged incidents
    (the merge and correlation rules of src/proto/incident.c),
    settlement of slashes.  See ledger.h for the rules. */
#include "ledger/ledger_private.h"
#include "proto/incident.h"
#include "proto/slash.h"
#include "base/log.h"
#include <stdlib.h>
#include <string.h>

/*  ---- accounting ---- */

/*  Effective downtime of [a, b) for a pod: clipped at paid_until, minus
    honoured maintenance (windows never overlap each other). */
uint64_t
ledger_effective (const nines_pod_info_t *pod, uint64_t a, uint64_t b)
{
    if (pod->paid_until_ms && b > pod->paid_until_ms)
        b = pod->paid_until_ms;
    if (b <= a)
        return 0;
    uint64_t d = b - a;
    for (size_t i = 0; i < pod->n_maint && i < NINES_MAINT_MAX; i++) {
        uint64_t lo = a > pod->maint [i].start_ms ? a : pod->maint [i].start_ms;
        uint64_t hi = b < pod->maint [i].end_ms ? b : pod->maint [i].end_ms;
        if (hi > lo)
            d -= hi - lo;
    }
    return d;
}

/*  Index range [*lo, *hi) of a pod's raw incidents. */
void
ledger_pod_range (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], size_t *lo, size_t *hi)
{
    size_t i = 0;
    while (i < self->n_raws && memcmp (self->raws [i].pod, pod, NINES_ID_BYTES) < 0)
        i++;
    *lo = i;
    while (i < self->n_raws && memcmp (self->raws [i].pod, pod, NINES_ID_BYTES) == 0)
        i++;
    *hi = i;
}

/*  Walk a pod's raw incidents [lo, hi) in order, with the end of each:
    its UP, else the earliest UP of the pod at or after its DOWN, else
    (open) the latest instant evidence proves the pod down, the largest
    t_down of the pod's DOWN reports (the committee re-confirms an outage
    by a new DOWN round every down_confirm_ms, PROTOCOL.md), never the
    ledger's clock: time the ledger could not see, its own downtime
    included, is never charged.
    Raw incidents form chains: one whose DOWN falls inside an earlier one
    of the pod (before its end, or while it is open) continues that outage
    (a re-confirmation or a parallel round) and takes the correlated flag
    of the raw incident that started it.  cont (may be NULL) gets, per raw
    index, whether it continues one; fn (may be NULL) gets each raw's end
    and effective flag.  O(k log k) for k raw incidents.  NINES_ENOMEM
    (nothing called) when the scratch cannot grow. */
typedef void (chain_fn) (void *arg, size_t raw, uint64_t end, bool open, bool correlated);
static int
s_chains (nines_ledger_t *self, size_t lo, size_t hi, bool *cont, chain_fn *fn, void *arg)
{
    if (!ledger_grow ((void **) &self->ups, &self->cap_ups, hi - lo + 1, sizeof *self->ups))
        return NINES_ENOMEM;
    size_t n_up = 0, u = 0;
    for (size_t i = lo; i < hi; i++)
        if (self->raws [i].has_up)
            self->ups [n_up++] = self->raws [i].t_up;
    qsort (self->ups, n_up, sizeof *self->ups, nines_cmp_u64);
    uint64_t chain_end = 0, latest = hi > lo ? self->raws [hi - 1].t_down : 0;
    bool chain = false, chain_open = false, chain_corr = false;
    for (size_t i = lo; i < hi; i++) {
        const raw_t *r = &self->raws [i];
        while (u < n_up && self->ups [u] < r->t_down)
            u++;                        /* DOWNs come in order: the earliest UP after moves forward */
        bool open = !r->has_up && u == n_up;
        uint64_t end = r->has_up ? r->t_up : u < n_up ? self->ups [u] : latest;
        bool c = chain && (chain_open || r->t_down < chain_end);
        if (!c) {
            chain_corr = r->correlated;
            chain_end = end;
            chain_open = open;
        }
        else {
            if (end > chain_end)
                chain_end = end;
            chain_open = chain_open || open;
        }
        chain = true;
        if (cont)
            cont [i] = c;
        if (fn)
            fn (arg, i, end, open, c ? chain_corr : r->correlated);
    }
    return NINES_OK;
}

/*  Call fn for each disjoint downtime piece [a, b) of the pod (the union
    of its uncorrelated raw incidents, in order), with the raw index.
    Returns the number of pieces. */
typedef struct {
    nines_ledger_t *self;               /* ledger */
    piece_fn *fn;                       /* per piece */
    void *arg;                          /* its argument */
    uint64_t cover;                     /* end of the union so far */
    size_t n;                           /* pieces */
} pieces_ctx_t;

static void
s_piece_of_chain (void *arg, size_t i, uint64_t end, bool open, bool correlated)
{
    pieces_ctx_t *c = arg;
    if (correlated)
        return;
    uint64_t t_down = c->self->raws [i].t_down;
    uint64_t a = t_down > c->cover ? t_down : c->cover;
    c->fn (c->arg, i, a, end > a ? end : a, open);
    if (end > c->cover)
        c->cover = end;
    c->n++;
}

size_t
ledger_pieces (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], piece_fn *fn, void *arg)
{
    size_t lo, hi;
    ledger_pod_range (self, pod, &lo, &hi);
    pieces_ctx_t c = { self, fn, arg, 0, 0 };
    if (s_chains (self, lo, hi, NULL, s_piece_of_chain, &c))
        nines_error ("ledger: out of memory walking a pod's incidents");
    return c.n;
}

typedef struct {
    nines_ledger_t *self;               /* ledger */
    const nines_pod_info_t *pod;        /* pod */
    size_t n;                           /* groups so far */
    uint64_t cover;                     /* end of the current group's last piece */
    bool ok;                            /* no allocation failure */
} group_ctx_t;

static void
s_group_piece (void *arg, size_t raw, uint64_t a, uint64_t b, bool open)
{
    group_ctx_t *g = arg;
    nines_ledger_t *self = g->self;
    const nines_params_t *p = &self->reg->params;
    const raw_t *r = &self->raws [raw];
    group_t *cur = g->n ? &self->groups [g->n - 1] : NULL;
    if (cur) {
        if (r->t_down >= g->cover && r->t_down - g->cover >= nines_merge_gap_ms (p, cur->duration))
            cur = NULL;
    }
    if (!cur) {
        if (!ledger_grow ((void **) &self->groups, &self->cap_groups, g->n + 1, sizeof (group_t))) {
            g->ok = false;
            return;
        }
        cur = &self->groups [g->n++];
        memset (cur, 0, sizeof *cur);
        memcpy (cur->rid, r->rid, NINES_HASH_BYTES);
        cur->t_down = r->t_down;
    }
    cur->duration += ledger_effective (g->pod, a, b);
    const paid_t *paid = ledger_paid (self, r->pod, r->rid, false);
    cur->paid += paid ? paid->paid : 0;
    cur->pieces++;
    if (b > cur->t_end)
        cur->t_end = b;
    cur->open = cur->open || open;
    if (b > g->cover)
        g->cover = b;
}

/*  Merged incidents of a pod into self->groups (they depend on the
    evidence only, not on the clock), each with what its raw incidents
    have paid; returns how many. */
size_t
ledger_groups (nines_ledger_t *self, const nines_pod_info_t *pod)
{
    group_ctx_t g = { self, pod, 0, 0, true };
    ledger_pieces (self, pod->pod, s_group_piece, &g);
    return g.n;
}

void
ledger_pack_incident (msgpack_packer *pk, const uint8_t pod [NINES_ID_BYTES], const group_t *g, uint64_t slashed,
                 bool correlated)
{
    msgpack_pack_map (pk, 8);
    nines_pack_kv_bin (pk, "pod", pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_down", g->t_down);
    nines_pack_kv_u64 (pk, "t_up", g->open ? 0 : g->t_end);
    nines_pack_kv_u64 (pk, "duration_ms", g->duration);
    nines_pack_kv_u64 (pk, "pieces", g->pieces);
    nines_pack_kv_u64 (pk, "slashed", slashed);
    nines_pack_kv_bool (pk, "correlated", correlated);
    nines_pack_kv_bool (pk, "open", g->open);
}

static void
s_event_incident (nines_ledger_t *self, const uint8_t pod [NINES_ID_BYTES], const group_t *g, uint64_t slashed,
                  bool correlated)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    ledger_pack_incident (&pk, pod, g, slashed, correlated);
    ledger_event (self, NINES_LEDGER_TOPIC_INCIDENT, &sb);
}

uint64_t
ledger_remaining (const nines_pod_info_t *pod, const acct_t *a)
{
    uint64_t spent = a ? a->slashed + a->fees : 0;
    return pod->stake > spent ? pod->stake - spent : 0;
}


/*  Pay what each merged incident of the pod owes at now beyond what it
    has paid (group_t.paid, the sum over its raw incidents, so that a
    merge never pays the same downtime twice: slash_for(duration) - paid,
    never negative), publishing those that paid and (announce_t !=
    NO_ANNOUNCE) the one holding the raw incident that starts at announce_t, which new
    evidence changed.  Inside the write transaction. */
int
ledger_settle (nines_ledger_t *self, const nines_pod_info_t *pod, uint64_t now, uint64_t announce_t)
{
    const nines_params_t *p = &self->reg->params;
    size_t n = ledger_groups (self, pod);
    int rc = NINES_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        const group_t *g = &self->groups [i];
        uint64_t pay = 0;
        if (g->duration >= p->grace_ms && now >= g->t_down + p->corr_window_ms) {
            uint64_t target = nines_slash_for (p, pod->stake, g->duration);
            acct_t *a = ledger_acct (self, pod->pod, false);
            uint64_t left = ledger_remaining (pod, a);
            pay = target > g->paid ? target - g->paid : 0;
            if (pay > left)
                pay = left;
        }
        if (pay) {
            /* credited to the first raw incident; g->paid sums them all */
            paid_t *paid = ledger_paid (self, pod->pod, g->rid, true);
            acct_t *a = ledger_acct (self, pod->pod, true);
            if (!paid || !a)
                return NINES_ENOMEM;
            paid->paid += pay;
            a->slashed += pay;
            uint8_t key [NINES_ID_BYTES + NINES_HASH_BYTES];
            memcpy (key, pod->pod, NINES_ID_BYTES);
            memcpy (key + NINES_ID_BYTES, g->rid, NINES_HASH_BYTES);
            uint64_t acct [2] = { a->slashed, a->fees };
            rc = ledger_put_u64s (self, "groups", key, sizeof key, &paid->paid, 1);
            if (!rc) rc = ledger_put_u64s (self, "acct", pod->pod, NINES_ID_BYTES, acct, 2);
            /* slash row: key be64(seq), value pod || rid || [t, duration, amount, total] */
            uint8_t skey [8], row [NINES_ID_BYTES + NINES_HASH_BYTES + 32];
            nines_be64 (skey, self->slash_seq++);
            memcpy (row, pod->pod, NINES_ID_BYTES);
            memcpy (row + NINES_ID_BYTES, g->rid, NINES_HASH_BYTES);
            nines_le64 (row + 64, now);
            nines_le64 (row + 72, g->duration);
            nines_le64 (row + 80, pay);
            nines_le64 (row + 88, g->paid + pay);
            if (!rc) rc = ledger_put (self, "slashes", skey, 8, row, sizeof row);
            if (!rc) rc = ledger_meta_put (self, "slash_seq", self->slash_seq);
        }
        bool holds = announce_t != NO_ANNOUNCE && g->t_down <= announce_t
                  && (i + 1 == n || self->groups [i + 1].t_down > announce_t);
        if (!rc && (pay || holds))
            s_event_incident (self, pod->pod, g, g->paid + pay, false);
    }
    return rc;
}

/*  Correlated flags of every raw incident (src/proto/incident.c): only
    DOWNs that start an outage count (cont: s_chains): a re-confirmation
    of an outage hours old is not a new failure, and takes its chain's
    flag.  flags has n_raws entries.  0 or NINES_ENOMEM. */
static int
s_correlated (nines_ledger_t *self, const bool *cont, bool *flags)
{
    nines_down_t *downs = malloc ((self->n_raws ? self->n_raws : 1) * sizeof *downs);
    bool *got = malloc ((self->n_raws ? self->n_raws : 1) * sizeof *got);
    int rc = downs && got ? NINES_OK : NINES_ENOMEM;
    size_t n = 0;
    for (size_t j = 0; !rc && j < self->n_raws; j++) {
        const raw_t *o = &self->raws [j];
        if (cont [j])
            continue;
        const nines_pod_info_t *pi = nines_registry_pod (self->reg, o->pod);
        downs [n++] = (nines_down_t) { o->t_down, o->pod, pi ? pi->provider : NULL };
    }
    if (!rc)
        rc = nines_correlate (downs, n, self->reg->n_pods, self->reg->params.corr_window_ms, got);
    for (size_t j = 0, k = 0; !rc && j < self->n_raws; j++)
        flags [j] = cont [j] ? self->raws [j].correlated : got [k++];
    free (downs);
    free (got);
    return rc;
}

/*  Re-flag raw incidents near t and settle every pod whose flags moved. */
int
ledger_reflag (nines_ledger_t *self, uint64_t t, uint64_t now)
{
    int rc = NINES_OK;
    const uint64_t window = self->reg->params.corr_window_ms;
    bool *cont = calloc (self->n_raws ? self->n_raws : 1, sizeof *cont);
    if (!cont)
        return NINES_ENOMEM;
    for (size_t lo = 0, hi; lo < self->n_raws; lo = hi) {
        for (hi = lo + 1; hi < self->n_raws && memcmp (self->raws [hi].pod, self->raws [lo].pod, NINES_ID_BYTES) == 0; hi++)
            ;
        if ((rc = s_chains (self, lo, hi, cont, NULL, NULL))) {
            free (cont);
            return rc;
        }
    }
    bool *flags = malloc ((self->n_raws ? self->n_raws : 1) * sizeof *flags);
    rc = flags ? s_correlated (self, cont, flags) : NINES_ENOMEM;
    for (size_t i = 0; !rc && i < self->n_raws; i++) {
        raw_t *r = &self->raws [i];
        if (r->t_down + window < t || r->t_down > t + window)
            continue;
        bool c = flags [i];
        if (c == r->correlated)
            continue;
        r->correlated = c;
        rc = ledger_put_raw (self, r);
        const nines_pod_info_t *pod = nines_registry_pod (self->reg, r->pod);
        if (!rc && pod) {
            group_t g = { .t_down = r->t_down, .t_end = r->has_up ? r->t_up : 0, .pieces = 1, .open = !r->has_up };
            memcpy (g.rid, r->rid, NINES_HASH_BYTES);
            s_event_incident (self, r->pod, &g, 0, c);
            rc = ledger_settle (self, pod, now, NO_ANNOUNCE);
        }
    }
    free (flags);
    free (cont);
    return rc;
}
