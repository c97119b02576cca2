/*  What the anvil tests share (test_anvil.c, test_anvil_claim.c). */
#ifndef NINES_TESTS_ANVIL_UTIL_H
#define NINES_TESTS_ANVIL_UTIL_H

#include "evm/rpc.h"
#include "evm/send.h"
#include "base/error.h"
#include <stdio.h>

/*  Call an anvil_* / evm_* method with params (stolen), its result
    discarded; a failure is printed with the node's message. */
static inline int
t_anvil (nines_rpc_t *rpc, const char *method, json_t *params)
{
    json_t *res = NULL;
    int rc = nines_rpc_call (rpc, method, params, &res);
    json_decref (res);
    if (rc)
        fprintf (stderr, "%s: %s (%s)\n", method, nines_errname (rc), nines_rpc_message (rpc));
    return rc;
}

/*  A fresh chain key funded with 100 ETH (anvil_setBalance) and its
    sender.  0 or the first failure's code. */
static inline int
t_funded_sender (nines_rpc_t *rpc, nines_chainkey_t *key, nines_sender_t *s)
{
    char addr [NINES_ADDRESS_TEXT];
    int rc = nines_chainkey_generate (key);
    if (rc)
        return rc;
    nines_evm_checksum (addr, key->address);
    rc = t_anvil (rpc, "anvil_setBalance", json_pack ("[s,s]", addr, "0x56bc75e2d63100000"));
    return rc ? rc : nines_sender_init (s, rpc, key);
}

#endif
