/*  The registry as the contract holds it (proto/CHAIN.md "Registry"), read
    into src/proto's nines_registry_t so that committees, quorum weights
    and evidence are computed from the chain exactly as the contract
    judges a claim: stakes as of one epoch (stakeAt: a change takes effect
    from the next epoch), the protocol parameters fixed at deployment
    (parameters()).

    The chain holds no network addresses: a validator's peer endpoint and
    a pod's facade URL, facade keys, SPKI pins, method and path come from
    overlay (a registry snapshot file, nines_registry_load), matched by
    id; the parameters the contract does not have (r, probe and vote
    timings, window) from overlay->params, else the defaults; maintenance
    windows too (the Maintenance logs are not read yet).  A pod's
    provider on the chain is an address: the registry's provider id is it
    left-padded with 12 zero bytes (providers are told apart, which is all
    the correlation rule needs).

    Reads: parameters(), validatorCount(), validatorId(i) and stakeAt(i,
    epoch) per validator, the PodRegistered logs from from_block (the
    deployment's block) for the pod ids, podInfo(pod) per pod (its stake
    less what was slashed).  For
    n validators and m pods, 2 + 2n + m calls and one eth_getLogs. */
#ifndef NINES_EVM_CHAINREG_H
#define NINES_EVM_CHAINREG_H

#include "evm/rpc.h"
#include "proto/registry.h"

/*  *out a new registry of the contract at address as of epoch, overlay
    NULL-able; *index (malloc'ed, reg->n_validators entries, free())
    the contract index of each reg->validators [i] (the map
    nines_evm_report_of takes).  0, NINES_ENOMEM, NINES_EMALFORMED (an
    answer of the wrong shape) or the rpc codes. */
int nines_evm_registry_read (nines_rpc_t *rpc, const uint8_t address [20], uint64_t from_block,
                             uint64_t epoch, const nines_registry_t *overlay,
                             nines_registry_t **out, uint32_t **index);

#endif
