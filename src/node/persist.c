/*  What ninesd keeps in LMDB: reports, incidents, the evidence outbox and
    the membership snapshot, and the restore at start. */
#include "node/node_state.h"
#include "client/ops.h"
#include <string.h>

/*  ---- persistence ---- */

typedef struct {
    uint8_t key [NINES_ID_BYTES + 8];       /* latest open incident found */
    bool found;                             /* key set */
    uint64_t t_up;                          /* the UP report's time */
} open_scan_t;

static int
s_find_open (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    open_scan_t *scan = (open_scan_t *) arg;
    if (klen != NINES_ID_BYTES + 8 || vlen != sizeof (incident_rec_t))
        return 0;
    const incident_rec_t *rec = (const incident_rec_t *) v;
    uint64_t t_down = nines_get_be64 ((const uint8_t *) k + NINES_ID_BYTES);
    if (nines_get_le64 (rec->t_up) == 0 && t_down <= scan->t_up) {
        memcpy (scan->key, k, sizeof scan->key);
        scan->found = true;
    }
    return 0;
}

void
node_store_incident (nines_node_t *self, const nines_action_t *r)
{
    uint8_t key [NINES_ID_BYTES + 8];
    memcpy (key, r->pod, NINES_ID_BYTES);
    if (r->kind == NINES_REPORT_DOWN) {
        nines_be64 (key + NINES_ID_BYTES, r->t_ms);
        incident_rec_t rec;
        memset (&rec, 0, sizeof rec);
        memcpy (rec.down_round, r->round_id, NINES_HASH_BYTES);
        void *old = NULL;
        size_t olen = 0;
        if (nines_store_get (self->store, DB_INCIDENTS, key, sizeof key, &old, &olen) == 0) {
            free (old);
            return;     /* already known */
        }
        nines_store_put (self->store, DB_INCIDENTS, key, sizeof key, &rec, sizeof rec);
        return;
    }
    /*  UP: close the latest open incident of the pod that began before it
        (keys are pod || be64(t_down), so the scan runs in time order). */
    open_scan_t scan = { .found = false, .t_up = r->t_ms };
    nines_store_iter_prefix (self->store, DB_INCIDENTS, r->pod, NINES_ID_BYTES, s_find_open, &scan);
    if (!scan.found)
        return;
    void *val = NULL;
    size_t vlen = 0;
    if (nines_store_get (self->store, DB_INCIDENTS, scan.key, sizeof scan.key, &val, &vlen)
    ||  vlen != sizeof (incident_rec_t)) {
        free (val);
        return;
    }
    incident_rec_t rec;
    memcpy (&rec, val, sizeof rec);
    free (val);
    nines_le64 (rec.t_up, r->t_ms);
    memcpy (rec.up_round, r->round_id, NINES_HASH_BYTES);
    nines_store_put (self->store, DB_INCIDENTS, scan.key, sizeof scan.key, &rec, sizeof rec);
}

/*  Weight of the signers of a report (isqrt(stake) each, registry now). */
uint64_t
node_report_weight (nines_node_t *self, const nines_report_t *r)
{
    uint64_t w = 0;
    for (uint16_t i = 0; self->reg && i < r->n_votes; i++) {
        const nines_validator_info_t *v = nines_registry_validator (self->reg, r->votes [i].body.validator);
        if (v)
            w += nines_validator_weight (v);
    }
    return w;
}

void
node_publish_report (nines_node_t *self, const nines_action_t *a)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init_map (&sb, &pk, 7);
    nines_pack_kv_str (&pk, "kind", a->kind == NINES_REPORT_DOWN ? "down" : "up");
    nines_pack_kv_bin (&pk, "pod", a->pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (&pk, "epoch", a->epoch);
    nines_pack_kv_u64 (&pk, "t_ms", a->t_ms);
    nines_pack_kv_bin (&pk, "round_id", a->round_id, NINES_HASH_BYTES);
    nines_pack_kv_u64 (&pk, "signers", a->signers);
    nines_pack_kv_bin (&pk, "report", a->data, a->len);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, NINES_NODE_TOPIC_REPORT);
    zmsg_addmem (msg, sb.data, sb.size);
    zmsg_send (&msg, self->pub);
    msgpack_sbuffer_destroy (&sb);
}

void
node_persist_evidence (nines_node_t *self, const nines_action_t *a)
{
    void *old = NULL;
    size_t olen = 0;
    if (nines_store_get (self->store, DB_OUTBOX, a->key, NINES_HASH_BYTES, &old, &olen) == 0) {
        free (old);
        return;
    }
    int rc = nines_store_put (self->store, DB_OUTBOX, a->key, NINES_HASH_BYTES, a->data, a->len);
    if (rc)
        nines_error ("cannot store evidence in the outbox: %s", nines_strerror (rc));
}

void
node_evidence_ack_store (nines_store_t *store, const uint8_t id [NINES_HASH_BYTES], const char *verdict)
{
    void *ev = NULL;
    size_t evlen = 0;
    if (nines_store_get (store, DB_OUTBOX, id, NINES_HASH_BYTES, &ev, &evlen))
        return;
    size_t vlen = strlen (verdict);
    uint8_t *rec = (uint8_t *) malloc (1 + vlen + evlen);
    nines_txn_t *txn = NULL;
    if (rec && nines_txn_begin (store, true, &txn) == 0) {
        rec [0] = (uint8_t) vlen;
        memcpy (rec + 1, verdict, vlen);
        memcpy (rec + 1 + vlen, ev, evlen);
        if (nines_txn_put (txn, DB_EVIDENCE, id, NINES_HASH_BYTES, rec, 1 + vlen + evlen)
        ||  nines_txn_del (txn, DB_OUTBOX, id, NINES_HASH_BYTES))
            nines_txn_abort (&txn);
        else
        if (nines_txn_commit (&txn))
            nines_warn ("cannot move acknowledged evidence out of the outbox");
    }
    free (rec);
    free (ev);
}

/*  ---- persistence of membership, restore ---- */

void
node_save_members (nines_node_t *self)
{
    size_t n = nines_engine_members (self->engine, NULL, 0);
    nines_member_info_t *m = (nines_member_info_t *) calloc (n + 1, sizeof *m);
    if (!m)
        return;
    n = nines_engine_members (self->engine, m, n);
    nines_txn_t *txn = NULL;
    if (nines_txn_begin (self->store, true, &txn) == 0) {
        for (size_t i = 0; i < n; i++) {
            member_rec_t rec;
            rec.state = m [i].state;
            nines_le64 (rec.incarnation, m [i].incarnation);
            nines_le64 (rec.last_ack, m [i].last_ack_ms);
            nines_txn_put (txn, DB_MEMBERS, m [i].id, NINES_ID_BYTES, &rec, sizeof rec);
        }
        nines_engine_stats_t st;
        nines_engine_stats (self->engine, &st);
        member_rec_t own = { .state = NINES_MEMBER_ALIVE };
        nines_le64 (own.incarnation, st.incarnation);
        nines_le64 (own.last_ack, 0);
        nines_txn_put (txn, DB_MEMBERS, self->kp.pk, NINES_ID_BYTES, &own, sizeof own);
        if (nines_txn_commit (&txn))
            nines_warn ("cannot save the membership snapshot");
    }
    free (m);
}

/*  Collected stored records, for sorting by time. */
int
node_rec_cmp (const void *a, const void *b)
{
    const rec_t *x = (const rec_t *) a, *y = (const rec_t *) b;
    return x->t < y->t ? -1 : x->t > y->t ? 1 : memcmp (x->key, y->key, sizeof x->key);
}

int
node_collect (const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
    collect_t *c = (collect_t *) arg;
    uint64_t t = 0;
    if (klen > sizeof c->recs->key)
        return 0;
    if (c->kind == 0) {
        if (nines_report_decode ((const uint8_t *) v, vlen, c->scratch))
            return 0;
        if (c->pod && !nines_id_eq (c->pod, c->scratch->pod))
            return 0;
        t = c->scratch->t_ms;
    }
    else
    if (c->kind == 1) {
        if (klen != NINES_ID_BYTES + 8)
            return 0;
        t = nines_get_be64 ((const uint8_t *) k + NINES_ID_BYTES);
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        rec_t *r = (rec_t *) realloc (c->recs, cap * sizeof *r);
        if (!r)
            return 1;
        c->recs = r;
        c->cap = cap;
    }
    rec_t *r = &c->recs [c->n];
    memset (r, 0, sizeof *r);
    r->t = t;
    memcpy (r->key, k, klen);
    r->klen = klen;
    r->val = (uint8_t *) malloc (vlen ? vlen : 1);
    if (!r->val)
        return 1;
    memcpy (r->val, v, vlen);
    r->vlen = vlen;
    c->n++;
    return 0;
}

void
node_collect_free (collect_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free (c->recs [i].val);
    free (c->recs);
}

void
node_restore (nines_node_t *self)
{
    uint64_t now = node_now ();
    collect_t c = { .scratch = self->scratch, .kind = 0 };
    nines_store_iter_prefix (self->store, DB_REPORTS, NULL, 0, node_collect, &c);
    if (c.n)
        qsort (c.recs, c.n, sizeof *c.recs, node_rec_cmp);
    size_t ok = 0;
    for (size_t i = 0; i < c.n; i++)
        if (nines_engine_restore_report (self->engine, c.recs [i].val, c.recs [i].vlen, now) == 0)
            ok++;
    node_collect_free (&c);
    collect_t e = { .kind = 2 };
    nines_store_iter_prefix (self->store, DB_OUTBOX, NULL, 0, node_collect, &e);
    size_t pending = 0;
    for (size_t i = 0; i < e.n; i++)
        if (nines_engine_restore_evidence (self->engine, e.recs [i].val, e.recs [i].vlen, now) == 0)
            pending++;
    node_collect_free (&e);
    if (ok || pending)
        nines_info ("restored %zu reports and %zu unacknowledged evidence from %s", ok, pending,
                    self->cfg.data);
    /* Our own incarnation: peers holding us dead far above 0 take only a
       refutation within NINES_INCARNATION_STEP of what they know. */
    void *own = NULL;
    size_t own_len = 0;
    if (nines_store_get (self->store, DB_MEMBERS, self->kp.pk, NINES_ID_BYTES, &own, &own_len) == 0
    &&  own_len == sizeof (member_rec_t)) {
        nines_engine_restore_incarnation (self->engine, nines_get_le64 (((member_rec_t *) own)->incarnation));
    }
    free (own);
}
