#include "evm/tx.h"
#include "evm/keccak.h"
#include "evm/rlp.h"
#include <secp256k1_recovery.h>
#include <string.h>

void
nines_u256_from_u64 (uint8_t out [32], uint64_t v)
{
    memset (out, 0, 32);
    for (int i = 0; i < 8; i++)
        out [31 - i] = (uint8_t) (v >> (8 * i));
}

/*  The nine unsigned fields, in order, appended as RLP items. */
static int
s_fields (nines_buf_t *b, const nines_tx_t *tx)
{
    nines_rlp_uint (b, tx->chain_id);
    nines_rlp_uint (b, tx->nonce);
    nines_rlp_uint (b, tx->max_priority_fee);
    nines_rlp_uint (b, tx->max_fee);
    nines_rlp_uint (b, tx->gas_limit);
    nines_rlp_bytes (b, tx->to, tx->create ? 0 : 20);
    nines_rlp_u256 (b, tx->value);
    nines_rlp_bytes (b, tx->data, tx->data_len);
    nines_rlp_list_end (b, nines_rlp_list_begin (b));   /* access list: [] */
    return nines_buf_status (b);
}

int
nines_tx_signing_hash (const nines_tx_t *tx, uint8_t hash [32])
{
    nines_buf_t b = { 0 };
    nines_buf_byte (&b, 0x02);
    size_t list = nines_rlp_list_begin (&b);
    int rc = s_fields (&b, tx);
    if (!rc)
        rc = nines_rlp_list_end (&b, list);
    if (!rc)
        rc = nines_buf_status (&b);
    if (!rc)
        nines_keccak256 (hash, b.data, b.len);
    nines_buf_free (&b);
    return rc;
}

int
nines_tx_sign (const nines_tx_t *tx, const nines_chainkey_t *key,
               nines_buf_t *raw, uint8_t hash [32])
{
    const secp256k1_context *ctx = nines_secp256k1 ();
    if (!ctx)
        return NINES_EIO;
    uint8_t h [32], sig [64];
    int rc = nines_tx_signing_hash (tx, h);
    if (rc)
        return rc;
    secp256k1_ecdsa_recoverable_signature rs;
    int recid;
    if (!secp256k1_ecdsa_sign_recoverable (ctx, &rs, h, key->secret, NULL, NULL)
    ||  !secp256k1_ecdsa_recoverable_signature_serialize_compact (ctx, sig, &recid, &rs))
        return NINES_EIO;
    size_t start = raw->len;
    nines_buf_byte (raw, 0x02);
    size_t list = nines_rlp_list_begin (raw);
    s_fields (raw, tx);
    nines_rlp_uint (raw, (uint64_t) recid);
    nines_rlp_u256 (raw, sig);
    nines_rlp_u256 (raw, sig + 32);
    if ((rc = nines_rlp_list_end (raw, list)) || (rc = nines_buf_status (raw))) {
        raw->len = start;
        return rc;
    }
    if (hash)
        nines_keccak256 (hash, raw->data + start, raw->len - start);
    return NINES_OK;
}

int
nines_tx_recover (const uint8_t hash [32], int y_parity, const uint8_t r [32],
                  const uint8_t s [32], uint8_t address [20])
{
    const secp256k1_context *ctx = nines_secp256k1 ();
    uint8_t sig [64], pub [65];
    memcpy (sig, r, 32);
    memcpy (sig + 32, s, 32);
    secp256k1_ecdsa_recoverable_signature rs;
    secp256k1_pubkey pk;
    size_t n = sizeof pub;
    if (!ctx || (y_parity != 0 && y_parity != 1)
    ||  !secp256k1_ecdsa_recoverable_signature_parse_compact (ctx, &rs, sig, y_parity)
    ||  !secp256k1_ecdsa_recover (ctx, &pk, &rs, hash))
        return NINES_EBADSIG;
    secp256k1_ec_pubkey_serialize (ctx, pub, &n, &pk, SECP256K1_EC_UNCOMPRESSED);
    nines_evm_address_of (address, pub + 1);
    return NINES_OK;
}
