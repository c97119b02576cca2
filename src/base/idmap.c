/*  The id-keyed index (idmap.h). */
#include "base/idmap.h"
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t *
s_key (const nines_idmap_t *m, uint32_t entry)
{
    return m->keys + (size_t) entry * m->stride;
}

static size_t
s_home (const nines_idmap_t *m, const uint8_t *id)
{
    uint64_t h;
    memcpy (&h, id, 8);
    return (size_t) ((h * 0x9e3779b97f4a7c15ULL) >> m->shift) & m->mask;
}

int
nines_idmap_init (nines_idmap_t *m, size_t max_entries, size_t min_slots, const void *keys, size_t stride)
{
    size_t cap = 16;
    unsigned bits = 4;
    while (cap < min_slots || cap < 2 * max_entries)
        cap *= 2, bits++;
    m->slot = calloc (cap, sizeof *m->slot);
    m->mask = cap - 1;
    m->shift = 64 - bits;
    m->keys = (const uint8_t *) keys;
    m->stride = stride;
    return m->slot ? NINES_OK : NINES_ENOMEM;
}

void
nines_idmap_destroy (nines_idmap_t *m)
{
    free (m->slot);
    m->slot = NULL;
}

void
nines_idmap_put (nines_idmap_t *m, uint32_t entry)
{
    size_t i = s_home (m, s_key (m, entry));
    while (m->slot [i])
        i = (i + 1) & m->mask;
    m->slot [i] = entry + 1;
}

long
nines_idmap_get (const nines_idmap_t *m, const uint8_t id [32])
{
    for (size_t i = s_home (m, id); m->slot [i]; i = (i + 1) & m->mask)
        if (memcmp (s_key (m, m->slot [i] - 1), id, 32) == 0)
            return (long) m->slot [i] - 1;
    return -1;
}

void
nines_idmap_del (nines_idmap_t *m, uint32_t entry)
{
    size_t i = s_home (m, s_key (m, entry));
    while (m->slot [i] && m->slot [i] != entry + 1)
        i = (i + 1) & m->mask;
    if (!m->slot [i])
        return;
    for (size_t j = (i + 1) & m->mask; m->slot [j]; j = (j + 1) & m->mask) {
        size_t home = s_home (m, s_key (m, m->slot [j] - 1));
        /*  Move j back to the hole at i unless its home lies in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            m->slot [i] = m->slot [j];
            i = j;
        }
    }
    m->slot [i] = 0;
}
