/*  ninesd's GET /metrics (Prometheus text exposition). */
#include "node/node_state.h"
#include <string.h>

/*  ---- GET /metrics (Prometheus text exposition, issue 12) ----

    Counters of events the daemon sees (heartbeats, phases, reports,
    evidence verdicts) are counted as they happen; everything the engine
    already keeps (rounds, votes, peers, outbox, degraded) is read at
    scrape time.  Per-pod series (success, HTTP status) are capped at
    node/metrics_pods pods, down pods first, so a validator watching
    100,000 pods stays a few thousand series unless asked for more; the
    per-state counts in nines_pods cover every pod. */

static const double s_phase_buckets [] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                           0.25, 0.5, 1, 2.5, 5, 10 };

#define MAX_VERDICTS 16                     /* ledger verdict strings counted */

/*  ninesd's families but the phase histogram, in exposition order
    (nines_probe_success, then the histogram, then the rest); max_series
    0: node/metrics_pods. */
#define M(field) offsetof (nines_node_t, m_##field)
static const nines_metric_def_t s_families [] = {
    { M (success), NINES_METRIC_GAUGE, "nines_probe_success", "pod", 0, "1 if this validator's last heartbeat to the pod succeeded (signed, healthy), else 0." },
    { M (status), NINES_METRIC_GAUGE, "nines_probe_http_status_code", "pod", 0, "HTTP status of the pod's last heartbeat (0: no response)." },
    { M (down), NINES_METRIC_GAUGE, "nines_pod_down", "pod", 0, "1 while a quorum DOWN report is open for the pod here (only down pods have a series)." },
    { M (cert), NINES_METRIC_GAUGE, "nines_probe_ssl_earliest_cert_expiry", "pod", 0, "notAfter of the pod facade's TLS certificate seen by the last handshake, seconds since the epoch." },
    { M (heartbeats), NINES_METRIC_COUNTER, "nines_heartbeats_total", "outcome", NINES_OUTCOME_COUNT + 1, "Heartbeats finished, by outcome." },
    { M (pods), NINES_METRIC_GAUGE, "nines_pods", "state", 3, "Registered pods by state here (up, down: a DOWN report is open, unknown: not probed yet)." },
    { M (rounds), NINES_METRIC_COUNTER, "nines_rounds_total", "result", 3, "Confirmation rounds this validator opened, by result (down, up, failed: no quorum)." },
    { M (votes), NINES_METRIC_COUNTER, "nines_votes_total", "verdict", 3, "Votes this validator signed, by verdict." },
    { M (reports), NINES_METRIC_COUNTER, "nines_reports_total", "kind", 2, "Quorum reports accepted since start, by kind." },
    { M (peers), NINES_METRIC_GAUGE, "nines_peers", "state", 3, "Validators by SWIM state as this validator sees them." },
    { M (degraded), NINES_METRIC_GAUGE, "nines_self_degraded", NULL, 1, "1 while self-health says this validator's own network is bad (it abstains)." },
    { M (doppelganger), NINES_METRIC_GAUGE, "nines_doppelganger_detected", NULL, 1, "1 once another instance with this validator's key signed a vote (this one votes no more)." },
    { M (outbox), NINES_METRIC_GAUGE, "nines_evidence_outbox", NULL, 1, "Evidence waiting for the ledger's acknowledgement." },
    { M (submitted), NINES_METRIC_COUNTER, "nines_evidence_submitted_total", "result", MAX_VERDICTS, "Evidence the ledger acknowledged, by its verdict." },
    { M (ledger_up), NINES_METRIC_GAUGE, "nines_ledger_up", NULL, 1, "1 if the ledger answered; 0 once a request waited 5 s for a reply; absent without a ledger." },
    { M (version), NINES_METRIC_GAUGE, "nines_registry_version", NULL, 1, "Version of the registry in use." },
    { M (epoch), NINES_METRIC_GAUGE, "nines_epoch", NULL, 1, "Current epoch." },
    { M (refused), NINES_METRIC_COUNTER, "nines_peer_handshakes_refused_total", NULL, 1, "CurveZMQ handshakes refused (not a registered validator's key)." },
    { M (misbehaviour), NINES_METRIC_COUNTER, "nines_misbehaviours_total", NULL, 1, "Equivocations detected (a validator signed conflicting votes)." },
    { M (canaries), NINES_METRIC_COUNTER, "nines_canaries_total", NULL, 1, "Ledger canaries countersigned." },
};
#undef M
#define N_FAMILIES (sizeof s_families / sizeof s_families [0])

int
node_metrics_init (nines_node_t *self)
{
    nines_metrics_t *r = self->metrics = nines_metrics_new ();
    if (!r)
        return NINES_ENOMEM;
    uint32_t pods = (uint32_t) self->cfg.metrics_pods;
    if (nines_metrics_add_table (r, s_families, 1, self, pods))       /* nines_probe_success */
        return NINES_EINVAL;
    self->m_duration = nines_metrics_add (r, NINES_METRIC_HISTOGRAM, "nines_probe_duration_seconds",
         "Heartbeat duration by phase (resolve, connect, tls, processing, transfer), seconds.",
         "phase", 5, s_phase_buckets, sizeof s_phase_buckets / sizeof s_phase_buckets [0]);
    if (!self->m_duration)
        return NINES_EINVAL;
    if (nines_metrics_add_table (r, s_families + 1, N_FAMILIES - 1, self, pods))
        return NINES_EINVAL;
    return 0;
}

/*  A finished heartbeat: outcome counter, phase histogram, HTTP status. */
void
node_metrics_probe (nines_node_t *self, const nines_probe_result_t *r)
{
    if (!self->metrics)
        return;
    nines_metric_inc (self->m_heartbeats, (const char *[]) { nines_outcome_name (r->outcome) }, 1);
    /*  libcurl's times are cumulative from the start (CURLINFO_*_TIME_T);
        a phase is observed only once it ended, as blackbox_exporter's. */
    uint64_t ends [5] = { r->dns_us, r->connect_us, r->tls_us, r->ttfb_us, r->total_us };
    static const char *const phase [5] = { "resolve", "connect", "tls", "processing", "transfer" };
    uint64_t prev = 0;
    for (int i = 0; i < 5; i++) {
        if (!ends [i] || (i == 4 && !r->ttfb_us))
            continue;
        nines_metric_observe (self->m_duration, (const char *[]) { phase [i] },
                              ends [i] > prev ? (double) (ends [i] - prev) / 1e6 : 0);
        prev = ends [i];
    }
}

char *
node_metrics_render (void *arg, size_t *len)
{
    nines_node_t *self = (nines_node_t *) arg;
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    uint64_t now = node_now ();
#define SET0(m, v) nines_metric_set (self->m_##m, NULL, (double) (v))
#define SET1(m, l, v) nines_metric_set (self->m_##m, (const char *[]) { l }, (double) (v))
    SET1 (rounds, "down", st.rounds_down);
    SET1 (rounds, "up", st.rounds_up);
    SET1 (rounds, "failed", st.rounds_failed);
    SET1 (votes, "down", st.votes_down);
    SET1 (votes, "up", st.votes_sent - st.votes_down - st.votes_abstain);
    SET1 (votes, "abstain", st.votes_abstain);
    SET0 (degraded, st.degraded);
    SET0 (doppelganger, st.doppelganger);
    SET0 (outbox, nines_engine_outbox (self->engine, NULL, 0));
    SET0 (version, self->reg ? self->reg->version : 0);
    SET0 (epoch, st.epoch);
    nines_peers_stats_t pst;
    nines_peers_stats (self->peers, &pst);
    SET0 (refused, pst.refused);
    SET0 (misbehaviour, st.misbehaviours);
    SET0 (canaries, self->canaries);
    if (self->ledger)
        SET0 (ledger_up, node_ledger_up (self, now));
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *mem = (nines_member_info_t *) calloc (n + 1, sizeof *mem);
    size_t by_state [4] = { 0 };
    n = mem ? nines_engine_members (self->engine, mem, n) : 0;
    for (size_t i = 0; i < n; i++)
        by_state [mem [i].state & 3]++;
    free (mem);
    SET1 (peers, "alive", by_state [NINES_MEMBER_ALIVE]);
    SET1 (peers, "suspect", by_state [NINES_MEMBER_SUSPECT]);
    SET1 (peers, "dead", by_state [NINES_MEMBER_DEAD]);
    /*  Per-pod gauges: rebuilt each scrape, down pods first so the cap
        never hides one that is down. */
    nines_metric_reset (self->m_success);
    nines_metric_reset (self->m_status);
    nines_metric_reset (self->m_cert);
    nines_metric_reset (self->m_down);
    size_t np = nines_engine_pods (self->engine, NULL, 0);
    nines_pod_status_t *ps = (nines_pod_status_t *) calloc (np + 1, sizeof *ps);
    np = ps ? nines_engine_pods (self->engine, ps, np) : 0;
    size_t up = 0, down = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < np; i++) {
            if (ps [i].down != (pass == 0))
                continue;
            char hex [NINES_ID_HEX];
            const char *const pod [] = { nines_hex (hex, ps [i].pod, NINES_ID_BYTES) };
            if (pass == 0) {
                down++;
                nines_metric_set (self->m_down, pod, 1);
            }
            else if (ps [i].last_outcome >= 0)
                up++;
            if (ps [i].last_outcome < 0)
                continue;
            nines_metric_set (self->m_success, pod, ps [i].last_outcome == NINES_OUTCOME_OK);
            long at = self->reg ? nines_registry_pod_index (self->reg, ps [i].pod) : -1;
            const pod_timing_t *t = at >= 0 && self->timings ? &self->timings [at] : NULL;
            if (t)
                nines_metric_set (self->m_status, pod, t->http_status);
            if (t && t->cert_not_after_ms)
                nines_metric_set (self->m_cert, pod, (double) (t->cert_not_after_ms / 1000));
        }
    free (ps);
    SET1 (pods, "up", up);
    SET1 (pods, "down", down);
    SET1 (pods, "unknown", np - up - down);
#undef SET0
#undef SET1
    nines_metrics_process (self->metrics);
    return nines_metrics_render (self->metrics, len);
}
