/*  Heartbeats held until their instant (pace.h). */
#include "node/pace.h"
#include "base/error.h"
#include "base/grow.h"
#include <stdlib.h>

static bool
s_before (const nines_pace_item_t *a, const nines_pace_item_t *b)
{
    return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void
s_swap (nines_pace_item_t *a, nines_pace_item_t *b)
{
    nines_pace_item_t t = *a;
    *a = *b;
    *b = t;
}

int
nines_pace_push (nines_pace_t *self, const nines_pace_item_t *item)
{
    nines_pace_item_t *items = (nines_pace_item_t *) nines_grow (self->items, &self->cap, self->n,
                                                                 sizeof *items, 64);
    if (!items)
        return NINES_ENOMEM;
    self->items = items;
    size_t i = self->n++;
    self->items [i] = *item;
    self->items [i].seq = self->seq++;
    while (i > 0 && s_before (&self->items [i], &self->items [(i - 1) / 2])) {
        s_swap (&self->items [i], &self->items [(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    return NINES_OK;
}

bool
nines_pace_pop_due (nines_pace_t *self, uint64_t now, nines_pace_item_t *out)
{
    if (!self->n || self->items [0].at > now)
        return false;
    *out = self->items [0];
    self->items [0] = self->items [--self->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < self->n && s_before (&self->items [l], &self->items [m]))
            m = l;
        if (r < self->n && s_before (&self->items [r], &self->items [m]))
            m = r;
        if (m == i)
            break;
        s_swap (&self->items [i], &self->items [m]);
        i = m;
    }
    if (!self->n && self->cap > 1024)
        nines_pace_free (self);     /* a start's burst goes with it */
    return true;
}

uint64_t
nines_pace_next (const nines_pace_t *self)
{
    return self->n ? self->items [0].at : UINT64_MAX;
}

void
nines_pace_free (nines_pace_t *self)
{
    free (self->items);
    self->items = NULL;
    self->n = self->cap = 0;
}
