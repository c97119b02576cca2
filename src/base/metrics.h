/*  A small metrics registry and its Prometheus text exposition (format
    0.0.4, https://prometheus.io/docs/instrumenting/exposition_formats/).

    A registry holds metric families: counters, gauges and histograms,
    each with up to NINES_METRIC_LABELS_MAX label names and at most
    max_series label sets (series).  Cardinality is bounded per family:
    a label set past the cap is refused with NINES_EFULL and counted in
    the registry's own gauge nines_metrics_series_dropped{family} (since
    the family's last reset: per scrape for families rebuilt each scrape),
    so a scrape shows that something was left out instead of growing
    without bound.

    Values are doubles in base units (seconds, bytes), as the Prometheus
    naming guide asks.  Dependency-free (libc only); not thread-safe: one
    thread updates and renders (the daemons' event loops).

    Typical use: counters and histograms are updated as events happen;
    gauges are recomputed at scrape time (reset, then set) in the
    daemon's render callback just before nines_metrics_render. */
#ifndef NINES_METRICS_H
#define NINES_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NINES_METRIC_LABELS_MAX  4      /* label names per family */
#define NINES_METRIC_NAME_MAX    128    /* metric or label name, bytes */
#define NINES_METRIC_VALUE_MAX   256    /* label value, bytes */
#define NINES_METRIC_BUCKETS_MAX 32     /* histogram buckets (without +Inf) */

typedef enum {
    NINES_METRIC_COUNTER = 1,
    NINES_METRIC_GAUGE = 2,
    NINES_METRIC_HISTOGRAM = 3
} nines_metric_type_t;

typedef struct _nines_metrics_t nines_metrics_t;
typedef struct _nines_metric_t nines_metric_t;

/*  An empty registry; NULL on allocation failure. */
nines_metrics_t *nines_metrics_new (void);
void nines_metrics_destroy (nines_metrics_t **self_p);

/*  Add a family.  name: [a-zA-Z_:][a-zA-Z0-9_:]*, counters end in _total;
    help: one line; labels: comma-separated label names ("pod",
    "phase,code") or NULL/"" for none (at most NINES_METRIC_LABELS_MAX,
    [a-zA-Z_][a-zA-Z0-9_]*, none starting with "__", "le" refused for
    histograms); max_series: cap on label sets (1 for a family without
    labels); buckets: HISTOGRAM only, n_buckets strictly increasing finite
    upper bounds (+Inf is implied).  Returns the family (owned by the
    registry) or NULL on a bad name, label, bucket list, duplicate name or
    allocation failure: programmer errors, checked once at start-up. */
nines_metric_t *nines_metrics_add (nines_metrics_t *self, nines_metric_type_t type,
                                   const char *name, const char *help, const char *labels,
                                   uint32_t max_series, const double *buckets, size_t n_buckets);

/*  One family of a daemon's table for nines_metrics_add_table: slot, the
    byte offset in the daemon's struct of the nines_metric_t * that gets
    the family; max_series 0: the count the caller passes (e.g. the
    per-pod cap known only at start-up).  No histograms (they carry
    buckets: add them with nines_metrics_add). */
typedef struct {
    size_t slot;
    nines_metric_type_t type;
    const char *name, *labels;
    uint32_t max_series;
    const char *help;
} nines_metric_def_t;

/*  nines_metrics_add each of the n families of defs, in order (the order
    of the exposition), storing each into *(nines_metric_t **) ((char *)
    owner + slot); max_zero replaces a max_series of 0.  0, or
    NINES_EINVAL at the first family nines_metrics_add refuses. */
int nines_metrics_add_table (nines_metrics_t *self, const nines_metric_def_t *defs, size_t n,
                             void *owner, uint32_t max_zero);

/*  Counter: add by (>= 0) to the series of label values values (one
    string per label name, NULL for a family without labels).  Returns 0,
    NINES_EINVAL (negative by, wrong type, value too long) or NINES_EFULL
    (a new series past max_series: dropped and counted). */
int nines_metric_inc (nines_metric_t *self, const char *const *values, double by);

/*  Gauge (or counter mirrored from a source of truth, e.g. the engine's
    statistics): set the series to v.  Errors as nines_metric_inc. */
int nines_metric_set (nines_metric_t *self, const char *const *values, double v);

/*  Histogram: count one observation v (base units) in its bucket, the sum
    and the count.  Errors as nines_metric_inc. */
int nines_metric_observe (nines_metric_t *self, const char *const *values, double v);

/*  Histogram mirrored from counts kept elsewhere (e.g. atomics of other
    threads): set the series' per-bucket counts (n_buckets + 1 of them,
    not cumulative, the last one above the largest bound) and its sum.
    Errors as nines_metric_inc. */
int nines_metric_set_histogram (nines_metric_t *self, const char *const *values,
                                const uint64_t *counts, double sum);

/*  Drop every series of the family (for gauges recomputed per scrape)
    and zero its nines_metrics_series_dropped. */
void nines_metric_reset (nines_metric_t *self);

/*  Series currently held by the family. */
size_t nines_metric_series (const nines_metric_t *self);

/*  Set the standard process metrics from /proc/self (Linux):
    process_cpu_seconds_total, process_resident_memory_bytes,
    process_virtual_memory_bytes, process_open_fds, process_max_fds,
    process_start_time_seconds (the names of the Prometheus client
    libraries).  The families are added on the first call.  0 or
    NINES_EIO when /proc cannot be read. */
int nines_metrics_process (nines_metrics_t *self);

/*  Write the whole registry as Prometheus text exposition 0.0.4 (families
    in the order they were added, series in the order they appeared) into
    a malloc'd NUL-terminated buffer the caller frees; *len gets its length
    without the NUL.  NULL on allocation failure. */
char *nines_metrics_render (nines_metrics_t *self, size_t *len);

/*  The Content-Type of nines_metrics_render's output. */
#define NINES_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

#endif
