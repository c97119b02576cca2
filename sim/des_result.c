/*  nines-sim des: the run's result (detection, latency, load, the
    ledger's correlation and slashes) and its JSON.  See des_private.h. */
#include "des_private.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/*  ---- results ---- */

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

/*  Index of the nearest-rank percentile pct of n > 0 sorted values. */
static size_t
s_rank (size_t n, unsigned pct)
{
    size_t rank = (n * pct + 99) / 100;
    return rank ? rank - 1 : 0;
}

/*  Nearest-rank percentile of a sorted array (0 when empty). */
static uint64_t
s_pct (const uint64_t *v, size_t n, unsigned pct)
{
    return n ? v [s_rank (n, pct)] : 0;
}

static double
s_pct_d (const double *v, size_t n, unsigned pct)
{
    return n ? v [s_rank (n, pct)] : 0;
}

/*  The ledger's correlated-outage rule, with its constants and window
    (src/proto/incident.c, params corr_window): each incident's DOWN is
    its first DOWN report, its provider the registry's. */
static void
s_correlate (des_t *d)
{
    nines_down_t *downs = calloc (d->n_incidents + 1, sizeof *downs);
    bool *flags = calloc (d->n_incidents + 1, sizeof *flags);
    for (size_t i = 0; downs && flags && i < d->n_incidents; i++) {
        const uint8_t *pod = d->pod_ids [d->incidents [i].pod];
        const nines_pod_t *info = nines_registry_pod_rec (d->reg, pod);
        downs [i] = (nines_down_t) { d->incidents [i].detected, pod, info ? info->provider : NULL };
    }
    if (downs && flags
        && nines_correlate (downs, d->n_incidents, d->m, d->cfg->params.corr_window_ms, flags) == 0)
        for (size_t i = 0; i < d->n_incidents; i++) {
            d->incidents [i].correlated = flags [i];
            d->res->correlated += flags [i];
        }
    free (downs);
    free (flags);
}

void
des_results (des_t *d)
{
    nines_des_result_t *r = d->res;
    const nines_params_t *p = &d->cfg->params;
    uint64_t detectable = 3 * p->epoch_ms;
    size_t n_lat = 0, n_rec = 0;
    uint64_t *lat = calloc (d->n_outages + 1, sizeof *lat);
    uint64_t *rec = calloc (d->n_outages + 1, sizeof *rec);
    for (size_t i = 0; lat && rec && i < d->n_outages; i++) {
        const outage_t *o = &d->outages [i];
        if (o->start >= d->end)
            continue;
        r->outages++;
        bool counts = o->end - o->start >= detectable && o->end <= d->end;
        r->outages_detectable += counts;
        if (o->incident >= 0) {
            r->detected++;
            lat [n_lat++] = d->incidents [o->incident].detected - o->start;
            if (o->recovered)
                rec [n_rec++] = d->incidents [o->incident].closed - o->end;
        }
        else
        if (counts)
            r->missed++;
    }
    if (lat && rec) {
        qsort (lat, n_lat, sizeof *lat, nines_cmp_u64);
        qsort (rec, n_rec, sizeof *rec, nines_cmp_u64);
        r->latency_p50_ms = s_pct (lat, n_lat, 50);
        r->latency_p90_ms = s_pct (lat, n_lat, 90);
        r->latency_p99_ms = s_pct (lat, n_lat, 99);
        r->latency_max_ms = n_lat ? lat [n_lat - 1] : 0;
        r->recovery_p50_ms = s_pct (rec, n_rec, 50);
        r->recovery_p99_ms = s_pct (rec, n_rec, 99);
    }
    free (lat);
    free (rec);
    r->incidents = (uint32_t) d->n_incidents;
    r->continued = (uint32_t) d->n_continued;
    for (size_t i = 0; i < d->n_incidents; i++) {
        const incident_t *inc = &d->incidents [i];
        if (inc->outage >= 0)
            continue;
        r->false_incidents++;
        /* What the ledger would take for it (ledger.c's settle rule: an
           incident of at least grace pays nines_slash_for its duration). */
        uint64_t end = inc->closed ? inc->closed : d->end;
        uint64_t slash = nines_slash_settled (p, d->cfg->pod_stake, end - inc->detected);
        r->false_slash += slash;
        if (r->n_false_detail < NINES_DES_FALSE_MAX) {
            nines_des_false_t *f = &r->false_detail [r->n_false_detail++];
            f->pod = inc->pod;
            memcpy (f->pod_id, d->pod_ids [inc->pod], NINES_ID_BYTES);
            f->start_ms = inc->detected - T0;
            f->end_ms = end - T0;
            f->open = !inc->closed;
            f->slash = slash;
        }
    }
    s_correlate (d);

    r->reports = (uint32_t) d->n_reports;
    uint64_t *reach = calloc (d->n_reports + 1, sizeof *reach);
    size_t n_reach = 0;
    double cover = 0;
    for (size_t i = 0; reach && i < d->n_reports; i++) {
        const seen_report_t *s = &d->reports [i];
        if (s->first + NINES_DES_REACH_MS > d->end)
            continue;               /* formed too late to spread */
        r->reports_spread++;
        cover += s->target ? (s->count >= s->target ? 1.0 : (double) s->count / (double) s->target) : 1.0;
        if (s->count >= s->target) {
            r->reports_everywhere++;
            reach [n_reach++] = s->last - s->first;
        }
    }
    if (reach) {
        qsort (reach, n_reach, sizeof *reach, nines_cmp_u64);
        r->reach_p50_ms = s_pct (reach, n_reach, 50);
        r->reach_p99_ms = s_pct (reach, n_reach, 99);
        r->reach_max_ms = n_reach ? reach [n_reach - 1] : 0;
    }
    free (reach);
    r->coverage = r->reports_spread ? cover / (double) r->reports_spread : 1.0;

    double secs = (double) d->cfg->duration_ms / 1000.0;
    double *msgs = calloc (d->n, sizeof *msgs), *bytes = calloc (d->n, sizeof *bytes);
    double sum_m = 0, sum_b = 0, sum_p = 0;
    for (size_t i = 0; msgs && bytes && i < d->n; i++) {
        nines_engine_stats_t st;
        nines_engine_stats (d->engines [i], &st);
        msgs [i] = (double) st.msgs_out / secs;
        bytes [i] = (double) st.bytes_out / secs;
        sum_m += msgs [i];
        sum_b += bytes [i];
        sum_p += (double) st.probes / secs;
        r->rounds_opened += st.rounds_opened;
        r->rounds_down += st.rounds_down;
        r->rounds_up += st.rounds_up;
        r->rounds_failed += st.rounds_failed;
        r->votes += st.votes_sent;
        r->votes_down += st.votes_down;
        r->votes_abstain += st.votes_abstain;
        r->confirms_resent += st.confirms_resent;
        if (i < d->cfg->lossy_validators) {
            r->lossy_votes += st.votes_sent;
            r->lossy_votes_down += st.votes_down;
            r->lossy_votes_abstain += st.votes_abstain;
        }
        r->msgs_bad += st.msgs_bad;
    }
    if (msgs && bytes && d->n) {
        qsort (msgs, d->n, sizeof *msgs, s_cmp_double);
        qsort (bytes, d->n, sizeof *bytes, s_cmp_double);
        r->msgs_mean = sum_m / (double) d->n;
        r->msgs_p99 = s_pct_d (msgs, d->n, 99);
        r->msgs_max = msgs [d->n - 1];
        r->bytes_mean = sum_b / (double) d->n;
        r->bytes_p99 = s_pct_d (bytes, d->n, 99);
        r->bytes_max = bytes [d->n - 1];
        r->probes_mean = sum_p / (double) d->n;
    }
    free (msgs);
    free (bytes);
    r->evidence = d->n_evidence;
    r->equivocators = d->cfg->equivocate;
}

void
nines_des_result_json (const nines_des_result_t *r, FILE *out)
{
    fprintf (out, "{\n");
    fprintf (out, "  \"scenario\": \"%s\",\n  \"mode\": \"des\",\n  \"seed\": %llu,\n", r->name,
             (unsigned long long) r->seed);
    fprintf (out, "  \"validators\": %u,\n  \"pods\": %u,\n  \"duration_s\": %.3f,\n  \"report_scope\": \"%s\",\n"
                  "  \"gossip_fanout\": %u,\n",
             r->validators, r->pods, (double) r->duration_ms / 1000.0,
             nines_report_scope_name (r->report_scope), r->gossip_fanout);
    fprintf (out, "  \"outages\": %u,\n  \"outages_detectable\": %u,\n  \"detected\": %u,\n  \"missed_incidents\": %u,\n",
             r->outages, r->outages_detectable, r->detected, r->missed);
    fprintf (out, "  \"incidents\": %u,\n  \"continued_downs\": %u,\n  \"false_incidents\": %u,\n  \"correlated_incidents\": %u,\n",
             r->incidents, r->continued, r->false_incidents, r->correlated);
    fprintf (out, "  \"detection_latency_ms\": {\"p50\": %llu, \"p90\": %llu, \"p99\": %llu, \"max\": %llu},\n",
             (unsigned long long) r->latency_p50_ms, (unsigned long long) r->latency_p90_ms,
             (unsigned long long) r->latency_p99_ms, (unsigned long long) r->latency_max_ms);
    fprintf (out, "  \"recovery_latency_ms\": {\"p50\": %llu, \"p99\": %llu},\n",
             (unsigned long long) r->recovery_p50_ms, (unsigned long long) r->recovery_p99_ms);
    fprintf (out, "  \"reports\": %u,\n  \"reports_judged\": %u,\n  \"reports_reached_scope\": %u,\n"
                  "  \"report_coverage\": %.6f,\n",
             r->reports, r->reports_spread, r->reports_everywhere, r->coverage);
    fprintf (out, "  \"report_reach_scope_ms\": {\"p50\": %llu, \"p99\": %llu, \"max\": %llu},\n",
             (unsigned long long) r->reach_p50_ms, (unsigned long long) r->reach_p99_ms,
             (unsigned long long) r->reach_max_ms);
    fprintf (out, "  \"load_per_validator\": {\"msgs_per_s\": {\"mean\": %.3f, \"p99\": %.3f, \"max\": %.3f}, "
             "\"bytes_per_s\": {\"mean\": %.1f, \"p99\": %.1f, \"max\": %.1f}, \"probes_per_s\": %.4f},\n",
             r->msgs_mean, r->msgs_p99, r->msgs_max, r->bytes_mean, r->bytes_p99, r->bytes_max, r->probes_mean);
    fprintf (out, "  \"rounds\": {\"opened\": %llu, \"down\": %llu, \"up\": %llu, \"failed\": %llu},\n",
             (unsigned long long) r->rounds_opened, (unsigned long long) r->rounds_down,
             (unsigned long long) r->rounds_up, (unsigned long long) r->rounds_failed);
    fprintf (out, "  \"false_incident_detail\": [");
    for (uint32_t i = 0; i < r->n_false_detail; i++) {
        const nines_des_false_t *f = &r->false_detail [i];
        char hex [2 * NINES_ID_BYTES + 1];
        for (int k = 0; k < NINES_ID_BYTES; k++)
            snprintf (hex + 2 * k, 3, "%02x", f->pod_id [k]);
        fprintf (out, "%s\n    {\"pod\": %u, \"pod_id\": \"%s\", \"start_ms\": %llu, \"end_ms\": %llu, "
                 "\"duration_ms\": %llu, \"open\": %s, \"slash\": %llu}", i ? "," : "", f->pod, hex,
                 (unsigned long long) f->start_ms, (unsigned long long) f->end_ms,
                 (unsigned long long) (f->end_ms - f->start_ms), f->open ? "true" : "false",
                 (unsigned long long) f->slash);
    }
    fprintf (out, "%s],\n  \"false_incident_slash\": %llu,\n", r->n_false_detail ? "\n  " : "",
             (unsigned long long) r->false_slash);
    fprintf (out, "  \"lossy_votes\": {\"all\": %llu, \"down\": %llu, \"abstain\": %llu},\n",
             (unsigned long long) r->lossy_votes, (unsigned long long) r->lossy_votes_down,
             (unsigned long long) r->lossy_votes_abstain);
    fprintf (out, "  \"votes_down\": %llu,\n  \"votes_abstain\": %llu,\n  \"confirms_resent\": %llu,\n",
             (unsigned long long) r->votes_down, (unsigned long long) r->votes_abstain,
             (unsigned long long) r->confirms_resent);
    fprintf (out, "  \"votes\": %llu,\n  \"msgs_rejected\": %llu,\n  \"evidence\": %llu,\n  \"evidence_submissions\": %llu,\n",
             (unsigned long long) r->votes, (unsigned long long) r->msgs_bad,
             (unsigned long long) r->evidence, (unsigned long long) r->submissions);
    fprintf (out, "  \"equivocators\": %u,\n  \"equivocators_proven\": %u,\n  \"misbehaviour_proofs\": %llu,\n"
             "  \"false_accusations\": %u,\n", r->equivocators, r->equivocators_proven,
             (unsigned long long) r->misbehaviour_reports, r->false_accusations);
    fprintf (out, "  \"events\": %llu\n}\n", (unsigned long long) r->events);
}
