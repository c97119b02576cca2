/*  The Keccak sponge around nettle's permutation (see keccak.h): absorb
    rate-sized blocks as little-endian 64-bit lanes XORed into the state,
    permute after each; pad the last block with 0x01 after the message and
    0x80 in its last byte (the same byte when one is left); the digest is
    the first 32 bytes of the state, lanes little-endian. */
#include "evm/keccak.h"
#include <string.h>

static void
s_absorb (struct sha3_state *st, const uint8_t *block)
{
    for (size_t i = 0; i < NINES_KECCAK_RATE / 8; i++) {
        uint64_t lane = 0;
        for (int j = 7; j >= 0; j--)
            lane = (lane << 8) | block [8 * i + (size_t) j];
        st->a [i] ^= lane;
    }
    nettle_sha3_permute (st);
}

void
nines_keccak_init (nines_keccak_t *k)
{
    memset (k, 0, sizeof *k);
}

void
nines_keccak_update (nines_keccak_t *k, const void *p, size_t len)
{
    const uint8_t *in = p;
    if (k->used) {
        size_t take = NINES_KECCAK_RATE - k->used;
        if (take > len)
            take = len;
        memcpy (k->block + k->used, in, take);
        k->used += take;
        in += take;
        len -= take;
        if (k->used < NINES_KECCAK_RATE)
            return;
        s_absorb (&k->st, k->block);
        k->used = 0;
    }
    for (; len >= NINES_KECCAK_RATE; in += NINES_KECCAK_RATE, len -= NINES_KECCAK_RATE)
        s_absorb (&k->st, in);
    if (len)
        memcpy (k->block, in, len);
    k->used = len;
}

void
nines_keccak_final (nines_keccak_t *k, uint8_t out [32])
{
    memset (k->block + k->used, 0, NINES_KECCAK_RATE - k->used);
    k->block [k->used] ^= 0x01;
    k->block [NINES_KECCAK_RATE - 1] ^= 0x80;
    s_absorb (&k->st, k->block);
    for (size_t i = 0; i < 32; i++)
        out [i] = (uint8_t) (k->st.a [i / 8] >> (8 * (i % 8)));
    memset (k, 0, sizeof *k);
}

void
nines_keccak256 (uint8_t out [32], const void *p, size_t len)
{
    nines_keccak_t k;
    nines_keccak_init (&k);
    nines_keccak_update (&k, p, len);
    nines_keccak_final (&k, out);
}
