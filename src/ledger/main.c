/*  nines-ledger: the reference uptime staking ledger as a process.
    nines-ledger -c ledger.zpl [-v]

    A thin adapter over ledger.c: a CZMQ ROUTER for the API, a PUB socket
    for the stream, the wall clock for `now`.  Every reply is sent only
    after the request's LMDB transaction committed, so whatever a client
    saw acknowledged survives a kill -9. */
#include <czmq.h>
#include <msgpack.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/args.h"
#include "base/config.h"
#include "base/error.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "proto/registry.h"
#include "base/metrics.h"
#include "client/ledger_client.h"
#include "ledger/ledger.h"
#include "obs/metrics_http.h"
#include "store/store.h"

static volatile sig_atomic_t s_stop = 0;   /* set by SIGTERM/SIGINT (nines_daemon_signals) */

static void
s_usage (FILE *out)
{
    fputs (
"usage: nines-ledger -c FILE [-v] [-s SECTION/KEY=VALUE]... [--check-config]\n"
"\n"
"The nines reference uptime staking ledger (DESIGN.md section 8): holds the\n"
"registry and stakes, verifies downtime evidence on its own, turns incidents\n"
"into sigmoid-weighted partial slashes in integer fixed point, computes nines\n"
"and refunds, and pays validators that answer its canary.\n"
"\n"
"  -c, --config FILE    ZPL configuration (every key: deploy/nines-ledger.zpl;\n"
"                       an unknown section or key is an error):\n"
"                 ledger/data     LMDB directory (required)\n"
"                 ledger/api      ROUTER endpoint (tcp://127.0.0.1:7500)\n"
"                 ledger/pub      PUB endpoint (tcp://127.0.0.1:7501)\n"
"                 ledger/key      key file; created (0600) when missing\n"
"                 ledger/genesis  registry snapshot loaded into an empty store\n"
"                 ledger/log      error | warn | info | debug (info)\n"
"                 ledger/metrics  GET /metrics listen HOST:PORT (\"\" = off)\n"
"  -s, --set KEY=VALUE  override one key, e.g. -s ledger/api=tcp://127.0.0.1:7600\n"
"  -v, --verbose        debug logs\n"
"      --check-config   validate the configuration (and genesis) and exit:\n"
"                       0 valid, 2 not; creates no key\n"
"  -h, --help           this text\n"
"  -V, --version        the version\n"
"Long options also take --name=VALUE.\n"
"\n"
"API and stream: proto/LEDGER.md; operate it with ninesctl (register-validator,\n"
"register-pod, maintenance, paid-until, ledger-* queries, verify-evidence, sla).\n"
"SIGTERM or SIGINT stops it after the request in hand (exit 0); SIGHUP is\n"
"ignored (restart to apply a changed configuration).  Exit (README \"Exit\n"
"codes\"): 0 clean stop, 1 runtime failure, 2 bad command line or\n"
"configuration, or ledger/data in use by another process.\n", out);
}

/*  Every section/key path nines-ledger reads (nines_config_check_known;
    tests/unit/test_config_keys.py checks it against the getters). */
static const char *const s_known_keys [] = {
    "ledger/data", "ledger/key", "ledger/genesis", "ledger/api", "ledger/pub", "ledger/metrics",
    "ledger/log", NULL
};

/*  The ledger's keys of cfg (loaded and checked by nines_daemon_args;
    destroyed here) and its key: 0, or 2 with one line on stderr naming
    file and key; check_only creates no key. */
static int
s_configure (const char *path, nines_config_t *cfg, bool check_only,
             char *data, char *api, char *pub, char *metrics,
             nines_keypair_t *key, nines_registry_t **genesis)
{
    int rc = 2;
    const char *d = nines_config_str (cfg, "ledger/data", NULL);
    const char *k = nines_config_str (cfg, "ledger/key", "ledger.key");
    const char *g = nines_config_str (cfg, "ledger/genesis", NULL);
    snprintf (api, 256, "%s", nines_config_str (cfg, "ledger/api", "tcp://127.0.0.1:7500"));
    snprintf (pub, 256, "%s", nines_config_str (cfg, "ledger/pub", "tcp://127.0.0.1:7501"));
    snprintf (metrics, 256, "%s", nines_config_str (cfg, "ledger/metrics", ""));
    if (!d || !*d)
        fprintf (stderr, "nines-ledger: %s: ledger/data: expected a directory for the LMDB store\n", path);
    else
    if (strncmp (api, "tcp://", 6) && strncmp (api, "ipc://", 6))
        fprintf (stderr, "nines-ledger: %s: ledger/api: expected tcp://host:port or ipc://path, got '%s'\n", path, api);
    else
    if (strncmp (pub, "tcp://", 6) && strncmp (pub, "ipc://", 6))
        fprintf (stderr, "nines-ledger: %s: ledger/pub: expected tcp://host:port or ipc://path, got '%s'\n", path, pub);
    else
        rc = 0;
    if (!rc)
        snprintf (data, 1024, "%s", d);
    if (!rc && !check_only) {
        int krc = nines_keyfile_load (k, key);
        if (krc == NINES_ENOTFOUND) {
            if (nines_keypair_generate (key) || nines_keyfile_save (k, key)) {
                fprintf (stderr, "nines-ledger: %s: ledger/key: cannot create key file '%s'\n", path, k);
                rc = 2;
            }
            else
                nines_info ("created ledger key %s", k);
        }
        else
        if (krc) {
            fprintf (stderr, "nines-ledger: %s: ledger/key: cannot load '%s': %s\n", path, k, nines_strerror (krc));
            rc = 2;
        }
    }
    if (!rc && g && *g) {
        char err [512] = "";
        *genesis = nines_registry_load (g, err, sizeof err);
        if (!*genesis) {
            fprintf (stderr, "nines-ledger: %s: ledger/genesis: %s\n", path, err);
            rc = 2;
        }
    }
    nines_config_destroy (&cfg);
    return rc;
}

/*  ---- GET /metrics (issue 12) ---- */

/*  The value of key in a reply map (unpacked into u, which the caller
    destroys), or NULL. */
static const msgpack_object *
s_reply_get (const uint8_t *reply, size_t len, const char *key, msgpack_unpacked *u)
{
    if (msgpack_unpack_next (u, (const char *) reply, len, NULL) != MSGPACK_UNPACK_SUCCESS
     || u->data.type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen (key);
    for (uint32_t i = 0; i < u->data.via.map.size; i++) {
        const msgpack_object_kv *kv = &u->data.via.map.ptr [i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == klen
         && !memcmp (kv->key.via.str.ptr, key, klen))
            return &kv->val;
    }
    return NULL;
}

typedef struct {
    nines_ledger_t *ledger;             /* the state machine (read at scrape time) */
    nines_metrics_t *reg;               /* registry */
    nines_metric_t *evidence;           /* nines_ledger_evidence_total{verdict,reason} */
    nines_metric_t *canary_answers;     /* nines_ledger_canary_answers_total */
    nines_metric_t *open, *incidents, *slashed, *fees, *stake, *version, *entries, *canary;
} ledger_metrics_t;

static ledger_metrics_t s_m;

/*  The ledger's families, in exposition order. */
#define M(field) offsetof (ledger_metrics_t, field)
static const nines_metric_def_t s_families [] = {
    /*  verdicts are 3 fixed strings and reasons the NINES_E* names: < 100 series */
    { M (evidence), NINES_METRIC_COUNTER, "nines_ledger_evidence_total", "verdict,reason", 128, "Evidence submissions answered since start, by verdict and reason (NINES_E* name)." },
    { M (canary_answers), NINES_METRIC_COUNTER, "nines_ledger_canary_answers_total", NULL, 1, "Canary countersignatures accepted since start." },
    { M (open), NINES_METRIC_GAUGE, "nines_ledger_incidents_open", NULL, 1, "Raw incidents whose DOWN report has no UP yet." },
    { M (incidents), NINES_METRIC_COUNTER, "nines_ledger_incidents_total", NULL, 1, "Raw incidents (DOWN reports with evidence) known to the ledger." },
    { M (slashed), NINES_METRIC_COUNTER, "nines_ledger_slashed_total", NULL, 1, "Stake slashed over all pods, base units of stake." },
    { M (fees), NINES_METRIC_COUNTER, "nines_ledger_fees_total", NULL, 1, "Monitoring fees charged over all pods, base units of stake." },
    { M (stake), NINES_METRIC_GAUGE, "nines_ledger_stake", "role", 2, "Registered stake by role (pod: providers, validator), base units." },
    { M (entries), NINES_METRIC_GAUGE, "nines_ledger_registered", "role", 2, "Registered entries by role (pod, validator)." },
    { M (version), NINES_METRIC_GAUGE, "nines_registry_version", NULL, 1, "Version of the registry the ledger holds." },
    { M (canary), NINES_METRIC_GAUGE, "nines_ledger_canary_period", NULL, 1, "Fee period of the current canary (0: none yet)." },
};
#undef M

static int
s_metrics_init (nines_ledger_t *ledger)
{
    s_m.ledger = ledger;
    nines_metrics_t *r = s_m.reg = nines_metrics_new ();
    if (!r)
        return NINES_ENOMEM;
    if (nines_metrics_add_table (r, s_families, sizeof s_families / sizeof s_families [0], &s_m, 0))
        return NINES_EINVAL;
    return 0;
}

static char *
s_metrics_render (void *arg, size_t *len)
{
    nines_ledger_stats_t st;
    nines_ledger_stats (s_m.ledger, &st);
    const nines_registry_t *reg = nines_ledger_registry (s_m.ledger);
    double pod_stake = 0, val_stake = 0;
    for (size_t i = 0; i < reg->n_pods; i++)
        pod_stake += (double) reg->pods [i].stake;
    for (size_t i = 0; i < reg->n_validators; i++)
        val_stake += (double) reg->validators [i].stake;
    nines_metric_set (s_m.open, NULL, (double) st.incidents_open);
    nines_metric_set (s_m.incidents, NULL, (double) st.incidents);
    nines_metric_set (s_m.slashed, NULL, (double) st.slashed);
    nines_metric_set (s_m.fees, NULL, (double) st.fees);
    nines_metric_set (s_m.stake, (const char *[]) { "pod" }, pod_stake);
    nines_metric_set (s_m.stake, (const char *[]) { "validator" }, val_stake);
    nines_metric_set (s_m.entries, (const char *[]) { "pod" }, (double) reg->n_pods);
    nines_metric_set (s_m.entries, (const char *[]) { "validator" }, (double) reg->n_validators);
    nines_metric_set (s_m.version, NULL, (double) reg->version);
    nines_metric_set (s_m.canary, NULL, (double) st.canary_period);
    nines_metrics_process (s_m.reg);
    return nines_metrics_render (s_m.reg, len);
}

/*  Count what a request did, from its reply (the ledger's own answer):
    evidence verdicts with their reason, accepted canary answers. */
static void
s_metrics_count (const uint8_t *req, size_t req_len, const uint8_t *reply, size_t reply_len)
{
    if (!s_m.reg)
        return;
    uint8_t id [NINES_HASH_BYTES];
    char verdict [32] = "", reason [64] = "";
    if (nines_ledger_parse_ack (reply, reply_len, id, verdict, sizeof verdict, reason, sizeof reason) == 0
     && verdict [0]) {
        nines_metric_inc (s_m.evidence, (const char *[]) { verdict, reason }, 1);
        return;
    }
    nines_query_t *q = NULL;
    if (nines_query_parse (req, req_len, &q) == 0 && q && nines_query_op (q)
     && !strcmp (nines_query_op (q), NINES_LEDGER_OP_CANARY_SIGN)) {
        msgpack_unpacked u;
        msgpack_unpacked_init (&u);
        const msgpack_object *ok = s_reply_get (reply, reply_len, "ok", &u);
        if (ok && ok->type == MSGPACK_OBJECT_BOOLEAN && ok->via.boolean)
            nines_metric_inc (s_m.canary_answers, NULL, 1);
        msgpack_unpacked_destroy (&u);
    }
    nines_query_destroy (&q);
}

/*  ---- events people see (issue 12) ---- */

/*  Each evidence verdict with its reason and what it did to the pod's
    incidents (the ack's detail: "new incident", "closes a known
    incident", ...); rejections are logged with their detail by ledger.c. */
static void
s_log_ack (const uint8_t *reply, size_t len)
{
    uint8_t id [NINES_HASH_BYTES];
    char verdict [32] = "", reason [64] = "", detail [320] = "", hex [NINES_ID_HEX];
    if (nines_ledger_parse_ack (reply, len, id, verdict, sizeof verdict, reason, sizeof reason)
     || !verdict [0] || !strcmp (verdict, NINES_VERDICT_REJECTED))
        return;
    msgpack_unpacked u;
    msgpack_unpacked_init (&u);
    const msgpack_object *d = s_reply_get (reply, len, "detail", &u);
    if (d && d->type == MSGPACK_OBJECT_STR)
        snprintf (detail, sizeof detail, "%.*s", (int) d->via.str.size, d->via.str.ptr);
    msgpack_unpacked_destroy (&u);
    nines_info ("evidence %.16s: %s (%s): %s", nines_hex (hex, id, sizeof id), verdict, reason, detail);
}

/*  Each incident event of the stream: opened, merged, closed, slashed. */
static void
s_log_incident (const uint8_t *data, size_t len)
{
    nines_query_t *q = NULL;
    uint8_t pod [NINES_ID_BYTES];
    uint64_t t_down = 0, t_up = 0, duration = 0, pieces = 0, slashed = 0;
    bool open = false, correlated = false;
    if (nines_query_parse (data, len, &q) || nines_query_bin (q, "pod", pod, sizeof pod)
     || nines_query_u64 (q, "t_down", &t_down) || nines_query_u64 (q, "duration_ms", &duration)) {
        nines_query_destroy (&q);
        return;
    }
    nines_query_u64 (q, "t_up", &t_up);
    nines_query_u64 (q, "pieces", &pieces);
    nines_query_u64 (q, "slashed", &slashed);
    nines_query_bool (q, "open", &open);
    nines_query_bool (q, "correlated", &correlated);
    nines_query_destroy (&q);
    char hex [NINES_ID_HEX];
    nines_info ("incident pod %.16s since %" PRIu64 ": %s%s, %" PRIu64 " piece%s, %.1f s, slashed %" PRIu64 "%s",
                nines_hex (hex, pod, sizeof pod), t_down, open ? "open" : "closed",
                pieces > 1 ? " (merged)" : "", pieces, pieces == 1 ? "" : "s", (double) duration / 1000,
                slashed, correlated ? " (correlated outage: not slashed)" : "");
}

static void
s_publish (nines_ledger_t *ledger, zsock_t *pub)
{
    char topic [16];
    uint8_t *data;
    size_t len;
    while (nines_ledger_next_event (ledger, topic, &data, &len)) {
        if (!strcmp (topic, NINES_LEDGER_TOPIC_INCIDENT))
            s_log_incident (data, len);
        zmsg_t *msg = zmsg_new ();
        zmsg_addstr (msg, topic);
        zmsg_addmem (msg, data, len);
        zmsg_send (&msg, pub);
        free (data);
    }
}

/*  One request: [identity, (empty), payload] -> [identity, (empty), reply]:
    the envelope goes back as it came, the payload is replaced. */
static void
s_serve (nines_ledger_t *ledger, zsock_t *router)
{
    zmsg_t *msg = zmsg_recv (router);
    if (!msg)
        return;
    zframe_t *req = zmsg_size (msg) >= 2 ? zmsg_last (msg) : NULL;
    if (!req) {
        zmsg_destroy (&msg);
        return;
    }
    zmsg_remove (msg, req);
    uint8_t *out = NULL;
    size_t out_len = 0;
    uint64_t now = (uint64_t) zclock_time ();
    if (nines_ledger_handle (ledger, zframe_data (req), zframe_size (req), now, &out, &out_len) == 0) {
        s_log_ack (out, out_len);
        s_metrics_count (zframe_data (req), zframe_size (req), out, out_len);
        zmsg_addmem (msg, out, out_len);
        zmsg_send (&msg, router);
    }
    free (out);
    zframe_destroy (&req);
    zmsg_destroy (&msg);
}

int
main (int argc, char **argv)
{
    char data [1024], api [256], pub [256], metrics [256];   /* ledger/data, api, pub, metrics */
    nines_keypair_t key;
    nines_registry_t *genesis = NULL;
    nines_daemon_args_t args;
    int arc = nines_daemon_args (argc, argv, "nines-ledger", s_usage, s_known_keys, "ledger/log", &args);
    if (arc || args.done)
        return arc ? NINES_EXIT_USAGE : NINES_EXIT_OK;
    const char *path = args.path;
    bool check_only = args.check_only;
    if (nines_crypto_init ()) {
        fputs ("nines-ledger: libsodium failed to initialise\n", stderr);
        return 1;
    }
    int rc = s_configure (path, args.cfg, check_only, data, api, pub, metrics, &key, &genesis);
    if (rc || check_only) {
        nines_registry_destroy (&genesis);
        if (!rc)
            printf ("%s: configuration valid\n", path);
        return rc;
    }

    nines_daemon_signals (&s_stop);

    char err [512] = "";
    nines_ledger_t *ledger = nines_ledger_open (data, genesis, &key, err, sizeof err);
    nines_registry_destroy (&genesis);
    nines_keypair_wipe (&key);
    if (!ledger) {
        /*  A data directory another ledger holds is an operator error
            (exit 2, like a bad configuration); two ledgers on one store
            would pay each slash twice. */
        bool locked = nines_store_lock_holder (data) != 0;
        if (locked)
            fprintf (stderr, "nines-ledger: %s: ledger/data: %s\n", path, err);
        else
            nines_error ("%s", err);
        zsys_shutdown ();
        return locked ? 2 : 1;
    }
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_t *pubsock = zsock_new (ZMQ_PUB);
    /*  Bounds on what clients may send, set before bind (libzmq ignores
        ZMQ_MAXMSGSIZE set later): an oversized request closes that
        connection before its body is read, instead of being buffered
        whole (a 256 MiB request once raised the ledger to 533 MB). */
    if (router)
        zsock_set_maxmsgsize (router, NINES_LEDGER_REQ_MAX);
    if (pubsock)
        zsock_set_maxmsgsize (pubsock, NINES_SUB_MSG_MAX);
    if (!router || zsock_bind (router, "%s", api) < 0) {
        fprintf (stderr, "nines-ledger: %s: ledger/api: cannot bind %s: %s\n", path, api, zmq_strerror (zmq_errno ()));
        rc = 1;         /* a busy port clears: a runtime failure systemd restarts, not exit 2 */
    }
    else
    if (!pubsock || zsock_bind (pubsock, "%s", pub) < 0) {
        fprintf (stderr, "nines-ledger: %s: ledger/pub: cannot bind %s: %s\n", path, pub, zmq_strerror (zmq_errno ()));
        rc = 1;
    }
    nines_metrics_http_t *http = NULL;
    if (!rc && metrics [0]) {
        char merr [256] = "";
        if (s_metrics_init (ledger)
         || !(http = nines_metrics_http_new (metrics, s_metrics_render, NULL, merr, sizeof merr))) {
            fprintf (stderr, "nines-ledger: %s: ledger/metrics: %s\n", path, merr [0] ? merr : "cannot set up");
            rc = 2;
        }
        else
            nines_info ("metrics on http://%s/metrics", metrics);
    }
    if (!rc) {
        zsock_set_linger (router, 0);
        zsock_set_linger (pubsock, 0);
        const nines_registry_t *reg = nines_ledger_registry (ledger);
        nines_info ("serving %s, publishing %s; registry v%llu: %zu validators, %zu pods", api, pub,
                    (unsigned long long) reg->version, reg->n_validators, reg->n_pods);
        while (!s_stop) {
            uint64_t now = (uint64_t) zclock_time ();
            nines_ledger_tick (ledger, now);
            s_publish (ledger, pubsock);
            uint64_t wake = nines_ledger_next_wakeup (ledger, now);
            int timeout = wake > now ? (int) (wake - now) : 0;
            if (timeout > 1000)
                timeout = 1000;         /* re-check the stop flag */
            zmq_pollitem_t items [2] = { { zsock_resolve (router), 0, ZMQ_POLLIN, 0 },
                                         { NULL, http ? nines_metrics_http_fd (http) : -1, ZMQ_POLLIN, 0 } };
            if (zmq_poll (items, http ? 2 : 1, timeout) > 0 && (items [0].revents & ZMQ_POLLIN)) {
                s_serve (ledger, router);
                s_publish (ledger, pubsock);
            }
            if (http)
                nines_metrics_http_service (http);
        }
        nines_info ("stopping");
    }
    nines_metrics_http_destroy (&http);
    nines_metrics_destroy (&s_m.reg);
    zsock_destroy (&router);
    zsock_destroy (&pubsock);
    nines_ledger_destroy (&ledger);
    zsys_shutdown ();
    return rc;
}
