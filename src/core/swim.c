/*  The engine's membership: SWIM with Lifeguard's suspicion (pings, acks,
    indirect probes, gossip of member updates).  See engine_state.h. */
#include "core/engine_state.h"
#include "base/grow.h"
#include <stdlib.h>
#include <string.h>

/*  ---- membership (SWIM + Lifeguard) ---- */

static void s_suspect_add (nines_engine_t *self, const member_t *m, uint64_t since);

/*  Apply a piggybacked membership update: see engine_state.h. */
void
engine_apply_update (nines_engine_t *self, const nines_member_update_t *u, uint64_t now)
{
    bool accusation = u->state != NINES_MEMBER_ALIVE;
    if (accusation && u->incarnation == UINT64_MAX)
        return;
    if (engine_is_me (self, u->id)) {
        /* Refute suspicion or death with a higher incarnation (SWIM §4.2);
           being suspected also raises our local health multiplier
           (Lifeguard §3.1). */
        if (accusation && u->incarnation >= self->incarnation
        &&  u->incarnation - self->incarnation <= NINES_INCARNATION_STEP) {
            self->incarnation = u->incarnation + 1;
            engine_gossip_update (self, self->kp.pk, NINES_MEMBER_ALIVE, self->incarnation);
            if (self->lhm < self->cfg.lhm_max)
                self->lhm++;
        }
        return;
    }
    member_t *m = engine_member (self, u->id);
    if (!m || (u->incarnation > m->incarnation && u->incarnation - m->incarnation > NINES_INCARNATION_STEP))
        return;
    bool take = false;
    switch (u->state) {
        case NINES_MEMBER_ALIVE:
            take = u->incarnation > m->incarnation;
            break;
        case NINES_MEMBER_SUSPECT:
            take = m->state != NINES_MEMBER_DEAD
                && (u->incarnation > m->incarnation
                    || (u->incarnation == m->incarnation && m->state == NINES_MEMBER_ALIVE));
            break;
        case NINES_MEMBER_DEAD:
            take = m->state != NINES_MEMBER_DEAD && u->incarnation >= m->incarnation;
            break;
    }
    if (!take)
        return;
    m->state = u->state;
    m->incarnation = u->incarnation;
    if (u->state == NINES_MEMBER_SUSPECT)
        s_suspect_add (self, m, now);
    if (u->state == NINES_MEMBER_ALIVE)
        m->last_ack_s = (uint32_t) (now / 1000);
    engine_gossip_update (self, u->id, u->state, u->incarnation);
}

static void
s_suspect_add (nines_engine_t *self, const member_t *m, uint64_t since)
{
    suspect_t *grown = nines_grow (self->suspects, &self->cap_suspects, self->n_suspects, sizeof *grown, 16);
    if (!grown) {
        self->suspects_rescan = true;
        return;
    }
    self->suspects = grown;
    suspect_t *sp = &self->suspects [self->n_suspects++];
    sp->index = (uint32_t) (m - self->members);
    sp->since = since;
}

static void
s_mark (nines_engine_t *self, member_t *m, uint8_t state, uint64_t now)
{
    if (m->state == state)
        return;
    m->state = state;
    if (state == NINES_MEMBER_SUSPECT)
        s_suspect_add (self, m, now);
    engine_gossip_update (self, engine_member_id (self, m), state, m->incarnation);
}

void
engine_ping (nines_engine_t *self, int type, const uint8_t to [NINES_ID_BYTES],
        const uint8_t target [NINES_ID_BYTES], uint64_t seq)
{
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u) + sizeof (nines_ping_t));
    msg->type = (uint8_t) type;
    msg->u.ping.seq = seq;
    memcpy (msg->u.ping.target, target, NINES_ID_BYTES);
    engine_send (self, to, msg);
}

/*  A cleared ping slot marked used: a free one, or the oldest. */
ping_t *
engine_ping_take (nines_engine_t *self)
{
    int at = 0;
    for (int i = 0; i < MAX_PINGS; i++) {
        if (!self->pings [i].used) {
            at = i;
            break;
        }
        if (self->pings [i].sent < self->pings [at].sent)
            at = i;
    }
    ping_t *p = &self->pings [at];
    memset (p, 0, sizeof *p);
    p->used = true;
    self->pings_mask |= 1u << at;
    return p;
}

static void
s_ping_free (nines_engine_t *self, ping_t *p)
{
    p->used = false;
    self->pings_mask &= ~(1u << (p - self->pings));
}

/*  Own message loss for the vote's confidence (engine_attempts_needed): an
    EWMA (weight 1/16) of direct pings that missed their ack timeout. */
static void
s_msg_loss_record (nines_engine_t *self, bool lost)
{
    int64_t x = lost ? 1000000 : 0;
    self->msg_loss_ppm = (uint32_t) ((int64_t) self->msg_loss_ppm + (x - (int64_t) self->msg_loss_ppm) / 16);
}

void
engine_swim_tick (nines_engine_t *self, uint64_t now)
{
    uint64_t period = self->cfg.swim_period_ms * self->lhm;
    uint64_t ack_timeout = self->cfg.swim_ack_timeout_ms * self->lhm;
    /* Outstanding direct probes: indirect after the ack timeout, suspect
       after the period. */
    FOR_PINGS (self, i) {
        ping_t *p = &self->pings [i];
        if (p->relay) {
            if (now >= p->sent + period)
                s_ping_free (self, p);
            continue;
        }
        member_t *m = engine_member (self, p->target);
        if (!m) {
            s_ping_free (self, p);
            continue;
        }
        if (!p->indirect && now >= p->sent + ack_timeout) {
            p->indirect = true;
            s_msg_loss_record (self, true);
            if (self->lhm < self->cfg.lhm_max)
                self->lhm++;            /* missed ack: Lifeguard LHM + 1 */
            for (uint32_t k = 0; k < self->cfg.swim_k && self->n_members > 1; k++) {
                member_t *via = engine_member_at (self, engine_rand (self, self->n_members));
                if (via != m && via->state == NINES_MEMBER_ALIVE)
                    engine_ping (self, NINES_MSG_PING_REQ, engine_member_id (self, via), p->target, p->seq);
            }
        }
        if (now >= p->sent + period) {
            s_ping_free (self, p);
            if (m->state == NINES_MEMBER_ALIVE)
                s_mark (self, m, NINES_MEMBER_SUSPECT, now);
        }
    }
    /* Suspects that did not refute in time are dead.  Only the list of
       members that turned suspect is visited (a scan of all N members on
       every tick dominated the simulator at 10^4 nodes). */
    uint64_t suspect_timeout = self->cfg.swim_suspect_periods * self->cfg.swim_period_ms;
    if (self->suspects_rescan) {
        self->suspects_rescan = false;
        self->n_suspects = 0;
        for (size_t i = 0; i < self->n_slots; i++)
            if (self->members [i].state == NINES_MEMBER_SUSPECT)
                s_suspect_add (self, &self->members [i], now);
    }
    size_t kept = 0;
    for (size_t k = 0; k < self->n_suspects; k++) {
        suspect_t sp = self->suspects [k];
        member_t *m = sp.index < self->n_slots ? &self->members [sp.index] : NULL;
        if (!m || m->state != NINES_MEMBER_SUSPECT)
            continue;
        bool dup = false;
        for (size_t j = 0; j < kept && !dup; j++)
            dup = self->suspects [j].index == sp.index;
        if (dup)
            continue;
        if (now >= sp.since + suspect_timeout)
            s_mark (self, m, NINES_MEMBER_DEAD, now);
        else
            self->suspects [kept++] = sp;
    }
    self->n_suspects = kept;
    /* One new probe per protocol period, round-robin over a random start. */
    if (now >= self->next_swim && self->n_members > 0) {
        self->next_swim = now + period;
        for (size_t tries = 0; tries < self->n_members; tries++) {
            member_t *m = engine_member_at (self, self->swim_cursor++ % self->n_members);
            if (m->state == NINES_MEMBER_DEAD && engine_rand (self, 4) != 0)
                continue;   /* dead members are re-probed now and then to see them return */
            ping_t *p = engine_ping_take (self);
            p->seq = ++self->ping_seq;
            const uint8_t *id = engine_member_id (self, m);
            memcpy (p->target, id, NINES_ID_BYTES);
            p->sent = now;
            engine_ping (self, NINES_MSG_PING, id, id, p->seq);
            break;
        }
    }
}

void
engine_on_ack (nines_engine_t *self, const nines_peer_msg_t *msg, uint64_t now)
{
    FOR_PINGS (self, i) {
        ping_t *p = &self->pings [i];
        if (p->seq != msg->u.ping.seq || memcmp (p->target, msg->u.ping.target, NINES_ID_BYTES) != 0)
            continue;
        s_ping_free (self, p);
        if (p->relay) {
            engine_ping (self, NINES_MSG_ACK, p->requester, p->target, p->requester_seq);
            return;
        }
        member_t *m = engine_member (self, p->target);
        if (m)
            m->last_ack_s = (uint32_t) (now / 1000);
        if (!p->indirect)
            s_msg_loss_record (self, false);
        if (self->lhm > 1)
            self->lhm--;                /* successful probe: LHM - 1 */
        return;
    }
}

void
engine_gossip_update (nines_engine_t *self, const uint8_t id [NINES_ID_BYTES], uint8_t state, uint64_t incarnation)
{
    uint32_t n = (uint32_t) self->n_members + 1, log2n = 1;
    while ((1u << log2n) < n)
        log2n++;
    for (size_t i = 0; i < self->n_gossip; i++)
        if (memcmp (self->gossip [i].u.id, id, NINES_ID_BYTES) == 0) {
            memmove (&self->gossip [i], &self->gossip [i + 1], (self->n_gossip - i - 1) * sizeof (gossip_t));
            self->n_gossip--;
            break;
        }
    if (self->n_gossip == MAX_GOSSIP) {
        memmove (&self->gossip [0], &self->gossip [1], (MAX_GOSSIP - 1) * sizeof (gossip_t));
        self->n_gossip--;
    }
    gossip_t *g = &self->gossip [self->n_gossip++];
    memcpy (g->u.id, id, NINES_ID_BYTES);
    g->u.state = state;
    g->u.incarnation = incarnation;
    g->sends_left = 3 * log2n;
}
