/*  The claim flow of proto/CHAIN.md driven from C on anvil with the
    differential corpus's evidence (contracts/test/vectors/ledger-corpus.txt:
    real Ed25519 votes and committees made by the project's code, the
    conversion of src/evm/evidence.c, checked by chain_corpus):

    - the corpus's 12 validators (in reverse id order: contract indexes
      are not the registry's) and 4 pods registered by one chain key (16
      transactions back to back: nonce tracking), the ids read back from
      ValidatorRegistered logs, the registry of the evidence's epochs read
      from the contract (chainreg.c) and every report converted with it
      (evidence.c): committees and members are the corpus's through the
      reversed order;
    - an accepted DOWN+UP evidence claimed (Claimed: claimId and the
      summary's evidence hash as src/evm computes them), finalized after
      the 60 s window (Finalized, seq 1) and accounted (Accounted);
    - the evidence with one forged signature: claimed (the cheap checks
      pass); a watcher with its own key reads every Claimed log's claim
      back from the transaction's calldata (nines_evm_decode_claim), checks
      the votes (nines_evm_report_fraud) and proves the bad one with
      challengeSignature (Challenged names that vote and the watcher); the
      honest claim before it draws no challenge;
    - the evidence with a non-committee signer: refused at estimate with
      NINES_EREVERTED and ENotCommittee's selector.

    usage: test_anvil_claim RPC_URL STAKING_ADDRESS CORPUS */
#include "corpus_util.h"
#include "evm/abi.h"
#include "evm/calldata.h"
#include "evm/chainreg.h"
#include "evm/evidence.h"
#include "evm/keccak.h"
#include "evm/send.h"
#include "crypto/crypto.h"
#include <msgpack.h>
#include <time.h>

static nines_registry_t *s_creg;        /* the registry read from the chain */
static uint32_t *s_cindex;              /* its contract indexes */

/*  e's reports converted with the chain's registry (validators registered
    in reverse: contract index = 11 - registry index): the committee and
    every vote's member are the corpus's mapped through that order. */
static void
s_convert (ev_t *e)
{
    t_wire_ev (e);
    int rc = nines_evm_evidence_of (&e->conv [0], &e->conv [1], &e->cup, &e->ev, s_creg, s_cindex);
    CHECK (rc == 0 || rc == NINES_ENOTCOMMITTEE);
    for (int k = 0; k < 2; k++) {
        const nines_evm_report_t *a = k ? e->up : &e->rep [0].report, *b = k ? e->cup : &e->conv [0].report;
        if (!a)
            continue;
        CHECK_EQ (a->n_committee, b->n_committee);
        CHECK_EQ (a->n_votes, b->n_votes);
        for (size_t i = 0; i < a->n_committee; i++)     /* reversed order: the same set */
            CHECK_EQ (b->committee [i], s_nval - 1 - a->committee [a->n_committee - 1 - i]);
        for (size_t v = 0; v < a->n_votes; v++) {
            uint8_t am = a->votes [v].member, bm = b->votes [v].member;
            CHECK ((am == NINES_EVM_NO_MEMBER) == (bm == NINES_EVM_NO_MEMBER));
            if (am != NINES_EVM_NO_MEMBER && bm != NINES_EVM_NO_MEMBER)
                CHECK_EQ (b->committee [bm], s_nval - 1 - a->committee [am]);
        }
    }
}

static int
s_send (const nines_buf_t *data, uint64_t gwei, nines_receipt_t *r, const char *what)
{
    uint8_t value [32];
    nines_u256_from_u64 (value, gwei * 1000000000ull);
    nines_sent_t sent = { 0 };
    int rc = nines_sender_send (&s_tx, s_staking, data->data, data->len, value, 0, &sent);
    if (!rc)
        rc = nines_sender_wait (&s_tx, sent.hash, 10000, 10, r);
    if (rc)
        fprintf (stderr, "%s: %s (%s %s)\n", what, nines_errname (rc), nines_rpc_message (s_rpc),
                 nines_rpc_errdata (s_rpc));
    else
        fprintf (stderr, "%s: %llu gas\n", what, (unsigned long long) r->gas_used);
    nines_sent_free (&sent);
    return rc;
}

/*  The logs of event sig in block b. */
static size_t
s_logs (const char *sig, uint64_t b, nines_log_t **logs)
{
    uint8_t topic [32];
    nines_evm_topic (topic, sig);
    size_t n = 0;
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, b, b, &topic, 1, logs, &n), 0);
    return n;
}

/*  The watcher: every Claimed log of block b is read back from its
    transaction's calldata, checked, and challenged from w when a vote's
    signature does not verify.  Returns the challenges sent; *vote the
    last one's vote. */
static int
s_watch (uint64_t b, const uint8_t (*ids) [32], size_t n_ids, nines_sender_t *w, size_t *vote,
         nines_receipt_t *r)
{
    nines_log_t *logs;
    size_t n = s_logs (NINES_EVM_EV_CLAIMED, b, &logs);
    int sent = 0;
    for (size_t i = 0; i < n; i++) {
        nines_buf_t cd = { 0 }, proof = { 0 };
        uint8_t to [20], cid [32];
        static nines_evm_report_buf_t down, up;
        const nines_evm_report_t *upp;
        uint32_t claimant;
        CHECK_RC (nines_rpc_tx_input (s_rpc, logs [i].tx_hash, &cd, NULL, to), 0);
        CHECK_MEM (to, s_staking, 20);
        CHECK_RC (nines_evm_decode_claim (cd.data, cd.len, &claimant, &down, &up, &upp), 0);
        nines_evm_claim_id (cid, &down.report, upp != NULL);
        CHECK_MEM (cid, logs [i].topics [1], 32);          /* the log is this calldata's claim */
        for (int which = 0; which < 2; which++) {
            const nines_evm_report_t *rep = which ? upp : &down.report;
            if (!rep || nines_evm_report_fraud (rep, ids, n_ids, vote) != NINES_EBADSIG)
                continue;
            CHECK_RC (nines_evm_calldata_challenge_signature (&proof, cid, &down.report, upp,
                                                              (uint8_t) which, *vote), 0);
            nines_sent_t st = { 0 };
            CHECK_RC (nines_sender_send (w, s_staking, proof.data, proof.len, NULL, 0, &st), 0);
            CHECK_RC (nines_sender_wait (w, st.hash, 10000, 10, r), 0);
            fprintf (stderr, "watcher: claim's report %d vote %zu does not verify: challengeSignature %llu gas\n",
                     which, *vote, (unsigned long long) r->gas_used);
            nines_sent_free (&st);
            sent++;
            break;
        }
        nines_buf_free (&cd);
        nines_buf_free (&proof);
    }
    nines_rpc_logs_free (logs, n);
    return sent;
}

static uint32_t
s_claimant (const nines_evm_report_t *d)
{
    size_t m = d->votes [0].member == NINES_EVM_NO_MEMBER ? d->votes [1].member : d->votes [0].member;
    return d->committee [m];
}

int
main (int argc, char **argv)
{
    if (argc != 4) {
        fprintf (stderr, "usage: test_anvil_claim RPC_URL STAKING_ADDRESS CORPUS\n");
        return 2;
    }
    s_load (argv [3]);
    CHECK_EQ (s_nval, 12);
    CHECK_EQ (s_npod, 4);
    s_rpc = nines_rpc_new (argv [1], 10000);
    CHECK_RC (nines_evm_parse_address (s_staking, argv [2]), 0);
    nines_chainkey_t key, wkey;             /* wkey: the watcher's, another validator's operator */
    nines_sender_t watcher;
    CHECK_RC (t_funded_sender (s_rpc, &key, &s_tx), 0);
    CHECK_RC (t_funded_sender (s_rpc, &wkey, &watcher), 0);

    /* the registry: 16 transactions back to back, then their receipts */
    uint64_t first = 0, last = 0;
    t_register (&first, &last);
    nines_receipt_t r;
    /* follow the registry from its events */
    uint8_t ids [16][32];
    memset (ids, 0, sizeof ids);
    uint8_t topic [32];
    nines_evm_topic (topic, NINES_EVM_EV_VALIDATOR);
    nines_log_t *logs;
    size_t n;
    CHECK_RC (nines_rpc_get_logs (s_rpc, s_staking, first, last, &topic, 1, &logs, &n), 0);
    CHECK_EQ (n, s_nval);
    for (size_t i = 0; i < n; i++) {
        uint64_t index = 99;
        CHECK_RC (nines_abi_get_uint (logs [i].topics [1], 32, 0, &index), 0);
        if (index < 16)
            CHECK_RC (nines_abi_get_word (logs [i].data, logs [i].data_len, 0, ids [index]), 0);
    }
    nines_rpc_logs_free (logs, n);
    for (size_t i = 0; i < s_nval; i++)
        CHECK_MEM (ids [i], s_ids [s_nval - 1 - i], 32);

    /* the registry as the contract judges the corpus's epochs */
    CHECK_RC (nines_evm_registry_read (s_rpc, s_staking, first, 170000000, NULL, &s_creg, &s_cindex), 0);
    CHECK (s_creg != NULL && s_cindex != NULL);
    if (!s_creg || !s_cindex)
        return t_done ("test_anvil_claim");
    CHECK_EQ (s_creg->n_validators, s_nval);
    CHECK_EQ (s_creg->n_pods, s_npod);
    CHECK (s_creg->params.committee == 7 && s_creg->params.epoch_ms == 10000 && s_creg->params.genesis_ms == 0);
    CHECK (s_creg->params.min_validator_stake == 1000 && s_creg->params.corr_window_ms == 300000);
    for (size_t j = 0; j < s_creg->n_validators; j++) {
        CHECK_MEM (s_creg->validators [j].id, s_ids [j], 32);        /* both sorted by id */
        CHECK_EQ (s_creg->validators [j].stake, s_stakes [j]);
        CHECK_EQ (s_cindex [j], s_nval - 1 - j);
    }
    for (size_t p = 0; p < s_npod; p++) {
        const nines_pod_info_t *pi = nines_registry_pod (s_creg, s_pods [p]);
        CHECK (pi && pi->stake == s_pod_stake [p] && pi->paid_until_ms >= s_paid [p]);
        CHECK (pi && memcmp (pi->provider + 12, key.address, 20) == 0);
    }

    /* 1. accepted DOWN + UP: claim, finalize after the window, account */
    static ev_t e;
    CHECK_RC (s_find_ev ("NINES_OK", 0, &e), 0);
    CHECK (e.up != NULL);
    s_convert (&e);
    size_t bad = 0;
    CHECK_RC (nines_evm_report_fraud (&e.conv [0].report, (const uint8_t (*) [32]) ids, s_nval, &bad), 0);
    CHECK_RC (nines_evm_report_fraud (e.cup, (const uint8_t (*) [32]) ids, s_nval, &bad), 0);
    s_warp (e.now_ms);
    nines_buf_t data = { 0 };
    CHECK_RC (nines_evm_calldata_claim (&data, s_claimant (&e.conv [0].report), &e.conv [0].report, e.cup), 0);
    CHECK_RC (s_send (&data, 1000, &r, "claim (accepted, DOWN + UP)"), 0);
    nines_buf_free (&data);
    uint8_t cid [32];
    nines_evm_claim_id (cid, &e.conv [0].report, 1);
    nines_evm_summary_t sm;
    CHECK_RC (nines_evm_summary (&sm, &e.conv [0].report, e.cup), 0);
    n = s_logs (NINES_EVM_EV_CLAIMED, r.block_number, &logs);
    CHECK_EQ (n, 1);
    if (n == 1) {
        uint8_t w [32];
        CHECK_MEM (logs [0].topics [1], cid, 32);
        CHECK_MEM (logs [0].topics [2], sm.pod, 32);
        CHECK_RC (nines_abi_get_word (logs [0].data, logs [0].data_len, 5, w), 0);   /* rid */
        CHECK_MEM (w, sm.rid, 32);
        CHECK_RC (nines_abi_get_word (logs [0].data, logs [0].data_len, 6, w), 0);   /* evidence */
        CHECK_MEM (w, sm.evidence, 32);
    }
    nines_rpc_logs_free (logs, n);
    size_t vote = 99;
    CHECK_EQ (s_watch (r.block_number, (const uint8_t (*) [32]) ids, s_nval, &watcher, &vote, &r), 0);
    CHECK_RC (nines_evm_calldata_finalize (&data, cid), 0);
    nines_rpc_msg_t m = { .from = key.address, .to = s_staking, .data = data.data, .data_len = data.len };
    uint64_t gas;
    CHECK_RC (nines_rpc_estimate_gas (s_rpc, &m, &gas), NINES_EREVERTED);   /* window open */
    s_warp (e.now_ms + 61000);
    CHECK_RC (s_send (&data, 0, &r, "finalize"), 0);
    nines_buf_free (&data);
    n = s_logs (NINES_EVM_EV_FINALIZED, r.block_number, &logs);
    CHECK_EQ (n, 1);
    uint64_t seq = 0;
    if (n == 1) {
        CHECK_MEM (logs [0].topics [1], cid, 32);
        CHECK_RC (nines_abi_get_uint (logs [0].data, logs [0].data_len, 0, &seq), 0);
        CHECK_EQ (seq, 1);
    }
    nines_rpc_logs_free (logs, n);
    CHECK_RC (nines_evm_calldata_account (&data, cid, &sm), 0);
    CHECK_RC (s_send (&data, 0, &r, "account"), 0);
    nines_buf_free (&data);
    n = s_logs (NINES_EVM_EV_ACCOUNTED, r.block_number, &logs);
    CHECK_EQ (n, 1);
    nines_rpc_logs_free (logs, n);

    /* 2. one forged signature: the claim passes, the watcher proves it */
    CHECK_RC (s_find_ev ("NINES_EBADSIG", 0, &e), 0);
    s_convert (&e);
    int which = -1;
    for (int k = 0; k < 2 && which < 0; k++) {
        const nines_evm_report_t *rep = k ? e.cup : &e.conv [0].report;
        if (rep && nines_evm_report_fraud (rep, (const uint8_t (*) [32]) ids, s_nval, &bad) == NINES_EBADSIG)
            which = k;
    }
    CHECK (which >= 0);
    s_warp (e.now_ms);
    CHECK_RC (nines_evm_calldata_claim (&data, s_claimant (&e.conv [0].report), &e.conv [0].report, e.cup), 0);
    CHECK_RC (s_send (&data, 1000, &r, "claim (one forged vote)"), 0);
    nines_buf_free (&data);
    nines_evm_claim_id (cid, &e.conv [0].report, e.cup != NULL);
    /* an honest vote is no proof: ENoFraud at estimate */
    size_t honest = bad == 0 ? 1 : 0;
    CHECK_RC (nines_evm_calldata_challenge_signature (&data, cid, &e.conv [0].report, e.cup,
                                                      (uint8_t) which, honest), 0);
    m.data = data.data;
    m.data_len = data.len;
    CHECK_RC (nines_rpc_estimate_gas (s_rpc, &m, &gas), NINES_EREVERTED);
    uint8_t sel [4];
    char selhex [11] = "0x";
    nines_abi_selector (sel, "ENoFraud()");
    nines_hex (selhex + 2, sel, 4);
    CHECK_STR (nines_rpc_errdata (s_rpc), selhex);
    nines_buf_free (&data);
    /* the watcher reads the claim from the chain and proves the bad vote */
    CHECK_EQ (s_watch (r.block_number, (const uint8_t (*) [32]) ids, s_nval, &watcher, &vote, &r), 1);
    CHECK_EQ (vote, bad);
    n = s_logs (NINES_EVM_EV_CHALLENGED, r.block_number, &logs);
    CHECK_EQ (n, 1);
    if (n == 1) {
        uint64_t fraud = 9, vote = 99, cut = 0;
        uint8_t w [32];
        CHECK_MEM (logs [0].topics [1], cid, 32);
        CHECK_RC (nines_abi_get_word (logs [0].data, logs [0].data_len, 0, w), 0);
        CHECK_MEM (w + 12, wkey.address, 20);         /* the challenger is the watcher */
        CHECK_RC (nines_abi_get_uint (logs [0].data, logs [0].data_len, 1, &fraud), 0);
        CHECK_RC (nines_abi_get_uint (logs [0].data, logs [0].data_len, 2, &vote), 0);
        CHECK_RC (nines_abi_get_uint (logs [0].data, logs [0].data_len, 3, &cut), 0);
        CHECK_EQ (vote, bad);
        fprintf (stderr, "forged vote: report %d vote %zu, fraud kind %llu, validator slashed %llu units\n",
                 which, bad, (unsigned long long) fraud, (unsigned long long) cut);
        CHECK_EQ (cut, s_stakes [0] / 10);             /* fraud_slash 10 % of a 1,000,000 stake */
    }
    nines_rpc_logs_free (logs, n);

    /* 3. a signer outside the committee: refused at claim */
    CHECK_RC (s_find_ev ("NINES_ENOTCOMMITTEE", 0, &e), 0);
    s_convert (&e);
    s_warp (e.now_ms);
    CHECK_RC (nines_evm_calldata_claim (&data, s_claimant (&e.conv [0].report), &e.conv [0].report, e.cup), 0);
    uint8_t bond [32];
    nines_u256_from_u64 (bond, 1000 * 1000000000ull);
    m = (nines_rpc_msg_t) { .from = key.address, .to = s_staking, .data = data.data, .data_len = data.len,
                            .value = bond };
    CHECK_RC (nines_rpc_estimate_gas (s_rpc, &m, &gas), NINES_EREVERTED);
    nines_abi_selector (sel, "ENotCommittee(uint256)");
    nines_hex (selhex + 2, sel, 4);
    CHECK (strncmp (nines_rpc_errdata (s_rpc), selhex, 10) == 0);
    fprintf (stderr, "non-committee signer: %s (%s)\n", nines_errname (NINES_EREVERTED), nines_rpc_message (s_rpc));
    nines_buf_free (&data);

    nines_sender_wipe (&s_tx);
    nines_sender_wipe (&watcher);
    nines_registry_destroy (&s_creg);
    free (s_cindex);
    nines_rpc_destroy (&s_rpc);
    for (int i = 0; i < s_nline; i++)
        free (s_line [i]);
    return t_done ("test_anvil_claim");
}
