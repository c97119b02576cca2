#include "des_queue.h"
#include <stdlib.h>

void
des_queue_init (des_queue_t *self)
{
    self->heap = NULL;
    self->n = self->cap = 0;
    self->next_seq = 0;
}

void
des_queue_free (des_queue_t *self)
{
    free (self->heap);
    des_queue_init (self);
}

static inline bool
s_before (const des_event_t *a, const des_event_t *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

int
des_queue_push (des_queue_t *self, des_event_t ev)
{
    if (self->n + 1 >= self->cap) {
        size_t cap = self->cap ? 2 * self->cap : 1024;
        des_event_t *grown = realloc (self->heap, cap * sizeof *grown);
        if (!grown)
            return -1;
        self->heap = grown;
        self->cap = cap;
    }
    ev.seq = self->next_seq++;
    size_t i = ++self->n;
    while (i > 1 && s_before (&ev, &self->heap [i / 2])) {
        self->heap [i] = self->heap [i / 2];
        i /= 2;
    }
    self->heap [i] = ev;
    return 0;
}

bool
des_queue_pop (des_queue_t *self, des_event_t *ev)
{
    if (self->n == 0)
        return false;
    *ev = self->heap [1];
    des_event_t last = self->heap [self->n--];
    size_t i = 1;
    for (;;) {
        size_t c = 2 * i;
        if (c > self->n)
            break;
        if (c + 1 <= self->n && s_before (&self->heap [c + 1], &self->heap [c]))
            c++;
        if (!s_before (&self->heap [c], &last))
            break;
        self->heap [i] = self->heap [c];
        i = c;
    }
    if (self->n)
        self->heap [i] = last;
    return true;
}

uint64_t
des_queue_peek (const des_queue_t *self)
{
    return self->n ? self->heap [1].at : UINT64_MAX;
}
