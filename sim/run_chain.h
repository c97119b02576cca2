/*  nines-sim run on an EVM chain: what run_chain.c (anvil, deployment,
    registration) and run_chain_obs.c (claims, gas, incidents, the
    reference nines-ledger) share.  Their public calls are in
    run_private.h. */
#ifndef NINES_SIM_RUN_CHAIN_H
#define NINES_SIM_RUN_CHAIN_H

#include "run_private.h"
#include "evm/key.h"
#include "evm/rpc.h"
#include "evm/send.h"
#include "proto/registry.h"

#define SIM_WEI_PER_UNIT 1000000000ull   /* the contract's UNIT: wei per base unit */

/*  One claim on the chain, from its Claimed log on. */
typedef struct {
    uint8_t id [32];                     /* claim id */
    uint8_t tx [32];                     /* the claim transaction */
    uint64_t block;                      /* its block */
    uint32_t claimant;                   /* contract validator index */
    long pod;                            /* pod index, -1 unknown */
    uint64_t t_down, t_up;               /* its evidence's DOWN and UP instants, Unix ms (t_up 0: none) */
    uint8_t account_tx [32];             /* its account transaction (zeros before) */
    uint64_t gas_claim, gas_finalize, gas_account; /* gas used by its transactions */
    bool finalized, accounted, voided;   /* what the chain did with it */
    uint64_t seen, finalized_seen;       /* Unix ms nines-sim read its Claimed / Finalized log */
} sim_claim_t;

/*  The chain's part of a run (run->chain). */
struct _sim_chain_t {
    char contracts [SIM_PATH_MAX];       /* contracts/ with node_modules (NINES_CONTRACTS) */
    char url [64];                       /* anvil's JSON-RPC URL */
    nines_rpc_t *rpc;                    /* to it */
    uint8_t contract [20];               /* UptimeStaking */
    uint64_t start_block;                /* the block before the deployment */
    uint64_t next_block;                 /* the next block whose logs are read */
    nines_params_t params;               /* the deployment's (scenario params, genesis seed) */
    nines_chainkey_t *vkeys;             /* validators' chain keys */
    nines_chainkey_t *pkeys;             /* providers' */
    nines_registry_t *overlay;           /* the registry file ninesd reads */
    nines_registry_t *genesis;           /* the chain's registry once in force (reference ledger) */
    uint32_t *index;                     /* contract index of genesis->validators [i] */
    sim_claim_t *claims;                 /* claims seen, in chain order */
    size_t n_claims;                     /* count */
};

#endif
