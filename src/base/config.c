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

/*  ---- unknown keys (issue 13) ---- */

/*  Optimal string alignment distance (Levenshtein plus adjacent
    transpositions, Damerau 1964): the edits between a and b. */
static size_t
s_edit_distance (const char *a, const char *b)
{
    size_t n = strlen (a), m = strlen (b);
    if (n > 63 || m > 63)
        return n > m ? n : m;
    size_t d [64][64];
    for (size_t i = 0; i <= n; i++) d [i][0] = i;
    for (size_t j = 0; j <= m; j++) d [0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a [i - 1] != b [j - 1];
            size_t best = d [i - 1][j] + 1;
            if (d [i][j - 1] + 1 < best) best = d [i][j - 1] + 1;
            if (d [i - 1][j - 1] + cost < best) best = d [i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a [i - 1] == b [j - 2] && a [i - 2] == b [j - 1]
             && d [i - 2][j - 2] + 1 < best)
                best = d [i - 2][j - 2] + 1;
            d [i][j] = best;
        }
    return d [n][m];
}

/*  Close enough to suggest: a few edits (more for longer words), or one
    name a '_'-separated prefix of the other (log_level -> log). */
static bool
s_close (const char *typed, const char *known, size_t dist)
{
    size_t lt = strlen (typed), lk = strlen (known);
    size_t shorter = lt < lk ? lt : lk;
    if (dist <= 1 + shorter / 4)
        return true;
    const char *lo = lt < lk ? typed : known, *hi = lt < lk ? known : typed;
    return shorter > 1 && strncmp (lo, hi, shorter) == 0 && hi [shorter] == '_';
}

size_t
nines_closest_name (const char *typed, const char *const *names, size_t n)
{
    size_t best = SIZE_MAX, best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = s_edit_distance (typed, names [i]);
        if (d < best_d && s_close (typed, names [i], d)) {
            best_d = d;
            best = i;
        }
    }
    return best;
}

/*  Length of the section part of a known path ("facade/x" -> 6). */
static size_t
s_section_len (const char *path)
{
    const char *slash = strchr (path, '/');
    return slash ? (size_t) (slash - path) : strlen (path);
}

static bool
s_section_known (const char *const *known, const char *section)
{
    for (size_t i = 0; known [i]; i++)
        if (s_section_len (known [i]) == strlen (section)
         && strncmp (known [i], section, strlen (section)) == 0)
            return true;
    return false;
}

static int
s_unknown (nines_config_t *self, const char *path, const char *what, const char *hint)
{
    if (hint && *hint)
        snprintf (self->error, sizeof self->error, "%s: %s: unknown %s (did you mean %s?)",
                  self->name, path, what, hint);
    else
        snprintf (self->error, sizeof self->error, "%s: %s: unknown %s", self->name, path, what);
    return NINES_ECONFIG;
}

int
nines_config_check_known (nines_config_t *self, const char *const *known)
{
    for (zconfig_t *sec = zconfig_child (self->root); sec; sec = zconfig_next (sec)) {
        const char *sname = zconfig_name (sec);
        if (!s_section_known (known, sname)) {
            /*  the closest section name */
            char best [64] = "";
            size_t best_d = SIZE_MAX;
            for (size_t i = 0; known [i]; i++) {
                char cand [64];
                snprintf (cand, sizeof cand, "%.*s", (int) s_section_len (known [i]), known [i]);
                size_t d = s_edit_distance (sname, cand);
                if (d < best_d && s_close (sname, cand, d)) {
                    best_d = d;
                    snprintf (best, sizeof best, "%s", cand);
                }
            }
            return s_unknown (self, sname, zconfig_child (sec) ? "section" : "top-level key", best);
        }
        for (zconfig_t *key = zconfig_child (sec); key; key = zconfig_next (key)) {
            char path [256];
            snprintf (path, sizeof path, "%s/%s", sname, zconfig_name (key));
            bool found = false;
            for (size_t i = 0; known [i] && !found; i++)
                found = !strcmp (known [i], path);
            if (found && zconfig_child (key)) {
                snprintf (path + strlen (path), sizeof path - strlen (path), "/%s",
                          zconfig_name (zconfig_child (key)));
                return s_unknown (self, path, "key (keys nest one level: section/key)", NULL);
            }
            if (found)
                continue;
            /*  the closest key name: in this section (named alone) or, one
                edit dearer, in another (named with its section) */
            char best [160] = "";
            size_t best_d = SIZE_MAX;
            for (size_t i = 0; known [i]; i++) {
                size_t slen = s_section_len (known [i]);
                bool same = slen == strlen (sname) && !strncmp (known [i], sname, slen);
                const char *cand = known [i] [slen] ? known [i] + slen + 1 : known [i];
                size_t d = s_edit_distance (zconfig_name (key), cand);
                if (s_close (zconfig_name (key), cand, d) && d + !same < best_d) {
                    best_d = d + !same;
                    snprintf (best, sizeof best, "%s", same ? cand : known [i]);
                }
            }
            return s_unknown (self, path, "key", best);
        }
    }
    return NINES_OK;
}

int
nines_config_merge (nines_config_t *self, nines_config_t *from)
{
    for (zconfig_t *sec = zconfig_child (from->root); sec; sec = zconfig_next (sec))
        for (zconfig_t *k = zconfig_child (sec); k; k = zconfig_next (k)) {
            char key [256];
            snprintf (key, sizeof key, "%s/%s", zconfig_name (sec), zconfig_name (k));
            nines_config_set (self, key, zconfig_value (k) ? zconfig_value (k) : "");
        }
    return NINES_OK;
}
