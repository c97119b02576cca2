/*  Byte-order helpers: see bytes.h. */
#include "base/bytes.h"

void
nines_le64 (uint8_t out [8], uint64_t v)
{
    for (int i = 0; i < 8; i++)
        out [i] = (uint8_t) (v >> (8 * i));
}

uint64_t
nines_get_le64 (const uint8_t in [8])
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | in [i];
    return v;
}

void
nines_be64 (uint8_t out [8], uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        out [i] = (uint8_t) v;
}

uint64_t
nines_get_be64 (const uint8_t in [8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in [i];
    return v;
}

int
nines_cmp_u64 (const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}
