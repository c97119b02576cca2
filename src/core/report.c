/*  The engine's reports: verification of received reports, the seen
    ring, gossip to the committees, the evidence outbox.  See
    engine_state.h. */
#include "core/engine_state.h"
#include "base/grow.h"
#include "proto/verify.h"
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

/*  ---- reports, incidents and evidence ---- */

/*  Check a report a peer sent on its own, as the ledger will: the one
    implementation of src/proto/verify.c, with the config's vote
    verifier.  Not the "from the future" test: that one depends on the
    ledger's clock at submission, and a report dropped here for a peer's
    clock running ahead would be lost though the ledger takes it later
    (seen in test_node's ledger mode). */
int
engine_verify_report (nines_engine_t *self, const nines_report_t *report, uint64_t now)
{
    return nines_report_verify (self->reg, report, NINES_NOW_UNKNOWN, self->cfg.hooks.vote_verify, self->cfg.hooks.arg);
}

void
engine_outbox_action (nines_engine_t *self, const outbox_t *o, int type)
{
    nines_action_t *a = engine_push (self, type);
    if (!a)
        return;
    memcpy (a->pod, o->pod, NINES_ID_BYTES);
    memcpy (a->key, o->id, NINES_HASH_BYTES);
    a->data = engine_dup (o->enc, o->len);
    a->len = a->data ? o->len : 0;
    if (type == NINES_ACT_SUBMIT)
        self->stats.evidence_submitted++;
}

void
engine_outbox_remove (nines_engine_t *self, size_t i)
{
    free (self->outbox [i].enc);
    free (self->outbox [i].ev);
    self->outbox [i] = self->outbox [--self->n_outbox];
}

void
engine_outbox_add (nines_engine_t *self, const nines_report_t *down, const nines_report_t *up,
                   origin_t origin, uint64_t now)
{
    static _Thread_local uint8_t t_buf [NINES_EVIDENCE_MAX];
    nines_evidence_t *ev = calloc (1, sizeof *ev);     /* only while it is encoded */
    if (!ev)
        return;
    memcpy (ev->pod, down->pod, NINES_ID_BYTES);
    ev->down = *down;
    if (up) {
        ev->has_up = true;
        ev->up = *up;
    }
    uint8_t id [NINES_HASH_BYTES];
    size_t len = 0;
    nines_evidence_id (ev, id);
    int rc = nines_evidence_encode (ev, t_buf, sizeof t_buf, &len);
    free (ev);
    if (rc)
        return;
    for (size_t i = 0; i < self->n_outbox; i++)
        if (memcmp (self->outbox [i].id, id, NINES_HASH_BYTES) == 0)
            return;
    outbox_t *grown = nines_grow (self->outbox, &self->cap_outbox, self->n_outbox, sizeof *grown, 8);
    if (!grown)
        return;
    self->outbox = grown;
    outbox_t *o = &self->outbox [self->n_outbox];
    memset (o, 0, sizeof *o);
    if (!(o->enc = engine_dup (t_buf, len)))
        return;
    self->n_outbox++;
    o->len = (uint32_t) len;
    memcpy (o->pod, down->pod, NINES_ID_BYTES);
    memcpy (o->id, id, NINES_HASH_BYTES);
    o->backoff = self->cfg.submit_backoff_ms;
    /* The report's former submits at once; everyone else after a random
       back-off, so the ledger still hears of it if the former dies. */
    o->next_at = origin != FROM_PEER ? now
               : now + self->cfg.submit_backoff_ms + engine_rand (self, 4 * self->cfg.submit_backoff_ms);
    if (origin != FROM_DISK)
        engine_outbox_action (self, o, NINES_ACT_PERSIST);
}

/*  Report ids seen: a ring of max_seen ids with an id index over it
    (base/idmap.h; a linear scan per gossiped copy cost 10^3 compares at
    every one of 10^4 simulated nodes). */
bool
engine_seen (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    return nines_idmap_get (&self->seen_map, id) >= 0;
}

/*  Forget a report we saw, so that it is taken again when it comes back
    (a node that left a pod's committee and forgot the incident, then sits
    on the committee again). */
void
engine_seen_forget (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    long slot = nines_idmap_get (&self->seen_map, id);
    if (slot < 0)
        return;
    nines_idmap_del (&self->seen_map, (uint32_t) slot);
    memset (self->seen [slot], 0, NINES_HASH_BYTES);
}

/*  Send msg to the committee of pod for epoch, leaving out ourselves
    and, unless skip is UINT64_MAX, the members of the
    committee of epoch skip (they were sent it already). */
static void
s_send_committee (nines_engine_t *self, const uint8_t pod [NINES_ID_BYTES], uint64_t epoch,
                  uint64_t skip, nines_peer_msg_t *msg)
{
    size_t c = nines_registry_committee_size (self->reg);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (self->reg, pod, epoch, c, members, NULL);
    for (size_t i = 0; i < n; i++) {
        if (skip != UINT64_MAX && nines_registry_in_committee (self->reg, pod, skip, members [i]->id))
            continue;
        /* Members we hold dead get it too: under loss SWIM declares live
           members dead, and a committee is a few dozen messages at most
           (a report skipped there reached 0.67 of its scope at 20 % loss). */
        if (engine_member (self, members [i]->id))
            engine_send (self, members [i]->id, msg);
    }
}

/*  Push a report on: to every member (or gossip_fanout random ones) under
    NINES_SCOPE_ALL; to the pod's committees of the report's epoch and of
    ours under NINES_SCOPE_COMMITTEE, the validators that probe the pod
    while it is down and vote on its recovery. */
static void
s_gossip_report (nines_engine_t *self, const nines_report_t *report)
{
    if (self->n_members == 0)
        return;
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    msg->type = NINES_MSG_REPORT;
    msg->u.report = *report;        /* engine_send changes only from and the piggyback */
    if (self->cfg.report_scope == NINES_SCOPE_COMMITTEE) {
        s_send_committee (self, report->pod, report->epoch, UINT64_MAX, msg);
        if (self->epoch != report->epoch)
            s_send_committee (self, report->pod, self->epoch, report->epoch, msg);
        return;
    }
    size_t fanout = self->cfg.gossip_fanout ? self->cfg.gossip_fanout : self->n_members;
    if (fanout >= self->n_members) {
        for (size_t k = 0; k < self->n_members; k++)
            if (engine_member_at (self, k)->state != NINES_MEMBER_DEAD)
                engine_send (self, engine_member_id (self, engine_member_at (self, k)), msg);
        return;
    }
    for (size_t k = 0; k < fanout; k++)
        engine_send (self, engine_member_id (self, engine_member_at (self, engine_rand (self, self->n_members))), msg);
}

/*  Send an encoded report we hold (a pod's open DOWN report) to one peer,
    or with to = NULL to the committee of epoch minus that of skip. */
void
engine_send_held_report (nines_engine_t *self, const uint8_t *data, size_t len, const uint8_t *to,
                    const uint8_t pod [NINES_ID_BYTES], uint64_t epoch, uint64_t skip)
{
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    msg->type = NINES_MSG_REPORT;
    if (nines_report_decode (data, len, &msg->u.report))
        return;
    if (to)
        engine_send (self, to, msg);
    else
        s_send_committee (self, pod, epoch, skip, msg);
}

/*  True when we signed a vote in a or b (b may be NULL): the signers are
    the ones who re-submit an evidence the former may have failed to
    deliver; every other validator only stores the report (with 10^4
    validators each of them re-submitting, the ledger would get 10^4
    copies of every incident). */
static bool
s_signed (nines_engine_t *self, const nines_report_t *a, const nines_report_t *b)
{
    for (size_t i = 0; i < a->n_votes; i++)
        if (engine_is_me (self, a->votes [i].body.validator))
            return true;
    for (size_t i = 0; b && i < b->n_votes; i++)
        if (engine_is_me (self, b->votes [i].body.validator))
            return true;
    return false;
}

/*  A verified report, formed here (own) or gossiped: remember it, publish
    it, pass it on, and update the pod's incident. */
void
engine_accept_report (nines_engine_t *self, const nines_report_t *report, origin_t origin, uint64_t now)
{
    bool own = origin == FROM_OWN;
    uint8_t id [NINES_HASH_BYTES];
    nines_report_id (report, id);
    if (engine_seen (self, id))
        return;
    if (self->n_seen == self->cfg.max_seen)
        nines_idmap_del (&self->seen_map, (uint32_t) self->seen_at);
    memcpy (self->seen [self->seen_at], id, NINES_HASH_BYTES);
    nines_idmap_put (&self->seen_map, (uint32_t) self->seen_at);
    self->seen_at = (self->seen_at + 1) % self->cfg.max_seen;
    if (self->n_seen < self->cfg.max_seen)
        self->n_seen++;
    /*  Kept with the votes it has, not NINES_REPORT_MAX_VOTES (a full
        nines_report_t is 38 KB; 7 votes take 4 KB): the 4 each of the
        1,000 engines of a des run kept grew it by 150 MB. */
    nines_report_t **slot = &self->reports [self->reports_at];
    size_t votes = report->n_votes < NINES_REPORT_MAX_VOTES ? report->n_votes : NINES_REPORT_MAX_VOTES;
    size_t size = offsetof (nines_report_t, votes) + votes * sizeof report->votes [0];
    free (*slot);
    *slot = malloc (size);
    if (*slot)
        memcpy (*slot, report, size);
    self->reports_at = (self->reports_at + 1) % self->cfg.max_reports;
    if (self->n_reports < self->cfg.max_reports)
        self->n_reports++;
    self->stats.reports++;

    size_t len = 0;
    if (origin != FROM_DISK
    &&  nines_report_encode (report, self->frame, NINES_PEER_MSG_MAX, &len) == 0) {
        nines_action_t *a = engine_push (self, NINES_ACT_REPORT);
        if (a) {
            memcpy (a->pod, report->pod, NINES_ID_BYTES);
            memcpy (a->key, id, NINES_HASH_BYTES);
            memcpy (a->round_id, report->round_id, NINES_HASH_BYTES);
            a->epoch = report->epoch;
            a->t_ms = report->t_ms;
            a->signers = report->n_votes;
            a->kind = report->kind;
            a->data = engine_dup (self->frame, len);
            a->len = a->data ? len : 0;
        }
    }
    if (origin != FROM_DISK)
        s_gossip_report (self, report);
    /* Our own open round on the pod wanting this kind is answered. */
    for (int i = 0; i < self->rounds_hi; i++) {
        round_t *r = &self->rounds [i];
        if (r->used && !r->done && r->want == report->kind && memcmp (r->pod, report->pod, NINES_ID_BYTES) == 0)
            r->done = true;
    }

    pod_t *pod = report->kind == NINES_REPORT_DOWN ? engine_pod_get (self, report->pod)
                                                   : engine_pod (self, report->pod);
    if (!pod)
        return;
    if (report->kind == NINES_REPORT_DOWN && !pod->down) {
        pod->down = true;
        pod->down_since = report->t_ms;
        pod->confirmed = report->t_ms;
        pod->incidents++;
        engine_health_forget (self, pod->pod);
        free (pod->down_report);
        pod->down_report = NULL;
        pod->down_len = 0;
        size_t enc = 0;
        if (nines_report_encode (report, self->frame, NINES_PEER_MSG_MAX, &enc) == 0
        &&  (pod->down_report = engine_dup (self->frame, enc)))
            pod->down_len = (uint32_t) enc;
        memcpy (pod->down_id, id, NINES_HASH_BYTES);
        pod->next_down_probe = 0;
        pod->retry_at = 0;
        pod->retries_left = 0;
        if (nines_registry_in_committee (self->reg, pod->pod, self->epoch, self->kp.pk))
            pod->next_down_probe = now + engine_rand (self, self->reg->params.down_probe_ms + 1);
        POD_DUE (self, pod->next_down_probe);
        if (origin != FROM_DISK && (own || s_signed (self, report, NULL)))
            engine_outbox_add (self, report, NULL, origin, now);
    }
    else
    if (report->kind == NINES_REPORT_DOWN && pod->down && pod->down_report && report->t_ms > pod->confirmed) {
        /* A re-confirmation: hold it instead (hand-off, pull and the
           closing evidence carry the latest) and tell the ledger, which
           charges an open outage only up to its latest DOWN report. */
        size_t enc = 0;
        uint8_t *held = nines_report_encode (report, self->frame, NINES_PEER_MSG_MAX, &enc) == 0
                      ? engine_dup (self->frame, enc) : NULL;
        if (held) {
            free (pod->down_report);
            pod->down_report = held;
            pod->down_len = (uint32_t) enc;
            memcpy (pod->down_id, id, NINES_HASH_BYTES);
            pod->confirmed = report->t_ms;
        }
        if (origin != FROM_DISK && (own || s_signed (self, report, NULL)))
            engine_outbox_add (self, report, NULL, origin, now);
    }
    else
    if (report->kind == NINES_REPORT_UP && pod->down && report->t_ms >= pod->down_since
    &&  pod->down_report) {
        pod->down = false;
        pod->downtime += report->t_ms - pod->down_since;
        pod->next_down_probe = 0;
        nines_report_t *down = origin != FROM_DISK ? malloc (sizeof *down) : NULL;
        if (down && nines_report_decode (pod->down_report, pod->down_len, down) == 0
        &&  (own || s_signed (self, down, report)))
            engine_outbox_add (self, down, report, origin, now);
        free (down);
        free (pod->down_report);
        pod->down_report = NULL;
        pod->down_len = 0;
    }
}
