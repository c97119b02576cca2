/*  Evidence verification: a valid evidence passes, and each forgery is
    rejected with its own reason. */
#include "proto/verify.h"
#include "test_ledger_fixture.h"
#include "testutil.h"

static lfx_t F;

static int
s_verify (const nines_evidence_t *ev)
{
    char detail [320];
    int rc = nines_ledger_verify_evidence (F.reg, ev, LFX_T0 + 3600000, NULL, NULL, detail, sizeof detail);
    if (rc)
        fprintf (stderr, "  -> %s: %s\n", nines_errname (rc), detail);
    return rc;
}

static int n_checks_seen;
static void
s_count (void *arg, const char *check, int rc, const char *detail)
{
    n_checks_seen++;
}

static void
t_valid (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0, LFX_T0 + 600000);
    CHECK_RC (s_verify (ev), 0);
    n_checks_seen = 0;
    CHECK_RC (nines_ledger_verify_evidence (F.reg, ev, NINES_NOW_UNKNOWN, s_count, NULL, NULL, 0), 0);
    CHECK_EQ (n_checks_seen, 2 + 2 * 6 + 1);
    ev->has_up = false;                 /* an open incident */
    CHECK_RC (s_verify (ev), 0);
    free (ev);
}

static void
t_forged_signature (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0, LFX_T0 + 600000);
    ev->down.votes [2].sig [5] ^= 0x40;
    CHECK_RC (s_verify (ev), NINES_EBADSIG);
    free (ev);
}

static void
t_wrong_domain (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0, LFX_T0 + 600000);
    /* the same bytes signed by the right key, but for the heartbeat domain */
    nines_vote_t *v = &ev->up.votes [1];
    CHECK_RC (nines_sign (lfx_key (&F, v->body.validator), NINES_DOMAIN_HB_REQ, v->signed_bytes,
                          v->signed_len, v->sig), 0);
    CHECK_RC (s_verify (ev), NINES_EBADSIG);
    free (ev);
}

static void
t_non_committee (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    const nines_validator_info_t *members [64];
    size_t n = nines_registry_committee (F.reg, F.pod [0], ev->down.epoch, 7, members, NULL);
    CHECK_EQ (n, 7);
    /* a registered validator outside the committee signs a valid vote */
    const nines_keypair_t *outsider = NULL;
    for (size_t i = 0; i < F.n_validators && !outsider; i++) {
        bool in = false;
        for (size_t j = 0; j < n; j++)
            in = in || memcmp (members [j]->id, F.validator [i].pk, 32) == 0;
        if (!in)
            outsider = &F.validator [i];
    }
    nines_vote_t *v = &ev->down.votes [ev->down.n_votes - 1];
    memcpy (v->body.validator, outsider->pk, 32);
    CHECK_RC (nines_vote_sign (v, outsider), 0);
    CHECK_RC (s_verify (ev), NINES_ENOTCOMMITTEE);
    free (ev);
}

static void
t_duplicate_signer (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    ev->down.votes [3] = ev->down.votes [0];
    CHECK_RC (s_verify (ev), NINES_EDUPSIGNER);
    free (ev);
}

static void
t_below_theta (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    /* equal stakes: 4 of 7 is 57 % < 2/3; 5 of 7 is 71 % */
    lfx_report (&F, &ev->down, NINES_REPORT_DOWN, F.pod [0], LFX_T0, 4);
    CHECK_RC (s_verify (ev), NINES_EQUORUM);
    lfx_report (&F, &ev->down, NINES_REPORT_DOWN, F.pod [0], LFX_T0, 5);
    CHECK_RC (s_verify (ev), 0);
    free (ev);
}

static void
t_order_and_times (void)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, LFX_T0 + 600000, LFX_T0);
    CHECK_RC (s_verify (ev), NINES_EORDER);
    lfx_evidence (&F, ev, 0, LFX_T0, LFX_T0 + 600000);
    ev->down.t_ms += 1;                 /* not the median of its votes */
    CHECK_RC (s_verify (ev), NINES_ESTALE);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    ev->down.votes [0].body.t_ms = LFX_T0 + 3600000;   /* vote far outside its epoch (re-signed) */
    CHECK_RC (nines_vote_sign (&ev->down.votes [0], lfx_key (&F, ev->down.votes [0].body.validator)), 0);
    CHECK_RC (s_verify (ev), NINES_ESTALE);
    lfx_evidence (&F, ev, 0, LFX_T0 + 7200000, 0);   /* from the future */
    CHECK_RC (s_verify (ev), NINES_ESTALE);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    ev->down.votes [1].body.epoch++;                  /* vote of another epoch */
    CHECK_RC (s_verify (ev), NINES_EMALFORMED);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    ev->pod [0] ^= 1;                                 /* unknown pod */
    CHECK_RC (s_verify (ev), NINES_EUNKNOWN);
    lfx_evidence (&F, ev, 0, LFX_T0, 0);
    ev->down.kind = NINES_REPORT_UP;
    CHECK_RC (s_verify (ev), NINES_EMALFORMED);
    free (ev);
}

static int n_verified;
static int
s_count_verify (void *arg, const nines_vote_t *vote)
{
    n_verified++;
    return arg ? NINES_EBADSIG : nines_vote_verify (vote);
}

/*  One report on its own, as the engine checks a gossiped one: the
    ledger's checks, times included, with the caller's signature check. */
static void
t_report_verify (void)
{
    nines_report_t *r = malloc (sizeof *r);
    lfx_report (&F, r, NINES_REPORT_DOWN, F.reg->pods [0].pod, LFX_T0, 7);
    n_verified = 0;
    CHECK_RC (nines_report_verify (F.reg, r, LFX_T0 + 1000, s_count_verify, NULL), 0);
    CHECK_EQ (n_verified, r->n_votes);
    CHECK_RC (nines_report_verify (F.reg, r, LFX_T0 + 1000, s_count_verify, (void *) 1), NINES_EBADSIG);
    CHECK_RC (nines_report_verify (F.reg, r, NINES_NOW_UNKNOWN, NULL, NULL), 0);
    r->t_ms += 1;                       /* not the median of its votes: the engine took it before */
    CHECK_RC (nines_report_verify (F.reg, r, LFX_T0 + 1000, NULL, NULL), NINES_ESTALE);
    r->t_ms -= 1;
    CHECK_RC (nines_report_verify (F.reg, r, LFX_T0 - 60000, NULL, NULL), NINES_ESTALE);   /* from the future */
    r->kind = 7;
    CHECK_RC (nines_report_verify (F.reg, r, LFX_T0 + 1000, NULL, NULL), NINES_EMALFORMED);
    r->kind = NINES_REPORT_DOWN;
    r->pod [0] ^= 1;
    CHECK_RC (nines_report_verify (F.reg, r, LFX_T0 + 1000, NULL, NULL), NINES_EUNKNOWN);
    free (r);
}

/*  A misbehaviour proof, checked alike by the engine and nines-sim des. */
static void
t_misbehaviour (void)
{
    nines_report_t *r = malloc (sizeof *r);
    nines_misbehaviour_t *mb = malloc (sizeof *mb);
    lfx_report (&F, r, NINES_REPORT_DOWN, F.reg->pods [0].pod, LFX_T0, 7);
    mb->a = r->votes [0];
    mb->b = r->votes [0];
    mb->b.body.verdict = NINES_VERDICT_UP;
    CHECK_RC (nines_vote_sign (&mb->b, lfx_key (&F, mb->b.body.validator)), 0);
    CHECK_RC (nines_misbehaviour_verify (mb, NULL, NULL), 0);
    n_verified = 0;
    CHECK_RC (nines_misbehaviour_verify (mb, s_count_verify, NULL), 0);
    CHECK_EQ (n_verified, 2);
    mb->b.sig [3] ^= 1;
    CHECK_RC (nines_misbehaviour_verify (mb, NULL, NULL), NINES_EBADSIG);
    mb->b = r->votes [1];               /* another validator */
    CHECK_RC (nines_misbehaviour_verify (mb, NULL, NULL), NINES_EMALFORMED);
    mb->b = r->votes [0];               /* the same verdict */
    CHECK_RC (nines_misbehaviour_verify (mb, NULL, NULL), NINES_EMALFORMED);
    free (mb);
    free (r);
}

int
main (void)
{
    lfx_init (&F, 20, 2, 2, 7);
    RUN (t_valid);
    RUN (t_forged_signature);
    RUN (t_wrong_domain);
    RUN (t_non_committee);
    RUN (t_duplicate_signer);
    RUN (t_below_theta);
    RUN (t_order_and_times);
    RUN (t_report_verify);
    RUN (t_misbehaviour);
    lfx_fini (&F);
    return t_done ("ledger_evidence");
}
