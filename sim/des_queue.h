/*  Event queue of the discrete-event simulator: a binary min-heap of
    timed events ordered by (time, insertion sequence), so events due at
    the same virtual millisecond come out in the order they were pushed and
    a run is deterministic.  Push and pop are O(log n). */
#ifndef NINES_DES_QUEUE_H
#define NINES_DES_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

typedef struct {
    des_event_t *heap;              /* 1-based heap array (slot 0 unused) */
    size_t n;                       /* events queued */
    size_t cap;                     /* allocated slots */
    uint64_t next_seq;              /* sequence for the next push */
} des_queue_t;

/*  Empty queue; no allocation until the first push. */
void des_queue_init (des_queue_t *self);

/*  Free the heap array.  Payloads still queued are NOT freed: drain with
    des_queue_pop first when they own memory. */
void des_queue_free (des_queue_t *self);

/*  Queue ev (ev->seq is overwritten).  0, or -1 when out of memory. */
int des_queue_push (des_queue_t *self, des_event_t ev);

/*  Remove the earliest event into *ev; false when empty. */
bool des_queue_pop (des_queue_t *self, des_event_t *ev);

/*  Due time of the earliest event, UINT64_MAX when empty. */
uint64_t des_queue_peek (const des_queue_t *self);

#endif
