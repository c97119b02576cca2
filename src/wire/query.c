/*  nines wire codec: query and reply maps.  A request is a msgpack map
    of str keys with an `op` str (nines_query_parse keeps a private copy so
    the query outlives the caller's message); typed getters; the pack
    helpers every program builds its maps with; the error replies. */
#include "wire/wire_private.h"
#include "base/error.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    int rc = wire_unpack (q->copy, len, max, &q->u);
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
            rc = wire_str (op, q->op, sizeof q->op);      /* 64 bytes or more: NINES_ETOOBIG */
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
    return v ? wire_str (v, out, size) : NINES_ENOTFOUND;
}

int
nines_query_u64 (nines_query_t *query, const char *key, uint64_t *out)
{
    const msgpack_object *v = s_lookup (query, key);
    return v ? wire_uint (v, UINT64_MAX, out) : NINES_ENOTFOUND;
}

/*  The value of key in query, if it has type type: *v set and 0;
    NINES_ENOTFOUND (no such key) or NINES_EMALFORMED (another type). */
static int
s_lookup_typed (nines_query_t *query, const char *key, msgpack_object_type type,
                const msgpack_object **v)
{
    *v = s_lookup (query, key);
    if (!*v)
        return NINES_ENOTFOUND;
    return (*v)->type == type ? NINES_OK : NINES_EMALFORMED;
}

int
nines_query_bool (nines_query_t *query, const char *key, bool *out)
{
    const msgpack_object *v;
    int rc = s_lookup_typed (query, key, MSGPACK_OBJECT_BOOLEAN, &v);
    if (!rc)
        *out = v->via.boolean;
    return rc;
}

int
nines_query_bin (nines_query_t *query, const char *key, uint8_t *out, size_t len)
{
    const msgpack_object *v = s_lookup (query, key);
    return v ? wire_bin (v, out, len) : NINES_ENOTFOUND;
}

int
nines_query_blob (nines_query_t *query, const char *key, const uint8_t **data, size_t *len)
{
    const msgpack_object *v;
    int rc = s_lookup_typed (query, key, MSGPACK_OBJECT_BIN, &v);
    if (!rc) {
        *data = (const uint8_t *) v->via.bin.ptr;
        *len = v->via.bin.size;
    }
    return rc;
}

void
nines_packer_init (struct msgpack_sbuffer *sb, struct msgpack_packer *pk)
{
    msgpack_sbuffer_init (sb);
    msgpack_packer_init (pk, sb, msgpack_sbuffer_write);
}

void
nines_packer_init_map (struct msgpack_sbuffer *sb, struct msgpack_packer *pk, uint32_t n)
{
    nines_packer_init (sb, pk);
    msgpack_pack_map (pk, n);
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

void
nines_pack_rows_head (struct msgpack_packer *pk, uint32_t n)
{
    msgpack_pack_map (pk, 2);
    nines_pack_kv_bool (pk, "ok", true);
    nines_pack_str (pk, "rows");
    msgpack_pack_array (pk, n);
}

int
nines_reply_error (const char *text, uint8_t **out, size_t *len)
{
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init_map (&sb, &pk, 2);
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

int
nines_reply_set_op (const char *op, uint8_t **reply, size_t *len)
{
    const uint8_t *in = *reply;
    size_t n = *len, hdr;
    uint32_t pairs;
    if (n >= 1 && in [0] >= 0x80 && in [0] <= 0x8f)
        pairs = in [0] & 0x0f, hdr = 1;
    else if (n >= 3 && in [0] == 0xde)
        pairs = (uint32_t) in [1] << 8 | in [2], hdr = 3;
    else if (n >= 5 && in [0] == 0xdf)
        pairs = (uint32_t) in [1] << 24 | (uint32_t) in [2] << 16 | (uint32_t) in [3] << 8 | in [4], hdr = 5;
    else
        return NINES_EMALFORMED;
    if (pairs == UINT32_MAX)
        return NINES_ETOOBIG;
    msgpack_sbuffer sb;
    msgpack_packer pk;
    nines_packer_init (&sb, &pk);
    size_t op_len = strlen (op);
    int err = msgpack_pack_map (&pk, pairs + 1);
    err |= msgpack_pack_str (&pk, 2);
    err |= msgpack_pack_str_body (&pk, "op", 2);
    err |= msgpack_pack_str (&pk, op_len);
    err |= msgpack_pack_str_body (&pk, op, op_len);
    err |= msgpack_sbuffer_write (&sb, (const char *) in + hdr, n - hdr);
    if (err || !sb.data) {
        msgpack_sbuffer_destroy (&sb);
        return NINES_ENOMEM;
    }
    free (*reply);
    *reply = (uint8_t *) sb.data;
    *len = sb.size;
    return NINES_OK;
}

int
nines_reply_op (const uint8_t *reply, size_t len, char *op, size_t size)
{
    msgpack_unpacked u;
    int rc = wire_unpack (reply, len, len ? len : 1, &u);
    if (!rc && u.data.type != MSGPACK_OBJECT_MAP)
        rc = NINES_EMALFORMED;
    const msgpack_object *v = rc ? NULL : nines_map_get (&u.data, "op");
    if (!rc)
        rc = v && v->type == MSGPACK_OBJECT_STR ? wire_str (v, op, size) : NINES_ENOTFOUND;
    msgpack_unpacked_destroy (&u);
    return rc;
}
