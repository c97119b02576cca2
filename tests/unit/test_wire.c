/*  Wire codec and heartbeat header: round trips and the negative cases
    (truncation at every offset, trailing bytes, wrong version and types,
    wrong sizes, over-limit counts, tampered signed bytes). */
#include "wire/wire.h"
#include "testutil.h"
#include <msgpack.h>

static nines_keypair_t s_keys [8];

static void
s_make_vote (nines_vote_t *vote, int signer, uint8_t verdict, bool proof)
{
    memset (vote, 0, sizeof *vote);
    memset (vote->body.round_id, 0xaa, 32);
    memset (vote->body.pod, 0xbb, 32);
    vote->body.epoch = 1234;
    memcpy (vote->body.validator, s_keys [signer].pk, 32);
    vote->body.verdict = verdict;
    vote->body.outcome = verdict == NINES_VERDICT_UP ? NINES_OUTCOME_OK : NINES_OUTCOME_TIMEOUT;
    vote->body.t_ms = 1700000000000ULL + (uint64_t) signer;
    if (proof) {
        vote->body.has_proof = true;
        memset (vote->body.proof_nonce, 0x11, 16);
        vote->body.proof_t_ms = 1700000000001ULL;
        vote->body.proof.app_status = 200;
        vote->body.proof.app_latency_us = 1500;
        memset (vote->body.proof.sig, 0x22, 64);
    }
}

static nines_report_t *
s_make_report (int nvotes)
{
    nines_report_t *r = calloc (1, sizeof *r);
    r->kind = NINES_REPORT_DOWN;
    memset (r->pod, 0xbb, 32);
    r->epoch = 1234;
    memset (r->round_id, 0xaa, 32);
    r->t_ms = 1700000000003ULL;
    r->n_votes = (uint16_t) nvotes;
    for (int i = 0; i < nvotes; i++) {
        s_make_vote (&r->votes [i], i % 8, NINES_VERDICT_DOWN, false);
        nines_vote_sign (&r->votes [i], &s_keys [i % 8]);
    }
    return r;
}

/*  Every strict prefix of a valid encoding must fail without crashing, and
    one extra byte must fail with NINES_ETRAILING. */
typedef int (decode_fn) (const uint8_t *buf, size_t len, void *out);

static void
s_check_truncation (const uint8_t *buf, size_t len, decode_fn *decode, void *out)
{
    int accepted = 0;
    for (size_t cut = 0; cut < len; cut++)
        if (decode (buf, cut, out) == 0)
            accepted++;
    CHECK_EQ (accepted, 0);
    uint8_t *longer = malloc (len + 1);
    memcpy (longer, buf, len);
    longer [len] = 0xc0;
    CHECK_RC (decode (longer, len + 1, out), NINES_ETRAILING);
    free (longer);
}

static int s_dec_peer (const uint8_t *b, size_t l, void *o) { return nines_peer_msg_decode (b, l, o); }
static int s_dec_report (const uint8_t *b, size_t l, void *o) { return nines_report_decode (b, l, o); }
static int s_dec_evidence (const uint8_t *b, size_t l, void *o) { return nines_evidence_decode (b, l, o); }
static int s_dec_pod (const uint8_t *b, size_t l, void *o) { return nines_pod_info_decode (b, l, o); }

static void
test_vote (void)
{
    nines_vote_t vote, back;
    s_make_vote (&vote, 1, NINES_VERDICT_UP, true);
    CHECK_RC (nines_vote_sign (&vote, &s_keys [2]), NINES_EINVAL);   /* wrong signer */
    CHECK_RC (nines_vote_sign (&vote, &s_keys [1]), 0);
    CHECK_RC (nines_vote_verify (&vote), 0);

    nines_peer_msg_t *msg = calloc (1, sizeof *msg), *out = calloc (1, sizeof *out);
    msg->type = NINES_MSG_VOTE;
    memcpy (msg->from, s_keys [1].pk, 32);
    msg->u.vote = vote;
    msg->n_updates = 2;
    memcpy (msg->updates [0].id, s_keys [3].pk, 32);
    msg->updates [0].state = NINES_MEMBER_SUSPECT;
    msg->updates [0].incarnation = 7;
    memcpy (msg->updates [1].id, s_keys [4].pk, 32);
    msg->updates [1].state = NINES_MEMBER_DEAD;
    msg->updates [1].incarnation = 9;
    uint8_t buf [4096];
    size_t len = 0;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), 0);
    CHECK_EQ (out->type, NINES_MSG_VOTE);
    CHECK_EQ (out->n_updates, 2);
    CHECK_EQ (out->updates [1].incarnation, 9);
    CHECK_EQ (out->updates [0].state, NINES_MEMBER_SUSPECT);
    back = out->u.vote;
    CHECK_EQ (back.signed_len, vote.signed_len);
    CHECK_MEM (back.signed_bytes, vote.signed_bytes, vote.signed_len);
    CHECK_MEM (&back.body, &vote.body, sizeof vote.body);
    CHECK_RC (nines_vote_verify (&back), 0);            /* verified as received */
    back.signed_bytes [5] ^= 1;
    CHECK_RC (nines_vote_verify (&back), NINES_EBADSIG);
    s_check_truncation (buf, len, s_dec_peer, out);
    CHECK_RC (nines_peer_msg_encode (msg, buf, 10, &len), NINES_ETOOBIG);

    /* A vote whose body is signed by someone else fails verification even
       though it decodes. */
    nines_vote_t forged = vote;
    forged.body.validator [0] ^= 1;
    CHECK_RC (nines_vote_verify (&forged), NINES_EBADSIG);
    free (msg);
    free (out);
}

static void
test_messages (void)
{
    nines_peer_msg_t *msg = calloc (1, sizeof *msg), *out = calloc (1, sizeof *out);
    uint8_t buf [NINES_PEER_MSG_MAX];
    size_t len = 0;
    /* PING / PING_REQ / ACK */
    for (int type = NINES_MSG_PING; type <= NINES_MSG_ACK; type++) {
        memset (msg, 0, sizeof *msg);
        msg->type = (uint8_t) type;
        msg->u.ping.seq = 42 + (uint64_t) type;
        memcpy (msg->u.ping.target, s_keys [5].pk, 32);
        CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
        CHECK_RC (nines_peer_msg_decode (buf, len, out), 0);
        CHECK_EQ (out->type, type);
        CHECK_EQ (out->u.ping.seq, 42 + (uint64_t) type);
        CHECK_MEM (out->u.ping.target, s_keys [5].pk, 32);
    }
    /* CONFIRM_REQ */
    memset (msg, 0, sizeof *msg);
    msg->type = NINES_MSG_CONFIRM_REQ;
    memset (msg->u.confirm.round_id, 3, 32);
    msg->u.confirm.epoch = 99;
    msg->u.confirm.outcome = NINES_OUTCOME_REFUSED;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), 0);
    CHECK_MEM (&out->u.confirm, &msg->u.confirm, sizeof msg->u.confirm);
    s_check_truncation (buf, len, s_dec_peer, out);

    /* Wrong version, unknown type, wrong field type, wrong bin size. */
    uint8_t bad [512];
    CHECK (len < sizeof bad);
    memcpy (bad, buf, len);
    bad [1] = 2;                                        /* version 2 */
    CHECK_RC (nines_peer_msg_decode (bad, len, out), NINES_EVERSION);
    memcpy (bad, buf, len);
    bad [2] = 99;                                       /* type 99 */
    CHECK_RC (nines_peer_msg_decode (bad, len, out), NINES_EMALFORMED);
    /* from is bin 32: make it a str of 32 (0xd9 0x20) */
    memcpy (bad, buf, len);
    CHECK_EQ (bad [3], 0xc4);
    bad [3] = 0xd9;
    CHECK_RC (nines_peer_msg_decode (bad, len, out), NINES_EMALFORMED);
    memcpy (bad, buf, len);
    bad [4] = 31;                                       /* bin 31 then one extra byte */
    CHECK (nines_peer_msg_decode (bad, len, out) < 0);

    /* Garbage, a lone map, an ext type, a huge claimed array. */
    const uint8_t garbage [] = { 0xc1 };
    CHECK_RC (nines_peer_msg_decode (garbage, 1, out), NINES_EMALFORMED);
    const uint8_t map [] = { 0x80 };
    CHECK_RC (nines_peer_msg_decode (map, 1, out), NINES_EMALFORMED);
    const uint8_t ext [] = { 0xd4, 0x01, 0x00 };
    CHECK_RC (nines_peer_msg_decode (ext, 3, out), NINES_EMALFORMED);
    const uint8_t huge [] = { 0xdd, 0xff, 0xff, 0xff, 0xff, 0x01 };
    CHECK_RC (nines_peer_msg_decode (huge, sizeof huge, out), NINES_ETRUNC);
    CHECK_RC (nines_peer_msg_decode (buf, 0, out), NINES_ETRUNC);
    uint8_t *deep = malloc (100);
    memset (deep, 0x91, 99);                            /* 99 nested arrays */
    deep [99] = 0xc0;
    CHECK_RC (nines_peer_msg_decode (deep, 100, out), NINES_ETOOBIG);
    free (deep);
    CHECK_RC (nines_peer_msg_decode (buf, NINES_PEER_MSG_MAX + 1, out), NINES_ETOOBIG);

    /* Too many piggybacked updates. */
    memset (msg, 0, sizeof *msg);
    msg->type = NINES_MSG_PING;
    msg->n_updates = NINES_PIGGYBACK_MAX + 1;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), NINES_EINVAL);
    free (msg);
    free (out);
}

static void
test_report_evidence (void)
{
    nines_report_t *r = s_make_report (7), *back = calloc (1, sizeof *back);
    static uint8_t buf [NINES_EVIDENCE_MAX];
    size_t len = 0;
    CHECK_RC (nines_report_encode (r, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_report_decode (buf, len, back), 0);
    CHECK_EQ (back->n_votes, 7);
    for (int i = 0; i < 7; i++)
        CHECK_RC (nines_vote_verify (&back->votes [i]), 0);
    uint8_t id1 [32], id2 [32];
    nines_report_id (r, id1);
    back->n_votes = 5;                                  /* other vote subset, same id */
    nines_report_id (back, id2);
    CHECK_MEM (id1, id2, 32);
    back->kind = NINES_REPORT_UP;
    nines_report_id (back, id2);
    CHECK (memcmp (id1, id2, 32) != 0);
    s_check_truncation (buf, len, s_dec_report, back);

    nines_evidence_t *ev = calloc (1, sizeof *ev), *ev2 = calloc (1, sizeof *ev2);
    memcpy (ev->pod, r->pod, 32);
    ev->down = *r;
    ev->has_up = true;
    ev->up = *r;
    ev->up.kind = NINES_REPORT_UP;
    ev->up.t_ms += 40000;
    CHECK_RC (nines_evidence_encode (ev, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_evidence_decode (buf, len, ev2), 0);
    CHECK (ev2->has_up);
    CHECK_EQ (ev2->up.t_ms, r->t_ms + 40000);
    CHECK_EQ (ev2->down.n_votes, 7);
    s_check_truncation (buf, len, s_dec_evidence, ev2);
    ev->has_up = false;
    CHECK_RC (nines_evidence_encode (ev, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_evidence_decode (buf, len, ev2), 0);
    CHECK (!ev2->has_up);

    /* 64 votes fit; the codec refuses 65. */
    nines_report_t *big = s_make_report (NINES_REPORT_MAX_VOTES);
    CHECK_RC (nines_report_encode (big, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_report_decode (buf, len, back), 0);
    CHECK_EQ (back->n_votes, NINES_REPORT_MAX_VOTES);
    big->n_votes = NINES_REPORT_MAX_VOTES + 1;
    CHECK_RC (nines_report_encode (big, buf, sizeof buf, &len), NINES_ETOOBIG);
    free (big);
    free (ev);
    free (ev2);
    free (r);
    free (back);
}

static void
test_registry_entries (void)
{
    nines_pod_info_t p, q;
    memset (&p, 0, sizeof p);
    memset (p.pod, 1, 32);
    strcpy (p.facade_url, "https://127.0.0.1:8443/");
    strcpy (p.method, "GET");
    strcpy (p.path, "/health");
    p.stake = 5000;
    p.n_maint = 2;
    p.maint [1].end_ms = 77;
    p.n_facade_keys = 2;
    memset (p.facade_keys [1], 0xfa, 32);
    p.n_spki_pins = NINES_POD_PINS_MAX;
    for (int i = 0; i < NINES_POD_PINS_MAX; i++)
        memset (p.spki_pins [i], 0x50 + i, 32);
    uint8_t buf [4096];
    size_t len;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_pod_info_decode (buf, len, &q), 0);
    CHECK_MEM (&p, &q, sizeof p);
    s_check_truncation (buf, len, s_dec_pod, &q);

    nines_validator_info_t v, w;
    memset (&v, 0, sizeof v);
    v.stake = 123;
    strcpy (v.endpoint, "tcp://127.0.0.1:7410");
    CHECK_RC (nines_validator_info_encode (&v, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_validator_info_decode (buf, len, &w), 0);
    CHECK_MEM (&v, &w, sizeof v);

    nines_params_t a, b;
    nines_params_default (&a);
    a.epoch_ms = 2000;
    a.theta_ppm = 500000;
    memset (a.genesis_seed, 9, 32);
    CHECK_RC (nines_params_encode (&a, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_params_decode (buf, len, &b), 0);
    CHECK_MEM (&a, &b, sizeof a);
    /* The defaults, now the def column of nines_param_descs, encode to the
       bytes nines_params_default gave when it set each field by hand. */
    nines_params_default (&b);
    CHECK_RC (nines_params_encode (&b, buf, sizeof buf, &len), 0);
    CHECK_EQ (len, (size_t) 470);
    uint8_t params_hash [NINES_HASH_BYTES];
    char params_hex [NINES_ID_HEX];
    nines_hash (params_hash, 1, buf, len);
    CHECK (strcmp (nines_hex (params_hex, params_hash, sizeof params_hash),
                   "aa648e026c3cd2048461db7cd4445e66fc17c1d4010099eed5b50bc10f5ece03") == 0);
    /* An unknown key is refused; a ppm above 1e6 too. */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_u64 (&pk, "colour", 1);
    CHECK_RC (nines_params_decode ((uint8_t *) sb.data, sb.size, &b), NINES_EMALFORMED);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_u64 (&pk, "theta", 1000001);
    CHECK_RC (nines_params_decode ((uint8_t *) sb.data, sb.size, &b), NINES_EMALFORMED);
    msgpack_sbuffer_destroy (&sb);
}

static void
test_query (void)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 4);
    nines_pack_kv_str (&pk, "op", "reports");
    nines_pack_kv_u64 (&pk, "limit", 10);
    nines_pack_kv_bool (&pk, "open", true);
    nines_pack_kv_bin (&pk, "pod", s_keys [0].pk, 32);
    nines_query_t *q = NULL;
    CHECK_RC (nines_query_parse ((uint8_t *) sb.data, sb.size, &q), 0);
    if (q) {
        CHECK_STR (nines_query_op (q), "reports");
        uint64_t limit = 0;
        CHECK_RC (nines_query_u64 (q, "limit", &limit), 0);
        CHECK_EQ (limit, 10);
        bool open = false;
        CHECK_RC (nines_query_bool (q, "open", &open), 0);
        CHECK (open);
        uint8_t pod [32];
        CHECK_RC (nines_query_bin (q, "pod", pod, 32), 0);
        CHECK_MEM (pod, s_keys [0].pk, 32);
        CHECK_RC (nines_query_bin (q, "pod", pod, 16), NINES_EMALFORMED);
        CHECK_RC (nines_query_u64 (q, "op", &limit), NINES_EMALFORMED);
        CHECK_RC (nines_query_u64 (q, "missing", &limit), NINES_ENOTFOUND);
        char small [4];
        CHECK_RC (nines_query_str (q, "op", small, sizeof small), NINES_ETOOBIG);
        nines_query_destroy (&q);
        CHECK (q == NULL);
    }
    /* No op, not a map, integer keys. */
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_u64 (&pk, "limit", 1);
    CHECK_RC (nines_query_parse ((uint8_t *) sb.data, sb.size, &q), NINES_EMALFORMED);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_array (&pk, 0);
    CHECK_RC (nines_query_parse ((uint8_t *) sb.data, sb.size, &q), NINES_EMALFORMED);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_map (&pk, 1);
    msgpack_pack_int (&pk, 1);
    msgpack_pack_int (&pk, 2);
    CHECK_RC (nines_query_parse ((uint8_t *) sb.data, sb.size, &q), NINES_EMALFORMED);
    /* op at its limit (63 bytes) parses; 64 bytes is over the limit:
       NINES_ETOOBIG like every other over-long string (section 13) */
    char op [65];
    memset (op, 'o', sizeof op - 1);
    op [64] = 0;
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_str (&pk, "op", op + 1);
    CHECK_RC (nines_query_parse ((uint8_t *) sb.data, sb.size, &q), 0);
    nines_query_destroy (&q);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_str (&pk, "op", op);
    CHECK_RC (nines_query_parse ((uint8_t *) sb.data, sb.size, &q), NINES_ETOOBIG);
    msgpack_sbuffer_destroy (&sb);

    uint8_t *reply;
    size_t len;
    CHECK_RC (nines_reply_error ("unknown op 'x'", &reply, &len), 0);
    CHECK (len > 10 && memmem (reply, len, "unknown op", 10) != NULL);
    free (reply);
    /* the servers' shape: "<code name>: <detail>" */
    CHECK_RC (nines_reply_bad_query (NINES_ETOOBIG, &reply, &len), 0);
    CHECK (len > 30 && memmem (reply, len, "NINES_ETOOBIG: request is not", 29) != NULL);
    free (reply);
    CHECK_RC (nines_reply_unknown_op ("x", &reply, &len), 0);
    CHECK (memmem (reply, len, "NINES_EINVAL: unknown op 'x'", 28) != NULL);
    /* a reply says its op: first pair of the map, the rest unchanged */
    char got [16];
    CHECK_RC (nines_reply_op (reply, len, got, sizeof got), NINES_ENOTFOUND);
    size_t before = len;
    CHECK_RC (nines_reply_set_op ("pods", &reply, &len), 0);
    CHECK_EQ (len, before + 8);
    CHECK (reply [0] == 0x83 && memcmp (reply + 1, "\xa2op\xa4pods", 8) == 0);
    CHECK_RC (nines_reply_op (reply, len, got, sizeof got), 0);
    CHECK (strcmp (got, "pods") == 0);
    CHECK_RC (nines_reply_op (reply, len, got, 4), NINES_ETOOBIG);
    free (reply);
    /* map16 and map32 headers grow in place; a non-map is refused */
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 16);
    for (int i = 0; i < 16; i++)
        nines_pack_kv_u64 (&pk, (const char *[]) { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
                                                   "k", "l", "m", "n", "o", "p" } [i], (uint64_t) i);
    reply = (uint8_t *) sb.data;
    len = sb.size;
    CHECK_RC (nines_reply_set_op ("x", &reply, &len), 0);
    CHECK (reply [0] == 0xde && reply [1] == 0 && reply [2] == 17);
    CHECK_RC (nines_reply_op (reply, len, got, sizeof got), 0);
    CHECK (strcmp (got, "x") == 0);
    free (reply);
    uint8_t *arr = malloc (1);
    arr [0] = 0x90;
    len = 1;
    CHECK_RC (nines_reply_set_op ("x", &arr, &len), NINES_EMALFORMED);
    CHECK_RC (nines_reply_op (arr, len, got, sizeof got), NINES_EMALFORMED);
    free (arr);
}

static void
test_heartbeat (void)
{
    uint8_t pod [32];
    memset (pod, 0x42, 32);
    nines_hb_req_t req, parsed;
    char value [NINES_HB_VALUE_MAX];
    CHECK_RC (nines_hb_req_make (&s_keys [0], pod, NULL, 1700000000000ULL, &req, value, sizeof value), 0);
    CHECK (strncmp (value, "v1.", 3) == 0);
    CHECK_EQ (strlen (value), 3 + 203);
    CHECK_RC (nines_hb_req_parse (value, strlen (value), &parsed), 0);
    CHECK_MEM (&parsed, &req, sizeof req);
    CHECK_RC (nines_hb_req_verify (&parsed), 0);
    parsed.t_ms++;
    CHECK_RC (nines_hb_req_verify (&parsed), NINES_EBADSIG);
    /* Signature made for the response domain does not pass as a request. */
    parsed = req;
    uint8_t msg [56];
    memcpy (msg, pod, 32);
    memcpy (msg + 32, req.nonce, 16);
    nines_le64 (msg + 48, req.t_ms);
    nines_sign (&s_keys [0], NINES_DOMAIN_HB_RESP, msg, sizeof msg, parsed.sig);
    CHECK_RC (nines_hb_req_verify (&parsed), NINES_EBADSIG);

    CHECK_RC (nines_hb_req_parse (value, strlen (value) - 1, &parsed), NINES_EMALFORMED);
    CHECK_RC (nines_hb_req_parse ("v2.AAAA", 7, &parsed), NINES_EVERSION);
    CHECK_RC (nines_hb_req_parse ("", 0, &parsed), NINES_EMALFORMED);
    CHECK_RC (nines_hb_req_parse ("v1.!!!!", 7, &parsed), NINES_EMALFORMED);
    char longer [400];
    memset (longer, 'A', sizeof longer);
    memcpy (longer, "v1.", 3);
    CHECK_RC (nines_hb_req_parse (longer, sizeof longer, &parsed), NINES_ETOOBIG);

    nines_hb_resp_t resp, rparsed;
    CHECK_RC (nines_hb_resp_make (&s_keys [1], &req, 503, 2500, &resp, value, sizeof value), 0);
    CHECK_RC (nines_hb_resp_parse (value, strlen (value), &rparsed), 0);
    CHECK_EQ (rparsed.app_status, 503);
    CHECK_EQ (rparsed.app_latency_us, 2500);
    CHECK_RC (nines_hb_resp_verify (s_keys [1].pk, pod, req.nonce, req.t_ms, &rparsed), 0);
    CHECK_RC (nines_hb_resp_verify (s_keys [2].pk, pod, req.nonce, req.t_ms, &rparsed), NINES_EBADSIG);
    rparsed.app_status = 200;                             /* a lying relay */
    CHECK_RC (nines_hb_resp_verify (s_keys [1].pk, pod, req.nonce, req.t_ms, &rparsed), NINES_EBADSIG);
    CHECK_RC (nines_hb_resp_verify (s_keys [1].pk, pod, req.nonce, req.t_ms + 1, &resp), NINES_EBADSIG);
}

/*  Pack a signed vote [signed_bytes, sig] around arbitrary body bytes. */
static size_t
s_pack_signed (uint8_t *out, size_t cap, const uint8_t *body, size_t blen, const uint8_t sig [64])
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, 2);
    msgpack_pack_bin (&pk, blen);
    msgpack_pack_bin_body (&pk, body, blen);
    msgpack_pack_bin (&pk, 64);
    msgpack_pack_bin_body (&pk, sig, 64);
    size_t len = sb.size <= cap ? sb.size : 0;
    memcpy (out, sb.data, len);
    msgpack_sbuffer_destroy (&sb);
    return len;
}

/*  Negative cases across every decoder: oversized input, over-limit
    counts and strings, NUL in strings, out-of-range enums, signed bytes
    with trailing data, wrong versions, and signatures made under the
    wrong domain or by the wrong key. */
static void
test_wire_negative (void)
{
    static uint8_t buf [NINES_EVIDENCE_MAX + 2], other [NINES_EVIDENCE_MAX];
    size_t len = 0;
    nines_report_t *r = s_make_report (3);
    nines_evidence_t *ev = calloc (1, sizeof *ev);
    memset (buf, 0xc0, sizeof buf);

    /* Oversized input is refused before anything is parsed. */
    CHECK_RC (nines_report_decode (buf, NINES_REPORT_MAX + 1, r), NINES_ETOOBIG);
    CHECK_RC (nines_evidence_decode (buf, NINES_EVIDENCE_MAX + 1, ev), NINES_ETOOBIG);
    nines_validator_info_t v;
    nines_pod_info_t p;
    nines_params_t params;
    CHECK_RC (nines_validator_info_decode (buf, 1025, &v), NINES_ETOOBIG);
    CHECK_RC (nines_pod_info_decode (buf, 4097, &p), NINES_ETOOBIG);
    CHECK_RC (nines_params_decode (buf, 4097, &params), NINES_ETOOBIG);
    nines_query_t *q = NULL;
    CHECK_RC (nines_query_parse (buf, NINES_QUERY_MAX + 1, &q), NINES_ETOOBIG);
    CHECK (q == NULL);
    CHECK_RC (nines_query_parse (buf, 0, &q), NINES_ETRUNC);
    /* The ledger's bound takes a submit_evidence map around the largest
       evidence (which the ninesd query bound does not), and no more. */
    msgpack_sbuffer lb;
    msgpack_packer lp;
    msgpack_sbuffer_init (&lb);
    msgpack_packer_init (&lp, &lb, msgpack_sbuffer_write);
    msgpack_pack_map (&lp, 3);
    nines_pack_kv_str (&lp, "op", "submit_evidence");
    nines_pack_kv_bin (&lp, "evidence", other, NINES_EVIDENCE_MAX);
    nines_pack_kv_bin (&lp, "from", other, NINES_ID_BYTES);
    CHECK (lb.size <= NINES_LEDGER_REQ_MAX);
    CHECK_RC (nines_query_parse ((uint8_t *) lb.data, lb.size, &q), NINES_ETOOBIG);
    CHECK_RC (nines_query_parse_max ((uint8_t *) lb.data, lb.size, NINES_LEDGER_REQ_MAX, &q), 0);
    nines_query_destroy (&q);
    msgpack_sbuffer_destroy (&lb);
    uint8_t *over = calloc (1, NINES_LEDGER_REQ_MAX + 1);
    CHECK_RC (nines_query_parse_max (over, NINES_LEDGER_REQ_MAX + 1, NINES_LEDGER_REQ_MAX, &q), NINES_ETOOBIG);
    free (over);

    /* A vote signed under another domain, or by another key, fails. */
    nines_vote_t vote;
    s_make_vote (&vote, 0, NINES_VERDICT_DOWN, false);
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);
    CHECK_RC (nines_vote_verify (&vote), 0);
    nines_sign (&s_keys [0], NINES_DOMAIN_HB_REQ, vote.signed_bytes, vote.signed_len, vote.sig);
    CHECK_RC (nines_vote_verify (&vote), NINES_EBADSIG);
    nines_sign (&s_keys [1], NINES_DOMAIN_VOTE, vote.signed_bytes, vote.signed_len, vote.sig);
    CHECK_RC (nines_vote_verify (&vote), NINES_EBADSIG);
    vote.signed_len = 0;
    CHECK_RC (nines_vote_verify (&vote), NINES_EBADSIG);

    /* Signed bytes: trailing data, empty, over NINES_VOTE_SIGNED_MAX bytes, bad verdict. */
    nines_peer_msg_t *msg = calloc (1, sizeof *msg), *out = calloc (1, sizeof *out);
    s_make_vote (&vote, 0, NINES_VERDICT_DOWN, false);
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);
    msg->type = NINES_MSG_VOTE;
    memcpy (msg->from, s_keys [0].pk, 32);
    msg->u.vote = vote;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    uint8_t body [NINES_VOTE_SIGNED_MAX + 2];
    memcpy (body, vote.signed_bytes, vote.signed_len);
    body [vote.signed_len] = 0xc0;
    len = s_pack_signed (other, sizeof other, body, vote.signed_len + 1u, vote.sig);
    CHECK_RC (nines_report_decode (other, len, r), NINES_EMALFORMED);   /* not a report */
    /* Wrap the bad vote into a report to reach the vote decoder. */
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    const struct { size_t len; int want; } cases [] = {
        { vote.signed_len + 1u, NINES_ETRAILING },
        { 0, NINES_EMALFORMED },
        { NINES_VOTE_SIGNED_MAX + 1, NINES_ETOOBIG },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        static uint8_t big [NINES_VOTE_SIGNED_MAX + 1];
        const uint8_t *b = cases [i].len > vote.signed_len + 1u ? big : body;
        msgpack_sbuffer_clear (&sb);
        msgpack_pack_array (&pk, 6);
        msgpack_pack_uint8 (&pk, 0);
        msgpack_pack_bin (&pk, 32);
        msgpack_pack_bin_body (&pk, r->pod, 32);
        msgpack_pack_uint8 (&pk, 1);
        msgpack_pack_bin (&pk, 32);
        msgpack_pack_bin_body (&pk, r->round_id, 32);
        msgpack_pack_uint8 (&pk, 1);
        msgpack_pack_array (&pk, 1);
        len = s_pack_signed (other, sizeof other, b, cases [i].len, vote.sig);
        msgpack_sbuffer_write (&sb, (const char *) other, len);
        CHECK_RC (nines_report_decode ((uint8_t *) sb.data, sb.size, r), cases [i].want);
    }
    msgpack_sbuffer_destroy (&sb);

    /* Enums out of range: verdict 3, outcome 7, report kind 2, state 3. */
    vote.body.verdict = 3;
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);       /* the encoder does not judge */
    msg->u.vote = vote;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), NINES_EMALFORMED);
    s_make_vote (&vote, 0, NINES_VERDICT_DOWN, false);
    vote.body.outcome = NINES_OUTCOME_COUNT;
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);
    msg->u.vote = vote;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), NINES_EMALFORMED);
    /* Attempts (PROTOCOL.md 8.1): they round-trip, and a `down` vote
       resting on an `ok` heartbeat is malformed. */
    s_make_vote (&vote, 0, NINES_VERDICT_DOWN, false);
    vote.body.n_attempts = NINES_VOTE_ATTEMPTS_MAX;
    for (uint8_t j = 0; j < NINES_VOTE_ATTEMPTS_MAX; j++) {
        vote.body.attempts [j].age_ms = 4000000000u - j;      /* needs the u32 form */
        vote.body.attempts [j].outcome = NINES_OUTCOME_TIMEOUT;
    }
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);
    msg->u.vote = vote;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), 0);
    CHECK_EQ (out->u.vote.body.n_attempts, NINES_VOTE_ATTEMPTS_MAX);
    CHECK_EQ (out->u.vote.body.attempts [7].age_ms, 4000000000u - 7);
    CHECK_EQ (out->u.vote.body.attempts [7].outcome, NINES_OUTCOME_TIMEOUT);
    vote.body.attempts [3].outcome = NINES_OUTCOME_OK;
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);
    msg->u.vote = vote;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), NINES_EMALFORMED);
    vote.body.verdict = NINES_VERDICT_UP;                       /* fine for `up` */
    CHECK_RC (nines_vote_sign (&vote, &s_keys [0]), 0);
    msg->u.vote = vote;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), 0);
    nines_report_t *r2 = s_make_report (1);
    r2->kind = 2;
    CHECK_RC (nines_report_encode (r2, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_report_decode (buf, len, r), NINES_EMALFORMED);
    free (r2);
    memset (msg, 0, sizeof *msg);
    msg->type = NINES_MSG_PING;
    msg->n_updates = 1;
    msg->updates [0].state = 3;
    CHECK_RC (nines_peer_msg_encode (msg, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_peer_msg_decode (buf, len, out), NINES_EMALFORMED);

    /* Evidence with an unknown version. */
    memcpy (ev->pod, r->pod, 32);
    nines_report_t *down = s_make_report (2);
    ev->down = *down;
    free (down);
    CHECK_RC (nines_evidence_encode (ev, buf, sizeof buf, &len), 0);
    CHECK_EQ (buf [1], NINES_WIRE_VERSION);
    buf [1] = 2;
    CHECK_RC (nines_evidence_decode (buf, len, ev), NINES_EVERSION);

    /* Registry strings: over capacity, NUL inside; 17 maintenance windows. */
    memset (&v, 0, sizeof v);
    memset (v.endpoint, 'e', sizeof v.endpoint - 1);    /* 127 chars: the maximum */
    CHECK_RC (nines_validator_info_encode (&v, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_validator_info_decode (buf, len, &v), 0);
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    memset (buf, 'e', 128);                             /* 128 chars: one too many */
    msgpack_pack_array (&pk, 3);
    msgpack_pack_bin (&pk, 32);
    msgpack_pack_bin_body (&pk, s_keys [0].pk, 32);
    msgpack_pack_uint64 (&pk, 5);
    msgpack_pack_str (&pk, 128);
    msgpack_pack_str_body (&pk, buf, 128);
    CHECK_RC (nines_validator_info_decode ((uint8_t *) sb.data, sb.size, &v), NINES_ETOOBIG);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_array (&pk, 3);
    msgpack_pack_bin (&pk, 32);
    msgpack_pack_bin_body (&pk, s_keys [0].pk, 32);
    msgpack_pack_uint64 (&pk, 5);
    msgpack_pack_str (&pk, 5);
    msgpack_pack_str_body (&pk, "tc\0p:", 5);
    CHECK_RC (nines_validator_info_decode ((uint8_t *) sb.data, sb.size, &v), NINES_EMALFORMED);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_array (&pk, 3);                        /* negative stake */
    msgpack_pack_bin (&pk, 32);
    msgpack_pack_bin_body (&pk, s_keys [0].pk, 32);
    msgpack_pack_int64 (&pk, -5);
    nines_pack_str (&pk, "tcp://x:1");
    CHECK_RC (nines_validator_info_decode ((uint8_t *) sb.data, sb.size, &v), NINES_EMALFORMED);
    msgpack_sbuffer_destroy (&sb);
    memset (&p, 0, sizeof p);
    p.n_maint = NINES_MAINT_MAX + 1;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), NINES_ETOOBIG);
    p.n_maint = NINES_MAINT_MAX;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), NINES_EINVAL);  /* no key, no pin */
    p.n_facade_keys = 1;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), NINES_EINVAL);  /* no pin */
    p.n_spki_pins = NINES_POD_PINS_MAX + 1;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), NINES_ETOOBIG);
    p.n_spki_pins = 1;
    p.n_facade_keys = NINES_POD_KEYS_MAX + 1;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), NINES_ETOOBIG);
    p.n_facade_keys = 1;
    CHECK_RC (nines_pod_info_encode (&p, buf, sizeof buf, &len), 0);
    /* The key and pin sets on the wire: an empty set, a fifth pin and a
       pin of 31 bytes are refused. */
    {
        uint8_t set [4096];
        nines_pod_info_t q;
        size_t slen = len;
        uint8_t *keys = memmem (buf, len, "\x91\xc4\x20", 3);   /* [key] */
        CHECK (keys != NULL);
        if (keys) {
            size_t at = (size_t) (keys - buf);
            memcpy (set, buf, slen);
            set [at] = 0x90;                                    /* [] then a stray bin */
            CHECK (nines_pod_info_decode (set, slen, &q) < 0);
            memcpy (set, buf, at);                              /* [] in place of [key] */
            set [at] = 0x90;
            memcpy (set + at + 1, buf + at + 35, slen - at - 35);
            CHECK_RC (nines_pod_info_decode (set, slen - 34, &q), NINES_EMALFORMED);
            /* the pin set follows the key: five pins */
            size_t pins = at + 35;
            CHECK_EQ (buf [pins], 0x91);
            memcpy (set, buf, pins);
            set [pins] = 0x95;
            size_t o = pins + 1;
            for (int i = 0; i < 5; i++, o += 34)
                memcpy (set + o, buf + pins + 1, 34);
            memcpy (set + o, buf + pins + 35, slen - pins - 35);
            CHECK_RC (nines_pod_info_decode (set, o + slen - pins - 35, &q), NINES_ETOOBIG);
            set [pins] = 0x94;                                  /* four pins: fine */
            memcpy (set + pins + 1 + 4 * 34, buf + pins + 35, slen - pins - 35);
            CHECK_RC (nines_pod_info_decode (set, pins + 1 + 4 * 34 + slen - pins - 35, &q), 0);
            CHECK_EQ (q.n_spki_pins, 4);
            set [pins + 2] = 31;                                /* a 31-byte pin */
            CHECK (nines_pod_info_decode (set, pins + 1 + 4 * 34 + slen - pins - 35, &q) < 0);
        }
    }
    /* Turn the maint array header (fixarray 16 = 0xdc 0x00 0x10) into 17
       entries by appending one more window. */
    uint8_t *hdr = memmem (buf, len, "\xdc\x00\x10", 3);
    CHECK (hdr != NULL);
    if (hdr) {
        hdr [2] = 17;
        memcpy (buf + len, "\x93\x00\x00\x00", 4);
        CHECK_RC (nines_pod_info_decode (buf, len + 4, &p), NINES_ETOOBIG);
    }
    /* Params: a bin of 31 bytes for genesis_seed, a u32 over 2^32. */
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_bin (&pk, "genesis_seed", buf, 31);
    CHECK_RC (nines_params_decode ((uint8_t *) sb.data, sb.size, &params), NINES_EMALFORMED);
    msgpack_sbuffer_clear (&sb);
    msgpack_pack_map (&pk, 1);
    nines_pack_kv_u64 (&pk, "committee", 1ULL << 32);
    CHECK_RC (nines_params_decode ((uint8_t *) sb.data, sb.size, &params), NINES_EMALFORMED);
    msgpack_sbuffer_destroy (&sb);

    /* Heartbeat response: truncated, wrong version, oversized. */
    nines_hb_resp_t resp;
    char value [NINES_HB_VALUE_MAX];
    nines_hb_req_t req;
    uint8_t pod [32] = { 0 };
    CHECK_RC (nines_hb_req_make (&s_keys [0], pod, NULL, 1, &req, value, sizeof value), 0);
    CHECK_RC (nines_hb_resp_make (&s_keys [1], &req, 200, 1, &resp, value, sizeof value), 0);
    size_t vlen = strlen (value);
    CHECK_RC (nines_hb_resp_parse (value, vlen, &resp), 0);
    CHECK_RC (nines_hb_resp_parse (value, vlen - 4, &resp), NINES_EMALFORMED);
    value [1] = '2';
    CHECK_RC (nines_hb_resp_parse (value, vlen, &resp), NINES_EVERSION);
    CHECK_RC (nines_hb_resp_parse (value, 2, &resp), NINES_EMALFORMED);
    char longer [300];
    memset (longer, 'A', sizeof longer);
    memcpy (longer, "v1.", 3);
    CHECK_RC (nines_hb_resp_parse (longer, sizeof longer, &resp), NINES_ETOOBIG);
    /* A request header whose signature was made for another pod. */
    uint8_t other_pod [32];
    memset (other_pod, 1, 32);
    nines_hb_req_t forged;
    CHECK_RC (nines_hb_req_make (&s_keys [0], other_pod, req.nonce, req.t_ms, &forged, value, sizeof value), 0);
    memcpy (forged.pod, pod, 32);
    CHECK_RC (nines_hb_req_verify (&forged), NINES_EBADSIG);
    /* Output buffers too small are refused, not overrun. */
    CHECK_RC (nines_hb_req_make (&s_keys [0], pod, NULL, 1, NULL, value, 100), NINES_EINVAL);

    /* Empty strings and keys (msgpack-c hands them over with a NULL ptr;
       found by fuzz_query under UBSan): accepted, no mem* call on NULL. */
    const uint8_t empty_key [] = { 0x82, 0xa0, 0x01, 0xa2, 'o', 'p', 0xa0 };   /* {"": 1, "op": ""} */
    CHECK_RC (nines_query_parse (empty_key, sizeof empty_key, &q), 0);
    if (q) {
        uint64_t one = 0;
        CHECK_STR (nines_query_op (q), "");
        CHECK_RC (nines_query_u64 (q, "", &one), 0);
        CHECK_EQ (one, 1);
        char str [8];
        CHECK_RC (nines_query_str (q, "op", str, sizeof str), 0);
        CHECK_STR (str, "");
        nines_query_destroy (&q);
    }
    memset (&v, 0, sizeof v);
    CHECK_RC (nines_validator_info_encode (&v, buf, sizeof buf, &len), 0);
    CHECK_RC (nines_validator_info_decode (buf, len, &v), 0);
    CHECK_STR (v.endpoint, "");

    free (msg);
    free (out);
    free (ev);
    free (r);
}

int
main (void)
{
    nines_crypto_init ();
    for (int i = 0; i < 8; i++) {
        uint8_t seed [32] = { 0 };
        seed [0] = (uint8_t) (i + 1);
        nines_keypair_from_seed (&s_keys [i], seed);
    }
    RUN (test_vote);
    RUN (test_messages);
    RUN (test_report_evidence);
    RUN (test_registry_entries);
    RUN (test_query);
    RUN (test_heartbeat);
    RUN (test_wire_negative);
    return t_done ("test_wire");
}
