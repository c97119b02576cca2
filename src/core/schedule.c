/*  The engine's probe schedule: the epoch's sortition draws, retries,
    and the tick that drives them and the other parts' timers
    (nines_engine_on_tick, nines_engine_next_wakeup).  See engine_state.h. */
#include "core/engine_state.h"
#include "base/bytes.h"
#include "crypto/crypto.h"
#include <stdlib.h>
#include <string.h>

/*  ---- epochs ---- */

static int
s_cmp_u32 (const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    return x < y ? -1 : x > y;
}

/*  By instant, then pod index (a total order: runs stay deterministic). */
static int
s_cmp_sched (const void *a, const void *b)
{
    const sched_t *x = (const sched_t *) a, *y = (const sched_t *) b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return x->pod < y->pod ? -1 : x->pod > y->pod;
}

/*  A heartbeat's offset into its epoch, uniform in [0, epoch_ms): a keyed
    hash of (epoch, pod) under the engine's secret schedule key, so nobody
    else can tell when a validator will probe (a facade up only at those
    instants would pass), and a registry change that re-runs the epoch's
    schedule finds the same instants for the pods it drew before. */
static uint64_t
s_instant (const nines_engine_t *self, uint64_t epoch, const uint8_t pod [NINES_ID_BYTES], uint64_t epoch_ms)
{
    uint8_t le [8], h [NINES_HASH_BYTES];
    nines_le64 (le, epoch);
    nines_hash (h, 3, self->sched_key, (size_t) NINES_HASH_BYTES, le, sizeof le, pod, (size_t) NINES_ID_BYTES);
    return epoch_ms ? nines_hash_u64 (h) % epoch_ms : 0;
}

/*  Where an instant `at` of the epoch [start, end) that is already past at
    `now` (start <= at < now < end, ms) goes when the schedule is first
    made: [start, now) mapped linearly onto [now, end), so a validator
    that starts mid-epoch still sends each heartbeat it owes the epoch,
    in order and as unpredictably as before, at twice the density over
    what is left of it rather than all at its first tick (a restart at
    half an epoch with 10^5 pods and 20 validators: 7,500 heartbeats in
    one burst before).  The instant stays in the epoch (< end).  The
    caller's `late` (now more than a SWIM period past start) keeps the
    divisor positive. */
static uint64_t
s_late_instant (uint64_t at, uint64_t start, uint64_t now, uint64_t end)
{
    return now + (at - start) * (end - now) / (now - start);
}

/*  Hand the driver every scheduled heartbeat due within one SWIM period
    from now, each as a PROBE action whose at is its instant: the engine
    wakes at least once a period anyway, so no heartbeat costs a wakeup of
    its own (nines-sim des: 3 fewer wakeups per node per second at 10^4
    nodes), and the driver sends each at its instant. */
static void
s_probe_due (nines_engine_t *self, uint64_t now)
{
    uint64_t horizon = now + self->cfg.swim_period_ms;
    if (horizon > self->sched_horizon)
        self->sched_horizon = horizon;
    while (self->sched_next < self->n_sched && self->sched [self->sched_next].at <= horizon) {
        const sched_t *h = &self->sched [self->sched_next++];
        if (h->pod < self->reg->n_pods)
            engine_probe (self, self->reg->pods [h->pod].pod, PROBE_SCHEDULED, -1, h->at);
    }
}

/*  When the engine must wake for s_probe_due to hand the next heartbeat
    over in time: 0 (none) when no heartbeat is left or the next SWIM tick
    falls within its hand-over window, which costs no wakeup of its own;
    else the window's start. */
static uint64_t
s_probe_due_at (nines_engine_t *self)
{
    if (self->sched_next >= self->n_sched)
        return 0;
    uint64_t at = self->sched [self->sched_next].at;
    uint64_t early = at > self->cfg.swim_period_ms ? at - self->cfg.swim_period_ms : 1;
    if (self->n_members && !engine_isolated (self)) {
        uint64_t swim = self->next_swim > self->now ? self->next_swim : self->now;
        if (swim >= early && swim <= at)
            return 0;
    }
    return early;
}

/*  Sortition for the epoch: which pods we probe and when (DESIGN.md §6,
    validator-driven draws of committee.h, so the cost is the r*M/N pods
    drawn, not all M pods). */
static void
s_start_epoch (nines_engine_t *self, uint64_t epoch, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    uint64_t prev = self->epoch_started ? self->epoch : UINT64_MAX;
    bool rerun = self->epoch == epoch && self->sched_made;          /* a re-run (schedule below) */
    uint64_t handed = rerun ? self->sched_horizon : 0;
    uint64_t made = rerun ? self->sched_made : now;
    self->sched_made = made;
    self->epoch = epoch;
    self->stats.epoch = epoch;
    self->epoch_started = true;
    uint8_t seed [NINES_HASH_BYTES];
    nines_epoch_seed (seed, p->genesis_seed, epoch);
    uint64_t start = p->genesis_ms + epoch * p->epoch_ms;
    uint32_t n = (uint32_t) self->reg->n_eligible;
    uint32_t m = (uint32_t) self->reg->n_pods;
    /* The epoch's heartbeats, each at a secret instant of it (s_instant),
       sorted by instant; a pod drawn twice is probed once.  They are handed to the
       driver a SWIM period ahead (s_probe_due).  A registry change
       within the epoch re-runs this: the new draws replace the rest of
       the schedule, and instants up to what was already handed over are
       dropped, so no pod is probed twice for one instant and a change
       costs no burst of heartbeats.  A schedule first made more than a
       SWIM period into the epoch (a restart mid-epoch) spreads the
       instants already past over the rest of it (s_late_instant)
       instead of probing them all at once. */
    self->n_sched = self->sched_next = 0;
    bool all = n > 0 && p->r >= n;
    uint32_t draws = all ? m : nines_sortition_draws (seed, self->kp.pk, p->r, n, m);
    if (draws > self->cap_sched) {
        sched_t *grown = realloc (self->sched, draws * sizeof *grown);
        if (grown) {
            self->sched = grown;
            self->cap_sched = draws;
        }
    }
    /* First made more than one tick into the epoch: a start or a stall,
       not the tick that crosses into it (whose instants past are late by
       less than a SWIM period and go out at once, as they would have).
       A re-run maps the instants as the first run did. */
    bool late = made > start + self->cfg.swim_period_ms;
    uint32_t *drawn = draws <= self->cap_sched ? malloc ((draws ? draws : 1) * sizeof *drawn) : NULL;
    for (uint32_t j = 0; drawn && j < draws; j++)
        drawn [j] = all ? j : nines_sortition_pod (seed, self->kp.pk, j, m);
    if (drawn)
        qsort (drawn, draws, sizeof *drawn, s_cmp_u32);
    for (uint32_t j = 0; drawn && j < draws; j++) {
        if (j > 0 && drawn [j] == drawn [j - 1])
            continue;
        uint64_t at = start + s_instant (self, epoch, self->reg->pods [drawn [j]].pod, p->epoch_ms);
        if (at < made)
            at = late ? s_late_instant (at, start, made, start + p->epoch_ms) : made;
        if (at > handed)
            self->sched [self->n_sched++] = (sched_t) { at < now ? now : at, drawn [j] };
    }
    free (drawn);
    if (self->n_sched)
        qsort (self->sched, self->n_sched, sizeof *self->sched, s_cmp_sched);
    /* A pod reported down is probed more often by its committee of this
       epoch only: members of past committees stop, or every validator
       that ever sat on it would probe, and all of them would open an UP
       round at once when it recovers. */
    bool scoped = self->cfg.report_scope == NINES_SCOPE_COMMITTEE;
    for (size_t i = 0; i < self->n_pods; i++) {
        pod_t *pod = &self->pods [i];
        if (!pod->down)
            continue;
        bool member = nines_registry_in_committee (self->reg, pod->pod, epoch, self->kp.pk);
        /* Committee scope: the last committee hands the open DOWN report
           to the new one, and a node off the new committee forgets the
           incident (the UP report will not be sent to it). */
        if (scoped && pod->down_report && prev != UINT64_MAX && prev != epoch
        &&  nines_registry_in_committee (self->reg, pod->pod, prev, self->kp.pk))
            engine_send_held_report (self, pod->down_report, pod->down_len, NULL, pod->pod, epoch, prev);
        if (scoped && !member) {
            engine_seen_forget (self, pod->down_id);
            pod->down = false;
            free (pod->down_report);
            pod->down_report = NULL;
            pod->down_len = 0;
            pod->next_down_probe = 0;
        }
        else
        if (!member)
            pod->next_down_probe = 0;
        else
        if (!pod->next_down_probe) {
            pod->next_down_probe = now + engine_rand (self, p->down_probe_ms ? p->down_probe_ms : 1);
            POD_DUE (self, pod->next_down_probe);
        }
    }
    engine_pods_compact (self, now);
}

void
nines_engine_on_tick (nines_engine_t *self, uint64_t now)
{
    if (!self->reg)
        return;
    if (now > self->now)
        self->now = now;
    const nines_params_t *p = &self->reg->params;
    uint64_t epoch = nines_epoch_of (now, p->genesis_ms, p->epoch_ms);
    if (!self->epoch_started || epoch != self->epoch)
        s_start_epoch (self, epoch, now);
    s_probe_due (self, now);

    /* Pod timers: scanned only when the earliest is due (pods_due). */
    if (!self->pods_due || now >= self->pods_due) {
        uint64_t due = UINT64_MAX;
        for (size_t i = 0; i < self->n_pods; i++) {
            pod_t *pod = &self->pods [i];
            if (pod->retry_at && now >= pod->retry_at) {
                pod->retry_at = 0;
                if (pod->retries_left && !pod->retry_ok) {
                    pod->retries_left--;
                    pod->retries_out++;
                    engine_probe (self, pod->pod, PROBE_RETRY, -1, 0);
                }
                if (pod->retries_left && !pod->retry_ok) {
                    uint64_t slice = p->retry_delay_ms / (p->retry_attempts ? p->retry_attempts : 1);
                    pod->retry_at = now + 1 + engine_rand (self, slice ? slice : 1);
                }
            }
            if (pod->down && pod->next_down_probe && now >= pod->next_down_probe) {
                pod->next_down_probe = now + p->down_probe_ms;
                engine_probe (self, pod->pod, PROBE_DOWN, -1, 0);
            }
            if (pod->retry_at && pod->retry_at < due)
                due = pod->retry_at;
            if (pod->down && pod->next_down_probe && pod->next_down_probe < due)
                due = pod->next_down_probe;
        }
        self->pods_due = due;
    }
    for (int d = 0; d < self->duties_hi; d++)
        if (self->duties [d].used)
            engine_duty_tick (self, d, now);
    for (int i = 0; i < self->rounds_hi; i++) {
        round_t *r = &self->rounds [i];
        if (r->used && !r->done && now < r->deadline && now >= r->next_resend) {
            r->next_resend = now + p->round_timeout_ms / 5;
            engine_confirm_send (self, r, false);
        }
        if (r->used && now >= r->deadline) {
            r->used = false;
            if (r->done)
                continue;
            self->stats.rounds_failed++;
            pod_t *pod = engine_pod (self, r->pod);
            if (pod)
                pod->busy_until = 0;
        }
    }
    HI_TRIM (self->duties_hi, self->duties);
    HI_TRIM (self->rounds_hi, self->rounds);
    engine_slots_release (self);
    for (size_t i = 0; i < self->n_outbox; i++) {
        outbox_t *o = &self->outbox [i];
        if (now < o->next_at)
            continue;
        engine_outbox_action (self, o, NINES_ACT_SUBMIT);
        o->next_at = now + o->backoff;
        o->backoff = o->backoff * 2 > self->cfg.submit_backoff_max_ms
                   ? self->cfg.submit_backoff_max_ms : o->backoff * 2;
    }
    if (!engine_isolated (self))
        engine_swim_tick (self, now);
}

uint64_t
nines_engine_next_wakeup (nines_engine_t *self)
{
    if (!self->reg)
        return UINT64_MAX;
    const nines_params_t *p = &self->reg->params;
    uint64_t next = p->genesis_ms + (self->epoch + 1) * p->epoch_ms;
#define MIN_AT(t) do { uint64_t _t = (t); if (_t && _t < next) next = _t; } while (0)
    MIN_AT (s_probe_due_at (self));
    if (self->pods_due)
        MIN_AT (self->pods_due == UINT64_MAX ? 0 : self->pods_due);
    else
        for (size_t i = 0; i < self->n_pods; i++) {
            MIN_AT (self->pods [i].retry_at);
            if (self->pods [i].down)
                MIN_AT (self->pods [i].next_down_probe);
        }
    for (int d = 0; d < self->duties_hi; d++) {
        const duty_t *duty = &self->duties [d];
        if (!duty->used)
            continue;
        MIN_AT (duty->expires);
        if (!duty->voted && duty->sent < duty->planned)
            MIN_AT (duty->at [duty->sent]);
    }
    for (int i = 0; i < self->rounds_hi; i++)
        if (self->rounds [i].used) {
            MIN_AT (self->rounds [i].deadline);
            if (!self->rounds [i].done)
                MIN_AT (self->rounds [i].next_resend);
        }
    for (size_t i = 0; i < self->n_outbox; i++)
        MIN_AT (self->outbox [i].next_at);
    /* SWIM: the next protocol period and the deadlines of outstanding
       pings, exactly, so an idle node wakes about once per period. */
    if (self->n_members && !engine_isolated (self)) {
        uint64_t period = self->cfg.swim_period_ms * self->lhm;
        uint64_t ack_timeout = self->cfg.swim_ack_timeout_ms * self->lhm;
        if (self->next_swim < next)
            next = self->next_swim > self->now ? self->next_swim : self->now;
        FOR_PINGS (self, i) {
            const ping_t *ping = &self->pings [i];
            if (!ping->relay && !ping->indirect)
                MIN_AT (ping->sent + ack_timeout);
            MIN_AT (ping->sent + period);
        }
        uint64_t suspect_timeout = self->cfg.swim_suspect_periods * self->cfg.swim_period_ms;
        for (size_t k = 0; k < self->n_suspects; k++)
            MIN_AT (self->suspects [k].since + suspect_timeout);
        if (self->suspects_rescan)
            MIN_AT (self->now ? self->now : 1);
    }
#undef MIN_AT
    return next;
}
