/*  The engine's state and the helpers every part uses: the action FIFO,
    slot tables, the sparse pod entries, member lookup, sending a peer
    message (with piggybacked gossip) and asking for a heartbeat.  See
    engine_state.h; nothing here calls a part above it. */
#include "core/engine_state.h"
#include "base/grow.h"
#include <stdlib.h>
#include <string.h>

/*  ---- small helpers ---- */

uint64_t
engine_rand (nines_engine_t *self, uint64_t bound)
{
    return nines_rng_uniform (&self->rng, bound);
}

nines_action_t *
engine_push (nines_engine_t *self, int type)
{
    if (self->act_tail - self->act_head == self->act_cap) {
        size_t cap = self->act_cap ? self->act_cap * 2 : 64;
        nines_action_t *grown = calloc (cap, sizeof *grown);
        if (!grown)
            return NULL;
        for (size_t i = self->act_head; i < self->act_tail; i++)
            grown [i - self->act_head] = self->actions [i % self->act_cap];
        self->act_tail -= self->act_head;
        self->act_head = 0;
        free (self->actions);
        self->actions = grown;
        self->act_cap = cap;
    }
    nines_action_t *a = &self->actions [self->act_tail++ % self->act_cap];
    memset (a, 0, sizeof *a);
    a->type = type;
    a->at = self->now;              /* due now; a PROBE handed over ahead says later */
    return a;
}

/*  Index of a free slot in a table whose entries start with a bool "used",
    grown on demand (doubling, new slots zeroed) up to max entries; -1 when
    full or out of memory.  Indexes stay valid across growth, pointers do
    not. */
int
engine_free_slot (void **table, int *cap, int max, size_t size)
{
    char *t = *table;
    for (int i = 0; i < *cap; i++)
        if (!*(const bool *) (t + (size_t) i * size))
            return i;
    if (*cap >= max)
        return -1;
    int grown_cap = *cap ? 2 * *cap : 4;
    if (grown_cap > max)
        grown_cap = max;
    char *grown = realloc (t, (size_t) grown_cap * size);
    if (!grown)
        return -1;
    memset (grown + (size_t) *cap * size, 0, (size_t) (grown_cap - *cap) * size);
    *table = grown;
    int at = *cap;
    *cap = grown_cap;
    return at;
}

void
engine_slots_release (nines_engine_t *self)
{
    if (!self->rounds_hi && self->cap_rounds) {
        for (int i = 0; i < self->cap_rounds; i++)
            free (self->rounds [i].votes);
        free (self->rounds);
        self->rounds = NULL;
        self->cap_rounds = 0;
    }
    if (!self->duties_hi && self->cap_duties) {
        free (self->duties);
        self->duties = NULL;
        self->cap_duties = 0;
    }
}

void *
engine_dup (const void *data, size_t len)
{
    void *copy = malloc (len ? len : 1);
    if (copy)
        memcpy (copy, data, len);
    return copy;
}

/*  Binary search of the sorted pod entries: the entry or NULL, with *at
    its index or where it would be inserted. */
static pod_t *
s_pod_search (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], size_t *at)
{
    size_t lo = 0, hi = self->n_pods;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = memcmp (self->pods [mid].pod, id, NINES_ID_BYTES);
        if (c == 0) {
            *at = mid;
            return &self->pods [mid];
        }
        if (c < 0) lo = mid + 1; else hi = mid;
    }
    *at = lo;
    return NULL;
}

pod_t *
engine_pod (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    size_t at;
    return s_pod_search (self, id, &at);
}

/*  Pod state is sparse: an entry exists only for pods this node probes,
    votes on or knows to be down, so a node among 10^4 validators watching
    10^5 pods holds a few dozen entries, not 10^5 (nines-sim des).  Entries
    move on insertion: never hold a pod_t pointer across engine_pod_get. */
pod_t *
engine_pod_add (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], bool registered)
{
    size_t lo;
    pod_t *found = s_pod_search (self, id, &lo);
    if (found)
        return found;
    if (!self->reg || (!registered && nines_registry_pod_index (self->reg, id) < 0))
        return NULL;
    pod_t *grown = nines_grow (self->pods, &self->cap_pods, self->n_pods, sizeof *grown, 16);
    if (!grown)
        return NULL;
    self->pods = grown;
    memmove (&self->pods [lo + 1], &self->pods [lo], (self->n_pods - lo) * sizeof (pod_t));
    self->n_pods++;
    pod_t *pod = &self->pods [lo];
    memset (pod, 0, sizeof *pod);
    memcpy (pod->pod, id, NINES_ID_BYTES);
    pod->last_outcome = -1;
    return pod;
}

/*  The entry of a pod that may not be registered (peer input): NULL if
    it is not. */
pod_t *
engine_pod_get (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    return engine_pod_add (self, id, false);
}

/*  Drop entries with nothing pending (when the config does not keep idle
    pods; their closed-incident totals go with them). */
void
engine_pods_compact (nines_engine_t *self, uint64_t now)
{
    if (self->cfg.keep_idle_pods)
        return;
    size_t kept = 0;
    for (size_t i = 0; i < self->n_pods; i++) {
        pod_t *pod = &self->pods [i];
        bool idle = !pod->down && !pod->retry_at && !pod->retries_out && !pod->next_down_probe
                 && pod->busy_until <= now && !pod->down_report;
        if (!idle)
            self->pods [kept++] = *pod;
    }
    self->n_pods = kept;
}

member_t *
engine_member (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    if (!self->reg || !self->members || self->reg->version != self->members_version)
        return NULL;
    long at = nines_registry_validator_index (self->reg, id);
    if (at < 0 || at == self->self_index || (size_t) at >= self->n_slots)
        return NULL;
    return &self->members [at];
}

/*  The k-th other member (0 <= k < n_members), skipping our own slot. */
member_t *
engine_member_at (nines_engine_t *self, size_t k)
{
    return &self->members [k + (self->self_index >= 0 && k >= (size_t) self->self_index)];
}

const uint8_t *
engine_member_id (nines_engine_t *self, const member_t *m)
{
    return self->reg->validators [m - self->members].id;
}

bool
engine_is_me (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES])
{
    return memcmp (self->kp.pk, id, NINES_ID_BYTES) == 0;
}

/*  ---- sending and probing ---- */

/*  Piggyback up to NINES_PIGGYBACK_MAX membership updates (SWIM §4.4):
    each is sent about 3 log2(N) times, newest first. */
static void
s_piggyback (nines_engine_t *self, nines_peer_msg_t *msg)
{
    msg->n_updates = 0;
    for (size_t i = self->n_gossip; i-- > 0 && msg->n_updates < NINES_PIGGYBACK_MAX; ) {
        msg->updates [msg->n_updates++] = self->gossip [i].u;
        if (--self->gossip [i].sends_left == 0) {
            memmove (&self->gossip [i], &self->gossip [i + 1], (self->n_gossip - i - 1) * sizeof (gossip_t));
            self->n_gossip--;
        }
    }
}

int
engine_vote_verify (nines_engine_t *self, const nines_vote_t *vote)
{
    return self->cfg.hooks.vote_verify ? self->cfg.hooks.vote_verify (self->cfg.hooks.arg, vote)
                                       : nines_vote_verify (vote);
}

bool
engine_isolated (nines_engine_t *self)
{
    return self->cfg.hooks.isolated && self->cfg.hooks.isolated (self->cfg.hooks.arg);
}

void
engine_send (nines_engine_t *self, const uint8_t to [NINES_ID_BYTES], nines_peer_msg_t *msg)
{
    if (engine_isolated (self) || engine_is_me (self, to))
        return;
    memcpy (msg->from, self->kp.pk, NINES_ID_BYTES);
    s_piggyback (self, msg);
    /* A member we hold suspect or dead is told so directly, so it can
       refute with a higher incarnation even after the rumour has stopped
       spreading (SWIM §4.2). */
    member_t *peer = engine_member (self, to);
    if (peer && peer->state != NINES_MEMBER_ALIVE) {
        if (msg->n_updates == NINES_PIGGYBACK_MAX)
            msg->n_updates--;
        nines_member_update_t *u = &msg->updates [msg->n_updates++];
        memcpy (u->id, to, NINES_ID_BYTES);
        u->state = peer->state;
        u->incarnation = peer->incarnation;
    }
    size_t len = 0;
    if (nines_peer_msg_encode (msg, self->frame, NINES_PEER_MSG_MAX, &len))
        return;
    nines_action_t *a = engine_push (self, NINES_ACT_SEND);
    if (!a)
        return;
    memcpy (a->peer, to, NINES_ID_BYTES);
    a->data = engine_dup (self->frame, len);
    a->len = a->data ? len : 0;
    self->stats.msgs_out++;
    self->stats.bytes_out += len;
}

inflight_t *
engine_probe (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], int kind, int duty, uint64_t at)
{
    int i = engine_free_slot ((void **) &self->inflight, &self->cap_inflight, MAX_INFLIGHT, sizeof (inflight_t));
    if (i < 0)
        return NULL;
    nines_action_t *a = engine_push (self, NINES_ACT_PROBE);
    if (!a)
        return NULL;
    inflight_t *slot = &self->inflight [i];
    HI_BUMP (self->inflight_hi, i);
    slot->used = true;
    slot->id = (++self->next_probe_id << 16) | (uint64_t) i;
    memcpy (slot->pod, pod, NINES_ID_BYTES);
    slot->kind = kind;
    slot->duty = duty;
    slot->version = self->reg ? self->reg->version : 0;
    memcpy (a->pod, pod, NINES_ID_BYTES);
    a->probe_id = slot->id;
    if (at > a->at)
        a->at = at;
    /* Lifeguard (Dadgar et al. 2018, section 3): a node whose own
       messages come late waits longer before it calls a heartbeat lost,
       from 1x probe_timeout at LHM 1 to 2x at the cap. */
    uint64_t t = self->reg ? self->reg->params.probe_timeout_ms : 0;
    uint32_t cap = self->cfg.lhm_max > 1 ? self->cfg.lhm_max : 2;
    a->timeout_ms = t + t * (self->lhm > 1 ? self->lhm - 1 : 0) / (cap - 1);
    self->stats.probes++;
    return slot;
}
