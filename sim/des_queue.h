/*  Event queue of the discrete-event simulator: a timing wheel (calendar
    queue, R. Brown, CACM 31(10), 1988) of one-millisecond slots.

    Ordering guarantee: events come out by due time ascending and, at the
    same virtual millisecond, in the order they were pushed; exactly the
    order of a (at, seq) min-heap, so a run is byte-identical per seed.

    Shape: DES_QUEUE_SLOTS slots cover the horizon [cur, cur + SLOTS) ms,
    where cur (the cursor) is the earliest time still due; the event due at
    t sits in slot t mod SLOTS, each slot a FIFO of pooled chunks of
    DES_QUEUE_CHUNK_EVENTS events (chunks are recycled as slots drain: no
    allocation per event once warm).  Two binary heaps ordered by (at, seq)
    hold the rest: `overflow` the events pushed beyond the horizon (faults
    minutes ahead), `past` the events pushed with at < cur (the driver
    never does; kept correct, not fast).

    Why FIFO per slot equals (at, seq): a push goes to the overflow when
    at >= limit (limit = cur + SLOTS, the horizon), into slot t only when
    t < limit.  When the cursor moves, the overflow events that enter the
    horizon are moved, in (at, seq) order, into their slots (empty, or
    holding only events moved before them) and only then is limit raised
    past them, so no push can reach a slot before its overflow events do.
    Out of memory while moving, limit stops at the event that could not
    move and pushes due at or after it keep going to the overflow.

    Cost: push O(1) (O(log m) into the overflow of m events); pop and peek
    O(1) amortised plus a scan of empty slots bounded by the horizon (the
    cursor is cached on the next non-empty slot, and jumps to the overflow
    when the wheel is empty), plus O(log m) per event moved out of the
    overflow. */
#ifndef NINES_DES_QUEUE_H
#define NINES_DES_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*  Wheel size: 2^15 one-ms slots, a 32.8 s horizon (most des events are
    due within 0-15 s); 24 B a slot, 768 KiB for the slot array. */
#define DES_QUEUE_SLOTS_LOG2    15
#define DES_QUEUE_SLOTS         ((uint64_t) 1 << DES_QUEUE_SLOTS_LOG2)
/*  Events per pooled chunk of a slot FIFO. */
#define DES_QUEUE_CHUNK_EVENTS  16

typedef struct {
    uint64_t at;                    /* due time, virtual Unix ms */
    uint64_t seq;                   /* insertion order, tie-breaker */
    uint32_t kind;                  /* driver-defined event kind */
    uint32_t to;                    /* driver-defined target (validator index) */
    uint64_t arg;                   /* driver-defined argument */
    void *data;                     /* driver-owned payload or NULL */
    uint32_t len;                   /* payload bytes */
    uint32_t from;                  /* driver-defined source */
} des_event_t;

typedef struct des_chunk_s des_chunk_t;     /* slot FIFO chunk, des_queue.c */
typedef struct des_block_s des_block_t;     /* chunk allocation, des_queue.c */

typedef struct {
    des_event_t *heap;              /* 1-based heap array (slot 0 unused) */
    size_t n;                       /* events held */
    size_t cap;                     /* allocated entries */
} des_heap_t;

typedef struct {
    des_chunk_t *head;              /* oldest chunk, NULL when the slot is empty */
    des_chunk_t *tail;              /* newest chunk, appended to */
    uint32_t rd;                    /* next event to pop in head */
    uint32_t wr;                    /* next free entry in tail */
} des_slot_t;

typedef struct {
    des_slot_t *slots;              /* DES_QUEUE_SLOTS FIFOs; NULL until the first push */
    uint64_t cur;                   /* cursor, ms: no wheel event is due before it */
    uint64_t limit;                 /* pushes due at >= limit go to the overflow;
                                       cur <= limit <= cur + DES_QUEUE_SLOTS */
    size_t wheel_n;                 /* events in the slots */
    des_heap_t overflow;            /* events due at >= cur + DES_QUEUE_SLOTS when pushed */
    des_heap_t past;                /* events pushed due before cur */
    des_chunk_t *spare;             /* free chunks, reused first */
    des_block_t *blocks;            /* chunk allocations, freed by des_queue_free */
    size_t n;                       /* events queued, all places */
    uint64_t next_seq;              /* sequence for the next push */
} des_queue_t;

/*  Empty queue; no allocation until the first push. */
void des_queue_init (des_queue_t *self);

/*  Free the slots, chunks and heaps.  Payloads still queued are NOT freed:
    drain with des_queue_pop first when they own memory. */
void des_queue_free (des_queue_t *self);

/*  Queue ev (ev->seq is overwritten).  0, or -1 when out of memory (the
    queue is unchanged). */
int des_queue_push (des_queue_t *self, des_event_t ev);

/*  Remove the earliest event into *ev; false when empty. */
bool des_queue_pop (des_queue_t *self, des_event_t *ev);

/*  Due time of the earliest event, UINT64_MAX when empty.  Not const: it
    moves the cursor to the next non-empty slot (cheap for the pop that
    follows). */
uint64_t des_queue_peek (des_queue_t *self);

#endif
