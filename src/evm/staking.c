#include "evm/staking.h"
#include "evm/abi.h"
#include "evm/keccak.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*  The number of nines_abi_t one report's tree takes (s_report): its 7
    fields, a word per committee member, a tuple and 4 fields per vote. */
static size_t
s_report_slots (const nines_evm_report_t *r)
{
    return 7 + r->n_committee + r->n_votes * 5;
}

/*  The ABI tree of report r built in slots [0..s_report_slots (r)):
    [0..7) the fields, then the committee's words, the votes' tuples, and
    4 fields per vote; returns the report's tuple. */
static nines_abi_t
s_report (nines_abi_t *slots, const nines_evm_report_t *r)
{
    nines_abi_t *f = slots, *com = slots + 7, *votes = com + r->n_committee,
                *vf = votes + r->n_votes;
    for (size_t i = 0; i < r->n_committee; i++)
        com [i] = nines_abi_uint (r->committee [i]);
    for (size_t i = 0; i < r->n_votes; i++) {
        const nines_evm_vote_t *v = &r->votes [i];
        nines_abi_t *x = vf + 4 * i;
        x [0] = nines_abi_uint (v->member);
        x [1] = nines_abi_bytes (v->body, v->body_len);
        x [2] = nines_abi_word (v->r);
        x [3] = nines_abi_word (v->s);
        votes [i] = nines_abi_tuple (x, 4);
    }
    f [0] = nines_abi_uint (r->kind);
    f [1] = nines_abi_word (r->pod);
    f [2] = nines_abi_uint (r->epoch);
    f [3] = nines_abi_word (r->round_id);
    f [4] = nines_abi_uint (r->t_ms);
    f [5] = nines_abi_array (com, r->n_committee);
    f [6] = nines_abi_array (votes, r->n_votes);
    return nines_abi_tuple (f, 7);
}

/*  Calldata of signature(head..., Report down, Report[] up, tail...):
    the nh leading and nt trailing arguments around the evidence; with
    signature NULL the arguments' encoding alone (abi.encode). */
static int
s_evidence_call (nines_buf_t *b, const char *signature,
                 const nines_abi_t *head, size_t nh,
                 const nines_evm_report_t *down, const nines_evm_report_t *up,
                 const nines_abi_t *tail, size_t nt)
{
    if (down->n_votes > NINES_EVM_MAX_VOTES || down->n_committee > NINES_EVM_MAX_VOTES
    ||  (up && (up->n_votes > NINES_EVM_MAX_VOTES || up->n_committee > NINES_EVM_MAX_VOTES)))
        return NINES_EINVAL;
    size_t nd = s_report_slots (down), nu = up ? s_report_slots (up) : 0;
    nines_abi_t *slots = malloc ((nd + nu + 1) * sizeof *slots);
    if (!slots)
        return NINES_ENOMEM;
    nines_abi_t args [8];
    size_t n = 0;
    for (size_t i = 0; i < nh; i++)
        args [n++] = head [i];
    args [n++] = s_report (slots, down);
    nines_abi_t *up_item = slots + nd + nu;
    if (up)
        *up_item = s_report (slots + nd, up);
    args [n++] = nines_abi_array (up_item, up ? 1 : 0);
    for (size_t i = 0; i < nt; i++)
        args [n++] = tail [i];
    nines_abi_t all = nines_abi_tuple (args, n);
    int rc = signature ? nines_abi_call (b, signature, args, n) : nines_abi_encode (b, &all);
    free (slots);
    return rc;
}

void
nines_evm_topic (uint8_t topic [32], const char *event_signature)
{
    nines_keccak256 (topic, event_signature, strlen (event_signature));
}

int
nines_evm_calldata_register_validator (nines_buf_t *b, const uint8_t id [32])
{
    nines_abi_t a = nines_abi_word (id);
    return nines_abi_call (b, "registerValidator(bytes32)", &a, 1);
}

int
nines_evm_calldata_register_pod (nines_buf_t *b, const uint8_t pod [32],
                                 const uint8_t pins [32], uint64_t paid_until_ms)
{
    nines_abi_t a [3] = { nines_abi_word (pod), nines_abi_word (pins), nines_abi_uint (paid_until_ms) };
    return nines_abi_call (b, "registerPod(bytes32,bytes32,uint64)", a, 3);
}

int
nines_evm_calldata_claim (nines_buf_t *b, uint32_t claimant,
                          const nines_evm_report_t *down, const nines_evm_report_t *up)
{
    nines_abi_t h = nines_abi_uint (claimant);
    return s_evidence_call (b, "claim(uint32," NINES_EVM_REPORT_T "," NINES_EVM_REPORT_T "[])",
                            &h, 1, down, up, NULL, 0);
}

int
nines_evm_calldata_challenge_signature (nines_buf_t *b, const uint8_t id [32],
                                        const nines_evm_report_t *down,
                                        const nines_evm_report_t *up,
                                        uint8_t which, uint64_t vote)
{
    nines_abi_t h = nines_abi_word (id);
    nines_abi_t t [2] = { nines_abi_uint (which), nines_abi_uint (vote) };
    return s_evidence_call (b, "challengeSignature(bytes32," NINES_EVM_REPORT_T ","
                            NINES_EVM_REPORT_T "[],uint8,uint256)", &h, 1, down, up, t, 2);
}

int
nines_evm_calldata_challenge_committee (nines_buf_t *b, const uint8_t id [32],
                                        const nines_evm_report_t *down,
                                        const nines_evm_report_t *up,
                                        uint8_t which, uint64_t member, uint32_t outsider)
{
    nines_abi_t h = nines_abi_word (id);
    nines_abi_t t [3] = { nines_abi_uint (which), nines_abi_uint (member), nines_abi_uint (outsider) };
    return s_evidence_call (b, "challengeCommittee(bytes32," NINES_EVM_REPORT_T ","
                            NINES_EVM_REPORT_T "[],uint8,uint256,uint32)", &h, 1, down, up, t, 3);
}

int
nines_evm_calldata_finalize (nines_buf_t *b, const uint8_t id [32])
{
    nines_abi_t a = nines_abi_word (id);
    return nines_abi_call (b, "finalize(bytes32)", &a, 1);
}

static nines_abi_t
s_summary (nines_abi_t f [6], const nines_evm_summary_t *sm)
{
    f [0] = nines_abi_word (sm->pod);
    f [1] = nines_abi_word (sm->rid);
    f [2] = nines_abi_uint (sm->t_down);
    f [3] = nines_abi_uint (sm->t_up);
    f [4] = nines_abi_bool (sm->has_up);
    f [5] = nines_abi_word (sm->evidence);
    return nines_abi_tuple (f, 6);
}

int
nines_evm_calldata_account (nines_buf_t *b, const uint8_t id [32], const nines_evm_summary_t *sm)
{
    nines_abi_t f [6], a [2] = { nines_abi_word (id), s_summary (f, sm) };
    return nines_abi_call (b, "account(bytes32," NINES_EVM_SUMMARY_T ")", a, 2);
}

int
nines_evm_summary (nines_evm_summary_t *sm, const nines_evm_report_t *down,
                   const nines_evm_report_t *up)
{
    memset (sm, 0, sizeof *sm);
    nines_buf_t b = { 0 };
    /* abi.encode(down, up): the arguments' encoding, without a selector */
    int rc = s_evidence_call (&b, NULL, NULL, 0, down, up, NULL, 0);
    if (rc) {
        nines_buf_free (&b);
        return rc;
    }
    nines_keccak256 (sm->evidence, b.data, b.len);
    nines_buf_free (&b);
    memcpy (sm->pod, down->pod, 32);
    nines_evm_report_id (sm->rid, down);
    sm->t_down = down->t_ms;
    sm->t_up = up ? up->t_ms : 0;
    sm->has_up = up != NULL;
    return NINES_OK;
}

int
nines_evm_calldata_evidence_view (nines_buf_t *b, const char *name,
                                  const nines_evm_report_t *down, const nines_evm_report_t *up)
{
    char sig [256];
    if (strlen (name) > 32)
        return NINES_EINVAL;
    snprintf (sig, sizeof sig, "%s(" NINES_EVM_REPORT_T "," NINES_EVM_REPORT_T "[])", name);
    return s_evidence_call (b, sig, NULL, 0, down, up, NULL, 0);
}

void
nines_evm_report_id (uint8_t id [32], const nines_evm_report_t *r)
{
    uint8_t enc [5 * 32];
    nines_abi_t f [5] = { nines_abi_uint (r->kind), nines_abi_word (r->pod), nines_abi_uint (r->epoch),
                          nines_abi_word (r->round_id), nines_abi_uint (r->t_ms) };
    for (int i = 0; i < 5; i++)
        memcpy (enc + 32 * i, f [i].word, 32);
    nines_keccak256 (id, enc, sizeof enc);
}

void
nines_evm_claim_id (uint8_t id [32], const nines_evm_report_t *down, int has_up)
{
    uint8_t enc [64];
    nines_evm_report_id (enc, down);
    nines_abi_t n = nines_abi_uint (has_up ? 1 : 0);
    memcpy (enc + 32, n.word, 32);
    nines_keccak256 (id, enc, sizeof enc);
}
