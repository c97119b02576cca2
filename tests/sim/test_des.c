/*  nines-sim des on small networks (seconds each, also under ASan):
    minority liars produce no report, equivocation is caught with a valid
    two-vote proof, a correlated outage is flagged, the median detection
    latency at 1,000 validators stays within the bound the parameters
    imply, a run is byte-for-byte deterministic, and the load per
    validator stays flat as the network grows (committee report scope). */
#include "des.h"
#include "core/engine.h"
#include "proto/slash.h"
#include "testutil.h"
#include <math.h>

static void
s_config (nines_des_config_t *cfg, uint32_t validators, uint32_t pods, uint64_t duration_ms)
{
    nines_des_config_default (cfg);
    cfg->validators = validators;
    cfg->pods = pods;
    cfg->duration_ms = duration_ms;
    cfg->params.min_validator_stake = 1;
}

static nines_des_fault_t *
s_fault (nines_des_config_t *cfg, int kind, uint64_t at_ms, uint32_t index, uint32_t count,
         uint64_t duration_ms)
{
    nines_des_fault_t *f = &cfg->faults [cfg->n_faults++];
    memset (f, 0, sizeof *f);
    f->kind = kind;
    f->at_ms = at_ms;
    f->index = index;
    f->count = count;
    f->duration_ms = duration_ms;
    return f;
}

/*  Two validators that vote down whatever they see cannot reach 2/3 of
    any committee of 7 (20 % heartbeat loss makes honest validators open
    rounds the liars sit in, p^3 of the heartbeats with two retries; the liars themselves soon count as degraded
    by self-health and open none); two that vote up whatever they see
    cannot hide a real outage either. */
static void
test_minority_liars (void)
{
    nines_des_config_t cfg;
    nines_des_result_t r;
    s_config (&cfg, 40, 40, 120000);
    cfg.always_down = 2;
    cfg.probe_loss_ppm = 200000;
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    CHECK (r.rounds_opened > 5);
    CHECK_EQ (r.rounds_down, 0);
    CHECK_EQ (r.incidents, 0);
    CHECK_EQ (r.false_incidents, 0);
    CHECK_EQ (r.reports, 0);
    CHECK_EQ (r.evidence, 0);

    s_config (&cfg, 40, 40, 120000);
    cfg.always_up = 2;
    s_fault (&cfg, NINES_FAULT_APP_DOWN, 20000, 3, 1, 60000);
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    CHECK_EQ (r.outages, 1);
    CHECK_EQ (r.detected, 1);
    CHECK_EQ (r.false_incidents, 0);
}

/*  Equivocators sign both verdicts in every round they sit in: the
    initiator catches each pair (also after the quorum formed, the round
    lingers) and the stand-in ledger checks both signatures. */
static void
test_equivocation (void)
{
    nines_des_config_t cfg;
    nines_des_result_t r;
    s_config (&cfg, 30, 20, 150000);
    cfg.equivocate = 3;
    nines_des_fault_t *f = s_fault (&cfg, NINES_FAULT_FLAP, 10000, 0, 6, 0);
    f->down_ms = 25000;
    f->up_ms = 15000;
    f->flaps = 3;
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    CHECK_EQ (r.equivocators, 3);
    CHECK (r.equivocators_proven >= 1);
    CHECK (r.misbehaviour_reports >= r.equivocators_proven);
    CHECK_EQ (r.false_accusations, 0);
    CHECK (r.detected >= 6);                /* the honest majority still reports */
}

/*  Half the pods, across all 5 providers, time out together: more than
    max(3, 20 %) of the pods within 5 minutes over >= 3 providers, so the
    correlated-outage rule flags them; a single outage is not.  (Some
    rounds fail: members whose heartbeats to half the pods time out judge
    their own network degraded and abstain, as self-health intends.) */
static void
test_correlated (void)
{
    nines_des_config_t cfg;
    nines_des_result_t r;
    s_config (&cfg, 30, 20, 200000);
    cfg.providers = 5;
    s_fault (&cfg, NINES_FAULT_CORRELATED, 20000, 0, 10, 60000);
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    CHECK_EQ (r.outages, 10);
    CHECK (r.detected >= 5);
    CHECK_EQ (r.correlated, r.detected);
    CHECK_EQ (r.false_incidents, 0);

    s_config (&cfg, 30, 20, 200000);
    cfg.providers = 5;
    s_fault (&cfg, NINES_FAULT_APP_DOWN, 20000, 4, 1, 60000);
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    CHECK_EQ (r.detected, 1);
    CHECK_EQ (r.correlated, 0);
}

/*  Median detection latency at 1,000 validators.  The bound, from the
    parameters (DESIGN.md sections 6 and 7, PROTOCOL.md 5 and 8.1):
      - sortition gives a pod Poisson(r) scheduled heartbeats per epoch at
        uniform instants, a Poisson process of rate r/E, so the wait from
        the outage start to the first heartbeat has median E ln 2 / r;
      - that heartbeat fails after one round trip h = 2 (latency + jitter)
        + app, the retries go out within retry_delay and fail after h;
      - CONFIRM_REQ reaches the committee within latency + jitter; each
        member waits up to vote_delay, then sends k + 1 heartbeats, one in
        each slice of vote_window, and votes down at the k-th failure (the
        k-th slice ends at vote_window k / (k + 1); k = vote_attempts
        without loss), and its vote takes h + latency + jitter more.
    So median <= E ln2 / r + retry_delay + vote_delay + vote_window k /
    (k + 1) + 3 h + 2 (latency + jitter) with the defaults: 2310 + 500 +
    0 + 1200 + 165 + 90 ms = 4.3 s. */
static void
test_latency_1000 (void)
{
    nines_des_config_t cfg;
    nines_des_result_t r;
    s_config (&cfg, 1000, 400, 50000);
    nines_des_fault_t *f = s_fault (&cfg, NINES_FAULT_APP_DOWN, 5000, 0, 40, 40000);
    f->spread_ms = 5000;
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    const nines_params_t *p = &cfg.params;
    uint64_t link = cfg.latency_ms + cfg.jitter_ms;
    uint64_t h = 2 * link + cfg.app_ms;
    uint64_t k = p->vote_attempts;          /* no loss: the fewest failures a down vote needs */
    uint64_t bound = (uint64_t) ((double) p->epoch_ms * log (2.0) / p->r) + p->retry_delay_ms
                   + p->vote_delay_ms + p->vote_window_ms * k / (k + 1) + 3 * h + 2 * link;
    CHECK_EQ (r.outages, 40);
    CHECK (r.detected >= 39);
    CHECK (r.latency_p50_ms > 0);
    CHECK (r.latency_p50_ms <= bound);
    CHECK_EQ (r.false_incidents, 0);
    CHECK (r.coverage > 0.99);              /* reports reach (nearly) all their committee */
    fprintf (stderr, "  1000 validators: p50 %llu ms (bound %llu ms), p90 %llu ms; %u reports, coverage %.4f\n",
             (unsigned long long) r.latency_p50_ms, (unsigned long long) bound,
             (unsigned long long) r.latency_p90_ms, r.reports, r.coverage);
}

static char *
s_json (const nines_des_config_t *cfg, size_t *len)
{
    nines_des_result_t r;
    CHECK_RC (nines_des_run (cfg, &r, NULL), 0);
    char *text = NULL;
    FILE *f = open_memstream (&text, len);
    nines_des_result_json (&r, f);
    fclose (f);
    return text;
}

/*  Same config and seed: the same bytes; another seed: other bytes. */
static void
test_determinism (void)
{
    nines_des_config_t cfg;
    s_config (&cfg, 40, 60, 90000);
    cfg.loss_ppm = 20000;
    cfg.probe_loss_ppm = 20000;
    cfg.equivocate = 2;
    s_fault (&cfg, NINES_FAULT_APP_DOWN, 10000, 5, 4, 40000)->spread_ms = 20000;
    nines_des_fault_t *iso = s_fault (&cfg, NINES_FAULT_VALIDATOR_ISOLATE, 30000, 0, 8, 20000);
    iso->partition = true;
    size_t la = 0, lb = 0, lc = 0;
    char *a = s_json (&cfg, &la);
    char *b = s_json (&cfg, &lb);
    cfg.seed = 99;
    char *c = s_json (&cfg, &lc);
    CHECK_EQ (la, lb);
    CHECK (la == lb && memcmp (a, b, la) == 0);
    CHECK (la != lc || memcmp (a, c, la) != 0);
    free (a);
    free (b);
    free (c);
}

/*  A majority of liars reports healthy pods down and keeps them down:
    each false incident is listed with the slash the ledger's settle rule
    takes for it (nines_slash_for of its duration, none under grace), the
    amounts add up, and the long open ones cost the provider. */
static void
test_false_detail (void)
{
    nines_des_config_t cfg;
    nines_des_result_t r;
    s_config (&cfg, 30, 20, 300000);
    cfg.always_down = 24;
    cfg.probe_loss_ppm = 200000;
    CHECK_RC (nines_des_run (&cfg, &r, NULL), 0);
    CHECK (r.false_incidents > 0);
    CHECK_EQ (r.n_false_detail, r.false_incidents < NINES_DES_FALSE_MAX ? r.false_incidents : NINES_DES_FALSE_MAX);
    uint64_t sum = 0, paid = 0;
    for (uint32_t i = 0; i < r.n_false_detail; i++) {
        const nines_des_false_t *f = &r.false_detail [i];
        uint64_t d = f->end_ms - f->start_ms;
        CHECK (f->pod < cfg.pods);
        CHECK (f->end_ms <= cfg.duration_ms && f->start_ms < f->end_ms);
        CHECK_EQ (f->slash, d >= cfg.params.grace_ms ? nines_slash_for (&cfg.params, cfg.pod_stake, d) : 0);
        sum += f->slash;
        paid += f->slash > 0;
    }
    CHECK (paid > 0);
    if (r.n_false_detail == r.false_incidents)
        CHECK_EQ (sum, r.false_slash);
}

/*  Every des scenario shipped in sim/scenarios parses and converts. */
static void
test_scenario_files (void)
{
    const char *root = getenv ("NINES_SOURCE_ROOT");
    const char *names [] = { "des-10k.zpl", "des-loss.zpl", "des-adversaries.zpl", "des-partition.zpl",
                             "des-loss20.zpl", "des-burst.zpl", "des-lossy.zpl" };
    for (size_t i = 0; root && i < sizeof names / sizeof names [0]; i++) {
        char path [4096], err [1024];
        snprintf (path, sizeof path, "%s/sim/scenarios/%s", root, names [i]);
        nines_scenario_t *sc = nines_scenario_load (path, err, sizeof err);
        CHECK (sc != NULL);
        if (!sc) {
            fprintf (stderr, "  %s\n", err);
            continue;
        }
        nines_des_config_t cfg;
        CHECK_RC (nines_des_config_from_scenario (&cfg, sc, err, sizeof err), 0);
        CHECK_EQ (cfg.validators, sc->validators);
        nines_des_config_scale (&cfg, 100, 200);
        CHECK_EQ (cfg.validators, 100);
        CHECK_EQ (cfg.pods, 200);
        CHECK (cfg.always_down + cfg.always_up + cfg.silent + cfg.equivocate <= 100);
        nines_scenario_destroy (&sc);
    }
    /* A bad des-only key is named in the message. */
    char err [1024] = "";
    nines_scenario_t *sc = nines_scenario_from_string ("x.zpl",
        "scenario\n    validators = 5\n    pods = 3\n    duration = 60s\n"
        "fault\n    at = 1s\n    kind = app_down\n    pod = 0\n    duration = 5s\n    spread = soon\n",
        err, sizeof err);
    CHECK (sc != NULL);
    if (sc) {
        nines_des_config_t cfg;
        CHECK_RC (nines_des_config_from_scenario (&cfg, sc, err, sizeof err), NINES_ECONFIG);
        CHECK (strstr (err, "fault[0]/spread") != NULL);
        nines_scenario_destroy (&sc);
    }
}

/*  Load per validator against N, pods and outages growing with N (as in
    --sweep): flat under the committee report scope, growing with N when
    every report goes to every validator.  Messages include SWIM, votes
    and reports; heartbeats are not peer messages. */
static void
s_sweep_point (uint32_t n, uint32_t scope, nines_des_result_t *r)
{
    nines_des_config_t cfg;
    s_config (&cfg, n, 10 * n, 60000);
    cfg.report_scope = scope;
    nines_des_fault_t *f = s_fault (&cfg, NINES_FAULT_APP_DOWN, 5000, 0, n / 20, 30000);
    f->spread_ms = 20000;
    CHECK_RC (nines_des_run (&cfg, r, NULL), 0);
    CHECK_EQ (r->false_incidents, 0);
    CHECK (r->detected >= n / 20 - 1);
}

static void
test_load_flat (void)
{
    nines_des_result_t small, large;
    s_sweep_point (150, NINES_SCOPE_COMMITTEE, &small);
    s_sweep_point (600, NINES_SCOPE_COMMITTEE, &large);
    fprintf (stderr, "  committee scope: %.2f -> %.2f msg/s, %.0f -> %.0f B/s per validator\n",
             small.msgs_mean, large.msgs_mean, small.bytes_mean, large.bytes_mean);
    CHECK (large.msgs_mean < 1.25 * small.msgs_mean);
    CHECK (large.bytes_mean < 1.25 * small.bytes_mean);
    s_sweep_point (150, NINES_SCOPE_ALL, &small);
    s_sweep_point (600, NINES_SCOPE_ALL, &large);
    fprintf (stderr, "  all scope:       %.2f -> %.2f msg/s, %.0f -> %.0f B/s per validator\n",
             small.msgs_mean, large.msgs_mean, small.bytes_mean, large.bytes_mean);
    CHECK (large.bytes_mean > 2 * small.bytes_mean);
}

int
main (void)
{
    RUN (test_minority_liars);
    RUN (test_equivocation);
    RUN (test_correlated);
    RUN (test_latency_1000);
    RUN (test_determinism);
    RUN (test_load_flat);
    RUN (test_false_detail);
    RUN (test_scenario_files);
    return t_done ("test_des");
}
