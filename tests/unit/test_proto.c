/*  Protocol test vectors (proto/vectors.txt, described in proto/PROTOCOL.md).

    Every vector is built here from fixed seeds: key pairs, a registry of ten
    validators and one pod, one of each message and its signature.  Three
    modes:

        test_proto                  check proto/vectors.txt both ways:
                                    (1) encoding the fixtures reproduces
                                        every line of the file;
                                    (2) decoding the hex read from the file
                                        gives the fixture's fields and every
                                        signature in it verifies.
        test_proto --generate       print the vectors (to regenerate the file:
                                    build/tests/unit/test_proto --generate > proto/vectors.txt)
        test_proto --corpus DIR     write the fuzzers' seed inputs into
                                    DIR/<target>/ (tests/fuzz/corpus)

    The file is found through NINES_SOURCE_ROOT (set by meson) or argv[1]. */
#include "proto/committee.h"
#include "proto/ids.h"
#include "proto/registry.h"
#include "client/registry_file.h"
#include "wire/wire.h"
#include "testutil.h"
#include <errno.h>
#include <stdarg.h>
#include <msgpack.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_VALIDATORS 10
#define T0_MS        1700000000000ULL   /* the DOWN round's observation time */
#define T1_MS        1700003600000ULL   /* the UP round's, one hour later */
#define DRAW_M       17                 /* pods assumed by the sortition.*.pods vectors */

/*  ---- fixtures ---- */

typedef struct {
    nines_keypair_t v [N_VALIDATORS];   /* validators, seed k+1 repeated */
    nines_keypair_t facade;             /* facade key, seed 0xfa repeated */
    nines_keypair_t provider;           /* provider key, seed 0xbe repeated */
    uint8_t pod [NINES_ID_BYTES];       /* pod id, 0xb0 repeated */
    nines_registry_t *reg;              /* params + validators + pod */
    nines_hb_req_t hb_req;              /* validator 0's heartbeat */
    char hb_req_value [NINES_HB_VALUE_MAX];
    nines_hb_resp_t hb_resp;            /* the facade's answer */
    char hb_resp_value [NINES_HB_VALUE_MAX];
    uint64_t epoch_down, epoch_up;      /* epochs of the two rounds */
    uint8_t seed_down [NINES_HASH_BYTES];/* epoch seed of epoch_down */
    uint8_t round_nonce_down [16], round_nonce_up [16];
    size_t n_committee_down, n_committee_up;
    uint32_t committee_down [16];       /* indexes into v[] */
    uint32_t committee_up [16];
    nines_report_t *down;               /* DOWN report */
    nines_report_t *up;                 /* UP report, votes carry proofs */
    nines_evidence_t *ev;               /* down + up */
    nines_peer_msg_t *msgs [NINES_MSG_TYPE_MAX + 1];   /* one per type */
} fixtures_t;

static fixtures_t F;

static int
s_index_of (const uint8_t id [NINES_ID_BYTES])
{
    for (int k = 0; k < N_VALIDATORS; k++)
        if (memcmp (F.v [k].pk, id, NINES_ID_BYTES) == 0)
            return k;
    return -1;
}

/*  A signed vote by validator k. */
static void
s_vote (nines_vote_t *vote, int k, const uint8_t round_id [32], uint64_t epoch,
        uint8_t verdict, uint8_t outcome, uint64_t t_ms, bool proof)
{
    memset (vote, 0, sizeof *vote);
    memcpy (vote->body.round_id, round_id, NINES_HASH_BYTES);
    memcpy (vote->body.pod, F.pod, NINES_ID_BYTES);
    vote->body.epoch = epoch;
    memcpy (vote->body.validator, F.v [k].pk, NINES_ID_BYTES);
    vote->body.verdict = verdict;
    vote->body.outcome = outcome;
    vote->body.t_ms = t_ms;
    /* The heartbeats the verdict rests on: four failed ones 700 ms apart
       for `down`, one `ok` for `up` (PROTOCOL.md 8.1). */
    vote->body.n_attempts = verdict == NINES_VERDICT_DOWN ? 4 : 1;
    for (uint8_t j = 0; j < vote->body.n_attempts; j++) {
        vote->body.attempts [j].age_ms = 700u * (vote->body.n_attempts - 1 - j) + 20;
        vote->body.attempts [j].outcome = verdict == NINES_VERDICT_DOWN ? outcome : NINES_OUTCOME_OK;
    }
    if (proof) {
        /* The member's own heartbeat and the facade's signed answer. */
        nines_hb_req_t req;
        char value [NINES_HB_VALUE_MAX];
        uint8_t nonce [NINES_NONCE_BYTES];
        for (int i = 0; i < NINES_NONCE_BYTES; i++)
            nonce [i] = (uint8_t) (0x40 + 16 * k + i);
        CHECK_RC (nines_hb_req_make (&F.v [k], F.pod, nonce, t_ms - 20, &req, value, sizeof value), 0);
        vote->body.has_proof = true;
        memcpy (vote->body.proof_nonce, nonce, NINES_NONCE_BYTES);
        vote->body.proof_t_ms = t_ms - 20;
        CHECK_RC (nines_hb_resp_make (&F.facade, &req, 200, 1500 + (uint32_t) k, &vote->body.proof,
                                      value, sizeof value), 0);
    }
    CHECK_RC (nines_vote_sign (vote, &F.v [k]), 0);
}

/*  A report of the given kind: votes from the committee in rank order until
    the agreeing weight reaches theta. */
static nines_report_t *
s_report (uint8_t kind, uint64_t epoch, const uint8_t nonce [16], uint64_t t_ms,
          const uint32_t *committee, size_t n_committee)
{
    nines_report_t *r = calloc (1, sizeof *r);
    r->kind = kind;
    memcpy (r->pod, F.pod, NINES_ID_BYTES);
    r->epoch = epoch;
    nines_round_id (r->round_id, F.pod, epoch, F.v [0].pk, nonce);
    uint64_t total = 0, agree = 0;
    for (size_t i = 0; i < n_committee; i++)
        total += nines_validator_weight (nines_registry_validator (F.reg, F.v [committee [i]].pk));
    uint64_t times [16];
    for (size_t i = 0; i < n_committee && !nines_quorum_reached (agree, total, F.reg->params.theta_ppm); i++) {
        int k = (int) committee [i];
        bool up = kind == NINES_REPORT_UP;
        times [i] = t_ms + 100 * (uint64_t) (i + 1);
        s_vote (&r->votes [r->n_votes++], k, r->round_id, epoch,
                up ? NINES_VERDICT_UP : NINES_VERDICT_DOWN,
                up ? NINES_OUTCOME_OK : NINES_OUTCOME_TIMEOUT, times [i], up);
        agree += nines_validator_weight (nines_registry_validator (F.reg, F.v [k].pk));
    }
    r->t_ms = times [r->n_votes / 2];       /* median of ascending times */
    return r;
}

static void
s_fixtures (void)
{
    nines_crypto_init ();
    uint8_t seed [NINES_SEED_BYTES];
    for (int k = 0; k < N_VALIDATORS; k++) {
        memset (seed, k + 1, sizeof seed);
        nines_keypair_from_seed (&F.v [k], seed);
    }
    memset (seed, 0xfa, sizeof seed);
    nines_keypair_from_seed (&F.facade, seed);
    memset (seed, 0xbe, sizeof seed);
    nines_keypair_from_seed (&F.provider, seed);
    memset (F.pod, 0xb0, sizeof F.pod);

    F.reg = nines_registry_new ();
    nines_params_default (&F.reg->params);
    for (int i = 0; i < 32; i++)
        F.reg->params.genesis_seed [i] = (uint8_t) i;
    for (int k = 0; k < N_VALIDATORS; k++) {
        nines_validator_info_t v;
        memset (&v, 0, sizeof v);
        memcpy (v.id, F.v [k].pk, NINES_ID_BYTES);
        v.stake = 1000000ULL * (uint64_t) (k + 1);
        snprintf (v.endpoint, sizeof v.endpoint, "tcp://127.0.0.1:%d", 7410 + k);
        nines_registry_put_validator (F.reg, &v);
    }
    nines_pod_info_t p;
    memset (&p, 0, sizeof p);
    memcpy (p.pod, F.pod, NINES_ID_BYTES);
    memcpy (p.provider, F.provider.pk, NINES_ID_BYTES);
    strcpy (p.facade_url, "https://127.0.0.1:8443/");
    p.n_facade_keys = 1;
    memcpy (p.facade_keys [0], F.facade.pk, NINES_ID_BYTES);
    p.n_spki_pins = 2;                      /* current and next (rotation) */
    memset (p.spki_pins [0], 0x5b, sizeof p.spki_pins [0]);
    memset (p.spki_pins [1], 0x5c, sizeof p.spki_pins [1]);
    p.stake = 50000000;
    p.paid_until_ms = 1735689600000ULL;
    strcpy (p.method, "GET");
    strcpy (p.path, "/");
    p.n_maint = 1;
    p.maint [0].start_ms = 1700100000000ULL;
    p.maint [0].end_ms = 1700103600000ULL;
    p.maint [0].announced_ms = 1699900000000ULL;
    nines_registry_put_pod (F.reg, &p);

    uint8_t nonce [NINES_NONCE_BYTES];
    for (int i = 0; i < NINES_NONCE_BYTES; i++)
        nonce [i] = (uint8_t) i;
    CHECK_RC (nines_hb_req_make (&F.v [0], F.pod, nonce, T0_MS, &F.hb_req,
                                 F.hb_req_value, sizeof F.hb_req_value), 0);
    CHECK_RC (nines_hb_resp_make (&F.facade, &F.hb_req, 503, 2500, &F.hb_resp,
                                  F.hb_resp_value, sizeof F.hb_resp_value), 0);

    const nines_params_t *pa = &F.reg->params;
    F.epoch_down = nines_epoch_of (T0_MS, pa->genesis_ms, pa->epoch_ms);
    F.epoch_up = nines_epoch_of (T1_MS, pa->genesis_ms, pa->epoch_ms);
    nines_epoch_seed (F.seed_down, pa->genesis_seed, F.epoch_down);
    uint8_t seed_up [NINES_HASH_BYTES];
    nines_epoch_seed (seed_up, pa->genesis_seed, F.epoch_up);
    uint8_t ids [N_VALIDATORS][NINES_ID_BYTES];
    for (int k = 0; k < N_VALIDATORS; k++)
        memcpy (ids [k], F.v [k].pk, NINES_ID_BYTES);
    F.n_committee_down = nines_committee (F.seed_down, F.pod, (const uint8_t (*) [32]) ids,
                                          N_VALIDATORS, pa->committee, F.committee_down);
    F.n_committee_up = nines_committee (seed_up, F.pod, (const uint8_t (*) [32]) ids,
                                        N_VALIDATORS, pa->committee, F.committee_up);
    for (int i = 0; i < 16; i++) {
        F.round_nonce_down [i] = (uint8_t) (0xd0 + i);
        F.round_nonce_up [i] = (uint8_t) (0xe0 + i);
    }
    F.down = s_report (NINES_REPORT_DOWN, F.epoch_down, F.round_nonce_down, T0_MS,
                       F.committee_down, F.n_committee_down);
    F.up = s_report (NINES_REPORT_UP, F.epoch_up, F.round_nonce_up, T1_MS,
                     F.committee_up, F.n_committee_up);
    F.ev = calloc (1, sizeof *F.ev);
    memcpy (F.ev->pod, F.pod, NINES_ID_BYTES);
    F.ev->down = *F.down;
    F.ev->has_up = true;
    F.ev->up = *F.up;

    /* One peer message of each type, all from validator 0 (validator 1 for
       the vote), the PING carrying two piggybacked membership updates. */
    for (int t = NINES_MSG_PING; t <= NINES_MSG_TYPE_MAX; t++) {
        nines_peer_msg_t *m = F.msgs [t] = calloc (1, sizeof *m);
        m->type = (uint8_t) t;
        memcpy (m->from, F.v [0].pk, NINES_ID_BYTES);
        switch (t) {
            case NINES_MSG_PING:
                m->u.ping.seq = 1;
                memcpy (m->u.ping.target, F.v [1].pk, NINES_ID_BYTES);
                m->n_updates = 2;
                memcpy (m->updates [0].id, F.v [2].pk, NINES_ID_BYTES);
                m->updates [0].state = NINES_MEMBER_SUSPECT;
                m->updates [0].incarnation = 3;
                memcpy (m->updates [1].id, F.v [0].pk, NINES_ID_BYTES);
                m->updates [1].state = NINES_MEMBER_ALIVE;
                m->updates [1].incarnation = 4;
                break;
            case NINES_MSG_PING_REQ:
                m->u.ping.seq = 2;
                memcpy (m->u.ping.target, F.v [2].pk, NINES_ID_BYTES);
                break;
            case NINES_MSG_ACK:
                m->u.ping.seq = 1;
                memcpy (m->u.ping.target, F.v [0].pk, NINES_ID_BYTES);
                memcpy (m->from, F.v [1].pk, NINES_ID_BYTES);
                break;
            case NINES_MSG_CONFIRM_REQ:
                memcpy (m->u.confirm.round_id, F.down->round_id, NINES_HASH_BYTES);
                memcpy (m->u.confirm.pod, F.pod, NINES_ID_BYTES);
                m->u.confirm.epoch = F.epoch_down;
                memcpy (m->u.confirm.initiator, F.v [0].pk, NINES_ID_BYTES);
                m->u.confirm.t_ms = T0_MS;
                m->u.confirm.outcome = NINES_OUTCOME_TIMEOUT;
                break;
            case NINES_MSG_VOTE:
                m->u.vote = F.down->votes [0];
                memcpy (m->from, m->u.vote.body.validator, NINES_ID_BYTES);
                break;
            case NINES_MSG_REPORT:
                m->u.report = *F.down;
                break;
            case NINES_MSG_MISBEHAVIOUR: {
                /* The first DOWN voter also signed an UP vote in that round. */
                int k = s_index_of (F.down->votes [0].body.validator);
                m->u.misbehaviour.a = F.down->votes [0];
                s_vote (&m->u.misbehaviour.b, k, F.down->round_id, F.epoch_down,
                        NINES_VERDICT_UP, NINES_OUTCOME_OK, T0_MS + 150, false);
                break;
            }
        }
    }
}

static void
s_fixtures_free (void)
{
    for (int t = 0; t <= NINES_MSG_TYPE_MAX; t++)
        free (F.msgs [t]);
    free (F.down);
    free (F.up);
    free (F.ev);
    nines_registry_destroy (&F.reg);
}

/*  D(j) of PROTOCOL.md section 5, computed here from the text (not by
    src/proto/committee.c): the first 8 bytes, little-endian, of
    BLAKE2b-256(seed || v || le32(j)). */
static uint64_t
s_draw_hash (const uint8_t seed [32], const uint8_t v [32], uint32_t j)
{
    uint8_t le [4] = { (uint8_t) j, (uint8_t) (j >> 8), (uint8_t) (j >> 16), (uint8_t) (j >> 24) }, h [32];
    nines_hash (h, 3, seed, (size_t) 32, v, (size_t) 32, le, sizeof le);
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--)
        x = x << 8 | h [i];
    return x;
}

/*  ---- encodings ---- */

static uint8_t s_buf [NINES_EVIDENCE_MAX];

typedef struct { uint8_t *data; size_t len; } blob_t;

static blob_t
s_blob (const uint8_t *data, size_t len)
{
    blob_t b = { malloc (len ? len : 1), len };
    memcpy (b.data, data, len);
    return b;
}

static blob_t
s_enc_msg (int type)
{
    size_t len = 0;
    CHECK_RC (nines_peer_msg_encode (F.msgs [type], s_buf, sizeof s_buf, &len), 0);
    return s_blob (s_buf, len);
}

static blob_t
s_enc_report (const nines_report_t *r)
{
    size_t len = 0;
    CHECK_RC (nines_report_encode (r, s_buf, sizeof s_buf, &len), 0);
    return s_blob (s_buf, len);
}

static blob_t
s_enc_evidence (const nines_evidence_t *ev)
{
    size_t len = 0;
    CHECK_RC (nines_evidence_encode (ev, s_buf, sizeof s_buf, &len), 0);
    return s_blob (s_buf, len);
}

static blob_t
s_enc_validator (int k)
{
    size_t len = 0;
    CHECK_RC (nines_validator_info_encode (nines_registry_validator (F.reg, F.v [k].pk),
                                           s_buf, sizeof s_buf, &len), 0);
    return s_blob (s_buf, len);
}

static blob_t
s_enc_pod (void)
{
    size_t len = 0;
    CHECK_RC (nines_pod_info_encode (nines_registry_pod (F.reg, F.pod), s_buf, sizeof s_buf, &len), 0);
    return s_blob (s_buf, len);
}

static blob_t
s_enc_params (void)
{
    size_t len = 0;
    CHECK_RC (nines_params_encode (&F.reg->params, s_buf, sizeof s_buf, &len), 0);
    return s_blob (s_buf, len);
}

/*  Query request maps, packed with msgpack-c in the order given. */
static blob_t
s_enc_query (int which)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    if (which == 0) {
        msgpack_pack_map (&pk, 1);
        nines_pack_kv_str (&pk, "op", "status");
    }
    else {
        msgpack_pack_map (&pk, 4);
        nines_pack_kv_str (&pk, "op", "reports");
        nines_pack_kv_bin (&pk, "pod", F.pod, NINES_ID_BYTES);
        nines_pack_kv_u64 (&pk, "limit", 10);
        nines_pack_kv_bool (&pk, "open", true);
    }
    blob_t b = s_blob ((uint8_t *) sb.data, sb.size);
    msgpack_sbuffer_destroy (&sb);
    return b;
}

static blob_t
s_enc_reply_error (void)
{
    uint8_t *out = NULL;
    size_t len = 0;
    CHECK_RC (nines_reply_unknown_op ("x", &out, &len), 0);
    blob_t b = s_blob (out, len);
    free (out);
    return b;
}

/*  ---- the vectors text ---- */

typedef struct {
    char **lines;               /* "name = value" lines, comments dropped */
    size_t n;
} lines_t;

static void
s_out (FILE *f, lines_t *keep, const char *fmt, ...)
{
    char line [16384];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (line, sizeof line, fmt, ap);
    va_end (ap);
    if (f)
        fprintf (f, "%s\n", line);
    if (keep && line [0] && line [0] != '#') {
        keep->lines = realloc (keep->lines, (keep->n + 1) * sizeof *keep->lines);
        keep->lines [keep->n++] = strdup (line);
    }
}

static const char *
s_hex (const uint8_t *data, size_t len)
{
    static char text [2][2 * NINES_EVIDENCE_MAX + 1];     /* hex */
    static int which = 0;
    which ^= 1;
    return nines_hex (text [which], data, len);
}

static void
s_out_blob (FILE *f, lines_t *keep, const char *name, blob_t b)
{
    char *hex = malloc (2 * b.len + 1);
    nines_hex (hex, b.data, b.len);
    s_out (f, keep, "%s = %s", name, hex);
    free (hex);
    free (b.data);
}

static void
s_out_vote (FILE *f, lines_t *keep, const char *name, const nines_vote_t *vote)
{
    s_out (f, keep, "%s.signed = %s", name, s_hex (vote->signed_bytes, vote->signed_len));
    s_out (f, keep, "%s.sig = %s", name, s_hex (vote->sig, NINES_SIG_BYTES));
}

/*  Write every vector.  Lines are "name = value": hex for bytes, decimal
    for integers, text for header values.  Comments start with '#'. */
static void
s_vectors (FILE *f, lines_t *keep)
{
    s_out (f, keep, "# nines protocol test vectors, v1 (proto/PROTOCOL.md section 12).");
    s_out (f, keep, "# Generated by tests/unit/test_proto.c --generate; checked both ways by the");
    s_out (f, keep, "# 'proto' unit test.  Lines are `name = value`: hex for bytes, decimal for");
    s_out (f, keep, "# integers, text for header values.  Times are Unix ms.");
    s_out (f, keep, "");
    s_out (f, keep, "# -- keys: Ed25519 from 32-byte seeds (libsodium crypto_sign_seed_keypair);");
    s_out (f, keep, "#    curve = crypto_sign_ed25519_pk_to_curve25519 (the CurveZMQ public key)");
    for (int k = 0; k < N_VALIDATORS; k++) {
        uint8_t seed [32], cpk [32], csk [32];
        memset (seed, k + 1, sizeof seed);
        nines_keypair_curve (&F.v [k], cpk, csk);
        s_out (f, keep, "key.validator%d.seed = %s", k, s_hex (seed, 32));
        s_out (f, keep, "key.validator%d.id = %s", k, s_hex (F.v [k].pk, 32));
        s_out (f, keep, "key.validator%d.curve = %s", k, s_hex (cpk, 32));
    }
    uint8_t seed [32];
    memset (seed, 0xfa, sizeof seed);
    s_out (f, keep, "key.facade.seed = %s", s_hex (seed, 32));
    s_out (f, keep, "key.facade.id = %s", s_hex (F.facade.pk, 32));
    memset (seed, 0xbe, sizeof seed);
    s_out (f, keep, "key.provider.seed = %s", s_hex (seed, 32));
    s_out (f, keep, "key.provider.id = %s", s_hex (F.provider.pk, 32));
    s_out (f, keep, "pod.id = %s", s_hex (F.pod, 32));
    s_out (f, keep, "");

    s_out (f, keep, "# -- a plain domain-separated signature: Ed25519 by validator0 over");
    s_out (f, keep, "#    \"nines/vote/v1\" || \"hello\"");
    uint8_t sig [NINES_SIG_BYTES];
    nines_sign (&F.v [0], NINES_DOMAIN_VOTE, (const uint8_t *) "hello", 5, sig);
    s_out (f, keep, "sign.hello.sig = %s", s_hex (sig, 64));
    s_out (f, keep, "");

    s_out (f, keep, "# -- registry: validator k has stake (k+1) * 1000000, endpoint tcp://127.0.0.1:(7410+k);");
    s_out (f, keep, "#    params are the defaults except genesis_seed = 00 01 .. 1f");
    for (int k = 0; k < N_VALIDATORS; k++) {
        char name [64];
        snprintf (name, sizeof name, "registry.validator%d", k);
        s_out_blob (f, keep, name, s_enc_validator (k));
    }
    s_out_blob (f, keep, "registry.pod", s_enc_pod ());
    s_out_blob (f, keep, "registry.params", s_enc_params ());
    s_out (f, keep, "");

    s_out (f, keep, "# -- epochs, sortition, committee (genesis 0, epoch 10 s, r 3, C 7)");
    s_out (f, keep, "epoch.t_ms = %llu", (unsigned long long) T0_MS);
    s_out (f, keep, "epoch.number = %llu", (unsigned long long) F.epoch_down);
    s_out (f, keep, "epoch.seed = %s", s_hex (F.seed_down, 32));
    for (int k = 0; k < N_VALIDATORS; k++) {
        uint64_t rank = nines_rank (F.seed_down, F.pod, F.v [k].pk);
        s_out (f, keep, "sortition.validator%d.rank = %llu", k, (unsigned long long) rank);
        s_out (f, keep, "sortition.validator%d.probes = %d", k,
               nines_sortition (rank, F.reg->params.r, N_VALIDATORS) ? 1 : 0);
    }
    s_out (f, keep, "# -- validator-driven draws (section 5) with n = 10 eligible validators and");
    s_out (f, keep, "#    m = %d pods, r = 3: D(j) = H64(seed || v || le32(j)), u = (D(2^32-1) * n) >> 64,", DRAW_M);
    s_out (f, keep, "#    draws = floor(r m / n) + [u < r m mod n], draw j selects pod index (D(j) * m) >> 64");
    s_out (f, keep, "sortition.m = %d", DRAW_M);
    for (int k = 0; k < N_VALIDATORS; k++) {
        const uint8_t *v = F.v [k].pk;
        uint32_t draws = nines_sortition_draws (F.seed_down, v, F.reg->params.r, N_VALIDATORS, DRAW_M);
        s_out (f, keep, "sortition.validator%d.d0 = %llu", k, (unsigned long long) s_draw_hash (F.seed_down, v, 0));
        s_out (f, keep, "sortition.validator%d.u = %llu", k, (unsigned long long)
               (((unsigned __int128) s_draw_hash (F.seed_down, v, UINT32_MAX) * N_VALIDATORS) >> 64));
        s_out (f, keep, "sortition.validator%d.draws = %u", k, draws);
        char picks [256] = "";
        for (uint32_t j = 0; j < draws; j++)
            snprintf (picks + strlen (picks), sizeof picks - strlen (picks), "%s%u", j ? " " : "",
                      nines_sortition_pod (F.seed_down, v, j, DRAW_M));
        s_out (f, keep, "sortition.validator%d.pods = %s", k, picks);
    }
    char list [256] = "";
    for (size_t i = 0; i < F.n_committee_down; i++)
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%u", i ? " " : "",
                  F.committee_down [i]);
    s_out (f, keep, "committee.epoch%llu = %s", (unsigned long long) F.epoch_down, list);
    list [0] = 0;
    for (size_t i = 0; i < F.n_committee_up; i++)
        snprintf (list + strlen (list), sizeof list - strlen (list), "%s%u", i ? " " : "",
                  F.committee_up [i]);
    s_out (f, keep, "committee.epoch%llu = %s", (unsigned long long) F.epoch_up, list);
    s_out (f, keep, "round.nonce = %s", s_hex (F.round_nonce_down, 16));
    s_out (f, keep, "round.id = %s", s_hex (F.down->round_id, 32));
    s_out (f, keep, "");

    s_out (f, keep, "# -- heartbeat headers: validator0 -> pod, nonce 00..0f, t_ms %llu;",
           (unsigned long long) T0_MS);
    s_out (f, keep, "#    facade answers app_status 503, app_latency_us 2500");
    s_out (f, keep, "hb.req.sig = %s", s_hex (F.hb_req.sig, 64));
    s_out (f, keep, "hb.req.value = %s", F.hb_req_value);
    s_out (f, keep, "hb.resp.sig = %s", s_hex (F.hb_resp.sig, 64));
    s_out (f, keep, "hb.resp.value = %s", F.hb_resp_value);
    s_out (f, keep, "");

    s_out (f, keep, "# -- votes: the first DOWN vote (no proof) and the first UP vote (with proof)");
    s_out_vote (f, keep, "vote.down", &F.down->votes [0]);
    s_out_vote (f, keep, "vote.up", &F.up->votes [0]);
    s_out (f, keep, "");

    s_out (f, keep, "# -- peer messages, one frame each");
    static const char *names [] = { "", "ping", "ping_req", "ack", "confirm_req", "vote", "report", "misbehaviour" };
    for (int t = NINES_MSG_PING; t <= NINES_MSG_TYPE_MAX; t++) {
        char name [64];
        snprintf (name, sizeof name, "msg.%s", names [t]);
        s_out_blob (f, keep, name, s_enc_msg (t));
    }
    s_out (f, keep, "");

    s_out (f, keep, "# -- reports, their ids, and the evidence (DOWN + UP) with its id");
    uint8_t id [NINES_HASH_BYTES];
    s_out_blob (f, keep, "report.down", s_enc_report (F.down));
    nines_report_id (F.down, id);
    s_out (f, keep, "report.down.id = %s", s_hex (id, 32));
    s_out_blob (f, keep, "report.up", s_enc_report (F.up));
    nines_report_id (F.up, id);
    s_out (f, keep, "report.up.id = %s", s_hex (id, 32));
    s_out_blob (f, keep, "evidence", s_enc_evidence (F.ev));
    nines_evidence_id (F.ev, id);
    s_out (f, keep, "evidence.id = %s", s_hex (id, 32));
    s_out (f, keep, "");

    s_out (f, keep, "# -- query maps: {op: status}; {op: reports, pod, limit: 10, open: true};");
    s_out (f, keep, "#    the error reply of both servers to {op: \"x\"}:");
    s_out (f, keep, "#    {ok: false, error: \"NINES_EINVAL: unknown op 'x'\"}");
    s_out_blob (f, keep, "query.status", s_enc_query (0));
    s_out_blob (f, keep, "query.reports", s_enc_query (1));
    s_out_blob (f, keep, "reply.error", s_enc_reply_error ());
}

/*  ---- checking ---- */

static lines_t
s_read_file (const char *path)
{
    lines_t file = { NULL, 0 };
    FILE *f = fopen (path, "r");
    if (!f) {
        fprintf (stderr, "test_proto: cannot read %s\n", path);
        return file;
    }
    static char line [1 << 18];
    while (fgets (line, sizeof line, f)) {
        line [strcspn (line, "\n")] = 0;
        if (line [0] && line [0] != '#')
            s_out (NULL, &file, "%s", line);
    }
    fclose (f);
    return file;
}

/*  The value of name in the file, or NULL. */
static const char *
s_value (const lines_t *file, const char *name)
{
    size_t nl = strlen (name);
    for (size_t i = 0; i < file->n; i++)
        if (strncmp (file->lines [i], name, nl) == 0 && strncmp (file->lines [i] + nl, " = ", 3) == 0)
            return file->lines [i] + nl + 3;
    fprintf (stderr, "test_proto: vector %s missing\n", name);
    return NULL;
}

/*  Decode hex of name from the file into buf; returns the length (0 when
    missing or not hex, which fails the check). */
static size_t
s_bytes (const lines_t *file, const char *name, uint8_t *buf, size_t cap)
{
    const char *hex = s_value (file, name);
    size_t len = hex ? strlen (hex) / 2 : 0;
    CHECK (hex != NULL && len <= cap && nines_unhex (buf, len, hex) == 0);
    return hex && len <= cap ? len : 0;
}

static bool
s_vote_eq (const nines_vote_t *a, const nines_vote_t *b)
{
    return a->signed_len == b->signed_len
        && memcmp (a->signed_bytes, b->signed_bytes, a->signed_len) == 0
        && memcmp (a->sig, b->sig, NINES_SIG_BYTES) == 0
        && memcmp (&a->body, &b->body, offsetof (nines_vote_body_t, has_proof)) == 0
        && a->body.has_proof == b->body.has_proof
        && a->body.n_attempts == b->body.n_attempts
        && memcmp (a->body.attempts, b->body.attempts, a->body.n_attempts * sizeof a->body.attempts [0]) == 0
        && (!a->body.has_proof
            || (memcmp (a->body.proof_nonce, b->body.proof_nonce, NINES_NONCE_BYTES) == 0
                && a->body.proof_t_ms == b->body.proof_t_ms
                && a->body.proof.app_status == b->body.proof.app_status
                && a->body.proof.app_latency_us == b->body.proof.app_latency_us
                && memcmp (a->body.proof.sig, b->body.proof.sig, NINES_SIG_BYTES) == 0));
}

/*  Field-by-field equality of a decoded report with the fixture, and every
    vote signature (and every proof's facade signature) verifies. */
static void
s_check_report (const nines_report_t *got, const nines_report_t *want)
{
    CHECK_EQ (got->kind, want->kind);
    CHECK_MEM (got->pod, want->pod, NINES_ID_BYTES);
    CHECK_EQ (got->epoch, want->epoch);
    CHECK_MEM (got->round_id, want->round_id, NINES_HASH_BYTES);
    CHECK_EQ (got->t_ms, want->t_ms);
    CHECK_EQ (got->n_votes, want->n_votes);
    for (uint16_t i = 0; i < got->n_votes && i < want->n_votes; i++) {
        const nines_vote_t *v = &got->votes [i];
        CHECK (s_vote_eq (v, &want->votes [i]));
        CHECK_RC (nines_vote_verify (v), 0);
        if (v->body.has_proof) {
            nines_hb_resp_t resp = v->body.proof;
            CHECK_RC (nines_hb_resp_verify (F.facade.pk, v->body.pod, v->body.proof_nonce,
                                            v->body.proof_t_ms, &resp), 0);
        }
    }
}

static void
s_check_encode (const lines_t *file)
{
    lines_t gen = { NULL, 0 };
    s_vectors (NULL, &gen);
    CHECK_EQ (file->n, gen.n);
    size_t bad = 0;
    for (size_t i = 0; i < gen.n && i < file->n; i++)
        if (strcmp (gen.lines [i], file->lines [i]) != 0) {
            if (bad++ < 5)
                fprintf (stderr, "test_proto: vector differs from the encoder's output:\n  file: %.120s\n  code: %.120s\n",
                         file->lines [i], gen.lines [i]);
        }
    CHECK_EQ (bad, 0);
    for (size_t i = 0; i < gen.n; i++)
        free (gen.lines [i]);
    free (gen.lines);
}

static void
s_check_decode (const lines_t *file)
{
    static uint8_t buf [NINES_EVIDENCE_MAX];
    size_t len;
    char name [64];

    /* Keys: the seed gives the id; the id gives the curve key. */
    for (int k = 0; k < N_VALIDATORS; k++) {
        uint8_t seed [32], id [32], curve [32], cpk [32];
        nines_keypair_t kp;
        snprintf (name, sizeof name, "key.validator%d.seed", k);
        CHECK_EQ (s_bytes (file, name, seed, 32), 32);
        snprintf (name, sizeof name, "key.validator%d.id", k);
        CHECK_EQ (s_bytes (file, name, id, 32), 32);
        snprintf (name, sizeof name, "key.validator%d.curve", k);
        CHECK_EQ (s_bytes (file, name, curve, 32), 32);
        CHECK_RC (nines_keypair_from_seed (&kp, seed), 0);
        CHECK_MEM (kp.pk, id, 32);
        CHECK_RC (nines_id_to_curve (id, cpk), 0);
        CHECK_MEM (cpk, curve, 32);
    }
    uint8_t sig [64];
    CHECK_EQ (s_bytes (file, "sign.hello.sig", sig, 64), 64);
    CHECK_RC (nines_verify (F.v [0].pk, NINES_DOMAIN_VOTE, (const uint8_t *) "hello", 5, sig), 0);
    CHECK_RC (nines_verify (F.v [0].pk, NINES_DOMAIN_HB_REQ, (const uint8_t *) "hello", 5, sig), NINES_EBADSIG);

    /* Registry entries. */
    for (int k = 0; k < N_VALIDATORS; k++) {
        nines_validator_info_t v;
        snprintf (name, sizeof name, "registry.validator%d", k);
        len = s_bytes (file, name, buf, sizeof buf);
        CHECK_RC (nines_validator_info_decode (buf, len, &v), 0);
        CHECK_MEM (&v, nines_registry_validator (F.reg, F.v [k].pk), sizeof v);
    }
    nines_pod_info_t pod;
    len = s_bytes (file, "registry.pod", buf, sizeof buf);
    CHECK_RC (nines_pod_info_decode (buf, len, &pod), 0);
    CHECK_MEM (&pod, nines_registry_pod (F.reg, F.pod), sizeof pod);
    nines_params_t params;
    len = s_bytes (file, "registry.params", buf, sizeof buf);
    CHECK_RC (nines_params_decode (buf, len, &params), 0);
    CHECK_MEM (&params, &F.reg->params, sizeof params);

    /* Epoch seed and round id recomputed from the file's inputs. */
    uint8_t h [32], want [32];
    const char *t = s_value (file, "epoch.number");
    CHECK (t && strtoull (t, NULL, 10) == F.epoch_down);
    CHECK_EQ (s_bytes (file, "epoch.seed", want, 32), 32);
    nines_epoch_seed (h, params.genesis_seed, F.epoch_down);
    CHECK_MEM (h, want, 32);
    uint8_t nonce [16];
    CHECK_EQ (s_bytes (file, "round.nonce", nonce, 16), 16);
    CHECK_EQ (s_bytes (file, "round.id", want, 32), 32);
    nines_round_id (h, F.pod, F.epoch_down, F.v [0].pk, nonce);
    CHECK_MEM (h, want, 32);

    /* Draws: recomputed from the file's seed by the text's formulas, and
       the reference's nines_sortition_draws/_pod agree. */
    t = s_value (file, "sortition.m");
    uint32_t dm = t ? (uint32_t) strtoul (t, NULL, 10) : 0;
    CHECK_EQ (dm, DRAW_M);
    CHECK_EQ (s_bytes (file, "epoch.seed", want, 32), 32);
    for (int k = 0; k < N_VALIDATORS && dm; k++) {
        const uint8_t *v = F.v [k].pk;
        uint64_t rm = (uint64_t) params.r * dm, u = (uint64_t) (((unsigned __int128) s_draw_hash (want, v, UINT32_MAX)
                                                                * N_VALIDATORS) >> 64);
        uint32_t draws = (uint32_t) (rm / N_VALIDATORS + (u < rm % N_VALIDATORS));
        snprintf (name, sizeof name, "sortition.validator%d.d0", k);
        t = s_value (file, name);
        CHECK (t && strtoull (t, NULL, 10) == s_draw_hash (want, v, 0));
        snprintf (name, sizeof name, "sortition.validator%d.u", k);
        t = s_value (file, name);
        CHECK (t && strtoull (t, NULL, 10) == u);
        snprintf (name, sizeof name, "sortition.validator%d.draws", k);
        t = s_value (file, name);
        CHECK (t && strtoul (t, NULL, 10) == draws);
        CHECK_EQ (nines_sortition_draws (want, v, params.r, N_VALIDATORS, dm), draws);
        snprintf (name, sizeof name, "sortition.validator%d.pods", k);
        t = s_value (file, name);
        char *end = (char *) t;
        for (uint32_t j = 0; t && j < draws; j++) {
            uint32_t pick = (uint32_t) (((unsigned __int128) s_draw_hash (want, v, j) * dm) >> 64);
            CHECK_EQ (strtoul (end, &end, 10), pick);
            CHECK_EQ (nines_sortition_pod (want, v, j, dm), pick);
        }
        CHECK (end && *end == 0);
    }

    /* Heartbeat headers parse to the fixture and verify. */
    nines_hb_req_t req;
    nines_hb_resp_t resp;
    const char *value = s_value (file, "hb.req.value");
    CHECK (value && nines_hb_req_parse (value, strlen (value), &req) == 0);
    if (value) {
        CHECK_MEM (&req, &F.hb_req, sizeof req);
        CHECK_RC (nines_hb_req_verify (&req), 0);
    }
    value = s_value (file, "hb.resp.value");
    CHECK (value && nines_hb_resp_parse (value, strlen (value), &resp) == 0);
    if (value) {
        CHECK_EQ (resp.app_status, 503);
        CHECK_EQ (resp.app_latency_us, 2500);
        CHECK_RC (nines_hb_resp_verify (F.facade.pk, F.pod, F.hb_req.nonce, F.hb_req.t_ms, &resp), 0);
    }

    uint8_t file_sig [64];
    CHECK_EQ (s_bytes (file, "hb.req.sig", file_sig, 64), 64);
    CHECK_MEM (file_sig, F.hb_req.sig, 64);
    CHECK_EQ (s_bytes (file, "hb.resp.sig", file_sig, 64), 64);
    CHECK_MEM (file_sig, F.hb_resp.sig, 64);

    /* Votes: the signature in the file verifies over the signed bytes in
       the file, by the fixture's signer, under "nines/vote/v1" only. */
    const nines_vote_t *fv [2] = { &F.down->votes [0], &F.up->votes [0] };
    const char *vn [2] = { "vote.down", "vote.up" };
    for (int i = 0; i < 2; i++) {
        snprintf (name, sizeof name, "%s.signed", vn [i]);
        len = s_bytes (file, name, buf, NINES_VOTE_SIGNED_MAX);
        CHECK_EQ (len, fv [i]->signed_len);
        CHECK_MEM (buf, fv [i]->signed_bytes, fv [i]->signed_len);
        snprintf (name, sizeof name, "%s.sig", vn [i]);
        CHECK_EQ (s_bytes (file, name, file_sig, 64), 64);
        CHECK_RC (nines_verify (fv [i]->body.validator, NINES_DOMAIN_VOTE, buf, len, file_sig), 0);
        CHECK_RC (nines_verify (fv [i]->body.validator, NINES_DOMAIN_HB_RESP, buf, len, file_sig), NINES_EBADSIG);
    }

    /* Peer messages. */
    static const char *names [] = { "", "ping", "ping_req", "ack", "confirm_req", "vote", "report", "misbehaviour" };
    nines_peer_msg_t *m = calloc (1, sizeof *m);
    for (int type = NINES_MSG_PING; type <= NINES_MSG_TYPE_MAX; type++) {
        const nines_peer_msg_t *w = F.msgs [type];
        snprintf (name, sizeof name, "msg.%s", names [type]);
        len = s_bytes (file, name, buf, sizeof buf);
        CHECK_RC (nines_peer_msg_decode (buf, len, m), 0);
        CHECK_EQ (m->type, type);
        CHECK_MEM (m->from, w->from, NINES_ID_BYTES);
        CHECK_EQ (m->n_updates, w->n_updates);
        CHECK_MEM (m->updates, w->updates, w->n_updates * sizeof w->updates [0]);
        switch (type) {
            case NINES_MSG_PING: case NINES_MSG_PING_REQ: case NINES_MSG_ACK:
                CHECK_EQ (m->u.ping.seq, w->u.ping.seq);
                CHECK_MEM (m->u.ping.target, w->u.ping.target, NINES_ID_BYTES);
                break;
            case NINES_MSG_CONFIRM_REQ:
                CHECK_MEM (&m->u.confirm, &w->u.confirm, sizeof w->u.confirm);
                break;
            case NINES_MSG_VOTE:
                CHECK (s_vote_eq (&m->u.vote, &w->u.vote));
                CHECK_RC (nines_vote_verify (&m->u.vote), 0);
                break;
            case NINES_MSG_REPORT:
                s_check_report (&m->u.report, &w->u.report);
                break;
            case NINES_MSG_MISBEHAVIOUR:
                CHECK (s_vote_eq (&m->u.misbehaviour.a, &w->u.misbehaviour.a));
                CHECK (s_vote_eq (&m->u.misbehaviour.b, &w->u.misbehaviour.b));
                CHECK_RC (nines_vote_verify (&m->u.misbehaviour.a), 0);
                CHECK_RC (nines_vote_verify (&m->u.misbehaviour.b), 0);
                CHECK (m->u.misbehaviour.a.body.verdict != m->u.misbehaviour.b.body.verdict);
                break;
        }
    }
    free (m);

    /* Reports, evidence and their ids. */
    nines_report_t *r = calloc (1, sizeof *r);
    len = s_bytes (file, "report.down", buf, sizeof buf);
    CHECK_RC (nines_report_decode (buf, len, r), 0);
    s_check_report (r, F.down);
    nines_report_id (r, h);
    CHECK_EQ (s_bytes (file, "report.down.id", want, 32), 32);
    CHECK_MEM (h, want, 32);
    len = s_bytes (file, "report.up", buf, sizeof buf);
    CHECK_RC (nines_report_decode (buf, len, r), 0);
    s_check_report (r, F.up);
    free (r);
    nines_evidence_t *ev = calloc (1, sizeof *ev);
    len = s_bytes (file, "evidence", buf, sizeof buf);
    CHECK_RC (nines_evidence_decode (buf, len, ev), 0);
    CHECK_MEM (ev->pod, F.pod, NINES_ID_BYTES);
    CHECK (ev->has_up);
    s_check_report (&ev->down, F.down);
    s_check_report (&ev->up, F.up);
    nines_evidence_id (ev, h);
    CHECK_EQ (s_bytes (file, "evidence.id", want, 32), 32);
    CHECK_MEM (h, want, 32);
    free (ev);

    /* Query maps. */
    nines_query_t *q = NULL;
    len = s_bytes (file, "query.status", buf, sizeof buf);
    CHECK_RC (nines_query_parse (buf, len, &q), 0);
    if (q)
        CHECK_STR (nines_query_op (q), "status");
    nines_query_destroy (&q);
    len = s_bytes (file, "query.reports", buf, sizeof buf);
    CHECK_RC (nines_query_parse (buf, len, &q), 0);
    if (q) {
        uint64_t limit = 0;
        bool open = false;
        uint8_t p [32];
        CHECK_STR (nines_query_op (q), "reports");
        CHECK_RC (nines_query_u64 (q, "limit", &limit), 0);
        CHECK_EQ (limit, 10);
        CHECK_RC (nines_query_bool (q, "open", &open), 0);
        CHECK (open);
        CHECK_RC (nines_query_bin (q, "pod", p, 32), 0);
        CHECK_MEM (p, F.pod, 32);
    }
    nines_query_destroy (&q);
}

/*  ---- fuzz seed corpus ---- */

static void
s_seed (const char *dir, const char *target, const char *name, uint8_t prefix, bool use_prefix,
        const uint8_t *data, size_t len)
{
    char path [4096];
    snprintf (path, sizeof path, "%s/%s", dir, target);
    mkdir (path, 0755);
    snprintf (path, sizeof path, "%s/%s/%s", dir, target, name);
    FILE *f = fopen (path, "wb");
    if (!f) {
        fprintf (stderr, "test_proto: cannot write %s: %s\n", path, strerror (errno));
        t_failures++;
        return;
    }
    if (use_prefix)
        fputc (prefix, f);
    fwrite (data, 1, len, f);
    fclose (f);
    t_checks++;
}

static void
s_seed_blob (const char *dir, const char *target, const char *name, int prefix, blob_t b)
{
    s_seed (dir, target, name, (uint8_t) prefix, prefix >= 0, b.data, b.len);
    free (b.data);
}

static void
s_corpus (const char *dir)
{
    mkdir (dir, 0755);
    static const char *names [] = { "", "ping", "ping_req", "ack", "confirm_req", "vote", "report", "misbehaviour" };
    for (int t = NINES_MSG_PING; t <= NINES_MSG_TYPE_MAX; t++)
        s_seed_blob (dir, "peer_msg", names [t], -1, s_enc_msg (t));
    s_seed_blob (dir, "report", "down", -1, s_enc_report (F.down));
    s_seed_blob (dir, "report", "up", -1, s_enc_report (F.up));
    s_seed_blob (dir, "evidence", "down_up", -1, s_enc_evidence (F.ev));
    F.ev->has_up = false;
    s_seed_blob (dir, "evidence", "open", -1, s_enc_evidence (F.ev));
    F.ev->has_up = true;
    s_seed_blob (dir, "entry", "validator", 0, s_enc_validator (0));
    s_seed_blob (dir, "entry", "pod", 1, s_enc_pod ());
    s_seed_blob (dir, "entry", "params", 2, s_enc_params ());
    s_seed_blob (dir, "query", "status", -1, s_enc_query (0));
    s_seed_blob (dir, "query", "reports", -1, s_enc_query (1));
    s_seed_blob (dir, "query", "reply_error", -1, s_enc_reply_error ());
    s_seed (dir, "heartbeat", "req", 0, true, (const uint8_t *) F.hb_req_value, strlen (F.hb_req_value));
    s_seed (dir, "heartbeat", "resp", 1, true, (const uint8_t *) F.hb_resp_value, strlen (F.hb_resp_value));
    /* hbcheck: validator 0's heartbeat for pod b0.. at the target's clock
       (valid), the same at +31 s (stale) and from validator 1 (unknown). */
    s_seed (dir, "hbcheck", "valid", 0, false, (const uint8_t *) F.hb_req_value, strlen (F.hb_req_value));
    char value [NINES_HB_VALUE_MAX];
    uint8_t nonce [NINES_NONCE_BYTES];
    memset (nonce, 0x5a, sizeof nonce);
    nines_hb_req_make (&F.v [0], F.pod, nonce, T0_MS + 31000, NULL, value, sizeof value);
    s_seed (dir, "hbcheck", "stale", 0, false, (const uint8_t *) value, strlen (value));
    nines_hb_req_make (&F.v [1], F.pod, nonce, T0_MS, NULL, value, sizeof value);
    s_seed (dir, "hbcheck", "unknown", 0, false, (const uint8_t *) value, strlen (value));

    /* Registry snapshot: the fixture's registry as nines_registry_save
       writes it. */
    char path [4096];
    snprintf (path, sizeof path, "%s/registry.tmp.zpl", dir);
    CHECK_RC (nines_registry_save (F.reg, path), 0);
    FILE *f = fopen (path, "r");
    static char text [65536];
    size_t n = f ? fread (text, 1, sizeof text, f) : 0;
    if (f)
        fclose (f);
    unlink (path);
    s_seed (dir, "registry", "snapshot", 0, false, (const uint8_t *) text, n);
    const char *config =
        "#   ninesd example\n"
        "node\n"
        "    key = validator.key\n"
        "    data = /var/lib/nines\n"
        "    peer = tcp://127.0.0.1:7410\n"
        "    epoch = 10s\n"
        "    theta = 66.67%\n"
        "    workers = 4\n"
        "    fault_hooks = 0\n"
        "    nested\n"
        "        deeper = \"quoted value\"\n";
    s_seed (dir, "config", "ninesd", 0, false, (const uint8_t *) config, strlen (config));
    const char *bad = "node\n    epoch = -1s\n    theta = 1.5\n    workers = lots\n";
    s_seed (dir, "config", "bad_values", 0, false, (const uint8_t *) bad, strlen (bad));
}

int
main (int argc, char **argv)
{
    s_fixtures ();
    int rc = 0;
    if (argc > 1 && strcmp (argv [1], "--generate") == 0)
        s_vectors (stdout, NULL);
    else
    if (argc > 2 && strcmp (argv [1], "--corpus") == 0) {
        s_corpus (argv [2]);
        rc = t_failures ? 1 : 0;
    }
    else {
        char path [4096];
        const char *root = getenv ("NINES_SOURCE_ROOT");
        if (argc > 1)
            snprintf (path, sizeof path, "%s", argv [1]);
        else
            snprintf (path, sizeof path, "%s/proto/vectors.txt", root ? root : ".");
        lines_t file = s_read_file (path);
        CHECK (file.n > 0);
        fprintf (stderr, "- encode: the fixtures reproduce %s\n", path);
        s_check_encode (&file);
        fprintf (stderr, "- decode: %s gives the fixtures and its signatures verify\n", path);
        s_check_decode (&file);
        for (size_t i = 0; i < file.n; i++)
            free (file.lines [i]);
        free (file.lines);
        rc = t_done ("test_proto");
    }
    s_fixtures_free ();
    return rc;
}
