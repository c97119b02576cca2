#include "proto/committee.h"
#include <string.h>

uint64_t
nines_epoch_of (uint64_t t_ms, uint64_t genesis_ms, uint64_t epoch_ms)
{
    if (t_ms < genesis_ms || epoch_ms == 0)
        return 0;
    return (t_ms - genesis_ms) / epoch_ms;
}

void
nines_epoch_seed (uint8_t out [NINES_HASH_BYTES], const uint8_t genesis_seed [32], uint64_t epoch)
{
    uint8_t le [8];
    nines_le64 (le, epoch);
    nines_hash (out, 3, (const uint8_t *) NINES_DOMAIN_EPOCH, strlen (NINES_DOMAIN_EPOCH),
                genesis_seed, (size_t) 32, le, sizeof le);
}

uint64_t
nines_rank (const uint8_t seed [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
            const uint8_t validator [NINES_ID_BYTES])
{
    uint8_t digest [NINES_HASH_BYTES];
    nines_hash (digest, 3, seed, (size_t) NINES_HASH_BYTES, pod, (size_t) NINES_ID_BYTES,
                validator, (size_t) NINES_ID_BYTES);
    return nines_hash_u64 (digest);
}

bool
nines_sortition (uint64_t rank, uint32_t r, uint32_t n)
{
    if (n == 0)
        return false;
    if (r >= n)
        return true;
    /* rank < 2^64 * r / n  <=>  rank * n < 2^64 * r */
    unsigned __int128 lhs = (unsigned __int128) rank * n;
    unsigned __int128 rhs = (unsigned __int128) r << 64;
    return lhs < rhs;
}

static uint64_t
s_draw_hash (const uint8_t seed [NINES_HASH_BYTES], const uint8_t validator [NINES_ID_BYTES], uint32_t j)
{
    uint8_t le [4] = { (uint8_t) j, (uint8_t) (j >> 8), (uint8_t) (j >> 16), (uint8_t) (j >> 24) };
    uint8_t digest [NINES_HASH_BYTES];
    nines_hash (digest, 3, seed, (size_t) NINES_HASH_BYTES, validator, (size_t) NINES_ID_BYTES, le, sizeof le);
    return nines_hash_u64 (digest);
}

uint32_t
nines_sortition_draws (const uint8_t seed [NINES_HASH_BYTES], const uint8_t validator [NINES_ID_BYTES],
                       uint32_t r, uint32_t n, uint32_t m)
{
    if (n == 0 || m == 0)
        return 0;
    uint64_t total = (uint64_t) r * m;
    uint64_t whole = total / n, frac = total % n;
    uint64_t u = (uint64_t) (((unsigned __int128) s_draw_hash (seed, validator, UINT32_MAX) * n) >> 64);
    return (uint32_t) (whole + (u < frac));
}

uint32_t
nines_sortition_pod (const uint8_t seed [NINES_HASH_BYTES], const uint8_t validator [NINES_ID_BYTES],
                     uint32_t j, uint32_t m)
{
    return (uint32_t) (((unsigned __int128) s_draw_hash (seed, validator, j) * m) >> 64);
}

static bool
s_before (uint64_t ra, const uint8_t *ida, uint64_t rb, const uint8_t *idb)
{
    if (ra != rb)
        return ra < rb;
    return memcmp (ida, idb, NINES_ID_BYTES) < 0;
}

size_t
nines_committee (const uint8_t seed [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
                 const uint8_t (*ids) [NINES_ID_BYTES], size_t n, size_t c,
                 uint32_t *out_idx)
{
    if (c == 0)
        return 0;
    /* Keep the best c in a sorted array (c is small: 7 to 64), insertion. */
    uint64_t ranks [c];
    size_t have = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = nines_rank (seed, pod, ids [i]);
        if (have == c && !s_before (r, ids [i], ranks [c - 1], ids [out_idx [c - 1]]))
            continue;
        size_t pos = have < c ? have++ : c - 1;
        while (pos > 0 && s_before (r, ids [i], ranks [pos - 1], ids [out_idx [pos - 1]])) {
            ranks [pos] = ranks [pos - 1];
            out_idx [pos] = out_idx [pos - 1];
            pos--;
        }
        ranks [pos] = r;
        out_idx [pos] = (uint32_t) i;
    }
    return have;
}

void
nines_round_id (uint8_t out [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
                uint64_t epoch, const uint8_t initiator [NINES_ID_BYTES], const uint8_t nonce [16])
{
    uint8_t le [8];
    nines_le64 (le, epoch);
    nines_hash (out, 4, pod, (size_t) NINES_ID_BYTES, le, sizeof le,
                initiator, (size_t) NINES_ID_BYTES, nonce, (size_t) 16);
}

bool
nines_quorum_reached (uint64_t down_weight, uint64_t total_weight, uint32_t theta_ppm)
{
    if (total_weight == 0)
        return false;
    unsigned __int128 lhs = (unsigned __int128) down_weight * 1000000u;
    unsigned __int128 rhs = (unsigned __int128) theta_ppm * total_weight;
    return lhs >= rhs;
}
