/*  ninesd's heartbeats handed over ahead of their instant: the engine
    gives each scheduled heartbeat as a PROBE action up to one SWIM period
    before its action.at (engine.h), and the daemon holds it here until
    then.  A binary min-heap on (at, push order), so heartbeats of one
    instant start in the order the engine gave them. */
#ifndef NINES_NODE_PACE_H
#define NINES_NODE_PACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "proto/ids.h"

typedef struct {
    uint64_t at;                    /* when to start it, Unix ms */
    uint64_t seq;                   /* push order (set by nines_pace_push) */
    uint64_t probe_id;              /* the engine's tag */
    uint64_t timeout_ms;            /* 0: the registry's probe_timeout */
    uint8_t pod [NINES_ID_BYTES];   /* pod to probe */
} nines_pace_item_t;

typedef struct {
    nines_pace_item_t *items;       /* heap */
    size_t n, cap;
    uint64_t seq;
} nines_pace_t;

/*  Hold item until item->at: 0, or NINES_ENOMEM (nothing held). */
int nines_pace_push (nines_pace_t *self, const nines_pace_item_t *item);

/*  The earliest held heartbeat due at now (at <= now) into *out: true, or
    false when none is due. */
bool nines_pace_pop_due (nines_pace_t *self, uint64_t now, nines_pace_item_t *out);

/*  The earliest held instant, UINT64_MAX when none is held. */
uint64_t nines_pace_next (const nines_pace_t *self);

/*  Drop everything held and the storage (the struct may be reused). */
void nines_pace_free (nines_pace_t *self);

#endif
