/*  nines wire codec: the common msgpack plumbing of msg.c, entry.c and
    query.c (wire_private.h).

    Decoding runs in two steps.  s_precheck walks the raw bytes once,
    without allocating: it checks that the input is exactly one msgpack
    object (NINES_ETRUNC / NINES_ETRAILING otherwise), that no container
    claims more elements than there are bytes left (msgpack-c would
    otherwise allocate the claimed size up front), that nesting stays under
    NINES_WIRE_MAX_DEPTH and that no ext or reserved types appear.  Only
    then msgpack-c unpacks into a zone, and the field tables of the codec's
    parts turn the object tree into structs, checking every type, size and
    range. */
#include "wire/wire_private.h"
#include <stdlib.h>
#include <string.h>

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

int
wire_unpack (const uint8_t *buf, size_t len, size_t limit, msgpack_unpacked *u)
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

int
wire_array (const msgpack_object *o, uint32_t n, const msgpack_object **items)
{
    if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != n)
        return NINES_EMALFORMED;
    *items = o->via.array.ptr;
    return NINES_OK;
}

int
wire_uint (const msgpack_object *o, uint64_t max, uint64_t *v)
{
    if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
        return NINES_EMALFORMED;
    *v = o->via.u64;
    return NINES_OK;
}

int
wire_bin (const msgpack_object *o, uint8_t *out, size_t n)
{
    if (o->type != MSGPACK_OBJECT_BIN || o->via.bin.size != n)
        return NINES_EMALFORMED;
    if (n)                          /* msgpack-c leaves ptr NULL when empty */
        memcpy (out, o->via.bin.ptr, n);
    return NINES_OK;
}

int
wire_str (const msgpack_object *o, char *out, size_t cap)
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

uint64_t
wire_get_uint (const void *p, size_t size)
{
    switch (size) {
        case 1: return *(const uint8_t *) p;
        case 2: return *(const uint16_t *) p;
        case 4: return *(const uint32_t *) p;
        default: return *(const uint64_t *) p;
    }
}

void
wire_set_uint (void *p, size_t size, uint64_t v)
{
    switch (size) {
        case 1: *(uint8_t *) p = (uint8_t) v; break;
        case 2: *(uint16_t *) p = (uint16_t) v; break;
        case 4: *(uint32_t *) p = (uint32_t) v; break;
        default: *(uint64_t *) p = v; break;
    }
}

void
wire_encode_fields (msgpack_packer *pk, const wire_field_t *fields, size_t n, const void *rec)
{
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = (const uint8_t *) rec + fields [i].offset;
        switch (fields [i].kind) {
            case F_UINT:
                msgpack_pack_uint64 (pk, wire_get_uint (p, fields [i].size));
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

int
wire_decode_fields (const msgpack_object *items, const wire_field_t *fields, size_t n, void *rec)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = (uint8_t *) rec + fields [i].offset;
        int rc;
        uint64_t v;
        switch (fields [i].kind) {
            case F_UINT:
                rc = wire_uint (&items [i], fields [i].max, &v);
                if (!rc)
                    wire_set_uint (p, fields [i].size, v);
                break;
            case F_BIN:
                rc = wire_bin (&items [i], p, fields [i].size);
                break;
            default:
                rc = wire_str (&items [i], (char *) p, fields [i].size);
                break;
        }
        if (rc)
            return rc;
    }
    return NINES_OK;
}

int
wire_finish (msgpack_sbuffer *sb, uint8_t *buf, size_t cap, size_t *len)
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

