/*  nines-sim run: what the network detected against what really happened.

    Ground truth per pod is the scenario's outages merged the way the
    ledger merges incidents (nines_interval_merge), so one flapping period
    is one episode, as it is one incident on the ledger.  Each incident
    the ledger holds is matched to the episode of its pod it falls in
    (sim_incident_matches); an incident matching none is a false incident.
    Detection latency = detected start (the DOWN report's median
    observation time) - true start; "to ledger" = when the incident first
    reached the ledger's PUB stream - true start. */
#include "run.h"
#include "base/error.h"
#include "proto/slash.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool
sim_incident_matches (const nines_params_t *params, const nines_interval_t *truth, int64_t down_ms)
{
    int64_t slack = (int64_t) (2 * params->epoch_ms + params->probe_timeout_ms
                             + params->retry_delay_ms + params->vote_delay_ms
                             + params->round_timeout_ms);
    return down_ms >= (int64_t) truth->start_ms - 2000
        && down_ms <= (int64_t) truth->end_ms + slack;
}

sim_incident_t *
sim_incident_get (sim_observed_t *obs, uint32_t pod, uint64_t t_down, bool *is_new)
{
    for (size_t i = 0; i < obs->n_incidents; i++)
        if (obs->incidents [i].pod == pod && obs->incidents [i].t_down == t_down) {
            *is_new = false;
            return &obs->incidents [i];
        }
    sim_incident_t *grown = realloc (obs->incidents, (obs->n_incidents + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    obs->incidents = grown;
    sim_incident_t *inc = &obs->incidents [obs->n_incidents++];
    memset (inc, 0, sizeof *inc);
    inc->pod = pod;
    inc->t_down = t_down;
    struct timespec ts;
    clock_gettime (CLOCK_REALTIME, &ts);
    inc->first_seen = (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
    inc->episode = -1;
    *is_new = true;
    return inc;
}

int
sim_episodes (const nines_scenario_t *sc, sim_episode_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    for (uint32_t pod = 0; pod < sc->pods; pod++) {
        nines_interval_t *iv;
        size_t k;
        int rc = nines_scenario_pod_truth (sc, pod, &iv, &k);
        if (rc)
            return rc;
        k = nines_interval_merge (iv, k, &sc->params);
        if (*n + k > cap) {
            cap = (*n + k) * 2;
            sim_episode_t *grown = realloc (*out, cap * sizeof *grown);
            if (!grown) {
                free (iv);
                return NINES_ENOMEM;
            }
            *out = grown;
        }
        for (size_t i = 0; i < k; i++)
            (*out) [(*n)++] = (sim_episode_t) { pod, iv [i], -1, 0 };
        free (iv);
    }
    return NINES_OK;
}

/*  Downtime of [a, b) (ms from t0) of pod as the ledger counts it, from
    the scenario's paid_until and maintenance faults: clipped at the last
    paid_until set (raised to the instant it was set, as the ledger
    raises it; 0 = unlimited), minus the maintenance windows announced. */
static uint64_t
s_effective (const nines_scenario_t *sc, uint32_t pod, uint64_t a, uint64_t b)
{
    uint64_t until = 0, set_at = 0;
    bool have = false;
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        if (f->kind == NINES_FAULT_PAID_UNTIL && f->pod == pod && (!have || f->at_ms >= set_at)) {
            have = true;
            set_at = f->at_ms;
            until = f->until_ms && f->until_ms < f->at_ms ? f->at_ms : f->until_ms;
        }
    }
    if (until && b > until)
        b = until;
    if (b <= a)
        return 0;
    uint64_t d = b - a;
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        if (f->kind != NINES_FAULT_MAINTENANCE || f->pod != pod)
            continue;
        uint64_t lo = a > f->start_ms ? a : f->start_ms;
        uint64_t hi = b < f->start_ms + f->duration_ms ? b : f->start_ms + f->duration_ms;
        if (hi > lo)
            d -= hi - lo;
    }
    return d;
}

uint64_t
sim_expected_slash (const nines_scenario_t *sc, const sim_episode_t *ep)
{
    nines_interval_t *iv = NULL;
    size_t k = 0;
    if (nines_scenario_pod_truth (sc, ep->pod, &iv, &k))
        return 0;
    uint64_t d = 0;
    for (size_t i = 0; i < k; i++)
        if (iv [i].start_ms >= ep->truth.start_ms && iv [i].end_ms <= ep->truth.end_ms)
            d += s_effective (sc, ep->pod, iv [i].start_ms, iv [i].end_ms);
    free (iv);
    return nines_slash_settled (&sc->params, sc->pod_stake, d);
}

static int64_t
s_rel (const sim_observed_t *obs, uint64_t unix_ms)
{
    return (int64_t) unix_ms - (int64_t) obs->t0;
}

/*  "12.3s", or "-" for none. */
static const char *
s_secs (char *buf, size_t size, bool have, int64_t ms)
{
    if (!have)
        snprintf (buf, size, "-");
    else
        snprintf (buf, size, "%.1fs", (double) ms / 1000.0);
    return buf;
}

/*  |got - want| / want in ppm; 10^9 when want is 0 and got is not. */
static long long
s_dev_ppm (uint64_t got, uint64_t want)
{
    if (!want)
        return got ? 1000000000LL : 0;
    return (long long) ((got > want ? got - want : want - got) * 1000000ULL / want);
}

/*  One expectation's outcome. */
typedef struct {
    const char *name;                    /* expect key */
    long long want;                      /* expected value (ms for max_latency) */
    long long got;                       /* observed value */
    bool pass;                           /* held */
    const char *rule;                    /* "==" or "<=" */
} s_check_t;

/*  Settling time of incident inc: its UP report reaching nines-sim to
    its closed Incident on the chain, ms; -1 when either is missing. */
static int64_t
s_settle_ms (const sim_incident_t *inc)
{
    return inc->up_seen && inc->settled ? (int64_t) inc->settled - (int64_t) inc->up_seen : -1;
}

/*  The same to its closing claim's Finalized log. */
static int64_t
s_final_ms (const sim_incident_t *inc)
{
    return inc->up_seen && inc->finalized ? (int64_t) inc->finalized - (int64_t) inc->up_seen : -1;
}

/*  network/ledger = evm: the chain's table (claims, gas and settling per
    incident, slashes by pod against nines-ledger's) and its expectations
    appended to checks [n..]; returns the new count.  max_settle fails
    when a true outage has no incident settled on the chain. */
static size_t
s_chain_table (const sim_observed_t *obs, const sim_episode_t *episodes, size_t n_episodes, FILE *out,
               s_check_t *checks, size_t n)
{
    const nines_scenario_t *sc = obs->sc;
    const nines_expect_t *ex = &sc->expect;
    char a [24], b [24], z [24];
    fprintf (out, "\nOn the chain: %u claims, %u voided (challenges %llu gas); owed to challengers %llu units\n",
             obs->claims, obs->voided, (unsigned long long) obs->gas_challenge,
             (unsigned long long) obs->challenge_paid);
    fprintf (out, "%4s %15s %7s %10s %13s %12s %11s %10s %12s %9s %13s\n", "pod", "detected start", "claims",
             "claim gas", "finalize gas", "account gas", "settle gas", "UP->final", "UP->settled", "slashed",
             "nines-ledger");
    int64_t worst_settle = -1;
    bool unsettled = false;
    for (size_t i = 0; i < obs->n_incidents; i++) {
        const sim_incident_t *inc = &obs->incidents [i];
        int64_t settle = s_settle_ms (inc);
        if (!inc->open && !inc->correlated)
            worst_settle = settle > worst_settle ? settle : worst_settle;
        char f [24];
        fprintf (out, "%4u %15s %7u %10llu %13llu %12llu %11llu %10s %12s %9llu %13s\n", inc->pod,
                 s_secs (a, sizeof a, true, s_rel (obs, inc->t_down)), inc->claims,
                 (unsigned long long) inc->gas_claim, (unsigned long long) inc->gas_finalize,
                 (unsigned long long) inc->gas_account, (unsigned long long) inc->gas_settle,
                 s_secs (f, sizeof f, s_final_ms (inc) >= 0, s_final_ms (inc)), s_secs (b, sizeof b, settle >= 0, settle),
                 (unsigned long long) inc->slashed,
                 inc->have_ref ? (snprintf (z, sizeof z, "%llu", (unsigned long long) inc->ref_slashed), z) : "-");
    }
    if (obs->n_incidents == 0)
        fprintf (out, "   (no incident on the chain)\n");
    for (size_t e = 0; e < n_episodes; e++) {
        const sim_incident_t *inc = episodes [e].incident >= 0 ? &obs->incidents [episodes [e].incident] : NULL;
        unsettled |= !inc || (!inc->correlated && s_settle_ms (inc) < 0);
    }
    long long worst = obs->have_ref && obs->pod_slashed ? 0 : 1000000000LL;
    fprintf (out, "\nSlash by pod: podInfo(pod).slashed on the chain against nines-ledger's for the same "
             "reports (the claims' calldata)\n");
    for (uint32_t p = 0; obs->have_ref && obs->pod_slashed && p < sc->pods; p++) {
        long long dev = s_dev_ppm (obs->pod_slashed [p], obs->ref_slashed [p]);
        worst = dev > worst ? dev : worst;
        fprintf (out, "  pod %u: chain %llu, nines-ledger %llu%s\n", p, (unsigned long long) obs->pod_slashed [p],
                 (unsigned long long) obs->ref_slashed [p], dev ? " (differ)" : "");
    }
    if (!obs->have_ref)
        fprintf (out, "  (the reference nines-ledger did not run)\n");
    if (ex->has_voided)
        checks [n++] = (s_check_t) { "voided", ex->voided, obs->voided, obs->voided == ex->voided, "==" };
    if (ex->has_challenge_paid)
        checks [n++] = (s_check_t) { "challenge_paid", (long long) ex->challenge_paid,
                                     (long long) obs->challenge_paid, obs->challenge_paid == ex->challenge_paid, "==" };
    if (ex->has_slash_ledger)
        checks [n++] = (s_check_t) { "slash_ledger_ppm", ex->slash_ledger_ppm, worst,
                                     worst <= (long long) ex->slash_ledger_ppm, "<=" };
    if (ex->has_max_settle)
        checks [n++] = (s_check_t) { "max_settle", (long long) ex->max_settle_ms, unsettled ? -1 : worst_settle,
                                     !unsettled && worst_settle <= (int64_t) ex->max_settle_ms, "<=" };
    return n;
}

int
sim_result (sim_observed_t *obs, sim_episode_t *episodes, size_t n_episodes,
            const char *out_dir, FILE *out)
{
    const nines_scenario_t *sc = obs->sc;
    uint64_t t_last = obs->t_end ? obs->t_end : obs->t0 + sc->duration_ms;

    /*  Match: each incident to the first episode of its pod it fits. */
    uint32_t matched = 0, false_incidents = 0, slashed = 0, correlated = 0;
    for (size_t i = 0; i < obs->n_incidents; i++) {
        sim_incident_t *inc = &obs->incidents [i];
        inc->episode = -1;
        for (size_t e = 0; e < n_episodes && inc->episode < 0; e++)
            if (episodes [e].pod == inc->pod
            &&  sim_incident_matches (&sc->params, &episodes [e].truth, s_rel (obs, inc->t_down)))
                inc->episode = (int) e;
        if (inc->episode >= 0) {
            matched++;
            sim_episode_t *ep = &episodes [inc->episode];
            if (ep->incident < 0 || obs->incidents [ep->incident].t_down > inc->t_down)
                ep->incident = (int) i;
        }
        else
            false_incidents++;
        slashed += inc->slashed > 0;
        correlated += inc->correlated;
    }
    int64_t max_latency = -1;
    uint32_t missed = 0;
    for (size_t e = 0; e < n_episodes; e++) {
        if (episodes [e].incident < 0) {
            missed++;
            continue;
        }
        int64_t lat = s_rel (obs, obs->incidents [episodes [e].incident].t_down)
                    - (int64_t) episodes [e].truth.start_ms;
        if (lat > max_latency)
            max_latency = lat;
    }

    /*  The incident table. */
    char a [24], b [24], c [24], d [24], l [24], r [24], z [24], dt [24];
    fprintf (out, "\nIncidents of %s (times from the timeline start; latency = detected - true start)\n",
             sc->name);
    fprintf (out, "%4s %11s %9s %15s %13s %9s %8s %10s %9s  %s\n", "pod", "true start", "true end",
             "detected start", "detected end", "downtime", "latency", "to ledger", "slashed", "note");
    for (size_t e = 0; e < n_episodes; e++) {
        const sim_episode_t *ep = &episodes [e];
        const sim_incident_t *inc = ep->incident >= 0 ? &obs->incidents [ep->incident] : NULL;
        fprintf (out, "%4u %11s %9s %15s %13s %9s %8s %10s %9s  %s\n", ep->pod,
            s_secs (a, sizeof a, true, (int64_t) ep->truth.start_ms),
            s_secs (b, sizeof b, true, (int64_t) ep->truth.end_ms),
            s_secs (c, sizeof c, inc, inc ? s_rel (obs, inc->t_down) : 0),
            inc && inc->open ? "open" : s_secs (d, sizeof d, inc, inc ? s_rel (obs, inc->t_up) : 0),
            s_secs (dt, sizeof dt, inc, inc ? (int64_t) inc->downtime_ms : 0),
            s_secs (l, sizeof l, inc, inc ? s_rel (obs, inc->t_down) - (int64_t) ep->truth.start_ms : 0),
            s_secs (r, sizeof r, inc, inc ? s_rel (obs, inc->first_seen) - (int64_t) ep->truth.start_ms : 0),
            inc ? (snprintf (z, sizeof z, "%llu", (unsigned long long) inc->slashed), z) : "-",
            !inc ? "MISSED: never detected" : inc->correlated ? "correlated: not slashed" : "");
    }
    if (n_episodes == 0)
        fprintf (out, "   (no true outage in this scenario)\n");
    fprintf (out, "\nFalse incidents (detected, matching no true outage): %u\n", false_incidents);
    for (size_t i = 0; i < obs->n_incidents; i++) {
        const sim_incident_t *inc = &obs->incidents [i];
        if (inc->episode >= 0)
            continue;
        fprintf (out, "  pod %u: [%s, %s) slashed %llu\n", inc->pod,
                 s_secs (a, sizeof a, true, s_rel (obs, inc->t_down)),
                 inc->open ? "open" : s_secs (b, sizeof b, true, s_rel (obs, inc->t_up)),
                 (unsigned long long) inc->slashed);
    }

    /*  Participation. */
    fprintf (out, "\nValidators (%u DOWN and %u UP quorum reports seen; probes, failed, rounds opened and votes\n"
             "sent are ninesd's own counters since its last start; in DOWNs / in UPs: its signed votes in\n"
             "the quorum reports)\n", obs->reports_down, obs->reports_up);
    fprintf (out, "%4s  %-16s %-12s %7s %7s %7s %7s %9s %9s %8s  %s\n", "#", "id", "behaviour",
             "probes", "failed", "rounds", "votes", "in DOWNs", "in UPs", "restarts", "faults");
    for (uint32_t v = 0; v < sc->validators; v++) {
        nines_interval_t *iv = NULL;
        size_t k = 0;
        nines_scenario_validator_truth (sc, v, &iv, &k);
        char faults [128] = "";
        for (size_t i = 0; i < k && strlen (faults) < sizeof faults - 32; i++)
            snprintf (faults + strlen (faults), sizeof faults - strlen (faults), "%s[%.0fs, %.0fs)",
                      i ? " " : "", iv [i].start_ms / 1000.0, iv [i].end_ms / 1000.0);
        free (iv);
        const sim_vstats_t *vs = &obs->vstats [v];
        char st [4][24];
        const uint64_t counters [4] = { vs->probes, vs->probes_failed, vs->rounds_opened, vs->votes_sent };
        for (int i = 0; i < 4; i++)
            snprintf (st [i], sizeof st [i], vs->have_status ? "%llu" : "-", (unsigned long long) counters [i]);
        fprintf (out, "%4u  %.16s %-12s %7s %7s %7s %7s %9u %9u %8u  %s\n", v, obs->validator_ids [v],
                 vs->behaviour ? vs->behaviour : "honest", st [0], st [1], st [2], st [3],
                 vs->signed_down, vs->signed_up, vs->restarts, faults);
    }

    /*  Expectations. */
    const nines_expect_t *ex = &sc->expect;
    s_check_t checks [12];
    size_t n_checks = 0;
    if (ex->has_incidents)
        checks [n_checks++] = (s_check_t) { "incidents", ex->incidents, matched,
                                            matched == ex->incidents, "==" };
    if (ex->has_false_incidents)
        checks [n_checks++] = (s_check_t) { "false_incidents", ex->false_incidents, false_incidents,
                                            false_incidents <= ex->false_incidents, "<=" };
    if (ex->has_slashed)
        checks [n_checks++] = (s_check_t) { "slashed", ex->slashed, slashed, slashed == ex->slashed, "==" };
    if (ex->has_correlated)
        checks [n_checks++] = (s_check_t) { "correlated", ex->correlated, correlated,
                                            correlated == ex->correlated, "==" };
    if (ex->has_max_latency)
        checks [n_checks++] = (s_check_t) { "max_latency", (long long) ex->max_latency_ms, max_latency,
                                            missed == 0 && max_latency <= (int64_t) ex->max_latency_ms, "<=" };
    if (ex->has_slash_within) {
        /* worst deviation of an outage's slash from its true value, ppm */
        long long worst = 0;
        fprintf (out, "\nSlash per true outage against stake x max_slash x S(true downtime)\n");
        for (size_t e = 0; e < n_episodes; e++) {
            uint64_t want = sim_expected_slash (sc, &episodes [e]), got = 0;
            for (size_t i = 0; i < obs->n_incidents; i++)
                if (obs->incidents [i].episode == (int) e)
                    got += obs->incidents [i].slashed;
            long long dev = s_dev_ppm (got, want);
            if (dev > worst)
                worst = dev;
            fprintf (out, "  pod %u [%.1fs, %.1fs): slashed %llu, true outage gives %llu (%+.2f %%)\n",
                     episodes [e].pod, episodes [e].truth.start_ms / 1000.0, episodes [e].truth.end_ms / 1000.0,
                     (unsigned long long) got, (unsigned long long) want,
                     want ? ((double) got - (double) want) * 100.0 / (double) want : 0.0);
        }
        checks [n_checks++] = (s_check_t) { "slash_within_ppm", ex->slash_within_ppm, worst,
                                            worst <= (long long) ex->slash_within_ppm, "<=" };
    }
    if (ex->has_slash_evidenced) {
        /* worst deviation of a closed incident's slash from what its own
           DOWN and UP instants prove, ppm: the money rule, independent of
           how fast the outage was seen */
        long long worst = 0;
        fprintf (out, "\nSlash per closed incident against stake x max_slash x S(evidenced downtime)\n");
        for (size_t i = 0; i < obs->n_incidents; i++) {
            const sim_incident_t *inc = &obs->incidents [i];
            if (inc->open || inc->correlated)
                continue;
            uint64_t d = s_effective (sc, inc->pod, (uint64_t) s_rel (obs, inc->t_down),
                                      (uint64_t) s_rel (obs, inc->t_up));
            uint64_t want = nines_slash_settled (&sc->params, sc->pod_stake, d);
            long long dev = s_dev_ppm (inc->slashed, want);
            if (dev > worst)
                worst = dev;
            fprintf (out, "  pod %u [%.1fs, %.1fs): slashed %llu, its reports give %llu (%llu ms charged)\n",
                     inc->pod, s_rel (obs, inc->t_down) / 1000.0, s_rel (obs, inc->t_up) / 1000.0,
                     (unsigned long long) inc->slashed, (unsigned long long) want, (unsigned long long) d);
        }
        checks [n_checks++] = (s_check_t) { "slash_evidenced_ppm", ex->slash_evidenced_ppm, worst,
                                            worst <= (long long) ex->slash_evidenced_ppm, "<=" };
    }
    if (obs->chain)
        n_checks = s_chain_table (obs, episodes, n_episodes, out, checks, n_checks);
    bool pass = !obs->aborted;
    fprintf (out, "\nExpectations\n");
    for (size_t i = 0; i < n_checks; i++) {
        pass = pass && checks [i].pass;
        if (strcmp (checks [i].name, "max_latency") == 0 || strcmp (checks [i].name, "max_settle") == 0)
            fprintf (out, "  %-19s %s %-8s got %-8s %s%s\n", checks [i].name, checks [i].rule,
                     s_secs (a, sizeof a, true, checks [i].want),
                     s_secs (b, sizeof b, checks [i].got >= 0, checks [i].got),
                     checks [i].pass ? "ok" : "FAILED",
                     strcmp (checks [i].name, "max_latency") == 0
                     ? (missed ? " (an outage was never detected)" : "")
                     : (checks [i].got < 0 ? " (an outage was not settled on the chain)" : ""));
        else
            fprintf (out, "  %-19s %s %-8lld got %-8lld %s\n", checks [i].name, checks [i].rule,
                     checks [i].want, checks [i].got, checks [i].pass ? "ok" : "FAILED");
    }
    if (n_checks == 0)
        fprintf (out, "  (none in the scenario)\n");
    if (obs->aborted)
        fprintf (out, "  the run stopped early: FAILED\n");
    fprintf (out, "%s: %s\n", sc->name, pass ? "PASS" : "FAIL");
    obs->passed = pass;

    /*  result.json */
    char path [SIM_PATH_MAX];
    snprintf (path, sizeof path, "%s/result.json", out_dir);
    FILE *f = fopen (path, "w");
    if (!f)
        return NINES_EIO;
    fprintf (f, "{\n  \"scenario\": \"%s\",\n  \"pass\": %s,\n  \"aborted\": %s,\n"
                "  \"t0_ms\": %llu,\n  \"duration_ms\": %llu,\n  \"observed_ms\": %llu,\n"
                "  \"validators\": %u,\n  \"pods\": %u,\n",
             sc->name, pass ? "true" : "false", obs->aborted ? "true" : "false",
             (unsigned long long) obs->t0, (unsigned long long) sc->duration_ms,
             (unsigned long long) (t_last - obs->t0), sc->validators, sc->pods);
    fprintf (f, "  \"episodes\": [");
    for (size_t e = 0; e < n_episodes; e++) {
        const sim_episode_t *ep = &episodes [e];
        const sim_incident_t *inc = ep->incident >= 0 ? &obs->incidents [ep->incident] : NULL;
        fprintf (f, "%s\n    {\"pod\": %u, \"pod_id\": \"%s\", \"true_start_ms\": %llu, \"true_end_ms\": %llu, "
                 "\"detected\": %s", e ? "," : "", ep->pod, obs->pod_ids [ep->pod],
                 (unsigned long long) ep->truth.start_ms, (unsigned long long) ep->truth.end_ms,
                 inc ? "true" : "false");
        if (inc)
            fprintf (f, ", \"detected_start_ms\": %lld, \"detected_end_ms\": %lld, \"latency_ms\": %lld, "
                     "\"to_ledger_ms\": %lld, \"downtime_ms\": %llu, \"slashed\": %llu, \"correlated\": %s, "
                     "\"expected_slash\": %llu",
                     (long long) s_rel (obs, inc->t_down),
                     inc->open ? -1LL : (long long) s_rel (obs, inc->t_up),
                     (long long) (s_rel (obs, inc->t_down) - (int64_t) ep->truth.start_ms),
                     (long long) (s_rel (obs, inc->first_seen) - (int64_t) ep->truth.start_ms),
                     (unsigned long long) inc->downtime_ms, (unsigned long long) inc->slashed, inc->correlated ? "true" : "false",
                     (unsigned long long) sim_expected_slash (sc, ep));
        fprintf (f, "}");
    }
    fprintf (f, "%s],\n  \"incidents\": [", n_episodes ? "\n  " : "");
    for (size_t i = 0; i < obs->n_incidents; i++) {
        const sim_incident_t *inc = &obs->incidents [i];
        fprintf (f, "%s\n    {\"pod\": %u, \"t_down_ms\": %lld, \"t_up_ms\": %lld, \"open\": %s, "
                 "\"slashed\": %llu, \"correlated\": %s, \"false\": %s}", i ? "," : "", inc->pod,
                 (long long) s_rel (obs, inc->t_down), inc->open ? -1LL : (long long) s_rel (obs, inc->t_up),
                 inc->open ? "true" : "false", (unsigned long long) inc->slashed,
                 inc->correlated ? "true" : "false", inc->episode < 0 ? "true" : "false");
    }
    fprintf (f, "%s],\n  \"validators_detail\": [", obs->n_incidents ? "\n  " : "");
    for (uint32_t v = 0; v < sc->validators; v++) {
        const sim_vstats_t *vs = &obs->vstats [v];
        fprintf (f, "%s\n    {\"index\": %u, \"id\": \"%s\", \"behaviour\": \"%s\", \"in_down_reports\": %u, "
                 "\"in_up_reports\": %u, \"restarts\": %u", v ? "," : "", v, obs->validator_ids [v],
                 vs->behaviour ? vs->behaviour : "honest", vs->signed_down, vs->signed_up, vs->restarts);
        if (vs->have_status)
            fprintf (f, ", \"probes\": %llu, \"probes_failed\": %llu, \"rounds_opened\": %llu, "
                     "\"votes_sent\": %llu, \"evidence_acked\": %llu",
                     (unsigned long long) vs->probes, (unsigned long long) vs->probes_failed,
                     (unsigned long long) vs->rounds_opened, (unsigned long long) vs->votes_sent,
                     (unsigned long long) vs->evidence_acked);
        fprintf (f, "}");
    }
    fprintf (f, "\n  ],\n  \"reports\": {\"down\": %u, \"up\": %u},\n", obs->reports_down, obs->reports_up);
    if (obs->chain) {
        fprintf (f, "  \"chain\": {\"claims\": %u, \"voided\": %u, \"challenge_paid\": %llu, \"gas_challenge\": %llu, "
                 "\"incidents\": [", obs->claims, obs->voided, (unsigned long long) obs->challenge_paid,
                 (unsigned long long) obs->gas_challenge);
        for (size_t i = 0; i < obs->n_incidents; i++) {
            const sim_incident_t *inc = &obs->incidents [i];
            fprintf (f, "%s\n    {\"pod\": %u, \"t_down_ms\": %lld, \"claims\": %u, \"gas_claim\": %llu, "
                     "\"gas_finalize\": %llu, \"gas_account\": %llu, \"gas_settle\": %llu, \"up_to_finalized_ms\": %lld, \"up_to_settled_ms\": %lld, \"slashed\": %llu, "
                     "\"ledger_slashed\": %lld}", i ? "," : "", inc->pod, (long long) s_rel (obs, inc->t_down),
                     inc->claims, (unsigned long long) inc->gas_claim, (unsigned long long) inc->gas_finalize,
                     (unsigned long long) inc->gas_account, (unsigned long long) inc->gas_settle,
                     (long long) s_final_ms (inc), (long long) s_settle_ms (inc),
                     (unsigned long long) inc->slashed, inc->have_ref ? (long long) inc->ref_slashed : -1LL);
        }
        fprintf (f, "%s],\n    \"pods\": [", obs->n_incidents ? "\n  " : "");
        for (uint32_t p = 0; obs->pod_slashed && p < sc->pods; p++)
            fprintf (f, "%s{\"pod\": %u, \"slashed\": %llu, \"ledger_slashed\": %lld}", p ? ", " : "", p,
                     (unsigned long long) obs->pod_slashed [p],
                     obs->have_ref ? (long long) obs->ref_slashed [p] : -1LL);
        fprintf (f, "]},\n");
    }
    fprintf (f, "  \"expectations\": [");
    for (size_t i = 0; i < n_checks; i++)
        fprintf (f, "%s\n    {\"name\": \"%s\", \"rule\": \"%s\", \"want\": %lld, \"got\": %lld, \"pass\": %s}",
                 i ? "," : "", checks [i].name, checks [i].rule, checks [i].want, checks [i].got,
                 checks [i].pass ? "true" : "false");
    fprintf (f, "%s]\n}\n", n_checks ? "\n  " : "");
    if (fclose (f))
        return NINES_EIO;
    return pass ? 0 : 1;
}
