/*  nines-ledger: the reference uptime staking ledger as a process.
    nines-ledger -c ledger.zpl [-v]

    A thin adapter over ledger.c: a CZMQ ROUTER for the API, a PUB socket
    for the stream, the wall clock for `now`.  Every reply is sent only
    after the request's LMDB transaction committed, so whatever a client
    saw acknowledged survives a kill -9. */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/config.h"
#include "base/error.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "proto/registry.h"
#include "ledger/ledger.h"

static volatile sig_atomic_t s_stop = 0;

static void
s_on_signal (int sig)
{
    s_stop = 1;
}

static void
s_usage (FILE *out)
{
    fputs (
"usage: nines-ledger -c FILE [-v]\n"
"\n"
"The nines reference uptime staking ledger (DESIGN.md section 8): holds the\n"
"registry and stakes, verifies downtime evidence on its own, turns incidents\n"
"into sigmoid-weighted partial slashes in integer fixed point, computes nines\n"
"and refunds, and pays validators that answer its canary.\n"
"\n"
"  -c FILE      ZPL configuration (every key: deploy/nines-ledger.zpl):\n"
"                 ledger/data     LMDB directory (required)\n"
"                 ledger/api      ROUTER endpoint (tcp://127.0.0.1:7500)\n"
"                 ledger/pub      PUB endpoint (tcp://127.0.0.1:7501)\n"
"                 ledger/key      key file; created (0600) when missing\n"
"                 ledger/genesis  registry snapshot loaded into an empty store\n"
"                 ledger/log      error | warn | info | debug (info)\n"
"  -v           debug logs\n"
"  -h, --help   this text\n"
"\n"
"API and stream: proto/LEDGER.md; operate it with ninesctl (register-validator,\n"
"register-pod, maintenance, paid-until, ledger-* queries, verify-evidence, sla).\n"
"SIGTERM or SIGINT stops it.  Exit: 0 clean stop, 1 runtime failure, 2 bad\n"
"command line or configuration.\n", out);
}

/*  Config and key: 0, or 2 with one line on stderr naming file and key. */
static int
s_configure (const char *path, bool verbose, char *data, char *api, char *pub,
             nines_keypair_t *key, nines_registry_t **genesis)
{
    const char *error = NULL;
    nines_config_t *cfg = nines_config_load (path, &error);
    if (!cfg) {
        fprintf (stderr, "nines-ledger: %s\n", error ? error : path);
        return 2;
    }
    int rc = 2;
    nines_log_level_t level = NINES_LOG_INFO;
    const char *d = nines_config_str (cfg, "ledger/data", NULL);
    const char *k = nines_config_str (cfg, "ledger/key", "ledger.key");
    const char *g = nines_config_str (cfg, "ledger/genesis", NULL);
    snprintf (api, 256, "%s", nines_config_str (cfg, "ledger/api", "tcp://127.0.0.1:7500"));
    snprintf (pub, 256, "%s", nines_config_str (cfg, "ledger/pub", "tcp://127.0.0.1:7501"));
    if (nines_log_level_parse (nines_config_str (cfg, "ledger/log", "info"), &level))
        fprintf (stderr, "nines-ledger: %s: ledger/log: expected error, warn, info or debug, got '%s'\n",
                 path, nines_config_str (cfg, "ledger/log", ""));
    else
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
    if (!rc) {
        snprintf (data, 1024, "%s", d);
        nines_log_set_level (verbose ? NINES_LOG_DEBUG : level);
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

static void
s_publish (nines_ledger_t *ledger, zsock_t *pub)
{
    char topic [16];
    uint8_t *data;
    size_t len;
    while (nines_ledger_next_event (ledger, topic, &data, &len)) {
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
    const char *path = NULL;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "-h") || !strcmp (argv [i], "--help")) {
            s_usage (stdout);
            return 0;
        }
        else if (!strcmp (argv [i], "-v"))
            verbose = true;
        else if (!strcmp (argv [i], "-c") && i + 1 < argc)
            path = argv [++i];
        else {
            fprintf (stderr, "nines-ledger: unknown argument '%s' (see nines-ledger --help)\n", argv [i]);
            return 2;
        }
    }
    if (!path) {
        fputs ("nines-ledger: -c FILE is required (see nines-ledger --help)\n", stderr);
        return 2;
    }
    nines_log_set_ident ("nines-ledger");
    if (nines_crypto_init ()) {
        fputs ("nines-ledger: libsodium failed to initialise\n", stderr);
        return 1;
    }
    char data [1024], api [256], pub [256];
    nines_keypair_t key;
    nines_registry_t *genesis = NULL;
    int rc = s_configure (path, verbose, data, api, pub, &key, &genesis);
    if (rc)
        return rc;

    zsys_handler_set (NULL);
    zsys_init ();
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    char err [512] = "";
    nines_ledger_t *ledger = nines_ledger_open (data, genesis, &key, err, sizeof err);
    nines_registry_destroy (&genesis);
    nines_keypair_wipe (&key);
    if (!ledger) {
        nines_error ("%s", err);
        zsys_shutdown ();
        return 1;
    }
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zsock_t *pubsock = zsock_new (ZMQ_PUB);
    if (!router || zsock_bind (router, "%s", api) < 0) {
        fprintf (stderr, "nines-ledger: %s: ledger/api: cannot bind %s: %s\n", path, api, zmq_strerror (zmq_errno ()));
        rc = 2;
    }
    else
    if (!pubsock || zsock_bind (pubsock, "%s", pub) < 0) {
        fprintf (stderr, "nines-ledger: %s: ledger/pub: cannot bind %s: %s\n", path, pub, zmq_strerror (zmq_errno ()));
        rc = 2;
    }
    if (!rc) {
        zsock_set_linger (router, 0);
        zsock_set_linger (pubsock, 0);
        const nines_registry_t *reg = nines_ledger_registry (ledger);
        nines_info ("serving %s, publishing %s; registry v%llu: %zu validators, %zu pods", api, pub,
                    (unsigned long long) reg->version, reg->n_validators, reg->n_pods);
        zpoller_t *poller = zpoller_new (router, NULL);
        while (!s_stop) {
            uint64_t now = (uint64_t) zclock_time ();
            nines_ledger_tick (ledger, now);
            s_publish (ledger, pubsock);
            uint64_t wake = nines_ledger_next_wakeup (ledger, now);
            int timeout = wake > now ? (int) (wake - now) : 0;
            if (timeout > 1000)
                timeout = 1000;         /* re-check the stop flag */
            if (zpoller_wait (poller, timeout) == router) {
                s_serve (ledger, router);
                s_publish (ledger, pubsock);
            }
        }
        zpoller_destroy (&poller);
        nines_info ("stopping");
    }
    zsock_destroy (&router);
    zsock_destroy (&pubsock);
    nines_ledger_destroy (&ledger);
    zsys_shutdown ();
    return rc;
}
