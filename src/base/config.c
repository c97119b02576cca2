#include "base/config.h"
#include "base/error.h"
#include <czmq.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>

struct _nines_config_t {
    zconfig_t *root;            /* parsed ZPL tree, owned */
    char *name;                 /* file name used in messages */
    char error [512];           /* last failure message */
};

static char s_load_error [512];

static nines_config_t *
s_wrap (zconfig_t *root, const char *name)
{
    nines_config_t *self = (nines_config_t *) zmalloc (sizeof *self);
    self->root = root;
    self->name = strdup (name ? name : "config");
    return self;
}

nines_config_t *
nines_config_new (const char *name)
{
    return s_wrap (zconfig_new ("root", NULL), name);
}

nines_config_t *
nines_config_load (const char *path, const char **error)
{
    if (!path || !zsys_file_exists (path)) {
        snprintf (s_load_error, sizeof s_load_error, "%s: no such file", path ? path : "(null)");
        if (error) *error = s_load_error;
        return NULL;
    }
    zconfig_t *root = zconfig_load (path);
    if (!root) {
        snprintf (s_load_error, sizeof s_load_error,
                  "%s: not a valid ZPL file (see ZeroMQ RFC 4: two-space indent, name = value)", path);
        if (error) *error = s_load_error;
        return NULL;
    }
    return s_wrap (root, path);
}

nines_config_t *
nines_config_from_string (const char *name, const char *text, const char **error)
{
    zconfig_t *root = text ? zconfig_str_load (text) : NULL;
    if (!root) {
        snprintf (s_load_error, sizeof s_load_error, "%s: not valid ZPL", name ? name : "config");
        if (error) *error = s_load_error;
        return NULL;
    }
    return s_wrap (root, name);
}

void
nines_config_destroy (nines_config_t **self_p)
{
    if (self_p && *self_p) {
        zconfig_destroy (&(*self_p)->root);
        free ((*self_p)->name);
        free (*self_p);
        *self_p = NULL;
    }
}

int
nines_config_set (nines_config_t *self, const char *key, const char *value)
{
    if (!key || !*key)
        return NINES_EINVAL;
    zconfig_put (self->root, key, value ? value : "");
    return NINES_OK;
}

bool
nines_config_has (nines_config_t *self, const char *key)
{
    return zconfig_locate (self->root, key) != NULL;
}

const char *
nines_config_str (nines_config_t *self, const char *key, const char *def)
{
    zconfig_t *item = zconfig_locate (self->root, key);
    if (!item)
        return def;
    const char *value = zconfig_value (item);
    return value ? value : def;
}

static int
s_fail (nines_config_t *self, const char *key, const char *expected, const char *got)
{
    snprintf (self->error, sizeof self->error, "%s: %s: expected %s, got '%s'",
              self->name, key, expected, got);
    return NINES_ECONFIG;
}

int
nines_parse_u64 (const char *text, uint64_t *out)
{
    if (!text || !isdigit ((unsigned char) *text))
        return NINES_EINVAL;
    errno = 0;
    char *end;
    unsigned long long v = strtoull (text, &end, 10);
    if (errno || *end)
        return NINES_EINVAL;
    *out = (uint64_t) v;
    return NINES_OK;
}

int
nines_parse_duration_ms (const char *text, uint64_t *out)
{
    if (!text || !isdigit ((unsigned char) *text))
        return NINES_EINVAL;
    errno = 0;
    char *end;
    double v = strtod (text, &end);
    if (errno || v < 0 || !isfinite (v))
        return NINES_EINVAL;
    double scale;
    if (!*end || strcmp (end, "ms") == 0) scale = 1;
    else if (strcmp (end, "s") == 0)  scale = 1e3;
    else if (strcmp (end, "m") == 0)  scale = 60e3;
    else if (strcmp (end, "h") == 0)  scale = 3600e3;
    else if (strcmp (end, "d") == 0)  scale = 86400e3;
    else return NINES_EINVAL;
    double ms = v * scale;
    if (ms > 9.0e15)
        return NINES_EINVAL;
    *out = (uint64_t) llround (ms);
    return NINES_OK;
}

int
nines_parse_ppm (const char *text, uint32_t *out)
{
    if (!text || !(isdigit ((unsigned char) *text) || *text == '.'))
        return NINES_EINVAL;
    errno = 0;
    char *end;
    double v = strtod (text, &end);
    if (errno || !isfinite (v) || v < 0)
        return NINES_EINVAL;
    double ppm;
    if (!*end) ppm = v * 1e6;
    else if (strcmp (end, "%") == 0) ppm = v * 1e4;
    else if (strcmp (end, "ppm") == 0) ppm = v;
    else return NINES_EINVAL;
    if (ppm > 1e6)
        return NINES_EINVAL;
    *out = (uint32_t) llround (ppm);
    return NINES_OK;
}

int
nines_config_u64 (nines_config_t *self, const char *key, uint64_t def,
                  uint64_t min, uint64_t max, uint64_t *out)
{
    const char *text = nines_config_str (self, key, NULL);
    uint64_t v = def;
    if (text && nines_parse_u64 (text, &v) != 0) {
        char want [96];
        snprintf (want, sizeof want, "an integer in %llu..%llu",
                  (unsigned long long) min, (unsigned long long) max);
        return s_fail (self, key, want, text);
    }
    if (v < min || v > max) {
        char want [96], got [32];
        snprintf (want, sizeof want, "an integer in %llu..%llu",
                  (unsigned long long) min, (unsigned long long) max);
        snprintf (got, sizeof got, "%llu", (unsigned long long) v);
        return s_fail (self, key, want, got);
    }
    *out = v;
    return NINES_OK;
}

int
nines_config_bool (nines_config_t *self, const char *key, bool def, bool *out)
{
    const char *text = nines_config_str (self, key, NULL);
    if (!text) {
        *out = def;
        return NINES_OK;
    }
    static const char *yes [] = { "1", "true", "yes", "on" };
    static const char *no [] = { "0", "false", "no", "off" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp (text, yes [i]) == 0) { *out = true; return NINES_OK; }
        if (strcasecmp (text, no [i]) == 0) { *out = false; return NINES_OK; }
    }
    return s_fail (self, key, "a boolean (true/false, yes/no, on/off, 1/0)", text);
}

int
nines_config_duration_ms (nines_config_t *self, const char *key, uint64_t def_ms,
                          uint64_t min_ms, uint64_t max_ms, uint64_t *out)
{
    const char *text = nines_config_str (self, key, NULL);
    uint64_t v = def_ms;
    if (text && nines_parse_duration_ms (text, &v) != 0)
        return s_fail (self, key, "a duration such as 250ms, 10s, 5m, 2h or 7d", text);
    if (v < min_ms || v > max_ms) {
        char want [128];
        snprintf (want, sizeof want, "a duration in %llums..%llums",
                  (unsigned long long) min_ms, (unsigned long long) max_ms);
        return s_fail (self, key, want, text ? text : "(default)");
    }
    *out = v;
    return NINES_OK;
}

int
nines_config_ppm (nines_config_t *self, const char *key, uint32_t def_ppm, uint32_t *out)
{
    const char *text = nines_config_str (self, key, NULL);
    uint32_t v = def_ppm;
    if (text && nines_parse_ppm (text, &v) != 0)
        return s_fail (self, key, "a fraction in 0..1 (0.6667, 66.67% or 666700ppm)", text);
    *out = v;
    return NINES_OK;
}

const char *
nines_config_error (nines_config_t *self)
{
    return self->error;
}

zconfig_t *
nines_config_zconfig (nines_config_t *self)
{
    return self->root;
}
