/*  A virtual network of protocol engines on a virtual clock, for the engine
    tests and nines-sim des: routes SEND actions with a latency, answers
    PROBE actions from each pod's ground truth, and collects reports,
    evidence and misbehaviour.  No wall-clock time anywhere. */
#ifndef NINES_ENGINE_NET_H
#define NINES_ENGINE_NET_H

#include "core/engine.h"
#include "core/adversary.h"

typedef bool (net_truth_fn) (void *arg, size_t pod, uint64_t t_ms);

typedef struct {
    uint64_t at;                    /* delivery time, ms */
    int kind;                       /* 0 message, 1 probe result */
    size_t to;                      /* engine index */
    uint64_t probe_id;              /* probe result: id */
    size_t pod;                     /* probe result: pod index */
    uint8_t *data;                  /* message bytes (owned) */
    size_t len;
} net_event_t;

typedef struct {
    size_t n;                       /* validators */
    nines_keypair_t *keys;          /* their keys */
    nines_engine_t **engines;       /* their engines */
    nines_registry_t *reg;          /* shared registry */
    size_t n_pods;                  /* pods */
    nines_keypair_t *pod_keys;      /* pod ids (public keys) */
    net_truth_fn *truth;            /* pod up at t? NULL = always up */
    void *truth_arg;
    bool *blind;                    /* per validator: all its probes fail */
    bool *cut;                      /* per validator: no messages in or out */
    uint64_t latency_ms;            /* one-way message latency */
    uint64_t now;                   /* virtual clock, ms */
    unsigned spins;                 /* loop rounds without time moving */
    net_event_t *events;            /* pending events, unsorted */
    size_t n_events, cap_events;
    /* collected */
    size_t *reports;                /* per validator: REPORT actions */
    size_t down_reports;            /* DOWN reports formed anywhere (REPORT actions / n) */
    size_t submits;                 /* SUBMIT actions */
    size_t probes;                  /* PROBE actions */
    size_t probes_ahead;            /* ... handed over before their instant (at > now) */
    size_t probes_bad_at;           /* ... whose at is before now or more than one
                                       SWIM period (the default 1000 ms) ahead */
    size_t persists;                /* PERSIST actions whose key and pod are their evidence's */
    size_t report_mismatches;       /* REPORT actions whose fields are not their report's */
    size_t misbehaviours;           /* MISBEHAVIOUR actions */
    uint64_t first_down_ms;         /* t of first REPORT action of kind DOWN, 0 none */
    uint64_t first_up_ms;           /* t of first REPORT action of kind UP, 0 none */
    uint64_t first_down_t_ms;       /* that DOWN report's t_ms */
    uint64_t *pod_down_ms;          /* per pod: t of its first REPORT action of kind
                                       DOWN anywhere, 0 none */
    uint64_t seed;                  /* engine seeds derive from it */
    nines_engine_config_t config;   /* the engines' config (net_configure) */
    long *mirror;                   /* per engine: another engine that also gets every
                                       message sent to its key (net_add_twin), -1 none */
} net_t;

/*  n validators with the given stakes (NULL = all 10000), n_pods pods,
    params, deterministic seed. */
net_t *net_new (size_t n, const uint64_t *stakes, size_t n_pods, const nines_params_t *params,
                uint64_t seed, uint64_t start_ms);
void net_destroy (net_t **self_p);

/*  Re-create every engine with config (NULL = defaults), same keys and
    seeds, registry set at start_ms (call before net_run). */
void net_configure (net_t *self, const nines_engine_config_t *config, uint64_t start_ms);

/*  Re-create engine i with the net's config and the adversary of
    behaviour (a nines_behaviour_t; honest: none) in its hooks, same key
    and seed, registry set now (call before net_run). */
void net_set_adversary (net_t *self, size_t i, int behaviour);

/*  Start another engine with validator of's key (a second instance of it,
    for doppelganger tests) with config (NULL = defaults), its registry set
    now; from now on every message sent to that key reaches both.  Returns
    the new engine's index (net->n - 1). */
size_t net_add_twin (net_t *self, size_t of, const nines_engine_config_t *config);

/*  Run the network until virtual time until_ms. */
void net_run (net_t *self, uint64_t until_ms);

/*  Inject raw bytes into validator i as if from the network. */
int net_inject (net_t *self, size_t i, const uint8_t *data, size_t len);

#endif
