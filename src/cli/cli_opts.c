/*  ninesctl's ledger command options (cli.h nines_cli_opts_t), shared by
    the nines-ledger back end (cli_ledger.c) and the chain back end
    (cli_chain.c): one parser, one set of value checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "base/error.h"
#include "cli/cli.h"
#include "crypto/crypto.h"
#include "proto/ids.h"
#include "proto/slash.h"
#include "wire/wire.h"


/*  Options that take a value, stored in nines_cli_opts_t.vals by index. */
static const char *const s_value_opts [] = {
    "--stake", "--peer", "--facade-url", "--facade-key", "--spki-pin", "--paid-until", "--method",
    "--path", "--start", "--duration", "--until", "--target", "--now", "--window", "--nines",
    "--downtime", "--out", "--chain", "--contract", "--chain-key", "--pins", "--from-block", NULL
};
_Static_assert (sizeof s_value_opts / sizeof s_value_opts [0] - 1 <= sizeof ((nines_cli_opts_t *) 0)->vals
                / sizeof ((nines_cli_opts_t *) 0)->vals [0], "nines_cli_opts_t.vals holds every s_value_opts entry");

const char *
nines_cli_opt (const nines_cli_opts_t *o, const char *name)
{
    for (int i = 0; s_value_opts [i]; i++)
        if (!strcmp (s_value_opts [i], name))
            return o->vals [i];
    return NULL;
}

int
nines_cli_parse (int argc, char **argv, nines_cli_opts_t *o, void (*usage) (FILE *out))
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv [i];
        const char *next = i + 1 < argc ? argv [i + 1] : NULL;
        bool takes = !strcmp (a, "-e") || !strcmp (a, "--endpoint") || !strcmp (a, "-c") || !strcmp (a, "-t")
                  || !strcmp (a, "--timeout") || !strcmp (a, "--key") || !strcmp (a, "--pod")
                  || !strcmp (a, "--registry");
        int vi = -1;
        for (int k = 0; s_value_opts [k] && vi < 0; k++)
            if (!strcmp (a, s_value_opts [k]))
                vi = k;
        if ((takes || vi >= 0) && !next) {
            fprintf (stderr, "ninesctl: %s needs a value\n", a);
            return 2;
        }
        if (vi >= 0)
            o->vals [vi] = argv [++i];
        else if (!strcmp (a, "-e") || !strcmp (a, "--endpoint"))
            o->endpoint = argv [++i];
        else if (!strcmp (a, "-c")) {
            const char *err = NULL;
            nines_config_t *cfg = nines_config_load (next, &err);
            if (!cfg) {
                fprintf (stderr, "ninesctl: %s\n", err ? err : next);
                return 2;
            }
            static char ep [256];
            snprintf (ep, sizeof ep, "%s", nines_config_str (cfg, "ledger/api", NINES_CLI_DEFAULT_LEDGER));
            o->endpoint = ep;
            nines_config_destroy (&cfg);
            i++;
        }
        else if (!strcmp (a, "-t") || !strcmp (a, "--timeout")) {
            uint64_t v;
            if (nines_parse_u64 (next, &v) || v == 0 || v > 3600000) {
                fprintf (stderr, "ninesctl: --timeout: expected milliseconds in 1..3600000, got '%s'\n", next);
                return 2;
            }
            o->timeout_ms = (int) v;
            i++;
        }
        else if (!strcmp (a, "--key"))
            o->key = argv [++i];
        else if (!strcmp (a, "--registry"))
            o->registry = argv [++i];
        else if (!strcmp (a, "--pod")) {
            uint8_t pod [NINES_ID_BYTES];
            if (strlen (next) != 64 || nines_unhex (pod, sizeof pod, next)) {
                fprintf (stderr, "ninesctl: --pod: expected 64 hex characters, got '%s'\n", next);
                return 2;
            }
            o->pod = argv [++i];
        }
        else if (!strcmp (a, "--json"))
            o->json = true;
        else if (nines_cli_arg_rest (a, usage, &o->arg))
            return 2;
    }
    return 0;
}

/*  The required option name parsed by parse into *out: 0, or 2 with
    "expected <what>" (and the text given) on stderr. */
static int
s_need (const nines_cli_opts_t *o, const char *name, int (*parse) (const char *, uint64_t *),
        const char *what, uint64_t *out)
{
    const char *v = nines_cli_opt (o, name);
    if (!v || parse (v, out)) {
        fprintf (stderr, "ninesctl: %s: expected %s%s%s\n", name, what, v ? ", got " : "", v ? v : "");
        return 2;
    }
    return 0;
}

/*  Required option parsers: 0 or 2 with a message. */
int
nines_cli_need_u64 (const nines_cli_opts_t *o, const char *name, uint64_t *out)
{
    return s_need (o, name, nines_parse_u64, "a non-negative integer", out);
}

int
nines_cli_need_dur (const nines_cli_opts_t *o, const char *name, uint64_t *out)
{
    return s_need (o, name, nines_parse_duration_ms, "a duration such as 90s, 2h, 30d", out);
}

/*  A time: Unix ms, or +DUR from now. */
int
nines_cli_need_time (const nines_cli_opts_t *o, const char *name, uint64_t now, uint64_t *out)
{
    const char *v = nines_cli_opt (o, name);
    uint64_t d;
    if (v && v [0] == '+' && nines_parse_duration_ms (v + 1, &d) == 0) {
        *out = now + d;
        return 0;
    }
    if (v && nines_parse_u64 (v, out) == 0)
        return 0;
    fprintf (stderr, "ninesctl: %s: expected Unix ms or +DURATION%s%s\n", name, v ? ", got " : "", v ? v : "");
    return 2;
}

/*  "3", "3.5", "4.25" nines -> micro-nines. */
int
nines_cli_need_nines (const nines_cli_opts_t *o, const char *name, uint64_t *out)
{
    const char *v = nines_cli_opt (o, name);
    char buf [32];
    char *dot = v ? strchr (v, '.') : NULL;
    uint64_t whole = 0;
    if (v && strlen (v) < sizeof buf) {
        snprintf (buf, sizeof buf, "%s", v);
        if (dot)
            buf [dot - v] = 0;
        if (nines_parse_u64 (buf, &whole) == 0 && whole <= 20) {
            uint64_t frac = 0, scale = NINES_PPM;
            for (const char *c = dot ? dot + 1 : ""; *c && scale > 1; c++) {
                if (*c < '0' || *c > '9')
                    goto bad;
                scale /= 10;
                frac += (uint64_t) (*c - '0') * scale;
            }
            *out = whole * NINES_PPM + frac;
            return 0;
        }
    }
bad:
    fprintf (stderr, "ninesctl: %s: expected a number of nines such as 3 or 3.5%s%s\n", name,
             v ? ", got " : "", v ? v : "");
    return 2;
}

int
nines_cli_need_hex (const char *v, const char *name, uint8_t *out, size_t len)
{
    if (!v || strlen (v) != 2 * len || nines_unhex (out, len, v)) {
        fprintf (stderr, "ninesctl: %s: expected %zu hex characters%s%s\n", name, 2 * len, v ? ", got " : "",
                 v ? v : "");
        return 2;
    }
    return 0;
}

/*  A comma-separated list of 1..max values of 32 bytes in hex. */
int
nines_cli_need_hex_set (const char *v, const char *name, uint8_t (*set) [32], uint8_t *n, uint8_t max)
{
    *n = 0;
    if (!v)
        return nines_cli_need_hex (NULL, name, set [0], 32);
    for (;;) {
        const char *comma = strchr (v, ',');
        size_t len = comma ? (size_t) (comma - v) : strlen (v);
        char one [2 * 32 + 2];      /* one value, or 65 characters that fail the length check */
        snprintf (one, sizeof one, "%.*s", (int) (len < sizeof one ? len : sizeof one - 1), v);
        if (*n == max) {
            fprintf (stderr, "ninesctl: %s: at most %u values\n", name, max);
            return 2;
        }
        if (nines_cli_need_hex (one, name, set [(*n)++], 32))
            return 2;
        if (!comma)
            return 0;
        v = comma + 1;
    }
}

int
nines_cli_load_key (const nines_cli_opts_t *o, nines_keypair_t *kp)
{
    if (!o->key) {
        fputs ("ninesctl: --key FILE is required (the signer's key file)\n", stderr);
        return 2;
    }
    int rc = nines_keyfile_load (o->key, kp);
    if (rc) {
        fprintf (stderr, "ninesctl: --key %s: %s\n", o->key, nines_strerror (rc));
        return 2;
    }
    return 0;
}

