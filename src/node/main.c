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

static volatile sig_atomic_t s_stop = 0;   /* set by SIGTERM/SIGINT (nines_daemon_signals) */

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
    nines_daemon_args_t args;
    int arc = nines_daemon_args (argc, argv, "ninesd", s_usage, nines_node_config_keys, "node/log", &args);
    if (arc || args.done)
        return arc ? NINES_EXIT_USAGE : NINES_EXIT_OK;
    const char *path = args.path;
    nines_config_t *cfg = args.cfg;

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
    if (args.check_only) {
        printf ("%s: configuration valid\n", path);
        return NINES_EXIT_OK;
    }
    if (nines_crypto_init ()) {
        fputs ("ninesd: libsodium failed to initialise\n", stderr);
        return 1;
    }
    nines_daemon_signals (&s_stop);

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
