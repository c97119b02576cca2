/*  Fuzz ZPL configuration parsing (nines_config_from_string over CZMQ's
    zconfig) and the typed getters every binary calls on it.  Properties:
    no crash or leak; a failed getter leaves a message naming the key. */
#include "fuzz.h"
#include "base/config.h"
#include <czmq.h>

static void
s_walk (nines_config_t *cfg, zconfig_t *node, char *path, size_t at, int depth)
{
    for (zconfig_t *c = zconfig_child (node); c && depth < 8; c = zconfig_next (c)) {
        const char *name = zconfig_name (c);
        if (!name)
            continue;
        int n = snprintf (path + at, 512 - at, "%s%s", at ? "/" : "", name);
        if (n < 0 || at + (size_t) n >= 512)
            continue;
        uint64_t u;
        uint32_t ppm;
        bool b;
        if (nines_config_u64 (cfg, path, 0, 0, UINT64_MAX, &u))
            FUZZ_CHECK (strlen (nines_config_error (cfg)) > 0);
        (void) nines_config_duration_ms (cfg, path, 0, 0, UINT64_MAX, &u);
        (void) nines_config_ppm (cfg, path, 0, &ppm);
        (void) nines_config_bool (cfg, path, false, &b);
        (void) nines_config_str (cfg, path, NULL);
        (void) nines_config_has (cfg, path);   /* false for repeated sections */
        s_walk (cfg, c, path, at + (size_t) n, depth + 1);
        path [at] = 0;
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr (data, size, 16384);
    if (!text)
        return 0;
    uint64_t u;
    uint32_t ppm;
    (void) nines_parse_duration_ms (text, &u);
    (void) nines_parse_ppm (text, &ppm);
    (void) nines_parse_u64 (text, &u);
    const char *error = NULL;
    nines_config_t *cfg = nines_config_from_string ("fuzz.zpl", text, &error);
    if (cfg) {
        char path [512] = "";
        s_walk (cfg, nines_config_zconfig (cfg), path, 0, 0);
        nines_config_destroy (&cfg);
        FUZZ_CHECK (cfg == NULL);
    }
    else
        FUZZ_CHECK (error != NULL);
    free (text);
    return 0;
}
