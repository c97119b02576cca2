/*  ninesctl internals shared by its command groups.
    ninesctl.c holds main() and the node commands (keygen, id, status,
    peers, pods, reports, incidents, nines, evidence, watch); cli_ledger.c
    the ledger commands (register-validator, register-pod, maintenance,
    paid-until, ledger queries, verify-evidence, sla). */
#ifndef NINES_CLI_H
#define NINES_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "crypto/crypto.h"

#define NINES_CLI_TIMEOUT_MS 3000   /* default reply timeout */

#define NINES_CLI_DEFAULT_LEDGER "tcp://127.0.0.1:7500"

/*  Options of the ledger commands (cli_opts.c), for both back ends. */
typedef struct {
    const char *endpoint;       /* ledger API */
    bool json;                  /* --json */
    int timeout_ms;             /* -t */
    const char *key;            /* --key FILE */
    const char *pod;            /* --pod HEX */
    const char *arg;            /* positional argument */
    const char *registry;       /* --registry SNAPSHOT */
    const char *vals [32];      /* other --name VALUE options, by the index of the option in cli_opts.c's list */
} nines_cli_opts_t;

/*  Parse argv [1..argc) (argv [0] the subcommand) into *o, which the
    caller initialised with its defaults: -e/--endpoint EP, -c CONFIG
    (ledger/api), -t/--timeout MS, --key FILE, --pod HEX (checked: 64
    hex), --registry FILE, --json, and every --name VALUE of the list in
    cli_opts.c (--stake, --until, --chain, --contract, --chain-key, ...:
    read with nines_cli_opt); -h/--help prints usage and exits 0.
    0, or 2 (the exit code) with a message on stderr. */
int nines_cli_parse (int argc, char **argv, nines_cli_opts_t *o, void (*usage) (FILE *out));

/*  The value of option name ("--stake"), NULL when not given. */
const char *nines_cli_opt (const nines_cli_opts_t *o, const char *name);

/*  Value checks of a required option, each 0, or 2 with a message on
    stderr naming the option and what it expects:
      u64    a non-negative integer
      dur    a duration (90s, 2h, 30d) in ms
      time   Unix ms, or +DUR from now (now Unix ms)
      nines  "3", "3.5" nines as micro-nines
      hex    v (may be NULL: missing) of exactly 2 x len hex digits into out
      hex_set a comma-separated list of 1..max 32-byte hex values, *n set */
int nines_cli_need_u64 (const nines_cli_opts_t *o, const char *name, uint64_t *out);
int nines_cli_need_dur (const nines_cli_opts_t *o, const char *name, uint64_t *out);
int nines_cli_need_time (const nines_cli_opts_t *o, const char *name, uint64_t now, uint64_t *out);
int nines_cli_need_nines (const nines_cli_opts_t *o, const char *name, uint64_t *out);
int nines_cli_need_hex (const char *v, const char *name, uint8_t *out, size_t len);
int nines_cli_need_hex_set (const char *v, const char *name, uint8_t (*set) [32], uint8_t *n, uint8_t max);

/*  The Ed25519 key file of --key into *kp: 0, or 2 with a message (the
    option missing, or the file refused: nines_keyfile_load's reason). */
int nines_cli_load_key (const nines_cli_opts_t *o, nines_keypair_t *kp);

/*  Print a reply map.  json: the whole map as JSON on one line.  Otherwise,
    when the map has "rows" (array of maps), a table with a header of the
    first row's keys (or columns, if given, NULL-terminated); other keys are
    printed as "key: value" lines.  bin values of 32 bytes print as hex.
    A reply with ok = false prints "error: ..." to stderr and returns 1;
    otherwise returns 0. */
int nines_cli_print_reply (const uint8_t *reply, size_t len, bool json,
                           const char *const *columns, FILE *out);

/*  Print one msgpack value on one line: JSON when json (or when not a
    map), else "key=value ..." pairs.  Used by `watch`.  0, or 1 when the
    bytes are not msgpack. */
int nines_cli_print_value (const uint8_t *data, size_t len, bool json, FILE *out);

/*  Request + print in one call, for commands that only show a reply:
    returns the process exit code: 0 ok, 1 reply with ok = false (its error
    printed) or a reply that names another op than the request's (the
    ledger's replies carry theirs), 3 no reply within timeout_ms (a clear message naming the
    endpoint is printed to stderr). */
int nines_cli_call (const char *endpoint, const uint8_t *req, size_t len, int timeout_ms,
                    bool json, const char *const *columns);

/*  Is endpoint the kind of daemon a command expects?  Sends {op} (an op
    only that kind knows: "status" for ninesd, "registry" for the ledger).
    0 when the daemon knows it; 2 when it answers "unknown op" (then
    "error: ENDPOINT is not a WANT: ... (HINT)" is printed), so ninesctl
    never shows one daemon's answer as if it were the other's (both have
    `pods`, `incidents` and `nines`); 3 when it does not answer in
    timeout_ms (message printed). */
int nines_cli_expect_op (const char *endpoint, int timeout_ms, const char *op, const char *want,
                         const char *hint);

/*  nines_cli_expect_op for the ledger's API (op "registry") and for
    ninesd's query socket (op "status"), each with the hint that names the
    other daemon.  0, 2 (the other kind) or 3 (no answer). */
int nines_cli_expect_ledger (const char *endpoint, int timeout_ms);
int nines_cli_expect_node (const char *endpoint, int timeout_ms);

/*  The last branch of a command's option loop, for an argument a the
    parser did not take: -h/--help prints usage on stdout and exits 0; any
    other option is refused; the first other word becomes *positional, a
    second one is refused.  0, or 2 (the exit code) with a message on
    stderr. */
int nines_cli_arg_rest (const char *a, void (*usage) (FILE *out), const char **positional);

/*  Ledger command group (cli_ledger.c).  argv[0] is the subcommand. */
bool nines_cli_ledger_has (const char *cmd);
int nines_cli_ledger_main (int argc, char **argv);
void nines_cli_ledger_usage (FILE *out);

#endif
