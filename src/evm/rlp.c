#include "evm/rlp.h"

/*  The header of an item of payload length len: short form base + len
    (len <= 55), long form base + 55 + n then len in n big-endian bytes.
    Writes 1..9 bytes into h and returns their count. */
static size_t
s_header (uint8_t h [9], uint8_t base, size_t len)
{
    if (len <= 55) {
        h [0] = (uint8_t) (base + len);
        return 1;
    }
    uint8_t be [8];
    size_t n = 0;
    for (uint64_t v = len; v; v >>= 8)
        be [n++] = (uint8_t) v;
    h [0] = (uint8_t) (base + 55 + n);
    for (size_t i = 0; i < n; i++)
        h [1 + i] = be [n - 1 - i];
    return 1 + n;
}

int
nines_rlp_bytes (nines_buf_t *b, const uint8_t *p, size_t len)
{
    if (len == 1 && p [0] < 0x80)
        return nines_buf_byte (b, p [0]);
    uint8_t h [9];
    int rc = nines_buf_put (b, h, s_header (h, 0x80, len));
    return rc ? rc : nines_buf_put (b, p, len);
}

int
nines_rlp_uint (nines_buf_t *b, uint64_t v)
{
    uint8_t be [8];
    size_t n = 0;
    for (uint64_t x = v; x; x >>= 8)
        n++;
    for (size_t i = 0; i < n; i++)
        be [i] = (uint8_t) (v >> (8 * (n - 1 - i)));
    return nines_rlp_bytes (b, be, n);
}

int
nines_rlp_u256 (nines_buf_t *b, const uint8_t be [32])
{
    size_t z = 0;
    while (z < 32 && be [z] == 0)
        z++;
    return nines_rlp_bytes (b, be + z, 32 - z);
}

size_t
nines_rlp_list_begin (const nines_buf_t *b)
{
    return b->len;
}

int
nines_rlp_list_end (nines_buf_t *b, size_t start)
{
    if (start > b->len)
        return NINES_EINVAL;
    uint8_t h [9];
    return nines_buf_insert (b, start, h, s_header (h, 0xc0, b->len - start));
}
