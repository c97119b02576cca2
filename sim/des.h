/*  nines-sim des: discrete-event simulation of a whole nines network in one
    process (DESIGN.md section 11).  Every validator is a real protocol
    engine (src/core/engine.c, the code ninesd runs) driven on a virtual
    clock; the driver only simulates what lies outside the engine:

      - links between validators: one-way delay = latency + U[0, jitter] ms,
        independent loss with probability loss, and partitions (a fraction
        of the validators cut off from the rest for a while);
      - bursty loss (Gilbert-Elliott): each validator's access link
        alternates between a good and a bad state with exponentially
        distributed sojourns (means burst_good, burst_bad); in the bad state
        its messages, both ways, and its heartbeats are lost with
        burst_loss on top of the independent loss (E. N. Gilbert, "Capacity
        of a burst-noise channel", 1960; E. O. Elliott, 1963);
      - one-direction loss: the first lossy_validators validators lose
        lossy_loss of what they send (out), receive (in) or both; a
        heartbeat, a round trip, fails either way;
      - pods: a ground-truth up/down timeline built from the scenario's
        faults; a heartbeat is answered from it after a round trip, fails
        with probe_loss, and a down pod answers app_unhealthy (app down or
        unhealthy, flap), refused (facade stopped) or times out (correlated
        network outage);
      - the ledger: acknowledges every evidence at once, de-duplicates by
        evidence id and checks every misbehaviour proof (both signed votes).

    Votes and reports carry real Ed25519 signatures made and checked by the
    engine.  Heartbeat crypto is modelled: a probe outcome is handed to the
    engine as already verified (its facade signature is not computed),
    because at 10,000 validators heartbeats outnumber votes by about 10^4
    and would dominate the run time while testing nothing the unit tests of
    the facade and prober do not.

    The engines run with the report scope of the config (committee by
    default: a report goes to its pod's committees, PROTOCOL.md 8.2, which
    keeps the load per validator flat as N grows) and the same engine
    configuration as ninesd apart from memory bounds: heartbeats come a SWIM
    period ahead with their send instants (action.at), so none costs a
    wakeup of its own.

    Same config and seed => byte-identical result JSON: all randomness comes
    from the seed, events at the same millisecond keep their push order, and
    wall-clock figures are printed, never written to the result. */
#ifndef NINES_DES_H
#define NINES_DES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "wire/wire.h"
#include "scenario.h"

/*  One fault of the timeline (kinds and keys of sim/scenario.h). */
typedef struct {
    int kind;                       /* nines_fault_kind_t */
    uint64_t at_ms;                 /* start, ms after the simulation start */
    uint32_t index;                 /* first pod or validator index */
    uint32_t count;                 /* targets: index..index+count-1 (mod size), >= 1 */
    uint64_t spread_ms;             /* each target starts at a uniform offset in [0, spread) */
    uint64_t duration_ms;           /* how long each is down / cut (0 = until the end) */
    uint64_t down_ms, up_ms;        /* flap: down and up phase lengths */
    uint32_t flaps;                 /* flap: number of down phases */
    bool partition;                 /* validator_isolate: targets keep pods and each other */
} nines_des_fault_t;

#define NINES_DES_FAULTS_MAX 1024

/*  Direction of the lossy validators' loss. */
enum { NINES_DES_LOSS_BOTH = 0, NINES_DES_LOSS_OUT = 1, NINES_DES_LOSS_IN = 2 };

/*  False incidents described one by one in the result (the first ones). */
#define NINES_DES_FALSE_MAX 64

/*  One false incident: a DOWN report for a pod the ground truth holds up. */
typedef struct {
    uint32_t pod;                   /* pod index */
    uint8_t pod_id [NINES_ID_BYTES];/* pod id */
    uint64_t start_ms, end_ms;      /* DOWN and UP report, ms after the start (end: run end if open) */
    bool open;                      /* no UP report before the end */
    uint64_t slash;                 /* what the ledger's rule would take: nines_slash_for
                                       (duration) when it lasts at least grace, else 0 */
} nines_des_false_t;

/*  Everything one run needs.  Counts of adversaries and faults are the
    final ones (nines_des_config_scale scales a scenario up first). */
typedef struct {
    char name [64];                 /* scenario name */
    uint64_t seed;                  /* master seed */
    uint64_t duration_ms;           /* simulated time */
    uint32_t validators;            /* N */
    uint32_t pods;                  /* M */
    uint32_t providers;             /* pod i belongs to provider i % providers */
    uint64_t stake;                 /* validator stake, base units */
    uint64_t pod_stake;             /* provider stake per pod, base units */
    nines_params_t params;          /* protocol parameters (genesis_ms = start) */
    uint64_t latency_ms;            /* base one-way link delay */
    uint64_t jitter_ms;             /* extra delay, uniform in [0, jitter] */
    uint32_t loss_ppm;              /* peer message loss */
    uint32_t probe_loss_ppm;        /* heartbeat loss (counts as timeout) */
    uint32_t burst_loss_ppm;        /* Gilbert-Elliott: loss in the bad state */
    uint64_t burst_good_ms;         /* ... mean good sojourn (0 = no bursts) */
    uint64_t burst_bad_ms;          /* ... mean bad sojourn */
    uint32_t lossy_validators;      /* the first ones by index have lossy_loss: */
    uint32_t lossy_loss_ppm;        /* ... loss of their messages in lossy_direction */
    uint32_t lossy_direction;       /* NINES_DES_LOSS_BOTH, _OUT or _IN */
    uint64_t app_ms;                /* pod answer time added to a heartbeat round trip */
    uint32_t always_down;           /* adversaries (the last validators by index, in this order): */
    uint32_t always_up;             /* adversaries: vote up whatever they see */
    uint32_t silent;                /* adversaries: never vote nor answer pings */
    uint32_t equivocate;            /* adversaries: sign both verdicts */
    uint32_t gossip_fanout;         /* report push fanout; 0 = ceil(ln N) + 3 (scope all) */
    uint32_t report_scope;          /* nines_report_scope_t; default NINES_SCOPE_COMMITTEE
                                       (scenario key network/report_scope, --report-scope) */
    size_t n_faults;                /* faults used */
    nines_des_fault_t faults [NINES_DES_FAULTS_MAX];
} nines_des_config_t;

/*  Reports formed this close to the end of a run are left out of the
    dissemination figures: they had no time to spread. */
#define NINES_DES_REACH_MS 5000

/*  Defaults: 100 validators, 1000 pods, 10 providers, one simulated
    minute, 20 ms + U[0, 5 ms] links, no loss, no adversary, no fault,
    protocol defaults. */
void nines_des_config_default (nines_des_config_t *cfg);

/*  Fill cfg from a loaded scenario, with its des-only keys (network/
    probe_loss, fault/targets, fault/spread, fault/partition).  0, or
    NINES_ECONFIG with a one-line message in err. */
int nines_des_config_from_scenario (nines_des_config_t *cfg, const nines_scenario_t *sc,
                                    char *err, size_t err_size);

/*  Rescale a config written for cfg->validators / cfg->pods to the given
    sizes (0 = keep): adversary counts and multi-pod / multi-validator fault
    counts keep their share of the network; single-target faults stay single
    and their index is taken modulo the new size. */
void nines_des_config_scale (nines_des_config_t *cfg, uint32_t validators, uint32_t pods);

typedef struct {
    /* echo */
    char name [64];                 /* scenario name */
    uint64_t seed;                  /* seed used */
    uint32_t validators, pods;      /* network size */
    uint64_t duration_ms;           /* simulated time */
    uint32_t gossip_fanout;         /* fanout used (scope all) */
    uint32_t report_scope;          /* nines_report_scope_t used */
    /* ground truth and detection */
    uint32_t outages;               /* ground-truth pod outages */
    uint32_t outages_detectable;    /* of which long enough to count as missed (>= 3 epochs) */
    uint32_t detected;              /* outages matched by a DOWN report */
    uint32_t missed;                /* detectable outages without a DOWN report */
    uint32_t incidents;             /* DOWN periods the network reported */
    uint32_t continued;             /* late DOWN reports observed before the UP that closed
                                       their pod's incident: continuations, no new incident */
    uint32_t false_incidents;       /* ... with no ground-truth outage behind them */
    uint32_t correlated;            /* incidents the correlated-outage rule flags */
    uint64_t latency_p50_ms, latency_p90_ms, latency_p99_ms, latency_max_ms; /* outage start -> first DOWN report */
    uint64_t recovery_p50_ms, recovery_p99_ms; /* outage end -> first UP report */
    /* dissemination */
    uint32_t reports;               /* distinct quorum reports formed */
    uint32_t reports_spread;        /* ... formed early enough to be judged (NINES_DES_REACH_MS
                                       before the end) */
    uint32_t reports_everywhere;    /* ... of those, that reached every reachable validator
                                       of their scope (all, or the pod's committee) */
    uint64_t reach_p50_ms, reach_p99_ms, reach_max_ms; /* formation -> last validator of the scope */
    double coverage;                /* mean share of its scope each judged report reached */
    /* load, per validator per second of simulated time (messages sent) */
    double msgs_mean, msgs_p99, msgs_max;
    double bytes_mean, bytes_p99, bytes_max;
    double probes_mean;             /* heartbeats per validator per second */
    /* protocol counters, summed over validators */
    uint64_t rounds_opened, rounds_down, rounds_up, rounds_failed, votes;
    uint64_t votes_down, votes_abstain; /* votes by verdict (the rest are up) */
    uint64_t confirms_resent;       /* CONFIRM_REQs re-sent to members without a vote */
    uint64_t lossy_votes_down;      /* votes of the lossy validators: down, */
    uint64_t lossy_votes_abstain;   /* ... abstain, */
    uint64_t lossy_votes;           /* ... all */
    uint64_t false_slash;           /* sum of the false incidents' slash */
    uint32_t n_false_detail;        /* false_detail [] used */
    nines_des_false_t false_detail [NINES_DES_FALSE_MAX];
    uint64_t msgs_bad;              /* frames engines rejected */
    uint64_t evidence;              /* distinct evidence the ledger received */
    uint64_t submissions;           /* evidence submissions (with duplicates) */
    uint32_t equivocators;          /* equivocating validators configured */
    uint32_t equivocators_proven;   /* ... caught with a valid two-vote proof */
    uint64_t misbehaviour_reports;  /* MISBEHAVIOUR actions with a valid proof */
    uint32_t false_accusations;     /* proofs against validators that were honest */
    uint64_t events;                /* simulator events processed */
} nines_des_result_t;

/*  Run one simulation.  0, NINES_EINVAL for an impossible config (no
    validator, committee larger than NINES_REPORT_MAX_VOTES) or
    NINES_ENOMEM.  Progress lines go to log when not NULL. */
int nines_des_run (const nines_des_config_t *cfg, nines_des_result_t *result, FILE *log);

/*  Write the result as JSON (fixed key order and number formats, no
    wall-clock values, so equal results give equal bytes). */
void nines_des_result_json (const nines_des_result_t *result, FILE *out);

/*  `nines-sim des SCENARIO [--seed N] [--validators N] [--pods M]
    [--duration T] [--sweep N1,N2,...] [--out DIR]`: argv[0] is "des" or
    the scenario.  Returns the process exit code: 0, 1 when an expectation
    of the scenario failed, 2 for bad arguments or a bad scenario. */
int nines_sim_des_main (int argc, char **argv);

#endif
