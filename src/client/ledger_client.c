/*  nines-ledger API helpers: signed request builders and reply parsers
    (see ledger_client.h and proto/LEDGER.md). */
#include "client/ledger_client.h"
#include <msgpack.h>
#include <stdlib.h>
#include <string.h>

size_t
nines_ledger_signed_bytes (uint8_t *out, uint64_t t_ms, const uint8_t *body, size_t len)
{
    nines_le64 (out, t_ms);
    if (len)
        memcpy (out + 8, body, len);
    return 8 + len;
}

int
nines_ledger_sign (const nines_keypair_t *kp, const char *domain, uint64_t t_ms,
                   const uint8_t *body, size_t len, uint8_t sig [NINES_SIG_BYTES])
{
    if (!kp || !domain || (len && !body))
        return NINES_EINVAL;
    if (len > NINES_LEDGER_BODY_MAX)
        return NINES_ETOOBIG;
    uint8_t buf [8 + NINES_LEDGER_BODY_MAX];
    size_t n = nines_ledger_signed_bytes (buf, t_ms, body, len);
    return nines_sign (kp, domain, buf, n, sig);
}

int
nines_ledger_verify (const uint8_t pk [NINES_ID_BYTES], const char *domain, uint64_t t_ms,
                     const uint8_t *body, size_t len, const uint8_t sig [NINES_SIG_BYTES])
{
    if (!pk || !domain || !sig || (len && !body) || len > NINES_LEDGER_BODY_MAX)
        return NINES_EBADSIG;
    uint8_t buf [8 + NINES_LEDGER_BODY_MAX];
    size_t n = nines_ledger_signed_bytes (buf, t_ms, body, len);
    return nines_verify (pk, domain, buf, n, sig);
}

/*  The layout of the three small bodies: a 32-byte id, then one or two
    le64 values. */
static void
s_body (uint8_t *out, const uint8_t id [32], uint64_t a, const uint64_t *b)
{
    memcpy (out, id, 32);
    nines_le64 (out + 32, a);
    if (b)
        nines_le64 (out + 40, *b);
}

void
nines_ledger_maint_body (uint8_t out [NINES_MAINT_BODY_BYTES], const uint8_t pod [NINES_ID_BYTES],
                         uint64_t start_ms, uint64_t end_ms)
{
    s_body (out, pod, start_ms, &end_ms);
}

void
nines_ledger_paid_body (uint8_t out [NINES_PAID_BODY_BYTES], const uint8_t pod [NINES_ID_BYTES],
                        uint64_t paid_until_ms)
{
    s_body (out, pod, paid_until_ms, NULL);
}

void
nines_ledger_canary_body (uint8_t out [NINES_CANARY_BODY_BYTES], const uint8_t id [NINES_HASH_BYTES],
                          uint64_t period, uint64_t deadline_ms)
{
    s_body (out, id, period, &deadline_ms);
}

/*  ---- builders ---- */

static void
s_begin (msgpack_sbuffer *sb, msgpack_packer *pk, const char *op, uint32_t n_keys)
{
    nines_packer_init (sb, pk);
    msgpack_pack_map (pk, n_keys);
    nines_pack_kv_str (pk, "op", op);
}

static int
s_end (msgpack_sbuffer *sb, uint8_t **out, size_t *len)
{
    if (!sb->data) {
        msgpack_sbuffer_destroy (sb);
        return NINES_ENOMEM;
    }
    *out = (uint8_t *) sb->data;    /* malloc'd by the sbuffer: caller frees */
    *len = sb->size;
    return NINES_OK;
}

/*  {op, info, t_ms, sig}: a validator's (v) or a pod's (p) registry entry,
    encoded, signed by kp, which must be the validator or the pod's
    provider.  Exactly one of v and p is given. */
static int
s_req_register (const nines_keypair_t *kp, const nines_validator_info_t *v, const nines_pod_info_t *p,
                uint64_t t_ms, uint8_t **out, size_t *len)
{
    const uint8_t *signer = v ? v->id : p ? p->provider : NULL;
    if (!kp || !signer || memcmp (kp->pk, signer, NINES_ID_BYTES) != 0)
        return NINES_EINVAL;
    uint8_t info [NINES_LEDGER_BODY_MAX], sig [NINES_SIG_BYTES];
    size_t n = 0;
    int rc = v ? nines_validator_info_encode (v, info, sizeof info, &n)
               : nines_pod_info_encode (p, info, sizeof info, &n);
    if (!rc)
        rc = nines_ledger_sign (kp, v ? NINES_DOMAIN_REG_VALIDATOR : NINES_DOMAIN_REG_POD, t_ms, info, n, sig);
    if (rc)
        return rc;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_begin (&sb, &pk, v ? NINES_LEDGER_OP_REG_VALIDATOR : NINES_LEDGER_OP_REG_POD, 4);
    nines_pack_kv_bin (&pk, "info", info, n);
    nines_pack_kv_u64 (&pk, "t_ms", t_ms);
    nines_pack_kv_bin (&pk, "sig", sig, NINES_SIG_BYTES);
    return s_end (&sb, out, len);
}

int
nines_ledger_req_register_validator (const nines_keypair_t *kp, const nines_validator_info_t *info,
                                     uint64_t t_ms, uint8_t **out, size_t *len)
{
    return info ? s_req_register (kp, info, NULL, t_ms, out, len) : NINES_EINVAL;
}

int
nines_ledger_req_register_pod (const nines_keypair_t *kp, const nines_pod_info_t *info,
                               uint64_t t_ms, uint8_t **out, size_t *len)
{
    return info ? s_req_register (kp, NULL, info, t_ms, out, len) : NINES_EINVAL;
}

/*  {op, pod, <k0: v0>, [<k1: v1>], t_ms, sig}: a provider-signed change
    of one pod whose body was built by the caller. */
static int
s_req_pod (const nines_keypair_t *kp, const char *op, const char *domain, const uint8_t *body,
           size_t body_len, const uint8_t pod [NINES_ID_BYTES], const char *k0, uint64_t v0,
           const char *k1, uint64_t v1, uint64_t t_ms, uint8_t **out, size_t *len)
{
    uint8_t sig [NINES_SIG_BYTES];
    int rc = nines_ledger_sign (kp, domain, t_ms, body, body_len, sig);
    if (rc)
        return rc;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_begin (&sb, &pk, op, k1 ? 6 : 5);
    nines_pack_kv_bin (&pk, "pod", pod, NINES_ID_BYTES);
    nines_pack_kv_u64 (&pk, k0, v0);
    if (k1)
        nines_pack_kv_u64 (&pk, k1, v1);
    nines_pack_kv_u64 (&pk, "t_ms", t_ms);
    nines_pack_kv_bin (&pk, "sig", sig, NINES_SIG_BYTES);
    return s_end (&sb, out, len);
}

int
nines_ledger_req_maintenance (const nines_keypair_t *kp, const uint8_t pod [NINES_ID_BYTES],
                              uint64_t start_ms, uint64_t end_ms, uint64_t t_ms,
                              uint8_t **out, size_t *len)
{
    if (!kp || !pod)
        return NINES_EINVAL;
    uint8_t body [NINES_MAINT_BODY_BYTES];
    nines_ledger_maint_body (body, pod, start_ms, end_ms);
    return s_req_pod (kp, NINES_LEDGER_OP_MAINTENANCE, NINES_DOMAIN_MAINTENANCE, body, sizeof body,
                      pod, "start_ms", start_ms, "end_ms", end_ms, t_ms, out, len);
}

int
nines_ledger_req_paid_until (const nines_keypair_t *kp, const uint8_t pod [NINES_ID_BYTES],
                             uint64_t paid_until_ms, uint64_t t_ms, uint8_t **out, size_t *len)
{
    if (!kp || !pod)
        return NINES_EINVAL;
    uint8_t body [NINES_PAID_BODY_BYTES];
    nines_ledger_paid_body (body, pod, paid_until_ms);
    return s_req_pod (kp, NINES_LEDGER_OP_PAID_UNTIL, NINES_DOMAIN_PAID_UNTIL, body, sizeof body,
                      pod, "paid_until_ms", paid_until_ms, NULL, 0, t_ms, out, len);
}

int
nines_ledger_req_submit_evidence (const nines_evidence_t *ev, const uint8_t from [NINES_ID_BYTES],
                                  uint8_t **out, size_t *len)
{
    if (!ev || !from)
        return NINES_EINVAL;
    uint8_t *buf = malloc (NINES_EVIDENCE_MAX);
    if (!buf)
        return NINES_ENOMEM;
    size_t n = 0;
    int rc = nines_evidence_encode (ev, buf, NINES_EVIDENCE_MAX, &n);
    if (rc) {
        free (buf);
        return rc;
    }
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_begin (&sb, &pk, NINES_LEDGER_OP_SUBMIT_EVIDENCE, 3);
    nines_pack_kv_bin (&pk, "evidence", buf, n);
    nines_pack_kv_bin (&pk, "from", from, NINES_ID_BYTES);
    free (buf);
    return s_end (&sb, out, len);
}

int
nines_ledger_req_canary_sign (const nines_keypair_t *kp, const uint8_t canary [NINES_HASH_BYTES],
                              uint8_t **out, size_t *len)
{
    if (!kp || !canary)
        return NINES_EINVAL;
    uint8_t body [NINES_CANARY_SIGN_BYTES], sig [NINES_SIG_BYTES];
    memcpy (body, canary, NINES_HASH_BYTES);
    memcpy (body + 32, kp->pk, NINES_ID_BYTES);
    int rc = nines_sign (kp, NINES_DOMAIN_CANARY_SIGN, body, sizeof body, sig);
    if (rc)
        return rc;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_begin (&sb, &pk, NINES_LEDGER_OP_CANARY_SIGN, 4);
    nines_pack_kv_bin (&pk, "canary", canary, NINES_HASH_BYTES);
    nines_pack_kv_bin (&pk, "validator", kp->pk, NINES_ID_BYTES);
    nines_pack_kv_bin (&pk, "sig", sig, NINES_SIG_BYTES);
    return s_end (&sb, out, len);
}

int
nines_ledger_req_simple (const char *op, const uint8_t *pod, uint8_t **out, size_t *len)
{
    if (!op)
        return NINES_EINVAL;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    s_begin (&sb, &pk, op, pod ? 2 : 1);
    if (pod)
        nines_pack_kv_bin (&pk, "pod", pod, NINES_ID_BYTES);
    return s_end (&sb, out, len);
}

/*  ---- reply parsing ---- */

/*  Value of key in map o, or NULL. */
static const msgpack_object *
s_get (const msgpack_object *o, const char *key)
{
    return nines_map_get (o, key);
}

static bool
s_bin (const msgpack_object *o, const char *key, uint8_t *out, size_t len)
{
    const msgpack_object *v = s_get (o, key);
    if (!v || v->type != MSGPACK_OBJECT_BIN || v->via.bin.size != len)
        return false;
    memcpy (out, v->via.bin.ptr, len);
    return true;
}

static bool
s_u64 (const msgpack_object *o, const char *key, uint64_t *out)
{
    const msgpack_object *v = s_get (o, key);
    if (!v || v->type != MSGPACK_OBJECT_POSITIVE_INTEGER)
        return false;
    *out = v->via.u64;
    return true;
}

static void
s_str (const msgpack_object *o, const char *key, char *out, size_t size)
{
    if (!out || !size)
        return;
    out [0] = 0;
    const msgpack_object *v = s_get (o, key);
    if (v && v->type == MSGPACK_OBJECT_STR) {
        size_t n = v->via.str.size < size - 1 ? v->via.str.size : size - 1;
        memcpy (out, v->via.str.ptr, n);
        out [n] = 0;
    }
}

/*  Unpack a reply map; -1 when it is not one.  *ok gets the "ok" flag. */
static int
s_reply (const uint8_t *buf, size_t len, msgpack_unpacked *u, bool *ok)
{
    msgpack_unpacked_init (u);
    size_t off = 0;
    if (!buf || msgpack_unpack_next (u, (const char *) buf, len, &off) != MSGPACK_UNPACK_SUCCESS
    ||  off != len || u->data.type != MSGPACK_OBJECT_MAP) {
        msgpack_unpacked_destroy (u);
        return NINES_EMALFORMED;
    }
    const msgpack_object *v = s_get (&u->data, "ok");
    *ok = v && v->type == MSGPACK_OBJECT_BOOLEAN && v->via.boolean;
    return NINES_OK;
}

int
nines_ledger_parse_registry (const uint8_t *reply, size_t len, nines_registry_t **reg_p,
                             uint8_t ledger_id [NINES_ID_BYTES])
{
    msgpack_unpacked u;
    bool ok;
    if (s_reply (reply, len, &u, &ok))
        return NINES_EMALFORMED;
    int rc = ok ? NINES_OK : NINES_ESTATE;
    const msgpack_object *o = &u.data;
    const msgpack_object *params = s_get (o, "params");
    const msgpack_object *vals = s_get (o, "validators");
    const msgpack_object *pods = s_get (o, "pods");
    uint64_t version = 0;
    if (!rc && (!params || params->type != MSGPACK_OBJECT_BIN || !vals || vals->type != MSGPACK_OBJECT_ARRAY
    ||  !pods || pods->type != MSGPACK_OBJECT_ARRAY || !s_u64 (o, "version", &version)))
        rc = NINES_EMALFORMED;
    if (!rc && ledger_id && !s_bin (o, "ledger", ledger_id, NINES_ID_BYTES))
        memset (ledger_id, 0, NINES_ID_BYTES);
    nines_registry_t *reg = rc ? NULL : nines_registry_new ();
    if (!rc && !reg)
        rc = NINES_ENOMEM;
    if (!rc)
        rc = nines_params_decode ((const uint8_t *) params->via.bin.ptr, params->via.bin.size, &reg->params);
    for (uint32_t i = 0; !rc && i < vals->via.array.size; i++) {
        const msgpack_object *e = &vals->via.array.ptr [i];
        nines_validator_info_t v;
        if (e->type != MSGPACK_OBJECT_BIN)
            rc = NINES_EMALFORMED;
        if (!rc)
            rc = nines_validator_info_decode ((const uint8_t *) e->via.bin.ptr, e->via.bin.size, &v);
        if (!rc)
            rc = nines_registry_put_validator (reg, &v);
    }
    for (uint32_t i = 0; !rc && i < pods->via.array.size; i++) {
        const msgpack_object *e = &pods->via.array.ptr [i];
        nines_pod_info_t *p = malloc (sizeof *p);
        if (!p)
            rc = NINES_ENOMEM;
        if (!rc && e->type != MSGPACK_OBJECT_BIN)
            rc = NINES_EMALFORMED;
        if (!rc)
            rc = nines_pod_info_decode ((const uint8_t *) e->via.bin.ptr, e->via.bin.size, p);
        if (!rc)
            rc = nines_registry_put_pod (reg, p);
        free (p);
    }
    msgpack_unpacked_destroy (&u);
    if (rc) {
        nines_registry_destroy (&reg);
        return rc;
    }
    reg->version = version;
    *reg_p = reg;
    return NINES_OK;
}

int
nines_ledger_parse_ack (const uint8_t *reply, size_t len, uint8_t id [NINES_HASH_BYTES],
                        char *verdict, size_t verdict_size, char *reason, size_t reason_size)
{
    msgpack_unpacked u;
    bool ok;
    if (s_reply (reply, len, &u, &ok))
        return NINES_EMALFORMED;
    int rc = NINES_OK;
    if (!ok)
        rc = NINES_ESTATE;
    else
    if (id && !s_bin (&u.data, "id", id, NINES_HASH_BYTES))
        rc = NINES_EMALFORMED;
    s_str (&u.data, "verdict", verdict, verdict_size);
    s_str (&u.data, ok ? "reason" : "error", reason, reason_size);
    msgpack_unpacked_destroy (&u);
    return rc;
}

int
nines_ledger_parse_canary (const uint8_t *msg, size_t len, const uint8_t *ledger_id,
                           uint8_t id [NINES_HASH_BYTES], uint64_t *period, uint64_t *deadline_ms)
{
    msgpack_unpacked u;
    bool ok;
    if (s_reply (msg, len, &u, &ok))
        return NINES_EMALFORMED;
    uint8_t sig [NINES_SIG_BYTES];
    uint64_t p = 0, d = 0;
    int rc = NINES_OK;
    if (!s_bin (&u.data, "id", id, NINES_HASH_BYTES) || !s_u64 (&u.data, "period", &p)
    ||  !s_u64 (&u.data, "deadline_ms", &d) || !s_bin (&u.data, "sig", sig, NINES_SIG_BYTES))
        rc = s_get (&u.data, "ok") && !s_get (&u.data, "id") ? NINES_ENOTFOUND : NINES_EMALFORMED;
    msgpack_unpacked_destroy (&u);
    if (rc)
        return rc;
    if (ledger_id) {
        uint8_t body [NINES_CANARY_BODY_BYTES];
        nines_ledger_canary_body (body, id, p, d);
        if (nines_verify (ledger_id, NINES_DOMAIN_CANARY, body, sizeof body, sig))
            return NINES_EBADSIG;
    }
    if (period)
        *period = p;
    if (deadline_ms)
        *deadline_ms = d;
    return NINES_OK;
}
