/*  nines-facade's GET /metrics: the loops' counters and their exposition. */
#include "facade/facade_private.h"

/*  ---- GET /metrics on its own listener (issue 12) ----

    The worker loops count into atomics; a scrape (served by worker 0's
    loop on facade/metrics, plain HTTP, a separate h2o host so the TLS port
    never answers it) builds a registry from them and renders it. */

#define HB_RESULTS (1 - NINES_ELAST)    /* 0 = ok, i = NINES_E* code -i */
static const double s_latency_bounds [] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25, 0.5, 1, 2.5, 5, 10 };
#define LATENCY_BUCKETS (sizeof s_latency_bounds / sizeof s_latency_bounds [0])

static atomic_ulong s_m_requests [3];       /* proxied, heartbeat, rejected */
static atomic_ulong s_m_upstream_errors;    /* proxy answered 502 Gateway Error */
static atomic_ulong s_m_hbcheck [HB_RESULTS]; /* heartbeat header checks by result */
static atomic_ulong s_m_latency [LATENCY_BUCKETS + 1]; /* proxied latency, per bucket */
static atomic_ulong s_m_latency_us;         /* sum, microseconds */

void
facade_metrics_hbcheck (int rc)
{
    int i = rc <= 0 && rc >= NINES_ELAST ? -rc : -NINES_EINVAL;
    atomic_fetch_add (&s_m_hbcheck [i], 1);
}



/*  Every request on the TLS port, once answered: its class, and for
    proxied ones the latency and whether the proxy itself failed. */
void
facade_metrics_log (h2o_logger_t *self, h2o_req_t *req)
{
    bool asked = h2o_find_header_by_str (&req->headers, H2O_STRLIT ("nines-heartbeat"), -1) >= 0;
    bool answered = h2o_find_header_by_str (&req->res.headers, H2O_STRLIT ("nines-heartbeat"), -1) >= 0;
    int cls = answered ? 1 : asked ? 2 : 0;
    atomic_fetch_add (&s_m_requests [cls], 1);
    if (answered)
        return;
    if (req->res.status == 502 && req->res.reason && !strcmp (req->res.reason, "Gateway Error"))
        atomic_fetch_add (&s_m_upstream_errors, 1);
    int64_t us = 0;
    if (h2o_time_compute_duration (req, &us) && us >= 0) {
        size_t b = 0;
        while (b < LATENCY_BUCKETS && (double) us / 1e6 > s_latency_bounds [b])
            b++;
        atomic_fetch_add (&s_m_latency [b], 1);
        atomic_fetch_add (&s_m_latency_us, (unsigned long) us);
    }
}

/*  notAfter of ctx's certificate, seconds since the epoch; 0 if unknown. */
static double
s_cert_not_after (SSL_CTX *ctx)
{
    X509 *x = ctx ? SSL_CTX_get0_certificate (ctx) : NULL;
    struct tm tm;
    if (!x || !ASN1_TIME_to_tm (X509_get0_notAfter (x), &tm))
        return 0;
    return (double) timegm (&tm);
}

static char *
s_metrics_text (size_t *len)
{
    nines_metrics_t *r = nines_metrics_new ();
    if (!r)
        return NULL;
    nines_metric_t *req = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_requests_total",
        "Requests on the TLS port by class: proxied to the app, heartbeat (proxied, the answer signed), rejected "
        "(a Nines-Heartbeat header that failed its check: proxied like user traffic).", "class", 3, NULL, 0);
    nines_metric_t *lat = nines_metrics_add (r, NINES_METRIC_HISTOGRAM, "nines_facade_proxy_duration_seconds",
        "Time from request start to response end of proxied requests, seconds.", NULL, 1,
        s_latency_bounds, LATENCY_BUCKETS);
    nines_metric_t *up = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_upstream_errors_total",
        "Proxied requests the app did not answer (502 Gateway Error from the proxy: refused, reset, timeout).",
        NULL, 1, NULL, 0);
    nines_metric_t *conn = nines_metrics_add (r, NINES_METRIC_GAUGE, "nines_facade_connections",
        "Open client connections on the TLS port.", NULL, 1, NULL, 0);
    nines_metric_t *rej = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_connections_rejected_total",
        "Connections closed at accept because facade/max_connections were open.", NULL, 1, NULL, 0);
    nines_metric_t *hb = nines_metrics_add (r, NINES_METRIC_COUNTER, "nines_facade_heartbeat_checks_total",
        "Nines-Heartbeat headers checked, by result (ok or the NINES_E* reason).", "result", HB_RESULTS, NULL, 0);
    nines_metric_t *slots = nines_metrics_add (r, NINES_METRIC_GAUGE, "nines_facade_replay_slots",
        "Nonces the replay cache can hold (facade/heartbeat_rate x 60 s x 2); valid heartbeats it had no "
        "room for are nines_facade_heartbeat_checks_total{result=\"EFULL\"}.", NULL, 1, NULL, 0);
    nines_metric_t *cert = nines_metrics_add (r, NINES_METRIC_GAUGE, "nines_facade_cert_expiry_seconds",
        "notAfter of the certificate the TLS port serves, seconds since the epoch.", NULL, 1, NULL, 0);
    static const char *const cls [3] = { "proxied", "heartbeat", "rejected" };
    for (int i = 0; i < 3; i++)
        nines_metric_set (req, (const char *[]) { cls [i] }, (double) atomic_load (&s_m_requests [i]));
    uint64_t counts [LATENCY_BUCKETS + 1];
    for (size_t b = 0; b <= LATENCY_BUCKETS; b++)
        counts [b] = atomic_load (&s_m_latency [b]);
    nines_metric_set_histogram (lat, NULL, counts, (double) atomic_load (&s_m_latency_us) / 1e6);
    nines_metric_set (up, NULL, (double) atomic_load (&s_m_upstream_errors));
    nines_metric_set (conn, NULL, (double) atomic_load (&facade_connections));
    nines_metric_set (rej, NULL, (double) atomic_load (&facade_m_conn_rejected));
    nines_metric_set (slots, NULL, (double) atomic_load (&facade_replay_slots));
    for (int i = 0; i < HB_RESULTS; i++) {
        unsigned long n = atomic_load (&s_m_hbcheck [i]);
        if (n || i == 0)
            nines_metric_set (hb, (const char *[]) { i ? nines_errname (-i) : "ok" }, (double) n);
    }
    double na = s_cert_not_after (facade_worker ? facade_worker->accept_ctx.ssl_ctx : NULL);
    if (na > 0)
        nines_metric_set (cert, NULL, na);
    nines_metrics_process (r);
    char *text = nines_metrics_render (r, len);
    nines_metrics_destroy (&r);
    return text;
}

int
facade_on_metrics (h2o_handler_t *self, h2o_req_t *req)
{
    if (!h2o_memis (req->path_normalized.base, req->path_normalized.len, H2O_STRLIT ("/metrics"))) {
        h2o_send_error_generic (req, 404, "Not Found", "not found: metrics are at /metrics\n", 0);
        return 0;
    }
    size_t len = 0;
    char *text = s_metrics_text (&len);
    if (!text) {
        h2o_send_error_500 (req, "Internal Server Error", "cannot render metrics\n", 0);
        return 0;
    }
    req->res.status = 200;
    req->res.reason = "OK";
    h2o_add_header (&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                    H2O_STRLIT (NINES_METRICS_CONTENT_TYPE));
    h2o_send_inline (req, text, len);
    free (text);
    return 0;
}

void
facade_on_metrics_accept (h2o_socket_t *listener, const char *err)
{
    if (err)
        return;
    h2o_socket_t *sock = h2o_evloop_socket_accept (listener);
    if (sock)
        h2o_accept (&facade_worker->metrics_accept_ctx, sock);
}
