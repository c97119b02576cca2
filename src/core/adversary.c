/*  The standard adversaries (adversary.h). */
#include "core/adversary.h"
#include "base/error.h"
#include <string.h>

static const char *const s_behaviours [] = { "honest", "always_down", "always_up", "silent", "equivocate" };
#define N_BEHAVIOURS ((int) (sizeof s_behaviours / sizeof s_behaviours [0]))

/*  Indexed by nines_behaviour_t; honest has no policy. */
static const nines_adversary_t s_adversaries [] = {
    [NINES_BEHAVE_ALWAYS_DOWN] = { .outcome = NINES_OUTCOME_TIMEOUT, .verdict = NINES_VERDICT_DOWN },
    [NINES_BEHAVE_ALWAYS_UP]   = { .outcome = -1, .verdict = NINES_VERDICT_UP },
    [NINES_BEHAVE_SILENT]      = { .outcome = -1, .verdict = -1, .silent = true },
    [NINES_BEHAVE_EQUIVOCATE]  = { .outcome = -1, .verdict = -1, .equivocates = true },
};

int
nines_behaviour_parse (const char *text, int *behaviour)
{
    for (int i = 0; text && i < N_BEHAVIOURS; i++)
        if (strcmp (text, s_behaviours [i]) == 0) {
            *behaviour = i;
            return 0;
        }
    return NINES_EINVAL;
}

const char *
nines_behaviour_name (int behaviour)
{
    return behaviour >= 0 && behaviour < N_BEHAVIOURS ? s_behaviours [behaviour] : "?";
}

const nines_adversary_t *
nines_adversary_of (int behaviour)
{
    return behaviour > NINES_BEHAVE_HONEST && behaviour < N_BEHAVIOURS ? &s_adversaries [behaviour] : NULL;
}
