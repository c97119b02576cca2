/*  nines-sim des: the configuration (defaults, scaling, from a scenario)
    and the command line.  See des.h. */
#include "des_private.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

void
nines_des_config_default (nines_des_config_t *cfg)
{
    memset (cfg, 0, sizeof *cfg);
    snprintf (cfg->name, sizeof cfg->name, "des");
    cfg->seed = 1;
    cfg->duration_ms = 60000;
    cfg->validators = 100;
    cfg->pods = 1000;
    cfg->providers = 10;
    cfg->stake = 1000000;
    cfg->pod_stake = 1000000;
    nines_params_default (&cfg->params);
    cfg->latency_ms = 20;
    cfg->jitter_ms = 5;
    cfg->app_ms = 5;
    cfg->report_scope = NINES_SCOPE_COMMITTEE;
}

static uint32_t
s_scale (uint32_t count, uint32_t from, uint32_t to)
{
    if (!from || from == to || !count)
        return count;
    uint64_t c = ((uint64_t) count * to + from / 2) / from;
    return (uint32_t) (c ? c : 1);
}

void
nines_des_config_scale (nines_des_config_t *cfg, uint32_t validators, uint32_t pods)
{
    uint32_t v0 = cfg->validators, p0 = cfg->pods;
    if (validators && validators != v0) {
        cfg->always_down = s_scale (cfg->always_down, v0, validators);
        cfg->always_up = s_scale (cfg->always_up, v0, validators);
        cfg->silent = s_scale (cfg->silent, v0, validators);
        cfg->equivocate = s_scale (cfg->equivocate, v0, validators);
        uint32_t adv = cfg->always_down + cfg->always_up + cfg->silent + cfg->equivocate;
        if (adv > validators)
            cfg->always_down -= adv - validators < cfg->always_down ? adv - validators : cfg->always_down;
        cfg->validators = validators;
    }
    if (pods && pods != p0)
        cfg->pods = pods;
    for (size_t i = 0; i < cfg->n_faults; i++) {
        nines_des_fault_t *f = &cfg->faults [i];
        bool on_pods = nines_fault_is_pod_fault ((nines_fault_kind_t) f->kind);
        uint32_t from = on_pods ? p0 : v0, to = on_pods ? cfg->pods : cfg->validators;
        if (f->count > 1)
            f->count = s_scale (f->count, from, to);
        if (from && to != from)
            f->index = (uint32_t) ((uint64_t) f->index * to / from);
    }
}

/*  A des-only key of the i-th fault section (NULL when absent). */
static const char *
s_fault_key (const nines_scenario_t *sc, size_t i, const char *key)
{
    zconfig_t *root = sc->config ? nines_config_zconfig (sc->config) : NULL;
    size_t k = 0;
    for (zconfig_t *s = root ? zconfig_child (root) : NULL; s; s = zconfig_next (s))
        if (strcmp (zconfig_name (s), "fault") == 0 && k++ == i)
            return zconfig_get (s, key, NULL);
    return NULL;
}

int
nines_des_config_from_scenario (nines_des_config_t *cfg, const nines_scenario_t *sc,
                                char *err, size_t err_size)
{
    nines_des_config_default (cfg);
    snprintf (cfg->name, sizeof cfg->name, "%s", sc->name);
    cfg->seed = sc->seed;
    cfg->duration_ms = sc->duration_ms;
    cfg->validators = sc->validators;
    cfg->pods = sc->pods;
    cfg->providers = sc->providers;
    cfg->stake = sc->stake;
    cfg->pod_stake = sc->pod_stake;
    cfg->params = sc->params;
    cfg->latency_ms = sc->latency_ms;
    cfg->jitter_ms = sc->jitter_ms;
    cfg->loss_ppm = sc->loss_ppm;
    cfg->probe_loss_ppm = sc->loss_ppm;
    cfg->always_down = sc->always_down;
    cfg->always_up = sc->always_up;
    cfg->silent = sc->silent;
    cfg->equivocate = sc->equivocate;
    zconfig_t *root = sc->config ? nines_config_zconfig (sc->config) : NULL;
    zconfig_t *net = root ? zconfig_locate (root, "network") : NULL;
    const char *pl = net ? zconfig_get (net, "probe_loss", NULL) : NULL;
    if (pl && nines_parse_ppm (pl, &cfg->probe_loss_ppm)) {
        snprintf (err, err_size, "%s: network/probe_loss: expected a fraction in 0..1, got '%s'", sc->path, pl);
        return NINES_ECONFIG;
    }
    /* Bursty and one-direction loss (des only). */
    const struct { const char *key; uint32_t *ppm; uint64_t *ms; } keys [] = {
        { "burst_loss", &cfg->burst_loss_ppm, NULL }, { "burst_good", NULL, &cfg->burst_good_ms },
        { "burst_bad", NULL, &cfg->burst_bad_ms }, { "lossy_loss", &cfg->lossy_loss_ppm, NULL } };
    for (size_t k = 0; k < sizeof keys / sizeof keys [0]; k++) {
        const char *v = net ? zconfig_get (net, keys [k].key, NULL) : NULL;
        if (v && keys [k].ppm && nines_parse_ppm (v, keys [k].ppm)) {
            snprintf (err, err_size, "%s: network/%s: expected a fraction in 0..1, got '%s'", sc->path,
                      keys [k].key, v);
            return NINES_ECONFIG;
        }
        if (v && keys [k].ms && nines_parse_duration_ms (v, keys [k].ms)) {
            snprintf (err, err_size, "%s: network/%s: expected a duration such as 2s, got '%s'", sc->path,
                      keys [k].key, v);
            return NINES_ECONFIG;
        }
    }
    if ((cfg->burst_good_ms == 0) != (cfg->burst_bad_ms == 0)) {
        snprintf (err, err_size, "%s: network/burst_good: expected burst_good and burst_bad both or neither, "
                  "got only one", sc->path);
        return NINES_ECONFIG;
    }
    const char *lv = net ? zconfig_get (net, "lossy_validators", NULL) : NULL;
    uint64_t nlossy = 0;
    if (lv && (nines_parse_u64 (lv, &nlossy) || nlossy > sc->validators)) {
        snprintf (err, err_size, "%s: network/lossy_validators: expected 0..%u, got '%s'", sc->path,
                  sc->validators, lv);
        return NINES_ECONFIG;
    }
    cfg->lossy_validators = (uint32_t) nlossy;
    const char *dir = net ? zconfig_get (net, "lossy_direction", NULL) : NULL;
    if (dir) {
        if (strcmp (dir, "both") == 0)
            cfg->lossy_direction = NINES_DES_LOSS_BOTH;
        else
        if (strcmp (dir, "out") == 0)
            cfg->lossy_direction = NINES_DES_LOSS_OUT;
        else
        if (strcmp (dir, "in") == 0)
            cfg->lossy_direction = NINES_DES_LOSS_IN;
        else {
            snprintf (err, err_size, "%s: network/lossy_direction: expected both, out or in, got '%s'", sc->path, dir);
            return NINES_ECONFIG;
        }
    }
    const char *scope = net ? zconfig_get (net, "report_scope", NULL) : NULL;
    if (scope && nines_report_scope_parse (scope, &cfg->report_scope)) {
        snprintf (err, err_size, "%s: network/report_scope: expected all or committee, got '%s'", sc->path, scope);
        return NINES_ECONFIG;
    }
    if (sc->chain) {
        snprintf (err, err_size, "%s: network/ledger: expected zmq in des mode, got 'evm' "
                  "(des models nines-ledger only: use nines-sim run)", sc->path);
        return NINES_ECONFIG;
    }
    if (sc->n_faults > NINES_DES_FAULTS_MAX) {
        snprintf (err, err_size, "%s: fault: expected at most %d faults in des mode, got %zu", sc->path,
                  NINES_DES_FAULTS_MAX, sc->n_faults);
        return NINES_ECONFIG;
    }
    for (size_t i = 0; i < sc->n_faults; i++) {
        const nines_fault_t *f = &sc->faults [i];
        if (nines_fault_run_only (f->kind)) {
            snprintf (err, err_size, "%s: fault[%zu]/kind: expected a fault des plays, got '%s' "
                      "(it acts on the real ledger: use nines-sim run)", sc->path, i, nines_fault_kind_name (f->kind));
            return NINES_ECONFIG;
        }
        nines_des_fault_t *g = &cfg->faults [cfg->n_faults++];
        memset (g, 0, sizeof *g);
        g->kind = f->kind;
        g->at_ms = f->at_ms;
        bool on_pods = nines_fault_is_pod_fault (f->kind);
        g->index = on_pods ? f->pod : f->validator;
        g->count = f->kind == NINES_FAULT_CORRELATED ? f->count : 1;
        g->duration_ms = f->duration_ms;
        g->down_ms = f->down_ms;
        g->up_ms = f->up_ms;
        g->flaps = f->flaps;
        const char *targets = s_fault_key (sc, i, "targets");
        const char *spread = s_fault_key (sc, i, "spread");
        const char *partition = s_fault_key (sc, i, "partition");
        uint64_t v = 0;
        if (targets && (nines_parse_u64 (targets, &v) || v < 1 || v > NINES_SCENARIO_MAX_NODES)) {
            snprintf (err, err_size, "%s: fault[%zu]/targets: expected 1..%d, got '%s'", sc->path, i,
                      NINES_SCENARIO_MAX_NODES, targets);
            return NINES_ECONFIG;
        }
        if (targets)
            g->count = (uint32_t) v;
        if (spread && nines_parse_duration_ms (spread, &g->spread_ms)) {
            snprintf (err, err_size, "%s: fault[%zu]/spread: expected a duration such as 10m, got '%s'",
                      sc->path, i, spread);
            return NINES_ECONFIG;
        }
        if (partition && (strcmp (partition, "0") && strcmp (partition, "1"))) {
            snprintf (err, err_size, "%s: fault[%zu]/partition: expected 0 or 1, got '%s'", sc->path, i, partition);
            return NINES_ECONFIG;
        }
        g->partition = partition && strcmp (partition, "1") == 0;
        if (g->partition && f->kind != NINES_FAULT_VALIDATOR_ISOLATE) {
            snprintf (err, err_size, "%s: fault[%zu]/partition: expected only in a validator_isolate fault, got '%s'",
                      sc->path, i, partition);
            return NINES_ECONFIG;
        }
    }
    return 0;
}

/*  ---- command line ---- */

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: nines-sim des SCENARIO [--seed N] [--validators N] [--pods M] [--duration T]\n"
        "                  [--report-scope all|committee] [--sweep N1,N2,...] [--out DIR] [-v]\n"
        "  Runs the scenario on N real protocol engines over a virtual clock.\n"
        "  --validators/--pods scale the scenario (adversaries and multi-target\n"
        "  faults keep their share); --sweep runs it at each N (pods in the\n"
        "  scenario's ratio unless --pods) and prints the load per validator\n"
        "  against N; --out DIR writes DIR/result.json (and\n"
        "  DIR/sweep.json).  Same scenario and seed give a byte-identical result.json.\n"
        "  --report-scope (default committee, or the scenario's network/report_scope):\n"
        "  push each quorum report to the pod's committee only, or to every validator.\n");
}

static long
s_peak_rss_mb (void)
{
    struct rusage ru;
    getrusage (RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024;
}

static void
s_print (const nines_des_result_t *r, double wall)
{
    printf ("des %s: %u validators, %u pods, %.0fs simulated in %.1fs wall (peak RSS %ld MB)\n",
            r->name, r->validators, r->pods, (double) r->duration_ms / 1000.0, wall, s_peak_rss_mb ());
    printf ("  outages %u (detectable %u): detected %u, missed %u; incidents %u (late DOWNs continued %u), "
            "false %u, correlated %u\n",
            r->outages, r->outages_detectable, r->detected, r->missed, r->incidents, r->continued,
            r->false_incidents, r->correlated);
    printf ("  detection latency p50 %.1fs p90 %.1fs p99 %.1fs max %.1fs; recovery p50 %.1fs\n",
            r->latency_p50_ms / 1000.0, r->latency_p90_ms / 1000.0, r->latency_p99_ms / 1000.0,
            r->latency_max_ms / 1000.0, r->recovery_p50_ms / 1000.0);
    printf ("  reports %u (scope %s), reached their whole scope %u of %u, reach p50 %llums p99 %llums, coverage %.4f\n",
            r->reports, nines_report_scope_name (r->report_scope),
            r->reports_everywhere, r->reports_spread, (unsigned long long) r->reach_p50_ms,
            (unsigned long long) r->reach_p99_ms, r->coverage);
    printf ("  load per validator: %.2f msg/s (p99 %.2f), %.0f B/s (p99 %.0f), %.3f probes/s\n",
            r->msgs_mean, r->msgs_p99, r->bytes_mean, r->bytes_p99, r->probes_mean);
    printf ("  rounds %llu (down %llu, up %llu, failed %llu), votes %llu (down %llu, abstain %llu), "
            "confirms re-sent %llu; equivocators %u proven %u; false accusations %u\n",
            (unsigned long long) r->rounds_opened, (unsigned long long) r->rounds_down,
            (unsigned long long) r->rounds_up, (unsigned long long) r->rounds_failed,
            (unsigned long long) r->votes, (unsigned long long) r->votes_down,
            (unsigned long long) r->votes_abstain, (unsigned long long) r->confirms_resent,
            r->equivocators, r->equivocators_proven, r->false_accusations);
    fflush (stdout);
}

/*  mkdir -p for one level below an existing parent is enough here. */
static int
s_mkdir (const char *dir)
{
    if (mkdir (dir, 0755) && errno != EEXIST) {
        fprintf (stderr, "nines-sim des: %s: %s\n", dir, strerror (errno));
        return -1;
    }
    return 0;
}

static int
s_write_result (const char *dir, const char *file, const nines_des_result_t *r)
{
    char path [4096];
    snprintf (path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen (path, "w");
    if (!f) {
        fprintf (stderr, "nines-sim des: %s: %s\n", path, strerror (errno));
        return -1;
    }
    nines_des_result_json (r, f);
    return fclose (f) ? -1 : 0;
}

/*  Expectations of the scenario that still mean something at the size
    run: counts only when the size is the scenario's own. */
static int
s_expect (const nines_scenario_t *sc, const nines_des_result_t *r, bool scaled)
{
    int failed = 0;
    const nines_expect_t *e = &sc->expect;
    if (e->has_incidents && !scaled && r->detected != e->incidents) {
        printf ("  EXPECT incidents = %u, got %u\n", e->incidents, r->detected);
        failed = 1;
    }
    if (e->has_false_incidents && r->false_incidents > e->false_incidents) {
        printf ("  EXPECT false_incidents <= %u, got %u\n", e->false_incidents, r->false_incidents);
        failed = 1;
    }
    if (e->has_correlated && !scaled && r->correlated != e->correlated) {
        printf ("  EXPECT correlated = %u, got %u\n", e->correlated, r->correlated);
        failed = 1;
    }
    if (e->has_max_latency && r->latency_max_ms > e->max_latency_ms) {
        printf ("  EXPECT max_latency <= %llums, got %llums\n", (unsigned long long) e->max_latency_ms,
                (unsigned long long) r->latency_max_ms);
        failed = 1;
    }
    /* des-only: p99_latency, missed (at most), coverage (at least),
       lossy_votes_down (at most) and lossy_abstains (at least). */
    zconfig_t *root = sc->config ? nines_config_zconfig (sc->config) : NULL;
    zconfig_t *ex = root ? zconfig_locate (root, "expect") : NULL;
    const char *v = ex ? zconfig_get (ex, "p99_latency", NULL) : NULL;
    uint64_t n = 0;
    if (v && (nines_parse_duration_ms (v, &n) || r->latency_p99_ms > n)) {
        printf ("  EXPECT p99_latency <= %s, got %llums\n", v, (unsigned long long) r->latency_p99_ms);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "missed", NULL) : NULL;
    if (v && (nines_parse_u64 (v, &n) || r->missed > n)) {
        printf ("  EXPECT missed <= %s, got %u\n", v, r->missed);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "coverage", NULL) : NULL;
    uint32_t ppm = 0;
    if (v && (nines_parse_ppm (v, &ppm) || r->coverage * 1e6 < ppm)) {
        printf ("  EXPECT coverage >= %s, got %.4f\n", v, r->coverage);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "incidents_total", NULL) : NULL;
    if (v && !scaled && (nines_parse_u64 (v, &n) || r->incidents != n)) {
        printf ("  EXPECT incidents_total = %s, got %u\n", v, r->incidents);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "lossy_votes_down", NULL) : NULL;
    if (v && (nines_parse_u64 (v, &n) || r->lossy_votes_down > n)) {
        printf ("  EXPECT lossy_votes_down <= %s, got %llu\n", v, (unsigned long long) r->lossy_votes_down);
        failed = 1;
    }
    v = ex ? zconfig_get (ex, "lossy_abstains", NULL) : NULL;
    if (v && (nines_parse_u64 (v, &n) || r->lossy_votes_abstain < n)) {
        printf ("  EXPECT lossy_abstains >= %s, got %llu\n", v, (unsigned long long) r->lossy_votes_abstain);
        failed = 1;
    }
    return failed;
}

int
nines_sim_des_main (int argc, char **argv)
{
    const char *path = NULL, *out = NULL, *sweep = NULL;
    uint64_t seed = 0, duration = 0, validators = 0, pods = 0;
    bool has_seed = false, verbose = false, has_scope = false;
    uint32_t scope = NINES_SCOPE_COMMITTEE;
    int i = argc > 0 && strcmp (argv [0], "des") == 0 ? 1 : 0;
    for (; i < argc; i++) {
        const char *a = argv [i];
        const char *v = i + 1 < argc ? argv [i + 1] : NULL;
        bool bad = false;
        if (strcmp (a, "--help") == 0 || strcmp (a, "-h") == 0) {
            s_usage (stdout);
            return 0;
        }
        else
        if (strcmp (a, "-v") == 0)
            verbose = true;
        else
        if (strcmp (a, "--seed") == 0 && v) {
            bad = nines_parse_u64 (v, &seed) != 0;
            has_seed = true;
            i++;
        }
        else
        if (strcmp (a, "--validators") == 0 && v) {
            bad = nines_parse_u64 (v, &validators) != 0 || validators < 1 || validators > NINES_SCENARIO_MAX_NODES;
            i++;
        }
        else
        if (strcmp (a, "--pods") == 0 && v) {
            bad = nines_parse_u64 (v, &pods) != 0 || pods < 1 || pods > NINES_SCENARIO_MAX_NODES;
            i++;
        }
        else
        if (strcmp (a, "--duration") == 0 && v) {
            bad = nines_parse_duration_ms (v, &duration) != 0 || duration == 0;
            i++;
        }
        else
        if (strcmp (a, "--report-scope") == 0 && v) {
            bad = nines_report_scope_parse (v, &scope) != 0;
            has_scope = true;
            i++;
        }
        else
        if (strcmp (a, "--sweep") == 0 && v)
            sweep = argv [++i];
        else
        if (strcmp (a, "--out") == 0 && v)
            out = argv [++i];
        else
        if (a [0] != '-' && !path)
            path = a;
        else
            bad = true;
        if (bad) {
            fprintf (stderr, "nines-sim des: bad argument '%s'%s%s\n", a, v ? " " : "", v ? v : "");
            s_usage (stderr);
            return 2;
        }
    }
    if (!path) {
        s_usage (stderr);
        return 2;
    }
    char err [1024];
    nines_scenario_t *sc = nines_scenario_load (path, err, sizeof err);
    if (!sc) {
        fprintf (stderr, "nines-sim: %s\n", err);
        return 2;
    }
    nines_des_config_t *base = malloc (sizeof *base);
    if (!base || nines_des_config_from_scenario (base, sc, err, sizeof err)) {
        if (base)
            fprintf (stderr, "nines-sim: %s\n", err);
        free (base);
        nines_scenario_destroy (&sc);
        return 2;
    }
    if (has_seed)
        base->seed = seed;
    if (has_scope)
        base->report_scope = scope;
    if (duration)
        base->duration_ms = duration;
    int rc = 0;
    if (out && s_mkdir (out))
        rc = 2;
    nines_des_config_t *cfg = malloc (sizeof *cfg);
    nines_des_result_t res;
    if (!rc && !sweep) {
        *cfg = *base;
        nines_des_config_scale (cfg, (uint32_t) validators, (uint32_t) pods);
        double t = des_wall ();
        int r = nines_des_run (cfg, &res, verbose ? stderr : NULL);
        if (r) {
            fprintf (stderr, "nines-sim des: %s: %s\n", path, r == NINES_EINVAL ? "impossible configuration"
                     : "out of memory");
            rc = 1;
        }
        else {
            s_print (&res, des_wall () - t);
            bool scaled = cfg->validators != sc->validators || cfg->pods != sc->pods;
            rc = s_expect (sc, &res, scaled);
            if (out && s_write_result (out, "result.json", &res))
                rc = 1;
        }
    }
    else
    if (!rc) {
        char path_json [4096];
        FILE *sj = NULL;
        if (out) {
            snprintf (path_json, sizeof path_json, "%s/sweep.json", out);
            sj = fopen (path_json, "w");
            if (sj)
                fprintf (sj, "{\n  \"scenario\": \"%s\",\n  \"sweep\": [\n", base->name);
        }
        printf ("%8s %12s %12s %10s %10s %10s %10s\n", "N", "msg/s/node", "B/s/node", "probes/s",
                "p50 lat s", "reach p99", "wall s");
        char *list = strdup (sweep), *save = NULL;
        bool first = true;
        for (char *tok = strtok_r (list, ",", &save); tok && !rc; tok = strtok_r (NULL, ",", &save)) {
            uint64_t n = 0;
            if (nines_parse_u64 (tok, &n) || n < 1 || n > NINES_SCENARIO_MAX_NODES) {
                fprintf (stderr, "nines-sim des: --sweep: expected sizes like 1000,3000,10000, got '%s'\n", tok);
                rc = 2;
                break;
            }
            /* Without --pods the pods grow with N (the scenario's ratio), so
               every size has the same probes per validator. */
            uint64_t m = pods ? pods : (uint64_t) base->pods * n / (base->validators ? base->validators : 1);
            *cfg = *base;
            nines_des_config_scale (cfg, (uint32_t) n, (uint32_t) (m ? m : 1));
            double t = des_wall ();
            if (nines_des_run (cfg, &res, verbose ? stderr : NULL)) {
                rc = 1;
                break;
            }
            printf ("%8u %12.3f %12.1f %10.4f %10.1f %10llu %10.1f\n", res.validators, res.msgs_mean,
                    res.bytes_mean, res.probes_mean, res.latency_p50_ms / 1000.0,
                    (unsigned long long) res.reach_p99_ms, des_wall () - t);
            fflush (stdout);
            if (sj) {
                fprintf (sj, "%s    {\"validators\": %u, \"pods\": %u, \"msgs_per_s\": %.3f, "
                         "\"bytes_per_s\": %.1f, \"probes_per_s\": %.4f, \"latency_p50_ms\": %llu, "
                         "\"reach_p99_ms\": %llu, \"false_incidents\": %u}", first ? "" : ",\n",
                         res.validators, res.pods, res.msgs_mean, res.bytes_mean, res.probes_mean,
                         (unsigned long long) res.latency_p50_ms, (unsigned long long) res.reach_p99_ms,
                         res.false_incidents);
                char file [64];
                snprintf (file, sizeof file, "result-%u.json", res.validators);
                s_write_result (out, file, &res);
            }
            first = false;
        }
        free (list);
        if (sj) {
            fprintf (sj, "\n  ]\n}\n");
            fclose (sj);
        }
    }
    free (cfg);
    free (base);
    nines_scenario_destroy (&sc);
    return rc;
}
