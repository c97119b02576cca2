/*  Reading a contract: eth_call of its view functions, the decoding of
    what they return (Solidity ABI, abi.h) and of a revert's data (the
    custom error or Error(string) a refused transaction names).  What
    ninesctl's chain back end reads of the uptime staking contract
    (src/cli/cli_chain.c). */
#ifndef NINES_EVM_VIEWS_H
#define NINES_EVM_VIEWS_H

#include "evm/abi.h"
#include "evm/rpc.h"

/*  eth_call(to contract, calldata of signature with the n args, "latest"):
    the return data replaces *out's content.  0 or the rpc codes (rpc.h);
    NINES_EREVERTED when the view reverted (an index out of range). */
int nines_evm_view (nines_rpc_t *rpc, const uint8_t contract [20], const char *signature,
                    const nines_abi_t *args, size_t n, nines_buf_t *out);

/*  nines_evm_view of a function returning one unsigned integer (at most
    64 bits) into *v.  The rpc codes, NINES_ETRUNC or NINES_ETOOBIG. */
int nines_evm_view_uint (nines_rpc_t *rpc, const uint8_t contract [20], const char *signature,
                         const nines_abi_t *args, size_t n, uint64_t *v);

/*  A dynamic array of static tuples of `words` words each (T[] with T a
    static struct), whose offset is the word at slot i of the tuple
    encoded in data [0..len): *items points at its first item (item k at
    items + 32 * words * k, read with nines_abi_get_uint), *n its length.
    0, NINES_ETRUNC or NINES_EMALFORMED (offset or length out of range). */
int nines_evm_get_static_array (const uint8_t *data, size_t len, size_t i, size_t words,
                                const uint8_t **items, size_t *n);

/*  The text of revert data "0x..." (nines_rpc_errdata) into out [cap]:
    Error(string) as its message, Panic(uint256) as "panic 0x11", a custom
    error among errors (NULL-terminated signatures, "EStale(string)",
    "EQuorum(uint256,uint256)"; arguments of type string and uintN only)
    as its name and arguments, "EStale(\"maintenance notice\")"; anything
    else as "revert data 0x<selector>..." and "" as "no reason given".
    Returns out. */
char *nines_evm_revert_text (const char *errdata, const char *const *errors, char *out, size_t cap);

#endif
