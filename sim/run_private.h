/*  nines-sim run: the layout its parts share (as ninesd's node_state.h).

    Each part calls only those listed after it (tests/unit/test_calls.py):

    run.c          the scenario driver: command line, run directory, the
                   warm-up, the timeline loop (s_play), result, teardown
    run_faults.c   the timeline of fault steps and applying each one
    run_observe.c  the PUB streams (reports, incidents) and the final
                   queries (the ledger's incidents, each ninesd's status)
    run_world.c    the process world: keys, configs, genesis,
                   registration, starting every child in order
    run_chain_obs.c  network/ledger = evm: the chain's logs (claims,
                   gas, incidents), owed, the reference nines-ledger
    run_chain.c    network/ledger = evm: anvil, the deployment, chain
                   keys, registration by transactions, the registry file
    run_io.c       progress lines, ports, binaries, files, msgpack map
                   reading, one request/reply to a child, readiness waits

    Below them: run_proc.c (children), run_tls.c, run_result.c, svg.c
    (run.h). */
#ifndef NINES_SIM_RUN_PRIVATE_H
#define NINES_SIM_RUN_PRIVATE_H

#include "run.h"
#include "crypto/crypto.h"
#include "wire/wire.h"
#include <czmq.h>
#include <msgpack.h>
#include <signal.h>

#define SIM_ENDPOINT 64                  /* "tcp://127.0.0.1:NNNNN" */
#define SIM_REQ_TIMEOUT 3000             /* ms for one API request */
#define SIM_READY_TIMEOUT 20000          /* ms for a process to come up */

/*  One validator: key, endpoints, process, nesting counts of its faults. */
typedef struct {
    nines_keypair_t kp;                  /* identity */
    char dir [SIM_SUBDIR_MAX];           /* its directory in the run dir */
    char peer [SIM_ENDPOINT];            /* CurveZMQ peer endpoint (registered) */
    char query [SIM_ENDPOINT];           /* query ROUTER */
    char pub [SIM_ENDPOINT];             /* report PUB */
    sim_proc_t proc;                     /* ninesd */
    int kill_refs;                       /* validator_kill faults in force */
    int isolate_refs;                    /* validator_isolate faults in force */
} sim_validator_t;

/*  One pod: ids, keys, ports, the demo app and its facade. */
typedef struct {
    uint8_t id [NINES_ID_BYTES];         /* pod id */
    uint32_t provider;                   /* provider index */
    nines_keypair_t facade_kp;           /* facade key (signs heartbeat answers) */
    uint8_t pin [NINES_HASH_BYTES];      /* SPKI pin of its certificate */
    nines_keypair_t next_kp;             /* pin_rotation: the next facade key */
    uint8_t next_pin [NINES_HASH_BYTES]; /* pin_rotation: the next certificate's pin */
    bool has_next;                       /* next_* made, files pod-next.* written */
    unsigned rotations;                  /* pin rotations done (names the next files) */
    int app_port;                        /* demo app port */
    int facade_port;                     /* facade TLS port */
    char dir [SIM_SUBDIR_MAX];           /* its directory in the run dir */
    sim_proc_t app;                      /* demo app */
    sim_proc_t facade;                   /* nines-facade */
    int down_refs;                       /* app_down-like faults in force */
    int sick_refs;                       /* app_unhealthy faults in force */
    int stop_refs;                       /* facade_stop faults in force */
} sim_pod_t;

/*  What a timeline step does. */
typedef enum {
    EV_APP_DOWN, EV_APP_SICK, EV_FACADE_STOP, EV_VAL_KILL, EV_VAL_ISOLATE, EV_ROTATE,
    EV_LEDGER_KILL, EV_PAID_UNTIL, EV_MAINTENANCE
} sim_ev_kind_t;

/*  Steps of a pin_rotation (PROTOCOL.md 10.2). */
enum { ROT_ANNOUNCE, ROT_SWITCH, ROT_RETIRE };

/*  One step of the timeline. */
typedef struct {
    uint64_t t_ms;                       /* ms from t0 */
    sim_ev_kind_t kind;                  /* what to do */
    uint32_t index;                      /* pod or validator */
    bool on;                             /* fault starts (true) or ends */
    uint32_t fault;                      /* index of the fault section */
    int step;                            /* EV_ROTATE: ROT_* */
} sim_event_t;

typedef struct _sim_chain_t sim_chain_t;    /* run_chain.h */

/*  The whole run: the scenario, the processes, the timeline, the streams and
    what was observed. */
typedef struct {
    nines_scenario_t *sc;                /* scenario */
    bool keep;                           /* keep the run directory */
    bool verbose;                        /* -v: more progress */
    char dir [SIM_DIR_MAX];              /* run directory */
    char out [SIM_DIR_MAX];              /* result.json and timeline.svg go here */
    char bin_ledger [SIM_PATH_MAX];      /* nines-ledger */
    char bin_ninesd [SIM_PATH_MAX];      /* ninesd */
    char bin_facade [SIM_PATH_MAX];      /* nines-facade */
    char bin_self [SIM_PATH_MAX];        /* this nines-sim (runs the demo app) */
    nines_keypair_t ledger_kp;           /* ledger key */
    char ledger_api [SIM_ENDPOINT];      /* ledger ROUTER */
    char ledger_pub [SIM_ENDPOINT];      /* ledger PUB */
    sim_proc_t ledger;                   /* nines-ledger */
    sim_validator_t *v;                  /* validators */
    sim_pod_t *p;                        /* pods */
    nines_keypair_t *providers;          /* provider keys */
    sim_proc_t **procs;                  /* every child, for reaping and stopping */
    size_t n_procs;                      /* children */
    int *ports;                          /* ports handed out */
    size_t n_ports;                      /* count */
    sim_event_t *ev;                     /* timeline, sorted */
    size_t n_ev;                         /* steps */
    zsock_t *sub_nodes;                  /* SUB to every ninesd PUB */
    zsock_t *sub_ledger;                 /* SUB to the ledger PUB */
    zpoller_t *poller;                   /* both SUBs */
    nines_report_t *report;              /* decode buffer (large) */
    uint8_t (*seen) [NINES_HASH_BYTES];  /* report ids already counted */
    size_t n_seen;                       /* count */
    sim_observed_t obs;                  /* what happened */
    sim_episode_t *episodes;             /* ground truth */
    size_t n_episodes;                   /* count */
    int errors;                          /* faults that could not be applied etc. */
    nines_rng_t rng;                     /* port choice */
    sim_proc_t anvil;                    /* network/ledger = evm: the chain */
    sim_chain_t *chain;                  /* its state (run_chain.h), NULL with zmq */
} sim_run_t;

/*  Set by the driver's SIGINT/SIGTERM/SIGHUP handler: every wait ends. */
extern volatile sig_atomic_t run_interrupted;

/*  ---- run_io.c ---- */

/*  Seconds from the timeline's start t0 to unix_ms (Unix ms). */
double run_rel (sim_run_t *run, uint64_t unix_ms);

/*  A progress line on stdout: "[  12.3s] text" (or "[ setup  ] text"
    before t0). */
void run_say (sim_run_t *run, const char *format, ...) __attribute__ ((format (printf, 2, 3)));

/*  id as 64 lower-case hex characters in out; returns out. */
char *run_hex (char out [NINES_ID_HEX], const uint8_t id [NINES_ID_BYTES]);

/*  out = hash (domain, scenario seed, role, index): the deterministic
    secret of (role, index) in one domain. */
void run_seed (sim_run_t *run, const char *domain, const char *role, uint32_t index,
               uint8_t out [NINES_HASH_BYTES]);

/*  Deterministic key for (role, index) from the scenario seed, so the same
    scenario gives the same ids (and committees) run after run. */
void run_key (sim_run_t *run, const char *role, uint32_t index, nines_keypair_t *kp);

/*  A free TCP port on 127.0.0.1 in [20000, 32000), not handed out before in
    this run.  0 when none is found. */
int run_port (sim_run_t *run);

/*  "tcp://127.0.0.1:PORT" for a fresh run_port in out.  0 or
    NINES_EUNAVAIL. */
int run_endpoint (sim_run_t *run, char out [SIM_ENDPOINT]);

/*  Find a sibling binary: $NINES_SIM_BINDIR/NAME, then the build tree
    (BUILD/sim/nines-sim -> BUILD/src/SUBDIR/NAME), then beside nines-sim
    (installed), then PATH.  0, NINES_ETOOBIG or NINES_ENOTFOUND (printed). */
int run_find_bin (sim_run_t *run, const char *name, const char *subdir, char out [SIM_PATH_MAX]);

/*  Write text to path (created or truncated).  0 or NINES_EIO. */
int run_write_file (const char *path, const char *text);

/*  map[key] as an unsigned integer, 0 when absent or of another type. */
uint64_t run_get_u64 (const msgpack_object *map, const char *key);

/*  map[key] as a boolean (a positive integer counts as true), false when
    absent. */
bool run_get_bool (const msgpack_object *map, const char *key);

/*  map[key] as an id, given as bin 32 or as 64 hex characters; false when
    absent or malformed. */
bool run_get_id (const msgpack_object *map, const char *key, uint8_t id [NINES_ID_BYTES]);

/*  A request {op, KEY: bool} for ops with one boolean argument; *out
    malloc'd.  0 or NINES_ENOMEM. */
int run_request_bool (const char *op, const char *key, bool value, uint8_t **out, size_t *len);

/*  Send req (taken and freed), wait up to SIM_REQ_TIMEOUT for the reply
    and check its ok; on failure print what went wrong (naming what) and
    return the NINES_E* code (NINES_ESTATE for a refusal).  On success the
    reply goes to *reply_out (malloc'd) when reply_out is not NULL. */
int run_call (const char *endpoint, uint8_t *req, size_t len, const char *what,
              uint8_t **reply_out, size_t *reply_len_out);

/*  Wait until fn(run, arg) is true, proc died or SIM_READY_TIMEOUT passed.
    0, NINES_EUNAVAIL (a child died, its log's tail printed) or
    NINES_ETIMEOUT. */
int run_wait_ready (sim_run_t *run, sim_proc_t *proc, bool (*fn) (sim_run_t *, void *), void *arg);

/*  run_wait_ready probes: any reply on the ROUTER endpoint (a const char *)
    / something accepting TCP on the port (an int *). */
bool run_answers (sim_run_t *run, void *endpoint);
bool run_listens (sim_run_t *run, void *port);

/*  ---- run_world.c ---- */

/*  Keys, certificates, the genesis registry snapshot and every child's
    config file in run->dir.  0 or a NINES_E* code. */
int run_prepare (sim_run_t *run);

/*  (Re-)register pod i, signed by its provider, with its current and/or
    its next SPKI pin and facade key (pin_rotation).  0 or a NINES_E* code
    (printed). */
int run_register_pod (sim_run_t *run, uint32_t i, bool current, bool next);

/*  (Re)start a pod's demo app, answering 503 from the start when an
    app_unhealthy fault is in force.  0 or NINES_EIO. */
int run_app_start (sim_run_t *run, sim_pod_t *p);

/*  Start the ledger, register every validator and pod, start the apps and
    facades, then ninesd, waiting for each to serve.  0 or a NINES_E* code. */
int run_start (sim_run_t *run);

/*  ---- run_observe.c ---- */

/*  Read every waiting [topic, msgpack map] frame on sock (a ninesd
    "report" or a ledger incident) into run->obs. */
void run_drain (sim_run_t *run, zsock_t *sock);

/*  Replace what the PUB stream said with the ledger's own incident list
    (query `incidents`). */
void run_final_incidents (sim_run_t *run);

/*  Each running validator's own counters (ninesd query op `status`). */
void run_collect_status (sim_run_t *run);

/*  ---- run_chain_obs.c (network/ledger = evm) ---- */

/*  Read the chain's new logs (Claimed, Challenged, Finalized, Accounted,
    Incident) into run->obs: incidents as the contract holds them, each
    claim's gas from its receipts.  Errors are said once and retried. */
void run_chain_poll (sim_run_t *run);

/*  After the timeline: the last logs, podInfo(pod).slashed of every pod,
    owed() of every validator (what challenges paid), and the reference:
    an in-process nines-ledger (src/ledger) with the chain's registry as
    genesis, fed every claim's reports decoded from its calldata at its
    block's time, ticked a day on; its slashes by pod and incident. */
void run_chain_final (sim_run_t *run);

/*  ---- run_chain.c (network/ledger = evm) ---- */

/*  Chain keys for every validator and provider, anvil started (a child
    in run->procs) and the contracts deployed with params.  0 or a
    NINES_E* code (printed). */
int run_chain_prepare (sim_run_t *run, const nines_params_t *params);

/*  The registry file ninesd reads (validators' endpoints, pods' facades,
    the params; providers as their chain addresses) written to path and
    kept.  0 or a NINES_E* code. */
int run_chain_overlay (sim_run_t *run, const char *path);

/*  anvil's JSON-RPC URL, the contract's address [20], the block before
    the deployment (evm/start_block). */
const char *run_chain_url (sim_run_t *run);
const uint8_t *run_chain_contract (sim_run_t *run);
uint64_t run_chain_start_block (sim_run_t *run);

/*  Save validator i's chain key (0600) at path.  0 or NINES_EEXIST / NINES_EIO. */
int run_chain_save_key (sim_run_t *run, uint32_t i, const char *path);

/*  The registry's provider id of provider i: its chain address left-padded
    with 12 zero bytes (as src/evm/chainreg.c reads it). */
void run_chain_provider (sim_run_t *run, uint32_t provider, uint8_t id [NINES_ID_BYTES]);

/*  Register every validator (in index order: contract index i) and pod
    through transactions from funded keys, wait for the epoch they take
    effect in and read the chain's registry.  0 or a NINES_E* code. */
int run_chain_register (sim_run_t *run);

/*  Free the chain state (anvil is stopped with the other children). */
void run_chain_destroy (sim_run_t *run);

/*  ---- run_faults.c ---- */

/*  The scenario's faults as a sorted timeline of steps in run->ev.  0 or
    NINES_ENOMEM. */
int run_build_timeline (sim_run_t *run);

/*  One progress line saying what is up right now. */
void run_say_status (sim_run_t *run);

/*  Apply one timeline step (nesting: only the first start and the last
    end of overlapping faults on one target act); failures count in
    run->errors. */
void run_apply (sim_run_t *run, const sim_event_t *e);

#endif
