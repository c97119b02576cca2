#include "base/args.h"
#include "base/error.h"
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
