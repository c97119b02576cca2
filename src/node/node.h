/*  ninesd: the validator daemon around the sans-I/O engine (DESIGN.md
    sections 3, 6, 7, 9 and 10).

    One thread, one zmq_poll loop over:
      - the peer ROUTER (CurveZMQ server, keys derived from the validator's
        Ed25519 key; a ZAP handler on inproc://zeromq.zap.01 admits only the
        curve keys of registered validators and binds each connection to
        that validator's id, so a peer cannot speak for another);
      - one DEALER per peer for outgoing frames (CurveZMQ client);
      - the query ROUTER (proto/QUERY.md) and the report PUB;
      - the ledger DEALER (registry, evidence) and SUB ("registry" topic);
      - the libcurl multi prober's sockets.
    Engine actions are carried out in order; reports, incidents, the
    evidence outbox and the membership are written to LMDB before anything
    else acknowledges them, so a kill -9 loses nothing acknowledged. */
#ifndef NINES_NODE_H
#define NINES_NODE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/config.h"
#include "core/engine.h"
#include "node/chain_link.h"
#include "node/prober.h"

#define NINES_NODE_DEFAULT_PEER   "tcp://127.0.0.1:7410"
#define NINES_NODE_DEFAULT_QUERY  "tcp://127.0.0.1:7402"
#define NINES_NODE_DEFAULT_PUB    "tcp://127.0.0.1:7403"

#define NINES_LEDGER_ZMQ 0              /* ledger/kind = zmq: nines-ledger (node/ledger) */
#define NINES_LEDGER_EVM 1              /* ledger/kind = evm: the contract (chain_link.h) */

typedef struct {
    char key [512];                     /* validator key file */
    char data [512];                    /* LMDB directory */
    uint64_t map_size;                  /* LMDB map size, bytes */
    char peer [NINES_ENDPOINT_MAX];     /* peer ROUTER endpoint */
    char query [NINES_ENDPOINT_MAX];    /* query ROUTER endpoint */
    char pub [NINES_ENDPOINT_MAX];      /* report PUB endpoint */
    char registry [512];                /* static registry snapshot, "" none */
    char ledger [NINES_ENDPOINT_MAX];   /* ledger API, "" none */
    char ledger_pub [NINES_ENDPOINT_MAX]; /* ledger PUB, "" none */
    uint64_t registry_refresh_ms;       /* ledger registry re-fetch period */
    bool fault_hooks;                   /* enable the `fault` query op */
    char metrics [NINES_ENDPOINT_MAX];  /* GET /metrics listen HOST:PORT, "" off */
    uint64_t metrics_pods;              /* pods with per-pod series (1000) */
    int behaviour;                      /* nines_behaviour_t: adversary for nines-sim (needs fault_hooks) */
    char user_agent [256];              /* prober User-Agent */
    nines_prober_config_t prober;       /* prober settings (user_agent -> above) */
    int ledger_kind;                    /* ledger/kind: NINES_LEDGER_ZMQ or NINES_LEDGER_EVM */
    nines_chain_config_t evm;           /* the evm section (ledger/kind = evm) */
    nines_engine_config_t engine;       /* engine local policy */
} nines_node_config_t;

/*  Every section/key path ninesd reads, NULL-terminated (for
    nines_config_check_known; tests/unit/test_config_keys.py checks that
    each key a getter reads is listed). */
extern const char *const nines_node_config_keys [];

/*  Read every node key (deploy/ninesd.zpl lists them with defaults);
    an unknown section or key is an error too (nines_config_check_known).
    0, or NINES_ECONFIG with a one-line message (file, key, expectation)
    in err. */
int nines_node_config_load (nines_config_t *cfg, nines_node_config_t *out,
                            char *err, size_t err_size);

typedef struct _nines_node_t nines_node_t;

/*  Open the store, load the key and the registry, bind the sockets and
    restore persisted reports and outbox.  NULL on failure with a message
    in err; *exit_code gets 2 for configuration errors, 1 otherwise. */
nines_node_t *nines_node_new (const nines_node_config_t *config, char *err, size_t err_size,
                              int *exit_code);
void nines_node_destroy (nines_node_t **self_p);

/*  Run the loop until *stop becomes non-zero (set from a signal handler).
    Returns 0, or 1 when it had to stop on its own (the peer socket could
    not be bound once the ledger's registry came in). */
int nines_node_run (nines_node_t *self, volatile sig_atomic_t *stop);

#endif
