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
