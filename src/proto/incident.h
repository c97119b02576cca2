/*  Incident rules of proto/LEDGER.md as pure functions over in-memory
    data, so the ledger, `nines-sim des` and `nines-sim run`'s ground truth
    apply the same constants and semantics:

      - merge ("down an hour, up a day"): an incident joins the previous
        merged incident of its pod when the gap since that one's end is
        shorter than clamp(merge_factor × its duration, merge_min,
        merge_max); a merged incident's duration is the sum of its pieces'
        down time (the up time between pieces is not charged);
      - correlated outage: a DOWN is part of one when some window of
        corr_window starting at a DOWN and containing it holds DOWNs of at
        least max(NINES_CORR_MIN_PODS, ceil(NINES_CORR_POD_PPM of the
        registered pods)) distinct pods across at least
        NINES_CORR_MIN_PROVIDERS providers. */
#ifndef NINES_PROTO_INCIDENT_H
#define NINES_PROTO_INCIDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/wire.h"

#define NINES_CORR_MIN_PODS      3                  /* at least this many pods ... */
#define NINES_CORR_POD_PPM       200000             /* ... and 20 % of all pods */
#define NINES_CORR_MIN_PROVIDERS 3                  /* across this many providers */

/*  The merge gap after a merged incident of duration_ms (ms of down time):
    clamp(params->merge_factor × duration_ms, merge_min_ms, merge_max_ms),
    computed without overflow.  A next incident starting less than this
    after the merged one's end joins it. */
uint64_t nines_merge_gap_ms (const nines_params_t *params, uint64_t duration_ms);

/*  Distinct pods a correlated outage needs among n_pods registered pods:
    max(NINES_CORR_MIN_PODS, ceil(n_pods × NINES_CORR_POD_PPM / 10^6)). */
size_t nines_corr_need (size_t n_pods);

/*  One DOWN that starts an outage (a re-confirmation of an outage already
    known does not count: the caller leaves those out). */
typedef struct {
    uint64_t t_ms;                  /* time of the DOWN (its report's t_ms), ms */
    const uint8_t *pod;             /* pod id, NINES_ID_BYTES (borrowed) */
    const uint8_t *provider;        /* its provider id, NINES_ID_BYTES (borrowed);
                                       NULL when unknown: counts as a pod, not a provider */
} nines_down_t;

/*  correlated [i] = whether downs [i] is part of a correlated outage
    (rule above) among the n downs, in any order, with n_pods registered
    pods and the window window_ms (params corr_window_ms).  0, or
    NINES_ENOMEM (correlated untouched). */
int nines_correlate (const nines_down_t *downs, size_t n, size_t n_pods, uint64_t window_ms,
                     bool *correlated) NINES_WARN_UNUSED;

#endif
