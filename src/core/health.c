/*  The engine's self-health: a ring of the latest heartbeat outcomes per
    pod, and the verdict "degraded" that holds back down votes.  See
    engine_state.h. */
#include "core/engine_state.h"
#include <string.h>

/*  ---- self-health ---- */

/*  Degraded when most of the distinct pods recently probed failed at
    their latest heartbeat, and at least health_min_pods of them: one pod
    down is that pod's problem, many at once is ours (Gatus's connectivity
    check, Storj's batch discard).  Pods, not heartbeats: a pod reported
    down is retried and probed every down_probe_ms, so counting heartbeats
    would let a few outages pass for our own.  The window holds only pods
    not reported down (engine_health_record, engine_health_forget). */
static void
s_health_verdict (nines_engine_t *self)
{
    size_t w = self->cfg.health_window;
    uint64_t keys [NINES_HEALTH_MAX];
    size_t pods = 0, failing = 0;
    for (size_t k = 0, i = self->health_at; k < self->health_n; k++) {
        i = i ? i - 1 : w - 1;                              /* newest first */
        keys [k] = self->health_keys [i];
        bool seen = false;
        for (size_t l = 0; l < k && !seen; l++)
            seen = keys [l] == keys [k];
        if (seen)
            continue;                   /* an older outcome of a pod counted already */
        pods++;
        failing += self->health_fail [i];
    }
    self->stats.degraded = failing >= self->cfg.health_min_pods
        && failing * 1000000 >= (uint64_t) self->cfg.health_fail_ppm * pods;
}

void
engine_health_record (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], bool failed)
{
    size_t w = self->cfg.health_window;
    memcpy (&self->health_keys [self->health_at], pod, 8);
    self->health_fail [self->health_at] = failed;
    self->health_at = (self->health_at + 1) % w;
    if (self->health_n < w)
        self->health_n++;
    s_health_verdict (self);
}

/*  A quorum reported pod down: its outage is the pod's, not ours, so the
    heartbeats recorded before the report leave the window (later ones
    are never recorded while it is down).  Otherwise each reported outage
    would linger as a failure until health_window newer heartbeats pushed
    it out, and the next independent outage would make us doubt our own
    network (issue 11: the third of 4 pods reported 15-22 s late). */
void
engine_health_forget (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES])
{
    size_t w = self->cfg.health_window, kept = 0;
    uint64_t key;
    memcpy (&key, pod, 8);
    for (size_t k = 0, i = (self->health_at + w - self->health_n) % w; k < self->health_n; k++, i = (i + 1) % w)
        if (self->health_keys [i] != key) {                 /* oldest first, compacted */
            self->health_keys [kept] = self->health_keys [i];
            self->health_fail [kept] = self->health_fail [i];
            kept++;
        }
    if (kept == self->health_n)
        return;
    self->health_n = kept;
    self->health_at = kept % w;
    s_health_verdict (self);
}
