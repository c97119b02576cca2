#include "evm/abi.h"
#include "evm/keccak.h"
#include <string.h>

#define ABI_DEPTH 16

nines_abi_t
nines_abi_uint (uint64_t v)
{
    nines_abi_t a = { .kind = NINES_ABI_WORD };
    for (int i = 0; i < 8; i++)
        a.word [31 - i] = (uint8_t) (v >> (8 * i));
    return a;
}

nines_abi_t
nines_abi_bool (bool b)
{
    return nines_abi_uint (b ? 1 : 0);
}

nines_abi_t
nines_abi_word (const uint8_t p [32])
{
    nines_abi_t a = { .kind = NINES_ABI_WORD };
    memcpy (a.word, p, 32);
    return a;
}

nines_abi_t
nines_abi_address (const uint8_t p [20])
{
    nines_abi_t a = { .kind = NINES_ABI_WORD };
    memcpy (a.word + 12, p, 20);
    return a;
}

nines_abi_t
nines_abi_bytes (const uint8_t *p, size_t len)
{
    return (nines_abi_t) { .kind = NINES_ABI_BYTES, .data = p, .len = len };
}

nines_abi_t
nines_abi_array (const nines_abi_t *items, size_t n)
{
    return (nines_abi_t) { .kind = NINES_ABI_ARRAY, .items = items, .n = n };
}

nines_abi_t
nines_abi_tuple (const nines_abi_t *items, size_t n)
{
    return (nines_abi_t) { .kind = NINES_ABI_TUPLE, .items = items, .n = n };
}

bool
nines_abi_dynamic (const nines_abi_t *v)
{
    if (v->kind == NINES_ABI_BYTES || v->kind == NINES_ABI_ARRAY)
        return true;
    if (v->kind == NINES_ABI_TUPLE)
        for (size_t i = 0; i < v->n; i++)
            if (nines_abi_dynamic (&v->items [i]))
                return true;
    return false;
}

static void
s_put_word (uint8_t *at, uint64_t v)
{
    memset (at, 0, 24);
    for (int i = 0; i < 8; i++)
        at [31 - i] = (uint8_t) (v >> (8 * i));
}

static int s_encode (nines_buf_t *b, const nines_abi_t *v, int depth);

/*  A static value's head size: 32 a word, the sum of its items a tuple. */
static size_t
s_static_size (const nines_abi_t *v)
{
    if (v->kind != NINES_ABI_TUPLE)
        return 32;
    size_t n = 0;
    for (size_t i = 0; i < v->n; i++)
        n += s_static_size (&v->items [i]);
    return n;
}

/*  Components items [0..n) as a tuple: heads (static values in place,
    offsets of dynamic ones, relative to the tuple's first byte), then
    the tails in order. */
static int
s_tuple (nines_buf_t *b, const nines_abi_t *items, size_t n, int depth)
{
    size_t start = b->len, head = 0;
    for (size_t i = 0; i < n; i++)
        head += nines_abi_dynamic (&items [i]) ? 32 : s_static_size (&items [i]);
    int rc = nines_buf_zeros (b, head);
    if (rc)
        return rc;
    size_t at = start;
    for (size_t i = 0; i < n; i++) {
        if (!nines_abi_dynamic (&items [i])) {
            /* static: encode at the end, move into the head */
            size_t end = b->len;
            if ((rc = s_encode (b, &items [i], depth + 1)))
                return rc;
            size_t sz = b->len - end;
            memcpy (b->data + at, b->data + end, sz);
            b->len = end;
            at += sz;
            continue;
        }
        s_put_word (b->data + at, (uint64_t) (b->len - start));
        at += 32;
        if ((rc = s_encode (b, &items [i], depth + 1)))
            return rc;
    }
    return NINES_OK;
}

static int
s_encode (nines_buf_t *b, const nines_abi_t *v, int depth)
{
    if (depth > ABI_DEPTH)
        return NINES_ETOOBIG;
    uint8_t w [32];
    int rc;
    switch (v->kind) {
    case NINES_ABI_WORD:
        return nines_buf_put (b, v->word, 32);
    case NINES_ABI_BYTES:
        s_put_word (w, v->len);
        if ((rc = nines_buf_put (b, w, 32)) || (rc = nines_buf_put (b, v->data, v->len)))
            return rc;
        return nines_buf_zeros (b, (32 - v->len % 32) % 32);
    case NINES_ABI_ARRAY:
        s_put_word (w, v->n);
        if ((rc = nines_buf_put (b, w, 32)))
            return rc;
        return s_tuple (b, v->items, v->n, depth);
    case NINES_ABI_TUPLE:
        return s_tuple (b, v->items, v->n, depth);
    }
    return NINES_EINVAL;
}

int
nines_abi_encode (nines_buf_t *b, const nines_abi_t *v)
{
    return s_encode (b, v, 0);
}

void
nines_abi_selector (uint8_t out [4], const char *signature)
{
    uint8_t h [32];
    nines_keccak256 (h, signature, strlen (signature));
    memcpy (out, h, 4);
}

int
nines_abi_call (nines_buf_t *b, const char *signature, const nines_abi_t *args, size_t n)
{
    uint8_t sel [4];
    nines_abi_selector (sel, signature);
    int rc = nines_buf_put (b, sel, 4);
    return rc ? rc : s_tuple (b, args, n, 0);
}

int
nines_abi_get_word (const uint8_t *data, size_t len, size_t i, uint8_t out [32])
{
    if (i >= len / 32)
        return NINES_ETRUNC;
    memcpy (out, data + 32 * i, 32);
    return NINES_OK;
}

int
nines_abi_get_uint (const uint8_t *data, size_t len, size_t i, uint64_t *v)
{
    uint8_t w [32];
    int rc = nines_abi_get_word (data, len, i, w);
    if (rc)
        return rc;
    for (int k = 0; k < 24; k++)
        if (w [k])
            return NINES_ETOOBIG;
    uint64_t x = 0;
    for (int k = 24; k < 32; k++)
        x = (x << 8) | w [k];
    *v = x;
    return NINES_OK;
}

int
nines_abi_get_bytes (const uint8_t *data, size_t len, size_t i,
                     const uint8_t **p, size_t *n)
{
    uint64_t off, blen;
    int rc = nines_abi_get_uint (data, len, i, &off);
    if (rc)
        return rc;
    if (off % 32 || off > len || len - off < 32)
        return NINES_EMALFORMED;
    if (nines_abi_get_uint (data + off, len - off, 0, &blen) || blen > len - off - 32)
        return NINES_EMALFORMED;
    *p = data + off + 32;
    *n = (size_t) blen;
    return NINES_OK;
}
