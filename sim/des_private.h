/*  Private to nines-sim des: the driver's state shared by des.c (the
    world and its event loop), des_result.c and des_main.c. */
#ifndef NINES_DES_PRIVATE_H
#define NINES_DES_PRIVATE_H

#include "des.h"
#include "base/idmap.h"
#include "des_queue.h"
#include "core/engine.h"
#include "core/adversary.h"
#include "sigcache.h"
#include "proto/committee.h"
#include "proto/registry.h"
#include "proto/incident.h"
#include "proto/verify.h"
#include "base/error.h"
#include "base/config.h"
#include "proto/slash.h"
#include <czmq.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define T0 1800000000000ULL         /* virtual start, Unix ms */

typedef struct { uint64_t s; } des_rng_t;


#define GE_MAX 32                   /* state changes generated ahead */

/*  The chain of validator v: in state bad0 from t0, changing state at
    toggles [0..n) (ascending).  Generated lazily from its own stream, so
    queries at now .. now + an epoch (heartbeats handed over ahead) see one
    consistent timeline. */
typedef struct {
    des_rng_t rng;
    uint64_t t0;
    uint8_t bad0;
    uint8_t n;
    uint64_t toggles [GE_MAX];
} ge_t;


typedef struct {
    uint32_t pod;                   /* pod index */
    uint64_t start, end;            /* down during [start, end), Unix ms */
    uint8_t outcome;                /* what a heartbeat gets meanwhile */
    int32_t incident;               /* matched incident, -1 none */
    bool recovered;                 /* an UP report followed the end */
} outage_t;

typedef struct {
    uint32_t pod;                   /* pod index */
    uint64_t detected;              /* first DOWN report action, Unix ms */
    uint64_t closed;                /* first UP report action, 0 open */
    int32_t outage;                 /* matched outage, -1 = false incident */
    bool correlated;                /* flagged by the correlated rule */
} incident_t;

typedef struct {
    uint8_t id [NINES_HASH_BYTES];  /* report id */
    uint64_t first;                 /* formation (first REPORT action) */
    uint64_t last;                  /* latest REPORT action */
    uint32_t count;                 /* validators of its scope that accepted it */
    uint32_t target;                /* validators of its scope reachable at formation */
    int32_t pod;                    /* pod index, -1 unknown */
    uint64_t epoch;                 /* report epoch */
} seen_report_t;

typedef struct {
    uint8_t id [NINES_HASH_BYTES];  /* evidence id */
} seen_evidence_t;

typedef struct {
    const nines_des_config_t *cfg;  /* borrowed */
    des_rng_t rng;                  /* driver randomness */
    des_queue_t q;                  /* pending events */
    uint64_t now;                   /* virtual clock, Unix ms */
    uint64_t end;                   /* stop time */
    size_t n;                       /* validators */
    nines_keypair_t *keys;          /* validator keys */
    nines_engine_t **engines;       /* validator engines */
    uint64_t *tick_at;              /* scheduled tick per engine, 0 none */
    uint8_t *isolated;              /* per validator: isolation faults active */
    uint8_t *group;                 /* per validator: partition side (0 = main) */
    uint8_t *behaviour;             /* per validator: nines_behaviour_t */
    size_t n_isolated;              /* validators currently isolated */
    nines_registry_t *reg;          /* the ONE registry all engines borrow */
    nines_idmap_t vmap;                   /* validator id -> index */
    size_t m;                       /* pods */
    uint8_t (*pod_ids) [NINES_ID_BYTES]; /* pod ids by pod index */
    nines_idmap_t pmap;                   /* pod id -> index */
    nines_idmap_t fmap;                   /* pod id -> index, only pods with an outage: a
                                       heartbeat to any other pod is answered without
                                       touching the 3 MB id table */
    uint32_t *pod_first;            /* outages of pod p: [pod_first [p], pod_first [p + 1]) */
    outage_t *outages;              /* sorted by (pod, start) */
    size_t n_outages;
    int32_t *pod_incident;          /* open incident per pod, -1 none */
    uint64_t *pod_up_t;             /* t_ms of the pod's latest closing UP report, 0 none */
    size_t n_continued;             /* DOWN reports that continue a closed incident */
    incident_t *incidents;
    size_t n_incidents, cap_incidents;
    seen_report_t *reports;         /* distinct reports, hashed by id */
    size_t n_reports;
    nines_idmap_t rmap;                   /* report id -> index (keys move on growth: rebuilt) */
    size_t cap_reports;
    seen_evidence_t *evidence;      /* distinct evidence */
    size_t n_evidence, cap_evidence;
    nines_idmap_t emap;                   /* evidence id -> index */
    uint8_t *proven;                /* per validator: equivocation proven */
    nines_des_result_t *res;        /* output */
    nines_peer_msg_t *msg;          /* scratch for proof checks */
    nines_sigcache_t *sigcache;     /* verified signatures, shared by the engines */
    ge_t *ge;                       /* per validator, when bursts are on */
    struct des_hook_s *hook;        /* per validator: its engine's hooks.arg */
} des_t;

/*  What one engine's hooks see (nines_engine_hooks_t.arg). */
typedef struct des_hook_s {
    des_t *d;
    uint32_t v;                     /* the validator */
} des_hook_t;

/*  ---- des.c ---- */

/*  Monotonic wall clock, seconds (progress and the summary, never results). */
double des_wall (void);

/*  ---- des_result.c ---- */

void des_results (des_t *d);

#endif
