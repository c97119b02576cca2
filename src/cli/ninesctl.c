/*  ninesctl: the operator CLI.  This file holds main() and the node
    commands (keys and ninesd queries, proto/QUERY.md); cli_ledger.c the
    ledger commands. */
#include <czmq.h>
#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <curl/curl.h>
#include <sys/wait.h>
#include <msgpack.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/args.h"
#include "client/ops.h"
#include "base/config.h"
#include "client/ledger_client.h"
#include "base/error.h"
#include "cli/cli.h"
#include "cli/cli_chain.h"
#include "crypto/crypto.h"
#include "wire/wire.h"

#define DEFAULT_QUERY "tcp://127.0.0.1:7402"
#define DEFAULT_PUB   "tcp://127.0.0.1:7403"

static void
s_usage (FILE *out)
{
    fputs (
"usage: ninesctl COMMAND [options]\n"
"\n"
"keys:\n"
"  keygen FILE            create an Ed25519 key file (mode 0600), print its id\n"
"  id FILE [--curve]      print the id (64 hex) of a key file [and its CurveZMQ key, Z85]\n"
"  pin CERT               print the SPKI pin (64 hex: SHA-256 of the certificate's\n"
"                         SubjectPublicKeyInfo, DER) of a PEM certificate, for\n"
"                         register-pod --spki-pin\n"
"  pod-id                 print a fresh random pod id (64 hex), for register-pod --pod\n"
"\n"
"node queries (ninesd query socket, proto/QUERY.md):\n"
"  status                 counters, epoch, self-health\n"
"  peers                  SWIM membership\n"
"  pods                   pods and their last heartbeat / incident state\n"
"  reports [--pod HEX] [--limit N]     stored quorum reports, newest last\n"
"  incidents [--pod HEX]  incidents (DOWN .. UP) known to this node\n"
"  nines [--pod HEX]      availability per pod over the registry window (this node's incidents)\n"
"  evidence               evidence outbox (awaiting the ledger's ack)\n"
"  fault --isolate on|off isolation fault hook (ninesd with fault_hooks = 1)\n"
"  watch [--count N]      print the report stream as reports arrive; also the ledger's\n"
"                         incidents and slashes with --ledger-pub EP; per event, run\n"
"                         --exec CMD (sh -c, the event's JSON on stdin and in\n"
"                         $NINES_EVENT_JSON, its topic in $NINES_EVENT) and/or POST the\n"
"                         JSON {\"topic\", \"event\"} to --webhook URL (libcurl, 5 s)\n"
"\n"
"options:\n"
"  -e, --endpoint EP      query socket (default " DEFAULT_QUERY ")\n"
"      --pub EP           report stream for watch (default " DEFAULT_PUB ")\n"
"  -c FILE                take the endpoints from a ninesd config (node/query, node/pub)\n"
"      --json             JSON (one line) instead of a table\n"
"  -t, --timeout MS       reply timeout (default 3000); watch: exit 3 after MS without a report\n"
"  -h, --help             this text\n"
"  -V, --version          the version (first argument)\n"
"Options also take --name=VALUE.\n"
"\n"
"Exit codes: 0 ok, 1 error reply (a refused request), 2 usage or the wrong kind of daemon (a node command\n"
"at the ledger, a ledger command or status-page at ninesd, watch given the other's\n"
"stream or a socket that is no stream), 3 endpoint unreachable / timeout.\n",
    out);
    nines_cli_ledger_usage (out);
    nines_cli_chain_usage (out);
}

typedef struct {
    const char *endpoint;       /* query endpoint */
    const char *pub;            /* report stream endpoint */
    const char *config;         /* -c FILE */
    bool json;                  /* --json */
    int timeout_ms;             /* -t */
    bool timeout_set;           /* -t given */
    const char *pod;            /* --pod HEX */
    uint64_t limit;             /* --limit */
    bool has_limit;             /* --limit given */
    const char *isolate;        /* --isolate on|off */
    uint64_t count;             /* watch --count */
    const char *ledger_pub;     /* watch --ledger-pub: the ledger's stream too */
    const char *exec;           /* watch --exec CMD */
    const char *webhook;        /* watch --webhook URL */
    bool curve;                 /* id --curve */
    const char *arg;            /* first positional argument after the command */
} opts_t;

static int
s_parse (int argc, char **argv, opts_t *o)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv [i];
        const char *next = i + 1 < argc ? argv [i + 1] : NULL;
#define TAKE() do { if (!next) { fprintf (stderr, "ninesctl: %s needs a value\n", a); return 2; } i++; } while (0)
        if (!strcmp (a, "-e") || !strcmp (a, "--endpoint")) { TAKE (); o->endpoint = next; }
        else if (!strcmp (a, "--pub")) { TAKE (); o->pub = next; }
        else if (!strcmp (a, "--ledger-pub")) { TAKE (); o->ledger_pub = next; }
        else if (!strcmp (a, "--exec")) { TAKE (); o->exec = next; }
        else if (!strcmp (a, "--webhook")) {
            TAKE ();
            if (strncmp (next, "http://", 7) && strncmp (next, "https://", 8)) {
                fprintf (stderr, "ninesctl: --webhook: expected an http:// or https:// URL, got '%s'\n", next);
                return 2;
            }
            o->webhook = next;
        }
        else if (!strcmp (a, "-c")) { TAKE (); o->config = next; }
        else if (!strcmp (a, "--json")) o->json = true;
        else if (!strcmp (a, "--curve")) o->curve = true;
        else if (!strcmp (a, "-t") || !strcmp (a, "--timeout")) {
            TAKE ();
            uint64_t v;
            if (nines_parse_u64 (next, &v) || v == 0 || v > 3600000) {
                fprintf (stderr, "ninesctl: --timeout: expected milliseconds in 1..3600000, got '%s'\n", next);
                return 2;
            }
            o->timeout_ms = (int) v;
            o->timeout_set = true;
        }
        else if (!strcmp (a, "--pod")) {
            TAKE ();
            uint8_t pod [NINES_ID_BYTES];
            if (strlen (next) != 64 || nines_unhex (pod, sizeof pod, next)) {
                fprintf (stderr, "ninesctl: --pod: expected 64 hex characters, got '%s'\n", next);
                return 2;
            }
            o->pod = next;
        }
        else if (!strcmp (a, "--limit") || !strcmp (a, "--count")) {
            TAKE ();
            uint64_t v;
            if (nines_parse_u64 (next, &v)) {
                fprintf (stderr, "ninesctl: %s: expected a number, got '%s'\n", a, next);
                return 2;
            }
            if (!strcmp (a, "--count"))
                o->count = v;
            else {
                o->limit = v;
                o->has_limit = true;
            }
        }
        else if (!strcmp (a, "--isolate")) {
            TAKE ();
            if (strcmp (next, "on") && strcmp (next, "off")
            &&  strcmp (next, "true") && strcmp (next, "false")) {
                fprintf (stderr, "ninesctl: --isolate: expected on or off, got '%s'\n", next);
                return 2;
            }
            o->isolate = next;
        }
        else if (nines_cli_arg_rest (a, s_usage, &o->arg))
            return 2;
#undef TAKE
    }
    if (o->config) {
        const char *err = NULL;
        nines_config_t *cfg = nines_config_load (o->config, &err);
        if (!cfg) {
            fprintf (stderr, "ninesctl: %s\n", err ? err : o->config);
            return 2;
        }
        /* Copies live until exit: ninesctl is short-lived. */
        if (o->endpoint == NULL || !strcmp (o->endpoint, DEFAULT_QUERY))
            o->endpoint = strdup (nines_config_str (cfg, "node/query", DEFAULT_QUERY));
        if (o->pub == NULL || !strcmp (o->pub, DEFAULT_PUB))
            o->pub = strdup (nines_config_str (cfg, "node/pub", DEFAULT_PUB));
        nines_config_destroy (&cfg);
    }
    if (!o->endpoint)
        o->endpoint = DEFAULT_QUERY;
    if (!o->pub)
        o->pub = DEFAULT_PUB;
    return 0;
}

static int
s_keygen (const opts_t *o)
{
    if (!o->arg) {
        fputs ("ninesctl: keygen FILE: missing FILE\n", stderr);
        return 2;
    }
    nines_keypair_t kp;
    if (nines_keypair_generate (&kp)) {
        fputs ("ninesctl: keygen: no randomness\n", stderr);
        return 1;
    }
    int rc = nines_keyfile_save (o->arg, &kp);
    if (rc) {
        fprintf (stderr, "ninesctl: keygen: %s: %s\n", o->arg,
                 rc == NINES_EEXIST ? "exists (refusing to overwrite)" : nines_strerror (rc));
        nines_keypair_wipe (&kp);
        return 1;
    }
    char hex [NINES_ID_HEX];
    printf ("%s\n", nines_hex (hex, kp.pk, NINES_ID_BYTES));
    nines_keypair_wipe (&kp);
    return 0;
}

/*  The SPKI pin validators check (PROTOCOL.md: SHA-256 of the DER
    SubjectPublicKeyInfo, as curl's CURLOPT_PINNEDPUBLICKEY sha256//). */
static int
s_pin (const opts_t *o)
{
    if (!o->arg) {
        fputs ("ninesctl: pin CERT: missing CERT (a PEM certificate)\n", stderr);
        return 2;
    }
    FILE *f = fopen (o->arg, "r");
    if (!f) {
        fprintf (stderr, "ninesctl: pin: %s: %s\n", o->arg, strerror (errno));
        return 1;
    }
    X509 *cert = PEM_read_X509 (f, NULL, NULL, NULL);
    fclose (f);
    unsigned char *spki = NULL;
    int spki_len = cert ? i2d_PUBKEY (X509_get0_pubkey (cert), &spki) : -1;
    X509_free (cert);
    if (spki_len <= 0) {
        fprintf (stderr, "ninesctl: pin: %s: not a PEM certificate\n", o->arg);
        return 1;
    }
    uint8_t pin [crypto_hash_sha256_BYTES];
    crypto_hash_sha256 (pin, spki, (unsigned long long) spki_len);
    OPENSSL_free (spki);
    char hex [NINES_ID_HEX];
    printf ("%s\n", nines_hex (hex, pin, sizeof pin));
    return 0;
}

static int
s_pod_id (void)
{
    uint8_t id [NINES_ID_BYTES];
    randombytes_buf (id, sizeof id);
    char hex [NINES_ID_HEX];
    printf ("%s\n", nines_hex (hex, id, sizeof id));
    return 0;
}

static int
s_id (const opts_t *o)
{
    if (!o->arg) {
        fputs ("ninesctl: id FILE: missing FILE\n", stderr);
        return 2;
    }
    nines_keypair_t kp;
    int rc = nines_keyfile_load (o->arg, &kp);
    if (rc) {
        fprintf (stderr, "ninesctl: id: %s: %s\n", o->arg, nines_strerror (rc));
        return 1;
    }
    char hex [NINES_ID_HEX];
    nines_hex (hex, kp.pk, NINES_ID_BYTES);
    if (o->curve) {
        uint8_t cpk [NINES_CURVE_BYTES], csk [NINES_CURVE_BYTES];
        char z85 [41];
        if (nines_keypair_curve (&kp, cpk, csk) || !zmq_z85_encode (z85, cpk, sizeof cpk)) {
            fputs ("ninesctl: id: cannot derive the CurveZMQ key\n", stderr);
            nines_keypair_wipe (&kp);
            return 1;
        }
        sodium_memzero (csk, sizeof csk);
        if (o->json)
            printf ("{\"id\":\"%s\",\"curve\":\"%s\"}\n", hex, z85);
        else
            printf ("%s\ncurve: %s\n", hex, z85);
    }
    else if (o->json)
        printf ("{\"id\":\"%s\"}\n", hex);
    else
        printf ("%s\n", hex);
    nines_keypair_wipe (&kp);
    return 0;
}

/*  Columns shown by default for each query (the JSON has every field). */
static const char *const cols_peers [] = { "id", "state", "incarnation", "last_ack_ms", "endpoint", NULL };
static const char *const cols_pods [] = { "pod", "state", "last_outcome", "last_probe_ms",
                                          "down_since_ms", "incidents", "downtime_ms",
                                          "cert_not_after_ms", "connect_us", "tls_us", "ttfb_us",
                                          "total_us", NULL };     /* the last heartbeat's phases */
static const char *const cols_reports [] = { "kind", "pod", "epoch", "t_ms", "signers",
                                             "weight", "round_id", NULL };
static const char *const cols_incidents [] = { "pod", "t_down", "t_up", "duration_ms", "open", NULL };
static const char *const cols_nines [] = { "pod", "window_ms", "downtime_ms", "availability_ppm", "nines_micro", NULL };
static const char *const cols_evidence [] = { "id", "pod", "t_down", "t_up", "closed", "state", NULL };

static int
s_query (const char *op, const opts_t *o, const char *const *columns)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    uint32_t n = 1 + (o->pod ? 1 : 0) + (o->has_limit ? 1 : 0) + (o->isolate ? 1 : 0);
    msgpack_pack_map (&pk, n);
    nines_pack_kv_str (&pk, "op", op);
    if (o->pod) {
        uint8_t pod [NINES_ID_BYTES];
        nines_unhex (pod, sizeof pod, o->pod);
        nines_pack_kv_bin (&pk, "pod", pod, sizeof pod);
    }
    if (o->has_limit)
        nines_pack_kv_u64 (&pk, "limit", o->limit);
    if (o->isolate)
        nines_pack_kv_bool (&pk, "isolate", !strcmp (o->isolate, "on") || !strcmp (o->isolate, "true"));
    int rc = nines_cli_expect_node (o->endpoint, o->timeout_ms);
    if (!rc)
        rc = nines_cli_call (o->endpoint, (const uint8_t *) sb.data, sb.size, o->timeout_ms,
                             o->json, columns);
    msgpack_sbuffer_destroy (&sb);
    return rc;
}

/*  One event as the JSON object {"topic": T, "event": {...}} (malloc'd),
    or NULL when the body is not msgpack. */
static char *
s_event_json (const char *topic, size_t topic_len, const uint8_t *body, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&text, &size);
    if (!f)
        return NULL;
    fprintf (f, "{\"topic\":\"%.*s\",\"event\":", (int) topic_len, topic);
    int rc = nines_cli_print_value (body, len, true, f);
    fclose (f);
    if (rc || !text) {
        free (text);
        return NULL;
    }
    size_t n = strlen (text);
    while (n && text [n - 1] == '\n')
        text [--n] = 0;
    char *out = realloc (text, n + 2);
    if (!out) {
        free (text);
        return NULL;
    }
    strcpy (out + n, "}");
    return out;
}

/*  --exec: sh -c CMD with the event on stdin and in the environment.  A
    failing command is reported and watch goes on. */
static void
s_event_exec (const char *cmd, const char *topic, const char *json)
{
    setenv ("NINES_EVENT", topic, 1);
    setenv ("NINES_EVENT_JSON", json, 1);
    fflush (stdout);
    FILE *p = popen (cmd, "w");
    if (!p) {
        fprintf (stderr, "ninesctl: watch: --exec: cannot run '%s'\n", cmd);
        return;
    }
    fprintf (p, "%s\n", json);
    int st = pclose (p);
    if (st != 0)
        fprintf (stderr, "ninesctl: watch: --exec: '%s' exited with status %d\n", cmd,
                 WIFEXITED (st) ? WEXITSTATUS (st) : -1);
}

/*  --webhook: POST the JSON (Slack, PagerDuty, Alertmanager-style
    receivers take a JSON body).  Errors are reported, watch goes on. */
static void
s_event_webhook (const char *url, const char *json)
{
    CURL *c = curl_easy_init ();
    if (!c)
        return;
    struct curl_slist *h = curl_slist_append (NULL, "Content-Type: application/json");
    curl_easy_setopt (c, CURLOPT_URL, url);
    curl_easy_setopt (c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt (c, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt (c, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt (c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt (c, CURLOPT_USERAGENT, "ninesctl-watch");
    CURLcode rc = curl_easy_perform (c);
    long status = 0;
    curl_easy_getinfo (c, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK)
        fprintf (stderr, "ninesctl: watch: --webhook %s: %s\n", url, curl_easy_strerror (rc));
    else if (status < 200 || status >= 300)
        fprintf (stderr, "ninesctl: watch: --webhook %s: HTTP %ld\n", url, status);
    curl_slist_free_all (h);
    curl_easy_cleanup (c);
}

/*  One stream watch reads: ninesd's reports (--pub) or the ledger's events
    (--ledger-pub).  The SUB takes every topic, so that a stream of the
    other daemon is recognised by its topics (s_feed_topic), and a monitor
    PAIR reports the SUB's connections: an endpoint that is no PUB socket
    (a query or API ROUTER) drops the connection before the ZMTP handshake
    completes (libzmq 4.3: CONNECTED then DISCONNECTED, no HANDSHAKE_*
    event), and would otherwise only time out. */
typedef struct {
    zsock_t *sub;
    zsock_t *mon;
    const char *endpoint;
    const char *option;         /* "--pub" or "--ledger-pub" */
    bool ledger;
    bool handshaken;            /* the current connection completed ZMTP */
} feed_t;

static void
s_feed_close (feed_t *f)
{
    if (f->sub)
        zmq_socket_monitor (zsock_resolve (f->sub), NULL, 0);
    zsock_destroy (&f->sub);
    zsock_destroy (&f->mon);
}

/*  0, or 2 (bad endpoint, message printed). */
static int
s_feed_open (feed_t *f, const char *endpoint, const char *option, bool ledger)
{
    char inproc [64];
    snprintf (inproc, sizeof inproc, "inproc://ninesctl-watch-%s", ledger ? "ledger" : "node");
    *f = (feed_t) { .sub = zsock_new (ZMQ_SUB), .mon = zsock_new (ZMQ_PAIR),
                    .endpoint = endpoint, .option = option, .ledger = ledger };
    if (!f->sub || !f->mon
     || zmq_socket_monitor (zsock_resolve (f->sub), inproc,
                            ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
     || zsock_connect (f->mon, "%s", inproc)) {
        fprintf (stderr, "ninesctl: watch: %s\n", zmq_strerror (zmq_errno ()));
        return 2;
    }
    zsock_set_linger (f->sub, 0);
    zsock_set_linger (f->mon, 0);
    zsock_set_subscribe (f->sub, "");
    if (zsock_connect (f->sub, "%s", endpoint) != 0) {
        fprintf (stderr, "ninesctl: watch: bad endpoint '%s'\n", endpoint);
        return 2;
    }
    return 0;
}

/*  A message of topic t on f: 1 to show it, 0 to pass over it (the
    ledger's registry and canary events), 2 when the topic is the other
    daemon's (then f is the wrong stream: message printed). */
static int
s_feed_topic (const feed_t *f, const char *t, size_t n)
{
#define S_IS(lit) (n == sizeof lit - 1 && !memcmp (t, lit, n))
    bool node = S_IS (NINES_NODE_TOPIC_REPORT);
    bool ledger = S_IS (NINES_LEDGER_TOPIC_REGISTRY) || S_IS (NINES_LEDGER_TOPIC_INCIDENT)
               || S_IS (NINES_LEDGER_TOPIC_CANARY);
    bool incident = S_IS (NINES_LEDGER_TOPIC_INCIDENT);
#undef S_IS
    if (f->ledger ? node : ledger) {
        fprintf (stderr, "error: %s %s is %s (topic `%.*s`), not %s: give it as %s\n", f->option, f->endpoint,
                 f->ledger ? "a ninesd report stream" : "the nines-ledger event stream", (int) n, t,
                 f->ledger ? "the ledger's" : "ninesd's", f->ledger ? "--pub" : "--ledger-pub");
        return 2;
    }
    return f->ledger ? incident : node;
}

/*  A monitor event of f: 0, or 2 when a connection ended or failed before
    its handshake completed (message printed).  A drop after a completed
    handshake is the daemon going away: the SUB reconnects. */
static int
s_feed_event (feed_t *f)
{
    zmsg_t *ev = zmsg_recv (f->mon);
    zframe_t *head = ev ? zmsg_first (ev) : NULL;
    uint16_t event = 0;
    if (head && zframe_size (head) >= 2)
        memcpy (&event, zframe_data (head), 2);
    zmsg_destroy (&ev);
    if (event == ZMQ_EVENT_CONNECTED || event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
        f->handshaken = event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED;
        return 0;
    }
    if (event == ZMQ_EVENT_DISCONNECTED && f->handshaken) {
        f->handshaken = false;
        return 0;
    }
    fprintf (stderr, "error: %s %s is not a PUB socket: the ZeroMQ handshake failed (a query or API "
                     "socket? the streams are ninesd's node/pub and the ledger's ledger/pub)\n",
             f->option, f->endpoint);
    return 2;
}

static int
s_watch (const opts_t *o)
{
    feed_t feeds [2] = { { 0 } };
    size_t nf = o->ledger_pub ? 2 : 1;
    int rc = s_feed_open (&feeds [0], o->pub, "--pub", false);
    if (!rc && o->ledger_pub)
        rc = s_feed_open (&feeds [1], o->ledger_pub, "--ledger-pub", true);
    zpoller_t *poller = rc ? NULL : zpoller_new (NULL);
    for (size_t i = 0; poller && i < nf; i++) {
        zpoller_add (poller, feeds [i].sub);
        zpoller_add (poller, feeds [i].mon);
    }
    /*  Without -t, watch runs until interrupted; with -t it exits 3 after
        that long without a report, so scripts never hang. */
    uint64_t seen = 0;
    while (poller && !rc && !zsys_interrupted && (!o->count || seen < o->count)) {
        int wait = o->timeout_ms > 0 ? o->timeout_ms : 1000;
        void *which = zpoller_wait (poller, wait);
        if (!which) {
            if (zpoller_terminated (poller))
                break;
            if (o->timeout_ms > 0 && o->timeout_set) {
                fprintf (stderr, "error: no report from %s within %d ms\n", o->pub, o->timeout_ms);
                rc = 3;
            }
            continue;
        }
        feed_t *f = which == feeds [1].sub || which == feeds [1].mon ? &feeds [1] : &feeds [0];
        if (which == f->mon) {
            rc = s_feed_event (f);
            continue;
        }
        zmsg_t *msg = zmsg_recv (which);
        if (!msg)
            break;
        zframe_t *topic = zmsg_first (msg);
        zframe_t *body = zmsg_next (msg);
        int show = topic && body ? s_feed_topic (f, (const char *) zframe_data (topic), zframe_size (topic)) : 0;
        if (show == 2)
            rc = 2;
        if (show == 1) {
            if (!o->json)
                printf ("%.*s ", (int) zframe_size (topic), (const char *) zframe_data (topic));
            nines_cli_print_value (zframe_data (body), zframe_size (body), o->json, stdout);
            fflush (stdout);
            char *json = (o->exec || o->webhook)
                       ? s_event_json ((const char *) zframe_data (topic), zframe_size (topic),
                                       zframe_data (body), zframe_size (body)) : NULL;
            if (json) {
                char name [32];
                snprintf (name, sizeof name, "%.*s", (int) (zframe_size (topic) < 31 ? zframe_size (topic) : 31),
                          (const char *) zframe_data (topic));
                if (o->exec)
                    s_event_exec (o->exec, name, json);
                if (o->webhook)
                    s_event_webhook (o->webhook, json);
                free (json);
            }
            seen++;
        }
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    for (size_t i = 0; i < nf; i++)
        s_feed_close (&feeds [i]);
    return rc;
}

int
main (int argc, char **argv)
{
    argv = nines_args_expand (&argc, argv);
    if (argc < 2 || !strcmp (argv [1], "-h") || !strcmp (argv [1], "--help")
     || (!strcmp (argv [1], "help") && argc == 2)) {
        s_usage (argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (nines_arg_flag (argv [1], "-V", "--version")) {
        nines_print_version (stdout, "ninesctl");
        return 0;
    }
    /*  --chain URL --contract ADDR: the ledger commands on the contract. */
    if (nines_cli_chain_wanted (argc, argv))
        return nines_cli_chain_main (argc, argv);
    /*  Per-command help: "ninesctl CMD --help" or "ninesctl help CMD". */
    const char *help_for = !strcmp (argv [1], "help") && argc > 2 ? argv [2] : NULL;
    for (int i = 2; i < argc && !help_for; i++)
        if (nines_arg_flag (argv [i], "-h", "--help"))
            help_for = argv [1];
    if (help_for) {
        int found = nines_usage_help (s_usage, help_for, stdout);
        if (!found)
            puts ("(ninesctl --help: the common options and every command)");
        return found && !strcmp (argv [1], "help") ? 2 : 0;     /* help of an unknown command */
    }
    if (nines_crypto_init ()) {
        fputs ("ninesctl: libsodium failed to initialise\n", stderr);
        return 1;
    }
    const char *cmd = argv [1];
    if (nines_cli_ledger_has (cmd))
        return nines_cli_ledger_main (argc - 1, argv + 1);

    opts_t o = { .timeout_ms = NINES_CLI_TIMEOUT_MS };
    int rc = s_parse (argc, argv, &o);
    if (rc)
        return rc;
    if (!strcmp (cmd, "keygen"))
        return s_keygen (&o);
    if (!strcmp (cmd, "id"))
        return s_id (&o);
    if (!strcmp (cmd, "pin"))
        return s_pin (&o);
    if (!strcmp (cmd, "pod-id"))
        return s_pod_id ();

    zsys_init ();
    if (!strcmp (cmd, "status"))
        rc = s_query (NINES_NODE_OP_STATUS, &o, NULL);
    else if (!strcmp (cmd, "peers"))
        rc = s_query (NINES_NODE_OP_PEERS, &o, cols_peers);
    else if (!strcmp (cmd, "pods"))
        rc = s_query (NINES_NODE_OP_PODS, &o, cols_pods);
    else if (!strcmp (cmd, "reports"))
        rc = s_query (NINES_NODE_OP_REPORTS, &o, cols_reports);
    else if (!strcmp (cmd, "incidents"))
        rc = s_query (NINES_NODE_OP_INCIDENTS, &o, cols_incidents);
    else if (!strcmp (cmd, "nines"))
        rc = s_query (NINES_NODE_OP_NINES, &o, cols_nines);
    else if (!strcmp (cmd, "evidence"))
        rc = s_query (NINES_NODE_OP_EVIDENCE, &o, cols_evidence);
    else if (!strcmp (cmd, "fault")) {
        if (!o.isolate) {
            fputs ("ninesctl: fault: --isolate on|off is required\n", stderr);
            return 2;
        }
        rc = s_query (NINES_NODE_OP_FAULT, &o, NULL);
    }
    else if (!strcmp (cmd, "watch"))
        rc = s_watch (&o);
    else {
        fprintf (stderr, "ninesctl: unknown command '%s' (see ninesctl --help)\n", cmd);
        rc = 2;
    }
    return rc;
}
