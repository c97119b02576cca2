/*  Fixed-width integers as bytes, the one set of byte-order helpers, and
    their qsort order.
    Little-endian is the protocol's order (le64 of DESIGN.md and
    PROTOCOL.md: signed bodies, hash inputs, stored counters);
    big-endian is for LMDB keys, whose byte order must sort like the
    numbers (sequence numbers, periods, times). */
#ifndef NINES_BASE_BYTES_H
#define NINES_BASE_BYTES_H

#include <stdint.h>

/*  out [0..7] = v, least significant byte first (le64). */
void nines_le64 (uint8_t out [8], uint64_t v);

/*  The value of in [0..7] read least significant byte first. */
uint64_t nines_get_le64 (const uint8_t in [8]);

/*  out [0..7] = v, most significant byte first (memcmp order = numeric). */
void nines_be64 (uint8_t out [8], uint64_t v);

/*  The value of in [0..7] read most significant byte first. */
uint64_t nines_get_be64 (const uint8_t in [8]);

/*  qsort order of uint64_t values (ascending). */
int nines_cmp_u64 (const void *a, const void *b);

#endif
