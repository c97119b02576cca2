/*  ninesd: the event loop around the engine (see node.h). */
#include "node/node.h"

#include <czmq.h>
#include <malloc.h>
#include <msgpack.h>
#include <string.h>

#include "base/error.h"
#include "base/log.h"
#include "base/metrics.h"
#include "crypto/crypto.h"
#include "client/ledger_client.h"
#include "obs/metrics_http.h"
#include "proto/slash.h"
#include "store/store.h"
#include "wire/wire.h"

#define ZAP_ENDPOINT    "inproc://zeromq.zap.01"
#define ZAP_DOMAIN      "nines"
#define BATCH           256         /* frames read per socket per loop pass */
#define MAX_POLL        4096        /* poll items (sockets + curl fds) */
#define MEMBERS_EVERY_MS 5000       /* membership snapshot to LMDB */
#define REPORTS_LIMIT   100         /* default rows of the reports query */
#define PEER_HWM        1000        /* queued frames per peer before dropping */
#define MAX_MONITORED   1024        /* peer connections whose handshake is watched */
#define REFUSED_LOG_MS  10000       /* at most one "refused a CurveZMQ peer" line per 10 s */

/*  LMDB databases (DESIGN.md section 10). */
#define DB_REPORTS   "reports"      /* report id -> encoded report */
#define DB_INCIDENTS "incidents"    /* pod || be64(t_down) -> incident_rec_t */
#define DB_OUTBOX    "outbox"       /* evidence id -> encoded evidence (unacknowledged) */
#define DB_EVIDENCE  "evidence"     /* evidence id -> u8 len || verdict || encoded evidence */
#define DB_MEMBERS   "members"      /* member id -> member_rec_t (our own id: our
                                       incarnation, restored at start) */
static const char *const s_dbs [] = { DB_REPORTS, DB_INCIDENTS, DB_OUTBOX, DB_EVIDENCE,
                                      DB_MEMBERS, NULL };

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

/*  Outgoing connection to one peer.  libzmq never re-dials a CURVE
    connection the server's ZAP handler refused (a peer that did not know
    us yet), so a monitor watches the handshake and a refused connection is
    closed and dialled again after a back-off. */
typedef struct {
    zsock_t *sock;                          /* DEALER, CurveZMQ client; NULL while backing off */
    zsock_t *mon;                           /* PAIR receiving sock's handshake events */
    char endpoint [NINES_ENDPOINT_MAX];     /* connected to */
    uint8_t id [NINES_ID_BYTES];            /* the peer */
    uint64_t retry_at;                      /* no new socket before (ms) */
    uint64_t backoff;                       /* next back-off after a refusal (ms) */
} peer_conn_t;

#define REDIAL_MIN_MS   250                 /* first re-dial delay after a refused handshake */
#define REDIAL_MAX_MS   10000               /* cap */

/*  Last heartbeat timings per pod (index = registry order). */
typedef struct {
    uint32_t connect_us;                    /* TCP connect done */
    uint32_t tls_us;                        /* TLS done */
    uint32_t ttfb_us;                       /* first byte */
    uint32_t total_us;                      /* whole heartbeat */
    uint64_t cert_not_after_ms;             /* the facade certificate's notAfter, Unix ms (0: unknown) */
    uint16_t http_status;                   /* HTTP status, 0 if none */
} pod_timing_t;

struct _nines_node_t {
    nines_node_config_t cfg;                /* configuration */
    nines_keypair_t kp;                     /* validator key */
    zcert_t *cert;                          /* derived CurveZMQ pair */
    nines_store_t *store;                   /* LMDB */
    nines_engine_t *engine;                 /* protocol engine */
    nines_prober_t *prober;                 /* heartbeats */
    nines_registry_t *reg;                  /* current registry (owned) */
    uint8_t (*curve_allow) [NINES_CURVE_BYTES]; /* registered curve keys, sorted */
    uint32_t *curve_idx;                    /* their validators[] index */
    size_t n_curve;                         /* entries */
    pod_timing_t *timings;                  /* per registry pod */
    zsock_t *zap;                           /* ZAP handler (REP) */
    zsock_t *peer;                          /* peer ROUTER */
    zsock_t *query;                         /* query ROUTER */
    zsock_t *pub;                           /* report PUB */
    zsock_t *ledger;                        /* ledger DEALER or NULL */
    zsock_t *ledger_sub;                    /* ledger SUB or NULL */
    zhashx_t *conns;                        /* hex id -> peer_conn_t */
    nines_report_t *scratch;                /* decode buffer for reports */
    nines_evidence_t *ev_scratch;           /* decode buffer for evidence */
    bool isolated;                          /* fault hook state */
    bool registry_pending;                  /* a registry request is out */
    uint64_t registry_asked_ms;             /* when */
    uint64_t next_members_ms;               /* next membership snapshot */
    uint64_t started_ms;                    /* start time */
    uint64_t zap_refused;                   /* CURVE clients refused */
    nines_ratelimit_t refused_log;          /* their log lines (anyone can cause them) */
    uint64_t peer_spoofed;                  /* frames whose from != ZAP user */
    uint64_t peer_bad;                      /* peer messages with a wrong frame count */
    uint64_t query_bad;                     /* malformed query requests */
    uint64_t probe_ok;                      /* verified heartbeats */
    bool restored;                          /* persisted state re-loaded */
    uint8_t ledger_id [NINES_ID_BYTES];     /* ledger key (signs canaries) */
    bool has_ledger_id;                     /* ledger_id known (registry reply) */
    uint8_t canary [NINES_HASH_BYTES];      /* last canary countersigned */
    uint64_t canaries;                      /* canaries countersigned */
    uint32_t mon_seq;                       /* monitor endpoint counter */
    bool peer_bound;                        /* peer ROUTER bound (after the first registry) */
    bool fatal;                             /* stop the loop: cannot go on */
    uint64_t redials;                       /* refused handshakes re-dialled */
    bool dg_listening;                      /* doppelganger protection: listening, as last logged */
    bool dg_detected;                       /* another instance with our key was logged */
    char bind_error [256];                  /* why the peer socket did not bind */
    uint64_t ledger_reply_ms;               /* last reply from the ledger, 0 never */
    nines_metrics_http_t *metrics_http;     /* GET /metrics listener or NULL */
    nines_metrics_t *metrics;               /* its registry */
    nines_metric_t *m_success, *m_duration, *m_status, *m_heartbeats, *m_pods, *m_rounds,
                   *m_votes, *m_reports, *m_peers, *m_degraded, *m_outbox, *m_submitted,
                   *m_ledger_up, *m_version, *m_epoch, *m_refused, *m_misbehaviour,
                   *m_canaries, *m_cert, *m_down, *m_doppelganger; /* its families (s_metrics_init) */
};

static void s_restore (nines_node_t *self);
static void s_metrics_probe (nines_node_t *self, const nines_probe_result_t *r);

/*  ---- configuration ---- */

static int
s_cfg_str (nines_config_t *cfg, const char *key, const char *def, char *out, size_t size,
           char *err, size_t err_size)
{
    const char *v = nines_config_str (cfg, key, def);
    if (strlen (v) >= size) {
        snprintf (err, err_size, "%s: expected at most %zu characters", key, size - 1);
        return NINES_ECONFIG;
    }
    strcpy (out, v);
    return 0;
}

static int
s_cfg_endpoint (nines_config_t *cfg, const char *key, const char *def, char *out,
                char *err, size_t err_size, bool optional)
{
    int rc = s_cfg_str (cfg, key, def, out, NINES_ENDPOINT_MAX, err, err_size);
    if (rc)
        return rc;
    if (optional && !*out)
        return 0;
    if (strncmp (out, "tcp://", 6) && strncmp (out, "ipc://", 6) && strncmp (out, "inproc://", 9)) {
        snprintf (err, err_size, "%s: expected a ZMQ endpoint like tcp://127.0.0.1:7402, got '%s'",
                  key, out);
        return NINES_ECONFIG;
    }
    return 0;
}

int
nines_node_config_load (nines_config_t *cfg, nines_node_config_t *o, char *err, size_t err_size)
{
    memset (o, 0, sizeof *o);
    nines_prober_config_default (&o->prober);
    nines_engine_config_default (&o->engine);
    nines_engine_config_t *e = &o->engine;
    uint64_t v;
    int rc = 0;
#define STR(k, d, f) if (!rc) rc = s_cfg_str (cfg, k, d, o->f, sizeof o->f, err, err_size)
#define EP(k, d, f, opt) if (!rc) rc = s_cfg_endpoint (cfg, k, d, o->f, err, err_size, opt)
#define CHK(call) if (!rc && (rc = (call))) snprintf (err, err_size, "%s", nines_config_error (cfg))
    STR ("node/key", "validator.key", key);
    STR ("node/data", "/var/lib/ninesd", data);
    EP ("node/peer", NINES_NODE_DEFAULT_PEER, peer, false);
    EP ("node/query", NINES_NODE_DEFAULT_QUERY, query, false);
    EP ("node/pub", NINES_NODE_DEFAULT_PUB, pub, false);
    STR ("node/registry", "", registry);
    STR ("node/metrics", "", metrics);
    EP ("node/ledger", "", ledger, true);
    EP ("node/ledger_pub", "", ledger_pub, true);
    STR ("prober/user_agent", "Mozilla/5.0 (X11; Linux x86_64)", user_agent);
    CHK (nines_config_u64 (cfg, "node/map_size", 1ULL << 30, 1ULL << 20, 1ULL << 40, &o->map_size));
    CHK (nines_config_duration_ms (cfg, "node/registry_refresh", 30000, 100, 86400000, &o->registry_refresh_ms));
    CHK (nines_config_bool (cfg, "node/fault_hooks", false, &o->fault_hooks));
    CHK (nines_config_u64 (cfg, "node/metrics_pods", 1000, 1, 1000000, &o->metrics_pods));
    CHK (nines_config_u64 (cfg, "prober/connections", 256, 1, 4096, &v));
    o->prober.connections = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "prober/per_host", 4, 1, 1024, &v));
    o->prober.per_host = (uint32_t) v;
    CHK (nines_config_duration_ms (cfg, "prober/connect_timeout", 2000, 10, 600000, &o->prober.connect_timeout_ms));
    CHK (nines_config_duration_ms (cfg, "engine/swim_period", e->swim_period_ms, 10, 600000, &e->swim_period_ms));
    CHK (nines_config_duration_ms (cfg, "engine/swim_ack_timeout", e->swim_ack_timeout_ms, 1, 600000, &e->swim_ack_timeout_ms));
    CHK (nines_config_u64 (cfg, "engine/swim_k", e->swim_k, 0, 64, &v));
    e->swim_k = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/swim_suspect_periods", e->swim_suspect_periods, 1, 1000, &v));
    e->swim_suspect_periods = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/lhm_max", e->lhm_max, 1, 1000, &v));
    e->lhm_max = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/gossip_fanout", e->gossip_fanout, 0, 100000, &v));
    e->gossip_fanout = (uint32_t) v;
    const char *scope = nines_config_str (cfg, "engine/report_scope", "all");
    if (!rc && nines_report_scope_parse (scope, &e->report_scope)) {
        snprintf (err, err_size, "engine/report_scope: expected all or committee, got '%s'", scope);
        rc = NINES_ECONFIG;
    }
    CHK (nines_config_duration_ms (cfg, "engine/submit_backoff", e->submit_backoff_ms, 1, 86400000, &e->submit_backoff_ms));
    CHK (nines_config_duration_ms (cfg, "engine/submit_backoff_max", e->submit_backoff_max_ms, 1, 86400000, &e->submit_backoff_max_ms));
    CHK (nines_config_u64 (cfg, "engine/health_window", e->health_window, 1, NINES_HEALTH_MAX, &v));
    e->health_window = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/health_min_pods", e->health_min_pods, 1, 100000, &v));
    e->health_min_pods = (uint32_t) v;
    CHK (nines_config_ppm (cfg, "engine/health_fail", e->health_fail_ppm, &e->health_fail_ppm));
    CHK (nines_config_u64 (cfg, "engine/max_reports", e->max_reports, 1, 1000000, &v));
    e->max_reports = (uint32_t) v;
    CHK (nines_config_u64 (cfg, "engine/doppelganger_epochs", e->doppelganger_epochs, 0, 1000, &v));
    e->doppelganger_epochs = (uint32_t) v;
#undef STR
#undef EP
#undef CHK
    if (rc)
        return NINES_ECONFIG;
    /*  Simulated adversaries (nines-sim minority-liars): only with the
        fault hooks on, so a production node cannot be made to lie by one
        stray config line. */
    const char *behaviour = nines_config_str (cfg, "node/behaviour", "honest");
    if (nines_behaviour_parse (behaviour, &o->behaviour) || (o->behaviour != NINES_BEHAVE_HONEST && !o->fault_hooks)) {
        snprintf (err, err_size, "node/behaviour: expected honest, or always_down, always_up, silent "
                  "or equivocate with node/fault_hooks = 1, got '%s'", behaviour);
        return NINES_ECONFIG;
    }
    if (!o->registry [0] && !o->ledger [0]) {
        snprintf (err, err_size, "node/registry: expected a registry snapshot file or node/ledger "
                  "(an endpoint), got neither");
        return NINES_ECONFIG;
    }
    o->prober.user_agent = o->user_agent;
    return 0;
}

/*  ---- helpers ---- */

static uint64_t
s_now (void)
{
    return (uint64_t) zclock_time ();
}

static void
s_be64 (uint8_t out [8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out [i] = (uint8_t) v;
}

static uint64_t
s_get_le64 (const uint8_t in [8])
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | in [i];
    return v;
}

static uint64_t
s_get_be64 (const uint8_t in [8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in [i];
    return v;
}

static void
s_conn_close (peer_conn_t *c)
{
    if (c->sock)
        zmq_socket_monitor (zsock_resolve (c->sock), NULL, 0);
    zsock_destroy (&c->mon);
    zsock_destroy (&c->sock);
}

static void
s_conn_destroy (void **item)
{
    peer_conn_t *c = (peer_conn_t *) *item;
    if (c) {
        s_conn_close (c);
        free (c);
    }
    *item = NULL;
}

/*  Dial c->endpoint with a handshake monitor.  0 or -1. */
static int
s_conn_open (nines_node_t *self, peer_conn_t *c)
{
    uint8_t server [NINES_CURVE_BYTES];
    if (nines_id_to_curve (c->id, server))
        return -1;
    c->sock = zsock_new (ZMQ_DEALER);
    if (!c->sock)
        return -1;
    zsock_set_linger (c->sock, 0);
    zsock_set_sndhwm (c->sock, PEER_HWM);
    zsock_set_maxmsgsize (c->sock, NINES_PEER_MSG_MAX);   /* before connect, or ignored */
    zcert_apply (self->cert, c->sock);
    zsock_set_curve_serverkey_bin (c->sock, server);
    char ep [64];
    snprintf (ep, sizeof ep, "inproc://nines-peer-mon-%u", ++self->mon_seq);
    if (zmq_socket_monitor (zsock_resolve (c->sock), ep,
                            ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED) == 0) {
        c->mon = zsock_new (ZMQ_PAIR);
        if (c->mon && zsock_connect (c->mon, "%s", ep) != 0)
            zsock_destroy (&c->mon);
    }
    if (zsock_connect (c->sock, "%s", c->endpoint) != 0) {
        char hex [NINES_ID_HEX];
        nines_warn ("peer %.16s: bad endpoint %s", nines_hex (hex, c->id, NINES_ID_BYTES), c->endpoint);
        s_conn_close (c);
        return -1;
    }
    return 0;
}

/*  A handshake event on c's monitor. */
static void
s_on_monitor (nines_node_t *self, peer_conn_t *c)
{
    zmsg_t *ev = zmsg_recv (c->mon);
    zframe_t *f = ev ? zmsg_first (ev) : NULL;
    uint16_t event = 0;
    if (f && zframe_size (f) >= 2)
        memcpy (&event, zframe_data (f), 2);
    zmsg_destroy (&ev);
    if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        c->backoff = 0;
        return;
    }
    if (!(event & (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                 | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)))
        return;
    c->backoff = c->backoff ? (c->backoff * 2 > REDIAL_MAX_MS ? REDIAL_MAX_MS : c->backoff * 2)
                            : REDIAL_MIN_MS;
    c->retry_at = s_now () + c->backoff;
    self->redials++;
    char hex [NINES_ID_HEX];
    nines_info ("peer %.16s refused our handshake (it may not know us yet): re-dialling in %" PRIu64 " ms",
                nines_hex (hex, c->id, NINES_ID_BYTES), c->backoff);
    s_conn_close (c);
}

static int
s_curve_cmp (const void *a, const void *b)
{
    return memcmp (a, b, NINES_CURVE_BYTES);
}

/*  Bind the CurveZMQ peer ROUTER.  Done once the first registry is in:
    a connection our ZAP handler refused is never re-dialled by libzmq, so
    peers must find the port closed (and retry) until we can admit them. */
static void
s_bind_peer (nines_node_t *self)
{
    self->peer = zsock_new (ZMQ_ROUTER);
    if (!self->peer) {
        snprintf (self->bind_error, sizeof self->bind_error, "cannot create the peer socket");
        return;
    }
    zsock_set_linger (self->peer, 0);
    zcert_apply (self->cert, self->peer);
    zsock_set_curve_server (self->peer, 1);
    zsock_set_zap_domain (self->peer, ZAP_DOMAIN);
    zsock_set_maxmsgsize (self->peer, NINES_PEER_MSG_MAX);   /* before bind, or ignored */
    zsock_set_rcvhwm (self->peer, 10000);
    if (zsock_bind (self->peer, "%s", self->cfg.peer) < 0) {
        snprintf (self->bind_error, sizeof self->bind_error, "cannot bind the peer socket to %s: %s",
                  self->cfg.peer, zmq_strerror (zmq_errno ()));
        zsock_destroy (&self->peer);
        return;
    }
    self->peer_bound = true;
}

/*  Install a new registry: engine, ZAP allow list, per-pod timings, and
    drop connections to peers that left or moved. */
static void
s_set_registry (nines_node_t *self, nines_registry_t *reg)
{
    nines_registry_t *old = self->reg;
    self->reg = reg;
    nines_engine_set_registry (self->engine, reg, s_now ());
    nines_registry_destroy (&old);

    free (self->curve_allow);
    free (self->curve_idx);
    self->n_curve = 0;
    self->curve_allow = calloc (reg->n_validators + 1, sizeof *self->curve_allow);
    self->curve_idx = calloc (reg->n_validators + 1, sizeof *self->curve_idx);
    /*  Keys and indices sorted together: sort (key || index) records. */
    uint8_t (*rec) [NINES_CURVE_BYTES + 4] = calloc (reg->n_validators + 1, sizeof *rec);
    if (self->curve_allow && self->curve_idx && rec) {
        size_t n = 0;
        for (size_t i = 0; i < reg->n_validators; i++) {
            if (nines_id_eq (reg->validators [i].id, self->kp.pk))
                continue;
            if (nines_id_to_curve (reg->validators [i].id, rec [n]))
                continue;
            uint32_t idx = (uint32_t) i;
            memcpy (rec [n] + NINES_CURVE_BYTES, &idx, 4);
            n++;
        }
        if (n)
            qsort (rec, n, sizeof *rec, s_curve_cmp);
        for (size_t i = 0; i < n; i++) {
            memcpy (self->curve_allow [i], rec [i], NINES_CURVE_BYTES);
            memcpy (&self->curve_idx [i], rec [i] + NINES_CURVE_BYTES, 4);
        }
        self->n_curve = n;
    }
    free (rec);

    free (self->timings);
    self->timings = calloc (reg->n_pods + 1, sizeof *self->timings);

    /*  Drop connections whose validator left or changed endpoint. */
    zlistx_t *keys = zhashx_keys (self->conns);
    for (const char *k = (const char *) zlistx_first (keys); k; k = (const char *) zlistx_next (keys)) {
        uint8_t id [NINES_ID_BYTES];
        peer_conn_t *c = (peer_conn_t *) zhashx_lookup (self->conns, k);
        const nines_validator_info_t *v = NULL;
        if (nines_unhex (id, sizeof id, k) == 0)
            v = nines_registry_validator (reg, id);
        if (!v || strcmp (v->endpoint, c->endpoint))
            zhashx_delete (self->conns, k);
    }
    zlistx_destroy (&keys);

    const nines_validator_info_t *me = nines_registry_validator (reg, self->kp.pk);
    if (!me)
        nines_warn ("this validator is not in the registry (version %" PRIu64 "): it will not "
                    "be in any committee", reg->version);
    else
    if (strcmp (me->endpoint, self->cfg.peer))
        nines_warn ("registered endpoint %s differs from node/peer %s: peers will not reach us",
                    me->endpoint, self->cfg.peer);
    nines_info ("registry version %" PRIu64 ": %zu validators, %zu pods",
                reg->version, reg->n_validators, reg->n_pods);
    if (!self->peer_bound && self->zap) {
        s_bind_peer (self);
        if (!self->peer_bound) {
            nines_error ("%s", self->bind_error);
            self->fatal = true;
        }
    }
    /*  Parsing a large snapshot leaves freed heap behind (zconfig trees,
        msgpack zones): give it back so RSS tracks what is really held. */
    malloc_trim (0);
    /*  Stored reports rebuild incident state, which needs the pods: restore
        once the first registry is in (from the file, or from the ledger). */
    if (!self->restored) {
        self->restored = true;
        s_restore (self);
    }
}

static void
s_send_peer (nines_node_t *self, const uint8_t id [NINES_ID_BYTES], const uint8_t *data, size_t len)
{
    if (!self->reg)
        return;
    char hex [NINES_ID_HEX];
    nines_hex (hex, id, NINES_ID_BYTES);
    peer_conn_t *c = (peer_conn_t *) zhashx_lookup (self->conns, hex);
    if (!c) {
        const nines_validator_info_t *v = nines_registry_validator (self->reg, id);
        if (!v)
            return;
        c = (peer_conn_t *) calloc (1, sizeof *c);
        if (!c)
            return;
        memcpy (c->id, id, NINES_ID_BYTES);
        snprintf (c->endpoint, sizeof c->endpoint, "%s", v->endpoint);
        zhashx_insert (self->conns, hex, c);
    }
    if (!c->sock) {
        if (s_now () < c->retry_at)
            return;                 /* backing off after a refused handshake */
        if (s_conn_open (self, c)) {
            c->retry_at = s_now () + REDIAL_MAX_MS;
            return;
        }
    }
    if (zmq_send (zsock_resolve (c->sock), data, len, ZMQ_DONTWAIT) < 0)
        nines_debug ("peer %.16s: send dropped (%s)", hex, zmq_strerror (zmq_errno ()));
}

/*  ---- persistence ---- */

typedef struct {
    uint8_t key [NINES_ID_BYTES + 8];       /* latest open incident found */
    bool found;                             /* key set */
    uint64_t t_up;                          /* the UP report's time */
} open_scan_t;

static int
s_find_open (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    open_scan_t *scan = (open_scan_t *) arg;
    if (klen != NINES_ID_BYTES + 8 || vlen != sizeof (incident_rec_t))
        return 0;
    const incident_rec_t *rec = (const incident_rec_t *) v;
    uint64_t t_down = s_get_be64 ((const uint8_t *) k + NINES_ID_BYTES);
    if (s_get_le64 (rec->t_up) == 0 && t_down <= scan->t_up) {
        memcpy (scan->key, k, sizeof scan->key);
        scan->found = true;
    }
    return 0;
}

static void
s_store_incident (nines_node_t *self, const nines_report_t *r)
{
    uint8_t key [NINES_ID_BYTES + 8];
    memcpy (key, r->pod, NINES_ID_BYTES);
    if (r->kind == NINES_REPORT_DOWN) {
        s_be64 (key + NINES_ID_BYTES, r->t_ms);
        incident_rec_t rec;
        memset (&rec, 0, sizeof rec);
        memcpy (rec.down_round, r->round_id, NINES_HASH_BYTES);
        void *old = NULL;
        size_t olen = 0;
        if (nines_store_get (self->store, DB_INCIDENTS, key, sizeof key, &old, &olen) == 0) {
            free (old);
            return;     /* already known */
        }
        nines_store_put (self->store, DB_INCIDENTS, key, sizeof key, &rec, sizeof rec);
        return;
    }
    /*  UP: close the latest open incident of the pod that began before it
        (keys are pod || be64(t_down), so the scan runs in time order). */
    open_scan_t scan = { .found = false, .t_up = r->t_ms };
    nines_store_iter_prefix (self->store, DB_INCIDENTS, r->pod, NINES_ID_BYTES, s_find_open, &scan);
    if (!scan.found)
        return;
    void *val = NULL;
    size_t vlen = 0;
    if (nines_store_get (self->store, DB_INCIDENTS, scan.key, sizeof scan.key, &val, &vlen)
    ||  vlen != sizeof (incident_rec_t)) {
        free (val);
        return;
    }
    incident_rec_t rec;
    memcpy (&rec, val, sizeof rec);
    free (val);
    nines_le64 (rec.t_up, r->t_ms);
    memcpy (rec.up_round, r->round_id, NINES_HASH_BYTES);
    nines_store_put (self->store, DB_INCIDENTS, scan.key, sizeof scan.key, &rec, sizeof rec);
}

/*  Weight of the signers of a report (isqrt(stake) each, registry now). */
static uint64_t
s_report_weight (nines_node_t *self, const nines_report_t *r)
{
    uint64_t w = 0;
    for (uint16_t i = 0; self->reg && i < r->n_votes; i++) {
        const nines_validator_info_t *v = nines_registry_validator (self->reg, r->votes [i].body.validator);
        if (v)
            w += nines_validator_weight (v);
    }
    return w;
}

static void
s_publish_report (nines_node_t *self, const nines_report_t *r, const uint8_t *data, size_t len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 7);
    nines_pack_kv_str (&pk, "kind", r->kind == NINES_REPORT_DOWN ? "down" : "up");
    nines_pack_kv_bin (&pk, "pod", r->pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (&pk, "epoch", r->epoch);
    nines_pack_kv_u64 (&pk, "t_ms", r->t_ms);
    nines_pack_kv_bin (&pk, "round_id", r->round_id, NINES_HASH_BYTES);
    nines_pack_kv_u64 (&pk, "signers", r->n_votes);
    nines_pack_kv_bin (&pk, "report", data, len);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "report");
    zmsg_addmem (msg, sb.data, sb.size);
    zmsg_send (&msg, self->pub);
    msgpack_sbuffer_destroy (&sb);
}

/*  A report may add evidence to the engine's outbox (submitted later, after
    a back-off, by everyone but the report's former): write it to LMDB now,
    so a crash before the first submission loses nothing. */
static void
s_persist_outbox (nines_node_t *self)
{
    size_t n = nines_engine_outbox (self->engine, NULL, 0);
    const nines_evidence_t **evs = (const nines_evidence_t **) calloc (n + 1, sizeof *evs);
    if (!evs)
        return;
    n = nines_engine_outbox (self->engine, evs, n);
    size_t cap = NINES_EVIDENCE_MAX;
    uint8_t *buf = (uint8_t *) malloc (cap);
    for (size_t i = 0; buf && i < n; i++) {
        uint8_t id [NINES_HASH_BYTES];
        nines_evidence_id (evs [i], id);
        void *old = NULL;
        size_t olen = 0, len = 0;
        if (nines_store_get (self->store, DB_OUTBOX, id, sizeof id, &old, &olen) == 0) {
            free (old);
            continue;
        }
        if (nines_evidence_encode (evs [i], buf, cap, &len) == 0)
            nines_store_put (self->store, DB_OUTBOX, id, sizeof id, buf, len);
    }
    free (buf);
    free (evs);
}

static void
s_on_report (nines_node_t *self, const nines_action_t *a)
{
    if (nines_report_decode (a->data, a->len, self->scratch)) {
        nines_warn ("engine emitted an undecodable report (bug)");
        return;
    }
    const nines_report_t *r = self->scratch;
    int rc = nines_store_put (self->store, DB_REPORTS, a->key, NINES_HASH_BYTES, a->data, a->len);
    if (rc)
        nines_error ("cannot store report: %s", nines_strerror (rc));
    s_store_incident (self, r);
    if (self->metrics)
        nines_metric_inc (self->m_reports, (const char *[]) { r->kind == NINES_REPORT_DOWN ? "down" : "up" }, 1);
    char pod [NINES_ID_HEX];
    nines_info ("%s report: pod %.16s epoch %" PRIu64 " t_ms %" PRIu64 " signers %u",
                r->kind == NINES_REPORT_DOWN ? "DOWN" : "UP", nines_hex (pod, r->pod, NINES_ID_BYTES),
                r->epoch, r->t_ms, (unsigned) r->n_votes);
    s_publish_report (self, r, a->data, a->len);
    s_persist_outbox (self);
}

static void
s_on_submit (nines_node_t *self, const nines_action_t *a)
{
    /*  In the outbox first: on disk before the ledger can acknowledge it. */
    int rc = nines_store_put (self->store, DB_OUTBOX, a->key, NINES_HASH_BYTES, a->data, a->len);
    if (rc)
        nines_error ("cannot store evidence in the outbox: %s", nines_strerror (rc));
    if (!self->ledger) {
        nines_debug ("evidence waiting in the outbox: no ledger configured");
        return;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 3);
    nines_pack_kv_str (&pk, "op", NINES_LEDGER_OP_SUBMIT_EVIDENCE);
    nines_pack_kv_bin (&pk, "evidence", a->data, a->len);
    nines_pack_kv_bin (&pk, "from", self->kp.pk, NINES_ID_BYTES);
    if (zmq_send (zsock_resolve (self->ledger), sb.data, sb.size, ZMQ_DONTWAIT) < 0)
        nines_debug ("ledger send dropped: %s", zmq_strerror (zmq_errno ()));
    msgpack_sbuffer_destroy (&sb);
}

/*  Doppelganger protection (core/engine.h): say when the listening after
    start ends, and once, loudly, when another instance with our key shows
    up (the engine then signs no vote and opens no round again). */
static void
s_doppelganger_log (nines_node_t *self)
{
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    if (self->dg_listening && !st.listening && !st.doppelganger)
        nines_info ("doppelganger protection: no vote signed with this key by another instance "
                    "in %u epochs: voting", self->cfg.engine.doppelganger_epochs);
    self->dg_listening = st.listening;
    if (st.doppelganger && !self->dg_detected) {
        self->dg_detected = true;
        char hex [NINES_ID_HEX];
        nines_error ("DOPPELGANGER: another instance runs with validator key %s (a vote signed with it "
                     "reached us that this process did not sign): this process votes in no round and "
                     "opens none until restarted; stop one of the two, then restart this one",
                     nines_hex (hex, self->kp.pk, NINES_ID_BYTES));
    }
}

static void
s_drain (nines_node_t *self)
{
    nines_action_t a;
    while (nines_engine_next_action (self->engine, &a)) {
        switch (a.type) {
            case NINES_ACT_SEND:
                s_send_peer (self, a.peer, a.data, a.len);
                break;
            case NINES_ACT_PROBE: {
                uint64_t now = s_now ();
                const nines_pod_info_t *pod = self->reg ? nines_registry_pod (self->reg, a.pod) : NULL;
                int rc = NINES_EUNKNOWN;
                if (pod && !self->isolated)
                    rc = nines_prober_start (self->prober, &self->kp, pod, a.probe_id,
                                             a.timeout_ms ? a.timeout_ms : self->reg->params.probe_timeout_ms,
                                             now);
                if (rc) {
                    if (!self->isolated) {
                        char hex [NINES_ID_HEX];
                        nines_warn ("pod %.16s: cannot probe: %s",
                                    nines_hex (hex, a.pod, NINES_ID_BYTES), nines_strerror (rc));
                    }
                    nines_engine_on_probe_done (self->engine, a.probe_id,
                                                self->isolated ? NINES_OUTCOME_TIMEOUT : NINES_OUTCOME_HTTP,
                                                NULL, NULL, 0, now);
                }
                break;
            }
            case NINES_ACT_REPORT:
                s_on_report (self, &a);
                break;
            case NINES_ACT_SUBMIT:
                s_on_submit (self, &a);
                break;
            case NINES_ACT_MISBEHAVIOUR:
                nines_warn ("equivocation detected: a validator signed conflicting votes");
                break;
        }
        nines_action_clear (&a);
    }
    s_doppelganger_log (self);
}

static void
s_probe_done (const nines_probe_result_t *r, void *arg)
{
    nines_node_t *self = (nines_node_t *) arg;
    if (r->outcome == NINES_OUTCOME_OK)
        self->probe_ok++;
    s_metrics_probe (self, r);
    if (self->reg && self->timings) {
        const nines_pod_info_t *p = nines_registry_pod (self->reg, r->pod);
        if (p) {
            pod_timing_t *t = &self->timings [p - self->reg->pods];
            t->connect_us = (uint32_t) r->connect_us;
            t->tls_us = (uint32_t) r->tls_us;
            t->ttfb_us = (uint32_t) r->ttfb_us;
            t->total_us = (uint32_t) r->total_us;
            if (r->cert_not_after_ms)
                t->cert_not_after_ms = r->cert_not_after_ms;
            t->http_status = (uint16_t) r->http_status;
        }
    }
    if (r->outcome != NINES_OUTCOME_OK) {
        char hex [NINES_ID_HEX];
        nines_debug ("pod %.16s: heartbeat %s (curl %d, http %ld, %" PRIu64 " us)",
                     nines_hex (hex, r->pod, NINES_ID_BYTES), nines_outcome_name (r->outcome),
                     r->curl_code, r->http_status, r->total_us);
    }
    bool signed_resp = r->outcome == NINES_OUTCOME_OK || r->outcome == NINES_OUTCOME_APP_UNHEALTHY;
    nines_engine_on_probe_done (self->engine, r->probe_id, r->outcome,
                                signed_resp ? &r->resp : NULL, signed_resp ? r->nonce : NULL,
                                signed_resp ? r->req_t_ms : 0, s_now ());
}

/*  ---- ledger ---- */

static void
s_ask_registry (nines_node_t *self)
{
    uint8_t *req = NULL;
    size_t len = 0;
    if (nines_ledger_req_simple (NINES_LEDGER_OP_REGISTRY, NULL, &req, &len) == 0) {
        if (zmq_send (zsock_resolve (self->ledger), req, len, ZMQ_DONTWAIT) >= 0) {
            self->registry_pending = true;
            self->registry_asked_ms = s_now ();
        }
    }
    free (req);
}

/*  Countersign the ledger's canary (DESIGN.md section 8: only validators
    that answer the period's canary share its fees).  msg is a PUB canary
    map or a `canary` op reply; its signature is checked against the
    ledger key from the registry reply. */
static void
s_on_canary (nines_node_t *self, const uint8_t *msg, size_t len)
{
    if (!self->ledger || !self->has_ledger_id)
        return;
    uint8_t id [NINES_HASH_BYTES];
    uint64_t period = 0, deadline = 0;
    int rc = nines_ledger_parse_canary (msg, len, self->ledger_id, id, &period, &deadline);
    if (rc) {
        if (rc != NINES_ENOTFOUND)
            nines_warn ("ledger canary refused: %s", nines_strerror (rc));
        return;
    }
    if (memcmp (id, self->canary, sizeof id) == 0 || s_now () > deadline)
        return;
    uint8_t *req = NULL;
    size_t rlen = 0;
    if (nines_ledger_req_canary_sign (&self->kp, id, &req, &rlen) == 0
    &&  zmq_send (zsock_resolve (self->ledger), req, rlen, ZMQ_DONTWAIT) >= 0) {
        memcpy (self->canary, id, sizeof id);
        self->canaries++;
        nines_info ("countersigned the ledger's canary of period %" PRIu64, period);
    }
    free (req);
}

static void
s_on_ledger_reply (nines_node_t *self, const uint8_t *data, size_t len)
{
    uint8_t id [NINES_HASH_BYTES];
    char verdict [32] = "", reason [256] = "";
    /*  Replies are told apart by their keys: an evidence ack has an id and
        a verdict, a registry params, a canary deadline_ms. */
    self->ledger_reply_ms = s_now ();
    int rc = nines_ledger_parse_ack (data, len, id, verdict, sizeof verdict, reason, sizeof reason);
    if (rc == NINES_ESTATE) {
        self->registry_pending = false;
        nines_warn ("ledger refused a request: %s", reason [0] ? reason : "(no reason)");
        return;
    }
    if (rc == 0 && verdict [0]) {
        /*  Acknowledged: record the verdict, then leave the outbox. */
        void *ev = NULL;
        size_t evlen = 0;
        if (nines_store_get (self->store, DB_OUTBOX, id, sizeof id, &ev, &evlen) == 0) {
            size_t vlen = strlen (verdict);
            uint8_t *rec = (uint8_t *) malloc (1 + vlen + evlen);
            if (rec) {
                rec [0] = (uint8_t) vlen;
                memcpy (rec + 1, verdict, vlen);
                memcpy (rec + 1 + vlen, ev, evlen);
                nines_store_put (self->store, DB_EVIDENCE, id, sizeof id, rec, 1 + vlen + evlen);
                free (rec);
            }
            free (ev);
            nines_store_del (self->store, DB_OUTBOX, id, sizeof id);
        }
        nines_engine_on_ack (self->engine, id);
        if (self->metrics)
            nines_metric_inc (self->m_submitted, (const char *[]) { verdict }, 1);
        char hex [NINES_ID_HEX];
        bool why = reason [0] && strcmp (reason, "NINES_OK") != 0;
        nines_info ("evidence %.16s acknowledged: %s%s%s", nines_hex (hex, id, sizeof id),
                    verdict, why ? " " : "", why ? reason : "");
        return;
    }
    nines_registry_t *reg = NULL;
    uint8_t ledger_id [NINES_ID_BYTES];
    rc = nines_ledger_parse_registry (data, len, &reg, ledger_id);
    if (rc == 0) {
        self->registry_pending = false;
        memcpy (self->ledger_id, ledger_id, sizeof ledger_id);
        bool first = !self->has_ledger_id;
        self->has_ledger_id = true;
        if (!self->reg || reg->version != self->reg->version)
            s_set_registry (self, reg);
        else
            nines_registry_destroy (&reg);
        if (first) {
            /*  A canary published before we subscribed: ask for it. */
            uint8_t *req = NULL;
            size_t rlen = 0;
            if (nines_ledger_req_simple (NINES_LEDGER_OP_CANARY, NULL, &req, &rlen) == 0)
                zmq_send (zsock_resolve (self->ledger), req, rlen, ZMQ_DONTWAIT);
            free (req);
        }
        return;
    }
    uint64_t period, deadline;
    if (nines_ledger_parse_canary (data, len, NULL, id, &period, &deadline) == 0) {
        s_on_canary (self, data, len);
        return;
    }
    nines_debug ("ledger reply of %zu bytes (a canary_sign answer, or no canary open)", len);
}

/*  ---- ZAP (RFC 27): admit only registered validators' curve keys ---- */

static void
s_on_zap (nines_node_t *self)
{
    zmsg_t *req = zmsg_recv (self->zap);
    if (!req)
        return;
    char *version = zmsg_popstr (req);
    char *request_id = zmsg_popstr (req);
    char *domain = zmsg_popstr (req);
    char *address = zmsg_popstr (req);
    char *identity = zmsg_popstr (req);
    char *mechanism = zmsg_popstr (req);
    zframe_t *cred = zmsg_pop (req);
    const char *status = "400", *text = "refused";
    char user [NINES_ID_HEX] = "";
    if (mechanism && !strcmp (mechanism, "NULL")) {
        status = "200";
        text = "OK";
    }
    else
    if (mechanism && !strcmp (mechanism, "CURVE") && cred && zframe_size (cred) == NINES_CURVE_BYTES) {
        const uint8_t *key = zframe_data (cred);
        const uint8_t (*hit) [NINES_CURVE_BYTES] = self->n_curve
            ? bsearch (key, self->curve_allow, self->n_curve, NINES_CURVE_BYTES, s_curve_cmp) : NULL;
        if (hit) {
            size_t i = (size_t) (hit - self->curve_allow);
            nines_hex (user, self->reg->validators [self->curve_idx [i]].id, NINES_ID_BYTES);
            status = "200";
            text = "OK";
        }
        else {
            self->zap_refused++;
            uint64_t held;
            if (nines_ratelimit_ok (&self->refused_log, s_now (), &held)) {
                if (held)
                    nines_warn ("refused a CurveZMQ peer from %s: key not registered (and %" PRIu64
                                " more since the last such line; %" PRIu64 " in all, status.peers_refused)",
                                address ? address : "?", held, self->zap_refused);
                else
                    nines_warn ("refused a CurveZMQ peer from %s: key not registered", address ? address : "?");
            }
        }
    }
    zmsg_t *rep = zmsg_new ();
    zmsg_addstr (rep, "1.0");
    zmsg_addstr (rep, request_id ? request_id : "");
    zmsg_addstr (rep, status);
    zmsg_addstr (rep, text);
    zmsg_addstr (rep, user);
    zmsg_addmem (rep, "", 0);
    zmsg_send (&rep, self->zap);
    zframe_destroy (&cred);
    free (version);
    free (request_id);
    free (domain);
    free (address);
    free (identity);
    free (mechanism);
    zmsg_destroy (&req);
}

/*  ---- peer frames ---- */

static void
s_on_peer (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->peer);
    if (!msg)
        return;
    zframe_t *rid = zmsg_first (msg);
    zframe_t *body = zmsg_next (msg);
    if (!rid || !body || zmsg_size (msg) != 2) {
        self->peer_bad++;
        zmsg_destroy (&msg);
        return;
    }
    /*  The frame's sender id (bytes 5..36 of [1, type, bin8(32) from, ...])
        must be the validator the ZAP handler admitted on this connection. */
    const uint8_t *d = zframe_data (body);
    size_t n = zframe_size (body);
    const char *user = zframe_meta (body, "User-Id");
    if (user && !(n >= 37 && d [0] == 0x95 && d [3] == 0xc4 && d [4] == NINES_ID_BYTES)) {
        /*  Our encoder always writes [fixarray 5, 1, type, bin8 32 from, ...];
            another layout could hide a different sender from this check. */
        self->peer_bad++;
        nines_debug ("peer %.16s sent a frame of %zu bytes that is not a peer message", user, n);
        zmsg_destroy (&msg);
        return;
    }
    if (user) {
        char from [NINES_ID_HEX];
        nines_hex (from, d + 5, NINES_ID_BYTES);
        if (strcmp (from, user)) {
            self->peer_spoofed++;
            nines_warn ("peer %.16s sent a frame claiming to be %.16s: dropped", user, from);
            zmsg_destroy (&msg);
            return;
        }
    }
    int rc = nines_engine_on_message (self->engine, d, n, s_now ());
    if (rc)
        nines_debug ("peer frame (%zu bytes) rejected: %s", n, nines_strerror (rc));
    s_drain (self);
    zmsg_destroy (&msg);
}

/*  ---- query socket (proto/QUERY.md) ---- */

static const char *
s_state_name (uint8_t state)
{
    return state == NINES_MEMBER_ALIVE ? "alive" : state == NINES_MEMBER_SUSPECT ? "suspect"
         : state == NINES_MEMBER_DEAD ? "dead" : "?";
}

/*  ---- GET /metrics (Prometheus text exposition, issue 12) ----

    Counters of events the daemon sees (heartbeats, phases, reports,
    evidence verdicts) are counted as they happen; everything the engine
    already keeps (rounds, votes, peers, outbox, degraded) is read at
    scrape time.  Per-pod series (success, HTTP status) are capped at
    node/metrics_pods pods, down pods first, so a validator watching
    100,000 pods stays a few thousand series unless asked for more; the
    per-state counts in nines_pods cover every pod. */

static const double s_phase_buckets [] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                           0.25, 0.5, 1, 2.5, 5, 10 };

#define MAX_VERDICTS 16                     /* ledger verdict strings counted */

static int
s_metrics_init (nines_node_t *self)
{
    nines_metrics_t *r = self->metrics = nines_metrics_new ();
    if (!r)
        return NINES_ENOMEM;
    uint32_t pods = (uint32_t) self->cfg.metrics_pods;
#define FAM(field, type, name, help, labels, max) \
    if (!(self->m_##field = nines_metrics_add (r, type, name, help, labels, max, NULL, 0))) return NINES_EINVAL
    FAM (success, NINES_METRIC_GAUGE, "nines_probe_success",
         "1 if this validator's last heartbeat to the pod succeeded (signed, healthy), else 0.", "pod", pods);
    self->m_duration = nines_metrics_add (r, NINES_METRIC_HISTOGRAM, "nines_probe_duration_seconds",
         "Heartbeat duration by phase (resolve, connect, tls, processing, transfer), seconds.",
         "phase", 5, s_phase_buckets, sizeof s_phase_buckets / sizeof s_phase_buckets [0]);
    if (!self->m_duration)
        return NINES_EINVAL;
    FAM (status, NINES_METRIC_GAUGE, "nines_probe_http_status_code",
         "HTTP status of the pod's last heartbeat (0: no response).", "pod", pods);
    FAM (down, NINES_METRIC_GAUGE, "nines_pod_down",
         "1 while a quorum DOWN report is open for the pod here (only down pods have a series).", "pod", pods);
    FAM (cert, NINES_METRIC_GAUGE, "nines_probe_ssl_earliest_cert_expiry",
         "notAfter of the pod facade's TLS certificate seen by the last handshake, seconds since the epoch.", "pod", pods);
    FAM (heartbeats, NINES_METRIC_COUNTER, "nines_heartbeats_total",
         "Heartbeats finished, by outcome.", "outcome", NINES_OUTCOME_COUNT + 1);
    FAM (pods, NINES_METRIC_GAUGE, "nines_pods",
         "Registered pods by state here (up, down: a DOWN report is open, unknown: not probed yet).", "state", 3);
    FAM (rounds, NINES_METRIC_COUNTER, "nines_rounds_total",
         "Confirmation rounds this validator opened, by result (down, up, failed: no quorum).", "result", 3);
    FAM (votes, NINES_METRIC_COUNTER, "nines_votes_total",
         "Votes this validator signed, by verdict.", "verdict", 3);
    FAM (reports, NINES_METRIC_COUNTER, "nines_reports_total",
         "Quorum reports accepted since start, by kind.", "kind", 2);
    FAM (peers, NINES_METRIC_GAUGE, "nines_peers",
         "Validators by SWIM state as this validator sees them.", "state", 3);
    FAM (degraded, NINES_METRIC_GAUGE, "nines_self_degraded",
         "1 while self-health says this validator's own network is bad (it abstains).", NULL, 1);
    FAM (doppelganger, NINES_METRIC_GAUGE, "nines_doppelganger_detected",
         "1 once another instance with this validator's key signed a vote (this one votes no more).",
         NULL, 1);
    FAM (outbox, NINES_METRIC_GAUGE, "nines_evidence_outbox",
         "Evidence waiting for the ledger's acknowledgement.", NULL, 1);
    FAM (submitted, NINES_METRIC_COUNTER, "nines_evidence_submitted_total",
         "Evidence the ledger acknowledged, by its verdict.", "result", MAX_VERDICTS);
    FAM (ledger_up, NINES_METRIC_GAUGE, "nines_ledger_up",
         "1 if the ledger answered within twice the registry refresh period; 0 if not; absent without a ledger.", NULL, 1);
    FAM (version, NINES_METRIC_GAUGE, "nines_registry_version",
         "Version of the registry in use.", NULL, 1);
    FAM (epoch, NINES_METRIC_GAUGE, "nines_epoch", "Current epoch.", NULL, 1);
    FAM (refused, NINES_METRIC_COUNTER, "nines_peer_handshakes_refused_total",
         "CurveZMQ handshakes refused (not a registered validator's key).", NULL, 1);
    FAM (misbehaviour, NINES_METRIC_COUNTER, "nines_misbehaviours_total",
         "Equivocations detected (a validator signed conflicting votes).", NULL, 1);
    FAM (canaries, NINES_METRIC_COUNTER, "nines_canaries_total",
         "Ledger canaries countersigned.", NULL, 1);
#undef FAM
    return 0;
}

/*  A finished heartbeat: outcome counter, phase histogram, HTTP status. */
static void
s_metrics_probe (nines_node_t *self, const nines_probe_result_t *r)
{
    if (!self->metrics)
        return;
    nines_metric_inc (self->m_heartbeats, (const char *[]) { nines_outcome_name (r->outcome) }, 1);
    /*  libcurl's times are cumulative from the start (CURLINFO_*_TIME_T);
        a phase is observed only once it ended, as blackbox_exporter's. */
    uint64_t ends [5] = { r->dns_us, r->connect_us, r->tls_us, r->ttfb_us, r->total_us };
    static const char *const phase [5] = { "resolve", "connect", "tls", "processing", "transfer" };
    uint64_t prev = 0;
    for (int i = 0; i < 5; i++) {
        if (!ends [i] || (i == 4 && !r->ttfb_us))
            continue;
        nines_metric_observe (self->m_duration, (const char *[]) { phase [i] },
                              ends [i] > prev ? (double) (ends [i] - prev) / 1e6 : 0);
        prev = ends [i];
    }
}

static char *
s_metrics_render (void *arg, size_t *len)
{
    nines_node_t *self = (nines_node_t *) arg;
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    uint64_t now = s_now ();
#define SET0(m, v) nines_metric_set (self->m_##m, NULL, (double) (v))
#define SET1(m, l, v) nines_metric_set (self->m_##m, (const char *[]) { l }, (double) (v))
    SET1 (rounds, "down", st.rounds_down);
    SET1 (rounds, "up", st.rounds_up);
    SET1 (rounds, "failed", st.rounds_failed);
    SET1 (votes, "down", st.votes_down);
    SET1 (votes, "up", st.votes_sent - st.votes_down - st.votes_abstain);
    SET1 (votes, "abstain", st.votes_abstain);
    SET0 (degraded, st.degraded);
    SET0 (doppelganger, st.doppelganger);
    SET0 (outbox, nines_engine_outbox (self->engine, NULL, 0));
    SET0 (version, self->reg ? self->reg->version : 0);
    SET0 (epoch, st.epoch);
    SET0 (refused, self->zap_refused);
    SET0 (misbehaviour, st.misbehaviours);
    SET0 (canaries, self->canaries);
    if (self->ledger)
        SET0 (ledger_up, self->ledger_reply_ms
                         && now - self->ledger_reply_ms <= 2 * self->cfg.registry_refresh_ms + 1000);
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *mem = (nines_member_info_t *) calloc (n + 1, sizeof *mem);
    size_t by_state [4] = { 0 };
    n = mem ? nines_engine_members (self->engine, mem, n) : 0;
    for (size_t i = 0; i < n; i++)
        by_state [mem [i].state & 3]++;
    free (mem);
    SET1 (peers, "alive", by_state [NINES_MEMBER_ALIVE]);
    SET1 (peers, "suspect", by_state [NINES_MEMBER_SUSPECT]);
    SET1 (peers, "dead", by_state [NINES_MEMBER_DEAD]);
    /*  Per-pod gauges: rebuilt each scrape, down pods first so the cap
        never hides one that is down. */
    nines_metric_reset (self->m_success);
    nines_metric_reset (self->m_status);
    nines_metric_reset (self->m_cert);
    nines_metric_reset (self->m_down);
    size_t np = nines_engine_pods (self->engine, NULL, 0);
    nines_pod_status_t *ps = (nines_pod_status_t *) calloc (np + 1, sizeof *ps);
    np = ps ? nines_engine_pods (self->engine, ps, np) : 0;
    size_t up = 0, down = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < np; i++) {
            if (ps [i].down != (pass == 0))
                continue;
            char hex [NINES_ID_HEX];
            const char *const pod [] = { nines_hex (hex, ps [i].pod, NINES_ID_BYTES) };
            if (pass == 0) {
                down++;
                nines_metric_set (self->m_down, pod, 1);
            }
            else if (ps [i].last_outcome >= 0)
                up++;
            if (ps [i].last_outcome < 0)
                continue;
            nines_metric_set (self->m_success, pod, ps [i].last_outcome == NINES_OUTCOME_OK);
            const nines_pod_info_t *p = self->reg ? nines_registry_pod (self->reg, ps [i].pod) : NULL;
            const pod_timing_t *t = p && self->timings ? &self->timings [p - self->reg->pods] : NULL;
            if (t)
                nines_metric_set (self->m_status, pod, t->http_status);
            if (t && t->cert_not_after_ms)
                nines_metric_set (self->m_cert, pod, (double) (t->cert_not_after_ms / 1000));
        }
    free (ps);
    SET1 (pods, "up", up);
    SET1 (pods, "down", down);
    SET1 (pods, "unknown", np - up - down);
#undef SET0
#undef SET1
    nines_metrics_process (self->metrics);
    return nines_metrics_render (self->metrics, len);
}

static void
s_q_status (nines_node_t *self, msgpack_packer *pk)
{
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    uint64_t outbox = 0, reports = 0;
    nines_store_count (self->store, DB_OUTBOX, &outbox);
    nines_store_count (self->store, DB_REPORTS, &reports);
    msgpack_pack_map (pk, 34);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_bin (pk, "id", self->kp.pk, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "epoch", st.epoch);
    nines_pack_kv_bool (pk, "degraded", st.degraded);
    nines_pack_kv_bool (pk, "listening", st.listening);
    nines_pack_kv_bool (pk, "doppelganger", st.doppelganger);
    nines_pack_kv_bool (pk, "isolated", self->isolated);
    nines_pack_kv_u64 (pk, "incarnation", st.incarnation);
    nines_pack_kv_u64 (pk, "lhm", st.lhm);
    nines_pack_kv_u64 (pk, "registry_version", self->reg ? self->reg->version : 0);
    nines_pack_kv_u64 (pk, "validators", self->reg ? self->reg->n_validators : 0);
    nines_pack_kv_u64 (pk, "pods", self->reg ? self->reg->n_pods : 0);
    nines_pack_kv_u64 (pk, "uptime_ms", s_now () - self->started_ms);
    nines_pack_kv_u64 (pk, "probes", st.probes);
    nines_pack_kv_u64 (pk, "probes_failed", st.probes_failed);
    nines_pack_kv_u64 (pk, "probes_inflight", nines_prober_active (self->prober));
    nines_pack_kv_u64 (pk, "rounds_opened", st.rounds_opened);
    nines_pack_kv_u64 (pk, "rounds_down", st.rounds_down);
    nines_pack_kv_u64 (pk, "rounds_up", st.rounds_up);
    nines_pack_kv_u64 (pk, "rounds_failed", st.rounds_failed);
    nines_pack_kv_u64 (pk, "votes_sent", st.votes_sent);
    nines_pack_kv_u64 (pk, "reports", reports);
    nines_pack_kv_u64 (pk, "msgs_in", st.msgs_in);
    nines_pack_kv_u64 (pk, "msgs_bad", st.msgs_bad + self->peer_bad + self->peer_spoofed);
    nines_pack_kv_u64 (pk, "msgs_out", st.msgs_out);
    nines_pack_kv_u64 (pk, "bytes_out", st.bytes_out);
    nines_pack_kv_u64 (pk, "peers_refused", self->zap_refused);
    nines_pack_kv_u64 (pk, "queries_bad", self->query_bad);
    nines_pack_kv_u64 (pk, "evidence_submitted", st.evidence_submitted);
    nines_pack_kv_u64 (pk, "evidence_acked", st.evidence_acked);
    nines_pack_kv_u64 (pk, "outbox", outbox);
    nines_pack_kv_u64 (pk, "misbehaviours", st.misbehaviours);
    nines_pack_kv_u64 (pk, "canaries", self->canaries);
    nines_pack_kv_u64 (pk, "redials", self->redials);
}

static void
s_q_peers (nines_node_t *self, msgpack_packer *pk)
{
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *m = (nines_member_info_t *) calloc (n + 1, sizeof *m);
    n = m ? nines_engine_members (self->engine, m, n) : 0;
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, (uint32_t) n);
    for (size_t i = 0; i < n; i++) {
        const nines_validator_info_t *v = self->reg ? nines_registry_validator (self->reg, m [i].id) : NULL;
        msgpack_pack_map (pk, 6);
        nines_pack_kv_bin (pk, "id", m [i].id, NINES_ID_BYTES);
        nines_pack_kv_str (pk, "state", s_state_name (m [i].state));
        nines_pack_kv_u64 (pk, "incarnation", m [i].incarnation);
        nines_pack_kv_u64 (pk, "last_ack_ms", m [i].last_ack_ms);
        nines_pack_kv_str (pk, "endpoint", v ? v->endpoint : "");
        nines_pack_kv_u64 (pk, "stake", v ? v->stake : 0);
    }
    free (m);
}

static bool
s_pod_filter (nines_query_t *q, uint8_t pod [NINES_ID_BYTES], int *rc)
{
    *rc = nines_query_bin (q, "pod", pod, NINES_ID_BYTES);
    if (*rc == NINES_ENOTFOUND) {
        *rc = 0;
        return false;
    }
    return *rc == 0;
}

static void
s_q_pods (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter)
{
    size_t n = nines_engine_pods (self->engine, NULL, 0);
    nines_pod_status_t *ps = (nines_pod_status_t *) calloc (n + 1, sizeof *ps);
    n = ps ? nines_engine_pods (self->engine, ps, n) : 0;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++)
        if (!filter || nines_id_eq (filter, ps [i].pod))
            rows++;
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, (uint32_t) rows);
    for (size_t i = 0; i < n; i++) {
        if (filter && !nines_id_eq (filter, ps [i].pod))
            continue;
        const nines_pod_info_t *p = self->reg ? nines_registry_pod (self->reg, ps [i].pod) : NULL;
        pod_timing_t t = { 0 };
        if (p && self->timings)
            t = self->timings [p - self->reg->pods];
        msgpack_pack_map (pk, 14);
        nines_pack_kv_bin (pk, "pod", ps [i].pod, NINES_ID_BYTES);
        nines_pack_kv_str (pk, "state", ps [i].down ? "down" : "up");
        nines_pack_kv_str (pk, "last_outcome", ps [i].last_outcome < 0 ? "-" : nines_outcome_name (ps [i].last_outcome));
        nines_pack_kv_u64 (pk, "last_probe_ms", ps [i].last_probe_ms);
        nines_pack_kv_u64 (pk, "down_since_ms", ps [i].down ? ps [i].down_since_ms : 0);
        nines_pack_kv_u64 (pk, "incidents", ps [i].incidents);
        nines_pack_kv_u64 (pk, "downtime_ms", ps [i].downtime_ms);
        nines_pack_kv_str (pk, "facade_url", p ? p->facade_url : "");
        nines_pack_kv_bin (pk, "provider", p ? p->provider : ps [i].pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "connect_us", t.connect_us);
        nines_pack_kv_u64 (pk, "tls_us", t.tls_us);
        nines_pack_kv_u64 (pk, "ttfb_us", t.ttfb_us);
        nines_pack_kv_u64 (pk, "total_us", t.total_us);
        nines_pack_kv_u64 (pk, "cert_not_after_ms", t.cert_not_after_ms);
    }
    free (ps);
}

/*  Collected stored records, for sorting by time. */
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

static int
s_rec_cmp (const void *a, const void *b)
{
    const rec_t *x = (const rec_t *) a, *y = (const rec_t *) b;
    return x->t < y->t ? -1 : x->t > y->t ? 1 : memcmp (x->key, y->key, sizeof x->key);
}

static int
s_collect (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    collect_t *c = (collect_t *) arg;
    uint64_t t = 0;
    if (klen > sizeof c->recs->key)
        return 0;
    if (c->kind == 0) {
        if (nines_report_decode ((const uint8_t *) v, vlen, c->scratch))
            return 0;
        if (c->pod && !nines_id_eq (c->pod, c->scratch->pod))
            return 0;
        t = c->scratch->t_ms;
    }
    else
    if (c->kind == 1) {
        if (klen != NINES_ID_BYTES + 8)
            return 0;
        t = s_get_be64 ((const uint8_t *) k + NINES_ID_BYTES);
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        rec_t *r = (rec_t *) realloc (c->recs, cap * sizeof *r);
        if (!r)
            return 1;
        c->recs = r;
        c->cap = cap;
    }
    rec_t *r = &c->recs [c->n];
    memset (r, 0, sizeof *r);
    r->t = t;
    memcpy (r->key, k, klen);
    r->klen = klen;
    r->val = (uint8_t *) malloc (vlen ? vlen : 1);
    if (!r->val)
        return 1;
    memcpy (r->val, v, vlen);
    r->vlen = vlen;
    c->n++;
    return 0;
}

static void
s_collect_free (collect_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free (c->recs [i].val);
    free (c->recs);
}

static void
s_q_reports (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter, uint64_t limit)
{
    collect_t c = { .pod = filter, .scratch = self->scratch, .kind = 0 };
    nines_store_iter_prefix (self->store, DB_REPORTS, NULL, 0, s_collect, &c);
    if (c.n)
        qsort (c.recs, c.n, sizeof *c.recs, s_rec_cmp);
    size_t first = c.n > limit ? c.n - limit : 0;
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, (uint32_t) (c.n - first));
    for (size_t i = first; i < c.n; i++) {
        nines_report_t *r = self->scratch;
        if (nines_report_decode (c.recs [i].val, c.recs [i].vlen, r))
            memset (r, 0, sizeof *r);   /* decoded once already: cannot happen */
        msgpack_pack_map (pk, 9);
        nines_pack_kv_str (pk, "kind", r->kind == NINES_REPORT_DOWN ? "down" : "up");
        nines_pack_kv_bin (pk, "pod", r->pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "epoch", r->epoch);
        nines_pack_kv_u64 (pk, "t_ms", r->t_ms);
        nines_pack_kv_u64 (pk, "signers", r->n_votes);
        nines_pack_kv_u64 (pk, "weight", s_report_weight (self, r));
        nines_pack_kv_bin (pk, "round_id", r->round_id, NINES_HASH_BYTES);
        nines_pack_kv_bin (pk, "id", c.recs [i].key, NINES_HASH_BYTES);
        nines_pack_kv_bin (pk, "report", c.recs [i].val, c.recs [i].vlen);
    }
    s_collect_free (&c);
}

/*  Incidents as rows; also used by `nines` (downtime sums). */
static void
s_q_incidents (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter)
{
    collect_t c = { .kind = 1 };
    nines_store_iter_prefix (self->store, DB_INCIDENTS, filter, filter ? NINES_ID_BYTES : 0,
                             s_collect, &c);
    if (c.n)
        qsort (c.recs, c.n, sizeof *c.recs, s_rec_cmp);
    uint64_t now = s_now ();
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, (uint32_t) c.n);
    for (size_t i = 0; i < c.n; i++) {
        incident_rec_t rec;
        memset (&rec, 0, sizeof rec);
        if (c.recs [i].vlen == sizeof rec)
            memcpy (&rec, c.recs [i].val, sizeof rec);
        uint64_t t_down = c.recs [i].t, t_up = s_get_le64 (rec.t_up);
        msgpack_pack_map (pk, 7);
        nines_pack_kv_bin (pk, "pod", c.recs [i].key, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "t_down", t_down);
        nines_pack_str (pk, "t_up");
        if (t_up)
            msgpack_pack_uint64 (pk, t_up);
        else
            msgpack_pack_nil (pk);
        nines_pack_kv_u64 (pk, "duration_ms", (t_up ? t_up : now) > t_down ? (t_up ? t_up : now) - t_down : 0);
        nines_pack_kv_bool (pk, "open", t_up == 0);
        nines_pack_kv_bin (pk, "down_round", rec.down_round, NINES_HASH_BYTES);
        nines_pack_str (pk, "up_round");           /* nil while open, like t_up */
        if (t_up)
            msgpack_pack_bin_with_body (pk, rec.up_round, NINES_HASH_BYTES);
        else
            msgpack_pack_nil (pk);
    }
    s_collect_free (&c);
}

/*  Availability per pod over the params' window, from the incidents this
    node knows, in the ledger's units (src/proto/slash.h): availability_ppm
    and nines_micro = floor(-log10(downtime / window) × 10^6). */
static void
s_q_nines (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter)
{
    collect_t c = { .kind = 1 };
    nines_store_iter_prefix (self->store, DB_INCIDENTS, filter, filter ? NINES_ID_BYTES : 0,
                             s_collect, &c);
    uint64_t now = s_now ();
    uint64_t window = self->reg ? self->reg->params.window_ms : 30ULL * 86400000;
    uint64_t from = now > window ? now - window : 0;
    size_t npods = self->reg ? self->reg->n_pods : 0;
    size_t rows = 0;
    for (size_t i = 0; i < npods; i++)
        if (!filter || nines_id_eq (filter, self->reg->pods [i].pod))
            rows++;
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, (uint32_t) rows);
    for (size_t p = 0; p < npods; p++) {
        const uint8_t *pod = self->reg->pods [p].pod;
        if (filter && !nines_id_eq (filter, pod))
            continue;
        uint64_t down = 0;
        for (size_t i = 0; i < c.n; i++) {
            if (memcmp (c.recs [i].key, pod, NINES_ID_BYTES) || c.recs [i].vlen != sizeof (incident_rec_t))
                continue;
            uint64_t a = c.recs [i].t, b = s_get_le64 (((incident_rec_t *) c.recs [i].val)->t_up);
            if (!b)
                b = now;
            if (a < from)
                a = from;
            if (b > a)
                down += b - a;
        }
        msgpack_pack_map (pk, 5);
        nines_pack_kv_bin (pk, "pod", pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "window_ms", window);
        nines_pack_kv_u64 (pk, "downtime_ms", down);
        nines_pack_kv_u64 (pk, "availability_ppm", nines_availability_ppm (down, window));
        nines_pack_kv_u64 (pk, "nines_micro", nines_nines_micro (down, window));
    }
    s_collect_free (&c);
}

typedef struct {
    msgpack_packer *pk;         /* output */
    nines_evidence_t *ev;       /* decode buffer */
    bool acked;                 /* iterating DB_EVIDENCE */
    size_t rows;                /* rows written (count pass: counted) */
    bool count_only;            /* first pass */
} ev_iter_t;

static int
s_ev_row (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    ev_iter_t *it = (ev_iter_t *) arg;
    const uint8_t *data = (const uint8_t *) v;
    char verdict [256] = "pending";
    if (it->acked) {
        if (vlen < 1 || (size_t) data [0] + 1 > vlen)
            return 0;
        memcpy (verdict, data + 1, data [0]);
        verdict [data [0]] = 0;
        vlen -= (size_t) data [0] + 1;
        data += data [0] + 1;
    }
    if (klen != NINES_HASH_BYTES || nines_evidence_decode (data, vlen, it->ev))
        return 0;
    it->rows++;
    if (it->count_only)
        return 0;
    msgpack_packer *pk = it->pk;
    msgpack_pack_map (pk, 6);
    nines_pack_kv_bin (pk, "id", (const uint8_t *) k, NINES_HASH_BYTES);
    nines_pack_kv_bin (pk, "pod", it->ev->pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_down", it->ev->down.t_ms);
    nines_pack_str (pk, "t_up");
    if (it->ev->has_up)
        msgpack_pack_uint64 (pk, it->ev->up.t_ms);
    else
        msgpack_pack_nil (pk);
    nines_pack_kv_bool (pk, "closed", it->ev->has_up);
    nines_pack_kv_str (pk, "state", verdict);
    return 0;
}

static void
s_q_evidence (nines_node_t *self, msgpack_packer *pk)
{
    ev_iter_t it = { .pk = pk, .ev = self->ev_scratch, .count_only = true };
    nines_store_iter_prefix (self->store, DB_OUTBOX, NULL, 0, s_ev_row, &it);
    it.acked = true;
    nines_store_iter_prefix (self->store, DB_EVIDENCE, NULL, 0, s_ev_row, &it);
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, (uint32_t) it.rows);
    it.count_only = false;
    it.acked = false;
    nines_store_iter_prefix (self->store, DB_OUTBOX, NULL, 0, s_ev_row, &it);
    it.acked = true;
    nines_store_iter_prefix (self->store, DB_EVIDENCE, NULL, 0, s_ev_row, &it);
}

/*  Answer one request into sb; returns false with *code (a NINES_E* code)
    and an error text set (the reply's error is "<code's name>: <text>"),
    or with *error NULL for an op it does not know. */
static bool
s_answer (nines_node_t *self, nines_query_t *q, msgpack_packer *pk, int *code, const char **error)
{
    const char *op = nines_query_op (q);
    uint8_t pod [NINES_ID_BYTES];
    int rc = 0;
    bool has_pod = s_pod_filter (q, pod, &rc);
    if (rc) {
        *code = NINES_EMALFORMED;
        *error = "pod: expected bin 32 (a pod id)";
        return false;
    }
    if (!strcmp (op, "status"))
        s_q_status (self, pk);
    else if (!strcmp (op, "peers"))
        s_q_peers (self, pk);
    else if (!strcmp (op, "pods"))
        s_q_pods (self, pk, has_pod ? pod : NULL);
    else if (!strcmp (op, "reports")) {
        uint64_t limit = REPORTS_LIMIT;
        rc = nines_query_u64 (q, "limit", &limit);
        if (rc && rc != NINES_ENOTFOUND) {
            *code = NINES_EMALFORMED;
        *error = "limit: expected an unsigned integer";
            return false;
        }
        s_q_reports (self, pk, has_pod ? pod : NULL, limit);
    }
    else if (!strcmp (op, "incidents"))
        s_q_incidents (self, pk, has_pod ? pod : NULL);
    else if (!strcmp (op, "nines"))
        s_q_nines (self, pk, has_pod ? pod : NULL);
    else if (!strcmp (op, "evidence"))
        s_q_evidence (self, pk);
    else if (!strcmp (op, "fault")) {
        if (!self->cfg.fault_hooks) {
            *code = NINES_EPERM;
        *error = "fault hooks are disabled (node/fault_hooks = 0)";
            return false;
        }
        bool iso = false;
        if (nines_query_bool (q, "isolate", &iso)) {
            *code = NINES_EMALFORMED;
        *error = "isolate: expected a boolean";
            return false;
        }
        self->isolated = iso;
        nines_engine_set_isolated (self->engine, iso);
        nines_warn ("fault hook: isolation %s", iso ? "ON" : "off");
        msgpack_pack_map (pk, 2);
        nines_pack_kv_bool (pk, "ok", true);
        nines_pack_kv_bool (pk, "isolated", iso);
    }
    else {
        *error = NULL;
        return false;
    }
    return true;
}

static void
s_on_query (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->query);
    if (!msg)
        return;
    zframe_t *rid = zmsg_pop (msg);
    /*  Keep the routing envelope (and a REQ client's empty delimiter): the
        request is the last frame. */
    zmsg_t *reply = zmsg_new ();
    zmsg_append (reply, &rid);
    while (zmsg_size (msg) > 1) {
        zframe_t *f = zmsg_pop (msg);
        zmsg_append (reply, &f);
    }
    zframe_t *req = zmsg_pop (msg);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    nines_query_t *q = NULL;
    const char *error = NULL;
    int code = 0;
    uint8_t *out = NULL;
    size_t len = 0;
    int rc = req ? nines_query_parse (zframe_data (req), zframe_size (req), &q) : NINES_EMALFORMED;
    if (rc)
        nines_reply_bad_query (rc, &out, &len);
    else
    if (!s_answer (self, q, &pk, &code, &error)) {
        msgpack_sbuffer_clear (&sb);
        if (!error)
            nines_reply_unknown_op (nines_query_op (q), &out, &len);
        else
            nines_reply_fail (code, error, &out, &len);
    }
    if (out) {
        self->query_bad++;
        zmsg_addmem (reply, out, len);
        free (out);
    }
    else
        zmsg_addmem (reply, sb.data, sb.size);
    zmsg_send (&reply, self->query);
    msgpack_sbuffer_destroy (&sb);
    nines_query_destroy (&q);
    zframe_destroy (&req);
    zmsg_destroy (&msg);
}

/*  ---- persistence of membership, restore ---- */

static void
s_save_members (nines_node_t *self)
{
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *m = (nines_member_info_t *) calloc (n + 1, sizeof *m);
    if (!m)
        return;
    n = nines_engine_members (self->engine, m, n);
    nines_txn_t *txn = NULL;
    if (nines_txn_begin (self->store, true, &txn) == 0) {
        for (size_t i = 0; i < n; i++) {
            member_rec_t rec;
            rec.state = m [i].state;
            nines_le64 (rec.incarnation, m [i].incarnation);
            nines_le64 (rec.last_ack, m [i].last_ack_ms);
            nines_txn_put (txn, DB_MEMBERS, m [i].id, NINES_ID_BYTES, &rec, sizeof rec);
        }
        nines_engine_stats_t st;
        nines_engine_stats (self->engine, &st);
        member_rec_t own = { .state = NINES_MEMBER_ALIVE };
        nines_le64 (own.incarnation, st.incarnation);
        nines_le64 (own.last_ack, 0);
        nines_txn_put (txn, DB_MEMBERS, self->kp.pk, NINES_ID_BYTES, &own, sizeof own);
        if (nines_txn_commit (&txn))
            nines_warn ("cannot save the membership snapshot");
    }
    free (m);
}

static void
s_restore (nines_node_t *self)
{
    uint64_t now = s_now ();
    collect_t c = { .scratch = self->scratch, .kind = 0 };
    nines_store_iter_prefix (self->store, DB_REPORTS, NULL, 0, s_collect, &c);
    if (c.n)
        qsort (c.recs, c.n, sizeof *c.recs, s_rec_cmp);
    size_t ok = 0;
    for (size_t i = 0; i < c.n; i++)
        if (nines_engine_restore_report (self->engine, c.recs [i].val, c.recs [i].vlen, now) == 0)
            ok++;
    s_collect_free (&c);
    collect_t e = { .kind = 2 };
    nines_store_iter_prefix (self->store, DB_OUTBOX, NULL, 0, s_collect, &e);
    size_t pending = 0;
    for (size_t i = 0; i < e.n; i++)
        if (nines_engine_restore_evidence (self->engine, e.recs [i].val, e.recs [i].vlen, now) == 0)
            pending++;
    s_collect_free (&e);
    if (ok || pending)
        nines_info ("restored %zu reports and %zu unacknowledged evidence from %s", ok, pending,
                    self->cfg.data);
    /* Our own incarnation: peers holding us dead far above 0 take only a
       refutation within NINES_INCARNATION_STEP of what they know. */
    void *own = NULL;
    size_t own_len = 0;
    if (nines_store_get (self->store, DB_MEMBERS, self->kp.pk, NINES_ID_BYTES, &own, &own_len) == 0
    &&  own_len == sizeof (member_rec_t)) {
        nines_engine_restore_incarnation (self->engine, s_get_le64 (((member_rec_t *) own)->incarnation));
    }
    free (own);
}

/*  ---- life cycle ---- */

/*  A socket of type bound to endpoint, taking messages of at most max_msg
    bytes (-1: no bound, for inproc only).  libzmq reads ZMQ_MAXMSGSIZE
    when a connection is set up, so it is set before bind: set after, it
    is silently ignored (a 256 MiB query request once raised ninesd to
    558 MB).  NULL with a message in err. */
static zsock_t *
s_bind (int type, const char *endpoint, int64_t max_msg, char *err, size_t err_size, const char *what)
{
    zsock_t *s = zsock_new (type);
    if (!s) {
        snprintf (err, err_size, "cannot create the %s socket", what);
        return NULL;
    }
    zsock_set_linger (s, 0);
    zsock_set_maxmsgsize (s, (int) max_msg);
    if (zsock_bind (s, "%s", endpoint) < 0) {
        snprintf (err, err_size, "cannot bind the %s socket to %s: %s", what, endpoint,
                  zmq_strerror (zmq_errno ()));
        zsock_destroy (&s);
    }
    return s;
}

nines_node_t *
nines_node_new (const nines_node_config_t *config, char *err, size_t err_size, int *exit_code)
{
    *exit_code = 1;
    nines_node_t *self = (nines_node_t *) calloc (1, sizeof *self);
    if (!self) {
        snprintf (err, err_size, "out of memory");
        return NULL;
    }
    self->cfg = *config;
    self->cfg.prober.user_agent = self->cfg.user_agent;
    self->started_ms = s_now ();
    self->refused_log.interval_ms = REFUSED_LOG_MS;
    self->scratch = (nines_report_t *) calloc (1, sizeof *self->scratch);
    self->ev_scratch = (nines_evidence_t *) calloc (1, sizeof *self->ev_scratch);
    self->conns = zhashx_new ();
    if (!self->scratch || !self->ev_scratch || !self->conns) {
        snprintf (err, err_size, "out of memory");
        goto fail;
    }
    zhashx_set_destructor (self->conns, s_conn_destroy);

    int rc = nines_keyfile_load (self->cfg.key, &self->kp);
    if (rc) {
        snprintf (err, err_size, "node/key: %s: %s", self->cfg.key, nines_strerror (rc));
        *exit_code = 2;
        goto fail;
    }
    self->cert = nines_keypair_zcert (&self->kp);
    if (!self->cert) {
        snprintf (err, err_size, "node/key: cannot derive the CurveZMQ key pair");
        goto fail;
    }

    nines_registry_t *reg = NULL;
    if (!self->cfg.ledger [0]) {
        char rerr [512];
        reg = nines_registry_load (self->cfg.registry, rerr, sizeof rerr);
        if (!reg) {
            snprintf (err, err_size, "node/registry: %s", rerr);
            *exit_code = 2;
            goto fail;
        }
    }

    rc = nines_store_open (&self->store, self->cfg.data, self->cfg.map_size, s_dbs);
    if (rc == NINES_ELOCKED) {
        /*  Another ninesd runs on this directory: refuse, as a bad config. */
        snprintf (err, err_size, "node/data: %s is in use by process %ld (another ninesd?): refusing to start",
                  self->cfg.data, nines_store_lock_holder (self->cfg.data));
        *exit_code = 2;
        nines_registry_destroy (&reg);
        goto fail;
    }
    if (rc) {
        snprintf (err, err_size, "node/data: %s: cannot open the LMDB environment: %s",
                  self->cfg.data, nines_strerror (rc));
        nines_registry_destroy (&reg);
        goto fail;
    }

    uint8_t seed [32];
    nines_random (seed, sizeof seed);
    self->engine = nines_engine_new (&self->kp, seed, &self->cfg.engine);
    self->prober = nines_prober_new (&self->cfg.prober, s_probe_done, self);
    if (self->engine)
        nines_engine_set_behaviour (self->engine, (nines_behaviour_t) self->cfg.behaviour);
    if (!self->engine || !self->prober) {
        snprintf (err, err_size, "cannot create the engine or the prober");
        nines_registry_destroy (&reg);
        goto fail;
    }

    /*  The ZAP handler must be bound before any CURVE server accepts. */
    self->zap = s_bind (ZMQ_REP, ZAP_ENDPOINT, -1, err, err_size, "ZAP");
    if (!self->zap) {
        nines_registry_destroy (&reg);
        goto fail;
    }
    if (reg)
        s_set_registry (self, reg);

    if (reg && !self->peer_bound) {
        snprintf (err, err_size, "%s", self->bind_error);
        goto fail;
    }
    self->query = s_bind (ZMQ_ROUTER, self->cfg.query, NINES_QUERY_MAX, err, err_size, "query");
    if (!self->query)
        goto fail;
    self->pub = s_bind (ZMQ_PUB, self->cfg.pub, NINES_SUB_MSG_MAX, err, err_size, "pub");
    if (!self->pub)
        goto fail;
    if (self->cfg.metrics [0]) {
        char merr [256] = "";
        if (s_metrics_init (self)
         || !(self->metrics_http = nines_metrics_http_new (self->cfg.metrics, s_metrics_render, self,
                                                           merr, sizeof merr))) {
            snprintf (err, err_size, "node/metrics: %s", merr [0] ? merr : "cannot set up the metrics");
            *exit_code = 2;
            goto fail;
        }
    }
    if (self->cfg.ledger [0]) {
        self->ledger = zsock_new (ZMQ_DEALER);
        if (!self->ledger || zsock_connect (self->ledger, "%s", self->cfg.ledger) != 0) {
            snprintf (err, err_size, "node/ledger: cannot connect to %s", self->cfg.ledger);
            *exit_code = 2;
            goto fail;
        }
        zsock_set_linger (self->ledger, 0);
        s_ask_registry (self);
    }
    if (self->cfg.ledger_pub [0]) {
        self->ledger_sub = zsock_new (ZMQ_SUB);
        if (!self->ledger_sub || zsock_connect (self->ledger_sub, "%s", self->cfg.ledger_pub) != 0) {
            snprintf (err, err_size, "node/ledger_pub: cannot connect to %s", self->cfg.ledger_pub);
            *exit_code = 2;
            goto fail;
        }
        zsock_set_linger (self->ledger_sub, 0);
        zsock_set_subscribe (self->ledger_sub, NINES_LEDGER_TOPIC_REGISTRY);
        zsock_set_subscribe (self->ledger_sub, NINES_LEDGER_TOPIC_CANARY);
    }
    self->next_members_ms = s_now () + MEMBERS_EVERY_MS;
    char hex [NINES_ID_HEX];
    nines_info ("validator %s: peer %s, query %s, pub %s, registry from %s",
                nines_hex (hex, self->kp.pk, NINES_ID_BYTES), self->cfg.peer, self->cfg.query,
                self->cfg.pub, self->cfg.ledger [0] ? self->cfg.ledger : self->cfg.registry);
    self->dg_listening = self->cfg.engine.doppelganger_epochs > 0;
    if (self->dg_listening)
        nines_info ("doppelganger protection: listening %u epochs after the first registry for votes "
                    "signed with this key by another instance before voting",
                    self->cfg.engine.doppelganger_epochs);
    return self;
fail:
    if (!err [0])
        snprintf (err, err_size, "startup failed");
    nines_node_destroy (&self);
    return NULL;
}

void
nines_node_destroy (nines_node_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_node_t *self = *self_p;
    if (self->engine && self->store)
        s_save_members (self);
    zhashx_destroy (&self->conns);
    nines_metrics_http_destroy (&self->metrics_http);
    nines_metrics_destroy (&self->metrics);
    zsock_destroy (&self->ledger_sub);
    zsock_destroy (&self->ledger);
    zsock_destroy (&self->pub);
    zsock_destroy (&self->query);
    zsock_destroy (&self->peer);
    zsock_destroy (&self->zap);
    nines_prober_destroy (&self->prober);
    nines_engine_destroy (&self->engine);
    nines_registry_destroy (&self->reg);
    nines_store_destroy (&self->store);
    zcert_destroy (&self->cert);
    nines_keypair_wipe (&self->kp);
    free (self->curve_allow);
    free (self->curve_idx);
    free (self->timings);
    free (self->scratch);
    free (self->ev_scratch);
    free (self);
    *self_p = NULL;
}

/*  Read up to BATCH messages from a socket that polled readable. */
#define DRAIN(sock, handler) \
    for (int _i = 0; _i < BATCH && (zsock_events (sock) & ZMQ_POLLIN); _i++) handler

static void
s_on_ledger_sub (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->ledger_sub);
    if (!msg)
        return;
    char *topic = zmsg_popstr (msg);
    if (topic && !strcmp (topic, NINES_LEDGER_TOPIC_REGISTRY) && self->ledger)
        s_ask_registry (self);
    else
    if (topic && !strcmp (topic, NINES_LEDGER_TOPIC_CANARY)) {
        zframe_t *body = zmsg_first (msg);
        if (body)
            s_on_canary (self, zframe_data (body), zframe_size (body));
    }
    free (topic);
    zmsg_destroy (&msg);
}

static void
s_on_ledger (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->ledger);
    if (!msg)
        return;
    zframe_t *f = zmsg_last (msg);
    if (f)
        s_on_ledger_reply (self, zframe_data (f), zframe_size (f));
    zmsg_destroy (&msg);
    s_drain (self);
}

int
nines_node_run (nines_node_t *self, volatile sig_atomic_t *stop)
{
    zmq_pollitem_t *items = (zmq_pollitem_t *) calloc (MAX_POLL, sizeof *items);
    peer_conn_t **mons = (peer_conn_t **) calloc (MAX_MONITORED, sizeof *mons);
    if (!items || !mons) {
        free (items);
        free (mons);
        return NINES_ENOMEM;
    }
    while (!*stop) {
        size_t n = 0;
        zsock_t *socks [6] = { self->zap, self->peer, self->query, self->ledger, self->ledger_sub, NULL };
        size_t nsocks = 0;
        for (size_t i = 0; i < 5; i++)
            if (socks [i]) {
                items [n].socket = zsock_resolve (socks [i]);
                items [n].fd = 0;
                items [n].events = ZMQ_POLLIN;
                items [n].revents = 0;
                socks [nsocks++] = socks [i];
                n++;
            }
        /*  Handshake monitors of the peer connections. */
        size_t nmon = 0;
        for (peer_conn_t *c = (peer_conn_t *) zhashx_first (self->conns); c;
             c = (peer_conn_t *) zhashx_next (self->conns))
            if (c->mon && n + nmon < MAX_POLL / 2 && nmon < MAX_MONITORED) {
                mons [nmon] = c;
                items [n + nmon].socket = zsock_resolve (c->mon);
                items [n + nmon].fd = 0;
                items [n + nmon].events = ZMQ_POLLIN;
                items [n + nmon].revents = 0;
                nmon++;
            }
        size_t nhttp = 0;
        if (self->metrics_http) {
            items [n + nmon] = (zmq_pollitem_t) { NULL, nines_metrics_http_fd (self->metrics_http), ZMQ_POLLIN, 0 };
            nhttp = 1;
        }
        size_t ncurl = nines_prober_pollitems (self->prober, items + n + nmon + nhttp,
                                               MAX_POLL - n - nmon - nhttp);
        uint64_t now = s_now ();
        uint64_t wake = nines_engine_next_wakeup (self->engine);
        long timeout = 1000;
        if (wake != UINT64_MAX)
            timeout = wake <= now ? 0 : (wake - now < 1000 ? (long) (wake - now) : 1000);
        long ct = nines_prober_timeout_ms (self->prober);
        if (ct >= 0 && ct < timeout)
            timeout = ct;
        int rc = zmq_poll (items, (int) (n + nmon + nhttp + ncurl), timeout);
        if (rc < 0 && zmq_errno () != EINTR) {
            nines_error ("zmq_poll: %s", zmq_strerror (zmq_errno ()));
            break;
        }
        for (size_t i = 0; rc > 0 && i < nsocks; i++) {
            if (!(items [i].revents & ZMQ_POLLIN))
                continue;
            zsock_t *s = socks [i];
            if (s == self->zap)
                DRAIN (s, s_on_zap (self));
            else if (s == self->peer)
                DRAIN (s, s_on_peer (self));
            else if (s == self->query)
                DRAIN (s, s_on_query (self));
            else if (s == self->ledger)
                DRAIN (s, s_on_ledger (self));
            else if (s == self->ledger_sub)
                DRAIN (s, s_on_ledger_sub (self));
        }
        for (size_t i = 0; rc > 0 && i < nmon; i++)
            if (items [n + i].revents & ZMQ_POLLIN)
                s_on_monitor (self, mons [i]);
        if (self->metrics_http)
            nines_metrics_http_service (self->metrics_http);
        nines_prober_service (self->prober, items + n + nmon + nhttp, ncurl);
        if (self->fatal)
            break;
        now = s_now ();
        if (nines_engine_next_wakeup (self->engine) <= now)
            nines_engine_on_tick (self->engine, now);
        s_drain (self);
        if (now >= self->next_members_ms) {
            s_save_members (self);
            self->next_members_ms = now + MEMBERS_EVERY_MS;
        }
        if (self->ledger && now - self->registry_asked_ms >= self->cfg.registry_refresh_ms)
            s_ask_registry (self);
    }
    free (items);
    free (mons);
    nines_info ("shutting down");
    return self->fatal ? 1 : 0;
}
