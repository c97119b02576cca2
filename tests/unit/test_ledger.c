/*  Ledger accounting (DESIGN.md section 8) through the request API, with
    virtual time: grace, merging, paid_until, maintenance, correlated
    outages, open incidents topped up only as far as evidence proves, the
    ledger killed and restarted across incidents, the stake cap, idempotent
    resubmission, a split-outage property, registration rules, canary and
    rewards, and state surviving a reopen. */
#include "ledger/ledger.h"
#include "client/ledger_client.h"
#include "proto/verify.h"
#include "proto/slash.h"
#include "test_ledger_fixture.h"
#include "testutil.h"
#include <msgpack.h>
#include <unistd.h>

#define T LFX_T0
#define S (1000ULL)
#define M (60000ULL)
#define H (3600000ULL)

static lfx_t F;
static nines_keypair_t LK;          /* ledger key */
static char dirs [32][48];               /* one per s_open (17 today) */
static int n_dirs;

static nines_ledger_t *
s_open_in (const char *dir)
{
    char err [256] = "";
    nines_ledger_t *l = nines_ledger_open (dir, F.reg, &LK, err, sizeof err);
    if (!l)
        fprintf (stderr, "open: %s\n", err);
    return l;
}

static nines_ledger_t *
s_open (void)
{
    if (n_dirs == (int) (sizeof dirs / sizeof dirs [0])) {
        fprintf (stderr, "s_open: more ledgers than dirs[] holds\n");
        return NULL;
    }
    snprintf (dirs [n_dirs], sizeof dirs [0], "/tmp/nines-test-ledger-XXXXXX");
    if (!mkdtemp (dirs [n_dirs]))
        return NULL;
    return s_open_in (dirs [n_dirs++]);
}

static void
s_drain (nines_ledger_t *l, int *n_canary, int *n_incident)
{
    char topic [16];
    uint8_t *data;
    size_t len;
    while (nines_ledger_next_event (l, topic, &data, &len)) {
        if (n_canary && strcmp (topic, "canary") == 0)
            (*n_canary)++;
        if (n_incident && strcmp (topic, "incident") == 0)
            (*n_incident)++;
        free (data);
    }
}

/*  One reply, unpacked. */
typedef struct {
    msgpack_unpacked u;
    const msgpack_object *o;
    uint8_t *buf;                   /* reply bytes: the unpacked object points into them */
} rep_t;

static const msgpack_object *
s_get (const msgpack_object *o, const char *key)
{
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++)
        if (o->via.map.ptr [i].key.via.str.size == strlen (key)
        &&  memcmp (o->via.map.ptr [i].key.via.str.ptr, key, strlen (key)) == 0)
            return &o->via.map.ptr [i].val;
    return NULL;
}

static uint64_t
s_u64 (const msgpack_object *o, const char *key)
{
    const msgpack_object *v = s_get (o, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : UINT64_MAX;
}

static bool
s_true (const msgpack_object *o, const char *key)
{
    const msgpack_object *v = s_get (o, key);
    return v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

static bool
s_str_is (const msgpack_object *o, const char *key, const char *want)
{
    const msgpack_object *v = s_get (o, key);
    bool ok = v && v->type == MSGPACK_OBJECT_STR && v->via.str.size == strlen (want)
           && memcmp (v->via.str.ptr, want, strlen (want)) == 0;
    if (!ok && v && v->type == MSGPACK_OBJECT_STR)
        fprintf (stderr, "  %s = '%.*s', want '%s'\n", key, (int) v->via.str.size, v->via.str.ptr, want);
    return ok;
}

static const msgpack_object *
s_row (const rep_t *r, size_t i)
{
    const msgpack_object *rows = s_get (r->o, "rows");
    return rows && rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size ? &rows->via.array.ptr [i] : NULL;
}

static size_t
s_nrows (const rep_t *r)
{
    const msgpack_object *rows = s_get (r->o, "rows");
    return rows && rows->type == MSGPACK_OBJECT_ARRAY ? rows->via.array.size : 0;
}

/*  Send req (freed) at now; the reply is left in *r (rep_free it). */
static void
s_call (nines_ledger_t *l, uint8_t *req, size_t len, uint64_t now, rep_t *r)
{
    uint8_t *reply = NULL;
    size_t rlen = 0;
    CHECK_RC (nines_ledger_handle (l, req, len, now, &reply, &rlen), 0);
    free (req);
    msgpack_unpacked_init (&r->u);
    size_t off = 0;
    r->o = NULL;
    if (reply && msgpack_unpack_next (&r->u, (const char *) reply, rlen, &off) == MSGPACK_UNPACK_SUCCESS)
        r->o = &r->u.data;
    r->buf = reply;
    CHECK (r->o != NULL);
}

static void
rep_free (rep_t *r)
{
    msgpack_unpacked_destroy (&r->u);
    free (r->buf);
}

static void
s_query (nines_ledger_t *l, const char *op, int pod, uint64_t now, rep_t *r)
{
    uint8_t *req;
    size_t len;
    CHECK_RC (nines_ledger_req_simple (op, pod >= 0 ? F.pod [pod] : NULL, &req, &len), 0);
    s_call (l, req, len, now, r);
}

/*  Submit an evidence; returns the verdict's first letter (a/d/r) or '?'. */
static char
s_submit (nines_ledger_t *l, size_t pod, uint64_t t_down, uint64_t t_up, uint64_t now)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, pod, t_down, t_up);
    size_t len;
    uint8_t *req = lfx_submit_req (&F, ev, &len);
    free (ev);
    rep_t r;
    s_call (l, req, len, now, &r);
    char c = '?';
    const msgpack_object *v = s_get (r.o, "verdict");
    if (s_true (r.o, "ok") && v && v->type == MSGPACK_OBJECT_STR && v->via.str.size)
        c = v->via.str.ptr [0];
    if (c != 'a') {
        const msgpack_object *d = s_get (r.o, "detail");
        if (d && d->type == MSGPACK_OBJECT_STR)
            fprintf (stderr, "  submit: %c %.*s\n", c, (int) d->via.str.size, d->via.str.ptr);
    }
    rep_free (&r);
    return c;
}

/*  Total slashed from a pod so far. */
static uint64_t
s_slashed (nines_ledger_t *l, size_t pod, uint64_t now)
{
    rep_t r;
    s_query (l, NINES_LEDGER_OP_PODS, -1, now, &r);
    uint64_t v = UINT64_MAX;
    for (size_t i = 0; i < s_nrows (&r); i++) {
        const msgpack_object *p = s_get (s_row (&r, i), "pod");
        if (p && p->type == MSGPACK_OBJECT_BIN && memcmp (p->via.bin.ptr, F.pod [pod], 32) == 0)
            v = s_u64 (s_row (&r, i), "slashed");
    }
    rep_free (&r);
    return v;
}

static uint64_t
s_slash (uint64_t d)
{
    return nines_slash_for (&F.reg->params, 1000000, d);
}

static void
t_grace_and_slash (void)
{
    nines_ledger_t *l = s_open ();
    CHECK (l != NULL);
    if (!l)
        return;
    CHECK_EQ (s_submit (l, 0, T, T + 30 * S, T + H), 'a');       /* 30 s < grace */
    CHECK_EQ (s_submit (l, 1, T, T + H, T + H + S), 'a');
    nines_ledger_tick (l, T + 2 * H);
    CHECK_EQ (s_slashed (l, 0, T + 2 * H), 0);
    CHECK_EQ (s_slashed (l, 1, T + 2 * H), s_slash (H));
    CHECK (s_slash (H) > 9000 && s_slash (H) < 11000);            /* ≈ 10 % of 10 % */
    int inc = 0;
    s_drain (l, NULL, &inc);
    CHECK (inc >= 2);
    nines_ledger_destroy (&l);
}

static void
t_merge (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    /* 10 min down, 10 min up, 10 min down: one incident of 20 min */
    CHECK_EQ (s_submit (l, 0, T, T + 10 * M, T + 10 * M), 'a');
    CHECK_EQ (s_submit (l, 0, T + 20 * M, T + 30 * M, T + 30 * M), 'a');
    nines_ledger_tick (l, T + H);
    CHECK_EQ (s_slashed (l, 0, T + H), s_slash (20 * M));
    /* next gap threshold is clamp(24 × 20 min) = 8 h: 7 h later still merges */
    CHECK_EQ (s_submit (l, 0, T + 30 * M + 7 * H, T + 30 * M + 7 * H + 10 * M, T + 8 * H), 'a');
    nines_ledger_tick (l, T + 9 * H);
    CHECK_EQ (s_slashed (l, 0, T + 9 * H), s_slash (30 * M));
    /* 9 h after the (30 min) incident ended is past 24 × 30 min... no: 12 h; use 13 h */
    uint64_t t4 = T + 30 * M + 7 * H + 10 * M + 13 * H;
    CHECK_EQ (s_submit (l, 0, t4, t4 + 10 * M, t4 + 10 * M), 'a');
    nines_ledger_tick (l, t4 + H);
    CHECK_EQ (s_slashed (l, 0, t4 + H), s_slash (30 * M) + s_slash (10 * M));
    rep_t r;
    s_query (l, NINES_LEDGER_OP_INCIDENTS, 0, t4 + H, &r);
    CHECK_EQ (s_nrows (&r), 2);
    CHECK_EQ (s_u64 (s_row (&r, 0), "pieces"), 3);
    CHECK_EQ (s_u64 (s_row (&r, 0), "duration_ms"), 30 * M);
    CHECK_EQ (s_u64 (s_row (&r, 1), "duration_ms"), 10 * M);
    rep_free (&r);
    nines_ledger_destroy (&l);
}

/*  A DOWN report delivered late with an earlier time than an incident
    already paid merges into it (5 min gap < merge gap) and becomes the
    merged incident's first DOWN: the incident owes S(65 min) in all, not
    S(60 min) again on top of what it paid (it was keyed by its first raw
    incident, whose key changed). */
static void
t_late_earlier_down (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    CHECK_EQ (s_submit (l, 0, T + 10 * M, T + 70 * M, T + 70 * M + S), 'a');
    nines_ledger_tick (l, T + 2 * H);
    CHECK_EQ (s_slashed (l, 0, T + 2 * H), s_slash (H));
    CHECK_EQ (s_submit (l, 0, T, T + 5 * M, T + 3 * H), 'a');
    nines_ledger_tick (l, T + 4 * H);
    CHECK_EQ (s_slashed (l, 0, T + 4 * H), s_slash (65 * M));
    rep_t r;
    s_query (l, NINES_LEDGER_OP_INCIDENTS, 0, T + 4 * H, &r);
    CHECK_EQ (s_nrows (&r), 1);
    CHECK_EQ (s_u64 (s_row (&r, 0), "t_down"), T);
    CHECK_EQ (s_u64 (s_row (&r, 0), "pieces"), 2);
    CHECK_EQ (s_u64 (s_row (&r, 0), "slashed"), s_slash (65 * M));
    rep_free (&r);
    /* a reopen recomputes the same */
    nines_ledger_destroy (&l);
    l = s_open_in (dirs [n_dirs - 1]);
    CHECK (l != NULL);
    if (!l)
        return;
    nines_ledger_tick (l, T + 5 * H);
    CHECK_EQ (s_slashed (l, 0, T + 5 * H), s_slash (65 * M));
    nines_ledger_destroy (&l);
}

static void
t_paid_until (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    uint8_t *req;
    size_t len;
    rep_t r;
    CHECK_RC (nines_ledger_req_paid_until (&F.provider [0], F.pod [0], T + 30 * M, T - H, &req, &len), 0);
    s_call (l, req, len, T - H, &r);
    CHECK (s_true (r.o, "ok"));
    rep_free (&r);
    /* signed by someone else: refused */
    CHECK_RC (nines_ledger_req_paid_until (&F.provider [1], F.pod [0], 0, T - H + 1, &req, &len), 0);
    s_call (l, req, len, T - H, &r);
    CHECK (!s_true (r.o, "ok"));
    rep_free (&r);
    CHECK_EQ (s_submit (l, 0, T, T + 2 * H, T + 2 * H), 'a');
    CHECK_EQ (s_slashed (l, 0, T + 3 * H), s_slash (30 * M));
    /* a paid_until in the past is raised to now: it cannot shed an old incident */
    CHECK_RC (nines_ledger_req_paid_until (&F.provider [0], F.pod [0], T - 10 * H, T + 3 * H, &req, &len), 0);
    s_call (l, req, len, T + 3 * H, &r);
    CHECK (s_true (r.o, "ok"));
    rep_free (&r);
    CHECK_EQ (nines_registry_pod (nines_ledger_registry (l), F.pod [0])->paid_until_ms, T + 3 * H);
    nines_ledger_destroy (&l);
}

static void
t_maintenance (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    uint8_t *req;
    size_t len;
    rep_t r;
    /* late: starts in 1 h, notice is 24 h */
    CHECK_RC (nines_ledger_req_maintenance (&F.provider [0], F.pod [0], T + H, T + 2 * H, T, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (s_true (r.o, "ok"));
    CHECK (!s_true (r.o, "honoured"));
    CHECK (s_str_is (r.o, "reason", "NINES_ESTALE"));
    rep_free (&r);
    /* over the 4 h budget */
    CHECK_RC (nines_ledger_req_maintenance (&F.provider [0], F.pod [0], T + 30 * H, T + 35 * H, T + 1, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (s_str_is (r.o, "reason", "NINES_EFULL"));
    rep_free (&r);
    /* honoured: 25 h ahead, 1 h long */
    CHECK_RC (nines_ledger_req_maintenance (&F.provider [0], F.pod [0], T + 25 * H, T + 26 * H, T + 2, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (s_true (r.o, "ok"));
    CHECK (s_get (r.o, "honoured") == NULL);
    CHECK_EQ (s_u64 (r.o, "version"), 2);
    rep_free (&r);
    /* replayed announcement (same t_ms) refused */
    CHECK_RC (nines_ledger_req_maintenance (&F.provider [0], F.pod [0], T + 40 * H, T + 41 * H, T + 2, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (!s_true (r.o, "ok"));
    rep_free (&r);
    /* the late window is not subtracted, the honoured one is */
    CHECK_EQ (s_submit (l, 0, T + H, T + 2 * H, T + 2 * H), 'a');
    CHECK_EQ (s_submit (l, 1, T + 24 * H + 30 * M, T + 26 * H + 30 * M, T + 27 * H), 'a');
    CHECK_EQ (s_slashed (l, 0, T + 28 * H), s_slash (H));
    CHECK_EQ (s_submit (l, 0, T + 24 * H + 30 * M, T + 26 * H + 30 * M, T + 27 * H), 'a');
    nines_ledger_tick (l, T + 28 * H);
    /* 2 h minus the honoured 1 h, merged with the first hour (gap 22.5 h < 24 × 1 h): 2 h in all */
    CHECK_EQ (s_slashed (l, 0, T + 28 * H), s_slash (2 * H));
    nines_ledger_destroy (&l);
}

static void
t_correlated (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    /* pods 0, 1, 2 belong to providers 0, 1, 2: down within 2 minutes */
    CHECK_EQ (s_submit (l, 0, T, 0, T + S), 'a');
    CHECK_EQ (s_submit (l, 1, T + M, 0, T + M + S), 'a');
    CHECK_EQ (s_submit (l, 2, T + 2 * M, 0, T + 2 * M + S), 'a');
    /* pod 3 fails alone an hour later: not correlated */
    CHECK_EQ (s_submit (l, 3, T + H, T + 3 * H, T + 3 * H), 'a');
    for (size_t p = 0; p < 3; p++)
        CHECK_EQ (s_submit (l, p, T + p * M, T + 2 * H, T + 3 * H), 'a');
    nines_ledger_tick (l, T + 4 * H);
    CHECK_EQ (s_slashed (l, 0, T + 4 * H), 0);
    CHECK_EQ (s_slashed (l, 1, T + 4 * H), 0);
    CHECK_EQ (s_slashed (l, 2, T + 4 * H), 0);
    CHECK_EQ (s_slashed (l, 3, T + 4 * H), s_slash (2 * H));
    rep_t r;
    s_query (l, NINES_LEDGER_OP_INCIDENTS, 1, T + 4 * H, &r);
    CHECK_EQ (s_nrows (&r), 1);
    CHECK (s_true (s_row (&r, 0), "correlated"));
    rep_free (&r);
    nines_ledger_destroy (&l);
}

/*  An open incident is charged up to its latest re-confirmation (a later
    DOWN report of the pod), never up to the ledger's clock. */
static void
t_open_topped_up (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    CHECK_EQ (s_submit (l, 0, T, 0, T + S), 'a');
    nines_ledger_tick (l, T + 30 * M);
    CHECK_EQ (s_slashed (l, 0, T + 30 * M), 0);                 /* nothing proven beyond T */
    for (uint64_t k = 1; k <= 6; k++)
        CHECK_EQ (s_submit (l, 0, T + k * 10 * M, 0, T + k * 10 * M + S), 'a');
    nines_ledger_tick (l, T + H + M);
    CHECK_EQ (s_slashed (l, 0, T + H + M), s_slash (H));
    nines_ledger_tick (l, T + 2 * H);                            /* time alone proves nothing */
    CHECK_EQ (s_slashed (l, 0, T + 2 * H), s_slash (H));
    CHECK_EQ (s_submit (l, 0, T, T + 90 * M, T + 2 * H), 'a');
    nines_ledger_tick (l, T + 10 * H);
    CHECK_EQ (s_slashed (l, 0, T + 10 * H), s_slash (90 * M));
    rep_t r;
    s_query (l, NINES_LEDGER_OP_SLASHES, 0, T + 10 * H, &r);
    CHECK (s_nrows (&r) >= 2);                      /* paid incrementally */
    uint64_t sum = 0;
    for (size_t i = 0; i < s_nrows (&r); i++)
        sum += s_u64 (s_row (&r, i), "amount");
    CHECK_EQ (sum, s_slash (90 * M));
    rep_free (&r);
    s_query (l, NINES_LEDGER_OP_INCIDENTS, 0, T + 10 * H, &r);
    CHECK_EQ (s_nrows (&r), 1);
    CHECK_EQ (s_u64 (s_row (&r, 0), "duration_ms"), 90 * M);
    CHECK_EQ (s_u64 (s_row (&r, 0), "t_up"), T + 90 * M);
    rep_free (&r);
    nines_ledger_destroy (&l);
}

/*  A pod that never comes back is charged for the time its re-confirmations
    prove.  Re-confirmations are no new failures: they do not make a
    correlated outage with other pods' fresh DOWNs, and those of a
    correlated outage stay unslashed like the outage. */
static void
t_never_back (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    /* pod 0 (provider 0): down from T, re-confirmed every 5 min, never up */
    for (uint64_t t = T; t <= T + 3 * H; t += 5 * M)
        CHECK_EQ (s_submit (l, 0, t, 0, t + S), 'a');
    nines_ledger_tick (l, T + 10 * H);
    CHECK_EQ (s_slashed (l, 0, T + 10 * H), s_slash (3 * H));
    rep_t r;
    s_query (l, NINES_LEDGER_OP_INCIDENTS, 0, T + 10 * H, &r);
    CHECK_EQ (s_nrows (&r), 1);
    CHECK (s_true (s_row (&r, 0), "open"));
    CHECK_EQ (s_u64 (s_row (&r, 0), "duration_ms"), 3 * H);
    rep_free (&r);
    /* pods 1 and 2 (providers 1, 2) fail alone near one of pod 0's re-confirmations */
    CHECK_EQ (s_submit (l, 1, T + 2 * H + 6 * M, T + 3 * H, T + 3 * H + S), 'a');
    CHECK_EQ (s_submit (l, 2, T + 2 * H + 7 * M, T + 3 * H, T + 3 * H + S), 'a');
    nines_ledger_tick (l, T + 10 * H);
    CHECK_EQ (s_slashed (l, 1, T + 10 * H), s_slash (54 * M));
    CHECK_EQ (s_slashed (l, 2, T + 10 * H), s_slash (53 * M));
    /* pods 3, 4, 5 (providers 0, 1, 2) fail together, re-confirmed until they recover */
    uint64_t c = T + 50 * H;
    for (uint64_t t = c; t < c + 2 * H - 10 * M; t += 5 * M)
        for (size_t p = 3; p < 6; p++)
            CHECK_EQ (s_submit (l, p, t + p * M, 0, t + p * M + S), 'a');
    for (size_t p = 3; p < 6; p++)
        CHECK_EQ (s_submit (l, p, c + p * M, c + 2 * H, c + 2 * H + S), 'a');
    nines_ledger_tick (l, c + 10 * H);
    for (size_t p = 3; p < 6; p++)
        CHECK_EQ (s_slashed (l, p, c + 10 * H), 0);
    nines_ledger_destroy (&l);
}

/*  Property (issue 11 item 1): the ledger's own downtime never becomes
    provider downtime.  Across many incidents, the ledger is killed (its
    state closed) at random instants, stays away a random while, restarts
    from LMDB, ticks at once, and then gets the evidence that formed while
    it was away, in random order and late; the open incident is
    re-confirmed at random intervals.  After each incident closes, the
    slash equals stake × max_slash × S(d) for the d the DOWN and UP reports
    prove, exactly; and at no instant does it exceed that. */
typedef struct {
    uint64_t at;                        /* formed (and sent) at, ms */
    uint64_t t_down, t_up;              /* evidence: DOWN t_ms, UP t_ms (0 open) */
} ev_at_t;

static void
t_ledger_restart (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    char dir [sizeof dirs [0]];
    snprintf (dir, sizeof dir, "%s", dirs [n_dirs - 1]);
    nines_rng_t rng;
    uint8_t seed [32] = { 'k', 'i', 'l', 'l' };
    nines_rng_init (&rng, seed);
    const nines_params_t *pa = &F.reg->params;
    enum { MAX_EV = 256 };
    ev_at_t *evs = malloc (MAX_EV * sizeof *evs), *queue = malloc (MAX_EV * sizeof *queue);
    int exact = 0, over = 0, kills = 0, trials = 40;
    uint64_t t = T;
    for (int trial = 0; trial < trials && l; trial++) {
        size_t pod = (size_t) trial % F.n_pods;
        uint64_t d = pa->grace_ms + S + nines_rng_uniform (&rng, 5 * H);
        uint64_t t_down = t, t_up = t + d;
        uint64_t step = M + nines_rng_uniform (&rng, 20 * M);          /* re-confirmation interval */
        size_t n = 0;
        evs [n++] = (ev_at_t) { t_down + nines_rng_uniform (&rng, 30 * S), t_down, 0 };
        for (uint64_t c = t_down + step; c < t_up && n + 1 < MAX_EV; c += step)
            evs [n++] = (ev_at_t) { c + nines_rng_uniform (&rng, 30 * S), c, 0 };
        evs [n++] = (ev_at_t) { t_up + nines_rng_uniform (&rng, 30 * S), t_down, t_up };
        /* in order of formation (insertion sort: a few dozen) */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && evs [j].at < evs [j - 1].at; j--) {
                ev_at_t x = evs [j];
                evs [j] = evs [j - 1];
                evs [j - 1] = x;
            }
        /* one kill per incident, mostly shortly before the recovery */
        uint64_t kill = nines_rng_uniform (&rng, 4) == 0 ? t_down + nines_rng_uniform (&rng, d)
                      : t_up - nines_rng_uniform (&rng, d < 10 * M ? d : 10 * M);
        uint64_t back = kill + S + nines_rng_uniform (&rng, nines_rng_uniform (&rng, 2) ? 5 * M : 3 * H);
        uint64_t before = s_slashed (l, pod, t_down);
        uint64_t want = s_slash (d), now = t_down, next_tick = t_down;
        size_t nq = 0, e = 0;
        bool down = false;
        uint64_t end = (back > evs [n - 1].at ? back : evs [n - 1].at) + pa->corr_window_ms + M;
        while (now < end) {
            /* the next thing that happens: a tick, an evidence, the kill, the restart */
            uint64_t at = next_tick;
            if (e < n && evs [e].at < at)
                at = evs [e].at;
            if (!down && kill >= now && kill < at)
                at = kill;
            if (down && back < at)
                at = back;
            now = at;
            if (!down && now == kill) {
                nines_ledger_destroy (&l);
                down = true;
                kills++;
                continue;
            }
            if (down && now == back) {
                l = s_open_in (dir);
                CHECK (l != NULL);
                if (!l)
                    break;
                down = false;
                nines_ledger_tick (l, now);                 /* the clock first, then the backlog */
                for (size_t k = nq; k > 0; k--) {           /* random order, a little later each */
                    size_t pick = nines_rng_uniform (&rng, k);
                    ev_at_t x = queue [pick];
                    queue [pick] = queue [k - 1];
                    now += nines_rng_uniform (&rng, 20 * S);
                    nines_ledger_tick (l, now);
                    CHECK_EQ (s_submit (l, pod, x.t_down, x.t_up, now), 'a');
                }
                nq = 0;
                continue;
            }
            if (e < n && evs [e].at == now) {
                if (down)
                    queue [nq++] = evs [e];
                else
                    CHECK_EQ (s_submit (l, pod, evs [e].t_down, evs [e].t_up, now), 'a');
                e++;
            }
            if (now == next_tick) {
                if (!down)
                    nines_ledger_tick (l, now);
                next_tick += 10 * S + nines_rng_uniform (&rng, 50 * S);
            }
            if (!down && s_slashed (l, pod, now) - before > want)
                over++;
        }
        if (!l)
            break;
        nines_ledger_tick (l, end + H);
        uint64_t got = s_slashed (l, pod, end + H) - before;
        if (got == want)
            exact++;
        else
            fprintf (stderr, "  trial %d: d %llu ms, slashed %llu, S(d) gives %llu\n", trial,
                     (unsigned long long) d, (unsigned long long) got, (unsigned long long) want);
        t = end + 30 * 24 * H;                           /* the next incident never merges */
    }
    CHECK_EQ (exact, trials);
    CHECK_EQ (over, 0);
    CHECK_EQ (kills, trials);
    free (evs);
    free (queue);
    nines_ledger_destroy (&l);
}

static void
t_idempotent (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    CHECK_EQ (s_submit (l, 0, T, T + H, T + H), 'a');
    uint64_t once = s_slashed (l, 0, T + H);
    CHECK_EQ (s_submit (l, 0, T, T + H, T + H), 'd');            /* the same evidence again */
    CHECK_EQ (s_submit (l, 0, T, 0, T + H), 'd');                 /* the open form: known */
    CHECK_EQ (s_submit (l, 0, T, 0, T + H), 'd');
    /* from another validator: same id, duplicate */
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 0, T, T + H);
    uint8_t *req;
    size_t len;
    CHECK_RC (nines_ledger_req_submit_evidence (ev, F.validator [5].pk, &req, &len), 0);
    free (ev);
    rep_t r;
    s_call (l, req, len, T + H, &r);
    CHECK (s_str_is (r.o, "verdict", "duplicate"));
    CHECK (s_str_is (r.o, "op", NINES_LEDGER_OP_SUBMIT_EVIDENCE));
    rep_free (&r);
    nines_ledger_tick (l, T + 5 * H);
    CHECK_EQ (s_slashed (l, 0, T + 5 * H), once);
    CHECK_EQ (once, s_slash (H));
    /* malformed requests: ok = false, never a crash */
    uint8_t junk [] = { 0x81, 0xa2, 'o', 'p', 0xa5, 's', 'u', 'b', 'm', 'i' };
    uint8_t *copy = malloc (sizeof junk);
    memcpy (copy, junk, sizeof junk);
    s_call (l, copy, sizeof junk, T, &r);
    CHECK (!s_true (r.o, "ok"));
    rep_free (&r);
    CHECK_RC (nines_ledger_req_simple ("nonsense", NULL, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (!s_true (r.o, "ok"));
    rep_free (&r);
    /* {op: "x"} gets exactly the reply.error vector of proto/vectors.txt */
    uint8_t want [128], *reply = NULL;
    size_t want_len = t_vector_bytes ("reply.error", want, sizeof want), reply_len = 0;
    CHECK (want_len > 10);
    CHECK_RC (nines_ledger_req_simple ("x", NULL, &req, &len), 0);
    CHECK_RC (nines_ledger_handle (l, req, len, T, &reply, &reply_len), 0);
    free (req);
    CHECK (reply_len == want_len && reply && memcmp (reply, want, want_len) == 0);
    free (reply);
    nines_ledger_destroy (&l);
}

/*  Submit ev from `from`: the verdict's first letter ('a', 'd', 'r', '?'),
    and the rejection reason must be want_reason when given. */
static char
s_submit_from (nines_ledger_t *l, const nines_evidence_t *ev, const uint8_t from [32], uint64_t now,
               const char *want_reason)
{
    uint8_t *req;
    size_t len;
    CHECK_RC (nines_ledger_req_submit_evidence (ev, from, &req, &len), 0);
    rep_t r;
    s_call (l, req, len, now, &r);
    const msgpack_object *v = s_get (r.o, "verdict");
    char c = s_true (r.o, "ok") && v && v->type == MSGPACK_OBJECT_STR && v->via.str.size ? v->via.str.ptr [0] : '?';
    if (want_reason)
        CHECK (s_str_is (r.o, "reason", want_reason));
    rep_free (&r);
    return c;
}

/*  PROTOCOL.md section 9's rules: every report is the evidence's pod's;
    `from` is the submitter's word, not checked (the votes carry the
    authority); a known evidence id is answered `duplicate` before any
    verification and changes nothing, however its votes were altered;
    a rejection is not remembered. */
static void
t_evidence_rules (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    nines_evidence_t *ev = malloc (sizeof *ev), *other = malloc (sizeof *other);
    lfx_evidence (&F, ev, 0, T, T + H);
    lfx_evidence (&F, other, 1, T, T + H);
    /* the UP report of pod 1 inside pod 0's evidence; the evidence's pod
       field naming pod 1 around pod 0's reports */
    nines_evidence_t *mixed = malloc (sizeof *mixed);
    *mixed = *ev;
    mixed->up = other->up;
    CHECK_EQ (s_submit_from (l, mixed, F.validator [0].pk, T + H, "NINES_EMALFORMED"), 'r');
    *mixed = *ev;
    memcpy (mixed->pod, F.pod [1], 32);
    CHECK_EQ (s_submit_from (l, mixed, F.validator [0].pk, T + H, "NINES_EMALFORMED"), 'r');
    /* a forged copy before the real one: rejected, and not remembered */
    *mixed = *ev;
    mixed->down.votes [0].sig [3] ^= 1;
    CHECK_EQ (s_submit_from (l, mixed, F.validator [0].pk, T + H, "NINES_EBADSIG"), 'r');
    /* from an id nobody registered: accepted on the votes alone */
    nines_keypair_t stranger;
    uint8_t seed [32];
    memset (seed, 0x77, sizeof seed);
    CHECK_RC (nines_keypair_from_seed (&stranger, seed), 0);
    CHECK (nines_registry_validator (nines_ledger_registry (l), stranger.pk) == NULL);
    CHECK_EQ (s_submit_from (l, ev, stranger.pk, T + H, NULL), 'a');
    nines_ledger_tick (l, T + 5 * H);
    uint64_t once = s_slashed (l, 0, T + 5 * H);
    CHECK_EQ (once, s_slash (H));
    /* the same id with a forged vote: duplicate, unverified, no change */
    CHECK_EQ (s_submit_from (l, mixed, F.validator [1].pk, T + 5 * H, NULL), 'd');
    nines_ledger_tick (l, T + 6 * H);
    CHECK_EQ (s_slashed (l, 0, T + 6 * H), once);
    CHECK_EQ (s_slashed (l, 1, T + 6 * H), 0);
    free (mixed);
    free (other);
    free (ev);
    nines_ledger_destroy (&l);
}

static void
t_stake_cap (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    /* 10 h outages a week apart each owe 10 % of the stake: the 11th and 12th find nothing left */
    for (uint64_t k = 0; k < 12; k++) {
        uint64_t t = T + k * 8 * 24 * H;
        CHECK_EQ (s_submit (l, 0, t, t + 10 * H, t + 10 * H), 'a');
        nines_ledger_tick (l, t + 11 * H);
    }
    CHECK_EQ (s_slashed (l, 0, T + 100 * 24 * H), 1000000);
    nines_ledger_destroy (&l);
}

/*  Property: an outage of total downtime D delivered as pieces separated by
    short up-times (< merge_min) is never slashed less than D in one piece. */
static void
t_split_never_lowers (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    nines_rng_t rng;
    uint8_t seed [32] = { 42 };
    nines_rng_init (&rng, seed);
    int worse = 0, trials = 0;
    uint64_t t = T;
    for (int trial = 0; trial < 40; trial++) {
        /* pods 4.. of provider 0 are used one per trial (correlation needs 3 providers) */
        size_t pod = 4 + (size_t) trial % (F.n_pods - 4);
        uint64_t d = M + nines_rng_uniform (&rng, 8 * H);
        unsigned pieces = 2 + (unsigned) nines_rng_uniform (&rng, 5);
        uint64_t before = s_slashed (l, pod, t);
        uint64_t cur = t, left = d;
        for (unsigned k = 0; k < pieces; k++) {
            uint64_t len = k + 1 == pieces ? left : 1 + nines_rng_uniform (&rng, left - (pieces - k - 1));
            if (len == 0)
                len = 1;
            left -= len;
            CHECK_EQ (s_submit (l, pod, cur, cur + len, cur + len), 'a');
            cur += len + 20 * S + nines_rng_uniform (&rng, 14 * M);
        }
        nines_ledger_tick (l, cur + H);
        uint64_t got = s_slashed (l, pod, cur + H) - before;
        if (got < s_slash (d))
            worse++;
        trials++;
        t = cur + 30 * 24 * H;                   /* the next trial is far away: never merges */
    }
    CHECK_EQ (worse, 0);
    CHECK_EQ (trials, 40);
    nines_ledger_destroy (&l);
}

static void
t_registration (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    nines_keypair_t k;
    uint8_t seed [32] = { 'n', 'e', 'w' };
    nines_keypair_from_seed (&k, seed);
    nines_validator_info_t v = { .stake = 5000 };
    memcpy (v.id, k.pk, 32);
    strcpy (v.endpoint, "tcp://127.0.0.1:7999");
    uint8_t *req;
    size_t len;
    rep_t r;
    CHECK_RC (nines_ledger_req_register_validator (&k, &v, 100, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (s_true (r.o, "ok"));
    CHECK_EQ (s_u64 (r.o, "version"), 2);
    rep_free (&r);
    CHECK (nines_registry_validator (nines_ledger_registry (l), k.pk) != NULL);
    CHECK_RC (nines_ledger_req_register_validator (&k, &v, 100, &req, &len), 0);   /* replay */
    s_call (l, req, len, T, &r);
    CHECK (!s_true (r.o, "ok"));
    rep_free (&r);
    v.stake = 10;                                                                   /* below min */
    CHECK_RC (nines_ledger_req_register_validator (&k, &v, 101, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (!s_true (r.o, "ok"));
    const msgpack_object *e = s_get (r.o, "error");
    CHECK (e && e->type == MSGPACK_OBJECT_STR && memcmp (e->via.str.ptr, "NINES_ESTAKE", 12) == 0);
    rep_free (&r);
    /* a pod of provider 0 re-registered by provider 1: refused */
    nines_pod_info_t *p = malloc (sizeof *p);
    *p = *nines_registry_pod (nines_ledger_registry (l), F.pod [0]);
    memcpy (p->provider, F.provider [1].pk, 32);
    CHECK_RC (nines_ledger_req_register_pod (&F.provider [1], p, 5, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (!s_true (r.o, "ok"));
    rep_free (&r);
    /* its own provider raises the stake */
    memcpy (p->provider, F.provider [0].pk, 32);
    p->stake = 2000000;
    CHECK_RC (nines_ledger_req_register_pod (&F.provider [0], p, 6, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (s_true (r.o, "ok"));
    rep_free (&r);
    /* another pod of the same provider in the same millisecond: its own replay counter */
    *p = *nines_registry_pod (nines_ledger_registry (l), F.pod [3]);
    p->stake = 3000000;
    CHECK_RC (nines_ledger_req_register_pod (&F.provider [0], p, 6, &req, &len), 0);
    s_call (l, req, len, T, &r);
    CHECK (s_true (r.o, "ok"));
    rep_free (&r);
    free (p);
    CHECK_EQ (nines_registry_pod (nines_ledger_registry (l), F.pod [0])->stake, 2000000);
    CHECK_EQ (nines_registry_pod (nines_ledger_registry (l), F.pod [3])->stake, 3000000);
    /* the registry op round-trips through the follower parser */
    CHECK_RC (nines_ledger_req_simple (NINES_LEDGER_OP_REGISTRY, NULL, &req, &len), 0);
    uint8_t *reply;
    size_t rlen;
    CHECK_RC (nines_ledger_handle (l, req, len, T, &reply, &rlen), 0);
    free (req);
    char op [32] = "";
    CHECK_RC (nines_reply_op (reply, rlen, op, sizeof op), 0);
    CHECK (strcmp (op, NINES_LEDGER_OP_REGISTRY) == 0);
    nines_registry_t *copy = NULL;
    uint8_t lid [32];
    CHECK_RC (nines_ledger_parse_registry (reply, rlen, &copy, lid), 0);
    free (reply);
    if (copy) {
        CHECK_EQ (copy->n_validators, F.n_validators + 1);
        CHECK_EQ (copy->n_pods, F.n_pods);
        CHECK_EQ (copy->version, 4);
        CHECK_MEM (lid, LK.pk, 32);
        CHECK_EQ (copy->params.committee, 7);
        nines_registry_destroy (&copy);
    }
    s_drain (l, NULL, NULL);
    nines_ledger_destroy (&l);
}

static void
t_canary_rewards (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    const nines_params_t *p = &F.reg->params;
    uint64_t day = p->fee_period_ms;
    uint64_t start = (T / day + 1) * day;            /* a period boundary (genesis 0) */
    nines_ledger_tick (l, start);
    uint64_t when = nines_ledger_next_wakeup (l, start);
    int canaries = 0;
    for (uint64_t t = start; t <= start + day - 1 && !canaries; t = nines_ledger_next_wakeup (l, t)) {
        nines_ledger_tick (l, t);
        s_drain (l, &canaries, NULL);
        when = t;
        if (t > start + day)
            break;
    }
    CHECK_EQ (canaries, 1);
    rep_t r;
    s_query (l, NINES_LEDGER_OP_CANARY, -1, when, &r);
    const msgpack_object *idv = s_get (r.o, "id");
    uint8_t id [32] = { 0 };
    CHECK (idv && idv->type == MSGPACK_OBJECT_BIN && idv->via.bin.size == 32);
    if (idv && idv->type == MSGPACK_OBJECT_BIN && idv->via.bin.size == 32)
        memcpy (id, idv->via.bin.ptr, 32);
    rep_free (&r);
    /* the canary reply verifies under the ledger key */
    uint8_t *req;
    size_t len;
    CHECK_RC (nines_ledger_req_simple (NINES_LEDGER_OP_CANARY, NULL, &req, &len), 0);
    uint8_t *reply;
    size_t rlen;
    CHECK_RC (nines_ledger_handle (l, req, len, when, &reply, &rlen), 0);
    free (req);
    uint8_t id2 [32];
    uint64_t period = 0, deadline = 0;
    CHECK_RC (nines_ledger_parse_canary (reply, rlen, LK.pk, id2, &period, &deadline), 0);
    CHECK_RC (nines_ledger_parse_canary (reply, rlen, F.validator [0].pk, id2, NULL, NULL), NINES_EBADSIG);
    free (reply);
    CHECK_MEM (id2, id, 32);
    CHECK_EQ (period, start / day);
    /* validators 0..3 answer in time; 4 too late; 5 signs another canary */
    for (size_t v = 0; v < 6; v++) {
        uint8_t other [32] = { 9 };
        CHECK_RC (nines_ledger_req_canary_sign (&F.validator [v], v == 5 ? other : id, &req, &len), 0);
        s_call (l, req, len, v == 4 ? deadline + 1 : when + 1000, &r);
        CHECK (s_true (r.o, "ok") == (v < 4));
        rep_free (&r);
    }
    nines_ledger_tick (l, start + day + 1);
    s_drain (l, NULL, NULL);
    s_query (l, NINES_LEDGER_OP_REWARDS, -1, start + day + 1, &r);
    CHECK_EQ (s_nrows (&r), 4);
    /* fee 1000 ppm of 1e6 from each pod, split equally among 4 */
    uint64_t pool = F.n_pods * 1000;
    for (size_t i = 0; i < s_nrows (&r); i++) {
        CHECK_EQ (s_u64 (s_row (&r, i), "reward"), pool / 4);
        CHECK_EQ (s_u64 (s_row (&r, i), "periods"), 1);
    }
    rep_free (&r);
    s_query (l, NINES_LEDGER_OP_PODS, -1, start + day + 1, &r);
    CHECK_EQ (s_u64 (s_row (&r, 0), "fees"), 1000);
    CHECK_EQ (s_u64 (s_row (&r, 0), "remaining"), 1000000 - 1000);
    rep_free (&r);
    /* a period with no answers takes no fee and pays nobody */
    nines_ledger_tick (l, start + 2 * day + 1);
    nines_ledger_tick (l, start + 3 * day + 1);
    s_drain (l, NULL, NULL);
    s_query (l, NINES_LEDGER_OP_PODS, -1, start + 3 * day + 1, &r);
    CHECK_EQ (s_u64 (s_row (&r, 0), "fees"), 1000);
    rep_free (&r);
    nines_ledger_destroy (&l);
}

/*  Evidence from rounds whose committee came from the registry before a
    registration still verifies for a while after it; later it does not. */
static void
t_committee_history (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    nines_evidence_t *before = malloc (sizeof *before), *late = malloc (sizeof *late);
    lfx_evidence (&F, before, 2, T - 2 * M, T - M);          /* rounds before the change */
    lfx_evidence (&F, late, 2, T + 10 * M, T + 11 * M);      /* old committee, 10 min after */
    for (int i = 0; i < 12; i++) {
        nines_keypair_t k;
        uint8_t seed [32] = { 'x', (uint8_t) i };
        nines_keypair_from_seed (&k, seed);
        nines_validator_info_t v = { .stake = 1000000 };
        memcpy (v.id, k.pk, 32);
        snprintf (v.endpoint, sizeof v.endpoint, "tcp://127.0.0.1:%d", 7600 + i);
        uint8_t *req;
        size_t len;
        rep_t r;
        CHECK_RC (nines_ledger_req_register_validator (&k, &v, 1, &req, &len), 0);
        s_call (l, req, len, T, &r);
        CHECK (s_true (r.o, "ok"));
        rep_free (&r);
    }
    /* the current registry alone no longer accepts the old committee */
    CHECK (nines_ledger_verify_evidence (nines_ledger_registry (l), before, NINES_NOW_UNKNOWN, NULL, NULL, NULL, 0) != 0);
    uint8_t *req;
    size_t len;
    rep_t r;
    CHECK_RC (nines_ledger_req_submit_evidence (before, F.validator [0].pk, &req, &len), 0);
    s_call (l, req, len, T + M, &r);
    CHECK (s_str_is (r.o, "verdict", "accepted"));
    rep_free (&r);
    CHECK_RC (nines_ledger_req_submit_evidence (late, F.validator [0].pk, &req, &len), 0);
    s_call (l, req, len, T + 12 * M, &r);
    CHECK (s_str_is (r.o, "verdict", "rejected"));
    rep_free (&r);
    free (before);
    free (late);
    s_drain (l, NULL, NULL);
    nines_ledger_destroy (&l);
}

/*  A ledger starting late in a period still gives its canary a full
    window inside that period. */
static void
t_canary_mid_period (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    uint64_t day = F.reg->params.fee_period_ms;
    uint64_t start = (T / day + 1) * day, now = start + day - 2 * H;
    int canaries = 0;
    uint64_t t = now;
    for (int i = 0; i < 10000 && !canaries; i++) {
        nines_ledger_tick (l, t);
        s_drain (l, &canaries, NULL);
        if (!canaries)
            t = nines_ledger_next_wakeup (l, t);
    }
    CHECK_EQ (canaries, 1);
    uint8_t *req, *reply;
    size_t len, rlen;
    CHECK_RC (nines_ledger_req_simple (NINES_LEDGER_OP_CANARY, NULL, &req, &len), 0);
    CHECK_RC (nines_ledger_handle (l, req, len, t, &reply, &rlen), 0);
    free (req);
    uint8_t id [32];
    uint64_t period = 0, deadline = 0;
    CHECK_RC (nines_ledger_parse_canary (reply, rlen, LK.pk, id, &period, &deadline), 0);
    free (reply);
    CHECK (t >= now && t < start + day);
    CHECK (deadline <= start + day && deadline == t + F.reg->params.canary_window_ms);
    nines_ledger_destroy (&l);
}

static void
t_reopen (void)
{
    nines_ledger_t *l = s_open ();
    if (!l)
        return;
    CHECK_EQ (s_submit (l, 0, T, T + 2 * H, T + 2 * H), 'a');
    CHECK_EQ (s_submit (l, 1, T, 0, T + S), 'a');
    uint64_t s0 = s_slashed (l, 0, T + 2 * H);
    CHECK (s0 > 0);
    nines_ledger_destroy (&l);
    l = s_open_in (dirs [n_dirs - 1]);
    CHECK (l != NULL);
    if (!l)
        return;
    CHECK_EQ (s_slashed (l, 0, T + 2 * H), s0);
    CHECK_EQ (s_submit (l, 0, T, T + 2 * H, T + 3 * H), 'd');
    CHECK_EQ (s_submit (l, 1, T + H, 0, T + H + S), 'a');       /* re-confirmed: grows */
    nines_ledger_tick (l, T + H + S);
    CHECK_EQ (s_slashed (l, 1, T + H + S), s_slash (H));
    rep_t r;
    s_query (l, NINES_LEDGER_OP_NINES, 0, T + 3 * H, &r);
    CHECK_EQ (s_u64 (s_row (&r, 0), "downtime_ms"), 2 * H);
    CHECK_EQ (s_u64 (s_row (&r, 0), "nines_micro"), nines_nines_micro (2 * H, 30 * 24 * H));
    CHECK_EQ (s_u64 (s_row (&r, 0), "refund"), nines_refund (&F.reg->params, 1000000, 2 * H, 30 * 24 * H, 3000000, NULL));
    rep_free (&r);
    nines_ledger_destroy (&l);
}

int
main (void)
{
    lfx_init (&F, 24, 12, 3, 7);
    uint8_t seed [32] = { 'L' };
    nines_keypair_from_seed (&LK, seed);
    RUN (t_grace_and_slash);
    RUN (t_merge);
    RUN (t_late_earlier_down);
    RUN (t_paid_until);
    RUN (t_maintenance);
    RUN (t_correlated);
    RUN (t_open_topped_up);
    RUN (t_never_back);
    RUN (t_ledger_restart);
    RUN (t_idempotent);
    RUN (t_evidence_rules);
    RUN (t_stake_cap);
    RUN (t_split_never_lowers);
    RUN (t_registration);
    RUN (t_canary_rewards);
    RUN (t_committee_history);
    RUN (t_canary_mid_period);
    RUN (t_reopen);
    lfx_fini (&F);
    for (int i = 0; i < n_dirs; i++) {
        char path [sizeof dirs [0] + 16];
        snprintf (path, sizeof path, "%.40s/data.mdb", dirs [i]);
        unlink (path);
        snprintf (path, sizeof path, "%.40s/lock.mdb", dirs [i]);
        unlink (path);
        rmdir (dirs [i]);
    }
    return t_done ("ledger");
}
