/*  nines wire codec: msgpack-c encoding, strict table-driven decoding.

    Decoding runs in two steps.  s_precheck walks the raw bytes once,
    without allocating: it checks that the input is exactly one msgpack
    object (NINES_ETRUNC / NINES_ETRAILING otherwise), that no container
    claims more elements than there are bytes left (msgpack-c would
    otherwise allocate the claimed size up front), that nesting stays under
    NINES_WIRE_MAX_DEPTH and that no ext or reserved types appear.  Only
    then msgpack-c unpacks into a zone, and the field tables below turn the
    object tree into structs, checking every type, size and range. */
#include "wire/wire.h"
#include <msgpack.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define NINES_WIRE_MAX_DEPTH 16

/*  ---- step 1: structural precheck ---- */

static int
s_be (const uint8_t *p, size_t n, uint64_t *v)
{
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++)
        x = (x << 8) | p [i];
    *v = x;
    return 0;
}

static int
s_precheck (const uint8_t *buf, size_t len, size_t limit)
{
    if (len == 0)
        return NINES_ETRUNC;
    if (len > limit)
        return NINES_ETOOBIG;
    uint64_t pending [NINES_WIRE_MAX_DEPTH + 1];   /* items left per level */
    int depth = 0;
    pending [0] = 1;
    size_t at = 0;
    while (depth >= 0) {
        if (pending [depth] == 0) {
            depth--;
            continue;
        }
        if (at >= len)
            return NINES_ETRUNC;
        pending [depth]--;
        uint8_t b = buf [at++];
        uint64_t skip = 0, count = 0;
        bool container = false;
        size_t hdr = 0;
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            ;
        else if (b >= 0x80 && b <= 0x8f) { container = true; count = 2u * (b & 0x0f); }
        else if (b >= 0x90 && b <= 0x9f) { container = true; count = b & 0x0f; }
        else if (b >= 0xa0 && b <= 0xbf) skip = b & 0x1f;
        else switch (b) {
            case 0xc4: case 0xd9: hdr = 1; break;               /* bin8, str8 */
            case 0xc5: case 0xda: hdr = 2; break;               /* bin16, str16 */
            case 0xc6: case 0xdb: hdr = 4; break;               /* bin32, str32 */
            case 0xca: skip = 4; break;                         /* float32 */
            case 0xcb: skip = 8; break;                         /* float64 */
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xce: case 0xd2: skip = 4; break;
            case 0xcf: case 0xd3: skip = 8; break;
            case 0xdc: case 0xde: container = true; hdr = 2; break;
            case 0xdd: case 0xdf: container = true; hdr = 4; break;
            default: return NINES_EMALFORMED;                   /* ext, 0xc1 */
        }
        if (hdr) {
            if (len - at < hdr)
                return NINES_ETRUNC;
            uint64_t n;
            s_be (buf + at, hdr, &n);
            at += hdr;
            if (container)
                count = (b == 0xde || b == 0xdf) ? 2 * n : n;
            else
                skip = n;
        }
        if (skip) {
            if (len - at < skip)
                return NINES_ETRUNC;
            at += skip;
        }
        if (container && count) {
            if (count > len - at)
                return NINES_ETRUNC;
            if (depth == NINES_WIRE_MAX_DEPTH)
                return NINES_ETOOBIG;
            pending [++depth] = count;
        }
    }
    return at == len ? NINES_OK : NINES_ETRAILING;
}

/*  Unpack after the precheck.  The caller destroys *u. */
static int
s_unpack (const uint8_t *buf, size_t len, size_t limit, msgpack_unpacked *u)
{
    msgpack_unpacked_init (u);
    int rc = s_precheck (buf, len, limit);
    if (rc)
        return rc;
    size_t off = 0;
    msgpack_unpack_return ret = msgpack_unpack_next (u, (const char *) buf, len, &off);
    if (ret == MSGPACK_UNPACK_NOMEM_ERROR)
        return NINES_ENOMEM;
    if (ret != MSGPACK_UNPACK_SUCCESS)
        return NINES_EMALFORMED;
    return off == len ? NINES_OK : NINES_ETRAILING;
}

/*  ---- step 2: typed field access ---- */

static int
s_array (const msgpack_object *o, uint32_t n, const msgpack_object **items)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n)
        return NINES_EMALFORMED;
    *items = o->via.array.ptr;
    return NINES_OK;
}

static int
s_uint (const msgpack_object *o, uint64_t max, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return NINES_EMALFORMED;
    *v = o->via.u64;
    return NINES_OK;
}

static int
s_bin (const msgpack_object *o, uint8_t *out, size_t n)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
        return NINES_EMALFORMED;
    if (n)                          /* msgpack-c leaves ptr NULL when empty */
        memcpy (out, o->via.bin.ptr, n);
    return NINES_OK;
}

static int
s_str (const msgpack_object *o, char *out, size_t cap)
{
    if (o->type != MSGPACK_OBJECT_STR)
        return NINES_EMALFORMED;
    if (o->via.str.size >= cap)
        return NINES_ETOOBIG;
    /* An empty str may come with a NULL ptr: no mem* call on it (UBSan). */
    if (o->via.str.size && memchr (o->via.str.ptr, 0, o->via.str.size))
        return NINES_EMALFORMED;
    if (o->via.str.size)
        memcpy (out, o->via.str.ptr, o->via.str.size);
    out [o->via.str.size] = 0;
    return NINES_OK;
}

/*  Field tables for flat records: each row says where a field lives in the
    struct, its msgpack type and its limits.  One encoder and one decoder
    walk any table. */
typedef enum { F_UINT, F_BIN, F_STR } s_kind_t;

typedef struct {
    s_kind_t kind;              /* msgpack type */
    size_t offset;              /* offsetof in the record */
    size_t size;                /* F_UINT: 1/2/4/8 bytes; F_BIN: exact bytes; F_STR: capacity */
    uint64_t max;               /* F_UINT: largest accepted value */
} s_field_t;

#define UINT_F(type, field, maxv) { F_UINT, offsetof (type, field), sizeof (((type *) 0)->field), maxv }
#define BIN_F(type, field)  { F_BIN, offsetof (type, field), sizeof (((type *) 0)->field), 0 }
#define STR_F(type, field)  { F_STR, offsetof (type, field), sizeof (((type *) 0)->field), 0 }
#define COUNT(a) (sizeof (a) / sizeof ((a) [0]))

static uint64_t
s_get_uint (const void *p, size_t size)
{
    switch (size) {
        case 1: return *(const uint8_t *) p;
        case 2: return *(const uint16_t *) p;
        case 4: return *(const uint32_t *) p;
        default: return *(const uint64_t *) p;
    }
}

static void
s_set_uint (void *p, size_t size, uint64_t v)
{
    switch (size) {
        case 1: *(uint8_t *) p = (uint8_t) v; break;
        case 2: *(uint16_t *) p = (uint16_t) v; break;
        case 4: *(uint32_t *) p = (uint32_t) v; break;
        default: *(uint64_t *) p = v; break;
    }
}

static void
s_encode_fields (msgpack_packer *pk, const s_field_t *fields, size_t n, const void *rec)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = (const uint8_t *) rec + fields [i].offset;
        switch (fields [i].kind) {
            case F_UINT:
                msgpack_pack_uint64 (pk, s_get_uint (p, fields [i].size));
                break;
            case F_BIN:
                msgpack_pack_bin (pk, fields [i].size);
                msgpack_pack_bin_body (pk, p, fields [i].size);
                break;
            case F_STR: {
                size_t len = strnlen ((const char *) p, fields [i].size - 1);
                msgpack_pack_str (pk, len);
                msgpack_pack_str_body (pk, p, len);
                break;
            }
        }
    }
}

static int
s_decode_fields (const msgpack_object *items, const s_field_t *fields, size_t n, void *rec)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = (uint8_t *) rec + fields [i].offset;
        int rc;
        uint64_t v;
        switch (fields [i].kind) {
            case F_UINT:
                rc = s_uint (&items [i], fields [i].max, &v);
                if (!rc)
                    s_set_uint (p, fields [i].size, v);
                break;
            case F_BIN:
                rc = s_bin (&items [i], p, fields [i].size);
                break;
            default:
                rc = s_str (&items [i], (char *) p, fields [i].size);
                break;
        }
        if (rc)
            return rc;
    }
    return NINES_OK;
}

/*  ---- tables ---- */

static const s_field_t s_vote_fields [] = {
    BIN_F (nines_vote_body_t, round_id),
    BIN_F (nines_vote_body_t, pod),
    UINT_F (nines_vote_body_t, epoch, UINT64_MAX),
    BIN_F (nines_vote_body_t, validator),
    UINT_F (nines_vote_body_t, verdict, NINES_VERDICT_ABSTAIN),
    UINT_F (nines_vote_body_t, outcome, NINES_OUTCOME_COUNT - 1),
    UINT_F (nines_vote_body_t, t_ms, UINT64_MAX),
};

static const s_field_t s_proof_fields [] = {
    BIN_F (nines_vote_body_t, proof_nonce),
    UINT_F (nines_vote_body_t, proof_t_ms, UINT64_MAX),
    UINT_F (nines_vote_body_t, proof.app_status, UINT16_MAX),
    UINT_F (nines_vote_body_t, proof.app_latency_us, UINT32_MAX),
    BIN_F (nines_vote_body_t, proof.sig),
};

static const s_field_t s_attempt_fields [] = {
    UINT_F (nines_attempt_t, age_ms, UINT32_MAX),
    UINT_F (nines_attempt_t, outcome, NINES_OUTCOME_COUNT - 1),
};

static const s_field_t s_report_fields [] = {
    UINT_F (nines_report_t, kind, NINES_REPORT_UP),
    BIN_F (nines_report_t, pod),
    UINT_F (nines_report_t, epoch, UINT64_MAX),
    BIN_F (nines_report_t, round_id),
    UINT_F (nines_report_t, t_ms, UINT64_MAX),
};

static const s_field_t s_confirm_fields [] = {
    BIN_F (nines_confirm_req_t, round_id),
    BIN_F (nines_confirm_req_t, pod),
    UINT_F (nines_confirm_req_t, epoch, UINT64_MAX),
    BIN_F (nines_confirm_req_t, initiator),
    UINT_F (nines_confirm_req_t, t_ms, UINT64_MAX),
    UINT_F (nines_confirm_req_t, outcome, NINES_OUTCOME_COUNT - 1),
};

static const s_field_t s_ping_fields [] = {
    UINT_F (nines_ping_t, seq, UINT64_MAX),
    BIN_F (nines_ping_t, target),
};

static const s_field_t s_update_fields [] = {
    BIN_F (nines_member_update_t, id),
    UINT_F (nines_member_update_t, state, NINES_MEMBER_DEAD),
    UINT_F (nines_member_update_t, incarnation, UINT64_MAX),
};

static const s_field_t s_validator_fields [] = {
    BIN_F (nines_validator_info_t, id),
    UINT_F (nines_validator_info_t, stake, UINT64_MAX),
    STR_F (nines_validator_info_t, endpoint),
};

/*  The pod entry: these fields, then the facade key and SPKI pin sets
    (arrays of bin32), then s_pod_tail_fields, then the maintenance list. */
static const s_field_t s_pod_fields [] = {
    BIN_F (nines_pod_info_t, pod),
    BIN_F (nines_pod_info_t, provider),
    STR_F (nines_pod_info_t, facade_url),
};

static const s_field_t s_pod_tail_fields [] = {
    UINT_F (nines_pod_info_t, stake, UINT64_MAX),
    UINT_F (nines_pod_info_t, paid_until_ms, UINT64_MAX),
    STR_F (nines_pod_info_t, method),
    STR_F (nines_pod_info_t, path),
};

static const s_field_t s_maint_fields [] = {
    UINT_F (nines_maint_t, start_ms, UINT64_MAX),
    UINT_F (nines_maint_t, end_ms, UINT64_MAX),
    UINT_F (nines_maint_t, announced_ms, UINT64_MAX),
};

#define P(name, kind, field) { name, kind, offsetof (nines_params_t, field) }
const nines_param_desc_t nines_param_descs [] = {
    P ("genesis_seed", 'h', genesis_seed),
    P ("genesis", 'u', genesis_ms),
    P ("epoch", 'd', epoch_ms),
    P ("r", 'w', r),
    P ("committee", 'w', committee),
    P ("theta", 'p', theta_ppm),
    P ("probe_timeout", 'd', probe_timeout_ms),
    P ("retry_delay", 'd', retry_delay_ms),
    P ("vote_delay", 'd', vote_delay_ms),
    P ("vote_attempts", 'w', vote_attempts),
    P ("vote_window", 'd', vote_window_ms),
    P ("vote_false", 'p', vote_false_ppm),
    P ("retry_attempts", 'w', retry_attempts),
    P ("round_timeout", 'd', round_timeout_ms),
    P ("down_probe", 'd', down_probe_ms),
    P ("min_validator_stake", 'u', min_validator_stake),
    P ("d_mid", 'd', d_mid_ms),
    P ("s", 'd', s_ms),
    P ("max_slash", 'p', max_slash_ppm),
    P ("grace", 'd', grace_ms),
    P ("notice", 'd', notice_ms),
    P ("maint_budget", 'd', maint_budget_ms),
    P ("maint_period", 'd', maint_period_ms),
    P ("merge_factor", 'w', merge_factor),
    P ("merge_min", 'd', merge_min_ms),
    P ("merge_max", 'd', merge_max_ms),
    P ("window", 'd', window_ms),
    P ("fee", 'p', fee_ppm),
    P ("fee_period", 'd', fee_period_ms),
    P ("canary_window", 'd', canary_window_ms),
    P ("corr_window", 'd', corr_window_ms),
    P ("down_confirm", 'd', down_confirm_ms),
};
#undef P
const size_t nines_param_ndescs = COUNT (nines_param_descs);

/*  ---- names and defaults ---- */

const char *
nines_outcome_name (int outcome)
{
    static const char *names [] = { "ok", "app_unhealthy", "timeout", "refused", "tls", "http", "dns" };
    return outcome >= 0 && outcome < NINES_OUTCOME_COUNT ? names [outcome] : "?";
}

const char *
nines_verdict_name (int verdict)
{
    static const char *names [] = { "down", "up", "abstain" };
    return verdict >= 0 && verdict <= NINES_VERDICT_ABSTAIN ? names [verdict] : "?";
}

void
nines_params_default (nines_params_t *p)
{
    memset (p, 0, sizeof *p);
    p->epoch_ms = 10000;
    p->r = 3;
    p->committee = 7;
    p->theta_ppm = 666667;
    p->probe_timeout_ms = 5000;
    p->retry_delay_ms = 500;
    p->vote_delay_ms = 0;
    p->vote_attempts = 4;
    p->vote_window_ms = 1500;
    p->vote_false_ppm = 2000;
    p->retry_attempts = 2;
    p->round_timeout_ms = 15000;
    p->down_probe_ms = 5000;
    p->min_validator_stake = 1000;
    p->d_mid_ms = 2 * 3600 * 1000ULL;
    p->s_ms = 30 * 60 * 1000ULL;
    p->max_slash_ppm = 100000;
    p->grace_ms = 60000;
    p->notice_ms = 24 * 3600 * 1000ULL;
    p->maint_budget_ms = 4 * 3600 * 1000ULL;
    p->maint_period_ms = 30 * 86400 * 1000ULL;
    p->merge_factor = 24;
    p->merge_min_ms = 15 * 60 * 1000ULL;
    p->merge_max_ms = 7 * 86400 * 1000ULL;
    p->window_ms = 30 * 86400 * 1000ULL;
    p->fee_ppm = 1000;
    p->fee_period_ms = 86400 * 1000ULL;
    p->canary_window_ms = 60000;
    p->corr_window_ms = 5 * 60 * 1000ULL;
    p->down_confirm_ms = 60000;
}

/*  ---- encoding plumbing ---- */

/*  Copy a finished sbuffer into the caller's buffer. */
static int
s_finish (msgpack_sbuffer *sb, uint8_t *buf, size_t cap, size_t *len)
{
    int rc = NINES_OK;
    if (sb->size > cap)
        rc = NINES_ETOOBIG;
    else {
        memcpy (buf, sb->data, sb->size);
        *len = sb->size;
    }
    msgpack_sbuffer_destroy (sb);
    return rc;
}

/*  ---- votes ---- */

static void
s_pack_vote_body (msgpack_packer *pk, const nines_vote_body_t *body)
{
    msgpack_pack_array (pk, 9);
    s_encode_fields (pk, s_vote_fields, COUNT (s_vote_fields), body);
    if (body->has_proof) {
        msgpack_pack_array (pk, COUNT (s_proof_fields));
        s_encode_fields (pk, s_proof_fields, COUNT (s_proof_fields), body);
    }
    else
        msgpack_pack_nil (pk);
    uint8_t n = body->n_attempts > NINES_VOTE_ATTEMPTS_MAX ? NINES_VOTE_ATTEMPTS_MAX : body->n_attempts;
    msgpack_pack_array (pk, n);
    for (uint8_t i = 0; i < n; i++) {
        msgpack_pack_array (pk, COUNT (s_attempt_fields));
        s_encode_fields (pk, s_attempt_fields, COUNT (s_attempt_fields), &body->attempts [i]);
    }
}

/*  attempts: [[age_ms, outcome], ...], at most NINES_VOTE_ATTEMPTS_MAX; a
    `down` verdict cannot rest on an `ok` heartbeat. */
static int
s_attempts_decode (const msgpack_object *o, nines_vote_body_t *body)
{
    if (o->type != MSGPACK_OBJECT_ARRAY)
        return NINES_EMALFORMED;
    if (o->via.array.size > NINES_VOTE_ATTEMPTS_MAX)
        return NINES_ETOOBIG;
    body->n_attempts = (uint8_t) o->via.array.size;
    for (uint8_t i = 0; i < body->n_attempts; i++) {
        const msgpack_object *f;
        int rc = s_array (&o->via.array.ptr [i], COUNT (s_attempt_fields), &f);
        if (!rc) rc = s_decode_fields (f, s_attempt_fields, COUNT (s_attempt_fields), &body->attempts [i]);
        if (rc)
            return rc;
        if (body->verdict == NINES_VERDICT_DOWN && body->attempts [i].outcome == NINES_OUTCOME_OK)
            return NINES_EMALFORMED;
    }
    return NINES_OK;
}

static int
s_vote_body_decode (const uint8_t *buf, size_t len, nines_vote_body_t *body)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, NINES_VOTE_SIGNED_MAX, &u);
    const msgpack_object *items;
    memset (body, 0, sizeof *body);
    if (!rc) rc = s_array (&u.data, 9, &items);
    if (!rc) rc = s_decode_fields (items, s_vote_fields, COUNT (s_vote_fields), body);
    if (!rc) rc = s_attempts_decode (&items [8], body);
    if (!rc && items [7].type != MSGPACK_OBJECT_NIL) {
        const msgpack_object *proof;
        rc = s_array (&items [7], COUNT (s_proof_fields), &proof);
        if (!rc) rc = s_decode_fields (proof, s_proof_fields, COUNT (s_proof_fields), body);
        body->has_proof = true;
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

int
nines_vote_sign (nines_vote_t *vote, const nines_keypair_t *kp)
{
    if (memcmp (kp->pk, vote->body.validator, NINES_ID_BYTES) != 0)
        return NINES_EINVAL;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    s_pack_vote_body (&pk, &vote->body);
    size_t len = 0;
    int rc = s_finish (&sb, vote->signed_bytes, sizeof vote->signed_bytes, &len);
    if (rc)
        return rc;
    vote->signed_len = (uint16_t) len;
    return nines_sign (kp, NINES_DOMAIN_VOTE, vote->signed_bytes, len, vote->sig);
}

int
nines_vote_verify (const nines_vote_t *vote)
{
    if (vote->signed_len == 0 || vote->signed_len > NINES_VOTE_SIGNED_MAX)
        return NINES_EBADSIG;
    return nines_verify (vote->body.validator, NINES_DOMAIN_VOTE,
                         vote->signed_bytes, vote->signed_len, vote->sig);
}

/*  A signed vote on the wire: [signed_bytes, sig]. */
static void
s_pack_signed_vote (msgpack_packer *pk, const nines_vote_t *vote)
{
    msgpack_pack_array (pk, 2);
    msgpack_pack_bin (pk, vote->signed_len);
    msgpack_pack_bin_body (pk, vote->signed_bytes, vote->signed_len);
    msgpack_pack_bin (pk, NINES_SIG_BYTES);
    msgpack_pack_bin_body (pk, vote->sig, NINES_SIG_BYTES);
}

static int
s_decode_signed_vote (const msgpack_object *o, nines_vote_t *vote)
{
    const msgpack_object *items;
    int rc = s_array (o, 2, &items);
    if (rc)
        return rc;
    if (items [0].type != MSGPACK_OBJECT_BIN || items [0].via.bin.size == 0)
        return NINES_EMALFORMED;
    if (items [0].via.bin.size > NINES_VOTE_SIGNED_MAX)
        return NINES_ETOOBIG;
    vote->signed_len = (uint16_t) items [0].via.bin.size;
    memcpy (vote->signed_bytes, items [0].via.bin.ptr, vote->signed_len);
    rc = s_bin (&items [1], vote->sig, NINES_SIG_BYTES);
    if (!rc)
        rc = s_vote_body_decode (vote->signed_bytes, vote->signed_len, &vote->body);
    return rc;
}

/*  ---- reports ---- */

static void
s_pack_report (msgpack_packer *pk, const nines_report_t *r)
{
    msgpack_pack_array (pk, 6);
    s_encode_fields (pk, s_report_fields, COUNT (s_report_fields), r);
    uint16_t n = r->n_votes > NINES_REPORT_MAX_VOTES ? NINES_REPORT_MAX_VOTES : r->n_votes;
    msgpack_pack_array (pk, n);
    for (uint16_t i = 0; i < n; i++)
        s_pack_signed_vote (pk, &r->votes [i]);
}

static int
s_decode_report (const msgpack_object *o, nines_report_t *r)
{
    const msgpack_object *items;
    int rc = s_array (o, 6, &items);
    if (!rc) rc = s_decode_fields (items, s_report_fields, COUNT (s_report_fields), r);
    if (rc)
        return rc;
    if (items [5].type != MSGPACK_OBJECT_ARRAY)
        return NINES_EMALFORMED;
    if (items [5].via.array.size > NINES_REPORT_MAX_VOTES)
        return NINES_ETOOBIG;
    r->n_votes = (uint16_t) items [5].via.array.size;
    for (uint16_t i = 0; i < r->n_votes && !rc; i++)
        rc = s_decode_signed_vote (&items [5].via.array.ptr [i], &r->votes [i]);
    return rc;
}

void
nines_report_id (const nines_report_t *report, uint8_t id [NINES_HASH_BYTES])
{
    static const char domain [] = "nines/report-id/v1";
    nines_hash (id, 4, (const uint8_t *) domain, sizeof domain - 1, &report->kind, (size_t) 1,
                report->pod, (size_t) NINES_ID_BYTES, report->round_id, (size_t) NINES_HASH_BYTES);
}

int
nines_report_encode (const nines_report_t *report, uint8_t *buf, size_t cap, size_t *len)
{
    if (report->n_votes > NINES_REPORT_MAX_VOTES)
        return NINES_ETOOBIG;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    s_pack_report (&pk, report);
    return s_finish (&sb, buf, cap, len);
}

int
nines_report_decode (const uint8_t *buf, size_t len, nines_report_t *report)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, NINES_REPORT_MAX, &u);
    if (!rc)
        rc = s_decode_report (&u.data, report);
    msgpack_unpacked_destroy (&u);
    return rc;
}

/*  ---- peer messages ---- */

int
nines_peer_msg_encode (const nines_peer_msg_t *msg, uint8_t *buf, size_t cap, size_t *len)
{
    if (msg->type < NINES_MSG_PING || msg->type > NINES_MSG_TYPE_MAX
    ||  msg->n_updates > NINES_PIGGYBACK_MAX)
        return NINES_EINVAL;
    if (msg->type == NINES_MSG_REPORT && msg->u.report.n_votes > NINES_REPORT_MAX_VOTES)
        return NINES_ETOOBIG;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, 5);
    msgpack_pack_uint8 (&pk, NINES_WIRE_VERSION);
    msgpack_pack_uint8 (&pk, msg->type);
    msgpack_pack_bin (&pk, NINES_ID_BYTES);
    msgpack_pack_bin_body (&pk, msg->from, NINES_ID_BYTES);
    msgpack_pack_array (&pk, msg->n_updates);
    for (int i = 0; i < msg->n_updates; i++) {
        msgpack_pack_array (&pk, COUNT (s_update_fields));
        s_encode_fields (&pk, s_update_fields, COUNT (s_update_fields), &msg->updates [i]);
    }
    switch (msg->type) {
        case NINES_MSG_PING:
        case NINES_MSG_PING_REQ:
        case NINES_MSG_ACK:
            msgpack_pack_array (&pk, COUNT (s_ping_fields));
            s_encode_fields (&pk, s_ping_fields, COUNT (s_ping_fields), &msg->u.ping);
            break;
        case NINES_MSG_CONFIRM_REQ:
            msgpack_pack_array (&pk, COUNT (s_confirm_fields));
            s_encode_fields (&pk, s_confirm_fields, COUNT (s_confirm_fields), &msg->u.confirm);
            break;
        case NINES_MSG_VOTE:
            s_pack_signed_vote (&pk, &msg->u.vote);
            break;
        case NINES_MSG_REPORT:
            s_pack_report (&pk, &msg->u.report);
            break;
        case NINES_MSG_MISBEHAVIOUR:
            msgpack_pack_array (&pk, 2);
            s_pack_signed_vote (&pk, &msg->u.misbehaviour.a);
            s_pack_signed_vote (&pk, &msg->u.misbehaviour.b);
            break;
    }
    return s_finish (&sb, buf, cap, len);
}

int
nines_peer_msg_decode (const uint8_t *buf, size_t len, nines_peer_msg_t *msg)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, NINES_PEER_MSG_MAX, &u);
    const msgpack_object *items = NULL;
    uint64_t version = 0, type = 0;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    if (!rc) rc = s_array (&u.data, 5, &items);
    if (!rc) rc = s_uint (&items [0], UINT8_MAX, &version);
    if (!rc && version != NINES_WIRE_VERSION) rc = NINES_EVERSION;
    if (!rc) rc = s_uint (&items [1], UINT8_MAX, &type);
    if (!rc && (type < NINES_MSG_PING || type > NINES_MSG_TYPE_MAX)) rc = NINES_EMALFORMED;
    if (!rc) rc = s_bin (&items [2], msg->from, NINES_ID_BYTES);
    if (!rc && items [3].type != MSGPACK_OBJECT_ARRAY) rc = NINES_EMALFORMED;
    if (!rc && items [3].via.array.size > NINES_PIGGYBACK_MAX) rc = NINES_ETOOBIG;
    if (!rc) {
        msg->type = (uint8_t) type;
        msg->n_updates = (uint8_t) items [3].via.array.size;
        for (int i = 0; i < msg->n_updates && !rc; i++) {
            const msgpack_object *f;
            rc = s_array (&items [3].via.array.ptr [i], COUNT (s_update_fields), &f);
            if (!rc) rc = s_decode_fields (f, s_update_fields, COUNT (s_update_fields), &msg->updates [i]);
        }
    }
    const msgpack_object *body = rc ? NULL : &items [4];
    const msgpack_object *f;
    if (!rc) switch (msg->type) {
        case NINES_MSG_PING:
        case NINES_MSG_PING_REQ:
        case NINES_MSG_ACK:
            memset (&msg->u.ping, 0, sizeof msg->u.ping);
            rc = s_array (body, COUNT (s_ping_fields), &f);
            if (!rc) rc = s_decode_fields (f, s_ping_fields, COUNT (s_ping_fields), &msg->u.ping);
            break;
        case NINES_MSG_CONFIRM_REQ:
            memset (&msg->u.confirm, 0, sizeof msg->u.confirm);
            rc = s_array (body, COUNT (s_confirm_fields), &f);
            if (!rc) rc = s_decode_fields (f, s_confirm_fields, COUNT (s_confirm_fields), &msg->u.confirm);
            break;
        case NINES_MSG_VOTE:
            rc = s_decode_signed_vote (body, &msg->u.vote);
            break;
        case NINES_MSG_REPORT:
            rc = s_decode_report (body, &msg->u.report);
            break;
        case NINES_MSG_MISBEHAVIOUR:
            rc = s_array (body, 2, &f);
            if (!rc) rc = s_decode_signed_vote (&f [0], &msg->u.misbehaviour.a);
            if (!rc) rc = s_decode_signed_vote (&f [1], &msg->u.misbehaviour.b);
            break;
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

/*  ---- evidence ---- */

int
nines_evidence_encode (const nines_evidence_t *ev, uint8_t *buf, size_t cap, size_t *len)
{
    if (ev->down.n_votes > NINES_REPORT_MAX_VOTES || (ev->has_up && ev->up.n_votes > NINES_REPORT_MAX_VOTES))
        return NINES_ETOOBIG;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, 4);
    msgpack_pack_uint8 (&pk, NINES_WIRE_VERSION);
    msgpack_pack_bin (&pk, NINES_ID_BYTES);
    msgpack_pack_bin_body (&pk, ev->pod, NINES_ID_BYTES);
    s_pack_report (&pk, &ev->down);
    if (ev->has_up)
        s_pack_report (&pk, &ev->up);
    else
        msgpack_pack_nil (&pk);
    return s_finish (&sb, buf, cap, len);
}

int
nines_evidence_decode (const uint8_t *buf, size_t len, nines_evidence_t *ev)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, NINES_EVIDENCE_MAX, &u);
    const msgpack_object *items = NULL;
    uint64_t version = 0;
    ev->has_up = false;
    if (!rc) rc = s_array (&u.data, 4, &items);
    if (!rc) rc = s_uint (&items [0], UINT8_MAX, &version);
    if (!rc && version != NINES_WIRE_VERSION) rc = NINES_EVERSION;
    if (!rc) rc = s_bin (&items [1], ev->pod, NINES_ID_BYTES);
    if (!rc) rc = s_decode_report (&items [2], &ev->down);
    if (!rc && items [3].type != MSGPACK_OBJECT_NIL) {
        ev->has_up = true;
        rc = s_decode_report (&items [3], &ev->up);
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

/*  ---- registry entries ---- */

int
nines_validator_info_encode (const nines_validator_info_t *v, uint8_t *buf, size_t cap, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, COUNT (s_validator_fields));
    s_encode_fields (&pk, s_validator_fields, COUNT (s_validator_fields), v);
    return s_finish (&sb, buf, cap, len);
}

int
nines_validator_info_decode (const uint8_t *buf, size_t len, nines_validator_info_t *v)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, 1024, &u);
    const msgpack_object *items;
    memset (v, 0, sizeof *v);
    if (!rc) rc = s_array (&u.data, COUNT (s_validator_fields), &items);
    if (!rc) rc = s_decode_fields (items, s_validator_fields, COUNT (s_validator_fields), v);
    msgpack_unpacked_destroy (&u);
    return rc;
}

/*  A set of 32-byte values (facade keys, SPKI pins): an array of 1..max bin32. */
static void
s_encode_set (msgpack_packer *pk, const uint8_t (*set) [32], uint8_t n)
{
    msgpack_pack_array (pk, n);
    for (uint8_t i = 0; i < n; i++) {
        msgpack_pack_bin (pk, 32);
        msgpack_pack_bin_body (pk, set [i], 32);
    }
}

static int
s_decode_set (const msgpack_object *o, uint8_t (*set) [32], uint8_t *n, uint8_t max)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
        return NINES_EMALFORMED;
    if (o->via.array.size > max)
        return NINES_ETOOBIG;
    *n = (uint8_t) o->via.array.size;
    for (uint8_t i = 0; i < *n; i++) {
        int rc = s_bin (&o->via.array.ptr [i], set [i], 32);
        if (rc)
            return rc;
    }
    return NINES_OK;
}

#define POD_ITEMS (COUNT (s_pod_fields) + 2 + COUNT (s_pod_tail_fields) + 1)

int
nines_pod_info_encode (const nines_pod_info_t *p, uint8_t *buf, size_t cap, size_t *len)
{
    if (p->n_maint > NINES_MAINT_MAX || p->n_facade_keys > NINES_POD_KEYS_MAX
    ||  p->n_spki_pins > NINES_POD_PINS_MAX)
        return NINES_ETOOBIG;
    if (p->n_facade_keys == 0 || p->n_spki_pins == 0)
        return NINES_EINVAL;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_array (&pk, POD_ITEMS);
    s_encode_fields (&pk, s_pod_fields, COUNT (s_pod_fields), p);
    s_encode_set (&pk, p->facade_keys, p->n_facade_keys);
    s_encode_set (&pk, p->spki_pins, p->n_spki_pins);
    s_encode_fields (&pk, s_pod_tail_fields, COUNT (s_pod_tail_fields), p);
    msgpack_pack_array (&pk, p->n_maint);
    for (int i = 0; i < p->n_maint; i++) {
        msgpack_pack_array (&pk, COUNT (s_maint_fields));
        s_encode_fields (&pk, s_maint_fields, COUNT (s_maint_fields), &p->maint [i]);
    }
    return s_finish (&sb, buf, cap, len);
}

int
nines_pod_info_decode (const uint8_t *buf, size_t len, nines_pod_info_t *p)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, 4096, &u);
    const msgpack_object *items = NULL;
    memset (p, 0, sizeof *p);
    size_t at = COUNT (s_pod_fields);
    if (!rc) rc = s_array (&u.data, POD_ITEMS, &items);
    if (!rc) rc = s_decode_fields (items, s_pod_fields, COUNT (s_pod_fields), p);
    if (!rc) rc = s_decode_set (&items [at], p->facade_keys, &p->n_facade_keys, NINES_POD_KEYS_MAX);
    if (!rc) rc = s_decode_set (&items [at + 1], p->spki_pins, &p->n_spki_pins, NINES_POD_PINS_MAX);
    if (!rc) rc = s_decode_fields (items + at + 2, s_pod_tail_fields, COUNT (s_pod_tail_fields), p);
    const msgpack_object *maint = rc ? NULL : &items [POD_ITEMS - 1];
    if (!rc && maint->type != MSGPACK_OBJECT_ARRAY) rc = NINES_EMALFORMED;
    if (!rc && maint->via.array.size > NINES_MAINT_MAX) rc = NINES_ETOOBIG;
    if (!rc) {
        p->n_maint = (uint8_t) maint->via.array.size;
        for (int i = 0; i < p->n_maint && !rc; i++) {
            const msgpack_object *f;
            rc = s_array (&maint->via.array.ptr [i], COUNT (s_maint_fields), &f);
            if (!rc) rc = s_decode_fields (f, s_maint_fields, COUNT (s_maint_fields), &p->maint [i]);
        }
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

int
nines_params_encode (const nines_params_t *p, uint8_t *buf, size_t cap, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, nines_param_ndescs);
    for (size_t i = 0; i < nines_param_ndescs; i++) {
        const nines_param_desc_t *d = &nines_param_descs [i];
        const uint8_t *field = (const uint8_t *) p + d->offset;
        nines_pack_str (&pk, d->name);
        if (d->kind == 'h') {
            msgpack_pack_bin (&pk, 32);
            msgpack_pack_bin_body (&pk, field, 32);
        }
        else
            msgpack_pack_uint64 (&pk, s_get_uint (field, d->kind == 'w' || d->kind == 'p' ? 4 : 8));
    }
    return s_finish (&sb, buf, cap, len);
}

int
nines_params_decode (const uint8_t *buf, size_t len, nines_params_t *p)
{
    msgpack_unpacked u;
    int rc = s_unpack (buf, len, 4096, &u);
    nines_params_default (p);
    if (!rc && u.data.type != MSGPACK_OBJECT_MAP)
        rc = NINES_EMALFORMED;
    for (uint32_t i = 0; !rc && i < u.data.via.map.size; i++) {
        const msgpack_object_kv *kv = &u.data.via.map.ptr [i];
        if (kv->key.type != MSGPACK_OBJECT_STR) {
            rc = NINES_EMALFORMED;
            break;
        }
        const nines_param_desc_t *d = NULL;
        for (size_t j = 0; j < nines_param_ndescs; j++)
            if (strlen (nines_param_descs [j].name) == kv->key.via.str.size
            &&  memcmp (nines_param_descs [j].name, kv->key.via.str.ptr, kv->key.via.str.size) == 0)
                d = &nines_param_descs [j];
        if (!d) {
            rc = NINES_EMALFORMED;
            break;
        }
        uint8_t *field = (uint8_t *) p + d->offset;
        uint64_t v;
        if (d->kind == 'h')
            rc = s_bin (&kv->val, field, 32);
        else
        if (d->kind == 'w' || d->kind == 'p') {
            rc = s_uint (&kv->val, d->kind == 'p' ? 1000000 : UINT32_MAX, &v);
            if (!rc)
                s_set_uint (field, 4, v);
        }
        else {
            rc = s_uint (&kv->val, UINT64_MAX, &v);
            if (!rc)
                s_set_uint (field, 8, v);
        }
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

/*  ---- query maps ---- */

struct _nines_query_t {
    msgpack_unpacked u;         /* unpacked request, owns the zone */
    char op [64];               /* the "op" value */
    uint8_t *copy;              /* private copy of the request bytes */
};

const msgpack_object *
nines_map_get (const msgpack_object *map, const char *key)
{
    if (!map || map->type != MSGPACK_OBJECT_MAP)
        return NULL;
    size_t klen = strlen (key);
    for (uint32_t i = 0; i < map->via.map.size; i++) {
        const msgpack_object *k = &map->via.map.ptr [i].key;
        /* msgpack-c gives an empty string a NULL ptr: no memcmp then */
        if (k->type == MSGPACK_OBJECT_STR && k->via.str.size == klen
        &&  (klen == 0 || memcmp (k->via.str.ptr, key, klen) == 0))
            return &map->via.map.ptr [i].val;
    }
    return NULL;
}

static const msgpack_object *
s_lookup (nines_query_t *q, const char *key)
{
    return nines_map_get (&q->u.data, key);
}

int
nines_query_parse (const uint8_t *buf, size_t len, nines_query_t **query_p)
{
    return nines_query_parse_max (buf, len, NINES_QUERY_MAX, query_p);
}

int
nines_query_parse_max (const uint8_t *buf, size_t len, size_t max, nines_query_t **query_p)
{
    *query_p = NULL;
    if (len > max)
        return NINES_ETOOBIG;           /* before copying it */
    nines_query_t *q = (nines_query_t *) calloc (1, sizeof *q);
    if (!q)
        return NINES_ENOMEM;
    /* The zone may point into the input; keep a copy so the query outlives
       the caller's message. */
    q->copy = (uint8_t *) malloc (len ? len : 1);
    if (!q->copy) {
        free (q);
        return NINES_ENOMEM;
    }
    memcpy (q->copy, buf, len);
    int rc = s_unpack (q->copy, len, max, &q->u);
    if (!rc && q->u.data.type != MSGPACK_OBJECT_MAP)
        rc = NINES_EMALFORMED;
    for (uint32_t i = 0; !rc && i < q->u.data.via.map.size; i++)
        if (q->u.data.via.map.ptr [i].key.type != MSGPACK_OBJECT_STR)
            rc = NINES_EMALFORMED;
    if (!rc) {
        const msgpack_object *op = s_lookup (q, "op");
        if (!op)
            rc = NINES_EMALFORMED;
        else
            rc = s_str (op, q->op, sizeof q->op);      /* 64 bytes or more: NINES_ETOOBIG */
    }
    if (rc) {
        nines_query_destroy (&q);
        return rc;
    }
    *query_p = q;
    return NINES_OK;
}

void
nines_query_destroy (nines_query_t **query_p)
{
    if (!query_p || !*query_p)
        return;
    msgpack_unpacked_destroy (&(*query_p)->u);
    free ((*query_p)->copy);
    free (*query_p);
    *query_p = NULL;
}

const char *
nines_query_op (nines_query_t *query)
{
    return query->op;
}

int
nines_query_str (nines_query_t *query, const char *key, char *out, size_t size)
{
    const msgpack_object *v = s_lookup (query, key);
    return v ? s_str (v, out, size) : NINES_ENOTFOUND;
}

int
nines_query_u64 (nines_query_t *query, const char *key, uint64_t *out)
{
    const msgpack_object *v = s_lookup (query, key);
    return v ? s_uint (v, UINT64_MAX, out) : NINES_ENOTFOUND;
}

int
nines_query_bool (nines_query_t *query, const char *key, bool *out)
{
    const msgpack_object *v = s_lookup (query, key);
    if (!v)
        return NINES_ENOTFOUND;
    if (v->type != MSGPACK_OBJECT_BOOLEAN)
        return NINES_EMALFORMED;
    *out = v->via.boolean;
    return NINES_OK;
}

int
nines_query_bin (nines_query_t *query, const char *key, uint8_t *out, size_t len)
{
    const msgpack_object *v = s_lookup (query, key);
    return v ? s_bin (v, out, len) : NINES_ENOTFOUND;
}

int
nines_query_blob (nines_query_t *query, const char *key, const uint8_t **data, size_t *len)
{
    const msgpack_object *v = s_lookup (query, key);
    if (!v)
        return NINES_ENOTFOUND;
    if (v->type != MSGPACK_OBJECT_BIN)
        return NINES_EMALFORMED;
    *data = (const uint8_t *) v->via.bin.ptr;
    *len = v->via.bin.size;
    return NINES_OK;
}

void
nines_pack_str (struct msgpack_packer *pk, const char *s)
{
    size_t len = strlen (s);
    msgpack_pack_str (pk, len);
    msgpack_pack_str_body (pk, s, len);
}

void
nines_pack_kv_str (struct msgpack_packer *pk, const char *key, const char *value)
{
    nines_pack_str (pk, key);
    nines_pack_str (pk, value);
}

void
nines_pack_kv_u64 (struct msgpack_packer *pk, const char *key, uint64_t value)
{
    nines_pack_str (pk, key);
    msgpack_pack_uint64 (pk, value);
}

void
nines_pack_kv_bool (struct msgpack_packer *pk, const char *key, bool value)
{
    nines_pack_str (pk, key);
    if (value)
        msgpack_pack_true (pk);
    else
        msgpack_pack_false (pk);
}

void
nines_pack_kv_bin (struct msgpack_packer *pk, const char *key, const uint8_t *data, size_t len)
{
    nines_pack_str (pk, key);
    msgpack_pack_bin (pk, len);
    msgpack_pack_bin_body (pk, data, len);
}

int
nines_reply_error (const char *text, uint8_t **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    msgpack_sbuffer_init (&sb);
    msgpack_packer_init (&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map (&pk, 2);
    nines_pack_kv_bool (&pk, "ok", false);
    nines_pack_kv_str (&pk, "error", text);
    *out = (uint8_t *) sb.data;     /* malloc'd by the sbuffer: caller frees */
    *len = sb.size;
    return *out ? NINES_OK : NINES_ENOMEM;
}

int
nines_reply_fail (int code, const char *detail, uint8_t **out, size_t *len)
{
    char text [512];
    snprintf (text, sizeof text, "%s: %s", nines_errname (code), detail);
    return nines_reply_error (text, out, len);
}

int
nines_reply_bad_query (int rc, uint8_t **out, size_t *len)
{
    return nines_reply_fail (rc, "request is not a msgpack map of str keys with an op str of at most 63 bytes",
                             out, len);
}

int
nines_reply_unknown_op (const char *op, uint8_t **out, size_t *len)
{
    char detail [96];
    snprintf (detail, sizeof detail, "unknown op '%s'", op);
    return nines_reply_fail (NINES_EINVAL, detail, out, len);
}
