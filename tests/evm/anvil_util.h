/*  What the anvil tests share (test_anvil.c, test_anvil_claim.c). */
#ifndef NINES_TESTS_ANVIL_UTIL_H
#define NINES_TESTS_ANVIL_UTIL_H

#include "evm/rpc.h"
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

#endif
