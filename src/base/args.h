/*  The command-line convention of the five programs (issue 13): long
    options take "--name VALUE" or "--name=VALUE", short ones "-n VALUE";
    --help and --version print on stdout and exit 0; -s SECTION/KEY=VALUE
    overrides a configuration key.  Exit codes (README "Exit codes"):
    NINES_EXIT_OK 0, NINES_EXIT_FAILURE 1 (runtime failure, refused
    request), NINES_EXIT_USAGE 2 (bad command line or configuration),
    NINES_EXIT_UNREACHABLE 3 (the daemon asked did not answer). */
#ifndef NINES_ARGS_H
#define NINES_ARGS_H

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "base/config.h"
#include "base/error.h"

enum {
    NINES_EXIT_OK = 0,
    NINES_EXIT_FAILURE = 1,
    NINES_EXIT_USAGE = 2,
    NINES_EXIT_UNREACHABLE = 3,
};

/*  The version of nines (meson project version), e.g. "0.1.0". */
const char *nines_version (void);

/*  Print "PROGRAM nines VERSION" on out. */
void nines_print_version (FILE *out, const char *program);

/*  True if argv[*i] is the flag shortopt or longopt (either may be NULL). */
bool nines_arg_flag (const char *arg, const char *shortopt, const char *longopt);

/*  True if argv[*i] is an option with a value: "-c V", "--config V" or
    "--config=V".  Then *value is the value (advancing *i past it), or NULL
    when it is missing (the caller reports a usage error). */
bool nines_arg_value (int argc, char **argv, int *i, const char *shortopt, const char *longopt,
                      const char **value);

/*  Apply one "-s" argument, "SECTION/KEY=VALUE", to cfg.  0, or
    NINES_EINVAL when it has no '=' or no key. */
int nines_arg_override (nines_config_t *cfg, const char *kv);

/*  A daemon's command line and configuration (ninesd, nines-ledger). */
typedef struct {
    const char *path;                    /* -c/--config FILE (an argv string) */
    bool check_only;                     /* --check-config */
    bool done;                           /* --help or --version printed: exit 0 */
    nines_config_t *cfg;                 /* the file with the -s keys on top; the caller destroys it */
} nines_daemon_args_t;

/*  Start a daemon: parse argv (-h/--help prints usage on stdout and
    -V/--version the version, both setting out->done; -v/--verbose;
    --check-config; -c/--config FILE, required; -s/--set SECTION/KEY=VALUE,
    repeatable), set the log ident to program, load FILE, refuse a key of
    the file or of -s that is not in known (nines_config_check_known: the
    message says which was meant), put the -s keys on top, and set the log
    level from log_key ("node/log": error, warn, info or debug; -v makes
    it debug).  Every error is one line "PROGRAM: ..." on stderr naming the
    argument, or the file and key.  0, NINES_EINVAL (bad command line),
    NINES_ECONFIG (bad file or key; both mean exit NINES_EXIT_USAGE) or
    NINES_ENOMEM; out->cfg is NULL unless 0 was returned without done. */
int nines_daemon_args (int argc, char **argv, const char *program, void (*usage) (FILE *out),
                       const char *const *known, const char *log_key,
                       nines_daemon_args_t *out) NINES_WARN_UNUSED;

/*  The daemons' signals: SIGTERM and SIGINT set *stop to 1 (CZMQ's own
    handler would only set zsys_interrupted), SIGPIPE and SIGHUP are
    ignored (nothing reloads); CZMQ is initialised after.  stop outlives
    the process's loop (a static of main.c). */
void nines_daemon_signals (volatile sig_atomic_t *stop);

/*  For programs that parse "--name VALUE" only: a new argv (freed at exit)
    in which each "--name=VALUE" after argv[0] is split in two (in place:
    the '=' becomes a NUL); *argc is updated.  Other arguments, "-s K=V"
    among them, pass unchanged.  Returns argv itself when out of memory. */
char **nines_args_expand (int *argc, char **argv);

/*  Per-command help: print on out the entry of cmd in a usage text (a line
    "  CMD ..." or "  CMD1 | CMD2 ...", indented by two spaces, and the
    lines indented deeper that follow it).  0, or NINES_ENOTFOUND when the
    usage has no entry for cmd (nothing printed). */
int nines_usage_for (const char *usage, const char *cmd, FILE *out);

/*  The same for a program's usage function: its entry for cmd, or the
    whole usage when it has none (then NINES_ENOTFOUND; 0 otherwise). */
int nines_usage_help (void (*usage) (FILE *out), const char *cmd, FILE *out);

#endif
