/*  Decoding the contract's calldata (Solidity ABI, the inverse of
    staking.h's encoders): what a watcher reads of a claim it did not make
    (proto/CHAIN.md "Challenge": anyone may prove a claim wrong, from the
    reports the claim transaction carries).

    Calldata on the chain is anyone's: every offset, length and value is
    checked against the buffer and the type (a uint8 word above 255, an
    offset past the end, more than NINES_REPORT_MAX_VOTES votes or members,
    a body over NINES_VOTE_SIGNED_MAX bytes are NINES_EMALFORMED).  The
    decoded reports borrow the vote bodies from the calldata: keep it
    alive while they are used. */
#ifndef NINES_EVM_CALLDATA_H
#define NINES_EVM_CALLDATA_H

#include "evm/evidence.h"

/*  The Report tuple whose encoding starts at data [at] (offsets inside it
    relative to at) into out.  0 or NINES_EMALFORMED. */
int nines_evm_decode_report (const uint8_t *data, size_t len, size_t at, nines_evm_report_buf_t *out);

/*  The arguments of a claim(uint32, Report, Report[]) call: *claimant,
    the DOWN into down, the UP (if any) into up_buf with *up pointing to
    it (else NULL).  0, NINES_EINVAL (calldata of another function) or
    NINES_EMALFORMED. */
int nines_evm_decode_claim (const uint8_t *calldata, size_t len, uint32_t *claimant,
                            nines_evm_report_buf_t *down, nines_evm_report_buf_t *up_buf,
                            const nines_evm_report_t **up);

#endif
