/*  The engine's rounds: confirm requests, duties, votes, the quorum that
    forms a report, equivocation proofs, and the doppelganger guard on
    signing.  See engine_state.h. */
#include "core/engine_state.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*  ---- doppelganger protection ---- */

/*  May we sign a vote or open a round at now?  Not while listening after
    our start, and never again once another instance with our key showed
    (honest engines only). */
bool
engine_may_sign (nines_engine_t *self, uint64_t now)
{
    if (self->cfg.hooks.adversary)
        return true;                /* a simulated adversary does not hold back */
    if (self->stats.listening && now >= self->listen_until)
        self->stats.listening = false;
    return !self->stats.listening && !self->stats.doppelganger;
}

/*  Remember a vote we signed (ring of MAX_OWN_VOTES). */
static void
s_own_vote (nines_engine_t *self, const nines_vote_t *vote)
{
    memcpy (&self->own_sig [self->own_at], vote->sig, 8);
    self->own_t [self->own_at] = vote->body.t_ms;
    self->own_at = (self->own_at + 1) % MAX_OWN_VOTES;
    if (self->own_n < MAX_OWN_VOTES)
        self->own_n++;
}

/*  A vote whose signature verified reached us from a peer: one by our key,
    observed since our start (not ours from before a restart) and not among
    those we signed, is another instance's.  A vote older than everything
    the full ring remembers proves nothing. */
void
engine_doppelganger_check (nines_engine_t *self, const nines_vote_t *vote)
{
    if (self->stats.doppelganger || !engine_is_me (self, vote->body.validator)
    ||  !self->started_at || vote->body.t_ms < self->started_at)
        return;
    uint64_t sig, oldest = UINT64_MAX;
    memcpy (&sig, vote->sig, 8);
    for (size_t i = 0; i < self->own_n; i++) {
        if (self->own_sig [i] == sig)
            return;
        if (self->own_t [i] < oldest)
            oldest = self->own_t [i];
    }
    if (self->own_n == MAX_OWN_VOTES && vote->body.t_ms < oldest)
        return;
    self->stats.doppelganger = true;
}

/*  ---- rounds ---- */

/*  Own heartbeat loss, an EWMA (weight 1/32) over the scheduled
    heartbeats: they go to pods drawn at random, so their failures measure
    our own links rather than a suspect pod (Lifeguard's local health,
    Dadgar et al. 2018, section 3, applied to heartbeats). */
void
engine_loss_record (nines_engine_t *self, bool failed)
{
    int64_t x = failed ? 1000000 : 0;
    self->loss_ppm = (uint32_t) ((int64_t) self->loss_ppm + (x - (int64_t) self->loss_ppm) / 32);
    self->stats.loss_ppm = self->loss_ppm;
}

/*  Own loss q for the vote's confidence: the heartbeat estimate, unless
    our pings to peers fare better.  Many pods failing while our peers
    answer is an outage of those pods (the correlated rule's business),
    not our network; a lossy link loses both. */
static double
s_own_loss (const nines_engine_t *self)
{
    uint32_t q = self->loss_ppm < self->msg_loss_ppm ? self->loss_ppm : self->msg_loss_ppm;
    return q / 1e6;
}

/*  Chance that k or more of n heartbeats are lost at loss q, bounded by
    C(n, k) q^k (PROTOCOL.md 8.1). */
static double
s_false_down (double q, unsigned n, unsigned k)
{
    double c = 1;
    for (unsigned i = 0; i < k; i++)
        c = c * (n - i) / (i + 1);
    return c * pow (q, k);
}

/*  Failed heartbeats a `down` vote needs from us (PROTOCOL.md 8.1): at
    least vote_attempts, and enough k that, with one spare attempt, our
    own loss q gives C(k+1, k) q^k = (k + 1) q^k <= vote_false; k = 0 when
    no k below NINES_VOTE_ATTEMPTS_MAX does (we still measure: an `ok`
    is an `up` vote, but we will not vote down). */
uint8_t
engine_attempts_needed (nines_engine_t *self)
{
    const nines_params_t *p = &self->reg->params;
    uint32_t k = p->vote_attempts ? p->vote_attempts : 1;
    if (k > NINES_VOTE_ATTEMPTS_MAX - 1)
        k = NINES_VOTE_ATTEMPTS_MAX - 1;
    double q = s_own_loss (self), bound = p->vote_false_ppm / 1e6;
    while (k < NINES_VOTE_ATTEMPTS_MAX - 1 && s_false_down (q, k + 1, k) > bound)
        k++;
    return s_false_down (q, k + 1, k) > bound ? 0 : (uint8_t) k;
}

/*  Take a duty: `planned` heartbeats to pod spread over vote_window after
    a random delay in [0, vote_delay) (stratified: attempt j at a random
    instant of the j-th slice of the window), then vote in the round.
    false when the duty table is full. */
bool
engine_duty_add (nines_engine_t *self, const uint8_t round_id [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
            uint64_t epoch, const uint8_t initiator [NINES_ID_BYTES], bool want_down, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    int d = engine_free_slot ((void **) &self->duties, &self->cap_duties, MAX_DUTIES, sizeof (duty_t));
    if (d < 0)
        return false;
    duty_t *duty = &self->duties [d];
    HI_BUMP (self->duties_hi, d);
    memset (duty, 0, offsetof (duty_t, vote));
    duty->used = true;
    duty->serial = ++self->duty_serial;
    memcpy (duty->round_id, round_id, NINES_HASH_BYTES);
    memcpy (duty->pod, pod, NINES_ID_BYTES);
    duty->epoch = epoch;
    memcpy (duty->initiator, initiator, NINES_ID_BYTES);
    uint64_t start = now + engine_rand (self, p->vote_delay_ms ? p->vote_delay_ms : 1);
    duty->want_down = want_down;
    /* Another round on the pod is being measured (two probers saw the
       same outage): start after its last attempt, so that its report,
       when it forms, reaches us first and is handed over instead. */
    for (int k = 0; k < self->duties_hi; k++) {
        const duty_t *o = &self->duties [k];
        if (k != d && o->used && o->planned && memcmp (o->pod, pod, NINES_ID_BYTES) == 0
        &&  o->at [o->planned - 1] > start)
            start = o->at [o->planned - 1];
    }
    duty->needed = engine_attempts_needed (self);
    duty->planned = duty->needed ? duty->needed + 1 : NINES_VOTE_ATTEMPTS_MAX;
    /* The window fits the round whatever the registry says: at most a
       quarter of round_timeout. */
    uint64_t window = p->vote_window_ms < p->round_timeout_ms / 4 ? p->vote_window_ms : p->round_timeout_ms / 4;
    uint64_t slice = window / duty->planned;
    for (uint8_t j = 0; j < duty->planned; j++)
        duty->at [j] = start + j * slice + engine_rand (self, slice ? slice : 1);
    duty->expires = duty->at [duty->planned - 1] + 2 * p->probe_timeout_ms + p->round_timeout_ms;
    return true;
}

/*  Is the outage of pod due for re-confirmation (PROTOCOL.md 8.2): the
    DOWN report held is at least down_confirm_ms old (an initiator), or
    3/4 of it (a member agreeing to vote: views of the latest report and
    clocks differ a little; a prober off the committee that missed the
    report and opens a DOWN round of its own gets a vote no sooner). */
bool
engine_confirm_due (nines_engine_t *self, const pod_t *pod, uint64_t now, bool member)
{
    uint64_t every = self->reg->params.down_confirm_ms;
    uint64_t age = member ? every - every / 4 : every;
    return every && pod->down && pod->down_report && now >= pod->confirmed + age;
}

/*  Send the duty's attempts that are due. */
void
engine_duty_tick (nines_engine_t *self, int d, uint64_t now)
{
    duty_t *duty = &self->duties [d];
    if (now >= duty->expires) {
        duty->used = false;
        return;
    }
    while (!duty->voted && duty->sent < duty->planned && now >= duty->at [duty->sent]) {
        pod_t *pod = engine_pod_get (self, duty->pod);
        if (!pod) {
            duty->used = false;
            return;
        }
        if (duty->sent == 0 && duty->want_down && pod->down && pod->down_report
        &&  !engine_confirm_due (self, pod, now, true)) {
            /* The outage was reported meanwhile and no re-confirmation is
               due: hand the report over (the pull rule of PROTOCOL.md 8.2)
               instead of measuring. */
            if (!engine_is_me (self, duty->initiator))
                engine_send_held_report (self, pod->down_report, pod->down_len, duty->initiator, NULL, 0, 0);
            duty->used = false;
            return;
        }
        inflight_t *slot = engine_probe (self, pod->pod, PROBE_DUTY, d, 0);
        if (slot) {
            slot->duty_serial = duty->serial;
            slot->attempt = duty->sent;
        }
        duty->at [duty->sent++] = now;      /* the instant it actually went out */
    }
}

/*  Ask the round's committee to measure and vote (CONFIRM_REQ): all of
    it when the round opens (first), later only the members whose vote
    has not arrived, since a request or a vote may have been lost. */
void
engine_confirm_send (nines_engine_t *self, round_t *r, bool first)
{
    nines_peer_msg_t *msg = self->scratch;
    for (size_t i = 0; i < r->n_members; i++) {
        bool voted = false;
        for (size_t k = 0; k < r->n_votes && !voted; k++)
            voted = memcmp (r->votes [k].body.validator, r->members [i], NINES_ID_BYTES) == 0;
        if (voted)
            continue;
        if (engine_is_me (self, r->members [i])) {
            /* We sit on our own committee: take the duty locally. */
            if (first)
                engine_duty_add (self, r->round_id, r->pod, r->epoch, self->kp.pk,
                            r->want == NINES_REPORT_DOWN, r->opened);
            continue;
        }
        memset (msg, 0, offsetof (nines_peer_msg_t, u) + sizeof (nines_confirm_req_t));
        msg->type = NINES_MSG_CONFIRM_REQ;
        memcpy (msg->u.confirm.round_id, r->round_id, NINES_HASH_BYTES);
        memcpy (msg->u.confirm.pod, r->pod, NINES_ID_BYTES);
        msg->u.confirm.epoch = r->epoch;
        memcpy (msg->u.confirm.initiator, self->kp.pk, NINES_ID_BYTES);
        msg->u.confirm.t_ms = r->opened;
        msg->u.confirm.outcome = r->outcome;
        engine_send (self, r->members [i], msg);
        if (!first)
            self->stats.confirms_resent++;
    }
}

void
engine_open_round (nines_engine_t *self, pod_t *pod, uint8_t want, int outcome, uint64_t now)
{
    const nines_params_t *p = &self->reg->params;
    int at = engine_free_slot ((void **) &self->rounds, &self->cap_rounds, MAX_ROUNDS, sizeof (round_t));
    if (at < 0)
        return;
    round_t *r = &self->rounds [at];
    size_t c = nines_registry_committee_size (self->reg);
    if (r->cap_votes < c) {
        nines_vote_t *grown = realloc (r->votes, c * sizeof *grown);
        if (!grown)
            return;
        r->votes = grown;
        r->cap_votes = c;
    }
    HI_BUMP (self->rounds_hi, at);
    nines_vote_t *votes = r->votes;
    size_t cap_votes = r->cap_votes;
    memset (r, 0, sizeof *r);
    r->votes = votes;
    r->cap_votes = cap_votes;
    r->used = true;
    r->want = want;
    r->epoch = self->epoch;
    memcpy (r->pod, pod->pod, NINES_ID_BYTES);
    uint8_t nonce [16];
    for (int i = 0; i < 2; i++) {
        uint64_t v = nines_rng_u64 (&self->rng);
        memcpy (nonce + 8 * i, &v, 8);
    }
    nines_round_id (r->round_id, pod->pod, r->epoch, self->kp.pk, nonce);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    r->n_members = nines_registry_committee (self->reg, pod->pod, r->epoch, c, members, &r->total);
    for (size_t i = 0; i < r->n_members; i++) {
        memcpy (r->members [i], members [i]->id, NINES_ID_BYTES);
        r->weights [i] = nines_validator_weight (members [i]);
    }
    r->deadline = now + p->round_timeout_ms;
    r->opened = now;
    r->outcome = (uint8_t) outcome;
    r->next_resend = now + p->round_timeout_ms / 5;
    pod->busy_until = r->deadline;
    pod->busy_confirm = want == NINES_REPORT_DOWN && pod->down;
    self->stats.rounds_opened++;
    engine_confirm_send (self, r, true);
}


/*  Form the report from the agreeing votes (DESIGN.md §7.5). */
static void
s_form_report (nines_engine_t *self, round_t *r, uint8_t verdict, uint64_t now)
{
    nines_report_t *report = calloc (1, sizeof *report);
    if (!report)
        return;
    report->kind = r->want;
    memcpy (report->pod, r->pod, NINES_ID_BYTES);
    report->epoch = r->epoch;
    memcpy (report->round_id, r->round_id, NINES_HASH_BYTES);
    uint64_t times [NINES_REPORT_MAX_VOTES];
    for (size_t i = 0; i < r->n_votes; i++)
        if (r->votes [i].body.verdict == verdict) {
            times [report->n_votes] = r->votes [i].body.t_ms;
            report->votes [report->n_votes++] = r->votes [i];
        }
    qsort (times, report->n_votes, sizeof times [0], nines_cmp_u64);
    report->t_ms = times [report->n_votes / 2];
    if (r->want == NINES_REPORT_DOWN)
        self->stats.rounds_down++;
    else
        self->stats.rounds_up++;
    /* The round lingers, closed, until its deadline: a member that signs
       a conflicting vote after the quorum formed is still caught. */
    r->done = true;
    pod_t *pod = engine_pod (self, r->pod);
    if (pod)
        pod->busy_until = 0;
    engine_accept_report (self, report, FROM_OWN, now);
    free (report);
}

static int
s_member_index (const round_t *r, const uint8_t id [NINES_ID_BYTES])
{
    for (size_t i = 0; i < r->n_members; i++)
        if (memcmp (r->members [i], id, NINES_ID_BYTES) == 0)
            return (int) i;
    return -1;
}

static void
s_misbehaviour (nines_engine_t *self, const nines_vote_t *a, const nines_vote_t *b)
{
    nines_peer_msg_t *msg = self->scratch;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    msg->type = NINES_MSG_MISBEHAVIOUR;
    memcpy (msg->from, self->kp.pk, NINES_ID_BYTES);
    msg->u.misbehaviour.a = *a;
    msg->u.misbehaviour.b = *b;
    size_t len = 0;
    if (nines_peer_msg_encode (msg, self->frame, NINES_PEER_MSG_MAX, &len))
        return;
    nines_action_t *act = engine_push (self, NINES_ACT_MISBEHAVIOUR);
    if (!act)
        return;
    memcpy (act->peer, a->body.validator, NINES_ID_BYTES);
    memcpy (act->pod, a->body.pod, NINES_ID_BYTES);
    act->data = engine_dup (self->frame, len);
    act->len = act->data ? len : 0;
    self->stats.misbehaviours++;
}

int
engine_on_vote (nines_engine_t *self, const nines_vote_t *vote, uint64_t now)
{
    round_t *r = NULL;
    for (int i = 0; i < self->rounds_hi && !r; i++)
        if (self->rounds [i].used
        &&  memcmp (self->rounds [i].round_id, vote->body.round_id, NINES_HASH_BYTES) == 0)
            r = &self->rounds [i];
    if (!r)
        return NINES_ENOTFOUND;
    int m = s_member_index (r, vote->body.validator);
    if (m < 0)
        return NINES_ENOTCOMMITTEE;
    if (memcmp (vote->body.pod, r->pod, NINES_ID_BYTES) || vote->body.epoch != r->epoch)
        return NINES_EMALFORMED;
    if (engine_vote_verify (self, vote))
        return NINES_EBADSIG;
    for (size_t i = 0; i < r->n_votes; i++)
        if (memcmp (r->votes [i].body.validator, vote->body.validator, NINES_ID_BYTES) == 0) {
            if (r->votes [i].body.verdict != vote->body.verdict)
                s_misbehaviour (self, &r->votes [i], vote);
            return NINES_EDUPSIGNER;
        }
    if (r->n_votes == r->cap_votes)
        return NINES_EFULL;
    r->votes [r->n_votes++] = *vote;
    if (r->done)
        return NINES_OK;            /* late: kept only to catch equivocation */
    r->weight [vote->body.verdict] += r->weights [m];
    uint8_t verdict = r->want == NINES_REPORT_DOWN ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
    if (nines_quorum_reached (r->weight [verdict], r->total, self->reg->params.theta_ppm))
        s_form_report (self, r, verdict, now);
    return NINES_OK;
}

/*  Deliver a signed vote to the round's initiator. */
void
engine_vote_deliver (nines_engine_t *self, const uint8_t initiator [NINES_ID_BYTES], const nines_vote_t *vote,
                uint64_t now)
{
    if (engine_is_me (self, initiator))
        engine_on_vote (self, vote, now);
    else {
        nines_peer_msg_t *msg = self->scratch;
        memset (msg, 0, offsetof (nines_peer_msg_t, u));
        msg->type = NINES_MSG_VOTE;
        msg->u.vote = *vote;
        engine_send (self, initiator, msg);
    }
}

/*  Sign and deliver our vote for a duty: `up` on an `ok` heartbeat (with
    the facade's signed answer as proof), `down` when every attempt
    failed and our own loss q makes q^failed at most vote_false, abstain
    otherwise, or when self-health or Lifeguard's multiplier at its cap
    say our own network is bad (PROTOCOL.md 8.1).  The answered attempts
    go into the vote, oldest first. */
void
engine_vote (nines_engine_t *self, duty_t *duty, int outcome, const nines_hb_resp_t *resp,
        const uint8_t *nonce, uint64_t req_t_ms, uint64_t now)
{
    duty->voted = true;
    const nines_adversary_t *adv = self->cfg.hooks.adversary;
    if ((adv && adv->silent) || !engine_may_sign (self, now))
        return;
    nines_vote_t *vote = &duty->vote;
    memset (vote, 0, sizeof *vote);
    memcpy (vote->body.round_id, duty->round_id, NINES_HASH_BYTES);
    memcpy (vote->body.pod, duty->pod, NINES_ID_BYTES);
    vote->body.epoch = duty->epoch;
    memcpy (vote->body.validator, self->kp.pk, NINES_ID_BYTES);
    vote->body.outcome = (uint8_t) outcome;
    vote->body.t_ms = now;
    uint8_t failed = 0;
    for (uint8_t j = 0; j < duty->sent; j++)
        if (duty->answered [j]) {
            nines_attempt_t *at = &vote->body.attempts [vote->body.n_attempts++];
            at->age_ms = (uint32_t) (now - duty->at [j] > UINT32_MAX ? UINT32_MAX : now - duty->at [j]);
            at->outcome = duty->outcome [j];
            failed += duty->outcome [j] != NINES_OUTCOME_OK;
        }
    /* needed was chosen from our loss when the duty began; a Lifeguard
       multiplier at its cap since then (our own pings unanswered) still
       takes the confidence away. */
    bool confident = duty->needed && failed >= duty->needed && self->lhm < self->cfg.lhm_max;
    if (self->stats.degraded && !adv)
        vote->body.verdict = NINES_VERDICT_ABSTAIN;
    else
    if (outcome == NINES_OUTCOME_OK)
        vote->body.verdict = NINES_VERDICT_UP;
    else
    if (!confident && !adv)
        vote->body.verdict = NINES_VERDICT_ABSTAIN;
    else
        vote->body.verdict = NINES_VERDICT_DOWN;
    if (adv && adv->verdict >= 0)
        vote->body.verdict = (uint8_t) adv->verdict;
    if (vote->body.verdict == NINES_VERDICT_DOWN)
        for (uint8_t j = 0; j < vote->body.n_attempts; j++)
            if (vote->body.attempts [j].outcome == NINES_OUTCOME_OK)
                vote->body.attempts [j].outcome = NINES_OUTCOME_TIMEOUT;     /* a liar's claim */
    if (vote->body.verdict == NINES_VERDICT_UP && resp && nonce && outcome == NINES_OUTCOME_OK) {
        vote->body.has_proof = true;
        memcpy (vote->body.proof_nonce, nonce, NINES_NONCE_BYTES);
        vote->body.proof_t_ms = req_t_ms;
        vote->body.proof = *resp;
    }
    int rounds = adv && adv->equivocates ? 2 : 1;
    for (int k = 0; k < rounds; k++) {
        if (k == 1) {
            /* The second, conflicting vote; the first stays in the duty. */
            nines_vote_t other = *vote;
            other.body.verdict = vote->body.verdict == NINES_VERDICT_UP ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
            other.body.has_proof = false;
            for (uint8_t j = 0; j < other.body.n_attempts; j++)
                other.body.attempts [j].outcome = other.body.verdict == NINES_VERDICT_DOWN
                                                ? NINES_OUTCOME_TIMEOUT : NINES_OUTCOME_OK;
            if (nines_vote_sign (&other, &self->kp))
                return;
            self->stats.votes_sent++;
            engine_vote_deliver (self, duty->initiator, &other, now);
            continue;
        }
        if (nines_vote_sign (vote, &self->kp)) {
            duty->voted = false;
            return;
        }
        s_own_vote (self, vote);
        self->stats.votes_sent++;
        self->stats.votes_down += vote->body.verdict == NINES_VERDICT_DOWN;
        self->stats.votes_abstain += vote->body.verdict == NINES_VERDICT_ABSTAIN;
        engine_vote_deliver (self, duty->initiator, vote, now);
    }
}
