/*  Watching the contract's claims and proving the bad ones (chain_watch.h). */
#include "node/chain_watch.h"
#include "base/grow.h"
#include "base/log.h"
#include "evm/calldata.h"
#include "evm/evidence.h"
#include "evm/follow.h"
#include "evm/key.h"
#include "evm/staking.h"
#include "proto/ids.h"
#include "proto/verify.h"
#include <inttypes.h>
#include <string.h>

/*  The contract's Status enum. */
enum { ST_NONE, ST_PENDING, ST_FINALIZED, ST_VOIDED, ST_ACCOUNTED };

#define STEPS 8                     /* log ranges read in one pass */

/*  A fraud found in one report of a claim: what the proof names. */
typedef struct {
    int committee;                  /* 1 challengeCommittee, 0 challengeSignature */
    uint8_t which;                  /* 0 the DOWN, 1 the UP */
    uint64_t at;                    /* the bad vote, or the claimed member's position */
    uint32_t outsider;              /* committee: the true member left out */
} fraud_t;

/*  One of our challenges, until its receipt. */
typedef struct {
    uint8_t claim [32];
    uint8_t pod [32];
    uint8_t tx [32];
    uint64_t deadline;              /* the claim's challenge window end, ms */
    nines_buf_t data;               /* its calldata: sent again when the node loses it */
} challenge_t;

struct _nines_watch_t {
    nines_follow_t follow;
    bool started;
    challenge_t *ch;
    size_t n_ch, cap_ch;
    nines_evm_report_buf_t down, up, truth;
    nines_report_t *wire;           /* a claimed report as src/wire's */
    nines_metric_t *m_watched, *m_challenges;
    nines_watch_stats_t st;
};

nines_watch_t *
nines_watch_new (nines_metrics_t *metrics)
{
    nines_watch_t *self = (nines_watch_t *) calloc (1, sizeof *self);
    if (self)
        self->wire = (nines_report_t *) calloc (1, sizeof *self->wire);
    if (!self || !self->wire) {
        free (self);
        return NULL;
    }
    if (metrics) {
        self->m_watched = nines_metrics_add (metrics, NINES_METRIC_COUNTER, "nines_chain_watched_total",
            "Pending claims on the chain this node checked against the ledger's rules.", NULL, 1, NULL, 0);
        self->m_challenges = nines_metrics_add (metrics, NINES_METRIC_COUNTER, "nines_chain_challenges_total",
            "Fraud proofs against claims, by result (sent; won: ours voided the claim; backed_off: "
            "another challenger's came first; failed).", "result", 4, NULL, 0);
    }
    return self;
}

void
nines_watch_destroy (nines_watch_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_watch_t *self = *self_p;
    for (size_t i = 0; i < self->n_ch; i++)
        nines_buf_free (&self->ch [i].data);
    free (self->ch);
    free (self->wire);
    free (self);
    *self_p = NULL;
}

void
nines_watch_stats (const nines_watch_t *self, nines_watch_stats_t *out)
{
    *out = self->st;
    out->rewinds = self->follow.reorgs;
}

static void
s_count (nines_watch_t *self, uint64_t *field, const char *result)
{
    (*field)++;
    if (self->m_challenges)
        nines_metric_inc (self->m_challenges, (const char *[]) { result }, 1);
}

/*  claimStatus(id) at block ("latest", "pending") into *status. */
static int
s_status (const nines_watch_env_t *env, const uint8_t id [32], const char *block, uint64_t *status)
{
    nines_buf_t o = { 0 };
    nines_abi_t a = nines_abi_word (id);
    int rc = env->view (env->link, "claimStatus(bytes32)", &a, 1, block, &o);
    if (!rc && nines_abi_get_uint (o.data, o.len, 0, status))
        rc = NINES_EMALFORMED;
    nines_buf_free (&o);
    return rc;
}

static const char *
s_status_name (uint64_t status)
{
    static const char *const names [] = { "none", "pending", "finalized", "voided", "accounted" };
    return status < 5 ? names [status] : "?";
}

/*  ---- judging one claimed report ---- */

static bool
s_has (const uint32_t *list, size_t n, uint32_t v)
{
    for (size_t i = 0; i < n; i++)
        if (list [i] == v)
            return true;
    return false;
}

/*  Report which (rep) of claim cid by the ledger's rules with the chain's
    registry of its epoch: 1 with *f the proof, 0 nothing the contract
    would take, or an rpc code. */
static int
s_judge (nines_watch_t *self, const nines_watch_env_t *env, const uint8_t cid [32],
         const nines_evm_report_t *rep, uint8_t which, fraud_t *f)
{
    const nines_registry_t *reg = NULL;
    const uint32_t *index = NULL;
    int rc = env->registry (env->link, rep->epoch, &reg, &index);
    if (rc)
        return rc;
    char hex [NINES_ID_HEX];
    const char *label = which ? "up" : "down";
    if ((rc = nines_evm_report_wire (rep, self->wire))) {
        nines_warn ("claim %.16s: its %s report does not decode as src/wire's (%s): not checked",
                    nines_hex (hex, cid, 32), label, nines_strerror (rc));
        return 0;
    }
    /* the committee of the report's pod and epoch, as contract indexes */
    (void) nines_evm_report_of (&self->truth, self->wire, reg, index);
    const nines_evm_report_t *t = &self->truth.report;
    memset (f, 0, sizeof *f);
    f->which = which;
    for (size_t j = 0; j < rep->n_committee && !f->committee; j++)
        if (!s_has (t->committee, t->n_committee, rep->committee [j]))
            for (size_t k = 0; k < t->n_committee && !f->committee; k++)
                if (t->committee [k] != UINT32_MAX && !s_has (rep->committee, rep->n_committee, t->committee [k])) {
                    f->committee = 1;
                    f->at = j;
                    f->outsider = t->committee [k];
                }
    if (f->committee)
        return 1;
    /* the ledger's checks, signatures by its own rule */
    char detail [256] = "";
    rc = nines_ledger_verify_report (reg, self->wire, rep->kind, NINES_NOW_UNKNOWN, label, NULL, NULL,
                                     detail, sizeof detail);
    if (rc == NINES_EBADSIG)
        for (size_t v = 0; v < self->wire->n_votes; v++)
            if (nines_vote_verify (&self->wire->votes [v])) {
                f->at = v;
                return 1;
            }
    if (rc)
        nines_warn ("claim %.16s: its %s report fails the ledger's check (%s: %s), which no challenge proves",
                    nines_hex (hex, cid, 32), label, nines_errname (rc), detail);
    return 0;
}

/*  ---- challenging ---- */

static bool
s_challenging (const nines_watch_t *self, const uint8_t cid [32])
{
    for (size_t i = 0; i < self->n_ch; i++)
        if (!memcmp (self->ch [i].claim, cid, 32))
            return true;
    return false;
}

/*  Another challenger's proof came first: the claim is status now. */
static void
s_backed_off (nines_watch_t *self, const uint8_t cid [32], uint64_t status, const char *when)
{
    char hex [NINES_ID_HEX];
    s_count (self, &self->st.backed_off, "backed_off");
    nines_info ("claim %.16s is %s %s: another challenger's proof came first, backing off",
                nines_hex (hex, cid, 32), s_status_name (status), when);
}

/*  Send the proof f against claim cid (reports down, up) unless the claim
    is no longer pending.  0 or an rpc code. */
static int
s_challenge (nines_watch_t *self, const nines_watch_env_t *env, const uint8_t cid [32], const uint8_t pod [32],
             uint64_t claimant, uint64_t deadline, const nines_evm_report_t *down,
             const nines_evm_report_t *up, const fraud_t *f)
{
    uint64_t status = 0;
    int rc = s_status (env, cid, "pending", &status);
    if (rc)
        return rc;
    if (status != ST_PENDING) {
        s_backed_off (self, cid, status, "before we sent our proof");
        return 0;
    }
    nines_buf_t data = { 0 };
    rc = f->committee ? nines_evm_calldata_challenge_committee (&data, cid, down, up, f->which, f->at, f->outsider)
                      : nines_evm_calldata_challenge_signature (&data, cid, down, up, f->which, f->at);
    uint8_t tx [32];
    if (!rc)
        rc = env->send (env->link, &data, 0, tx);
    char hc [NINES_ID_HEX], hp [NINES_ID_HEX], ht [NINES_ID_HEX];
    nines_hex (hc, cid, 32);
    nines_hex (hp, pod, 32);
    const char *label = f->which ? "up" : "down";
    if (rc)
        nines_buf_free (&data);
    if (rc == NINES_EREVERTED) {
        const char *why = nines_rpc_errdata (env->rpc);
        char whybuf [80];
        snprintf (whybuf, sizeof whybuf, "%s", why);
        if ((rc = s_status (env, cid, "latest", &status)))
            return rc;
        if (status != ST_PENDING)
            s_backed_off (self, cid, status, "at our proof's estimate");
        else {
            s_count (self, &self->st.failed, "failed");
            nines_warn ("claim %.16s (pod %.16s): the contract refuses our %s proof (%s report, %s %" PRIu64 "): %s",
                        hc, hp, f->committee ? "committee" : "signature", label,
                        f->committee ? "member" : "vote", f->at, whybuf);
        }
        return 0;
    }
    if (rc)
        return rc;
    challenge_t *c = (challenge_t *) nines_grow (self->ch, &self->cap_ch, self->n_ch, sizeof *c, 4);
    if (c) {
        self->ch = c;
        c = &self->ch [self->n_ch++];
        memcpy (c->claim, cid, 32);
        memcpy (c->pod, pod, 32);
        memcpy (c->tx, tx, 32);
        c->deadline = deadline;
        c->data = data;
    }
    else
        nines_buf_free (&data);
    s_count (self, &self->st.sent, "sent");
    if (f->committee)
        nines_info ("claim %.16s (pod %.16s, claimant %" PRIu64 "): %s report's committee member %" PRIu64
                    " is not in the committee of epoch %" PRIu64 " (validator %u is): challengeCommittee sent, tx %.16s",
                    hc, hp, claimant, label, f->at, f->which ? up->epoch : down->epoch, f->outsider,
                    nines_hex (ht, tx, 32));
    else
        nines_info ("claim %.16s (pod %.16s, claimant %" PRIu64 "): %s report's vote %" PRIu64
                    " does not verify (" NINES_DOMAIN_VOTE "): challengeSignature sent, tx %.16s",
                    hc, hp, claimant, label, f->at, nines_hex (ht, tx, 32));
    return 0;
}

/*  Challenge c not mined: when the node knows its transaction no more
    (restarted without its pool, a reorganisation) and the claim is still
    pending, send it again.  0 or an rpc code. */
static int
s_lost (nines_watch_t *self, const nines_watch_env_t *env, challenge_t *c)
{
    nines_buf_t in = { 0 };
    uint64_t status = 0;
    int rc = nines_rpc_tx_input (env->rpc, c->tx, &in, NULL, NULL);
    nines_buf_free (&in);
    if (rc != NINES_ENOTFOUND)
        return rc;                      /* in the pool (0), or the node is away */
    if ((rc = s_status (env, c->claim, "latest", &status)) || status != ST_PENDING)
        return rc;                      /* decided: the receipt pass after the deadline says how */
    uint8_t tx [32];
    if ((rc = env->send (env->link, &c->data, 0, tx)) == NINES_EREVERTED)
        return 0;                       /* the chain moved: as above */
    if (rc)
        return rc;
    char hc [NINES_ID_HEX], ht [NINES_ID_HEX], hn [NINES_ID_HEX];
    nines_warn ("claim %.16s: our challenge tx %.16s is gone from the node (a restart without its pool, "
                "a reorganisation): sent again, tx %.16s", nines_hex (hc, c->claim, 32),
                nines_hex (ht, c->tx, 32), nines_hex (hn, tx, 32));
    memcpy (c->tx, tx, 32);
    self->st.resent++;
    return 0;
}

/*  Our challenges' receipts: won, backed off (another's first) or
    failed.  0 or an rpc code. */
static int
s_receipts (nines_watch_t *self, const nines_watch_env_t *env)
{
    char hc [NINES_ID_HEX], ht [NINES_ID_HEX], ha [NINES_ADDRESS_TEXT];
    for (size_t i = 0; i < self->n_ch; ) {
        challenge_t *c = &self->ch [i];
        nines_receipt_t r;
        uint64_t status = 0;
        int rc = nines_rpc_receipt (env->rpc, c->tx, &r);
        if (rc == NINES_ENOTFOUND && env->head_ms <= c->deadline) {
            if ((rc = s_lost (self, env, c)) < 0)
                return rc;
            i++;
            continue;                   /* not mined yet, or sent again */
        }
        if (rc && rc != NINES_ENOTFOUND)
            return rc;
        bool mined = rc == 0;
        if (mined)
            self->st.gas_challenge += r.gas_used;
        if (!mined || r.status != 1) {
            if ((rc = s_status (env, c->claim, "latest", &status)))
                return rc;
            if (status == ST_VOIDED)
                s_backed_off (self, c->claim, status, mined ? "when our proof was mined (reverted)"
                                                            : "and our proof was never mined");
            else {
                s_count (self, &self->st.failed, "failed");
                nines_warn ("claim %.16s: our challenge tx %.16s %s; the claim is %s", nines_hex (hc, c->claim, 32),
                            nines_hex (ht, c->tx, 32), mined ? "reverted" : "was never mined",
                            s_status_name (status));
            }
        }
        else {
            s_count (self, &self->st.won, "won");
            nines_info ("claim %.16s voided by our challenge (tx %.16s, %" PRIu64 " gas): the bond and the "
                        "claimant's fraud slash are owed to %s (withdraw())", nines_hex (hc, c->claim, 32),
                        nines_hex (ht, c->tx, 32), r.gas_used, nines_evm_checksum (ha, env->address));
        }
        nines_buf_free (&c->data);
        self->ch [i] = self->ch [--self->n_ch];
    }
    return 0;
}

/*  ---- the logs ---- */

/*  One Claimed log: read its claim from the transaction, judge it,
    challenge it.  0 or an rpc code. */
static int
s_claimed (nines_watch_t *self, const nines_watch_env_t *env, const nines_log_t *log)
{
    const uint8_t *cid = log->topics [1], *pod = log->topics [2];
    uint64_t claimant = 0, deadline = 0, status = 0;
    if (log->n_topics < 3 || nines_abi_get_uint (log->data, log->data_len, 0, &claimant)
    ||  nines_abi_get_uint (log->data, log->data_len, 4, &deadline))
        return 0;
    if ((int64_t) claimant == env->index || deadline <= env->head_ms || s_challenging (self, cid))
        return 0;                       /* ours, too late, or proven already */
    int rc = s_status (env, cid, "latest", &status);
    if (rc || status != ST_PENDING)
        return rc;
    nines_buf_t cd = { 0 };
    uint8_t to [20], id [32];
    uint32_t who = 0;
    const nines_evm_report_t *up = NULL;
    char hex [NINES_ID_HEX], thex [NINES_ID_HEX];
    rc = nines_rpc_tx_input (env->rpc, log->tx_hash, &cd, NULL, to);
    if (rc == NINES_ENOTFOUND)
        rc = NINES_EUNAVAIL;            /* the node has its log but not its transaction: ask again */
    if (!rc && (memcmp (to, env->contract, 20)
            ||  nines_evm_decode_claim (cd.data, cd.len, &who, &self->down, &self->up, &up)
            ||  (nines_evm_claim_id (id, &self->down.report, up != NULL), memcmp (id, cid, 32)))) {
        nines_warn ("claim %.16s: its transaction %.16s is not a call of claim() on the contract: not checked",
                    nines_hex (hex, cid, 32), nines_hex (thex, log->tx_hash, 32));
        nines_buf_free (&cd);
        return 0;
    }
    if (!rc) {
        self->st.watched++;
        if (self->m_watched)
            nines_metric_inc (self->m_watched, NULL, 1);
    }
    fraud_t f;
    for (uint8_t which = 0; !rc && which < 2; which++) {
        const nines_evm_report_t *rep = which ? up : &self->down.report;
        if (!rep)
            continue;
        rc = s_judge (self, env, cid, rep, which, &f);
        if (rc == 1) {
            rc = s_challenge (self, env, cid, pod, claimant, deadline, &self->down.report, up, &f);
            break;
        }
    }
    nines_buf_free (&cd);
    return rc;
}

/*  The cursor in the claims database: next (le64) || hash of next - 1. */
static void
s_cursor_load (nines_watch_t *self, const nines_watch_env_t *env)
{
    void *v = NULL;
    size_t len = 0;
    nines_follow_init (&self->follow, env->rpc, env->contract, env->start_block, 0);
    if (nines_store_get (env->store, env->db, NINES_WATCH_KEY, strlen (NINES_WATCH_KEY), &v, &len) == 0
    &&  len == 40)
        nines_follow_resume (&self->follow, nines_get_le64 ((const uint8_t *) v), (const uint8_t *) v + 8);
    free (v);
    self->started = true;
}

static void
s_cursor_save (nines_watch_t *self, const nines_watch_env_t *env)
{
    uint8_t v [40];
    uint64_t next = 0;
    nines_follow_cursor (&self->follow, &next, v + 8);
    nines_le64 (v, next);
    nines_store_put (env->store, env->db, NINES_WATCH_KEY, strlen (NINES_WATCH_KEY), v, sizeof v);
}

int
nines_watch_pass (nines_watch_t *self, const nines_watch_env_t *env)
{
    if (!self->started)
        s_cursor_load (self, env);
    self->follow.rpc = env->rpc;
    uint8_t topic [32];
    nines_evm_topic (topic, NINES_EVM_EV_CLAIMED);
    int rc = s_receipts (self, env);
    for (int step = 0; !rc && step < STEPS; step++) {
        nines_follow_t before = self->follow;
        nines_log_t *logs = NULL;
        size_t n = 0;
        uint64_t rewound = UINT64_MAX;
        if ((rc = nines_follow_poll (&self->follow, &logs, &n, &rewound)))
            break;
        if (rewound != UINT64_MAX) {
            nines_info ("chain reorganised: watching claims again from block %" PRIu64, rewound);
            continue;
        }
        if (self->follow.next == before.next)
            break;                      /* at the head */
        for (size_t i = 0; !rc && i < n; i++)
            if (!logs [i].removed && logs [i].n_topics >= 3 && !memcmp (logs [i].topics [0], topic, 32))
                rc = s_claimed (self, env, &logs [i]);
        nines_rpc_logs_free (logs, n);
        if (rc)
            self->follow = before;      /* read the range again next pass */
        else
            s_cursor_save (self, env);
    }
    if (!rc && self->n_ch)
        rc = s_receipts (self, env);    /* mined at once (a node that mines on arrival) */
    return rc;
}
