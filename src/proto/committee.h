/*  Epochs, sortition and committees (DESIGN.md sections 5 to 7).
    Pure functions of public data, so every validator and the ledger
    recompute the same answers. */
#ifndef NINES_COMMITTEE_H
#define NINES_COMMITTEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "crypto/crypto.h"

/*  Epoch containing t_ms: (t_ms - genesis_ms) / epoch_ms, 0 before genesis. */
uint64_t nines_epoch_of (uint64_t t_ms, uint64_t genesis_ms, uint64_t epoch_ms);

/*  Epoch seed = BLAKE2b-256("nines/epoch/v1" || genesis_seed || le64(epoch)). */
void nines_epoch_seed (uint8_t out [NINES_HASH_BYTES], const uint8_t genesis_seed [32], uint64_t epoch);

/*  Ranking value H(seed || pod || validator), first 8 bytes little-endian
    of BLAKE2b-256.  Used both for sortition and committee selection. */
uint64_t nines_rank (const uint8_t seed [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
                     const uint8_t validator [NINES_ID_BYTES]);

/*  Sortition: validator probes pod in the epoch when
    rank < 2^64 * r / n (r probers per pod on average among n validators;
    r >= n means every validator probes). */
bool nines_sortition (uint64_t rank, uint32_t r, uint32_t n);

/*  Validator-driven sortition (DESIGN.md section 6, in the form that
    scales): in an epoch with seed, validator v makes
        draws = floor(r*m/n) + [u < frac(r*m/n)],  u = U(H(seed || v || le32(2^32-1)))
    draws among the m registered pods (sorted by pod id), the j-th being
        pod index = (H(seed || v || le32(j)) * m) >> 64       (first 8 bytes, LE)
    so every pod gets r probers per epoch on average, as with the per-pair
    rule nines_sortition, but a validator finds its pods in O(r*m/n) hashes
    instead of O(m) (10^5 pods x 10^4 validators in nines-sim des).  Draws
    are with replacement: a repeated pod is probed once.  n = 0 or m = 0
    gives no draw. */
uint32_t nines_sortition_draws (const uint8_t seed [NINES_HASH_BYTES], const uint8_t validator [NINES_ID_BYTES],
                                uint32_t r, uint32_t n, uint32_t m);
uint32_t nines_sortition_pod (const uint8_t seed [NINES_HASH_BYTES], const uint8_t validator [NINES_ID_BYTES],
                              uint32_t j, uint32_t m);

/*  Committee of a pod for an epoch: the c validators (of n, ids packed
    32 bytes apart) with the smallest rank, ties broken by id bytes.
    Writes their indexes into out_idx in ascending rank order and returns
    the committee size min(c, n).  out_idx must hold c entries.
    Cost O(n log c). */
size_t nines_committee (const uint8_t seed [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
                        const uint8_t (*ids) [NINES_ID_BYTES], size_t n, size_t c,
                        uint32_t *out_idx);

/*  Round id = BLAKE2b-256(pod || le64(epoch) || initiator || nonce16). */
void nines_round_id (uint8_t out [NINES_HASH_BYTES], const uint8_t pod [NINES_ID_BYTES],
                     uint64_t epoch, const uint8_t initiator [NINES_ID_BYTES],
                     const uint8_t nonce [16]);

/*  True when down_weight reaches theta_ppm of total_weight:
    down_weight * 1e6 >= theta_ppm * total_weight (exact, 128-bit). */
bool nines_quorum_reached (uint64_t down_weight, uint64_t total_weight, uint32_t theta_ppm);

#endif
