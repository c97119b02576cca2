/*  Incident rules: see incident.h and proto/LEDGER.md. */
#include "proto/incident.h"
#include "proto/slash.h"
#include "base/error.h"
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

uint64_t
nines_merge_gap_ms (const nines_params_t *p, uint64_t duration_ms)
{
    u128 gap = (u128) p->merge_factor * duration_ms;
    if (gap < p->merge_min_ms)
        gap = p->merge_min_ms;
    if (gap > p->merge_max_ms)
        gap = p->merge_max_ms;
    return (uint64_t) gap;
}

size_t
nines_corr_need (size_t n_pods)
{
    size_t need = (size_t) (((u128) n_pods * NINES_CORR_POD_PPM + NINES_PPM - 1) / NINES_PPM);
    return need < NINES_CORR_MIN_PODS ? NINES_CORR_MIN_PODS : need;
}

typedef struct {
    uint64_t t;                     /* DOWN time */
    size_t i;                       /* index into downs */
} by_time_t;

static int
s_cmp_time (const void *a, const void *b)
{
    const by_time_t *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

static bool
s_has (const uint8_t *const *set, size_t n, const uint8_t *id)
{
    for (size_t k = 0; k < n; k++)
        if (memcmp (set [k], id, NINES_ID_BYTES) == 0)
            return true;
    return false;
}

int
nines_correlate (const nines_down_t *downs, size_t n, size_t n_pods, uint64_t window_ms,
                 bool *correlated)
{
    by_time_t *order = malloc ((n ? n : 1) * sizeof *order);
    const uint8_t **pods = malloc ((2 * n + 1) * sizeof *pods);
    if (!order || !pods) {
        free (order);
        free (pods);
        return NINES_ENOMEM;
    }
    const uint8_t **provs = pods + n;
    for (size_t i = 0; i < n; i++) {
        order [i] = (by_time_t) { downs [i].t_ms, i };
        correlated [i] = false;
    }
    qsort (order, n, sizeof *order, s_cmp_time);
    const size_t need = nines_corr_need (n_pods);
    /*  Every window [a, a + W] that starts at a DOWN's time a: its DOWNs
        are order [s, e).  A DOWN is flagged when one such window holding
        it qualifies (which is the same as: some window starting within
        W before it). */
    for (size_t s = 0, e = 0; s < n; s++) {
        if (s && order [s - 1].t == order [s].t)
            continue;                   /* same window as the previous start */
        const uint64_t a = order [s].t;
        const uint64_t end = a > UINT64_MAX - window_ms ? UINT64_MAX : a + window_ms;
        if (e < s)
            e = s;
        while (e < n && order [e].t <= end)
            e++;
        size_t np = 0, nv = 0;
        for (size_t j = s; j < e; j++) {
            const nines_down_t *d = &downs [order [j].i];
            if (s_has (pods, np, d->pod))
                continue;
            pods [np++] = d->pod;
            if (d->provider && !s_has (provs, nv, d->provider))
                provs [nv++] = d->provider;
        }
        if (np >= need && nv >= NINES_CORR_MIN_PROVIDERS)
            for (size_t j = s; j < e; j++)
                correlated [order [j].i] = true;
    }
    free (order);
    free (pods);
    return NINES_OK;
}
