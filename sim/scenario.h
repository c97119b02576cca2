/*  nines-sim scenarios: one ZPL file describes a network, its protocol
    parameters, adversarial validators, a timeline of faults and what the
    network is expected to detect.  Both modes read it: `nines-sim run`
    (real processes on loopback) and `nines-sim des` (discrete events).

        scenario
            name = quickstart           default: the file name without .zpl
            seed = 1                    u64; des randomness, pod ids in run
            duration = 100s             length of the timeline (faults + settling)
            validators = 5              N
            pods = 3                    M
            providers = 3               pod i belongs to provider i % providers
            stake = 1000000             each validator's stake, base units
            pod_stake = 1000000         each pod's provider stake, base units
        params                          any registry params key (src/proto/registry.h):
            epoch = 2s                  epoch, r, committee, theta, grace, d_mid,
            grace = 10s                 s, max_slash, merge_min ... with units
        network                         des only (run uses loopback as it is), but ledger
                                        and the chain's keys below (run only)
            latency = 20ms              one-way delay
            jitter = 5ms                uniform extra delay in [0, jitter]
            loss = 0.01                 message loss fraction
            probe_loss = 0.01           heartbeat loss fraction (des; default: loss)
            burst_loss = 0.6            des: Gilbert-Elliott bad-state loss of a validator's
            burst_good = 20s            link, mean good and bad sojourns (both or neither;
            burst_bad = 3s              exponential), on top of loss / probe_loss
            lossy_validators = 1        des: the first validators by index also lose
            lossy_loss = 0.5            this fraction of their messages in
            lossy_direction = in        out | in | both (heartbeats fail either way)
            ledger = zmq                run: zmq (nines-ledger, the default) or evm: anvil
                                        on 127.0.0.1, the contract deployed with params,
                                        ninesd on ledger/kind = evm (sim/run_chain.c)
            challenge_window = 10s      evm: the contract's challenge window
            bond = 1000                 evm: a claim's bond, base units
            fraud_slash = 10%           evm: of a proven forger's stake, to its challenger
            block_time = 1s             evm: anvil mines a block this often (whole seconds)
        adversaries                     counts of validators with a behaviour;
            always_down = 2             they are the LAST validators by index
            always_up = 0
            silent = 0
            equivocate = 0
            forge_claim = 0             evm: validators (the FIRST by index) that also run
                                        evm/adversary = forge-claim (a fabricated claim)
        fault                           repeatable, any order
            at = 20s                    offset from the timeline start
            kind = app_down             app_down | app_unhealthy | facade_stop |
                                        validator_kill | validator_isolate |
                                        correlated | flap | pin_rotation | ledger_kill |
                                        paid_until | maintenance (table in scenario.c)
            pod = 0                     pod index (pod faults; first pod for correlated)
            validator = 0               validator index (validator faults)
            duration = 40s              how long it lasts (validator_kill, ledger_kill:
                                        0 = never restarted; maintenance: the window)
            until = 50s                 paid_until: protection ends at this offset from
                                        the timeline start (0 = unlimited)
            start = 30s                 maintenance: the window starts at this offset
                                        (announced at `at`: params/notice must allow it)
            count = 3                   correlated: pods pod..pod+count-1 (default: all from pod)
            down = 6s                   flap: length of each outage
            up = 8s                     flap: gap between outages
            flaps = 4                   flap: number of outages
            announce = 1                pin_rotation: 1 = register the next pin and
                                        facade key at `at`, switch the facade to them
                                        at at+duration/2, drop the old ones at
                                        at+duration (PROTOCOL.md 10.2); 0 = the
                                        naive order: switch at at+duration/2 and
                                        register only the new ones at at+duration
            targets = 1                 des: the fault hits pods / validators
                                        index..index+targets-1 (mod size), scaled
                                        with the network by --pods / --validators
            spread = 0s                 des: each target starts at a uniform
                                        random offset in [at, at+spread)
            partition = 0               des, validator_isolate: 1 = the targets
                                        still reach pods and each other (a split)
        expect                          every key optional; only given ones are checked
            incidents = 1               detected incidents that match a true outage
            false_incidents = 0         most detected incidents matching none
            slashed = 1                 incidents with a non-zero slash
            correlated = 0              incidents flagged correlated
            max_latency = 30s           largest detection latency (detected start - true start)
            p99_latency = 30s           des: 99th percentile detection latency, at most
            missed = 0                  des: detectable outages without a report, at most
            coverage = 0.99             des: mean share of its scope a report reached, at least
            incidents_total = 20        des: all incidents, true and false, exactly (a late
                                        DOWN observed before the UP that closed its pod's
                                        incident continues it, as in the ledger)
            lossy_votes_down = 0        des: down votes by the lossy validators, at most
            lossy_abstains = 1          des: abstaining votes by the lossy validators, at least
            slash_within = 1%           each true outage's slash lies within this fraction
                                        of stake x max_slash x S(d) for its true downtime d
                                        (clipped at paid_until, minus maintenance, 0 under
                                        grace; the ledger's own S and params): bounds
                                        what detection latency costs the provider
            slash_evidenced = 0         run: each closed incident's slash lies within
                                        this fraction (0: exactly) of stake x max_slash
                                        x S(d) for the downtime d its DOWN and UP
                                        instants prove (same clipping): the money rule
            voided = 1                  evm: claims the contract voided (a proven forgery)
            challenge_paid = 101000     evm: base units owed to challengers in all, exactly
            slash_ledger = 0            evm: each pod's slash on the chain lies within this
                                        fraction (0: exactly) of nines-ledger's for the
                                        same reports (the claims' calldata)
            max_settle = 40s            evm: time from the UP report to the accounted
                                        slash on the chain, at most

    Pod faults put the pod "down" in the ground truth from at to at+duration;
    correlated takes `count` pods down together (the demo apps are killed);
    flap alternates down/up `flaps` times.  pin_rotation rotates the pod's
    TLS key and facade key and is no outage in the ground truth: done in
    the announced order it must not be reported (run only; des has no TLS
    and ignores it).  Validator faults do not make a pod down: they are
    ground truth for the validators.  ledger_kill SIGKILLs nines-ledger and
    restarts it on its data after duration; paid_until and maintenance are
    the pod's provider's signed requests to the ledger at `at` (run only;
    des refuses them). */
#ifndef NINES_SIM_SCENARIO_H
#define NINES_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "wire/wire.h"

#define NINES_SCENARIO_NAME_MAX  64      /* scenario name incl. NUL */
#define NINES_SCENARIO_MAX_NODES 100000  /* validators and pods limit */
#define NINES_SCENARIO_MAX_FAULTS 1024   /* fault sections limit */

/*  Kinds of timed fault. */
typedef enum {
    NINES_FAULT_APP_DOWN = 0,          /* demo app killed, restarted after duration */
    NINES_FAULT_APP_UNHEALTHY,         /* demo app answers 503 for duration */
    NINES_FAULT_FACADE_STOP,           /* facade SIGSTOPped, SIGCONTed after duration */
    NINES_FAULT_VALIDATOR_KILL,        /* ninesd killed, restarted after duration (0: never) */
    NINES_FAULT_VALIDATOR_ISOLATE,     /* ninesd cut off from pods and peers for duration */
    NINES_FAULT_CORRELATED,            /* count pods' apps down at once for duration */
    NINES_FAULT_FLAP,                  /* pod's app down/up flaps times */
    NINES_FAULT_PIN_ROTATION,          /* pod's TLS and facade keys rotated over duration (no outage) */
    NINES_FAULT_LEDGER_KILL,           /* nines-ledger SIGKILLed, restarted after duration (0: never) */
    NINES_FAULT_PAID_UNTIL,            /* provider sets the pod's paid_until (until) */
    NINES_FAULT_MAINTENANCE,           /* provider announces a maintenance window (start, duration) */
    NINES_FAULT_KIND_COUNT
} nines_fault_kind_t;

/*  What a fault section names as its target. */
typedef enum {
    NINES_FAULT_ON_POD = 0,            /* key pod */
    NINES_FAULT_ON_VALIDATOR,          /* key validator */
    NINES_FAULT_ON_LEDGER              /* no target key */
} nines_fault_target_t;

/*  One fault section. */
typedef struct {
    nines_fault_kind_t kind;           /* what happens */
    uint64_t at_ms;                    /* start, ms from the timeline start */
    uint32_t pod;                      /* pod index (first pod for correlated) */
    uint32_t validator;                /* validator index */
    uint64_t duration_ms;              /* length; flap: computed from down/up/flaps */
    uint32_t count;                    /* correlated: pods affected */
    uint64_t down_ms;                  /* flap: each outage */
    uint64_t up_ms;                    /* flap: each gap */
    uint32_t flaps;                    /* flap: outages */
    bool announce;                     /* pin_rotation: next pin registered before the switch */
    uint64_t until_ms;                 /* paid_until: offset from the timeline start, 0 unlimited */
    uint64_t start_ms;                 /* maintenance: window start, offset from the timeline start */
} nines_fault_t;

/*  Expectations; has_* says which were given. */
typedef struct {
    bool has_incidents;                /* incidents given */
    uint32_t incidents;                /* detected incidents matching a true outage */
    bool has_false_incidents;          /* false_incidents given */
    uint32_t false_incidents;          /* most detected incidents matching no outage */
    bool has_slashed;                  /* slashed given */
    uint32_t slashed;                  /* incidents with slash > 0 */
    bool has_correlated;               /* correlated given */
    uint32_t correlated;               /* incidents flagged correlated */
    bool has_max_latency;              /* max_latency given */
    uint64_t max_latency_ms;           /* largest detection latency allowed, ms */
    bool has_slash_within;             /* slash_within given */
    uint32_t slash_within_ppm;         /* slash vs the true outage's, relative tolerance */
    bool has_slash_evidenced;          /* slash_evidenced given */
    uint32_t slash_evidenced_ppm;      /* each closed incident's slash vs S(its evidenced
                                          downtime), relative tolerance (0: exact) */
    bool has_voided;                   /* voided given (evm) */
    uint32_t voided;                   /* claims voided on the chain */
    bool has_challenge_paid;           /* challenge_paid given (evm) */
    uint64_t challenge_paid;           /* base units owed to challengers, in all */
    bool has_slash_ledger;             /* slash_ledger given (evm) */
    uint32_t slash_ledger_ppm;         /* chain slash vs nines-ledger's, relative tolerance */
    bool has_max_settle;               /* max_settle given (evm) */
    uint64_t max_settle_ms;            /* UP report -> accounted slash, at most */
} nines_expect_t;

/*  A loaded, validated scenario. */
typedef struct {
    char path [1024];                  /* file it came from (used in messages) */
    char name [NINES_SCENARIO_NAME_MAX]; /* scenario/name */
    uint64_t seed;                     /* scenario/seed */
    uint64_t duration_ms;              /* scenario/duration */
    uint32_t validators;               /* N */
    uint32_t pods;                     /* M */
    uint32_t providers;                /* distinct providers (1..M) */
    uint64_t stake;                    /* per validator, base units */
    uint64_t pod_stake;                /* per pod, base units */
    nines_params_t params;             /* defaults overridden by the params section */
    uint64_t latency_ms;               /* network/latency */
    uint64_t jitter_ms;                /* network/jitter */
    uint32_t loss_ppm;                 /* network/loss */
    bool chain;                        /* network/ledger = evm */
    uint64_t challenge_window_ms;      /* network/challenge_window (evm) */
    uint64_t bond;                     /* network/bond, base units (evm) */
    uint32_t fraud_slash_ppm;          /* network/fraud_slash (evm) */
    uint64_t block_time_ms;            /* network/block_time (evm) */
    uint32_t forge_claim;              /* adversaries/forge_claim (evm): the first validators */
    uint32_t always_down;              /* adversaries/always_down */
    uint32_t always_up;                /* adversaries/always_up */
    uint32_t silent;                   /* adversaries/silent */
    uint32_t equivocate;               /* adversaries/equivocate */
    size_t n_faults;                   /* fault sections */
    nines_fault_t *faults;             /* in file order */
    nines_expect_t expect;             /* expect section */
    struct _nines_config_t *config;    /* the parsed file, for keys added later (owned) */
} nines_scenario_t;

/*  A half-open interval [start_ms, end_ms) in ms from the timeline start. */
typedef struct {
    uint64_t start_ms;                 /* first ms down */
    uint64_t end_ms;                   /* first ms up again */
} nines_interval_t;

/*  Load and validate a scenario file.  On failure returns NULL and writes
    one line to err naming the file, the section/key, what was expected and
    what was found, e.g.
        "x.zpl: fault[1]/kind: expected app_down|...|flap, got 'boom'". */
nines_scenario_t *nines_scenario_load (const char *path, char *err, size_t err_size);

/*  The same from ZPL text; name is used in messages. */
nines_scenario_t *nines_scenario_from_string (const char *name, const char *text,
                                              char *err, size_t err_size);

/*  Free a scenario and set *self_p to NULL. */
void nines_scenario_destroy (nines_scenario_t **self_p);

/*  Name of a fault kind ("app_down", ...) or "?"; and the reverse
    (-1 when unknown). */
const char *nines_fault_kind_name (int kind);
int nines_fault_kind_parse (const char *text);

/*  True if the kind acts on a pod (app_down, app_unhealthy, facade_stop,
    correlated, flap, pin_rotation, paid_until, maintenance). */
bool nines_fault_is_pod_fault (nines_fault_kind_t kind);

/*  True if the kind takes a pod down in the ground truth (app_down,
    app_unhealthy, facade_stop, correlated, flap). */
bool nines_fault_is_outage (nines_fault_kind_t kind);

/*  What the kind targets (pod, validator or the ledger). */
nines_fault_target_t nines_fault_target (nines_fault_kind_t kind);

/*  True if only `nines-sim run` plays the kind (ledger_kill, paid_until,
    maintenance: they act on the real ledger). */
bool nines_fault_run_only (nines_fault_kind_t kind);

/*  Behaviour of validator index i from the adversaries section:
    "always_down", "always_up", "silent", "equivocate" or NULL (honest).
    Adversaries are the last validators by index, in that order. */
const char *nines_scenario_behaviour (const nines_scenario_t *self, uint32_t validator);

/*  Ground truth: the intervals during which pod `pod` is down, sorted,
    overlapping or touching intervals joined, clipped to the duration.
    *out is malloc'd (caller frees; NULL when *n is 0).  0 or NINES_ENOMEM. */
int nines_scenario_pod_truth (const nines_scenario_t *self, uint32_t pod,
                              nines_interval_t **out, size_t *n);

/*  The same for a validator: intervals when it is killed or isolated. */
int nines_scenario_validator_truth (const nines_scenario_t *self, uint32_t validator,
                                    nines_interval_t **out, size_t *n);

/*  Merge sorted intervals in place the way the ledger merges incidents
    (nines_merge_gap_ms, src/proto/incident.h): an interval joins the
    previous merged one when the gap is shorter than clamp(merge_factor *
    its down time, merge_min, merge_max) of params, its down time being
    the sum of its pieces' (not its span).  Returns the new count.  Used to turn the ground
    truth into "episodes" a detected incident is compared with. */
size_t nines_interval_merge (nines_interval_t *iv, size_t n, const nines_params_t *params);

/*  For the nines-sim subcommands.  Load a scenario; on failure print the
    one-line message ("nines-sim: FILE: section/key: expected ..., got
    ...") to stderr and return NULL. */
nines_scenario_t *nines_sim_scenario_open (const char *path);

/*  Install fn (no SA_RESTART, so blocking calls return EINTR) for each
    signal in the list, which ends with 0. */
void nines_sim_catch (void (*fn) (int), const int *signals);

#endif
