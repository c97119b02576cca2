/*  nines-sim run: what the network says.  The ninesd report streams
    and the ledger's incident stream (PUB) are read into the observations
    as they arrive; at the end the ledger's own incident list and each
    ninesd's counters are queried. */
#include "run_private.h"
#include "base/error.h"
#include "client/ledger_client.h"
#include <stdlib.h>
#include <string.h>

static long
s_pod_index (sim_run_t *run, const uint8_t id [NINES_ID_BYTES])
{
    for (uint32_t i = 0; i < run->sc->pods; i++)
        if (memcmp (run->p [i].id, id, NINES_ID_BYTES) == 0)
            return i;
    return -1;
}

static long
s_validator_index (sim_run_t *run, const uint8_t id [NINES_ID_BYTES])
{
    for (uint32_t i = 0; i < run->sc->validators; i++)
        if (memcmp (run->v [i].kp.pk, id, NINES_ID_BYTES) == 0)
            return i;
    return -1;
}

/*  A "report" frame from some ninesd: count each quorum report once. */
static void
s_on_report (sim_run_t *run, const msgpack_object *map)
{
    const msgpack_object *bin = nines_map_get (map, "report");
    nines_report_t *r = run->report;
    if (!bin || bin->type != MSGPACK_OBJECT_BIN
    ||  nines_report_decode ((const uint8_t *) bin->via.bin.ptr, bin->via.bin.size, r)) {
        run_say (run, "warning: a report frame without a decodable report");
        return;
    }
    uint8_t id [NINES_HASH_BYTES];
    nines_report_id (r, id);
    for (size_t i = 0; i < run->n_seen; i++)
        if (memcmp (run->seen [i], id, NINES_HASH_BYTES) == 0)
            return;
    uint8_t (*grown) [NINES_HASH_BYTES] = realloc (run->seen, (run->n_seen + 1) * NINES_HASH_BYTES);
    if (!grown)
        return;
    run->seen = grown;
    memcpy (run->seen [run->n_seen++], id, NINES_HASH_BYTES);
    long pod = s_pod_index (run, r->pod);
    bool down = r->kind == NINES_REPORT_DOWN;
    if (down)
        run->obs.reports_down++;
    else
        run->obs.reports_up++;
    for (uint16_t i = 0; i < r->n_votes; i++) {
        long v = s_validator_index (run, r->votes [i].body.validator);
        if (v >= 0) {
            if (down)
                run->obs.vstats [v].signed_down++;
            else
                run->obs.vstats [v].signed_up++;
        }
    }
    uint64_t now = (uint64_t) zclock_time ();
    sim_observed_t *obs = &run->obs;
    sim_up_seen_t *ups = !down && pod >= 0 ? realloc (obs->ups, (obs->n_ups + 1) * sizeof *ups) : NULL;
    if (ups) {
        obs->ups = ups;
        ups [obs->n_ups++] = (sim_up_seen_t) { (uint32_t) pod, r->t_ms, now };
    }
    if (down && pod >= 0)
        for (size_t i = 0; i < run->n_episodes; i++) {
            sim_episode_t *e = &run->episodes [i];
            int64_t t = (int64_t) r->t_ms - (int64_t) run->obs.t0;
            if (e->pod == (uint32_t) pod && !e->reported
            &&  sim_incident_matches (&run->sc->params, &e->truth, t))
                e->reported = now;
        }
    run_say (run, "report %s pod %ld: %u signed votes, observed at %.1fs (epoch %llu)",
           down ? "DOWN" : "UP", pod, r->n_votes, run_rel (run, r->t_ms), (unsigned long long) r->epoch);
}

/*  Insert or update an incident from a PUB frame or a query row. */
static sim_incident_t *
s_incident_put (sim_run_t *run, const msgpack_object *map, bool *is_new, bool *changed)
{
    uint8_t pod_id [NINES_ID_BYTES];
    if (!run_get_id (map, "pod", pod_id))
        return NULL;
    long pod = s_pod_index (run, pod_id);
    uint64_t t_down = run_get_u64 (map, "t_down");
    if (pod < 0 || !t_down)
        return NULL;
    sim_incident_t *inc = sim_incident_get (&run->obs, (uint32_t) pod, t_down, is_new);
    if (!inc)
        return NULL;
    sim_incident_t before = *inc;
    inc->t_up = run_get_u64 (map, "t_up");
    inc->slashed = run_get_u64 (map, "slashed");
    inc->downtime_ms = run_get_u64 (map, "duration_ms");
    inc->correlated = run_get_bool (map, "correlated");
    const msgpack_object *open = nines_map_get (map, "open");
    inc->open = open ? run_get_bool (map, "open") : inc->t_up == 0;
    if (changed)
        *changed = *is_new || before.t_up != inc->t_up || before.slashed != inc->slashed
                || before.correlated != inc->correlated || before.open != inc->open;
    return inc;
}

static void
s_on_incident (sim_run_t *run, const msgpack_object *map)
{
    bool is_new, changed;
    sim_incident_t *inc = s_incident_put (run, map, &is_new, &changed);
    if (!inc) {
        run_say (run, "warning: an incident frame without a known pod and t_down");
        return;
    }
    if (!changed)
        return;
    if (inc->open)
        run_say (run, "INCIDENT pod %u %s: down since %.1fs, slashed %llu so far%s", inc->pod,
               is_new ? "opened" : "updated", run_rel (run, inc->t_down), (unsigned long long) inc->slashed,
               inc->correlated ? ", correlated (not slashed)" : "");
    else
        run_say (run, "INCIDENT pod %u closed: [%.1fs, %.1fs), downtime %.1fs, slashed %llu%s", inc->pod,
               run_rel (run, inc->t_down), run_rel (run, inc->t_up), inc->downtime_ms / 1000.0,
               (unsigned long long) inc->slashed, inc->correlated ? ", correlated" : "");
}

/*  Read every waiting frame on sock: [topic, msgpack map]. */
void
run_drain (sim_run_t *run, zsock_t *sock)
{
    zmsg_t *msg;
    while ((msg = zmsg_recv_nowait (sock))) {
        char *topic = zmsg_popstr (msg);
        zframe_t *body = zmsg_pop (msg);
        msgpack_unpacked up;
        msgpack_unpacked_init (&up);
        size_t off = 0;
        if (topic && body && msgpack_unpack_next (&up, (const char *) zframe_data (body),
                                                  zframe_size (body), &off) == MSGPACK_UNPACK_SUCCESS) {
            if (strcmp (topic, NINES_NODE_TOPIC_REPORT) == 0)
                s_on_report (run, &up.data);
            else
            if (strcmp (topic, NINES_LEDGER_TOPIC_INCIDENT) == 0)
                s_on_incident (run, &up.data);
            else
            if (run->verbose)
                run_say (run, "ledger PUB %s", topic);
        }
        msgpack_unpacked_destroy (&up);
        zframe_destroy (&body);
        free (topic);
        zmsg_destroy (&msg);
    }
}

/*  Replace what the PUB stream said with the ledger's own incident list. */
void
run_final_incidents (sim_run_t *run)
{
    uint8_t *req, *reply = NULL;
    size_t len, reply_len;
    if (nines_ledger_req_simple (NINES_LEDGER_OP_INCIDENTS, NULL, &req, &len)
    ||  run_call (run->ledger_api, req, len, "query incidents", &reply, &reply_len)) {
        run_say (run, "warning: using the incidents seen on the ledger PUB stream");
        return;
    }
    msgpack_unpacked up;
    msgpack_unpacked_init (&up);
    size_t off = 0;
    if (msgpack_unpack_next (&up, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS) {
        const msgpack_object *rows = nines_map_get (&up.data, "rows");
        for (uint32_t i = 0; rows && rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size; i++) {
            bool is_new;
            sim_incident_t *inc = s_incident_put (run, &rows->via.array.ptr [i], &is_new, NULL);
            if (inc && is_new)
                run_say (run, "incident pod %u at %.1fs known to the ledger, never seen on its PUB",
                       inc->pod, run_rel (run, inc->t_down));
        }
    }
    msgpack_unpacked_destroy (&up);
    free (reply);
}

/*  Each running validator's own counters (ninesd query op `status`). */
void
run_collect_status (sim_run_t *run)
{
    for (uint32_t i = 0; i < run->sc->validators; i++) {
        if (!run->v [i].proc.pid || run->v [i].isolate_refs)
            continue;
        uint8_t *req, *reply = NULL;
        size_t len, reply_len;
        char what [48];
        snprintf (what, sizeof what, "validator %u status", i);
        if (nines_ledger_req_simple (NINES_NODE_OP_STATUS, NULL, &req, &len)
        ||  run_call (run->v [i].query, req, len, what, &reply, &reply_len))
            continue;
        msgpack_unpacked up;
        msgpack_unpacked_init (&up);
        size_t off = 0;
        if (msgpack_unpack_next (&up, (const char *) reply, reply_len, &off) == MSGPACK_UNPACK_SUCCESS) {
            sim_vstats_t *vs = &run->obs.vstats [i];
            vs->have_status = true;
            vs->probes = run_get_u64 (&up.data, "probes");
            vs->probes_failed = run_get_u64 (&up.data, "probes_failed");
            vs->rounds_opened = run_get_u64 (&up.data, "rounds_opened");
            vs->votes_sent = run_get_u64 (&up.data, "votes_sent");
            vs->evidence_acked = run_get_u64 (&up.data, "evidence_acked");
        }
        msgpack_unpacked_destroy (&up);
        free (reply);
    }
}
