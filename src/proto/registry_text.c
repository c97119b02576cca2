/*  Registry snapshots as ZPL text (the format of registry.h): the one-pass
    reader and the writer.  No file I/O here (src/client/registry_file.c). */
#include "proto/registry.h"
#include "base/config.h"
#include "base/grow.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  ---- ZPL snapshot text ----

    Read section by section in one pass over the text (CZMQ's zconfig
    appends each section by walking its siblings, quadratic in the
    sections: 100,000 pods did not load in 120 s).  A section is its name
    line and the indented `key = value` lines under it. */

typedef struct {
    const char *key;                         /* NUL-ended, inside the text copy */
    const char *value;                       /* NUL-ended, quotes removed */
} s_kv_t;

typedef struct {
    const char *name;                        /* section name */
    s_kv_t *kv;                              /* its lines, in order */
    size_t n, cap;
} s_section_t;

static const char *
s_get (const s_section_t *section, const char *key)
{
    for (size_t i = 0; i < section->n; i++)
        if (strcmp (section->kv [i].key, key) == 0)
            return section->kv [i].value;
    return NULL;
}

static int
s_err (char *err, size_t size, const char *name, const char *where, const char *what, const char *got)
{
    if (err)
        snprintf (err, size, "%s: %s: expected %s, got '%s'", name, where, what, got ? got : "(missing)");
    return NINES_ECONFIG;
}

static int
s_hex_field (const s_section_t *section, const char *key, uint8_t out [32], bool required,
             const char *name, const char *where, char *err, size_t err_size)
{
    const char *text = s_get (section, key);
    if (!text) {
        if (!required)
            return NINES_OK;
        char at [96];
        snprintf (at, sizeof at, "%s/%s", where, key);
        return s_err (err, err_size, name, at, "64 hex digits", NULL);
    }
    if (nines_unhex (out, 32, text)) {
        char at [96];
        snprintf (at, sizeof at, "%s/%s", where, key);
        return s_err (err, err_size, name, at, "64 hex digits", text);
    }
    return NINES_OK;
}

/*  A repeatable key: every `key = <64 hex>` line of the section adds one
    value to set (1..max of them; none is an error). */
static int
s_hex_set (const s_section_t *section, const char *key, uint8_t (*set) [32], uint8_t *n, uint8_t max,
           const char *name, const char *where, char *err, size_t err_size)
{
    char at [96];
    snprintf (at, sizeof at, "%s/%s", where, key);
    *n = 0;
    for (size_t i = 0; i < section->n; i++) {
        if (strcmp (section->kv [i].key, key) != 0)
            continue;
        const char *text = section->kv [i].value;
        if (*n == max) {
            char what [64];
            snprintf (what, sizeof what, "at most %u `%s` lines", max, key);
            return s_err (err, err_size, name, at, what, text);
        }
        if (!text || nines_unhex (set [*n], 32, text))
            return s_err (err, err_size, name, at, "64 hex digits", text);
        (*n)++;
    }
    if (*n == 0)
        return s_err (err, err_size, name, at, "64 hex digits (one line per key, at least one)", NULL);
    return NINES_OK;
}

static int
s_u64_field (const s_section_t *section, const char *key, uint64_t *out, const char *name,
             const char *where, char *err, size_t err_size)
{
    const char *text = s_get (section, key);
    if (!text)
        return NINES_OK;
    if (nines_parse_u64 (text, out)) {
        char at [96];
        snprintf (at, sizeof at, "%s/%s", where, key);
        return s_err (err, err_size, name, at, "a non-negative integer", text);
    }
    return NINES_OK;
}

static int
s_str_field (const s_section_t *section, const char *key, char *out, size_t size, const char *name,
             const char *where, char *err, size_t err_size)
{
    const char *text = s_get (section, key);
    if (!text)
        return NINES_OK;
    if (strlen (text) >= size) {
        char at [96], what [64];
        snprintf (at, sizeof at, "%s/%s", where, key);
        snprintf (what, sizeof what, "at most %zu characters", size - 1);
        return s_err (err, err_size, name, at, what, text);
    }
    strcpy (out, text);
    return NINES_OK;
}

/*  out = "WHAT (did you mean NAME?)", NAME the closest of names[0..n) to
    typed by nines_closest_name (the daemons' rule), or WHAT alone when
    none is close. */
static void
s_hint (char *out, size_t size, const char *what, const char *typed, const char *const *names, size_t n)
{
    size_t near = nines_closest_name (typed, names, n);
    if (near < n)
        snprintf (out, size, "%s (did you mean %s?)", what, names [near]);
    else
        snprintf (out, size, "%s", what);
}

/*  An unknown key of a section: "NAME: where/key: expected a known WHAT
    (did you mean ...?), got 'key'".  NINES_ECONFIG. */
static int
s_unknown_key (const char *key, const char *const *names, size_t n, const char *what,
               const char *name, const char *where, char *err, size_t err_size)
{
    char at [96], known [64], expected [128];
    snprintf (at, sizeof at, "%s/%s", where, key);
    snprintf (known, sizeof known, "a known %s", what);
    s_hint (expected, sizeof expected, known, key, names, n);
    return s_err (err, err_size, name, at, expected, key);
}

/*  Every key of section is one of names[0..n) (s_unknown_key for the first
    that is not).  NINES_OK or NINES_ECONFIG. */
static int
s_known_keys (const s_section_t *section, const char *const *names, size_t n,
              const char *name, const char *where, char *err, size_t err_size)
{
    for (size_t k = 0; k < section->n; k++) {
        size_t i = 0;
        while (i < n && strcmp (names [i], section->kv [k].key) != 0)
            i++;
        if (i == n)
            return s_unknown_key (section->kv [k].key, names, n, "key", name, where, err, err_size);
    }
    return NINES_OK;
}

static int
s_load_params (const s_section_t *section, nines_params_t *p, const char *name, char *err, size_t err_size)
{
    int rc = s_hex_field (section, "genesis_seed", p->genesis_seed, false, name, "params", err, err_size);
    if (rc)
        return rc;
    for (size_t k = 0; k < section->n; k++) {
        const char *key = section->kv [k].key;
        const char *text = section->kv [k].value;
        if (strcmp (key, "genesis_seed") == 0)
            continue;
        const nines_param_desc_t *row = NULL;
        for (size_t i = 0; i < nines_param_ndescs; i++)
            if (strcmp (nines_param_descs [i].name, key) == 0)
                row = &nines_param_descs [i];
        char at [96];
        snprintf (at, sizeof at, "params/%s", key);
        if (!row) {
            const char *names [64];
            size_t n = 0;
            for (size_t i = 0; i < nines_param_ndescs && n < 64; i++)
                names [n++] = nines_param_descs [i].name;
            return s_unknown_key (key, names, n, "parameter name", name, "params", err, err_size);
        }
        uint8_t *field = (uint8_t *) p + row->offset;
        uint64_t v64;
        uint32_t v32;
        switch (row->kind) {
            case 'd':
                if (nines_parse_duration_ms (text, &v64))
                    return s_err (err, err_size, name, at, "a duration such as 10s", text);
                memcpy (field, &v64, 8);
                break;
            case 'u':
                if (nines_parse_u64 (text, &v64))
                    return s_err (err, err_size, name, at, "a non-negative integer", text);
                memcpy (field, &v64, 8);
                break;
            case 'w':
                if (nines_parse_u64 (text, &v64) || v64 > UINT32_MAX)
                    return s_err (err, err_size, name, at, "an integer below 2^32", text);
                v32 = (uint32_t) v64;
                memcpy (field, &v32, 4);
                break;
            case 'p':
                if (nines_parse_ppm (text, &v32))
                    return s_err (err, err_size, name, at, "a fraction such as 0.6667 or 10%", text);
                memcpy (field, &v32, 4);
                break;
        }
    }
    if (p->epoch_ms == 0 || p->committee == 0 || p->r == 0)
        return s_err (err, err_size, name, "params", "epoch, r and committee above zero", "0");
    return NINES_OK;
}

/*  The keys of a validator and a pod section, as s_from_zconfig reads them
    and nines_registry_save writes them. */
static const char *const s_validator_keys [] = { "id", "stake", "endpoint" };
static const char *const s_pod_keys [] = {
    "id", "provider", "facade_key", "spki_pin", "facade_url", "stake", "paid_until", "method", "path"
};
static const char *const s_sections [] = { "params", "validator", "pod" };
#define S_COUNT(a) (sizeof (a) / sizeof (a) [0])

/*  Next section of the text at *at (a mutable copy: NULs are written
    into it): 1 with sec filled, 0 at the end, NINES_ECONFIG on a line
    that is neither a section name nor `key = value` under one. */
static int
s_next_section (char **at, size_t *line, s_section_t *sec, const char *name, char *err, size_t err_size)
{
    sec->name = NULL;
    sec->n = 0;
    for (char *p = *at; *p; ) {
        char *eol = strchr (p, '\n');
        char *next = eol ? eol + 1 : p + strlen (p);
        char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        bool indented = q > p;
        char *end = eol ? eol : next;
        while (end > q && (end [-1] == '\r' || end [-1] == ' ' || end [-1] == '\t'))
            end--;
        if (q == end || *q == '#') {            /* blank or comment */
            p = next;
            (*line)++;
            continue;
        }
        if (!indented) {
            if (sec->name) {                    /* the next section starts: done */
                *at = p;
                return 1;
            }
            char *e = q;
            while (e < end && *e != ' ' && *e != '=')
                e++;
            *e = 0;
            sec->name = q;
            p = next;
            (*line)++;
            continue;
        }
        char *eq = memchr (q, '=', (size_t) (end - q));
        char *k = eq;
        while (k && k > q && k [-1] == ' ')
            k--;
        if (!sec->name || !eq || k == q) {
            if (err)
                snprintf (err, err_size, "%s:%zu: expected `key = value` under a section name, got '%.*s'",
                          name, *line, (int) (end - q > 60 ? 60 : end - q), q);
            return NINES_ECONFIG;
        }
        char *v = eq + 1;
        while (v < end && *v == ' ')
            v++;
        char *vend = end;
        if (v < end && (*v == '"' || *v == '\'')) {
            char *close = memchr (v + 1, *v, (size_t) (end - v - 1));
            vend = close ? close : end;
            v++;
        }
        else {                                  /* unquoted: up to a ` #` comment */
            char *hash = v;
            while ((hash = memchr (hash, '#', (size_t) (vend - hash))) && hash > v && hash [-1] != ' ')
                hash++;
            if (hash && hash > v)
                vend = hash;
            while (vend > v && vend [-1] == ' ')
                vend--;
        }
        *k = 0;
        *vend = 0;
        s_kv_t *grown = nines_grow (sec->kv, &sec->cap, sec->n, sizeof *grown, 16);
        if (!grown)
            return NINES_ENOMEM;
        sec->kv = grown;
        sec->kv [sec->n++] = (s_kv_t) { q, v };
        p = next;
        (*line)++;
    }
    *at = *at + strlen (*at);
    return sec->name ? 1 : 0;
}

static int
s_cmp_pod (const void *a, const void *b)
{
    return memcmp (a, b, NINES_ID_BYTES);
}

/*  Pods appended in file order: sorted by id, a later section of the same
    id replacing an earlier one (as nines_registry_put_pod would).  A file
    nines_registry_save wrote is sorted already; inserting each pod in
    place instead moved half the array per pod. */
static void
s_pods_settle (nines_registry_t *self)
{
    if (self->n_pods < 2)
        return;
    bool sorted = true;
    for (size_t i = 1; i < self->n_pods && sorted; i++)
        sorted = memcmp (self->pods [i - 1].pod, self->pods [i].pod, NINES_ID_BYTES) < 0;
    if (sorted)
        return;
    typedef struct { uint8_t id [NINES_ID_BYTES]; size_t at; } s_key_t;   /* id, file order */
    s_key_t *keys = malloc (self->n_pods * sizeof *keys);
    nines_pod_t *out = keys ? malloc (self->n_pods * sizeof *out) : NULL;
    if (!keys || !out) {
        free (keys);
        return;                                 /* left unsorted: lookups still work (index) */
    }
    for (size_t i = 0; i < self->n_pods; i++) {
        memcpy (keys [i].id, self->pods [i].pod, NINES_ID_BYTES);
        keys [i].at = i;
    }
    qsort (keys, self->n_pods, sizeof *keys, s_cmp_pod);
    size_t n = 0;
    for (size_t i = 0; i < self->n_pods; i++) {
        size_t first = i, last = i;             /* the latest section of this id wins */
        while (i + 1 < self->n_pods && memcmp (keys [i + 1].id, keys [i].id, NINES_ID_BYTES) == 0)
            if (keys [++i].at > keys [last].at)
                last = i;
        for (size_t j = first; j <= i; j++)
            if (j != last)
                free (self->pods [keys [j].at].blob);
        out [n++] = self->pods [keys [last].at];
    }
    free (keys);
    free (self->pods);
    self->pods = out;
    self->n_pods = n;
}

/*  One validator or pod section into self (pods appended, settled at the end). */
static int
s_load_entry (nines_registry_t *self, const s_section_t *s, int *nv, int *np, size_t *cap_pods,
              const char *name, char *err, size_t err_size)
{
    const char *kind = s->name;
    char where [32];
    int rc = NINES_OK;
    if (strcmp (kind, "validator") == 0) {
        nines_validator_info_t v;
        memset (&v, 0, sizeof v);
        snprintf (where, sizeof where, "validator[%d]", (*nv)++);
        rc = s_known_keys (s, s_validator_keys, S_COUNT (s_validator_keys), name, where, err, err_size);
        if (!rc) rc = s_hex_field (s, "id", v.id, true, name, where, err, err_size);
        if (!rc) rc = s_u64_field (s, "stake", &v.stake, name, where, err, err_size);
        if (!rc) rc = s_str_field (s, "endpoint", v.endpoint, sizeof v.endpoint, name, where, err, err_size);
        if (!rc) rc = nines_registry_put_validator (self, &v);
    }
    else
    if (strcmp (kind, "pod") == 0) {
        nines_pod_info_t p;
        memset (&p, 0, sizeof p);
        strcpy (p.method, "GET");
        strcpy (p.path, "/");
        snprintf (where, sizeof where, "pod[%d]", (*np)++);
        rc = s_known_keys (s, s_pod_keys, S_COUNT (s_pod_keys), name, where, err, err_size);
        if (!rc) rc = s_hex_field (s, "id", p.pod, true, name, where, err, err_size);
        if (!rc) rc = s_hex_field (s, "provider", p.provider, false, name, where, err, err_size);
        if (!rc) rc = s_hex_set (s, "facade_key", p.facade_keys, &p.n_facade_keys, NINES_POD_KEYS_MAX,
                                 name, where, err, err_size);
        if (!rc) rc = s_hex_set (s, "spki_pin", p.spki_pins, &p.n_spki_pins, NINES_POD_PINS_MAX,
                                 name, where, err, err_size);
        if (!rc) rc = s_str_field (s, "facade_url", p.facade_url, sizeof p.facade_url, name, where, err, err_size);
        if (!rc) rc = s_u64_field (s, "stake", &p.stake, name, where, err, err_size);
        if (!rc) rc = s_u64_field (s, "paid_until", &p.paid_until_ms, name, where, err, err_size);
        if (!rc) rc = s_str_field (s, "method", p.method, sizeof p.method, name, where, err, err_size);
        if (!rc) rc = s_str_field (s, "path", p.path, sizeof p.path, name, where, err, err_size);
        if (!rc && !*p.facade_url)
            rc = s_err (err, err_size, name, where, "a facade_url", NULL);
        if (!rc) {
            nines_pod_t *grown = nines_grow (self->pods, cap_pods, self->n_pods, sizeof *grown, 64);
            if (!grown)
                return NINES_ENOMEM;
            self->pods = grown;
        }
        if (!rc)
            rc = nines_pod_pack (&p, &self->pods [self->n_pods]);
        if (!rc)
            self->n_pods++;
    }
    else
    if (strcmp (kind, "params") != 0) {
        char what [96];
        s_hint (what, sizeof what, "a section named params, validator or pod", kind,
                s_sections, S_COUNT (s_sections));
        rc = s_err (err, err_size, name, kind, what, kind);
    }
    return rc;
}

nines_registry_t *
nines_registry_from_text (const char *name, const char *text, size_t len, char *err, size_t err_size)
{
    char *copy = text ? malloc (len + 1) : NULL;
    nines_registry_t *self = copy ? nines_registry_new () : NULL;
    if (!self) {
        free (copy);
        if (err)
            snprintf (err, err_size, "%s: %s", name, text ? "out of memory" : "no text");
        return NULL;
    }
    memcpy (copy, text, len);
    copy [len] = 0;
    s_section_t sec = { 0 };
    int rc = NINES_OK, more;
    /*  The params first, wherever the section is: validators' eligibility
        and every later check depend on them. */
    char *at = copy;
    size_t line = 1;
    while ((more = s_next_section (&at, &line, &sec, name, err, err_size)) == 1)
        if (strcmp (sec.name, "params") == 0) {
            rc = s_load_params (&sec, &self->params, name, err, err_size);
            break;
        }
    if (more < 0)
        rc = more;
    memcpy (copy, text, len);                   /* the pass wrote NULs */
    at = copy;
    line = 1;
    int nv = 0, np = 0;
    size_t cap_pods = 0;
    while (!rc && (more = s_next_section (&at, &line, &sec, name, err, err_size)) == 1)
        rc = s_load_entry (self, &sec, &nv, &np, &cap_pods, name, err, err_size);
    if (!rc && more < 0)
        rc = more;
    free (sec.kv);
    free (copy);
    if (!rc) {
        s_pods_settle (self);
        if (self->n_pods && self->n_pods < cap_pods) {
            nines_pod_t *fit = realloc (self->pods, self->n_pods * sizeof *fit);
            if (fit)
                self->pods = fit;
        }
        self->version++;
        rc = nines_registry_reindex (self);
    }
    if (rc)
        nines_registry_destroy (&self);
    return self;
}

nines_registry_t *
nines_registry_from_string (const char *name, const char *text, char *err, size_t err_size)
{
    return nines_registry_from_text (name, text, text ? strlen (text) : 0, err, err_size);
}

char *
nines_registry_to_text (const nines_registry_t *self, size_t *len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream (&text, &size);    /* memory, not a file */
    if (!f)
        return NULL;
    char hex [65];
    fprintf (f, "#   nines registry snapshot (ZPL, see src/proto/registry.h)\n");
    fprintf (f, "params\n    genesis_seed = %s\n", nines_hex (hex, self->params.genesis_seed, 32));
    for (size_t i = 0; i < nines_param_ndescs; i++) {
        const nines_param_desc_t *d = &nines_param_descs [i];
        const uint8_t *field = (const uint8_t *) &self->params + d->offset;
        uint64_t v64 = 0;
        uint32_t v32 = 0;
        if (d->kind == 'h')
            continue;
        if (d->kind == 'd' || d->kind == 'u')
            memcpy (&v64, field, 8);
        else
            memcpy (&v32, field, 4), v64 = v32;
        const char *unit = d->kind == 'd' ? "ms" : d->kind == 'p' ? "ppm" : "";
        fprintf (f, "    %s = %llu%s\n", d->name, (unsigned long long) v64, unit);
    }
    for (size_t i = 0; i < self->n_validators; i++) {
        const nines_validator_info_t *v = &self->validators [i];
        fprintf (f, "validator\n    id = %s\n    stake = %llu\n    endpoint = \"%s\"\n",
                 nines_hex (hex, v->id, 32), (unsigned long long) v->stake, v->endpoint);
    }
    nines_pod_info_t *p = malloc (sizeof *p);
    for (size_t i = 0; p && i < self->n_pods; i++) {
        nines_pod_expand (&self->pods [i], p);
        fprintf (f, "pod\n    id = %s\n", nines_hex (hex, p->pod, 32));
        fprintf (f, "    provider = %s\n", nines_hex (hex, p->provider, 32));
        fprintf (f, "    facade_url = \"%s\"\n", p->facade_url);
        for (uint8_t k = 0; k < p->n_facade_keys; k++)
            fprintf (f, "    facade_key = %s\n", nines_hex (hex, p->facade_keys [k], 32));
        for (uint8_t k = 0; k < p->n_spki_pins; k++)
            fprintf (f, "    spki_pin = %s\n", nines_hex (hex, p->spki_pins [k], 32));
        fprintf (f, "    stake = %llu\n    paid_until = %llu\n", (unsigned long long) p->stake,
                 (unsigned long long) p->paid_until_ms);
        fprintf (f, "    method = %s\n    path = \"%s\"\n", p->method, p->path);
    }
    int failed = !p;
    free (p);
    if (fclose (f) || failed) {
        free (text);
        return NULL;
    }
    if (len)
        *len = size;
    return text;
}
