/*  RLP, Ethereum's Recursive Length Prefix encoding (Yellow Paper,
    appendix B "Recursive Length Prefix"), the encoder only: what an
    EIP-1559 transaction needs.

    An item is a byte string or a list of items.  A string of one byte
    below 0x80 is that byte; otherwise a string of up to 55 bytes is
    0x80 + length then the bytes, a longer one 0xb7 + (length of the
    big-endian length) then the length then the bytes.  A list is the same
    with 0xc0 / 0xf7 over the concatenated encodings of its items.  An
    integer is the string of its big-endian bytes with no leading zero
    (0 is the empty string, 0x80).

    Each function appends to b and returns 0 or NINES_ENOMEM. */
#ifndef NINES_EVM_RLP_H
#define NINES_EVM_RLP_H

#include "evm/buf.h"

/*  The byte string p [0..len) as one item. */
int nines_rlp_bytes (nines_buf_t *b, const uint8_t *p, size_t len);

/*  The integer v (minimal big-endian, 0 = empty string). */
int nines_rlp_uint (nines_buf_t *b, uint64_t v);

/*  The 256-bit integer be [0..32) (big-endian), leading zeros stripped:
    signature r and s, values over 2^64 wei. */
int nines_rlp_u256 (nines_buf_t *b, const uint8_t be [32]);

/*  Open a list: returns the offset its header goes to, passed to
    nines_rlp_list_end once its items are appended. */
size_t nines_rlp_list_begin (const nines_buf_t *b);

/*  Close the list opened at start: inserts its header before the items
    appended since.  0, NINES_EINVAL (start past the end) or NINES_ENOMEM. */
int nines_rlp_list_end (nines_buf_t *b, size_t start);

#endif
