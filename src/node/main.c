/*  ninesd: the nines validator daemon.  ninesd -c ninesd.zpl [-v] (--help) */
#include <czmq.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "base/args.h"
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
"usage: ninesd -c FILE [-v] [-s SECTION/KEY=VALUE]... [--check-config]\n"
"\n"
"The nines validator node: probes pods through their heartbeat facades at\n"
"random, confirms failures with a committee of peers, gossips signed quorum\n"
"reports and submits evidence to the ledger (DESIGN.md sections 6-7).\n"
"\n"
"  -c, --config FILE   ZPL configuration (every key and default: deploy/ninesd.zpl);\n"
"                      an unknown section or key is an error\n"
"  -s, --set KEY=VALUE override one key, e.g. -s node/query=tcp://127.0.0.1:7402\n"
"  -v, --verbose       debug logs (same as node/log = debug)\n"
"      --check-config  validate the configuration and exit (0 valid, 2 not)\n"
"  -h, --help          this text\n"
"  -V, --version       the version\n"
"Long options also take --name=VALUE.\n"
"\n"
"Query it with ninesctl (status, peers, pods, reports, incidents, nines,\n"
"evidence, watch); proto/QUERY.md documents the query socket.\n"
"SIGTERM or SIGINT stops it cleanly (exit 0); SIGHUP is ignored (nothing\n"
"reloads: restart to apply a changed configuration; the registry follows\n"
"the ledger by itself).  Exit (README \"Exit codes\"): 0 clean stop, 1 runtime\n"
"failure, 2 bad command line or configuration, or node/data in use by\n"
"another process.\n", out);
}

int
main (int argc, char **argv)
{
    const char *path = NULL, *value = NULL;
    bool verbose = false, check_only = false;
    nines_config_t *overrides = nines_config_new ("command line (-s)");
    for (int i = 1; i < argc; i++) {
        if (nines_arg_flag (argv [i], "-h", "--help")) {
            s_usage (stdout);
            nines_config_destroy (&overrides);
            return NINES_EXIT_OK;
        }
        else if (nines_arg_flag (argv [i], "-V", "--version")) {
            nines_print_version (stdout, "ninesd");
            nines_config_destroy (&overrides);
            return NINES_EXIT_OK;
        }
        else if (nines_arg_flag (argv [i], "-v", "--verbose"))
            verbose = true;
        else if (nines_arg_flag (argv [i], NULL, "--check-config"))
            check_only = true;
        else if (nines_arg_value (argc, argv, &i, "-c", "--config", &value) && value)
            path = value;
        else if (nines_arg_value (argc, argv, &i, "-s", "--set", &value) && value) {
            if (nines_arg_override (overrides, value)) {
                fprintf (stderr, "ninesd: -s: expected SECTION/KEY=VALUE, got '%s'\n", value);
                nines_config_destroy (&overrides);
                return NINES_EXIT_USAGE;
            }
        }
        else {
            fprintf (stderr, "ninesd: unknown or incomplete argument '%s' (see ninesd --help)\n", argv [i]);
            nines_config_destroy (&overrides);
            return NINES_EXIT_USAGE;
        }
    }
    if (!path) {
        fputs ("ninesd: -c FILE is required (see ninesd --help)\n", stderr);
        nines_config_destroy (&overrides);
        return NINES_EXIT_USAGE;
    }
    nines_log_set_ident ("ninesd");
    if (nines_config_check_known (overrides, nines_node_config_keys)) {
        fprintf (stderr, "ninesd: %s\n", nines_config_error (overrides));
        nines_config_destroy (&overrides);
        return NINES_EXIT_USAGE;
    }
    const char *error = NULL;
    nines_config_t *cfg = nines_config_load (path, &error);
    if (!cfg) {
        fprintf (stderr, "ninesd: %s\n", error ? error : path);
        nines_config_destroy (&overrides);
        return NINES_EXIT_USAGE;
    }
    if (nines_config_check_known (cfg, nines_node_config_keys)) {
        fprintf (stderr, "ninesd: %s\n", nines_config_error (cfg));
        nines_config_destroy (&overrides);
        nines_config_destroy (&cfg);
        return NINES_EXIT_USAGE;
    }
    /*  Apply -s overrides on top of the file. */
    nines_config_merge (cfg, overrides);
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
        return NINES_EXIT_USAGE;
    }
    nines_config_destroy (&cfg);
    if (check_only) {
        printf ("%s: configuration valid\n", path);
        return NINES_EXIT_OK;
    }
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
    signal (SIGHUP, SIG_IGN);           /* nothing reloads (see --help) */

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
