/*  nines protocol engine: see engine.h.  Sans-I/O: every function takes
    "now" from its caller and returns work as actions.  This file holds
    the object, the message and probe events and the queries: the top of
    the engine, which calls its parts (schedule.c, round.c, report.c,
    swim.c, health.c over engine_state.c); they never call back here. */
#include "core/engine_state.h"
#include "proto/verify.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*  ---- small helpers ---- */

void
nines_engine_config_default (nines_engine_config_t *c)
{
    *c = (nines_engine_config_t) {
        .swim_period_ms = 1000,
        .swim_ack_timeout_ms = 300,
        .swim_k = 3,
        .swim_suspect_periods = 5,
        .lhm_max = 8,
        .gossip_fanout = 0,                 /* push to all */
        .submit_backoff_ms = 2000,
        .submit_backoff_max_ms = 60000,
        .health_window = 16,
        .health_min_pods = 3,
        .health_fail_ppm = 600000,
        .max_reports = 1024,
        .max_seen = 4096,
        .doppelganger_epochs = 2,
        .keep_idle_pods = true,
    };
}

int
nines_report_scope_parse (const char *text, uint32_t *scope)
{
    if (text && strcmp (text, "all") == 0)
        *scope = NINES_SCOPE_ALL;
    else
    if (text && strcmp (text, "committee") == 0)
        *scope = NINES_SCOPE_COMMITTEE;
    else
        return NINES_EINVAL;
    return NINES_OK;
}

const char *
nines_report_scope_name (uint32_t scope)
{
    return scope == NINES_SCOPE_COMMITTEE ? "committee" : "all";
}

void
nines_action_clear (nines_action_t *a)
{
    free (a->data);
    a->data = NULL;
    a->len = 0;
}

bool
nines_engine_next_action (nines_engine_t *self, nines_action_t *action)
{
    if (self->act_head == self->act_tail)
        return false;
    *action = self->actions [self->act_head++ % self->act_cap];
    if (self->act_head == self->act_tail)
        self->act_head = self->act_tail = 0;
    return true;
}

/*  ---- lifecycle ---- */

nines_engine_t *
nines_engine_new (const nines_keypair_t *kp, const uint8_t seed [32], const nines_engine_config_t *config)
{
    nines_engine_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->kp = *kp;
    nines_rng_init (&self->rng, seed);
    nines_hash (self->sched_key, 2, "nines/schedule", (size_t) 14, seed, (size_t) 32);
    if (config)
        self->cfg = *config;
    else
        nines_engine_config_default (&self->cfg);
    if (self->cfg.max_reports == 0)
        self->cfg.max_reports = 1;
    if (self->cfg.health_window == 0)
        self->cfg.health_window = 1;
    if (self->cfg.health_window > NINES_HEALTH_MAX)
        self->cfg.health_window = NINES_HEALTH_MAX;
    if (self->cfg.max_seen == 0)
        self->cfg.max_seen = 1;
    self->seen = calloc (self->cfg.max_seen, NINES_HASH_BYTES);
    int map_rc = nines_idmap_init (&self->seen_map, self->cfg.max_seen, 16, self->seen, NINES_HASH_BYTES);
    self->reports = calloc (self->cfg.max_reports, sizeof (nines_report_t *));
    /* The encode/decode buffers live only within one event call, so the
       engines of one thread share them (10^4 engines would otherwise
       hold 1 GB of buffers in the simulator). */
    static _Thread_local nines_peer_msg_t t_scratch;
    static _Thread_local uint8_t t_frame [NINES_PEER_MSG_MAX];
    self->scratch = &t_scratch;
    self->frame = t_frame;
    self->lhm = 1;
    if (!self->seen || map_rc || !self->reports || !self->scratch || !self->frame)
        nines_engine_destroy (&self);
    return self;
}

void
nines_engine_destroy (nines_engine_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_engine_t *self = *self_p;
    for (size_t i = 0; i < self->n_pods; i++)
        free (self->pods [i].down_report);
    free (self->pods);
    free (self->members);
    free (self->inflight);
    for (int i = 0; i < self->cap_rounds; i++)
        free (self->rounds [i].votes);
    free (self->rounds);
    free (self->duties);
    free (self->seen);
    nines_idmap_destroy (&self->seen_map);
    free (self->suspects);
    if (self->reports)
        for (size_t i = 0; i < self->cfg.max_reports; i++)
            free (self->reports [i]);
    free (self->reports);
    while (self->n_outbox)
        engine_outbox_remove (self, 0);
    free (self->outbox);
    free (self->sched);
    nines_action_t a;
    while (nines_engine_next_action (self, &a))
        nines_action_clear (&a);
    free (self->actions);
    nines_keypair_wipe (&self->kp);
    free (self);
    *self_p = NULL;
}

/*  Reconcile pods and members with a new registry, keeping known state. */
void
nines_engine_set_registry (nines_engine_t *self, const nines_registry_t *reg, uint64_t now)
{
    const nines_registry_t *old_reg = self->reg;
    self->reg = reg;
    if (!self->started_at) {
        self->started_at = now ? now : 1;
        self->listen_until = self->started_at + (uint64_t) self->cfg.doppelganger_epochs * reg->params.epoch_ms;
        self->stats.listening = self->cfg.doppelganger_epochs > 0;
    }
    /* Keep the state of pods still registered; with keep_idle_pods every
       registered pod gets an entry (a daemon lists them all). */
    size_t kept = 0;
    for (size_t i = 0; i < self->n_pods; i++) {
        if (nines_registry_pod_index (reg, self->pods [i].pod) >= 0)
            self->pods [kept++] = self->pods [i];
        else
            free (self->pods [i].down_report);
    }
    self->n_pods = kept;
    self->pods_due = 0;             /* rescan */
    if (self->cfg.keep_idle_pods)
        for (size_t i = 0; i < reg->n_pods; i++)
            engine_pod_get (self, reg->pods [i].pod);

    /* Members: kept by id when the previous registry is another object
       (still alive and unchanged, as the contract says); a registry
       changed in place cannot be mapped, so every view starts afresh. */
    if (old_reg != reg || self->members_version != reg->version || !self->members) {
        member_t *members = calloc (reg->n_validators ? reg->n_validators : 1, sizeof *members);
        for (size_t i = 0; members && i < reg->n_validators; i++) {
            long was = old_reg && old_reg != reg && self->members
                     ? nines_registry_validator_index (old_reg, reg->validators [i].id) : -1;
            if (was >= 0 && (size_t) was < self->n_slots)
                members [i] = self->members [was];
            else {
                members [i].state = NINES_MEMBER_ALIVE;
                members [i].last_ack_s = (uint32_t) (now / 1000);
            }
        }
        free (self->members);
        self->members = members;
        self->n_slots = members ? reg->n_validators : 0;
    }
    self->members_version = reg->version;
    self->self_index = nines_registry_validator_index (reg, self->kp.pk);
    self->n_members = self->n_slots - (self->self_index >= 0 && self->n_slots > 0);
    self->n_suspects = 0;
    self->suspects_rescan = true;   /* indexes changed: re-scan once */
    self->epoch_started = false;    /* re-run sortition with the new set */
}

/*  ---- events ---- */

int
nines_engine_on_message (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now)
{
    if (!data)
        return NINES_OK;
    if (engine_isolated (self) || !self->reg)
        return NINES_ESTATE;
    nines_peer_msg_t *msg = self->scratch;
    int rc = nines_peer_msg_decode (data, len, msg);
    if (rc) {
        self->stats.msgs_bad++;
        return rc;
    }
    if (!nines_registry_validator (self->reg, msg->from) || engine_is_me (self, msg->from)) {
        self->stats.msgs_bad++;
        return NINES_EUNKNOWN;
    }
    self->stats.msgs_in++;
    if (now > self->now)
        self->now = now;
    /* Hearing from a member is evidence it is alive at its incarnation. */
    member_t *sender = engine_member (self, msg->from);
    if (sender && sender->state == NINES_MEMBER_SUSPECT && msg->type != NINES_MSG_MISBEHAVIOUR)
        sender->last_ack_s = (uint32_t) (now / 1000);
    nines_member_update_t updates [NINES_PIGGYBACK_MAX];
    uint8_t n_updates = msg->n_updates;
    memcpy (updates, msg->updates, n_updates * sizeof updates [0]);
    uint8_t from [NINES_ID_BYTES];
    memcpy (from, msg->from, NINES_ID_BYTES);

    switch (msg->type) {
        case NINES_MSG_PING:
            if (!self->cfg.hooks.adversary || !self->cfg.hooks.adversary->silent)
                engine_ping (self, NINES_MSG_ACK, from, self->kp.pk, msg->u.ping.seq);
            break;
        case NINES_MSG_PING_REQ: {
            if (!engine_member (self, msg->u.ping.target))
                break;
            ping_t *p = engine_ping_take (self);
            p->relay = true;
            p->seq = ++self->ping_seq;
            memcpy (p->target, msg->u.ping.target, NINES_ID_BYTES);
            memcpy (p->requester, from, NINES_ID_BYTES);
            p->requester_seq = msg->u.ping.seq;
            p->sent = now;
            uint8_t target [NINES_ID_BYTES];
            memcpy (target, msg->u.ping.target, NINES_ID_BYTES);
            engine_ping (self, NINES_MSG_PING, target, target, p->seq);
            break;
        }
        case NINES_MSG_ACK:
            engine_on_ack (self, msg, now);
            break;
        case NINES_MSG_CONFIRM_REQ: {
            nines_confirm_req_t req = msg->u.confirm;
            if (memcmp (req.initiator, from, NINES_ID_BYTES) != 0) {
                rc = NINES_EMALFORMED;
                break;
            }
            pod_t *pod = engine_pod_get (self, req.pod);
            if (!pod) {
                rc = NINES_EUNKNOWN;
                break;
            }
            if (!nines_registry_in_committee (self->reg, req.pod, req.epoch, self->kp.pk)) {
                rc = NINES_ENOTCOMMITTEE;
                break;
            }
            if (pod->down && pod->down_report && req.outcome != NINES_OUTCOME_OK
            &&  !engine_confirm_due (self, pod, now, true)) {
                /* A DOWN round on a pod a quorum already reported down,
                   and no re-confirmation is due: the initiator missed the
                   report, so hand it over instead of voting (a second DOWN
                   report would only repeat it). */
                engine_send_held_report (self, pod->down_report, pod->down_len, from, NULL, 0, 0);
                break;
            }
            for (int d = 0; d < self->duties_hi; d++) {
                duty_t *duty = &self->duties [d];
                if (duty->used && memcmp (duty->round_id, req.round_id, NINES_HASH_BYTES) == 0) {
                    /* Repeated request: our vote (or the request) was
                       lost; send the vote again if it is signed. */
                    if (duty->voted && duty->vote.signed_len)
                        engine_vote_deliver (self, duty->initiator, &duty->vote, now);
                    return NINES_OK;
                }
            }
            if (engine_duty_add (self, req.round_id, req.pod, req.epoch, from, req.outcome != NINES_OUTCOME_OK, now)) {
                uint64_t busy = now + self->reg->params.round_timeout_ms;
                /* a DOWN duty on a pod we hold down is a re-confirmation
                   (no pull above): the pod recovering meanwhile must not
                   wait for that round to time out before its UP round */
                bool confirm = pod->down && req.outcome != NINES_OUTCOME_OK;
                if (pod->busy_until < busy) {
                    pod->busy_confirm = confirm && (pod->busy_until <= now || pod->busy_confirm);
                    pod->busy_until = busy;
                }
            }
            break;
        }
        case NINES_MSG_VOTE: {
            nines_vote_t vote = msg->u.vote;
            if (memcmp (vote.body.validator, from, NINES_ID_BYTES) != 0) {
                rc = NINES_EMALFORMED;
                break;
            }
            rc = engine_on_vote (self, &vote, now);
            if (rc == NINES_EDUPSIGNER || rc == NINES_ENOTFOUND)
                rc = NINES_OK;              /* late or repeated: harmless */
            break;
        }
        case NINES_MSG_REPORT: {
            uint8_t id [NINES_HASH_BYTES];
            nines_report_id (&msg->u.report, id);
            if (engine_seen (self, id))
                break;
            nines_report_t *report = malloc (sizeof *report);
            if (!report)
                return NINES_ENOMEM;
            *report = msg->u.report;
            rc = engine_verify_report (self, report, now);
            for (size_t v = 0; !rc && v < report->n_votes; v++)
                engine_doppelganger_check (self, &report->votes [v]);
            if (!rc)
                engine_accept_report (self, report, FROM_PEER, now);
            free (report);
            break;
        }
        case NINES_MSG_MISBEHAVIOUR: {
            const nines_misbehaviour_t *mb = &msg->u.misbehaviour;
            rc = nines_misbehaviour_verify (mb, self->cfg.hooks.vote_verify, self->cfg.hooks.arg);
            if (!rc) {
                self->stats.misbehaviours++;
                engine_doppelganger_check (self, &mb->a);
                engine_doppelganger_check (self, &mb->b);
            }
            break;
        }
    }
    for (uint8_t i = 0; i < n_updates; i++)
        engine_apply_update (self, &updates [i], now);
    if (rc)
        self->stats.msgs_bad++;
    return rc;
}

void
nines_engine_on_probe_done (nines_engine_t *self, uint64_t probe_id, int outcome,
                            const nines_hb_resp_t *resp, const uint8_t *nonce,
                            uint64_t req_t_ms, uint64_t now)
{
    inflight_t *slot = NULL;
    uint64_t at = probe_id & 0xffff;
    if (at < (uint64_t) self->cap_inflight && self->inflight [at].used && self->inflight [at].id == probe_id)
        slot = &self->inflight [at];
    if (!slot || !self->reg)
        return;
    slot->used = false;
    HI_TRIM (self->inflight_hi, self->inflight);
    if (now > self->now)
        self->now = now;
    const nines_adversary_t *adv = self->cfg.hooks.adversary;
    if (engine_isolated (self))
        outcome = NINES_OUTCOME_TIMEOUT;
    else
    if (adv && adv->outcome >= 0)
        outcome = adv->outcome;
    bool failed = outcome != NINES_OUTCOME_OK;
    if (slot->kind == PROBE_SCHEDULED) {
        const pod_t *known = engine_pod (self, slot->pod);
        if (!known || !known->down)
            engine_loss_record (self, failed);
    }
    if (!failed && slot->kind == PROBE_SCHEDULED && !self->cfg.keep_idle_pods && !engine_pod (self, slot->pod)) {
        /* The common case in sparse mode: a healthy answer from a pod we
           hold nothing on (not down, no round) leaves nothing to keep. */
        engine_health_record (self, slot->pod, false);
        return;
    }
    /* Registered when we asked; the registry may have changed since. */
    pod_t *pod = engine_pod_add (self, slot->pod, slot->version == self->reg->version);
    if (!pod)
        return;
    pod->last_outcome = outcome;
    pod->last_probe = now;
    if (failed)
        self->stats.probes_failed++;
    const nines_params_t *p = &self->reg->params;
    /* A pod with an open DOWN report is a known outage, already confirmed
       by a quorum: its heartbeats say nothing about our own network.  One
       heartbeat per measurement counts: a vote's further attempts and the
       retries after the first answered one would fill the ring with the
       one pod under question. */
    bool extra = (slot->kind == PROBE_DUTY && slot->attempt > 0)
              || (slot->kind == PROBE_RETRY && pod->retries_out + pod->retries_left < p->retry_attempts);
    if (!pod->down && !extra)
        engine_health_record (self, pod->pod, failed);
    bool may_open = !self->stats.degraded && pod->busy_until <= now && engine_may_sign (self, now);
    bool may_up = !self->stats.degraded && (pod->busy_until <= now || pod->busy_confirm) && engine_may_sign (self, now);
    switch (slot->kind) {
        case PROBE_SCHEDULED:
            if (failed && !pod->down && may_open && !pod->retry_at && !pod->retries_out) {
                /* retry_attempts more heartbeats at random instants within
                   retry_delay; a round opens when all of them fail too. */
                pod->retries_left = (uint8_t) (p->retry_attempts > NINES_VOTE_ATTEMPTS_MAX
                                             ? NINES_VOTE_ATTEMPTS_MAX : p->retry_attempts);
                pod->retry_ok = false;
                if (!pod->retries_left)
                    engine_open_round (self, pod, NINES_REPORT_DOWN, outcome, now);
                else {
                    uint64_t slice = p->retry_delay_ms / pod->retries_left;
                    pod->retry_at = now + 1 + engine_rand (self, slice ? slice : 1);
                    POD_DUE (self, pod->retry_at);
                }
            }
            else
            if (!failed && pod->down && may_up)
                engine_open_round (self, pod, NINES_REPORT_UP, outcome, now);
            break;
        case PROBE_RETRY:
            if (pod->retries_out)
                pod->retries_out--;
            if (!failed) {
                pod->retry_ok = true;           /* the pod answered: no round */
                pod->retries_left = 0;
                pod->retry_at = 0;
            }
            else
            if (!pod->retries_left && !pod->retries_out && !pod->retry_ok && !pod->down && may_open)
                engine_open_round (self, pod, NINES_REPORT_DOWN, outcome, now);
            break;
        case PROBE_DOWN:
            if (!failed && pod->down && may_up)
                engine_open_round (self, pod, NINES_REPORT_UP, outcome, now);
            else
            if (failed && may_open && engine_confirm_due (self, pod, now, false))
                engine_open_round (self, pod, NINES_REPORT_DOWN, outcome, now);
            break;
        case PROBE_DUTY: {
            duty_t *duty = slot->duty < self->cap_duties ? &self->duties [slot->duty] : NULL;
            if (!duty || !duty->used || duty->serial != slot->duty_serial || duty->voted
            ||  slot->attempt >= duty->sent || duty->answered [slot->attempt])
                break;
            duty->answered [slot->attempt] = 1;
            duty->outcome [slot->attempt] = (uint8_t) outcome;
            duty->done++;
            duty->failed += failed;
            /* Up at the first `ok`; down once `needed` failed (the spare
               attempt spares a lost heartbeat's timeout); abstain when
               all failed and we may not vote down. */
            if (!failed || (duty->needed && duty->failed >= duty->needed) || duty->done == duty->planned)
                engine_vote (self, duty, outcome, resp, nonce, req_t_ms, now);
            break;
        }
    }
}

void
nines_engine_on_ack (nines_engine_t *self, const uint8_t id [NINES_HASH_BYTES])
{
    for (size_t i = 0; i < self->n_outbox; i++)
        if (memcmp (self->outbox [i].id, id, NINES_HASH_BYTES) == 0) {
            engine_outbox_remove (self, i);
            self->stats.evidence_acked++;
            return;
        }
}

/*  Decode one persisted record (a quorum report, or with evidence an
    EVIDENCE the ledger had not acknowledged) and take it back as if it
    had just arrived from disk: a report unseen so far is accepted, the
    evidence returns to the outbox.  0, NINES_ENOMEM or the decoder's error. */
static int
s_restore (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now, bool evidence)
{
    union { nines_report_t report; nines_evidence_t ev; } *rec = malloc (sizeof *rec);
    if (!rec)
        return NINES_ENOMEM;
    int rc = evidence ? nines_evidence_decode (data, len, &rec->ev)
                      : nines_report_decode (data, len, &rec->report);
    if (!rc && evidence)
        engine_outbox_add (self, &rec->ev.down, rec->ev.has_up ? &rec->ev.up : NULL, FROM_DISK, now);
    if (!rc && !evidence) {
        uint8_t id [NINES_HASH_BYTES];
        nines_report_id (&rec->report, id);
        if (!engine_seen (self, id))
            engine_accept_report (self, &rec->report, FROM_DISK, now);
    }
    free (rec);
    return rc;
}

int
nines_engine_restore_report (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now)
{
    return s_restore (self, data, len, now, false);
}

int
nines_engine_restore_evidence (nines_engine_t *self, const uint8_t *data, size_t len, uint64_t now)
{
    return s_restore (self, data, len, now, true);
}

void
nines_engine_restore_incarnation (nines_engine_t *self, uint64_t incarnation)
{
    if (incarnation == UINT64_MAX)
        incarnation--;
    if (incarnation > self->incarnation)
        self->incarnation = incarnation;
}

/*  ---- queries ---- */

void
nines_engine_stats (nines_engine_t *self, nines_engine_stats_t *stats)
{
    *stats = self->stats;
    stats->listening = self->stats.listening && self->now < self->listen_until;
    stats->incarnation = self->incarnation;
    stats->lhm = self->lhm;
}

size_t
nines_engine_members (nines_engine_t *self, nines_member_info_t *out, size_t max)
{
    for (size_t k = 0; k < self->n_members && k < max; k++) {
        const member_t *m = engine_member_at (self, k);
        memcpy (out [k].id, engine_member_id (self, m), NINES_ID_BYTES);
        out [k].state = m->state;
        out [k].incarnation = m->incarnation;
        out [k].last_ack_ms = (uint64_t) m->last_ack_s * 1000;
    }
    return self->n_members;
}

size_t
nines_engine_pods (nines_engine_t *self, nines_pod_status_t *out, size_t max)
{
    /* Every registered pod, in id order; pods without state (sparse mode)
       read as never probed. */
    if (!self->reg)
        return 0;
    for (size_t i = 0; i < self->reg->n_pods && i < max; i++) {
        const pod_t *p = engine_pod (self, self->reg->pods [i].pod);
        memset (&out [i], 0, sizeof out [i]);
        memcpy (out [i].pod, self->reg->pods [i].pod, NINES_ID_BYTES);
        out [i].last_outcome = -1;
        if (!p)
            continue;
        out [i].down = p->down;
        out [i].last_outcome = p->last_outcome;
        out [i].last_probe_ms = p->last_probe;
        out [i].down_since_ms = p->down ? p->down_since : 0;
        out [i].downtime_ms = p->downtime;
        out [i].incidents = p->incidents;
    }
    return self->reg->n_pods;
}

size_t
nines_engine_reports (nines_engine_t *self, const nines_report_t **out, size_t max)
{
    size_t n = self->n_reports < max ? self->n_reports : max;
    size_t cap = self->cfg.max_reports;
    for (size_t i = 0; i < n; i++)
        out [i] = self->reports [(self->reports_at + cap - n + i) % cap];
    return n;
}

size_t
nines_engine_outbox (nines_engine_t *self, const nines_evidence_t **out, size_t max)
{
    /*  Entries are kept encoded: decoded here, once, for a caller that
        reads them (none but tests; an entry that cannot be decoded for
        want of memory is left out of the count). */
    size_t n = 0, skipped = 0;
    for (size_t i = 0; i < self->n_outbox && n < max; i++) {
        outbox_t *o = &self->outbox [i];
        if (!o->ev && (o->ev = malloc (sizeof *o->ev)) && nines_evidence_decode (o->enc, o->len, o->ev)) {
            free (o->ev);
            o->ev = NULL;
        }
        if (o->ev)
            out [n++] = o->ev;
        else
            skipped++;
    }
    return self->n_outbox - skipped;
}
