/*  The standard adversaries of nines-sim and ninesd's fault hooks, by
    name: policies a driver hands to the engine through
    nines_engine_config_t.hooks.adversary (engine.h says what each field
    does).  The engine itself knows only the honest validator. */
#ifndef NINES_ADVERSARY_H
#define NINES_ADVERSARY_H

#include "core/engine.h"

typedef enum {
    NINES_BEHAVE_HONEST = 0,
    NINES_BEHAVE_ALWAYS_DOWN,       /* votes down whatever it sees, opens rounds */
    NINES_BEHAVE_ALWAYS_UP,         /* votes up whatever it sees */
    NINES_BEHAVE_SILENT,            /* never votes, never answers pings */
    NINES_BEHAVE_EQUIVOCATE         /* signs both a down and an up vote */
} nines_behaviour_t;

/*  "honest", "always_down", "always_up", "silent" or "equivocate" into
    *behaviour (a nines_behaviour_t): 0, or NINES_EINVAL for anything
    else (ninesd's node/behaviour, nines-sim's adversaries). */
int nines_behaviour_parse (const char *text, int *behaviour);

/*  The name of a nines_behaviour_t, or "?" out of range. */
const char *nines_behaviour_name (int behaviour);

/*  The policy of a nines_behaviour_t, for hooks.adversary: a static
    table entry, or NULL for honest (and out of range). */
const nines_adversary_t *nines_adversary_of (int behaviour);

#endif
