#include "facade/conncap.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint8_t key [NINES_CONNCAP_KEY_BYTES];  /* address key; key [0] == 0: free slot */
    uint64_t count;                          /* open connections from it (> 0 when used) */
} entry_t;

struct _nines_conncap_t {
    pthread_mutex_t lock;                    /* guards the table */
    entry_t *table;                          /* size entries, a power of two */
    size_t mask;                             /* size - 1 */
    uint64_t per_address;                    /* the cap */
};

nines_conncap_t *
nines_conncap_new (uint64_t max_connections, uint64_t per_address)
{
    if (!max_connections || !per_address || max_connections > (1ULL << 30))
        return NULL;
    size_t size = 16;
    while (size < 2 * max_connections)
        size <<= 1;
    nines_conncap_t *self = calloc (1, sizeof *self);
    if (self)
        self->table = calloc (size, sizeof *self->table);
    if (!self || !self->table) {
        free (self);
        return NULL;
    }
    pthread_mutex_init (&self->lock, NULL);
    self->mask = size - 1;
    self->per_address = per_address;
    return self;
}

void
nines_conncap_destroy (nines_conncap_t **self_p)
{
    nines_conncap_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->lock);
    free (self->table);
    free (self);
    *self_p = NULL;
}

bool
nines_conncap_key (const struct sockaddr *sa, uint8_t key [NINES_CONNCAP_KEY_BYTES])
{
    memset (key, 0, NINES_CONNCAP_KEY_BYTES);
    if (sa->sa_family == AF_INET) {
        key [0] = 4;
        memcpy (key + 1, &((const struct sockaddr_in *) sa)->sin_addr, 4);
        return true;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *) sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED (a)) {
            key [0] = 4;
            memcpy (key + 1, a->s6_addr + 12, 4);
        }
        else {
            key [0] = 6;
            memcpy (key + 1, a->s6_addr, 8);        /* the /64 */
        }
        return true;
    }
    return false;
}

/*  FNV-1a over the key: the table's hash (keys are not secret; the table
    cannot fill, so collisions cost probes, never refusals). */
static size_t
s_hash (const uint8_t *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (int i = 0; i < NINES_CONNCAP_KEY_BYTES; i++)
        h = (h ^ key [i]) * 1099511628211ULL;
    return (size_t) (h ^ (h >> 29));
}

/*  The slot of key, or of the free slot where it would go. */
static size_t
s_find (nines_conncap_t *self, const uint8_t *key)
{
    size_t i = s_hash (key) & self->mask;
    while (self->table [i].key [0] && memcmp (self->table [i].key, key, NINES_CONNCAP_KEY_BYTES))
        i = (i + 1) & self->mask;
    return i;
}

bool
nines_conncap_acquire (nines_conncap_t *self, const uint8_t key [NINES_CONNCAP_KEY_BYTES])
{
    pthread_mutex_lock (&self->lock);
    entry_t *e = &self->table [s_find (self, key)];
    bool ok = e->count < self->per_address;
    if (ok) {
        if (!e->key [0])
            memcpy (e->key, key, NINES_CONNCAP_KEY_BYTES);
        e->count++;
    }
    pthread_mutex_unlock (&self->lock);
    return ok;
}

void
nines_conncap_release (nines_conncap_t *self, const uint8_t key [NINES_CONNCAP_KEY_BYTES])
{
    pthread_mutex_lock (&self->lock);
    size_t i = s_find (self, key);
    if (self->table [i].key [0] && --self->table [i].count == 0) {
        /*  Backward-shift deletion (Knuth 6.4, Algorithm R): move later
            entries of the probe run into the hole so lookups still find
            them without tombstones. */
        size_t hole = i;
        for (size_t j = (i + 1) & self->mask; self->table [j].key [0]; j = (j + 1) & self->mask) {
            size_t home = s_hash (self->table [j].key) & self->mask;
            /*  j may move to hole unless its home lies cyclically in (hole, j]. */
            bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                self->table [hole] = self->table [j];
                hole = j;
            }
        }
        memset (&self->table [hole], 0, sizeof self->table [hole]);
    }
    pthread_mutex_unlock (&self->lock);
}

uint64_t
nines_conncap_count (nines_conncap_t *self, const uint8_t key [NINES_CONNCAP_KEY_BYTES])
{
    pthread_mutex_lock (&self->lock);
    uint64_t n = self->table [s_find (self, key)].count;
    pthread_mutex_unlock (&self->lock);
    return n;
}
