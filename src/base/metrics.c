/*  Metrics registry and Prometheus text exposition (see metrics.h). */
#include "base/metrics.h"

#include <ctype.h>
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "base/error.h"

typedef struct {
    char *values [NINES_METRIC_LABELS_MAX]; /* label values (owned), n_labels of them */
    uint32_t hash;                          /* FNV-1a of the values */
    double value;                           /* counter / gauge value; histogram sum */
    uint64_t count;                         /* histogram: observations */
    uint64_t *buckets;                      /* histogram: per-bucket counts (n_buckets + 1, not cumulative) */
} series_t;

struct _nines_metric_t {
    nines_metrics_t *reg;                   /* owning registry */
    nines_metric_type_t type;               /* counter, gauge, histogram */
    char *name;                             /* family name */
    char *help;                             /* HELP text */
    char *labels [NINES_METRIC_LABELS_MAX]; /* label names */
    size_t n_labels;                        /* how many */
    uint32_t max_series;                    /* cardinality cap */
    double *bounds;                         /* histogram upper bounds */
    size_t n_bounds;                        /* how many (without +Inf) */
    series_t *series;                       /* series, in order of appearance */
    size_t n_series;                        /* used */
    size_t cap_series;                      /* allocated */
    uint32_t *slots;                        /* open-addressing index: series + 1, 0 = empty */
    size_t n_slots;                         /* power of two (0 before the first series) */
    nines_metric_t *next;                   /* next family in the registry */
};

struct _nines_metrics_t {
    nines_metric_t *first;                  /* families, in order added */
    nines_metric_t *last;                   /* tail */
    nines_metric_t *dropped;                /* nines_metrics_series_dropped{family} */
    nines_metric_t *proc [6];               /* process_* families (after nines_metrics_process) */
};

/*  ---- names ---- */

static bool
s_name_ok (const char *s, bool colon)
{
    if (!s || !*s || strlen (s) >= NINES_METRIC_NAME_MAX)
        return false;
    for (const char *p = s; *p; p++) {
        bool ok = isalpha ((unsigned char) *p) || *p == '_' || (colon && *p == ':')
               || (p > s && isdigit ((unsigned char) *p));
        if (!ok)
            return false;
    }
    return true;
}

static void
s_family_free (nines_metric_t *m)
{
    for (size_t i = 0; i < m->n_series; i++) {
        for (size_t j = 0; j < m->n_labels; j++)
            free (m->series [i].values [j]);
        free (m->series [i].buckets);
    }
    for (size_t j = 0; j < m->n_labels; j++)
        free (m->labels [j]);
    free (m->series);
    free (m->slots);
    free (m->bounds);
    free (m->name);
    free (m->help);
    free (m);
}

nines_metrics_t *
nines_metrics_new (void)
{
    nines_metrics_t *self = (nines_metrics_t *) calloc (1, sizeof *self);
    if (!self)
        return NULL;
    self->dropped = nines_metrics_add (self, NINES_METRIC_GAUGE, "nines_metrics_series_dropped",
                                       "Label sets refused since the family was last reset (per scrape for "
                                       "families rebuilt each scrape) because it reached its series cap.",
                                       "family", 256, NULL, 0);
    if (!self->dropped)
        nines_metrics_destroy (&self);
    return self;
}

void
nines_metrics_destroy (nines_metrics_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    nines_metric_t *m = (*self_p)->first;
    while (m) {
        nines_metric_t *next = m->next;
        s_family_free (m);
        m = next;
    }
    free (*self_p);
    *self_p = NULL;
}

nines_metric_t *
nines_metrics_add (nines_metrics_t *self, nines_metric_type_t type, const char *name,
                   const char *help, const char *labels, uint32_t max_series,
                   const double *buckets, size_t n_buckets)
{
    if (!self || !s_name_ok (name, true) || max_series == 0
     || (type != NINES_METRIC_COUNTER && type != NINES_METRIC_GAUGE && type != NINES_METRIC_HISTOGRAM))
        return NULL;
    for (nines_metric_t *m = self->first; m; m = m->next)
        if (!strcmp (m->name, name))
            return NULL;
    if (type == NINES_METRIC_HISTOGRAM) {
        if (!buckets || n_buckets == 0 || n_buckets > NINES_METRIC_BUCKETS_MAX)
            return NULL;
        for (size_t i = 0; i < n_buckets; i++)
            if (!isfinite (buckets [i]) || (i && buckets [i] <= buckets [i - 1]))
                return NULL;
    }
    nines_metric_t *m = (nines_metric_t *) calloc (1, sizeof *m);
    if (!m)
        return NULL;
    m->reg = self;
    m->type = type;
    m->max_series = max_series;
    m->name = strdup (name);
    m->help = strdup (help ? help : "");
    if (!m->name || !m->help)
        goto fail;
    for (char *h = m->help; *h; h++)        /* HELP is one line */
        if (*h == '\n')
            *h = ' ';
    if (labels && *labels) {
        char buf [NINES_METRIC_NAME_MAX * NINES_METRIC_LABELS_MAX];
        if (strlen (labels) >= sizeof buf)
            goto fail;
        strcpy (buf, labels);
        char *save = NULL;
        for (char *tok = strtok_r (buf, ",", &save); tok; tok = strtok_r (NULL, ",", &save)) {
            if (m->n_labels == NINES_METRIC_LABELS_MAX || !s_name_ok (tok, false)
             || !strncmp (tok, "__", 2) || (type == NINES_METRIC_HISTOGRAM && !strcmp (tok, "le")))
                goto fail;
            for (size_t j = 0; j < m->n_labels; j++)
                if (!strcmp (m->labels [j], tok))
                    goto fail;
            if (!(m->labels [m->n_labels++] = strdup (tok)))
                goto fail;
        }
    }
    if (type == NINES_METRIC_HISTOGRAM) {
        m->bounds = (double *) malloc (n_buckets * sizeof *m->bounds);
        if (!m->bounds)
            goto fail;
        memcpy (m->bounds, buckets, n_buckets * sizeof *m->bounds);
        m->n_bounds = n_buckets;
    }
    if (self->last)
        self->last->next = m;
    else
        self->first = m;
    self->last = m;
    return m;
fail:
    s_family_free (m);
    return NULL;
}

/*  ---- series ---- */

static uint32_t
s_hash (const nines_metric_t *m, const char *const *values)
{
    uint32_t h = 2166136261u;
    for (size_t j = 0; j < m->n_labels; j++) {
        for (const char *p = values [j]; *p; p++)
            h = (h ^ (uint8_t) *p) * 16777619u;
        h = (h ^ 0xff) * 16777619u;         /* separator: "a","bc" != "ab","c" */
    }
    return h;
}

static bool
s_same (const nines_metric_t *m, const series_t *s, const char *const *values)
{
    for (size_t j = 0; j < m->n_labels; j++)
        if (strcmp (s->values [j], values [j]))
            return false;
    return true;
}

static int
s_reindex (nines_metric_t *m, size_t n_slots)
{
    uint32_t *slots = (uint32_t *) calloc (n_slots, sizeof *slots);
    if (!slots)
        return NINES_ENOMEM;
    for (size_t i = 0; i < m->n_series; i++) {
        size_t k = m->series [i].hash & (n_slots - 1);
        while (slots [k])
            k = (k + 1) & (n_slots - 1);
        slots [k] = (uint32_t) i + 1;
    }
    free (m->slots);
    m->slots = slots;
    m->n_slots = n_slots;
    return 0;
}

/*  The series for values, created if new: 0 with *out, or an error. */
static int
s_series (nines_metric_t *m, const char *const *values, series_t **out)
{
    if (m->n_labels && !values)
        return NINES_EINVAL;
    for (size_t j = 0; j < m->n_labels; j++)
        if (!values [j] || strlen (values [j]) >= NINES_METRIC_VALUE_MAX)
            return NINES_EINVAL;
    uint32_t h = s_hash (m, values);
    if (m->n_slots) {
        for (size_t k = h & (m->n_slots - 1); m->slots [k]; k = (k + 1) & (m->n_slots - 1)) {
            series_t *s = &m->series [m->slots [k] - 1];
            if (s->hash == h && s_same (m, s, values)) {
                *out = s;
                return 0;
            }
        }
    }
    if (m->n_series >= m->max_series) {
        if (m != m->reg->dropped) {
            series_t *d;
            if (s_series (m->reg->dropped, (const char *[]) { m->name }, &d) == 0)
                d->value++;
        }
        return NINES_EFULL;
    }
    if (m->n_series == m->cap_series) {
        size_t cap = m->cap_series ? m->cap_series * 2 : 4;
        series_t *s = (series_t *) realloc (m->series, cap * sizeof *s);
        if (!s)
            return NINES_ENOMEM;
        m->series = s;
        m->cap_series = cap;
    }
    series_t *s = &m->series [m->n_series];
    memset (s, 0, sizeof *s);
    s->hash = h;
    if (m->type == NINES_METRIC_HISTOGRAM
     && !(s->buckets = (uint64_t *) calloc (m->n_bounds + 1, sizeof *s->buckets)))
        return NINES_ENOMEM;
    for (size_t j = 0; j < m->n_labels; j++)
        if (!(s->values [j] = strdup (values [j]))) {
            for (size_t i = 0; i < j; i++)
                free (s->values [i]);
            free (s->buckets);
            return NINES_ENOMEM;
        }
    m->n_series++;
    if (m->n_series * 2 > m->n_slots) {
        if (s_reindex (m, m->n_slots ? m->n_slots * 2 : 8)) {   /* indexes the new one too */
            m->n_series--;
            for (size_t j = 0; j < m->n_labels; j++)
                free (s->values [j]);
            free (s->buckets);
            return NINES_ENOMEM;
        }
    }
    else {
        size_t k = h & (m->n_slots - 1);
        while (m->slots [k])
            k = (k + 1) & (m->n_slots - 1);
        m->slots [k] = (uint32_t) m->n_series;
    }
    *out = s;
    return 0;
}

int
nines_metric_inc (nines_metric_t *self, const char *const *values, double by)
{
    if (!self || self->type != NINES_METRIC_COUNTER || !(by >= 0))
        return NINES_EINVAL;
    series_t *s;
    int rc = s_series (self, values, &s);
    if (rc)
        return rc;
    s->value += by;
    return 0;
}

int
nines_metric_set (nines_metric_t *self, const char *const *values, double v)
{
    if (!self || self->type == NINES_METRIC_HISTOGRAM)
        return NINES_EINVAL;
    series_t *s;
    int rc = s_series (self, values, &s);
    if (rc)
        return rc;
    s->value = v;
    return 0;
}

int
nines_metric_observe (nines_metric_t *self, const char *const *values, double v)
{
    if (!self || self->type != NINES_METRIC_HISTOGRAM || isnan (v))
        return NINES_EINVAL;
    series_t *s;
    int rc = s_series (self, values, &s);
    if (rc)
        return rc;
    size_t b = 0;
    while (b < self->n_bounds && v > self->bounds [b])
        b++;
    s->buckets [b]++;
    s->count++;
    s->value += v;
    return 0;
}

int
nines_metric_set_histogram (nines_metric_t *self, const char *const *values,
                            const uint64_t *counts, double sum)
{
    if (!self || self->type != NINES_METRIC_HISTOGRAM || !counts || isnan (sum))
        return NINES_EINVAL;
    series_t *s;
    int rc = s_series (self, values, &s);
    if (rc)
        return rc;
    s->count = 0;
    for (size_t b = 0; b <= self->n_bounds; b++)
        s->count += (s->buckets [b] = counts [b]);
    s->value = sum;
    return 0;
}

void
nines_metric_reset (nines_metric_t *self)
{
    if (!self)
        return;
    if (self != self->reg->dropped)
        (void) nines_metric_set (self->reg->dropped, (const char *[]) { self->name }, 0);
    for (size_t i = 0; i < self->n_series; i++) {
        for (size_t j = 0; j < self->n_labels; j++)
            free (self->series [i].values [j]);
        free (self->series [i].buckets);
    }
    self->n_series = 0;
    if (self->slots)
        memset (self->slots, 0, self->n_slots * sizeof *self->slots);
}

size_t
nines_metric_series (const nines_metric_t *self)
{
    return self ? self->n_series : 0;
}

/*  ---- process metrics ---- */

int
nines_metrics_process (nines_metrics_t *self)
{
    static const struct { nines_metric_type_t type; const char *name, *help; } fam [6] = {
        { NINES_METRIC_COUNTER, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds." },
        { NINES_METRIC_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes." },
        { NINES_METRIC_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes." },
        { NINES_METRIC_GAUGE, "process_open_fds", "Number of open file descriptors." },
        { NINES_METRIC_GAUGE, "process_max_fds", "Maximum number of open file descriptors." },
        { NINES_METRIC_GAUGE, "process_start_time_seconds", "Start time of the process since unix epoch in seconds." },
    };
    if (!self->proc [0])
        for (size_t i = 0; i < 6; i++)
            if (!(self->proc [i] = nines_metrics_add (self, fam [i].type, fam [i].name, fam [i].help,
                                                      NULL, 1, NULL, 0)))
                return NINES_ENOMEM;
    /*  /proc/self/stat fields (proc(5)): 14 utime, 15 stime, 22 starttime
        (clock ticks since boot), 23 vsize (bytes), 24 rss (pages). */
    FILE *f = fopen ("/proc/self/stat", "r");
    if (!f)
        return NINES_EIO;
    char line [1024];
    bool got = fgets (line, sizeof line, f) != NULL;
    fclose (f);
    char *p = got ? strrchr (line, ')') : NULL;    /* comm may hold spaces */
    if (!p)
        return NINES_EIO;
    unsigned long long v [24] = { 0 };
    int field = 2;
    for (char *tok = strtok (p + 1, " "); tok && field < 24; tok = strtok (NULL, " "))
        v [++field - 1] = strtoull (tok, NULL, 10);
    double tick = (double) sysconf (_SC_CLK_TCK);
    double page = (double) sysconf (_SC_PAGESIZE);
    double boot = 0;
    f = fopen ("/proc/stat", "r");
    if (f) {
        while (fgets (line, sizeof line, f))
            if (!strncmp (line, "btime ", 6))
                boot = strtod (line + 6, NULL);
        fclose (f);
    }
    size_t fds = 0;
    DIR *d = opendir ("/proc/self/fd");
    if (d) {
        for (struct dirent *e; (e = readdir (d)); )
            if (e->d_name [0] != '.')
                fds++;
        closedir (d);
        fds--;                              /* the directory stream's own */
    }
    struct rlimit rl = { 0 };
    getrlimit (RLIMIT_NOFILE, &rl);
    nines_metric_set (self->proc [0], NULL, (double) (v [13] + v [14]) / tick);
    nines_metric_set (self->proc [1], NULL, (double) v [23] * page);
    nines_metric_set (self->proc [2], NULL, (double) v [22]);
    nines_metric_set (self->proc [3], NULL, (double) fds);
    nines_metric_set (self->proc [4], NULL, rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double) rl.rlim_cur);
    nines_metric_set (self->proc [5], NULL, boot + (double) v [21] / tick);
    return 0;
}

/*  ---- exposition ---- */

typedef struct {
    char *data;                             /* text */
    size_t len;                             /* used */
    size_t cap;                             /* allocated */
    bool failed;                            /* an allocation failed */
} buf_t;

static void
s_put (buf_t *b, const char *fmt, ...)
{
    if (b->failed)
        return;
    for (;;) {
        va_list ap;
        va_start (ap, fmt);
        int n = vsnprintf (b->data + b->len, b->cap - b->len, fmt, ap);
        va_end (ap);
        if (n < 0) {
            b->failed = true;
            return;
        }
        if ((size_t) n < b->cap - b->len) {
            b->len += (size_t) n;
            return;
        }
        size_t cap = (b->cap + (size_t) n + 1) * 2;
        char *d = (char *) realloc (b->data, cap);
        if (!d) {
            b->failed = true;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
}

/*  A float as the exposition format writes it: the shortest decimal that
    reads back exactly, +Inf, -Inf or NaN. */
static const char *
s_num (char out [40], double v)
{
    if (isnan (v))
        return "NaN";
    if (isinf (v))
        return v > 0 ? "+Inf" : "-Inf";
    if (v == floor (v) && fabs (v) < 9007199254740992.0) {    /* integers as integers (2^53) */
        snprintf (out, 40, "%.0f", v);
        return out;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf (out, 40, "%.*g", prec, v);
        if (strtod (out, NULL) == v)
            break;
    }
    return out;
}

/*  Escapes of the text format: HELP escapes \ and newline, label values
    also the double quote. */
static void
s_escaped (buf_t *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            s_put (b, "\\\\");
        else if (*s == '\n')
            s_put (b, "\\n");
        else if (quote && *s == '"')
            s_put (b, "\\\"");
        else
            s_put (b, "%c", *s);
    }
}

/*  {a="x",b="y"[,le="..."]} or nothing. */
static void
s_labels (buf_t *b, const nines_metric_t *m, const series_t *s, const char *le)
{
    if (!m->n_labels && !le)
        return;
    s_put (b, "{");
    for (size_t j = 0; j < m->n_labels; j++) {
        s_put (b, "%s%s=\"", j ? "," : "", m->labels [j]);
        s_escaped (b, s->values [j], true);
        s_put (b, "\"");
    }
    if (le)
        s_put (b, "%sle=\"%s\"", m->n_labels ? "," : "", le);
    s_put (b, "}");
}

char *
nines_metrics_render (nines_metrics_t *self, size_t *len)
{
    buf_t b = { 0 };
    b.cap = 4096;
    if (!(b.data = (char *) malloc (b.cap)))
        return NULL;
    b.data [0] = 0;
    char num [40];
    for (const nines_metric_t *m = self->first; m; m = m->next) {
        if (m == self->dropped && !m->n_series)
            continue;                       /* nothing dropped: no noise */
        const char *type = m->type == NINES_METRIC_COUNTER ? "counter"
                         : m->type == NINES_METRIC_GAUGE ? "gauge" : "histogram";
        s_put (&b, "# HELP %s ", m->name);
        s_escaped (&b, m->help, false);
        s_put (&b, "\n# TYPE %s %s\n", m->name, type);
        for (size_t i = 0; i < m->n_series; i++) {
            const series_t *s = &m->series [i];
            if (m->type != NINES_METRIC_HISTOGRAM) {
                s_put (&b, "%s", m->name);
                s_labels (&b, m, s, NULL);
                s_put (&b, " %s\n", s_num (num, s->value));
                continue;
            }
            uint64_t cum = 0;
            for (size_t k = 0; k <= m->n_bounds; k++) {
                cum += s->buckets [k];
                char le [40];
                snprintf (le, sizeof le, "%s", k < m->n_bounds ? s_num (num, m->bounds [k]) : "+Inf");
                s_put (&b, "%s_bucket", m->name);
                s_labels (&b, m, s, le);
                s_put (&b, " %llu\n", (unsigned long long) cum);
            }
            s_put (&b, "%s_sum", m->name);
            s_labels (&b, m, s, NULL);
            s_put (&b, " %s\n%s_count", s_num (num, s->value), m->name);
            s_labels (&b, m, s, NULL);
            s_put (&b, " %llu\n", (unsigned long long) s->count);
        }
    }
    if (b.failed) {
        free (b.data);
        return NULL;
    }
    if (len)
        *len = b.len;
    return b.data;
}

int
nines_metrics_add_table (nines_metrics_t *self, const nines_metric_def_t *defs, size_t n,
                         void *owner, uint32_t max_zero)
{
    for (size_t i = 0; i < n; i++) {
        const nines_metric_def_t *d = &defs [i];
        nines_metric_t *m = nines_metrics_add (self, d->type, d->name, d->help, d->labels,
                                               d->max_series ? d->max_series : max_zero, NULL, 0);
        if (!m)
            return NINES_EINVAL;
        memcpy ((char *) owner + d->slot, &m, sizeof m);
    }
    return 0;
}
