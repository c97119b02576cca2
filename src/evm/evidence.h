/*  nines evidence as the contract's reports (proto/CHAIN.md "Claim"):
    the bridge from src/wire's nines_report_t to staking.h's
    nines_evm_report_t, for claims, challenges and summaries.

    A contract Report names the committee it claims: the sortition
    committee of (pod, epoch) in the registry (src/proto
    nines_registry_committee, params.committee members), as the members'
    contract validator indexes in ascending order.  Each vote carries its
    signer's position in that list, its msgpack signed_bytes as body and
    its Ed25519 signature as r (first 32 bytes) and s.

    Contract validator indexes are the order of registration on the chain
    (ValidatorRegistered's index); the registry sorts validators by id.
    index [i] is the contract index of reg->validators [i] (NULL: the
    same order, as when validators registered in id order). */
#ifndef NINES_EVM_EVIDENCE_H
#define NINES_EVM_EVIDENCE_H

#include "evm/staking.h"
#include "proto/registry.h"
#include "wire/wire.h"

#define NINES_EVM_NO_MEMBER 255     /* member of a vote whose signer is not in the committee */

/*  A contract report and the arrays it points into. */
typedef struct {
    nines_evm_report_t report;      /* committee and votes point below */
    uint32_t committee [NINES_REPORT_MAX_VOTES];
    nines_evm_vote_t votes [NINES_REPORT_MAX_VOTES];
} nines_evm_report_buf_t;

/*  Fill out from report r (borrows r's vote bytes: keep r alive) with
    reg's committee of (r->pod, r->epoch).  0; NINES_ENOTCOMMITTEE when a
    vote's signer is not in the committee (its member is
    NINES_EVM_NO_MEMBER: the contract refuses such a claim, a challenger
    proves it with challengeCommittee); out is filled in either case. */
int nines_evm_report_of (nines_evm_report_buf_t *out, const nines_report_t *r,
                         const nines_registry_t *reg, const uint32_t *index);

/*  Both reports of evidence ev: *up NULL-able result pointer set to
    &up_buf->report when ev has an UP, else NULL.  The codes of
    nines_evm_report_of (the DOWN's first). */
int nines_evm_evidence_of (nines_evm_report_buf_t *down, nines_evm_report_buf_t *up_buf,
                           const nines_evm_report_t **up, const nines_evidence_t *ev,
                           const nines_registry_t *reg, const uint32_t *index);

/*  The inverse of nines_evm_report_of: contract report r (decoded from a
    claim's calldata, nines_evm_decode_claim) as the QUORUM_REPORT it
    carries, into *out (src/wire's decoder over [kind, pod, epoch,
    round_id, t_ms, [[body, r || s], ...]]: every vote body decoded, so a
    watcher checks it with the ledger's own rules, src/proto/verify.c).
    The committee and members are not carried (the ledger recomputes the
    committee).  0, NINES_EMALFORMED (a body src/wire refuses),
    NINES_ETOOBIG, NINES_ENOMEM. */
int nines_evm_report_wire (const nines_evm_report_t *r, nines_report_t *out);

/*  The signature fraud proof a watcher would submit against a claimed
    report r (proto/CHAIN.md "Challenge", challengeSignature): each vote's
    Ed25519 signature (r, s) over "nines/vote/v1" || body is checked
    against the id of its committee member, ids [i] the Ed25519 id of
    contract validator i (n of them, from ValidatorRegistered).  0 when
    every vote verifies; NINES_EBADSIG with *vote the first that does not
    (the proof's `vote`); NINES_EUNKNOWN when a vote's member or its
    committee index names no validator (a committee challenge or a
    malformed claim, not a signature proof). */
int nines_evm_report_fraud (const nines_evm_report_t *r, const uint8_t (*ids) [32], size_t n,
                            size_t *vote);

#endif
