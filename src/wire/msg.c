/*  nines wire codec: peer messages.  The envelope [version, type, from,
    membership updates, body] and its bodies (PING/PING_REQ/ACK,
    CONFIRM_REQ, VOTE, QUORUM_REPORT, MISBEHAVIOUR), the signed vote with
    its exact signed bytes, quorum reports and EVIDENCE (PROTOCOL.md 5-8);
    the outcome and verdict names. */
#include "wire/wire_private.h"
#include <string.h>

/*  ---- tables ---- */

static const wire_field_t s_vote_fields [] = {
    BIN_F (nines_vote_body_t, round_id),
    BIN_F (nines_vote_body_t, pod),
    UINT_F (nines_vote_body_t, epoch, UINT64_MAX),
    BIN_F (nines_vote_body_t, validator),
    UINT_F (nines_vote_body_t, verdict, NINES_VERDICT_ABSTAIN),
    UINT_F (nines_vote_body_t, outcome, NINES_OUTCOME_COUNT - 1),
    UINT_F (nines_vote_body_t, t_ms, UINT64_MAX),
};

static const wire_field_t s_proof_fields [] = {
    BIN_F (nines_vote_body_t, proof_nonce),
    UINT_F (nines_vote_body_t, proof_t_ms, UINT64_MAX),
    UINT_F (nines_vote_body_t, proof.app_status, UINT16_MAX),
    UINT_F (nines_vote_body_t, proof.app_latency_us, UINT32_MAX),
    BIN_F (nines_vote_body_t, proof.sig),
};

static const wire_field_t s_attempt_fields [] = {
    UINT_F (nines_attempt_t, age_ms, UINT32_MAX),
    UINT_F (nines_attempt_t, outcome, NINES_OUTCOME_COUNT - 1),
};

static const wire_field_t s_report_fields [] = {
    UINT_F (nines_report_t, kind, NINES_REPORT_UP),
    BIN_F (nines_report_t, pod),
    UINT_F (nines_report_t, epoch, UINT64_MAX),
    BIN_F (nines_report_t, round_id),
    UINT_F (nines_report_t, t_ms, UINT64_MAX),
};

static const wire_field_t s_confirm_fields [] = {
    BIN_F (nines_confirm_req_t, round_id),
    BIN_F (nines_confirm_req_t, pod),
    UINT_F (nines_confirm_req_t, epoch, UINT64_MAX),
    BIN_F (nines_confirm_req_t, initiator),
    UINT_F (nines_confirm_req_t, t_ms, UINT64_MAX),
    UINT_F (nines_confirm_req_t, outcome, NINES_OUTCOME_COUNT - 1),
};

static const wire_field_t s_ping_fields [] = {
    UINT_F (nines_ping_t, seq, UINT64_MAX),
    BIN_F (nines_ping_t, target),
};

static const wire_field_t s_update_fields [] = {
    BIN_F (nines_member_update_t, id),
    UINT_F (nines_member_update_t, state, NINES_MEMBER_DEAD),
    UINT_F (nines_member_update_t, incarnation, UINT64_MAX),
};

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

/*  ---- votes ---- */

static void
s_pack_vote_body (msgpack_packer *pk, const nines_vote_body_t *body)
{
    msgpack_pack_array (pk, 9);
    wire_encode_fields (pk, s_vote_fields, COUNT (s_vote_fields), body);
    if (body->has_proof) {
        msgpack_pack_array (pk, COUNT (s_proof_fields));
        wire_encode_fields (pk, s_proof_fields, COUNT (s_proof_fields), body);
    }
    else
        msgpack_pack_nil (pk);
    uint8_t n = body->n_attempts > NINES_VOTE_ATTEMPTS_MAX ? NINES_VOTE_ATTEMPTS_MAX : body->n_attempts;
    msgpack_pack_array (pk, n);
    for (uint8_t i = 0; i < n; i++) {
        msgpack_pack_array (pk, COUNT (s_attempt_fields));
        wire_encode_fields (pk, s_attempt_fields, COUNT (s_attempt_fields), &body->attempts [i]);
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
        int rc = wire_array (&o->via.array.ptr [i], COUNT (s_attempt_fields), &f);
        if (!rc) rc = wire_decode_fields (f, s_attempt_fields, COUNT (s_attempt_fields), &body->attempts [i]);
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
    int rc = wire_unpack (buf, len, NINES_VOTE_SIGNED_MAX, &u);
    const msgpack_object *items;
    memset (body, 0, sizeof *body);
    if (!rc) rc = wire_array (&u.data, 9, &items);
    if (!rc) rc = wire_decode_fields (items, s_vote_fields, COUNT (s_vote_fields), body);
    if (!rc) rc = s_attempts_decode (&items [8], body);
    if (!rc && items [7].type != MSGPACK_OBJECT_NIL) {
        const msgpack_object *proof;
        rc = wire_array (&items [7], COUNT (s_proof_fields), &proof);
        if (!rc) rc = wire_decode_fields (proof, s_proof_fields, COUNT (s_proof_fields), body);
        body->has_proof = true;
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

int
nines_vote_encode (nines_vote_t *vote)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    s_pack_vote_body (&pk, &vote->body);
    size_t len = 0;
    int rc = wire_finish (&sb, vote->signed_bytes, sizeof vote->signed_bytes, &len);
    if (!rc)
        vote->signed_len = (uint16_t) len;
    return rc;
}

int
nines_vote_sign (nines_vote_t *vote, const nines_keypair_t *kp)
{
    if (memcmp (kp->pk, vote->body.validator, NINES_ID_BYTES) != 0)
        return NINES_EINVAL;
    int rc = nines_vote_encode (vote);
    return rc ? rc : nines_sign (kp, NINES_DOMAIN_VOTE, vote->signed_bytes, vote->signed_len, vote->sig);
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
    int rc = wire_array (o, 2, &items);
    if (rc)
        return rc;
    if (items [0].type != MSGPACK_OBJECT_BIN || items [0].via.bin.size == 0)
        return NINES_EMALFORMED;
    if (items [0].via.bin.size > NINES_VOTE_SIGNED_MAX)
        return NINES_ETOOBIG;
    vote->signed_len = (uint16_t) items [0].via.bin.size;
    memcpy (vote->signed_bytes, items [0].via.bin.ptr, vote->signed_len);
    rc = wire_bin (&items [1], vote->sig, NINES_SIG_BYTES);
    if (!rc)
        rc = s_vote_body_decode (vote->signed_bytes, vote->signed_len, &vote->body);
    return rc;
}

/*  ---- reports ---- */

static void
s_pack_report (msgpack_packer *pk, const nines_report_t *r)
{
    msgpack_pack_array (pk, 6);
    wire_encode_fields (pk, s_report_fields, COUNT (s_report_fields), r);
    uint16_t n = r->n_votes > NINES_REPORT_MAX_VOTES ? NINES_REPORT_MAX_VOTES : r->n_votes;
    msgpack_pack_array (pk, n);
    for (uint16_t i = 0; i < n; i++)
        s_pack_signed_vote (pk, &r->votes [i]);
}

static int
s_decode_report (const msgpack_object *o, nines_report_t *r)
{
    const msgpack_object *items;
    int rc = wire_array (o, 6, &items);
    if (!rc) rc = wire_decode_fields (items, s_report_fields, COUNT (s_report_fields), r);
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
    nines_packer_init (&sb, &pk);
    s_pack_report (&pk, report);
    return wire_finish (&sb, buf, cap, len);
}

int
nines_report_decode (const uint8_t *buf, size_t len, nines_report_t *report)
{
    msgpack_unpacked u;
    int rc = wire_unpack (buf, len, NINES_REPORT_MAX, &u);
    if (!rc)
        rc = s_decode_report (&u.data, report);
    msgpack_unpacked_destroy (&u);
    return rc;
}

/*  ---- peer messages ---- */

/*  Unpack a versioned message, [NINES_WIRE_VERSION, ...] of n items, at
    most limit bytes: *items its items.  The caller destroys *u in every
    case.  0, NINES_EVERSION or wire_unpack's and wire_array's codes. */
static int
s_versioned (const uint8_t *buf, size_t len, size_t limit, uint32_t n, msgpack_unpacked *u,
             const msgpack_object **items)
{
    uint64_t version = 0;
    int rc = wire_unpack (buf, len, limit, u);
    if (!rc) rc = wire_array (&u->data, n, items);
    if (!rc) rc = wire_uint (&(*items) [0], UINT8_MAX, &version);
    if (!rc && version != NINES_WIRE_VERSION) rc = NINES_EVERSION;
    return rc;
}

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
    nines_packer_init (&sb, &pk);
    msgpack_pack_array (&pk, 5);
    msgpack_pack_uint8 (&pk, NINES_WIRE_VERSION);
    msgpack_pack_uint8 (&pk, msg->type);
    msgpack_pack_bin (&pk, NINES_ID_BYTES);
    msgpack_pack_bin_body (&pk, msg->from, NINES_ID_BYTES);
    msgpack_pack_array (&pk, msg->n_updates);
    for (int i = 0; i < msg->n_updates; i++) {
        msgpack_pack_array (&pk, COUNT (s_update_fields));
        wire_encode_fields (&pk, s_update_fields, COUNT (s_update_fields), &msg->updates [i]);
    }
    switch (msg->type) {
        case NINES_MSG_PING:
        case NINES_MSG_PING_REQ:
        case NINES_MSG_ACK:
            msgpack_pack_array (&pk, COUNT (s_ping_fields));
            wire_encode_fields (&pk, s_ping_fields, COUNT (s_ping_fields), &msg->u.ping);
            break;
        case NINES_MSG_CONFIRM_REQ:
            msgpack_pack_array (&pk, COUNT (s_confirm_fields));
            wire_encode_fields (&pk, s_confirm_fields, COUNT (s_confirm_fields), &msg->u.confirm);
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
    return wire_finish (&sb, buf, cap, len);
}

int
nines_peer_msg_decode (const uint8_t *buf, size_t len, nines_peer_msg_t *msg)
{
    msgpack_unpacked u;
    const msgpack_object *items = NULL;
    uint64_t type = 0;
    memset (msg, 0, offsetof (nines_peer_msg_t, u));
    int rc = s_versioned (buf, len, NINES_PEER_MSG_MAX, 5, &u, &items);
    if (!rc) rc = wire_uint (&items [1], UINT8_MAX, &type);
    if (!rc && (type < NINES_MSG_PING || type > NINES_MSG_TYPE_MAX)) rc = NINES_EMALFORMED;
    if (!rc) rc = wire_bin (&items [2], msg->from, NINES_ID_BYTES);
    if (!rc && items [3].type != MSGPACK_OBJECT_ARRAY) rc = NINES_EMALFORMED;
    if (!rc && items [3].via.array.size > NINES_PIGGYBACK_MAX) rc = NINES_ETOOBIG;
    if (!rc) {
        msg->type = (uint8_t) type;
        msg->n_updates = (uint8_t) items [3].via.array.size;
        for (int i = 0; i < msg->n_updates && !rc; i++) {
            const msgpack_object *f;
            rc = wire_array (&items [3].via.array.ptr [i], COUNT (s_update_fields), &f);
            if (!rc) rc = wire_decode_fields (f, s_update_fields, COUNT (s_update_fields), &msg->updates [i]);
        }
    }
    const msgpack_object *body = rc ? NULL : &items [4];
    const msgpack_object *f;
    if (!rc) switch (msg->type) {
        case NINES_MSG_PING:
        case NINES_MSG_PING_REQ:
        case NINES_MSG_ACK:
            memset (&msg->u.ping, 0, sizeof msg->u.ping);
            rc = wire_array (body, COUNT (s_ping_fields), &f);
            if (!rc) rc = wire_decode_fields (f, s_ping_fields, COUNT (s_ping_fields), &msg->u.ping);
            break;
        case NINES_MSG_CONFIRM_REQ:
            memset (&msg->u.confirm, 0, sizeof msg->u.confirm);
            rc = wire_array (body, COUNT (s_confirm_fields), &f);
            if (!rc) rc = wire_decode_fields (f, s_confirm_fields, COUNT (s_confirm_fields), &msg->u.confirm);
            break;
        case NINES_MSG_VOTE:
            rc = s_decode_signed_vote (body, &msg->u.vote);
            break;
        case NINES_MSG_REPORT:
            rc = s_decode_report (body, &msg->u.report);
            break;
        case NINES_MSG_MISBEHAVIOUR:
            rc = wire_array (body, 2, &f);
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
    nines_packer_init (&sb, &pk);
    msgpack_pack_array (&pk, 4);
    msgpack_pack_uint8 (&pk, NINES_WIRE_VERSION);
    msgpack_pack_bin (&pk, NINES_ID_BYTES);
    msgpack_pack_bin_body (&pk, ev->pod, NINES_ID_BYTES);
    s_pack_report (&pk, &ev->down);
    if (ev->has_up)
        s_pack_report (&pk, &ev->up);
    else
        msgpack_pack_nil (&pk);
    return wire_finish (&sb, buf, cap, len);
}

int
nines_evidence_decode (const uint8_t *buf, size_t len, nines_evidence_t *ev)
{
    msgpack_unpacked u;
    const msgpack_object *items = NULL;
    ev->has_up = false;
    int rc = s_versioned (buf, len, NINES_EVIDENCE_MAX, 4, &u, &items);
    if (!rc) rc = wire_bin (&items [1], ev->pod, NINES_ID_BYTES);
    if (!rc) rc = s_decode_report (&items [2], &ev->down);
    if (!rc && items [3].type != MSGPACK_OBJECT_NIL) {
        ev->has_up = true;
        rc = s_decode_report (&items [3], &ev->up);
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

