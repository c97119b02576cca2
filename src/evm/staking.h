/*  The calls ninesd makes to the uptime staking contract
    (contracts/src/UptimeStaking.sol, proto/CHAIN.md): their calldata
    (Solidity ABI, abi.h), the claim and report ids the contract computes,
    and the topics of its events.

    A report is the contract's `Report` struct, a vote its `Vote`:

        Report (uint8 kind, bytes32 pod, uint64 epoch, bytes32 roundId,
                uint64 tMs, uint32[] committee, Vote[] votes)
        Vote   (uint8 member, bytes body, bytes32 r, bytes32 s)

    kind 0 DOWN, 1 UP; times Unix ms; member the vote's position in the
    committee; body the vote's msgpack signed_bytes; r, s its Ed25519
    signature halves.  The evidence is a DOWN report and at most one UP
    (`up` NULL for none), the contract's `Report[] up` of length 0 or 1.

    Every calldata function appends to b and returns 0, NINES_ENOMEM, or
    NINES_EINVAL (more than NINES_EVM_MAX_VOTES votes or committee members). */
#ifndef NINES_EVM_STAKING_H
#define NINES_EVM_STAKING_H

#include "evm/buf.h"

#define NINES_EVM_MAX_VOTES 256     /* the contract takes 1..64; room to test its refusal */

/*  The struct types, canonical ABI form (for signatures). */
#define NINES_EVM_REPORT_T "(uint8,bytes32,uint64,bytes32,uint64,uint32[],(uint8,bytes,bytes32,bytes32)[])"

/*  Event signatures; their topic 0 is nines_evm_topic (of the string). */
#define NINES_EVM_EV_VALIDATOR "ValidatorRegistered(uint32,bytes32,address,uint64,uint64)"
#define NINES_EVM_EV_POD       "PodRegistered(bytes32,address,uint64,uint64)"
#define NINES_EVM_EV_CLAIMED   "Claimed(bytes32,bytes32,uint32,uint64,uint64,bool,uint64,bytes32,bytes32)"
#define NINES_EVM_EV_CHALLENGED "Challenged(bytes32,address,uint8,uint256,uint64)"
#define NINES_EVM_EV_FINALIZED "Finalized(bytes32,uint64)"
#define NINES_EVM_EV_ACCOUNTED "Accounted(bytes32,uint64)"
#define NINES_EVM_EV_SLASHED   "Slashed(bytes32,uint64,uint64,uint64)"

/*  The contract's `Summary` of evidence (what `account` takes, and what
    the Claimed event carries): pod, rid = reportId(down), tDown, tUp (0
    without an UP), hasUp, evidence = keccak256(abi.encode(down, up)). */
typedef struct {
    uint8_t pod [32];
    uint8_t rid [32];
    uint64_t t_down;
    uint64_t t_up;
    int has_up;
    uint8_t evidence [32];
} nines_evm_summary_t;

#define NINES_EVM_SUMMARY_T "(bytes32,bytes32,uint64,uint64,bool,bytes32)"

typedef struct {
    uint8_t member;
    const uint8_t *body;
    size_t body_len;
    uint8_t r [32];
    uint8_t s [32];
} nines_evm_vote_t;

typedef struct {
    uint8_t kind;
    uint8_t pod [32];
    uint64_t epoch;
    uint8_t round_id [32];
    uint64_t t_ms;
    const uint32_t *committee;
    size_t n_committee;
    const nines_evm_vote_t *votes;
    size_t n_votes;
} nines_evm_report_t;

/*  topic [32] = Keccak-256 of an event signature (topic 0 of its logs). */
void nines_evm_topic (uint8_t topic [32], const char *event_signature);

/*  registerValidator(bytes32 id): id the validator's Ed25519 public key
    (stake: the transaction's value). */
int nines_evm_calldata_register_validator (nines_buf_t *b, const uint8_t id [32]);

/*  registerPod(bytes32 pod, bytes32 pins, uint64 paidUntilMs). */
int nines_evm_calldata_register_pod (nines_buf_t *b, const uint8_t pod [32],
                                     const uint8_t pins [32], uint64_t paid_until_ms);

/*  claim(uint32 claimant, Report down, Report[] up) (value: the bond). */
int nines_evm_calldata_claim (nines_buf_t *b, uint32_t claimant,
                              const nines_evm_report_t *down, const nines_evm_report_t *up);

/*  challengeSignature(bytes32 id, Report down, Report[] up, uint8 which,
    uint256 vote): which 0 the DOWN, 1 the UP; vote the index of the bad
    vote in that report's votes. */
int nines_evm_calldata_challenge_signature (nines_buf_t *b, const uint8_t id [32],
                                            const nines_evm_report_t *down,
                                            const nines_evm_report_t *up,
                                            uint8_t which, uint64_t vote);

/*  challengeCommittee(bytes32 id, Report down, Report[] up, uint8 which,
    uint256 member, uint32 outsider): validator index outsider ranks
    before committee position member. */
int nines_evm_calldata_challenge_committee (nines_buf_t *b, const uint8_t id [32],
                                            const nines_evm_report_t *down,
                                            const nines_evm_report_t *up,
                                            uint8_t which, uint64_t member, uint32_t outsider);

/*  finalize(bytes32 id): after the challenge window, the claim is final
    and takes the next place in finalize order. */
int nines_evm_calldata_finalize (nines_buf_t *b, const uint8_t id [32]);

/*  account(bytes32 id, Summary sm): the accounting of finalized claim id,
    one claim a call, in finalize order. */
int nines_evm_calldata_account (nines_buf_t *b, const uint8_t id [32], const nines_evm_summary_t *sm);

/*  The contract's summary(down, up) into *sm.  0, NINES_ENOMEM or
    NINES_EINVAL (as the calldata functions). */
int nines_evm_summary (nines_evm_summary_t *sm, const nines_evm_report_t *down,
                       const nines_evm_report_t *up);

/*  Calldata of the contract's view name(Report down, Report[] up) (name
    "summary" or "claimId", at most 32 characters): to check with eth_call
    what the contract computes of evidence. */
int nines_evm_calldata_evidence_view (nines_buf_t *b, const char *name,
                                      const nines_evm_report_t *down, const nines_evm_report_t *up);

/*  The contract's reportId(r) = keccak256(abi.encode(kind, pod, epoch,
    roundId, tMs)). */
void nines_evm_report_id (uint8_t id [32], const nines_evm_report_t *r);

/*  The contract's claimId(down, up) = keccak256(abi.encode(reportId(down),
    up.length)), has_up 0 or 1: the key of the claim in events and calls. */
void nines_evm_claim_id (uint8_t id [32], const nines_evm_report_t *down, int has_up);

#endif
