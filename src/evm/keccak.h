/*  Keccak-256, Ethereum's hash (addresses, transaction hashes, function
    selectors, event topics, EIP-55).

    Keccak-256 is the original Keccak submission with capacity 512 bits
    (rate 136 bytes) and padding 0x01 ... 0x80 (pad10*1); FIPS 202's
    SHA3-256 is the same permutation with padding 0x06 ... 0x80, so their
    digests differ.  Debian 12's OpenSSL (3.0) has SHA3-256 but not
    Keccak-256 (its KECCAK-256 digest came in 3.2), and nettle 3.8 has no
    Keccak-256 either, but nettle exports the Keccak-f[1600] permutation
    itself (nettle_sha3_permute, <nettle/sha3.h>): the sponge around it is
    the few lines of keccak.c.  Checked against `cast keccak` in the unit
    test `evm` (tests/evm/vectors.txt). */
#ifndef NINES_EVM_KECCAK_H
#define NINES_EVM_KECCAK_H

#include <nettle/sha3.h>
#include <stddef.h>
#include <stdint.h>

#define NINES_KECCAK_RATE 136       /* bytes absorbed per permutation */

typedef struct {
    struct sha3_state st;           /* 25 lanes of 64 bits, nettle's layout */
    uint8_t block [NINES_KECCAK_RATE];
    size_t used;                    /* bytes pending in block */
} nines_keccak_t;

/*  Start a Keccak-256 hash. */
void nines_keccak_init (nines_keccak_t *k);

/*  Absorb len bytes of p (p may be NULL when len is 0). */
void nines_keccak_update (nines_keccak_t *k, const void *p, size_t len);

/*  Pad, squeeze the 32-byte digest into out and wipe k. */
void nines_keccak_final (nines_keccak_t *k, uint8_t out [32]);

/*  One-shot Keccak-256 of len bytes of p into out [32]. */
void nines_keccak256 (uint8_t out [32], const void *p, size_t len);

#endif
