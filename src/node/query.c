/*  ninesd's query socket (proto/QUERY.md): status, peers, pods, reports,
    incidents, nines, evidence, fault. */
#include "node/node_state.h"
#include "client/ops.h"
#include <string.h>

/*  ---- query socket (proto/QUERY.md) ---- */

static const char *
s_state_name (uint8_t state)
{
    return state == NINES_MEMBER_ALIVE ? "alive" : state == NINES_MEMBER_SUSPECT ? "suspect"
         : state == NINES_MEMBER_DEAD ? "dead" : "?";
}

static void
s_q_status (nines_node_t *self, msgpack_packer *pk)
{
    nines_engine_stats_t st;
    nines_engine_stats (self->engine, &st);
    nines_peers_stats_t ps;
    nines_peers_stats (self->peers, &ps);
    uint64_t outbox = 0, reports = 0;
    nines_store_count (self->store, DB_OUTBOX, &outbox);
    nines_store_count (self->store, DB_REPORTS, &reports);
    /*  the counters, in reply order (packed after the seven keys below) */
    const struct { const char *key; uint64_t v; } u64s [] = {
        { "incarnation", st.incarnation },
        { "lhm", st.lhm },
        { "registry_version", self->reg ? self->reg->version : 0 },
        { "validators", self->reg ? self->reg->n_validators : 0 },
        { "pods", self->reg ? self->reg->n_pods : 0 },
        { "uptime_ms", node_now () - self->started_ms },
        { "probes", st.probes },
        { "probes_failed", st.probes_failed },
        { "probes_inflight", nines_prober_active (self->prober) },
        { "rounds_opened", st.rounds_opened },
        { "rounds_down", st.rounds_down },
        { "rounds_up", st.rounds_up },
        { "rounds_failed", st.rounds_failed },
        { "votes_sent", st.votes_sent },
        { "reports", reports },
        { "msgs_in", st.msgs_in },
        { "msgs_bad", st.msgs_bad + ps.bad + ps.spoofed },
        { "msgs_out", st.msgs_out },
        { "bytes_out", st.bytes_out },
        { "peers_refused", ps.refused },
        { "queries_bad", self->query_bad },
        { "evidence_submitted", st.evidence_submitted },
        { "evidence_acked", st.evidence_acked },
        { "outbox", outbox },
        { "misbehaviours", st.misbehaviours },
        { "canaries", self->canaries },
        { "redials", ps.redials },
    };
    size_t n = sizeof u64s / sizeof u64s [0];
    msgpack_pack_map (pk, 7 + (uint32_t) n);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_kv_bin (pk, "id", self->kp.pk, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "epoch", st.epoch);
    nines_pack_kv_bool (pk, "degraded", st.degraded);
    nines_pack_kv_bool (pk, "listening", st.listening);
    nines_pack_kv_bool (pk, "doppelganger", st.doppelganger);
    nines_pack_kv_bool (pk, "isolated", self->isolated);
    for (size_t i = 0; i < n; i++)
        nines_pack_kv_u64 (pk, u64s [i].key, u64s [i].v);
}

static void
s_q_peers (nines_node_t *self, msgpack_packer *pk)
{
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *m = (nines_member_info_t *) calloc (n + 1, sizeof *m);
    n = m ? nines_engine_members (self->engine, m, n) : 0;
    nines_pack_rows_head (pk, (uint32_t) n);
    for (size_t i = 0; i < n; i++) {
        const nines_validator_info_t *v = self->reg ? nines_registry_validator (self->reg, m [i].id) : NULL;
        msgpack_pack_map (pk, 6);
        nines_pack_kv_bin (pk, "id", m [i].id, NINES_ID_BYTES);
        nines_pack_kv_str (pk, "state", s_state_name (m [i].state));
        nines_pack_kv_u64 (pk, "incarnation", m [i].incarnation);
        nines_pack_kv_u64 (pk, "last_ack_ms", m [i].last_ack_ms);
        nines_pack_kv_str (pk, "endpoint", v ? v->endpoint : "");
        nines_pack_kv_u64 (pk, "stake", v ? v->stake : 0);
    }
    free (m);
}

static bool
s_pod_filter (nines_query_t *q, uint8_t pod [NINES_ID_BYTES], int *rc)
{
    *rc = nines_query_bin (q, "pod", pod, NINES_ID_BYTES);
    if (*rc == NINES_ENOTFOUND) {
        *rc = 0;
        return false;
    }
    return *rc == 0;
}

static void
s_q_pods (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter)
{
    size_t n = nines_engine_pods (self->engine, NULL, 0);
    nines_pod_status_t *ps = (nines_pod_status_t *) calloc (n + 1, sizeof *ps);
    n = ps ? nines_engine_pods (self->engine, ps, n) : 0;
    size_t rows = 0;
    for (size_t i = 0; i < n; i++)
        if (!filter || nines_id_eq (filter, ps [i].pod))
            rows++;
    nines_pack_rows_head (pk, (uint32_t) rows);
    for (size_t i = 0; i < n; i++) {
        if (filter && !nines_id_eq (filter, ps [i].pod))
            continue;
        long at = self->reg ? nines_registry_pod_index (self->reg, ps [i].pod) : -1;
        const nines_pod_t *p = at >= 0 ? &self->reg->pods [at] : NULL;
        const char *url = p ? nines_pod_url (p) : "";
        pod_timing_t t = { 0 };
        if (at >= 0 && self->timings)
            t = self->timings [at];
        msgpack_pack_map (pk, 14);
        nines_pack_kv_bin (pk, "pod", ps [i].pod, NINES_ID_BYTES);
        nines_pack_kv_str (pk, "state", ps [i].down ? "down" : "up");
        nines_pack_kv_str (pk, "last_outcome", ps [i].last_outcome < 0 ? "-" : nines_outcome_name (ps [i].last_outcome));
        nines_pack_kv_u64 (pk, "last_probe_ms", ps [i].last_probe_ms);
        nines_pack_kv_u64 (pk, "down_since_ms", ps [i].down ? ps [i].down_since_ms : 0);
        nines_pack_kv_u64 (pk, "incidents", ps [i].incidents);
        nines_pack_kv_u64 (pk, "downtime_ms", ps [i].downtime_ms);
        nines_pack_kv_str (pk, "facade_url", url);
        nines_pack_kv_bin (pk, "provider", p ? p->provider : ps [i].pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "connect_us", t.connect_us);
        nines_pack_kv_u64 (pk, "tls_us", t.tls_us);
        nines_pack_kv_u64 (pk, "ttfb_us", t.ttfb_us);
        nines_pack_kv_u64 (pk, "total_us", t.total_us);
        nines_pack_kv_u64 (pk, "cert_not_after_ms", t.cert_not_after_ms);
    }
    free (ps);
}

static void
s_q_reports (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter, uint64_t limit)
{
    collect_t c = { .pod = filter, .scratch = self->scratch, .kind = 0 };
    nines_store_iter_prefix (self->store, DB_REPORTS, NULL, 0, node_collect, &c);
    if (c.n)
        qsort (c.recs, c.n, sizeof *c.recs, node_rec_cmp);
    size_t first = c.n > limit ? c.n - limit : 0;
    nines_pack_rows_head (pk, (uint32_t) (c.n - first));
    for (size_t i = first; i < c.n; i++) {
        nines_report_t *r = self->scratch;
        if (nines_report_decode (c.recs [i].val, c.recs [i].vlen, r))
            memset (r, 0, sizeof *r);   /* decoded once already: cannot happen */
        msgpack_pack_map (pk, 9);
        nines_pack_kv_str (pk, "kind", r->kind == NINES_REPORT_DOWN ? "down" : "up");
        nines_pack_kv_bin (pk, "pod", r->pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "epoch", r->epoch);
        nines_pack_kv_u64 (pk, "t_ms", r->t_ms);
        nines_pack_kv_u64 (pk, "signers", r->n_votes);
        nines_pack_kv_u64 (pk, "weight", node_report_weight (self, r));
        nines_pack_kv_bin (pk, "round_id", r->round_id, NINES_HASH_BYTES);
        nines_pack_kv_bin (pk, "id", c.recs [i].key, NINES_HASH_BYTES);
        nines_pack_kv_bin (pk, "report", c.recs [i].val, c.recs [i].vlen);
    }
    node_collect_free (&c);
}

/*  Incidents as rows; also used by `nines` (downtime sums). */
static void
s_q_incidents (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter)
{
    collect_t c = { .kind = 1 };
    nines_store_iter_prefix (self->store, DB_INCIDENTS, filter, filter ? NINES_ID_BYTES : 0,
                             node_collect, &c);
    if (c.n)
        qsort (c.recs, c.n, sizeof *c.recs, node_rec_cmp);
    uint64_t now = node_now ();
    nines_pack_rows_head (pk, (uint32_t) c.n);
    for (size_t i = 0; i < c.n; i++) {
        incident_rec_t rec;
        memset (&rec, 0, sizeof rec);
        if (c.recs [i].vlen == sizeof rec)
            memcpy (&rec, c.recs [i].val, sizeof rec);
        uint64_t t_down = c.recs [i].t, t_up = nines_get_le64 (rec.t_up);
        msgpack_pack_map (pk, 7);
        nines_pack_kv_bin (pk, "pod", c.recs [i].key, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "t_down", t_down);
        nines_pack_str (pk, "t_up");
        if (t_up)
            msgpack_pack_uint64 (pk, t_up);
        else
            msgpack_pack_nil (pk);
        nines_pack_kv_u64 (pk, "duration_ms", (t_up ? t_up : now) > t_down ? (t_up ? t_up : now) - t_down : 0);
        nines_pack_kv_bool (pk, "open", t_up == 0);
        nines_pack_kv_bin (pk, "down_round", rec.down_round, NINES_HASH_BYTES);
        nines_pack_str (pk, "up_round");           /* nil while open, like t_up */
        if (t_up)
            msgpack_pack_bin_with_body (pk, rec.up_round, NINES_HASH_BYTES);
        else
            msgpack_pack_nil (pk);
    }
    node_collect_free (&c);
}

/*  Availability per pod over the params' window, from the incidents this
    node knows, in the ledger's units (src/proto/slash.h): availability_ppm
    and nines_micro = floor(-log10(downtime / window) × 10^6). */
static void
s_q_nines (nines_node_t *self, msgpack_packer *pk, const uint8_t *filter)
{
    collect_t c = { .kind = 1 };
    nines_store_iter_prefix (self->store, DB_INCIDENTS, filter, filter ? NINES_ID_BYTES : 0,
                             node_collect, &c);
    uint64_t now = node_now ();
    uint64_t window = self->reg ? self->reg->params.window_ms : 30ULL * 86400000;
    uint64_t from = now > window ? now - window : 0;
    size_t npods = self->reg ? self->reg->n_pods : 0;
    size_t rows = 0;
    for (size_t i = 0; i < npods; i++)
        if (!filter || nines_id_eq (filter, self->reg->pods [i].pod))
            rows++;
    nines_pack_rows_head (pk, (uint32_t) rows);
    for (size_t p = 0; p < npods; p++) {
        const uint8_t *pod = self->reg->pods [p].pod;
        if (filter && !nines_id_eq (filter, pod))
            continue;
        uint64_t down = 0;
        for (size_t i = 0; i < c.n; i++) {
            if (memcmp (c.recs [i].key, pod, NINES_ID_BYTES) || c.recs [i].vlen != sizeof (incident_rec_t))
                continue;
            uint64_t a = c.recs [i].t, b = nines_get_le64 (((incident_rec_t *) c.recs [i].val)->t_up);
            if (!b)
                b = now;
            if (a < from)
                a = from;
            if (b > a)
                down += b - a;
        }
        msgpack_pack_map (pk, 5);
        nines_pack_kv_bin (pk, "pod", pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (pk, "window_ms", window);
        nines_pack_kv_u64 (pk, "downtime_ms", down);
        nines_pack_kv_u64 (pk, "availability_ppm", nines_availability_ppm (down, window));
        nines_pack_kv_u64 (pk, "nines_micro", nines_nines_micro (down, window));
    }
    node_collect_free (&c);
}

typedef struct {
    msgpack_packer *pk;         /* output */
    nines_evidence_t *ev;       /* decode buffer */
    bool acked;                 /* iterating DB_EVIDENCE */
    size_t rows;                /* rows written (count pass: counted) */
    bool count_only;            /* first pass */
} ev_iter_t;

static int
s_ev_row (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    ev_iter_t *it = (ev_iter_t *) arg;
    const uint8_t *data = (const uint8_t *) v;
    char verdict [256] = "pending";
    if (it->acked) {
        if (vlen < 1 || (size_t) data [0] + 1 > vlen)
            return 0;
        memcpy (verdict, data + 1, data [0]);
        verdict [data [0]] = 0;
        vlen -= (size_t) data [0] + 1;
        data += data [0] + 1;
    }
    if (klen != NINES_HASH_BYTES || nines_evidence_decode (data, vlen, it->ev))
        return 0;
    it->rows++;
    if (it->count_only)
        return 0;
    msgpack_packer *pk = it->pk;
    msgpack_pack_map (pk, 6);
    nines_pack_kv_bin (pk, "id", (const uint8_t *) k, NINES_HASH_BYTES);
    nines_pack_kv_bin (pk, "pod", it->ev->pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (pk, "t_down", it->ev->down.t_ms);
    nines_pack_str (pk, "t_up");
    if (it->ev->has_up)
        msgpack_pack_uint64 (pk, it->ev->up.t_ms);
    else
        msgpack_pack_nil (pk);
    nines_pack_kv_bool (pk, "closed", it->ev->has_up);
    nines_pack_kv_str (pk, "state", verdict);
    return 0;
}

static void
s_q_evidence (nines_node_t *self, msgpack_packer *pk)
{
    ev_iter_t it = { .pk = pk, .ev = self->ev_scratch, .count_only = true };
    nines_store_iter_prefix (self->store, DB_OUTBOX, NULL, 0, s_ev_row, &it);
    it.acked = true;
    nines_store_iter_prefix (self->store, DB_EVIDENCE, NULL, 0, s_ev_row, &it);
    nines_pack_rows_head (pk, (uint32_t) it.rows);
    it.count_only = false;
    it.acked = false;
    nines_store_iter_prefix (self->store, DB_OUTBOX, NULL, 0, s_ev_row, &it);
    it.acked = true;
    nines_store_iter_prefix (self->store, DB_EVIDENCE, NULL, 0, s_ev_row, &it);
}

/*  Answer one request into sb; returns false with *code (a NINES_E* code)
    and an error text set (the reply's error is "<code's name>: <text>"),
    or with *error NULL for an op it does not know. */
static bool
s_answer (nines_node_t *self, nines_query_t *q, msgpack_packer *pk, int *code, const char **error)
{
    const char *op = nines_query_op (q);
    uint8_t pod [NINES_ID_BYTES];
    int rc = 0;
    bool has_pod = s_pod_filter (q, pod, &rc);
    if (rc) {
        *code = NINES_EMALFORMED;
        *error = "pod: expected bin 32 (a pod id)";
        return false;
    }
    if (!strcmp (op, NINES_NODE_OP_STATUS))
        s_q_status (self, pk);
    else if (!strcmp (op, NINES_NODE_OP_PEERS))
        s_q_peers (self, pk);
    else if (!strcmp (op, NINES_NODE_OP_PODS))
        s_q_pods (self, pk, has_pod ? pod : NULL);
    else if (!strcmp (op, NINES_NODE_OP_REPORTS)) {
        uint64_t limit = REPORTS_LIMIT;
        rc = nines_query_u64 (q, "limit", &limit);
        if (rc && rc != NINES_ENOTFOUND) {
            *code = NINES_EMALFORMED;
        *error = "limit: expected an unsigned integer";
            return false;
        }
        s_q_reports (self, pk, has_pod ? pod : NULL, limit);
    }
    else if (!strcmp (op, NINES_NODE_OP_INCIDENTS))
        s_q_incidents (self, pk, has_pod ? pod : NULL);
    else if (!strcmp (op, NINES_NODE_OP_NINES))
        s_q_nines (self, pk, has_pod ? pod : NULL);
    else if (!strcmp (op, NINES_NODE_OP_EVIDENCE))
        s_q_evidence (self, pk);
    else if (!strcmp (op, NINES_NODE_OP_FAULT)) {
        if (!self->cfg.fault_hooks) {
            *code = NINES_EPERM;
        *error = "fault hooks are disabled (node/fault_hooks = 0)";
            return false;
        }
        bool iso = false;
        if (nines_query_bool (q, "isolate", &iso)) {
            *code = NINES_EMALFORMED;
        *error = "isolate: expected a boolean";
            return false;
        }
        self->isolated = iso;       /* the engine reads it through its hooks.isolated */
        nines_warn ("fault hook: isolation %s", iso ? "ON" : "off");
        msgpack_pack_map (pk, 2);
        nines_pack_kv_bool (pk, "ok", true);
        nines_pack_kv_bool (pk, "isolated", iso);
    }
    else {
        *error = NULL;
        return false;
    }
    return true;
}

void
node_on_query (nines_node_t *self)
{
    zmsg_t *msg = zmsg_recv (self->query);
    if (!msg)
        return;
    zframe_t *rid = zmsg_pop (msg);
    /*  Keep the routing envelope (and a REQ client's empty delimiter): the
        request is the last frame. */
    zmsg_t *reply = zmsg_new ();
    zmsg_append (reply, &rid);
    while (zmsg_size (msg) > 1) {
        zframe_t *f = zmsg_pop (msg);
        zmsg_append (reply, &f);
    }
    zframe_t *req = zmsg_pop (msg);
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    nines_query_t *q = NULL;
    const char *error = NULL;
    int code = 0;
    uint8_t *out = NULL;
    size_t len = 0;
    int rc = req ? nines_query_parse (zframe_data (req), zframe_size (req), &q) : NINES_EMALFORMED;
    if (rc)
        nines_reply_bad_query (rc, &out, &len);
    else
    if (!s_answer (self, q, &pk, &code, &error)) {
        msgpack_sbuffer_clear (&sb);
        if (!error)
            nines_reply_unknown_op (nines_query_op (q), &out, &len);
        else
            nines_reply_fail (code, error, &out, &len);
    }
    if (out) {
        self->query_bad++;
        zmsg_addmem (reply, out, len);
        free (out);
    }
    else
        zmsg_addmem (reply, sb.data, sb.size);
    zmsg_send (&reply, self->query);
    msgpack_sbuffer_destroy (&sb);
    nines_query_destroy (&q);
    zframe_destroy (&req);
    zmsg_destroy (&msg);
}
