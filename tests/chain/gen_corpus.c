/*  gen_corpus: the differential corpus of issue 16 item 3.  Builds a
    registry and evidence with the project's own code (the ledger test
    fixture: real Ed25519 votes, committees from src/proto), submits every
    evidence to an in-process nines-ledger, and writes the evidence with
    the ledger's verdicts, merged incidents and slashed totals as text for
    contracts/test/Differential.t.sol, which replays it into the contract.

      gen_corpus FILE     write the corpus to FILE
      gen_corpus --check FILE   exit 1 when FILE differs from the corpus
                                (meson unit test: the committed corpus in
                                contracts/test/vectors cannot drift)

    Line format (fields separated by one space, integers decimal, bytes hex):
      P genesis_ms epoch_ms committee              the parameters that differ per run
      V id stake                                   a validator, registry order
      D pod provider stake paid_until_ms           a pod (provider: index 0..2)
      M pod start_ms end_ms                        an honoured maintenance window
      E now_ms verdict reason has_up               one evidence and the ledger's verdict ("refused" and
                                                   the error's code when the request was: ok false)
      R kind pod epoch round t_ms committee        a report of it (committee: indexes, comma-separated)
      W member body r s                            a vote of the last R (member: committee position, 255 none)
      I pod t_down duration_ms slashed correlated  a row of the ledger's incidents query at the end
      S pod slashed                                the pod's slashed total at the end */
#include "ledger/ledger.h"
#include "client/ledger_client.h"
#include "evm/evidence.h"
#include "test_ledger_fixture.h"
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define S_ 1000ULL
#define M_ (60 * S_)
#define H_ (60 * M_)

static lfx_t F;
static char *out;                        /* the corpus, growing */
static size_t out_len, out_cap;

static void
emit (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

static void
emit (const char *fmt, ...)
{
    va_list ap;
    va_start (ap, fmt);
    char line [4096];
    int n = vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    if (n < 0 || (size_t) n >= sizeof line) {
        fprintf (stderr, "gen_corpus: line too long\n");
        exit (2);
    }
    if (out_len + (size_t) n + 1 > out_cap) {
        out_cap = 2 * (out_cap + (size_t) n + 1);
        out = realloc (out, out_cap);
        if (!out)
            exit (2);
    }
    memcpy (out + out_len, line, (size_t) n);
    out_len += (size_t) n;
}

static const char *
hex (const uint8_t *b, size_t n)
{
    static char buf [4][1024];
    static int k;
    char *s = buf [k++ % 4];
    for (size_t i = 0; i < n; i++)
        sprintf (s + 2 * i, "%02x", b [i]);
    return s;
}

static int
pod_index (const uint8_t *id)
{
    for (size_t i = 0; i < F.n_pods; i++)
        if (memcmp (F.pod [i], id, NINES_ID_BYTES) == 0)
            return (int) i;
    return -1;
}

/*  One report as the contract takes it (src/evm nines_evm_report_of): its
    committee as ascending registry indexes (the contract's, validators
    being registered in registry order), each vote's position in it (255
    when its signer is not a member). */
static void
emit_report (const nines_report_t *r)
{
    nines_evm_report_buf_t b;
    int rc = nines_evm_report_of (&b, r, F.reg, NULL);
    (void) rc;                          /* a non-member's vote is in the corpus on purpose */
    char com [1024] = "";
    for (size_t i = 0; i < b.report.n_committee; i++)
        snprintf (com + strlen (com), sizeof com - strlen (com), "%s%u", i ? "," : "", b.committee [i]);
    emit ("R %u %d %llu %s %llu %s\n", r->kind, pod_index (r->pod), (unsigned long long) r->epoch,
          hex (r->round_id, NINES_HASH_BYTES), (unsigned long long) r->t_ms, com);
    for (size_t v = 0; v < b.report.n_votes; v++)
        emit ("W %u %s %s %s\n", b.votes [v].member, hex (b.votes [v].body, b.votes [v].body_len),
              hex (b.votes [v].r, 32), hex (b.votes [v].s, 32));
}

static const msgpack_object *
get (const msgpack_object *o, const char *key)
{
    if (!o || o->type != MSGPACK_OBJECT_MAP)
        return NULL;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr [i];
        if (kv->key.type == MSGPACK_OBJECT_STR && kv->key.via.str.size == strlen (key)
        &&  memcmp (kv->key.via.str.ptr, key, strlen (key)) == 0)
            return &kv->val;
    }
    return NULL;
}

static uint64_t
u64 (const msgpack_object *o, const char *key)
{
    const msgpack_object *v = get (o, key);
    return v && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER ? v->via.u64 : 0;
}

static bool
boolean (const msgpack_object *o, const char *key)
{
    const msgpack_object *v = get (o, key);
    return v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
}

/*  Calls the ledger; the reply's top object is parsed into *u (destroy it). */
static const msgpack_object *
call (nines_ledger_t *l, uint8_t *req, size_t len, uint64_t now, msgpack_unpacked *u, uint8_t **buf)
{
    size_t rlen = 0, off = 0;
    *buf = NULL;
    if (!req || nines_ledger_handle (l, req, len, now, buf, &rlen)) {
        fprintf (stderr, "gen_corpus: ledger call failed\n");
        exit (2);
    }
    free (req);
    msgpack_unpacked_init (u);
    if (msgpack_unpack_next (u, (const char *) *buf, rlen, &off) != MSGPACK_UNPACK_SUCCESS) {
        fprintf (stderr, "gen_corpus: bad reply\n");
        exit (2);
    }
    return &u->data;
}

/*  Submits ev at now and writes it with the ledger's verdict. */
static void
submit (nines_ledger_t *l, const nines_evidence_t *ev, uint64_t now)
{
    size_t len;
    uint8_t *req = lfx_submit_req (&F, ev, &len), *buf;
    msgpack_unpacked u;
    const msgpack_object *o = call (l, req, len, now, &u, &buf);
    const msgpack_object *v = get (o, "verdict"), *why = get (o, "reason"), *err = get (o, "error");
    if (!v && err && err->type == MSGPACK_OBJECT_STR) {
        /* ok: false, the request refused: "refused" and the error's code */
        int n = 0;
        while (n < (int) err->via.str.size && err->via.str.ptr [n] != ':')
            n++;
        emit ("E %llu refused %.*s %d\n", (unsigned long long) now, n, err->via.str.ptr, ev->has_up ? 1 : 0);
    }
    else
        emit ("E %llu %.*s %.*s %d\n", (unsigned long long) now,
              v && v->type == MSGPACK_OBJECT_STR ? (int) v->via.str.size : 1, v && v->type == MSGPACK_OBJECT_STR ? v->via.str.ptr : "?",
              why && why->type == MSGPACK_OBJECT_STR ? (int) why->via.str.size : 1, why && why->type == MSGPACK_OBJECT_STR ? why->via.str.ptr : "-",
              ev->has_up ? 1 : 0);
    emit_report (&ev->down);
    if (ev->has_up)
        emit_report (&ev->up);
    msgpack_unpacked_destroy (&u);
    free (buf);
    nines_ledger_tick (l, now);
}

/*  Replaces the first `drop` bytes of a vote's signed body by `head` and
    appends `tail`, then signs it again with its validator's key: a body
    other than the one the C encoder writes, validly signed. */
static void
reencode (nines_vote_t *v, const char *head, size_t nh, size_t drop, const char *tail, size_t n_tail)
{
    uint8_t buf [NINES_VOTE_SIGNED_MAX];
    size_t len = nh + v->signed_len - drop + n_tail;
    if (len > sizeof buf) {
        fprintf (stderr, "gen_corpus: re-encoded vote too long\n");
        exit (2);
    }
    memcpy (buf, head, nh);
    memcpy (buf + nh, v->signed_bytes + drop, v->signed_len - drop);
    memcpy (buf + nh + v->signed_len - drop, tail, n_tail);
    memcpy (v->signed_bytes, buf, len);
    v->signed_len = (uint16_t) len;
    if (nines_sign (lfx_key (&F, v->body.validator), NINES_DOMAIN_VOTE, v->signed_bytes, len, v->sig)) {
        fprintf (stderr, "gen_corpus: cannot sign\n");
        exit (2);
    }
}

static void
evidence (nines_ledger_t *l, size_t pod, uint64_t t_down, uint64_t t_up, uint64_t now)
{
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, pod, t_down, t_up);
    submit (l, ev, now);
    free (ev);
}

int
main (int argc, char **argv)
{
    bool check = argc == 3 && strcmp (argv [1], "--check") == 0;
    if (argc != 2 && !check) {
        fprintf (stderr, "usage: gen_corpus [--check] FILE\n");
        return 2;
    }
    const char *path = argv [argc - 1];
    const uint64_t T = LFX_T0;
    lfx_init (&F, 12, 4, 3, 7);
    /* pod 2 is paid until T + 30 min; pod 3 has maintenance [T + 10 min, T + 40 min) */
    nines_pod_info_t p2 = *nines_registry_pod (F.reg, F.pod [2]);
    nines_pod_info_t p3 = *nines_registry_pod (F.reg, F.pod [3]);
    p2.paid_until_ms = T + 30 * M_;
    p3.n_maint = 1;
    p3.maint [0] = (nines_maint_t) { .start_ms = T + 10 * M_, .end_ms = T + 40 * M_, .announced_ms = T - 2 * 24 * H_ };
    nines_registry_put_pod (F.reg, &p2);        /* registry records are compact: put, not edit */
    nines_registry_put_pod (F.reg, &p3);
    const nines_params_t *pa = &F.reg->params;
    emit ("# issue 16 differential corpus, written by tests/chain/gen_corpus.c: do not edit\n");
    emit ("P %llu %llu %u\n", (unsigned long long) pa->genesis_ms, (unsigned long long) pa->epoch_ms, pa->committee);
    for (size_t i = 0; i < F.reg->n_validators; i++)
        emit ("V %s %llu\n", hex (F.reg->validators [i].id, NINES_ID_BYTES), (unsigned long long) F.reg->validators [i].stake);
    for (size_t i = 0; i < F.n_pods; i++) {
        const nines_pod_info_t *p = nines_registry_pod (F.reg, F.pod [i]);
        emit ("D %s %zu %llu %llu\n", hex (F.pod [i], NINES_ID_BYTES), i % F.n_providers,
              (unsigned long long) p->stake, (unsigned long long) p->paid_until_ms);
        for (size_t k = 0; k < p->n_maint; k++)
            emit ("M %zu %llu %llu\n", i, (unsigned long long) p->maint [k].start_ms, (unsigned long long) p->maint [k].end_ms);
    }
    char dir [] = "/tmp/nines-gen-corpus-XXXXXX", err [256] = "";
    if (!mkdtemp (dir))
        return 2;
    nines_keypair_t lk;
    uint8_t seed [32] = { 'L' };
    nines_keypair_from_seed (&lk, seed);
    nines_ledger_t *l = nines_ledger_open (dir, F.reg, &lk, err, sizeof err);
    if (!l) {
        fprintf (stderr, "gen_corpus: %s\n", err);
        return 2;
    }
    /* a 2 h outage, then a 10 min one 20 min later: merged */
    evidence (l, 0, T, T + 2 * H_, T + 2 * H_ + S_);
    evidence (l, 0, T + 2 * H_ + 20 * M_, T + 2 * H_ + 30 * M_, T + 2 * H_ + 30 * M_ + S_);
    /* under grace */
    evidence (l, 1, T + H_, T + H_ + 30 * S_, T + H_ + 31 * S_);
    /* open, re-confirmed 10 min later, then closed at 1 h by a later round's evidence */
    evidence (l, 1, T + 5 * H_, 0, T + 5 * H_ + S_);
    evidence (l, 1, T + 5 * H_ + 10 * M_, 0, T + 5 * H_ + 10 * M_ + S_);
    evidence (l, 1, T + 5 * H_ + 20 * M_, T + 6 * H_, T + 6 * H_ + S_);
    /* clipped at paid_until; minus maintenance */
    evidence (l, 2, T, T + H_, T + H_ + 2 * S_);
    evidence (l, 3, T, T + H_, T + H_ + 3 * S_);
    /* a correlated outage: pods 0, 1, 2 of three providers within 2 min */
    for (size_t i = 0; i < 3; i++)
        evidence (l, i, T + 20 * H_ + i * M_, T + 21 * H_ + i * M_, T + 21 * H_ + i * M_ + S_);
    /* a forged vote: one byte of vote 2's signature changed */
    nines_evidence_t *ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 3, T + 30 * H_, T + 32 * H_);
    ev->down.votes [2].sig [5] ^= 0x01;
    submit (l, ev, T + 32 * H_ + S_);
    /* a signer outside the committee: vote 0 re-signed by a non-member */
    lfx_evidence (&F, ev, 3, T + 40 * H_, T + 41 * H_);
    const nines_validator_info_t *members [NINES_REPORT_MAX_VOTES];
    size_t n = nines_registry_committee (F.reg, F.pod [3], ev->down.epoch, 7, members, NULL);
    for (size_t i = 0; i < F.n_validators; i++) {
        bool member = false;
        for (size_t j = 0; j < n; j++)
            member = member || memcmp (members [j]->id, F.validator [i].pk, NINES_ID_BYTES) == 0;
        if (!member) {
            memcpy (ev->down.votes [0].body.validator, F.validator [i].pk, NINES_ID_BYTES);
            nines_vote_sign (&ev->down.votes [0], &F.validator [i]);
            break;
        }
    }
    submit (l, ev, T + 41 * H_ + S_);
    /* the first evidence again: a duplicate */
    lfx_evidence (&F, ev, 0, T, T + 2 * H_);
    submit (l, ev, T + 42 * H_);
    free (ev);
    /* paid, then a DOWN delivered late with an earlier time merges into it
       as its first DOWN: S(65 min) in all, not S(60 min) twice */
    evidence (l, 3, T + 44 * H_ + 10 * M_, T + 45 * H_ + 10 * M_, T + 45 * H_ + 10 * M_ + S_);
    evidence (l, 3, T + 44 * H_, T + 44 * H_ + 5 * M_, T + 46 * H_);
    /* vote bodies re-encoded and validly re-signed: one with a byte after
       the object (the C decoder refuses it), one whose 9-element array is
       an array 16 and whose round id a bin 16 (msgpack-c reads the same
       values: accepted) */
    ev = malloc (sizeof *ev);
    lfx_evidence (&F, ev, 3, T + 47 * H_, T + 48 * H_);
    reencode (&ev->down.votes [1], "", 0, 0, "\x00", 1);
    submit (l, ev, T + 48 * H_ + S_);
    lfx_evidence (&F, ev, 3, T + 47 * H_, T + 48 * H_);
    reencode (&ev->up.votes [2], "\xdc\x00\x09\xc5\x00\x20", 6, 3, "", 0);
    submit (l, ev, T + 48 * H_ + 2 * S_);
    free (ev);
    /* the end: everything settled */
    uint64_t end = T + 50 * H_;
    nines_ledger_tick (l, end);
    uint8_t *req, *buf;
    size_t len;
    msgpack_unpacked u;
    nines_ledger_req_simple (NINES_LEDGER_OP_INCIDENTS, NULL, &req, &len);
    const msgpack_object *o = call (l, req, len, end, &u, &buf), *rows = get (o, "rows");
    for (uint32_t i = 0; rows && rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size; i++) {
        const msgpack_object *r = &rows->via.array.ptr [i], *pod = get (r, "pod");
        emit ("I %d %llu %llu %llu %d\n", pod && pod->type == MSGPACK_OBJECT_BIN ? pod_index ((const uint8_t *) pod->via.bin.ptr) : -1,
              (unsigned long long) u64 (r, "t_down"), (unsigned long long) u64 (r, "duration_ms"),
              (unsigned long long) u64 (r, "slashed"), boolean (r, "correlated") ? 1 : 0);
    }
    msgpack_unpacked_destroy (&u);
    free (buf);
    nines_ledger_req_simple (NINES_LEDGER_OP_PODS, NULL, &req, &len);
    o = call (l, req, len, end, &u, &buf);
    rows = get (o, "rows");
    for (uint32_t i = 0; rows && rows->type == MSGPACK_OBJECT_ARRAY && i < rows->via.array.size; i++) {
        const msgpack_object *r = &rows->via.array.ptr [i], *pod = get (r, "pod");
        emit ("S %d %llu\n", pod && pod->type == MSGPACK_OBJECT_BIN ? pod_index ((const uint8_t *) pod->via.bin.ptr) : -1,
              (unsigned long long) u64 (r, "slashed"));
    }
    msgpack_unpacked_destroy (&u);
    free (buf);
    nines_ledger_destroy (&l);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    if (system (cmd)) { /* best effort */ }
    lfx_fini (&F);
    if (check) {
        FILE *f = fopen (path, "rb");
        char *have = malloc (out_len + 2);
        size_t got = f && have ? fread (have, 1, out_len + 1, f) : 0;
        bool same = got == out_len && memcmp (have, out, out_len) == 0;
        if (f)
            fclose (f);
        free (have);
        if (!same)
            fprintf (stderr, "gen_corpus: %s differs from the corpus the code writes now: regenerate it with gen_corpus %s\n", path, path);
        free (out);
        return same ? 0 : 1;
    }
    FILE *f = fopen (path, "wb");
    if (!f || fwrite (out, 1, out_len, f) != out_len || fclose (f)) {
        fprintf (stderr, "gen_corpus: cannot write %s\n", path);
        return 2;
    }
    free (out);
    return 0;
}
