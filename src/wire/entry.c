/*  nines wire codec: registry entries.  A validator [id, stake,
    endpoint], a pod (ids, facade URL, facade key and SPKI pin sets, stake,
    paid_until, probe method and path, maintenance windows) and the network
    parameters as a map keyed by the descriptor table nines_param_descs
    (absent keys keep nines_params_default's values). */
#include "wire/wire_private.h"
#include <string.h>

static const wire_field_t s_validator_fields [] = {
    BIN_F (nines_validator_info_t, id),
    UINT_F (nines_validator_info_t, stake, UINT64_MAX),
    STR_F (nines_validator_info_t, endpoint),
};

/*  The pod entry: these fields, then the facade key and SPKI pin sets
    (arrays of bin32), then s_pod_tail_fields, then the maintenance list. */
static const wire_field_t s_pod_fields [] = {
    BIN_F (nines_pod_info_t, pod),
    BIN_F (nines_pod_info_t, provider),
    STR_F (nines_pod_info_t, facade_url),
};

static const wire_field_t s_pod_tail_fields [] = {
    UINT_F (nines_pod_info_t, stake, UINT64_MAX),
    UINT_F (nines_pod_info_t, paid_until_ms, UINT64_MAX),
    STR_F (nines_pod_info_t, method),
    STR_F (nines_pod_info_t, path),
};

static const wire_field_t s_maint_fields [] = {
    UINT_F (nines_maint_t, start_ms, UINT64_MAX),
    UINT_F (nines_maint_t, end_ms, UINT64_MAX),
    UINT_F (nines_maint_t, announced_ms, UINT64_MAX),
};

#define P(name, kind, field, def) { name, kind, offsetof (nines_params_t, field), def }
#define MIN (60 * 1000ULL)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
const nines_param_desc_t nines_param_descs [] = {
    P ("genesis_seed", 'h', genesis_seed, 0),
    P ("genesis", 'u', genesis_ms, 0),
    P ("epoch", 'd', epoch_ms, 10000),
    P ("r", 'w', r, 3),
    P ("committee", 'w', committee, 7),
    P ("theta", 'p', theta_ppm, 666667),
    P ("probe_timeout", 'd', probe_timeout_ms, 5000),
    P ("retry_delay", 'd', retry_delay_ms, 500),
    P ("vote_delay", 'd', vote_delay_ms, 0),
    P ("vote_attempts", 'w', vote_attempts, 4),
    P ("vote_window", 'd', vote_window_ms, 1500),
    P ("vote_false", 'p', vote_false_ppm, 2000),
    P ("retry_attempts", 'w', retry_attempts, 2),
    P ("round_timeout", 'd', round_timeout_ms, 15000),
    P ("down_probe", 'd', down_probe_ms, 5000),
    P ("min_validator_stake", 'u', min_validator_stake, 1000),
    P ("d_mid", 'd', d_mid_ms, 2 * HOUR),
    P ("s", 'd', s_ms, 30 * MIN),
    P ("max_slash", 'p', max_slash_ppm, 100000),
    P ("grace", 'd', grace_ms, 60000),
    P ("notice", 'd', notice_ms, DAY),
    P ("maint_budget", 'd', maint_budget_ms, 4 * HOUR),
    P ("maint_period", 'd', maint_period_ms, 30 * DAY),
    P ("merge_factor", 'w', merge_factor, 24),
    P ("merge_min", 'd', merge_min_ms, 15 * MIN),
    P ("merge_max", 'd', merge_max_ms, 7 * DAY),
    P ("window", 'd', window_ms, 30 * DAY),
    P ("fee", 'p', fee_ppm, 1000),
    P ("fee_period", 'd', fee_period_ms, DAY),
    P ("canary_window", 'd', canary_window_ms, 60000),
    P ("corr_window", 'd', corr_window_ms, 5 * MIN),
    P ("down_confirm", 'd', down_confirm_ms, 60000),
};
#undef DAY
#undef HOUR
#undef MIN
#undef P
const size_t nines_param_ndescs = COUNT (nines_param_descs);

/*  Bytes of a row's field: 32 for 'h', 4 for 'w' and 'p', 8 otherwise. */
static size_t
s_param_size (const nines_param_desc_t *d)
{
    return d->kind == 'h' ? 32 : d->kind == 'w' || d->kind == 'p' ? 4 : 8;
}

void
nines_params_default (nines_params_t *p)
{
    memset (p, 0, sizeof *p);
    for (size_t i = 0; i < nines_param_ndescs; i++)
        if (nines_param_descs [i].kind != 'h')
            wire_set_uint ((uint8_t *) p + nines_param_descs [i].offset, s_param_size (&nines_param_descs [i]),
                           nines_param_descs [i].def);
}

/*  ---- registry entries ---- */

int
nines_validator_info_encode (const nines_validator_info_t *v, uint8_t *buf, size_t cap, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    msgpack_pack_array (&pk, COUNT (s_validator_fields));
    wire_encode_fields (&pk, s_validator_fields, COUNT (s_validator_fields), v);
    return wire_finish (&sb, buf, cap, len);
}

int
nines_validator_info_decode (const uint8_t *buf, size_t len, nines_validator_info_t *v)
{
    msgpack_unpacked u;
    int rc = wire_unpack (buf, len, 1024, &u);
    const msgpack_object *items;
    memset (v, 0, sizeof *v);
    if (!rc) rc = wire_array (&u.data, COUNT (s_validator_fields), &items);
    if (!rc) rc = wire_decode_fields (items, s_validator_fields, COUNT (s_validator_fields), v);
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
        int rc = wire_bin (&o->via.array.ptr [i], set [i], 32);
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
    nines_packer_init (&sb, &pk);
    msgpack_pack_array (&pk, POD_ITEMS);
    wire_encode_fields (&pk, s_pod_fields, COUNT (s_pod_fields), p);
    s_encode_set (&pk, p->facade_keys, p->n_facade_keys);
    s_encode_set (&pk, p->spki_pins, p->n_spki_pins);
    wire_encode_fields (&pk, s_pod_tail_fields, COUNT (s_pod_tail_fields), p);
    msgpack_pack_array (&pk, p->n_maint);
    for (int i = 0; i < p->n_maint; i++) {
        msgpack_pack_array (&pk, COUNT (s_maint_fields));
        wire_encode_fields (&pk, s_maint_fields, COUNT (s_maint_fields), &p->maint [i]);
    }
    return wire_finish (&sb, buf, cap, len);
}

int
nines_pod_info_decode (const uint8_t *buf, size_t len, nines_pod_info_t *p)
{
    msgpack_unpacked u;
    int rc = wire_unpack (buf, len, 4096, &u);
    const msgpack_object *items = NULL;
    memset (p, 0, sizeof *p);
    size_t at = COUNT (s_pod_fields);
    if (!rc) rc = wire_array (&u.data, POD_ITEMS, &items);
    if (!rc) rc = wire_decode_fields (items, s_pod_fields, COUNT (s_pod_fields), p);
    if (!rc) rc = s_decode_set (&items [at], p->facade_keys, &p->n_facade_keys, NINES_POD_KEYS_MAX);
    if (!rc) rc = s_decode_set (&items [at + 1], p->spki_pins, &p->n_spki_pins, NINES_POD_PINS_MAX);
    if (!rc) rc = wire_decode_fields (items + at + 2, s_pod_tail_fields, COUNT (s_pod_tail_fields), p);
    const msgpack_object *maint = rc ? NULL : &items [POD_ITEMS - 1];
    if (!rc && maint->type != MSGPACK_OBJECT_ARRAY) rc = NINES_EMALFORMED;
    if (!rc && maint->via.array.size > NINES_MAINT_MAX) rc = NINES_ETOOBIG;
    if (!rc) {
        p->n_maint = (uint8_t) maint->via.array.size;
        for (int i = 0; i < p->n_maint && !rc; i++) {
            const msgpack_object *f;
            rc = wire_array (&maint->via.array.ptr [i], COUNT (s_maint_fields), &f);
            if (!rc) rc = wire_decode_fields (f, s_maint_fields, COUNT (s_maint_fields), &p->maint [i]);
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
    nines_packer_init_map (&sb, &pk, nines_param_ndescs);
    for (size_t i = 0; i < nines_param_ndescs; i++) {
        const nines_param_desc_t *d = &nines_param_descs [i];
        const uint8_t *field = (const uint8_t *) p + d->offset;
        nines_pack_str (&pk, d->name);
        if (d->kind == 'h') {
            msgpack_pack_bin (&pk, 32);
            msgpack_pack_bin_body (&pk, field, 32);
        }
        else
            msgpack_pack_uint64 (&pk, wire_get_uint (field, s_param_size (d)));
    }
    return wire_finish (&sb, buf, cap, len);
}

int
nines_params_decode (const uint8_t *buf, size_t len, nines_params_t *p)
{
    msgpack_unpacked u;
    int rc = wire_unpack (buf, len, 4096, &u);
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
            rc = wire_bin (&kv->val, field, 32);
        else
        if (d->kind == 'w' || d->kind == 'p') {
            rc = wire_uint (&kv->val, d->kind == 'p' ? 1000000 : UINT32_MAX, &v);
            if (!rc)
                wire_set_uint (field, 4, v);
        }
        else {
            rc = wire_uint (&kv->val, UINT64_MAX, &v);
            if (!rc)
                wire_set_uint (field, 8, v);
        }
    }
    msgpack_unpacked_destroy (&u);
    return rc;
}

