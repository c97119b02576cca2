/*  The forging adversary (chain_forge.h): tests and nines-sim only. */
#include "node/chain_forge.h"
#include "base/log.h"
#include "evm/evidence.h"
#include "evm/staking.h"
#include "proto/committee.h"
#include "proto/ids.h"
#include <inttypes.h>
#include <string.h>

static const char *const s_names [] = { "none", "forge-claim", "forge-down", "forge-committee" };

int
nines_adversary_parse (const char *name, int *mode)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp (name, s_names [i])) {
            *mode = i;
            return 0;
        }
    return NINES_EINVAL;
}

const char *
nines_adversary_name (int mode)
{
    return mode >= 0 && mode < 4 ? s_names [mode] : "?";
}

/*  What one forged report is built from. */
typedef struct {
    const nines_registry_t *reg;
    const uint32_t *index;
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];  /* claimed, rank order */
    size_t n;
    size_t me;                      /* our position in members */
    uint8_t pod [32];
    uint64_t epoch;
} plan_t;

static uint32_t
s_cindex (const plan_t *p, const nines_validator_info_t *v)
{
    long at = nines_registry_validator_index (p->reg, v->id);
    return p->index ? p->index [at] : (uint32_t) at;
}

/*  Report kind (votes at t_ms) of plan p into *w, and as the contract's
    into *out (committee: the claimed members' contract indexes,
    ascending): our vote signed with kp, then forged votes, heaviest
    first, until quorum.  *forged the forged votes; 0, NINES_EQUORUM
    (every member is not enough) or the codes of src/wire. */
static int
s_report (const plan_t *p, uint8_t kind, uint64_t t_ms, const nines_keypair_t *kp, nines_report_t *w,
          nines_evm_report_buf_t *out, uint32_t *forged)
{
    memset (w, 0, sizeof *w);
    memset (out, 0, sizeof *out);
    w->kind = kind;
    memcpy (w->pod, p->pod, 32);
    w->epoch = p->epoch;
    nines_random (w->round_id, sizeof w->round_id);
    w->t_ms = t_ms;
    uint64_t total = 0, agree = 0;
    bool used [NINES_REPORT_MAX_VOTES] = { false };
    for (size_t i = 0; i < p->n; i++) {
        total += nines_validator_weight (p->members [i]);
        out->committee [i] = s_cindex (p, p->members [i]);
    }
    for (size_t i = 1; i < p->n; i++)           /* ascending: insertion sort, n <= 64 */
        for (size_t j = i; j > 0 && out->committee [j - 1] > out->committee [j]; j--) {
            uint32_t t = out->committee [j];
            out->committee [j] = out->committee [j - 1];
            out->committee [j - 1] = t;
        }
    *forged = 0;
    size_t next = p->me;
    while (w->n_votes < p->n && (!w->n_votes || !nines_quorum_reached (agree, total, p->reg->params.theta_ppm))) {
        const nines_validator_info_t *m = p->members [next];
        nines_vote_t *v = &w->votes [w->n_votes];
        nines_vote_body_t *b = &v->body;
        memcpy (b->round_id, w->round_id, 32);
        memcpy (b->pod, p->pod, 32);
        b->epoch = p->epoch;
        memcpy (b->validator, m->id, 32);
        b->verdict = kind == NINES_REPORT_DOWN ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;
        b->outcome = kind == NINES_REPORT_DOWN ? NINES_OUTCOME_TIMEOUT : NINES_OUTCOME_OK;
        b->t_ms = t_ms;
        b->n_attempts = kind == NINES_REPORT_DOWN ? 4 : 1;
        for (uint8_t a = 0; a < b->n_attempts; a++)
            b->attempts [a] = (nines_attempt_t) { .age_ms = 400u * (b->n_attempts - a), .outcome = b->outcome };
        int rc = next == p->me ? nines_vote_sign (v, kp) : nines_vote_encode (v);
        if (rc)
            return rc;
        if (next != p->me) {
            nines_random (v->sig, NINES_SIG_BYTES);     /* forged */
            (*forged)++;
        }
        used [next] = true;
        agree += nines_validator_weight (m);
        nines_evm_vote_t *o = &out->votes [w->n_votes];
        uint32_t ci = s_cindex (p, m);
        for (size_t i = 0; i < p->n; i++)
            if (out->committee [i] == ci)
                o->member = (uint8_t) i;
        o->body = v->signed_bytes;
        o->body_len = v->signed_len;
        memcpy (o->r, v->sig, 32);
        memcpy (o->s, v->sig + 32, 32);
        w->n_votes++;
        /* the heaviest member not used yet */
        next = p->n;
        for (size_t i = 0; i < p->n; i++)
            if (!used [i] && (next == p->n || nines_validator_weight (p->members [i])
                                              > nines_validator_weight (p->members [next])))
                next = i;
        if (next == p->n)
            break;
    }
    if (!nines_quorum_reached (agree, total, p->reg->params.theta_ppm))
        return NINES_EQUORUM;
    nines_evm_report_t *r = &out->report;
    r->kind = kind;
    memcpy (r->pod, p->pod, 32);
    r->epoch = p->epoch;
    memcpy (r->round_id, w->round_id, 32);
    r->t_ms = t_ms;
    r->committee = out->committee;
    r->n_committee = p->n;
    r->votes = out->votes;
    r->n_votes = w->n_votes;
    return 0;
}

/*  The pod and claimed committee for f->mode in epoch, into *p: 1 found,
    0 none fits. */
static int
s_plan (const nines_forge_t *f, plan_t *p, const nines_keypair_t *kp)
{
    long me = nines_registry_validator_index (p->reg, kp->pk);
    if (me < 0)
        return 0;
    const nines_validator_info_t *self = &p->reg->validators [me];
    size_t c = nines_registry_committee_size (p->reg);
    for (size_t i = 0; i < p->reg->n_pods; i++) {
        memcpy (p->pod, p->reg->pods [i].pod, 32);
        p->n = nines_registry_committee (p->reg, p->pod, p->epoch, c, p->members, NULL);
        p->me = p->n;
        for (size_t j = 0; j < p->n; j++)
            if (p->members [j] == self)
                p->me = j;
        bool in = p->me < p->n;
        if (p->n < 2 || (f->mode == NINES_ADVERSARY_FORGE_COMMITTEE) == in)
            continue;
        if (!in) {
            p->me = p->n - 1;
            p->members [p->me] = self;  /* the last-ranked member replaced by us */
        }
        return 1;
    }
    return 0;
}

typedef struct {
    nines_report_t down, up;
    nines_evm_report_buf_t cdown, cup;
} forged_t;

int
nines_forge_pass (nines_forge_t *f, const nines_watch_env_t *env, const nines_keypair_t *kp)
{
    if (f->done || f->mode == NINES_ADVERSARY_NONE || env->index < 0)
        return 0;
    int rc = 0;
    if (!f->epoch_ms) {
        nines_buf_t o = { 0 };
        rc = env->view (env->link, "parameters()", NULL, 0, "latest", &o);
        if (!rc && (nines_abi_get_uint (o.data, o.len, 1, &f->genesis_ms)
                ||  nines_abi_get_uint (o.data, o.len, 2, &f->epoch_ms)))
            rc = NINES_EMALFORMED;
        nines_buf_free (&o);
        if (rc)
            return rc;
    }
    uint64_t t_down = env->head_ms > 2000 ? env->head_ms - 2000 : 0, t_up = t_down + 2000;
    plan_t p = { .epoch = nines_epoch_of (t_down, f->genesis_ms, f->epoch_ms ? f->epoch_ms : 1) };
    if ((rc = env->registry (env->link, p.epoch, &p.reg, &p.index)))
        return rc;
    if (!s_plan (f, &p, kp))
        return 0;                       /* not this epoch: the next pass tries again */
    forged_t *x = (forged_t *) calloc (1, sizeof *x);
    if (!x)
        return NINES_ENOMEM;
    uint32_t fd = 0, fu = 0;
    bool with_up = f->mode == NINES_ADVERSARY_FORGE_CLAIM;
    rc = s_report (&p, NINES_REPORT_DOWN, t_down, kp, &x->down, &x->cdown, &fd);
    if (!rc && with_up)
        rc = s_report (&p, NINES_REPORT_UP, t_up, kp, &x->up, &x->cup, &fu);
    const nines_evm_report_t *up = with_up ? &x->cup.report : NULL;
    nines_buf_t data = { 0 };
    if (!rc)
        rc = nines_evm_calldata_claim (&data, (uint32_t) env->index, &x->cdown.report, up);
    char hc [NINES_ID_HEX], hp [NINES_ID_HEX], ht [NINES_ID_HEX];
    nines_hex (hp, p.pod, 32);
    if (!rc) {
        nines_evm_claim_id (f->claim, &x->cdown.report, with_up);
        nines_hex (hc, f->claim, 32);
        rc = env->send (env->link, &data, env->bond, f->tx);
    }
    nines_buf_free (&data);
    free (x);
    if (rc && rc != NINES_EREVERTED && rc != NINES_EQUORUM && rc != NINES_ETOOBIG)
        return rc;                      /* the node: try again next pass */
    f->done = true;
    if (rc) {
        nines_warn ("evm/adversary = %s: the forged claim for pod %.16s (epoch %" PRIu64 ") was not sent: %s %s",
                    nines_adversary_name (f->mode), hp, p.epoch, nines_errname (rc),
                    rc == NINES_EREVERTED ? nines_rpc_errdata (env->rpc) : "");
        return 0;
    }
    f->sent++;
    memcpy (f->pod, p.pod, 32);
    f->forged_votes = fd + fu;
    nines_warn ("evm/adversary = %s: FORGED claim %.16s sent for pod %.16s (epoch %" PRIu64 ", %u forged "
                "votes, %s): tx %.16s", nines_adversary_name (f->mode), hc, hp, p.epoch, fd + fu,
                with_up ? "DOWN + UP" : "DOWN only", nines_hex (ht, f->tx, 32));
    return 0;
}
