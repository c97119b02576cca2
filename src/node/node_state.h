/*  Private to src/node: ninesd's object layout, its clock and the helpers
    its parts share.  The loop (node.c) calls the parts (persist.c,
    ledger_link.c, query.c, metrics.c, events.c, and the classes peer.c and
    prober.c); the parts call only what is below them (this header, and
    persist.c's store helpers for query.c), never node.c.  Not an API:
    nothing outside src/node includes it. */
#ifndef NINES_NODE_STATE_H
#define NINES_NODE_STATE_H

#include "node/node.h"
#include "node/peer.h"
#include "node/pace.h"
#include "node/chain_link.h"

#include <czmq.h>
#include <msgpack.h>

#include "base/error.h"
#include "base/log.h"
#include "base/metrics.h"
#include "crypto/crypto.h"
#include "client/ledger_client.h"
#include "core/adversary.h"
#include "obs/metrics_http.h"
#include "proto/slash.h"
#include "store/store.h"
#include "wire/wire.h"

#define BATCH           256         /* frames read per socket per loop pass */
#define MAX_POLL        4096        /* poll items (sockets + curl fds) */
#define MEMBERS_EVERY_MS 5000       /* membership snapshot to LMDB */
#define REPORTS_LIMIT   100         /* default rows of the reports query */

/*  LMDB databases (DESIGN.md section 10). */
#define DB_REPORTS   "reports"      /* report id -> encoded report */
#define DB_INCIDENTS "incidents"    /* pod || be64(t_down) -> incident_rec_t */
#define DB_OUTBOX    "outbox"       /* evidence id -> encoded evidence (unacknowledged) */
#define DB_EVIDENCE  "evidence"     /* evidence id -> u8 len || verdict || encoded evidence */
#define DB_CLAIMS    NINES_CHAIN_DB /* evidence id -> chain claim record (chain_link.c) */
#define DB_MEMBERS   "members"      /* member id -> member_rec_t (our own id: our
                                       incarnation, restored at start) */

typedef struct {
    uint8_t t_up [8];                       /* le64 t_up, 0 while open */
    uint8_t down_round [NINES_HASH_BYTES];  /* round of the DOWN report */
    uint8_t up_round [NINES_HASH_BYTES];    /* round of the UP report (zero while open) */
} incident_rec_t;

typedef struct {
    uint8_t state;                          /* nines_member_state_t */
    uint8_t incarnation [8];                /* le64 */
    uint8_t last_ack [8];                   /* le64, Unix ms */
} member_rec_t;

/*  Last heartbeat timings per pod (index = registry order). */
typedef struct {
    uint32_t connect_us;                    /* TCP connect done */
    uint32_t tls_us;                        /* TLS done */
    uint32_t ttfb_us;                       /* first byte */
    uint32_t total_us;                      /* whole heartbeat */
    uint64_t cert_not_after_ms;             /* the facade certificate's notAfter, Unix ms (0: unknown) */
    uint16_t http_status;                   /* HTTP status, 0 if none */
} pod_timing_t;

/*  A heartbeat the engine asked for while the prober had cfg.prober.connections
    in flight: started when one finishes (the pod is looked up then). */
typedef struct {
    uint64_t probe_id;                      /* the engine's tag */
    uint64_t timeout_ms;                    /* 0: the registry's probe_timeout */
    uint8_t pod [NINES_ID_BYTES];           /* pod to probe */
} probe_wait_t;

struct _nines_node_t {
    nines_node_config_t cfg;                /* configuration */
    nines_keypair_t kp;                     /* validator key */
    nines_store_t *store;                   /* LMDB */
    nines_engine_t *engine;                 /* protocol engine */
    nines_prober_t *prober;                 /* heartbeats */
    nines_registry_t *reg;                  /* current registry (owned) */
    pod_timing_t *timings;                  /* per registry pod */
    nines_pace_t pace;                      /* heartbeats handed over ahead of their instant */
    probe_wait_t *waiting;                  /* FIFO ring of heartbeats not yet started */
    size_t wait_head, wait_n, wait_cap;
    nines_peers_t *peers;                   /* ZAP, peer ROUTER, connections to peers */
    zsock_t *query;                         /* query ROUTER */
    zsock_t *pub;                           /* report PUB */
    zsock_t *ledger;                        /* ledger DEALER or NULL */
    zsock_t *ledger_sub;                    /* ledger SUB or NULL */
    nines_chain_t *chain;                   /* ledger/kind = evm: the chain link, else NULL */
    uint64_t next_chain_ms;                 /* next nines_chain_poll */
    nines_report_t *scratch;                /* decode buffer for reports */
    nines_evidence_t *ev_scratch;           /* decode buffer for evidence */
    bool isolated;                          /* fault hook state */
    bool registry_pending;                  /* a registry request is out */
    uint64_t registry_asked_ms;             /* when */
    uint64_t next_members_ms;               /* next membership snapshot */
    uint64_t started_ms;                    /* start time */
    uint64_t query_bad;                     /* malformed query requests */
    uint64_t probe_ok;                      /* verified heartbeats */
    bool restored;                          /* persisted state re-loaded */
    uint8_t ledger_id [NINES_ID_BYTES];     /* ledger key (signs canaries) */
    bool has_ledger_id;                     /* ledger_id known (registry reply) */
    uint8_t canary [NINES_HASH_BYTES];      /* last canary countersigned */
    uint64_t canaries;                      /* canaries countersigned */
    bool fatal;                             /* stop the loop: cannot go on */
    bool dg_listening;                      /* doppelganger protection: listening, as last logged */
    bool dg_detected;                       /* another instance with our key was logged */
    char bind_error [256];                  /* why the peer socket did not bind */
    uint64_t ledger_reply_ms;               /* last reply from the ledger, 0 never */
    uint64_t ledger_wait_ms;                /* first request since the last reply, 0 none */
    int8_t ledger_was_up;                   /* last logged ledger state: -1 not yet, 0, 1 */
    bool was_degraded;                      /* last logged self-health state */
    uint64_t rounds_failed_seen;            /* rounds_failed already logged */
    zhashx_t *member_states;                /* hex id -> last logged nines_member_state_t + 1 */
    uint64_t next_watch_ms;                 /* next node_watch */
    nines_metrics_http_t *metrics_http;     /* GET /metrics listener or NULL */
    nines_metrics_t *metrics;               /* its registry */
    nines_metric_t *m_success, *m_duration, *m_status, *m_heartbeats, *m_pods, *m_rounds,
                   *m_votes, *m_reports, *m_peers, *m_degraded, *m_outbox, *m_submitted,
                   *m_ledger_up, *m_version, *m_epoch, *m_refused, *m_misbehaviour,
                   *m_canaries, *m_cert, *m_down, *m_doppelganger; /* its families (node_metrics_init) */
};

/*  Stored rows collected by node_collect (persist.c) for a query or the restore. */
typedef struct {
    uint64_t t;                 /* sort key (ms) */
    uint8_t key [64];           /* store key */
    size_t klen;                /* its length */
    uint8_t *val;               /* copy of the value */
    size_t vlen;                /* its length */
} rec_t;

typedef struct {
    rec_t *recs;                /* growing array */
    size_t n, cap;              /* used, allocated */
    const uint8_t *pod;         /* filter or NULL */
    nines_report_t *scratch;    /* decode buffer (reports) */
    int kind;                   /* 0 reports, 1 incidents, 2 evidence */
} collect_t;

/*  Wall clock, Unix ms (the engine's now). */
static inline uint64_t
node_now (void)
{
    return (uint64_t) zclock_time ();
}

/*  ---- persist.c ---- */

/*  nines_store_iter_prefix callback filling a collect_t (arg). */
int node_collect (const void *k, size_t klen, const void *v, size_t vlen, void *arg);

/*  Free a collect_t's rows. */
void node_collect_free (collect_t *c);

/*  qsort order of rec_t by t. */
int node_rec_cmp (const void *a, const void *b);

/*  A PERSIST action: evidence entered the engine's outbox (submitted
    later, after a back-off, by everyone but the report's former): write it
    to DB_OUTBOX now, unless there already, so a crash before the first
    submission loses nothing. */
void node_persist_evidence (nines_node_t *self, const nines_action_t *a);

/*  A REPORT action's report on the PUB socket (QUERY.md). */
void node_publish_report (nines_node_t *self, const nines_action_t *a);

/*  Weight of the signers of a report (isqrt(stake) each, registry now). */
uint64_t node_report_weight (nines_node_t *self, const nines_report_t *r);

/*  Acknowledged evidence id (ledger reply or chain): its outbox entry
    moves to DB_EVIDENCE as u8 len || verdict || evidence, in one write
    transaction; nothing when the outbox has it no more. */
void node_evidence_ack_store (nines_store_t *store, const uint8_t id [NINES_HASH_BYTES], const char *verdict);

/*  Re-load reports, outbox and membership from LMDB at start. */
void node_restore (nines_node_t *self);

/*  Membership snapshot to LMDB (every MEMBERS_EVERY_MS). */
void node_save_members (nines_node_t *self);

/*  Record a REPORT action's DOWN (opens) or UP (closes) report in
    DB_INCIDENTS. */
void node_store_incident (nines_node_t *self, const nines_action_t *a);

/*  ---- events.c ---- */

#define NODE_LEDGER_REPLY_MS 5000           /* a ledger request unanswered this long: unreachable */

/*  The ledger answered, and no request has waited NODE_LEDGER_REPLY_MS. */
bool node_ledger_up (nines_node_t *self, uint64_t now);

/*  Once a second: log, once per change, the ledger unreachable / back,
    peers suspect / dead / alive again, degraded / recovered, and rounds
    that failed without quorum. */
void node_watch (nines_node_t *self, uint64_t now);

/*  ---- ledger_link.c ---- */

/*  Ask the ledger for the registry (at most one request out). */
void node_ask_registry (nines_node_t *self);

/*  Countersign the ledger's canary (DESIGN.md section 8: only validators
    that answer the period's canary share its fees).  msg is a PUB canary
    map or a `canary` op reply; its signature is checked against the
    ledger key from the registry reply. */
void node_on_canary (nines_node_t *self, const uint8_t *msg, size_t len);

/*  A reply on the ledger DEALER: registry, evidence verdict, canary ack.
    Returns a registry newer than self->reg for the caller to install
    (owned), else NULL. */
nines_registry_t *node_on_ledger_reply (nines_node_t *self, const uint8_t *data, size_t len);

/*  ---- chain_link.c (chain_link.h): ledger/kind = evm ---- */

/*  ---- metrics.c ---- */

/*  Create the metric families.  0 or NINES_ENOMEM/NINES_EINVAL. */
int node_metrics_init (nines_node_t *self);

/*  A finished heartbeat: outcome counter, phase histogram, HTTP status. */
void node_metrics_probe (nines_node_t *self, const nines_probe_result_t *r);

/*  GET /metrics body (arg: the node); malloc'd, *len bytes. */
char *node_metrics_render (void *arg, size_t *len);

/*  ---- query.c ---- */

/*  One request on the query ROUTER, answered (QUERY.md). */
void node_on_query (nines_node_t *self);

#endif
