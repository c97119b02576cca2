/*  Metrics registry and Prometheus text exposition (src/base/metrics.c):
    the exact text, escapes, histogram buckets, the series cap, and, when
    Debian's prometheus package is installed, `promtool check metrics`
    on the output (the format's reference linter). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/error.h"
#include "base/metrics.h"
#include "testutil.h"

static void
test_text (void)
{
    nines_metrics_t *reg = nines_metrics_new ();
    CHECK (reg);
    nines_metric_t *c = nines_metrics_add (reg, NINES_METRIC_COUNTER, "nines_reports_total",
                                           "Quorum reports accepted.", "kind", 4, NULL, 0);
    nines_metric_t *g = nines_metrics_add (reg, NINES_METRIC_GAUGE, "nines_ledger_up",
                                           "1 when the ledger answered.", NULL, 1, NULL, 0);
    CHECK (c && g);
    CHECK_RC (nines_metric_inc (c, (const char *[]) { "down" }, 1), 0);
    CHECK_RC (nines_metric_inc (c, (const char *[]) { "down" }, 2), 0);
    CHECK_RC (nines_metric_inc (c, (const char *[]) { "up" }, 1), 0);
    CHECK_RC (nines_metric_inc (c, (const char *[]) { "up" }, -1), NINES_EINVAL);
    CHECK_RC (nines_metric_set (g, NULL, 0.25), 0);
    CHECK_RC (nines_metric_observe (g, NULL, 1), NINES_EINVAL);
    size_t len = 0;
    char *text = nines_metrics_render (reg, &len);
    CHECK_STR (text,
        "# HELP nines_reports_total Quorum reports accepted.\n"
        "# TYPE nines_reports_total counter\n"
        "nines_reports_total{kind=\"down\"} 3\n"
        "nines_reports_total{kind=\"up\"} 1\n"
        "# HELP nines_ledger_up 1 when the ledger answered.\n"
        "# TYPE nines_ledger_up gauge\n"
        "nines_ledger_up 0.25\n");
    CHECK_EQ (len, text ? strlen (text) : 0);
    free (text);
    nines_metrics_destroy (&reg);
    CHECK (reg == NULL);
}

static void
test_names (void)
{
    nines_metrics_t *reg = nines_metrics_new ();
    double b [] = { 1, 2 }, bad [] = { 2, 1 };
    CHECK (!nines_metrics_add (reg, NINES_METRIC_GAUGE, "9lives", "", NULL, 1, NULL, 0));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_GAUGE, "a-b", "", NULL, 1, NULL, 0));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_GAUGE, "ok", "", "__x", 1, NULL, 0));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_GAUGE, "ok", "", "a,a", 1, NULL, 0));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_GAUGE, "ok", "", "a,b,c,d,e", 1, NULL, 0));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_HISTOGRAM, "h", "", "le", 1, b, 2));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_HISTOGRAM, "h", "", NULL, 1, bad, 2));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_HISTOGRAM, "h", "", NULL, 1, NULL, 0));
    CHECK (nines_metrics_add (reg, NINES_METRIC_GAUGE, "ok", "", "a,b", 1, NULL, 0));
    CHECK (!nines_metrics_add (reg, NINES_METRIC_GAUGE, "ok", "", NULL, 1, NULL, 0));   /* duplicate */
    nines_metrics_destroy (&reg);
}

static void
test_escapes_and_histogram (void)
{
    nines_metrics_t *reg = nines_metrics_new ();
    double bounds [] = { 0.005, 0.1, 1 };
    nines_metric_t *h = nines_metrics_add (reg, NINES_METRIC_HISTOGRAM, "nines_probe_duration_seconds",
                                           "Heartbeat phase\\duration\nin seconds.", "phase", 8, bounds, 3);
    nines_metric_t *g = nines_metrics_add (reg, NINES_METRIC_GAUGE, "g", "x", "v", 2, NULL, 0);
    CHECK (h && g);
    const char *const tls [] = { "tls" };
    CHECK_RC (nines_metric_observe (h, tls, 0.005), 0);     /* on the bound: le is inclusive */
    CHECK_RC (nines_metric_observe (h, tls, 0.05), 0);
    CHECK_RC (nines_metric_observe (h, tls, 3), 0);
    CHECK_RC (nines_metric_observe (h, tls, NAN), NINES_EINVAL);
    CHECK_RC (nines_metric_set (g, (const char *[]) { "a\"b\\c\nd" }, INFINITY), 0);
    char *text = nines_metrics_render (reg, NULL);
    /*  the same histogram mirrored from counts kept elsewhere */
    nines_metrics_t *mirror = nines_metrics_new ();
    nines_metric_t *h2 = nines_metrics_add (mirror, NINES_METRIC_HISTOGRAM, "nines_probe_duration_seconds",
                                            "Heartbeat phase\\duration\nin seconds.", "phase", 8, bounds, 3);
    CHECK_RC (nines_metric_set_histogram (h2, tls, (const uint64_t []) { 1, 1, 0, 1 }, 3.055), 0);
    CHECK_RC (nines_metric_set_histogram (h2, tls, NULL, 1), NINES_EINVAL);
    char *text2 = nines_metrics_render (mirror, NULL);
    CHECK (text && text2 && !strncmp (text, text2, strlen (text2)));
    free (text2);
    nines_metrics_destroy (&mirror);
    CHECK_STR (text,
        "# HELP nines_probe_duration_seconds Heartbeat phase\\\\duration in seconds.\n"
        "# TYPE nines_probe_duration_seconds histogram\n"
        "nines_probe_duration_seconds_bucket{phase=\"tls\",le=\"0.005\"} 1\n"
        "nines_probe_duration_seconds_bucket{phase=\"tls\",le=\"0.1\"} 2\n"
        "nines_probe_duration_seconds_bucket{phase=\"tls\",le=\"1\"} 2\n"
        "nines_probe_duration_seconds_bucket{phase=\"tls\",le=\"+Inf\"} 3\n"
        "nines_probe_duration_seconds_sum{phase=\"tls\"} 3.055\n"
        "nines_probe_duration_seconds_count{phase=\"tls\"} 3\n"
        "# HELP g x\n"
        "# TYPE g gauge\n"
        "g{v=\"a\\\"b\\\\c\\nd\"} +Inf\n");
    free (text);
    nines_metrics_destroy (&reg);
}

/*  The cap: a 10,000-pod family capped at 1,000 keeps 1,000 series, keeps
    updating those, and counts every refused label set. */
static void
test_cap (void)
{
    nines_metrics_t *reg = nines_metrics_new ();
    nines_metric_t *g = nines_metrics_add (reg, NINES_METRIC_GAUGE, "nines_probe_success",
                                           "x", "pod", 1000, NULL, 0);
    int full = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 10000; i++) {
            char pod [16];
            snprintf (pod, sizeof pod, "p%05d", i);
            int rc = nines_metric_set (g, (const char *[]) { pod }, round);
            full += rc == NINES_EFULL;
            CHECK (rc == 0 || (rc == NINES_EFULL && i >= 1000));
        }
    CHECK_EQ (nines_metric_series (g), 1000);
    CHECK_EQ (full, 2 * 9000);
    char *text = nines_metrics_render (reg, NULL);
    CHECK (text && strstr (text, "nines_probe_success{pod=\"p00999\"} 1\n"));
    CHECK (text && !strstr (text, "p01000"));
    CHECK (text && strstr (text, "nines_metrics_series_dropped{family=\"nines_probe_success\"} 18000\n"));
    free (text);
    nines_metric_reset (g);     /* a per-scrape family: the count restarts with it */
    CHECK_EQ (nines_metric_series (g), 0);
    CHECK_RC (nines_metric_set (g, (const char *[]) { "p09999" }, 1), 0);
    text = nines_metrics_render (reg, NULL);
    CHECK (text && strstr (text, "nines_probe_success{pod=\"p09999\"} 1\n") && !strstr (text, "p00000"));
    CHECK (text && strstr (text, "nines_metrics_series_dropped{family=\"nines_probe_success\"} 0\n"));
    free (text);
    nines_metrics_destroy (&reg);
}

static void
test_process_and_promtool (void)
{
    nines_metrics_t *reg = nines_metrics_new ();
    CHECK_RC (nines_metrics_process (reg), 0);
    CHECK_RC (nines_metrics_process (reg), 0);  /* families added once */
    double bounds [] = { 0.01, 0.1, 1 };
    nines_metric_t *h = nines_metrics_add (reg, NINES_METRIC_HISTOGRAM, "nines_probe_duration_seconds",
                                           "Heartbeat duration by phase in seconds.", "phase", 8, bounds, 3);
    nines_metric_t *c = nines_metrics_add (reg, NINES_METRIC_COUNTER, "nines_heartbeats_total",
                                           "Heartbeats by outcome.", "outcome", 8, NULL, 0);
    nines_metric_observe (h, (const char *[]) { "connect" }, 0.02);
    nines_metric_inc (c, (const char *[]) { "ok" }, 7);
    char *text = nines_metrics_render (reg, NULL);
    CHECK (text && strstr (text, "\nprocess_start_time_seconds "));
    CHECK (text && strstr (text, "\nprocess_resident_memory_bytes "));
    CHECK (text && !strstr (text, "process_resident_memory_bytes 0\n"));
    CHECK (text && !strstr (text, "process_open_fds 0\n"));
    if (system ("command -v promtool >/dev/null 2>&1") != 0) {
        fprintf (stderr, "  promtool not installed (deploy/packages.txt: prometheus): lint skipped\n");
    }
    else if (text) {
        char path [] = "/tmp/nines-metrics-XXXXXX";
        int fd = mkstemp (path);
        CHECK (fd >= 0);
        CHECK (write (fd, text, strlen (text)) == (ssize_t) strlen (text));
        close (fd);
        char cmd [256];
        snprintf (cmd, sizeof cmd, "promtool check metrics < %s", path);
        CHECK_EQ (system (cmd), 0);
        /*  and the linter does catch a bad exposition */
        FILE *f = fopen (path, "w");
        fputs ("# TYPE nines_x counter\nnines_x 1\n", f);
        fclose (f);
        CHECK (system (cmd) != 0);
        unlink (path);
    }
    free (text);
    nines_metrics_destroy (&reg);
}

/*  nines_metrics_add_table: each family into its slot, in table order,
    max_series 0 replaced by the caller's count; a bad name: NINES_EINVAL. */
typedef struct { nines_metric_t *a, *b; } s_owner_t;

static void
test_table (void)
{
    static const nines_metric_def_t defs [] = {
        { offsetof (s_owner_t, a), NINES_METRIC_COUNTER, "t_a_total", NULL, 1, "A." },
        { offsetof (s_owner_t, b), NINES_METRIC_GAUGE, "t_b", "pod", 0, "B." },
    };
    nines_metrics_t *reg = nines_metrics_new ();
    s_owner_t o = { NULL, NULL };
    CHECK_EQ (nines_metrics_add_table (reg, defs, 2, &o, 1), 0);
    CHECK (o.a && o.b && o.a != o.b);
    CHECK_EQ (nines_metric_set (o.b, (const char *[]) { "x" }, 1), 0);
    CHECK_EQ (nines_metric_set (o.b, (const char *[]) { "y" }, 1), NINES_EFULL);   /* max 1 */
    CHECK_EQ (nines_metric_inc (o.a, NULL, 2), 0);
    char *text = nines_metrics_render (reg, NULL);
    CHECK (text && strstr (text, "t_a_total 2") && strstr (text, "t_b{pod=\"x\"} 1"));
    CHECK (text && strstr (text, "# HELP t_a_total") < strstr (text, "# HELP t_b"));
    free (text);
    static const nines_metric_def_t bad [] = { { 0, NINES_METRIC_GAUGE, "1bad", NULL, 1, "x" } };
    s_owner_t o2 = { NULL, NULL };
    CHECK_EQ (nines_metrics_add_table (reg, bad, 1, &o2, 1), NINES_EINVAL);
    nines_metrics_destroy (&reg);
}

int
main (void)
{
    RUN (test_table);
    RUN (test_text);
    RUN (test_names);
    RUN (test_escapes_and_histogram);
    RUN (test_cap);
    RUN (test_process_and_promtool);
    return t_done ("test_metrics");
}
