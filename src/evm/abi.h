/*  Solidity contract ABI encoding (Solidity documentation, "Contract ABI
    Specification": "Formal Specification of the Encoding", "Function
    Selector"), for the calls ninesd makes, and the few decoders it needs
    for return data and event logs.

    A value is a tree of nines_abi_t: a 32-byte word (every static
    elementary type: uintN, intN, bool, address, bytesN), dynamic `bytes`
    (or `string`), a dynamic array T[] of values, and a tuple (a struct, or
    the argument list).  Encoding follows the spec's head/tail rule: a
    tuple's head holds each static component in place and, for each
    dynamic one (bytes, T[], or a tuple with a dynamic component), the
    offset of its tail from the start of the tuple's encoding; `bytes` is
    its length word then its bytes zero-padded to a multiple of 32; T[] is
    its length word then its items encoded as a tuple.  Static tuples are
    encoded in place.  Fixed-size arrays T[k] are tuples of k values.

    The tree borrows its items and bytes: build it on the stack, encode,
    discard. */
#ifndef NINES_EVM_ABI_H
#define NINES_EVM_ABI_H

#include "evm/buf.h"
#include <stdbool.h>

typedef enum {
    NINES_ABI_WORD,     /* word [32] */
    NINES_ABI_BYTES,    /* data [0..len) */
    NINES_ABI_ARRAY,    /* items [0..n), dynamic length T[] */
    NINES_ABI_TUPLE     /* items [0..n) */
} nines_abi_kind_t;

typedef struct nines_abi {
    nines_abi_kind_t kind;
    uint8_t word [32];              /* NINES_ABI_WORD: big-endian */
    const uint8_t *data;            /* NINES_ABI_BYTES */
    size_t len;
    const struct nines_abi *items;  /* NINES_ABI_ARRAY, NINES_ABI_TUPLE */
    size_t n;
} nines_abi_t;

/*  A word holding the unsigned integer v (uint8 ... uint256). */
nines_abi_t nines_abi_uint (uint64_t v);

/*  A word holding b (bool). */
nines_abi_t nines_abi_bool (bool b);

/*  A word holding the 32 bytes p (bytes32, or a big-endian uint256). */
nines_abi_t nines_abi_word (const uint8_t p [32]);

/*  A word holding the 20-byte address p, left-padded with zeros. */
nines_abi_t nines_abi_address (const uint8_t p [20]);

/*  Dynamic bytes p [0..len). */
nines_abi_t nines_abi_bytes (const uint8_t *p, size_t len);

/*  A dynamic array T[] of the n values items. */
nines_abi_t nines_abi_array (const nines_abi_t *items, size_t n);

/*  A tuple (struct) of the n values items. */
nines_abi_t nines_abi_tuple (const nines_abi_t *items, size_t n);

/*  True when v's encoding is dynamic (bytes, T[], a tuple with one). */
bool nines_abi_dynamic (const nines_abi_t *v);

/*  Append the encoding of v (a tuple's encoding is that of its
    components, as for an argument list).  0, NINES_ENOMEM, or
    NINES_ETOOBIG (nesting deeper than 16). */
int nines_abi_encode (nines_buf_t *b, const nines_abi_t *v);

/*  The 4-byte selector of a function: the first 4 bytes of the
    Keccak-256 of its canonical signature ("registerValidator(bytes32)",
    no spaces, tuples as "(t1,t2)"). */
void nines_abi_selector (uint8_t out [4], const char *signature);

/*  Calldata of a call: selector of signature, then the n arguments
    encoded as one tuple.  0, NINES_ENOMEM or NINES_ETOOBIG. */
int nines_abi_call (nines_buf_t *b, const char *signature, const nines_abi_t *args, size_t n);

/*  The word at 32-byte slot i of data [0..len) as an unsigned integer
    (return data, log data).  0, NINES_ETRUNC (slot past the end) or
    NINES_ETOOBIG (the word does not fit in 64 bits). */
int nines_abi_get_uint (const uint8_t *data, size_t len, size_t i, uint64_t *v);

/*  The word at slot i copied to out [32].  0 or NINES_ETRUNC. */
int nines_abi_get_word (const uint8_t *data, size_t len, size_t i, uint8_t out [32]);

/*  The dynamic `bytes` whose offset is the word at slot i of the tuple
    encoded in data [0..len): *p points into data, *n its length.
    0, NINES_ETRUNC, NINES_ETOOBIG (offset word over 64 bits) or
    NINES_EMALFORMED (offset or length out of range). */
int nines_abi_get_bytes (const uint8_t *data, size_t len, size_t i,
                         const uint8_t **p, size_t *n);

#endif
