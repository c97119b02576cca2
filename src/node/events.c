/*  ninesd's events people see (issue 12): what changed, logged once per
    change from the daemon's loop, never once per message. */
#include "node/node_state.h"

#include <inttypes.h>

bool
node_ledger_up (nines_node_t *self, uint64_t now)
{
    return self->ledger_reply_ms
        && !(self->ledger_wait_ms && now - self->ledger_wait_ms > NODE_LEDGER_REPLY_MS);
}

static const char *
s_state_name (uint8_t state)
{
    return state == NINES_MEMBER_ALIVE ? "alive" : state == NINES_MEMBER_SUSPECT ? "suspect"
         : state == NINES_MEMBER_DEAD ? "dead" : "?";
}

void
node_watch (nines_node_t *self, uint64_t now)
{
    if (self->ledger) {
        bool up = node_ledger_up (self, now);
        bool waited = self->ledger_wait_ms && now - self->ledger_wait_ms > NODE_LEDGER_REPLY_MS;
        if (up && self->ledger_was_up != 1) {
            if (self->ledger_was_up == 0)
                nines_info ("ledger %s reachable again", self->cfg.ledger);
            self->ledger_was_up = 1;
        }
        else
        if (!up && waited && self->ledger_was_up != 0) {
            nines_warn ("ledger %s unreachable: no reply for %" PRIu64 " s (evidence waits in the outbox)",
                        self->cfg.ledger, (now - self->ledger_wait_ms) / 1000);
            self->ledger_was_up = 0;
        }
    }
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    if (st.degraded != self->was_degraded) {
        if (st.degraded)
            nines_warn ("self-health: degraded (heartbeats to many distinct pods fail: our own network "
                        "is suspect); abstaining from votes");
        else
            nines_info ("self-health: recovered");
        self->was_degraded = st.degraded;
    }
    if (st.rounds_failed > self->rounds_failed_seen) {
        uint64_t n = st.rounds_failed - self->rounds_failed_seen;
        nines_warn ("%" PRIu64 " round%s failed without quorum (%" PRIu64 " in all)",
                    n, n == 1 ? "" : "s", st.rounds_failed);
        self->rounds_failed_seen = st.rounds_failed;
    }
    if (!self->member_states && !(self->member_states = zhashx_new ()))
        return;
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *m = (nines_member_info_t *) calloc (n + 1, sizeof *m);
    n = m ? nines_engine_members (self->engine, m, n) : 0;
    for (size_t i = 0; i < n; i++) {
        char hex [NINES_ID_HEX];
        nines_hex (hex, m [i].id, NINES_ID_BYTES);
        uintptr_t was = (uintptr_t) zhashx_lookup (self->member_states, hex);
        uintptr_t is = (uintptr_t) m [i].state + 1;
        if (was == is || (!was && m [i].state == NINES_MEMBER_ALIVE)) {
            if (!was)
                zhashx_insert (self->member_states, hex, (void *) is);
            continue;
        }
        if (m [i].state == NINES_MEMBER_ALIVE)
            nines_info ("peer %.16s: alive again", hex);
        else
            nines_warn ("peer %.16s: %s", hex, s_state_name (m [i].state));
        zhashx_update (self->member_states, hex, (void *) is);
    }
    free (m);
}
