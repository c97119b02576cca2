/*  Evidence verification: see verify.h.  Each check is one pass over the
    votes so a failure is named by the first check it breaks; only the
    signature pass costs anything (one Ed25519 verification per vote). */
#include "proto/verify.h"
#include "proto/committee.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    nines_evcheck_fn *fn;           /* observer or NULL */
    void *arg;                      /* its argument */
    char *detail;                   /* caller's detail buffer or NULL */
    size_t detail_size;             /* its capacity */
    nines_vote_verify_fn *verify;   /* signature check or NULL (nines_vote_verify) */
    void *verify_arg;               /* its argument */
} ctx_t;

/*  Report one check to the observer; on failure keep its detail. */
static int
s_check (ctx_t *ctx, const char *label, const char *check, int rc, const char *fmt, ...)
{
    if (!ctx->fn && !(rc && ctx->detail && ctx->detail_size))
        return rc;                  /* nobody to tell: skip the formatting */
    char text [256] = "";
    if (fmt) {
        va_list ap;
        va_start (ap, fmt);
        vsnprintf (text, sizeof text, fmt, ap);
        va_end (ap);
    }
    char name [64];
    snprintf (name, sizeof name, "%s%s%s", label ? label : "", label && *label ? ": " : "", check);
    if (ctx->fn)
        ctx->fn (ctx->arg, name, rc, text);
    if (rc && ctx->detail && ctx->detail_size)
        snprintf (ctx->detail, ctx->detail_size, "%s: %s", name, text);
    return rc;
}

static int
s_verify_report (const nines_registry_t *reg, const nines_report_t *r, int kind, uint64_t now,
                 const char *label, ctx_t *ctx)
{
    const nines_params_t *p = &reg->params;
    char hex [NINES_ID_HEX];
    uint8_t want = kind == NINES_REPORT_DOWN ? NINES_VERDICT_DOWN : NINES_VERDICT_UP;

    /* 1. kind and fields */
    int rc = NINES_OK;
    size_t bad = 0;
    if (r->kind != kind || r->n_votes == 0 || r->n_votes > NINES_REPORT_MAX_VOTES)
        rc = NINES_EMALFORMED;
    for (size_t i = 0; !rc && i < r->n_votes; i++) {
        const nines_vote_body_t *b = &r->votes [i].body;
        if (memcmp (b->pod, r->pod, NINES_ID_BYTES) || b->epoch != r->epoch
        ||  memcmp (b->round_id, r->round_id, NINES_HASH_BYTES) || b->verdict != want) {
            rc = NINES_EMALFORMED;
            bad = i;
        }
    }
    if (r->kind != kind)
        return s_check (ctx, label, "kind and vote fields", rc, "report kind %u, expected %d", r->kind, kind);
    if (r->n_votes == 0 || r->n_votes > NINES_REPORT_MAX_VOTES)
        return s_check (ctx, label, "kind and vote fields", rc, "%u votes", r->n_votes);
    if (rc)
        return s_check (ctx, label, "kind and vote fields", rc,
                        "vote %zu disagrees with its report (pod, epoch, round or verdict)", bad);
    s_check (ctx, label, "kind and vote fields", rc, "%u votes", r->n_votes);

    /* 2. committee membership, recomputed for the pod and epoch */
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    const nines_validator_info_t *who [NINES_REPORT_MAX_VOTES];
    uint64_t total = 0;
    size_t c = nines_registry_committee_size (reg);
    size_t n = nines_registry_committee (reg, r->pod, r->epoch, c, members, &total);
    for (size_t i = 0; !rc && i < r->n_votes; i++) {
        who [i] = NULL;
        for (size_t j = 0; j < n && !who [i]; j++)
            if (memcmp (members [j]->id, r->votes [i].body.validator, NINES_ID_BYTES) == 0)
                who [i] = members [j];
        if (!who [i]) {
            rc = NINES_ENOTCOMMITTEE;
            bad = i;
        }
    }
    if (rc)
        return s_check (ctx, label, "committee membership", rc, "vote %zu: signer %s is not in the committee of epoch %llu",
                        bad, nines_hex (hex, r->votes [bad].body.validator, NINES_ID_BYTES), (unsigned long long) r->epoch);
    s_check (ctx, label, "committee membership", rc, "all %u signers in the %zu-member committee of epoch %llu",
             r->n_votes, n, (unsigned long long) r->epoch);

    /* 3. no duplicate signer */
    for (size_t i = 1; !rc && i < r->n_votes; i++)
        for (size_t j = 0; j < i && !rc; j++)
            if (who [i] == who [j]) {
                rc = NINES_EDUPSIGNER;
                bad = i;
            }
    if (rc)
        return s_check (ctx, label, "no duplicate signer", rc, "vote %zu: signer %s appears twice",
                        bad, nines_hex (hex, r->votes [bad].body.validator, NINES_ID_BYTES));
    s_check (ctx, label, "no duplicate signer", rc, "%u distinct signers", r->n_votes);

    /* 4. signatures, over "nines/vote/v1" || the exact signed bytes */
    for (size_t i = 0; !rc && i < r->n_votes; i++)
        if (ctx->verify ? ctx->verify (ctx->verify_arg, &r->votes [i]) : nines_vote_verify (&r->votes [i])) {
            rc = NINES_EBADSIG;
            bad = i;
        }
    if (rc)
        return s_check (ctx, label, "signatures", rc, "vote %zu: signature by %s does not verify for " NINES_DOMAIN_VOTE,
                        bad, nines_hex (hex, r->votes [bad].body.validator, NINES_ID_BYTES));
    s_check (ctx, label, "signatures", rc, "%u valid for " NINES_DOMAIN_VOTE, r->n_votes);

    /* 5. quorum weight: Σ isqrt(stake) >= θ × committee weight */
    uint64_t agree = 0;
    for (size_t i = 0; i < r->n_votes; i++)
        agree += nines_validator_weight (who [i]);
    rc = nines_quorum_reached (agree, total, p->theta_ppm) ? NINES_OK : NINES_EQUORUM;
    if (s_check (ctx, label, "quorum weight", rc, "%llu of %llu (θ = %u ppm)", (unsigned long long) agree,
                 (unsigned long long) total, p->theta_ppm))
        return rc;

    /* 6. epoch and times */
    uint64_t start = p->genesis_ms + r->epoch * p->epoch_ms;
    uint64_t lo = start > NINES_EVIDENCE_SKEW_MS ? start - NINES_EVIDENCE_SKEW_MS : 0;
    uint64_t hi = start + p->epoch_ms + p->round_timeout_ms + NINES_EVIDENCE_SKEW_MS;
    uint64_t times [NINES_REPORT_MAX_VOTES];
    for (size_t i = 0; i < r->n_votes; i++) {
        times [i] = r->votes [i].body.t_ms;
        if (!rc && (times [i] < lo || times [i] > hi)) {
            rc = NINES_ESTALE;
            bad = i;
        }
    }
    if (rc)
        return s_check (ctx, label, "epoch and times", rc, "vote %zu observed at %llu, outside [%llu, %llu] for epoch %llu",
                        bad, (unsigned long long) times [bad], (unsigned long long) lo,
                        (unsigned long long) hi, (unsigned long long) r->epoch);
    qsort (times, r->n_votes, sizeof times [0], nines_cmp_u64);
    if (r->t_ms != times [r->n_votes / 2])
        return s_check (ctx, label, "epoch and times", NINES_ESTALE, "report t_ms %llu is not the median %llu of its votes",
                        (unsigned long long) r->t_ms, (unsigned long long) times [r->n_votes / 2]);
    if (now != NINES_NOW_UNKNOWN && r->t_ms > now + NINES_EVIDENCE_SKEW_MS)
        return s_check (ctx, label, "epoch and times", NINES_ESTALE, "report t_ms %llu is in the future (now %llu)",
                        (unsigned long long) r->t_ms, (unsigned long long) now);
    return s_check (ctx, label, "epoch and times", NINES_OK, "t_ms %llu in epoch %llu",
                    (unsigned long long) r->t_ms, (unsigned long long) r->epoch);
}

int
nines_report_verify (const nines_registry_t *reg, const nines_report_t *report, uint64_t now_ms,
                     nines_vote_verify_fn *verify, void *verify_arg)
{
    if (!reg || !report)
        return NINES_EINVAL;
    if (report->kind != NINES_REPORT_DOWN && report->kind != NINES_REPORT_UP)
        return NINES_EMALFORMED;
    if (nines_registry_pod_index (reg, report->pod) < 0)
        return NINES_EUNKNOWN;
    ctx_t ctx = { .verify = verify, .verify_arg = verify_arg };
    return s_verify_report (reg, report, report->kind, now_ms, NULL, &ctx);
}

int
nines_misbehaviour_verify (const nines_misbehaviour_t *mb, nines_vote_verify_fn *verify, void *verify_arg)
{
    if (!mb)
        return NINES_EINVAL;
    if (memcmp (mb->a.body.validator, mb->b.body.validator, NINES_ID_BYTES)
    ||  memcmp (mb->a.body.round_id, mb->b.body.round_id, NINES_HASH_BYTES)
    ||  mb->a.body.verdict == mb->b.body.verdict)
        return NINES_EMALFORMED;
    for (int k = 0; k < 2; k++) {
        const nines_vote_t *v = k ? &mb->b : &mb->a;
        if (verify ? verify (verify_arg, v) : nines_vote_verify (v))
            return NINES_EBADSIG;
    }
    return NINES_OK;
}

int
nines_ledger_verify_report (const nines_registry_t *reg, const nines_report_t *report, int kind,
                            uint64_t now_ms, const char *label, nines_evcheck_fn *fn, void *arg,
                            char *detail, size_t detail_size)
{
    ctx_t ctx = { fn, arg, detail, detail_size };
    if (detail && detail_size)
        detail [0] = 0;
    if (!reg || !report)
        return NINES_EINVAL;
    return s_verify_report (reg, report, kind, now_ms, label, &ctx);
}

/*  One report against reg, then, when it fails on committee or weight,
    against each earlier registry in turn (quietly): the first that passes
    wins, else the current registry's failure stands. */
static int
s_verify_report_hist (const nines_registry_t *reg, const nines_registry_t *const *older, size_t n_older,
                      const nines_report_t *r, int kind, uint64_t now, const char *label, ctx_t *ctx)
{
    int rc = s_verify_report (reg, r, kind, now, label, ctx);
    for (size_t i = 0; i < n_older && (rc == NINES_ENOTCOMMITTEE || rc == NINES_EQUORUM); i++) {
        ctx_t quiet = { NULL, NULL, NULL, 0 };
        if (older [i] && s_verify_report (older [i], r, kind, now, label, &quiet) == NINES_OK) {
            s_check (ctx, label, "committee of an earlier registry", NINES_OK,
                     "verified against the registry %zu change(s) back", i + 1);
            rc = NINES_OK;
            if (ctx->detail && ctx->detail_size)
                ctx->detail [0] = 0;
        }
    }
    return rc;
}

int
nines_ledger_verify_evidence_hist (const nines_registry_t *reg, const nines_registry_t *const *older,
                                   size_t n_older, const nines_evidence_t *ev, uint64_t now_ms,
                                   nines_evcheck_fn *fn, void *arg, char *detail, size_t detail_size)
{
    ctx_t ctx = { fn, arg, detail, detail_size };
    if (detail && detail_size)
        detail [0] = 0;
    if (!reg || !ev)
        return NINES_EINVAL;
    char hex [NINES_ID_HEX];
    nines_hex (hex, ev->pod, NINES_ID_BYTES);
    int rc = nines_registry_pod_index (reg, ev->pod) >= 0 ? NINES_OK : NINES_EUNKNOWN;
    if (s_check (&ctx, NULL, "pod registered", rc, "pod %s", hex))
        return rc;
    rc = memcmp (ev->down.pod, ev->pod, NINES_ID_BYTES) || (ev->has_up && memcmp (ev->up.pod, ev->pod, NINES_ID_BYTES))
       ? NINES_EMALFORMED : NINES_OK;
    if (s_check (&ctx, NULL, "reports about the pod", rc, rc ? "a report names another pod" : "yes"))
        return rc;
    rc = s_verify_report_hist (reg, older, n_older, &ev->down, NINES_REPORT_DOWN, now_ms, "down", &ctx);
    if (rc || !ev->has_up)
        return rc;
    rc = s_verify_report_hist (reg, older, n_older, &ev->up, NINES_REPORT_UP, now_ms, "up", &ctx);
    if (rc)
        return rc;
    rc = ev->up.t_ms > ev->down.t_ms && ev->up.epoch >= ev->down.epoch ? NINES_OK : NINES_EORDER;
    return s_check (&ctx, NULL, "UP after DOWN", rc, "down at %llu (epoch %llu), up at %llu (epoch %llu)",
                    (unsigned long long) ev->down.t_ms, (unsigned long long) ev->down.epoch,
                    (unsigned long long) ev->up.t_ms, (unsigned long long) ev->up.epoch);
}

int
nines_ledger_verify_evidence (const nines_registry_t *reg, const nines_evidence_t *ev,
                              uint64_t now_ms, nines_evcheck_fn *fn, void *arg,
                              char *detail, size_t detail_size)
{
    return nines_ledger_verify_evidence_hist (reg, NULL, 0, ev, now_ms, fn, arg, detail, detail_size);
}
