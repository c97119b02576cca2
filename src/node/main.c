/*  ninesd: the nines validator daemon.  ninesd -c ninesd.zpl [-v] */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/config.h"
#include "base/error.h"
#include "base/log.h"
#include "crypto/crypto.h"
#include "node/node.h"

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
"usage: ninesd -c FILE [-v] [-s SECTION/KEY=VALUE]...\n"
"\n"
"The nines validator node: probes pods through their heartbeat facades at\n"
"random, confirms failures with a committee of peers, gossips signed quorum\n"
"reports and submits evidence to the ledger (DESIGN.md sections 6-7).\n"
"\n"
"  -c FILE         ZPL configuration (every key and default: deploy/ninesd.zpl)\n"
"  -s KEY=VALUE    override one key, e.g. -s node/query=tcp://127.0.0.1:7402\n"
"  -v              debug logs (same as node/log = debug)\n"
"  -h, --help      this text\n"
"\n"
"Query it with ninesctl (status, peers, pods, reports, incidents, nines,\n"
"evidence, watch); proto/QUERY.md documents the query socket.\n"
"SIGTERM or SIGINT stops it cleanly.  Exit: 0 clean stop, 1 runtime failure,\n"
"2 bad command line or configuration, or node/data in use by another process.\n", out);
}

int
main (int argc, char **argv)
{
    const char *path = NULL;
    bool verbose = false;
    nines_config_t *overrides = nines_config_new ("command line");
    for (int i = 1; i < argc; i++) {
        if (!strcmp (argv [i], "-h") || !strcmp (argv [i], "--help")) {
            s_usage (stdout);
            nines_config_destroy (&overrides);
            return 0;
        }
        else if (!strcmp (argv [i], "-v"))
            verbose = true;
        else if (!strcmp (argv [i], "-c") && i + 1 < argc)
            path = argv [++i];
        else if (!strcmp (argv [i], "-s") && i + 1 < argc) {
            char *kv = argv [++i];
            char *eq = strchr (kv, '=');
            if (!eq || eq == kv) {
                fprintf (stderr, "ninesd: -s: expected SECTION/KEY=VALUE, got '%s'\n", kv);
                nines_config_destroy (&overrides);
                return 2;
            }
            *eq = 0;
            nines_config_set (overrides, kv, eq + 1);
            *eq = '=';
        }
        else {
            fprintf (stderr, "ninesd: unknown argument '%s' (see ninesd --help)\n", argv [i]);
            nines_config_destroy (&overrides);
            return 2;
        }
    }
    if (!path) {
        fputs ("ninesd: -c FILE is required (see ninesd --help)\n", stderr);
        nines_config_destroy (&overrides);
        return 2;
    }
    nines_log_set_ident ("ninesd");
    const char *error = NULL;
    nines_config_t *cfg = nines_config_load (path, &error);
    if (!cfg) {
        fprintf (stderr, "ninesd: %s\n", error ? error : path);
        nines_config_destroy (&overrides);
        return 2;
    }
    /*  Apply -s overrides on top of the file. */
    zconfig_t *root = nines_config_zconfig (overrides);
    for (zconfig_t *sec = zconfig_child (root); sec; sec = zconfig_next (sec))
        for (zconfig_t *k = zconfig_child (sec); k; k = zconfig_next (k)) {
            char key [256];
            snprintf (key, sizeof key, "%s/%s", zconfig_name (sec), zconfig_name (k));
            nines_config_set (cfg, key, zconfig_value (k) ? zconfig_value (k) : "");
        }
    nines_config_destroy (&overrides);

    nines_log_level_t level = NINES_LOG_INFO;
    if (nines_log_level_parse (nines_config_str (cfg, "node/log", "info"), &level)) {
        fprintf (stderr, "ninesd: %s: node/log: expected error, warn, info or debug, got '%s'\n",
                 path, nines_config_str (cfg, "node/log", ""));
        nines_config_destroy (&cfg);
        return 2;
    }
    nines_log_set_level (verbose ? NINES_LOG_DEBUG : level);

    nines_node_config_t nc;
    char err [600] = "";
    if (nines_node_config_load (cfg, &nc, err, sizeof err)) {
        /* Config getters name the file already; our own checks do not. */
        if (strstr (err, path) == err)
            fprintf (stderr, "ninesd: %s\n", err);
        else
            fprintf (stderr, "ninesd: %s: %s\n", path, err);
        nines_config_destroy (&cfg);
        return 2;
    }
    nines_config_destroy (&cfg);
    if (nines_crypto_init ()) {
        fputs ("ninesd: libsodium failed to initialise\n", stderr);
        return 1;
    }
    /*  Our own handlers: CZMQ's would only set zsys_interrupted. */
    zsys_handler_set (NULL);
    zsys_init ();
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);

    int code = 0;
    nines_node_t *node = nines_node_new (&nc, err, sizeof err, &code);
    if (!node) {
        if (code == 2)
            fprintf (stderr, "ninesd: %s: %s\n", path, err);
        else
            nines_error ("%s", err);
        zsys_shutdown ();
        return code;
    }
    code = nines_node_run (node, &s_stop);
    nines_node_destroy (&node);
    zsys_shutdown ();
    return code;
}
