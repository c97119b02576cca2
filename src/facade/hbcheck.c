#include "facade/hbcheck.h"
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t nonce [NINES_NONCE_BYTES];  /* seen nonce */
    uint64_t expires;                   /* forget after, ms */
} replay_t;

struct _nines_hbcheck_t {
    pthread_mutex_t lock;               /* guards everything below */
    uint8_t pod [NINES_ID_BYTES];       /* our pod */
    uint8_t (*allowed) [NINES_ID_BYTES];/* allowed validator ids, sorted */
    size_t n_allowed;                   /* entries in allowed */
    replay_t *replay;                   /* open-addressed table */
    size_t replay_cap;                  /* slots (power of two) */
    uint64_t replay_full;               /* valid heartbeats refused: no room */
};

nines_hbcheck_t *
nines_hbcheck_new (const uint8_t pod [NINES_ID_BYTES], size_t replay_cap)
{
    nines_hbcheck_t *self = calloc (1, sizeof *self);
    if (!self)
        return NULL;
    size_t cap = 64;
    while (cap < replay_cap)
        cap *= 2;
    self->replay = calloc (cap, sizeof (replay_t));
    if (!self->replay) {
        free (self);
        return NULL;
    }
    self->replay_cap = cap;
    memcpy (self->pod, pod, NINES_ID_BYTES);
    pthread_mutex_init (&self->lock, NULL);
    return self;
}

size_t
nines_hbcheck_replay_size (uint64_t heartbeats_per_s)
{
    const uint64_t max = (uint64_t) 1 << 26;
    uint64_t live = (heartbeats_per_s ? heartbeats_per_s : 1) * (2 * NINES_HB_SKEW_MS / 1000);
    uint64_t cap = 64;
    while (cap < 2 * live && cap < max)
        cap *= 2;
    return (size_t) cap;
}

void
nines_hbcheck_replay_stats (nines_hbcheck_t *self, size_t *slots, uint64_t *refused_full)
{
    pthread_mutex_lock (&self->lock);
    *slots = self->replay_cap;
    *refused_full = self->replay_full;
    pthread_mutex_unlock (&self->lock);
}

void
nines_hbcheck_destroy (nines_hbcheck_t **self_p)
{
    if (!self_p || !*self_p)
        return;
    pthread_mutex_destroy (&(*self_p)->lock);
    free ((*self_p)->allowed);
    free ((*self_p)->replay);
    free (*self_p);
    *self_p = NULL;
}

static int
s_cmp_id (const void *a, const void *b)
{
    return memcmp (a, b, NINES_ID_BYTES);
}

int
nines_hbcheck_set_allowlist (nines_hbcheck_t *self, const uint8_t (*ids) [NINES_ID_BYTES], size_t n)
{
    uint8_t (*copy) [NINES_ID_BYTES] = malloc ((n ? n : 1) * NINES_ID_BYTES);
    if (!copy)
        return NINES_ENOMEM;
    memcpy (copy, ids, n * NINES_ID_BYTES);
    qsort (copy, n, NINES_ID_BYTES, s_cmp_id);
    pthread_mutex_lock (&self->lock);
    free (self->allowed);
    self->allowed = copy;
    self->n_allowed = n;
    pthread_mutex_unlock (&self->lock);
    return NINES_OK;
}

int
nines_hbcheck_load_allowlist (nines_hbcheck_t *self, const char *path, char *err, size_t err_size)
{
    FILE *f = fopen (path, "r");
    if (!f) {
        snprintf (err, err_size, "%s: cannot open", path);
        return NINES_ENOTFOUND;
    }
    size_t n = 0, cap = 16;
    uint8_t (*ids) [NINES_ID_BYTES] = malloc (cap * NINES_ID_BYTES);
    char line [256];
    int lineno = 0, rc = NINES_OK;
    while (ids && fgets (line, sizeof line, f)) {
        lineno++;
        char *s = line;
        while (isspace ((unsigned char) *s))
            s++;
        char *end = s + strlen (s);
        while (end > s && isspace ((unsigned char) end [-1]))
            *--end = 0;
        if (!*s || *s == '#')
            continue;
        if (n == cap) {
            cap *= 2;
            void *grown = realloc (ids, cap * NINES_ID_BYTES);
            if (!grown) {
                rc = NINES_ENOMEM;
                break;
            }
            ids = grown;
        }
        if (nines_unhex (ids [n], NINES_ID_BYTES, s)) {
            snprintf (err, err_size, "%s:%d: expected a validator id (64 hex digits), got '%.80s'",
                      path, lineno, s);
            rc = NINES_EMALFORMED;
            break;
        }
        n++;
    }
    fclose (f);
    if (!ids)
        return NINES_ENOMEM;
    if (!rc)
        rc = nines_hbcheck_set_allowlist (self, (const uint8_t (*) [NINES_ID_BYTES]) ids, n);
    free (ids);
    return rc;
}

size_t
nines_hbcheck_allowed (nines_hbcheck_t *self)
{
    pthread_mutex_lock (&self->lock);
    size_t n = self->n_allowed;
    pthread_mutex_unlock (&self->lock);
    return n;
}

/*  Record the nonce of a heartbeat made at t_ms (within the skew of now);
    NINES_EREPLAY if present and live, NINES_EFULL if the table has no
    room.  Expired entries are reused in place.  It is kept until t_ms +
    NINES_HB_SKEW_MS: a replay after that is stale (the signature covers
    t_ms), so honest clocks hold a slot about 30 s, not the 60 s kept
    before whatever t_ms said. */
static int
s_replay_insert (nines_hbcheck_t *self, const uint8_t nonce [NINES_NONCE_BYTES], uint64_t t_ms,
                 uint64_t now)
{
    uint64_t h;
    memcpy (&h, nonce, sizeof h);          /* nonces are random */
    size_t mask = self->replay_cap - 1;
    replay_t *free_slot = NULL;
    for (size_t probe = 0; probe < 64; probe++) {
        replay_t *slot = &self->replay [(h + probe) & mask];
        bool live = slot->expires > now;
        if (live && memcmp (slot->nonce, nonce, NINES_NONCE_BYTES) == 0)
            return NINES_EREPLAY;
        if (!live && !free_slot)
            free_slot = slot;
        if (slot->expires == 0)
            break;                         /* never used: the chain ends */
    }
    if (!free_slot) {
        self->replay_full++;
        return NINES_EFULL;
    }
    memcpy (free_slot->nonce, nonce, NINES_NONCE_BYTES);
    free_slot->expires = t_ms + NINES_HB_SKEW_MS + 1;
    return NINES_OK;
}

int
nines_hbcheck (nines_hbcheck_t *self, const char *value, size_t len, uint64_t now_ms,
               nines_hb_req_t *req)
{
    int rc = nines_hb_req_parse (value, len, req);
    if (rc)
        return rc;
    if (memcmp (req->pod, self->pod, NINES_ID_BYTES) != 0)
        return NINES_EUNKNOWN;
    uint64_t skew = req->t_ms > now_ms ? req->t_ms - now_ms : now_ms - req->t_ms;
    if (skew > NINES_HB_SKEW_MS)
        return NINES_ESTALE;
    pthread_mutex_lock (&self->lock);
    bool allowed = bsearch (req->validator, self->allowed, self->n_allowed, NINES_ID_BYTES, s_cmp_id) != NULL;
    pthread_mutex_unlock (&self->lock);
    if (!allowed)
        return NINES_EUNKNOWN;
    if (nines_hb_req_verify (req))
        return NINES_EBADSIG;
    pthread_mutex_lock (&self->lock);
    rc = s_replay_insert (self, req->nonce, req->t_ms, now_ms);
    pthread_mutex_unlock (&self->lock);
    return rc;
}
