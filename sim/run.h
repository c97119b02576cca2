/*  nines-sim run internals, shared by sim/run*.c and sim/svg.c.

    run.c, run_world.c, run_faults.c, run_observe.c, run_io.c
                 the run itself, in parts behind run_private.h
    run_proc.c   child processes: start, signal, reap, stop them all
    run_tls.c    per-pod TLS key, self-signed certificate, SPKI pin
    run_result.c ground truth against detected incidents: table, result.json
    svg.c        timeline.svg */
#ifndef NINES_SIM_RUN_H
#define NINES_SIM_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include "scenario.h"
#include "crypto/crypto.h"

#define SIM_PATH_MAX 1024                /* paths in the run directory */
#define SIM_ARGV_MAX 12                  /* arguments of one child */
#define SIM_DIR_MAX 400                  /* run directory and binary directory paths */
#define SIM_SUBDIR_MAX 512               /* a validator's or pod's directory */

/*  ---- child processes (run_proc.c) ---- */

/*  One child the simulator starts (and may restart). */
typedef struct {
    char name [32];                      /* "ledger", "validator-2", "facade-0", "app-0" */
    char argv_buf [SIM_ARGV_MAX][SIM_PATH_MAX]; /* its arguments, argv[0] the binary */
    int argc;                            /* arguments used */
    char log [SIM_PATH_MAX];             /* stdout and stderr go here (appended) */
    pid_t pid;                           /* running pid, 0 when not running */
    bool stopping;                       /* we signalled it to end: exit is expected */
    bool stopped;                        /* SIGSTOPped by a facade_stop fault */
    int last_status;                     /* wait status of the last exit */
    unsigned starts;                     /* times started */
} sim_proc_t;

/*  Set name, log file and argv (NULL-terminated list of strings).
    Returns 0 or NINES_ETOOBIG. */
int sim_proc_init (sim_proc_t *p, const char *name, const char *log, const char *const *argv);

/*  Fork and exec p in the simulator's child process group, with
    PR_SET_PDEATHSIG so it dies with the simulator, stdin from /dev/null
    and output appended to p->log.  0 or NINES_EIO. */
int sim_proc_start (sim_proc_t *p);

/*  Start p and wait up to timeout_ms for it to exit: 0 (exit status 0),
    its exit status (> 0; 128 + signal when killed), NINES_ETIMEOUT (it
    was SIGKILLed at the timeout) or sim_proc_start's code.  For bounded
    one-shot commands (forge script). */
int sim_proc_run (sim_proc_t *p, int timeout_ms);

/*  Send sig to a running child (no-op when not running). */
void sim_proc_signal (sim_proc_t *p, int sig);

/*  SIGKILL a running child and wait for it. */
void sim_proc_kill (sim_proc_t *p);

/*  Collect children that exited without blocking.  For each exit that was
    not asked for, print a line naming it and the status; returns how many
    such unexpected exits there were and points *died at the last one. */
int sim_proc_reap (sim_proc_t **procs, size_t n, sim_proc_t **died);

/*  End every child: SIGTERM (plus SIGCONT for stopped ones), up to
    grace_ms to exit, then SIGKILL; finally SIGKILL the whole child process
    group so nothing outlives the simulator. */
void sim_proc_stop_all (sim_proc_t **procs, size_t n, int grace_ms);

/*  Print the last lines of p's log to stderr (after a failure). */
void sim_proc_tail (const sim_proc_t *p, int lines);

/*  ---- TLS material (run_tls.c) ---- */

/*  Make an EC P-256 key (PEM, mode 0600, at key_path) and a self-signed
    certificate for 127.0.0.1 / localhost (PEM at cert_path) with OpenSSL's
    API, and the SPKI pin: sha256 of the DER SubjectPublicKeyInfo, as
    CURLOPT_PINNEDPUBLICKEY checks it.  0 or NINES_EIO with err filled. */
int sim_tls_make_cert (const char *key_path, const char *cert_path,
                       uint8_t pin [NINES_HASH_BYTES], char *err, size_t err_size);

/*  ---- observations and results (run_result.c, svg.c) ---- */

/*  One incident as the ledger reports it (PUB "incident" or `incidents`). */
typedef struct {
    uint32_t pod;                        /* pod index */
    uint64_t t_down;                     /* Unix ms */
    uint64_t t_up;                       /* Unix ms, 0 while open */
    uint64_t slashed;                    /* base units slashed so far */
    uint64_t downtime_ms;                /* the ledger's effective downtime (merged pieces), ms */
    bool correlated;                     /* flagged correlated (not slashed) */
    bool open;                           /* no UP report yet */
    uint64_t first_seen;                 /* Unix ms we first heard of it (evm: its first claim mined) */
    int episode;                         /* matched ground-truth episode, -1 false */
    /*  network/ledger = evm only: */
    uint32_t claims;                     /* its claims on the chain (not voided) */
    uint64_t gas_claim;                  /* gas of its claims, sum */
    uint64_t gas_finalize;               /* of their finalize transactions */
    uint64_t gas_account;                /* of their account transactions */
    uint64_t gas_settle;                 /* of the settles that paid it after its windows */
    uint64_t up_seen;                    /* Unix ms its UP report reached nines-sim (0: none) */
    uint64_t settled;                    /* Unix ms nines-sim saw it closed on the chain (0: not) */
    uint64_t finalized;                  /* Unix ms nines-sim saw its closing claim finalized (0: not) */
    bool have_ref;                       /* the reference nines-ledger holds it */
    uint64_t ref_slashed;                /* what it slashed for the same reports */
} sim_incident_t;

/*  A quorum UP report as it reached nines-sim (a ninesd PUB). */
typedef struct {
    uint32_t pod;                        /* pod index */
    uint64_t t_ms;                       /* its observation time (an incident's t_up) */
    uint64_t seen;                       /* Unix ms it reached nines-sim */
} sim_up_seen_t;

/*  Per-validator observations. */
typedef struct {
    uint32_t signed_down;                /* DOWN reports carrying its vote */
    uint32_t signed_up;                  /* UP reports carrying its vote */
    uint32_t restarts;                   /* times restarted after a kill */
    const char *behaviour;               /* adversary behaviour or NULL */
    bool have_status;                    /* the counters below came from ninesd's `status` */
    uint64_t probes;                     /* heartbeats sent (since its last start) */
    uint64_t probes_failed;              /* of which failed */
    uint64_t rounds_opened;              /* confirmation rounds it opened */
    uint64_t votes_sent;                 /* votes it signed and sent */
    uint64_t evidence_acked;             /* evidence the ledger acknowledged from it */
} sim_vstats_t;

/*  Everything the result needs: the scenario, the time origin, truth and
    what was observed.  Filled by run.c, read by run_result.c and svg.c. */
typedef struct {
    const nines_scenario_t *sc;          /* the scenario */
    uint64_t t0;                         /* timeline start, Unix ms */
    uint64_t t_end;                      /* when observation stopped, Unix ms */
    char (*pod_ids) [NINES_ID_HEX];      /* pod ids, hex, by index */
    char (*validator_ids) [NINES_ID_HEX];/* validator ids, hex, by index */
    size_t n_incidents;                  /* incidents seen */
    sim_incident_t *incidents;           /* by pod, then t_down */
    sim_vstats_t *vstats;                /* per validator */
    uint32_t reports_down;               /* distinct DOWN reports seen */
    uint32_t reports_up;                 /* distinct UP reports seen */
    sim_up_seen_t *ups;                  /* UP reports seen */
    size_t n_ups;                        /* count */
    bool chain;                          /* network/ledger = evm: the fields below are set */
    uint32_t claims;                     /* claims on the chain, all */
    uint32_t voided;                     /* of which voided (proven forged) */
    uint64_t challenge_paid;             /* owed to challengers after the run, base units */
    uint64_t gas_challenge;              /* gas of the challenges, sum */
    bool have_ref;                       /* the reference nines-ledger ran */
    uint64_t *pod_slashed;               /* podInfo(pod).slashed after the run, by pod */
    uint64_t *ref_slashed;               /* nines-ledger's for the same reports, by pod */
    bool aborted;                        /* run stopped early (Ctrl-C or failure) */
    bool passed;                         /* every expectation held (set by sim_result) */
} sim_observed_t;

/*  A ground-truth episode of one pod (true outages merged the ledger's way). */
typedef struct {
    uint32_t pod;                        /* pod index */
    nines_interval_t truth;              /* ms from t0 */
    int incident;                        /* first matched incident index or -1 */
    uint64_t reported;                   /* Unix ms of the first matching DOWN report or 0 */
} sim_episode_t;

/*  True when a detected incident starting at down_ms (ms from t0) belongs
    to the true outage truth: it starts no earlier than 2 s before it and
    no later than its end plus the detection slack of params (two epochs
    plus the probe, retry, vote and round timeouts). */
bool sim_incident_matches (const nines_params_t *params, const nines_interval_t *truth,
                           int64_t down_ms);

/*  What the ledger should slash for a true outage episode: stake x
    max_slash x S(d) (src/proto/slash.h, the scenario's params and
    pod_stake) for d = its true downtime, clipped at the pod's paid_until
    and minus its maintenance windows (from the scenario's faults), 0 when
    d is under grace.  Base units. */
uint64_t sim_expected_slash (const nines_scenario_t *sc, const sim_episode_t *ep);

/*  The incident of (pod, t_down) in obs, added (zeroed, first_seen now,
    episode -1) when new (*is_new).  NULL when out of memory. */
sim_incident_t *sim_incident_get (sim_observed_t *obs, uint32_t pod, uint64_t t_down, bool *is_new);

/*  Episodes of all pods, in pod order.  *out malloc'd.  0 or NINES_ENOMEM. */
int sim_episodes (const nines_scenario_t *sc, sim_episode_t **out, size_t *n);

/*  Match incidents to episodes (sets incidents[].episode and
    episodes[].incident), print the tables, write out_dir/result.json, and
    check the expectations.  Returns 0 when all expectations hold, 1 when
    one fails (each failure printed), or a negative NINES_E* on I/O error. */
int sim_result (sim_observed_t *obs, sim_episode_t *episodes, size_t n_episodes,
                const char *out_dir, FILE *out);

/*  Write the timeline: one row per pod with its true outages above and the
    detected incidents below, and one row per validator fault.  0 or NINES_EIO. */
int sim_svg_write (const sim_observed_t *obs, const sim_episode_t *episodes, const char *path);

#endif
