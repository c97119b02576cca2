/*  Timing wheel of one-ms slot FIFOs over two (at, seq) heaps: see
    des_queue.h for the shape and why the order equals the heap's. */
#include "des_queue.h"
#include "base/grow.h"
#include <stdlib.h>

#define S_MASK          (DES_QUEUE_SLOTS - 1)
#define S_BLOCK_CHUNKS  64          /* chunks per allocation */

struct des_chunk_s {
    des_chunk_t *next;              /* next chunk of the slot FIFO, or of the spare list */
    des_event_t ev [DES_QUEUE_CHUNK_EVENTS]; /* events, oldest first */
};

struct des_block_s {
    des_block_t *next;              /* previous allocation */
    des_chunk_t chunk [S_BLOCK_CHUNKS]; /* chunks threaded on the spare list */
};

/*  --- (at, seq) binary min-heap: the overflow and the past ---------------- */

static inline bool
s_before (const des_event_t *a, const des_event_t *b)
{
    return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static int
s_heap_push (des_heap_t *h, const des_event_t *ev)
{
    des_event_t *grown = nines_grow (h->heap, &h->cap, h->n + 1, sizeof *grown, 64);
    if (!grown)
        return -1;
    h->heap = grown;
    size_t i = ++h->n;
    while (i > 1 && s_before (ev, &h->heap [i / 2])) {
        h->heap [i] = h->heap [i / 2];
        i /= 2;
    }
    h->heap [i] = *ev;
    return 0;
}

/*  Remove the top of a non-empty heap into *ev. */
static void
s_heap_pop (des_heap_t *h, des_event_t *ev)
{
    *ev = h->heap [1];
    des_event_t last = h->heap [h->n--];
    size_t i = 1;
    for (;;) {
        size_t c = 2 * i;
        if (c > h->n)
            break;
        if (c + 1 <= h->n && s_before (&h->heap [c + 1], &h->heap [c]))
            c++;
        if (!s_before (&h->heap [c], &last))
            break;
        h->heap [i] = h->heap [c];
        i = c;
    }
    if (h->n)
        h->heap [i] = last;
}

/*  --- slot FIFOs ------------------------------------------------------------ */

static des_chunk_t *
s_chunk_get (des_queue_t *self)
{
    if (!self->spare) {
        des_block_t *block = malloc (sizeof *block);
        if (!block)
            return NULL;
        block->next = self->blocks;
        self->blocks = block;
        for (size_t i = 0; i < S_BLOCK_CHUNKS; i++) {
            block->chunk [i].next = self->spare;
            self->spare = &block->chunk [i];
        }
    }
    des_chunk_t *chunk = self->spare;
    self->spare = chunk->next;
    chunk->next = NULL;
    return chunk;
}

/*  Append ev to the FIFO of slot ev->at: 0, or -1 when out of memory. */
static int
s_slot_append (des_queue_t *self, const des_event_t *ev)
{
    des_slot_t *slot = &self->slots [ev->at & S_MASK];
    if (!slot->head || slot->wr == DES_QUEUE_CHUNK_EVENTS) {
        des_chunk_t *chunk = s_chunk_get (self);
        if (!chunk)
            return -1;
        if (slot->head)
            slot->tail->next = chunk;
        else {
            slot->head = chunk;
            slot->rd = 0;
        }
        slot->tail = chunk;
        slot->wr = 0;
    }
    slot->tail->ev [slot->wr++] = *ev;
    self->wheel_n++;
    return 0;
}

/*  Remove the oldest event of the non-empty slot at the cursor into *ev;
    drained chunks go back to the spare list. */
static void
s_slot_take (des_queue_t *self, des_event_t *ev)
{
    des_slot_t *slot = &self->slots [self->cur & S_MASK];
    des_chunk_t *head = slot->head;
    *ev = head->ev [slot->rd++];
    self->wheel_n--;
    if (head == slot->tail && slot->rd == slot->wr)
        slot->head = slot->tail = NULL;
    else if (slot->rd == DES_QUEUE_CHUNK_EVENTS) {
        slot->head = head->next;
        slot->rd = 0;
    }
    else
        return;
    head->next = self->spare;
    self->spare = head;
}

/*  --- cursor ----------------------------------------------------------------- */

static inline uint64_t
s_horizon (uint64_t cur)
{
    return cur > UINT64_MAX - DES_QUEUE_SLOTS ? UINT64_MAX : cur + DES_QUEUE_SLOTS;
}

/*  Move the overflow events that the cursor's horizon now reaches into
    their slots, in (at, seq) order, and raise limit past them. */
static void
s_migrate (des_queue_t *self)
{
    uint64_t horizon = s_horizon (self->cur);
    des_heap_t *over = &self->overflow;
    while (over->n && over->heap [1].at < horizon) {
        if (s_slot_append (self, &over->heap [1])) {
            self->limit = over->heap [1].at;    /* retried at the next cursor move */
            return;
        }
        des_event_t moved;
        s_heap_pop (over, &moved);
    }
    self->limit = horizon;
}

/*  Move the cursor to the earliest wheel event (the earliest event outside
    the past heap), filling the wheel from the overflow as it goes; when
    the wheel is empty the cursor jumps to the overflow's top. */
static void
s_settle (des_queue_t *self)
{
    if (self->wheel_n == 0) {
        if (self->overflow.n) {
            self->cur = self->limit = self->overflow.heap [1].at;
            s_migrate (self);
        }
        return;
    }
    uint64_t t = self->cur;
    while (!self->slots [t & S_MASK].head)
        t++;
    if (t != self->cur) {
        self->cur = t;
        s_migrate (self);
    }
}

/*  --- API ------------------------------------------------------------------ */

void
des_queue_init (des_queue_t *self)
{
    *self = (des_queue_t) { 0 };
}

void
des_queue_free (des_queue_t *self)
{
    while (self->blocks) {
        des_block_t *next = self->blocks->next;
        free (self->blocks);
        self->blocks = next;
    }
    free (self->slots);
    free (self->overflow.heap);
    free (self->past.heap);
    des_queue_init (self);
}

int
des_queue_push (des_queue_t *self, des_event_t ev)
{
    if (!self->slots) {
        self->slots = calloc (DES_QUEUE_SLOTS, sizeof *self->slots);
        if (!self->slots)
            return -1;
    }
    if (self->n == 0) {
        self->cur = ev.at;
        self->limit = s_horizon (ev.at);
    }
    ev.seq = self->next_seq;
    int rc = ev.at < self->cur ? s_heap_push (&self->past, &ev)
           : ev.at >= self->limit ? s_heap_push (&self->overflow, &ev)
           : s_slot_append (self, &ev);
    if (rc)
        return -1;
    self->next_seq++;
    self->n++;
    return 0;
}

bool
des_queue_pop (des_queue_t *self, des_event_t *ev)
{
    if (self->n == 0)
        return false;
    if (self->past.n)
        s_heap_pop (&self->past, ev);
    else {
        s_settle (self);
        if (self->wheel_n)
            s_slot_take (self, ev);
        else                            /* out of memory moving it into the wheel */
            s_heap_pop (&self->overflow, ev);
    }
    self->n--;
    return true;
}

uint64_t
des_queue_peek (des_queue_t *self)
{
    if (self->n == 0)
        return UINT64_MAX;
    if (self->past.n)
        return self->past.heap [1].at;
    s_settle (self);
    return self->wheel_n ? self->cur : self->overflow.heap [1].at;
}
