/*  EIP-1559 ("type 2") transactions: build, sign, hash (EIP-1559,
    EIP-2718 typed envelope, EIP-2930 access list left empty).

    signing hash = Keccak-256(0x02 || RLP([chain_id, nonce,
        max_priority_fee_per_gas, max_fee_per_gas, gas_limit, to, value,
        data, access_list]))
    raw          = 0x02 || RLP([... the same nine ..., y_parity, r, s])
    tx hash      = Keccak-256(raw)

    The signature is libsecp256k1's recoverable ECDSA
    (secp256k1_ecdsa_sign_recoverable: RFC 6979 nonce, low s), y_parity
    its recovery id (0 or 1).  Amounts are wei; fees wei per gas. */
#ifndef NINES_EVM_TX_H
#define NINES_EVM_TX_H

#include "evm/buf.h"
#include "evm/key.h"
#include <stdbool.h>

typedef struct {
    uint64_t chain_id;
    uint64_t nonce;
    uint64_t max_priority_fee;      /* wei per gas: the tip */
    uint64_t max_fee;               /* wei per gas: base fee + tip cap */
    uint64_t gas_limit;
    bool create;                    /* contract creation: no `to` */
    uint8_t to [20];
    uint8_t value [32];             /* wei, big-endian */
    const uint8_t *data;            /* calldata (or init code) */
    size_t data_len;
} nines_tx_t;

/*  value [32] = v wei (big-endian): fills a nines_tx_t's value. */
void nines_u256_from_u64 (uint8_t out [32], uint64_t v);

/*  The signing hash of tx (see above) into hash [32].  0 or NINES_ENOMEM. */
int nines_tx_signing_hash (const nines_tx_t *tx, uint8_t hash [32]);

/*  Sign tx with key: appends the raw transaction (what
    eth_sendRawTransaction takes) to raw and writes its hash to
    hash [32] (may be NULL).  0, NINES_ENOMEM or NINES_EIO (signing
    failed: no context). */
int nines_tx_sign (const nines_tx_t *tx, const nines_chainkey_t *key,
                   nines_buf_t *raw, uint8_t hash [32]);

/*  The signer of a raw type-2 transaction signed over signing hash
    `hash` with y_parity, r, s: recovers the public key and derives its
    address (tests; checking a resubmitted transaction).  0 or
    NINES_EBADSIG. */
int nines_tx_recover (const uint8_t hash [32], int y_parity, const uint8_t r [32],
                      const uint8_t s [32], uint8_t address [20]);

#endif
