#include "base/args.h"
#include "base/error.h"
#include "base/log.h"
#include <czmq.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#ifndef NINES_VERSION
#define NINES_VERSION "unknown"
#endif

const char *
nines_version (void)
{
    return NINES_VERSION;
}

void
nines_print_version (FILE *out, const char *program)
{
    fprintf (out, "%s (nines) %s\n", program, NINES_VERSION);
}

bool
nines_arg_flag (const char *arg, const char *shortopt, const char *longopt)
{
    return (shortopt && !strcmp (arg, shortopt)) || (longopt && !strcmp (arg, longopt));
}

bool
nines_arg_value (int argc, char **argv, int *i, const char *shortopt, const char *longopt,
                 const char **value)
{
    const char *arg = argv [*i];
    size_t n = longopt ? strlen (longopt) : 0;
    if (longopt && !strncmp (arg, longopt, n) && arg [n] == '=') {
        *value = arg + n + 1;
        return true;
    }
    if (!nines_arg_flag (arg, shortopt, longopt))
        return false;
    *value = *i + 1 < argc ? argv [++*i] : NULL;
    return true;
}

int
nines_arg_override (nines_config_t *cfg, const char *kv)
{
    const char *eq = strchr (kv, '=');
    if (!eq || eq == kv || (size_t) (eq - kv) >= 256)
        return NINES_EINVAL;
    char key [256];
    snprintf (key, sizeof key, "%.*s", (int) (eq - kv), kv);
    return nines_config_set (cfg, key, eq + 1);
}

/*  The command line alone: 0 or NINES_EINVAL (printed). */
static int
s_daemon_argv (int argc, char **argv, const char *program, void (*usage) (FILE *out),
               nines_config_t *overrides, bool *verbose, nines_daemon_args_t *out)
{
    const char *value = NULL;
    for (int i = 1; i < argc; i++) {
        if (nines_arg_flag (argv [i], "-h", "--help")) {
            usage (stdout);
            out->done = true;
            return NINES_OK;
        }
        else if (nines_arg_flag (argv [i], "-V", "--version")) {
            nines_print_version (stdout, program);
            out->done = true;
            return NINES_OK;
        }
        else if (nines_arg_flag (argv [i], "-v", "--verbose"))
            *verbose = true;
        else if (nines_arg_flag (argv [i], NULL, "--check-config"))
            out->check_only = true;
        else if (nines_arg_value (argc, argv, &i, "-c", "--config", &value) && value)
            out->path = value;
        else if (nines_arg_value (argc, argv, &i, "-s", "--set", &value) && value) {
            if (nines_arg_override (overrides, value)) {
                fprintf (stderr, "%s: -s: expected SECTION/KEY=VALUE, got '%s'\n", program, value);
                return NINES_EINVAL;
            }
        }
        else {
            fprintf (stderr, "%s: unknown or incomplete argument '%s' (see %s --help)\n", program,
                     argv [i], program);
            return NINES_EINVAL;
        }
    }
    if (!out->path) {
        fprintf (stderr, "%s: -c FILE is required (see %s --help)\n", program, program);
        return NINES_EINVAL;
    }
    return NINES_OK;
}

int
nines_daemon_args (int argc, char **argv, const char *program, void (*usage) (FILE *out),
                   const char *const *known, const char *log_key, nines_daemon_args_t *out)
{
    memset (out, 0, sizeof *out);
    nines_config_t *overrides = nines_config_new ("command line (-s)");
    if (!overrides)
        return NINES_ENOMEM;
    bool verbose = false;
    int rc = s_daemon_argv (argc, argv, program, usage, overrides, &verbose, out);
    if (rc || out->done) {
        nines_config_destroy (&overrides);
        return rc;
    }
    nines_log_set_ident (program);
    const char *error = NULL;
    nines_config_t *bad = overrides;
    rc = NINES_ECONFIG;
    if (!nines_config_check_known (overrides, known)) {
        bad = NULL;
        out->cfg = nines_config_load (out->path, &error);
        if (!out->cfg)
            fprintf (stderr, "%s: %s\n", program, error ? error : out->path);
        else
        if (nines_config_check_known (out->cfg, known))
            bad = out->cfg;
        else
            rc = nines_config_merge (out->cfg, overrides);
    }
    if (bad)
        fprintf (stderr, "%s: %s\n", program, nines_config_error (bad));
    nines_config_destroy (&overrides);
    nines_log_level_t level = NINES_LOG_INFO;
    if (!rc && nines_log_level_parse (nines_config_str (out->cfg, log_key, "info"), &level)) {
        fprintf (stderr, "%s: %s: %s: expected error, warn, info or debug, got '%s'\n", program,
                 out->path, log_key, nines_config_str (out->cfg, log_key, ""));
        rc = NINES_ECONFIG;
    }
    if (rc)
        nines_config_destroy (&out->cfg);
    else
        nines_log_set_level (verbose ? NINES_LOG_DEBUG : level);
    return rc;
}

static volatile sig_atomic_t *s_stop;   /* what the daemon's SIGTERM/SIGINT set */

static void
s_on_signal (int sig)
{
    (void) sig;
    *s_stop = 1;
}

void
nines_daemon_signals (volatile sig_atomic_t *stop)
{
    s_stop = stop;
    zsys_handler_set (NULL);
    zsys_init ();
    struct sigaction sa;
    memset (&sa, 0, sizeof sa);
    sa.sa_handler = s_on_signal;
    sigaction (SIGTERM, &sa, NULL);
    sigaction (SIGINT, &sa, NULL);
    signal (SIGPIPE, SIG_IGN);
    signal (SIGHUP, SIG_IGN);
}

static char **s_expanded;         /* the array nines_args_expand made, freed at exit */

static void
s_free_expanded (void)
{
    free (s_expanded);
    s_expanded = NULL;
}

char **
nines_args_expand (int *argc, char **argv)
{
    char **out = calloc ((size_t) *argc * 2 + 1, sizeof *out);
    if (!out)
        return argv;
    free (s_expanded);
    if (!s_expanded)
        atexit (s_free_expanded);
    s_expanded = out;
    int n = 0;
    for (int i = 0; i < *argc; i++) {
        char *a = argv [i];
        char *eq = i > 0 && !strncmp (a, "--", 2) ? strchr (a, '=') : NULL;
        size_t len = eq ? (size_t) (eq - a) : 0;
        bool name = len > 2 && strspn (a + 2, "abcdefghijklmnopqrstuvwxyz0123456789-") == len - 2;
        if (name) {
            *eq = 0;                    /* split in place: argv strings are writable */
            out [n++] = a;
            out [n++] = eq + 1;
        }
        else
            out [n++] = a;
    }
    *argc = n;
    return out;
}

int
nines_usage_for (const char *usage, const char *cmd, FILE *out)
{
    size_t n = strlen (cmd);
    bool in = false, found = false;
    for (const char *line = usage; *line; ) {
        const char *end = strchr (line, '\n');
        size_t len = end ? (size_t) (end - line) : strlen (line);
        size_t indent = strspn (line, " ");
        if (indent == 2 && line [2] != '-') {
            /*  an entry: "  CMD ARGS" or "  CMD1 | CMD2 | ..." */
            in = false;
            for (const char *p = line + 2; p < line + len && !in; ) {
                if (!strncmp (p, cmd, n) && (p + n == line + len || p [n] == ' '))
                    in = true;
                const char *bar = memchr (p, '|', (size_t) (line + len - p));
                p = bar ? bar + 1 + strspn (bar + 1, " ") : line + len;
            }
        }
        else if (indent < 3 || len == 0)
            in = false;
        if (in) {
            fprintf (out, "%.*s\n", (int) len, line);
            found = true;
        }
        line += len + (end ? 1 : 0);
    }
    return found ? 0 : NINES_ENOTFOUND;
}

int
nines_usage_help (void (*usage) (FILE *out), const char *cmd, FILE *out)
{
    char *text = NULL;
    size_t text_len = 0;
    FILE *m = open_memstream (&text, &text_len);
    if (m) {
        usage (m);
        fclose (m);
    }
    int found = text ? nines_usage_for (text, cmd, out) : NINES_ENOTFOUND;
    if (found)
        fputs (text ? text : "", out);
    free (text);
    return found;
}
